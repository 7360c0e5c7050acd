/* cost.h - cost providers behind one interface: the analytic DPU/DMA/SHAVE
 * model and measured lookup tables.
 *
 * A DPU workload is the unit the hardware runs: one cluster's share of one
 * layer (or of one tile of it). Providers answer in DPU clock cycles. A
 * provider may decline a workload (SCHED_ERR_NOT_FOUND); the cost model then
 * falls back to the analytic provider and says so in the estimate. */
#ifndef SCHED_COST_H
#define SCHED_COST_H

#include "arch/arch.h"
#include "ir/ir.h"

typedef enum {
  COST_DPU_CONV,
  COST_DPU_DWCONV,
  COST_DPU_MAXPOOL,
  COST_DPU_AVGPOOL,
  COST_DPU_ELTWISE,
  COST_DPU_OP_COUNT
} cost_dpu_op_t;

typedef struct {
  cost_dpu_op_t op;
  int32_t in_c, in_h, in_w;
  int32_t out_c, out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_bottom, pad_left, pad_right;
  ir_dtype_t dtype;
  arch_mpe_mode_t mode; /* ARCH_MPE_AUTO: the fastest supported mode */
  /* Tiles the whole output is written to (SOK/HKSwitch broadcast): 0 or 1 =
   * the workload's own tile, N = its tile and N-1 others. Checked against
   * the arch's tiles. */
  int32_t output_write_tiles;
} cost_workload_t;

typedef struct {
  int64_t cycles;              /* DPU clock cycles, the multi-tile write included */
  int64_t output_write_cycles; /* what writing to output_write_tiles > 1 tiles adds (else 0) */
  arch_mpe_mode_t mode;        /* the mode costed (the best one under AUTO) */
  /* Under AUTO the workload may run as two DPU workloads (variants), each
   * paying its overhead: the widest columns that fill `mode`'s grid, and
   * the remaining columns in rest_mode. n_workloads is 1 or 2; rest_mode is
   * AUTO for one workload. */
  int32_t n_workloads;
  arch_mpe_mode_t rest_mode;
  const char *provider; /* name of the provider that answered */
} cost_dpu_estimate_t;

/* Where a DMA moves bytes. */
typedef enum { COST_DMA_DDR_TO_CMX, COST_DMA_CMX_TO_DDR, COST_DMA_CMX_TO_CMX } cost_dma_path_t;

/* Which engine runs an op. */
typedef enum {
  COST_ENGINE_DPU,
  COST_ENGINE_SHAVE,
  COST_ENGINE_DMA,  /* data movement only (depth-to-space, nearest upsample on some archs) */
  COST_ENGINE_NONE, /* free: reshape, concat in place, fused activations */
  COST_ENGINE_CPU   /* falls back to the host CPU: breaks an operator restriction of the arch */
} cost_engine_t;

/* A provider: adding one is one file plus one row in cost.c's table. */
typedef struct cost_provider {
  const char *name;
  /* Opens the provider's data (arg is what follows "name:" in the spec, or
   * NULL); fills *state. */
  int (*open)(const char *arg, const arch_t *arch, void **state, sched_diag_t *diag);
  /* Costs one workload or returns SCHED_ERR_NOT_FOUND. */
  int (*dpu_workload)(const void *state, const arch_t *arch, const cost_workload_t *wl,
                      cost_dpu_estimate_t *out);
  void (*close)(void *state);
} cost_provider_t;

typedef struct {
  const arch_t *arch; /* borrowed; must outlive the model */
  const cost_provider_t *provider;
  void *state;
} cost_model_t;

/* ---- cost.c: the model ---- */

/* spec: "analytic" or "lut:FILE.csv". Errors name the bad spec or file line. */
int cost_model_init(cost_model_t *m, const arch_t *arch, const char *spec, sched_diag_t *diag);
void cost_model_free(cost_model_t *m);

/* Costs one DPU workload: the model's provider first, analytic as fallback.
 * Under ARCH_MPE_AUTO it is also costed split in two by columns (see
 * cost_dpu_estimate_t) and the cheaper way wins, as the reference compiler
 * picks among its workload splits. Providers cost a write to one tile; a
 * multi-tile write (output_write_tiles > 1) is then added by
 * cost_output_write_cycles. Input errors (non-positive dims, unsupported
 * mode) name the field. */
int cost_dpu_workload(const cost_model_t *m, const cost_workload_t *wl, cost_dpu_estimate_t *out,
                      sched_diag_t *diag);
/* The DPU time of writing a workload's whole output to output_write_tiles
 * tiles: tiles x (output positions x owt_cycles_per_position + output bytes
 * / owt_bytes_per_cycle). 0 for one tile. */
int64_t cost_output_write_cycles(const arch_t *arch, const cost_workload_t *wl);
/* A workload's cycles with its multi-tile write: the write overlaps the
 * compute (single_tile_cycles, overhead included), so the slower of the
 * two, plus the broadcast's fixed owt_overhead_cycles. */
int64_t cost_with_output_write(const arch_t *arch, const cost_workload_t *wl,
                               int64_t single_tile_cycles);
/* latency + bytes / bandwidth, in DPU cycles; 0 bytes cost 0. */
int64_t cost_dma_cycles(const cost_model_t *m, int64_t bytes, cost_dma_path_t path);
/* One SHAVE kernel of this op kind over `bytes` on one SHAVE: the arch's
 * row for the kind (or its default row), launch + bytes x ns_per_byte. */
int64_t cost_shave_cycles(const cost_model_t *m, ir_op_kind_t kind, int64_t bytes);
/* One op on the host CPU (a fallback op): launch + output elements x
 * cpu_ns_per_element + MACs x cpu_ns_per_mac, in DPU cycles. Its DDR reads
 * and writes are costed apart, as DMA. */
int64_t cost_cpu_cycles(const cost_model_t *m, int64_t elements, int64_t macs);
/* The engine an op runs on, with its fused activation, on this arch: the
 * CPU when the op breaks one of the arch's operator restrictions
 * (arch_op_on_npu; op must then be an op of g). */
cost_engine_t cost_op_engine(const arch_t *arch, const ir_graph_t *g, const ir_op_t *op);
const char *cost_engine_name(cost_engine_t e);
/* "16x16", or "16x16+4x16" for a workload split in two. */
const char *cost_mode_label(arch_mpe_mode_t mode, arch_mpe_mode_t rest_mode, char *buf, size_t len);
const char *cost_dpu_op_name(cost_dpu_op_t op);
int cost_dpu_op_parse(const char *s, cost_dpu_op_t *out);

/* ---- analytic.c ---- */
extern const cost_provider_t cost_provider_analytic;
/* ---- lut.c ---- */
extern const cost_provider_t cost_provider_lut;

#endif
