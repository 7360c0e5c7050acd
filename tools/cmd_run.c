/* cmd_run.c - `sched --net NET --cmx SIZE ...`: the planning pipeline.
 *
 * network (ir) -> fuse PPE activations -> candidates (tiling + cost) ->
 * plan (solver) -> report. Each step is a stage library; this file only
 * parses options and calls them in order. */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "tools/cli.h"

typedef struct {
  const char *net;
  const char *arch;
  const char *cmx;
  const char *format;
  const char *cost;
  const char *solver;
  const char *objective;
  double time_limit_s;
  uint64_t seed;
  const char *lp_path;
  const char *strategy_file;
  const char *dump_plan;
  bool no_timing;
  bool list_nets;
  bool help;
} run_options_t;

static const run_options_t run_defaults = {
    .arch = "vpu27",
    .format = "text",
    .cost = "analytic",
    .solver = "greedy",
    .objective = "latency",
    .time_limit_s = 10,
    .seed = 1,
};

typedef enum { ARG_STRING, ARG_DOUBLE, ARG_U64, ARG_FLAG } run_arg_kind_t;

typedef struct {
  const char *flag;
  run_arg_kind_t kind;
  size_t offset;
  const char *metavar;
  const char *help;
} run_flag_t;

#define RUN_FIELD(f) offsetof(run_options_t, f)

static const run_flag_t run_flags[] = {
    {"--net", ARG_STRING, RUN_FIELD(net), "NET",
     "zoo name (name:key=value,...), FILE.onnx or FILE.json (required)"},
    {"--cmx", ARG_STRING, RUN_FIELD(cmx), "SIZE",
     "CMX budget per tile: 2MB, 1936KB, 1.5MiB, 2097152 (default: the arch's workspace)"},
    {"--arch", ARG_STRING, RUN_FIELD(arch), "NAME|FILE",
     "vpu20, vpu27 (default), vpu40, or an arch JSON file"},
    {"--format", ARG_STRING, RUN_FIELD(format), "FMT", "text (default), json or csv"},
    {"--cost", ARG_STRING, RUN_FIELD(cost), "SPEC", "analytic (default) or lut:FILE.csv"},
    {"--solver", ARG_STRING, RUN_FIELD(solver), "NAME", "a solver, or all to compare them"},
    {"--objective", ARG_STRING, RUN_FIELD(objective), "OBJ", "latency (default) or bandwidth"},
    {"--time-limit", ARG_DOUBLE, RUN_FIELD(time_limit_s), "SEC",
     "solver wall-clock limit (default 10)"},
    {"--seed", ARG_U64, RUN_FIELD(seed), "N", "random seed of anneal (default 1)"},
    {"--lp", ARG_STRING, RUN_FIELD(lp_path), "FILE", "ilp: write the model in CPLEX LP format"},
    {"--strategy-file", ARG_STRING, RUN_FIELD(strategy_file), "FILE",
     "force layers' strategies (JSON, as --dump-plan writes); the solver does the rest"},
    {"--dump-plan", ARG_STRING, RUN_FIELD(dump_plan), "FILE", "write the chosen plan as JSON"},
    {"--no-timing", ARG_FLAG, RUN_FIELD(no_timing), NULL,
     "print solve times as 0 / '-' so reports are byte-identical across runs"},
    {"--list-nets", ARG_FLAG, RUN_FIELD(list_nets), NULL, "list the zoo networks and exit"},
    {"--help", ARG_FLAG, RUN_FIELD(help), NULL, "this help"},
};

static void print_usage(FILE *out) {
  fprintf(out, "usage: sched --net NET [--cmx SIZE] [options]\n"
               "       sched SUBCOMMAND --help\n\n"
               "Plans a network on an NPU: per layer a multi-cluster strategy and tiling that\n"
               "fits the per-tile CMX budget, spills through DDR, and the modelled latency.\n\n"
               "options:\n");
  for (int i = 0; i < SCHED_ARRAY_LEN(run_flags); i++) {
    char left[40];
    snprintf(left, sizeof left, "%s%s%s", run_flags[i].flag, run_flags[i].metavar ? " " : "",
             run_flags[i].metavar ? run_flags[i].metavar : "");
    fprintf(out, "  %-24s %s\n", left, run_flags[i].help);
  }
  fprintf(out, "  %-24s solver greedy / rollback / ilp\n", "-O0 | -O1 | -O2");
  fprintf(out, "\nsolvers:\n");
  for (const strat_solver_t *const *s = strat_solvers(); *s; s++)
    fprintf(out, "  %-24s %s\n", (*s)->name, (*s)->summary);
}

static int set_flag(const run_flag_t *f, const char *value, run_options_t *o) {
  char *field = (char *)o + f->offset;
  char *end = NULL;
  switch (f->kind) {
  case ARG_STRING: *(const char **)field = value; return CLI_EXIT_OK;
  case ARG_FLAG: *(bool *)field = true; return CLI_EXIT_OK;
  case ARG_DOUBLE:
    *(double *)field = strtod(value, &end);
    if (end == value || *end || *(double *)field <= 0)
      return cli_error("%s: expected a positive number, got '%s'", f->flag, value);
    return CLI_EXIT_OK;
  case ARG_U64:
    *(uint64_t *)field = strtoull(value, &end, 10);
    if (end == value || *end || value[0] == '-')
      return cli_error("%s: expected a non-negative integer, got '%s'", f->flag, value);
    return CLI_EXIT_OK;
  }
  return CLI_EXIT_INPUT;
}

static int parse_level(const char *arg, run_options_t *o) {
  static const char *const by_level[] = {"greedy", "rollback", "ilp"};
  if (strlen(arg) == 3 && arg[2] >= '0' && arg[2] <= '2') {
    o->solver = by_level[arg[2] - '0'];
    return CLI_EXIT_OK;
  }
  return cli_error("unknown optimisation level '%s' (use -O0, -O1 or -O2)", arg);
}

static int unknown_flag(const char *arg) {
  const char *names[SCHED_ARRAY_LEN(run_flags) + 1];
  for (int i = 0; i < SCHED_ARRAY_LEN(run_flags); i++)
    names[i] = run_flags[i].flag;
  names[SCHED_ARRAY_LEN(run_flags)] = NULL;
  const char *guess = cli_suggest(arg, names);
  if (guess)
    return cli_error("unknown option '%s' (did you mean '%s'?)", arg, guess);
  return cli_error("unknown option '%s' (see sched --help)", arg);
}

static int parse_options(int argc, char **argv, run_options_t *o) {
  *o = run_defaults;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "-O", 2) == 0) {
      if (parse_level(argv[i], o) != CLI_EXIT_OK)
        return CLI_EXIT_INPUT;
      continue;
    }
    const run_flag_t *f = NULL;
    for (int k = 0; k < SCHED_ARRAY_LEN(run_flags) && !f; k++)
      if (strcmp(argv[i], run_flags[k].flag) == 0)
        f = &run_flags[k];
    if (!f)
      return unknown_flag(argv[i]);
    if (f->kind != ARG_FLAG && i + 1 >= argc)
      return cli_error("%s needs a value (%s)", f->flag, f->metavar);
    if (set_flag(f, f->kind == ARG_FLAG ? NULL : argv[++i], o) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
  }
  return CLI_EXIT_OK;
}

/* Everything the pipeline builds, freed together. */
typedef struct {
  arch_t arch;
  ir_graph_t graph;
  cost_model_t model;
  strat_problem_t problem;
  report_solver_run_t runs[16];
  strat_plan_t plans[16];
  strat_stats_t stats[16];
  sched_diag_t run_diags[16];
  int n_runs;
} run_state_t;

static void run_state_free(run_state_t *s) {
  for (int i = 0; i < s->n_runs; i++)
    strat_plan_free(&s->plans[i]);
  strat_problem_free(&s->problem);
  cost_model_free(&s->model);
  ir_graph_free(&s->graph);
}

static int exit_code_of(int status) {
  return status == SCHED_ERR_INPUT || status == SCHED_ERR_NOMEM ? CLI_EXIT_INPUT : CLI_EXIT_NO;
}

static int load_arch(const run_options_t *o, arch_t *arch, sched_diag_t *diag) {
  int rc = arch_load(o->arch, arch, diag);
  if (rc != SCHED_OK || !o->cmx)
    return rc;
  int64_t bytes;
  rc = arch_parse_size(o->cmx, &bytes, diag);
  return rc == SCHED_OK ? arch_set_cmx(arch, bytes, diag) : rc;
}

/* Runs one solver into the next slot of s->runs. */
static void solve_one(run_state_t *s, const strat_solver_t *solver, const strat_params_t *params) {
  if (s->n_runs == SCHED_ARRAY_LEN(s->runs))
    SCHED_UNREACHABLE(); /* more solvers than slots: grow run_state_t */
  int i = s->n_runs++;
  sched_diag_t *diag = &s->run_diags[i];
  s->runs[i] =
      (report_solver_run_t){.solver = solver->name, .plan = &s->plans[i], .stats = &s->stats[i]};
  s->runs[i].status = strat_solve(solver, &s->problem, params, &s->plans[i], &s->stats[i], diag);
  s->runs[i].error_msg = diag->msg;
  if (s->runs[i].status != SCHED_OK && s->plans[i].cand == NULL)
    strat_plan_init(&s->plans[i], s->problem.n_layers); /* keep free() uniform */
}

/* The best plan so far, as an incumbent for the ILP. */
static const strat_plan_t *best_plan(const run_state_t *s) {
  const strat_plan_t *best = NULL;
  for (int i = 0; i < s->n_runs; i++)
    if (s->runs[i].status == SCHED_OK && (!best || s->plans[i].objective < best->objective))
      best = &s->plans[i];
  return best;
}

static int solve(const run_options_t *o, run_state_t *s, sched_diag_t *diag) {
  strat_params_t params = {.time_limit_s = o->time_limit_s,
                           .seed = o->seed,
                           .anneal_iters = 20000,
                           .lp_path = o->lp_path};
  if (strcmp(o->solver, "all") == 0) {
    for (const strat_solver_t *const *sv = strat_solvers(); *sv; sv++) {
      params.incumbent = best_plan(s);
      solve_one(s, *sv, &params);
    }
    return best_plan(s) ? SCHED_OK
                        : sched_diag_set(diag, s->runs[0].status, "no solver found a plan: %s",
                                         s->runs[0].error_msg);
  }
  const strat_solver_t *solver = strat_solver_find(o->solver);
  if (!solver)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "unknown solver '%s' (see sched --help)",
                          o->solver);
  if (strcmp(solver->name, "ilp") == 0) /* seed the MIP with a heuristic plan */
    solve_one(s, strat_solvers()[0], &params);
  params.incumbent = best_plan(s);
  solve_one(s, solver, &params);
  return s->runs[s->n_runs - 1].status == SCHED_OK
             ? SCHED_OK
             : sched_diag_set(diag, s->runs[s->n_runs - 1].status, "%s",
                              s->runs[s->n_runs - 1].error_msg);
}

/* The plan reported per layer: the requested solver's, or with --solver all
 * the best one (the first in table order among equals). */
static const report_solver_run_t *chosen_run(const run_options_t *o, const run_state_t *s) {
  const report_solver_run_t *chosen = &s->runs[s->n_runs - 1];
  if (strcmp(o->solver, "all") != 0)
    return chosen;
  for (int i = s->n_runs - 1; i >= 0; i--)
    if (s->runs[i].status == SCHED_OK &&
        (chosen->status != SCHED_OK || s->plans[i].objective <= chosen->plan->objective))
      chosen = &s->runs[i];
  return chosen;
}

static int write_report(const run_options_t *o, run_state_t *s) {
  const report_solver_run_t *chosen = chosen_run(o, s);
  bool all = strcmp(o->solver, "all") == 0;
  report_input_t in = {.net_spec = o->net,
                       .cost_spec = o->cost,
                       .g = &s->graph,
                       .arch = &s->arch,
                       .problem = &s->problem,
                       .chosen = chosen,
                       .comparison = all ? s->runs : NULL,
                       .n_comparison = all ? s->n_runs : 0,
                       .timing = !o->no_timing};
  if (strcmp(o->format, "json") == 0)
    return report_json(&in, stdout) == SCHED_OK ? CLI_EXIT_OK : cli_error("out of memory");
  if (strcmp(o->format, "csv") == 0)
    report_csv(&in, stdout);
  else
    report_text(&in, stdout);
  return CLI_EXIT_OK;
}

static int check_options(const run_options_t *o) {
  if (!o->net)
    return cli_error("--net is required (try --list-nets, or see --help)");
  const char *const formats[] = {"text", "json", "csv", NULL};
  const char *const objectives[] = {"latency", "bandwidth", NULL};
  bool format_ok = false, objective_ok = false;
  for (int i = 0; formats[i]; i++)
    format_ok |= strcmp(o->format, formats[i]) == 0;
  for (int i = 0; objectives[i]; i++)
    objective_ok |= strcmp(o->objective, objectives[i]) == 0;
  if (!format_ok)
    return cli_error("--format: unknown format '%s' (text, json or csv)", o->format);
  if (!objective_ok)
    return cli_error("--objective: unknown objective '%s' (latency or bandwidth)", o->objective);
  return CLI_EXIT_OK;
}

/* The pipeline, in order. */
static int run_pipeline(const run_options_t *o, run_state_t *s, sched_diag_t *diag) {
  int rc = load_arch(o, &s->arch, diag);
  if (rc == SCHED_OK)
    rc = ir_graph_load(o->net, &(ir_onnx_options_t){.warnings = stderr}, &s->graph, diag);
  if (rc != SCHED_OK)
    return rc;
  ir_graph_fuse_activations(&s->graph, s->arch.ppe_fusable);
  if ((rc = cost_model_init(&s->model, &s->arch, o->cost, diag)) != SCHED_OK)
    return rc;
  strat_objective_t objective =
      strcmp(o->objective, "bandwidth") == 0 ? STRAT_OBJECTIVE_BANDWIDTH : STRAT_OBJECTIVE_LATENCY;
  if ((rc = strat_problem_init(&s->problem, &s->graph, &s->model, objective, diag)) != SCHED_OK)
    return rc;
  if (o->strategy_file && (rc = strat_problem_force_json(&s->problem, o->strategy_file, diag)))
    return rc;
  if ((rc = solve(o, s, diag)) != SCHED_OK || !o->dump_plan)
    return rc;
  return strat_plan_write_json(&s->problem, chosen_run(o, s)->plan, o->net, o->dump_plan, diag);
}

int cmd_run(int argc, char **argv) {
  run_options_t o;
  if (parse_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (o.help) {
    print_usage(stdout);
    return CLI_EXIT_OK;
  }
  if (o.list_nets) {
    ir_zoo_list(stdout);
    return CLI_EXIT_OK;
  }
  if (check_options(&o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  run_state_t *s = sched_xcalloc(1, sizeof *s);
  sched_diag_t diag = {{0}};
  int rc = run_pipeline(&o, s, &diag);
  int code = rc == SCHED_OK ? write_report(&o, s) : exit_code_of(rc);
  if (rc != SCHED_OK)
    cli_error("%s", diag.msg);
  run_state_free(s);
  free(s);
  return code;
}
