/* search.c - the complete allocator: depth-first branch and bound over
 * placements. Given a capacity it either finds a layout or proves that none
 * exists (or stops at the time/node limit and says so).
 *
 * Approach (ideas from Moffitt, "MiniMalloc: A Lightweight Memory Allocator
 * for Hardware-Accelerated Machine Learning", ASPLOS 2023; no code taken):
 * time is cut into sections, the maximal runs of steps in which the set of
 * live buffers does not change, and each section keeps a floor, the top of
 * the highest buffer placed in it. A node picks an unplaced buffer and puts
 * it at its canonical offset: the lowest aligned offset at or above the
 * floors of every section it spans. Any layout can be pushed down until
 * every buffer sits at such an offset, and that compacted layout is reached
 * by placing its buffers in order of offset, so the search is complete. On
 * top of that, each a switch in memalloc_params_t:
 *  - canonical_order: only sequences with non-decreasing (offset, index)
 *    are explored (one sequence per layout); every unplaced buffer will go
 *    at or above the last offset, which lifts the floors in the bound, and a
 *    buffer whose offset is now below the last one while nothing unplaced
 *    can raise its floor ends the branch;
 *  - section_bound: the lowest offset any unplaced buffer of a section can
 *    take, plus the unplaced bytes live there, above the capacity ends the
 *    branch (the max-live bound, applied at every node);
 *  - forced_placement (dominance): if the lowest candidate b (lowest index
 *    among equals) is such that every unplaced buffer live with it has a
 *    floor at or above b's top, any layout below this node can move b down
 *    to its canonical offset, so b is placed without alternatives;
 *  - identical_order (dominance): buffers equal in interval, size and
 *    alignment are interchangeable; they are placed in index order;
 *  - static_partition: buffers split at steps no buffer spans; each group
 *    is solved on its own (a failed group proves the whole infeasible);
 *  - dynamic_decomposition: the same at every node, on the unplaced buffers
 *    (placed ones only leave floors behind), each group with a fresh
 *    canonical order, so a dead end in one group never makes the search
 *    revisit the choices of another;
 *  - hole_dominance: a partial layout that left a hole below the last
 *    offset into which some unplaced buffer fits clear of every buffer still
 *    to come is dropped: the layout with that buffer in the hole is reached
 *    by another branch;
 *  - dynamic_ordering (heuristic): candidates are tried lowest offset first,
 *    ties in the static preorder (most crowded section, then longest, then
 *    largest area); off: preorder only;
 *  - warm_start: greedy-size's layout, pushed down, is returned when it fits;
 *  - restarts: rounds under growing node budgets rotate three static
 *    preorders (crowded section / width / area first), as MiniMalloc tries
 *    several preorderings.
 * Requires a checked problem. Node = one partial layout visited. */
#include "memalloc/memalloc_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum { FOUND = 1, FAIL = 0, STOPPED = -1 };

/* One group of buffers being searched; local index i is buffer ids[i]. */
typedef struct {
  int n, n_sections;
  int64_t capacity;
  const int *ids; /* problem index of each local buffer */
  int64_t *size, *align;
  int *span_lo, *span_hi; /* sections [span_lo, span_hi) */
  int *twin_prev;         /* previous identical buffer, or -1 */
  int *adj_start, *adj;   /* time-overlapping buffers, CSR */
  int64_t *floor;         /* per section: top of the highest placed buffer */
  int64_t *rem_bytes;     /* per section: unplaced bytes live there */
  int *rem_count;         /* per section: unplaced buffers live there */
  bool *placed;
  int64_t *offset;    /* per buffer, valid when placed */
  int64_t *max_floor; /* scratch per node: max floor over the span */
  int64_t *undo;      /* saved floors, a stack */
  int undo_top;
  int *stack; /* placed buffers in order of placement */
  int stack_top;
  int *sec_group;      /* scratch per node: group of each section */
  int64_t *sec_min;    /* scratch per node: lowest offset of an unplaced buffer */
  int *waiting;        /* scratch per node: buffers below the last offset */
  int64_t last_offset; /* of the buffer placed last (-1 at the root) */
  int last_index;
  const memalloc_params_t *prm;
  double deadline_ms;
  int64_t *nodes; /* shared counter across groups */
  bool stopped_by_time;
  int64_t round_budget; /* restarts: nodes this round may visit (0 = all) */
  int64_t round_nodes;
  bool stopped_by_budget;
} search_t;

/* A candidate of one node with its ordering keys. */
typedef struct {
  int64_t offset;
  int index;
} cand_t;

static int cand_cmp(const void *a, const void *b) {
  const cand_t *x = a, *y = b;
  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

static int cand_index_cmp(const void *a, const void *b) {
  const cand_t *x = a, *y = b;
  return (x->index > y->index) - (x->index < y->index);
}

/* ---- setup of one group ---- */

static int64_t search_step_at(const int64_t *steps, int n, int64_t t) {
  int lo = 0, hi = n; /* first index with steps[i] >= t */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (steps[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int int64_cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void search_sections_build(search_t *S, const memalloc_problem_t *p) {
  int64_t *steps = sched_xmalloc((size_t)(2 * S->n) * sizeof *steps);
  for (int i = 0; i < S->n; i++) {
    steps[2 * i] = p->buffers[S->ids[i]].lower;
    steps[2 * i + 1] = p->buffers[S->ids[i]].upper;
  }
  qsort(steps, (size_t)(2 * S->n), sizeof *steps, int64_cmp);
  int m = 0;
  for (int i = 0; i < 2 * S->n; i++)
    if (m == 0 || steps[m - 1] != steps[i])
      steps[m++] = steps[i];
  S->n_sections = m > 0 ? m - 1 : 0;
  for (int i = 0; i < S->n; i++) {
    S->span_lo[i] = (int)search_step_at(steps, m, p->buffers[S->ids[i]].lower);
    S->span_hi[i] = (int)search_step_at(steps, m, p->buffers[S->ids[i]].upper);
  }
  free(steps);
}

/* Sort key for finding identical buffers and building adjacency. */
typedef struct {
  int64_t lower, upper, size, align;
  int index;
} shape_t;

static int shape_cmp(const void *a, const void *b) {
  const shape_t *x = a, *y = b;
  int64_t dx[4] = {x->lower, x->upper, x->size, x->align};
  int64_t dy[4] = {y->lower, y->upper, y->size, y->align};
  for (int k = 0; k < 4; k++)
    if (dx[k] != dy[k])
      return dx[k] < dy[k] ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

static shape_t *search_shapes_sorted(const search_t *S, const memalloc_problem_t *p) {
  shape_t *sh = sched_xmalloc((size_t)S->n * sizeof *sh);
  for (int i = 0; i < S->n; i++) {
    const memalloc_buffer_t *b = &p->buffers[S->ids[i]];
    sh[i] = (shape_t){b->lower, b->upper, b->size_bytes, b->align_bytes, i};
  }
  qsort(sh, (size_t)S->n, sizeof *sh, shape_cmp);
  return sh;
}

static void search_twins_build(search_t *S, const shape_t *sh) {
  for (int k = 0; k < S->n; k++) {
    bool same = k > 0 && sh[k - 1].lower == sh[k].lower && sh[k - 1].upper == sh[k].upper &&
                sh[k - 1].size == sh[k].size && sh[k - 1].align == sh[k].align;
    S->twin_prev[sh[k].index] = same ? sh[k - 1].index : -1;
  }
}

/* Overlapping pairs by a sweep over start order: O(n log n + pairs). */
static void search_adjacency_build(search_t *S, const shape_t *sh) {
  int n = S->n, cap = 0, n_pairs = 0;
  int *pairs = NULL; /* (a, b) flattened */
  for (int k = 0; k < n; k++)
    for (int j = k + 1; j < n && sh[j].lower < sh[k].upper; j++) {
      sched_grow((void **)&pairs, &cap, 2 * n_pairs + 2, sizeof *pairs);
      pairs[2 * n_pairs] = sh[k].index;
      pairs[2 * n_pairs + 1] = sh[j].index;
      n_pairs++;
    }
  S->adj_start = sched_xcalloc((size_t)n + 1, sizeof *S->adj_start);
  S->adj = sched_xmalloc((size_t)(2 * n_pairs) * sizeof *S->adj);
  for (int e = 0; e < 2 * n_pairs; e++)
    S->adj_start[pairs[e] + 1]++;
  for (int i = 0; i < n; i++)
    S->adj_start[i + 1] += S->adj_start[i];
  int *fill = sched_xmalloc((size_t)n * sizeof *fill);
  memcpy(fill, S->adj_start, (size_t)n * sizeof *fill);
  for (int e = 0; e < n_pairs; e++) {
    int a = pairs[2 * e], b = pairs[2 * e + 1];
    S->adj[fill[a]++] = b;
    S->adj[fill[b]++] = a;
  }
  free(fill);
  free(pairs);
}

static void search_init(search_t *S, const memalloc_problem_t *p, const int *ids, int n) {
  memset(S, 0, sizeof *S);
  S->n = n;
  S->ids = ids;
  S->capacity = p->capacity_bytes;
  S->size = sched_xmalloc((size_t)n * sizeof *S->size);
  S->align = sched_xmalloc((size_t)n * sizeof *S->align);
  S->span_lo = sched_xmalloc((size_t)n * sizeof *S->span_lo);
  S->span_hi = sched_xmalloc((size_t)n * sizeof *S->span_hi);
  S->twin_prev = sched_xmalloc((size_t)n * sizeof *S->twin_prev);
  S->placed = sched_xcalloc((size_t)n, sizeof *S->placed);
  S->offset = sched_xcalloc((size_t)n, sizeof *S->offset);
  S->max_floor = sched_xcalloc((size_t)n, sizeof *S->max_floor);
  for (int i = 0; i < n; i++) {
    S->size[i] = p->buffers[ids[i]].size_bytes;
    S->align[i] = p->buffers[ids[i]].align_bytes;
  }
  search_sections_build(S, p);
  shape_t *sh = search_shapes_sorted(S, p);
  search_twins_build(S, sh);
  search_adjacency_build(S, sh);
  free(sh);
  int ns = S->n_sections;
  S->floor = sched_xcalloc((size_t)ns + 1, sizeof *S->floor);
  S->rem_bytes = sched_xcalloc((size_t)ns + 1, sizeof *S->rem_bytes);
  S->rem_count = sched_xcalloc((size_t)ns + 1, sizeof *S->rem_count);
  int64_t spans = 0;
  for (int i = 0; i < n; i++) {
    spans += S->span_hi[i] - S->span_lo[i];
    for (int s = S->span_lo[i]; s < S->span_hi[i]; s++) {
      S->rem_bytes[s] += S->size[i];
      S->rem_count[s]++;
    }
  }
  S->undo = sched_xmalloc((size_t)(spans + 1) * sizeof *S->undo);
  S->stack = sched_xmalloc((size_t)(n + 1) * sizeof *S->stack);
  S->sec_group = sched_xmalloc((size_t)(ns + 1) * sizeof *S->sec_group);
  S->sec_min = sched_xmalloc((size_t)(ns + 1) * sizeof *S->sec_min);
  S->waiting = sched_xmalloc((size_t)(n + 1) * sizeof *S->waiting);
  S->last_offset = -1;
  S->last_index = -1;
}

static void search_free(search_t *S) {
  void *owned[] = {S->size,      S->align, S->span_lo,   S->span_hi,   S->twin_prev, S->adj_start,
                   S->adj,       S->floor, S->rem_bytes, S->rem_count, S->placed,    S->offset,
                   S->max_floor, S->undo,  S->stack,     S->sec_group, S->sec_min,   S->waiting};
  for (int k = 0; k < SCHED_ARRAY_LEN(owned); k++)
    free(owned[k]);
}

/* ---- the search ---- */

static void search_place(search_t *S, int b, int64_t off) {
  assert(!S->placed[b]);
  for (int s = S->span_lo[b]; s < S->span_hi[b]; s++) {
    S->undo[S->undo_top++] = S->floor[s];
    S->floor[s] = off + S->size[b];
    S->rem_bytes[s] -= S->size[b];
    S->rem_count[s]--;
  }
  S->placed[b] = true;
  S->offset[b] = off;
  S->stack[S->stack_top++] = b;
}

/* Takes back placements, latest first, until stack_top == mark. */
static void search_undo_to(search_t *S, int mark) {
  while (S->stack_top > mark) {
    int b = S->stack[--S->stack_top];
    for (int s = S->span_hi[b] - 1; s >= S->span_lo[b]; s--) {
      S->floor[s] = S->undo[--S->undo_top];
      S->rem_bytes[s] += S->size[b];
      S->rem_count[s]++;
    }
    S->placed[b] = false;
  }
}

/* The section bound over sections [lo, hi): every section's unplaced bytes
 * must fit above the lowest offset any of them can still take (sec_min, set
 * by search_candidates), lifted to the last offset in canonical order. */
static bool search_bound_holds(const search_t *S, int lo, int hi) {
  int64_t lift = S->prm->canonical_order ? S->last_offset : 0;
  for (int s = lo; s < hi; s++) {
    if (S->rem_count[s] == 0)
      continue;
    if (SCHED_MAX(S->sec_min[s], lift) > S->capacity - S->rem_bytes[s])
      return false;
  }
  return true;
}

/* True when nothing unplaced but b is live in b's sections: b's floor can
 * no longer rise. */
static bool search_is_alone(const search_t *S, int b) {
  for (int s = S->span_lo[b]; s < S->span_hi[b]; s++)
    if (S->rem_count[s] > 1)
      return false;
  return true;
}

/* Hole dominance: b waits below the last offset (it can go no lower than
 * o_b). When every unplaced buffer live with b must end up at or above
 * b's top there, b could have been placed there earlier: this partial
 * layout only repeats layouts found elsewhere. */
static bool search_hole_fits(const search_t *S, int b, int64_t o_b) {
  int64_t top = o_b + S->size[b];
  if (top <= S->last_offset)
    return true;
  for (int e = S->adj_start[b]; e < S->adj_start[b + 1]; e++) {
    int c = S->adj[e];
    if (!S->placed[c] && SCHED_MAX(S->max_floor[c], S->last_offset) < top)
      return false;
  }
  return true;
}

/* Scans the unplaced buffers set[0..n) into cands and fills max_floor and
 * sec_min. Returns false when one of them can never be placed below this
 * node, or (hole dominance) when the node is dominated. */
static bool search_candidates(search_t *S, const int *set, int n, int lo, int hi, cand_t *cands,
                              int *n_cands) {
  const memalloc_params_t *prm = S->prm;
  int n_waiting = 0;
  *n_cands = 0;
  for (int s = lo; s < hi; s++)
    S->sec_min[s] = INT64_MAX;
  for (int k = 0; k < n; k++) {
    int b = set[k];
    int64_t fl = 0;
    for (int s = S->span_lo[b]; s < S->span_hi[b]; s++)
      fl = SCHED_MAX(fl, S->floor[s]);
    S->max_floor[b] = fl;
    int64_t off = SCHED_ALIGN_UP(fl, S->align[b]);
    if (off > S->capacity - S->size[b])
      return false; /* floors only rise */
    for (int s = S->span_lo[b]; s < S->span_hi[b]; s++)
      S->sec_min[s] = SCHED_MIN(S->sec_min[s], off);
    if (prm->identical_order && S->twin_prev[b] >= 0 && !S->placed[S->twin_prev[b]])
      continue;
    if (prm->canonical_order &&
        (off < S->last_offset || (off == S->last_offset && b < S->last_index))) {
      if (search_is_alone(S, b))
        return false;
      S->waiting[n_waiting++] = b;
      continue;
    }
    cands[(*n_cands)++] = (cand_t){off, b};
  }
  for (int k = 0; prm->hole_dominance && k < n_waiting; k++) {
    int b = S->waiting[k];
    if (search_hole_fits(S, b, SCHED_ALIGN_UP(S->max_floor[b], S->align[b])))
      return false;
  }
  return true;
}

/* Dominance: the lowest candidate (lowest index among equals) goes alone
 * when every unplaced buffer live with it already has a floor at or above
 * its top. Returns its position in cands, or -1. */
static int search_forced(const search_t *S, const cand_t *cands, int n_cands) {
  int best = 0;
  for (int k = 1; k < n_cands; k++)
    if (cands[k].offset < cands[best].offset ||
        (cands[k].offset == cands[best].offset && cands[k].index < cands[best].index))
      best = k;
  int b = cands[best].index;
  int64_t top = cands[best].offset + S->size[b];
  for (int e = S->adj_start[b]; e < S->adj_start[b + 1]; e++) {
    int c = S->adj[e];
    if (!S->placed[c] && S->max_floor[c] < top)
      return -1;
  }
  return best;
}

static bool search_out_of_budget(search_t *S) {
  int64_t nodes = ++*S->nodes;
  if (S->prm->node_limit > 0 && nodes > S->prm->node_limit)
    return true;
  if (S->round_budget > 0 && ++S->round_nodes > S->round_budget) {
    S->stopped_by_budget = true;
    return true;
  }
  if ((nodes & 255) == 0 && memalloc_i_now_ms() > S->deadline_ms) {
    S->stopped_by_time = true;
    return true;
  }
  return false;
}

/* Sections [*lo, *hi) spanned by the buffers of set. */
static void search_range(const search_t *S, const int *set, int n, int *lo, int *hi) {
  *lo = S->n_sections;
  *hi = 0;
  for (int k = 0; k < n; k++) {
    *lo = SCHED_MIN(*lo, S->span_lo[set[k]]);
    *hi = SCHED_MAX(*hi, S->span_hi[set[k]]);
  }
}

static int search_dfs(search_t *S, const int *set, int n);

/* Decomposition: the unplaced buffers of set fall into groups separated by
 * sections where nothing unplaced is live; each group is searched on its own
 * with a fresh canonical order (a superset of the orders the plain search
 * would allow, so nothing is lost). Returns -2 when set is one group. */
static int search_split(search_t *S, const int *set, int n, int lo, int hi) {
  int groups = 0;
  for (int s = lo; s < hi; s++) {
    if (S->rem_count[s] > 0 && (s == lo || S->rem_count[s - 1] == 0))
      groups++;
    S->sec_group[s] = groups - 1;
  }
  if (groups <= 1)
    return -2;
  int *sub = sched_xmalloc((size_t)n * sizeof *sub);
  /* Each buffer's group, read now: the recursion below reuses sec_group for
   * its own split of a group's sections. */
  int *group_of = sched_xmalloc((size_t)n * sizeof *group_of);
  for (int k = 0; k < n; k++)
    group_of[k] = S->sec_group[S->span_lo[set[k]]];
  int mark = S->stack_top, rc = FOUND;
  int64_t saved_offset = S->last_offset;
  int saved_index = S->last_index;
  for (int g = 0; g < groups && rc == FOUND; g++) {
    int m = 0;
    for (int k = 0; k < n; k++)
      if (group_of[k] == g)
        sub[m++] = set[k];
    S->last_offset = -1;
    S->last_index = -1;
    rc = search_dfs(S, sub, m);
  }
  S->last_offset = saved_offset;
  S->last_index = saved_index;
  if (rc != FOUND)
    search_undo_to(S, mark);
  free(group_of);
  free(sub);
  return rc;
}

/* Tries the candidates in order; returns FOUND with them placed, or undoes. */
static int search_branch(search_t *S, const int *set, int n, cand_t *cands, int n_cands) {
  int *child = sched_xmalloc((size_t)n * sizeof *child);
  int64_t saved_offset = S->last_offset;
  int saved_index = S->last_index, mark = S->stack_top, rc = FAIL;
  for (int k = 0; k < n_cands && rc == FAIL; k++) {
    int b = cands[k].index, m = 0;
    for (int j = 0; j < n; j++)
      if (set[j] != b)
        child[m++] = set[j];
    search_place(S, b, cands[k].offset);
    S->last_offset = cands[k].offset;
    S->last_index = b;
    rc = search_dfs(S, child, m);
    if (rc != FOUND)
      search_undo_to(S, mark);
  }
  S->last_offset = saved_offset;
  S->last_index = saved_index;
  free(child);
  return rc;
}

/* Searches placements of the unplaced buffers set[0..n). */
static int search_dfs(search_t *S, const int *set, int n) {
  if (n == 0)
    return FOUND;
  if (search_out_of_budget(S))
    return STOPPED;
  int lo, hi;
  search_range(S, set, n, &lo, &hi);
  if (S->prm->dynamic_decomposition) {
    int rc = search_split(S, set, n, lo, hi);
    if (rc != -2)
      return rc;
  }
  cand_t *cands = sched_xmalloc((size_t)n * sizeof *cands);
  int n_cands = 0, rc = FAIL;
  if (search_candidates(S, set, n, lo, hi, cands, &n_cands) && n_cands > 0 &&
      (!S->prm->section_bound || search_bound_holds(S, lo, hi))) {
    int forced =
        S->prm->forced_placement && S->prm->canonical_order ? search_forced(S, cands, n_cands) : -1;
    if (forced >= 0) {
      cands[0] = cands[forced];
      n_cands = 1;
    }
    qsort(cands, (size_t)n_cands, sizeof *cands,
          S->prm->dynamic_ordering ? cand_cmp : cand_index_cmp);
    rc = search_branch(S, set, n, cands, n_cands);
  }
  free(cands);
  return rc;
}

/* ---- the warm start: greedy-size's layout, compacted ---- */

typedef struct {
  int64_t offset;
  int index;
} placed_t;

static int placed_cmp(const void *a, const void *b) {
  const placed_t *x = a, *y = b;
  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Sorts the buffers by offset into order; rank[b] = position of b. */
static void search_sort_layout(const memalloc_solution_t *g, placed_t *order, int *rank) {
  for (int i = 0; i < g->n_buffers; i++)
    order[i] = (placed_t){g->offsets_bytes[i], i};
  qsort(order, (size_t)g->n_buffers, sizeof *order, placed_cmp);
  for (int k = 0; k < g->n_buffers; k++)
    rank[order[k].index] = k;
}

/* Pushes every buffer down onto the buffers below it, in offset order,
 * until nothing moves. O(passes x n^2). */
static void search_compact(const memalloc_problem_t *p, memalloc_solution_t *g, int *rank) {
  int n = p->n_buffers;
  placed_t *order = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *order);
  for (bool moved = true; moved;) {
    moved = false;
    search_sort_layout(g, order, rank);
    for (int k = 0; k < n; k++) {
      int b = order[k].index;
      int64_t fl = 0;
      for (int j = 0; j < k; j++)
        if (memalloc_i_overlap(&p->buffers[order[j].index], &p->buffers[b]))
          fl = SCHED_MAX(fl,
                         g->offsets_bytes[order[j].index] + p->buffers[order[j].index].size_bytes);
      int64_t off = SCHED_ALIGN_UP(fl, p->buffers[b].align_bytes);
      moved = moved || off != g->offsets_bytes[b];
      g->offsets_bytes[b] = off;
    }
  }
  search_sort_layout(g, order, rank);
  free(order);
}

/* Warm start: greedy-size's layout pushed down; SCHED_OK (and s filled)
 * when it fits the capacity. */
static int search_warm_start(const memalloc_problem_t *p, memalloc_solution_t *s) {
  memalloc_i_place_ordered(p, s, "greedy-size", true, NULL);
  int *rank = sched_xmalloc((size_t)SCHED_MAX(p->n_buffers, 1) * sizeof *rank);
  search_compact(p, s, rank);
  free(rank);
  memalloc_solution_update_peak(p, s);
  return s->peak_bytes <= p->capacity_bytes ? SCHED_OK : SCHED_ERR_NOT_FOUND;
}

/* ---- partitions and the entry point ---- */

typedef struct {
  int64_t lower;
  int index;
} start_t;

static int start_cmp(const void *a, const void *b) {
  const start_t *x = a, *y = b;
  if (x->lower != y->lower)
    return x->lower < y->lower ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Fills group_of[i] with a group number per buffer: buffers are cut into
 * groups at steps no buffer spans (all in group 0 when split is false).
 * Returns the number of groups. */
static int search_partition(const memalloc_problem_t *p, bool split, int *group_of) {
  int n = p->n_buffers, groups = 0;
  start_t *st = sched_xmalloc((size_t)n * sizeof *st);
  for (int i = 0; i < n; i++)
    st[i] = (start_t){p->buffers[i].lower, i};
  qsort(st, (size_t)n, sizeof *st, start_cmp);
  int64_t reach = INT64_MIN;
  for (int k = 0; k < n; k++) {
    const memalloc_buffer_t *b = &p->buffers[st[k].index];
    if (k > 0 && split && b->lower >= reach)
      groups++;
    reach = SCHED_MAX(reach, b->upper);
    group_of[st[k].index] = groups;
  }
  free(st);
  return n > 0 ? groups + 1 : 0;
}

/* Static preorder keys: the most crowded section the buffer spans (total
 * live bytes there), its width in steps, its area; `rule` says in which
 * order they count (0: total, width, area; 1: width, area, total; 2: total,
 * area, width), all descending. */
typedef struct {
  int64_t key[3];
  int id;
} preorder_t;

static int preorder_cmp(const void *a, const void *b) {
  const preorder_t *x = a, *y = b;
  for (int k = 0; k < 3; k++)
    if (x->key[k] != y->key[k])
      return x->key[k] > y->key[k] ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static void preorder_key(preorder_t *out, int64_t total, int64_t width, int64_t area, int rule) {
  int64_t orders[3][3] = {{total, width, area}, {width, area, total}, {total, area, width}};
  for (int k = 0; k < 3; k++)
    out->key[k] = orders[rule][k];
}

/* The group's problem indices sorted by preorder_cmp: the search's local
 * index order (ties between equal offsets, identical buffers, candidates
 * without dynamic ordering). Caller frees. */
static int *search_preorder(const memalloc_problem_t *p, const int *ids, int n, int rule) {
  search_t S;
  search_init(&S, p, ids, n);
  preorder_t *key = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *key);
  for (int i = 0; i < n; i++) {
    const memalloc_buffer_t *b = &p->buffers[ids[i]];
    int64_t total = 0;
    for (int sec = S.span_lo[i]; sec < S.span_hi[i]; sec++)
      total = SCHED_MAX(total, S.rem_bytes[sec]);
    int64_t width = b->upper - b->lower;
    preorder_key(&key[i], total, width, width * b->size_bytes, rule);
    key[i].id = ids[i];
  }
  search_free(&S);
  qsort(key, (size_t)n, sizeof *key, preorder_cmp);
  int *order = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *order);
  for (int i = 0; i < n; i++)
    order[i] = key[i].id;
  free(key);
  return order;
}

/* One complete search of a group under one preorder rule and node budget
 * (0: none). Returns FOUND (offsets copied into s), FAIL or STOPPED; sets
 * *by_budget when the budget was what stopped it. */
static int search_round(const memalloc_problem_t *p, const int *group_ids, int n, int rule,
                        int64_t budget, search_t *tmpl, memalloc_solution_t *s, bool *by_budget) {
  int *ids = search_preorder(p, group_ids, n, rule);
  search_t S;
  search_init(&S, p, ids, n);
  S.prm = tmpl->prm;
  S.deadline_ms = tmpl->deadline_ms;
  S.nodes = tmpl->nodes;
  S.round_budget = budget;
  int *set = sched_xmalloc((size_t)(n + 1) * sizeof *set);
  for (int i = 0; i < n; i++)
    set[i] = i;
  int rc = search_dfs(&S, set, n);
  free(set);
  if (rc == FOUND)
    for (int i = 0; i < n; i++)
      s->offsets_bytes[ids[i]] = S.offset[i];
  *by_budget = S.stopped_by_budget;
  tmpl->stopped_by_time = S.stopped_by_time;
  search_free(&S);
  free(ids);
  return rc;
}

/* Searches one group; copies its offsets into s on success. With restarts,
 * rounds rotate the three preorder rules under node budgets that double
 * every three rounds (a round that ends within its budget is conclusive), so
 * one unlucky early choice cannot stall the search; the search stays
 * complete because the budgets grow without bound. */
static int search_group(const memalloc_problem_t *p, const int *group_ids, int n,
                        const memalloc_params_t *prm, double deadline_ms, int64_t *nodes,
                        memalloc_solution_t *s) {
  search_t tmpl = {.prm = prm, .deadline_ms = deadline_ms, .nodes = nodes};
  int rc = STOPPED;
  bool by_budget = true;
  for (int round = 0; rc == STOPPED && by_budget; round++) {
    int64_t budget = prm->restarts ? (int64_t)(4 * n + 64) << SCHED_MIN(round / 3, 40) : 0;
    rc = search_round(p, group_ids, n, round % 3, budget, &tmpl, s, &by_budget);
  }
  if (rc == STOPPED)
    return tmpl.stopped_by_time ? SCHED_ERR_TIMEOUT : SCHED_ERR_NOT_FOUND;
  return rc == FOUND ? SCHED_OK : SCHED_ERR_INFEASIBLE;
}

static int search_report(int rc, int group, int groups, const memalloc_params_t *prm,
                         sched_diag_t *diag) {
  if (rc == SCHED_ERR_INFEASIBLE)
    return sched_diag_set(diag, rc,
                          "search: proved that no layout fits the capacity "
                          "(group %d of %d has none)",
                          group + 1, groups);
  if (rc == SCHED_ERR_TIMEOUT)
    return sched_diag_set(diag, rc, "search: time limit of %g s reached without a layout",
                          prm->time_limit_s);
  return sched_diag_set(diag, SCHED_ERR_TIMEOUT,
                        "search: node limit of %lld reached without a layout",
                        (long long)prm->node_limit);
}

/* Lists each group's buffers (in problem order) contiguously in ids;
 * group g is ids[first[g] .. first[g + 1]). */
static void search_groups_list(const int *group_of, int n, int groups, int *first, int *ids) {
  memset(first, 0, (size_t)(groups + 1) * sizeof *first);
  for (int i = 0; i < n; i++)
    first[group_of[i] + 1]++;
  for (int g = 0; g < groups; g++)
    first[g + 1] += first[g];
  int *fill = sched_xmalloc((size_t)(groups + 1) * sizeof *fill);
  memcpy(fill, first, (size_t)(groups + 1) * sizeof *fill);
  for (int i = 0; i < n; i++)
    ids[fill[group_of[i]]++] = i;
  free(fill);
}

int memalloc_search_run(const memalloc_problem_t *p, memalloc_solution_t *s,
                        const memalloc_params_t *params, memalloc_stats_t *stats,
                        sched_diag_t *diag) {
  if (params->warm_start && search_warm_start(p, s) == SCHED_OK)
    return SCHED_OK;
  int n = p->n_buffers;
  memalloc_solution_resize(s, n);
  int *group_of = sched_xmalloc((size_t)n * sizeof *group_of);
  int *ids = sched_xmalloc((size_t)n * sizeof *ids);
  int groups = search_partition(p, params->static_partition, group_of);
  int *first = sched_xmalloc((size_t)(groups + 1) * sizeof *first);
  search_groups_list(group_of, n, groups, first, ids);
  double deadline_ms = memalloc_i_now_ms() + params->time_limit_s * 1e3;
  int64_t nodes = 0;
  int rc = SCHED_OK, g = 0;
  for (; g < groups && rc == SCHED_OK; g++)
    rc = search_group(p, ids + first[g], first[g + 1] - first[g], params, deadline_ms, &nodes, s);
  free(group_of);
  free(ids);
  free(first);
  if (stats) {
    stats->nodes = nodes;
    stats->partitions = groups;
  }
  memalloc_solution_update_peak(p, s);
  return rc == SCHED_OK ? SCHED_OK : search_report(rc, g - 1, groups, params, diag);
}
