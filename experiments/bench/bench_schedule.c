/* bench_schedule.c - the full pipeline per zoo net (vpu27, analytic cost) at
 * 2MB and 1MB of CMX: load + fuse + candidates, solve (greedy, or the ILP
 * seeded with greedy), task graph, simulation, barriers, and the reports
 * (text and JSON written to /dev/null), with wall time per stage; then,
 * apart, the pictures written only on request (Chrome trace and SVG).
 * Targets for the total: under 100 ms per net with greedy, under 1 s with
 * the ILP.
 * Timing figures live here only, never in test assertions.
 *
 *   BUILD_DIR/bench_schedule [greedy|ilp] [time_limit_s]   (default greedy, 10) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report.h"

static const char *const bench_nets[] = {"fsrcnn",   "edsr",     "wdsr",       "mobilenetv2",
                                         "resnet18", "resnet50", "yolov3-tiny"};
static const int64_t bench_cmx[] = {2 << 20, 1 << 20};

enum {
  STAGE_PLAN_INPUT,
  STAGE_SOLVE,
  STAGE_TASKS,
  STAGE_SIMULATE,
  STAGE_BARRIERS,
  STAGE_REPORTS,
  STAGE_PICTURES, /* written on request only: not in the total */
  STAGE_COUNT
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct {
  arch_t arch;
  ir_graph_t g;
  cost_model_t model;
  strat_problem_t p;
  strat_plan_t plans[2];
  strat_stats_t stats[2];
  int n_plans;
  schedule_graph_t tasks;
  schedule_t s;
  schedule_barriers_t b;
} bench_t;

static int bench_inputs(bench_t *x, const char *net, int64_t cmx, sched_diag_t *d) {
  int rc = arch_preset("vpu27", &x->arch, d);
  if (rc == SCHED_OK)
    rc = arch_set_cmx(&x->arch, cmx, d);
  if (rc == SCHED_OK)
    rc = ir_zoo_build(net, &x->g, d);
  if (rc != SCHED_OK)
    return rc;
  ir_graph_fuse_activations(&x->g, x->arch.ppe_fusable);
  rc = cost_model_init(&x->model, &x->arch, "analytic", d);
  return rc == SCHED_OK ? strat_problem_init(&x->p, &x->g, &x->model, STRAT_OBJECTIVE_LATENCY, d)
                        : rc;
}

static int bench_solve(bench_t *x, const char *solver, double limit_s, sched_diag_t *d) {
  strat_params_t prm = {.time_limit_s = limit_s, .seed = 1, .anneal_iters = 20000};
  int rc = strat_solve(strat_solver_find("greedy"), &x->p, &prm, &x->plans[0], &x->stats[0], d);
  x->n_plans = 1;
  if (rc != SCHED_OK || strcmp(solver, "greedy") == 0)
    return rc;
  const strat_solver_t *sv = strat_solver_find(solver);
  if (!sv)
    return sched_diag_set(d, SCHED_ERR_INPUT, "unknown solver '%s'", solver);
  prm.incumbent = &x->plans[0];
  x->n_plans = 2;
  return strat_solve(sv, &x->p, &prm, &x->plans[1], &x->stats[1], d);
}

static int bench_reports(bench_t *x, const char *net) {
  FILE *null = fopen("/dev/null", "w");
  if (!null)
    return SCHED_ERR_INPUT;
  report_solver_run_t run = {.solver = "bench",
                             .plan = &x->plans[x->n_plans - 1],
                             .stats = &x->stats[x->n_plans - 1],
                             .schedule = &x->s,
                             .barriers = &x->b};
  report_input_t in = {.net_spec = net,
                       .cost_spec = "analytic",
                       .g = &x->g,
                       .arch = &x->arch,
                       .problem = &x->p,
                       .chosen = &run};
  report_text(&in, null);
  int rc = report_json(&in, null);
  fclose(null);
  return rc;
}

static int bench_pictures(bench_t *x, const char *net) {
  FILE *null = fopen("/dev/null", "w");
  if (!null)
    return SCHED_ERR_INPUT;
  int rc = report_trace(
      &(report_trace_input_t){.g = &x->tasks, .s = &x->s, .b = &x->b, .arch = &x->arch, .net = net},
      null);
  if (rc == SCHED_OK)
    rc = report_svg(&x->tasks, &x->s, &x->arch, net, NULL, null);
  fclose(null);
  return rc;
}

static int bench_stages(bench_t *x, const char *net, int64_t cmx, const char *solver,
                        double limit_s, double ms[STAGE_COUNT], sched_diag_t *d) {
  schedule_params_t prm = schedule_params_default();
  double t = now_ms();
  int rc = bench_inputs(x, net, cmx, d);
  ms[STAGE_PLAN_INPUT] = now_ms() - t;
  if (rc == SCHED_OK && (t = now_ms(), rc = bench_solve(x, solver, limit_s, d)) == SCHED_OK)
    ms[STAGE_SOLVE] = now_ms() - t;
  const strat_plan_t *plan = &x->plans[x->n_plans - 1];
  if (rc == SCHED_OK &&
      (t = now_ms(), rc = schedule_graph_build(&x->p, plan, &prm, &x->tasks, d)) == SCHED_OK)
    ms[STAGE_TASKS] = now_ms() - t;
  if (rc == SCHED_OK &&
      (t = now_ms(), rc = schedule_simulate(&x->tasks, &x->arch, &x->s, d)) == SCHED_OK)
    ms[STAGE_SIMULATE] = now_ms() - t;
  if (rc == SCHED_OK && (t = now_ms(), rc = schedule_barriers_plan(&x->tasks, &x->arch, &prm, &x->s,
                                                                   &x->b, d)) == SCHED_OK)
    ms[STAGE_BARRIERS] = now_ms() - t;
  if (rc == SCHED_OK && (t = now_ms(), rc = bench_reports(x, net)) == SCHED_OK)
    ms[STAGE_REPORTS] = now_ms() - t;
  if (rc == SCHED_OK && (t = now_ms(), rc = bench_pictures(x, net)) == SCHED_OK)
    ms[STAGE_PICTURES] = now_ms() - t;
  return rc;
}

static void bench_free(bench_t *x) {
  schedule_barriers_free(&x->b);
  schedule_free(&x->s);
  schedule_graph_free(&x->tasks);
  for (int i = 0; i < x->n_plans; i++)
    strat_plan_free(&x->plans[i]);
  strat_problem_free(&x->p);
  cost_model_free(&x->model);
  ir_graph_free(&x->g);
}

static void bench_net(const char *net, int64_t cmx, const char *solver, double limit_s) {
  bench_t x = {0};
  sched_diag_t d = {{0}};
  double ms[STAGE_COUNT] = {0};
  int rc = bench_stages(&x, net, cmx, solver, limit_s, ms, &d);
  printf("%-12s %5lldKB ", net, (long long)(cmx >> 10));
  if (rc != SCHED_OK) {
    printf("error: %s\n", d.msg);
  } else {
    double total = 0;
    for (int i = 0; i < STAGE_PICTURES; i++)
      total += ms[i];
    const strat_plan_t *plan = &x.plans[x.n_plans - 1];
    printf("%6d %5d %4d %4d %10.1f %10.1f | %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f | %8.2f%-5s "
           "| %8.2f\n",
           x.tasks.n_tasks, x.b.n_barriers, x.b.ids_used, x.b.peak_live,
           arch_cycles_to_us(&x.arch, x.s.latency_cycles),
           arch_cycles_to_us(&x.arch, plan->latency_cycles), ms[0], ms[1], ms[2], ms[3], ms[4],
           ms[5], total, total > (strcmp(solver, "greedy") == 0 ? 100 : 1000) ? " OVER" : "",
           ms[STAGE_PICTURES]);
  }
  bench_free(&x);
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: bench_schedule [greedy|ilp] [time_limit_s]   (default greedy, 10)\n\n"
           "The full pipeline per zoo net at 2MB and 1MB of CMX, wall time per stage.\n");
    return 0;
  }
  const char *solver = argc > 1 ? argv[1] : "greedy";
  double limit_s = argc > 2 ? atof(argv[2]) : 10;
  printf("# full pipeline, vpu27, analytic cost, solver %s; times in ms\n", solver);
  printf("%-12s %7s %6s %5s %4s %4s %10s %10s | %7s %7s %7s %7s %7s %7s | %8s%-5s | %8s\n", "net",
         "cmx", "tasks", "bars", "ids", "live", "sched_us", "plan_us", "input", "solve", "tasks",
         "sim", "barrier", "reports", "total", "", "pictures");
  for (int c = 0; c < SCHED_ARRAY_LEN(bench_cmx); c++)
    for (int n = 0; n < SCHED_ARRAY_LEN(bench_nets); n++)
      bench_net(bench_nets[n], bench_cmx[c], solver, limit_s);
  return 0;
}
