/* test_experiments.c - the experiment harness (sweep files, result tables,
 * sweep/regress/plot commands) and the studies: each study's sweep file runs
 * through `sched sweep` and its check asserts what silicon shows (or, where
 * the model disagrees, what the model gives, with the test that would state
 * the silicon finding disabled and the reason next to it). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/arch.h"
#include "experiments/experiments.h"
#include "ir/ir.h"

/* ---- helpers ---- */

static char *make_tmp_dir(void) {
  char tmpl[] = "/tmp/sched_exp_XXXXXX";
  char *dir = mkdtemp(tmpl);
  cr_assert_not_null(dir);
  return strdup(dir);
}

static void remove_dir(char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_expect_eq(system(cmd), 0);
  free(dir);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

/* Runs a shell command line with `sched` replaced by the binary under test;
 * stdout goes to out_path when given. Returns the exit code. */
static int run_sched(const char *args, const char *out_path) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s >%s 2>/dev/null", SCHED_BINARY, args,
           out_path ? out_path : "/dev/null");
  int status = system(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* `sched sweep FILE --out DIR` and its table. */
static void run_sweep(const char *sweep_path, const char *dir, const char *name, exp_table_t *t) {
  char args[1024], csv[1024];
  snprintf(args, sizeof args, "sweep %s -j 2 --out %s", sweep_path, dir);
  cr_assert_eq(run_sched(args, NULL), 0, "sched %s failed", args);
  snprintf(csv, sizeof csv, "%s/%s.csv", dir, name);
  sched_diag_t diag = {{0}};
  cr_assert_eq(exp_table_read_csv(csv, t, &diag), SCHED_OK, "%s", diag.msg);
}

static double num(const exp_table_t *t, int row, const char *col) {
  int c = exp_table_find(t, col);
  cr_assert_geq(c, 0, "no column %s", col);
  const char *v = exp_table_get(t, row, c);
  cr_assert(*v, "row %d: empty %s", row, col);
  return strtod(v, NULL);
}

static const char *text(const exp_table_t *t, int row, const char *col) {
  return exp_table_get(t, row, exp_table_find(t, col));
}

/* The plan model's latency (what every solver minimises): plan_latency_us
 * once the report carries the scheduled latency separately, else latency_us. */
static double plan_latency(const exp_table_t *t, int row) {
  return num(t, row, exp_table_find(t, "plan_latency_us") >= 0 ? "plan_latency_us" : "latency_us");
}

/* The first row whose columns equal the given values (NULL-terminated
 * name/value pairs). */
static int find_row(const exp_table_t *t, ...) {
  for (int r = 0; r < t->n_rows; r++) {
    va_list ap;
    va_start(ap, t);
    bool match = true;
    for (const char *col; match && (col = va_arg(ap, const char *));)
      match = strcmp(text(t, r, col), va_arg(ap, const char *)) == 0;
    va_end(ap);
    if (match)
      return r;
  }
  cr_assert_fail("no matching row");
  return -1;
}

/* ---- sweep files ---- */

Test(sweep, cross_product_in_order_with_variables) {
  const char *json = "{\"name\": \"t\", \"vars\": {\"c\": {\"from\": 1, \"to\": 3}},"
                     " \"nets\": [\"conv:c={c}\", \"x.json\"], \"cmx\": [\"1MB\", \"2MB\"],"
                     " \"solvers\": [\"greedy\", \"dp\"], \"options\": [[], [\"--seed\", \"2\"]]}";
  exp_sweep_t s;
  sched_diag_t diag = {{0}};
  cr_assert_eq(exp_sweep_parse(json, "t.json", "dir", &s, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect_eq(s.n_points, (3 + 1) * 2 * 2 * 2);
  cr_expect_str_eq(s.points[0].net, "conv:c=1");
  cr_expect_str_eq(s.points[0].family, "conv:c={c}");
  cr_expect_str_eq(s.points[0].var_values[0], "1");
  cr_expect_str_eq(s.points[1].options[1], "2"); /* options innermost */
  cr_expect_str_eq(s.points[2].solver, "dp");
  cr_expect_str_eq(s.points[4].cmx, "2MB");
  cr_expect_str_eq(s.points[8].net, "conv:c=2");
  cr_expect_str_eq(s.points[24].net, "dir/x.json"); /* relative to the sweep file */
  cr_expect_null(s.points[24].family);
  const char *argv[EXP_MAX_OPTIONS + 16];
  int argc = exp_point_argv(&s.points[1], argv);
  cr_expect_eq(argc, 13);
  cr_expect_str_eq(argv[argc - 1], "--no-timing");
  exp_sweep_free(&s);
}

Test(sweep, errors_name_the_file_and_key) {
  exp_sweep_t s;
  sched_diag_t diag = {{0}};
  cr_expect_eq(
      exp_sweep_parse("{\"nets\": [\"a\"], \"solver\": [\"x\"]}", "f.json", NULL, &s, &diag),
      SCHED_ERR_INPUT);
  cr_expect_str_eq(diag.msg, "f.json: unknown key 'solver'");
  exp_sweep_free(&s);
  cr_expect_eq(exp_sweep_parse("{\"nets\": \"a\"}", "f.json", NULL, &s, &diag), SCHED_ERR_INPUT);
  cr_expect_str_eq(diag.msg, "f.json: key 'nets' must be a non-empty array of strings");
  exp_sweep_free(&s);
  cr_expect_eq(
      exp_sweep_parse("{\"nets\": [\"a\"], \"options\": [\"-x\"]}", "f.json", NULL, &s, &diag),
      SCHED_ERR_INPUT);
  exp_sweep_free(&s);
}

Test(table, csv_round_trip_keeps_commas_and_quotes) {
  char *dir = make_tmp_dir();
  exp_table_t t, back;
  exp_table_init(&t);
  int row = exp_table_add_row(&t);
  exp_table_set(&t, row, exp_table_col(&t, "net"), "conv:c=1,k=2");
  exp_table_set(&t, row, exp_table_col(&t, "error"), "say \"hi\"\nbye");
  exp_table_set(&t, exp_table_add_row(&t), exp_table_col(&t, "latency_us"), "1.5");
  char path[512];
  snprintf(path, sizeof path, "%s/t.csv", dir);
  FILE *f = fopen(path, "w");
  exp_table_write_csv(&t, f);
  fclose(f);
  sched_diag_t diag = {{0}};
  cr_assert_eq(exp_table_read_csv(path, &back, &diag), SCHED_OK);
  cr_expect_eq(back.n_rows, 2);
  cr_expect_eq(back.n_cols, 3);
  cr_expect_str_eq(text(&back, 0, "net"), "conv:c=1,k=2");
  cr_expect_str_eq(text(&back, 0, "error"), "say \"hi\"\nbye");
  cr_expect_str_eq(text(&back, 1, "latency_us"), "1.5");
  cr_expect_str_eq(text(&back, 1, "net"), "");
  exp_table_free(&t);
  exp_table_free(&back);
  remove_dir(dir);
}

/* ---- the sweep command ---- */

/* The strategies column: each layer's strategy, "/N" when the report says
 * it runs in N slices; per-engine layer time summed. */
Test(table, strategies_column_shows_slices) {
  exp_result_t r = {0};
  exp_result_parse_report(
      "{\"cmx_bytes\": 1024, \"totals\": {\"latency_us\": 3},"
      " \"layers\": [{\"strategy\": \"SOH\", \"slices\": 1, \"engine\": \"dpu\","
      " \"latency_us\": 1}, {\"strategy\": \"SOK\", \"slices\": 4, \"engine\": \"dpu\","
      " \"latency_us\": 2}]}",
      &r);
  cr_assert_eq(r.status, EXP_STATUS_OK);
  const cJSON *col = cJSON_GetObjectItemCaseSensitive(r.totals, "strategies");
  cr_assert(cJSON_IsString(col));
  cr_expect_str_eq(col->valuestring, "SOH SOK/4");
  cr_expect_float_eq(cJSON_GetObjectItemCaseSensitive(r.totals, "layers_dpu_us")->valuedouble, 3,
                     1e-9);
  exp_result_free(&r);
}

Test(sweep_cmd, bad_net_is_a_failed_row_not_a_failed_sweep) {
  char *dir = make_tmp_dir();
  char path[512];
  snprintf(path, sizeof path, "%s/in.json", dir);
  write_file(path, "{\"name\": \"s\", \"nets\": [\"conv:c=16,k=16,h=8,w=8\", \"nosuchnet\"],"
                   " \"solvers\": [\"greedy\", \"dp\"]}");
  exp_table_t t;
  run_sweep(path, dir, "s", &t);
  cr_assert_eq(t.n_rows, 4);
  cr_expect_str_eq(text(&t, 0, "status"), "ok");
  cr_expect_str_eq(text(&t, 3, "status"), "failed");
  cr_expect(strstr(text(&t, 3, "error"), "unknown net 'nosuchnet'"), "%s", text(&t, 3, "error"));
  cr_expect_gt(num(&t, 0, "latency_us"), 0);
  cr_expect_gt(num(&t, 0, "ddr_bytes"), 0);
  cr_expect_str_eq(text(&t, 1, "solver"), "dp");
  cr_expect_geq(exp_table_find(&t, "solve_ms"), 0);
  snprintf(path, sizeof path, "%s/s.json", dir); /* the JSON results, next to the CSV */
  struct stat st;
  cr_expect_eq(stat(path, &st), 0);
  exp_table_free(&t);
  remove_dir(dir);
}

Test(sweep_cmd, crash_and_timeout_are_rows) {
  char *dir = make_tmp_dir();
  char sweep[512], fake[512], args[1536], csv[1024];
  snprintf(fake, sizeof fake, "%s/fake.sh", dir);
  write_file(fake, "#!/bin/sh\ncase \"$2\" in\n crash) kill -SEGV $$ ;;\n slow) sleep 5 ;;\n"
                   " *) echo '{\"cmx_bytes\": 1, \"totals\": {\"latency_us\": 2}}' ;;\nesac\n");
  chmod(fake, 0755);
  snprintf(sweep, sizeof sweep, "%s/c.json", dir);
  write_file(sweep, "{\"name\": \"c\", \"nets\": [\"ok\", \"crash\", \"slow\"]}");
  snprintf(args, sizeof args, "sweep %s -j 3 --timeout 0.5 --sched %s", sweep, fake);
  snprintf(csv, sizeof csv, "%s/out.csv", dir);
  cr_assert_eq(run_sched(args, csv), 0);
  exp_table_t t;
  sched_diag_t diag = {{0}};
  cr_assert_eq(exp_table_read_csv(csv, &t, &diag), SCHED_OK);
  cr_assert_eq(t.n_rows, 3);
  cr_expect_str_eq(text(&t, 0, "status"), "ok");
  cr_expect_str_eq(text(&t, 0, "latency_us"), "2");
  cr_expect_str_eq(text(&t, 1, "status"), "crashed");
  cr_expect(strstr(text(&t, 1, "error"), "signal 11"), "%s", text(&t, 1, "error"));
  cr_expect_str_eq(text(&t, 2, "status"), "timeout");
  exp_table_free(&t);
  remove_dir(dir);
}

Test(sweep_cmd, list_prints_one_command_per_point) {
  char *dir = make_tmp_dir();
  char sweep[512], out[512], args[1024];
  snprintf(sweep, sizeof sweep, "%s/l.json", dir);
  write_file(sweep, "{\"nets\": [\"fsrcnn\", \"edsr:act=prelu\"], \"cmx\": [\"1MB\"]}");
  snprintf(out, sizeof out, "%s/list.txt", dir);
  snprintf(args, sizeof args, "sweep %s --list", sweep);
  cr_assert_eq(run_sched(args, out), 0);
  FILE *f = fopen(out, "r");
  char line[512];
  cr_assert_not_null(fgets(line, sizeof line, f));
  char want[1024]; /* SCHED_BINARY is absolute, with no symbolic link in the build tree */
  snprintf(want, sizeof want,
           "%s --net fsrcnn --arch vpu27 --cmx 1MB --solver greedy --format json --no-timing\n",
           SCHED_BINARY);
  cr_expect_str_eq(line, want, "the line names the sched that printed it");
  cr_assert_not_null(fgets(line, sizeof line, f));
  cr_expect(strstr(line, "--net edsr:act=prelu "), "%s", line);
  cr_expect_null(fgets(line, sizeof line, f));
  fclose(f);
  remove_dir(dir);
}

/* ---- regress ---- */

/* A golden file recorded with the model as it is fails, with a delta row,
 * once a cost constant changes (here through an arch file override). */
Test(regress, fails_when_a_cost_constant_is_perturbed) {
  char *dir = make_tmp_dir();
  char arch[512], points[512], golden[512], out[512], args[2048];
  snprintf(arch, sizeof arch, "%s/arch.json", dir);
  write_file(arch, "{\"base\": \"vpu27\"}");
  snprintf(points, sizeof points, "%s/points.json", dir);
  write_file(points, "{\"nets\": [\"conv:c=64,k=64,h=28,w=28\", \"dwconv:c=64,h=28,w=28\"],"
                     " \"archs\": [\"arch.json\"], \"cmx\": [\"1MB\"], \"solvers\": [\"greedy\"]}");
  snprintf(golden, sizeof golden, "%s/golden.json", dir);
  snprintf(out, sizeof out, "%s/out.txt", dir);
  snprintf(args, sizeof args, "regress --update --points %s --golden %s -j 2", points, golden);
  cr_assert_eq(run_sched(args, NULL), 0, "%s", args);
  snprintf(args, sizeof args, "regress --golden %s -j 2", golden);
  cr_expect_eq(run_sched(args, out), 0, "unchanged model must pass");
  write_file(arch, "{\"base\": \"vpu27\", \"cost\": {\"conv_efficiency\": 0.9}}");
  cr_expect_eq(run_sched(args, out), 1, "a perturbed conv efficiency must fail");
  FILE *f = fopen(out, "r");
  char line[512];
  bool conv_changed = false, dw_changed = false;
  int solve_rows = 0;
  while (fgets(line, sizeof line, f)) {
    solve_rows += strstr(line, "solve_ms") != NULL;
    conv_changed |= strncmp(line, "| conv:c=64", 11) == 0 && strstr(line, "| latency_us |") &&
                    strstr(line, "% | FAIL changed |"); /* a Markdown row: metric, change % */
    dw_changed |= strstr(line, "dwconv") && strstr(line, "FAIL");
  }
  fclose(f);
  cr_expect(conv_changed, "the conv's latency delta is listed");
  cr_expect(!solve_rows, "solve time only with --timing");
  cr_expect(!dw_changed, "the depthwise conv does not use conv_efficiency");
  remove_dir(dir);
}

static bool same_string(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The project's golden file holds the points of the sweep file it is
 * regenerated from, options included: a grid point that lost its generous
 * --time-limit would let the wall clock, not the node limit, end its ILP. */
Test(regress, the_golden_file_holds_the_points_of_its_sweep_file) {
  exp_sweep_t sweep, golden;
  cJSON *expected = NULL;
  sched_diag_t diag = {{0}};
  cr_assert_eq(exp_sweep_load("experiments/sweeps/golden.json", &sweep, &diag), SCHED_OK, "%s",
               diag.msg);
  cr_assert_eq(exp_golden_load("experiments/golden.json", &golden, &expected, &diag), SCHED_OK,
               "%s", diag.msg);
  cr_assert_eq(golden.n_points, sweep.n_points);
  for (int i = 0; i < sweep.n_points; i++) {
    const exp_point_t *s = &sweep.points[i], *g = &golden.points[i];
    cr_expect(same_string(s->net, g->net) && same_string(s->arch, g->arch) &&
                  same_string(s->cmx, g->cmx) && same_string(s->solver, g->solver),
              "point %d: %s differs from the sweep's %s", i, g->net, s->net);
    cr_assert_eq(g->n_options, s->n_options, "point %d (%s): options", i, s->net);
    for (int k = 0; k < s->n_options; k++)
      cr_expect(same_string(s->options[k], g->options[k]), "point %d: option %d", i, k);
  }
  cJSON_Delete(expected);
  exp_sweep_free(&golden);
  exp_sweep_free(&sweep);
}

/* ---- plot ---- */

Test(plot, lines_and_layers_render_png) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0)
    cr_skip_test("gnuplot not installed (scripts/setup.sh installs gnuplot-nox)");
  char *dir = make_tmp_dir();
  char csv[512], png[512], report[512], args[2048];
  snprintf(csv, sizeof csv, "%s/r.csv", dir);
  write_file(csv, "status,cmx_bytes,solver,net,latency_us\nok,1048576,greedy,a,5\n"
                  "ok,2097152,greedy,a,4\nok,1048576,dp,a,4.5\nfailed,2097152,dp,a,\n");
  snprintf(png, sizeof png, "%s/r.png", dir);
  snprintf(args, sizeof args,
           "plot lines %s --x cmx_bytes --xscale 1048576 --y latency_us --series solver "
           "--panel net --out %s",
           csv, png);
  cr_expect_eq(run_sched(args, NULL), 0, "%s", args);
  struct stat st;
  cr_expect(stat(png, &st) == 0 && st.st_size > 1000);
  snprintf(report, sizeof report, "%s/fsrcnn.json", dir);
  cr_assert_eq(run_sched("--net fsrcnn --format json --no-timing", report), 0);
  snprintf(args, sizeof args, "plot layers %s --out %s/layers.svg", report, dir);
  cr_expect_eq(run_sched(args, NULL), 0, "%s", args);
  remove_dir(dir);
}

/* ---- studies (sweep files in experiments/sweeps, results in experiments/results) ---- */

/* Conv latency vs channel count is a step function with steps at 17, 33,
 * 49: compute is constant within a group of 16 channels and jumps between
 * groups; what changes inside a group is the (linear) DMA, much smaller.
 * Input channels have one more step, at 5: up to 4 run as a compressed conv
 * padded to 4. */
Test(study, channel_padding_steps_at_multiples_of_16) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/channel_padding.json", dir, "channel_padding", &t);
  cr_assert_eq(t.n_rows, 128);
  for (int family = 0; family < 2; family++) {
    double max_rise_in_step = 0, min_jump = INFINITY;
    for (int c = 2; c <= 64; c++) {
      int row = family * 64 + c - 1, prev = row - 1;
      double d_latency = num(&t, row, "latency_us") - num(&t, prev, "latency_us");
      double d_compute = num(&t, row, "compute_us") - num(&t, prev, "compute_us");
      bool compressed_step = family == 0 && c == 5;
      if ((c - 1) % 16 == 0 || compressed_step) { /* 17, 33, 49: a new group of 16 */
        cr_expect_gt(d_compute, 0, "family %d: compute steps up at c=%d", family, c);
        min_jump = fmin(min_jump, d_latency);
      } else {
        cr_expect_eq(d_compute, 0, "family %d: compute flat at c=%d", family, c);
        max_rise_in_step = fmax(max_rise_in_step, d_latency);
      }
    }
    cr_expect_gt(min_jump, 20 * max_rise_in_step, "steps %.3f us vs in-step rise %.3f us", min_jump,
                 max_rise_in_step);
  }
  exp_table_free(&t);
  remove_dir(dir);
}

static double dw_latency(const exp_table_t *t, const char *hw, const char *k) {
  return num(t, find_row(t, "hw", hw, "k", k, NULL), "latency_us");
}

/* 7x7 vs 3x3 depthwise: at a 7x7 map the kernel costs little (<= 1.5x,
 * fixed DMA latency and workload overhead dominate); at 112x112 it costs
 * >= 2x (compute grows with k^2); the ratio grows with the map. */
Test(study, depthwise_kernel_cost_grows_with_feature_map) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/dw_kernel.json", dir, "dw_kernel", &t);
  const char *maps[] = {"7", "14", "28", "56", "112"};
  double prev_ratio = 0;
  for (int i = 0; i < 5; i++) {
    double ratio = dw_latency(&t, maps[i], "7") / dw_latency(&t, maps[i], "3");
    cr_expect_geq(ratio, prev_ratio, "7x7/3x3 ratio grows with the map (%s: %.2f)", maps[i], ratio);
    prev_ratio = ratio;
  }
  cr_expect_leq(dw_latency(&t, "7", "7") / dw_latency(&t, "7", "3"), 1.5);
  cr_expect_geq(dw_latency(&t, "112", "7") / dw_latency(&t, "112", "3"), 2.0);
  exp_table_free(&t);
  remove_dir(dir);
}

/* PReLU per channel runs on SHAVE; ReLU fuses into the PPE. The ReLU EDSR
 * is faster, and the SHAVE layers' time explains the difference: within
 * +-50% of the plan model's delta (equal within 0.1% when the study was last
 * recorded, 26-32% of the ReLU latency: nothing overlaps the SHAVE layers; a
 * changed plan for the convs or a schedule that overlaps SHAVE with DMA
 * moves it). */
Test(study, edsr_relu_beats_prelu_by_the_shave_time) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/edsr_prelu.json", dir, "edsr_prelu", &t);
  const char *res[] = {"h=90,w=160", "h=180,w=320", "h=360,w=640"};
  for (int i = 0; i < 3; i++) {
    int relu = find_row(&t, "res", res[i], "act", "relu", NULL);
    int prelu = find_row(&t, "res", res[i], "act", "prelu", NULL);
    double shave_us = num(&t, prelu, "layers_shave_us");
    double delta = num(&t, prelu, "latency_us") - num(&t, relu, "latency_us");
    double plan_delta = plan_latency(&t, prelu) - plan_latency(&t, relu);
    cr_expect_str_eq(text(&t, relu, "layers_shave_us"), "", "ReLU EDSR has no SHAVE layer");
    cr_expect_gt(delta, 0.05 * num(&t, relu, "latency_us"), "%s: PReLU slower by %.1f us", res[i],
                 delta);
    cr_expect(plan_delta >= 0.5 * shave_us && plan_delta <= 1.5 * shave_us,
              "%s: plan delta %.3f us vs SHAVE time %.3f us", res[i], plan_delta, shave_us);
  }
  exp_table_free(&t);
  remove_dir(dir);
}

static double family_latency(const exp_table_t *t, const char *family, const char *res) {
  return num(t, find_row(t, "family", family, "res", res, NULL), "latency_us");
}

/* DW+PW beats the plain conv at classification sizes (28..112) and loses at
 * super-resolution sizes, where DW+PW is DMA-bound. */
Test(study, dwpw_wins_small_loses_at_super_resolution) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/dwpw_vs_conv.json", dir, "dwpw_vs_conv", &t);
  const char *small[] = {"28x28", "56x56", "112x112"}, *big[] = {"360x640", "720x1280"};
  for (int i = 0; i < 3; i++)
    cr_expect_lt(family_latency(&t, "nets/dwpw_{res}.json", small[i]),
                 family_latency(&t, "nets/conv_{res}.json", small[i]), "%s", small[i]);
  for (int i = 0; i < 2; i++) {
    int row = find_row(&t, "family", "nets/dwpw_{res}.json", "res", big[i], NULL);
    cr_expect_gt(family_latency(&t, "nets/dwpw_{res}.json", big[i]),
                 family_latency(&t, "nets/conv_{res}.json", big[i]), "%s", big[i]);
    cr_expect_gt(num(&t, row, "dma_us"), num(&t, row, "compute_us"), "%s DW+PW DMA-bound", big[i]);
  }
  exp_table_free(&t);
  remove_dir(dir);
}

static int upsample_row(const exp_table_t *t, const char *mode, const char *hw) {
  return find_row(t, "mode", mode, "hw", hw, NULL);
}

/* Nearest is free (no engine time of its own), bilinear becomes a DPU
 * (depthwise) layer, align_corners a SHAVE layer; nearest is cheapest. */
Test(study, upsample_nearest_free_bilinear_dpu_align_corners_shave) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/upsample.json", dir, "upsample", &t);
  const char *maps[] = {"28", "56", "112"}; /* nearest computes nothing; it moves data only
                                             * when its consumer is sliced (112) */
  for (int i = 0; i < 3; i++) {
    int nearest = upsample_row(&t, "nearest", maps[i]);
    int bilinear = upsample_row(&t, "bilinear", maps[i]);
    int corners = upsample_row(&t, "bilinear_align_corners", maps[i]);
    if (i < 2)
      cr_expect_eq(num(&t, nearest, "layers_none_us"), 0, "nearest is free at %s", maps[i]);
    cr_expect_gt(num(&t, bilinear, "layers_dpu_us"), num(&t, nearest, "layers_dpu_us"));
    cr_expect_gt(num(&t, corners, "layers_shave_us"), 0);
    cr_expect_lt(num(&t, nearest, "latency_us"), num(&t, bilinear, "latency_us"));
    cr_expect_lt(num(&t, nearest, "latency_us"), num(&t, corners, "latency_us"));
  }
  exp_table_free(&t);
  remove_dir(dir);
}

/* Silicon: align_corners on SHAVE is the slow one: the SHAVE kernel pays 4
 * taps and 3 lerps per output element (the complex-kernel factor), more than
 * the DPU's 4x4 depthwise conv over the zero-inserted input. */
Test(study, upsample_bilinear_dpu_beats_align_corners_shave) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/upsample.json", dir, "upsample", &t);
  cr_expect_lt(num(&t, upsample_row(&t, "bilinear", "56"), "latency_us"),
               num(&t, upsample_row(&t, "bilinear_align_corners", "56"), "latency_us"));
  exp_table_free(&t);
  remove_dir(dir);
}

/* Layer b (conv 1x1 64->128 on 56x56, u8, 2 clusters): HKSwitch needs
 * in/2 + w + out = 100352 + 8192 + 401408 B plus the 16 B/channel weight
 * table = 512000 B per cluster; it fits 90% of CMX from 568889 B on. The
 * spill-aware heuristics (their serial sum counts the spill HK avoids) pick
 * it wherever it fits (below, HKSwitch sliced into a pipeline, "HKSwitch/N"
 * in the strategies column, can still win); the ILP, on the clock,
 * may keep SOH and hide the spill under other layers' compute when HK's
 * extra bytes would cost prefetch room: it is never slower than dp. */
Test(study, hkswitch_chosen_exactly_while_it_fits) {
  const int64_t in = 64 * 56 * 56, out = 128 * 56 * 56, w = 64 * 128 + 16 * 128;
  const int64_t hk_bytes = in / 2 + w + out;
  cr_assert_eq(hk_bytes, 512000);
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/hkswitch.json", dir, "hkswitch", &t);
  int hk_seen = 0;
  for (int r = 0; r < t.n_rows; r++) {
    char strategies[256];
    snprintf(strategies, sizeof strategies, "%s", text(&t, r, "strategies"));
    strtok(strategies, " ");
    const char *b = strtok(NULL, " ");
    bool fits = (double)hk_bytes <= 0.9 * num(&t, r, "cmx_bytes");
    bool hk = b && strncmp(b, "HKSwitch", 8) == 0 && (b[8] == 0 || b[8] == '/');
    if (strcmp(text(&t, r, "solver"), "greedy") == 0) { /* spill-blind: never needs HK */
      cr_expect(!hk);
      continue;
    }
    if (strcmp(text(&t, r, "solver"), "ilp") == 0) {
      int dp = find_row(&t, "solver", "dp", "cmx", text(&t, r, "cmx"), NULL);
      cr_expect_leq(num(&t, r, "latency_us"), num(&t, dp, "latency_us") * 1.001, "ilp at %s",
                    text(&t, r, "cmx"));
      continue;
    }
    cr_expect(hk || !fits, "%s at %s: layer b %s, HK fits", text(&t, r, "solver"),
              text(&t, r, "cmx"), b);
    hk_seen += hk;
  }
  cr_expect_gt(hk_seen, 0);
  exp_table_free(&t);
  remove_dir(dir);
}

/* A slice of the solver comparison (the full one is
 * experiments/sweeps/solvers.json): the ILP, which starts from the best of
 * greedy, rollback, dp and anneal on the objective they all minimise (the
 * plan model's latency), never ends above greedy or rollback there, and
 * every solver finds a plan. */
Test(study, solver_comparison_exact_never_worse) {
  char *dir = make_tmp_dir();
  char path[512];
  snprintf(path, sizeof path, "%s/solvers_small.json", dir);
  /* one net: tests/test_solvers.c holds the ILP to every heuristic on the whole zoo */
  write_file(path, "{\"name\": \"solvers_small\", \"nets\": [\"fsrcnn\"], "
                   "\"cmx\": [\"512KB\", \"2MB\"],"
                   " \"solvers\": [\"greedy\", \"rollback\", \"dp\", \"ilp\"]}");
  exp_table_t t;
  run_sweep(path, dir, "solvers_small", &t);
  cr_assert_eq(t.n_rows, 8);
  for (int r = 0; r < t.n_rows; r += 4) {
    for (int k = 0; k < 4; k++)
      cr_expect_str_eq(text(&t, r + k, "status"), "ok", "%s", text(&t, r + k, "error"));
    double greedy = plan_latency(&t, r), rollback = plan_latency(&t, r + 1);
    double ilp = plan_latency(&t, r + 3); /* on the plan model; optimal only where proved */
    cr_expect_leq(ilp, fmin(greedy, rollback) + 1e-3, "%s %s", text(&t, r, "net"),
                  text(&t, r, "cmx"));
  }
  exp_table_free(&t);
  remove_dir(dir);
}

/* ---- the transformers study (experiments/results/transformers) ---- */

/* Bytes of the decoder's weights one decode step streams: every matmul's
 * (the gather reads one row). */
static double llm_weight_bytes(const char *spec) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_zoo_build(spec, &g, &d), SCHED_OK, "%s", d.msg);
  double bytes = 0;
  for (int i = 0; i < g.n_ops; i++)
    if (g.ops[i].kind == IR_OP_MATMUL)
      bytes += (double)ir_op_weight_bytes(&g, i);
  ir_graph_free(&g);
  return bytes;
}

/* Decode streams every weight once: its token rate is at most DDR
 * bandwidth / weight bytes and within 15% of it (91.9% of the bound on vpu27
 * and 90.5% on vpu40 when last recorded); prefill computes (compute / DMA
 * 0.59 and 0.79 then). */
Test(study, transformer_decode_tracks_weight_bandwidth) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/transformers.json", dir, "transformers", &t);
  double weights = llm_weight_bytes("llm:phase=decode");
  const char *archs[] = {"vpu27", "vpu40"};
  for (int i = 0; i < 2; i++) {
    arch_t a;
    cr_assert_eq(arch_preset(archs[i], &a, NULL), SCHED_OK);
    double bound = a.ddr_bandwidth_gbps * 1e9 / weights;
    int dec = find_row(&t, "net", "llm:phase=decode", "arch", archs[i], NULL);
    int pre = find_row(&t, "net", "llm", "arch", archs[i], NULL);
    double rate = num(&t, dec, "fps");
    cr_expect_leq(rate, bound, "%s: %.2f tokens/s above the bound %.2f", archs[i], rate, bound);
    cr_expect_geq(rate, 0.85 * bound, "%s: %.2f tokens/s, bound %.2f", archs[i], rate, bound);
    cr_expect_lt(num(&t, dec, "compute_us"), 0.25 * num(&t, dec, "dma_us"), "%s", archs[i]);
    double pre_ratio = num(&t, pre, "compute_us") / num(&t, pre, "dma_us");
    cr_expect_gt(pre_ratio, 0.35, "%s: prefill compute / DMA %.2f", archs[i], pre_ratio);
  }
  exp_table_free(&t);
  remove_dir(dir);
}

static double shave_share(const exp_table_t *t, int row) {
  double shave = num(t, row, "layers_shave_us");
  return shave / (shave + num(t, row, "layers_dpu_us"));
}

/* Attention grows with the square of the sequence, the projections with
 * the sequence: the SHAVE layers' share is larger at 512 tokens than at 64.
 * Not at every step: when last recorded it grew at every step on vpu40
 * (9.9% -> 24.9%) but dipped from 256 to 512 tokens on vpu27 (13.7% ->
 * 13.1%), where the DPU layers' time grows faster. */
Test(study, transformer_shave_share_grows_with_sequence) {
  char *dir = make_tmp_dir();
  exp_table_t t;
  run_sweep("experiments/sweeps/transformers_seq.json", dir, "transformers_seq", &t);
  const char *archs[] = {"vpu27", "vpu40"}, *seqs[] = {"64", "128", "256", "512"};
  for (int i = 0; i < 2; i++) { /* from the shortest to the longest sequence */
    double first = 0, last = 0;
    for (int s = 0; s < 4; s++) {
      int r = find_row(&t, "arch", archs[i], "seq", seqs[s], NULL);
      cr_assert_str_eq(text(&t, r, "status"), "ok", "%s", text(&t, r, "error"));
      if (s == 0)
        first = shave_share(&t, r);
      last = shave_share(&t, r);
    }
    cr_expect_gt(last, first, "%s: SHAVE share %.3f at 512 tokens, %.3f at 64", archs[i], last,
                 first);
  }
  exp_table_free(&t);
  remove_dir(dir);
}

/* On the 2-layer transformers of experiments/sweeps/transformers_ilp.json
 * the ILP (seeded with the best of greedy, rollback, dp and anneal, on the
 * plan model's clock) schedules no slower than dp: makespan bounds are
 * weak, so its gap after the default 100 nodes is reported, not asserted
 * (it proved 5 of the 8 optimal when last recorded). The study's points
 * but llm:layers=2 in prefill, whose two ILP runs took half the sweep's
 * time (20.8 of the 40.5 s of solve_ms summed over its 16 points in a
 * release build); tests/test_transformers.c
 * holds the ILP to every heuristic on a narrower prefill decoder. */
Test(study, transformer_ilp_never_slower_than_dp_on_two_layer_nets) {
  char *dir = make_tmp_dir();
  char path[512];
  snprintf(path, sizeof path, "%s/transformers_ilp_test.json", dir);
  write_file(path, "{\"name\": \"transformers_ilp_test\", \"nets\": [\"vit:depth=2\", "
                   "\"bert:layers=2\", \"llm:layers=2,phase=decode\"], \"archs\": [\"vpu27\", "
                   "\"vpu40\"], \"solvers\": [\"dp\", \"ilp\"], \"options\": [[\"--time-limit\", "
                   "\"120\"]]}");
  exp_table_t t;
  run_sweep(path, dir, "transformers_ilp_test", &t);
  cr_assert_eq(t.n_rows, 12);
  for (int r = 0; r < t.n_rows; r++) {
    cr_expect_str_eq(text(&t, r, "status"), "ok", "%s", text(&t, r, "error"));
    if (strcmp(text(&t, r, "solver"), "ilp") != 0)
      continue;
    int dp =
        find_row(&t, "solver", "dp", "net", text(&t, r, "net"), "arch", text(&t, r, "arch"), NULL);
    cr_expect_leq(num(&t, r, "latency_us"), num(&t, dp, "latency_us") * 1.001, "%s %s",
                  text(&t, r, "net"), text(&t, r, "arch"));
  }
  exp_table_free(&t);
  remove_dir(dir);
}

Test(plot, no_arguments_is_an_error) {
  cr_expect_eq(run_sched("plot", NULL), 2, "sched plot with nothing to plot must not exit 0");
}

/* Plots never average silently, and their axes say what they show. */
Test(plot, shared_keys_are_an_error_and_axes_follow_scale_and_gap) {
  char *dir = make_tmp_dir();
  char csv[512];
  snprintf(csv, sizeof csv, "%s/d.csv", dir);
  write_file(csv, "status,cmx_bytes,solver,arch,latency_us\nok,1048576,dp,vpu27,5\n"
                  "ok,1048576,dp,vpu40,3\nok,2097152,dp,vpu27,4\nok,2097152,ilp,vpu27,3.5\n");
  exp_table_t t;
  sched_diag_t d = {{0}};
  cr_assert_eq(exp_table_read_csv(csv, &t, &d), SCHED_OK, "%s", d.msg);
  exp_plot_params_t p = {.kind = EXP_PLOT_LINES,
                         .x = "cmx_bytes",
                         .y = "latency_us",
                         .series = "solver",
                         .x_scale = 1048576};
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cr_expect_eq(exp_plot_script(&t, &p, "x.png", f, &d), SCHED_ERR_INPUT);
  cr_expect_str_eq(d.msg, "rows 1 and 2 share panel '', series 'dp' and cmx_bytes '1048576' (y 5 "
                          "and 3): tell them apart with --series, --panel or --where COL=VALUE");
  p.panel = "arch";
  rewind(f);
  cr_assert_eq(exp_plot_script(&t, &p, "x.png", f, &d), SCHED_OK, "%s", d.msg);
  fflush(f);
  cr_expect_not_null(strstr(text, "set xlabel \"cmx_bytes / 1048576\""), "%s", text);
  p = (exp_plot_params_t){.kind = EXP_PLOT_GAP,
                          .x = "cmx_bytes",
                          .y = "latency_us",
                          .series = "solver",
                          .panel = "arch"};
  rewind(f);
  cr_assert_eq(exp_plot_script(&t, &p, "x.png", f, &d), SCHED_OK, "%s", d.msg);
  fflush(f);
  cr_expect_not_null(strstr(text, "set ylabel \"% above the best solver (latency_us)\""), "%s",
                     text);
  fclose(f);
  free(text);
  exp_table_free(&t);
  remove_dir(dir);
}
