/* plot.c - result tables -> gnuplot scripts.
 *
 * The script is self-contained (data inline as gnuplot datablocks), so it
 * can be kept next to the picture and re-rendered or edited by hand. One
 * panel per value of the panel column (multiplot), one line or bar colour
 * per value of the series column, both in order of first appearance in the
 * table, which keeps the pictures deterministic. */
#include "experiments/experiments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Distinct values of one column among the selected rows. */
typedef struct {
  const char *v[256];
  int n;
} plot_keys_t;

typedef struct {
  const exp_table_t *t;
  const exp_plot_params_t *p;
  int x, y, series, panel, status;
  plot_keys_t series_keys, panel_keys, x_keys;
} plot_ctx_t;

static int key_index(plot_keys_t *k, const char *v, bool add) {
  for (int i = 0; i < k->n; i++)
    if (strcmp(k->v[i], v) == 0)
      return i;
  if (!add || k->n == SCHED_ARRAY_LEN(k->v))
    return -1;
  k->v[k->n] = v;
  return k->n++;
}

static bool row_selected(const plot_ctx_t *c, int r) {
  if (c->status >= 0 && strcmp(exp_table_get(c->t, r, c->status), "ok") != 0)
    return false;
  for (int i = 0; i < c->p->n_where; i++) {
    const char *eq = strchr(c->p->where[i], '=');
    char col[64];
    snprintf(col, sizeof col, "%.*s", eq ? (int)(eq - c->p->where[i]) : 0, c->p->where[i]);
    if (!eq || strcmp(exp_table_get(c->t, r, exp_table_find(c->t, col)), eq + 1) != 0)
      return false;
  }
  return *exp_table_get(c->t, r, c->y) != '\0';
}

static const char *cell(const plot_ctx_t *c, int r, int col) {
  return col >= 0 ? exp_table_get(c->t, r, col) : "";
}

static int find_col(const exp_table_t *t, const char *name, bool required, int *out,
                    sched_diag_t *diag) {
  *out = name ? exp_table_find(t, name) : -1;
  if (*out < 0 && (required || name))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "no column '%s' in the table",
                          name ? name : "(none given)");
  return SCHED_OK;
}

static bool same_point(const plot_ctx_t *c, int a, int b) {
  const int cols[] = {c->panel, c->series, c->x};
  for (int i = 0; i < 3; i++)
    if (strcmp(cell(c, a, cols[i]), cell(c, b, cols[i])) != 0)
      return false;
  return true;
}

/* Two selected rows at one (panel, series, x) would be averaged (lines) or
 * one dropped (bars): an error naming them, never a silent mean. */
static int check_unique(const plot_ctx_t *c, sched_diag_t *diag) {
  for (int a = 0; a < c->t->n_rows; a++)
    for (int b = a + 1; row_selected(c, a) && b < c->t->n_rows; b++)
      if (row_selected(c, b) && same_point(c, a, b))
        return sched_diag_set(
            diag, SCHED_ERR_INPUT,
            "rows %d and %d share panel '%s', series '%s' and %s '%s' (y %s and %s): tell them "
            "apart with --series, --panel or --where COL=VALUE",
            a + 1, b + 1, cell(c, a, c->panel), cell(c, a, c->series), c->p->x, cell(c, a, c->x),
            cell(c, a, c->y), cell(c, b, c->y));
  return SCHED_OK;
}

static int init_ctx(const exp_table_t *t, const exp_plot_params_t *p, plot_ctx_t *c,
                    sched_diag_t *diag) {
  *c = (plot_ctx_t){.t = t, .p = p, .status = exp_table_find(t, "status")};
  int rc = find_col(t, p->x, true, &c->x, diag);
  if (rc == SCHED_OK)
    rc = find_col(t, p->y, true, &c->y, diag);
  if (rc == SCHED_OK)
    rc = find_col(t, p->series, false, &c->series, diag);
  if (rc == SCHED_OK)
    rc = find_col(t, p->panel, false, &c->panel, diag);
  for (int r = 0; rc == SCHED_OK && r < t->n_rows; r++)
    if (row_selected(c, r)) {
      key_index(&c->series_keys, cell(c, r, c->series), true);
      key_index(&c->panel_keys, cell(c, r, c->panel), true);
      key_index(&c->x_keys, cell(c, r, c->x), true);
    }
  if (rc == SCHED_OK && c->x_keys.n == 0)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "no rows to plot (status ok, selected, with %s)",
                        p->y);
  return rc == SCHED_OK ? check_unique(c, diag) : rc;
}

/* ---- script pieces ---- */

static void put_label(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++)
    fputc(*s == '"' ? '\'' : *s, f);
  fputc('"', f);
}

static void put_terminal(FILE *f, const char *out_path, int panels, int width_px) {
  int cols = (int)ceil(sqrt(panels));
  int rows = (panels + cols - 1) / cols;
  size_t n = strlen(out_path);
  bool svg = n > 4 && strcmp(out_path + n - 4, ".svg") == 0;
  fprintf(f, "set terminal %s size %d,%d noenhanced font \"sans,%d\"%s\n", svg ? "svg" : "pngcairo",
          width_px * cols, 420 * rows, panels > 1 ? 9 : 10, svg ? " background rgb \"white\"" : "");
  fputs("set output ", f);
  put_label(f, out_path);
  fprintf(
      f, "\nset grid ytics\nset key outside right top noopaque\nset border 3\nset tics nomirror\n");
  if (panels > 1)
    fprintf(f, "set multiplot layout %d,%d\n", rows, cols);
}

static void put_axes(FILE *f, const plot_ctx_t *c, const char *panel_title) {
  const exp_plot_params_t *p = c->p;
  fputs("set title ", f);
  char title[256];
  snprintf(title, sizeof title, "%s%s%s", p->title ? p->title : "",
           p->title && *panel_title ? " - " : "", panel_title);
  put_label(f, title);
  char xl[160], yl[160];
  if (p->x_label) /* the axis says what --xscale divided by */
    snprintf(xl, sizeof xl, "%s", p->x_label);
  else if (p->x_scale > 0 && p->x_scale != 1)
    snprintf(xl, sizeof xl, "%s / %.15g", p->x, p->x_scale);
  else
    snprintf(xl, sizeof xl, "%s", p->x);
  if (p->y_label)
    snprintf(yl, sizeof yl, "%s", p->y_label);
  else if (p->kind == EXP_PLOT_GAP)
    snprintf(yl, sizeof yl, "%% above the best %s (%s)", p->series ? p->series : "series", p->y);
  else
    snprintf(yl, sizeof yl, "%s", p->y);
  fputs("\nset xlabel ", f);
  put_label(f, xl);
  fputs("\nset ylabel ", f);
  put_label(f, yl);
  fprintf(f, "\n%s\n%s\n", p->log_x ? "set logscale x 2" : "unset logscale x",
          p->log_y ? "set logscale y" : "unset logscale y");
}

/* A series' legend entry: "col=value" for bare numbers, else the value. */
static void put_series_label(FILE *f, const plot_ctx_t *c, int series) {
  const char *v = c->series_keys.v[series];
  char *end = NULL;
  char label[256];
  if (!*v)
    snprintf(label, sizeof label, "%s", c->p->y);
  else if (strtod(v, &end) == 0 && end == v)
    snprintf(label, sizeof label, "%s", v);
  else
    snprintf(label, sizeof label, "%s%s%s", *end ? "" : c->p->series, *end ? "" : "=", v);
  put_label(f, label);
}

/* ---- lines ---- */

static void lines_block(FILE *f, const plot_ctx_t *c, int panel, int series) {
  double scale = c->p->x_scale > 0 ? c->p->x_scale : 1;
  fprintf(f, "$p%ds%d << EOD\n", panel, series);
  for (int r = 0; r < c->t->n_rows; r++)
    if (row_selected(c, r) && strcmp(cell(c, r, c->panel), c->panel_keys.v[panel]) == 0 &&
        strcmp(cell(c, r, c->series), c->series_keys.v[series]) == 0)
      fprintf(f, "%.17g %s\n", strtod(cell(c, r, c->x), NULL) / scale, cell(c, r, c->y));
  fputs("EOD\n", f);
}

static void plot_lines(FILE *f, const plot_ctx_t *c) {
  for (int pn = 0; pn < c->panel_keys.n; pn++)
    for (int s = 0; s < c->series_keys.n; s++)
      lines_block(f, c, pn, s);
  fputs("unset xtics\nset xtics\nset style data linespoints\n", f);
  for (int pn = 0; pn < c->panel_keys.n; pn++) {
    put_axes(f, c, c->panel_keys.v[pn]);
    fputs("plot ", f);
    for (int s = 0; s < c->series_keys.n; s++) {
      fprintf(f, "%s$p%ds%d using 1:2 smooth unique with linespoints lw 2 pt %d title ",
              s ? ", \\\n     " : "", pn, s, 5 + s % 8);
      put_series_label(f, c, s);
    }
    fputc('\n', f);
  }
}

/* ---- bars and gaps ---- */

/* y of the first selected row at (panel, x, series); NaN when none. */
static double value_at(const plot_ctx_t *c, int panel, int x, int series) {
  for (int r = 0; r < c->t->n_rows; r++)
    if (row_selected(c, r) && strcmp(cell(c, r, c->panel), c->panel_keys.v[panel]) == 0 &&
        strcmp(cell(c, r, c->x), c->x_keys.v[x]) == 0 &&
        strcmp(cell(c, r, c->series), c->series_keys.v[series]) == 0)
      return strtod(cell(c, r, c->y), NULL);
  return NAN;
}

static double gap_percent(const plot_ctx_t *c, int panel, int x, int series) {
  double best = INFINITY, v = value_at(c, panel, x, series);
  for (int s = 0; s < c->series_keys.n; s++) {
    double o = value_at(c, panel, x, s);
    if (!isnan(o) && o < best)
      best = o;
  }
  return isnan(v) || best <= 0 ? NAN : 100 * (v / best - 1);
}

static void bars_block(FILE *f, const plot_ctx_t *c, int panel, bool gap) {
  fprintf(f, "$p%d << EOD\n", panel);
  for (int x = 0; x < c->x_keys.n; x++) {
    bool any = false; /* x categories without rows in this panel are left out */
    for (int s = 0; s < c->series_keys.n && !any; s++)
      any = !isnan(value_at(c, panel, x, s));
    if (!any)
      continue;
    put_label(f, c->x_keys.v[x]);
    for (int s = 0; s < c->series_keys.n; s++) {
      double v = gap ? gap_percent(c, panel, x, s) : value_at(c, panel, x, s);
      isnan(v) ? fputs(" NaN", f) : fprintf(f, " %.17g", v);
    }
    fputc('\n', f);
  }
  fputs("EOD\n", f);
}

static void plot_bars(FILE *f, const plot_ctx_t *c, bool gap) {
  for (int pn = 0; pn < c->panel_keys.n; pn++)
    bars_block(f, c, pn, gap);
  fputs("set style data histograms\nset style histogram clustered gap 1\n"
        "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
        "set xtics rotate by -35 left\n",
        f);
  fputs(c->p->log_y ? "set yrange [*:*]\n" : "set yrange [0:*]\n", f);
  for (int pn = 0; pn < c->panel_keys.n; pn++) {
    put_axes(f, c, c->panel_keys.v[pn]);
    fputs("plot ", f);
    for (int s = 0; s < c->series_keys.n; s++) {
      fprintf(f, "%s$p%d using %d%s title ", s ? ", \\\n     " : "", pn, s + 2,
              s ? "" : ":xtic(1)");
      put_series_label(f, c, s);
    }
    fputc('\n', f);
  }
}

/* ---- layers: compute and DMA per layer, side by side ---- */

/* Side by side, not stacked: a layer's DMA overlaps its compute, so a stack
 * would suggest a sum the layer never pays. */

static void plot_layers(FILE *f, const exp_table_t *t) {
  int name = exp_table_find(t, "name"), compute = exp_table_find(t, "compute_us");
  int dma = exp_table_find(t, "dma_us");
  fputs("$layers << EOD\n", f);
  for (int r = 0; r < t->n_rows; r++) {
    put_label(f, exp_table_get(t, r, name));
    fprintf(f, " %s %s\n", exp_table_get(t, r, compute), exp_table_get(t, r, dma));
  }
  fputs("EOD\n", f);
  fprintf(f,
          "set style data histograms\nset style histogram clustered gap 1\n"
          "set style fill solid 0.85 border -1\nset boxwidth 0.8\nset yrange [0:*]\n"
          "set xtics rotate by -60 left font \",%d\"\n"
          "plot $layers using 2:xtic(1) title \"compute (DPU/SHAVE) us\" lc rgb \"#4477aa\", "
          "'' using 3 title \"DMA us\" lc rgb \"#ee6677\"\n",
          t->n_rows > 40 ? 6 : 8);
}

static int layers_script(const exp_table_t *t, const exp_plot_params_t *p, const char *out_path,
                         FILE *script, sched_diag_t *diag) {
  if (exp_table_find(t, "name") < 0 || exp_table_find(t, "compute_us") < 0 ||
      exp_table_find(t, "dma_us") < 0)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "layers plot needs name, compute_us, dma_us");
  int width = SCHED_MAX(640, SCHED_MIN(2400, 18 * t->n_rows + 200));
  put_terminal(script, out_path, 1, width);
  fputs("set title ", script);
  put_label(script, p->title ? p->title : "per-layer compute vs DMA");
  fputs("\nset ylabel \"time (us)\"\nset xlabel \"layer\"\nset key inside top left\n", script);
  plot_layers(script, t);
  return SCHED_OK;
}

int exp_plot_script(const exp_table_t *t, const exp_plot_params_t *p, const char *out_path,
                    FILE *script, sched_diag_t *diag) {
  if (p->kind == EXP_PLOT_LAYERS)
    return layers_script(t, p, out_path, script, diag);
  plot_ctx_t c;
  int rc = init_ctx(t, p, &c, diag);
  if (rc != SCHED_OK)
    return rc;
  int width = p->kind == EXP_PLOT_LINES ? 560 : SCHED_MAX(560, 60 * c.x_keys.n + 160);
  put_terminal(script, out_path, c.panel_keys.n, SCHED_MIN(width, 1600));
  if (p->kind == EXP_PLOT_LINES)
    plot_lines(script, &c);
  else
    plot_bars(script, &c, p->kind == EXP_PLOT_GAP);
  if (c.panel_keys.n > 1)
    fputs("unset multiplot\n", script);
  return SCHED_OK;
}

/* ---- a report's layers as a table ---- */

int exp_table_from_report(const char *report_path, exp_table_t *out, sched_diag_t *diag) {
  exp_table_init(out);
  char *text;
  int rc = sched_file_read(report_path, "report", EXP_REPORT_MAX_FILE_BYTES, &text, NULL, diag);
  if (rc != SCHED_OK)
    return rc;
  cJSON *root = sched_json_parse(text, strlen(text), report_path, diag);
  free(text);
  if (!root)
    return SCHED_ERR_INPUT;
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers"), *l, *v;
  cJSON_ArrayForEach(l, layers) {
    int row = exp_table_add_row(out);
    cJSON_ArrayForEach(v, l) {
      char buf[64];
      if (cJSON_IsNumber(v))
        exp_format_number(v->valuedouble, buf, sizeof buf);
      if (cJSON_IsNumber(v) || cJSON_IsString(v))
        exp_table_set(out, row, exp_table_col(out, v->string),
                      cJSON_IsNumber(v) ? buf : v->valuestring);
    }
  }
  cJSON_Delete(root);
  return out->n_rows > 0 ? SCHED_OK
                         : sched_diag_set(diag, SCHED_ERR_INPUT,
                                          "%s: not a JSON report with layers", report_path);
}
