/* tiling.h - one layer + a multi-cluster strategy + tile counts -> the
 * per-cluster DPU workloads, the per-cluster CMX footprint, and the layer's
 * compute and DMA cost.
 *
 * A layer is one op of a fused graph (activations folded into the PPE by
 * ir_graph_fuse_activations). "Clusters" are the NPU tiles of arch.h; to
 * avoid the clash of words, a "tile" here is one slice of a layer in time:
 * a layer that does not fit CMX runs as `tiles` slices over H or over output
 * channels, one after another. */
#ifndef SCHED_TILING_H
#define SCHED_TILING_H

#include "cost/cost.h"

/* Multi-cluster strategies of DESIGN.md. */
typedef enum {
  STRAT_CLUSTERING, /* everything duplicated; one cluster's compute */
  STRAT_SOH,        /* split over height (overlapped input rows for k > 1) */
  STRAT_SOK,        /* split over output channels, output broadcast */
  STRAT_HKSWITCH,   /* computed over H, output broadcast to all clusters */
  STRAT_SOW,        /* split over width (archs with has_sow); over heads (W) for transformer ops */
  STRAT_COUNT
} tiling_strategy_t;

/* How a tensor lies across clusters' CMX. A duplicated tensor serves any
 * segmented consumer (each cluster reads its part); a segmented one must
 * spill to become anything else. */
typedef enum { DIST_DUPLICATED, DIST_SEGMENTED_H, DIST_SEGMENTED_W, DIST_COUNT } tiling_dist_t;

typedef enum { TILING_AXIS_NONE, TILING_AXIS_H, TILING_AXIS_K } tiling_axis_t;

/* One way to run a layer. */
typedef struct {
  tiling_strategy_t strategy;
  tiling_axis_t axis; /* axis of the slices in time; NONE when tiles == 1 */
  int32_t tiles;      /* slices in time, >= 1 */
  bool pipelined;     /* next slice's DMA overlaps this slice's compute */
} tiling_choice_t;

/* Bytes one cluster holds for the largest slice (double-buffered parts
 * counted twice when pipelined). */
typedef struct {
  int64_t input_bytes;
  int64_t output_bytes;
  int64_t weight_bytes; /* weights + weight table */
  int64_t total_bytes;
} tiling_footprint_t;

/* Cost of a layer under a choice, in DPU cycles. The activation DMA terms
 * are what moving the whole input / output through DDR costs; whether they
 * are paid depends on the neighbours (strategies/ decides). */
typedef struct {
  int32_t clusters;          /* clusters used */
  int64_t compute_cycles;    /* sum over slices of the slowest cluster */
  int64_t broadcast_cycles;  /* of which writing SOK / HKSwitch outputs to every tile */
  int64_t weight_dma_cycles; /* weights + weight table, DDR -> CMX */
  int64_t input_dma_cycles;  /* whole input, DDR -> CMX */
  int64_t output_dma_cycles; /* whole output, CMX -> DDR */
  int64_t input_dma_bytes;   /* bytes behind input_dma_cycles (halos included) */
  int64_t output_dma_bytes;
  int64_t weight_dma_bytes;
  arch_mpe_mode_t mode;      /* MPE mode of the largest workload (AUTO if none) */
  arch_mpe_mode_t rest_mode; /* its second DPU workload's mode when split in two, else AUTO */
  const char *provider;      /* cost provider of the largest workload, or NULL */
  cost_engine_t engine;
  bool works_in_ddr; /* reads and writes DDR (CPU, KMB's SHAVEs): its neighbours spill */
  tiling_footprint_t footprint;
} tiling_layer_cost_t;

/* ---- layer.c ---- */

/* Whether a strategy can run this layer on this arch at all (e.g. SOH needs
 * one output row per cluster, SOW needs has_sow, SOK needs >= 2 16-channel
 * groups). Fills *why with the reason when not legal (why may be NULL). */
bool tiling_strategy_legal(const arch_t *arch, const ir_graph_t *g, int op,
                           tiling_strategy_t strategy, const char **why);
/* A layer that streams its activations through DDR whatever its neighbours
 * do: cut into slices, or working in DDR (a fallback op on the host CPU, a
 * SHAVE op on KMB's UPA SHAVEs read their inputs from and write their output
 * to DDR). Its inputs and output spill. */
bool tiling_streams_ddr(const tiling_choice_t *choice, const tiling_layer_cost_t *cost);
/* The layer's MPE mode as a report shows it: "-" (no DPU workload),
 * "16x16", or "8x16+4x16" when its workloads are split in two. */
const char *tiling_mode_label(const tiling_layer_cost_t *cost, char *buf, size_t len);
/* Costs a layer under a choice. Errors (from the cost model) name the layer. */
int tiling_layer_cost(const cost_model_t *model, const ir_graph_t *g, int op,
                      const tiling_choice_t *choice, tiling_layer_cost_t *out, sched_diag_t *diag);
/* The bytes a slicing may take per cluster: the fit margin (isolated or
 * pipelined) of the CMX workspace. */
int64_t tiling_fit_budget_bytes(const arch_t *arch, bool pipelined);
/* The fewest slices for which the footprint fits the fit margin of CMX
 * (isolated or pipelined per choice->pipelined); fills choice->tiles and
 * choice->axis. SCHED_ERR_INFEASIBLE naming the layer and the smallest
 * footprint when no slicing fits. */
int tiling_choose_tiles(const arch_t *arch, const ir_graph_t *g, int op, tiling_choice_t *choice,
                        sched_diag_t *diag);

/* The smallest isolated footprint any slicing of the layer reaches under a
 * strategy (for errors that say how far a budget is from fitting). */
int64_t tiling_smallest_footprint(const arch_t *arch, const ir_graph_t *g, int op,
                                  tiling_strategy_t strategy);

/* ---- footprint.c ---- */

tiling_footprint_t tiling_layer_footprint(const arch_t *arch, const ir_graph_t *g, int op,
                                          const tiling_choice_t *choice);
/* How a strategy distributes its input and its output. */
tiling_dist_t tiling_input_dist(tiling_strategy_t s);
tiling_dist_t tiling_output_dist(tiling_strategy_t s);
/* A producer's output can feed a consumer's input without a spill. */
bool tiling_dist_compatible(tiling_dist_t produced, tiling_dist_t needed);
/* Bytes one cluster holds of a tensor laid out as dist over n clusters. */
int64_t tiling_tensor_cluster_bytes(const ir_graph_t *g, int tensor, tiling_dist_t dist,
                                    int32_t clusters);

const char *tiling_strategy_name(tiling_strategy_t s); /* "SOH", "SOK", "HKSwitch", ... */
int tiling_strategy_parse(const char *s, tiling_strategy_t *out);
const char *tiling_axis_name(tiling_axis_t a); /* "-", "H", "K" */

/* ---- region.c: streaming a chain of layers (vertical fusion) ---- */

#define TILING_REGION_MAX 4 /* layers per region: halos grow with depth */

/* Consecutive layers first .. first + n_ops - 1, each the only consumer of
 * the one before, sliced together over H. */
typedef struct {
  int first;
  int n_ops;
  tiling_strategy_t strategy; /* SOH, or Clustering on one cluster */
  int32_t tiles;
} tiling_region_t;

/* A layer that can be a member of a region: one spatial input, DPU or SHAVE,
 * computable row slice by row slice. */
bool tiling_op_streamable(const arch_t *arch, const ir_graph_t *g, int op);
/* What a region holds in CMX, one cluster's share: every member's weights,
 * the first member's input slice and the last's output slice (two copies
 * each: double-buffered), one slice of each intermediate. */
typedef enum {
  TILING_PART_WEIGHTS,
  TILING_PART_INPUT,
  TILING_PART_INTERMEDIATE,
  TILING_PART_OUTPUT
} tiling_part_kind_t;

typedef struct {
  tiling_part_kind_t kind;
  int op;              /* the member: its weights, its input (first), its output slice */
  int32_t copies;      /* 2: double-buffered */
  int64_t slice_bytes; /* one copy (weights: all of them) */
  int64_t halo_bytes;  /* of slice_bytes: rows beyond the rows the slice advances, which the
                          neighbouring slice holds too (0 for weights) */
} tiling_region_part_t;

#define TILING_REGION_PARTS (2 * TILING_REGION_MAX + 1)
/* The parts: each member's weights, the input, then each member's output
 * slice (the order the memory map stacks them in). Returns how many. */
int tiling_region_parts(const arch_t *arch, const ir_graph_t *g, const tiling_region_t *r,
                        tiling_region_part_t parts[TILING_REGION_PARTS]);
/* Per-cluster CMX of the region: the sum of its parts' copies. */
int64_t tiling_region_footprint(const arch_t *arch, const ir_graph_t *g, const tiling_region_t *r);
/* The fewest slices (>= 2) for which the region fits the pipelined margin;
 * SCHED_ERR_INFEASIBLE when none does. */
int tiling_region_choose_tiles(const arch_t *arch, const ir_graph_t *g, tiling_region_t *r);
/* Each member's cost (costs[n_ops]): halo recompute included, input DMA on
 * the first member only, output DMA on the last only, the region footprint
 * on every member. */
int tiling_region_cost(const cost_model_t *model, const ir_graph_t *g, const tiling_region_t *r,
                       tiling_layer_cost_t *costs, sched_diag_t *diag);

#endif
