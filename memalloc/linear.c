/* linear.c - the baseline allocator: buffers in order of their first live
 * step (ties by index), each at the lowest aligned gap that fits among the
 * buffers already placed that are live at a common step ("first fit", as a
 * simple arena/linear-scan allocator would do it). Requires a checked
 * problem; produces a layout that may exceed the capacity (then
 * SCHED_ERR_NOT_FOUND: a heuristic proves nothing). O(n log n + pairs log n)
 * with pairs the time-overlapping pairs (dense instances: O(n^2)). */
#include "memalloc/memalloc_internal.h"

#include <stdlib.h>
#include <string.h>

/* A sort key: the allocators order buffers by (k1, k2, index) ascending. */
typedef struct {
  int64_t k1, k2;
  int index;
} order_key_t;

static int key_cmp(const void *a, const void *b) {
  const order_key_t *x = a, *y = b;
  if (x->k1 != y->k1)
    return x->k1 < y->k1 ? -1 : 1;
  if (x->k2 != y->k2)
    return x->k2 < y->k2 ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Inserts placed buffer b into `by_offset` (n entries, ascending offset)
 * keeping it sorted. */
static void insert_by_offset(int *by_offset, int n, int b, const memalloc_solution_t *s) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (s->offsets_bytes[by_offset[mid]] <= s->offsets_bytes[b])
      lo = mid + 1;
    else
      hi = mid;
  }
  memmove(by_offset + lo + 1, by_offset + lo, (size_t)(n - lo) * sizeof *by_offset);
  by_offset[lo] = b;
}

/* Places the buffers in the order of `keys`, each at the gap gap_pick picks
 * among the time-overlapping ones placed before it, read from an occupancy
 * tree (occupancy.c: the gap depends only on the union of their address
 * ranges). O(n log n x spans per union): no list of overlapping pairs.
 * Shared with greedy_size.c through memalloc_i_place_ordered. */
static bool place_ordered(const memalloc_problem_t *p, memalloc_solution_t *s, order_key_t *keys,
                          bool best_fit, double deadline_ms) {
  int n = p->n_buffers;
  qsort(keys, (size_t)n, sizeof *keys, key_cmp);
  memalloc_i_occupancy_t *occupancy = memalloc_i_occupancy_new(p);
  bool done = true;
  for (int k = 0; k < n && done; k++) {
    /* fragmented instances are quadratic: the clock is read every 256 buffers */
    if ((k & 255) == 255 && deadline_ms > 0 && memalloc_i_now_ms() > deadline_ms)
      done = false;
    int b = keys[k].index;
    const memalloc_buffer_t *buf = &p->buffers[b];
    s->offsets_bytes[b] =
        memalloc_i_occupancy_pick(occupancy, b, buf->size_bytes, buf->align_bytes, best_fit);
    memalloc_i_occupancy_add(occupancy, b, s->offsets_bytes[b], buf->size_bytes);
  }
  memalloc_i_occupancy_free(occupancy);
  return done;
}

/* First fit in start order needs no overlap lists: the buffers placed
 * before b (started no later) that overlap it in time are exactly those
 * live at b's first step. They are kept in `live` sorted by offset (no two
 * share one: they overlap in time), those that have ended dropped as the
 * sweep passes them. O(n log n + n x live): linear on sparse instances,
 * quadratic only when most buffers are live at once. Same layout as
 * place_ordered (the gap depends only on the set of blocks). */
static bool place_by_start(const memalloc_problem_t *p, memalloc_solution_t *s, order_key_t *keys,
                           double deadline_ms) {
  int n = p->n_buffers, n_live = 0;
  qsort(keys, (size_t)n, sizeof *keys, key_cmp);
  int *live = sched_xmalloc((size_t)(n + 1) * sizeof *live);
  memalloc_i_block_t *blocks = sched_xmalloc((size_t)(n + 1) * sizeof *blocks);
  bool done = true;
  for (int k = 0; k < n && done; k++) {
    if ((k & 255) == 255 && deadline_ms > 0 && memalloc_i_now_ms() > deadline_ms)
      done = false;
    int b = keys[k].index, kept = 0;
    for (int j = 0; j < n_live; j++)
      if (p->buffers[live[j]].upper > p->buffers[b].lower)
        live[kept++] = live[j];
    n_live = kept;
    for (int j = 0; j < n_live; j++)
      blocks[j] = (memalloc_i_block_t){s->offsets_bytes[live[j]], p->buffers[live[j]].size_bytes};
    s->offsets_bytes[b] = memalloc_i_gap_pick_sorted(blocks, n_live, p->buffers[b].size_bytes,
                                                     p->buffers[b].align_bytes, false);
    insert_by_offset(live, n_live++, b, s);
  }
  free(live);
  free(blocks);
  return done;
}

int memalloc_i_place_ordered(const memalloc_problem_t *p, memalloc_solution_t *s, const char *name,
                             bool by_size, double deadline_ms, sched_diag_t *diag) {
  int n = p->n_buffers;
  order_key_t *keys = sched_xmalloc((size_t)n * sizeof *keys);
  for (int i = 0; i < n; i++) {
    const memalloc_buffer_t *b = &p->buffers[i];
    keys[i] = by_size ? (order_key_t){-b->size_bytes, b->lower, i} : (order_key_t){b->lower, 0, i};
  }
  memalloc_solution_resize(s, n);
  bool done = by_size ? place_ordered(p, s, keys, true, deadline_ms)
                      : place_by_start(p, s, keys, deadline_ms);
  free(keys);
  if (!done)
    return sched_diag_set(diag, SCHED_ERR_TIMEOUT,
                          "%s: time limit reached without a layout (%d buffers)", name, n);
  memalloc_solution_update_peak(p, s);
  if (s->peak_bytes > p->capacity_bytes)
    return sched_diag_set(diag, SCHED_ERR_NOT_FOUND,
                          "%s: layout peaks at %lld bytes, above the capacity %lld bytes "
                          "(a heuristic: this does not prove that no layout fits)",
                          name, (long long)s->peak_bytes, (long long)p->capacity_bytes);
  return SCHED_OK;
}

int memalloc_linear_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                        const memalloc_params_t *params, memalloc_stats_t *stats,
                        sched_diag_t *diag) {
  (void)stats;
  return memalloc_i_place_ordered(p, s, "linear", false,
                                  memalloc_i_now_ms() + params->time_limit_s * 1e3, diag);
}
