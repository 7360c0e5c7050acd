/* test_streaming.c - streaming regions (vertical fusion): the footprint
 * worked by hand, the solvers choosing a region when it saves DDR traffic,
 * and the checker refusing a region chosen by only some of its members. */
#include <criterion/criterion.h>
#include <string.h>

#include "strategies/strategies.h"

/* dw 3x3 then pw 1x1, 32 channels, 64x64, u8, no bias. */
static void build_dw_pw(ir_graph_t *g) {
  ir_graph_init(g, "dwpw");
  int x = ir_graph_add_input(g, "x", (ir_shape_t){1, 32, 64, 64}, IR_DTYPE_U8);
  ir_attrs_t dw = {.kernel_h = 3,
                   .kernel_w = 3,
                   .pad_top = 1,
                   .pad_bottom = 1,
                   .pad_left = 1,
                   .pad_right = 1,
                   .groups = 32,
                   .out_channels = 32};
  ir_attrs_t pw = {.kernel_h = 1, .kernel_w = 1, .out_channels = 32};
  int a = ir_graph_add_op(g, "dw", IR_OP_CONV, &dw, &x, 1);
  int b = ir_graph_add_op(g, "pw", IR_OP_CONV, &pw, &a, 1);
  ir_graph_mark_output(g, b);
}

static arch_t vpu27(void) {
  arch_t arch;
  sched_diag_t d;
  cr_assert_eq(arch_preset("vpu27", &arch, &d), SCHED_OK);
  return arch;
}

Test(streaming, region_footprint_matches_the_hand_count) {
  ir_graph_t g;
  build_dw_pw(&g);
  arch_t arch = vpu27();
  tiling_region_t r = {.first = 0, .n_ops = 2, .strategy = STRAT_SOH, .tiles = 4};
  /* 16 pw rows per slice need 16 dw rows, which need 18 input rows; per
   * cluster (SOH over 2): input 9 rows x 2 buffers, dw 8 rows, pw 8 rows x 2
   * buffers, each row 32 x 64 bytes; weights dw 288 + 512 table, pw 1024 + 512. */
  int64_t row = 32 * 64;
  int64_t expected = 2 * 9 * row + 8 * row + 2 * 8 * row + (288 + 512) + (1024 + 512);
  cr_expect_eq(tiling_region_footprint(&arch, &g, &r), expected);
  ir_graph_free(&g);
}

/* The same region part by part: a slice of 16 rows over 64 advances 16
 * rows, 8 per cluster; the input's 9 rows per cluster hold 1 halo row (the
 * 3x3 kernel's extra rows, split over the two clusters), dw and pw none. */
Test(streaming, region_parts_name_the_slices_halos_and_double_buffers) {
  ir_graph_t g;
  build_dw_pw(&g);
  arch_t arch = vpu27();
  tiling_region_t r = {.first = 0, .n_ops = 2, .strategy = STRAT_SOH, .tiles = 4};
  tiling_region_part_t parts[TILING_REGION_PARTS];
  cr_assert_eq(tiling_region_parts(&arch, &g, &r, parts), 5);
  int64_t row = 32 * 64;
  const tiling_region_part_t want[] = {
      {TILING_PART_WEIGHTS, 0, 1, 288 + 512, 0}, {TILING_PART_WEIGHTS, 1, 1, 1024 + 512, 0},
      {TILING_PART_INPUT, 0, 2, 9 * row, row},   {TILING_PART_INTERMEDIATE, 0, 1, 8 * row, 0},
      {TILING_PART_OUTPUT, 1, 2, 8 * row, 0},
  };
  for (int i = 0; i < 5; i++) {
    cr_expect_eq(parts[i].kind, want[i].kind, "part %d", i);
    cr_expect_eq(parts[i].op, want[i].op, "part %d", i);
    cr_expect_eq(parts[i].copies, want[i].copies, "part %d", i);
    cr_expect_eq(parts[i].slice_bytes, want[i].slice_bytes, "part %d", i);
    cr_expect_eq(parts[i].halo_bytes, want[i].halo_bytes, "part %d", i);
  }
  ir_graph_free(&g);
}

Test(streaming, only_the_ends_of_a_region_pay_ddr_traffic) {
  ir_graph_t g;
  build_dw_pw(&g);
  arch_t arch = vpu27();
  cost_model_t m;
  sched_diag_t d;
  cr_assert_eq(cost_model_init(&m, &arch, "analytic", &d), SCHED_OK);
  tiling_region_t r = {.first = 0, .n_ops = 2, .strategy = STRAT_SOH, .tiles = 4};
  tiling_layer_cost_t costs[2];
  cr_assert_eq(tiling_region_cost(&m, &g, &r, costs, &d), SCHED_OK, "%s", d.msg);
  cr_expect_gt(costs[0].input_dma_cycles, 0);
  cr_expect_eq(costs[0].output_dma_cycles, 0);
  cr_expect_eq(costs[1].input_dma_cycles, 0);
  cr_expect_gt(costs[1].output_dma_cycles, 0);
  /* dw recomputes the halo: 4 slices of 16 rows need no extra dw rows for a
   * 1x1 pw, so its compute equals its own 4-slice compute */
  tiling_layer_cost_t alone;
  tiling_choice_t c = {.strategy = STRAT_SOH, .axis = TILING_AXIS_H, .tiles = 4, .pipelined = true};
  cr_assert_eq(tiling_layer_cost(&m, &g, 0, &c, &alone, &d), SCHED_OK);
  cr_expect_eq(costs[0].compute_cycles, alone.compute_cycles);
  cost_model_free(&m);
  ir_graph_free(&g);
}

static int64_t plan_with(const char *solver, const ir_graph_t *g, cost_model_t *m,
                         bool keep_regions, int *region_layers) {
  strat_problem_t p;
  sched_diag_t d;
  cr_assert_eq(strat_problem_init(&p, g, m, STRAT_OBJECTIVE_LATENCY, &d), SCHED_OK, "%s", d.msg);
  if (!keep_regions)
    for (int l = 0; l < p.n_layers; l++) {
      int kept = 0;
      for (int c = 0; c < p.layers[l].n_cands; c++)
        if (p.layers[l].cands[c].region < 0)
          p.layers[l].cands[kept++] = p.layers[l].cands[c];
      p.layers[l].n_cands = kept;
    }
  strat_plan_t plan;
  strat_stats_t stats;
  strat_params_t params = {.time_limit_s = 20, .seed = 1, .anneal_iters = 2000};
  cr_assert_eq(strat_solve(strat_solver_find(solver), &p, &params, &plan, &stats, &d), SCHED_OK,
               "%s", d.msg);
  *region_layers = 0;
  for (int l = 0; l < p.n_layers; l++)
    *region_layers += p.layers[l].cands[plan.cand[l]].region >= 0;
  int64_t latency = plan.latency_cycles;
  strat_plan_free(&plan);
  strat_problem_free(&p);
  return latency;
}

Test(streaming, exact_solvers_stream_fsrcnn_and_it_pays) {
  ir_graph_t g;
  sched_diag_t d;
  cr_assert_eq(ir_zoo_build("fsrcnn", &g, &d), SCHED_OK, "%s", d.msg);
  arch_t arch = vpu27();
  ir_graph_fuse_activations(&g, arch.ppe_fusable);
  cost_model_t m;
  cr_assert_eq(cost_model_init(&m, &arch, "analytic", &d), SCHED_OK);
  int streamed, none;
  int64_t without = plan_with("ilp", &g, &m, false, &none);
  const char *exact[] = {"ilp", "dp"};
  for (int i = 0; i < 2; i++) {
    int64_t with = plan_with(exact[i], &g, &m, true, &streamed);
    cr_expect_eq(none, 0);
    cr_expect_gt(streamed, 1, "%s streams no layers", exact[i]);
    cr_expect_lt(with, without, "%s: streaming %lld vs %lld cycles", exact[i], (long long)with,
                 (long long)without);
  }
  cost_model_free(&m);
  ir_graph_free(&g);
}

Test(streaming, the_checker_refuses_a_half_chosen_region) {
  ir_graph_t g;
  sched_diag_t d;
  cr_assert_eq(ir_zoo_build("fsrcnn", &g, &d), SCHED_OK, "%s", d.msg);
  arch_t arch = vpu27();
  ir_graph_fuse_activations(&g, arch.ppe_fusable);
  cost_model_t m;
  cr_assert_eq(cost_model_init(&m, &arch, "analytic", &d), SCHED_OK);
  strat_problem_t p;
  cr_assert_eq(strat_problem_init(&p, &g, &m, STRAT_OBJECTIVE_LATENCY, &d), SCHED_OK);
  cr_assert_gt(p.n_regions, 0);
  const tiling_region_t *r = &p.regions[0];
  strat_plan_t plan;
  strat_plan_init(&plan, p.n_layers);
  for (int c = 0; c < p.layers[r->first].n_cands; c++)
    if (p.layers[r->first].cands[c].region == 0)
      plan.cand[r->first] = c; /* only the first member streams */
  strat_plan_set_forced_spills(&p, &plan);
  cr_expect_eq(strat_plan_verify(&p, &plan, &d), SCHED_ERR_INTERNAL);
  cr_expect(strstr(d.msg, "streams with region 0 but layer") != NULL, "%s", d.msg);
  cr_expect_gt(strat_plan_fix_regions(&p, &plan), 0);
  strat_plan_evaluate(&p, &plan);
  cr_expect_eq(strat_plan_verify(&p, &plan, &d), SCHED_OK, "%s", d.msg);
  strat_plan_free(&plan);
  strat_problem_free(&p);
  cost_model_free(&m);
  ir_graph_free(&g);
}
