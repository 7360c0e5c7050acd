/* csv.c - the report for spreadsheets: one row per layer, then a totals row
 * (layer name "TOTAL"). Times in microseconds. */
#include "report/report.h"

void report_csv(const report_input_t *in, FILE *out) {
  fprintf(out,
          "layer,op,out_c,out_h,out_w,macs,params,engine,strategy,tiles,tile_axis,"
          "pipelined,region,spill,compute_us,dma_us,latency_us,bound%s\n",
          in->chosen->schedule ? ",start_us,end_us,overlap_us,stall_us,sched_bound" : "");
  for (int l = 0; l < in->problem->n_layers; l++) {
    int opi = in->problem->layers[l].op;
    const ir_op_t *op = &in->g->ops[opi];
    const strat_candidate_t *c = &in->problem->layers[l].cands[in->chosen->plan->cand[l]];
    ir_shape_t s = in->g->tensors[op->output].shape;
    report_layer_t f;
    report_layer_figures(in, l, &f);
    fprintf(out, "%s,%s,%lld,%lld,%lld,%lld,%lld,%s,%s,%d,%s,%d,%d,%s,%.3f,%.3f,%.3f,%s", op->name,
            ir_op_kind_name(op->kind), (long long)s.c, (long long)s.h, (long long)s.w,
            (long long)ir_op_macs(in->g, opi), (long long)ir_op_params(in->g, opi),
            cost_engine_name(c->cost.engine), tiling_strategy_name(c->choice.strategy),
            c->choice.tiles, tiling_axis_name(c->choice.axis), c->choice.pipelined, c->region,
            report_spill_name(&f), arch_cycles_to_us(in->arch, f.compute_cycles),
            arch_cycles_to_us(in->arch, f.dma_cycles),
            arch_cycles_to_us(in->arch, f.latency_cycles), f.bound);
    if (in->chosen->schedule) {
      const schedule_layer_time_t *lt = &in->chosen->schedule->layers[l];
      fprintf(out, ",%.3f,%.3f,%.3f,%.3f,%s", arch_cycles_to_us(in->arch, lt->start_cycles),
              arch_cycles_to_us(in->arch, lt->end_cycles),
              arch_cycles_to_us(in->arch, lt->overlap_cycles),
              arch_cycles_to_us(in->arch, lt->stall_cycles), lt->bound);
    }
    fputc('\n', out);
  }
  report_totals_t t;
  report_totals(in, &t);
  fprintf(out, "TOTAL,,,,,%lld,%lld,,,,,,,%.3f,%.3f,%.3f,%s\n", (long long)t.macs,
          (long long)t.params, arch_cycles_to_us(in->arch, t.compute_cycles),
          arch_cycles_to_us(in->arch, t.dma_cycles), arch_cycles_to_us(in->arch, t.latency_cycles),
          in->chosen->schedule ? ",,,,," : "");
}
