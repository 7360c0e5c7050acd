/* footprint.c - the per-cluster CMX footprint of DESIGN.md's strategy table
 * (for N clusters: SOH in/N + out/N + w, SOK in + w/N + out, HKSwitch
 * in/N + w + out, Clustering in + w + out, SOW in/N + out/N + w), for the
 * largest slice and the largest cluster part, halos included. Pipelined
 * slices double-buffer what changes from slice to slice. */
#include "tiling/tiling_internal.h"

#include <string.h>
#include <strings.h>

static const char *const strategy_names[STRAT_COUNT] = {
    [STRAT_CLUSTERING] = "Clustering", [STRAT_SOH] = "SOH", [STRAT_SOK] = "SOK",
    [STRAT_HKSWITCH] = "HKSwitch",     [STRAT_SOW] = "SOW",
};

const char *tiling_strategy_name(tiling_strategy_t s) {
  return s < STRAT_COUNT ? strategy_names[s] : "?";
}

int tiling_strategy_parse(const char *s, tiling_strategy_t *out) {
  for (int i = 0; i < STRAT_COUNT; i++) {
    if (strcasecmp(s, strategy_names[i]) == 0) {
      *out = (tiling_strategy_t)i;
      return SCHED_OK;
    }
  }
  return SCHED_ERR_INPUT;
}

const char *tiling_axis_name(tiling_axis_t a) {
  return a == TILING_AXIS_H ? "H" : a == TILING_AXIS_K ? "K" : "-";
}

tiling_dist_t tiling_input_dist(tiling_strategy_t s) {
  switch (s) {
  case STRAT_SOH:
  case STRAT_HKSWITCH: return DIST_SEGMENTED_H;
  case STRAT_SOW: return DIST_SEGMENTED_W;
  default: return DIST_DUPLICATED;
  }
}

tiling_dist_t tiling_output_dist(tiling_strategy_t s) {
  switch (s) {
  case STRAT_SOH: return DIST_SEGMENTED_H;
  case STRAT_SOW: return DIST_SEGMENTED_W;
  default: return DIST_DUPLICATED; /* SOK and HKSwitch broadcast their output */
  }
}

bool tiling_dist_compatible(tiling_dist_t produced, tiling_dist_t needed) {
  return produced == needed || produced == DIST_DUPLICATED;
}

int64_t tiling_tensor_cluster_bytes(const ir_graph_t *g, int tensor, tiling_dist_t dist,
                                    int32_t clusters) {
  ir_shape_t s = g->tensors[tensor].shape;
  int64_t eb = ir_dtype_bytes(g->tensors[tensor].dtype);
  clusters = SCHED_MAX(clusters, 1);
  switch (dist) {
  case DIST_SEGMENTED_H: return s.n * s.c * SCHED_CEIL_DIV(s.h, clusters) * s.w * eb;
  case DIST_SEGMENTED_W: return s.n * s.c * s.h * SCHED_CEIL_DIV(s.w, clusters) * eb;
  default: return ir_shape_elems(s) * eb;
  }
}

static bool splits_input(tiling_strategy_t s) {
  return s == STRAT_SOH || s == STRAT_HKSWITCH || s == STRAT_SOW;
}

static int64_t input_bytes(const tiling_geom_t *geom, const tiling_choice_t *choice,
                           const tiling_part_t *part, int32_t slice_extent) {
  if (geom->op->kind == IR_OP_CONCAT)
    return 0; /* inputs are written in place into the output buffer */
  int64_t channels = geom->in.c;
  if (choice->strategy == STRAT_SOK && ir_op_is_depthwise(geom->g, geom->op))
    channels = part->out_channels; /* depthwise SOK needs only its channels */
  int64_t rows, cols;
  if (splits_input(choice->strategy)) {
    rows = part->in_rows;
    cols = part->in_cols;
  } else {
    bool h_axis = choice->axis == TILING_AXIS_H;
    rows = h_axis ? tiling_input_rows(geom, slice_extent) : geom->in.h;
    cols = geom->in.w;
  }
  return geom->n_inputs * geom->in.n * channels * rows * cols * geom->elem_bytes;
}

static int64_t output_bytes(const tiling_geom_t *geom, const tiling_choice_t *choice,
                            const tiling_part_t *part, int32_t slice_extent) {
  bool k_axis = choice->axis == TILING_AXIS_K;
  if (choice->strategy == STRAT_SOH || choice->strategy == STRAT_SOW)
    return geom->out.n * (int64_t)part->out_rows * part->out_cols * part->out_channels *
           geom->elem_bytes;
  int64_t rows = k_axis ? geom->out.h : slice_extent;
  int64_t channels = k_axis ? slice_extent : geom->out.c;
  return geom->out.n * rows * geom->out.w * channels * geom->elem_bytes;
}

static int64_t weight_bytes(const tiling_geom_t *geom, const tiling_choice_t *choice,
                            const tiling_part_t *part, int32_t slice_extent) {
  int64_t channels = choice->axis == TILING_AXIS_K ? slice_extent : geom->out.c;
  if (choice->strategy == STRAT_SOK)
    channels = part->out_channels;
  if (!geom->out.c)
    return 0;
  /* weight_bytes * channels / out.c without the product: it can pass 2^63 */
  int64_t per = geom->weight_bytes / geom->out.c, rest = geom->weight_bytes % geom->out.c;
  return per * channels + rest * channels / geom->out.c;
}

tiling_footprint_t tiling_layer_footprint(const arch_t *arch, const ir_graph_t *g, int op,
                                          const tiling_choice_t *choice) {
  tiling_geom_t geom;
  tiling_geom_init(arch, g, op, &geom);
  if (geom.in_ddr)
    return (tiling_footprint_t){0};                       /* works in DDR, holds no CMX */
  int32_t extent = tiling_slice_extent(&geom, choice, 0); /* slice 0 is the largest */
  bool last = choice->tiles <= 1;
  tiling_part_t part = tiling_cluster_part(arch, &geom, choice, extent, true, last, 0);
  tiling_footprint_t f = {
      .input_bytes =
          input_bytes(&geom, choice, &part, extent) + tiling_operand_b_bytes(&geom, choice, &part),
      .output_bytes = output_bytes(&geom, choice, &part, extent),
      .weight_bytes = weight_bytes(&geom, choice, &part, extent),
  };
  int64_t moving = f.input_bytes + f.output_bytes;
  if (choice->axis == TILING_AXIS_K)
    moving = f.output_bytes + f.weight_bytes;
  f.total_bytes = f.input_bytes + f.output_bytes + f.weight_bytes;
  if (choice->pipelined)
    f.total_bytes += moving;
  return f;
}
