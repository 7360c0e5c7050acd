/* blocks.c - the ops a search-space candidate stands for, appended to a
 * graph: conv + ReLU6; depthwise + ReLU6, pointwise + ReLU6; MBConv (1x1
 * expand + ReLU6, depthwise + ReLU6, linear 1x1 project, residual when the
 * shape is kept; Sandler et al., MobileNetV2, CVPR 2018); global average
 * pooling and fully connected for heads. Convs use "same" padding. */
#include "advisor/advisor.h"

#include <stdio.h>

static ir_attrs_t conv_attrs(int32_t out_c, int32_t k, int32_t stride, int32_t groups) {
  int32_t pad = k / 2;
  return (ir_attrs_t){.kernel_h = k,
                      .kernel_w = k,
                      .stride_h = stride,
                      .stride_w = stride,
                      .pad_top = pad,
                      .pad_bottom = pad,
                      .pad_left = pad,
                      .pad_right = pad,
                      .groups = groups,
                      .out_channels = out_c,
                      .has_bias = true};
}

static int add_named(ir_graph_t *g, ir_op_kind_t kind, const ir_attrs_t *a, const int *in, int n,
                     const char *prefix, const char *suffix) {
  char name[128];
  snprintf(name, sizeof name, "%s.%s", prefix, suffix);
  return ir_graph_add_op(g, name, kind, a, in, n);
}

static int conv_relu6(ir_graph_t *g, int x, ir_attrs_t a, const char *prefix, const char *suffix) {
  x = add_named(g, IR_OP_CONV, &a, &x, 1, prefix, suffix);
  ir_attrs_t clamp = {.clamp_min = 0.0f, .clamp_max = 6.0f};
  char act[32];
  snprintf(act, sizeof act, "%s.act", suffix);
  return add_named(g, IR_OP_CLAMP, &clamp, &x, 1, prefix, act);
}

static int mbconv_add(ir_graph_t *g, int x, const advisor_position_t *pos, const advisor_cand_t *c,
                      const char *prefix) {
  int32_t mid = pos->c_in * c->expand;
  int y = x;
  if (c->expand != 1)
    y = conv_relu6(g, y, conv_attrs(mid, 1, 1, 1), prefix, "expand");
  y = conv_relu6(g, y, conv_attrs(mid, c->kernel, pos->stride, mid), prefix, "dw");
  ir_attrs_t project = conv_attrs(pos->c_out, 1, 1, 1);
  y = add_named(g, IR_OP_CONV, &project, &y, 1, prefix, "project");
  if (pos->stride != 1 || pos->c_in != pos->c_out)
    return y;
  int both[2] = {x, y};
  return add_named(g, IR_OP_ADD, NULL, both, 2, prefix, "add");
}

int advisor_block_add(ir_graph_t *g, int x, const advisor_position_t *pos,
                      const advisor_cand_t *cand, const char *prefix) {
  switch (cand->type) {
  case ADVISOR_OP_SKIP: return x;
  case ADVISOR_OP_CONV:
    return conv_relu6(g, x, conv_attrs(pos->c_out, cand->kernel, pos->stride, 1), prefix, "conv");
  case ADVISOR_OP_DWSEP:
    x = conv_relu6(g, x, conv_attrs(pos->c_in, cand->kernel, pos->stride, pos->c_in), prefix, "dw");
    return conv_relu6(g, x, conv_attrs(pos->c_out, 1, 1, 1), prefix, "pw");
  case ADVISOR_OP_MBCONV: return mbconv_add(g, x, pos, cand, prefix);
  case ADVISOR_OP_GAP: return add_named(g, IR_OP_GLOBAL_AVGPOOL, NULL, &x, 1, prefix, "gap");
  case ADVISOR_OP_FC: {
    ir_attrs_t fc = {.out_channels = pos->c_out, .has_bias = true};
    return add_named(g, IR_OP_FULLY_CONNECTED, &fc, &x, 1, prefix, "fc");
  }
  case ADVISOR_OP_COUNT: break;
  }
  SCHED_UNREACHABLE();
}

int advisor_chain_build(const advisor_space_t *s, const advisor_position_t *positions,
                        const advisor_cand_t *blocks, int n, ir_graph_t *out, sched_diag_t *diag) {
  ir_graph_init(out, s->name);
  ir_shape_t in = {1, positions[0].c_in, positions[0].h_in, positions[0].w_in};
  int x = ir_graph_add_input(out, "input", in, s->dtype);
  for (int i = 0; i < n; i++) {
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%s.%d", positions[i].label, i);
    x = advisor_block_add(out, x, &positions[i], &blocks[i], prefix);
  }
  ir_graph_mark_output(out, x);
  int rc = ir_graph_sort(out, diag);
  if (rc == SCHED_OK)
    rc = ir_graph_infer_shapes(out, diag);
  if (rc == SCHED_OK && out->n_ops > 0)
    rc = ir_graph_verify(out, diag);
  if (rc != SCHED_OK)
    ir_graph_free(out); /* the caller gets a graph only on success */
  return rc;
}
