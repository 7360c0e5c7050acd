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
/* Products of sizes, checked: a factor list multiplied while it fits,
 * else false (callers saturate or report; never wrap). */
static bool product(const int64_t *f, int n, int64_t *out) {
  int64_t v = 1;
  for (int i = 0; i < n; i++)
    if (!sched_mul_i64(v, f[i], &v))
      return false;
  *out = v;
  return true;
}

/* Weights of one output channel's filter (before the bias) of a conv or
 * fully connected op. */
static bool filter_weights(const ir_graph_t *g, int op, int64_t *out) {
  const ir_op_t *o = &g->ops[op];
  const ir_attrs_t *a = &o->attrs;
  ir_shape_t in = input_shape(g, op);
  int64_t groups = a->groups > 0 ? a->groups : 1;
  switch (o->kind) {
  case IR_OP_CONV: return product((int64_t[]){in.c / groups, a->kernel_h, a->kernel_w}, 3, out);
  case IR_OP_FULLY_CONNECTED: return product((int64_t[]){in.c, in.h, in.w}, 3, out);
  case IR_OP_MATMUL: *out = in.c; return true; /* the inner dim K */
  default: *out = 0; return true;
  }
}

static bool op_macs(const ir_graph_t *g, int op, int64_t *out) {
  const ir_op_t *o = &g->ops[op];
  int64_t w;
  switch (o->kind) {
  case IR_OP_CONV:
  case IR_OP_FULLY_CONNECTED:
  case IR_OP_MATMUL:
    return filter_weights(g, op, &w) &&
           product((int64_t[]){ir_shape_elems(shape_of(g, o->output)), w}, 2, out);
  case IR_OP_TRANSPOSE_CONV: {
    /* Each input pixel scatters its kernel into out_channels/groups maps. */
    int64_t groups = o->attrs.groups > 0 ? o->attrs.groups : 1;
    int64_t f[] = {ir_shape_elems(input_shape(g, op)), o->attrs.out_channels / groups,
                   o->attrs.kernel_h, o->attrs.kernel_w};
    return product(f, 4, out);
  }
  default: *out = 0; return true;
  }
}

static bool op_params(const ir_graph_t *g, int op, int64_t *out) {
  const ir_op_t *o = &g->ops[op];
  int64_t out_c = shape_of(g, o->output).c, w = 0, params = 0;
  int64_t bias = o->attrs.has_bias ? out_c : 0;
  bool ok = true;
  if (o->kind == IR_OP_CONV || o->kind == IR_OP_FULLY_CONNECTED)
    ok = filter_weights(g, op, &w) && sched_mul_i64(out_c, w, &params) &&
         sched_add_i64(params, bias, &params);
  if (o->kind == IR_OP_TRANSPOSE_CONV) {
    int64_t groups = o->attrs.groups > 0 ? o->attrs.groups : 1;
    int64_t f[] = {input_shape(g, op).c, out_c / groups, o->attrs.kernel_h, o->attrs.kernel_w};
    ok = product(f, 4, &params) && sched_add_i64(params, bias, &params);
  }
  if (o->kind == IR_OP_MATMUL && o->attrs.out_channels > 0)
    ok = filter_weights(g, op, &w) && sched_mul_i64(out_c, w, &params) &&
         sched_add_i64(params, bias, &params);
  if (o->kind == IR_OP_GATHER)
    ok = sched_mul_i64((int64_t)o->attrs.vocab, out_c, &params);
  if (o->kind == IR_OP_LAYERNORM || o->kind == IR_OP_RMSNORM) /* scale (and shift) per element */
    params = ir_shape_dim(input_shape(g, op), o->attrs.axis) * (o->kind == IR_OP_LAYERNORM ? 2 : 1);
  if (o->kind == IR_OP_PRELU || o->fused_act == IR_OP_PRELU)
    ok = ok && sched_add_i64(params, out_c, &params);
  *out = params;
  return ok;
}

static bool op_weight_bytes(const ir_graph_t *g, int op, int64_t *out) {
  int t = g->ops[op].output;
  ir_dtype_t dt = t >= 0 && t < g->n_tensors ? g->tensors[t].dtype : IR_DTYPE_U8;
  if (g->ops[op].kind == IR_OP_GATHER) /* reads only the rows it picks */
    return sched_mul_i64(ir_shape_elems(shape_of(g, t)), ir_dtype_bytes(dt), out);
  int64_t params;
  return op_params(g, op, &params) && sched_mul_i64(params, ir_dtype_bytes(dt), out);
}

/* The counts saturate at INT64_MAX; ir_graph_check_counts makes that an
 * input error before any stage uses them. */
int64_t ir_op_macs(const ir_graph_t *g, int op) {
  int64_t v;
  return op_macs(g, op, &v) ? v : INT64_MAX;
}

int64_t ir_op_params(const ir_graph_t *g, int op) {
  int64_t v;
  return op_params(g, op, &v) ? v : INT64_MAX;
}

int64_t ir_op_weight_bytes(const ir_graph_t *g, int op) {
  int64_t v;
  return op_weight_bytes(g, op, &v) ? v : INT64_MAX;
}

int ir_graph_check_counts(const ir_graph_t *g, sched_diag_t *diag) {
  int64_t macs = 0, params = 0, v;
  for (int i = 0; i < g->n_ops; i++) {
    const char *what = !op_macs(g, i, &v) || !sched_add_i64(macs, v, &macs) ? "MAC count"
                       : !op_params(g, i, &v) || !sched_add_i64(params, v, &params)
                           ? "parameter count"
                       : !op_weight_bytes(g, i, &v) ? "weight bytes"
                                                    : NULL;
    if (what)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "op '%s': the %s does not fit in 64 bits",
                            g->ops[i].name, what);
  }
  return SCHED_OK;
}

int64_t ir_graph_macs(const ir_graph_t *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_ops; i++)
    if (!sched_add_i64(total, ir_op_macs(g, i), &total))
      return INT64_MAX;
  return total;
}

int64_t ir_graph_params(const ir_graph_t *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_ops; i++)
    if (!sched_add_i64(total, ir_op_params(g, i), &total))
      return INT64_MAX;
  return total;
}
