/* verify.c - topological order (igraph) and the graph checker.
 *
 * ir_graph_sort builds the op dependency graph (an edge from each producer to
 * each reader) and lets igraph order it; a graph that is already in order is
 * left untouched so sorting is stable. A cycle is found with igraph_is_dag and
 * named through a strongly connected component of more than one op.
 *
 * ir_graph_verify requires nothing and trusts nothing: it checks ids, names,
 * producers, order and shapes in that order and names the first violation.
 * Tensors no op reads, no op produces and that are not graph inputs or
 * outputs are allowed: ir_graph_fuse_activations leaves them behind so that
 * tensor ids stay stable. */
#include "ir/ir_internal.h"

#include <igraph/igraph.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorting ---- */

/* Sets an input error; all violations are bad input, not internal bugs. */
__attribute__((format(printf, 2, 3))) static int fail(sched_diag_t *diag, const char *fmt, ...) {
  char msg[SCHED_DIAG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sched_diag_set(diag, SCHED_ERR_INPUT, "%s", msg);
}

static bool valid_tensor(const ir_graph_t *g, int t) { return t >= 0 && t < g->n_tensors; }

/* The op producing input j of op i, or -1 (graph input, bad id). */
static int producer_of(const ir_graph_t *g, int i, int j) {
  int t = g->ops[i].inputs[j];
  if (!valid_tensor(g, t))
    return -1;
  int p = g->tensors[t].producer;
  return p >= 0 && p < g->n_ops ? p : -1;
}

static bool is_sorted(const ir_graph_t *g) {
  for (int i = 0; i < g->n_ops; i++)
    for (int j = 0; j < g->ops[i].n_inputs; j++)
      if (producer_of(g, i, j) >= i)
        return false;
  return true;
}

/* One conversion of igraph failures into our status codes. */
static int status_of(igraph_error_t rc, sched_diag_t *diag) {
  if (rc == IGRAPH_SUCCESS)
    return SCHED_OK;
  int status = rc == IGRAPH_ENOMEM ? SCHED_ERR_NOMEM : SCHED_ERR_INTERNAL;
  return sched_diag_set(diag, status, "igraph: %s", igraph_strerror(rc));
}

static igraph_error_t build_dependency_graph(const ir_graph_t *g, igraph_t *dag) {
  igraph_vector_int_t edges;
  IGRAPH_CHECK(igraph_vector_int_init(&edges, 0));
  igraph_error_t rc = IGRAPH_SUCCESS;
  for (int i = 0; i < g->n_ops && rc == IGRAPH_SUCCESS; i++) {
    for (int j = 0; j < g->ops[i].n_inputs && rc == IGRAPH_SUCCESS; j++) {
      int p = producer_of(g, i, j);
      if (p >= 0)
        rc = igraph_vector_int_push_back(&edges, p);
      if (p >= 0 && rc == IGRAPH_SUCCESS)
        rc = igraph_vector_int_push_back(&edges, i);
    }
  }
  if (rc == IGRAPH_SUCCESS)
    rc = igraph_create(dag, &edges, g->n_ops, IGRAPH_DIRECTED);
  igraph_vector_int_destroy(&edges);
  return rc;
}

/* Names an op on a cycle: one reading its own output, else the first op of
 * a strongly connected component with more than one op. */
static igraph_error_t find_cycle_op(const ir_graph_t *g, const igraph_t *dag, int *op) {
  for (int i = 0; i < g->n_ops; i++)
    for (int j = 0; j < g->ops[i].n_inputs; j++)
      if (producer_of(g, i, j) == i) {
        *op = i;
        return IGRAPH_SUCCESS;
      }
  igraph_vector_int_t membership, sizes;
  IGRAPH_CHECK(igraph_vector_int_init(&membership, 0));
  igraph_error_t rc = igraph_vector_int_init(&sizes, 0);
  if (rc == IGRAPH_SUCCESS)
    rc = igraph_connected_components(dag, &membership, &sizes, NULL, IGRAPH_STRONG);
  *op = 0;
  for (int i = 0; rc == IGRAPH_SUCCESS && i < g->n_ops; i++) {
    if (VECTOR(sizes)[VECTOR(membership)[i]] > 1) {
      *op = i;
      break;
    }
  }
  igraph_vector_int_destroy(&sizes);
  igraph_vector_int_destroy(&membership);
  return rc;
}

/* Rewrites ops into `order` and points every produced tensor at its op's new
 * index. */
static void apply_order(ir_graph_t *g, const igraph_vector_int_t *order) {
  ir_op_t *ops = sched_xmalloc((size_t)g->n_ops * sizeof *ops);
  for (int k = 0; k < g->n_ops; k++)
    ops[k] = g->ops[VECTOR(*order)[k]];
  memcpy(g->ops, ops, (size_t)g->n_ops * sizeof *ops);
  free(ops);
  for (int k = 0; k < g->n_ops; k++)
    if (valid_tensor(g, g->ops[k].output))
      g->tensors[g->ops[k].output].producer = k;
}

/* Sorts with igraph; sets *cycle_op when the graph is not a DAG. */
static int sort_with_igraph(ir_graph_t *g, int *cycle_op, sched_diag_t *diag) {
  igraph_t dag;
  igraph_vector_int_t order;
  igraph_bool_t acyclic = false;
  igraph_error_t rc = build_dependency_graph(g, &dag);
  if (rc != IGRAPH_SUCCESS)
    return status_of(rc, diag);
  rc = igraph_vector_int_init(&order, 0);
  if (rc != IGRAPH_SUCCESS)
    goto fail_graph;
  rc = igraph_is_dag(&dag, &acyclic);
  if (rc == IGRAPH_SUCCESS && !acyclic)
    rc = find_cycle_op(g, &dag, cycle_op);
  if (rc == IGRAPH_SUCCESS && acyclic)
    rc = igraph_topological_sorting(&dag, &order, IGRAPH_OUT);
  if (rc == IGRAPH_SUCCESS && acyclic)
    apply_order(g, &order);
  igraph_vector_int_destroy(&order);
fail_graph:
  igraph_destroy(&dag);
  return status_of(rc, diag);
}

int ir_graph_sort(ir_graph_t *g, sched_diag_t *diag) {
  if (is_sorted(g))
    return SCHED_OK;
  /* igraph's default handler aborts; ours reads return codes instead. The
   * handlers are restored so other callers in the process are unaffected. */
  igraph_error_handler_t *old_error = igraph_set_error_handler(igraph_error_handler_ignore);
  igraph_warning_handler_t *old_warning = igraph_set_warning_handler(igraph_warning_handler_ignore);
  int cycle_op = -1;
  int rc = sort_with_igraph(g, &cycle_op, diag);
  igraph_set_warning_handler(old_warning);
  igraph_set_error_handler(old_error);
  if (rc == SCHED_OK && cycle_op >= 0)
    return fail(diag, "graph has a cycle through op '%s'", g->ops[cycle_op].name);
  return rc;
}

/* ---- verification ---- */

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names present and unique; `what` is "op" or "tensor". */
static int check_unique_names(char **names, int n, const char *what, sched_diag_t *diag) {
  for (int i = 0; i < n; i++)
    if (!names[i] || !names[i][0])
      return fail(diag, "%s %d has no name", what, i);
  qsort(names, (size_t)n, sizeof *names, cmp_names);
  for (int i = 1; i < n; i++)
    if (strcmp(names[i - 1], names[i]) == 0)
      return fail(diag, "two %ss are named '%s'", what, names[i]);
  return SCHED_OK;
}

static int check_names(const ir_graph_t *g, sched_diag_t *diag) {
  int n = SCHED_MAX(g->n_ops, g->n_tensors);
  char **names = sched_xmalloc((size_t)(n ? n : 1) * sizeof *names);
  for (int i = 0; i < g->n_ops; i++)
    names[i] = g->ops[i].name;
  int rc = check_unique_names(names, g->n_ops, "op", diag);
  for (int i = 0; i < g->n_tensors; i++)
    names[i] = g->tensors[i].name;
  if (rc == SCHED_OK)
    rc = check_unique_names(names, g->n_tensors, "tensor", diag);
  free(names);
  return rc;
}

/* Graph inputs and outputs: ids in range, inputs not produced by an op. */
static int check_io(const ir_graph_t *g, sched_diag_t *diag) {
  for (int i = 0; i < g->n_inputs; i++) {
    int t = g->inputs[i];
    if (!valid_tensor(g, t))
      return fail(diag, "graph input %d is tensor id %d, out of range", i, t);
    if (g->tensors[t].producer != -1)
      return fail(diag, "graph input '%s' is also produced by an op", g->tensors[t].name);
  }
  if (g->n_outputs == 0)
    return fail(diag, "graph has no outputs");
  for (int i = 0; i < g->n_outputs; i++)
    if (!valid_tensor(g, g->outputs[i]))
      return fail(diag, "graph output %d is tensor id %d, out of range", i, g->outputs[i]);
  return SCHED_OK;
}

static bool is_graph_input(const ir_graph_t *g, int t) {
  for (int i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] == t)
      return true;
  return false;
}

/* Read by an op or a graph output (so it must come from somewhere). */
static bool *used_tensors(const ir_graph_t *g) {
  bool *used = sched_xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *used);
  for (int i = 0; i < g->n_ops; i++)
    for (int j = 0; j < g->ops[i].n_inputs; j++)
      if (valid_tensor(g, g->ops[i].inputs[j]))
        used[g->ops[i].inputs[j]] = true;
  for (int i = 0; i < g->n_outputs; i++)
    used[g->outputs[i]] = true;
  return used;
}

/* Producers point back at ops that name the tensor as their output; every
 * tensor in use has a producer or is a graph input, and positive dims. */
static int check_tensors(const ir_graph_t *g, const bool *used, sched_diag_t *diag) {
  for (int t = 0; t < g->n_tensors; t++) {
    const ir_tensor_t *x = &g->tensors[t];
    if (x->producer < -1 || x->producer >= g->n_ops ||
        (x->producer >= 0 && g->ops[x->producer].output != t))
      return fail(diag, "tensor '%s' names a producer that does not output it", x->name);
    if (x->dtype < 0 || x->dtype >= IR_DTYPE_COUNT)
      return fail(diag, "tensor '%s' has an unknown dtype", x->name);
    bool live = used[t] || x->producer >= 0 || is_graph_input(g, t);
    if (used[t] && x->producer == -1 && !is_graph_input(g, t))
      return fail(diag, "tensor '%s' has no producer and is not a graph input", x->name);
    if (live && !ir_i_shape_known(x->shape))
      return fail(diag, "tensor '%s' has non-positive dims %s", x->name,
                  ir_i_shape_str(x->shape).s);
  }
  return SCHED_OK;
}

/* Ids in range, each op the producer of its output, inputs produced earlier. */
static int check_op_links(const ir_graph_t *g, int i, sched_diag_t *diag) {
  const ir_op_t *op = &g->ops[i];
  if (!valid_tensor(g, op->output) || g->tensors[op->output].producer != i)
    return fail(diag, "op '%s': output is not a tensor produced by this op", op->name);
  if (op->n_inputs < 0 || op->n_inputs > IR_MAX_INPUTS)
    return fail(diag, "op '%s': input count out of range", op->name);
  for (int j = 0; j < op->n_inputs; j++) {
    int t = op->inputs[j];
    if (!valid_tensor(g, t))
      return fail(diag,
                  "op '%s': input %d is tensor id %d, out of range (graph has %d "
                  "tensors)",
                  op->name, j, t, g->n_tensors);
    if (g->tensors[t].producer >= i)
      return fail(diag,
                  "op order not topological: op '%s' reads '%s' produced later by op "
                  "'%s'",
                  op->name, g->tensors[t].name, g->ops[g->tensors[t].producer].name);
  }
  return SCHED_OK;
}

/* The stored output shape is what the inputs give; a fused activation sits on
 * a DPU op. */
static int check_op_shape(const ir_graph_t *g, int i, sched_diag_t *diag) {
  const ir_op_t *op = &g->ops[i];
  ir_shape_t want;
  int rc = ir_i_infer(g, i, &want, diag);
  if (rc != SCHED_OK)
    return rc;
  ir_shape_t got = g->tensors[op->output].shape;
  if (memcmp(&want, &got, sizeof want) != 0)
    return fail(diag, "op '%s': output has shape %s but its inputs give %s", op->name,
                ir_i_shape_str(got).s, ir_i_shape_str(want).s);
  if (op->fused_act != IR_OP_NONE &&
      (!ir_op_is_activation(op->fused_act) || !ir_i_kind_is_dpu(op->kind)))
    return fail(diag, "op '%s': fused activation '%s' needs an activation on a DPU op", op->name,
                ir_op_kind_name(op->fused_act));
  return SCHED_OK;
}

/* Links and shapes of every op first: a bad id explains an unread output. */
static int check_ops(const ir_graph_t *g, const bool *used, sched_diag_t *diag) {
  for (int i = 0; i < g->n_ops; i++) {
    int rc = check_op_links(g, i, diag);
    if (rc == SCHED_OK)
      rc = check_op_shape(g, i, diag);
    if (rc != SCHED_OK)
      return rc;
  }
  for (int i = 0; i < g->n_ops; i++)
    if (!used[g->ops[i].output])
      return fail(diag, "op '%s': output '%s' is never read and is not a graph output",
                  g->ops[i].name, g->tensors[g->ops[i].output].name);
  return SCHED_OK;
}

int ir_graph_verify(const ir_graph_t *g, sched_diag_t *diag) {
  int rc = check_names(g, diag);
  if (rc == SCHED_OK)
    rc = check_io(g, diag);
  if (rc != SCHED_OK)
    return rc;
  bool *used = used_tensors(g);
  rc = check_tensors(g, used, diag);
  if (rc == SCHED_OK)
    rc = check_ops(g, used, diag);
  free(used);
  return rc;
}
