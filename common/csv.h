/* csv.h - RFC 4180 CSV: the one writer and reader of every table sched
 * writes or reads (reports, sweep results, allocator buffers, cost LUTs).
 *
 * Writing quotes a field only when it holds a comma, a double quote, CR or
 * LF (quotes inside are doubled), and ends each row with "\n". Reading is
 * strict (Debian's libcsv in strict mode parses): a quote inside an unquoted
 * field, text after a closing quote, an unterminated quote or a row whose
 * field count differs from the header's is an error naming file:line.
 * Blank lines are skipped; spaces around unquoted fields are trimmed. */
#ifndef SCHED_CSV_H
#define SCHED_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "common/common.h"

/* ---- writing ---- */

typedef struct {
  FILE *out;
  int n_fields; /* fields written in the current row */
} sched_csv_writer_t;

/* Writes one field of the current row. */
void sched_csv_field(sched_csv_writer_t *w, const char *text);
/* Writes one printf-formatted field (a number, usually). */
void sched_csv_fieldf(sched_csv_writer_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The shortest text of v that reads back as v ("3", "0.1", "1e+20"). */
void sched_csv_format_number(double v, char *buf, size_t size);
/* Ends the current row. */
void sched_csv_end_row(sched_csv_writer_t *w);

/* ---- reading ---- */

typedef struct {
  char **fields;
  int n_fields;
  int line; /* 1-based line where the row starts */
} sched_csv_row_t;

/* A whole file: rows[0] is the header. */
typedef struct {
  sched_csv_row_t *rows;
  int n_rows, cap_rows;
} sched_csv_t;

typedef struct {
  /* Lines starting with '#' between rows are comments (cost LUTs allow
   * them); RFC 4180 has none, so off unless asked. */
  bool comments;
} sched_csv_read_options_t;

/* Reads all of in (name is used in messages). An empty file gives no rows
 * (callers name the header they expected); on error out is empty too. */
int sched_csv_read(FILE *in, const char *name, const sched_csv_read_options_t *opt,
                   sched_csv_t *out, sched_diag_t *diag);
/* The same from a file path ("PATH: cannot open: REASON" when it cannot). */
/* Files read by path go through sched_file_open: regular files only, at
 * most this many bytes. */
#define SCHED_CSV_MAX_FILE_BYTES ((size_t)256 << 20)
int sched_csv_read_path(const char *path, const sched_csv_read_options_t *opt, sched_csv_t *out,
                        sched_diag_t *diag);
void sched_csv_free(sched_csv_t *t);
/* Index of the header column named name, or -1. */
int sched_csv_column(const sched_csv_t *t, const char *name);

#endif
