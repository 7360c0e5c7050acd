/* ONNX import: models built in C with the same protobuf-c bindings the
 * importer uses. Nets that exist in the zoo must give the same MACs, params
 * and shapes; each bad-input case has its exact error line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ir/ir.h"
#include "onnx_builder.h"
#include "tools/pipeline.h"

static const int64_t img[4] = {1, 3, 224, 224};

/* Imports b; asserts success and a verified graph. */
static void import_ok(const mb_t *b, const ir_onnx_options_t *opts, ir_graph_t *g) {
  size_t len;
  uint8_t *buf = mb_pack(b, &len);
  sched_diag_t diag = {0};
  int rc = ir_onnx_import_buffer(buf, len, "m.onnx", opts, g, &diag);
  free(buf);
  cr_assert_eq(rc, SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_graph_verify(g, &diag), SCHED_OK, "%s", diag.msg);
}

/* Imports b, expects SCHED_ERR_INPUT and returns the error line. */
static const char *import_error(const mb_t *b, const ir_onnx_options_t *opts, sched_diag_t *diag) {
  size_t len;
  uint8_t *buf = mb_pack(b, &len);
  ir_graph_t g;
  int rc = ir_onnx_import_buffer(buf, len, "m.onnx", opts, &g, diag);
  free(buf);
  cr_assert_eq(rc, SCHED_ERR_INPUT, "expected an input error, got %d", rc);
  return diag->msg;
}

static const char *bytes_error(const void *data, size_t len, sched_diag_t *diag) {
  ir_graph_t g;
  int rc = ir_onnx_import_buffer(data, len, "m.onnx", NULL, &g, diag);
  cr_assert_eq(rc, SCHED_ERR_INPUT, "expected an input error, got %d", rc);
  return diag->msg;
}

static int count_kind(const ir_graph_t *g, ir_op_kind_t kind) {
  int n = 0;
  for (int i = 0; i < g->n_ops; i++)
    n += g->ops[i].kind == kind;
  return n;
}

static ir_shape_t out_shape(const ir_graph_t *g) { return g->tensors[g->outputs[0]].shape; }

static void expect_shape(ir_shape_t s, int64_t n, int64_t c, int64_t h, int64_t w) {
  cr_expect(s.n == n && s.c == c && s.h == h && s.w == w, "shape %lldx%lldx%lldx%lld",
            (long long)s.n, (long long)s.c, (long long)s.h, (long long)s.w);
}

/* Conv (no bias) + BatchNormalization + activation, torchvision style. */
static void conv_bn(mb_t *b, const char *in, const char *out, int64_t cin, int64_t cout, int k,
                    int stride, int group, const char *act) {
  char w[96], bn[96], y[96], s[96];
  snprintf(w, sizeof w, "%s.w", out);
  snprintf(bn, sizeof bn, "%s.bn", out);
  snprintf(y, sizeof y, "%s.conv", out);
  mb_weight(b, w, (int64_t[]){cout, cin / group, k, k}, 4, 0);
  for (int i = 0; i < 4; i++) {
    snprintf(s, sizeof s, "%s.bn%d", out, i);
    mb_weight(b, s, (int64_t[]){cout}, 1, 0);
  }
  char ins[512];
  snprintf(ins, sizeof ins, "%s|%s", in, w);
  Onnx__NodeProto *n = mb_node(b, "Conv", y, ins, y);
  mb_attr_ints(b, n, "kernel_shape", 2, k, k);
  mb_attr_ints(b, n, "strides", 2, stride, stride);
  mb_attr_ints(b, n, "pads", 4, k / 2, k / 2, k / 2, k / 2);
  mb_attr_int(b, n, "group", group);
  snprintf(ins, sizeof ins, "%s|%s.bn0|%s.bn1|%s.bn2|%s.bn3", y, out, out, out, out);
  mb_node(b, "BatchNormalization", bn, ins, act ? bn : out);
  if (act && strcmp(act, "relu6") == 0) {
    Onnx__NodeProto *c = mb_node(b, "Clip", out, bn, out);
    mb_attr_float(b, c, "min", 0);
    mb_attr_float(b, c, "max", 6);
  } else if (act) {
    mb_node(b, "Relu", out, bn, out);
  }
}

/* ---- nets that the zoo has too ---- */

static void build_mobilenetv2(mb_t *b) {
  static const int st[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                               {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  mb_init(b, 13);
  mb_input(b, "input", img, 4);
  conv_bn(b, "input", "f0", 3, 32, 3, 2, 1, "relu6");
  char x[32] = "f0", e[32], d[32], p[32], a[32];
  int in_c = 32, idx = 1;
  for (int s = 0; s < 7; s++) {
    for (int r = 0; r < st[s][2]; r++, idx++) {
      int hidden = in_c * st[s][0], stride = r == 0 ? st[s][3] : 1;
      snprintf(e, sizeof e, "f%d.e", idx);
      snprintf(d, sizeof d, "f%d.d", idx);
      snprintf(p, sizeof p, "f%d.p", idx);
      snprintf(a, sizeof a, "f%d", idx);
      if (st[s][0] != 1)
        conv_bn(b, x, e, in_c, hidden, 1, 1, 1, "relu6");
      conv_bn(b, st[s][0] != 1 ? e : x, d, hidden, hidden, 3, stride, hidden, "relu6");
      conv_bn(b, d, p, hidden, st[s][1], 1, 1, 1, NULL);
      if (stride == 1 && in_c == st[s][1]) {
        char ins[80];
        snprintf(ins, sizeof ins, "%s|%s", x, p);
        mb_node(b, "Add", a, ins, a);
      } else {
        snprintf(a, sizeof a, "%s", p);
      }
      snprintf(x, sizeof x, "%s", a);
      in_c = st[s][1];
    }
  }
  conv_bn(b, x, "last", in_c, 1280, 1, 1, 1, "relu6");
  mb_node(b, "GlobalAveragePool", "gap", "last", "gap");
  mb_attr_int(b, mb_node(b, "Flatten", "flat", "gap", "flat"), "axis", 1);
  mb_weight(b, "fc.w", (int64_t[]){1000, 1280}, 2, 0);
  mb_weight(b, "fc.b", (int64_t[]){1000}, 1, 0);
  mb_attr_int(b, mb_node(b, "Gemm", "fc", "flat|fc.w|fc.b", "logits"), "transB", 1);
  mb_output(b, "logits");
}

Test(onnx, mobilenetv2_matches_the_zoo) {
  mb_t b;
  build_mobilenetv2(&b);
  ir_graph_t g, zoo;
  import_ok(&b, NULL, &g);
  sched_diag_t diag;
  cr_assert_eq(ir_zoo_build("mobilenetv2", &zoo, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect_eq(ir_graph_macs(&g), ir_graph_macs(&zoo));
  cr_expect_eq(ir_graph_params(&g), ir_graph_params(&zoo));
  cr_expect_eq(count_kind(&g, IR_OP_CONV), count_kind(&zoo, IR_OP_CONV));
  cr_expect_eq(count_kind(&g, IR_OP_CLAMP), count_kind(&zoo, IR_OP_CLAMP));
  cr_expect_eq(count_kind(&g, IR_OP_ADD), count_kind(&zoo, IR_OP_ADD));
  cr_expect_eq(count_kind(&g, IR_OP_RESHAPE), 1); /* Flatten; the zoo's FC flattens itself */
  expect_shape(out_shape(&g), 1, 1000, 1, 1);
  /* every conv output has the zoo's shape, in the same order */
  for (int i = 0, j = 0; i < g.n_ops; i++) {
    if (g.ops[i].kind != IR_OP_CONV)
      continue;
    while (zoo.ops[j].kind != IR_OP_CONV)
      j++;
    ir_shape_t x = g.tensors[g.ops[i].output].shape, y = zoo.tensors[zoo.ops[j++].output].shape;
    cr_expect_eq(memcmp(&x, &y, sizeof x), 0, "conv %s", g.ops[i].name);
  }
  ir_graph_free(&g);
  ir_graph_free(&zoo);
  mb_free(&b);
}

/* An imported network goes through the whole pipeline: every solver plans
 * it, the plans verify, and the chosen one is scheduled and allocated. */
static void expect_plans_with_every_solver(const ir_graph_t *g, const char *what) {
  pipeline_options_t o = pipeline_defaults();
  o.graph = g;
  o.cmx = "1MB";
  o.solver = "all";
  pipeline_t *p = calloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s: %s", what, d.msg);
  int solvers = 0;
  for (const strat_solver_t *const *s = strat_solvers(); *s; s++)
    solvers++;
  cr_expect_eq(p->n_runs, solvers, "%s", what);
  for (int i = 0; i < p->n_runs; i++) {
    cr_expect_eq(p->runs[i].status, SCHED_OK, "%s: %s: %s", what, p->runs[i].solver,
                 p->runs[i].error_msg);
    cr_expect_eq(strat_plan_verify(&p->problem, p->runs[i].plan, &d), SCHED_OK, "%s: %s: %s", what,
                 p->runs[i].solver, d.msg);
  }
  const report_solver_run_t *chosen = pipeline_chosen(p);
  cr_expect_not_null(chosen->schedule, "%s: not scheduled", what);
  cr_expect_gt(chosen->plan->latency_cycles, 0);
  pipeline_free(p);
  free(p);
}

Test(onnx, imported_networks_plan_and_schedule_with_every_solver) {
  mb_t b;
  build_mobilenetv2(&b);
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  expect_plans_with_every_solver(&g, "mobilenetv2.onnx");
  ir_graph_free(&g);
  mb_free(&b);
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 64, 56, 56}, 4);
  conv_bn(&b, "x", "c1", 64, 128, 3, 2, 1, "relu");
  conv_bn(&b, "c1", "c2", 128, 128, 3, 1, 1, NULL);
  conv_bn(&b, "x", "down", 64, 128, 1, 2, 1, NULL);
  mb_node(&b, "Add", "add", "c2|down", "add");
  mb_node(&b, "Relu", "relu", "add", "y");
  mb_output(&b, "y");
  import_ok(&b, NULL, &g);
  expect_plans_with_every_solver(&g, "resnet block");
  ir_graph_free(&g);
  mb_free(&b);
}

/* ResNet basic block with a downsampling shortcut, like resnet18's layer2.0. */
Test(onnx, residual_block_matches_hand_counts) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 64, 56, 56}, 4);
  conv_bn(&b, "x", "c1", 64, 128, 3, 2, 1, "relu");
  conv_bn(&b, "c1", "c2", 128, 128, 3, 1, 1, NULL);
  conv_bn(&b, "x", "down", 64, 128, 1, 2, 1, NULL);
  mb_node(&b, "Add", "add", "c2|down", "add");
  mb_node(&b, "Relu", "relu", "add", "y");
  mb_output(&b, "y");
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  cr_expect_eq(g.n_ops, 6); /* conv relu conv conv add relu: BatchNorms folded */
  cr_expect_eq(count_kind(&g, IR_OP_CONV), 3);
  expect_shape(out_shape(&g), 1, 128, 28, 28);
  int64_t hw = 28 * 28;
  cr_expect_eq(ir_graph_macs(&g), hw * 128 * (64 * 9 + 128 * 9 + 64));
  cr_expect_eq(ir_graph_params(&g), 128 * (64 * 9 + 128 * 9 + 64) + 3 * 128);
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx, depthwise_pointwise_matches_zoo_single_layers) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 32, 56, 56}, 4);
  conv_bn(&b, "x", "dw", 32, 32, 3, 1, 32, "relu");
  conv_bn(&b, "dw", "pw", 32, 64, 1, 1, 1, "relu6");
  mb_output(&b, "pw");
  ir_graph_t g, dw, pw;
  sched_diag_t diag;
  import_ok(&b, NULL, &g);
  cr_assert_eq(ir_zoo_build("dwconv:c=32,h=56,w=56,kh=3", &dw, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_zoo_build("conv:c=32,k=64,h=56,w=56,kh=1", &pw, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect(ir_op_is_depthwise(&g, &g.ops[0]));
  cr_expect_eq(ir_graph_macs(&g), ir_graph_macs(&dw) + ir_graph_macs(&pw));
  cr_expect_eq(ir_graph_params(&g), ir_graph_params(&dw) + ir_graph_params(&pw));
  ir_shape_t a = out_shape(&g), z = out_shape(&pw);
  cr_expect_eq(memcmp(&a, &z, sizeof a), 0);
  ir_graph_free(&g);
  ir_graph_free(&dw);
  ir_graph_free(&pw);
  mb_free(&b);
}

/* ---- folding and aliasing ---- */

Test(onnx, batchnorm_folds_into_conv_or_becomes_depthwise) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 8, 16, 16}, 4);
  for (int i = 0; i < 4; i++) {
    char s[16];
    snprintf(s, sizeof s, "s%d", i);
    mb_weight(&b, s, (int64_t[]){8}, 1, 0);
  }
  mb_node(&b, "BatchNormalization", "bn0", "x|s0|s1|s2|s3", "a");
  mb_weight(&b, "w", (int64_t[]){8, 8, 3, 3}, 4, 0);
  Onnx__NodeProto *c = mb_node(&b, "Conv", "conv", "a|w", "c");
  mb_attr_ints(&b, c, "pads", 4, 1, 1, 1, 1);
  mb_node(&b, "BatchNormalization", "bn1", "c|s0|s1|s2|s3", "y");
  mb_output(&b, "y");
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  cr_assert_eq(g.n_ops, 2);
  cr_expect(ir_op_is_depthwise(&g, &g.ops[0]) && g.ops[0].attrs.kernel_h == 1);
  cr_expect(g.ops[1].attrs.has_bias);
  cr_expect_eq(ir_graph_params(&g), (8 + 8) + (8 * 8 * 9 + 8));
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx, shared_initializer_through_identity) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 16, 8, 8}, 4);
  mb_weight(&b, "shared", (int64_t[]){16, 16, 1, 1}, 4, 0);
  mb_node(&b, "Identity", "id1", "shared", "w1");
  mb_node(&b, "Identity", "id2", "w1", "w2");
  mb_node(&b, "Conv", "a", "x|w1", "a");
  mb_node(&b, "Conv", "b", "a|w2", "b");
  mb_node(&b, "Conv", "c", "b|shared", "c");
  mb_output(&b, "c");
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  cr_expect_eq(count_kind(&g, IR_OP_CONV), 3);
  cr_expect_eq(ir_graph_macs(&g), 3 * 64 * 16 * 16);
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx, external_data_file_may_be_missing) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 32, 32}, 4);
  Onnx__TensorProto *w = mb_weight(&b, "w", (int64_t[]){16, 3, 3, 3}, 4, 0);
  w->has_data_location = 1;
  w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  Onnx__StringStringEntryProto *e = mb_alloc(&b, sizeof *e);
  onnx__string_string_entry_proto__init(e);
  e->key = "location";
  e->value = "weights_that_do_not_exist.bin";
  mb_push(&b, (void ***)&w->external_data, &w->n_external_data, e);
  mb_node(&b, "Conv", "conv", "x|w", "y");
  mb_output(&b, "y");
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  expect_shape(out_shape(&g), 1, 16, 30, 30);
  ir_graph_free(&g);
  mb_free(&b);
}

static void build_dynamic(mb_t *b) {
  mb_init(b, 13);
  mb_input(b, "images", (int64_t[]){MB_DYN, 3, MB_DYN, 224}, 4);
  mb_node(b, "Relu", "relu", "images", "y");
  mb_output(b, "y");
}

Test(onnx, dynamic_input_needs_input_shape) {
  mb_t b;
  build_dynamic(&b);
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: input 'images' has dynamic dims Nx3xNx224; give its shape with "
                   "--input-shape images=1x3x1x224");
  ir_onnx_options_t opts = {.input_shapes = "images=2x3x160x224"};
  ir_graph_t g;
  import_ok(&b, &opts, &g);
  expect_shape(out_shape(&g), 2, 3, 160, 224);
  ir_graph_free(&g);
  opts.input_shapes = "imgs=1x3x224x224";
  cr_expect_str_eq(import_error(&b, &opts, &d),
                   "m.onnx: --input-shape names 'imgs', which is not a graph input");
  opts.input_shapes = "images=1x3x224";
  cr_expect_str_eq(import_error(&b, &opts, &d),
                   "m.onnx: --input-shape for 'images' has 3 dims, the model's input has 4");
  opts.input_shapes = "images=1x3xax224";
  cr_expect_str_eq(import_error(&b, &opts, &d),
                   "m.onnx: --input-shape for 'images' is malformed: expected "
                   "images=1x3x224x224 (1 to 4 positive dims, entries separated by ';')");
  mb_free(&b);
}

Test(onnx, decomposed_erf_gelu_becomes_one_op) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 64}, 2);
  mb_floats(&b, "sqrt2", (float[]){1.4142135f}, 1, 0);
  mb_floats(&b, "one", (float[]){1.0f}, 1, 0);
  mb_floats(&b, "half", (float[]){0.5f}, 1, 0);
  mb_node(&b, "Div", "div", "x|sqrt2", "d");
  mb_node(&b, "Erf", "erf", "d", "e");
  mb_node(&b, "Add", "add", "e|one", "a");
  mb_node(&b, "Mul", "mul", "x|a", "m");
  mb_node(&b, "Mul", "mul2", "m|half", "y");
  mb_node(&b, "Gelu", "gelu", "y", "z");
  mb_output(&b, "z");
  ir_graph_t g;
  FILE *warnings = tmpfile();
  ir_onnx_options_t opts = {.warnings = warnings, .float_dtype = "fp16"};
  import_ok(&b, &opts, &g);
  cr_assert_eq(g.n_ops, 2);
  cr_expect_eq(g.ops[0].kind, IR_OP_GELU);
  cr_expect_eq(g.ops[1].kind, IR_OP_GELU);
  cr_expect_eq(ftell(warnings), 0, "no unknown ops: Div and Erf were absorbed");
  fclose(warnings);
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx, unknown_ops_become_generic_with_one_warning) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 8, 4, 4}, 4);
  mb_node(&b, "Exp", "e1", "x", "a");
  mb_node(&b, "Mish", "m", "a", "b");
  mb_node(&b, "Exp", "e2", "b", "y");
  mb_output(&b, "y");
  ir_graph_t g;
  char *text = NULL;
  size_t len = 0;
  FILE *warnings = open_memstream(&text, &len);
  ir_onnx_options_t opts = {.warnings = warnings, .float_dtype = "fp16"};
  import_ok(&b, &opts, &g);
  fclose(warnings);
  cr_expect_str_eq(text, "m.onnx: warning: 2 op types unknown to the IR became generic SHAVE "
                         "ops: Exp, Mish\n");
  cr_expect_eq(count_kind(&g, IR_OP_GENERIC), 3);
  cr_expect_str_eq(g.ops[1].generic_type, "Mish");
  free(text);
  ir_graph_free(&g);
  sched_diag_t d;
  opts = (ir_onnx_options_t){.strict = true};
  cr_expect_str_eq(import_error(&b, &opts, &d),
                   "m.onnx: node 'e1' (Exp): op type 'Exp' is not supported (--strict)");
  mb_free(&b);
}

Test(onnx, resize_modes_pad_fold_and_data_movement) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 16, 8, 8}, 4);
  mb_floats(&b, "scales", (float[]){1, 1, 2, 2}, 4, 1);
  Onnx__NodeProto *r = mb_node(&b, "Resize", "up", "x||scales", "u");
  mb_attr_str(&b, r, "mode", "linear");
  mb_attr_str(&b, r, "coordinate_transformation_mode", "align_corners");
  mb_ints(&b, "pads", (int64_t[]){0, 0, 1, 2, 0, 0, 1, 2}, 8);
  mb_node(&b, "Pad", "pad", "u|pads", "p");
  mb_weight(&b, "w", (int64_t[]){32, 16, 3, 5}, 4, 0);
  mb_node(&b, "Conv", "conv", "p|w", "c");
  mb_attr_int(&b, mb_node(&b, "DepthToSpace", "d2s", "c", "d"), "blocksize", 2);
  mb_attr_ints(&b, mb_node(&b, "Transpose", "t", "d", "t"), "perm", 4, 0, 2, 3, 1);
  mb_ints(&b, "shape", (int64_t[]){0, -1}, 2);
  mb_node(&b, "Reshape", "r", "t|shape", "r");
  mb_weight(&b, "fc", (int64_t[]){8192, 10}, 2, 0);
  mb_node(&b, "MatMul", "mm", "r|fc", "y");
  mb_output(&b, "y");
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  cr_assert_eq(g.n_ops, 6);
  cr_expect_eq(g.ops[0].attrs.upsample_mode, IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS);
  cr_expect_eq(g.ops[0].attrs.scale, 2);
  cr_expect(g.ops[1].attrs.pad_top == 1 && g.ops[1].attrs.pad_left == 2);
  expect_shape(g.tensors[g.ops[1].output].shape, 1, 32, 16, 16);
  expect_shape(g.tensors[g.ops[2].output].shape, 1, 8, 32, 32);
  expect_shape(g.tensors[g.ops[4].output].shape, 1, 8192, 1, 1);
  expect_shape(out_shape(&g), 1, 10, 1, 1);
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx, conv_attributes_auto_pad_dilation_ceil_mode) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 8, 16, 16}, 4);
  mb_weight(&b, "w", (int64_t[]){8, 8, 3, 3}, 4, 0);
  Onnx__NodeProto *c = mb_node(&b, "Conv", "same", "x|w", "a");
  mb_attr_str(&b, c, "auto_pad", "SAME_UPPER");
  mb_attr_ints(&b, c, "strides", 2, 2, 2);
  c = mb_node(&b, "Conv", "dil", "a|w", "b");
  mb_attr_ints(&b, c, "dilations", 2, 2, 2);
  mb_attr_ints(&b, c, "pads", 4, 2, 1, 2, 3);
  Onnx__NodeProto *p = mb_node(&b, "MaxPool", "pool", "b", "y");
  mb_attr_ints(&b, p, "kernel_shape", 2, 2, 2);
  mb_attr_ints(&b, p, "strides", 2, 2, 2);
  mb_attr_int(&b, p, "ceil_mode", 1);
  mb_output(&b, "y");
  ir_graph_t g;
  import_ok(&b, NULL, &g);
  expect_shape(g.tensors[g.ops[0].output].shape, 1, 8, 8, 8);
  cr_expect(g.ops[0].attrs.pad_top == 0 && g.ops[0].attrs.pad_bottom == 1,
            "SAME_UPPER: odd pad at the end");
  cr_expect(g.ops[1].attrs.pad_top == 2 && g.ops[1].attrs.pad_left == 1 &&
            g.ops[1].attrs.pad_bottom == 2 && g.ops[1].attrs.pad_right == 3);
  expect_shape(g.tensors[g.ops[1].output].shape, 1, 8, 8, 8);
  expect_shape(out_shape(&g), 1, 8, 4, 4);
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx, file_import_and_load_by_extension) {
  mb_t b;
  build_mobilenetv2(&b);
  size_t len;
  uint8_t *buf = mb_pack(&b, &len);
  char path[] = "/tmp/sched_onnx_XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, buf, len), (ssize_t)len);
  close(fd);
  free(buf);
  ir_graph_t g;
  sched_diag_t diag;
  cr_assert_eq(ir_onnx_import(path, NULL, &g, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect_eq(ir_graph_macs(&g), 300774272);
  ir_graph_free(&g);
  remove(path);
  mb_free(&b);
}

/* ---- bad input ---- */

Test(onnx, missing_and_empty_files) {
  ir_graph_t g;
  sched_diag_t d;
  cr_expect_eq(ir_onnx_import("/nonexistent/m.onnx", NULL, &g, &d), SCHED_ERR_INPUT);
  cr_expect_str_eq(d.msg, "/nonexistent/m.onnx: cannot open: No such file or directory");
  cr_expect_str_eq(bytes_error("", 0, &d), "m.onnx: file is empty");
}

Test(onnx, truncated_and_corrupt_protobuf) {
  mb_t b;
  build_mobilenetv2(&b);
  size_t len;
  uint8_t *buf = mb_pack(&b, &len);
  sched_diag_t d;
  char want[128];
  snprintf(want, sizeof want, "m.onnx: not a valid ONNX protobuf: truncated or corrupt (%zu bytes)",
           len / 2);
  cr_expect_str_eq(bytes_error(buf, len / 2, &d), want);
  memset(buf + 10, 0xff, 16);
  snprintf(want, sizeof want, "m.onnx: not a valid ONNX protobuf: truncated or corrupt (%zu bytes)",
           len);
  cr_expect_str_eq(bytes_error(buf, len, &d), want);
  free(buf);
  mb_free(&b);
}

Test(onnx, wrong_magic_names_what_the_file_is) {
  sched_diag_t d;
  cr_expect_str_eq(bytes_error("PK\x03\x04\x14\x00\x00\x00", 8, &d),
                   "m.onnx: not an ONNX model: this is a zip archive (a PyTorch checkpoint?)");
  cr_expect_str_eq(bytes_error("{\"ops\": []}", 11, &d),
                   "m.onnx: not an ONNX model: this is a JSON file (use a .json name for JSON IR)");
  /* valid protobuf, but an empty message: no graph */
  cr_expect_str_eq(bytes_error("\x08\x07", 2, &d),
                   "m.onnx: not an ONNX model: no graph (is this an ONNX file?)");
}

/* Prepends a length-delimited field (tag, then the length of everything
 * after it) to the bytes at buf[*pos..end). */
static void wrap(uint8_t *buf, size_t *pos, size_t end, uint8_t tag) {
  uint8_t v[10];
  size_t h = 0;
  for (size_t len = end - *pos;; len >>= 7) {
    v[h++] = (uint8_t)((len & 0x7f) | (len >= 0x80 ? 0x80 : 0));
    if (len < 0x80)
      break;
  }
  *pos -= h;
  memcpy(buf + *pos, v, h);
  buf[--*pos] = tag;
}

Test(onnx, deep_nesting_is_refused_not_a_stack_overflow) {
  /* ModelProto.graph -> GraphProto.node -> NodeProto.attribute ->
   * AttributeProto.g -> GraphProto.node -> ..., 30000 levels deep, built
   * from the inside out. */
  enum { LEVELS = 30000 };
  size_t cap = (size_t)LEVELS * 8, end = cap, pos = cap;
  uint8_t *buf = malloc(cap);
  static const uint8_t outer_to_inner[3] = {0x0a /* graph.node */, 0x2a /* node.attribute */,
                                            0x32 /* attribute.g */};
  for (int depth = LEVELS - 1; depth >= 0; depth--)
    wrap(buf, &pos, end, outer_to_inner[depth % 3]);
  wrap(buf, &pos, end, 0x3a); /* model.graph */
  sched_diag_t d;
  cr_expect_str_eq(bytes_error(buf + pos, end - pos, &d),
                   "m.onnx: messages nested too deeply (more than 256 KiB of decoder stack)");
  free(buf);
}

Test(onnx, cycle_names_a_node_on_it) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 8, 4, 4}, 4);
  mb_node(&b, "Add", "a", "x|c", "a");
  mb_node(&b, "Relu", "b", "a", "b");
  mb_node(&b, "Relu", "c", "b", "c");
  mb_output(&b, "c");
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d), "m.onnx: node 'a' (Add): is on a cycle");
  mb_free(&b);
}

Test(onnx, tensor_with_no_producer) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 8, 4, 4}, 4);
  mb_node(&b, "Add", "a", "x|ghost", "y");
  mb_output(&b, "y");
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: node 'a' (Add): input 'ghost' has no producer");
  mb_free(&b);
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 8, 4, 4}, 4);
  mb_node(&b, "Relu", "a", "x", "y");
  mb_output(&b, "z");
  cr_expect_str_eq(import_error(&b, NULL, &d), "m.onnx: output 'z' has no producer");
  mb_free(&b);
}

static const char *input_dims_error(const int64_t *dims, sched_diag_t *d) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", dims, 4);
  mb_node(&b, "Relu", "a", "x", "y");
  mb_output(&b, "y");
  import_error(&b, NULL, d);
  mb_free(&b);
  return d->msg;
}

Test(onnx, zero_negative_and_overflowing_dims) {
  sched_diag_t d;
  cr_expect_str_eq(input_dims_error((int64_t[]){1, 0, 8, 8}, &d),
                   "m.onnx: input 'x': dim 1 is 0, must be positive");
  cr_expect_str_eq(input_dims_error((int64_t[]){1, 3, -8, 8}, &d),
                   "m.onnx: input 'x': dim 2 is -8, must be positive");
  cr_expect_str_eq(input_dims_error((int64_t[]){1, 3, 1LL << 40, 8}, &d),
                   "m.onnx: input 'x': dim 2 is 1099511627776, at most 2^31");
  cr_expect_str_eq(input_dims_error((int64_t[]){1 << 20, 1 << 20, 1 << 20, 8}, &d),
                   "m.onnx: input 'x': shape 1048576x1048576x1048576x8 is too large (at most "
                   "2^31 per dim, 2^40 elements)");
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 8, 8}, 4);
  mb_weight(&b, "w", (int64_t[]){16, 3, -3, 3}, 4, 0);
  mb_node(&b, "Conv", "conv", "x|w", "y");
  mb_output(&b, "y");
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: initializer 'w': dim 2 is -3 (must be 0..2^31, at most 2^40 "
                   "elements)");
  mb_free(&b);
}

Test(onnx, kernel_larger_than_input) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 8, 8}, 4);
  mb_weight(&b, "w", (int64_t[]){16, 3, 11, 11}, 4, 0);
  mb_node(&b, "Conv", "conv", "x|w", "y");
  mb_output(&b, "y");
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: op 'conv': kernel 11x11 larger than padded input 8x8");
  mb_free(&b);
}

Test(onnx, channel_mismatches) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 8, 8}, 4);
  mb_weight(&b, "w", (int64_t[]){16, 4, 3, 3}, 4, 0);
  mb_node(&b, "Conv", "conv", "x|w", "y");
  mb_output(&b, "y");
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: node 'conv' (Conv): weight 'w' expects 4 input channels (4 per "
                   "group x 1 groups), input 'x' has 3");
  mb_free(&b);
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 8, 8}, 4);
  mb_input(&b, "z", (int64_t[]){1, 4, 8, 8}, 4);
  mb_node(&b, "Add", "add", "x|z", "y");
  mb_output(&b, "y");
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: node 'add' (Add): input shapes 1x3x8x8 and 1x4x8x8 do not broadcast");
  mb_free(&b);
}

Test(onnx, unknown_and_unsupported_dtypes) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 8, 8}, 4);
  b.graph.input[0]->type->tensor_type->elem_type = 99;
  mb_node(&b, "Relu", "a", "x", "y");
  mb_output(&b, "y");
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d), "m.onnx: input 'x': unknown element type 99");
  b.graph.input[0]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: input 'x': element type BOOL is not supported (float, float16, "
                   "bfloat16, double, uint8, int8, int32 and int64 ids)");
  mb_free(&b);
}

Test(onnx, pad_that_cannot_fold_is_an_error) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 3, 8, 8}, 4);
  mb_ints(&b, "pads", (int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, 8);
  mb_node(&b, "Pad", "pad", "x|pads", "p");
  mb_node(&b, "Relu", "relu", "p", "y");
  mb_output(&b, "y");
  sched_diag_t d;
  cr_expect_str_eq(import_error(&b, NULL, &d),
                   "m.onnx: node 'pad' (Pad): cannot fold into 'relu' (Relu): only Pad before "
                   "Conv, MaxPool, AveragePool is supported");
  mb_free(&b);
}

/* A float model is planned as the user says; left implicit, fp16 with one
 * warning line; anything but u8 or fp16 is an error. */
Test(onnx, float_models_take_the_dtype_the_user_gives) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, 16, 8, 8}, 4);
  mb_weight(&b, "w", (int64_t[]){16, 16, 3, 3}, 4, 0);
  Onnx__NodeProto *c = mb_node(&b, "Conv", "conv", "x|w", "y");
  mb_attr_ints(&b, c, "pads", 4, 1, 1, 1, 1);
  mb_output(&b, "y");
  char *text = NULL;
  size_t len = 0;
  FILE *warnings = open_memstream(&text, &len);
  ir_graph_t g;
  import_ok(&b, &(ir_onnx_options_t){.warnings = warnings}, &g);
  fflush(warnings);
  cr_expect_eq(g.tensors[g.inputs[0]].dtype, IR_DTYPE_FP16);
  cr_expect_str_eq(text, "m.onnx: warning: float model planned as fp16 (--dtype u8|fp16 to "
                         "choose)\n");
  ir_graph_free(&g);
  rewind(warnings);
  import_ok(&b, &(ir_onnx_options_t){.warnings = warnings, .float_dtype = "u8"}, &g);
  fflush(warnings);
  cr_expect_eq(g.tensors[g.inputs[0]].dtype, IR_DTYPE_U8);
  cr_expect_eq(g.tensors[g.ops[0].output].dtype, IR_DTYPE_U8);
  cr_expect_eq(ftell(warnings), 0, "no warning when the user chose");
  ir_graph_free(&g);
  fclose(warnings);
  free(text);
  sched_diag_t d = {{0}};
  cr_expect_str_eq(import_error(&b, &(ir_onnx_options_t){.float_dtype = "i8"}, &d),
                   "m.onnx: --dtype: float inputs can be planned as u8 or fp16, not 'i8'");
  mb_free(&b);
}
