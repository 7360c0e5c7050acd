/* strategies_fixture.h - an arch, a cost model, a hand-built graph and its
 * plan problem, set up and torn down together: shared by test_solvers.c and
 * test_strategies.c. */
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

#endif
