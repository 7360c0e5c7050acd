/* measure.c - the advisor's measurer: plans a graph with the pipeline and
 * the command's options; forced strategies go through a temporary strategy
 * file, exactly as `sched --strategy-file` forces them, so a what-if is
 * planned by the same code path as any run. */
#include "tools/measure.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Scheduled latency (tasks, prefetch, barriers) when the run has a schedule,
 * else the plan model's. */
double measure_latency_us(const pipeline_t *p) {
  return arch_cycles_to_us(&p->arch, report_run_latency_cycles(pipeline_chosen(p)));
}

static void strategies_text(const pipeline_t *p, char *buf, size_t len) {
  const strat_plan_t *plan = pipeline_chosen(p)->plan;
  size_t used = 0;
  buf[0] = '\0';
  for (int l = 0; l < p->problem.n_layers && used + 1 < len; l++) {
    tiling_strategy_t s = p->problem.layers[l].cands[plan->cand[l]].choice.strategy;
    used += (size_t)snprintf(buf + used, len - used, "%s%s", l ? "+" : "", tiling_strategy_name(s));
  }
}

void measure_fill(const pipeline_t *p, advisor_measure_t *out) {
  memset(out, 0, sizeof *out);
  report_input_t in = {
      .g = &p->graph, .arch = &p->arch, .problem = &p->problem, .chosen = pipeline_chosen(p)};
  report_totals_t t;
  report_totals(&in, &t);
  out->latency_us = measure_latency_us(p);
  out->compute_us = arch_cycles_to_us(&p->arch, t.compute_cycles);
  out->dma_us = arch_cycles_to_us(&p->arch, t.dma_cycles);
  strategies_text(p, out->strategies, sizeof out->strategies);
}

/* Writes {"layers": [{"name", "strategy"}...]} to a new temporary file;
 * path receives its name. */
static int write_forces(const advisor_force_t *forces, int n, char *path, size_t len,
                        sched_diag_t *diag) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, len, "%s/sched-force-XXXXXX", dir && *dir ? dir : "/tmp");
  cJSON *root = cJSON_CreateObject();
  cJSON *layers = cJSON_AddArrayToObject(root, "layers");
  for (int i = 0; i < n; i++) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", forces[i].layer);
    cJSON_AddStringToObject(j, "strategy", tiling_strategy_name(forces[i].strategy));
    cJSON_AddItemToArray(layers, j);
  }
  char *text = sched_json_print(root, false);
  cJSON_Delete(root);
  int fd = text ? mkstemp(path) : -1;
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  bool ok = f && fputs(text, f) >= 0;
  ok = (f && fclose(f) == 0) && ok;
  free(text);
  if (!f && fd >= 0)
    close(fd);
  return ok ? SCHED_OK : sched_diag_set(diag, SCHED_ERR_INTERNAL, "%s: cannot write", path);
}

static int measure_graph(void *ctx, const ir_graph_t *g, const advisor_force_t *forces,
                         int n_forces, advisor_measure_t *out, sched_diag_t *diag) {
  pipeline_options_t po = *(const pipeline_options_t *)ctx;
  po.graph = g;
  char path[4096] = "";
  int rc = n_forces > 0 ? write_forces(forces, n_forces, path, sizeof path, diag) : SCHED_OK;
  if (n_forces > 0)
    po.strategy_file = path;
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  if (rc == SCHED_OK)
    rc = pipeline_run(&po, p, diag);
  if (rc == SCHED_OK)
    measure_fill(p, out);
  pipeline_free(p);
  free(p);
  if (path[0])
    remove(path);
  return rc;
}

advisor_measurer_t measure_measurer(const pipeline_options_t *base) {
  return (advisor_measurer_t){.measure = measure_graph, .ctx = (void *)base};
}
