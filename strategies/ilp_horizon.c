/* ilp_horizon.c - the ILP on nets too large for one model: a rolling
 * horizon of exact windows on the plan clock.
 *
 * The whole net's model grows with layers x prefetch window (a capacity row
 * names every layer whose weights load over its step), so at thousands of
 * layers GLPK cannot even finish the root LP within seconds. The horizon
 * solves one window of layers at a time: the window's sub-net runs from the
 * lowest value live at its first free layer (problem.c's first_live), so
 * every value held in CMX over a free layer is in the sub-net and every
 * capacity row of a free step is whole; the layers before the window (its
 * context) are held at the plan so far, candidate and spill (the ILP's
 * `fixed` hook). Within a window the ILP is exact on the plan clock of the
 * sub-net; what it cannot see is held constant: the channel's backlog from
 * before the sub-net (its clock starts at zero), values read after the
 * window (held to its end; their readers' forced spills are added back) and
 * weights loading over context steps (free layers prefetch within the
 * window). So a window's plan is kept only when the whole plan, with the
 * layers after the window at the plan so far, verifies and its latency on
 * the whole clock is no worse: the result is never worse than the incumbent.
 *
 * Windows overlap (each moves on by `step` of its `window` free layers) so a
 * layer's choice is made looking ahead. Node limits per window keep it
 * deterministic; the time limit, counted from the call, stops it as a
 * safety net. The gap reported is the one it can prove: against
 * strat_objective_lower_bound, not the (unknown) optimum. */
#include "strategies/strategies.h"

#include <glpk.h>
#include <stdlib.h>
#include <string.h>

extern const strat_solver_t strat_solver_ilp;

/* One window: layers [first, end) of the net as a problem of their own,
 * with [lo, end) free. */
typedef struct {
  const strat_problem_t *net;
  int first, lo, end;
  ir_graph_t g; /* the sub-net's ops and the tensors they touch (names borrowed) */
  strat_problem_t p;
  int **cand_of; /* [sub layer][sub candidate]: the net's candidate */
  bool *fixed;   /* per sub layer: the context, held */
  strat_plan_t start;
  int *tensor_of; /* net tensor -> sub tensor or -1: net-sized, reset after each window */
} window_t;

/* ---- the sub-net ---- */

static int map_tensor(window_t *w, int t) {
  if (w->tensor_of[t] >= 0)
    return w->tensor_of[t];
  ir_graph_t *g = &w->g;
  sched_grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors);
  ir_tensor_t *dst = &g->tensors[g->n_tensors];
  *dst = w->net->g->tensors[t];
  bool inside = dst->producer >= w->first && dst->producer < w->end;
  dst->producer = inside ? dst->producer - w->first : -1; /* from before: read from DDR */
  if (!inside) {
    sched_grow((void **)&g->inputs, &g->cap_inputs, g->n_inputs + 1, sizeof *g->inputs);
    g->inputs[g->n_inputs++] = g->n_tensors;
  }
  return w->tensor_of[t] = g->n_tensors++;
}

static void build_graph(window_t *w) {
  const ir_graph_t *net = w->net->g;
  int n = w->end - w->first;
  w->g = (ir_graph_t){.name = net->name, .ops = sched_xcalloc((size_t)n, sizeof *w->g.ops)};
  w->g.n_ops = w->g.cap_ops = n;
  for (int i = 0; i < n; i++) {
    ir_op_t *op = &w->g.ops[i];
    *op = net->ops[w->first + i];
    for (int k = 0; k < op->n_inputs; k++)
      op->inputs[k] = map_tensor(w, op->inputs[k]);
    op->output = map_tensor(w, op->output);
  }
}

/* Region r lies wholly inside the sub-net: its sub index, else -1. */
static int sub_region(const window_t *w, int r) {
  const tiling_region_t *reg = &w->net->regions[r];
  if (reg->first < w->first || reg->first + reg->n_ops > w->end)
    return -1;
  for (int i = 0; i < w->p.n_regions; i++)
    if (w->p.regions[i].first == reg->first - w->first && w->p.regions[i].n_ops == reg->n_ops &&
        w->p.regions[i].strategy == reg->strategy)
      return i;
  return -1;
}

static void copy_regions(window_t *w) {
  int cap = 0;
  for (int r = 0; r < w->net->n_regions; r++) {
    tiling_region_t reg = w->net->regions[r];
    if (reg.first < w->first || reg.first + reg.n_ops > w->end)
      continue;
    reg.first -= w->first;
    sched_grow((void **)&w->p.regions, &cap, w->p.n_regions + 1, sizeof *w->p.regions);
    w->p.regions[w->p.n_regions++] = reg;
  }
}

/* Sub layer i's candidates: the context keeps only its chosen one; a free
 * layer drops the candidates of regions that cross the sub-net's edge.
 * False when the plan so far chose such a candidate (the window is skipped). */
static bool copy_candidates(window_t *w, int i, const strat_plan_t *cur) {
  const strat_layer_t *src = &w->net->layers[w->first + i];
  strat_layer_t *dst = &w->p.layers[i];
  dst->cands = sched_xcalloc((size_t)src->n_cands, sizeof *dst->cands);
  w->cand_of[i] = sched_xcalloc((size_t)src->n_cands, sizeof **w->cand_of);
  int chosen = cur->cand[w->first + i];
  for (int c = 0; c < src->n_cands; c++) {
    strat_candidate_t k = src->cands[c];
    if (w->fixed[i] && c != chosen)
      continue;
    if (k.region >= 0 && (k.region = sub_region(w, src->cands[c].region)) < 0) {
      if (c == chosen)
        return false;
      continue;
    }
    w->cand_of[i][dst->n_cands] = c;
    dst->cands[dst->n_cands++] = k;
  }
  return true;
}

static void copy_value(window_t *w, int i) {
  const strat_value_t *src = &w->net->values[w->first + i];
  strat_value_t *v = &w->p.values[i];
  *v = (strat_value_t){
      .tensor = w->g.ops[i].output,
      .producer = i,
      .graph_output = src->graph_output,
      .consumers = sched_xcalloc((size_t)SCHED_MAX(src->n_consumers, 1), sizeof *v->consumers)};
  for (int k = 0; k < src->n_consumers; k++)
    if (src->consumers[k] < w->end)
      v->consumers[v->n_consumers++] = src->consumers[k] - w->first;
  v->last_use = SCHED_MIN(src->last_use, w->end - 1) - w->first; /* read after: held to the end */
}

/* The plan so far on the sub-net; free layers prefetch within the window. */
static void start_plan(window_t *w, const strat_plan_t *cur) {
  int n = w->p.n_layers;
  strat_plan_init(&w->start, n);
  for (int i = 0; i < n; i++) {
    int l = w->first + i;
    for (int c = 0; c < w->p.layers[i].n_cands; c++)
      if (w->cand_of[i][c] == cur->cand[l])
        w->start.cand[i] = c;
    w->start.spilled[i] = cur->spilled[l];
    w->start.prefetch[i] = SCHED_MIN(cur->prefetch[l], l >= w->lo ? l - w->lo : i);
  }
  strat_plan_evaluate(&w->p, &w->start);
}

/* Builds the window's problem; false when it cannot be planned apart. */
static bool window_init(window_t *w, const strat_problem_t *net, const strat_plan_t *cur, int lo,
                        int end, int *tensor_of) {
  *w = (window_t){.net = net,
                  .first = net->first_live ? net->first_live[lo] : 0,
                  .lo = lo,
                  .end = end,
                  .tensor_of = tensor_of};
  int n = end - w->first;
  build_graph(w);
  w->p = (strat_problem_t){.g = &w->g,
                           .model = net->model,
                           .n_layers = n,
                           .layers = sched_xcalloc((size_t)n, sizeof *w->p.layers),
                           .values = sched_xcalloc((size_t)n, sizeof *w->p.values),
                           .capacity_bytes = net->capacity_bytes,
                           .objective = net->objective,
                           .prefetch_cap = net->prefetch_cap};
  w->cand_of = sched_xcalloc((size_t)n, sizeof *w->cand_of);
  w->fixed = sched_xcalloc((size_t)n, sizeof *w->fixed);
  copy_regions(w);
  bool ok = true;
  for (int i = 0; i < n; i++) {
    w->fixed[i] = w->first + i < lo;
    w->p.layers[i].op = i;
    const ir_op_t *op = &w->g.ops[i];
    for (int k = 0; k < op->n_inputs; k++)
      w->p.layers[i].n_inputs_from_graph += w->g.tensors[op->inputs[k]].producer < 0;
    copy_value(w, i);
    ok = ok && copy_candidates(w, i, cur);
  }
  if (!ok)
    return false;
  start_plan(w, cur);
  return strat_plan_verify(&w->p, &w->start, NULL) == SCHED_OK;
}

static void window_free(window_t *w) {
  const ir_graph_t *net = w->net->g;
  for (int l = w->first; l < w->end; l++) { /* reset the shared tensor map */
    for (int k = 0; k < net->ops[l].n_inputs; k++)
      w->tensor_of[net->ops[l].inputs[k]] = -1;
    w->tensor_of[net->ops[l].output] = -1;
  }
  for (int i = 0; i < w->p.n_layers; i++)
    free(w->cand_of[i]);
  free(w->cand_of);
  free(w->fixed);
  strat_problem_free(&w->p); /* its cands and consumers are its own */
  free(w->g.ops);
  free(w->g.tensors);
  free(w->g.inputs);
  strat_plan_free(&w->start);
}

/* ---- the horizon ---- */

/* The plan so far with the window's free layers as the sub-net's plan, the
 * forced spills of the readers after the window added; evaluated. */
static void merge_window(const window_t *w, const strat_plan_t *sub, const strat_plan_t *cur,
                         strat_plan_t *out) {
  const strat_problem_t *p = w->net;
  strat_plan_copy(cur, out);
  for (int l = w->lo; l < w->end; l++) {
    out->cand[l] = w->cand_of[l - w->first][sub->cand[l - w->first]];
    out->spilled[l] = sub->spilled[l - w->first];
  }
  for (int v = w->first; v < w->end; v++)
    out->spilled[v] = out->spilled[v] || strat_value_spill_forced(p, out->cand, v);
  strat_plan_best_prefetch(p, out);
}

static bool same_choices(const window_t *w, const strat_plan_t *sub) {
  for (int i = w->lo - w->first; i < w->p.n_layers; i++)
    if (sub->cand[i] != w->start.cand[i] || sub->spilled[i] != w->start.spilled[i])
      return false;
  return true;
}

/* Seconds left of params' limit since `start` (glp_time); 0 when none is set. */
static double seconds_left(const strat_params_t *params, double start) {
  if (params->time_limit_s <= 0)
    return 0;
  return params->time_limit_s - glp_difftime(glp_time(), start);
}

static bool expired(const strat_params_t *params, double start) {
  return params->time_limit_s > 0 && seconds_left(params, start) <= 0;
}

/* Plans one window into *cur when it improves it (or ties). Returns
 * SCHED_ERR_TIMEOUT when the time limit struck inside it. */
static int plan_window(const strat_problem_t *p, const strat_params_t *params, double start, int lo,
                       int end, int *tensor_of, strat_plan_t *cur, strat_stats_t *stats) {
  window_t w;
  int rc = SCHED_OK;
  if (window_init(&w, p, cur, lo, end, tensor_of)) {
    strat_params_t sub_params = *params;
    sub_params.incumbent = &w.start;
    sub_params.incumbent_of = "horizon";
    sub_params.fixed = w.fixed;
    sub_params.lp_path = NULL;
    sub_params.capped_out = NULL;
    sub_params.time_limit_s = seconds_left(params, start);
    strat_plan_t sub = {0}, merged = {0};
    strat_stats_t st = {0};
    if (expired(params, start))
      rc = SCHED_ERR_TIMEOUT;
    else if (strat_solver_ilp.solve(&w.p, &sub_params, &sub, &st, NULL) == SCHED_OK) {
      stats->nodes += st.nodes;
      if (st.fallback && expired(params, start))
        rc = SCHED_ERR_TIMEOUT;
      else if (!same_choices(&w, &sub)) {
        merge_window(&w, &sub, cur, &merged);
        if (merged.objective <= cur->objective && strat_plan_broken_regions(p, &merged) == 0 &&
            strat_plan_verify(p, &merged, NULL) == SCHED_OK) {
          strat_plan_free(cur);
          *cur = merged;
          merged = (strat_plan_t){0};
        }
      }
    }
    strat_plan_free(&sub);
    strat_plan_free(&merged);
  }
  window_free(&w);
  return rc;
}

int strat_ilp_horizon(const strat_problem_t *p, const strat_params_t *params, int32_t window,
                      int32_t step, strat_plan_t *out, strat_stats_t *stats, sched_diag_t *diag) {
  double start = glp_time();
  *out = (strat_plan_t){0};
  if (window < 1 || step < 1 || step > window)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "ilp horizon: window %d and step %d (need 1 <= step <= window)",
                          (int)window, (int)step);
  int rc = strat_ilp_incumbent(p, params, out, diag);
  if (rc != SCHED_OK)
    return rc;
  int *tensor_of = sched_xmalloc((size_t)SCHED_MAX(p->g->n_tensors, 1) * sizeof *tensor_of);
  memset(tensor_of, 0xff, (size_t)SCHED_MAX(p->g->n_tensors, 1) * sizeof *tensor_of); /* -1 */
  int lo = 0, end = 0;
  bool cut = false;
  while (end < p->n_layers && !cut) {
    end = SCHED_MIN(lo + window, p->n_layers);
    cut = plan_window(p, params, start, lo, end, tensor_of, out, stats) != SCHED_OK;
    lo += cut ? 0 : step;
  }
  free(tensor_of);
  if (cut) { /* the time limit struck: from lo on, nothing was planned again */
    stats->fallback = strat_ilp_incumbent_name(params);
    stats->fallback_layer = lo;
  }
  int64_t bound = strat_objective_lower_bound(p);
  double obj = (double)SCHED_MAX(out->objective, 1);
  stats->optimal = out->objective <= bound;
  stats->mip_gap = stats->optimal ? 0 : ((double)out->objective - (double)bound) / obj;
  return SCHED_OK;
}

/* ---- the bound ---- */

static int64_t xfer_cycles(int64_t cycles, int64_t latency) {
  return cycles - SCHED_MIN(latency, cycles);
}

/* Layer l under candidate c with only its mandatory DDR traffic: what it
 * keeps the compute busy for, and the channel. */
static void least_busy(const strat_problem_t *p, int l, int c, int64_t *compute, int64_t *channel) {
  const strat_candidate_t *k = &p->layers[l].cands[c];
  int64_t lat = strat_dma_latency_cycles(p);
  *channel = xfer_cycles(strat_weight_item_cycles(p, l, c), lat);
  if (tiling_streams_ddr(&k->choice, &k->cost)) { /* the body holds both */
    *compute = strat_body_cycles(p, l, c);
    *channel += *compute;
    return;
  }
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[l].op].n_inputs, 1);
  *compute = k->cost.compute_cycles;
  *channel +=
      p->layers[l].n_inputs_from_graph * xfer_cycles(k->cost.input_dma_cycles / n_inputs, lat);
  if (p->values[l].graph_output)
    *channel += xfer_cycles(k->cost.output_dma_cycles, lat);
}

int64_t strat_objective_lower_bound(const strat_problem_t *p) {
  int64_t compute = 0, channel = 0, bytes = 0;
  for (int l = 0; l < p->n_layers; l++) {
    int64_t least_compute = INT64_MAX, least_channel = INT64_MAX, least_bytes = INT64_MAX;
    for (int c = 0; c < p->layers[l].n_cands; c++) {
      int64_t busy, chan;
      least_busy(p, l, c, &busy, &chan);
      least_compute = SCHED_MIN(least_compute, busy);
      least_channel = SCHED_MIN(least_channel, chan);
      least_bytes =
          SCHED_MIN(least_bytes, strat_layer_objective(p, l, c, p->layers[l].n_inputs_from_graph,
                                                       p->values[l].graph_output));
    }
    if (p->layers[l].n_cands == 0)
      continue;
    compute += least_compute;
    channel += least_channel;
    bytes += least_bytes;
  }
  return p->objective == STRAT_OBJECTIVE_BANDWIDTH ? bytes : SCHED_MAX(compute, channel);
}
