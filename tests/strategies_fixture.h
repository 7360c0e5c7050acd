/* strategies_fixture.h - an arch, a cost model, a hand-built graph and its
 * plan problem, set up and torn down together, and the solver runs that
 * check every plan: shared by the strategies tests. */
#ifndef SCHED_TESTS_STRATEGIES_FIXTURE_H
#define SCHED_TESTS_STRATEGIES_FIXTURE_H

#include <criterion/criterion.h>

#include "strategies/strategies.h"

typedef struct {
  arch_t arch;
  cost_model_t model;
  ir_graph_t g;
  strat_problem_t p;
} setup_t;

/* vpu27 with a CMX budget of `cmx` bytes and the analytic cost model. */
static inline void setup_arch(setup_t *s, int64_t cmx) {
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_preset("vpu27", &s->arch, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(arch_set_cmx(&s->arch, cmx, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(cost_model_init(&s->model, &s->arch, "analytic", &d), SCHED_OK, "%s", d.msg);
}

/* Builds the problem of s->g (activations fused first); false when no
 * candidate fits some layer at this budget. */
static inline bool setup_problem(setup_t *s) {
  sched_diag_t d = {{0}};
  ir_graph_fuse_activations(&s->g, s->arch.ppe_fusable);
  int rc = strat_problem_init(&s->p, &s->g, &s->model, STRAT_OBJECTIVE_LATENCY, &d);
  if (rc == SCHED_ERR_INFEASIBLE)
    return false;
  cr_assert_eq(rc, SCHED_OK, "%s", d.msg);
  return true;
}

/* A zoo net's problem at a CMX budget; asserts that it builds. */
static inline void setup_zoo(setup_t *s, const char *net, int64_t cmx) {
  sched_diag_t d = {{0}};
  setup_arch(s, cmx);
  cr_assert_eq(ir_zoo_build(net, &s->g, &d), SCHED_OK, "%s: %s", net, d.msg);
  cr_assert(setup_problem(s), "%s: no candidate fits", net);
}

static inline void teardown(setup_t *s) {
  strat_problem_free(&s->p);
  ir_graph_free(&s->g);
  cost_model_free(&s->model);
}

/* The solvers' test parameters: limits that the node and iteration counts,
 * not the clock, reach first. */
static inline strat_params_t solver_params_default(void) {
  return (strat_params_t){.time_limit_s = 120, .ilp_nodes = 100, .seed = 1, .anneal_iters = 4000};
}

/* Runs a solver; asserts success, a plan the checker accepts and no step
 * above the CMX budget. */
static inline strat_plan_t solve_with(const strat_solver_t *solver, const strat_problem_t *p,
                                      const strat_params_t *params, strat_stats_t *stats) {
  strat_plan_t plan;
  strat_stats_t st;
  sched_diag_t d = {{0}};
  cr_assert_eq(strat_solve(solver, p, params, &plan, &st, &d), SCHED_OK, "%s: %s", solver->name,
               d.msg);
  cr_assert_eq(strat_plan_verify(p, &plan, &d), SCHED_OK, "%s: %s", solver->name, d.msg);
  for (int t = 0; t < p->n_layers; t++)
    cr_assert_leq(strat_step_cmx_bytes(p, &plan, t), p->capacity_bytes, "%s, step %d", solver->name,
                  t);
  if (stats)
    *stats = st;
  return plan;
}

/* The same for the solver of that name in the table. */
static inline strat_plan_t solve_named(const strat_problem_t *p, const char *name,
                                       const strat_params_t *params, strat_stats_t *stats) {
  const strat_solver_t *solver = strat_solver_find(name);
  cr_assert_not_null(solver, "no solver '%s'", name);
  return solve_with(solver, p, params, stats);
}

#endif
