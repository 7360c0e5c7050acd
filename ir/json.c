/* json.c - the JSON IR: writes any graph as a small documented JSON file
 * (ir/JSON_IR.md) and reads it back. cJSON builds and parses every value;
 * the writer lays the file out one input / op per line so it diffs well.
 *
 * The writer requires a sorted graph with unique tensor names and writes
 * attributes only when they differ from their defaults, so write -> read ->
 * write is byte-identical. The reader adds the ops with their inputs
 * resolved by name (forward references allowed), sorts with ir_graph_sort
 * (which names a cycle), then infers and caps every shape in order. Every
 * error names the file, the op and the key. */
#include "ir/ir_internal.h"
#include "ir/reader.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_BYTES ((size_t)256 << 20)

/* ---- writing ---- */

/* The shortest decimal that reads back as the same float; infinities and NaN
 * (which JSON lacks) as the strings "inf", "-inf", "nan". */
static cJSON *float_item(float f) {
  if (isnan(f))
    return cJSON_CreateString("nan");
  if (isinf(f))
    return cJSON_CreateString(f > 0 ? "inf" : "-inf");
  char buf[32];
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
    if (strtof(buf, NULL) == f)
      break;
  }
  return cJSON_CreateNumber(strtod(buf, NULL));
}

static cJSON *int_array(const int64_t *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
  return a;
}

static cJSON *shape_item(ir_shape_t s) {
  int64_t v[4] = {s.n, s.c, s.h, s.w};
  return int_array(v, 4);
}

/* Adds key: [v...] unless every v equals def. */
static void add_ints(cJSON *o, const char *key, const int32_t *v, int n, int32_t def) {
  int64_t wide[4];
  bool needed = false;
  for (int i = 0; i < n; i++) {
    wide[i] = v[i];
    needed = needed || v[i] != def;
  }
  if (needed)
    cJSON_AddItemToObject(o, key, int_array(wide, n));
}

static void add_attrs(cJSON *o, const ir_attrs_t *a) {
  add_ints(o, "kernel", (int32_t[]){a->kernel_h, a->kernel_w}, 2, 0);
  add_ints(o, "stride", (int32_t[]){a->stride_h, a->stride_w}, 2, 1);
  add_ints(o, "pads", (int32_t[]){a->pad_top, a->pad_bottom, a->pad_left, a->pad_right}, 4, 0);
  add_ints(o, "dilation", (int32_t[]){a->dilation_h, a->dilation_w}, 2, 1);
  add_ints(o, "groups", &a->groups, 1, 1);
  add_ints(o, "out_channels", &a->out_channels, 1, 0);
  add_ints(o, "output_pad", (int32_t[]){a->output_pad_h, a->output_pad_w}, 2, 0);
  if (a->has_bias)
    cJSON_AddTrueToObject(o, "bias");
  if (a->alpha != 0)
    cJSON_AddItemToObject(o, "alpha", float_item(a->alpha));
  if (a->clamp_min != 0 || a->clamp_max != 0) {
    cJSON *c = cJSON_AddArrayToObject(o, "clamp");
    cJSON_AddItemToArray(c, float_item(a->clamp_min));
    cJSON_AddItemToArray(c, float_item(a->clamp_max));
  }
  if (a->upsample_mode != IR_UPSAMPLE_NEAREST)
    cJSON_AddStringToObject(o, "mode", ir_upsample_mode_name(a->upsample_mode));
  add_ints(o, "scale", &a->scale, 1, 1);
  ir_shape_t r = a->reshape_to;
  if (r.n || r.c || r.h || r.w)
    cJSON_AddItemToObject(o, "reshape_to", shape_item(r));
  add_ints(o, "perm", a->perm, 4, 0);
  if (a->axis != IR_AXIS_C)
    cJSON_AddStringToObject(o, "axis", ir_axis_name(a->axis));
  add_ints(o, "slice", (int32_t[]){a->slice_start, a->slice_end}, 2, 0);
  if (a->transpose_b)
    cJSON_AddTrueToObject(o, "transpose_b");
  add_ints(o, "vocab", &a->vocab, 1, 0);
}

/* Single-item arrays are written as plain numbers (groups, out_channels,
 * scale): add_ints wrote [v]; unwrap them. */
static void unwrap_scalars(cJSON *o) {
  static const char *const keys[] = {"groups", "out_channels", "scale", "vocab"};
  for (int i = 0; i < SCHED_ARRAY_LEN(keys); i++) {
    cJSON *a = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
    if (a)
      cJSON_ReplaceItemInObjectCaseSensitive(
          o, keys[i], cJSON_CreateNumber(cJSON_GetArrayItem(a, 0)->valuedouble));
  }
}

static cJSON *op_item(const ir_graph_t *g, const ir_op_t *op) {
  cJSON *o = cJSON_CreateObject();
  const ir_tensor_t *out = &g->tensors[op->output];
  cJSON_AddStringToObject(o, "name", op->name);
  cJSON_AddStringToObject(o, "kind", ir_op_kind_name(op->kind));
  if (op->generic_type)
    cJSON_AddStringToObject(o, "type", op->generic_type);
  cJSON *in = cJSON_AddArrayToObject(o, "inputs");
  for (int i = 0; i < op->n_inputs; i++)
    cJSON_AddItemToArray(in, cJSON_CreateString(g->tensors[op->inputs[i]].name));
  if (strcmp(out->name, op->name) != 0)
    cJSON_AddStringToObject(o, "output", out->name);
  if (op->n_inputs == 0 || out->dtype != g->tensors[op->inputs[0]].dtype)
    cJSON_AddStringToObject(o, "dtype", ir_dtype_name(out->dtype));
  cJSON_AddItemToObject(o, "shape", shape_item(out->shape));
  add_attrs(o, &op->attrs);
  unwrap_scalars(o);
  if (op->fused_act != IR_OP_NONE)
    cJSON_AddStringToObject(o, "act", ir_op_kind_name(op->fused_act));
  return o;
}

static cJSON *input_item(const ir_graph_t *g, int t) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", g->tensors[t].name);
  cJSON_AddItemToObject(o, "shape", shape_item(g->tensors[t].shape));
  cJSON_AddStringToObject(o, "dtype", ir_dtype_name(g->tensors[t].dtype));
  return o;
}

/* Appends one compact line "    <item>,\n" (no comma after the last). */
static void put_item(FILE *f, cJSON *item, bool last) {
  char *s = sched_json_print(item, false);
  fprintf(f, "    %s%s\n", s, last ? "" : ",");
  free(s);
  cJSON_Delete(item);
}

static void put_string_field(FILE *f, const char *key, const char *value) {
  cJSON *s = cJSON_CreateString(value);
  char *text = sched_json_print(s, false);
  fprintf(f, "  \"%s\": %s,\n", key, text);
  free(text);
  cJSON_Delete(s);
}

/* Writes must be sorted, in range and unambiguous by name. */
static int check_writable(const ir_graph_t *g, sched_diag_t *diag) {
  ir_names_t names;
  ir_names_init(&names);
  int rc = SCHED_OK;
  for (int t = 0; t < g->n_tensors && rc == SCHED_OK; t++)
    if (ir_names_put(&names, g->tensors[t].name, t) >= 0)
      rc = sched_diag_set(diag, SCHED_ERR_INPUT, "JSON IR: two tensors are named '%s'",
                          g->tensors[t].name);
  ir_names_free(&names);
  for (int i = 0; i < g->n_ops && rc == SCHED_OK; i++)
    for (int j = 0; j < g->ops[i].n_inputs && rc == SCHED_OK; j++)
      if (g->tensors[g->ops[i].inputs[j]].producer >= i)
        rc = sched_diag_set(diag, SCHED_ERR_INPUT, "JSON IR: op '%s' is not in topological order",
                            g->ops[i].name);
  return rc;
}

static void write_graph(const ir_graph_t *g, FILE *f) {
  fprintf(f, "{\n  \"format\": \"sched-ir\",\n  \"version\": 1,\n");
  put_string_field(f, "name", g->name ? g->name : "");
  fprintf(f, "  \"inputs\": [\n");
  for (int i = 0; i < g->n_inputs; i++)
    put_item(f, input_item(g, g->inputs[i]), i == g->n_inputs - 1);
  fprintf(f, "  ],\n  \"ops\": [\n");
  for (int i = 0; i < g->n_ops; i++)
    put_item(f, op_item(g, &g->ops[i]), i == g->n_ops - 1);
  fprintf(f, "  ],\n  \"outputs\": [\n");
  for (int i = 0; i < g->n_outputs; i++)
    put_item(f, cJSON_CreateString(g->tensors[g->outputs[i]].name), i == g->n_outputs - 1);
  fprintf(f, "  ]\n}\n");
}

int ir_json_print(const ir_graph_t *g, char **text, sched_diag_t *diag) {
  *text = NULL;
  int rc = check_writable(g, diag);
  if (rc != SCHED_OK)
    return rc;
  size_t len = 0;
  FILE *f = open_memstream(text, &len);
  if (!f)
    return sched_diag_set(diag, SCHED_ERR_NOMEM, "JSON IR: out of memory");
  write_graph(g, f);
  fclose(f);
  return SCHED_OK;
}

int ir_json_write(const ir_graph_t *g, const char *path, sched_diag_t *diag) {
  char *text;
  int rc = ir_json_print(g, &text, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = sched_write_text(path, text, diag);
  free(text);
  return rc;
}

/* ---- reading ---- */

/* Where an error is: the file, and the op (index and name) when known. */
typedef struct {
  const char *path;
  const char *what; /* "op", "input", "graph" */
  int index;
  const char *name;
  sched_diag_t *diag;
} json_ctx_t;

__attribute__((format(printf, 2, 3))) static int json_error(const json_ctx_t *c, const char *fmt,
                                                            ...) {
  char msg[SCHED_DIAG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->index < 0)
    return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: %s", c->path, msg);
  if (!c->name)
    return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: %s %d: %s", c->path, c->what, c->index,
                          msg);
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: %s %d '%s': %s", c->path, c->what, c->index,
                        c->name, msg);
}

static const char *type_name(const cJSON *v) {
  if (cJSON_IsString(v))
    return "a string";
  if (cJSON_IsNumber(v))
    return "a number";
  if (cJSON_IsBool(v))
    return "a boolean";
  if (cJSON_IsArray(v))
    return "an array";
  if (cJSON_IsObject(v))
    return "an object";
  return "null";
}

/* Every key of o is in allowed (NULL-terminated). */
static int check_keys(const json_ctx_t *c, const cJSON *o, const char *const *allowed) {
  for (const cJSON *k = o->child; k; k = k->next) {
    bool ok = false;
    for (int i = 0; allowed[i] && !ok; i++)
      ok = strcmp(k->string, allowed[i]) == 0;
    if (!ok)
      return json_error(c, "unknown key '%s'", k->string);
  }
  return SCHED_OK;
}

static int get_string(const json_ctx_t *c, const cJSON *o, const char *key, bool required,
                      const char **out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) {
    if (required)
      return json_error(c, "missing key '%s'", key);
    return SCHED_OK;
  }
  if (!cJSON_IsString(v) || !v->valuestring[0])
    return json_error(c, "key '%s' must be a non-empty string, got %s", key, type_name(v));
  *out = v->valuestring;
  return SCHED_OK;
}

/* An integral number in [lo, hi]. */
static int int_value(const json_ctx_t *c, const cJSON *v, const char *key, int64_t lo, int64_t hi,
                     int64_t *out) {
  if (!cJSON_IsNumber(v))
    return json_error(c, "key '%s' must hold integers, got %s", key, type_name(v));
  double d = v->valuedouble;
  if (!(d >= (double)lo && d <= (double)hi) || d != floor(d))
    return json_error(c, "key '%s': %g is not an integer in %lld..%lld", key, d, (long long)lo,
                      (long long)hi);
  *out = (int64_t)d;
  return SCHED_OK;
}

/* key: exactly n integers in [lo, hi] (n == 1: a plain number). Absent keys
 * leave out untouched unless required. */
static int get_ints(const json_ctx_t *c, const cJSON *o, const char *key, int n, int64_t lo,
                    int64_t hi, bool required, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v)
    return required ? json_error(c, "missing key '%s'", key) : SCHED_OK;
  if (n == 1)
    return int_value(c, v, key, lo, hi, out);
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != n)
    return json_error(c, "key '%s' must be an array of %d integers, got %s", key, n, type_name(v));
  int i = 0;
  for (const cJSON *e = v->child; e; e = e->next, i++) {
    int rc = int_value(c, e, key, lo, hi, &out[i]);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

static int float_value(const json_ctx_t *c, const cJSON *v, const char *key, float *out) {
  if (cJSON_IsNumber(v)) {
    *out = (float)v->valuedouble;
    return SCHED_OK;
  }
  const char *s = cJSON_IsString(v) ? v->valuestring : "";
  if (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0 || strcmp(s, "nan") == 0) {
    *out = strcmp(s, "nan") == 0 ? NAN : (s[0] == '-' ? -INFINITY : INFINITY);
    return SCHED_OK;
  }
  return json_error(c, "key '%s' must hold numbers (or \"inf\", \"-inf\"), got %s", key,
                    type_name(v));
}

static int get_clamp(const json_ctx_t *c, const cJSON *o, ir_attrs_t *a) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "clamp");
  if (!v)
    return SCHED_OK;
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
    return json_error(c, "key 'clamp' must be an array [min, max], got %s", type_name(v));
  int rc = float_value(c, v->child, "clamp", &a->clamp_min);
  return rc != SCHED_OK ? rc : float_value(c, v->child->next, "clamp", &a->clamp_max);
}

static int get_shape(const json_ctx_t *c, const cJSON *o, const char *key, int64_t lo,
                     bool required, ir_shape_t *s) {
  int64_t v[4] = {s->n, s->c, s->h, s->w};
  int rc = get_ints(c, o, key, 4, lo, IR_READER_MAX_DIM, required, v);
  *s = (ir_shape_t){v[0], v[1], v[2], v[3]};
  return rc;
}

/* Reads n int32 attributes through a wide buffer; absent keys keep *dst. */
static int get_attr_ints(const json_ctx_t *c, const cJSON *o, const char *key, int n, int64_t lo,
                         int64_t hi, bool required, int32_t *const *dst) {
  int64_t v[4];
  for (int i = 0; i < n; i++)
    v[i] = *dst[i];
  int rc = get_ints(c, o, key, n, lo, hi, required, v);
  for (int i = 0; i < n && rc == SCHED_OK; i++)
    *dst[i] = (int32_t)v[i];
  return rc;
}

static bool needs_window(ir_op_kind_t k) { return ir_i_kind_has_window(k); }

static bool needs_out_channels(ir_op_kind_t k) {
  return k == IR_OP_CONV || k == IR_OP_TRANSPOSE_CONV || k == IR_OP_FULLY_CONNECTED ||
         k == IR_OP_GATHER;
}

static int get_window_attrs(const json_ctx_t *c, const cJSON *o, ir_op_kind_t k, ir_attrs_t *a) {
  const int64_t W = IR_READER_MAX_WINDOW, C = IR_READER_MAX_CHANNELS;
  int rc = get_attr_ints(c, o, "kernel", 2, 1, W, needs_window(k),
                         (int32_t *const[]){&a->kernel_h, &a->kernel_w});
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "stride", 2, 1, W, false,
                       (int32_t *const[]){&a->stride_h, &a->stride_w});
  if (rc == SCHED_OK)
    rc =
        get_attr_ints(c, o, "pads", 4, 0, W, false,
                      (int32_t *const[]){&a->pad_top, &a->pad_bottom, &a->pad_left, &a->pad_right});
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "dilation", 2, 1, W, false,
                       (int32_t *const[]){&a->dilation_h, &a->dilation_w});
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "groups", 1, 1, C, false, (int32_t *const[]){&a->groups});
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "out_channels", 1, 1, C, needs_out_channels(k),
                       (int32_t *const[]){&a->out_channels});
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "output_pad", 2, 0, W, false,
                       (int32_t *const[]){&a->output_pad_h, &a->output_pad_w});
  return rc;
}

static int get_bool(const json_ctx_t *c, const cJSON *o, const char *key, bool *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v)
    return SCHED_OK;
  if (!cJSON_IsBool(v))
    return json_error(c, "key '%s' must be true or false, got %s", key, type_name(v));
  *out = cJSON_IsTrue(v);
  return SCHED_OK;
}

static int get_mode(const json_ctx_t *c, const cJSON *o, ir_attrs_t *a) {
  const char *s = NULL;
  int rc = get_string(c, o, "mode", false, &s);
  if (rc != SCHED_OK || !s)
    return rc;
  for (int m = IR_UPSAMPLE_NEAREST; m <= IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS; m++) {
    if (strcmp(s, ir_upsample_mode_name((ir_upsample_mode_t)m)) == 0) {
      a->upsample_mode = (ir_upsample_mode_t)m;
      return SCHED_OK;
    }
  }
  return json_error(c,
                    "key 'mode': unknown upsample mode '%s' (nearest, bilinear, "
                    "bilinear_align_corners)",
                    s);
}

static int get_other_attrs(const json_ctx_t *c, const cJSON *o, ir_attrs_t *a) {
  int rc = get_bool(c, o, "bias", &a->has_bias);
  const cJSON *alpha = cJSON_GetObjectItemCaseSensitive(o, "alpha");
  if (rc == SCHED_OK && alpha)
    rc = float_value(c, alpha, "alpha", &a->alpha);
  if (rc == SCHED_OK)
    rc = get_clamp(c, o, a);
  if (rc == SCHED_OK)
    rc = get_mode(c, o, a);
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "scale", 1, 1, IR_READER_MAX_WINDOW, false,
                       (int32_t *const[]){&a->scale});
  if (rc == SCHED_OK)
    rc = get_shape(c, o, "reshape_to", -1, false, &a->reshape_to);
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "perm", 4, 0, 3, false,
                       (int32_t *const[]){&a->perm[0], &a->perm[1], &a->perm[2], &a->perm[3]});
  return rc;
}

static int get_axis(const json_ctx_t *c, const cJSON *o, ir_attrs_t *a) {
  const char *s = NULL;
  int rc = get_string(c, o, "axis", false, &s);
  if (rc == SCHED_OK && s && ir_axis_parse(s, &a->axis) != SCHED_OK)
    rc = json_error(c, "key 'axis': unknown axis '%s' (n, c, h, w)", s);
  return rc;
}

/* axis, slice, transpose_b, vocab: the transformer ops' attributes. */
static int get_sequence_attrs(const json_ctx_t *c, const cJSON *o, ir_op_kind_t k, ir_attrs_t *a) {
  const int64_t C = IR_READER_MAX_CHANNELS;
  int rc = get_axis(c, o, a);
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "slice", 2, 0, INT32_MAX, k == IR_OP_SLICE,
                       (int32_t *const[]){&a->slice_start, &a->slice_end});
  if (rc == SCHED_OK)
    rc = get_bool(c, o, "transpose_b", &a->transpose_b);
  if (rc == SCHED_OK)
    rc = get_attr_ints(c, o, "vocab", 1, 1, C, k == IR_OP_GATHER, (int32_t *const[]){&a->vocab});
  return rc;
}

/* A reshape target with a product that cannot overflow shape.c's checks. */
static int check_reshape_to(const json_ctx_t *c, ir_shape_t r) {
  int64_t d[4] = {r.n, r.c, r.h, r.w}, p = 1;
  for (int i = 0; i < 4; i++) {
    int64_t x = d[i] == -1 ? 1 : d[i];
    if (x == 0 || p > IR_READER_MAX_ELEMS / x)
      return json_error(c,
                        "key 'reshape_to': %s is not a positive shape of at most 2^40 "
                        "elements (one dim may be -1)",
                        ir_i_shape_str(r).s);
    p *= x;
  }
  return SCHED_OK;
}

/* What one op object says, before it is added to the graph. */
typedef struct {
  const char *name, *output, *type, *dtype, *act;
  ir_op_kind_t kind;
  ir_attrs_t attrs;
  const cJSON *inputs;
  const cJSON *shape; /* NULL when not given */
} json_op_t;

static const char *const op_keys[] = {
    "name",         "kind",       "type",   "inputs", "output",   "dtype",
    "shape",        "kernel",     "stride", "pads",   "dilation", "groups",
    "out_channels", "output_pad", "bias",   "alpha",  "clamp",    "mode",
    "scale",        "reshape_to", "perm",   "act",    "axis",     "slice",
    "transpose_b",  "vocab",      NULL};

static int parse_kind(const json_ctx_t *c, const char *s, const char *key, ir_op_kind_t *out) {
  if (ir_op_kind_parse(s, out) != SCHED_OK || *out == IR_OP_NONE)
    return json_error(c, "key '%s': unknown op kind '%s'", key, s);
  return SCHED_OK;
}

static int parse_op_head(const json_ctx_t *c, const cJSON *o, json_op_t *op) {
  const char *kind = NULL;
  int rc = get_string(c, o, "kind", true, &kind);
  if (rc == SCHED_OK)
    rc = parse_kind(c, kind, "kind", &op->kind);
  if (rc == SCHED_OK)
    rc = check_keys(c, o, op_keys);
  if (rc == SCHED_OK)
    rc = get_string(c, o, "type", op->kind == IR_OP_GENERIC, &op->type);
  if (rc == SCHED_OK && op->type && op->kind != IR_OP_GENERIC)
    rc = json_error(c, "key 'type' is only for generic ops");
  if (rc == SCHED_OK)
    rc = get_string(c, o, "output", false, &op->output);
  if (rc == SCHED_OK)
    rc = get_string(c, o, "dtype", false, &op->dtype);
  if (rc == SCHED_OK)
    rc = get_string(c, o, "act", false, &op->act);
  op->inputs = cJSON_GetObjectItemCaseSensitive(o, "inputs");
  if (rc == SCHED_OK && !op->inputs)
    rc = json_error(c, "missing key 'inputs'");
  if (rc == SCHED_OK && (!cJSON_IsArray(op->inputs) || cJSON_GetArraySize(op->inputs) < 1 ||
                         cJSON_GetArraySize(op->inputs) > IR_MAX_INPUTS))
    rc = json_error(c, "key 'inputs' must be an array of 1..%d tensor names, got %s", IR_MAX_INPUTS,
                    type_name(op->inputs));
  return rc;
}

static int parse_op(const json_ctx_t *c, const cJSON *o, json_op_t *op) {
  memset(op, 0, sizeof *op);
  if (!cJSON_IsObject(o))
    return json_error(c, "must be an object, got %s", type_name(o));
  int rc = parse_op_head(c, o, op);
  if (rc == SCHED_OK)
    rc = get_window_attrs(c, o, op->kind, &op->attrs);
  if (rc == SCHED_OK)
    rc = get_other_attrs(c, o, &op->attrs);
  if (rc == SCHED_OK)
    rc = get_sequence_attrs(c, o, op->kind, &op->attrs);
  if (rc == SCHED_OK && op->kind == IR_OP_RESHAPE && !cJSON_HasObjectItem(o, "reshape_to"))
    rc = json_error(c, "missing key 'reshape_to'");
  if (rc == SCHED_OK && cJSON_HasObjectItem(o, "reshape_to"))
    rc = check_reshape_to(c, op->attrs.reshape_to);
  op->shape = cJSON_GetObjectItemCaseSensitive(o, "shape");
  return rc;
}

/* The reader's state: the graph being built and tensor names -> ids. */
typedef struct {
  json_ctx_t ctx;
  ir_graph_t *g;
  ir_names_t tensors;
  const cJSON *ops; /* the "ops" array */
} json_reader_t;

static int add_name(json_reader_t *r, const char *name, int t) {
  if (ir_names_put(&r->tensors, name, t) >= 0)
    return json_error(&r->ctx, "tensor name '%s' is used twice", name);
  return SCHED_OK;
}

static int read_input(json_reader_t *r, const cJSON *o) {
  static const char *const keys[] = {"name", "shape", "dtype", NULL};
  const json_ctx_t *c = &r->ctx;
  if (!cJSON_IsObject(o))
    return json_error(c, "must be an object, got %s", type_name(o));
  const char *name = NULL, *dtype = "u8";
  ir_shape_t s = {0};
  ir_dtype_t dt;
  int rc = get_string(c, o, "name", true, &name);
  r->ctx.name = name;
  if (rc == SCHED_OK)
    rc = check_keys(c, o, keys);
  if (rc == SCHED_OK)
    rc = get_shape(c, o, "shape", 1, true, &s);
  if (rc == SCHED_OK)
    rc = ir_reader_check_shape(s, name, NULL) == SCHED_OK
             ? SCHED_OK
             : json_error(c, "shape %s has more than 2^40 elements", ir_i_shape_str(s).s);
  if (rc == SCHED_OK)
    rc = get_string(c, o, "dtype", false, &dtype);
  if (rc == SCHED_OK && ir_dtype_parse(dtype, &dt) != SCHED_OK)
    rc = json_error(c, "key 'dtype': unknown dtype '%s' (u8, i8, fp16)", dtype);
  if (rc == SCHED_OK)
    rc = add_name(r, name, ir_graph_add_input(r->g, name, s, dt));
  return rc;
}

/* Adds op i with no inputs yet (they may be produced later in the file). */
static int add_op(json_reader_t *r, int i, const json_op_t *op) {
  ir_op_kind_t act = IR_OP_NONE;
  if (op->act && parse_kind(&r->ctx, op->act, "act", &act) != SCHED_OK)
    return SCHED_ERR_INPUT;
  if (op->act && !ir_op_is_activation(act))
    return json_error(&r->ctx, "key 'act': '%s' is not an activation", op->act);
  int t = ir_graph_add_op(r->g, op->name, op->kind, &op->attrs, NULL, 0);
  ir_op_t *o = &r->g->ops[i];
  o->fused_act = act;
  if (op->type)
    o->generic_type = sched_xstrdup(op->type);
  if (op->output)
    ir_reader_rename_tensor(r->g, t, op->output);
  return add_name(r, r->g->tensors[t].name, t);
}

static int read_ops(json_reader_t *r) {
  int n = cJSON_GetArraySize(r->ops);
  if (n > IR_READER_MAX_OPS)
    return json_error(&r->ctx, "%d ops, at most %d allowed", n, IR_READER_MAX_OPS);
  r->ctx.what = "op";
  int i = 0, rc = SCHED_OK;
  for (const cJSON *o = r->ops->child; o && rc == SCHED_OK; o = o->next, i++) {
    json_op_t op;
    r->ctx.index = i;
    r->ctx.name = NULL;
    const char *name = NULL;
    if (cJSON_IsObject(o) && get_string(&r->ctx, o, "name", true, &name) != SCHED_OK)
      return SCHED_ERR_INPUT;
    r->ctx.name = name;
    rc = parse_op(&r->ctx, o, &op);
    op.name = name;
    if (rc == SCHED_OK)
      rc = add_op(r, i, &op);
  }
  return rc;
}

/* Second pass: op i's inputs by name, now that every tensor exists. */
static int link_op(json_reader_t *r, int i, const cJSON *o) {
  const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(o, "inputs");
  ir_op_t *op = &r->g->ops[i];
  int j = 0;
  for (const cJSON *e = inputs->child; e; e = e->next, j++) {
    if (!cJSON_IsString(e))
      return json_error(&r->ctx, "key 'inputs' must hold tensor names, got %s", type_name(e));
    int t = ir_names_get(&r->tensors, e->valuestring);
    if (t < 0)
      return json_error(&r->ctx, "input '%s' is not a graph input or the output of any op",
                        e->valuestring);
    op->inputs[j] = t;
  }
  op->n_inputs = j;
  return SCHED_OK;
}

static int link_ops(json_reader_t *r) {
  int i = 0;
  for (const cJSON *o = r->ops->child; o; o = o->next, i++) {
    r->ctx.index = i;
    r->ctx.name = r->g->ops[i].name;
    int rc = link_op(r, i, o);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

/* Prefixes an error from shape.c (which names the op) with the file. */
static int with_path(const json_reader_t *r, int rc) {
  if (!r->ctx.diag)
    return rc;
  char msg[SCHED_DIAG_MAX];
  snprintf(msg, sizeof msg, "%s", r->ctx.diag->msg);
  return sched_diag_set(r->ctx.diag, rc, "%s: %s", r->ctx.path, msg);
}

/* Dtype (given or that of input 0), inferred shape, and the file's shape
 * must agree with the inferred one. Ops are sorted. */
static int finish_op(json_reader_t *r, int i, const cJSON *o) {
  ir_graph_t *g = r->g;
  ir_tensor_t *out = &g->tensors[g->ops[i].output];
  const char *dtype = NULL;
  out->dtype = g->tensors[g->ops[i].inputs[0]].dtype;
  int rc = get_string(&r->ctx, o, "dtype", false, &dtype);
  if (rc == SCHED_OK && dtype && ir_dtype_parse(dtype, &out->dtype) != SCHED_OK)
    return json_error(&r->ctx, "key 'dtype': unknown dtype '%s' (u8, i8, fp16)", dtype);
  rc = ir_reader_infer_op(g, i, r->ctx.diag);
  if (rc != SCHED_OK)
    return with_path(r, rc);
  ir_shape_t file = {0};
  if (!cJSON_HasObjectItem(o, "shape"))
    return SCHED_OK;
  rc = get_shape(&r->ctx, o, "shape", 1, true, &file);
  if (rc == SCHED_OK && memcmp(&file, &out->shape, sizeof file) != 0)
    rc = json_error(&r->ctx, "key 'shape': the file says %s, the inputs give %s",
                    ir_i_shape_str(file).s, ir_i_shape_str(out->shape).s);
  return rc;
}

/* After sorting, op i came from file position pos[name]. */
static int finish_ops(json_reader_t *r, const cJSON **objs, const ir_names_t *pos) {
  for (int i = 0; i < r->g->n_ops; i++) {
    r->ctx.name = r->g->ops[i].name;
    r->ctx.index = ir_names_get(pos, r->ctx.name);
    int rc = finish_op(r, i, objs[r->ctx.index]);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

/* Op names are unique; objs[i] is op i's object. */
static int index_ops(json_reader_t *r, const cJSON **objs, ir_names_t *pos) {
  int i = 0;
  for (const cJSON *o = r->ops->child; o; o = o->next, i++) {
    objs[i] = o;
    r->ctx.index = i;
    r->ctx.name = r->g->ops[i].name;
    if (ir_names_put(pos, r->g->ops[i].name, i) >= 0)
      return json_error(&r->ctx, "op name '%s' is used twice", r->ctx.name);
  }
  return SCHED_OK;
}

/* Sorts (a cycle is an error naming an op on it), then infers in order. */
static int order_ops(json_reader_t *r) {
  int n = r->g->n_ops, rc;
  const cJSON **objs = sched_xmalloc((size_t)(n ? n : 1) * sizeof *objs);
  ir_names_t pos;
  ir_names_init(&pos);
  rc = index_ops(r, objs, &pos);
  if (rc == SCHED_OK) {
    r->ctx.index = -1;
    rc = ir_graph_sort(r->g, r->ctx.diag);
    if (rc != SCHED_OK)
      rc = with_path(r, rc);
  }
  if (rc == SCHED_OK)
    rc = finish_ops(r, objs, &pos);
  ir_names_free(&pos);
  free(objs);
  return rc;
}

/* A top-level list: an array with at least one item. */
static int check_list(json_ctx_t *c, const cJSON *v, const char *key, const char *of) {
  c->index = -1;
  if (!cJSON_IsArray(v))
    return json_error(c, "key '%s' must be an array of %s, got %s", key, of, type_name(v));
  if (!v->child)
    return json_error(c, "key '%s' is empty", key);
  return SCHED_OK;
}

static int read_outputs(json_reader_t *r, const cJSON *outputs) {
  int rc = check_list(&r->ctx, outputs, "outputs", "tensor names");
  if (rc != SCHED_OK)
    return rc;
  int i = 0;
  for (const cJSON *e = outputs->child; e; e = e->next, i++) {
    int t = cJSON_IsString(e) ? ir_names_get(&r->tensors, e->valuestring) : -1;
    if (!cJSON_IsString(e))
      return json_error(&r->ctx, "outputs[%d] must be a tensor name, got %s", i, type_name(e));
    if (t < 0)
      return json_error(&r->ctx, "output '%s' is not a graph input or the output of any op",
                        e->valuestring);
    ir_graph_mark_output(r->g, t);
  }
  return SCHED_OK;
}

static int read_inputs(json_reader_t *r, const cJSON *inputs) {
  int rc = check_list(&r->ctx, inputs, "inputs", "objects");
  if (rc != SCHED_OK)
    return rc;
  r->ctx.what = "input";
  int i = 0;
  for (const cJSON *o = inputs->child; o; o = o->next, i++) {
    r->ctx.index = i;
    r->ctx.name = NULL;
    rc = read_input(r, o);
    if (rc != SCHED_OK)
      return rc;
  }
  return SCHED_OK;
}

/* "format" and "version", when present, say this is version 1. */
static int check_header(const json_ctx_t *c, const cJSON *root) {
  static const char *const keys[] = {"format", "version", "name", "inputs", "ops", "outputs", NULL};
  if (!cJSON_IsObject(root))
    return json_error(c, "the top level must be an object, got %s", type_name(root));
  int rc = check_keys(c, root, keys);
  const char *format = NULL;
  int64_t version = 1;
  if (rc == SCHED_OK)
    rc = get_string(c, root, "format", false, &format);
  if (rc == SCHED_OK && format && strcmp(format, "sched-ir") != 0)
    rc = json_error(c, "key 'format' is '%s', expected 'sched-ir'", format);
  if (rc == SCHED_OK)
    rc = get_ints(c, root, "version", 1, 1, 1, false, &version);
  for (int i = 0; rc == SCHED_OK && i < 3; i++)
    if (!cJSON_HasObjectItem(root, (const char *[]){"inputs", "ops", "outputs"}[i]))
      rc = json_error(c, "missing key '%s'", (const char *[]){"inputs", "ops", "outputs"}[i]);
  return rc;
}

static int read_graph(json_reader_t *r, const cJSON *root) {
  const char *name = "net";
  int rc = check_header(&r->ctx, root);
  if (rc == SCHED_OK)
    rc = get_string(&r->ctx, root, "name", false, &name);
  if (rc != SCHED_OK)
    return rc;
  ir_graph_init(r->g, name);
  r->ops = cJSON_GetObjectItemCaseSensitive(root, "ops");
  rc = read_inputs(r, cJSON_GetObjectItemCaseSensitive(root, "inputs"));
  if (rc == SCHED_OK)
    rc = check_list(&r->ctx, r->ops, "ops", "objects");
  if (rc == SCHED_OK)
    rc = read_ops(r);
  if (rc == SCHED_OK)
    rc = link_ops(r);
  if (rc == SCHED_OK)
    rc = order_ops(r);
  if (rc == SCHED_OK)
    rc = read_outputs(r, cJSON_GetObjectItemCaseSensitive(root, "outputs"));
  return rc;
}

/* "line:column" of byte offset `at`. */
int ir_json_parse(const char *text, size_t len, const char *where, ir_graph_t *out,
                  sched_diag_t *diag) {
  sched_diag_t local;
  json_reader_t r = {.ctx = {.path = where ? where : "JSON IR",
                             .what = "graph",
                             .index = -1,
                             .diag = diag ? diag : &local},
                     .g = out};
  memset(out, 0, sizeof *out);
  cJSON *root = sched_json_parse(text, len, r.ctx.path, diag);
  if (!root)
    return SCHED_ERR_INPUT;
  ir_names_init(&r.tensors);
  int rc = read_graph(&r, root);
  ir_names_free(&r.tensors);
  cJSON_Delete(root);
  if (rc != SCHED_OK)
    ir_graph_free(out);
  return rc;
}

int ir_json_read(const char *path, ir_graph_t *out, sched_diag_t *diag) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  int rc = ir_reader_slurp(path, JSON_MAX_BYTES, &text, &len, diag);
  if (rc != SCHED_OK)
    return rc;
  rc = ir_json_parse(text, len, path, out, diag);
  free(text);
  return rc;
}
