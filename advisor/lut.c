/* lut.c - the per-op latency lookup table NAS consumes (ProxylessNAS: the
 * latency of a network is the sum of its ops' entries), the check of that
 * additivity against whole planned networks, and the operator-stacking
 * estimate the notes used on hardware (seed 004: stack N copies and divide;
 * for shape-changing ops subtract the neighbours).
 *
 * Every entry is one measurement of the block alone in a network, so it is
 * costed in the context of a layer: its input comes from DDR, its output
 * goes to DDR, its weights are fetched, and the solver picks its strategy.
 * Inside a whole network tensors may stay in CMX, which is what the
 * additivity check shows. */
#include "advisor/advisor.h"
#include "common/csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Plans a chain; a chain with no ops (skips only) costs nothing. */
static int measure_chain(const advisor_space_t *s, const advisor_position_t *positions,
                         const advisor_cand_t *blocks, int n, const advisor_measurer_t *m,
                         advisor_measure_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  if (n == 0)
    return SCHED_OK;
  ir_graph_t g;
  int rc = advisor_chain_build(s, positions, blocks, n, &g, diag);
  if (rc == SCHED_OK && g.n_ops > 0)
    rc = m->measure(m->ctx, &g, NULL, 0, out, diag);
  ir_graph_free(&g);
  return rc;
}

static void entry_push(advisor_lut_t *lut, int *cap, int position, const advisor_cand_t *op) {
  sched_grow((void **)&lut->entries, cap, lut->n_entries + 1, sizeof *lut->entries);
  lut->entries[lut->n_entries++] = (advisor_lut_entry_t){.position = position, .op = *op};
}

int advisor_lut_build(const advisor_space_t *s, const advisor_measurer_t *m, int32_t stack_n,
                      advisor_lut_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  int cap = 0;
  for (int p = 0; p < s->n_positions; p++) {
    const advisor_position_t *pos = &s->positions[p];
    if (pos->fixed)
      entry_push(out, &cap, p, &pos->op);
    for (int c = 0; c < s->n_cands && !pos->fixed; c++)
      if (advisor_cand_valid(pos, &s->cands[c]))
        entry_push(out, &cap, p, &s->cands[c]);
  }
  for (int i = 0; i < out->n_entries; i++) {
    advisor_lut_entry_t *e = &out->entries[i];
    const advisor_position_t *pos = &s->positions[e->position];
    int rc = measure_chain(s, pos, &e->op, 1, m, &e->m, diag);
    if (rc == SCHED_OK && stack_n > 0)
      rc = advisor_stack_estimate(s, e->position, &e->op, stack_n, m, &e->stacked_us, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

void advisor_lut_free(advisor_lut_t *lut) {
  free(lut->entries);
  memset(lut, 0, sizeof *lut);
}

void advisor_lut_write_csv(const advisor_space_t *s, const advisor_lut_t *lut, FILE *out) {
  bool stacked = false;
  for (int i = 0; i < lut->n_entries && !stacked; i++)
    stacked = lut->entries[i].stacked_us != 0;
  static const char *const head[] = {
      "position",   "c_in",       "h_in",   "w_in",       "c_out",      "stride",        "op",
      "latency_us", "compute_us", "dma_us", "strategies", "stacked_us", "stack_diff_pct"};
  sched_csv_writer_t w = {.out = out};
  for (int k = 0; k < SCHED_ARRAY_LEN(head) - (stacked ? 0 : 2); k++)
    sched_csv_field(&w, head[k]);
  sched_csv_end_row(&w);
  for (int i = 0; i < lut->n_entries; i++) {
    const advisor_lut_entry_t *e = &lut->entries[i];
    const advisor_position_t *p = &s->positions[e->position];
    char label[32];
    advisor_cand_label(&e->op, label, sizeof label);
    sched_csv_field(&w, p->label);
    const int dims[] = {p->c_in, p->h_in, p->w_in, p->c_out, p->stride};
    for (int k = 0; k < SCHED_ARRAY_LEN(dims); k++)
      sched_csv_fieldf(&w, "%d", dims[k]);
    sched_csv_field(&w, label);
    sched_csv_fieldf(&w, "%.2f", e->m.latency_us);
    sched_csv_fieldf(&w, "%.2f", e->m.compute_us);
    sched_csv_fieldf(&w, "%.2f", e->m.dma_us);
    sched_csv_field(&w, e->m.strategies[0] ? e->m.strategies : "-");
    if (stacked) {
      sched_csv_fieldf(&w, "%.2f", e->stacked_us);
      sched_csv_fieldf(
          &w, "%.2f",
          e->m.latency_us > 0 ? 100.0 * (e->stacked_us - e->m.latency_us) / e->m.latency_us : 0.0);
    }
    sched_csv_end_row(&w);
  }
}

/* ---- additivity ---- */

/* splitmix64: a small, seedable generator kept in the caller's state. */
static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Picks one LUT entry per position at random (fixed ones have one); fills
 * blocks and returns the sum of the picked entries' latencies. */
static double random_net(const advisor_space_t *s, const advisor_lut_t *lut, uint64_t *rng,
                         advisor_cand_t *blocks) {
  double sum_us = 0;
  for (int i = 0, p = 0; p < s->n_positions; p++) {
    int first = i;
    while (i < lut->n_entries && lut->entries[i].position == p)
      i++;
    int pick = first + (int)(rng_next(rng) % (uint64_t)(i - first));
    blocks[p] = lut->entries[pick].op;
    sum_us += lut->entries[pick].m.latency_us;
  }
  return sum_us;
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, int n, double pct) {
  int rank = (int)ceil(pct / 100.0 * n);
  return sorted[SCHED_MAX(rank, 1) - 1];
}

static void summarise(double *abs_pct, const double *signed_pct, const double *net_us,
                      const double *sum_us, int n, advisor_additivity_t *out) {
  *out = (advisor_additivity_t){.n_nets = n};
  for (int i = 0; i < n; i++) {
    out->mean_abs_pct += abs_pct[i] / n;
    out->mean_signed_pct += signed_pct[i] / n;
    out->mean_net_us += net_us[i] / n;
    out->mean_sum_us += sum_us[i] / n;
  }
  qsort(abs_pct, (size_t)n, sizeof *abs_pct, by_double);
  out->max_abs_pct = abs_pct[n - 1];
  out->p50_abs_pct = percentile(abs_pct, n, 50);
  out->p90_abs_pct = percentile(abs_pct, n, 90);
  out->p95_abs_pct = percentile(abs_pct, n, 95);
}

int advisor_additivity_check(const advisor_space_t *s, const advisor_lut_t *lut,
                             const advisor_measurer_t *m, int32_t n_nets, uint64_t seed,
                             advisor_additivity_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  if (n_nets < 1)
    return SCHED_OK;
  /* Every position needs an entry to pick from (skip alone does not fit
   * where the shape changes). */
  for (int i = 0, p = 0; p < s->n_positions; p++) {
    int first = i;
    while (i < lut->n_entries && lut->entries[i].position == p)
      i++;
    if (i == first)
      return sched_diag_set(diag, SCHED_ERR_INPUT,
                            "%s: position %s has no valid candidate (skip needs the same input "
                            "and output shape), so no network can be sampled",
                            s->name, s->positions[p].label);
  }
  advisor_cand_t *blocks = sched_xcalloc((size_t)s->n_positions, sizeof *blocks);
  double *vals = sched_xcalloc((size_t)n_nets * 4, sizeof *vals);
  double *abs_pct = vals, *signed_pct = vals + n_nets, *net_us = vals + 2 * n_nets;
  double *sum_us = vals + 3 * n_nets;
  uint64_t rng = seed;
  int rc = SCHED_OK;
  for (int i = 0; i < n_nets && rc == SCHED_OK; i++) {
    sum_us[i] = random_net(s, lut, &rng, blocks);
    advisor_measure_t full;
    rc = measure_chain(s, s->positions, blocks, s->n_positions, m, &full, diag);
    net_us[i] = full.latency_us;
    signed_pct[i] = full.latency_us > 0 ? 100.0 * (sum_us[i] - net_us[i]) / net_us[i] : 0;
    abs_pct[i] = fabs(signed_pct[i]);
  }
  if (rc == SCHED_OK)
    summarise(abs_pct, signed_pct, net_us, sum_us, n_nets, out);
  free(vals);
  free(blocks);
  return rc;
}

/* ---- stacking ---- */

/* A 1x1 conv neighbour that keeps c channels at h x w. */
static advisor_position_t neighbour(int32_t c, int32_t h, int32_t w, const char *label) {
  advisor_position_t p = {.c_in = c, .h_in = h, .w_in = w, .c_out = c, .stride = 1};
  snprintf(p.label, sizeof p.label, "%s", label);
  return p;
}

static bool keeps_shape(const advisor_position_t *pos, const advisor_cand_t *cand) {
  return pos->c_in == pos->c_out && pos->stride == 1 && cand->type != ADVISOR_OP_GAP &&
         cand->type != ADVISOR_OP_FC;
}

/* Latency of k copies of one block at one position. */
static int measure_copies(const advisor_space_t *s, const advisor_position_t *pos,
                          const advisor_cand_t *cand, int32_t k, const advisor_measurer_t *m,
                          double *us, sched_diag_t *diag) {
  advisor_position_t *ps = sched_xcalloc((size_t)SCHED_MAX(k, 1), sizeof *ps);
  advisor_cand_t *cs = sched_xcalloc((size_t)SCHED_MAX(k, 1), sizeof *cs);
  for (int i = 0; i < k; i++) {
    ps[i] = *pos;
    cs[i] = *cand;
  }
  advisor_measure_t r;
  int rc = measure_chain(s, ps, cs, k, m, &r, diag);
  *us = r.latency_us;
  free(ps);
  free(cs);
  return rc;
}

/* n-1 neighbours at the input shape, the op, n-1 neighbours at its output
 * shape; minus the neighbours' own latencies, each estimated the same way
 * (n copies stacked, divided by n), as the seeds measured every op. */
static int stack_between(const advisor_space_t *s, const advisor_position_t *pos,
                         const advisor_cand_t *cand, int32_t n, const advisor_measurer_t *m,
                         double *us, sched_diag_t *diag) {
  bool global = cand->type == ADVISOR_OP_GAP || cand->type == ADVISOR_OP_FC;
  int32_t h_out = global ? 1 : (pos->h_in + pos->stride - 1) / pos->stride;
  int32_t w_out = global ? 1 : (pos->w_in + pos->stride - 1) / pos->stride;
  advisor_position_t pre = neighbour(pos->c_in, pos->h_in, pos->w_in, "pre");
  advisor_position_t post = neighbour(pos->c_out, h_out, w_out, "post");
  advisor_cand_t pw = {.type = ADVISOR_OP_CONV, .kernel = 1, .expand = 1};
  int len = 2 * (n - 1) + 1;
  advisor_position_t *ps = sched_xcalloc((size_t)len, sizeof *ps);
  advisor_cand_t *cs = sched_xcalloc((size_t)len, sizeof *cs);
  for (int i = 0; i < len; i++) {
    ps[i] = i < n - 1 ? pre : i == n - 1 ? *pos : post;
    cs[i] = i == n - 1 ? *cand : pw;
  }
  advisor_measure_t all;
  double pre_us = 0, post_us = 0;
  int rc = measure_chain(s, ps, cs, len, m, &all, diag);
  if (rc == SCHED_OK && n > 1)
    rc = measure_copies(s, &pre, &pw, n, m, &pre_us, diag);
  if (rc == SCHED_OK && n > 1)
    rc = measure_copies(s, &post, &pw, n, m, &post_us, diag);
  *us = all.latency_us - (double)(n - 1) / n * (pre_us + post_us);
  free(ps);
  free(cs);
  return rc;
}

int advisor_stack_estimate(const advisor_space_t *s, int position, const advisor_cand_t *cand,
                           int32_t n, const advisor_measurer_t *m, double *latency_us,
                           sched_diag_t *diag) {
  const advisor_position_t *pos = &s->positions[position];
  *latency_us = 0;
  if (n < 1)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "--stack: must be at least 1, got %d", n);
  if (cand->type == ADVISOR_OP_SKIP)
    return SCHED_OK;
  if (!keeps_shape(pos, cand))
    return stack_between(s, pos, cand, n, m, latency_us, diag);
  double total_us;
  int rc = measure_copies(s, pos, cand, n, m, &total_us, diag);
  *latency_us = total_us / n;
  return rc;
}
