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

#define SCHED_ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SCHED_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SCHED_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SCHED_CEIL_DIV(a, b) (((a) + (b)-1) / (b))
#define SCHED_ALIGN_UP(a, b) (SCHED_CEIL_DIV(a, b) * (b))
#define SCHED_UNREACHABLE() sched_unreachable(__FILE__, __LINE__)

_Noreturn void sched_unreachable(const char *file, int line);

#endif
