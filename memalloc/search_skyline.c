/* search_skyline.c - the skyline engine of the search allocator. Each
 * section keeps a floor: no buffer still to place may go below it there. A
 * node takes a valley, a maximal run [a, b) of sections with equal floor f
 * whose neighbours lie higher (a wall, where nothing is left to place, or
 * the end counts as the capacity), and with m the lower neighbour branches:
 *  - for each unplaced buffer whose live range lies inside the valley and
 *    whose aligned offset from f stays below m: place it there;
 *  - last, "nothing starts below m here": raise the valley's floor to m.
 * Push every buffer of any layout down as far as it goes: if some buffer
 * meets the valley below m it lies inside it (crossing a neighbour would put
 * it at or above that neighbour's floor), and the lowest of them sits at its
 * aligned offset from f, so one branch keeps that layout; otherwise the
 * raise keeps it. The search is therefore complete, whichever valley a node
 * takes; it takes the one with the fewest branches, so a dead end shows and
 * a forced move is made at once. On top of that, each a switch in
 * memalloc_params_t:
 *  - canonical_order: the buffer placed is the leftmost one at the bottom of
 *    the valley, so the sections to its left take nothing at f either: their
 *    floor rises to the lower of the left neighbour and the buffer's top at
 *    once, and every layout is reached by one path only. It needs one
 *    alignment for all buffers (floors are kept aligned to it); with mixed
 *    alignments the engine runs without it;
 *  - section_bound: a section whose floor plus the bytes still to place
 *    there exceeds the capacity ends the branch (checked where floors move);
 *  - identical_order: identical buffers are placed in index order;
 *  - dynamic_decomposition: runs of sections separated by walls share no
 *    buffer, so each is searched on its own;
 *  - dynamic_ordering (heuristic): the valley with the fewest branches, and
 *    in it the buffers that start at its left end first, then those that
 *    also end at its right end; off: the lowest valley, static preorder;
 *  - deadend_memo: a state (floors, placed buffers) that failed once is not
 *    searched again; different stacking orders of the same buffers reach
 *    the same state;
 *  - backjumping: a failure records the sections it depends on (see
 *    "conflicts" below); a node whose branch failed for sections outside
 *    its valley fails at once, so the search leaves a region it cannot fill
 *    for the move that made it so, not for the last unrelated choice;
 *  - load_bound: per section, the buffers a floor over their span holds
 *    above a level must fit above it, at every level (the section bound is
 *    the level of the section's own floor).
 * With section_bound, a valley whose sections cannot be filled up to its
 * rise by the buffers inside it plus the waste the bound allows is a dead
 * end and is taken at once. Backjumping is Prosser's conflict-directed
 * backjumping with a section interval as the conflict; no code taken.
 * The skyline view comes from perfect rectangle packing; no code taken. */
#include "memalloc/search_internal.h"

#include <stdlib.h>

/* A valley with the floor of its left neighbour, the level it may rise to
 * and its number of branches (when counted). */
typedef struct {
  int a, b;
  int64_t floor, left, rise;
  int branches;
  bool dead; /* cannot be filled up to its rise */
} valley_t;

/* A candidate of one node with its ordering keys. */
typedef struct {
  int left_gap;  /* sections between the valley's left end and the buffer */
  int short_fit; /* 1 when the buffer ends before the valley does */
  int index;
} cand_t;

/* True when candidate x is tried before y: leftmost first, then (dynamic
 * ordering) one that ends inside the valley, then the static preorder. */
static bool cand_before(const search_t *S, cand_t x, cand_t y) {
  if (x.left_gap != y.left_gap)
    return x.left_gap < y.left_gap;
  if (S->prm->dynamic_ordering && x.short_fit != y.short_fit)
    return x.short_fit < y.short_fit;
  return x.index < y.index;
}

/* Whether raising valley g to its rise keeps the section bound. */
static bool valley_raise_ok(const search_t *S, const valley_t *g) {
  if (g->rise >= S->capacity)
    return false;
  for (int s = g->a; S->prm->section_bound && s < g->b; s++)
    if (g->rise > S->capacity - S->rem_bytes[s])
      return false;
  return true;
}

/* Whether unplaced buffer u is a candidate of valley g. */
static bool valley_fits(const search_t *S, const valley_t *g, int u) {
  if (S->placed[u] || S->span_hi[u] > g->b)
    return false;
  if (S->prm->identical_order && S->twin_prev[u] >= 0 && !S->placed[S->twin_prev[u]])
    return false;
  int64_t off = SCHED_ALIGN_UP(g->floor, S->align[u]);
  return off < g->rise && off <= S->capacity - S->size[u];
}

/* Whether valley g can be filled up to its rise: below the rise, a section
 * of the valley holds only buffers inside the valley (one crossing its ends
 * lies at or above a neighbour's floor) or waste, and the section bound
 * limits the waste. Uses sec_cover as scratch. */
static bool valley_coverable(search_t *S, const valley_t *g) {
  int64_t *cover = S->sec_cover;
  S->work += 3 * (g->b - g->a);
  for (int s = g->a; s < g->b; s++)
    cover[s] = 0;
  for (int s = g->a; s < g->b; s++)
    for (int k = S->start_first[s]; k < S->start_first[s + 1]; k++) {
      int u = S->starts[k];
      S->work++;
      if (S->placed[u] || S->span_hi[u] > g->b)
        continue;
      S->work += S->span_hi[u] - S->span_lo[u];
      for (int t = S->span_lo[u]; t < S->span_hi[u]; t++)
        cover[t] += S->size[u];
    }
  for (int s = g->a; s < g->b; s++)
    if (S->rem_bytes[s] - cover[s] > S->capacity - g->rise)
      return false;
  return true;
}

/* Branches of valley g, counting no further than `stop`. */
static int valley_branches(search_t *S, const valley_t *g, int stop) {
  int n = valley_raise_ok(S, g);
  S->work += g->b - g->a;
  for (int s = g->a; s < g->b && n < stop; s++)
    for (int k = S->start_first[s]; k < S->start_first[s + 1] && n < stop; k++, S->work++)
      n += valley_fits(S, g, S->starts[k]);
  return n;
}

/* The run of equal floors starting at section a (< hi, rem_count > 0); sets
 * *is_valley when both neighbours lie higher (walls and ends always do,
 * even where alignment lifted a floor above the capacity). */
static valley_t valley_at(const search_t *S, int a, int hi, bool *is_valley) {
  valley_t g = {.a = a, .floor = S->floor[a]};
  for (g.b = a + 1; g.b < hi && S->rem_count[g.b] > 0 && S->floor[g.b] == g.floor; g.b++) {
  }
  bool left_wall = a == 0 || S->rem_count[a - 1] == 0;
  bool right_wall = g.b >= S->n_sections || S->rem_count[g.b] == 0;
  int64_t left = left_wall ? INT64_MAX : S->floor[a - 1];
  int64_t right = right_wall ? INT64_MAX : S->floor[g.b];
  *is_valley = left > g.floor && right > g.floor;
  g.left = SCHED_MIN(left, S->capacity);
  g.rise = SCHED_MIN(SCHED_MIN(left, right), S->capacity);
  return g;
}

/* True when candidate valley g should replace *best. */
static bool valley_better(const search_t *S, const valley_t *g, const valley_t *best) {
  if (best->a < 0)
    return true;
  if (S->prm->dynamic_ordering && g->branches != best->branches)
    return g->branches < best->branches;
  return g->floor < best->floor;
}

/* The valley of sections [lo, hi) to branch on; false when nothing is left
 * to place there. */
static bool valley_pick(search_t *S, int lo, int hi, valley_t *best) {
  *best = (valley_t){.a = -1};
  S->work += hi - lo;
  for (int a = lo; a < hi;) {
    if (S->rem_count[a] == 0) {
      a++;
      continue;
    }
    bool is_valley;
    valley_t g = valley_at(S, a, hi, &is_valley);
    a = g.b;
    if (!is_valley)
      continue;
    if (S->prm->section_bound && !valley_coverable(S, &g)) {
      g.branches = 0; /* a dead end: take it */
      g.dead = true;
      *best = g;
      break;
    }
    if (S->prm->dynamic_ordering)
      g.branches = valley_branches(S, &g, best->a < 0 ? INT32_MAX : best->branches + 1);
    if (valley_better(S, &g, best))
      *best = g;
    if (S->prm->dynamic_ordering && best->branches == 0)
      break;
  }
  return best->a >= 0;
}

/* Valley g's candidate tried after *prev (the first when prev is NULL), in
 * cand_before's order; false when there is none. The node's state is the
 * same at each call, so rescanning the valley's buffers gives the
 * candidates in order without a list per node. */
static bool valley_next(search_t *S, const valley_t *g, const cand_t *prev, cand_t *next) {
  cand_t after = prev ? *prev : (cand_t){0, 0, -1};
  next->index = -1;
  S->work += (g->b - g->a) + S->start_first[g->b] - S->start_first[g->a];
  for (int s = g->a; s < g->b; s++)
    for (int k = S->start_first[s]; k < S->start_first[s + 1]; k++) {
      int u = S->starts[k];
      cand_t c = {s - g->a, S->span_hi[u] < g->b, u};
      if ((after.index >= 0 && !cand_before(S, after, c)) ||
          (next->index >= 0 && !cand_before(S, c, *next)))
        continue;
      if (valley_fits(S, g, u))
        *next = c;
    }
  return next->index >= 0;
}

/* Raises the floors of sections [lo, hi) to `to`; false when the section
 * bound fails there. */
static bool skyline_raise(search_t *S, int lo, int hi, int64_t to) {
  bool ok = true;
  S->work += hi - lo;
  for (int s = lo; s < hi; s++) {
    search_set_floor(S, s, to);
    ok = ok && (!S->prm->section_bound || S->rem_count[s] == 0 ||
                S->floor[s] <= S->capacity - S->rem_bytes[s]);
  }
  return ok;
}

/* The section bound over a just placed buffer's sections. */
static bool skyline_bound_holds(const search_t *S, int b) {
  for (int s = S->span_lo[b]; S->prm->section_bound && s < S->span_hi[b]; s++)
    if (S->rem_count[s] > 0 && S->floor[s] > S->capacity - S->rem_bytes[s])
      return false;
  return true;
}

static int skyline_dfs(search_t *S, int lo, int hi);

/* ---- conflicts: which sections a failure depends on ----
 * A failed state records sections [conflict_lo, conflict_hi) such that any
 * state agreeing with it there (same floors, same buffers live there
 * placed) fails too. A node's moves touch only its valley's sections, so a
 * branch whose conflict misses the valley fails every branch: the node
 * fails with that conflict at once (backjumping). Otherwise the node's
 * conflict is the hull of its branches' conflicts and its valley with both
 * neighbours (what decided its branches). */

static void conflict_set(search_t *S, int lo, int hi) {
  S->conflict_lo = SCHED_MAX(lo, 0);
  S->conflict_hi = SCHED_MIN(hi, S->n_sections);
}

/* Sections a valley's branches depend on: the valley and its neighbours. */
static void conflict_set_valley(search_t *S, const valley_t *g) {
  conflict_set(S, g->a - 1, g->b + 1);
}

static bool conflict_misses(const search_t *S, const valley_t *g) {
  return S->conflict_hi <= g->a || S->conflict_lo >= g->b;
}

/* Decomposition: runs of sections separated by walls share no unplaced
 * buffer; each is searched on its own. Returns -2 when [lo, hi) is one. */
static int skyline_split(search_t *S, int lo, int hi) {
  int runs = 0;
  S->work += hi - lo;
  for (int s = lo; s < hi; s++)
    runs += S->rem_count[s] > 0 && (s == lo || S->rem_count[s - 1] == 0);
  if (runs <= 1)
    return -2;
  int stack_mark = S->stack_top, trail_mark = S->trail_top, rc = SEARCH_FOUND;
  for (int s = lo; s < hi && rc == SEARCH_FOUND;) {
    int e = s;
    while (e < hi && S->rem_count[e] > 0)
      e++;
    if (e > s)
      rc = skyline_dfs(S, s, e);
    s = e + 1;
  }
  if (rc != SEARCH_FOUND)
    search_undo_to(S, stack_mark, trail_mark);
  return rc;
}

/* Places candidate u at its offset from the valley's floor (with the left
 * raise of canonical order) and searches on. */
static int skyline_try(search_t *S, int lo, int hi, int u, const valley_t *g) {
  int64_t off = SCHED_ALIGN_UP(g->floor, S->align[u]);
  search_place(S, u, off);
  S->moved_lo = g->a;
  S->moved_hi = g->b;
  bool ok = skyline_bound_holds(S, u);
  if (ok && S->prm->canonical_order && S->one_alignment && S->span_lo[u] > g->a)
    ok = skyline_raise(S, g->a, S->span_lo[u], SCHED_MIN(g->left, off + S->size[u]));
  if (!ok) {
    conflict_set_valley(S, g);
    return SEARCH_FAIL;
  }
  return skyline_dfs(S, lo, hi);
}

/* The last branch of valley g: raises it to its rise and searches on. */
static int skyline_raise_valley(search_t *S, int lo, int hi, const valley_t *g) {
  S->moved_lo = g->a;
  S->moved_hi = g->b;
  if (!skyline_raise(S, g->a, g->b, g->rise)) {
    conflict_set_valley(S, g);
    return SEARCH_FAIL;
  }
  return skyline_dfs(S, lo, hi);
}

/* Buffer u's lowest offset (the highest floor over its span), computed
 * once per node. */
static void skyline_lowest(search_t *S, int u) {
  if (S->lowest_epoch[u] == S->load_epoch)
    return;
  S->work += S->span_hi[u] - S->span_lo[u];
  S->lowest_epoch[u] = S->load_epoch;
  S->lowest[u] = -1;
  for (int s = S->span_lo[u]; s < S->span_hi[u]; s++)
    if (S->floor[s] > S->lowest[u]) {
      S->lowest[u] = S->floor[s];
      S->lowest_at[u] = s;
    }
  S->lowest[u] = SCHED_ALIGN_UP(S->lowest[u], S->align[u]);
}

/* Adds buffer u's size to its level among the m levels of `levels` (kept
 * in descending order; a section's buffers take few distinct levels, as
 * their lowest offsets are floors of nearby sections); returns the new m. */
static int load_level_add(search_load_t *levels, int m, const search_t *S, int u) {
  int64_t y = S->lowest[u];
  int at = S->lowest_at[u], k = 0;
  while (k < m && levels[k].lowest > y)
    k++;
  if (k < m && levels[k].lowest == y) {
    levels[k].size += S->size[u];
    levels[k].at_lo = SCHED_MIN(levels[k].at_lo, at);
    levels[k].at_hi = SCHED_MAX(levels[k].at_hi, at + 1);
    return m;
  }
  for (int j = m; j > k; j--)
    levels[j] = levels[j - 1];
  levels[k] = (search_load_t){y, S->size[u], at, at + 1};
  return m + 1;
}

/* Section s's load bound: for every level y, the unplaced buffers live in
 * s that cannot go below y (a floor over their span is at least y) must
 * fit between y and the capacity. At y = floor(s) this is the section
 * bound; higher levels see a valley that its own buffers cannot fill. On a
 * failure, sets the conflict: s and, per buffer counted, a section whose
 * floor holds it up. */
static bool skyline_load_holds(search_t *S, int s) {
  int m = 0;
  S->work += S->live_first[s + 1] - S->live_first[s];
  for (int k = S->live_first[s]; k < S->live_first[s + 1]; k++) {
    int u = S->live[k];
    if (!S->placed[u]) {
      skyline_lowest(S, u);
      S->work += m;
      m = load_level_add(S->loads, m, S, u);
    }
  }
  int64_t sum = 0;
  int c_lo = s, c_hi = s + 1;
  for (int k = 0; k < m; k++) {
    sum += S->loads[k].size;
    c_lo = SCHED_MIN(c_lo, S->loads[k].at_lo);
    c_hi = SCHED_MAX(c_hi, S->loads[k].at_hi);
    if (sum > S->capacity - S->loads[k].lowest) {
      conflict_set(S, c_lo, c_hi);
      return false;
    }
  }
  return true;
}

/* The load bound over the sections of [lo, hi) the last move can have
 * changed: those of every unplaced buffer live where floors moved (all
 * others held at the parent). */
static bool skyline_loads_hold(search_t *S, int lo, int hi) {
  S->load_epoch++;
  int c_lo = SCHED_MAX(S->moved_lo, lo), c_hi = SCHED_MIN(S->moved_hi, hi);
  for (int s = c_lo; s < SCHED_MIN(S->moved_hi, hi); s++)
    for (int k = S->live_first[s]; k < S->live_first[s + 1]; k++, S->work++) {
      int u = S->live[k];
      if (!S->placed[u]) {
        c_lo = SCHED_MIN(c_lo, S->span_lo[u]);
        c_hi = SCHED_MAX(c_hi, S->span_hi[u]);
      }
    }
  for (int s = SCHED_MAX(c_lo, lo); s < SCHED_MIN(c_hi, hi); s++)
    if (S->rem_count[s] > 0 && !skyline_load_holds(S, s))
      return false;
  S->work += SCHED_MAX(c_hi - c_lo, 0);
  return true;
}

/* After a failed branch of valley g: true when the node fails at once
 * (backjump); else widens the node's conflict [*c_lo, *c_hi). */
static bool skyline_branch_failed(search_t *S, const valley_t *g, int *c_lo, int *c_hi) {
  if (S->prm->backjumping && conflict_misses(S, g))
    return true;
  *c_lo = SCHED_MIN(*c_lo, S->conflict_lo);
  *c_hi = SCHED_MAX(*c_hi, S->conflict_hi);
  return false;
}

/* One node: decomposition, then each candidate of the valley, then the
 * raise. */
static int skyline_node(search_t *S, int lo, int hi, const valley_t *g) {
  if (S->prm->dynamic_decomposition) {
    int rc = skyline_split(S, lo, hi);
    if (rc != -2)
      return rc;
  }
  conflict_set_valley(S, g);
  if (g->dead)
    return SEARCH_FAIL;
  int stack_mark = S->stack_top, trail_mark = S->trail_top, rc = SEARCH_FAIL;
  int c_lo = S->conflict_lo, c_hi = S->conflict_hi;
  bool jumped = false;
  cand_t c;
  bool more = valley_next(S, g, NULL, &c);
  while (more) {
    rc = skyline_try(S, lo, hi, c.index, g);
    if (rc != SEARCH_FOUND)
      search_undo_to(S, stack_mark, trail_mark);
    jumped = rc == SEARCH_FAIL && skyline_branch_failed(S, g, &c_lo, &c_hi);
    more = rc == SEARCH_FAIL && !jumped && valley_next(S, g, &c, &c);
  }
  if (rc == SEARCH_FAIL && !jumped && valley_raise_ok(S, g)) {
    rc = skyline_raise_valley(S, lo, hi, g);
    if (rc != SEARCH_FOUND)
      search_undo_to(S, stack_mark, trail_mark);
    jumped = rc == SEARCH_FAIL && skyline_branch_failed(S, g, &c_lo, &c_hi);
  }
  if (rc == SEARCH_FAIL && !jumped)
    conflict_set(S, c_lo, c_hi);
  return rc;
}

/* Searches placements of the unplaced buffers live in sections [lo, hi),
 * through the dead-end memo. */
static int skyline_dfs(search_t *S, int lo, int hi) {
  valley_t g;
  if (!valley_pick(S, lo, hi, &g))
    return SEARCH_FOUND;
  if (search_out_of_budget(S))
    return SEARCH_STOPPED;
  if (S->prm->load_bound && !skyline_loads_hold(S, lo, hi))
    return SEARCH_FAIL;
  uint64_t key[2];
  if (S->deadends) {
    search_state_key(S, search_mix64((uint64_t)lo << 32 | (uint64_t)hi), key);
    uint64_t note;
    if (search_deadends_has(S->deadends, key, &note)) {
      conflict_set(S, (int)(note >> 32), (int)(note & UINT32_MAX));
      return SEARCH_FAIL;
    }
  }
  int rc = skyline_node(S, lo, hi, &g);
  if (rc == SEARCH_FAIL && S->deadends)
    search_deadends_add(S->deadends, key,
                        (uint64_t)S->conflict_lo << 32 | (uint64_t)S->conflict_hi);
  return rc;
}

int search_skyline_run(search_t *S) {
  S->moved_lo = 0;
  S->moved_hi = S->n_sections;
  return search_root_holds(S) ? skyline_dfs(S, 0, S->n_sections) : SEARCH_FAIL;
}
