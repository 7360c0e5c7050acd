/* rules.c - the operator-rule vocabulary of arch.h and the one checker that
 * evaluates it on an op.
 *
 * A target's operator support is data (arch/targets/NAME.json): the op
 * classes its NPU runs at all, and rules, each "for these op classes, when
 * these conditions hold, one of these alternatives must hold". A condition
 * compares one named parameter of the op (the table below: window, shapes,
 * activation attributes, quantisation) with constants or with another
 * parameter. Vendor tables (ARTPEC-9's per-operator restrictions, the Edge
 * TPU's supported-op list) map onto this vocabulary without code per chip.
 *
 * Parameters the IR does not carry (quantisation scales, weight sparsity)
 * are "unknown": a rule that depends on one is reported as not checked,
 * never as broken. Padding is classified as TensorFlow does: VALID (none),
 * SAME (the TF split, extra row/column at the end) or explicit (anything
 * else, which a TFLite converter turns into a separate Pad op). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch_internal.h"

typedef enum {
  P_KERNEL_H,
  P_KERNEL_W,
  P_KERNEL,
  P_STRIDE_H,
  P_STRIDE_W,
  P_STRIDE,
  P_DILATION,
  P_PAD_MAX,
  P_PAD_MODE,
  P_BATCH,
  P_RANK,
  P_IN_C,
  P_IN_H,
  P_IN_W,
  P_OUT_C,
  P_OUT_H,
  P_OUT_W,
  P_EACH_IN_C,
  P_N_INPUTS,
  P_ELEMENTS,
  P_GROUPS,
  P_CHANNEL_MULTIPLIER,
  P_ALPHA,
  P_CLAMP_MIN,
  P_CLAMP_MAX,
  P_BLOCK,
  P_IN_C_MOD_BLOCK2,
  P_SCALE,
  P_UPSAMPLE_MODE,
  P_OUT_H_MINUS_2IN_H,
  P_OUT_W_MINUS_2IN_W,
  P_CONST_INPUTS,
  P_DTYPE,
  P_READS_GRAPH_INPUT,
  P_QUANT_IW_OVER_O,
  P_QUANT_OUT_OVER_IN,
  P_QUANT_OUT_SCALE,
  P_QUANT_OUT_ZERO_POINT,
  P_QUANT_PER_CHANNEL,
  P_WEIGHT_SPARSITY,
  P_COUNT
} param_t;

static const char *const param_names[P_COUNT] = {
    [P_KERNEL_H] = "kernel_h",
    [P_KERNEL_W] = "kernel_w",
    [P_KERNEL] = "kernel",
    [P_STRIDE_H] = "stride_h",
    [P_STRIDE_W] = "stride_w",
    [P_STRIDE] = "stride",
    [P_DILATION] = "dilation",
    [P_PAD_MAX] = "pad_max",
    [P_PAD_MODE] = "pad_mode",
    [P_BATCH] = "batch",
    [P_RANK] = "rank",
    [P_IN_C] = "in_c",
    [P_IN_H] = "in_h",
    [P_IN_W] = "in_w",
    [P_OUT_C] = "out_c",
    [P_OUT_H] = "out_h",
    [P_OUT_W] = "out_w",
    [P_EACH_IN_C] = "each_in_c",
    [P_N_INPUTS] = "n_inputs",
    [P_ELEMENTS] = "elements",
    [P_GROUPS] = "groups",
    [P_CHANNEL_MULTIPLIER] = "channel_multiplier",
    [P_ALPHA] = "alpha",
    [P_CLAMP_MIN] = "clamp_min",
    [P_CLAMP_MAX] = "clamp_max",
    [P_BLOCK] = "block",
    [P_IN_C_MOD_BLOCK2] = "in_c_mod_block2",
    [P_SCALE] = "scale",
    [P_UPSAMPLE_MODE] = "upsample_mode",
    [P_OUT_H_MINUS_2IN_H] = "out_h_minus_2in_h",
    [P_OUT_W_MINUS_2IN_W] = "out_w_minus_2in_w",
    [P_CONST_INPUTS] = "const_inputs",
    [P_DTYPE] = "dtype",
    [P_READS_GRAPH_INPUT] = "reads_graph_input",
    [P_QUANT_IW_OVER_O] = "quant_iw_over_o",
    [P_QUANT_OUT_OVER_IN] = "quant_out_over_in",
    [P_QUANT_OUT_SCALE] = "quant_out_scale",
    [P_QUANT_OUT_ZERO_POINT] = "quant_out_zero_point",
    [P_QUANT_PER_CHANNEL] = "quant_per_channel",
    [P_WEIGHT_SPARSITY] = "weight_sparsity",
};

/* Symbolic values of enumerated parameters, by value. */
static const char *const pad_modes[] = {"valid", "same", "explicit", NULL};
static const char *const upsample_modes[] = {"nearest", "bilinear", "bilinear_align_corners", NULL};
static const char *const dtypes[] = {"u8", "i8", "fp16", NULL};

static const char *const *param_symbols(int param) {
  switch (param) {
  case P_PAD_MODE: return pad_modes;
  case P_UPSAMPLE_MODE: return upsample_modes;
  case P_DTYPE: return dtypes;
  default: return NULL;
  }
}

const char *arch_rule_param_name(int i) { return i >= 0 && i < P_COUNT ? param_names[i] : NULL; }

/* ---- op classes ---- */

const char *arch_op_class_name(int op_class) {
  if (op_class == ARCH_OP_DEPTHWISE_CONV)
    return "depthwise_conv";
  return ir_op_kind_name((ir_op_kind_t)op_class);
}

int arch_op_class_parse(const char *s, int *out) {
  if (strcmp(s, "depthwise_conv") == 0) {
    *out = ARCH_OP_DEPTHWISE_CONV;
    return SCHED_OK;
  }
  ir_op_kind_t k;
  if (ir_op_kind_parse(s, &k) != SCHED_OK || k == IR_OP_NONE)
    return SCHED_ERR_INPUT;
  *out = (int)k;
  return SCHED_OK;
}

int arch_op_class_of(const ir_graph_t *g, int op) {
  const ir_op_t *o = &g->ops[op];
  if (o->kind != IR_OP_CONV)
    return (int)o->kind;
  int64_t in_c = g->tensors[o->inputs[0]].shape.c;
  return o->attrs.groups > 1 && o->attrs.groups == in_c ? ARCH_OP_DEPTHWISE_CONV : IR_OP_CONV;
}

/* ---- parameters of an op ---- */

/* What a rule looks at: an op, or the activation fused into it (then the
 * class is the activation's and the shapes are the op's output). */
typedef struct {
  const ir_graph_t *g;
  const ir_op_t *op;
  int op_class;
  bool fused_act;
} subject_t;

/* A parameter's values: one, or one per input; n == 0 when unknown. */
typedef struct {
  double v[IR_MAX_INPUTS];
  int n;
} values_t;

static values_t one(double v) { return (values_t){.v = {v}, .n = 1}; }

static ir_shape_t in_shape(const subject_t *s, int i) {
  if (s->fused_act)
    return s->g->tensors[s->op->output].shape;
  return s->g->tensors[s->op->inputs[i]].shape;
}

static ir_shape_t out_shape(const subject_t *s) { return s->g->tensors[s->op->output].shape; }

static bool has_window(const subject_t *s) {
  switch (s->op_class) {
  case IR_OP_CONV:
  case ARCH_OP_DEPTHWISE_CONV:
  case IR_OP_TRANSPOSE_CONV:
  case IR_OP_MAXPOOL:
  case IR_OP_AVGPOOL: return !s->fused_act;
  default: return false;
  }
}

/* Global pooling and fully connected layers see the whole input plane. */
static bool whole_plane(const subject_t *s) {
  return !s->fused_act &&
         (s->op_class == IR_OP_GLOBAL_AVGPOOL || s->op_class == IR_OP_FULLY_CONNECTED);
}

/* TensorFlow SAME padding of one axis: (before, after). */
static void tf_same(int64_t in, int32_t kernel, int32_t dilation, int32_t stride, int64_t *before,
                    int64_t *after) {
  int64_t out = SCHED_CEIL_DIV(in, stride);
  int64_t effective = (int64_t)(kernel - 1) * dilation + 1;
  int64_t total = SCHED_MAX((out - 1) * stride + effective - in, 0);
  *before = total / 2;
  *after = total - *before;
}

static bool axis_same(int64_t in, int32_t k, int32_t d, int32_t s, int32_t lo, int32_t hi) {
  int64_t before, after;
  tf_same(in, k, d, s, &before, &after);
  return lo == before && hi == after;
}

/* 0 valid, 1 same, 2 explicit. */
static double pad_mode(const subject_t *s) {
  const ir_attrs_t *a = &s->op->attrs;
  ir_shape_t in = in_shape(s, 0), out = out_shape(s);
  if (s->op_class == IR_OP_TRANSPOSE_CONV) {
    if (out.h == in.h * a->stride_h && out.w == in.w * a->stride_w)
      return 1;
    bool none = !a->pad_top && !a->pad_bottom && !a->pad_left && !a->pad_right &&
                !a->output_pad_h && !a->output_pad_w;
    return none ? 0 : 2;
  }
  if (!a->pad_top && !a->pad_bottom && !a->pad_left && !a->pad_right)
    return 0;
  bool same_h = axis_same(in.h, a->kernel_h, a->dilation_h, a->stride_h, a->pad_top, a->pad_bottom);
  bool same_w = axis_same(in.w, a->kernel_w, a->dilation_w, a->stride_w, a->pad_left, a->pad_right);
  return same_h && same_w ? 1 : 2;
}

static values_t window_param(const subject_t *s, param_t p) {
  const ir_attrs_t *a = &s->op->attrs;
  ir_shape_t in = in_shape(s, 0);
  if (whole_plane(s)) {
    int64_t k[] = {[P_KERNEL_H] = in.h, [P_KERNEL_W] = in.w, [P_KERNEL] = SCHED_MAX(in.h, in.w)};
    if (p <= P_KERNEL)
      return one((double)k[p]);
    return p == P_PAD_MODE ? one(0) : one(p == P_PAD_MAX ? 0 : 1);
  }
  if (!has_window(s))
    return (values_t){.n = 0};
  switch (p) {
  case P_KERNEL_H: return one(a->kernel_h);
  case P_KERNEL_W: return one(a->kernel_w);
  case P_KERNEL: return one(SCHED_MAX(a->kernel_h, a->kernel_w));
  case P_STRIDE_H: return one(a->stride_h);
  case P_STRIDE_W: return one(a->stride_w);
  case P_STRIDE: return one(SCHED_MAX(a->stride_h, a->stride_w));
  case P_DILATION: return one(SCHED_MAX(a->dilation_h, a->dilation_w));
  case P_PAD_MAX:
    return one(
        SCHED_MAX(SCHED_MAX(a->pad_top, a->pad_bottom), SCHED_MAX(a->pad_left, a->pad_right)));
  case P_PAD_MODE: return one(pad_mode(s));
  default: SCHED_UNREACHABLE();
  }
}

static values_t shape_param(const subject_t *s, param_t p) {
  ir_shape_t in = in_shape(s, 0), out = out_shape(s);
  switch (p) {
  case P_BATCH: return one((double)SCHED_MAX(in.n, out.n));
  case P_RANK: return one(4); /* the IR is logical NCHW */
  case P_IN_C: return one((double)in.c);
  case P_IN_H: return one((double)in.h);
  case P_IN_W: return one((double)in.w);
  case P_OUT_C: return one((double)out.c);
  case P_OUT_H: return one((double)out.h);
  case P_OUT_W: return one((double)out.w);
  case P_N_INPUTS: return one(s->fused_act ? 1 : s->op->n_inputs);
  case P_ELEMENTS: return one((double)ir_shape_elems(out));
  case P_OUT_H_MINUS_2IN_H: return one((double)(out.h - 2 * in.h));
  case P_OUT_W_MINUS_2IN_W: return one((double)(out.w - 2 * in.w));
  case P_DTYPE: return one(s->g->tensors[s->op->output].dtype);
  case P_EACH_IN_C: {
    values_t v = {.n = s->fused_act ? 1 : s->op->n_inputs};
    for (int i = 0; i < v.n; i++)
      v.v[i] = (double)in_shape(s, i).c;
    return v;
  }
  default: SCHED_UNREACHABLE();
  }
}

static bool class_is(const subject_t *s, int c1, int c2) {
  return s->op_class == c1 || s->op_class == c2;
}

static bool reads_graph_input(const subject_t *s) {
  for (int i = 0; i < s->op->n_inputs && !s->fused_act; i++)
    if (s->g->tensors[s->op->inputs[i]].producer < 0)
      return true;
  return false;
}

static values_t attr_param(const subject_t *s, param_t p) {
  const ir_attrs_t *a = &s->op->attrs;
  bool conv = class_is(s, IR_OP_CONV, ARCH_OP_DEPTHWISE_CONV) && !s->fused_act;
  bool eltwise = class_is(s, IR_OP_ADD, IR_OP_MUL) || s->op_class == IR_OP_SUB;
  switch (p) {
  case P_GROUPS: return conv ? one(a->groups) : (values_t){.n = 0};
  case P_CHANNEL_MULTIPLIER:
    return s->op_class == ARCH_OP_DEPTHWISE_CONV && !s->fused_act
               ? one((double)(out_shape(s).c / SCHED_MAX(a->groups, 1)))
               : (values_t){.n = 0};
  case P_ALPHA:
    return class_is(s, IR_OP_LEAKY_RELU, IR_OP_HARDSIGMOID) ? one(a->alpha) : (values_t){0};
  case P_CLAMP_MIN:
    return s->op_class == IR_OP_CLAMP  ? one(a->clamp_min)
           : s->op_class == IR_OP_RELU ? one(0)
                                       : (values_t){.n = 0};
  case P_CLAMP_MAX:
    return s->op_class == IR_OP_CLAMP  ? one(a->clamp_max)
           : s->op_class == IR_OP_RELU ? one(INFINITY)
                                       : (values_t){0};
  case P_BLOCK: return s->op_class == IR_OP_DEPTH_TO_SPACE ? one(a->scale) : (values_t){.n = 0};
  case P_IN_C_MOD_BLOCK2:
    return s->op_class == IR_OP_DEPTH_TO_SPACE
               ? one((double)(in_shape(s, 0).c % ((int64_t)a->scale * a->scale)))
               : (values_t){.n = 0};
  case P_SCALE: return s->op_class == IR_OP_UPSAMPLE ? one(a->scale) : (values_t){.n = 0};
  case P_UPSAMPLE_MODE:
    return s->op_class == IR_OP_UPSAMPLE ? one(a->upsample_mode) : (values_t){.n = 0};
  case P_CONST_INPUTS: return eltwise && !s->fused_act ? one(0) : (values_t){.n = 0};
  case P_READS_GRAPH_INPUT: return one(reads_graph_input(s));
  default: return (values_t){.n = 0}; /* quantisation and sparsity: not in the IR */
  }
}

static values_t param_values(const subject_t *s, int p) {
  if (p <= P_PAD_MODE)
    return window_param(s, (param_t)p);
  if (p <= P_ELEMENTS || p == P_OUT_H_MINUS_2IN_H || p == P_OUT_W_MINUS_2IN_W || p == P_DTYPE)
    return shape_param(s, (param_t)p);
  return attr_param(s, (param_t)p);
}

/* ---- conditions: parse and format ---- */

static const char *const cmp_names[ARCH_CMP_COUNT] = {
    [ARCH_CMP_IN] = "in",      [ARCH_CMP_NOT_IN] = "not_in",
    [ARCH_CMP_EQ] = "==",      [ARCH_CMP_NE] = "!=",
    [ARCH_CMP_LT] = "<",       [ARCH_CMP_LE] = "<=",
    [ARCH_CMP_GT] = ">",       [ARCH_CMP_GE] = ">=",
    [ARCH_CMP_MULTIPLE] = "%", [ARCH_CMP_NOT_MULTIPLE] = "!%",
};

static int param_find(const char *name) {
  for (int i = 0; i < P_COUNT; i++)
    if (strcmp(param_names[i], name) == 0)
      return i;
  return -1;
}

static bool parse_number(const char *tok, int param, double *out) {
  const char *const *sym = param_symbols(param);
  for (int i = 0; sym && sym[i]; i++) {
    if (strcmp(sym[i], tok) == 0) {
      *out = i;
      return true;
    }
  }
  char *end;
  *out = strtod(tok, &end);
  return end != tok && *end == '\0';
}

static int parse_values(const char *text, const char *list, arch_cond_t *c, sched_diag_t *diag) {
  char buf[160];
  snprintf(buf, sizeof buf, "%s", list);
  c->n_values = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (c->n_values == ARCH_COND_VALUES_MAX)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "condition '%s': more than %d values", text,
                            ARCH_COND_VALUES_MAX);
    if (!parse_number(tok, c->param, &c->values[c->n_values++]))
      return sched_diag_set(diag, SCHED_ERR_INPUT, "condition '%s': bad value '%s'", text, tok);
  }
  bool list_op = c->cmp == ARCH_CMP_IN || c->cmp == ARCH_CMP_NOT_IN;
  if (c->n_values == 0 || (!list_op && c->n_values != 1))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "condition '%s': '%s' takes %s", text,
                          cmp_names[c->cmp], list_op ? "a list of values" : "one value");
  return SCHED_OK;
}

int arch_cond_parse(const char *text, arch_cond_t *out, sched_diag_t *diag) {
  char name[48], op[16], rest[160];
  *out = (arch_cond_t){.rhs_param = -1};
  if (sscanf(text, "%47s %15s %159s", name, op, rest) != 3)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "condition '%s': expected 'PARAM OP VALUE'", text);
  if ((out->param = (int16_t)param_find(name)) < 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "condition '%s': unknown parameter '%s'", text,
                          name);
  int cmp = 0;
  while (cmp < ARCH_CMP_COUNT && strcmp(cmp_names[cmp], op) != 0)
    cmp++;
  if (cmp == ARCH_CMP_COUNT)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "condition '%s': unknown operator '%s' (in, not_in, ==, !=, <, <=, >, "
                          ">=, %%, !%%)",
                          text, op);
  out->cmp = (arch_cmp_t)cmp;
  int rhs = param_find(rest);
  if (rhs >= 0 && cmp >= ARCH_CMP_EQ && cmp <= ARCH_CMP_GE) {
    out->rhs_param = (int16_t)rhs;
    return SCHED_OK;
  }
  return parse_values(text, rest, out, diag);
}

static void format_value(int param, double v, char *buf, size_t len) {
  const char *const *sym = param_symbols(param);
  int n = 0;
  while (sym && sym[n])
    n++;
  if (sym && v >= 0 && v < n && v == floor(v))
    snprintf(buf, len, "%s", sym[(int)v]);
  else
    snprintf(buf, len, "%g", v);
}

/* The right-hand side: "1,2,3", "16" or a parameter name. */
static void format_rhs(const arch_cond_t *c, char *buf, size_t len) {
  if (c->rhs_param >= 0) {
    snprintf(buf, len, "%s", param_names[c->rhs_param]);
    return;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < c->n_values && used < len; i++) {
    char v[32];
    format_value(c->param, c->values[i], v, sizeof v);
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", v);
  }
}

void arch_cond_format(const arch_cond_t *c, char *buf, size_t len) {
  char rhs[128];
  format_rhs(c, rhs, sizeof rhs);
  snprintf(buf, len, "%s %s %s", param_names[c->param], cmp_names[c->cmp], rhs);
}

/* ---- evaluation ---- */

typedef enum { EVAL_HOLDS, EVAL_FAILS, EVAL_UNKNOWN } eval_t;

static bool in_set(const arch_cond_t *c, double v) {
  for (int i = 0; i < c->n_values; i++)
    if (v == c->values[i])
      return true;
  return false;
}

static bool multiple_of(double v, double m) { return m != 0 && fmod(v, m) == 0; }

static bool compare(const arch_cond_t *c, double v, double rhs) {
  switch (c->cmp) {
  case ARCH_CMP_IN: return in_set(c, v);
  case ARCH_CMP_NOT_IN: return !in_set(c, v);
  case ARCH_CMP_EQ: return v == rhs;
  case ARCH_CMP_NE: return v != rhs;
  case ARCH_CMP_LT: return v < rhs;
  case ARCH_CMP_LE: return v <= rhs;
  case ARCH_CMP_GT: return v > rhs;
  case ARCH_CMP_GE: return v >= rhs;
  case ARCH_CMP_MULTIPLE: return multiple_of(v, rhs);
  case ARCH_CMP_NOT_MULTIPLE: return !multiple_of(v, rhs);
  case ARCH_CMP_COUNT: break;
  }
  SCHED_UNREACHABLE();
}

static const char *cmp_words(arch_cmp_t cmp) {
  static const char *const words[ARCH_CMP_COUNT] = {
      [ARCH_CMP_IN] = "in {",
      [ARCH_CMP_NOT_IN] = "not in {",
      [ARCH_CMP_EQ] = "",
      [ARCH_CMP_NE] = "not ",
      [ARCH_CMP_LT] = "< ",
      [ARCH_CMP_LE] = "<= ",
      [ARCH_CMP_GT] = "> ",
      [ARCH_CMP_GE] = ">= ",
      [ARCH_CMP_MULTIPLE] = "a multiple of ",
      [ARCH_CMP_NOT_MULTIPLE] = "not a multiple of ",
  };
  return words[cmp];
}

/* "kernel_h = 4, must be in {1,2,3,5,7,9}" (and " (input 2)" for per-input
 * values, "stride_w (2)" for a parameter on the right). */
static void describe_failure(const arch_cond_t *c, double v, int input, double rhs, char *buf,
                             size_t len) {
  char value[32], right[128], where[24] = "";
  format_value(c->param, v, value, sizeof value);
  format_rhs(c, right, sizeof right);
  if (c->rhs_param >= 0) {
    char r[32];
    format_value(c->param, rhs, r, sizeof r);
    size_t n = strlen(right);
    snprintf(right + n, sizeof right - n, " (%s)", r);
  }
  if (input >= 0)
    snprintf(where, sizeof where, " (input %d)", input);
  bool set = c->cmp == ARCH_CMP_IN || c->cmp == ARCH_CMP_NOT_IN;
  snprintf(buf, len, "%s = %s%s, must be %s%s%s", param_names[c->param], value, where,
           cmp_words(c->cmp), right, set ? "}" : "");
}

/* " (pads 1,1,1,1; TF SAME: 0,1,0,1)": why padding is explicit. */
static void describe_pads(const subject_t *s, char *buf, size_t len) {
  const ir_attrs_t *a = &s->op->attrs;
  ir_shape_t in = in_shape(s, 0);
  int64_t top, bottom, left, right;
  tf_same(in.h, a->kernel_h, a->dilation_h, a->stride_h, &top, &bottom);
  tf_same(in.w, a->kernel_w, a->dilation_w, a->stride_w, &left, &right);
  snprintf(buf, len, " (pads %d,%d,%d,%d; TF SAME: %lld,%lld,%lld,%lld)", a->pad_top, a->pad_bottom,
           a->pad_left, a->pad_right, (long long)top, (long long)bottom, (long long)left,
           (long long)right);
}

/* Evaluates one condition; on failure describes it into buf (may be NULL). */
static eval_t cond_eval(const arch_cond_t *c, const subject_t *s, char *buf, size_t len) {
  values_t lhs = param_values(s, c->param);
  double rhs = c->n_values ? c->values[0] : 0;
  if (c->rhs_param >= 0) {
    values_t r = param_values(s, c->rhs_param);
    if (r.n == 0)
      return EVAL_UNKNOWN;
    rhs = r.v[0];
  }
  if (lhs.n == 0)
    return EVAL_UNKNOWN;
  for (int i = 0; i < lhs.n; i++) {
    if (compare(c, lhs.v[i], rhs))
      continue;
    if (buf)
      describe_failure(c, lhs.v[i], lhs.n > 1 ? i : -1, rhs, buf, len);
    if (buf && c->param == P_PAD_MODE)
      describe_pads(s, buf + strlen(buf), len - strlen(buf));
    return EVAL_FAILS;
  }
  return EVAL_HOLDS;
}

/* All conditions of a span: holds, fails (first failure described) or
 * unknown (a parameter the IR does not carry, and nothing failed). */
static eval_t span_eval(const arch_rules_t *r, arch_cond_span_t span, const subject_t *s, char *buf,
                        size_t len) {
  eval_t result = EVAL_HOLDS;
  size_t used = 0;
  for (int i = 0; i < span.count; i++) {
    char one_msg[320]; /* fits describe_failure's longest line */
    eval_t e = cond_eval(&r->conds[span.first + i], s, one_msg, sizeof one_msg);
    if (e == EVAL_UNKNOWN && result == EVAL_HOLDS)
      result = EVAL_UNKNOWN;
    if (e != EVAL_FAILS)
      continue;
    if (buf && used < len)
      used += (size_t)snprintf(buf + used, len - used, "%s%s", result == EVAL_FAILS ? "; " : "",
                               one_msg);
    result = EVAL_FAILS;
  }
  return result;
}

/* "kernel_h = 4, kernel_w = 4, stride_h = 2, ...": every parameter the
 * alternatives of a rule look at, once each. */
static void describe_params(const arch_rules_t *r, const arch_rule_t *rule, const subject_t *s,
                            char *buf, size_t len) {
  bool seen[P_COUNT] = {false};
  size_t used = (size_t)snprintf(buf, len, "no supported configuration matches: ");
  bool first = true;
  for (int a = 0; a < rule->n_alts; a++) {
    for (int i = 0; i < rule->alts[a].count; i++) {
      int p = r->conds[rule->alts[a].first + i].param;
      values_t v = param_values(s, p);
      if (seen[p] || v.n == 0 || used >= len)
        continue;
      seen[p] = true;
      char value[32];
      format_value(p, v.v[0], value, sizeof value);
      used += (size_t)snprintf(buf + used, len - used, "%s%s = %s", first ? "" : ", ",
                               param_names[p], value);
      first = false;
    }
  }
}

/* Evaluates a rule on a subject; detail says what is off limits. */
static eval_t rule_eval(const arch_rules_t *r, const arch_rule_t *rule, const subject_t *s,
                        char *detail, size_t len) {
  if (!(rule->ops & (UINT64_C(1) << s->op_class)))
    return EVAL_HOLDS;
  if (span_eval(r, rule->when, s, NULL, 0) != EVAL_HOLDS)
    return EVAL_HOLDS; /* does not apply */
  if (rule->avoid) {
    snprintf(detail, len, "op class is %s", arch_op_class_name(s->op_class));
    return EVAL_FAILS;
  }
  bool unknown = false;
  for (int a = 0; a < rule->n_alts; a++) {
    eval_t e = span_eval(r, rule->alts[a], s, detail, len);
    if (e == EVAL_HOLDS)
      return EVAL_HOLDS;
    unknown |= e == EVAL_UNKNOWN;
  }
  if (unknown)
    return EVAL_UNKNOWN;
  if (rule->n_alts > 1)
    describe_params(r, rule, s, detail, len);
  return EVAL_FAILS;
}

/* ---- the checker of one op ---- */

static bool generic_supported(const arch_rules_t *r, const ir_op_t *op) {
  for (int i = 0; op->generic_type && i < r->n_generic_ops; i++)
    if (strcmp(r->generic_ops[i], op->generic_type) == 0)
      return true;
  return false;
}

static bool class_supported(const arch_rules_t *r, const subject_t *s) {
  if (r->npu_ops & (UINT64_C(1) << s->op_class))
    return true;
  return s->op_class == IR_OP_GENERIC && generic_supported(r, s->op);
}

static void add_finding(arch_check_t *out, int op, int rule, arch_rule_kind_t kind,
                        const char *detail) {
  if (!out)
    return;
  sched_grow((void **)&out->findings, &out->cap_findings, out->n_findings + 1,
             sizeof *out->findings);
  arch_finding_t *f = &out->findings[out->n_findings++];
  *f = (arch_finding_t){.op = op, .rule = rule, .kind = kind};
  snprintf(f->detail, sizeof f->detail, "%s", detail);
}

/* Rules of `kind` a subject breaks; appends findings to out (may be NULL). */
static int subject_breaks(const arch_t *a, const subject_t *s, int op, arch_rule_kind_t kind,
                          arch_check_t *out) {
  const arch_rules_t *r = &a->rules;
  int broken = 0;
  for (int i = 0; i < r->n_rules; i++) {
    if (r->rules[i].kind != kind)
      continue;
    char detail[256] = "";
    eval_t e = rule_eval(r, &r->rules[i], s, detail, sizeof detail);
    if (e == EVAL_UNKNOWN && out)
      out->rule_unchecked[i] = true;
    if (e != EVAL_FAILS)
      continue;
    add_finding(out, op, i, kind, detail);
    broken++;
  }
  /* An op class off the list, unless a rule of its own already says why. */
  if (kind == ARCH_RULE_RESTRICTION && broken == 0 && !class_supported(r, s)) {
    char detail[160];
    snprintf(detail, sizeof detail, "%s%s%s%s is not in %s's supported-op list",
             s->fused_act ? "fused " : "", arch_op_class_name(s->op_class),
             s->op->generic_type && !s->fused_act ? " " : "",
             s->op->generic_type && !s->fused_act ? s->op->generic_type : "", a->name);
    add_finding(out, op, ARCH_FINDING_UNSUPPORTED_OP, kind, detail);
    broken++;
  }
  return broken;
}

int arch_i_op_breaks(const arch_t *a, const ir_graph_t *g, int op, arch_rule_kind_t kind,
                     arch_check_t *out) {
  const ir_op_t *o = &g->ops[op];
  subject_t s = {.g = g, .op = o, .op_class = arch_op_class_of(g, op)};
  int broken = subject_breaks(a, &s, op, kind, out);
  if (o->fused_act != IR_OP_NONE) {
    subject_t act = {.g = g, .op = o, .op_class = (int)o->fused_act, .fused_act = true};
    broken += subject_breaks(a, &act, op, kind, out);
  }
  return broken;
}

static bool no_rules(const arch_t *a) {
  return a->rules.n_rules == 0 && a->rules.npu_ops == ARCH_OP_CLASSES_ALL;
}

bool arch_op_on_npu(const arch_t *a, const ir_graph_t *g, int op) {
  if (no_rules(a))
    return true;
  if (!a->rules.fallback_downstream)
    return arch_i_op_breaks(a, g, op, ARCH_RULE_RESTRICTION, NULL) == 0;
  /* Sorted graph: an op is off the NPU when it breaks a rule or reads the
   * output of an op that is. */
  bool *cpu = sched_xcalloc((size_t)op + 1, sizeof *cpu);
  for (int i = 0; i <= op; i++) {
    cpu[i] = arch_i_op_breaks(a, g, i, ARCH_RULE_RESTRICTION, NULL) > 0;
    for (int k = 0; k < g->ops[i].n_inputs && !cpu[i]; k++) {
      int p = g->tensors[g->ops[i].inputs[k]].producer;
      cpu[i] = p >= 0 && cpu[p];
    }
  }
  bool on_npu = !cpu[op];
  free(cpu);
  return on_npu;
}
