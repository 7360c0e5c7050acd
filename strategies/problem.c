/* problem.c - the plan problem: candidates per layer, the values (layer
 * outputs) that flow between layers, and the streaming regions.
 *
 * Requires a sorted, shape-inferred, fused graph. For each strategy legal on
 * a layer: the fewest isolated slices that fit CMX, and pipelined variants
 * over a fixed ladder of slice counts (more slices hide more DMA under
 * compute but pay per-slice overheads and halos). Sliced candidates that
 * another of the same strategy beats on footprint, cycles and DDR bytes at
 * once are dropped. The fewest slices that fit depend on the budget, so a
 * budget also offers those of every smaller rung of a 256KB ladder: a
 * larger CMX never loses a candidate a smaller rung had. Chains of layers that need
 * slicing also get region candidates: the chain streamed as one region.
 * Layers whose ops read alike (same kind, attributes, input and output
 * shapes) share one costing: the later ones copy the first one's list. */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>

static const int32_t slice_ladder[] = {2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};

static bool same_choice(const tiling_choice_t *a, const tiling_choice_t *b) {
  return a->strategy == b->strategy && a->tiles == b->tiles && a->pipelined == b->pipelined &&
         a->axis == b->axis;
}

/* True when the layer has the (non-region) candidate already: the rungs of
 * the CMX ladder offer mostly the same slicings again. */
static bool has_candidate(const strat_layer_t *l, const tiling_choice_t *choice) {
  for (int i = 0; i < l->n_cands; i++)
    if (l->cands[i].region < 0 && same_choice(&l->cands[i].choice, choice))
      return true;
  return false;
}

static int add_candidate(const strat_problem_t *p, int layer, tiling_choice_t choice,
                         sched_diag_t *diag) {
  strat_layer_t *l = &p->layers[layer];
  if (has_candidate(l, &choice))
    return SCHED_OK;
  strat_candidate_t cand = {.choice = choice, .region = -1};
  int rc = tiling_layer_cost(p->model, p->g, l->op, &choice, &cand.cost, diag);
  if (rc != SCHED_OK)
    return rc;
  cand.pipeline_cycles = strat_slice_pipeline_cycles(p, layer, &cand);
  cand.hold_bytes = strat_candidate_hold_bytes(p->g, p->g->ops[l->op].output, &cand);
  sched_grow((void **)&l->cands, &l->cap_cands, l->n_cands + 1, sizeof *l->cands);
  l->cands[l->n_cands++] = cand;
  return SCHED_OK;
}

/* Most slices an axis can be cut into (one row or 16 channels each). */
static int32_t slice_limit(const ir_graph_t *g, int op, tiling_axis_t axis) {
  ir_shape_t out = g->tensors[g->ops[op].output].shape;
  return (int32_t)(axis == TILING_AXIS_K ? SCHED_CEIL_DIV(out.c, 16) : out.h);
}

/* Pipelined variants of a strategy: every ladder count from the fewest
 * pipelined slices that fit (under `arch`'s budget, at most the real one)
 * up to the axis' limit. */
static int add_pipelined(const strat_problem_t *p, const arch_t *arch, int layer,
                         tiling_strategy_t s, sched_diag_t *diag) {
  int op = p->layers[layer].op;
  tiling_choice_t base = {.strategy = s, .pipelined = true};
  if (tiling_choose_tiles(arch, p->g, op, &base, NULL) != SCHED_OK)
    return SCHED_OK; /* no pipelined slicing fits: isolated only */
  int64_t budget = tiling_fit_budget_bytes(arch, true);
  for (int i = 0; i < SCHED_ARRAY_LEN(slice_ladder); i++) {
    tiling_choice_t c = base;
    c.tiles = SCHED_MAX(slice_ladder[i], base.tiles);
    if (c.tiles > slice_limit(p->g, op, c.axis))
      break;
    /* a slicing the layer has needs no footprint: it would not be added again */
    if (has_candidate(&p->layers[layer], &c) ||
        tiling_layer_footprint(arch, p->g, op, &c).total_bytes > budget)
      continue;
    int rc = add_candidate(p, layer, c, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int64_t sliced_cycles(const strat_problem_t *p, int layer, int c) {
  return strat_layer_cycles(p, layer, c, 0, false); /* sliced: context-free */
}

static int64_t sliced_ddr_bytes(const strat_candidate_t *c) {
  return c->cost.weight_dma_bytes + c->cost.input_dma_bytes + c->cost.output_dma_bytes;
}

/* b beats a: same strategy, both sliced, no worse anywhere, and better
 * somewhere (or equal and earlier). */
static bool dominates(const strat_problem_t *p, int layer, int b, int a) {
  const strat_candidate_t *cb = &p->layers[layer].cands[b], *ca = &p->layers[layer].cands[a];
  if (cb->choice.strategy != ca->choice.strategy || cb->choice.tiles < 2 || ca->choice.tiles < 2 ||
      cb->region >= 0 || ca->region >= 0)
    return false;
  int64_t fb = cb->cost.footprint.total_bytes, fa = ca->cost.footprint.total_bytes;
  int64_t tb = sliced_cycles(p, layer, b), ta = sliced_cycles(p, layer, a);
  int64_t db = sliced_ddr_bytes(cb), da = sliced_ddr_bytes(ca);
  if (fb > fa || tb > ta || db > da)
    return false;
  return fb < fa || tb < ta || db < da || b < a;
}

static void drop_dominated(strat_problem_t *p, int layer) {
  strat_layer_t *l = &p->layers[layer];
  bool *dropped = sched_xcalloc((size_t)l->n_cands + 1, sizeof *dropped);
  for (int a = 0; a < l->n_cands; a++)
    for (int b = 0; b < l->n_cands && !dropped[a]; b++)
      dropped[a] = b != a && !dropped[b] && dominates(p, layer, b, a);
  int kept = 0;
  for (int a = 0; a < l->n_cands; a++)
    if (!dropped[a])
      l->cands[kept++] = l->cands[a];
  l->n_cands = kept;
  /* give back the room of the dropped ones: a 10,000-layer net keeps about
   * half of 64 slots per layer */
  l->cap_cands = SCHED_MAX(kept, 1);
  l->cands = sched_xrealloc(l->cands, (size_t)l->cap_cands * sizeof *l->cands);
  free(dropped);
}

/* No strategy fits: name the layer, the budget and the smallest footprint
 * any legal strategy reaches. */
static int no_fit_error(const strat_problem_t *p, int layer, const char *first_error,
                        sched_diag_t *diag) {
  const arch_t *arch = p->model->arch;
  int op = p->layers[layer].op;
  int64_t smallest = INT64_MAX;
  tiling_strategy_t best = STRAT_CLUSTERING;
  for (int s = 0; s < STRAT_COUNT; s++) {
    if (!tiling_strategy_legal(arch, p->g, op, (tiling_strategy_t)s, NULL))
      continue;
    int64_t bytes = tiling_smallest_footprint(arch, p->g, op, (tiling_strategy_t)s);
    if (bytes < smallest) {
      smallest = bytes;
      best = (tiling_strategy_t)s;
    }
  }
  if (smallest == INT64_MAX)
    return sched_diag_set(diag, SCHED_ERR_INFEASIBLE, "%s", first_error);
  int64_t budget = tiling_fit_budget_bytes(arch, false);
  return sched_diag_set(diag, SCHED_ERR_INFEASIBLE,
                        "layer '%s' fits no strategy in the CMX budget: its smallest slice needs "
                        "%lld bytes per cluster (%s), the budget is %lld bytes (%.0f%% of %lld)",
                        p->g->ops[op].name, (long long)smallest, tiling_strategy_name(best),
                        (long long)budget, 100.0 * arch->fit_isolated,
                        (long long)arch->cmx_workspace_bytes);
}

/* A reshape moves no byte and computes nothing, a slice or gather is a DMA
 * already: slicing them in time only adds DDR traffic, so they are never
 * pipelined (their untiled candidates still choose how the output lies
 * across clusters). Fewer candidates keep transformer plans small for the
 * ILP (bert:layers=4 proves optimal in 1.3 s instead of 3.5 s). */
static bool is_view(const ir_graph_t *g, int op) {
  ir_op_kind_t k = g->ops[op].kind;
  return k == IR_OP_RESHAPE || k == IR_OP_SLICE || k == IR_OP_GATHER;
}

/* A strategy's sliced candidates as the budget of `arch` gives them: the
 * fewest isolated slices that fit, and the pipelined ladder. */
static int add_strategy(strat_problem_t *p, const arch_t *arch, int layer, tiling_strategy_t s,
                        sched_diag_t *first_error, sched_diag_t *diag) {
  int op = p->layers[layer].op;
  tiling_choice_t c = {.strategy = s};
  int rc = tiling_choose_tiles(arch, p->g, op, &c, first_error->msg[0] ? NULL : first_error);
  if (rc == SCHED_OK)
    rc = add_candidate(p, layer, c, diag);
  if (rc == SCHED_OK && !is_view(p->g, op))
    rc = add_pipelined(p, arch, layer, s, diag);
  return rc;
}

int strat_problem_add_slicing(strat_problem_t *p, int layer, tiling_choice_t want,
                              sched_diag_t *diag) {
  const arch_t *arch = p->model->arch;
  int op = p->layers[layer].op;
  tiling_choice_t c = {.strategy = want.strategy, .pipelined = want.pipelined};
  /* the axis is the strategy's; the fewest slices that fit here bound the count from below */
  if (is_view(p->g, op) || !tiling_strategy_legal(arch, p->g, op, c.strategy, NULL) ||
      tiling_choose_tiles(arch, p->g, op, &c, NULL) != SCHED_OK || want.tiles < c.tiles ||
      want.tiles > slice_limit(p->g, op, c.axis))
    return SCHED_ERR_INFEASIBLE;
  c.tiles = want.tiles;
  if (tiling_layer_footprint(arch, p->g, op, &c).total_bytes >
      tiling_fit_budget_bytes(arch, c.pipelined))
    return SCHED_ERR_INFEASIBLE;
  return add_candidate(p, layer, c, diag);
}

static int layer_candidates(strat_problem_t *p, int layer, sched_diag_t *diag) {
  const arch_t *arch = p->model->arch;
  strat_layer_t *l = &p->layers[layer];
  sched_diag_t first_error = {{0}};
  for (int s = 0; s < STRAT_COUNT; s++) {
    if (!tiling_strategy_legal(arch, p->g, l->op, (tiling_strategy_t)s, NULL))
      continue;
    int rc = add_strategy(p, arch, layer, (tiling_strategy_t)s, &first_error, diag);
    /* the fewest slices that fit depend on the budget (45 at 512KB, 26 at
     * 768KB for FSRCNN's first conv): the counts every smaller rung of a
     * 256KB ladder would choose are offered too, so a plan that fits a
     * smaller rung stays a choice at a larger budget (more CMX never
     * takes a plan away) */
    arch_t rung = *arch;
    for (rung.cmx_workspace_bytes = STRAT_CMX_RUNG_BYTES;
         rung.cmx_workspace_bytes < arch->cmx_workspace_bytes && rc == SCHED_OK &&
         !is_view(p->g, l->op);
         rung.cmx_workspace_bytes += STRAT_CMX_RUNG_BYTES) {
      sched_diag_t ignored = {{0}};
      rc = add_strategy(p, &rung, layer, (tiling_strategy_t)s, &ignored, diag);
      rc = rc == SCHED_ERR_INFEASIBLE ? SCHED_OK : rc;
    }
    if (rc != SCHED_OK && rc != SCHED_ERR_INFEASIBLE)
      return rc;
  }
  if (l->n_cands == 0)
    return no_fit_error(p, layer, first_error.msg, diag);
  drop_dominated(p, layer);
  return SCHED_OK;
}

/* ---- layers alike: one candidate list per distinct op ---- */

/* What layer_candidates reads of an op, as bytes: its kind, attributes,
 * input count, fused activation and generic type, and each input's and
 * the output's shape and dtype. tiling/, cost/ and the slice clock read
 * nothing else of the graph, except an arch's operator rules (they follow
 * producers: no copies then). Field by field: the structs
 * have padding. */
typedef struct {
  unsigned char *bytes;
  int n, cap;
} signature_t;

#if UINTPTR_MAX == UINT64_MAX /* the sizes of the 64-bit ABIs the project builds on */
_Static_assert(sizeof(ir_attrs_t) == 152 && sizeof(ir_op_t) == 264 && sizeof(ir_tensor_t) == 48,
               "a field was added: op_signature must put it too");
#endif

static void sig_put(signature_t *s, const void *value, size_t bytes) {
  sched_grow((void **)&s->bytes, &s->cap, s->n + (int)bytes, 1);
  memcpy(s->bytes + s->n, value, bytes);
  s->n += (int)bytes;
}

static void sig_put_tensor(signature_t *s, const ir_tensor_t *t) {
  sig_put(s, &t->shape.n, sizeof t->shape.n);
  sig_put(s, &t->shape.c, sizeof t->shape.c);
  sig_put(s, &t->shape.h, sizeof t->shape.h);
  sig_put(s, &t->shape.w, sizeof t->shape.w);
  sig_put(s, &t->dtype, sizeof t->dtype);
}

static void sig_put_attrs(signature_t *s, const ir_attrs_t *a) {
  const int32_t ints[] = {a->kernel_h,      a->kernel_w,
                          a->stride_h,      a->stride_w,
                          a->pad_top,       a->pad_bottom,
                          a->pad_left,      a->pad_right,
                          a->dilation_h,    a->dilation_w,
                          a->groups,        a->out_channels,
                          a->output_pad_h,  a->output_pad_w,
                          a->scale,         a->perm[0],
                          a->perm[1],       a->perm[2],
                          a->perm[3],       a->slice_start,
                          a->slice_end,     a->vocab,
                          (int32_t)a->axis, a->has_bias,
                          a->transpose_b,   (int32_t)a->upsample_mode};
  sig_put(s, ints, sizeof ints);
  const float floats[] = {a->alpha, a->clamp_min, a->clamp_max}; /* bit patterns */
  sig_put(s, floats, sizeof floats);
  sig_put_tensor(s, &(ir_tensor_t){.shape = a->reshape_to});
}

static void op_signature(const ir_graph_t *g, int op, signature_t *s) {
  const ir_op_t *o = &g->ops[op];
  s->n = 0;
  const int32_t head[] = {(int32_t)o->kind, o->n_inputs, (int32_t)o->fused_act};
  sig_put(s, head, sizeof head);
  sig_put_attrs(s, &o->attrs);
  const char *generic = o->generic_type ? o->generic_type : "";
  sig_put(s, generic, strlen(generic) + 1);
  for (int i = 0; i < o->n_inputs; i++)
    sig_put_tensor(s, &g->tensors[o->inputs[i]]);
  sig_put_tensor(s, &g->tensors[o->output]);
}

/* Distinct signatures, by open addressing: slot -> the first layer with it. */
typedef struct {
  uint64_t *hash;
  unsigned char **sig;
  int *sig_bytes, *layer; /* layer -1: empty slot */
  int n_slots;
} ops_alike_t;

static uint64_t sig_hash(const signature_t *s) {
  uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
  for (int i = 0; i < s->n; i++)
    h = (h ^ s->bytes[i]) * UINT64_C(1099511628211);
  return h;
}

static void ops_alike_init(ops_alike_t *m, int n_ops) {
  m->n_slots = 16;
  while (m->n_slots < 2 * n_ops)
    m->n_slots *= 2;
  m->hash = sched_xcalloc((size_t)m->n_slots, sizeof *m->hash);
  m->sig = sched_xcalloc((size_t)m->n_slots, sizeof *m->sig);
  m->sig_bytes = sched_xcalloc((size_t)m->n_slots, sizeof *m->sig_bytes);
  m->layer = sched_xmalloc((size_t)m->n_slots * sizeof *m->layer);
  for (int i = 0; i < m->n_slots; i++)
    m->layer[i] = -1;
}

static void ops_alike_free(ops_alike_t *m) {
  for (int i = 0; i < m->n_slots; i++)
    free(m->sig[i]);
  free(m->hash);
  free(m->sig);
  free(m->sig_bytes);
  free(m->layer);
}

/* The slot of signature s: its entry, or the empty slot it would take. */
static int ops_alike_slot(const ops_alike_t *m, const signature_t *s, uint64_t h) {
  int i = (int)(h & (uint64_t)(m->n_slots - 1));
  while (m->layer[i] >= 0 && !(m->hash[i] == h && m->sig_bytes[i] == s->n &&
                               memcmp(m->sig[i], s->bytes, (size_t)s->n) == 0))
    i = (i + 1) & (m->n_slots - 1);
  return i;
}

/* Layer `layer` takes a copy of layer `from`'s candidates (ops alike). */
static void candidates_copy(strat_problem_t *p, int layer, int from) {
  strat_layer_t *l = &p->layers[layer];
  const strat_layer_t *f = &p->layers[from];
  l->n_cands = l->cap_cands = f->n_cands;
  l->cands = sched_xmalloc((size_t)SCHED_MAX(f->n_cands, 1) * sizeof *l->cands);
  memcpy(l->cands, f->cands, (size_t)f->n_cands * sizeof *l->cands);
}

/* Every layer's candidates; a layer whose op reads as another's (same
 * signature) copies them instead of costing its slicings again (a
 * generated 10,000-layer net has a few distinct ops). */
static int all_layer_candidates(strat_problem_t *p, sched_diag_t *diag) {
  const arch_t *arch = p->model->arch;
  bool alike = arch->rules.n_rules == 0 && arch->rules.npu_ops == ARCH_OP_CLASSES_ALL;
  ops_alike_t m = {0};
  signature_t s = {0};
  if (alike)
    ops_alike_init(&m, p->n_layers);
  int rc = SCHED_OK;
  for (int i = 0; i < p->n_layers && rc == SCHED_OK; i++) {
    int slot = -1;
    if (alike) {
      op_signature(p->g, p->layers[i].op, &s);
      uint64_t h = sig_hash(&s);
      slot = ops_alike_slot(&m, &s, h);
      if (m.layer[slot] >= 0) {
        candidates_copy(p, i, m.layer[slot]);
        continue;
      }
      m.hash[slot] = h;
    }
    rc = layer_candidates(p, i, diag);
    if (rc == SCHED_OK && alike) {
      m.sig[slot] = sched_xmalloc((size_t)s.n);
      memcpy(m.sig[slot], s.bytes, (size_t)s.n);
      m.sig_bytes[slot] = s.n;
      m.layer[slot] = i;
    }
  }
  if (alike)
    ops_alike_free(&m);
  free(s.bytes);
  return rc;
}

/* Layer l feeds only l + 1, which reads nothing else: they can stream. */
static bool streams_into_next(const strat_problem_t *p, int l) {
  const arch_t *arch = p->model->arch;
  if (l + 1 >= p->n_layers || !tiling_op_streamable(arch, p->g, p->layers[l].op) ||
      !tiling_op_streamable(arch, p->g, p->layers[l + 1].op))
    return false;
  const strat_value_t *v = &p->values[l];
  return !v->graph_output && v->n_consumers == 1 && v->consumers[0] == l + 1;
}

static bool needs_slicing(const strat_problem_t *p, int l) {
  for (int c = 0; c < p->layers[l].n_cands; c++)
    if (p->layers[l].cands[c].choice.tiles == 1)
      return false;
  return true;
}

/* Adds region r, sliced as r.tiles says, and its candidate to each member. */
static int add_region_sliced(strat_problem_t *p, tiling_region_t r, int *cap, sched_diag_t *diag) {
  tiling_layer_cost_t costs[TILING_REGION_MAX];
  int rc = tiling_region_cost(p->model, p->g, &r, costs, diag);
  if (rc != SCHED_OK)
    return rc;
  sched_grow((void **)&p->regions, cap, p->n_regions + 1, sizeof *p->regions);
  for (int i = 0; i < r.n_ops; i++) {
    strat_layer_t *l = &p->layers[r.first + i];
    tiling_choice_t choice = {
        .strategy = r.strategy, .axis = TILING_AXIS_H, .tiles = r.tiles, .pipelined = true};
    strat_candidate_t cand = {.choice = choice, .cost = costs[i], .region = p->n_regions};
    cand.pipeline_cycles = strat_slice_pipeline_cycles(p, r.first + i, &cand);
    cand.hold_bytes = strat_candidate_hold_bytes(p->g, p->g->ops[l->op].output, &cand);
    sched_grow((void **)&l->cands, &l->cap_cands, l->n_cands + 1, sizeof *l->cands);
    l->cands[l->n_cands++] = cand;
  }
  p->regions[p->n_regions++] = r;
  return SCHED_OK;
}

/* Adds region r with the fewest slices that fit. */
static int add_region(strat_problem_t *p, tiling_region_t r, int *cap, sched_diag_t *diag) {
  if (tiling_region_choose_tiles(p->model->arch, p->g, &r) != SCHED_OK)
    return SCHED_OK; /* even one row per slice does not fit: no region */
  return add_region_sliced(p, r, cap, diag);
}

/* The strategy a region from `first` of n_ops layers streams in: SOH where
 * every member can and there are clusters to split over, else Clustering. */
static tiling_strategy_t region_strategy(const strat_problem_t *p, int first, int n_ops) {
  bool soh = p->model->arch->tiles > 1;
  for (int i = 0; i < n_ops && soh; i++)
    soh = tiling_strategy_legal(p->model->arch, p->g, p->layers[first + i].op, STRAT_SOH, NULL);
  return soh ? STRAT_SOH : STRAT_CLUSTERING;
}

static bool has_region(const strat_problem_t *p, const tiling_region_t *r) {
  for (int i = 0; i < p->n_regions; i++) {
    const tiling_region_t *q = &p->regions[i];
    if (q->first == r->first && q->n_ops == r->n_ops && q->strategy == r->strategy &&
        q->tiles == r->tiles)
      return true;
  }
  return false;
}

int strat_problem_add_region_slicing(strat_problem_t *p, int first, int n_ops,
                                     tiling_strategy_t strategy, int32_t tiles,
                                     sched_diag_t *diag) {
  if (n_ops < 2 || n_ops > TILING_REGION_MAX || first + n_ops > p->n_layers || tiles < 2)
    return SCHED_ERR_INFEASIBLE;
  for (int i = 0; i < n_ops - 1; i++)
    if (!streams_into_next(p, first + i))
      return SCHED_ERR_INFEASIBLE;
  tiling_region_t r = {.first = first, .n_ops = n_ops, .strategy = strategy, .tiles = tiles};
  const ir_graph_t *g = p->g;
  int64_t budget = tiling_fit_budget_bytes(p->model->arch, true);
  if (region_strategy(p, first, n_ops) != strategy ||
      tiles > g->tensors[g->ops[p->layers[first + n_ops - 1].op].output].shape.h ||
      tiling_region_footprint(p->model->arch, g, &r) > budget)
    return SCHED_ERR_INFEASIBLE;
  if (has_region(p, &r))
    return SCHED_OK;
  int cap = p->n_regions; /* sched_grow needs no more than the count */
  return add_region_sliced(p, r, &cap, diag);
}

/* Every window of 2..TILING_REGION_MAX streamable layers with a member
 * that needs slicing becomes a region. */
static int find_regions(strat_problem_t *p, sched_diag_t *diag) {
  int cap = 0;
  for (int first = 0; first < p->n_layers; first++) {
    bool sliced = needs_slicing(p, first);
    for (int n = 2; n <= TILING_REGION_MAX && streams_into_next(p, first + n - 2); n++) {
      sliced |= needs_slicing(p, first + n - 1);
      if (!sliced)
        continue;
      tiling_region_t r = {.first = first, .n_ops = n, .strategy = region_strategy(p, first, n)};
      int rc = add_region(p, r, &cap, diag);
      if (rc != SCHED_OK)
        return rc;
    }
  }
  return SCHED_OK;
}

static void value_init(strat_problem_t *p, int layer, const ir_consumers_t *readers) {
  const ir_graph_t *g = p->g;
  strat_value_t *v = &p->values[layer];
  v->tensor = g->ops[layer].output;
  v->producer = layer;
  int first = readers->start[v->tensor], n = readers->start[v->tensor + 1] - first;
  v->consumers = sched_xcalloc((size_t)SCHED_MAX(n, 1), sizeof(int));
  memcpy(v->consumers, readers->ops + first, (size_t)n * sizeof(int));
  v->n_consumers = n;
  v->last_use = layer;
  for (int i = 0; i < v->n_consumers; i++)
    v->last_use = SCHED_MAX(v->last_use, v->consumers[i]);
  v->graph_output = n == 0;
  for (int i = 0; i < g->n_outputs; i++)
    v->graph_output |= g->outputs[i] == v->tensor;
}

/* first_live[step] = the lowest v <= step with last_use >= step. It never
 * falls as step grows, so one sweep fills every step. */
static void first_live_init(strat_problem_t *p) {
  p->first_live = sched_xcalloc((size_t)SCHED_MAX(p->n_layers, 1), sizeof *p->first_live);
  int v = 0;
  for (int step = 0; step < p->n_layers; step++) {
    while (v < step && p->values[v].last_use < step)
      v++;
    p->first_live[step] = v;
  }
}

bool strat_value_live_at(const strat_problem_t *p, int v, int step) {
  const strat_value_t *val = &p->values[v];
  return v == step ? val->n_consumers > 0 : v < step && val->last_use >= step;
}

/* live_start / live_values: a count per step, then the values in order. */
static void live_values_init(strat_problem_t *p) {
  int n = p->n_layers;
  p->live_start = sched_xcalloc((size_t)n + 2, sizeof *p->live_start);
  for (int v = 0; v < n; v++)
    for (int step = v; step <= p->values[v].last_use && step < n; step++)
      p->live_start[step + 2] += strat_value_live_at(p, v, step);
  for (int step = 0; step < n; step++)
    p->live_start[step + 2] += p->live_start[step + 1];
  p->live_values = sched_xcalloc((size_t)SCHED_MAX(p->live_start[n + 1], 1), sizeof(int));
  for (int v = 0; v < n; v++) /* live_start[step + 1] is step's fill point */
    for (int step = v; step <= p->values[v].last_use && step < n; step++)
      if (strat_value_live_at(p, v, step))
        p->live_values[p->live_start[step + 1]++] = v;
}

int strat_problem_init(strat_problem_t *p, const ir_graph_t *g, const cost_model_t *model,
                       strat_objective_t objective, sched_diag_t *diag) {
  *p = (strat_problem_t){.g = g, .model = model, .objective = objective, .prefetch_cap = -1};
  p->capacity_bytes = model->arch->cmx_workspace_bytes;
  p->n_layers = g->n_ops;
  p->layers = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *p->layers);
  p->values = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *p->values);
  ir_consumers_t readers; /* once: asking per value is quadratic */
  ir_consumers_build(g, &readers);
  for (int i = 0; i < g->n_ops; i++) {
    p->layers[i].op = i;
    for (int k = 0; k < g->ops[i].n_inputs; k++)
      p->layers[i].n_inputs_from_graph += g->tensors[g->ops[i].inputs[k]].producer < 0;
    value_init(p, i, &readers);
  }
  first_live_init(p);
  live_values_init(p);
  ir_consumers_free(&readers);
  int rc = all_layer_candidates(p, diag);
  if (rc == SCHED_OK)
    rc = find_regions(p, diag);
  if (rc != SCHED_OK)
    strat_problem_free(p);
  return rc;
}

void strat_problem_free(strat_problem_t *p) {
  for (int i = 0; p->layers && i < p->n_layers; i++)
    free(p->layers[i].cands);
  for (int i = 0; p->values && i < p->n_layers; i++)
    free(p->values[i].consumers);
  free(p->layers);
  free(p->values);
  free(p->regions);
  free(p->first_live);
  free(p->live_start);
  free(p->live_values);
  *p = (strat_problem_t){0};
}

void strat_problem_restrict(strat_problem_t *p, tiling_strategy_t only) {
  for (int i = 0; i < p->n_layers; i++) {
    strat_layer_t *l = &p->layers[i];
    int kept = 0;
    for (int pass = 0; pass < 2 && kept == 0; pass++) {
      tiling_strategy_t want = pass == 0 ? only : STRAT_CLUSTERING;
      for (int c = 0; c < l->n_cands; c++)
        if (l->cands[c].choice.strategy == want)
          l->cands[kept++] = l->cands[c];
    }
    if (kept > 0)
      l->n_cands = kept;
  }
}
