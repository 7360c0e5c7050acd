/* analytic.c - the analytic DPU cost provider.
 *
 * A DPU computes a workload's output in MPE grid steps (arch_mpe_grid): the
 * output is padded up to whole grids in height and width, and channels up to
 * the arch's channel alignment (16). The
 * padded work is divided by a per-op rate:
 *   conv      padded MACs / (MACs per cycle x conv_efficiency)
 *   dwconv    padded kernel taps / dw_macs_per_cycle, channels grouped in
 *             dw_channel_align_bytes (32 bytes: 16 u8 channels cost like 32)
 *   pool      like dwconv at pool_elems_per_cycle
 *   eltwise   padded output elements / eltwise_elems_per_cycle
 * each scaled by the mode's efficiency (narrow grids reuse less), slower by
 * fp16_slowdown for fp16 (2 on NPU 2.7/4000, 4 on KMB; depthwise has its
 * own fp16 rate), plus a fixed
 * per-workload overhead. A workload writing its output to several tiles
 * (output_write_tiles > 1) pays for the write as cost_with_output_write
 * says; the model adds it on top of whichever provider answered. Under ARCH_MPE_AUTO every mode the
 * arch supports is costed and the cheapest wins (ties: the first listed).
 *
 * The shape of the model follows intel/npu-nn-cost-model's theoretical
 * provider (MACs over the MAC array, grid padding per execution mode); its
 * constants are fitted to that project's NPU2.7 silicon measurements (see
 * tests/test_cost.c). */
#include <math.h>

#include "cost/cost.h"

/* Output positions after padding to the mode's grid. */
static int64_t grid_positions(const cost_workload_t *wl, arch_mpe_grid_t g) {
  return (int64_t)SCHED_ALIGN_UP(wl->out_h, g.h) * SCHED_ALIGN_UP(wl->out_w, g.w);
}

static int64_t kernel_area(const cost_workload_t *wl) {
  return (int64_t)wl->kernel_h * wl->kernel_w;
}

/* Input channels a conv computes: padded to the channel alignment, or to
 * the compressed-conv width when it has that few (an RGB first layer runs
 * on 4 channels, not 16). */
static int64_t input_channels(const arch_t *a, const cost_workload_t *wl) {
  int32_t compressed = a->compressed_conv_channels;
  if (compressed > 0 && wl->in_c <= compressed)
    return compressed;
  return SCHED_ALIGN_UP(wl->in_c, a->channel_align);
}

/* Channels of a per-channel op (depthwise, pool) after padding to the
 * channel group: dw_channel_align_bytes worth of this dtype. */
static int64_t grouped_channels(const arch_t *a, const cost_workload_t *wl) {
  int bytes = wl->dtype == IR_DTYPE_FP16 ? 2 : 1;
  int group = SCHED_MAX(1, a->cost.dw_channel_align_bytes / bytes);
  return SCHED_ALIGN_UP(wl->out_c, group);
}

/* NPU 4000 runs narrow 3-wide depthwise kernels at stride 1 on a faster
 * path: 32 channels cost about a third of 64 (NPU40 regression tests). */
static double dw_path_factor(const arch_t *a, const cost_workload_t *wl) {
  bool fast = wl->kernel_w == 3 && wl->stride_w == 1 && wl->stride_h == 1 &&
              wl->out_c <= a->cost.dw_kw3_max_channels;
  return fast ? a->cost.dw_kw3_factor : 1.0;
}

/* Work of one workload in a mode, in cycles before overhead. */
static double work_cycles(const arch_t *a, const cost_workload_t *wl, arch_mpe_mode_t mode) {
  const arch_cost_params_t *p = &a->cost;
  arch_mpe_grid_t g = arch_mpe_grid(mode);
  double pos = (double)grid_positions(wl, g);
  double fp16_slowdown = wl->dtype == IR_DTYPE_FP16 ? p->fp16_slowdown : 1.0;
  double rate_scale = p->mode_efficiency[mode];
  switch (wl->op) {
  case COST_DPU_CONV: {
    double macs = pos * SCHED_ALIGN_UP(wl->out_c, a->channel_align) *
                  (double)input_channels(a, wl) * (double)kernel_area(wl);
    return macs * fp16_slowdown / (a->macs_per_cycle_int8 * p->conv_efficiency * rate_scale);
  }
  case COST_DPU_DWCONV: {
    double taps = pos * (double)grouped_channels(a, wl) * (double)kernel_area(wl);
    double rate = wl->dtype == IR_DTYPE_FP16 ? p->dw_macs_per_cycle_fp16 : p->dw_macs_per_cycle_u8;
    return taps * dw_path_factor(a, wl) / (rate * rate_scale);
  }
  case COST_DPU_MAXPOOL:
  case COST_DPU_AVGPOOL: {
    double taps = pos * (double)grouped_channels(a, wl) * (double)kernel_area(wl);
    return taps * fp16_slowdown / (p->pool_elems_per_cycle * p->pool_mode_efficiency[mode]);
  }
  case COST_DPU_ELTWISE: {
    double elems = pos * SCHED_ALIGN_UP(wl->out_c, a->channel_align);
    return elems * fp16_slowdown / (p->eltwise_elems_per_cycle * rate_scale);
  }
  case COST_DPU_OP_COUNT: break;
  }
  SCHED_UNREACHABLE();
}

static int64_t mode_cycles(const arch_t *a, const cost_workload_t *wl, arch_mpe_mode_t mode) {
  return sched_cycles_ceil(work_cycles(a, wl, mode)) + a->cost.workload_overhead_cycles;
}

int64_t cost_output_write_cycles(const arch_t *arch, const cost_workload_t *wl) {
  if (wl->output_write_tiles <= 1)
    return 0;
  const arch_cost_params_t *p = &arch->cost;
  double positions = (double)wl->out_h * wl->out_w;
  double bytes = positions * wl->out_c * ir_dtype_bytes(wl->dtype);
  double per_tile = positions * p->owt_cycles_per_position + bytes / p->owt_bytes_per_cycle;
  return (int64_t)ceil(wl->output_write_tiles * per_tile);
}

int64_t cost_with_output_write(const arch_t *arch, const cost_workload_t *wl,
                               int64_t single_tile_cycles) {
  if (wl->output_write_tiles <= 1)
    return single_tile_cycles;
  int64_t write = cost_output_write_cycles(arch, wl);
  return SCHED_MAX(single_tile_cycles, write) + arch->cost.owt_overhead_cycles;
}

static int analytic_open(const char *arg, const arch_t *arch, void **state, sched_diag_t *diag) {
  (void)arch;
  if (arg && *arg)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "cost provider 'analytic' takes no argument, "
                          "got '%s'",
                          arg);
  *state = NULL;
  return SCHED_OK;
}

/* The workload was validated by cost_dpu_workload: dims positive, a fixed
 * mode is one the arch supports. */
static int analytic_dpu_workload(const void *state, const arch_t *arch, const cost_workload_t *wl,
                                 cost_dpu_estimate_t *out) {
  (void)state;
  out->provider = cost_provider_analytic.name;
  if (wl->mode != ARCH_MPE_AUTO) {
    out->mode = wl->mode;
    out->cycles = mode_cycles(arch, wl, wl->mode);
    return SCHED_OK;
  }
  out->mode = arch->mpe_modes[0];
  out->cycles = mode_cycles(arch, wl, arch->mpe_modes[0]);
  for (int i = 1; i < arch->n_mpe_modes; i++) {
    int64_t c = mode_cycles(arch, wl, arch->mpe_modes[i]);
    if (c < out->cycles) {
      out->cycles = c;
      out->mode = arch->mpe_modes[i];
    }
  }
  return SCHED_OK;
}

static void analytic_close(void *state) { (void)state; }

const cost_provider_t cost_provider_analytic = {
    .name = "analytic",
    .open = analytic_open,
    .dpu_workload = analytic_dpu_workload,
    .close = analytic_close,
};
