/* sweep.c - sweep files -> points.
 *
 * A sweep file names axes (nets, archs, cmx, solvers, options) and optional
 * variables; its points are the cross product, nets outermost, options
 * innermost, so the order is deterministic. A net may be a template with
 * `{var}` placeholders: it expands over the values of the variables it names
 * (first variable slowest). Explicit `points` are appended after the cross
 * product. The format is documented in experiments/README.md. */
#include "experiments/experiments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *values[256];
  int n;
} exp_var_values_t;

/* Everything parsed from one file, before expansion. */
typedef struct {
  const char *where;
  const char *base_dir;
  exp_var_values_t vars[EXP_MAX_VARS];
  const cJSON *nets, *archs, *cmx, *solvers, *options, *points;
} sweep_spec_t;

void exp_sweep_init(exp_sweep_t *s, const char *name) {
  memset(s, 0, sizeof *s);
  s->name = sched_xstrdup(name ? name : "sweep");
}

void exp_point_free(exp_point_t *p) {
  free(p->net);
  free(p->arch);
  free(p->cmx);
  free(p->solver);
  free(p->family);
  for (int i = 0; i < p->n_options; i++)
    free(p->options[i]);
  for (int i = 0; i < EXP_MAX_VARS; i++)
    free(p->var_values[i]);
  memset(p, 0, sizeof *p);
}

void exp_sweep_free(exp_sweep_t *s) {
  for (int i = 0; i < s->n_points; i++)
    exp_point_free(&s->points[i]);
  for (int i = 0; i < s->n_vars; i++)
    free(s->var_names[i]);
  free(s->points);
  free(s->name);
  memset(s, 0, sizeof *s);
}

static char *dup_or_null(const char *s) { return s ? sched_xstrdup(s) : NULL; }

void exp_sweep_add(exp_sweep_t *s, const exp_point_t *p) {
  sched_grow((void **)&s->points, &s->cap_points, s->n_points + 1, sizeof *s->points);
  exp_point_t *q = &s->points[s->n_points++];
  *q = (exp_point_t){.net = dup_or_null(p->net),
                     .arch = dup_or_null(p->arch),
                     .cmx = dup_or_null(p->cmx),
                     .solver = dup_or_null(p->solver),
                     .family = dup_or_null(p->family),
                     .n_options = p->n_options};
  for (int i = 0; i < p->n_options; i++)
    q->options[i] = sched_xstrdup(p->options[i]);
  for (int i = 0; i < EXP_MAX_VARS; i++)
    q->var_values[i] = dup_or_null(p->var_values[i]);
}

/* ---- reading the file ---- */

static bool has_suffix(const char *s, const char *suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* A relative .json/.onnx path resolved against base_dir (malloc'ed). */
static char *resolve_path(const char *base_dir, const char *value) {
  bool is_file = has_suffix(value, ".json") || has_suffix(value, ".onnx");
  if (!is_file || value[0] == '/' || !base_dir || !*base_dir)
    return sched_xstrdup(value);
  size_t n = strlen(base_dir) + strlen(value) + 2;
  char *path = sched_xmalloc(n);
  snprintf(path, n, "%s/%s", base_dir, value);
  return path;
}

static int key_error(const sweep_spec_t *sp, const char *key, const char *want,
                     sched_diag_t *diag) {
  return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: key '%s' must be %s", sp->where, key, want);
}

/* An array of strings (or NULL when absent and optional). */
static int get_strings(const cJSON *root, const char *key, const sweep_spec_t *sp,
                       const cJSON **out, sched_diag_t *diag) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
  *out = a;
  if (!a)
    return SCHED_OK;
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
    return key_error(sp, key, "a non-empty array of strings", diag);
  const cJSON *v;
  cJSON_ArrayForEach(v, a) if (!cJSON_IsString(v)) return key_error(
      sp, key, "a non-empty array of strings", diag);
  return SCHED_OK;
}

static void var_value_add(exp_var_values_t *vv, const char *text) {
  if (vv->n < SCHED_ARRAY_LEN(vv->values))
    vv->values[vv->n++] = sched_xstrdup(text);
}

/* A variable: an array of numbers/strings, or {"from", "to", "step"}. */
static int parse_var(const cJSON *v, const sweep_spec_t *sp, exp_var_values_t *vv,
                     sched_diag_t *diag) {
  char buf[64];
  if (cJSON_IsObject(v)) {
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(v, "from");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(v, "to");
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(v, "step");
    double dstep = cJSON_IsNumber(step) ? step->valuedouble : 1;
    /* Finite bounds, from <= to, and values counted up front: a range whose
     * step cannot move x (1e17 + 1, a step of 1e-300) is refused instead of
     * looping, and x is from + i * step, never a running sum. */
    bool finite = cJSON_IsNumber(from) && cJSON_IsNumber(to) && isfinite(from->valuedouble) &&
                  isfinite(to->valuedouble) && isfinite(dstep);
    double span = finite ? (to->valuedouble - from->valuedouble) / dstep : -1;
    if (!finite || dstep <= 0 || !(span >= 0) || span >= 256 ||
        from->valuedouble + dstep == from->valuedouble)
      return key_error(sp, v->string,
                       "{\"from\": N, \"to\": M >= N, \"step\": S>0} (finite numbers, S large "
                       "enough to change N), at most 256 values",
                       diag);
    int n = (int)floor(span + 1e-9) + 1;
    for (int i = 0; i < n; i++) {
      exp_format_number(from->valuedouble + i * dstep, buf, sizeof buf);
      var_value_add(vv, buf);
    }
    return SCHED_OK;
  }
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0 || cJSON_GetArraySize(v) > 256)
    return key_error(sp, v->string, "an array of 1..256 values or a range", diag);
  const cJSON *e;
  cJSON_ArrayForEach(e, v) {
    if (cJSON_IsNumber(e))
      exp_format_number(e->valuedouble, buf, sizeof buf);
    else if (!cJSON_IsString(e))
      return key_error(sp, v->string, "an array of numbers or strings", diag);
    var_value_add(vv, cJSON_IsString(e) ? e->valuestring : buf);
  }
  return SCHED_OK;
}

static int parse_vars(const cJSON *root, sweep_spec_t *sp, exp_sweep_t *out, sched_diag_t *diag) {
  const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "vars");
  if (!vars)
    return SCHED_OK;
  if (!cJSON_IsObject(vars) || cJSON_GetArraySize(vars) > EXP_MAX_VARS)
    return key_error(sp, "vars", "an object of at most 8 variables", diag);
  const cJSON *v;
  cJSON_ArrayForEach(v, vars) {
    int rc = parse_var(v, sp, &sp->vars[out->n_vars], diag);
    out->var_names[out->n_vars++] = sched_xstrdup(v->string);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int check_keys(const cJSON *root, const sweep_spec_t *sp, sched_diag_t *diag) {
  static const char *const known[] = {"name",    "description", "finding", "vars",
                                      "nets",    "archs",       "cmx",     "solvers",
                                      "options", "points",      "format",  "version"};
  const cJSON *item;
  cJSON_ArrayForEach(item, root) {
    bool ok = false;
    for (int i = 0; i < SCHED_ARRAY_LEN(known) && !ok; i++)
      ok = strcmp(item->string, known[i]) == 0;
    if (!ok)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: unknown key '%s'", sp->where, item->string);
  }
  return SCHED_OK;
}

static int check_options(const cJSON *options, const sweep_spec_t *sp, sched_diag_t *diag) {
  if (!options)
    return SCHED_OK;
  const char *want = "an array of argument arrays, e.g. [[], [\"--objective\", \"bandwidth\"]]";
  if (!cJSON_IsArray(options) || cJSON_GetArraySize(options) == 0)
    return key_error(sp, "options", want, diag);
  const cJSON *o, *a;
  cJSON_ArrayForEach(o, options) {
    if (!cJSON_IsArray(o) || cJSON_GetArraySize(o) > EXP_MAX_OPTIONS)
      return key_error(sp, "options", want, diag);
    cJSON_ArrayForEach(a, o) if (!cJSON_IsString(a)) return key_error(sp, "options", want, diag);
  }
  return SCHED_OK;
}

static int parse_axes(const cJSON *root, sweep_spec_t *sp, sched_diag_t *diag) {
  int rc = get_strings(root, "nets", sp, &sp->nets, diag);
  if (rc == SCHED_OK)
    rc = get_strings(root, "archs", sp, &sp->archs, diag);
  if (rc == SCHED_OK)
    rc = get_strings(root, "cmx", sp, &sp->cmx, diag);
  if (rc == SCHED_OK)
    rc = get_strings(root, "solvers", sp, &sp->solvers, diag);
  sp->options = cJSON_GetObjectItemCaseSensitive(root, "options");
  sp->points = cJSON_GetObjectItemCaseSensitive(root, "points");
  if (rc == SCHED_OK)
    rc = check_options(sp->options, sp, diag);
  if (rc == SCHED_OK && sp->points && !cJSON_IsArray(sp->points))
    rc = key_error(sp, "points", "an array of objects", diag);
  if (rc == SCHED_OK && !sp->nets && !sp->points)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: needs 'nets' or 'points'", sp->where);
  return rc;
}

/* ---- expansion ---- */

/* The variable whose {name} starts at c, or -1. */
static int placeholder_at(const char *c, const exp_sweep_t *s) {
  for (int v = 0; v < s->n_vars; v++) {
    size_t n = strlen(s->var_names[v]);
    if (c[0] == '{' && strncmp(c + 1, s->var_names[v], n) == 0 && c[n + 1] == '}')
      return v;
  }
  return -1;
}

/* The template with every {var} replaced by its value in vals. Two passes
 * over the same walk: the first measures, so any number of uses fits. */
static char *substitute(const char *tmpl, const exp_sweep_t *s, char *const *vals) {
  char *out = NULL;
  size_t len = 0;
  for (int pass = 0; pass < 2; pass++) {
    len = 0;
    for (const char *c = tmpl; *c;) {
      int hit = placeholder_at(c, s);
      const char *piece = hit >= 0 && vals[hit] ? vals[hit] : c;
      size_t n = hit >= 0 && vals[hit] ? strlen(vals[hit]) : 1;
      if (out)
        memcpy(out + len, piece, n);
      len += n;
      c += hit >= 0 && vals[hit] ? strlen(s->var_names[hit]) + 2 : 1;
    }
    if (!out)
      out = sched_xmalloc(len + 1);
  }
  out[len] = '\0';
  return out;
}

static bool uses_var(const char *tmpl, const char *name) {
  char key[80];
  snprintf(key, sizeof key, "{%s}", name);
  return strstr(tmpl, key) != NULL;
}

static const char *axis_at(const cJSON *axis, int i, const char *fallback) {
  if (!axis)
    return fallback;
  const char *v = cJSON_GetArrayItem(axis, i)->valuestring;
  return *v ? v : NULL;
}

static int axis_len(const cJSON *axis) { return axis ? cJSON_GetArraySize(axis) : 1; }

static void set_options(exp_point_t *p, const cJSON *opts) {
  const cJSON *a;
  p->n_options = 0;
  cJSON_ArrayForEach(a, opts) p->options[p->n_options++] = a->valuestring;
}

/* Adds the archs x cmx x solvers x options points for one expanded net. */
static void add_inner(const sweep_spec_t *sp, exp_point_t *p, exp_sweep_t *out) {
  for (int a = 0; a < axis_len(sp->archs); a++)
    for (int c = 0; c < axis_len(sp->cmx); c++)
      for (int v = 0; v < axis_len(sp->solvers); v++)
        for (int o = 0; o < axis_len(sp->options); o++) {
          /* "" in archs or solvers means the default, as it does for cmx */
          const char *arch_name = axis_at(sp->archs, a, "vpu27");
          const char *solver = axis_at(sp->solvers, v, "greedy");
          char *arch = resolve_path(sp->base_dir, arch_name ? arch_name : "vpu27");
          p->arch = arch;
          p->cmx = (char *)axis_at(sp->cmx, c, NULL);
          p->solver = (char *)(solver ? solver : "greedy");
          p->n_options = 0;
          if (sp->options)
            set_options(p, cJSON_GetArrayItem(sp->options, o));
          exp_sweep_add(out, p); /* deep copy; p borrows */
          free(arch);
        }
}

/* Expands one net template over the variables it names (mixed radix). */
static void expand_net(const sweep_spec_t *sp, const char *tmpl, exp_sweep_t *out) {
  int used[EXP_MAX_VARS], n_used = 0, digit[EXP_MAX_VARS] = {0};
  for (int v = 0; v < out->n_vars; v++)
    if (uses_var(tmpl, out->var_names[v]))
      used[n_used++] = v;
  for (;;) {
    exp_point_t p = {0};
    for (int u = 0; u < n_used; u++)
      p.var_values[used[u]] = sp->vars[used[u]].values[digit[u]];
    p.family = n_used ? (char *)tmpl : NULL;
    char *net = substitute(tmpl, out, p.var_values);
    p.net = resolve_path(sp->base_dir, net);
    free(net);
    add_inner(sp, &p, out);
    free(p.net);
    int u = n_used - 1; /* last variable fastest */
    while (u >= 0 && ++digit[u] == sp->vars[used[u]].n)
      digit[u--] = 0;
    if (u < 0)
      return;
  }
}

static const char *point_string(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

/* Explicit points: {"net", "arch", "cmx", "solver", "options"} objects. */
static int add_points(const sweep_spec_t *sp, exp_sweep_t *out, sched_diag_t *diag) {
  const cJSON *o;
  cJSON_ArrayForEach(o, sp->points) {
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(o, "options");
    if (!cJSON_IsObject(o) || !point_string(o, "net") ||
        (opts && (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) > EXP_MAX_OPTIONS)))
      return key_error(sp, "points", "objects with a 'net' string (and arch, cmx, solver)", diag);
    const char *arch = point_string(o, "arch") ? point_string(o, "arch") : "vpu27";
    exp_point_t p = {
        .net = resolve_path(sp->base_dir, point_string(o, "net")),
        .arch = resolve_path(sp->base_dir, arch),
        .cmx = (char *)point_string(o, "cmx"),
        .solver = (char *)(point_string(o, "solver") ? point_string(o, "solver") : "greedy")};
    const cJSON *a;
    cJSON_ArrayForEach(a, opts) if (cJSON_IsString(a)) p.options[p.n_options++] = a->valuestring;
    exp_sweep_add(out, &p);
    free(p.net);
    free(p.arch);
  }
  return SCHED_OK;
}

static void free_vars(sweep_spec_t *sp) {
  for (int v = 0; v < EXP_MAX_VARS; v++)
    for (int i = 0; i < sp->vars[v].n; i++)
      free(sp->vars[v].values[i]);
}

/* The number of points the file expands to, counted before expanding so
 * that 8 variables x 256 values is an error, not an out-of-memory. */
static int count_points(const sweep_spec_t *sp, const exp_sweep_t *out, sched_diag_t *diag) {
  int64_t inner = 1, total = sp->points ? cJSON_GetArraySize(sp->points) : 0;
  const cJSON *axes[] = {sp->archs, sp->cmx, sp->solvers, sp->options};
  for (int a = 0; a < SCHED_ARRAY_LEN(axes); a++)
    inner *= axis_len(axes[a]); /* each axis is a JSON array: small */
  const cJSON *net;
  bool fits = inner <= EXP_MAX_POINTS;
  cJSON_ArrayForEach(net, sp->nets) {
    int64_t n = inner;
    for (int v = 0; v < out->n_vars && fits; v++)
      if (uses_var(net->valuestring, out->var_names[v]))
        fits = sched_mul_i64(n, sp->vars[v].n, &n) && n <= EXP_MAX_POINTS;
    fits = fits && sched_add_i64(total, n, &total) && total <= EXP_MAX_POINTS;
  }
  if (!fits || total > EXP_MAX_POINTS)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: more than %d points; split the sweep",
                          sp->where, EXP_MAX_POINTS);
  return SCHED_OK;
}

static int parse_root(const cJSON *root, sweep_spec_t *sp, exp_sweep_t *out, sched_diag_t *diag) {
  if (!cJSON_IsObject(root))
    return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: not a JSON object", sp->where);
  const char *name = point_string(root, "name");
  if (name) {
    free(out->name);
    out->name = sched_xstrdup(name);
  }
  int rc = check_keys(root, sp, diag);
  if (rc == SCHED_OK)
    rc = parse_vars(root, sp, out, diag);
  if (rc == SCHED_OK)
    rc = parse_axes(root, sp, diag);
  if (rc == SCHED_OK)
    rc = count_points(sp, out, diag);
  const cJSON *net;
  if (rc == SCHED_OK && sp->nets)
    cJSON_ArrayForEach(net, sp->nets) expand_net(sp, net->valuestring, out);
  if (rc == SCHED_OK && sp->points)
    rc = add_points(sp, out, diag);
  return rc;
}

int exp_sweep_parse(const char *text, const char *where, const char *base_dir, exp_sweep_t *out,
                    sched_diag_t *diag) {
  exp_sweep_init(out, NULL);
  cJSON *root = sched_json_parse(text, strlen(text), where, diag);
  if (!root)
    return SCHED_ERR_INPUT;
  sweep_spec_t sp = {.where = where, .base_dir = base_dir};
  int rc = parse_root(root, &sp, out, diag);
  free_vars(&sp);
  cJSON_Delete(root);
  return rc;
}

/* Reads a whole file (at most 16 MiB) into a malloc'ed string. */
static int read_text(const char *path, char **text, sched_diag_t *diag) {
  return sched_file_read(path, "sweep file", EXP_SWEEP_MAX_FILE_BYTES, text, NULL, diag);
}

int exp_sweep_load(const char *path, exp_sweep_t *out, sched_diag_t *diag) {
  char *text = NULL;
  int rc = read_text(path, &text, diag);
  if (rc != SCHED_OK) {
    exp_sweep_init(out, NULL);
    return rc;
  }
  char *dir = sched_xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  rc = exp_sweep_parse(text, path, slash ? dir : "", out, diag);
  free(dir);
  free(text);
  return rc;
}

/* ---- points as command lines ---- */

int exp_point_argv(const exp_point_t *p, const char **argv) {
  int n = 0;
  argv[n++] = "--net";
  argv[n++] = p->net;
  if (p->arch) {
    argv[n++] = "--arch";
    argv[n++] = p->arch;
  }
  if (p->cmx) {
    argv[n++] = "--cmx";
    argv[n++] = p->cmx;
  }
  if (p->solver) {
    argv[n++] = "--solver";
    argv[n++] = p->solver;
  }
  for (int i = 0; i < p->n_options; i++)
    argv[n++] = p->options[i];
  argv[n++] = "--format";
  argv[n++] = "json";
  argv[n++] = "--no-timing";
  argv[n] = NULL;
  return n;
}

static void print_quoted(const char *arg, FILE *out) {
  bool plain = *arg != '\0';
  for (const char *c = arg; *c && plain; c++)
    plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=:,./+@%",
                   *c) != NULL;
  if (plain) {
    fputs(arg, out);
    return;
  }
  fputc('\'', out);
  for (const char *c = arg; *c; c++)
    *c == '\'' ? fputs("'\\''", out) : fputc(*c, out);
  fputc('\'', out);
}

void exp_point_print_command(const exp_point_t *p, const char *program, FILE *out) {
  const char *argv[EXP_MAX_OPTIONS + 16];
  int argc = exp_point_argv(p, argv);
  print_quoted(program, out);
  for (int i = 0; i < argc; i++) {
    fputc(' ', out);
    print_quoted(argv[i], out);
  }
  fputc('\n', out);
}

char *exp_point_options_text(const exp_point_t *p) {
  size_t n = 1;
  for (int i = 0; i < p->n_options; i++)
    n += strlen(p->options[i]) + 1;
  char *text = sched_xcalloc(1, n);
  for (int i = 0; i < p->n_options; i++) {
    if (i)
      strcat(text, " ");
    strcat(text, p->options[i]);
  }
  return text;
}
