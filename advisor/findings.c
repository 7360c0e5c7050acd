/* findings.c - the table of finding kinds, and the kinds that swap one op
 * kind for another: SHAVE activations with a PPE or cheaper equivalent, and
 * align_corners upsampling.
 *
 * Source: the model-design notes the project grew from (seeds 000, 004):
 * activations on the PPE (ReLU, ReLUX, LeakyReLU with one slope) are free,
 * per-channel PReLU, GELU, Sigmoid, Swish and Softmax run on SHAVE;
 * nearest upsampling is free, bilinear becomes a depthwise conv, the
 * align_corners variant needs SHAVE. */
#include "advisor/advisor_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

advisor_params_t advisor_params_default(void) {
  return (advisor_params_t){
      .channel_slack = 8,
      .high_res_pixels = 112 * 112,
      .max_spill_sites = 8,
      .max_listed_sites = 6,
      .low_util_pct = 10,
      .low_util_min_share_pct = 5,
  };
}

void advisor_sites_push(advisor_sites_t *s, const advisor_site_t *site) {
  sched_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items);
  s->items[s->n++] = *site;
}

void advisor_sites_free(advisor_sites_t *s) {
  free(s->items);
  memset(s, 0, sizeof *s);
}

void advisor_whatif_free(advisor_whatif_t *w) {
  ir_graph_free(&w->graph);
  free(w->forces);
  memset(w, 0, sizeof *w);
}

void advisor_whatif_copy(const advisor_input_t *in, advisor_whatif_t *out) {
  memset(out, 0, sizeof *out);
  ir_graph_copy(in->net, &out->graph);
}

void advisor_site_of_op(const ir_graph_t *g, int op, advisor_site_t *site, const char *fmt, ...) {
  memset(site, 0, sizeof *site);
  site->op = op;
  snprintf(site->name, sizeof site->name, "%s", g->ops[op].name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(site->note, sizeof site->note, fmt, ap);
  va_end(ap);
}

bool advisor_tensor_is_output(const ir_graph_t *g, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t)
      return true;
  return false;
}

static bool fusable(const arch_t *arch, ir_op_kind_t kind) {
  return (arch->ppe_fusable >> kind) & 1;
}

/* Sites: ops of a kind in `mask` that run on SHAVE, when `target` is
 * cheaper (fusable, or at least not the same kind). */
static void detect_shave_ops(const advisor_input_t *in, uint64_t mask, bool need_fusable_relu,
                             advisor_sites_t *out) {
  if (need_fusable_relu && !fusable(in->arch, IR_OP_RELU))
    return;
  const ir_graph_t *g = in->net;
  for (int i = 0; i < g->n_ops; i++) {
    const ir_op_t *op = &g->ops[i];
    if (!((mask >> op->kind) & 1) || cost_op_engine(in->arch, g, op) != COST_ENGINE_SHAVE)
      continue;
    advisor_site_t site;
    advisor_site_of_op(g, i, &site, "%s on SHAVE", ir_op_kind_name(op->kind));
    advisor_sites_push(out, &site);
  }
}

#define KIND_BIT(k) (UINT64_C(1) << (k))
#define SMOOTH_MASK (KIND_BIT(IR_OP_GELU) | KIND_BIT(IR_OP_SIGMOID) | KIND_BIT(IR_OP_SWISH))

static void prelu_detect(const advisor_input_t *in, const advisor_params_t *params,
                         advisor_sites_t *out) {
  (void)params;
  detect_shave_ops(in, KIND_BIT(IR_OP_PRELU), true, out);
}

static void smooth_detect(const advisor_input_t *in, const advisor_params_t *params,
                          advisor_sites_t *out) {
  (void)params;
  detect_shave_ops(in, SMOOTH_MASK, true, out);
}

static void smooth_hard_detect(const advisor_input_t *in, const advisor_params_t *params,
                               advisor_sites_t *out) {
  (void)params;
  detect_shave_ops(in, SMOOTH_MASK, false, out);
}

/* Softmax whose result is read by later layers (not the network's end). */
static void softmax_detect(const advisor_input_t *in, const advisor_params_t *params,
                           advisor_sites_t *out) {
  (void)params;
  advisor_sites_t all = {0};
  detect_shave_ops(in, KIND_BIT(IR_OP_SOFTMAX), true, &all);
  ir_consumers_t readers; /* once: a scan of every op per softmax is quadratic */
  ir_consumers_build(in->net, &readers);
  for (int i = 0; i < all.n; i++) {
    int t = in->net->ops[all.items[i].op].output;
    if (!advisor_tensor_is_output(in->net, t) && readers.start[t + 1] > readers.start[t])
      advisor_sites_push(out, &all.items[i]);
  }
  ir_consumers_free(&readers);
  advisor_sites_free(&all);
}

static void align_corners_detect(const advisor_input_t *in, const advisor_params_t *params,
                                 advisor_sites_t *out) {
  (void)params;
  const ir_graph_t *g = in->net;
  for (int i = 0; i < g->n_ops; i++) {
    const ir_op_t *op = &g->ops[i];
    if (op->kind != IR_OP_UPSAMPLE || op->attrs.upsample_mode != IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS)
      continue;
    advisor_site_t site;
    advisor_site_of_op(g, i, &site, "x%d bilinear, align_corners", op->attrs.scale);
    advisor_sites_push(out, &site);
  }
}

/* A rewrite that changes each site op's kind (and the attributes it reads). */
typedef struct {
  ir_op_kind_t from_mask_kind; /* IR_OP_NONE: any site */
  ir_op_kind_t to;
  float alpha;
  ir_upsample_mode_t mode;
} swap_t;

static int apply_swap(const advisor_input_t *in, const advisor_site_t *sites, int n,
                      const swap_t *swap, advisor_whatif_t *out, sched_diag_t *diag) {
  advisor_whatif_copy(in, out);
  for (int i = 0; i < n; i++) {
    ir_op_t *op = &out->graph.ops[sites[i].op];
    if (swap->from_mask_kind != IR_OP_NONE && op->kind != swap->from_mask_kind)
      continue;
    if (op->kind == IR_OP_UPSAMPLE) {
      op->attrs.upsample_mode = swap->mode;
      continue;
    }
    op->kind = swap->to;
    op->attrs.alpha = swap->alpha;
  }
  return ir_graph_infer_shapes(&out->graph, diag);
}

static int to_relu_apply(const advisor_input_t *in, const advisor_site_t *sites, int n,
                         advisor_whatif_t *out, sched_diag_t *diag) {
  return apply_swap(in, sites, n, &(swap_t){.to = IR_OP_RELU}, out, diag);
}

static int to_leaky_apply(const advisor_input_t *in, const advisor_site_t *sites, int n,
                          advisor_whatif_t *out, sched_diag_t *diag) {
  /* 0.25 is PReLU's usual initial slope; the value does not change the cost. */
  return apply_swap(in, sites, n, &(swap_t){.to = IR_OP_LEAKY_RELU, .alpha = 0.25f}, out, diag);
}

/* GELU and Swish -> HardSwish, Sigmoid -> HardSigmoid. */
static int to_hard_apply(const advisor_input_t *in, const advisor_site_t *sites, int n,
                         advisor_whatif_t *out, sched_diag_t *diag) {
  int rc =
      apply_swap(in, sites, n,
                 &(swap_t){.from_mask_kind = IR_OP_SIGMOID, .to = IR_OP_HARDSIGMOID, .alpha = 0.2f},
                 out, diag);
  for (int i = 0; i < n && rc == SCHED_OK; i++) {
    ir_op_t *op = &out->graph.ops[sites[i].op];
    if (op->kind == IR_OP_GELU || op->kind == IR_OP_SWISH)
      op->kind = IR_OP_HARDSWISH;
  }
  return rc;
}

static int to_bilinear_apply(const advisor_input_t *in, const advisor_site_t *sites, int n,
                             advisor_whatif_t *out, sched_diag_t *diag) {
  return apply_swap(in, sites, n, &(swap_t){.mode = IR_UPSAMPLE_BILINEAR}, out, diag);
}

static int to_nearest_apply(const advisor_input_t *in, const advisor_site_t *sites, int n,
                            advisor_whatif_t *out, sched_diag_t *diag) {
  return apply_swap(in, sites, n, &(swap_t){.mode = IR_UPSAMPLE_NEAREST}, out, diag);
}

static const advisor_kind_t kind_prelu_relu = {.id = "prelu-to-relu",
                                               .title = "per-channel PReLU runs on SHAVE",
                                               .rewrite = "PReLU -> ReLU (fused into the PPE)",
                                               .caveat = "changes the function: retrain",
                                               .grouped = true,
                                               .detect = prelu_detect,
                                               .apply = to_relu_apply};
static const advisor_kind_t kind_prelu_leaky = {
    .id = "prelu-to-leaky",
    .title = "per-channel PReLU runs on SHAVE",
    .rewrite = "PReLU -> LeakyReLU with one slope (fused into the PPE)",
    .caveat = "one shared slope instead of one per channel: fine-tune",
    .grouped = true,
    .detect = prelu_detect,
    .apply = to_leaky_apply};
static const advisor_kind_t kind_smooth_hard = {
    .id = "smooth-to-hard",
    .title = "GELU / Sigmoid / Swish run on SHAVE as transcendental kernels",
    .rewrite = "GELU, Swish -> HardSwish; Sigmoid -> HardSigmoid (simple SHAVE kernels)",
    .caveat = "numerically close: fine-tune",
    .grouped = true,
    .detect = smooth_hard_detect,
    .apply = to_hard_apply};
static const advisor_kind_t kind_smooth_relu = {
    .id = "smooth-to-relu",
    .title = "GELU / Sigmoid / Swish run on SHAVE",
    .rewrite = "GELU, Sigmoid, Swish -> ReLU (fused into the PPE)",
    .caveat = "changes the function: retrain",
    .grouped = true,
    .detect = smooth_detect,
    .apply = to_relu_apply};
static const advisor_kind_t kind_softmax = {
    .id = "softmax-mid",
    .title = "Softmax in the middle of the network runs on SHAVE",
    .rewrite = "Softmax -> ReLU (fused into the PPE); normalise at the end instead",
    .caveat = "changes the function: retrain",
    .grouped = true,
    .detect = softmax_detect,
    .apply = to_relu_apply};
static const advisor_kind_t kind_channels = {
    .id = "channels-round-down",
    .title = "channel counts just above a multiple of 16 pad the MPE with idle channels",
    .rewrite = "round the output channels down to the multiple of 16",
    .caveat = "fewer channels: retrain or prune",
    .grouped = true,
    .detect = advisor_channels_detect,
    .apply = advisor_channels_apply};
static const advisor_kind_t kind_align_bilinear = {
    .id = "align-corners-to-bilinear",
    .title = "bilinear upsampling with align_corners runs on SHAVE",
    .rewrite = "align_corners=false (a depthwise conv on the DPU)",
    .caveat = "numerically close: fine-tune",
    .grouped = true,
    .detect = align_corners_detect,
    .apply = to_bilinear_apply};
static const advisor_kind_t kind_align_nearest = {
    .id = "align-corners-to-nearest",
    .title = "bilinear upsampling with align_corners runs on SHAVE",
    .rewrite = "nearest upsampling (addressing only, free)",
    .caveat = "changes the function: fine-tune or retrain",
    .grouped = true,
    .detect = align_corners_detect,
    .apply = to_nearest_apply};
static const advisor_kind_t kind_dwpw = {
    .id = "dwpw-to-conv",
    .title = "DW+PW chain at high resolution: both may be DMA-bound",
    .rewrite = "one plain conv with the depthwise kernel (same receptive field)",
    .caveat = "more MACs and weights, changes the function: retrain",
    .grouped = false,
    .detect = advisor_dwpw_detect,
    .apply = advisor_dwpw_apply};
static const advisor_kind_t kind_spill = {
    .id = "spill-distribution",
    .title = "a tensor spills to DDR because producer and consumer cannot share a distribution",
    .rewrite = "force a compatible strategy on the layer (the solver does the rest)",
    .caveat = "same function: a plan choice; if it saves, reshape the layer or tell the compiler",
    .grouped = false,
    .detect = advisor_spill_detect,
    .apply = advisor_spill_apply};
static const advisor_kind_t kind_tiny = {
    .id = "tiny-channels",
    .title = "fewer than 16 output channels leave most of the MAC array idle",
    .rewrite = "widen to 16 channels (the MPE computes 16 anyway)",
    .caveat = "more channels at about the same latency: retrain (may gain accuracy)",
    .grouped = true,
    .detect = advisor_tiny_detect,
    .apply = advisor_tiny_apply};

static const advisor_kind_t kind_subpixel = {
    .id = "deconv-to-subpixel",
    .title = "a strided transpose conv runs far below the DPU's peak MACs",
    .rewrite = "conv (kernel k/s, c_out*s^2 channels) + depth-to-space: ESPCN's sub-pixel conv",
    .caveat = "same receptive field and output shape; retrain (or convert the weights)",
    .grouped = false,
    .detect = advisor_subpixel_detect,
    .apply = advisor_subpixel_apply};

static const advisor_kind_t *const kinds[] = {
    &kind_prelu_relu,
    &kind_prelu_leaky,
    &kind_smooth_relu,
    &kind_smooth_hard,
    &kind_softmax,
    &kind_align_nearest,
    &kind_align_bilinear,
    &kind_channels,
    &kind_dwpw,
    &kind_spill,
    &kind_tiny,
    &kind_subpixel,
    NULL,
};

const advisor_kind_t *const *advisor_kinds(void) { return kinds; }
