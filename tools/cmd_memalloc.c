/* cmd_memalloc.c - `sched memalloc`: allocates buffers read from a CSV of
 * live ranges (id,lower,upper,size) into a capacity, prints a summary, and
 * optionally writes the offsets. Exit 0 with a layout, 1 when none was found
 * (proved infeasible, time limit, or a heuristic's layout too high: the
 * result line says which), 2 on bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "memalloc/memalloc.h"
#include "tools/cli.h"

static const char memalloc_usage[] =
    "usage: sched memalloc --input BUFFERS.csv --capacity SIZE [options]\n"
    "\n"
    "Gives every buffer an offset so that no two buffers live at the same step\n"
    "share a byte, within the capacity; prints the max-live lower bound, the peak\n"
    "address used and the overhead above the bound.\n"
    "\n"
    "  --input FILE        CSV with a header row id,lower,upper,size (any order; an\n"
    "                      optional alignment column; an offset column is ignored);\n"
    "                      one buffer per row, live during steps lower .. upper-1\n"
    "  --capacity SIZE     bytes available: 1MB, 1936KB, 1.5MiB, 2097152 (KB/MB binary)\n"
    "  --allocator NAME    linear | greedy-size | search | ilp (default search)\n"
    "  --output FILE       write id,lower,upper,size[,alignment],offset (with a layout)\n"
    "  --time-limit SEC    search and ilp: give up after SEC seconds (default 10)\n"
    "  --node-limit N      search: give up after N nodes (default 0: no limit)\n"
    "  --engine NAME       search: offset | skyline | portfolio (default: rounds\n"
    "                      alternate the two)\n"
    "  --no-time           leave the wall time out of the summary (byte-identical runs)\n"
    "  search techniques, all on by default (turning one off keeps the search complete):\n"
    "  --no-canonical-order       explore every placement order, not only by offset\n"
    "  --no-section-bound         skip the per-step lower-bound cut\n"
    "  --no-forced-placement      skip the dominance that places a buffer alone\n"
    "  --no-identical-order       let identical buffers go in any order\n"
    "  --no-hole-dominance        keep partial layouts that leave a usable hole\n"
    "  --no-static-partition      do not split at steps no buffer spans\n"
    "  --no-dynamic-decomposition do not split the remaining buffers during search\n"
    "  --no-dynamic-ordering      try candidates in static preorder only\n"
    "  --no-deadend-memo          search again states already proved to fail\n"
    "  --no-backjumping           (skyline) try every branch of a node whose failure lies "
    "elsewhere\n"
    "  --no-load-bound            (skyline) check each section at its floor only\n"
    "  --no-warm-start            do not try greedy-size's layout first\n"
    "  --no-restarts              one search, no budgeted restarts\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 a layout fits, 1 none found (proved, time limit, or heuristic),\n"
    "2 bad input.\n";

typedef struct {
  const char *input, *capacity, *allocator, *output, *time_limit, *node_limit, *engine;
  bool no_time;
} memalloc_args_t;

static const char *const value_flags[] = {"--input",      "--capacity",   "--allocator", "--output",
                                          "--time-limit", "--node-limit", "--engine"};

static const char *const switch_flags[] = {"--no-canonical-order",
                                           "--no-section-bound",
                                           "--no-forced-placement",
                                           "--no-identical-order",
                                           "--no-hole-dominance",
                                           "--no-static-partition",
                                           "--no-dynamic-decomposition",
                                           "--no-dynamic-ordering",
                                           "--no-deadend-memo",
                                           "--no-backjumping",
                                           "--no-load-bound",
                                           "--no-warm-start",
                                           "--no-restarts"};

static bool *switch_slot(memalloc_params_t *p, int k) {
  bool *slots[] = {&p->canonical_order,
                   &p->section_bound,
                   &p->forced_placement,
                   &p->identical_order,
                   &p->hole_dominance,
                   &p->static_partition,
                   &p->dynamic_decomposition,
                   &p->dynamic_ordering,
                   &p->deadend_memo,
                   &p->backjumping,
                   &p->load_bound,
                   &p->warm_start,
                   &p->restarts};
  return slots[k];
}

static const char **value_slot(memalloc_args_t *a, const char *flag) {
  const char **slots[] = {&a->input,      &a->capacity,   &a->allocator, &a->output,
                          &a->time_limit, &a->node_limit, &a->engine};
  for (int i = 0; i < SCHED_ARRAY_LEN(value_flags); i++)
    if (strcmp(flag, value_flags[i]) == 0)
      return slots[i];
  return NULL;
}

static int unknown_flag(const char *flag) {
  const char *all[SCHED_ARRAY_LEN(value_flags) + SCHED_ARRAY_LEN(switch_flags) + 3];
  int n = 0;
  for (int i = 0; i < SCHED_ARRAY_LEN(value_flags); i++)
    all[n++] = value_flags[i];
  for (int i = 0; i < SCHED_ARRAY_LEN(switch_flags); i++)
    all[n++] = switch_flags[i];
  all[n++] = "--no-time";
  all[n++] = "--help";
  all[n] = NULL;
  const char *guess = cli_suggest(flag, all);
  if (guess)
    return cli_error("memalloc: unknown option '%s' (did you mean '%s'?)", flag, guess);
  return cli_error("memalloc: unknown option '%s' (see sched memalloc --help)", flag);
}

/* A switch flag sets its param off; returns false when flag is none. */
static bool parse_switch(const char *flag, memalloc_args_t *a, memalloc_params_t *prm) {
  if (strcmp(flag, "--no-time") == 0) {
    a->no_time = true;
    return true;
  }
  for (int k = 0; k < SCHED_ARRAY_LEN(switch_flags); k++)
    if (strcmp(flag, switch_flags[k]) == 0) {
      *switch_slot(prm, k) = false;
      return true;
    }
  return false;
}

/* Fills args and params from argv; returns -1 when --help was asked, else
 * an exit code. Accepts "--flag value" and "--flag=value". */
static int parse_args(int argc, char **argv, memalloc_args_t *a, memalloc_params_t *prm) {
  *a = (memalloc_args_t){.allocator = "search"};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return -1;
    if (parse_switch(argv[i], a, prm))
      continue;
    char flag[64];
    const char *eq = strchr(argv[i], '=');
    size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
    snprintf(flag, sizeof flag, "%.*s", (int)SCHED_MIN(len, sizeof flag - 1), argv[i]);
    const char **slot = value_slot(a, flag);
    if (!slot)
      return unknown_flag(flag);
    if (!eq && i + 1 >= argc)
      return cli_error("memalloc: %s needs a value", flag);
    *slot = eq ? eq + 1 : argv[++i];
  }
  if (!a->input)
    return cli_error("memalloc: --input is required (see sched memalloc --help)");
  if (!a->capacity)
    return cli_error("memalloc: --capacity is required (see sched memalloc --help)");
  return CLI_EXIT_OK;
}

/* A number in [lo, hi] from text, or an error naming the flag. */
static int parse_number(const char *flag, const char *text, double lo, double hi, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !(v >= lo && v <= hi))
    return cli_error("memalloc: %s must be a number in [%g, %g], got '%s'", flag, lo, hi, text);
  *out = v;
  return CLI_EXIT_OK;
}

static int parse_engine(const char *name, memalloc_params_t *prm) {
  if (memalloc_engine_find(name, &prm->engine))
    return CLI_EXIT_OK;
  return cli_error("memalloc: unknown engine '%s' (offset, skyline or portfolio)", name);
}

static int parse_limits(const memalloc_args_t *a, memalloc_params_t *prm) {
  double v = 0;
  if (a->time_limit) {
    if (parse_number("--time-limit", a->time_limit, 0.001, 1e6, &v) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
    prm->time_limit_s = v;
  }
  if (a->node_limit) {
    if (parse_number("--node-limit", a->node_limit, 0, 1e15, &v) != CLI_EXIT_OK)
      return CLI_EXIT_INPUT;
    prm->node_limit = (int64_t)v;
  }
  return a->engine ? parse_engine(a->engine, prm) : CLI_EXIT_OK;
}

static const memalloc_allocator_t *find_allocator(const char *name) {
  const memalloc_allocator_t *a = memalloc_allocator_find(name);
  if (a)
    return a;
  const char *names[16];
  int n = 0;
  for (const memalloc_allocator_t *t = memalloc_allocators(); t->name && n < 15; t++)
    names[n++] = t->name;
  names[n] = NULL;
  const char *guess = cli_suggest(name, names);
  if (guess)
    cli_error("memalloc: unknown allocator '%s' (did you mean '%s'?)", name, guess);
  else
    cli_error("memalloc: unknown allocator '%s' (linear, greedy-size, search, ilp)", name);
  return NULL;
}

static int write_output(const char *path, const memalloc_problem_t *p,
                        const memalloc_solution_t *s) {
  sched_out_t out;
  sched_diag_t diag;
  if (sched_out_open(&out, path, &diag) != SCHED_OK)
    return cli_error("memalloc: %s", diag.msg);
  memalloc_csv_write(out.f, p, s);
  if (sched_out_commit(&out, &diag) != SCHED_OK)
    return cli_error("memalloc: %s", diag.msg);
  return CLI_EXIT_OK;
}

/* Runs the allocator on the loaded problem; prints, writes, picks the code. */
static int allocate(const memalloc_args_t *a, const memalloc_allocator_t *alloc,
                    const memalloc_problem_t *p, const memalloc_params_t *prm) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  sched_diag_t diag = {{0}};
  int rc = memalloc_run(alloc, p, &s, prm, &st, &diag);
  int code = CLI_EXIT_OK;
  if (rc == SCHED_ERR_INPUT)
    code = cli_error("%s", diag.msg);
  else if (rc == SCHED_ERR_INTERNAL) {
    fprintf(stderr, "sched: internal error: %s\n", diag.msg);
    code = CLI_EXIT_NO;
  } else {
    memalloc_stats_print(&st, !a->no_time, stdout);
    if (rc != SCHED_OK)
      printf("why:         %s\n", diag.msg);
    code = rc == SCHED_OK ? CLI_EXIT_OK : CLI_EXIT_NO;
    if (rc == SCHED_OK && a->output)
      code = write_output(a->output, p, &s);
  }
  memalloc_solution_free(&s);
  return code;
}

int cmd_memalloc(int argc, char **argv) {
  memalloc_args_t a;
  memalloc_params_t prm = memalloc_params_default();
  int code = parse_args(argc, argv, &a, &prm);
  if (code == -1) {
    fputs(memalloc_usage, stdout);
    return CLI_EXIT_OK;
  }
  if (code != CLI_EXIT_OK || parse_limits(&a, &prm) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  const memalloc_allocator_t *alloc = find_allocator(a.allocator);
  if (!alloc)
    return CLI_EXIT_INPUT;
  int64_t capacity = 0;
  sched_diag_t diag = {{0}};
  if (arch_parse_size(a.capacity, &capacity, &diag) != SCHED_OK)
    return cli_error("memalloc: --capacity: %s", diag.msg);
  memalloc_problem_t p;
  memalloc_problem_init(&p, capacity);
  if (memalloc_csv_read_path(a.input, &p, &diag) != SCHED_OK)
    code = cli_error("%s", diag.msg);
  else
    code = allocate(&a, alloc, &p, &prm);
  memalloc_problem_free(&p);
  return code;
}
