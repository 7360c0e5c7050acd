/* test_targets.c - DLPU targets (arch/targets/NAME.json): the operator-rule
 * checker on one passing and one failing network per ARTPEC-9 restriction
 * class, the performance tips of ARTPEC-8 / ARTPEC-9 / CV25, `sched check`
 * verdicts, fallback ops in the plan (DDR on both sides) and every solver on
 * the single-core targets. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "strategies/strategies.h"

/* ---- fixtures ---- */

typedef struct {
  arch_t arch;
  ir_graph_t g;
  arch_check_t check;
} fx_t;

static fx_t *fx_new(const char *target) {
  fx_t *x = calloc(1, sizeof *x);
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load(target, &x->arch, &d), SCHED_OK, "%s", d.msg);
  return x;
}

static fx_t *fx_zoo(const char *target, const char *spec) {
  fx_t *x = fx_new(target);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_zoo_build(spec, &x->g, &d), SCHED_OK, "%s", d.msg);
  arch_check_graph(&x->arch, &x->g, &x->check);
  return x;
}

/* Checks a graph built by the test (x->g), in op order. */
static void fx_check(fx_t *x) {
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_verify(&x->g, &d), SCHED_OK, "%s", d.msg);
  arch_check_graph(&x->arch, &x->g, &x->check);
}

static void fx_free(fx_t *x) {
  arch_check_free(&x->check);
  ir_graph_free(&x->g);
  free(x);
}

/* The finding of rule `id` of `kind`, or NULL. */
static const arch_finding_t *finding(const fx_t *x, const char *id, arch_rule_kind_t kind) {
  for (int i = 0; i < x->check.n_findings; i++) {
    const arch_finding_t *f = &x->check.findings[i];
    if (f->kind == kind && strcmp(arch_finding_rule_id(&x->arch, f), id) == 0)
      return f;
  }
  return NULL;
}

/* The net runs wholly on the NPU and breaks no restriction. */
static void expect_passes(const char *target, const char *spec) {
  fx_t *x = fx_zoo(target, spec);
  cr_expect_eq(x->check.ops_cpu, 0, "%s on %s: %lld ops on the CPU", spec, target,
               (long long)x->check.ops_cpu);
  for (int i = 0; i < x->check.n_findings; i++)
    cr_expect_neq(x->check.findings[i].kind, ARCH_RULE_RESTRICTION, "%s: %s", spec,
                  x->check.findings[i].detail);
  fx_free(x);
}

/* Op `op` of a checked graph falls back with rule `id` saying `detail`. */
static void expect_fallback(const fx_t *x, int op, const char *id, const char *detail) {
  const arch_finding_t *f = finding(x, id, ARCH_RULE_RESTRICTION);
  cr_assert_not_null(f, "no finding of rule %s", id);
  cr_expect_eq(f->op, op);
  cr_expect_str_eq(f->detail, detail);
  cr_expect(x->check.on_cpu[op]);
}

static void expect_zoo_fallback(const char *target, const char *spec, const char *id,
                                const char *detail) {
  fx_t *x = fx_zoo(target, spec);
  expect_fallback(x, 0, id, detail);
  fx_free(x);
}

static int add_input(fx_t *x, int64_t c, int64_t h, int64_t w) {
  char name[16];
  snprintf(name, sizeof name, "in%d", x->g.n_inputs);
  return ir_graph_add_input(&x->g, name, (ir_shape_t){1, c, h, w}, IR_DTYPE_U8);
}

static void add_op(fx_t *x, ir_op_kind_t kind, const ir_attrs_t *a, const int *in, int n) {
  ir_graph_mark_output(&x->g, ir_graph_add_op(&x->g, "op", kind, a, in, n));
}

/* ---- ARTPEC-9 restriction classes: one pass, one fail each ---- */

Test(artpec9, kernel_sizes_are_1_2_3_5_7_9) {
  expect_passes("artpec9", "conv:c=16,k=16,h=32,w=32,kh=5");
  expect_passes("artpec9", "conv:c=16,k=16,h=32,w=32,kh=2,kw=9");
  expect_zoo_fallback("artpec9", "conv:c=16,k=16,h=32,w=32,kh=4", "conv.kernel_size",
                      "kernel_h = 4, must be in {1,2,3,5,7,9}; kernel_w = 4, must be in "
                      "{1,2,3,5,7,9}");
  expect_zoo_fallback("artpec9", "dwconv:c=16,h=32,w=32,kh=3,kw=11", "conv.kernel_size",
                      "kernel_w = 11, must be in {1,2,3,5,7,9}");
}

Test(artpec9, strides_are_1_or_2_and_match) {
  expect_passes("artpec9", "conv:c=16,k=16,h=32,w=32,stride=2");
  expect_zoo_fallback("artpec9", "conv:c=16,k=16,h=32,w=32,stride=3", "conv.stride",
                      "stride_h = 3, must be in {1,2}");
  fx_t *x = fx_new("artpec9");
  ir_graph_init(&x->g, "strides");
  int in = add_input(x, 16, 32, 32);
  ir_attrs_t a = {.kernel_h = 3,
                  .kernel_w = 3,
                  .stride_h = 1,
                  .stride_w = 2,
                  .pad_top = 1,
                  .pad_bottom = 1,
                  .pad_left = 1,
                  .pad_right = 1,
                  .out_channels = 16};
  add_op(x, IR_OP_CONV, &a, &in, 1);
  fx_check(x);
  expect_fallback(x, 0, "conv.stride", "stride_w = 2, must be stride_h (1)");
  fx_free(x);
}

Test(artpec9, kernels_above_7_only_with_stride_1) {
  expect_passes("artpec9", "conv:c=16,k=16,h=32,w=32,kh=9");
  expect_passes("artpec9", "conv:c=16,k=16,h=32,w=32,kh=7,stride=2");
  expect_zoo_fallback("artpec9", "conv:c=16,k=16,h=32,w=32,kh=9,stride=2",
                      "conv.large_kernel_stride", "stride = 2, must be 1");
}

/* Concat of two inputs with c0 and c1 channels. */
static fx_t *concat_net(int64_t c0, int64_t c1) {
  fx_t *x = fx_new("artpec9");
  ir_graph_init(&x->g, "concat");
  int in[2] = {add_input(x, c0, 8, 8), add_input(x, c1, 8, 8)};
  add_op(x, IR_OP_CONCAT, &(ir_attrs_t){0}, in, 2);
  fx_check(x);
  return x;
}

Test(artpec9, concat_channels_are_multiples_of_16) {
  fx_t *ok = concat_net(16, 32), *bad = concat_net(16, 24);
  cr_expect_eq(ok->check.ops_cpu, 0);
  expect_fallback(bad, 0, "concat.channels", "each_in_c = 24 (input 1), must be a multiple of 16");
  fx_free(ok);
  fx_free(bad);
}

Test(artpec9, pooling_configurations) {
  expect_passes("artpec9", "pool:type=max,c=16,h=32,w=32,kh=2");
  expect_passes("artpec9", "pool:type=max,c=16,h=32,w=416,kh=3,stride=2");
  expect_passes("artpec9", "pool:type=max,c=16,h=32,w=32,kh=5,stride=1");
  expect_passes("artpec9", "pool:type=avg,c=16,h=32,w=32,kh=3,stride=1,pad=1");
  expect_zoo_fallback("artpec9", "pool:type=max,c=16,h=32,w=32,kh=4", "maxpool.config",
                      "no supported configuration matches: kernel_h = 4, kernel_w = 4, stride_h "
                      "= 4, stride_w = 4, pad_mode = valid, in_h = 32, in_w = 32");
  expect_zoo_fallback("artpec9", "pool:type=max,c=16,h=32,w=418,kh=3,stride=2", "maxpool.config",
                      "no supported configuration matches: kernel_h = 3, kernel_w = 3, stride_h "
                      "= 2, stride_w = 2, pad_mode = valid, in_h = 32, in_w = 418");
  expect_zoo_fallback("artpec9", "pool:type=avg,c=16,h=32,w=32,kh=2", "avgpool.config",
                      "no supported configuration matches: kernel_h = 2, kernel_w = 2, stride_h "
                      "= 2, stride_w = 2, pad_mode = valid, in_h = 32, in_w = 32");
}

static fx_t *unary_net(ir_op_kind_t kind, const ir_attrs_t *a, int64_t c, int64_t hw) {
  fx_t *x = fx_new("artpec9");
  ir_graph_init(&x->g, "unary");
  int in = add_input(x, c, hw, hw);
  add_op(x, kind, a, &in, 1);
  fx_check(x);
  return x;
}

Test(artpec9, mean_only_7x7_or_8x8) {
  fx_t *ok7 = unary_net(IR_OP_GLOBAL_AVGPOOL, &(ir_attrs_t){0}, 64, 7);
  fx_t *ok8 = unary_net(IR_OP_GLOBAL_AVGPOOL, &(ir_attrs_t){0}, 64, 8);
  fx_t *bad = unary_net(IR_OP_GLOBAL_AVGPOOL, &(ir_attrs_t){0}, 64, 14);
  cr_expect_eq(ok7->check.ops_cpu + ok8->check.ops_cpu, 0);
  expect_fallback(bad, 0, "mean.shape", "no supported configuration matches: in_h = 14, in_w = 14");
  fx_free(ok7);
  fx_free(ok8);
  fx_free(bad);
}

Test(artpec9, depth_to_space_block_2) {
  fx_t *ok = unary_net(IR_OP_DEPTH_TO_SPACE, &(ir_attrs_t){.scale = 2}, 16, 8);
  fx_t *bad = unary_net(IR_OP_DEPTH_TO_SPACE, &(ir_attrs_t){.scale = 4}, 64, 8);
  cr_expect_eq(ok->check.ops_cpu, 0);
  expect_fallback(bad, 0, "depth_to_space.block", "block = 4, must be 2");
  fx_free(ok);
  fx_free(bad);
}

Test(artpec9, resize_to_2n_or_2n_minus_1) {
  fx_t *ok = unary_net(IR_OP_UPSAMPLE, &(ir_attrs_t){.scale = 2}, 16, 8);
  fx_t *bad = unary_net(IR_OP_UPSAMPLE, &(ir_attrs_t){.scale = 3}, 16, 8);
  cr_expect_eq(ok->check.ops_cpu, 0);
  expect_fallback(bad, 0, "resize.factor",
                  "out_h_minus_2in_h = 8, must be in {-1,0}; out_w_minus_2in_w = 8, must be in "
                  "{-1,0}");
  fx_free(ok);
  fx_free(bad);
}

Test(artpec9, leaky_relu_alpha_and_unlisted_ops) {
  fx_t *ok = unary_net(IR_OP_LEAKY_RELU, &(ir_attrs_t){.alpha = 0.1f}, 16, 8);
  fx_t *bad = unary_net(IR_OP_LEAKY_RELU, &(ir_attrs_t){.alpha = 1.5f}, 16, 8);
  fx_t *gelu = unary_net(IR_OP_GELU, &(ir_attrs_t){0}, 16, 8);
  cr_expect_eq(ok->check.ops_cpu, 0);
  expect_fallback(bad, 0, "leaky_relu.alpha", "alpha = 1.5, must be < 1");
  expect_fallback(gelu, 0, "supported_ops", "gelu is not in artpec9's supported-op list");
  fx_free(ok);
  fx_free(bad);
  fx_free(gelu);
}

/* ---- tips: reported, the op stays on the NPU ---- */

static void expect_tip(const char *target, const char *spec, const char *id, const char *detail) {
  fx_t *x = fx_zoo(target, spec);
  const arch_finding_t *f = finding(x, id, ARCH_RULE_TIP);
  cr_assert_not_null(f, "%s on %s: no tip %s", spec, target, id);
  cr_expect_str_eq(f->detail, detail);
  cr_expect_eq(x->check.ops_cpu, 0);
  fx_free(x);
}

static void expect_no_tip(const char *target, const char *spec, const char *id) {
  fx_t *x = fx_zoo(target, spec);
  cr_expect_null(finding(x, id, ARCH_RULE_TIP), "%s on %s: tip %s", spec, target, id);
  fx_free(x);
}

Test(tips, artpec8_filters_multiple_of_6) {
  expect_tip("artpec8", "conv:c=16,k=16,h=32,w=32", "filters.multiple_of_6",
             "out_c = 16, must be a multiple of 6");
  expect_no_tip("artpec8", "conv:c=16,k=18,h=32,w=32", "filters.multiple_of_6");
}

Test(tips, artpec9_filters_multiple_of_16) {
  expect_tip("artpec9", "conv:c=16,k=24,h=32,w=32", "filters.multiple_of_16",
             "out_c = 24, must be a multiple of 16");
  expect_no_tip("artpec9", "conv:c=16,k=32,h=32,w=32", "filters.multiple_of_16");
}

Test(tips, cv25_input_multiple_of_32) {
  expect_tip("cv25", "conv:c=16,k=16,h=33,w=64", "input.multiple_of_32",
             "in_h = 33, must be a multiple of 32");
  expect_no_tip("cv25", "conv:c=16,k=16,h=64,w=64", "input.multiple_of_32");
}

/* ---- sched check ---- */

typedef struct {
  int code;
  char *out;
} cli_result_t;

static cli_result_t run(const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", SCHED_BINARY, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (size_t got; (got = fread(buf + n, 1, cap - n - 1, p)) > 0;) {
    n += got;
    if (cap - n < 4096)
      buf = realloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  int status = pclose(p);
  return (cli_result_t){WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf};
}

static void expect_lines(const cli_result_t *r, const char *const *lines) {
  for (int i = 0; lines[i]; i++)
    cr_expect(strstr(r->out, lines[i]) != NULL, "missing: %s\n--- output:\n%s", lines[i], r->out);
}

Test(check_cli, mobilenetv2_runs_on_artpec9_with_tips) {
  cli_result_t r = run("check --net mobilenetv2 --arch artpec9");
  cr_expect_eq(r.code, 0);
  expect_lines(&r, (const char *const[]){
                       "fallback to CPU: 0 ops\n", "performance tips missed: 8\n",
                       "  op 9 'features.2.project' (conv)\n"
                       "    filters.multiple_of_16: out_c = 24, must be a multiple of 16\n",
                       "  op 0 'features.0.conv' (conv)\n"
                       "    padding.explicit: pad_mode = explicit, must be in {same,valid} (pads "
                       "1,1,1,1; TF SAME: 0,1,0,1)\n",
                       "    conv.quant_scale: I*W/O", "  ops: 99 on NPU, 0 on CPU (of 99)\n",
                       "verdict: every op runs on the NPU (8 performance tips missed)\n", NULL});
  free(r.out);
}

Test(check_cli, fsrcnn_falls_back_on_artpec9_prelu) {
  cli_result_t r = run("check --net fsrcnn --arch artpec9");
  cr_expect_eq(r.code, 1);
  expect_lines(&r,
               (const char *const[]){
                   "fallback to CPU: 7 ops\n",
                   "  op 1 'feature.prelu' (prelu): 2 DDR transfers, at the middle of the "
                   "network",
                   "    prelu.not_supported: op class is prelu\n"
                   "      rule: PReLU (per-channel slopes) is not in ARTPEC-9's operator table; "
                   "LeakyReLU with one slope 0 < alpha < 1 is\n",
                   "  op 14 'deconv' (transpose_conv)\n"
                   "    filters.multiple_of_16: out_c = 1, must be a multiple of 16\n",
                   "  ops: 8 on NPU, 7 on CPU (of 15)\n",
                   "verdict: 7 ops fall back to the CPU (7 in the middle, 0 at the start, 0 "
                   "at the end, 0 alone): 14 NPU/CPU transfers through DDR\n",
                   NULL});
  free(r.out);
}

Test(check_cli, tips_alone_exit_0_and_bad_input_exit_2) {
  cli_result_t tip = run("check --net conv:c=16,k=16,h=33,w=64 --arch cv25");
  cr_expect_eq(tip.code, 0);
  expect_lines(&tip, (const char *const[]){"input.multiple_of_32: in_h = 33", NULL});
  cli_result_t bad = run("check --net mobilenetv2 --arch artpec99");
  cr_expect_eq(bad.code, 2);
  cli_result_t none = run("check --net mobilenetv2");
  cr_expect_eq(none.code, 2);
  free(tip.out);
  free(bad.out);
  free(none.out);
}

Test(check_cli, json_lists_fallbacks_with_place_and_transfers) {
  cli_result_t r = run("check --net fsrcnn --arch artpec9 --format json");
  cr_expect_eq(r.code, 1);
  cJSON *j = cJSON_Parse(r.out);
  cr_assert_not_null(j, "%s", r.out);
  cr_expect_str_eq(cJSON_GetObjectItem(j, "verdict")->valuestring, "fallback");
  cJSON *fb = cJSON_GetObjectItem(j, "fallback");
  cr_assert_eq(cJSON_GetArraySize(fb), 7);
  cJSON *first = cJSON_GetArrayItem(fb, 0);
  cr_expect_str_eq(cJSON_GetObjectItem(first, "place")->valuestring, "middle");
  cr_expect_eq(cJSON_GetObjectItem(first, "ddr_transfers")->valueint, 2);
  cJSON *summary = cJSON_GetObjectItem(j, "summary");
  cr_expect_eq(cJSON_GetObjectItem(summary, "ops_cpu")->valueint, 7);
  cJSON_Delete(j);
  free(r.out);
}

/* ---- placement: start, end, edgetpu partitioning ---- */

Test(placement, start_end_and_downstream) {
  /* gelu (unsupported) first and last around a conv: start, then end */
  fx_t *x = fx_new("artpec9");
  ir_graph_init(&x->g, "ends");
  int t = add_input(x, 16, 16, 16);
  t = ir_graph_add_op(&x->g, "pre", IR_OP_GELU, &(ir_attrs_t){0}, &t, 1);
  ir_attrs_t conv = {.kernel_h = 3,
                     .kernel_w = 3,
                     .pad_top = 1,
                     .pad_bottom = 1,
                     .pad_left = 1,
                     .pad_right = 1,
                     .out_channels = 16};
  t = ir_graph_add_op(&x->g, "conv", IR_OP_CONV, &conv, &t, 1);
  add_op(x, IR_OP_GELU, &(ir_attrs_t){0}, &t, 1);
  fx_check(x);
  cr_expect_eq(x->check.place[0], ARCH_PLACE_START);
  cr_expect_eq(x->check.place[1], ARCH_PLACE_NPU);
  cr_expect_eq(x->check.place[2], ARCH_PLACE_END);
  cr_expect_eq(x->check.transfers[0] + x->check.transfers[2], 2);
  fx_free(x);
  /* artpec7 partitions once: everything after the first leaky ReLU is on the CPU */
  fx_t *y = fx_zoo("artpec7", "yolov3-tiny:h=128,w=128");
  cr_expect_eq(y->check.ops_npu, 1);
  cr_expect_not_null(finding(y, "after_fallback", ARCH_RULE_RESTRICTION));
  fx_free(y);
}

/* ---- fallback ops in the plan ---- */

typedef struct {
  arch_t arch;
  ir_graph_t g;
  cost_model_t model;
  strat_problem_t p;
} plan_fx_t;

static plan_fx_t *plan_fx(const char *target, const char *spec) {
  plan_fx_t *x = calloc(1, sizeof *x);
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load(target, &x->arch, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(ir_zoo_build(spec, &x->g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_fuse_activations(&x->g, x->arch.ppe_fusable);
  cr_assert_eq(cost_model_init(&x->model, &x->arch, "analytic", &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(strat_problem_init(&x->p, &x->g, &x->model, STRAT_OBJECTIVE_LATENCY, &d), SCHED_OK,
               "%s on %s: %s", spec, target, d.msg);
  return x;
}

static void plan_fx_free(plan_fx_t *x) {
  strat_problem_free(&x->p);
  cost_model_free(&x->model);
  ir_graph_free(&x->g);
  free(x);
}

Test(fallback_plan, middle_cpu_op_round_trips_through_ddr) {
  plan_fx_t *x = plan_fx("artpec9", "fsrcnn:m=1,h=90,w=160");
  int prelu = 1; /* feature, feature.prelu, shrink, ... */
  cr_assert_str_eq(x->g.ops[prelu].name, "feature.prelu");
  const strat_layer_t *l = &x->p.layers[prelu];
  cr_assert_eq(l->n_cands, 1, "a CPU op has one candidate");
  const strat_candidate_t *c = &l->cands[0];
  cr_expect_eq(c->cost.engine, COST_ENGINE_CPU);
  cr_expect_eq(c->choice.strategy, STRAT_CLUSTERING);
  cr_expect_eq(c->cost.footprint.total_bytes, 0);
  cr_expect_gt(c->cost.input_dma_cycles, 0);
  cr_expect_gt(c->cost.output_dma_cycles, 0);
  /* 56x90x160 output elements at 1 ns + 30 us at 1000 MHz */
  cr_expect_eq(c->cost.compute_cycles, 30000 + 56 * 90 * 160);
  strat_plan_t plan;
  strat_stats_t st;
  sched_diag_t d = {{0}};
  for (const strat_solver_t *const *sv = strat_solvers(); *sv; sv++) {
    strat_params_t params = {.time_limit_s = 5, .seed = 1, .anneal_iters = 2000};
    cr_assert_eq(strat_solve(*sv, &x->p, &params, &plan, &st, &d), SCHED_OK, "%s: %s", (*sv)->name,
                 d.msg);
    cr_expect(plan.spilled[prelu - 1], "%s: 'feature' must write to DDR", (*sv)->name);
    cr_expect(plan.spilled[prelu], "%s: 'feature.prelu' must write to DDR", (*sv)->name);
    cr_expect_eq(strat_layer_inputs_from_ddr(&x->p, &plan, prelu), 1);
    cr_expect_eq(strat_layer_inputs_from_ddr(&x->p, &plan, prelu + 1), 1, "%s", (*sv)->name);
    strat_plan_free(&plan);
  }
  plan_fx_free(x);
}

Test(fallback_plan, report_shows_the_cpu_layer_and_its_spills) {
  cli_result_t r = run("--net fsrcnn:m=1,h=90,w=160 --arch artpec9 --solver greedy");
  cr_expect_eq(r.code, 0);
  cr_expect(strstr(r.out, "feature.prelu") != NULL);
  char *row = strstr(r.out, "\nfeature.prelu ");
  cr_assert_not_null(row, "%s", r.out);
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)strcspn(row + 1, "\n"), row + 1);
  cr_expect(strstr(line, " cpu ") != NULL, "%s", line);
  cr_expect(strstr(line, " in+out ") != NULL, "%s", line);
  /* the fallback table says where each CPU layer sits and what it moves */
  cr_expect(strstr(r.out, "\nfallback to CPU: 4 layers break artpec9's operator restrictions") !=
                NULL,
            "%s", r.out);
  char *fb = strstr(r.out, "\n  feature.prelu ");
  cr_assert_not_null(fb, "%s", r.out);
  char want[128]; /* 56x90x160 u8 in and out: two transfers */
  snprintf(want, sizeof want, "\n  %-24s %-6s %9d %12d %12d", "feature.prelu", "middle", 2, 806400,
           806400);
  cr_expect(strncmp(fb, want, strlen(want)) == 0, "%.120s", fb);
  cr_expect(strstr(fb, "NPU->CPU->NPU, breaks streaming") != NULL);
  /* the schedule runs the 4 PReLUs (feature, shrink, map1, expand) on a CPU track */
  char *cpu = strstr(r.out, "\n  CPU ");
  cr_assert_not_null(cpu, "%s", r.out);
  cr_expect(strstr(cpu, "      4 tasks\n") == strchr(cpu + 1, '\n') - strlen("      4 tasks"),
            "%.80s", cpu);
  free(r.out);
}

/* ---- single-core targets: every solver, zoo nets ---- */

static void every_solver_plans(const char *target) {
  static const char *const nets[] = {"mobilenetv2", "fsrcnn:h=90,w=160", "resnet18",
                                     "yolov3-tiny:h=128,w=128", "edsr:blocks=2,h=90,w=160"};
  for (int n = 0; n < SCHED_ARRAY_LEN(nets); n++) {
    plan_fx_t *x = plan_fx(target, nets[n]);
    for (int l = 0; l < x->p.n_layers; l++)
      for (int c = 0; c < x->p.layers[l].n_cands; c++)
        cr_assert_eq(x->p.layers[l].cands[c].choice.strategy, STRAT_CLUSTERING);
    for (const strat_solver_t *const *sv = strat_solvers(); *sv; sv++) {
      strat_plan_t plan;
      strat_stats_t st;
      sched_diag_t d = {{0}};
      strat_params_t params = {.time_limit_s = 5, .seed = 1, .anneal_iters = 2000};
      cr_expect_eq(strat_solve(*sv, &x->p, &params, &plan, &st, &d), SCHED_OK, "%s %s %s: %s",
                   target, nets[n], (*sv)->name, d.msg);
      cr_expect_eq(strat_plan_verify(&x->p, &plan, &d), SCHED_OK, "%s", d.msg);
      strat_plan_free(&plan);
    }
    plan_fx_free(x);
  }
}

Test(single_core, artpec7_every_solver) { every_solver_plans("artpec7"); }
Test(single_core, artpec8_every_solver) { every_solver_plans("artpec8"); }
Test(single_core, artpec9_every_solver) { every_solver_plans("artpec9"); }
Test(single_core, cv25_every_solver) { every_solver_plans("cv25"); }

/* ---- arch files ---- */

Test(targets, load_by_name_single_core_with_source) {
  static const char *const names[] = {"artpec7", "artpec8", "artpec9", "cv25"};
  for (int i = 0; i < SCHED_ARRAY_LEN(names); i++) {
    fx_t *x = fx_new(names[i]);
    cr_expect_str_eq(x->arch.name, names[i]);
    cr_expect_eq(x->arch.tiles, 1);
    cr_expect(strstr(x->arch.rules.source, "developer.axis.com/") != NULL, "%s",
              x->arch.rules.source);
    cr_expect_gt(x->arch.cpu_ns_per_mac, 0);
    fx_free(x);
  }
}

Test(targets, bad_rules_name_the_file_rule_and_token) {
  char path[] = "/tmp/sched_rulesXXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("{\"tips\": [{\"id\": \"t1\", \"ops\": [\"conv\"], \"text\": \"x\","
        " \"require\": [\"kernel_q in 1,2\"]}]}",
        f);
  fclose(f);
  arch_t *a = calloc(1, sizeof *a);
  sched_diag_t d = {{0}};
  cr_expect_eq(arch_load(path, a, &d), SCHED_ERR_INPUT);
  cr_expect(strstr(d.msg, "tips[0] 't1': condition 'kernel_q in 1,2': unknown parameter "
                          "'kernel_q'") != NULL,
            "%s", d.msg);
  free(a);
  remove(path);
}

Test(targets, conditions_parse_and_format_back) {
  arch_cond_t c;
  char buf[128];
  cr_assert_eq(arch_cond_parse("pad_mode in same,valid", &c, NULL), SCHED_OK);
  arch_cond_format(&c, buf, sizeof buf);
  cr_expect_str_eq(buf, "pad_mode in same,valid");
  cr_assert_eq(arch_cond_parse("kernel_w == kernel_h", &c, NULL), SCHED_OK);
  cr_expect_geq(c.rhs_param, 0);
  cr_expect_eq(arch_cond_parse("stride ~ 2", &c, NULL), SCHED_ERR_INPUT);
  cr_expect_eq(arch_cond_parse("stride == 1,2", &c, NULL), SCHED_ERR_INPUT);
}
