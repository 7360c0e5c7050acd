/* barriers.c - the barrier program of a schedule.
 *
 * Requires a finished task graph and its timeline. Produces barriers with
 * physical ids, and may re-simulate the timeline with added dependencies.
 *
 * The approach of openvinotoolkit/npu_compiler (VPURT passes
 * assign-virtual-barriers, barrier optimisation in core/barrier_info, and
 * assign-physical-barriers with its barrier simulator): a virtual barrier
 * per synchronisation need; dependencies implied by an engine's FIFO order
 * or by other dependencies need none and are dropped; consumers waiting for
 * the same producers share one barrier; a barrier with more producers or
 * consumers than the hardware's slots is split; physical ids are handed out
 * by walking the schedule, an id returning to the pool when every consumer
 * of its current use has ended. Here "ended" must hold in every execution,
 * not just the simulated one, so an id is reused only when the previous
 * use's consumers are ordered (by FIFOs and dependencies) before the new
 * use's producers. When no id qualifies, the new use's producers are made
 * to wait for the consumers of the use that ends first (serialisation), the
 * timeline is simulated again and the program rebuilt; the latency this
 * adds is reported.
 *
 * Ordering is decided with vector clocks whose chains are the engines'
 * FIFOs (exact reachability in time linear in tasks x engines); igraph 0.10
 * has no transitive reduction and its transitive closure is quadratic in
 * memory. */
#include "schedule/schedule_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- vector clocks ---- */

void schedule_clock_init(schedule_clock_t *c, int n_tasks, int n_engines) {
  c->n_engines = n_engines;
  size_t n = (size_t)SCHED_MAX(n_tasks, 1) * (size_t)n_engines;
  c->at = sched_xmalloc(n * sizeof *c->at);
  for (size_t i = 0; i < n; i++)
    c->at[i] = -1;
}

void schedule_clock_free(schedule_clock_t *c) {
  free(c->at);
  *c = (schedule_clock_t){0};
}

int *schedule_clock_row(const schedule_clock_t *c, int t) {
  return c->at + (size_t)t * (size_t)c->n_engines;
}

void schedule_clock_join(schedule_clock_t *c, int t, const int *from) {
  int *row = schedule_clock_row(c, t);
  for (int e = 0; e < c->n_engines; e++)
    row[e] = SCHED_MAX(row[e], from[e]);
}

bool schedule_clock_before(const schedule_clock_t *c, const schedule_t *s, int u, int v) {
  return schedule_clock_row(c, v)[s->engine[u]] >= s->queue_pos[u];
}

void schedule_barriers_free(schedule_barriers_t *b) {
  for (int i = 0; b->barriers && i < b->n_barriers; i++) {
    free(b->barriers[i].producers);
    free(b->barriers[i].consumers);
  }
  free(b->barriers);
  free(b->serial_src);
  free(b->serial_dst);
  *b = (schedule_barriers_t){0};
}

/* ---- the dependencies that need a barrier ---- */

typedef struct {
  const schedule_graph_t *g;
  const schedule_t *s;
  schedule_adj_t serial_pred; /* serialisation dependencies, by consumer */
  int *fifo_pred;             /* previous task on the same engine, -1 */
  schedule_clock_t clock;
} order_t;

static void order_init(order_t *o, const schedule_graph_t *g, const schedule_t *s,
                       const schedule_barriers_t *b) {
  int n = g->n_tasks;
  *o = (order_t){.g = g, .s = s};
  schedule_adj_build(n, b->serial_src, b->serial_dst, b->n_serial, false, &o->serial_pred);
  o->fifo_pred = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof(int));
  int *last = sched_xmalloc((size_t)s->n_engines * sizeof(int));
  for (int e = 0; e < s->n_engines; e++)
    last[e] = -1;
  for (int k = 0; k < n; k++) { /* start order is FIFO order on every engine */
    int t = s->order[k];
    o->fifo_pred[t] = last[s->engine[t]];
    last[s->engine[t]] = t;
  }
  free(last);
  schedule_clock_init(&o->clock, n, s->n_engines);
  for (int k = 0; k < n; k++) {
    int t = s->order[k];
    for (int i = g->pred_start[t]; i < g->pred_start[t + 1]; i++)
      schedule_clock_join(&o->clock, t, schedule_clock_row(&o->clock, g->pred[i]));
    for (int i = o->serial_pred.start[t]; i < o->serial_pred.start[t + 1]; i++)
      schedule_clock_join(&o->clock, t, schedule_clock_row(&o->clock, o->serial_pred.list[i]));
    if (o->fifo_pred[t] >= 0)
      schedule_clock_join(&o->clock, t, schedule_clock_row(&o->clock, o->fifo_pred[t]));
    schedule_clock_row(&o->clock, t)[s->engine[t]] = s->queue_pos[t];
  }
}

static void order_free(order_t *o) {
  schedule_adj_free(&o->serial_pred);
  free(o->fifo_pred);
  schedule_clock_free(&o->clock);
}

/* Whether u -> v is implied by another predecessor w of v (w after u). */
static bool implied_by_other(const order_t *o, int u, int v) {
  const schedule_graph_t *g = o->g;
  for (int i = g->pred_start[v]; i < g->pred_start[v + 1]; i++)
    if (g->pred[i] != u && schedule_clock_before(&o->clock, o->s, u, g->pred[i]))
      return true;
  for (int i = o->serial_pred.start[v]; i < o->serial_pred.start[v + 1]; i++)
    if (o->serial_pred.list[i] != u &&
        schedule_clock_before(&o->clock, o->s, u, o->serial_pred.list[i]))
      return true;
  int f = o->fifo_pred[v];
  return f >= 0 && schedule_clock_before(&o->clock, o->s, u, f);
}

/* The producers v needs a barrier for, ascending (out has room for all). */
static int needed_producers(const order_t *o, int v, int *out, schedule_barriers_t *b) {
  const schedule_graph_t *g = o->g;
  int n = 0;
  int total = g->pred_start[v + 1] - g->pred_start[v] + o->serial_pred.start[v + 1] -
              o->serial_pred.start[v];
  for (int k = 0; k < total; k++) {
    int i = g->pred_start[v] + k, u;
    if (i < g->pred_start[v + 1])
      u = g->pred[i];
    else
      u = o->serial_pred.list[o->serial_pred.start[v] + (i - g->pred_start[v + 1])];
    b->deps_total++;
    if (o->s->engine[u] == o->s->engine[v])
      b->deps_fifo++;
    else if (implied_by_other(o, u, v))
      b->deps_transitive++;
    else
      out[n++] = u;
  }
  for (int i = 1; i < n; i++) /* insertion sort: lists are short */
    for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
      int tmp = out[j];
      out[j] = out[j - 1];
      out[j - 1] = tmp;
    }
  int k = 0; /* unique */
  for (int i = 0; i < n; i++)
    if (k == 0 || out[i] != out[k - 1])
      out[k++] = out[i];
  return k;
}

/* ---- virtual barriers ---- */

typedef struct {
  int task;
  int *producers;
  int n;
  int sibling_key[4]; /* layer, slice, role, kind of the task */
} need_t;

static int cmp_need(const void *a, const void *b) {
  const need_t *x = a, *y = b;
  for (int i = 0; i < x->n && i < y->n; i++)
    if (x->producers[i] != y->producers[i])
      return x->producers[i] < y->producers[i] ? -1 : 1;
  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  return (x->task > y->task) - (x->task < y->task);
}

static void barrier_push(schedule_barriers_t *b, const int *prod, int np, const need_t *cons,
                         int nc, const schedule_t *s) {
  sched_grow((void **)&b->barriers, &b->cap_barriers, b->n_barriers + 1, sizeof *b->barriers);
  schedule_barrier_t *r = &b->barriers[b->n_barriers++];
  *r = (schedule_barrier_t){.n_producers = np, .n_consumers = nc, .id = -1};
  r->producers = sched_xmalloc((size_t)np * sizeof(int));
  r->consumers = sched_xmalloc((size_t)nc * sizeof(int));
  memcpy(r->producers, prod, (size_t)np * sizeof(int));
  r->active_cycles = INT64_MAX;
  for (int i = 0; i < np; i++)
    r->active_cycles = SCHED_MIN(r->active_cycles, s->start_cycles[prod[i]]);
  for (int i = 0; i < nc; i++) {
    r->consumers[i] = cons[i].task;
    r->release_cycles = SCHED_MAX(r->release_cycles, s->end_cycles[cons[i].task]);
  }
}

/* One group of consumers with the same producers: one barrier, or one per
 * (producer chunk, consumer chunk) over the slot limit. */
static void group_emit(schedule_barriers_t *b, const need_t *group, int nc, const schedule_t *s) {
  int np = group[0].n, slots = b->slots;
  int before = b->n_barriers;
  for (int p = 0; p < np; p += slots)
    for (int c = 0; c < nc; c += slots)
      barrier_push(b, group[0].producers + p, SCHED_MIN(slots, np - p), group + c,
                   SCHED_MIN(slots, nc - c), s);
  b->split += b->n_barriers - before - 1;
}

static int cmp_barrier(const void *a, const void *b) {
  const schedule_barrier_t *x = a, *y = b;
  if (x->active_cycles != y->active_cycles)
    return x->active_cycles < y->active_cycles ? -1 : 1;
  if (x->release_cycles != y->release_cycles)
    return x->release_cycles < y->release_cycles ? -1 : 1;
  if (x->producers[0] != y->producers[0])
    return x->producers[0] < y->producers[0] ? -1 : 1;
  return (x->consumers[0] > y->consumers[0]) - (x->consumers[0] < y->consumers[0]);
}

/* Sibling consumers (one layer's slice on every cluster) wait for one
 * barrier when the union of their producers adds no ordering for any of
 * them: a producer one sibling omits because its own FIFO implies it is
 * already done for that sibling. One barrier per layer instead of one per
 * cluster keeps long-lived waits (a prefetched weight DMA) to one id. */
static int *ints_union(const int *a, int na, const int *b, int nb, int *n);

static int cmp_sibling(const void *x, const void *y) {
  const need_t *a = x, *b = y;
  int c = memcmp(a->sibling_key, b->sibling_key, sizeof a->sibling_key);
  if (c != 0)
    return c;
  return (a->task > b->task) - (a->task < b->task);
}

static bool union_adds_nothing(const order_t *o, const need_t *run, int n, const int *u, int nu) {
  for (int i = 0; i < n; i++)
    for (int k = 0, j = 0; k < nu; k++) {
      while (j < run[i].n && run[i].producers[j] < u[k])
        j++;
      if (j < run[i].n && run[i].producers[j] == u[k])
        continue;
      if (u[k] == run[i].task || !schedule_clock_before(&o->clock, o->s, u[k], run[i].task))
        return false;
    }
  return true;
}

static void siblings_share(const order_t *o, need_t *need, int n_need, int slots) {
  if (n_need > 1)
    qsort(need, (size_t)n_need, sizeof *need, cmp_sibling);
  for (int i = 0, j; i < n_need; i = j) {
    for (j = i + 1; j < n_need && memcmp(need[i].sibling_key, need[j].sibling_key,
                                         sizeof need[i].sibling_key) == 0;
         j++)
      ;
    if (j - i < 2)
      continue;
    int nu = need[i].n;
    int *u = sched_xmalloc((size_t)nu * sizeof *u);
    memcpy(u, need[i].producers, (size_t)nu * sizeof *u);
    for (int k = i + 1; k < j; k++) {
      int n2;
      int *next = ints_union(u, nu, need[k].producers, need[k].n, &n2);
      free(u);
      u = next;
      nu = n2;
    }
    if (nu <= slots && union_adds_nothing(o, need + i, j - i, u, nu))
      for (int k = i; k < j; k++) {
        free(need[k].producers);
        need[k].producers = sched_xmalloc((size_t)nu * sizeof(int));
        memcpy(need[k].producers, u, (size_t)nu * sizeof(int));
        need[k].n = nu;
      }
    free(u);
  }
}

static void program_build(const order_t *o, schedule_barriers_t *b) {
  const schedule_graph_t *g = o->g;
  int n = g->n_tasks, n_need = 0;
  need_t *need = sched_xcalloc((size_t)SCHED_MAX(n, 1), sizeof *need);
  for (int v = 0; v < n; v++) {
    int deg = g->pred_start[v + 1] - g->pred_start[v] + o->serial_pred.start[v + 1] -
              o->serial_pred.start[v];
    if (deg == 0)
      continue;
    int *prod = sched_xmalloc((size_t)deg * sizeof(int));
    int np = needed_producers(o, v, prod, b);
    if (np == 0) {
      free(prod);
      continue;
    }
    const schedule_task_t *t = &g->tasks[v];
    need[n_need++] = (need_t){.task = v,
                              .producers = prod,
                              .n = np,
                              .sibling_key = {t->layer, t->slice, (int)t->role, (int)t->kind}};
  }
  siblings_share(o, need, n_need, b->slots);
  if (n_need > 1) /* qsort(NULL, 0) is undefined */
    qsort(need, (size_t)n_need, sizeof *need, cmp_need);
  int groups = 0;
  for (int i = 0, j; i < n_need; i = j) {
    for (j = i + 1;
         j < n_need && need[j].n == need[i].n &&
         memcmp(need[j].producers, need[i].producers, (size_t)need[i].n * sizeof(int)) == 0;
         j++)
      ;
    group_emit(b, need + i, j - i, o->s);
    groups++;
  }
  b->merged = n_need - groups;
  if (b->n_barriers > 1)
    qsort(b->barriers, (size_t)b->n_barriers, sizeof *b->barriers, cmp_barrier);
  for (int i = 0; i < n_need; i++)
    free(need[i].producers);
  free(need);
}

/* ---- physical ids ---- */

/* Every consumer of barrier j is ordered before every producer of barrier k. */
static bool ordered_before(const order_t *o, const schedule_barrier_t *j,
                           const schedule_barrier_t *k) {
  for (int c = 0; c < j->n_consumers; c++)
    for (int p = 0; p < k->n_producers; p++)
      if (j->consumers[c] == k->producers[p] ||
          !schedule_clock_before(&o->clock, o->s, j->consumers[c], k->producers[p]))
        return false; /* a consumer of j producing k would hold both ids at once */
  return true;
}

/* Some producer of k is ordered before some consumer of j (waiting would
 * close a cycle). */
static bool would_cycle(const order_t *o, const schedule_barrier_t *j,
                        const schedule_barrier_t *k) {
  for (int c = 0; c < j->n_consumers; c++)
    for (int p = 0; p < k->n_producers; p++)
      if (schedule_clock_before(&o->clock, o->s, k->producers[p], j->consumers[c]))
        return true;
  return false;
}

static void serial_add(schedule_barriers_t *b, int from, int to) {
  int cap = b->cap_serial;
  sched_grow((void **)&b->serial_src, &cap, b->n_serial + 1, sizeof(int));
  sched_grow((void **)&b->serial_dst, &b->cap_serial, b->n_serial + 1, sizeof(int));
  b->serial_src[b->n_serial] = from;
  b->serial_dst[b->n_serial++] = to;
}

/* Pairs (producer of x or y, consumer of x or y) not yet ordered; -1 when
 * one is ordered the wrong way (merging x and y would close a cycle). */
static int merge_cost(const order_t *o, const schedule_barrier_t *x, const schedule_barrier_t *y) {
  const schedule_barrier_t *pb[2] = {x, y};
  int missing = 0;
  for (int a = 0; a < 2; a++)
    for (int c = 0; c < 2; c++)
      for (int i = 0; i < pb[a]->n_producers; i++)
        for (int k = 0; k < pb[c]->n_consumers; k++) {
          int p = pb[a]->producers[i], q = pb[c]->consumers[k];
          if (schedule_clock_before(&o->clock, o->s, q, p))
            return -1;
          missing += !schedule_clock_before(&o->clock, o->s, p, q);
        }
  return missing;
}

static int *ints_union(const int *a, int na, const int *b, int nb, int *n) {
  int *out = sched_xmalloc((size_t)(na + nb) * sizeof *out), i = 0, j = 0;
  *n = 0;
  while (i < na || j < nb) {
    int v = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
    i += i < na && a[i] == v;
    j += j < nb && b[j] == v;
    out[(*n)++] = v;
  }
  return out;
}

/* Folds barrier k into barrier j (k is emptied and dropped later). */
static void barrier_merge(schedule_barrier_t *j, schedule_barrier_t *k) {
  int np, nc;
  int *p = ints_union(j->producers, j->n_producers, k->producers, k->n_producers, &np);
  int *c = ints_union(j->consumers, j->n_consumers, k->consumers, k->n_consumers, &nc);
  free(j->producers);
  free(j->consumers);
  free(k->producers);
  free(k->consumers);
  *j = (schedule_barrier_t){.producers = p,
                            .consumers = c,
                            .n_producers = np,
                            .n_consumers = nc,
                            .id = j->id,
                            .active_cycles = SCHED_MIN(j->active_cycles, k->active_cycles),
                            .release_cycles = SCHED_MAX(j->release_cycles, k->release_cycles)};
  *k = (schedule_barrier_t){.id = -1};
}

/* Makes every consumer of j precede every producer of k, or when that
 * would close a cycle, every producer of either precede every consumer of
 * either (k then shares j's id once re-simulated). */
static void serialise(const order_t *o, schedule_barriers_t *b, const schedule_barrier_t *j,
                      const schedule_barrier_t *k, bool merge) {
  if (!merge) {
    for (int c = 0; c < j->n_consumers; c++)
      for (int p = 0; p < k->n_producers; p++)
        serial_add(b, j->consumers[c], k->producers[p]);
    return;
  }
  const schedule_barrier_t *pb[2] = {j, k};
  for (int a = 0; a < 2; a++)
    for (int c = 0; c < 2; c++)
      for (int i = 0; i < pb[a]->n_producers; i++)
        for (int m = 0; m < pb[c]->n_consumers; m++)
          if (!schedule_clock_before(&o->clock, o->s, pb[a]->producers[i], pb[c]->consumers[m]))
            serial_add(b, pb[a]->producers[i], pb[c]->consumers[m]);
}

/* No id is free for barrier k: merge it into a live barrier when that adds
 * no ordering (true), else add the cheapest ordering (false); *waited: the
 * id whose use k now waits for, -1 when k is to merge with it instead. */
static bool id_conflict(const order_t *o, schedule_barriers_t *b, const int *holder, int k,
                        int *waited, sched_diag_t *diag, int *status) {
  *waited = -1;
  schedule_barrier_t *bk = &b->barriers[k];
  int wait_for = -1, merge_with = -1, merge_missing = 0;
  for (int i = 0; i < b->barriers_max; i++) {
    schedule_barrier_t *bj = &b->barriers[holder[i]];
    int cost = merge_cost(o, bj, bk);
    bool after_prev = holder[b->barriers_max + i] < 0 ||
                      ordered_before(o, &b->barriers[holder[b->barriers_max + i]], bk);
    if (cost == 0 && after_prev && bj->n_producers + bk->n_producers <= b->slots &&
        bj->n_consumers + bk->n_consumers <= b->slots) {
      barrier_merge(bj, bk);
      return true;
    }
    if (cost > 0 && (merge_with < 0 || cost < merge_missing)) {
      merge_with = i;
      merge_missing = cost;
    }
    if (!would_cycle(o, bj, bk) &&
        (wait_for < 0 || bj->release_cycles < b->barriers[holder[wait_for]].release_cycles))
      wait_for = i;
  }
  if (wait_for >= 0 || merge_with >= 0) {
    int i = wait_for >= 0 ? wait_for : merge_with;
    serialise(o, b, &b->barriers[holder[i]], bk, wait_for < 0);
    *waited = wait_for;
    return false;
  }
  *status = sched_diag_set(diag, SCHED_ERR_INFEASIBLE,
                           "barriers: %d physical barriers do not suffice: the barrier after task "
                           "%d can neither wait for nor merge with a live one",
                           b->barriers_max, bk->producers[0]);
  return false;
}

static void drop_merged(schedule_barriers_t *b) {
  int kept = 0;
  for (int i = 0; i < b->n_barriers; i++)
    if (b->barriers[i].n_producers > 0)
      b->barriers[kept++] = b->barriers[i];
  b->merged += b->n_barriers - kept;
  b->n_barriers = kept;
}

/* Assigns ids in activation order. A barrier that finds no id and cannot
 * merge for free gets its serialisation; up to max_conflicts, one that
 * waits for a use takes that use's id and the walk goes on, so that a round
 * finds several conflicts (the caller keeps some of them). ends: where
 * each conflict's serialisation ends in b->serial_src/dst, in the order
 * found. False when something was serialised. */
static bool ids_assign(const order_t *o, schedule_barriers_t *b, int *holder, int max_conflicts,
                       schedule_ids_t *ends, sched_diag_t *diag, int *status) {
  for (int i = 0; i < 2 * b->barriers_max; i++)
    holder[i] = -1; /* [id]: current use, [max + id]: the use before it */
  ends->n = 0;
  for (int k = 0; k < b->n_barriers; k++) {
    schedule_barrier_t *bk = &b->barriers[k];
    int id = -1;
    for (int i = 0; i < b->barriers_max && id < 0; i++)
      if (holder[i] < 0 || ordered_before(o, &b->barriers[holder[i]], bk))
        id = i;
    if (id < 0 && !id_conflict(o, b, holder, k, &id, diag, status)) {
      if (*status != SCHED_OK && ends->n > 0) { /* may be the walk's pretended ids: */
        *status = SCHED_OK;                     /* the next round decides */
        diag->msg[0] = '\0';
        return false;
      }
      schedule_ids_push(ends, b->n_serial);
      if (*status != SCHED_OK || ends->n >= max_conflicts || id < 0)
        return false;
    }
    if (id >= 0) {
      bk->id = id;
      holder[b->barriers_max + id] = holder[id];
      holder[id] = k;
    }
  }
  if (ends->n > 0)
    return false;
  drop_merged(b);
  return true;
}

static void program_clear(schedule_barriers_t *b) {
  for (int i = 0; i < b->n_barriers; i++) {
    free(b->barriers[i].producers);
    free(b->barriers[i].consumers);
  }
  b->n_barriers = 0;
  b->deps_total = b->deps_fifo = b->deps_transitive = b->merged = b->split = 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Most barriers live at one cycle ([active, release) intervals). */
static int peak_live(const schedule_barriers_t *b) {
  int64_t *ev = sched_xmalloc(2 * (size_t)SCHED_MAX(b->n_barriers, 1) * sizeof *ev);
  for (int i = 0; i < b->n_barriers; i++) {
    ev[2 * i] = 2 * b->barriers[i].active_cycles + 1;  /* odd: opens */
    ev[2 * i + 1] = 2 * b->barriers[i].release_cycles; /* even: closes first */
  }
  int n = 2 * b->n_barriers, live = 0, peak = 0;
  qsort(ev, (size_t)n, sizeof *ev, cmp_i64);
  for (int i = 0; i < n; i++) {
    live += (ev[i] & 1) ? 1 : -1;
    peak = SCHED_MAX(peak, live);
  }
  free(ev);
  return peak;
}

static void ids_count(schedule_barriers_t *b) {
  bool *seen = sched_xcalloc((size_t)b->barriers_max, sizeof *seen);
  b->ids_used = 0;
  for (int i = 0; i < b->n_barriers; i++)
    if (!seen[b->barriers[i].id]) {
      seen[b->barriers[i].id] = true;
      b->ids_used++;
    }
  free(seen);
  b->peak_live = peak_live(b);
}

/* One round: program from the current timeline; false when serialised. */
static bool plan_round(const schedule_graph_t *g, const schedule_t *s, schedule_barriers_t *b,
                       int *holder, int max_conflicts, schedule_ids_t *ends, sched_diag_t *diag,
                       int *status) {
  order_t o;
  order_init(&o, g, s, b);
  program_clear(b);
  program_build(&o, b);
  bool done = ids_assign(&o, b, holder, max_conflicts, ends, diag, status);
  order_free(&o);
  return done;
}

/* The timeline with the serialisations so far. A batch's orderings were
 * each checked against the timeline before it, not against each other, so
 * together they may close a cycle (the simulation stalls): then the batch
 * is halved until it does not, down to the round's first serialisation, as
 * an unbatched round would add. */
static int resimulate(const schedule_graph_t *g, const arch_t *arch, schedule_barriers_t *b,
                      int first_serial, schedule_t *next, sched_diag_t *diag) {
  for (;;) {
    sched_diag_t stalled = {{0}};
    int status = schedule_simulate_timeline(g, arch, b->serial_src, b->serial_dst, b->n_serial,
                                            next, &stalled);
    if (status == SCHED_OK || first_serial < 0 || b->n_serial <= first_serial) {
      if (status != SCHED_OK)
        *diag = stalled;
      return status;
    }
    b->n_serial = first_serial + (b->n_serial - first_serial) / 2;
  }
}

/* The rounds: program, serialise, re-simulate into *sched, until a program
 * fits. *cornered: a barrier could neither wait for nor merge with a live
 * one (not the round cap). *serialised: *sched was re-simulated. */
static int plan_rounds(const schedule_graph_t *g, const arch_t *arch,
                       const schedule_params_t *params, bool batch, schedule_t *sched,
                       schedule_barriers_t *out, bool *cornered, bool *serialised,
                       sched_diag_t *diag) {
  int *holder = sched_xmalloc(2 * (size_t)out->barriers_max * sizeof *holder);
  /* each round re-simulates every task: the work cap bounds the time */
  int64_t by_work =
      params->max_serial_work > 0 ? params->max_serial_work / SCHED_MAX(g->n_tasks, 1) : INT32_MAX;
  int status = SCHED_OK,
      max_rounds = (int)SCHED_MAX(SCHED_MIN(params->max_serial_rounds, by_work), 1);
  schedule_ids_t ends = {0};
  bool walk_all = batch; /* the first round counts the conflicts */
  for (out->rounds = 1;; out->rounds++) {
    if (plan_round(g, sched, out, holder, walk_all ? INT32_MAX : 1, &ends, diag, &status) ||
        status != SCHED_OK)
      break;
    if (out->rounds >= max_rounds) {
      status = sched_diag_set(diag, SCHED_ERR_INFEASIBLE,
                              "barriers: %d physical barriers still short after %d "
                              "serialisation rounds over %d tasks (too many tasks in flight "
                              "for the barriers)",
                              out->barriers_max, out->rounds, g->n_tasks);
      break;
    }
    /* A conflict beyond a round's first is found against pretended ids, so
     * a round keeps the fewest that end within an eighth of the round cap:
     * one per round, the exact walk, while the conflicts fit in the rounds
     * left, and more once they do not (or the eighth is spent). */
    int rounds_left = SCHED_MAX(max_rounds / 8 - out->rounds, 1);
    int keep = SCHED_MIN(ends.n, (ends.n + rounds_left - 1) / rounds_left);
    out->n_serial = ends.ids[keep - 1];
    walk_all = batch && (keep > 1 || rounds_left == 1);
    int first_serial = ends.ids[0];
    schedule_t next; /* its figures once the rounds end: they cost as much again */
    status = resimulate(g, arch, out, first_serial, &next, diag);
    if (status != SCHED_OK)
      break;
    schedule_free(sched);
    *sched = next;
    *serialised = true;
  }
  free(holder);
  free(ends.ids);
  *cornered = status == SCHED_ERR_INFEASIBLE && out->rounds < max_rounds;
  return status;
}

static void barriers_init(const arch_t *arch, const schedule_params_t *params,
                          const schedule_t *sched, schedule_barriers_t *out) {
  *out = (schedule_barriers_t){
      .barriers_max = params->barriers > 0 ? params->barriers : arch->barriers,
      .slots = params->barrier_slots > 0 ? params->barrier_slots : arch->barrier_slots,
      .unserialised_latency_cycles = sched->latency_cycles};
}

int schedule_barriers_plan(const schedule_graph_t *g, const arch_t *arch,
                           const schedule_params_t *params, schedule_t *sched,
                           schedule_barriers_t *out, sched_diag_t *diag) {
  barriers_init(arch, params, sched, out);
  if (out->barriers_max < 1 || out->slots < 1)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "barriers: need at least 1 barrier and 1 slot, "
                          "got %d barriers and %d slots",
                          out->barriers_max, out->slots);
  bool batch = !params->serialise_one_per_round, cornered, serialised = false;
  int status = plan_rounds(g, arch, params, batch, sched, out, &cornered, &serialised, diag);
  if (cornered && batch) {
    /* a batch's orderings can corner a barrier that one ordering per round
     * leaves room for: start over from the unserialised timeline that way */
    schedule_barriers_free(out);
    schedule_t fresh;
    status = schedule_simulate_timeline(g, arch, NULL, NULL, 0, &fresh, diag);
    if (status == SCHED_OK) {
      schedule_free(sched);
      *sched = fresh;
      serialised = true;
      barriers_init(arch, params, sched, out);
      status = plan_rounds(g, arch, params, false, sched, out, &cornered, &serialised, diag);
    }
  }
  if (status == SCHED_OK && serialised)
    schedule_fill_figures(g, sched);
  if (status != SCHED_OK) {
    schedule_barriers_free(out);
    return status;
  }
  ids_count(out);
  out->stall_cycles = sched->latency_cycles - out->unserialised_latency_cycles;
  return SCHED_OK;
}
