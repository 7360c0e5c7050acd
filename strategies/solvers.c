/* solvers.c - the table of solvers. Adding one: a file defining a
 * strat_solver_t, its extern below, and its row in the table. */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const strat_solver_t strat_solver_greedy;
extern const strat_solver_t strat_solver_rollback;
extern const strat_solver_t strat_solver_dp;
extern const strat_solver_t strat_solver_anneal;
extern const strat_solver_t strat_solver_ilp;

/* clang-format off */
static const strat_solver_t *const solver_table[] = {
    &strat_solver_greedy,
    &strat_solver_rollback,
    &strat_solver_dp,
    &strat_solver_anneal,
    &strat_solver_ilp,
    NULL,
};
/* clang-format on */

const strat_solver_t *const *strat_solvers(void) { return solver_table; }

const strat_solver_t *strat_solver_find(const char *name) {
  for (int i = 0; solver_table[i]; i++)
    if (strcmp(solver_table[i]->name, name) == 0)
      return solver_table[i];
  return NULL;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Keeps in *best the faster of *best and *other (other's windows win ties
 * when other_on_tie); frees the loser. */
static void keep_faster(strat_plan_t *best, strat_plan_t *other, bool other_on_tie) {
  if (other->latency_cycles < best->latency_cycles ||
      (other_on_tie && other->latency_cycles == best->latency_cycles)) {
    strat_plan_t old = *best;
    *best = *other;
    *other = old;
  }
  strat_plan_free(other);
}

/* The plan with the windows it would get under a budget of room_bytes. */
static void windows_within(const strat_problem_t *p, const strat_plan_t *plan, int64_t room_bytes,
                           strat_plan_t *out) {
  *out = (strat_plan_t){0};
  strat_plan_copy(plan, out);
  strat_plan_set_prefetch_within(p, out, room_bytes);
  strat_plan_evaluate(p, out);
}

/* The window search stops after this many layer-evaluations of the plan
 * clock (one try costs one per layer, about 0.5 us): a zoo net gets its
 * passes (ResNet-50: 0.2M), a 1,000-layer chain a few tries per layer. */
#define TUNE_MAX_WORK (INT64_C(1) << 20)
#define TUNE_MAX_PASSES 4

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

/* The plan's windows by local search on the plan clock: layer by layer,
 * every window from none to the widest that fits is tried with the others
 * held, the fastest kept (the earliest release is not always the fastest:
 * weights loaded early go ahead of other transfers on the channel), in
 * passes until one improves nothing or the work budget ends. The windows
 * stay in release order. Evaluates the plan. */
static void tune_windows(const strat_problem_t *p, strat_plan_t *plan) {
  if (p->objective != STRAT_OBJECTIVE_LATENCY)
    return;
  int n = p->n_layers;
  int64_t work_left = TUNE_MAX_WORK;
  int64_t *used = strat_plan_cmx_bytes_per_step(p, plan);
  bool improved = true;
  for (int pass = 0; pass < TUNE_MAX_PASSES && improved && work_left > 0; pass++) {
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
}

void strat_plan_best_prefetch(const strat_problem_t *p, strat_plan_t *plan) {
  strat_plan_t room;
  windows_within(p, plan, p->capacity_bytes, &room);
  bool own_fits = true; /* the solver's windows, if it set any, may still hold */
  for (int t = 0; t < p->n_layers && own_fits; t++)
    own_fits = strat_step_cmx_bytes(p, plan, t) <= p->capacity_bytes;
  if (own_fits)
    strat_plan_evaluate(p, plan);
  if (!own_fits) {
    strat_plan_free(plan);
    *plan = room;
  } else
    keep_faster(plan, &room, true);
  /* Windows as early as room allows are not the fastest: weights loaded
   * early go ahead of other transfers on the channel. A smaller rung's
   * windows fit too, so they are tried, and a larger budget never gives a
   * plan slower windows than a smaller rung would (more CMX never hurts). */
  for (int64_t rung = STRAT_CMX_RUNG_BYTES; rung < p->capacity_bytes;
       rung += STRAT_CMX_RUNG_BYTES) {
    strat_plan_t smaller;
    windows_within(p, plan, rung, &smaller);
    keep_faster(plan, &smaller, false);
  }
  tune_windows(p, plan);
}

int strat_solve(const strat_solver_t *solver, const strat_problem_t *p,
                const strat_params_t *params, strat_plan_t *out, strat_stats_t *stats,
                sched_diag_t *diag) {
  *stats = (strat_stats_t){0};
  double start = now_ms();
  int rc = solver->solve(p, params, out, stats, diag);
  stats->solve_ms = now_ms() - start;
  if (rc != SCHED_OK)
    return rc;
  strat_plan_fix_regions(p, out); /* for solvers that ignore streaming regions */
  strat_plan_fix_regions(p, out); /* a region chosen by some members only (restricted spaces) */
  strat_plan_best_prefetch(p, out);
  sched_diag_t why = {{0}}; /* not diag itself: it cannot be formatted into its own buffer */
  rc = strat_plan_verify(p, out, &why);
  if (rc != SCHED_OK)
    return sched_diag_set(diag, rc, "solver %s produced an invalid plan: %s", solver->name,
                          why.msg);
  return SCHED_OK;
}
