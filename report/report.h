/* report.h - turns a planned network into what people and scripts read:
 * a text table, JSON (cJSON) and CSV. Reports only read the pipeline's
 * results; every number they print is derived here from the plan model, so
 * the three formats agree. */
#ifndef SCHED_REPORT_H
#define SCHED_REPORT_H

#include <stdio.h>

#include "schedule/schedule.h"
#include "strategies/strategies.h"

/* One solver's result, for the --solver all comparison. */
typedef struct {
  const char *solver;
  const strat_plan_t *plan;
  const strat_stats_t *stats;
  int status;            /* SCHED_OK, or why it produced no plan */
  const char *error_msg; /* when status != SCHED_OK */
  /* The plan's scheduled timeline and barrier program, or NULL. When set,
   * latency_us everywhere is the scheduled latency; the plan model's sum of
   * layer costs stays visible as plan_latency_us. */
  const schedule_t *schedule;
  const schedule_barriers_t *barriers;
  /* The plan's CMX allocation (buffers, layout, repairs), or NULL. When
   * set, peak_cmx_bytes is the allocated peak; the plan model's stays
   * visible as plan_peak_cmx_bytes. */
  const schedule_alloc_t *alloc;
  /* ilp: the incumbent solver whose plan it kept because that plan
   * schedules faster than the MIP's own (tools/pipeline.c), or NULL */
  const char *kept_plan_of;
  /* ilp: the window cap (steps) of the plan it kept because that plan
   * schedules faster once allocated than its own with windows as room
   * allows (which then scheduled at uncapped_latency_cycles); 0: none */
  int32_t window_cap_steps;
  int64_t uncapped_latency_cycles;
  /* The plan model has no barriers: when barrier serialisation put a
   * run's schedule more than 3% off its plan, every solver ran again with
   * prefetch windows capped at barrier_cap_steps (tools/pipeline.c).
   * barrier_capped: this run's windows are within that cap; its plan from
   * before the cap scheduled at barrier_uncapped_latency_cycles (0: the
   * barriers did not suffice for it at all). */
  bool barrier_capped;
  int32_t barrier_cap_steps;
  int64_t barrier_uncapped_latency_cycles;
} report_solver_run_t;

/* One rung of --ladder (tools/pipeline.h): its budget, the scheduled
 * latency of the solver's own plan there and of the plan kept, the rung
 * below's where that schedules faster. */
typedef struct {
  int64_t cmx_bytes;
  int64_t own_latency_cycles;
  int64_t latency_cycles;
  char kept_plan_of[48]; /* the rung whose plan it kept, "" for its own */
} report_ladder_rung_t;

typedef struct {
  const char *net_spec;  /* what the user asked for */
  const char *cost_spec; /* "analytic" or "lut:FILE" */
  const ir_graph_t *g;
  const arch_t *arch;
  const strat_problem_t *problem;
  const report_solver_run_t *chosen;     /* the plan reported per layer */
  const report_solver_run_t *comparison; /* all solvers run, or NULL */
  int n_comparison;
  bool timing;                        /* print solve times; off for byte-identical output */
  bool verbose;                       /* text: every constant, and the wide layer table */
  const char *command_line;           /* how sched was run, for provenance (or NULL) */
  const report_ladder_rung_t *ladder; /* --ladder: the rungs up to the budget, or NULL */
  int n_ladder;
} report_input_t;

/* Per-layer figures derived from the plan model. */
typedef struct {
  int64_t compute_cycles;
  int64_t dma_cycles; /* weights + activations paid under the plan */
  int64_t latency_cycles;
  bool input_spilled, output_spilled;
  const char *bound; /* "compute", "dma", "shave", "-" */
  int64_t macs;
  int64_t ddr_bytes; /* weights, spills and slices moved through DDR */
  /* MACs / (latency x peak MACs per cycle of the clusters the layer uses),
   * in %; -1 when the layer does not run on the DPU (Vela's Util%). */
  double util_pct;
  double network_pct; /* share of the plan model's latency, in % (Vela's Network%) */
} report_layer_t;

typedef struct {
  int64_t macs, params;
  int64_t compute_cycles, dma_cycles, latency_cycles;
  int64_t plan_latency_cycles; /* the plan model's; latency_cycles is scheduled when known */
  int64_t lower_bound_cycles;  /* max(MACs at peak, mandatory DMA at full bandwidth) */
  int64_t mandatory_dma_bytes;
  int32_t layers_by_provider[2]; /* [0] analytic, [1] other (lut) */
} report_totals_t;

/* What the layer is: "depthwise_conv", "conv", "maxpool", ... */
const char *report_op_name(const ir_graph_t *g, const ir_op_t *op);
/* Peak MACs per cycle of one cluster for a dtype (fp16 at half rate). */
double report_cluster_peak_macs_per_cycle(const arch_t *arch, ir_dtype_t dt);

/* "none", "in", "out" or "in+out": which of a layer's tensors cross DDR. */
const char *report_spill_name(const report_layer_t *f);
/* The layers' own latencies summed: what network_pct shares out. */
int64_t report_layers_cycles(const report_input_t *in);
/* A layer's figures; layers_cycles is report_layers_cycles(in), computed
 * once per table (per layer, the table would cost O(n^2)). */
void report_layer_figures(const report_input_t *in, int layer, int64_t layers_cycles,
                          report_layer_t *out);
void report_totals(const report_input_t *in, report_totals_t *out);

/* ---- fallback.c: layers that run on the host CPU ---- */

/* The fallback table (nothing when every layer runs on the NPU): place in
 * the network, NPU/CPU transfers through DDR, bytes, CPU and DDR time. */
void report_fallback_text(const report_input_t *in, FILE *out);
/* The same as a JSON array (empty when none), then one entry {"solver",
 * "plan", "from_layer", "reason"} per solver run that returned another
 * solver's plan because its limits struck first (the ILP at scale);
 * NULL when cJSON fails. */
struct cJSON *report_fallback_json(const report_input_t *in);
/* That solver fallback as one `sched: warning:` line (nothing without one). */
void report_solver_fallback_warning(const report_solver_run_t *run, const strat_problem_t *p,
                                    FILE *out);

struct cJSON;
/* Prints a cJSON document (pretty or on one line) and a newline to out, and
 * deletes it; SCHED_ERR_NOMEM when cJSON cannot print it. */
int report_json_emit(struct cJSON *root, bool pretty, FILE *out);

void report_text(const report_input_t *in, FILE *out);
/* Returns SCHED_ERR_NOMEM when cJSON cannot build the document. */
int report_json(const report_input_t *in, FILE *out);
/* ---- csv.c: RFC 4180 tables (common/csv.h) ---- */

/* One row per layer (units in the column names) and a TOTAL row whose
 * additive columns are the sums of the column above. */
void report_csv_layers(const report_input_t *in, FILE *out);
/* One header row and one row: the run's header and totals, as in the JSON.
 * SCHED_ERR_NOMEM when cJSON fails. */
int report_csv_summary(const report_input_t *in, FILE *out);
/* One row per solver of the --solver all comparison. */
void report_csv_solvers(const report_input_t *in, FILE *out);
/* One row per rung of --ladder: cmx_bytes, own_latency_us, latency_us,
 * plan_of ("own" or the rung whose plan it kept). */
void report_csv_ladder(const report_input_t *in, FILE *out);
/* --format csv: the solver table with a comparison, else the layer table. */
void report_csv(const report_input_t *in, FILE *out);
/* What made an output: {"sched_version", "git_revision", "command_line",
 * "arch_constants": arch_to_json}. */
struct cJSON *report_provenance_json(const char *command_line, const arch_t *arch);
/* The JSON report's leading fields (the provenance, then net, arch,
 * cmx_bytes, cost, objective) and its "totals" object; NULL when cJSON
 * fails. */
struct cJSON *report_header_json(const report_input_t *in);
struct cJSON *report_totals_json(const report_input_t *in);
/* A run's latency: scheduled when it has a schedule, else the plan model's. */
int64_t report_run_latency_cycles(const report_solver_run_t *run);

/* ---- alloc.c: the CMX allocation (per tile peak, lower bound, repairs) ---- */

/* A run's peak CMX per tile: allocated when it has an allocation, else the
 * plan model's. */
int64_t report_peak_cmx_bytes(const report_solver_run_t *run);
/* The allocation table and the repairs (nothing without an allocation). */
void report_alloc_text(const report_input_t *in, FILE *out);
/* {"allocator", "fits", "buffers", "capacity_bytes", "peak_bytes",
 * "lower_bound_bytes", "overhead_pct", "prefetch_short_layers", "tiles":
 * [...], "repairs": [...]}, or NULL without an allocation. */
struct cJSON *report_alloc_json(const report_input_t *in);
/* Adds peak_cmx_bytes (allocated), plan_peak_cmx_bytes and, with an
 * allocation, cmx_lower_bound_bytes, alloc_overhead_pct and allocation. */
void report_alloc_totals_json(const report_input_t *in, struct cJSON *totals);

/* ---- memory_map.c: a picture of the CMX allocation ---- */

/* SVG: steps on x, address on y, one labelled <rect class="buf"> per
 * buffer, capacity and lower-bound lines. SCHED_ERR_INPUT when writing
 * fails. */
int report_memory_map(const strat_problem_t *p, const schedule_alloc_t *a, const char *net,
                      FILE *out);

/* ---- trace.c, svg.c: pictures of a schedule ---- */

typedef struct {
  const schedule_graph_t *g;
  const schedule_t *s;
  const schedule_barriers_t *b;  /* or NULL: no barrier instants and flows */
  const schedule_alloc_t *alloc; /* or NULL: no CMX counter */
  const arch_t *arch;
  const char *net;
  const struct cJSON *metadata; /* copied into otherData (provenance), or NULL */
} report_trace_input_t;

/* Chrome trace event JSON for Perfetto and chrome://tracing: layer tracks,
 * a track per DMA port, DPU and SHAVE, barrier instants and flows bound to
 * their slices, counters of CMX bytes per tile and of DDR GB/s averaged over
 * fixed windows (a 1-2-5 step of at least 100 ns, at most 500 of them); times in
 * whole nanoseconds. SCHED_ERR_NOMEM when cJSON fails. */
int report_trace(const report_trace_input_t *in, FILE *out);
/* A time window of a schedule, in microseconds. */
typedef struct {
  double start_us, end_us;
} report_svg_range_t;

/* An SVG Gantt chart of the engines, tasks coloured by category (compute,
 * weight / input / output / spill DMA, broadcast) with a legend of those,
 * layer names on the compute tasks that hold them, a time axis; range NULL
 * draws the whole schedule. SCHED_ERR_INPUT when range misses the
 * schedule. */
int report_svg(const schedule_graph_t *g, const schedule_t *s, const arch_t *arch, const char *net,
               const report_svg_range_t *range, FILE *out);

#endif
