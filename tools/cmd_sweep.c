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

/* The sweep's name as a file name inside --out: letters, digits, '-', '_'
 * and '.' are kept, anything else (a '/', a control character) becomes
 * '_', and a leading '.' too, so "../x" cannot leave the directory. */
static void safe_name(const char *name, char *out, size_t size) {
  size_t n = 0;
  for (const char *c = name; *c && n + 1 < size; c++) {
    bool keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '-' || *c == '_' || (*c == '.' && n > 0);
    out[n++] = keep ? *c : '_';
  }
  out[n] = '\0';
  if (n == 0)
    snprintf(out, size, "sweep");
}

/* DIR/NAME<ext> for the sweep's outputs. */
static void output_path(const sweep_options_t *o, const exp_sweep_t *s, const char *ext, char *path,
                        size_t size) {
  char name[256];
  safe_name(s->name, name, sizeof name);
  snprintf(path, size, "%s/%s%s", o->out_dir, name, ext);
}

/* One output file through the checked writer: complete or not there. */
static int write_table_file(const char *path, const exp_table_t *t, bool json) {
  sched_out_t out;
  sched_diag_t diag;
  if (sched_out_open(&out, path, &diag) != SCHED_OK)
    return cli_error("sweep: %s", diag.msg);
  if (json && exp_table_write_json(t, out.f) != SCHED_OK) {
    sched_out_discard(&out);
    return cli_error("sweep: out of memory writing '%s'", path);
  }
  if (!json)
    exp_table_write_csv(t, out.f);
  if (sched_out_commit(&out, &diag) != SCHED_OK)
    return cli_error("sweep: %s", diag.msg);
  return CLI_EXIT_OK;
}

static int write_outputs(const sweep_options_t *o, const exp_sweep_t *s, const exp_table_t *t) {
  if (!o->out_dir) {
    exp_table_write_csv(t, stdout);
    return CLI_EXIT_OK;
  }
  if (make_dirs(o->out_dir) != 0) /* --collect opens no journal there first */
    return cli_error("sweep: cannot create '%s': %s", o->out_dir, strerror(errno));
  char path[4096];
  output_path(o, s, ".csv", path, sizeof path);
  int code = write_table_file(path, t, false);
  output_path(o, s, ".json", path, sizeof path);
  if (code == CLI_EXIT_OK)
    code = write_table_file(path, t, true);
  if (code == CLI_EXIT_OK && !o->quiet)
    fprintf(stderr, "sweep %s: wrote %s\n", s->name, o->out_dir);
  return code;
}

/* ---- the journal: DIR/NAME.journal, one JSON line per finished point ----
 * Each point that finishes OK is appended and flushed at once, keyed by its
 * command line; a sweep stopped by a signal, a crash or a full disk is
 * resumed by running it again with the same --out: the points in the
 * journal are not run again. The journal is removed once the CSV and JSON
 * are written. */

typedef struct {
  const exp_sweep_t *sweep;
  FILE *f;
  bool failed; /* a write to it failed */
} journal_t;

static char *point_key(const exp_point_t *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return sched_xstrdup("");
  exp_point_print_command(p, "sched", f);
  fclose(f);
  return text;
}

static void journal_append(void *ctx, int point, const exp_result_t *r) {
  journal_t *j = ctx;
  if (!j->f || r->status != EXP_STATUS_OK)
    return;
  cJSON *line = cJSON_CreateObject();
  char *key = point_key(&j->sweep->points[point]);
  cJSON_AddStringToObject(line, "command", key);
  cJSON_AddItemToObject(line, "totals", cJSON_Duplicate(r->totals, true));
  cJSON_AddNumberToObject(line, "cmx_bytes", r->cmx_bytes);
  cJSON_AddNumberToObject(line, "wall_ms", r->wall_ms);
  char *text = sched_json_print(line, false);
  if (!text || fprintf(j->f, "%s\n", text) < 0 || fflush(j->f) != 0)
    j->failed = true;
  free(text);
  free(key);
  cJSON_Delete(line);
}

/* Fills results (and done) from a journal's lines whose command is a
 * point's; a torn last line (a crash mid-write) is skipped. */
static int journal_resume(const char *path, const exp_sweep_t *s, exp_result_t *results,
                          bool *done) {
  char *text = NULL;
  sched_diag_t diag;
  if (access(path, F_OK) != 0)
    return 0;
  if (sched_file_read(path, "sweep journal", EXP_REPORT_MAX_FILE_BYTES, &text, NULL, &diag) !=
      SCHED_OK)
    return -1;
  char **keys = sched_xcalloc((size_t)SCHED_MAX(s->n_points, 1), sizeof *keys);
  for (int i = 0; i < s->n_points; i++)
    keys[i] = point_key(&s->points[i]);
  int resumed = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    cJSON *j = cJSON_Parse(line);
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(j, "totals");
    for (int i = 0; cJSON_IsString(cmd) && cJSON_IsObject(totals) && i < s->n_points; i++)
      if (!done[i] && strcmp(keys[i], cmd->valuestring) == 0) {
        const cJSON *cmx = cJSON_GetObjectItemCaseSensitive(j, "cmx_bytes");
        const cJSON *wall = cJSON_GetObjectItemCaseSensitive(j, "wall_ms");
        results[i] = (exp_result_t){.status = EXP_STATUS_OK,
                                    .totals = cJSON_Duplicate(totals, true),
                                    .cmx_bytes = cJSON_IsNumber(cmx) ? cmx->valuedouble : 0,
                                    .wall_ms = cJSON_IsNumber(wall) ? wall->valuedouble : 0};
        done[i] = true;
        resumed++;
        break;
      }
    cJSON_Delete(j);
  }
  for (int i = 0; i < s->n_points; i++)
    free(keys[i]);
  free(keys);
  free(text);
  return resumed;
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
    char *text = NULL;
    sched_diag_t why;
    if (sched_file_read(path, "report", EXP_REPORT_MAX_FILE_BYTES, &text, NULL, &why) != SCHED_OK) {
      results[i] = (exp_result_t){.status = EXP_STATUS_FAILED};
      collect_error(&results[i], "%s (did the point run?)", why.msg);
      continue;
    }
    exp_result_parse_report(text, &results[i]);
    if (results[i].status != EXP_STATUS_OK && text[0] == '\0')
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

/* With --out: the journal is opened for appending after resuming from it. */
static int open_journal(const sweep_options_t *o, const exp_sweep_t *s, exp_result_t *results,
                        bool *done, journal_t *j, char *path, size_t size) {
  *j = (journal_t){.sweep = s};
  if (!o->out_dir || o->collect)
    return CLI_EXIT_OK;
  if (make_dirs(o->out_dir) != 0)
    return cli_error("sweep: cannot create '%s': %s", o->out_dir, strerror(errno));
  output_path(o, s, ".journal", path, size);
  int resumed = journal_resume(path, s, results, done);
  if (resumed < 0)
    return cli_error("sweep: cannot read the journal '%s'", path);
  if (resumed > 0 && !o->quiet)
    fprintf(stderr, "sweep %s: %d points resumed from %s\n", s->name, resumed, path);
  j->f = fopen(path, "a");
  if (!j->f)
    return cli_error("sweep: cannot write '%s': %s", path, strerror(errno));
  return CLI_EXIT_OK;
}

/* Closes the journal; removes it once the outputs hold every point. */
static int close_journal(journal_t *j, const char *path, bool complete) {
  if (!j->f)
    return CLI_EXIT_OK;
  if (fclose(j->f) != 0 || j->failed)
    return cli_error("sweep: cannot write the journal '%s'", path);
  if (complete)
    unlink(path);
  return CLI_EXIT_OK;
}

static int run_sweep(const sweep_options_t *o, const exp_sweep_t *s) {
  exp_result_t *results = sched_xcalloc((size_t)SCHED_MAX(s->n_points, 1), sizeof *results);
  bool *done = sched_xcalloc((size_t)SCHED_MAX(s->n_points, 1), sizeof *done);
  journal_t journal;
  char journal_path[4096];
  int code = open_journal(o, s, results, done, &journal, journal_path, sizeof journal_path);
  exp_run_params_t params = {.program = o->program ? o->program : "/proc/self/exe",
                             .jobs = (int)o->jobs,
                             .timeout_s = o->timeout_s,
                             .progress = !o->quiet && isatty(STDERR_FILENO) ? stderr : NULL,
                             .done = done,
                             .on_result = journal_append,
                             .ctx = &journal};
  sched_diag_t diag = {{0}};
  int rc = SCHED_OK;
  if (code == CLI_EXIT_OK && o->collect)
    collect_results(o, s, results);
  else if (code == CLI_EXIT_OK)
    rc = exp_run(s, &params, results, &diag);
  exp_table_t t;
  exp_table_from_results(s, results, &t);
  /* Interrupted: what finished is still written, a valid partial result. */
  if (code == CLI_EXIT_OK)
    code = write_outputs(o, s, &t);
  int journal_code = close_journal(&journal, journal_path, code == CLI_EXIT_OK && rc == SCHED_OK);
  if (code == CLI_EXIT_OK && rc != SCHED_OK) {
    cli_error("sweep: %s; the points that finished are written%s", diag.msg,
              journal.f ? ", run it again to resume" : "");
    code = CLI_EXIT_NO;
  }
  code = code == CLI_EXIT_OK ? journal_code : code;
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
  free(done);
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
