/* cmd_run.c - `sched --net NET --cmx SIZE ...`: the planning pipeline.
 *
 * Parses options, runs the pipeline (tools/pipeline.h) and writes the
 * report. */
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/pipeline.h"

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
  const char *input_shape;
  const char *dump_ir;
  bool strict;
  const char *dump_plan;
  const char *trace_path;
  const char *svg_path;
  const char *memory_map_path;
  const char *allocator;
  double alloc_time_limit_s;
  uint64_t alloc_nodes;
  uint64_t barriers;
  uint64_t prefetch;
  bool no_timing;
  bool list_nets;
  bool help;
} run_options_t;

static const run_options_t run_defaults = {
    .arch = "vpu27",
    .format = "text",
    .cost = "analytic",
    .solver = "ilp",
    .objective = "latency",
    .time_limit_s = 10,
    .seed = 1,
    .prefetch = 1,
    .allocator = "search",
    .alloc_time_limit_s = 10,
    .alloc_nodes = 400000,
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
    {"--input-shape", ARG_STRING, RUN_FIELD(input_shape), "NAME=NxCxHxW",
     "ONNX: shape of an input with dynamic dims (several: separate with ';')"},
    {"--strict", ARG_FLAG, RUN_FIELD(strict), NULL,
     "ONNX: an op sched does not know is an error (default: a generic SHAVE op, one warning)"},
    {"--dump-ir", ARG_STRING, RUN_FIELD(dump_ir), "FILE.json",
     "write the network as JSON IR (ir/JSON_IR.md), before fusion"},
    {"--strategy-file", ARG_STRING, RUN_FIELD(strategy_file), "FILE",
     "force layers' strategies (JSON, as --dump-plan writes); the solver does the rest"},
    {"--dump-plan", ARG_STRING, RUN_FIELD(dump_plan), "FILE", "write the chosen plan as JSON"},
    {"--trace", ARG_STRING, RUN_FIELD(trace_path), "FILE.json",
     "write the chosen plan's schedule as a Chrome trace (Perfetto, chrome://tracing)"},
    {"--svg", ARG_STRING, RUN_FIELD(svg_path), "FILE.svg",
     "write the chosen plan's schedule as a Gantt chart"},
    {"--memory-map", ARG_STRING, RUN_FIELD(memory_map_path), "FILE.svg",
     "write the chosen plan's CMX allocation: steps x addresses, a box per buffer"},
    {"--allocator", ARG_STRING, RUN_FIELD(allocator), "NAME",
     "CMX allocator: search (default), greedy-size, linear (see sched memalloc --help)"},
    {"--alloc-nodes", ARG_U64, RUN_FIELD(alloc_nodes), "N",
     "search nodes for all CMX allocation attempts of a plan (default 400000; then "
     "greedy-size's layout); a count, so layouts are the same on any machine"},
    {"--alloc-time-limit", ARG_DOUBLE, RUN_FIELD(alloc_time_limit_s), "SEC",
     "CMX allocator wall-clock safety net per attempt (default 10)"},
    {"--barriers", ARG_U64, RUN_FIELD(barriers), "N",
     "physical barriers available (default: the arch's); too few serialise tasks"},
    {"--prefetch", ARG_U64, RUN_FIELD(prefetch), "N",
     "layers ahead whose weights and inputs may load during compute (default 1; 0 = none)"},
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
    if (cli_double(f->flag, value, 0, CLI_MAX_SECONDS, (double *)field) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
    if (*(double *)field <= 0)
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

static int exit_code_of(int status) {
  return status == SCHED_ERR_INPUT || status == SCHED_ERR_NOMEM ? CLI_EXIT_INPUT : CLI_EXIT_NO;
}

static int write_report(const run_options_t *o, const pipeline_t *p) {
  report_input_t in = {.net_spec = o->net,
                       .cost_spec = o->cost,
                       .g = &p->graph,
                       .arch = &p->arch,
                       .problem = &p->problem,
                       .chosen = pipeline_chosen(p),
                       .comparison = p->all_solvers ? p->runs : NULL,
                       .n_comparison = p->all_solvers ? p->n_runs : 0,
                       .timing = !o->no_timing};
  if (strcmp(o->format, "json") == 0)
    return report_json(&in, stdout) == SCHED_OK ? CLI_EXIT_OK : cli_error("out of memory");
  if (strcmp(o->format, "csv") == 0)
    report_csv(&in, stdout);
  else
    report_text(&in, stdout);
  return CLI_EXIT_OK;
}

/* --trace and --svg: the chosen plan's schedule as pictures. */
static int write_pictures(const run_options_t *o, const pipeline_t *p, sched_diag_t *diag) {
  int i = (int)(pipeline_chosen(p) - p->runs);
  const char *paths[] = {o->trace_path, o->svg_path};
  for (int k = 0; k < 2; k++) {
    if (!paths[k])
      continue;
    sched_out_t out;
    int rc = sched_out_open(&out, paths[k], diag);
    if (rc != SCHED_OK)
      return rc;
    FILE *f = out.f;
    rc = k == 0 ? report_trace(&p->tasks[i], &p->schedules[i], &p->barriers[i], &p->arch, o->net, f)
                : report_svg(&p->tasks[i], &p->schedules[i], &p->arch, o->net, f);
    if (rc != SCHED_OK) {
      sched_out_discard(&out);
      return sched_diag_set(diag, rc, "cannot write '%s'", paths[k]);
    }
    rc = sched_out_commit(&out, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

/* --memory-map: the chosen plan's CMX allocation as a picture. */
static int write_memory_map(const run_options_t *o, const pipeline_t *p, sched_diag_t *diag) {
  const report_solver_run_t *run = pipeline_chosen(p);
  if (!o->memory_map_path || !run->alloc)
    return SCHED_OK;
  sched_out_t out;
  int rc = sched_out_open(&out, o->memory_map_path, diag);
  if (rc != SCHED_OK)
    return rc;
  if (report_memory_map(&p->problem, run->alloc, o->net, out.f) != SCHED_OK) {
    sched_out_discard(&out);
    return sched_diag_set(diag, SCHED_ERR_INPUT, "cannot write '%s'", o->memory_map_path);
  }
  return sched_out_commit(&out, diag);
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

static pipeline_options_t pipeline_options(const run_options_t *o) {
  pipeline_options_t po = pipeline_defaults();
  po.net = o->net;
  po.arch = o->arch;
  po.cmx = o->cmx;
  po.cost = o->cost;
  po.solver = o->solver;
  po.objective =
      strcmp(o->objective, "bandwidth") == 0 ? STRAT_OBJECTIVE_BANDWIDTH : STRAT_OBJECTIVE_LATENCY;
  po.time_limit_s = o->time_limit_s;
  po.seed = o->seed;
  po.lp_path = o->lp_path;
  po.strategy_file = o->strategy_file;
  po.onnx.warnings = stderr;
  po.onnx.input_shapes = o->input_shape;
  po.onnx.strict = o->strict;
  po.dump_ir = o->dump_ir;
  po.schedule.barriers = (int32_t)SCHED_MIN(o->barriers, 1u << 20);
  po.schedule.prefetch_depth = (int32_t)SCHED_MIN(o->prefetch, 1u << 20);
  po.alloc.allocator = o->allocator;
  po.alloc.time_limit_s = o->alloc_time_limit_s;
  po.alloc.search_nodes = (int64_t)o->alloc_nodes;
  return po;
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
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  sched_diag_t diag = {{0}};
  pipeline_options_t po = pipeline_options(&o);
  int rc = pipeline_run(&po, p, &diag);
  if (rc == SCHED_OK && o.dump_plan)
    rc = strat_plan_write_json(&p->problem, pipeline_chosen(p)->plan, o.net, o.dump_plan, &diag);
  if (rc == SCHED_OK)
    rc = write_pictures(&o, p, &diag);
  if (rc == SCHED_OK)
    rc = write_memory_map(&o, p, &diag);
  int code = rc == SCHED_OK ? write_report(&o, p) : exit_code_of(rc);
  if (rc != SCHED_OK)
    cli_error("%s", diag.msg);
  pipeline_free(p);
  free(p);
  return code;
}
