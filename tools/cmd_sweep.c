/* cmd_sweep.c - `sched sweep FILE [-j N] [--out DIR] [--list]`: runs every
 * point of a sweep file as its own `sched` process and writes one row per
 * point (CSV and JSON). See experiments/README.md for the file format. */
#include <errno.h>
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
  int jobs;
  double timeout_s;
  bool list, quiet, help;
} sweep_options_t;

static void sweep_usage(FILE *out) {
  fprintf(out, "usage: sched sweep FILE [-j N] [--out DIR] [--timeout SEC] [--list] [--quiet]\n"
               "                  [--collect DIR] [--sched PATH]\n\n"
               "Runs every point of a sweep file (JSON: nets x archs x cmx x solvers x options)\n"
               "as its own sched process, at most N at once, and writes one row per point:\n"
               "the point, its status and error, every totals field of the JSON report, and\n"
               "solve_ms (measured wall time of the point). A failed point is a row, not a\n"
               "failed sweep.\n\n"
               "  -j N           points in flight (default: the number of cores)\n"
               "  --out DIR      write DIR/NAME.csv and DIR/NAME.json (default: CSV to stdout)\n"
               "  --timeout SEC  kill a point after SEC seconds (default 600)\n"
               "  --list         print the points as command lines (for GNU parallel, Slurm)\n"
               "  --collect DIR  do not run: read the report of --list's line N from DIR/N.json\n"
               "  --sched PATH   the sched executable the points run (default: this one)\n"
               "  --quiet        no progress line\n");
}

static int parse_sweep_options(int argc, char **argv, sweep_options_t *o) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  *o = (sweep_options_t){.jobs = cores > 0 ? (int)cores : 2, .timeout_s = 600};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      o->help = true;
    else if (strcmp(a, "--list") == 0)
      o->list = true;
    else if (strcmp(a, "--quiet") == 0)
      o->quiet = true;
    else if (strcmp(a, "-j") == 0 && has_value)
      o->jobs = atoi(argv[++i]);
    else if (strncmp(a, "-j", 2) == 0 && a[2])
      o->jobs = atoi(a + 2);
    else if (strcmp(a, "--out") == 0 && has_value)
      o->out_dir = argv[++i];
    else if (strcmp(a, "--collect") == 0 && has_value)
      o->collect = argv[++i];
    else if (strcmp(a, "--sched") == 0 && has_value)
      o->program = argv[++i];
    else if (strcmp(a, "--timeout") == 0 && has_value)
      o->timeout_s = atof(argv[++i]);
    else if (a[0] == '-')
      return cli_error("sweep: unknown option or missing value '%s' (see sched sweep --help)", a);
    else if (!o->file)
      o->file = a;
    else
      return cli_error("sweep: one sweep file only, got '%s' and '%s'", o->file, a);
  }
  if (o->jobs < 1 || o->jobs > 1024)
    return cli_error("sweep: -j must be 1..1024, got %d", o->jobs);
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

/* --collect: point i's report is DIR/(i+1).json, numbered like the lines of
 * --list (as a Slurm array or GNU parallel's {#} writes them). */
static void collect_results(const sweep_options_t *o, const exp_sweep_t *s, exp_result_t *results) {
  for (int i = 0; i < s->n_points; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%d.json", o->collect, i + 1);
    char *text = NULL;
    sched_diag_t diag;
    if (sched_file_read(path, "report", EXP_REPORT_MAX_FILE_BYTES, &text, NULL, &diag) !=
        SCHED_OK) {
      results[i] = (exp_result_t){.status = EXP_STATUS_FAILED, .error = sched_xstrdup(diag.msg)};
      continue;
    }
    exp_result_parse_report(text, &results[i]);
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
                             .jobs = o->jobs,
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
  int ok = count_ok(results, s->n_points);
  if (!o->quiet)
    fprintf(stderr, "sweep %s: %d points, %d ok, %d failed\n", s->name, s->n_points, ok,
            s->n_points - ok);
  exp_table_free(&t);
  for (int i = 0; i < s->n_points; i++)
    exp_result_free(&results[i]);
  free(results);
  return code;
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
    for (int i = 0; i < s.n_points; i++)
      exp_point_print_command(&s.points[i], o.program ? o.program : "sched", stdout);
  else
    code = run_sweep(&o, &s);
  exp_sweep_free(&s);
  return code;
}
