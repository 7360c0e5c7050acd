/* verify.c - the checkers of a timeline and of a barrier program.
 *
 * schedule_verify reads the timeline only: dependencies, engine kinds and
 * exclusivity, durations. schedule_barriers_verify trusts nothing the
 * barrier planner computed: it replays the program the way the hardware
 * runs it (each engine takes its FIFO in order; a task starts when its FIFO
 * predecessor ended and every barrier it waits on has counted down), which
 * finds deadlocks, and keeps vector clocks along the replay to prove that
 * every dependency is ordered in every execution and that no physical id is
 * reused before its previous use's consumers have all ended. Each names the
 * first violation. */
#include "schedule/schedule_internal.h"

#include <stdlib.h>

static const char *name_of(const schedule_graph_t *g, int t, char *buf, size_t len) {
  return schedule_task_name(g, t, buf, len);
}

static int check_task(const schedule_graph_t *g, const schedule_t *s, int t, sched_diag_t *diag) {
  char a[96];
  const schedule_task_t *k = &g->tasks[t];
  int e = s->engine[t];
  if (e < 0 || e >= s->n_engines)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "task %d '%s': engine %d out of range", t,
                          name_of(g, t, a, sizeof a), e);
  const schedule_engine_t *en = &s->engines[e];
  if (en->kind != k->kind || (k->kind != SCHEDULE_TASK_DMA && en->cluster != k->cluster))
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "task %d '%s' (%s, cluster %d) runs on %s", t,
                          name_of(g, t, a, sizeof a), schedule_task_kind_name(k->kind), k->cluster,
                          en->name);
  int64_t least = k->cycles;
  if (k->kind == SCHEDULE_TASK_DMA && k->ddr) /* its latency may overlap earlier transfers */
    least -= SCHED_MIN(s->ddr_dma_latency_cycles, k->cycles);
  if (s->end_cycles[t] - s->start_cycles[t] < least || s->start_cycles[t] < 0)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                          "task %d '%s' runs [%lld, %lld), shorter than its %lld cycles", t,
                          name_of(g, t, a, sizeof a), (long long)s->start_cycles[t],
                          (long long)s->end_cycles[t], (long long)k->cycles);
  for (int i = g->pred_start[t]; i < g->pred_start[t + 1]; i++) {
    int p = g->pred[i];
    char b[96];
    if (s->start_cycles[t] < s->end_cycles[p])
      return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "task %d '%s' starts at cycle %lld before its dependency %d '%s' ends "
                            "at cycle %lld",
                            t, name_of(g, t, a, sizeof a), (long long)s->start_cycles[t], p,
                            name_of(g, p, b, sizeof b), (long long)s->end_cycles[p]);
  }
  return SCHED_OK;
}

/* Tasks per engine in FIFO order; NULL entries never happen when valid. */
static int fifo_build(const schedule_t *s, int **fifo, int *start, sched_diag_t *diag) {
  for (int e = 0; e <= s->n_engines; e++)
    start[e] = 0;
  for (int e = 0; e < s->n_engines; e++)
    start[e + 1] = start[e] + s->engines[e].n_tasks;
  if (start[s->n_engines] != s->n_tasks)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "engines hold %d tasks, the schedule %d",
                          start[s->n_engines], s->n_tasks);
  *fifo = sched_xmalloc((size_t)SCHED_MAX(s->n_tasks, 1) * sizeof **fifo);
  for (int i = 0; i < s->n_tasks; i++)
    (*fifo)[i] = -1;
  for (int t = 0; t < s->n_tasks; t++) {
    int e = s->engine[t], q = s->queue_pos[t];
    if (e < 0 || e >= s->n_engines || q < 0 || q >= s->engines[e].n_tasks ||
        (*fifo)[start[e] + q] >= 0) {
      free(*fifo);
      return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "task %d: FIFO position %d on engine %d "
                            "is out of range or taken",
                            t, q, e);
    }
    (*fifo)[start[e] + q] = t;
  }
  return SCHED_OK;
}

int schedule_verify(const schedule_graph_t *g, const schedule_t *s, sched_diag_t *diag) {
  if (s->n_tasks != g->n_tasks)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "schedule has %d tasks, graph %d", s->n_tasks,
                          g->n_tasks);
  for (int t = 0; t < g->n_tasks; t++) {
    int rc = check_task(g, s, t, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  int *fifo = NULL, *start = sched_xmalloc(((size_t)s->n_engines + 1) * sizeof *start);
  int rc = fifo_build(s, &fifo, start, diag);
  bool built = rc == SCHED_OK;
  for (int e = 0; rc == SCHED_OK && e < s->n_engines; e++)
    for (int i = start[e] + 1; i < start[e + 1] && rc == SCHED_OK; i++) {
      int prev = fifo[i - 1], t = fifo[i];
      char a[96], b[96];
      if (s->start_cycles[t] < s->end_cycles[prev])
        rc = sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "engine %s: task %d '%s' starts at cycle %lld while task %d '%s' runs "
                            "until %lld",
                            s->engines[e].name, t, name_of(g, t, a, sizeof a),
                            (long long)s->start_cycles[t], prev, name_of(g, prev, b, sizeof b),
                            (long long)s->end_cycles[prev]);
    }
  if (built)
    free(fifo);
  free(start);
  return rc;
}

/* ---- the barrier replay ---- */

static int check_limits(const schedule_barriers_t *b, int n_tasks, sched_diag_t *diag) {
  for (int i = 0; i < b->n_barriers; i++) {
    const schedule_barrier_t *r = &b->barriers[i];
    if (r->id < 0 || r->id >= b->barriers_max)
      return sched_diag_set(diag, SCHED_ERR_INTERNAL, "barrier %d: id %d outside 0..%d", i, r->id,
                            b->barriers_max - 1);
    if (r->n_producers < 1 || r->n_consumers < 1 || r->n_producers > b->slots ||
        r->n_consumers > b->slots)
      return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "barrier %d: %d producers and %d consumers, limits 1..%d", i,
                            r->n_producers, r->n_consumers, b->slots);
    for (int k = 0; k < r->n_producers + r->n_consumers; k++) {
      int t = k < r->n_producers ? r->producers[k] : r->consumers[k - r->n_producers];
      if (t < 0 || t >= n_tasks)
        return sched_diag_set(diag, SCHED_ERR_INTERNAL, "barrier %d: task %d out of range", i, t);
    }
  }
  return SCHED_OK;
}

typedef struct {
  const schedule_graph_t *g;
  const schedule_t *s;
  const schedule_barriers_t *b;
  schedule_adj_t waits, updates; /* task -> barriers */
  int *fifo, *fifo_start, *head;
  int *remaining; /* per barrier: producers not ended */
  int64_t *barrier_end, *engine_end, *end;
  schedule_clock_t clock;         /* per task */
  schedule_clock_t barrier_clock; /* per barrier: join of its producers */
} replay_t;

static void replay_init(replay_t *r, const schedule_graph_t *g, const schedule_t *s,
                        const schedule_barriers_t *b) {
  *r = (replay_t){.g = g, .s = s, .b = b};
  int nb = b->n_barriers, ne = 0, nu = 0;
  for (int i = 0; i < nb; i++) {
    ne += b->barriers[i].n_consumers;
    nu += b->barriers[i].n_producers;
  }
  int *ws = sched_xmalloc((size_t)SCHED_MAX(ne, 1) * sizeof(int)),
      *wd = sched_xmalloc((size_t)SCHED_MAX(ne, 1) * sizeof(int));
  int *us = sched_xmalloc((size_t)SCHED_MAX(nu, 1) * sizeof(int)),
      *ud = sched_xmalloc((size_t)SCHED_MAX(nu, 1) * sizeof(int));
  ne = nu = 0;
  for (int i = 0; i < nb; i++) {
    for (int k = 0; k < b->barriers[i].n_consumers; k++, ne++) {
      ws[ne] = b->barriers[i].consumers[k];
      wd[ne] = i;
    }
    for (int k = 0; k < b->barriers[i].n_producers; k++, nu++) {
      us[nu] = b->barriers[i].producers[k];
      ud[nu] = i;
    }
  }
  schedule_adj_build(g->n_tasks, ws, wd, ne, true, &r->waits);
  schedule_adj_build(g->n_tasks, us, ud, nu, true, &r->updates);
  free(ws);
  free(wd);
  free(us);
  free(ud);
  r->remaining = sched_xcalloc((size_t)SCHED_MAX(nb, 1), sizeof(int));
  r->barrier_end = sched_xcalloc((size_t)SCHED_MAX(nb, 1), sizeof(int64_t));
  for (int i = 0; i < nb; i++)
    r->remaining[i] = b->barriers[i].n_producers;
  r->head = sched_xcalloc((size_t)s->n_engines, sizeof(int));
  r->engine_end = sched_xcalloc((size_t)s->n_engines, sizeof(int64_t));
  r->end = sched_xcalloc((size_t)SCHED_MAX(g->n_tasks, 1), sizeof(int64_t));
  r->fifo_start = sched_xmalloc(((size_t)s->n_engines + 1) * sizeof(int));
  schedule_clock_init(&r->clock, g->n_tasks, s->n_engines);
  schedule_clock_init(&r->barrier_clock, nb, s->n_engines);
}

static void replay_free(replay_t *r) {
  schedule_adj_free(&r->waits);
  schedule_adj_free(&r->updates);
  free(r->fifo);
  free(r->fifo_start);
  free(r->head);
  free(r->remaining);
  free(r->barrier_end);
  free(r->engine_end);
  free(r->end);
  schedule_clock_free(&r->clock);
  schedule_clock_free(&r->barrier_clock);
}

/* Runs task t if its barriers have counted down; returns whether it ran. */
static bool replay_step(replay_t *r, int e) {
  int t = r->fifo[r->fifo_start[e] + r->head[e]];
  int64_t start = r->engine_end[e];
  for (int i = r->waits.start[t]; i < r->waits.start[t + 1]; i++) {
    int bi = r->waits.list[i];
    if (r->remaining[bi] > 0)
      return false;
    start = SCHED_MAX(start, r->barrier_end[bi]);
    schedule_clock_join(&r->clock, t, schedule_clock_row(&r->barrier_clock, bi));
  }
  if (r->head[e] > 0)
    schedule_clock_join(&r->clock, t,
                        schedule_clock_row(&r->clock, r->fifo[r->fifo_start[e] + r->head[e] - 1]));
  schedule_clock_row(&r->clock, t)[e] = r->head[e];
  r->end[t] = start + (r->s->end_cycles[t] - r->s->start_cycles[t]);
  r->engine_end[e] = r->end[t];
  for (int i = r->updates.start[t]; i < r->updates.start[t + 1]; i++) {
    int bi = r->updates.list[i];
    r->remaining[bi]--;
    r->barrier_end[bi] = SCHED_MAX(r->barrier_end[bi], r->end[t]);
    schedule_clock_join(&r->barrier_clock, bi, schedule_clock_row(&r->clock, t));
  }
  r->head[e]++;
  return true;
}

/* Names the stuck task with the lowest id and a producer it waits for. */
static int replay_deadlock(const replay_t *r, sched_diag_t *diag) {
  int t = -1, e = -1;
  for (int k = 0; k < r->s->n_engines; k++)
    if (r->head[k] < r->s->engines[k].n_tasks &&
        (t < 0 || r->fifo[r->fifo_start[k] + r->head[k]] < t)) {
      e = k;
      t = r->fifo[r->fifo_start[k] + r->head[k]];
    }
  if (t >= 0) {
    for (int i = r->waits.start[t]; i < r->waits.start[t + 1]; i++) {
      int bi = r->waits.list[i];
      if (r->remaining[bi] == 0)
        continue;
      const schedule_barrier_t *br = &r->b->barriers[bi];
      char a[96], c[96];
      int p = br->producers[0];
      for (int k = 0; k < br->n_producers; k++)
        if (r->head[r->s->engine[br->producers[k]]] <= r->s->queue_pos[br->producers[k]])
          p = br->producers[k];
      return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "deadlock: task %d '%s' on %s waits for barrier %d (id %d) whose "
                            "producer %d '%s' never runs",
                            t, name_of(r->g, t, a, sizeof a), r->s->engines[e].name, bi, br->id, p,
                            name_of(r->g, p, c, sizeof c));
    }
  }
  return sched_diag_set(diag, SCHED_ERR_INTERNAL, "deadlock in the barrier replay");
}

static int replay_run(replay_t *r, sched_diag_t *diag) {
  int done = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (int e = 0; e < r->s->n_engines; e++)
      while (r->head[e] < r->s->engines[e].n_tasks && replay_step(r, e)) {
        progress = true;
        done++;
      }
  }
  return done == r->g->n_tasks ? SCHED_OK : replay_deadlock(r, diag);
}

static bool replay_before(const replay_t *r, int u, int v) {
  return schedule_clock_row(&r->clock, v)[r->s->engine[u]] >= r->s->queue_pos[u];
}

static int check_dep(const replay_t *r, int u, int v, const char *what, sched_diag_t *diag) {
  if (replay_before(r, u, v))
    return SCHED_OK;
  char a[96], c[96];
  return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                        "%s dependency %d '%s' -> %d '%s' is not enforced: no barrier or FIFO "
                        "order makes the consumer wait",
                        what, u, name_of(r->g, u, a, sizeof a), v, name_of(r->g, v, c, sizeof c));
}

static int check_deps(const replay_t *r, sched_diag_t *diag) {
  const schedule_graph_t *g = r->g;
  for (int v = 0; v < g->n_tasks; v++)
    for (int i = g->pred_start[v]; i < g->pred_start[v + 1]; i++)
      if (check_dep(r, g->pred[i], v, "data", diag) != SCHED_OK)
        return SCHED_ERR_INTERNAL;
  for (int i = 0; i < r->b->n_serial; i++)
    if (check_dep(r, r->b->serial_src[i], r->b->serial_dst[i], "serialisation", diag) != SCHED_OK)
      return SCHED_ERR_INTERNAL;
  return SCHED_OK;
}

/* Uses of one id follow program order; each must start after the previous
 * use's consumers all ended, in every execution. */
static int check_reuse(const replay_t *r, sched_diag_t *diag) {
  const schedule_barriers_t *b = r->b;
  int *last = sched_xmalloc((size_t)b->barriers_max * sizeof *last);
  for (int i = 0; i < b->barriers_max; i++)
    last[i] = -1;
  int rc = SCHED_OK;
  for (int k = 0; k < b->n_barriers && rc == SCHED_OK; k++) {
    const schedule_barrier_t *bk = &b->barriers[k];
    int j = last[bk->id];
    last[bk->id] = k;
    for (int c = 0; j >= 0 && c < b->barriers[j].n_consumers && rc == SCHED_OK; c++)
      for (int p = 0; p < bk->n_producers && rc == SCHED_OK; p++) {
        int cu = b->barriers[j].consumers[c], pr = bk->producers[p];
        char a[96], d[96];
        if (cu == pr || !replay_before(r, cu, pr))
          rc = sched_diag_set(diag, SCHED_ERR_INTERNAL,
                              "barrier %d reuses id %d while barrier %d is live: its consumer %d "
                              "'%s' is not ordered before producer %d '%s'",
                              k, bk->id, j, cu, name_of(r->g, cu, a, sizeof a), pr,
                              name_of(r->g, pr, d, sizeof d));
      }
  }
  free(last);
  return rc;
}

int schedule_barriers_verify(const schedule_graph_t *g, const schedule_t *s,
                             const schedule_barriers_t *b, sched_diag_t *diag) {
  if (s->n_tasks != g->n_tasks)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "schedule has %d tasks, graph %d", s->n_tasks,
                          g->n_tasks);
  int rc = check_limits(b, g->n_tasks, diag);
  if (rc != SCHED_OK)
    return rc;
  replay_t r;
  replay_init(&r, g, s, b);
  rc = fifo_build(s, &r.fifo, r.fifo_start, diag);
  if (rc != SCHED_OK)
    r.fifo = NULL;
  if (rc == SCHED_OK)
    rc = replay_run(&r, diag);
  if (rc == SCHED_OK)
    rc = check_deps(&r, diag);
  if (rc == SCHED_OK)
    rc = check_reuse(&r, diag);
  replay_free(&r);
  return rc;
}
