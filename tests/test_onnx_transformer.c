/* test_onnx_transformer.c - ONNX import of transformer blocks as torch 1.13
 * exports them, built with the project's ONNX builder at opset 13 and 17:
 * MatMul by weights with bias Adds, the hand-written attention (Reshape,
 * Transpose, MatMul, Div, Softmax, MatMul), LayerNorm as one op (17) or
 * decomposed (ReduceMean/Sub/Pow/Sqrt/Div, 13, imported op by op), Erf-GELU,
 * SiLU as Sigmoid*Mul (one swish), rotary (Slice/Neg/Concat/Mul/Add), an embedding Gather and a
 * KV-cache Concat. Each imported block is checked against hand counts in
 * the IR's sequence layout ([1, features, tokens, heads]). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "onnx_builder.h"
#include "tools/pipeline.h"

enum { S = 16, D = 64, H = 4, HD = 16, F = 256 };

static void import_ok(const mb_t *b, ir_graph_t *g) {
  size_t len;
  uint8_t *buf = mb_pack(b, &len);
  sched_diag_t diag = {0};
  int rc = ir_onnx_import_buffer(buf, len, "m.onnx", NULL, g, &diag);
  free(buf);
  cr_assert_eq(rc, SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_graph_verify(g, &diag), SCHED_OK, "%s", diag.msg);
}

static int count_kind(const ir_graph_t *g, ir_op_kind_t kind) {
  int n = 0;
  for (int i = 0; i < g->n_ops; i++)
    n += g->ops[i].kind == kind;
  return n;
}

static const ir_op_t *op_named(const ir_graph_t *g, const char *name) {
  for (int i = 0; i < g->n_ops; i++)
    if (strcmp(g->ops[i].name, name) == 0)
      return &g->ops[i];
  cr_assert_fail("no op '%s'", name);
  return NULL;
}

static ir_shape_t shape_of(const ir_graph_t *g, const char *op) {
  return g->tensors[op_named(g, op)->output].shape;
}

#define expect_shape(s, N, C, HH, W)                                                               \
  cr_expect((s).n == (N) && (s).c == (C) && (s).h == (HH) && (s).w == (W),                         \
            "shape %lldx%lldx%lldx%lld, expected %dx%dx%dx%d", (long long)(s).n, (long long)(s).c, \
            (long long)(s).h, (long long)(s).w, (N), (C), (HH), (W))

/* y = x @ W + b (torch nn.Linear without Gemm: MatMul then Add). */
static void linear(mb_t *b, const char *x, const char *y, int64_t in, int64_t out) {
  char w[64], bias[64], mm[64];
  snprintf(w, sizeof w, "%s.w", y);
  snprintf(bias, sizeof bias, "%s.b", y);
  snprintf(mm, sizeof mm, "%s.mm", y);
  mb_weight(b, w, (int64_t[]){in, out}, 2, 0);
  mb_weight(b, bias, (int64_t[]){out}, 1, 0);
  char ins[160];
  snprintf(ins, sizeof ins, "%s|%s", x, w);
  mb_node(b, "MatMul", mm, ins, mm);
  snprintf(ins, sizeof ins, "%s|%s", mm, bias);
  mb_node(b, "Add", y, ins, y);
}

/* [1, S, D] -> [1, H, S, HD] (or [1, H, HD, S] for keys, K^T). */
static void split_heads(mb_t *b, const char *x, const char *y, bool keys) {
  char r[64], ins[96];
  snprintf(r, sizeof r, "%s.r", y);
  snprintf(ins, sizeof ins, "%s|heads_shape", x);
  mb_node(b, "Reshape", r, ins, r);
  Onnx__NodeProto *t = mb_node(b, "Transpose", y, r, y);
  if (keys)
    mb_attr_ints(b, t, "perm", 4, 0, 2, 3, 1);
  else
    mb_attr_ints(b, t, "perm", 4, 0, 2, 1, 3);
}

/* Hand-written self-attention on input "x" [1, S, D]: output "attn". */
static void attention(mb_t *b) {
  mb_ints(b, "heads_shape", (int64_t[]){1, S, H, HD}, 4);
  mb_ints(b, "merge_shape", (int64_t[]){1, S, D}, 3);
  mb_floats(b, "scale", (float[]){4.0f}, 1, 0);
  linear(b, "x", "q", D, D);
  linear(b, "x", "k", D, D);
  linear(b, "x", "v", D, D);
  split_heads(b, "q", "qh", false);
  split_heads(b, "k", "kt", true);
  split_heads(b, "v", "vh", false);
  mb_node(b, "MatMul", "qk", "qh|kt", "qk");
  mb_node(b, "Div", "scaled", "qk|scale", "scaled");
  Onnx__NodeProto *sm = mb_node(b, "Softmax", "softmax", "scaled", "p");
  mb_attr_int(b, sm, "axis", -1);
  mb_node(b, "MatMul", "pv", "p|vh", "pv");
  Onnx__NodeProto *t = mb_node(b, "Transpose", "merge_t", "pv", "merge_t");
  mb_attr_ints(b, t, "perm", 4, 0, 2, 1, 3);
  mb_node(b, "Reshape", "merge", "merge_t|merge_shape", "merge");
  linear(b, "merge", "attn", D, D);
}

Test(onnx_transformer, hand_written_attention_at_opset_13_and_17) {
  const int opsets[] = {13, 17};
  for (int i = 0; i < 2; i++) {
    mb_t b;
    mb_init(&b, opsets[i]);
    mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
    attention(&b);
    mb_output(&b, "attn");
    ir_graph_t g;
    import_ok(&b, &g);
    expect_shape(shape_of(&g, "q.mm"), 1, D, S, 1);
    cr_expect(op_named(&g, "q.mm")->attrs.has_bias, "the bias Add folds into the matmul");
    expect_shape(shape_of(&g, "qh"), 1, HD, S, H);
    expect_shape(shape_of(&g, "kt"), 1, S, HD, H);
    /* scores: [keys, queries] per head; softmax over the keys (C) */
    expect_shape(shape_of(&g, "qk"), 1, S, S, H);
    cr_expect_eq(op_named(&g, "softmax")->attrs.axis, IR_AXIS_C);
    expect_shape(shape_of(&g, "attn.mm"), 1, D, S, 1);
    /* 4 projections of 16 x 64 x 64 and two 4-head products of 16 x 16 x 16 */
    cr_expect_eq(ir_graph_macs(&g), 4 * S * D * D + 2 * H * S * S * HD, "opset %d", opsets[i]);
    cr_expect_eq(count_kind(&g, IR_OP_MATMUL), 6);
    ir_graph_free(&g);
    mb_free(&b);
  }
}

/* LayerNorm over "x": one op at 17, torch's decomposition at 13. */
static void layernorm(mb_t *b, bool single) {
  mb_weight(b, "gamma", (int64_t[]){D}, 1, 0);
  mb_weight(b, "beta", (int64_t[]){D}, 1, 0);
  if (single) {
    Onnx__NodeProto *n = mb_node(b, "LayerNormalization", "ln", "x|gamma|beta", "y");
    mb_attr_int(b, n, "axis", -1);
    return;
  }
  mb_floats(b, "two", (float[]){2.0f}, 1, 0);
  mb_floats(b, "eps", (float[]){1e-5f}, 1, 0);
  Onnx__NodeProto *m = mb_node(b, "ReduceMean", "mean", "x", "mean");
  mb_attr_ints(b, m, "axes", 1, -1);
  mb_node(b, "Sub", "centred", "x|mean", "centred");
  mb_node(b, "Pow", "sq", "centred|two", "sq");
  Onnx__NodeProto *v = mb_node(b, "ReduceMean", "var", "sq", "var");
  mb_attr_ints(b, v, "axes", 1, -1);
  mb_node(b, "Add", "var_eps", "var|eps", "var_eps");
  mb_node(b, "Sqrt", "std", "var_eps", "std");
  mb_node(b, "Div", "norm", "centred|std", "norm");
  mb_node(b, "Mul", "scaled", "norm|gamma", "scaled");
  mb_node(b, "Add", "y", "scaled|beta", "y");
}

Test(onnx_transformer, layernorm_single_at_17_and_decomposed_at_13) {
  for (int single = 0; single < 2; single++) {
    mb_t b;
    mb_init(&b, single ? 17 : 13);
    mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
    layernorm(&b, single);
    mb_output(&b, "y");
    ir_graph_t g;
    import_ok(&b, &g);
    expect_shape(g.tensors[g.outputs[0]].shape, 1, D, S, 1);
    if (single) {
      cr_expect_eq(count_kind(&g, IR_OP_LAYERNORM), 1);
      cr_expect_eq(g.n_ops, 1);
    } else {
      /* statistics over the features (C), then broadcast back */
      expect_shape(shape_of(&g, "mean"), 1, 1, S, 1);
      cr_expect_eq(count_kind(&g, IR_OP_REDUCE_MEAN), 2);
      cr_expect_eq(count_kind(&g, IR_OP_SUB), 1);
      cr_expect_eq(count_kind(&g, IR_OP_SQRT), 1);
      cr_expect_eq(count_kind(&g, IR_OP_DIV), 1);
    }
    ir_graph_free(&g);
    mb_free(&b);
  }
}

/* MLP with Erf-GELU (x * 0.5 * (1 + erf(x / sqrt2))) and a SwiGLU with
 * SiLU as Sigmoid * Mul. */
Test(onnx_transformer, erf_gelu_and_sigmoid_mul_silu_mlps) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
  linear(&b, "x", "h", D, F);
  mb_floats(&b, "sqrt2", (float[]){1.4142135f}, 1, 0);
  mb_floats(&b, "one", (float[]){1.0f}, 1, 0);
  mb_floats(&b, "half", (float[]){0.5f}, 1, 0);
  mb_node(&b, "Div", "g.div", "h|sqrt2", "g.div");
  mb_node(&b, "Erf", "g.erf", "g.div", "g.erf");
  mb_node(&b, "Add", "g.add", "g.erf|one", "g.add");
  mb_node(&b, "Mul", "g.mul", "h|g.add", "g.mul");
  mb_node(&b, "Mul", "gelu", "g.mul|half", "gelu");
  linear(&b, "gelu", "y", F, D);
  linear(&b, "y", "gate", D, F);
  linear(&b, "y", "up", D, F);
  mb_node(&b, "Sigmoid", "sig", "gate", "sig");
  mb_node(&b, "Mul", "silu", "gate|sig", "silu");
  mb_node(&b, "Mul", "glu", "silu|up", "glu");
  linear(&b, "glu", "out", F, D);
  mb_output(&b, "out");
  ir_graph_t g;
  import_ok(&b, &g);
  cr_expect_eq(count_kind(&g, IR_OP_GELU), 1);
  cr_expect_eq(count_kind(&g, IR_OP_SIGMOID), 0);
  cr_expect_eq(count_kind(&g, IR_OP_SWISH), 1); /* x * sigmoid(x) is one SiLU */
  cr_expect_eq(count_kind(&g, IR_OP_MUL), 1);   /* the gate */
  expect_shape(g.tensors[g.outputs[0]].shape, 1, D, S, 1);
  cr_expect_eq(ir_graph_macs(&g), (int64_t)S * D * F * 5);
  ir_graph_free(&g);
  mb_free(&b);
}

/* Rotary on per-head q [1, H, S, HD]: x * cos + rotate_half(x) * sin with
 * rotate_half = Concat(-x[..., HD/2:], x[..., :HD/2]); the KV cache: past
 * keys [1, H, P, HD] concatenated with the new ones over the tokens. */
Test(onnx_transformer, rotary_slices_and_kv_cache_concat) {
  enum { P = 40 };
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "q", (int64_t[]){1, H, 1, HD}, 4);
  mb_input(&b, "past", (int64_t[]){1, H, P, HD}, 4);
  mb_input(&b, "cos", (int64_t[]){1, 1, 1, HD}, 4);
  mb_input(&b, "sin", (int64_t[]){1, 1, 1, HD}, 4);
  mb_ints(&b, "zero", (int64_t[]){0}, 1);
  mb_ints(&b, "mid", (int64_t[]){HD / 2}, 1);
  mb_ints(&b, "end", (int64_t[]){INT64_MAX}, 1);
  mb_ints(&b, "last", (int64_t[]){-1}, 1);
  mb_node(&b, "Slice", "lo", "q|zero|mid|last", "lo");
  mb_node(&b, "Slice", "hi", "q|mid|end|last", "hi");
  mb_node(&b, "Neg", "neg", "hi", "neg");
  Onnx__NodeProto *cat = mb_node(&b, "Concat", "rot", "neg|lo", "rot");
  mb_attr_int(&b, cat, "axis", -1);
  mb_node(&b, "Mul", "qc", "q|cos", "qc");
  mb_node(&b, "Mul", "qs", "rot|sin", "qs");
  mb_node(&b, "Add", "rope", "qc|qs", "rope");
  Onnx__NodeProto *kv = mb_node(&b, "Concat", "cache", "past|rope", "cache");
  mb_attr_int(&b, kv, "axis", 2);
  mb_output(&b, "cache");
  ir_graph_t g;
  import_ok(&b, &g);
  /* a graph input of 4 dims is an NCHW image: [1, H, tokens, HD] as is */
  expect_shape(shape_of(&g, "lo"), 1, H, 1, HD / 2);
  expect_shape(shape_of(&g, "rot"), 1, H, 1, HD);
  cr_expect_eq(op_named(&g, "rot")->attrs.axis, IR_AXIS_W);
  expect_shape(shape_of(&g, "cache"), 1, H, P + 1, HD);
  cr_expect_eq(op_named(&g, "cache")->attrs.axis, IR_AXIS_H);
  cr_expect_eq(count_kind(&g, IR_OP_SLICE), 2);
  ir_graph_free(&g);
  mb_free(&b);
}

/* Token ids (int64) looked up in a [vocab, D] table, then a block. */
Test(onnx_transformer, embedding_gather_of_int64_ids) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "ids", (int64_t[]){1, S}, 2);
  b.graph.input[0]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  mb_weight(&b, "table", (int64_t[]){1000, D}, 2, 0);
  mb_node(&b, "Gather", "embed", "table|ids", "x");
  attention(&b);
  mb_output(&b, "attn");
  ir_graph_t g;
  import_ok(&b, &g);
  expect_shape(shape_of(&g, "embed"), 1, D, S, 1);
  cr_expect_eq(op_named(&g, "embed")->attrs.vocab, 1000);
  cr_expect_eq(ir_op_weight_bytes(&g, (int)(op_named(&g, "embed") - g.ops)), 2 * S * D);
  ir_graph_free(&g);
  mb_free(&b);
}

/* The imported attention block plans with every solver and schedules. */
Test(onnx_transformer, imported_attention_plans_with_every_solver) {
  mb_t b;
  mb_init(&b, 17);
  mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
  attention(&b);
  mb_output(&b, "attn");
  ir_graph_t g;
  import_ok(&b, &g);
  pipeline_options_t o = pipeline_defaults();
  o.graph = &g;
  o.solver = "all";
  pipeline_t *p = calloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s", d.msg);
  for (int i = 0; i < p->n_runs; i++) {
    cr_expect_eq(p->runs[i].status, SCHED_OK, "%s: %s", p->runs[i].solver, p->runs[i].error_msg);
    cr_expect_not_null(p->runs[i].schedule, "%s", p->runs[i].solver);
  }
  pipeline_free(p);
  free(p);
  ir_graph_free(&g);
  mb_free(&b);
}

/* What torch leaves of q.view(b, s, heads, d) after constant folding when
 * it traces sizes: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, and
 * d = size(2) / heads through Div. All of it folds at import. */
Test(onnx_transformer, shape_gather_unsqueeze_concat_chains_fold_statically) {
  const int opsets[] = {13, 17};
  for (int i = 0; i < 2; i++) {
    mb_t b;
    mb_init(&b, opsets[i]);
    mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
    const char *scalars[] = {"i0", "i1", "i2", "h"};
    for (int k = 0; k < 4; k++) { /* 0-D, as torch writes indices */
      mb_ints(&b, scalars[k], (int64_t[]){k < 3 ? k : H}, 1);
      b.graph.initializer[b.graph.n_initializer - 1]->n_dims = 0;
    }
    mb_ints(&b, "heads", (int64_t[]){H}, 1);
    mb_ints(&b, "ax0", (int64_t[]){0}, 1);
    mb_node(&b, "Shape", "shape", "x", "shape");
    mb_node(&b, "Gather", "bsz", "shape|i0", "bsz");
    mb_node(&b, "Gather", "seq", "shape|i1", "seq");
    mb_node(&b, "Gather", "dim", "shape|i2", "dim");
    mb_node(&b, "Div", "hd", "dim|h", "hd");
    mb_node(&b, "Unsqueeze", "u_bsz", "bsz|ax0", "u_bsz");
    mb_node(&b, "Unsqueeze", "u_seq", "seq|ax0", "u_seq");
    mb_node(&b, "Unsqueeze", "u_hd", "hd|ax0", "u_hd");
    mb_node(&b, "Concat", "new_shape", "u_bsz|u_seq|heads|u_hd", "new_shape");
    mb_node(&b, "Reshape", "view", "x|new_shape", "view");
    mb_output(&b, "view");
    ir_graph_t g;
    import_ok(&b, &g);
    cr_expect_eq(g.n_ops, 1, "only the reshape is left");
    /* [1, S, H, HD] in the sequence layout: HD in C, H in H, S in W */
    expect_shape(g.tensors[g.outputs[0]].shape, 1, HD, H, S);
    ir_graph_free(&g);
    mb_free(&b);
  }
}

/* nn.MultiheadAttention as torch 1.13 exports it: one in-projection
 * [D, 3D] split into q, k, v, the scale as a Mul, and the out-projection
 * as Gemm on the tokens flattened to [S, D]. */
Test(onnx_transformer, multihead_attention_pattern_with_split_and_gemm) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
  linear(&b, "x", "qkv", D, 3 * D);
  mb_ints(&b, "sizes", (int64_t[]){D, D, D}, 3);
  Onnx__NodeProto *sp = mb_node(&b, "Split", "split", "qkv|sizes", "q");
  mb_push(&b, (void ***)&sp->output, &sp->n_output, mb_str(&b, "k"));
  mb_push(&b, (void ***)&sp->output, &sp->n_output, mb_str(&b, "v"));
  mb_attr_int(&b, sp, "axis", -1);
  mb_ints(&b, "heads_shape", (int64_t[]){1, S, H, HD}, 4);
  mb_floats(&b, "scale", (float[]){0.25f}, 1, 0);
  split_heads(&b, "q", "qh", false);
  split_heads(&b, "k", "kt", true);
  split_heads(&b, "v", "vh", false);
  mb_node(&b, "Mul", "qs", "qh|scale", "qs");
  mb_node(&b, "MatMul", "qk", "qs|kt", "qk");
  mb_node(&b, "Softmax", "softmax", "qk", "p");
  mb_node(&b, "MatMul", "pv", "p|vh", "pv");
  Onnx__NodeProto *t = mb_node(&b, "Transpose", "merge_t", "pv", "merge_t");
  mb_attr_ints(&b, t, "perm", 4, 0, 2, 1, 3);
  mb_ints(&b, "flat_shape", (int64_t[]){S, D}, 2);
  mb_node(&b, "Reshape", "flat", "merge_t|flat_shape", "flat");
  mb_weight(&b, "wo", (int64_t[]){D, D}, 2, 0);
  mb_weight(&b, "bo", (int64_t[]){D}, 1, 0);
  Onnx__NodeProto *gemm = mb_node(&b, "Gemm", "out_proj", "flat|wo|bo", "out");
  mb_attr_int(&b, gemm, "transB", 1);
  mb_output(&b, "out");
  ir_graph_t g;
  import_ok(&b, &g);
  expect_shape(shape_of(&g, "q"), 1, D, S, 1);
  cr_expect_eq(op_named(&g, "k")->attrs.slice_start, D);
  cr_expect_eq(count_kind(&g, IR_OP_SLICE), 3);
  expect_shape(shape_of(&g, "qk"), 1, S, S, H);
  cr_expect_eq(count_kind(&g, IR_OP_FULLY_CONNECTED), 1);
  /* in-projection 16 x 64 x 192, two 4-head products, out-projection */
  cr_expect_eq(ir_graph_macs(&g), S * D * 3 * D + 2 * H * S * S * HD + S * D * D);
  ir_graph_free(&g);
  mb_free(&b);
}

Test(onnx_transformer, shape_arithmetic_errors_name_the_node) {
  mb_t b;
  mb_init(&b, 13);
  mb_input(&b, "x", (int64_t[]){1, S, D}, 3);
  mb_ints(&b, "i9", (int64_t[]){9}, 1);
  mb_node(&b, "Shape", "shape", "x", "shape");
  mb_node(&b, "Gather", "bad", "shape|i9", "bad");
  mb_node(&b, "Reshape", "view", "x|bad", "view");
  mb_output(&b, "view");
  size_t len;
  uint8_t *buf = mb_pack(&b, &len);
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_onnx_import_buffer(buf, len, "m.onnx", NULL, &g, &d), SCHED_ERR_INPUT);
  cr_expect_str_eq(d.msg, "m.onnx: node 'bad' (Gather): index 9 is out of range for 3 values");
  free(buf);
  mb_free(&b);
}
