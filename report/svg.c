/* svg.c - a schedule as a Gantt chart: one row per engine (DMA ports, DPUs,
 * SHAVEs that ran something) with its busy percentage, tasks coloured by
 * layer (weight DMAs lighter, broadcasts outlined), a time axis in
 * microseconds with grid lines, and a legend of layer colours. Each task
 * carries a <title> tooltip. Sizes are fixed so the chart reads the same for
 * 8 layers (fsrcnn) and 70 (resnet50). */
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

static void svg_escape(const char *s, FILE *out) {
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    default: fputc(*s, out);
    }
  }
}

/* Golden-angle hues, alternating lightness, so neighbouring layers differ. */
static void layer_colour(int layer, char *buf, size_t len) {
  double hue = fmod(layer * 137.508, 360.0);
  snprintf(buf, len, "hsl(%.0f,%d%%,%d%%)", hue, layer % 2 ? 55 : 70, layer % 2 ? 42 : 55);
}

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

static double x_of(const schedule_t *s, int64_t cycles) {
  double w = SVG_WIDTH - SVG_LEFT - SVG_RIGHT;
  return SVG_LEFT + w * (double)cycles / (double)SCHED_MAX(s->latency_cycles, 1);
}

static void draw_axis(const schedule_t *s, const arch_t *arch, int chart_h, FILE *out) {
  double span = arch_cycles_to_us(arch, s->latency_cycles), step = tick_step(span);
  int y0 = SVG_TOP, y1 = SVG_TOP + chart_h;
  for (int i = 0; i * step <= span + 1e-9; i++) {
    double x = SVG_LEFT + (SVG_WIDTH - SVG_LEFT - SVG_RIGHT) * (i * step) / SCHED_MAX(span, 1e-9);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>\n", x, y0, x,
            y1 + 5);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%g</text>\n", x, y1 + 20, i * step);
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
                      const int *row, int t, FILE *out) {
  const schedule_task_t *k = &g->tasks[t];
  double x0 = x_of(s, s->start_cycles[t]), x1 = x_of(s, s->end_cycles[t]);
  int y = SVG_TOP + row[s->engine[t]] * (SVG_ROW + SVG_GAP);
  char colour[40], name[160];
  layer_colour(k->layer, colour, sizeof colour);
  const char *cls = k->role == SCHEDULE_ROLE_WEIGHTS     ? "w"
                    : k->role == SCHEDULE_ROLE_BROADCAST ? "b"
                                                         : "t";
  fprintf(out, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" class=\"%s\">",
          x0, y + 2, SCHED_MAX(x1 - x0, 0.6), SVG_ROW - 4, colour, cls);
  fputs("<title>", out);
  svg_escape(schedule_task_name(g, t, name, sizeof name), out);
  fprintf(out, ": %.3f-%.3f us</title></rect>\n", arch_cycles_to_us(arch, s->start_cycles[t]),
          arch_cycles_to_us(arch, s->end_cycles[t]));
  if (k->role == SCHEDULE_ROLE_COMPUTE && x1 - x0 > 70) {
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"label\">", x0 + 3, y + SVG_ROW / 2 + 4);
    char short_name[32];
    snprintf(short_name, sizeof short_name, "%.*s", (int)SCHED_MIN((x1 - x0 - 6) / 6.5, 30),
             g->layer_names[k->layer]);
    svg_escape(short_name, out);
    fputs("</text>\n", out);
  }
}

static void draw_legend(const schedule_graph_t *g, int y0, FILE *out) {
  int cols = (SVG_WIDTH - SVG_LEFT) / SVG_LEGEND_COL;
  fprintf(out,
          "<text x=\"%d\" y=\"%d\" class=\"head\">layers (light: weight DMA, outlined: "
          "broadcast)</text>\n",
          20, y0);
  for (int l = 0; l < g->n_layers; l++) {
    int x = 20 + (l % cols) * SVG_LEGEND_COL, y = y0 + 10 + (l / cols) * SVG_LEGEND_ROW;
    char colour[40];
    layer_colour(l, colour, sizeof colour);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y, colour);
    fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"legend\">", x + 17, y + 10);
    char name[40];
    snprintf(name, sizeof name, "%.30s", g->layer_names[l]);
    svg_escape(name, out);
    fputs("</text>\n", out);
  }
}

static const char svg_style[] =
    "<style>text{font-family:DejaVu Sans,Arial,sans-serif}"
    ".title{font-size:17px;font-weight:bold}.sub{font-size:13px;fill:#333}"
    ".engine{font-size:13px;text-anchor:end}.busy{fill:#666;font-size:11px}"
    ".tick{font-size:11px;text-anchor:middle;fill:#333}.unit{font-size:12px;text-anchor:middle}"
    ".grid{stroke:#ddd;stroke-width:1}.lane{fill:#f6f6f6}"
    ".t{stroke:#222;stroke-width:0.3}.w{fill-opacity:0.45;stroke:#222;stroke-width:0.3}"
    ".b{stroke:#000;stroke-width:1.2;stroke-dasharray:2,1}"
    ".label{font-size:10px;fill:#fff;pointer-events:none}"
    ".head{font-size:13px;font-weight:bold}.legend{font-size:11px}</style>\n";

int report_svg(const schedule_graph_t *g, const schedule_t *s, const arch_t *arch, const char *net,
               FILE *out) {
  int *row = sched_xmalloc((size_t)SCHED_MAX(s->n_engines, 1) * sizeof *row);
  int n_rows = rows_of(s, row);
  int chart_h = n_rows * (SVG_ROW + SVG_GAP) - SVG_GAP;
  int cols = (SVG_WIDTH - SVG_LEFT) / SVG_LEGEND_COL;
  int legend_y = SVG_TOP + chart_h + SVG_AXIS + 24;
  int height = legend_y + 20 + SCHED_CEIL_DIV(g->n_layers, cols) * SVG_LEGEND_ROW + 10;
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\">\n",
          SVG_WIDTH, height, SVG_WIDTH, height);
  fputs(svg_style, out);
  fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
  fputs("<text x=\"20\" y=\"24\" class=\"title\">", out);
  svg_escape(net ? net : "", out);
  fprintf(out, " on %s: %.2f us scheduled</text>\n", arch->name,
          arch_cycles_to_us(arch, s->latency_cycles));
  fprintf(out,
          "<text x=\"20\" y=\"44\" class=\"sub\">%d tasks; DMA busy %.2f us, compute busy %.2f "
          "us, both at once %.2f us</text>\n",
          s->n_tasks, arch_cycles_to_us(arch, s->dma_cycles),
          arch_cycles_to_us(arch, s->compute_cycles), arch_cycles_to_us(arch, s->overlap_cycles));
  draw_axis(s, arch, chart_h, out);
  draw_rows(s, row, out);
  for (int t = 0; t < s->n_tasks; t++)
    draw_task(g, s, arch, row, t, out);
  draw_legend(g, legend_y, out);
  fputs("</svg>\n", out);
  free(row);
  return SCHED_OK;
}
