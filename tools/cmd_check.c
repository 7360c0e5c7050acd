/* cmd_check.c - `sched check --net NET --arch TARGET`: which ops of a
 * network a target's NPU cannot run, before any conversion.
 *
 * Loads the network (unfused: every op as the source model has it) and the
 * target, runs the operator-rule checker (arch_check_graph) and prints, as
 * vendor model checkers do, every op that falls back to the CPU with the
 * rule it breaks and the off-limit parameter values, then every performance
 * tip an op misses, the rules the IR cannot check, and where ops and MACs
 * run. Exit 0 when every op runs on the NPU (tips do not fail), 1 when any
 * falls back, 2 on bad input. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arch/arch.h"
#include "tools/cli.h"

typedef struct {
  const char *net, *arch, *format;
  bool help;
} check_args_t;

#define CHECK_FIELD(f) offsetof(check_args_t, f)

static const cli_option_t check_flags[] = {
    CLI_OPT("--net", CLI_ARG_STRING, CHECK_FIELD(net), "NET",
            "zoo name (name:key=value,...), FILE.onnx or FILE.json"),
    CLI_OPT("--arch", CLI_ARG_STRING, CHECK_FIELD(arch), "TARGET",
            "artpec7, artpec8, artpec9, cv25 (arch/targets/), a preset\nor an arch JSON file"),
    CLI_OPT("--format", CLI_ARG_STRING, CHECK_FIELD(format), "text|json",
            "output format (default text)"),
    CLI_OPT("--help", CLI_ARG_FLAG, CHECK_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, CHECK_FIELD(help), NULL, "this help"),
};

static cli_spec_t check_spec(void) {
  return (cli_spec_t){
      .command = "check", .options = check_flags, .n_options = SCHED_ARRAY_LEN(check_flags)};
}

static void check_usage(FILE *out) {
  fputs("usage: sched check --net NET --arch TARGET [--format text|json]\n"
        "\n"
        "Checks every op of a network against a target's operator rules: restrictions\n"
        "(broken: the op falls back to the CPU) and performance tips (missed: slower).\n"
        "\n",
        out);
  cli_spec_t spec = check_spec();
  cli_print_options(&spec, out);
  fputs("\nExit status: 0 all ops run on the NPU, 1 some fall back to the CPU, 2 bad input.\n",
        out);
}

static int parse_args(int argc, char **argv, check_args_t *a) {
  *a = (check_args_t){.format = "text"};
  cli_spec_t spec = check_spec();
  if (cli_parse(&spec, argc, argv, a) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (a->help)
    return CLI_EXIT_OK;
  if (!a->net || !a->arch)
    return cli_error("check: --net and --arch are required (see sched check --help)");
  if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0)
    return cli_error("check: --format: unknown format '%s' (text or json)", a->format);
  return CLI_EXIT_OK;
}

/* What each placement means, in the words of seeds/003. */
static const char *place_advice(arch_place_t p) {
  switch (p) {
  case ARCH_PLACE_MIDDLE:
    return "middle of the network (NPU ops before and after: breaks streaming; adjust its "
           "parameters, replace the op or modify the model)";
  case ARCH_PLACE_START:
    return "start of the network (consider moving it into host pre-processing)";
  case ARCH_PLACE_END: return "end of the network (consider moving it into host post-processing)";
  case ARCH_PLACE_ALONE: return "no NPU op on either side (runs entirely on the CPU)";
  case ARCH_PLACE_NPU: break;
  }
  return "";
}

/* ---- text ---- */

static void print_finding(const arch_t *a, const arch_finding_t *f, FILE *out) {
  fprintf(out, "    %s: %s\n      rule: %s\n", arch_finding_rule_id(a, f), f->detail,
          arch_finding_rule_text(a, f));
}

static void print_op_header(const ir_graph_t *g, int op, FILE *out) {
  fprintf(out, "  op %d '%s' (%s)", op, g->ops[op].name,
          arch_op_class_name(arch_op_class_of(g, op)));
}

static void print_fallbacks(const arch_t *a, const ir_graph_t *g, const arch_check_t *c,
                            FILE *out) {
  fprintf(out, "\nfallback to CPU: %lld op%s\n", (long long)c->ops_cpu, c->ops_cpu == 1 ? "" : "s");
  for (int op = 0; op < g->n_ops; op++) {
    if (!c->on_cpu[op])
      continue;
    print_op_header(g, op, out);
    fprintf(out, ": %d DDR transfer%s, at the %s\n", c->transfers[op],
            c->transfers[op] == 1 ? "" : "s", place_advice(c->place[op]));
    for (int i = 0; i < c->n_findings; i++)
      if (c->findings[i].op == op && c->findings[i].kind == ARCH_RULE_RESTRICTION)
        print_finding(a, &c->findings[i], out);
  }
}

static int count_kind(const arch_check_t *c, arch_rule_kind_t kind) {
  int n = 0;
  for (int i = 0; i < c->n_findings; i++)
    n += c->findings[i].kind == kind;
  return n;
}

static void print_tips(const arch_t *a, const ir_graph_t *g, const arch_check_t *c, FILE *out) {
  fprintf(out, "\nperformance tips missed: %d\n", count_kind(c, ARCH_RULE_TIP));
  int last_op = -1;
  for (int i = 0; i < c->n_findings; i++) {
    const arch_finding_t *f = &c->findings[i];
    if (f->kind != ARCH_RULE_TIP)
      continue;
    if (f->op != last_op) {
      print_op_header(g, f->op, out);
      fputc('\n', out);
    }
    last_op = f->op;
    print_finding(a, f, out);
  }
}

static void print_unchecked(const arch_t *a, const arch_check_t *c, FILE *out) {
  int n = 0;
  for (int r = 0; r < a->rules.n_rules; r++)
    n += c->rule_unchecked[r];
  if (n == 0)
    return;
  fprintf(out,
          "\nnot checked (need quantisation scales or other data the IR does not carry): "
          "%d rule%s\n",
          n, n == 1 ? "" : "s");
  for (int r = 0; r < a->rules.n_rules; r++)
    if (c->rule_unchecked[r])
      fprintf(out, "    %s: %s\n", a->rules.rules[r].id, a->rules.rules[r].text);
}

static double percent(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_summary(const arch_check_t *c, FILE *out) {
  int64_t ops = c->ops_npu + c->ops_cpu, macs = c->macs_npu + c->macs_cpu;
  int by_place[ARCH_PLACE_ALONE + 1] = {0}, transfers = 0;
  for (int i = 0; i < c->n_ops; i++) {
    by_place[c->place[i]] += c->on_cpu[i];
    transfers += c->transfers[i];
  }
  fprintf(out, "\nsummary:\n  ops: %lld on NPU, %lld on CPU (of %lld)\n", (long long)c->ops_npu,
          (long long)c->ops_cpu, (long long)ops);
  fprintf(out, "  MACs: %lld on NPU (%.1f%%), %lld on CPU (%.1f%%)\n", (long long)c->macs_npu,
          percent(c->macs_npu, macs), (long long)c->macs_cpu, percent(c->macs_cpu, macs));
  if (c->ops_cpu == 0) {
    fprintf(out, "verdict: every op runs on the NPU (%d performance tip%s missed)\n",
            count_kind(c, ARCH_RULE_TIP), count_kind(c, ARCH_RULE_TIP) == 1 ? "" : "s");
    return;
  }
  fprintf(out,
          "verdict: %lld op%s back to the CPU (%d in the middle, %d at the start, %d at "
          "the end, %d alone): %d NPU/CPU transfers through DDR\n",
          (long long)c->ops_cpu, c->ops_cpu == 1 ? " falls" : "s fall", by_place[ARCH_PLACE_MIDDLE],
          by_place[ARCH_PLACE_START], by_place[ARCH_PLACE_END], by_place[ARCH_PLACE_ALONE],
          transfers);
}

static void print_text(const check_args_t *args, const arch_t *a, const ir_graph_t *g,
                       const arch_check_t *c, FILE *out) {
  char mem[32];
  fprintf(out,
          "# sched check: net %s, target %s (%d core%s, %s per core, %d MACs/cycle at %g MHz)\n",
          args->net, a->name, a->tiles, a->tiles == 1 ? "" : "s",
          arch_format_size(a->cmx_workspace_bytes, mem, sizeof mem),
          a->macs_per_cycle_int8 * a->dpus_per_tile, a->dpu_clock_mhz);
  if (a->rules.source[0])
    fprintf(out, "# rules: %s\n", a->rules.source);
  print_fallbacks(a, g, c, out);
  print_tips(a, g, c, out);
  print_unchecked(a, c, out);
  print_summary(c, out);
}

/* ---- json ---- */

static cJSON *finding_json(const arch_t *a, const ir_graph_t *g, const arch_finding_t *f) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "op", g->ops[f->op].name);
  cJSON_AddStringToObject(j, "class", arch_op_class_name(arch_op_class_of(g, f->op)));
  cJSON_AddStringToObject(j, "rule", arch_finding_rule_id(a, f));
  cJSON_AddStringToObject(j, "text", arch_finding_rule_text(a, f));
  cJSON_AddStringToObject(j, "detail", f->detail);
  return j;
}

static cJSON *fallbacks_json(const arch_t *a, const ir_graph_t *g, const arch_check_t *c) {
  cJSON *arr = cJSON_CreateArray();
  for (int op = 0; op < g->n_ops; op++) {
    if (!c->on_cpu[op])
      continue;
    cJSON *j = cJSON_CreateObject(), *why = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "op", g->ops[op].name);
    cJSON_AddStringToObject(j, "class", arch_op_class_name(arch_op_class_of(g, op)));
    cJSON_AddStringToObject(j, "place", arch_place_name(c->place[op]));
    cJSON_AddNumberToObject(j, "ddr_transfers", c->transfers[op]);
    cJSON_AddNumberToObject(j, "macs", (double)ir_op_macs(g, op));
    for (int i = 0; i < c->n_findings; i++)
      if (c->findings[i].op == op && c->findings[i].kind == ARCH_RULE_RESTRICTION)
        cJSON_AddItemToArray(why, finding_json(a, g, &c->findings[i]));
    cJSON_AddItemToObject(j, "broken", why);
    cJSON_AddItemToArray(arr, j);
  }
  return arr;
}

static cJSON *summary_json(const arch_check_t *c) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "ops_npu", (double)c->ops_npu);
  cJSON_AddNumberToObject(j, "ops_cpu", (double)c->ops_cpu);
  cJSON_AddNumberToObject(j, "macs_npu", (double)c->macs_npu);
  cJSON_AddNumberToObject(j, "macs_cpu", (double)c->macs_cpu);
  return j;
}

static int print_json(const check_args_t *args, const arch_t *a, const ir_graph_t *g,
                      const arch_check_t *c, FILE *out) {
  cJSON *root = cJSON_CreateObject(), *tips = cJSON_CreateArray(), *unchecked = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "net", args->net);
  cJSON_AddStringToObject(root, "arch", a->name);
  cJSON_AddStringToObject(root, "source", a->rules.source);
  cJSON_AddStringToObject(root, "verdict", c->ops_cpu ? "fallback" : "npu");
  cJSON_AddItemToObject(root, "fallback", fallbacks_json(a, g, c));
  for (int i = 0; i < c->n_findings; i++)
    if (c->findings[i].kind == ARCH_RULE_TIP)
      cJSON_AddItemToArray(tips, finding_json(a, g, &c->findings[i]));
  cJSON_AddItemToObject(root, "tips", tips);
  for (int r = 0; r < a->rules.n_rules; r++)
    if (c->rule_unchecked[r])
      cJSON_AddItemToArray(unchecked, cJSON_CreateString(a->rules.rules[r].id));
  cJSON_AddItemToObject(root, "unchecked", unchecked);
  cJSON_AddItemToObject(root, "summary", summary_json(c));
  char *text = sched_json_print(root, true);
  cJSON_Delete(root);
  if (!text)
    return cli_error("out of memory");
  fprintf(out, "%s\n", text);
  free(text);
  return CLI_EXIT_OK;
}

int cmd_check(int argc, char **argv) {
  check_args_t args;
  if (parse_args(argc, argv, &args) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (args.help) {
    check_usage(stdout);
    return CLI_EXIT_OK;
  }
  arch_t *a = sched_xcalloc(1, sizeof *a);
  ir_graph_t g = {0};
  sched_diag_t diag = {{0}};
  int code = CLI_EXIT_INPUT;
  if (arch_load(args.arch, a, &diag) != SCHED_OK ||
      ir_graph_load(args.net, &(ir_onnx_options_t){.warnings = stderr}, &g, &diag) != SCHED_OK) {
    cli_error("%s", diag.msg);
    goto done;
  }
  arch_check_t c;
  arch_check_graph(a, &g, &c);
  code = CLI_EXIT_OK;
  if (strcmp(args.format, "json") == 0)
    code = print_json(&args, a, &g, &c, stdout);
  else
    print_text(&args, a, &g, &c, stdout);
  if (code == CLI_EXIT_OK && c.ops_cpu > 0)
    code = CLI_EXIT_NO;
  arch_check_free(&c);
done:
  ir_graph_free(&g);
  free(a);
  return code;
}
