/* rollback.c - the reference compiler's way: the multi-cluster strategy
 * manager of openvinotoolkit/npu_compiler (vpux, StrategyManager with its
 * "rollback" of spilling transitions). Each layer first gets the cheaper of
 * SOH and SOK on its own (Clustering when neither is legal), then spills are
 * repaired by local rewrites around each spilled edge:
 *   - the producer becomes HKSwitch (SOH->SOH->SOK => SOH->HK->SOK);
 *   - the producer becomes HKSwitch and its own producers SOH
 *     (SOK->SOH->SOK => SOH->HK->SOK);
 *   - a consumer takes another candidate its input can feed.
 * Around each spilled value the rewrite that lowers the plan objective most
 * is applied, provided the changed layers still fit CMX at their steps;
 * passes repeat until none helps. Forced spills and capacity repair finish
 * the plan. O(passes x spilled values x rewrites x layers). */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>

#define ROLLBACK_MAX_CHANGES 3

/* A rewrite: up to three (layer, candidate) changes. */
typedef struct {
  int layer[ROLLBACK_MAX_CHANGES];
  int cand[ROLLBACK_MAX_CHANGES];
  int n;
} rollback_rewrite_t;

typedef struct {
  const strat_problem_t *p;
  strat_plan_t plan;  /* current: forced spills only */
  strat_plan_t trial; /* scratch */
  int64_t cost;       /* strat_plan_cost of plan */
  rollback_rewrite_t best;
  int64_t best_cost;
} rollback_t;

static tiling_strategy_t strategy_of(const strat_problem_t *p, int layer, int cand) {
  return p->layers[layer].cands[cand].choice.strategy;
}

static bool untiled(const strat_problem_t *p, int layer, int cand) {
  return p->layers[layer].cands[cand].choice.tiles == 1;
}

/* Cheapest candidate of `layer` with strategy s (any when s == STRAT_COUNT),
 * or -1. */
static int cheapest(const strat_problem_t *p, int layer, tiling_strategy_t s) {
  int best = -1;
  int64_t best_cost = INT64_MAX;
  for (int c = 0; c < p->layers[layer].n_cands; c++) {
    if (s != STRAT_COUNT && strategy_of(p, layer, c) != s)
      continue;
    int64_t cost = strat_layer_objective(p, layer, c, p->layers[layer].n_inputs_from_graph, false);
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

static int initial_choice(const strat_problem_t *p, int layer) {
  int soh = cheapest(p, layer, STRAT_SOH), sok = cheapest(p, layer, STRAT_SOK);
  if (soh >= 0 && sok >= 0) {
    int n_graph = p->layers[layer].n_inputs_from_graph;
    return strat_layer_objective(p, layer, sok, n_graph, false) <
                   strat_layer_objective(p, layer, soh, n_graph, false)
               ? sok
               : soh;
  }
  if (soh >= 0 || sok >= 0)
    return soh >= 0 ? soh : sok;
  int clustering = cheapest(p, layer, STRAT_CLUSTERING);
  return clustering >= 0 ? clustering : cheapest(p, layer, STRAT_COUNT);
}

/* Scores a rewrite on the trial plan; remembers it when it is the best so
 * far and every changed layer still fits at its step. */
static void try_rewrite(rollback_t *rb, const rollback_rewrite_t *rw) {
  const strat_problem_t *p = rb->p;
  memcpy(rb->trial.cand, rb->plan.cand, (size_t)p->n_layers * sizeof *rb->trial.cand);
  for (int i = 0; i < rw->n; i++)
    rb->trial.cand[rw->layer[i]] = rw->cand[i];
  strat_plan_set_forced_spills(p, &rb->trial);
  int64_t cost = strat_plan_cost(p, &rb->trial);
  if (cost >= rb->best_cost)
    return;
  for (int i = 0; i < rw->n; i++) {
    int64_t bytes = strat_step_cmx_bytes(p, &rb->trial, rw->layer[i]);
    if (bytes > p->capacity_bytes && bytes > strat_step_cmx_bytes(p, &rb->plan, rw->layer[i]))
      return;
  }
  rb->best = *rw;
  rb->best_cost = cost;
}

/* Producer v becomes HKSwitch; with pull_in, v's producers become SOH too. */
static void try_hkswitch(rollback_t *rb, int v, bool pull_in) {
  const strat_problem_t *p = rb->p;
  const ir_op_t *op = &p->g->ops[p->layers[v].op];
  for (int c = 0; c < p->layers[v].n_cands; c++) {
    if (strategy_of(p, v, c) != STRAT_HKSWITCH || !untiled(p, v, c))
      continue;
    rollback_rewrite_t rw = {.layer = {v}, .cand = {c}, .n = 1};
    if (!pull_in) {
      try_rewrite(rb, &rw);
      continue;
    }
    for (int s = 0; s < op->n_inputs; s++) {
      int u = p->g->tensors[op->inputs[s]].producer;
      for (int a = 0; u >= 0 && a < p->layers[u].n_cands; a++) {
        if (strategy_of(p, u, a) != STRAT_SOH || !untiled(p, u, a))
          continue;
        rollback_rewrite_t pulled = {.layer = {v, u}, .cand = {c, a}, .n = 2};
        try_rewrite(rb, &pulled);
      }
    }
  }
}

/* Each consumer of v takes each of its other candidates. */
static void try_consumers(rollback_t *rb, int v) {
  const strat_problem_t *p = rb->p;
  const strat_value_t *val = &p->values[v];
  for (int i = 0; i < val->n_consumers; i++) {
    int k = val->consumers[i];
    for (int c = 0; c < p->layers[k].n_cands; c++) {
      if (c == rb->plan.cand[k] || !untiled(p, k, c))
        continue;
      rollback_rewrite_t rw = {.layer = {k}, .cand = {c}, .n = 1};
      try_rewrite(rb, &rw);
    }
  }
}

/* One pass over the spilled values; returns how many rewrites it applied. */
static int rollback_pass(rollback_t *rb) {
  const strat_problem_t *p = rb->p;
  int applied = 0;
  for (int v = 0; v < p->n_layers; v++) {
    if (!rb->plan.spilled[v] || p->values[v].graph_output || !untiled(p, v, rb->plan.cand[v]))
      continue;
    rb->best_cost = rb->cost;
    rb->best.n = 0;
    try_hkswitch(rb, v, false);
    try_hkswitch(rb, v, true);
    try_consumers(rb, v);
    if (rb->best.n == 0)
      continue;
    for (int i = 0; i < rb->best.n; i++)
      rb->plan.cand[rb->best.layer[i]] = rb->best.cand[i];
    strat_plan_set_forced_spills(p, &rb->plan);
    rb->cost = rb->best_cost;
    applied++;
  }
  return applied;
}

static int rollback_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                          strat_stats_t *stats, sched_diag_t *diag) {
  (void)params;
  (void)diag;
  rollback_t rb = {.p = p};
  strat_plan_init(&rb.plan, p->n_layers);
  strat_plan_init(&rb.trial, p->n_layers);
  for (int l = 0; l < p->n_layers; l++)
    rb.plan.cand[l] = initial_choice(p, l);
  strat_plan_set_forced_spills(p, &rb.plan);
  rb.cost = strat_plan_cost(p, &rb.plan);
  /* each applied rewrite lowers the cost, so this ends; the cap is a guard */
  for (int pass = 0; pass < 4 * p->n_layers + 4; pass++) {
    int applied = rollback_pass(&rb);
    stats->nodes += applied;
    if (applied == 0)
      break;
  }
  strat_plan_free(&rb.trial);
  strat_plan_repair_capacity(p, &rb.plan);
  strat_plan_evaluate(p, &rb.plan);
  *out = rb.plan;
  return SCHED_OK;
}

const strat_solver_t strat_solver_rollback = {
    .name = "rollback",
    .summary = "SOH or SOK per layer, then local rewrites (e.g. to HKSwitch) that remove spills",
    .solve = rollback_solve,
};
