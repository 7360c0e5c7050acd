/* onnx_builder.h - builds ONNX models in memory for tests and benchmarks
 * with the protobuf-c bindings the importer uses (no binary models checked
 * in). Every allocation is owned by the builder and freed by mb_free. */
#ifndef SCHED_TESTS_ONNX_BUILDER_H
#define SCHED_TESTS_ONNX_BUILDER_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

#define MB_DYN (-1) /* a symbolic dim ("N") in mb_input */

typedef struct {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset;
  Onnx__OperatorSetIdProto *opsets[1];
  void **owned;
  size_t n_owned, cap_owned;
} mb_t;

static inline void *mb_own(mb_t *b, void *p) {
  if (b->n_owned == b->cap_owned) {
    b->cap_owned = b->cap_owned ? 2 * b->cap_owned : 64;
    b->owned = realloc(b->owned, b->cap_owned * sizeof *b->owned);
  }
  b->owned[b->n_owned++] = p;
  return p;
}

static inline void *mb_alloc(mb_t *b, size_t bytes) {
  return mb_own(b, calloc(1, bytes ? bytes : 1));
}

static inline char *mb_str(mb_t *b, const char *s) { return strcpy(mb_alloc(b, strlen(s) + 1), s); }

/* Appends item to a protobuf-c repeated field (*items, *n). */
static inline void mb_push(mb_t *b, void ***items, size_t *n, void *item) {
  void **grown = mb_alloc(b, (*n + 1) * sizeof *grown);
  if (*n)
    memcpy(grown, *items, *n * sizeof *grown);
  grown[(*n)++] = item;
  *items = grown;
}

static inline void mb_init(mb_t *b, int opset) {
  memset(b, 0, sizeof *b);
  onnx__model_proto__init(&b->model);
  onnx__graph_proto__init(&b->graph);
  onnx__operator_set_id_proto__init(&b->opset);
  b->model.has_ir_version = 1;
  b->model.ir_version = 8;
  b->opset.has_version = 1;
  b->opset.version = opset;
  b->opsets[0] = &b->opset;
  b->model.n_opset_import = 1;
  b->model.opset_import = b->opsets;
  b->model.graph = &b->graph;
  b->graph.name = "test";
}

static inline void mb_free(mb_t *b) {
  for (size_t i = 0; i < b->n_owned; i++)
    free(b->owned[i]);
  free(b->owned);
}

static inline Onnx__ValueInfoProto *mb_value(mb_t *b, const char *name, int elem,
                                             const int64_t *dims, int rank) {
  Onnx__ValueInfoProto *vi = mb_alloc(b, sizeof *vi);
  onnx__value_info_proto__init(vi);
  vi->name = mb_str(b, name);
  Onnx__TypeProto *tp = mb_alloc(b, sizeof *tp);
  onnx__type_proto__init(tp);
  Onnx__TypeProto__Tensor *tt = mb_alloc(b, sizeof *tt);
  onnx__type_proto__tensor__init(tt);
  tt->has_elem_type = 1;
  tt->elem_type = elem;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->type = tp;
  if (rank < 0)
    return vi;
  Onnx__TensorShapeProto *sp = mb_alloc(b, sizeof *sp);
  onnx__tensor_shape_proto__init(sp);
  for (int i = 0; i < rank; i++) {
    Onnx__TensorShapeProto__Dimension *d = mb_alloc(b, sizeof *d);
    onnx__tensor_shape_proto__dimension__init(d);
    if (dims[i] == MB_DYN) {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      d->dim_param = mb_str(b, "N");
    } else {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      d->dim_value = dims[i];
    }
    mb_push(b, (void ***)&sp->dim, &sp->n_dim, d);
  }
  tt->shape = sp;
  return vi;
}

/* A float input of the given dims (MB_DYN: symbolic). */
static inline void mb_input(mb_t *b, const char *name, const int64_t *dims, int rank) {
  mb_push(b, (void ***)&b->graph.input, &b->graph.n_input,
          mb_value(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, rank));
}

static inline void mb_output(mb_t *b, const char *name) {
  mb_push(b, (void ***)&b->graph.output, &b->graph.n_output,
          mb_value(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, NULL, -1));
}

static inline Onnx__TensorProto *mb_tensor(mb_t *b, const char *name, int type, const int64_t *dims,
                                           int rank) {
  Onnx__TensorProto *t = mb_alloc(b, sizeof *t);
  onnx__tensor_proto__init(t);
  t->name = mb_str(b, name);
  t->has_data_type = 1;
  t->data_type = type;
  t->n_dims = (size_t)rank;
  t->dims = mb_alloc(b, (size_t)rank * sizeof *t->dims);
  memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
  return t;
}

/* A float initializer with raw_data of `raw_bytes` zero bytes (0: the
 * values are absent, which the importer never needs). */
static inline Onnx__TensorProto *mb_weight(mb_t *b, const char *name, const int64_t *dims, int rank,
                                           size_t raw_bytes) {
  Onnx__TensorProto *t = mb_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, rank);
  if (raw_bytes) {
    t->has_raw_data = 1;
    t->raw_data.len = raw_bytes;
    t->raw_data.data = mb_alloc(b, raw_bytes);
  }
  mb_push(b, (void ***)&b->graph.initializer, &b->graph.n_initializer, t);
  return t;
}

/* An int64 initializer holding values (shapes, pads). */
static inline void mb_ints(mb_t *b, const char *name, const int64_t *values, int n) {
  int64_t dims[1] = {n};
  Onnx__TensorProto *t = mb_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dims, 1);
  t->n_int64_data = (size_t)n;
  t->int64_data = mb_alloc(b, (size_t)n * sizeof *values);
  memcpy(t->int64_data, values, (size_t)n * sizeof *values);
  mb_push(b, (void ***)&b->graph.initializer, &b->graph.n_initializer, t);
}

/* A float initializer holding values (scales, clip bounds). */
static inline void mb_floats(mb_t *b, const char *name, const float *values, int n, int rank) {
  int64_t dims[1] = {n};
  Onnx__TensorProto *t = mb_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, rank);
  t->n_float_data = (size_t)n;
  t->float_data = mb_alloc(b, (size_t)n * sizeof *values);
  memcpy(t->float_data, values, (size_t)n * sizeof *values);
  mb_push(b, (void ***)&b->graph.initializer, &b->graph.n_initializer, t);
}

/* A node; inputs is a "|"-separated list ("x|w|b", "" entries allowed). */
static inline Onnx__NodeProto *mb_node(mb_t *b, const char *op, const char *name,
                                       const char *inputs, const char *output) {
  Onnx__NodeProto *n = mb_alloc(b, sizeof *n);
  onnx__node_proto__init(n);
  n->op_type = mb_str(b, op);
  n->name = mb_str(b, name);
  char *list = mb_str(b, inputs);
  for (char *p = list; p;) {
    char *bar = strchr(p, '|');
    if (bar)
      *bar = '\0';
    if (*p || bar)
      mb_push(b, (void ***)&n->input, &n->n_input, p);
    p = bar ? bar + 1 : NULL;
  }
  mb_push(b, (void ***)&n->output, &n->n_output, mb_str(b, output));
  mb_push(b, (void ***)&b->graph.node, &b->graph.n_node, n);
  return n;
}

static inline Onnx__AttributeProto *mb_attr(mb_t *b, Onnx__NodeProto *n, const char *name,
                                            int type) {
  Onnx__AttributeProto *a = mb_alloc(b, sizeof *a);
  onnx__attribute_proto__init(a);
  a->name = mb_str(b, name);
  a->has_type = 1;
  a->type = type;
  mb_push(b, (void ***)&n->attribute, &n->n_attribute, a);
  return a;
}

static inline void mb_attr_int(mb_t *b, Onnx__NodeProto *n, const char *name, int64_t v) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = v;
}

static inline void mb_attr_float(mb_t *b, Onnx__NodeProto *n, const char *name, float v) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = v;
}

static inline void mb_attr_ints(mb_t *b, Onnx__NodeProto *n, const char *name, int count, ...) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = (size_t)count;
  a->ints = mb_alloc(b, (size_t)count * sizeof *a->ints);
  va_list ap;
  va_start(ap, count);
  for (int i = 0; i < count; i++)
    a->ints[i] = va_arg(ap, int);
  va_end(ap);
}

static inline void mb_attr_str(mb_t *b, Onnx__NodeProto *n, const char *name, const char *s) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.len = strlen(s);
  a->s.data = (uint8_t *)mb_str(b, s);
}

/* The serialised model (malloc'ed; the caller frees). */
static inline uint8_t *mb_pack(const mb_t *b, size_t *len) {
  *len = onnx__model_proto__get_packed_size(&b->model);
  uint8_t *buf = malloc(*len ? *len : 1);
  onnx__model_proto__pack(&b->model, buf);
  return buf;
}

#endif
