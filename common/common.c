/* common.c - diagnostics and checked allocation shared by every stage. */
#include "common.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sched_diag_set(sched_diag_t *diag, int status, const char *fmt, ...) {
  if (diag) {
    /* Through a copy: callers may pass diag->msg itself as an argument
     * ("layer 'x': %s", diag->msg), and vsnprintf must not overlap. */
    char msg[SCHED_DIAG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(diag->msg, msg, sizeof msg);
  }
  return status;
}

const char *sched_status_name(int status) {
  switch (status) {
  case SCHED_OK: return "ok";
  case SCHED_ERR_INPUT: return "input error";
  case SCHED_ERR_NOMEM: return "out of memory";
  case SCHED_ERR_NOT_FOUND: return "not found";
  case SCHED_ERR_INFEASIBLE: return "infeasible";
  case SCHED_ERR_TIMEOUT: return "time limit";
  case SCHED_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

static void *check_alloc(void *p, size_t bytes) {
  if (!p && bytes) {
    fprintf(stderr, "sched: out of memory allocating %zu bytes\n", bytes);
    abort();
  }
  return p;
}

void *sched_xmalloc(size_t bytes) { return check_alloc(malloc(bytes ? bytes : 1), bytes); }

void *sched_xcalloc(size_t count, size_t bytes) {
  return check_alloc(calloc(count ? count : 1, bytes ? bytes : 1), count * bytes);
}

void *sched_xrealloc(void *ptr, size_t bytes) {
  return check_alloc(realloc(ptr, bytes ? bytes : 1), bytes);
}

char *sched_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(sched_xmalloc(n), s, n);
}

void sched_grow(void **items, int *cap, int need, size_t elem_bytes) {
  if (need <= *cap)
    return;
  int next = *cap ? *cap : 8;
  while (next < need)
    next *= 2;
  *items = sched_xrealloc(*items, (size_t)next * elem_bytes);
  *cap = next;
}

_Noreturn void sched_unreachable(const char *file, int line) {
  fprintf(stderr, "sched: internal error: unreachable code reached at %s:%d\n", file, line);
  abort();
}

int sched_edit_distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 63 || lb > 63)
    return 1 << 20;
  int row[64];
  for (int j = 0; j <= lb; j++)
    row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j];
      int best = SCHED_MIN(up + 1, row[j - 1] + 1);
      int differ = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      row[j] = SCHED_MIN(best, diag + differ);
      diag = up;
    }
  }
  return row[lb];
}
