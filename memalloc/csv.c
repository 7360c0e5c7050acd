/* csv.c - the interchange format of public allocator benchmarks: a header
 * row naming the columns id,lower,upper,size (any order; an optional
 * alignment column; an offset column, as --output writes it, is read and
 * ignored), then one row per buffer with `upper` exclusive. Every error
 * names file:line and the offending text. */
#include "memalloc/memalloc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CSV_LINE_MAX 4096
#define CSV_COLS_MAX 8

enum { COL_ID, COL_LOWER, COL_UPPER, COL_SIZE, COL_ALIGN, COL_OFFSET, COL_KINDS };
static const char *const col_names[COL_KINDS] = {"id",   "lower",     "upper",
                                                 "size", "alignment", "offset"};

typedef struct {
  FILE *in;
  const char *name;
  int line;
  char text[CSV_LINE_MAX + 2];
  char *fields[CSV_COLS_MAX];
  int n_fields;
  int col_kind[CSV_COLS_MAX]; /* kind of each header column */
  int n_cols;
} csv_t;

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
    s[--n] = '\0';
  return s;
}

/* Fields of the line s (commas + 1), counted past CSV_COLS_MAX so that the
 * error says how many there are. */
static int count_fields(const char *s) {
  int n = 1;
  for (; *s; s++)
    n += *s == ',';
  return n;
}

/* Reads the next non-blank line and splits it at commas: SCHED_OK with
 * *got true on a line, false at end of file; an error status otherwise
 * (kept apart from *got: SCHED_ERR_INPUT is 1, too). */
static int csv_next(csv_t *c, bool *got, sched_diag_t *diag) {
  *got = false;
  for (;;) {
    if (!fgets(c->text, sizeof c->text, c->in))
      return ferror(c->in) ? sched_diag_set(diag, SCHED_ERR_INPUT, "%s: read error", c->name)
                           : SCHED_OK;
    c->line++;
    size_t len = strlen(c->text);
    if (len > CSV_LINE_MAX && c->text[len - 1] != '\n')
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: line longer than %d characters", c->name,
                            c->line, CSV_LINE_MAX);
    char *s = trim(c->text);
    if (*s == '\0')
      continue;
    c->n_fields = 0;
    if (count_fields(s) > CSV_COLS_MAX && c->n_cols > 0)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: expected %d fields, got %d", c->name,
                            c->line, c->n_cols, count_fields(s));
    if (count_fields(s) > CSV_COLS_MAX)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: header has %d columns, at most %d",
                            c->name, c->line, count_fields(s), CSV_COLS_MAX);
    for (char *f = s;; f++) {
      char *comma = strchr(f, ',');
      if (comma)
        *comma = '\0';
      c->fields[c->n_fields++] = trim(f);
      if (!comma) {
        *got = true;
        return SCHED_OK;
      }
      f = comma;
    }
  }
}

static int csv_header(csv_t *c, sched_diag_t *diag) {
  bool got;
  int rc = csv_next(c, &got, diag);
  if (rc != SCHED_OK)
    return rc;
  if (!got)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s:1: empty file, expected a header row 'id,lower,upper,size'", c->name);
  bool seen[COL_KINDS] = {false};
  c->n_cols = c->n_fields;
  for (int f = 0; f < c->n_fields; f++) {
    int kind = -1;
    for (int k = 0; k < COL_KINDS; k++)
      if (strcmp(c->fields[f], col_names[k]) == 0)
        kind = k;
    if (kind < 0 || seen[kind])
      return sched_diag_set(diag, SCHED_ERR_INPUT,
                            "%s:%d: missing header row 'id,lower,upper,size' (%s column '%s')",
                            c->name, c->line, kind < 0 ? "unknown" : "repeated", c->fields[f]);
    seen[kind] = true;
    c->col_kind[f] = kind;
  }
  for (int k = COL_ID; k <= COL_SIZE; k++)
    if (!seen[k])
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: header has no '%s' column", c->name,
                            c->line, col_names[k]);
  return SCHED_OK;
}

static int csv_int(const csv_t *c, int f, int64_t *out, sched_diag_t *diag) {
  const char *text = c->fields[f], *what = col_names[c->col_kind[f]];
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0')
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: %s is not an integer: '%s'", c->name,
                          c->line, what, text);
  if (errno == ERANGE)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: %s is out of range: '%s'", c->name,
                          c->line, what, text);
  *out = v;
  return SCHED_OK;
}

/* The value checks of one row, in column order. */
static int csv_row_check(const csv_t *c, const int64_t *v, sched_diag_t *diag) {
  const char *n = c->name;
  int l = c->line;
  if (v[COL_LOWER] < 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: lower must not be negative, got %lld", n,
                          l, (long long)v[COL_LOWER]);
  if (v[COL_UPPER] <= v[COL_LOWER])
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s:%d: upper must be greater than lower, got lower %lld, upper %lld", n,
                          l, (long long)v[COL_LOWER], (long long)v[COL_UPPER]);
  if (v[COL_UPPER] > MEMALLOC_MAX_STEP)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: upper %lld exceeds the limit %lld", n, l,
                          (long long)v[COL_UPPER], (long long)MEMALLOC_MAX_STEP);
  if (v[COL_SIZE] <= 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: size must be positive, got %lld", n, l,
                          (long long)v[COL_SIZE]);
  if (v[COL_SIZE] > MEMALLOC_MAX_SIZE_BYTES)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: size %lld exceeds the limit %lld", n, l,
                          (long long)v[COL_SIZE], (long long)MEMALLOC_MAX_SIZE_BYTES);
  if (v[COL_ALIGN] <= 0 || v[COL_ALIGN] > MEMALLOC_MAX_ALIGN_BYTES)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: alignment must be in [1, %lld], got %lld",
                          n, l, (long long)MEMALLOC_MAX_ALIGN_BYTES, (long long)v[COL_ALIGN]);
  return SCHED_OK;
}

static int csv_row(csv_t *c, memalloc_problem_t *p, sched_diag_t *diag) {
  if (c->n_fields != c->n_cols)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: expected %d fields, got %d", c->name,
                          c->line, c->n_cols, c->n_fields);
  if (p->n_buffers >= MEMALLOC_MAX_BUFFERS)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: too many buffers (limit %d)", c->name,
                          c->line, MEMALLOC_MAX_BUFFERS);
  int64_t v[COL_KINDS] = {0, 0, 0, 0, 1, 0};
  for (int f = 0; f < c->n_fields; f++) {
    int rc = csv_int(c, f, &v[c->col_kind[f]], diag);
    if (rc != SCHED_OK)
      return rc;
  }
  int rc = csv_row_check(c, v, diag);
  if (rc != SCHED_OK)
    return rc;
  return memalloc_problem_add(p, v[COL_ID], v[COL_LOWER], v[COL_UPPER], v[COL_SIZE], v[COL_ALIGN],
                              diag);
}

typedef struct {
  int64_t id;
  int line;
} id_line_t;

static int id_line_cmp(const void *a, const void *b) {
  const id_line_t *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return (x->line > y->line) - (x->line < y->line);
}

/* Reports the repeated id met first in file order. */
static int csv_duplicates(const char *name, id_line_t *rows, int n, sched_diag_t *diag) {
  if (n < 2)
    return SCHED_OK; /* nothing to repeat; and qsort(NULL, 0) is undefined */
  qsort(rows, (size_t)n, sizeof *rows, id_line_cmp);
  int worst = -1;
  for (int k = 1; k < n; k++)
    if (rows[k].id == rows[k - 1].id && (k < 2 || rows[k - 2].id != rows[k].id) &&
        (worst < 0 || rows[k].line < rows[worst].line))
      worst = k;
  if (worst < 0)
    return SCHED_OK;
  return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: duplicate id %lld (first on line %d)", name,
                        rows[worst].line, (long long)rows[worst].id, rows[worst - 1].line);
}

int memalloc_csv_read(FILE *in, const char *name, memalloc_problem_t *p, sched_diag_t *diag) {
  csv_t c = {.in = in, .name = name};
  int rc = csv_header(&c, diag), cap = 0, n = 0;
  id_line_t *rows = NULL;
  bool got = true;
  while (rc == SCHED_OK) {
    rc = csv_next(&c, &got, diag);
    if (rc != SCHED_OK || !got)
      break;
    rc = csv_row(&c, p, diag);
    sched_grow((void **)&rows, &cap, n + 1, sizeof *rows);
    rows[n++] = (id_line_t){p->n_buffers > 0 ? p->buffers[p->n_buffers - 1].id : 0, c.line};
  }
  if (rc == SCHED_OK)
    rc = csv_duplicates(name, rows, n, diag);
  free(rows);
  return rc;
}

int memalloc_csv_read_path(const char *path, memalloc_problem_t *p, sched_diag_t *diag) {
  FILE *in;
  int rc = sched_file_open(path, "memalloc CSV", MEMALLOC_CSV_MAX_BYTES, &in, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = memalloc_csv_read(in, path, p, diag);
  fclose(in);
  return rc;
}

void memalloc_csv_write(FILE *out, const memalloc_problem_t *p, const memalloc_solution_t *s) {
  bool aligned = false;
  for (int i = 0; i < p->n_buffers; i++)
    aligned = aligned || p->buffers[i].align_bytes > 1;
  fprintf(out, "id,lower,upper,size,%soffset\n", aligned ? "alignment," : "");
  for (int i = 0; i < p->n_buffers; i++) {
    const memalloc_buffer_t *b = &p->buffers[i];
    fprintf(out, "%lld,%lld,%lld,%lld,", (long long)b->id, (long long)b->lower, (long long)b->upper,
            (long long)b->size_bytes);
    if (aligned)
      fprintf(out, "%lld,", (long long)b->align_bytes);
    fprintf(out, "%lld\n", (long long)s->offsets_bytes[i]);
  }
}
