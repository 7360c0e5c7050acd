/* allocate.c - a plan's CMX buffers placed by a memalloc allocator, and the
 * plan repaired until they fit.
 *
 * Requires a verified, evaluated plan. Produces the layout of the worst
 * cluster's buffers (buffers.c) and possibly a changed plan (still verified
 * and evaluated) with the list of repairs made.
 *
 * The plan model adds bytes per step; a layout also needs each buffer in
 * one contiguous range, so a plan that fits by bytes can fail by
 * fragmentation, and the buffers can hold more than the model counts (halo
 * rows, a duplicated tensor while a segmented consumer reads its part).
 * When the allocator finds no layout, the failing step is where the
 * lower bound is exceeded, or else where greedy-size's layout first rises
 * above the capacity. The repair, as the reference compiler's spill passes
 * do: spill the kept value live at that step whose DDR write and read cost
 * least (the plan's objective decides) among those whose spill frees bytes
 * there (a value the step reads frees what its buffer holds beyond the
 * step's input share: SOK -> HKSwitch keeps the whole broadcast tensor,
 * HKSwitch reads half of it); when none is left, re-tile:
 * the layer at that step (else another owner of a buffer live there) takes
 * its next candidate with a smaller footprint. Then allocate again, up to
 * max_repairs rounds. The search allocator is complete but gets a node
 * budget shared by all rounds (deterministic, unlike a time limit); when it
 * runs out, greedy-size's layout is used if it fits. A layout
 * above the lower bound is tightened: the allocator tries the bound itself
 * within a node budget, so the overhead reported is the allocator's best
 * effort, not merely the first layout under the budget. */
#include "schedule/schedule.h"

#include <stdlib.h>
#include <string.h>

schedule_alloc_params_t schedule_alloc_params_default(void) {
  return (schedule_alloc_params_t){.allocator = "search",
                                   .search_nodes = 400000,
                                   .time_limit_s = 10,
                                   .tighten_nodes = 20000,
                                   .max_repairs = 32,
                                   .align_bytes = 1};
}

void schedule_alloc_free(schedule_alloc_t *a) {
  schedule_buffers_free(&a->buffers);
  memalloc_problem_free(&a->problem);
  memalloc_solution_free(&a->solution);
  free(a->repairs);
  *a = (schedule_alloc_t){0};
}

/* Runs one allocator into a->solution and a->stats. */
static int run_allocator(const char *name, const memalloc_params_t *prm, schedule_alloc_t *a,
                         sched_diag_t *diag) {
  const memalloc_allocator_t *alloc = memalloc_allocator_find(name);
  if (!alloc)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "unknown allocator '%s'", name);
  memalloc_solution_free(&a->solution);
  memalloc_solution_init(&a->solution);
  int rc = memalloc_run(alloc, &a->problem, &a->solution, prm, &a->stats, diag);
  a->allocator = alloc->name;
  return rc;
}

/* After a fit above the lower bound: the allocator again at the bound
 * itself, within a node budget (deterministic); kept when it fits. */
static void tighten(const schedule_alloc_params_t *ap, memalloc_params_t prm, schedule_alloc_t *a) {
  if (ap->tighten_nodes <= 0 || a->stats.peak_bytes <= a->stats.lower_bound_bytes)
    return;
  const memalloc_allocator_t *alloc = memalloc_allocator_find(ap->allocator);
  int64_t capacity_bytes = a->problem.capacity_bytes;
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  prm.node_limit = ap->tighten_nodes;
  a->problem.capacity_bytes = a->stats.lower_bound_bytes;
  int rc = memalloc_run(alloc, &a->problem, &s, &prm, &st, NULL);
  a->problem.capacity_bytes = capacity_bytes;
  if (rc == SCHED_OK) {
    memalloc_solution_free(&a->solution);
    a->solution = s;
    st.time_ms += a->stats.time_ms;
    st.capacity_bytes = capacity_bytes;
    a->stats = st;
    a->allocator = alloc->name;
    return;
  }
  memalloc_solution_free(&s);
}

/* One allocation of the current buffers: SCHED_OK when a layout fits,
 * SCHED_ERR_NOT_FOUND when none was found (a->solution then holds
 * greedy-size's layout above the capacity, or nothing when the bytes alone
 * exceed it), another code on bad input. */
static int allocate_once(const schedule_alloc_params_t *ap, schedule_alloc_t *a,
                         sched_diag_t *diag) {
  memalloc_params_t prm = memalloc_params_default();
  prm.time_limit_s = ap->time_limit_s;
  a->fits = false;
  if (memalloc_problem_lower_bound(&a->problem) > a->problem.capacity_bytes) {
    memalloc_solution_free(&a->solution);
    memalloc_solution_init(&a->solution);
    a->stats = (memalloc_stats_t){.allocator = "-",
                                  .status = SCHED_ERR_INFEASIBLE,
                                  .n_buffers = a->problem.n_buffers,
                                  .capacity_bytes = a->problem.capacity_bytes,
                                  .lower_bound_bytes = memalloc_problem_lower_bound(&a->problem)};
    return SCHED_ERR_NOT_FOUND;
  }
  int64_t nodes_left = ap->search_nodes - a->search_nodes_used;
  prm.node_limit = SCHED_MAX(nodes_left, 1);
  int rc = nodes_left > 0 ? run_allocator(ap->allocator, &prm, a, diag) : SCHED_ERR_TIMEOUT;
  if (nodes_left > 0)
    a->search_nodes_used += a->stats.nodes;
  if (rc == SCHED_ERR_TIMEOUT || rc == SCHED_ERR_INFEASIBLE || rc == SCHED_ERR_NOT_FOUND)
    rc = run_allocator("greedy-size", &prm, a, diag);
  if (rc == SCHED_OK) {
    a->fits = true;
    tighten(ap, prm, a);
  }
  return rc == SCHED_ERR_NOT_FOUND || rc == SCHED_ERR_INFEASIBLE ? SCHED_ERR_NOT_FOUND : rc;
}

/* Bytes live at a step (prefetch included). */
static int64_t step_live_bytes(const memalloc_problem_t *mp, int64_t step) {
  int64_t bytes = 0;
  for (int i = 0; i < mp->n_buffers; i++)
    if (mp->buffers[i].lower <= step && step < mp->buffers[i].upper)
      bytes += mp->buffers[i].size_bytes;
  return bytes;
}

/* The step with the most bytes live within [lower, upper), first on ties. */
static int busiest_step(const memalloc_problem_t *mp, int64_t lower, int64_t upper) {
  int best = (int)lower;
  int64_t best_bytes = -1;
  for (int64_t t = lower; t < upper; t++) {
    int64_t bytes = step_live_bytes(mp, t);
    if (bytes > best_bytes) {
      best = (int)t;
      best_bytes = bytes;
    }
  }
  return best;
}

/* Where the layout failed; *fragmentation tells whether the bytes fit. */
static int failing_step(const schedule_alloc_t *a, bool *fragmentation) {
  const memalloc_problem_t *mp = &a->problem;
  *fragmentation = a->solution.n_buffers == mp->n_buffers && mp->n_buffers > 0;
  if (!*fragmentation)
    return busiest_step(mp, 0, a->buffers.n_steps);
  int worst = -1;
  for (int i = 0; i < mp->n_buffers; i++) {
    int64_t top = a->solution.offsets_bytes[i] + mp->buffers[i].size_bytes;
    if (top > mp->capacity_bytes && (worst < 0 || mp->buffers[i].lower < mp->buffers[worst].lower))
      worst = i;
  }
  if (worst < 0)
    return busiest_step(mp, 0, a->buffers.n_steps);
  return busiest_step(mp, mp->buffers[worst].lower, mp->buffers[worst].upper);
}

static void add_repair(schedule_alloc_t *a, schedule_repair_t r) {
  sched_grow((void **)&a->repairs, &a->cap_repairs, a->n_repairs + 1, sizeof *a->repairs);
  a->repairs[a->n_repairs++] = r;
}

/* The bytes spilling kept value v frees at `step`: its whole buffer when
 * the step only holds it, what exceeds the step's input share when the
 * step reads it (the consumer then loads just its share). */
static int64_t spill_frees_bytes(const strat_problem_t *p, const strat_plan_t *plan,
                                 const schedule_alloc_t *a, int v, int step) {
  int64_t bytes = 0;
  for (int i = 0; i < a->buffers.n_buffers; i++) {
    const schedule_buffer_t *b = &a->buffers.buffers[i];
    if (b->kind == SCHEDULE_BUFFER_VALUE && b->layer == v && b->lower <= step && step < b->upper)
      bytes = b->size_bytes;
  }
  const strat_value_t *val = &p->values[v];
  for (int i = 0; i < val->n_consumers; i++)
    if (val->consumers[i] == step) {
      const strat_candidate_t *c = &p->layers[step].cands[plan->cand[step]];
      int n_inputs = SCHED_MAX(p->g->ops[p->layers[step].op].n_inputs, 1);
      return c->choice.tiles > 1 ? 0 : bytes - c->cost.footprint.input_bytes / n_inputs;
    }
  return bytes;
}

/* The kept value live at `step` whose spill frees bytes there and costs
 * the least objective; -1 when none. */
static int cheapest_spill(const strat_problem_t *p, strat_plan_t *plan, const schedule_alloc_t *a,
                          int step, int64_t *cost) {
  int best = -1;
  int64_t base = strat_plan_cost(p, plan);
  for (int v = 0; v < step; v++) {
    if (plan->spilled[v] || p->values[v].last_use < step ||
        spill_frees_bytes(p, plan, a, v, step) <= 0)
      continue;
    plan->spilled[v] = true;
    int64_t delta = strat_plan_cost(p, plan) - base;
    plan->spilled[v] = false;
    if (best < 0 || delta < *cost) {
      best = v;
      *cost = delta;
    }
  }
  return best;
}

/* Layer l's candidate outside regions with the largest footprint below its
 * current one (cheapest on ties); -1 when none. */
static int smaller_candidate(const strat_problem_t *p, const strat_plan_t *plan, int l) {
  const strat_layer_t *layer = &p->layers[l];
  int64_t limit = layer->cands[plan->cand[l]].cost.footprint.total_bytes;
  int best = -1;
  for (int c = 0; c < layer->n_cands; c++) {
    int64_t bytes = layer->cands[c].cost.footprint.total_bytes;
    if (layer->cands[c].region >= 0 || bytes >= limit)
      continue;
    int64_t best_bytes = best < 0 ? -1 : layer->cands[best].cost.footprint.total_bytes;
    if (bytes > best_bytes ||
        (bytes == best_bytes &&
         strat_layer_objective(p, l, c, 0, false) < strat_layer_objective(p, l, best, 0, false)))
      best = c;
  }
  return best;
}

/* Drops the prefetch over `step` of the last layer whose weights are in CMX
 * there early: they load after that step instead (windows start in layer
 * order, so the last one keeps the order). */
static bool drop_prefetch_at(const strat_problem_t *p, strat_plan_t *plan, int step,
                             schedule_repair_t *r) {
  int last = -1;
  for (int l = step + 1; l < p->n_layers; l++) {
    if (strat_prefetch_bytes(p, l, plan->cand[l]) == 0)
      continue; /* holds nothing early */
    if (l - plan->prefetch[l] > step)
      break;
    last = l;
  }
  if (last < 0)
    return false;
  int64_t before = plan->latency_cycles;
  plan->prefetch[last] = last - step - 1;
  strat_plan_evaluate(p, plan);
  *r = (schedule_repair_t){.kind = SCHEDULE_REPAIR_PREFETCH,
                           .layer = last,
                           .step = step,
                           .fragmentation = r->fragmentation,
                           .cost = plan->latency_cycles - before};
  return true;
}

/* Re-tiles the layer at `step`, else the owner of the largest buffer live
 * there that has a smaller candidate. */
static bool retile_at(const strat_problem_t *p, strat_plan_t *plan, const schedule_alloc_t *a,
                      int step, schedule_repair_t *r) {
  int layer = step, cand = smaller_candidate(p, plan, step);
  int64_t best_bytes = -1;
  for (int i = 0; i < a->buffers.n_buffers && cand < 0; i++) {
    const schedule_buffer_t *b = &a->buffers.buffers[i];
    if (b->lower <= step && step < b->upper && b->size_bytes > best_bytes &&
        smaller_candidate(p, plan, b->layer) >= 0) {
      layer = b->layer;
      best_bytes = b->size_bytes;
    }
  }
  if (cand < 0 && best_bytes >= 0)
    cand = smaller_candidate(p, plan, layer);
  if (cand < 0)
    return false;
  int64_t before = strat_plan_cost(p, plan);
  strat_plan_retile(p, plan, layer, cand);
  *r = (schedule_repair_t){.kind = SCHEDULE_REPAIR_RETILE,
                           .layer = layer,
                           .step = step,
                           .cost = strat_plan_cost(p, plan) - before};
  return true;
}

/* One repair at the failing step; false when nothing can change. */
static bool repair(const strat_problem_t *p, strat_plan_t *plan, schedule_alloc_t *a) {
  schedule_repair_t r = {0};
  int step = failing_step(a, &r.fragmentation);
  int64_t cost = 0;
  int v = -1;
  if (drop_prefetch_at(p, plan, step, &r)) { /* every prefetch over the step, latest first */
    do
      add_repair(a, r);
    while (drop_prefetch_at(p, plan, step, &r));
    return true;
  }
  v = cheapest_spill(p, plan, a, step, &cost);
  if (v >= 0) {
    plan->spilled[v] = true;
    r.kind = SCHEDULE_REPAIR_SPILL;
    r.layer = v;
    r.step = step;
    r.cost = cost;
  } else {
    bool fragmentation = r.fragmentation;
    if (!retile_at(p, plan, a, step, &r))
      return false;
    r.fragmentation = fragmentation;
  }
  add_repair(a, r);
  strat_plan_evaluate(p, plan);
  return true;
}

/* Rebuilds the buffers and their memalloc problem for the current plan. */
static void rebuild(const strat_problem_t *p, const strat_plan_t *plan,
                    const schedule_alloc_params_t *ap, schedule_alloc_t *a) {
  schedule_buffers_free(&a->buffers);
  memalloc_problem_free(&a->problem);
  schedule_buffers_build(p, plan, &a->buffers);
  schedule_buffers_problem(&a->buffers, p->capacity_bytes, ap->align_bytes, &a->problem);
}

/* Spills and re-tilings so far (dropped prefetches are bounded by the
 * layers and cost no DDR traffic: they do not count). */
static int plan_repairs(const schedule_alloc_t *a) {
  int n = 0;
  for (int i = 0; i < a->n_repairs; i++)
    n += a->repairs[i].kind != SCHEDULE_REPAIR_PREFETCH;
  return n;
}

int schedule_alloc_plan(const strat_problem_t *p, strat_plan_t *plan, const schedule_params_t *sp,
                        const schedule_alloc_params_t *ap, schedule_alloc_t *out,
                        sched_diag_t *diag) {
  *out = (schedule_alloc_t){0};
  memalloc_solution_init(&out->solution);
  for (;;) {
    (void)sp;
    rebuild(p, plan, ap, out);
    int rc = allocate_once(ap, out, diag);
    if (rc == SCHED_OK)
      return strat_plan_verify(p, plan, diag);
    if (rc != SCHED_ERR_NOT_FOUND)
      return rc;
    if (plan_repairs(out) >= ap->max_repairs || !repair(p, plan, out))
      break;
  }
  bool fragmentation;
  int step = failing_step(out, &fragmentation);
  return sched_diag_set(diag, SCHED_ERR_INFEASIBLE,
                        "CMX allocation: no layout of %d buffers within %lld bytes after %d "
                        "repairs (%s at step %d, layer '%s')",
                        out->problem.n_buffers, (long long)out->problem.capacity_bytes,
                        out->n_repairs, fragmentation ? "fragmentation" : "over capacity", step,
                        p->g->ops[p->layers[step].op].name);
}

const char *schedule_repair_describe(const strat_problem_t *p, const schedule_repair_t *r,
                                     char *buf, size_t len) {
  const char *name = p->g->ops[p->layers[r->layer].op].name;
  const char *why = r->fragmentation ? "fragmentation" : "over capacity";
  const char *at = p->g->ops[p->layers[r->step].op].name;
  if (r->kind == SCHEDULE_REPAIR_PREFETCH)
    snprintf(buf, len, "dropped the prefetch of '%s' over step %d ('%s', %s)", name, r->step, at,
             why);
  else if (r->kind == SCHEDULE_REPAIR_SPILL)
    snprintf(buf, len, "spilled '%s' (%s at step %d, '%s')", name, why, r->step, at);
  else
    snprintf(buf, len, "re-tiled '%s' to a smaller footprint (%s at step %d, '%s')", name, why,
             r->step, at);
  return buf;
}
