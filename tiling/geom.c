/* geom.c - where each cluster works: slices in time, parts per cluster.
 *
 * SOH gives each cluster ceil(rows / N) output rows, rounded up so that
 * rows x width is a multiple of the arch's SOH alignment (4 on vpu27, as
 * the reference compiler requires); the last cluster takes the remainder.
 * SOK gives each cluster a multiple of the channel alignment (16) and uses
 * fewer clusters when the channels run out. Input rows carry the halo of the
 * kernel: (out_rows - 1) * stride + kernel, clipped to the input. */
#include "tiling/tiling_internal.h"

static int32_t receptive(int32_t kernel, int32_t dilation) {
  return (kernel - 1) * SCHED_MAX(dilation, 1) + 1;
}

void tiling_geom_init(const arch_t *arch, const ir_graph_t *g, int op, tiling_geom_t *geom) {
  const ir_op_t *o = &g->ops[op];
  *geom =
      (tiling_geom_t){.g = g, .op = o, .kernel_h = 1, .kernel_w = 1, .stride_h = 1, .stride_w = 1};
  geom->in = g->tensors[o->inputs[0]].shape;
  geom->out = g->tensors[o->output].shape;
  geom->elem_bytes = ir_dtype_bytes(g->tensors[o->output].dtype);
  geom->n_inputs = o->kind == IR_OP_CONCAT ? 1 : o->n_inputs;
  if (o->kind == IR_OP_CONCAT) /* inputs land in place inside the output */
    geom->in = geom->out;
  geom->engine = cost_op_engine(arch, g, o);
  geom->in_ddr = geom->engine == COST_ENGINE_CPU ||
                 (geom->engine == COST_ENGINE_SHAVE && arch->shave_works_in_ddr);
  const ir_attrs_t *a = &o->attrs;
  switch (o->kind) {
  case IR_OP_CONV:
  case IR_OP_MAXPOOL:
  case IR_OP_AVGPOOL:
    geom->kernel_h = receptive(a->kernel_h, a->dilation_h);
    geom->kernel_w = receptive(a->kernel_w, a->dilation_w);
    geom->stride_h = a->stride_h;
    geom->stride_w = a->stride_w;
    break;
  case IR_OP_TRANSPOSE_CONV: /* rows of the zero-inserted input */
    geom->kernel_h = a->kernel_h;
    geom->kernel_w = a->kernel_w;
    break;
  case IR_OP_GLOBAL_AVGPOOL:
  case IR_OP_FULLY_CONNECTED: /* needs the whole input for any output */
    geom->kernel_h = (int32_t)geom->in.h;
    geom->kernel_w = (int32_t)geom->in.w;
    break;
  default: break;
  }
  if (o->kind == IR_OP_MATMUL && o->n_inputs == 2) {
    geom->n_inputs = 1;
    geom->operand_b_bytes = ir_tensor_bytes(g, o->inputs[1]);
  }
  int64_t out_channels = geom->out.c;
  int64_t weights = ir_op_weight_bytes(g, op);
  /* A gather's "weights" are the table rows it copies: no weight table. */
  int64_t table =
      o->kind == IR_OP_GATHER ? 0 : out_channels * TILING_WEIGHT_TABLE_BYTES_PER_CHANNEL;
  geom->weight_bytes = weights ? weights + table : 0;
}

int64_t tiling_operand_b_bytes(const tiling_geom_t *geom, const tiling_choice_t *choice,
                               const tiling_part_t *part) {
  if (geom->operand_b_bytes == 0 || geom->out.c <= 0 || geom->out.w <= 0)
    return 0;
  int64_t bytes = geom->operand_b_bytes;
  if (choice->strategy == STRAT_SOK || choice->axis == TILING_AXIS_K)
    bytes = SCHED_CEIL_DIV(bytes * part->out_channels, geom->out.c);
  if (choice->strategy == STRAT_SOW)
    bytes = SCHED_CEIL_DIV(bytes * part->out_cols, geom->out.w);
  return bytes;
}

int32_t tiling_input_rows(const tiling_geom_t *geom, int32_t out_rows) {
  if (out_rows <= 0)
    return 0;
  int64_t rows;
  if (geom->op->kind == IR_OP_TRANSPOSE_CONV || geom->op->kind == IR_OP_UPSAMPLE ||
      geom->op->kind == IR_OP_DEPTH_TO_SPACE) {
    rows = SCHED_CEIL_DIV((int64_t)out_rows * geom->in.h, geom->out.h) + 1;
  } else {
    rows = (int64_t)(out_rows - 1) * geom->stride_h + geom->kernel_h;
  }
  return (int32_t)SCHED_MIN(rows, geom->in.h);
}

static int32_t input_cols(const tiling_geom_t *geom, int32_t out_cols) {
  int64_t cols = (int64_t)(out_cols - 1) * geom->stride_w + geom->kernel_w;
  return (int32_t)SCHED_MIN(cols, geom->in.w);
}

static int32_t sok_channels_per_cluster(const arch_t *arch, int64_t channels) {
  int64_t per = SCHED_CEIL_DIV(channels, arch->tiles);
  return (int32_t)SCHED_ALIGN_UP(per, arch->channel_align);
}

int32_t tiling_clusters_used(const arch_t *arch, const tiling_geom_t *geom, tiling_strategy_t s) {
  switch (s) {
  case STRAT_SOK: {
    int32_t per = sok_channels_per_cluster(arch, geom->out.c);
    return (int32_t)SCHED_CEIL_DIV(geom->out.c, per);
  }
  case STRAT_SOH:
  case STRAT_HKSWITCH: return (int32_t)SCHED_MIN(arch->tiles, geom->out.h);
  case STRAT_SOW: return (int32_t)SCHED_MIN(arch->tiles, geom->out.w);
  case STRAT_CLUSTERING: return arch->tiles;
  case STRAT_COUNT: break;
  }
  SCHED_UNREACHABLE();
}

int32_t tiling_slice_extent(const tiling_geom_t *geom, const tiling_choice_t *choice, int index) {
  int64_t total = choice->axis == TILING_AXIS_K ? geom->out.c : geom->out.h;
  if (choice->axis == TILING_AXIS_NONE || choice->tiles <= 1)
    return (int32_t)total;
  int64_t per = SCHED_CEIL_DIV(total, choice->tiles);
  if (choice->axis == TILING_AXIS_K)
    per = SCHED_ALIGN_UP(per, 16);
  int64_t rest = total - per * index;
  return (int32_t)SCHED_MAX(SCHED_MIN(per, rest), 0);
}

/* Splits `extent` into ceil(extent / n) pieces rounded up to `align_of`
 * units of `unit`; returns piece `index` (0 when nothing is left). */
static int32_t split_piece(int32_t extent, int32_t n, int32_t unit, int32_t align, int index,
                           int32_t *start) {
  int32_t per = (int32_t)SCHED_CEIL_DIV(extent, n);
  while (align > 1 && ((int64_t)per * unit) % align != 0 && per < extent)
    per++;
  *start = per * index;
  return SCHED_MAX(SCHED_MIN(per, extent - *start), 0);
}

tiling_part_t tiling_cluster_part(const arch_t *arch, const tiling_geom_t *geom,
                                  const tiling_choice_t *choice, int32_t slice_extent,
                                  bool first_slice, bool last_slice, int32_t cluster) {
  bool k_axis = choice->axis == TILING_AXIS_K;
  tiling_part_t p = {
      .out_rows = k_axis ? (int32_t)geom->out.h : slice_extent,
      .out_cols = (int32_t)geom->out.w,
      .out_channels = k_axis ? slice_extent : (int32_t)geom->out.c,
      .first_row = first_slice || k_axis,
      .last_row = last_slice || k_axis,
      .first_col = true,
      .last_col = true,
  };
  int32_t n = tiling_clusters_used(arch, geom, choice->strategy), start = 0;
  switch (choice->strategy) {
  case STRAT_SOH:
  case STRAT_HKSWITCH:
    p.out_rows = split_piece(p.out_rows, n, p.out_cols, arch->soh_hw_align, cluster, &start);
    p.first_row = p.first_row && cluster == 0;
    p.last_row = p.last_row && cluster == n - 1;
    break;
  case STRAT_SOW:
    p.out_cols = split_piece(p.out_cols, n, 1, 1, cluster, &start);
    p.first_col = cluster == 0;
    p.last_col = cluster == n - 1;
    break;
  case STRAT_SOK: {
    int32_t per = sok_channels_per_cluster(arch, p.out_channels);
    p.out_channels = SCHED_MAX(SCHED_MIN(per, p.out_channels - per * cluster), 0);
    break;
  }
  case STRAT_CLUSTERING:
  case STRAT_COUNT: break;
  }
  p.in_rows = tiling_input_rows(geom, p.out_rows);
  p.in_cols = p.out_cols > 0 ? input_cols(geom, p.out_cols) : 0;
  if (geom->op->kind == IR_OP_TRANSPOSE_CONV || geom->op->kind == IR_OP_UPSAMPLE ||
      geom->op->kind == IR_OP_DEPTH_TO_SPACE)
    p.in_cols = (int32_t)geom->in.w;
  return p;
}
