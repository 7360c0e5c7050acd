/* schedule_internal.h - helpers shared by the files of schedule/. */
#ifndef SCHED_SCHEDULE_INTERNAL_H
#define SCHED_SCHEDULE_INTERNAL_H

#include "schedule/schedule.h"

/* A growable list of task ids (or other ints). */
typedef struct {
  int *ids;
  int n, cap;
} schedule_ids_t;

static inline void schedule_ids_push(schedule_ids_t *l, int id) {
  sched_grow((void **)&l->ids, &l->cap, l->n + 1, sizeof *l->ids);
  l->ids[l->n++] = id;
}

/* Adjacency lists (CSR) of extra dependencies, ascending per task. */
typedef struct {
  int *start; /* n_tasks + 1 */
  int *list;
} schedule_adj_t;

/* Builds out-lists (by_src) or in-lists (!by_src) of n edges src -> dst. */
void schedule_adj_build(int n_tasks, const int *src, const int *dst, int n, bool by_src,
                        schedule_adj_t *out);
void schedule_adj_free(schedule_adj_t *a);

/* schedule_simulate with extra dependencies (barrier serialisation). */
int schedule_simulate_extra(const schedule_graph_t *g, const arch_t *arch, const int *extra_src,
                            const int *extra_dst, int n_extra, schedule_t *out, sched_diag_t *diag);
/* Its two halves: the timeline alone (start, end, engine, order, latency),
 * as the barrier rounds need it, and then the per-layer times, busy and
 * overlap figures and the critical path the report reads. */
int schedule_simulate_timeline(const schedule_graph_t *g, const arch_t *arch, const int *extra_src,
                               const int *extra_dst, int n_extra, schedule_t *out,
                               sched_diag_t *diag);
void schedule_fill_figures(const schedule_graph_t *g, schedule_t *s);

/* Engine index of a task's kind and cluster in the layout of schedule.h:
 * the first engine that may run it and how many may. */
void schedule_engine_range(const schedule_t *s, const schedule_task_t *t, int *first, int *count);

/* Vector clocks over a DAG whose chains are the engines' FIFOs: at[t * n_engines + e] is the
 * highest FIFO position on engine e of a task ordered before or equal to t (-1: none). Then u
 * is ordered before v exactly when at[v * n_engines + engine(u)] >= queue_pos(u): reachability
 * in O(1) after O((tasks + edges) x engines). */
typedef struct {
  int n_engines;
  int *at;
} schedule_clock_t;

void schedule_clock_init(schedule_clock_t *c, int n_tasks, int n_engines);
void schedule_clock_free(schedule_clock_t *c);
/* Folds a predecessor's clock into t's (p < 0: t's own FIFO position only). */
void schedule_clock_join(schedule_clock_t *c, int t, const int *from);
int *schedule_clock_row(const schedule_clock_t *c, int t);
bool schedule_clock_before(const schedule_clock_t *c, const schedule_t *s, int u, int v);

#endif
