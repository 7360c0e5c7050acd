/* onnx_shape.c - static evaluation of the shape arithmetic torch exports
 * leave behind (x.size(1) // heads and the like): Shape of a value whose
 * dims are known, then Gather / Unsqueeze / Squeeze / Concat / Slice / Cast
 * and Add / Sub / Mul / Div on the small integer constants that result, up
 * to the Reshape that reads them. Every input shape is known at import, so
 * these chains are constants: they are folded here into constants with
 * their values (at most ONNX_MAX_VALUES elements), which the converters read
 * like initializers. A node whose inputs are not all such constants is left
 * to its converter. */
#include "ir/onnx_import.h"

#include <math.h>
#include <string.h>

/* One input of a folded node: its value and its elements. */
typedef struct {
  const onnx_val_t *v;
  double x[ONNX_MAX_VALUES];
  int n;
} fold_in_t;

typedef int (*fold_fn)(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                       onnx_val_t *out);

static void set_dims1(onnx_val_t *out, int count) {
  out->rank = 1;
  out->dims[0] = count;
}

static int too_big(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  return onnx_node_error(c, n, "shape arithmetic of more than %d elements", ONNX_MAX_VALUES);
}

/* Gather of a 0-D or 1-D constant (axis 0) by constant indices. */
static int fold_gather(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                       onnx_val_t *out) {
  if (n_in != 2 || in[0].v->rank != 1 || in[1].v->rank > 1 || onnx_attr_int(n, "axis", 0) != 0)
    return SCHED_ERR_NOT_FOUND;
  for (int i = 0; i < in[1].n; i++) {
    int64_t k = (int64_t)in[1].x[i];
    k += k < 0 ? in[0].n : 0;
    if (k < 0 || k >= in[0].n)
      return onnx_node_error(c, n, "index %lld is out of range for %d values",
                             (long long)in[1].x[i], in[0].n);
    out->values[i] = in[0].x[k];
  }
  out->rank = in[1].v->rank;
  out->dims[0] = in[1].n;
  return SCHED_OK;
}

static int fold_concat(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                       onnx_val_t *out) {
  int count = 0;
  for (int i = 0; i < n_in; i++) {
    if (in[i].v->rank > 1)
      return SCHED_ERR_NOT_FOUND;
    if (count + in[i].n > ONNX_MAX_VALUES)
      return too_big(c, n);
    memcpy(out->values + count, in[i].x, (size_t)in[i].n * sizeof *in[i].x);
    count += in[i].n;
  }
  set_dims1(out, count);
  return SCHED_OK;
}

/* Slice of a 1-D constant: starts, ends (clamped), axes 0, any step. */
static int fold_slice(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                      onnx_val_t *out) {
  if (n_in < 3 || in[0].v->rank != 1 || in[1].n != 1 || in[2].n != 1 ||
      (n_in > 3 && (in[3].n != 1 || in[3].x[0] != 0)))
    return SCHED_ERR_NOT_FOUND;
  double len = in[0].n, step = n_in > 4 ? in[4].x[0] : 1;
  if (step == 0)
    return onnx_node_error(c, n, "slice step 0");
  double b = in[1].x[0] < 0 ? in[1].x[0] + len : in[1].x[0];
  double e = in[2].x[0] < 0 ? in[2].x[0] + len : in[2].x[0];
  b = fmax(step > 0 ? 0 : -1, fmin(b, step > 0 ? len : len - 1));
  e = fmax(step > 0 ? 0 : -1, fmin(e, step > 0 ? len : len - 1));
  int count = 0;
  for (double i = b; step > 0 ? i < e : i > e; i += step)
    out->values[count++] = in[0].x[(int)i];
  set_dims1(out, count);
  return SCHED_OK;
}

/* Axes of Unsqueeze / Squeeze: attribute (opset < 13) or input 1. */
static int axes_of(const Onnx__NodeProto *n, const fold_in_t *in, int n_in, int64_t *axes) {
  const Onnx__AttributeProto *a = onnx_attr(n, "axes");
  if (a) {
    for (size_t i = 0; i < a->n_ints && i < ONNX_MAX_RANK; i++)
      axes[i] = a->ints[i];
    return (int)SCHED_MIN(a->n_ints, ONNX_MAX_RANK);
  }
  for (int i = 0; n_in > 1 && i < in[1].n && i < ONNX_MAX_RANK; i++)
    axes[i] = (int64_t)in[1].x[i];
  return n_in > 1 ? SCHED_MIN(in[1].n, ONNX_MAX_RANK) : 0;
}

static int fold_unsqueeze(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                          onnx_val_t *out) {
  int64_t axes[ONNX_MAX_RANK];
  int na = axes_of(n, in, n_in, axes), rank = in[0].v->rank + na;
  if (rank > ONNX_MAX_RANK)
    return onnx_node_error(c, n, "%d dims, at most %d", rank, ONNX_MAX_RANK);
  bool one[ONNX_MAX_RANK] = {false};
  for (int i = 0; i < na; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank)
      return onnx_node_error(c, n, "axis %lld is out of range", (long long)axes[i]);
    one[a] = true;
  }
  for (int i = 0, j = 0; i < rank; i++)
    out->dims[i] = one[i] ? 1 : in[0].v->dims[j++];
  out->rank = rank;
  memcpy(out->values, in[0].x, (size_t)in[0].n * sizeof *in[0].x);
  return SCHED_OK;
}

static int fold_squeeze(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                        onnx_val_t *out) {
  (void)c;
  int64_t axes[ONNX_MAX_RANK];
  int na = axes_of(n, in, n_in, axes), r = in[0].v->rank;
  out->rank = 0;
  for (int i = 0; i < r; i++) {
    bool drop = na == 0 && in[0].v->dims[i] == 1;
    for (int k = 0; k < na; k++)
      drop = drop || axes[k] == i || axes[k] + r == i;
    if (!drop)
      out->dims[out->rank++] = in[0].v->dims[i];
  }
  memcpy(out->values, in[0].x, (size_t)in[0].n * sizeof *in[0].x);
  return SCHED_OK;
}

static int fold_cast(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                     onnx_val_t *out) {
  (void)c;
  (void)n;
  (void)n_in;
  out->rank = in[0].v->rank;
  memcpy(out->dims, in[0].v->dims, sizeof out->dims);
  memcpy(out->values, in[0].x, (size_t)in[0].n * sizeof *in[0].x);
  return SCHED_OK;
}

/* Add / Sub / Mul / Div of equal counts or one scalar; integers divide
 * toward zero, as ONNX's integer Div does. */
static int fold_arith(onnx_ctx_t *c, const Onnx__NodeProto *n, const fold_in_t *in, int n_in,
                      onnx_val_t *out) {
  if (n_in != 2 || (in[0].n != in[1].n && in[0].n != 1 && in[1].n != 1))
    return SCHED_ERR_NOT_FOUND;
  const fold_in_t *big = in[0].n >= in[1].n ? &in[0] : &in[1];
  char op = n->op_type[0];
  for (int i = 0; i < big->n; i++) {
    double a = in[0].x[in[0].n == 1 ? 0 : i], b = in[1].x[in[1].n == 1 ? 0 : i];
    if (op == 'D' && b == 0)
      return onnx_node_error(c, n, "division by zero in shape arithmetic");
    double r = op == 'A' ? a + b : op == 'S' ? a - b : op == 'M' ? a * b : a / b;
    out->values[i] = op == 'D' && a == floor(a) && b == floor(b) ? trunc(r) : r;
  }
  out->rank = big->v->rank;
  memcpy(out->dims, big->v->dims, sizeof out->dims);
  return SCHED_OK;
}

static const struct {
  const char *type;
  fold_fn fn;
} folds[] = {
    {"Gather", fold_gather},       {"Concat", fold_concat},   {"Slice", fold_slice},
    {"Unsqueeze", fold_unsqueeze}, {"Squeeze", fold_squeeze}, {"Cast", fold_cast},
    {"Add", fold_arith},           {"Sub", fold_arith},       {"Mul", fold_arith},
    {"Div", fold_arith},
};

static int add_folded(onnx_ctx_t *c, const Onnx__NodeProto *n, onnx_val_t *out) {
  out->is_const = true;
  out->folded = true;
  out->tensor = -1;
  if (onnx_val_add(c, n->output[0], out) < 0)
    return onnx_node_error(c, n, "output '%s' is already defined", n->output[0]);
  return SCHED_OK;
}

/* Shape (start / end attributes since opset 15) of any value. */
static int fold_shape(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  const onnx_val_t *x = n->n_input > 0 ? onnx_val_find(c, n->input[0]) : NULL;
  if (!x)
    return onnx_node_error(c, n, "input %s has no producer", n->n_input ? n->input[0] : "0");
  int64_t b = onnx_attr_int(n, "start", 0), e = onnx_attr_int(n, "end", x->rank);
  b = SCHED_MAX(0, SCHED_MIN(b < 0 ? b + x->rank : b, x->rank));
  e = SCHED_MAX(b, SCHED_MIN(e < 0 ? e + x->rank : e, x->rank));
  onnx_val_t out = {0};
  for (int64_t i = b; i < e; i++)
    out.values[i - b] = (double)x->dims[i];
  set_dims1(&out, (int)(e - b));
  return add_folded(c, n, &out);
}

int onnx_fold_const(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  if (n->n_output < 1 || (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0))
    return SCHED_ERR_NOT_FOUND;
  if (strcmp(n->op_type, "Shape") == 0)
    return fold_shape(c, n);
  fold_fn fn = NULL;
  for (int i = 0; i < SCHED_ARRAY_LEN(folds); i++)
    if (strcmp(folds[i].type, n->op_type) == 0)
      fn = folds[i].fn;
  if (!fn || n->n_input < 1 || n->n_input > 8)
    return SCHED_ERR_NOT_FOUND;
  fold_in_t in[8];
  int n_in = 0;
  for (size_t i = 0; i < n->n_input; i++, n_in++) {
    in[i].v = n->input[i][0] ? onnx_val_find(c, n->input[i]) : NULL;
    if (!in[i].v || !in[i].v->is_const)
      return SCHED_ERR_NOT_FOUND;
    in[i].n = onnx_const_values(in[i].v, in[i].x, ONNX_MAX_VALUES);
    if (in[i].n < 0)
      return SCHED_ERR_NOT_FOUND;
  }
  onnx_val_t out = {0};
  int rc = fn(c, n, in, n_in, &out);
  return rc == SCHED_OK ? add_folded(c, n, &out) : rc;
}
