/* cmd_regress.c - `sched regress [--update] [--golden FILE]`: re-runs the
 * golden points (in parallel, as sweep does) and fails when a modelled number
 * changed. `--update` rewrites the golden file from this run; with
 * `--points SWEEP` it takes the point list from a sweep file instead. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/experiments.h"
#include "tools/cli.h"

typedef struct {
  const char *golden; /* NULL: found by golden_path */
  const char *points; /* a sweep file: the point set for --update */
  const char *program;
  int64_t jobs;
  double timeout_s;
  bool update, verbose, timing, help;
  char golden_buf[4096];
} regress_options_t;

#define REGRESS_FIELD(f) offsetof(regress_options_t, f)

static const cli_option_t regress_flags[] = {
    CLI_OPT("--golden", CLI_ARG_STRING, REGRESS_FIELD(golden), "FILE",
            "the golden file (default: experiments/golden.json here, else in the source tree "
            "this sched was built from)"),
    CLI_OPT("--update", CLI_ARG_FLAG, REGRESS_FIELD(update), NULL,
            "rewrite the golden file from this run"),
    CLI_OPT("--points", CLI_ARG_STRING, REGRESS_FIELD(points), "SWEEP",
            "with --update: the points of a sweep file"),
    CLI_NUM("-j", CLI_ARG_INT, REGRESS_FIELD(jobs), "N", "points in flight (default: cores)", 1,
            1024),
    CLI_OPT("--timing", CLI_ARG_FLAG, REGRESS_FIELD(timing), NULL,
            "also compare solve times (measured: warn beyond 2x); off by default, since a "
            "loaded machine stretches them tenfold"),
    CLI_OPT("--verbose", CLI_ARG_FLAG, REGRESS_FIELD(verbose), NULL,
            "also list the unchanged numbers"),
    CLI_OPT("-v", CLI_ARG_FLAG, REGRESS_FIELD(verbose), NULL, "the same"),
    CLI_NUM("--timeout", CLI_ARG_DOUBLE, REGRESS_FIELD(timeout_s), "SEC",
            "kill a point after SEC seconds (default 300; 0: never)", 0, 1e7),
    CLI_OPT("--sched", CLI_ARG_STRING, REGRESS_FIELD(program), "PATH",
            "the sched executable the points run (default: this one)"),
    CLI_OPT("--help", CLI_ARG_FLAG, REGRESS_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, REGRESS_FIELD(help), NULL, "this help"),
};

static cli_spec_t regress_spec(void) {
  return (cli_spec_t){
      .command = "regress", .options = regress_flags, .n_options = SCHED_ARRAY_LEN(regress_flags)};
}

static void regress_usage(FILE *out) {
  fprintf(out, "usage: sched regress [options]\n\n"
               "Re-runs the points of the golden file and compares their modelled numbers\n"
               "exactly: latency_us, ddr_bytes, spill_bytes, peak_cmx_bytes, barriers_used.\n"
               "Exit 1 when one changed or a point failed; the changes print as a Markdown\n"
               "table (point, metric, before, after, change) for a pull request. Solve time is\n"
               "measured, so it is compared only with --timing, and only warns.\n\n");
  cli_spec_t spec = regress_spec();
  cli_print_options(&spec, out);
}

/* The default golden file: experiments/golden.json from the working
 * directory when it is there, else from the source tree of this build, so
 * that `sched regress` works from any directory. */
static const char *golden_path(regress_options_t *o) {
  if (o->golden)
    return o->golden;
  if (access("experiments/golden.json", F_OK) == 0)
    return "experiments/golden.json";
  snprintf(o->golden_buf, sizeof o->golden_buf, "%s/experiments/golden.json", SCHED_SOURCE_DIR);
  return o->golden_buf;
}

static int parse_regress_options(int argc, char **argv, regress_options_t *o) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  *o = (regress_options_t){.jobs = cores > 0 ? SCHED_MIN(cores, 1024) : 2, .timeout_s = 300};
  cli_spec_t spec = regress_spec();
  if (cli_parse(&spec, argc, argv, o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  o->golden = golden_path(o);
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
  exp_compare_options_t opt = {.verbose = o->verbose, .timing = o->timing, .time_factor = 2};
  exp_golden_compare(points, expected, results, &opt, stdout, &c);
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
                             .jobs = (int)o->jobs,
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
