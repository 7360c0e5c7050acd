/* memory_map.c - a CMX allocation as a picture: plan steps on x, address on
 * y (0 at the bottom), one rectangle per buffer at its offset over its live
 * steps, coloured by kind (weights, inputs, outputs, kept values; the
 * second of a double buffer paler), labelled "layer kind" where the label
 * fits (rotated in tall narrow boxes) and always with a <title> tooltip.
 * A streaming region is one allocation drawn as an outline with what it
 * holds stacked inside (tiling_region_parts): each member's weights, the
 * input slice and its second buffer, each intermediate slice, the output
 * slice and its second buffer; the halo rows of a slice hatched. A red
 * line marks the capacity, a dashed one the max-live lower bound. */
#include "report/report.h"

#include <math.h>
#include <string.h>

enum {
  MAP_WIDTH = 1600,
  MAP_HEIGHT = 1000,
  MAP_LEFT = 96,
  MAP_RIGHT = 130,
  MAP_TOP = 72,
  MAP_BOTTOM = 64,
  MAP_FONT = 11,
};

typedef struct {
  const strat_problem_t *p;
  const schedule_alloc_t *a;
  double top_bytes; /* address drawn at the top of the plot */
  FILE *out;
} map_t;

/* XML text is UTF-8: bytes that are not become U+FFFD. */
static void map_escape(const char *text, FILE *out) {
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

static double map_x(const map_t *m, double step) {
  double w = MAP_WIDTH - MAP_LEFT - MAP_RIGHT;
  return MAP_LEFT + w * step / SCHED_MAX(m->a->buffers.n_steps, 1);
}

static double map_y(const map_t *m, double bytes) {
  double h = MAP_HEIGHT - MAP_TOP - MAP_BOTTOM;
  return MAP_TOP + h * (1 - bytes / m->top_bytes);
}

/* Kind sets the hue (the legend); neighbouring layers alternate in
 * lightness so adjacent boxes of one kind stay apart. */
static void buffer_colour(const schedule_buffer_t *b, char *buf, size_t len) {
  static const int hue[SCHEDULE_BUFFER_KIND_COUNT] = {215, 125, 28, 280, 175};
  static const int light[3] = {62, 74, 52};
  snprintf(buf, len, "hsl(%d,%d%%,%d%%)", hue[b->kind], b->second ? 45 : 60, light[b->layer % 3]);
}

/* The label inside a buffer's box: horizontal when it fits, rotated in a
 * tall narrow box, none when neither fits (the tooltip remains). */
static void buffer_label(const map_t *m, const char *text, double x, double y, double w, double h) {
  double text_px = 0.6 * MAP_FONT * (double)strlen(text) + 4;
  if (w >= text_px && h >= MAP_FONT + 2) {
    fprintf(m->out, "<text x=\"%.1f\" y=\"%.1f\" class=\"lbl\">", x + 2, y + h / 2 + 4);
  } else if (h >= text_px && w >= MAP_FONT + 2) {
    double cx = x + w / 2 + 4, cy = y + h - 2;
    fprintf(m->out,
            "<text x=\"%.1f\" y=\"%.1f\" class=\"lbl\" transform=\"rotate(-90 %.1f %.1f)\">", cx,
            cy, cx, cy);
  } else {
    return;
  }
  map_escape(text, m->out);
  fputs("</text>\n", m->out);
}

/* ---- a streaming region's inside ---- */

/* The region a region buffer is: the one over its steps whose footprint is
 * its size; NULL when none is (then the box stays plain). */
static const tiling_region_t *buffer_region(const map_t *m, const schedule_buffer_t *b) {
  for (int i = 0; i < m->p->n_regions; i++) {
    const tiling_region_t *r = &m->p->regions[i];
    if (r->first == b->lower && r->first + r->n_ops == b->upper &&
        tiling_region_footprint(m->p->model->arch, m->p->g, r) == b->size_bytes)
      return r;
  }
  return NULL;
}

static const char *part_name(tiling_part_kind_t kind) {
  static const char *const names[] = {"weights", "in slice", "slice", "out slice"};
  return names[kind];
}

/* One copy of a part: a band of the region's box at address `at`, its
 * halo (the top of the band) hatched. */
static void draw_part(const map_t *m, const char *region, const tiling_region_part_t *part,
                      int copy, int64_t at, double x, double w) {
  static const schedule_buffer_kind_t kinds[] = {SCHEDULE_BUFFER_WEIGHTS, SCHEDULE_BUFFER_INPUT,
                                                 SCHEDULE_BUFFER_VALUE, SCHEDULE_BUFFER_OUTPUT};
  schedule_buffer_t as = {.kind = kinds[part->kind], .layer = part->op, .second = copy == 1};
  char colour[48], label[160];
  buffer_colour(&as, colour, sizeof colour);
  snprintf(label, sizeof label, "%s %s%s", m->p->g->ops[part->op].name, part_name(part->kind),
           copy ? "'" : "");
  double y = map_y(m, (double)(at + part->slice_bytes)), h = map_y(m, (double)at) - y;
  fprintf(m->out,
          "<rect class=\"part\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
          "fill=\"%s\"><title>",
          x, y, w, SCHED_MAX(h, 0.5), colour);
  map_escape(region, m->out);
  fputs(": ", m->out);
  map_escape(label, m->out);
  fprintf(m->out, " %lld bytes at %lld%s", (long long)part->slice_bytes, (long long)at,
          part->copies > 1 ? (copy ? " (second buffer)" : " (first buffer)") : "");
  if (part->halo_bytes)
    fprintf(m->out, ", halo %lld bytes", (long long)part->halo_bytes);
  fputs("</title></rect>\n", m->out);
  if (part->halo_bytes) {
    double hy = map_y(m, (double)(at + part->slice_bytes));
    double hh = map_y(m, (double)(at + part->slice_bytes - part->halo_bytes)) - hy;
    fprintf(m->out,
            "<rect class=\"halo\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"url(#halo)\"><title>halo: %lld bytes</title></rect>\n",
            x, hy, w, SCHED_MAX(hh, 0.5), (long long)part->halo_bytes);
  }
  buffer_label(m, label, x, y, w, h);
}

/* The parts of b's region stacked from its offset; false (nothing drawn)
 * when no region of the problem has b's steps and size. */
static bool draw_region_parts(const map_t *m, const schedule_buffer_t *b, int64_t offset,
                              const char *label, double x, double w) {
  const tiling_region_t *r = buffer_region(m, b);
  if (!r)
    return false;
  tiling_region_part_t parts[TILING_REGION_PARTS];
  int n = tiling_region_parts(m->p->model->arch, m->p->g, r, parts);
  int64_t at = offset;
  for (int i = 0; i < n; i++)
    for (int c = 0; c < parts[i].copies; c++, at += parts[i].slice_bytes)
      if (parts[i].slice_bytes > 0)
        draw_part(m, label, &parts[i], c, at, x, w);
  return true;
}

static void draw_buffer(const map_t *m, int i) {
  const schedule_buffer_t *b = &m->a->buffers.buffers[i];
  int64_t offset = m->a->solution.offsets_bytes[i];
  double x = map_x(m, (double)b->lower), w = map_x(m, (double)b->upper) - x;
  double y = map_y(m, (double)(offset + b->size_bytes));
  double h = map_y(m, (double)offset) - y;
  char colour[48], label[160];
  buffer_colour(b, colour, sizeof colour);
  schedule_buffer_label(m->p, b, label, sizeof label);
  /* a region with its parts drawn is their outline, named at its top */
  bool inside = b->kind == SCHEDULE_BUFFER_REGION && draw_region_parts(m, b, offset, label, x, w);
  fprintf(m->out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"",
          inside ? "buf region" : "buf", x, y, SCHED_MAX(w, 0.5), SCHED_MAX(h, 0.5));
  if (!inside)
    fprintf(m->out, " fill=\"%s\"", colour);
  fputs("><title>", m->out);
  map_escape(label, m->out);
  fprintf(m->out, ": %lld bytes at %lld, steps [%lld, %lld)%s</title></rect>\n",
          (long long)b->size_bytes, (long long)offset, (long long)b->lower, (long long)b->upper,
          b->prefetch_steps ? " (prefetched)" : "");
  if (!inside) {
    buffer_label(m, label, x, y, w, h);
    return;
  }
  fprintf(m->out, "<text x=\"%.1f\" y=\"%.1f\" class=\"rlbl\">", x + 3, y + MAP_FONT + 3);
  map_escape(label, m->out);
  fputs("</text>\n", m->out);
}

/* A horizontal line across the plot with its label on the right. */
static void level_line(const map_t *m, int64_t bytes, const char *cls, const char *name,
                       double label_dy) {
  double y = map_y(m, (double)bytes);
  fprintf(m->out, "<line class=\"%s\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", cls,
          MAP_LEFT, y, MAP_WIDTH - MAP_RIGHT, y);
  fprintf(m->out, "<text x=\"%d\" y=\"%.1f\" class=\"%s-t\">%s</text>\n", MAP_WIDTH - MAP_RIGHT + 6,
          y + 4 + label_dy, cls, name);
  fprintf(m->out, "<text x=\"%d\" y=\"%.1f\" class=\"%s-t\">%lld B</text>\n",
          MAP_WIDTH - MAP_RIGHT + 6, y + 17 + label_dy, cls, (long long)bytes);
}

/* A round tick step (1, 2 or 5 x 10^k) giving at most `ticks` ticks. */
static double map_tick(double span, int ticks) {
  double step = pow(10, floor(log10(SCHED_MAX(span, 1) / ticks)));
  for (int i = 0; step * ticks < span; i++)
    step *= i % 3 == 1 ? 2.5 : 2;
  return step;
}

static void draw_axes(const map_t *m) {
  double step_kb = map_tick(m->top_bytes / 1024, 10);
  for (double kb = 0; kb * 1024 <= m->top_bytes; kb += step_kb) {
    double y = map_y(m, kb * 1024);
    fprintf(m->out,
            "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
            "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%.0f KB</text>\n",
            MAP_LEFT, y, MAP_WIDTH - MAP_RIGHT, y, MAP_LEFT - 6, y + 4, kb);
  }
  int n = m->a->buffers.n_steps;
  int every = (int)map_tick(n, 25);
  for (int t = 0; t <= n; t += SCHED_MAX(every, 1)) {
    double x = map_x(m, t);
    fprintf(m->out,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
            "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%d</text>\n",
            x, MAP_TOP, x, MAP_HEIGHT - MAP_BOTTOM, x, MAP_HEIGHT - MAP_BOTTOM + 16, t);
  }
  fprintf(m->out,
          "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">plan step (layer)</text>\n",
          (MAP_LEFT + MAP_WIDTH - MAP_RIGHT) / 2, MAP_HEIGHT - 20);
}

/* Kinds by colour, a second buffer paler, a region as an outline, halo
 * rows hatched; entries right-aligned above the plot, spaced by their
 * names' lengths. */
static void draw_legend(const map_t *m) {
  enum { ENTRIES = 7 };
  const schedule_buffer_t demo[] = {{.kind = SCHEDULE_BUFFER_WEIGHTS},
                                    {.kind = SCHEDULE_BUFFER_INPUT},
                                    {.kind = SCHEDULE_BUFFER_INPUT, .second = true},
                                    {.kind = SCHEDULE_BUFFER_OUTPUT},
                                    {.kind = SCHEDULE_BUFFER_VALUE}};
  const char *const names[ENTRIES] = {"weights",       "in",     "in' (2nd buffer)", "out",
                                      "value / slice", "region", "halo rows"};
  double width[ENTRIES], x = MAP_WIDTH - MAP_RIGHT;
  for (int k = 0; k < ENTRIES; k++) {
    width[k] = 18 + 6.5 * (double)strlen(names[k]) + 18; /* 12px text: ~6.5px a letter */
    x -= width[k];
  }
  for (int k = 0; k < ENTRIES; x += width[k], k++) {
    char fill[64] = "url(#halo)";
    if (k < SCHED_ARRAY_LEN(demo))
      buffer_colour(&demo[k], fill, sizeof fill);
    fprintf(m->out, "<rect x=\"%.1f\" y=\"52\" width=\"14\" height=\"12\" %s%s%s/>", x,
            k == 5 ? "class=\"region\"" : "fill=\"", k == 5 ? "" : fill, k == 5 ? "" : "\"");
    fprintf(m->out, "<text x=\"%.1f\" y=\"62\" class=\"ax\">%s</text>\n", x + 18, names[k]);
  }
}

static void draw_header(const map_t *m, const char *net) {
  const memalloc_stats_t *st = &m->a->stats;
  fprintf(m->out, "<text x=\"%d\" y=\"24\" class=\"title\">CMX memory map: ", MAP_LEFT);
  map_escape(net, m->out);
  fprintf(m->out,
          " (one tile; tiles are symmetric)</text>\n<text x=\"%d\" y=\"44\" class=\"ax\">%d "
          "buffers, allocator %s, peak %lld B, lower bound %lld B (overhead %.2f%%), capacity "
          "%lld B, %d repairs</text>\n",
          MAP_LEFT, m->a->problem.n_buffers, m->a->allocator, (long long)st->peak_bytes,
          (long long)st->lower_bound_bytes, st->overhead_pct,
          (long long)m->a->problem.capacity_bytes, m->a->n_repairs);
  draw_legend(m);
}

int report_memory_map(const strat_problem_t *p, const schedule_alloc_t *a, const char *net,
                      FILE *out) {
  map_t m = {.p = p, .a = a, .out = out};
  int64_t top = SCHED_MAX(a->problem.capacity_bytes, a->stats.peak_bytes);
  m.top_bytes = (double)SCHED_MAX(top + top / 50, 1);
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
          "<style>.buf{stroke:#333;stroke-width:0.5}.lbl{font-size:%dpx;fill:#111}"
          ".ax{font-size:12px;fill:#333}.title{font-size:16px;font-weight:bold}"
          ".grid{stroke:#e4e4e4;stroke-width:1}.cap{stroke:#d00;stroke-width:2}"
          ".cap-t{font-size:12px;fill:#d00}.lb{stroke:#222;stroke-width:1.5;"
          "stroke-dasharray:6 4}.lb-t{font-size:12px;fill:#222}"
          ".region{fill:none;stroke:#000;stroke-width:2.5}.part{stroke:#333;stroke-width:0.3}"
          ".halo{stroke:none}.rlbl{font-size:%dpx;font-weight:bold;fill:#000;stroke:#fff;"
          "stroke-width:3;paint-order:stroke}</style>\n"
          "<defs><pattern id=\"halo\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
          "stroke=\"#000\" stroke-opacity=\"0.5\" stroke-width=\"2\"/></pattern></defs>\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          MAP_WIDTH, MAP_HEIGHT, MAP_WIDTH, MAP_HEIGHT, MAP_FONT, MAP_FONT + 1);
  draw_header(&m, net);
  draw_axes(&m);
  if (a->solution.n_buffers == a->problem.n_buffers)
    for (int i = 0; i < a->problem.n_buffers; i++)
      draw_buffer(&m, i);
  /* labels below the bound's line when the two lines are close */
  double gap_px =
      map_y(&m, (double)a->stats.lower_bound_bytes) - map_y(&m, (double)a->problem.capacity_bytes);
  level_line(&m, a->stats.lower_bound_bytes, "lb", "lower bound", gap_px < 34 ? 34 - gap_px : 0);
  level_line(&m, a->problem.capacity_bytes, "cap", "capacity",
             gap_px < 34 && gap_px > -34 ? -20 : 0);
  fputs("</svg>\n", out);
  return ferror(out) ? SCHED_ERR_INPUT : SCHED_OK;
}
