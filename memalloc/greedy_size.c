/* greedy_size.c - largest buffer first, each at the best-fitting aligned
 * gap (least room left) among the time-overlapping buffers placed before
 * it, or above them all when no gap fits. This is TensorFlow Lite's
 * "greedy by size" arena planner (Pisarchyk and Lee, "Efficient Memory
 * Management for Deep Neural Net Inference", 2020). Ties: earlier first
 * live step, then index. Requires a checked problem; a layout above the
 * capacity is SCHED_ERR_NOT_FOUND (no proof). The placed buffers' address
 * ranges come from an occupancy tree (occupancy.c): O(n log steps) nodes
 * visited, times the ranges a node's union holds (a few on packed layouts;
 * up to n when every buffer leaves a hole no other fits). */
#include "memalloc/memalloc_internal.h"

int memalloc_greedy_size_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                             const memalloc_params_t *params, memalloc_stats_t *stats,
                             sched_diag_t *diag) {
  (void)stats;
  return memalloc_i_place_ordered(p, s, "greedy-size", true,
                                  memalloc_i_now_ms() + params->time_limit_s * 1e3, diag);
}
