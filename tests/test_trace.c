/* test_trace.c - the trace file checked against the trace event format's
 * rules as Perfetto and chrome://tracing apply them: whole-nanosecond
 * times, slices on a track that never cross, every flow end inside a slice
 * of its track, one start and one end per flow, counters in range. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report/report.h"
#include "schedule_fixture.h"

#define MAX_FLOWS 100000

typedef struct {
  int tid;
  int64_t ts_ns, end_ns;
} slice_t;

static int slice_cmp(const void *a, const void *b) {
  const slice_t *x = a, *y = b;
  if (x->tid != y->tid)
    return x->tid - y->tid;
  return (x->ts_ns > y->ts_ns) - (x->ts_ns < y->ts_ns);
}

static cJSON *load_trace(const char *net) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "%s --net %s --cmx 2MB --no-timing --solver dp --trace /tmp/sched_trace_%s.json "
           ">/dev/null", /* dp: the format, not the solver, is under test */
           SCHED_BINARY, net, net);
  int status = system(cmd);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", cmd);
  char path[128];
  snprintf(path, sizeof path, "/tmp/sched_trace_%s.json", net);
  FILE *f = fopen(path, "rb");
  cr_assert(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  text[fread(text, 1, (size_t)n, f)] = '\0';
  fclose(f);
  remove(path);
  cJSON *root = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(root);
  return root;
}

/* A time field in whole nanoseconds (the file has microseconds). */
static int64_t ns_of(const cJSON *e, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(e, key);
  cr_assert(cJSON_IsNumber(v), "event without %s", key);
  double ns = v->valuedouble * 1e3;
  cr_assert(fabs(ns - round(ns)) < 1e-3, "%s %.6f us is not whole nanoseconds", key,
            v->valuedouble);
  return llround(ns);
}

static const char *str(const cJSON *e, const char *key) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(e, key));
  return s ? s : "";
}

/* The slice of track tid that holds t (a zero-length slice holds its own
 * start), or -1. */
static int enclosing(const slice_t *s, int n, int tid, int64_t t) {
  for (int i = 0; i < n; i++)
    if (s[i].tid == tid && s[i].ts_ns <= t && (t < s[i].end_ns || t == s[i].ts_ns))
      return i;
  return -1;
}

static void check_trace(const char *net) {
  cJSON *root = load_trace(net);
  const cJSON *events = cJSON_GetObjectItem(root, "traceEvents"), *e;
  int n_events = cJSON_GetArraySize(events), n = 0;
  slice_t *slices = calloc((size_t)n_events, sizeof *slices);
  int64_t(*flow_ts)[MAX_FLOWS] = calloc(2, sizeof *flow_ts); /* [s/f][id] */
  int(*flow_seen)[MAX_FLOWS] = calloc(2, sizeof *flow_seen);
  int max_id = 0, cmx = 0, ddr = 0, layers = 0;
  cJSON_ArrayForEach(e, events) {
    const char *ph = str(e, "ph");
    int tid = cJSON_GetObjectItem(e, "tid") ? cJSON_GetObjectItem(e, "tid")->valueint : 0;
    if (strcmp(ph, "X") == 0) {
      int64_t ts = ns_of(e, "ts"), dur = ns_of(e, "dur");
      cr_assert_geq(dur, 0);
      slices[n++] = (slice_t){tid, ts, ts + dur};
      layers += strcmp(str(e, "cat"), "layer") == 0;
    } else if (strcmp(ph, "C") == 0) {
      const cJSON *args = cJSON_GetObjectItem(e, "args");
      bool is_cmx = strcmp(str(e, "name"), "CMX bytes in use per tile") == 0;
      cr_expect(is_cmx || strncmp(str(e, "name"), "DDR GB/s, mean per ", 19) == 0, "counter %s",
                str(e, "name"));
      double v = cJSON_GetArrayItem(args, 0)->valuedouble;
      cr_expect_geq(v, 0, "%s counter negative", str(e, "name"));
      if (is_cmx)
        cr_expect_leq(v, 2097152, "CMX in use above the 2MB budget");
      else
        cr_expect_leq(v, 27.0 * 1.001, "DDR bandwidth above vpu27's 27 GB/s: %.3f", v);
      cmx += is_cmx;
      ddr += !is_cmx;
    } else if (strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0) {
      int id = cJSON_GetObjectItem(e, "id")->valueint, end = ph[0] == 'f';
      cr_assert(id > 0 && id < MAX_FLOWS);
      cr_expect_str_eq(str(e, "bp"), "e");
      flow_ts[end][id] = ns_of(e, "ts");
      flow_seen[end][id]++;
      max_id = id > max_id ? id : max_id;
    }
  }
  qsort(slices, (size_t)n, sizeof *slices, slice_cmp);
  for (int i = 1; i < n; i++)
    if (slices[i].tid == slices[i - 1].tid)
      cr_expect_geq(slices[i].ts_ns, slices[i - 1].end_ns,
                    "%s: track %d: a slice at %lld ns starts before the one before ends (%lld)",
                    net, slices[i].tid, (long long)slices[i].ts_ns,
                    (long long)slices[i - 1].end_ns);
  /* every flow end lies inside a slice of its own track */
  cJSON_ArrayForEach(e, events) {
    const char *ph = str(e, "ph");
    if (strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0)
      cr_expect_geq(enclosing(slices, n, cJSON_GetObjectItem(e, "tid")->valueint, ns_of(e, "ts")),
                    0, "%s: flow %d (%s) is not inside a slice", net,
                    cJSON_GetObjectItem(e, "id")->valueint, ph);
  }
  for (int id = 1; id <= max_id; id++) {
    cr_expect(flow_seen[0][id] == 1 && flow_seen[1][id] == 1, "flow %d: one start, one end", id);
    cr_expect_leq(flow_ts[0][id], flow_ts[1][id], "flow %d runs backwards", id);
  }
  cr_expect_gt(max_id, 0, "barrier flows");
  cr_expect_gt(layers, 0, "a layer track");
  cr_expect_gt(cmx, 0, "a CMX counter");
  cr_expect_gt(ddr, 0, "a DDR bandwidth counter");
  free(slices);
  free(flow_ts);
  free(flow_seen);
  cJSON_Delete(root);
}

Test(trace, fsrcnn_follows_the_format_rules) { check_trace("fsrcnn"); }
Test(trace, mobilenetv2_follows_the_format_rules) { check_trace("mobilenetv2"); }

/* ---- the DDR counter on the hand-worked two-layer schedule ---- */

/* The fixture's DDR transfers, with the DMA latency of 100 cycles before
 * each: w1 cycles 100-300, in1 300-700, w2 700-1200, out2 2600-2900
 * (one at a time on the channel). At 400 MHz (2.5 ns a cycle; the
 * latency is 250 ns, still 100 cycles) that is 250-750, 750-1750,
 * 1750-3000 and 6500-7250 ns; with 2000, 8000, 2500 and 1200 bytes they
 * move 4, 8, 2 and 1.6 bytes per ns. The schedule's 7250 ns make 100 ns
 * windows (at most 500 of them); a window shared by two transfers gets
 * both: 200-300 holds 50 ns of w1 (2 GB/s), 700-800 50 ns of w1 and 50
 * of in1 (6), 1700-1800 50 of in1 and 50 of w2 (5); the last window is
 * 7200-7250, 1.6 GB/s over its 50 ns. */
Test(trace, ddr_counter_is_the_mean_per_window_of_a_hand_worked_schedule) {
  schedule_graph_t g;
  two_layers_graph(&g);
  const int64_t bytes[][2] = {{0, 2000}, {1, 8000}, {4, 2500}, {7, 1200}};
  for (int i = 0; i < 4; i++)
    g.tasks[bytes[i][0]].bytes = bytes[i][1];
  arch_t arch = small_arch();
  arch.dpu_clock_mhz = 400;
  arch.dma_latency_ns = 250;
  schedule_t s;
  sched_diag_t d = {{0}};
  cr_assert_eq(schedule_simulate(&g, &arch, &s, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(s.latency_cycles, 2900);
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  report_trace_input_t in = {.g = &g, .s = &s, .arch = &arch, .net = "two"};
  cr_assert_eq(report_trace(&in, f), SCHED_OK);
  fclose(f);
  cJSON *root = cJSON_Parse(text);
  cr_assert_not_null(root);
  const double want[][2] = {{0, 0},    {200, 2},  {300, 4},  {700, 6},    {800, 8},
                            {1700, 5}, {1800, 2}, {3000, 0}, {6500, 1.6}, {7250, 0}};
  int n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "traceEvents")) {
    if (strcmp(str(e, "ph"), "C") != 0)
      continue;
    cr_assert_str_eq(str(e, "name"), "DDR GB/s, mean per 100 ns window");
    cr_assert_lt(n, 10, "more than 10 steps");
    cr_expect_eq(ns_of(e, "ts"), (int64_t)want[n][0], "step %d at %lld ns", n,
                 (long long)ns_of(e, "ts"));
    double v = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "GB/s")->valuedouble;
    cr_expect(fabs(v - want[n][1]) < 1e-9, "step %d: %.6f GB/s, expected %g", n, v, want[n][1]);
    n++;
  }
  cr_expect_eq(n, 10);
  cJSON_Delete(root);
  free(text);
  schedule_free(&s);
  schedule_graph_free(&g);
}

/* ---- the SVG Gantt chart ---- */

static int count(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* The chart of `sched ARGS --svg PATH` (tests running at once use their
 * own paths). */
static char *svg_of(const char *args, const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s %s --svg %s >/dev/null", SCHED_BINARY, args, path);
  int status = system(cmd);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", cmd);
  FILE *f = fopen(path, "rb");
  cr_assert(f);
  char *text = calloc(1, 1 << 24);
  text[fread(text, 1, (1 << 24) - 1, f)] = '\0';
  fclose(f);
  remove(path);
  return text;
}

Test(gantt, the_legend_names_task_categories_not_layers) {
  char *svg =
      svg_of("--net mobilenetv2 --cmx 2MB --no-timing --solver dp", "/tmp/sched_gantt_legend.svg");
  int entries = count(svg, "class=\"legend\"");
  cr_expect(entries >= 3 && entries <= 8, "%d legend entries for 65 layers", entries);
  cr_expect_gt(count(svg, ">DPU compute<"), 0);
  cr_expect_gt(count(svg, ">weights DMA<"), 0);
  free(svg);
}

Test(gantt, svg_range_zooms_into_a_window) {
  char *whole = svg_of("--net fsrcnn --cmx 2MB --no-timing", "/tmp/sched_gantt_whole.svg");
  char *svg =
      svg_of("--net fsrcnn --cmx 2MB --no-timing --svg-range 0:3300", "/tmp/sched_gantt_zoom.svg");
  cr_expect_gt(count(svg, "(showing 0.00-3300.00 us)"), 0);
  cr_expect_gt(count(svg, "class=\"label\">feature<"), 0, "the first layer labelled");
  int tasks = count(svg, "<title>"), all = count(whole, "<title>");
  cr_expect(tasks > 0 && tasks < all, "%d of %d tasks in the first 3.3 ms", tasks, all);
  free(svg);
  free(whole);
}
