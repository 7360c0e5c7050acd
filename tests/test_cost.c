/* test_cost.c - the cost model: hand-worked examples, providers, engines,
 * and the calibration of the analytic model against NPU2.7 silicon. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cost/cost.h"

#define DATA SCHED_SOURCE_DIR "/tests/data/"

typedef struct {
  arch_t arch;
  cost_model_t model;
} fixture_t;

static void fixture_init(fixture_t *f, const char *arch, const char *spec) {
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load(arch, &f->arch, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(cost_model_init(&f->model, &f->arch, spec, &d), SCHED_OK, "%s", d.msg);
}

static cost_workload_t conv_wl(int in_c, int out_c, int h, int w, int k) {
  return (cost_workload_t){.op = COST_DPU_CONV,
                           .in_c = in_c,
                           .in_h = h,
                           .in_w = w,
                           .out_c = out_c,
                           .out_h = h,
                           .out_w = w,
                           .kernel_h = k,
                           .kernel_w = k,
                           .stride_h = 1,
                           .stride_w = 1,
                           .pad_top = k / 2,
                           .pad_bottom = k / 2,
                           .pad_left = k / 2,
                           .pad_right = k / 2,
                           .dtype = IR_DTYPE_U8,
                           .mode = ARCH_MPE_AUTO};
}

static int64_t cycles_of(const fixture_t *f, const cost_workload_t *wl) {
  cost_dpu_estimate_t e;
  sched_diag_t d = {{0}};
  cr_assert_eq(cost_dpu_workload(&f->model, wl, &e, &d), SCHED_OK, "%s", d.msg);
  return e.cycles;
}

Test(cost, conv_with_3_input_channels_costs_like_16) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  cost_workload_t rgb = conv_wl(3, 32, 112, 112, 3), padded = conv_wl(16, 32, 112, 112, 3);
  cr_assert_eq(cycles_of(&f, &rgb), cycles_of(&f, &padded));
  cost_workload_t more = conv_wl(17, 32, 112, 112, 3);
  cr_assert_gt(cycles_of(&f, &more), cycles_of(&f, &padded));
  cost_model_free(&f.model);
}

Test(cost, depthwise_costs_more_per_mac_than_conv) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  cost_workload_t conv = conv_wl(64, 64, 56, 56, 3), dw = conv;
  dw.op = COST_DPU_DWCONV;
  double conv_macs = 64.0 * 64 * 56 * 56 * 9, dw_macs = 64.0 * 56 * 56 * 9;
  double conv_per_mac = (double)cycles_of(&f, &conv) / conv_macs;
  double dw_per_mac = (double)cycles_of(&f, &dw) / dw_macs;
  cr_assert_gt(dw_per_mac, 10 * conv_per_mac, "dw %g vs conv %g cycles/MAC", dw_per_mac,
               conv_per_mac);
  cost_model_free(&f.model);
}

Test(cost, fp16_is_slower_than_u8) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  const cost_dpu_op_t ops[] = {COST_DPU_CONV, COST_DPU_DWCONV, COST_DPU_MAXPOOL, COST_DPU_ELTWISE};
  for (int i = 0; i < 4; i++) {
    cost_workload_t u8 = conv_wl(64, 64, 28, 28, ops[i] == COST_DPU_ELTWISE ? 1 : 3), fp16;
    u8.op = ops[i];
    fp16 = u8;
    fp16.dtype = IR_DTYPE_FP16;
    cr_assert_gt(cycles_of(&f, &fp16), cycles_of(&f, &u8), "%s", cost_dpu_op_name(ops[i]));
  }
  cost_model_free(&f.model);
}

Test(cost, auto_mode_is_never_worse_than_any_fixed_mode) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  const int sizes[] = {1, 2, 3, 5, 7, 14, 17, 28, 56, 250};
  for (int i = 0; i < 10; i++) {
    for (int j = 0; j < 10; j++) {
      cost_workload_t wl = conv_wl(48, 80, sizes[i], sizes[j], 1);
      int64_t best = cycles_of(&f, &wl);
      for (int m = 0; m < f.arch.n_mpe_modes; m++) {
        wl.mode = f.arch.mpe_modes[m];
        cr_assert_leq(best, cycles_of(&f, &wl), "%dx%d in %s", sizes[i], sizes[j],
                      arch_mpe_mode_name(wl.mode));
      }
    }
  }
  cost_model_free(&f.model);
}

Test(cost, narrow_workload_picks_a_narrow_mode) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  cost_workload_t wl = conv_wl(64, 64, 56, 1, 1); /* one column: 16x16 wastes 3/4 */
  cost_dpu_estimate_t e;
  cr_assert_eq(cost_dpu_workload(&f.model, &wl, &e, NULL), SCHED_OK);
  cr_assert_eq(e.mode, ARCH_MPE_CUBOID_4x16);
  cr_assert_str_eq(e.provider, "analytic");
  cost_model_free(&f.model);
}

Test(cost, conv_cycles_by_hand) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  /* 64->64 3x3 over 56x56 in 16x16: 56x56 positions (no padding) x 64 x 64
   * x 9 = 115605504 MACs / 2048 per cycle = 56448 cycles, / 0.98 efficiency
   * = 57600, + 650 overhead. */
  cost_workload_t wl = conv_wl(64, 64, 56, 56, 3);
  wl.mode = ARCH_MPE_CUBOID_16x16;
  cr_assert_eq(cycles_of(&f, &wl), 57600 + 650);
  cost_model_free(&f.model);
}

Test(cost, dma_is_latency_plus_bytes_over_bandwidth) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  /* DDR: (956 ns + 1048576 B / 27 B/ns) x 1.3 cycles/ns = 51729.8 -> 51730. */
  cr_assert_eq(cost_dma_cycles(&f.model, 1048576, COST_DMA_DDR_TO_CMX), 51730);
  cr_assert_eq(cost_dma_cycles(&f.model, 1048576, COST_DMA_CMX_TO_DDR), 51730);
  /* CMX-to-CMX: (16.4 + 1048576 / 31.2) x 1.3 = 43711.99 -> 43712. */
  cr_assert_eq(cost_dma_cycles(&f.model, 1048576, COST_DMA_CMX_TO_CMX), 43712);
  cr_assert_eq(cost_dma_cycles(&f.model, 0, COST_DMA_DDR_TO_CMX), 0);
  cost_model_free(&f.model);
}

Test(cost, shave_is_launch_plus_per_byte) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  /* 3 us launch = 3900 cycles; 8000 bytes at 8 B/cycle = 1000; x4 for Sigmoid. */
  cr_assert_eq(cost_shave_cycles(&f.model, IR_OP_PRELU, 8000), 4900);
  cr_assert_eq(cost_shave_cycles(&f.model, IR_OP_SIGMOID, 8000), 7900);
  cost_model_free(&f.model);
}

Test(cost, lut_row_overrides_and_other_workloads_fall_back) {
  fixture_t f;
  fixture_init(&f, "vpu27", "lut:" DATA "cost_lut.csv");
  cost_workload_t wl = conv_wl(64, 64, 56, 56, 3);
  cost_dpu_estimate_t e;
  cr_assert_eq(cost_dpu_workload(&f.model, &wl, &e, NULL), SCHED_OK);
  cr_assert_eq(e.cycles, 39000); /* AUTO: the fastest measured mode */
  cr_assert_eq(e.mode, ARCH_MPE_CUBOID_8x16);
  cr_assert_str_eq(e.provider, "lut");
  wl.mode = ARCH_MPE_CUBOID_16x16;
  cr_assert_eq(cost_dpu_workload(&f.model, &wl, &e, NULL), SCHED_OK);
  cr_assert_eq(e.cycles, 40000);
  wl.mode = ARCH_MPE_CUBOID_4x16; /* no row in this mode */
  cr_assert_eq(cost_dpu_workload(&f.model, &wl, &e, NULL), SCHED_OK);
  cr_assert_str_eq(e.provider, "analytic");
  cost_workload_t other = conv_wl(32, 64, 56, 56, 3);
  cr_assert_eq(cost_dpu_workload(&f.model, &other, &e, NULL), SCHED_OK);
  cr_assert_str_eq(e.provider, "analytic");
  cost_model_free(&f.model);
}

Test(cost, lut_bad_line_names_file_and_line) {
  arch_t a;
  arch_preset("vpu27", &a, NULL);
  cost_model_t m;
  sched_diag_t d = {{0}};
  cr_assert_eq(cost_model_init(&m, &a, "lut:" DATA "cost_lut_bad.csv", &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, DATA "cost_lut_bad.csv:3: bad cycles '-5' (expected a positive "
                               "integer)");
  cr_assert_eq(cost_model_init(&m, &a, "magic", &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "unknown cost provider 'magic' (use analytic or lut:FILE.csv)");
}

Test(cost, bad_workload_names_the_field) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  cost_workload_t wl = conv_wl(64, 64, 56, 56, 3);
  cost_dpu_estimate_t e;
  sched_diag_t d = {{0}};
  wl.out_w = 0;
  cr_assert_eq(cost_dpu_workload(&f.model, &wl, &e, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "workload: out_w must be at least 1, got 0");
  wl = conv_wl(64, 64, 56, 56, 3);
  wl.mode = ARCH_MPE_MATRIX;
  cr_assert_eq(cost_dpu_workload(&f.model, &wl, &e, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "workload: mode matrix is not supported by vpu27");
  cost_model_free(&f.model);
}

static cost_engine_t engine_of(const arch_t *a, ir_op_kind_t kind, ir_upsample_mode_t up) {
  ir_graph_t g;
  memset(&g, 0, sizeof g);
  ir_op_t op;
  memset(&op, 0, sizeof op);
  op.kind = kind;
  op.attrs.upsample_mode = up;
  return cost_op_engine(a, &g, &op);
}

Test(cost, ops_run_on_the_engines_design_lists) {
  arch_t a;
  arch_preset("vpu27", &a, NULL);
  const ir_op_kind_t dpu[] = {IR_OP_CONV,
                              IR_OP_TRANSPOSE_CONV,
                              IR_OP_FULLY_CONNECTED,
                              IR_OP_MAXPOOL,
                              IR_OP_AVGPOOL,
                              IR_OP_ADD,
                              IR_OP_SUB,
                              IR_OP_MUL,
                              IR_OP_MATMUL};
  for (int i = 0; i < SCHED_ARRAY_LEN(dpu); i++)
    cr_assert_eq(engine_of(&a, dpu[i], 0), COST_ENGINE_DPU);
  const ir_op_kind_t shave[] = {
      IR_OP_PRELU,     IR_OP_SIGMOID,    IR_OP_TANH,        IR_OP_SOFTMAX,
      IR_OP_GELU,      IR_OP_HARDSWISH,  IR_OP_HARDSIGMOID, IR_OP_SWISH,
      IR_OP_LAYERNORM, IR_OP_RMSNORM,    IR_OP_DIV,         IR_OP_POW,
      IR_OP_SQRT,      IR_OP_RECIPROCAL, IR_OP_REDUCE_MEAN, IR_OP_GENERIC};
  for (int i = 0; i < SCHED_ARRAY_LEN(shave); i++)
    cr_assert_eq(engine_of(&a, shave[i], 0), COST_ENGINE_SHAVE, "%d", shave[i]);
  const ir_op_kind_t none[] = {IR_OP_RELU, IR_OP_CLAMP, IR_OP_LEAKY_RELU, IR_OP_CONCAT,
                               IR_OP_RESHAPE};
  for (int i = 0; i < SCHED_ARRAY_LEN(none); i++)
    cr_assert_eq(engine_of(&a, none[i], 0), COST_ENGINE_NONE, "%d", none[i]);
  cr_assert_eq(engine_of(&a, IR_OP_UPSAMPLE, IR_UPSAMPLE_NEAREST), COST_ENGINE_NONE);
  cr_assert_eq(engine_of(&a, IR_OP_UPSAMPLE, IR_UPSAMPLE_BILINEAR), COST_ENGINE_DPU);
  cr_assert_eq(engine_of(&a, IR_OP_UPSAMPLE, IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS),
               COST_ENGINE_SHAVE);
  cr_assert_eq(engine_of(&a, IR_OP_DEPTH_TO_SPACE, 0), COST_ENGINE_DMA);
  cr_assert_eq(engine_of(&a, IR_OP_GATHER, 0), COST_ENGINE_DMA);
  cr_assert_eq(engine_of(&a, IR_OP_SLICE, 0), COST_ENGINE_DMA);
  cr_assert_eq(engine_of(&a, IR_OP_TRANSPOSE, 0), COST_ENGINE_DMA);
  a.ppe_fusable &= ~(UINT64_C(1) << IR_OP_LEAKY_RELU); /* an arch without it */
  cr_assert_eq(engine_of(&a, IR_OP_LEAKY_RELU, 0), COST_ENGINE_SHAVE);
}

/* ---- calibration ----
 * Measured DPU cycles of single workloads on NPU2.7 silicon, from
 * intel/npu-nn-cost-model, tests/cpp/vpu/regressions/NPU27_regression_tests.cpp
 * (the GT: values; commit 8a2ae92). `line` is the source line of each GT.
 * Depthwise points come in threes (64, 32, 16 channels) and cover SOHO slices
 * (14 rows, with halo) and whole 56x56 layers, kernels 3..11, strides 1-2,
 * u8 and fp16. Conv points are 3x3 u8 convs, eltwise 250-wide u8 adds. */
typedef struct {
  int line;
  cost_dpu_op_t op;
  ir_dtype_t dtype;
  int in_c, in_h, in_w, out_c, out_h, out_w, kernel, stride, pad_top, pad_bottom, pad_lr;
  arch_mpe_mode_t mode;
  int64_t measured_cycles;
} calib_point_t;

static const calib_point_t npu27_points[] = {
    {179, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 15, 56, 64, 14, 56, 3, 1, 1, 0, 1,
     ARCH_MPE_CUBOID_16x16, 6044},
    {180, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 15, 56, 32, 14, 56, 3, 1, 1, 0, 1,
     ARCH_MPE_CUBOID_16x16, 3014},
    {181, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 15, 56, 16, 14, 56, 3, 1, 1, 0, 1,
     ARCH_MPE_CUBOID_16x16, 2754},
    {183, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 16, 56, 64, 14, 56, 3, 1, 0, 0, 1,
     ARCH_MPE_CUBOID_16x16, 6265},
    {184, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 16, 56, 32, 14, 56, 3, 1, 0, 0, 1,
     ARCH_MPE_CUBOID_16x16, 3140},
    {185, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 16, 56, 16, 14, 56, 3, 1, 0, 0, 1,
     ARCH_MPE_CUBOID_16x16, 2754},
    {192, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 56, 56, 64, 56, 56, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 21342},
    {193, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 56, 56, 32, 56, 56, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 10571},
    {194, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 56, 56, 16, 56, 56, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 9361},
    {222, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 29, 112, 64, 14, 56, 3, 2, 0, 0, 1,
     ARCH_MPE_CUBOID_16x16, 6298},
    {223, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 29, 112, 32, 14, 56, 3, 2, 0, 0, 1,
     ARCH_MPE_CUBOID_16x16, 3339},
    {224, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 29, 112, 16, 14, 56, 3, 2, 0, 0, 1,
     ARCH_MPE_CUBOID_16x16, 3221},
    {232, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 112, 112, 64, 56, 56, 3, 2, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 21617},
    {233, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 112, 112, 32, 56, 56, 3, 2, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 11268},
    {234, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 112, 112, 16, 56, 56, 3, 2, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 10981},
    {342, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 15, 56, 64, 14, 56, 3, 1, 1, 0, 1,
     ARCH_MPE_CUBOID_16x16, 12143},
    {343, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 15, 56, 32, 14, 56, 3, 1, 1, 0, 1,
     ARCH_MPE_CUBOID_16x16, 6194},
    {344, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 15, 56, 16, 14, 56, 3, 1, 1, 0, 1,
     ARCH_MPE_CUBOID_16x16, 3070},
    {356, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 56, 56, 64, 56, 56, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 41897},
    {357, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 56, 56, 32, 56, 56, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 21441},
    {358, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 56, 56, 16, 56, 56, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 10472},
    {429, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 18, 56, 64, 14, 56, 5, 1, 0, 0, 2,
     ARCH_MPE_CUBOID_16x16, 16592},
    {430, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 18, 56, 32, 14, 56, 5, 1, 0, 0, 2,
     ARCH_MPE_CUBOID_16x16, 8198},
    {431, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 18, 56, 16, 14, 56, 5, 1, 0, 0, 2,
     ARCH_MPE_CUBOID_16x16, 7466},
    {438, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 56, 56, 64, 56, 56, 5, 1, 2, 2, 2,
     ARCH_MPE_CUBOID_16x16, 56996},
    {439, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 56, 56, 32, 56, 56, 5, 1, 2, 2, 2,
     ARCH_MPE_CUBOID_16x16, 28228},
    {440, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 56, 56, 16, 56, 56, 5, 1, 2, 2, 2,
     ARCH_MPE_CUBOID_16x16, 25870},
    {471, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 18, 56, 64, 14, 56, 5, 1, 0, 0, 2,
     ARCH_MPE_CUBOID_16x16, 32566},
    {472, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 18, 56, 32, 14, 56, 5, 1, 0, 0, 2,
     ARCH_MPE_CUBOID_16x16, 16679},
    {473, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 18, 56, 16, 14, 56, 5, 1, 0, 0, 2,
     ARCH_MPE_CUBOID_16x16, 8202},
    {481, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 56, 56, 64, 56, 56, 5, 1, 2, 2, 2,
     ARCH_MPE_CUBOID_16x16, 111829},
    {482, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 56, 56, 32, 56, 56, 5, 1, 2, 2, 2,
     ARCH_MPE_CUBOID_16x16, 57144},
    {483, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 56, 56, 16, 56, 56, 5, 1, 2, 2, 2,
     ARCH_MPE_CUBOID_16x16, 28155},
    {598, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 17, 56, 64, 14, 56, 7, 1, 3, 0, 3,
     ARCH_MPE_CUBOID_16x16, 30375},
    {599, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 17, 56, 32, 14, 56, 7, 1, 3, 0, 3,
     ARCH_MPE_CUBOID_16x16, 15191},
    {600, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 17, 56, 16, 14, 56, 7, 1, 3, 0, 3,
     ARCH_MPE_CUBOID_16x16, 14314},
    {612, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 56, 56, 64, 56, 56, 7, 1, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 110502},
    {613, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 56, 56, 32, 56, 56, 7, 1, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 54629},
    {614, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 56, 56, 16, 56, 56, 7, 1, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 50701},
    {655, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 112, 112, 64, 56, 56, 7, 2, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 112578},
    {656, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 112, 112, 32, 56, 56, 7, 2, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 59945},
    {657, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 112, 112, 16, 56, 56, 7, 2, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 59614},
    {685, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 17, 56, 64, 14, 56, 7, 1, 3, 0, 3,
     ARCH_MPE_CUBOID_16x16, 59688},
    {686, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 17, 56, 32, 14, 56, 7, 1, 3, 0, 3,
     ARCH_MPE_CUBOID_16x16, 30427},
    {687, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 17, 56, 16, 14, 56, 7, 1, 3, 0, 3,
     ARCH_MPE_CUBOID_16x16, 14144},
    {698, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 56, 56, 64, 56, 56, 7, 1, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 214272},
    {699, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 56, 56, 32, 56, 56, 7, 1, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 110296},
    {700, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 56, 56, 16, 56, 56, 7, 1, 3, 3, 3,
     ARCH_MPE_CUBOID_16x16, 54414},
    {773, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 22, 56, 64, 14, 56, 9, 1, 0, 0, 4,
     ARCH_MPE_CUBOID_16x16, 52086},
    {774, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 22, 56, 32, 14, 56, 9, 1, 0, 0, 4,
     ARCH_MPE_CUBOID_16x16, 25713},
    {775, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 22, 56, 16, 14, 56, 9, 1, 0, 0, 4,
     ARCH_MPE_CUBOID_16x16, 23705},
    {824, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 56, 56, 64, 56, 56, 9, 1, 4, 4, 4,
     ARCH_MPE_CUBOID_16x16, 347606},
    {825, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 56, 56, 32, 56, 56, 9, 1, 4, 4, 4,
     ARCH_MPE_CUBOID_16x16, 178765},
    {826, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 56, 56, 16, 56, 56, 9, 1, 4, 4, 4,
     ARCH_MPE_CUBOID_16x16, 88279},
    {866, COST_DPU_DWCONV, IR_DTYPE_U8, 64, 56, 56, 64, 56, 56, 11, 1, 5, 5, 5,
     ARCH_MPE_CUBOID_16x16, 263757},
    {867, COST_DPU_DWCONV, IR_DTYPE_U8, 32, 56, 56, 32, 56, 56, 11, 1, 5, 5, 5,
     ARCH_MPE_CUBOID_16x16, 130998},
    {868, COST_DPU_DWCONV, IR_DTYPE_U8, 16, 56, 56, 16, 56, 56, 11, 1, 5, 5, 5,
     ARCH_MPE_CUBOID_16x16, 123055},
    {895, COST_DPU_DWCONV, IR_DTYPE_FP16, 64, 19, 56, 64, 14, 56, 11, 1, 5, 0, 5,
     ARCH_MPE_CUBOID_16x16, 141932},
    {896, COST_DPU_DWCONV, IR_DTYPE_FP16, 32, 19, 56, 32, 14, 56, 11, 1, 5, 0, 5,
     ARCH_MPE_CUBOID_16x16, 72664},
    {897, COST_DPU_DWCONV, IR_DTYPE_FP16, 16, 19, 56, 16, 14, 56, 11, 1, 5, 0, 5,
     ARCH_MPE_CUBOID_16x16, 36250},
    {1229, COST_DPU_CONV, IR_DTYPE_U8, 96, 4, 28, 96, 3, 28, 3, 1, 1, 0, 1, ARCH_MPE_CUBOID_8x16,
     4794},
    {1280, COST_DPU_CONV, IR_DTYPE_U8, 96, 4, 28, 96, 3, 28, 3, 1, 1, 0, 1, ARCH_MPE_CUBOID_16x16,
     5835},
    {1330, COST_DPU_CONV, IR_DTYPE_U8, 96, 3, 28, 96, 2, 28, 3, 1, 0, 1, 1, ARCH_MPE_CUBOID_16x16,
     5982},
    {1365, COST_DPU_CONV, IR_DTYPE_U8, 96, 2, 28, 96, 1, 28, 3, 1, 0, 1, 1, ARCH_MPE_CUBOID_16x16,
     5315},
    {1406, COST_DPU_CONV, IR_DTYPE_U8, 96, 3, 28, 96, 2, 28, 3, 1, 0, 1, 1, ARCH_MPE_CUBOID_8x16,
     4791},
    {1447, COST_DPU_CONV, IR_DTYPE_U8, 96, 2, 28, 96, 1, 28, 3, 1, 0, 1, 1, ARCH_MPE_CUBOID_8x16,
     4259},
    {1516, COST_DPU_CONV, IR_DTYPE_U8, 160, 5, 16, 160, 4, 16, 3, 1, 1, 0, 1, ARCH_MPE_CUBOID_8x16,
     7857},
    {1517, COST_DPU_CONV, IR_DTYPE_U8, 160, 6, 16, 160, 4, 16, 3, 1, 0, 0, 1, ARCH_MPE_CUBOID_8x16,
     7895},
    {1520, COST_DPU_CONV, IR_DTYPE_U8, 160, 5, 16, 80, 4, 16, 3, 1, 1, 0, 1, ARCH_MPE_CUBOID_8x16,
     3845},
    {1539, COST_DPU_CONV, IR_DTYPE_U8, 160, 16, 16, 16, 16, 16, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 4612},
    {1540, COST_DPU_CONV, IR_DTYPE_U8, 160, 16, 16, 32, 16, 16, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 6149},
    {1541, COST_DPU_CONV, IR_DTYPE_U8, 160, 16, 16, 48, 16, 16, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 9050},
    {1542, COST_DPU_CONV, IR_DTYPE_U8, 160, 16, 16, 64, 16, 16, 3, 1, 1, 1, 1,
     ARCH_MPE_CUBOID_16x16, 12029},
    {1623, COST_DPU_ELTWISE, IR_DTYPE_U8, 64, 7, 250, 64, 7, 250, 1, 1, 0, 0, 0,
     ARCH_MPE_CUBOID_16x16, 3231},
    {1624, COST_DPU_ELTWISE, IR_DTYPE_U8, 64, 6, 250, 64, 6, 250, 1, 1, 0, 0, 0,
     ARCH_MPE_CUBOID_16x16, 3154},
    {1627, COST_DPU_ELTWISE, IR_DTYPE_U8, 64, 7, 250, 64, 7, 250, 1, 1, 0, 0, 0,
     ARCH_MPE_CUBOID_8x16, 3240},
    {1628, COST_DPU_ELTWISE, IR_DTYPE_U8, 64, 6, 250, 64, 6, 250, 1, 1, 0, 0, 0,
     ARCH_MPE_CUBOID_8x16, 3158},
    {1630, COST_DPU_ELTWISE, IR_DTYPE_U8, 64, 7, 250, 64, 7, 250, 1, 1, 0, 0, 0,
     ARCH_MPE_CUBOID_4x16, 3467},
    {1631, COST_DPU_ELTWISE, IR_DTYPE_U8, 64, 6, 250, 64, 6, 250, 1, 1, 0, 0, 0,
     ARCH_MPE_CUBOID_4x16, 3466},
};

typedef struct {
  double max_err, sum_err;
  int n;
} calib_stats_t;

static double calib_error(const fixture_t *f, const calib_point_t *p) {
  cost_workload_t wl = {.op = p->op,
                        .in_c = p->in_c,
                        .in_h = p->in_h,
                        .in_w = p->in_w,
                        .out_c = p->out_c,
                        .out_h = p->out_h,
                        .out_w = p->out_w,
                        .kernel_h = p->kernel,
                        .kernel_w = p->kernel,
                        .stride_h = p->stride,
                        .stride_w = p->stride,
                        .pad_top = p->pad_top,
                        .pad_bottom = p->pad_bottom,
                        .pad_left = p->pad_lr,
                        .pad_right = p->pad_lr,
                        .dtype = p->dtype,
                        .mode = p->mode};
  int64_t model = cycles_of(f, &wl);
  return (double)(model - p->measured_cycles) / (double)p->measured_cycles;
}

Test(cost, analytic_model_is_within_25_percent_of_npu27_silicon) {
  fixture_t f;
  fixture_init(&f, "vpu27", "analytic");
  calib_stats_t stats[COST_DPU_OP_COUNT] = {{0}};
  for (int i = 0; i < SCHED_ARRAY_LEN(npu27_points); i++) {
    const calib_point_t *p = &npu27_points[i];
    double err = calib_error(&f, p);
    cr_expect_leq(fabs(err), 0.25, "line %d: model off by %+.1f%%", p->line, 100 * err);
    calib_stats_t *s = &stats[p->op];
    s->max_err = fmax(s->max_err, fabs(err));
    s->sum_err += fabs(err);
    s->n++;
  }
  for (int op = 0; op < COST_DPU_OP_COUNT; op++)
    if (stats[op].n)
      cr_log_info("%s: %d points, max %.1f%%, mean %.1f%%", cost_dpu_op_name(op), stats[op].n,
                  100 * stats[op].max_err, 100 * stats[op].sum_err / stats[op].n);
  cost_model_free(&f.model);
}
