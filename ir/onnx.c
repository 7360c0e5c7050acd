/* onnx.c - ONNX import: reads a model with the protobuf-c bindings generated
 * from Debian's onnx.proto, checks it, registers its inputs and initializers
 * and hands the nodes to onnx_graph.c.
 *
 * Only shapes matter: initializer values are never read (except a few small
 * shape-like constants), so a model whose weights live in a missing external
 * data file imports. Untrusted input is bounded three ways: the file size, a
 * protobuf-c allocator that refuses to hand out more than a multiple of the
 * file size, and the same allocator refusing to go deeper than a stack
 * budget (protobuf-c recurses once per nested message). protobuf-c failures
 * become one error line here, at the call. */
#define _DEFAULT_SOURCE /* madvise */
#include "ir/ir_internal.h"
#include "ir/onnx_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ONNX_MAX_FILE_BYTES ((size_t)2 << 30) /* protobuf's own limit */
#define ONNX_DECODE_BASE_BYTES ((size_t)64 << 20)
#define ONNX_DECODE_PER_BYTE 8                  /* decoded bytes per file byte */
#define ONNX_STACK_BYTES ((uintptr_t)256 << 10) /* protobuf-c recursion budget */
#define ONNX_LARGE_BYTES ((size_t)1 << 20)      /* a copy this large is a weight */
#define ONNX_DROP_BYTES ((size_t)16 << 20)      /* copied bytes between page drops */

/* ---- errors ---- */

static int verror(const onnx_ctx_t *c, const char *prefix, const char *fmt, va_list ap) {
  char msg[SCHED_DIAG_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: %s%s", c->path, prefix, msg);
}

int onnx_error(const onnx_ctx_t *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = verror(c, "", fmt, ap);
  va_end(ap);
  return rc;
}

int onnx_node_error(const onnx_ctx_t *c, const Onnx__NodeProto *n, const char *fmt, ...) {
  char prefix[SCHED_DIAG_MAX / 2];
  const char *name = n->name && n->name[0] ? n->name : (n->n_output ? n->output[0] : "?");
  snprintf(prefix, sizeof prefix, "node '%s' (%s): ", name, n->op_type);
  va_list ap;
  va_start(ap, fmt);
  int rc = verror(c, prefix, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- the bounded protobuf-c allocator ---- */

typedef struct {
  size_t used, cap;
  uintptr_t stack_base;
  bool too_deep, too_big;
  /* A file mapping whose pages are dropped from the resident set every
   * ONNX_DROP_BYTES of large copies (weights protobuf-c copies out and we
   * never read): they are clean and read-only, so a later touch just
   * faults them back in. NULL for buffers the caller owns. */
  void *map;
  size_t map_len, copied;
} onnx_alloc_t;

static void *bounded_alloc(void *data, size_t bytes) {
  onnx_alloc_t *a = data;
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  uintptr_t depth = here < a->stack_base ? a->stack_base - here : here - a->stack_base;
  if (depth > ONNX_STACK_BYTES) {
    a->too_deep = true;
    return NULL;
  }
  if (bytes > a->cap - a->used) {
    a->too_big = true;
    return NULL;
  }
  a->used += bytes;
  if (a->map && bytes >= ONNX_LARGE_BYTES && (a->copied += bytes) >= ONNX_DROP_BYTES) {
    madvise(a->map, a->map_len, MADV_DONTNEED);
    a->copied = 0;
  }
  return malloc(bytes);
}

static void bounded_free(void *data, void *ptr) {
  (void)data;
  free(ptr);
}

/* ---- what a file that is not ONNX looks like ---- */

static const char *file_kind(const uint8_t *d, size_t len) {
  if (len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
    return "a zip archive (a PyTorch checkpoint?)";
  if (len >= 4 && memcmp(d, "\x89HDF", 4) == 0)
    return "an HDF5 file (a Keras model?)";
  if (len >= 2 && d[0] == 0x80 && d[1] >= 2 && d[1] <= 5)
    return "a Python pickle";
  if (len >= 4 && memcmp(d, "TFL3", 4) == 0)
    return "a TensorFlow Lite model";
  if (len >= 8 && memcmp(d + 4, "TFL3", 4) == 0)
    return "a TensorFlow Lite model";
  if (len >= 1 && (d[0] == '{' || d[0] == '['))
    return "a JSON file (use a .json name for JSON IR)";
  if (len >= 1 && d[0] == '<')
    return "an XML file (an OpenVINO IR?)";
  return NULL;
}

static int unpack_error(const onnx_ctx_t *c, const onnx_alloc_t *a, const uint8_t *d, size_t len) {
  if (a->too_deep)
    return onnx_error(c, "messages nested too deeply (more than %zu KiB of decoder stack)",
                      (size_t)(ONNX_STACK_BYTES >> 10));
  if (a->too_big)
    return onnx_error(c, "decoding needs more than %zu MiB (limit: 64 MiB + 8x the file size)",
                      a->cap >> 20);
  const char *kind = file_kind(d, len);
  if (kind)
    return onnx_error(c, "not an ONNX model: this is %s", kind);
  return onnx_error(c, "not a valid ONNX protobuf: truncated or corrupt (%zu bytes)", len);
}

/* ---- element types ---- */

static const char *const elem_names[] = {
    "UNDEFINED",      "FLOAT",      "UINT8",          "INT8",       "UINT16",   "INT16",
    "INT32",          "INT64",      "STRING",         "BOOL",       "FLOAT16",  "DOUBLE",
    "UINT32",         "UINT64",     "COMPLEX64",      "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
    "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4",      "INT4"};

static bool elem_known(int32_t t) { return t > 0 && t < SCHED_ARRAY_LEN(elem_names); }

/* Float types compute as the user says (fp16 by default); u8 and i8 stay. */
static int elem_dtype(onnx_ctx_t *c, const char *name, int32_t t, ir_dtype_t *dt) {
  if (!elem_known(t))
    return onnx_error(c, "input '%s': unknown element type %d", name, (int)t);
  switch (t) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    *dt = c->float_dtype;
    c->float_implicit |= !(c->opts && c->opts->float_dtype);
    return SCHED_OK;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *dt = IR_DTYPE_U8; return SCHED_OK;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *dt = IR_DTYPE_I8; return SCHED_OK;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: /* token ids: an embedding gathers the model's */
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: /* float rows by them, fp16 like every float */
    *dt = IR_DTYPE_FP16;
    return SCHED_OK;
  default:
    return onnx_error(c,
                      "input '%s': element type %s is not supported (float, float16, "
                      "bfloat16, double, uint8, int8, int32 and int64 ids)",
                      name, elem_names[t]);
  }
}

/* ---- initializers ---- */

static int add_initializer(onnx_ctx_t *c, const Onnx__TensorProto *tp) {
  const char *name = tp->name ? tp->name : "";
  if (!name[0])
    return onnx_error(c, "an initializer has no name");
  if (tp->n_dims > ONNX_MAX_RANK)
    return onnx_error(c, "initializer '%s' has %zu dims, at most %d supported", name, tp->n_dims,
                      ONNX_MAX_RANK);
  if (tp->has_data_type && tp->data_type != 0 && !elem_known(tp->data_type))
    return onnx_error(c, "initializer '%s': unknown element type %d", name, (int)tp->data_type);
  onnx_val_t v = {.is_const = true, .tensor = -1, .rank = (int)tp->n_dims, .tp = tp};
  int64_t elems = 1;
  for (size_t i = 0; i < tp->n_dims; i++) {
    int64_t d = tp->dims[i];
    if (d < 0 || d > IR_READER_MAX_DIM || (d > 0 && elems > IR_READER_MAX_ELEMS / d))
      return onnx_error(c,
                        "initializer '%s': dim %zu is %lld (must be 0..2^31, at most 2^40 "
                        "elements)",
                        name, i, (long long)d);
    elems *= d;
    v.dims[i] = d;
  }
  if (onnx_val_add(c, name, &v) < 0)
    return onnx_error(c, "initializer '%s' is defined twice", name);
  return SCHED_OK;
}

/* ---- graph inputs ---- */

/* The --input-shape entry for `name` ("name=1x3x224x224;..."): its dims in
 * dims[], or 0 when there is none, -1 when it is malformed. */
static int given_shape(const char *spec, const char *name, int64_t *dims) {
  size_t len = strlen(name);
  for (const char *p = spec; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
    if (strncmp(p, name, len) != 0 || p[len] != '=')
      continue;
    int rank = 0;
    const char *s = p + len + 1;
    while (rank < 4) {
      char *end;
      errno = 0;
      long long d = strtoll(s, &end, 10);
      if (end == s || errno || d <= 0 || d > IR_READER_MAX_DIM)
        return -1;
      dims[rank++] = d;
      if (*end != 'x')
        return *end == ';' || *end == '\0' ? rank : -1;
      s = end + 1;
    }
    return -1;
  }
  return 0;
}

/* "batchx3x224x224" for the message, and its suggested concrete form. */
static void describe_dims(const Onnx__TensorShapeProto *sp, char *have, char *want, size_t size) {
  size_t h = 0, w = 0;
  have[0] = want[0] = '\0';
  for (size_t i = 0; i < sp->n_dim && i < 4; i++) {
    const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
    bool fixed = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    const char *sep = i ? "x" : "";
    if (fixed) {
      h += (size_t)snprintf(have + h, size - h, "%s%lld", sep, (long long)d->dim_value);
      w += (size_t)snprintf(want + w, size - w, "%s%lld", sep, (long long)d->dim_value);
    } else {
      bool named = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   d->dim_param && d->dim_param[0];
      h += (size_t)snprintf(have + h, size - h, "%s%s", sep, named ? d->dim_param : "?");
      w += (size_t)snprintf(want + w, size - w, "%s1", sep);
    }
    h = SCHED_MIN(h, size - 1);
    w = SCHED_MIN(w, size - 1);
  }
}

static int dynamic_error(const onnx_ctx_t *c, const char *name, const Onnx__TensorShapeProto *sp) {
  char have[128], want[128];
  if (!sp)
    return onnx_error(c, "input '%s' has no shape; give it with --input-shape %s=1x3x224x224", name,
                      name);
  describe_dims(sp, have, want, sizeof have);
  return onnx_error(c, "input '%s' has dynamic dims %s; give its shape with --input-shape %s=%s",
                    name, have, name, want);
}

/* Static dims from the model; *dynamic when some dim is not a number. */
static int model_dims(const onnx_ctx_t *c, const char *name, const Onnx__TensorShapeProto *sp,
                      int64_t *dims, bool *dynamic) {
  *dynamic = !sp;
  for (size_t i = 0; sp && i < sp->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      *dynamic = true;
      continue;
    }
    if (d->dim_value <= 0)
      return onnx_error(c, "input '%s': dim %zu is %lld, must be positive", name, i,
                        (long long)d->dim_value);
    if (d->dim_value > IR_READER_MAX_DIM)
      return onnx_error(c, "input '%s': dim %zu is %lld, at most 2^31", name, i,
                        (long long)d->dim_value);
    dims[i] = d->dim_value;
  }
  return SCHED_OK;
}

static int input_dims(const onnx_ctx_t *c, const char *name, const Onnx__TensorShapeProto *sp,
                      int64_t *dims, int *rank) {
  if (sp && sp->n_dim > 4)
    return onnx_error(c, "input '%s' has %zu dims, at most 4 supported", name, sp->n_dim);
  bool dynamic;
  int rc = model_dims(c, name, sp, dims, &dynamic);
  if (rc != SCHED_OK)
    return rc;
  *rank = sp ? (int)sp->n_dim : 0;
  const char *spec = c->opts ? c->opts->input_shapes : NULL;
  int given = given_shape(spec, name, dims);
  if (given < 0)
    return onnx_error(c,
                      "--input-shape for '%s' is malformed: expected %s=1x3x224x224 (1 to 4 "
                      "positive dims, entries separated by ';')",
                      name, name);
  if (given == 0 && dynamic)
    return dynamic_error(c, name, sp);
  if (given > 0 && sp && given != *rank)
    return onnx_error(c, "--input-shape for '%s' has %d dims, the model's input has %d", name,
                      given, *rank);
  if (given > 0)
    *rank = given;
  return SCHED_OK;
}

static int add_input(onnx_ctx_t *c, const Onnx__ValueInfoProto *vi) {
  const char *name = vi->name ? vi->name : "";
  if (!name[0])
    return onnx_error(c, "a graph input has no name");
  if (onnx_val_find(c, name))
    return SCHED_OK; /* an initializer listed as input (IR version < 4) */
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return onnx_error(c, "input '%s' is not a tensor", name);
  ir_dtype_t dt = IR_DTYPE_FP16;
  int rc =
      elem_dtype(c, name, tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0, &dt);
  int64_t dims[4] = {0};
  int rank = 0;
  if (rc == SCHED_OK)
    rc = input_dims(c, name, tp->tensor_type->shape, dims, &rank);
  char what[SCHED_DIAG_MAX / 2];
  snprintf(what, sizeof what, "%s: input '%s'", c->path, name);
  ir_shape_t s = onnx_to_nchw(rank, dims);
  if (rc == SCHED_OK)
    rc = ir_reader_check_shape(s, what, c->diag);
  if (rc == SCHED_OK && onnx_val_act(c, name, ir_graph_add_input(c->g, name, s, dt), rank) < 0)
    rc = onnx_error(c, "input '%s' is listed twice", name);
  return rc;
}

/* Every --input-shape entry names a graph input. */
static int check_given_names(const onnx_ctx_t *c) {
  const char *spec = c->opts ? c->opts->input_shapes : NULL;
  for (const char *p = spec; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
    const char *eq = strchr(p, '='), *semi = strchr(p, ';');
    if (!eq || (semi && semi < eq))
      return onnx_error(c, "--input-shape entry '%.*s' is not name=1x3x224x224",
                        semi ? (int)(semi - p) : (int)strlen(p), p);
    bool found = false;
    for (size_t i = 0; i < c->gp->n_input && !found; i++) {
      const char *name = c->gp->input[i]->name ? c->gp->input[i]->name : "";
      found = strlen(name) == (size_t)(eq - p) && strncmp(name, p, (size_t)(eq - p)) == 0;
    }
    if (!found)
      return onnx_error(c, "--input-shape names '%.*s', which is not a graph input", (int)(eq - p),
                        p);
  }
  return SCHED_OK;
}

/* ---- outputs and the unknown-op warning ---- */

static int mark_outputs(onnx_ctx_t *c) {
  const Onnx__GraphProto *gp = c->gp;
  if (gp->n_output == 0)
    return onnx_error(c, "the graph has no outputs");
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = gp->output[i]->name ? gp->output[i]->name : "";
    onnx_val_t *v = onnx_val_find(c, name);
    if (!v)
      return onnx_error(c, "output '%s' has no producer", name);
    if (v->is_const)
      return onnx_error(c, "output '%s' is a constant, not computed by the graph", name);
    bool seen = false;
    for (int j = 0; j < c->g->n_outputs; j++)
      seen = seen || c->g->outputs[j] == v->tensor;
    if (!seen)
      ir_graph_mark_output(c->g, v->tensor);
  }
  return SCHED_OK;
}

static void warn_float(const onnx_ctx_t *c) {
  if (c->float_implicit && c->opts && c->opts->warnings)
    fprintf(c->opts->warnings,
            "%s: warning: float model planned as fp16 (--dtype u8|fp16 to choose)\n", c->path);
}

static void warn_unknown(const onnx_ctx_t *c) {
  if (c->n_unknown == 0 || !c->opts || !c->opts->warnings)
    return;
  fprintf(c->opts->warnings,
          "%s: warning: %d op type%s unknown to the IR became generic SHAVE "
          "ops:",
          c->path, c->n_unknown, c->n_unknown == 1 ? "" : "s");
  for (int i = 0; i < c->n_unknown; i++)
    fprintf(c->opts->warnings, "%s %s", i ? "," : "", c->unknown[i]);
  fprintf(c->opts->warnings, "\n");
}

/* ---- the model ---- */

static int check_model(const onnx_ctx_t *c, const Onnx__ModelProto *m) {
  if (!m->has_ir_version || !m->graph)
    return onnx_error(c, "not an ONNX model: no %s (is this an ONNX file?)",
                      !m->graph ? "graph" : "ir_version");
  const Onnx__GraphProto *gp = m->graph;
  if (gp->n_node > IR_READER_MAX_OPS)
    return onnx_error(c, "%zu nodes, at most %d supported", gp->n_node, IR_READER_MAX_OPS);
  if (gp->n_node == 0)
    return onnx_error(c, "the graph has no nodes");
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *n = gp->node[i];
    if (!n->op_type || !n->op_type[0])
      return onnx_error(c, "node %zu has no op_type", i);
    if (n->n_output == 0 || !n->output[0][0])
      return onnx_node_error(c, n, "has no output");
  }
  return SCHED_OK;
}

static int import_graph(onnx_ctx_t *c) {
  const Onnx__GraphProto *gp = c->gp;
  int rc = check_given_names(c);
  for (size_t i = 0; i < gp->n_initializer && rc == SCHED_OK; i++)
    rc = add_initializer(c, gp->initializer[i]);
  for (size_t i = 0; i < gp->n_input && rc == SCHED_OK; i++)
    rc = add_input(c, gp->input[i]);
  if (rc == SCHED_OK && c->g->n_inputs == 0)
    rc = onnx_error(c, "the graph has no inputs that are not initializers");
  if (rc == SCHED_OK)
    rc = onnx_convert_nodes(c);
  if (rc == SCHED_OK)
    rc = mark_outputs(c);
  if (rc == SCHED_OK) {
    warn_float(c);
    warn_unknown(c);
  }
  return rc;
}

static void ctx_free(onnx_ctx_t *c) {
  ir_names_free(&c->names);
  ir_names_free(&c->op_names);
  ir_names_free(&c->producer);
  free(c->vals);
  free(c->n_consumers);
  free(c->last_consumer);
  free(c->order);
  free(c->live);
  free(c->absorbed);
  free(c->gelu_of);
}

/* "u8" or "fp16" into c->float_dtype; false for anything else. */
static bool float_dtype_parse(const char *s, onnx_ctx_t *c) {
  ir_dtype_t dt;
  if (ir_dtype_parse(s, &dt) != SCHED_OK || (dt != IR_DTYPE_U8 && dt != IR_DTYPE_FP16))
    return false;
  c->float_dtype = dt;
  return true;
}

static int import_model(const Onnx__ModelProto *m, const char *where, const ir_onnx_options_t *opts,
                        ir_graph_t *out, sched_diag_t *diag) {
  onnx_ctx_t c = {
      .opts = opts, .path = where, .g = out, .diag = diag, .float_dtype = IR_DTYPE_FP16};
  int rc = check_model(&c, m);
  if (rc == SCHED_OK && opts && opts->float_dtype && !float_dtype_parse(opts->float_dtype, &c))
    rc = onnx_error(&c, "--dtype: float inputs can be planned as u8 or fp16, not '%s'",
                    opts->float_dtype);
  if (rc != SCHED_OK)
    return rc;
  c.gp = m->graph;
  ir_graph_init(out, m->graph->name && m->graph->name[0] ? m->graph->name : "onnx");
  rc = import_graph(&c);
  ctx_free(&c);
  if (rc != SCHED_OK)
    ir_graph_free(out);
  return rc;
}

/* Decodes and imports len bytes; `map` (may be NULL) is the file mapping
 * they live in, whose pages may be dropped while decoding. */
static int import_bytes(const void *data, size_t len, void *map, const char *where,
                        const ir_onnx_options_t *opts, ir_graph_t *out, sched_diag_t *diag) {
  sched_diag_t local;
  onnx_ctx_t c = {.path = where ? where : "ONNX model", .diag = diag ? diag : &local};
  memset(out, 0, sizeof *out);
  if (len == 0)
    return onnx_error(&c, "file is empty");
  onnx_alloc_t a = {.stack_base = (uintptr_t)__builtin_frame_address(0),
                    .cap = ONNX_DECODE_BASE_BYTES +
                           SCHED_MIN(len, ONNX_MAX_FILE_BYTES) * ONNX_DECODE_PER_BYTE,
                    .map = map,
                    .map_len = len};
  ProtobufCAllocator alloc = {bounded_alloc, bounded_free, &a};
  Onnx__ModelProto *m = onnx__model_proto__unpack(&alloc, len, data);
  if (!m)
    return unpack_error(&c, &a, data, len);
  int rc = import_model(m, c.path, opts, out, c.diag);
  onnx__model_proto__free_unpacked(m, &alloc);
  return rc;
}

int ir_onnx_import_buffer(const void *data, size_t len, const char *where,
                          const ir_onnx_options_t *opts, ir_graph_t *out, sched_diag_t *diag) {
  return import_bytes(data, len, NULL, where, opts, out, diag);
}

int ir_onnx_import(const char *path, const ir_onnx_options_t *opts, ir_graph_t *out,
                   sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  FILE *f;
  int rc = sched_file_open(path, NULL, ONNX_MAX_FILE_BYTES, &f, diag);
  if (rc != SCHED_OK)
    return rc;
  struct stat st;
  if (fstat(fileno(f), &st) != 0)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: cannot stat: %s", path, strerror(errno));
  else if (st.st_size == 0)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: file is empty", path);
  void *map = rc == SCHED_OK ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0)
                             : MAP_FAILED;
  if (rc == SCHED_OK && map == MAP_FAILED)
    rc = sched_diag_set(diag, SCHED_ERR_INPUT, "%s: cannot map: %s", path, strerror(errno));
  fclose(f);
  if (rc != SCHED_OK)
    return rc;
  rc = import_bytes(map, (size_t)st.st_size, map, path, opts, out, diag);
  munmap(map, (size_t)st.st_size);
  return rc;
}
