/* edit.c - the graph edits rewrites share: drop an op (its readers read its
 * input), change a conv's output channels and carry the change through the
 * depthwise convs after it. Every edit re-infers shapes and verifies, so a
 * rewrite that breaks the network (an Add whose branches no longer agree)
 * is an input error naming the op instead of a bad plan. */
#include "advisor/advisor.h"

#include <stdlib.h>
#include <string.h>

int advisor_graph_find_op(const ir_graph_t *g, const char *name) {
  for (int i = 0; i < g->n_ops; i++)
    if (strcmp(g->ops[i].name, name) == 0)
      return i;
  return -1;
}

static int finish(ir_graph_t *g, sched_diag_t *diag) {
  int rc = ir_graph_sort(g, diag);
  if (rc == SCHED_OK)
    rc = ir_graph_infer_shapes(g, diag);
  return rc == SCHED_OK ? ir_graph_verify(g, diag) : rc;
}

/* Adds a copy of op `i` of src to dst with inputs renamed through map. */
static int copy_op(const ir_graph_t *src, int i, const int *map, ir_graph_t *dst) {
  const ir_op_t *op = &src->ops[i];
  int inputs[IR_MAX_INPUTS];
  for (int k = 0; k < op->n_inputs; k++)
    inputs[k] = map[op->inputs[k]];
  int t = ir_graph_add_op(dst, op->name, op->kind, &op->attrs, inputs, op->n_inputs);
  ir_op_t *copy = &dst->ops[dst->n_ops - 1];
  copy->fused_act = op->fused_act;
  if (op->generic_type)
    copy->generic_type = sched_xstrdup(op->generic_type);
  dst->tensors[t].dtype = src->tensors[op->output].dtype;
  return t;
}

/* How a copy treats op `edit` of net: its replacement's output tensor. */
typedef int (*replace_fn)(const ir_graph_t *net, int op, const int *map, ir_graph_t *dst);

/* Copies net into out with op `edit` replaced, then sorts and verifies. */
static int copy_replacing(const ir_graph_t *net, int edit, replace_fn replace, ir_graph_t *out,
                          sched_diag_t *diag) {
  ir_graph_init(out, net->name);
  int *map = sched_xmalloc((size_t)(net->n_tensors > 0 ? net->n_tensors : 1) * sizeof *map);
  for (int i = 0; i < net->n_inputs; i++) {
    const ir_tensor_t *t = &net->tensors[net->inputs[i]];
    map[net->inputs[i]] = ir_graph_add_input(out, t->name, t->shape, t->dtype);
  }
  for (int i = 0; i < net->n_ops; i++)
    map[net->ops[i].output] = i == edit ? replace(net, i, map, out) : copy_op(net, i, map, out);
  for (int i = 0; i < net->n_outputs; i++)
    ir_graph_mark_output(out, map[net->outputs[i]]);
  free(map);
  return finish(out, diag);
}

/* Dropping an op: its readers read its input. */
static int bypass(const ir_graph_t *net, int op, const int *map, ir_graph_t *dst) {
  (void)dst;
  return map[net->ops[op].inputs[0]];
}

int advisor_graph_drop_op(const ir_graph_t *net, int drop, ir_graph_t *out, sched_diag_t *diag) {
  return copy_replacing(net, drop, bypass, out, diag);
}

/* The sub-pixel form of a stride-s transpose conv (ESPCN): a stride-1 conv
 * with kernel ceil(k / s) and "same" padding computing c_out * s^2
 * channels, then a depth-to-space by s. */
static int add_subpixel(const ir_graph_t *net, int i, const int *map, ir_graph_t *dst) {
  const ir_op_t *op = &net->ops[i];
  int32_t s = op->attrs.stride_h, kh = SCHED_CEIL_DIV(op->attrs.kernel_h, s),
          kw = SCHED_CEIL_DIV(op->attrs.kernel_w, s);
  ir_attrs_t conv = {.kernel_h = kh,
                     .kernel_w = kw,
                     .stride_h = 1,
                     .stride_w = 1,
                     .pad_top = (kh - 1) / 2,
                     .pad_bottom = kh / 2,
                     .pad_left = (kw - 1) / 2,
                     .pad_right = kw / 2,
                     .groups = 1,
                     .out_channels = op->attrs.out_channels * s * s,
                     .has_bias = op->attrs.has_bias};
  char name[256];
  snprintf(name, sizeof name, "%s.subpixel", op->name);
  int input = map[op->inputs[0]];
  int t = ir_graph_add_op(dst, name, IR_OP_CONV, &conv, &input, 1);
  dst->ops[dst->n_ops - 1].fused_act = op->fused_act; /* elementwise: same before the shuffle */
  dst->tensors[t].dtype = net->tensors[op->output].dtype;
  ir_attrs_t d2s = {.scale = s};
  int out = ir_graph_add_op(dst, op->name, IR_OP_DEPTH_TO_SPACE, &d2s, &t, 1);
  dst->tensors[out].dtype = net->tensors[op->output].dtype;
  return out;
}

int advisor_graph_subpixel(const ir_graph_t *net, int deconv, ir_graph_t *out, sched_diag_t *diag) {
  return copy_replacing(net, deconv, add_subpixel, out, diag);
}

/* Ops that keep their input's channels and pass them on. */
static bool keeps_channels(const ir_op_t *op) {
  return ir_op_is_activation(op->kind) || op->kind == IR_OP_MAXPOOL || op->kind == IR_OP_AVGPOOL ||
         op->kind == IR_OP_UPSAMPLE;
}

/* Carries a channel change of tensor t (old -> new) to the depthwise convs
 * reading it, directly or through channel-keeping ops. */
static void carry_channels(ir_graph_t *g, int t, int32_t old_c, int32_t new_c, int depth) {
  if (depth > g->n_ops)
    return;
  for (int i = 0; i < g->n_ops; i++) {
    ir_op_t *op = &g->ops[i];
    if (op->n_inputs < 1 || op->inputs[0] != t)
      continue;
    if (op->kind == IR_OP_CONV && op->attrs.groups == old_c && old_c > 1) {
      op->attrs.groups = new_c;
      op->attrs.out_channels = new_c;
      carry_channels(g, op->output, old_c, new_c, depth + 1);
    } else if (keeps_channels(op)) {
      carry_channels(g, op->output, old_c, new_c, depth + 1);
    }
  }
}

int advisor_graph_set_channels(ir_graph_t *g, int op, int32_t channels, sched_diag_t *diag) {
  ir_op_t *o = &g->ops[op];
  int32_t old_c = o->attrs.out_channels;
  o->attrs.out_channels = channels;
  carry_channels(g, o->output, old_c, channels, 0);
  return finish(g, diag);
}
