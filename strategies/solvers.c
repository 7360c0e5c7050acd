/* solvers.c - the table of solvers. Adding one: a file defining a
 * strat_solver_t, its extern below, and its row in the table. */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const strat_solver_t strat_solver_greedy;
extern const strat_solver_t strat_solver_rollback;
extern const strat_solver_t strat_solver_dp;
extern const strat_solver_t strat_solver_anneal;
extern const strat_solver_t strat_solver_ilp;

/* clang-format off */
static const strat_solver_t *const solver_table[] = {
    &strat_solver_greedy,
    &strat_solver_rollback,
    &strat_solver_dp,
    &strat_solver_anneal,
    &strat_solver_ilp,
    NULL,
};
/* clang-format on */

const strat_solver_t *const *strat_solvers(void) { return solver_table; }

const strat_solver_t *strat_solver_find(const char *name) {
  for (int i = 0; solver_table[i]; i++)
    if (strcmp(solver_table[i]->name, name) == 0)
      return solver_table[i];
  return NULL;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Keeps in *best the faster of *best and *other (other's windows win ties
 * when other_on_tie); frees the loser. */
static void keep_faster(strat_plan_t *best, strat_plan_t *other, bool other_on_tie) {
  if (other->latency_cycles < best->latency_cycles ||
      (other_on_tie && other->latency_cycles == best->latency_cycles)) {
    strat_plan_t old = *best;
    *best = *other;
    *other = old;
  }
  strat_plan_free(other);
}

/* The plan with the windows it would get under a budget of room_bytes. */
static void windows_within(const strat_problem_t *p, const strat_plan_t *plan, int64_t room_bytes,
                           strat_plan_t *out) {
  *out = (strat_plan_t){0};
  strat_plan_copy(plan, out);
  strat_plan_set_prefetch_within(p, out, room_bytes);
  strat_plan_evaluate(p, out);
}

void strat_plan_best_prefetch(const strat_problem_t *p, strat_plan_t *plan) {
  strat_plan_t room;
  windows_within(p, plan, p->capacity_bytes, &room);
  bool own_fits = true; /* the solver's windows, if it set any, may still hold */
  for (int t = 0; t < p->n_layers && own_fits; t++)
    own_fits = strat_step_cmx_bytes(p, plan, t) <= p->capacity_bytes;
  if (own_fits)
    strat_plan_evaluate(p, plan);
  if (!own_fits) {
    strat_plan_free(plan);
    *plan = room;
  } else
    keep_faster(plan, &room, true);
  /* Windows as early as room allows are not the fastest: weights loaded
   * early go ahead of other transfers on the channel. A smaller rung's
   * windows fit too, so they are tried, and a larger budget never gives a
   * plan slower windows than a smaller rung would (more CMX never hurts). */
  for (int64_t rung = STRAT_CMX_RUNG_BYTES; rung < p->capacity_bytes;
       rung += STRAT_CMX_RUNG_BYTES) {
    strat_plan_t smaller;
    windows_within(p, plan, rung, &smaller);
    keep_faster(plan, &smaller, false);
  }
  strat_plan_tune_windows(p, plan, STRAT_TUNE_WINDOWS_MAX_WORK);
}

int strat_solve(const strat_solver_t *solver, const strat_problem_t *p,
                const strat_params_t *params, strat_plan_t *out, strat_stats_t *stats,
                sched_diag_t *diag) {
  *stats = (strat_stats_t){0};
  double start = now_ms();
  int rc = solver->solve(p, params, out, stats, diag);
  stats->solve_ms = now_ms() - start;
  if (rc != SCHED_OK)
    return rc;
  strat_plan_fix_regions(p, out); /* for solvers that ignore streaming regions */
  strat_plan_fix_regions(p, out); /* a region chosen by some members only (restricted spaces) */
  strat_plan_best_prefetch(p, out);
  sched_diag_t why = {{0}}; /* not diag itself: it cannot be formatted into its own buffer */
  rc = strat_plan_verify(p, out, &why);
  if (rc != SCHED_OK)
    return sched_diag_set(diag, rc, "solver %s produced an invalid plan: %s", solver->name,
                          why.msg);
  return SCHED_OK;
}
