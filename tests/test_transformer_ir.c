/* test_transformer_ir.c - the transformer ops of the IR: shape inference
 * per op on hand-worked shapes (sequence layout: C features, H tokens, W
 * heads), their errors, the MACs of a hand-worked attention block, the JSON
 * keys round-tripping, the engines they run on and the strategies legal on
 * them. */
#include <criterion/criterion.h>
#include <string.h>

#include "shape_assert.h"
#include "tiling/tiling.h"

static ir_shape_t shape_of(const ir_graph_t *g, int t) { return g->tensors[t].shape; }

static int op1(ir_graph_t *g, const char *name, ir_op_kind_t kind, ir_attrs_t a, int x) {
  return ir_graph_add_op(g, name, kind, &a, &x, 1);
}

static int op2(ir_graph_t *g, const char *name, ir_op_kind_t kind, ir_attrs_t a, int x, int y) {
  int in[2] = {x, y};
  return ir_graph_add_op(g, name, kind, &a, in, 2);
}

/* The error of inferring the last op. */
static const char *last_error(ir_graph_t *g, sched_diag_t *d) {
  memset(d, 0, sizeof *d);
  cr_assert_eq(ir_op_infer_shape(g, g->n_ops - 1, d), SCHED_ERR_INPUT);
  return d->msg;
}

Test(transformer_ir, matmul_by_weight_keeps_tokens_and_heads) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  int x = ir_graph_add_input(&g, "x", (ir_shape_t){1, 192, 197, 1}, IR_DTYPE_FP16);
  int y = op1(&g, "fc1", IR_OP_MATMUL, (ir_attrs_t){.out_channels = 768, .has_bias = true}, x);
  assert_shape(shape_of(&g, y), 1, 768, 197, 1);
  cr_assert_eq(ir_op_macs(&g, 0), 197LL * 192 * 768);
  cr_assert_eq(ir_op_params(&g, 0), 192LL * 768 + 768);
  cr_assert_eq(ir_op_weight_bytes(&g, 0), 2 * (192LL * 768 + 768));
  ir_graph_free(&g);
}

Test(transformer_ir, matmul_of_two_activations_broadcasts_batch_dims) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  /* q: 64 per head, 10 queries, 3 heads; k: 64 per head, 7 keys, 3 heads */
  int q = ir_graph_add_input(&g, "q", (ir_shape_t){2, 64, 10, 3}, IR_DTYPE_U8);
  int k = ir_graph_add_input(&g, "k", (ir_shape_t){1, 64, 7, 3}, IR_DTYPE_U8);
  int s = op2(&g, "qk", IR_OP_MATMUL, (ir_attrs_t){.transpose_b = true}, q, k);
  assert_shape(shape_of(&g, s), 2, 7, 10, 3);
  /* probabilities [keys, queries] x v [64, keys]: K is the keys */
  int v = ir_graph_add_input(&g, "v", (ir_shape_t){2, 64, 7, 1}, IR_DTYPE_U8);
  int o = op2(&g, "pv", IR_OP_MATMUL, (ir_attrs_t){0}, s, v);
  assert_shape(shape_of(&g, o), 2, 64, 10, 3);
  cr_assert_eq(ir_op_macs(&g, 0), 2LL * 7 * 10 * 3 * 64);
  cr_assert_eq(ir_op_params(&g, 0), 0);
  ir_graph_free(&g);
}

Test(transformer_ir, matmul_errors_name_the_dims) {
  ir_graph_t g;
  sched_diag_t d;
  ir_graph_init(&g, "t");
  int q = ir_graph_add_input(&g, "q", (ir_shape_t){1, 64, 10, 3}, IR_DTYPE_U8);
  int k = ir_graph_add_input(&g, "k", (ir_shape_t){1, 32, 7, 3}, IR_DTYPE_U8);
  op2(&g, "qk", IR_OP_MATMUL, (ir_attrs_t){.transpose_b = true}, q, k);
  cr_assert_str_eq(last_error(&g, &d),
                   "op 'qk': inner dims differ: 64 (input 0 channels) and 32 (input 1)");
  int k2 = ir_graph_add_input(&g, "k2", (ir_shape_t){1, 64, 7, 2}, IR_DTYPE_U8);
  op2(&g, "qk2", IR_OP_MATMUL, (ir_attrs_t){.transpose_b = true}, q, k2);
  cr_assert_str_eq(last_error(&g, &d),
                   "op 'qk2': batch dims n, w of 1x64x10x3 and 1x64x7x2 do not broadcast");
  op1(&g, "none", IR_OP_MATMUL, (ir_attrs_t){0}, q);
  cr_assert_str_eq(last_error(&g, &d),
                   "op 'none': needs either out_channels (x a weight) or a second input, got "
                   "neither");
  ir_graph_free(&g);
}

Test(transformer_ir, norms_softmax_and_reduce_over_an_axis) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  int x = ir_graph_add_input(&g, "x", (ir_shape_t){1, 384, 128, 1}, IR_DTYPE_FP16);
  int ln = op1(&g, "ln", IR_OP_LAYERNORM, (ir_attrs_t){0}, x);
  int rms = op1(&g, "rms", IR_OP_RMSNORM, (ir_attrs_t){0}, x);
  int sm = op1(&g, "sm", IR_OP_SOFTMAX, (ir_attrs_t){.axis = IR_AXIS_H}, x);
  int mean = op1(&g, "mean", IR_OP_REDUCE_MEAN, (ir_attrs_t){0}, x);
  int mean_h = op1(&g, "mean_h", IR_OP_REDUCE_MEAN, (ir_attrs_t){.axis = IR_AXIS_H}, x);
  assert_shape(shape_of(&g, ln), 1, 384, 128, 1);
  assert_shape(shape_of(&g, rms), 1, 384, 128, 1);
  assert_shape(shape_of(&g, sm), 1, 384, 128, 1);
  assert_shape(shape_of(&g, mean), 1, 1, 128, 1);
  assert_shape(shape_of(&g, mean_h), 1, 384, 1, 1);
  cr_assert_eq(ir_op_params(&g, 0), 2 * 384); /* scale and shift */
  cr_assert_eq(ir_op_params(&g, 1), 384);
  sched_diag_t d;
  op1(&g, "bad", IR_OP_SOFTMAX, (ir_attrs_t){.axis = (ir_axis_t)7}, x);
  cr_assert_str_eq(last_error(&g, &d), "op 'bad': axis 7 is not one of n, c, h, w");
  ir_graph_free(&g);
}

Test(transformer_ir, eltwise_broadcasts_like_numpy) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  int x = ir_graph_add_input(&g, "x", (ir_shape_t){1, 64, 32, 4}, IR_DTYPE_FP16);
  int row = ir_graph_add_input(&g, "row", (ir_shape_t){1, 64, 1, 1}, IR_DTYPE_FP16);
  int col = ir_graph_add_input(&g, "col", (ir_shape_t){1, 1, 32, 1}, IR_DTYPE_FP16);
  const ir_op_kind_t kinds[] = {IR_OP_ADD, IR_OP_SUB, IR_OP_MUL, IR_OP_DIV, IR_OP_POW};
  for (int i = 0; i < SCHED_ARRAY_LEN(kinds); i++)
    assert_shape(
        shape_of(&g, op2(&g, ir_op_kind_name(kinds[i]), kinds[i], (ir_attrs_t){0}, x, row)), 1, 64,
        32, 4);
  assert_shape(shape_of(&g, op2(&g, "outer", IR_OP_MUL, (ir_attrs_t){0}, row, col)), 1, 64, 32, 1);
  assert_shape(shape_of(&g, op1(&g, "sqrt", IR_OP_SQRT, (ir_attrs_t){0}, x)), 1, 64, 32, 4);
  assert_shape(shape_of(&g, op1(&g, "rcp", IR_OP_RECIPROCAL, (ir_attrs_t){0}, x)), 1, 64, 32, 4);
  int bad = ir_graph_add_input(&g, "bad", (ir_shape_t){1, 32, 32, 4}, IR_DTYPE_FP16);
  sched_diag_t d;
  op2(&g, "b", IR_OP_ADD, (ir_attrs_t){0}, x, bad);
  cr_assert_str_eq(last_error(&g, &d),
                   "op 'b': input shapes 1x64x32x4 and 1x32x32x4 do not broadcast");
  ir_graph_free(&g);
}

Test(transformer_ir, slice_concat_gather_and_reshape_on_any_axis) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  int x = ir_graph_add_input(&g, "x", (ir_shape_t){1, 64, 32, 4}, IR_DTYPE_FP16);
  int lo = op1(&g, "lo", IR_OP_SLICE,
               (ir_attrs_t){.axis = IR_AXIS_C, .slice_start = 0, .slice_end = 32}, x);
  int hi = op1(&g, "hi", IR_OP_SLICE,
               (ir_attrs_t){.axis = IR_AXIS_H, .slice_start = 8, .slice_end = 32}, x);
  assert_shape(shape_of(&g, lo), 1, 32, 32, 4);
  assert_shape(shape_of(&g, hi), 1, 64, 24, 4);
  /* a KV cache grows along the tokens */
  int cat = op2(&g, "cat", IR_OP_CONCAT, (ir_attrs_t){.axis = IR_AXIS_H}, x, hi);
  assert_shape(shape_of(&g, cat), 1, 64, 56, 4);
  int ids = ir_graph_add_input(&g, "ids", (ir_shape_t){1, 1, 16, 1}, IR_DTYPE_U8);
  int emb = op1(&g, "emb", IR_OP_GATHER, (ir_attrs_t){.out_channels = 256, .vocab = 32000}, ids);
  assert_shape(shape_of(&g, emb), 1, 256, 16, 1);
  cr_assert_eq(ir_op_params(&g, g.n_ops - 1), 32000LL * 256);
  /* it reads 16 rows of the table (u8, the dtype of its input), not the table */
  cr_assert_eq(ir_op_weight_bytes(&g, g.n_ops - 1), 16LL * 256);
  int heads = op1(&g, "heads", IR_OP_RESHAPE, (ir_attrs_t){.reshape_to = {1, 64, 16, -1}}, emb);
  assert_shape(shape_of(&g, heads), 1, 64, 16, 4);
  sched_diag_t d;
  op1(&g, "s", IR_OP_SLICE, (ir_attrs_t){.axis = IR_AXIS_W, .slice_start = 2, .slice_end = 5}, x);
  cr_assert_str_eq(last_error(&g, &d),
                   "op 's': slice [2, 5) is not a non-empty range of w (size 4)");
  op2(&g, "c", IR_OP_CONCAT, (ir_attrs_t){.axis = IR_AXIS_W}, x, hi);
  cr_assert_str_eq(
      last_error(&g, &d),
      "op 'c': input 1 shape 1x64x24x4 differs from input 0 shape 1x64x32x4 outside W");
  op1(&g, "e", IR_OP_GATHER, (ir_attrs_t){.out_channels = 8, .vocab = 10}, x);
  cr_assert_str_eq(last_error(&g, &d), "op 'e': indices must have 1 channel, got 64");
  ir_graph_free(&g);
}

/* One attention block by hand: D = 64, 16 tokens, 4 heads of 16.
 *   q, k, v, out projections: 16 x 64 x 64 = 65536 MACs each
 *   q k^T: 4 heads x 16 x 16 outputs x 16 = 16384; p v: the same
 * total 4 x 65536 + 2 x 16384 = 294912. */
static void attention_block(ir_graph_t *g) {
  ir_graph_init(g, "attn");
  int x = ir_graph_add_input(g, "x", (ir_shape_t){1, 64, 16, 1}, IR_DTYPE_FP16);
  ir_attrs_t proj = {.out_channels = 64, .has_bias = true};
  ir_attrs_t heads = {.reshape_to = {1, 16, 16, 4}};
  int q = op1(g, "q_heads", IR_OP_RESHAPE, heads, op1(g, "q", IR_OP_MATMUL, proj, x));
  int k = op1(g, "k_heads", IR_OP_RESHAPE, heads, op1(g, "k", IR_OP_MATMUL, proj, x));
  int v = op1(g, "v_heads", IR_OP_RESHAPE, heads, op1(g, "v", IR_OP_MATMUL, proj, x));
  int s = op2(g, "qk", IR_OP_MATMUL, (ir_attrs_t){.transpose_b = true}, q, k);
  int p = op1(g, "softmax", IR_OP_SOFTMAX, (ir_attrs_t){0}, s);
  int o = op2(g, "pv", IR_OP_MATMUL, (ir_attrs_t){0}, p, v);
  int merged = op1(g, "merge", IR_OP_RESHAPE, (ir_attrs_t){.reshape_to = {1, 64, 16, 1}}, o);
  ir_graph_mark_output(g, op1(g, "out", IR_OP_MATMUL, proj, merged));
}

Test(transformer_ir, attention_block_macs_by_hand) {
  ir_graph_t g;
  attention_block(&g);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_verify(&g, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(ir_graph_macs(&g), 294912);
  cr_assert_eq(ir_graph_params(&g), 4 * (64 * 64 + 64));
  ir_graph_free(&g);
}

Test(transformer_ir, json_keys_round_trip) {
  ir_graph_t g, back;
  attention_block(&g);
  int x = g.inputs[0];
  int ids = ir_graph_add_input(&g, "ids", (ir_shape_t){1, 1, 16, 1}, IR_DTYPE_U8);
  ir_graph_mark_output(
      &g, op1(&g, "emb", IR_OP_GATHER, (ir_attrs_t){.out_channels = 64, .vocab = 100}, ids));
  ir_graph_mark_output(&g,
                       op1(&g, "half", IR_OP_SLICE,
                           (ir_attrs_t){.axis = IR_AXIS_H, .slice_start = 4, .slice_end = 12}, x));
  ir_graph_mark_output(&g, op1(&g, "rms", IR_OP_RMSNORM, (ir_attrs_t){.axis = IR_AXIS_W}, x));
  char *text = NULL, *again = NULL;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_json_print(&g, &text, &d), SCHED_OK, "%s", d.msg);
  cr_assert(strstr(text, "\"transpose_b\":true"));
  cr_assert(strstr(text, "\"slice\":[4,12]"));
  cr_assert(strstr(text, "\"axis\":\"h\""));
  cr_assert(strstr(text, "\"vocab\":100"));
  cr_assert_eq(ir_json_parse(text, strlen(text), "t.json", &back, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(ir_json_print(&back, &again, &d), SCHED_OK);
  cr_assert_str_eq(text, again);
  free(text);
  free(again);
  ir_graph_free(&g);
  ir_graph_free(&back);
}

Test(transformer_ir, json_errors_name_the_key) {
  const char *bad_axis = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,8,4,1]}],\"ops\":[{\"name\":"
                         "\"s\",\"kind\":\"softmax\",\"inputs\":[\"x\"],\"axis\":\"k\"}],"
                         "\"outputs\":[\"s\"]}";
  const char *no_slice = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,8,4,1]}],\"ops\":[{\"name\":"
                         "\"s\",\"kind\":\"slice\",\"inputs\":[\"x\"]}],\"outputs\":[\"s\"]}";
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_json_parse(bad_axis, strlen(bad_axis), "t.json", &g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "t.json: op 0 's': key 'axis': unknown axis 'k' (n, c, h, w)");
  cr_assert_eq(ir_json_parse(no_slice, strlen(no_slice), "t.json", &g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "t.json: op 0 's': missing key 'slice'");
}

Test(transformer_ir, engines_and_strategies_of_attention) {
  ir_graph_t g;
  attention_block(&g);
  arch_t a;
  arch_preset("vpu27", &a, NULL);
  int qk = -1, sm = -1, q = -1, merge = -1;
  for (int i = 0; i < g.n_ops; i++) {
    const char *n = g.ops[i].name;
    qk = strcmp(n, "qk") == 0 ? i : qk;
    sm = strcmp(n, "softmax") == 0 ? i : sm;
    q = strcmp(n, "q") == 0 ? i : q;
    merge = strcmp(n, "merge") == 0 ? i : merge;
  }
  cr_assert_eq(cost_op_engine(&a, &g, &g.ops[qk]), COST_ENGINE_DPU);
  cr_assert_eq(cost_op_engine(&a, &g, &g.ops[sm]), COST_ENGINE_SHAVE);
  cr_assert_eq(cost_op_engine(&a, &g, &g.ops[merge]), COST_ENGINE_NONE);
  const char *why = NULL;
  /* heads (W = 4) split over the two clusters although vpu27 has no SOW */
  cr_assert(tiling_strategy_legal(&a, &g, qk, STRAT_SOW, &why), "%s", why);
  /* 16 keys are one channel group: nothing to split over output features */
  cr_assert_not(tiling_strategy_legal(&a, &g, qk, STRAT_SOK, &why));
  cr_assert_str_eq(why, "too few output channels to split");
  cr_assert_not(tiling_strategy_legal(&a, &g, qk, STRAT_SOH, &why));
  cr_assert_str_eq(why, "a matmul of two activations needs its second operand whole; split over "
                        "heads or output features instead");
  /* softmax over C (64 keys) cannot split C, but tokens or heads */
  ir_graph_t g2;
  ir_graph_init(&g2, "sm");
  int x = ir_graph_add_input(&g2, "x", (ir_shape_t){1, 64, 32, 4}, IR_DTYPE_FP16);
  op1(&g2, "softmax", IR_OP_SOFTMAX, (ir_attrs_t){0}, x);
  cr_assert_not(tiling_strategy_legal(&a, &g2, sm = 0, STRAT_SOK, &why));
  cr_assert_str_eq(why, "splits the axis the op reduces over");
  cr_assert(tiling_strategy_legal(&a, &g2, sm, STRAT_SOH, &why), "%s", why);
  cr_assert(tiling_strategy_legal(&a, &g2, sm, STRAT_SOW, &why), "%s", why);
  ir_graph_free(&g2);
  /* projections: tokens or output features */
  cr_assert(tiling_strategy_legal(&a, &g, q, STRAT_SOH, &why), "%s", why);
  cr_assert(tiling_strategy_legal(&a, &g, q, STRAT_SOK, &why), "%s", why);
  cr_assert_not(tiling_strategy_legal(&a, &g, q, STRAT_SOW, &why));
  ir_graph_free(&g);
}
