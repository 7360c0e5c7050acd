/* lut.c - the lookup-table cost provider: measured cycles per workload.
 *
 * The file is CSV with this exact header line:
 *
 *   op,in_c,in_h,in_w,out_c,out_h,out_w,kernel_h,kernel_w,stride_h,stride_w,dtype,mode,cycles
 *
 * op is conv|dwconv|maxpool|avgpool|eltwise; dtype u8|i8|fp16; mode
 * 16x16|8x16|4x16|vector|matrix (the mode the measurement ran in); cycles a
 * positive integer of DPU clock cycles. The file is RFC 4180 CSV (common/csv.h);
 * blank lines and lines starting with '#' are skipped. Padding is not part of the key: a row
 * matches a workload equal in every other column. Under ARCH_MPE_AUTO the fastest matching row of
 * any mode answers. A workload with no row is declined (SCHED_ERR_NOT_FOUND) and the cost model
 * falls back to the analytic provider. Tables are small (hundreds of rows), so lookup is a linear
 * scan. Errors name file:line and the bad field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "cost/cost.h"

#define LUT_HEADER                                                                                 \
  "op,in_c,in_h,in_w,out_c,out_h,out_w,kernel_h,kernel_w,stride_h,stride_w,dtype,mode,cycles"
#define LUT_FIELDS 14
#define LUT_INT_FIELDS 10 /* in_c .. stride_w */
#define LUT_ROWS_MAX 1000000
#define LUT_MAX_FILE_BYTES ((size_t)LUT_ROWS_MAX * LUT_LINE_MAX)

typedef struct {
  cost_dpu_op_t op;
  int32_t dims[LUT_INT_FIELDS]; /* in_c, in_h, in_w, out_c, out_h, out_w, kh, kw, sh, sw */
  ir_dtype_t dtype;
  arch_mpe_mode_t mode;
  int64_t cycles;
} lut_row_t;

typedef struct {
  lut_row_t *rows;
  int n_rows;
} lut_t;

static const char *const int_field_names[LUT_INT_FIELDS] = {
    "in_c",  "in_h",     "in_w",     "out_c",    "out_h",
    "out_w", "kernel_h", "kernel_w", "stride_h", "stride_w"};

static void workload_dims(const cost_workload_t *wl, int32_t dims[LUT_INT_FIELDS]) {
  const int32_t d[LUT_INT_FIELDS] = {wl->in_c,     wl->in_h,    wl->in_w,     wl->out_c,
                                     wl->out_h,    wl->out_w,   wl->kernel_h, wl->kernel_w,
                                     wl->stride_h, wl->stride_w};
  memcpy(dims, d, sizeof d);
}

static bool parse_long(const char *s, long long min, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0 || v < min || v > INT32_MAX)
    return false;
  *out = v;
  return true;
}

typedef struct {
  const char *path;
  int line;
  sched_diag_t *diag;
} lut_ctx_t;

static int bad_field(const lut_ctx_t *c, const char *name, const char *value, const char *want) {
  return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s:%d: bad %s '%s' (expected %s)", c->path,
                        c->line, name, value, want);
}

static int parse_row(const lut_ctx_t *c, char *const *f, lut_row_t *row) {
  if (cost_dpu_op_parse(f[0], &row->op) != SCHED_OK)
    return bad_field(c, "op", f[0], "conv, dwconv, maxpool, avgpool or eltwise");
  for (int i = 0; i < LUT_INT_FIELDS; i++) {
    long long v;
    if (!parse_long(f[1 + i], 1, &v))
      return bad_field(c, int_field_names[i], f[1 + i], "a positive integer");
    row->dims[i] = (int32_t)v;
  }
  if (ir_dtype_parse(f[11], &row->dtype) != SCHED_OK)
    return bad_field(c, "dtype", f[11], "u8, i8 or fp16");
  if (arch_mpe_mode_parse(f[12], &row->mode) != SCHED_OK || row->mode == ARCH_MPE_AUTO)
    return bad_field(c, "mode", f[12], "16x16, 8x16, 4x16, vector or matrix");
  long long cycles;
  if (!parse_long(f[13], 1, &cycles))
    return bad_field(c, "cycles", f[13], "a positive integer");
  row->cycles = cycles;
  return SCHED_OK;
}

/* The header must be LUT_HEADER exactly (the reader has checked every row
 * has as many fields). */
static bool header_ok(const sched_csv_t *t) {
  char text[sizeof LUT_HEADER] = "";
  if (t->n_rows == 0 || t->rows[0].n_fields != LUT_FIELDS)
    return false;
  for (int i = 0; i < LUT_FIELDS; i++) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof text - used, "%s%s", i ? "," : "", t->rows[0].fields[i]);
  }
  return strcmp(text, LUT_HEADER) == 0;
}

static int read_rows(const sched_csv_t *t, lut_ctx_t *c, lut_t *lut) {
  if (!header_ok(t))
    return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s:1: expected the header '%s'", c->path,
                          LUT_HEADER);
  if (t->n_rows - 1 > LUT_ROWS_MAX)
    return sched_diag_set(c->diag, SCHED_ERR_INPUT, "%s: more than %d rows", c->path, LUT_ROWS_MAX);
  lut->rows = sched_xcalloc((size_t)SCHED_MAX(t->n_rows - 1, 1), sizeof *lut->rows);
  for (int r = 1; r < t->n_rows; r++) {
    c->line = t->rows[r].line;
    int rc = parse_row(c, t->rows[r].fields, &lut->rows[lut->n_rows]);
    if (rc != SCHED_OK)
      return rc;
    lut->n_rows++;
  }
  return SCHED_OK;
}

static void lut_close(void *state) {
  lut_t *lut = state;
  if (!lut)
    return;
  free(lut->rows);
  free(lut);
}

static int lut_open(const char *arg, const arch_t *arch, void **state, sched_diag_t *diag) {
  (void)arch;
  if (!arg || !*arg)
    return sched_diag_set(diag, SCHED_ERR_INPUT, "cost provider 'lut' needs a file: lut:FILE.csv");
  sched_csv_t t;
  int rc = sched_csv_read_path(arg, &(sched_csv_read_options_t){.comments = true}, &t, diag);
  if (rc != SCHED_OK)
    return rc;
  lut_t *lut = sched_xcalloc(1, sizeof *lut);
  lut_ctx_t c = {arg, 0, diag};
  rc = read_rows(&t, &c, lut);
  sched_csv_free(&t);
  if (rc != SCHED_OK) {
    lut_close(lut);
    return rc;
  }
  *state = lut;
  return SCHED_OK;
}

static bool row_matches(const lut_row_t *r, const cost_workload_t *wl,
                        const int32_t dims[LUT_INT_FIELDS]) {
  if (r->op != wl->op || r->dtype != wl->dtype)
    return false;
  if (wl->mode != ARCH_MPE_AUTO && r->mode != wl->mode)
    return false;
  return memcmp(r->dims, dims, sizeof r->dims) == 0;
}

static bool arch_has_mode(const arch_t *a, arch_mpe_mode_t mode) {
  for (int i = 0; i < a->n_mpe_modes; i++)
    if (a->mpe_modes[i] == mode)
      return true;
  return false;
}

static int lut_dpu_workload(const void *state, const arch_t *arch, const cost_workload_t *wl,
                            cost_dpu_estimate_t *out) {
  const lut_t *lut = state;
  int32_t dims[LUT_INT_FIELDS];
  workload_dims(wl, dims);
  const lut_row_t *best = NULL;
  for (int i = 0; i < lut->n_rows; i++) {
    const lut_row_t *r = &lut->rows[i];
    if (row_matches(r, wl, dims) && arch_has_mode(arch, r->mode) &&
        (!best || r->cycles < best->cycles))
      best = r;
  }
  if (!best)
    return SCHED_ERR_NOT_FOUND;
  out->cycles = best->cycles;
  out->mode = best->mode;
  out->provider = cost_provider_lut.name;
  return SCHED_OK;
}

const cost_provider_t cost_provider_lut = {
    .name = "lut",
    .open = lut_open,
    .dpu_workload = lut_dpu_workload,
    .close = lut_close,
};
