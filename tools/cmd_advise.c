/* cmd_advise.c - `sched advise --net NET [--cmx SIZE] ...`: what a model
 * designer should change. Plans the network, runs the advisor's detectors
 * on the plan, measures each rewrite on a copy planned the same way, and
 * prints the findings ranked by measured saving (advisor/advisor.h). */
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/measure.h"

typedef struct {
  const char *net, *arch, *cmx, *cost, *solver, *format;
  double time_limit_s;
  bool help;
} advise_options_t;

typedef struct {
  const char *flag, *metavar, *help;
} advise_flag_t;

static const advise_flag_t advise_flags[] = {
    {"--net", "NET", "zoo name (name:key=value,...), FILE.onnx or FILE.json (required)"},
    {"--cmx", "SIZE", "CMX budget per tile (default: the arch's workspace)"},
    {"--arch", "NAME|FILE", "vpu20, vpu27 (default), vpu40, or an arch JSON file"},
    {"--cost", "SPEC", "analytic (default) or lut:FILE.csv"},
    {"--solver", "NAME", "the solver every variant is planned with (default ilp)"},
    {"--format", "FMT", "text (default) or json"},
    {"--time-limit", "SEC", "solver wall-clock limit per plan (default 10)"},
    {"--help", NULL, "this help"},
};

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: sched advise --net NET [--cmx SIZE] [options]\n\n"
          "Finds hardware-unfriendly patterns (SHAVE activations, channel counts, align_corners\n"
          "upsampling, DW+PW chains at high resolution, distribution spills, tiny channels),\n"
          "applies each rewrite to a copy of the network, re-plans it with the same solver and\n"
          "prints the measured saving, ranked, with a one-line accuracy caveat.\n\noptions:\n");
  for (int i = 0; i < SCHED_ARRAY_LEN(advise_flags); i++) {
    char left[40];
    snprintf(left, sizeof left, "%s %s", advise_flags[i].flag,
             advise_flags[i].metavar ? advise_flags[i].metavar : "");
    fprintf(out, "  %-24s %s\n", left, advise_flags[i].help);
  }
}

static const char **string_field(advise_options_t *o, const char *flag) {
  const char *names[] = {"--net", "--cmx", "--arch", "--cost", "--solver", "--format"};
  const char **fields[] = {&o->net, &o->cmx, &o->arch, &o->cost, &o->solver, &o->format};
  for (int i = 0; i < SCHED_ARRAY_LEN(names); i++)
    if (strcmp(flag, names[i]) == 0)
      return fields[i];
  return NULL;
}

static int unknown_flag(const char *arg) {
  const char *names[SCHED_ARRAY_LEN(advise_flags) + 1];
  for (int i = 0; i < SCHED_ARRAY_LEN(advise_flags); i++)
    names[i] = advise_flags[i].flag;
  names[SCHED_ARRAY_LEN(advise_flags)] = NULL;
  const char *guess = cli_suggest(arg, names);
  if (guess)
    return cli_error("unknown option '%s' (did you mean '%s'?)", arg, guess);
  return cli_error("unknown option '%s' (see sched advise --help)", arg);
}

static int parse_options(int argc, char **argv, advise_options_t *o) {
  *o = (advise_options_t){
      .arch = "vpu27", .cost = "analytic", .solver = "ilp", .format = "text", .time_limit_s = 10};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      o->help = true;
      continue;
    }
    const char **field = string_field(o, argv[i]);
    bool is_limit = strcmp(argv[i], "--time-limit") == 0;
    if (!field && !is_limit)
      return unknown_flag(argv[i]);
    if (i + 1 >= argc)
      return cli_error("%s needs a value", argv[i]);
    if (field) {
      *field = argv[++i];
      continue;
    }
    if (cli_double("--time-limit", argv[++i], 0, CLI_MAX_SECONDS, &o->time_limit_s) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
    if (o->time_limit_s <= 0)
      return cli_error("--time-limit: expected a positive number, got '%s'", argv[i]);
  }
  if (!o->help && !o->net)
    return cli_error("--net is required (see sched advise --help)");
  if (strcmp(o->format, "text") != 0 && strcmp(o->format, "json") != 0)
    return cli_error("--format: unknown format '%s' (text or json)", o->format);
  return CLI_EXIT_OK;
}

static pipeline_options_t pipeline_options(const advise_options_t *o, const ir_graph_t *net) {
  pipeline_options_t po = pipeline_defaults();
  po.graph = net;
  po.arch = o->arch;
  po.cmx = o->cmx;
  po.cost = o->cost;
  po.solver = o->solver;
  po.time_limit_s = o->time_limit_s;
  return po;
}

static void print_header(const advise_options_t *o, const pipeline_t *p) {
  char cmx[32];
  arch_format_size(p->problem.capacity_bytes, cmx, sizeof cmx);
  printf("# arch %s, CMX budget %s per tile, solver %s, cost %s; latency: scheduled\n",
         p->arch.name, cmx, o->solver, o->cost);
}

/* Plans the baseline for the detectors, then runs the advisor. */
static int advise(const advise_options_t *o, const ir_graph_t *net, sched_diag_t *diag) {
  pipeline_options_t po = pipeline_options(o, net);
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  advisor_report_t report = {0};
  advisor_params_t params = advisor_params_default();
  int rc = pipeline_run(&po, p, diag);
  if (rc == SCHED_OK) {
    advisor_input_t in = {
        .net = net, .arch = &p->arch, .problem = &p->problem, .plan = pipeline_chosen(p)->plan};
    advisor_measurer_t m = measure_measurer(&po);
    rc = advisor_run(&in, &params, &m, &report, diag);
  }
  if (rc == SCHED_OK && strcmp(o->format, "json") == 0)
    rc = advisor_report_json(&report, o->net, stdout);
  else if (rc == SCHED_OK) {
    print_header(o, p);
    advisor_report_text(&report, o->net, &params, stdout);
  }
  advisor_report_free(&report);
  pipeline_free(p);
  free(p);
  return rc;
}

int cmd_advise(int argc, char **argv) {
  advise_options_t o;
  if (parse_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o.help) {
    print_usage(stdout);
    return CLI_EXIT_OK;
  }
  sched_diag_t diag = {{0}};
  ir_graph_t net = {0};
  ir_onnx_options_t onnx = {.warnings = stderr};
  int rc = ir_graph_load(o.net, &onnx, &net, &diag);
  if (rc == SCHED_OK)
    rc = advise(&o, &net, &diag);
  ir_graph_free(&net);
  if (rc == SCHED_OK)
    return CLI_EXIT_OK;
  cli_error("%s", diag.msg);
  return rc == SCHED_ERR_INPUT || rc == SCHED_ERR_NOMEM ? CLI_EXIT_INPUT : CLI_EXIT_NO;
}
