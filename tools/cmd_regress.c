/* cmd_regress.c - `sched regress [--update] [--golden FILE]`: re-runs the
 * golden points (in parallel, as sweep does) and fails when a modelled number
 * changed. `--update` rewrites the golden file from this run; with
 * `--points SWEEP` it takes the point list from a sweep file instead. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/experiments.h"
#include "tools/cli.h"

typedef struct {
  const char *golden;
  const char *points; /* a sweep file: the point set for --update */
  const char *program;
  int jobs;
  double timeout_s;
  bool update, verbose, help;
} regress_options_t;

static void regress_usage(FILE *out) {
  fprintf(out,
          "usage: sched regress [--golden FILE] [--update [--points SWEEP]] [-j N] [--verbose]\n"
          "                     [--timeout SEC] [--sched PATH]\n\n"
          "Re-runs the points of the golden file (default experiments/golden.json) and\n"
          "compares their modelled numbers exactly: latency_us, ddr_bytes, spill_bytes,\n"
          "peak_cmx_bytes, barriers_used. Exit 1 when one changed or a point failed.\n"
          "Solve time (measured) changing beyond 2x is a warning. --update rewrites the\n"
          "golden file from this run (points from SWEEP when given).\n");
}

static int parse_regress_options(int argc, char **argv, regress_options_t *o) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  *o = (regress_options_t){
      .golden = "experiments/golden.json", .jobs = cores > 0 ? (int)cores : 2, .timeout_s = 300};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    int code = CLI_EXIT_OK;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      o->help = true;
    else if (strcmp(a, "--update") == 0)
      o->update = true;
    else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
      o->verbose = true;
    else if (strcmp(a, "--golden") == 0 && has_value)
      o->golden = argv[++i];
    else if (strcmp(a, "--points") == 0 && has_value)
      o->points = argv[++i];
    else if (strcmp(a, "--sched") == 0 && has_value)
      o->program = argv[++i];
    else if (strcmp(a, "-j") == 0 && has_value)
      code = cli_int("regress: -j", argv[++i], 1, 1024, &o->jobs);
    else if (strcmp(a, "--timeout") == 0 && has_value)
      code = cli_double("regress: --timeout", argv[++i], 0, CLI_MAX_SECONDS, &o->timeout_s);
    else
      return cli_error("regress: unknown option or missing value '%s' (see sched regress --help)",
                       a);
    if (code != CLI_EXIT_OK)
      return code;
  }
  if (o->jobs < 1 || o->jobs > 1024)
    return cli_error("regress: -j must be 1..1024, got %d", o->jobs);
  if (o->points && !o->update)
    return cli_error("regress: --points only goes with --update");
  return CLI_EXIT_OK;
}

/* The points to run, and (unless --points) what the golden file expects. */
static int load_points(const regress_options_t *o, exp_sweep_t *points, cJSON **expected,
                       sched_diag_t *diag) {
  *expected = NULL;
  if (o->points)
    return exp_sweep_load(o->points, points, diag);
  return exp_golden_load(o->golden, points, expected, diag);
}

static int report(const regress_options_t *o, const exp_sweep_t *points, const cJSON *expected,
                  const exp_result_t *results) {
  exp_regress_counts_t c;
  exp_golden_compare(points, expected, results, o->verbose, stdout, &c);
  printf("regress: %d points, %d changed or failed, %d warnings (golden %s)\n", c.points,
         c.failures, c.warnings, o->golden);
  if (c.failures)
    printf("regress: FAIL. If the change is intended, run `sched regress --update` and commit "
           "%s with it.\n",
           o->golden);
  return c.failures ? CLI_EXIT_NO : CLI_EXIT_OK;
}

static int run_regress(const regress_options_t *o, const exp_sweep_t *points,
                       const cJSON *expected) {
  exp_result_t *results = sched_xcalloc((size_t)SCHED_MAX(points->n_points, 1), sizeof *results);
  exp_run_params_t params = {.program = o->program ? o->program : "/proc/self/exe",
                             .jobs = o->jobs,
                             .timeout_s = o->timeout_s,
                             .progress = isatty(STDERR_FILENO) ? stderr : NULL};
  sched_diag_t diag = {{0}};
  int code = CLI_EXIT_OK;
  if (exp_run(points, &params, results, &diag) != SCHED_OK)
    code = cli_error("regress: %s", diag.msg);
  else if (o->update && exp_golden_write(o->golden, points, results, &diag) != SCHED_OK)
    code = cli_error("regress: %s", diag.msg);
  else if (o->update)
    printf("regress: wrote %d points to %s\n", points->n_points, o->golden);
  else
    code = report(o, points, expected, results);
  for (int i = 0; i < points->n_points; i++)
    exp_result_free(&results[i]);
  free(results);
  return code;
}

int cmd_regress(int argc, char **argv) {
  regress_options_t o;
  if (parse_regress_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o.help) {
    regress_usage(stdout);
    return CLI_EXIT_OK;
  }
  exp_sweep_t points;
  cJSON *expected = NULL;
  sched_diag_t diag = {{0}};
  int code;
  if (load_points(&o, &points, &expected, &diag) != SCHED_OK)
    code = cli_error("regress: %s", diag.msg);
  else
    code = run_regress(&o, &points, expected);
  cJSON_Delete(expected);
  exp_sweep_free(&points);
  return code;
}
