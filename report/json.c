/* json.c - the report for scripts (schema in README.md, "JSON report").
 * Times are microseconds rounded to 1 ns; sizes are bytes. */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

static double us3(const report_input_t *in, int64_t cycles) {
  return round(arch_cycles_to_us(in->arch, cycles) * 1e3) / 1e3;
}

static cJSON *shape_json(ir_shape_t s) {
  double dims[4] = {(double)s.n, (double)s.c, (double)s.h, (double)s.w};
  return cJSON_CreateDoubleArray(dims, 4);
}

static cJSON *layer_json(const report_input_t *in, int l, int64_t layers_cycles) {
  const ir_op_t *op = &in->g->ops[in->problem->layers[l].op];
  const strat_candidate_t *c = &in->problem->layers[l].cands[in->chosen->plan->cand[l]];
  report_layer_t f;
  report_layer_figures(in, l, layers_cycles, &f);
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "name", op->name);
  cJSON_AddStringToObject(j, "op", report_op_name(in->g, op));
  cJSON_AddStringToObject(j, "fused_act", op->fused_act ? ir_op_kind_name(op->fused_act) : "none");
  cJSON *fused = cJSON_AddArrayToObject(j, "fused_ops"); /* original ops folded in */
  if (op->fused_name)
    cJSON_AddItemToArray(fused, cJSON_CreateString(op->fused_name));
  cJSON_AddItemToObject(j, "out_shape", shape_json(in->g->tensors[op->output].shape));
  cJSON_AddNumberToObject(j, "macs", (double)ir_op_macs(in->g, in->problem->layers[l].op));
  cJSON_AddNumberToObject(j, "params", (double)ir_op_params(in->g, in->problem->layers[l].op));
  cJSON_AddStringToObject(j, "engine", cost_engine_name(c->cost.engine));
  cJSON_AddStringToObject(j, "strategy", tiling_strategy_name(c->choice.strategy));
  cJSON_AddNumberToObject(j, "slices", c->choice.tiles);
  cJSON_AddStringToObject(j, "slice_axis", tiling_axis_name(c->choice.axis));
  cJSON_AddBoolToObject(j, "pipelined", c->choice.pipelined);
  cJSON_AddNumberToObject(j, "region", c->region); /* streaming region, -1 when none */
  char mode[32];
  cJSON_AddStringToObject(j, "mode", tiling_mode_label(&c->cost, mode, sizeof mode));
  cJSON_AddStringToObject(j, "spill", report_spill_name(&f));
  cJSON_AddNumberToObject(j, "cmx_bytes", (double)c->cost.footprint.total_bytes);
  cJSON_AddNumberToObject(j, "compute_us", us3(in, f.compute_cycles));
  cJSON_AddNumberToObject(j, "dma_us", us3(in, f.dma_cycles));
  cJSON_AddNumberToObject(j, "latency_us", us3(in, f.latency_cycles));
  cJSON_AddNumberToObject(j, "ddr_bytes", (double)f.ddr_bytes);
  if (f.util_pct >= 0)
    cJSON_AddNumberToObject(j, "util_pct", round(f.util_pct * 100) / 100);
  cJSON_AddNumberToObject(j, "network_pct", round(f.network_pct * 100) / 100);
  cJSON_AddStringToObject(j, "bound", f.bound);
  return j;
}

static void barriers_json(const report_input_t *in, const schedule_barriers_t *b, cJSON *j) {
  cJSON_AddNumberToObject(j, "barriers_virtual", b->n_barriers);
  cJSON_AddNumberToObject(j, "barriers_used", b->ids_used);
  cJSON_AddNumberToObject(j, "barriers_max", b->barriers_max);
  cJSON_AddNumberToObject(j, "barriers_peak_live", b->peak_live);
  cJSON_AddNumberToObject(j, "barrier_serialisations", b->n_serial);
  cJSON_AddNumberToObject(j, "barrier_stall_us", us3(in, b->stall_cycles));
}

/* One entry per layer of the scheduled timeline. */
static cJSON *timeline_json(const report_input_t *in, const schedule_t *s) {
  cJSON *arr = cJSON_CreateArray();
  for (int l = 0; l < s->n_layers; l++) {
    const schedule_layer_time_t *lt = &s->layers[l];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", in->g->ops[in->problem->layers[l].op].name);
    cJSON_AddNumberToObject(j, "start_us", us3(in, lt->start_cycles));
    cJSON_AddNumberToObject(j, "end_us", us3(in, lt->end_cycles));
    cJSON_AddNumberToObject(j, "compute_us", us3(in, lt->compute_cycles));
    cJSON_AddNumberToObject(j, "dma_us", us3(in, lt->dma_cycles));
    cJSON_AddNumberToObject(j, "overlap_us", us3(in, lt->overlap_cycles));
    cJSON_AddNumberToObject(j, "stall_us", us3(in, lt->stall_cycles));
    cJSON_AddStringToObject(j, "bound", lt->bound);
    cJSON_AddItemToArray(arr, j);
  }
  return arr;
}

/* Whose plan a run kept when not its own (an incumbent's, a smaller
 * rung's), the window cap of the plan it kept when capped; else the ILP's MIP plan on the clock
 * before the clock search's moves (strat_plan_clock_search), when the run returned its own plan. */
static void clock_search_json(const report_input_t *in, const report_solver_run_t *r, cJSON *j) {
  if (r->kept_plan_of)
    cJSON_AddStringToObject(j, "kept_plan_of", r->kept_plan_of);
  if (r->window_cap_steps > 0) {
    cJSON_AddNumberToObject(j, "window_cap_steps", r->window_cap_steps);
    cJSON_AddNumberToObject(j, "uncapped_latency_us", us3(in, r->uncapped_latency_cycles));
  }
  if (r->barrier_capped) {
    cJSON_AddNumberToObject(j, "barrier_cap_steps", r->barrier_cap_steps);
    if (r->barrier_uncapped_latency_cycles > 0) /* 0: no barrier program without the cap */
      cJSON_AddNumberToObject(j, "barrier_uncapped_latency_us",
                              us3(in, r->barrier_uncapped_latency_cycles));
  }
  if (r->stats->mip_latency_cycles <= 0 || r->kept_plan_of)
    return;
  cJSON_AddNumberToObject(j, "mip_plan_latency_us", us3(in, r->stats->mip_latency_cycles));
  cJSON_AddNumberToObject(j, "clock_moves", r->stats->clock_moves);
}

static cJSON *engines_json(const report_input_t *in, const schedule_t *s) {
  cJSON *arr = cJSON_CreateArray();
  for (int e = 0; e < s->n_engines; e++) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", s->engines[e].name);
    cJSON_AddNumberToObject(j, "busy_us", us3(in, s->engines[e].busy_cycles));
    cJSON_AddNumberToObject(
        j, "busy_pct",
        round(1e4 * (double)s->engines[e].busy_cycles / (double)SCHED_MAX(s->latency_cycles, 1)) /
            100);
    cJSON_AddNumberToObject(j, "tasks", s->engines[e].n_tasks);
    cJSON_AddItemToArray(arr, j);
  }
  return arr;
}

cJSON *report_totals_json(const report_input_t *in) {
  report_totals_t t;
  report_totals(in, &t);
  const report_solver_run_t *r = in->chosen;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "macs", (double)t.macs);
  cJSON_AddNumberToObject(j, "params", (double)t.params);
  cJSON_AddNumberToObject(j, "latency_us", us3(in, t.latency_cycles));
  cJSON_AddNumberToObject(j, "plan_latency_us", us3(in, t.plan_latency_cycles));
  cJSON_AddNumberToObject(j, "lower_bound_us", us3(in, t.lower_bound_cycles));
  cJSON_AddNumberToObject(
      j, "latency_over_bound",
      t.lower_bound_cycles > 0
          ? round(1e3 * (double)t.latency_cycles / (double)t.lower_bound_cycles) / 1e3
          : 0);
  if (r->barriers)
    barriers_json(in, r->barriers, j);
  cJSON_AddNumberToObject(j, "compute_us", us3(in, t.compute_cycles));
  cJSON_AddNumberToObject(j, "dma_us", us3(in, t.dma_cycles));
  double latency_us = arch_cycles_to_us(in->arch, t.latency_cycles);
  cJSON_AddNumberToObject(j, "fps", latency_us > 0 ? round(1e8 / latency_us) / 100 : 0);
  cJSON_AddNumberToObject(j, "spill_bytes", (double)r->plan->spill_bytes);
  cJSON_AddNumberToObject(j, "ddr_bytes", (double)r->plan->ddr_bytes);
  report_alloc_totals_json(in, j);
  cJSON_AddStringToObject(j, "solver", r->solver);
  cJSON_AddNumberToObject(j, "solve_ms", in->timing ? round(r->stats->solve_ms * 1e3) / 1e3 : 0);
  cJSON_AddNumberToObject(j, "mip_gap", r->stats->mip_gap);
  clock_search_json(in, r, j);
  cJSON_AddNumberToObject(j, "layers_analytic", t.layers_by_provider[0]);
  cJSON_AddNumberToObject(j, "layers_lut", t.layers_by_provider[1]);
  return j;
}

static cJSON *solvers_json(const report_input_t *in) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < in->n_comparison; i++) {
    const report_solver_run_t *r = &in->comparison[i];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", r->solver);
    if (r->status != SCHED_OK) {
      cJSON_AddStringToObject(j, "error", r->error_msg);
    } else {
      cJSON_AddNumberToObject(j, "latency_us", us3(in, report_run_latency_cycles(r)));
      cJSON_AddNumberToObject(j, "plan_latency_us", us3(in, r->plan->latency_cycles));
      cJSON_AddNumberToObject(j, "ddr_bytes", (double)r->plan->ddr_bytes);
      cJSON_AddNumberToObject(j, "spill_bytes", (double)r->plan->spill_bytes);
      cJSON_AddNumberToObject(j, "peak_cmx_bytes", (double)report_peak_cmx_bytes(r));
      cJSON_AddNumberToObject(j, "plan_peak_cmx_bytes", (double)r->plan->peak_cmx_bytes);
      cJSON_AddNumberToObject(j, "solve_ms",
                              in->timing ? round(r->stats->solve_ms * 1e3) / 1e3 : 0);
      cJSON_AddNumberToObject(j, "mip_gap", r->stats->mip_gap);
      cJSON_AddBoolToObject(j, "optimal", r->stats->optimal);
      clock_search_json(in, r, j);
    }
    cJSON_AddItemToArray(arr, j);
  }
  return arr;
}

cJSON *report_provenance_json(const char *command_line, const arch_t *arch) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "sched_version", sched_version());
  cJSON_AddStringToObject(j, "git_revision", sched_git_revision());
  cJSON_AddStringToObject(j, "command_line", command_line ? command_line : "");
  cJSON_AddItemToObject(j, "arch_constants", arch_to_json(arch));
  return j;
}

cJSON *report_header_json(const report_input_t *in) {
  cJSON *j = report_provenance_json(in->command_line, in->arch);
  cJSON_AddStringToObject(j, "net", in->net_spec);
  cJSON_AddStringToObject(j, "arch", in->arch->name);
  cJSON_AddNumberToObject(j, "cmx_bytes", (double)in->arch->cmx_workspace_bytes);
  cJSON_AddStringToObject(j, "cost", in->cost_spec);
  cJSON_AddStringToObject(j, "objective",
                          in->problem->objective == STRAT_OBJECTIVE_BANDWIDTH ? "bandwidth"
                                                                              : "latency");
  return j;
}

static cJSON *ladder_json(const report_input_t *in) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < in->n_ladder; i++) {
    const report_ladder_rung_t *r = &in->ladder[i];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "cmx_bytes", (double)r->cmx_bytes);
    cJSON_AddNumberToObject(j, "own_latency_us", us3(in, r->own_latency_cycles));
    cJSON_AddNumberToObject(j, "latency_us", us3(in, r->latency_cycles));
    cJSON_AddStringToObject(j, "plan_of", r->kept_plan_of[0] ? r->kept_plan_of : "own");
    cJSON_AddItemToArray(arr, j);
  }
  return arr;
}

int report_json(const report_input_t *in, FILE *out) {
  cJSON *root = cJSON_CreateObject();
  if (!root)
    return SCHED_ERR_NOMEM;
  cJSON *head = report_header_json(in);
  while (head && head->child) { /* the header's fields lead the document */
    cJSON *item = cJSON_DetachItemViaPointer(head, head->child);
    cJSON_AddItemToObject(root, item->string, item);
  }
  cJSON_Delete(head);
  cJSON_AddItemToObject(root, "totals", report_totals_json(in));
  cJSON *layers = cJSON_AddArrayToObject(root, "layers");
  int64_t layers_cycles = report_layers_cycles(in);
  for (int l = 0; l < in->problem->n_layers; l++)
    cJSON_AddItemToArray(layers, layer_json(in, l, layers_cycles));
  cJSON_AddItemToObject(root, "fallback", report_fallback_json(in));
  if (in->chosen->schedule) {
    cJSON_AddItemToObject(root, "timeline", timeline_json(in, in->chosen->schedule));
    cJSON_AddItemToObject(root, "engines", engines_json(in, in->chosen->schedule));
  }
  if (in->comparison)
    cJSON_AddItemToObject(root, "solvers", solvers_json(in));
  if (in->ladder)
    cJSON_AddItemToObject(root, "ladder", ladder_json(in));
  return report_json_emit(root, true, out);
}

int report_json_emit(cJSON *root, bool pretty, FILE *out) {
  char *text = sched_json_print(root, pretty);
  cJSON_Delete(root);
  if (!text)
    return SCHED_ERR_NOMEM;
  fputs(text, out);
  fputc('\n', out);
  free(text);
  return SCHED_OK;
}
