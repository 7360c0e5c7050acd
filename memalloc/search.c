/* search.c - the complete allocator: given a capacity it either finds a
 * layout or proves that none exists (or stops at the time/node limit and
 * says so). The driver:
 *  - warm_start: greedy-size's layout, pushed down, is returned when it fits;
 *  - static_partition: buffers split at steps no buffer spans; each group
 *    is solved on its own (a failed group proves the whole infeasible);
 *  - per group, rounds of complete depth-first search, each by one engine
 *    (search_offset.c, search_skyline.c; see search_internal.h) under one
 *    static preorder (the six orders of crowded section / width / area, as
 *    MiniMalloc tries several preorderings);
 *  - restarts: the rounds run under node budgets that grow, alternating the
 *    engines of the portfolio and rotating the preorders, and share one
 *    dead-end memo; without a node limit the portfolio races the two
 *    engines' own searches on two threads, counted in work units (see
 *    search_group_paired), its outcome independent of timing. Neither engine dominates
 * (bench_memalloc --engine): the offset engine alone fits every zoo plan, the skyline engine alone
 * is several times faster on random and network-like instances but stops on resnet50 and resnet101
 * at 1MB. Requires a checked problem. Node = one partial layout visited. */
#include "memalloc/search_internal.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

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

/* Beyond this many time-overlapping pairs the warm start keeps greedy-size's
 * layout as it is (no lists are built for compaction). */
#define COMPACT_MAX_PAIRS (INT64_C(1) << 25)

/* Pushes every buffer down onto the time-overlapping buffers below it, in
 * offset order, until nothing moves. O(passes x (n log n + pairs)). */
static void search_compact(const memalloc_problem_t *p, memalloc_solution_t *g, int *rank,
                           double deadline_ms) {
  int n = p->n_buffers, *start = NULL, *adj = NULL;
  int64_t *lower = sched_xmalloc((size_t)(n + 1) * sizeof *lower);
  int64_t *upper = sched_xmalloc((size_t)(n + 1) * sizeof *upper);
  for (int i = 0; i < n; i++) {
    lower[i] = p->buffers[i].lower;
    upper[i] = p->buffers[i].upper;
  }
  bool lists = memalloc_i_overlap_lists(n, lower, upper, COMPACT_MAX_PAIRS, &start, &adj);
  free(lower);
  free(upper);
  placed_t *order = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *order);
  for (bool moved = lists; moved && memalloc_i_now_ms() <= deadline_ms;) {
    moved = false;
    search_sort_layout(g, order, rank);
    for (int k = 0; k < n; k++) {
      int b = order[k].index;
      int64_t fl = 0;
      for (int e = start[b]; e < start[b + 1]; e++)
        if (rank[adj[e]] < k)
          fl = SCHED_MAX(fl, g->offsets_bytes[adj[e]] + p->buffers[adj[e]].size_bytes);
      int64_t off = SCHED_ALIGN_UP(fl, p->buffers[b].align_bytes);
      moved = moved || off != g->offsets_bytes[b];
      g->offsets_bytes[b] = off;
    }
  }
  free(order);
  free(start);
  free(adj);
}

/* Warm start: greedy-size's layout pushed down; SCHED_OK (and s filled)
 * when it fits the capacity. */
static int search_warm_start(const memalloc_problem_t *p, memalloc_solution_t *s,
                             double deadline_ms) {
  if (memalloc_i_place_ordered(p, s, "greedy-size", true, deadline_ms, NULL) == SCHED_ERR_TIMEOUT)
    return SCHED_ERR_TIMEOUT;
  int *rank = sched_xmalloc((size_t)SCHED_MAX(p->n_buffers, 1) * sizeof *rank);
  search_compact(p, s, rank, deadline_ms); /* a compaction cut short is still a layout */
  free(rank);
  memalloc_solution_update_peak(p, s);
  return s->peak_bytes <= p->capacity_bytes ? SCHED_OK : SCHED_ERR_NOT_FOUND;
}

/* ---- partitions and the entry point ---- */

/* Fills group_of[i] with a group number per buffer: buffers are cut into
 * groups at steps no buffer spans (all in group 0 when split is false).
 * Returns the number of groups. */
static int search_partition(const memalloc_problem_t *p, bool split, int *group_of) {
  int n = p->n_buffers, groups = 0;
  memalloc_i_start_t *st = sched_xmalloc((size_t)n * sizeof *st);
  for (int i = 0; i < n; i++)
    st[i] = (memalloc_i_start_t){p->buffers[i].lower, i};
  qsort(st, (size_t)n, sizeof *st, memalloc_i_start_cmp);
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
 * live bytes there), its width in steps, its area, all descending; `rule`
 * picks one of the six orders in which they count (0: total, width, area,
 * MiniMalloc's; then the other five permutations). Runs that differ only in
 * preorder differ widely in length (one finds a layout in 10^4 nodes where
 * another has none after 10^6), so the restarts rotate all six. */
#define PREORDER_RULES 6

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
  int64_t orders[PREORDER_RULES][3] = {{total, width, area}, {width, area, total},
                                       {total, area, width}, {width, total, area},
                                       {area, total, width}, {area, width, total}};
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

/* One complete search of a group by one engine under one preorder rule and
 * node budget (0: none). Returns SEARCH_FOUND (offsets copied into s),
 * SEARCH_FAIL or SEARCH_STOPPED; sets *by_budget when the budget was what
 * stopped it. */
static int search_round(const memalloc_problem_t *p, const int *group_ids, int n,
                        memalloc_search_engine_t engine, int rule, int64_t budget, search_t *tmpl,
                        memalloc_solution_t *s, bool *by_budget) {
  int *ids = search_preorder(p, group_ids, n, rule);
  search_t S;
  search_init(&S, p, ids, n);
  S.prm = tmpl->prm;
  S.rule = rule;
  S.deadline_ms = tmpl->deadline_ms;
  S.nodes = tmpl->nodes;
  S.round_budget = budget;
  S.deadends = tmpl->deadends;
  S.work_total = tmpl->work_total;
  S.rival_work = tmpl->rival_work;
  S.baton = tmpl->baton;
  S.side = tmpl->side;
  int rc = engine == MEMALLOC_ENGINE_SKYLINE ? search_skyline_run(&S) : search_offset_run(&S);
  if (rc == SEARCH_FOUND)
    for (int i = 0; i < n; i++)
      s->offsets_bytes[ids[i]] = S.offset[i];
  *by_budget = S.stopped_by_budget; /* a rival's stop ends the search */
  tmpl->stopped_by_time = S.stopped_by_time;
  tmpl->round_nodes = S.round_nodes;
  tmpl->state_bytes = SCHED_MAX(tmpl->state_bytes, search_bytes(&S));
  search_free(&S);
  free(ids);
  return rc;
}

/* The engine of round r: the portfolio alternates offset and skyline. */
static memalloc_search_engine_t search_round_engine(memalloc_search_engine_t engine, bool restarts,
                                                    int round) {
  if (engine != MEMALLOC_ENGINE_PORTFOLIO)
    return engine;
  if (!restarts)
    return MEMALLOC_ENGINE_OFFSET;
  return round % 2 ? MEMALLOC_ENGINE_SKYLINE : MEMALLOC_ENGINE_OFFSET;
}

/* The rounds of one search of a group by `engine` (or the portfolio's
 * alternation) until one concludes or a limit stops it: with restarts,
 * rounds rotate the six preorder rules under node budgets that double
 * every six rounds (a round that ends within its budget is conclusive), so
 * one unlucky early choice cannot stall the search; it stays complete
 * because the budgets grow without bound. Returns SEARCH_FOUND (offsets in
 * s), SEARCH_FAIL or SEARCH_STOPPED. */
static int search_rounds(const memalloc_problem_t *p, const int *group_ids, int n,
                         memalloc_search_engine_t engine, search_t *tmpl, memalloc_solution_t *s) {
  const memalloc_params_t *prm = tmpl->prm;
  int rc = SEARCH_STOPPED;
  bool by_budget = true;
  for (int round = 0; rc == SEARCH_STOPPED && by_budget; round++) {
    int64_t budget = prm->restarts ? (int64_t)(4 * n + 64) << SCHED_MIN(round / 6, 40) : 0;
    rc = search_round(p, group_ids, n, search_round_engine(engine, prm->restarts, round),
                      (round / 2) % PREORDER_RULES, budget, tmpl, s, &by_budget);
  }
  return rc;
}

/* ---- the portfolio: the two engines race, taking turns ---- */

/* Groups smaller than this run both sides of the race on the calling
 * thread (same answers: the sides share nothing). */
#define PAIRED_MIN_BUFFERS 64

/* Work per turn of the race (about 10-50 ms): turns cost a hand-over each. */
#define RACE_TURN_WORK (INT64_C(1) << 24)

/* One engine's side of the race: its own memo, node counter and layout,
 * so the two threads share only the read-only problem and the other
 * side's stop mark. */
typedef struct engine_side {
  const memalloc_problem_t *p;
  const int *ids;
  int n;
  memalloc_search_engine_t engine;
  int rc;
  int64_t nodes, work;
  _Atomic int64_t stop_at; /* this side's rival_work */
  struct engine_side *other;
  search_deadends_t deadends;
  search_t tmpl;
  memalloc_solution_t s;
} engine_side_t;

/* Runs this side's whole search; when it concludes, the other side need
 * not do more work than it took (it can only win with less). */
static int engine_side_search(void *arg) {
  engine_side_t *e = arg;
  search_baton_t *B = e->tmpl.baton;
  if (B) { /* the first turn is side 0's */
    mtx_lock(&B->mtx);
    while (B->turn != e->tmpl.side)
      cnd_wait(&B->cnd, &B->mtx);
    mtx_unlock(&B->mtx);
  }
  e->rc = search_rounds(e->p, e->ids, e->n, e->engine, &e->tmpl, &e->s);
  if (e->rc != SEARCH_STOPPED) {
    int64_t mine = e->work, seen = atomic_load(&e->other->stop_at);
    while (mine < seen && !atomic_compare_exchange_weak(&e->other->stop_at, &seen, mine)) {
    }
  }
  if (B)
    search_baton_finish(B, e->tmpl.side);
  return 0;
}

/* The side that concluded with less work (the offset side on a tie), or
 * -1 when neither concluded. */
static int engine_race_winner(const engine_side_t side[2]) {
  bool done0 = side[0].rc != SEARCH_STOPPED, done1 = side[1].rc != SEARCH_STOPPED;
  if (done0 && done1)
    return side[1].work < side[0].work;
  return done0 ? 0 : done1 ? 1 : -1;
}

/* The portfolio without a node limit: the offset and the skyline engine
 * each run their own whole search (search_rounds, as --engine would),
 * taking turns of RACE_TURN_WORK on two threads (search_baton_t), as a race
 * counted in work (array elements visited, search_t.work): the group
 * concludes with the answer of the side that concluded after less work
 * (offset on a tie), and a side stops as soon as it has done more work than
 * the other took to conclude, so the race costs about twice its winner's
 * CPU time: never much more than the better engine alone. Everything
 * (winner, layout, proof, both sides' node counts) depends on work counts
 * only: the same on any machine and load (short of the time limit). */
static int search_group_paired(const memalloc_problem_t *p, const int *group_ids, int n,
                               const memalloc_params_t *prm, double deadline_ms, int64_t *nodes,
                               int64_t *bytes, memalloc_solution_t *s,
                               memalloc_solution_t scratch[2]) {
  engine_side_t side[2];
  for (int e = 0; e < 2; e++) {
    side[e] = (engine_side_t){.p = p, .ids = group_ids, .n = n, .s = scratch[e]};
    side[e].engine = e ? MEMALLOC_ENGINE_SKYLINE : MEMALLOC_ENGINE_OFFSET;
    side[e].other = &side[1 - e];
    side[e].tmpl = (search_t){.prm = prm, .deadline_ms = deadline_ms, .nodes = &side[e].nodes};
    side[e].tmpl.deadends = prm->deadend_memo ? &side[e].deadends : NULL;
    side[e].tmpl.work_total = &side[e].work;
    side[e].tmpl.rival_work = &side[e].stop_at;
    atomic_init(&side[e].stop_at, INT64_MAX);
  }
  /* starting a thread costs more than a small group's whole search: small
   * groups run one side after the other */
  search_baton_t baton = {.quantum_work = RACE_TURN_WORK,
                          .turn_end = {RACE_TURN_WORK, RACE_TURN_WORK}};
  thrd_t t;
  bool threaded = n >= PAIRED_MIN_BUFFERS && mtx_init(&baton.mtx, mtx_plain) == thrd_success;
  if (threaded && cnd_init(&baton.cnd) != thrd_success) {
    mtx_destroy(&baton.mtx);
    threaded = false;
  }
  for (int e = 0; threaded && e < 2; e++) {
    side[e].tmpl.baton = &baton;
    side[e].tmpl.side = e;
  }
  if (threaded && thrd_create(&t, engine_side_search, &side[1]) != thrd_success) {
    side[0].tmpl.baton = side[1].tmpl.baton = NULL;
    cnd_destroy(&baton.cnd);
    mtx_destroy(&baton.mtx);
    threaded = false;
  }
  engine_side_search(&side[0]);
  if (threaded) {
    thrd_join(t, NULL);
    cnd_destroy(&baton.cnd);
    mtx_destroy(&baton.mtx);
  } else {
    engine_side_search(&side[1]);
  }
  int win = engine_race_winner(side);
  *nodes += side[0].nodes + side[1].nodes;
  int rc = win < 0 ? SEARCH_STOPPED : side[win].rc;
  if (rc == SEARCH_FOUND)
    for (int i = 0; i < n; i++)
      s->offsets_bytes[group_ids[i]] = side[win].s.offsets_bytes[group_ids[i]];
  /* both sides hold their memory at once */
  *bytes = SCHED_MAX(*bytes, side[0].tmpl.state_bytes + side[1].tmpl.state_bytes);
  for (int e = 0; e < 2; e++)
    free(side[e].deadends.keys);
  if (rc == SEARCH_STOPPED)
    return SCHED_ERR_TIMEOUT;
  return rc == SEARCH_FOUND ? SCHED_OK : SCHED_ERR_INFEASIBLE;
}

/* Searches one group; copies its offsets into s on success. */
static int search_group(const memalloc_problem_t *p, const int *group_ids, int n,
                        const memalloc_params_t *prm, double deadline_ms, int64_t *nodes,
                        int64_t *bytes, memalloc_solution_t *s, memalloc_solution_t *scratch) {
  /* A layout of n buffers takes at least n nodes: with fewer left under the
   * node limit the search could only prove infeasibility, and proving it
   * on a group this large rarely fits in the rest, so it stops at once
   * instead of spending the budget to return nothing. */
  if (prm->node_limit > 0 && prm->node_limit - *nodes < n)
    return SCHED_ERR_NOT_FOUND;
  if (scratch)
    return search_group_paired(p, group_ids, n, prm, deadline_ms, nodes, bytes, s, scratch);
  search_deadends_t deadends = {0};
  search_t tmpl = {.prm = prm,
                   .deadline_ms = deadline_ms,
                   .nodes = nodes,
                   .deadends = prm->deadend_memo ? &deadends : NULL};
  int rc = search_rounds(p, group_ids, n, prm->engine, &tmpl, s);
  free(deadends.keys);
  *bytes = SCHED_MAX(*bytes, tmpl.state_bytes);
  if (rc == SEARCH_STOPPED)
    return tmpl.stopped_by_time ? SCHED_ERR_TIMEOUT : SCHED_ERR_NOT_FOUND;
  return rc == SEARCH_FOUND ? SCHED_OK : SCHED_ERR_INFEASIBLE;
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
  /* the clock starts before the warm start: quadratic on dense instances */
  double deadline_ms = memalloc_i_now_ms() + params->time_limit_s * 1e3;
  int warm = params->warm_start ? search_warm_start(p, s, deadline_ms) : SCHED_ERR_NOT_FOUND;
  if (warm == SCHED_OK)
    return SCHED_OK;
  if (warm == SCHED_ERR_TIMEOUT)
    return search_report(warm, 0, 1, params, diag);
  int n = p->n_buffers;
  memalloc_solution_resize(s, n);
  int *group_of = sched_xmalloc((size_t)n * sizeof *group_of);
  int *ids = sched_xmalloc((size_t)n * sizeof *ids);
  int groups = search_partition(p, params->static_partition, group_of);
  int *first = sched_xmalloc((size_t)(groups + 1) * sizeof *first);
  search_groups_list(group_of, n, groups, first, ids);
  int64_t nodes = 0, bytes = 0;
  /* the paired portfolio's layouts per side, shared by the groups */
  memalloc_solution_t scratch[2];
  bool paired =
      params->engine == MEMALLOC_ENGINE_PORTFOLIO && params->restarts && params->node_limit == 0;
  for (int e = 0; paired && e < 2; e++) {
    memalloc_solution_init(&scratch[e]);
    memalloc_solution_resize(&scratch[e], n);
  }
  int rc = SCHED_OK, g = 0;
  for (; g < groups && rc == SCHED_OK; g++)
    rc = search_group(p, ids + first[g], first[g + 1] - first[g], params, deadline_ms, &nodes,
                      &bytes, s, paired ? scratch : NULL);
  for (int e = 0; paired && e < 2; e++)
    memalloc_solution_free(&scratch[e]);
  free(group_of);
  free(ids);
  free(first);
  if (stats) {
    stats->nodes = nodes;
    stats->partitions = groups;
    stats->search_bytes = bytes;
  }
  memalloc_solution_update_peak(p, s);
  return rc == SCHED_OK ? SCHED_OK : search_report(rc, g - 1, groups, params, diag);
}
