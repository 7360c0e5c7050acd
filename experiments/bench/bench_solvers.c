/* bench_solvers.c - every solver on every zoo net of the solver study at
 * 2MB and 1MB of CMX (vpu27, analytic cost): modelled latency, spills, peak
 * CMX, solve time and the ILP's gap. Solvers run in table order; each gets
 * the best plan so far as its incumbent, as `sched --solver all` does.
 * Timing figures live here only, never in test assertions.
 *
 *   BUILD_DIR/bench_solvers [time_limit_s]     (default 10) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strategies/strategies.h"

static const char *const bench_nets[] = {"mobilenetv2", "resnet50", "resnet18", "yolov3-tiny",
                                         "fsrcnn",      "edsr",     "wdsr"};
static const int64_t bench_cmx[] = {2 << 20, 1 << 20};

static void print_run(const arch_t *arch, const char *net, const char *solver, int rc,
                      const strat_plan_t *plan, const strat_stats_t *st, const char *err) {
  printf("%-12s %5lldKB %-9s ", net, (long long)(arch->cmx_workspace_bytes >> 10), solver);
  if (rc != SCHED_OK) {
    printf("error: %s\n", err);
    return;
  }
  printf("%12.1f %12lld %10lld %10.2f %8.4f %s\n", arch_cycles_to_us(arch, plan->latency_cycles),
         (long long)plan->spill_bytes, (long long)plan->peak_cmx_bytes, st->solve_ms, st->mip_gap,
         st->optimal ? "yes" : "no");
}

static void bench_problem(const arch_t *arch, const char *net, const strat_problem_t *p,
                          double time_limit_s) {
  strat_plan_t plans[8];
  int n = 0, best = -1;
  for (const strat_solver_t *const *sv = strat_solvers(); *sv && n < 8; sv++, n++) {
    strat_params_t params = {.time_limit_s = time_limit_s, .seed = 1, .anneal_iters = 20000};
    params.incumbent = best >= 0 ? &plans[best] : NULL;
    strat_stats_t st;
    sched_diag_t d = {{0}};
    int rc = strat_solve(*sv, p, &params, &plans[n], &st, &d);
    if (rc != SCHED_OK && !plans[n].cand)
      strat_plan_init(&plans[n], p->n_layers);
    print_run(arch, net, (*sv)->name, rc, &plans[n], &st, d.msg);
    if (rc == SCHED_OK && (best < 0 || plans[n].objective < plans[best].objective))
      best = n;
  }
  for (int i = 0; i < n; i++)
    strat_plan_free(&plans[i]);
}

static int bench_net(const char *net, int64_t cmx, double time_limit_s) {
  sched_diag_t d = {{0}};
  arch_t arch;
  cost_model_t model = {0};
  ir_graph_t g = {0};
  strat_problem_t p = {0};
  int rc = arch_preset("vpu27", &arch, &d);
  if (rc == SCHED_OK)
    rc = arch_set_cmx(&arch, cmx, &d);
  if (rc == SCHED_OK)
    rc = cost_model_init(&model, &arch, "analytic", &d);
  if (rc == SCHED_OK)
    rc = ir_zoo_build(net, &g, &d);
  if (rc == SCHED_OK) {
    ir_graph_fuse_activations(&g, arch.ppe_fusable);
    rc = strat_problem_init(&p, &g, &model, STRAT_OBJECTIVE_LATENCY, &d);
  }
  if (rc == SCHED_OK)
    bench_problem(&arch, net, &p, time_limit_s);
  else
    printf("%-12s %5lldKB problem: %s\n", net, (long long)(cmx >> 10), d.msg);
  strat_problem_free(&p);
  ir_graph_free(&g);
  cost_model_free(&model);
  return rc;
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: bench_solvers [time_limit_s]   (default 10)\n\n"
           "Every solver per zoo net at 2MB and 1MB of CMX: latency, spills, peak CMX,\n"
           "solve time, the ILP's gap.\n");
    return 0;
  }
  double time_limit_s = argc > 1 ? atof(argv[1]) : 10;
  printf("# vpu27, analytic cost, latency objective, ILP time limit %.1f s\n", time_limit_s);
  printf("%-12s %7s %-9s %12s %12s %10s %10s %8s %s\n", "net", "cmx", "solver", "latency_us",
         "spill_bytes", "peak_cmx", "solve_ms", "mip_gap", "optimal");
  int failures = 0;
  for (int i = 0; i < SCHED_ARRAY_LEN(bench_nets); i++)
    for (int j = 0; j < SCHED_ARRAY_LEN(bench_cmx); j++)
      failures += bench_net(bench_nets[i], bench_cmx[j], time_limit_s) != SCHED_OK;
  return failures ? 1 : 0;
}
