/* cmd_lut.c - `sched lut --space FILE.json [--out table.csv] ...`: the
 * per-op latency table of a NAS search space (every candidate at every
 * position, each planned alone by the pipeline), then the additivity check
 * on random networks of the space; `--stack N` adds the operator-stacking
 * estimate per entry (advisor/advisor.h). The table goes to --out (or
 * stdout); the additivity report to stdout (stderr when the table is on
 * stdout); the wall time to stderr, so stdout stays byte-identical. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/cli.h"
#include "tools/measure.h"

typedef struct {
  const char *space, *out, *arch, *cmx, *cost, *solver;
  double time_limit_s;
  int64_t samples, seed, stack;
  bool help;
} lut_options_t;

#define LUT_FIELD(f) offsetof(lut_options_t, f)

static const cli_option_t lut_flags[] = {
    CLI_OPT("--space", CLI_ARG_STRING, LUT_FIELD(space), "FILE.json",
            "the search space (see README.md, experiments/spaces/)"),
    CLI_OPT("--out", CLI_ARG_STRING, LUT_FIELD(out), "FILE",
            "write the table here (default: stdout)"),
    CLI_OPT("--cmx", CLI_ARG_STRING, LUT_FIELD(cmx), "SIZE",
            "CMX budget per tile (default: the arch's workspace)"),
    CLI_OPT("--arch", CLI_ARG_STRING, LUT_FIELD(arch), "NAME|FILE",
            "vpu20, vpu27 (default), vpu40, or an arch JSON file"),
    CLI_OPT("--cost", CLI_ARG_STRING, LUT_FIELD(cost), "SPEC",
            "analytic (default) or lut:FILE.csv"),
    CLI_OPT("--solver", CLI_ARG_STRING, LUT_FIELD(solver), "NAME",
            "solver for every plan (default ilp)"),
    CLI_NUM("--time-limit", CLI_ARG_DOUBLE, LUT_FIELD(time_limit_s), "SEC",
            "solver wall-clock limit per plan (default 10)", 1e-3, CLI_MAX_SECONDS),
    CLI_NUM("--samples", CLI_ARG_INT, LUT_FIELD(samples), "N",
            "random networks in the additivity check (default 50; 0: skip)", 0, 100000),
    CLI_NUM("--seed", CLI_ARG_INT, LUT_FIELD(seed), "N", "their random seed (default 1)", 0,
            100000),
    CLI_NUM("--stack", CLI_ARG_INT, LUT_FIELD(stack), "N",
            "add the stacking estimate (N copies) per entry", 0, 100000),
    CLI_OPT("--help", CLI_ARG_FLAG, LUT_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, LUT_FIELD(help), NULL, "this help"),
};

static cli_spec_t lut_spec(void) {
  return (cli_spec_t){
      .command = "lut", .options = lut_flags, .n_options = SCHED_ARRAY_LEN(lut_flags)};
}

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: sched lut --space FILE.json [--out table.csv] [options]\n\n"
          "Writes a CSV latency table of every candidate op at every position of a NAS search\n"
          "space, each planned alone (input from DDR, output to DDR, its own strategy), then\n"
          "compares the sum of LUT entries with whole planned networks sampled from the space.\n\n"
          "options:\n");
  cli_spec_t spec = lut_spec();
  cli_print_options(&spec, out);
}

static int parse_options(int argc, char **argv, lut_options_t *o) {
  *o = (lut_options_t){.arch = "vpu27",
                       .cost = "analytic",
                       .solver = "ilp",
                       .time_limit_s = 10,
                       .samples = 50,
                       .seed = 1};
  cli_spec_t spec = lut_spec();
  if (cli_parse(&spec, argc, argv, o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (!o->help && !o->space)
    return cli_error("lut: --space is required (see sched lut --help)");
  return CLI_EXIT_OK;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void print_additivity(const advisor_space_t *s, const lut_options_t *o,
                             const advisor_additivity_t *a, FILE *out) {
  fprintf(out,
          "# additivity: %d random networks of %s (seed %lld): sum of LUT entries vs the "
          "whole network planned\n",
          a->n_nets, s->name, (long long)o->seed);
  fprintf(out, "#   mean network latency_us %.2f, mean LUT sum_us %.2f\n", a->mean_net_us,
          a->mean_sum_us);
  fprintf(out,
          "#   |error| mean %.2f%%, p50 %.2f%%, p90 %.2f%%, p95 %.2f%%, max %.2f%%; "
          "signed mean %+.2f%% (positive: the LUT sum overestimates)\n",
          a->mean_abs_pct, a->p50_abs_pct, a->p90_abs_pct, a->p95_abs_pct, a->max_abs_pct,
          a->mean_signed_pct);
}

static int write_table(const lut_options_t *o, const advisor_space_t *s, const advisor_lut_t *lut,
                       sched_diag_t *diag) {
  if (!o->out) {
    advisor_lut_write_csv(s, lut, stdout);
    return SCHED_OK;
  }
  sched_out_t out;
  int rc = sched_out_open(&out, o->out, diag);
  if (rc != SCHED_OK)
    return rc;
  advisor_lut_write_csv(s, lut, out.f);
  return sched_out_commit(&out, diag);
}

static int lut_run(const lut_options_t *o, const advisor_space_t *s, sched_diag_t *diag) {
  pipeline_options_t po = pipeline_defaults();
  po.arch = o->arch;
  po.cmx = o->cmx;
  po.cost = o->cost;
  po.solver = o->solver;
  po.time_limit_s = o->time_limit_s;
  advisor_measurer_t m = measure_measurer(&po);
  advisor_lut_t lut;
  double t0 = now_s();
  int rc = advisor_lut_build(s, &m, (int32_t)o->stack, &lut, diag);
  double table_s = now_s() - t0;
  if (rc == SCHED_OK)
    rc = write_table(o, s, &lut, diag);
  fprintf(stderr, "sched lut: %d entries over %d positions in %.2f s\n", lut.n_entries,
          s->n_positions, table_s);
  advisor_additivity_t a;
  if (rc == SCHED_OK && o->samples > 0)
    rc = advisor_additivity_check(s, &lut, &m, (int32_t)o->samples, (uint64_t)o->seed, &a, diag);
  if (rc == SCHED_OK && o->samples > 0)
    print_additivity(s, o, &a, o->out ? stdout : stderr);
  advisor_lut_free(&lut);
  return rc;
}

int cmd_lut(int argc, char **argv) {
  lut_options_t o;
  if (parse_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o.help) {
    print_usage(stdout);
    return CLI_EXIT_OK;
  }
  sched_diag_t diag = {{0}};
  advisor_space_t space;
  int rc = advisor_space_read(o.space, &space, &diag);
  if (rc == SCHED_OK)
    rc = lut_run(&o, &space, &diag);
  advisor_space_free(&space);
  if (rc == SCHED_OK)
    return CLI_EXIT_OK;
  cli_error("%s", diag.msg);
  return rc == SCHED_ERR_INPUT || rc == SCHED_ERR_NOMEM ? CLI_EXIT_INPUT : CLI_EXIT_NO;
}
