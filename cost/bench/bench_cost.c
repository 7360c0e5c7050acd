/* bench_cost.c - how close the analytic cost model is to silicon: every
 * measured DPU workload the project keeps (tests/data/npu*_dpu.csv) costed
 * on its preset, and the share within 25% printed per preset, op and dtype,
 * with the median model/measured ratio.
 *
 *   build/bench_cost                    the kept sets on vpu27 and vpu40
 *   build/bench_cost CSV ARCH [...]     other sets or arch files, in pairs
 *   build/bench_cost -v ...             also one line per workload
 *
 * The CSV format is the data files' own (their header comment says where
 * the figures come from). Sparsity is not modelled: sparse workloads are
 * costed dense and counted like the others. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost/cost.h"

#define BENCH_HEADER                                                                               \
  "line,op,dtype,in_c,in_h,in_w,out_c,out_h,out_w,kernel_h,kernel_w,stride_h,stride_w,pad_top,"    \
  "pad_bottom,pad_left,pad_right,mode,output_write_tiles,isi,activation,act_sparse,act_sparsity,"  \
  "weight_sparse,weight_sparsity,cycles"
#define BENCH_FIELDS 26
#define BENCH_LINE_MAX 1024
#define BENCH_POINTS_MAX 4096
#define BENCH_WITHIN 0.25

typedef struct {
  int line;
  cost_workload_t wl;
  int64_t measured_cycles;
} point_t;

/* One group's ratios (model / measured). */
typedef struct {
  char name[48];
  double ratios[BENCH_POINTS_MAX];
  int n;
} group_t;

static int split(char *line, char **fields, int max) {
  int n = 0;
  for (char *p = line; p && n < max; n++) {
    fields[n] = p;
    p = strchr(p, ',');
    if (p)
      *p++ = '\0';
  }
  return n;
}

static bool to_int(const char *s, int32_t *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno || v < 0 || v > INT32_MAX)
    return false;
  *out = (int32_t)v;
  return true;
}

/* Fields 3..16 are the integer dims, in cost_workload_t's order. */
static bool parse_point(char **f, point_t *p) {
  int32_t v[14], line, owt, cycles;
  for (int i = 0; i < 14; i++)
    if (!to_int(f[3 + i], &v[i]))
      return false;
  if (!to_int(f[0], &line) || !to_int(f[18], &owt) || !to_int(f[25], &cycles))
    return false;
  cost_workload_t wl = {.in_c = v[0],
                        .in_h = v[1],
                        .in_w = v[2],
                        .out_c = v[3],
                        .out_h = v[4],
                        .out_w = v[5],
                        .kernel_h = v[6],
                        .kernel_w = v[7],
                        .stride_h = v[8],
                        .stride_w = v[9],
                        .pad_top = v[10],
                        .pad_bottom = v[11],
                        .pad_left = v[12],
                        .pad_right = v[13],
                        .output_write_tiles = owt};
  if (cost_dpu_op_parse(f[1], &wl.op) != SCHED_OK || ir_dtype_parse(f[2], &wl.dtype) != SCHED_OK ||
      arch_mpe_mode_parse(f[17], &wl.mode) != SCHED_OK)
    return false;
  *p = (point_t){.line = line, .wl = wl, .measured_cycles = cycles};
  return true;
}

/* Reads the points of one CSV; returns their count or -1 (message printed). */
static int read_points(const char *path, point_t *points, int max) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "bench_cost: error: %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[BENCH_LINE_MAX];
  int n = 0, lineno = 0;
  bool header = false;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0] || line[0] == '#')
      continue;
    if (!header) {
      header = strcmp(line, BENCH_HEADER) == 0;
      if (header)
        continue;
      fprintf(stderr, "bench_cost: error: %s:%d: expected the header line\n", path, lineno);
      fclose(f);
      return -1;
    }
    char *fields[BENCH_FIELDS + 1];
    if (n == max || split(line, fields, BENCH_FIELDS + 1) != BENCH_FIELDS ||
        !parse_point(fields, &points[n])) {
      fprintf(stderr, "bench_cost: error: %s:%d: bad row (or more than %d)\n", path, lineno, max);
      fclose(f);
      return -1;
    }
    n++;
  }
  fclose(f);
  return n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void print_group(const char *arch, group_t *g) {
  if (!g->n)
    return;
  int within = 0;
  for (int i = 0; i < g->n; i++)
    within += fabs(g->ratios[i] - 1.0) <= BENCH_WITHIN;
  qsort(g->ratios, (size_t)g->n, sizeof g->ratios[0], cmp_double);
  double median =
      g->n % 2 ? g->ratios[g->n / 2] : (g->ratios[g->n / 2 - 1] + g->ratios[g->n / 2]) / 2.0;
  printf("%-8s %-22s %6d %7d %7.1f%% %8.2f\n", arch, g->name, g->n, within, 100.0 * within / g->n,
         median);
}

/* Per op and dtype first (by name), then the summaries in this order. */
static int group_rank(const group_t *g) {
  const char *const summaries[] = {"one tile", "multi-tile write", "all"};
  for (int i = 0; i < SCHED_ARRAY_LEN(summaries); i++)
    if (strcmp(g->name, summaries[i]) == 0)
      return i + 1;
  return 0;
}

static int cmp_group(const void *a, const void *b) {
  const group_t *x = a, *y = b;
  int rx = group_rank(x), ry = group_rank(y);
  return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

static void group_add(group_t *groups, int *n_groups, const char *name, double ratio) {
  int i = 0;
  while (i < *n_groups && strcmp(groups[i].name, name) != 0)
    i++;
  if (i == *n_groups) {
    snprintf(groups[i].name, sizeof groups[i].name, "%s", name);
    groups[i].n = 0;
    (*n_groups)++;
  }
  groups[i].ratios[groups[i].n++] = ratio;
}

/* Costs every point of one set on one arch and prints its groups. */
static int bench_set(const char *csv, const char *arch_name, bool verbose, point_t *points,
                     group_t *groups) {
  sched_diag_t d = {{0}};
  arch_t arch;
  cost_model_t m;
  if (arch_load(arch_name, &arch, &d) != SCHED_OK ||
      cost_model_init(&m, &arch, "analytic", &d) != SCHED_OK) {
    fprintf(stderr, "bench_cost: error: %s\n", d.msg);
    return 1;
  }
  int n = read_points(csv, points, BENCH_POINTS_MAX), n_groups = 0;
  for (int i = 0; i < n; i++) {
    const point_t *p = &points[i];
    cost_dpu_estimate_t e;
    if (cost_dpu_workload(&m, &p->wl, &e, &d) != SCHED_OK) {
      fprintf(stderr, "bench_cost: error: %s line %d: %s\n", csv, p->line, d.msg);
      n = -1;
      break;
    }
    double ratio = (double)e.cycles / (double)p->measured_cycles;
    char name[48];
    const char *op = cost_dpu_op_name(p->wl.op), *dt = ir_dtype_name(p->wl.dtype);
    snprintf(name, sizeof name, "%s %s", op, dt);
    group_add(groups, &n_groups, name, ratio);
    group_add(groups, &n_groups, p->wl.output_write_tiles > 1 ? "multi-tile write" : "one tile",
              ratio);
    group_add(groups, &n_groups, "all", ratio);
    if (verbose)
      printf("%s line %d %s %dx%dx%d k%d s%d %s owt %d: model %lld measured %lld (%+.1f%%)\n",
             arch.name, p->line, name, p->wl.out_c, p->wl.out_h, p->wl.out_w, p->wl.kernel_h,
             p->wl.stride_h, arch_mpe_mode_name(p->wl.mode), p->wl.output_write_tiles,
             (long long)e.cycles, (long long)p->measured_cycles, 100.0 * (ratio - 1.0));
  }
  cost_model_free(&m);
  if (n < 0)
    return 1;
  qsort(groups, (size_t)n_groups, sizeof groups[0], cmp_group);
  for (int i = 0; i < n_groups; i++)
    print_group(arch.name, &groups[i]);
  return 0;
}

int main(int argc, char **argv) {
  bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  int first = verbose ? 2 : 1;
  const char *const defaults[] = {SCHED_SOURCE_DIR "/tests/data/npu27_dpu.csv", "vpu27",
                                  SCHED_SOURCE_DIR "/tests/data/npu40_dpu.csv", "vpu40"};
  const char *const *pairs = argc > first ? (const char *const *)argv + first : defaults;
  int n_args = argc > first ? argc - first : SCHED_ARRAY_LEN(defaults);
  if (n_args % 2) {
    fprintf(stderr, "usage: bench_cost [-v] [CSV ARCH]...\n");
    return 2;
  }
  point_t *points = sched_xmalloc(sizeof(point_t) * BENCH_POINTS_MAX);
  group_t *groups = sched_xmalloc(sizeof(group_t) * 64);
  printf("%-8s %-22s %6s %7s %8s %8s\n", "arch", "op dtype", "points", "in25%", "share", "median");
  int rc = 0;
  for (int i = 0; i < n_args && rc == 0; i += 2)
    rc = bench_set(pairs[i], pairs[i + 1], verbose, points, groups);
  free(points);
  free(groups);
  return rc;
}
