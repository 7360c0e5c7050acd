/* solvers.c - the table of solvers. Adding one: a file defining a
 * strat_solver_t, its extern below, and its row in the table. */
#include "strategies/strategies.h"

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

void strat_plan_best_prefetch(const strat_problem_t *p, strat_plan_t *plan) {
  strat_plan_t room = {0};
  strat_plan_copy(plan, &room);
  strat_plan_set_prefetch(p, &room);
  strat_plan_evaluate(p, &room);
  bool own_fits = true; /* the solver's windows, if it set any, may still hold */
  for (int t = 0; t < p->n_layers && own_fits; t++)
    own_fits = strat_step_cmx_bytes(p, plan, t) <= p->capacity_bytes;
  if (own_fits)
    strat_plan_evaluate(p, plan);
  if (!own_fits || room.latency_cycles <= plan->latency_cycles) {
    strat_plan_t old = *plan;
    *plan = room;
    room = old;
  }
  strat_plan_free(&room);
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
