/* arch.h - hardware descriptions: the presets of DESIGN.md's table, arch
 * files (JSON) that override any field, and size units for --cmx.
 *
 * Hardware is data: passes read these fields and never test which preset is
 * in force. Every duration in sched is counted in cycles of the DPU clock
 * (dpu_clock_mhz); arch_cycles_to_us converts for reports. */
#ifndef SCHED_ARCH_H
#define SCHED_ARCH_H

#include <stdio.h>

#include "common/common.h"

/* MPE execution modes. AUTO asks the cost model to pick the fastest. */
typedef enum {
  ARCH_MPE_AUTO = 0,
  ARCH_MPE_CUBOID_16x16,
  ARCH_MPE_CUBOID_8x16,
  ARCH_MPE_CUBOID_4x16,
  ARCH_MPE_VECTOR, /* vpu20 */
  ARCH_MPE_MATRIX, /* vpu20 */
  ARCH_MPE_COUNT
} arch_mpe_mode_t;

/* Output elements one MPE step computes: w x h spatial positions x c
 * channels. A workload's output is padded up to whole grids. */
typedef struct {
  int32_t w, h, c;
} arch_mpe_grid_t;

/* Calibrated constants of the analytic cost model, per arch (cost/ reads
 * them; arch files may override them). */
typedef struct {
  double conv_efficiency;            /* fraction of peak MACs a large dense conv reaches */
  double dw_macs_per_cycle_u8;       /* depthwise conv, per DPU */
  double dw_macs_per_cycle_fp16;
  double pool_elems_per_cycle;       /* output elements x kernel area per cycle */
  double eltwise_elems_per_cycle;    /* output elements per cycle */
  int32_t workload_overhead_cycles;  /* fixed cost per DPU workload */
  int32_t dw_channel_align_bytes;    /* depthwise/pool channels pad to this many bytes (32 on
                                        NPU2.7: 16 u8 channels cost like 32) */
  double mode_efficiency[ARCH_MPE_COUNT]; /* relative throughput per MPE mode (1 = full) */
  double shave_launch_us;            /* fixed cost per SHAVE kernel */
  double shave_bytes_per_cycle;      /* per SHAVE, simple kernels (ReLU-like) */
  double shave_complex_factor;       /* slowdown of transcendental kernels (Sigmoid, GELU, ...) */
} arch_cost_params_t;

#define ARCH_NAME_MAX 32

typedef struct {
  char name[ARCH_NAME_MAX];
  int32_t tiles;               /* clusters */
  int32_t dpus_per_tile;
  int32_t macs_per_cycle_int8; /* per DPU; fp16 runs at half */
  double dpu_clock_mhz;
  int64_t cmx_bytes;           /* physical CMX per tile */
  int64_t cmx_workspace_bytes; /* usable per tile: the budget --cmx sets */
  int32_t dma_ports;
  double ddr_bandwidth_gbps;     /* 1e9 bytes/s, shared by all ports */
  double cmx_dma_bandwidth_gbps; /* CMX-to-CMX, per port */
  double dma_latency_ns;         /* DDR paths */
  double cmx_dma_latency_ns;     /* CMX-to-CMX */
  int32_t barriers;      /* physical barriers */
  int32_t barrier_slots; /* producer and consumer slots per barrier */
  int32_t shaves;        /* SHAVE cores available to the network */
  arch_mpe_mode_t mpe_modes[ARCH_MPE_COUNT]; /* modes this DPU supports */
  int32_t n_mpe_modes;
  int32_t channel_align; /* channels pad up to a multiple of this (16) */
  int32_t soh_hw_align;  /* SOH: H*W per cluster a multiple of this (vpu27: 4) */
  bool has_sow;          /* split over width is available */
  double fit_isolated;   /* fraction of CMX an isolated tile may use (0.90) */
  double fit_pipelined;  /* ... a pipelined (double-buffered) tile (0.85) */
  uint64_t ppe_fusable;  /* bit (1 << ir_op_kind_t) set: fuses free into the PPE */
  arch_cost_params_t cost;
} arch_t;

/* ---- arch.c: presets and arch files ---- */

/* Fills *out with a preset ("vpu20", "vpu27", "vpu40"); an unknown name is
 * an input error listing the known ones. */
int arch_preset(const char *name, arch_t *out, sched_diag_t *diag);
/* A preset name, or a JSON file: {"base": "vpu27", "tiles": 4, ...} where any
 * field of arch_t may be overridden (cost params under "cost"). Unknown keys
 * and wrong types are input errors naming the key. */
int arch_load(const char *name_or_path, arch_t *out, sched_diag_t *diag);
/* Sets the CMX budget per tile; rejects zero, negative, or larger than the
 * physical CMX (naming both sizes). */
int arch_set_cmx(arch_t *a, int64_t bytes, sched_diag_t *diag);
/* Checks every field for sane ranges (tiles >= 1, clocks > 0, ...). */
int arch_verify(const arch_t *a, sched_diag_t *diag);
/* Writes the constants in force, one "# key: value unit" line each. */
void arch_describe(const arch_t *a, FILE *out);
/* Names of the presets, NULL-terminated. */
const char *const *arch_preset_names(void);

/* ---- units.c: sizes and times ---- */

/* Parses "2MB", "1936KB", "1.5MiB", "2097152", "512B". KB/MB/GB are binary
 * (as DESIGN.md says), as are KiB/MiB/GiB. Rejects empty, negative, zero,
 * unknown units, fractional bytes and sizes above 1 TiB, naming the text. */
int arch_parse_size(const char *text, int64_t *bytes, sched_diag_t *diag);
/* Formats bytes as "2.00 MiB" / "512 B" into buf. */
const char *arch_format_size(int64_t bytes, char *buf, size_t buf_len);
double arch_cycles_to_us(const arch_t *a, int64_t cycles);
int64_t arch_us_to_cycles(const arch_t *a, double us);

const char *arch_mpe_mode_name(arch_mpe_mode_t mode); /* "16x16", "8x16", ... */
int arch_mpe_mode_parse(const char *s, arch_mpe_mode_t *out);
arch_mpe_grid_t arch_mpe_grid(arch_mpe_mode_t mode);

#endif
