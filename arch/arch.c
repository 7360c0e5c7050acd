/* arch.c - the hardware presets, arch files, the checker and the describer.
 *
 * One table (arch_fields) lists every settable field of arch_t with its JSON
 * key, type, unit and sane range. The JSON reader, arch_verify and
 * arch_describe all walk that table, so an arch file uses exactly the keys
 * the report header prints, and a new field is one struct member plus one
 * table row.
 *
 * The constants are docs/DESIGN.md's hardware table, from public sources:
 * openvinotoolkit/npu_compiler (attributes, platform resources) and
 * intel/npu-nn-cost-model (include/vpu/hw_characteristics/). The cost
 * parameters of vpu27 are calibrated on that cost model's NPU2.7 silicon
 * measurements, those of vpu40 on its NPU 4000 measurements
 * (tests/test_cost.c lists the points); vpu20 has no public measurement and
 * borrows vpu27's per-DPU efficiencies. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "arch/arch_internal.h"
#include "ir/ir.h"

#include <glob.h>

#define KIB INT64_C(1024)
#define MIB (INT64_C(1024) * 1024)
#define PPE_BIT(kind) (UINT64_C(1) << (kind))
#define PPE_DEFAULT (PPE_BIT(IR_OP_RELU) | PPE_BIT(IR_OP_CLAMP) | PPE_BIT(IR_OP_LEAKY_RELU))
#define ARCH_FILE_MAX_BYTES (1 << 20)

/* Multi-tile output writes, fitted on 29 of the 153 measured workloads with
 * output_write_tiles 2..6 that have a twin with output_write_tiles 1 in
 * intel/npu-nn-cost-model's NPU27 and NPU40 regression tests (137 NPU40,
 * 16 NPU27; tests/test_cost.c lists the 29): per tile written, 0.14 cycles
 * per output position plus one cycle per 140 bytes, overlapped with the
 * compute. A 1x1 conv broadcasting 200 KB to 4 tiles is write-bound at
 * ~2.6x its compute; a 3x3 conv hides the write. On top, NPU 4000 pays 110
 * cycles per broadcasting workload; NPU 2.7 nothing (the median NPU27 twin
 * measures the same cycles with and without the broadcast). Every one of the
 * 153 twins is then within 12%; vpu20 has no measurement and borrows
 * vpu27's. */
#define OWT_PARAMS(overhead)                                                                       \
  .owt_cycles_per_position = 0.14, .owt_bytes_per_cycle = 140.0, .owt_overhead_cycles = (overhead)

/* Calibrated on 79 NPU2.7 silicon measurements (tests/test_cost.c lists
 * them): dense conv at 98% of the MAC roofline after grid padding,
 * depthwise 96 u8 / 48 fp16 MACs per cycle on 32-byte channel groups,
 * eltwise 49 output elements per cycle, 650 cycles per workload. CUBOID_4x16
 * is 7% slower than the wider modes on the same work (measured on eltwise).
 * Pooling has no public measurement: it is costed like a depthwise conv. */
#define COST_PARAMS_VPU27                                                                          \
  {                                                                                                \
    .conv_efficiency = 0.98, .fp16_slowdown = 2.0, .dw_macs_per_cycle_u8 = 96.0,                   \
    .dw_macs_per_cycle_fp16 = 48.0, .pool_elems_per_cycle = 96.0, .eltwise_elems_per_cycle = 49.0, \
    .workload_overhead_cycles = 650, .dw_channel_align_bytes = 32,                                 \
    .mode_efficiency = {[ARCH_MPE_CUBOID_16x16] = 1.0,                                             \
                        [ARCH_MPE_CUBOID_8x16] = 1.0,                                              \
                        [ARCH_MPE_CUBOID_4x16] = 0.93},                                            \
    .pool_mode_efficiency = {[ARCH_MPE_CUBOID_16x16] = 1.0,                                        \
                             [ARCH_MPE_CUBOID_8x16] = 1.0,                                         \
                             [ARCH_MPE_CUBOID_4x16] = 0.93},                                       \
    .dw_kw3_factor = 1.0, .dw_kw3_max_channels = 0, OWT_PARAMS(0)                                  \
  }

/* Calibrated on 77 of the 475 NPU 4000 silicon measurements in
 * intel/npu-nn-cost-model's NPU40_regression_tests.cpp (tests/test_cost.c
 * lists them; bench_cost checks all 475): dense conv at 99% of the MAC
 * roofline, depthwise 122 u8 / 60 fp16 MACs per cycle (0.78x vpu27's
 * cycles) on the same 32-byte channel groups, 3-wide depthwise kernels at
 * stride 1 on at most 32 channels at 0.6x of that (a faster path vpu27 does
 * not have), 3x3 max pooling at 119 window elements per cycle in 16x16 mode
 * and 0.7x that in the narrow modes, eltwise 56 output elements per cycle,
 * 180 cycles per workload (vpu27: 650). */
#define COST_PARAMS_VPU40                                                                          \
  {                                                                                                \
    .conv_efficiency = 0.99, .fp16_slowdown = 2.0, .dw_macs_per_cycle_u8 = 122.0,                  \
    .dw_macs_per_cycle_fp16 = 60.0, .pool_elems_per_cycle = 119.0,                                 \
    .eltwise_elems_per_cycle = 56.0, .workload_overhead_cycles = 180,                              \
    .dw_channel_align_bytes = 32,                                                                  \
    .mode_efficiency = {[ARCH_MPE_CUBOID_16x16] = 1.0,                                             \
                        [ARCH_MPE_CUBOID_8x16] = 1.0,                                              \
                        [ARCH_MPE_CUBOID_4x16] = 0.99},                                            \
    .pool_mode_efficiency = {[ARCH_MPE_CUBOID_16x16] = 1.0,                                        \
                             [ARCH_MPE_CUBOID_8x16] = 0.70,                                        \
                             [ARCH_MPE_CUBOID_4x16] = 0.69},                                       \
    .dw_kw3_factor = 0.6, .dw_kw3_max_channels = 32, OWT_PARAMS(110)                               \
  }

/* ---- SHAVE kernels ----
 * Per op kind: launch us + ns per output byte on one SHAVE. To add a
 * kernel, add one row. */

/* NPU 2.7, intel/npu-nn-cost-model src/shave/shave_layers_vpu_2_7.csv
 * (ShaveModel1on1 rows: intercept us, slope us per byte; the line of each in
 * the comment). Kinds without a row (PReLU, Softmax, interpolation,
 * transpose, generic ops) take the file's default rate (line 51), with a
 * launch of 3 us that the file does not give (about its rows' intercept). */
#define SHAVE_KERNELS_VPU27                                                                        \
  .shave_kernels =                                                                                 \
      {                                                                                            \
          {IR_OP_NONE, 3.0, 0.3846},            /* line 51, default */                             \
          {IR_OP_SIGMOID, 3.1334, 0.14847},     /* line 3 */                                       \
          {IR_OP_TANH, 2.6858, 0.29934},        /* line 28 */                                      \
          {IR_OP_SWISH, 3.0939, 0.64840},       /* line 30 */                                      \
          {IR_OP_HARDSWISH, 3.7261, 0.72520},   /* line 32, hardswish */                           \
          {IR_OP_HARDSIGMOID, 3.7390, 0.74511}, /* line 33, hardsigmoid */                         \
          {IR_OP_GELU, 3.8455, 1.60425},        /* line 35 */                                      \
  },                                                                                               \
  .n_shave_kernels = 7

/* NPU 4000, intel/npu-nn-cost-model src/shave/shave_layers_vpu_40.csv
 * (ShaveModel1on1NPU40 rows) and, for Softmax, the NPU40 base equation in
 * src/shave/shave_collection.cpp (line 248); default rate from line 58 with
 * the same assumed 3 us launch. */
#define SHAVE_KERNELS_VPU40                                                                        \
  .shave_kernels =                                                                                 \
      {                                                                                            \
          {IR_OP_NONE, 3.0, 0.29412},           /* line 58, default */                             \
          {IR_OP_SIGMOID, 3.3993, 0.040199},    /* line 2 */                                       \
          {IR_OP_RELU, 2.3527, 0.041385},       /* line 3 */                                       \
          {IR_OP_GELU, 3.8318, 0.19821},        /* line 9 */                                       \
          {IR_OP_TANH, 3.3807, 0.040243},       /* line 15 */                                      \
          {IR_OP_HARDSIGMOID, 3.1875, 0.10075}, /* line 16 */                                      \
          {IR_OP_SWISH, 2.0512, 0.095559},      /* line 17 */                                      \
          {IR_OP_HARDSWISH, 3.0418, 0.11694},   /* line 18, hswish */                              \
          {IR_OP_PRELU, 3.0489, 0.12072},       /* line 19 */                                      \
          {IR_OP_SOFTMAX, 7.6604, 0.78365},     /* shave_collection.cpp line 248 */                \
  },                                                                                               \
  .n_shave_kernels = 10

/* KMB's UPA SHAVEs have no public per-kernel measurement: the model's
 * generic rates (4 bytes per 700 MHz cycle, 5 us launch; transcendental
 * kernels and interpolation 4x slower), not sourced. */
#define SHAVE_KERNELS_VPU20                                                                        \
  .shave_kernels =                                                                                 \
      {                                                                                            \
          {IR_OP_NONE, 5.0, 0.357},     {IR_OP_SIGMOID, 5.0, 1.429}, {IR_OP_TANH, 5.0, 1.429},     \
          {IR_OP_SOFTMAX, 5.0, 1.429},  {IR_OP_GELU, 5.0, 1.429},    {IR_OP_SWISH, 5.0, 1.429},    \
          {IR_OP_UPSAMPLE, 5.0, 1.429},                                                            \
  },                                                                                               \
  .n_shave_kernels = 7

/* The host CPU of an Intel client SoC for the rare op the VPU presets
 * cannot run (they run every op class, so this is only reached through arch
 * files that add restrictions): ~20 GMAC/s int8 on a few cores, ~10 G
 * elements/s, 20 us to hand an op over. Targets set their own. */
#define HOST_CPU_VPU                                                                               \
  .cpu_ns_per_element = 0.1, .cpu_ns_per_mac = 0.05, .cpu_launch_us = 20.0,                        \
  .rules = {.npu_ops = ARCH_OP_CLASSES_ALL}

/* KMB (NPU30XX): 64 barriers of which the runtime uses half, 512 variants
 * per barrier split evenly (openvinotoolkit/vpux_plugin, VPUX30XX). */
static const arch_t preset_vpu20 = {
    .name = "vpu20",
    .sources = "dpu_clock_mhz, ddr_bandwidth_gbps, macs_per_cycle_int8, dpus_per_tile: "
               "intel/npu-nn-cost-model VPU2_0_HWCharacteristics; barriers, barrier_slots: "
               "openvinotoolkit/vpux_plugin (getNumAvailableBarriers: 64 / 2 on VPUX30XX, "
               "VPUX30XX barrier_variant_constraint: 512 variants); cost.fp16_slowdown: "
               "VPU2_0_HWCharacteristics fp_ratio 4",
    .tiles = 4,
    .dpus_per_tile = 5,
    .macs_per_cycle_int8 = 256,
    .dpu_clock_mhz = 700.0,
    .cmx_bytes = 1 * MIB,
    .cmx_workspace_bytes = 896 * KIB,
    .dma_ports = 1,
    .ddr_bandwidth_gbps = 20.0,
    .cmx_dma_bandwidth_gbps = 22.4, /* 32 B per cycle at 700 MHz */
    .dma_latency_ns = 143.0,        /* ~100 cycles at 700 MHz */
    .cmx_dma_latency_ns = 143.0,
    .barriers = 32,
    .barrier_slots = 256,
    .shaves = 16, /* UPA SHAVEs shared by the whole chip */
    .shave_works_in_ddr = true,
    SHAVE_KERNELS_VPU20,
    .mpe_modes = {ARCH_MPE_VECTOR, ARCH_MPE_MATRIX},
    .n_mpe_modes = 2,
    .channel_align = 16,
    .soh_hw_align = 1,
    .has_sow = false,
    .fit_isolated = 0.90,
    .fit_pipelined = 0.85,
    .ppe_fusable = PPE_DEFAULT,
    .cost = {.conv_efficiency = 0.80,
             .fp16_slowdown = 4.0,         /* VPU2_0_HWCharacteristics fp_ratio 4 */
             .dw_macs_per_cycle_u8 = 12.5, /* vpu27's per-MAC ratio: 256 / 2048 of it */
             .dw_macs_per_cycle_fp16 = 3.125,
             .pool_elems_per_cycle = 12.5,
             .eltwise_elems_per_cycle = 8.0,
             .workload_overhead_cycles = 100,
             .dw_channel_align_bytes = 16,
             .mode_efficiency = {[ARCH_MPE_VECTOR] = 1.0, [ARCH_MPE_MATRIX] = 1.0},
             .pool_mode_efficiency = {[ARCH_MPE_VECTOR] = 1.0, [ARCH_MPE_MATRIX] = 1.0},
             .dw_kw3_factor = 1.0,
             OWT_PARAMS(0)},
    HOST_CPU_VPU,
};

/* NPU37XX in the reference compiler: 64 barriers, 256 variants per barrier
 * split evenly (128 producers, 128 consumers), SOH rows per cluster aligned
 * so H x W is a multiple of 4 (getSOHMinimalHeightAlignment). */
static const arch_t preset_vpu27 = {
    .name = "vpu27",
    .sources = "dpu_clock_mhz, ddr_bandwidth_gbps, dma_latency_ns, cmx_dma_*: "
               "intel/npu-nn-cost-model VPU2_7 HW characteristics; barriers, barrier_slots, "
               "soh_hw_align: openvinotoolkit/npu_compiler (getNumAvailableBarriers, NPU37XX "
               "barrier_variant_constraint, getSOHMinimalHeightAlignment); cost: fitted on "
               "npu-nn-cost-model NPU27_regression_tests.cpp",
    .tiles = 2,
    .dpus_per_tile = 1,
    .macs_per_cycle_int8 = 2048,
    .dpu_clock_mhz = 1300.0,
    .cmx_bytes = 2 * MIB,
    .cmx_workspace_bytes = 1936 * KIB,
    .dma_ports = 2,
    .ddr_bandwidth_gbps = 27.0,
    .cmx_dma_bandwidth_gbps = 31.2, /* 32 B per cycle at the 975 MHz CMX clock */
    .dma_latency_ns = 956.0,
    .cmx_dma_latency_ns = 16.4, /* 16 CMX cycles at 975 MHz */
    .barriers = 64,
    .barrier_slots = 128,
    .shaves = 4, /* 2 ACT SHAVEs per tile */
    SHAVE_KERNELS_VPU27,
    .mpe_modes = {ARCH_MPE_CUBOID_16x16, ARCH_MPE_CUBOID_8x16, ARCH_MPE_CUBOID_4x16},
    .n_mpe_modes = 3,
    .channel_align = 16,
    /* npu_compiler dialect/VPU/utils/nce_invariant.hpp VPU_COMPRESSED_INPUT_CHANNEL_NUM */
    .compressed_conv_channels = 4,
    .soh_hw_align = 4,
    .has_sow = false,
    .fit_isolated = 0.90,
    .fit_pipelined = 0.85,
    .ppe_fusable = PPE_DEFAULT,
    .cost = COST_PARAMS_VPU27,
    HOST_CPU_VPU,
};

/* Public sources disagree on the clock and the DDR bandwidth. The preset
 * takes the public cost model's (intel/npu-nn-cost-model,
 * include/vpu/hw_characteristics/device_HW_characteristics_VPU4.h,
 * VPU4_0_HWCharacteristics_v0: 1700 MHz, 136000 MB/s, 300 ns), the source of
 * the measurements its costs are fitted on; arch/presets/vpu40_compiler.json
 * takes the reference compiler's (1850 MHz from revision B, 45 GB/s). The
 * NPU40XX compiler has no SOH row alignment (getSOHMinimalHeightAlignment
 * returns 1 off 3XXX) and, with workload management (its default), allows
 * 256 variants per barrier split evenly: 128 producers, 128 consumers. */
static const arch_t preset_vpu40 = {
    .name = "vpu40",
    .sources = "dpu_clock_mhz, ddr_bandwidth_gbps, dma_latency_ns, cmx_dma_*: "
               "intel/npu-nn-cost-model VPU4_0_HWCharacteristics_v0 (the compiler's 1850 MHz and "
               "45 GB/s: arch/presets/vpu40_compiler.json); barriers, barrier_slots, "
               "soh_hw_align: openvinotoolkit/npu_compiler (getNumAvailableBarriers, NPU40XX "
               "barrier_variant_constraint, getSOHMinimalHeightAlignment); cost: fitted on "
               "npu-nn-cost-model NPU40_regression_tests.cpp",
    .tiles = 6,
    .dpus_per_tile = 1,
    .macs_per_cycle_int8 = 2048,
    .dpu_clock_mhz = 1700.0,
    .cmx_bytes = 1536 * KIB,
    .cmx_workspace_bytes = 1440 * KIB,
    .dma_ports = 2,
    .ddr_bandwidth_gbps = 136.0,
    .cmx_dma_bandwidth_gbps = 62.1, /* 64 B per cycle at the 971 MHz CMX clock */
    .dma_latency_ns = 300.0,
    .cmx_dma_latency_ns = 33.0, /* 32 CMX cycles at 971 MHz */
    .barriers = 96,
    .barrier_slots = 128,
    .shaves = 12, /* 2 ACT SHAVEs per tile */
    SHAVE_KERNELS_VPU40,
    .mpe_modes = {ARCH_MPE_CUBOID_16x16, ARCH_MPE_CUBOID_8x16, ARCH_MPE_CUBOID_4x16},
    .n_mpe_modes = 3,
    .channel_align = 16,
    /* npu_compiler dialect/VPU/utils/nce_invariant.hpp VPU_COMPRESSED_INPUT_CHANNEL_NUM */
    .compressed_conv_channels = 4,
    .soh_hw_align = 1,
    .has_sow = true,
    .fit_isolated = 0.90,
    .fit_pipelined = 0.85,
    .ppe_fusable = PPE_DEFAULT,
    .cost = COST_PARAMS_VPU40,
    HOST_CPU_VPU,
};

static const arch_t *const presets[] = {&preset_vpu20, &preset_vpu27, &preset_vpu40};
static const char *const preset_names[] = {"vpu20", "vpu27", "vpu40", NULL};

const char *const *arch_preset_names(void) { return preset_names; }

/* The reference compiler's platform names (openvinotoolkit/npu_compiler:
 * NPU37XX is Meteor Lake's NPU 3720, NPU40XX Lunar Lake's NPU 4000; KMB, Keem
 * Bay, is VPU 2.0), accepted in any case. The presets keep our names. */
static const struct {
  const char *alias, *preset;
} preset_aliases[] = {{"NPU37XX", "vpu27"}, {"NPU40XX", "vpu40"}, {"KMB", "vpu20"}};

/* The preset a name or an alias means, or name itself. */
static const char *preset_name(const char *name) {
  for (int i = 0; i < SCHED_ARRAY_LEN(preset_aliases); i++)
    if (strcasecmp(name, preset_aliases[i].alias) == 0)
      return preset_aliases[i].preset;
  return name;
}

int arch_preset(const char *name, arch_t *out, sched_diag_t *diag) {
  const char *asked = name;
  name = preset_name(name);
  for (int i = 0; i < SCHED_ARRAY_LEN(presets); i++) {
    if (strcmp(name, presets[i]->name) == 0) {
      *out = *presets[i];
      return SCHED_OK;
    }
  }
  return sched_diag_set(
      diag, SCHED_ERR_INPUT,
      "unknown arch '%s' (presets: vpu20 = KMB, vpu27 = NPU37XX, vpu40 = NPU40XX)", asked);
}

/* ---- the field table ---- */

typedef enum {
  FIELD_I32,
  FIELD_SIZE, /* int64 bytes; JSON number or size string ("2MB") */
  FIELD_F64,
  FIELD_BOOL,
  FIELD_MODES,    /* mpe_modes + n_mpe_modes; JSON array of mode names */
  FIELD_OPMASK,   /* bit set of ir_op_kind_t; JSON array of op kind names */
  FIELD_TEXT,     /* char[ARCH_SOURCE_MAX]; JSON string */
  FIELD_SHAVE,    /* shave_kernels + n_shave_kernels; JSON {"sigmoid": [launch_us, ns_per_byte]} */
  FIELD_MODE_EFF, /* double per MPE mode; JSON object {"16x16": 1.0, ...} */
} field_type_t;

typedef struct {
  const char *key; /* JSON key; "cost.x" lives under the "cost" object */
  field_type_t type;
  size_t offset;
  const char *unit; /* printed after the value by arch_describe */
  double min, max;  /* sane range, checked by arch_verify */
} arch_field_t;

#define F(key, type, member, unit, min, max)                                                       \
  { key, type, offsetof(arch_t, member), unit, min, max }

static const arch_field_t arch_fields[] = {
    F("sources", FIELD_TEXT, sources, "", 0, 0),
    F("tiles", FIELD_I32, tiles, "clusters", 1, 64),
    F("dpus_per_tile", FIELD_I32, dpus_per_tile, "DPUs", 1, 16),
    F("macs_per_cycle_int8", FIELD_I32, macs_per_cycle_int8, "MACs/cycle/DPU", 1, 65536),
    F("dpu_clock_mhz", FIELD_F64, dpu_clock_mhz, "MHz", 1, 10000),
    F("cmx_bytes", FIELD_SIZE, cmx_bytes, "bytes/tile", 1024, 1 << 30),
    F("cmx_workspace_bytes", FIELD_SIZE, cmx_workspace_bytes, "bytes/tile", 1024, 1 << 30),
    F("dma_ports", FIELD_I32, dma_ports, "ports", 1, 16),
    F("ddr_bandwidth_gbps", FIELD_F64, ddr_bandwidth_gbps, "GB/s", 0.001, 10000),
    F("cmx_dma_bandwidth_gbps", FIELD_F64, cmx_dma_bandwidth_gbps, "GB/s/port", 0.001, 10000),
    F("dma_latency_ns", FIELD_F64, dma_latency_ns, "ns", 0, 1e6),
    F("cmx_dma_latency_ns", FIELD_F64, cmx_dma_latency_ns, "ns", 0, 1e6),
    F("barriers", FIELD_I32, barriers, "barriers", 1, 4096),
    F("barrier_slots", FIELD_I32, barrier_slots, "slots/barrier", 1, 65536),
    F("shaves", FIELD_I32, shaves, "SHAVEs", 0, 256),
    F("shave_works_in_ddr", FIELD_BOOL, shave_works_in_ddr, "", 0, 0),
    F("shave_kernels", FIELD_SHAVE, shave_kernels, "launch us + ns/output byte per SHAVE", 0, 0),
    F("mpe_modes", FIELD_MODES, mpe_modes, "", 0, 0),
    F("channel_align", FIELD_I32, channel_align, "channels", 1, 256),
    F("compressed_conv_channels", FIELD_I32, compressed_conv_channels, "channels", 0, 256),
    F("soh_hw_align", FIELD_I32, soh_hw_align, "elements", 1, 256),
    F("has_sow", FIELD_BOOL, has_sow, "", 0, 0),
    F("fit_isolated", FIELD_F64, fit_isolated, "of CMX", 0.01, 1),
    F("fit_pipelined", FIELD_F64, fit_pipelined, "of CMX", 0.01, 1),
    F("ppe_fusable", FIELD_OPMASK, ppe_fusable, "", 0, 0),
    F("cost.conv_efficiency", FIELD_F64, cost.conv_efficiency, "of peak", 0.001, 1),
    F("cost.fp16_slowdown", FIELD_F64, cost.fp16_slowdown, "x u8 cycles", 1, 16),
    F("cost.dw_macs_per_cycle_u8", FIELD_F64, cost.dw_macs_per_cycle_u8, "MACs/cycle/DPU", 0.001,
      65536),
    F("cost.dw_macs_per_cycle_fp16", FIELD_F64, cost.dw_macs_per_cycle_fp16, "MACs/cycle/DPU",
      0.001, 65536),
    F("cost.pool_elems_per_cycle", FIELD_F64, cost.pool_elems_per_cycle,
      "window elements/cycle/DPU", 0.001, 65536),
    F("cost.eltwise_elems_per_cycle", FIELD_F64, cost.eltwise_elems_per_cycle,
      "output elements/cycle/DPU", 0.001, 65536),
    F("cost.workload_overhead_cycles", FIELD_I32, cost.workload_overhead_cycles, "cycles", 0, 1e6),
    F("cost.dw_channel_align_bytes", FIELD_I32, cost.dw_channel_align_bytes, "bytes", 1, 1024),
    F("cost.mode_efficiency", FIELD_MODE_EFF, cost.mode_efficiency, "", 0, 0),
    F("cost.pool_mode_efficiency", FIELD_MODE_EFF, cost.pool_mode_efficiency, "", 0, 0),
    F("cost.dw_kw3_factor", FIELD_F64, cost.dw_kw3_factor, "x", 0.01, 100),
    F("cost.dw_kw3_max_channels", FIELD_I32, cost.dw_kw3_max_channels, "channels", 0, 65536),
    F("cost.owt_cycles_per_position", FIELD_F64, cost.owt_cycles_per_position,
      "cycles/output position/tile written", 0, 1e6),
    F("cost.owt_bytes_per_cycle", FIELD_F64, cost.owt_bytes_per_cycle, "bytes/cycle", 0.001, 65536),
    F("cost.owt_overhead_cycles", FIELD_I32, cost.owt_overhead_cycles, "cycles/multi-tile write", 0,
      1e6),
    F("cpu_ns_per_element", FIELD_F64, cpu_ns_per_element, "ns/element", 1e-6, 1e6),
    F("cpu_ns_per_mac", FIELD_F64, cpu_ns_per_mac, "ns/MAC", 1e-6, 1e6),
    F("cpu_launch_us", FIELD_F64, cpu_launch_us, "us/op", 0, 1e6),
    F("fallback_downstream", FIELD_BOOL, rules.fallback_downstream, "", 0, 0),
};

#undef F

#define FIELD_PTR(a, f, type) ((type *)((char *)(a) + (f)->offset))
#define FIELD_CPTR(a, f, type) ((const type *)((const char *)(a) + (f)->offset))

/* ---- SHAVE kernel rows ---- */

static const char *shave_kernel_name(ir_op_kind_t kind) {
  return kind == IR_OP_NONE ? "default" : ir_op_kind_name(kind);
}

const arch_shave_kernel_t *arch_shave_kernel(const arch_t *a, ir_op_kind_t kind) {
  for (int i = 0; i < a->n_shave_kernels; i++)
    if (a->shave_kernels[i].kind == kind)
      return &a->shave_kernels[i];
  return &a->shave_kernels[0];
}

/* Sets (or adds) one row. */
static bool shave_kernel_set(arch_t *a, ir_op_kind_t kind, double launch_us, double ns_per_byte) {
  int i = 0;
  while (i < a->n_shave_kernels && a->shave_kernels[i].kind != kind)
    i++;
  if (i == ARCH_SHAVE_KERNELS_MAX)
    return false;
  a->shave_kernels[i] = (arch_shave_kernel_t){kind, launch_us, ns_per_byte};
  a->n_shave_kernels = SCHED_MAX(a->n_shave_kernels, i + 1);
  return true;
}

/* ---- verify ---- */

static double field_number(const arch_t *a, const arch_field_t *f) {
  switch (f->type) {
  case FIELD_I32: return *FIELD_CPTR(a, f, int32_t);
  case FIELD_SIZE: return (double)*FIELD_CPTR(a, f, int64_t);
  case FIELD_F64: return *FIELD_CPTR(a, f, double);
  default: SCHED_UNREACHABLE();
  }
}

static bool field_is_number(const arch_field_t *f) {
  return f->type == FIELD_I32 || f->type == FIELD_SIZE || f->type == FIELD_F64;
}

static int verify_modes(const arch_t *a, sched_diag_t *diag) {
  if (a->n_mpe_modes < 1 || a->n_mpe_modes >= ARCH_MPE_COUNT)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "arch %s: mpe_modes must list 1 to %d modes",
                          a->name, ARCH_MPE_COUNT - 1);
  for (int i = 0; i < a->n_mpe_modes; i++)
    if (a->mpe_modes[i] <= ARCH_MPE_AUTO || a->mpe_modes[i] >= ARCH_MPE_COUNT)
      return sched_diag_set(diag, SCHED_ERR_INPUT,
                            "arch %s: mpe_modes[%d] must be a concrete mode, not auto", a->name, i);
  return SCHED_OK;
}

int arch_verify(const arch_t *a, sched_diag_t *diag) {
  for (int i = 0; i < SCHED_ARRAY_LEN(arch_fields); i++) {
    const arch_field_t *f = &arch_fields[i];
    if (!field_is_number(f))
      continue;
    double v = field_number(a, f);
    if (!(v >= f->min && v <= f->max))
      return sched_diag_set(diag, SCHED_ERR_INPUT, "arch %s: %s must be in [%g, %g], got %g",
                            a->name, f->key, f->min, f->max, v);
  }
  if (a->cmx_workspace_bytes > a->cmx_bytes)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "arch %s: cmx_workspace_bytes (%lld) exceeds cmx_bytes (%lld)", a->name,
                          (long long)a->cmx_workspace_bytes, (long long)a->cmx_bytes);
  if (a->fit_pipelined > a->fit_isolated)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "arch %s: fit_pipelined (%g) exceeds fit_isolated (%g)", a->name,
                          a->fit_pipelined, a->fit_isolated);
  return verify_modes(a, diag);
}

int arch_set_cmx(arch_t *a, int64_t bytes, sched_diag_t *diag) {
  char want[32], have[32];
  arch_format_size(a->cmx_bytes, have, sizeof have);
  if (bytes <= 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "CMX budget must be positive, got %lld bytes (physical CMX of %s: %s, "
                          "%lld bytes per tile)",
                          (long long)bytes, a->name, have, (long long)a->cmx_bytes);
  if (bytes > a->cmx_bytes)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "CMX budget %s (%lld bytes) is larger than the physical CMX of %s, %s "
                          "(%lld bytes) per tile",
                          arch_format_size(bytes, want, sizeof want), (long long)bytes, a->name,
                          have, (long long)a->cmx_bytes);
  a->cmx_workspace_bytes = bytes;
  return SCHED_OK;
}

/* ---- describe ---- */

static void describe_field(const arch_t *a, const arch_field_t *f, FILE *out) {
  char buf[32];
  fprintf(out, "# %s: ", f->key);
  switch (f->type) {
  case FIELD_I32: fprintf(out, "%d %s\n", *FIELD_CPTR(a, f, int32_t), f->unit); break;
  case FIELD_SIZE: {
    int64_t v = *FIELD_CPTR(a, f, int64_t);
    fprintf(out, "%lld %s (%s)\n", (long long)v, f->unit, arch_format_size(v, buf, sizeof buf));
    break;
  }
  case FIELD_F64: fprintf(out, "%g %s\n", *FIELD_CPTR(a, f, double), f->unit); break;
  case FIELD_BOOL: fprintf(out, "%s\n", *FIELD_CPTR(a, f, bool) ? "true" : "false"); break;
  case FIELD_MODES:
    for (int i = 0; i < a->n_mpe_modes; i++)
      fprintf(out, "%s%s", i ? "," : "", arch_mpe_mode_name(a->mpe_modes[i]));
    fputc('\n', out);
    break;
  case FIELD_MODE_EFF:
    for (int i = 0; i < a->n_mpe_modes; i++)
      fprintf(out, "%s%s=%g", i ? "," : "", arch_mpe_mode_name(a->mpe_modes[i]),
              FIELD_CPTR(a, f, double)[a->mpe_modes[i]]);
    fputc('\n', out);
    break;
  case FIELD_TEXT: fprintf(out, "%s\n", FIELD_CPTR(a, f, char)); break;
  case FIELD_SHAVE:
    for (int i = 0; i < a->n_shave_kernels; i++) {
      const arch_shave_kernel_t *k = &a->shave_kernels[i];
      fprintf(out, "%s%s=%g+%g", i ? "," : "", shave_kernel_name(k->kind), k->launch_us,
              k->ns_per_byte);
    }
    fprintf(out, " (%s)\n", f->unit);
    break;
  case FIELD_OPMASK:
    for (int k = 0, n = 0; k < IR_OP_KIND_COUNT && k < 64; k++)
      if (a->ppe_fusable & PPE_BIT(k))
        fprintf(out, "%s%s", n++ ? "," : "", ir_op_kind_name((ir_op_kind_t)k));
    fputc('\n', out);
    break;
  }
}

void arch_describe(const arch_t *a, FILE *out) {
  fprintf(out, "# arch: %s\n", a->name);
  for (int i = 0; i < SCHED_ARRAY_LEN(arch_fields); i++)
    describe_field(a, &arch_fields[i], out);
  arch_i_rules_describe(a, out);
}

/* The JSON value of one field, in the arch file's own form. */
static cJSON *field_json(const arch_t *a, const arch_field_t *f) {
  switch (f->type) {
  case FIELD_I32:
  case FIELD_SIZE:
  case FIELD_F64: return cJSON_CreateNumber(field_number(a, f));
  case FIELD_BOOL: return cJSON_CreateBool(*FIELD_CPTR(a, f, bool));
  case FIELD_MODES: {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < a->n_mpe_modes; i++)
      cJSON_AddItemToArray(arr, cJSON_CreateString(arch_mpe_mode_name(a->mpe_modes[i])));
    return arr;
  }
  case FIELD_MODE_EFF: {
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < a->n_mpe_modes; i++)
      cJSON_AddNumberToObject(obj, arch_mpe_mode_name(a->mpe_modes[i]),
                              FIELD_CPTR(a, f, double)[a->mpe_modes[i]]);
    return obj;
  }
  case FIELD_OPMASK: {
    cJSON *arr = cJSON_CreateArray();
    for (int k = 0; k < IR_OP_KIND_COUNT && k < 64; k++)
      if (*FIELD_CPTR(a, f, uint64_t) & PPE_BIT(k))
        cJSON_AddItemToArray(arr, cJSON_CreateString(ir_op_kind_name((ir_op_kind_t)k)));
    return arr;
  }
  case FIELD_TEXT: return cJSON_CreateString(FIELD_CPTR(a, f, char));
  case FIELD_SHAVE: {
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < a->n_shave_kernels; i++) {
      const arch_shave_kernel_t *k = &a->shave_kernels[i];
      const double row[2] = {k->launch_us, k->ns_per_byte};
      cJSON_AddItemToObject(obj, shave_kernel_name(k->kind), cJSON_CreateDoubleArray(row, 2));
    }
    return obj;
  }
  }
  SCHED_UNREACHABLE();
}

cJSON *arch_to_json(const arch_t *a) {
  cJSON *root = cJSON_CreateObject(), *cost = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "name", a->name);
  for (int i = 0; i < SCHED_ARRAY_LEN(arch_fields); i++) {
    const arch_field_t *f = &arch_fields[i];
    bool in_cost = strncmp(f->key, "cost.", 5) == 0;
    cJSON_AddItemToObject(in_cost ? cost : root, in_cost ? f->key + 5 : f->key, field_json(a, f));
  }
  cJSON_AddItemToObject(root, "cost", cost);
  return root;
}

/* ---- arch files ---- */

typedef struct {
  const char *path;
  sched_diag_t *diag;
} json_ctx_t;

static int json_error(const json_ctx_t *c, const char *key, const char *want) {
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "arch file %s: key '%s' must be %s", c->path, key,
                        want);
}

static int read_i32(const json_ctx_t *c, const cJSON *v, const char *key, int32_t *out) {
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
      fabs(v->valuedouble) > INT32_MAX)
    return json_error(c, key, "an integer");
  *out = (int32_t)v->valuedouble;
  return SCHED_OK;
}

static int read_size(const json_ctx_t *c, const cJSON *v, const char *key, int64_t *out) {
  if (cJSON_IsString(v)) {
    sched_diag_t d = {{0}};
    if (arch_parse_size(v->valuestring, out, &d) != SCHED_OK)
      return sched_diag_set(c->diag, SCHED_ERR_INPUT, "arch file %s: key '%s': %s", c->path, key,
                            d.msg);
    return SCHED_OK;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
      v->valuedouble > 1e15)
    return json_error(c, key, "a size in bytes or a string like \"2MB\"");
  *out = (int64_t)v->valuedouble;
  return SCHED_OK;
}

static int read_modes(const json_ctx_t *c, const cJSON *v, const char *key, arch_t *a) {
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) >= ARCH_MPE_COUNT)
    return json_error(c, key, "a non-empty array of MPE mode names");
  int n = 0;
  for (const cJSON *e = v->child; e; e = e->next) {
    arch_mpe_mode_t m;
    if (!cJSON_IsString(e) || arch_mpe_mode_parse(e->valuestring, &m) != SCHED_OK ||
        m == ARCH_MPE_AUTO)
      return json_error(c, key, "an array of MPE modes (16x16, 8x16, 4x16, vector, matrix)");
    a->mpe_modes[n++] = m;
  }
  a->n_mpe_modes = n;
  return SCHED_OK;
}

static int read_opmask(const json_ctx_t *c, const cJSON *v, const char *key, uint64_t *out) {
  if (!cJSON_IsArray(v))
    return json_error(c, key, "an array of op kind names");
  uint64_t mask = 0;
  for (const cJSON *e = v->child; e; e = e->next) {
    ir_op_kind_t k;
    if (!cJSON_IsString(e) || ir_op_kind_parse(e->valuestring, &k) != SCHED_OK || k >= 64)
      return json_error(c, key, "an array of op kind names (relu, clamp, leaky_relu, ...)");
    mask |= PPE_BIT(k);
  }
  *out = mask;
  return SCHED_OK;
}

static int read_mode_eff(const json_ctx_t *c, const cJSON *v, const char *key, double *out) {
  if (!cJSON_IsObject(v))
    return json_error(c, key, "an object of MPE mode names to numbers");
  for (const cJSON *e = v->child; e; e = e->next) {
    arch_mpe_mode_t m;
    if (arch_mpe_mode_parse(e->string, &m) != SCHED_OK || m == ARCH_MPE_AUTO ||
        !cJSON_IsNumber(e) || !(e->valuedouble > 0 && e->valuedouble <= 1))
      return json_error(c, key, "an object of MPE modes to numbers in (0, 1]");
    out[m] = e->valuedouble;
  }
  return SCHED_OK;
}

/* {"default": [3, 0.38], "sigmoid": [3.1, 0.15]}: rows replace or join the
 * base's. */
static int read_shave_kernels(const json_ctx_t *c, const cJSON *v, const char *key, arch_t *a) {
  const char *want = "an object of op kinds (or \"default\") to [launch_us, ns_per_byte], both "
                     ">= 0";
  if (!cJSON_IsObject(v))
    return json_error(c, key, want);
  for (const cJSON *e = v->child; e; e = e->next) {
    ir_op_kind_t kind = IR_OP_NONE;
    if (strcmp(e->string, "default") != 0 && ir_op_kind_parse(e->string, &kind) != SCHED_OK)
      return json_error(c, key, want);
    const cJSON *l = cJSON_GetArrayItem(e, 0), *b = cJSON_GetArrayItem(e, 1);
    if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsNumber(l) ||
        !cJSON_IsNumber(b) || l->valuedouble < 0 || b->valuedouble < 0)
      return json_error(c, key, want);
    if (!shave_kernel_set(a, kind, l->valuedouble, b->valuedouble))
      return json_error(c, key, "at most 32 rows");
  }
  return SCHED_OK;
}

static int read_field(const json_ctx_t *c, const cJSON *v, const arch_field_t *f, arch_t *a) {
  switch (f->type) {
  case FIELD_I32: return read_i32(c, v, f->key, FIELD_PTR(a, f, int32_t));
  case FIELD_SIZE: return read_size(c, v, f->key, FIELD_PTR(a, f, int64_t));
  case FIELD_F64:
    if (!cJSON_IsNumber(v))
      return json_error(c, f->key, "a number");
    *FIELD_PTR(a, f, double) = v->valuedouble;
    return SCHED_OK;
  case FIELD_BOOL:
    if (!cJSON_IsBool(v))
      return json_error(c, f->key, "true or false");
    *FIELD_PTR(a, f, bool) = cJSON_IsTrue(v);
    return SCHED_OK;
  case FIELD_MODES: return read_modes(c, v, f->key, a);
  case FIELD_OPMASK: return read_opmask(c, v, f->key, FIELD_PTR(a, f, uint64_t));
  case FIELD_SHAVE: return read_shave_kernels(c, v, f->key, a);
  case FIELD_TEXT:
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= ARCH_SOURCE_MAX)
      return json_error(c, f->key, "a string of fewer than 512 characters");
    snprintf(FIELD_PTR(a, f, char), ARCH_SOURCE_MAX, "%s", v->valuestring);
    return SCHED_OK;
  case FIELD_MODE_EFF: return read_mode_eff(c, v, f->key, FIELD_PTR(a, f, double));
  }
  SCHED_UNREACHABLE();
}

static const arch_field_t *field_find(const char *prefix, const char *key) {
  char full[96];
  snprintf(full, sizeof full, "%s%s", prefix, key);
  for (int i = 0; i < SCHED_ARRAY_LEN(arch_fields); i++)
    if (strcmp(arch_fields[i].key, full) == 0)
      return &arch_fields[i];
  return NULL;
}

/* Applies the members of obj (the top level, or the "cost" object when
 * prefix is "cost."). */
static int apply_object(const json_ctx_t *c, const cJSON *obj, const char *prefix, arch_t *a) {
  for (const cJSON *v = obj->child; v; v = v->next) {
    if (!*prefix && (strcmp(v->string, "base") == 0))
      continue;
    if (!*prefix && strcmp(v->string, "name") == 0) {
      if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= ARCH_NAME_MAX)
        return json_error(c, "name", "a string of 1 to 31 characters");
      snprintf(a->name, sizeof a->name, "%s", v->valuestring);
      continue;
    }
    if (!*prefix && strcmp(v->string, "cost") == 0) {
      if (!cJSON_IsObject(v))
        return json_error(c, "cost", "an object");
      int rc = apply_object(c, v, "cost.", a);
      if (rc != SCHED_OK)
        return rc;
      continue;
    }
    if (!*prefix && arch_i_rules_key(v->string)) {
      int rc = arch_i_rules_read(c->path, v->string, v, a, c->diag);
      if (rc != SCHED_OK)
        return rc;
      continue;
    }
    const arch_field_t *f = field_find(prefix, v->string);
    if (!f)
      return sched_diag_set(c->diag, SCHED_ERR_INPUT, "arch file %s: unknown key '%s%s'", c->path,
                            prefix, v->string);
    int rc = read_field(c, v, f, a);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

/* Reads the whole file into a NUL-terminated buffer the caller frees. */
static int read_text(const char *path, char **text, sched_diag_t *diag) {
  return sched_file_read(path, "arch file", ARCH_FILE_MAX_BYTES, text, NULL, diag);
}

/* The arch's name: the file name without directory and extension. */
static void name_from_path(const char *path, char *name) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strcspn(base, ".");
  if (n == 0 || n >= ARCH_NAME_MAX)
    n = SCHED_MIN(strlen(base), (size_t)ARCH_NAME_MAX - 1);
  memcpy(name, base, n);
  name[n] = '\0';
}

static int load_file(const char *path, arch_t *out, sched_diag_t *diag) {
  char *text = NULL;
  int rc = read_text(path, &text, diag);
  if (rc != SCHED_OK)
    return rc;
  char where[300];
  snprintf(where, sizeof where, "arch file %s", path);
  cJSON *root = sched_json_parse(text, strlen(text), where, diag);
  json_ctx_t c = {path, diag};
  if (!root) {
    rc = SCHED_ERR_INPUT;
    goto done;
  }
  if (!cJSON_IsObject(root)) {
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "arch file %s: must be a JSON object", path);
    goto done;
  }
  const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base");
  if (base && !cJSON_IsString(base)) {
    rc = json_error(&c, "base", "a preset name");
    goto done;
  }
  rc = arch_preset(base ? base->valuestring : "vpu27", out, diag);
  if (rc != SCHED_OK)
    goto done;
  name_from_path(path, out->name);
  rc = apply_object(&c, root, "", out);
  if (rc == SCHED_OK)
    rc = arch_verify(out, diag);
done:
  cJSON_Delete(root);
  free(text);
  return rc;
}

/* "artpec8, artpec9, ..." : the targets shipped in arch/targets/. */
static void target_list(char *buf, size_t len) {
  glob_t found;
  buf[0] = '\0';
  if (glob(SCHED_TARGETS_DIR "/*.json", 0, NULL, &found) != 0)
    return;
  size_t used = 0;
  for (size_t i = 0; i < found.gl_pathc && used < len; i++) {
    char name[ARCH_NAME_MAX];
    name_from_path(found.gl_pathv[i], name);
    used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name);
  }
  globfree(&found);
}

/* A bare name: a preset, else a target file arch/targets/NAME.json (the
 * source tree's path is compiled in, see arch/CMakeLists.txt). */
static int load_named(const char *name, arch_t *out, sched_diag_t *diag) {
  for (int i = 0; preset_names[i]; i++)
    if (strcmp(preset_name(name), preset_names[i]) == 0)
      return arch_preset(name, out, diag);
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", SCHED_TARGETS_DIR, name);
  FILE *f = fopen(path, "rb");
  if (f) {
    fclose(f);
    return load_file(path, out, diag);
  }
  char targets[256];
  target_list(targets, sizeof targets);
  return sched_diag_set(
      diag, SCHED_ERR_INPUT,
      "unknown arch '%s' (presets: vpu20 = KMB, vpu27 = NPU37XX, vpu40 = NPU40XX; "
      "targets: %s)",
      name, targets[0] ? targets : "none found in " SCHED_TARGETS_DIR);
}

int arch_load(const char *name_or_path, arch_t *out, sched_diag_t *diag) {
  if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.'))
    return load_named(name_or_path, out, diag);
  return load_file(name_or_path, out, diag);
}
