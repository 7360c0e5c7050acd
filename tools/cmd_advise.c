/* cmd_advise.c - `sched advise --net NET [--cmx SIZE] ...`: what a model
 * designer should change. Plans the network, runs the advisor's detectors
 * on the plan, measures each rewrite on a copy planned the same way, and
 * prints the findings ranked by measured saving (advisor/advisor.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/measure.h"

typedef struct {
  const char *net, *arch, *cmx, *cost, *solver, *format;
  double time_limit_s;
  bool help;
} advise_options_t;

#define ADVISE_FIELD(f) offsetof(advise_options_t, f)

static const cli_option_t advise_flags[] = {
    CLI_OPT("--net", CLI_ARG_STRING, ADVISE_FIELD(net), "NET",
            "zoo name (name:key=value,...), FILE.onnx or FILE.json (required)"),
    CLI_OPT("--cmx", CLI_ARG_STRING, ADVISE_FIELD(cmx), "SIZE",
            "CMX budget per tile (default: the arch's workspace)"),
    CLI_OPT("--arch", CLI_ARG_STRING, ADVISE_FIELD(arch), "NAME|FILE",
            "vpu20, vpu27 (default), vpu40, or an arch JSON file"),
    CLI_OPT("--cost", CLI_ARG_STRING, ADVISE_FIELD(cost), "SPEC",
            "analytic (default) or lut:FILE.csv"),
    CLI_OPT("--solver", CLI_ARG_STRING, ADVISE_FIELD(solver), "NAME",
            "the solver every variant is planned with (default ilp)"),
    CLI_OPT("--format", CLI_ARG_STRING, ADVISE_FIELD(format), "FMT", "text (default) or json"),
    CLI_NUM("--time-limit", CLI_ARG_DOUBLE, ADVISE_FIELD(time_limit_s), "SEC",
            "solver wall-clock limit per plan (default 10)", 1e-3, CLI_MAX_SECONDS),
    CLI_OPT("--help", CLI_ARG_FLAG, ADVISE_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, ADVISE_FIELD(help), NULL, "this help"),
};

static cli_spec_t advise_spec(void) {
  return (cli_spec_t){
      .command = "advise", .options = advise_flags, .n_options = SCHED_ARRAY_LEN(advise_flags)};
}

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: sched advise --net NET [--cmx SIZE] [options]\n\n"
          "Finds hardware-unfriendly patterns (SHAVE activations, channel counts, align_corners\n"
          "upsampling, DW+PW chains at high resolution, distribution spills, tiny channels),\n"
          "applies each rewrite to a copy of the network, re-plans it with the same solver and\n"
          "prints the measured saving, ranked, with a one-line accuracy caveat.\n\noptions:\n");
  cli_spec_t spec = advise_spec();
  cli_print_options(&spec, out);
}

static int parse_options(int argc, char **argv, advise_options_t *o) {
  *o = (advise_options_t){
      .arch = "vpu27", .cost = "analytic", .solver = "ilp", .format = "text", .time_limit_s = 10};
  cli_spec_t spec = advise_spec();
  if (cli_parse(&spec, argc, argv, o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (!o->help && !o->net)
    return cli_error("advise: --net is required (see sched advise --help)");
  if (strcmp(o->format, "text") != 0 && strcmp(o->format, "json") != 0)
    return cli_error("advise: --format: unknown format '%s' (text or json)", o->format);
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
