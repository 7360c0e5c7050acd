/* memalloc_internal.h - helpers shared by the allocators of memalloc/ (not
 * part of the public API). */
#ifndef SCHED_MEMALLOC_INTERNAL_H
#define SCHED_MEMALLOC_INTERNAL_H

#include "memalloc/memalloc.h"

/* Monotonic wall clock in milliseconds. */
double memalloc_i_now_ms(void);

/* True when buffers a and b are live at a common step. */
static inline bool memalloc_i_overlap(const memalloc_buffer_t *a, const memalloc_buffer_t *b) {
  return a->lower < b->upper && b->lower < a->upper;
}

/* An already placed block of address space: [offset, offset + size). */
typedef struct {
  int64_t offset_bytes;
  int64_t size_bytes;
} memalloc_i_block_t;

/* Picks an aligned offset for a buffer of size_bytes among the blocks
 * (which it sorts by offset, through scratch of n_blocks entries or, when
 * NULL, in place): best_fit false takes the lowest gap that fits,
 * true the gap that leaves the least room (ties: the lower); with no gap
 * that fits, the first aligned offset above every block. */
int64_t memalloc_i_gap_pick(memalloc_i_block_t *blocks, memalloc_i_block_t *scratch, int n_blocks,
                            int64_t size_bytes, int64_t align_bytes, bool best_fit);
/* The same over blocks already sorted by offset (no sort, O(n_blocks)). */
int64_t memalloc_i_gap_pick_sorted(const memalloc_i_block_t *blocks, int n_blocks,
                                   int64_t size_bytes, int64_t align_bytes, bool best_fit);

/* A buffer's start step and index; memalloc_i_start_cmp orders by both. */
typedef struct {
  int64_t lower;
  int index;
} memalloc_i_start_t;
int memalloc_i_start_cmp(const void *a, const void *b);
/* Orders int64_t values ascending (qsort, bsearch). */
int memalloc_i_int64_cmp(const void *a, const void *b);

/* The time-overlapping pairs of n intervals [lower[i], upper[i]) as lists:
 * i's neighbours are (*adj)[(*start)[i] .. (*start)[i + 1]). A sweep in
 * start order, O(n log n + pairs); the caller frees both arrays. False
 * (nothing allocated) when there are more than max_pairs pairs (0: no cap). */
bool memalloc_i_overlap_lists(int n, const int64_t *lower, const int64_t *upper, int64_t max_pairs,
                              int **start, int **adj);

/* occupancy.c: the address ranges the placed buffers occupy over time, for
 * gap picks without overlap lists (a segment tree over the steps holding
 * merged address ranges per node; O(log steps) nodes per operation). */
typedef struct memalloc_i_occupancy memalloc_i_occupancy_t;
/* Empty, for the buffers of p (only their steps are read). */
memalloc_i_occupancy_t *memalloc_i_occupancy_new(const memalloc_problem_t *p);
void memalloc_i_occupancy_free(memalloc_i_occupancy_t *o);
/* Buffer b of the problem now occupies [offset_bytes, offset_bytes + size_bytes). */
void memalloc_i_occupancy_add(memalloc_i_occupancy_t *o, int b, int64_t offset_bytes,
                              int64_t size_bytes);
/* What memalloc_i_gap_pick returns for buffer b (size_bytes, align_bytes)
 * among the buffers added so far that are live at a common step with it. */
int64_t memalloc_i_occupancy_pick(memalloc_i_occupancy_t *o, int b, int64_t size_bytes,
                                  int64_t align_bytes, bool best_fit);

/* The two greedy allocators (linear.c): buffers in start order with first
 * fit (by_size false) or largest first with best fit (by_size true). Fills s;
 * SCHED_ERR_NOT_FOUND when the layout exceeds the capacity, SCHED_ERR_TIMEOUT
 * past deadline_ms (memalloc_i_now_ms's clock; 0: none). */
int memalloc_i_place_ordered(const memalloc_problem_t *p, memalloc_solution_t *s, const char *name,
                             bool by_size, double deadline_ms, sched_diag_t *diag);

#endif
