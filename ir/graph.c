/* graph.c - building and owning graphs: tensors and ops in growable arrays,
 * deep copy, and the small queries (names, sizes, consumers) every stage
 * uses. Requires nothing; produces graphs whose ops are in insertion order
 * (ir_graph_sort makes them topological). */
#include "ir/ir_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void ir_graph_init(ir_graph_t *g, const char *name) {
  memset(g, 0, sizeof *g);
  g->name = sched_xstrdup(name ? name : "");
}

void ir_graph_free(ir_graph_t *g) {
  for (int i = 0; i < g->n_tensors; i++)
    free(g->tensors[i].name);
  for (int i = 0; i < g->n_ops; i++) {
    free(g->ops[i].name);
    free(g->ops[i].generic_type);
    free(g->ops[i].fused_name);
  }
  free(g->tensors);
  free(g->ops);
  free(g->inputs);
  free(g->outputs);
  free(g->name);
  memset(g, 0, sizeof *g);
}

/* Copies n items of elem_bytes; an empty array stays NULL with cap 0. */
static void *copy_array(const void *src, int n, size_t elem_bytes, int *cap) {
  *cap = n;
  if (n == 0)
    return NULL;
  return memcpy(sched_xmalloc((size_t)n * elem_bytes), src, (size_t)n * elem_bytes);
}

void ir_graph_copy(const ir_graph_t *src, ir_graph_t *dst) {
  ir_graph_init(dst, src->name);
  dst->n_tensors = src->n_tensors;
  dst->tensors = copy_array(src->tensors, src->n_tensors, sizeof *src->tensors, &dst->cap_tensors);
  for (int i = 0; i < dst->n_tensors; i++)
    dst->tensors[i].name = sched_xstrdup(src->tensors[i].name);
  dst->n_ops = src->n_ops;
  dst->ops = copy_array(src->ops, src->n_ops, sizeof *src->ops, &dst->cap_ops);
  for (int i = 0; i < dst->n_ops; i++) {
    dst->ops[i].name = sched_xstrdup(src->ops[i].name);
    if (src->ops[i].generic_type)
      dst->ops[i].generic_type = sched_xstrdup(src->ops[i].generic_type);
    if (src->ops[i].fused_name)
      dst->ops[i].fused_name = sched_xstrdup(src->ops[i].fused_name);
  }
  dst->n_inputs = src->n_inputs;
  dst->inputs = copy_array(src->inputs, src->n_inputs, sizeof *src->inputs, &dst->cap_inputs);
  dst->n_outputs = src->n_outputs;
  dst->outputs = copy_array(src->outputs, src->n_outputs, sizeof *src->outputs, &dst->cap_outputs);
}

static int add_tensor(ir_graph_t *g, const char *name, ir_shape_t shape, ir_dtype_t dtype,
                      int producer) {
  sched_grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors);
  g->tensors[g->n_tensors] = (ir_tensor_t){
      .name = sched_xstrdup(name), .shape = shape, .dtype = dtype, .producer = producer};
  return g->n_tensors++;
}

int ir_graph_add_input(ir_graph_t *g, const char *name, ir_shape_t shape, ir_dtype_t dtype) {
  int t = add_tensor(g, name, shape, dtype, -1);
  sched_grow((void **)&g->inputs, &g->cap_inputs, g->n_inputs + 1, sizeof *g->inputs);
  g->inputs[g->n_inputs++] = t;
  return t;
}

/* Zero means "not given" for these attributes; 1 is their neutral value. */
static void normalise_attrs(ir_attrs_t *a) {
  int32_t *ones[] = {&a->stride_h,   &a->stride_w, &a->dilation_h,
                     &a->dilation_w, &a->groups,   &a->scale};
  for (int i = 0; i < SCHED_ARRAY_LEN(ones); i++)
    if (*ones[i] == 0)
      *ones[i] = 1;
}

static bool inputs_known(const ir_graph_t *g, const ir_op_t *op) {
  for (int i = 0; i < op->n_inputs; i++) {
    int t = op->inputs[i];
    if (t < 0 || t >= g->n_tensors || !ir_i_shape_known(g->tensors[t].shape))
      return false;
  }
  return op->n_inputs > 0;
}

int ir_graph_add_op(ir_graph_t *g, const char *name, ir_op_kind_t kind, const ir_attrs_t *attrs,
                    const int *inputs, int n_inputs) {
  assert(n_inputs >= 0 && n_inputs <= IR_MAX_INPUTS);
  sched_grow((void **)&g->ops, &g->cap_ops, g->n_ops + 1, sizeof *g->ops);
  ir_op_t *op = &g->ops[g->n_ops];
  *op = (ir_op_t){.name = sched_xstrdup(name), .kind = kind, .n_inputs = n_inputs};
  if (attrs)
    op->attrs = *attrs;
  normalise_attrs(&op->attrs);
  if (n_inputs > 0)
    memcpy(op->inputs, inputs, (size_t)n_inputs * sizeof *inputs);
  int first = n_inputs > 0 ? inputs[0] : -1;
  ir_dtype_t dtype = first >= 0 && first < g->n_tensors ? g->tensors[first].dtype : IR_DTYPE_U8;
  /* `op` stays valid below: add_tensor only moves the tensor array. */
  int index = g->n_ops++;
  op->output = add_tensor(g, name, (ir_shape_t){0}, dtype, index);
  ir_shape_t shape;
  /* An op whose inputs are not known yet keeps a zero shape; the error, if
   * any, is reported by ir_graph_infer_shapes, which has a diagnostic. */
  if (inputs_known(g, op) && ir_i_infer(g, index, &shape, NULL) == SCHED_OK)
    g->tensors[op->output].shape = shape;
  return op->output;
}

void ir_graph_mark_output(ir_graph_t *g, int tensor) {
  sched_grow((void **)&g->outputs, &g->cap_outputs, g->n_outputs + 1, sizeof *g->outputs);
  g->outputs[g->n_outputs++] = tensor;
}

int ir_tensor_consumers(const ir_graph_t *g, int tensor, int *out, int max) {
  int count = 0;
  for (int i = 0; i < g->n_ops; i++) {
    bool reads = false;
    for (int j = 0; j < g->ops[i].n_inputs; j++)
      reads = reads || g->ops[i].inputs[j] == tensor;
    if (!reads)
      continue;
    if (out && count < max)
      out[count] = i;
    count++;
  }
  return count;
}

/* Whether op i lists tensor t among its inputs before input k. */
static bool read_before(const ir_op_t *op, int k) {
  for (int j = 0; j < k; j++)
    if (op->inputs[j] == op->inputs[k])
      return true;
  return false;
}

void ir_consumers_build(const ir_graph_t *g, ir_consumers_t *out) {
  out->start = sched_xcalloc((size_t)g->n_tensors + 1, sizeof *out->start);
  int total = 0;
  for (int i = 0; i < g->n_ops; i++)
    for (int k = 0; k < g->ops[i].n_inputs; k++)
      if (!read_before(&g->ops[i], k)) {
        out->start[g->ops[i].inputs[k] + 1]++;
        total++;
      }
  for (int t = 0; t < g->n_tensors; t++)
    out->start[t + 1] += out->start[t];
  out->ops = sched_xmalloc((size_t)SCHED_MAX(total, 1) * sizeof *out->ops);
  int *fill = sched_xmalloc((size_t)SCHED_MAX(g->n_tensors, 1) * sizeof *fill);
  memcpy(fill, out->start, (size_t)g->n_tensors * sizeof *fill);
  for (int i = 0; i < g->n_ops; i++) /* op order: each list comes out sorted */
    for (int k = 0; k < g->ops[i].n_inputs; k++)
      if (!read_before(&g->ops[i], k))
        out->ops[fill[g->ops[i].inputs[k]]++] = i;
  free(fill);
}

void ir_consumers_free(ir_consumers_t *c) {
  free(c->start);
  free(c->ops);
  c->start = c->ops = NULL;
}

int64_t ir_shape_elems(ir_shape_t s) { return s.n * s.c * s.h * s.w; }

int64_t ir_shape_dim(ir_shape_t s, ir_axis_t axis) {
  switch (axis) {
  case IR_AXIS_N: return s.n;
  case IR_AXIS_H: return s.h;
  case IR_AXIS_W: return s.w;
  default: return s.c;
  }
}

static const char *const axis_names[IR_AXIS_COUNT] = {
    [IR_AXIS_C] = "c", [IR_AXIS_N] = "n", [IR_AXIS_H] = "h", [IR_AXIS_W] = "w"};

const char *ir_axis_name(ir_axis_t axis) {
  return axis >= 0 && axis < IR_AXIS_COUNT ? axis_names[axis] : "?";
}

int ir_axis_parse(const char *s, ir_axis_t *out) {
  for (int i = 0; i < IR_AXIS_COUNT; i++) {
    if (strcmp(s, axis_names[i]) == 0) {
      *out = (ir_axis_t)i;
      return SCHED_OK;
    }
  }
  return SCHED_ERR_INPUT;
}

int ir_dtype_bytes(ir_dtype_t dt) { return dt == IR_DTYPE_FP16 ? 2 : 1; }

int64_t ir_tensor_bytes(const ir_graph_t *g, int tensor) {
  const ir_tensor_t *t = &g->tensors[tensor];
  return ir_shape_elems(t->shape) * ir_dtype_bytes(t->dtype);
}

static const char *const dtype_names[IR_DTYPE_COUNT] = {"u8", "i8", "fp16"};

const char *ir_dtype_name(ir_dtype_t dt) {
  return dt >= 0 && dt < IR_DTYPE_COUNT ? dtype_names[dt] : "?";
}

int ir_dtype_parse(const char *s, ir_dtype_t *out) {
  /* The long spellings are what ONNX and frameworks print. */
  static const char *const aliases[IR_DTYPE_COUNT] = {"uint8", "int8", "float16"};
  for (int i = 0; i < IR_DTYPE_COUNT; i++) {
    if (strcmp(s, dtype_names[i]) == 0 || strcmp(s, aliases[i]) == 0) {
      *out = (ir_dtype_t)i;
      return SCHED_OK;
    }
  }
  return SCHED_ERR_INPUT;
}

static const char *const kind_names[IR_OP_KIND_COUNT] = {
    [IR_OP_NONE] = "none",
    [IR_OP_CONV] = "conv",
    [IR_OP_TRANSPOSE_CONV] = "transpose_conv",
    [IR_OP_FULLY_CONNECTED] = "fully_connected",
    [IR_OP_MAXPOOL] = "maxpool",
    [IR_OP_AVGPOOL] = "avgpool",
    [IR_OP_GLOBAL_AVGPOOL] = "global_avgpool",
    [IR_OP_ADD] = "add",
    [IR_OP_SUB] = "sub",
    [IR_OP_MUL] = "mul",
    [IR_OP_RELU] = "relu",
    [IR_OP_CLAMP] = "clamp",
    [IR_OP_LEAKY_RELU] = "leaky_relu",
    [IR_OP_PRELU] = "prelu",
    [IR_OP_SIGMOID] = "sigmoid",
    [IR_OP_TANH] = "tanh",
    [IR_OP_SOFTMAX] = "softmax",
    [IR_OP_GELU] = "gelu",
    [IR_OP_HARDSWISH] = "hardswish",
    [IR_OP_HARDSIGMOID] = "hardsigmoid",
    [IR_OP_SWISH] = "swish",
    [IR_OP_UPSAMPLE] = "upsample",
    [IR_OP_DEPTH_TO_SPACE] = "depth_to_space",
    [IR_OP_CONCAT] = "concat",
    [IR_OP_RESHAPE] = "reshape",
    [IR_OP_TRANSPOSE] = "transpose",
    [IR_OP_MATMUL] = "matmul",
    [IR_OP_LAYERNORM] = "layernorm",
    [IR_OP_RMSNORM] = "rmsnorm",
    [IR_OP_GATHER] = "gather",
    [IR_OP_SLICE] = "slice",
    [IR_OP_DIV] = "div",
    [IR_OP_POW] = "pow",
    [IR_OP_SQRT] = "sqrt",
    [IR_OP_RECIPROCAL] = "reciprocal",
    [IR_OP_REDUCE_MEAN] = "reduce_mean",
    [IR_OP_GENERIC] = "generic",
};

const char *ir_op_kind_name(ir_op_kind_t kind) {
  return kind >= 0 && kind < IR_OP_KIND_COUNT ? kind_names[kind] : "?";
}

int ir_op_kind_parse(const char *s, ir_op_kind_t *out) {
  if (strcmp(s, "silu") == 0) { /* SiLU is Swish with beta 1, the only Swish here */
    *out = IR_OP_SWISH;
    return SCHED_OK;
  }
  for (int i = 0; i < IR_OP_KIND_COUNT; i++) {
    if (strcmp(s, kind_names[i]) == 0) {
      *out = (ir_op_kind_t)i;
      return SCHED_OK;
    }
  }
  return SCHED_ERR_INPUT;
}

const char *ir_upsample_mode_name(ir_upsample_mode_t m) {
  switch (m) {
  case IR_UPSAMPLE_NEAREST: return "nearest";
  case IR_UPSAMPLE_BILINEAR: return "bilinear";
  case IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS: return "bilinear_align_corners";
  }
  return "?";
}

bool ir_op_is_depthwise(const ir_graph_t *g, const ir_op_t *op) {
  if (op->kind != IR_OP_CONV || op->attrs.groups <= 1 || op->n_inputs < 1)
    return false;
  int t = op->inputs[0];
  if (t < 0 || t >= g->n_tensors)
    return false;
  int64_t c = g->tensors[t].shape.c;
  return op->attrs.groups == c && op->attrs.out_channels == c;
}

bool ir_op_is_activation(ir_op_kind_t kind) { return kind >= IR_OP_RELU && kind <= IR_OP_SWISH; }
