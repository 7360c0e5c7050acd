/* onnx_graph.c - orders the ONNX nodes and converts them one by one.
 *
 * Requires the graph's inputs and initializers registered (onnx.c). Nodes
 * run in file order when that is topological (ONNX requires it), else in the
 * order igraph gives; a cycle is an error naming a node on it. Only nodes a
 * graph output depends on are converted, so dead branches (and the unused
 * extra outputs of training-mode exports) do not reach the IR. Before
 * converting, the decomposed GELU x * 0.5 * (1 + erf(x / sqrt 2)) that
 * exporters emit is found and marked, so it becomes one GELU op. */
#include "ir/ir_internal.h"
#include "ir/onnx_import.h"

#include <igraph/igraph.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

static bool seq_layout(int rank) { return (rank & ONNX_SEQ) || (rank & ~ONNX_SEQ) == 3; }

/* Sequence layout: the last dim is C, then H, W, N (right-aligned). */
static int64_t *seq_slot(ir_shape_t *s, int from_right) {
  int64_t *slots[4] = {&s->c, &s->h, &s->w, &s->n};
  return slots[from_right];
}

ir_shape_t onnx_to_nchw(int rank, const int64_t *d) {
  bool seq = seq_layout(rank);
  rank &= ~ONNX_SEQ;
  if (seq && rank >= 3) {
    ir_shape_t s = {1, 1, 1, 1};
    for (int i = 0; i < rank && i < 4; i++)
      *seq_slot(&s, rank - 1 - i) = d[i];
    return s;
  }
  switch (rank) {
  case 0: return (ir_shape_t){1, 1, 1, 1};
  case 1: return (ir_shape_t){1, d[0], 1, 1};
  case 2: return (ir_shape_t){d[0], d[1], 1, 1};
  default: return (ir_shape_t){d[0], d[1], d[2], d[3]};
  }
}

void onnx_from_nchw(ir_shape_t s, int rank, int64_t *d) {
  bool seq = seq_layout(rank);
  rank &= ~ONNX_SEQ;
  if (seq && rank >= 3) {
    for (int i = 0; i < rank && i < 4; i++)
      d[i] = *seq_slot(&s, rank - 1 - i);
    return;
  }
  int64_t all[4] = {s.n, s.c, s.h, s.w};
  if (rank == 1)
    d[0] = s.c;
  for (int i = 0; rank != 1 && i < rank && i < 4; i++)
    d[i] = all[i];
}

bool onnx_ir_axis(const onnx_val_t *v, int64_t axis, ir_axis_t *out) {
  if (axis < 0)
    axis += v->rank;
  if (axis < 0 || axis >= v->rank || v->rank > 4)
    return false;
  static const ir_axis_t from_right[4] = {IR_AXIS_C, IR_AXIS_H, IR_AXIS_W, IR_AXIS_N};
  static const ir_axis_t nchw[4] = {IR_AXIS_N, IR_AXIS_C, IR_AXIS_H, IR_AXIS_W};
  if (v->seq && v->rank >= 3)
    *out = from_right[v->rank - 1 - axis];
  else
    *out = v->rank == 1 ? IR_AXIS_C : nchw[axis];
  return true;
}

int onnx_layout_rank(const onnx_val_t *v) { return v->rank | (v->seq ? ONNX_SEQ : 0); }

int onnx_val_add(onnx_ctx_t *c, const char *name, const onnx_val_t *v) {
  if (ir_names_get(&c->names, name) >= 0)
    return -1;
  sched_grow((void **)&c->vals, &c->cap_vals, c->n_vals + 1, sizeof *c->vals);
  c->vals[c->n_vals] = *v;
  ir_names_put(&c->names, name, c->n_vals);
  return c->n_vals++;
}

onnx_val_t *onnx_val_find(onnx_ctx_t *c, const char *name) {
  int i = ir_names_get(&c->names, name);
  return i >= 0 ? &c->vals[i] : NULL;
}

int onnx_val_act(onnx_ctx_t *c, const char *name, int t, int rank) {
  onnx_val_t v = {.tensor = t, .rank = rank & ~ONNX_SEQ, .seq = seq_layout(rank)};
  onnx_from_nchw(c->g->tensors[t].shape, rank, v.dims);
  return onnx_val_add(c, name, &v);
}

/* ---- order ---- */

/* Producer of every node output; a name produced twice is an error. */
static int index_producers(onnx_ctx_t *c) {
  const Onnx__GraphProto *gp = c->gp;
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *n = gp->node[i];
    for (size_t j = 0; j < n->n_output; j++) {
      if (!n->output[j][0])
        continue;
      if (onnx_val_find(c, n->output[j]) || ir_names_put(&c->producer, n->output[j], (int)i) >= 0)
        return onnx_node_error(c, n, "output '%s' is already produced elsewhere", n->output[j]);
    }
  }
  return SCHED_OK;
}

static int producer_of(const onnx_ctx_t *c, const char *name) {
  return name[0] ? ir_names_get(&c->producer, name) : -1;
}

static bool file_order_is_topological(const onnx_ctx_t *c) {
  for (size_t i = 0; i < c->gp->n_node; i++) {
    const Onnx__NodeProto *n = c->gp->node[i];
    for (size_t j = 0; j < n->n_input; j++)
      if (producer_of(c, n->input[j]) >= (int)i)
        return false;
  }
  return true;
}

static igraph_error_t build_dag(const onnx_ctx_t *c, igraph_t *dag) {
  igraph_vector_int_t edges;
  IGRAPH_CHECK(igraph_vector_int_init(&edges, 0));
  igraph_error_t rc = IGRAPH_SUCCESS;
  for (size_t i = 0; i < c->gp->n_node && rc == IGRAPH_SUCCESS; i++) {
    const Onnx__NodeProto *n = c->gp->node[i];
    for (size_t j = 0; j < n->n_input && rc == IGRAPH_SUCCESS; j++) {
      int p = producer_of(c, n->input[j]);
      if (p >= 0)
        rc = igraph_vector_int_push_back(&edges, p);
      if (p >= 0 && rc == IGRAPH_SUCCESS)
        rc = igraph_vector_int_push_back(&edges, (igraph_integer_t)i);
    }
  }
  if (rc == IGRAPH_SUCCESS)
    rc = igraph_create(dag, &edges, (igraph_integer_t)c->gp->n_node, IGRAPH_DIRECTED);
  igraph_vector_int_destroy(&edges);
  return rc;
}

/* A node on a cycle: the first one in a strongly connected component of
 * more than one node, or reading its own output. */
static int cycle_node(const onnx_ctx_t *c, const igraph_t *dag) {
  igraph_vector_int_t membership, sizes;
  int found = 0;
  if (igraph_vector_int_init(&membership, 0) != IGRAPH_SUCCESS)
    return 0;
  if (igraph_vector_int_init(&sizes, 0) == IGRAPH_SUCCESS) {
    if (igraph_connected_components(dag, &membership, &sizes, NULL, IGRAPH_STRONG) ==
        IGRAPH_SUCCESS) {
      for (int i = (int)c->gp->n_node - 1; i >= 0; i--)
        if (VECTOR(sizes)[VECTOR(membership)[i]] > 1)
          found = i;
    }
    igraph_vector_int_destroy(&sizes);
  }
  igraph_vector_int_destroy(&membership);
  for (size_t i = 0; i < c->gp->n_node; i++)
    for (size_t j = 0; j < c->gp->node[i]->n_input; j++)
      if (producer_of(c, c->gp->node[i]->input[j]) == (int)i)
        return (int)i;
  return found;
}

static int sort_with_igraph(onnx_ctx_t *c) {
  igraph_t dag;
  igraph_vector_int_t order;
  igraph_bool_t acyclic = false;
  if (build_dag(c, &dag) != IGRAPH_SUCCESS)
    return sched_diag_set(c->diag, SCHED_ERR_NOMEM, "%s: igraph: out of memory", c->path);
  int rc = SCHED_OK;
  if (igraph_vector_int_init(&order, 0) != IGRAPH_SUCCESS || igraph_is_dag(&dag, &acyclic) ||
      (acyclic && igraph_topological_sorting(&dag, &order, IGRAPH_OUT)))
    rc = sched_diag_set(c->diag, SCHED_ERR_NOMEM, "%s: igraph: out of memory", c->path);
  else if (!acyclic)
    rc = onnx_node_error(c, c->gp->node[cycle_node(c, &dag)], "is on a cycle");
  for (size_t i = 0; rc == SCHED_OK && i < c->gp->n_node; i++)
    c->order[i] = (int)VECTOR(order)[i];
  igraph_vector_int_destroy(&order);
  igraph_destroy(&dag);
  return rc;
}

static int order_nodes(onnx_ctx_t *c) {
  c->order = sched_xmalloc(c->gp->n_node * sizeof *c->order);
  for (size_t i = 0; i < c->gp->n_node; i++)
    c->order[i] = (int)i;
  if (file_order_is_topological(c))
    return SCHED_OK;
  igraph_error_handler_t *old_error = igraph_set_error_handler(igraph_error_handler_ignore);
  igraph_warning_handler_t *old_warning = igraph_set_warning_handler(igraph_warning_handler_ignore);
  int rc = sort_with_igraph(c);
  igraph_set_warning_handler(old_warning);
  igraph_set_error_handler(old_error);
  return rc;
}

/* ---- liveness and consumers ---- */

/* Live: reachable backwards from a graph output. Walks the order backwards,
 * so one pass suffices. */
static void mark_live(onnx_ctx_t *c) {
  size_t n = c->gp->n_node;
  c->live = sched_xcalloc(n, sizeof *c->live);
  c->n_consumers = sched_xcalloc(n, sizeof *c->n_consumers);
  c->last_consumer = sched_xmalloc(n * sizeof *c->last_consumer);
  for (size_t i = 0; i < n; i++)
    c->last_consumer[i] = -1;
  for (size_t i = 0; i < c->gp->n_output; i++) {
    int p = producer_of(c, c->gp->output[i]->name ? c->gp->output[i]->name : "");
    if (p >= 0) {
      c->live[p] = true;
      c->n_consumers[p]++;
    }
  }
  for (size_t k = n; k-- > 0;) {
    int i = c->order[k];
    const Onnx__NodeProto *node = c->gp->node[i];
    for (size_t j = 0; c->live[i] && j < node->n_input; j++) {
      int p = producer_of(c, node->input[j]);
      if (p < 0 || strcmp(c->gp->node[p]->output[0], node->input[j]) != 0)
        continue;
      c->live[p] = true;
      c->n_consumers[p]++;
      if (c->last_consumer[p] < 0)
        c->last_consumer[p] = i;
    }
  }
}

/* ---- the decomposed GELU ---- */

static bool is_op(const onnx_ctx_t *c, int node, const char *type) {
  return node >= 0 && strcmp(c->gp->node[node]->op_type, type) == 0;
}

/* The single live reader of node p's output, or -1. */
static int only_consumer(const onnx_ctx_t *c, int p) {
  return p >= 0 && c->n_consumers[p] == 1 ? c->last_consumer[p] : -1;
}

/* For a binary node: the input that is not `name` when the other one is;
 * NULL otherwise. */
static const char *other_input(const Onnx__NodeProto *n, const char *name) {
  if (n->n_input != 2)
    return NULL;
  if (strcmp(n->input[0], name) == 0)
    return n->input[1];
  if (strcmp(n->input[1], name) == 0)
    return n->input[0];
  return NULL;
}

/* Binary node n reads `name` and a constant. */
static bool with_const(onnx_ctx_t *c, int n, const char *name) {
  const char *o = n >= 0 ? other_input(c->gp->node[n], name) : NULL;
  return o && onnx_is_const_name(c, o);
}

/* From A = 1 + erf(x / sqrt2): the node giving x * A * 0.5, absorbing the
 * Muls on the way; -1 when the pattern does not match. */
static int gelu_tail(onnx_ctx_t *c, int a, const char *x) {
  const char *an = c->gp->node[a]->output[0];
  int m1 = only_consumer(c, a);
  if (!is_op(c, m1, "Mul"))
    return -1;
  const char *o = other_input(c->gp->node[m1], an);
  const char *mn = c->gp->node[m1]->output[0];
  int f = only_consumer(c, m1);
  if (o && strcmp(o, x) == 0 && is_op(c, f, "Mul") && with_const(c, f, mn))
    return c->absorbed[m1] = true, f; /* (x * A) * 0.5 */
  if (o && onnx_is_const_name(c, o) && is_op(c, f, "Mul") && other_input(c->gp->node[f], mn) &&
      strcmp(other_input(c->gp->node[f], mn), x) == 0)
    return c->absorbed[m1] = true, f; /* x * (A * 0.5) */
  int m0 = o ? producer_of(c, o) : -1;
  if (is_op(c, m0, "Mul") && only_consumer(c, m0) == m1 && with_const(c, m0, x))
    return c->absorbed[m0] = true, m1; /* (x * 0.5) * A */
  return -1;
}

/* Erf node e: D = x / sqrt2 (or x * 1/sqrt2) feeds it; A = erf + 1. */
static void find_gelu(onnx_ctx_t *c, int e) {
  const Onnx__NodeProto *en = c->gp->node[e];
  int d = en->n_input == 1 ? producer_of(c, en->input[0]) : -1;
  if (!(is_op(c, d, "Div") || is_op(c, d, "Mul")) || only_consumer(c, d) != e)
    return;
  const Onnx__NodeProto *dn = c->gp->node[d];
  const char *x = dn->n_input == 2 ? dn->input[0] : NULL;
  if (!x || onnx_is_const_name(c, x) || !onnx_is_const_name(c, dn->input[1]))
    return;
  int a = only_consumer(c, e);
  if (!is_op(c, a, "Add") || !with_const(c, a, en->output[0]))
    return;
  int f = gelu_tail(c, a, x);
  if (f < 0)
    return;
  c->absorbed[d] = c->absorbed[e] = c->absorbed[a] = true;
  c->gelu_of[f] = d;
}

static void find_patterns(onnx_ctx_t *c) {
  size_t n = c->gp->n_node;
  c->absorbed = sched_xcalloc(n, sizeof *c->absorbed);
  c->gelu_of = sched_xmalloc(n * sizeof *c->gelu_of);
  for (size_t i = 0; i < n; i++)
    c->gelu_of[i] = -1;
  for (size_t i = 0; i < n; i++)
    if (c->live[i] && is_op(c, (int)i, "Erf"))
      find_gelu(c, (int)i);
}

int onnx_consumers(onnx_ctx_t *c, const char *name) {
  int p = producer_of(c, name);
  if (p < 0 || strcmp(c->gp->node[p]->output[0], name) != 0)
    return 1 << 30; /* graph inputs, initializers, extra outputs: never folded */
  return c->n_consumers[p];
}

/* ---- conversion ---- */

static bool known_unknown(const onnx_ctx_t *c, const char *type) {
  for (int i = 0; i < c->n_unknown; i++)
    if (strcmp(c->unknown[i], type) == 0)
      return true;
  return false;
}

static int convert_unknown(onnx_ctx_t *c, const Onnx__NodeProto *n) {
  if (c->opts && c->opts->strict)
    return onnx_node_error(c, n, "op type '%s' is not supported (--strict)", n->op_type);
  if (!known_unknown(c, n->op_type) && c->n_unknown < ONNX_MAX_UNKNOWN)
    c->unknown[c->n_unknown++] = n->op_type;
  return onnx_convert_generic(c, n);
}

static int convert_node(onnx_ctx_t *c, int i) {
  const Onnx__NodeProto *n = c->gp->node[i];
  if (c->gelu_of[i] >= 0) {
    const char *x = c->gp->node[c->gelu_of[i]]->input[0];
    onnx_val_t *v = onnx_val_find(c, x);
    if (!v)
      return onnx_node_error(c, n, "input '%s' has no producer", x);
    return onnx_convert_gelu_of(c, n, (int)(v - c->vals));
  }
  int rc = onnx_fold_const(c, n);
  if (rc != SCHED_ERR_NOT_FOUND)
    return rc;
  onnx_convert_fn fn = onnx_converter(n->op_type);
  if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
    fn = NULL; /* a custom domain's op of the same name is another op */
  return fn ? fn(c, n) : convert_unknown(c, n);
}

int onnx_convert_nodes(onnx_ctx_t *c) {
  int rc = index_producers(c);
  if (rc == SCHED_OK)
    rc = order_nodes(c);
  if (rc != SCHED_OK)
    return rc;
  mark_live(c);
  find_patterns(c);
  for (size_t k = 0; k < c->gp->n_node && rc == SCHED_OK; k++) {
    int i = c->order[k];
    if (c->live[i] && !c->absorbed[i])
      rc = convert_node(c, i);
  }
  return rc;
}
