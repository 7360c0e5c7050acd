/* reader.c - helpers of the file readers (json.c, onnx_*.c): the name table
 * (FNV-1a hashing, linear probing, grown at half load), shape caps and
 * capped whole-file reading. */
#include "ir/reader.h"

#include "ir/ir_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ir_names_init(ir_names_t *t) { memset(t, 0, sizeof *t); }

void ir_names_free(ir_names_t *t) {
  free(t->keys);
  free(t->values);
  memset(t, 0, sizeof *t);
}

static uint64_t hash_of(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Slot holding key, or the empty slot where it would go. cap is a power of
 * two and the table is never full. */
static int slot_of(const ir_names_t *t, const char *key) {
  int mask = t->cap - 1, i = (int)(hash_of(key) & (uint64_t)mask);
  while (t->keys[i] && strcmp(t->keys[i], key) != 0)
    i = (i + 1) & mask;
  return i;
}

static void grow(ir_names_t *t) {
  ir_names_t bigger = {.cap = t->cap ? t->cap * 2 : 64};
  bigger.keys = sched_xcalloc((size_t)bigger.cap, sizeof *bigger.keys);
  bigger.values = sched_xcalloc((size_t)bigger.cap, sizeof *bigger.values);
  for (int i = 0; i < t->cap; i++) {
    if (!t->keys[i])
      continue;
    int s = slot_of(&bigger, t->keys[i]);
    bigger.keys[s] = t->keys[i];
    bigger.values[s] = t->values[i];
  }
  bigger.n = t->n;
  ir_names_free(t);
  *t = bigger;
}

int ir_names_put(ir_names_t *t, const char *key, int value) {
  if (2 * (t->n + 1) > t->cap)
    grow(t);
  int s = slot_of(t, key);
  if (t->keys[s])
    return t->values[s];
  t->keys[s] = key;
  t->values[s] = value;
  t->n++;
  return -1;
}

int ir_names_get(const ir_names_t *t, const char *key) {
  if (t->cap == 0)
    return -1;
  int s = slot_of(t, key);
  return t->keys[s] ? t->values[s] : -1;
}

int ir_reader_check_shape(ir_shape_t s, const char *what, sched_diag_t *diag) {
  int64_t dims[4] = {s.n, s.c, s.h, s.w}, elems = 1;
  for (int i = 0; i < 4; i++) {
    if (dims[i] <= 0)
      return sched_diag_set(diag, SCHED_ERR_INPUT, "%s: shape %s: dim %d is %lld, must be positive",
                            what, ir_i_shape_str(s).s, i, (long long)dims[i]);
    if (dims[i] > IR_READER_MAX_DIM || elems > IR_READER_MAX_ELEMS / dims[i])
      return sched_diag_set(diag, SCHED_ERR_INPUT,
                            "%s: shape %s is too large (at most 2^31 per dim, 2^40 elements)", what,
                            ir_i_shape_str(s).s);
    elems *= dims[i];
  }
  return SCHED_OK;
}

int ir_reader_infer_op(ir_graph_t *g, int op, sched_diag_t *diag) {
  int rc = ir_op_infer_shape(g, op, diag);
  if (rc != SCHED_OK)
    return rc;
  char what[SCHED_DIAG_MAX / 2];
  snprintf(what, sizeof what, "op '%s': output", g->ops[op].name);
  return ir_reader_check_shape(g->tensors[g->ops[op].output].shape, what, diag);
}

void ir_reader_rename_tensor(ir_graph_t *g, int t, const char *name) {
  free(g->tensors[t].name);
  g->tensors[t].name = sched_xstrdup(name);
}

int ir_reader_slurp(const char *path, size_t max_bytes, char **data, size_t *len,
                    sched_diag_t *diag) {
  return sched_file_read(path, NULL, max_bytes, data, len, diag);
}
