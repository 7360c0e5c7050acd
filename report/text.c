/* text.c - the report for people: header with the constants in force, one
 * row per layer, totals with the lower bound, and the solver comparison. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

static double us(const report_input_t *in, int64_t cycles) {
  return arch_cycles_to_us(in->arch, cycles);
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
  if (in->verbose) {
    fprintf(out, "# constants in force:\n");
    arch_describe(in->arch, out);
  } else {
    const arch_t *a = in->arch;
    fprintf(out,
            "# %d tiles x %d DPU x %d MACs/cycle (u8) at %.0f MHz, DDR %.1f GB/s, %d DMA ports "
            "(--verbose: every constant)\n",
            a->tiles, a->dpus_per_tile, a->macs_per_cycle_int8, a->dpu_clock_mhz,
            a->ddr_bandwidth_gbps, a->dma_ports);
  }
  fputc('\n', out);
}

/* ---- the layer table: one column table, three groups ---- */

/* What a cell is formatted from. */
typedef struct {
  const report_input_t *in;
  const ir_op_t *op;
  const strat_candidate_t *c;
  report_layer_t f;
  const schedule_layer_time_t *lt; /* NULL without a schedule */
  int64_t plan_end_cycles;         /* its compute end on the plan model's clock */
} cell_src_t;

typedef void (*cell_fn_t)(const cell_src_t *s, char *buf, size_t n);

/* The layer and its plan (the solver's choice), then the plan model
 * (the layer's own costs, and its end on the plan model's clock,
 * strategies/timeline.c) and the schedule's clock (the simulated
 * timeline). The captions name the model and unit. */
enum { GROUP_LAYER, GROUP_PLAN_MODEL, GROUP_SCHEDULE, GROUP_COUNT };
static const char *const group_captions[GROUP_COUNT] = {"", "plan model (us)",
                                                        "schedule (us, tasks)"};

typedef struct {
  const char *head;
  int width; /* negative: left-aligned; 0: the name column's width */
  int group;
  bool verbose; /* only with --verbose */
  cell_fn_t cell;
} text_col_t;

static void cell_name(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", s->op->name);
}
static void cell_op(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", report_op_name(s->in->g, s->op));
}
static void cell_act(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", s->op->fused_act ? ir_op_kind_name(s->op->fused_act) : "-");
}
static void cell_shape(const cell_src_t *s, char *buf, size_t n) {
  ir_shape_t sh = s->in->g->tensors[s->op->output].shape;
  snprintf(buf, n, "%lldx%lldx%lld", (long long)sh.c, (long long)sh.h, (long long)sh.w);
}
static void cell_macs(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%lld", (long long)s->f.macs);
}
static void cell_engine(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", cost_engine_name(s->c->cost.engine));
}
static void cell_strategy(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", tiling_strategy_name(s->c->choice.strategy));
}
/* "9Hp": 9 slices along H, pipelined; "1": not sliced. */
static void cell_slices(const cell_src_t *s, char *buf, size_t n) {
  const tiling_choice_t *ch = &s->c->choice;
  if (ch->tiles == 1)
    snprintf(buf, n, "1");
  else
    snprintf(buf, n, "%d%s%s", ch->tiles, tiling_axis_name(ch->axis), ch->pipelined ? "p" : "");
}
static void cell_region(const cell_src_t *s, char *buf, size_t n) {
  if (s->c->region >= 0)
    snprintf(buf, n, "r%d", s->c->region);
  else
    snprintf(buf, n, "-");
}
static void cell_mode(const cell_src_t *s, char *buf, size_t n) {
  tiling_mode_label(&s->c->cost, buf, n);
}
static void cell_spill(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", report_spill_name(&s->f));
}
static void cell_us(const cell_src_t *s, int64_t cycles, char *buf, size_t n) {
  snprintf(buf, n, "%.2f", us(s->in, cycles));
}
static void cell_compute(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->f.compute_cycles, buf, n);
}
static void cell_dma(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->f.dma_cycles, buf, n);
}
static void cell_plan_end(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->plan_end_cycles, buf, n);
}
static void cell_latency(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->f.latency_cycles, buf, n);
}
static void cell_util(const cell_src_t *s, char *buf, size_t n) {
  if (s->f.util_pct >= 0)
    snprintf(buf, n, "%.1f", s->f.util_pct);
  else
    snprintf(buf, n, "-");
}
static void cell_network(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%.1f", s->f.network_pct);
}
static void cell_bound(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", s->f.bound);
}
static void cell_start(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->lt->start_cycles, buf, n);
}
static void cell_end(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->lt->end_cycles, buf, n);
}
static void cell_overlap(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->lt->overlap_cycles, buf, n);
}
static void cell_stall(const cell_src_t *s, char *buf, size_t n) {
  cell_us(s, s->lt->stall_cycles, buf, n);
}
static void cell_sched_bound(const cell_src_t *s, char *buf, size_t n) {
  snprintf(buf, n, "%s", s->lt->bound);
}

static const text_col_t text_cols[] = {
    {"layer", 0, GROUP_LAYER, false, cell_name},
    {"op", -15, GROUP_LAYER, false, cell_op},
    {"act", -10, GROUP_LAYER, true, cell_act},
    {"out CxHxW", -11, GROUP_LAYER, false, cell_shape},
    {"MACs", 12, GROUP_LAYER, true, cell_macs},
    {"engine", -6, GROUP_LAYER, false, cell_engine},
    {"strategy", -10, GROUP_LAYER, false, cell_strategy},
    {"slices", -6, GROUP_LAYER, false, cell_slices},
    {"stream", -6, GROUP_LAYER, true, cell_region},
    {"mode", -10, GROUP_LAYER, true, cell_mode},
    {"spill", -6, GROUP_LAYER, false, cell_spill},
    {"compute", 9, GROUP_PLAN_MODEL, false, cell_compute},
    {"dma", 8, GROUP_PLAN_MODEL, false, cell_dma},
    {"latency", 9, GROUP_PLAN_MODEL, false, cell_latency},
    {"util%", 5, GROUP_PLAN_MODEL, false, cell_util},
    {"net%", 5, GROUP_PLAN_MODEL, false, cell_network},
    {"bound", -7, GROUP_PLAN_MODEL, false, cell_bound},
    {"end", 9, GROUP_PLAN_MODEL, true, cell_plan_end},
    {"start", 9, GROUP_SCHEDULE, false, cell_start},
    {"end", 9, GROUP_SCHEDULE, false, cell_end},
    {"overlap", 9, GROUP_SCHEDULE, true, cell_overlap},
    {"stall", 8, GROUP_SCHEDULE, true, cell_stall},
    {"bound", -7, GROUP_SCHEDULE, false, cell_sched_bound},
};

/* Longer names are cut so that the default table fits 160 columns. */
#define NAME_WIDTH_MAX 19
#define NAME_WIDTH_MAX_VERBOSE 40

static int name_width(const report_input_t *in) {
  int w = 5;
  for (int l = 0; l < in->problem->n_layers; l++)
    w = SCHED_MAX(w, (int)strlen(in->g->ops[in->problem->layers[l].op].name));
  return SCHED_MIN(w, in->verbose ? NAME_WIDTH_MAX_VERBOSE : NAME_WIDTH_MAX);
}

static bool col_shown(const report_input_t *in, const text_col_t *c) {
  return (in->verbose || !c->verbose) && (c->group != GROUP_SCHEDULE || in->chosen->schedule);
}

static int col_width(const text_col_t *c, int nw) { return c->width ? abs(c->width) : nw; }

/* Prints one cell, cut to its width, after the separator from the previous
 * shown column's group (-1: first). */
static void print_cell(const text_col_t *c, int prev_group, int nw, const char *text, FILE *out) {
  int w = col_width(c, nw);
  if (prev_group >= 0)
    fputs(prev_group != c->group ? " | " : " ", out);
  fprintf(out, c->width > 0 ? "%*.*s" : "%-*.*s", w, w, text);
}

/* The captions line: each clock's caption over its group of columns. */
static void print_captions(const report_input_t *in, int nw, FILE *out) {
  int width[GROUP_COUNT] = {0}, prev = -1;
  for (int i = 0; i < SCHED_ARRAY_LEN(text_cols); i++) {
    const text_col_t *c = &text_cols[i];
    if (!col_shown(in, c))
      continue;
    width[c->group] += col_width(c, nw) + (prev == c->group ? 1 : 0);
    prev = c->group;
  }
  fprintf(out, "%*s", width[GROUP_LAYER], "");
  for (int g = GROUP_PLAN_MODEL; g < GROUP_COUNT; g++)
    if (width[g] > 0)
      fprintf(out, " | %-*.*s", width[g], width[g], group_captions[g]);
  fputc('\n', out);
}

/* One line of the table: the headers (src NULL) or a layer's cells. */
static void print_row(const report_input_t *in, const cell_src_t *src, int nw, FILE *out) {
  int prev = -1;
  for (int i = 0; i < SCHED_ARRAY_LEN(text_cols); i++) {
    const text_col_t *c = &text_cols[i];
    if (!col_shown(in, c))
      continue;
    char buf[128];
    if (src)
      c->cell(src, buf, sizeof buf);
    print_cell(c, prev, nw, src ? buf : c->head, out);
    prev = c->group;
  }
  fputc('\n', out);
}

static void print_layers(const report_input_t *in, FILE *out) {
  int nw = name_width(in);
  print_captions(in, nw, out);
  print_row(in, NULL, nw, out);
  int64_t *plan_end = sched_xmalloc((size_t)SCHED_MAX(in->problem->n_layers, 1) * sizeof *plan_end);
  strat_plan_latency_cycles(in->problem, in->chosen->plan, plan_end);
  int64_t layers_cycles = report_layers_cycles(in);
  for (int l = 0; l < in->problem->n_layers; l++) {
    cell_src_t src = {.in = in,
                      .op = &in->g->ops[in->problem->layers[l].op],
                      .c = &in->problem->layers[l].cands[in->chosen->plan->cand[l]],
                      .lt = in->chosen->schedule ? &in->chosen->schedule->layers[l] : NULL,
                      .plan_end_cycles = plan_end[l]};
    report_layer_figures(in, l, layers_cycles, &src.f);
    print_row(in, &src, nw, out);
  }
  free(plan_end);
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
    fprintf(out, "  plan_latency_us  %.2f (the plan model's clock: layers pipelined with DMA)\n",
            us(in, t.plan_latency_cycles));
  if (in->chosen->stats->mip_latency_cycles > 0 && !in->chosen->kept_plan_of)
    fprintf(out,
            "  mip_plan_us      %.2f (the MIP's own plan on that clock; a local search on the "
            "clock then kept %d candidate or spill moves)\n",
            us(in, in->chosen->stats->mip_latency_cycles), (int)in->chosen->stats->clock_moves);
  if (in->chosen->stats->mip_latency_cycles > 0 && !in->chosen->kept_plan_of)
    fprintf(out, "  mip_gap          %.2f%% (%s)\n", 100.0 * in->chosen->stats->mip_gap,
            in->chosen->stats->optimal
                ? "proved: no plan is faster on the plan clock at the prefetch windows the MIP "
                  "was given"
                : "the MIP stopped at its node or time limit this far above its bound");
  if (in->chosen->kept_plan_of)
    fprintf(out, "  plan_of          %s (it schedules faster than the solver's own plan)\n",
            in->chosen->kept_plan_of);
  if (in->chosen->window_cap_steps > 0)
    fprintf(out,
            "  window_cap       %d steps (the plan's prefetch windows are capped; with windows "
            "as room allows its layout scheduled at %.2f us)\n",
            (int)in->chosen->window_cap_steps, us(in, in->chosen->uncapped_latency_cycles));
  if (in->chosen->barrier_capped && in->chosen->barrier_uncapped_latency_cycles > 0)
    fprintf(out,
            "  barrier_cap      %d steps (with windows as room allows the barrier program "
            "serialised tasks; every solver ran again with windows capped here; the plan "
            "without the cap scheduled at %.2f us)\n",
            (int)in->chosen->barrier_cap_steps,
            us(in, in->chosen->barrier_uncapped_latency_cycles));
  else if (in->chosen->barrier_capped)
    fprintf(out,
            "  barrier_cap      %d steps (with windows as room allows the barriers did not "
            "suffice for a barrier program; every solver ran again with windows capped here)\n",
            (int)in->chosen->barrier_cap_steps);
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
    char capped[48] = "";
    if (r->window_cap_steps > 0)
      snprintf(capped, sizeof capped, ", windows capped at %d steps", (int)r->window_cap_steps);
    else if (r->barrier_capped)
      snprintf(capped, sizeof capped, ", windows capped at %d steps for barriers",
               (int)r->barrier_cap_steps);
    fprintf(out, "  %-10s %12.2f %12.2f %12lld %12lld %14lld %10s %7.2f%% %s%s%s%s\n", r->solver,
            us(in, report_run_latency_cycles(r)), us(in, r->plan->latency_cycles),
            (long long)r->plan->spill_bytes, (long long)r->plan->ddr_bytes,
            (long long)report_peak_cmx_bytes(r), solve, 100.0 * r->stats->mip_gap,
            r->stats->optimal ? "optimal" : "feasible",
            r->kept_plan_of ? ", kept the plan of " : "", r->kept_plan_of ? r->kept_plan_of : "",
            capped);
  }
}

/* --ladder: the latency against CMX, the solver's own plan beside the
 * plan kept at each rung. */
static void print_ladder(const report_input_t *in, FILE *out) {
  fprintf(out,
          "\nladder (--ladder: each rung keeps the rung below's plan where it schedules faster):\n"
          "  %-10s %12s %12s  %s\n",
          "cmx", "own_us", "latency_us", "plan_of");
  for (int i = 0; i < in->n_ladder; i++) {
    const report_ladder_rung_t *r = &in->ladder[i];
    char cmx[32];
    snprintf(cmx, sizeof cmx, "%lldKB", (long long)(r->cmx_bytes >> 10));
    fprintf(out, "  %-10s %12.2f %12.2f  %s\n", cmx, us(in, r->own_latency_cycles),
            us(in, r->latency_cycles), r->kept_plan_of[0] ? r->kept_plan_of : "own");
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
  if (in->ladder)
    print_ladder(in, out);
}
