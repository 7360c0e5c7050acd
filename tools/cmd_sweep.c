/* cmd_sweep.c - `sched sweep FILE [-j N] [--out DIR] [--list]`: runs every
 * point of a sweep file as its own `sched` process and writes one row per
 * point (CSV and JSON). See experiments/README.md for the file format. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiments/experiments.h"
#include "tools/cli.h"

typedef struct {
  const char *file;
  const char *out_dir;
  const char *program; /* run this sched; default /proc/self/exe */
  const char *collect; /* read DIR/<point>.json instead of running */
  int64_t jobs;
  double timeout_s;
  bool list, quiet, help;
} sweep_options_t;

#define SWEEP_FIELD(f) offsetof(sweep_options_t, f)

static const cli_option_t sweep_flags[] = {
    CLI_NUM("-j", CLI_ARG_INT, SWEEP_FIELD(jobs), "N",
            "points in flight (default: the number of cores)", 1, 1024),
    CLI_OPT("--out", CLI_ARG_STRING, SWEEP_FIELD(out_dir), "DIR",
            "write DIR/NAME.csv and DIR/NAME.json (default: CSV to stdout)"),
    CLI_NUM("--timeout", CLI_ARG_DOUBLE, SWEEP_FIELD(timeout_s), "SEC",
            "kill a point after SEC seconds (default 600; 0: never)", 0, 1e7),
    CLI_OPT("--list", CLI_ARG_FLAG, SWEEP_FIELD(list), NULL,
            "print the points as command lines of this sched (for GNU parallel, Slurm)"),
    CLI_OPT("--collect", CLI_ARG_STRING, SWEEP_FIELD(collect), "DIR",
            "do not run: read the report of --list's line N from DIR/N.json"),
    CLI_OPT("--sched", CLI_ARG_STRING, SWEEP_FIELD(program), "PATH",
            "the sched executable the points run (default: this one)"),
    CLI_OPT("--quiet", CLI_ARG_FLAG, SWEEP_FIELD(quiet), NULL, "no progress line"),
    CLI_OPT("--help", CLI_ARG_FLAG, SWEEP_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, SWEEP_FIELD(help), NULL, "this help"),
};

static cli_spec_t sweep_spec(void) {
  return (cli_spec_t){.command = "sweep",
                      .options = sweep_flags,
                      .n_options = SCHED_ARRAY_LEN(sweep_flags),
                      .max_positional = 1,
                      .positional_name = "sweep FILE"};
}

static void sweep_usage(FILE *out) {
  fprintf(out, "usage: sched sweep FILE [options]\n\n"
               "Runs every point of a sweep file (JSON: nets x archs x cmx x solvers x options)\n"
               "as its own sched process, at most N at once, and writes one row per point:\n"
               "the point, its status and error, every totals field of the JSON report, and\n"
               "solve_ms (measured wall time of the point). A failed point is a row, not a\n"
               "failed sweep.\n\n");
  cli_spec_t spec = sweep_spec();
  cli_print_options(&spec, out);
}

static int parse_sweep_options(int argc, char **argv, sweep_options_t *o) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  *o = (sweep_options_t){.jobs = cores > 0 ? SCHED_MIN(cores, 1024) : 2, .timeout_s = 600};
  cli_spec_t spec = sweep_spec();
  if (cli_parse(&spec, argc, argv, o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  o->file = spec.n_positional ? spec.positional[0] : NULL;
  if (!o->help && !o->file)
    return cli_error("sweep: missing the sweep FILE (see sched sweep --help)");
  return CLI_EXIT_OK;
}

/* mkdir -p */
static int make_dirs(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s", dir);
  for (char *c = path + 1; *c; c++)
    if (*c == '/') {
      *c = '\0';
      if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
      *c = '/';
    }
  return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_outputs(const sweep_options_t *o, const exp_sweep_t *s, const exp_table_t *t) {
  if (!o->out_dir) {
    exp_table_write_csv(t, stdout);
    return CLI_EXIT_OK;
  }
  if (make_dirs(o->out_dir) != 0)
    return cli_error("sweep: cannot create '%s': %s", o->out_dir, strerror(errno));
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.csv", o->out_dir, s->name);
  FILE *csv = fopen(path, "w");
  if (!csv)
    return cli_error("sweep: cannot write '%s'", path);
  exp_table_write_csv(t, csv);
  fclose(csv);
  snprintf(path, sizeof path, "%s/%s.json", o->out_dir, s->name);
  FILE *json = fopen(path, "w");
  if (!json)
    return cli_error("sweep: cannot write '%s'", path);
  int rc = exp_table_write_json(t, json);
  fclose(json);
  if (rc != SCHED_OK)
    return cli_error("sweep: out of memory writing '%s'", path);
  if (!o->quiet)
    fprintf(stderr, "sweep %s: wrote %s/%s.csv and .json\n", s->name, o->out_dir, s->name);
  return CLI_EXIT_OK;
}

/* Replaces a collected point's error with one naming the file and why. */
static void collect_error(exp_result_t *r, const char *fmt, ...) {
  char msg[4096 + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  msg[strcspn(msg, "\n")] = '\0'; /* one line */
  free(r->error);
  r->error = sched_xstrdup(msg);
}

/* --collect: point i's report is DIR/(i+1).json, numbered like the lines of
 * --list (as a Slurm array or GNU parallel's {#} writes them). */
static void collect_results(const sweep_options_t *o, const exp_sweep_t *s, exp_result_t *results) {
  for (int i = 0; i < s->n_points; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%d.json", o->collect, i + 1);
    FILE *f = fopen(path, "rb");
    if (!f) {
      results[i] = (exp_result_t){.status = EXP_STATUS_FAILED};
      collect_error(&results[i], "cannot read %s: %s (did the point run?)", path, strerror(errno));
      continue;
    }
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    exp_result_parse_report(n > 0 ? text : "", &results[i]);
    if (results[i].status != EXP_STATUS_OK && n <= 0)
      collect_error(&results[i], "%s is empty: the point printed no report (see its stderr)", path);
    else if (results[i].status != EXP_STATUS_OK)
      collect_error(&results[i], "%s is not a JSON report with 'totals'; it starts: %.60s", path,
                    text);
    free(text);
  }
}

static int count_ok(const exp_result_t *results, int n) {
  int ok = 0;
  for (int i = 0; i < n; i++)
    ok += results[i].status == EXP_STATUS_OK;
  return ok;
}

static int run_sweep(const sweep_options_t *o, const exp_sweep_t *s) {
  exp_result_t *results = sched_xcalloc((size_t)SCHED_MAX(s->n_points, 1), sizeof *results);
  exp_run_params_t params = {.program = o->program ? o->program : "/proc/self/exe",
                             .jobs = (int)o->jobs,
                             .timeout_s = o->timeout_s,
                             .progress = !o->quiet && isatty(STDERR_FILENO) ? stderr : NULL};
  sched_diag_t diag = {{0}};
  int rc = SCHED_OK;
  if (o->collect)
    collect_results(o, s, results);
  else
    rc = exp_run(s, &params, results, &diag);
  exp_table_t t;
  exp_table_from_results(s, results, &t);
  int code = rc == SCHED_OK ? write_outputs(o, s, &t) : cli_error("sweep: %s", diag.msg);
  int ok = count_ok(results, s->n_points), first_bad = 0;
  while (first_bad < s->n_points && results[first_bad].status == EXP_STATUS_OK)
    first_bad++;
  if (!o->quiet && ok == s->n_points)
    fprintf(stderr, "sweep %s: %d points, %d ok\n", s->name, s->n_points, ok);
  else if (!o->quiet)
    fprintf(stderr, "sweep %s: %d points, %d ok, %d failed (first: point %d, %s: %s)\n", s->name,
            s->n_points, ok, s->n_points - ok, first_bad + 1,
            exp_status_name(results[first_bad].status),
            results[first_bad].error ? results[first_bad].error : "no message");
  exp_table_free(&t);
  for (int i = 0; i < s->n_points; i++)
    exp_result_free(&results[i]);
  free(results);
  return code;
}

/* --list: one command line per point, naming the sched that printed them
 * (its absolute path), so the lines run anywhere the same path exists. */
static void list_points(const sweep_options_t *o, const exp_sweep_t *s) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = '\0';
  const char *program = o->program ? o->program : n > 0 ? self : "sched";
  for (int i = 0; i < s->n_points; i++)
    exp_point_print_command(&s->points[i], program, stdout);
}

int cmd_sweep(int argc, char **argv) {
  sweep_options_t o;
  if (parse_sweep_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o.help) {
    sweep_usage(stdout);
    return CLI_EXIT_OK;
  }
  exp_sweep_t s;
  sched_diag_t diag = {{0}};
  int code = CLI_EXIT_OK;
  if (exp_sweep_load(o.file, &s, &diag) != SCHED_OK)
    code = cli_error("%s", diag.msg);
  else if (o.list)
    list_points(&o, &s);
  else
    code = run_sweep(&o, &s);
  exp_sweep_free(&s);
  return code;
}
