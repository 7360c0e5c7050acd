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
 * budget shared by all rounds (deterministic, unlike a time limit), and
 * per attempt no more nodes than its work budget affords on this problem
 * (a node scans up to every buffer's steps); when it runs out, or cannot
 * afford a node per buffer, greedy-size's layout is used if it fits. A layout
 * above the lower bound is tightened: the allocator tries the bound itself
 * within a node budget, so the overhead reported is the allocator's best
 * effort, not merely the first layout under the budget. */
#include "schedule/schedule.h"

#include <stdlib.h>
#include <string.h>

schedule_alloc_params_t schedule_alloc_params_default(void) {
  return (schedule_alloc_params_t){.allocator = "search",
                                   .search_nodes = 400000,
                                   .search_work = 1000000000,
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

/* The most nodes one search attempt gets: search_work over the problem's
 * buffer-steps (what a node scans at most). */
static int64_t attempt_nodes(const schedule_alloc_params_t *ap, const memalloc_problem_t *mp) {
  int64_t buffer_steps = 1;
  for (int i = 0; i < mp->n_buffers; i++)
    buffer_steps += mp->buffers[i].upper - mp->buffers[i].lower;
  return ap->search_work / buffer_steps;
}

/* After a fit above the lower bound: the allocator again at the bound
 * itself, within a node budget (deterministic); kept when it fits. A
 * layout needs a node per buffer, so a budget below that skips it. */
static void tighten(const schedule_alloc_params_t *ap, memalloc_params_t prm, schedule_alloc_t *a) {
  int64_t nodes = SCHED_MIN(ap->tighten_nodes, attempt_nodes(ap, &a->problem));
  if (nodes < a->problem.n_buffers || a->stats.peak_bytes <= a->stats.lower_bound_bytes)
    return;
  const memalloc_allocator_t *alloc = memalloc_allocator_find(ap->allocator);
  int64_t capacity_bytes = a->problem.capacity_bytes;
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  prm.node_limit = nodes;
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
  int64_t nodes_left =
      SCHED_MIN(ap->search_nodes - a->search_nodes_used, attempt_nodes(ap, &a->problem));
  prm.node_limit = SCHED_MAX(nodes_left, 1);
  /* a layout takes a node per buffer: with fewer, greedy-size's at once */
  const memalloc_allocator_t *alloc = memalloc_allocator_find(ap->allocator);
  bool affordable = !alloc || !alloc->complete || nodes_left >= a->problem.n_buffers;
  int rc = affordable ? run_allocator(ap->allocator, &prm, a, diag) : SCHED_ERR_TIMEOUT;
  if (affordable)
    a->search_nodes_used += a->stats.nodes;
  if (rc == SCHED_ERR_TIMEOUT || rc == SCHED_ERR_INFEASIBLE || rc == SCHED_ERR_NOT_FOUND)
    rc = run_allocator("greedy-size", &prm, a, diag);
  if (rc == SCHED_OK) {
    a->fits = true;
    tighten(ap, prm, a);
  }
  return rc == SCHED_ERR_NOT_FOUND || rc == SCHED_ERR_INFEASIBLE ? SCHED_ERR_NOT_FOUND : rc;
}

/* Bytes live at every step (prefetch included), by a difference array;
 * the caller frees. */
static int64_t *live_bytes_per_step(const memalloc_problem_t *mp, int n_steps) {
  int64_t *live = sched_xcalloc((size_t)n_steps + 1, sizeof *live);
  for (int i = 0; i < mp->n_buffers; i++) {
    live[mp->buffers[i].lower] += mp->buffers[i].size_bytes;
    live[mp->buffers[i].upper] -= mp->buffers[i].size_bytes;
  }
  for (int t = 1; t < n_steps; t++)
    live[t] += live[t - 1];
  return live;
}

/* The step with the most bytes live within [lower, upper), first on ties. */
static int busiest_step(const int64_t *live, int64_t lower, int64_t upper) {
  int best = (int)lower;
  for (int64_t t = lower; t < upper; t++)
    if (live[t] > live[best])
      best = (int)t;
  return best;
}

/* True when the kept layout holds every buffer: the bytes fitted, the
 * layout did not (fragmentation); else the bytes alone exceed CMX. */
static bool layout_failed_by_fragmentation(const schedule_alloc_t *a) {
  return a->solution.n_buffers == a->problem.n_buffers && a->problem.n_buffers > 0;
}

/* Where the layout failed: the busiest step under the earliest buffer
 * greedy-size put above the capacity, or the busiest step of all. */
static int failing_step(const schedule_alloc_t *a, const int64_t *live) {
  const memalloc_problem_t *mp = &a->problem;
  int worst = -1;
  for (int i = 0; layout_failed_by_fragmentation(a) && i < mp->n_buffers; i++) {
    int64_t top = a->solution.offsets_bytes[i] + mp->buffers[i].size_bytes;
    if (top > mp->capacity_bytes && (worst < 0 || mp->buffers[i].lower < mp->buffers[worst].lower))
      worst = i;
  }
  if (worst < 0)
    return busiest_step(live, 0, a->buffers.n_steps);
  return busiest_step(live, mp->buffers[worst].lower, mp->buffers[worst].upper);
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

/* strat_prefetch_bytes of every layer's candidate: a round of drops asks
 * for each layer once per step its window spans. The caller frees. */
static int64_t *held_bytes_per_layer(const strat_problem_t *p, const strat_plan_t *plan) {
  int64_t *held = sched_xmalloc((size_t)(p->n_layers + 1) * sizeof *held);
  for (int l = 0; l < p->n_layers; l++)
    held[l] = strat_prefetch_bytes(p, l, plan->cand[l]);
  return held;
}

/* The latest layer whose weights (held[], per layer) are in CMX early over
 * `step`, or -1. The windows start in layer order, so the first layer
 * holding weights whose window starts after the step ends the scan, and
 * every layer holding weights between the step and the one returned has a
 * window over it. */
static int latest_window_over(const strat_problem_t *p, const strat_plan_t *plan,
                              const int64_t *held, int step) {
  int last = -1;
  for (int l = step + 1; l < p->n_layers; l++) {
    if (held[l] == 0)
      continue; /* holds nothing early */
    if (l - plan->prefetch[l] > step)
      break;
    last = l;
  }
  return last;
}

/* Drops the windows over `step`, latest first (the order of the windows
 * stays), until the bytes live there fall to target_bytes (held[]: per layer): those weights
 * load after the step instead. Keeps live[] current and marks dropped[];
 * returns how many windows were cut that no earlier step of the round had
 * cut, the latest in *latest. */
static int drop_windows_at(const strat_problem_t *p, strat_plan_t *plan, const int64_t *held,
                           int step, int64_t target_bytes, int64_t *live, bool *dropped,
                           int *latest) {
  *latest = live[step] > target_bytes ? latest_window_over(p, plan, held, step) : -1;
  int n = 0;
  for (int l = *latest; l > step && live[step] > target_bytes; l--) {
    if (held[l] == 0)
      continue;
    for (int t = l - plan->prefetch[l]; t <= step; t++)
      live[t] -= held[l];
    plan->prefetch[l] = l - step - 1;
    n += !dropped[l];
    dropped[l] = true;
  }
  return n;
}

/* The bytes each step should come down to in a round of dropped windows
 * (INT64_MAX: none). Over capacity: the capacity, everywhere. By
 * fragmentation, locally: under every buffer greedy-size put above the
 * capacity, at its busiest step, the bytes less the buffer's overshoot.
 * By fragmentation, everywhere (when local rounds stop gaining): the most
 * bytes live at a step (at most the capacity) less greedy-size's
 * overshoot, at every step; the plan's windows may fill CMX to the brim at
 * many steps, and freeing room only where the layout broke then moves the
 * break to the next such step, a round (an allocation) each. */
static int64_t *drop_targets(const schedule_alloc_t *a, const int64_t *live, bool everywhere) {
  const memalloc_problem_t *mp = &a->problem;
  int n_steps = a->buffers.n_steps;
  int64_t *target = sched_xmalloc((size_t)(n_steps + 1) * sizeof *target);
  int64_t overshoot = a->solution.peak_bytes - mp->capacity_bytes, level = mp->capacity_bytes;
  bool fragmentation = layout_failed_by_fragmentation(a);
  if (fragmentation && everywhere)
    level = SCHED_MIN(live[busiest_step(live, 0, n_steps)], mp->capacity_bytes) - overshoot;
  for (int t = 0; t <= n_steps; t++)
    target[t] = !fragmentation || everywhere ? level : INT64_MAX;
  for (int i = 0; fragmentation && !everywhere && i < mp->n_buffers; i++) {
    int64_t over = a->solution.offsets_bytes[i] + mp->buffers[i].size_bytes - mp->capacity_bytes;
    if (over <= 0)
      continue;
    int step = busiest_step(live, mp->buffers[i].lower, mp->buffers[i].upper);
    target[step] = SCHED_MIN(target[step], live[step] - over);
  }
  return target;
}

/* One round of dropped prefetch windows (drop_targets), one repair costed
 * by evaluating the plan once. False when no window was left to drop. */
static bool drop_prefetch_round(const strat_problem_t *p, strat_plan_t *plan, schedule_alloc_t *a,
                                bool everywhere) {
  int64_t *live = live_bytes_per_step(&a->problem, a->buffers.n_steps);
  int64_t *target = drop_targets(a, live, everywhere);
  schedule_repair_t r = {.kind = SCHEDULE_REPAIR_PREFETCH,
                         .step = -1,
                         .fragmentation = layout_failed_by_fragmentation(a)};
  bool *dropped = sched_xcalloc((size_t)p->n_layers + 1, sizeof *dropped);
  int64_t *held = held_bytes_per_layer(p, plan); /* a round changes no candidate */
  for (int t = 0; t < a->buffers.n_steps; t++) {
    int latest, n = drop_windows_at(p, plan, held, t, target[t], live, dropped, &latest);
    if (latest >= 0 && r.step < 0) {
      r.step = t;
      r.layer = latest;
    }
    r.n_layers += n;
    r.n_steps += latest >= 0;
  }
  free(held);
  free(dropped);
  free(target);
  free(live);
  if (r.n_layers == 0)
    return false;
  int64_t before = plan->latency_cycles;
  strat_plan_evaluate(p, plan);
  r.cost = plan->latency_cycles - before;
  add_repair(a, r);
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

/* One repair round; false when nothing can change. Prefetch windows go
 * first (they cost no DDR traffic): where the layout broke, or everywhere
 * after a round of local drops that left greedy-size's overshoot no
 * smaller (*overshoot_bytes carries it to the next round; local drops
 * first cost less latency on the zoo nets than dropping everywhere from
 * then on); then a spill, then a re-tiling at the failing step. */
static bool repair(const strat_problem_t *p, strat_plan_t *plan, schedule_alloc_t *a,
                   int64_t *overshoot_bytes) {
  int64_t overshoot = a->solution.peak_bytes - a->problem.capacity_bytes;
  bool everywhere = overshoot >= *overshoot_bytes;
  *overshoot_bytes = everywhere ? INT64_MAX : overshoot;
  if (drop_prefetch_round(p, plan, a, everywhere))
    return true;
  int64_t *live = live_bytes_per_step(&a->problem, a->buffers.n_steps);
  int step = failing_step(a, live);
  free(live);
  schedule_repair_t r = {.fragmentation = layout_failed_by_fragmentation(a)};
  int64_t cost = 0;
  int v = cheapest_spill(p, plan, a, step, &cost);
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

int schedule_alloc_plan(const strat_problem_t *p, strat_plan_t *plan,
                        const schedule_alloc_params_t *ap, schedule_alloc_t *out,
                        sched_diag_t *diag) {
  *out = (schedule_alloc_t){0};
  memalloc_solution_init(&out->solution);
  int64_t overshoot_bytes = INT64_MAX; /* greedy-size's, after the last local round */
  for (;;) {
    rebuild(p, plan, ap, out);
    int rc = allocate_once(ap, out, diag);
    if (rc == SCHED_OK)
      return strat_plan_verify(p, plan, diag);
    if (rc != SCHED_ERR_NOT_FOUND)
      return rc;
    if (plan_repairs(out) >= ap->max_repairs || !repair(p, plan, out, &overshoot_bytes))
      break;
  }
  bool fragmentation = layout_failed_by_fragmentation(out);
  int64_t *live = live_bytes_per_step(&out->problem, out->buffers.n_steps);
  int step = failing_step(out, live);
  free(live);
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
  if (r->kind == SCHEDULE_REPAIR_PREFETCH && r->n_layers > 1)
    snprintf(buf, len,
             "dropped %d prefetch windows over %d steps, the first over step %d ('%s', %s)",
             r->n_layers, r->n_steps, r->step, at, why);
  else if (r->kind == SCHEDULE_REPAIR_PREFETCH)
    snprintf(buf, len, "dropped the prefetch of '%s' over step %d ('%s', %s)", name, r->step, at,
             why);
  else if (r->kind == SCHEDULE_REPAIR_SPILL)
    snprintf(buf, len, "spilled '%s' (%s at step %d, '%s')", name, why, r->step, at);
  else
    snprintf(buf, len, "re-tiled '%s' to a smaller footprint (%s at step %d, '%s')", name, why,
             r->step, at);
  return buf;
}
