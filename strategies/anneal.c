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
 * O(moves x (layers x inputs + crossings)). */
#include "strategies/strategies.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const strat_solver_t strat_solver_dp;

#define ANNEAL_DEFAULT_ITERS 20000

typedef struct {
  uint64_t state;
} anneal_rng_t;

typedef struct {
  int *cand;
  bool *voluntary;
} anneal_state_t;

typedef struct {
  const strat_problem_t *p;
  int *cross;     /* values crossing each step, concatenated */
  int *cross0;    /* step t's are cross[cross0[t] .. cross0[t + 1]) */
  int *longlived; /* values that cross at least one step */
  int n_longlived;
  double penalty;    /* energy per byte of overflow */
  strat_plan_t plan; /* scratch for scoring */
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

/* ---- the problem's long-lived values ---- */

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

static void anneal_init(anneal_t *a, const strat_problem_t *p) {
  *a = (anneal_t){.p = p};
  int n = SCHED_MAX(p->n_layers, 1), total = 0;
  a->cross0 = sched_xcalloc((size_t)n + 1, sizeof *a->cross0);
  a->longlived = sched_xcalloc((size_t)n, sizeof *a->longlived);
  bool *lives = sched_xcalloc((size_t)n, sizeof *lives);
  for (int pass = 0; pass < 2; pass++) {
    total = 0;
    for (int t = 0; t < p->n_layers; t++) {
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
    a->cross0[p->n_layers] = total;
    if (pass == 0)
      a->cross = sched_xcalloc((size_t)SCHED_MAX(total, 1), sizeof *a->cross);
  }
  for (int v = 0; v < p->n_layers; v++)
    if (lives[v])
      a->longlived[a->n_longlived++] = v;
  free(lives);
  strat_plan_init(&a->plan, p->n_layers);
}

static void anneal_free(anneal_t *a) {
  free(a->cross);
  free(a->cross0);
  free(a->longlived);
  strat_plan_free(&a->plan);
}

/* ---- scoring ---- */

/* Bytes over capacity, summed over steps, of the scratch plan. */
static int64_t overflow_bytes(const anneal_t *a) {
  const strat_problem_t *p = a->p;
  int64_t over = 0;
  for (int t = 0; t < p->n_layers; t++) {
    int64_t bytes = p->layers[t].cands[a->plan.cand[t]].cost.footprint.total_bytes;
    for (int i = a->cross0[t]; i < a->cross0[t + 1]; i++) {
      int v = a->cross[i];
      if (a->plan.spilled[v])
        continue;
      const strat_candidate_t *c = &p->layers[v].cands[a->plan.cand[v]];
      bytes += tiling_tensor_cluster_bytes(
          p->g, p->values[v].tensor, tiling_output_dist(c->choice.strategy), c->cost.clusters);
    }
    over += SCHED_MAX(bytes - p->capacity_bytes, 0);
  }
  return over;
}

/* Loads a state into the scratch plan and returns its energy; *feasible
 * says whether it fits CMX at every step. */
static double energy(anneal_t *a, const anneal_state_t *s, bool *feasible) {
  const strat_problem_t *p = a->p;
  memcpy(a->plan.cand, s->cand, (size_t)p->n_layers * sizeof *s->cand);
  strat_plan_set_forced_spills(p, &a->plan);
  for (int v = 0; v < p->n_layers; v++)
    a->plan.spilled[v] |= s->voluntary[v];
  int64_t over = overflow_bytes(a);
  *feasible = over == 0;
  return (double)strat_plan_cost(p, &a->plan) + a->penalty * (double)over;
}

/* ---- moves ---- */

static void state_copy(const strat_problem_t *p, const anneal_state_t *src, anneal_state_t *dst) {
  memcpy(dst->cand, src->cand, (size_t)p->n_layers * sizeof *src->cand);
  memcpy(dst->voluntary, src->voluntary, (size_t)p->n_layers * sizeof *src->voluntary);
}

/* Changes one thing of s; returns false when there was nothing to change. */
static bool move(const anneal_t *a, anneal_rng_t *rng, anneal_state_t *s) {
  const strat_problem_t *p = a->p;
  if (a->n_longlived > 0 && rng_below(rng, 5) == 0) {
    int v = a->longlived[rng_below(rng, a->n_longlived)];
    s->voluntary[v] = !s->voluntary[v];
    return true;
  }
  int l = rng_below(rng, p->n_layers);
  int n = p->layers[l].n_cands;
  if (n < 2)
    return a->n_longlived > 0 ? move(a, rng, s) : false;
  s->cand[l] = (s->cand[l] + 1 + rng_below(rng, n - 1)) % n;
  return true;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The annealing loop from `cur`; the best feasible state lands in `best`. */
static int64_t anneal_run(anneal_t *a, const strat_params_t *params, anneal_state_t *cur,
                          anneal_state_t *best) {
  const strat_problem_t *p = a->p;
  anneal_state_t trial = {sched_xcalloc((size_t)p->n_layers, sizeof(int)),
                          sched_xcalloc((size_t)p->n_layers, sizeof(bool))};
  anneal_rng_t rng = rng_seed(params->seed);
  int iters = params->anneal_iters > 0 ? params->anneal_iters : ANNEAL_DEFAULT_ITERS;
  bool feasible;
  double e = energy(a, cur, &feasible), best_e = e;
  double t0 = SCHED_MAX(e / (10.0 * p->n_layers), 1.0), t_end = t0 * 1e-4;
  double start = seconds_now();
  int64_t done = 0;
  for (int i = 0; i < iters; i++, done++) {
    if (params->time_limit_s > 0 && (i & 255) == 255 &&
        seconds_now() - start > params->time_limit_s)
      break;
    double temp = t0 * pow(t_end / t0, (double)i / iters);
    state_copy(p, cur, &trial);
    if (!move(a, &rng, &trial))
      break;
    double e_trial = energy(a, &trial, &feasible);
    if (e_trial > e && rng_unit(&rng) >= exp((e - e_trial) / temp))
      continue;
    anneal_state_t swap = *cur;
    *cur = trial;
    trial = swap;
    e = e_trial;
    if (feasible && e < best_e) {
      best_e = e;
      state_copy(p, cur, best);
    }
  }
  free(trial.cand);
  free(trial.voluntary);
  return done;
}

static int anneal_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                        strat_stats_t *stats, sched_diag_t *diag) {
  strat_stats_t dp_stats = {0};
  int rc = strat_solver_dp.solve(p, params, out, &dp_stats, diag);
  if (rc != SCHED_OK || p->n_layers == 0)
    return rc;
  anneal_t a;
  anneal_init(&a, p);
  anneal_state_t cur = {sched_xcalloc((size_t)p->n_layers, sizeof(int)),
                        sched_xcalloc((size_t)p->n_layers, sizeof(bool))};
  anneal_state_t best = {out->cand, sched_xcalloc((size_t)p->n_layers, sizeof(bool))};
  memcpy(cur.cand, out->cand, (size_t)p->n_layers * sizeof *out->cand);
  for (int v = 0; v < p->n_layers; v++)
    cur.voluntary[v] = best.voluntary[v] =
        out->spilled[v] && !strat_value_spill_forced(p, out->cand, v);
  a.penalty = 4 * SCHED_MAX(1.0, (double)out->objective / (double)p->capacity_bytes);
  stats->nodes = anneal_run(&a, params, &cur, &best);
  bool feasible;
  energy(&a, &best, &feasible); /* best.cand is out->cand: fill spills */
  memcpy(out->spilled, a.plan.spilled, (size_t)p->n_layers * sizeof *out->spilled);
  strat_plan_evaluate(p, out);
  free(cur.cand);
  free(cur.voluntary);
  free(best.voluntary);
  anneal_free(&a);
  return SCHED_OK;
}

const strat_solver_t strat_solver_anneal = {
    .name = "anneal",
    .summary = "simulated annealing over candidates and spills of long-lived tensors, from dp",
    .solve = anneal_solve,
};
