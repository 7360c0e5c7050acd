/* pipeline.c - the planning pipeline, one stage after another. */
#include "tools/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pipeline_options_t pipeline_defaults(void) {
  return (pipeline_options_t){
      .arch = "vpu27",
      .cost = "analytic",
      .solver = "ilp",
      .objective = STRAT_OBJECTIVE_LATENCY,
      .time_limit_s = 10,
      .ilp_nodes = 100,
      .seed = 1,
      .prefetch_cap = -1,
      .schedule = schedule_params_default(),
      .alloc = schedule_alloc_params_default(),
  };
}

void pipeline_free(pipeline_t *p) {
  for (int i = 0; i < p->n_runs; i++) {
    strat_plan_free(&p->plans[i]);
    schedule_barriers_free(&p->barriers[i]);
    schedule_free(&p->schedules[i]);
    schedule_graph_free(&p->tasks[i]);
    schedule_alloc_free(&p->allocs[i]);
  }
  for (int k = 0; k < STRAT_WINDOW_CAPS; k++)
    strat_plan_free(&p->capped[k]);
  strat_problem_free(&p->problem);
  cost_model_free(&p->model);
  ir_graph_free(&p->graph);
  p->n_runs = 0;
}

static int load_arch(const pipeline_options_t *o, arch_t *arch, sched_diag_t *diag) {
  int rc = arch_load(o->arch, arch, diag);
  if (rc != SCHED_OK || !o->cmx)
    return rc;
  int64_t bytes;
  rc = arch_parse_size(o->cmx, &bytes, diag);
  return rc == SCHED_OK ? arch_set_cmx(arch, bytes, diag) : rc;
}

static int load_graph(const pipeline_options_t *o, ir_graph_t *g, sched_diag_t *diag) {
  if (o->graph)
    ir_graph_copy(o->graph, g);
  else {
    int rc = ir_graph_load(o->net, &o->onnx, g, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return o->dump_ir ? ir_json_write(g, o->dump_ir, diag) : SCHED_OK;
}

/* Runs one solver into the next slot of p->runs. */
static void solve_one(pipeline_t *p, const strat_solver_t *solver, const strat_params_t *params) {
  if (p->n_runs == PIPELINE_MAX_RUNS)
    SCHED_UNREACHABLE(); /* more solvers than slots: raise PIPELINE_MAX_RUNS */
  int i = p->n_runs++;
  sched_diag_t *diag = &p->run_diags[i];
  p->runs[i] =
      (report_solver_run_t){.solver = solver->name, .plan = &p->plans[i], .stats = &p->stats[i]};
  p->runs[i].status = strat_solve(solver, &p->problem, params, &p->plans[i], &p->stats[i], diag);
  p->runs[i].error_msg = diag->msg;
  if (p->runs[i].status != SCHED_OK && p->plans[i].cand == NULL)
    strat_plan_init(&p->plans[i], p->problem.n_layers); /* keep free() uniform */
}

/* The best plan so far, as an incumbent for the ILP. */
static const strat_plan_t *best_plan(const pipeline_t *p) {
  const strat_plan_t *best = NULL;
  for (int i = 0; i < p->n_runs; i++)
    if (p->runs[i].status == SCHED_OK && (!best || p->plans[i].objective < best->objective))
      best = &p->plans[i];
  return best;
}

static const char *incumbent_name(const pipeline_t *p, const strat_plan_t *plan) {
  for (int i = 0; i < p->n_runs; i++)
    if (plan == &p->plans[i])
      return p->runs[i].solver;
  return NULL;
}

static int solve(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  strat_params_t params = {.time_limit_s = o->time_limit_s,
                           .ilp_nodes = o->ilp_nodes,
                           .seed = o->seed,
                           .anneal_iters = 20000,
                           .lp_path = o->lp_path};
  if (p->all_solvers) {
    for (const strat_solver_t *const *sv = strat_solvers(); *sv; sv++) {
      params.incumbent = best_plan(p);
      params.incumbent_of = incumbent_name(p, params.incumbent);
      params.capped_out = strcmp((*sv)->name, "ilp") == 0 ? p->capped : NULL;
      solve_one(p, *sv, &params);
    }
    return best_plan(p) ? SCHED_OK
                        : sched_diag_set(diag, p->runs[0].status, "no solver found a plan: %s",
                                         p->runs[0].error_msg);
  }
  const strat_solver_t *solver = strat_solver_find(o->solver);
  if (!solver)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "unknown solver '%s' (see sched --help)",
                          o->solver);
  /* An error, not a warning: the user asked for a file, and a script that
   * goes on to read it should stop here rather than at a missing file. */
  if (o->lp_path && strcmp(solver->name, "ilp") != 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "--lp %s: only the ilp solver builds an LP model, not %s (use --solver "
                          "ilp or all)",
                          o->lp_path, solver->name);
  if (strcmp(solver->name, "ilp") == 0) { /* seed the MIP with the best heuristic plan */
    static const char *const heuristics[] = {"greedy", "rollback", "dp", "anneal"};
    for (int i = 0; i < SCHED_ARRAY_LEN(heuristics); i++)
      solve_one(p, strat_solver_find(heuristics[i]), &params);
    /* --time-limit bounds the whole solve, seeds included (at 10,000
     * layers they take 8 s); a limit they used up leaves the MIP a
     * moment, so it returns its incumbent and says so. */
    double seeds_s = 0;
    for (int i = 0; i < p->n_runs; i++)
      seeds_s += p->stats[i].solve_ms / 1000;
    if (o->time_limit_s > 0)
      params.time_limit_s = SCHED_MAX(o->time_limit_s - seeds_s, 1e-3);
  }
  params.incumbent = best_plan(p);
  params.incumbent_of = incumbent_name(p, params.incumbent); /* named if the ILP falls back */
  params.capped_out = p->capped;
  solve_one(p, solver, &params);
  const report_solver_run_t *last = &p->runs[p->n_runs - 1];
  return last->status == SCHED_OK ? SCHED_OK
                                  : sched_diag_set(diag, last->status, "%s", last->error_msg);
}

/* What --solver all ranks by: the scheduled latency (the reported one),
 * or the plan's objective for the bandwidth objective. */
static int64_t rank_of(const pipeline_t *p, int i) {
  if (p->problem.objective == STRAT_OBJECTIVE_BANDWIDTH)
    return p->plans[i].objective;
  return report_run_latency_cycles(&p->runs[i]);
}

const report_solver_run_t *pipeline_chosen(const pipeline_t *p) {
  int chosen = p->n_runs - 1;
  if (!p->all_solvers)
    return &p->runs[chosen];
  for (int i = p->n_runs - 1; i >= 0; i--)
    if (p->runs[i].status == SCHED_OK &&
        (p->runs[chosen].status != SCHED_OK || rank_of(p, i) <= rank_of(p, chosen)))
      chosen = i;
  return &p->runs[chosen];
}

/* CMX offsets for every plan found; a plan whose buffers do not fit is
 * repaired (spills, re-tiling) before it is scheduled. */
static int allocate_runs(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  for (int i = 0; i < p->n_runs; i++) {
    if (p->runs[i].status != SCHED_OK)
      continue;
    int rc = schedule_alloc_plan(&p->problem, &p->plans[i], &o->alloc, &p->allocs[i], diag);
    if (rc != SCHED_OK)
      return rc;
    p->runs[i].alloc = &p->allocs[i];
  }
  return SCHED_OK;
}

/* Tasks -> timeline -> barriers for every plan found; *barriers_short:
 * a barrier program found too few ids for a plan. */
static int schedule_runs(const pipeline_options_t *o, pipeline_t *p, bool *barriers_short,
                         sched_diag_t *diag) {
  for (int i = 0; i < p->n_runs; i++) {
    if (p->runs[i].status != SCHED_OK)
      continue;
    int rc = schedule_graph_build(&p->problem, &p->plans[i], &o->schedule, &p->tasks[i], diag);
    if (rc == SCHED_OK)
      rc = schedule_simulate(&p->tasks[i], &p->arch, &p->schedules[i], diag);
    if (rc == SCHED_OK) {
      rc = schedule_barriers_plan(&p->tasks[i], &p->arch, &o->schedule, &p->schedules[i],
                                  &p->barriers[i], diag);
      *barriers_short = rc == SCHED_ERR_INFEASIBLE;
    }
    if (rc != SCHED_OK)
      return rc;
    p->runs[i].schedule = &p->schedules[i];
    p->runs[i].barriers = &p->barriers[i];
  }
  return SCHED_OK;
}

/* Allocates and schedules run i's plan into its slot. */
static int allocate_and_schedule(const pipeline_options_t *o, pipeline_t *p, int i,
                                 sched_diag_t *diag) {
  int rc = schedule_alloc_plan(&p->problem, &p->plans[i], &o->alloc, &p->allocs[i], diag);
  if (rc == SCHED_OK)
    rc = schedule_graph_build(&p->problem, &p->plans[i], &o->schedule, &p->tasks[i], diag);
  if (rc == SCHED_OK)
    rc = schedule_simulate(&p->tasks[i], &p->arch, &p->schedules[i], diag);
  if (rc == SCHED_OK)
    rc = schedule_barriers_plan(&p->tasks[i], &p->arch, &o->schedule, &p->schedules[i],
                                &p->barriers[i], diag);
  return rc;
}

static void free_slot(pipeline_t *p, int i) {
  schedule_barriers_free(&p->barriers[i]);
  schedule_free(&p->schedules[i]);
  schedule_graph_free(&p->tasks[i]);
  schedule_alloc_free(&p->allocs[i]);
  strat_plan_free(&p->plans[i]);
}

/* The ILP is exact for the plan model, and the schedule follows the plan
 * model to within a few percent (README, "One latency"): so that the ILP's
 * answer is never slower than what its incumbents would report, an ILP run
 * keeps the plan of an incumbent (an earlier run) that schedules faster
 * than its own, and says so (kept_plan_of). */
static int polish_ilp(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  for (int i = 0; i < p->n_runs; i++) {
    if (p->runs[i].status != SCHED_OK || strcmp(p->runs[i].solver, "ilp") != 0)
      continue;
    int best = i;
    for (int j = 0; j < i; j++)
      if (p->runs[j].status == SCHED_OK &&
          report_run_latency_cycles(&p->runs[j]) < report_run_latency_cycles(&p->runs[best]))
        best = j;
    if (best == i)
      continue;
    free_slot(p, i);
    strat_plan_copy(&p->plans[best], &p->plans[i]);
    int rc = allocate_and_schedule(o, p, i, diag);
    if (rc != SCHED_OK)
      return rc;
    p->runs[i].kept_plan_of = p->runs[best].solver;
    p->runs[i].window_cap_steps = 0; /* not its own plan, capped or not */
  }
  return SCHED_OK;
}

static int chosen_index(const pipeline_t *p) { return (int)(pipeline_chosen(p) - p->runs); }

/* Zeroes the spare slot after the runs, whose contents have been freed
 * or moved, for its next use. */
static void forget_spare(pipeline_t *p) {
  int spare = p->n_runs;
  memset(&p->runs[spare], 0, sizeof p->runs[spare]);
  memset(&p->plans[spare], 0, sizeof p->plans[spare]);
  memset(&p->allocs[spare], 0, sizeof p->allocs[spare]);
  memset(&p->tasks[spare], 0, sizeof p->tasks[spare]);
  memset(&p->schedules[spare], 0, sizeof p->schedules[spare]);
  memset(&p->barriers[spare], 0, sizeof p->barriers[spare]);
}

static void clear_spare(pipeline_t *p) {
  free_slot(p, p->n_runs);
  forget_spare(p);
}

/* Run i takes `plan` when that schedules faster (moves fewer DDR bytes,
 * for the bandwidth objective). The spare slot after the runs holds the
 * plan while it is scheduled; a plan that cannot be scheduled here is not
 * kept. */
static bool keep_if_faster(const pipeline_options_t *o, pipeline_t *p, int i,
                           const strat_plan_t *plan) {
  int spare = p->n_runs;
  strat_plan_copy(plan, &p->plans[spare]);
  sched_diag_t why = {{0}};
  int rc = allocate_and_schedule(o, p, spare, &why);
  p->runs[spare] =
      (report_solver_run_t){.plan = &p->plans[spare], .schedule = &p->schedules[spare]};
  bool faster = rc == SCHED_OK && rank_of(p, spare) < rank_of(p, i);
  if (!faster) {
    clear_spare(p);
    return false;
  }
  free_slot(p, i);
  p->plans[i] = p->plans[spare];
  p->allocs[i] = p->allocs[spare];
  p->tasks[i] = p->tasks[spare];
  p->schedules[i] = p->schedules[spare];
  p->barriers[i] = p->barriers[spare];
  forget_spare(p);
  return true;
}

/* The ILP chose its plan on the plan clock, where windows as room allows
 * fill CMX by bytes; its layout can then fail by fragmentation, and the
 * windows the allocation drops cost latency the clock did not count
 * (ResNet-34 at 1MB: that layout scheduled at 1481.2 us, the plan under
 * windows capped at 4 steps at 1338.1). Its plans
 * under capped windows are allocated and scheduled too, and the ILP's run
 * keeps the fastest (window_cap_steps says which). */
static void keep_capped_plans(const pipeline_options_t *o, pipeline_t *p) {
  for (int i = 0; i < p->n_runs; i++) {
    if (p->runs[i].status != SCHED_OK || strcmp(p->runs[i].solver, "ilp") != 0 ||
        p->allocs[i].n_repairs == 0)
      continue;
    int64_t own = report_run_latency_cycles(&p->runs[i]);
    for (int k = 0; k < STRAT_WINDOW_CAPS; k++)
      if (p->capped[k].cand && keep_if_faster(o, p, i, &p->capped[k])) {
        p->runs[i].window_cap_steps = strat_window_caps[k];
        p->runs[i].uncapped_latency_cycles = own;
      }
  }
}

/* --ladder: the chosen run takes `plan` (the rung below's, mapped into
 * this budget's candidates) when that schedules faster, and `rung` says
 * whose it is. */
static void keep_faster_plan(const pipeline_options_t *o, pipeline_t *p, const strat_plan_t *plan,
                             const report_ladder_rung_t *below, report_ladder_rung_t *rung) {
  if (!keep_if_faster(o, p, chosen_index(p), plan))
    return;
  if (below->kept_plan_of[0])
    snprintf(rung->kept_plan_of, sizeof rung->kept_plan_of, "%s", below->kept_plan_of);
  else
    snprintf(rung->kept_plan_of, sizeof rung->kept_plan_of, "the %lldKB rung",
             (long long)(below->cmx_bytes >> 10));
}

/* Records rung `p` and replays the plan of the rung below (`below`, NULL
 * at the first) twice: with its own windows (so the larger budget
 * schedules what the smaller did), and with windows set anew for this
 * budget (strat_plan_best_prefetch), which may use the extra room. */
static void climb_rung(const pipeline_options_t *o, pipeline_t *p, const pipeline_t *below,
                       const report_ladder_rung_t *below_rung, report_ladder_rung_t *rung) {
  *rung =
      (report_ladder_rung_t){.cmx_bytes = p->problem.capacity_bytes,
                             .own_latency_cycles = report_run_latency_cycles(pipeline_chosen(p))};
  const report_solver_run_t *from = below ? pipeline_chosen(below) : NULL;
  strat_plan_t same, retuned;
  sched_diag_t why = {{0}}; /* a choice that is no candidate here: no replay */
  if (from && p->n_runs < PIPELINE_MAX_RUNS && pipeline_chosen(p)->status == SCHED_OK &&
      from->status == SCHED_OK &&
      strat_plan_map(&below->problem, from->plan, &p->problem, &same, &why) == SCHED_OK) {
    strat_plan_copy(&same, &retuned);
    strat_plan_best_prefetch(&p->problem, &retuned);
    keep_faster_plan(o, p, &same, below_rung, rung);
    keep_faster_plan(o, p, &retuned, below_rung, rung);
    strat_plan_free(&same);
    strat_plan_free(&retuned);
  }
  rung->latency_cycles = report_run_latency_cycles(pipeline_chosen(p));
}

static int pipeline_run_one(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag);

/* The ladder's spacing in bytes: o->ladder_step, a whole number of KB, or
 * the candidates' 256KB. */
static int ladder_step_bytes(const pipeline_options_t *o, int64_t *step, sched_diag_t *diag) {
  *step = STRAT_CMX_RUNG_BYTES;
  if (!o->ladder_step)
    return SCHED_OK;
  int rc = arch_parse_size(o->ladder_step, step, diag);
  if (rc == SCHED_OK && *step % 1024 != 0) /* arch_parse_size refuses 0 and below */
    rc = sched_diag_set(diag, SCHED_ERR_INPUT,
                        "--ladder-step: %lld bytes is not a whole number of KB", (long long)*step);
  return rc;
}

/* Plans the rungs step, 2 x step, ... below p's budget in order, each
 * keeping the plan of the rung below when faster, then p itself. A rung the
 * net does not fit is skipped. */
static int climb_ladder(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  int64_t step;
  int rc = ladder_step_bytes(o, &step, diag);
  if (rc != SCHED_OK)
    return rc;
  int64_t rungs = (p->problem.capacity_bytes - 1) / step;
  if (rungs > PIPELINE_LADDER_MAX_RUNGS)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "--ladder: %lld rungs of %lldKB below a %lld-byte budget, at most %d "
                          "(one solve each)",
                          (long long)rungs, (long long)(step >> 10),
                          (long long)p->problem.capacity_bytes, PIPELINE_LADDER_MAX_RUNGS);
  pipeline_options_t rung_o = *o;
  rung_o.ladder = false;
  rung_o.dump_ir = rung_o.lp_path = NULL;
  pipeline_t *below = NULL;
  for (int64_t bytes = step; bytes < p->problem.capacity_bytes; bytes += step) {
    char cmx[32];
    snprintf(cmx, sizeof cmx, "%lldKB", (long long)(bytes >> 10));
    rung_o.cmx = cmx;
    pipeline_t *rung = sched_xcalloc(1, sizeof *rung);
    sched_diag_t why = {{0}};
    if (pipeline_run_one(&rung_o, rung, &why) != SCHED_OK) { /* too small for the net */
      pipeline_free(rung);
      free(rung);
      continue;
    }
    report_ladder_rung_t *last = below ? &p->ladder[p->n_ladder - 1] : NULL;
    climb_rung(&rung_o, rung, below, last, &p->ladder[p->n_ladder++]);
    if (below)
      pipeline_free(below);
    free(below);
    below = rung;
  }
  report_ladder_rung_t *top = &p->ladder[p->n_ladder++];
  climb_rung(o, p, below, below ? top - 1 : NULL, top);
  if (top->kept_plan_of[0])
    p->runs[chosen_index(p)].kept_plan_of = top->kept_plan_of;
  if (below)
    pipeline_free(below);
  free(below);
  return SCHED_OK;
}

int pipeline_run(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  int64_t step; /* a bad --ladder-step is an error before any solve */
  int rc = o->ladder ? ladder_step_bytes(o, &step, diag) : SCHED_OK;
  if (rc != SCHED_OK) {
    memset(p, 0, sizeof *p);
    return rc;
  }
  rc = pipeline_run_one(o, p, diag);
  return rc == SCHED_OK && o->ladder ? climb_ladder(o, p, diag) : rc;
}

/* Solves p->problem with every solver asked for, then allocates and
 * schedules each plan found. */
static int plan_runs(const pipeline_options_t *o, pipeline_t *p, bool *barriers_short,
                     sched_diag_t *diag) {
  int rc;
  *barriers_short = false;
  if ((rc = solve(o, p, diag)) != SCHED_OK || (rc = allocate_runs(o, p, diag)) != SCHED_OK)
    return rc;
  if ((rc = schedule_runs(o, p, barriers_short, diag)) != SCHED_OK)
    return rc;
  if (p->n_runs < PIPELINE_MAX_RUNS)
    keep_capped_plans(o, p);
  return p->problem.objective == STRAT_OBJECTIVE_LATENCY ? polish_ilp(o, p, diag) : SCHED_OK;
}

/* The widest prefetch window of a plan, in steps. */
static int32_t widest_prefetch(const strat_problem_t *problem, const strat_plan_t *plan) {
  int32_t widest = 0;
  for (int l = 0; l < problem->n_layers; l++)
    widest = SCHED_MAX(widest, plan->prefetch[l]);
  return widest;
}

/* The two clocks of a plan agree within 3% of the scheduled latency (the
 * bound tests/test_timeline.c holds them to). */
static bool clocks_agree(int64_t plan_cycles, int64_t scheduled_cycles) {
  return llabs(plan_cycles - scheduled_cycles) * 100 <= scheduled_cycles * 3;
}

/* Barrier serialisation puts the run's schedule more than 3% off its plan. */
static bool serialises(const report_solver_run_t *run) {
  return run->status == SCHED_OK && run->barriers && run->barriers->stall_cycles > 0 &&
         !clocks_agree(run->plan->latency_cycles, report_run_latency_cycles(run));
}

/* The scheduled latency of `plan` with its windows set anew as room
 * allows up to `cap` steps (in the spare slot), or INT64_MAX; *agree:
 * its plan clock is within 3% of that. */
static int64_t capped_latency(const pipeline_options_t *o, pipeline_t *p, const strat_plan_t *plan,
                              int32_t cap, bool *agree) {
  int spare = p->n_runs;
  strat_problem_t capped = p->problem;
  capped.prefetch_cap = cap;
  strat_plan_copy(plan, &p->plans[spare]);
  strat_plan_set_prefetch(&capped, &p->plans[spare]);
  strat_plan_evaluate(&capped, &p->plans[spare]);
  sched_diag_t why = {{0}};
  int64_t latency = INT64_MAX;
  *agree = false;
  if (allocate_and_schedule(o, p, spare, &why) == SCHED_OK) {
    p->runs[spare] =
        (report_solver_run_t){.plan = &p->plans[spare], .schedule = &p->schedules[spare]};
    latency = rank_of(p, spare);
    *agree = clocks_agree(p->plans[spare].latency_cycles, latency);
  }
  clear_spare(p);
  return latency;
}

/* Frees every run (their plans included) for the solvers to run again. */
static void clear_runs(pipeline_t *p) {
  for (int i = 0; i < p->n_runs; i++) {
    free_slot(p, i);
    memset(&p->runs[i], 0, sizeof p->runs[i]);
  }
  for (int k = 0; k < STRAT_WINDOW_CAPS; k++)
    strat_plan_free(&p->capped[k]);
  p->n_runs = 0;
}

/* Whether every plan found schedules, barriers included, once its
 * windows are dropped (checked before solving again under a cap). */
static bool schedules_without_windows(const pipeline_options_t *o, pipeline_t *p) {
  for (int i = 0; i < p->n_runs; i++) {
    bool agree;
    if (p->runs[i].status == SCHED_OK && capped_latency(o, p, &p->plans[i], 0, &agree) == INT64_MAX)
      return false;
  }
  return true;
}

/* Where the barrier program of a plan finds no id to wait for (too few
 * barriers for its windows: MobileNetV2 at 512KB with 8), the solvers run
 * again with windows capped at half the widest any plan had, down to none
 * (there dp's plan schedules at 300.7 us with windows capped at 8 steps). */
static int plan_runs_within_barriers(const pipeline_options_t *o, pipeline_t *p,
                                     sched_diag_t *diag) {
  bool short_of_ids;
  int rc = plan_runs(o, p, &short_of_ids, diag);
  while (rc != SCHED_OK && short_of_ids) {
    int32_t widest = 0;
    for (int i = 0; i < p->n_runs; i++)
      if (p->runs[i].status == SCHED_OK)
        widest = SCHED_MAX(widest, widest_prefetch(&p->problem, &p->plans[i]));
    if (widest == 0 || !schedules_without_windows(o, p))
      return rc; /* the ids do not suffice without windows either */
    clear_runs(p);
    p->problem.prefetch_cap = widest / 2;
    *diag = (sched_diag_t){{0}};
    rc = plan_runs(o, p, &short_of_ids, diag);
    for (int i = 0; rc == SCHED_OK && i < p->n_runs; i++) {
      p->runs[i].barrier_capped = p->runs[i].status == SCHED_OK;
      p->runs[i].barrier_cap_steps = p->problem.prefetch_cap;
      p->runs[i].barrier_uncapped_latency_cycles = 0; /* no schedule without the cap */
    }
  }
  return rc;
}

/* The window cap below `above` at which `plan` schedules fastest, the
 * wider among equals, among the caps where its two clocks agree, else
 * among all. Caps 0 to 3, then each about half again the last (4, 6, 9,
 * 13, ...): a plan with windows of 60 steps tries 12. */
static int32_t fastest_cap(const pipeline_options_t *o, pipeline_t *p, const strat_plan_t *plan,
                           int32_t above) {
  int32_t best[2] = {0, 0}; /* [0]: the clocks agree, [1]: any */
  int64_t best_latency[2] = {INT64_MAX, INT64_MAX};
  for (int32_t cap = 0; cap < above; cap = cap < 3 ? cap + 1 : cap + cap / 2) {
    bool agree;
    int64_t latency = capped_latency(o, p, plan, cap, &agree);
    for (int k = agree ? 0 : 1; k < 2; k++)
      if (latency <= best_latency[k]) {
        best[k] = cap;
        best_latency[k] = latency;
      }
  }
  return best_latency[0] < INT64_MAX ? best[0] : best[1];
}

/* Every run again, p->problem's windows capped at `cap` steps. A run then
 * keeps its plan from before, windows set anew under the cap, where that
 * schedules faster (kept_plan_of); so no run gets slower than that plan
 * would under the cap, and every plan's windows are within it. Each run is
 * charged both solves' time. */
static int solve_capped(const pipeline_options_t *o, pipeline_t *p, int32_t cap,
                        sched_diag_t *diag) {
  int n = p->n_runs;
  strat_plan_t *before = sched_xcalloc((size_t)n, sizeof *before);
  int64_t *uncapped = sched_xmalloc((size_t)n * sizeof *uncapped);
  double *solve_ms = sched_xmalloc((size_t)n * sizeof *solve_ms);
  for (int i = 0; i < n; i++) {
    const report_solver_run_t *r = &p->runs[i];
    uncapped[i] = r->barrier_capped       ? r->barrier_uncapped_latency_cycles
                  : r->status == SCHED_OK ? report_run_latency_cycles(r)
                                          : 0;
    solve_ms[i] = p->stats[i].solve_ms;
    if (r->status == SCHED_OK)
      strat_plan_copy(&p->plans[i], &before[i]);
  }
  clear_runs(p);
  p->problem.prefetch_cap = cap;
  bool short_of_ids; /* fewer windows than before: as many ids suffice */
  int rc = plan_runs(o, p, &short_of_ids, diag);
  for (int i = 0; rc == SCHED_OK && i < n; i++) {
    if (p->n_runs != n)
      SCHED_UNREACHABLE(); /* the same solvers run in the same order */
    report_solver_run_t *r = &p->runs[i];
    p->stats[i].solve_ms += solve_ms[i];
    if (r->status != SCHED_OK)
      continue;
    r->barrier_capped = true;
    r->barrier_cap_steps = cap;
    r->barrier_uncapped_latency_cycles = uncapped[i];
    if (!before[i].cand)
      continue;
    strat_plan_set_prefetch(&p->problem, &before[i]); /* own windows may exceed the cap */
    strat_plan_best_prefetch(&p->problem, &before[i]);
    if (keep_if_faster(o, p, i, &before[i])) {
      r->kept_plan_of = "its plan before the barrier cap";
      r->window_cap_steps = 0;
    }
  }
  for (int i = 0; i < n; i++)
    strat_plan_free(&before[i]);
  free(before);
  free(uncapped);
  free(solve_ms);
  return rc;
}

/* The run whose plan is fastest on the plan clock among those whose
 * schedule serialisation puts more than 3% off it, or NULL. */
static const report_solver_run_t *serialised_run(const pipeline_t *p) {
  const report_solver_run_t *fastest = NULL;
  for (int i = 0; i < p->n_runs; i++)
    if (serialises(&p->runs[i]) &&
        (!fastest || p->runs[i].plan->latency_cycles < fastest->plan->latency_cycles))
      fastest = &p->runs[i];
  return fastest;
}

/* The plan model has no barriers (README, "One latency"): with windows as
 * room allows, a barrier count far below the arch's leaves the schedule
 * serialising tasks for want of ids, latency the plan clock never saw
 * (MobileNetV2 at 1MB with 8 barriers, dp: 238.9 us on the plan clock,
 * 298.1 scheduled). Fewer windows open at once hold fewer barriers, so
 * when serialisation puts a run's schedule more than 3% off its plan, the
 * window cap at which that plan (the fastest such on the plan clock)
 * schedules fastest with its clocks in agreement (fastest_cap) becomes the
 * problem's, and every solver runs again under it: what they optimise is
 * then what the schedule shows (with windows capped at 4 that plan is
 * 269.2 us on both clocks). Again while some run's clocks still disagree
 * so; the cap falls each time. */
static int fit_barriers(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  if (p->problem.objective != STRAT_OBJECTIVE_LATENCY || p->n_runs >= PIPELINE_MAX_RUNS)
    return SCHED_OK;
  for (const report_solver_run_t *run; (run = serialised_run(p));) {
    int32_t widest = widest_prefetch(&p->problem, run->plan);
    if (widest == 0)
      return SCHED_OK; /* serialisation a cap cannot avoid */
    int rc = solve_capped(o, p, fastest_cap(o, p, run->plan, widest), diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int pipeline_run_one(const pipeline_options_t *o, pipeline_t *p, sched_diag_t *diag) {
  memset(p, 0, sizeof *p);
  p->all_solvers = strcmp(o->solver, "all") == 0;
  int rc = load_arch(o, &p->arch, diag);
  if (rc == SCHED_OK)
    rc = load_graph(o, &p->graph, diag);
  if (rc != SCHED_OK)
    return rc;
  ir_graph_fuse_activations(&p->graph, p->arch.ppe_fusable);
  if ((rc = cost_model_init(&p->model, &p->arch, o->cost, diag)) != SCHED_OK)
    return rc;
  rc = strat_problem_init(&p->problem, &p->graph, &p->model, o->objective, diag);
  if (rc != SCHED_OK)
    return rc;
  p->problem.prefetch_cap = o->prefetch_cap;
  if (o->strategy_file && (rc = strat_problem_force_json(&p->problem, o->strategy_file, diag)))
    return rc;
  rc = plan_runs_within_barriers(o, p, diag);
  return rc == SCHED_OK ? fit_barriers(o, p, diag) : rc;
}
