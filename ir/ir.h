/* ir.h - the network IR: tensors, ops and graphs; shape inference, the
 * verifier, MAC/param counts, the PPE-fusion pass, the built-in zoo, and the
 * JSON IR and ONNX readers.
 *
 * A graph owns its tensors and ops. Every op has exactly one output tensor;
 * its activation inputs are tensor ids. Weights are implicit: their shape
 * follows from the op's attributes and input channels, which is all a
 * scheduler needs (weight values are never read). Tensor shapes are logical
 * NCHW. Sequence tensors (transformers) keep features in C, tokens in H and
 * attention heads in W (1 outside attention): the layout a matmul has when
 * the reference compiler lowers it to a 1x1 convolution, so SOK splits
 * output features, SOH tokens and SOW heads. After ir_graph_sort the ops are
 * in topological order, which every later stage relies on. */
#ifndef SCHED_IR_H
#define SCHED_IR_H

#include <stdio.h>

#include "common/common.h"

#define IR_MAX_INPUTS 16

typedef enum { IR_DTYPE_U8, IR_DTYPE_I8, IR_DTYPE_FP16, IR_DTYPE_COUNT } ir_dtype_t;

typedef struct {
  int64_t n, c, h, w;
} ir_shape_t;

/* IR_OP_NONE is zero so that a zeroed op has no fused activation. */
typedef enum {
  IR_OP_NONE = 0,
  /* DPU ops */
  IR_OP_CONV, /* groups == C is depthwise */
  IR_OP_TRANSPOSE_CONV,
  IR_OP_FULLY_CONNECTED,
  IR_OP_MAXPOOL,
  IR_OP_AVGPOOL,
  IR_OP_GLOBAL_AVGPOOL,
  IR_OP_ADD,
  IR_OP_SUB,
  IR_OP_MUL,
  /* activations: some fuse into the PPE, the rest run on SHAVE */
  IR_OP_RELU,
  IR_OP_CLAMP, /* ReLU6 / ReLUX */
  IR_OP_LEAKY_RELU,
  IR_OP_PRELU, /* per-channel slopes */
  IR_OP_SIGMOID,
  IR_OP_TANH,
  IR_OP_SOFTMAX, /* over attrs.axis (default C) */
  IR_OP_GELU,
  IR_OP_HARDSWISH,
  IR_OP_HARDSIGMOID,
  IR_OP_SWISH,
  /* data movement */
  IR_OP_UPSAMPLE,
  IR_OP_DEPTH_TO_SPACE, /* PixelShuffle */
  IR_OP_CONCAT,         /* over attrs.axis (default C) */
  IR_OP_RESHAPE,        /* also Flatten */
  IR_OP_TRANSPOSE,
  /* transformer ops (sequence layout: C features, H tokens, W heads) */
  IR_OP_MATMUL,    /* DPU: x weight (out_channels > 0) or x a second input */
  IR_OP_LAYERNORM, /* SHAVE: over attrs.axis, scale and shift per element */
  IR_OP_RMSNORM,   /* SHAVE: over attrs.axis, scale per element */
  IR_OP_GATHER,    /* DMA: embedding rows picked by index (input C == 1) */
  IR_OP_SLICE,     /* [slice_start, slice_end) along attrs.axis; Split is several */
  IR_OP_DIV,       /* elementwise ops below broadcast like NumPy */
  IR_OP_POW,
  IR_OP_SQRT,
  IR_OP_RECIPROCAL,
  IR_OP_REDUCE_MEAN, /* over attrs.axis, kept as 1 */
  IR_OP_GENERIC,     /* imported op the IR does not know: SHAVE, per-element cost */
  IR_OP_KIND_COUNT
} ir_op_kind_t;

/* An axis of the NCHW shape. C is zero: the default of softmax, concat and
 * the norms, as the CNN ops that came first use them. */
typedef enum { IR_AXIS_C = 0, IR_AXIS_N, IR_AXIS_H, IR_AXIS_W, IR_AXIS_COUNT } ir_axis_t;

typedef enum {
  IR_UPSAMPLE_NEAREST,
  IR_UPSAMPLE_BILINEAR,
  IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS
} ir_upsample_mode_t;

/* Attributes of every op kind in one struct; each kind reads its own fields.
 * Zero stride, dilation, groups or scale are normalised to 1 when the op is
 * added. */
typedef struct {
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_bottom, pad_left, pad_right;
  int32_t dilation_h, dilation_w;
  int32_t groups;
  int32_t out_channels;               /* conv, transpose conv, fully connected */
  int32_t output_pad_h, output_pad_w; /* transpose conv */
  bool has_bias;                      /* conv, transpose conv, fully connected */
  float alpha;                        /* LeakyReLU slope, HardSigmoid alpha */
  float clamp_min, clamp_max;         /* Clamp */
  ir_upsample_mode_t upsample_mode;   /* Upsample */
  int32_t scale;                      /* Upsample factor, DepthToSpace block */
  ir_shape_t reshape_to;              /* Reshape (-1 in one dim: inferred) */
  int32_t perm[4];                    /* Transpose, over NCHW */
  ir_axis_t axis;                     /* softmax, concat, norms, slice, reduce_mean */
  int32_t slice_start, slice_end;     /* Slice: [start, end) along axis */
  bool transpose_b;                   /* MatMul: second input is [n, K, N, w] (K^T folded) */
  int32_t vocab;                      /* Gather: rows of the embedding table */
} ir_attrs_t;

typedef struct {
  char *name;
  ir_shape_t shape;
  ir_dtype_t dtype;
  int producer; /* op index, -1 for a graph input */
} ir_tensor_t;

typedef struct {
  char *name;
  ir_op_kind_t kind;
  ir_attrs_t attrs;
  int inputs[IR_MAX_INPUTS]; /* activation tensor ids */
  int n_inputs;
  int output; /* tensor id */
  /* Activation folded into this op's PPE by ir_graph_fuse_activations;
   * its parameters are attrs.alpha / clamp_min / clamp_max. */
  ir_op_kind_t fused_act;
  char *fused_name;   /* the folded activation's own name, else NULL */
  char *generic_type; /* IR_OP_GENERIC: the source op type, else NULL */
} ir_op_t;

typedef struct {
  char *name;
  ir_tensor_t *tensors;
  int n_tensors, cap_tensors;
  ir_op_t *ops;
  int n_ops, cap_ops;
  int *inputs; /* tensor ids */
  int n_inputs, cap_inputs;
  int *outputs; /* tensor ids */
  int n_outputs, cap_outputs;
} ir_graph_t;

/* ---- graph.c: building and owning graphs ---- */

void ir_graph_init(ir_graph_t *g, const char *name);
void ir_graph_free(ir_graph_t *g); /* safe on a zeroed or freed graph */
/* Deep copy of src into dst (dst is initialised here). */
void ir_graph_copy(const ir_graph_t *src, ir_graph_t *dst);

/* Adds a graph input; returns its tensor id. */
int ir_graph_add_input(ir_graph_t *g, const char *name, ir_shape_t shape, ir_dtype_t dtype);
/* Adds an op reading `inputs`; creates its output tensor (named after the op,
 * dtype of its first input, shape inferred when the inputs' shapes are known)
 * and returns the output tensor id. */
int ir_graph_add_op(ir_graph_t *g, const char *name, ir_op_kind_t kind, const ir_attrs_t *attrs,
                    const int *inputs, int n_inputs);
void ir_graph_mark_output(ir_graph_t *g, int tensor);

/* Consumers of a tensor: fills up to max op ids into out (out may be NULL)
 * and returns the total count. O(ops). */
int ir_tensor_consumers(const ir_graph_t *g, int tensor, int *out, int max);
/* Every tensor's consumers at once, O(ops + inputs), for passes that ask
 * for each tensor (asking ir_tensor_consumers per tensor is quadratic):
 * tensor t's consumers are ops[start[t] .. start[t + 1] - 1], in op order,
 * an op reading t twice listed once. */
typedef struct {
  int *start; /* n_tensors + 1 */
  int *ops;
} ir_consumers_t;
void ir_consumers_build(const ir_graph_t *g, ir_consumers_t *out);
void ir_consumers_free(ir_consumers_t *c);

int64_t ir_shape_elems(ir_shape_t s);
/* The dim of s along axis. */
int64_t ir_shape_dim(ir_shape_t s, ir_axis_t axis);
const char *ir_axis_name(ir_axis_t axis); /* "n", "c", "h", "w" */
int ir_axis_parse(const char *s, ir_axis_t *out);
int ir_dtype_bytes(ir_dtype_t dt);
int64_t ir_tensor_bytes(const ir_graph_t *g, int tensor);
const char *ir_dtype_name(ir_dtype_t dt);
int ir_dtype_parse(const char *s, ir_dtype_t *out); /* SCHED_OK or SCHED_ERR_INPUT */
const char *ir_op_kind_name(ir_op_kind_t kind);     /* "conv", "maxpool", ... */
int ir_op_kind_parse(const char *s, ir_op_kind_t *out);
const char *ir_upsample_mode_name(ir_upsample_mode_t m);
/* A conv whose groups equal its input and output channels (and > 1). */
bool ir_op_is_depthwise(const ir_graph_t *g, const ir_op_t *op);
bool ir_op_is_activation(ir_op_kind_t kind);

/* ---- shape.c: shape inference ---- */

/* Infers the output shape of one op from its inputs; errors name the op and
 * the bad value (channel mismatch, kernel larger than padded input, ...). */
int ir_op_infer_shape(ir_graph_t *g, int op, sched_diag_t *diag);
/* Infers every shape in topological order. */
int ir_graph_infer_shapes(ir_graph_t *g, sched_diag_t *diag);

/* ---- verify.c: the checker and topological order (igraph) ---- */

/* Reorders ops topologically (stable for already-sorted graphs); a cycle is
 * an input error naming an op on it. */
int ir_graph_sort(ir_graph_t *g, sched_diag_t *diag);
/* Checks a sorted, shape-inferred graph: tensor ids in range, every non-input
 * tensor produced exactly once, no dangling op output unless marked as graph
 * output, positive dims, consistent channels. Names the first violation. */
int ir_graph_verify(const ir_graph_t *g, sched_diag_t *diag);

/* ---- count.c: MACs and parameters ---- */

/* Multiply-accumulates of Conv / TransposeConv / FullyConnected / MatMul
 * only (the torchvision convention, with MatMul as fvcore counts it: output
 * elements x K); 0 for every other op. */
int64_t ir_op_macs(const ir_graph_t *g, int op);
/* Weights + biases (+ per-channel PReLU slopes). */
int64_t ir_op_params(const ir_graph_t *g, int op);
/* Bytes of this op's weights (params * dtype size; 0 when none); a gather's
 * are the rows it reads (its output), not the whole table. */
int64_t ir_op_weight_bytes(const ir_graph_t *g, int op);
int64_t ir_graph_macs(const ir_graph_t *g);
/* Every op's (and the graph's) MACs, parameters and weight bytes fit in
 * int64; else an input error naming the op. The counters above saturate at
 * INT64_MAX instead of wrapping. */
int ir_graph_check_counts(const ir_graph_t *g, sched_diag_t *diag);
int64_t ir_graph_params(const ir_graph_t *g);

/* ---- fuse.c: PPE fusion ---- */

/* Folds each activation whose kind is in fusable_mask (bit = 1 << kind) into
 * its producer when that producer is a DPU op, has no fused activation yet and
 * the activation is its only consumer. The activation op disappears; its
 * output tensor id is kept (now produced by the DPU op). Returns how many
 * were fused. The graph stays sorted. */
int ir_graph_fuse_activations(ir_graph_t *g, uint64_t fusable_mask);

/* ---- zoo.c: built-in networks ---- */

/* Builds a zoo network from "name" or "name:key=value,...". Errors name an
 * unknown net (with the closest known name), key or bad value. The result is
 * sorted and shape-inferred. */
int ir_zoo_build(const char *spec, ir_graph_t *out, sched_diag_t *diag);
/* Prints every zoo net with its parameters and defaults, one per line. */
void ir_zoo_list(FILE *out);
/* Closest zoo net name to `name` (for "did you mean"), or NULL. */
const char *ir_zoo_suggest(const char *name);

/* ---- json.c: JSON IR (the format is documented in ir/JSON_IR.md) ---- */

/* Writes a sorted graph with unique tensor names as JSON IR, one input / op
 * per line, attributes only where they differ from their defaults: write ->
 * read -> write is byte-identical. */
int ir_json_write(const ir_graph_t *g, const char *path, sched_diag_t *diag);
/* The same text in a malloc'ed string (*text is NULL on error). */
int ir_json_print(const ir_graph_t *g, char **text, sched_diag_t *diag);
/* Reads JSON IR (at most 256 MiB). The result is sorted and shape-inferred;
 * ops may be listed in any order. Errors (SCHED_ERR_INPUT) name the file,
 * the op and the key: "net.json: op 2 'conv1': missing key 'kernel'". */
int ir_json_read(const char *path, ir_graph_t *out, sched_diag_t *diag);
/* Parses len bytes of JSON IR text; `where` names it in errors. */
int ir_json_parse(const char *text, size_t len, const char *where, ir_graph_t *out,
                  sched_diag_t *diag);

/* ---- onnx.c: ONNX import ---- */

typedef struct {
  const char *input_shapes; /* "name=1x3x224x224[;name2=...]" for dynamic dims, or NULL */
  bool strict;              /* unknown ops are errors instead of generic SHAVE ops */
  FILE *warnings;           /* where the one-line unknown-op warning goes; NULL: silent */
  /* What float inputs (float, float16, bfloat16, double) are planned as: "fp16" or "u8" (a
   * quantised deployment). NULL: fp16, with one warning line when the model has a float
   * input, since the choice changes every figure. */
  const char *float_dtype;
} ir_onnx_options_t;

/* Imports an ONNX model (at most 2 GiB) by shapes only: initializer values
 * are never read, so external data files may be missing. The result is
 * sorted and shape-inferred; only nodes a graph output depends on are kept.
 * Float models become opts->float_dtype (fp16 by default). BatchNormalization and bias Adds fold
 * into the conv before them, Pad into the conv / pool after it, the decomposed
 * x*0.5*(1+erf(x/sqrt2)) into one GELU. Unknown op types become IR_OP_GENERIC
 * with one warning line listing them (an error when opts->strict). Every
 * error is SCHED_ERR_INPUT with one line naming the file and the node, input
 * or initializer: "m.onnx: node 'conv1' (Conv): weight 'w' expects 16 input
 * channels (16 per group x 1 groups), input 'x' has 3". opts may be NULL. */
int ir_onnx_import(const char *path, const ir_onnx_options_t *opts, ir_graph_t *out,
                   sched_diag_t *diag);
/* The same from len bytes in memory; `where` names them in errors. */
int ir_onnx_import_buffer(const void *data, size_t len, const char *where,
                          const ir_onnx_options_t *opts, ir_graph_t *out, sched_diag_t *diag);

/* ---- load.c: one door for the CLI ---- */

/* Loads a network by spec: a path ending in .onnx or .json, else a zoo name.
 * The result is sorted, shape-inferred and verified. */
int ir_graph_load(const char *spec, const ir_onnx_options_t *opts, ir_graph_t *out,
                  sched_diag_t *diag);

#endif
