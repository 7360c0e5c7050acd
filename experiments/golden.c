/* golden.c - golden metrics: the modelled numbers of a fixed set of points,
 * recorded in a JSON file and compared exactly on every CI run.
 *
 * The model is deterministic, so any change of a guarded field is a change
 * of the model: it fails until the golden file is rewritten (`sched regress
 * --update`) in the same commit. Solve time is machine-dependent: it is
 * recorded, and a change beyond 2x (both times above a 10 ms floor, below
 * which process start-up dominates) is a warning only. */
#include "experiments/experiments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_SOLVE_FLOOR_MS 10.0

const char *const *exp_golden_fields(void) {
  static const char *const fields[] = {"latency_us",     "ddr_bytes",     "spill_bytes",
                                       "peak_cmx_bytes", "barriers_used", NULL};
  return fields;
}

/* Reads a whole file into a malloc'ed string. */
static char *slurp(const char *path, sched_diag_t *diag) {
  char *text;
  return sched_file_read(path, "golden file", EXP_SWEEP_MAX_FILE_BYTES, &text, NULL, diag) ==
                 SCHED_OK
             ? text
             : NULL;
}

static char *dir_of(const char *path) {
  char *dir = sched_xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    dir[0] = '\0';
  return dir;
}

int exp_golden_load(const char *path, exp_sweep_t *points, cJSON **expected, sched_diag_t *diag) {
  *expected = NULL;
  char *text = slurp(path, diag);
  if (!text) {
    exp_sweep_init(points, NULL);
    return SCHED_ERR_INPUT;
  }
  char *dir = dir_of(path);
  int rc = exp_sweep_parse(text, path, dir, points, diag);
  cJSON *root = rc == SCHED_OK ? cJSON_Parse(text) : NULL;
  cJSON *list = root ? cJSON_DetachItemFromObjectCaseSensitive(root, "points") : NULL;
  if (rc == SCHED_OK && cJSON_GetArraySize(list) != points->n_points)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: golden files hold 'points' only", path);
  if (rc == SCHED_OK)
    *expected = list;
  else
    cJSON_Delete(list);
  cJSON_Delete(root);
  free(dir);
  free(text);
  return rc;
}

/* ---- writing ---- */

/* path relative to dir when it lies under it (golden paths are relative to
 * the golden file's folder, as exp_golden_load resolves them). */
static const char *relative_to(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n && strncmp(path, dir, n) == 0 && path[n] == '/')
    return path + n + 1;
  return path;
}

static cJSON *point_json(const exp_point_t *p, const exp_result_t *r, const char *dir) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "net", relative_to(p->net, dir));
  cJSON_AddStringToObject(o, "arch", relative_to(p->arch ? p->arch : "vpu27", dir));
  if (p->cmx)
    cJSON_AddStringToObject(o, "cmx", p->cmx);
  cJSON_AddStringToObject(o, "solver", p->solver ? p->solver : "greedy");
  if (p->n_options)
    cJSON_AddItemToObject(o, "options",
                          cJSON_CreateStringArray((const char *const *)p->options, p->n_options));
  cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
  for (const char *const *f = exp_golden_fields(); *f; f++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->totals, *f);
    if (cJSON_IsNumber(v))
      cJSON_AddNumberToObject(metrics, *f, v->valuedouble);
  }
  cJSON_AddNumberToObject(o, "solve_ms", round(r->wall_ms * 10) / 10);
  return o;
}

int exp_golden_write(const char *path, const exp_sweep_t *points, const exp_result_t *results,
                     sched_diag_t *diag) {
  for (int i = 0; i < points->n_points; i++)
    if (results[i].status != EXP_STATUS_OK)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "point %d (%s %s %s): %s; not recorded", i,
                            points->points[i].net,
                            points->points[i].cmx ? points->points[i].cmx : "",
                            points->points[i].solver, results[i].error ? results[i].error : "");
  char *dir = dir_of(path);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "sched-golden");
  cJSON_AddNumberToObject(root, "version", 1);
  cJSON *list = cJSON_AddArrayToObject(root, "points");
  for (int i = 0; i < points->n_points; i++)
    cJSON_AddItemToArray(list, point_json(&points->points[i], &results[i], dir));
  free(dir);
  char *text = sched_json_print(root, true);
  cJSON_Delete(root);
  sched_out_t out;
  int rc = text ? sched_out_open(&out, path, diag)
                : sched_diag_set(diag, SCHED_ERR_NOMEM, "%s: cannot print the golden file", path);
  if (rc == SCHED_OK) {
    fputs(text, out.f);
    fputc('\n', out.f);
    rc = sched_out_commit(&out, diag);
  }
  free(text);
  return rc;
}

/* ---- comparing ---- */

/* The delta table is Markdown, so that it pastes into a pull request as a
 * table: point, metric, before, after, change. */
static void print_header(FILE *out) {
  fprintf(out, "| point | metric | before | after | change | verdict |\n");
  fprintf(out, "|---|---|---:|---:|---:|---|\n");
}

static void print_row(FILE *out, const exp_point_t *p, const char *field, const char *golden,
                      const char *now, const char *delta, const char *verdict) {
  fprintf(out, "| %s %s %s %s | %s | %s | %s | %s | %s |\n", p->net, p->arch ? p->arch : "",
          p->cmx ? p->cmx : "-", p->solver ? p->solver : "", field, golden, now, delta, verdict);
}

/* One guarded field of one point; returns true when it is unchanged. */
static void compare_field(const exp_point_t *p, const char *field, const cJSON *want,
                          const cJSON *got, bool verbose, FILE *out, exp_regress_counts_t *c) {
  char g[40] = "-", n[40] = "-", d[48] = "";
  if (cJSON_IsNumber(want))
    exp_format_number(want->valuedouble, g, sizeof g);
  if (cJSON_IsNumber(got))
    exp_format_number(got->valuedouble, n, sizeof n);
  if (!cJSON_IsNumber(want) && !cJSON_IsNumber(got))
    return;
  if (!cJSON_IsNumber(want)) {
    c->warnings++;
    print_row(out, p, field, g, n, "", "WARN new field (run --update)");
    return;
  }
  if (!cJSON_IsNumber(got)) {
    c->failures++;
    print_row(out, p, field, g, n, "", "FAIL field gone");
    return;
  }
  double delta = got->valuedouble - want->valuedouble;
  if (delta == 0) {
    if (verbose)
      print_row(out, p, field, g, n, "0", "ok");
    return;
  }
  c->failures++;
  if (want->valuedouble != 0)
    snprintf(d, sizeof d, "%+.2f%%", 100 * delta / fabs(want->valuedouble));
  else
    snprintf(d, sizeof d, "%+.6g", delta);
  print_row(out, p, field, g, n, d, "FAIL changed");
}

/* Solve time is measured (the child's wall time: a loaded machine stretches
 * it tenfold), so it is compared only when asked, and only warns: beyond
 * opt->time_factor above a floor where timer noise dominates. */
static void compare_time(const exp_point_t *p, double want_ms, double got_ms,
                         const exp_compare_options_t *opt, FILE *out, exp_regress_counts_t *c) {
  char g[32], n[32], d[32];
  snprintf(g, sizeof g, "%.1f", want_ms);
  snprintf(n, sizeof n, "%.1f", got_ms);
  snprintf(d, sizeof d, "x%.2f", want_ms > 0 ? got_ms / want_ms : 0.0);
  bool above_floor = want_ms > GOLDEN_SOLVE_FLOOR_MS || got_ms > GOLDEN_SOLVE_FLOOR_MS;
  double f = opt->time_factor;
  if (above_floor && (got_ms > f * want_ms || got_ms < want_ms / f)) {
    c->warnings++;
    char verdict[48];
    snprintf(verdict, sizeof verdict, "WARN beyond %gx", f);
    print_row(out, p, "solve_ms", g, n, d, verdict);
  } else if (opt->verbose) {
    print_row(out, p, "solve_ms", g, n, d, "ok");
  }
}

static void compare_point(const exp_point_t *p, const cJSON *want, const exp_result_t *r,
                          const exp_compare_options_t *opt, FILE *out, exp_regress_counts_t *c) {
  if (r->status != EXP_STATUS_OK) {
    c->failures++;
    print_row(out, p, "status", "ok", exp_status_name(r->status), "", r->error ? r->error : "");
    return;
  }
  const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(want, "metrics");
  for (const char *const *f = exp_golden_fields(); *f; f++)
    compare_field(p, *f, cJSON_GetObjectItemCaseSensitive(metrics, *f),
                  cJSON_GetObjectItemCaseSensitive(r->totals, *f), opt->verbose, out, c);
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(want, "solve_ms");
  if (cJSON_IsNumber(ms) && opt->timing)
    compare_time(p, ms->valuedouble, r->wall_ms, opt, out, c);
}

void exp_golden_compare(const exp_sweep_t *points, const cJSON *expected,
                        const exp_result_t *results, const exp_compare_options_t *opt, FILE *out,
                        exp_regress_counts_t *counts) {
  *counts = (exp_regress_counts_t){.points = points->n_points};
  char *table = NULL;
  size_t len = 0;
  FILE *rows = open_memstream(&table, &len);
  for (int i = 0; i < points->n_points; i++)
    compare_point(&points->points[i], cJSON_GetArrayItem(expected, i), &results[i], opt, rows,
                  counts);
  fclose(rows);
  if (len > 0) { /* a table only when there is something to show */
    print_header(out);
    fputs(table, out);
  }
  free(table);
}
