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
#include "ir/ir.h"

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
  double conv_efficiency;      /* fraction of peak MACs a large dense conv reaches */
  double fp16_slowdown;        /* fp16 conv / pool / eltwise take this many times the u8 cycles */
  double dw_macs_per_cycle_u8; /* depthwise conv, per DPU */
  double dw_macs_per_cycle_fp16;
  double pool_elems_per_cycle;            /* output elements x kernel area per cycle */
  double eltwise_elems_per_cycle;         /* output elements per cycle */
  int32_t workload_overhead_cycles;       /* fixed cost per DPU workload */
  int32_t dw_channel_align_bytes;         /* depthwise/pool channels pad to this many bytes (32 on
                                             NPU2.7: 16 u8 channels cost like 32) */
  double mode_efficiency[ARCH_MPE_COUNT]; /* relative throughput per MPE mode (1 = full) */
  double pool_mode_efficiency[ARCH_MPE_COUNT]; /* the same for pooling */
  /* Depthwise with kernel width 3 at stride 1 on at most dw_kw3_max_channels
   * channels runs at dw_kw3_factor of its cycles (NPU 4000: 0.6; 1 = no
   * such path). */
  double dw_kw3_factor;
  int32_t dw_kw3_max_channels;
  /* Multi-tile output writes (a workload broadcasting its output to
   * output_write_tiles tiles): per tile written, a cost per output position
   * and per byte; the write overlaps the compute; a fixed cost on top. */
  double owt_cycles_per_position;
  double owt_bytes_per_cycle;
  int32_t owt_overhead_cycles;
} arch_cost_params_t;

/* One SHAVE kernel's cost on one SHAVE: launch_us + ns_per_byte x bytes of
 * its output (per byte, so an fp16 tensor costs twice a u8 one). A table
 * row per op kind; kind IR_OP_NONE is the default for kinds without one. */
typedef struct {
  ir_op_kind_t kind;
  double launch_us;
  double ns_per_byte;
} arch_shave_kernel_t;

#define ARCH_SHAVE_KERNELS_MAX 32
#define ARCH_NAME_MAX 32

/* ---- operator rules: what a target's NPU runs, and what runs it well ----
 *
 * A target describes its operator support as data (arch files, "restrictions"
 * and "tips"): per op class, conditions on named parameters of the op
 * (kernel_h, stride, in_c, alpha, ...; rules.c lists them). A restriction
 * that an op breaks sends it to the CPU; a tip it misses only slows it.
 * One checker (rules.c) evaluates every rule of every target. */

/* Op classes: every ir_op_kind_t, plus depthwise conv told apart from conv
 * (groups == input channels > 1, any channel multiplier). Bit i of a class
 * mask is class i. */
#define ARCH_OP_DEPTHWISE_CONV IR_OP_KIND_COUNT
#define ARCH_OP_CLASS_COUNT (ARCH_OP_DEPTHWISE_CONV + 1)
#define ARCH_OP_CLASSES_ALL ((UINT64_C(1) << ARCH_OP_CLASS_COUNT) - 1)

#define ARCH_RULES_MAX 72
#define ARCH_CONDS_MAX 224
#define ARCH_COND_VALUES_MAX 8
#define ARCH_RULE_ALTS_MAX 8
#define ARCH_GENERIC_OPS_MAX 48
#define ARCH_GENERIC_NAME_MAX 24
#define ARCH_RULE_ID_MAX 32
#define ARCH_RULE_TEXT_MAX 240
#define ARCH_SOURCE_MAX 512

typedef enum {
  ARCH_RULE_RESTRICTION, /* broken: the op falls back to the CPU */
  ARCH_RULE_TIP          /* missed: the op runs on the NPU, slower */
} arch_rule_kind_t;

typedef enum {
  ARCH_CMP_IN,     /* value in a set */
  ARCH_CMP_NOT_IN, /* value not in a set */
  ARCH_CMP_EQ,
  ARCH_CMP_NE,
  ARCH_CMP_LT,
  ARCH_CMP_LE,
  ARCH_CMP_GT,
  ARCH_CMP_GE,
  ARCH_CMP_MULTIPLE, /* value % v == 0 */
  ARCH_CMP_NOT_MULTIPLE,
  ARCH_CMP_COUNT
} arch_cmp_t;

/* "PARAM OP VALUE": a parameter of the op compared with constants or with
 * another parameter (rhs_param >= 0). A parameter with several values (one
 * per input) holds when every value holds. */
typedef struct {
  int16_t param;     /* arch_rule_param_name() index */
  int16_t rhs_param; /* -1: compare with values[] */
  arch_cmp_t cmp;
  int32_t n_values;
  double values[ARCH_COND_VALUES_MAX];
} arch_cond_t;

/* Conditions [first, first + count) of arch_rules_t.conds, all of which
 * must hold. */
typedef struct {
  int16_t first, count;
} arch_cond_span_t;

/* A rule applies to the op classes in `ops` whose `when` conditions all
 * hold; it is met when every condition of one alternative holds ("require"
 * is one alternative, "any_of" several: supported configurations), and
 * never met when `avoid` is set (the op class itself is the problem). */
typedef struct {
  arch_rule_kind_t kind;
  uint64_t ops;
  bool avoid;
  char id[ARCH_RULE_ID_MAX];
  char text[ARCH_RULE_TEXT_MAX]; /* the source's wording */
  arch_cond_span_t when;
  arch_cond_span_t alts[ARCH_RULE_ALTS_MAX];
  int32_t n_alts;
} arch_rule_t;

/* Operator support of a target, stored inline so arch_t stays a value. */
typedef struct {
  char source[ARCH_SOURCE_MAX]; /* where the rules come from */
  uint64_t npu_ops;             /* op classes the NPU runs at all (the supported-op list) */
  char generic_ops[ARCH_GENERIC_OPS_MAX][ARCH_GENERIC_NAME_MAX]; /* imported op types it runs */
  int32_t n_generic_ops;
  bool fallback_downstream; /* edgetpu: everything after a fallback op runs on the CPU too */
  arch_rule_t rules[ARCH_RULES_MAX];
  int32_t n_rules;
  arch_cond_t conds[ARCH_CONDS_MAX];
  int32_t n_conds;
} arch_rules_t;

typedef struct {
  char name[ARCH_NAME_MAX];
  char sources[ARCH_SOURCE_MAX]; /* the public source of each constant that has one */
  int32_t tiles;                 /* clusters */
  int32_t dpus_per_tile;
  int32_t macs_per_cycle_int8; /* per DPU; fp16 at 1 / cost.fp16_slowdown of it */
  double dpu_clock_mhz;
  int64_t cmx_bytes;           /* physical CMX per tile */
  int64_t cmx_workspace_bytes; /* usable per tile: the budget --cmx sets */
  int32_t dma_ports;
  double ddr_bandwidth_gbps;     /* 1e9 bytes/s, shared by all ports */
  double cmx_dma_bandwidth_gbps; /* CMX-to-CMX, per port */
  double dma_latency_ns;         /* DDR paths */
  double cmx_dma_latency_ns;     /* CMX-to-CMX */
  int32_t barriers;              /* physical barriers */
  int32_t barrier_slots;         /* producers per barrier, and consumers (each side) */
  int32_t shaves;                /* SHAVE cores available to the network */
  arch_shave_kernel_t shave_kernels[ARCH_SHAVE_KERNELS_MAX]; /* the default row first */
  int32_t n_shave_kernels;
  bool shave_works_in_ddr; /* KMB's UPA SHAVEs: one chip-wide pool reading and writing DDR */
  arch_mpe_mode_t mpe_modes[ARCH_MPE_COUNT]; /* modes this DPU supports */
  int32_t n_mpe_modes;
  int32_t channel_align;            /* channels pad up to a multiple of this (16) */
  int32_t compressed_conv_channels; /* convs on at most this many input channels pad to it
                                       ("compressed" convs; 0 = none) */
  int32_t soh_hw_align;             /* SOH: H*W per cluster a multiple of this (vpu27: 4) */
  bool has_sow;                     /* split over width is available */
  double fit_isolated;              /* fraction of CMX an isolated tile may use (0.90) */
  double fit_pipelined;             /* ... a pipelined (double-buffered) tile (0.85) */
  uint64_t ppe_fusable;             /* bit (1 << ir_op_kind_t) set: fuses free into the PPE */
  arch_cost_params_t cost;
  /* The host CPU that runs ops the NPU cannot (fallback ops). */
  double cpu_ns_per_element; /* per output element of element-wise / data-movement ops */
  double cpu_ns_per_mac;     /* per multiply-accumulate */
  double cpu_launch_us;      /* per op: dispatch and NPU/CPU hand-over */
  arch_rules_t rules;        /* operator support; npu_ops = all and no rules on VPU presets */
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
/* The SHAVE kernel row of an op kind, else the default row. */
const arch_shave_kernel_t *arch_shave_kernel(const arch_t *a, ir_op_kind_t kind);
struct cJSON;
/* The same constants as a JSON object in the arch file's form ("cost.x"
 * under "cost"), so that it loads back with --arch; NULL when cJSON fails.
 * Operator rules of targets are not included. */
struct cJSON *arch_to_json(const arch_t *a);
/* Names of the presets, NULL-terminated. */
const char *const *arch_preset_names(void);

/* ---- rules.c: the rule vocabulary and the one checker ---- */

/* Name of rule parameter i ("kernel_h", ...), NULL past the last. */
const char *arch_rule_param_name(int i);
/* "conv", "depthwise_conv", ...; op classes parse from these names. */
const char *arch_op_class_name(int op_class);
int arch_op_class_parse(const char *s, int *out);
/* The op class of a graph op (conv or depthwise_conv for convs). */
int arch_op_class_of(const ir_graph_t *g, int op);
/* Parses "PARAM OP VALUE[,VALUE...]" (OP: in, not_in, ==, !=, <, <=, >,
 * >=, %, !%; VALUE a number, a symbol such as same/valid, or a parameter
 * name) into *out; errors name the bad token. */
int arch_cond_parse(const char *text, arch_cond_t *out, sched_diag_t *diag);
/* Writes a condition back as text ("kernel_h in 1,2,3"). */
void arch_cond_format(const arch_cond_t *c, char *buf, size_t len);

/* One rule an op breaks (a restriction) or misses (a tip). */
typedef struct {
  int op;   /* graph op index */
  int rule; /* index in arch->rules.rules, or one of ARCH_FINDING_* */
  arch_rule_kind_t kind;
  char detail[256]; /* the off-limit parameters and what is allowed */
} arch_finding_t;

#define ARCH_FINDING_UNSUPPORTED_OP (-1) /* op class not in the supported-op list */
#define ARCH_FINDING_DOWNSTREAM (-2)     /* after a fallback op (fallback_downstream) */

/* Where a fallback op sits (DLPU toolchains advise differently for each). */
typedef enum {
  ARCH_PLACE_NPU,    /* not a fallback */
  ARCH_PLACE_START,  /* no NPU op before it: one transfer, CPU -> NPU */
  ARCH_PLACE_END,    /* no NPU op after it: one transfer, NPU -> CPU */
  ARCH_PLACE_MIDDLE, /* NPU ops on both sides: two transfers, breaks streaming */
  ARCH_PLACE_ALONE   /* no NPU op on either side: the whole path is on the CPU */
} arch_place_t;

/* A whole graph checked against a target. */
typedef struct {
  int n_ops;
  bool *on_cpu;             /* per op */
  arch_place_t *place;      /* per op */
  int32_t *transfers;       /* per fallback op: tensors crossing NPU<->CPU through DDR there */
  arch_finding_t *findings; /* restrictions first (op order), then tips */
  int n_findings, cap_findings;
  bool *rule_unchecked; /* per rule: needs data the IR does not carry (quantisation, ...) */
  int64_t ops_npu, ops_cpu, macs_npu, macs_cpu;
} arch_check_t;

/* Whether op (with its fused activation) meets every restriction of the
 * target: the per-op verdict cost_op_engine uses. With fallback_downstream
 * an op after a fallback op is also off the NPU (O(ops) then). */
bool arch_op_on_npu(const arch_t *a, const ir_graph_t *g, int op);
/* Checks every op of a sorted, shape-inferred graph; fills *out (freed by
 * arch_check_free, safe after a zeroed init). */
void arch_check_graph(const arch_t *a, const ir_graph_t *g, arch_check_t *out);
void arch_check_free(arch_check_t *c);
const char *arch_place_name(arch_place_t p); /* "start", "end", "middle", ... */
/* The finding's rule id ("conv.kernel_size", "supported_ops", ...). */
const char *arch_finding_rule_id(const arch_t *a, const arch_finding_t *f);
/* The rule's text, or what the pseudo-rules mean. */
const char *arch_finding_rule_text(const arch_t *a, const arch_finding_t *f);

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
