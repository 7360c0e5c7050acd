/* simulate.c - event-driven list scheduling of a task graph on the engines.
 *
 * Requires a finished task graph. Produces a timeline (schedule_t).
 *
 * The classic list scheduler (Graham; as in the NPU compilers' "feasible
 * schedule generator" of openvinotoolkit/npu_compiler, which releases a task
 * when its producers are done and starts it when its engine is free): time
 * advances from one task end to the next; at each event the ready tasks are
 * visited in priority order (task id, which is layer order: prefetch is
 * expressed by dependencies, tasks.c) and each starts on the lowest free
 * engine of its kind - any DMA port, its cluster's DPU, a SHAVE of its
 * cluster. DDR is one shared channel carrying one transfer at a time. A
 * DMA engine keeps the reads of its queued descriptors outstanding, so a
 * DDR DMA's latency runs from its release, overlapping the transfers ahead
 * of it (on any port), and only its transfer waits for the channel; it
 * queues on the port whose work ends first and shows there from when that
 * port is free (the strategies' plan clock models the same). Each task records the
 * task whose end let it start (a producer, its engine's previous task, or
 * the DMA holding DDR); following those links back from the last task gives
 * the critical path of the schedule. */
#include "schedule/schedule_internal.h"

#include <stdlib.h>
#include <string.h>

void schedule_adj_build(int n_tasks, const int *src, const int *dst, int n, bool by_src,
                        schedule_adj_t *out) {
  const int *key = by_src ? src : dst, *val = by_src ? dst : src;
  out->start = sched_xcalloc((size_t)n_tasks + 1, sizeof(int));
  out->list = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof(int));
  for (int e = 0; e < n; e++)
    out->start[key[e] + 1]++;
  for (int t = 0; t < n_tasks; t++)
    out->start[t + 1] += out->start[t];
  int *fill = sched_xcalloc((size_t)n_tasks + 1, sizeof(int));
  for (int e = 0; e < n; e++)
    out->list[out->start[key[e]] + fill[key[e]]++] = val[e];
  free(fill);
}

void schedule_adj_free(schedule_adj_t *a) {
  free(a->start);
  free(a->list);
  *a = (schedule_adj_t){0};
}

void schedule_free(schedule_t *s) {
  free(s->start_cycles);
  free(s->end_cycles);
  free(s->engine);
  free(s->queue_pos);
  free(s->cause);
  free(s->order);
  free(s->engines);
  free(s->critical_path);
  free(s->layers);
  *s = (schedule_t){0};
}

/* ---- engines ---- */

static void engines_init(const arch_t *arch, schedule_t *s) {
  int ports = SCHED_MAX(arch->dma_ports, 1), tiles = SCHED_MAX(arch->tiles, 1);
  int spc = SCHED_MAX(arch->shaves / tiles, 1);
  /* a CPU track where ops may fall back: archs with operator rules */
  bool cpu = arch->rules.n_rules > 0 || arch->rules.npu_ops != ARCH_OP_CLASSES_ALL;
  s->n_engines = ports + tiles + tiles * spc + cpu;
  s->engines = sched_xcalloc((size_t)s->n_engines, sizeof *s->engines);
  for (int i = 0; i < s->n_engines; i++) {
    schedule_engine_t *e = &s->engines[i];
    if (i < ports) {
      *e = (schedule_engine_t){.kind = SCHEDULE_TASK_DMA, .index = i, .cluster = -1};
      snprintf(e->name, sizeof e->name, "DMA%d", i);
    } else if (i < ports + tiles) {
      *e = (schedule_engine_t){.kind = SCHEDULE_TASK_DPU, .index = 0, .cluster = i - ports};
      snprintf(e->name, sizeof e->name, "DPU%d", i - ports);
    } else if (i == s->n_engines - 1 && cpu) {
      *e = (schedule_engine_t){.kind = SCHEDULE_TASK_CPU, .index = 0, .cluster = -1};
      snprintf(e->name, sizeof e->name, "CPU");
    } else {
      int k = i - ports - tiles;
      *e = (schedule_engine_t){.kind = SCHEDULE_TASK_SHAVE, .index = k % spc, .cluster = k / spc};
      snprintf(e->name, sizeof e->name, "SHAVE%d.%d", k / spc, k % spc);
    }
  }
}

void schedule_engine_range(const schedule_t *s, const schedule_task_t *t, int *first, int *count) {
  *first = -1;
  *count = 0;
  for (int i = 0; i < s->n_engines; i++) {
    const schedule_engine_t *e = &s->engines[i];
    if (e->kind != t->kind || (t->kind != SCHEDULE_TASK_DMA && e->cluster != t->cluster))
      continue;
    if (*first < 0)
      *first = i;
    (*count)++;
  }
}

/* ---- the event loop ---- */

typedef struct {
  const schedule_graph_t *g;
  schedule_adj_t extra_succ;
  int *waiting;           /* unfinished predecessors */
  int *released_by;       /* the predecessor that finished last */
  int *ready, n_ready;    /* ascending task ids */
  int *heap, n_heap;      /* running tasks, min (end, id) */
  int64_t *engine_free;   /* cycle each engine is free from */
  int *engine_last;       /* its last task */
  int64_t ddr_free;       /* cycle the DDR channel is free from */
  int ddr_last;           /* the DMA holding it last */
  int64_t latency_cycles; /* DDR DMA latency */
  int n_started;
  int32_t *rank_left;            /* per DMA rank: its DMAs not started yet */
  int32_t n_ranks, open_rank;    /* the lowest rank with a DMA not started */
  int *first_engine, *n_engines; /* per task */
  schedule_t *s;
} sim_t;

static bool heap_less(const sim_t *m, int a, int b) {
  const int64_t *end = m->s->end_cycles;
  return end[a] != end[b] ? end[a] < end[b] : a < b;
}

static void heap_push(sim_t *m, int task) {
  int i = m->n_heap++;
  m->heap[i] = task;
  while (i > 0 && heap_less(m, m->heap[i], m->heap[(i - 1) / 2])) {
    int p = (i - 1) / 2, tmp = m->heap[p];
    m->heap[p] = m->heap[i];
    m->heap[i] = tmp;
    i = p;
  }
}

static int heap_pop(sim_t *m) {
  int top = m->heap[0];
  m->heap[0] = m->heap[--m->n_heap];
  for (int i = 0;;) {
    int l = 2 * i + 1, r = l + 1, best = i;
    if (l < m->n_heap && heap_less(m, m->heap[l], m->heap[best]))
      best = l;
    if (r < m->n_heap && heap_less(m, m->heap[r], m->heap[best]))
      best = r;
    if (best == i)
      break;
    int tmp = m->heap[best];
    m->heap[best] = m->heap[i];
    m->heap[i] = tmp;
    i = best;
  }
  return top;
}

static void ready_insert(sim_t *m, int task) {
  int i = m->n_ready++;
  while (i > 0 && m->ready[i - 1] > task) {
    m->ready[i] = m->ready[i - 1];
    i--;
  }
  m->ready[i] = task;
}

int64_t schedule_dma_latency_cycles(const arch_t *arch) {
  return (int64_t)(arch->dma_latency_ns * arch->dpu_clock_mhz / 1000.0);
}

/* Starts `task` on engine `e` at cycle t. */
static bool queued_dma(const schedule_task_t *k) {
  return k->kind == SCHEDULE_TASK_DMA && k->ddr && k->cycles > 0;
}

static void task_start(sim_t *m, int task, int e, int64_t t) {
  schedule_t *s = m->s;
  const schedule_task_t *k = &m->g->tasks[task];
  int64_t end = t + k->cycles, shown = t;
  int rb = m->released_by[task];
  s->cause[task] = rb >= 0 && s->end_cycles[rb] == t ? rb : m->engine_last[e];
  if (t == 0 && rb < 0 && m->engine_last[e] < 0)
    s->cause[task] = -1;
  if (queued_dma(k)) {
    int64_t lat = SCHED_MIN(m->latency_cycles, k->cycles);
    int64_t xfer = SCHED_MAX(t + lat, m->ddr_free);
    if (xfer > t + lat)
      s->cause[task] = m->ddr_last;
    end = xfer + (k->cycles - lat);
    m->ddr_free = end;
    m->ddr_last = task;
    shown = SCHED_MAX(t, m->engine_free[e]); /* its latency hidden behind the port's work */
  }
  s->start_cycles[task] = shown;
  s->end_cycles[task] = end;
  s->engine[task] = e;
  s->queue_pos[task] = s->engines[e].n_tasks++;
  s->order[m->n_started++] = task;
  s->engines[e].busy_cycles += end - shown;
  m->engine_free[e] = end;
  m->engine_last[e] = task;
  heap_push(m, task);
}

/* The lowest DMA rank among ready tasks not started (INT32_MAX: none). */
static int32_t lowest_ready_rank(const sim_t *m) {
  int32_t low = INT32_MAX;
  for (int i = 0; i < m->n_ready; i++) {
    int32_t rank = m->g->tasks[m->ready[i]].dma_rank;
    if (rank >= 0 && rank < low)
      low = rank;
  }
  return low;
}

static void rank_started(sim_t *m, int task) {
  int32_t rank = m->g->tasks[task].dma_rank;
  if (rank < 0)
    return;
  m->rank_left[rank]--;
  while (m->open_rank < m->n_ranks && m->rank_left[m->open_rank] == 0)
    m->open_rank++;
}

/* The engine `task` starts on at cycle t, or -1: the lowest free one of
 * its kind; a queued DDR DMA with every port busy queues on the port whose
 * work ends first. */
static int free_engine(const sim_t *m, int task, int64_t t) {
  int first = m->first_engine[task], e = -1;
  for (int k = 0; k < m->n_engines[task] && e < 0; k++)
    if (m->engine_free[first + k] <= t)
      e = first + k;
  if (e >= 0 || !queued_dma(&m->g->tasks[task]))
    return e;
  e = first;
  for (int k = 1; k < m->n_engines[task]; k++)
    if (m->engine_free[first + k] < m->engine_free[e])
      e = first + k;
  return e;
}

/* Starts the ready tasks that have a free engine, in priority order. DDR
 * DMAs keep the DMA program order: one starts only after every DMA of a
 * lower rank has started. `relaxed`: only no ready DMA of a lower rank may
 * wait - for when dependencies added later (barrier serialisation) leave
 * the strict order nothing to run. */
static void dispatch(sim_t *m, int64_t t, bool relaxed) {
  for (bool started = true; started;) {
    started = false;
    int32_t low = relaxed ? lowest_ready_rank(m) : m->open_rank;
    int kept = 0;
    for (int i = 0; i < m->n_ready; i++) {
      int task = m->ready[i], e = -1;
      int32_t rank = m->g->tasks[task].dma_rank;
      if (rank < 0 || rank <= low)
        e = free_engine(m, task, t);
      if (e >= 0) {
        task_start(m, task, e, t);
        rank_started(m, task);
        started |= rank >= 0;
      } else {
        m->ready[kept++] = task;
      }
    }
    m->n_ready = kept;
  }
}

static void release(sim_t *m, int task, int succ) {
  if (m->released_by[succ] < 0 || m->s->end_cycles[task] >= m->s->end_cycles[m->released_by[succ]])
    m->released_by[succ] = task;
  if (--m->waiting[succ] == 0)
    ready_insert(m, succ);
}

static void finish(sim_t *m, int task) {
  const schedule_graph_t *g = m->g;
  for (int i = g->succ_start[task]; i < g->succ_start[task + 1]; i++)
    release(m, task, g->succ[i]);
  for (int i = m->extra_succ.start[task]; i < m->extra_succ.start[task + 1]; i++)
    release(m, task, m->extra_succ.list[i]);
}

static int run_events(sim_t *m, sched_diag_t *diag) {
  int done = 0, n = m->g->n_tasks;
  int64_t t = 0;
  while (done < n) {
    dispatch(m, t, false);
    if (m->n_heap == 0) /* the strict DMA order waits on a DMA that waits on it */
      dispatch(m, t, true);
    if (m->n_heap == 0)
      return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "simulation stalled at cycle %lld with %d of %d tasks done (a cycle "
                            "in the dependencies, or a task with no engine)",
                            (long long)t, done, n);
    t = m->s->end_cycles[m->heap[0]];
    while (m->n_heap > 0 && m->s->end_cycles[m->heap[0]] == t) {
      finish(m, heap_pop(m));
      done++;
    }
  }
  return SCHED_OK;
}

static void sim_init(sim_t *m, const schedule_graph_t *g, const arch_t *arch, const int *xs,
                     const int *xd, int nx, schedule_t *s) {
  int n = g->n_tasks, sz = SCHED_MAX(n, 1);
  *m = (sim_t){.g = g, .s = s, .ddr_last = -1};
  m->latency_cycles = schedule_dma_latency_cycles(arch);
  schedule_adj_build(n, xs, xd, nx, true, &m->extra_succ);
  m->waiting = sched_xcalloc((size_t)sz, sizeof(int));
  m->released_by = sched_xmalloc((size_t)sz * sizeof(int));
  m->ready = sched_xmalloc((size_t)sz * sizeof(int));
  m->heap = sched_xmalloc((size_t)sz * sizeof(int));
  m->first_engine = sched_xmalloc((size_t)sz * sizeof(int));
  m->n_engines = sched_xmalloc((size_t)sz * sizeof(int));
  m->engine_free = sched_xcalloc((size_t)s->n_engines, sizeof(int64_t));
  m->engine_last = sched_xmalloc((size_t)s->n_engines * sizeof(int));
  for (int e = 0; e < s->n_engines; e++)
    m->engine_last[e] = -1;
  for (int t = 0; t < n; t++) {
    m->released_by[t] = -1;
    m->waiting[t] = g->pred_start[t + 1] - g->pred_start[t];
    schedule_engine_range(s, &g->tasks[t], &m->first_engine[t], &m->n_engines[t]);
  }
  for (int e = 0; e < nx; e++)
    m->waiting[xd[e]]++;
  for (int t = 0; t < n; t++)
    m->n_ranks = SCHED_MAX(m->n_ranks, g->tasks[t].dma_rank + 1);
  m->rank_left = sched_xcalloc((size_t)SCHED_MAX(m->n_ranks, 1), sizeof *m->rank_left);
  for (int t = 0; t < n; t++)
    if (g->tasks[t].dma_rank >= 0)
      m->rank_left[g->tasks[t].dma_rank]++;
  while (m->open_rank < m->n_ranks && m->rank_left[m->open_rank] == 0)
    m->open_rank++;
  for (int t = 0; t < n; t++)
    if (m->waiting[t] == 0)
      m->ready[m->n_ready++] = t;
}

static void sim_free(sim_t *m) {
  free(m->rank_left);
  schedule_adj_free(&m->extra_succ);
  free(m->waiting);
  free(m->released_by);
  free(m->ready);
  free(m->heap);
  free(m->first_engine);
  free(m->n_engines);
  free(m->engine_free);
  free(m->engine_last);
}

/* ---- figures of a timeline ---- */

typedef struct {
  int64_t s, e;
} span_t;

static int cmp_span(const void *a, const void *b) {
  const span_t *x = a, *y = b;
  return x->s != y->s ? (x->s > y->s) - (x->s < y->s) : (x->e > y->e) - (x->e < y->e);
}

/* Sorts and merges spans in place into disjoint ones; returns how many. */
static int spans_merge(span_t *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_span);
  int k = 0;
  for (int i = 0; i < n; i++) {
    if (v[i].e <= v[i].s)
      continue;
    if (k > 0 && v[i].s <= v[k - 1].e)
      v[k - 1].e = SCHED_MAX(v[k - 1].e, v[i].e);
    else
      v[k++] = v[i];
  }
  return k;
}

static int64_t spans_length(const span_t *v, int n) {
  int64_t len = 0;
  for (int i = 0; i < n; i++)
    len += v[i].e - v[i].s;
  return len;
}

/* Length of the intersection of two merged span lists. */
static int64_t spans_overlap(const span_t *a, int na, const span_t *b, int nb) {
  int64_t len = 0;
  for (int i = 0, j = 0; i < na && j < nb;) {
    int64_t lo = SCHED_MAX(a[i].s, b[j].s), hi = SCHED_MIN(a[i].e, b[j].e);
    len += SCHED_MAX(hi - lo, 0);
    if (a[i].e < b[j].e)
      i++;
    else
      j++;
  }
  return len;
}

static bool is_compute(const schedule_task_t *t) { return t->kind != SCHEDULE_TASK_DMA; }

/* DMA spans, compute spans and their overlap of a set of tasks. */
static void spans_of(const schedule_t *s, const schedule_graph_t *g, const int *tasks, int n,
                     span_t *scratch, int64_t *dma, int64_t *compute, int64_t *overlap) {
  int nd = 0, nc = 0;
  span_t *d = scratch, *c = scratch + n;
  for (int i = 0; i < n; i++) {
    span_t sp = {s->start_cycles[tasks[i]], s->end_cycles[tasks[i]]};
    if (is_compute(&g->tasks[tasks[i]]))
      c[nc++] = sp;
    else
      d[nd++] = sp;
  }
  nd = spans_merge(d, nd);
  nc = spans_merge(c, nc);
  *dma = spans_length(d, nd);
  *compute = spans_length(c, nc);
  *overlap = spans_overlap(d, nd, c, nc);
}

static const char *layer_bound(const schedule_graph_t *g, const int *tasks, int n,
                               const schedule_layer_time_t *lt) {
  bool shave = false;
  for (int i = 0; i < n; i++)
    shave |= g->tasks[tasks[i]].kind == SCHEDULE_TASK_SHAVE;
  if (lt->compute_cycles == 0 && lt->dma_cycles == 0)
    return "-";
  if (lt->stall_cycles > SCHED_MAX(lt->compute_cycles, lt->dma_cycles))
    return "waiting";
  if (lt->compute_cycles >= lt->dma_cycles)
    return shave ? "shave" : "compute";
  return "dma";
}

static void layer_time(const schedule_t *s, const schedule_graph_t *g, const int *tasks, int n,
                       span_t *scratch, schedule_layer_time_t *lt) {
  *lt = (schedule_layer_time_t){.bound = "-"};
  if (n == 0)
    return;
  int64_t first_any = INT64_MAX, first_compute = INT64_MAX, end = 0;
  for (int i = 0; i < n; i++) {
    first_any = SCHED_MIN(first_any, s->start_cycles[tasks[i]]);
    if (is_compute(&g->tasks[tasks[i]]))
      first_compute = SCHED_MIN(first_compute, s->start_cycles[tasks[i]]);
    end = SCHED_MAX(end, s->end_cycles[tasks[i]]);
  }
  lt->start_cycles = first_compute < INT64_MAX ? first_compute : first_any;
  lt->end_cycles = end;
  spans_of(s, g, tasks, n, scratch, &lt->dma_cycles, &lt->compute_cycles, &lt->overlap_cycles);
  int k = 0; /* busy time inside the span */
  for (int i = 0; i < n; i++)
    scratch[k++] =
        (span_t){SCHED_MAX(s->start_cycles[tasks[i]], lt->start_cycles), s->end_cycles[tasks[i]]};
  k = spans_merge(scratch, k);
  lt->stall_cycles = (end - lt->start_cycles) - spans_length(scratch, k);
  lt->bound = layer_bound(g, tasks, n, lt);
}

static void layers_fill(schedule_t *s, const schedule_graph_t *g) {
  int n = g->n_tasks, nl = g->n_layers;
  int *start = sched_xcalloc((size_t)nl + 1, sizeof(int));
  int *by_layer = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof(int));
  int *fill = sched_xcalloc((size_t)nl + 1, sizeof(int));
  for (int t = 0; t < n; t++)
    start[g->tasks[t].layer + 1]++;
  for (int l = 0; l < nl; l++)
    start[l + 1] += start[l];
  for (int t = 0; t < n; t++)
    by_layer[start[g->tasks[t].layer] + fill[g->tasks[t].layer]++] = t;
  span_t *scratch = sched_xmalloc(2 * (size_t)SCHED_MAX(n, 1) * sizeof *scratch);
  s->n_layers = nl;
  s->layers = sched_xcalloc((size_t)SCHED_MAX(nl, 1), sizeof *s->layers);
  for (int l = 0; l < nl; l++)
    layer_time(s, g, by_layer + start[l], start[l + 1] - start[l], scratch, &s->layers[l]);
  int *all = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof(int));
  for (int t = 0; t < n; t++)
    all[t] = t;
  spans_of(s, g, all, n, scratch, &s->dma_cycles, &s->compute_cycles, &s->overlap_cycles);
  free(all);
  free(scratch);
  free(fill);
  free(by_layer);
  free(start);
}

static void critical_path_fill(schedule_t *s) {
  int last = -1;
  for (int t = 0; t < s->n_tasks; t++)
    if (last < 0 || s->end_cycles[t] > s->end_cycles[last])
      last = t;
  s->n_critical_path = 0;
  for (int t = last; t >= 0; t = s->cause[t])
    s->n_critical_path++;
  s->critical_path = sched_xmalloc((size_t)SCHED_MAX(s->n_critical_path, 1) * sizeof(int));
  int k = s->n_critical_path;
  for (int t = last; t >= 0; t = s->cause[t])
    s->critical_path[--k] = t;
}

int schedule_simulate_timeline(const schedule_graph_t *g, const arch_t *arch, const int *extra_src,
                               const int *extra_dst, int n_extra, schedule_t *out,
                               sched_diag_t *diag) {
  int n = g->n_tasks, sz = SCHED_MAX(n, 1);
  *out = (schedule_t){.n_tasks = n, .ddr_dma_latency_cycles = schedule_dma_latency_cycles(arch)};
  out->start_cycles = sched_xcalloc((size_t)sz, sizeof(int64_t));
  out->end_cycles = sched_xcalloc((size_t)sz, sizeof(int64_t));
  out->engine = sched_xcalloc((size_t)sz, sizeof(int));
  out->queue_pos = sched_xcalloc((size_t)sz, sizeof(int));
  out->cause = sched_xcalloc((size_t)sz, sizeof(int));
  out->order = sched_xcalloc((size_t)sz, sizeof(int));
  engines_init(arch, out);
  sim_t m;
  sim_init(&m, g, arch, extra_src, extra_dst, n_extra, out);
  int rc = run_events(&m, diag);
  sim_free(&m);
  if (rc != SCHED_OK) {
    schedule_free(out);
    return rc;
  }
  for (int t = 0; t < n; t++)
    out->latency_cycles = SCHED_MAX(out->latency_cycles, out->end_cycles[t]);
  return SCHED_OK;
}

void schedule_fill_figures(const schedule_graph_t *g, schedule_t *s) {
  layers_fill(s, g);
  critical_path_fill(s);
}

int schedule_simulate_extra(const schedule_graph_t *g, const arch_t *arch, const int *extra_src,
                            const int *extra_dst, int n_extra, schedule_t *out,
                            sched_diag_t *diag) {
  int rc = schedule_simulate_timeline(g, arch, extra_src, extra_dst, n_extra, out, diag);
  if (rc == SCHED_OK)
    schedule_fill_figures(g, out);
  return rc;
}

int schedule_simulate(const schedule_graph_t *g, const arch_t *arch, schedule_t *out,
                      sched_diag_t *diag) {
  return schedule_simulate_extra(g, arch, NULL, NULL, 0, out, diag);
}
