/* test_strategies.c - the plan model on hand-built graphs: forced spills
 * from distributions, CMX per step, the checker's messages, and the
 * HKSwitch rewrite (chosen where SOH -> SOK would spill and HKSwitch fits,
 * not chosen when its footprint does not fit). */
#include <criterion/criterion.h>
#include <string.h>

#include "strategies/strategies.h"
#include "strategies_fixture.h"

static int conv(ir_graph_t *g, const char *name, int in, int channels, int kernel, int pad) {
  ir_attrs_t a = {.kernel_h = kernel,
                  .kernel_w = kernel,
                  .out_channels = channels,
                  .pad_top = pad,
                  .pad_bottom = pad,
                  .pad_left = pad,
                  .pad_right = pad};
  return ir_graph_add_op(g, name, IR_OP_CONV, &a, &in, 1);
}

/* The HKSwitch chain, u8, 2 clusters:
 *   a: 1x1 conv 16 -> 256 on 16x16   (SOH, SOK, HKSwitch, Clustering legal)
 *   b: 3x3 conv 256 -> 16            (SOK illegal: one 16-channel group)
 *   c: 16x16 conv, no pad, 16 -> 32  (output 1x1: only SOK and Clustering)
 * b's SOH output is segmented over H, which c (SOK, full input) cannot read:
 * SOH -> SOK spills; b as HKSwitch broadcasts its output and does not.
 * b's footprints: SOH = in/2 + out/2 + w, HKSwitch = in/2 + out + w, 2 KB
 * apart. */
static void build_hk_chain(ir_graph_t *g) {
  ir_graph_init(g, "hk_chain");
  int x = ir_graph_add_input(g, "x", (ir_shape_t){1, 16, 16, 16}, IR_DTYPE_U8);
  x = conv(g, "a", x, 256, 1, 0);
  x = conv(g, "b", x, 16, 3, 1);
  x = conv(g, "c", x, 32, 16, 0);
  ir_graph_mark_output(g, x);
}

static const strat_candidate_t *chosen(const strat_problem_t *p, const strat_plan_t *plan, int l) {
  return &p->layers[l].cands[plan->cand[l]];
}

static strat_plan_t solve(const strat_problem_t *p, const char *name) {
  strat_params_t params = {.time_limit_s = 60, .seed = 1, .anneal_iters = 2000};
  strat_plan_t plan;
  strat_stats_t st;
  sched_diag_t d = {{0}};
  cr_assert_eq(strat_solve(strat_solver_find(name), p, &params, &plan, &st, &d), SCHED_OK, "%s",
               d.msg);
  return plan;
}

/* The unsliced candidate of a strategy, or -1. */
static int find_cand(const strat_problem_t *p, int layer, tiling_strategy_t s) {
  for (int c = 0; c < p->layers[layer].n_cands; c++)
    if (p->layers[layer].cands[c].choice.strategy == s &&
        p->layers[layer].cands[c].choice.tiles == 1)
      return c;
  return -1;
}

Test(strategies, soh_into_sok_spills_and_hkswitch_in_between_does_not) {
  setup_t s = {0};
  setup_arch(&s, 2 << 20);
  build_hk_chain(&s.g);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  int cand[3] = {find_cand(&s.p, 0, STRAT_SOH), find_cand(&s.p, 1, STRAT_SOH),
                 find_cand(&s.p, 2, STRAT_SOK)};
  cr_assert(cand[0] >= 0 && cand[1] >= 0 && cand[2] >= 0);
  cr_expect_eq(find_cand(&s.p, 1, STRAT_SOK), -1, "b has one 16-channel group");
  cr_expect_eq(find_cand(&s.p, 2, STRAT_SOH), -1, "c has one output row");
  cr_expect_not(strat_value_spill_forced(&s.p, cand, 0), "SOH -> SOH stays in CMX");
  cr_expect(strat_value_spill_forced(&s.p, cand, 1), "SOH -> SOK spills");
  cr_expect(strat_value_spill_forced(&s.p, cand, 2), "graph outputs always go to DDR");
  cand[1] = find_cand(&s.p, 1, STRAT_HKSWITCH);
  cr_assert_geq(cand[1], 0);
  cr_expect_not(strat_value_spill_forced(&s.p, cand, 0), "SOH -> HKSwitch stays in CMX");
  cr_expect_not(strat_value_spill_forced(&s.p, cand, 1), "HKSwitch -> SOK stays in CMX");
  teardown(&s);
}

Test(strategies, ilp_and_rollback_choose_hkswitch_where_soh_to_sok_would_spill) {
  setup_t s = {0};
  setup_arch(&s, 2 << 20);
  build_hk_chain(&s.g);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  strat_plan_t greedy = solve(&s.p, "greedy");
  cr_expect_eq(chosen(&s.p, &greedy, 1)->choice.strategy, STRAT_SOH, "greedy ignores the spill");
  cr_expect(greedy.spilled[1]);
  const char *names[] = {"rollback", "dp", "anneal", "ilp"};
  for (int i = 0; i < SCHED_ARRAY_LEN(names); i++) {
    strat_plan_t plan = solve(&s.p, names[i]);
    const tiling_choice_t *b = &chosen(&s.p, &plan, 1)->choice;
    cr_expect_eq(b->strategy, STRAT_HKSWITCH, "%s chose %s for b", names[i],
                 tiling_strategy_name(b->strategy));
    cr_expect_eq(b->tiles, 1);
    cr_expect_eq(chosen(&s.p, &plan, 2)->choice.strategy, STRAT_SOK);
    cr_expect_not(plan.spilled[1], "%s", names[i]);
    cr_expect_lt(plan.objective, greedy.objective, "%s", names[i]);
    strat_plan_free(&plan);
  }
  strat_plan_free(&greedy);
  teardown(&s);
}

/* 90000 bytes of CMX: the isolated fit margin (90%) leaves 81000 bytes, less
 * than b's HKSwitch footprint (82176) and more than b's SOH (80128) and c's
 * SOK (69920) footprints. */
Test(strategies, hkswitch_is_not_chosen_when_its_footprint_does_not_fit) {
  setup_t s = {0};
  setup_arch(&s, 90000);
  build_hk_chain(&s.g);
  tiling_choice_t hk = {.strategy = STRAT_HKSWITCH, .tiles = 1};
  tiling_choice_t soh = {.strategy = STRAT_SOH, .tiles = 1};
  tiling_choice_t sok = {.strategy = STRAT_SOK, .tiles = 1};
  int64_t fit = (int64_t)(s.arch.fit_isolated * (double)s.arch.cmx_workspace_bytes);
  cr_assert_gt(tiling_layer_footprint(&s.arch, &s.g, 1, &hk).total_bytes, fit);
  cr_assert_leq(tiling_layer_footprint(&s.arch, &s.g, 1, &soh).total_bytes, fit);
  cr_assert_leq(tiling_layer_footprint(&s.arch, &s.g, 2, &sok).total_bytes, fit);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  cr_expect_eq(find_cand(&s.p, 1, STRAT_HKSWITCH), -1, "HKSwitch only sliced");
  const char *names[] = {"rollback", "dp", "anneal", "ilp"};
  for (int i = 0; i < SCHED_ARRAY_LEN(names); i++) {
    strat_plan_t plan = solve(&s.p, names[i]);
    const tiling_choice_t *b = &chosen(&s.p, &plan, 1)->choice;
    cr_expect_neq(b->strategy, STRAT_HKSWITCH, "%s", names[i]);
    cr_expect_eq(b->strategy, STRAT_SOH, "%s falls back to SOH -> spill -> SOK", names[i]);
    cr_expect(plan.spilled[1], "%s", names[i]);
    strat_plan_free(&plan);
  }
  teardown(&s);
}

/* x -> a -> b -> c -> add(a, c): b reads a, then a's output stays in CMX
 * across c (not read there) unless spilled; 1x64x32x32 u8 tensors are
 * 65536 bytes. */
static void build_skip(ir_graph_t *g) {
  ir_graph_init(g, "skip");
  int x = ir_graph_add_input(g, "x", (ir_shape_t){1, 64, 32, 32}, IR_DTYPE_U8);
  int a = conv(g, "a", x, 64, 1, 0);
  int b = conv(g, "b", a, 64, 3, 1);
  int c = conv(g, "c", b, 64, 3, 1);
  int in[2] = {a, c};
  ir_graph_mark_output(g, ir_graph_add_op(g, "add", IR_OP_ADD, &(ir_attrs_t){0}, in, 2));
}

Test(strategies, a_kept_skip_tensor_occupies_cmx_at_every_step_it_crosses) {
  setup_t s = {0};
  setup_arch(&s, 2 << 20);
  build_skip(&s.g);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  strat_plan_t plan;
  strat_plan_init(&plan, s.p.n_layers);
  for (int l = 0; l < 4; l++)
    plan.cand[l] = find_cand(&s.p, l, STRAT_CLUSTERING);
  strat_plan_set_forced_spills(&s.p, &plan);
  cr_assert_not(plan.spilled[0]);
  for (int t = 0; t < 4; t++) {
    int64_t own = chosen(&s.p, &plan, t)->cost.footprint.total_bytes;
    int64_t crossing = t == 2 ? 65536 : 0; /* a, duplicated, across c */
    cr_expect_eq(strat_step_cmx_bytes(&s.p, &plan, t), own + crossing, "step %d", t);
  }
  plan.spilled[0] = true;
  cr_expect_eq(strat_step_cmx_bytes(&s.p, &plan, 2),
               chosen(&s.p, &plan, 2)->cost.footprint.total_bytes);
  strat_plan_free(&plan);
  teardown(&s);
}

Test(strategies, plan_latency_is_the_timeline_and_the_objective) {
  setup_t s = {0};
  setup_arch(&s, 2 << 20);
  build_skip(&s.g);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  strat_plan_t plan = solve(&s.p, "dp");
  strat_plan_evaluate(&s.p, &plan);
  cr_expect_eq(strat_plan_latency_cycles(&s.p, &plan, NULL), plan.objective);
  cr_expect_eq(plan.objective, plan.latency_cycles);
  strat_plan_free(&plan);
  teardown(&s);
}

Test(strategies, the_checker_names_the_layer_whose_step_overflows) {
  setup_t s = {0};
  setup_arch(&s, 2 << 20);
  build_skip(&s.g);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  strat_plan_t plan;
  strat_plan_init(&plan, s.p.n_layers);
  for (int l = 0; l < 4; l++)
    plan.cand[l] = find_cand(&s.p, l, STRAT_CLUSTERING);
  strat_plan_set_forced_spills(&s.p, &plan);
  sched_diag_t d = {{0}};
  cr_expect_eq(strat_plan_verify(&s.p, &plan, &d), SCHED_OK, "%s", d.msg);
  s.p.capacity_bytes = strat_step_cmx_bytes(&s.p, &plan, 2) - 1; /* c's step is one byte over */
  cr_expect_eq(strat_plan_verify(&s.p, &plan, &d), SCHED_ERR_INTERNAL);
  cr_expect(strstr(d.msg, "'c'") != NULL && strstr(d.msg, "budget") != NULL, "%s", d.msg);
  strat_plan_repair_capacity(&s.p, &plan);
  cr_expect(plan.spilled[0], "repair spills the skip tensor");
  strat_plan_free(&plan);
  teardown(&s);
}

Test(strategies, the_checker_names_a_missing_forced_spill) {
  setup_t s = {0};
  setup_arch(&s, 2 << 20);
  build_hk_chain(&s.g);
  cr_assert(setup_problem(&s), "no candidate fits this budget");
  strat_plan_t plan;
  strat_plan_init(&plan, s.p.n_layers);
  plan.cand[0] = find_cand(&s.p, 0, STRAT_SOH);
  plan.cand[1] = find_cand(&s.p, 1, STRAT_SOH);
  plan.cand[2] = find_cand(&s.p, 2, STRAT_SOK);
  strat_plan_set_forced_spills(&s.p, &plan);
  plan.spilled[1] = false;
  sched_diag_t d = {{0}};
  cr_expect_eq(strat_plan_verify(&s.p, &plan, &d), SCHED_ERR_INTERNAL);
  cr_expect(strstr(d.msg, "'b'") != NULL && strstr(d.msg, "spill") != NULL, "%s", d.msg);
  strat_plan_free(&plan);
  teardown(&s);
}

Test(strategies, an_impossible_budget_is_an_error_naming_the_layer) {
  setup_t s = {0};
  setup_arch(&s, 4096);
  build_hk_chain(&s.g);
  sched_diag_t d = {{0}};
  cr_expect_eq(strat_problem_init(&s.p, &s.g, &s.model, STRAT_OBJECTIVE_LATENCY, &d),
               SCHED_ERR_INFEASIBLE);
  cr_expect(strstr(d.msg, "layer '") != NULL, "%s", d.msg);
  teardown(&s);
}

/* A sliced candidate of `small` (at a smaller budget) that `large` offers
 * too: the same choice, or one of its strategy no worse in footprint,
 * cycles and DDR bytes (problem.c drops candidates dominated so). */
static bool offered(const strat_problem_t *small, const strat_problem_t *large, int l, int c) {
  const strat_candidate_t *a = &small->layers[l].cands[c];
  for (int k = 0; k < large->layers[l].n_cands; k++) {
    const strat_candidate_t *b = &large->layers[l].cands[k];
    if (b->region >= 0 || b->choice.strategy != a->choice.strategy)
      continue;
    if (b->choice.tiles == a->choice.tiles && b->choice.pipelined == a->choice.pipelined &&
        b->choice.axis == a->choice.axis)
      return true;
    int64_t ddr_a = a->cost.weight_dma_bytes + a->cost.input_dma_bytes + a->cost.output_dma_bytes;
    int64_t ddr_b = b->cost.weight_dma_bytes + b->cost.input_dma_bytes + b->cost.output_dma_bytes;
    if (b->choice.tiles > 1 && b->cost.footprint.total_bytes <= a->cost.footprint.total_bytes &&
        strat_layer_cycles(large, l, k, 0, false) <= strat_layer_cycles(small, l, c, 0, false) &&
        ddr_b <= ddr_a)
      return true;
  }
  return false;
}

/* The fewest slices that fit depend on the budget (FSRCNN's first conv:
 * 45 at 512KB, 26 at 768KB), so a larger budget also offers the counts of
 * every smaller rung of the 256KB ladder: whatever fits a rung stays a
 * choice above it. */
Test(strategies, every_sliced_candidate_of_a_cmx_rung_is_offered_at_larger_budgets) {
  const char *nets[] = {"fsrcnn", "mobilenetv2", "resnet18", "yolov3-tiny"};
  const int64_t rungs[] = {512 << 10, 768 << 10, 1536 << 10, 1936 << 10};
  for (int n = 0; n < SCHED_ARRAY_LEN(nets); n++)
    for (int i = 0; i + 1 < SCHED_ARRAY_LEN(rungs); i++) {
      setup_t small = {0}, large = {0};
      setup_zoo(&small, nets[n], rungs[i]);
      setup_zoo(&large, nets[n], rungs[i + 1]);
      for (int l = 0; l < small.p.n_layers; l++)
        for (int c = 0; c < small.p.layers[l].n_cands; c++)
          if (small.p.layers[l].cands[c].region < 0)
            cr_expect(offered(&small.p, &large.p, l, c), "%s layer %d: %s x%d at %lld bytes only",
                      nets[n], l, tiling_strategy_name(small.p.layers[l].cands[c].choice.strategy),
                      small.p.layers[l].cands[c].choice.tiles, (long long)rungs[i]);
      teardown(&small);
      teardown(&large);
    }
}

/* On a chain dp is exact for the plan model, so with nested candidates
 * its plan latency cannot rise with the budget: FSRCNN and EDSR on the
 * ladder from 512KB to the usable 1936KB. */
Test(strategies, dp_plan_latency_never_rises_with_cmx_on_chains) {
  const char *nets[] = {"fsrcnn", "edsr"};
  for (int n = 0; n < SCHED_ARRAY_LEN(nets); n++) {
    int64_t prev = INT64_MAX;
    const int64_t rungs_kb[] = {512, 768, 1024, 1280, 1536, 1792, 1936};
    for (int i = 0; i < SCHED_ARRAY_LEN(rungs_kb); i++) {
      int64_t cmx = rungs_kb[i] << 10;
      setup_t s = {0};
      setup_zoo(&s, nets[n], cmx);
      strat_plan_t plan = solve(&s.p, "dp");
      cr_expect_leq(plan.latency_cycles, prev, "%s at %lld bytes: %lld cycles, %lld below", nets[n],
                    (long long)cmx, (long long)plan.latency_cycles, (long long)prev);
      prev = plan.latency_cycles;
      strat_plan_free(&plan);
      teardown(&s);
    }
  }
}

/* A plan moves to a larger budget as it is, windows included, so the plan
 * clock gives it the same latency there (--ladder relies on it); a budget
 * it does not fit refuses it, naming the layer. */
Test(strategies, a_plan_maps_to_a_larger_budget_unchanged_and_is_refused_by_a_smaller_one) {
  setup_t small = {0}, large = {0}, tiny = {0};
  setup_zoo(&small, "resnet18", 1024 << 10);
  setup_zoo(&large, "resnet18", 1536 << 10);
  setup_zoo(&tiny, "resnet18", 512 << 10);
  strat_plan_t plan = solve(&small.p, "dp"), mapped;
  sched_diag_t d = {{0}};
  cr_assert_eq(strat_plan_map(&small.p, &plan, &large.p, &mapped, &d), SCHED_OK, "%s", d.msg);
  for (int l = 0; l < plan.n_layers; l++) {
    cr_expect(chosen(&small.p, &plan, l)->choice.strategy ==
                  chosen(&large.p, &mapped, l)->choice.strategy &&
              chosen(&small.p, &plan, l)->choice.tiles ==
                  chosen(&large.p, &mapped, l)->choice.tiles);
    cr_expect_eq(mapped.spilled[l], plan.spilled[l]);
    cr_expect_eq(mapped.prefetch[l], plan.prefetch[l]);
  }
  cr_expect_eq(mapped.latency_cycles, plan.latency_cycles);
  strat_plan_free(&mapped);
  cr_expect_eq(strat_plan_map(&small.p, &plan, &tiny.p, &mapped, &d), SCHED_ERR_INFEASIBLE);
  cr_expect(strstr(d.msg, "layer") != NULL, "%s", d.msg);
  strat_plan_free(&plan);
  teardown(&small);
  teardown(&large);
  teardown(&tiny);
}

/* A budget drops choices a smaller one makes (dominated slice counts, a
 * region sliced differently): mapping a plan up appends them, so the plan
 * still moves whole (YOLOv3-tiny's 256KB plan at 1536KB). */
Test(strategies, a_plan_maps_up_even_where_the_larger_budget_dropped_its_choices) {
  setup_t small = {0}, large = {0};
  setup_zoo(&small, "yolov3-tiny", 256 << 10);
  setup_zoo(&large, "yolov3-tiny", 1536 << 10);
  int cands_before = 0, cands_after = 0;
  for (int l = 0; l < large.p.n_layers; l++)
    cands_before += large.p.layers[l].n_cands;
  strat_plan_t plan = solve(&small.p, "dp"), mapped;
  sched_diag_t d = {{0}};
  cr_assert_eq(strat_plan_map(&small.p, &plan, &large.p, &mapped, &d), SCHED_OK, "%s", d.msg);
  for (int l = 0; l < large.p.n_layers; l++)
    cands_after += large.p.layers[l].n_cands;
  cr_expect_gt(cands_after, cands_before, "nothing was appended: the test no longer covers it");
  cr_expect_eq(mapped.latency_cycles, plan.latency_cycles);
  cr_expect_eq(strat_plan_verify(&large.p, &mapped, &d), SCHED_OK, "%s", d.msg);
  strat_plan_free(&mapped);
  strat_plan_free(&plan);
  teardown(&small);
  teardown(&large);
}
