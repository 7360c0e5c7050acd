/* common.h - what every stage of sched shares: status codes, the diagnostic
 * that carries one error line to the user, and checked allocation.
 *
 * Two kinds of error (STYLE.md): bad input returns a status and fills a
 * diagnostic naming where and the offending value; internal bugs assert. */
#ifndef SCHED_COMMON_H
#define SCHED_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
  SCHED_OK = 0,
  SCHED_ERR_INPUT,      /* bad input: file, flag, graph, shape */
  SCHED_ERR_NOMEM,      /* allocation failed or a size cap was exceeded */
  SCHED_ERR_NOT_FOUND,  /* a lookup had no answer (callers may fall back) */
  SCHED_ERR_INFEASIBLE, /* a search proved there is no solution */
  SCHED_ERR_TIMEOUT,    /* a search hit its time limit without a solution */
  SCHED_ERR_INTERNAL    /* a library call failed for a reason not ours */
} sched_status_t;

#define SCHED_DIAG_MAX 512

/* One human-readable error line; empty when no error was reported. */
typedef struct {
  char msg[SCHED_DIAG_MAX];
} sched_diag_t;

/* Formats into diag (NULL diag is allowed and ignored); returns status so a
 * caller can write `return sched_diag_set(d, SCHED_ERR_INPUT, "...")`. */
int sched_diag_set(sched_diag_t *diag, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Name of a status code, e.g. "input error". */
const char *sched_status_name(int status);

/* Checked allocation: abort with a message on out-of-memory. Used for the
 * small bookkeeping arrays of passes; sizes read from files are capped by the
 * readers before they get here. */
void *sched_xmalloc(size_t bytes);
void *sched_xcalloc(size_t count, size_t bytes);
void *sched_xrealloc(void *ptr, size_t bytes);
char *sched_xstrdup(const char *s);

/* Levenshtein distance ignoring ASCII case; strings longer than 63
 * characters count as far away (1 << 20). For "did you mean" suggestions. */
int sched_edit_distance(const char *a, const char *b);

/* Grows *items (of elem_bytes each) so that it holds at least need items. */
void sched_grow(void **items, int *cap, int need, size_t elem_bytes);

/* The version ("0.1.0") and the git revision of the source it was built
 * from ("6d28aa8...", "-dirty" with local changes, "unknown" outside git). */
const char *sched_version(void);
const char *sched_git_revision(void);

/* Checked integer arithmetic on sizes: false (and *out untouched) when the
 * exact result does not fit, so callers report an input error naming the
 * layer or row instead of wrapping. */
bool sched_mul_i64(int64_t a, int64_t b, int64_t *out);
bool sched_add_i64(int64_t a, int64_t b, int64_t *out);
bool sched_mul_size(size_t a, size_t b, size_t *out);
/* x rounded toward zero when it is finite and fits int64; false otherwise. */
bool sched_double_to_i64(double x, int64_t *out);

/* Cycles from a double, rounded up and clamped to [0, SCHED_MAX_CYCLES]
 * (NaN is 0): an extreme but in-range cost parameter gives a huge latency,
 * never a wrapped or negative one, and sums of a few thousand such values
 * still fit in int64. */
#define SCHED_MAX_CYCLES (INT64_C(1) << 50)
int64_t sched_cycles_ceil(double cycles);

/* A numeric option: the whole text is a finite number in [lo, hi]
 * (so "nan", "inf", "1e999" and "3x" are refused). */
bool sched_parse_double(const char *text, double lo, double hi, double *out);
bool sched_parse_int(const char *text, long long lo, long long hi, long long *out);

/* Parses one JSON document of len bytes (cJSON); NULL after setting
 * "<where>:LINE:COL: JSON syntax error" or "...: text after the JSON
 * value". The caller frees the result with cJSON_Delete. */
struct cJSON *sched_json_parse(const char *text, size_t len, const char *where, sched_diag_t *diag);
/* The one way a writer prints JSON (cJSON_Print or, not pretty, unformatted):
 * bytes that are not UTF-8 (names from ONNX or JSON files, paths on the
 * command line: cJSON copies them verbatim) become U+FFFD, so the text is
 * valid JSON. NULL when out of memory; the caller frees the text. */
char *sched_json_print(const struct cJSON *root, bool pretty);
/* A copy of s with every byte that is not part of a well-formed UTF-8
 * sequence replaced by U+FFFD (the caller frees it). */
char *sched_utf8_repair(const char *s);

/* The one way a reader opens a file: regular files only (a directory is
 * named as such; FIFOs and devices are refused without blocking: the open is
 * O_NONBLOCK and fstat decides before any read), at most max_bytes.
 * `what` names the input in errors ("arch file", "memalloc CSV"). */
int sched_file_open(const char *path, const char *what, size_t max_bytes, FILE **out,
                    sched_diag_t *diag);
/* Reads such a file whole into a NUL-terminated malloc'ed buffer (*len
 * excludes the NUL; len may be NULL). */
int sched_file_read(const char *path, const char *what, size_t max_bytes, char **text, size_t *len,
                    sched_diag_t *diag);

/* The one way a result file is written: into a temporary file beside path,
 * renamed over path by sched_out_commit only when every write, the flush and
 * the close succeeded, so a full disk never leaves a truncated result. A
 * path that exists and is not a regular file (/dev/stdout, a FIFO) is written
 * in place, still checked. */
typedef struct {
  FILE *f;
  char *path; /* final name */
  char *tmp;  /* temporary name, NULL when writing in place */
} sched_out_t;

int sched_out_open(sched_out_t *o, const char *path, sched_diag_t *diag);
/* Checks the stream, closes and renames; on any failure removes the
 * temporary file and reports "<path>: cannot write: <reason>". */
int sched_out_commit(sched_out_t *o, sched_diag_t *diag);
/* Drops an unfinished output (the temporary file is removed). */
void sched_out_discard(sched_out_t *o);
/* Writes text (plus nothing else) to path through sched_out_*. */
int sched_write_text(const char *path, const char *text, sched_diag_t *diag);

/* Runs body(ctx) with GLPK's error hook set, so that a failure inside GLPK
 * (which would abort the process) returns SCHED_ERR_INTERNAL "<what>: GLPK
 * failed on the model" with *glpk_failed set; GLPK's environment (every
 * problem object body made) is then freed: the caller must not touch them. */
int sched_glpk_call(int (*body)(void *ctx), void *ctx, const char *what, bool *glpk_failed,
                    sched_diag_t *diag);
/* A name GLPK accepts (at most 255 characters, no control characters:
 * those become '_'; an empty name becomes "unnamed"). */
#define SCHED_GLPK_NAME_MAX 255
void sched_glpk_name(const char *name, char out[SCHED_GLPK_NAME_MAX + 1]);

/* Flushes stdout and reports a write error ("sched: error: writing standard
 * output: No space left on device") on stderr; returns false then. Called by
 * main before exit so a full disk never exits 0. */
bool sched_stdout_ok(void);

#define SCHED_ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SCHED_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SCHED_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SCHED_CEIL_DIV(a, b) (((a) + (b)-1) / (b))
#define SCHED_ALIGN_UP(a, b) (SCHED_CEIL_DIV(a, b) * (b))
#define SCHED_UNREACHABLE() sched_unreachable(__FILE__, __LINE__)

_Noreturn void sched_unreachable(const char *file, int line);

#endif
