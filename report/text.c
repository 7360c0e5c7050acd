/* text.c - the report for people: header with the constants in force, one
 * row per layer, totals with the lower bound, and the solver comparison. */
#include "report/report.h"

#include <string.h>

static double us(const report_input_t *in, int64_t cycles) {
  return arch_cycles_to_us(in->arch, cycles);
}

static void format_shape(ir_shape_t s, char *buf, size_t len) {
  snprintf(buf, len, "%lldx%lldx%lld", (long long)s.c, (long long)s.h, (long long)s.w);
}

static int name_width(const report_input_t *in) {
  int w = 5;
  for (int l = 0; l < in->problem->n_layers; l++)
    w = SCHED_MAX(w, (int)strlen(in->g->ops[in->problem->layers[l].op].name));
  return SCHED_MIN(w, 40);
}

static void print_header(const report_input_t *in, FILE *out) {
  char cmx[32];
  fprintf(out, "# sched report: net %s, arch %s, CMX budget %s (%lld bytes) per tile\n",
          in->net_spec, in->arch->name,
          arch_format_size(in->arch->cmx_workspace_bytes, cmx, sizeof cmx),
          (long long)in->arch->cmx_workspace_bytes);
  fprintf(out, "# solver %s, objective %s, cost %s\n", in->chosen->solver,
          in->problem->objective == STRAT_OBJECTIVE_BANDWIDTH ? "bandwidth" : "latency",
          in->cost_spec);
  fprintf(out, "# constants in force:\n");
  arch_describe(in->arch, out);
  fputc('\n', out);
}

/* The scheduled columns of a layer row. */
static void print_layer_timeline(const report_input_t *in, const schedule_layer_time_t *lt,
                                 FILE *out) {
  fprintf(out, " %10.2f %10.2f %10.2f %10.2f %-7s", us(in, lt->start_cycles),
          us(in, lt->end_cycles), us(in, lt->overlap_cycles), us(in, lt->stall_cycles), lt->bound);
}

static void print_layers(const report_input_t *in, FILE *out) {
  int nw = name_width(in);
  fprintf(out, "%-*s %-15s %-14s %12s %-6s %-10s %5s %-6s %-10s %-6s %11s %11s %11s %-7s", nw,
          "layer", "op", "out CxHxW", "MACs", "engine", "strategy", "tiles", "stream", "mode",
          "spill", "compute_us", "dma_us", "latency_us", "bound");
  if (in->chosen->schedule)
    fprintf(out, " %10s %10s %10s %10s %-7s", "start_us", "end_us", "overlap_us", "stall_us",
            "sched");
  fputc('\n', out);
  for (int l = 0; l < in->problem->n_layers; l++) {
    const ir_op_t *op = &in->g->ops[in->problem->layers[l].op];
    const strat_candidate_t *c = &in->problem->layers[l].cands[in->chosen->plan->cand[l]];
    report_layer_t f;
    report_layer_figures(in, l, &f);
    char shape[48], opname[32], tiles[16], stream[16] = "-", mode[32];
    if (c->region >= 0)
      snprintf(stream, sizeof stream, "r%d", c->region);
    format_shape(in->g->tensors[op->output].shape, shape, sizeof shape);
    snprintf(opname, sizeof opname, "%s%s%s", ir_op_kind_name(op->kind), op->fused_act ? "+" : "",
             op->fused_act ? ir_op_kind_name(op->fused_act) : "");
    snprintf(tiles, sizeof tiles, "%d%s%s", c->choice.tiles, tiling_axis_name(c->choice.axis),
             c->choice.pipelined ? "p" : "");
    if (c->choice.tiles == 1)
      snprintf(tiles, sizeof tiles, "1");
    fprintf(out,
            "%-*.*s %-15.15s %-14s %12lld %-6s %-10s %5s %-6s %-10s %-6s %11.2f %11.2f %11.2f %-7s",
            nw, nw, op->name, opname, shape,
            (long long)ir_op_macs(in->g, in->problem->layers[l].op),
            cost_engine_name(c->cost.engine), tiling_strategy_name(c->choice.strategy), tiles,
            stream, tiling_mode_label(&c->cost, mode, sizeof mode), report_spill_name(&f),
            us(in, f.compute_cycles), us(in, f.dma_cycles), us(in, f.latency_cycles), f.bound);
    if (in->chosen->schedule)
      print_layer_timeline(in, &in->chosen->schedule->layers[l], out);
    fputc('\n', out);
  }
}

/* Engines' busy time and the barrier program, under the totals. */
static void print_schedule(const report_input_t *in, const schedule_t *s,
                           const schedule_barriers_t *b, FILE *out) {
  double lat = (double)SCHED_MAX(s->latency_cycles, 1);
  fprintf(out,
          "\nschedule: %d tasks, DMA %.2f us, compute %.2f us, overlapped %.2f us, "
          "critical path %d tasks\n",
          s->n_tasks, us(in, s->dma_cycles), us(in, s->compute_cycles), us(in, s->overlap_cycles),
          s->n_critical_path);
  for (int e = 0; e < s->n_engines; e++)
    if (s->engines[e].n_tasks > 0 || s->engines[e].kind != SCHEDULE_TASK_SHAVE)
      fprintf(out, "  %-10s busy %6.1f%%  %11.2f us  %5d tasks\n", s->engines[e].name,
              100.0 * (double)s->engines[e].busy_cycles / lat, us(in, s->engines[e].busy_cycles),
              s->engines[e].n_tasks);
  if (!b)
    return;
  fprintf(out,
          "barriers: %d virtual, %d of %d physical ids used, peak %d live; dependencies %d "
          "(%d by FIFO order, %d transitive); %d merged, %d split\n",
          b->n_barriers, b->ids_used, b->barriers_max, b->peak_live, b->deps_total, b->deps_fifo,
          b->deps_transitive, b->merged, b->split);
  fprintf(out, "  serialisation: %d dependencies added, %.2f us of latency\n", b->n_serial,
          us(in, b->stall_cycles));
}

static void print_totals(const report_input_t *in, FILE *out) {
  report_totals_t t;
  report_totals(in, &t);
  const strat_plan_t *plan = in->chosen->plan;
  double latency_us = us(in, t.latency_cycles), bound_us = us(in, t.lower_bound_cycles);
  fprintf(out, "\ntotals:\n");
  fprintf(out, "  MACs             %lld\n", (long long)t.macs);
  fprintf(out, "  params           %lld\n", (long long)t.params);
  fprintf(out, "  compute_us       %.2f\n", us(in, t.compute_cycles));
  fprintf(out, "  dma_us           %.2f\n", us(in, t.dma_cycles));
  fprintf(out, "  latency_us       %.2f (%.1f fps)\n", latency_us,
          latency_us > 0 ? 1e6 / latency_us : 0.0);
  fprintf(out,
          "  lower_bound_us   %.2f (latency is %.2fx the bound: max of MACs at peak rate, "
          "%lld mandatory DMA bytes at full bandwidth)\n",
          bound_us, bound_us > 0 ? latency_us / bound_us : 0.0, (long long)t.mandatory_dma_bytes);
  if (in->chosen->schedule)
    fprintf(out, "  plan_latency_us  %.2f (the plan model: layers one after another)\n",
            us(in, t.plan_latency_cycles));
  fprintf(out, "  spill_bytes      %lld\n", (long long)plan->spill_bytes);
  fprintf(out, "  ddr_bytes        %lld\n", (long long)plan->ddr_bytes);
  fprintf(out, "  peak_cmx_bytes   %lld (per tile%s)\n",
          (long long)report_peak_cmx_bytes(in->chosen), in->chosen->alloc ? ", allocated" : "");
  if (in->chosen->alloc)
    fprintf(out, "  plan_peak_cmx    %lld (the plan model's sum of bytes per step)\n",
            (long long)plan->peak_cmx_bytes);
  fprintf(out, "  cost providers   analytic %d layers, lut %d layers\n", t.layers_by_provider[0],
          t.layers_by_provider[1]);
  if (in->timing)
    fprintf(out, "  solve_ms         %.2f\n", in->chosen->stats->solve_ms);
  if (in->chosen->schedule)
    print_schedule(in, in->chosen->schedule, in->chosen->barriers, out);
}

static void print_comparison(const report_input_t *in, FILE *out) {
  fprintf(out, "\nsolvers:\n  %-10s %12s %12s %12s %12s %14s %10s %8s %s\n", "solver", "latency_us",
          "plan_us", "spill_bytes", "ddr_bytes", "peak_cmx_bytes", "solve_ms", "gap", "status");
  for (int i = 0; i < in->n_comparison; i++) {
    const report_solver_run_t *r = &in->comparison[i];
    if (r->status != SCHED_OK) {
      fprintf(out, "  %-10s %s\n", r->solver, r->error_msg);
      continue;
    }
    char solve[32];
    snprintf(solve, sizeof solve, in->timing ? "%.2f" : "-", r->stats->solve_ms);
    fprintf(out, "  %-10s %12.2f %12.2f %12lld %12lld %14lld %10s %7.2f%% %s%s%s\n", r->solver,
            us(in, report_run_latency_cycles(r)), us(in, r->plan->latency_cycles),
            (long long)r->plan->spill_bytes, (long long)r->plan->ddr_bytes,
            (long long)report_peak_cmx_bytes(r), solve, 100.0 * r->stats->mip_gap,
            r->stats->optimal ? "optimal" : "feasible",
            r->kept_plan_of ? ", kept the plan of " : "", r->kept_plan_of ? r->kept_plan_of : "");
  }
}

void report_text(const report_input_t *in, FILE *out) {
  print_header(in, out);
  print_layers(in, out);
  report_fallback_text(in, out);
  print_totals(in, out);
  report_alloc_text(in, out);
  if (in->comparison)
    print_comparison(in, out);
}
