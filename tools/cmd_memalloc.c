/* cmd_memalloc.c - `sched memalloc`: allocates buffers read from a CSV of
 * live ranges (id,lower,upper,size) into a capacity, prints a summary, and
 * optionally writes the offsets. Exit 0 with a layout, 1 when none was found
 * (proved infeasible, time limit, or a heuristic's layout too high: the
 * result line says which), 2 on bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arch/arch.h"
#include "memalloc/memalloc.h"
#include "tools/cli.h"

/* The search techniques --no-* turns off, in switch_slot's order. */
enum { N_SWITCHES = 13 };

typedef struct {
  const char *input, *capacity, *allocator, *output, *engine, *format;
  double time_limit_s;
  int64_t node_limit;
  bool no_time, minimize, check, help;
  bool off[N_SWITCHES]; /* --no-<technique> */
} memalloc_args_t;

#define MA_FIELD(f) offsetof(memalloc_args_t, f)
#define MA_SWITCH(flag, k, help) CLI_OPT(flag, CLI_ARG_FLAG, MA_FIELD(off[k]), NULL, help)

/* The options, then the N_SWITCHES search techniques last; --help prints
 * the two groups apart. */
static const cli_option_t memalloc_flags[] = {
    CLI_OPT("--input", CLI_ARG_STRING, MA_FIELD(input), "FILE",
            "CSV with a header row id,lower,upper,size (any order; an\n"
            "optional alignment column; an offset column is ignored);\n"
            "one buffer per row, live during steps lower .. upper-1"),
    CLI_OPT("--capacity", CLI_ARG_STRING, MA_FIELD(capacity), "SIZE",
            "bytes available: 1MB, 1936KB, 1.5MiB, 2097152 (KB/MB binary)"),
    CLI_OPT("--minimize", CLI_ARG_FLAG, MA_FIELD(minimize), NULL,
            "find the smallest capacity (at most --capacity, if given) at\n"
            "which a layout exists: bisection from the max-live bound,\n"
            "each capacity under the limits below; says whether the\n"
            "result is proved or the best found with its proved bound"),
    CLI_OPT("--format", CLI_ARG_STRING, MA_FIELD(format), "FMT",
            "text (default), json or csv: one record of the result"),
    CLI_OPT("--check", CLI_ARG_FLAG, MA_FIELD(check), NULL,
            "check the layout in the input's offset column instead of\n"
            "allocating (e.g. another allocator's output): exit 0 when\n"
            "valid within the capacity, else 1 naming the first violation"),
    CLI_OPT("--allocator", CLI_ARG_STRING, MA_FIELD(allocator), "NAME",
            "linear | greedy-size | search | ilp (default search)"),
    CLI_OPT("--output", CLI_ARG_STRING, MA_FIELD(output), "FILE",
            "write id,lower,upper,size[,alignment],offset (with a layout)"),
    CLI_NUM("--time-limit", CLI_ARG_DOUBLE, MA_FIELD(time_limit_s), "SEC",
            "give up after SEC seconds (default 10; the heuristics\n"
            "too: dense instances are quadratic for them)",
            0.001, 1e6),
    CLI_NUM("--node-limit", CLI_ARG_INT, MA_FIELD(node_limit), "N",
            "search: give up after N nodes (default 0: no limit)", 0, 1e15),
    CLI_OPT("--engine", CLI_ARG_STRING, MA_FIELD(engine), "NAME",
            "search: offset | skyline | portfolio (default: rounds\n"
            "alternate the two)"),
    CLI_OPT("--no-time", CLI_ARG_FLAG, MA_FIELD(no_time), NULL,
            "leave the wall time out of the summary (byte-identical runs)"),
    CLI_OPT("--help", CLI_ARG_FLAG, MA_FIELD(help), NULL, "this help"),
    CLI_OPT("-h", CLI_ARG_FLAG, MA_FIELD(help), NULL, "this help"),
    MA_SWITCH("--no-canonical-order", 0, "explore every placement order, not only by offset"),
    MA_SWITCH("--no-section-bound", 1, "skip the per-step lower-bound cut"),
    MA_SWITCH("--no-forced-placement", 2, "skip the dominance that places a buffer alone"),
    MA_SWITCH("--no-identical-order", 3, "let identical buffers go in any order"),
    MA_SWITCH("--no-hole-dominance", 4, "keep partial layouts that leave a usable hole"),
    MA_SWITCH("--no-static-partition", 5, "do not split at steps no buffer spans"),
    MA_SWITCH("--no-dynamic-decomposition", 6, "do not split the remaining buffers during search"),
    MA_SWITCH("--no-dynamic-ordering", 7, "try candidates in static preorder only"),
    MA_SWITCH("--no-deadend-memo", 8, "search again states already proved to fail"),
    MA_SWITCH("--no-backjumping", 9,
              "(skyline) try every branch of a node whose failure lies\nelsewhere"),
    MA_SWITCH("--no-load-bound", 10, "(skyline) check each section at its floor only"),
    MA_SWITCH("--no-warm-start", 11, "do not try greedy-size's layout first"),
    MA_SWITCH("--no-restarts", 12, "one search, no budgeted restarts"),
};

static cli_spec_t memalloc_spec(int first, int n) {
  return (cli_spec_t){.command = "memalloc", .options = memalloc_flags + first, .n_options = n};
}

static void memalloc_usage(FILE *out) {
  const int first_switch = SCHED_ARRAY_LEN(memalloc_flags) - N_SWITCHES;
  fputs("usage: sched memalloc --input BUFFERS.csv --capacity SIZE [options]\n"
        "       sched memalloc --input BUFFERS.csv --minimize [--capacity SIZE] [options]\n"
        "\n"
        "Gives every buffer an offset so that no two buffers live at the same step\n"
        "share a byte, within the capacity; prints the max-live lower bound, the peak\n"
        "address used and the overhead above the bound.\n"
        "\n",
        out);
  cli_spec_t options = memalloc_spec(0, first_switch);
  cli_print_options(&options, out);
  fputs("search techniques, all on by default (turning one off keeps the search complete):\n", out);
  cli_spec_t techniques = memalloc_spec(first_switch, N_SWITCHES);
  cli_print_options(&techniques, out);
  fputs("\nExit status: 0 a layout fits, 1 none found (proved, time limit, or heuristic),\n"
        "2 bad input.\n",
        out);
}

static bool *switch_slot(memalloc_params_t *p, int k) {
  bool *slots[N_SWITCHES] = {&p->canonical_order,
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

/* Fills args and params from argv; an exit code. */
static int parse_args(int argc, char **argv, memalloc_args_t *a, memalloc_params_t *prm) {
  *a = (memalloc_args_t){.allocator = "search",
                         .format = "text",
                         .time_limit_s = prm->time_limit_s,
                         .node_limit = prm->node_limit};
  cli_spec_t spec = memalloc_spec(0, SCHED_ARRAY_LEN(memalloc_flags));
  if (cli_parse(&spec, argc, argv, a) != CLI_EXIT_OK)
    return CLI_EXIT_INPUT;
  if (a->help)
    return CLI_EXIT_OK;
  prm->time_limit_s = a->time_limit_s;
  prm->node_limit = a->node_limit;
  for (int k = 0; k < N_SWITCHES; k++)
    if (a->off[k])
      *switch_slot(prm, k) = false;
  if (a->engine && !memalloc_engine_find(a->engine, &prm->engine))
    return cli_error("memalloc: unknown engine '%s' (offset, skyline or portfolio)", a->engine);
  if (!a->input)
    return cli_error("memalloc: --input is required (see sched memalloc --help)");
  if (!a->capacity && !a->minimize)
    return cli_error("memalloc: --capacity is required (see sched memalloc --help)");
  if (strcmp(a->format, "text") != 0 && strcmp(a->format, "json") != 0 &&
      strcmp(a->format, "csv") != 0)
    return cli_error("memalloc: --format must be text, json or csv, got '%s'", a->format);
  return CLI_EXIT_OK;
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

/* ---- one result record as text, JSON or CSV ---- */

typedef struct {
  const char *key;
  char value[64];
  bool text; /* a string (quoted in JSON), else a number or a boolean */
} field_t;

typedef struct {
  field_t f[12];
  int n;
} record_t;

static void record_add(record_t *r, const char *key, bool text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void record_add(record_t *r, const char *key, bool text, const char *fmt, ...) {
  field_t *f = &r->f[r->n++];
  f->key = key;
  f->text = text;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->value, sizeof f->value, fmt, ap);
  va_end(ap);
}

static void record_print(const record_t *r, const char *format, FILE *out) {
  if (strcmp(format, "json") == 0) {
    cJSON *j = cJSON_CreateObject();
    for (int i = 0; i < r->n; i++)
      cJSON_AddItemToObject(j, r->f[i].key,
                            r->f[i].text ? cJSON_CreateString(r->f[i].value)
                                         : cJSON_CreateRaw(r->f[i].value));
    char *text = sched_json_print(j, true);
    fprintf(out, "%s\n", text);
    free(text);
    cJSON_Delete(j);
    return;
  }
  bool csv = strcmp(format, "csv") == 0;
  for (int i = 0; csv && i < r->n; i++)
    fprintf(out, "%s%s", r->f[i].key, i + 1 < r->n ? "," : "\n");
  for (int i = 0; i < r->n; i++) {
    if (csv)
      fprintf(out, "%s%s", r->f[i].value, i + 1 < r->n ? "," : "\n");
    else
      fprintf(out, "%-18s %s\n", r->f[i].key, r->f[i].value);
  }
}

static const char *status_word(int rc) {
  switch (rc) {
  case SCHED_OK: return "fits";
  case SCHED_ERR_INFEASIBLE: return "infeasible";
  case SCHED_ERR_TIMEOUT: return "stopped";
  default: return "not-found";
  }
}

static void stats_record(const memalloc_stats_t *st, bool with_time, record_t *r) {
  bool fits = st->status == SCHED_OK || st->status == SCHED_ERR_NOT_FOUND;
  record_add(r, "allocator", true, "%s", st->allocator);
  record_add(r, "result", true, "%s", status_word(st->status));
  record_add(r, "buffers", false, "%d", st->n_buffers);
  record_add(r, "capacity_bytes", false, "%lld", (long long)st->capacity_bytes);
  record_add(r, "lower_bound_bytes", false, "%lld", (long long)st->lower_bound_bytes);
  record_add(r, "peak_bytes", false, "%lld", fits ? (long long)st->peak_bytes : 0LL);
  record_add(r, "overhead_pct", false, "%.2f", fits ? st->overhead_pct : 0.0);
  record_add(r, "nodes", false, "%lld", (long long)st->nodes);
  if (with_time)
    record_add(r, "time_ms", false, "%.3f", st->time_ms);
}

/* After an allocator ran: the error, or the result (record r; in text
 * format st's summary when given) with why no layout came back; writes
 * the layout. Returns the exit code. */
static int finish(const memalloc_args_t *a, const memalloc_problem_t *p,
                  const memalloc_solution_t *s, int rc, const sched_diag_t *diag, const record_t *r,
                  const memalloc_stats_t *st) {
  if (rc == SCHED_ERR_INPUT)
    return cli_error("%s", diag->msg);
  if (rc == SCHED_ERR_INTERNAL) {
    fprintf(stderr, "sched: internal error: %s\n", diag->msg);
    return CLI_EXIT_NO;
  }
  bool text = strcmp(a->format, "text") == 0;
  if (text && st)
    memalloc_stats_print(st, !a->no_time, stdout);
  else
    record_print(r, text ? "text" : a->format, stdout);
  if (rc != SCHED_OK)
    fprintf(text ? stdout : stderr, "why:         %s\n", diag->msg);
  if (rc == SCHED_OK && a->output)
    return write_output(a->output, p, s);
  return rc == SCHED_OK ? CLI_EXIT_OK : CLI_EXIT_NO;
}

/* Runs the allocator on the loaded problem; prints, writes, picks the code. */
static int allocate(const memalloc_args_t *a, const memalloc_allocator_t *alloc,
                    const memalloc_problem_t *p, const memalloc_params_t *prm) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_stats_t st;
  sched_diag_t diag = {{0}};
  int rc = memalloc_run(alloc, p, &s, prm, &st, &diag);
  record_t r = {0};
  stats_record(&st, !a->no_time, &r);
  int code = finish(a, p, &s, rc, &diag, &r, &st);
  memalloc_solution_free(&s);
  return code;
}

/* --minimize: the smallest capacity; prints its record, writes the layout. */
static int minimize(const memalloc_args_t *a, const memalloc_allocator_t *alloc,
                    const memalloc_problem_t *p, const memalloc_params_t *prm) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  memalloc_minimize_t m;
  sched_diag_t diag = {{0}};
  int rc = memalloc_minimize(alloc, p, &s, prm, &m, &diag);
  record_t r = {0};
  record_add(&r, "allocator", true, "%s", alloc->name);
  record_add(&r, "result", true, "%s", status_word(rc));
  record_add(&r, "buffers", false, "%d", p->n_buffers);
  record_add(&r, "max_live_bytes", false, "%lld", (long long)memalloc_problem_lower_bound(p));
  record_add(&r, "best_bytes", false, "%lld", rc == SCHED_OK ? (long long)m.best_bytes : 0LL);
  record_add(&r, "lower_bound_bytes", false, "%lld", (long long)m.lower_bound_bytes);
  record_add(&r, "proved", false, "%s", m.proved ? "true" : "false");
  record_add(&r, "attempts", false, "%d", m.attempts);
  record_add(&r, "nodes", false, "%lld", (long long)m.nodes);
  if (!a->no_time)
    record_add(&r, "time_ms", false, "%.3f", m.time_ms);
  int code = finish(a, p, &s, rc, &diag, &r, NULL);
  memalloc_solution_free(&s);
  return code;
}

/* --check: the layout in the input's offset column, checked. */
static int check_layout(const char *path, memalloc_problem_t *p) {
  memalloc_solution_t s;
  memalloc_solution_init(&s);
  sched_diag_t diag = {{0}};
  int code = CLI_EXIT_OK;
  if (memalloc_csv_read_layout_path(path, p, &s, &diag) != SCHED_OK)
    code = cli_error("%s", diag.msg);
  else if (memalloc_verify(p, &s, &diag) != SCHED_OK) {
    fprintf(stderr, "sched: invalid layout: %s\n", diag.msg);
    code = CLI_EXIT_NO;
  } else
    printf("valid: %d buffers, peak %lld bytes, max live %lld bytes, capacity %lld bytes\n",
           p->n_buffers, (long long)s.peak_bytes, (long long)memalloc_problem_lower_bound(p),
           (long long)p->capacity_bytes);
  memalloc_solution_free(&s);
  return code;
}

int cmd_memalloc(int argc, char **argv) {
  memalloc_args_t a;
  memalloc_params_t prm = memalloc_params_default();
  int code = parse_args(argc, argv, &a, &prm);
  if (code != CLI_EXIT_OK)
    return code;
  if (a.help) {
    memalloc_usage(stdout);
    return CLI_EXIT_OK;
  }
  const memalloc_allocator_t *alloc = find_allocator(a.allocator);
  if (!alloc)
    return CLI_EXIT_INPUT;
  int64_t capacity = 1; /* --minimize without one: set from the buffers below */
  sched_diag_t diag = {{0}};
  if (a.capacity && arch_parse_size(a.capacity, &capacity, &diag) != SCHED_OK)
    return cli_error("memalloc: --capacity: %s", diag.msg);
  memalloc_problem_t p;
  memalloc_problem_init(&p, capacity);
  if (a.check)
    code = check_layout(a.input, &p);
  else if (memalloc_csv_read_path(a.input, &p, &diag) != SCHED_OK)
    code = cli_error("%s", diag.msg);
  else {
    /* every buffer stacked (with its alignment's padding) always fits */
    for (int i = 0; !a.capacity && i < p.n_buffers; i++)
      p.capacity_bytes += p.buffers[i].size_bytes + p.buffers[i].align_bytes - 1;
    code = a.minimize ? minimize(&a, alloc, &p, &prm) : allocate(&a, alloc, &p, &prm);
  }
  memalloc_problem_free(&p);
  return code;
}
