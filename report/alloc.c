/* alloc.c - the CMX allocation part of a report: per tile the allocated
 * peak, the max-live lower bound, the overhead above it and the allocator,
 * then the repairs the allocation made to the plan. Clusters are symmetric
 * in the plan model, so every tile shows the worst cluster's layout. */
#include <math.h>

#include <cjson/cJSON.h>

#include "report/report.h"

int64_t report_peak_cmx_bytes(const report_solver_run_t *run) {
  return run->alloc ? run->alloc->stats.peak_bytes : run->plan->peak_cmx_bytes;
}

/* Layers whose weights load early (the plan's prefetch windows). */
static int prefetched_layers(const schedule_alloc_t *a) {
  int n = 0;
  for (int i = 0; i < a->buffers.n_buffers; i++)
    n += a->buffers.buffers[i].kind == SCHEDULE_BUFFER_WEIGHTS &&
         a->buffers.buffers[i].prefetch_steps > 0;
  return n;
}

static int tiles_used(const report_input_t *in) { return SCHED_MAX(in->arch->tiles, 1); }

static double overhead_pct(const schedule_alloc_t *a) {
  return round(a->stats.overhead_pct * 100) / 100;
}

void report_alloc_text(const report_input_t *in, FILE *out) {
  const schedule_alloc_t *a = in->chosen->alloc;
  if (!a)
    return;
  fprintf(out, "\nCMX allocation (per tile; tiles are symmetric, each holds cluster 0's largest "
               "parts):\n");
  fprintf(out, "  %-6s %12s %12s %12s %9s %-12s %7s\n", "tile", "peak_bytes", "lower_bound",
          "capacity", "overhead", "allocator", "buffers");
  for (int t = 0; t < tiles_used(in); t++)
    fprintf(out, "  %-6d %12lld %12lld %12lld %8.2f%% %-12s %7d\n", t,
            (long long)a->stats.peak_bytes, (long long)a->stats.lower_bound_bytes,
            (long long)a->problem.capacity_bytes, overhead_pct(a), a->allocator,
            a->problem.n_buffers);
  fprintf(out, "  prefetch: %d layers' weights load under earlier layers' compute\n",
          prefetched_layers(a));
  fprintf(out, "  repairs: %d\n", a->n_repairs);
  for (int i = 0; i < a->n_repairs; i++) {
    char text[256];
    fprintf(out, "    %s\n",
            schedule_repair_describe(in->problem, &a->repairs[i], text, sizeof text));
  }
}

static cJSON *repair_json(const report_input_t *in, const schedule_repair_t *r) {
  char text[256];
  cJSON *j = cJSON_CreateObject();
  static const char *const kinds[] = {[SCHEDULE_REPAIR_PREFETCH] = "prefetch",
                                      [SCHEDULE_REPAIR_SPILL] = "spill",
                                      [SCHEDULE_REPAIR_RETILE] = "retile"};
  cJSON_AddStringToObject(j, "kind", kinds[r->kind]);
  if (r->kind == SCHEDULE_REPAIR_PREFETCH) {
    cJSON_AddNumberToObject(j, "windows", r->n_layers);
    cJSON_AddNumberToObject(j, "steps", r->n_steps);
  }
  cJSON_AddStringToObject(j, "layer", in->g->ops[in->problem->layers[r->layer].op].name);
  cJSON_AddNumberToObject(j, "step", r->step);
  cJSON_AddStringToObject(j, "reason", r->fragmentation ? "fragmentation" : "over capacity");
  cJSON_AddNumberToObject(j, "objective_cost", (double)r->cost);
  cJSON_AddStringToObject(j, "text", schedule_repair_describe(in->problem, r, text, sizeof text));
  return j;
}

static cJSON *tiles_json(const report_input_t *in, const schedule_alloc_t *a) {
  cJSON *arr = cJSON_CreateArray();
  for (int t = 0; t < tiles_used(in); t++) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "tile", t);
    cJSON_AddNumberToObject(j, "peak_bytes", (double)a->stats.peak_bytes);
    cJSON_AddNumberToObject(j, "lower_bound_bytes", (double)a->stats.lower_bound_bytes);
    cJSON_AddNumberToObject(j, "overhead_pct", overhead_pct(a));
    cJSON_AddItemToArray(arr, j);
  }
  return arr;
}

cJSON *report_alloc_json(const report_input_t *in) {
  const schedule_alloc_t *a = in->chosen->alloc;
  if (!a)
    return NULL;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "allocator", a->allocator);
  cJSON_AddBoolToObject(j, "fits", a->fits);
  cJSON_AddNumberToObject(j, "buffers", a->problem.n_buffers);
  cJSON_AddNumberToObject(j, "capacity_bytes", (double)a->problem.capacity_bytes);
  cJSON_AddNumberToObject(j, "peak_bytes", (double)a->stats.peak_bytes);
  cJSON_AddNumberToObject(j, "lower_bound_bytes", (double)a->stats.lower_bound_bytes);
  cJSON_AddNumberToObject(j, "overhead_pct", overhead_pct(a));
  cJSON_AddNumberToObject(j, "prefetched_layers", prefetched_layers(a));
  cJSON_AddItemToObject(j, "tiles", tiles_json(in, a));
  cJSON *repairs = cJSON_AddArrayToObject(j, "repairs");
  for (int i = 0; i < a->n_repairs; i++)
    cJSON_AddItemToArray(repairs, repair_json(in, &a->repairs[i]));
  return j;
}

void report_alloc_totals_json(const report_input_t *in, cJSON *totals) {
  const report_solver_run_t *r = in->chosen;
  cJSON_AddNumberToObject(totals, "peak_cmx_bytes", (double)report_peak_cmx_bytes(r));
  cJSON_AddNumberToObject(totals, "plan_peak_cmx_bytes", (double)r->plan->peak_cmx_bytes);
  if (!r->alloc)
    return;
  cJSON_AddNumberToObject(totals, "cmx_lower_bound_bytes",
                          (double)r->alloc->stats.lower_bound_bytes);
  cJSON_AddNumberToObject(totals, "alloc_overhead_pct", overhead_pct(r->alloc));
  cJSON_AddItemToObject(totals, "allocation", report_alloc_json(in));
}
