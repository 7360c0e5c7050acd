/* search_group.c - one group of buffers set up for the search engines
 * (sections, spans, identical buffers, buffers by first section, overlap
 * lists), the moves both engines make with their undo, the state hash and
 * the dead-end memo, and the node budget. See search_internal.h. */
#include "memalloc/search_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- setup ---- */

/* The search's own arrays, zeroed and counted in S->state_bytes (the
 * memory a test can bound). */
static void *state_alloc(search_t *S, size_t count, size_t elem_bytes) {
  S->state_bytes += (int64_t)(count * elem_bytes);
  return sched_xcalloc(count, elem_bytes);
}

static int search_step_at(const int64_t *steps, int n, int64_t t) {
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

/* Sections: the runs between consecutive distinct lower/upper steps. */
static void search_sections_build(search_t *S, const memalloc_problem_t *p) {
  int64_t *steps = sched_xmalloc((size_t)(2 * S->n + 1) * sizeof *steps);
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
    S->span_lo[i] = search_step_at(steps, m, p->buffers[S->ids[i]].lower);
    S->span_hi[i] = search_step_at(steps, m, p->buffers[S->ids[i]].upper);
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

static void search_twins_build(search_t *S, const shape_t *sh) {
  for (int k = 0; k < S->n; k++) {
    bool same = k > 0 && sh[k - 1].lower == sh[k].lower && sh[k - 1].upper == sh[k].upper &&
                sh[k - 1].size == sh[k].size && sh[k - 1].align == sh[k].align;
    S->twin_prev[sh[k].index] = same ? sh[k - 1].index : -1;
  }
}

static void search_shapes_build(search_t *S, const memalloc_problem_t *p) {
  shape_t *sh = sched_xmalloc((size_t)(S->n + 1) * sizeof *sh);
  for (int i = 0; i < S->n; i++) {
    const memalloc_buffer_t *b = &p->buffers[S->ids[i]];
    sh[i] = (shape_t){b->lower, b->upper, b->size_bytes, b->align_bytes, i};
  }
  qsort(sh, (size_t)S->n, sizeof *sh, shape_cmp);
  search_twins_build(S, sh);
  free(sh);
}

/* Time-overlapping buffers, CSR. */
static void search_adjacency_build(search_t *S, const memalloc_problem_t *p) {
  int64_t *lower = sched_xmalloc((size_t)(S->n + 1) * sizeof *lower);
  int64_t *upper = sched_xmalloc((size_t)(S->n + 1) * sizeof *upper);
  for (int i = 0; i < S->n; i++) {
    lower[i] = p->buffers[S->ids[i]].lower;
    upper[i] = p->buffers[S->ids[i]].upper;
  }
  memalloc_i_overlap_lists(S->n, lower, upper, 0, &S->adj_start, &S->adj);
  S->state_bytes += (int64_t)(S->n + 1 + S->adj_start[S->n] + 1) * (int64_t)sizeof(int);
  free(lower);
  free(upper);
}

/* Buffers listed by their first section, each list in local order. */
static void search_starts_build(search_t *S) {
  int ns = S->n_sections;
  S->start_first = state_alloc(S, (size_t)ns + 2, sizeof *S->start_first);
  S->starts = state_alloc(S, (size_t)(S->n + 1), sizeof *S->starts);
  for (int i = 0; i < S->n; i++)
    S->start_first[S->span_lo[i] + 1]++;
  for (int s = 0; s <= ns; s++)
    S->start_first[s + 1] += S->start_first[s];
  int *fill = sched_xmalloc((size_t)(ns + 1) * sizeof *fill);
  memcpy(fill, S->start_first, (size_t)(ns + 1) * sizeof *fill);
  for (int i = 0; i < S->n; i++)
    S->starts[fill[S->span_lo[i]]++] = i;
  free(fill);
}

/* Buffers live in each section, CSR, local order. */
static void search_live_build(search_t *S) {
  int ns = S->n_sections;
  S->live_first = state_alloc(S, (size_t)ns + 2, sizeof *S->live_first);
  for (int i = 0; i < S->n; i++)
    for (int s = S->span_lo[i]; s < S->span_hi[i]; s++)
      S->live_first[s + 1]++;
  int most = 0;
  for (int s = 0; s < ns; s++) {
    most = SCHED_MAX(most, S->live_first[s + 1]);
    S->live_first[s + 1] += S->live_first[s];
  }
  S->live = state_alloc(S, (size_t)(S->live_first[ns] + 1), sizeof *S->live);
  int *fill = sched_xmalloc((size_t)(ns + 1) * sizeof *fill);
  memcpy(fill, S->live_first, (size_t)(ns + 1) * sizeof *fill);
  for (int i = 0; i < S->n; i++)
    for (int s = S->span_lo[i]; s < S->span_hi[i]; s++)
      S->live[fill[s]++] = i;
  free(fill);
  S->loads = state_alloc(S, (size_t)(most + 1), sizeof *S->loads);
}

static void search_buffers_copy(search_t *S, const memalloc_problem_t *p) {
  size_t n1 = (size_t)S->n + 1;
  S->size = state_alloc(S, n1, sizeof *S->size);
  S->align = state_alloc(S, n1, sizeof *S->align);
  S->span_lo = state_alloc(S, n1, sizeof *S->span_lo);
  S->span_hi = state_alloc(S, n1, sizeof *S->span_hi);
  S->twin_prev = state_alloc(S, n1, sizeof *S->twin_prev);
  S->one_alignment = true;
  for (int i = 0; i < S->n; i++) {
    S->size[i] = p->buffers[S->ids[i]].size_bytes;
    S->align[i] = p->buffers[S->ids[i]].align_bytes;
    S->one_alignment = S->one_alignment && S->align[i] == S->align[0];
  }
  S->floor_align = S->one_alignment && S->n > 0 ? S->align[0] : 1;
}

static void search_state_alloc(search_t *S) {
  size_t n1 = (size_t)S->n + 1, ns1 = (size_t)S->n_sections + 1;
  S->floor = state_alloc(S, ns1, sizeof *S->floor);
  S->rem_bytes = state_alloc(S, ns1, sizeof *S->rem_bytes);
  S->rem_count = state_alloc(S, ns1, sizeof *S->rem_count);
  for (int i = 0; i < S->n; i++)
    for (int s = S->span_lo[i]; s < S->span_hi[i]; s++) {
      S->rem_bytes[s] += S->size[i];
      S->rem_count[s]++;
    }
  S->placed = state_alloc(S, n1, sizeof *S->placed);
  S->offset = state_alloc(S, n1, sizeof *S->offset);
  S->stack = state_alloc(S, n1, sizeof *S->stack);
  S->zobrist = state_alloc(S, 2 * n1, sizeof *S->zobrist);
  for (int i = 0; i < 2 * S->n; i++)
    S->zobrist[i] = search_mix64((uint64_t)S->ids[i / 2] * 2 + (uint64_t)(i % 2) +
                                 UINT64_C(0x632be59bd9b4e019));
  S->max_floor = state_alloc(S, n1, sizeof *S->max_floor);
  S->waiting = state_alloc(S, n1, sizeof *S->waiting);
  S->sec_min = state_alloc(S, ns1, sizeof *S->sec_min);
  S->sec_cover = state_alloc(S, ns1, sizeof *S->sec_cover);
  S->lowest = state_alloc(S, n1, sizeof *S->lowest);
  S->lowest_at = state_alloc(S, n1, sizeof *S->lowest_at);
  S->lowest_epoch = state_alloc(S, n1, sizeof *S->lowest_epoch);
  S->last_offset = -1;
  S->last_index = -1;
}

void search_init(search_t *S, const memalloc_problem_t *p, const int *ids, int n) {
  memset(S, 0, sizeof *S);
  S->n = n;
  S->ids = ids;
  S->capacity = p->capacity_bytes;
  search_buffers_copy(S, p);
  search_sections_build(S, p);
  search_shapes_build(S, p);
  search_adjacency_build(S, p);
  search_starts_build(S);
  search_live_build(S);
  search_state_alloc(S);
}

int64_t search_bytes(const search_t *S) {
  int64_t memo = S->deadends ? S->deadends->cap * 3 * (int64_t)sizeof(uint64_t) : 0;
  return S->state_bytes + (int64_t)S->trail_cap * (int64_t)sizeof *S->trail + memo;
}

void search_free(search_t *S) {
  void *owned[] = {
      S->size,       S->align, S->span_lo, S->span_hi,   S->twin_prev, S->start_first, S->starts,
      S->adj_start,  S->adj,   S->floor,   S->rem_bytes, S->rem_count, S->placed,      S->offset,
      S->trail,      S->stack, S->zobrist, S->max_floor, S->waiting,   S->sec_min,     S->sec_cover,
      S->live_first, S->live,  S->lowest,  S->lowest_at, S->loads,     S->lowest_epoch};
  for (int k = 0; k < SCHED_ARRAY_LEN(owned); k++)
    free(owned[k]);
}

/* ---- the state hash and the dead-end memo ---- */

uint64_t search_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Hash word k of "section s has floor f". */
static uint64_t floor_hash(int k, int s, int64_t f) {
  return search_mix64((uint64_t)f * UINT64_C(0x9e3779b97f4a7c15) +
                      (uint64_t)s * UINT64_C(0xd1b54a32d192ed03) + (uint64_t)k);
}

void search_state_key(const search_t *S, uint64_t salt, uint64_t key[2]) {
  for (int k = 0; k < 2; k++)
    key[k] = S->hash[k] ^ search_mix64(salt + (uint64_t)k * UINT64_C(0x2545f4914f6cdd1d));
  if (key[0] == 0 && key[1] == 0)
    key[0] = 1; /* (0, 0) marks an empty slot */
}

static int64_t deadends_slot(const search_deadends_t *D, const uint64_t key[2]) {
  int64_t i = (int64_t)(key[0] & (uint64_t)(D->cap - 1));
  while ((D->keys[3 * i] || D->keys[3 * i + 1]) &&
         (D->keys[3 * i] != key[0] || D->keys[3 * i + 1] != key[1]))
    i = (i + 1) & (D->cap - 1);
  return i;
}

bool search_deadends_has(const search_deadends_t *D, const uint64_t key[2], uint64_t *note) {
  if (!D->cap)
    return false;
  int64_t i = deadends_slot(D, key);
  if (D->keys[3 * i] != key[0] || D->keys[3 * i + 1] != key[1])
    return false;
  if (note)
    *note = D->keys[3 * i + 2];
  return true;
}

/* The table stops growing at this many slots (48 MiB); beyond it, new
 * states are not recorded (the memo only prunes, so nothing is lost). */
#define DEADENDS_MAX_SLOTS (INT64_C(1) << 21)

void search_deadends_add(search_deadends_t *D, const uint64_t key[2], uint64_t note) {
  if (2 * (D->count + 1) > D->cap) {
    if (D->cap >= DEADENDS_MAX_SLOTS)
      return;
    int64_t cap = D->cap ? 2 * D->cap : 4096;
    search_deadends_t big = {sched_xcalloc((size_t)(3 * cap), sizeof *big.keys), cap, 0};
    for (int64_t i = 0; i < D->cap; i++)
      if (D->keys[3 * i] || D->keys[3 * i + 1])
        search_deadends_add(&big, &D->keys[3 * i], D->keys[3 * i + 2]);
    free(D->keys);
    *D = big;
  }
  int64_t i = deadends_slot(D, key);
  if (D->keys[3 * i] != key[0] || D->keys[3 * i + 1] != key[1]) {
    D->keys[3 * i] = key[0];
    D->keys[3 * i + 1] = key[1];
    D->count++;
  }
  D->keys[3 * i + 2] = note;
}

/* ---- moves and their undo ---- */

static void search_hash_floor(search_t *S, int s, int64_t from, int64_t to) {
  for (int k = 0; k < 2; k++)
    S->hash[k] ^= floor_hash(k, s, from) ^ floor_hash(k, s, to);
}

static void search_hash_buffer(search_t *S, int b) {
  for (int k = 0; k < 2; k++)
    S->hash[k] ^= S->zobrist[2 * b + k];
}

void search_set_floor(search_t *S, int s, int64_t floor) {
  sched_grow((void **)&S->trail, &S->trail_cap, S->trail_top + 1, sizeof *S->trail);
  S->trail[S->trail_top++] = (search_trail_t){s, S->floor[s]};
  int64_t to = SCHED_ALIGN_UP(floor, S->floor_align);
  search_hash_floor(S, s, S->floor[s], to);
  S->floor[s] = to;
}

/* b's floors rose to top (it sits above every floor it spans), so every
 * unplaced buffer live with it has a max floor of at least top: one pass
 * over b's neighbours per move instead of a span scan per buffer per node. */
static void search_raise_max_floors(search_t *S, int b, int64_t top) {
  S->work += S->adj_start[b + 1] - S->adj_start[b];
  for (int e = S->adj_start[b]; e < S->adj_start[b + 1]; e++) {
    int c = S->adj[e];
    if (S->placed[c] || S->max_floor[c] >= top)
      continue;
    sched_grow((void **)&S->trail, &S->trail_cap, S->trail_top + 1, sizeof *S->trail);
    S->trail[S->trail_top++] = (search_trail_t){-1 - c, S->max_floor[c]};
    S->max_floor[c] = top;
  }
}

void search_place(search_t *S, int b, int64_t off) {
  assert(!S->placed[b]);
  S->work += S->span_hi[b] - S->span_lo[b];
  for (int s = S->span_lo[b]; s < S->span_hi[b]; s++) {
    search_set_floor(S, s, off + S->size[b]);
    S->rem_bytes[s] -= S->size[b];
    S->rem_count[s]--;
  }
  S->placed[b] = true;
  S->offset[b] = off;
  S->stack[S->stack_top++] = b;
  search_hash_buffer(S, b);
  if (S->track_max_floor)
    search_raise_max_floors(S, b, SCHED_ALIGN_UP(off + S->size[b], S->floor_align));
}

void search_undo_to(search_t *S, int stack_mark, int trail_mark) {
  while (S->stack_top > stack_mark) {
    int b = S->stack[--S->stack_top];
    S->work += S->span_hi[b] - S->span_lo[b];
    for (int s = S->span_lo[b]; s < S->span_hi[b]; s++) {
      S->rem_bytes[s] += S->size[b];
      S->rem_count[s]++;
    }
    S->placed[b] = false;
    search_hash_buffer(S, b);
  }
  while (S->trail_top > trail_mark) {
    search_trail_t t = S->trail[--S->trail_top];
    if (t.section < 0) {
      S->max_floor[-1 - t.section] = t.floor;
      continue;
    }
    search_hash_floor(S, t.section, S->floor[t.section], t.floor);
    S->floor[t.section] = t.floor;
  }
}

/* ---- limits ---- */

void search_baton_pass(search_baton_t *B, int side) {
  mtx_lock(&B->mtx);
  B->turn_end[side] += B->quantum_work;
  if (!B->done[1 - side]) {
    B->turn = 1 - side;
    cnd_broadcast(&B->cnd);
    while (B->turn != side)
      cnd_wait(&B->cnd, &B->mtx);
  }
  mtx_unlock(&B->mtx);
}

void search_baton_finish(search_baton_t *B, int side) {
  mtx_lock(&B->mtx);
  B->done[side] = true;
  B->turn = 1 - side;
  cnd_broadcast(&B->cnd);
  mtx_unlock(&B->mtx);
}

bool search_out_of_budget(search_t *S) {
  int64_t nodes = ++*S->nodes;
  if (S->prm->node_limit > 0 && nodes > S->prm->node_limit)
    return true;
  if (S->round_budget > 0 && ++S->round_nodes > S->round_budget) {
    S->stopped_by_budget = true;
    return true;
  }
  if (S->work_total) {
    *S->work_total += S->work + 1;
    S->work = 0;
    if (S->baton && *S->work_total >= S->baton->turn_end[S->side])
      search_baton_pass(S->baton, S->side);
  }
  if (S->rival_work && *S->work_total > atomic_load_explicit(S->rival_work, memory_order_relaxed)) {
    S->stopped_by_rival = true;
    return true;
  }
  if ((nodes & 255) == 0 && memalloc_i_now_ms() > S->deadline_ms) {
    S->stopped_by_time = true;
    return true;
  }
  return false;
}

bool search_root_holds(const search_t *S) {
  for (int s = 0; S->prm->section_bound && s < S->n_sections; s++)
    if (S->rem_bytes[s] > S->capacity)
      return false;
  return true;
}
