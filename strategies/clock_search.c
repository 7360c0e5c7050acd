/* clock_search.c - local searches on the plan clock (timeline.c): the
 * prefetch windows of any solver's plan, and the ILP's candidates and
 * spills where its model cannot see the clock (it holds its incumbent's
 * windows fixed, so a candidate that needs other windows is outside it).
 * Budgets count layer-evaluations of the clock (one try costs one per
 * layer), so results are the same on any machine. */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

#define WINDOW_PASSES 4
#define CANDIDATE_PASSES 4

/* Release step of layer l's weights under window w (-1: before the net). */
static int release_step(int l, int w) { return l - w - 1; }

/* The widest window layer l's weights can take: releases stay in layer
 * order (no earlier than the weighted layer before's release), within the
 * prefetch cap, and every step it covers keeps its bytes within the
 * capacity. used[t]: step t's bytes with l's own window (own steps). */
static int widest_window(const strat_problem_t *p, const strat_plan_t *plan, const int64_t *used,
                         int l, int own, int64_t bytes) {
  int lo_release = -1;
  for (int k = l - 1; k >= 0; k--)
    if (strat_prefetch_bytes(p, k, plan->cand[k]) > 0) {
      lo_release = release_step(k, plan->prefetch[k]);
      break;
    }
  int64_t cap = p->prefetch_cap < 0 ? INT32_MAX : p->prefetch_cap;
  int w = 0;
  for (;;) {
    int t = l - w - 1; /* the step window w + 1 adds */
    int64_t without_own = t >= 0 ? used[t] - (w + 1 <= own ? bytes : 0) : 0;
    if (release_step(l, w + 1) < lo_release || w + 1 > cap ||
        without_own + bytes > p->capacity_bytes)
      return w;
    w++;
  }
}

/* Moves layer l's window from `from` to `to` steps in used[]. */
static void move_window(int64_t *used, int l, int from, int to, int64_t bytes) {
  for (int t = l - from; t < l; t++)
    used[t] -= bytes;
  for (int t = l - to; t < l; t++)
    used[t] += bytes;
}

/* Every window from none to the widest that fits is tried with the others
 * held (the earliest release is not always the fastest: weights loaded
 * early go ahead of other transfers on the channel). */
int64_t strat_plan_tune_windows(const strat_problem_t *p, strat_plan_t *plan, int64_t max_work) {
  if (p->objective != STRAT_OBJECTIVE_LATENCY)
    return 0;
  int n = p->n_layers;
  int64_t work_left = max_work;
  int64_t *used = strat_plan_cmx_bytes_per_step(p, plan);
  bool improved = true;
  for (int pass = 0; pass < WINDOW_PASSES && improved && work_left > 0; pass++) {
    improved = false;
    int next_release = INT32_MAX; /* the next weighted layer's, walking back */
    int *next_of = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *next_of);
    for (int l = n - 1; l >= 0; l--) {
      next_of[l] = next_release;
      if (strat_prefetch_bytes(p, l, plan->cand[l]) > 0)
        next_release = release_step(l, plan->prefetch[l]);
    }
    for (int l = 0; l < n && work_left > 0; l++) {
      int64_t bytes = strat_prefetch_bytes(p, l, plan->cand[l]);
      if (bytes == 0)
        continue;
      int own = plan->prefetch[l], best_w = own;
      int64_t best_cycles = plan->latency_cycles;
      int widest = widest_window(p, plan, used, l, own, bytes);
      for (int w = 0; w <= widest && work_left > 0; w++) {
        if (w == own || release_step(l, w) > next_of[l])
          continue;
        work_left -= n;
        plan->prefetch[l] = w;
        int64_t cycles = strat_plan_latency_cycles(p, plan, NULL);
        if (cycles < best_cycles) {
          best_cycles = cycles;
          best_w = w;
        }
      }
      plan->prefetch[l] = best_w;
      if (best_w != own) {
        improved = true;
        move_window(used, l, own, best_w, bytes);
        plan->latency_cycles = best_cycles;
      }
    }
    free(next_of);
  }
  free(used);
  strat_plan_evaluate(p, plan);
  return max_work - work_left;
}

/* What one trial costs: its windows are set step by step (room allows
 * windows of tens of layers on nets of small weights) and the clock
 * evaluates every layer a few times. */
static int64_t trial_work(const strat_problem_t *p, const strat_plan_t *trial) {
  int64_t work = 4 * (int64_t)p->n_layers;
  for (int l = 0; l < p->n_layers; l++)
    work += trial->prefetch[l];
  return work;
}

/* A trial move is kept when the clock, with windows as room allows, beats
 * the plan's own tuned windows; the kept plan's windows are tuned again.
 * fits: whether the trial verifies, as strat_plan_retile and respill tell
 * (strat_plan_verify on every trial was a quarter of ResNet-50's climb).
 * *trial_cycles (when not NULL): the trial's latency (INT64_MAX when it
 * does not fit). */
static bool try_move(const strat_problem_t *p, strat_plan_t *plan, strat_plan_t *trial, bool fits,
                     int64_t *work_left, int64_t *trial_cycles) {
  *work_left -= trial_work(p, trial);
  if (fits) /* the clock alone: a kept trial is evaluated whole once its windows are tuned */
    trial->latency_cycles = strat_plan_latency_cycles(p, trial, NULL);
  if (trial_cycles)
    *trial_cycles = fits ? trial->latency_cycles : INT64_MAX;
  bool better = fits && trial->latency_cycles < plan->latency_cycles;
  if (better) {
    *work_left -= strat_plan_tune_windows(p, trial, SCHED_MAX(*work_left, 0));
    strat_plan_free(plan);
    *plan = *trial;
  } else
    strat_plan_free(trial);
  return better;
}

/* The plan with value v's spill turned over; windows as room allows.
 * Returns whether it verifies: v's spill is free (spill_free), so regions
 * and forced spills hold, and capacity is what the windows' pass tells. */
static bool respill(const strat_problem_t *p, const strat_plan_t *plan, int v, strat_plan_t *out) {
  strat_plan_copy(plan, out);
  out->spilled[v] = !out->spilled[v];
  memset(out->prefetch, 0, (size_t)p->n_layers * sizeof *out->prefetch);
  return strat_plan_set_prefetch(p, out);
}

/* Whether the solver may choose v's spill: not forced, not inside a chosen
 * region, not a graph output (written to DDR whatever the plan). */
static bool spill_free(const strat_problem_t *p, const strat_plan_t *plan, int v) {
  return !p->values[v].graph_output && !strat_value_spill_forced(p, plan->cand, v) &&
         !strat_value_in_region(p, plan->cand, v);
}

/* How many values before a layer a compound move may turn over. */
#define COMPOUND_SPILL_REACH 3

/* A strategy change that pays only with spills turned over next to it: the
 * layer's new candidate holds other bytes, and the room it frees or takes
 * is what prefetch windows use (ResNet-50 at 1936KB: layer4.1.conv1 to SOK
 * with its two input values spilled). Layer l takes candidate c, then each
 * value from l - COMPOUND_SPILL_REACH to l is turned over where that makes
 * the trial faster; the whole is kept when it beats the plan. */
static bool try_compound(const strat_problem_t *p, strat_plan_t *plan, int l, int c,
                         int64_t *work_left) {
  strat_plan_t trial;
  strat_plan_copy(plan, &trial);
  bool fits = strat_plan_retile(p, &trial, l, c);
  *work_left -= trial_work(p, &trial);
  if (!fits) {
    strat_plan_free(&trial);
    return false;
  }
  trial.latency_cycles = strat_plan_latency_cycles(p, &trial, NULL); /* as try_move's */
  for (int v = SCHED_MAX(0, l - COMPOUND_SPILL_REACH); v <= l && *work_left > 0; v++) {
    if (!spill_free(p, &trial, v) || p->values[v].n_consumers == 0)
      continue;
    strat_plan_t turned;
    bool turned_fits = respill(p, &trial, v, &turned);
    try_move(p, &trial, &turned, turned_fits, work_left, NULL);
  }
  return try_move(p, plan, &trial, true, work_left, NULL);
}

/* What a pass's single trials found, per candidate of each layer (at
 * first[l] + c) and per spill trial: the latency (INT64_MAX: it did not
 * fit) and the work charged. A compound pass follows a pass that kept
 * nothing, so until it keeps a move its plan is that pass's, and its
 * single trials would find the same: they are replayed from here, the
 * same work charged, so plans are those of trials run again. */
typedef struct {
  int *first;
  int64_t *cand_cycles, *cand_work;
  int64_t *spill_work;
} single_trials_t;

static void single_trials_init(single_trials_t *t, const strat_problem_t *p) {
  t->first = sched_xcalloc((size_t)p->n_layers + 1, sizeof *t->first);
  for (int l = 0; l < p->n_layers; l++)
    t->first[l + 1] = t->first[l] + p->layers[l].n_cands;
  t->cand_cycles = sched_xcalloc((size_t)t->first[p->n_layers] + 1, sizeof *t->cand_cycles);
  t->cand_work = sched_xcalloc((size_t)t->first[p->n_layers] + 1, sizeof *t->cand_work);
  t->spill_work = sched_xcalloc((size_t)p->n_layers + 1, sizeof *t->spill_work);
}

static void single_trials_free(single_trials_t *t) {
  free(t->first);
  free(t->cand_cycles);
  free(t->cand_work);
  free(t->spill_work);
}

/* Layer l's candidates one by one (replayed from t, or tried and recorded
 * there); with `compound`, for each other strategy its fastest candidate
 * as a compound move after them. */
static int32_t tune_layer(const strat_problem_t *p, strat_plan_t *plan, int l, bool compound,
                          bool replay, single_trials_t *t, int64_t *work_left) {
  int32_t moves = 0;
  int best_cand[STRAT_COUNT];
  int64_t best_cycles[STRAT_COUNT];
  for (int s = 0; s < STRAT_COUNT; s++)
    best_cand[s] = -1, best_cycles[s] = INT64_MAX;
  int n_cands = p->layers[l].n_cands;
  for (int c = 0; *work_left > 0 && c < n_cands; c++) {
    if (c == plan->cand[l])
      continue;
    int i = t->first[l] + c;
    if (replay) {
      *work_left -= t->cand_work[i];
    } else {
      int64_t before = *work_left;
      strat_plan_t trial;
      strat_plan_copy(plan, &trial);
      bool fits = strat_plan_retile(p, &trial, l, c);
      if (try_move(p, plan, &trial, fits, work_left, &t->cand_cycles[i]))
        moves++;
      t->cand_work[i] = before - *work_left;
    }
    int s = p->layers[l].cands[c].choice.strategy;
    if (t->cand_cycles[i] < best_cycles[s])
      best_cand[s] = c, best_cycles[s] = t->cand_cycles[i];
  }
  for (int s = 0; compound && *work_left > 0 && s < STRAT_COUNT; s++) {
    if (best_cand[s] < 0 || (int)p->layers[l].cands[plan->cand[l]].choice.strategy == s)
      continue;
    moves += try_compound(p, plan, l, best_cand[s], work_left);
  }
  return moves;
}

/* Value l's spill turned over (replayed from t, or tried and recorded). */
static int32_t tune_spill(const strat_problem_t *p, strat_plan_t *plan, int l, bool replay,
                          single_trials_t *t, int64_t *work_left) {
  if (replay) {
    *work_left -= t->spill_work[l];
    return 0;
  }
  int64_t before = *work_left;
  strat_plan_t trial;
  bool fits = respill(p, plan, l, &trial);
  int32_t moves = try_move(p, plan, &trial, fits, work_left, NULL);
  t->spill_work[l] = before - *work_left;
  return moves;
}

/* Passes of single moves until none is kept; then (with compound_moves) a
 * pass with compound moves as well, and single passes again if it kept
 * one. */
int32_t strat_plan_tune_candidates(const strat_problem_t *p, strat_plan_t *plan, int64_t max_work,
                                   bool compound_moves) {
  if (p->objective != STRAT_OBJECTIVE_LATENCY)
    return 0;
  single_trials_t t;
  single_trials_init(&t, p);
  int64_t work_left = max_work;
  int32_t moves = 0;
  bool compound = false;
  for (int pass = 0; pass < CANDIDATE_PASSES && work_left > 0; pass++) {
    int32_t before = moves;
    for (int l = 0; l < p->n_layers && work_left > 0; l++) {
      bool replay = compound && moves == before; /* the plan is the last pass's */
      moves += tune_layer(p, plan, l, compound, replay, &t, &work_left);
      replay = compound && moves == before;
      if (work_left > 0 && spill_free(p, plan, l))
        moves += tune_spill(p, plan, l, replay, &t, &work_left);
    }
    if (moves == before && (compound || !compound_moves))
      break;
    compound = moves == before;
  }
  single_trials_free(&t);
  return moves;
}

/* The window caps the clock search also runs under, after the problem's
 * own (as far as room allows), each from the uncapped search's plan.
 * Windows as room allows let the first layers to claim room hold it for
 * many steps, so a move judged with them can look slower than it is; the
 * same move judged with windows of a few steps leaves room for the layers
 * after it (ResNet-34 at 1280KB: 1487.8 us scheduled with the uncapped
 * search alone, 1288.6 with the caps). */
const int32_t strat_window_caps[STRAT_WINDOW_CAPS] = {2, 4, 8, 16};

/* One capped search: from the uncapped search's plan, under one cap. */
typedef struct {
  strat_problem_t capped; /* a view: the same data, shorter windows */
  const strat_plan_t *start;
  int64_t max_work;
  bool compound_moves;
  strat_plan_t trial; /* its plan, with its capped windows */
  int32_t moves;
} capped_search_t;

static void capped_search(capped_search_t *c) {
  strat_plan_copy(c->start, &c->trial);
  strat_plan_set_prefetch(&c->capped, &c->trial);
  strat_plan_evaluate(&c->capped, &c->trial);
  strat_plan_tune_windows(&c->capped, &c->trial, STRAT_TUNE_WINDOWS_MAX_WORK);
  c->moves = strat_plan_tune_candidates(&c->capped, &c->trial, c->max_work, c->compound_moves);
}

/* Runs every other capped search, from the first: half of them for a
 * second thread. */
static int capped_searches(void *arg) {
  capped_search_t *c = arg;
  for (int i = 0; i < STRAT_WINDOW_CAPS; i += 2)
    if (c[i].start)
      capped_search(&c[i]);
  return 0;
}

int32_t strat_plan_clock_search(const strat_problem_t *p, strat_plan_t *plan, int64_t max_work,
                                bool compound_moves, strat_plan_t *capped_out) {
  int32_t moves = strat_plan_tune_candidates(p, plan, max_work, compound_moves);
  strat_plan_t start;
  strat_plan_copy(plan, &start);
  capped_search_t caps[STRAT_WINDOW_CAPS] = {0};
  for (int i = 0; i < STRAT_WINDOW_CAPS; i++) {
    if (p->prefetch_cap >= 0 && strat_window_caps[i] >= p->prefetch_cap)
      continue; /* start stays NULL: not searched */
    caps[i] = (capped_search_t){.capped = *p,
                                .start = &start,
                                .max_work = max_work / STRAT_WINDOW_CAPS,
                                .compound_moves = compound_moves};
    caps[i].capped.prefetch_cap = strat_window_caps[i];
  }
  /* The searches are independent and read the problem only: the even
   * ones on a second thread (three quarters of the climb's time is here;
   * the core beside is idle once the ILP's MIPs end), merged below in cap
   * order either way, so plans do not depend on the threads. */
  thrd_t helper;
  bool helped = thrd_create(&helper, capped_searches, caps) == thrd_success;
  for (int i = helped ? 1 : 0; i < STRAT_WINDOW_CAPS; i += helped ? 2 : 1)
    if (caps[i].start)
      capped_search(&caps[i]);
  if (helped)
    thrd_join(helper, NULL);
  for (int i = 0; i < STRAT_WINDOW_CAPS; i++) {
    if (capped_out)
      capped_out[i] = (strat_plan_t){0};
    if (!caps[i].start)
      continue;
    strat_plan_t trial = caps[i].trial;
    if (capped_out) {
      strat_plan_copy(&trial, &capped_out[i]);
      strat_plan_evaluate(p, &capped_out[i]);
    }
    strat_plan_best_prefetch(p, &trial); /* back to the problem's own windows */
    if (trial.latency_cycles < plan->latency_cycles) {
      strat_plan_free(plan);
      *plan = trial;
      moves += caps[i].moves;
    } else
      strat_plan_free(&trial);
  }
  strat_plan_free(&start);
  return moves;
}

/* One rung of the climb: the best quick heuristic's plan at this view, or
 * the plan carried up from the rung below when that is faster here, with
 * the whole clock search on this view's clock (the candidate search alone
 * left ResNet-18 at 1536KB at 685.1 us, 658.8 with it), compound moves
 * included: then a rung searches as the climb of a run at that budget
 * searches its last step, so what that run's climb reaches is carried up
 * (without them, ResNet-18 on vpu40 at 1440KB stopped at 136.3 us while
 * the plan of a run at 1MB schedules there at 124.2). Returns the moves
 * kept; *have: a plan was made; *from_heuristics: this rung searched from
 * the heuristics' plan, not the carried one. */
static int32_t climb_rung(const strat_problem_t *view, const strat_params_t *quick,
                          strat_plan_t *carried, bool *have, bool *from_heuristics) {
  strat_plan_t start;
  *from_heuristics = false;
  if (strat_ilp_incumbent(view, quick, &start, NULL) != SCHED_OK)
    return 0; /* nothing fits this rung: the carried plan (if any) waits */
  *from_heuristics = true;
  if (*have) {
    strat_plan_best_prefetch(view, carried);
    if (carried->latency_cycles < start.latency_cycles) {
      strat_plan_free(&start);
      start = *carried;
      *from_heuristics = false;
    } else
      strat_plan_free(carried);
  }
  *carried = start;
  *have = true;
  return strat_plan_clock_search(view, carried, STRAT_TUNE_CANDIDATES_MAX_WORK, true, NULL);
}

/* Under each cap the faster plan on the clock is the one the caller
 * allocates, whichever search made it: the climb's plan can win on the
 * clock and its layout still need repairs that an earlier search's capped
 * plan does not (ResNet-101 at 1536KB: the climb's cap-4 plan scheduled
 * at 2525.1 us after 4 repairs, the MIP's own search's at 2438.8). */
void strat_plan_keep_faster(strat_plan_t *kept, strat_plan_t *other) {
  if (other->cand && (!kept->cand || other->latency_cycles < kept->latency_cycles)) {
    strat_plan_free(kept);
    *kept = *other;
  } else
    strat_plan_free(other);
}

/* The climb from rung `first` up: *plan takes its result when faster;
 * params->capped_out, the capped plans the caller allocates, take its
 * capped plans where faster. *top_from_heuristics: the rung just below
 * the budget searched from the heuristics' plan there. */
static int32_t climb_from(const strat_problem_t *p, const strat_params_t *params,
                          const strat_params_t *quick, int64_t first, strat_plan_t *plan,
                          const atomic_bool *stop, bool *top_from_heuristics) {
  strat_plan_t carried = {0};
  bool have = false;
  int32_t moves = 0;
  *top_from_heuristics = false;
  for (int64_t r = first; r < p->capacity_bytes; r += STRAT_CMX_RUNG_BYTES) {
    if (stop && atomic_load(stop))
      break;
    strat_problem_t view = *p; /* the same candidates, a smaller budget */
    view.capacity_bytes = r;
    moves += climb_rung(&view, quick, &carried, &have, top_from_heuristics);
  }
  if (!have)
    return 0;
  strat_plan_best_prefetch(p, &carried);
  strat_plan_t capped[STRAT_WINDOW_CAPS] = {{0}};
  moves += strat_plan_clock_search(p, &carried, STRAT_TUNE_CANDIDATES_MAX_WORK, true,
                                   params->capped_out ? capped : NULL);
  strat_plan_keep_faster(plan, &carried);
  for (int i = 0; params->capped_out && i < STRAT_WINDOW_CAPS; i++)
    strat_plan_keep_faster(&params->capped_out[i], &capped[i]);
  return moves;
}

int32_t strat_plan_climb(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *plan,
                         const atomic_bool *stop) {
  strat_params_t quick = *params;
  quick.incumbent = NULL; /* each rung starts from the heuristics' best there */
  quick.fixed = NULL;
  quick.capped_out = NULL;
  bool top_from_heuristics;
  int32_t moves =
      climb_from(p, params, &quick, STRAT_CMX_RUNG_BYTES, plan, stop, &top_from_heuristics);
  /* A plan carried from far below can lead the searches into a slower
   * local optimum than the heuristics' own plan at the rung just below
   * (ResNet-34 at 1MB: 1338.1 us carried from 256KB, 1251.9 from 768KB
   * alone), so the climb also starts there; unless the carried plan
   * already lost to that plan there, when a second climb would repeat the
   * first move for move (8 of 12 zoo points at 1MB and above). */
  int64_t top_rung = (p->capacity_bytes - 1) / STRAT_CMX_RUNG_BYTES * STRAT_CMX_RUNG_BYTES;
  if (top_rung > STRAT_CMX_RUNG_BYTES && !top_from_heuristics)
    moves += climb_from(p, params, &quick, top_rung, plan, stop, &top_from_heuristics);
  return moves;
}
