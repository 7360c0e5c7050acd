/* ilp.c - an exact integer program for small instances, used in tests to
 * check the search allocator. Variables: k_i >= 0 integer with offset
 * o_i = align_i * k_i and o_i + size_i <= P <= capacity; for every pair of
 * time-overlapping buffers a binary z_ij, with big-M disjunction
 *   o_i + size_i <= o_j + M (1 - z_ij),   o_j + size_j <= o_i + M z_ij.
 * Objective: minimise the peak P, so a solved instance also tells the best
 * capacity. M is the capacity, capped at the sum of sizes and alignments
 * (stacking every buffer always fits there). Solved with GLPK's branch and
 * cut (glp_intopt, presolver on, terminal output off, time limit). */
#include "memalloc/memalloc_internal.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
  int row, col;
  double value;
} ilp_nz_t;

typedef struct {
  glp_prob *lp;
  ilp_nz_t *nz; /* constraint matrix entries */
  int n_nz, cap_nz;
} ilp_t;

static void ilp_nz(ilp_t *m, int row, int col, double v) {
  sched_grow((void **)&m->nz, &m->cap_nz, m->n_nz + 1, sizeof *m->nz);
  m->nz[m->n_nz++] = (ilp_nz_t){row, col, v};
}

/* Hands the entries to GLPK (1-based arrays). */
static void ilp_load(ilp_t *m) {
  int *ia = sched_xmalloc((size_t)(m->n_nz + 1) * sizeof *ia);
  int *ja = sched_xmalloc((size_t)(m->n_nz + 1) * sizeof *ja);
  double *ar = sched_xmalloc((size_t)(m->n_nz + 1) * sizeof *ar);
  for (int k = 0; k < m->n_nz; k++) {
    ia[k + 1] = m->nz[k].row;
    ja[k + 1] = m->nz[k].col;
    ar[k + 1] = m->nz[k].value;
  }
  glp_load_matrix(m->lp, m->n_nz, ia, ja, ar);
  free(ia);
  free(ja);
  free(ar);
}

static int ilp_row(ilp_t *m, double ub) {
  int r = glp_add_rows(m->lp, 1);
  glp_set_row_bnds(m->lp, r, GLP_UP, 0.0, ub);
  return r;
}

/* Columns 1..n are k_i, column n+1 is P; pair columns follow. */
static void ilp_columns(ilp_t *m, const memalloc_problem_t *p, int64_t cap) {
  int n = p->n_buffers;
  glp_add_cols(m->lp, n + 1);
  for (int i = 0; i < n; i++) {
    const memalloc_buffer_t *b = &p->buffers[i];
    glp_set_col_kind(m->lp, i + 1, GLP_IV);
    double top = (double)((cap - b->size_bytes) / b->align_bytes);
    /* GLPK refuses a double bound with lb == ub: a buffer of the whole
     * capacity has its offset fixed at 0 */
    glp_set_col_bnds(m->lp, i + 1, top > 0 ? GLP_DB : GLP_FX, 0.0, top);
    int r = ilp_row(m, (double)-b->size_bytes); /* a k - P <= -size */
    ilp_nz(m, r, i + 1, (double)b->align_bytes);
    ilp_nz(m, r, n + 1, -1.0);
  }
  glp_set_col_bnds(m->lp, n + 1, GLP_DB, 0.0, (double)cap);
  glp_set_obj_coef(m->lp, n + 1, 1.0);
}

static void ilp_pairs(ilp_t *m, const memalloc_problem_t *p, int64_t cap) {
  int n = p->n_buffers;
  double big = (double)cap;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const memalloc_buffer_t *a = &p->buffers[i], *b = &p->buffers[j];
      if (!memalloc_i_overlap(a, b))
        continue;
      int z = glp_add_cols(m->lp, 1);
      glp_set_col_kind(m->lp, z, GLP_BV);
      int r1 = ilp_row(m, big - (double)a->size_bytes); /* i below j when z = 1 */
      ilp_nz(m, r1, i + 1, (double)a->align_bytes);
      ilp_nz(m, r1, j + 1, -(double)b->align_bytes);
      ilp_nz(m, r1, z, big);
      int r2 = ilp_row(m, (double)-b->size_bytes); /* j below i when z = 0 */
      ilp_nz(m, r2, j + 1, (double)b->align_bytes);
      ilp_nz(m, r2, i + 1, -(double)a->align_bytes);
      ilp_nz(m, r2, z, -big);
    }
}

/* Capacity used in the model: the real one, or less when stacking all
 * buffers already fits. Returns -1 when some buffer alone does not fit. */
static int64_t ilp_capacity(const memalloc_problem_t *p) {
  int64_t stack = 0;
  for (int i = 0; i < p->n_buffers; i++) {
    if (p->buffers[i].size_bytes > p->capacity_bytes)
      return -1;
    stack += p->buffers[i].size_bytes + p->buffers[i].align_bytes;
  }
  return SCHED_MIN(p->capacity_bytes, stack);
}

/* GLPK accepts a binary within its integrality tolerance (1e-5), and times
 * the big-M (the capacity) that lets offsets overlap by a few bytes. So the
 * offsets are only an order: each buffer, lowest first, drops to just above
 * the time-overlapping buffers placed before it. An exact answer is left
 * as it is (each buffer already sits above those); a tolerated one becomes
 * valid. O(n^2) on at most MEMALLOC_ILP_MAX_BUFFERS buffers. */
static void settle_offsets(const memalloc_problem_t *p, memalloc_solution_t *s) {
  int n = p->n_buffers, order[MEMALLOC_ILP_MAX_BUFFERS];
  const int64_t *o = s->offsets_bytes;
  for (int i = 0; i < n; i++) { /* insertion sort by offset, then index */
    int k = i;
    for (; k > 0 && o[order[k - 1]] > o[i]; k--)
      order[k] = order[k - 1];
    order[k] = i;
  }
  for (int k = 0; k < n; k++) {
    const memalloc_buffer_t *b = &p->buffers[order[k]];
    int64_t low = 0;
    for (int q = 0; q < k; q++)
      if (memalloc_i_overlap(b, &p->buffers[order[q]]))
        low = SCHED_MAX(low, s->offsets_bytes[order[q]] + p->buffers[order[q]].size_bytes);
    s->offsets_bytes[order[k]] = SCHED_ALIGN_UP(low, b->align_bytes);
  }
}

static int ilp_solve(ilp_t *m, const memalloc_problem_t *p, const memalloc_params_t *prm,
                     memalloc_solution_t *s, sched_diag_t *diag) {
  ilp_load(m);
  glp_iocp io;
  glp_init_iocp(&io);
  io.presolve = GLP_ON;
  io.msg_lev = GLP_MSG_OFF;
  io.tol_int = 1e-12; /* binaries times a big-M of up to 2^40 bytes */
  io.tm_lim = (int)SCHED_MIN(prm->time_limit_s * 1e3, 2e9);
  int ret = glp_intopt(m->lp, &io);
  int st = glp_mip_status(m->lp);
  if (ret == GLP_ENOPFS || (ret == 0 && st == GLP_NOFEAS))
    return sched_diag_set(diag, SCHED_ERR_INFEASIBLE, "ilp: proved that no layout fits");
  if ((ret == 0 || ret == GLP_ETMLIM) && (st == GLP_OPT || st == GLP_FEAS)) {
    for (int i = 0; i < p->n_buffers; i++)
      s->offsets_bytes[i] =
          p->buffers[i].align_bytes * (int64_t)llround(glp_mip_col_val(m->lp, i + 1));
    settle_offsets(p, s);
    memalloc_solution_update_peak(p, s);
    if (s->peak_bytes > p->capacity_bytes)
      return sched_diag_set(diag, SCHED_ERR_INTERNAL,
                            "ilp: GLPK's layout does not fit within its tolerance");
    return SCHED_OK;
  }
  if (ret == GLP_ETMLIM)
    return sched_diag_set(diag, SCHED_ERR_TIMEOUT,
                          "ilp: time limit of %g s reached without a layout", prm->time_limit_s);
  return sched_diag_set(diag, SCHED_ERR_INTERNAL, "ilp: GLPK glp_intopt failed (code %d)", ret);
}

typedef struct {
  const memalloc_problem_t *p;
  const memalloc_params_t *params;
  memalloc_solution_t *s;
  sched_diag_t *diag;
  int64_t cap;
  ilp_t m;
} ilp_call_t;

static int ilp_glpk_part(void *ctx) {
  ilp_call_t *c = ctx;
  c->m.lp = glp_create_prob();
  glp_set_obj_dir(c->m.lp, GLP_MIN);
  ilp_columns(&c->m, c->p, c->cap);
  ilp_pairs(&c->m, c->p, c->cap);
  return ilp_solve(&c->m, c->p, c->params, c->s, c->diag);
}

int memalloc_ilp_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                     const memalloc_params_t *params, memalloc_stats_t *stats, sched_diag_t *diag) {
  (void)stats;
  if (p->n_buffers > MEMALLOC_ILP_MAX_BUFFERS)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "ilp: at most %d buffers, got %d",
                          MEMALLOC_ILP_MAX_BUFFERS, p->n_buffers);
  memalloc_solution_resize(s, p->n_buffers);
  int64_t cap = ilp_capacity(p);
  if (cap < 0)
    return sched_diag_set(diag, SCHED_ERR_INFEASIBLE,
                          "ilp: proved that no layout fits (a buffer exceeds the capacity)");
  /* Binaries times the big-M must stay exact within GLPK's tolerances:
   * measured against the search allocator, models up to 2^24 bytes agree
   * on every instance, larger ones lose bytes or claim infeasibility. */
  if (cap > MEMALLOC_ILP_MAX_BYTES)
    return sched_diag_set(diag, SCHED_ERR_INPUT,
                          "ilp: capacity and sizes above %lld bytes are beyond GLPK's exact range "
                          "(use --allocator search)",
                          (long long)MEMALLOC_ILP_MAX_BYTES);
  int old_term = glp_term_out(GLP_OFF);
  ilp_call_t c = {.p = p, .params = params, .s = s, .diag = diag, .cap = cap};
  bool glpk_failed;
  int rc = sched_glpk_call(ilp_glpk_part, &c, "ilp", &glpk_failed, diag);
  if (c.m.lp && !glpk_failed)
    glp_delete_prob(c.m.lp);
  free(c.m.nz);
  if (!glpk_failed)
    glp_term_out(old_term);
  return rc;
}
