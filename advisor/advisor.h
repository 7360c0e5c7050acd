/* advisor.h - what a model designer should change, measured: finding
 * detectors and rewrites as a table, each rewrite applied to a copy of the
 * network and re-planned the same way as the original; and the NAS side,
 * a per-op latency lookup table over a ProxylessNAS-style search space, its
 * additivity check and the operator-stacking estimate.
 *
 * The advisor never plans by itself: the caller passes a measurer (a
 * function that plans a graph exactly as the baseline was planned and returns
 * its latency), so the same code serves the plan model today and the
 * scheduled latency when the scheduler joins the pipeline. */
#ifndef SCHED_ADVISOR_H
#define SCHED_ADVISOR_H

#include <stdio.h>

#include "strategies/strategies.h"

/* ---- types: measuring ---- */

/* Forces one layer (by name) to a strategy; the solver does the rest. */
typedef struct {
  char layer[96];
  tiling_strategy_t strategy;
} advisor_force_t;

/* What a measurement returns. */
typedef struct {
  double latency_us;
  double compute_us, dma_us; /* sums over layers */
  char strategies[96];       /* chosen strategy of each layer, "SOH+SOK+..." (truncated) */
} advisor_measure_t;

/* Plans g (the callee copies it) with the baseline's arch, CMX, cost model
 * and solver, the given layers forced; fills *out. */
typedef struct {
  int (*measure)(void *ctx, const ir_graph_t *g, const advisor_force_t *forces, int n_forces,
                 advisor_measure_t *out, sched_diag_t *diag);
  void *ctx;
} advisor_measurer_t;

/* ---- types: findings ---- */

/* What the detectors read: the network as given (unfused; rewrites copy it)
 * and its baseline plan (over the PPE-fused graph problem->g). */
typedef struct {
  const ir_graph_t *net;
  const arch_t *arch;
  const strat_problem_t *problem;
  const strat_plan_t *plan;
} advisor_input_t;

typedef struct {
  int32_t channel_slack;         /* "just above a multiple of 16": c % align in 1..slack (8) */
  int64_t high_res_pixels;       /* DW+PW chains at output H*W >= this (112*112) */
  int32_t max_spill_sites;       /* measure at most this many spill sites, largest first (8) */
  int32_t max_listed_sites;      /* site names listed per finding (6) */
  double low_util_pct;           /* a DPU layer below this MAC utilisation is a finding (10) */
  double low_util_min_share_pct; /* ... when it takes at least this share of the time (5) */
} advisor_params_t;

/* One place in the network a finding applies to. */
typedef struct {
  char name[96];              /* op or layer name */
  int op;                     /* op index in the net, or -1 for a layer-only site */
  tiling_strategy_t strategy; /* spill sites: the strategy to force on `name` */
  char note[160];             /* e.g. "56 -> 48 channels" */
} advisor_site_t;

typedef struct {
  advisor_site_t *items;
  int n, cap;
} advisor_sites_t;

/* A rewritten copy of the network plus strategies to force. */
typedef struct {
  ir_graph_t graph;
  advisor_force_t *forces;
  int n_forces;
} advisor_whatif_t;

/* A finding kind: adding one is one row in findings.c's table. */
typedef struct {
  const char *id;      /* "prelu-to-relu" */
  const char *title;   /* "per-channel PReLU runs on SHAVE" */
  const char *rewrite; /* "PReLU -> ReLU (fused into the PPE)" */
  const char *caveat;  /* one line: "changes the function: retrain" */
  bool grouped;        /* all sites in one finding (else one finding per site) */
  void (*detect)(const advisor_input_t *in, const advisor_params_t *params, advisor_sites_t *out);
  /* Applies sites[0..n) to a copy of in->net into *out (initialised here;
   * free with advisor_whatif_free even on error). */
  int (*apply)(const advisor_input_t *in, const advisor_site_t *sites, int n_sites,
               advisor_whatif_t *out, sched_diag_t *diag);
} advisor_kind_t;

typedef struct {
  const advisor_kind_t *kind;
  advisor_site_t *sites; /* owned */
  int n_sites;
  int32_t seq; /* detection order: table order, then site order */
  int status;  /* SCHED_OK: measured; else why not (msg in error) */
  char error[SCHED_DIAG_MAX];
  advisor_measure_t after;
  double saving_us, saving_pct;
} advisor_finding_t;

typedef struct {
  advisor_measure_t baseline;
  advisor_finding_t *findings; /* measured ones ranked by saving, then the rest */
  int n_findings;
} advisor_report_t;

/* ---- findings.c: the table ---- */

advisor_params_t advisor_params_default(void);
/* The finding kinds in table order, NULL-terminated. */
const advisor_kind_t *const *advisor_kinds(void);
void advisor_sites_push(advisor_sites_t *s, const advisor_site_t *site);
void advisor_sites_free(advisor_sites_t *s);
void advisor_whatif_free(advisor_whatif_t *w);

/* ---- edit.c: graph edits the rewrites share ---- */

/* Copies net into *out with op `drop` removed: its readers read its first
 * input instead. The result is sorted, shape-inferred and verified. */
int advisor_graph_drop_op(const ir_graph_t *net, int drop, ir_graph_t *out, sched_diag_t *diag);
/* Sets the output channels of conv `op` in g to `channels` and carries the
 * change through the depthwise convs that read it (groups follow); shapes
 * are re-inferred and the graph verified. */
int advisor_graph_set_channels(ir_graph_t *g, int op, int32_t channels, sched_diag_t *diag);
/* The net op of that name, or -1. */
int advisor_graph_find_op(const ir_graph_t *g, const char *name);
/* A copy of net with transpose conv `deconv` (stride s in both axes) as a
 * conv of kernel ceil(k / s) into c_out * s^2 channels and a depth-to-space
 * by s: the sub-pixel convolution of ESPCN (Shi et al., CVPR 2016), same
 * output shape; the DPU then never computes on a zero-stuffed input. */
int advisor_graph_subpixel(const ir_graph_t *net, int deconv, ir_graph_t *out, sched_diag_t *diag);

/* ---- advise.c ---- */

/* Measures the baseline, runs every detector, applies and measures each
 * finding, and ranks them by saving (ties: table order, then site order).
 * A finding whose rewrite or measurement fails keeps its error and goes
 * last. Returns the baseline's measurement status. */
int advisor_run(const advisor_input_t *in, const advisor_params_t *params,
                const advisor_measurer_t *m, advisor_report_t *out, sched_diag_t *diag);
void advisor_report_free(advisor_report_t *r);

/* ---- print.c ---- */

/* The ranked table, or "no findings". `net` names the network. */
void advisor_report_text(const advisor_report_t *r, const char *net, const advisor_params_t *params,
                         FILE *out);
/* The same as JSON (cJSON); SCHED_ERR_NOMEM when cJSON fails. */
int advisor_report_json(const advisor_report_t *r, const char *net, FILE *out);

/* ---- types: NAS search spaces ---- */

typedef enum {
  ADVISOR_OP_SKIP,   /* identity (only where input and output shapes agree) */
  ADVISOR_OP_CONV,   /* k x k conv + ReLU6 */
  ADVISOR_OP_DWSEP,  /* depthwise k x k + ReLU6, pointwise 1x1 + ReLU6 */
  ADVISOR_OP_MBCONV, /* 1x1 expand (x e) + ReLU6, depthwise k x k + ReLU6, 1x1 project, residual */
  ADVISOR_OP_GAP,    /* global average pooling (head) */
  ADVISOR_OP_FC,     /* fully connected (head) */
  ADVISOR_OP_COUNT
} advisor_op_type_t;

typedef struct {
  advisor_op_type_t type;
  int32_t kernel, expand;
} advisor_cand_t;

/* One position of the backbone: its input shape and output channels. A
 * fixed position (stem, head) has exactly one op. */
typedef struct {
  char label[24]; /* "stem0", "s1b2", "head1" */
  int32_t c_in, h_in, w_in, c_out, stride;
  bool fixed;
  advisor_cand_t op; /* fixed positions */
} advisor_position_t;

typedef struct {
  char name[64];
  ir_dtype_t dtype;
  int32_t c_in, h_in, w_in;
  advisor_cand_t *cands; /* candidates of every searchable position */
  int n_cands;
  advisor_position_t *positions; /* stem, searchable, head, in network order */
  int n_positions;
} advisor_space_t;

/* One LUT row: one candidate at one position. */
typedef struct {
  int position;
  advisor_cand_t op;
  advisor_measure_t m;
  double stacked_us; /* --stack estimate, or 0 when not asked */
} advisor_lut_entry_t;

typedef struct {
  advisor_lut_entry_t *entries; /* position-major, candidates in space order */
  int n_entries;
} advisor_lut_t;

/* Error of "sum of LUT entries" against the planned whole network. */
typedef struct {
  int32_t n_nets;
  double mean_abs_pct, mean_signed_pct, max_abs_pct;
  double p50_abs_pct, p90_abs_pct, p95_abs_pct;
  double mean_net_us, mean_sum_us;
} advisor_additivity_t;

/* ---- space.c ---- */

/* Parses a search space (format in experiments/spaces/README or README.md:
 * input, candidates, stem, stages, head). Errors name the file and key. */
int advisor_space_read(const char *path, advisor_space_t *out, sched_diag_t *diag);
int advisor_space_parse(const char *text, const char *where, advisor_space_t *out,
                        sched_diag_t *diag);
void advisor_space_free(advisor_space_t *s);
/* Whether cand can sit at position (skip needs equal shapes). */
bool advisor_cand_valid(const advisor_position_t *pos, const advisor_cand_t *cand);
/* "mbconv_k3_e6", "conv_k3", "skip", ... */
void advisor_cand_label(const advisor_cand_t *cand, char *buf, size_t len);
/* Appends one op (block) to g reading tensor x; returns its output tensor. */
int advisor_block_add(ir_graph_t *g, int x, const advisor_position_t *pos,
                      const advisor_cand_t *cand, const char *prefix);
/* A network of n blocks in a chain, blocks[i] at positions[i] (the input
 * is positions[0]'s); dtype from the space. The result is sorted,
 * shape-inferred and verified; a chain of skips only has no ops. */
int advisor_chain_build(const advisor_space_t *s, const advisor_position_t *positions,
                        const advisor_cand_t *blocks, int n, ir_graph_t *out, sched_diag_t *diag);

/* ---- lut.c ---- */

/* Costs every valid candidate at every position (one measurement each, the
 * block alone in a network: its input read from and output written to DDR).
 * stack_n > 0 also fills stacked_us with advisor_stack_estimate. */
int advisor_lut_build(const advisor_space_t *s, const advisor_measurer_t *m, int32_t stack_n,
                      advisor_lut_t *out, sched_diag_t *diag);
void advisor_lut_free(advisor_lut_t *lut);
void advisor_lut_write_csv(const advisor_space_t *s, const advisor_lut_t *lut, FILE *out);
/* Plans n_nets random networks of the space (seeded) and compares each with
 * the sum of its LUT entries. */
int advisor_additivity_check(const advisor_space_t *s, const advisor_lut_t *lut,
                             const advisor_measurer_t *m, int32_t n_nets, uint64_t seed,
                             advisor_additivity_t *out, sched_diag_t *diag);
/* The seeds' hardware method: a shape-preserving op stacked n times, total
 * / n; a shape-changing one between n-1 neighbours (1x1 convs) on each side,
 * minus n-1 times each neighbour's own stacked estimate. n = 1 is the
 * isolated estimate. */
int advisor_stack_estimate(const advisor_space_t *s, int position, const advisor_cand_t *cand,
                           int32_t n, const advisor_measurer_t *m, double *latency_us,
                           sched_diag_t *diag);

#endif
