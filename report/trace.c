/* trace.c - a schedule as Chrome trace event JSON (Perfetto,
 * chrome://tracing): one thread track per DMA port, DPU and SHAVE, complete
 * ("X") events per task with the layer name in args, and per barrier an
 * instant event on a "barriers" track when its producers are done plus a
 * flow arrow from its last producer to each consumer. Times in
 * microseconds (the format's unit). */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

static double trace_us(const arch_t *arch, int64_t cycles) {
  return round(arch_cycles_to_us(arch, cycles) * 1e3) / 1e3;
}

/* Times go in as raw "%.3f" text: cJSON prints a fractional number by
 * printing and re-reading it, which dominates a 10^4-task trace. */
static void add_us(cJSON *obj, const char *key, const arch_t *arch, int64_t cycles) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", arch_cycles_to_us(arch, cycles));
  cJSON_AddRawToObject(obj, key, buf);
}

static cJSON *meta_event(const char *what, int tid, const char *key, cJSON *value) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "name", what);
  cJSON_AddStringToObject(e, "ph", "M");
  cJSON_AddNumberToObject(e, "pid", 1);
  cJSON_AddNumberToObject(e, "tid", tid);
  cJSON *args = cJSON_AddObjectToObject(e, "args");
  cJSON_AddItemToObject(args, key, value);
  return e;
}

static void add_tracks(const schedule_t *s, const char *net, cJSON *events) {
  char title[160];
  snprintf(title, sizeof title, "sched %s", net ? net : "");
  cJSON_AddItemToArray(events, meta_event("process_name", 0, "name", cJSON_CreateString(title)));
  for (int e = 0; e <= s->n_engines; e++) {
    const char *name = e < s->n_engines ? s->engines[e].name : "barriers";
    cJSON_AddItemToArray(events,
                         meta_event("thread_name", e + 1, "name", cJSON_CreateString(name)));
    cJSON_AddItemToArray(
        events, meta_event("thread_sort_index", e + 1, "sort_index", cJSON_CreateNumber(e)));
  }
}

static cJSON *task_event(const schedule_graph_t *g, const schedule_t *s, const arch_t *arch,
                         int t) {
  const schedule_task_t *k = &g->tasks[t];
  char name[160];
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "name", schedule_task_name(g, t, name, sizeof name));
  cJSON_AddStringToObject(e, "cat", schedule_task_role_name(k->role));
  cJSON_AddStringToObject(e, "ph", "X");
  add_us(e, "ts", arch, s->start_cycles[t]);
  add_us(e, "dur", arch, s->end_cycles[t] - s->start_cycles[t]);
  cJSON_AddNumberToObject(e, "pid", 1);
  cJSON_AddNumberToObject(e, "tid", s->engine[t] + 1);
  cJSON *args = cJSON_AddObjectToObject(e, "args");
  cJSON_AddStringToObject(args, "layer", g->layer_names[k->layer]);
  cJSON_AddNumberToObject(args, "task", t);
  cJSON_AddNumberToObject(args, "slice", k->slice);
  cJSON_AddNumberToObject(args, "cycles", (double)(s->end_cycles[t] - s->start_cycles[t]));
  if (k->kind == SCHEDULE_TASK_DMA)
    cJSON_AddNumberToObject(args, "bytes", (double)k->bytes);
  if (k->spill)
    cJSON_AddBoolToObject(args, "spill", true);
  return e;
}

static cJSON *flow_event(const schedule_t *s, const arch_t *arch, const char *ph, int flow_id,
                         int task, int64_t at) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "name", "barrier");
  cJSON_AddStringToObject(e, "cat", "barrier");
  cJSON_AddStringToObject(e, "ph", ph);
  cJSON_AddNumberToObject(e, "id", flow_id);
  add_us(e, "ts", arch, at);
  cJSON_AddNumberToObject(e, "pid", 1);
  cJSON_AddNumberToObject(e, "tid", s->engine[task] + 1);
  if (ph[0] == 'f')
    cJSON_AddStringToObject(e, "bp", "e");
  return e;
}

static void add_barrier(const schedule_t *s, const schedule_barriers_t *b, const arch_t *arch,
                        int i, int *flow_id, cJSON *events) {
  const schedule_barrier_t *r = &b->barriers[i];
  int last = r->producers[0];
  for (int k = 1; k < r->n_producers; k++)
    if (s->end_cycles[r->producers[k]] > s->end_cycles[last])
      last = r->producers[k];
  char name[48];
  snprintf(name, sizeof name, "barrier %d (id %d)", i, r->id);
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "name", name);
  cJSON_AddStringToObject(e, "cat", "barrier");
  cJSON_AddStringToObject(e, "ph", "i");
  cJSON_AddStringToObject(e, "s", "t");
  add_us(e, "ts", arch, s->end_cycles[last]);
  cJSON_AddNumberToObject(e, "pid", 1);
  cJSON_AddNumberToObject(e, "tid", s->n_engines + 1);
  cJSON *args = cJSON_AddObjectToObject(e, "args");
  cJSON_AddNumberToObject(args, "id", r->id);
  cJSON_AddItemToObject(args, "producers", cJSON_CreateIntArray(r->producers, r->n_producers));
  cJSON_AddItemToObject(args, "consumers", cJSON_CreateIntArray(r->consumers, r->n_consumers));
  cJSON_AddItemToArray(events, e);
  for (int k = 0; k < r->n_consumers; k++, (*flow_id)++) {
    cJSON_AddItemToArray(events, flow_event(s, arch, "s", *flow_id, last, s->end_cycles[last]));
    cJSON_AddItemToArray(events, flow_event(s, arch, "f", *flow_id, r->consumers[k],
                                            s->start_cycles[r->consumers[k]]));
  }
}

int report_trace(const schedule_graph_t *g, const schedule_t *s, const schedule_barriers_t *b,
                 const arch_t *arch, const char *net, FILE *out) {
  cJSON *root = cJSON_CreateObject();
  if (!root)
    return SCHED_ERR_NOMEM;
  cJSON *events = cJSON_AddArrayToObject(root, "traceEvents");
  add_tracks(s, net, events);
  for (int t = 0; t < s->n_tasks; t++)
    cJSON_AddItemToArray(events, task_event(g, s, arch, t));
  int flow_id = 1;
  for (int i = 0; b && i < b->n_barriers; i++)
    add_barrier(s, b, arch, i, &flow_id, events);
  cJSON_AddStringToObject(root, "displayTimeUnit", "ns");
  cJSON *other = cJSON_AddObjectToObject(root, "otherData");
  cJSON_AddStringToObject(other, "arch", arch->name);
  cJSON_AddNumberToObject(other, "latency_us", trace_us(arch, s->latency_cycles));
  return report_json_emit(root, false, out);
}
