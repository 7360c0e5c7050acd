/* test_zoo.c - the built-in networks: MAC and parameter totals against the
 * published figures and hand-worked counts, output shapes, fusion on real
 * nets, and the spec parser's errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "shape_assert.h"

static ir_graph_t build(const char *spec) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  int rc = ir_zoo_build(spec, &g, &d);
  cr_assert_eq(rc, SCHED_OK, "%s: %s", spec, d.msg);
  cr_assert_eq(ir_graph_verify(&g, &d), SCHED_OK, "%s: %s", spec, d.msg);
  return g;
}

/* |got - want| <= 0.5% of want */
static void assert_near(int64_t got, double want, const char *what) {
  double rel = ((double)got - want) / want;
  cr_assert(rel >= -0.005 && rel <= 0.005, "%s: %lld is %.2f%% from %.0f", what, (long long)got,
            100.0 * rel, want);
}

static ir_shape_t output_shape(const ir_graph_t *g, int i) {
  return g->tensors[g->outputs[i]].shape;
}

/* ---- published totals (torchvision, darknet) ---- */

Test(zoo, mobilenetv2_has_300_8M_macs_and_3_50M_params) {
  ir_graph_t g = build("mobilenetv2");
  assert_near(ir_graph_macs(&g), 300.8e6, "mobilenetv2 MACs");
  assert_near(ir_graph_params(&g), 3.50e6, "mobilenetv2 params");
  cr_assert_eq(ir_graph_macs(&g), 300774272);
  cr_assert_eq(ir_graph_params(&g), 3487816);
  assert_shape(output_shape(&g, 0), 1, 1000, 1, 1);
  cr_assert_eq(g.tensors[g.inputs[0]].dtype, IR_DTYPE_U8);
  ir_graph_free(&g);
}

Test(zoo, resnet50_has_4_09G_macs_and_25_56M_params) {
  ir_graph_t g = build("resnet50");
  assert_near(ir_graph_macs(&g), 4.09e9, "resnet50 MACs");
  assert_near(ir_graph_params(&g), 25.56e6, "resnet50 params");
  cr_assert_eq(ir_graph_macs(&g), 4089184256);
  cr_assert_eq(ir_graph_params(&g), 25530472);
  ir_graph_free(&g);
}

Test(zoo, resnet18_has_1_82G_macs_and_11_69M_params) {
  ir_graph_t g = build("resnet18");
  assert_near(ir_graph_macs(&g), 1.82e9, "resnet18 MACs");
  assert_near(ir_graph_params(&g), 11.69e6, "resnet18 params");
  cr_assert_eq(ir_graph_macs(&g), 1814073344);
  cr_assert_eq(ir_graph_params(&g), 11684712);
  ir_graph_free(&g);
}

Test(zoo, resnet34_and_resnet101_match_torchvision) {
  ir_graph_t g = build("resnet34");
  assert_near(ir_graph_macs(&g), 3.66e9, "resnet34 MACs");
  assert_near(ir_graph_params(&g), 21.80e6, "resnet34 params");
  ir_graph_free(&g);
  g = build("resnet101");
  assert_near(ir_graph_macs(&g), 7.80e9, "resnet101 MACs");
  assert_near(ir_graph_params(&g), 44.55e6, "resnet101 params");
  ir_graph_free(&g);
}

Test(zoo, yolov3_tiny_has_two_heads_and_darknets_5_56_bflops) {
  ir_graph_t g = build("yolov3-tiny");
  cr_assert_eq(g.n_outputs, 2);
  assert_shape(output_shape(&g, 0), 1, 255, 13, 13);
  assert_shape(output_shape(&g, 1), 1, 255, 26, 26);
  /* darknet prints 2 FLOPs per MAC */
  assert_near(ir_graph_macs(&g), 5.56e9 / 2, "yolov3-tiny MACs");
  cr_assert_eq(ir_graph_macs(&g), 2782480896);
  cr_assert_eq(ir_graph_params(&g), 8849182);
  ir_graph_free(&g);
}

/* ---- hand-worked super-resolution counts ---- */

Test(zoo, fsrcnn_default_counts_worked_by_hand) {
  /* MACs per input pixel: 25*56 + 56*12 + 4*9*12*12 + 12*56 + 56*81 = 12464
   * (the paper's figure) over 360*640 pixels. Params: conv 25*56+56, PReLU
   * 56, shrink 56*12+12, PReLU 12, map 4*(9*144+12), PReLU 4*12, expand
   * 12*56+56, PReLU 56, deconv 56*81+1 = 12809. */
  ir_graph_t g = build("fsrcnn");
  cr_assert_eq(ir_graph_macs(&g), 12464LL * 360 * 640);
  cr_assert_eq(ir_graph_params(&g), 12809);
  assert_shape(g.tensors[g.inputs[0]].shape, 1, 1, 360, 640);
  assert_shape(output_shape(&g, 0), 1, 1, 720, 1280);
  cr_assert_eq(g.n_ops, 15);
  ir_graph_free(&g);
}

Test(zoo, fsrcnn_small_variant_at_540p_works) {
  /* per pixel 25*32 + 32*5 + 9*25 + 5*32 + 32*81 = 3937 MACs */
  ir_graph_t g = build("fsrcnn:d=32,s=5,m=1,h=540,w=960");
  cr_assert_eq(ir_graph_macs(&g), 3937LL * 540 * 960);
  cr_assert_eq(ir_graph_params(&g), 832 + 32 + 165 + 5 + 230 + 5 + 192 + 32 + 2593);
  assert_shape(output_shape(&g, 0), 1, 1, 1080, 1920);
  ir_graph_free(&g);
}

Test(zoo, fsrcnn_scale_3_triples_the_output) {
  ir_graph_t g = build("fsrcnn:scale=3,h=100,w=200");
  assert_shape(output_shape(&g, 0), 1, 1, 300, 600);
  ir_graph_free(&g);
}

Test(zoo, edsr_baseline_x2_has_1_37M_params) {
  /* head 3*64*9+64, 33 body convs of 64*64*9+64, upsampler 64*256*9+256,
   * tail 64*3*9+3. MACs per LR pixel: 1728 + 33*36864 + 147456 + 4*1728. */
  ir_graph_t g = build("edsr");
  cr_assert_eq(ir_graph_params(&g), 1792 + 33 * 36928 + 147712 + 1731);
  cr_assert_eq(ir_graph_macs(&g), 1372608LL * 360 * 640);
  assert_shape(output_shape(&g, 0), 1, 3, 720, 1280);
  ir_graph_free(&g);
}

Test(zoo, edsr_prelu_adds_one_slope_per_channel_per_block) {
  ir_graph_t relu = build("edsr:blocks=4,h=32,w=32");
  ir_graph_t prelu = build("edsr:blocks=4,h=32,w=32,act=prelu");
  cr_assert_eq(ir_graph_params(&prelu) - ir_graph_params(&relu), 4 * 64);
  cr_assert_eq(ir_graph_macs(&prelu), ir_graph_macs(&relu));
  ir_graph_free(&relu);
  ir_graph_free(&prelu);
}

Test(zoo, edsr_x4_uses_two_shuffle_stages) {
  ir_graph_t g = build("edsr:scale=4,h=16,w=24");
  assert_shape(output_shape(&g, 0), 1, 3, 64, 96);
  int shuffles = 0;
  for (int i = 0; i < g.n_ops; i++)
    shuffles += g.ops[i].kind == IR_OP_DEPTH_TO_SPACE;
  cr_assert_eq(shuffles, 2);
  ir_graph_free(&g);
}

Test(zoo, wdsr_a_counts_worked_by_hand) {
  /* head 3*32*9+32; 16 blocks of (32*128*9+128) + (128*32*9+32); tail
   * 32*12*9+12; skip 3*12*25+12 */
  ir_graph_t g = build("wdsr");
  cr_assert_eq(ir_graph_params(&g), 896 + 16 * (36992 + 36896) + 3468 + 912);
  assert_shape(output_shape(&g, 0), 1, 3, 720, 1280);
  ir_graph_free(&g);
}

/* ---- single layers ---- */

Test(zoo, single_layer_nets_have_their_textbook_counts) {
  ir_graph_t g = build("conv:c=64,k=64,h=56,w=56,kh=3,stride=1");
  cr_assert_eq(ir_graph_macs(&g), 56LL * 56 * 64 * 64 * 9);
  cr_assert_eq(ir_graph_params(&g), 64 * 64 * 9 + 64);
  assert_shape(output_shape(&g, 0), 1, 64, 56, 56);
  ir_graph_free(&g);
  g = build("dwconv:c=32,h=112,w=112,stride=2");
  cr_assert_eq(ir_graph_macs(&g), 56LL * 56 * 32 * 9);
  cr_assert(ir_op_is_depthwise(&g, &g.ops[0]));
  ir_graph_free(&g);
  g = build("pool:type=avg,c=16,h=8,w=8");
  cr_assert_eq(g.ops[0].kind, IR_OP_AVGPOOL);
  assert_shape(output_shape(&g, 0), 1, 16, 4, 4);
  ir_graph_free(&g);
  g = build("eltwise:type=mul,c=8,h=4,w=4,dtype=fp16");
  cr_assert_eq(g.ops[0].kind, IR_OP_MUL);
  cr_assert_eq(g.n_inputs, 2);
  cr_assert_eq(g.tensors[g.ops[0].output].dtype, IR_DTYPE_FP16);
  ir_graph_free(&g);
}

Test(zoo, conv_derived_defaults_follow_kh) {
  ir_graph_t g = build("conv:kh=5,h=20,w=20");
  const ir_attrs_t *a = &g.ops[0].attrs;
  cr_assert(a->kernel_w == 5 && a->pad_top == 2 && a->pad_left == 2);
  assert_shape(output_shape(&g, 0), 1, 64, 20, 20);
  ir_graph_free(&g);
  g = build("conv:kh=1,kw=3,pad=0,h=20,w=20");
  assert_shape(output_shape(&g, 0), 1, 64, 20, 18);
  ir_graph_free(&g);
}

/* ---- every net, fusion ---- */

Test(zoo, every_listed_net_builds_and_verifies_with_defaults) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  ir_zoo_list(out);
  fclose(out);
  int nets = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char name[64];
    cr_assert_eq(sscanf(line, "%63s", name), 1);
    cr_assert(strstr(line, " -- "), "line without summary: %s", line);
    ir_graph_t g = build(name);
    cr_assert_gt(g.n_ops, 0);
    ir_graph_free(&g);
    nets++;
  }
  free(text);
  cr_assert_eq(nets, 16);
}

Test(zoo, fusing_ppe_activations_keeps_counts_and_verifies) {
  uint64_t ppe = (UINT64_C(1) << IR_OP_RELU) | (UINT64_C(1) << IR_OP_CLAMP) |
                 (UINT64_C(1) << IR_OP_LEAKY_RELU);
  const struct {
    const char *net;
    int fused;
  } cases[] = {{"mobilenetv2", 35}, {"resnet50", 49}, {"yolov3-tiny", 11}, {"fsrcnn", 0}};
  for (int i = 0; i < 4; i++) {
    ir_graph_t g = build(cases[i].net);
    int64_t macs = ir_graph_macs(&g), params = ir_graph_params(&g);
    int ops = g.n_ops;
    cr_assert_eq(ir_graph_fuse_activations(&g, ppe), cases[i].fused, "%s", cases[i].net);
    cr_assert_eq(g.n_ops, ops - cases[i].fused);
    cr_assert_eq(ir_graph_macs(&g), macs);
    cr_assert_eq(ir_graph_params(&g), params);
    sched_diag_t d = {{0}};
    cr_assert_eq(ir_graph_verify(&g, &d), SCHED_OK, "%s: %s", cases[i].net, d.msg);
    ir_graph_free(&g);
  }
}

Test(zoo, copy_of_a_zoo_net_outlives_the_original) {
  ir_graph_t g = build("resnet18"), copy;
  ir_graph_copy(&g, &copy);
  int64_t macs = ir_graph_macs(&g);
  ir_graph_free(&g);
  cr_assert_eq(ir_graph_macs(&copy), macs);
  cr_assert_eq(ir_graph_verify(&copy, NULL), SCHED_OK);
  ir_graph_free(&copy);
}

Test(zoo, load_builds_zoo_specs) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_load("fsrcnn:m=2", NULL, &g, &d), SCHED_OK, "%s", d.msg);
  cr_assert_str_eq(g.name, "fsrcnn:m=2");
  ir_graph_free(&g);
}

/* ---- errors ---- */

static void assert_error(const char *spec, const char *want) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_zoo_build(spec, &g, &d), SCHED_ERR_INPUT, "%s built", spec);
  cr_assert_str_eq(d.msg, want);
  cr_assert_eq(g.n_ops, 0, "a failed build leaves an empty graph");
  ir_graph_free(&g);
}

Test(zoo, unknown_net_suggests_the_closest_name) {
  assert_error("fsrcn", "unknown net 'fsrcn' (did you mean 'fsrcnn'?)");
  assert_error("mobilnetv2:h=224", "unknown net 'mobilnetv2' (did you mean 'mobilenetv2'?)");
  assert_error("yolo", "unknown net 'yolo' (did you mean 'yolov3-tiny'?)");
  cr_assert_str_eq(ir_zoo_suggest("ResNet50"), "resnet50");
  cr_assert_null(ir_zoo_suggest("transformer"));
  assert_error(
      "xyz",
      "unknown net 'xyz'; nets: fsrcnn, edsr, wdsr, mobilenetv2, resnet18, "
      "resnet34, resnet50, resnet101, yolov3-tiny, vit, bert, llm, conv, dwconv, pool, eltwise");
}

Test(zoo, unknown_key_names_key_and_value_and_lists_keys) {
  assert_error("fsrcnn:d=56,q=3",
               "zoo net 'fsrcnn': unknown key 'q' (in 'q=3'); keys: d, s, m, scale, h, w, dtype");
  assert_error("edsr:blocks",
               "zoo net 'edsr': parameter 'blocks' needs a value (key=value); keys: blocks, "
               "feats, scale, h, w, act, dtype");
}

Test(zoo, bad_values_are_one_clear_error) {
  assert_error("conv:h=0", "zoo net 'conv': bad value '0' for key 'h' (expected an integer in "
                           "1..16384); keys: c, k, h, w, kh, kw, stride, pad, groups, dilation, "
                           "dtype");
  assert_error("conv:h=1000000000",
               "zoo net 'conv': bad value '1000000000' for key 'h' (expected an integer in "
               "1..16384); keys: c, k, h, w, kh, kw, stride, pad, groups, dilation, dtype");
  assert_error("fsrcnn:d=5x", "zoo net 'fsrcnn': bad value '5x' for key 'd' (expected an integer "
                              "in 1..16384); keys: d, s, m, scale, h, w, dtype");
  assert_error("edsr:act=gelu", "zoo net 'edsr': bad value 'gelu' for key 'act' (expected one of "
                                "relu|prelu); keys: blocks, feats, scale, h, w, act, dtype");
  assert_error("mobilenetv2:dtype=fp32",
               "zoo net 'mobilenetv2': bad value 'fp32' for key 'dtype' (expected one of "
               "u8|i8|fp16); keys: h, w, classes, dtype");
}

Test(zoo, impossible_shapes_name_the_op) {
  assert_error("conv:kh=7,h=5,w=5,pad=0",
               "zoo net 'conv': op 'conv': kernel 7x7 larger than padded input 5x5");
  assert_error("conv:c=30,groups=4",
               "zoo net 'conv': op 'conv': input channels 30 not divisible by groups 4");
  assert_error("yolov3-tiny:h=400",
               "zoo net 'yolov3-tiny': h=400, w=416: both must be multiples of 32");
}

Test(zoo, dtype_parameter_sets_the_input_dtype) {
  ir_graph_t g = build("resnet18:dtype=fp16");
  cr_assert_eq(g.tensors[g.inputs[0]].dtype, IR_DTYPE_FP16);
  int64_t bytes = 0;
  for (int i = 0; i < g.n_ops; i++)
    bytes += ir_op_weight_bytes(&g, i);
  cr_assert_eq(bytes, 2 * ir_graph_params(&g));
  ir_graph_free(&g);
}
