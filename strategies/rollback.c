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

/* What a rewrite can change: the spills of the changed layers' outputs
 * and inputs (a value's forced spill follows its producer and readers),
 * and the cost of those values' producers and readers. */
#define ROLLBACK_MAX_VALUES (ROLLBACK_MAX_CHANGES * (IR_MAX_INPUTS + 1))

typedef struct {
  int values[ROLLBACK_MAX_VALUES];
  int n_values;
  int *layers; /* distinct, grown as needed */
  int n_layers, cap_layers;
} rollback_reach_t;

typedef struct {
  const strat_problem_t *p;
  strat_plan_t plan;  /* current: forced spills only */
  strat_plan_t trial; /* the plan with one rewrite applied, restored after scoring */
  rollback_reach_t reach;
  int64_t cost; /* strat_plan_cost of plan */
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

static void reach_layer(rollback_reach_t *r, int layer) {
  for (int i = 0; i < r->n_layers; i++)
    if (r->layers[i] == layer)
      return;
  sched_grow((void **)&r->layers, &r->cap_layers, r->n_layers + 1, sizeof *r->layers);
  r->layers[r->n_layers++] = layer;
}

static void reach_value(rollback_reach_t *r, int v) {
  for (int i = 0; i < r->n_values; i++)
    if (r->values[i] == v)
      return;
  r->values[r->n_values++] = v;
}

/* The values and layers a rewrite reaches (see rollback_reach_t). */
static void reach_of(const strat_problem_t *p, const rollback_rewrite_t *rw, rollback_reach_t *r) {
  r->n_values = r->n_layers = 0;
  for (int i = 0; i < rw->n; i++) {
    const ir_op_t *op = &p->g->ops[p->layers[rw->layer[i]].op];
    reach_value(r, rw->layer[i]);
    for (int k = 0; k < op->n_inputs; k++)
      if (p->g->tensors[op->inputs[k]].producer >= 0)
        reach_value(r, p->g->tensors[op->inputs[k]].producer);
  }
  for (int i = 0; i < r->n_values; i++) {
    const strat_value_t *val = &p->values[r->values[i]];
    reach_layer(r, r->values[i]);
    for (int k = 0; k < val->n_consumers; k++)
      reach_layer(r, val->consumers[k]);
  }
}

static int64_t reach_cost(const strat_problem_t *p, const strat_plan_t *plan,
                          const rollback_reach_t *r) {
  int64_t cost = 0;
  for (int i = 0; i < r->n_layers; i++) {
    int l = r->layers[i];
    cost += strat_layer_objective(p, l, plan->cand[l], strat_layer_inputs_from_ddr(p, plan, l),
                                  plan->spilled[l]);
  }
  return cost;
}

/* Scores a rewrite on the trial plan (strat_plan_cost of the plan with it
 * and its forced spills, counted over the layers it reaches: O(reach), not
 * O(layers)); remembers it when it is the best so far and every changed
 * layer still fits at its step. The trial is the plan again afterwards. */
static void try_rewrite(rollback_t *rb, const rollback_rewrite_t *rw) {
  const strat_problem_t *p = rb->p;
  rollback_reach_t *r = &rb->reach;
  reach_of(p, rw, r);
  int64_t before = reach_cost(p, &rb->plan, r);
  for (int i = 0; i < rw->n; i++)
    rb->trial.cand[rw->layer[i]] = rw->cand[i];
  for (int i = 0; i < r->n_values; i++)
    rb->trial.spilled[r->values[i]] = strat_value_spill_forced(p, rb->trial.cand, r->values[i]);
  int64_t cost = rb->cost + reach_cost(p, &rb->trial, r) - before;
  bool fits = cost < rb->best_cost;
  for (int i = 0; i < rw->n && fits; i++) {
    int64_t bytes = strat_step_cmx_bytes(p, &rb->trial, rw->layer[i]);
    fits = bytes <= p->capacity_bytes || bytes <= strat_step_cmx_bytes(p, &rb->plan, rw->layer[i]);
  }
  if (fits) {
    rb->best = *rw;
    rb->best_cost = cost;
  }
  for (int i = 0; i < rw->n; i++)
    rb->trial.cand[rw->layer[i]] = rb->plan.cand[rw->layer[i]];
  for (int i = 0; i < r->n_values; i++)
    rb->trial.spilled[r->values[i]] = rb->plan.spilled[r->values[i]];
}

/* The trial follows the plan. */
static void sync_trial(rollback_t *rb) {
  size_t n = (size_t)rb->p->n_layers;
  memcpy(rb->trial.cand, rb->plan.cand, n * sizeof *rb->trial.cand);
  memcpy(rb->trial.spilled, rb->plan.spilled, n * sizeof *rb->trial.spilled);
  memcpy(rb->trial.prefetch, rb->plan.prefetch, n * sizeof *rb->trial.prefetch);
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
    sync_trial(rb);
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
  sync_trial(&rb);
  /* each applied rewrite lowers the cost, so this ends; the cap is a guard */
  for (int pass = 0; pass < 4 * p->n_layers + 4; pass++) {
    int applied = rollback_pass(&rb);
    stats->nodes += applied;
    if (applied == 0)
      break;
  }
  strat_plan_free(&rb.trial);
  free(rb.reach.layers);
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
