/* buffers.c - a plan's CMX buffers: what one tile holds at each plan step,
 * as live ranges that memalloc can place.
 *
 * Requires a verified plan. Produces one buffer list for the worst cluster:
 * clusters are symmetric in the plan model and tiling's footprints are the
 * largest cluster part (cluster 0's), so a layout for cluster 0's parts
 * serves every cluster. Steps are plan steps: step t is layer t running.
 *
 * The mapping (footprints are tiling_layer_cost_t.footprint of the chosen
 * candidate; "moving" parts are input and output, or output and weights
 * when sliced over K):
 *   - weights: one buffer of weight_bytes, live [t - k, t + 1): prefetched
 *     under the k previous layers' compute, k up to the prefetch depth d,
 *     as far back as the bytes fit beside what those steps hold (a compiler
 *     prefetches only into free CMX; the plan model does not count
 *     prefetch, so it counts the buffer from t only);
 *   - a layer cut into slices streams everything through DDR: one input
 *     buffer (all inputs of a slice), one output buffer, live [t, t + 1);
 *     pipelined slices add a second buffer of each moving part;
 *   - an unsliced layer: per input read from DDR (graph input or spilled
 *     value) an input buffer of input_bytes / n_inputs, live [t, t + 1);
 *     its output either goes to DDR (an output buffer, [t, t + 1)) or is a
 *     kept value: one buffer live [t, last use + 1), which IS each
 *     consumer's input (no copy), of its hold (strat_value_hold_bytes:
 *     its output distribution, or what the producer writes if more); a
 *     reader whose input share is larger (an overlapped reader's halo rows)
 *     gets a buffer of the difference at its step. A concat writes its
 *     inputs in place (tiling counts no input bytes): a kept value whose
 *     last use is a concat ends at the concat;
 *   - a streaming region: one buffer of the region footprint (all weights,
 *     the double-buffered input and output slices, one slice of each
 *     intermediate), live over its members [first, last + 1);
 *   - a layer on the host CPU holds nothing in CMX.
 * Zero-byte parts get no buffer. The plan model's step sum
 * (strat_step_cmx_bytes) equals schedule_buffers_plan_step_bytes at every
 * step. */
#include "schedule/schedule.h"

#include <assert.h>
#include <stdlib.h>

static const char *const kind_names[SCHEDULE_BUFFER_KIND_COUNT] = {
    [SCHEDULE_BUFFER_WEIGHTS] = "weights", [SCHEDULE_BUFFER_INPUT] = "in",
    [SCHEDULE_BUFFER_OUTPUT] = "out",      [SCHEDULE_BUFFER_VALUE] = "value",
    [SCHEDULE_BUFFER_REGION] = "region",
};

const char *schedule_buffer_kind_name(schedule_buffer_kind_t kind) {
  return kind < SCHEDULE_BUFFER_KIND_COUNT ? kind_names[kind] : "?";
}

const char *schedule_buffer_label(const strat_problem_t *p, const schedule_buffer_t *b, char *buf,
                                  size_t len) {
  if (b->kind == SCHEDULE_BUFFER_REGION) {
    snprintf(buf, len, "%s..%s region", p->g->ops[p->layers[b->lower].op].name,
             p->g->ops[p->layers[b->upper - 1].op].name);
    return buf;
  }
  snprintf(buf, len, "%s %s%s", p->g->ops[p->layers[b->layer].op].name,
           schedule_buffer_kind_name(b->kind), b->second ? "'" : "");
  return buf;
}

void schedule_buffers_free(schedule_buffers_t *b) {
  free(b->buffers);
  *b = (schedule_buffers_t){0};
}

static void add(schedule_buffers_t *b, schedule_buffer_t buf) {
  if (buf.size_bytes <= 0)
    return;
  sched_grow((void **)&b->buffers, &b->cap_buffers, b->n_buffers + 1, sizeof *b->buffers);
  b->buffers[b->n_buffers++] = buf;
}

/* A buffer of layer t alone: live [t, t + 1). */
static void add_local(schedule_buffers_t *b, schedule_buffer_kind_t kind, int t, int64_t bytes,
                      bool doubled) {
  schedule_buffer_t buf = {
      .kind = kind, .layer = t, .lower = t, .upper = t + 1, .size_bytes = bytes};
  add(b, buf);
  if (doubled) {
    buf.second = true;
    add(b, buf);
  }
}

static const strat_candidate_t *chosen(const strat_problem_t *p, const strat_plan_t *plan, int l) {
  return &p->layers[l].cands[plan->cand[l]];
}

static bool is_concat(const strat_problem_t *p, int l) {
  return p->g->ops[p->layers[l].op].kind == IR_OP_CONCAT;
}

/* What consumer c holds of one input (its share of input_bytes). */
static int64_t input_share_bytes(const strat_problem_t *p, const strat_plan_t *plan, int c) {
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[c].op].n_inputs, 1);
  return chosen(p, plan, c)->cost.footprint.input_bytes / n_inputs;
}

/* The kept output of layer v: one buffer of its hold from its producer to
 * its last use, and, for each reader that counts more of it than that (an
 * overlapped reader's halo rows), a buffer of the difference at its step. */
static void add_value(const strat_problem_t *p, const strat_plan_t *plan, int v,
                      schedule_buffers_t *b) {
  const strat_value_t *val = &p->values[v];
  int64_t hold = strat_value_hold_bytes(p, v, plan->cand[v]);
  int64_t upper =
      is_concat(p, val->last_use) && val->last_use > v ? val->last_use : val->last_use + 1;
  add(b, (schedule_buffer_t){.kind = SCHEDULE_BUFFER_VALUE,
                             .layer = v,
                             .lower = v,
                             .upper = upper,
                             .size_bytes = hold});
  for (int i = 0; i < val->n_consumers; i++) {
    int c = val->consumers[i];
    if ((i > 0 && val->consumers[i - 1] == c) || is_concat(p, c))
      continue;
    int64_t share = strat_read_share_bytes(p, c, plan->cand[c], v);
    add_local(b, SCHEDULE_BUFFER_INPUT, c, share - hold, false);
  }
}

/* The buffers of an unsliced layer's inputs read from DDR. */
static void add_ddr_inputs(const strat_problem_t *p, const strat_plan_t *plan, int t,
                           schedule_buffers_t *b) {
  const ir_op_t *op = &p->g->ops[p->layers[t].op];
  for (int i = 0; i < op->n_inputs; i++) {
    int producer = p->g->tensors[op->inputs[i]].producer;
    if (producer < 0 || plan->spilled[producer])
      add_local(b, SCHEDULE_BUFFER_INPUT, t, input_share_bytes(p, plan, t), false);
  }
}

static void add_weights(const tiling_footprint_t *f, int t, bool doubled, schedule_buffers_t *b) {
  add_local(b, SCHEDULE_BUFFER_WEIGHTS, t, f->weight_bytes, false);
  if (doubled) /* the next K slice's weights, loaded under this slice */
    add(b, (schedule_buffer_t){.kind = SCHEDULE_BUFFER_WEIGHTS,
                               .layer = t,
                               .second = true,
                               .lower = t,
                               .upper = t + 1,
                               .size_bytes = f->weight_bytes});
}

static void add_layer(const strat_problem_t *p, const strat_plan_t *plan, int t,
                      schedule_buffers_t *b) {
  const strat_candidate_t *c = chosen(p, plan, t);
  const tiling_footprint_t *f = &c->cost.footprint;
  if (c->region >= 0) {
    const tiling_region_t *r = &p->regions[c->region];
    if (t == r->first)
      add(b, (schedule_buffer_t){.kind = SCHEDULE_BUFFER_REGION,
                                 .layer = t,
                                 .lower = t,
                                 .upper = r->first + r->n_ops,
                                 .size_bytes = f->total_bytes});
    return;
  }
  bool pipelined = c->choice.pipelined && c->choice.tiles > 1;
  bool k_axis = c->choice.axis == TILING_AXIS_K;
  add_weights(f, t, pipelined && k_axis, b);
  if (c->choice.tiles > 1) {
    add_local(b, SCHEDULE_BUFFER_INPUT, t, f->input_bytes, pipelined && !k_axis);
    add_local(b, SCHEDULE_BUFFER_OUTPUT, t, f->output_bytes, pipelined);
    return;
  }
  add_ddr_inputs(p, plan, t, b);
  if (plan->spilled[t])
    add_local(b, SCHEDULE_BUFFER_OUTPUT, t, f->output_bytes, false);
  else
    add_value(p, plan, t, b);
}

/* Weights live from the plan's prefetch window on (plan->prefetch), where
 * the plan counts them (not weights streamed slice by slice). */
static void add_prefetch(const strat_problem_t *p, const strat_plan_t *plan,
                         schedule_buffers_t *b) {
  for (int i = 0; i < b->n_buffers; i++) {
    schedule_buffer_t *buf = &b->buffers[i];
    if (buf->kind != SCHEDULE_BUFFER_WEIGHTS || buf->second ||
        strat_prefetch_bytes(p, buf->layer, plan->cand[buf->layer]) == 0)
      continue;
    buf->prefetch_steps = plan->prefetch[buf->layer];
    buf->lower -= buf->prefetch_steps;
  }
}

void schedule_buffers_build(const strat_problem_t *p, const strat_plan_t *plan,
                            schedule_buffers_t *out) {
  *out = (schedule_buffers_t){.n_steps = p->n_layers};
  for (int t = 0; t < p->n_layers; t++)
    add_layer(p, plan, t, out);
  add_prefetch(p, plan, out);
}

int64_t schedule_buffers_plan_step_bytes(const schedule_buffers_t *b, int step) {
  int64_t bytes = 0;
  for (int i = 0; i < b->n_buffers; i++) {
    const schedule_buffer_t *buf = &b->buffers[i];
    if (buf->lower <= step && step < buf->upper)
      bytes += buf->size_bytes;
  }
  return bytes;
}

void schedule_buffers_problem(const schedule_buffers_t *b, int64_t capacity_bytes,
                              int64_t align_bytes, memalloc_problem_t *out) {
  memalloc_problem_init(out, capacity_bytes);
  for (int i = 0; i < b->n_buffers; i++) {
    const schedule_buffer_t *buf = &b->buffers[i];
    int rc =
        memalloc_problem_add(out, i, buf->lower, buf->upper, buf->size_bytes, align_bytes, NULL);
    assert(rc == SCHED_OK); /* sizes > 0 and upper > lower by construction */
    (void)rc;
  }
}
