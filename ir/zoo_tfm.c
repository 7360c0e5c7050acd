/* zoo_tfm.c - transformers: a ViT classifier, a BERT encoder and a
 * Llama-style decoder in its prefill or decode phase.
 *
 * Tensors use the sequence layout of ir.h: [1, features, tokens, heads].
 * Projections are matmuls by weights (the attention scale 1/sqrt(head dim)
 * folded into the query weights, as compilers do); per-head tensors are
 * views of the projections ([1, hidden, tokens, 1] -> [1, head_dim, tokens,
 * heads]: the same bytes in NHWC order). Attention is q k^T (k^T folded into
 * the matmul), a softmax over the keys and p v. What the nets leave out, as
 * it moves little and costs little: position-embedding adds, the ViT class
 * token (its head reads the mean token, as the GAP variants do), the causal
 * mask (inside the softmax kernel) and dropout. */
#include "ir/zoo_internal.h"

#include <string.h>

/* Dimensions one transformer block is built from. */
typedef struct {
  int32_t hidden, heads, ffn;
  int64_t tokens; /* queries this pass computes */
} tfm_dims_t;

static int matmul(ir_graph_t *g, int x, int32_t out, bool bias, const char *fmt, int layer) {
  ir_attrs_t a = {.out_channels = out, .has_bias = bias};
  return zoo_op(g, IR_OP_MATMUL, &a, &x, 1, fmt, layer);
}

static int binary(ir_graph_t *g, ir_op_kind_t kind, int x, int y, const char *fmt, int layer) {
  int in[2] = {x, y};
  return zoo_op(g, kind, NULL, in, 2, fmt, layer);
}

static int reshape(ir_graph_t *g, int x, ir_shape_t to, const char *fmt, int layer) {
  ir_attrs_t a = {.reshape_to = to};
  return zoo_op(g, IR_OP_RESHAPE, &a, &x, 1, fmt, layer);
}

static int heads_view(ir_graph_t *g, int x, const tfm_dims_t *d, int64_t tokens, const char *fmt,
                      int layer) {
  return reshape(g, x, (ir_shape_t){1, d->hidden / d->heads, tokens, d->heads}, fmt, layer);
}

/* softmax(q k^T) v over per-head q [1, hd, tokens, heads] and k, v [1, hd,
 * keys, heads]; returns [1, hidden, tokens, 1]. */
static int attention(ir_graph_t *g, int q, int k, int v, const tfm_dims_t *d, int layer) {
  ir_attrs_t kt = {.transpose_b = true};
  int qk_in[2] = {q, k};
  int s = zoo_op(g, IR_OP_MATMUL, &kt, qk_in, 2, "l%d.attn.qk", layer);
  int p = zoo_unary(g, IR_OP_SOFTMAX, s, "l%d.attn.softmax", layer);
  int o = binary(g, IR_OP_MATMUL, p, v, "l%d.attn.pv", layer);
  return reshape(g, o, (ir_shape_t){1, d->hidden, d->tokens, 1}, "l%d.attn.merge", layer);
}

/* Self-attention with biased projections (ViT, BERT). */
static int mha(ir_graph_t *g, int x, const tfm_dims_t *d, int layer) {
  int q = matmul(g, x, d->hidden, true, "l%d.attn.q", layer);
  int k = matmul(g, x, d->hidden, true, "l%d.attn.k", layer);
  int v = matmul(g, x, d->hidden, true, "l%d.attn.v", layer);
  q = heads_view(g, q, d, d->tokens, "l%d.attn.q_heads", layer);
  k = heads_view(g, k, d, d->tokens, "l%d.attn.k_heads", layer);
  v = heads_view(g, v, d, d->tokens, "l%d.attn.v_heads", layer);
  int o = attention(g, q, k, v, d, layer);
  return matmul(g, o, d->hidden, true, "l%d.attn.out", layer);
}

static int gelu_mlp(ir_graph_t *g, int x, const tfm_dims_t *d, int layer) {
  int h = matmul(g, x, d->ffn, true, "l%d.mlp.fc1", layer);
  h = zoo_unary(g, IR_OP_GELU, h, "l%d.mlp.gelu", layer);
  return matmul(g, h, d->hidden, true, "l%d.mlp.fc2", layer);
}

static int norm(ir_graph_t *g, ir_op_kind_t kind, int x, const char *fmt, int layer) {
  return zoo_op(g, kind, NULL, &x, 1, fmt, layer);
}

/* Pre-norm block (ViT): x + attn(ln(x)), then + mlp(ln(.)). */
static int prenorm_block(ir_graph_t *g, int x, const tfm_dims_t *d, int layer) {
  int a = mha(g, norm(g, IR_OP_LAYERNORM, x, "l%d.ln1", layer), d, layer);
  x = binary(g, IR_OP_ADD, x, a, "l%d.add1", layer);
  int m = gelu_mlp(g, norm(g, IR_OP_LAYERNORM, x, "l%d.ln2", layer), d, layer);
  return binary(g, IR_OP_ADD, x, m, "l%d.add2", layer);
}

/* Post-norm block (BERT): ln(x + attn(x)), then ln(. + mlp(.)). */
static int postnorm_block(ir_graph_t *g, int x, const tfm_dims_t *d, int layer) {
  int a = mha(g, x, d, layer);
  x = norm(g, IR_OP_LAYERNORM, binary(g, IR_OP_ADD, x, a, "l%d.add1", layer), "l%d.ln1", layer);
  int m = gelu_mlp(g, x, d, layer);
  return norm(g, IR_OP_LAYERNORM, binary(g, IR_OP_ADD, x, m, "l%d.add2", layer), "l%d.ln2", layer);
}

static int check_heads(const zoo_args_t *a, const tfm_dims_t *d, sched_diag_t *diag) {
  if (d->hidden % d->heads != 0)
    return zoo_error(a, diag, "hidden %d is not a multiple of heads %d", d->hidden, d->heads);
  if ((d->hidden / d->heads) % 2 != 0)
    return zoo_error(a, diag, "head dim %d (hidden / heads) must be even", d->hidden / d->heads);
  return SCHED_OK;
}

int zoo_build_vit(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  int64_t image = zoo_int(a, "image"), patch = zoo_int(a, "patch");
  tfm_dims_t d = {.hidden = (int32_t)zoo_int(a, "width"),
                  .heads = (int32_t)zoo_int(a, "heads"),
                  .ffn = (int32_t)(4 * zoo_int(a, "width")),
                  .tokens = (image / patch) * (image / patch)};
  int rc = check_heads(a, &d, diag);
  if (rc == SCHED_OK && image % patch != 0)
    rc = zoo_error(a, diag, "image %lld is not a multiple of patch %lld", (long long)image,
                   (long long)patch);
  if (rc != SCHED_OK)
    return rc;
  int x = ir_graph_add_input(g, "image", (ir_shape_t){1, 3, image, image}, zoo_dtype(a));
  ir_attrs_t embed = zoo_window_attrs((int)patch, (int)patch, 0);
  embed.out_channels = d.hidden;
  embed.has_bias = true;
  x = zoo_op(g, IR_OP_CONV, &embed, &x, 1, "patch_embed");
  ir_attrs_t flat = {.reshape_to = {1, d.hidden, d.tokens, 1}};
  x = zoo_op(g, IR_OP_RESHAPE, &flat, &x, 1, "tokens");
  for (int l = 0; l < zoo_int(a, "depth"); l++)
    x = prenorm_block(g, x, &d, l);
  x = zoo_op(g, IR_OP_LAYERNORM, NULL, &x, 1, "norm");
  ir_attrs_t mean = {.axis = IR_AXIS_H};
  x = zoo_op(g, IR_OP_REDUCE_MEAN, &mean, &x, 1, "pool");
  ir_attrs_t head = {.out_channels = (int32_t)zoo_int(a, "classes"), .has_bias = true};
  ir_graph_mark_output(g, zoo_op(g, IR_OP_MATMUL, &head, &x, 1, "head"));
  return SCHED_OK;
}

/* Token ids [1, 1, tokens, 1] looked up in a [vocab, hidden] table. */
static int embed(ir_graph_t *g, const tfm_dims_t *d, int32_t vocab, ir_dtype_t dtype) {
  int ids = ir_graph_add_input(g, "ids", (ir_shape_t){1, 1, d->tokens, 1}, dtype);
  ir_attrs_t e = {.out_channels = d->hidden, .vocab = vocab};
  return zoo_op(g, IR_OP_GATHER, &e, &ids, 1, "embed");
}

int zoo_build_bert(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  tfm_dims_t d = {.hidden = (int32_t)zoo_int(a, "hidden"),
                  .heads = (int32_t)zoo_int(a, "heads"),
                  .ffn = (int32_t)(4 * zoo_int(a, "hidden")),
                  .tokens = zoo_int(a, "seq")};
  int rc = check_heads(a, &d, diag);
  if (rc != SCHED_OK)
    return rc;
  int x = embed(g, &d, (int32_t)zoo_int(a, "vocab"), zoo_dtype(a));
  x = zoo_op(g, IR_OP_LAYERNORM, NULL, &x, 1, "embed_ln");
  for (int l = 0; l < zoo_int(a, "layers"); l++)
    x = postnorm_block(g, x, &d, l);
  ir_graph_mark_output(g, x);
  return SCHED_OK;
}

/* ---- the Llama-style decoder ---- */

/* The decoder's pass: its queries and the keys they attend to. */
typedef struct {
  tfm_dims_t d;
  int64_t past;     /* cached keys read from DDR (decode), 0 in prefill */
  int cos, sin;     /* rotary tables [1, head_dim, tokens, 1] (the sign folded into sin) */
  ir_dtype_t dtype; /* of the KV cache inputs */
} llm_pass_t;

/* x cos + rotate_half(x) sin, rotate_half the halves of the head dim swapped
 * (Slice, Concat; the negation lives in the sin table). */
static int rotary(ir_graph_t *g, int x, const llm_pass_t *p, const char *which, int layer) {
  int32_t half = p->d.hidden / p->d.heads / 2;
  char name[64];
  ir_attrs_t lo = {.slice_start = 0, .slice_end = half};
  ir_attrs_t hi = {.slice_start = half, .slice_end = 2 * half};
  snprintf(name, sizeof name, "l%%d.rope_%s.lo", which);
  int x_lo = zoo_op(g, IR_OP_SLICE, &lo, &x, 1, name, layer);
  snprintf(name, sizeof name, "l%%d.rope_%s.hi", which);
  int x_hi = zoo_op(g, IR_OP_SLICE, &hi, &x, 1, name, layer);
  snprintf(name, sizeof name, "l%%d.rope_%s.rot", which);
  int rot = binary(g, IR_OP_CONCAT, x_hi, x_lo, name, layer);
  snprintf(name, sizeof name, "l%%d.rope_%s.cos", which);
  int c = binary(g, IR_OP_MUL, x, p->cos, name, layer);
  snprintf(name, sizeof name, "l%%d.rope_%s.sin", which);
  int s = binary(g, IR_OP_MUL, rot, p->sin, name, layer);
  snprintf(name, sizeof name, "l%%d.rope_%s", which);
  return binary(g, IR_OP_ADD, c, s, name, layer);
}

/* Keys or values of this pass: in decode, the cache read from DDR with the
 * new token appended; the new rows are graph outputs (written back). */
static int with_cache(ir_graph_t *g, int fresh, const llm_pass_t *p, const char *which, int layer) {
  if (p->past == 0)
    return fresh;
  ir_graph_mark_output(g, fresh);
  char name[64];
  snprintf(name, sizeof name, "l%d.past_%s", layer, which);
  ir_shape_t s = {1, p->d.hidden / p->d.heads, p->past, p->d.heads};
  int past = ir_graph_add_input(g, name, s, p->dtype);
  ir_attrs_t cat = {.axis = IR_AXIS_H};
  int in[2] = {past, fresh};
  snprintf(name, sizeof name, "l%%d.cache_%s", which);
  return zoo_op(g, IR_OP_CONCAT, &cat, in, 2, name, layer);
}

static int llm_attention(ir_graph_t *g, int x, const llm_pass_t *p, int layer) {
  const tfm_dims_t *d = &p->d;
  int q = matmul(g, x, d->hidden, false, "l%d.attn.q", layer);
  int k = matmul(g, x, d->hidden, false, "l%d.attn.k", layer);
  int v = matmul(g, x, d->hidden, false, "l%d.attn.v", layer);
  q = rotary(g, heads_view(g, q, d, d->tokens, "l%d.attn.q_heads", layer), p, "q", layer);
  k = rotary(g, heads_view(g, k, d, d->tokens, "l%d.attn.k_heads", layer), p, "k", layer);
  v = heads_view(g, v, d, d->tokens, "l%d.attn.v_heads", layer);
  k = with_cache(g, k, p, "k", layer);
  v = with_cache(g, v, p, "v", layer);
  int o = attention(g, q, k, v, d, layer);
  return matmul(g, o, d->hidden, false, "l%d.attn.out", layer);
}

/* down(silu(gate(x)) * up(x)). */
static int swiglu(ir_graph_t *g, int x, const tfm_dims_t *d, int layer) {
  int gate = matmul(g, x, d->ffn, false, "l%d.mlp.gate", layer);
  int up = matmul(g, x, d->ffn, false, "l%d.mlp.up", layer);
  gate = zoo_unary(g, IR_OP_SWISH, gate, "l%d.mlp.silu", layer);
  int h = binary(g, IR_OP_MUL, gate, up, "l%d.mlp.mul", layer);
  return matmul(g, h, d->hidden, false, "l%d.mlp.down", layer);
}

int zoo_build_llm(const zoo_args_t *a, ir_graph_t *g, sched_diag_t *diag) {
  bool decode = zoo_choice(a, "phase") == 1;
  llm_pass_t p = {.d = {.hidden = (int32_t)zoo_int(a, "hidden"),
                        .heads = (int32_t)zoo_int(a, "heads"),
                        .ffn = (int32_t)zoo_int(a, "ffn"),
                        .tokens = decode ? 1 : zoo_int(a, "seq")},
                  .past = decode ? zoo_int(a, "kv") : 0,
                  .dtype = zoo_dtype(a)};
  int rc = check_heads(a, &p.d, diag);
  if (rc != SCHED_OK)
    return rc;
  int x = embed(g, &p.d, (int32_t)zoo_int(a, "vocab"), p.dtype);
  ir_shape_t table = {1, p.d.hidden / p.d.heads, p.d.tokens, 1};
  p.cos = ir_graph_add_input(g, "rope_cos", table, p.dtype);
  p.sin = ir_graph_add_input(g, "rope_sin", table, p.dtype);
  for (int l = 0; l < zoo_int(a, "layers"); l++) {
    int h = llm_attention(g, norm(g, IR_OP_RMSNORM, x, "l%d.rms1", l), &p, l);
    x = binary(g, IR_OP_ADD, x, h, "l%d.add1", l);
    int m = swiglu(g, norm(g, IR_OP_RMSNORM, x, "l%d.rms2", l), &p.d, l);
    x = binary(g, IR_OP_ADD, x, m, "l%d.add2", l);
  }
  x = zoo_op(g, IR_OP_RMSNORM, NULL, &x, 1, "norm");
  ir_attrs_t head = {.out_channels = (int32_t)zoo_int(a, "vocab")};
  ir_graph_mark_output(g, zoo_op(g, IR_OP_MATMUL, &head, &x, 1, "lm_head"));
  return SCHED_OK;
}
