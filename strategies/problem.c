/* problem.c - the plan problem: candidates per layer and the values (layer
 * outputs) that flow between layers.
 *
 * Requires a sorted, shape-inferred, fused graph. For each strategy legal on
 * a layer: the fewest isolated slices that fit CMX, and pipelined variants
 * with the fewest pipelined slices and 2x and 3x as many (more slices hide
 * more DMA under compute but pay more per-slice overhead). */
#include "strategies/strategies.h"

#include <stdlib.h>

static int add_candidate(const strat_problem_t *p, int layer, tiling_choice_t choice,
                         sched_diag_t *diag) {
  strat_layer_t *l = &p->layers[layer];
  for (int i = 0; i < l->n_cands; i++) {
    const tiling_choice_t *c = &l->cands[i].choice;
    if (c->strategy == choice.strategy && c->tiles == choice.tiles &&
        c->pipelined == choice.pipelined && c->axis == choice.axis)
      return SCHED_OK;
  }
  strat_candidate_t cand = {.choice = choice};
  int rc = tiling_layer_cost(p->model, p->g, l->op, &choice, &cand.cost, diag);
  if (rc != SCHED_OK)
    return rc;
  l->cands[l->n_cands++] = cand;
  return SCHED_OK;
}

/* Most slices an axis can be cut into (one row or 16 channels each). */
static int32_t slice_limit(const ir_graph_t *g, int op, tiling_axis_t axis) {
  ir_shape_t out = g->tensors[g->ops[op].output].shape;
  return (int32_t)(axis == TILING_AXIS_K ? SCHED_CEIL_DIV(out.c, 16) : out.h);
}

/* Pipelined variants of a strategy: fewest pipelined slices, then 2x, 3x. */
static int add_pipelined(const strat_problem_t *p, int layer, tiling_strategy_t s,
                         sched_diag_t *diag) {
  const arch_t *arch = p->model->arch;
  tiling_choice_t base = {.strategy = s, .pipelined = true};
  if (tiling_choose_tiles(arch, p->g, p->layers[layer].op, &base, NULL) != SCHED_OK)
    return SCHED_OK; /* no pipelined slicing fits: isolated only */
  for (int factor = 1; factor <= 3; factor++) {
    tiling_choice_t c = base;
    c.tiles = base.tiles * factor;
    if (tiling_layer_footprint(arch, p->g, p->layers[layer].op, &c).total_bytes >
        (int64_t)(arch->fit_pipelined * (double)arch->cmx_workspace_bytes))
      continue;
    if (c.tiles > slice_limit(p->g, p->layers[layer].op, c.axis))
      break;
    int rc = add_candidate(p, layer, c, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int layer_candidates(strat_problem_t *p, int layer, sched_diag_t *diag) {
  const arch_t *arch = p->model->arch;
  strat_layer_t *l = &p->layers[layer];
  l->cands = sched_xcalloc(STRAT_COUNT * 4, sizeof *l->cands);
  sched_diag_t first_error = {{0}};
  for (int s = 0; s < STRAT_COUNT; s++) {
    if (!tiling_strategy_legal(arch, p->g, l->op, (tiling_strategy_t)s, NULL))
      continue;
    tiling_choice_t c = {.strategy = (tiling_strategy_t)s};
    int rc = tiling_choose_tiles(arch, p->g, l->op, &c, first_error.msg[0] ? NULL : &first_error);
    if (rc == SCHED_OK)
      rc = add_candidate(p, layer, c, diag);
    if (rc == SCHED_OK)
      rc = add_pipelined(p, layer, (tiling_strategy_t)s, diag);
    if (rc != SCHED_OK && rc != SCHED_ERR_INFEASIBLE)
      return rc;
  }
  if (l->n_cands == 0)
    return sched_diag_set(diag, SCHED_ERR_INFEASIBLE, "%s", first_error.msg);
  return SCHED_OK;
}

static void value_init(strat_problem_t *p, int layer) {
  const ir_graph_t *g = p->g;
  strat_value_t *v = &p->values[layer];
  v->tensor = g->ops[layer].output;
  v->producer = layer;
  int n = ir_tensor_consumers(g, v->tensor, NULL, 0);
  v->consumers = sched_xcalloc((size_t)SCHED_MAX(n, 1), sizeof(int));
  v->n_consumers = ir_tensor_consumers(g, v->tensor, v->consumers, n);
  v->last_use = layer;
  for (int i = 0; i < v->n_consumers; i++)
    v->last_use = SCHED_MAX(v->last_use, v->consumers[i]);
  v->graph_output = n == 0;
  for (int i = 0; i < g->n_outputs; i++)
    v->graph_output |= g->outputs[i] == v->tensor;
}

int strat_problem_init(strat_problem_t *p, const ir_graph_t *g, const cost_model_t *model,
                       strat_objective_t objective, sched_diag_t *diag) {
  *p = (strat_problem_t){.g = g, .model = model, .objective = objective};
  p->capacity_bytes = model->arch->cmx_workspace_bytes;
  p->n_layers = g->n_ops;
  p->layers = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *p->layers);
  p->values = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *p->values);
  for (int i = 0; i < g->n_ops; i++) {
    p->layers[i].op = i;
    for (int k = 0; k < g->ops[i].n_inputs; k++)
      p->layers[i].n_inputs_from_graph += g->tensors[g->ops[i].inputs[k]].producer < 0;
    value_init(p, i);
  }
  for (int i = 0; i < g->n_ops; i++) {
    int rc = layer_candidates(p, i, diag);
    if (rc != SCHED_OK) {
      strat_problem_free(p);
      return rc;
    }
  }
  return SCHED_OK;
}

void strat_problem_free(strat_problem_t *p) {
  for (int i = 0; p->layers && i < p->n_layers; i++)
    free(p->layers[i].cands);
  for (int i = 0; p->values && i < p->n_layers; i++)
    free(p->values[i].consumers);
  free(p->layers);
  free(p->values);
  *p = (strat_problem_t){0};
}

void strat_problem_restrict(strat_problem_t *p, tiling_strategy_t only) {
  for (int i = 0; i < p->n_layers; i++) {
    strat_layer_t *l = &p->layers[i];
    int kept = 0;
    for (int pass = 0; pass < 2 && kept == 0; pass++) {
      tiling_strategy_t want = pass == 0 ? only : STRAT_CLUSTERING;
      for (int c = 0; c < l->n_cands; c++)
        if (l->cands[c].choice.strategy == want)
          l->cands[kept++] = l->cands[c];
    }
    if (kept > 0)
      l->n_cands = kept;
  }
}
