/* greedy.c - each layer's cheapest candidate on its own, ignoring what the
 * choice does to its neighbours (the baseline every other solver beats).
 * Spills follow from the choices; long-lived tensors that overflow CMX are
 * spilled largest first. Streaming regions are left out: a region is a
 * choice for several layers at once. O(layers x candidates). */
#include "strategies/strategies.h"

static int greedy_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                        strat_stats_t *stats, sched_diag_t *diag) {
  (void)params;
  (void)diag;
  strat_plan_init(out, p->n_layers);
  for (int l = 0; l < p->n_layers; l++) {
    int64_t best = INT64_MAX;
    for (int c = 0; c < p->layers[l].n_cands; c++) {
      int64_t cost = strat_layer_objective(p, l, c, 0, false);
      if (p->layers[l].cands[c].region < 0 && cost < best) { /* regions are not solo choices */
        best = cost;
        out->cand[l] = c;
      }
    }
  }
  strat_plan_set_forced_spills(p, out);
  strat_plan_repair_capacity(p, out);
  strat_plan_evaluate(p, out);
  stats->nodes = p->n_layers;
  return SCHED_OK;
}

const strat_solver_t strat_solver_greedy = {
    .name = "greedy",
    .summary = "each layer's cheapest candidate alone, ignoring spills it causes",
    .solve = greedy_solve,
};
