/* bench_memalloc.c - the memalloc benchmark: for instances of 100, 500 and
 * 2000 buffers (families random, packed, network; several seeds each) and
 * capacities of the max-live lower bound x 1.00, 1.02, 1.05, runs every
 * allocator but ilp and prints per row: instances fitted, proved infeasible,
 * stopped by the time limit, and the mean / max wall time.
 *
 * Then the "zoo" family: the CMX buffers of zoo plans (schedule/buffers.c:
 * dp's plan of each net at 2MB and 1MB, weights prefetched one step), one
 * instance per net and budget, and all of them one after another in time
 * as one instance (about 2400 buffers).
 *
 * Usage: see `bench_memalloc --help`.
 * Targets (issue 4, whose families are random and zoo plans; network meets
 * them too): search fits every instance that has a layout at 1.02x within
 * 1 s for 500 buffers; greedy-size under 10 ms for 2000 buffers. The packed family is a stress
 * test beyond those targets: perfect tilings, where greedy-size overshoots
 * the bound by 11-47% at 500 buffers and the complete search fits some. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memalloc/memalloc.h"
#include "schedule/schedule.h"

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

/* Appends the buffers of dp's plan of `net` at `cmx`, shifted to start at
 * step *steps; advances *steps past them. */
static int add_zoo_plan(const char *net, const char *cmx, memalloc_problem_t *mp, int64_t *steps) {
  sched_diag_t d = {{0}};
  arch_t arch;
  int64_t bytes;
  ir_graph_t g = {0};
  cost_model_t model = {0};
  strat_problem_t sp = {0};
  strat_plan_t plan = {0};
  strat_stats_t st;
  int rc = arch_preset("vpu27", &arch, &d);
  if (rc == SCHED_OK && (rc = arch_parse_size(cmx, &bytes, &d)) == SCHED_OK)
    rc = arch_set_cmx(&arch, bytes, &d);
  if (rc == SCHED_OK && (rc = ir_zoo_build(net, &g, &d)) == SCHED_OK) {
    ir_graph_fuse_activations(&g, arch.ppe_fusable);
    rc = cost_model_init(&model, &arch, "analytic", &d);
  }
  if (rc == SCHED_OK)
    rc = strat_problem_init(&sp, &g, &model, STRAT_OBJECTIVE_LATENCY, &d);
  if (rc == SCHED_OK)
    rc = strat_solve(strat_solver_find("dp"), &sp, &(strat_params_t){.time_limit_s = 10}, &plan,
                     &st, &d);
  if (rc == SCHED_OK) {
    schedule_buffers_t b;
    schedule_buffers_build(&sp, &plan, &b);
    for (int i = 0; i < b.n_buffers; i++)
      memalloc_problem_add(mp, mp->n_buffers, *steps + b.buffers[i].lower,
                           *steps + b.buffers[i].upper, b.buffers[i].size_bytes, 1, NULL);
    *steps += b.n_steps;
    schedule_buffers_free(&b);
    strat_plan_free(&plan);
    strat_problem_free(&sp);
  }
  if (rc != SCHED_OK)
    fprintf(stderr, "bench_memalloc: %s %s: %s\n", net, cmx, d.msg);
  cost_model_free(&model);
  ir_graph_free(&g);
  return rc;
}

/* One zoo instance at the bound x 1.00, 1.02, 1.05 for every allocator. */
static void run_zoo_instance(const char *name, const memalloc_problem_t *base,
                             const memalloc_params_t *prm) {
  const double factors[] = {1.00, 1.02, 1.05};
  int64_t bound = memalloc_problem_lower_bound(base);
  for (int k = 0; k < 3; k++)
    for (const memalloc_allocator_t *a = memalloc_allocators(); a->name; a++) {
      if (strcmp(a->name, "ilp") == 0)
        continue;
      memalloc_problem_t p = *base;
      p.capacity_bytes = (int64_t)((double)bound * factors[k]);
      memalloc_solution_t s;
      memalloc_solution_init(&s);
      memalloc_stats_t st;
      memalloc_run(a, &p, &s, prm, &st, NULL);
      const char *result = st.status == SCHED_OK               ? "fit"
                           : st.status == SCHED_ERR_INFEASIBLE ? "infeasible"
                           : st.status == SCHED_ERR_TIMEOUT    ? "limit"
                                                               : "no fit";
      printf("%-22s %5d  %4.2f  %-12s %-10s %9.2f%% %10.3f\n", name, p.n_buffers, factors[k],
             a->name, result, st.overhead_pct, st.time_ms);
      memalloc_solution_free(&s);
    }
}

static void run_zoo(const memalloc_params_t *prm) {
  static const char *const nets[] = {"fsrcnn",   "edsr",     "wdsr",      "mobilenetv2", "resnet18",
                                     "resnet34", "resnet50", "resnet101", "yolov3-tiny"};
  static const char *const cmxs[] = {"2MB", "1MB"};
  printf("\n# zoo plans: dp's plan per net and budget; overhead of the layout found\n");
  printf("%-22s %5s  %4s  %-12s %-10s %10s %10s\n", "instance", "n", "cap", "allocator", "result",
         "overhead", "ms");
  memalloc_problem_t all;
  memalloc_problem_init(&all, 1);
  int64_t all_steps = 0;
  for (int n = 0; n < (int)(sizeof nets / sizeof *nets); n++)
    for (int c = 0; c < 2; c++) {
      memalloc_problem_t one;
      memalloc_problem_init(&one, 1);
      int64_t steps = 0;
      char name[64];
      snprintf(name, sizeof name, "%s@%s", nets[n], cmxs[c]);
      if (add_zoo_plan(nets[n], cmxs[c], &one, &steps) == SCHED_OK) {
        run_zoo_instance(name, &one, prm);
        for (int i = 0; i < one.n_buffers; i++) /* after the nets before it in time */
          memalloc_problem_add(&all, all.n_buffers, all_steps + one.buffers[i].lower,
                               all_steps + one.buffers[i].upper, one.buffers[i].size_bytes, 1,
                               NULL);
        all_steps += steps;
      }
      memalloc_problem_free(&one);
    }
  run_zoo_instance("zoo-all", &all, prm);
  memalloc_problem_free(&all);
}

static const char usage[] =
    "usage: bench_memalloc [--seeds N] [--time-limit SEC] [--sizes 100,500,2000]\n"
    "                      [--engine offset|skyline|portfolio] [--write-csv DIR]\n"
    "\n"
    "Runs every allocator but ilp on seeded instances (families random, packed,\n"
    "network; capacity = max-live bound x 1.00, 1.02, 1.05) and on zoo plans'\n"
    "buffers; prints per row instances fitted, proved infeasible, stopped, and the\n"
    "mean / max wall time. --write-csv DIR writes the seeded instances instead, one\n"
    "FAMILY_N_sSEED_xFACTOR.CAPACITY.csv each (scripts/bench_minimalloc.sh runs\n"
    "them side by side with MiniMalloc).\n";

/* --write-csv: the instances of the table, one CSV each, capacity in the
 * name as in MiniMalloc's benchmark files. */
static int write_instances(const char *dir, const int *sizes, int n_sizes, int seeds) {
  const double factors[] = {1.00, 1.02, 1.05};
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "bench_memalloc: error: cannot create '%s': %s\n", dir, strerror(errno));
    return 1;
  }
  for (int fi = 0; fi < 3; fi++)
    for (int si = 0; si < n_sizes; si++)
      for (int k = 0; k < 3; k++)
        for (int seed = 1; seed <= seeds; seed++) {
          memalloc_problem_t p;
          memalloc_problem_init(&p, 1);
          families[fi].make(&p, sizes[si], (uint64_t)seed * 7919 + (uint64_t)sizes[si]);
          int64_t cap = (int64_t)((double)memalloc_problem_lower_bound(&p) * factors[k]);
          char path[4096];
          snprintf(path, sizeof path, "%s/%s_%d_s%d_x%.2f.%lld.csv", dir, families[fi].name,
                   sizes[si], seed, factors[k], (long long)cap);
          FILE *out = fopen(path, "w");
          bool ok = out != NULL;
          if (ok) {
            fprintf(out, "id,lower,upper,size\n");
            for (int i = 0; i < p.n_buffers; i++)
              fprintf(out, "%lld,%lld,%lld,%lld\n", (long long)p.buffers[i].id,
                      (long long)p.buffers[i].lower, (long long)p.buffers[i].upper,
                      (long long)p.buffers[i].size_bytes);
            ok = !ferror(out);
            ok = fclose(out) == 0 && ok; /* a full disk shows at the flush */
          }
          memalloc_problem_free(&p);
          if (!ok) {
            fprintf(stderr, "bench_memalloc: error: cannot write '%s': %s\n", path,
                    strerror(errno));
            return 1;
          }
        }
  return 0;
}

int main(int argc, char **argv) {
  int seeds = 5, sizes[8] = {100, 500, 2000}, n_sizes = 3;
  memalloc_params_t prm = memalloc_params_default();
  prm.time_limit_s = 1.0;
  const char *csv_dir = NULL;
  for (int i = 1; i < argc; i += 2) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "bench_memalloc: error: %s needs a value\n%s", argv[i], usage);
      return 2;
    }
    if (strcmp(argv[i], "--write-csv") == 0)
      csv_dir = argv[i + 1];
    else if (strcmp(argv[i], "--seeds") == 0)
      seeds = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--time-limit") == 0)
      prm.time_limit_s = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--sizes") == 0) {
      n_sizes = 0;
      for (char *t = strtok(argv[i + 1], ","); t && n_sizes < 8; t = strtok(NULL, ","))
        sizes[n_sizes++] = atoi(t);
    } else if (strcmp(argv[i], "--engine") == 0 && memalloc_engine_find(argv[i + 1], &prm.engine)) {
    } else {
      fprintf(stderr, "bench_memalloc: error: unknown option or value '%s'\n%s", argv[i], usage);
      return 2;
    }
  }
  if (seeds < 1)
    seeds = 1;
  if (csv_dir)
    return write_instances(csv_dir, sizes, n_sizes, seeds);
  printf("# memalloc benchmark: %d seeds per row, search time limit %g s, engine %s\n", seeds,
         prm.time_limit_s, memalloc_engine_name(prm.engine));
  printf("# packed: perfect tilings, a stress test beyond the targets (a layout exists at 1.00)\n");
  printf("%-8s %5s  %4s  %-12s %9s %5s %5s  %10s %10s\n", "family", "n", "cap", "allocator", "fit",
         "infea", "limit", "mean_ms", "max_ms");
  const double factors[] = {1.00, 1.02, 1.05};
  for (int fi = 0; fi < 3; fi++)
    for (int si = 0; si < n_sizes; si++)
      for (int k = 0; k < 3; k++)
        for (const memalloc_allocator_t *a = memalloc_allocators(); a->name; a++)
          if (strcmp(a->name, "ilp") != 0)
            run_row(&families[fi], sizes[si], factors[k], a, seeds, &prm);
  run_zoo(&prm);
  return 0;
}
