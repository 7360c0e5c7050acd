/* test_ilp_horizon.c - the ILP at scale: the rolling horizon equals the
 * full ILP when one window covers the net and is never worse than its
 * incumbent; the lower bound its gap is measured against is below every
 * solver's plan; and an ILP whose limits strike before it finds a plan says
 * whose plan it returned (stats, JSON report, one stderr line). No timing
 * is asserted: the limits used are too small for any solve to finish. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched_stdout.h"
#include "strategies/strategies.h"
#include "strategies_fixture.h"

/* The horizon as solvers: one window over the whole net, and small ones. */
static int horizon_whole(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                         strat_stats_t *stats, sched_diag_t *diag) {
  return strat_ilp_horizon(p, params, p->n_layers, p->n_layers, out, stats, diag);
}

static int horizon_small(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                         strat_stats_t *stats, sched_diag_t *diag) {
  return strat_ilp_horizon(p, params, 6, 3, out, stats, diag);
}

static const strat_solver_t whole = {"horizon-whole", "one window", horizon_whole};
static const strat_solver_t small = {"horizon-small", "windows of 6", horizon_small};

static bool same_plan(const strat_plan_t *a, const strat_plan_t *b) {
  return a->n_layers == b->n_layers &&
         memcmp(a->cand, b->cand, (size_t)a->n_layers * sizeof *a->cand) == 0 &&
         memcmp(a->spilled, b->spilled, (size_t)a->n_layers * sizeof *a->spilled) == 0;
}

static void check_whole_window(const char *net, int64_t cmx) {
  setup_t s = {0};
  setup_zoo(&s, net, cmx);
  strat_params_t params = solver_params_default();
  params.mip_only = true; /* the horizon's result is its MIPs' */
  strat_plan_t ilp = solve_named(&s.p, "ilp", &params, NULL);
  strat_plan_t hz = solve_with(&whole, &s.p, &params, NULL);
  cr_expect_eq(hz.objective, ilp.objective, "%s: horizon %lld, ilp %lld", net,
               (long long)hz.objective, (long long)ilp.objective);
  cr_expect(same_plan(&hz, &ilp), "%s: the plans differ", net);
  strat_plan_free(&ilp);
  strat_plan_free(&hz);
  teardown(&s);
}

Test(ilp_horizon, one_window_over_a_chain_equals_the_full_ilp) {
  check_whole_window("fsrcnn", 2 << 20);
  check_whole_window("fsrcnn", 1 << 20);
}

Test(ilp_horizon, one_window_over_a_dag_equals_the_full_ilp) {
  check_whole_window("resnet18", 1 << 20);
}

/* Small windows hold the rest of the net; the result is never worse than
 * the incumbent they start from, and never below the lower bound. */
static void check_small_windows(const char *net, int64_t cmx) {
  setup_t s = {0};
  setup_zoo(&s, net, cmx);
  strat_params_t params = solver_params_default();
  strat_plan_t greedy = solve_named(&s.p, "greedy", &params, NULL);
  params.incumbent = &greedy;
  params.incumbent_of = "greedy";
  strat_stats_t st;
  strat_plan_t hz = solve_with(&small, &s.p, &params, &st);
  cr_expect_leq(hz.objective, greedy.objective, "%s: horizon %lld above greedy %lld", net,
                (long long)hz.objective, (long long)greedy.objective);
  cr_expect_geq(hz.objective, strat_objective_lower_bound(&s.p));
  cr_expect_null(st.fallback, "%s: no limit struck", net);
  cr_expect(st.mip_gap >= 0 && st.mip_gap < 1, "%s: gap %g", net, st.mip_gap);
  cr_expect_gt(st.nodes, 0);
  strat_plan_free(&hz);
  strat_plan_free(&greedy);
  teardown(&s);
}

Test(ilp_horizon, small_windows_are_never_worse_than_the_incumbent) {
  check_small_windows("fsrcnn", 1 << 20);
  check_small_windows("yolov3-tiny", 1 << 20);
  check_small_windows("resnet18", 2 << 20);
}

Test(ilp_horizon, a_window_larger_than_its_step_is_required) {
  setup_t s = {0};
  setup_zoo(&s, "fsrcnn", 1 << 20);
  strat_params_t params = solver_params_default();
  strat_plan_t plan;
  strat_stats_t st = {0};
  sched_diag_t d = {{0}};
  cr_expect_eq(strat_ilp_horizon(&s.p, &params, 2, 3, &plan, &st, &d), SCHED_ERR_INPUT);
  cr_expect(strstr(d.msg, "step") != NULL, "%s", d.msg);
  teardown(&s);
}

/* ---- the lower bound ---- */

static void check_bound(const char *net, int64_t cmx, strat_objective_t objective) {
  setup_t s = {0};
  sched_diag_t d = {{0}};
  setup_arch(&s, cmx);
  cr_assert_eq(ir_zoo_build(net, &s.g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_fuse_activations(&s.g, s.arch.ppe_fusable);
  cr_assert_eq(strat_problem_init(&s.p, &s.g, &s.model, objective, &d), SCHED_OK, "%s", d.msg);
  int64_t bound = strat_objective_lower_bound(&s.p);
  cr_expect_gt(bound, 0, "%s", net);
  strat_params_t params = solver_params_default();
  for (const strat_solver_t *const *sv = strat_solvers(); *sv; sv++) {
    strat_plan_t plan = solve_named(&s.p, (*sv)->name, &params, NULL);
    cr_expect_leq(bound, plan.objective, "%s: bound %lld above %s's %lld", net, (long long)bound,
                  (*sv)->name, (long long)plan.objective);
    strat_plan_free(&plan);
  }
  teardown(&s);
}

Test(ilp_horizon, the_lower_bound_is_below_every_solver) {
  check_bound("fsrcnn", 1 << 20, STRAT_OBJECTIVE_LATENCY);
  check_bound("resnet18", 1 << 20, STRAT_OBJECTIVE_LATENCY);
  check_bound("yolov3-tiny", 2 << 20, STRAT_OBJECTIVE_LATENCY);
  check_bound("resnet18", 1 << 20, STRAT_OBJECTIVE_BANDWIDTH);
}

/* ---- falling back ---- */

/* A limit of a nanosecond strikes before any model is built. */
Test(ilp_horizon, an_ilp_out_of_time_names_the_plan_it_returns) {
  setup_t s = {0};
  setup_zoo(&s, "resnet18", 1 << 20);
  strat_params_t params = solver_params_default();
  strat_stats_t st;
  strat_plan_t free_run = solve_named(&s.p, "ilp", &params, &st);
  cr_expect_null(st.fallback);
  strat_plan_t greedy = solve_named(&s.p, "greedy", &params, NULL);
  params.incumbent = &greedy;
  params.incumbent_of = "greedy";
  params.time_limit_s = 1e-9;
  strat_plan_t ilp = solve_named(&s.p, "ilp", &params, &st);
  cr_assert_not_null(st.fallback);
  cr_expect_str_eq(st.fallback, "greedy");
  cr_expect_eq(st.fallback_layer, 0);
  cr_expect(same_plan(&ilp, &greedy));
  strat_plan_t hz = solve_with(&small, &s.p, &params, &st);
  cr_assert_not_null(st.fallback);
  cr_expect_str_eq(st.fallback, "greedy");
  cr_expect(same_plan(&hz, &greedy));
  strat_plan_free(&hz);
  strat_plan_free(&ilp);
  strat_plan_free(&greedy);
  strat_plan_free(&free_run);
  teardown(&s);
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  char *buf = calloc(1, 4096);
  size_t n = fread(buf, 1, 4095, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* The CLI's least limit, a millisecond, is shorter than building the model
 * of resnet101 takes. */
Test(ilp_horizon, the_report_and_stderr_say_the_ilp_fell_back) {
  char err[] = "/tmp/sched_test_fallback_XXXXXX";
  int fd = mkstemp(err);
  cr_assert_geq(fd, 0);
  close(fd);
  char args[256];
  snprintf(args, sizeof args,
           "--net resnet101 --cmx 1MB --solver ilp --time-limit 1e-3 "
           "--format json 2>%s",
           err);
  char *out = sched_stdout(args);
  char *warn = read_all(err);
  remove(err);
  const char *entry = strstr(out, "\"fallback\":");
  cr_assert_not_null(entry);
  cr_expect(strstr(entry, "\"solver\":\t\"ilp\"") != NULL, "%.600s", entry);
  cr_expect(strstr(entry, "\"plan\":\t\"") != NULL, "%.600s", entry);
  cr_expect(strstr(entry, "\"reason\":\t\"no plan of its own within its limits") != NULL, "%.600s",
            entry);
  cr_expect(strncmp(warn, "sched: warning: ilp: no plan of its own within its limits", 56) == 0,
            "%s", warn);
  cr_expect_eq(strchr(warn, '\n'), warn + strlen(warn) - 1, "one line: %s", warn);
  free(warn);
  free(out);
}
