/* advisor_internal.h - what the advisor's files share: the detectors and
 * rewrites of each finding kind (the table in findings.c lists them). */
#ifndef SCHED_ADVISOR_INTERNAL_H
#define SCHED_ADVISOR_INTERNAL_H

#include "advisor/advisor.h"

/* Fills a site for net op `op` with a printf note. */
void advisor_site_of_op(const ir_graph_t *g, int op, advisor_site_t *site, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Whether tensor t is one of g's outputs. */
bool advisor_tensor_is_output(const ir_graph_t *g, int t);
/* Copies in->net into out (no forces). */
void advisor_whatif_copy(const advisor_input_t *in, advisor_whatif_t *out);

/* ---- channels.c ---- */
void advisor_channels_detect(const advisor_input_t *in, const advisor_params_t *params,
                             advisor_sites_t *out);
int advisor_channels_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                           advisor_whatif_t *out, sched_diag_t *diag);
void advisor_tiny_detect(const advisor_input_t *in, const advisor_params_t *params,
                         advisor_sites_t *out);
int advisor_tiny_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                       advisor_whatif_t *out, sched_diag_t *diag);
void advisor_dwpw_detect(const advisor_input_t *in, const advisor_params_t *params,
                         advisor_sites_t *out);
int advisor_dwpw_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                       advisor_whatif_t *out, sched_diag_t *diag);

/* ---- spills.c ---- */
void advisor_spill_detect(const advisor_input_t *in, const advisor_params_t *params,
                          advisor_sites_t *out);
int advisor_spill_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                        advisor_whatif_t *out, sched_diag_t *diag);

/* ---- utilisation.c ---- */
void advisor_subpixel_detect(const advisor_input_t *in, const advisor_params_t *params,
                             advisor_sites_t *out);
int advisor_subpixel_apply(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
                           advisor_whatif_t *out, sched_diag_t *diag);

#endif
