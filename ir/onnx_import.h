/* onnx_import.h - the state the ONNX importer's files share (onnx.c reads
 * and checks the model, onnx_graph.c orders and converts its nodes,
 * onnx_ops.c holds one converter per ONNX op type). Private to ir/. */
#ifndef SCHED_IR_ONNX_IMPORT_H
#define SCHED_IR_ONNX_IMPORT_H

#include "ir/reader.h"
#include "onnx.pb-c.h"

#define ONNX_MAX_RANK 8     /* dims of an initializer */
#define ONNX_MAX_VALUES 64  /* elements of a constant whose values are read */
#define ONNX_MAX_UNKNOWN 64 /* distinct unknown op types listed in the warning */

/* One ONNX value (tensor name): an activation (an IR tensor, maybe with a
 * Pad still to fold into its consumer) or a constant (initializer or
 * Constant output: dims only, values read on demand from `tensor`). */
/* Or'ed into a rank passed to emit / onnx_val_act: the value is a sequence
 * tensor (ir.h's layout: last dim in C, then H, W, N). Rank-3 values always
 * are; rank-4 ones when computed from one (else NCHW images). */
#define ONNX_SEQ 0x100

typedef struct {
  bool is_const;
  bool seq;                    /* activation in the sequence layout */
  int tensor;                  /* activation: IR tensor id */
  int rank;                    /* ONNX rank */
  int64_t dims[ONNX_MAX_RANK]; /* ONNX dims */
  int32_t pad[4];              /* activation: Pad to fold (top, left, bottom, right) */
  const Onnx__TensorProto *tp; /* constant: its proto, NULL when computed */
  bool folded;                 /* constant computed here with its values below */
  double values[ONNX_MAX_VALUES];
} onnx_val_t;

typedef struct {
  const Onnx__GraphProto *gp;
  const ir_onnx_options_t *opts;
  const char *path;
  ir_graph_t *g;
  sched_diag_t *diag;
  ir_names_t names; /* ONNX value name -> index into vals */
  onnx_val_t *vals;
  int n_vals, cap_vals;
  ir_names_t op_names; /* IR op names in use */
  ir_names_t producer; /* value name -> node index */
  int *n_consumers;    /* per node: live readers of its output 0 (+1 if a graph output) */
  int *last_consumer;  /* per node: the last live node reading its output 0 */
  int *order;          /* node indices in topological order */
  bool *live;          /* per node: needed by a graph output */
  bool *absorbed;      /* per node: part of a pattern rewritten into another node */
  int *gelu_of;        /* per node: node x / sqrt2 when this node becomes GELU(x), else -1 */
  const char *unknown[ONNX_MAX_UNKNOWN];
  int n_unknown;
  ir_dtype_t float_dtype; /* what float inputs become */
  bool float_implicit;    /* a float input met with no float_dtype given */
} onnx_ctx_t;

/* ---- onnx.c ---- */

/* "model.onnx: <message>" as an input error. */
int onnx_error(const onnx_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "model.onnx: node 'n' (Op): <message>". */
int onnx_node_error(const onnx_ctx_t *c, const Onnx__NodeProto *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- onnx_graph.c ---- */

/* Converts the graph's nodes; inputs and initializers are registered. */
int onnx_convert_nodes(onnx_ctx_t *c);
/* Registers value `name`; returns its index or -1 when the name is taken. */
int onnx_val_add(onnx_ctx_t *c, const char *name, const onnx_val_t *v);
/* The value named `name`, or NULL. */
onnx_val_t *onnx_val_find(onnx_ctx_t *c, const char *name);
/* NCHW of an ONNX shape of rank <= 4, and back; `rank` may carry ONNX_SEQ
 * (rank 3 always does). */
ir_shape_t onnx_to_nchw(int rank, const int64_t *dims);
void onnx_from_nchw(ir_shape_t s, int rank, int64_t *dims);
/* The IR axis of ONNX axis `axis` (negative from the end) of a value; false
 * when out of range. */
bool onnx_ir_axis(const onnx_val_t *v, int64_t axis, ir_axis_t *out);
/* v's rank with ONNX_SEQ when v is a sequence tensor (for emit). */
int onnx_layout_rank(const onnx_val_t *v);
/* Live readers of the node output `name` (+1 if a graph output); a huge
 * count for values no node produces. */
int onnx_consumers(onnx_ctx_t *c, const char *name);
/* Records an activation value for tensor t (rank from the ONNX side). */
int onnx_val_act(onnx_ctx_t *c, const char *name, int t, int rank);

/* ---- onnx_shape.c: static evaluation of shape arithmetic ---- */

/* Evaluates node n when its inputs are constants whose values are known
 * (Shape of a known shape, Gather, Concat, Slice, Unsqueeze, Squeeze, Cast,
 * Add/Sub/Mul/Div of small constants): its output becomes a folded
 * constant. SCHED_ERR_NOT_FOUND when n is not such a node. */
int onnx_fold_const(onnx_ctx_t *c, const Onnx__NodeProto *n);

/* ---- onnx_ops.c ---- */

/* Node attribute `name`, or NULL; an integer attribute or def. */
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name);
int64_t onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def);
/* The values of a small constant (folded, or float/double/int32/int64 in
 * the file); the count, or -1 when they are not known. */
int onnx_const_values(const onnx_val_t *v, double *out, int max);

typedef int (*onnx_convert_fn)(onnx_ctx_t *c, const Onnx__NodeProto *n);
/* The converter of an op type, or NULL when the IR does not know it. */
onnx_convert_fn onnx_converter(const char *op_type);
/* Converts an op type the IR does not know into a generic op. */
int onnx_convert_generic(onnx_ctx_t *c, const Onnx__NodeProto *n);
/* Converts node n, the root of a decomposed GELU of value index x. */
int onnx_convert_gelu_of(onnx_ctx_t *c, const Onnx__NodeProto *n, int x);
/* True when `name` is a constant: an initializer, or the output of a
 * Constant node (used before values are registered). */
bool onnx_is_const_name(onnx_ctx_t *c, const char *name);

#endif
