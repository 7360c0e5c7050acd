/* utilisation.c - layers far below their engine's peak MACs. A DPU layer's
 * utilisation is its MACs over its plan-model latency times the peak MAC
 * rate of the clusters it uses (the report's util_pct); one that runs below
 * params->low_util_pct while taking a real share of the network's time is a
 * finding. The rewrite measured for it, where one exists: a transpose conv
 * with stride s computes mostly zeros (the upsampled input is s^2 times
 * larger than the real one), and with few output channels most of the MAC
 * array idles; as a sub-pixel convolution (ESPCN) the same output comes
 * from a stride-1 conv into c_out * s^2 channels and a depth-to-space. */
#include "advisor/advisor_internal.h"

#include <string.h>

/* The layer of net op `name` in the plan's problem, or -1. */
static int layer_of(const strat_problem_t *p, const char *name) {
  for (int l = 0; l < p->n_layers; l++)
    if (strcmp(p->g->ops[p->layers[l].op].name, name) == 0)
      return l;
  return -1;
}

/* Utilisation and share of the plan model's time of layer l, in %. */
static void layer_shares(const advisor_input_t *in, int l, double *util_pct, double *share_pct) {
  const strat_problem_t *p = in->problem;
  const strat_candidate_t *c = &p->layers[l].cands[in->plan->cand[l]];
  const ir_op_t *op = &p->g->ops[p->layers[l].op];
  int64_t cycles = strat_layer_cycles(
      p, l, in->plan->cand[l], strat_layer_inputs_from_ddr(p, in->plan, l), in->plan->spilled[l]);
  double rate = (double)in->arch->dpus_per_tile * in->arch->macs_per_cycle_int8 *
                SCHED_MAX(c->cost.clusters, 1);
  if (p->g->tensors[op->inputs[0]].dtype == IR_DTYPE_FP16)
    rate /= 2;
  *util_pct = cycles > 0 ? 100.0 * (double)ir_op_macs(p->g, p->layers[l].op) / (cycles * rate) : 0;
  *share_pct =
      in->plan->latency_cycles > 0 ? 100.0 * (double)cycles / (double)in->plan->latency_cycles : 0;
}

/* A stride-s transpose conv whose output is exactly s times its input. */
static bool subpixel_fits(const ir_graph_t *g, const ir_op_t *op) {
  if (op->kind != IR_OP_TRANSPOSE_CONV || op->attrs.groups != 1 || op->attrs.stride_h < 2 ||
      op->attrs.stride_h != op->attrs.stride_w)
    return false;
  ir_shape_t in = g->tensors[op->inputs[0]].shape, out = g->tensors[op->output].shape;
  return out.h == in.h * op->attrs.stride_h && out.w == in.w * op->attrs.stride_w;
}

void advisor_subpixel_detect(const advisor_input_t *in, const advisor_params_t *params,
                             advisor_sites_t *out) {
  const ir_graph_t *g = in->net;
  for (int i = 0; i < g->n_ops; i++) {
    const ir_op_t *op = &g->ops[i];
    int l = subpixel_fits(g, op) ? layer_of(in->problem, op->name) : -1;
    if (l < 0)
      continue;
    double util, share;
    layer_shares(in, l, &util, &share);
    if (util >= params->low_util_pct || share < params->low_util_min_share_pct)
      continue;
    advisor_site_t site;
    advisor_site_of_op(g, i, &site,
                       "%dx%d stride %d, %d output channels: %.1f%% of its clusters' peak MACs, "
                       "%.0f%% of the plan model's time",
                       op->attrs.kernel_h, op->attrs.kernel_w, op->attrs.stride_h,
                       op->attrs.out_channels, util, share);
    advisor_sites_push(out, &site);
  }
}

int advisor_subpixel_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                           advisor_whatif_t *out, sched_diag_t *diag) {
  (void)n_sites; /* one site per finding */
  *out = (advisor_whatif_t){0};
  return advisor_graph_subpixel(in->net, sites[0].op, &out->graph, diag);
}
