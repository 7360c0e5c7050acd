/* test_provenance.c - every output says what made it: sched --version, and
 * the version, git revision, command line and arch constants in the JSON
 * report and the trace; the constants load back as an arch file. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sched_stdout.h"

static cJSON *run_json(const char *args) {
  char *text = sched_stdout(args);
  cJSON *root = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(root, "sched %s: not JSON", args);
  return root;
}

static void expect_provenance(const cJSON *obj, const char *command_line) {
  cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "sched_version")),
                   sched_version());
  cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "git_revision")),
                   sched_git_revision());
  cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(obj, "command_line")), command_line);
  const cJSON *arch = cJSON_GetObjectItem(obj, "arch_constants");
  cr_expect_eq(cJSON_GetObjectItem(arch, "tiles")->valueint, 2);
  cr_expect_eq(
      cJSON_GetObjectItem(cJSON_GetObjectItem(arch, "cost"), "workload_overhead_cycles")->valueint,
      650);
}

Test(provenance, version_names_the_revision) {
  char *out = sched_stdout("--version");
  char want[128];
  snprintf(want, sizeof want, "sched %s (git %s)\n", sched_version(), sched_git_revision());
  cr_expect_str_eq(out, want);
  free(out);
}

Test(provenance, json_report_and_trace_carry_it) {
  cJSON *root = run_json("--net fsrcnn --cmx 2MB --no-timing --format json --trace "
                         "'/tmp/sched prov trace.json'");
  expect_provenance(root, "sched --net fsrcnn --cmx 2MB --no-timing --format json --trace "
                          "'/tmp/sched prov trace.json'");
  cJSON_Delete(root);
  FILE *f = fopen("/tmp/sched prov trace.json", "rb");
  cr_assert(f);
  char *text = calloc(1, 1 << 24);
  size_t n = fread(text, 1, (1 << 24) - 1, f);
  fclose(f);
  text[n] = '\0';
  remove("/tmp/sched prov trace.json");
  cJSON *trace = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(trace);
  expect_provenance(cJSON_GetObjectItem(trace, "otherData"),
                    "sched --net fsrcnn --cmx 2MB --no-timing --format json --trace "
                    "'/tmp/sched prov trace.json'");
  cJSON_Delete(trace);
}

Test(provenance, arch_constants_load_back_as_an_arch_file) {
  cJSON *a = run_json("--net fsrcnn --cmx 1MB --arch vpu40 --no-timing --format json");
  FILE *f = fopen("/tmp/sched_prov_arch.json", "w");
  char *arch = cJSON_Print(cJSON_GetObjectItem(a, "arch_constants"));
  fputs(arch, f);
  fclose(f);
  free(arch);
  cJSON *b =
      run_json("--net fsrcnn --cmx 1MB --arch /tmp/sched_prov_arch.json --no-timing --format json");
  remove("/tmp/sched_prov_arch.json");
  cr_expect(cJSON_Compare(cJSON_GetObjectItem(a, "arch_constants"),
                          cJSON_GetObjectItem(b, "arch_constants"), true));
  cr_expect(cJSON_Compare(cJSON_GetObjectItem(a, "totals"), cJSON_GetObjectItem(b, "totals"), true),
            "the same constants plan the same");
  cJSON_Delete(a);
  cJSON_Delete(b);
}
