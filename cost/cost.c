/* cost.c - the cost model: the provider table, input checks and the
 * analytic fallback for DPU workloads, and the DMA, SHAVE and engine models
 * every provider shares.
 *
 * DMA: a fixed latency plus bytes over bandwidth (DESIGN.md). A transfer
 * touching DDR streams at the DDR bandwidth (shared by all ports; the
 * scheduler decides how many run at once); CMX-to-CMX at the per-port CMX
 * bandwidth with the shorter CMX latency. SHAVE: a launch cost per kernel
 * plus a per-byte term, slower by shave_complex_factor for transcendental
 * kernels. Engines: which ops the DPU runs, which fuse into its PPE for free
 * (arch->ppe_fusable) and which fall to SHAVE, as DESIGN.md lists them. */
#include <math.h>
#include <string.h>

#include "cost/cost.h"

static const cost_provider_t *const providers[] = {
    &cost_provider_analytic,
    &cost_provider_lut,
};

static const char *const dpu_op_names[COST_DPU_OP_COUNT] = {
    [COST_DPU_CONV] = "conv",       [COST_DPU_DWCONV] = "dwconv",   [COST_DPU_MAXPOOL] = "maxpool",
    [COST_DPU_AVGPOOL] = "avgpool", [COST_DPU_ELTWISE] = "eltwise",
};

const char *cost_dpu_op_name(cost_dpu_op_t op) {
  return (unsigned)op < COST_DPU_OP_COUNT ? dpu_op_names[op] : "?";
}

int cost_dpu_op_parse(const char *s, cost_dpu_op_t *out) {
  for (int i = 0; i < COST_DPU_OP_COUNT; i++) {
    if (strcmp(s, dpu_op_names[i]) == 0) {
      *out = (cost_dpu_op_t)i;
      return SCHED_OK;
    }
  }
  return SCHED_ERR_INPUT;
}

const char *cost_engine_name(cost_engine_t e) {
  switch (e) {
  case COST_ENGINE_DPU: return "dpu";
  case COST_ENGINE_SHAVE: return "shave";
  case COST_ENGINE_DMA: return "dma";
  case COST_ENGINE_NONE: return "none";
  case COST_ENGINE_CPU: return "cpu";
  }
  return "?";
}

/* ---- the model ---- */

int cost_model_init(cost_model_t *m, const arch_t *arch, const char *spec, sched_diag_t *diag) {
  memset(m, 0, sizeof *m);
  m->arch = arch;
  const char *colon = strchr(spec, ':');
  size_t name_len = colon ? (size_t)(colon - spec) : strlen(spec);
  for (int i = 0; i < SCHED_ARRAY_LEN(providers); i++) {
    const cost_provider_t *p = providers[i];
    if (strlen(p->name) != name_len || strncmp(spec, p->name, name_len) != 0)
      continue;
    int rc = p->open(colon ? colon + 1 : NULL, arch, &m->state, diag);
    if (rc != SCHED_OK)
      return rc;
    m->provider = p;
    return SCHED_OK;
  }
  return sched_diag_set(diag, SCHED_ERR_INPUT,
                        "unknown cost provider '%s' (use analytic or lut:FILE.csv)", spec);
}

void cost_model_free(cost_model_t *m) {
  if (m->provider && m->provider->close)
    m->provider->close(m->state);
  m->provider = NULL;
  m->state = NULL;
}

static bool mode_supported(const arch_t *a, arch_mpe_mode_t mode) {
  for (int i = 0; i < a->n_mpe_modes; i++)
    if (a->mpe_modes[i] == mode)
      return true;
  return false;
}

/* Names the first bad field of a workload. */
static int workload_check(const arch_t *a, const cost_workload_t *wl, sched_diag_t *diag) {
  const struct {
    const char *name;
    int32_t value, min;
  } fields[] = {
      {"in_c", wl->in_c, 1},         {"in_h", wl->in_h, 1},
      {"in_w", wl->in_w, 1},         {"out_c", wl->out_c, 1},
      {"out_h", wl->out_h, 1},       {"out_w", wl->out_w, 1},
      {"kernel_h", wl->kernel_h, 1}, {"kernel_w", wl->kernel_w, 1},
      {"stride_h", wl->stride_h, 1}, {"stride_w", wl->stride_w, 1},
      {"pad_top", wl->pad_top, 0},   {"pad_bottom", wl->pad_bottom, 0},
      {"pad_left", wl->pad_left, 0}, {"pad_right", wl->pad_right, 0},
  };
  if ((unsigned)wl->op >= COST_DPU_OP_COUNT)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "workload: unknown op %d", (int)wl->op);
  for (int i = 0; i < SCHED_ARRAY_LEN(fields); i++)
    if (fields[i].value < fields[i].min)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "workload: %s must be at least %d, got %d",
                            fields[i].name, fields[i].min, fields[i].value);
  if ((unsigned)wl->dtype >= IR_DTYPE_COUNT)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "workload: unknown dtype %d", (int)wl->dtype);
  if (wl->op != COST_DPU_CONV && wl->in_c != wl->out_c)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "workload: %s needs in_c == out_c, got %d and %d",
                          cost_dpu_op_name(wl->op), wl->in_c, wl->out_c);
  if (wl->mode != ARCH_MPE_AUTO && !mode_supported(a, wl->mode))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "workload: mode %s is not supported by %s",
                          arch_mpe_mode_name(wl->mode), a->name);
  return SCHED_OK;
}

int cost_dpu_workload(const cost_model_t *m, const cost_workload_t *wl, cost_dpu_estimate_t *out,
                      sched_diag_t *diag) {
  int rc = workload_check(m->arch, wl, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = m->provider->dpu_workload(m->state, m->arch, wl, out);
  if (rc != SCHED_ERR_NOT_FOUND)
    return rc;
  return cost_provider_analytic.dpu_workload(NULL, m->arch, wl, out);
}

/* ---- DMA and SHAVE ---- */

int64_t cost_dma_cycles(const cost_model_t *m, int64_t bytes, cost_dma_path_t path) {
  if (bytes <= 0)
    return 0;
  const arch_t *a = m->arch;
  bool cmx = path == COST_DMA_CMX_TO_CMX;
  double latency_ns = cmx ? a->cmx_dma_latency_ns : a->dma_latency_ns;
  double gbps = cmx ? a->cmx_dma_bandwidth_gbps : a->ddr_bandwidth_gbps;
  /* GB/s = bytes per ns; cycles = ns x MHz / 1000. */
  double ns = latency_ns + (double)bytes / gbps;
  return sched_cycles_ceil(ns * a->dpu_clock_mhz / 1000.0);
}

static bool shave_kind_is_complex(ir_op_kind_t kind) {
  switch (kind) {
  case IR_OP_SIGMOID:
  case IR_OP_TANH:
  case IR_OP_SOFTMAX:
  case IR_OP_GELU:
  case IR_OP_SWISH:
  case IR_OP_UPSAMPLE: /* interpolation: 4 taps and 3 lerps per output element */ return true;
  default: return false;
  }
}

int64_t cost_shave_cycles(const cost_model_t *m, ir_op_kind_t kind, int64_t bytes) {
  const arch_cost_params_t *p = &m->arch->cost;
  double factor = shave_kind_is_complex(kind) ? p->shave_complex_factor : 1.0;
  double per_byte = (double)SCHED_MAX(bytes, 0) * factor / p->shave_bytes_per_cycle;
  return arch_us_to_cycles(m->arch, p->shave_launch_us) + sched_cycles_ceil(per_byte);
}

int64_t cost_cpu_cycles(const cost_model_t *m, int64_t elements, int64_t macs) {
  const arch_t *a = m->arch;
  double us = a->cpu_launch_us + ((double)SCHED_MAX(elements, 0) * a->cpu_ns_per_element +
                                  (double)SCHED_MAX(macs, 0) * a->cpu_ns_per_mac) /
                                     1000.0;
  return sched_cycles_ceil(us * a->dpu_clock_mhz);
}

/* ---- engines ---- */

/* Whether an op breaks the arch's operator restrictions (never on archs
 * without rules, which keeps ops outside a graph costable there). */
static bool falls_back(const arch_t *arch, const ir_graph_t *g, const ir_op_t *op) {
  if (arch->rules.n_rules == 0 && arch->rules.npu_ops == ARCH_OP_CLASSES_ALL)
    return false;
  return !arch_op_on_npu(arch, g, (int)(op - g->ops));
}

static cost_engine_t activation_engine(const arch_t *arch, ir_op_kind_t kind) {
  if (kind < 64 && (arch->ppe_fusable & (UINT64_C(1) << kind)))
    return COST_ENGINE_NONE;
  return COST_ENGINE_SHAVE;
}

cost_engine_t cost_op_engine(const arch_t *arch, const ir_graph_t *g, const ir_op_t *op) {
  if (falls_back(arch, g, op))
    return COST_ENGINE_CPU;
  if (ir_op_is_activation(op->kind))
    return activation_engine(arch, op->kind);
  switch (op->kind) {
  case IR_OP_CONV:
  case IR_OP_TRANSPOSE_CONV:
  case IR_OP_FULLY_CONNECTED:
  case IR_OP_MAXPOOL:
  case IR_OP_AVGPOOL:
  case IR_OP_GLOBAL_AVGPOOL:
  case IR_OP_ADD:
  case IR_OP_SUB:
  case IR_OP_MUL: return COST_ENGINE_DPU;
  case IR_OP_UPSAMPLE:
    /* Nearest is addressing only; bilinear runs as a depthwise conv; the
     * align_corners variant has non-uniform weights and needs SHAVE. */
    switch (op->attrs.upsample_mode) {
    case IR_UPSAMPLE_NEAREST: return COST_ENGINE_NONE;
    case IR_UPSAMPLE_BILINEAR: return COST_ENGINE_DPU;
    case IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS: return COST_ENGINE_SHAVE;
    }
    return COST_ENGINE_SHAVE;
  case IR_OP_DEPTH_TO_SPACE: return COST_ENGINE_DMA;
  case IR_OP_CONCAT:
  case IR_OP_RESHAPE:
  case IR_OP_NONE: return COST_ENGINE_NONE;
  default: return COST_ENGINE_SHAVE; /* transpose, generic */
  }
}
