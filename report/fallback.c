/* fallback.c - the CPU fallback table of a report: for each layer that runs
 * on the host CPU (it breaks one of the arch's operator restrictions; `sched
 * check` says which), where it sits and what that costs. A fallback in the
 * middle of the network (NPU layers before and after it) takes two
 * NPU/CPU transfers through DDR and breaks streaming; at the start or end of
 * the network only one (Horizon's advice, seeds/003). The places come from
 * arch_check_graph on the planned (fused) graph; bytes and times from the
 * plan's candidate of the layer. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report/report.h"

static const char *place_note(arch_place_t p) {
  switch (p) {
  case ARCH_PLACE_MIDDLE: return "NPU->CPU->NPU, breaks streaming";
  case ARCH_PLACE_START: return "CPU->NPU only";
  case ARCH_PLACE_END: return "NPU->CPU only";
  default: return "no NPU layer around it";
  }
}

static const strat_candidate_t *chosen(const report_input_t *in, int layer) {
  return &in->problem->layers[layer].cands[in->chosen->plan->cand[layer]];
}

static bool on_cpu(const report_input_t *in, int layer) {
  return chosen(in, layer)->cost.engine == COST_ENGINE_CPU;
}

static int count_fallbacks(const report_input_t *in) {
  int n = 0;
  for (int l = 0; l < in->problem->n_layers; l++)
    n += on_cpu(in, l);
  return n;
}

static void print_row(const report_input_t *in, const arch_check_t *c, int l, FILE *out) {
  const tiling_layer_cost_t *k = &chosen(in, l)->cost;
  int op = in->problem->layers[l].op;
  fprintf(out, "  %-24.24s %-6s %9d %12lld %12lld %11.2f %11.2f  %s\n", in->g->ops[op].name,
          arch_place_name(c->place[op]), c->transfers[op], (long long)k->input_dma_bytes,
          (long long)k->output_dma_bytes, arch_cycles_to_us(in->arch, k->compute_cycles),
          arch_cycles_to_us(in->arch, k->input_dma_cycles + k->output_dma_cycles),
          place_note(c->place[op]));
}

void report_fallback_text(const report_input_t *in, FILE *out) {
  int n = count_fallbacks(in);
  if (n == 0)
    return;
  arch_check_t c;
  arch_check_graph(in->arch, in->g, &c);
  fprintf(out, "\nfallback to CPU: %d layer%s break %s's operator restrictions (see sched check)\n",
          n, n == 1 ? "" : "s", in->arch->name);
  fprintf(out, "  %-24s %-6s %9s %12s %12s %11s %11s  %s\n", "layer", "place", "transfers",
          "in_bytes", "out_bytes", "cpu_us", "ddr_us", "note");
  for (int l = 0; l < in->problem->n_layers; l++)
    if (on_cpu(in, l))
      print_row(in, &c, l, out);
  arch_check_free(&c);
}

/* The solver fell back on another's plan: its limits struck first. */
static void solver_reason(const report_solver_run_t *run, const strat_problem_t *p, char *buf,
                          size_t len) {
  if (run->stats->fallback_layer > 0)
    snprintf(buf, len, "the time limit stopped its rolling horizon at layer %d of %d",
             (int)run->stats->fallback_layer, p->n_layers);
  else
    snprintf(buf, len, "no plan of its own within its limits (time or nodes)");
}

void report_solver_fallback_warning(const report_solver_run_t *run, const strat_problem_t *p,
                                    FILE *out) {
  if (run->status != SCHED_OK || !run->stats->fallback)
    return;
  char why[128];
  solver_reason(run, p, why, sizeof why);
  fprintf(out, "sched: warning: %s: %s; %s %s's plan\n", run->solver, why,
          run->stats->fallback_layer > 0 ? "from there on it is" : "reporting",
          run->stats->fallback);
}

/* {"solver", "plan", "from_layer", "reason"} per run that fell back. */
static void add_solver_fallbacks(const report_input_t *in, cJSON *arr) {
  int n = in->comparison ? in->n_comparison : 1;
  for (int i = 0; arr && i < n; i++) {
    const report_solver_run_t *run = in->comparison ? &in->comparison[i] : in->chosen;
    if (run->status != SCHED_OK || !run->stats->fallback)
      continue;
    char why[128];
    solver_reason(run, in->problem, why, sizeof why);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "solver", run->solver);
    cJSON_AddStringToObject(j, "plan", run->stats->fallback);
    cJSON_AddNumberToObject(j, "from_layer", run->stats->fallback_layer);
    cJSON_AddStringToObject(j, "reason", why);
    cJSON_AddItemToArray(arr, j);
  }
}

cJSON *report_fallback_json(const report_input_t *in) {
  arch_check_t c;
  arch_check_graph(in->arch, in->g, &c);
  cJSON *arr = cJSON_CreateArray();
  for (int l = 0; arr && l < in->problem->n_layers; l++) {
    if (!on_cpu(in, l))
      continue;
    const tiling_layer_cost_t *k = &chosen(in, l)->cost;
    int op = in->problem->layers[l].op;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "layer", in->g->ops[op].name);
    cJSON_AddStringToObject(j, "place", arch_place_name(c.place[op]));
    cJSON_AddNumberToObject(j, "ddr_transfers", c.transfers[op]);
    cJSON_AddNumberToObject(j, "input_bytes", (double)k->input_dma_bytes);
    cJSON_AddNumberToObject(j, "output_bytes", (double)k->output_dma_bytes);
    cJSON_AddNumberToObject(j, "cpu_cycles", (double)k->compute_cycles);
    cJSON_AddNumberToObject(j, "ddr_cycles", (double)(k->input_dma_cycles + k->output_dma_cycles));
    cJSON_AddItemToArray(arr, j);
  }
  arch_check_free(&c);
  add_solver_fallbacks(in, arr);
  return arr;
}
