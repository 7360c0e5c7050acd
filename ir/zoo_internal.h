/* zoo_internal.h - what the zoo's files share: the table entry of a net, its
 * parsed "key=value" arguments, and the op-building helpers the net
 * functions are written with. */
#ifndef SCHED_ZOO_INTERNAL_H
#define SCHED_ZOO_INTERNAL_H

#include "ir/ir.h"

#define ZOO_MAX_PARAMS 12

/* One parameter of a net. An integer parameter has a range; a choice
 * parameter lists its values ("relu|prelu", the first is the default). A
 * default that is neither a number nor a choice names a rule the builder
 * applies when the key is not given (e.g. kw defaults to "kh"). */
typedef struct {
  const char *key;
  const char *def;
  int64_t min, max;    /* integer parameters */
  const char *choices; /* choice parameters, else NULL */
} zoo_param_t;

struct zoo_net;

/* Parsed arguments: integers as themselves, choices as their index. */
typedef struct {
  const struct zoo_net *net;
  int64_t value[ZOO_MAX_PARAMS];
  bool given[ZOO_MAX_PARAMS];
} zoo_args_t;

typedef int (*zoo_build_fn_t)(const zoo_args_t *args, ir_graph_t *g, sched_diag_t *diag);

typedef struct zoo_net {
  const char *name;
  const char *summary;
  zoo_build_fn_t build;
  zoo_param_t params[ZOO_MAX_PARAMS]; /* ends at the first NULL key */
} zoo_net_t;

/* ---- zoo.c: argument access (keys are the net's own; asserted) ---- */

int64_t zoo_int(const zoo_args_t *a, const char *key);
int zoo_choice(const zoo_args_t *a, const char *key);
bool zoo_given(const zoo_args_t *a, const char *key);
ir_dtype_t zoo_dtype(const zoo_args_t *a);
/* An input error "zoo net 'NAME': MESSAGE". */
int zoo_error(const zoo_args_t *a, sched_diag_t *diag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- zoo_ops.c: building blocks ---- */

/* Adds an op named by a printf format; returns its output tensor. */
int zoo_op(ir_graph_t *g, ir_op_kind_t kind, const ir_attrs_t *attrs, const int *inputs,
           int n_inputs, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Square kernel, equal stride and padding on every side (pools). */
ir_attrs_t zoo_window_attrs(int kernel, int stride, int pad);
/* Square-kernel conv with "same" padding (kernel / 2 each side) and a bias
 * (BatchNorm folded, see count.c). */
ir_attrs_t zoo_conv_attrs(int out_channels, int kernel, int stride, int groups);
int zoo_conv(ir_graph_t *g, int in, ir_attrs_t attrs, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* One-input op without attributes (activations but Clamp/LeakyReLU, pools). */
int zoo_unary(ir_graph_t *g, ir_op_kind_t kind, int in, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int zoo_relu6(ir_graph_t *g, int in, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int zoo_leaky(ir_graph_t *g, int in, float alpha, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int zoo_add(ir_graph_t *g, int a, int b, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- the nets, one function each ---- */

int zoo_build_fsrcnn(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_edsr(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_wdsr(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_mobilenetv2(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_resnet18(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_resnet34(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_resnet50(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_resnet101(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_yolov3_tiny(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_conv(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_dwconv(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_pool(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_eltwise(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_vit(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_bert(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);
int zoo_build_llm(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag);

#endif
