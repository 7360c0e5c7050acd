/* csv.c - the reports for spreadsheets (RFC 4180, common/csv.h), in the
 * pair Vela writes: a per-layer table ending in a TOTAL row, and a one-row
 * summary; plus one row per solver for --solver all.
 *
 * Times are microseconds printed to the nanosecond. The TOTAL row of an
 * additive column is the sum of the printed values above it (summed in
 * integer nanoseconds or hundredths), so a spreadsheet's SUM() agrees with
 * it exactly; util_pct's total is the network's utilisation, not a sum. */
#include "common/csv.h"
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

/* The columns a layer row has, in order; the scheduled ones only with a
 * schedule. Units are in the names. */
static const char *const layer_cols[] = {
    "layer",      "op",         "act",      "fused_ops",   "out_c",     "out_h",
    "out_w",      "macs",       "params",   "engine",      "strategy",  "slices",
    "slice_axis", "pipelined",  "region",   "spill",       "ddr_bytes", "compute_us",
    "dma_us",     "latency_us", "util_pct", "network_pct", "bound"};
static const char *const sched_cols[] = {"start_us", "end_us", "overlap_us", "stall_us",
                                         "sched_bound"};

/* Running sums of the additive columns, in the printed precision. */
typedef struct {
  int64_t macs, params, ddr_bytes;
  int64_t compute_ns, dma_ns, latency_ns, overlap_ns, stall_ns;
  int64_t network_centi_pct;
} layer_sums_t;

static int64_t ns(const report_input_t *in, int64_t cycles) {
  return llround(arch_cycles_to_us(in->arch, cycles) * 1e3);
}

/* A time in us from integer nanoseconds, as printed everywhere. */
static void field_ns(sched_csv_writer_t *w, int64_t t_ns) {
  sched_csv_fieldf(w, "%s%lld.%03lld", t_ns < 0 ? "-" : "", llabs(t_ns) / 1000, llabs(t_ns) % 1000);
}

static void field_i64(sched_csv_writer_t *w, int64_t v) {
  sched_csv_fieldf(w, "%lld", (long long)v);
}

static void field_centi(sched_csv_writer_t *w, int64_t centi) {
  sched_csv_fieldf(w, "%lld.%02lld", (long long)(centi / 100), (long long)(centi % 100));
}

static void header(sched_csv_writer_t *w, bool scheduled) {
  for (int i = 0; i < SCHED_ARRAY_LEN(layer_cols); i++)
    sched_csv_field(w, layer_cols[i]);
  for (int i = 0; scheduled && i < SCHED_ARRAY_LEN(sched_cols); i++)
    sched_csv_field(w, sched_cols[i]);
  sched_csv_end_row(w);
}

static void layer_row(const report_input_t *in, int l, int64_t layers_cycles, sched_csv_writer_t *w,
                      layer_sums_t *sum) {
  int opi = in->problem->layers[l].op;
  const ir_op_t *op = &in->g->ops[opi];
  const strat_candidate_t *c = &in->problem->layers[l].cands[in->chosen->plan->cand[l]];
  ir_shape_t s = in->g->tensors[op->output].shape;
  report_layer_t f;
  report_layer_figures(in, l, layers_cycles, &f);
  sched_csv_field(w, op->name);
  sched_csv_field(w, report_op_name(in->g, op));
  sched_csv_field(w, op->fused_act ? ir_op_kind_name(op->fused_act) : "");
  sched_csv_field(w, op->fused_name ? op->fused_name : "");
  const int64_t dims[] = {s.c, s.h, s.w, f.macs, ir_op_params(in->g, opi)};
  for (int i = 0; i < SCHED_ARRAY_LEN(dims); i++)
    field_i64(w, dims[i]);
  sched_csv_field(w, cost_engine_name(c->cost.engine));
  sched_csv_field(w, tiling_strategy_name(c->choice.strategy));
  field_i64(w, c->choice.tiles);
  sched_csv_field(w, tiling_axis_name(c->choice.axis));
  field_i64(w, c->choice.pipelined);
  field_i64(w, c->region);
  sched_csv_field(w, report_spill_name(&f));
  field_i64(w, f.ddr_bytes);
  const int64_t t_ns[] = {ns(in, f.compute_cycles), ns(in, f.dma_cycles), ns(in, f.latency_cycles)};
  for (int i = 0; i < 3; i++)
    field_ns(w, t_ns[i]);
  if (f.util_pct >= 0)
    field_centi(w, llround(f.util_pct * 100));
  else
    sched_csv_field(w, "");
  int64_t net_centi = llround(f.network_pct * 100);
  field_centi(w, net_centi);
  sched_csv_field(w, f.bound);
  *sum = (layer_sums_t){sum->macs + f.macs,
                        sum->params + ir_op_params(in->g, opi),
                        sum->ddr_bytes + f.ddr_bytes,
                        sum->compute_ns + t_ns[0],
                        sum->dma_ns + t_ns[1],
                        sum->latency_ns + t_ns[2],
                        sum->overlap_ns,
                        sum->stall_ns,
                        sum->network_centi_pct + net_centi};
  if (in->chosen->schedule) {
    const schedule_layer_time_t *lt = &in->chosen->schedule->layers[l];
    const int64_t st[] = {ns(in, lt->start_cycles), ns(in, lt->end_cycles),
                          ns(in, lt->overlap_cycles), ns(in, lt->stall_cycles)};
    for (int i = 0; i < 4; i++)
      field_ns(w, st[i]);
    sched_csv_field(w, lt->bound);
    sum->overlap_ns += st[2];
    sum->stall_ns += st[3];
  }
  sched_csv_end_row(w);
}

/* The network's MAC utilisation: all MACs over the plan model's latency at
 * the whole NPU's peak (the dtype of the first layer's input). */
static double network_util_pct(const report_input_t *in, const report_totals_t *t) {
  const ir_graph_t *g = in->g;
  if (in->problem->n_layers == 0 || t->plan_latency_cycles <= 0)
    return 0;
  const ir_op_t *op = &g->ops[in->problem->layers[0].op];
  double peak = report_cluster_peak_macs_per_cycle(in->arch, g->tensors[op->inputs[0]].dtype) *
                in->arch->tiles;
  return 100.0 * (double)t->macs / ((double)t->plan_latency_cycles * peak);
}

static void total_row(const report_input_t *in, const layer_sums_t *sum, sched_csv_writer_t *w) {
  report_totals_t t;
  report_totals(in, &t);
  sched_csv_field(w, "TOTAL");
  for (int i = 1; i < 7; i++) /* op .. out_w */
    sched_csv_field(w, "");
  field_i64(w, sum->macs);
  field_i64(w, sum->params);
  for (int i = 9; i < 16; i++) /* engine .. spill */
    sched_csv_field(w, "");
  field_i64(w, sum->ddr_bytes);
  field_ns(w, sum->compute_ns);
  field_ns(w, sum->dma_ns);
  field_ns(w, sum->latency_ns);
  field_centi(w, llround(network_util_pct(in, &t) * 100));
  field_centi(w, sum->network_centi_pct);
  sched_csv_field(w, "");
  if (in->chosen->schedule) {
    sched_csv_field(w, "");
    field_ns(w, ns(in, in->chosen->schedule->latency_cycles)); /* the network ends here */
    field_ns(w, sum->overlap_ns);
    field_ns(w, sum->stall_ns);
    sched_csv_field(w, "");
  }
  sched_csv_end_row(w);
}

void report_csv_layers(const report_input_t *in, FILE *out) {
  sched_csv_writer_t w = {.out = out};
  header(&w, in->chosen->schedule != NULL);
  layer_sums_t sum = {0};
  int64_t layers_cycles = report_layers_cycles(in);
  for (int l = 0; l < in->problem->n_layers; l++)
    layer_row(in, l, layers_cycles, &w, &sum);
  total_row(in, &sum, &w);
}

/* One field per item of a flat cJSON object, as header or as values. */
static void json_fields(const cJSON *obj, bool names, sched_csv_writer_t *w) {
  const cJSON *f;
  cJSON_ArrayForEach(f, obj) {
    if (cJSON_IsObject(f) || cJSON_IsArray(f))
      continue;
    if (names) {
      sched_csv_field(w, f->string);
    } else if (cJSON_IsNumber(f)) {
      char buf[64];
      sched_csv_format_number(f->valuedouble, buf, sizeof buf);
      sched_csv_field(w, buf);
    } else if (cJSON_IsString(f)) {
      sched_csv_field(w, f->valuestring);
    } else {
      sched_csv_field(w, cJSON_IsTrue(f) ? "true" : "false");
    }
  }
}

int report_csv_summary(const report_input_t *in, FILE *out) {
  cJSON *head = report_header_json(in), *totals = report_totals_json(in);
  int rc = head && totals ? SCHED_OK : SCHED_ERR_NOMEM;
  if (rc == SCHED_OK) {
    sched_csv_writer_t w = {.out = out};
    for (int pass = 0; pass < 2; pass++) {
      json_fields(head, pass == 0, &w);
      json_fields(totals, pass == 0, &w);
      sched_csv_end_row(&w);
    }
  }
  cJSON_Delete(head);
  cJSON_Delete(totals);
  return rc;
}

/* A table's first row: its column names. */
static void header_row(sched_csv_writer_t *w, const char *const *cols, int n_cols) {
  for (int i = 0; i < n_cols; i++)
    sched_csv_field(w, cols[i]);
  sched_csv_end_row(w);
}

void report_csv_solvers(const report_input_t *in, FILE *out) {
  static const char *const cols[] = {
      "solver",         "latency_us", "plan_latency_us", "spill_bytes", "ddr_bytes",
      "peak_cmx_bytes", "solve_ms",   "mip_gap_pct",     "status",      "error"};
  sched_csv_writer_t w = {.out = out};
  header_row(&w, cols, SCHED_ARRAY_LEN(cols));
  for (int i = 0; i < in->n_comparison; i++) {
    const report_solver_run_t *r = &in->comparison[i];
    sched_csv_field(&w, r->solver);
    if (r->status != SCHED_OK) {
      for (int k = 1; k < 8; k++)
        sched_csv_field(&w, "");
      sched_csv_field(&w, sched_status_name(r->status));
      sched_csv_field(&w, r->error_msg);
      sched_csv_end_row(&w);
      continue;
    }
    field_ns(&w, ns(in, report_run_latency_cycles(r)));
    field_ns(&w, ns(in, r->plan->latency_cycles));
    field_i64(&w, r->plan->spill_bytes);
    field_i64(&w, r->plan->ddr_bytes);
    field_i64(&w, report_peak_cmx_bytes(r));
    sched_csv_fieldf(&w, "%.3f", in->timing ? r->stats->solve_ms : 0.0);
    sched_csv_fieldf(&w, "%.2f", 100.0 * r->stats->mip_gap);
    sched_csv_field(&w, r->stats->optimal ? "optimal" : "feasible");
    sched_csv_field(&w, "");
    sched_csv_end_row(&w);
  }
}

void report_csv_ladder(const report_input_t *in, FILE *out) {
  static const char *const cols[] = {"cmx_bytes", "own_latency_us", "latency_us", "plan_of"};
  sched_csv_writer_t w = {.out = out};
  header_row(&w, cols, SCHED_ARRAY_LEN(cols));
  for (int i = 0; i < in->n_ladder; i++) {
    const report_ladder_rung_t *r = &in->ladder[i];
    field_i64(&w, r->cmx_bytes);
    field_ns(&w, ns(in, r->own_latency_cycles));
    field_ns(&w, ns(in, r->latency_cycles));
    sched_csv_field(&w, r->kept_plan_of[0] ? r->kept_plan_of : "own");
    sched_csv_end_row(&w);
  }
}

void report_csv(const report_input_t *in, FILE *out) {
  if (in->comparison)
    report_csv_solvers(in, out);
  else
    report_csv_layers(in, out);
}
