/* ir_internal.h - helpers shared by the files of ir/ (not part of the public
 * header): shape formatting for error lines, the pure shape rule the builder,
 * the inference pass and the verifier all use, and op-kind classes. */
#ifndef SCHED_IR_INTERNAL_H
#define SCHED_IR_INTERNAL_H

#include "ir/ir.h"

/* A shape as text ("1x64x56x56"), returned by value so no buffer is shared. */
typedef struct {
  char s[96];
} ir_i_shape_str_t;

ir_i_shape_str_t ir_i_shape_str(ir_shape_t s);

/* All four dims positive. */
bool ir_i_shape_known(ir_shape_t s);

/* The output shape op `op` would have given its inputs' current shapes,
 * without touching the graph. Errors name the op and the bad value. */
int ir_i_infer(const ir_graph_t *g, int op, ir_shape_t *out, sched_diag_t *diag);

/* Ops that run on the DPU and so have a PPE an activation can fuse into. */
bool ir_i_kind_is_dpu(ir_op_kind_t kind);

/* Ops that read a kernel window (conv, transpose conv, max/avg pool). */
bool ir_i_kind_has_window(ir_op_kind_t kind);

#endif
