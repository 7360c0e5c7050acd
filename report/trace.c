/* trace.c - a schedule as Chrome trace event JSON, written for Perfetto
 * (ui.perfetto.dev) and chrome://tracing alike:
 *
 * - one thread track per DMA port, DPU and SHAVE, a complete ("X") event per
 *   task; layer tracks with one slice per layer (a second track only where
 *   two layers' spans overlap, so slices on a track never cross);
 * - timestamps are whole nanoseconds (written as microseconds with three
 *   decimals, the format's unit): start and end are each rounded once and
 *   the duration is their difference, so tasks that touch in cycles touch
 *   in the file instead of overlapping by a rounding;
 * - per barrier an instant on a "barriers" track, and a flow arrow from its
 *   last producer to each consumer whose ends sit inside those slices (the
 *   middle of each), which is what binds a flow to a slice in both viewers;
 * - counter tracks: CMX bytes in use per tile (from the allocation, per
 *   layer step) and the DDR bandwidth achieved, averaged over fixed
 *   windows (the window is in the counter's name). */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
  const report_trace_input_t *in;
  cJSON *events;
  int pid;
} trace_t;

static int64_t to_ns(const arch_t *arch, int64_t cycles) {
  return llround(arch_cycles_to_us(arch, cycles) * 1e3);
}

/* Times go in as raw text: exact nanoseconds, and no cJSON float printing
 * (which dominates a 10^4-task trace). */
static void add_ns(cJSON *obj, const char *key, int64_t ns) {
  char buf[32];
  snprintf(buf, sizeof buf, "%s%lld.%03lld", ns < 0 ? "-" : "", llabs(ns) / 1000, llabs(ns) % 1000);
  cJSON_AddRawToObject(obj, key, buf);
}

static cJSON *event(trace_t *t, const char *name, const char *ph, int tid) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "name", name);
  cJSON_AddStringToObject(e, "ph", ph);
  cJSON_AddNumberToObject(e, "pid", t->pid);
  cJSON_AddNumberToObject(e, "tid", tid);
  cJSON_AddItemToArray(t->events, e);
  return e;
}

static void name_track(trace_t *t, int tid, const char *name, int sort_index) {
  cJSON *e = event(t, "thread_name", "M", tid);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "args"), "name", name);
  e = event(t, "thread_sort_index", "M", tid);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(e, "args"), "sort_index", sort_index);
}

/* Track ids: engines 1..E, barriers E+1, layer tracks E+2.. */
static int barrier_tid(const schedule_t *s) { return s->n_engines + 1; }
static int layer_tid(const schedule_t *s, int k) { return s->n_engines + 2 + k; }

static void add_task(trace_t *t, int task) {
  const schedule_graph_t *g = t->in->g;
  const schedule_t *s = t->in->s;
  const schedule_task_t *k = &g->tasks[task];
  char name[160];
  int64_t start = to_ns(t->in->arch, s->start_cycles[task]);
  int64_t end = to_ns(t->in->arch, s->end_cycles[task]);
  cJSON *e = event(t, schedule_task_name(g, task, name, sizeof name), "X", s->engine[task] + 1);
  cJSON_AddStringToObject(e, "cat", schedule_task_role_name(k->role));
  add_ns(e, "ts", start);
  add_ns(e, "dur", end - start);
  cJSON *args = cJSON_AddObjectToObject(e, "args");
  cJSON_AddStringToObject(args, "layer", g->layer_names[k->layer]);
  cJSON_AddNumberToObject(args, "task", task);
  cJSON_AddNumberToObject(args, "slice", k->slice);
  cJSON_AddNumberToObject(args, "cycles", (double)(s->end_cycles[task] - s->start_cycles[task]));
  if (k->kind == SCHEDULE_TASK_DMA)
    cJSON_AddNumberToObject(args, "bytes", (double)k->bytes);
  if (k->spill)
    cJSON_AddBoolToObject(args, "spill", true);
}

/* The middle of a task's slice, where its flow ends bind. */
static int64_t mid_ns(const trace_t *t, int task) {
  int64_t start = to_ns(t->in->arch, t->in->s->start_cycles[task]);
  int64_t end = to_ns(t->in->arch, t->in->s->end_cycles[task]);
  return start + (end - start) / 2;
}

static void add_flow(trace_t *t, const char *ph, int flow_id, int task) {
  cJSON *e = event(t, "barrier", ph, t->in->s->engine[task] + 1);
  cJSON_AddStringToObject(e, "cat", "barrier");
  cJSON_AddNumberToObject(e, "id", flow_id);
  add_ns(e, "ts", mid_ns(t, task));
  cJSON_AddStringToObject(e, "bp", "e"); /* the enclosing slice */
}

static void add_barrier(trace_t *t, int i, int *flow_id) {
  const schedule_t *s = t->in->s;
  const schedule_barrier_t *r = &t->in->b->barriers[i];
  int last = r->producers[0];
  for (int k = 1; k < r->n_producers; k++)
    if (s->end_cycles[r->producers[k]] > s->end_cycles[last])
      last = r->producers[k];
  char name[48];
  snprintf(name, sizeof name, "barrier %d (id %d)", i, r->id);
  cJSON *e = event(t, name, "i", barrier_tid(s));
  cJSON_AddStringToObject(e, "cat", "barrier");
  cJSON_AddStringToObject(e, "s", "t");
  add_ns(e, "ts", to_ns(t->in->arch, s->end_cycles[last]));
  cJSON *args = cJSON_AddObjectToObject(e, "args");
  cJSON_AddNumberToObject(args, "id", r->id);
  cJSON_AddItemToObject(args, "producers", cJSON_CreateIntArray(r->producers, r->n_producers));
  cJSON_AddItemToObject(args, "consumers", cJSON_CreateIntArray(r->consumers, r->n_consumers));
  for (int k = 0; k < r->n_consumers; k++, (*flow_id)++) {
    add_flow(t, "s", *flow_id, last);
    add_flow(t, "f", *flow_id, r->consumers[k]);
  }
}

/* One slice per layer; a layer goes on the first layer track that is free
 * at its start. Returns how many layer tracks were used. */
static int add_layers(trace_t *t) {
  const schedule_t *s = t->in->s;
  int64_t *track_end = sched_xcalloc((size_t)SCHED_MAX(s->n_layers, 1), sizeof *track_end);
  int n_tracks = 0;
  for (int l = 0; l < s->n_layers; l++) {
    int64_t start = to_ns(t->in->arch, s->layers[l].start_cycles);
    int64_t end = to_ns(t->in->arch, s->layers[l].end_cycles);
    int k = 0;
    while (k < n_tracks && track_end[k] > start)
      k++;
    n_tracks = SCHED_MAX(n_tracks, k + 1);
    track_end[k] = end;
    cJSON *e = event(t, t->in->g->layer_names[l], "X", layer_tid(s, k));
    cJSON_AddStringToObject(e, "cat", "layer");
    add_ns(e, "ts", start);
    add_ns(e, "dur", end - start);
    cJSON *args = cJSON_AddObjectToObject(e, "args");
    cJSON_AddNumberToObject(args, "layer", l);
    cJSON_AddStringToObject(args, "bound", s->layers[l].bound);
  }
  free(track_end);
  return n_tracks;
}

static void add_counter(trace_t *t, const char *name, const char *key, int64_t ts_ns, double v) {
  cJSON *e = event(t, name, "C", 0);
  add_ns(e, "ts", ts_ns);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(e, "args"), key, v);
}

/* CMX bytes in use per tile at each layer step: the buffers live at the
 * step (tiles are symmetric; the allocation holds cluster 0's). */
static void add_cmx_counter(trace_t *t) {
  const schedule_alloc_t *a = t->in->alloc;
  const schedule_t *s = t->in->s;
  int64_t last_ns = 0;
  for (int l = 0; a && l < s->n_layers; l++) {
    int64_t bytes = 0;
    for (int i = 0; i < a->buffers.n_buffers; i++)
      if (a->buffers.buffers[i].lower <= l && l < a->buffers.buffers[i].upper)
        bytes += a->buffers.buffers[i].size_bytes;
    last_ns = SCHED_MAX(last_ns, to_ns(t->in->arch, s->layers[l].start_cycles));
    add_counter(t, "CMX bytes in use per tile", "bytes", last_ns, (double)bytes);
  }
  if (a)
    add_counter(t, "CMX bytes in use per tile", "bytes", to_ns(t->in->arch, s->latency_cycles), 0);
}

/* The DDR counter's window: the smallest 1-2-5 step of at least 100 ns
 * that cuts the schedule into at most 500 windows (a counter Perfetto draws
 * at any zoom, fine enough to show a layer's traffic). */
static int64_t ddr_window_ns(int64_t latency_ns) {
  const int64_t steps[] = {1, 2, 5};
  for (int64_t decade = 100;; decade *= 10)
    for (int i = 0; i < 3; i++)
      if (steps[i] * decade * 500 >= latency_ns)
        return steps[i] * decade;
}

static double cycles_ns(const arch_t *arch, int64_t cycles) {
  return arch_cycles_to_us(arch, cycles) * 1e3;
}

/* Spreads a DDR transfer's bytes evenly over the part of its slice after
 * the fixed latency, window by window. */
static void spread_transfer(const trace_t *t, int task, int64_t window_ns, int n_windows,
                            double *bytes) {
  const schedule_task_t *k = &t->in->g->tasks[task];
  int64_t lat = SCHED_MIN(schedule_dma_latency_cycles(t->in->arch), k->cycles);
  int64_t end_cycles = t->in->s->end_cycles[task];
  double a = cycles_ns(t->in->arch, end_cycles - (k->cycles - lat));
  double b = cycles_ns(t->in->arch, end_cycles);
  int first = SCHED_MIN((int)(a / (double)window_ns), n_windows - 1);
  if (b <= a) { /* no transfer time: the bytes land where it ends */
    bytes[first] += (double)k->bytes;
    return;
  }
  for (int w = first; w < n_windows && (double)w * (double)window_ns < b; w++) {
    double lo = fmax(a, (double)w * (double)window_ns);
    double hi = fmin(b, (double)(w + 1) * (double)window_ns);
    if (w == n_windows - 1)
      hi = b; /* the last window ends with the schedule */
    if (hi > lo)
      bytes[w] += (double)k->bytes * (hi - lo) / (b - a);
  }
}

/* Achieved DDR bandwidth, the mean over fixed windows: the simulator gives
 * the DDR channel to one transfer at a time, so the bandwidth in use at an
 * instant is only ever 0 or the channel's peak; bytes moved per window
 * show how busy DDR is. The last window is cut at the schedule's end and
 * averaged over what is left of it. */
static void add_ddr_counter(trace_t *t) {
  const schedule_t *s = t->in->s;
  int64_t latency_ns = to_ns(t->in->arch, s->latency_cycles);
  int64_t window_ns = ddr_window_ns(latency_ns);
  int n_windows = (int)SCHED_MAX((latency_ns + window_ns - 1) / window_ns, 1);
  double *bytes = sched_xcalloc((size_t)n_windows, sizeof *bytes);
  for (int k = 0; k < s->n_tasks; k++)
    if (t->in->g->tasks[k].kind == SCHEDULE_TASK_DMA && t->in->g->tasks[k].ddr)
      spread_transfer(t, k, window_ns, n_windows, bytes);
  char name[64];
  if (window_ns % 1000 == 0)
    snprintf(name, sizeof name, "DDR GB/s, mean per %lld us window", (long long)(window_ns / 1000));
  else
    snprintf(name, sizeof name, "DDR GB/s, mean per %lld ns window", (long long)window_ns);
  double last = -1;
  for (int w = 0; w < n_windows; w++) {
    int64_t from = w * window_ns, to = SCHED_MIN(from + window_ns, latency_ns);
    /* rounded to 1 MB/s: equal windows merge into one step */
    double gbps = to > from ? round(bytes[w] / (double)(to - from) * 1e3) / 1e3 : 0;
    if (gbps != last)
      add_counter(t, name, "GB/s", from, gbps);
    last = gbps;
  }
  add_counter(t, name, "GB/s", latency_ns, 0);
  free(bytes);
}

static void add_track_names(trace_t *t, int n_layer_tracks) {
  const schedule_t *s = t->in->s;
  char title[160];
  snprintf(title, sizeof title, "sched %s", t->in->net ? t->in->net : "");
  cJSON *e = event(t, "process_name", "M", 0);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "args"), "name", title);
  for (int k = 0; k < n_layer_tracks; k++) {
    char name[32];
    snprintf(name, sizeof name, k ? "layers (%d)" : "layers", k + 1);
    name_track(t, layer_tid(s, k), name, k);
  }
  for (int e = 0; e < s->n_engines; e++)
    name_track(t, e + 1, s->engines[e].name, n_layer_tracks + e);
  name_track(t, barrier_tid(s), "barriers", n_layer_tracks + s->n_engines);
}

int report_trace(const report_trace_input_t *in, FILE *out) {
  cJSON *root = cJSON_CreateObject();
  if (!root)
    return SCHED_ERR_NOMEM;
  trace_t t = {.in = in, .events = cJSON_AddArrayToObject(root, "traceEvents"), .pid = 1};
  int n_layer_tracks = add_layers(&t);
  for (int k = 0; k < in->s->n_tasks; k++)
    add_task(&t, k);
  int flow_id = 1;
  for (int i = 0; in->b && i < in->b->n_barriers; i++)
    add_barrier(&t, i, &flow_id);
  add_cmx_counter(&t);
  add_ddr_counter(&t);
  add_track_names(&t, n_layer_tracks);
  cJSON_AddStringToObject(root, "displayTimeUnit", "ns");
  cJSON *other = in->metadata ? cJSON_Duplicate(in->metadata, true) : cJSON_CreateObject();
  cJSON_AddItemToObject(root, "otherData", other);
  cJSON_AddStringToObject(other, "arch", in->arch->name);
  char latency[32];
  int64_t latency_ns = to_ns(in->arch, in->s->latency_cycles);
  snprintf(latency, sizeof latency, "%lld.%03lld", (long long)(latency_ns / 1000),
           (long long)(latency_ns % 1000));
  cJSON_AddRawToObject(other, "latency_us", latency);
  return report_json_emit(root, false, out);
}
