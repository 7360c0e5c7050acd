/* ilp.c - the plan model of strategies.h as a GLPK mixed-integer program,
 * exact on that model (the formulation style of Zheng et al., "Alpa",
 * OSDI'22, intra-operator ILP: one-hot strategy binaries per node and
 * linearised products for resharding costs; here with spills and a memory
 * row per step as in Checkmate, Jain et al., MLSys'20).
 *
 * Columns (all binary):
 *   x[l][c]      layer l runs candidate c               sum_c x[l][c] = 1
 *   s[v]         layer v's output goes through DDR      (= 1 for graph outputs)
 *   w[v][a]      x[v][a] * s[v]       (v's output written to DDR under a)
 *   r[l][i][c]   x[l][c] * s[u]       (input slot i of l, from u, read from DDR)
 * Products use the reformulation-linearisation form: sum_a w[v][a] = s[v],
 * w[v][a] <= x[v][a] (tighter than w >= x + s - 1, and exact for binaries).
 * Candidates whose products enter every row alike share one product column
 * (a class K: w[v][K] <= sum_{a in K} x[v][a]; add_product_rows).
 * Forced spills, per value v: s[v] >= sum of v's sliced candidates; and for
 * each consumer k and each output distribution d of v's unsliced candidates,
 * s[v] >= sum_{a: out(a) = d} x[v][a] + sum_{b of k: sliced or needs what d
 * cannot serve} x[k][b] - 1.
 * Streaming regions: neighbouring members choose their region candidate
 * together, and a value inside a chosen region is never spilled.
 * Objective: sum x * (cost with only graph inputs from DDR) + w * (write
 * delta) + r * (read delta), the deltas of strat_layer_objective, which is
 * linear in them. Capacity at step t: sum_c footprint * x[t][c] + for each
 * value crossing t (kept from its producer past t, not read at t) sum_a
 * bytes(v, a) * (x[v][a] - w[v][a]) <= capacity, which is what
 * strat_step_cmx_bytes counts.
 *
 * Solved by glp_simplex then glp_intopt (no presolver, so the incumbent, the
 * given one or dp's plan, can be handed to the search as a heuristic
 * solution); the time limit stops the search with the gap reported. */
#include "strategies/strategies.h"

#include <float.h>
#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

/* A layer's candidates that no row the product columns enter can tell
 * apart share one product column (see add_product_rows). */
typedef struct {
  int *of;    /* candidate -> its class */
  int *first; /* class -> its first candidate, whose coefficients it takes */
  int n;
} ilp_classes_t;

/* The continuous column of kept value v's excess at its reader t. */
typedef struct {
  int t, v, col;
} ilp_excess_t;

typedef struct {
  const strat_problem_t *p;
  glp_prob *lp;
  int *x0;  /* first x column of each layer */
  int s0;   /* s column of value 0 */
  int *w0;  /* first w column of each value, one per class of wk */
  int **r0; /* [layer][slot]: first r column (one per class of rk), 0 for graph inputs */
  ilp_classes_t *wk, *rk; /* per layer: the classes of its w and r columns */
  int *ind;               /* row scratch, 1-based as GLPK wants */
  double *val;
  int row_len, row_cap;
  ilp_excess_t *excess; /* excess columns, for the incumbent's values */
  int n_excess, cap_excess;
  /* the clock (latency objective; timeline.c for fixed prefetch windows) */
  const int32_t *prefetch; /* the windows the model is built for */
  strat_dma_item_t *items; /* the channel's items in order */
  int n_items;
  int ce0; /* CE[l]: compute end of layer l */
  int f0;  /* F[j]: the channel after item j */
  int d0;  /* D[l]: layer l's inputs in CMX (its I item's data) */
  int a0;  /* a[l]: layer l reads anything from DDR (continuous, pushed to max) */
  int b0;  /* b[l]: its I item moves anything (a DDR read or a sliced body) */
  int makespan;
  double big_m; /* bounds the channel's backlog: every item's longest duration */
} ilp_t;

/* The climb beside the MIPs (below). */
typedef struct ilp_climb ilp_climb_t;
static bool climb_beats(const ilp_climb_t *c, int64_t latency_cycles);

/* What the branch-and-cut callback needs: no globals. */
typedef struct {
  const double *incumbent; /* column values, 1-based, or NULL */
  bool offered;
  double bound;             /* root LP bound (0, trivially, before it is solved) */
  double gap;               /* best relative gap seen */
  int64_t nodes;            /* branch-and-bound nodes generated */
  int64_t node_limit;       /* stop after this many (0: none) */
  const ilp_t *model;       /* for branching on spills first, else NULL */
  const ilp_climb_t *climb; /* stop once it has ended faster than ... */
  int64_t climb_must_beat;  /* ... this, the incumbent's latency (NULL climb: never) */
} ilp_search_t;

static bool sliced(const strat_problem_t *p, int layer, int cand) {
  const strat_candidate_t *c = &p->layers[layer].cands[cand];
  return tiling_streams_ddr(&c->choice, &c->cost);
}

/* Candidate a of v streams with v's consumer inside one region: its output
 * stays in CMX (the region rows make the consumer follow). */
static bool region_internal(const strat_problem_t *p, int v, int a) {
  int region = p->layers[v].cands[a].region;
  if (region < 0)
    return false;
  const tiling_region_t *r = &p->regions[region];
  return v < r->first + r->n_ops - 1;
}

static tiling_dist_t out_dist(const strat_problem_t *p, int layer, int cand) {
  return tiling_output_dist(p->layers[layer].cands[cand].choice.strategy);
}

static tiling_dist_t in_dist(const strat_problem_t *p, int layer, int cand) {
  return tiling_input_dist(p->layers[layer].cands[cand].choice.strategy);
}

/* ---- building rows ---- */

static void row_begin(ilp_t *m) { m->row_len = 0; }

static void row_add(ilp_t *m, int col, double coef) {
  if (m->row_len + 2 > m->row_cap) {
    m->row_cap = 2 * (m->row_cap + 8);
    m->ind = sched_xrealloc(m->ind, (size_t)m->row_cap * sizeof *m->ind);
    m->val = sched_xrealloc(m->val, (size_t)m->row_cap * sizeof *m->val);
  }
  m->row_len++;
  m->ind[m->row_len] = col;
  m->val[m->row_len] = coef;
}

static void row_end(ilp_t *m, int type, double lb, double ub, const char *name) {
  int row = glp_add_rows(m->lp, 1);
  glp_set_row_name(m->lp, row, name);
  glp_set_row_bnds(m->lp, row, type, lb, ub);
  glp_set_mat_row(m->lp, row, m->row_len, m->ind, m->val);
}

static int add_binaries(ilp_t *m, int n, const char *prefix, int a, int b) {
  int first = glp_add_cols(m->lp, n);
  for (int i = 0; i < n; i++) {
    char name[64];
    if (b < 0)
      snprintf(name, sizeof name, "%s_%d_%d", prefix, a, i);
    else
      snprintf(name, sizeof name, "%s_%d_%d_%d", prefix, a, b, i);
    glp_set_col_name(m->lp, first + i, name);
    glp_set_col_kind(m->lp, first + i, GLP_BV);
  }
  return first;
}

/* ---- columns and objective ---- */

static int64_t read_delta(const strat_problem_t *p, int layer, int cand) {
  return strat_layer_objective(p, layer, cand, 1, false) -
         strat_layer_objective(p, layer, cand, 0, false);
}

static int64_t write_delta(const strat_problem_t *p, int layer, int cand) {
  return strat_layer_objective(p, layer, cand, 0, true) -
         strat_layer_objective(p, layer, cand, 0, false);
}

static bool writes_output(const strat_problem_t *p, int l, int c) {
  return !sliced(p, l, c) && p->layers[l].cands[c].cost.output_dma_cycles > 0;
}

/* The column of candidate c's class (its family starting at col0) when c
 * is the first of that class, else 0: rows built candidate by candidate
 * add each class's column once. */
static int class_col(const ilp_classes_t *k, int col0, int c) {
  return k->first[k->of[c]] == c ? col0 + k->of[c] : 0;
}

static void add_columns(ilp_t *m) {
  const strat_problem_t *p = m->p;
  for (int l = 0; l < p->n_layers; l++) {
    int n = p->layers[l].n_cands;
    m->x0[l] = add_binaries(m, n, "x", l, -1);
    for (int c = 0; c < n; c++)
      glp_set_obj_coef(
          m->lp, m->x0[l] + c,
          (double)strat_layer_objective(p, l, c, p->layers[l].n_inputs_from_graph, false));
  }
  m->s0 = add_binaries(m, p->n_layers, "s", 0, -1);
  for (int v = 0; v < p->n_layers; v++) {
    if (p->values[v].graph_output)
      glp_set_col_bnds(m->lp, m->s0 + v, GLP_FX, 1, 1);
    const ilp_classes_t *k = &m->wk[v];
    m->w0[v] = add_binaries(m, k->n, "w", v, -1);
    for (int a = 0; a < k->n; a++)
      glp_set_obj_coef(m->lp, m->w0[v] + a, (double)write_delta(p, v, k->first[a]));
  }
  for (int l = 0; l < p->n_layers; l++) {
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      if (p->g->tensors[op->inputs[i]].producer < 0)
        continue;
      const ilp_classes_t *k = &m->rk[l];
      m->r0[l][i] = add_binaries(m, k->n, "r", l, i);
      for (int c = 0; c < k->n; c++)
        glp_set_obj_coef(m->lp, m->r0[l][i] + c, (double)read_delta(p, l, k->first[c]));
    }
  }
}

/* ---- rows ---- */

/* sum_K prod[K] = s, prod[K] <= sum_{c in K} x[c]: prod[K] = s * (x in K)
 * for binaries. Its LP relaxation is that of a column per candidate
 * (prod[c] <= x[c]; split prod[K] over K in proportion to x) with far fewer
 * rows and columns: ResNet-50 at 1MB: 2227 candidates, 1143 w classes. */
static void add_product_rows(ilp_t *m, int prod0, const ilp_classes_t *k, int x0, int n_cands,
                             int s, const char *name) {
  char buf[64];
  row_begin(m);
  for (int c = 0; c < k->n; c++)
    row_add(m, prod0 + c, 1);
  row_add(m, s, -1);
  row_end(m, GLP_FX, 0, 0, name);
  for (int c = 0; c < k->n; c++) {
    row_begin(m);
    row_add(m, prod0 + c, 1);
    for (int a = 0; a < n_cands; a++)
      if (k->of[a] == c)
        row_add(m, x0 + a, -1);
    snprintf(buf, sizeof buf, "%s_le_x_%d", name, c);
    row_end(m, GLP_UP, 0, 0, buf);
  }
}

static void add_link_rows(ilp_t *m) {
  const strat_problem_t *p = m->p;
  char name[64];
  for (int l = 0; l < p->n_layers; l++) {
    row_begin(m);
    for (int c = 0; c < p->layers[l].n_cands; c++)
      row_add(m, m->x0[l] + c, 1);
    snprintf(name, sizeof name, "one_%d", l);
    row_end(m, GLP_FX, 1, 1, name);
    snprintf(name, sizeof name, "w_%d", l);
    add_product_rows(m, m->w0[l], &m->wk[l], m->x0[l], p->layers[l].n_cands, m->s0 + l, name);
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      int u = p->g->tensors[op->inputs[i]].producer;
      if (u < 0)
        continue;
      snprintf(name, sizeof name, "r_%d_%d", l, i);
      add_product_rows(m, m->r0[l][i], &m->rk[l], m->x0[l], p->layers[l].n_cands, m->s0 + u, name);
    }
  }
}

/* s[v] >= sum over v's candidates a with out(a) == d (or sliced a when
 * d == DIST_COUNT) of x[v][a] + sum over k's candidates that cannot read it
 * of x[k][b] - 1 (k < 0: no consumer term and no -1). */
static void add_forced_row(ilp_t *m, int v, tiling_dist_t d, int k) {
  const strat_problem_t *p = m->p;
  row_begin(m);
  row_add(m, m->s0 + v, 1);
  int n_prod = 0, n_cons = 0;
  for (int a = 0; a < p->layers[v].n_cands; a++) {
    bool match = d == DIST_COUNT ? sliced(p, v, a) && !region_internal(p, v, a)
                                 : !sliced(p, v, a) && out_dist(p, v, a) == d;
    if (match) {
      row_add(m, m->x0[v] + a, -1);
      n_prod++;
    }
  }
  for (int b = 0; k >= 0 && b < p->layers[k].n_cands; b++) {
    if (sliced(p, k, b) || !tiling_dist_compatible(d, in_dist(p, k, b))) {
      row_add(m, m->x0[k] + b, -1);
      n_cons++;
    }
  }
  if (n_prod == 0 || (k >= 0 && n_cons == 0))
    return; /* never binds */
  char name[64];
  snprintf(name, sizeof name, "forced_%d_%d_%d", v, (int)d, k);
  row_end(m, GLP_LO, k >= 0 ? -1 : 0, 0, name);
}

static void add_forced_rows(ilp_t *m) {
  const strat_problem_t *p = m->p;
  for (int v = 0; v < p->n_layers; v++) {
    const strat_value_t *val = &p->values[v];
    if (val->graph_output)
      continue; /* s fixed to 1 */
    add_forced_row(m, v, DIST_COUNT, -1);
    for (int i = 0; i < val->n_consumers; i++) {
      if (i > 0 && val->consumers[i] == val->consumers[i - 1])
        continue;
      for (int d = 0; d < DIST_COUNT; d++)
        add_forced_row(m, v, (tiling_dist_t)d, val->consumers[i]);
    }
  }
}

static bool reads(const strat_value_t *val, int layer) {
  for (int i = 0; i < val->n_consumers; i++)
    if (val->consumers[i] == layer)
      return true;
  return false;
}

/* Kept value v's hold under candidate a, capped: a value larger than CMX
 * cannot stay, whatever else; the cap keeps the matrix well conditioned. */
static int64_t hold_bytes(const strat_problem_t *p, int v, int a) {
  return SCHED_MIN(strat_value_hold_bytes(p, v, a), p->capacity_bytes + 1);
}

/* Adds hold(v, a) * (x[v][a] - w[v][a]) * scale for every candidate a of v
 * (the bytes v holds when kept); returns the largest term. */
static int64_t add_kept_terms(ilp_t *m, int v, double scale) {
  int64_t largest = 0;
  for (int a = 0; a < m->p->layers[v].n_cands; a++) {
    int64_t bytes = hold_bytes(m->p, v, a);
    row_add(m, m->x0[v] + a, scale * (double)bytes);
    int w = class_col(&m->wk[v], m->w0[v], a);
    if (w)
      row_add(m, w, -scale * (double)bytes);
    largest = SCHED_MAX(largest, bytes);
  }
  return largest;
}

/* e >= sum_a hold(v, a) * kept(v, a) - sum_c share(t, c, v) * x[t][c], e >= 0:
 * at its reader t, kept value v adds what its hold exceeds t's count of it
 * (exact: e only appears in capacity rows, which push it down). */
static int add_excess_column(ilp_t *m, int t, int v) {
  const strat_problem_t *p = m->p;
  int col = glp_add_cols(m->lp, 1);
  char name[64];
  snprintf(name, sizeof name, "e_%d_%d", t, v);
  glp_set_col_name(m->lp, col, name);
  glp_set_col_bnds(m->lp, col, GLP_LO, 0, 0);
  row_begin(m);
  row_add(m, col, 1);
  add_kept_terms(m, v, -1);
  for (int c = 0; c < p->layers[t].n_cands; c++)
    row_add(m, m->x0[t] + c, (double)strat_read_share_bytes(p, t, c, v));
  snprintf(name, sizeof name, "excess_%d_%d", t, v);
  row_end(m, GLP_LO, 0, 0, name);
  sched_grow((void **)&m->excess, &m->cap_excess, m->n_excess + 1, sizeof *m->excess);
  m->excess[m->n_excess++] = (ilp_excess_t){t, v, col};
  return col;
}

/* Whether kept value v is in CMX at step t and read there (not in place). */
static bool read_at(const strat_problem_t *p, const strat_value_t *val, int t) {
  return reads(val, t) && p->g->ops[p->layers[t].op].kind != IR_OP_CONCAT;
}

/* Whether kept value v occupies its whole hold at step t > v. */
static bool held_whole_at(const strat_problem_t *p, const strat_value_t *val, int t) {
  if (!reads(val, t))
    return val->last_use > t;
  return !read_at(p, val, t) && val->last_use > t; /* a concat reader, read again later */
}

/* The capacity row of step t (strat_step_cmx_bytes, linear): the step's
 * footprint, its own output's hold beyond what it writes, the hold of kept
 * values crossing t, and excess columns for kept values t reads. */
static void add_capacity_row(ilp_t *m, int t) {
  const strat_problem_t *p = m->p;
  int n_reads = 0, *read_cols = sched_xcalloc(IR_MAX_INPUTS, sizeof *read_cols);
  int64_t most = 0, largest = 0;
  for (int v = 0; v < t; v++)
    if (!p->values[v].graph_output && read_at(p, &p->values[v], t) && n_reads < IR_MAX_INPUTS)
      read_cols[n_reads++] = add_excess_column(m, t, v);
  row_begin(m);
  bool kept_output = p->values[t].n_consumers > 0 && !p->values[t].graph_output;
  for (int c = 0; c < p->layers[t].n_cands; c++) {
    const tiling_footprint_t *f = &p->layers[t].cands[c].cost.footprint;
    int64_t beyond = kept_output ? strat_value_hold_bytes(p, t, c) - f->output_bytes : 0;
    beyond = SCHED_MAX(beyond, 0);
    row_add(m, m->x0[t] + c, (double)(f->total_bytes + beyond));
    int w = class_col(&m->wk[t], m->w0[t], c);
    if (beyond > 0 && w) /* only while the output is kept: minus w = x * s */
      row_add(m, w, -(double)beyond);
    largest = SCHED_MAX(largest, f->total_bytes + beyond);
  }
  most += largest;
  for (int v = 0; v < t; v++) {
    const strat_value_t *val = &p->values[v];
    if (!val->graph_output && held_whole_at(p, val, t))
      most += add_kept_terms(m, v, 1);
  }
  for (int i = 0; i < n_reads; i++) {
    row_add(m, read_cols[i], 1);
    most += p->capacity_bytes + 1; /* bounded by the value's hold */
  }
  /* windows that reach back start in layer order; zero windows skipped */
  for (int k = t + 1; m->prefetch && k < p->n_layers; k++) {
    if (m->prefetch[k] == 0)
      continue;
    if (k - m->prefetch[k] > t)
      break;
    int64_t largest_w = 0; /* weights prefetched over step t */
    for (int c = 0; c < p->layers[k].n_cands; c++) {
      int64_t bytes = strat_prefetch_bytes(p, k, c);
      if (bytes > 0)
        row_add(m, m->x0[k] + c, (double)bytes);
      largest_w = SCHED_MAX(largest_w, bytes);
    }
    most += largest_w;
  }
  free(read_cols);
  if (most <= p->capacity_bytes)
    return;
  char name[64];
  snprintf(name, sizeof name, "cmx_%d", t);
  row_end(m, GLP_UP, 0, (double)p->capacity_bytes, name);
}

/* Region r is all-or-nothing: each pair of neighbouring members chooses
 * its region candidate together; and a value inside a chosen region never
 * spills (s[v] + x[v][a] <= 1 for its internal candidates). */
static void add_region_rows(ilp_t *m, int region) {
  const strat_problem_t *p = m->p;
  const tiling_region_t *r = &p->regions[region];
  for (int v = r->first; v < r->first + r->n_ops - 1; v++) {
    char name[64];
    row_begin(m);
    for (int k = 0; k < 2; k++)
      for (int c = 0; c < p->layers[v + k].n_cands; c++)
        if (p->layers[v + k].cands[c].region == region)
          row_add(m, m->x0[v + k] + c, k == 0 ? 1 : -1);
    snprintf(name, sizeof name, "region_%d_%d", region, v);
    row_end(m, GLP_FX, 0, 0, name);
    row_begin(m);
    row_add(m, m->s0 + v, 1);
    for (int c = 0; c < p->layers[v].n_cands; c++)
      if (p->layers[v].cands[c].region == region)
        row_add(m, m->x0[v] + c, 1);
    snprintf(name, sizeof name, "region_keep_%d_%d", region, v);
    row_end(m, GLP_UP, 0, 1, name);
  }
}

/* ---- the clock: timeline.c's recurrence as a longest path ---- */

static int add_time_columns(ilp_t *m, int n, const char *prefix, double ub) {
  int first = glp_add_cols(m->lp, n);
  for (int i = 0; i < n; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s_%d", prefix, i);
    glp_set_col_name(m->lp, first + i, name);
    glp_set_col_bnds(m->lp, first + i, ub > 0 ? GLP_DB : GLP_LO, 0, ub);
  }
  return first;
}

/* Per candidate, what timeline.c's strat_layer_terms gives (inputs_from_ddr
 * and spill enter through r and w columns). */
typedef struct {
  int64_t weight_xfer, input_xfer, output_xfer, compute, body;
  bool has_weights;
} ilp_terms_t;

static ilp_terms_t cand_terms(const strat_problem_t *p, int l, int c) {
  const strat_candidate_t *k = &p->layers[l].cands[c];
  int64_t lat = strat_dma_latency_cycles(p);
  int n_inputs = SCHED_MAX(p->g->ops[p->layers[l].op].n_inputs, 1);
  int64_t weights = strat_weight_item_cycles(p, l, c);
  ilp_terms_t t = {.weight_xfer = weights - SCHED_MIN(lat, weights), .has_weights = weights > 0};
  if (sliced(p, l, c)) {
    t.body = strat_body_cycles(p, l, c);
    return t;
  }
  int64_t in = k->cost.input_dma_cycles / n_inputs, out = k->cost.output_dma_cycles;
  t.input_xfer = in - SCHED_MIN(lat, in);
  t.output_xfer = out - SCHED_MIN(lat, out);
  t.compute = k->cost.compute_cycles;
  return t;
}

/* Whether any candidate of layer l loads weights before its compute. */
static bool has_weights(const strat_problem_t *p, int l) {
  for (int c = 0; c < p->layers[l].n_cands; c++)
    if (strat_weight_item_cycles(p, l, c) > 0)
      return true;
  return false;
}

/* Adds sign * (the item's duration, and its latency when it moves
 * anything if with_latency; an I item's latency is a[l]'s) to the row. */
static void add_duration(ilp_t *m, const strat_dma_item_t *it, double sign, bool with_latency) {
  double lat = with_latency ? (double)strat_dma_latency_cycles(m->p) : 0;
  const strat_problem_t *p = m->p;
  int l = it->layer;
  const ir_op_t *op = &p->g->ops[p->layers[l].op];
  for (int c = 0; c < p->layers[l].n_cands; c++) {
    ilp_terms_t t = cand_terms(p, l, c);
    if (it->kind == STRAT_DMA_WEIGHTS && t.has_weights)
      row_add(m, m->x0[l] + c, sign * ((double)t.weight_xfer + lat));
    int w = class_col(&m->wk[l], m->w0[l], c);
    if (it->kind == STRAT_DMA_OUTPUT && writes_output(p, l, c) && w)
      row_add(m, w, sign * ((double)t.output_xfer + lat));
    if (it->kind != STRAT_DMA_INPUT)
      continue;
    double graph = (double)p->layers[l].n_inputs_from_graph * (double)t.input_xfer;
    if (t.body + graph != 0)
      row_add(m, m->x0[l] + c, sign * ((double)t.body + graph));
    for (int i = 0; i < op->n_inputs && t.input_xfer; i++) {
      int r = m->r0[l][i] ? class_col(&m->rk[l], m->r0[l][i], c) : 0;
      if (r)
        row_add(m, r, sign * (double)t.input_xfer);
    }
  }
}

/* row: col - sum >= rhs, as GLP_LO */
static void row_done(ilp_t *m, double rhs, const char *what, int i) {
  char name[64];
  snprintf(name, sizeof name, "%s_%d", what, i);
  row_end(m, GLP_LO, rhs, 0, name);
}

/* F[j] >= F[j-1] + dur and F[j] >= CE[release] + lat + dur (W, S); for I
 * the data D[l] instead, and F[j] >= D[l]. */
static void add_item_rows(ilp_t *m, int j) {
  const strat_problem_t *p = m->p;
  const strat_dma_item_t *it = &m->items[j];
  int l = it->layer;
  int rel = it->release_layer;
  if (it->kind == STRAT_DMA_WEIGHTS && !has_weights(p, l)) {
    row_begin(m); /* empty: the channel passes on */
    row_add(m, m->f0 + j, 1);
    if (j > 0)
      row_add(m, m->f0 + j - 1, -1);
    row_done(m, 0, "chan", j);
    return;
  }
  int target = it->kind == STRAT_DMA_INPUT ? m->d0 + l : m->f0 + j;
  /* after the item before it */
  row_begin(m);
  row_add(m, target, 1);
  if (j > 0)
    row_add(m, m->f0 + j - 1, -1);
  add_duration(m, it, -1, false);
  if (it->kind == STRAT_DMA_INPUT) /* only when it moves anything */
    row_add(m, m->b0 + l, -m->big_m);
  row_done(m, it->kind == STRAT_DMA_INPUT ? -m->big_m : 0, "queue", j);
  /* after its release */
  row_begin(m);
  row_add(m, target, 1);
  if (rel >= 0)
    row_add(m, m->ce0 + rel, -1);
  add_duration(m, it, -1, true);
  if (it->kind == STRAT_DMA_INPUT)
    row_add(m, m->a0 + l, -(double)strat_dma_latency_cycles(p));
  row_done(m, 0, "release", j);
  if (it->kind != STRAT_DMA_INPUT)
    return;
  row_begin(m); /* the channel: after the item before and after this one */
  row_add(m, m->f0 + j, 1);
  if (j > 0)
    row_add(m, m->f0 + j - 1, -1);
  add_duration(m, it, -1, false);
  row_done(m, 0, "chan", j);
  row_begin(m);
  row_add(m, m->f0 + j, 1);
  row_add(m, m->d0 + l, -1);
  row_done(m, 0, "chan_d", j);
}

/* A spill's read is issued once its write has ended (strategies/timeline.c):
 * per input slot of l from a layer u, D[l] >= F[S(u)] + l's input terms +
 * latency x W_u (W_u: the sum of u's w columns that write, 1 when S(u)
 * moves anything). Without the latency it follows from the queue row, as
 * S(u) comes before I(l) on the channel, so like that row it is relaxed by
 * big-M only when I(l) moves nothing (b[l] = 0, and then W_u = 0). */
static void add_spill_read_rows(ilp_t *m, int l, const int *output_item) {
  const strat_problem_t *p = m->p;
  const ir_op_t *op = &p->g->ops[p->layers[l].op];
  const strat_dma_item_t *input = NULL;
  for (int j = 0; j < m->n_items && !input; j++)
    if (m->items[j].kind == STRAT_DMA_INPUT && m->items[j].layer == l)
      input = &m->items[j];
  for (int i = 0; i < op->n_inputs; i++) {
    int u = p->g->tensors[op->inputs[i]].producer;
    if (u < 0 || !m->r0[l][i])
      continue;
    row_begin(m);
    row_add(m, m->d0 + l, 1);
    row_add(m, m->f0 + output_item[u], -1);
    add_duration(m, input, -1, false);
    for (int a = 0; a < p->layers[u].n_cands; a++) {
      int w = class_col(&m->wk[u], m->w0[u], a);
      if (writes_output(p, u, a) && w)
        row_add(m, w, -(double)strat_dma_latency_cycles(p));
    }
    row_add(m, m->b0 + l, -m->big_m);
    row_done(m, -m->big_m, "spill_read", 16 * l + i);
  }
}

/* a[l] >= sum_c r[l][i][c] per input slot from a layer; 1 with a graph input. */
static void add_reads_rows(ilp_t *m, int l) {
  const strat_problem_t *p = m->p;
  const ir_op_t *op = &p->g->ops[p->layers[l].op];
  if (p->layers[l].n_inputs_from_graph > 0)
    glp_set_col_bnds(m->lp, m->a0 + l, GLP_FX, 1, 1);
  char name[64];
  row_begin(m); /* b >= a, b >= sliced */
  row_add(m, m->b0 + l, 1);
  row_add(m, m->a0 + l, -1);
  row_done(m, 0, "b_a", l);
  row_begin(m);
  row_add(m, m->b0 + l, 1);
  for (int c = 0; c < p->layers[l].n_cands; c++)
    if (sliced(p, l, c))
      row_add(m, m->x0[l] + c, -1);
  row_done(m, 0, "b_sliced", l);
  for (int i = 0; i < op->n_inputs; i++) {
    if (!m->r0[l][i])
      continue;
    row_begin(m);
    row_add(m, m->a0 + l, 1);
    for (int c = 0; c < m->rk[l].n; c++)
      row_add(m, m->r0[l][i] + c, -1);
    snprintf(name, sizeof name, "reads_%d_%d", l, i);
    row_end(m, GLP_LO, 0, 0, name);
  }
}

/* CE[l] >= CE[l-1], D[l], its weights' end; each + compute. */
static void add_compute_rows(ilp_t *m, int l, const int *weight_item) {
  const strat_problem_t *p = m->p;
  int after[3] = {l > 0 ? m->ce0 + l - 1 : 0, m->d0 + l,
                  has_weights(p, l) ? m->f0 + weight_item[l] : 0};
  for (int k = 0; k < 3; k++) {
    if (k != 1 && after[k] == 0)
      continue;
    row_begin(m);
    row_add(m, m->ce0 + l, 1);
    row_add(m, after[k], -1);
    for (int c = 0; c < p->layers[l].n_cands; c++) {
      int64_t comp = cand_terms(p, l, c).compute;
      if (comp)
        row_add(m, m->x0[l] + c, -(double)comp);
    }
    row_done(m, 0, "compute", 3 * l + k);
  }
}

/* The latency objective: the makespan of the clock for m->prefetch. */
static void add_clock(ilp_t *m) {
  const strat_problem_t *p = m->p;
  int n = p->n_layers;
  m->items = sched_xmalloc((size_t)3 * n * sizeof *m->items);
  m->n_items = strat_dma_items(p, m->prefetch, m->items);
  m->big_m = 0;
  for (int l = 0; l < n; l++) {
    int64_t longest = 0;
    for (int c = 0; c < p->layers[l].n_cands; c++) {
      ilp_terms_t t = cand_terms(p, l, c);
      int n_in = SCHED_MAX(p->g->ops[p->layers[l].op].n_inputs, 1);
      longest = SCHED_MAX(longest,
                          t.weight_xfer + t.output_xfer + t.body + n_in * t.input_xfer + t.compute);
    }
    m->big_m += (double)(longest + 3 * strat_dma_latency_cycles(p));
  }
  m->ce0 = add_time_columns(m, n, "ce", 0);
  m->f0 = add_time_columns(m, m->n_items, "f", 0);
  m->d0 = add_time_columns(m, n, "d", 0);
  m->a0 = add_time_columns(m, n, "a", 1);
  m->b0 = add_time_columns(m, n, "b", 1);
  m->makespan = add_time_columns(m, 1, "makespan", 0);
  glp_set_obj_coef(m->lp, m->makespan, 1);
  int *weight_item = sched_xcalloc((size_t)n, sizeof *weight_item);
  int *output_item = sched_xcalloc((size_t)n, sizeof *output_item);
  for (int j = 0; j < m->n_items; j++) {
    if (m->items[j].kind == STRAT_DMA_WEIGHTS)
      weight_item[m->items[j].layer] = j;
    if (m->items[j].kind == STRAT_DMA_OUTPUT)
      output_item[m->items[j].layer] = j;
  }
  for (int l = 0; l < n; l++)
    add_reads_rows(m, l);
  for (int j = 0; j < m->n_items; j++)
    add_item_rows(m, j);
  for (int l = 0; l < n; l++)
    add_compute_rows(m, l, weight_item);
  for (int l = 0; l < n; l++)
    add_spill_read_rows(m, l, output_item);
  int ends[2] = {m->ce0 + n - 1, m->f0 + m->n_items - 1};
  for (int k = 0; k < 2; k++) {
    row_begin(m);
    row_add(m, m->makespan, 1);
    row_add(m, ends[k], -1);
    row_done(m, 0, "makespan", k);
  }
  free(weight_item);
  free(output_item);
}

/* ---- model lifetime ---- */

/* A write (reading, for r) needs its own column only where its
 * coefficients differ: the bytes it frees in capacity and excess rows, its
 * DMA's duration and latency, its objective delta. */
enum { ILP_KEY_LEN = 5 };

static void write_key(const strat_problem_t *p, int v, int a, int64_t key[ILP_KEY_LEN]) {
  key[0] = hold_bytes(p, v, a);
  key[1] = strat_value_hold_bytes(p, v, a) - p->layers[v].cands[a].cost.footprint.output_bytes;
  key[2] = cand_terms(p, v, a).output_xfer;
  key[3] = writes_output(p, v, a);
  key[4] = write_delta(p, v, a);
}

static void read_key(const strat_problem_t *p, int l, int c, int64_t key[ILP_KEY_LEN]) {
  key[0] = cand_terms(p, l, c).input_xfer;
  key[1] = read_delta(p, l, c);
  key[2] = key[3] = key[4] = 0;
}

static void classes_init(ilp_classes_t *k, const strat_problem_t *p, int l,
                         void (*key_of)(const strat_problem_t *, int, int, int64_t *)) {
  int n = p->layers[l].n_cands;
  int64_t(*key)[ILP_KEY_LEN] = sched_xcalloc((size_t)SCHED_MAX(n, 1), sizeof *key);
  *k = (ilp_classes_t){.of = sched_xcalloc((size_t)SCHED_MAX(n, 1), sizeof *k->of),
                       .first = sched_xcalloc((size_t)SCHED_MAX(n, 1), sizeof *k->first)};
  for (int a = 0; a < n; a++) {
    key_of(p, l, a, key[a]);
    int c = 0;
    while (c < k->n && memcmp(key[k->first[c]], key[a], sizeof key[a]) != 0)
      c++;
    if (c == k->n)
      k->first[k->n++] = a;
    k->of[a] = c;
  }
  free(key);
}

static void ilp_init(ilp_t *m, const strat_problem_t *p, const int32_t *prefetch) {
  *m = (ilp_t){.p = p, .prefetch = prefetch};
  int n = SCHED_MAX(p->n_layers, 1);
  m->x0 = sched_xcalloc((size_t)n, sizeof *m->x0);
  m->w0 = sched_xcalloc((size_t)n, sizeof *m->w0);
  m->r0 = sched_xcalloc((size_t)n, sizeof *m->r0);
  m->wk = sched_xcalloc((size_t)n, sizeof *m->wk);
  m->rk = sched_xcalloc((size_t)n, sizeof *m->rk);
  for (int l = 0; l < p->n_layers; l++) {
    m->r0[l] = sched_xcalloc(IR_MAX_INPUTS, sizeof **m->r0);
    classes_init(&m->wk[l], p, l, write_key);
    classes_init(&m->rk[l], p, l, read_key);
  }
  m->lp = glp_create_prob();
  char name[SCHED_GLPK_NAME_MAX + 1]; /* a net's name may hold anything */
  sched_glpk_name(p->g->name ? p->g->name : "plan", name);
  glp_set_prob_name(m->lp, name);
  glp_set_obj_dir(m->lp, GLP_MIN);
  add_columns(m);
  add_link_rows(m);
  add_forced_rows(m);
  for (int r = 0; r < p->n_regions; r++)
    add_region_rows(m, r);
  for (int t = 0; t < p->n_layers; t++)
    add_capacity_row(m, t);
  if (p->objective == STRAT_OBJECTIVE_LATENCY) {
    add_clock(m);
    /* the clock replaces the sum, which stays as a tie-break below one
     * cycle in total: among plans of equal latency, less serial work and
     * DDR traffic (off the critical path, the makespan does not care) */
    double tie = 0.25 / SCHED_MAX(m->big_m, 1.0);
    for (int c = 1; c < m->ce0; c++)
      glp_set_obj_coef(m->lp, c, tie * glp_get_obj_coef(m->lp, c));
  }
}

static void classes_free(ilp_classes_t *k) {
  free(k->of);
  free(k->first);
}

static void ilp_free(ilp_t *m) {
  if (m->lp)
    glp_delete_prob(m->lp);
  for (int l = 0; m->r0 && l < m->p->n_layers; l++) {
    free(m->r0[l]);
    classes_free(&m->wk[l]);
    classes_free(&m->rk[l]);
  }
  free(m->wk);
  free(m->rk);
  free(m->r0);
  free(m->x0);
  free(m->w0);
  free(m->ind);
  free(m->val);
  free(m->excess);
  free(m->items);
}

static void clock_columns(const ilp_t *m, const strat_plan_t *plan, double *cols);

/* Column values (1-based) of a plan, for the search's incumbent. */
static double *plan_columns(const ilp_t *m, const strat_plan_t *plan) {
  const strat_problem_t *p = m->p;
  double *cols = sched_xcalloc((size_t)glp_get_num_cols(m->lp) + 1, sizeof *cols);
  for (int l = 0; l < p->n_layers; l++) {
    int c = plan->cand[l];
    cols[m->x0[l] + c] = 1;
    cols[m->s0 + l] = plan->spilled[l];
    cols[m->w0[l] + m->wk[l].of[c]] = plan->spilled[l];
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      int u = p->g->tensors[op->inputs[i]].producer;
      if (u >= 0)
        cols[m->r0[l][i] + m->rk[l].of[c]] = plan->spilled[u];
    }
  }
  for (int i = 0; i < m->n_excess; i++) {
    const ilp_excess_t *e = &m->excess[i];
    int64_t hold = plan->spilled[e->v] ? 0 : hold_bytes(p, e->v, plan->cand[e->v]);
    cols[e->col] =
        (double)SCHED_MAX(0, hold - strat_read_share_bytes(p, e->t, plan->cand[e->t], e->v));
  }
  if (m->items)
    clock_columns(m, plan, cols);
  return cols;
}

/* The clock columns of a plan, as the rows above compute them. */
static void clock_columns(const ilp_t *m, const strat_plan_t *plan, double *cols) {
  const strat_problem_t *p = m->p;
  int n = p->n_layers;
  int64_t lat = strat_dma_latency_cycles(p);
  strat_layer_terms_t *t = sched_xmalloc((size_t)n * sizeof *t);
  double *ce = sched_xcalloc((size_t)n, sizeof *ce), *we = sched_xcalloc((size_t)n, sizeof *we);
  double *d = sched_xcalloc((size_t)n, sizeof *d), f = 0;
  double *written = sched_xcalloc((size_t)n, sizeof *written); /* S[l]'s end, 0: none */
  for (int l = 0; l < n; l++) {
    strat_layer_terms(p, plan, l, &t[l]);
    bool sl = sliced(p, l, plan->cand[l]);
    cols[m->a0 + l] = strat_layer_inputs_from_ddr(p, plan, l) > 0;
    cols[m->b0 + l] = cols[m->a0 + l] > 0 || sl;
  }
  int computed = 0;
  for (int j = 0; j < m->n_items; j++) {
    const strat_dma_item_t *it = &m->items[j];
    for (; computed <= it->release_layer; computed++) {
      int l = computed;
      double start = SCHED_MAX(l > 0 ? ce[l - 1] : 0, SCHED_MAX(d[l], we[l]));
      ce[l] = start + (double)t[l].compute_cycles;
    }
    double rel = it->release_layer >= 0 ? ce[it->release_layer] : 0;
    const strat_layer_terms_t *k = &t[it->layer];
    int l = it->layer;
    if (it->kind == STRAT_DMA_WEIGHTS) {
      if (has_weights(p, l)) /* the rows' values; an empty item passes the channel on */
        f = SCHED_MAX(f + (double)k->weight_xfer_cycles,
                      rel + (k->has_weights ? (double)lat : 0) + (double)k->weight_xfer_cycles);
      we[l] = has_weights(p, l) ? f : 0;
    } else if (it->kind == STRAT_DMA_OUTPUT) {
      double dur = (double)k->output_xfer_cycles;
      f = SCHED_MAX(f + dur, rel + (k->has_output ? (double)lat : 0) + dur);
      written[l] = k->has_output ? f : 0;
    } else {
      double dur = (double)(k->input_xfer_cycles + k->body_cycles);
      const ir_op_t *op = &p->g->ops[p->layers[l].op];
      for (int i = 0; i < op->n_inputs; i++) { /* a spill is read once written */
        int u = p->g->tensors[op->inputs[i]].producer;
        if (u >= 0 && plan->spilled[u])
          rel = SCHED_MAX(rel, written[u]);
      }
      d[l] = rel + cols[m->a0 + l] * (double)lat + dur;
      if (cols[m->b0 + l] > 0)
        d[l] = SCHED_MAX(d[l], f + dur);
      f = SCHED_MAX(f + dur, d[l]);
    }
    cols[m->f0 + j] = f;
  }
  for (; computed < n; computed++) {
    int l = computed;
    ce[l] = SCHED_MAX(l > 0 ? ce[l - 1] : 0, SCHED_MAX(d[l], we[l])) + (double)t[l].compute_cycles;
  }
  for (int l = 0; l < n; l++) {
    cols[m->ce0 + l] = ce[l];
    cols[m->d0 + l] = d[l];
  }
  cols[m->makespan] = SCHED_MAX(ce[n - 1], f);
  free(t);
  free(ce);
  free(we);
  free(d);
  free(written);
}

/* ---- search ---- */

/* Branches on the fractional spill column with the largest fractionality
 * times its value's lifetime in steps (a value held longer relieves more
 * capacity rows), rounding towards its value; GLPK's rule when none is left.
 * The LP's looseness is in the spills: with the incumbent's spills fixed,
 * the root gap of ResNet-18, ResNet-50 and YOLOv3-tiny at 1MB drops from
 * 5.9-9.1% to 0.2-0.5%. */
static void branch_on_spill(glp_tree *tree, const ilp_t *m) {
  glp_prob *lp = glp_ios_get_prob(tree);
  int best = 0;
  double best_score = 0;
  for (int v = 0; v < m->p->n_layers; v++) {
    int col = m->s0 + v;
    if (!glp_ios_can_branch(tree, col))
      continue;
    double value = glp_get_col_prim(lp, col);
    double score = SCHED_MIN(value, 1 - value) * (1 + m->p->values[v].last_use - v);
    if (score > best_score) {
      best_score = score;
      best = col;
    }
  }
  if (best)
    glp_ios_branch_upon(tree, best, glp_get_col_prim(lp, best) < 0.5 ? GLP_DN_BRNCH : GLP_UP_BRNCH);
}

static void ilp_callback(glp_tree *tree, void *info) {
  ilp_search_t *s = info;
  if (s->model && glp_ios_reason(tree) == GLP_IBRANCH)
    branch_on_spill(tree, s->model);
  int generated;
  glp_ios_tree_size(tree, NULL, NULL, &generated);
  if (s->node_limit > 0 && generated >= s->node_limit)
    glp_ios_terminate(tree); /* deterministic, unlike the time limit */
  if (s->climb && climb_beats(s->climb, s->climb_must_beat))
    glp_ios_terminate(tree); /* its result is dropped whenever it would end */
  if (glp_ios_reason(tree) == GLP_IHEUR && s->incumbent && !s->offered) {
    s->offered = true;
    glp_ios_heur_sol(tree, s->incumbent);
  }
  double gap = glp_ios_mip_gap(tree);
  if (gap < s->gap)
    s->gap = gap;
  int total;
  glp_ios_tree_size(tree, NULL, NULL, &total);
  s->nodes = SCHED_MAX(s->nodes, total);
}

/* GLPK's time limit in ms for what is left of `seconds` after `start`. */
static int glpk_time_left_ms(double seconds, double start) {
  if (seconds <= 0 || seconds * 1e3 >= INT_MAX)
    return INT_MAX;
  double left = seconds * 1e3 - glp_difftime(glp_time(), start) * 1e3;
  return SCHED_MAX((int)left, 1);
}

/* Runs simplex + branch and cut; converts GLPK's return codes.
 * SCHED_ERR_TIMEOUT: the limit struck before any MIP solution. */
/* --lp: GLPK writes to a private temporary file (it does not report a full
 * disk), which is then copied through the checked writer. */
static int write_lp(glp_prob *lp, const char *path, sched_diag_t *diag) {
  char tmp[] = "/tmp/sched_lp_XXXXXX";
  int fd = mkstemp(tmp);
  if (fd < 0)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "ilp: no temporary file for the LP model");
  close(fd);
  char *text = NULL;
  int rc = glp_write_lp(lp, NULL, tmp) == 0
               ? sched_file_read(tmp, "LP model", (size_t)1 << 31, &text, NULL, diag)
               : sched_diag_set(diag, SCHED_ERR_INTERNAL, "ilp: GLPK cannot write the model");
  unlink(tmp);
  if (rc == SCHED_OK)
    rc = sched_write_text(path, text, diag);
  free(text);
  return rc;
}

/* The root LP, by the dual simplex: the primal one took 3-4 times as long
 * on the zoo (ResNet-50 at 1936KB 1.3 s, the dual 0.3-0.4 s; ResNet-101
 * 4.8 s and 1.6 s) and could stall on the clock's degenerate rows (EDSR on
 * vpu20 ran 150,000 primal iterations in 13.5 s, the dual 0.1 s). Either
 * can fail numerically on one set of prefetch windows and not on another
 * (edsr at 1280KB, GLP_EFAIL): once, the other then starts again from an
 * advanced basis. */
static int ilp_root_lp(ilp_t *m, const strat_params_t *params, double start, glp_smcp *smcp) {
  glp_scale_prob(m->lp, GLP_SF_AUTO);
  smcp->meth = GLP_DUALP;
  int rc = glp_simplex(m->lp, smcp);
  if (rc != 0 && rc != GLP_ETMLIM) {
    glp_adv_basis(m->lp, 0);
    smcp->meth = GLP_PRIMAL;
    smcp->tm_lim = glpk_time_left_ms(params->time_limit_s, start);
    rc = glp_simplex(m->lp, smcp);
  }
  return rc;
}

/* start: when the solve began (glp_time), so the limit covers the model's build */
static int ilp_search(ilp_t *m, const strat_params_t *params, double start, ilp_search_t *s,
                      sched_diag_t *diag) {
  glp_smcp smcp;
  glp_init_smcp(&smcp);
  if (params->time_limit_s > 0 && glp_difftime(glp_time(), start) >= params->time_limit_s)
    return SCHED_ERR_TIMEOUT; /* the model's build used it all */
  smcp.msg_lev = GLP_MSG_OFF;
  smcp.tm_lim = glpk_time_left_ms(params->time_limit_s, start);
  int rc = ilp_root_lp(m, params, start, &smcp);
  if (rc == GLP_ETMLIM)
    return SCHED_ERR_TIMEOUT;
  if (rc != 0 || glp_get_status(m->lp) != GLP_OPT)
    return sched_diag_set(diag, SCHED_ERR_INTERNAL, "ilp: GLPK simplex failed (code %d, status %d)",
                          rc, glp_get_status(m->lp));
  s->bound = glp_get_obj_val(m->lp);
  glp_iocp iocp;
  glp_init_iocp(&iocp);
  iocp.msg_lev = GLP_MSG_OFF;
  iocp.tm_lim = glpk_time_left_ms(params->time_limit_s, start);
  iocp.cb_func = ilp_callback;
  iocp.cb_info = s;
  iocp.mir_cuts = GLP_ON;
  iocp.clq_cuts = GLP_ON;
  /* Latency: branching on the most fractional variable finds the same
   * plans or better than Driebeck-Tomlin within the node limit, whose
   * per-node tableau rows took half the solve (ResNet-34 1MB solve 2.6 ->
   * 1.4 s; ResNet-101 at 1280KB 3528.0 -> 3029.6 us scheduled). The DDR
   * bytes objective keeps Driebeck-Tomlin, which proves it optimal on
   * ResNet-50 where most-fractional runs out of time. */
  iocp.br_tech = m->p->objective == STRAT_OBJECTIVE_LATENCY ? GLP_BR_MFV : GLP_BR_DTH;
  iocp.bt_tech = GLP_BT_BLB;
  rc = glp_intopt(m->lp, &iocp);
  int status = glp_mip_status(m->lp);
  if (status == GLP_OPT || status == GLP_FEAS)
    return SCHED_OK;
  if (rc == GLP_ETMLIM || rc == GLP_ESTOP)
    return SCHED_ERR_TIMEOUT;
  if (status == GLP_NOFEAS)
    return sched_diag_set(diag, SCHED_ERR_INFEASIBLE, "ilp: no plan fits the CMX budget");
  return sched_diag_set(diag, SCHED_ERR_INTERNAL, "ilp: GLPK branch and cut failed (code %d)", rc);
}

/* Reads the plan from the MIP solution. */
static void ilp_extract(const ilp_t *m, strat_plan_t *out) {
  const strat_problem_t *p = m->p;
  strat_plan_init(out, p->n_layers);
  for (int l = 0; l < p->n_layers; l++) {
    for (int c = 0; c < p->layers[l].n_cands; c++)
      if (glp_mip_col_val(m->lp, m->x0[l] + c) > 0.5)
        out->cand[l] = c;
    out->spilled[l] = glp_mip_col_val(m->lp, m->s0 + l) > 0.5;
    out->prefetch[l] = m->prefetch ? m->prefetch[l] : 0;
  }
  strat_plan_evaluate(p, out);
}

const char *strat_ilp_incumbent_name(const strat_params_t *params) {
  if (!params->incumbent)
    return "greedy, rollback, dp or anneal (the best)";
  return params->incumbent_of ? params->incumbent_of : "incumbent";
}

/* The incumbent: the caller's plan (checked), else the best on the clock
 * of the heuristics' (the model's prefetch windows are its). Every
 * heuristic is in the list, so the ILP's plan is never behind one of them
 * even when its node limit stops it early (anneal starts from dp's plan and
 * costs tens of ms on the zoo). */
int strat_ilp_incumbent(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *plan,
                        sched_diag_t *diag) {
  if (!params->incumbent) {
    static const char *const quick[] = {"greedy", "rollback", "dp", "anneal"};
    int rc = SCHED_ERR_INFEASIBLE;
    *plan = (strat_plan_t){0};
    for (int i = 0; i < SCHED_ARRAY_LEN(quick); i++) {
      strat_stats_t st = {0};
      strat_plan_t one = {0};
      sched_diag_t why = {{0}};
      int one_rc = strat_solver_find(quick[i])->solve(p, params, &one, &st, &why);
      if (one_rc == SCHED_OK) {
        strat_plan_fix_regions(p, &one);
        strat_plan_best_prefetch(p, &one);
      }
      if (one_rc == SCHED_OK && (rc != SCHED_OK || one.objective < plan->objective)) {
        strat_plan_free(plan);
        *plan = one;
        rc = SCHED_OK;
      } else {
        if (rc != SCHED_OK && one_rc != SCHED_OK)
          rc = sched_diag_set(diag, one_rc, "%s", why.msg);
        strat_plan_free(&one);
      }
    }
    return rc;
  }
  int rc = strat_plan_verify(p, params->incumbent, diag);
  if (rc != SCHED_OK)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "ilp: the incumbent plan is invalid: %s",
                          diag ? diag->msg : "");
  strat_plan_copy(params->incumbent, plan);
  strat_plan_evaluate(p, plan);
  return SCHED_OK;
}

/* What the GLPK part of a solve works on; our own arrays live here so they
 * are freed even when GLPK fails and its objects are gone. */
typedef struct {
  const strat_problem_t *p;
  const strat_params_t *params;
  strat_plan_t *out, start;
  strat_stats_t *stats;
  sched_diag_t *diag;
  ilp_t m;
  double *cols;
  double start_time;        /* glp_time at the solve's start */
  bool spills_first;        /* branch on spill columns before GLPK's own rule */
  const ilp_climb_t *climb; /* for ilp_search_t */
} ilp_call_t;

/* Holds the layers params->fixed names at the start plan's candidate and
 * spill: the rolling horizon's boundary (ilp_horizon.c). */
static void fix_layers(const ilp_t *m, const strat_plan_t *start, const bool *fixed) {
  for (int l = 0; l < m->p->n_layers; l++) {
    if (!fixed[l])
      continue;
    for (int c = 0; c < m->p->layers[l].n_cands; c++)
      glp_set_col_bnds(m->lp, m->x0[l] + c, GLP_FX, c == start->cand[l], c == start->cand[l]);
    glp_set_col_bnds(m->lp, m->s0 + l, GLP_FX, start->spilled[l], start->spilled[l]);
  }
}

static int ilp_glpk_part(void *ctx) {
  ilp_call_t *c = ctx;
  const strat_problem_t *p = c->p;
  const strat_params_t *params = c->params;
  strat_plan_t *out = c->out;
  strat_stats_t *stats = c->stats;
  sched_diag_t *diag = c->diag;
  glp_term_out(GLP_OFF);
  ilp_init(&c->m, p, p->objective == STRAT_OBJECTIVE_LATENCY ? c->start.prefetch : NULL);
  int rc = params->lp_path ? write_lp(c->m.lp, params->lp_path, diag) : SCHED_OK;
  if (rc != SCHED_OK)
    return rc;
  if (params->fixed)
    fix_layers(&c->m, &c->start, params->fixed);
  c->cols = plan_columns(&c->m, &c->start);
  ilp_search_t search = {.incumbent = c->cols,
                         .gap = DBL_MAX,
                         .node_limit = params->ilp_nodes,
                         .model = c->spills_first ? &c->m : NULL,
                         .climb = c->climb,
                         .climb_must_beat = c->start.latency_cycles};
  rc = ilp_search(&c->m, params, c->start_time, &search, diag);
  ilp_t m = c->m;
  strat_plan_t start = c->start;
  if (rc == SCHED_OK) {
    ilp_extract(&m, out);
    stats->optimal = glp_mip_status(m.lp) == GLP_OPT;
  }
  if (rc == SCHED_ERR_TIMEOUT) /* no MIP solution within the limits: say whose plan this is */
    stats->fallback = strat_ilp_incumbent_name(params);
  if (rc == SCHED_ERR_TIMEOUT || (rc == SCHED_OK && out->objective > start.objective)) {
    /* stopped before beating the start (or GLPK's tolerances cost a little) */
    strat_plan_free(out);
    strat_plan_copy(&start, out);
    double obj = (double)SCHED_MAX(start.objective, 1);
    search.gap = SCHED_MIN(search.gap, (obj - search.bound) / obj);
    stats->optimal = obj - search.bound < 0.5; /* objectives are integers */
    rc = SCHED_OK;
  }
  stats->mip_gap = stats->optimal ? 0 : search.gap;
  stats->nodes = search.nodes;
  return rc;
}

/* The MIP holds its incumbent's windows; the clock search then tries the
 * candidates and spills that need other windows (strat_plan_tune_candidates). */
static void clock_search(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                         strat_stats_t *stats) {
  if (p->objective != STRAT_OBJECTIVE_LATENCY)
    return;
  strat_plan_best_prefetch(p, out);
  stats->mip_latency_cycles = out->latency_cycles;
  stats->clock_moves =
      strat_plan_clock_search(p, out, STRAT_TUNE_CANDIDATES_MAX_WORK, true, params->capped_out);
}

/* The climb brings up what smaller budgets find (a plan that fits one fits
 * this one; the MIP's node limit can miss it here). It needs the problem and
 * the heuristics only, not the MIP's plan, so it runs on a second thread
 * beside the MIPs (GLPK stays on the calling thread); its plans are merged
 * after the second MIP, always at that point, so results do not depend on
 * which thread ends first. Above the full model's size the climb's rungs
 * would cost each a search of the whole chain, so the rolling horizon goes
 * without it. */
struct ilp_climb {
  const strat_problem_t *p;
  strat_params_t params; /* capped_out: the job's own */
  strat_plan_t plan;     /* the climb's best (empty when no rung fits) */
  strat_plan_t capped[STRAT_WINDOW_CAPS];
  int32_t moves;
  atomic_bool stop; /* the MIP's limits struck: its plan is not searched further */
  atomic_bool done; /* plan and moves are final */
  thrd_t thread;
  bool threaded;
};

static int climb_main(void *arg) {
  ilp_climb_t *c = arg;
  c->moves = strat_plan_climb(c->p, &c->params, &c->plan, &c->stop);
  atomic_store(&c->done, true);
  return 0;
}

/* Whether the climb has ended with a plan faster than latency_cycles (read
 * from another thread: plan is final once done is). */
static bool climb_beats(const ilp_climb_t *c, int64_t latency_cycles) {
  return atomic_load(&c->done) && c->plan.cand && c->plan.latency_cycles < latency_cycles;
}

static bool climbs(const strat_problem_t *p, const strat_params_t *params) {
  return p->objective == STRAT_OBJECTIVE_LATENCY && !params->mip_only &&
         p->n_layers <= STRAT_ILP_FULL_MAX_LAYERS;
}

/* Starts the climb on its own thread, or leaves it to climb_end on this one. */
static void climb_begin(ilp_climb_t *c, const strat_problem_t *p, const strat_params_t *params) {
  *c = (ilp_climb_t){.p = p, .params = *params};
  c->params.capped_out = params->capped_out ? c->capped : NULL;
  atomic_init(&c->stop, false);
  atomic_init(&c->done, false);
  c->threaded = thrd_create(&c->thread, climb_main, c) == thrd_success;
}

/* Ends the climb; with `use`, merges it into out and params->capped_out
 * (each kept where faster), else stops and drops it. Returns whether the
 * climb's plan replaced out. */
static bool climb_end(ilp_climb_t *c, bool use, const strat_params_t *params, strat_plan_t *out,
                      strat_stats_t *stats) {
  if (!use)
    atomic_store(&c->stop, true);
  if (c->threaded)
    thrd_join(c->thread, NULL);
  else if (use)
    climb_main(c);
  bool faster = use && climb_beats(c, out->latency_cycles);
  if (use) {
    stats->clock_moves += c->moves;
    strat_plan_keep_faster(out, &c->plan);
  } else
    strat_plan_free(&c->plan);
  for (int i = 0; i < STRAT_WINDOW_CAPS; i++) {
    if (use && params->capped_out)
      strat_plan_keep_faster(&params->capped_out[i], &c->capped[i]);
    else
      strat_plan_free(&c->capped[i]);
  }
  return faster;
}

/* One MIP over the whole problem. */
static int ilp_solve_mip(const strat_problem_t *p, const strat_params_t *params, bool spills_first,
                         const ilp_climb_t *climb, strat_plan_t *out, strat_stats_t *stats,
                         sched_diag_t *diag) {
  *out = (strat_plan_t){0};
  if (p->n_layers == 0) { /* GLPK refuses an empty problem */
    strat_plan_init(out, 0);
    stats->optimal = true;
    return SCHED_OK;
  }
  ilp_call_t c = {.p = p,
                  .params = params,
                  .out = out,
                  .stats = stats,
                  .diag = diag,
                  .start_time = glp_time(),
                  .spills_first = spills_first,
                  .climb = climb};
  int rc = strat_ilp_incumbent(p, params, &c.start, diag);
  if (rc == SCHED_OK) {
    bool glpk_failed;
    rc = sched_glpk_call(ilp_glpk_part, &c, "ilp", &glpk_failed, diag);
    if (glpk_failed)
      c.m.lp = NULL; /* freed with GLPK's environment */
  }
  free(c.cols);
  ilp_free(&c.m);
  strat_plan_free(&c.start);
  return rc;
}

/* Whether two plans choose the same candidates and spills. */
static bool same_choices(const strat_plan_t *a, const strat_plan_t *b, int n_layers) {
  for (int l = 0; l < n_layers; l++)
    if (a->cand[l] != b->cand[l] || a->spilled[l] != b->spilled[l])
      return false;
  return true;
}

/* The second MIP's cost cap: its 100 nodes take up to 4.6 s on ResNet-50
 * (72 layers; vpu40 on a 2-core machine), and ResNet-101's first MIP alone
 * takes 4-8 s, so a second would double its solve. */
#define ILP_RESOLVE_MAX_LAYERS 128

/* The MIP again, at the prefetch windows the clock search chose: the first
 * MIP held its incumbent's windows, and its gap says nothing about the plan
 * reported (ResNet-18 at 1MB: 775.2 us there, 690.7 after the search). With
 * the searched plan as incumbent, branching on spills first, it proves that
 * plan optimal for its windows or finds a faster one, which the clock search
 * then tunes (no slower than that plan at those windows, which
 * strat_plan_best_prefetch keeps where they fit). Only here spills go first:
 * in the first MIP they changed which plan the search started from, which
 * then ended slower at 2 grid points. Under its own time limit, so that the
 * node limit, not what the first part left, stops it; optimal and gap are
 * then this MIP's. */
static void resolve_at_windows(const strat_problem_t *p, const strat_params_t *params,
                               const ilp_climb_t *climb, strat_plan_t *out, strat_stats_t *stats) {
  if (p->objective != STRAT_OBJECTIVE_LATENCY || p->n_layers > ILP_RESOLVE_MAX_LAYERS)
    return; /* the DDR-bytes objective has no windows: its one MIP was the whole model */
  strat_params_t again = *params;
  again.incumbent = out;
  again.capped_out = NULL;
  strat_plan_t plan;
  strat_stats_t st = {0};
  sched_diag_t ignored = {{0}}; /* a failed re-solve leaves the searched plan */
  if (ilp_solve_mip(p, &again, true, climb, &plan, &st, &ignored) != SCHED_OK || st.fallback ||
      (climb && climb_beats(climb, out->latency_cycles))) {
    strat_plan_free(&plan);
    return;
  }
  if (!same_choices(&plan, out, p->n_layers)) {
    strat_plan_best_prefetch(p, &plan);
    stats->clock_moves +=
        strat_plan_clock_search(p, &plan, STRAT_TUNE_CANDIDATES_MAX_WORK, true, NULL);
  }
  stats->optimal = st.optimal;
  stats->mip_gap = st.mip_gap;
  stats->nodes += st.nodes;
  if (plan.latency_cycles < out->latency_cycles) {
    strat_plan_free(out);
    *out = plan;
  } else {
    strat_plan_free(&plan);
  }
}

/* The second MIP starts from the searched plan (out) beside the rest of
 * the climb (on ResNet-50 the climb takes longer than the first MIP). When
 * the climb's plan is faster than that start, the MIP's result is dropped
 * (and the MIP stopped once the climb has ended) and it runs again from the
 * climb's plan: the same MIPs as run one after the other. Without `search`
 * the climb is stopped and dropped. */
static void resolve_beside_climb(const strat_problem_t *p, const strat_params_t *params,
                                 bool search, ilp_climb_t *climb, strat_plan_t *out,
                                 strat_stats_t *stats) {
  strat_plan_t again = {0};
  strat_stats_t again_stats = *stats;
  if (search) {
    strat_plan_copy(out, &again);
    resolve_at_windows(p, params, climb, &again, &again_stats);
  }
  int32_t moves_before = stats->clock_moves;
  bool climb_won = climb_end(climb, search, params, out, stats);
  if (search && climb_won) {
    resolve_at_windows(p, params, NULL, out, stats);
  } else if (search) {
    again_stats.clock_moves += stats->clock_moves - moves_before;
    *stats = again_stats;
    strat_plan_free(out);
    *out = again;
    again = (strat_plan_t){0};
  }
  strat_plan_free(&again);
}

static int ilp_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                     strat_stats_t *stats, sched_diag_t *diag) {
  if (params->fixed) /* a rolling horizon's window */
    return ilp_solve_mip(p, params, false, NULL, out, stats, diag);
  for (int i = 0; params->capped_out && i < STRAT_WINDOW_CAPS; i++)
    params->capped_out[i] = (strat_plan_t){0};
  double start = glp_time();
  ilp_climb_t climb;
  if (climbs(p, params))
    climb_begin(&climb, p, params);
  int rc =
      p->n_layers > STRAT_ILP_FULL_MAX_LAYERS
          ? strat_ilp_horizon(p, params, STRAT_HORIZON_WINDOW, STRAT_HORIZON_STEP, out, stats, diag)
          : ilp_solve_mip(p, params, false, NULL, out, stats, diag);
  /* not once the time limit struck: the plan is then the one named in
   * stats->fallback, and the limit is kept */
  bool in_time =
      params->time_limit_s <= 0 || glp_difftime(glp_time(), start) < params->time_limit_s;
  bool search = rc == SCHED_OK && !params->mip_only && !stats->fallback && in_time;
  if (search)
    clock_search(p, params, out, stats);
  if (climbs(p, params))
    resolve_beside_climb(p, params, search, &climb, out, stats);
  else if (search)
    resolve_at_windows(p, params, NULL, out, stats);
  return rc;
}

const strat_solver_t strat_solver_ilp = {
    .name = "ilp",
    .summary = "GLPK MIP exact on the plan model (candidates, spills, residency, CMX per step)",
    .solve = ilp_solve,
};
