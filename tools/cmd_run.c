/* cmd_run.c - `sched --net NET --cmx SIZE ...`: the planning pipeline.
 *
 * Parses options, runs the pipeline (tools/pipeline.h) and writes the
 * report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

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
  int64_t ilp_nodes;
  int64_t seed;
  const char *lp_path;
  const char *strategy_file;
  const char *input_shape;
  const char *dtype;
  const char *dump_ir;
  bool strict;
  const char *dump_plan;
  const char *trace_path;
  const char *svg_path;
  const char *svg_range;
  const char *memory_map_path;
  const char *output_dir;
  const char *allocator;
  double alloc_time_limit_s;
  int64_t alloc_nodes;
  int64_t barriers;
  int64_t prefetch;
  bool ladder;
  const char *ladder_step;
  bool no_timing;
  bool verbose;
  bool list_nets;
  bool help;
  char *command_line; /* for provenance; not an option */
} run_options_t;

static const run_options_t run_defaults = {
    .arch = "vpu27",
    .format = "text",
    .cost = "analytic",
    .solver = "ilp",
    .objective = "latency",
    .time_limit_s = 10,
    .ilp_nodes = 100,
    .seed = 1,
    .prefetch = -1,
    .allocator = "search",
    .alloc_time_limit_s = 10,
    .alloc_nodes = 400000,
};

#define RUN_FIELD(f) offsetof(run_options_t, f)

static const cli_option_t run_flags[] = {
    CLI_OPT("--net", CLI_ARG_STRING, RUN_FIELD(net), "NET",
            "zoo name (name:key=value,...), FILE.onnx or FILE.json (required)"),
    CLI_OPT("--cmx", CLI_ARG_STRING, RUN_FIELD(cmx), "SIZE",
            "CMX budget per tile: 2MB, 1936KB, 1.5MiB, 2097152 (default: the arch's workspace)"),
    CLI_OPT("--arch", CLI_ARG_STRING, RUN_FIELD(arch), "NAME|FILE",
            "vpu20, vpu27 (default), vpu40, or an arch JSON file"),
    CLI_OPT("--format", CLI_ARG_STRING, RUN_FIELD(format), "FMT", "text (default), json or csv"),
    CLI_OPT("--cost", CLI_ARG_STRING, RUN_FIELD(cost), "SPEC",
            "analytic (default) or lut:FILE.csv"),
    CLI_OPT("--solver", CLI_ARG_STRING, RUN_FIELD(solver), "NAME",
            "a solver, or all to compare them"),
    CLI_OPT("--objective", CLI_ARG_STRING, RUN_FIELD(objective), "OBJ",
            "latency (default) or bandwidth"),
    CLI_NUM("--time-limit", CLI_ARG_DOUBLE, RUN_FIELD(time_limit_s), "SEC",
            "solver wall-clock limit; the ilp's covers the heuristics seeding it and its MIP, "
            "and its second MIP (at the searched plan's windows) gets as much (default 10)",
            1e-3, 1e6),
    CLI_NUM("--ilp-nodes", CLI_ARG_INT, RUN_FIELD(ilp_nodes), "N",
            "ilp: branch-and-bound nodes before it stops with its gap (default 100; 0 = no "
            "limit); a count, so results are the same on any machine",
            0, INT32_MAX),
    CLI_NUM("--seed", CLI_ARG_INT, RUN_FIELD(seed), "N", "random seed of anneal (default 1)", 0,
            1e15),
    CLI_OPT("--lp", CLI_ARG_STRING, RUN_FIELD(lp_path), "FILE",
            "ilp: write the model in CPLEX LP format (the last MIP it solved, whose gap it "
            "reports)"),
    CLI_OPT("--input-shape", CLI_ARG_STRING, RUN_FIELD(input_shape), "NAME=NxCxHxW",
            "ONNX: shape of an input with dynamic dims (several: separate with ';')"),
    CLI_OPT("--dtype", CLI_ARG_STRING, RUN_FIELD(dtype), "u8|fp16",
            "ONNX: what a float model is planned as (default fp16, with a warning)"),
    CLI_OPT(
        "--strict", CLI_ARG_FLAG, RUN_FIELD(strict), NULL,
        "ONNX: an op sched does not know is an error (default: a generic SHAVE op, one warning)"),
    CLI_OPT("--dump-ir", CLI_ARG_STRING, RUN_FIELD(dump_ir), "FILE.json",
            "write the network as JSON IR (ir/JSON_IR.md), before fusion"),
    CLI_OPT("--strategy-file", CLI_ARG_STRING, RUN_FIELD(strategy_file), "FILE",
            "force layers' strategies (JSON, as --dump-plan writes); the solver does the rest"),
    CLI_OPT("--dump-plan", CLI_ARG_STRING, RUN_FIELD(dump_plan), "FILE",
            "write the chosen plan as JSON"),
    CLI_OPT("--trace", CLI_ARG_STRING, RUN_FIELD(trace_path), "FILE.json",
            "write the chosen plan's schedule as a Chrome trace (Perfetto, chrome://tracing)"),
    CLI_OPT("--svg", CLI_ARG_STRING, RUN_FIELD(svg_path), "FILE.svg",
            "write the chosen plan's schedule as a Gantt chart"),
    CLI_OPT("--svg-range", CLI_ARG_STRING, RUN_FIELD(svg_range), "START:END",
            "--svg: draw only this window of the schedule, in us (e.g. 0:3000)"),
    CLI_OPT("--memory-map", CLI_ARG_STRING, RUN_FIELD(memory_map_path), "FILE.svg",
            "write the chosen plan's CMX allocation: steps x addresses, a box per buffer"),
    CLI_OPT("--output-dir", CLI_ARG_STRING, RUN_FIELD(output_dir), "DIR",
            "also write DIR/summary.csv, DIR/layers.csv, DIR/report.json (and DIR/solvers.csv with "
            "--solver all, DIR/ladder.csv with --ladder); DIR is created if missing"),
    CLI_OPT("--allocator", CLI_ARG_STRING, RUN_FIELD(allocator), "NAME",
            "CMX allocator: search (default), greedy-size, linear (see sched memalloc --help)"),
    CLI_NUM("--alloc-nodes", CLI_ARG_INT, RUN_FIELD(alloc_nodes), "N",
            "search nodes for all CMX allocation attempts of a plan (default 400000; then "
            "greedy-size's layout); a count, so layouts are the same on any machine",
            1, 1e12),
    CLI_NUM("--alloc-time-limit", CLI_ARG_DOUBLE, RUN_FIELD(alloc_time_limit_s), "SEC",
            "CMX allocator wall-clock safety net per attempt (default 10)", 1e-3, 1e6),
    CLI_NUM("--barriers", CLI_ARG_INT, RUN_FIELD(barriers), "N",
            "physical barriers available (default: the arch's); too few serialise tasks", 0,
            1 << 20),
    CLI_NUM("--prefetch", CLI_ARG_INT, RUN_FIELD(prefetch), "N",
            "most layers ahead whose weights may load during compute (default: as far as CMX "
            "room allows; 0 = none)",
            0, 1 << 20),
    CLI_OPT("--ladder", CLI_ARG_FLAG, RUN_FIELD(ladder), NULL,
            "also plan every 256KB rung (or --ladder-step's) below --cmx and keep the rung below's "
            "plan where it "
            "schedules faster: more CMX never schedules slower (one solve per rung)"),
    CLI_OPT("--ladder-step", CLI_ARG_STRING, RUN_FIELD(ladder_step), "SIZE",
            "--ladder: the rungs' spacing (default 256KB; 128KB also carries up what the budgets "
            "between 256KB rungs find); implies --ladder"),
    CLI_OPT("--no-timing", CLI_ARG_FLAG, RUN_FIELD(no_timing), NULL,
            "print solve times as 0 / '-' so reports are byte-identical across runs"),
    CLI_OPT(
        "--verbose", CLI_ARG_FLAG, RUN_FIELD(verbose), NULL,
        "text report: every arch constant, and the layer table's MACs, act, stream, mode, overlap "
        "and stall columns"),
    CLI_OPT("--list-nets", CLI_ARG_FLAG, RUN_FIELD(list_nets), NULL,
            "list the zoo networks and exit"),
    CLI_CONST("-O0", RUN_FIELD(solver), "greedy", "solver greedy"),
    CLI_CONST("-O1", RUN_FIELD(solver), "rollback", "solver rollback"),
    CLI_CONST("-O2", RUN_FIELD(solver), "ilp", "solver ilp"),
    CLI_OPT("--help", CLI_ARG_FLAG, RUN_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, RUN_FIELD(help), NULL, "this help"),
};

static cli_spec_t run_spec(void) {
  return (cli_spec_t){.options = run_flags, .n_options = SCHED_ARRAY_LEN(run_flags)};
}

static void print_usage(FILE *out) {
  fprintf(out, "usage: sched --net NET [--cmx SIZE] [options]\n"
               "       sched SUBCOMMAND --help\n\n"
               "Plans a network on an NPU: per layer a multi-cluster strategy and tiling that\n"
               "fits the per-tile CMX budget, spills through DDR, and the modelled latency.\n\n"
               "options:\n");
  cli_spec_t spec = run_spec();
  cli_print_options(&spec, out);
  fprintf(out, "\nsolvers:\n");
  for (const strat_solver_t *const *s = strat_solvers(); *s; s++)
    fprintf(out, "  %-24s %s\n", (*s)->name, (*s)->summary);
}

static int parse_options(int argc, char **argv, run_options_t *o) {
  *o = run_defaults;
  cli_spec_t spec = run_spec();
  return cli_parse(&spec, argc, argv, o);
}

static int exit_code_of(int status) {
  return status == SCHED_ERR_INPUT || status == SCHED_ERR_NOMEM ? CLI_EXIT_INPUT : CLI_EXIT_NO;
}

static report_input_t report_input(const run_options_t *o, const pipeline_t *p) {
  return (report_input_t){.net_spec = o->net,
                          .cost_spec = o->cost,
                          .g = &p->graph,
                          .arch = &p->arch,
                          .problem = &p->problem,
                          .chosen = pipeline_chosen(p),
                          .comparison = p->all_solvers ? p->runs : NULL,
                          .n_comparison = p->all_solvers ? p->n_runs : 0,
                          .timing = !o->no_timing,
                          .verbose = o->verbose,
                          .command_line = o->command_line,
                          .ladder = p->n_ladder ? p->ladder : NULL,
                          .n_ladder = p->n_ladder};
}

static int write_report(const run_options_t *o, const pipeline_t *p) {
  report_input_t in = report_input(o, p);
  if (strcmp(o->format, "json") == 0)
    return report_json(&in, stdout) == SCHED_OK ? CLI_EXIT_OK : cli_error("out of memory");
  if (strcmp(o->format, "csv") == 0)
    report_csv(&in, stdout);
  else
    report_text(&in, stdout);
  return CLI_EXIT_OK;
}

/* "START:END" in us, START < END; false when it is not that. */
static bool parse_range(const char *text, report_svg_range_t *r) {
  char *end;
  r->start_us = strtod(text, &end);
  if (end == text || *end != ':')
    return false;
  const char *second = end + 1;
  r->end_us = strtod(second, &end);
  return end != second && *end == '\0' && r->start_us >= 0 && r->end_us > r->start_us;
}

static int write_svg(const run_options_t *o, const pipeline_t *p, int i, FILE *f,
                     sched_diag_t *diag) {
  report_svg_range_t range;
  if (o->svg_range && !parse_range(o->svg_range, &range))
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "--svg-range: expected START:END in us with START < END, got '%s'",
                          o->svg_range);
  int rc =
      report_svg(&p->tasks[i], &p->schedules[i], &p->arch, o->net, o->svg_range ? &range : NULL, f);
  if (rc != SCHED_OK)
    return sched_diag_set(diag, rc, "--svg-range: %s is outside the schedule (0:%.3f us)",
                          o->svg_range,
                          arch_cycles_to_us(&p->arch, p->schedules[i].latency_cycles));
  return SCHED_OK;
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
    cJSON *meta = k == 0 ? report_provenance_json(o->command_line, &p->arch) : NULL;
    rc = k == 0 ? report_trace(&(report_trace_input_t){.g = &p->tasks[i],
                                                       .s = &p->schedules[i],
                                                       .b = &p->barriers[i],
                                                       .alloc = pipeline_chosen(p)->alloc,
                                                       .arch = &p->arch,
                                                       .net = o->net,
                                                       .metadata = meta},
                               f)
                : write_svg(o, p, i, f, diag);
    cJSON_Delete(meta);
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

/* One file of --output-dir. */
static int write_one(const char *dir, const char *name, const report_input_t *in, int kind,
                     sched_diag_t *diag) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
  int rc = SCHED_OK;
  switch (kind) {
  case 0: rc = report_csv_summary(in, f); break;
  case 1: report_csv_layers(in, f); break;
  case 2: report_csv_solvers(in, f); break;
  case 3: report_csv_ladder(in, f); break;
  default: rc = report_json(in, f); break;
  }
  if (fclose(f) != 0 && rc == SCHED_OK)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "cannot write '%s'", path);
  return rc == SCHED_OK ? SCHED_OK : sched_diag_set(diag, rc, "%s: out of memory", path);
}

/* --output-dir: the tables and the JSON, as files (Vela's summary and
 * per-layer pair). */
static int write_output_dir(const run_options_t *o, const pipeline_t *p, sched_diag_t *diag) {
  if (!o->output_dir)
    return SCHED_OK;
  if (mkdir(o->output_dir, 0777) != 0 && errno != EEXIST)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "--output-dir: cannot create '%s': %s",
                          o->output_dir, strerror(errno));
  report_input_t in = report_input(o, p);
  static const char *const names[] = {"summary.csv", "layers.csv", "solvers.csv", "ladder.csv",
                                      "report.json"};
  int rc = SCHED_OK;
  for (int k = 0; k < SCHED_ARRAY_LEN(names) && rc == SCHED_OK; k++)
    if ((k != 2 || in.comparison) && (k != 3 || in.ladder))
      rc = write_one(o->output_dir, names[k], &in, k, diag);
  return rc;
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
  po.ilp_nodes = o->ilp_nodes;
  po.seed = (uint64_t)o->seed;
  po.lp_path = o->lp_path;
  po.strategy_file = o->strategy_file;
  po.onnx.warnings = stderr;
  po.onnx.input_shapes = o->input_shape;
  po.onnx.strict = o->strict;
  po.onnx.float_dtype = o->dtype;
  po.dump_ir = o->dump_ir;
  po.schedule.barriers = (int32_t)o->barriers; /* ranges checked by the option table */
  po.prefetch_cap = o->prefetch < 0 ? -1 : (int32_t)o->prefetch;
  po.ladder = o->ladder || o->ladder_step;
  po.ladder_step = o->ladder_step;
  po.alloc.allocator = o->allocator;
  po.alloc.time_limit_s = o->alloc_time_limit_s;
  po.alloc.search_nodes = o->alloc_nodes;
  return po;
}

/* Everything after parsing: help, the zoo list, or the pipeline. */
static int run(const run_options_t *opts) {
  const run_options_t o = *opts;
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
  for (int i = 0; rc == SCHED_OK && i < p->n_runs; i++)
    report_solver_fallback_warning(&p->runs[i], &p->problem, stderr);
  if (rc == SCHED_OK && o.dump_plan)
    rc = strat_plan_write_json(&p->problem, pipeline_chosen(p)->plan, o.net, o.dump_plan, &diag);
  if (rc == SCHED_OK)
    rc = write_pictures(&o, p, &diag);
  if (rc == SCHED_OK)
    rc = write_memory_map(&o, p, &diag);
  if (rc == SCHED_OK)
    rc = write_output_dir(&o, p, &diag);
  int code = rc == SCHED_OK ? write_report(&o, p) : exit_code_of(rc);
  if (rc != SCHED_OK)
    cli_error("%s", diag.msg);
  pipeline_free(p);
  free(p);
  return code;
}

int cmd_run(int argc, char **argv) {
  run_options_t o;
  if (parse_options(argc, argv, &o) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  o.command_line = cli_command_line(argc, argv);
  int code = run(&o);
  free(o.command_line);
  return code;
}
