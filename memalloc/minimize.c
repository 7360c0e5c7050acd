/* minimize.c - the smallest capacity at which an allocator finds a layout:
 * the max-live lower bound, then a bisection between it and the peak of a
 * first layout (the allocator at the problem's capacity; search's warm start makes
 * that greedy-size's layout pushed down). Each capacity tried runs the
 * allocator with the caller's limits:
 *  - a layout at capacity c lowers the best to its peak (<= c);
 *  - a proof that none fits at c (complete allocators) lifts the proved
 *    lower bound to c + 1;
 *  - a stop at the limits proves nothing: the bisection goes on above c,
 *    and the bound stays where the proofs left it.
 * The answer is proved when the best peak equals the proved bound. A
 * heuristic allocator's layout does not depend on the capacity, so it runs
 * once. MiniMalloc's users get the same by bisecting its capacity flag. */
#include "memalloc/memalloc_internal.h"

#include <string.h>

/* The allocator at capacity c; on a layout, s takes it. */
static int try_capacity(const memalloc_allocator_t *a, const memalloc_problem_t *p, int64_t c,
                        memalloc_solution_t *s, const memalloc_params_t *prm,
                        memalloc_minimize_t *out, sched_diag_t *diag) {
  memalloc_problem_t at = *p;
  at.capacity_bytes = c;
  memalloc_solution_t trial;
  memalloc_solution_init(&trial);
  memalloc_stats_t st;
  int rc = memalloc_run(a, &at, &trial, prm, &st, diag);
  out->attempts++;
  out->nodes += st.nodes;
  out->time_ms += st.time_ms;
  if (rc == SCHED_OK) {
    memalloc_solution_free(s);
    *s = trial;
    out->best_bytes = s->peak_bytes;
    return rc;
  }
  memalloc_solution_free(&trial);
  if (rc == SCHED_ERR_INFEASIBLE)
    out->lower_bound_bytes = SCHED_MAX(out->lower_bound_bytes, c + 1);
  return rc;
}

int memalloc_minimize(const memalloc_allocator_t *a, const memalloc_problem_t *p,
                      memalloc_solution_t *s, const memalloc_params_t *params,
                      memalloc_minimize_t *out, sched_diag_t *diag) {
  memalloc_params_t defaults = memalloc_params_default();
  const memalloc_params_t *prm = params ? params : &defaults;
  *out = (memalloc_minimize_t){0};
  int rc = memalloc_problem_check(p, diag);
  if (rc != SCHED_OK)
    return rc;
  out->lower_bound_bytes = memalloc_problem_lower_bound(p);
  rc = try_capacity(a, p, p->capacity_bytes, s, prm, out, diag);
  if (rc != SCHED_OK)
    return rc; /* nothing fits the capacity given (or no proof either way) */
  /* lo: the lowest capacity not yet ruled out by a proof or a stop */
  int64_t lo = out->lower_bound_bytes;
  for (bool first = true; a->complete && lo < out->best_bytes; first = false) {
    /* the bound itself first: many instances reach it, and a layout there
     * ends the search proved */
    int64_t mid = first ? lo : lo + (out->best_bytes - 1 - lo) / 2;
    sched_diag_t why = {{0}};
    rc = try_capacity(a, p, mid, s, prm, out, &why);
    if (rc == SCHED_ERR_INPUT || rc == SCHED_ERR_INTERNAL)
      return sched_diag_set(diag, rc, "%s", why.msg);
    if (rc != SCHED_OK)
      lo = mid + 1; /* proved, or stopped: look above mid */
  }
  out->proved = out->best_bytes == out->lower_bound_bytes;
  return SCHED_OK;
}
