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

/* A candidate of one node: a buffer at its canonical offset. */
typedef struct {
  int64_t offset;
  int index;
} cand_t;

/* True when candidate x is tried before y: lowest offset first with
 * dynamic ordering (ties and otherwise: the static preorder, i.e. index). */
static bool cand_before(const search_t *S, cand_t x, cand_t y) {
  if (S->prm->dynamic_ordering && x.offset != y.offset)
    return x.offset < y.offset;
  return x.index < y.index;
}

/* b's canonical offset: the lowest aligned one at or above the highest
 * floor over its sections (kept by search_place). */
static int64_t search_canonical(const search_t *S, int b) {
  if (S->one_alignment) /* floors are kept aligned: no division per buffer */
    return S->max_floor[b];
  return SCHED_ALIGN_UP(S->max_floor[b], S->align[b]);
}

/* Identical order: b waits while its identical predecessor is unplaced. */
static bool search_twin_waits(const search_t *S, int b) {
  return S->prm->identical_order && S->twin_prev[b] >= 0 && !S->placed[S->twin_prev[b]];
}

/* Canonical order: (off, b) would come before the last move. */
static bool search_before_last(const search_t *S, int b, int64_t off) {
  return S->prm->canonical_order &&
         (off < S->last_offset || (off == S->last_offset && b < S->last_index));
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

/* Hole dominance at the node: when some unplaced buffer b can go at o_b,
 * a move at or above o_b + size_b leaves b's room [o_b, o_b + size_b)
 * empty for good (the placed buffers lie below o_b, all later ones at or
 * above that move), so every layout below it can move b down into that
 * room: the candidates stop below the lowest such top (the cutoff). */
static bool search_hole_cuts(const search_t *S) {
  return S->prm->hole_dominance && S->prm->canonical_order;
}

/* Hole dominance: b waits below the last offset (it can go no lower than
 * o_b). When every unplaced buffer live with b must end up at or above
 * b's top there, b could have been placed there earlier: this partial
 * layout only repeats layouts found elsewhere. */
static bool search_hole_fits(search_t *S, int b, int64_t o_b) {
  int64_t top = o_b + S->size[b];
  if (top <= S->last_offset)
    return true;
  S->work += S->adj_start[b + 1] - S->adj_start[b];
  for (int e = S->adj_start[b]; e < S->adj_start[b + 1]; e++) {
    int c = S->adj[e];
    if (!S->placed[c] && SCHED_MAX(S->max_floor[c], S->last_offset) < top)
      return false;
  }
  return true;
}

/* The candidate tried after prev: the first, in cand_before's order, of
 * those that come after it. The node's state is as when prev was picked,
 * so the candidates are the same; rescanning costs O(n + spans) per branch
 * but keeps no list per node. False when prev was the last. */
static bool search_next_candidate(search_t *S, const int *set, int n, int64_t cutoff, cand_t prev,
                                  cand_t *next) {
  next->index = -1;
  S->work += n;
  for (int k = 0; k < n; k++) {
    int b = set[k];
    cand_t c = {search_canonical(S, b), b};
    if (c.offset >= cutoff || search_twin_waits(S, b) || search_before_last(S, b, c.offset) ||
        (prev.index >= 0 && !cand_before(S, prev, c)))
      continue;
    if (next->index < 0 || cand_before(S, c, *next))
      *next = c;
  }
  return next->index >= 0;
}

/* Scans the unplaced buffers set[0..n): fills sec_min and
 * puts the first candidate to try in *first and the lowest (offset, then
 * index) in *lowest (index -1 when none). Returns
 * false when one of them can never be placed below this node, or (hole
 * dominance) when the node is dominated. O(n + spans), no allocation. */
static bool search_candidates(search_t *S, const int *set, int n, int lo, int hi, cand_t *first,
                              cand_t *lowest, int64_t *cutoff) {
  const memalloc_params_t *prm = S->prm;
  int n_waiting = 0;
  *first = *lowest = (cand_t){0, -1};
  *cutoff = INT64_MAX;
  S->work += n + hi - lo;
  for (int s = lo; s < hi; s++)
    S->sec_min[s] = INT64_MAX;
  for (int k = 0; k < n; k++) {
    int b = set[k];
    int64_t off = search_canonical(S, b);
    if (off > S->capacity - S->size[b])
      return false; /* floors only rise */
    S->work += S->span_hi[b] - S->span_lo[b];
    for (int s = S->span_lo[b]; s < S->span_hi[b]; s++)
      S->sec_min[s] = SCHED_MIN(S->sec_min[s], off);
    if (search_hole_cuts(S))
      *cutoff = SCHED_MIN(*cutoff, off + S->size[b]);
    if (search_twin_waits(S, b))
      continue;
    if (search_before_last(S, b, off)) {
      if (search_is_alone(S, b))
        return false;
      S->waiting[n_waiting++] = b;
      continue;
    }
    cand_t c = {off, b};
    if (first->index < 0 || cand_before(S, c, *first))
      *first = c;
    if (lowest->index < 0 || off < lowest->offset || (off == lowest->offset && b < lowest->index))
      *lowest = c;
  }
  if (first->index >= 0 && first->offset >= *cutoff)
    search_next_candidate(S, set, n, *cutoff, (cand_t){0, -1}, first);
  for (int k = 0; prm->hole_dominance && k < n_waiting; k++) {
    int b = S->waiting[k];
    if (search_hole_fits(S, b, search_canonical(S, b)))
      return false;
  }
  return true;
}

/* Dominance: the lowest candidate (lowest index among equals) goes alone
 * when every unplaced buffer live with it already has a floor at or above
 * its top. */
static bool search_forced(search_t *S, cand_t lowest) {
  int b = lowest.index;
  int64_t top = lowest.offset + S->size[b];
  S->work += S->adj_start[b + 1] - S->adj_start[b];
  for (int e = S->adj_start[b]; e < S->adj_start[b + 1]; e++) {
    int c = S->adj[e];
    if (!S->placed[c] && S->max_floor[c] < top)
      return false;
  }
  return true;
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

static int search_dfs(search_t *S, int *set, int n);
static int search_node(search_t *S, int *set, int n, int lo, int hi);

/* Moves the buffers of set[0..n) that start in sections [lo, hi) to its
 * front; returns how many there are. */
static int search_gather(const search_t *S, int *set, int n, int lo, int hi) {
  int m = 0;
  for (int k = 0; k < n; k++)
    if (S->span_lo[set[k]] >= lo && S->span_lo[set[k]] < hi) {
      int t = set[m];
      set[m++] = set[k];
      set[k] = t;
    }
  return m;
}

/* Decomposition: the unplaced buffers of set fall into groups separated by
 * sections where nothing unplaced is live; each group is searched on its own
 * with a fresh canonical order (a superset of the orders the plain search
 * would allow, so nothing is lost). Groups are found one after another from
 * the left (placing one leaves the counts of the next alone) and gathered
 * in place, so a split keeps no list. Returns -2 when set is one group. */
static int search_split(search_t *S, int *set, int n, int lo, int hi) {
  int first_end = lo + 1;
  while (first_end < hi && S->rem_count[first_end] > 0)
    first_end++;
  if (first_end >= hi)
    return -2; /* set spans [lo, hi) and every section there holds some of it */
  int stack_mark = S->stack_top, trail_mark = S->trail_top, rc = SEARCH_FOUND, done = 0;
  int64_t saved_offset = S->last_offset;
  int saved_index = S->last_index;
  for (int g_lo = lo; g_lo < hi && rc == SEARCH_FOUND;) {
    while (g_lo < hi && S->rem_count[g_lo] == 0)
      g_lo++;
    int g_hi = g_lo;
    while (g_hi < hi && S->rem_count[g_hi] > 0)
      g_hi++;
    int m = search_gather(S, set + done, n - done, g_lo, g_hi);
    S->last_offset = -1;
    S->last_index = -1;
    rc = search_dfs(S, set + done, m);
    done += m;
    g_lo = g_hi;
  }
  S->last_offset = saved_offset;
  S->last_index = saved_index;
  if (rc != SEARCH_FOUND)
    search_undo_to(S, stack_mark, trail_mark);
  return rc;
}

/* Places candidate c and searches the rest of set (c moved to its end). */
static int search_child(search_t *S, int *set, int n, cand_t c) {
  for (int k = 0; k < n; k++)
    if (set[k] == c.index) {
      set[k] = set[n - 1];
      set[n - 1] = c.index;
      break;
    }
  search_place(S, c.index, c.offset);
  S->last_offset = c.offset;
  S->last_index = c.index;
  return search_dfs(S, set, n - 1);
}

/* Tries the candidates from `first` in order (only `first` when forced);
 * returns SEARCH_FOUND with them placed, or undoes. */
static int search_branch(search_t *S, int *set, int n, cand_t first, bool forced, int64_t cutoff) {
  int64_t saved_offset = S->last_offset;
  int saved_index = S->last_index, rc = SEARCH_FAIL;
  int stack_mark = S->stack_top, trail_mark = S->trail_top;
  for (cand_t c = first; rc == SEARCH_FAIL;) {
    rc = search_child(S, set, n, c);
    if (rc != SEARCH_FOUND)
      search_undo_to(S, stack_mark, trail_mark);
    S->last_offset = saved_offset;
    S->last_index = saved_index;
    if (forced || !search_next_candidate(S, set, n, cutoff, c, &c))
      break;
  }
  return rc;
}

/* Searches placements of the unplaced buffers set[0..n) (all those live in
 * the sections they span), through the dead-end memo. Permutes set. */
static int search_dfs(search_t *S, int *set, int n) {
  if (n == 0)
    return SEARCH_FOUND;
  if (search_out_of_budget(S))
    return SEARCH_STOPPED;
  int lo, hi;
  search_range(S, set, n, &lo, &hi);
  S->work += n + hi - lo; /* the range, the split's scan */
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
static int search_node(search_t *S, int *set, int n, int lo, int hi) {
  if (S->prm->dynamic_decomposition) {
    int rc = search_split(S, set, n, lo, hi);
    if (rc != -2)
      return rc;
  }
  cand_t first, lowest;
  int64_t cutoff;
  if (!search_candidates(S, set, n, lo, hi, &first, &lowest, &cutoff) || first.index < 0 ||
      (S->prm->section_bound && !search_bound_holds(S, lo, hi)))
    return SEARCH_FAIL;
  bool forced = S->prm->forced_placement && S->prm->canonical_order && search_forced(S, lowest);
  return search_branch(S, set, n, forced ? lowest : first, forced, cutoff);
}

int search_offset_run(search_t *S) {
  S->track_max_floor = true; /* from the root: every floor is 0 */
  int *set = sched_xmalloc((size_t)(S->n + 1) * sizeof *set);
  for (int i = 0; i < S->n; i++)
    set[i] = i;
  int rc = search_root_holds(S) ? search_dfs(S, set, S->n) : SEARCH_FAIL;
  free(set);
  return rc;
}
