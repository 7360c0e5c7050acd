/* channels.c - findings about how a layer's shape meets the MAC array:
 * channel counts just above a multiple of 16 (the MPE pads them up, so up to
 * 15/16 of the last channel group is idle), tiny channel counts (widening to
 * 16 is nearly free), and depthwise + pointwise chains at high resolution,
 * which the notes (seed 004) found slower than one plain conv when both
 * halves are DMA-bound. */
#include "advisor/advisor_internal.h"

/* A dense conv whose output channels the designer chose (not the task's:
 * graph outputs keep theirs). */
static bool free_dense_conv(const ir_graph_t *g, int i) {
  const ir_op_t *op = &g->ops[i];
  return (op->kind == IR_OP_CONV || op->kind == IR_OP_TRANSPOSE_CONV) && op->attrs.groups == 1 &&
         !advisor_tensor_is_output(g, op->output);
}

void advisor_channels_detect(const advisor_input_t *in, const advisor_params_t *params,
                             advisor_sites_t *out) {
  const ir_graph_t *g = in->net;
  int32_t align = in->arch->channel_align;
  for (int i = 0; i < g->n_ops; i++) {
    int32_t c = g->ops[i].attrs.out_channels, extra = c % align;
    if (!free_dense_conv(g, i) || c <= align || extra < 1 || extra > params->channel_slack)
      continue;
    int32_t padded = (int32_t)SCHED_ALIGN_UP(c, align);
    advisor_site_t site;
    advisor_site_of_op(g, i, &site, "%d -> %d channels (MPE pads %d to %d: %.0f%% idle)", c,
                       c - extra, c, padded, 100.0 * (padded - c) / padded);
    advisor_sites_push(out, &site);
  }
}

int advisor_channels_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                           advisor_whatif_t *out, sched_diag_t *diag) {
  advisor_whatif_copy(in, out);
  int32_t align = in->arch->channel_align;
  int rc = SCHED_OK;
  for (int i = 0; i < n_sites && rc == SCHED_OK; i++) {
    int32_t c = out->graph.ops[sites[i].op].attrs.out_channels;
    rc = advisor_graph_set_channels(&out->graph, sites[i].op, c - c % align, diag);
  }
  return rc;
}

void advisor_tiny_detect(const advisor_input_t *in, const advisor_params_t *params,
                         advisor_sites_t *out) {
  (void)params;
  const ir_graph_t *g = in->net;
  int32_t align = in->arch->channel_align;
  for (int i = 0; i < g->n_ops; i++) {
    int32_t c = g->ops[i].attrs.out_channels;
    if (!free_dense_conv(g, i) || c >= align)
      continue;
    advisor_site_t site;
    advisor_site_of_op(g, i, &site, "%d -> %d channels (%.0f%% of the MPE idle)", c, align,
                       100.0 * (align - c) / align);
    advisor_sites_push(out, &site);
  }
}

int advisor_tiny_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                       advisor_whatif_t *out, sched_diag_t *diag) {
  advisor_whatif_copy(in, out);
  int rc = SCHED_OK;
  for (int i = 0; i < n_sites && rc == SCHED_OK; i++)
    rc = advisor_graph_set_channels(&out->graph, sites[i].op, in->arch->channel_align, diag);
  return rc;
}

/* The only reader of tensor t, or -1. */
static int sole_reader(const ir_graph_t *g, const ir_consumers_t *readers, int t) {
  if (advisor_tensor_is_output(g, t) || readers->start[t + 1] - readers->start[t] != 1)
    return -1;
  return readers->ops[readers->start[t]];
}

/* The pointwise conv after depthwise `dw` (through at most one activation),
 * or -1 when dw does not start a DW+PW chain. readers: g's consumer index,
 * built once per graph (a scan of every op per depthwise conv is quadratic). */
static int dwpw_partner(const ir_graph_t *g, const ir_consumers_t *readers, int dw) {
  if (g->ops[dw].kind != IR_OP_CONV || !ir_op_is_depthwise(g, &g->ops[dw]))
    return -1;
  int next = sole_reader(g, readers, g->ops[dw].output);
  if (next >= 0 && ir_op_is_activation(g->ops[next].kind))
    next = sole_reader(g, readers, g->ops[next].output);
  if (next < 0)
    return -1;
  const ir_attrs_t *a = &g->ops[next].attrs;
  bool pw = g->ops[next].kind == IR_OP_CONV && a->groups == 1 && a->kernel_h == 1 &&
            a->kernel_w == 1 && a->stride_h == 1 && a->stride_w == 1;
  return pw ? next : -1;
}

void advisor_dwpw_detect(const advisor_input_t *in, const advisor_params_t *params,
                         advisor_sites_t *out) {
  const ir_graph_t *g = in->net;
  ir_consumers_t readers;
  ir_consumers_build(g, &readers);
  for (int i = 0; i < g->n_ops; i++) {
    int pw = dwpw_partner(g, &readers, i);
    if (pw < 0)
      continue;
    const ir_op_t *dw = &g->ops[i];
    ir_shape_t s = g->tensors[dw->output].shape;
    if (dw->attrs.kernel_h * dw->attrs.kernel_w <= 1 || s.h * s.w < params->high_res_pixels)
      continue;
    advisor_site_t site;
    advisor_site_of_op(g, i, &site, "DW %dx%d + PW -> conv %dx%d, %lld -> %d ch at %lldx%lld",
                       dw->attrs.kernel_h, dw->attrs.kernel_w, dw->attrs.kernel_h,
                       dw->attrs.kernel_w, (long long)s.c, g->ops[pw].attrs.out_channels,
                       (long long)s.h, (long long)s.w);
    advisor_sites_push(out, &site);
  }
  ir_consumers_free(&readers);
}

/* The depthwise conv becomes a dense one to the pointwise conv's channels;
 * the pointwise conv goes (its readers read the new conv, or the activation
 * between them). */
int advisor_dwpw_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                       advisor_whatif_t *out, sched_diag_t *diag) {
  advisor_whatif_copy(in, out);
  int rc = SCHED_OK;
  for (int i = 0; i < n_sites && rc == SCHED_OK; i++) {
    int dw = advisor_graph_find_op(&out->graph, sites[i].name);
    ir_consumers_t readers; /* rebuilt per site: each rewrite changes the graph */
    ir_consumers_build(&out->graph, &readers);
    int pw = dw >= 0 ? dwpw_partner(&out->graph, &readers, dw) : -1;
    ir_consumers_free(&readers);
    if (pw < 0)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "'%s' no longer starts a DW+PW chain",
                            sites[i].name);
    ir_attrs_t *a = &out->graph.ops[dw].attrs;
    a->groups = 1;
    a->out_channels = out->graph.ops[pw].attrs.out_channels;
    ir_graph_t dropped;
    rc = advisor_graph_drop_op(&out->graph, pw, &dropped, diag);
    ir_graph_free(&out->graph);
    out->graph = dropped;
  }
  return rc;
}
