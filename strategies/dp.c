/* dp.c - dynamic programming over the topological order, the state being
 * the candidate of the previous layer: the chain recurrence (node
 * elimination) of layer-wise parallelisation search in OptCNN (Jia et al.,
 * "Exploring Hidden Dimensions in Parallelizing Convolutional Neural
 * Networks", ICML 2018), here with spill costs as the edge costs.
 *
 * Cost = sum of layer objectives, split into each layer's base cost and
 * per-value spill terms (a spill costs the producer's write and every
 * consumer's read, read off strat_layer_objective, which is linear in them).
 * Every state keeps the best path to it (candidates and which values are
 * known to spill); extending it by layer l with candidate c charges l's base
 * cost, the spills l's choice forces on its inputs (against the producers'
 * candidates on that path) and reads of spilled inputs.
 *
 * The state is a layer's candidate and whether its output stays in CMX.
 * Exact on chains (every value has one consumer, the next layer): there a
 * value's spill and a step's CMX (its footprint, its output's hold, what its
 * kept input holds beyond its share) depend only on the adjacent pair of
 * states, so a transition that overflows is refused and a voluntary spill is
 * a state like any other. On other graphs it is a heuristic: the producer of
 * a non-adjacent input is fixed by the path to the previous layer's state,
 * a long-lived value counts as kept until a later reader spills it, and at
 * the end forced spills are set and over-full steps spill long-lived values.
 * Streaming regions are pairwise constraints between neighbouring layers
 * (members are chosen together), which the state holds, so they stay exact.
 * O(layers x candidates^2 x inputs) time. A path is copied only over the
 * layers a later step can still read (from the oldest value live there),
 * and the plan is read back from per-state back pointers, so the paths cost
 * O(layers x candidates x longest lifetime), not layers^2. */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>

/* The best path to one state: a candidate and a spill flag per layer so far. */
typedef struct {
  int64_t cost;
  int *cand;
  bool *spilled;
} dp_path_t;

typedef struct {
  const strat_problem_t *p;
  int max_states;        /* 2 x the most candidates of a layer */
  dp_path_t *prev, *cur; /* max_states each */
  bool *scratch;         /* per layer: spilled by the layer being extended */
  int *live, *live0;     /* values v < l with last use >= l: live[live0[l] ..] */
  int *oldest;           /* per layer: the first layer whose choice it can read */
  int *back;             /* [l * max_states + state]: the state of l - 1 it extends */
  uint32_t *newly;       /* [l * max_states + state]: input slots it spills */
} dp_t;

_Static_assert(IR_MAX_INPUTS <= 32, "dp_t.newly holds a bit per input slot");

static int64_t read_cost(const strat_problem_t *p, int layer, int cand) {
  return strat_layer_objective(p, layer, cand, 1, false) -
         strat_layer_objective(p, layer, cand, 0, false);
}

static int64_t write_cost(const strat_problem_t *p, int layer, int cand) {
  return strat_layer_objective(p, layer, cand, 0, true) -
         strat_layer_objective(p, layer, cand, 0, false);
}

static bool tiled(const strat_problem_t *p, int layer, int cand) {
  const strat_candidate_t *c = &p->layers[layer].cands[cand];
  return tiling_streams_ddr(&c->choice, &c->cost);
}

/* A price no real plan reaches, for choices that break a streaming region;
 * small enough that a path's sum of them cannot overflow. */
#define DP_FORBIDDEN (INT64_MAX / 4096)

static int region_of(const strat_problem_t *p, int layer, int cand) {
  return p->layers[layer].cands[cand].region;
}

/* Candidate `cand` of `layer` streams on into the next layer. */
static bool region_continues(const strat_problem_t *p, int layer, int cand) {
  int r = region_of(p, layer, cand);
  return r >= 0 && layer < p->regions[r].first + p->regions[r].n_ops - 1;
}

/* Whether c at layer l fits the previous layer's candidate `prev` as far
 * as streaming regions go: members are chosen together or not at all. */
static bool region_consistent(const strat_problem_t *p, int l, int c, int prev) {
  int r = region_of(p, l, c);
  bool needs_prev = r >= 0 && l > p->regions[r].first;
  if (l == 0)
    return !needs_prev;
  bool prev_continues = region_continues(p, l - 1, prev);
  if (needs_prev || prev_continues)
    return region_of(p, l - 1, prev) == r;
  return true;
}

/* Whether candidate c of `layer` can read value u kept in CMX, produced
 * under the candidate `prod`. */
static bool reads_kept(const strat_problem_t *p, int u, int prod, int layer, int c) {
  if (region_continues(p, u, prod) && region_of(p, u, prod) == region_of(p, layer, c))
    return true; /* inside a streaming region */
  if (tiled(p, u, prod) || tiled(p, layer, c))
    return false;
  tiling_strategy_t a = p->layers[u].cands[prod].choice.strategy;
  tiling_strategy_t b = p->layers[layer].cands[c].choice.strategy;
  return tiling_dist_compatible(tiling_output_dist(a), tiling_input_dist(b));
}

/* Reads of value u by the layers before `layer` on the path (a slot each). */
static int64_t earlier_reads(const strat_problem_t *p, const dp_path_t *path, int u, int layer) {
  const strat_value_t *val = &p->values[u];
  int64_t cost = 0;
  for (int i = 0; i < val->n_consumers && val->consumers[i] < layer; i++) {
    int k = val->consumers[i];
    const ir_op_t *op = &p->g->ops[p->layers[k].op];
    for (int s = 0; s < op->n_inputs; s++)
      if (op->inputs[s] == val->tensor)
        cost += read_cost(p, k, path->cand[k]);
  }
  return cost;
}

/* Whether value v (kept on the path) is produced and read inside one
 * chosen streaming region when layer l takes candidate c. */
static bool inside_region(const strat_problem_t *p, const dp_path_t *path, int v, int l, int c) {
  if (!region_continues(p, v, path->cand[v]))
    return false;
  int consumer = p->values[v].consumers[0];
  int region = region_of(p, v, path->cand[v]);
  return consumer < l ? region_of(p, consumer, path->cand[consumer]) == region
                      : region_of(p, l, c) == region;
}

/* CMX in use at step l if l takes candidate c (keeping its output or not),
 * with the path's choices before it and `newly` the inputs l spills: what
 * strat_step_cmx_bytes counts, with the spills known so far. */
static int64_t step_bytes(const dp_t *dp, const dp_path_t *path, int l, int c, bool keep,
                          const bool *newly_spilled) {
  const strat_problem_t *p = dp->p;
  const tiling_footprint_t *f = &p->layers[l].cands[c].cost.footprint;
  int64_t bytes = f->total_bytes;
  if (keep)
    bytes += SCHED_MAX(0, strat_value_hold_bytes(p, l, c) - f->output_bytes);
  bool concat = p->g->ops[p->layers[l].op].kind == IR_OP_CONCAT;
  for (int i = dp->live0[l]; i < dp->live0[l + 1]; i++) {
    int v = dp->live[i];
    const strat_value_t *val = &p->values[v];
    if (path->spilled[v] || newly_spilled[v] || inside_region(p, path, v, l, c))
      continue;
    int64_t hold = strat_value_hold_bytes(p, v, path->cand[v]);
    bool read = false;
    for (int i = 0; i < val->n_consumers; i++)
      read |= val->consumers[i] == l;
    if (!read)
      bytes += hold;
    else if (concat)
      bytes += val->last_use > l ? hold : 0;
    else
      bytes += SCHED_MAX(0, hold - strat_read_share_bytes(p, l, c, v));
  }
  return bytes;
}

/* Cost of extending `path` by layer l with candidate c, keeping its output
 * in CMX or not; with `apply`, also records the choice and the spills it
 * causes in the path. `scratch` is a per-layer flag array. */
static int64_t extend(const dp_t *dp, dp_path_t *path, int l, int c, bool keep, uint32_t *apply,
                      bool *scratch) {
  const strat_problem_t *p = dp->p;
  const ir_op_t *op = &p->g->ops[p->layers[l].op];
  int64_t cost = strat_layer_objective(p, l, c, p->layers[l].n_inputs_from_graph, false);
  bool newly[IR_MAX_INPUTS] = {false};
  for (int s = 0; s < op->n_inputs; s++) {
    int u = p->g->tensors[op->inputs[s]].producer;
    if (u < 0)
      continue;
    bool was = path->spilled[u];
    for (int t = 0; t < s; t++)
      was |= newly[t] && p->g->tensors[op->inputs[t]].producer == u;
    if (!was && !reads_kept(p, u, path->cand[u], l, c)) {
      newly[s] = true;
      was = true;
      cost += write_cost(p, u, path->cand[u]) + earlier_reads(p, path, u, l);
    }
    if (was)
      cost += read_cost(p, l, c);
  }
  if (!region_consistent(p, l, c, l > 0 ? path->cand[l - 1] : -1))
    cost += DP_FORBIDDEN;
  bool must_spill = (tiled(p, l, c) && !region_continues(p, l, c)) || p->values[l].graph_output;
  if (keep && must_spill)
    cost += DP_FORBIDDEN;
  if (!keep && region_continues(p, l, c))
    cost += DP_FORBIDDEN; /* a region keeps its intermediates */
  if (!keep)
    cost += write_cost(p, l, c);
  for (int s = 0; s < op->n_inputs; s++) {
    int u = p->g->tensors[op->inputs[s]].producer;
    if (u >= 0)
      scratch[u] = newly[s];
  }
  if (step_bytes(dp, path, l, c, keep, scratch) > p->capacity_bytes)
    cost += DP_FORBIDDEN;
  for (int s = 0; s < op->n_inputs; s++) {
    int u = p->g->tensors[op->inputs[s]].producer;
    if (u >= 0)
      scratch[u] = false;
  }
  if (apply) {
    *apply = 0;
    for (int s = 0; s < op->n_inputs; s++)
      if (newly[s]) {
        path->spilled[p->g->tensors[op->inputs[s]].producer] = true;
        *apply |= UINT32_C(1) << s;
      }
    path->cand[l] = c;
    path->spilled[l] = !keep;
    path->cost += cost;
  }
  return cost;
}

/* Copies the layers [from, to) of a path: the rest is never read again. */
static void path_copy(const dp_path_t *src, dp_path_t *dst, int from, int to) {
  dst->cost = src->cost;
  size_t n = (size_t)SCHED_MAX(to - from, 0);
  memcpy(dst->cand + from, src->cand + from, n * sizeof *dst->cand);
  memcpy(dst->spilled + from, src->spilled + from, n * sizeof *dst->spilled);
}

/* Fills dp->cur for layer l from dp->prev (n_prev states). State 2c + k:
 * candidate c, its output kept in CMX (k = 1) or sent to DDR (k = 0). */
static void dp_layer(dp_t *dp, int l, int n_prev, int64_t *nodes) {
  const strat_problem_t *p = dp->p;
  for (int state = 0; state < 2 * p->layers[l].n_cands; state++) {
    int c = state / 2, best = 0;
    bool keep = state % 2;
    int64_t best_cost = INT64_MAX;
    for (int a = 0; a < n_prev; a++) {
      int64_t cost = dp->prev[a].cost + extend(dp, &dp->prev[a], l, c, keep, NULL, dp->scratch);
      if (cost < best_cost) {
        best_cost = cost;
        best = a;
      }
    }
    *nodes += n_prev;
    path_copy(&dp->prev[best], &dp->cur[state], dp->oldest[l], l);
    size_t at = (size_t)l * (size_t)dp->max_states + (size_t)state;
    dp->back[at] = best;
    extend(dp, &dp->cur[state], l, c, keep, &dp->newly[at], dp->scratch);
  }
}

/* For each step l, the values produced before it and still live there
 * (ascending), and the oldest layer a step can read: the oldest live
 * value, or the layer before. */
static void live_init(dp_t *dp) {
  const strat_problem_t *p = dp->p;
  int n = p->n_layers;
  dp->live0 = sched_xcalloc((size_t)n + 1, sizeof *dp->live0);
  for (int v = 0; v < n; v++) /* v is live over (v, last_use] */
    for (int l = v + 1; l <= p->values[v].last_use && l < n; l++)
      dp->live0[l + 1]++;
  for (int l = 0; l < n; l++)
    dp->live0[l + 1] += dp->live0[l];
  dp->live = sched_xcalloc((size_t)SCHED_MAX(dp->live0[n], 1), sizeof *dp->live);
  int *fill = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *fill);
  memcpy(fill, dp->live0, (size_t)n * sizeof *fill);
  for (int v = 0; v < n; v++)
    for (int l = v + 1; l <= p->values[v].last_use && l < n; l++)
      dp->live[fill[l]++] = v;
  free(fill);
  dp->oldest = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *dp->oldest);
  for (int l = 0; l < n; l++) {
    dp->oldest[l] = SCHED_MAX(l - 1, 0);
    if (dp->live0[l + 1] > dp->live0[l])
      dp->oldest[l] = SCHED_MIN(dp->oldest[l], dp->live[dp->live0[l]]);
  }
}

static dp_path_t *paths_new(const strat_problem_t *p, int n) {
  dp_path_t *paths = sched_xcalloc((size_t)n, sizeof *paths);
  for (int i = 0; i < n; i++) {
    paths[i].cand = sched_xcalloc((size_t)SCHED_MAX(p->n_layers, 1), sizeof(int));
    paths[i].spilled = sched_xcalloc((size_t)SCHED_MAX(p->n_layers, 1), sizeof(bool));
  }
  return paths;
}

static void paths_free(dp_path_t *paths, int n) {
  for (int i = 0; i < n; i++) {
    free(paths[i].cand);
    free(paths[i].spilled);
  }
  free(paths);
}

/* The plan of the best path, from the last layer's state `best` back: a
 * layer's candidate and kept flag from its state, and the spills of its
 * inputs recorded where the path made them (voluntary ones included). */
static void path_read_back(const dp_t *dp, int best, strat_plan_t *out) {
  const strat_problem_t *p = dp->p;
  for (int v = 0; v < p->n_layers; v++)
    out->spilled[v] = false;
  for (int l = p->n_layers - 1, state = best; l >= 0; l--) {
    size_t at = (size_t)l * (size_t)dp->max_states + (size_t)state;
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    out->cand[l] = state / 2;
    out->spilled[l] |= state % 2 == 0;
    for (int s = 0; s < op->n_inputs; s++)
      if (dp->newly[at] & (UINT32_C(1) << s))
        out->spilled[p->g->tensors[op->inputs[s]].producer] = true;
    state = dp->back[at];
  }
  for (int v = 0; v < p->n_layers; v++)
    out->spilled[v] = out->spilled[v] || strat_value_spill_forced(p, out->cand, v);
}

static int dp_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                    strat_stats_t *stats, sched_diag_t *diag) {
  (void)params;
  (void)diag;
  dp_t dp = {.p = p, .max_states = 2};
  for (int l = 0; l < p->n_layers; l++)
    dp.max_states = SCHED_MAX(dp.max_states, 2 * p->layers[l].n_cands);
  dp.prev = paths_new(p, dp.max_states);
  dp.cur = paths_new(p, dp.max_states);
  dp.scratch = sched_xcalloc((size_t)SCHED_MAX(p->n_layers, 1), sizeof *dp.scratch);
  size_t n_states = (size_t)SCHED_MAX(p->n_layers, 1) * (size_t)dp.max_states;
  dp.back = sched_xmalloc(n_states * sizeof *dp.back);
  dp.newly = sched_xmalloc(n_states * sizeof *dp.newly);
  live_init(&dp);
  int n_prev = 1; /* before layer 0: one empty path */
  for (int l = 0; l < p->n_layers; l++) {
    dp_layer(&dp, l, n_prev, &stats->nodes);
    dp_path_t *swap = dp.prev;
    dp.prev = dp.cur;
    dp.cur = swap;
    n_prev = 2 * p->layers[l].n_cands;
  }
  int best = 0;
  for (int c = 1; c < n_prev; c++)
    if (dp.prev[c].cost < dp.prev[best].cost)
      best = c;
  strat_plan_init(out, p->n_layers);
  path_read_back(&dp, best, out);
  paths_free(dp.prev, dp.max_states);
  paths_free(dp.cur, dp.max_states);
  free(dp.scratch);
  free(dp.live);
  free(dp.live0);
  free(dp.oldest);
  free(dp.back);
  free(dp.newly);
  strat_plan_repair_capacity(p, out);
  strat_plan_evaluate(p, out);
  return SCHED_OK;
}

const strat_solver_t strat_solver_dp = {
    .name = "dp",
    .summary = "dynamic programming over the layer order; exact on chains",
    .solve = dp_solve,
};
