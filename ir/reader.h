/* reader.h - what the file readers of ir/ (json.c, onnx_*.c) share and
 * nothing else uses: the caps on sizes read from a file, a name -> index
 * table, the checks that keep shapes far from int64 overflow, and whole-file
 * reading with a size cap. */
#ifndef SCHED_IR_READER_H
#define SCHED_IR_READER_H

#include "ir/ir.h"

/* Caps on what a file may ask for; each names its unit. */
#define IR_READER_MAX_OPS (1 << 20)            /* ops (ONNX nodes) per graph */
#define IR_READER_MAX_DIM ((int64_t)1 << 31)   /* one tensor dim */
#define IR_READER_MAX_ELEMS ((int64_t)1 << 40) /* elements of one tensor */
#define IR_READER_MAX_WINDOW 65536             /* kernel, stride, pad, dilation, scale */
#define IR_READER_MAX_CHANNELS (1 << 24)       /* out_channels, groups */

/* Open-addressing table from borrowed strings (they must outlive it) to
 * non-negative ints. */
typedef struct {
  const char **keys;
  int *values;
  int cap, n;
} ir_names_t;

void ir_names_init(ir_names_t *t);
void ir_names_free(ir_names_t *t);
/* Maps key to value unless key is present; returns the value already
 * present, or -1 when key was added. */
int ir_names_put(ir_names_t *t, const char *key, int value);
/* The value of key, or -1. */
int ir_names_get(const ir_names_t *t, const char *key);

/* Shape with every dim in 1..IR_READER_MAX_DIM and at most
 * IR_READER_MAX_ELEMS elements; otherwise an input error
 * "<what>: shape AxBxCxD <why>". */
int ir_reader_check_shape(ir_shape_t s, const char *what, sched_diag_t *diag);

/* Infers op `op`'s output shape (errors from shape.c name the op) and checks
 * it with ir_reader_check_shape, so chains of growing ops cannot overflow. */
int ir_reader_infer_op(ir_graph_t *g, int op, sched_diag_t *diag);

/* Renames tensor t (the graph owns the new copy). */
void ir_reader_rename_tensor(ir_graph_t *g, int t, const char *name);

/* Reads a whole regular file of at most max_bytes into a malloc'ed buffer
 * (NUL-terminated; *len excludes the NUL). Errors name the path. */
int ir_reader_slurp(const char *path, size_t max_bytes, char **data, size_t *len,
                    sched_diag_t *diag);

#endif
