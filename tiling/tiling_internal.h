/* tiling_internal.h - geometry shared by the files of tiling/. */
#ifndef SCHED_TILING_INTERNAL_H
#define SCHED_TILING_INTERNAL_H

#include "tiling/tiling.h"

/* Bytes of the weight table entry per output channel (pointer, bias, scale). */
#define TILING_WEIGHT_TABLE_BYTES_PER_CHANNEL 16

/* What tiling needs to know of a layer, derived once from the op. */
typedef struct {
  const ir_graph_t *g;
  const ir_op_t *op;
  ir_shape_t in; /* first input */
  ir_shape_t out;
  int32_t n_inputs;           /* activation inputs that live in CMX (eltwise: 2) */
  int32_t elem_bytes;         /* activation element size */
  int32_t kernel_h, kernel_w; /* receptive field (dilation included); 1 when none */
  int32_t stride_h, stride_w;
  int64_t weight_bytes;    /* weights + weight table, whole layer */
  int64_t operand_b_bytes; /* matmul of two activations: the second, whole */
  cost_engine_t engine;
  bool in_ddr; /* works on DDR tensors: the CPU, or KMB's UPA SHAVEs (no CMX, no split) */
} tiling_geom_t;

/* Where one cluster works inside one slice. */
typedef struct {
  int32_t out_rows, out_cols, out_channels;
  int32_t in_rows, in_cols;
  bool first_row, last_row; /* touches the top / bottom padding */
  bool first_col, last_col;
} tiling_part_t;

void tiling_geom_init(const arch_t *arch, const ir_graph_t *g, int op, tiling_geom_t *geom);
/* Input rows needed for out_rows output rows (halo included, input-clipped). */
int32_t tiling_input_rows(const tiling_geom_t *geom, int32_t out_rows);
/* Bytes of a matmul's second activation operand one cluster part needs
 * (its columns under SOK or a K slice, its heads under SOW); 0 for others. */
int64_t tiling_operand_b_bytes(const tiling_geom_t *geom, const tiling_choice_t *choice,
                               const tiling_part_t *part);
/* Clusters a strategy uses on this layer. */
int32_t tiling_clusters_used(const arch_t *arch, const tiling_geom_t *geom, tiling_strategy_t s);
/* Output rows (axis H) or channels (axis K) of slice `index` of `tiles`. */
int32_t tiling_slice_extent(const tiling_geom_t *geom, const tiling_choice_t *choice, int index);
/* The part of a slice that `cluster` computes (rows x cols x channels). */
tiling_part_t tiling_cluster_part(const arch_t *arch, const tiling_geom_t *geom,
                                  const tiling_choice_t *choice, int32_t slice_extent,
                                  bool first_slice, bool last_slice, int32_t cluster);

#endif
