/* search_offset.c - the offset engine of the search allocator: a node
 * picks an unplaced buffer and puts it at its canonical offset, the lowest
 * aligned offset at or above the floors (tops of the highest placed buffer)
 * of every section it spans. Any layout can be pushed down until every
 * buffer sits at such an offset, and that compacted layout is reached by
 * placing its buffers in order of offset, so the search is complete. On top
 * of that, each a switch in memalloc_params_t:
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
 *  - dynamic_decomposition: at every node the unplaced buffers split where
 *    no unplaced buffer is live (placed ones only leave floors behind), each
 *    group with a fresh canonical order, so a dead end in one group never
 *    makes the search revisit the choices of another;
 *  - hole_dominance: a partial layout that left a hole below the last
 *    offset into which some unplaced buffer fits clear of every buffer still
 *    to come is dropped: the layout with that buffer in the hole is reached
 *    by another branch;
 *  - dynamic_ordering (heuristic): candidates are tried lowest offset first,
 *    ties in the static preorder; off: preorder only;
 *  - deadend_memo: a state (floors, placed buffers, last move) that failed
 *    once is not searched again.
 * Ideas from Moffitt, "MiniMalloc", ASPLOS 2023; no code taken. */
#include "memalloc/search_internal.h"

#include <stdlib.h>
#include <string.h>

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
  int stack_mark = S->stack_top, trail_mark = S->trail_top, rc = SEARCH_FOUND;
  int64_t saved_offset = S->last_offset;
  int saved_index = S->last_index;
  for (int g = 0; g < groups && rc == SEARCH_FOUND; g++) {
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
  if (rc != SEARCH_FOUND)
    search_undo_to(S, stack_mark, trail_mark);
  free(group_of);
  free(sub);
  return rc;
}

/* Tries the candidates in order; returns SEARCH_FOUND with them placed, or undoes. */
static int search_branch(search_t *S, const int *set, int n, cand_t *cands, int n_cands) {
  int *child = sched_xmalloc((size_t)n * sizeof *child);
  int64_t saved_offset = S->last_offset;
  int saved_index = S->last_index, rc = SEARCH_FAIL;
  int stack_mark = S->stack_top, trail_mark = S->trail_top;
  for (int k = 0; k < n_cands && rc == SEARCH_FAIL; k++) {
    int b = cands[k].index, m = 0;
    for (int j = 0; j < n; j++)
      if (set[j] != b)
        child[m++] = set[j];
    search_place(S, b, cands[k].offset);
    S->last_offset = cands[k].offset;
    S->last_index = b;
    rc = search_dfs(S, child, m);
    if (rc != SEARCH_FOUND)
      search_undo_to(S, stack_mark, trail_mark);
  }
  S->last_offset = saved_offset;
  S->last_index = saved_index;
  free(child);
  return rc;
}

static int search_node(search_t *S, const int *set, int n, int lo, int hi);

/* Searches placements of the unplaced buffers set[0..n) (all those live in
 * the sections they span), through the dead-end memo. */
static int search_dfs(search_t *S, const int *set, int n) {
  if (n == 0)
    return SEARCH_FOUND;
  if (search_out_of_budget(S))
    return SEARCH_STOPPED;
  int lo, hi;
  search_range(S, set, n, &lo, &hi);
  uint64_t key[2];
  if (S->deadends) {
    /* below here depends on the sections, the canonical order's last move
     * and the preorder that breaks its ties */
    int64_t last_id = S->last_index >= 0 ? S->ids[S->last_index] : -1;
    uint64_t salt = search_mix64((uint64_t)lo << 32 | (uint64_t)hi) ^
                    search_mix64((uint64_t)S->last_offset * 31 + (uint64_t)(last_id + 1)) ^
                    search_mix64(UINT64_C(0x6f66667365740000) + (uint64_t)S->rule);
    search_state_key(S, salt, key);
    if (search_deadends_has(S->deadends, key, NULL))
      return SEARCH_FAIL;
  }
  int rc = search_node(S, set, n, lo, hi);
  if (rc == SEARCH_FAIL && S->deadends)
    search_deadends_add(S->deadends, key, 0);
  return rc;
}

/* One node of search_dfs: decomposition, candidates, bound, branches. */
static int search_node(search_t *S, const int *set, int n, int lo, int hi) {
  if (S->prm->dynamic_decomposition) {
    int rc = search_split(S, set, n, lo, hi);
    if (rc != -2)
      return rc;
  }
  cand_t *cands = sched_xmalloc((size_t)n * sizeof *cands);
  int n_cands = 0, rc = SEARCH_FAIL;
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

int search_offset_run(search_t *S) {
  int *set = sched_xmalloc((size_t)(S->n + 1) * sizeof *set);
  for (int i = 0; i < S->n; i++)
    set[i] = i;
  int rc = search_root_holds(S) ? search_dfs(S, set, S->n) : SEARCH_FAIL;
  free(set);
  return rc;
}
