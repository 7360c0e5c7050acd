/* count.c - MACs and parameters per op and per graph.
 *
 * The convention is torchvision's published one: MACs are the
 * multiply-accumulates of Conv, TransposeConv and FullyConnected only
 * (pooling, eltwise and activations count 0), plus MatMul's output elements
 * x inner dim as fvcore counts it (both operands activations or not). A transpose conv does
 * (K/groups)*kh*kw MACs per input element and input channel, as ptflops and
 * fvcore count it. Parameters are weights + biases + per-channel PReLU slopes
 * (also when the PReLU was fused into its producer, so fusion keeps totals).
 * BatchNorm is not an op here: the zoo folds it into the preceding conv, whose
 * scale goes into the weights and whose shift becomes the conv's bias (see
 * zoo_cls.c for how that compares with torchvision's totals). Requires
 * shape-inferred graphs. */
#include "ir/ir_internal.h"

static ir_shape_t shape_of(const ir_graph_t *g, int tensor) {
  if (tensor < 0 || tensor >= g->n_tensors)
    return (ir_shape_t){0};
  return g->tensors[tensor].shape;
}

static ir_shape_t input_shape(const ir_graph_t *g, int op) {
  return g->ops[op].n_inputs > 0 ? shape_of(g, g->ops[op].inputs[0]) : (ir_shape_t){0};
}

/* Weights of one output channel's filter (before the bias) of a conv or
 * fully connected op. */
static int64_t filter_weights(const ir_graph_t *g, int op) {
  const ir_op_t *o = &g->ops[op];
  const ir_attrs_t *a = &o->attrs;
  ir_shape_t in = input_shape(g, op);
  int64_t window = (int64_t)a->kernel_h * a->kernel_w;
  int64_t groups = a->groups > 0 ? a->groups : 1;
  switch (o->kind) {
  case IR_OP_CONV: return in.c / groups * window;
  case IR_OP_FULLY_CONNECTED: return in.c * in.h * in.w;
  case IR_OP_MATMUL: return in.c; /* the inner dim K */
  default: return 0;
  }
}

int64_t ir_op_macs(const ir_graph_t *g, int op) {
  const ir_op_t *o = &g->ops[op];
  switch (o->kind) {
  case IR_OP_CONV:
  case IR_OP_FULLY_CONNECTED:
  case IR_OP_MATMUL: return ir_shape_elems(shape_of(g, o->output)) * filter_weights(g, op);
  case IR_OP_TRANSPOSE_CONV: {
    /* Each input pixel scatters its kernel into out_channels/groups maps. */
    ir_shape_t in = input_shape(g, op);
    int64_t groups = o->attrs.groups > 0 ? o->attrs.groups : 1;
    return ir_shape_elems(in) * (o->attrs.out_channels / groups) * o->attrs.kernel_h *
           o->attrs.kernel_w;
  }
  default: return 0;
  }
}

int64_t ir_op_params(const ir_graph_t *g, int op) {
  const ir_op_t *o = &g->ops[op];
  int64_t out_c = shape_of(g, o->output).c;
  int64_t params = 0;
  if (o->kind == IR_OP_CONV || o->kind == IR_OP_FULLY_CONNECTED)
    params = out_c * filter_weights(g, op) + (o->attrs.has_bias ? out_c : 0);
  if (o->kind == IR_OP_TRANSPOSE_CONV) {
    int64_t groups = o->attrs.groups > 0 ? o->attrs.groups : 1;
    params = input_shape(g, op).c * (out_c / groups) * o->attrs.kernel_h * o->attrs.kernel_w +
             (o->attrs.has_bias ? out_c : 0);
  }
  if (o->kind == IR_OP_MATMUL && o->attrs.out_channels > 0)
    params = out_c * filter_weights(g, op) + (o->attrs.has_bias ? out_c : 0);
  if (o->kind == IR_OP_GATHER)
    params = (int64_t)o->attrs.vocab * out_c;
  if (o->kind == IR_OP_LAYERNORM || o->kind == IR_OP_RMSNORM) /* scale (and shift) per element */
    params = ir_shape_dim(input_shape(g, op), o->attrs.axis) * (o->kind == IR_OP_LAYERNORM ? 2 : 1);
  if (o->kind == IR_OP_PRELU || o->fused_act == IR_OP_PRELU)
    params += out_c;
  return params;
}

int64_t ir_op_weight_bytes(const ir_graph_t *g, int op) {
  int t = g->ops[op].output;
  ir_dtype_t dt = t >= 0 && t < g->n_tensors ? g->tensors[t].dtype : IR_DTYPE_U8;
  if (g->ops[op].kind == IR_OP_GATHER) /* reads only the rows it picks */
    return ir_shape_elems(shape_of(g, t)) * ir_dtype_bytes(dt);
  return ir_op_params(g, op) * ir_dtype_bytes(dt);
}

int64_t ir_graph_macs(const ir_graph_t *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_ops; i++)
    total += ir_op_macs(g, i);
  return total;
}

int64_t ir_graph_params(const ir_graph_t *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_ops; i++)
    total += ir_op_params(g, i);
  return total;
}
