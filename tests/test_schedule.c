/* test_schedule.c - the task graph and its schedule: a two-layer example
 * worked by hand, every zoo net checked by schedule_verify against the lower
 * bound, and the Chrome trace of a schedule. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "schedule/schedule.h"
#include "schedule_fixture.h"

/* By hand. t=0: w1 on DMA0 (latency to 100, DDR 100..300), in1 on DMA1
 * (latency to 100, DDR busy until 300, transfer 300..700); w2 waits for a
 * port. t=300: w2 on DMA0, DDR 700..1200. t=700: conv1 on DPU0 and DPU1,
 * 700..1700. t=1700: conv2 on both, 1700..2500. t=2500: out2 on DMA0,
 * latency to 2600, DDR 2600..2900. Latency 2900.
 * DMA busy [0,1200) + [2500,2900) = 1600; compute [700,2500) = 1800;
 * overlap [700,1200) = 500 (w2 under conv1).
 * conv1 spans [700,1700): compute 1000, DMA 700, overlap 0, stall 0.
 * conv2 spans [1700,2900): compute 800, DMA [300,1200) + [2500,2900) =
 * 1300 -> dma-bound, overlap 0, stall 0.
 * Critical path: out2 <- conv2 c1 <- conv1 c1 <- in1 <- w1 (in1 waited for
 * DDR behind w1). Longest dependency path: in1 500 + 1000 + 800 + 400. */
Test(schedule, two_layer_example_matches_the_hand_worked_timeline) {
  schedule_graph_t g;
  two_layers_graph(&g);
  cr_expect_eq(g.critical_path_cycles, 2700);
  arch_t arch = small_arch();
  schedule_t s;
  sched_diag_t d = {{0}};
  cr_assert_eq(schedule_simulate(&g, &arch, &s, &d), SCHED_OK, "%s", d.msg);
  const int64_t start[] = {0, 0, 700, 700, 300, 1700, 1700, 2500};
  const int64_t end[] = {300, 700, 1700, 1700, 1200, 2500, 2500, 2900};
  for (int t = 0; t < 8; t++) {
    cr_expect_eq(s.start_cycles[t], start[t], "task %d start %lld", t,
                 (long long)s.start_cycles[t]);
    cr_expect_eq(s.end_cycles[t], end[t], "task %d end %lld", t, (long long)s.end_cycles[t]);
  }
  cr_expect_eq(s.latency_cycles, 2900);
  cr_expect_eq(s.dma_cycles, 1600);
  cr_expect_eq(s.compute_cycles, 1800);
  cr_expect_eq(s.overlap_cycles, 500);
  cr_expect_eq(s.layers[0].start_cycles, 700);
  cr_expect_eq(s.layers[0].end_cycles, 1700);
  cr_expect_eq(s.layers[0].compute_cycles, 1000);
  cr_expect_eq(s.layers[0].dma_cycles, 700);
  cr_expect_eq(s.layers[0].stall_cycles, 0);
  cr_expect_str_eq(s.layers[0].bound, "compute");
  cr_expect_eq(s.layers[1].dma_cycles, 1300);
  cr_expect_eq(s.layers[1].overlap_cycles, 0);
  cr_expect_str_eq(s.layers[1].bound, "dma");
  const int path[] = {0, 1, 3, 6, 7};
  cr_assert_eq(s.n_critical_path, 5);
  for (int i = 0; i < 5; i++)
    cr_expect_eq(s.critical_path[i], path[i]);
  cr_expect_eq(s.engines[0].busy_cycles, 300 + 900 + 400); /* DMA0 */
  cr_expect_eq(schedule_verify(&g, &s, &d), SCHED_OK, "%s", d.msg);
  schedule_free(&s);
  schedule_graph_free(&g);
}

Test(schedule, verify_names_a_broken_dependency_and_an_engine_overlap) {
  schedule_graph_t g;
  two_layers_graph(&g);
  arch_t arch = small_arch();
  schedule_t s;
  sched_diag_t d = {{0}};
  cr_assert_eq(schedule_simulate(&g, &arch, &s, &d), SCHED_OK);
  s.start_cycles[5] = 1600;
  s.end_cycles[5] = 2400;
  cr_expect_eq(schedule_verify(&g, &s, &d), SCHED_ERR_INTERNAL);
  cr_expect_str_eq(d.msg, "task 5 'conv2 dpu s0 c0' starts at cycle 1600 before its dependency 2 "
                          "'conv1 dpu s0 c0' ends at cycle 1700");
  s.start_cycles[5] = 1700;
  s.end_cycles[5] = 2500;
  s.start_cycles[4] = 200; /* w2 on DMA0 while w1 runs until 300 */
  s.end_cycles[4] = 1100;
  cr_expect_eq(schedule_verify(&g, &s, &d), SCHED_ERR_INTERNAL);
  cr_expect_str_eq(d.msg, "engine DMA0: task 4 'conv2 w s0' starts at cycle 200 while task 0 "
                          "'conv1 w s0' runs until 300");
  schedule_free(&s);
  schedule_graph_free(&g);
}

Test(schedule, a_cycle_is_an_internal_error) {
  schedule_graph_t g;
  schedule_graph_init(&g, 1, NULL);
  schedule_task_t t = dpu(0, 0, 10);
  schedule_graph_add_task(&g, &t);
  schedule_graph_add_task(&g, &t);
  schedule_graph_add_dep(&g, 0, 1);
  schedule_graph_add_dep(&g, 1, 0);
  sched_diag_t d = {{0}};
  cr_expect_eq(schedule_graph_finish(&g, &d), SCHED_ERR_INTERNAL);
  cr_expect_str_eq(d.msg, "task graph has a cycle");
  schedule_graph_free(&g);
}

/* ---- the zoo ---- */

typedef struct {
  arch_t arch;
  ir_graph_t g;
  cost_model_t model;
  strat_problem_t p;
  strat_plan_t plan;
  schedule_graph_t tasks;
  schedule_t s;
} pipeline_t;

static void pipeline_run(pipeline_t *x, const char *net, const char *cmx) {
  sched_diag_t d = {{0}};
  int64_t bytes;
  cr_assert_eq(arch_preset("vpu27", &x->arch, &d), SCHED_OK);
  cr_assert_eq(arch_parse_size(cmx, &bytes, &d), SCHED_OK);
  cr_assert_eq(arch_set_cmx(&x->arch, bytes, &d), SCHED_OK);
  cr_assert_eq(ir_zoo_build(net, &x->g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_fuse_activations(&x->g, x->arch.ppe_fusable);
  cr_assert_eq(cost_model_init(&x->model, &x->arch, "analytic", &d), SCHED_OK);
  cr_assert_eq(strat_problem_init(&x->p, &x->g, &x->model, STRAT_OBJECTIVE_LATENCY, &d), SCHED_OK,
               "%s", d.msg);
  strat_stats_t st;
  cr_assert_eq(
      strat_solve(strat_solver_find("greedy"), &x->p, &(strat_params_t){0}, &x->plan, &st, &d),
      SCHED_OK, "%s", d.msg);
  schedule_params_t prm = schedule_params_default();
  cr_assert_eq(schedule_graph_build(&x->p, &x->plan, &prm, &x->tasks, &d), SCHED_OK, "%s %s: %s",
               net, cmx, d.msg);
  cr_assert_eq(schedule_simulate(&x->tasks, &x->arch, &x->s, &d), SCHED_OK, "%s", d.msg);
}

static void pipeline_free(pipeline_t *x) {
  schedule_free(&x->s);
  schedule_graph_free(&x->tasks);
  strat_plan_free(&x->plan);
  strat_problem_free(&x->p);
  cost_model_free(&x->model);
  ir_graph_free(&x->g);
}

static const char *const zoo[] = {"fsrcnn",   "edsr",     "wdsr",       "mobilenetv2",
                                  "resnet18", "resnet50", "yolov3-tiny"};

static void check_net(const char *net, const char *cmx) {
  pipeline_t x = {0};
  pipeline_run(&x, net, cmx);
  sched_diag_t d = {{0}};
  cr_expect_eq(schedule_verify(&x.tasks, &x.s, &d), SCHED_OK, "%s %s: %s", net, cmx, d.msg);
  report_solver_run_t run = {.solver = "greedy", .plan = &x.plan};
  report_input_t in = {.g = &x.g, .arch = &x.arch, .problem = &x.p, .chosen = &run};
  report_totals_t t;
  report_totals(&in, &t);
  cr_expect_geq(x.s.latency_cycles, t.lower_bound_cycles, "%s %s", net, cmx);
  cr_expect_geq(x.s.latency_cycles, x.tasks.critical_path_cycles, "%s %s", net, cmx);
  cr_expect_gt(x.s.overlap_cycles, 0, "%s %s: no DMA under compute", net, cmx);
  for (int l = 0; l < x.s.n_layers; l++)
    cr_expect_leq(x.s.layers[l].end_cycles, x.s.latency_cycles);
  pipeline_free(&x);
}

Test(schedule, every_zoo_net_schedules_validly_above_the_lower_bound_at_2mb) {
  for (int i = 0; i < SCHED_ARRAY_LEN(zoo); i++)
    check_net(zoo[i], "2MB");
}

Test(schedule, every_zoo_net_schedules_validly_above_the_lower_bound_at_1mb) {
  for (int i = 0; i < SCHED_ARRAY_LEN(zoo); i++)
    check_net(zoo[i], "1MB");
}

Test(schedule, deeper_prefetch_never_schedules_later_on_fsrcnn) {
  pipeline_t x = {0};
  pipeline_run(&x, "fsrcnn", "2MB");
  sched_diag_t d = {{0}};
  schedule_params_t none = schedule_params_default();
  strat_plan_t plan0;
  strat_plan_copy(&x.plan, &plan0);
  memset(plan0.prefetch, 0, (size_t)plan0.n_layers * sizeof *plan0.prefetch);
  schedule_graph_t g0;
  schedule_t s0;
  cr_assert_eq(schedule_graph_build(&x.p, &plan0, &none, &g0, &d), SCHED_OK);
  cr_assert_eq(schedule_simulate(&g0, &x.arch, &s0, &d), SCHED_OK);
  strat_plan_evaluate(&x.p, &plan0); /* the plan keeps the windows only when no slower */
  cr_expect_leq(x.plan.latency_cycles, plan0.latency_cycles);
  cr_expect_leq(s0.overlap_cycles, x.s.overlap_cycles);
  schedule_free(&s0);
  schedule_graph_free(&g0);
  strat_plan_free(&plan0);
  pipeline_free(&x);
}

/* ---- the Chrome trace ---- */

static cJSON *trace_of(const pipeline_t *x, const schedule_barriers_t *b) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cr_assert_eq(report_trace(
                   &(report_trace_input_t){
                       .g = &x->tasks, .s = &x->s, .b = b, .arch = &x->arch, .net = "fsrcnn"},
                   f),
               SCHED_OK);
  fclose(f);
  cJSON *root = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(root, "trace JSON does not parse");
  return root;
}

Test(schedule, the_trace_parses_with_a_track_per_engine_and_barrier_flows) {
  pipeline_t x = {0};
  pipeline_run(&x, "fsrcnn", "2MB");
  schedule_barriers_t b;
  sched_diag_t d = {{0}};
  schedule_params_t prm = schedule_params_default();
  cr_assert_eq(schedule_barriers_plan(&x.tasks, &x.arch, &prm, &x.s, &b, &d), SCHED_OK);
  cJSON *root = trace_of(&x, &b);
  const char *tracks[] = {"DMA0",     "DMA1",     "DPU0",     "DPU1",    "SHAVE0.0",
                          "SHAVE0.1", "SHAVE1.0", "SHAVE1.1", "barriers"};
  bool seen[SCHED_ARRAY_LEN(tracks)] = {0};
  int complete = 0, instants = 0, flows = 0, with_layer = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "traceEvents")) {
    const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(e, "ph"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
    cr_assert_not_null(ph);
    if (strcmp(ph, "M") == 0 && strcmp(name, "thread_name") == 0) {
      const char *track =
          cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "name"));
      for (int i = 0; i < SCHED_ARRAY_LEN(tracks); i++)
        seen[i] |= strcmp(track, tracks[i]) == 0;
    }
    bool layer_slice = cJSON_GetObjectItem(e, "cat") &&
                       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "cat")), "layer") == 0;
    complete += strcmp(ph, "X") == 0 && !layer_slice;
    instants += strcmp(ph, "i") == 0;
    flows += strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0;
    with_layer += strcmp(ph, "X") == 0 && !layer_slice &&
                  cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "layer"));
  }
  for (int i = 0; i < SCHED_ARRAY_LEN(tracks); i++)
    cr_expect(seen[i], "no track %s", tracks[i]);
  cr_expect_eq(complete, x.s.n_tasks);
  cr_expect_eq(with_layer, x.s.n_tasks);
  cr_expect_eq(instants, b.n_barriers);
  int consumers = 0;
  for (int i = 0; i < b.n_barriers; i++)
    consumers += b.barriers[i].n_consumers;
  cr_expect_eq(flows, 2 * consumers);
  cJSON_Delete(root);
  schedule_barriers_free(&b);
  pipeline_free(&x);
}
