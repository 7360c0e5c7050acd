/* plan.c - the plan model of strategies.h: forced spills, layer cost, CMX
 * in use at each step, evaluation, the checker, and capacity repair. Every
 * solver is scored by strat_plan_evaluate, so their figures compare. */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>

void strat_plan_init(strat_plan_t *plan, int n_layers) {
  *plan = (strat_plan_t){.n_layers = n_layers};
  plan->cand = sched_xcalloc((size_t)SCHED_MAX(n_layers, 1), sizeof *plan->cand);
  plan->spilled = sched_xcalloc((size_t)SCHED_MAX(n_layers, 1), sizeof *plan->spilled);
  plan->prefetch = sched_xcalloc((size_t)SCHED_MAX(n_layers, 1), sizeof *plan->prefetch);
}

void strat_plan_free(strat_plan_t *plan) {
  free(plan->cand);
  free(plan->spilled);
  free(plan->prefetch);
  *plan = (strat_plan_t){0};
}

void strat_plan_copy(const strat_plan_t *src, strat_plan_t *dst) {
  strat_plan_init(dst, src->n_layers);
  int *cand = dst->cand;
  bool *spilled = dst->spilled;
  int32_t *prefetch = dst->prefetch;
  *dst = *src;
  dst->cand = cand;
  dst->spilled = spilled;
  dst->prefetch = prefetch;
  memcpy(cand, src->cand, (size_t)src->n_layers * sizeof *cand);
  memcpy(spilled, src->spilled, (size_t)src->n_layers * sizeof *spilled);
  memcpy(prefetch, src->prefetch, (size_t)src->n_layers * sizeof *prefetch);
}

static const strat_candidate_t *chosen(const strat_problem_t *p, const int *cand, int layer) {
  return &p->layers[layer].cands[cand[layer]];
}

bool strat_value_in_region(const strat_problem_t *p, const int *cand, int v) {
  int region = chosen(p, cand, v)->region;
  const strat_value_t *val = &p->values[v];
  return region >= 0 && val->n_consumers == 1 &&
         chosen(p, cand, val->consumers[0])->region == region;
}

bool strat_value_spill_forced(const strat_problem_t *p, const int *cand, int v) {
  const strat_value_t *val = &p->values[v];
  const strat_candidate_t *prod = chosen(p, cand, v);
  if (strat_value_in_region(p, cand, v))
    return false; /* stays in CMX slice by slice */
  if (val->graph_output || tiling_streams_ddr(&prod->choice, &prod->cost))
    return true;
  tiling_dist_t out = tiling_output_dist(prod->choice.strategy);
  for (int i = 0; i < val->n_consumers; i++) {
    const strat_candidate_t *cons = chosen(p, cand, val->consumers[i]);
    if (tiling_streams_ddr(&cons->choice, &cons->cost) ||
        !tiling_dist_compatible(out, tiling_input_dist(cons->choice.strategy)))
      return true;
  }
  return false;
}

void strat_plan_set_forced_spills(const strat_problem_t *p, strat_plan_t *plan) {
  for (int v = 0; v < p->n_layers; v++)
    plan->spilled[v] = strat_value_spill_forced(p, plan->cand, v);
}

/* Sliced over K, a layer streams its weights slice by slice with its
 * activations: they belong to the body, not to a load before it. */
static bool weights_streamed(const strat_candidate_t *c) {
  return c->choice.tiles > 1 && c->choice.axis == TILING_AXIS_K;
}

int64_t strat_weight_item_cycles(const strat_problem_t *p, int layer, int cand) {
  const strat_candidate_t *c = &p->layers[layer].cands[cand];
  return weights_streamed(c) ? 0 : c->cost.weight_dma_cycles;
}

int64_t strat_body_cycles(const strat_problem_t *p, int layer, int cand) {
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[layer].op].n_inputs, 1);
  return strat_layer_cycles(p, layer, cand, n_inputs, true) -
         strat_weight_item_cycles(p, layer, cand);
}

int64_t strat_layer_cycles(const strat_problem_t *p, int layer, int cand, int inputs_from_ddr,
                           bool output_to_ddr) {
  const strat_candidate_t *c = &p->layers[layer].cands[cand];
  const tiling_layer_cost_t *k = &c->cost;
  int64_t in = k->input_dma_cycles, out = k->output_dma_cycles;
  if (c->choice.tiles > 1)
    return strat_weight_item_cycles(p, layer, cand) + c->pipeline_cycles;
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[layer].op].n_inputs, 1);
  /* per input exactly in / n, so the cost is linear in inputs_from_ddr */
  return k->weight_dma_cycles + k->compute_cycles + inputs_from_ddr * (in / n_inputs) +
         (output_to_ddr ? out : 0);
}

int64_t strat_layer_ddr_bytes(const strat_problem_t *p, int layer, int cand, int inputs_from_ddr,
                              bool output_to_ddr) {
  const strat_candidate_t *c = &p->layers[layer].cands[cand];
  const tiling_layer_cost_t *k = &c->cost;
  if (c->choice.tiles > 1)
    return k->weight_dma_bytes + k->input_dma_bytes + k->output_dma_bytes;
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[layer].op].n_inputs, 1);
  return k->weight_dma_bytes + inputs_from_ddr * (k->input_dma_bytes / n_inputs) +
         (output_to_ddr ? k->output_dma_bytes : 0);
}

int64_t strat_layer_objective(const strat_problem_t *p, int layer, int cand, int inputs_from_ddr,
                              bool output_to_ddr) {
  if (p->objective == STRAT_OBJECTIVE_BANDWIDTH)
    return strat_layer_ddr_bytes(p, layer, cand, inputs_from_ddr, output_to_ddr);
  return strat_layer_cycles(p, layer, cand, inputs_from_ddr, output_to_ddr);
}

int strat_layer_inputs_from_ddr(const strat_problem_t *p, const strat_plan_t *plan, int layer) {
  const ir_op_t *op = &p->g->ops[p->layers[layer].op];
  int n = 0;
  for (int i = 0; i < op->n_inputs; i++) {
    int producer = p->g->tensors[op->inputs[i]].producer;
    n += producer < 0 || plan->spilled[producer];
  }
  return n;
}

static bool consumes(const strat_value_t *v, int layer) {
  for (int i = 0; i < v->n_consumers; i++)
    if (v->consumers[i] == layer)
      return true;
  return false;
}

int64_t strat_candidate_hold_bytes(const ir_graph_t *g, int tensor, const strat_candidate_t *c) {
  if (c->region >= 0)
    return 0; /* inside a region its slices are in the region's footprint */
  int64_t dist = tiling_tensor_cluster_bytes(g, tensor, tiling_output_dist(c->choice.strategy),
                                             c->cost.clusters);
  return SCHED_MAX(dist, c->cost.footprint.output_bytes);
}

int64_t strat_value_hold_bytes(const strat_problem_t *p, int v, int a) {
  return p->layers[v].cands[a].hold_bytes;
}

int64_t strat_read_share_bytes(const strat_problem_t *p, int l, int c, int v) {
  const ir_op_t *op = &p->g->ops[p->layers[l].op];
  int slots = 0;
  for (int i = 0; i < op->n_inputs; i++)
    slots += op->inputs[i] == p->values[v].tensor;
  return slots * (p->layers[l].cands[c].cost.footprint.input_bytes / SCHED_MAX(op->n_inputs, 1));
}

/* The values a step's scan visits: the problem's live list, or in a
 * hand-built problem every v from first_live (or 0) to the step. */
static int live_first(const strat_problem_t *p, int step) {
  return p->live_start ? p->live_start[step] : p->first_live ? p->first_live[step] : 0;
}

static int live_end(const strat_problem_t *p, int step) {
  return p->live_start ? p->live_start[step + 1] : step + 1;
}

static int live_value(const strat_problem_t *p, int i) {
  return p->live_start ? p->live_values[i] : i;
}

/* Bytes kept value v adds at `step`, beyond the step's own footprint. */
static int64_t kept_value_bytes(const strat_problem_t *p, const strat_plan_t *plan, int v,
                                int step) {
  const strat_value_t *val = &p->values[v];
  int64_t hold = strat_value_hold_bytes(p, v, plan->cand[v]);
  if (step == v) /* the producer's footprint counts what it writes */
    return hold - p->layers[v].cands[plan->cand[v]].cost.footprint.output_bytes;
  if (!consumes(val, step))
    return hold; /* crossing */
  if (p->g->ops[p->layers[step].op].kind == IR_OP_CONCAT)
    return val->last_use > step ? hold : 0; /* written in place, unless read again later */
  return SCHED_MAX(0, hold - strat_read_share_bytes(p, step, plan->cand[step], v));
}

/* strat_step_prefetch_bytes with each layer's strat_prefetch_bytes in
 * held[] (NULL: asked here). */
static int64_t step_prefetch_bytes(const strat_problem_t *p, const strat_plan_t *plan,
                                   const int64_t *held, int step) {
  int64_t bytes = 0;
  /* the windows of layers that hold weights early start in layer order
   * (timeline.c), so the first of them not live at `step` ends the scan */
  for (int l = step + 1; l < p->n_layers; l++) {
    int64_t held_bytes = held ? held[l] : strat_prefetch_bytes(p, l, plan->cand[l]);
    if (held_bytes == 0)
      continue;
    if (l - plan->prefetch[l] > step)
      break;
    bytes += held_bytes;
  }
  return bytes;
}

int64_t strat_step_prefetch_bytes(const strat_problem_t *p, const strat_plan_t *plan, int step) {
  return step_prefetch_bytes(p, plan, NULL, step);
}

/* The step's CMX bytes with its prefetched weight bytes given. */
static int64_t step_cmx_bytes(const strat_problem_t *p, const strat_plan_t *plan, int step,
                              int64_t prefetch_bytes) {
  int64_t bytes = chosen(p, plan->cand, step)->cost.footprint.total_bytes + prefetch_bytes;
  for (int i = live_first(p, step); i < live_end(p, step); i++) {
    int v = live_value(p, i);
    if (!strat_value_live_at(p, v, step) || plan->spilled[v] ||
        strat_value_in_region(p, plan->cand, v))
      continue;
    bytes += kept_value_bytes(p, plan, v, step);
  }
  return bytes;
}

int64_t strat_step_cmx_bytes(const strat_problem_t *p, const strat_plan_t *plan, int step) {
  return step_cmx_bytes(p, plan, step, strat_step_prefetch_bytes(p, plan, step));
}

/* strat_step_prefetch_bytes at every step at once, through a difference
 * array: O(n) where asking step by step costs the windows' lengths. */
static int64_t *prefetch_bytes_per_step(const strat_problem_t *p, const strat_plan_t *plan) {
  int n = p->n_layers;
  int64_t *bytes = sched_xcalloc((size_t)n + 1, sizeof *bytes);
  for (int l = 0; l < n; l++) {
    if (plan->prefetch[l] <= 0)
      continue;
    int64_t held = strat_prefetch_bytes(p, l, plan->cand[l]);
    bytes[l - plan->prefetch[l]] += held;
    bytes[l] -= held;
  }
  for (int t = 1; t < n; t++)
    bytes[t] += bytes[t - 1];
  return bytes;
}

int64_t *strat_plan_cmx_bytes_per_step(const strat_problem_t *p, const strat_plan_t *plan) {
  int64_t *bytes = prefetch_bytes_per_step(p, plan);
  for (int t = 0; t < p->n_layers; t++)
    bytes[t] = step_cmx_bytes(p, plan, t, bytes[t]);
  return bytes;
}

int64_t strat_plan_cost(const strat_problem_t *p, const strat_plan_t *plan) {
  int64_t cost = 0;
  for (int l = 0; l < p->n_layers; l++)
    cost += strat_layer_objective(p, l, plan->cand[l], strat_layer_inputs_from_ddr(p, plan, l),
                                  plan->spilled[l]);
  return cost;
}

void strat_plan_evaluate(const strat_problem_t *p, strat_plan_t *plan) {
  plan->latency_cycles = plan->ddr_bytes = plan->spill_bytes = plan->peak_cmx_bytes = 0;
  plan->latency_cycles = strat_plan_latency_cycles(p, plan, NULL);
  for (int l = 0; l < p->n_layers; l++) {
    int from_ddr = strat_layer_inputs_from_ddr(p, plan, l);
    plan->ddr_bytes += strat_layer_ddr_bytes(p, l, plan->cand[l], from_ddr, plan->spilled[l]);
    if (plan->spilled[l] && !p->values[l].graph_output)
      plan->spill_bytes += ir_tensor_bytes(p->g, p->values[l].tensor);
  }
  int64_t *step_bytes = strat_plan_cmx_bytes_per_step(p, plan);
  for (int l = 0; l < p->n_layers; l++)
    plan->peak_cmx_bytes = SCHED_MAX(plan->peak_cmx_bytes, step_bytes[l]);
  free(step_bytes);
  plan->objective =
      p->objective == STRAT_OBJECTIVE_BANDWIDTH ? plan->ddr_bytes : plan->latency_cycles;
}

/* A member of layer l's region that did not choose it, or -1. */
static int region_broken(const strat_problem_t *p, const strat_plan_t *plan, int l) {
  int region = p->layers[l].cands[plan->cand[l]].region;
  if (region < 0)
    return -1;
  const tiling_region_t *r = &p->regions[region];
  for (int m = r->first; m < r->first + r->n_ops; m++)
    if (p->layers[m].cands[plan->cand[m]].region != region)
      return m;
  return -1;
}

/* The cheapest candidate of a layer outside any region, on its own. */
static int best_outside_regions(const strat_problem_t *p, int l) {
  int best = -1;
  int64_t best_cost = INT64_MAX;
  for (int c = 0; c < p->layers[l].n_cands; c++) {
    int64_t cost = strat_layer_objective(p, l, c, 0, false);
    if (p->layers[l].cands[c].region < 0 && cost < best_cost) {
      best = c;
      best_cost = cost;
    }
  }
  return best;
}

/* The cheapest candidate of layer l in region `region`, or -1. */
static int best_in_region(const strat_problem_t *p, int l, int region) {
  int best = -1;
  int64_t best_cost = INT64_MAX;
  for (int c = 0; c < p->layers[l].n_cands; c++) {
    int64_t cost = strat_layer_objective(p, l, c, 0, false);
    if (p->layers[l].cands[c].region == region && cost < best_cost) {
      best = c;
      best_cost = cost;
    }
  }
  return best;
}

/* Every member of the region takes its cheapest candidate in it: for a
 * layer that has no candidate outside (a strategy file forced it there). */
static int join_region(const strat_problem_t *p, strat_plan_t *plan, int region) {
  const tiling_region_t *r = &p->regions[region];
  int changed = 0;
  for (int m = r->first; m < r->first + r->n_ops; m++) {
    int c = best_in_region(p, m, region);
    if (p->layers[m].cands[plan->cand[m]].region != region && c >= 0) {
      plan->cand[m] = c;
      changed++;
    }
  }
  return changed;
}

bool strat_region_joinable(const strat_problem_t *p, int region) {
  const tiling_region_t *r = &p->regions[region];
  for (int m = r->first; m < r->first + r->n_ops; m++)
    if (best_in_region(p, m, region) < 0)
      return false;
  return true;
}

/* For layer l with no candidate outside regions: the first of its regions
 * that every member can join is joined. */
static int join_any_region(const strat_problem_t *p, strat_plan_t *plan, int l) {
  for (int c = 0; c < p->layers[l].n_cands; c++) {
    int region = p->layers[l].cands[c].region;
    if (region >= 0 && strat_region_joinable(p, region)) {
      plan->cand[l] = best_in_region(p, l, region);
      return 1 + join_region(p, plan, region);
    }
  }
  return 0;
}

int strat_plan_broken_regions(const strat_problem_t *p, const strat_plan_t *plan) {
  int broken = 0;
  for (int r = 0; r < p->n_regions; r++) { /* O(members): annealing asks every move */
    const tiling_region_t *reg = &p->regions[r];
    int chosen_by = 0;
    for (int m = reg->first; m < reg->first + reg->n_ops; m++)
      chosen_by += p->layers[m].cands[plan->cand[m]].region == r;
    broken += chosen_by > 0 && chosen_by < reg->n_ops ? chosen_by : 0;
  }
  return broken;
}

int strat_plan_fix_regions(const strat_problem_t *p, strat_plan_t *plan) {
  int changed = 0;
  for (int l = 0; l < p->n_layers; l++) {
    if (region_broken(p, plan, l) < 0)
      continue;
    int outside = best_outside_regions(p, l);
    if (outside >= 0) {
      plan->cand[l] = outside;
      changed++;
    } else {
      changed += join_any_region(p, plan, l);
    }
  }
  if (changed == 0)
    return 0;
  for (int v = 0; v < p->n_layers; v++)
    plan->spilled[v] = strat_value_spill_forced(p, plan->cand, v) ||
                       (plan->spilled[v] && !strat_value_in_region(p, plan->cand, v));
  strat_plan_repair_capacity(p, plan);
  return changed;
}

/* Every step's CMX bytes, each counted as strat_step_cmx_bytes counts it
 * (a scan of the windows per step, not prefetch_bytes_per_step's
 * difference array: the check trusts no window order), with each layer's
 * held weight bytes asked once. The caller frees. */
static int64_t *checked_cmx_bytes_per_step(const strat_problem_t *p, const strat_plan_t *plan) {
  int n = p->n_layers;
  int64_t *held = sched_xmalloc((size_t)(n + 1) * sizeof *held);
  int64_t *bytes = sched_xmalloc((size_t)(n + 1) * sizeof *bytes);
  for (int l = 0; l < n; l++)
    held[l] = strat_prefetch_bytes(p, l, plan->cand[l]);
  for (int t = 0; t < n; t++)
    bytes[t] = step_cmx_bytes(p, plan, t, step_prefetch_bytes(p, plan, held, t));
  free(held);
  return bytes;
}

/* Layer l's regions, spill and the step's CMX bytes (step_bytes, as
 * strat_step_cmx_bytes counts them). */
static int layer_verify(const strat_problem_t *p, const strat_plan_t *plan, int l,
                        int64_t step_bytes, sched_diag_t *diag) {
  const char *name = p->g->ops[p->layers[l].op].name;
  int broken = region_broken(p, plan, l);
  if (broken >= 0)
    return sched_diag_set(
        diag, SCHED_ERR_INTERNAL, "layer '%s': streams with region %d but layer '%s' does not",
        name, p->layers[l].cands[plan->cand[l]].region, p->g->ops[p->layers[broken].op].name);
  if (plan->spilled[l] && strat_value_in_region(p, plan->cand, l))
    return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                          "layer '%s': output spilled inside its streaming region", name);
  if (!plan->spilled[l] && strat_value_spill_forced(p, plan->cand, l))
    return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                          "layer '%s': output kept in CMX but its consumers need a spill", name);
  if (step_bytes > p->capacity_bytes)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                          "layer '%s': %lld bytes of CMX in use per cluster, budget %lld", name,
                          (long long)step_bytes, (long long)p->capacity_bytes);
  return SCHED_OK;
}

int strat_plan_verify(const strat_problem_t *p, const strat_plan_t *plan, sched_diag_t *diag) {
  if (plan->n_layers != p->n_layers)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "plan has %d layers, problem %d",
                          plan->n_layers, p->n_layers);
  for (int l = 0; l < p->n_layers; l++) {
    const char *name = p->g->ops[p->layers[l].op].name;
    if (plan->cand[l] < 0 || plan->cand[l] >= p->layers[l].n_cands)
      return sched_diag_set(diag, SCHED_ERR_INTERNAL, "layer '%s': candidate %d out of range", name,
                            plan->cand[l]);
  }
  int64_t *step_bytes = checked_cmx_bytes_per_step(p, plan);
  int rc = SCHED_OK;
  for (int l = 0; l < p->n_layers && rc == SCHED_OK; l++)
    rc = layer_verify(p, plan, l, step_bytes[l], diag);
  free(step_bytes);
  return rc;
}

/* The kept value adding the most bytes at `step` (crossing it, or held whole
 * while `step` counts its part), or -1 when none adds any. */
static int largest_kept_at(const strat_problem_t *p, const strat_plan_t *plan, int step) {
  int best = -1;
  int64_t best_bytes = 0;
  for (int i = live_first(p, step); i < live_end(p, step); i++) {
    int v = live_value(p, i);
    if (!strat_value_live_at(p, v, step) || plan->spilled[v] ||
        strat_value_in_region(p, plan->cand, v))
      continue;
    int64_t bytes = kept_value_bytes(p, plan, v, step);
    if (bytes > best_bytes) {
      best = v;
      best_bytes = bytes;
    }
  }
  return best;
}

void strat_plan_repair_capacity(const strat_problem_t *p, strat_plan_t *plan) {
  for (int step = 0; step < p->n_layers; step++) {
    /* spills leave the windows as they are: their bytes are asked once */
    int64_t prefetch_bytes = strat_step_prefetch_bytes(p, plan, step);
    while (step_cmx_bytes(p, plan, step, prefetch_bytes) > p->capacity_bytes) {
      int v = largest_kept_at(p, plan, step);
      if (v < 0)
        break; /* the layer alone overflows: cannot happen, tiles were chosen to fit */
      plan->spilled[v] = true;
    }
  }
}

bool strat_plan_retile(const strat_problem_t *p, strat_plan_t *plan, int layer, int cand) {
  memset(plan->prefetch, 0, (size_t)p->n_layers * sizeof *plan->prefetch);
  plan->cand[layer] = cand;
  strat_plan_fix_regions(p, plan);
  for (int v = 0; v < p->n_layers; v++)
    plan->spilled[v] = strat_value_spill_forced(p, plan->cand, v) ||
                       (plan->spilled[v] && !strat_value_in_region(p, plan->cand, v));
  strat_plan_repair_capacity(p, plan);
  return strat_plan_set_prefetch(p, plan);
}

static bool same_region(const strat_problem_t *a, int ra, const strat_problem_t *b, int rb) {
  if (ra < 0 || rb < 0)
    return ra == rb;
  const tiling_region_t *x = &a->regions[ra], *y = &b->regions[rb];
  return x->first == y->first && x->n_ops == y->n_ops && x->strategy == y->strategy &&
         x->tiles == y->tiles;
}

static bool same_choice(const tiling_choice_t *a, const tiling_choice_t *b) {
  return a->strategy == b->strategy && a->axis == b->axis && a->tiles == b->tiles &&
         a->pipelined == b->pipelined;
}

/* Region ra of `from` in `to`: the same region, else appended. */
static int map_region(const strat_problem_t *from, int ra, strat_problem_t *to) {
  for (int rb = 0; rb < to->n_regions; rb++)
    if (same_region(from, ra, to, rb))
      return rb;
  int cap = to->n_regions; /* realloc does not need the true capacity */
  sched_grow((void **)&to->regions, &cap, to->n_regions + 1, sizeof *to->regions);
  to->regions[to->n_regions] = from->regions[ra];
  return to->n_regions++;
}

/* Layer l's candidate in `to` for candidate c of `from`: the same choice
 * and region, else c itself appended to `to`'s list (with its streaming
 * region) when it fits there: `to` may have dropped it as dominated, or
 * sliced a region differently at its budget. -1 when it does not fit.
 * Appending leaves existing plans' indices as they are. */
static int map_candidate(const strat_problem_t *from, int l, const strat_candidate_t *c,
                         strat_problem_t *to) {
  strat_layer_t *layer = &to->layers[l];
  for (int k = 0; k < layer->n_cands; k++)
    if (same_choice(&layer->cands[k].choice, &c->choice) &&
        same_region(from, c->region, to, layer->cands[k].region))
      return k;
  if (c->cost.footprint.total_bytes > to->capacity_bytes)
    return -1;
  sched_grow((void **)&layer->cands, &layer->cap_cands, layer->n_cands + 1, sizeof *layer->cands);
  layer->cands[layer->n_cands] = *c;
  if (c->region >= 0)
    layer->cands[layer->n_cands].region = map_region(from, c->region, to);
  return layer->n_cands++;
}

int strat_plan_map(const strat_problem_t *from, const strat_plan_t *plan, strat_problem_t *to,
                   strat_plan_t *out, sched_diag_t *diag) {
  *out = (strat_plan_t){0};
  if (from->n_layers != to->n_layers)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "the plan has %d layers, the problem %d",
                          from->n_layers, to->n_layers);
  strat_plan_init(out, to->n_layers);
  for (int l = 0; l < to->n_layers; l++) {
    const strat_candidate_t *c = &from->layers[l].cands[plan->cand[l]];
    out->cand[l] = map_candidate(from, l, c, to);
    if (out->cand[l] < 0) {
      strat_plan_free(out);
      return sched_diag_set(diag, SCHED_ERR_INFEASIBLE, "layer '%s' has no candidate %s x%d here",
                            to->g->ops[to->layers[l].op].name,
                            tiling_strategy_name(c->choice.strategy), c->choice.tiles);
    }
    out->spilled[l] = plan->spilled[l];
    out->prefetch[l] = plan->prefetch[l];
  }
  strat_plan_evaluate(to, out);
  sched_diag_t why = {{0}}; /* windows that do not fit here: set anew */
  if (strat_plan_verify(to, out, &why) != SCHED_OK)
    strat_plan_best_prefetch(to, out);
  int rc = strat_plan_verify(to, out, diag);
  if (rc != SCHED_OK)
    strat_plan_free(out);
  return rc;
}
