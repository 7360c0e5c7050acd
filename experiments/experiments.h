/* experiments.h - sweeps, result tables, plots, golden metrics.
 *
 * The harness treats the `sched` command as a black box: a point is one
 * command line (`sched --net N --arch A --cmx C --solver S [options]`), run
 * as a child process with `--format json --no-timing`; its JSON report's
 * `totals` object becomes one row of a result table. Every totals field the
 * report has becomes a column, so new report fields need no code here.
 *
 *   sweep file (JSON) --exp_sweep_load--> points --exp_run--> results
 *   points + results --exp_table_from_results--> table --> CSV / JSON / plots
 *   golden file --exp_golden_load--> points + expected metrics --> regress
 *
 * Nothing here keeps global state; every owning type has init/free. */
#ifndef SCHED_EXPERIMENTS_H
#define SCHED_EXPERIMENTS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "common/common.h"

#define EXP_MAX_VARS 8
#define EXP_SWEEP_MAX_FILE_BYTES ((size_t)16 << 20)   /* sweep and golden files */
#define EXP_REPORT_MAX_FILE_BYTES ((size_t)256 << 20) /* a report read by plot */
#define EXP_TABLE_MAX_FILE_BYTES ((size_t)256 << 20)  /* a results CSV read by plot */
#define EXP_MAX_OPTIONS 32
#define EXP_MAX_POINTS 100000 /* points of one sweep file */

/* One job: the arguments of one `sched` run. Strings are owned. */
typedef struct {
  char *net;    /* zoo spec, or a .json/.onnx path (resolved against the sweep's folder) */
  char *arch;   /* preset name or arch file path */
  char *cmx;    /* size as `--cmx` takes it, e.g. "2MB" */
  char *solver; /* solver name or "all" */
  char *options[EXP_MAX_OPTIONS]; /* extra arguments, passed as they are */
  int n_options;
  char *var_values[EXP_MAX_VARS]; /* the sweep variables' values; NULL when unused */
  char *family;                   /* the net template the point was expanded from, or NULL */
} exp_point_t;

/* A list of points and the names of the variables they were expanded from. */
typedef struct {
  char *name;
  char *var_names[EXP_MAX_VARS];
  int n_vars;
  exp_point_t *points;
  int n_points, cap_points;
} exp_sweep_t;

typedef enum {
  EXP_STATUS_OK,         /* exit 0 and a JSON report with totals */
  EXP_STATUS_FAILED,     /* non-zero exit (bad input, no plan) */
  EXP_STATUS_CRASHED,    /* killed by a signal */
  EXP_STATUS_TIMEOUT,    /* killed after the per-point time limit */
  EXP_STATUS_BAD_OUTPUT, /* exit 0 but stdout is not a JSON report */
} exp_status_t;

/* What one point produced. */
typedef struct {
  exp_status_t status;
  int exit_code;    /* exit status, or the signal number when crashed */
  char *error;      /* one line (the child's last stderr line, or the signal), or NULL */
  cJSON *totals;    /* the report's totals object (owned), NULL unless OK */
  double cmx_bytes; /* the report's cmx_bytes, 0 unless OK */
  double wall_ms;   /* measured around the child: start to exit */
} exp_result_t;

typedef struct {
  const char *program; /* the sched executable to run (e.g. /proc/self/exe) */
  int jobs;            /* children in flight at most (>= 1) */
  double timeout_s;    /* per point; <= 0: none */
  FILE *progress;      /* where the progress line goes (a terminal), or NULL */
  const bool *done;    /* points already answered (their results filled): not run; or NULL */
  /* Called with each point's result as it finishes (a journal), or NULL. */
  void (*on_result)(void *ctx, int point, const exp_result_t *r);
  void *ctx;
} exp_run_params_t;

/* A table of strings: what CSV holds, what plots and the JSON writer read. */
typedef struct {
  char **cols;
  int n_cols, cap_cols;
  char **cells; /* n_rows x n_cols, row-major; NULL is an empty cell */
  int n_rows, cap_rows;
} exp_table_t;

/* ---- sweep.c: sweep files and points ---- */

void exp_sweep_init(exp_sweep_t *s, const char *name);
void exp_sweep_free(exp_sweep_t *s); /* safe on a zeroed or freed sweep */
/* Appends a deep copy of p. */
void exp_sweep_add(exp_sweep_t *s, const exp_point_t *p);
void exp_point_free(exp_point_t *p);
/* Reads a sweep file (format in experiments/README.md). Relative .json/.onnx
 * nets and arch files are resolved against the file's folder. Errors name the
 * file and the key. */
int exp_sweep_load(const char *path, exp_sweep_t *out, sched_diag_t *diag);
/* Parses sweep JSON text; `where` names it in errors, `base_dir` resolves
 * relative paths ("" or NULL: none). */
int exp_sweep_parse(const char *text, const char *where, const char *base_dir, exp_sweep_t *out,
                    sched_diag_t *diag);
/* The point's arguments after the program name, with `--format json
 * --no-timing` appended; fills argv (NULL-terminated, borrowed strings) and
 * returns argc. argv needs room for EXP_MAX_OPTIONS + 16 entries. */
int exp_point_argv(const exp_point_t *p, const char **argv);
/* Prints the point as one shell command line (arguments quoted as needed). */
void exp_point_print_command(const exp_point_t *p, const char *program, FILE *out);
/* The point's options as one space-separated string (malloc'ed). */
char *exp_point_options_text(const exp_point_t *p);

/* ---- run.c: running points as child processes ---- */

/* Runs every point of s (fork/exec of params->program) with at most
 * params->jobs in flight; results[i] (n_points entries, caller's storage)
 * gets point i's outcome whatever happens to the others. Fails only when the
 * harness itself cannot work (pipe/fork errors) or SIGINT, SIGTERM or SIGHUP
 * arrives (SCHED_ERR_INTERNAL, "interrupted by ..."): then every running
 * child's process group is killed, and the points not finished get a
 * result saying so, so the caller can still write what finished. */
int exp_run(const exp_sweep_t *s, const exp_run_params_t *params, exp_result_t *results,
            sched_diag_t *diag);
void exp_result_free(exp_result_t *r);
const char *exp_status_name(exp_status_t status);
/* Parses a report's JSON text into r (status, totals, cmx_bytes). */
void exp_result_parse_report(const char *json_text, exp_result_t *r);

/* ---- table.c: result tables, CSV and JSON ---- */

void exp_table_init(exp_table_t *t);
void exp_table_free(exp_table_t *t);
/* Index of column `name`, adding it when absent. */
int exp_table_col(exp_table_t *t, const char *name);
/* Index of column `name`, or -1. */
int exp_table_find(const exp_table_t *t, const char *name);
/* Appends an empty row; returns its index. */
int exp_table_add_row(exp_table_t *t);
void exp_table_set(exp_table_t *t, int row, int col, const char *value);
const char *exp_table_get(const exp_table_t *t, int row, int col); /* "" when empty */
/* One row per point: point, net, family, arch, cmx, solver, options, the
 * variables,
 * status, cmx_bytes, every totals field (union over rows, in order of first
 * appearance), solve_ms (measured: the child's wall time), error. */
void exp_table_from_results(const exp_sweep_t *s, const exp_result_t *results, exp_table_t *out);
/* RFC 4180 CSV: a header row, fields quoted when they hold , " or newline. */
void exp_table_write_csv(const exp_table_t *t, FILE *out);
int exp_table_read_csv(const char *path, exp_table_t *out, sched_diag_t *diag);
/* A JSON array of objects, one per row; cells that read as numbers are
 * written as numbers, empty cells are left out. */
int exp_table_write_json(const exp_table_t *t, FILE *out);
/* Shortest decimal text that reads back as v (integers without a point). */
void exp_format_number(double v, char *buf, size_t size);

/* ---- golden.c: golden metrics and the regression check ---- */

/* The fields a golden file guards (exact comparison), NULL-terminated. */
const char *const *exp_golden_fields(void);
/* Reads a golden file: its points into points (initialised here) and its
 * recorded metrics, one cJSON object per point, into *expected (owned by
 * the caller: cJSON_Delete). */
int exp_golden_load(const char *path, exp_sweep_t *points, cJSON **expected, sched_diag_t *diag);
/* Writes a golden file for points and their (all OK) results. */
int exp_golden_write(const char *path, const exp_sweep_t *points, const exp_result_t *results,
                     sched_diag_t *diag);

typedef struct {
  int points;
  int failures; /* modelled numbers that changed, points that failed */
  int warnings; /* solve time beyond 2x either way, fields new in the report */
} exp_regress_counts_t;

/* Compares results with expected (as exp_golden_load returns) and prints a
 * table of deltas to out: every changed field, every warning, and one line
 * per unchanged point when verbose. */
typedef struct {
  bool verbose;       /* also the unchanged modelled numbers */
  bool timing;        /* compare solve times at all (measured, so noisy) */
  double time_factor; /* with timing: solve time beyond this factor warns */
} exp_compare_options_t;

void exp_golden_compare(const exp_sweep_t *points, const cJSON *expected,
                        const exp_result_t *results, const exp_compare_options_t *opt, FILE *out,
                        exp_regress_counts_t *counts);

/* ---- plot.c: gnuplot scripts ---- */

typedef enum {
  EXP_PLOT_LINES,  /* y vs numeric x, one line per series, one panel per panel value */
  EXP_PLOT_BARS,   /* clustered bars: y per x category and series */
  EXP_PLOT_GAP,    /* bars of % above the best series per (x, panel) group */
  EXP_PLOT_LAYERS, /* stacked compute/DMA bars per layer of one report */
} exp_plot_kind_t;

typedef struct {
  exp_plot_kind_t kind;
  const char *x, *y, *series, *panel; /* column names (series, panel optional) */
  const char *title;
  const char *x_label, *y_label;
  bool log_x, log_y;
  double x_scale;       /* x values are divided by it (e.g. 1048576 for MiB); 0: 1 */
  const char *where[8]; /* "column=value": only rows that match all of them */
  int n_where;
} exp_plot_params_t;

/* Writes a self-contained gnuplot script (data inline) that renders t to
 * out_path (.png or .svg, by extension). Rows whose status column is not
 * "ok" are left out. */
int exp_plot_script(const exp_table_t *t, const exp_plot_params_t *p, const char *out_path,
                    FILE *script, sched_diag_t *diag);
/* Per-layer table (name, compute_us, dma_us, ...) of a JSON report file. */
int exp_table_from_report(const char *report_path, exp_table_t *out, sched_diag_t *diag);

#endif
