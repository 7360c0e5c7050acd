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
#include <unistd.h>

extern const strat_solver_t strat_solver_dp;

/* The continuous column of kept value v's excess at its reader t. */
typedef struct {
  int t, v, col;
} ilp_excess_t;

typedef struct {
  const strat_problem_t *p;
  glp_prob *lp;
  int *x0;  /* first x column of each layer */
  int s0;   /* s column of value 0 */
  int *w0;  /* first w column of each value */
  int **r0; /* [layer][slot]: first r column, 0 for graph inputs */
  int *ind; /* row scratch, 1-based as GLPK wants */
  double *val;
  int row_len, row_cap;
  ilp_excess_t *excess; /* excess columns, for the incumbent's values */
  int n_excess, cap_excess;
} ilp_t;

/* What the branch-and-cut callback needs: no globals. */
typedef struct {
  const double *incumbent; /* column values, 1-based, or NULL */
  bool offered;
  double bound;  /* root LP bound (0, trivially, before it is solved) */
  double gap;    /* best relative gap seen */
  int64_t nodes; /* branch-and-bound nodes generated */
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
    m->w0[v] = add_binaries(m, p->layers[v].n_cands, "w", v, -1);
    for (int a = 0; a < p->layers[v].n_cands; a++)
      glp_set_obj_coef(m->lp, m->w0[v] + a, (double)write_delta(p, v, a));
  }
  for (int l = 0; l < p->n_layers; l++) {
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      if (p->g->tensors[op->inputs[i]].producer < 0)
        continue;
      m->r0[l][i] = add_binaries(m, p->layers[l].n_cands, "r", l, i);
      for (int c = 0; c < p->layers[l].n_cands; c++)
        glp_set_obj_coef(m->lp, m->r0[l][i] + c, (double)read_delta(p, l, c));
    }
  }
}

/* ---- rows ---- */

/* sum_c prod[c] = s, prod[c] <= x[c]: prod = x * s for binaries. */
static void add_product_rows(ilp_t *m, int prod0, int x0, int n, int s, const char *name) {
  char buf[64];
  row_begin(m);
  for (int c = 0; c < n; c++)
    row_add(m, prod0 + c, 1);
  row_add(m, s, -1);
  row_end(m, GLP_FX, 0, 0, name);
  for (int c = 0; c < n; c++) {
    row_begin(m);
    row_add(m, prod0 + c, 1);
    row_add(m, x0 + c, -1);
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
    add_product_rows(m, m->w0[l], m->x0[l], p->layers[l].n_cands, m->s0 + l, name);
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      int u = p->g->tensors[op->inputs[i]].producer;
      if (u < 0)
        continue;
      snprintf(name, sizeof name, "r_%d_%d", l, i);
      add_product_rows(m, m->r0[l][i], m->x0[l], p->layers[l].n_cands, m->s0 + u, name);
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
    row_add(m, m->w0[v] + a, -scale * (double)bytes);
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
    if (beyond > 0) /* only while the output is kept: minus w[t][c] = x * s */
      row_add(m, m->w0[t] + c, -(double)beyond);
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

/* ---- model lifetime ---- */

static void ilp_init(ilp_t *m, const strat_problem_t *p) {
  *m = (ilp_t){.p = p};
  int n = SCHED_MAX(p->n_layers, 1);
  m->x0 = sched_xcalloc((size_t)n, sizeof *m->x0);
  m->w0 = sched_xcalloc((size_t)n, sizeof *m->w0);
  m->r0 = sched_xcalloc((size_t)n, sizeof *m->r0);
  for (int l = 0; l < p->n_layers; l++)
    m->r0[l] = sched_xcalloc(IR_MAX_INPUTS, sizeof **m->r0);
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
}

static void ilp_free(ilp_t *m) {
  if (m->lp)
    glp_delete_prob(m->lp);
  for (int l = 0; m->r0 && l < m->p->n_layers; l++)
    free(m->r0[l]);
  free(m->r0);
  free(m->x0);
  free(m->w0);
  free(m->ind);
  free(m->val);
  free(m->excess);
}

/* Column values (1-based) of a plan, for the search's incumbent. */
static double *plan_columns(const ilp_t *m, const strat_plan_t *plan) {
  const strat_problem_t *p = m->p;
  double *cols = sched_xcalloc((size_t)glp_get_num_cols(m->lp) + 1, sizeof *cols);
  for (int l = 0; l < p->n_layers; l++) {
    int c = plan->cand[l];
    cols[m->x0[l] + c] = 1;
    cols[m->s0 + l] = plan->spilled[l];
    cols[m->w0[l] + c] = plan->spilled[l];
    const ir_op_t *op = &p->g->ops[p->layers[l].op];
    for (int i = 0; i < op->n_inputs; i++) {
      int u = p->g->tensors[op->inputs[i]].producer;
      if (u >= 0)
        cols[m->r0[l][i] + c] = plan->spilled[u];
    }
  }
  for (int i = 0; i < m->n_excess; i++) {
    const ilp_excess_t *e = &m->excess[i];
    int64_t hold = plan->spilled[e->v] ? 0 : hold_bytes(p, e->v, plan->cand[e->v]);
    cols[e->col] =
        (double)SCHED_MAX(0, hold - strat_read_share_bytes(p, e->t, plan->cand[e->t], e->v));
  }
  return cols;
}

/* ---- search ---- */

static void ilp_callback(glp_tree *tree, void *info) {
  ilp_search_t *s = info;
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

static int ilp_search(ilp_t *m, const strat_params_t *params, ilp_search_t *s, sched_diag_t *diag) {
  double start = glp_time();
  glp_smcp smcp;
  glp_init_smcp(&smcp);
  smcp.msg_lev = GLP_MSG_OFF;
  smcp.tm_lim = glpk_time_left_ms(params->time_limit_s, start);
  glp_scale_prob(m->lp, GLP_SF_AUTO);
  int rc = glp_simplex(m->lp, &smcp);
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
  iocp.br_tech = GLP_BR_DTH;
  iocp.bt_tech = GLP_BT_BLB;
  rc = glp_intopt(m->lp, &iocp);
  int status = glp_mip_status(m->lp);
  if (status == GLP_OPT || status == GLP_FEAS)
    return SCHED_OK;
  if (rc == GLP_ETMLIM)
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
  }
  strat_plan_evaluate(p, out);
}

/* The incumbent: the caller's plan (checked), else dp's. */
static int ilp_incumbent(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *plan,
                         sched_diag_t *diag) {
  if (!params->incumbent) {
    strat_stats_t st = {0};
    return strat_solver_dp.solve(p, params, plan, &st, diag);
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
} ilp_call_t;

static int ilp_glpk_part(void *ctx) {
  ilp_call_t *c = ctx;
  const strat_problem_t *p = c->p;
  const strat_params_t *params = c->params;
  strat_plan_t *out = c->out;
  strat_stats_t *stats = c->stats;
  sched_diag_t *diag = c->diag;
  glp_term_out(GLP_OFF);
  ilp_init(&c->m, p);
  int rc = params->lp_path ? write_lp(c->m.lp, params->lp_path, diag) : SCHED_OK;
  if (rc != SCHED_OK)
    return rc;
  c->cols = plan_columns(&c->m, &c->start);
  ilp_search_t search = {.incumbent = c->cols, .gap = DBL_MAX};
  rc = ilp_search(&c->m, params, &search, diag);
  ilp_t m = c->m;
  strat_plan_t start = c->start;
  if (rc == SCHED_OK) {
    ilp_extract(&m, out);
    stats->optimal = glp_mip_status(m.lp) == GLP_OPT;
  }
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

static int ilp_solve(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
                     strat_stats_t *stats, sched_diag_t *diag) {
  *out = (strat_plan_t){0};
  if (p->n_layers == 0) { /* GLPK refuses an empty problem */
    strat_plan_init(out, 0);
    stats->optimal = true;
    return SCHED_OK;
  }
  ilp_call_t c = {.p = p, .params = params, .out = out, .stats = stats, .diag = diag};
  int rc = ilp_incumbent(p, params, &c.start, diag);
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

const strat_solver_t strat_solver_ilp = {
    .name = "ilp",
    .summary = "GLPK MIP exact on the plan model (candidates, spills, residency, CMX per step)",
    .solve = ilp_solve,
};
