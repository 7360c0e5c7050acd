/* zoo_sr.c - super-resolution nets: FSRCNN, EDSR baseline, WDSR-A.
 *
 * Sources: Dong, Loy, Tang, "Accelerating the Super-Resolution Convolutional
 * Neural Network" (ECCV 2016); Lim et al., "Enhanced Deep Residual Networks"
 * (CVPRW 2017, the sanghyun-son/EDSR-PyTorch baseline); Yu et al., "Wide
 * Activation for Efficient and Accurate Image Super-Resolution" (2018,
 * JiahuiYu/wdsr_ntire2018 wdsr_a.py). The mean-shift layers of EDSR/WDSR are
 * constant 1x1 convs folded into the first and last conv, so they are not
 * ops here. */
#include "ir/zoo_internal.h"

static int sr_input(const zoo_args_t *a, ir_graph_t *g, int64_t channels) {
  ir_shape_t s = {1, channels, zoo_int(a, "h"), zoo_int(a, "w")};
  return ir_graph_add_input(g, "input", s, zoo_dtype(a));
}

/* FSRCNN: feature extraction 5x5 (d), shrinking 1x1 (s), m mappings 3x3 (s),
 * expanding 1x1 (d), each followed by a per-channel PReLU, then a 9x9
 * deconvolution with stride = scale to one channel (Y of YCbCr). Padding
 * 4 and output padding scale-1 make the output exactly scale times the
 * input. */
int zoo_build_fsrcnn(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  int d = (int)zoo_int(a, "d"), s = (int)zoo_int(a, "s"), scale = (int)zoo_int(a, "scale");
  int x = sr_input(a, g, 1);
  x = zoo_conv(g, x, zoo_conv_attrs(d, 5, 1, 1), "feature");
  x = zoo_unary(g, IR_OP_PRELU, x, "feature.prelu");
  x = zoo_conv(g, x, zoo_conv_attrs(s, 1, 1, 1), "shrink");
  x = zoo_unary(g, IR_OP_PRELU, x, "shrink.prelu");
  for (int i = 0; i < zoo_int(a, "m"); i++) {
    x = zoo_conv(g, x, zoo_conv_attrs(s, 3, 1, 1), "map%d", i + 1);
    x = zoo_unary(g, IR_OP_PRELU, x, "map%d.prelu", i + 1);
  }
  x = zoo_conv(g, x, zoo_conv_attrs(d, 1, 1, 1), "expand");
  x = zoo_unary(g, IR_OP_PRELU, x, "expand.prelu");
  ir_attrs_t deconv = zoo_conv_attrs(1, 9, scale, 1);
  deconv.output_pad_h = deconv.output_pad_w = scale - 1;
  x = zoo_op(g, IR_OP_TRANSPOSE_CONV, &deconv, &x, 1, "deconv");
  ir_graph_mark_output(g, x);
  return SCHED_OK;
}

/* Pixel-shuffle upsampler: log2(scale) stages of conv to 4*feats + x2
 * shuffle for 2 and 4; one conv to 9*feats + x3 shuffle for 3. */
static int pixel_shuffle_up(ir_graph_t *g, int x, int feats, int scale) {
  int step = scale == 3 ? 3 : 2;
  for (int i = 0, done = 1; done < scale; i++, done *= step) {
    x = zoo_conv(g, x, zoo_conv_attrs(feats * step * step, 3, 1, 1), "upsample.%d.conv", i);
    ir_attrs_t shuffle = {.scale = step};
    x = zoo_op(g, IR_OP_DEPTH_TO_SPACE, &shuffle, &x, 1, "upsample.%d.shuffle", i);
  }
  return x;
}

/* One EDSR residual block: conv, act, conv, add (res_scale 1). */
static int edsr_block(ir_graph_t *g, int x, int feats, ir_op_kind_t act, int b) {
  int y = zoo_conv(g, x, zoo_conv_attrs(feats, 3, 1, 1), "body.%d.conv1", b);
  y = zoo_unary(g, act, y, "body.%d.act", b);
  y = zoo_conv(g, y, zoo_conv_attrs(feats, 3, 1, 1), "body.%d.conv2", b);
  return zoo_add(g, x, y, "body.%d.add", b);
}

/* EDSR: head conv, residual body with a global skip, pixel-shuffle
 * upsampler, conv to RGB. */
int zoo_build_edsr(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  int feats = (int)zoo_int(a, "feats");
  ir_op_kind_t act = zoo_choice(a, "act") == 0 ? IR_OP_RELU : IR_OP_PRELU;
  int head = zoo_conv(g, sr_input(a, g, 3), zoo_conv_attrs(feats, 3, 1, 1), "head");
  int x = head;
  for (int b = 0; b < zoo_int(a, "blocks"); b++)
    x = edsr_block(g, x, feats, act, b);
  x = zoo_conv(g, x, zoo_conv_attrs(feats, 3, 1, 1), "body.tail");
  x = zoo_add(g, head, x, "body.add");
  x = pixel_shuffle_up(g, x, feats, (int)zoo_int(a, "scale"));
  x = zoo_conv(g, x, zoo_conv_attrs(3, 3, 1, 1), "tail");
  ir_graph_mark_output(g, x);
  return SCHED_OK;
}

/* WDSR-A: head conv, blocks of conv 3x3 to feats*expansion, ReLU, conv 3x3
 * back, add; a conv to 3*scale^2 + shuffle as tail, and a 5x5 conv + shuffle
 * skip branch from the input, added at the end. */
int zoo_build_wdsr(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  int feats = (int)zoo_int(a, "feats"), scale = (int)zoo_int(a, "scale");
  int wide = feats * (int)zoo_int(a, "expansion");
  ir_attrs_t shuffle = {.scale = scale};
  int in = sr_input(a, g, 3);
  int x = zoo_conv(g, in, zoo_conv_attrs(feats, 3, 1, 1), "head");
  for (int b = 0; b < zoo_int(a, "blocks"); b++) {
    int y = zoo_conv(g, x, zoo_conv_attrs(wide, 3, 1, 1), "body.%d.conv1", b);
    y = zoo_unary(g, IR_OP_RELU, y, "body.%d.relu", b);
    y = zoo_conv(g, y, zoo_conv_attrs(feats, 3, 1, 1), "body.%d.conv2", b);
    x = zoo_add(g, x, y, "body.%d.add", b);
  }
  x = zoo_conv(g, x, zoo_conv_attrs(3 * scale * scale, 3, 1, 1), "tail.conv");
  x = zoo_op(g, IR_OP_DEPTH_TO_SPACE, &shuffle, &x, 1, "tail.shuffle");
  int s = zoo_conv(g, in, zoo_conv_attrs(3 * scale * scale, 5, 1, 1), "skip.conv");
  s = zoo_op(g, IR_OP_DEPTH_TO_SPACE, &shuffle, &s, 1, "skip.shuffle");
  ir_graph_mark_output(g, zoo_add(g, x, s, "add"));
  return SCHED_OK;
}
