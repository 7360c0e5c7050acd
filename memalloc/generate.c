/* generate.c - seeded instance generators for tests and benchmarks. The
 * random source is splitmix64 on a state the caller's seed starts (no global
 * state): the same seed gives the same instance on every platform.
 *  - random: intervals of random start and length, log-uniform sizes; the
 *    lower bound may or may not be reachable;
 *  - packed: a time x address rectangle cut recursively into n pieces (a
 *    guillotine partition), so a layout exactly at the capacity exists and
 *    the max-live bound equals the capacity: the hard, tight case;
 *  - network: a layer chain like a compiled network's CMX traffic: each
 *    layer's output lives until its consumer, weights are prefetched a step
 *    early, some outputs are kept for a skip connection. */
#include "memalloc/memalloc_internal.h"

#include <stdlib.h>

static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(uint64_t *state, int64_t lo, int64_t hi) {
  return lo + (int64_t)(rng_next(state) % (uint64_t)(hi - lo + 1));
}

static void add(memalloc_problem_t *p, int64_t lower, int64_t upper, int64_t size) {
  int rc = memalloc_problem_add(p, p->n_buffers, lower, upper, size, 1, NULL);
  (void)rc;
  if (rc != SCHED_OK)
    SCHED_UNREACHABLE();
}

void memalloc_generate_random(memalloc_problem_t *p, int n, uint64_t seed) {
  uint64_t st = seed;
  int64_t steps = n / 2 + 4;
  for (int i = 0; i < n; i++) {
    int64_t lower = rng_range(&st, 0, steps - 1);
    int64_t len = rng_range(&st, 1, 16);
    int64_t size = 64 * (INT64_C(1) << rng_range(&st, 0, 8)) * rng_range(&st, 1, 3);
    add(p, lower, lower + len, size);
  }
}

typedef struct {
  int64_t t0, t1, y0, y1;
} rect_t;

/* Splits r at a random point along time or address; false when r is one
 * step by one unit. */
static bool rect_split(rect_t *r, rect_t *other, uint64_t *st) {
  bool can_t = r->t1 - r->t0 >= 2, can_y = r->y1 - r->y0 >= 2;
  if (!can_t && !can_y)
    return false;
  *other = *r;
  if (can_t && (!can_y || rng_next(st) % 2)) {
    int64_t cut = rng_range(st, r->t0 + 1, r->t1 - 1);
    r->t1 = other->t0 = cut;
  } else {
    int64_t cut = rng_range(st, r->y0 + 1, r->y1 - 1);
    r->y1 = other->y0 = cut;
  }
  return true;
}

void memalloc_generate_packed(memalloc_problem_t *p, int n, int64_t capacity_bytes, uint64_t seed) {
  const int64_t unit = 64;
  uint64_t st = seed;
  rect_t *rs = sched_xmalloc((size_t)SCHED_MAX(n, 1) * sizeof *rs);
  rs[0] = (rect_t){0, n / 4 + 8, 0, capacity_bytes / unit};
  int m = 1;
  for (int tries = 0; m < n && tries < 64 * n; tries++) {
    int k = (int)rng_range(&st, 0, m - 1);
    if (rect_split(&rs[k], &rs[m], &st))
      m++;
  }
  for (int k = 0; k < m; k++)
    add(p, rs[k].t0, rs[k].t1, (rs[k].y1 - rs[k].y0) * unit);
  free(rs);
}

void memalloc_generate_network(memalloc_problem_t *p, int n, uint64_t seed) {
  uint64_t st = seed;
  int64_t act = 64 * 1024;
  for (int64_t layer = 0; p->n_buffers < n; layer++) {
    act = SCHED_MAX(4096, act * rng_range(&st, 6, 14) / 10 / 64 * 64);
    bool skip = rng_range(&st, 0, 4) == 0;
    add(p, layer + 1, layer + 2 + (skip ? rng_range(&st, 2, 6) : 0), act); /* output */
    if (p->n_buffers < n)
      add(p, layer, layer + 2, 64 * rng_range(&st, 16, 4096)); /* prefetched weights */
  }
}
