/* advise.c - the advisor pass: requires a network, its baseline plan and a
 * measurer; produces the ranked findings. Every detector of the table runs
 * on the baseline; each finding's rewrite goes to a fresh copy of the
 * network, which the measurer plans the way the baseline was planned, so a
 * saving is a difference of two measurements, never an estimate. */
#include "advisor/advisor_internal.h"

#include <stdlib.h>
#include <string.h>

static advisor_finding_t *finding_add(advisor_report_t *r, int *cap, const advisor_kind_t *kind,
                                      const advisor_site_t *sites, int n_sites) {
  sched_grow((void **)&r->findings, cap, r->n_findings + 1, sizeof *r->findings);
  advisor_finding_t *f = &r->findings[r->n_findings];
  *f = (advisor_finding_t){.kind = kind, .n_sites = n_sites, .seq = r->n_findings};
  f->sites = sched_xmalloc((size_t)n_sites * sizeof *sites);
  memcpy(f->sites, sites, (size_t)n_sites * sizeof *sites);
  r->n_findings++;
  return f;
}

/* Rewrites a copy, measures it and fills the finding's figures. */
static void finding_measure(const advisor_input_t *in, const advisor_measurer_t *m,
                            const advisor_measure_t *base, advisor_finding_t *f) {
  advisor_whatif_t w;
  sched_diag_t diag = {{0}};
  f->status = f->kind->apply(in, f->sites, f->n_sites, &w, &diag);
  if (f->status == SCHED_OK)
    f->status = m->measure(m->ctx, &w.graph, w.forces, w.n_forces, &f->after, &diag);
  advisor_whatif_free(&w);
  if (f->status != SCHED_OK) {
    memcpy(f->error, diag.msg, sizeof f->error);
    return;
  }
  f->saving_us = base->latency_us - f->after.latency_us;
  f->saving_pct = base->latency_us > 0 ? 100.0 * f->saving_us / base->latency_us : 0;
}

/* Measured first, by saving (descending), then detection order. */
static int by_rank(const void *a, const void *b) {
  const advisor_finding_t *x = a, *y = b;
  if ((x->status == SCHED_OK) != (y->status == SCHED_OK))
    return x->status == SCHED_OK ? -1 : 1;
  if (x->status == SCHED_OK && x->saving_us != y->saving_us)
    return x->saving_us < y->saving_us ? 1 : -1;
  return x->seq - y->seq;
}

static void detect_all(const advisor_input_t *in, const advisor_params_t *params,
                       advisor_report_t *out) {
  int cap = 0;
  for (const advisor_kind_t *const *k = advisor_kinds(); *k; k++) {
    advisor_sites_t sites = {0};
    (*k)->detect(in, params, &sites);
    if (sites.n > 0 && (*k)->grouped)
      finding_add(out, &cap, *k, sites.items, sites.n);
    for (int i = 0; i < sites.n && !(*k)->grouped; i++)
      finding_add(out, &cap, *k, &sites.items[i], 1);
    advisor_sites_free(&sites);
  }
}

int advisor_run(const advisor_input_t *in, const advisor_params_t *params,
                const advisor_measurer_t *m, advisor_report_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  int rc = m->measure(m->ctx, in->net, NULL, 0, &out->baseline, diag);
  if (rc != SCHED_OK)
    return rc;
  detect_all(in, params, out);
  for (int i = 0; i < out->n_findings; i++)
    finding_measure(in, m, &out->baseline, &out->findings[i]);
  if (out->n_findings > 0)
    qsort(out->findings, (size_t)out->n_findings, sizeof *out->findings, by_rank);
  return SCHED_OK;
}

void advisor_report_free(advisor_report_t *r) {
  for (int i = 0; i < r->n_findings; i++)
    free(r->findings[i].sites);
  free(r->findings);
  memset(r, 0, sizeof *r);
}
