/* timeline.c - the plan model's clock: a plan's latency as the pipeline the
 * schedule runs, at layer granularity, and the prefetch windows it uses.
 *
 * Two resources. Compute: layers run one after another in topological
 * order (CE[l] = max(CE[l-1], its loads) + compute). The DMA channel: DDR is
 * one channel shared by the ports, so transfers go one at a time, while a
 * transfer's latency overlaps the channel's other work (end = max(release +
 * latency, channel free) + transfer). Per layer, three DMA items:
 *   W[l]  its weights, released when layer l - prefetch[l] - 1 has computed
 *         (prefetch[l] steps of CMX hold them early);
 *   I[l]  its inputs from DDR, released when layer l - 1 has computed and
 *         the writes (S) of the spilled inputs it reads have ended; for a
 *         layer cut into slices, its whole body (slice DMAs and compute
 *         interleaved as the tasks run them: strat_slice_pipeline_cycles),
 *         which holds the channel and the compute until it ends;
 *   S[l]  its output to DDR when spilled, released when it has computed.
 * The channel is a FIFO in program order, the order the items are released
 * in: by the index of the layer whose compute releases them, then layer,
 * then W, S, I (the schedule's DMA queue keeps this order: tasks.c ranks
 * its DDR DMAs, simulate.c starts them in rank order). An empty item (no
 * input from DDR, no spill) is no DMA. The order depends only on the
 * prefetch windows, so for fixed windows the latency is a longest path
 * whose lengths are linear in the choices: the ILP models it (ilp.c).
 *
 * Prefetch as the reference compiler's feasible memory scheduler does it:
 * a layer's weights load as early as CMX room allows (no earlier than the
 * layer before them, at most problem->prefetch_cap steps). */
#include "strategies/strategies.h"

#include <stdlib.h>
#include <string.h>

int64_t strat_dma_latency_cycles(const strat_problem_t *p) {
  const arch_t *a = p->model->arch;
  return (int64_t)(a->dma_latency_ns * a->dpu_clock_mhz / 1000.0);
}

/* Transfer cycles of a DMA of `cycles` (latency included): what it holds
 * the channel for. */
static int64_t xfer_of(int64_t cycles, int64_t latency) {
  return cycles - SCHED_MIN(latency, cycles);
}

void strat_layer_terms(const strat_problem_t *p, const strat_plan_t *plan, int l,
                       strat_layer_terms_t *t) {
  const strat_candidate_t *c = &p->layers[l].cands[plan->cand[l]];
  const tiling_layer_cost_t *k = &c->cost;
  int64_t lat = strat_dma_latency_cycles(p);
  int from_ddr = strat_layer_inputs_from_ddr(p, plan, l);
  int64_t weights = strat_weight_item_cycles(p, l, plan->cand[l]);
  *t = (strat_layer_terms_t){.weight_xfer_cycles = xfer_of(weights, lat),
                             .has_weights = weights > 0};
  if (tiling_streams_ddr(&c->choice, k)) {
    t->body_cycles = strat_body_cycles(p, l, plan->cand[l]);
    t->has_input = from_ddr > 0;
    return;
  }
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[l].op].n_inputs, 1);
  t->input_xfer_cycles = from_ddr * xfer_of(k->input_dma_cycles / n_inputs, lat);
  t->has_input = from_ddr > 0 && k->input_dma_cycles > 0;
  t->compute_cycles = k->compute_cycles;
  if (plan->spilled[l]) {
    t->output_xfer_cycles = xfer_of(k->output_dma_cycles, lat);
    t->has_output = k->output_dma_cycles > 0;
  }
}

/* ---- a sliced layer's body ---- */

typedef struct {
  const cost_model_t *model;
  int64_t latency, channel_free;
} slice_channel_t;

/* A DDR DMA of `bytes` dispatched at cycle t; returns its end. */
static int64_t slice_dma(slice_channel_t *ch, int64_t t, int64_t bytes, cost_dma_path_t path) {
  int64_t cycles = cost_dma_cycles(ch->model, bytes, path);
  if (cycles == 0)
    return t;
  int64_t lat = SCHED_MIN(ch->latency, cycles);
  ch->channel_free = SCHED_MAX(t + lat, ch->channel_free) + cycles - lat;
  return ch->channel_free;
}

static int64_t part(int64_t total, int parts, int index) {
  int64_t base = total / parts;
  return index == parts - 1 ? total - base * (parts - 1) : base;
}

/* The inputs of slice s (one DMA per input), dispatched at t. */
static int64_t slice_inputs(slice_channel_t *ch, const tiling_layer_cost_t *k, int n_inputs,
                            int tiles, int s, int64_t t) {
  int64_t end = t;
  for (int i = 0; i < n_inputs; i++) {
    int64_t one =
        slice_dma(ch, t, part(k->input_dma_bytes / n_inputs, tiles, s), COST_DMA_DDR_TO_CMX);
    end = SCHED_MAX(end, one); /* not inside SCHED_MAX: it would run twice */
  }
  return end;
}

/* schedule/tasks.c's lowering of a sliced layer, with the whole channel
 * and compute to itself: slice s's inputs (and its K slice of weights)
 * load once slice s - depth has computed (their buffers), it computes
 * after its loads, slice s - 1 and the output DMA of slice s - depth, and
 * its output DMA follows it. DMAs released together go in task order
 * (weights, then by slice). */
int64_t strat_slice_pipeline_cycles(const strat_problem_t *p, int layer,
                                    const strat_candidate_t *c) {
  int tiles = c->choice.tiles, depth = c->choice.pipelined ? 2 : 1;
  if (tiles < 2)
    return 0;
  const tiling_layer_cost_t *k = &c->cost;
  int n_inputs = p->g->ops[p->layers[layer].op].n_inputs;
  bool streamed = c->choice.axis == TILING_AXIS_K;
  slice_channel_t ch = {.model = p->model, .latency = strat_dma_latency_cycles(p)};
  /* one allocation: the problem build asks this of every sliced candidate */
  int64_t *weights_end = sched_xcalloc((size_t)(3 * tiles), sizeof *weights_end);
  int64_t *inputs_end = weights_end + tiles, *output_end = inputs_end + tiles;
  for (int s = 0; s < SCHED_MIN(depth, tiles) && streamed; s++)
    weights_end[s] = slice_dma(&ch, 0, part(k->weight_dma_bytes, tiles, s), COST_DMA_DDR_TO_CMX);
  for (int s = 0; s < SCHED_MIN(depth, tiles); s++)
    inputs_end[s] = slice_inputs(&ch, k, n_inputs, tiles, s, 0);
  int64_t compute_end = 0, end = 0;
  for (int s = 0; s < tiles; s++) {
    int64_t start = SCHED_MAX(compute_end, SCHED_MAX(inputs_end[s], weights_end[s]));
    if (s >= depth)
      start = SCHED_MAX(start, output_end[s - depth]);
    compute_end = start + part(k->compute_cycles, tiles, s);
    int next = s + depth;
    if (next < tiles && streamed)
      weights_end[next] =
          slice_dma(&ch, compute_end, part(k->weight_dma_bytes, tiles, next), COST_DMA_DDR_TO_CMX);
    output_end[s] =
        slice_dma(&ch, compute_end, part(k->output_dma_bytes, tiles, s), COST_DMA_CMX_TO_DDR);
    if (next < tiles)
      inputs_end[next] = slice_inputs(&ch, k, n_inputs, tiles, next, compute_end);
    end = SCHED_MAX(end, SCHED_MAX(compute_end, output_end[s]));
  }
  free(weights_end);
  return SCHED_MAX(end - ch.latency, 0); /* the clock adds the first latency */
}

/* ---- the DMA items in channel order ---- */

/* The channel's order: by release, then layer, then kind (weights before
 * input, the only two of a layer that share a release). Layer l's three
 * items, in that order among those of one release: */
static void layer_items(const int32_t *prefetch, int l, strat_dma_item_t out[3]) {
  out[0] = (strat_dma_item_t){STRAT_DMA_WEIGHTS, l, l - 1 - prefetch[l]};
  out[1] = (strat_dma_item_t){STRAT_DMA_INPUT, l, l - 1};
  out[2] = (strat_dma_item_t){STRAT_DMA_OUTPUT, l, l};
}

/* A counting sort by release (-1 .. n - 1, as windows reach back at most to
 * the net's start): items come in layer order, so each release's come out
 * in the channel's order, in O(n) where a qsort per evaluation of the
 * clock was a fifth of a 10,000-layer run. */
int strat_dma_items(const strat_problem_t *p, const int32_t *prefetch, strat_dma_item_t *items) {
  int n_layers = p->n_layers;
  int *first = sched_xcalloc((size_t)n_layers + 2, sizeof *first); /* release r at r + 1 */
  strat_dma_item_t it[3];
  for (int l = 0; l < n_layers; l++) {
    layer_items(prefetch, l, it);
    for (int k = 0; k < 3; k++)
      first[it[k].release_layer + 2]++;
  }
  for (int r = 1; r <= n_layers + 1; r++)
    first[r] += first[r - 1];
  for (int l = 0; l < n_layers; l++) {
    layer_items(prefetch, l, it);
    for (int k = 0; k < 3; k++)
      items[first[it[k].release_layer + 1]++] = it[k];
  }
  free(first);
  return 3 * n_layers;
}

/* ---- the recurrence ---- */

typedef struct {
  const strat_problem_t *p;
  const strat_plan_t *plan;
  strat_layer_terms_t *terms;
  int64_t *ce;        /* compute end per layer */
  int64_t *input_end; /* I[l]'s end (body end when sliced) */
  int64_t *weight_end;
  int64_t *output_end; /* S[l]'s end, 0 when it moves nothing */
  int64_t channel, latency;
  int computed; /* ce[0 .. computed) are known */
} clock_t_;

static int64_t ce_at(const clock_t_ *k, int layer) { return layer < 0 ? 0 : k->ce[layer]; }

/* Computes CE up to and including `layer`: all its items are served. */
static void compute_until(clock_t_ *k, int layer) {
  for (; k->computed <= layer && k->computed < k->p->n_layers; k->computed++) {
    int l = k->computed;
    const strat_layer_terms_t *t = &k->terms[l];
    int64_t start = SCHED_MAX(ce_at(k, l - 1), SCHED_MAX(k->input_end[l], k->weight_end[l]));
    k->ce[l] = start + t->compute_cycles;
  }
}

/* Serves one item on the channel; returns when its data is in place (an
 * empty item moves nothing and waits for nothing). */
static int64_t serve(clock_t_ *k, int64_t release, bool exists, int64_t xfer, int64_t body) {
  if (!exists && body == 0)
    return 0;
  int64_t lat = exists ? k->latency : 0;
  int64_t end = SCHED_MAX(release + lat, k->channel) + xfer + body;
  k->channel = end;
  return end;
}

/* When the spilled inputs of `layer` are all in DDR: a read of a spill is
 * issued once its write has ended, so its latency cannot hide under that
 * write (a round trip through DDR pays two latencies). */
static int64_t spilled_inputs_written(const clock_t_ *k, int layer) {
  const strat_problem_t *p = k->p;
  const ir_op_t *op = &p->g->ops[p->layers[layer].op];
  int64_t written = 0;
  for (int i = 0; i < op->n_inputs; i++) {
    int u = p->g->tensors[op->inputs[i]].producer;
    if (u >= 0 && k->plan->spilled[u])
      written = SCHED_MAX(written, k->output_end[u]);
  }
  return written;
}

static void serve_item(clock_t_ *k, const strat_dma_item_t *it) {
  compute_until(k, it->release_layer);
  const strat_layer_terms_t *t = &k->terms[it->layer];
  int64_t release = ce_at(k, it->release_layer);
  switch (it->kind) {
  case STRAT_DMA_WEIGHTS:
    k->weight_end[it->layer] = serve(k, release, t->has_weights, t->weight_xfer_cycles, 0);
    break;
  case STRAT_DMA_INPUT:
    release = SCHED_MAX(release, spilled_inputs_written(k, it->layer));
    k->input_end[it->layer] = serve(k, release, t->has_input, t->input_xfer_cycles, t->body_cycles);
    break;
  case STRAT_DMA_OUTPUT:
    k->output_end[it->layer] = serve(k, release, t->has_output, t->output_xfer_cycles, 0);
    break;
  }
}

int64_t strat_plan_latency_cycles(const strat_problem_t *p, const strat_plan_t *plan,
                                  int64_t *compute_end) {
  int n = p->n_layers;
  if (n == 0)
    return 0;
  size_t sz = (size_t)n;
  clock_t_ k = {.p = p, .plan = plan, .latency = strat_dma_latency_cycles(p)};
  k.terms = sched_xmalloc(sz * sizeof *k.terms);
  k.ce = compute_end ? compute_end : sched_xmalloc(sz * sizeof *k.ce);
  k.input_end = sched_xcalloc(sz, sizeof *k.input_end);
  k.weight_end = sched_xcalloc(sz, sizeof *k.weight_end);
  k.output_end = sched_xcalloc(sz, sizeof *k.output_end);
  strat_dma_item_t *items = sched_xmalloc(3 * sz * sizeof *items);
  for (int l = 0; l < n; l++)
    strat_layer_terms(p, plan, l, &k.terms[l]);
  int n_items = strat_dma_items(p, plan->prefetch, items);
  for (int i = 0; i < n_items; i++)
    serve_item(&k, &items[i]);
  compute_until(&k, n - 1);
  int64_t latency = SCHED_MAX(k.channel, k.ce[n - 1]);
  free(items);
  free(k.terms);
  free(k.input_end);
  free(k.weight_end);
  free(k.output_end);
  if (!compute_end)
    free(k.ce);
  return latency;
}

/* ---- prefetch windows ---- */

int64_t strat_prefetch_bytes(const strat_problem_t *p, int layer, int cand) {
  const strat_candidate_t *c = &p->layers[layer].cands[cand];
  if (c->region >= 0 || c->cost.engine == COST_ENGINE_CPU ||
      strat_weight_item_cycles(p, layer, cand) == 0)
    return 0; /* in the region's buffer; nothing in CMX; streamed with the slices */
  return c->cost.footprint.weight_bytes;
}

bool strat_plan_set_prefetch(const strat_problem_t *p, strat_plan_t *plan) {
  return strat_plan_set_prefetch_within(p, plan, p->capacity_bytes);
}

bool strat_plan_set_prefetch_within(const strat_problem_t *p, strat_plan_t *plan,
                                    int64_t room_bytes) {
  int n = p->n_layers;
  memset(plan->prefetch, 0, (size_t)SCHED_MAX(n, 1) * sizeof *plan->prefetch);
  int64_t *used = strat_plan_cmx_bytes_per_step(p, plan); /* no prefetch counted yet */
  int gate = -1;                                          /* the previous layer's release */
  int64_t cap = p->prefetch_cap < 0 ? INT32_MAX : p->prefetch_cap;
  bool fits = true; /* windows only take room there is, so the steps alone decide */
  for (int t = 0; t < n; t++)
    fits = fits && used[t] <= room_bytes;
  for (int l = 0; l < n; l++) {
    int64_t bytes = strat_prefetch_bytes(p, l, plan->cand[l]);
    int first = l; /* earliest step the weights are live */
    if (bytes > 0)
      while (first - 1 > gate && l - (first - 1) <= cap && used[first - 1] + bytes <= room_bytes)
        first--;
    else
      first = l; /* nothing held early (no weights, streamed, in a region's buffer) */
    for (int t = first; t < l; t++)
      used[t] += bytes;
    plan->prefetch[l] = l - first;
    if (bytes > 0)
      gate = SCHED_MAX(gate, first - 1);
  }
  free(used);
  return fits;
}
