/* space.c - NAS search spaces: a ProxylessNAS-style backbone read from JSON
 * (fixed stem and head ops, searchable positions from a list of stages) and
 * the blocks its candidates build.
 *
 *   {"name": "mbv2", "dtype": "u8",
 *    "input": {"channels": 3, "height": 224, "width": 224},
 *    "candidates": [{"type": "mbconv", "kernel": [3, 5, 7], "expand": [3, 6]},
 *                   {"type": "skip"}],
 *    "stem": [{"type": "conv", "kernel": 3, "stride": 2, "channels": 32}],
 *    "stages": [{"channels": 24, "blocks": 4, "stride": 2}],
 *    "head": [{"type": "conv", "kernel": 1, "channels": 1280}, {"type": "gap"},
 *             {"type": "fc", "channels": 1000}]}
 *
 * Each stage gives `blocks` positions; the first has the stage's stride and
 * changes the channels, the rest keep the shape. "kernel" and "expand" take
 * a number or a list (the candidates are their cross product). Types: conv,
 * dwsep (depthwise + pointwise), mbconv, skip; stem and head also gap, fc.
 * Source: Cai, Zhu, Han, "ProxylessNAS" (ICLR 2019), seed 004. */
#include "advisor/advisor.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPACE_MAX_LIST 16
#define SPACE_MAX_FILE_BYTES (16 << 20)
/* Counts capped before anything is built: every candidate is planned at
 * every position (`sched lut`), and real spaces have tens of each
 * (ProxylessNAS: 21 positions, 7 candidates). */
#define SPACE_MAX_POSITIONS 256
#define SPACE_MAX_CANDS 64

static const char *const type_names[ADVISOR_OP_COUNT] = {
    [ADVISOR_OP_SKIP] = "skip",     [ADVISOR_OP_CONV] = "conv", [ADVISOR_OP_DWSEP] = "dwsep",
    [ADVISOR_OP_MBCONV] = "mbconv", [ADVISOR_OP_GAP] = "gap",   [ADVISOR_OP_FC] = "fc"};

void advisor_cand_label(const advisor_cand_t *c, char *buf, size_t len) {
  switch (c->type) {
  case ADVISOR_OP_CONV:
  case ADVISOR_OP_DWSEP: snprintf(buf, len, "%s_k%d", type_names[c->type], c->kernel); return;
  case ADVISOR_OP_MBCONV: snprintf(buf, len, "mbconv_k%d_e%d", c->kernel, c->expand); return;
  default: snprintf(buf, len, "%s", type_names[c->type]); return;
  }
}

bool advisor_cand_valid(const advisor_position_t *pos, const advisor_cand_t *cand) {
  return cand->type != ADVISOR_OP_SKIP || (pos->stride == 1 && pos->c_in == pos->c_out);
}

void advisor_space_free(advisor_space_t *s) {
  free(s->cands);
  free(s->positions);
  memset(s, 0, sizeof *s);
}

/* ---- parsing ---- */

typedef struct {
  const char *where;
  sched_diag_t *diag;
} parse_ctx_t;

static int bad(const parse_ctx_t *c, const char *what, const char *key) {
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: %s: '%s' %s", c->where, what, key,
                        "is missing or not a positive integer (or list of them)");
}

/* A positive integer, or def when absent (def 0: required). */
static int get_int(const parse_ctx_t *c, const cJSON *obj, const char *key, int32_t def,
                   const char *what, int32_t *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!j && def > 0) {
    *out = def;
    return SCHED_OK;
  }
  if (!cJSON_IsNumber(j) || j->valuedouble < 1 || j->valuedouble > 1e6 ||
      j->valuedouble != (int32_t)j->valuedouble)
    return bad(c, what, key);
  *out = (int32_t)j->valuedouble;
  return SCHED_OK;
}

/* A number or a list of numbers; def when absent. */
static int get_list(const parse_ctx_t *c, const cJSON *obj, const char *key, int32_t def,
                    const char *what, int32_t *vals, int *n) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  *n = 0;
  if (!cJSON_IsArray(j))
    return get_int(c, obj, key, def, what, &vals[(*n)++]);
  const cJSON *e;
  cJSON_ArrayForEach(e, j) {
    if (*n == SPACE_MAX_LIST || !cJSON_IsNumber(e) || e->valuedouble < 1 || e->valuedouble > 64)
      return bad(c, what, key);
    vals[(*n)++] = (int32_t)e->valuedouble;
  }
  return *n > 0 ? SCHED_OK : bad(c, what, key);
}

/* An error when `have` + `add` passes `limit` (counted in 64 bits). */
static int count_check(const parse_ctx_t *c, const char *what, int have, int64_t add, int limit) {
  if (have + add <= limit)
    return SCHED_OK;
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: %s: %lld in all, more than the limit of %d",
                        c->where, what, (long long)(have + add), limit);
}

static int get_type(const parse_ctx_t *c, const cJSON *obj, const char *what,
                    advisor_op_type_t *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, "type");
  for (int t = 0; cJSON_IsString(j) && t < ADVISOR_OP_COUNT; t++) {
    if (strcmp(j->valuestring, type_names[t]) == 0) {
      *out = (advisor_op_type_t)t;
      return SCHED_OK;
    }
  }
  return sched_diag_set(c->diag, SCHED_ERR_INPUT,
                        "%s: %s: 'type' must be conv, dwsep, mbconv, skip, gap or fc", c->where,
                        what);
}

static void cand_push(advisor_space_t *s, int *cap, advisor_cand_t cand) {
  sched_grow((void **)&s->cands, cap, s->n_cands + 1, sizeof *s->cands);
  s->cands[s->n_cands++] = cand;
}

static int parse_candidates(const parse_ctx_t *c, const cJSON *arr, advisor_space_t *s) {
  int cap = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    advisor_op_type_t type = ADVISOR_OP_SKIP;
    int32_t kernels[SPACE_MAX_LIST], expands[SPACE_MAX_LIST];
    int nk = 1, ne = 1;
    int rc = get_type(c, e, "candidates", &type);
    if (rc == SCHED_OK && type != ADVISOR_OP_SKIP)
      rc = get_list(c, e, "kernel", 3, "candidates", kernels, &nk);
    if (rc == SCHED_OK && type == ADVISOR_OP_MBCONV)
      rc = get_list(c, e, "expand", 6, "candidates", expands, &ne);
    if (rc != SCHED_OK)
      return rc;
    if (type == ADVISOR_OP_GAP || type == ADVISOR_OP_FC)
      return sched_diag_set(c->diag, SCHED_ERR_INPUT,
                            "%s: candidates: gap and fc only go in stem or head", c->where);
    rc = count_check(c, "candidates", s->n_cands, (int64_t)nk * ne, SPACE_MAX_CANDS);
    if (rc != SCHED_OK)
      return rc;
    for (int k = 0; k < nk; k++)
      for (int x = 0; x < ne; x++)
        cand_push(s, &cap,
                  (advisor_cand_t){type, type == ADVISOR_OP_SKIP ? 0 : kernels[k],
                                   type == ADVISOR_OP_MBCONV ? expands[x] : 1});
  }
  return s->n_cands > 0 ? SCHED_OK
                        : sched_diag_set(c->diag, SCHED_ERR_INPUT,
                                         "%s: 'candidates' must be a non-empty list", c->where);
}

/* Output size of a "same"-padded window with this stride. */
static int32_t out_dim(int32_t in, int32_t stride) { return (in + stride - 1) / stride; }

typedef struct {
  int32_t c, h, w;
  int cap;
} shape_state_t;

static void position_push(advisor_space_t *s, shape_state_t *st, advisor_position_t pos) {
  pos.c_in = st->c;
  pos.h_in = st->h;
  pos.w_in = st->w;
  sched_grow((void **)&s->positions, &st->cap, s->n_positions + 1, sizeof *s->positions);
  s->positions[s->n_positions++] = pos;
  bool global = pos.fixed && (pos.op.type == ADVISOR_OP_GAP || pos.op.type == ADVISOR_OP_FC);
  st->c = pos.c_out;
  st->h = global ? 1 : out_dim(st->h, pos.stride);
  st->w = global ? 1 : out_dim(st->w, pos.stride);
}

static int parse_fixed(const parse_ctx_t *c, const cJSON *arr, const char *prefix,
                       advisor_space_t *s, shape_state_t *st) {
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    advisor_position_t pos = {.fixed = true, .stride = 1};
    int rc = count_check(c, "positions (blocks, stem and head ops)", s->n_positions, 1,
                         SPACE_MAX_POSITIONS);
    if (rc == SCHED_OK)
      rc = get_type(c, e, prefix, &pos.op.type);
    bool keeps_c = pos.op.type == ADVISOR_OP_GAP || pos.op.type == ADVISOR_OP_SKIP;
    pos.c_out = st->c;
    if (rc == SCHED_OK && !keeps_c)
      rc = get_int(c, e, "channels", 0, prefix, &pos.c_out);
    if (rc == SCHED_OK)
      rc = get_int(c, e, "kernel", 1, prefix, &pos.op.kernel);
    if (rc == SCHED_OK)
      rc = get_int(c, e, "expand", 1, prefix, &pos.op.expand);
    if (rc == SCHED_OK)
      rc = get_int(c, e, "stride", 1, prefix, &pos.stride);
    if (rc != SCHED_OK)
      return rc;
    snprintf(pos.label, sizeof pos.label, "%s%d", prefix, i++);
    position_push(s, st, pos);
  }
  return SCHED_OK;
}

static int parse_stages(const parse_ctx_t *c, const cJSON *arr, advisor_space_t *s,
                        shape_state_t *st) {
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    int32_t channels = 0, blocks = 0, stride = 0;
    int rc = get_int(c, e, "channels", 0, "stages", &channels);
    if (rc == SCHED_OK)
      rc = get_int(c, e, "blocks", 1, "stages", &blocks);
    if (rc == SCHED_OK)
      rc = get_int(c, e, "stride", 1, "stages", &stride);
    if (rc == SCHED_OK)
      rc = count_check(c, "positions (blocks, stem and head ops)", s->n_positions, blocks,
                       SPACE_MAX_POSITIONS);
    if (rc != SCHED_OK)
      return rc;
    for (int b = 0; b < blocks; b++) {
      advisor_position_t pos = {.c_out = channels, .stride = b == 0 ? stride : 1};
      snprintf(pos.label, sizeof pos.label, "s%db%d", i + 1, b + 1);
      position_push(s, st, pos);
    }
    i++;
  }
  return i > 0 ? SCHED_OK
               : sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: 'stages' must be a non-empty list",
                                c->where);
}

static int parse_root(const parse_ctx_t *c, const cJSON *root, advisor_space_t *s) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
  const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(root, "dtype");
  const cJSON *input = cJSON_GetObjectItemCaseSensitive(root, "input");
  snprintf(s->name, sizeof s->name, "%s", cJSON_IsString(name) ? name->valuestring : "space");
  if (dtype && (!cJSON_IsString(dtype) || ir_dtype_parse(dtype->valuestring, &s->dtype)))
    return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: 'dtype' must be u8, i8 or fp16", c->where);
  int rc = get_int(c, input, "channels", 0, "input", &s->c_in);
  if (rc == SCHED_OK)
    rc = get_int(c, input, "height", 0, "input", &s->h_in);
  if (rc == SCHED_OK)
    rc = get_int(c, input, "width", 0, "input", &s->w_in);
  if (rc == SCHED_OK)
    rc = parse_candidates(c, cJSON_GetObjectItemCaseSensitive(root, "candidates"), s);
  shape_state_t st = {s->c_in, s->h_in, s->w_in, 0};
  if (rc == SCHED_OK)
    rc = parse_fixed(c, cJSON_GetObjectItemCaseSensitive(root, "stem"), "stem", s, &st);
  if (rc == SCHED_OK)
    rc = parse_stages(c, cJSON_GetObjectItemCaseSensitive(root, "stages"), s, &st);
  if (rc == SCHED_OK)
    rc = parse_fixed(c, cJSON_GetObjectItemCaseSensitive(root, "head"), "head", s, &st);
  return rc;
}

int advisor_space_parse(const char *text, const char *where, advisor_space_t *out,
                        sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  parse_ctx_t c = {where, diag};
  cJSON *root = sched_json_parse(text, strlen(text), where, diag);
  int rc = root ? parse_root(&c, root, out) : SCHED_ERR_INPUT;
  cJSON_Delete(root);
  if (rc != SCHED_OK)
    advisor_space_free(out);
  return rc;
}

int advisor_space_read(const char *path, advisor_space_t *out, sched_diag_t *diag) {
  memset(out, 0, sizeof *out);
  char *buf;
  int rc = sched_file_read(path, "search space", SPACE_MAX_FILE_BYTES, &buf, NULL, diag);
  if (rc == SCHED_OK)
    rc = advisor_space_parse(buf, path, out, diag);
  free(buf);
  return rc;
}
