/* region.c - streaming a chain of layers as one region (vertical fusion).
 *
 * The region is cut into slices over the output rows of its last layer;
 * walking back through the chain, each layer computes the rows the next one
 * needs, so the halo grows with depth. Intermediate slices stay in CMX: only
 * the region's input and output cross DDR. Each member's compute is its
 * sliced compute scaled by how many more rows it computes than its output
 * has (the halo recompute that streaming pays). Pipelined: the next slice's
 * input DMA overlaps the current slice's compute, so the input and output
 * slice buffers are double-buffered. Source: DESIGN.md "Tiling, prefetch,
 * streaming"; the cost split mirrors how Vela's cascading and Stream's
 * layer fusion account halo recompute. */
#include "tiling/tiling_internal.h"

bool tiling_op_streamable(const arch_t *arch, const ir_graph_t *g, int op) {
  tiling_geom_t geom;
  tiling_geom_init(arch, g, op, &geom);
  bool engine_ok = geom.engine == COST_ENGINE_DPU || geom.engine == COST_ENGINE_SHAVE;
  const ir_op_t *o = &g->ops[op];
  bool shape_ok = o->kind != IR_OP_FULLY_CONNECTED && o->kind != IR_OP_GLOBAL_AVGPOOL &&
                  o->kind != IR_OP_TRANSPOSE_CONV && o->kind != IR_OP_SOFTMAX &&
                  o->kind != IR_OP_UPSAMPLE && o->kind != IR_OP_DEPTH_TO_SPACE &&
                  o->kind != IR_OP_SLICE &&
                  !(o->kind >= IR_OP_MATMUL && o->attrs.axis == IR_AXIS_H);
  return engine_ok && shape_ok && o->n_inputs == 1 && geom.out.h > 1 && geom.in.h > 1;
}

/* Output rows per slice of each member, last member first: rows[i]. */
static void region_rows(const arch_t *arch, const ir_graph_t *g, const tiling_region_t *r,
                        int32_t *rows) {
  int last = r->first + r->n_ops - 1;
  int64_t h = g->tensors[g->ops[last].output].shape.h;
  rows[r->n_ops - 1] = (int32_t)SCHED_CEIL_DIV(h, r->tiles);
  for (int i = r->n_ops - 2; i >= 0; i--) {
    tiling_geom_t next;
    tiling_geom_init(arch, g, r->first + i + 1, &next);
    rows[i] = tiling_input_rows(&next, rows[i + 1]);
  }
}

static int64_t row_bytes(const ir_graph_t *g, int tensor) {
  ir_shape_t s = g->tensors[tensor].shape;
  return s.n * s.c * s.w * ir_dtype_bytes(g->tensors[tensor].dtype);
}

/* One slice buffer of `rows` rows of tensor (of height h, cut in `tiles`
 * slices), one cluster's share: the halo is what it holds beyond its share
 * of the rows the slice advances (rows the neighbouring slice reads too). */
static tiling_region_part_t slice_part(const ir_graph_t *g, int tensor, int64_t rows, int32_t tiles,
                                       int32_t clusters) {
  int64_t h = g->tensors[tensor].shape.h;
  int64_t bytes = SCHED_CEIL_DIV(rows, clusters) * row_bytes(g, tensor);
  int64_t fresh = SCHED_CEIL_DIV(SCHED_CEIL_DIV(h, tiles), clusters) * row_bytes(g, tensor);
  return (tiling_region_part_t){
      .copies = 1, .slice_bytes = bytes, .halo_bytes = SCHED_MAX(bytes - fresh, 0)};
}

int tiling_region_parts(const arch_t *arch, const ir_graph_t *g, const tiling_region_t *r,
                        tiling_region_part_t parts[TILING_REGION_PARTS]) {
  int32_t rows[TILING_REGION_MAX];
  region_rows(arch, g, r, rows);
  int32_t clusters = r->strategy == STRAT_SOH ? arch->tiles : 1;
  int n = 0;
  for (int i = 0; i < r->n_ops; i++) {
    tiling_geom_t geom;
    tiling_geom_init(arch, g, r->first + i, &geom);
    parts[n++] = (tiling_region_part_t){.kind = TILING_PART_WEIGHTS,
                                        .op = r->first + i,
                                        .copies = 1,
                                        .slice_bytes = geom.weight_bytes};
  }
  tiling_geom_t first;
  tiling_geom_init(arch, g, r->first, &first);
  parts[n] = slice_part(g, g->ops[r->first].inputs[0], tiling_input_rows(&first, rows[0]), r->tiles,
                        clusters);
  parts[n].kind = TILING_PART_INPUT; /* the next slice loads while this one computes */
  parts[n].op = r->first;
  parts[n++].copies = 2;
  for (int i = 0; i < r->n_ops; i++) {
    int op = r->first + i;
    bool last = i == r->n_ops - 1;
    parts[n] = slice_part(g, g->ops[op].output, rows[i], r->tiles, clusters);
    parts[n].kind = last ? TILING_PART_OUTPUT : TILING_PART_INTERMEDIATE;
    parts[n].op = op;
    parts[n++].copies = last ? 2 : 1; /* the last slice drains while the next computes */
  }
  return n;
}

int64_t tiling_region_footprint(const arch_t *arch, const ir_graph_t *g, const tiling_region_t *r) {
  tiling_region_part_t parts[TILING_REGION_PARTS];
  int n = tiling_region_parts(arch, g, r, parts);
  int64_t bytes = 0;
  for (int i = 0; i < n; i++)
    bytes += parts[i].copies * parts[i].slice_bytes;
  return bytes;
}

int tiling_region_choose_tiles(const arch_t *arch, const ir_graph_t *g, tiling_region_t *r) {
  int last = r->first + r->n_ops - 1;
  int32_t max_tiles = (int32_t)g->tensors[g->ops[last].output].shape.h;
  int64_t budget = tiling_fit_budget_bytes(arch, true);
  for (r->tiles = 2; r->tiles <= max_tiles; r->tiles++)
    if (tiling_region_footprint(arch, g, r) <= budget)
      return SCHED_OK;
  return SCHED_ERR_INFEASIBLE;
}

int tiling_region_cost(const cost_model_t *model, const ir_graph_t *g, const tiling_region_t *r,
                       tiling_layer_cost_t *costs, sched_diag_t *diag) {
  int32_t rows[TILING_REGION_MAX];
  region_rows(model->arch, g, r, rows);
  int64_t footprint = tiling_region_footprint(model->arch, g, r);
  for (int i = 0; i < r->n_ops; i++) {
    int op = r->first + i;
    tiling_choice_t c = {
        .strategy = r->strategy, .axis = TILING_AXIS_H, .tiles = r->tiles, .pipelined = true};
    int rc = tiling_layer_cost(model, g, op, &c, &costs[i], diag);
    if (rc != SCHED_OK)
      return rc;
    int64_t out_h = g->tensors[g->ops[op].output].shape.h;
    int64_t computed_rows = SCHED_MIN((int64_t)rows[i] * r->tiles, out_h * r->tiles);
    costs[i].compute_cycles = costs[i].compute_cycles * computed_rows / SCHED_MAX(out_h, 1);
    if (i > 0)
      costs[i].input_dma_cycles = costs[i].input_dma_bytes = 0;
    if (i < r->n_ops - 1)
      costs[i].output_dma_cycles = costs[i].output_dma_bytes = 0;
    costs[i].footprint = (tiling_footprint_t){.total_bytes = footprint};
  }
  return SCHED_OK;
}
