/* occupancy.c - which addresses the placed buffers occupy over a span of
 * steps, without listing time-overlapping pairs.
 *
 * A gap pick depends only on the union of the address ranges of the placed
 * buffers live at a common step with the new one (memalloc_i_gap_pick_sorted
 * sees the union's maximal free intervals; touching or duplicated blocks
 * change nothing). So a segment tree over the (compressed) steps keeps, per
 * node, two unions of address ranges, each merged into disjoint sorted
 * spans: `here`, of the buffers whose canonical cover holds the node (they
 * span all its steps), and `below`, of every buffer that meets its steps.
 * A buffer meets a query's steps exactly when it is in `below` of one of
 * the query's cover nodes or in `here` of a node on the query's two
 * boundary paths (an ancestor of a cover node). Insertion and query touch
 * O(log steps) nodes; packed layouts keep each union to a few spans, so
 * greedy placement costs O(n log steps x spans) where overlap lists cost
 * O(pairs) (20,002 buffers of a 10,000-layer plan overlap in 16.8 million
 * pairs). */
#include "memalloc/memalloc_internal.h"

#include <stdlib.h>
#include <string.h>

/* Disjoint, non-touching address ranges [lo, hi), ascending. */
typedef struct {
  int64_t *lo, *hi;
  int n, cap;
} span_set_t;

struct memalloc_i_occupancy {
  int n_leaves;                         /* a power of two */
  span_set_t *here;                     /* 2 x n_leaves nodes, root 1, leaves from n_leaves */
  span_set_t *below;                    /* the same nodes */
  int *first_leaf;                      /* per buffer: its first step's leaf */
  int *end_leaf;                        /* per buffer: one past its last step's leaf */
  memalloc_i_block_t *blocks, *scratch; /* a query's gathered spans */
  int cap_blocks;
};

/* The first index with hi >= x (spans that end before x stay clear). */
static int span_first_reaching(const span_set_t *s, int64_t x) {
  int lo = 0, hi = s->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (s->hi[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void span_set_grow(span_set_t *s) {
  s->cap = s->cap ? 2 * s->cap : 4;
  s->lo = sched_xrealloc(s->lo, (size_t)s->cap * sizeof *s->lo);
  s->hi = sched_xrealloc(s->hi, (size_t)s->cap * sizeof *s->hi);
}

/* Adds [lo, hi), merged with every span it overlaps or touches. */
static void span_set_add(span_set_t *s, int64_t lo, int64_t hi) {
  int first = span_first_reaching(s, lo), last = first;
  while (last < s->n && s->lo[last] <= hi)
    last++; /* spans first .. last-1 merge with [lo, hi) */
  if (first < last) {
    lo = SCHED_MIN(lo, s->lo[first]);
    hi = SCHED_MAX(hi, s->hi[last - 1]);
  }
  int shift = 1 - (last - first); /* how far the spans from `last` on move */
  if (shift > 0 && s->n + shift > s->cap)
    span_set_grow(s);
  if (shift != 0) {
    memmove(s->lo + last + shift, s->lo + last, (size_t)(s->n - last) * sizeof *s->lo);
    memmove(s->hi + last + shift, s->hi + last, (size_t)(s->n - last) * sizeof *s->hi);
  }
  s->lo[first] = lo;
  s->hi[first] = hi;
  s->n += shift;
}

/* The leaf of every buffer's first step and of its end: the steps where
 * any buffer starts or ends, sorted and deduplicated, are the leaves'
 * boundaries. Returns the number of boundaries. */
static int leaves_assign(const memalloc_problem_t *p, memalloc_i_occupancy_t *o) {
  int n = p->n_buffers, m = 0;
  int64_t *steps = sched_xmalloc((size_t)(2 * n + 1) * sizeof *steps);
  for (int i = 0; i < n; i++) {
    steps[2 * i] = p->buffers[i].lower;
    steps[2 * i + 1] = p->buffers[i].upper;
  }
  qsort(steps, (size_t)(2 * n), sizeof *steps, memalloc_i_int64_cmp);
  for (int i = 0; i < 2 * n; i++)
    if (m == 0 || steps[i] != steps[m - 1])
      steps[m++] = steps[i];
  for (int i = 0; i < n; i++) {
    const int64_t *at =
        bsearch(&p->buffers[i].lower, steps, (size_t)m, sizeof *steps, memalloc_i_int64_cmp);
    const int64_t *end =
        bsearch(&p->buffers[i].upper, steps, (size_t)m, sizeof *steps, memalloc_i_int64_cmp);
    o->first_leaf[i] = (int)(at - steps);
    o->end_leaf[i] = (int)(end - steps);
  }
  free(steps);
  return m;
}

memalloc_i_occupancy_t *memalloc_i_occupancy_new(const memalloc_problem_t *p) {
  memalloc_i_occupancy_t *o = sched_xcalloc(1, sizeof *o);
  int n = p->n_buffers;
  o->first_leaf = sched_xmalloc((size_t)(n + 1) * sizeof *o->first_leaf);
  o->end_leaf = sched_xmalloc((size_t)(n + 1) * sizeof *o->end_leaf);
  int boundaries = leaves_assign(p, o);
  o->n_leaves = 1;
  while (o->n_leaves < boundaries)
    o->n_leaves *= 2;
  o->here = sched_xcalloc((size_t)(2 * o->n_leaves), sizeof *o->here);
  o->below = sched_xcalloc((size_t)(2 * o->n_leaves), sizeof *o->below);
  return o;
}

void memalloc_i_occupancy_free(memalloc_i_occupancy_t *o) {
  if (!o)
    return;
  for (int v = 0; v < 2 * o->n_leaves; v++) {
    free(o->here[v].lo);
    free(o->here[v].hi);
    free(o->below[v].lo);
    free(o->below[v].hi);
  }
  free(o->here);
  free(o->below);
  free(o->first_leaf);
  free(o->end_leaf);
  free(o->blocks);
  free(o->scratch);
  free(o);
}

void memalloc_i_occupancy_add(memalloc_i_occupancy_t *o, int b, int64_t offset_bytes,
                              int64_t size_bytes) {
  int64_t top = offset_bytes + size_bytes;
  int l = o->first_leaf[b] + o->n_leaves, r = o->end_leaf[b] + o->n_leaves;
  for (int u = l, w = r - 1; u >= 1; u /= 2, w /= 2) {
    span_set_add(&o->below[u], offset_bytes, top);
    if (w != u)
      span_set_add(&o->below[w], offset_bytes, top);
  }
  for (; l < r; l /= 2, r /= 2) {
    if (l & 1) {
      span_set_add(&o->here[l], offset_bytes, top);
      span_set_add(&o->below[l++], offset_bytes, top);
    }
    if (r & 1) {
      span_set_add(&o->here[--r], offset_bytes, top);
      span_set_add(&o->below[r], offset_bytes, top);
    }
  }
}

/* Appends a node's spans to the query's blocks. */
static void blocks_append(memalloc_i_occupancy_t *o, const span_set_t *s, int *n_blocks) {
  if (*n_blocks + s->n > o->cap_blocks) {
    o->cap_blocks = 2 * (*n_blocks + s->n);
    o->blocks = sched_xrealloc(o->blocks, (size_t)o->cap_blocks * sizeof *o->blocks);
    o->scratch = sched_xrealloc(o->scratch, (size_t)o->cap_blocks * sizeof *o->scratch);
  }
  for (int k = 0; k < s->n; k++)
    o->blocks[(*n_blocks)++] = (memalloc_i_block_t){s->lo[k], s->hi[k] - s->lo[k]};
}

int64_t memalloc_i_occupancy_pick(memalloc_i_occupancy_t *o, int b, int64_t size_bytes,
                                  int64_t align_bytes, bool best_fit) {
  int n_blocks = 0;
  int l = o->first_leaf[b] + o->n_leaves, r = o->end_leaf[b] + o->n_leaves;
  for (int u = l, w = r - 1; u >= 1; u /= 2, w /= 2) {
    blocks_append(o, &o->here[u], &n_blocks);
    if (w != u)
      blocks_append(o, &o->here[w], &n_blocks);
  }
  for (; l < r; l /= 2, r /= 2) {
    if (l & 1)
      blocks_append(o, &o->below[l++], &n_blocks);
    if (r & 1)
      blocks_append(o, &o->below[--r], &n_blocks);
  }
  return memalloc_i_gap_pick(o->blocks, o->scratch, n_blocks, size_bytes, align_bytes, best_fit);
}
