/* problem.c - problem and solution storage, input checks, and the max-live
 * lower bound (a sweep over the sorted interval endpoints). */
#include "memalloc/memalloc_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double memalloc_i_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Insertion sort by offset, for short lists. */
static void blocks_insertion_sort(memalloc_i_block_t *blocks, int n) {
  for (int i = 1; i < n; i++) {
    memalloc_i_block_t x = blocks[i];
    int j = i;
    for (; j > 0 && blocks[j - 1].offset_bytes > x.offset_bytes; j--)
      blocks[j] = blocks[j - 1];
    blocks[j] = x;
  }
}

/* Sorts by offset (the order among equal offsets does not change the gap
 * picked): a byte-wise radix sort through scratch (n entries), as many
 * passes as the largest offset has bytes. Greedy placement sorts each
 * buffer's placed neighbours, and dense instances have thousands: this is
 * linear in them where a comparison sort costs a log factor and a call per
 * comparison. */
static void blocks_sort(memalloc_i_block_t *blocks, memalloc_i_block_t *scratch, int n) {
  if (n < 64 || !scratch) {
    blocks_insertion_sort(blocks, n);
    return;
  }
  int64_t most = 0;
  for (int i = 0; i < n; i++)
    most = SCHED_MAX(most, blocks[i].offset_bytes);
  memalloc_i_block_t *from = blocks, *to = scratch;
  for (int shift = 0; shift < 64 && (most >> shift) > 0; shift += 8) {
    int count[257] = {0};
    for (int i = 0; i < n; i++)
      count[((from[i].offset_bytes >> shift) & 255) + 1]++;
    for (int d = 0; d < 256; d++)
      count[d + 1] += count[d];
    for (int i = 0; i < n; i++)
      to[count[(from[i].offset_bytes >> shift) & 255]++] = from[i];
    memalloc_i_block_t *t = from;
    from = to;
    to = t;
  }
  if (from != blocks)
    memcpy(blocks, from, (size_t)n * sizeof *blocks);
}

int64_t memalloc_i_gap_pick(memalloc_i_block_t *blocks, memalloc_i_block_t *scratch, int n_blocks,
                            int64_t size_bytes, int64_t align_bytes, bool best_fit) {
  blocks_sort(blocks, scratch, n_blocks);
  return memalloc_i_gap_pick_sorted(blocks, n_blocks, size_bytes, align_bytes, best_fit);
}

int64_t memalloc_i_gap_pick_sorted(const memalloc_i_block_t *blocks, int n_blocks,
                                   int64_t size_bytes, int64_t align_bytes, bool best_fit) {
  int64_t cursor = 0, best = -1, best_room = INT64_MAX;
  for (int i = 0; i < n_blocks; i++) {
    int64_t start = SCHED_ALIGN_UP(cursor, align_bytes);
    int64_t room = blocks[i].offset_bytes - start - size_bytes;
    if (room >= 0 && room < best_room) {
      best = start;
      best_room = room;
      if (!best_fit)
        return best;
    }
    cursor = SCHED_MAX(cursor, blocks[i].offset_bytes + blocks[i].size_bytes);
  }
  return best >= 0 ? best : SCHED_ALIGN_UP(cursor, align_bytes);
}

int memalloc_i_start_cmp(const void *a, const void *b) {
  const memalloc_i_start_t *x = a, *y = b;
  if (x->lower != y->lower)
    return x->lower < y->lower ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Visits the overlapping pairs (a, b) of the sweep sw (n intervals in start
 * order); pass 0 counts each end into first[] and stops beyond `limit`
 * pairs (0: none), pass 1 writes each end at fill. Returns the pairs seen. */
static int64_t sweep_pairs(const memalloc_i_start_t *sw, int n, const int64_t *upper, int pass,
                           int64_t limit, int *first, int *fill, int *adj) {
  int64_t pairs = 0;
  for (int k = 0; k < n && (limit <= 0 || pairs <= limit); k++)
    for (int j = k + 1; j < n && sw[j].lower < upper[sw[k].index]; j++, pairs++) {
      int a = sw[k].index, b = sw[j].index;
      if (pass == 0) {
        first[a + 1]++;
        first[b + 1]++;
      } else {
        adj[fill[a]++] = b;
        adj[fill[b]++] = a;
      }
    }
  return pairs;
}

bool memalloc_i_overlap_lists(int n, const int64_t *lower, const int64_t *upper, int64_t max_pairs,
                              int **start, int **adj) {
  memalloc_i_start_t *sw = sched_xmalloc((size_t)(n + 1) * sizeof *sw);
  for (int i = 0; i < n; i++)
    sw[i] = (memalloc_i_start_t){lower[i], i};
  qsort(sw, (size_t)n, sizeof *sw, memalloc_i_start_cmp);
  /* Counted first, stopping at the cap, so a dense instance never builds
   * its lists. */
  int *first = sched_xcalloc((size_t)n + 1, sizeof *first);
  int64_t pairs = sweep_pairs(sw, n, upper, 0, max_pairs, first, NULL, NULL);
  bool ok = max_pairs <= 0 || pairs <= max_pairs;
  if (ok) {
    for (int i = 0; i < n; i++)
      first[i + 1] += first[i];
    *adj = sched_xmalloc((size_t)(2 * pairs + 1) * sizeof **adj);
    *start = first;
    int *fill = sched_xmalloc((size_t)(n + 1) * sizeof *fill);
    memcpy(fill, first, (size_t)(n + 1) * sizeof *fill);
    sweep_pairs(sw, n, upper, 1, 0, NULL, fill, *adj);
    free(fill);
  } else {
    free(first);
  }
  free(sw);
  return ok;
}

void memalloc_problem_init(memalloc_problem_t *p, int64_t capacity_bytes) {
  memset(p, 0, sizeof *p);
  p->capacity_bytes = capacity_bytes;
}

void memalloc_problem_free(memalloc_problem_t *p) {
  free(p->buffers);
  p->buffers = NULL;
  p->n_buffers = p->cap_buffers = 0;
}

/* The per-buffer field checks shared by add and check. */
static int buffer_check(const memalloc_buffer_t *b, sched_diag_t *diag) {
  if (b->lower < 0 || b->lower > MEMALLOC_MAX_STEP)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "buffer %lld: lower must be in [0, %lld], got %lld", (long long)b->id,
                          (long long)MEMALLOC_MAX_STEP, (long long)b->lower);
  if (b->upper <= b->lower || b->upper > MEMALLOC_MAX_STEP)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "buffer %lld: upper must be in (lower, %lld], got lower %lld, upper %lld",
                          (long long)b->id, (long long)MEMALLOC_MAX_STEP, (long long)b->lower,
                          (long long)b->upper);
  if (b->size_bytes <= 0 || b->size_bytes > MEMALLOC_MAX_SIZE_BYTES)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "buffer %lld: size must be in [1, %lld], got %lld",
                          (long long)b->id, (long long)MEMALLOC_MAX_SIZE_BYTES,
                          (long long)b->size_bytes);
  if (b->align_bytes <= 0 || b->align_bytes > MEMALLOC_MAX_ALIGN_BYTES)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "buffer %lld: alignment must be in [1, %lld], got %lld", (long long)b->id,
                          (long long)MEMALLOC_MAX_ALIGN_BYTES, (long long)b->align_bytes);
  return SCHED_OK;
}

int memalloc_problem_add(memalloc_problem_t *p, int64_t id, int64_t lower, int64_t upper,
                         int64_t size_bytes, int64_t align_bytes, sched_diag_t *diag) {
  memalloc_buffer_t b = {id, lower, upper, size_bytes, align_bytes};
  int rc = buffer_check(&b, diag);
  if (rc != SCHED_OK)
    return rc;
  if (p->n_buffers >= MEMALLOC_MAX_BUFFERS)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "too many buffers (limit %d)",
                          MEMALLOC_MAX_BUFFERS);
  sched_grow((void **)&p->buffers, &p->cap_buffers, p->n_buffers + 1, sizeof b);
  p->buffers[p->n_buffers++] = b;
  return SCHED_OK;
}

int memalloc_i_int64_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int memalloc_problem_check(const memalloc_problem_t *p, sched_diag_t *diag) {
  if (p->capacity_bytes <= 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "capacity must be positive, got %lld",
                          (long long)p->capacity_bytes);
  if (p->n_buffers < 0 || p->n_buffers > MEMALLOC_MAX_BUFFERS)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "buffer count must be in [0, %d], got %d",
                          MEMALLOC_MAX_BUFFERS, p->n_buffers);
  for (int i = 0; i < p->n_buffers; i++) {
    int rc = buffer_check(&p->buffers[i], diag);
    if (rc != SCHED_OK)
      return rc;
  }
  int64_t *ids = sched_xmalloc((size_t)p->n_buffers * sizeof *ids);
  for (int i = 0; i < p->n_buffers; i++)
    ids[i] = p->buffers[i].id;
  qsort(ids, (size_t)p->n_buffers, sizeof *ids, memalloc_i_int64_cmp);
  int rc = SCHED_OK;
  for (int i = 1; i < p->n_buffers && rc == SCHED_OK; i++)
    if (ids[i] == ids[i - 1])
      rc = sched_diag_set(diag, SCHED_ERR_INPUT, "duplicate buffer id %lld", (long long)ids[i]);
  free(ids);
  return rc;
}

/* An interval endpoint: +size at lower, -size at upper. */
typedef struct {
  int64_t step;
  int64_t delta_bytes;
} event_t;

static int event_cmp(const void *a, const void *b) {
  const event_t *x = a, *y = b;
  if (x->step != y->step)
    return x->step < y->step ? -1 : 1;
  /* ends before starts at the same step: intervals are half-open */
  return (x->delta_bytes > y->delta_bytes) - (x->delta_bytes < y->delta_bytes);
}

int64_t memalloc_problem_lower_bound(const memalloc_problem_t *p) {
  int n = p->n_buffers;
  event_t *ev = sched_xmalloc((size_t)(2 * n) * sizeof *ev);
  for (int i = 0; i < n; i++) {
    ev[2 * i] = (event_t){p->buffers[i].lower, p->buffers[i].size_bytes};
    ev[2 * i + 1] = (event_t){p->buffers[i].upper, -p->buffers[i].size_bytes};
  }
  qsort(ev, (size_t)(2 * n), sizeof *ev, event_cmp);
  int64_t live = 0, best = 0;
  for (int i = 0; i < 2 * n; i++) {
    live += ev[i].delta_bytes;
    best = SCHED_MAX(best, live);
  }
  free(ev);
  return best;
}

void memalloc_solution_init(memalloc_solution_t *s) { memset(s, 0, sizeof *s); }

void memalloc_solution_resize(memalloc_solution_t *s, int n_buffers) {
  free(s->offsets_bytes);
  s->offsets_bytes = sched_xcalloc((size_t)n_buffers, sizeof *s->offsets_bytes);
  s->n_buffers = n_buffers;
  s->peak_bytes = 0;
}

void memalloc_solution_free(memalloc_solution_t *s) {
  free(s->offsets_bytes);
  memset(s, 0, sizeof *s);
}

void memalloc_solution_update_peak(const memalloc_problem_t *p, memalloc_solution_t *s) {
  s->peak_bytes = 0;
  for (int i = 0; i < p->n_buffers && i < s->n_buffers; i++)
    s->peak_bytes = SCHED_MAX(s->peak_bytes, s->offsets_bytes[i] + p->buffers[i].size_bytes);
}
