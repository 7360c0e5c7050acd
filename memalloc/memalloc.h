/* memalloc.h - CMX memory allocation: buffers with live ranges in, an offset
 * per buffer out, so that no two buffers live at the same step share bytes.
 *
 * A problem is a list of buffers (id, half-open live interval [lower, upper)
 * in schedule steps, size, alignment) and a capacity. An allocator fills a
 * solution (one offset per buffer, same index as the problem) and a stats
 * struct: max-live lower bound, peak address used, overhead above the bound,
 * time, search nodes. Allocators sit behind one table of function pointers
 * (memalloc.c); memalloc_run is the one entry point a pipeline calls:
 *
 *   memalloc_problem_t p;  memalloc_problem_init(&p, cmx_bytes);
 *   memalloc_problem_add(&p, id, lower, upper, size, align, &diag);  ...
 *   memalloc_solution_t s; memalloc_solution_init(&s);
 *   memalloc_params_t prm = memalloc_params_default();
 *   memalloc_stats_t st;
 *   int rc = memalloc_run(memalloc_allocator_find("search"), &p, &s, &prm, &st, &diag);
 *   ... rc: SCHED_OK (layout within capacity), SCHED_ERR_INFEASIBLE (proved
 *   none exists), SCHED_ERR_TIMEOUT (search stopped without one),
 *   SCHED_ERR_NOT_FOUND (a heuristic's layout exceeds capacity: no proof),
 *   SCHED_ERR_INPUT (bad problem).
 *   memalloc_solution_free(&s); memalloc_problem_free(&p);
 *
 * memalloc_verify checks any solution independently and names the first
 * violation. Nothing here keeps global or static mutable state. */
#ifndef SCHED_MEMALLOC_H
#define SCHED_MEMALLOC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

/* Sanity caps on problems (CSV rows and values beyond these are input
 * errors, so the allocators never see absurd numbers). */
#define MEMALLOC_MAX_BUFFERS 1000000
#define MEMALLOC_CSV_MAX_BYTES ((size_t)256 << 20) /* 1e6 rows of wide numbers fit */
#define MEMALLOC_MAX_SIZE_BYTES (INT64_C(1) << 40) /* 1 TiB */
#define MEMALLOC_MAX_STEP (INT64_C(1) << 40)
#define MEMALLOC_MAX_ALIGN_BYTES (INT64_C(1) << 20)

/* ---- types ---- */

/* One buffer: live during steps lower .. upper-1. */
typedef struct {
  int64_t id;          /* caller's id, unique within a problem */
  int64_t lower;       /* first step the buffer is live (>= 0) */
  int64_t upper;       /* first step it is no longer live (> lower) */
  int64_t size_bytes;  /* > 0 */
  int64_t align_bytes; /* offset must be a multiple of this (>= 1) */
} memalloc_buffer_t;

/* Buffers to place within [0, capacity_bytes). Owns buffers. */
typedef struct {
  memalloc_buffer_t *buffers;
  int n_buffers;
  int cap_buffers; /* allocated length of buffers */
  int64_t capacity_bytes;
} memalloc_problem_t;

/* An offset per buffer (index as in the problem). Owns offsets_bytes. */
typedef struct {
  int64_t *offsets_bytes;
  int n_buffers;
  int64_t peak_bytes; /* max over buffers of offset + size; 0 when empty */
} memalloc_solution_t;

/* The search's engines (memalloc/search_internal.h): placements in order of
 * offset, or filling the skyline's valleys; the portfolio alternates them
 * from round to round (needs restarts; without, it is the offset engine),
 * and without a node limit races the two engines' own searches on two
 * threads, counted in work units (the answer does not depend on timing). */
typedef enum {
  MEMALLOC_ENGINE_PORTFOLIO,
  MEMALLOC_ENGINE_OFFSET,
  MEMALLOC_ENGINE_SKYLINE,
} memalloc_search_engine_t;

/* Options of the allocators; memalloc_params_default() gives the defaults.
 * The search's techniques are each a switch so experiments can measure what
 * each one buys; turning any off keeps the search complete, only slower. */
typedef struct {
  double time_limit_s; /* every allocator: stop without an answer after this (10) */
  int64_t node_limit;  /* search: stop after this many nodes; 0 = no limit (0) */
  /* search: reach each layout by one path only. Offset engine: place
   * buffers in non-decreasing (offset, index) order, which also lifts every
   * section's floor to the last offset for the bound below and lets a
   * buffer that can no longer rise to a valid offset end the branch;
   * skyline engine: the buffer placed in a valley is its leftmost one at the
   * bottom, so the sections to its left rise at once (true) */
  bool canonical_order;
  /* search: prune when at some step the lowest offset a buffer still to
   * place can take plus the bytes still to place live there exceed the
   * capacity (the lower-bound cut) (true) */
  bool section_bound;
  /* search (offset), needs canonical_order: when the lowest candidate buffer can go
   * at its offset without any unplaced time-overlapping buffer fitting below
   * its top, place it without trying alternatives (dominance cut) (true) */
  bool forced_placement;
  /* search: buffers with identical interval, size and alignment are
   * interchangeable; place them in index order only (dominance cut) (true) */
  bool identical_order;
  /* search: split the buffers at steps no buffer spans and solve each group
   * on its own (decomposition) (true) */
  bool static_partition;
  /* search: the same at every node: the unplaced buffers split where no
   * unplaced buffer is live, and each group is searched on its own (true) */
  bool dynamic_decomposition;
  /* search (offset), needs canonical_order: drop a partial layout that left a hole
   * below the last offset where some unplaced buffer fits clear of all
   * buffers still to come, and try no candidate at or above the lowest top
   * an unplaced buffer can reach (dominance cut) (true) */
  bool hole_dominance;
  /* search heuristic (no pruning). Offset engine: try candidates lowest
   * offset first, ties in a static preorder (most crowded section, longest,
   * largest area); skyline engine: branch on the valley with the fewest
   * branches, candidates starting at its left end first; off: the preorder
   * alone, the lowest valley (true) */
  bool dynamic_ordering;
  /* search: a state (floors and placed buffers, plus the offset engine's
   * last move) that was proved to fail is not searched again (true) */
  bool deadend_memo;
  /* search (skyline): a failure that involves none of the sections a node
   * branched on fails that node too, without trying its other branches
   * (conflict-directed backjumping) (true) */
  bool backjumping;
  /* search (skyline): in each section, the unplaced buffers held above a
   * level y by a floor over their span must fit above y, for every y (the
   * section bound at y = the section's floor); costs a sort per section a
   * move can affect (true) */
  bool load_bound;
  memalloc_search_engine_t engine; /* search (MEMALLOC_ENGINE_PORTFOLIO) */
  /* search: first try greedy-size's layout pushed down; return it when it
   * fits, so the search fits whatever greedy-size fits (true) */
  bool warm_start;
  /* search: restart under node budgets that grow (doubling every six
   * rounds), alternating the engines and rotating six static preorders;
   * still complete (true) */
  bool restarts;
} memalloc_params_t;

/* What one allocator run reports. */
typedef struct {
  const char *allocator; /* name (static string) */
  int status;            /* as memalloc_run returns */
  int n_buffers;
  int64_t capacity_bytes;
  int64_t lower_bound_bytes; /* max over steps of the bytes live */
  int64_t peak_bytes;        /* highest address used (0 when no layout) */
  double overhead_pct;       /* 100 * (peak - lower bound) / lower bound */
  double time_ms;            /* wall time of the allocator */
  int64_t nodes;             /* search: placements tried; ilp: B&B nodes */
  int partitions;            /* search: independent groups solved */
  /* search: most bytes its working state held at once (a group's arrays,
   * undo trail, dead-end memo); nodes keep no lists, so this is
   * O(n + overlapping pairs + memo) however deep the search goes */
  int64_t search_bytes;
} memalloc_stats_t;

/* An allocator: one row of the table in memalloc.c. `run` trusts its input
 * (memalloc_run checked it) and leaves solution->offsets_bytes filled for
 * every buffer when it returns SCHED_OK or SCHED_ERR_NOT_FOUND. */
typedef struct {
  const char *name;
  const char *summary;
  bool complete; /* can prove that no layout exists */
  int (*run)(const memalloc_problem_t *problem, memalloc_solution_t *solution,
             const memalloc_params_t *params, memalloc_stats_t *stats, sched_diag_t *diag);
} memalloc_allocator_t;

/* ---- problem.c: problem and solution storage, lower bound ---- */

/* Empty problem with the given capacity (> 0; use INT64_MAX for none). */
void memalloc_problem_init(memalloc_problem_t *p, int64_t capacity_bytes);
/* Frees the buffers; safe on a zeroed or already freed problem. */
void memalloc_problem_free(memalloc_problem_t *p);
/* Appends a buffer after checking its fields (not id uniqueness: see
 * memalloc_problem_check). Input errors name the id and the value. */
int memalloc_problem_add(memalloc_problem_t *p, int64_t id, int64_t lower, int64_t upper,
                         int64_t size_bytes, int64_t align_bytes, sched_diag_t *diag);
/* Checks every buffer's fields, id uniqueness and the capacity. O(n log n). */
int memalloc_problem_check(const memalloc_problem_t *p, sched_diag_t *diag);
/* Max over steps of the sum of sizes of the buffers live: no layout can
 * peak below it. O(n log n). */
int64_t memalloc_problem_lower_bound(const memalloc_problem_t *p);

/* Empty solution; memalloc_solution_resize sizes it for n buffers (zeroed). */
void memalloc_solution_init(memalloc_solution_t *s);
void memalloc_solution_resize(memalloc_solution_t *s, int n_buffers);
void memalloc_solution_free(memalloc_solution_t *s);
/* Recomputes s->peak_bytes from the offsets. */
void memalloc_solution_update_peak(const memalloc_problem_t *p, memalloc_solution_t *s);

/* ---- verify.c: the independent checker ---- */

/* SCHED_OK when every buffer is aligned, inside [0, capacity) and no two
 * buffers live at a common step share a byte; otherwise SCHED_ERR_INPUT with
 * the first violation in diag, e.g. "buffers 3 and 7 overlap in time [4, 6)
 * and space [128, 192)", "buffer 3 offset 100 is not a multiple of its
 * alignment 64", "buffer 3 ends at 2048 bytes, above the capacity 1024
 * bytes". O(n log n + n x buffers live at once): a sweep checks each buffer
 * against its neighbours by offset among the live ones. */
int memalloc_verify(const memalloc_problem_t *p, const memalloc_solution_t *s, sched_diag_t *diag);

/* ---- linear.c, greedy_size.c, search.c, ilp.c: the allocators ---- */

int memalloc_linear_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                        const memalloc_params_t *params, memalloc_stats_t *stats,
                        sched_diag_t *diag);
int memalloc_greedy_size_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                             const memalloc_params_t *params, memalloc_stats_t *stats,
                             sched_diag_t *diag);
int memalloc_search_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                        const memalloc_params_t *params, memalloc_stats_t *stats,
                        sched_diag_t *diag);
/* Small instances only (MEMALLOC_ILP_MAX_BUFFERS); larger ones are input
 * errors. */
#define MEMALLOC_ILP_MAX_BUFFERS 60
#define MEMALLOC_ILP_MAX_BYTES (INT64_C(1) << 24) /* the model's capacity (big-M) */
int memalloc_ilp_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                     const memalloc_params_t *params, memalloc_stats_t *stats, sched_diag_t *diag);

/* ---- csv.c: the interchange format id,lower,upper,size[,alignment] ---- */

/* Reads buffers into an initialised problem (capacity untouched). `name`
 * labels errors "name:line: message". Rejects a missing header, malformed
 * rows, non-positive sizes, upper <= lower, duplicate ids, values above the
 * caps and more than MEMALLOC_MAX_BUFFERS rows. */
int memalloc_csv_read(FILE *in, const char *name, memalloc_problem_t *p, sched_diag_t *diag);
/* Opens path and reads it as above. */
int memalloc_csv_read_path(const char *path, memalloc_problem_t *p, sched_diag_t *diag);
/* Reads buffers and the layout in their offset column (required; >= 0) into
 * an initialised problem and solution, for checking another allocator's
 * layout with memalloc_verify; layout NULL reads buffers only. */
int memalloc_csv_read_layout_path(const char *path, memalloc_problem_t *p,
                                  memalloc_solution_t *layout, sched_diag_t *diag);
/* Writes id,lower,upper,size,offset (plus alignment when any buffer has one
 * above 1), one row per buffer in problem order. */
void memalloc_csv_write(FILE *out, const memalloc_problem_t *p, const memalloc_solution_t *s);

/* ---- generate.c: seeded instances (tests, benchmarks) ---- */

/* Each appends buffers with ids n_buffers, n_buffers + 1, ... to an
 * initialised problem (alignment 1) and leaves its capacity alone.
 * random: n intervals of 1-16 steps over n/2 steps, sizes 64 B x 2^(0..8) x
 * (1..3); the bound may be unreachable. */
void memalloc_generate_random(memalloc_problem_t *p, int n, uint64_t seed);
/* packed: the rectangle (n/4 + 8 steps) x capacity cut into n pieces in 64-byte
 * units, so a layout at exactly capacity_bytes exists and the lower bound
 * equals it (pass a multiple of 64). */
void memalloc_generate_packed(memalloc_problem_t *p, int n, int64_t capacity_bytes, uint64_t seed);
/* network: a layer chain, outputs live to their consumer (sometimes to a
 * later skip), weights prefetched one step early. */
void memalloc_generate_network(memalloc_problem_t *p, int n, uint64_t seed);

/* ---- minimize.c: the smallest capacity ---- */

/* What memalloc_minimize found. */
typedef struct {
  int64_t best_bytes;        /* peak of the best layout found */
  int64_t lower_bound_bytes; /* proved: no layout peaks below this (max live,
                                or one above a capacity proved infeasible) */
  bool proved;               /* best_bytes == lower_bound_bytes */
  int attempts;              /* capacities tried */
  int64_t nodes;             /* search nodes over all attempts */
  double time_ms;            /* wall time over all attempts */
} memalloc_minimize_t;

/* The smallest peak at or below p->capacity_bytes at which the allocator
 * finds a layout (s takes it): bisection from the max-live bound up to a
 * first layout's peak, each capacity under params' limits (a capacity the
 * search stops on without an answer counts as unknown, so the result may
 * be the best found with its proved bound, out->proved false). SCHED_OK with
 * a layout; otherwise the allocator's status at p->capacity_bytes. */
int memalloc_minimize(const memalloc_allocator_t *a, const memalloc_problem_t *p,
                      memalloc_solution_t *s, const memalloc_params_t *params,
                      memalloc_minimize_t *out, sched_diag_t *diag);

/* ---- memalloc.c: the allocator table and the entry point ---- */

memalloc_params_t memalloc_params_default(void);
/* The search engine called name ("portfolio", "offset", "skyline"); false
 * when there is none. */
bool memalloc_engine_find(const char *name, memalloc_search_engine_t *engine);
const char *memalloc_engine_name(memalloc_search_engine_t engine);
/* The table, terminated by a row with name NULL. */
const memalloc_allocator_t *memalloc_allocators(void);
/* The allocator called name, or NULL. */
const memalloc_allocator_t *memalloc_allocator_find(const char *name);
/* Checks the problem, runs the allocator, times it, fills stats (optional)
 * and, when a layout is returned, verifies it (a failure there is an
 * internal bug: SCHED_ERR_INTERNAL). Returns SCHED_OK, SCHED_ERR_INFEASIBLE,
 * SCHED_ERR_TIMEOUT, SCHED_ERR_NOT_FOUND or SCHED_ERR_INPUT (see top). */
int memalloc_run(const memalloc_allocator_t *allocator, const memalloc_problem_t *p,
                 memalloc_solution_t *s, const memalloc_params_t *params, memalloc_stats_t *stats,
                 sched_diag_t *diag);
/* Writes the stats as the summary `sched memalloc` prints; with_time false
 * leaves out the wall time (byte-identical output across runs). */
void memalloc_stats_print(const memalloc_stats_t *st, bool with_time, FILE *out);

#endif
