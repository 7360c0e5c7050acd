/* schedule.h - a plan lowered to the tasks the hardware runs, their
 * schedule on the engines, the hardware barriers that synchronise them, and
 * the checkers of both.
 *
 * Pipeline: plan -> schedule_graph_build (tasks.c: DMA / DPU / SHAVE tasks
 * and their data dependencies, an igraph DAG) -> schedule_simulate
 * (simulate.c: event-driven list scheduling on DMA ports, one DPU queue per
 * cluster and the SHAVEs; the timeline) -> schedule_barriers_plan
 * (barriers.c: virtual barriers, physical ids, serialisation when ids run
 * out). schedule_verify and schedule_barriers_verify (verify.c) check the
 * results independently and name the first violation.
 *
 * Engines run their tasks in FIFO order (the order the simulation started
 * them). Every duration is in DPU clock cycles (arch.h); a DMA task's cycles
 * are latency + bytes at full DDR bandwidth, and DDR is shared: the
 * transfers of DDR DMAs go through it one at a time while the ports overlap
 * their latencies. Nothing here keeps global or static mutable state. */
#ifndef SCHED_SCHEDULE_H
#define SCHED_SCHEDULE_H

#include <igraph/igraph.h>

#include "memalloc/memalloc.h"
#include "strategies/strategies.h"

/* ---- types ---- */

/* What hardware runs a task. */
typedef enum {
  SCHEDULE_TASK_DMA,
  SCHEDULE_TASK_DPU,
  SCHEDULE_TASK_SHAVE,
  SCHEDULE_TASK_CPU /* host CPU: an op that falls back (cost engine CPU); one track, cluster -1 */
} schedule_task_kind_t;

/* Why a task exists. */
typedef enum {
  SCHEDULE_ROLE_WEIGHTS,   /* DDR -> CMX: a layer's weights (per slice when sliced over K) */
  SCHEDULE_ROLE_INPUT,     /* DDR -> CMX: an input (or a slice of the inputs) */
  SCHEDULE_ROLE_OUTPUT,    /* CMX -> DDR: the output (or a slice); a spill unless graph output */
  SCHEDULE_ROLE_BROADCAST, /* CMX -> CMX: SOK / HKSwitch output multicast to every cluster */
  SCHEDULE_ROLE_COMPUTE,   /* a cluster's share of a slice (DPU or SHAVE), or a DMA-engine op */
  SCHEDULE_ROLE_COUNT
} schedule_task_role_t;

typedef struct {
  schedule_task_kind_t kind;
  schedule_task_role_t role;
  int layer;        /* layer index of the plan problem */
  int slice;        /* slice in time (0 for whole-layer tasks) */
  int cluster;      /* DPU / SHAVE tasks: the cluster; DMA tasks: -1 */
  int64_t cycles;   /* duration alone on its engine (DMA: latency + bytes at full bandwidth) */
  int64_t bytes;    /* DMA tasks: bytes moved; else 0 */
  bool ddr;         /* DMA tasks: the transfer uses DDR (shared by the ports) */
  bool spill;       /* input / output DMA of a tensor that is neither graph input nor output */
  int32_t dma_rank; /* DDR DMAs: place of its item in the DMA program order (the plan model's
                       channel order, strategies/timeline.c); a DMA starts only while no
                       ready DMA of a lower rank waits. -1: not in the queue */
} schedule_task_t;

/* The task graph: tasks and "must end before" dependencies, a DAG held in
 * igraph, with predecessor / successor lists (CSR, ascending) for passes. */
typedef struct {
  schedule_task_t *tasks;
  int n_tasks, cap_tasks;
  char **layer_names; /* owned copies, one per layer */
  int n_layers;
  int *edge_src, *edge_dst; /* dependencies as added (duplicates allowed until finish) */
  int n_edges, cap_edges;
  /* filled by schedule_graph_finish: */
  igraph_t dag; /* vertex = task id, edge = dependency */
  bool has_dag;
  int *pred_start, *pred; /* preds of t: pred[pred_start[t] .. pred_start[t+1]) */
  int *succ_start, *succ;
  int *topo_order;              /* igraph's topological order */
  int64_t critical_path_cycles; /* longest path of task cycles (no resource limits) */
  int *critical_path;           /* its tasks in order */
  int n_critical_path;
} schedule_graph_t;

typedef struct {
  int32_t barriers;             /* physical barriers available; 0 = the arch's count (0) */
  int32_t barrier_slots;        /* producer / consumer slots per barrier; 0 = the arch's (0) */
  int32_t max_serial_rounds;    /* barrier serialisation: re-simulations before giving up (2000) */
  int64_t max_serial_work;      /* and tasks x re-simulations before giving up (2^24: a few
                                   seconds, whatever the task count) */
  bool serialise_one_per_round; /* the first conflict of a round only (false: several once
                                   they outnumber an eighth of the rounds left) */
} schedule_params_t;

/* Engines: DMA ports first, then one DPU queue per cluster, then SHAVEs
 * (shaves / clusters per cluster, at least one). */
typedef struct {
  schedule_task_kind_t kind;
  int index;           /* port, cluster, or SHAVE number within the cluster */
  int cluster;         /* -1 for DMA ports */
  char name[32];       /* "DMA0", "DPU1", "SHAVE0.1" */
  int64_t busy_cycles; /* sum of its tasks' durations */
  int n_tasks;
} schedule_engine_t;

/* One layer on the timeline. A layer spans from its first compute task's
 * start (its first task when it computes nothing) to its last task's end. */
typedef struct {
  int64_t start_cycles, end_cycles;
  int64_t compute_cycles; /* union of its compute intervals */
  int64_t dma_cycles;     /* union of its DMA intervals (prefetched ones included) */
  int64_t overlap_cycles; /* compute and DMA at the same time */
  int64_t stall_cycles;   /* inside its span, neither computing nor moving data */
  const char *bound;      /* "compute", "dma", "shave", "waiting" or "-" */
} schedule_layer_time_t;

/* A timeline: per task, its engine and [start, end). */
typedef struct {
  int n_tasks;
  int64_t *start_cycles, *end_cycles;
  int *engine;    /* index into engines */
  int *queue_pos; /* position in its engine's FIFO */
  int *cause;     /* the task whose end let it start (-1: none, it started at 0) */
  int *order;     /* tasks in the order they started: topological for dependencies and FIFOs */
  schedule_engine_t *engines;
  int n_engines;
  int64_t latency_cycles;
  int64_t ddr_dma_latency_cycles; /* hidden behind earlier transfers: a DDR DMA's interval
                                     may be that much shorter than its cycles */
  int64_t dma_cycles;             /* union of all DMA intervals */
  int64_t compute_cycles;         /* union of all DPU / SHAVE intervals */
  int64_t overlap_cycles;         /* DMA and compute at the same time */
  int *critical_path;             /* tasks that set the latency, first to last */
  int n_critical_path;
  schedule_layer_time_t *layers;
  int n_layers;
} schedule_t;

/* A barrier: producers count it down; consumers wait until all ended. */
typedef struct {
  int *producers, *consumers; /* task ids, ascending */
  int n_producers, n_consumers;
  int id;                 /* physical barrier id, 0 .. max-1 */
  int64_t active_cycles;  /* first producer start on the timeline */
  int64_t release_cycles; /* last consumer end: the id is free again */
} schedule_barrier_t;

/* The barrier program, barriers in activation order. Uses of one physical
 * id follow that order: a use may begin only after every consumer of the
 * previous use has ended, which the program guarantees by dependencies
 * (the checker proves it). */
typedef struct {
  schedule_barrier_t *barriers;
  int n_barriers, cap_barriers;
  int barriers_max;             /* physical ids available */
  int slots;                    /* producer / consumer slots per barrier */
  int ids_used;                 /* distinct physical ids */
  int peak_live;                /* most barriers live at one time on the timeline */
  int deps_total;               /* dependencies (data + serialisation) */
  int deps_fifo;                /* dropped: implied by an engine's FIFO order */
  int deps_transitive;          /* dropped: implied by other dependencies */
  int merged;                   /* barriers saved by merging consumers with the same producers */
  int split;                    /* barriers added by splitting over the slot limit */
  int *serial_src, *serial_dst; /* dependencies added to free ids */
  int n_serial, cap_serial;
  int rounds; /* simulations run to fit the ids */
  int64_t unserialised_latency_cycles;
  int64_t stall_cycles; /* latency the serialisation cost */
} schedule_barriers_t;

/* ---- tasks.c: the task graph ---- */

schedule_params_t schedule_params_default(void);
/* An empty graph of n_layers layers; names are copied (NULL: "L<i>"). */
void schedule_graph_init(schedule_graph_t *g, int n_layers, const char *const *layer_names);
void schedule_graph_free(schedule_graph_t *g); /* safe on a zeroed or freed graph */
/* Appends a task and returns its id. */
int schedule_graph_add_task(schedule_graph_t *g, const schedule_task_t *task);
/* `from` must end before `to` starts. */
void schedule_graph_add_dep(schedule_graph_t *g, int from, int to);
/* Deduplicates the dependencies, builds the igraph DAG, the CSR lists, the
 * topological order and the critical path. A cycle or an out-of-range task
 * is SCHED_ERR_INTERNAL naming a task. */
int schedule_graph_finish(schedule_graph_t *g, sched_diag_t *diag);
/* Lowers a plan: per layer its weight DMA (per slice when sliced over K),
 * per slice the input DMAs, per cluster the DPU or SHAVE task (one DMA task
 * for DMA-engine ops, none for free ops), the output DMA when the output
 * goes through DDR, and the broadcast of SOK / HKSwitch outputs kept in CMX;
 * dependencies for data, for slice buffers (one buffer when isolated, two
 * when pipelined) and for prefetch (params->prefetch_depth). Finished. */
int schedule_graph_build(const strat_problem_t *p, const strat_plan_t *plan,
                         const schedule_params_t *params, schedule_graph_t *out,
                         sched_diag_t *diag);
/* "conv1 w", "conv1 in s0", "conv1 dpu s0 c1", "conv1 out s2", "conv1 bcast" */
const char *schedule_task_name(const schedule_graph_t *g, int task, char *buf, size_t len);
const char *schedule_task_kind_name(schedule_task_kind_t kind); /* "DMA", "DPU", "SHAVE" */
const char *schedule_task_role_name(schedule_task_role_t role); /* "weights", ... */

/* ---- simulate.c: list scheduling ---- */

/* A DDR transfer's fixed latency in cycles: a DDR DMA task of c cycles
 * holds the DDR channel (at full bandwidth) for its last c - min(this, c)
 * cycles; the channel serves one transfer at a time. */
int64_t schedule_dma_latency_cycles(const arch_t *arch);

void schedule_free(schedule_t *s); /* safe on a zeroed or freed schedule */
/* Schedules a finished graph on the arch's engines: at each event the ready
 * tasks, lowest id first, start on a free engine of their kind (DPU / SHAVE
 * tasks on their cluster's). Fills the timeline, engine busy times, overlap,
 * the critical path and per-layer times. O(tasks x ready + edges). */
int schedule_simulate(const schedule_graph_t *g, const arch_t *arch, schedule_t *out,
                      sched_diag_t *diag);

/* ---- barriers.c: the barrier program ---- */

void schedule_barriers_free(schedule_barriers_t *b); /* safe on zeroed / freed */
/* Plans barriers for a schedule: drops dependencies implied by FIFO order
 * and by other dependencies, one barrier per set of producers (consumers
 * with the same producers share it), split over the slot limit, physical
 * ids in activation order, an id reused only once its previous use is
 * ordered before. When no id is free, adds dependencies (serialisation:
 * each conflicting barrier waits for the use it would take the id of, for
 * every conflict of the round unless params->serialise_one_per_round),
 * re-simulates into *sched and starts over; the latency this costs is
 * b->stall_cycles. SCHED_ERR_INFEASIBLE when params->max_serial_rounds (or
 * params->max_serial_work tasks x rounds) do not suffice or fewer than 2
 * ids exist. */
int schedule_barriers_plan(const schedule_graph_t *g, const arch_t *arch,
                           const schedule_params_t *params, schedule_t *sched,
                           schedule_barriers_t *out, sched_diag_t *diag);

/* ---- verify.c: the checkers ---- */

/* Every dependency respected (start >= end of each predecessor), every task
 * on an engine of its kind and cluster, no two tasks of one engine overlap,
 * durations at least the task's cycles. SCHED_ERR_INTERNAL naming the first
 * violation. */
int schedule_verify(const schedule_graph_t *g, const schedule_t *s, sched_diag_t *diag);
/* Replays a barrier program over the schedule's engine FIFOs: every
 * dependency (data and serialisation) is ordered by FIFO order and barriers,
 * the replay (tasks as soon as FIFO and barriers allow) ends without
 * deadlock, ids and slots within limits, and no id reused while its previous
 * use is live. SCHED_ERR_INTERNAL naming the first violation. */
int schedule_barriers_verify(const schedule_graph_t *g, const schedule_t *s,
                             const schedule_barriers_t *b, sched_diag_t *diag);

/* ---- buffers.c: a plan's CMX buffers, one tile's worth ---- */

/* What a CMX buffer holds. */
typedef enum {
  SCHEDULE_BUFFER_WEIGHTS, /* a layer's weights and weight table */
  SCHEDULE_BUFFER_INPUT,   /* a layer's input read from DDR (graph input or spilled) */
  SCHEDULE_BUFFER_OUTPUT,  /* a layer's output written to DDR */
  SCHEDULE_BUFFER_VALUE,   /* a layer's output kept in CMX until its last consumer */
  SCHEDULE_BUFFER_REGION,  /* a streaming region's working set (all members' slices) */
  SCHEDULE_BUFFER_KIND_COUNT
} schedule_buffer_kind_t;

/* One buffer of one tile's CMX, live during plan steps [lower, upper)
 * (step t = layer t runs). */
typedef struct {
  schedule_buffer_kind_t kind;
  int layer;              /* owner: the layer (a value's producer, a region's first member) */
  bool second;            /* the second buffer of a double-buffered (pipelined) pair */
  int32_t prefetch_steps; /* weights: live this many steps before their layer (plan->prefetch) */
  int64_t lower, upper;
  int64_t size_bytes; /* > 0 */
} schedule_buffer_t;

/* The buffers of the worst cluster (cluster 0 holds the largest part of
 * every layer: tiling's footprints are the largest cluster's). */
typedef struct {
  schedule_buffer_t *buffers;
  int n_buffers, cap_buffers;
  int n_steps; /* layers of the plan */
} schedule_buffers_t;

void schedule_buffers_free(schedule_buffers_t *b); /* safe on zeroed / freed */
/* Lists a verified plan's CMX buffers per the mapping atop buffers.c;
 * weights live plan->prefetch steps early. *out is overwritten.
 * O(layers x inputs + values x consumers). */
void schedule_buffers_build(const strat_problem_t *p, const strat_plan_t *plan,
                            schedule_buffers_t *out);
/* Bytes of the buffers live at a step (prefetched weights included):
 * equals strat_step_cmx_bytes when producers and consumers agree on the
 * size of every kept value (the tests check the zoo). */
int64_t schedule_buffers_plan_step_bytes(const schedule_buffers_t *b, int step);
/* The buffers as a memalloc problem: buffer i is id i, with the given
 * capacity and alignment. */
void schedule_buffers_problem(const schedule_buffers_t *b, int64_t capacity_bytes,
                              int64_t align_bytes, memalloc_problem_t *out);
const char *schedule_buffer_kind_name(schedule_buffer_kind_t kind); /* "weights", ... */
/* "conv1 weights", "conv1 in'" (the second of a pair), "dw1..pw1 region". */
const char *schedule_buffer_label(const strat_problem_t *p, const schedule_buffer_t *b, char *buf,
                                  size_t len);

/* ---- allocate.c: the buffers placed in CMX, the plan repaired to fit ---- */

typedef struct {
  const char *allocator; /* memalloc allocator to place the buffers ("search") */
  int64_t search_nodes;  /* search nodes for all rounds of one plan together: when they run
                            out, greedy-size's layout if it fits; a node count, unlike a time
                            limit, gives the same layout on any machine (400000) */
  /* a search node scans the buffers still to place over the steps they
     span, so on long nets a node costs up to the problem's buffer-steps
     (sum over buffers of upper - lower): no attempt gets more nodes than
     this over the buffer-steps, which keeps the search's work per plan
     bounded however long the net (1e9; zoo nets have under 10^4
     buffer-steps, 10^5 nodes or more) */
  int64_t search_work;
  double time_limit_s;   /* wall-clock safety net per round (10) */
  int64_t tighten_nodes; /* after a fit above the lower bound, search nodes to try the
                            bound itself; 0 = keep the first layout (20000) */
  int32_t max_repairs;   /* spills / re-tilings before giving up (32) */
  int64_t align_bytes;   /* every buffer's offset alignment (1) */
} schedule_alloc_params_t;

typedef enum {
  SCHEDULE_REPAIR_PREFETCH, /* a layer's weights load later: no room for them early */
  SCHEDULE_REPAIR_SPILL,
  SCHEDULE_REPAIR_RETILE
} schedule_repair_kind_t;

/* One change made to the plan so that its buffers fit. */
typedef struct {
  schedule_repair_kind_t kind;
  int layer;          /* spilled value's producer, the re-tiled layer, or the latest
                         layer whose prefetch was dropped over `step` */
  int step;           /* the step where the layout failed (prefetch: the first
                         step where windows were dropped) */
  int n_layers;       /* prefetch: windows dropped in this round */
  int n_steps;        /* prefetch: steps they were dropped over */
  bool fragmentation; /* the bytes fitted but no layout did (else: over capacity) */
  int64_t cost;       /* objective added (cycles or DDR bytes) */
} schedule_repair_t;

/* A plan's allocation: its buffers, their layout, the allocator's figures
 * and the repairs. Owns everything. */
typedef struct {
  schedule_buffers_t buffers;
  memalloc_problem_t problem;   /* buffer i is id i; capacity = the CMX budget */
  memalloc_solution_t solution; /* offsets (empty when the bytes alone overflow) */
  memalloc_stats_t stats;       /* of the layout kept: lower bound, peak, overhead */
  const char *allocator;        /* that made the layout ("greedy-size" after a timeout) */
  bool fits;
  schedule_repair_t *repairs;
  int n_repairs, cap_repairs;
  int64_t search_nodes_used; /* over all rounds */
} schedule_alloc_t;

schedule_alloc_params_t schedule_alloc_params_default(void);
void schedule_alloc_free(schedule_alloc_t *a); /* safe on zeroed / freed */
/* Builds the plan's buffers and places them within p->capacity_bytes;
 * while no layout fits, repairs the plan (a spill, else a re-tiling; see
 * allocate.c) and tries again. The plan stays verified and evaluated.
 * SCHED_ERR_INFEASIBLE naming the failing step after ap->max_repairs or
 * when nothing is left to change; *out then holds the last attempt. */
int schedule_alloc_plan(const strat_problem_t *p, strat_plan_t *plan,
                        const schedule_alloc_params_t *ap, schedule_alloc_t *out,
                        sched_diag_t *diag);
/* "spilled 'layer3' (fragmentation at step 17, 'conv5')" */
const char *schedule_repair_describe(const strat_problem_t *p, const schedule_repair_t *r,
                                     char *buf, size_t len);

#endif
