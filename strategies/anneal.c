/* anneal.c - simulated annealing over the plan (Kirkpatrick et al.,
 * Science 1983), the optional pass after the strategy manager's greedy
 * choice and rollback in openvinotoolkit/npu_compiler (vpux).
 *
 * The state is one candidate per layer plus a voluntary-spill flag per
 * long-lived value (one that stays in CMX across some step without being
 * read there); spilled = forced | voluntary. A move picks a layer and gives
 * it another candidate, or flips the voluntary spill of a long-lived value.
 * Energy = plan objective + a penalty per byte of CMX overflow (summed over
 * steps) large enough that a full CMX of overflow outweighs the whole plan;
 * moves that lower the energy are taken, others with probability
 * exp(-delta / T), T cooling geometrically from about a tenth of a layer's
 * average cost. It starts from dp's plan and returns the best plan without
 * overflow it visits. The random numbers come from a local xorshift64*
 * seeded with params->seed, so a seed gives the same plan every run (the
 * wall-clock limit, checked every 256 moves, is the one exception).
 * A move re-costs only the layers whose candidate or inputs' spills it
 * touches; the overflow is re-summed from tables: O(moves x (layers +
 * crossings)). */
#include "strategies/strategies.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const strat_solver_t strat_solver_dp;

#define ANNEAL_DEFAULT_ITERS 20000

typedef struct {
  uint64_t state;
} anneal_rng_t;

/* Per (layer, candidate) row: what the plan model charges. */
typedef struct {
  int64_t base;      /* objective with only graph inputs from DDR */
  int64_t read;      /* per input read from DDR */
  int64_t write;     /* output written to DDR */
  int64_t footprint; /* CMX while the layer runs */
  int64_t kept;      /* CMX of the output kept while it crosses a step */
  int64_t beyond;    /* kept's excess over what the layer writes */
  int64_t share;     /* the layer's input footprint per input slot */
} anneal_row_t;

/* What the last move changed, to undo it. */
typedef struct {
  int layer, old_cand; /* layer -1: a voluntary spill flip of value `flipped` */
  int flipped;
  int values[IR_MAX_INPUTS + 1];
  bool old_spilled[IR_MAX_INPUTS + 1];
  int n_values;
  int *layers; /* re-costed layers and their old costs */
  int64_t *old_cost;
  int n_layers;
} anneal_undo_t;

typedef struct {
  const strat_problem_t *p;
  anneal_row_t *rows;
  int *row0;      /* layer l's rows start at row0[l] */
  int *slots;     /* producers of each layer's non-graph inputs, concatenated */
  int *slot0;     /* layer l's are slots[slot0[l] .. slot0[l + 1]) */
  int *cross;     /* values crossing each step, concatenated */
  int *cross0;    /* step t's are cross[cross0[t] .. cross0[t + 1]) */
  int *longlived; /* values that cross at least one step */
  int n_longlived;
  double penalty;    /* energy per byte of overflow */
  strat_plan_t plan; /* current state: cand, spilled = forced | voluntary */
  bool *voluntary;
  int64_t *layer_cost;
  int64_t cost;
  int *mark; /* epoch per layer, to re-cost each once per move */
  int epoch;
  anneal_undo_t undo;
} anneal_t;

/* ---- random numbers ---- */

static uint64_t rng_next(anneal_rng_t *r) {
  r->state ^= r->state >> 12;
  r->state ^= r->state << 25;
  r->state ^= r->state >> 27;
  return r->state * 0x2545F4914F6CDD1DULL;
}

static anneal_rng_t rng_seed(uint64_t seed) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL; /* splitmix64: no zero state */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (anneal_rng_t){.state = z ? z : 1};
}

static int rng_below(anneal_rng_t *r, int n) { return (int)(rng_next(r) % (uint64_t)n); }

static double rng_unit(anneal_rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* ---- tables ---- */

static bool reads(const strat_value_t *val, int layer) {
  for (int i = 0; i < val->n_consumers; i++)
    if (val->consumers[i] == layer)
      return true;
  return false;
}

static bool crosses(const strat_problem_t *p, int v, int t) {
  const strat_value_t *val = &p->values[v];
  return v < t && t < val->last_use && !val->graph_output && !reads(val, t);
}

static void rows_init(anneal_t *a) {
  const strat_problem_t *p = a->p;
  int n_rows = 0;
  a->row0 = sched_xcalloc((size_t)p->n_layers, sizeof *a->row0);
  for (int l = 0; l < p->n_layers; l++) {
    a->row0[l] = n_rows;
    n_rows += p->layers[l].n_cands;
  }
  a->rows = sched_xcalloc((size_t)n_rows, sizeof *a->rows);
  for (int l = 0; l < p->n_layers; l++) {
    int graph = p->layers[l].n_inputs_from_graph;
    for (int c = 0; c < p->layers[l].n_cands; c++) {
      const strat_candidate_t *k = &p->layers[l].cands[c];
      anneal_row_t *r = &a->rows[a->row0[l] + c];
      r->base = strat_layer_objective(p, l, c, graph, false);
      r->read = strat_layer_objective(p, l, c, graph + 1, false) - r->base;
      r->write = strat_layer_objective(p, l, c, graph, true) - r->base;
      r->footprint = k->cost.footprint.total_bytes;
      r->kept = strat_value_hold_bytes(p, l, c);
      r->beyond = SCHED_MAX(0, r->kept - k->cost.footprint.output_bytes);
      r->share = k->cost.footprint.input_bytes / SCHED_MAX(p->g->ops[p->layers[l].op].n_inputs, 1);
    }
  }
}

static void slots_init(anneal_t *a) {
  const strat_problem_t *p = a->p;
  a->slot0 = sched_xcalloc((size_t)p->n_layers + 1, sizeof *a->slot0);
  a->slots = sched_xcalloc((size_t)p->n_layers * IR_MAX_INPUTS, sizeof *a->slots);
  int n = 0;
  for (int l = 0; l < p->n_layers; l++) {
    a->slot0[l] = n;
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      int u = p->g->tensors[op->inputs[i]].producer;
      if (u >= 0)
        a->slots[n++] = u;
    }
  }
  a->slot0[p->n_layers] = n;
}

static void crossings_init(anneal_t *a) {
  const strat_problem_t *p = a->p;
  int n = p->n_layers, total = 0;
  a->cross0 = sched_xcalloc((size_t)n + 1, sizeof *a->cross0);
  a->longlived = sched_xcalloc((size_t)n, sizeof *a->longlived);
  bool *lives = sched_xcalloc((size_t)n, sizeof *lives);
  for (int pass = 0; pass < 2; pass++) {
    total = 0;
    for (int t = 0; t < n; t++) {
      a->cross0[t] = total;
      for (int v = 0; v < t; v++) {
        if (!crosses(p, v, t))
          continue;
        if (pass == 1)
          a->cross[total] = v;
        lives[v] = true;
        total++;
      }
    }
    a->cross0[n] = total;
    if (pass == 0)
      a->cross = sched_xcalloc((size_t)SCHED_MAX(total, 1), sizeof *a->cross);
  }
  for (int v = 0; v < n; v++)
    if (lives[v])
      a->longlived[a->n_longlived++] = v;
  free(lives);
}

/* ---- the current state ---- */

static const anneal_row_t *row(const anneal_t *a, int layer) {
  return &a->rows[a->row0[layer] + a->plan.cand[layer]];
}

static int64_t layer_cost(const anneal_t *a, int l) {
  const anneal_row_t *r = row(a, l);
  int64_t cost = r->base + (a->plan.spilled[l] ? r->write : 0);
  for (int i = a->slot0[l]; i < a->slot0[l + 1]; i++)
    cost += a->plan.spilled[a->slots[i]] ? r->read : 0;
  return cost;
}

/* What kept values add at step t beyond the crossing ones
 * (strat_step_cmx_bytes): t's own output's hold beyond what t writes, and
 * the hold of each kept input beyond t's share of it. */
static int64_t reader_bytes(const anneal_t *a, int t) {
  const strat_problem_t *p = a->p;
  const strat_plan_t *plan = &a->plan;
  int64_t bytes = 0;
  if (!plan->spilled[t] && p->values[t].n_consumers > 0)
    bytes += row(a, t)->beyond;
  bool concat = p->g->ops[p->layers[t].op].kind == IR_OP_CONCAT;
  for (int i = a->slot0[t]; i < a->slot0[t + 1]; i++) {
    int v = a->slots[i], reads = 1;
    bool seen = false;
    for (int j = a->slot0[t]; j < a->slot0[t + 1]; j++) {
      seen |= j < i && a->slots[j] == v;
      reads += j > i && a->slots[j] == v;
    }
    if (seen || plan->spilled[v])
      continue;
    int64_t hold = row(a, v)->kept;
    if (concat)
      bytes += p->values[v].last_use > t ? hold : 0;
    else
      bytes += SCHED_MAX(0, hold - reads * row(a, t)->share);
  }
  return bytes;
}

/* Bytes over capacity, summed over steps. */
static int64_t overflow_bytes(const anneal_t *a) {
  const strat_problem_t *p = a->p;
  int64_t over = 0;
  for (int t = 0; t < p->n_layers; t++) {
    int64_t bytes = row(a, t)->footprint + reader_bytes(a, t);
    for (int i = a->cross0[t]; i < a->cross0[t + 1]; i++)
      if (!a->plan.spilled[a->cross[i]])
        bytes += row(a, a->cross[i])->kept;
    over += SCHED_MAX(bytes - p->capacity_bytes, 0);
  }
  return over;
}

static double energy(const anneal_t *a, bool *feasible) {
  int64_t over = overflow_bytes(a);
  int broken = strat_plan_broken_regions(a->p, &a->plan);
  *feasible = over == 0 && broken == 0;
  return (double)a->cost +
         a->penalty * ((double)over + (double)broken * (double)a->p->capacity_bytes);
}

/* Loads a plan from dp (its spills beyond the forced ones are voluntary). */
static void state_init(anneal_t *a, const strat_plan_t *start) {
  const strat_problem_t *p = a->p;
  int n = p->n_layers;
  strat_plan_copy(start, &a->plan);
  a->voluntary = sched_xcalloc((size_t)n, sizeof *a->voluntary);
  a->layer_cost = sched_xcalloc((size_t)n, sizeof *a->layer_cost);
  a->mark = sched_xcalloc((size_t)n, sizeof *a->mark);
  a->undo.layers = sched_xcalloc((size_t)n, sizeof *a->undo.layers);
  a->undo.old_cost = sched_xcalloc((size_t)n, sizeof *a->undo.old_cost);
  for (int v = 0; v < n; v++)
    a->voluntary[v] = start->spilled[v] && !strat_value_spill_forced(p, start->cand, v);
  a->cost = 0;
  for (int l = 0; l < n; l++)
    a->cost += a->layer_cost[l] = layer_cost(a, l);
  assert(a->cost == strat_plan_cost(p, &a->plan));
}

static void anneal_init(anneal_t *a, const strat_problem_t *p, const strat_plan_t *start) {
  *a = (anneal_t){.p = p};
  rows_init(a);
  slots_init(a);
  crossings_init(a);
  state_init(a, start);
}

static void anneal_free(anneal_t *a) {
  free(a->rows);
  free(a->row0);
  free(a->slots);
  free(a->slot0);
  free(a->cross);
  free(a->cross0);
  free(a->longlived);
  strat_plan_free(&a->plan);
  free(a->voluntary);
  free(a->layer_cost);
  free(a->mark);
  free(a->undo.layers);
  free(a->undo.old_cost);
}

/* ---- moves ---- */

static void recost(anneal_t *a, int l) {
  if (a->mark[l] == a->epoch)
    return;
  a->mark[l] = a->epoch;
  anneal_undo_t *u = &a->undo;
  u->layers[u->n_layers] = l;
  u->old_cost[u->n_layers++] = a->layer_cost[l];
  a->layer_cost[l] = layer_cost(a, l);
  a->cost += a->layer_cost[l] - u->old_cost[u->n_layers - 1];
}

/* Re-derives the spill of value v (before any layer is re-costed). */
static void respill(anneal_t *a, int v) {
  anneal_undo_t *u = &a->undo;
  u->values[u->n_values] = v;
  u->old_spilled[u->n_values++] = a->plan.spilled[v];
  a->plan.spilled[v] = a->voluntary[v] || strat_value_spill_forced(a->p, a->plan.cand, v);
}

/* Re-costs the producers and consumers of the values the move touched. */
static void recost_touched(anneal_t *a) {
  for (int i = 0; i < a->undo.n_values; i++) {
    const strat_value_t *val = &a->p->values[a->undo.values[i]];
    recost(a, val->producer);
    for (int k = 0; k < val->n_consumers; k++)
      recost(a, val->consumers[k]);
  }
}

/* Applies a random move to the state; false when nothing can move. */
static bool move(anneal_t *a, anneal_rng_t *rng) {
  const strat_problem_t *p = a->p;
  anneal_undo_t *u = &a->undo;
  u->n_values = u->n_layers = 0;
  a->epoch++;
  if (a->n_longlived > 0 && rng_below(rng, 5) == 0) {
    int v = a->longlived[rng_below(rng, a->n_longlived)];
    u->layer = -1;
    u->flipped = v;
    a->voluntary[v] = !a->voluntary[v];
    respill(a, v);
    recost_touched(a);
    return true;
  }
  int l = rng_below(rng, p->n_layers), n = p->layers[l].n_cands;
  if (n < 2)
    return a->n_longlived > 0 ? move(a, rng) : false;
  u->layer = l;
  u->old_cand = a->plan.cand[l];
  a->plan.cand[l] = (a->plan.cand[l] + 1 + rng_below(rng, n - 1)) % n;
  respill(a, l);
  for (int i = a->slot0[l]; i < a->slot0[l + 1]; i++)
    respill(a, a->slots[i]);
  recost_touched(a);
  return true;
}

static void undo(anneal_t *a) {
  anneal_undo_t *u = &a->undo;
  for (int i = u->n_layers - 1; i >= 0; i--) {
    a->cost += u->old_cost[i] - a->layer_cost[u->layers[i]];
    a->layer_cost[u->layers[i]] = u->old_cost[i];
  }
  for (int i = u->n_values - 1; i >= 0; i--)
    a->plan.spilled[u->values[i]] = u->old_spilled[i];
  if (u->layer >= 0)
    a->plan.cand[u->layer] = u->old_cand;
  else
    a->voluntary[u->flipped] = !a->voluntary[u->flipped];
}

/* ---- the loop ---- */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Anneals from the loaded state; the best feasible plan lands in best. */
static int64_t anneal_run(anneal_t *a, const strat_params_t *params, strat_plan_t *best) {
  const strat_problem_t *p = a->p;
  anneal_rng_t rng = rng_seed(params->seed);
  int iters = params->anneal_iters > 0 ? params->anneal_iters : ANNEAL_DEFAULT_ITERS;
  bool feasible;
  double e = energy(a, &feasible), best_e = feasible ? e : INFINITY;
  double t0 = SCHED_MAX(e / (10.0 * p->n_layers), 1.0), t_end = t0 * 1e-4;
  double start = seconds_now();
  int64_t done = 0;
  for (int i = 0; i < iters; i++, done++) {
    if (params->time_limit_s > 0 && (i & 255) == 255 &&
        seconds_now() - start > params->time_limit_s)
      break;
    double temp = t0 * pow(t_end / t0, (double)i / iters);
    if (!move(a, &rng))
      break;
    double e_trial = energy(a, &feasible);
    if (e_trial > e && rng_unit(&rng) >= exp((e - e_trial) / temp)) {
      undo(a);
      continue;
    }
    e = e_trial;
    if (feasible && e < best_e) {
      best_e = e;
      memcpy(best->cand, a->plan.cand, (size_t)p->n_layers * sizeof *best->cand);
      memcpy(best->spilled, a->plan.spilled, (size_t)p->n_layers * sizeof *best->spilled);
    }
  }
  return done;
}

/* The energy is the serial plan cost, a proxy for the clock: when dp's plan,
 * the start, is faster on the clock (both with windows as room allows),
 * anneal returns it, so "from dp" never means slower than dp. */
static void keep_start_if_faster(const strat_problem_t *p, strat_plan_t *plan,
                                 strat_plan_t *start) {
  if (p->objective == STRAT_OBJECTIVE_LATENCY) {
    strat_plan_fix_regions(p, plan);
    strat_plan_best_prefetch(p, plan);
    strat_plan_best_prefetch(p, start);
    if (start->latency_cycles < plan->latency_cycles) {
      strat_plan_free(plan);
      *plan = *start;
      return;
    }
  }
  strat_plan_free(start);
}

static int anneal_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                        strat_stats_t *stats, sched_diag_t *diag) {
  strat_stats_t dp_stats = {0};
  int rc = strat_solver_dp.solve(p, params, out, &dp_stats, diag);
  if (rc != SCHED_OK || p->n_layers == 0)
    return rc;
  strat_plan_t start;
  strat_plan_copy(out, &start);
  anneal_t a;
  anneal_init(&a, p, out);
  a.penalty = 4 * SCHED_MAX(1.0, (double)out->objective / (double)p->capacity_bytes);
  stats->nodes = anneal_run(&a, params, out);
  strat_plan_evaluate(p, out);
  anneal_free(&a);
  keep_start_if_faster(p, out, &start);
  return SCHED_OK;
}

const strat_solver_t strat_solver_anneal = {
    .name = "anneal",
    .summary = "simulated annealing over candidates and spills of long-lived tensors, from dp",
    .solve = anneal_solve,
};
