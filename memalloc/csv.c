/* csv.c - the interchange format of public allocator benchmarks: a header
 * row naming the columns id,lower,upper,size (any order; an optional
 * alignment column; an offset column, as --output writes it, is read as a
 * layout to check, or ignored), then one row per buffer with `upper` exclusive. Every error
 * names file:line and the offending text. */
#include "memalloc/memalloc_internal.h"

#include "common/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { COL_ID, COL_LOWER, COL_UPPER, COL_SIZE, COL_ALIGN, COL_OFFSET, COL_KINDS };
static const char *const col_names[COL_KINDS] = {"id",   "lower",     "upper",
                                                 "size", "alignment", "offset"};

typedef struct {
  const char *name;
  const sched_csv_row_t *row; /* the row being read */
  int col_kind[COL_KINDS];    /* kind of each header column */
  bool has_offset;
  int64_t *offsets; /* per row, when a layout is read (else NULL) */
} csv_t;

static int csv_header(csv_t *c, const sched_csv_t *t, sched_diag_t *diag) {
  if (t->n_rows == 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "%s:1: empty file, expected a header row 'id,lower,upper,size'", c->name);
  const sched_csv_row_t *h = &t->rows[0];
  bool seen[COL_KINDS] = {false};
  for (int f = 0; f < h->n_fields; f++) {
    int kind = -1;
    for (int k = 0; k < COL_KINDS; k++)
      if (strcmp(h->fields[f], col_names[k]) == 0)
        kind = k;
    if (kind < 0 || seen[kind])
      return sched_diag_set(diag, SCHED_ERR_INPUT,
                            "%s:%d: missing header row 'id,lower,upper,size' (%s column '%s')",
                            c->name, h->line, kind < 0 ? "unknown" : "repeated", h->fields[f]);
    seen[kind] = true;
    c->col_kind[f] = kind;
  }
  c->has_offset = seen[COL_OFFSET];
  for (int k = COL_ID; k <= COL_SIZE; k++)
    if (!seen[k])
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: header has no '%s' column", c->name,
                            h->line, col_names[k]);
  return SCHED_OK;
}

static int csv_int(const csv_t *c, int f, int64_t *out, sched_diag_t *diag) {
  const char *text = c->row->fields[f], *what = col_names[c->col_kind[f]];
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0')
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: %s is not an integer: '%s'", c->name,
                          c->row->line, what, text);
  if (errno == ERANGE)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: %s is out of range: '%s'", c->name,
                          c->row->line, what, text);
  *out = v;
  return SCHED_OK;
}

/* The value checks of one row, in column order. */
static int csv_row_check(const csv_t *c, const int64_t *v, sched_diag_t *diag) {
  const char *n = c->name;
  int l = c->row->line;
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
  if (p->n_buffers >= MEMALLOC_MAX_BUFFERS)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: too many buffers (limit %d)", c->name,
                          c->row->line, MEMALLOC_MAX_BUFFERS);
  int64_t v[COL_KINDS] = {0, 0, 0, 0, 1, 0};
  for (int f = 0; f < c->row->n_fields; f++) {
    int rc = csv_int(c, f, &v[c->col_kind[f]], diag);
    if (rc != SCHED_OK)
      return rc;
  }
  int rc = csv_row_check(c, v, diag);
  if (rc != SCHED_OK)
    return rc;
  if (c->offsets) {
    if (v[COL_OFFSET] < 0)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: offset must be >= 0, got %lld", c->name,
                            c->row->line, (long long)v[COL_OFFSET]);
    c->offsets[p->n_buffers] = v[COL_OFFSET];
  }
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

/* Reads buffers, and their offsets into layout when it is not NULL. */
static int csv_read(FILE *in, const char *name, memalloc_problem_t *p, memalloc_solution_t *layout,
                    sched_diag_t *diag) {
  sched_csv_t t;
  int rc = sched_csv_read(in, name, NULL, &t, diag);
  if (rc != SCHED_OK)
    return rc;
  csv_t c = {.name = name};
  rc = csv_header(&c, &t, diag);
  if (rc == SCHED_OK && layout && !c.has_offset)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: header has no 'offset' column", name,
                        t.rows[0].line);
  if (layout)
    c.offsets = sched_xcalloc((size_t)SCHED_MAX(t.n_rows, 1), sizeof *c.offsets);
  id_line_t *rows = sched_xcalloc((size_t)SCHED_MAX(t.n_rows, 1), sizeof *rows);
  int n = 0;
  for (int r = 1; r < t.n_rows && rc == SCHED_OK; r++) {
    c.row = &t.rows[r];
    rc = csv_row(&c, p, diag);
    rows[n++] = (id_line_t){p->n_buffers > 0 ? p->buffers[p->n_buffers - 1].id : 0, c.row->line};
  }
  if (rc == SCHED_OK)
    rc = csv_duplicates(name, rows, n, diag);
  if (rc == SCHED_OK && layout) {
    memalloc_solution_resize(layout, p->n_buffers);
    memcpy(layout->offsets_bytes, c.offsets, (size_t)p->n_buffers * sizeof *c.offsets);
    memalloc_solution_update_peak(p, layout);
  }
  free(c.offsets);
  free(rows);
  sched_csv_free(&t);
  return rc;
}

int memalloc_csv_read(FILE *in, const char *name, memalloc_problem_t *p, sched_diag_t *diag) {
  return csv_read(in, name, p, NULL, diag);
}

int memalloc_csv_read_path(const char *path, memalloc_problem_t *p, sched_diag_t *diag) {
  return memalloc_csv_read_layout_path(path, p, NULL, diag);
}

int memalloc_csv_read_layout_path(const char *path, memalloc_problem_t *p,
                                  memalloc_solution_t *layout, sched_diag_t *diag) {
  FILE *in;
  int rc = sched_file_open(path, "memalloc CSV", MEMALLOC_CSV_MAX_BYTES, &in, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = csv_read(in, path, p, layout, diag);
  fclose(in);
  return rc;
}

void memalloc_csv_write(FILE *out, const memalloc_problem_t *p, const memalloc_solution_t *s) {
  bool aligned = false;
  for (int i = 0; i < p->n_buffers; i++)
    aligned = aligned || p->buffers[i].align_bytes > 1;
  sched_csv_writer_t w = {.out = out};
  const char *const head[] = {"id", "lower", "upper", "size", "alignment", "offset"};
  for (int k = 0; k < SCHED_ARRAY_LEN(head); k++)
    if (k != COL_ALIGN || aligned)
      sched_csv_field(&w, head[k]);
  sched_csv_end_row(&w);
  for (int i = 0; i < p->n_buffers; i++) {
    const memalloc_buffer_t *b = &p->buffers[i];
    const int64_t v[] = {b->id,         b->lower,       b->upper,
                         b->size_bytes, b->align_bytes, s->offsets_bytes[i]};
    for (int k = 0; k < SCHED_ARRAY_LEN(v); k++)
      if (k != COL_ALIGN || aligned)
        sched_csv_fieldf(&w, "%lld", (long long)v[k]);
    sched_csv_end_row(&w);
  }
}
