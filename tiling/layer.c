/* layer.c - legality, cost and tile-count choice of one layer.
 *
 * Requires a sorted, shape-inferred, fused graph. A layer's compute is the
 * sum over its slices of the slowest cluster; a cluster's part is spread
 * over its DPUs by rows. Transpose convs and bilinear upsampling run as
 * convolutions over the zero-inserted input (how NPU compilers lower them),
 * fully connected layers as 1x1 convs over the flattened input, matmuls as
 * 1x1 convs with the inner dim as input channels (channels aligned to 16 as
 * the reference compiler pads them) and tokens x heads as the plane. */
#include "tiling/tiling_internal.h"

/* The axis an op reduces over (softmax, norms, reduce_mean): a strategy
 * that splits it would need every cluster's part. -1 when none. */
static int reduced_axis(const ir_op_t *op) {
  switch (op->kind) {
  case IR_OP_SOFTMAX:
  case IR_OP_LAYERNORM:
  case IR_OP_RMSNORM:
  case IR_OP_REDUCE_MEAN: return (int)op->attrs.axis;
  default: return -1;
  }
}

static ir_axis_t split_axis(tiling_strategy_t s) {
  switch (s) {
  case STRAT_SOK: return IR_AXIS_C;
  case STRAT_SOW: return IR_AXIS_W;
  default: return IR_AXIS_H;
  }
}

/* Transformer ops carry attention heads in W, a batch dim without a
 * window: splitting it is the reference compiler's split over heads
 * (over group / batch), which needs no SOW support in the DPU. */
static bool w_is_batch(const ir_op_t *op) {
  return op->kind == IR_OP_SOFTMAX || (op->kind >= IR_OP_MATMUL && op->kind <= IR_OP_REDUCE_MEAN);
}

/* Why a strategy cannot run a transformer op, or NULL. */
static const char *transformer_reason(const tiling_geom_t *geom, tiling_strategy_t strategy) {
  const ir_op_t *op = geom->op;
  if (strategy != STRAT_CLUSTERING && reduced_axis(op) == (int)split_axis(strategy))
    return "splits the axis the op reduces over";
  if ((strategy == STRAT_SOH || strategy == STRAT_HKSWITCH) && geom->operand_b_bytes > 0)
    return "a matmul of two activations needs its second operand whole; split over "
           "heads or output features instead";
  return NULL;
}

bool tiling_strategy_legal(const arch_t *arch, const ir_graph_t *g, int op,
                           tiling_strategy_t strategy, const char **why) {
  tiling_geom_t geom;
  tiling_geom_init(arch, g, op, &geom);
  const char *reason = NULL;
  if (strategy != STRAT_CLUSTERING && arch->tiles < 2)
    reason = "needs two or more clusters";
  else if (strategy != STRAT_CLUSTERING && geom.in_ddr)
    reason = geom.engine == COST_ENGINE_CPU ? "runs on the CPU"
                                            : "runs on the chip-wide SHAVE pool in DDR";
  else if ((strategy == STRAT_SOH || strategy == STRAT_HKSWITCH) && geom.out.h < arch->tiles)
    reason = "fewer output rows than clusters";
  else if ((strategy == STRAT_SOH || strategy == STRAT_HKSWITCH || strategy == STRAT_SOW) &&
           geom.kernel_h == geom.in.h && geom.in.h > 1 && geom.out.h == 1)
    reason = "needs the whole input in every cluster";
  else if (strategy == STRAT_SOW && !arch->has_sow && !w_is_batch(geom.op))
    reason = "arch has no split over width";
  else if (strategy == STRAT_SOW && geom.out.w < arch->tiles)
    reason = "fewer output columns than clusters";
  else if (strategy == STRAT_SOK && tiling_clusters_used(arch, &geom, STRAT_SOK) < 2)
    reason = "too few output channels to split";
  else
    reason = transformer_reason(&geom, strategy);
  if (why)
    *why = reason;
  return reason == NULL;
}

static cost_dpu_op_t dpu_op_of(const tiling_geom_t *geom) {
  switch (geom->op->kind) {
  case IR_OP_CONV: return ir_op_is_depthwise(geom->g, geom->op) ? COST_DPU_DWCONV : COST_DPU_CONV;
  case IR_OP_MAXPOOL: return COST_DPU_MAXPOOL;
  case IR_OP_AVGPOOL:
  case IR_OP_GLOBAL_AVGPOOL: return COST_DPU_AVGPOOL;
  case IR_OP_ADD:
  case IR_OP_SUB:
  case IR_OP_MUL: return COST_DPU_ELTWISE;
  case IR_OP_UPSAMPLE: return COST_DPU_DWCONV;
  default: return COST_DPU_CONV; /* conv-like: transpose conv, fully connected */
  }
}

/* The DPU workload of one DPU's share of a cluster part. */
static cost_workload_t part_workload(const arch_t *arch, const tiling_geom_t *geom,
                                     const tiling_part_t *part) {
  const ir_attrs_t *a = &geom->op->attrs;
  int32_t dpus = SCHED_MAX(arch->dpus_per_tile, 1);
  int32_t rows = (int32_t)SCHED_CEIL_DIV(part->out_rows, SCHED_MIN(dpus, part->out_rows));
  cost_workload_t wl = {
      .op = dpu_op_of(geom),
      .in_c = (int32_t)geom->in.c,
      .in_h = tiling_input_rows(geom, rows),
      .in_w = part->in_cols,
      .out_c = part->out_channels,
      .out_h = rows,
      .out_w = part->out_cols,
      .kernel_h = SCHED_MAX(a->kernel_h, 1),
      .kernel_w = SCHED_MAX(a->kernel_w, 1),
      .stride_h = SCHED_MAX(a->stride_h, 1),
      .stride_w = SCHED_MAX(a->stride_w, 1),
      .pad_top = part->first_row ? a->pad_top : 0,
      .pad_bottom = part->last_row ? a->pad_bottom : 0,
      .pad_left = part->first_col ? a->pad_left : 0,
      .pad_right = part->last_col ? a->pad_right : 0,
      .dtype = geom->g->tensors[geom->op->inputs[0]].dtype,
      .mode = ARCH_MPE_AUTO,
  };
  switch (geom->op->kind) {
  case IR_OP_CONV:
    if (wl.op == COST_DPU_DWCONV)
      wl.in_c = wl.out_c;
    else
      wl.in_c = (int32_t)(geom->in.c / SCHED_MAX(a->groups, 1));
    break;
  case IR_OP_TRANSPOSE_CONV:
  case IR_OP_UPSAMPLE: /* stride-1 conv over the zero-inserted input */
    if (geom->op->kind == IR_OP_UPSAMPLE) {
      wl.kernel_h = wl.kernel_w = 2 * SCHED_MAX(a->scale, 1);
      wl.in_c = wl.out_c;
    }
    wl.in_h = wl.out_h + wl.kernel_h - 1;
    wl.in_w = wl.out_w + wl.kernel_w - 1;
    wl.stride_h = wl.stride_w = 1;
    wl.pad_top = wl.pad_bottom = wl.pad_left = wl.pad_right = 0;
    break;
  case IR_OP_FULLY_CONNECTED:
    wl.in_c = (int32_t)(geom->in.c * geom->in.h * geom->in.w);
    wl.in_h = wl.in_w = wl.out_h = wl.out_w = 1;
    wl.kernel_h = wl.kernel_w = 1;
    break;
  case IR_OP_MATMUL: break; /* a 1x1 conv over the inner dim: in_c is K */
  case IR_OP_GLOBAL_AVGPOOL:
    wl.kernel_h = wl.in_h = (int32_t)geom->in.h;
    wl.kernel_w = wl.in_w = (int32_t)geom->in.w;
    wl.in_c = wl.out_c;
    break;
  default: wl.in_c = wl.out_c; break; /* pools and eltwise are channel-wise */
  }
  return wl;
}

static int64_t part_input_bytes(const tiling_geom_t *geom, const tiling_part_t *part) {
  return geom->n_inputs * geom->in.n * geom->in.c * (int64_t)part->in_rows * part->in_cols *
         geom->elem_bytes;
}

static int64_t part_output_bytes(const tiling_geom_t *geom, const tiling_part_t *part) {
  return geom->out.n * (int64_t)part->out_rows * part->out_cols * part->out_channels *
         geom->elem_bytes;
}

/* Cycles of one cluster part on its engine. */
static int part_cycles(const cost_model_t *model, const tiling_geom_t *geom,
                       const tiling_part_t *part, int32_t write_tiles, int64_t *cycles,
                       cost_dpu_estimate_t *est, sched_diag_t *diag) {
  *cycles = 0;
  if (part->out_rows <= 0 || part->out_channels <= 0 || part->out_cols <= 0)
    return SCHED_OK;
  const arch_t *arch = model->arch;
  switch (geom->engine) {
  case COST_ENGINE_DPU: {
    cost_workload_t wl = part_workload(arch, geom, part);
    wl.output_write_tiles = write_tiles;
    int rc = cost_dpu_workload(model, &wl, est, diag);
    if (rc != SCHED_OK)
      return sched_diag_set(diag, rc, "layer '%s': %s", geom->op->name, diag ? diag->msg : "");
    *cycles = est->cycles;
    return SCHED_OK;
  }
  case COST_ENGINE_SHAVE: { /* per-tile SHAVEs, or the whole chip's pool */
    int32_t tiles = geom->in_ddr ? 1 : SCHED_MAX(arch->tiles, 1);
    int32_t shaves = SCHED_MAX(arch->shaves / tiles, 1);
    int64_t bytes = SCHED_MAX(part_input_bytes(geom, part), part_output_bytes(geom, part));
    *cycles = cost_shave_cycles(model, geom->op->kind, SCHED_CEIL_DIV(bytes, shaves));
    return SCHED_OK;
  }
  case COST_ENGINE_DMA:
    *cycles = cost_dma_cycles(model, part_output_bytes(geom, part), COST_DMA_CMX_TO_CMX);
    return SCHED_OK;
  case COST_ENGINE_NONE: return SCHED_OK;
  case COST_ENGINE_CPU: {
    int64_t out_elems = part_output_bytes(geom, part) / SCHED_MAX(geom->elem_bytes, 1);
    int64_t all_elems = SCHED_MAX(ir_shape_elems(geom->out), 1);
    double macs = (double)ir_op_macs(geom->g, (int)(geom->op - geom->g->ops));
    *cycles = cost_cpu_cycles(model, out_elems, (int64_t)(macs * (double)out_elems / all_elems));
    return SCHED_OK;
  }
  }
  SCHED_UNREACHABLE();
}

/* Adds the compute and DMA of one slice to *out; `weight` scales it by how
 * many identical slices it stands for. */
static int add_slice(const cost_model_t *model, const tiling_geom_t *geom,
                     const tiling_choice_t *choice, int index, int64_t weight,
                     tiling_layer_cost_t *out, sched_diag_t *diag) {
  int32_t extent = tiling_slice_extent(geom, choice, index);
  bool first = index == 0, last = index == choice->tiles - 1;
  bool split_in = tiling_input_dist(choice->strategy) != DIST_DUPLICATED;
  int64_t slowest = 0, slowest_write = 0, in_bytes = 0, out_bytes = 0;
  /* SOK and HKSwitch outputs are broadcast: the DPU writes every tile's
   * copy as it computes (the reference compiler's output_write_tiles) */
  bool broadcast =
      (choice->strategy == STRAT_SOK || choice->strategy == STRAT_HKSWITCH) && out->clusters > 1;
  for (int32_t c = 0; c < out->clusters; c++) {
    tiling_part_t part = tiling_cluster_part(model->arch, geom, choice, extent, first, last, c);
    cost_dpu_estimate_t est = {0};
    int64_t cycles;
    int rc = part_cycles(model, geom, &part, broadcast ? out->clusters : 0, &cycles, &est, diag);
    if (rc != SCHED_OK)
      return rc;
    if (index == 0 && c == 0 && est.provider) {
      out->mode = est.mode;
      out->rest_mode = est.rest_mode;
      out->provider = est.provider;
    }
    if (cycles > slowest)
      slowest_write = est.output_write_cycles;
    slowest = SCHED_MAX(slowest, cycles);
    if (split_in || c == 0)
      in_bytes += part_input_bytes(geom, &part);
    if (choice->strategy == STRAT_SOK || choice->strategy == STRAT_SOW || c == 0)
      in_bytes += tiling_operand_b_bytes(geom, choice, &part);
    if (choice->strategy == STRAT_SOH || choice->strategy == STRAT_SOW ||
        choice->strategy == STRAT_SOK || c == 0)
      out_bytes += part_output_bytes(geom, &part);
    if (choice->strategy == STRAT_CLUSTERING)
      break; /* every cluster computes the same whole slice */
  }
  if (geom->op->kind == IR_OP_CONCAT)
    in_bytes = out_bytes;
  out->compute_cycles += weight * slowest;
  out->broadcast_cycles += weight * slowest_write;
  out->input_dma_bytes += weight * in_bytes;
  out->output_dma_bytes += weight * out_bytes;
  out->input_dma_cycles += weight * cost_dma_cycles(model, in_bytes, COST_DMA_DDR_TO_CMX);
  out->output_dma_cycles += weight * cost_dma_cycles(model, out_bytes, COST_DMA_CMX_TO_DDR);
  return SCHED_OK;
}

const char *tiling_mode_label(const tiling_layer_cost_t *cost, char *buf, size_t len) {
  if (cost->mode != ARCH_MPE_AUTO)
    return cost_mode_label(cost->mode, cost->rest_mode, buf, len);
  snprintf(buf, len, "-");
  return buf;
}

bool tiling_streams_ddr(const tiling_choice_t *choice, const tiling_layer_cost_t *cost) {
  return choice->tiles > 1 || cost->works_in_ddr;
}

int tiling_layer_cost(const cost_model_t *model, const ir_graph_t *g, int op,
                      const tiling_choice_t *choice, tiling_layer_cost_t *out, sched_diag_t *diag) {
  tiling_geom_t geom;
  tiling_geom_init(model->arch, g, op, &geom);
  *out = (tiling_layer_cost_t){
      .clusters = tiling_clusters_used(model->arch, &geom, choice->strategy),
      .engine = geom.engine,
      .works_in_ddr = geom.in_ddr,
      .mode = ARCH_MPE_AUTO,
      .rest_mode = ARCH_MPE_AUTO,
      .footprint = tiling_layer_footprint(model->arch, g, op, choice),
  };
  /* Slices differ only at the borders (padding, remainder): cost the first,
   * one middle slice standing for the rest, and the last. */
  int tiles = SCHED_MAX(choice->tiles, 1);
  int rc = add_slice(model, &geom, choice, 0, 1, out, diag);
  if (rc == SCHED_OK && tiles > 2)
    rc = add_slice(model, &geom, choice, 1, tiles - 2, out, diag);
  if (rc == SCHED_OK && tiles > 1)
    rc = add_slice(model, &geom, choice, tiles - 1, 1, out, diag);
  if (rc != SCHED_OK)
    return rc;
  out->weight_dma_bytes = geom.weight_bytes;
  int64_t weight_slices = choice->axis == TILING_AXIS_K ? tiles : 1;
  out->weight_dma_cycles =
      weight_slices *
      cost_dma_cycles(model, SCHED_CEIL_DIV(geom.weight_bytes, weight_slices), COST_DMA_DDR_TO_CMX);
  return SCHED_OK;
}

int64_t tiling_fit_budget_bytes(const arch_t *arch, bool pipelined) {
  double fit = pipelined ? arch->fit_pipelined : arch->fit_isolated;
  return (int64_t)(fit * (double)arch->cmx_workspace_bytes);
}

/* Largest sensible slice count along an axis. */
static int32_t max_tiles(const tiling_geom_t *geom, tiling_axis_t axis) {
  if (axis == TILING_AXIS_K)
    return (int32_t)SCHED_MAX(SCHED_CEIL_DIV(geom->out.c, 16), 1);
  if (geom->out.h <= 1 || geom->kernel_h == geom->in.h)
    return 1;
  return (int32_t)geom->out.h;
}

/* Weights dominate: slice over output channels first; else over H. */
static void axis_order(const arch_t *arch, const ir_graph_t *g, int op, tiling_axis_t order[2]) {
  tiling_geom_t geom;
  tiling_geom_init(arch, g, op, &geom);
  int64_t act = tiling_tensor_cluster_bytes(g, g->ops[op].output, DIST_DUPLICATED, 1) +
                tiling_tensor_cluster_bytes(g, g->ops[op].inputs[0], DIST_DUPLICATED, 1);
  bool weights_dominate = geom.weight_bytes > act || max_tiles(&geom, TILING_AXIS_H) == 1;
  bool k_ok = geom.engine == COST_ENGINE_DPU && geom.weight_bytes > 0;
  order[0] = weights_dominate && k_ok ? TILING_AXIS_K : TILING_AXIS_H;
  order[1] = order[0] == TILING_AXIS_K ? TILING_AXIS_H : (k_ok ? TILING_AXIS_K : TILING_AXIS_NONE);
}

/* The fewest slices whose footprint fits `budget`, over the layer's slicing
 * axes in order; *smallest gets the smallest footprint seen. */
static bool search_tiles(const arch_t *arch, const ir_graph_t *g, int op, tiling_choice_t *choice,
                         int64_t budget, int64_t *smallest) {
  tiling_geom_t geom;
  tiling_geom_init(arch, g, op, &geom);
  tiling_axis_t order[2];
  axis_order(arch, g, op, order);
  *smallest = tiling_layer_footprint(arch, g, op,
                                     &(tiling_choice_t){.strategy = choice->strategy, .tiles = 1})
                  .total_bytes;
  for (int i = 0; i < 2; i++) {
    if (order[i] == TILING_AXIS_NONE)
      continue;
    /* pipelining needs at least two slices to overlap */
    int32_t from = choice->pipelined ? 2 : 1, to = max_tiles(&geom, order[i]);
    for (int32_t t = from; t <= to; t++) {
      tiling_choice_t c = *choice;
      c.tiles = t;
      c.axis = t == 1 ? TILING_AXIS_NONE : order[i];
      int64_t bytes = tiling_layer_footprint(arch, g, op, &c).total_bytes;
      *smallest = SCHED_MIN(*smallest, bytes);
      if (bytes <= budget) {
        *choice = c;
        return true;
      }
    }
  }
  return false;
}

int64_t tiling_smallest_footprint(const arch_t *arch, const ir_graph_t *g, int op,
                                  tiling_strategy_t strategy) {
  tiling_choice_t c = {.strategy = strategy};
  int64_t smallest;
  search_tiles(arch, g, op, &c, -1, &smallest);
  return smallest;
}

int tiling_choose_tiles(const arch_t *arch, const ir_graph_t *g, int op, tiling_choice_t *choice,
                        sched_diag_t *diag) {
  tiling_geom_t geom;
  tiling_geom_init(arch, g, op, &geom);
  if (geom.in_ddr && choice->pipelined)
    return sched_diag_set(diag, SCHED_ERR_INFEASIBLE, "layer '%s' runs on %s: it is not sliced",
                          g->ops[op].name,
                          geom.engine == COST_ENGINE_CPU ? "the CPU" : "SHAVEs working in DDR");
  int64_t budget = tiling_fit_budget_bytes(arch, choice->pipelined), smallest;
  if (search_tiles(arch, g, op, choice, budget, &smallest))
    return SCHED_OK;
  return sched_diag_set(diag, SCHED_ERR_INFEASIBLE,
                        "layer '%s' does not fit CMX with %s: smallest %s footprint is %lld bytes "
                        "per cluster, budget %lld bytes (%.0f%% of %lld)",
                        g->ops[op].name, tiling_strategy_name(choice->strategy),
                        choice->pipelined ? "pipelined" : "isolated", (long long)smallest,
                        (long long)budget,
                        100.0 * (choice->pipelined ? arch->fit_pipelined : arch->fit_isolated),
                        (long long)arch->cmx_workspace_bytes);
}
