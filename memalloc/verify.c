/* verify.c - the independent checker of a layout. Requires nothing from the
 * allocators: it re-derives every constraint from the problem. Per-buffer
 * faults (negative offset, alignment, capacity) are reported first in index
 * order, then the first pair overlapping in time and space met by a sweep
 * over start steps (ties by index). */
#include "memalloc/memalloc_internal.h"

#include <stdlib.h>

static int buffer_verify(const memalloc_problem_t *p, const memalloc_solution_t *s, int i,
                         sched_diag_t *diag) {
  const memalloc_buffer_t *b = &p->buffers[i];
  int64_t off = s->offsets_bytes[i];
  if (off < 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "buffer %lld has negative offset %lld",
                          (long long)b->id, (long long)off);
  if (off % b->align_bytes != 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "buffer %lld offset %lld is not a multiple of its alignment %lld",
                          (long long)b->id, (long long)off, (long long)b->align_bytes);
  if (off > p->capacity_bytes - b->size_bytes)
    return sched_diag_set(
        diag, SCHED_ERR_INPUT, "buffer %lld ends at %lld bytes, above the capacity %lld bytes",
        (long long)b->id, (long long)(off + b->size_bytes), (long long)p->capacity_bytes);
  return SCHED_OK;
}

typedef struct {
  const memalloc_problem_t *p;
} sort_ctx_t;

static int start_cmp(const void *a, const void *b, void *ctx) {
  const memalloc_buffer_t *bufs = ((const sort_ctx_t *)ctx)->p->buffers;
  int x = *(const int *)a, y = *(const int *)b;
  if (bufs[x].lower != bufs[y].lower)
    return bufs[x].lower < bufs[y].lower ? -1 : 1;
  return (x > y) - (x < y);
}

/* Merge sort by start then index (qsort_r is not C11): a total order, so
 * the "first" violation is deterministic. */
static void sort_by_start(int *idx, int *tmp, int n, sort_ctx_t *ctx) {
  if (n < 2)
    return;
  int h = n / 2;
  sort_by_start(idx, tmp, h, ctx);
  sort_by_start(idx + h, tmp, n - h, ctx);
  int i = 0, j = h, k = 0;
  while (i < h || j < n)
    tmp[k++] = (j >= n || (i < h && start_cmp(&idx[i], &idx[j], ctx) <= 0)) ? idx[i++] : idx[j++];
  for (k = 0; k < n; k++)
    idx[k] = tmp[k];
}

static int pair_report(const memalloc_problem_t *p, const memalloc_solution_t *s, int a, int b,
                       sched_diag_t *diag) {
  const memalloc_buffer_t *x = &p->buffers[a], *y = &p->buffers[b];
  int64_t xo = s->offsets_bytes[a], yo = s->offsets_bytes[b];
  return sched_diag_set(diag, SCHED_ERR_INPUT,
                        "buffers %lld and %lld overlap in time [%lld, %lld) and space [%lld, %lld)",
                        (long long)x->id, (long long)y->id,
                        (long long)SCHED_MAX(x->lower, y->lower),
                        (long long)SCHED_MIN(x->upper, y->upper), (long long)SCHED_MAX(xo, yo),
                        (long long)SCHED_MIN(xo + x->size_bytes, yo + y->size_bytes));
}

/* Sweep: `active` holds the buffers started and not yet ended. */
static int overlap_verify(const memalloc_problem_t *p, const memalloc_solution_t *s,
                          sched_diag_t *diag) {
  int n = p->n_buffers, n_active = 0, rc = SCHED_OK;
  int *order = sched_xmalloc((size_t)n * sizeof *order);
  int *tmp = sched_xmalloc((size_t)n * sizeof *tmp);
  int *active = sched_xmalloc((size_t)n * sizeof *active);
  for (int i = 0; i < n; i++)
    order[i] = i;
  sort_ctx_t ctx = {p};
  sort_by_start(order, tmp, n, &ctx);
  for (int k = 0; k < n && rc == SCHED_OK; k++) {
    int b = order[k], kept = 0;
    const memalloc_buffer_t *bb = &p->buffers[b];
    for (int j = 0; j < n_active; j++)
      if (p->buffers[active[j]].upper > bb->lower)
        active[kept++] = active[j];
    n_active = kept;
    for (int j = 0; j < n_active && rc == SCHED_OK; j++) {
      int a = active[j];
      int64_t ao = s->offsets_bytes[a], bo = s->offsets_bytes[b];
      if (ao < bo + bb->size_bytes && bo < ao + p->buffers[a].size_bytes)
        rc = pair_report(p, s, a, b, diag);
    }
    active[n_active++] = b;
  }
  free(order);
  free(tmp);
  free(active);
  return rc;
}

int memalloc_verify(const memalloc_problem_t *p, const memalloc_solution_t *s, sched_diag_t *diag) {
  if (s->n_buffers != p->n_buffers || (p->n_buffers > 0 && !s->offsets_bytes))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "solution has %d offsets for %d buffers",
                          s->n_buffers, p->n_buffers);
  for (int i = 0; i < p->n_buffers; i++) {
    int rc = buffer_verify(p, s, i, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return overlap_verify(p, s, diag);
}
