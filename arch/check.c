/* check.c - a whole graph against a target's operator rules: which ops fall
 * back to the CPU and why, which performance tips they miss, where each
 * fallback sits, and how many ops and MACs run where.
 *
 * Requires a sorted, shape-inferred graph. Pass 1 runs the checker of
 * rules.c on every op (restrictions, then tips). With fallback_downstream
 * (the Edge TPU compiler partitions a graph once) every op that reads a
 * fallback op's output falls back too. Pass 2 places each fallback op:
 * with NPU ops both before and after it (in the middle) it costs two
 * NPU/CPU transfers and breaks streaming; at the start or end of the
 * network only one (Horizon's advice, seeds/003). */
#include <stdlib.h>
#include <string.h>

#include "arch/arch_internal.h"

const char *arch_place_name(arch_place_t p) {
  switch (p) {
  case ARCH_PLACE_NPU: return "npu";
  case ARCH_PLACE_START: return "start";
  case ARCH_PLACE_END: return "end";
  case ARCH_PLACE_MIDDLE: return "middle";
  case ARCH_PLACE_ALONE: return "alone";
  }
  return "?";
}

const char *arch_finding_rule_id(const arch_t *a, const arch_finding_t *f) {
  if (f->rule == ARCH_FINDING_UNSUPPORTED_OP)
    return "supported_ops";
  if (f->rule == ARCH_FINDING_DOWNSTREAM)
    return "after_fallback";
  return a->rules.rules[f->rule].id;
}

const char *arch_finding_rule_text(const arch_t *a, const arch_finding_t *f) {
  if (f->rule == ARCH_FINDING_UNSUPPORTED_OP)
    return "the op is not on the target's list of supported operators";
  if (f->rule == ARCH_FINDING_DOWNSTREAM)
    return "the compiler partitions the graph once: every op after the first "
           "unsupported one runs on the CPU";
  return a->rules.rules[f->rule].text;
}

void arch_check_free(arch_check_t *c) {
  free(c->on_cpu);
  free(c->place);
  free(c->transfers);
  free(c->findings);
  free(c->rule_unchecked);
  *c = (arch_check_t){0};
}

/* Marks ops downstream of a fallback op (fallback_downstream targets). */
static void propagate_downstream(const arch_t *a, const ir_graph_t *g, arch_check_t *c) {
  for (int i = 0; i < g->n_ops; i++) {
    if (c->on_cpu[i])
      continue;
    for (int k = 0; k < g->ops[i].n_inputs; k++) {
      int p = g->tensors[g->ops[i].inputs[k]].producer;
      if (p < 0 || !c->on_cpu[p])
        continue;
      char detail[200];
      snprintf(detail, sizeof detail, "reads '%s', which runs on the CPU", g->ops[p].name);
      sched_grow((void **)&c->findings, &c->cap_findings, c->n_findings + 1, sizeof *c->findings);
      c->findings[c->n_findings++] =
          (arch_finding_t){.op = i, .rule = ARCH_FINDING_DOWNSTREAM, .kind = ARCH_RULE_RESTRICTION};
      snprintf(c->findings[c->n_findings - 1].detail, sizeof c->findings[0].detail, "%s", detail);
      c->on_cpu[i] = true;
      break;
    }
  }
  (void)a;
}

/* npu_up[i]: some NPU op feeds op i, directly or through CPU ops. */
static void npu_before(const ir_graph_t *g, const bool *on_cpu, bool *npu_up) {
  for (int i = 0; i < g->n_ops; i++) {
    npu_up[i] = false;
    for (int k = 0; k < g->ops[i].n_inputs; k++) {
      int p = g->tensors[g->ops[i].inputs[k]].producer;
      npu_up[i] |= p >= 0 && (!on_cpu[p] || npu_up[p]);
    }
  }
}

/* npu_down[i]: op i feeds some NPU op, directly or through CPU ops. */
static void npu_after(const ir_graph_t *g, const bool *on_cpu, bool *npu_down) {
  for (int i = 0; i < g->n_ops; i++)
    npu_down[i] = false;
  for (int i = g->n_ops - 1; i >= 0; i--) {
    for (int k = 0; k < g->ops[i].n_inputs; k++) {
      int p = g->tensors[g->ops[i].inputs[k]].producer;
      if (p >= 0)
        npu_down[p] |= !on_cpu[i] || npu_down[i];
    }
  }
}

static void place_fallbacks(const ir_graph_t *g, arch_check_t *c) {
  bool *up = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *up);
  bool *down = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *down);
  npu_before(g, c->on_cpu, up);
  npu_after(g, c->on_cpu, down);
  for (int i = 0; i < g->n_ops; i++) {
    if (!c->on_cpu[i])
      c->place[i] = ARCH_PLACE_NPU;
    else if (up[i] && down[i])
      c->place[i] = ARCH_PLACE_MIDDLE;
    else if (down[i])
      c->place[i] = ARCH_PLACE_START;
    else if (up[i])
      c->place[i] = ARCH_PLACE_END;
    else
      c->place[i] = ARCH_PLACE_ALONE;
  }
  free(up);
  free(down);
}

/* Tips after restrictions: stable partition of the findings. */
static void order_findings(arch_check_t *c) {
  arch_finding_t *sorted = sched_xcalloc((size_t)SCHED_MAX(c->n_findings, 1), sizeof *sorted);
  int n = 0;
  for (int kind = ARCH_RULE_RESTRICTION; kind <= ARCH_RULE_TIP; kind++)
    for (int op = 0; op < c->n_ops; op++)
      for (int i = 0; i < c->n_findings; i++)
        if (c->findings[i].kind == (arch_rule_kind_t)kind && c->findings[i].op == op)
          sorted[n++] = c->findings[i];
  if (n > 0)
    memcpy(c->findings, sorted, (size_t)n * sizeof *sorted);
  free(sorted);
}

/* At a fallback op: each input an NPU op produced crosses NPU -> CPU, and
 * its output crosses CPU -> NPU once when an NPU op reads it. A chain of
 * fallback ops in the middle thus costs two transfers in all. */
static void count_transfers(const ir_graph_t *g, arch_check_t *c) {
  bool *read_by_npu = sched_xcalloc((size_t)SCHED_MAX(g->n_ops, 1), sizeof *read_by_npu);
  for (int i = 0; i < g->n_ops; i++) {
    for (int k = 0; k < g->ops[i].n_inputs; k++) {
      int p = g->tensors[g->ops[i].inputs[k]].producer;
      if (p >= 0 && c->on_cpu[i] && !c->on_cpu[p])
        c->transfers[i]++;
      if (p >= 0 && !c->on_cpu[i])
        read_by_npu[p] = true;
    }
  }
  for (int i = 0; i < g->n_ops; i++)
    c->transfers[i] += c->on_cpu[i] && read_by_npu[i];
  free(read_by_npu);
}

static void count_placement(const ir_graph_t *g, arch_check_t *c) {
  for (int i = 0; i < g->n_ops; i++) {
    int64_t macs = ir_op_macs(g, i);
    if (c->on_cpu[i]) {
      c->ops_cpu++;
      c->macs_cpu += macs;
    } else {
      c->ops_npu++;
      c->macs_npu += macs;
    }
  }
}

void arch_check_graph(const arch_t *a, const ir_graph_t *g, arch_check_t *out) {
  *out = (arch_check_t){.n_ops = g->n_ops};
  size_t n = (size_t)SCHED_MAX(g->n_ops, 1);
  out->on_cpu = sched_xcalloc(n, sizeof *out->on_cpu);
  out->place = sched_xcalloc(n, sizeof *out->place);
  out->transfers = sched_xcalloc(n, sizeof *out->transfers);
  out->rule_unchecked = sched_xcalloc((size_t)SCHED_MAX(a->rules.n_rules, 1), sizeof(bool));
  for (int i = 0; i < g->n_ops; i++)
    out->on_cpu[i] = arch_i_op_breaks(a, g, i, ARCH_RULE_RESTRICTION, out) > 0;
  if (a->rules.fallback_downstream)
    propagate_downstream(a, g, out);
  for (int i = 0; i < g->n_ops; i++)
    if (!out->on_cpu[i]) /* an op on the CPU gains nothing from NPU tips */
      arch_i_op_breaks(a, g, i, ARCH_RULE_TIP, out);
  order_findings(out);
  place_fallbacks(g, out);
  count_transfers(g, out);
  count_placement(g, out);
}
