/* zoo_ops.c - the building blocks the zoo's nets are written with: ops named
 * by printf formats ("layer%d.%d.conv1"), convs with "same" padding and a
 * folded-BatchNorm bias, and the common activations. */
#include "ir/zoo_internal.h"

#include <stdarg.h>
#include <stdio.h>

#define ZOO_NAME_MAX 128

static int add_named(ir_graph_t *g, ir_op_kind_t kind, const ir_attrs_t *attrs, const int *inputs,
                     int n_inputs, const char *fmt, va_list ap) {
  char name[ZOO_NAME_MAX];
  vsnprintf(name, sizeof name, fmt, ap);
  return ir_graph_add_op(g, name, kind, attrs, inputs, n_inputs);
}

int zoo_op(ir_graph_t *g, ir_op_kind_t kind, const ir_attrs_t *attrs, const int *inputs,
           int n_inputs, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int t = add_named(g, kind, attrs, inputs, n_inputs, fmt, ap);
  va_end(ap);
  return t;
}

ir_attrs_t zoo_window_attrs(int kernel, int stride, int pad) {
  return (ir_attrs_t){.kernel_h = kernel,
                      .kernel_w = kernel,
                      .stride_h = stride,
                      .stride_w = stride,
                      .pad_top = pad,
                      .pad_bottom = pad,
                      .pad_left = pad,
                      .pad_right = pad};
}

ir_attrs_t zoo_conv_attrs(int out_channels, int kernel, int stride, int groups) {
  ir_attrs_t a = zoo_window_attrs(kernel, stride, kernel / 2);
  a.groups = groups;
  a.out_channels = out_channels;
  a.has_bias = true;
  return a;
}

int zoo_conv(ir_graph_t *g, int in, ir_attrs_t attrs, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int t = add_named(g, IR_OP_CONV, &attrs, &in, 1, fmt, ap);
  va_end(ap);
  return t;
}

int zoo_unary(ir_graph_t *g, ir_op_kind_t kind, int in, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int t = add_named(g, kind, NULL, &in, 1, fmt, ap);
  va_end(ap);
  return t;
}

int zoo_relu6(ir_graph_t *g, int in, const char *fmt, ...) {
  ir_attrs_t a = {.clamp_min = 0.0f, .clamp_max = 6.0f};
  va_list ap;
  va_start(ap, fmt);
  int t = add_named(g, IR_OP_CLAMP, &a, &in, 1, fmt, ap);
  va_end(ap);
  return t;
}

int zoo_leaky(ir_graph_t *g, int in, float alpha, const char *fmt, ...) {
  ir_attrs_t a = {.alpha = alpha};
  va_list ap;
  va_start(ap, fmt);
  int t = add_named(g, IR_OP_LEAKY_RELU, &a, &in, 1, fmt, ap);
  va_end(ap);
  return t;
}

int zoo_add(ir_graph_t *g, int a, int b, const char *fmt, ...) {
  int in[2] = {a, b};
  va_list ap;
  va_start(ap, fmt);
  int t = add_named(g, IR_OP_ADD, NULL, in, 2, fmt, ap);
  va_end(ap);
  return t;
}
