/* memalloc.c - the allocator table and the one entry point: check the
 * problem, run an allocator, time it, verify its layout, fill the stats.
 * Adding an allocator is one file plus one row in `table`. */
#include "memalloc/memalloc_internal.h"

#include <string.h>

static const memalloc_allocator_t table[] = {
    {"linear", "start order, lowest gap that fits (baseline)", false, memalloc_linear_run},
    {"greedy-size", "largest first, best-fitting gap (TFLite's planner)", false,
     memalloc_greedy_size_run},
    {"search", "complete branch and bound: a layout or a proof that none fits", true,
     memalloc_search_run},
    {"ilp", "GLPK integer program (small instances, exact)", true, memalloc_ilp_run},
    {NULL, NULL, false, NULL},
};

memalloc_params_t memalloc_params_default(void) {
  return (memalloc_params_t){
      .time_limit_s = 10.0,
      .node_limit = 0,
      .canonical_order = true,
      .section_bound = true,
      .forced_placement = true,
      .identical_order = true,
      .static_partition = true,
      .dynamic_decomposition = true,
      .dynamic_ordering = true,
      .hole_dominance = true,
      .deadend_memo = true,
      .backjumping = true,
      .load_bound = true,
      .engine = MEMALLOC_ENGINE_PORTFOLIO,
      .warm_start = true,
      .restarts = true,
  };
}

/* Indexed by memalloc_search_engine_t. */
static const char *const engine_names[] = {"portfolio", "offset", "skyline"};

bool memalloc_engine_find(const char *name, memalloc_search_engine_t *engine) {
  for (int k = 0; k < SCHED_ARRAY_LEN(engine_names); k++)
    if (strcmp(name, engine_names[k]) == 0) {
      *engine = (memalloc_search_engine_t)k;
      return true;
    }
  return false;
}

const char *memalloc_engine_name(memalloc_search_engine_t engine) { return engine_names[engine]; }

const memalloc_allocator_t *memalloc_allocators(void) { return table; }

const memalloc_allocator_t *memalloc_allocator_find(const char *name) {
  for (int i = 0; table[i].name; i++)
    if (strcmp(table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

/* A layout that came back must pass the checker; against the capacity only
 * when the allocator claims it fits. */
static int result_verify(const memalloc_allocator_t *a, const memalloc_problem_t *p,
                         const memalloc_solution_t *s, int rc, sched_diag_t *diag) {
  memalloc_problem_t unbounded = *p;
  if (rc == SCHED_ERR_NOT_FOUND)
    unbounded.capacity_bytes = INT64_MAX;
  sched_diag_t why = {{0}};
  if (memalloc_verify(&unbounded, s, &why) == SCHED_OK)
    return rc;
  return sched_diag_set(diag, SCHED_ERR_INTERNAL, "allocator %s returned an invalid layout: %s",
                        a->name, why.msg);
}

int memalloc_run(const memalloc_allocator_t *allocator, const memalloc_problem_t *p,
                 memalloc_solution_t *s, const memalloc_params_t *params, memalloc_stats_t *stats,
                 sched_diag_t *diag) {
  memalloc_params_t defaults = memalloc_params_default();
  memalloc_stats_t st = {
      .allocator = allocator->name, .n_buffers = p->n_buffers, .capacity_bytes = p->capacity_bytes};
  int rc = memalloc_problem_check(p, diag);
  if (rc == SCHED_OK) {
    st.lower_bound_bytes = memalloc_problem_lower_bound(p);
    double t0 = memalloc_i_now_ms();
    rc = allocator->run(p, s, params ? params : &defaults, &st, diag);
    st.time_ms = memalloc_i_now_ms() - t0;
    if (rc == SCHED_OK || rc == SCHED_ERR_NOT_FOUND)
      rc = result_verify(allocator, p, s, rc, diag);
  }
  st.status = rc;
  if (rc == SCHED_OK || rc == SCHED_ERR_NOT_FOUND) {
    st.peak_bytes = s->peak_bytes;
    if (st.lower_bound_bytes > 0)
      st.overhead_pct =
          100.0 * (double)(st.peak_bytes - st.lower_bound_bytes) / (double)st.lower_bound_bytes;
  }
  if (stats)
    *stats = st;
  return rc;
}

static const char *result_text(int status) {
  switch (status) {
  case SCHED_OK: return "fits";
  case SCHED_ERR_INFEASIBLE: return "proved that no layout fits";
  case SCHED_ERR_TIMEOUT: return "stopped by the time or node limit without a layout";
  case SCHED_ERR_NOT_FOUND: return "does not fit (heuristic: no proof that none does)";
  }
  return sched_status_name(status);
}

void memalloc_stats_print(const memalloc_stats_t *st, bool with_time, FILE *out) {
  fprintf(out, "allocator:   %s\n", st->allocator);
  fprintf(out, "buffers:     %d\n", st->n_buffers);
  fprintf(out, "capacity:    %lld bytes\n", (long long)st->capacity_bytes);
  fprintf(out, "lower bound: %lld bytes (max live)\n", (long long)st->lower_bound_bytes);
  if (st->status == SCHED_OK || st->status == SCHED_ERR_NOT_FOUND) {
    fprintf(out, "peak:        %lld bytes\n", (long long)st->peak_bytes);
    fprintf(out, "overhead:    %.2f %%\n", st->overhead_pct);
  } else {
    fprintf(out, "peak:        -\n");
    fprintf(out, "overhead:    -\n");
  }
  fprintf(out, "result:      %s\n", result_text(st->status));
  if (st->nodes > 0)
    fprintf(out, "nodes:       %lld\n", (long long)st->nodes);
  if (with_time)
    fprintf(out, "time:        %.3f ms\n", st->time_ms);
}
