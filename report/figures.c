/* figures.c - per-layer and total figures, derived from the plan model so
 * that the text, JSON and CSV reports agree to the cycle. */
#include "report/report.h"

#include <string.h>

static const strat_candidate_t *chosen_cand(const report_input_t *in, int layer) {
  return &in->problem->layers[layer].cands[in->chosen->plan->cand[layer]];
}

const char *report_spill_name(const report_layer_t *f) {
  if (f->input_spilled && f->output_spilled)
    return "in+out";
  return f->input_spilled ? "in" : f->output_spilled ? "out" : "none";
}

const char *report_op_name(const ir_graph_t *g, const ir_op_t *op) {
  return ir_op_is_depthwise(g, op) ? "depthwise_conv" : ir_op_kind_name(op->kind);
}

double report_cluster_peak_macs_per_cycle(const arch_t *arch, ir_dtype_t dt) {
  double rate = (double)arch->dpus_per_tile * arch->macs_per_cycle_int8;
  return dt == IR_DTYPE_FP16 ? rate / 2 : rate;
}

int64_t report_layers_cycles(const report_input_t *in) {
  const strat_plan_t *plan = in->chosen->plan;
  int64_t total = 0;
  for (int l = 0; l < in->problem->n_layers; l++)
    total +=
        strat_layer_cycles(in->problem, l, plan->cand[l],
                           strat_layer_inputs_from_ddr(in->problem, plan, l), plan->spilled[l]);
  return total;
}

/* Util% and Network% of a layer whose other figures are filled. */
static void add_shares(const report_input_t *in, int layer, const strat_candidate_t *c,
                       int64_t layers_cycles, report_layer_t *out) {
  const ir_graph_t *g = in->g;
  const ir_op_t *op = &g->ops[in->problem->layers[layer].op];
  double peak = report_cluster_peak_macs_per_cycle(in->arch, g->tensors[op->inputs[0]].dtype) *
                SCHED_MAX(c->cost.clusters, 1);
  out->util_pct = -1;
  if (c->cost.engine == COST_ENGINE_DPU && out->latency_cycles > 0)
    out->util_pct = 100.0 * (double)out->macs / ((double)out->latency_cycles * peak);
  /* the share of the layers' own latencies, which add up to 100 (the
   * pipelined plan latency overlaps them) */
  out->network_pct =
      layers_cycles > 0 ? 100.0 * (double)out->latency_cycles / (double)layers_cycles : 0;
}

void report_layer_figures(const report_input_t *in, int layer, int64_t layers_cycles,
                          report_layer_t *out) {
  const strat_problem_t *p = in->problem;
  const strat_plan_t *plan = in->chosen->plan;
  const strat_candidate_t *c = chosen_cand(in, layer);
  int from_ddr = strat_layer_inputs_from_ddr(p, plan, layer);
  bool to_ddr = plan->spilled[layer];
  int64_t latency = strat_layer_cycles(p, layer, plan->cand[layer], from_ddr, to_ddr);
  *out = (report_layer_t){
      .compute_cycles = c->cost.compute_cycles,
      .latency_cycles = latency,
      .input_spilled = from_ddr > p->layers[layer].n_inputs_from_graph,
      .output_spilled = to_ddr && !p->values[layer].graph_output,
      .macs = ir_op_macs(in->g, p->layers[layer].op),
      .ddr_bytes = strat_layer_ddr_bytes(p, layer, plan->cand[layer], from_ddr, to_ddr),
  };
  /* what the layer pays beyond compute is DMA; sliced layers overlap it */
  int64_t no_dma =
      strat_layer_cycles(p, layer, plan->cand[layer], 0, false) - c->cost.weight_dma_cycles;
  out->dma_cycles = c->choice.tiles > 1 ? c->cost.weight_dma_cycles + c->cost.input_dma_cycles +
                                              c->cost.output_dma_cycles
                                        : latency - no_dma;
  switch (c->cost.engine) {
  case COST_ENGINE_SHAVE: out->bound = "shave"; break;
  case COST_ENGINE_CPU: out->bound = "cpu"; break; /* a fallback op, see the fallback table */
  case COST_ENGINE_NONE: out->bound = out->dma_cycles > 0 ? "dma" : "-"; break;
  default: out->bound = out->compute_cycles >= out->dma_cycles ? "compute" : "dma"; break;
  }
  add_shares(in, layer, c, layers_cycles, out);
}

/* Peak MACs per cycle of the whole NPU for a dtype. */
static double peak_macs_per_cycle(const arch_t *arch, ir_dtype_t dt) {
  return report_cluster_peak_macs_per_cycle(arch, dt) * arch->tiles;
}

static int64_t ddr_cycles_at_full_bandwidth(const arch_t *arch, int64_t bytes) {
  return (int64_t)((double)bytes * arch->dpu_clock_mhz / (arch->ddr_bandwidth_gbps * 1e3));
}

void report_totals(const report_input_t *in, report_totals_t *out) {
  const ir_graph_t *g = in->g;
  const arch_t *arch = in->arch;
  *out = (report_totals_t){0};
  double compute_floor = 0;
  int64_t layers_cycles = report_layers_cycles(in);
  for (int l = 0; l < in->problem->n_layers; l++) {
    report_layer_t f;
    report_layer_figures(in, l, layers_cycles, &f);
    int op = in->problem->layers[l].op;
    int64_t macs = ir_op_macs(g, op);
    out->macs += macs;
    out->params += ir_op_params(g, op);
    out->compute_cycles += f.compute_cycles;
    out->dma_cycles += f.dma_cycles;
    out->latency_cycles += f.latency_cycles;
    out->mandatory_dma_bytes += ir_op_weight_bytes(g, op);
    compute_floor +=
        (double)macs / peak_macs_per_cycle(arch, g->tensors[g->ops[op].inputs[0]].dtype);
    const char *provider = chosen_cand(in, l)->cost.provider;
    if (provider)
      out->layers_by_provider[strcmp(provider, "analytic") != 0]++;
  }
  for (int i = 0; i < g->n_inputs; i++)
    out->mandatory_dma_bytes += ir_tensor_bytes(g, g->inputs[i]);
  for (int v = 0; v < in->problem->n_layers; v++)
    if (in->problem->values[v].graph_output)
      out->mandatory_dma_bytes += ir_tensor_bytes(g, in->problem->values[v].tensor);
  int64_t dma_floor = ddr_cycles_at_full_bandwidth(arch, out->mandatory_dma_bytes);
  out->lower_bound_cycles = SCHED_MAX((int64_t)compute_floor, dma_floor);
  out->plan_latency_cycles = in->chosen->plan->latency_cycles; /* strategies/timeline.c */
  out->latency_cycles = report_run_latency_cycles(in->chosen);
}

int64_t report_run_latency_cycles(const report_solver_run_t *run) {
  return run->schedule ? run->schedule->latency_cycles : run->plan->latency_cycles;
}
