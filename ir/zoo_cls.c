/* zoo_cls.c - ImageNet classifiers as torchvision defines them: MobileNetV2
 * (Sandler et al. 2018) and ResNet-18/34/50/101 (He et al. 2016; the 50/101
 * are v1.5, stride in the 3x3 conv).
 *
 * BatchNorm is folded into the conv before it: the scale into the weights,
 * the shift into a bias, which every conv here therefore has. torchvision's
 * published parameter totals count BN's weight and bias (two per channel)
 * and its convs have no bias; folding leaves one per channel. So our totals
 * are below torchvision's by one parameter per BN channel: resnet50
 * 25,530,472 vs 25,557,032 (-0.10%), resnet18 11,684,712 vs 11,689,512
 * (-0.04%), mobilenetv2 3,487,816 vs 3,504,872 (-0.35% of the quoted
 * 3.50 M). That is what a deployed, folded model holds, and MACs are
 * unaffected. */
#include "ir/zoo_internal.h"

static int image_input(const zoo_args_t *a, ir_graph_t *g) {
  ir_shape_t s = {1, 3, zoo_int(a, "h"), zoo_int(a, "w")};
  return ir_graph_add_input(g, "input", s, zoo_dtype(a));
}

/* Global average pool and the fully connected classifier. */
static void classifier_head(const zoo_args_t *a, ir_graph_t *g, int x, const char *fc_name) {
  x = zoo_unary(g, IR_OP_GLOBAL_AVGPOOL, x, "avgpool");
  ir_attrs_t fc = {.out_channels = (int32_t)zoo_int(a, "classes"), .has_bias = true};
  ir_graph_mark_output(g, zoo_op(g, IR_OP_FULLY_CONNECTED, &fc, &x, 1, "%s", fc_name));
}

/* ---- MobileNetV2 ---- */

typedef struct {
  int expand, channels, repeats, stride; /* t, c, n, s of the paper's table 2 */
} mbv2_stage_t;

/* Inverted residual: 1x1 expand + ReLU6 (skipped when t = 1), 3x3
 * depthwise + ReLU6, 1x1 linear projection, residual add when shapes
 * allow. */
static int inverted_residual(ir_graph_t *g, int x, int in_c, mbv2_stage_t st, int stride, int idx) {
  int hidden = in_c * st.expand, y = x;
  if (st.expand != 1) {
    y = zoo_conv(g, y, zoo_conv_attrs(hidden, 1, 1, 1), "features.%d.expand", idx);
    y = zoo_relu6(g, y, "features.%d.expand.relu6", idx);
  }
  y = zoo_conv(g, y, zoo_conv_attrs(hidden, 3, stride, hidden), "features.%d.dw", idx);
  y = zoo_relu6(g, y, "features.%d.dw.relu6", idx);
  y = zoo_conv(g, y, zoo_conv_attrs(st.channels, 1, 1, 1), "features.%d.project", idx);
  if (stride == 1 && in_c == st.channels)
    y = zoo_add(g, x, y, "features.%d.add", idx);
  return y;
}

int zoo_build_mobilenetv2(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  static const mbv2_stage_t stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                        {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int x = zoo_conv(g, image_input(a, g), zoo_conv_attrs(32, 3, 2, 1), "features.0.conv");
  x = zoo_relu6(g, x, "features.0.relu6");
  int in_c = 32, idx = 1;
  for (int s = 0; s < SCHED_ARRAY_LEN(stages); s++) {
    for (int r = 0; r < stages[s].repeats; r++, idx++) {
      x = inverted_residual(g, x, in_c, stages[s], r == 0 ? stages[s].stride : 1, idx);
      in_c = stages[s].channels;
    }
  }
  x = zoo_conv(g, x, zoo_conv_attrs(1280, 1, 1, 1), "features.%d.conv", idx);
  x = zoo_relu6(g, x, "features.%d.relu6", idx);
  classifier_head(a, g, x, "classifier");
  return SCHED_OK;
}

/* ---- ResNet ---- */

typedef struct {
  int blocks[4];   /* per layer */
  bool bottleneck; /* 1x1-3x3-1x1 with expansion 4, else 3x3-3x3 */
} resnet_cfg_t;

/* The shortcut: identity, or a strided 1x1 conv when the shape changes. */
static int shortcut(ir_graph_t *g, int x, int in_c, int out_c, int stride, int l, int b) {
  if (stride == 1 && in_c == out_c)
    return x;
  return zoo_conv(g, x, zoo_conv_attrs(out_c, 1, stride, 1), "layer%d.%d.downsample", l, b);
}

static int basic_block(ir_graph_t *g, int x, int in_c, int width, int stride, int l, int b) {
  int y = zoo_conv(g, x, zoo_conv_attrs(width, 3, stride, 1), "layer%d.%d.conv1", l, b);
  y = zoo_unary(g, IR_OP_RELU, y, "layer%d.%d.relu1", l, b);
  y = zoo_conv(g, y, zoo_conv_attrs(width, 3, 1, 1), "layer%d.%d.conv2", l, b);
  y = zoo_add(g, shortcut(g, x, in_c, width, stride, l, b), y, "layer%d.%d.add", l, b);
  return zoo_unary(g, IR_OP_RELU, y, "layer%d.%d.relu", l, b);
}

static int bottleneck_block(ir_graph_t *g, int x, int in_c, int width, int stride, int l, int b) {
  int y = zoo_conv(g, x, zoo_conv_attrs(width, 1, 1, 1), "layer%d.%d.conv1", l, b);
  y = zoo_unary(g, IR_OP_RELU, y, "layer%d.%d.relu1", l, b);
  y = zoo_conv(g, y, zoo_conv_attrs(width, 3, stride, 1), "layer%d.%d.conv2", l, b);
  y = zoo_unary(g, IR_OP_RELU, y, "layer%d.%d.relu2", l, b);
  y = zoo_conv(g, y, zoo_conv_attrs(width * 4, 1, 1, 1), "layer%d.%d.conv3", l, b);
  y = zoo_add(g, shortcut(g, x, in_c, width * 4, stride, l, b), y, "layer%d.%d.add", l, b);
  return zoo_unary(g, IR_OP_RELU, y, "layer%d.%d.relu", l, b);
}

static int build_resnet(const zoo_args_t *a, ir_graph_t *g, resnet_cfg_t cfg) {
  ir_attrs_t stem = zoo_conv_attrs(64, 7, 2, 1);
  int x = zoo_conv(g, image_input(a, g), stem, "conv1");
  x = zoo_unary(g, IR_OP_RELU, x, "relu");
  ir_attrs_t pool = zoo_window_attrs(3, 2, 1);
  x = zoo_op(g, IR_OP_MAXPOOL, &pool, &x, 1, "maxpool");
  int in_c = 64;
  for (int l = 1; l <= 4; l++) {
    int width = 64 << (l - 1);
    for (int b = 0; b < cfg.blocks[l - 1]; b++) {
      int stride = b == 0 && l > 1 ? 2 : 1;
      x = cfg.bottleneck ? bottleneck_block(g, x, in_c, width, stride, l, b)
                         : basic_block(g, x, in_c, width, stride, l, b);
      in_c = cfg.bottleneck ? width * 4 : width;
    }
  }
  classifier_head(a, g, x, "fc");
  return SCHED_OK;
}

int zoo_build_resnet18(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  return build_resnet(a, g, (resnet_cfg_t){{2, 2, 2, 2}, false});
}

int zoo_build_resnet34(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  return build_resnet(a, g, (resnet_cfg_t){{3, 4, 6, 3}, false});
}

int zoo_build_resnet50(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  return build_resnet(a, g, (resnet_cfg_t){{3, 4, 6, 3}, true});
}

int zoo_build_resnet101(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  return build_resnet(a, g, (resnet_cfg_t){{3, 4, 23, 3}, true});
}
