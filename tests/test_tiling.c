/* test_tiling.c - footprints of DESIGN.md's strategy table, worked by hand,
 * halos, slicing, and the impossible-budget error. */
#include <criterion/criterion.h>
#include <string.h>

#include "strategies/strategies.h"

/* conv 1x1, 64 -> 64 channels, 32x32, u8: in = out = 65536 bytes,
 * weights 64*64 = 4096 + weight table 64*16 = 1024 -> w = 5120 bytes. */
static int build_conv(ir_graph_t *g, int kernel, int channels, int size) {
  ir_graph_init(g, "t");
  int x = ir_graph_add_input(g, "x", (ir_shape_t){1, channels, size, size}, IR_DTYPE_U8);
  ir_attrs_t a = {.kernel_h = kernel,
                  .kernel_w = kernel,
                  .out_channels = channels,
                  .pad_top = kernel / 2,
                  .pad_bottom = kernel / 2,
                  .pad_left = kernel / 2,
                  .pad_right = kernel / 2};
  int y = ir_graph_add_op(g, "conv", IR_OP_CONV, &a, &x, 1);
  ir_graph_mark_output(g, y);
  return 0;
}

static arch_t arch_with_tiles(int tiles) {
  arch_t arch;
  sched_diag_t d;
  cr_assert_eq(arch_preset("vpu27", &arch, &d), SCHED_OK);
  arch.tiles = tiles;
  return arch;
}

static int64_t footprint(const arch_t *arch, const ir_graph_t *g, tiling_strategy_t s) {
  tiling_choice_t c = {.strategy = s, .tiles = 1};
  return tiling_layer_footprint(arch, g, 0, &c).total_bytes;
}

Test(tiling, footprints_match_the_strategy_table_for_two_clusters) {
  ir_graph_t g;
  build_conv(&g, 1, 64, 32);
  arch_t arch = arch_with_tiles(2);
  cr_expect_eq(footprint(&arch, &g, STRAT_SOH), 32768 + 32768 + 5120);        /* in/2+out/2+w */
  cr_expect_eq(footprint(&arch, &g, STRAT_SOK), 65536 + 2560 + 65536);        /* in+w/2+out */
  cr_expect_eq(footprint(&arch, &g, STRAT_HKSWITCH), 32768 + 5120 + 65536);   /* in/2+w+out */
  cr_expect_eq(footprint(&arch, &g, STRAT_CLUSTERING), 65536 + 5120 + 65536); /* in+w+out */
  ir_graph_free(&g);
}

Test(tiling, footprints_match_the_strategy_table_for_four_clusters) {
  ir_graph_t g;
  build_conv(&g, 1, 64, 32);
  arch_t arch = arch_with_tiles(4);
  cr_expect_eq(footprint(&arch, &g, STRAT_SOH), 16384 + 16384 + 5120);
  cr_expect_eq(footprint(&arch, &g, STRAT_SOK), 65536 + 1280 + 65536);
  cr_expect_eq(footprint(&arch, &g, STRAT_HKSWITCH), 16384 + 5120 + 65536);
  cr_expect_eq(footprint(&arch, &g, STRAT_CLUSTERING), 65536 + 5120 + 65536);
  ir_graph_free(&g);
}

Test(tiling, soh_input_carries_the_halo_of_a_3x3_kernel) {
  ir_graph_t g;
  build_conv(&g, 3, 64, 32);
  arch_t arch = arch_with_tiles(2);
  tiling_choice_t c = {.strategy = STRAT_SOH, .tiles = 1};
  /* 16 output rows per cluster read 16 + 2 input rows */
  cr_expect_eq(tiling_layer_footprint(&arch, &g, 0, &c).input_bytes, 18 * 32 * 64);
  ir_graph_free(&g);
}

Test(tiling, sok_aligns_channels_to_16_and_uses_fewer_clusters) {
  ir_graph_t g;
  build_conv(&g, 1, 40, 8); /* 40 channels on 4 clusters: 16 + 16 + 8 -> 3 clusters */
  arch_t arch = arch_with_tiles(4);
  cost_model_t m;
  sched_diag_t d;
  cr_assert_eq(cost_model_init(&m, &arch, "analytic", &d), SCHED_OK);
  tiling_layer_cost_t cost;
  tiling_choice_t c = {.strategy = STRAT_SOK, .tiles = 1};
  cr_assert_eq(tiling_layer_cost(&m, &g, 0, &c, &cost, &d), SCHED_OK, "%s", d.msg);
  cr_expect_eq(cost.clusters, 3);
  cost_model_free(&m);
  ir_graph_free(&g);
}

Test(tiling, choose_tiles_picks_the_fewest_slices_that_fit) {
  ir_graph_t g;
  build_conv(&g, 3, 64, 128); /* in = out = 1 MiB */
  arch_t arch = arch_with_tiles(2);
  sched_diag_t d;
  cr_assert_eq(arch_set_cmx(&arch, 512 * 1024, &d), SCHED_OK, "%s", d.msg);
  tiling_choice_t c = {.strategy = STRAT_SOH};
  cr_assert_eq(tiling_choose_tiles(&arch, &g, 0, &c, &d), SCHED_OK, "%s", d.msg);
  int64_t budget = (int64_t)(arch.fit_isolated * (double)arch.cmx_workspace_bytes);
  cr_expect_gt(c.tiles, 1);
  cr_expect_eq(c.axis, TILING_AXIS_H);
  cr_expect_leq(tiling_layer_footprint(&arch, &g, 0, &c).total_bytes, budget);
  tiling_choice_t fewer = c;
  fewer.tiles = c.tiles - 1;
  if (fewer.tiles == 1)
    fewer.axis = TILING_AXIS_NONE;
  cr_expect_gt(tiling_layer_footprint(&arch, &g, 0, &fewer).total_bytes, budget);
  ir_graph_free(&g);
}

Test(tiling, an_impossible_budget_names_the_layer) {
  ir_graph_t g;
  build_conv(&g, 3, 64, 32);
  arch_t arch = arch_with_tiles(2);
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_set_cmx(&arch, 1024, &d), SCHED_OK, "%s", d.msg);
  cost_model_t m;
  cr_assert_eq(cost_model_init(&m, &arch, "analytic", &d), SCHED_OK);
  strat_problem_t p;
  cr_expect_eq(strat_problem_init(&p, &g, &m, STRAT_OBJECTIVE_LATENCY, &d), SCHED_ERR_INFEASIBLE);
  cr_expect(strstr(d.msg, "layer 'conv'") != NULL, "message: %s", d.msg);
  cost_model_free(&m);
  ir_graph_free(&g);
}

Test(tiling, distributions_follow_the_compatibility_rules) {
  /* DESIGN.md: SOH->SOH, SOK->SOK, SOH->HKSwitch, HKSwitch->SOK, Clustering<->SOK */
  tiling_strategy_t ok[][2] = {{STRAT_SOH, STRAT_SOH},        {STRAT_SOK, STRAT_SOK},
                               {STRAT_SOH, STRAT_HKSWITCH},   {STRAT_HKSWITCH, STRAT_SOK},
                               {STRAT_CLUSTERING, STRAT_SOK}, {STRAT_SOK, STRAT_CLUSTERING}};
  for (int i = 0; i < 6; i++)
    cr_expect(tiling_dist_compatible(tiling_output_dist(ok[i][0]), tiling_input_dist(ok[i][1])),
              "%s -> %s", tiling_strategy_name(ok[i][0]), tiling_strategy_name(ok[i][1]));
  /* SOH's segmented output cannot feed a layer that needs the whole tensor */
  cr_expect_not(
      tiling_dist_compatible(tiling_output_dist(STRAT_SOH), tiling_input_dist(STRAT_SOK)));
  cr_expect_not(
      tiling_dist_compatible(tiling_output_dist(STRAT_SOH), tiling_input_dist(STRAT_CLUSTERING)));
}

/* conv 3x3 64 -> 64 over 32x32, then PReLU, on KMB: the PReLU runs on the
 * chip's 16 UPA SHAVEs, which read and write DDR. */
static void build_conv_prelu(ir_graph_t *g) {
  build_conv(g, 3, 64, 32);
  int y = g->ops[0].output;
  ir_attrs_t none = {0};
  int z = ir_graph_add_op(g, "act", IR_OP_PRELU, &none, &y, 1);
  ir_graph_mark_output(g, z);
}

Test(tiling, kmb_shave_layers_work_in_ddr_on_the_chip_wide_pool) {
  arch_t kmb;
  cr_assert_eq(arch_preset("vpu20", &kmb, NULL), SCHED_OK);
  ir_graph_t g;
  build_conv_prelu(&g);
  tiling_choice_t c = {.strategy = STRAT_CLUSTERING, .tiles = 1};
  cr_assert_eq(tiling_layer_footprint(&kmb, &g, 1, &c).total_bytes, 0, "holds no CMX");
  const char *why = NULL;
  cr_assert_not(tiling_strategy_legal(&kmb, &g, 1, STRAT_SOH, &why));
  cr_assert_str_eq(why, "runs on the chip-wide SHAVE pool in DDR");
  cost_model_t m;
  cr_assert_eq(cost_model_init(&m, &kmb, "analytic", NULL), SCHED_OK);
  tiling_layer_cost_t k;
  cr_assert_eq(tiling_layer_cost(&m, &g, 1, &c, &k, NULL), SCHED_OK);
  cr_assert(k.works_in_ddr);
  cr_assert(tiling_streams_ddr(&c, &k), "its input and output spill");
  /* 65536 bytes over all 16 SHAVEs: 4096 each. */
  cr_assert_eq(k.compute_cycles, cost_shave_cycles(&m, IR_OP_PRELU, 4096));
  /* The conv next to it stays a CMX layer. */
  tiling_layer_cost_t kc;
  cr_assert_eq(tiling_layer_cost(&m, &g, 0, &c, &kc, NULL), SCHED_OK);
  cr_assert_not(kc.works_in_ddr);
  cost_model_free(&m);
  ir_graph_free(&g);
}

Test(tiling, npu27_shave_layers_stay_per_tile_in_cmx) {
  arch_t a;
  cr_assert_eq(arch_preset("vpu27", &a, NULL), SCHED_OK);
  ir_graph_t g;
  build_conv_prelu(&g);
  tiling_choice_t c = {.strategy = STRAT_SOH, .tiles = 1};
  cr_assert(tiling_strategy_legal(&a, &g, 1, STRAT_SOH, NULL));
  cr_assert_gt(tiling_layer_footprint(&a, &g, 1, &c).total_bytes, 0);
  ir_graph_free(&g);
}
