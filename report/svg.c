/* svg.c - a schedule as a Gantt chart: one row per engine (DMA ports, DPUs,
 * SHAVEs that ran something) with its busy percentage, tasks coloured by
 * what they do (DPU or SHAVE compute; weight, input, output or spill DMA;
 * broadcast), a legend of those few categories, layer names written on the
 * compute tasks wide enough to hold them, a time axis in microseconds with
 * grid lines, and an optional time window (--svg-range) to zoom into. Each
 * task carries a <title> tooltip naming its layer. */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
  SVG_WIDTH = 1600,
  SVG_LEFT = 130,
  SVG_RIGHT = 24,
  SVG_TOP = 58,
  SVG_ROW = 30,
  SVG_GAP = 6,
  SVG_AXIS = 44,
  SVG_LEGEND_COL = 222,
  SVG_LEGEND_ROW = 17,
};

/* XML text is UTF-8: bytes that are not become U+FFFD. */
static void svg_escape(const char *text, FILE *out) {
  char *valid = sched_utf8_repair(text);
  for (const char *s = valid ? valid : ""; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    default: fputc(*s, out);
    }
  }
  free(valid);
}

/* Task categories: the legend has one entry each. */
typedef enum {
  CAT_DPU,
  CAT_SHAVE,
  CAT_CPU,
  CAT_WEIGHTS,
  CAT_INPUT,
  CAT_OUTPUT,
  CAT_SPILL,
  CAT_BROADCAST,
  CAT_COUNT
} category_t;

static const struct {
  const char *name, *colour;
} categories[CAT_COUNT] = {
    [CAT_DPU] = {"DPU compute", "#1f77b4"},       [CAT_SHAVE] = {"SHAVE compute", "#9467bd"},
    [CAT_CPU] = {"host CPU", "#7f7f7f"},          [CAT_WEIGHTS] = {"weights DMA", "#ff7f0e"},
    [CAT_INPUT] = {"input DMA", "#2ca02c"},       [CAT_OUTPUT] = {"output DMA", "#17becf"},
    [CAT_SPILL] = {"spill DMA (DDR)", "#d62728"}, [CAT_BROADCAST] = {"broadcast", "#bcbd22"},
};

static category_t category_of(const schedule_task_t *k) {
  switch (k->role) {
  case SCHEDULE_ROLE_WEIGHTS: return CAT_WEIGHTS;
  case SCHEDULE_ROLE_BROADCAST: return CAT_BROADCAST;
  case SCHEDULE_ROLE_INPUT: return k->spill ? CAT_SPILL : CAT_INPUT;
  case SCHEDULE_ROLE_OUTPUT: return k->spill ? CAT_SPILL : CAT_OUTPUT;
  default: break;
  }
  return k->kind == SCHEDULE_TASK_SHAVE ? CAT_SHAVE
         : k->kind == SCHEDULE_TASK_CPU ? CAT_CPU
                                        : CAT_DPU;
}

/* The time window drawn, in cycles. */
typedef struct {
  int64_t start, end;
} window_t;

/* Engines drawn: DMA and DPU always, SHAVEs only when used. */
static int rows_of(const schedule_t *s, int *row) {
  int n = 0;
  for (int e = 0; e < s->n_engines; e++)
    row[e] = s->engines[e].kind != SCHEDULE_TASK_SHAVE || s->engines[e].n_tasks > 0 ? n++ : -1;
  return n;
}

/* A round step (1, 2 or 5 x 10^k us) giving at most 12 ticks. */
static double tick_step(double span_us) {
  double step = pow(10, floor(log10(SCHED_MAX(span_us, 1e-3) / 12)));
  for (int i = 0; step * 12 < span_us; i++)
    step *= i % 3 == 1 ? 2.5 : 2;
  return step;
}

static double x_of(const window_t *w, int64_t cycles) {
  double width = SVG_WIDTH - SVG_LEFT - SVG_RIGHT;
  return SVG_LEFT + width * (double)(cycles - w->start) / (double)SCHED_MAX(w->end - w->start, 1);
}

static void draw_axis(const window_t *w, const arch_t *arch, int chart_h, FILE *out) {
  double t0 = arch_cycles_to_us(arch, w->start), t1 = arch_cycles_to_us(arch, w->end);
  double span = t1 - t0, step = tick_step(span);
  int y0 = SVG_TOP, y1 = SVG_TOP + chart_h;
  for (double t = ceil(t0 / step - 1e-9) * step; t <= t1 + 1e-9; t += step) {
    double x = SVG_LEFT + (SVG_WIDTH - SVG_LEFT - SVG_RIGHT) * (t - t0) / SCHED_MAX(span, 1e-9);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>\n", x, y0, x,
            y1 + 5);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%g</text>\n", x, y1 + 20,
            fabs(t) < step * 1e-6 ? 0.0 : t);
  }
  fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"unit\">time (us)</text>\n", SVG_WIDTH / 2, y1 + 38);
}

static void draw_rows(const schedule_t *s, const int *row, FILE *out) {
  for (int e = 0; e < s->n_engines; e++) {
    if (row[e] < 0)
      continue;
    int y = SVG_TOP + row[e] * (SVG_ROW + SVG_GAP);
    double busy =
        100.0 * (double)s->engines[e].busy_cycles / (double)SCHED_MAX(s->latency_cycles, 1);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"lane\"/>\n", SVG_LEFT,
            y, SVG_WIDTH - SVG_LEFT - SVG_RIGHT, SVG_ROW);
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" class=\"engine\">%s <tspan class=\"busy\">%.0f%%</tspan>"
            "</text>\n",
            SVG_LEFT - 8, y + SVG_ROW / 2 + 5, s->engines[e].name, busy);
  }
}

static void draw_task(const schedule_graph_t *g, const schedule_t *s, const arch_t *arch,
                      const window_t *w, const int *row, int t, FILE *out) {
  const schedule_task_t *k = &g->tasks[t];
  if (s->end_cycles[t] < w->start || s->start_cycles[t] > w->end)
    return;
  double x0 = x_of(w, SCHED_MAX(s->start_cycles[t], w->start));
  double x1 = x_of(w, SCHED_MIN(s->end_cycles[t], w->end));
  int y = SVG_TOP + row[s->engine[t]] * (SVG_ROW + SVG_GAP);
  char name[160];
  fprintf(out, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" class=\"t\">",
          x0, y + 2, SCHED_MAX(x1 - x0, 0.6), SVG_ROW - 4, categories[category_of(k)].colour);
  fputs("<title>", out);
  svg_escape(schedule_task_name(g, t, name, sizeof name), out);
  fprintf(out, ": %.3f-%.3f us</title></rect>\n", arch_cycles_to_us(arch, s->start_cycles[t]),
          arch_cycles_to_us(arch, s->end_cycles[t]));
}

/* Each layer's name over its span on the row of its first compute task,
 * cut to the span's width; nothing when not even 3 characters fit. */
static void draw_labels(const schedule_graph_t *g, const schedule_t *s, const window_t *w,
                        const int *row, FILE *out) {
  for (int l = 0; l < s->n_layers; l++) {
    int first = -1;
    for (int t = 0; t < s->n_tasks; t++)
      if (g->tasks[t].layer == l && g->tasks[t].role == SCHEDULE_ROLE_COMPUTE &&
          (first < 0 || s->start_cycles[t] < s->start_cycles[first]))
        first = t;
    int64_t a = SCHED_MAX(s->layers[l].start_cycles, w->start);
    int64_t b = SCHED_MIN(s->layers[l].end_cycles, w->end);
    int chars = first < 0 || b <= a ? 0 : (int)((x_of(w, b) - x_of(w, a) - 6) / 6.5);
    if (chars < 3)
      continue;
    int y = SVG_TOP + row[s->engine[first]] * (SVG_ROW + SVG_GAP);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"label\">", x_of(w, a) + 3, y + SVG_ROW / 2 + 4);
    char name[64];
    snprintf(name, sizeof name, "%.*s", SCHED_MIN(chars, 40), g->layer_names[l]);
    svg_escape(name, out);
    fputs("</text>\n", out);
  }
}

/* One swatch per category that occurs, in one row. */
static void draw_legend(const schedule_graph_t *g, int y0, FILE *out) {
  bool used[CAT_COUNT] = {false};
  for (int t = 0; t < g->n_tasks; t++)
    used[category_of(&g->tasks[t])] = true;
  int x = 20;
  for (int c = 0; c < CAT_COUNT; c++) {
    if (!used[c])
      continue;
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y0,
            categories[c].colour);
    fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>\n", x + 17, y0 + 10,
            categories[c].name);
    x += 30 + 7 * (int)strlen(categories[c].name);
  }
}

static const char svg_style[] =
    "<style>text{font-family:DejaVu Sans,Arial,sans-serif}"
    ".title{font-size:17px;font-weight:bold}.sub{font-size:13px;fill:#333}"
    ".engine{font-size:13px;text-anchor:end}.busy{fill:#666;font-size:11px}"
    ".tick{font-size:11px;text-anchor:middle;fill:#333}.unit{font-size:12px;text-anchor:middle}"
    ".grid{stroke:#ddd;stroke-width:1}.lane{fill:#f6f6f6}"
    ".t{stroke:#fff;stroke-width:0.4}"
    ".label{font-size:10px;fill:#fff;pointer-events:none;paint-order:stroke;stroke:#000;"
    "stroke-width:2px}"
    ".head{font-size:13px;font-weight:bold}.legend{font-size:11px}</style>\n";

int report_svg(const schedule_graph_t *g, const schedule_t *s, const arch_t *arch, const char *net,
               const report_svg_range_t *range, FILE *out) {
  window_t w = {0, SCHED_MAX(s->latency_cycles, 1)};
  if (range) { /* us to cycles, inside the schedule */
    w.start = SCHED_MAX((int64_t)llround(range->start_us * arch->dpu_clock_mhz), 0);
    w.end = SCHED_MIN((int64_t)llround(range->end_us * arch->dpu_clock_mhz), w.end);
    if (w.end <= w.start)
      return SCHED_ERR_INPUT;
  }
  int *row = sched_xmalloc((size_t)SCHED_MAX(s->n_engines, 1) * sizeof *row);
  int n_rows = rows_of(s, row);
  int chart_h = n_rows * (SVG_ROW + SVG_GAP) - SVG_GAP;
  int legend_y = SVG_TOP + chart_h + SVG_AXIS + 12;
  int height = legend_y + 24;
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\">\n",
          SVG_WIDTH, height, SVG_WIDTH, height);
  fputs(svg_style, out);
  fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
  fputs("<text x=\"20\" y=\"24\" class=\"title\">", out);
  svg_escape(net ? net : "", out);
  fprintf(out, " on %s: %.2f us scheduled", arch->name, arch_cycles_to_us(arch, s->latency_cycles));
  if (range)
    fprintf(out, " (showing %.2f-%.2f us)", arch_cycles_to_us(arch, w.start),
            arch_cycles_to_us(arch, w.end));
  fputs("</text>\n", out);
  fprintf(out,
          "<text x=\"20\" y=\"44\" class=\"sub\">%d tasks; DMA busy %.2f us, compute busy %.2f "
          "us, both at once %.2f us</text>\n",
          s->n_tasks, arch_cycles_to_us(arch, s->dma_cycles),
          arch_cycles_to_us(arch, s->compute_cycles), arch_cycles_to_us(arch, s->overlap_cycles));
  draw_axis(&w, arch, chart_h, out);
  draw_rows(s, row, out);
  for (int t = 0; t < s->n_tasks; t++)
    draw_task(g, s, arch, &w, row, t, out);
  draw_labels(g, s, &w, row, out);
  draw_legend(g, legend_y, out);
  fputs("</svg>\n", out);
  free(row);
  return SCHED_OK;
}
