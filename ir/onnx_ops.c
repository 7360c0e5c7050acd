/* onnx_ops.c - one converter per ONNX op type, from a node to IR ops.
 *
 * Requires the node's inputs converted (onnx_graph.c runs nodes in
 * topological order). Weights are constants whose dims give out_channels,
 * kernels and channel checks; their values are never read. Small constants
 * that carry shapes (Reshape's shape, Resize's scales, Pad's pads, Clip's
 * bounds) are read when present. BatchNormalization and a bias Add fold into
 * the conv / fully connected op before them; Pad folds into the conv or pool
 * after it; Identity, Dropout and Cast alias their input. */
#include "ir/ir_internal.h"
#include "ir/onnx_import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- attributes ---- */

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
      return n->attribute[i];
  return NULL;
}

int64_t onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  return a && a->has_i ? a->i : def;
}

static float attr_float(const Onnx__NodeProto *n, const char *name, float def) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  return a && a->has_f ? a->f : def;
}

/* String attribute (bytes in the proto) equals s; absent equals def. */
static bool attr_is(const Onnx__NodeProto *n, const char *name, const char *s, bool def) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  if (!a || !a->has_s)
    return def;
  return a->s.len == strlen(s) && memcmp(a->s.data, s, a->s.len) == 0;
}

/* Up to max ints into out; *count is how many (0 when absent). */
static int attr_ints(const onnx_ctx_t *c, const Onnx__NodeProto *n, const char *name, int64_t *out,
                     int max, int *count) {
  const Onnx__AttributeProto *a = onnx_attr(n, name);
  *count = a ? (int)SCHED_MIN(a->n_ints, (size_t)INT32_MAX) : 0;
  if (*count > max)
    return onnx_node_error(c, n, "attribute '%s' has %d values, expected at most %d", name, *count,
                           max);
  for (int i = 0; i < *count; i++)
    out[i] = a->ints[i];
  return SCHED_OK;
}

/* ---- inputs ---- */

static bool has_in(const Onnx__NodeProto *n, size_t i) { return i < n->n_input && n->input[i][0]; }

static int find_in(onnx_ctx_t *c, const Onnx__NodeProto *n, size_t i, onnx_val_t **out) {
  if (!has_in(n, i))
    return onnx_node_error(c, n, "input %zu is missing", i);
  *out = onnx_val_find(c, n->input[i]);
  if (!*out)
    return onnx_node_error(c, n, "input '%s' has no producer", n->input[i]);
  return SCHED_OK;
}

/* Input i, an activation. */
static int act_in(onnx_ctx_t *c, const Onnx__NodeProto *n, size_t i, onnx_val_t **out) {
  int rc = find_in(c, n, i, out);
  if (rc == SCHED_OK && (*out)->is_const)
    rc = onnx_node_error(c, n, "input '%s' is a constant; expected an activation", n->input[i]);
  return rc;
}

/* Input i, a constant of the given rank (-1: any). */
static int const_in(onnx_ctx_t *c, const Onnx__NodeProto *n, size_t i, int rank, onnx_val_t **out) {
  int rc = find_in(c, n, i, out);
  if (rc == SCHED_OK && !(*out)->is_const)
    return onnx_node_error(c, n, "input '%s' must be an initializer or Constant", n->input[i]);
  if (rc == SCHED_OK && rank >= 0 && (*out)->rank != rank)
    return onnx_node_error(c, n, "input '%s' has %d dims, expected %d", n->input[i], (*out)->rank,
                           rank);
  return rc;
}

bool onnx_is_const_name(onnx_ctx_t *c, const char *name) {
  onnx_val_t *v = onnx_val_find(c, name);
  if (v)
    return v->is_const;
  int p = ir_names_get(&c->producer, name);
  return p >= 0 && strcmp(c->gp->node[p]->op_type, "Constant") == 0;
}

static int64_t elems_of(const onnx_val_t *v) {
  int64_t e = 1;
  for (int i = 0; i < v->rank; i++)
    e *= v->dims[i];
  return e;
}

/* Little-endian element i of raw bytes. */
static double raw_value(const uint8_t *p, int32_t type) {
  uint64_t u = 0;
  int size =
      type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
          ? 8
          : 4;
  for (int b = size - 1; b >= 0; b--)
    u = u << 8 | p[b];
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    return (double)(int64_t)u;
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
    return (double)(int32_t)(uint32_t)u;
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
  }
  float f;
  uint32_t u32 = (uint32_t)u;
  memcpy(&f, &u32, sizeof f);
  return (double)f;
}

int onnx_const_values(const onnx_val_t *v, double *out, int max) {
  const Onnx__TensorProto *tp = v->tp;
  int64_t n = elems_of(v);
  if (v->folded && n <= max) {
    memcpy(out, v->values, (size_t)n * sizeof *out);
    return (int)n;
  }
  if (!tp || n > max || tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return -1;
  int32_t t = tp->data_type;
  size_t size =
      t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? 8
                                                                                              : 4;
  bool typed =
      t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || t == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ||
      t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  if (!typed)
    return -1;
  if (tp->has_raw_data) {
    if (tp->raw_data.len != (size_t)n * size)
      return -1;
    for (int64_t i = 0; i < n; i++)
      out[i] = raw_value(tp->raw_data.data + i * (int64_t)size, t);
    return (int)n;
  }
  size_t have = t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT   ? tp->n_float_data
                : t == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ? tp->n_int32_data
                : t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? tp->n_int64_data
                                                            : tp->n_double_data;
  if (have != (size_t)n)
    return -1;
  for (int64_t i = 0; i < n; i++)
    out[i] = t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT   ? tp->float_data[i]
             : t == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ? tp->int32_data[i]
             : t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? (double)tp->int64_data[i]
                                                         : tp->double_data[i];
  return (int)n;
}

/* Values of constant input i, which are needed: an error when absent. */
static int need_values(onnx_ctx_t *c, const Onnx__NodeProto *n, size_t i, double *out, int max,
                       int *count) {
  onnx_val_t *v;
  int rc = const_in(c, n, i, -1, &v);
  if (rc != SCHED_OK)
    return rc;
  *count = onnx_const_values(v, out, max);
  if (*count < 0)
    return onnx_node_error(c, n,
                           "the values of '%s' are needed but not stored in the model "
                           "(at most %d float/int elements)",
                           n->input[i], max);
  return SCHED_OK;
}

/* Integers from input i when present (newer opsets), else from attribute
 * `name` (older ones): axes, pads. */
static int input_or_attr(onnx_ctx_t *c, const Onnx__NodeProto *n, size_t i, const char *name,
                         double *out, int max, int *count) {
  *count = 0;
  if (has_in(n, i))
    return need_values(c, n, i, out, max, count);
  int64_t ints[8];
  int rc = attr_ints(c, n, name, ints, SCHED_MIN(max, 8), count);
  for (int k = 0; k < *count; k++)
    out[k] = (double)ints[k];
  return rc;
}

/* ---- emitting IR ops ---- */

/* A unique op name: the node's, else its output's, else with "#k". */
static void op_name(onnx_ctx_t *c, const Onnx__NodeProto *n, char *buf, size_t size) {
  const char *base = n->name && n->name[0] ? n->name : n->output[0];
  snprintf(buf, size, "%s", base);
  for (int k = 2; ir_names_get(&c->op_names, buf) >= 0; k++)
    snprintf(buf, size, "%s#%d", base, k);
}

/* Adds the IR op for node n; its output tensor takes n's output name and
 * rank. */
static int emit(onnx_ctx_t *c, const Onnx__NodeProto *n, ir_op_kind_t kind, const ir_attrs_t *a,
                const int *inputs, int n_inputs, int rank) {
  char name[256];
  op_name(c, n, name, sizeof name);
  int t = ir_graph_add_op(c->g, name, kind, a, inputs, n_inputs);
  int op = c->g->n_ops - 1;
  ir_names_put(&c->op_names, c->g->ops[op].name, op);
  ir_reader_rename_tensor(c->g, t, n->output[0]);
  int rc = ir_reader_infer_op(c->g, op, c->diag);
  if (rc != SCHED_OK) {
    char msg[SCHED_DIAG_MAX];
    snprintf(msg, sizeof msg, "%s", c->diag->msg);
    return sched_diag_set(c->diag, rc, "%s: %s", c->path, msg);
  }
  if (onnx_val_act(c, n->output[0], t, rank) < 0)
    return onnx_node_error(c, n, "output '%s' is already defined", n->output[0]);
  return SCHED_OK;
}

static int emit1(onnx_ctx_t *c, const Onnx__NodeProto *n, ir_op_kind_t kind, const ir_attrs_t *a,
                 const onnx_val_t *x) {
  return emit(c, n, kind, a, &x->tensor, 1, onnx_layout_rank(x));
}

/* n's output is another name for v. */
static int alias(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *v) {
  onnx_val_t copy = *v;
  if (onnx_val_add(c, n->output[0], &copy) < 0)
    return onnx_node_error(c, n, "output '%s' is already defined", n->output[0]);
  return SCHED_OK;
}

/* ---- windows: kernel, strides, dilations, pads, auto_pad ---- */

typedef struct {
  int nsp; /* spatial dims: 1 or 2 */
  int64_t k[2], s[2], d[2];
  int64_t begin[2], end[2];
} window_t;

static int check_range(const onnx_ctx_t *c, const Onnx__NodeProto *n, const char *what,
                       const int64_t *v, int count, int64_t lo) {
  for (int i = 0; i < count; i++)
    if (v[i] < lo || v[i] > IR_READER_MAX_WINDOW)
      return onnx_node_error(c, n, "%s value %lld is out of range %lld..%d", what, (long long)v[i],
                             (long long)lo, IR_READER_MAX_WINDOW);
  return SCHED_OK;
}

/* An ints attribute of nsp (or 2 * nsp for pads) values, defaulting to def. */
static int window_ints(const onnx_ctx_t *c, const Onnx__NodeProto *n, const char *name, int want,
                       int64_t def, int64_t lo, int64_t *out) {
  int count;
  int64_t v[4];
  int rc = attr_ints(c, n, name, v, 4, &count);
  if (rc != SCHED_OK)
    return rc;
  if (count != 0 && count != want)
    return onnx_node_error(c, n, "attribute '%s' has %d values, expected %d", name, count, want);
  for (int i = 0; i < want; i++)
    out[i] = count ? v[i] : def;
  return check_range(c, n, name, out, want, lo);
}

/* SAME_UPPER / SAME_LOWER: output ceil(in / stride), the padding split with
 * the odd one at the end (upper) or the beginning (lower). */
static void same_pads(window_t *w, const int64_t *in, bool lower) {
  for (int i = 0; i < w->nsp; i++) {
    int64_t out = (in[i] + w->s[i] - 1) / w->s[i];
    int64_t total = SCHED_MAX(0, (out - 1) * w->s[i] + (w->k[i] - 1) * w->d[i] + 1 - in[i]);
    w->begin[i] = lower ? total - total / 2 : total / 2;
    w->end[i] = total - w->begin[i];
  }
}

/* Reads strides, dilations, pads and auto_pad; w->k and w->nsp are set. */
static int read_window(const onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *x,
                       window_t *w) {
  int64_t pads[4];
  int rc = check_range(c, n, "kernel", w->k, w->nsp, 1);
  if (rc == SCHED_OK)
    rc = window_ints(c, n, "strides", w->nsp, 1, 1, w->s);
  if (rc == SCHED_OK)
    rc = window_ints(c, n, "dilations", w->nsp, 1, 1, w->d);
  if (rc == SCHED_OK)
    rc = window_ints(c, n, "pads", 2 * w->nsp, 0, 0, pads);
  if (rc != SCHED_OK)
    return rc;
  for (int i = 0; i < w->nsp; i++) {
    w->begin[i] = pads[i];
    w->end[i] = pads[w->nsp + i];
  }
  if (attr_is(n, "auto_pad", "SAME_UPPER", false) || attr_is(n, "auto_pad", "SAME_LOWER", false))
    same_pads(w, x->dims + 2, attr_is(n, "auto_pad", "SAME_LOWER", false));
  else if (attr_is(n, "auto_pad", "VALID", false))
    memset(w->begin, 0, sizeof w->begin), memset(w->end, 0, sizeof w->end);
  else if (!attr_is(n, "auto_pad", "NOTSET", true))
    return onnx_node_error(c, n, "unknown auto_pad value");
  return SCHED_OK;
}

/* Window into IR attrs, plus a Pad folded into the input. */
static void window_attrs(const window_t *w, const onnx_val_t *x, ir_attrs_t *a) {
  bool two = w->nsp == 2;
  a->kernel_h = (int32_t)w->k[0], a->kernel_w = two ? (int32_t)w->k[1] : 1;
  a->stride_h = (int32_t)w->s[0], a->stride_w = two ? (int32_t)w->s[1] : 1;
  a->dilation_h = (int32_t)w->d[0], a->dilation_w = two ? (int32_t)w->d[1] : 1;
  a->pad_top = (int32_t)w->begin[0] + x->pad[0], a->pad_bottom = (int32_t)w->end[0] + x->pad[2];
  a->pad_left = (two ? (int32_t)w->begin[1] : 0) + x->pad[1];
  a->pad_right = (two ? (int32_t)w->end[1] : 0) + x->pad[3];
}

/* The activation input of a conv or pool: rank 3 or 4 (1-D or 2-D). */
static int spatial_in(onnx_ctx_t *c, const Onnx__NodeProto *n, onnx_val_t **x) {
  int rc = act_in(c, n, 0, x);
  if (rc == SCHED_OK && ((*x)->rank < 3 || (*x)->rank > 4))
    rc = onnx_node_error(c, n, "input '%s' has %d dims; only 1-D and 2-D (rank 3, 4) supported",
                         n->input[0], (*x)->rank);
  return rc;
}

/* ---- convolutions ---- */

/* Weight W of rank == x's, and the optional bias of `channels` values. */
static int conv_weight(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *x,
                       onnx_val_t **w) {
  int rc = const_in(c, n, 1, x->rank, w);
  if (rc == SCHED_OK && elems_of(*w) == 0)
    rc = onnx_node_error(c, n, "weight '%s' is empty", n->input[1]);
  return rc;
}

static int check_bias(onnx_ctx_t *c, const Onnx__NodeProto *n, int64_t channels) {
  onnx_val_t *b;
  if (!has_in(n, 2))
    return SCHED_OK;
  int rc = const_in(c, n, 2, 1, &b);
  if (rc == SCHED_OK && b->dims[0] != channels)
    rc = onnx_node_error(c, n, "bias '%s' has %lld values, the op has %lld output channels",
                         n->input[2], (long long)b->dims[0], (long long)channels);
  return rc;
}

static int conv_group(const onnx_ctx_t *c, const Onnx__NodeProto *n, int64_t *group) {
  *group = onnx_attr_int(n, "group", 1);
  if (*group < 1 || *group > IR_READER_MAX_CHANNELS)
    return onnx_node_error(c, n, "group %lld is out of range 1..%d", (long long)*group,
                           IR_READER_MAX_CHANNELS);
  return SCHED_OK;
}

static int convert_conv(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x, *w;
  int64_t group;
  int rc = spatial_in(c, n, &x);
  if (rc == SCHED_OK)
    rc = conv_weight(c, n, x, &w);
  if (rc == SCHED_OK)
    rc = conv_group(c, n, &group);
  if (rc != SCHED_OK)
    return rc;
  if (w->dims[1] * group != x->dims[1])
    return onnx_node_error(c, n,
                           "weight '%s' expects %lld input channels (%lld per group x %lld "
                           "groups), input '%s' has %lld",
                           n->input[1], (long long)(w->dims[1] * group), (long long)w->dims[1],
                           (long long)group, n->input[0], (long long)x->dims[1]);
  if (w->dims[0] > IR_READER_MAX_CHANNELS)
    return onnx_node_error(c, n, "%lld output channels, at most %d", (long long)w->dims[0],
                           IR_READER_MAX_CHANNELS);
  window_t win = {.nsp = x->rank - 2, .k = {w->dims[2], x->rank == 4 ? w->dims[3] : 1}};
  ir_attrs_t a = {
      .groups = (int32_t)group, .out_channels = (int32_t)w->dims[0], .has_bias = has_in(n, 2)};
  rc = read_window(c, n, x, &win);
  if (rc == SCHED_OK)
    rc = check_bias(c, n, w->dims[0]);
  if (rc != SCHED_OK)
    return rc;
  window_attrs(&win, x, &a);
  return emit1(c, n, IR_OP_CONV, &a, x);
}

/* output_shape (when given) fixes the total padding. */
static int tconv_output_shape(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *x,
                              window_t *w, const int64_t *opad) {
  int64_t out[2];
  int count, rc = attr_ints(c, n, "output_shape", out, 2, &count);
  if (rc != SCHED_OK || count == 0)
    return rc;
  if (count != w->nsp)
    return onnx_node_error(c, n, "attribute 'output_shape' has %d values, expected %d", count,
                           w->nsp);
  for (int i = 0; i < w->nsp; i++) {
    int64_t total = w->s[i] * (x->dims[2 + i] - 1) + opad[i] + (w->k[i] - 1) * w->d[i] + 1 - out[i];
    if (total < 0 || total > 2 * IR_READER_MAX_WINDOW)
      return onnx_node_error(c, n, "output_shape %lld cannot be reached", (long long)out[i]);
    w->begin[i] = total / 2;
    w->end[i] = total - total / 2;
  }
  return SCHED_OK;
}

static int convert_conv_transpose(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x, *w;
  int64_t group, opad[2];
  int rc = spatial_in(c, n, &x);
  if (rc == SCHED_OK)
    rc = conv_weight(c, n, x, &w);
  if (rc == SCHED_OK)
    rc = conv_group(c, n, &group);
  if (rc != SCHED_OK)
    return rc;
  if (w->dims[0] != x->dims[1])
    return onnx_node_error(c, n, "weight '%s' expects %lld input channels, input '%s' has %lld",
                           n->input[1], (long long)w->dims[0], n->input[0], (long long)x->dims[1]);
  int64_t out_c = w->dims[1] * group;
  if (out_c > IR_READER_MAX_CHANNELS)
    return onnx_node_error(c, n, "%lld output channels, at most %d", (long long)out_c,
                           IR_READER_MAX_CHANNELS);
  window_t win = {.nsp = x->rank - 2, .k = {w->dims[2], x->rank == 4 ? w->dims[3] : 1}};
  rc = read_window(c, n, x, &win);
  if (rc == SCHED_OK)
    rc = window_ints(c, n, "output_padding", win.nsp, 0, 0, opad);
  if (rc == SCHED_OK)
    rc = tconv_output_shape(c, n, x, &win, opad);
  if (rc == SCHED_OK)
    rc = check_bias(c, n, out_c);
  if (rc != SCHED_OK)
    return rc;
  ir_attrs_t a = {.groups = (int32_t)group,
                  .out_channels = (int32_t)out_c,
                  .has_bias = has_in(n, 2),
                  .output_pad_h = (int32_t)opad[0],
                  .output_pad_w = win.nsp == 2 ? (int32_t)opad[1] : 0};
  window_attrs(&win, x, &a);
  return emit1(c, n, IR_OP_TRANSPOSE_CONV, &a, x);
}

/* ---- fully connected ---- */

/* x (rank 2, K features) times a constant [K, M] (or [M, K] transposed). */
static int emit_fc(onnx_ctx_t *c, const Onnx__NodeProto *n, bool trans_b, bool bias) {
  onnx_val_t *x, *w;
  int rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = const_in(c, n, 1, 2, &w);
  if (rc != SCHED_OK)
    return rc;
  if (x->rank != 2)
    return onnx_node_error(c, n, "input '%s' has %d dims; only 2-D [batch, features] supported",
                           n->input[0], x->rank);
  int64_t k = trans_b ? w->dims[1] : w->dims[0], m = trans_b ? w->dims[0] : w->dims[1];
  if (k != x->dims[1])
    return onnx_node_error(c, n, "weight '%s' expects %lld input features, input '%s' has %lld",
                           n->input[1], (long long)k, n->input[0], (long long)x->dims[1]);
  if (m < 1 || m > IR_READER_MAX_CHANNELS)
    return onnx_node_error(c, n, "%lld output features, expected 1..%d", (long long)m,
                           IR_READER_MAX_CHANNELS);
  ir_attrs_t a = {.out_channels = (int32_t)m, .has_bias = bias};
  return emit1(c, n, IR_OP_FULLY_CONNECTED, &a, x);
}

static int convert_gemm(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  if (onnx_attr_int(n, "transA", 0) != 0)
    return onnx_node_error(c, n, "transA=1 is not supported");
  return emit_fc(c, n, onnx_attr_int(n, "transB", 0) != 0, has_in(n, 2));
}

/* Sequence activations ([.., M, K]) times a constant [K, N] or another
 * activation [.., K, N]: a matmul; rank-2 [batch, K] x constant stays a
 * fully connected layer. */
static int convert_matmul(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x, *y;
  int rc = n->n_input == 2 ? act_in(c, n, 0, &x) : onnx_node_error(c, n, "expected 2 inputs");
  if (rc == SCHED_OK)
    rc = find_in(c, n, 1, &y);
  if (rc != SCHED_OK)
    return rc;
  if (x->rank <= 2 && y->is_const)
    return emit_fc(c, n, false, false);
  if (x->rank < 3 || x->rank > 4 || y->rank < 2 || y->rank > 4)
    return onnx_node_error(c, n, "ranks %d x %d are not supported (3-D or 4-D times 2-D..4-D)",
                           x->rank, y->rank);
  int64_t k = y->dims[y->rank - 2], cols = y->dims[y->rank - 1];
  if (k != x->dims[x->rank - 1])
    return onnx_node_error(c, n, "inner dims differ: '%s' has %lld, '%s' has %lld", n->input[0],
                           (long long)x->dims[x->rank - 1], n->input[1], (long long)k);
  int rank = SCHED_MAX(x->rank, y->rank) | ONNX_SEQ;
  if (y->is_const) {
    if (y->rank != 2 || cols < 1 || cols > IR_READER_MAX_CHANNELS)
      return onnx_node_error(c, n, "weight '%s' must be [K, N] with N in 1..%d", n->input[1],
                             IR_READER_MAX_CHANNELS);
    ir_attrs_t a = {.out_channels = (int32_t)cols};
    return emit(c, n, IR_OP_MATMUL, &a, &x->tensor, 1, rank);
  }
  if (y->rank == 2 && !y->seq)
    return onnx_node_error(c, n, "a 2-D second activation is not supported");
  return emit(c, n, IR_OP_MATMUL, NULL, (int[]){x->tensor, y->tensor}, 2, rank);
}

/* ---- pools ---- */

/* ceil_mode: pad the end so that floor division gives the ceil output
 * (a last window that would start in the padding is dropped, as ONNX does). */
static void ceil_pads(window_t *w, const int64_t *in) {
  for (int i = 0; i < w->nsp; i++) {
    int64_t span = in[i] + w->begin[i] + w->end[i] - ((w->k[i] - 1) * w->d[i] + 1);
    if (span < 0)
      continue;
    int64_t out = (span + w->s[i] - 1) / w->s[i] + 1;
    if ((out - 1) * w->s[i] >= in[i] + w->begin[i])
      out--;
    w->end[i] += SCHED_MAX(0, (out - 1) * w->s[i] - span);
  }
}

static int convert_pool(onnx_ctx_t *c, const Onnx__NodeProto *n, ir_op_kind_t kind) {
  onnx_val_t *x = NULL;
  int rc = spatial_in(c, n, &x);
  window_t win = {.nsp = x ? x->rank - 2 : 2};
  int count;
  if (rc == SCHED_OK)
    rc = attr_ints(c, n, "kernel_shape", win.k, 2, &count);
  if (rc == SCHED_OK && count != win.nsp)
    rc = onnx_node_error(c, n, "attribute 'kernel_shape' has %d values, expected %d", count,
                         win.nsp);
  if (rc == SCHED_OK)
    rc = read_window(c, n, x, &win);
  if (rc != SCHED_OK)
    return rc;
  if (win.nsp == 1)
    win.k[1] = 1;
  if (onnx_attr_int(n, "ceil_mode", 0))
    ceil_pads(&win, x->dims + 2);
  ir_attrs_t a = {0};
  window_attrs(&win, x, &a);
  return emit1(c, n, kind, &a, x);
}

static int convert_maxpool(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_pool(c, n, IR_OP_MAXPOOL);
}

static int convert_avgpool(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_pool(c, n, IR_OP_AVGPOOL);
}

static int convert_global_avgpool(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  int rc = spatial_in(c, n, &x);
  return rc != SCHED_OK ? rc : emit1(c, n, IR_OP_GLOBAL_AVGPOOL, NULL, x);
}

static int convert_global_maxpool(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  int rc = spatial_in(c, n, &x);
  if (rc != SCHED_OK)
    return rc;
  ir_shape_t s = c->g->tensors[x->tensor].shape;
  if (s.h > IR_READER_MAX_WINDOW || s.w > IR_READER_MAX_WINDOW)
    return onnx_node_error(c, n, "window %lldx%lld is too large", (long long)s.h, (long long)s.w);
  ir_attrs_t a = {.kernel_h = (int32_t)s.h, .kernel_w = (int32_t)s.w};
  return emit1(c, n, IR_OP_MAXPOOL, &a, x);
}

/* ---- folding into the op before ---- */

/* The conv / transpose conv / fully connected op producing x when x is read
 * only by this node, or -1. */
static int foldable_producer(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *x,
                             size_t i) {
  int op = c->g->tensors[x->tensor].producer;
  if (op < 0 || x->pad[0] || x->pad[1] || x->pad[2] || x->pad[3])
    return -1;
  ir_op_kind_t k = c->g->ops[op].kind;
  bool dpu = k == IR_OP_CONV || k == IR_OP_TRANSPOSE_CONV || k == IR_OP_FULLY_CONNECTED ||
             (k == IR_OP_MATMUL && c->g->ops[op].attrs.out_channels > 0);
  return dpu && onnx_consumers(c, n->input[i]) == 1 ? op : -1;
}

/* Folds a per-channel affine into op: it gains a bias. */
static int fold_bias(onnx_ctx_t *c, const Onnx__NodeProto *n, int op, const onnx_val_t *x) {
  c->g->ops[op].attrs.has_bias = true;
  return alias(c, n, x);
}

/* BatchNormalization: folded into the conv before it, else a depthwise 1x1
 * conv with bias (a per-channel scale and shift). */
static int convert_batchnorm(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x, *scale;
  int rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = const_in(c, n, 1, 1, &scale);
  if (rc != SCHED_OK)
    return rc;
  if (x->rank < 2 || scale->dims[0] != x->dims[1])
    return onnx_node_error(c, n, "scale '%s' has %lld values, input '%s' has %lld channels",
                           n->input[1], (long long)scale->dims[0], n->input[0],
                           (long long)(x->rank >= 2 ? x->dims[1] : 0));
  int op = foldable_producer(c, n, x, 0);
  if (op >= 0)
    return fold_bias(c, n, op, x);
  int32_t ch = (int32_t)x->dims[1];
  ir_attrs_t a = {.kernel_h = 1, .kernel_w = 1, .groups = ch, .out_channels = ch, .has_bias = true};
  return emit1(c, n, IR_OP_CONV, &a, x);
}

/* ---- elementwise ---- */

/* b broadcasts to a (ONNX rules, right-aligned). */
static bool broadcasts(const onnx_val_t *a, const onnx_val_t *b) {
  if (b->rank > a->rank)
    return false;
  for (int i = 1; i <= b->rank; i++) {
    int64_t da = a->dims[a->rank - i], db = b->dims[b->rank - i];
    if (db != 1 && db != da)
      return false;
  }
  return true;
}

/* The IR shapes broadcast the same way (NCHW-aligned) to big's. */
static bool ir_broadcasts(ir_shape_t big, ir_shape_t small) {
  return (small.n == 1 || small.n == big.n) && (small.c == 1 || small.c == big.c) &&
         (small.h == 1 || small.h == big.h) && (small.w == 1 || small.w == big.w);
}

static bool same_dims(const onnx_val_t *a, const onnx_val_t *b) {
  return a->rank == b->rank && memcmp(a->dims, b->dims, (size_t)a->rank * sizeof *a->dims) == 0;
}

static int emit_generic(onnx_ctx_t *c, const Onnx__NodeProto *n, const int *inputs, int count,
                        int rank) {
  int rc = emit(c, n, IR_OP_GENERIC, NULL, inputs, count, rank);
  if (rc == SCHED_OK)
    c->g->ops[c->g->n_ops - 1].generic_type = sched_xstrdup(n->op_type);
  return rc;
}

/* Activation x with constant k: a bias Add folds into the op before;
 * otherwise a generic per-element op. */
static int eltwise_const(onnx_ctx_t *c, const Onnx__NodeProto *n, onnx_val_t *x, size_t xi,
                         const onnx_val_t *k) {
  if (!broadcasts(x, k))
    return onnx_node_error(c, n, "constant '%s' does not broadcast to input '%s'", n->input[1 - xi],
                           n->input[xi]);
  /* channels: dim 1 of an image, the last dim of a sequence */
  int ch_dim = x->seq ? x->rank - 1 : 1;
  int64_t ch = x->rank >= 2 ? x->dims[ch_dim] : 0;
  bool per_channel =
      elems_of(k) == ch && (k->rank == 1 || (k->rank == x->rank && k->dims[ch_dim] == ch));
  int op = foldable_producer(c, n, x, xi);
  if (strcmp(n->op_type, "Add") == 0 && per_channel && op >= 0 && !c->g->ops[op].attrs.has_bias)
    return fold_bias(c, n, op, x);
  return emit_generic(c, n, &x->tensor, 1, onnx_layout_rank(x));
}

/* The Sigmoid op of x * sigmoid(x) (in either order) when the product is
 * its only reader, else -1. */
static int silu_sigmoid(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *a,
                        const onnx_val_t *b) {
  for (int i = 0; i < 2; i++) {
    const onnx_val_t *x = i ? b : a, *s = i ? a : b;
    int op = c->g->tensors[s->tensor].producer;
    if (op >= 0 && c->g->ops[op].kind == IR_OP_SIGMOID && c->g->ops[op].inputs[0] == x->tensor &&
        onnx_consumers(c, n->input[1 - i]) == 1)
      return op;
  }
  return -1;
}

static int convert_eltwise(onnx_ctx_t *c, const Onnx__NodeProto *n, ir_op_kind_t kind) {
  onnx_val_t *a, *b;
  if (n->n_input != 2)
    return onnx_node_error(c, n, "expected 2 inputs, got %zu", n->n_input);
  int rc = find_in(c, n, 0, &a);
  if (rc == SCHED_OK)
    rc = find_in(c, n, 1, &b);
  if (rc != SCHED_OK)
    return rc;
  if (a->is_const && b->is_const) {
    onnx_val_t v = a->rank >= b->rank ? *a : *b;
    v.tp = NULL;
    v.folded = false; /* values unknown: onnx_fold_const took the foldable ones */
    return alias(c, n, &v);
  }
  if (kind == IR_OP_MUL && !a->is_const && !b->is_const && same_dims(a, b)) {
    int op = silu_sigmoid(c, n, a, b);
    if (op >= 0) { /* x * sigmoid(x): the sigmoid becomes SiLU (swish) */
      c->g->ops[op].kind = IR_OP_SWISH;
      return alias(c, n, c->g->tensors[a->tensor].producer == op ? a : b);
    }
  }
  if (a->is_const || b->is_const)
    return a->is_const ? eltwise_const(c, n, b, 1, a) : eltwise_const(c, n, a, 0, b);
  if (same_dims(a, b))
    return emit(c, n, kind, NULL, (int[]){a->tensor, b->tensor}, 2, onnx_layout_rank(a));
  if (broadcasts(a, b) || broadcasts(b, a)) {
    const onnx_val_t *big = broadcasts(a, b) ? a : b, *small = big == a ? b : a;
    int in[2] = {big->tensor, small->tensor};
    if (ir_broadcasts(c->g->tensors[big->tensor].shape, c->g->tensors[small->tensor].shape))
      return emit(c, n, kind, NULL, in, 2, onnx_layout_rank(big));
    return emit_generic(c, n, in, 2, onnx_layout_rank(big)); /* layouts align differently */
  }
  return onnx_node_error(c, n, "input shapes %s and %s do not broadcast",
                         ir_i_shape_str(c->g->tensors[a->tensor].shape).s,
                         ir_i_shape_str(c->g->tensors[b->tensor].shape).s);
}

static int convert_add(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_eltwise(c, n, IR_OP_ADD);
}
static int convert_sub(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_eltwise(c, n, IR_OP_SUB);
}
static int convert_mul(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_eltwise(c, n, IR_OP_MUL);
}
static int convert_div(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_eltwise(c, n, IR_OP_DIV);
}
static int convert_pow(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_eltwise(c, n, IR_OP_POW);
}

/* ---- activations ---- */

static int emit_act(onnx_ctx_t *c, const Onnx__NodeProto *n, ir_op_kind_t kind,
                    const ir_attrs_t *a) {
  onnx_val_t *x;
  int rc = act_in(c, n, 0, &x);
  return rc != SCHED_OK ? rc : emit1(c, n, kind, a, x);
}

#define SIMPLE_ACT(fn, kind)                                                                       \
  static int fn(onnx_ctx_t *c, const Onnx__NodeProto *n) { return emit_act(c, n, kind, NULL); }
SIMPLE_ACT(convert_relu, IR_OP_RELU)
SIMPLE_ACT(convert_sigmoid, IR_OP_SIGMOID)
SIMPLE_ACT(convert_tanh, IR_OP_TANH)
SIMPLE_ACT(convert_gelu, IR_OP_GELU)
SIMPLE_ACT(convert_sqrt, IR_OP_SQRT)
SIMPLE_ACT(convert_reciprocal, IR_OP_RECIPROCAL)
SIMPLE_ACT(convert_hardswish, IR_OP_HARDSWISH)

static int convert_leaky_relu(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  ir_attrs_t a = {.alpha = attr_float(n, "alpha", 0.01f)};
  return emit_act(c, n, IR_OP_LEAKY_RELU, &a);
}

static int convert_hardsigmoid(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  ir_attrs_t a = {.alpha = attr_float(n, "alpha", 0.2f)};
  return emit_act(c, n, IR_OP_HARDSIGMOID, &a);
}

/* Clip bound: input i (opset >= 11) or attribute (older), else def. */
static int clip_bound(onnx_ctx_t *c, const Onnx__NodeProto *n, size_t i, const char *name,
                      float def, float *out) {
  *out = attr_float(n, name, def);
  if (!has_in(n, i))
    return SCHED_OK;
  double v = 0;
  int count, rc = need_values(c, n, i, &v, 1, &count);
  if (rc == SCHED_OK && count != 1)
    rc = onnx_node_error(c, n, "'%s' must be a scalar", n->input[i]);
  *out = (float)SCHED_MAX(-1e30, SCHED_MIN(1e30, v));
  return rc;
}

static int convert_clip(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  ir_attrs_t a = {0};
  int rc = clip_bound(c, n, 1, "min", -INFINITY, &a.clamp_min);
  if (rc == SCHED_OK)
    rc = clip_bound(c, n, 2, "max", INFINITY, &a.clamp_max);
  if (rc == SCHED_OK && (isnan(a.clamp_min) || isnan(a.clamp_max) || a.clamp_min > a.clamp_max))
    rc = onnx_node_error(c, n, "bounds %g..%g are not a range", (double)a.clamp_min,
                         (double)a.clamp_max);
  if (rc != SCHED_OK)
    return rc;
  bool relu = a.clamp_min == 0 && isinf(a.clamp_max) && a.clamp_max > 0;
  return emit_act(c, n, relu ? IR_OP_RELU : IR_OP_CLAMP, relu ? NULL : &a);
}

static int convert_prelu(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x, *slope;
  int rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = const_in(c, n, 1, -1, &slope);
  if (rc != SCHED_OK)
    return rc;
  int64_t ch = x->rank >= 2 ? x->dims[1] : 1, e = elems_of(slope);
  if (e != 1 && e != ch)
    return onnx_node_error(c, n, "slope '%s' has %lld values, input '%s' has %lld channels",
                           n->input[1], (long long)e, n->input[0], (long long)ch);
  return emit1(c, n, IR_OP_PRELU, NULL, x);
}

int onnx_convert_gelu_of(onnx_ctx_t *c, const Onnx__NodeProto *n, int x) {
  onnx_val_t v = c->vals[x];
  if (v.is_const)
    return onnx_node_error(c, n, "GELU of a constant is not supported");
  return emit1(c, n, IR_OP_GELU, NULL, &v);
}

/* ---- transformer ops: reductions over an axis ---- */

/* One activation input and the IR axis of attribute `key` (default def). */
static int axis_op(onnx_ctx_t *c, const Onnx__NodeProto *n, const char *key, int64_t def,
                   onnx_val_t **x, ir_attrs_t *a) {
  int rc = act_in(c, n, 0, x);
  if (rc == SCHED_OK && !onnx_ir_axis(*x, onnx_attr_int(n, key, def), &a->axis))
    rc = onnx_node_error(c, n, "%s %lld is out of range for %d dims", key,
                         (long long)onnx_attr_int(n, key, def), (*x)->rank);
  return rc;
}

/* Softmax over `axis` (-1 since opset 13; older exports name it). */
static int convert_softmax(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  ir_attrs_t a = {0};
  int rc = axis_op(c, n, "axis", -1, &x, &a);
  return rc != SCHED_OK ? rc : emit1(c, n, IR_OP_SOFTMAX, &a, x);
}

/* LayerNormalization (opset 17) over the last dim; scale and bias are
 * constants of that dim. */
static int convert_layernorm(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  ir_attrs_t a = {0};
  int rc = axis_op(c, n, "axis", -1, &x, &a);
  int64_t axis = onnx_attr_int(n, "axis", -1);
  if (rc == SCHED_OK && axis != -1 && axis != x->rank - 1)
    rc = onnx_node_error(c, n, "normalising over more than the last dim is not supported");
  return rc != SCHED_OK ? rc : emit1(c, n, IR_OP_LAYERNORM, &a, x);
}

/* ReduceMean over one axis with keepdims (attribute axes to opset 17,
 * input since 18). */
static int convert_reduce_mean(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  double axes[8];
  int count = 0, rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = input_or_attr(c, n, 1, "axes", axes, 8, &count);
  if (rc != SCHED_OK)
    return rc;
  if (count != 1 || onnx_attr_int(n, "keepdims", 1) != 1)
    return onnx_node_error(c, n, "only one axis with keepdims=1 is supported");
  ir_attrs_t a = {0};
  if (!onnx_ir_axis(x, (int64_t)axes[0], &a.axis))
    return onnx_node_error(c, n, "axis %g is out of range for %d dims", axes[0], x->rank);
  return emit1(c, n, IR_OP_REDUCE_MEAN, &a, x);
}

/* ---- data movement ---- */

static int convert_concat(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  int inputs[IR_MAX_INPUTS];
  onnx_val_t *x = NULL;
  if (n->n_input < 1 || n->n_input > IR_MAX_INPUTS)
    return onnx_node_error(c, n, "%zu inputs, expected 1..%d", n->n_input, IR_MAX_INPUTS);
  for (size_t i = 0; i < n->n_input; i++) {
    int rc = act_in(c, n, i, &x);
    if (rc != SCHED_OK)
      return rc;
    inputs[i] = x->tensor;
  }
  ir_attrs_t a = {0};
  if (!onnx_ir_axis(x, onnx_attr_int(n, "axis", 1), &a.axis))
    return onnx_node_error(c, n, "axis %lld is out of range for %d dims",
                           (long long)onnx_attr_int(n, "axis", 1), x->rank);
  return emit(c, n, IR_OP_CONCAT, &a, inputs, (int)n->n_input, onnx_layout_rank(x));
}

/* An integer factor out of a float scale, else 0. */
static int32_t int_scale(double s) {
  return s >= 1 && s <= IR_READER_MAX_WINDOW && s == floor(s) ? (int32_t)s : 0;
}

/* Scale from "scales" (input or attribute) or from "sizes". */
static int resize_scale(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *x,
                        int32_t *scale) {
  double v[8];
  int count = 0, rc = SCHED_OK;
  bool upsample = strcmp(n->op_type, "Upsample") == 0;
  size_t si = upsample || n->n_input == 2 ? 1 : 2; /* Resize-10: X, scales */
  const Onnx__AttributeProto *attr_scales = onnx_attr(n, "scales");
  if (attr_scales)
    for (size_t i = 0; i < attr_scales->n_floats && i < 8; i++)
      v[count++] = attr_scales->floats[i];
  else if (has_in(n, si) &&
           (onnx_val_find(c, n->input[si]) == NULL || elems_of(onnx_val_find(c, n->input[si])) > 0))
    rc = need_values(c, n, si, v, 8, &count);
  else if (!upsample && has_in(n, 3)) {
    rc = need_values(c, n, 3, v, 8, &count);
    for (int i = 0; rc == SCHED_OK && i < count && i < x->rank; i++)
      v[i] = v[i] / (double)x->dims[i];
  }
  if (rc != SCHED_OK)
    return rc;
  if (count != x->rank || x->rank != 4)
    return onnx_node_error(c, n, "needs 4 scales or sizes for a 4-D input, got %d", count);
  *scale = int_scale(v[2]);
  if (v[0] != 1 || v[1] != 1 || v[2] != v[3] || *scale == 0)
    return onnx_node_error(c, n,
                           "scales %gx%gx%gx%g: only equal integer scales of H and W are "
                           "supported",
                           v[0], v[1], v[2], v[3]);
  return SCHED_OK;
}

static int convert_resize(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  ir_attrs_t a = {.upsample_mode = IR_UPSAMPLE_NEAREST};
  int rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = resize_scale(c, n, x, &a.scale);
  if (rc != SCHED_OK)
    return rc;
  bool linear = attr_is(n, "mode", "linear", false) || attr_is(n, "mode", "bilinear", false) ||
                attr_is(n, "mode", "cubic", false);
  if (linear)
    a.upsample_mode = attr_is(n, "coordinate_transformation_mode", "align_corners", false)
                          ? IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS
                          : IR_UPSAMPLE_BILINEAR;
  else if (!attr_is(n, "mode", "nearest", true))
    return onnx_node_error(c, n, "unknown mode");
  return emit1(c, n, IR_OP_UPSAMPLE, &a, x);
}

static int convert_depth_to_space(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  int64_t b = onnx_attr_int(n, "blocksize", 0);
  int rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK && (b < 1 || b > 1024))
    rc = onnx_node_error(c, n, "blocksize %lld is out of range 1..1024", (long long)b);
  if (rc == SCHED_OK && x->rank != 4)
    rc = onnx_node_error(c, n, "input '%s' has %d dims, expected 4", n->input[0], x->rank);
  ir_attrs_t a = {.scale = (int32_t)b};
  return rc != SCHED_OK ? rc : emit1(c, n, IR_OP_DEPTH_TO_SPACE, &a, x);
}

/* Reshape to ONNX dims `to` (rank <= 4, all known). */
static int emit_reshape(onnx_ctx_t *c, const Onnx__NodeProto *n, const onnx_val_t *x,
                        const int64_t *to, int rank) {
  if (x->seq || x->rank == 3)
    rank |= ONNX_SEQ;
  ir_attrs_t a = {.reshape_to = onnx_to_nchw(rank, to)};
  int rc = ir_reader_check_shape(a.reshape_to, n->output[0], NULL);
  if (rc != SCHED_OK || ir_shape_elems(a.reshape_to) != elems_of(x))
    return onnx_node_error(c, n, "cannot reshape %s to %s",
                           ir_i_shape_str(c->g->tensors[x->tensor].shape).s,
                           ir_i_shape_str(a.reshape_to).s);
  return emit(c, n, IR_OP_RESHAPE, &a, &x->tensor, 1, rank);
}

static int convert_reshape(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  double v[8];
  int count, rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = need_values(c, n, 1, v, 8, &count);
  if (rc != SCHED_OK)
    return rc;
  if (count > 4)
    return onnx_node_error(c, n, "target has %d dims, at most 4 supported", count);
  int64_t to[4], known = 1;
  int unknown = -1;
  bool allowzero = onnx_attr_int(n, "allowzero", 0) != 0;
  for (int i = 0; i < count; i++) {
    if (!(v[i] >= -1 && v[i] <= (double)IR_READER_MAX_DIM))
      return onnx_node_error(c, n, "target dim %d is %g", i, v[i]);
    to[i] = (int64_t)v[i];
    if (to[i] == 0 && !allowzero && i < x->rank)
      to[i] = x->dims[i];
    if (to[i] == -1 && unknown < 0)
      unknown = i;
    else if (to[i] <= 0 || known > IR_READER_MAX_ELEMS / to[i])
      return onnx_node_error(c, n, "target dim %d is %lld", i, (long long)to[i]);
    else
      known *= to[i];
  }
  if (unknown >= 0)
    to[unknown] = elems_of(x) / known;
  return emit_reshape(c, n, x, to, count);
}

/* Unsqueeze / Squeeze of an activation: a reshape to its new dims (axes
 * as attribute before opset 13, as input since). */
static int convert_squeeze_like(onnx_ctx_t *c, const Onnx__NodeProto *n, bool unsqueeze) {
  onnx_val_t *x;
  double axes[8];
  int na = 0, rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = input_or_attr(c, n, 1, "axes", axes, 8, &na);
  if (rc != SCHED_OK)
    return rc;
  int rank = unsqueeze ? x->rank + na : x->rank, out_rank = 0;
  int64_t to[ONNX_MAX_RANK];
  for (int i = 0, j = 0; i < rank && i < ONNX_MAX_RANK; i++) {
    bool listed = false;
    for (int k = 0; k < na; k++)
      listed = listed || axes[k] == i || axes[k] + rank == i;
    if (unsqueeze)
      to[out_rank++] = listed ? 1 : x->dims[j++];
    else if (!(listed || (na == 0 && x->dims[i] == 1)))
      to[out_rank++] = x->dims[i];
  }
  if (out_rank > 4)
    return onnx_node_error(c, n, "%d dims, at most 4 supported", out_rank);
  return emit_reshape(c, n, x, to, out_rank);
}

static int convert_unsqueeze(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_squeeze_like(c, n, true);
}

static int convert_squeeze(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return convert_squeeze_like(c, n, false);
}

static int convert_flatten(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  int rc = act_in(c, n, 0, &x);
  if (rc != SCHED_OK)
    return rc;
  int64_t axis = onnx_attr_int(n, "axis", 1);
  if (axis < 0)
    axis += x->rank;
  if (axis < 0 || axis > x->rank)
    return onnx_node_error(c, n, "axis %lld is out of range",
                           (long long)onnx_attr_int(n, "axis", 1));
  int64_t to[2] = {1, 1};
  for (int i = 0; i < x->rank; i++)
    to[i >= axis] *= x->dims[i];
  return emit_reshape(c, n, x, to, 2);
}

/* Position of an IR axis in NCHW order (perm indices). */
static int nchw_index(ir_axis_t axis) {
  switch (axis) {
  case IR_AXIS_N: return 0;
  case IR_AXIS_H: return 2;
  case IR_AXIS_W: return 3;
  default: return 1;
  }
}

static int convert_transpose(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  int64_t p[4];
  int count, rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = attr_ints(c, n, "perm", p, 4, &count);
  if (rc != SCHED_OK)
    return rc;
  if (x->rank > 4 || (count != 0 && count != x->rank))
    return onnx_node_error(c, n, "perm has %d values, input '%s' has %d dims", count, n->input[0],
                           x->rank);
  if (x->rank <= 1)
    return alias(c, n, x);
  ir_attrs_t a = {.perm = {0, 1, 2, 3}};
  onnx_val_t out = *x; /* the output's layout: the input's */
  for (int i = 0; i < x->rank; i++) {
    int64_t v = count ? p[i] : x->rank - 1 - i;
    if (v < 0 || v >= x->rank)
      return onnx_node_error(c, n, "perm value %lld is out of range", (long long)v);
    ir_axis_t to, from;
    onnx_ir_axis(&out, i, &to);
    onnx_ir_axis(x, v, &from);
    a.perm[nchw_index(to)] = nchw_index(from);
  }
  return emit1(c, n, IR_OP_TRANSPOSE, &a, x);
}

/* Slice of one axis with step 1 (starts, ends, axes as inputs, opset 10+). */
static int convert_slice(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  double start[8], end[8], axes[8] = {0}, steps[8] = {1};
  int ns = 0, ne = 0, na = 1, nst = 1, rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = need_values(c, n, 1, start, 8, &ns);
  if (rc == SCHED_OK)
    rc = need_values(c, n, 2, end, 8, &ne);
  if (rc == SCHED_OK && has_in(n, 3))
    rc = need_values(c, n, 3, axes, 8, &na);
  if (rc == SCHED_OK && has_in(n, 4))
    rc = need_values(c, n, 4, steps, 8, &nst);
  if (rc != SCHED_OK)
    return rc;
  if (ns != 1 || ne != 1 || na != 1 || nst != 1 || steps[0] != 1)
    return onnx_node_error(c, n, "only a slice of one axis with step 1 is supported");
  ir_attrs_t a = {0};
  if (!onnx_ir_axis(x, (int64_t)axes[0], &a.axis))
    return onnx_node_error(c, n, "axis %g is out of range for %d dims", axes[0], x->rank);
  int64_t dim = ir_shape_dim(c->g->tensors[x->tensor].shape, a.axis);
  /* ONNX clamps: negative from the end, INT64_MAX meaning "to the end" */
  double b = start[0] < 0 ? start[0] + (double)dim : start[0];
  double e = end[0] < 0 ? end[0] + (double)dim : end[0];
  a.slice_start = (int32_t)SCHED_MAX(0, SCHED_MIN(b, (double)dim));
  a.slice_end = (int32_t)SCHED_MAX(0, SCHED_MIN(e, (double)dim));
  return emit1(c, n, IR_OP_SLICE, &a, x);
}

/* Split of an activation into consecutive slices along one axis (sizes
 * from input 1 since opset 13, the "split" attribute before, else equal). */
static int convert_split(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  ir_attrs_t a = {0};
  int rc = axis_op(c, n, "axis", 0, &x, &a);
  double sizes[IR_MAX_INPUTS];
  int64_t ints[IR_MAX_INPUTS];
  int count = 0, outs = (int)n->n_output;
  if (rc == SCHED_OK && has_in(n, 1))
    rc = need_values(c, n, 1, sizes, IR_MAX_INPUTS, &count);
  else if (rc == SCHED_OK)
    rc = attr_ints(c, n, "split", ints, IR_MAX_INPUTS, &count);
  if (rc != SCHED_OK)
    return rc;
  int64_t dim = ir_shape_dim(c->g->tensors[x->tensor].shape, a.axis), start = 0;
  if (outs < 1 || outs > IR_MAX_INPUTS || (count && count != outs))
    return onnx_node_error(c, n, "%d outputs and %d sizes", outs, count);
  for (int i = 0; i < outs; i++) {
    int64_t size = count ? (has_in(n, 1) ? (int64_t)sizes[i] : ints[i]) : dim / outs;
    a.slice_start = (int32_t)start;
    a.slice_end = (int32_t)(start + size);
    start += size;
    Onnx__NodeProto one = *n;
    char *out = n->output[i];
    one.output = &out;
    one.n_output = 1;
    one.name = out;
    rc = emit1(c, &one, IR_OP_SLICE, &a, x);
    if (rc != SCHED_OK)
      return rc;
  }
  return start == dim ? SCHED_OK
                      : onnx_node_error(c, n, "sizes sum to %lld, the axis has %lld",
                                        (long long)start, (long long)dim);
}

/* Embedding lookup: a constant table [vocab, D] gathered by token ids
 * [.., S] (an activation): ids viewed as [1, 1, S, batch], then the rows. */
static int convert_gather(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *table, *ids;
  int rc = const_in(c, n, 0, 2, &table);
  if (rc == SCHED_OK)
    rc = act_in(c, n, 1, &ids);
  if (rc != SCHED_OK)
    return rc;
  if (onnx_attr_int(n, "axis", 0) != 0 || ids->rank > 2)
    return onnx_node_error(c, n,
                           "only an embedding lookup (axis 0, ids of 1 or 2 dims) is "
                           "supported");
  int64_t tokens = ids->dims[ids->rank - 1], batch = ids->rank == 2 ? ids->dims[0] : 1;
  char name[256];
  snprintf(name, sizeof name, "%s.ids", n->output[0]);
  ir_attrs_t view = {.reshape_to = {1, 1, tokens, batch}};
  int t = ir_graph_add_op(c->g, name, IR_OP_RESHAPE, &view, &ids->tensor, 1);
  ir_names_put(&c->op_names, c->g->ops[c->g->n_ops - 1].name, c->g->n_ops - 1);
  ir_attrs_t a = {.out_channels = (int32_t)table->dims[1], .vocab = (int32_t)table->dims[0]};
  return emit(c, n, IR_OP_GATHER, &a, &t, 1, (ids->rank + 1) | ONNX_SEQ);
}

static int convert_identity(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  int rc = find_in(c, n, 0, &x);
  return rc != SCHED_OK ? rc : alias(c, n, x);
}

/* Pad before convs and pools only: remembered on the value, added to the
 * consumers' pads. */
static int convert_pad(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  onnx_val_t *x;
  double v[8];
  int count = 0, rc = act_in(c, n, 0, &x);
  if (rc == SCHED_OK)
    rc = input_or_attr(c, n, 1, "pads", v, 8, &count);
  if (rc != SCHED_OK)
    return rc;
  if (x->rank != 4 || count != 8 || v[0] || v[1] || v[4] || v[5])
    return onnx_node_error(c, n, "only spatial pads of a 4-D input are supported");
  onnx_val_t out = *x;
  int idx[4] = {2, 3, 6, 7}; /* top, left, bottom, right */
  for (int i = 0; i < 4; i++) {
    if (!(v[idx[i]] >= 0 && v[idx[i]] <= IR_READER_MAX_WINDOW - out.pad[i]))
      return onnx_node_error(c, n, "pad %g is out of range 0..%d", v[idx[i]], IR_READER_MAX_WINDOW);
    out.pad[i] += (int32_t)v[idx[i]];
  }
  for (size_t i = 0; i < c->gp->n_node; i++) {
    const Onnx__NodeProto *m = c->gp->node[i];
    for (size_t j = 0; j < m->n_input; j++) {
      bool window = strcmp(m->op_type, "Conv") == 0 || strcmp(m->op_type, "MaxPool") == 0 ||
                    strcmp(m->op_type, "AveragePool") == 0;
      if (strcmp(m->input[j], n->output[0]) == 0 && (!window || j != 0))
        return onnx_node_error(c, n,
                               "cannot fold into '%s' (%s): only Pad before Conv, "
                               "MaxPool, AveragePool is supported",
                               m->name && m->name[0] ? m->name : m->output[0], m->op_type);
    }
  }
  for (size_t i = 0; i < c->gp->n_output; i++)
    if (strcmp(c->gp->output[i]->name, n->output[0]) == 0)
      return onnx_node_error(c, n, "a Pad that is a graph output is not supported");
  return alias(c, n, &out);
}

static int convert_constant(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  const Onnx__AttributeProto *a = onnx_attr(n, "value");
  onnx_val_t v = {.is_const = true, .tensor = -1};
  if (a && a->t) {
    if (a->t->n_dims > ONNX_MAX_RANK)
      return onnx_node_error(c, n, "value has %zu dims, at most %d", a->t->n_dims, ONNX_MAX_RANK);
    v.tp = a->t;
    v.rank = (int)a->t->n_dims;
    for (int i = 0; i < v.rank; i++) {
      if (a->t->dims[i] < 0 || a->t->dims[i] > IR_READER_MAX_DIM)
        return onnx_node_error(c, n, "value dim %d is %lld", i, (long long)a->t->dims[i]);
      v.dims[i] = a->t->dims[i];
    }
  } else if ((a = onnx_attr(n, "value_ints")) || (a = onnx_attr(n, "value_floats"))) {
    v.rank = 1;
    v.dims[0] = (int64_t)SCHED_MAX(a->n_ints, a->n_floats);
  } else if (!onnx_attr(n, "value_int") && !onnx_attr(n, "value_float")) {
    return onnx_node_error(c, n, "only tensor, int and float values are supported");
  }
  return alias(c, n, &v);
}

/* ---- unknown ops ---- */

int onnx_convert_generic(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  int inputs[IR_MAX_INPUTS], count = 0, rank = 0;
  for (size_t i = 0; i < n->n_input; i++) {
    onnx_val_t *v = has_in(n, i) ? onnx_val_find(c, n->input[i]) : NULL;
    if (has_in(n, i) && !v)
      return onnx_node_error(c, n, "input '%s' has no producer", n->input[i]);
    if (!v || v->is_const)
      continue;
    if (count == IR_MAX_INPUTS)
      return onnx_node_error(c, n, "more than %d activation inputs", IR_MAX_INPUTS);
    rank = count ? rank : v->rank;
    inputs[count++] = v->tensor;
  }
  if (count == 0)
    return onnx_node_error(c, n, "no activation input (only constants), cannot place it");
  return emit_generic(c, n, inputs, count, rank);
}

/* ---- the table ---- */

static const struct {
  const char *type;
  onnx_convert_fn fn;
} converters[] = {
    {"Conv", convert_conv},
    {"ConvTranspose", convert_conv_transpose},
    {"Gemm", convert_gemm},
    {"MatMul", convert_matmul},
    {"Relu", convert_relu},
    {"Clip", convert_clip},
    {"LeakyRelu", convert_leaky_relu},
    {"PRelu", convert_prelu},
    {"Sigmoid", convert_sigmoid},
    {"Tanh", convert_tanh},
    {"Softmax", convert_softmax},
    {"Gelu", convert_gelu},
    {"HardSwish", convert_hardswish},
    {"HardSigmoid", convert_hardsigmoid},
    {"MaxPool", convert_maxpool},
    {"AveragePool", convert_avgpool},
    {"GlobalAveragePool", convert_global_avgpool},
    {"GlobalMaxPool", convert_global_maxpool},
    {"Add", convert_add},
    {"Sub", convert_sub},
    {"Mul", convert_mul},
    {"Div", convert_div},
    {"Pow", convert_pow},
    {"Sqrt", convert_sqrt},
    {"Reciprocal", convert_reciprocal},
    {"LayerNormalization", convert_layernorm},
    {"ReduceMean", convert_reduce_mean},
    {"Slice", convert_slice},
    {"Gather", convert_gather},
    {"Split", convert_split},
    {"Unsqueeze", convert_unsqueeze},
    {"Squeeze", convert_squeeze},
    {"Concat", convert_concat},
    {"Resize", convert_resize},
    {"Upsample", convert_resize},
    {"DepthToSpace", convert_depth_to_space},
    {"Reshape", convert_reshape},
    {"Flatten", convert_flatten},
    {"Transpose", convert_transpose},
    {"Identity", convert_identity},
    {"Dropout", convert_identity},
    {"Cast", convert_identity},
    {"BatchNormalization", convert_batchnorm},
    {"Pad", convert_pad},
    {"Constant", convert_constant},
};

onnx_convert_fn onnx_converter(const char *op_type) {
  for (int i = 0; i < SCHED_ARRAY_LEN(converters); i++)
    if (strcmp(converters[i].type, op_type) == 0)
      return converters[i].fn;
  return NULL;
}
