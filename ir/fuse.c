/* fuse.c - PPE fusion: an activation that directly follows a DPU op (conv,
 * transpose conv, FC, pools, eltwise) and is that op's only reader runs in
 * the DPU's post-processing engine for free, so it is folded into the op.
 * Requires a sorted graph; keeps it sorted (removing ops never breaks
 * order) and keeps tensor ids: the DPU op now writes the activation's output
 * tensor and its former output is left unreferenced. */
#include "ir/ir_internal.h"

#include <stdlib.h>

/* How many ops read each tensor, plus one for each graph-output mark. */
static int *reader_counts(const ir_graph_t *g) {
  int *counts = sched_xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *counts);
  for (int i = 0; i < g->n_ops; i++) {
    for (int j = 0; j < g->ops[i].n_inputs; j++) {
      int t = g->ops[i].inputs[j];
      bool again = false; /* add(x, x) is one reader */
      for (int k = 0; k < j; k++)
        again = again || g->ops[i].inputs[k] == t;
      if (t >= 0 && t < g->n_tensors && !again)
        counts[t]++;
    }
  }
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] >= 0 && g->outputs[i] < g->n_tensors)
      counts[g->outputs[i]]++;
  return counts;
}

/* The producer op act can fold into, or -1. */
static int fusion_target(const ir_graph_t *g, int act, uint64_t mask, const int *readers) {
  const ir_op_t *a = &g->ops[act];
  if (!ir_op_is_activation(a->kind) || !(mask & (UINT64_C(1) << a->kind)) || a->n_inputs != 1)
    return -1;
  int mid = a->inputs[0];
  if (mid < 0 || mid >= g->n_tensors || readers[mid] != 1)
    return -1;
  int p = g->tensors[mid].producer;
  if (p < 0 || p >= g->n_ops || !ir_i_kind_is_dpu(g->ops[p].kind) ||
      g->ops[p].fused_act != IR_OP_NONE)
    return -1;
  return p;
}

static void fuse_into(ir_graph_t *g, int act, int p) {
  ir_op_t *dpu = &g->ops[p];
  const ir_op_t *a = &g->ops[act];
  g->tensors[dpu->output].producer = -1;
  dpu->output = a->output;
  g->tensors[a->output].producer = p;
  dpu->fused_act = a->kind;
  dpu->fused_name = sched_xstrdup(a->name);
  dpu->attrs.alpha = a->attrs.alpha;
  dpu->attrs.clamp_min = a->attrs.clamp_min;
  dpu->attrs.clamp_max = a->attrs.clamp_max;
}

/* Drops removed ops, keeping the order of the rest, and renumbers
 * producers. */
static void compact_ops(ir_graph_t *g, const bool *removed) {
  int kept = 0;
  for (int i = 0; i < g->n_ops; i++) {
    if (removed[i]) {
      free(g->ops[i].name);
      free(g->ops[i].generic_type);
      free(g->ops[i].fused_name);
      continue;
    }
    g->ops[kept] = g->ops[i];
    int t = g->ops[kept].output;
    if (t >= 0 && t < g->n_tensors)
      g->tensors[t].producer = kept;
    kept++;
  }
  g->n_ops = kept;
}

int ir_graph_fuse_activations(ir_graph_t *g, uint64_t fusable_mask) {
  int *readers = reader_counts(g);
  bool *removed = sched_xcalloc((size_t)(g->n_ops ? g->n_ops : 1), sizeof *removed);
  int fused = 0;
  for (int i = 0; i < g->n_ops; i++) {
    int p = fusion_target(g, i, fusable_mask, readers);
    if (p < 0)
      continue;
    fuse_into(g, i, p);
    removed[i] = true;
    fused++;
  }
  compact_ops(g, removed);
  free(removed);
  free(readers);
  return fused;
}
