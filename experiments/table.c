/* table.c - result tables: built from a sweep's results, written as CSV and
 * JSON, read back from CSV for plots.
 *
 * Columns are discovered, not declared: every field of every row's report
 * totals becomes a column in order of first appearance, so a field added to
 * the report shows up in the next sweep with no change here. */
#include "experiments/experiments.h"
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void exp_table_init(exp_table_t *t) { memset(t, 0, sizeof *t); }

void exp_table_free(exp_table_t *t) {
  for (int i = 0; i < t->n_cols; i++)
    free(t->cols[i]);
  for (int i = 0; i < t->n_rows * t->n_cols; i++)
    free(t->cells[i]);
  free(t->cols);
  free(t->cells);
  memset(t, 0, sizeof *t);
}

int exp_table_find(const exp_table_t *t, const char *name) {
  for (int i = 0; i < t->n_cols; i++)
    if (strcmp(t->cols[i], name) == 0)
      return i;
  return -1;
}

/* Re-lays the cells for one more column (rows keep their values). */
static void widen(exp_table_t *t) {
  int old = t->n_cols, now = old + 1;
  char **cells = sched_xcalloc((size_t)SCHED_MAX(t->cap_rows, 1) * (size_t)now, sizeof *cells);
  for (int r = 0; r < t->n_rows; r++)
    for (int c = 0; c < old; c++)
      cells[r * now + c] = t->cells[r * old + c];
  free(t->cells);
  t->cells = cells;
  t->n_cols = now;
}

int exp_table_col(exp_table_t *t, const char *name) {
  int i = exp_table_find(t, name);
  if (i >= 0)
    return i;
  sched_grow((void **)&t->cols, &t->cap_cols, t->n_cols + 1, sizeof *t->cols);
  t->cols[t->n_cols] = sched_xstrdup(name);
  widen(t);
  return t->n_cols - 1;
}

int exp_table_add_row(exp_table_t *t) {
  if (t->n_rows == t->cap_rows) {
    int cap = t->cap_rows ? t->cap_rows * 2 : 16;
    t->cells =
        sched_xrealloc(t->cells, (size_t)cap * (size_t)SCHED_MAX(t->n_cols, 1) * sizeof *t->cells);
    t->cap_rows = cap;
  }
  for (int c = 0; c < t->n_cols; c++)
    t->cells[t->n_rows * t->n_cols + c] = NULL;
  return t->n_rows++;
}

void exp_table_set(exp_table_t *t, int row, int col, const char *value) {
  char **cell = &t->cells[row * t->n_cols + col];
  free(*cell);
  *cell = value ? sched_xstrdup(value) : NULL;
}

const char *exp_table_get(const exp_table_t *t, int row, int col) {
  const char *v = col >= 0 ? t->cells[row * t->n_cols + col] : NULL;
  return v ? v : "";
}

void exp_format_number(double v, char *buf, size_t size) {
  if (v == floor(v) && fabs(v) < 9007199254740992.0) {
    snprintf(buf, size, "%.0f", v);
    return;
  }
  for (int digits = 6; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v)
      return;
  }
}

/* ---- from results ---- */

static void set_col(exp_table_t *t, int row, const char *col, const char *value) {
  exp_table_set(t, row, exp_table_col(t, col), value);
}

static void set_num(exp_table_t *t, int row, const char *col, double v) {
  char buf[64];
  exp_format_number(v, buf, sizeof buf);
  set_col(t, row, col, buf);
}

static void add_totals(exp_table_t *t, int row, const cJSON *totals) {
  const cJSON *f;
  cJSON_ArrayForEach(f, totals) {
    if (strcmp(f->string, "solve_ms") == 0) /* 0 under --no-timing; measured below */
      continue;
    if (cJSON_IsNumber(f))
      set_num(t, row, f->string, f->valuedouble);
    else if (cJSON_IsString(f))
      set_col(t, row, f->string, f->valuestring);
    else if (cJSON_IsBool(f))
      set_col(t, row, f->string, cJSON_IsTrue(f) ? "true" : "false");
  }
}

/* The fixed leading columns, so every table starts the same way. */
static void add_param_cols(exp_table_t *t, const exp_sweep_t *s) {
  static const char *const fixed[] = {"point", "net", "family", "arch", "cmx", "solver", "options"};
  for (int i = 0; i < SCHED_ARRAY_LEN(fixed); i++)
    exp_table_col(t, fixed[i]);
  for (int v = 0; v < s->n_vars; v++)
    exp_table_col(t, s->var_names[v]);
  exp_table_col(t, "status");
  exp_table_col(t, "cmx_bytes");
}

void exp_table_from_results(const exp_sweep_t *s, const exp_result_t *results, exp_table_t *out) {
  exp_table_init(out);
  add_param_cols(out, s);
  for (int i = 0; i < s->n_points; i++) {
    const exp_point_t *p = &s->points[i];
    const exp_result_t *r = &results[i];
    int row = exp_table_add_row(out);
    set_num(out, row, "point", i);
    set_col(out, row, "net", p->net);
    set_col(out, row, "family", p->family);
    set_col(out, row, "arch", p->arch);
    set_col(out, row, "cmx", p->cmx);
    set_col(out, row, "solver", p->solver);
    char *opts = exp_point_options_text(p);
    set_col(out, row, "options", *opts ? opts : NULL);
    free(opts);
    for (int v = 0; v < s->n_vars; v++)
      set_col(out, row, s->var_names[v], p->var_values[v]);
    set_col(out, row, "status", exp_status_name(r->status));
    if (r->status == EXP_STATUS_OK) {
      set_num(out, row, "cmx_bytes", r->cmx_bytes);
      add_totals(out, row, r->totals);
    }
  }
  for (int i = 0; i < s->n_points; i++) { /* last: after every totals column */
    char ms[32];
    snprintf(ms, sizeof ms, "%.3f", results[i].wall_ms);
    set_col(out, i, "solve_ms", ms);
    set_col(out, i, "error", results[i].error);
  }
}

/* ---- CSV ---- */

static void csv_field(const char *v, FILE *out) {
  if (!strpbrk(v, ",\"\n\r")) {
    fputs(v, out);
    return;
  }
  fputc('"', out);
  for (const char *c = v; *c; c++) {
    if (*c == '"')
      fputc('"', out);
    fputc(*c, out);
  }
  fputc('"', out);
}

void exp_table_write_csv(const exp_table_t *t, FILE *out) {
  for (int c = 0; c < t->n_cols; c++) {
    if (c)
      fputc(',', out);
    csv_field(t->cols[c], out);
  }
  fputc('\n', out);
  for (int r = 0; r < t->n_rows; r++) {
    for (int c = 0; c < t->n_cols; c++) {
      if (c)
        fputc(',', out);
      csv_field(exp_table_get(t, r, c), out);
    }
    fputc('\n', out);
  }
}

typedef struct {
  char *data;
  size_t len, cap;
} csv_field_t;

static void field_put(csv_field_t *f, int ch) {
  if (f->len + 2 > f->cap) {
    f->cap = f->cap ? f->cap * 2 : 64;
    f->data = sched_xrealloc(f->data, f->cap);
  }
  f->data[f->len++] = (char)ch;
  f->data[f->len] = '\0';
}

/* Reads one field; returns the character that ended it (',', '\n', EOF). */
static int csv_read_field(FILE *in, csv_field_t *f) {
  f->len = 0;
  field_put(f, 0);
  f->len = 0;
  int ch = fgetc(in);
  bool quoted = ch == '"';
  if (quoted)
    ch = fgetc(in);
  for (;; ch = fgetc(in)) {
    if (ch == EOF)
      return EOF;
    if (quoted && ch == '"') {
      ch = fgetc(in);
      if (ch != '"') {
        quoted = false;
        if (ch == ',' || ch == '\n' || ch == EOF)
          return ch;
      }
    } else if (!quoted && (ch == ',' || ch == '\n')) {
      return ch;
    }
    if (ch != '\r' || quoted)
      field_put(f, ch);
  }
}

int exp_table_read_csv(const char *path, exp_table_t *out, sched_diag_t *diag) {
  exp_table_init(out);
  FILE *in;
  int rc = sched_file_open(path, "results CSV", EXP_TABLE_MAX_FILE_BYTES, &in, diag);
  if (rc != SCHED_OK)
    return rc;
  csv_field_t f = {0};
  int end, col = 0, row = -1;
  do {
    end = csv_read_field(in, &f);
    if (end == EOF && f.len == 0 && col == 0)
      break;
    if (row < 0)
      exp_table_col(out, f.data);
    else if (col < out->n_cols)
      exp_table_set(out, row, col, f.len ? f.data : NULL);
    col++;
    if (end == '\n' || end == EOF) {
      col = 0;
      row = exp_table_add_row(out);
    }
  } while (end != EOF);
  if (row >= 0 && col == 0)
    out->n_rows--; /* the row opened after the last newline */
  free(f.data);
  fclose(in);
  return out->n_cols > 0 ? SCHED_OK : sched_diag_set(diag, SCHED_ERR_INPUT, "%s: empty CSV", path);
}

/* ---- JSON ---- */

static bool is_number(const char *v, double *out) {
  char *end = NULL;
  if (!*v)
    return false;
  *out = strtod(v, &end);
  return *end == '\0' && isfinite(*out);
}

int exp_table_write_json(const exp_table_t *t, FILE *out) {
  cJSON *rows = cJSON_CreateArray();
  if (!rows)
    return SCHED_ERR_NOMEM;
  int keep_text[] = {exp_table_find(t, "net"), exp_table_find(t, "family"),
                     exp_table_find(t, "cmx"), exp_table_find(t, "options"),
                     exp_table_find(t, "error")};
  for (int r = 0; r < t->n_rows; r++) {
    cJSON *obj = cJSON_CreateObject();
    for (int c = 0; c < t->n_cols; c++) {
      const char *v = exp_table_get(t, r, c);
      double num;
      bool text = false;
      for (int k = 0; k < SCHED_ARRAY_LEN(keep_text); k++)
        text |= keep_text[k] == c;
      if (!*v)
        continue;
      if (!text && is_number(v, &num))
        cJSON_AddNumberToObject(obj, t->cols[c], num);
      else
        cJSON_AddStringToObject(obj, t->cols[c], v);
    }
    cJSON_AddItemToArray(rows, obj);
  }
  return report_json_emit(rows, true, out);
}
