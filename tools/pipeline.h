/* pipeline.h - the planning pipeline as one call, for every command that
 * plans a network (run, advise, lut, ...):
 *
 *   arch -> network (ir) -> fuse PPE activations -> cost model ->
 *   candidates (tiling + cost) -> plan (solvers)
 *
 * Everything it builds lives in one pipeline_t, freed together. */
#ifndef SCHED_PIPELINE_H
#define SCHED_PIPELINE_H

#include "report/report.h"

#define PIPELINE_MAX_RUNS 16
#define PIPELINE_LADDER_MAX_RUNGS 64 /* --ladder: solves below the budget (16MB of CMX) */

typedef struct {
  const char *net;         /* zoo spec or .onnx/.json path (ignored when graph is set) */
  const ir_graph_t *graph; /* plan this graph (copied) instead of loading net, or NULL */
  const char *arch;        /* preset or arch file */
  const char *cmx;         /* CMX budget per tile, or NULL for the arch's */
  const char *cost;        /* "analytic" or "lut:FILE" */
  const char *solver;      /* a solver name, or "all" */
  strat_objective_t objective;
  double time_limit_s;
  int64_t ilp_nodes; /* ilp: branch-and-bound nodes (deterministic limit); 0: none */
  uint64_t seed;
  const char *lp_path;       /* ilp: write the model here, or NULL */
  const char *strategy_file; /* force layers' strategies, or NULL */
  ir_onnx_options_t onnx;
  const char *dump_ir;           /* write the loaded network (before fusion) as JSON IR, or NULL */
  int32_t prefetch_cap;          /* most steps weights load early; -1: as far as room allows */
  schedule_params_t schedule;    /* barrier count (schedule/schedule.h) */
  schedule_alloc_params_t alloc; /* CMX allocation: allocator, time limit, repairs */
  /* plan every 256KB rung below the budget too, each keeping the rung
   * below's plan when that schedules faster: more CMX never schedules
   * slower along the ladder, at one solve per rung */
  bool ladder;
  const char *ladder_step; /* the rungs' spacing ("128KB"), or NULL for 256KB */
} pipeline_options_t;

/* Defaults: vpu27, analytic cost, solver ilp, latency, 10 s, seed 1. */
pipeline_options_t pipeline_defaults(void);

typedef struct {
  arch_t arch;
  ir_graph_t graph;
  cost_model_t model;
  strat_problem_t problem;
  report_solver_run_t runs[PIPELINE_MAX_RUNS]; /* every solver run, in order */
  strat_plan_t plans[PIPELINE_MAX_RUNS];
  strat_stats_t stats[PIPELINE_MAX_RUNS];
  sched_diag_t run_diags[PIPELINE_MAX_RUNS];
  /* per successful run: its task graph, timeline and barrier program */
  schedule_graph_t tasks[PIPELINE_MAX_RUNS];
  schedule_t schedules[PIPELINE_MAX_RUNS];
  schedule_barriers_t barriers[PIPELINE_MAX_RUNS];
  schedule_alloc_t allocs[PIPELINE_MAX_RUNS]; /* CMX layout and the repairs it made */
  int n_runs;
  bool all_solvers;
  /* the ILP's plans under capped windows (strat_params_t.capped_out), each
   * allocated and scheduled in case it beats the ILP's own plan there */
  strat_plan_t capped[STRAT_WINDOW_CAPS];
  /* --ladder: every rung planned, the budget last; the chosen run's
   * kept_plan_of points into the last one */
  report_ladder_rung_t ladder[PIPELINE_LADDER_MAX_RUNGS + 1];
  int n_ladder;
} pipeline_t;

/* Runs the pipeline into *p (zeroed here; free with pipeline_free even on
 * failure). With solver "ilp", greedy and dp run first (the MIP starts
 * from the better plan; an ILP run keeps an incumbent's plan that
 * schedules faster than its own); with "all" every solver runs. Every plan found then
 * has its CMX buffers allocated (repairing the plan until they fit:
 * runs[i].alloc), and is lowered to tasks, scheduled and given barriers
 * (runs[i].schedule). */
int pipeline_run(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag);
void pipeline_free(pipeline_t *p);
/* The plan to report: the requested solver's, or with "all" the one with
 * the lowest scheduled latency (the first in table order among equals). */
const report_solver_run_t *pipeline_chosen(const pipeline_t *p);

#endif
