/* analytic.c - the analytic DPU cost provider.
 *
 * A DPU computes a workload's output in MPE grid steps (arch_mpe_grid): the
 * output is padded up to whole grids in height and width, and channels up to
 * the arch's channel alignment (16), so a 3-channel input costs like 16. The
 * padded work is divided by a per-op rate:
 *   conv      padded MACs / (MACs per cycle x conv_efficiency)
 *   dwconv    padded kernel taps / dw_macs_per_cycle, channels grouped in
 *             dw_channel_align_bytes (32 bytes: 16 u8 channels cost like 32)
 *   pool      like dwconv at pool_elems_per_cycle
 *   eltwise   padded output elements / eltwise_elems_per_cycle
 * each scaled by the mode's efficiency (narrow grids reuse less), halved for
 * fp16 (except depthwise, which has its own fp16 rate), plus a fixed
 * per-workload overhead. Under ARCH_MPE_AUTO every mode the arch supports is
 * costed and the cheapest wins (ties: the first listed).
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

/* Channels of a per-channel op (depthwise, pool) after padding to the
 * channel group: dw_channel_align_bytes worth of this dtype. */
static int64_t grouped_channels(const arch_t *a, const cost_workload_t *wl) {
  int bytes = wl->dtype == IR_DTYPE_FP16 ? 2 : 1;
  int group = SCHED_MAX(1, a->cost.dw_channel_align_bytes / bytes);
  return SCHED_ALIGN_UP(wl->out_c, group);
}

/* Work of one workload in a mode, in cycles before overhead. */
static double work_cycles(const arch_t *a, const cost_workload_t *wl, arch_mpe_mode_t mode) {
  const arch_cost_params_t *p = &a->cost;
  arch_mpe_grid_t g = arch_mpe_grid(mode);
  double pos = (double)grid_positions(wl, g);
  double fp16_slowdown = wl->dtype == IR_DTYPE_FP16 ? 2.0 : 1.0;
  double rate_scale = p->mode_efficiency[mode];
  switch (wl->op) {
  case COST_DPU_CONV: {
    double macs = pos * SCHED_ALIGN_UP(wl->out_c, a->channel_align) *
                  SCHED_ALIGN_UP(wl->in_c, a->channel_align) * (double)kernel_area(wl);
    return macs * fp16_slowdown / (a->macs_per_cycle_int8 * p->conv_efficiency * rate_scale);
  }
  case COST_DPU_DWCONV: {
    double taps = pos * (double)grouped_channels(a, wl) * (double)kernel_area(wl);
    double rate = wl->dtype == IR_DTYPE_FP16 ? p->dw_macs_per_cycle_fp16 : p->dw_macs_per_cycle_u8;
    return taps / (rate * rate_scale);
  }
  case COST_DPU_MAXPOOL:
  case COST_DPU_AVGPOOL: {
    double taps = pos * (double)grouped_channels(a, wl) * (double)kernel_area(wl);
    return taps * fp16_slowdown / (p->pool_elems_per_cycle * rate_scale);
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
