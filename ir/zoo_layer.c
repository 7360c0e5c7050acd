/* zoo_layer.c - single-layer nets for experiments: one conv, depthwise conv,
 * pooling or eltwise op on a 1xCxHxW input. Defaults that depend on another
 * key: kw = kh, pool stride = kh, and "same" padding = (dilated kernel - 1)/2
 * per side (exactly "same" for odd kernels at stride 1). */
#include "ir/zoo_internal.h"

static int layer_input(const zoo_args_t *a, ir_graph_t *g, const char *name) {
  ir_shape_t s = {1, zoo_int(a, "c"), zoo_int(a, "h"), zoo_int(a, "w")};
  return ir_graph_add_input(g, name, s, zoo_dtype(a));
}

/* Kernel, stride and padding from kh/kw/stride/pad with their rule
 * defaults; "same" padding unless the pad key's default is a number. */
static ir_attrs_t window_from_args(const zoo_args_t *a, int dilation, int64_t default_stride,
                                   bool same_pad) {
  int kh = (int)zoo_int(a, "kh");
  int kw = zoo_given(a, "kw") ? (int)zoo_int(a, "kw") : kh;
  int stride = zoo_given(a, "stride") ? (int)zoo_int(a, "stride") : (int)default_stride;
  int pad_h = dilation * (kh - 1) / 2, pad_w = dilation * (kw - 1) / 2;
  if (zoo_given(a, "pad") || !same_pad)
    pad_h = pad_w = (int)zoo_int(a, "pad");
  return (ir_attrs_t){.kernel_h = kh,
                      .kernel_w = kw,
                      .stride_h = stride,
                      .stride_w = stride,
                      .pad_top = pad_h,
                      .pad_bottom = pad_h,
                      .pad_left = pad_w,
                      .pad_right = pad_w,
                      .dilation_h = dilation,
                      .dilation_w = dilation};
}

int zoo_build_conv(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  int dilation = (int)zoo_int(a, "dilation");
  ir_attrs_t attrs = window_from_args(a, dilation, zoo_int(a, "stride"), true);
  attrs.out_channels = (int32_t)zoo_int(a, "k");
  attrs.groups = (int32_t)zoo_int(a, "groups");
  attrs.has_bias = true;
  int x = layer_input(a, g, "input");
  ir_graph_mark_output(g, zoo_op(g, IR_OP_CONV, &attrs, &x, 1, "conv"));
  return SCHED_OK;
}

int zoo_build_dwconv(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  ir_attrs_t attrs = window_from_args(a, 1, zoo_int(a, "stride"), true);
  attrs.out_channels = attrs.groups = (int32_t)zoo_int(a, "c");
  attrs.has_bias = true;
  int x = layer_input(a, g, "input");
  ir_graph_mark_output(g, zoo_op(g, IR_OP_CONV, &attrs, &x, 1, "dwconv"));
  return SCHED_OK;
}

int zoo_build_pool(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  ir_attrs_t attrs = window_from_args(a, 1, zoo_int(a, "kh"), false);
  ir_op_kind_t kind = zoo_choice(a, "type") == 0 ? IR_OP_MAXPOOL : IR_OP_AVGPOOL;
  int x = layer_input(a, g, "input");
  ir_graph_mark_output(g, zoo_op(g, kind, &attrs, &x, 1, "pool"));
  return SCHED_OK;
}

int zoo_build_eltwise(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  (void)diag;
  static const ir_op_kind_t kinds[] = {IR_OP_ADD, IR_OP_MUL, IR_OP_SUB}; /* "add|mul|sub" */
  int in[2] = {layer_input(a, g, "input0"), layer_input(a, g, "input1")};
  ir_graph_mark_output(g, zoo_op(g, kinds[zoo_choice(a, "type")], NULL, in, 2, "eltwise"));
  return SCHED_OK;
}
