/* spills.c - tensors that go through DDR only because their producer's
 * output distribution is not what a consumer's strategy reads (DESIGN.md,
 * "Multi-cluster strategies"), with neither side sliced and the tensor not a
 * graph output. The what-if forces the consumer (or, when it has no
 * compatible candidate, the producer) to a strategy that shares the
 * distribution and lets the same solver plan the rest, so the measured
 * saving includes whatever that costs elsewhere. */
#include "advisor/advisor_internal.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  advisor_site_t site;
  int64_t bytes;
  int32_t order;
} spill_site_t;

static const tiling_choice_t *chosen(const strat_problem_t *p, const strat_plan_t *plan, int l) {
  return &p->layers[l].cands[plan->cand[l]].choice;
}

/* The strategy of an untiled candidate of layer l whose input (want_input)
 * or output distribution is compatible with `dist`, preferring `prefer`;
 * STRAT_COUNT when none. */
static tiling_strategy_t compatible_strategy(const strat_problem_t *p, int l, tiling_dist_t dist,
                                             bool want_input, tiling_strategy_t prefer) {
  tiling_strategy_t found = STRAT_COUNT;
  for (int c = 0; c < p->layers[l].n_cands; c++) {
    const tiling_choice_t *ch = &p->layers[l].cands[c].choice;
    bool ok = want_input ? tiling_dist_compatible(dist, tiling_input_dist(ch->strategy))
                         : tiling_dist_compatible(tiling_output_dist(ch->strategy), dist);
    if (!ok || ch->tiles != 1)
      continue;
    if (ch->strategy == prefer)
      return prefer;
    if (found == STRAT_COUNT)
      found = ch->strategy;
  }
  return found;
}

/* A site for the spill of layer v's output into consumer c, or false. */
static bool spill_site(const strat_problem_t *p, const strat_plan_t *plan, int v, int c,
                       spill_site_t *out) {
  const tiling_choice_t *prod = chosen(p, plan, v), *cons = chosen(p, plan, c);
  tiling_dist_t produced = tiling_output_dist(prod->strategy);
  if (cons->tiles != 1 || tiling_dist_compatible(produced, tiling_input_dist(cons->strategy)))
    return false;
  int layer = c;
  tiling_strategy_t s = compatible_strategy(p, c, produced, true, prod->strategy);
  if (s == STRAT_COUNT) {
    layer = v;
    s = compatible_strategy(p, v, tiling_input_dist(cons->strategy), false, cons->strategy);
  }
  if (s == STRAT_COUNT)
    return false;
  const ir_graph_t *g = p->g;
  *out = (spill_site_t){.bytes = ir_tensor_bytes(g, p->values[v].tensor)};
  advisor_site_t *site = &out->site;
  site->op = -1;
  site->strategy = s;
  snprintf(site->name, sizeof site->name, "%s", g->ops[p->layers[layer].op].name);
  snprintf(site->note, sizeof site->note, "%.24s (%s) -> %.24s (%s), %lld bytes: force %.24s to %s",
           g->ops[p->layers[v].op].name, tiling_strategy_name(prod->strategy),
           g->ops[p->layers[c].op].name, tiling_strategy_name(cons->strategy),
           (long long)out->bytes, site->name, tiling_strategy_name(s));
  return true;
}

static int by_bytes_desc(const void *a, const void *b) {
  const spill_site_t *x = a, *y = b;
  if (x->bytes != y->bytes)
    return x->bytes < y->bytes ? 1 : -1;
  return x->order - y->order;
}

void advisor_spill_detect(const advisor_input_t *in, const advisor_params_t *params,
                          advisor_sites_t *out) {
  const strat_problem_t *p = in->problem;
  spill_site_t *found = NULL;
  int n = 0, cap = 0;
  for (int v = 0; v < p->n_layers; v++) {
    const strat_value_t *val = &p->values[v];
    if (!in->plan->spilled[v] || val->graph_output || chosen(p, in->plan, v)->tiles != 1)
      continue;
    for (int k = 0; k < val->n_consumers; k++) {
      sched_grow((void **)&found, &cap, n + 1, sizeof *found);
      if (spill_site(p, in->plan, v, val->consumers[k], &found[n])) {
        found[n].order = n;
        n++;
      }
    }
  }
  if (n > 0)
    qsort(found, (size_t)n, sizeof *found, by_bytes_desc);
  for (int i = 0; i < n && i < params->max_spill_sites; i++)
    advisor_sites_push(out, &found[i].site);
  free(found);
}

int advisor_spill_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                        advisor_whatif_t *out, sched_diag_t *diag) {
  (void)diag;
  advisor_whatif_copy(in, out);
  out->forces = sched_xcalloc((size_t)(n_sites > 0 ? n_sites : 1), sizeof *out->forces);
  for (int i = 0; i < n_sites; i++) {
    snprintf(out->forces[i].layer, sizeof out->forces[i].layer, "%s", sites[i].name);
    out->forces[i].strategy = sites[i].strategy;
  }
  out->n_forces = n_sites;
  return SCHED_OK;
}
