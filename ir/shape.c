/* shape.c - shape inference: one rule per op kind, from the inputs' NCHW
 * shapes and the op's attributes to its output shape. The formulas are the
 * ones of PyTorch / ONNX (floor division for windows; transpose conv with
 * output padding). Requires known input shapes; ir_graph_infer_shapes also
 * requires ops in topological order. Every error names the op and the value
 * that is wrong. */
#include "ir/ir_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

ir_i_shape_str_t ir_i_shape_str(ir_shape_t s) {
  ir_i_shape_str_t out;
  snprintf(out.s, sizeof out.s, "%lldx%lldx%lldx%lld", (long long)s.n, (long long)s.c,
           (long long)s.h, (long long)s.w);
  return out;
}

bool ir_i_shape_known(ir_shape_t s) { return s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0; }

bool ir_i_kind_is_dpu(ir_op_kind_t kind) {
  return (kind >= IR_OP_CONV && kind <= IR_OP_MUL) || kind == IR_OP_MATMUL;
}

bool ir_i_kind_has_window(ir_op_kind_t kind) {
  return kind == IR_OP_CONV || kind == IR_OP_TRANSPOSE_CONV || kind == IR_OP_MAXPOOL ||
         kind == IR_OP_AVGPOOL;
}

/* Sets "op 'name': <message>" as an input error. */
__attribute__((format(printf, 4, 5))) static int
op_error(const ir_graph_t *g, int op, sched_diag_t *diag, const char *fmt, ...) {
  char msg[SCHED_DIAG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sched_diag_set(diag, SCHED_ERR_INPUT, "op '%s': %s", g->ops[op].name, msg);
}

static ir_shape_t in_shape(const ir_graph_t *g, int op, int i) {
  return g->tensors[g->ops[op].inputs[i]].shape;
}

/* Kernel, stride, dilation positive and pads not negative. */
static int check_window(const ir_graph_t *g, int op, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  if (a->kernel_h <= 0 || a->kernel_w <= 0)
    return op_error(g, op, diag, "kernel %dx%d must be positive", a->kernel_h, a->kernel_w);
  if (a->stride_h <= 0 || a->stride_w <= 0)
    return op_error(g, op, diag, "stride %dx%d must be positive", a->stride_h, a->stride_w);
  if (a->dilation_h <= 0 || a->dilation_w <= 0)
    return op_error(g, op, diag, "dilation %dx%d must be positive", a->dilation_h, a->dilation_w);
  if (a->pad_top < 0 || a->pad_bottom < 0 || a->pad_left < 0 || a->pad_right < 0)
    return op_error(g, op, diag, "pads %d,%d,%d,%d (top,bottom,left,right) must not be negative",
                    a->pad_top, a->pad_bottom, a->pad_left, a->pad_right);
  return SCHED_OK;
}

/* Output channels positive and both channel counts divisible by groups. */
static int check_groups(const ir_graph_t *g, int op, int64_t in_c, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  if (a->out_channels <= 0)
    return op_error(g, op, diag, "out_channels %d must be positive", a->out_channels);
  if (a->groups <= 0)
    return op_error(g, op, diag, "groups %d must be positive", a->groups);
  if (in_c % a->groups != 0)
    return op_error(g, op, diag, "input channels %lld not divisible by groups %d", (long long)in_c,
                    a->groups);
  if (a->out_channels % a->groups != 0)
    return op_error(g, op, diag, "out_channels %d not divisible by groups %d", a->out_channels,
                    a->groups);
  return SCHED_OK;
}

/* Conv, max/avg pool: floor((in + pads - dilated kernel) / stride) + 1. */
static int infer_window(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  ir_shape_t in = in_shape(g, op, 0);
  int rc = check_window(g, op, diag);
  if (rc == SCHED_OK && g->ops[op].kind == IR_OP_CONV)
    rc = check_groups(g, op, in.c, diag);
  if (rc != SCHED_OK)
    return rc;
  int64_t kh = (int64_t)a->dilation_h * (a->kernel_h - 1) + 1;
  int64_t kw = (int64_t)a->dilation_w * (a->kernel_w - 1) + 1;
  int64_t ph = in.h + a->pad_top + a->pad_bottom, pw = in.w + a->pad_left + a->pad_right;
  if (kh > ph || kw > pw)
    return op_error(g, op, diag, "kernel %lldx%lld larger than padded input %lldx%lld",
                    (long long)kh, (long long)kw, (long long)ph, (long long)pw);
  int64_t c = g->ops[op].kind == IR_OP_CONV ? a->out_channels : in.c;
  *out = (ir_shape_t){in.n, c, (ph - kh) / a->stride_h + 1, (pw - kw) / a->stride_w + 1};
  return SCHED_OK;
}

/* (in - 1) * stride - pads + dilated kernel + output padding. */
static int infer_transpose_conv(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  ir_shape_t in = in_shape(g, op, 0);
  int rc = check_window(g, op, diag);
  if (rc == SCHED_OK)
    rc = check_groups(g, op, in.c, diag);
  if (rc != SCHED_OK)
    return rc;
  if (a->output_pad_h < 0 || a->output_pad_w < 0 ||
      a->output_pad_h >= SCHED_MAX(a->stride_h, a->dilation_h) ||
      a->output_pad_w >= SCHED_MAX(a->stride_w, a->dilation_w))
    return op_error(g, op, diag, "output padding %dx%d must be in 0..stride-1 (stride %dx%d)",
                    a->output_pad_h, a->output_pad_w, a->stride_h, a->stride_w);
  int64_t h = (in.h - 1) * a->stride_h - a->pad_top - a->pad_bottom +
              (int64_t)a->dilation_h * (a->kernel_h - 1) + a->output_pad_h + 1;
  int64_t w = (in.w - 1) * a->stride_w - a->pad_left - a->pad_right +
              (int64_t)a->dilation_w * (a->kernel_w - 1) + a->output_pad_w + 1;
  if (h <= 0 || w <= 0)
    return op_error(g, op, diag, "output %lldx%lld is empty (pads larger than the output)",
                    (long long)h, (long long)w);
  *out = (ir_shape_t){in.n, a->out_channels, h, w};
  return SCHED_OK;
}

/* Flattens C*H*W into out_channels x 1 x 1. */
static int infer_fc(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  if (a->out_channels <= 0)
    return op_error(g, op, diag, "out_channels %d must be positive", a->out_channels);
  *out = (ir_shape_t){in_shape(g, op, 0).n, a->out_channels, 1, 1};
  return SCHED_OK;
}

static int infer_global_pool(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  (void)diag;
  ir_shape_t in = in_shape(g, op, 0);
  *out = (ir_shape_t){in.n, in.c, 1, 1};
  return SCHED_OK;
}

/* NumPy broadcasting over NCHW: each dim equal, or 1 in all inputs but one. */
static int infer_eltwise(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  ir_shape_t acc = in_shape(g, op, 0);
  for (int i = 1; i < g->ops[op].n_inputs; i++) {
    ir_shape_t s = in_shape(g, op, i);
    int64_t *a[4] = {&acc.n, &acc.c, &acc.h, &acc.w};
    const int64_t b[4] = {s.n, s.c, s.h, s.w};
    for (int d = 0; d < 4; d++) {
      if (*a[d] != b[d] && *a[d] != 1 && b[d] != 1)
        return op_error(g, op, diag, "input shapes %s and %s do not broadcast",
                        ir_i_shape_str(in_shape(g, op, 0)).s, ir_i_shape_str(s).s);
      *a[d] = SCHED_MAX(*a[d], b[d]);
    }
  }
  *out = acc;
  return SCHED_OK;
}

static int check_axis(const ir_graph_t *g, int op, sched_diag_t *diag) {
  ir_axis_t axis = g->ops[op].attrs.axis;
  if (axis < 0 || axis >= IR_AXIS_COUNT)
    return op_error(g, op, diag, "axis %d is not one of n, c, h, w", (int)axis);
  return SCHED_OK;
}

static int64_t *dim_ptr(ir_shape_t *s, ir_axis_t axis) {
  switch (axis) {
  case IR_AXIS_N: return &s->n;
  case IR_AXIS_H: return &s->h;
  case IR_AXIS_W: return &s->w;
  default: return &s->c;
  }
}

/* Softmax and the norms keep their shape; the axis must be a real one. */
static int infer_over_axis(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  int rc = check_axis(g, op, diag);
  *out = in_shape(g, op, 0);
  return rc;
}

static int infer_reduce(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  int rc = infer_over_axis(g, op, out, diag);
  *dim_ptr(out, g->ops[op].attrs.axis) = 1;
  return rc;
}

static int infer_slice(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  int rc = infer_over_axis(g, op, out, diag);
  if (rc != SCHED_OK)
    return rc;
  int64_t dim = ir_shape_dim(*out, a->axis);
  if (a->slice_start < 0 || a->slice_end <= a->slice_start || a->slice_end > dim)
    return op_error(g, op, diag, "slice [%d, %d) is not a non-empty range of %s (size %lld)",
                    a->slice_start, a->slice_end, ir_axis_name(a->axis), (long long)dim);
  *dim_ptr(out, a->axis) = a->slice_end - a->slice_start;
  return SCHED_OK;
}

/* Token indices [n, 1, tokens, w] -> embedding rows [n, out_channels, tokens, w]. */
static int infer_gather(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  ir_shape_t in = in_shape(g, op, 0);
  if (a->out_channels <= 0 || a->vocab <= 0)
    return op_error(g, op, diag, "out_channels %d and vocab %d must be positive", a->out_channels,
                    a->vocab);
  if (in.c != 1)
    return op_error(g, op, diag, "indices must have 1 channel, got %lld", (long long)in.c);
  *out = (ir_shape_t){in.n, a->out_channels, in.h, in.w};
  return SCHED_OK;
}

/* A [n, K, M, w] x weight [K, out_channels], or x B [n, N, K, w] (B [n, K,
 * N, w] when transpose_b), batch dims n and w broadcast: [n, N, M, w]. */
static int infer_matmul(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const ir_attrs_t *a = &g->ops[op].attrs;
  ir_shape_t x = in_shape(g, op, 0);
  int n_in = g->ops[op].n_inputs;
  if ((a->out_channels > 0) == (n_in == 2))
    return op_error(g, op, diag, "needs either out_channels (x a weight) or a second input, got %s",
                    n_in == 2 ? "both" : "neither");
  if (a->out_channels > 0) {
    *out = (ir_shape_t){x.n, a->out_channels, x.h, x.w};
    return SCHED_OK;
  }
  ir_shape_t y = in_shape(g, op, 1);
  int64_t k = a->transpose_b ? y.c : y.h, cols = a->transpose_b ? y.h : y.c;
  if (k != x.c)
    return op_error(g, op, diag, "inner dims differ: %lld (input 0 channels) and %lld (input 1)",
                    (long long)x.c, (long long)k);
  if ((x.n != y.n && x.n != 1 && y.n != 1) || (x.w != y.w && x.w != 1 && y.w != 1))
    return op_error(g, op, diag, "batch dims n, w of %s and %s do not broadcast",
                    ir_i_shape_str(x).s, ir_i_shape_str(y).s);
  *out = (ir_shape_t){SCHED_MAX(x.n, y.n), cols, x.h, SCHED_MAX(x.w, y.w)};
  return SCHED_OK;
}

/* Activations, softmax and generic ops keep the shape of input 0. */
static int infer_same(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  (void)diag;
  *out = in_shape(g, op, 0);
  return SCHED_OK;
}

static int infer_upsample(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  int32_t s = g->ops[op].attrs.scale;
  if (s <= 0)
    return op_error(g, op, diag, "scale %d must be positive", s);
  ir_shape_t in = in_shape(g, op, 0);
  *out = (ir_shape_t){in.n, in.c, in.h * s, in.w * s};
  return SCHED_OK;
}

/* C / (b*b), H * b, W * b. */
static int infer_depth_to_space(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  int64_t b = g->ops[op].attrs.scale;
  ir_shape_t in = in_shape(g, op, 0);
  if (b <= 0)
    return op_error(g, op, diag, "block size %lld must be positive", (long long)b);
  if (in.c % (b * b) != 0)
    return op_error(g, op, diag, "input channels %lld not divisible by block size squared %lld",
                    (long long)in.c, (long long)(b * b));
  *out = (ir_shape_t){in.n, in.c / (b * b), in.h * b, in.w * b};
  return SCHED_OK;
}

static int infer_concat(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  int rc = check_axis(g, op, diag);
  if (rc != SCHED_OK)
    return rc;
  ir_axis_t axis = g->ops[op].attrs.axis;
  ir_shape_t first = in_shape(g, op, 0), acc = first;
  *dim_ptr(&acc, axis) = 0;
  for (int i = 0; i < g->ops[op].n_inputs; i++) {
    ir_shape_t s = in_shape(g, op, i), a = s, b = first;
    *dim_ptr(&a, axis) = *dim_ptr(&b, axis) = 0;
    if (a.n != b.n || a.c != b.c || a.h != b.h || a.w != b.w)
      return op_error(g, op, diag, "input %d shape %s differs from input 0 shape %s outside %c", i,
                      ir_i_shape_str(s).s, ir_i_shape_str(first).s,
                      toupper((unsigned char)ir_axis_name(axis)[0]));
    *dim_ptr(&acc, axis) += ir_shape_dim(s, axis);
  }
  *out = acc;
  return SCHED_OK;
}

/* One dim may be -1: it takes whatever keeps the element count. */
static int infer_reshape(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  ir_shape_t to = g->ops[op].attrs.reshape_to, in = in_shape(g, op, 0);
  int64_t *dims[4] = {&to.n, &to.c, &to.h, &to.w};
  int64_t known = 1, *unknown = NULL;
  for (int i = 0; i < 4; i++) {
    if (*dims[i] == -1 && !unknown) {
      unknown = dims[i];
      continue;
    }
    if (*dims[i] <= 0)
      return op_error(g, op, diag, "reshape target %s: dims must be positive, one may be -1",
                      ir_i_shape_str(to).s);
    known *= *dims[i];
  }
  int64_t elems = ir_shape_elems(in);
  if (unknown && elems % known == 0)
    *unknown = elems / known;
  if (ir_shape_elems(to) != elems)
    return op_error(g, op, diag, "cannot reshape %s (%lld elements) to %s", ir_i_shape_str(in).s,
                    (long long)elems, ir_i_shape_str(g->ops[op].attrs.reshape_to).s);
  *out = to;
  return SCHED_OK;
}

/* Output dim i is input dim perm[i]. */
static int infer_transpose(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  const int32_t *p = g->ops[op].attrs.perm;
  ir_shape_t in = in_shape(g, op, 0);
  int64_t dims[4] = {in.n, in.c, in.h, in.w};
  int seen = 0;
  for (int i = 0; i < 4; i++)
    if (p[i] >= 0 && p[i] < 4)
      seen |= 1 << p[i];
  if (seen != 0xf)
    return op_error(g, op, diag, "perm %d,%d,%d,%d is not a permutation of 0,1,2,3", p[0], p[1],
                    p[2], p[3]);
  *out = (ir_shape_t){dims[p[0]], dims[p[1]], dims[p[2]], dims[p[3]]};
  return SCHED_OK;
}

typedef int (*infer_fn_t)(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag);

typedef struct {
  infer_fn_t infer;
  int min_inputs, max_inputs;
} shape_rule_t;

static shape_rule_t rule_of(ir_op_kind_t kind) {
  switch (kind) {
  case IR_OP_CONV:
  case IR_OP_MAXPOOL:
  case IR_OP_AVGPOOL: return (shape_rule_t){infer_window, 1, 1};
  case IR_OP_TRANSPOSE_CONV: return (shape_rule_t){infer_transpose_conv, 1, 1};
  case IR_OP_FULLY_CONNECTED: return (shape_rule_t){infer_fc, 1, 1};
  case IR_OP_GLOBAL_AVGPOOL: return (shape_rule_t){infer_global_pool, 1, 1};
  case IR_OP_ADD:
  case IR_OP_SUB:
  case IR_OP_MUL:
  case IR_OP_DIV:
  case IR_OP_POW: return (shape_rule_t){infer_eltwise, 2, IR_MAX_INPUTS};
  case IR_OP_SOFTMAX:
  case IR_OP_LAYERNORM:
  case IR_OP_RMSNORM: return (shape_rule_t){infer_over_axis, 1, 1};
  case IR_OP_SQRT:
  case IR_OP_RECIPROCAL: return (shape_rule_t){infer_same, 1, 1};
  case IR_OP_REDUCE_MEAN: return (shape_rule_t){infer_reduce, 1, 1};
  case IR_OP_SLICE: return (shape_rule_t){infer_slice, 1, 1};
  case IR_OP_GATHER: return (shape_rule_t){infer_gather, 1, 1};
  case IR_OP_MATMUL: return (shape_rule_t){infer_matmul, 1, 2};
  case IR_OP_UPSAMPLE: return (shape_rule_t){infer_upsample, 1, 1};
  case IR_OP_DEPTH_TO_SPACE: return (shape_rule_t){infer_depth_to_space, 1, 1};
  case IR_OP_CONCAT: return (shape_rule_t){infer_concat, 1, IR_MAX_INPUTS};
  case IR_OP_RESHAPE: return (shape_rule_t){infer_reshape, 1, 1};
  case IR_OP_TRANSPOSE: return (shape_rule_t){infer_transpose, 1, 1};
  case IR_OP_GENERIC: return (shape_rule_t){infer_same, 1, IR_MAX_INPUTS};
  default:
    if (ir_op_is_activation(kind))
      return (shape_rule_t){infer_same, 1, 1};
    return (shape_rule_t){NULL, 0, 0};
  }
}

/* Input count in range, ids valid, shapes known. */
static int check_inputs(const ir_graph_t *g, int op, shape_rule_t rule, sched_diag_t *diag) {
  const ir_op_t *o = &g->ops[op];
  if (!rule.infer)
    return op_error(g, op, diag, "unknown op kind %d", (int)o->kind);
  if (o->n_inputs < rule.min_inputs || o->n_inputs > rule.max_inputs)
    return op_error(g, op, diag, "%s takes %d..%d inputs, got %d", ir_op_kind_name(o->kind),
                    rule.min_inputs, rule.max_inputs, o->n_inputs);
  for (int i = 0; i < o->n_inputs; i++) {
    int t = o->inputs[i];
    if (t < 0 || t >= g->n_tensors)
      return op_error(g, op, diag, "input %d is tensor id %d, out of range (graph has %d tensors)",
                      i, t, g->n_tensors);
    if (!ir_i_shape_known(g->tensors[t].shape))
      return op_error(g, op, diag, "input '%s' has no valid shape (%s)", g->tensors[t].name,
                      ir_i_shape_str(g->tensors[t].shape).s);
  }
  return SCHED_OK;
}

int ir_i_infer(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag) {
  shape_rule_t rule = rule_of(g->ops[op].kind);
  int rc = check_inputs(g, op, rule, diag);
  if (rc != SCHED_OK)
    return rc;
  return rule.infer(g, op, out, diag);
}

int ir_op_infer_shape(ir_graph_t *g, int op, sched_diag_t *diag) {
  ir_shape_t shape;
  int rc = ir_i_infer(g, op, &shape, diag);
  if (rc != SCHED_OK)
    return rc;
  int t = g->ops[op].output;
  if (t < 0 || t >= g->n_tensors)
    return op_error(g, op, diag, "output is tensor id %d, out of range (graph has %d tensors)", t,
                    g->n_tensors);
  g->tensors[t].shape = shape;
  return SCHED_OK;
}

int ir_graph_infer_shapes(ir_graph_t *g, sched_diag_t *diag) {
  for (int i = 0; i < g->n_ops; i++) {
    /* A reader of a later op's output would see a stale shape. */
    for (int j = 0; j < g->ops[i].n_inputs; j++) {
      int t = g->ops[i].inputs[j];
      if (t >= 0 && t < g->n_tensors && g->tensors[t].producer >= i)
        return op_error(g, i, diag, "reads '%s' before it is produced (sort the graph first)",
                        g->tensors[t].name);
    }
    int rc = ir_op_infer_shape(g, i, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}
