/* csv.c - RFC 4180 CSV writing, and strict reading through Debian's libcsv.
 *
 * The reader feeds libcsv one line at a time so that every row knows the
 * line it starts on (errors name file:line), and so that comment lines can
 * be dropped before libcsv sees them. A line starts a row unless an odd
 * number of quotes came before it in the row: RFC 4180 quotes come in pairs
 * ("" inside a field, or the field's own open and close). */
#include "common/csv.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CSV_FIELDS_MAX 4096 /* per row; a sanity cap, not a format rule */

/* ---- writing ---- */

void sched_csv_field(sched_csv_writer_t *w, const char *text) {
  if (w->n_fields++ > 0)
    fputc(',', w->out);
  if (!strpbrk(text, ",\"\r\n")) {
    fputs(text, w->out);
    return;
  }
  fputc('"', w->out);
  for (const char *c = text; *c; c++) {
    if (*c == '"')
      fputc('"', w->out);
    fputc(*c, w->out);
  }
  fputc('"', w->out);
}

void sched_csv_fieldf(sched_csv_writer_t *w, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  sched_csv_field(w, buf);
}

void sched_csv_format_number(double v, char *buf, size_t size) {
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

void sched_csv_end_row(sched_csv_writer_t *w) {
  fputc('\n', w->out);
  w->n_fields = 0;
}

/* ---- reading ---- */

typedef struct {
  sched_csv_t *t;
  sched_csv_row_t row; /* being assembled */
  int cap_fields;
  int line;      /* the line being fed */
  int row_line;  /* the line the current row started on */
  bool too_wide; /* a row exceeded CSV_FIELDS_MAX */
} reader_t;

static void on_field(void *data, size_t len, void *ctx) {
  reader_t *r = ctx;
  if (r->row.n_fields == CSV_FIELDS_MAX) {
    r->too_wide = true;
    return;
  }
  char *f = sched_xmalloc(len + 1);
  memcpy(f, data ? data : "", data ? len : 0);
  f[data ? len : 0] = '\0';
  sched_grow((void **)&r->row.fields, &r->cap_fields, r->row.n_fields + 1, sizeof *r->row.fields);
  r->row.fields[r->row.n_fields++] = f;
}

static void on_row(int term, void *ctx) {
  (void)term;
  reader_t *r = ctx;
  sched_csv_t *t = r->t;
  r->row.line = r->row_line;
  sched_grow((void **)&t->rows, &t->cap_rows, t->n_rows + 1, sizeof *t->rows);
  t->rows[t->n_rows++] = r->row;
  r->row = (sched_csv_row_t){0};
  r->cap_fields = 0;
}

static bool blank(const char *s) { return s[strspn(s, " \t\r\n")] == '\0'; }

static int count_quotes(const char *s, size_t n) {
  int q = 0;
  for (size_t i = 0; i < n; i++)
    q += s[i] == '"';
  return q;
}

/* Every row must have the header's field count. */
static int check_widths(const sched_csv_t *t, const char *name, sched_diag_t *diag) {
  for (int i = 1; i < t->n_rows; i++)
    if (t->rows[i].n_fields != t->rows[0].n_fields)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: expected %d fields, got %d", name,
                            t->rows[i].line, t->rows[0].n_fields, t->rows[i].n_fields);
  return SCHED_OK;
}

/* Feeds the lines of in to p; returns a status. */
static int feed(struct csv_parser *p, reader_t *r, FILE *in, const char *name, bool comments,
                sched_diag_t *diag) {
  char *text = NULL;
  size_t cap = 0;
  ssize_t n;
  bool in_quote = false;
  int rc = SCHED_OK;
  while (rc == SCHED_OK && (n = getline(&text, &cap, in)) >= 0) {
    r->line++;
    if (!in_quote && (blank(text) || (comments && text[0] == '#')))
      continue;
    if (!in_quote)
      r->row_line = r->line;
    in_quote ^= count_quotes(text, (size_t)n) & 1;
    if (csv_parse(p, text, (size_t)n, on_field, on_row, r) != (size_t)n)
      rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: malformed CSV (%s)", name, r->line,
                          csv_error(p) == CSV_EPARSE ? "a quote out of place" : "out of memory");
    else if (r->too_wide)
      rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: more than %d fields", name, r->line,
                          CSV_FIELDS_MAX);
  }
  free(text);
  if (rc == SCHED_OK && ferror(in))
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: read error: %s", name, strerror(errno));
  if (rc == SCHED_OK && csv_fini(p, on_field, on_row, r) != 0)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s:%d: a quoted field is not closed", name,
                        r->row_line);
  return rc;
}

int sched_csv_read(FILE *in, const char *name, const sched_csv_read_options_t *opt,
                   sched_csv_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
    return sched_diag_set(diag, SCHED_ERR_NOMEM, "%s: cannot start the CSV parser", name);
  reader_t r = {.t = out};
  int rc = feed(&p, &r, in, name, opt && opt->comments, diag);
  csv_free(&p);
  for (int i = 0; i < r.row.n_fields; i++)
    free(r.row.fields[i]);
  free(r.row.fields);
  if (rc == SCHED_OK)
    rc = check_widths(out, name, diag);
  if (rc != SCHED_OK)
    sched_csv_free(out);
  return rc;
}

int sched_csv_read_path(const char *path, const sched_csv_read_options_t *opt, sched_csv_t *out,
                        sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  FILE *in;
  int rc = sched_file_open(path, "CSV file", SCHED_CSV_MAX_FILE_BYTES, &in, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = sched_csv_read(in, path, opt, out, diag);
  fclose(in);
  return rc;
}

void sched_csv_free(sched_csv_t *t) {
  for (int i = 0; i < t->n_rows; i++) {
    for (int f = 0; f < t->rows[i].n_fields; f++)
      free(t->rows[i].fields[f]);
    free(t->rows[i].fields);
  }
  free(t->rows);
  memset(t, 0, sizeof *t);
}

int sched_csv_column(const sched_csv_t *t, const char *name) {
  if (t->n_rows == 0)
    return -1;
  for (int i = 0; i < t->rows[0].n_fields; i++)
    if (strcmp(t->rows[0].fields[i], name) == 0)
      return i;
  return -1;
}
