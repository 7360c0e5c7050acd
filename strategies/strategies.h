/* strategies.h - per-layer candidates (strategy x tiling), the plan
 * problem, plan evaluation and checking, and the solvers that pick one
 * candidate per layer and which tensors spill through DDR.
 *
 * The plan model (shared by every solver, so their numbers compare): the
 * schedule at layer granularity (timeline.c). Compute runs layers one after
 * another in topological order; one DMA channel (DDR) serves each layer's
 * weight load, inputs from DDR and spilled output in program order, with
 * prefetch windows (part of the plan) that let weights load under earlier
 * layers' compute as far as CMX room allows. A layer cut into slices
 * streams its activations through DDR as one body holding both resources.
 * A tensor goes through DDR ("spills") when its producer or a consumer is
 * sliced, when a consumer needs a distribution the producer's output cannot
 * serve, when it is a graph output, or when a solver chooses to free the CMX
 * a long-lived tensor would hold. A tensor kept in CMX occupies its
 * producer's output distribution at every step from its producer to its
 * last consumer; with the prefetched weights, the sum at each step must fit
 * the per-cluster CMX budget. */
#ifndef SCHED_STRATEGIES_H
#define SCHED_STRATEGIES_H

#include "tiling/tiling.h"

#include <stdatomic.h>

typedef struct {
  tiling_choice_t choice;
  tiling_layer_cost_t cost;
  int32_t region;          /* streaming region this candidate belongs to, or -1 */
  int64_t pipeline_cycles; /* sliced: its slice pipeline's span (strat_slice_pipeline_cycles) */
  int64_t hold_bytes;      /* its output kept in CMX, per cluster (strat_value_hold_bytes) */
} strat_candidate_t;

typedef struct {
  int op; /* op index in the graph (layers are ops, in order) */
  strat_candidate_t *cands;
  int n_cands, cap_cands;
  int32_t n_inputs_from_graph; /* inputs that are graph inputs (always read from DDR) */
} strat_layer_t;

/* An activation tensor produced by one layer and read by others. */
typedef struct {
  int tensor;
  int producer;   /* layer index */
  int *consumers; /* layer indices, ascending */
  int n_consumers;
  int last_use;      /* last consumer's layer index (producer when none) */
  bool graph_output; /* written to DDR whatever the plan */
} strat_value_t;

typedef enum { STRAT_OBJECTIVE_LATENCY, STRAT_OBJECTIVE_BANDWIDTH } strat_objective_t;

typedef struct {
  const ir_graph_t *g;       /* borrowed */
  const cost_model_t *model; /* borrowed */
  strat_layer_t *layers;     /* one per op, in topological order */
  int n_layers;
  strat_value_t *values;    /* one per layer: its output */
  tiling_region_t *regions; /* streaming regions: a member's region candidate
                               is chosen for all members or for none */
  int n_regions;
  int64_t capacity_bytes; /* per-cluster CMX budget */
  strat_objective_t objective;
  int32_t prefetch_cap; /* most steps a layer's weights may load early; -1: as far as room
                           allows (the default) */
  /* per step: the lowest value index live there (no value below it is used
   * at or after the step), so per-step scans skip the dead prefix; NULL in
   * a hand-built problem (scans then start at 0) */
  int *first_live;
  /* per step, the values live there (kept values that may add bytes: v's
   * own step when it has readers, later steps up to its last use), in
   * index order: live_values[live_start[step] .. live_start[step + 1]);
   * NULL in a hand-built problem (scans then test every v <= step) */
  int *live_start, *live_values;
} strat_problem_t;

/* A solution: one candidate per layer and, per layer, whether its output
 * goes through DDR. Evaluated figures are filled by strat_plan_evaluate. */
typedef struct {
  int *cand;
  bool *spilled;
  int32_t *prefetch; /* per layer: steps before it that its weights are in CMX (they load
                        once layer l - prefetch[l] - 1 has computed); part of the plan, so
                        the allocation and the schedule prefetch exactly this */
  int n_layers;
  int64_t latency_cycles; /* the plan model's latency (timeline.c) */
  int64_t ddr_bytes;      /* all DDR traffic: weights, spills, sliced layers, graph I/O */
  int64_t spill_bytes;    /* bytes written to DDR by spills between layers */
  int64_t peak_cmx_bytes; /* per cluster, over all steps */
  int64_t objective;      /* latency cycles or DDR bytes, per problem objective */
} strat_plan_t;

typedef struct {
  double time_limit_s;           /* ILP and anneal wall-clock limit (a safety net for the ILP) */
  int64_t ilp_nodes;             /* ilp: branch-and-bound nodes before it stops with its gap; a
                                    count, so results are the same on any machine (0: none) */
  uint64_t seed;                 /* anneal's random seed */
  int32_t anneal_iters;          /* anneal moves */
  const char *lp_path;           /* ilp: write the model (CPLEX LP) here, or NULL */
  const strat_plan_t *incumbent; /* ilp: a feasible plan to start from, or NULL */
  const char *incumbent_of;      /* ilp: the solver that made it, named when the ILP falls back */
  const bool *fixed; /* ilp: per layer, hold the incumbent's candidate and spill (the rolling
                        horizon's boundary); NULL: every layer free */
  bool mip_only;     /* ilp: return the MIP's plan, without the clock search after it */
  /* ilp: when set, STRAT_WINDOW_CAPS plans out (freed by the caller): its
   * clock search's plan under each cap of strat_window_caps, windows kept
   * capped (an empty plan where the problem's own cap is smaller). The
   * caller allocates them too: short windows fragment CMX less, so one may
   * schedule faster than the returned plan once its layout is made */
  strat_plan_t *capped_out;
} strat_params_t;

typedef struct {
  double solve_ms;
  double mip_gap; /* ilp: relative gap when stopped early; 0 when proved optimal */
  bool optimal;   /* proved optimal for the plan model */
  int64_t nodes;  /* search nodes / iterations / rewrites, solver-specific */
  /* ilp: the solver whose plan it returned because its limits struck before
   * it found one of its own ("dp", "greedy", ...), else NULL; with the rolling
   * horizon, the layers from fallback_layer on keep that plan */
  const char *fallback;
  int32_t fallback_layer;
  /* ilp: its MIP's plan on the clock (windows tuned), and the candidate and
   * spill moves the clock search then kept (strat_plan_tune_candidates) */
  int64_t mip_latency_cycles;
  int32_t clock_moves;
} strat_stats_t;

/* A solver: adding one is one file plus one row in solvers.c's table. */
typedef struct {
  const char *name;
  const char *summary;
  int (*solve)(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *out,
               strat_stats_t *stats, sched_diag_t *diag);
} strat_solver_t;

/* ---- problem.c ---- */

/* Builds candidates for every layer of a sorted, shape-inferred, fused graph:
 * for each legal strategy, the fewest isolated slices that fit and pipelined
 * variants (fewest pipelined slices, then 2x and 3x). A layer with no
 * candidate that fits is SCHED_ERR_INFEASIBLE naming the layer. */
int strat_problem_init(strat_problem_t *p, const ir_graph_t *g, const cost_model_t *model,
                       strat_objective_t objective, sched_diag_t *diag);
void strat_problem_free(strat_problem_t *p);
/* Restricts every layer to candidates of one strategy where it has any
 * (others keep Clustering): for what-if comparisons. */
void strat_problem_restrict(strat_problem_t *p, tiling_strategy_t only);
/* Whether value v may hold CMX at `step`: its producer's step when it has
 * readers, and every later step up to its last use. */
bool strat_value_live_at(const strat_problem_t *p, int v, int step);

/* ---- plan.c: evaluation and checking ---- */

void strat_plan_init(strat_plan_t *plan, int n_layers);
void strat_plan_free(strat_plan_t *plan);
void strat_plan_copy(const strat_plan_t *src, strat_plan_t *dst);
/* Whether layer v's output stays inside a chosen streaming region (its
 * producer and its one consumer chose the same region candidate). */
bool strat_value_in_region(const strat_problem_t *p, const int *cand, int v);
/* Whether layer v's output must go through DDR under the chosen candidates. */
bool strat_value_spill_forced(const strat_problem_t *p, const int *cand, int v);
/* Sets spilled[] to exactly the forced spills of plan->cand. */
void strat_plan_set_forced_spills(const strat_problem_t *p, strat_plan_t *plan);
/* The serial sum of layer costs (latency cycles, or DDR bytes) without the
 * other figures or the CMX scan: O(layers x inputs), the heuristics' fast
 * proxy in their inner loops; the plan's objective is the clock's. */
int64_t strat_plan_cost(const strat_problem_t *p, const strat_plan_t *plan);
/* Fills the evaluated figures of a plan (no feasibility check). */
void strat_plan_evaluate(const strat_problem_t *p, strat_plan_t *plan);
/* Cost of one layer under a candidate given which inputs / output go
 * through DDR; the building block of the plan model. */
int64_t strat_layer_cycles(const strat_problem_t *p, int layer, int cand, int inputs_from_ddr,
                           bool output_to_ddr);
/* DDR bytes a layer moves, by the same rules as strat_layer_cycles (their
 * sum over a plan is its ddr_bytes). */
int64_t strat_layer_ddr_bytes(const strat_problem_t *p, int layer, int cand, int inputs_from_ddr,
                              bool output_to_ddr);
/* The same in the problem's objective: cycles, or DDR bytes for
 * STRAT_OBJECTIVE_BANDWIDTH. Linear in inputs_from_ddr and output_to_ddr,
 * which is what the ILP's coefficients are read from. */
int64_t strat_layer_objective(const strat_problem_t *p, int layer, int cand, int inputs_from_ddr,
                              bool output_to_ddr);
/* How many of a layer's inputs come from DDR under a plan (graph inputs and
 * spilled values). */
int strat_layer_inputs_from_ddr(const strat_problem_t *p, const strat_plan_t *plan, int layer);
/* What kept value v (output of layer v under candidate a) occupies per
 * cluster while it waits for its readers: its output distribution, or what
 * the producer writes if more; 0 inside a streaming region. */
int64_t strat_value_hold_bytes(const strat_problem_t *p, int v, int a);
/* The same for candidate c of the op writing `tensor`, computed once when the
 * candidate is made (strat_candidate_t.hold_bytes). */
int64_t strat_candidate_hold_bytes(const ir_graph_t *g, int tensor, const strat_candidate_t *c);
/* The part of layer l's input footprint (candidate c) that holds value v. */
int64_t strat_read_share_bytes(const strat_problem_t *p, int l, int c, int v);
/* CMX bytes per cluster in use while layer `step` runs: its footprint, plus
 * each kept value live then: the whole hold while crossing, and at its
 * producer and readers what the hold exceeds their own count of it (a
 * broadcast tensor still held whole while a segmented reader counts its
 * part). A concat writes its inputs in place. */
int64_t strat_step_cmx_bytes(const strat_problem_t *p, const strat_plan_t *plan, int step);
/* Every step's strat_step_cmx_bytes at once, O(n) for the windows (n + 1
 * entries; the caller frees). */
int64_t *strat_plan_cmx_bytes_per_step(const strat_problem_t *p, const strat_plan_t *plan);
/* The checker: candidate indices in range, every forced spill present, CMX
 * within capacity at every step. Names the first violation. */
int strat_plan_verify(const strat_problem_t *p, const strat_plan_t *plan, sched_diag_t *diag);
/* The same plan in another problem over the same net (another CMX budget):
 * each layer's choice, streaming region, spill and prefetch window (set
 * anew by strat_plan_best_prefetch if they do not fit there). A sliced
 * choice that `to` dropped as dominated is appended to its candidates.
 * SCHED_ERR_INFEASIBLE naming the layer when a choice is no candidate there
 * and does not fit, or the plan does not fit. */
int strat_plan_map(const strat_problem_t *from, const strat_plan_t *plan, strat_problem_t *to,
                   strat_plan_t *out, sched_diag_t *diag);
/* Makes every region all-or-nothing: where only some members chose their
 * region candidate, those members take their cheapest candidate outside
 * any region. Spills are recomputed where anything changed. Returns how many
 * layers changed. strat_solve runs it after solvers that ignore regions. */
int strat_plan_fix_regions(const strat_problem_t *p, strat_plan_t *plan);
/* Whether every member of the region has a candidate in it. */
bool strat_region_joinable(const strat_problem_t *p, int region);
/* How many layers chose a region candidate that some member did not. */
int strat_plan_broken_regions(const strat_problem_t *p, const strat_plan_t *plan);
/* Makes a plan fit by spilling the long-lived tensors that cross over-full
 * steps, largest first. Used by heuristics that ignore capacity. */
void strat_plan_repair_capacity(const strat_problem_t *p, strat_plan_t *plan);
/* Layer `layer` takes candidate `cand`; regions, spills, CMX fit and
 * prefetch windows follow (the plan is not evaluated). Returns whether the
 * plan verifies (strat_plan_verify): regions and spills hold by
 * construction, and the repair leaves a step over capacity only when its
 * layer alone overflows. */
bool strat_plan_retile(const strat_problem_t *p, strat_plan_t *plan, int layer, int cand);

/* ---- timeline.c: the plan model's clock ---- */

/* What one layer puts on the two resources under a plan (DPU cycles). */
typedef struct {
  int64_t weight_xfer_cycles; /* channel time of its weights */
  int64_t input_xfer_cycles;  /* of its inputs from DDR (unsliced) */
  int64_t output_xfer_cycles; /* of its output to DDR (unsliced, spilled) */
  int64_t compute_cycles;     /* unsliced: its compute */
  int64_t body_cycles;        /* sliced: slices' DMA and compute, holding both resources */
  bool has_weights, has_input, has_output; /* each DMA pays the latency once */
} strat_layer_terms_t;

typedef enum { STRAT_DMA_WEIGHTS, STRAT_DMA_OUTPUT, STRAT_DMA_INPUT } strat_dma_kind_t;

/* One DMA item of the channel: released when layer release_layer has
 * computed (-1: at the start). */
typedef struct {
  strat_dma_kind_t kind;
  int layer;
  int release_layer;
} strat_dma_item_t;

/* A candidate's weight load before its compute (0 when sliced over K: the
 * weights stream with the slices), and a sliced candidate's body (its
 * slices' DMA and compute, the weights it streams included). */
int64_t strat_weight_item_cycles(const strat_problem_t *p, int layer, int cand);
int64_t strat_body_cycles(const strat_problem_t *p, int layer, int cand);
/* A sliced candidate's slices run as the schedule lowers them (slice
 * DMAs on the channel in task order, compute slice by slice, slice buffers
 * reused `depth` slices later), from its first transfer to its last end. */
int64_t strat_slice_pipeline_cycles(const strat_problem_t *p, int layer,
                                    const strat_candidate_t *c);
/* DDR DMA latency in DPU cycles (overlaps the channel's other transfers). */
int64_t strat_dma_latency_cycles(const strat_problem_t *p);
void strat_layer_terms(const strat_problem_t *p, const strat_plan_t *plan, int layer,
                       strat_layer_terms_t *out);
/* The 3 x n_layers DMA items in the channel's order for these prefetch
 * windows (items must hold 3 * n_layers); returns how many. */
int strat_dma_items(const strat_problem_t *p, const int32_t *prefetch, strat_dma_item_t *items);
/* The plan model's latency: the recurrence atop timeline.c. compute_end,
 * when not NULL, receives each layer's compute end (n_layers entries). O(n). */
int64_t strat_plan_latency_cycles(const strat_problem_t *p, const strat_plan_t *plan,
                                  int64_t *compute_end);
/* CMX bytes per cluster layer `layer` holds while prefetched under cand. */
int64_t strat_prefetch_bytes(const strat_problem_t *p, int layer, int cand);
/* Sets plan->prefetch: each layer's weights as early as CMX room allows (the
 * steps' bytes plus earlier prefetches within capacity), no earlier than the
 * layer before's, at most p->prefetch_cap steps. O(layers x window).
 * Returns whether every step then fits the capacity: windows take only room
 * there is, so whether the steps without them do (the capacity part of
 * strat_plan_verify, at the cost of one pass the windows need anyway). */
bool strat_plan_set_prefetch(const strat_problem_t *p, strat_plan_t *plan);
/* The same with the windows' room capped at room_bytes (<= capacity): the
 * windows the plan would get under a smaller budget; returns whether every
 * step fits room_bytes. */
bool strat_plan_set_prefetch_within(const strat_problem_t *p, strat_plan_t *plan,
                                    int64_t room_bytes);
/* Prefetch windows of a solver's plan: its own where they fit and are no
 * slower, else strat_plan_set_prefetch's, else those it would get at a
 * smaller rung of the CMX ladder (STRAT_CMX_RUNG_BYTES) where strictly
 * faster; then each layer's window by local search on the plan clock
 * (none to the widest that fits, within a work budget). Evaluates the
 * plan. */
void strat_plan_best_prefetch(const strat_problem_t *p, strat_plan_t *plan);
/* ---- clock_search.c: local searches on the plan clock ---- */

/* The window search's budget in layer-evaluations of the clock (about
 * 0.5 us each): a zoo net gets its passes (ResNet-50: 0.2M), a 1,000-layer
 * chain a few tries per layer. */
#define STRAT_TUNE_WINDOWS_MAX_WORK (INT64_C(1) << 20)
/* The plan's windows by local search on the plan clock: layer by layer,
 * each window from none to the widest that fits is tried with the others
 * held, the fastest kept, in passes until none improves or max_work
 * layer-evaluations are spent. Windows stay in release order. Evaluates the
 * plan; returns the work spent. */
int64_t strat_plan_tune_windows(const strat_problem_t *p, strat_plan_t *plan, int64_t max_work);
/* The candidate search's budget: ResNet-50 takes about 1M. */
#define STRAT_TUNE_CANDIDATES_MAX_WORK (INT64_C(1) << 24)
/* The plan's candidates and spills by local search on the plan clock:
 * layer by layer, every other candidate (strat_plan_retile) and the other
 * spill choice, with windows as room allows, kept when faster than the
 * plan with its tuned windows; in passes until none improves or max_work
 * layer-evaluations are spent. With compound_moves, when a pass keeps
 * nothing the next also tries compound moves: a layer's fastest candidate
 * of each other strategy with the spills of the values just before it
 * turned over where faster (they cost about a quarter more solve time;
 * until it keeps a move, that pass replays the single trials of the pass
 * before, whose plan it has). The ILP runs it on its answer: its model holds the
 * incumbent's windows, so a candidate that needs other windows is outside
 * it. Returns the moves kept. */
int32_t strat_plan_tune_candidates(const strat_problem_t *p, strat_plan_t *plan, int64_t max_work,
                                   bool compound_moves);
/* The window caps the clock search also runs under, in steps. */
#define STRAT_WINDOW_CAPS 4
extern const int32_t strat_window_caps[STRAT_WINDOW_CAPS];
/* strat_plan_tune_candidates, then again with windows capped at 2, 4, 8
 * and 16 steps (below the problem's cap), each from the first search's
 * plan, whose windows are then tuned without the cap: the fastest on the
 * problem's clock is kept. max_work for the first search, as much again
 * shared by the capped ones; compound_moves for all. Returns the moves
 * kept. capped_out: NULL, or STRAT_WINDOW_CAPS plans, each capped search's
 * plan with its capped windows (empty where the problem's cap is no
 * larger). The capped searches run two on a second thread; results do not
 * depend on it. */
int32_t strat_plan_clock_search(const strat_problem_t *p, strat_plan_t *plan, int64_t max_work,
                                bool compound_moves, strat_plan_t *capped_out);

/* The capacity-ladder climb: the problem viewed at each rung of
 * STRAT_CMX_RUNG_BYTES below its capacity (the same candidates, a smaller
 * budget), from the smallest up. At each rung the best quick heuristic's
 * plan there, or the plan carried up from the rung below when faster, is
 * given strat_plan_clock_search on that rung's clock (compound moves too,
 * as a run at that budget searches its last step) and carried up, and
 * again at the capacity; *plan takes it when faster. A plan
 * that fits a smaller budget fits a larger one, so what the rungs below found is not lost at the
 * top, whatever the MIP's node limit left out there. params: the heuristics' (incumbent and fixed
 * are ignored); params->capped_out (if set) takes, under each cap, the climb's capped plan where it
 * is faster on the clock than the one there. stop: NULL, or a flag another thread sets to end
 * the climb at the next rung (the ILP runs it beside its MIP). Returns the moves kept. */
int32_t strat_plan_climb(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *plan,
                         const atomic_bool *stop);
/* *kept becomes *other when other is a plan and kept is empty or slower on
 * the clock (ties keep kept); the one not kept is freed. */
void strat_plan_keep_faster(strat_plan_t *kept, strat_plan_t *other);

/* Bytes of later layers' prefetched weights in CMX at `step`. */
int64_t strat_step_prefetch_bytes(const strat_problem_t *p, const strat_plan_t *plan, int step);

/* The ladder of CMX budgets whose sliced candidates every larger budget
 * offers too (problem.c). */
#define STRAT_CMX_RUNG_BYTES (INT64_C(256) << 10)

/* ---- ilp.c and ilp_horizon.c: the ILP, and its decomposition for large nets ---- */

/* Above this many layers the ilp solver plans by rolling horizon: the whole
 * net's model (its rows grow with layers x prefetch window) is too large
 * for GLPK within a time limit of seconds: at 707 layers (llm) no root LP
 * in 10 s, at 1,000 generated layers a 1.1 GB model whose simplex overran
 * a 30 s limit by 44%. Above the zoo's CNNs and encoders (vit 221 layers). */
#define STRAT_ILP_FULL_MAX_LAYERS 256
/* The horizon's windows: free layers per window, and how far each moves on
 * (the rest of a window is looked ahead at and planned again by the next). */
#define STRAT_HORIZON_WINDOW 24
#define STRAT_HORIZON_STEP 16

/* The ILP's incumbent: params->incumbent (checked), else dp's plan. */
int strat_ilp_incumbent(const strat_problem_t *p, const strat_params_t *params, strat_plan_t *plan,
                        sched_diag_t *diag);
/* Whose plan the ILP falls back on: the caller's incumbent, else the best
 * quick heuristic's. */
const char *strat_ilp_incumbent_name(const strat_params_t *params);
/* Rolling horizon: windows of `window` free layers, moving on by `step`;
 * each is the exact ILP on the plan clock of its sub-net (from the lowest
 * value live at its first layer, so every CMX row is whole), the layers
 * before it held at the plan so far, the layers after it at the incumbent's.
 * A window's plan is kept only when the whole plan still verifies and its
 * latency is no worse, so the result is never worse than the incumbent.
 * stats->mip_gap is against strat_objective_lower_bound; the time limit
 * (from the call) stops it between or inside windows (stats->fallback says
 * from which layer the incumbent's plan was kept). */
int strat_ilp_horizon(const strat_problem_t *p, const strat_params_t *params, int32_t window,
                      int32_t step, strat_plan_t *out, strat_stats_t *stats, sched_diag_t *diag);
/* A lower bound on any plan's objective: for latency, the larger of the
 * compute resource's and the DMA channel's least busy time (each layer's
 * cheapest candidate, mandatory transfers only); for bandwidth, each
 * layer's fewest DDR bytes. */
int64_t strat_objective_lower_bound(const strat_problem_t *p);

/* ---- solvers.c: the table ---- */

const strat_solver_t *strat_solver_find(const char *name);
/* Runs a solver, times it (stats->solve_ms), evaluates and verifies its plan;
 * an invalid plan is SCHED_ERR_INTERNAL naming the solver and violation.
 * out is initialised by the solver and owned by the caller afterwards. */
int strat_solve(const strat_solver_t *solver, const strat_problem_t *p,
                const strat_params_t *params, strat_plan_t *out, strat_stats_t *stats,
                sched_diag_t *diag);
/* The solvers in table order, NULL-terminated. */
const strat_solver_t *const *strat_solvers(void);

/* ---- plan_file.c: plans as JSON (--dump-plan, --strategy-file) ---- */

/* Writes {"net":..., "layers":[{"name","strategy","tiles","tile_axis",
 * "pipelined","spilled"}]} for a plan. */
int strat_plan_write_json(const strat_problem_t *p, const strat_plan_t *plan, const char *net,
                          const char *path, sched_diag_t *diag);
/* Reads such a file (any subset of layers, by name; "tiles", "pipelined"
 * optional) and keeps only the matching candidates of each named layer, so
 * any solver then completes the plan: a full file replays it exactly. A
 * slicing this budget does not offer (one a budget off the 256KB ladder
 * chose) is added when it fits (strat_problem_add_slicing), so a plan
 * from a smaller budget replays at a larger one. An unknown layer,
 * strategy or a choice that neither is a candidate nor fits is an input
 * error naming the layer and the candidates it has. */
int strat_problem_force_json(strat_problem_t *p, const char *path, sched_diag_t *diag);
/* Adds to layer's candidates the non-region slicing `want` (strategy,
 * tiles, pipelined; the axis is the strategy's) when it is legal, within
 * the axis' slice limit and fits the budget; SCHED_ERR_INFEASIBLE when
 * not. Appends: existing plans' indices stay valid. */
int strat_problem_add_slicing(strat_problem_t *p, int layer, tiling_choice_t want,
                              sched_diag_t *diag);
/* The same for a streaming region: layers first .. first + n_ops - 1
 * streamed in `strategy`, sliced into `tiles`, added (with its candidate on
 * every member) when the layers stream into each other, the strategy is
 * the one such a region takes here and it fits; SCHED_OK when it is there
 * already, SCHED_ERR_INFEASIBLE when it cannot be. */
int strat_problem_add_region_slicing(strat_problem_t *p, int first, int n_ops,
                                     tiling_strategy_t strategy, int32_t tiles, sched_diag_t *diag);

#endif
