/* cost.c - the cost model: the provider table, input checks and the
 * analytic fallback for DPU workloads, and the DMA, SHAVE and engine models
 * every provider shares.
 *
 * DMA: a fixed latency plus bytes over bandwidth (DESIGN.md). A transfer
 * touching DDR streams at the DDR bandwidth (shared by all ports; the
 * scheduler decides how many run at once); CMX-to-CMX at the per-port CMX
 * bandwidth with the shorter CMX latency. SHAVE: the arch's row for the
 * kernel (launch plus a per-byte term, from public per-kernel measurements
 * where they exist), else its default row. Engines: which ops the DPU runs
 * (matmul as a 1x1 convolution, eltwise of equal shapes), which fuse into
 * its PPE for free (arch->ppe_fusable), which fall to SHAVE (broadcast
 * eltwise, softmax, norms, GELU, ...) and which are DMA (gather, slice, a
 * transpose that moves data; one that does not is a free view). */
#include <math.h>
#include <stdio.h>
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

const char *cost_mode_label(arch_mpe_mode_t mode, arch_mpe_mode_t rest_mode, char *buf,
                            size_t len) {
  if (rest_mode == ARCH_MPE_AUTO)
    snprintf(buf, len, "%s", arch_mpe_mode_name(mode));
  else
    snprintf(buf, len, "%s+%s", arch_mpe_mode_name(mode), arch_mpe_mode_name(rest_mode));
  return buf;
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
  if (wl->output_write_tiles < 0 || wl->output_write_tiles > a->tiles)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "workload: output_write_tiles must be 0 to %d (the tiles of %s), got %d",
                          a->tiles, a->name, wl->output_write_tiles);
  if (wl->mode != ARCH_MPE_AUTO && !mode_supported(a, wl->mode))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "workload: mode %s is not supported by %s",
                          arch_mpe_mode_name(wl->mode), a->name);
  return SCHED_OK;
}

/* One workload written to one tile: the provider, else analytic. */
static int provider_cycles(const cost_model_t *m, const cost_workload_t *wl,
                           cost_dpu_estimate_t *out) {
  int rc = m->provider->dpu_workload(m->state, m->arch, wl, out);
  if (rc == SCHED_ERR_NOT_FOUND)
    rc = cost_provider_analytic.dpu_workload(NULL, m->arch, wl, out);
  out->n_workloads = 1;
  out->rest_mode = ARCH_MPE_AUTO;
  return rc;
}

/* The columns of wl from `first`, `count` wide, with the input columns they
 * need; the padding stays at the outer edges. */
static cost_workload_t column_part(const cost_workload_t *wl, int32_t first, int32_t count) {
  cost_workload_t p = *wl;
  p.out_w = count;
  p.pad_left = first == 0 ? wl->pad_left : 0;
  p.pad_right = first + count == wl->out_w ? wl->pad_right : 0;
  p.in_w = SCHED_MAX((count - 1) * wl->stride_w + wl->kernel_w - p.pad_left - p.pad_right, 1);
  return p;
}

/* wl split at a column boundary: the columns that fill `mode`'s grid in
 * that mode, the rest in their best mode. Fills *out when that is cheaper
 * than *out already is (each workload pays its overhead). */
static int split_in_mode(const cost_model_t *m, const cost_workload_t *wl, arch_mpe_mode_t mode,
                         cost_dpu_estimate_t *out) {
  int32_t grid_w = arch_mpe_grid(mode).w, rest = wl->out_w % grid_w;
  if (rest == 0 || wl->out_w < grid_w)
    return SCHED_OK;
  cost_workload_t main = column_part(wl, 0, wl->out_w - rest);
  cost_workload_t tail = column_part(wl, wl->out_w - rest, rest);
  main.mode = mode;
  cost_dpu_estimate_t a, b;
  int rc = provider_cycles(m, &main, &a);
  if (rc == SCHED_OK)
    rc = provider_cycles(m, &tail, &b);
  if (rc != SCHED_OK || a.cycles + b.cycles >= out->cycles)
    return rc;
  *out = a;
  out->cycles = a.cycles + b.cycles;
  out->n_workloads = 2;
  out->rest_mode = b.mode;
  return SCHED_OK;
}

/* Under AUTO, the best two-workload split over the arch's modes, kept when
 * it beats one workload. A measured whole workload (a lut row) stands. */
static int try_splits(const cost_model_t *m, const cost_workload_t *wl, cost_dpu_estimate_t *best) {
  if (wl->mode != ARCH_MPE_AUTO || strcmp(best->provider, cost_provider_analytic.name) != 0)
    return SCHED_OK;
  int rc = SCHED_OK;
  for (int i = 0; i < m->arch->n_mpe_modes && rc == SCHED_OK; i++)
    rc = split_in_mode(m, wl, m->arch->mpe_modes[i], best);
  return rc;
}

int cost_dpu_workload(const cost_model_t *m, const cost_workload_t *wl, cost_dpu_estimate_t *out,
                      sched_diag_t *diag) {
  int rc = workload_check(m->arch, wl, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = provider_cycles(m, wl, out);
  if (rc == SCHED_OK)
    rc = try_splits(m, wl, out);
  if (rc != SCHED_OK)
    return rc;
  int64_t single_tile = out->cycles;
  out->cycles = cost_with_output_write(m->arch, wl, single_tile);
  out->output_write_cycles = out->cycles - single_tile;
  return SCHED_OK;
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

int64_t cost_shave_cycles(const cost_model_t *m, ir_op_kind_t kind, int64_t bytes) {
  const arch_shave_kernel_t *k = arch_shave_kernel(m->arch, kind);
  double ns = (double)SCHED_MAX(bytes, 0) * k->ns_per_byte;
  return arch_us_to_cycles(m->arch, k->launch_us) +
         sched_cycles_ceil(ns * m->arch->dpu_clock_mhz / 1000.0);
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

/* The DPU's eltwise adds two tensors of one shape; a broadcast runs on
 * SHAVE (as the reference compiler places it). */
static bool inputs_same_shape(const ir_graph_t *g, const ir_op_t *op) {
  for (int i = 1; i < op->n_inputs; i++) {
    ir_shape_t a = g->tensors[op->inputs[0]].shape, b = g->tensors[op->inputs[i]].shape;
    if (a.n != b.n || a.c != b.c || a.h != b.h || a.w != b.w)
      return false;
  }
  return true;
}

/* A transpose that keeps the order of the dims larger than 1 moves no
 * byte (a view); any other is a strided DMA. */
static cost_engine_t transpose_engine(const ir_graph_t *g, const ir_op_t *op) {
  if (op->n_inputs < 1)
    return COST_ENGINE_DMA;
  ir_shape_t in = g->tensors[op->inputs[0]].shape;
  const int64_t dims[4] = {in.n, in.c, in.h, in.w};
  int last = -1;
  for (int i = 0; i < 4; i++) {
    int from = op->attrs.perm[i];
    if (from < 0 || from > 3 || dims[from] == 1)
      continue;
    if (from < last)
      return COST_ENGINE_DMA;
    last = from;
  }
  return COST_ENGINE_NONE;
}

cost_engine_t cost_op_engine(const arch_t *arch, const ir_graph_t *g, const ir_op_t *op) {
  if (falls_back(arch, g, op))
    return COST_ENGINE_CPU;
  if (ir_op_is_activation(op->kind))
    return activation_engine(arch, op->kind);
  switch (op->kind) {
  case IR_OP_ADD:
  case IR_OP_SUB:
  case IR_OP_MUL: return inputs_same_shape(g, op) ? COST_ENGINE_DPU : COST_ENGINE_SHAVE;
  case IR_OP_CONV:
  case IR_OP_TRANSPOSE_CONV:
  case IR_OP_FULLY_CONNECTED:
  case IR_OP_MAXPOOL:
  case IR_OP_AVGPOOL:
  case IR_OP_GLOBAL_AVGPOOL:
  case IR_OP_MATMUL: return COST_ENGINE_DPU;
  case IR_OP_TRANSPOSE: return transpose_engine(g, op);
  case IR_OP_GATHER: /* rows fetched from the table in DDR */
  case IR_OP_SLICE: return COST_ENGINE_DMA;
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
  default: return COST_ENGINE_SHAVE; /* norms, div, pow, sqrt, reduce_mean, generic */
  }
}
