/* bench_memalloc.c - the memalloc benchmark: for instances of 100, 500 and
 * 2000 buffers (families random, packed, network; several seeds each) and
 * capacities of the max-live lower bound x 1.00, 1.02, 1.05, runs every
 * allocator but ilp and prints per row: instances fitted, proved infeasible,
 * stopped by the time limit, and the mean / max wall time.
 *
 * Usage: bench_memalloc [--seeds N] [--time-limit SEC] [--sizes 100,500]
 * Targets (issue 4): search fits every instance that has a layout at 1.02x
 * within 1 s for 500 buffers; greedy-size under 10 ms for 2000 buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memalloc/memalloc.h"

typedef struct {
  const char *name;
  void (*make)(memalloc_problem_t *p, int n, uint64_t seed);
} family_t;

static void make_random(memalloc_problem_t *p, int n, uint64_t seed) {
  memalloc_generate_random(p, n, seed);
}
static void make_packed(memalloc_problem_t *p, int n, uint64_t seed) {
  memalloc_generate_packed(p, n, 1 << 20, seed);
}
static void make_network(memalloc_problem_t *p, int n, uint64_t seed) {
  memalloc_generate_network(p, n, seed);
}

static const family_t families[] = {
    {"random", make_random}, {"packed", make_packed}, {"network", make_network}};

typedef struct {
  int fit, infeasible, stopped, runs;
  double sum_ms, max_ms;
} tally_t;

static void tally_add(tally_t *t, const memalloc_stats_t *st) {
  t->runs++;
  t->fit += st->status == SCHED_OK;
  t->infeasible += st->status == SCHED_ERR_INFEASIBLE;
  t->stopped += st->status == SCHED_ERR_TIMEOUT;
  t->sum_ms += st->time_ms;
  if (st->time_ms > t->max_ms)
    t->max_ms = st->time_ms;
}

static void run_row(const family_t *f, int n, double factor, const memalloc_allocator_t *a,
                    int seeds, const memalloc_params_t *prm) {
  tally_t t = {0};
  for (int seed = 1; seed <= seeds; seed++) {
    memalloc_problem_t p;
    memalloc_problem_init(&p, 1);
    f->make(&p, n, (uint64_t)seed * 7919 + (uint64_t)n);
    p.capacity_bytes = (int64_t)((double)memalloc_problem_lower_bound(&p) * factor);
    memalloc_solution_t s;
    memalloc_solution_init(&s);
    memalloc_stats_t st;
    sched_diag_t diag = {{0}};
    memalloc_run(a, &p, &s, prm, &st, &diag);
    tally_add(&t, &st);
    memalloc_solution_free(&s);
    memalloc_problem_free(&p);
  }
  printf("%-8s %5d  %4.2f  %-12s %5d/%-3d %5d %5d  %10.3f %10.3f\n", f->name, n, factor, a->name,
         t.fit, t.runs, t.infeasible, t.stopped, t.sum_ms / t.runs, t.max_ms);
}

int main(int argc, char **argv) {
  int seeds = 5, sizes[8] = {100, 500, 2000}, n_sizes = 3;
  memalloc_params_t prm = memalloc_params_default();
  prm.time_limit_s = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--seeds") == 0)
      seeds = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--time-limit") == 0)
      prm.time_limit_s = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--sizes") == 0) {
      n_sizes = 0;
      for (char *t = strtok(argv[i + 1], ","); t && n_sizes < 8; t = strtok(NULL, ","))
        sizes[n_sizes++] = atoi(t);
    } else {
      fprintf(stderr, "usage: bench_memalloc [--seeds N] [--time-limit SEC] [--sizes A,B]\n");
      return 2;
    }
  }
  if (seeds < 1)
    seeds = 1;
  printf("# memalloc benchmark: %d seeds per row, search time limit %g s\n", seeds,
         prm.time_limit_s);
  printf("%-8s %5s  %4s  %-12s %9s %5s %5s  %10s %10s\n", "family", "n", "cap", "allocator", "fit",
         "infea", "limit", "mean_ms", "max_ms");
  const double factors[] = {1.00, 1.02, 1.05};
  for (int fi = 0; fi < 3; fi++)
    for (int si = 0; si < n_sizes; si++)
      for (int k = 0; k < 3; k++)
        for (const memalloc_allocator_t *a = memalloc_allocators(); a->name; a++)
          if (strcmp(a->name, "ilp") != 0)
            run_row(&families[fi], sizes[si], factors[k], a, seeds, &prm);
  return 0;
}
