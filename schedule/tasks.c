/* tasks.c - a plan lowered to a task graph.
 *
 * Requires an evaluated, verified plan. Produces a finished task graph: the
 * DMA / DPU / SHAVE tasks of every layer and their dependencies, held as an
 * igraph DAG (igraph_is_dag, igraph_topological_sorting) with CSR lists.
 *
 * The lowering follows how NPU compilers expand a tiled, multi-clustered
 * layer (openvinotoolkit/npu_compiler, VPUIP unrolling of NCE cluster tiling:
 * one DPU task per cluster per tile, DMAs per tile, weights per K tile): a
 * slice's input DMA precedes its cluster tasks, which precede its output
 * DMA. Slice buffers give the pipelining: isolated slices have one buffer
 * (slice s + 1 loads after slice s computed), pipelined ones two (s + 2
 * after s). The plan model's order is made of dependencies too (see
 * order_deps): prefetch windows, inputs after the layer before, and one
 * layer's compute at a time.
 *
 * igraph 0.10 has no longest path on a DAG (Bellman-Ford with negated
 * weights is O(VE)); the critical path is the usual dynamic programme over
 * igraph's topological order. */
#include "schedule/schedule_internal.h"

#include <stdlib.h>
#include <string.h>

schedule_params_t schedule_params_default(void) {
  return (schedule_params_t){.max_serial_rounds = 2000, .max_serial_work = INT64_C(1) << 24};
}

void schedule_graph_init(schedule_graph_t *g, int n_layers, const char *const *layer_names) {
  *g = (schedule_graph_t){.n_layers = n_layers};
  g->layer_names = sched_xcalloc((size_t)SCHED_MAX(n_layers, 1), sizeof *g->layer_names);
  for (int l = 0; l < n_layers; l++) {
    char buf[32];
    snprintf(buf, sizeof buf, "L%d", l);
    g->layer_names[l] = sched_xstrdup(layer_names && layer_names[l] ? layer_names[l] : buf);
  }
}

void schedule_graph_free(schedule_graph_t *g) {
  for (int l = 0; g->layer_names && l < g->n_layers; l++)
    free(g->layer_names[l]);
  free(g->layer_names);
  free(g->tasks);
  free(g->edge_src);
  free(g->edge_dst);
  if (g->has_dag)
    igraph_destroy(&g->dag);
  free(g->pred_start);
  free(g->pred);
  free(g->succ_start);
  free(g->succ);
  free(g->topo_order);
  free(g->critical_path);
  *g = (schedule_graph_t){0};
}

int schedule_graph_add_task(schedule_graph_t *g, const schedule_task_t *task) {
  sched_grow((void **)&g->tasks, &g->cap_tasks, g->n_tasks + 1, sizeof *g->tasks);
  g->tasks[g->n_tasks] = *task;
  return g->n_tasks++;
}

void schedule_graph_add_dep(schedule_graph_t *g, int from, int to) {
  int cap = g->cap_edges;
  sched_grow((void **)&g->edge_src, &cap, g->n_edges + 1, sizeof *g->edge_src);
  sched_grow((void **)&g->edge_dst, &g->cap_edges, g->n_edges + 1, sizeof *g->edge_dst);
  g->edge_src[g->n_edges] = from;
  g->edge_dst[g->n_edges++] = to;
}

static int cmp_edge(const void *a, const void *b) {
  const int *x = a, *y = b;
  return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Sorts and deduplicates the edges into pairs[2 * n]; returns n. */
static int unique_edges(const schedule_graph_t *g, int *pairs) {
  for (int e = 0; e < g->n_edges; e++) {
    pairs[2 * e] = g->edge_src[e];
    pairs[2 * e + 1] = g->edge_dst[e];
  }
  qsort(pairs, (size_t)g->n_edges, 2 * sizeof *pairs, cmp_edge);
  int n = 0;
  for (int e = 0; e < g->n_edges; e++)
    if (n == 0 || cmp_edge(&pairs[2 * e], &pairs[2 * (n - 1)]) != 0) {
      pairs[2 * n] = pairs[2 * e];
      pairs[2 * n + 1] = pairs[2 * e + 1];
      n++;
    }
  return n;
}

/* CSR lists from the unique edges (sorted by source, then destination). */
static void build_csr(schedule_graph_t *g, const int *pairs, int n) {
  int nt = g->n_tasks;
  g->pred_start = sched_xcalloc((size_t)nt + 1, sizeof(int));
  g->succ_start = sched_xcalloc((size_t)nt + 1, sizeof(int));
  g->pred = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof(int));
  g->succ = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof(int));
  for (int e = 0; e < n; e++) {
    g->succ_start[pairs[2 * e] + 1]++;
    g->pred_start[pairs[2 * e + 1] + 1]++;
  }
  for (int t = 0; t < nt; t++) {
    g->succ_start[t + 1] += g->succ_start[t];
    g->pred_start[t + 1] += g->pred_start[t];
  }
  int *fill = sched_xcalloc((size_t)nt + 1, sizeof(int));
  for (int e = 0; e < n; e++) /* sources ascending: each pred list ends up sorted */
    g->succ[g->succ_start[pairs[2 * e]] + fill[pairs[2 * e]]++] = pairs[2 * e + 1];
  memset(fill, 0, ((size_t)nt + 1) * sizeof(int));
  for (int e = 0; e < n; e++)
    g->pred[g->pred_start[pairs[2 * e + 1]] + fill[pairs[2 * e + 1]]++] = pairs[2 * e];
  free(fill);
}

/* One conversion of igraph failures into our status codes. */
static int status_of(igraph_error_t rc, sched_diag_t *diag) {
  if (rc == IGRAPH_SUCCESS)
    return SCHED_OK;
  int status = rc == IGRAPH_ENOMEM ? SCHED_ERR_NOMEM : SCHED_ERR_INTERNAL;
  return sched_diag_set(diag, status, "igraph: %s", igraph_strerror(rc));
}

static igraph_error_t dag_build(schedule_graph_t *g, const int *pairs, int n, bool *acyclic) {
  igraph_vector_int_t edges, order;
  IGRAPH_CHECK(igraph_vector_int_init(&edges, 2 * (igraph_integer_t)n));
  for (int i = 0; i < 2 * n; i++)
    VECTOR(edges)[i] = pairs[i];
  igraph_error_t rc = igraph_create(&g->dag, &edges, g->n_tasks, IGRAPH_DIRECTED);
  igraph_vector_int_destroy(&edges);
  IGRAPH_CHECK(rc);
  g->has_dag = true;
  igraph_bool_t is_dag = false;
  IGRAPH_CHECK(igraph_is_dag(&g->dag, &is_dag));
  *acyclic = is_dag;
  if (!is_dag)
    return IGRAPH_SUCCESS;
  IGRAPH_CHECK(igraph_vector_int_init(&order, 0));
  rc = igraph_topological_sorting(&g->dag, &order, IGRAPH_OUT);
  g->topo_order = sched_xmalloc((size_t)SCHED_MAX(g->n_tasks, 1) * sizeof(int));
  for (int i = 0; rc == IGRAPH_SUCCESS && i < g->n_tasks; i++)
    g->topo_order[i] = (int)VECTOR(order)[i];
  igraph_vector_int_destroy(&order);
  return rc;
}

/* Longest path of task cycles, over the topological order. */
static void critical_path_find(schedule_graph_t *g) {
  int nt = g->n_tasks;
  int64_t *finish = sched_xcalloc((size_t)SCHED_MAX(nt, 1), sizeof *finish);
  int *via = sched_xmalloc((size_t)SCHED_MAX(nt, 1) * sizeof *via);
  int last = -1;
  for (int k = 0; k < nt; k++) {
    int t = g->topo_order[k];
    via[t] = -1;
    for (int i = g->pred_start[t]; i < g->pred_start[t + 1]; i++)
      if (via[t] < 0 || finish[g->pred[i]] > finish[via[t]])
        via[t] = g->pred[i];
    finish[t] = (via[t] < 0 ? 0 : finish[via[t]]) + g->tasks[t].cycles;
    if (last < 0 || finish[t] > finish[last])
      last = t;
  }
  g->critical_path_cycles = last < 0 ? 0 : finish[last];
  g->n_critical_path = 0;
  for (int t = last; t >= 0; t = via[t])
    g->n_critical_path++;
  g->critical_path = sched_xmalloc((size_t)SCHED_MAX(g->n_critical_path, 1) * sizeof(int));
  int k = g->n_critical_path;
  for (int t = last; t >= 0; t = via[t])
    g->critical_path[--k] = t;
  free(finish);
  free(via);
}

int schedule_graph_finish(schedule_graph_t *g, sched_diag_t *diag) {
  for (int e = 0; e < g->n_edges; e++)
    if (g->edge_src[e] < 0 || g->edge_src[e] >= g->n_tasks || g->edge_dst[e] < 0 ||
        g->edge_dst[e] >= g->n_tasks || g->edge_src[e] == g->edge_dst[e])
      return sched_diag_set(diag, SCHED_ERR_INTERNAL, "dependency %d -> %d: bad task id",
                            g->edge_src[e], g->edge_dst[e]);
  int *pairs = sched_xmalloc((size_t)SCHED_MAX(2 * g->n_edges, 1) * sizeof *pairs);
  int n = unique_edges(g, pairs);
  bool acyclic = false;
  igraph_error_handler_t *old = igraph_set_error_handler(igraph_error_handler_ignore);
  igraph_error_t rc = dag_build(g, pairs, n, &acyclic);
  igraph_set_error_handler(old);
  int status = status_of(rc, diag);
  if (status == SCHED_OK && !acyclic)
    status = sched_diag_set(diag, SCHED_ERR_INTERNAL, "task graph has a cycle");
  if (status == SCHED_OK) {
    build_csr(g, pairs, n);
    critical_path_find(g);
  }
  free(pairs);
  return status;
}

const char *schedule_task_kind_name(schedule_task_kind_t kind) {
  static const char *const names[] = {"DMA", "DPU", "SHAVE", "CPU"};
  return names[kind];
}

const char *schedule_task_role_name(schedule_task_role_t role) {
  static const char *const names[] = {"weights", "input", "output", "broadcast", "compute"};
  return role < SCHEDULE_ROLE_COUNT ? names[role] : "?";
}

const char *schedule_task_name(const schedule_graph_t *g, int task, char *buf, size_t len) {
  const schedule_task_t *t = &g->tasks[task];
  const char *layer = g->layer_names[t->layer];
  switch (t->role) {
  case SCHEDULE_ROLE_WEIGHTS: snprintf(buf, len, "%s w s%d", layer, t->slice); break;
  case SCHEDULE_ROLE_INPUT: snprintf(buf, len, "%s in s%d", layer, t->slice); break;
  case SCHEDULE_ROLE_OUTPUT: snprintf(buf, len, "%s out s%d", layer, t->slice); break;
  case SCHEDULE_ROLE_BROADCAST: snprintf(buf, len, "%s bcast s%d", layer, t->slice); break;
  default:
    if (t->cluster >= 0)
      snprintf(buf, len, "%s %s s%d c%d", layer, t->kind == SCHEDULE_TASK_DPU ? "dpu" : "shave",
               t->slice, t->cluster);
    else
      snprintf(buf, len, "%s %s s%d", layer, t->kind == SCHEDULE_TASK_CPU ? "cpu" : "dma",
               t->slice);
  }
  return buf;
}

/* ---- lowering a plan ---- */

/* What a lowered layer exposes to its neighbours and to prefetch. */
typedef struct {
  schedule_ids_t ready;   /* tasks after which its output is in CMX (kept values) */
  schedule_ids_t in_ddr;  /* output DMAs: after these its output is in DDR */
  schedule_ids_t compute; /* its compute tasks (prefetch gate of later layers) */
  schedule_ids_t loads;   /* its first weight DMA (gated by its prefetch window) */
  schedule_ids_t inputs;  /* its input DMAs (gated by the layer before's compute) */
} layer_tasks_t;

typedef struct {
  const strat_problem_t *p;
  const strat_plan_t *plan;
  const schedule_params_t *params;
  schedule_graph_t *g;
  layer_tasks_t *lt;
} lower_t;

static void deps_all(schedule_graph_t *g, const schedule_ids_t *from, int to) {
  for (int i = 0; i < from->n; i++)
    schedule_graph_add_dep(g, from->ids[i], to);
}

static int64_t share(int64_t total, int parts, int index) {
  int64_t base = total / parts;
  return index == parts - 1 ? total - base * (parts - 1) : base;
}

static int add_dma(lower_t *lw, int layer, int slice, schedule_task_role_t role, int64_t bytes,
                   cost_dma_path_t path, bool spill) {
  schedule_task_t t = {.kind = SCHEDULE_TASK_DMA,
                       .role = role,
                       .layer = layer,
                       .slice = slice,
                       .cluster = -1,
                       .cycles = cost_dma_cycles(lw->p->model, bytes, path),
                       .bytes = bytes,
                       .ddr = path != COST_DMA_CMX_TO_CMX,
                       .spill = spill};
  return schedule_graph_add_task(lw->g, &t);
}

static const strat_candidate_t *cand_of(const lower_t *lw, int layer) {
  return &lw->p->layers[layer].cands[lw->plan->cand[layer]];
}

/* `to` waits for a producer's output in DDR. A computing layer's output
 * DMAs form chains through its slice buffers (out s precedes compute s + 1
 * or s + 2, which precedes out s + 1 or s + 2), and so do a free op's with
 * input DMAs (out s precedes in s + 1 or s + 2), so its last two imply all. */
static void deps_on_output(lower_t *lw, int producer, int to) {
  const schedule_ids_t *outs = &lw->lt[producer].in_ddr;
  bool chained = lw->lt[producer].compute.n > 0 || lw->lt[producer].inputs.n > 0;
  int first = chained ? SCHED_MAX(outs->n - 2, 0) : 0;
  for (int i = first; i < outs->n; i++)
    schedule_graph_add_dep(lw->g, outs->ids[i], to);
}

/* Input DMAs of one slice; each waits for its producer's output in DDR. */
static void lower_inputs(lower_t *lw, int layer, int slice, schedule_ids_t *slice_tasks) {
  const strat_candidate_t *c = cand_of(lw, layer);
  const ir_op_t *op = &lw->p->g->ops[lw->p->layers[layer].op];
  int tiles = c->choice.tiles, n_in = SCHED_MAX(op->n_inputs, 1);
  for (int i = 0; i < op->n_inputs; i++) {
    int producer = lw->p->g->tensors[op->inputs[i]].producer;
    if (tiles == 1 && producer >= 0 && !lw->plan->spilled[producer])
      continue;
    int64_t bytes = share(c->cost.input_dma_bytes / n_in, tiles, slice);
    int id = add_dma(lw, layer, slice, SCHEDULE_ROLE_INPUT, bytes, COST_DMA_DDR_TO_CMX,
                     producer >= 0 && !lw->p->values[producer].graph_output);
    if (producer >= 0)
      deps_on_output(lw, producer, id);
    schedule_ids_push(&lw->lt[layer].inputs, id);
    schedule_ids_push(slice_tasks, id);
  }
}

/* The engine tasks of one slice (none for free ops). */
static void lower_compute(lower_t *lw, int layer, int slice, schedule_ids_t *out) {
  const strat_candidate_t *c = cand_of(lw, layer);
  int tiles = c->choice.tiles;
  int64_t cycles = share(c->cost.compute_cycles, tiles, slice);
  if (c->cost.engine == COST_ENGINE_NONE)
    return;
  if (c->cost.engine == COST_ENGINE_DMA || c->cost.engine == COST_ENGINE_CPU) {
    schedule_task_t t = {.kind = c->cost.engine == COST_ENGINE_CPU ? SCHEDULE_TASK_CPU
                                                                   : SCHEDULE_TASK_DMA,
                         .role = SCHEDULE_ROLE_COMPUTE,
                         .layer = layer,
                         .slice = slice,
                         .cluster = -1,
                         .cycles = cycles};
    schedule_ids_push(out, schedule_graph_add_task(lw->g, &t));
    return;
  }
  const arch_t *arch = lw->p->model->arch;
  /* a SHAVE layer's cost is per SHAVE with all of a cluster's SHAVEs at work */
  int per_cluster = c->cost.engine == COST_ENGINE_SHAVE
                        ? SCHED_MAX(arch->shaves / SCHED_MAX(arch->tiles, 1), 1)
                        : 1;
  for (int k = 0; k < c->cost.clusters * per_cluster; k++) {
    schedule_task_t t = {.kind = c->cost.engine == COST_ENGINE_SHAVE ? SCHEDULE_TASK_SHAVE
                                                                     : SCHEDULE_TASK_DPU,
                         .role = SCHEDULE_ROLE_COMPUTE,
                         .layer = layer,
                         .slice = slice,
                         .cluster = k / per_cluster,
                         .cycles = cycles};
    schedule_ids_push(out, schedule_graph_add_task(lw->g, &t));
  }
}

/* Inputs kept in CMX: the producer's ready tasks precede this slice. */
static void kept_input_deps(lower_t *lw, int layer, const schedule_ids_t *targets) {
  const ir_op_t *op = &lw->p->g->ops[lw->p->layers[layer].op];
  for (int i = 0; i < op->n_inputs; i++) {
    int producer = lw->p->g->tensors[op->inputs[i]].producer;
    if (producer < 0 || lw->plan->spilled[producer])
      continue;
    for (int k = 0; k < targets->n; k++)
      deps_all(lw->g, &lw->lt[producer].ready, targets->ids[k]);
    if (targets->n == 0) /* free op: its output is ready when its inputs are */
      for (int k = 0; k < lw->lt[producer].ready.n; k++)
        schedule_ids_push(&lw->lt[layer].ready, lw->lt[producer].ready.ids[k]);
  }
}

typedef struct {
  schedule_ids_t in, work, out; /* this slice's input DMAs, compute, output / broadcast */
} slice_tasks_t;

static void slice_tasks_free(slice_tasks_t *s) {
  free(s->in.ids);
  free(s->work.ids);
  free(s->out.ids);
}

/* Buffer reuse between slices: slice s waits for slice s - depth. A free
 * op's slice buffer is its input and its output: it is free once the
 * output DMA has read it (else the loads run ahead of the stores with
 * every slice's buffer live at once). */
static void slice_buffer_deps(lower_t *lw, const slice_tasks_t *prev, const slice_tasks_t *cur) {
  const schedule_ids_t *freed = prev->work.n ? &prev->work : prev->out.n ? &prev->out : &prev->in;
  for (int i = 0; i < cur->in.n; i++)
    deps_all(lw->g, freed, cur->in.ids[i]);
  for (int i = 0; i < cur->work.n; i++)
    deps_all(lw->g, &prev->out, cur->work.ids[i]);
}

/* Outputs of one slice: output DMA when spilled, broadcast when kept and
 * multicast; the slice's producers of data are `from`, of which `own` are
 * the slice's own tasks (the rest, a free op's kept inputs, are ready
 * already). */
static void lower_outputs(lower_t *lw, int layer, int slice, const schedule_ids_t *from,
                          const schedule_ids_t *own, schedule_ids_t *out) {
  const strat_candidate_t *c = cand_of(lw, layer);
  layer_tasks_t *lt = &lw->lt[layer];
  int tiles = c->choice.tiles;
  int64_t bytes = share(c->cost.output_dma_bytes, tiles, slice);
  if (lw->plan->spilled[layer]) {
    int id = add_dma(lw, layer, slice, SCHEDULE_ROLE_OUTPUT, bytes, COST_DMA_CMX_TO_DDR,
                     !lw->p->values[layer].graph_output);
    deps_all(lw->g, from, id);
    schedule_ids_push(&lt->in_ddr, id);
    schedule_ids_push(out, id);
  } else { /* kept; a broadcast output is written to every tile by the DPU (tiling) */
    for (int i = 0; i < own->n; i++) /* new ids: no search for duplicates (linear) */
      schedule_ids_push(&lt->ready, own->ids[i]);
  }
}

/* Weight DMAs: one, or one per slice when sliced over K. */
static void lower_weights(lower_t *lw, int layer, int *first, int *count) {
  const strat_candidate_t *c = cand_of(lw, layer);
  int n = c->choice.axis == TILING_AXIS_K ? c->choice.tiles : 1;
  *first = lw->g->n_tasks;
  *count = c->cost.weight_dma_bytes > 0 ? n : 0;
  for (int s = 0; s < *count; s++) {
    int id = add_dma(lw, layer, s, SCHEDULE_ROLE_WEIGHTS, share(c->cost.weight_dma_bytes, n, s),
                     COST_DMA_DDR_TO_CMX, false);
    if (s == 0)
      schedule_ids_push(&lw->lt[layer].loads, id);
  }
}

static void lower_layer(lower_t *lw, int layer) {
  const strat_candidate_t *c = cand_of(lw, layer);
  int tiles = c->choice.tiles, depth = c->choice.pipelined ? 2 : 1;
  int w_first, w_count;
  lower_weights(lw, layer, &w_first, &w_count);
  slice_tasks_t *sl = sched_xcalloc((size_t)tiles, sizeof *sl);
  for (int s = 0; s < tiles; s++) {
    lower_inputs(lw, layer, s, &sl[s].in);
    lower_compute(lw, layer, s, &sl[s].work);
    kept_input_deps(lw, layer, &sl[s].work);
    for (int k = 0; k < sl[s].work.n; k++) {
      deps_all(lw->g, &sl[s].in, sl[s].work.ids[k]);
      if (w_count > 0) /* one weight DMA, or slice s's own */
        schedule_graph_add_dep(lw->g, w_first + (w_count == 1 ? 0 : s), sl[s].work.ids[k]);
      schedule_ids_push(&lw->lt[layer].compute, sl[s].work.ids[k]);
    }
    schedule_ids_t from = {0}; /* what the slice's output waits for */
    const schedule_ids_t *src = sl[s].work.n ? &sl[s].work : &sl[s].in;
    for (int i = 0; i < src->n; i++)
      schedule_ids_push(&from, src->ids[i]);
    for (int i = 0; sl[s].work.n == 0 && i < lw->lt[layer].ready.n; i++)
      schedule_ids_push(&from, lw->lt[layer].ready.ids[i]); /* free op: its kept inputs */
    lower_outputs(lw, layer, s, &from, src, &sl[s].out);
    free(from.ids);
    if (s >= depth) {
      slice_buffer_deps(lw, &sl[s - depth], &sl[s]);
      if (w_count > 1) /* a K slice's weights reuse the buffer of slice s - depth */
        deps_all(lw->g, sl[s - depth].work.n ? &sl[s - depth].work : &sl[s - depth].in,
                 w_first + s);
    }
  }
  for (int s = 0; s < tiles; s++)
    slice_tasks_free(&sl[s]);
  free(sl);
}

/* The nearest layer at or before `layer` that computes, or -1. */
static int computing_at_or_before(const lower_t *lw, int layer) {
  while (layer >= 0 && lw->lt[layer].compute.n == 0)
    layer--;
  return layer;
}

/* The plan model's order (strategies/timeline.c): a layer's weights wait
 * until the layer before its prefetch window has computed, its inputs from
 * DDR until the layer before it has, and its compute follows that layer's
 * compute (one layer at a time, in plan order). */
static void order_deps(lower_t *lw, int layer) {
  int window = strat_prefetch_bytes(lw->p, layer, lw->plan->cand[layer]) > 0
                   ? lw->plan->prefetch[layer]
                   : 0; /* streamed weights load with the slices */
  int gate = computing_at_or_before(lw, layer - window - 1);
  for (int i = 0; gate >= 0 && i < lw->lt[layer].loads.n; i++)
    deps_all(lw->g, &lw->lt[gate].compute, lw->lt[layer].loads.ids[i]);
  int before = computing_at_or_before(lw, layer - 1);
  if (before < 0)
    return;
  /* the last two slices of `before` end after all its others, and the
   * first two of `layer` start before its others (slice buffers): linear */
  schedule_ids_t last = {0};
  int tiles = cand_of(lw, before)->choice.tiles;
  for (int i = 0; i < lw->lt[before].compute.n; i++)
    if (lw->g->tasks[lw->lt[before].compute.ids[i]].slice >= tiles - 2)
      schedule_ids_push(&last, lw->lt[before].compute.ids[i]);
  const schedule_ids_t *gated[] = {&lw->lt[layer].inputs, &lw->lt[layer].compute};
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < gated[k]->n; i++)
      if (lw->g->tasks[gated[k]->ids[i]].slice < 2)
        deps_all(lw->g, &last, gated[k]->ids[i]);
  free(last.ids);
}

/* Ranks the DDR DMAs by the plan model's channel order: a layer's weights
 * are its W item; its inputs, and a sliced layer's whole slice stream, its
 * I item; an unsliced layer's output its S item. */
static void rank_dmas(const strat_problem_t *p, const strat_plan_t *plan, schedule_graph_t *g) {
  int n = p->n_layers;
  strat_dma_item_t *items = sched_xmalloc((size_t)SCHED_MAX(3 * n, 1) * sizeof *items);
  int32_t *rank = sched_xmalloc((size_t)SCHED_MAX(3 * n, 1) * sizeof *rank);
  int n_items = strat_dma_items(p, plan->prefetch, items);
  for (int i = 0; i < n_items; i++)
    rank[3 * items[i].layer + (int)items[i].kind] = i;
  for (int t = 0; t < g->n_tasks; t++) {
    schedule_task_t *k = &g->tasks[t];
    k->dma_rank = -1;
    if (k->kind == SCHEDULE_TASK_DMA && k->role == SCHEDULE_ROLE_COMPUTE) {
      /* a layer the DMA engine computes (gather, slice) runs in its place
       * in the program, as the plan's compute chain has it, not behind
       * every later layer's prefetched weights */
      k->dma_rank = rank[3 * k->layer + (int)STRAT_DMA_INPUT];
      continue;
    }
    if (k->kind != SCHEDULE_TASK_DMA || !k->ddr)
      continue;
    const strat_candidate_t *c = &p->layers[k->layer].cands[plan->cand[k->layer]];
    bool streamed = strat_weight_item_cycles(p, k->layer, plan->cand[k->layer]) == 0;
    strat_dma_kind_t kind =
        k->role == SCHEDULE_ROLE_WEIGHTS && !streamed ? STRAT_DMA_WEIGHTS
        : k->role == SCHEDULE_ROLE_OUTPUT && !tiling_streams_ddr(&c->choice, &c->cost)
            ? STRAT_DMA_OUTPUT
            : STRAT_DMA_INPUT;
    k->dma_rank = rank[3 * k->layer + (int)kind];
  }
  free(items);
  free(rank);
}

int schedule_graph_build(const strat_problem_t *p, const strat_plan_t *plan,
                         const schedule_params_t *params, schedule_graph_t *out,
                         sched_diag_t *diag) {
  const char **names = sched_xcalloc((size_t)SCHED_MAX(p->n_layers, 1), sizeof *names);
  for (int l = 0; l < p->n_layers; l++)
    names[l] = p->g->ops[p->layers[l].op].name;
  schedule_graph_init(out, p->n_layers, names);
  free(names);
  lower_t lw = {.p = p, .plan = plan, .params = params, .g = out};
  lw.lt = sched_xcalloc((size_t)SCHED_MAX(p->n_layers, 1), sizeof *lw.lt);
  for (int l = 0; l < p->n_layers; l++) {
    lower_layer(&lw, l);
    order_deps(&lw, l);
  }
  for (int l = 0; l < p->n_layers; l++) {
    free(lw.lt[l].ready.ids);
    free(lw.lt[l].in_ddr.ids);
    free(lw.lt[l].compute.ids);
    free(lw.lt[l].loads.ids);
    free(lw.lt[l].inputs.ids);
  }
  free(lw.lt);
  rank_dmas(p, plan, out);
  int rc = schedule_graph_finish(out, diag);
  if (rc != SCHED_OK)
    schedule_graph_free(out);
  return rc;
}
