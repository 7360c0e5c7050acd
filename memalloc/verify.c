/* verify.c - the independent checker of a layout. Requires nothing from the
 * allocators: it re-derives every constraint from the problem. Per-buffer
 * faults (negative offset, alignment, capacity) are reported first in index
 * order, then the first pair overlapping in time and space met by a sweep
 * over start steps (ties by index). */
#include "memalloc/memalloc_internal.h"

#include <stdlib.h>
#include <string.h>

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

/* The pair the sweep reports at buffer order[k]: the first of the buffers
 * started before it (in start order) and still live that shares a byte. */
static int first_overlap_report(const memalloc_problem_t *p, const memalloc_solution_t *s,
                                const int *order, int k, sched_diag_t *diag) {
  int b = order[k];
  const memalloc_buffer_t *bb = &p->buffers[b];
  int64_t bo = s->offsets_bytes[b];
  for (int j = 0; j < k; j++) {
    int a = order[j];
    int64_t ao = s->offsets_bytes[a];
    if (p->buffers[a].upper > bb->lower && ao < bo + bb->size_bytes &&
        bo < ao + p->buffers[a].size_bytes)
      return pair_report(p, s, a, b, diag);
  }
  SCHED_UNREACHABLE(); /* the neighbour that overlaps b is live and started before it */
}

/* The position in `live` (n buffers sorted by offset) of the first whose
 * offset is at least offset_bytes. */
static int live_position(const memalloc_solution_t *s, const int *live, int n,
                         int64_t offset_bytes) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (s->offsets_bytes[live[mid]] < offset_bytes)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* True when buffer b shares a byte with the live buffer next below or above
 * its offset; live buffers share none (no overlap was found as each came
 * in), so those two are the only candidates. */
static bool overlaps_neighbour(const memalloc_problem_t *p, const memalloc_solution_t *s,
                               const int *live, int n_live, int at, int b) {
  int64_t bo = s->offsets_bytes[b];
  if (at > 0) {
    int a = live[at - 1];
    if (s->offsets_bytes[a] + p->buffers[a].size_bytes > bo)
      return true;
  }
  return at < n_live && s->offsets_bytes[live[at]] < bo + p->buffers[b].size_bytes;
}

/* Sweep in start order keeping the live buffers sorted by offset and
 * dropping them in end order: a buffer is checked against its two
 * neighbours by offset, O(n log n + n x live moves) where checking every
 * live buffer costs the overlapping pairs. At the first overlap, the pair
 * reported is the one the pairwise sweep meets first. */
static int overlap_verify(const memalloc_problem_t *p, const memalloc_solution_t *s,
                          sched_diag_t *diag) {
  int n = p->n_buffers, n_live = 0, rc = SCHED_OK;
  int *order = sched_xmalloc((size_t)(n + 1) * sizeof *order);
  memalloc_i_start_t *by_end = sched_xmalloc((size_t)(n + 1) * sizeof *by_end);
  int *live = sched_xmalloc((size_t)(n + 1) * sizeof *live);
  for (int i = 0; i < n; i++)
    order[i] = i;
  sort_ctx_t ctx = {p};
  sort_by_start(order, live, n, &ctx);
  for (int i = 0; i < n; i++) /* (end step, index): ends in step order */
    by_end[i] = (memalloc_i_start_t){p->buffers[i].upper, i};
  qsort(by_end, (size_t)n, sizeof *by_end, memalloc_i_start_cmp);
  for (int k = 0, e = 0; k < n && rc == SCHED_OK; k++) {
    int b = order[k];
    for (; e < n && by_end[e].lower <= p->buffers[b].lower; e++) {
      int at = live_position(s, live, n_live, s->offsets_bytes[by_end[e].index]);
      memmove(live + at, live + at + 1, (size_t)(n_live - at - 1) * sizeof *live);
      n_live--;
    }
    int at = live_position(s, live, n_live, s->offsets_bytes[b]);
    if (overlaps_neighbour(p, s, live, n_live, at, b)) {
      rc = first_overlap_report(p, s, order, k, diag);
      break;
    }
    memmove(live + at + 1, live + at, (size_t)(n_live - at) * sizeof *live);
    live[at] = b;
    n_live++;
  }
  free(order);
  free(by_end);
  free(live);
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
