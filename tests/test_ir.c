/* test_ir.c - the network IR: shape inference per op kind on hand-worked
 * shapes, sorting and cycles, the verifier's messages, counts, PPE fusion,
 * and ownership (copy/free, run under ASan). */
#include <criterion/criterion.h>
#include <string.h>

#include "ir/ir.h"
#include "shape_assert.h"

/* A graph with one input of shape s (u8). */
static int start(ir_graph_t *g, ir_shape_t s) {
  ir_graph_init(g, "t");
  return ir_graph_add_input(g, "in", s, IR_DTYPE_U8);
}

static ir_shape_t shape_of(const ir_graph_t *g, int t) { return g->tensors[t].shape; }

static ir_attrs_t conv_attrs(int k, int kernel, int stride, int pad) {
  return (ir_attrs_t){.kernel_h = kernel,
                      .kernel_w = kernel,
                      .stride_h = stride,
                      .stride_w = stride,
                      .pad_top = pad,
                      .pad_bottom = pad,
                      .pad_left = pad,
                      .pad_right = pad,
                      .out_channels = k,
                      .has_bias = true};
}

/* One op on one fresh input; returns its output tensor. */
static int one_op(ir_graph_t *g, ir_shape_t in, ir_op_kind_t kind, ir_attrs_t a) {
  int x = start(g, in);
  return ir_graph_add_op(g, "op", kind, &a, &x, 1);
}

/* Infers one op's shape and returns the diagnostic's status. */
static int infer_error(ir_graph_t *g, int op, sched_diag_t *d) {
  memset(d, 0, sizeof *d);
  return ir_op_infer_shape(g, op, d);
}

/* ---- shape inference ---- */

Test(ir, conv_stem_7x7_stride2_pad3_halves_224) {
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 3, 224, 224}, IR_OP_CONV, conv_attrs(64, 7, 2, 3));
  assert_shape(shape_of(&g, y), 1, 64, 112, 112);
  ir_graph_free(&g);
}

Test(ir, conv_with_groups_dilation_and_asymmetric_pads) {
  /* dilated kernel 2*(3-1)+1 = 5; H: 10+1+0-5+1 = 7; W: 10+2+1-5+1 = 9 */
  ir_attrs_t a = {.kernel_h = 3,
                  .kernel_w = 3,
                  .dilation_h = 2,
                  .dilation_w = 2,
                  .pad_top = 1,
                  .pad_left = 2,
                  .pad_right = 1,
                  .groups = 4,
                  .out_channels = 8};
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 32, 10, 10}, IR_OP_CONV, a);
  assert_shape(shape_of(&g, y), 1, 8, 7, 9);
  ir_graph_free(&g);
}

Test(ir, add_op_normalises_zero_stride_dilation_groups_scale_to_one) {
  ir_graph_t g;
  one_op(&g, (ir_shape_t){1, 8, 8, 8}, IR_OP_CONV,
         (ir_attrs_t){.kernel_h = 1, .kernel_w = 1, .out_channels = 4});
  const ir_attrs_t *a = &g.ops[0].attrs;
  cr_assert(a->stride_h == 1 && a->stride_w == 1 && a->dilation_h == 1 && a->dilation_w == 1);
  cr_assert(a->groups == 1 && a->scale == 1);
  assert_shape(shape_of(&g, g.ops[0].output), 1, 4, 8, 8);
  ir_graph_free(&g);
}

Test(ir, depthwise_conv_is_recognised) {
  ir_attrs_t a = conv_attrs(32, 3, 2, 1);
  a.groups = 32;
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 32, 112, 112}, IR_OP_CONV, a);
  assert_shape(shape_of(&g, y), 1, 32, 56, 56);
  cr_assert(ir_op_is_depthwise(&g, &g.ops[0]));
  g.ops[0].attrs.groups = 1;
  cr_assert_not(ir_op_is_depthwise(&g, &g.ops[0]));
  ir_graph_free(&g);
}

Test(ir, transpose_conv_with_output_padding_scales_by_stride) {
  /* FSRCNN's deconv: (360-1)*2 - 8 + 9 + 1 = 720 */
  ir_attrs_t a = conv_attrs(1, 9, 2, 4);
  a.output_pad_h = a.output_pad_w = 1;
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 56, 360, 640}, IR_OP_TRANSPOSE_CONV, a);
  assert_shape(shape_of(&g, y), 1, 1, 720, 1280);
  ir_graph_free(&g);
  /* (5-1)*2 - 2 + 3 = 9 without output padding */
  y = one_op(&g, (ir_shape_t){1, 8, 5, 5}, IR_OP_TRANSPOSE_CONV, conv_attrs(4, 3, 2, 1));
  assert_shape(shape_of(&g, y), 1, 4, 9, 9);
  ir_graph_free(&g);
}

Test(ir, transpose_conv_output_padding_not_below_stride_is_an_error) {
  ir_attrs_t a = conv_attrs(4, 3, 2, 1);
  a.output_pad_h = 2;
  ir_graph_t g;
  one_op(&g, (ir_shape_t){1, 8, 5, 5}, IR_OP_TRANSPOSE_CONV, a);
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'op': output padding 2x0 must be in 0..stride-1 (stride 2x2)");
  ir_graph_free(&g);
}

Test(ir, fully_connected_flattens_chw) {
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 512, 7, 7}, IR_OP_FULLY_CONNECTED,
                 (ir_attrs_t){.out_channels = 1000, .has_bias = true});
  assert_shape(shape_of(&g, y), 1, 1000, 1, 1);
  cr_assert_eq(ir_op_macs(&g, 0), 512 * 49 * 1000);
  cr_assert_eq(ir_op_params(&g, 0), 512 * 49 * 1000 + 1000);
  ir_graph_free(&g);
}

Test(ir, pools_use_the_window_formula_and_global_pool_gives_cx1x1) {
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 64, 112, 112}, IR_OP_MAXPOOL, conv_attrs(0, 3, 2, 1));
  assert_shape(shape_of(&g, y), 1, 64, 56, 56);
  ir_graph_free(&g);
  y = one_op(&g, (ir_shape_t){1, 16, 7, 7}, IR_OP_AVGPOOL, conv_attrs(0, 2, 2, 0));
  assert_shape(shape_of(&g, y), 1, 16, 3, 3);
  ir_graph_free(&g);
  y = one_op(&g, (ir_shape_t){1, 2048, 7, 7}, IR_OP_GLOBAL_AVGPOOL, (ir_attrs_t){0});
  assert_shape(shape_of(&g, y), 1, 2048, 1, 1);
  cr_assert_eq(ir_op_macs(&g, 0), 0);
  ir_graph_free(&g);
}

Test(ir, kernel_larger_than_padded_input_names_op_and_sizes) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 8, 5, 5});
  ir_attrs_t a = conv_attrs(8, 7, 1, 0);
  ir_graph_add_op(&g, "conv3", IR_OP_CONV, &a, &x, 1);
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'conv3': kernel 7x7 larger than padded input 5x5");
  ir_graph_free(&g);
}

Test(ir, conv_channels_not_divisible_by_groups_is_an_error) {
  ir_attrs_t a = conv_attrs(8, 3, 1, 1);
  a.groups = 4;
  ir_graph_t g;
  one_op(&g, (ir_shape_t){1, 30, 8, 8}, IR_OP_CONV, a);
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'op': input channels 30 not divisible by groups 4");
  ir_graph_free(&g);
}

Test(ir, eltwise_needs_equal_shapes_and_names_both) {
  ir_graph_t g;
  int a = start(&g, (ir_shape_t){1, 64, 56, 56});
  int b = ir_graph_add_input(&g, "b", (ir_shape_t){1, 64, 56, 56}, IR_DTYPE_U8);
  int c = ir_graph_add_input(&g, "c", (ir_shape_t){1, 32, 56, 56}, IR_DTYPE_U8);
  int ab[2] = {a, b}, ac[2] = {a, c};
  int y = ir_graph_add_op(&g, "add", IR_OP_ADD, NULL, ab, 2);
  assert_shape(shape_of(&g, y), 1, 64, 56, 56);
  ir_graph_add_op(&g, "bad", IR_OP_MUL, NULL, ac, 2);
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 1, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'bad': input shapes 1x64x56x56 and 1x32x56x56 do not broadcast");
  ir_graph_free(&g);
}

Test(ir, activations_keep_their_input_shape) {
  ir_op_kind_t kinds[] = {IR_OP_RELU,      IR_OP_CLAMP,       IR_OP_LEAKY_RELU, IR_OP_PRELU,
                          IR_OP_SIGMOID,   IR_OP_TANH,        IR_OP_SOFTMAX,    IR_OP_GELU,
                          IR_OP_HARDSWISH, IR_OP_HARDSIGMOID, IR_OP_SWISH};
  for (int i = 0; i < (int)(sizeof kinds / sizeof kinds[0]); i++) {
    ir_graph_t g;
    int y = one_op(&g, (ir_shape_t){2, 24, 17, 9}, kinds[i], (ir_attrs_t){0});
    assert_shape(shape_of(&g, y), 2, 24, 17, 9);
    cr_assert(ir_op_is_activation(kinds[i]));
    ir_graph_free(&g);
  }
  cr_assert_not(ir_op_is_activation(IR_OP_CONV));
  cr_assert_not(ir_op_is_activation(IR_OP_UPSAMPLE));
}

Test(ir, upsample_and_depth_to_space_scale_spatial_dims) {
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 128, 13, 13}, IR_OP_UPSAMPLE, (ir_attrs_t){.scale = 2});
  assert_shape(shape_of(&g, y), 1, 128, 26, 26);
  ir_graph_free(&g);
  y = one_op(&g, (ir_shape_t){1, 256, 10, 20}, IR_OP_DEPTH_TO_SPACE, (ir_attrs_t){.scale = 2});
  assert_shape(shape_of(&g, y), 1, 64, 20, 40);
  ir_graph_free(&g);
  one_op(&g, (ir_shape_t){1, 10, 4, 4}, IR_OP_DEPTH_TO_SPACE, (ir_attrs_t){.scale = 3});
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'op': input channels 10 not divisible by block size squared 9");
  ir_graph_free(&g);
}

Test(ir, concat_sums_channels_and_rejects_other_dims_differing) {
  ir_graph_t g;
  int a = start(&g, (ir_shape_t){1, 128, 26, 26});
  int b = ir_graph_add_input(&g, "b", (ir_shape_t){1, 256, 26, 26}, IR_DTYPE_U8);
  int c = ir_graph_add_input(&g, "c", (ir_shape_t){1, 256, 13, 13}, IR_DTYPE_U8);
  int ab[2] = {a, b}, ac[2] = {a, c};
  int y = ir_graph_add_op(&g, "cat", IR_OP_CONCAT, NULL, ab, 2);
  assert_shape(shape_of(&g, y), 1, 384, 26, 26);
  ir_graph_add_op(&g, "bad", IR_OP_CONCAT, NULL, ac, 2);
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 1, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg,
                   "op 'bad': input 1 shape 1x256x13x13 differs from input 0 shape 1x128x26x26 "
                   "outside C");
  ir_graph_free(&g);
}

Test(ir, reshape_infers_one_minus_one_dim) {
  ir_graph_t g;
  ir_attrs_t a = {.reshape_to = {1, -1, 1, 1}};
  int y = one_op(&g, (ir_shape_t){1, 64, 7, 7}, IR_OP_RESHAPE, a);
  assert_shape(shape_of(&g, y), 1, 3136, 1, 1);
  ir_graph_free(&g);
}

Test(ir, reshape_errors_name_the_target) {
  ir_graph_t g;
  sched_diag_t d;
  one_op(&g, (ir_shape_t){1, 64, 7, 7}, IR_OP_RESHAPE, (ir_attrs_t){.reshape_to = {1, -1, -1, 1}});
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg,
                   "op 'op': reshape target 1x-1x-1x1: dims must be positive, one may be -1");
  ir_graph_free(&g);
  one_op(&g, (ir_shape_t){1, 64, 7, 7}, IR_OP_RESHAPE, (ir_attrs_t){.reshape_to = {1, 100, 1, 1}});
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'op': cannot reshape 1x64x7x7 (3136 elements) to 1x100x1x1");
  ir_graph_free(&g);
}

Test(ir, transpose_permutes_dims_and_rejects_non_permutations) {
  ir_graph_t g;
  int y = one_op(&g, (ir_shape_t){1, 3, 4, 5}, IR_OP_TRANSPOSE, (ir_attrs_t){.perm = {0, 2, 3, 1}});
  assert_shape(shape_of(&g, y), 1, 4, 5, 3);
  ir_graph_free(&g);
  one_op(&g, (ir_shape_t){1, 3, 4, 5}, IR_OP_TRANSPOSE, (ir_attrs_t){.perm = {0, 1, 1, 3}});
  sched_diag_t d;
  cr_assert_eq(infer_error(&g, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'op': perm 0,1,1,3 is not a permutation of 0,1,2,3");
  ir_graph_free(&g);
}

Test(ir, generic_op_keeps_the_shape_of_input_zero) {
  ir_graph_t g;
  int a = start(&g, (ir_shape_t){1, 5, 6, 7});
  int b = ir_graph_add_input(&g, "b", (ir_shape_t){1, 1, 1, 1}, IR_DTYPE_U8);
  int ab[2] = {a, b};
  int y = ir_graph_add_op(&g, "lrn", IR_OP_GENERIC, NULL, ab, 2);
  assert_shape(shape_of(&g, y), 1, 5, 6, 7);
  ir_graph_free(&g);
}

Test(ir, output_dtype_follows_first_input) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  int x = ir_graph_add_input(&g, "in", (ir_shape_t){1, 16, 8, 8}, IR_DTYPE_FP16);
  int y = ir_graph_add_op(&g, "relu", IR_OP_RELU, NULL, &x, 1);
  cr_assert_eq(g.tensors[y].dtype, IR_DTYPE_FP16);
  cr_assert_eq(ir_tensor_bytes(&g, y), 16 * 8 * 8 * 2);
  cr_assert_str_eq(g.tensors[y].name, "relu");
  cr_assert_eq(g.tensors[y].producer, 0);
  ir_graph_free(&g);
}

/* ---- sort and cycles ---- */

/* in -> a -> b -> c, with the ops inserted as c, a, b (tensor ids fixed up
 * by hand: ops read tensors created later). */
static void build_unsorted(ir_graph_t *g) {
  int x = start(g, (ir_shape_t){1, 4, 4, 4});
  int t_c_in = x + 3; /* b's output, created third */
  ir_graph_add_op(g, "c", IR_OP_RELU, NULL, &t_c_in, 1);
  int a = ir_graph_add_op(g, "a", IR_OP_RELU, NULL, &x, 1);
  ir_graph_add_op(g, "b", IR_OP_RELU, NULL, &a, 1);
  ir_graph_mark_output(g, g->ops[0].output);
}

Test(ir, sort_orders_ops_topologically_and_shapes_follow) {
  ir_graph_t g;
  build_unsorted(&g);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_sort(&g, &d), SCHED_OK, "%s", d.msg);
  cr_assert_str_eq(g.ops[0].name, "a");
  cr_assert_str_eq(g.ops[1].name, "b");
  cr_assert_str_eq(g.ops[2].name, "c");
  for (int i = 0; i < g.n_ops; i++)
    cr_assert_eq(g.tensors[g.ops[i].output].producer, i);
  cr_assert_eq(ir_graph_infer_shapes(&g, &d), SCHED_OK, "%s", d.msg);
  cr_assert_eq(ir_graph_verify(&g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_free(&g);
}

Test(ir, sort_keeps_an_already_sorted_graph_unchanged) {
  /* Kahn's algorithm alone would visit the two sources first: a, c, b. */
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 4, 4, 4});
  int a = ir_graph_add_op(&g, "a", IR_OP_RELU, NULL, &x, 1);
  int b = ir_graph_add_op(&g, "b", IR_OP_RELU, NULL, &a, 1);
  int c = ir_graph_add_op(&g, "c", IR_OP_RELU, NULL, &x, 1);
  ir_graph_mark_output(&g, b);
  ir_graph_mark_output(&g, c);
  cr_assert_eq(ir_graph_sort(&g, NULL), SCHED_OK);
  cr_assert_str_eq(g.ops[0].name, "a");
  cr_assert_str_eq(g.ops[1].name, "b");
  cr_assert_str_eq(g.ops[2].name, "c");
  ir_graph_free(&g);
}

Test(ir, cycle_is_an_input_error_naming_an_op_on_it) {
  /* in -> a; b reads c's output, c reads b's: the cycle is b <-> c. */
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 4, 4, 4});
  int a = ir_graph_add_op(&g, "a", IR_OP_RELU, NULL, &x, 1);
  int c_out = a + 2;
  int b = ir_graph_add_op(&g, "b", IR_OP_RELU, NULL, &c_out, 1);
  ir_graph_add_op(&g, "c", IR_OP_RELU, NULL, &b, 1);
  ir_graph_mark_output(&g, a);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_sort(&g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "graph has a cycle through op 'b'");
  ir_graph_free(&g);
}

Test(ir, op_reading_its_own_output_is_a_cycle) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 4, 4, 4});
  int self = x + 1;
  int in[2] = {x, self};
  ir_graph_add_op(&g, "loop", IR_OP_ADD, NULL, in, 2);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_sort(&g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "graph has a cycle through op 'loop'");
  ir_graph_free(&g);
}

/* ---- verify ---- */

/* in -> conv -> relu -> out: valid. */
static void build_small(ir_graph_t *g) {
  int x = start(g, (ir_shape_t){1, 16, 8, 8});
  ir_attrs_t a = conv_attrs(32, 3, 1, 1);
  int c = ir_graph_add_op(g, "conv", IR_OP_CONV, &a, &x, 1);
  int r = ir_graph_add_op(g, "relu", IR_OP_RELU, NULL, &c, 1);
  ir_graph_mark_output(g, r);
}

static void assert_verify_error(const ir_graph_t *g, const char *want) {
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_verify(g, &d), SCHED_ERR_INPUT, "verify passed, expected: %s", want);
  cr_assert(strstr(d.msg, want), "got '%s', expected '%s'", d.msg, want);
}

Test(ir, verify_accepts_a_valid_graph) {
  ir_graph_t g;
  build_small(&g);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_verify(&g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_free(&g);
}

Test(ir, verify_names_a_dangling_tensor_id) {
  ir_graph_t g;
  build_small(&g);
  g.ops[1].inputs[0] = 42;
  assert_verify_error(&g, "op 'relu': input 0 is tensor id 42, out of range (graph has 3 tensors)");
  ir_graph_free(&g);
}

Test(ir, verify_names_a_tensor_with_no_producer_that_is_not_an_input) {
  ir_graph_t g;
  build_small(&g);
  ir_graph_add_input(&g, "ghost", (ir_shape_t){1, 32, 8, 8}, IR_DTYPE_U8);
  g.n_inputs--; /* a tensor nobody produces, read by relu */
  g.ops[1].inputs[0] = 3;
  assert_verify_error(&g, "tensor 'ghost' has no producer and is not a graph input");
  ir_graph_free(&g);
}

Test(ir, verify_names_non_positive_dims) {
  ir_graph_t g;
  build_small(&g);
  g.tensors[0].shape.h = 0;
  assert_verify_error(&g, "tensor 'in' has non-positive dims 1x16x0x8");
  ir_graph_free(&g);
}

Test(ir, verify_names_a_channel_mismatch) {
  ir_graph_t g;
  build_small(&g);
  g.tensors[1].shape.c = 16; /* conv says 32 */
  g.tensors[2].shape.c = 16;
  assert_verify_error(&g, "op 'conv': output has shape 1x16x8x8 but its inputs give 1x32x8x8");
  ir_graph_free(&g);
}

Test(ir, verify_names_ops_out_of_topological_order) {
  ir_graph_t g;
  build_small(&g);
  ir_op_t tmp = g.ops[0];
  g.ops[0] = g.ops[1];
  g.ops[1] = tmp;
  g.tensors[1].producer = 1;
  g.tensors[2].producer = 0;
  assert_verify_error(&g, "op order not topological: op 'relu' reads 'conv' produced later by op "
                          "'conv'");
  cr_assert_eq(ir_graph_sort(&g, NULL), SCHED_OK);
  cr_assert_eq(ir_graph_verify(&g, NULL), SCHED_OK);
  ir_graph_free(&g);
}

Test(ir, verify_names_an_unread_op_output) {
  ir_graph_t g;
  build_small(&g);
  int x = 0;
  ir_graph_add_op(&g, "dead", IR_OP_SIGMOID, NULL, &x, 1);
  assert_verify_error(&g, "op 'dead': output 'dead' is never read and is not a graph output");
  ir_graph_free(&g);
}

Test(ir, verify_names_duplicate_op_names_and_missing_outputs) {
  ir_graph_t g;
  build_small(&g);
  free(g.ops[1].name);
  g.ops[1].name = strdup("conv");
  assert_verify_error(&g, "two ops are named 'conv'");
  ir_graph_free(&g);
  build_small(&g);
  g.n_outputs = 0;
  assert_verify_error(&g, "graph has no outputs");
  ir_graph_free(&g);
}

Test(ir, infer_shapes_reports_what_add_op_could_not_infer) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 8, 5, 5});
  ir_attrs_t a = conv_attrs(8, 7, 1, 0);
  int y = ir_graph_add_op(&g, "conv3", IR_OP_CONV, &a, &x, 1);
  assert_shape(shape_of(&g, y), 0, 0, 0, 0);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_infer_shapes(&g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "op 'conv3': kernel 7x7 larger than padded input 5x5");
  ir_graph_free(&g);
}

/* ---- counts ---- */

Test(ir, conv_macs_and_params_follow_groups) {
  ir_graph_t g;
  ir_attrs_t a = conv_attrs(128, 3, 1, 1);
  int y = one_op(&g, (ir_shape_t){1, 64, 56, 56}, IR_OP_CONV, a);
  cr_assert_eq(ir_op_macs(&g, 0), 56LL * 56 * 128 * 64 * 9);
  cr_assert_eq(ir_op_params(&g, 0), 128 * 64 * 9 + 128);
  cr_assert_eq(ir_op_weight_bytes(&g, 0), 128 * 64 * 9 + 128);
  g.ops[0].attrs.groups = 64;
  g.ops[0].attrs.has_bias = false;
  cr_assert_eq(ir_op_macs(&g, 0), 56LL * 56 * 128 * 1 * 9);
  cr_assert_eq(ir_op_params(&g, 0), 128 * 9);
  cr_assert_eq(g.tensors[y].shape.c, 128);
  ir_graph_free(&g);
}

Test(ir, transpose_conv_macs_count_per_input_pixel) {
  ir_attrs_t a = conv_attrs(1, 9, 2, 4);
  a.output_pad_h = a.output_pad_w = 1;
  ir_graph_t g;
  one_op(&g, (ir_shape_t){1, 56, 360, 640}, IR_OP_TRANSPOSE_CONV, a);
  cr_assert_eq(ir_op_macs(&g, 0), 360LL * 640 * 56 * 81);
  cr_assert_eq(ir_op_params(&g, 0), 56 * 81 + 1);
  ir_graph_free(&g);
}

Test(ir, prelu_counts_one_slope_per_channel_other_ops_nothing) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 12, 8, 8});
  int p = ir_graph_add_op(&g, "prelu", IR_OP_PRELU, NULL, &x, 1);
  ir_graph_add_op(&g, "relu", IR_OP_RELU, NULL, &p, 1);
  cr_assert_eq(ir_op_params(&g, 0), 12);
  cr_assert_eq(ir_op_params(&g, 1), 0);
  cr_assert_eq(ir_graph_macs(&g), 0);
  cr_assert_eq(ir_graph_params(&g), 12);
  ir_graph_free(&g);
}

Test(ir, weight_bytes_double_for_fp16) {
  ir_graph_t g;
  ir_graph_init(&g, "t");
  int x = ir_graph_add_input(&g, "in", (ir_shape_t){1, 16, 8, 8}, IR_DTYPE_FP16);
  ir_attrs_t a = conv_attrs(16, 1, 1, 0);
  ir_graph_add_op(&g, "conv", IR_OP_CONV, &a, &x, 1);
  cr_assert_eq(ir_op_weight_bytes(&g, 0), 2 * (16 * 16 + 16));
  ir_graph_free(&g);
}

/* ---- fusion ---- */

#define MASK(k) (UINT64_C(1) << (k))

Test(ir, relu_after_conv_fuses_and_keeps_its_tensor_id) {
  ir_graph_t g;
  build_small(&g);
  int relu_out = g.ops[1].output;
  cr_assert_eq(ir_graph_fuse_activations(&g, MASK(IR_OP_RELU)), 1);
  cr_assert_eq(g.n_ops, 1);
  cr_assert_eq(g.ops[0].fused_act, IR_OP_RELU);
  cr_assert_eq(g.ops[0].output, relu_out);
  cr_assert_eq(g.tensors[relu_out].producer, 0);
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_graph_verify(&g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_free(&g);
}

Test(ir, activation_not_in_mask_does_not_fuse) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 16, 8, 8});
  ir_attrs_t a = conv_attrs(16, 3, 1, 1);
  int c = ir_graph_add_op(&g, "conv", IR_OP_CONV, &a, &x, 1);
  int p = ir_graph_add_op(&g, "prelu", IR_OP_PRELU, NULL, &c, 1);
  ir_graph_mark_output(&g, p);
  int64_t params = ir_graph_params(&g);
  cr_assert_eq(ir_graph_fuse_activations(&g, MASK(IR_OP_RELU) | MASK(IR_OP_CLAMP)), 0);
  cr_assert_eq(g.n_ops, 2);
  cr_assert_eq(ir_graph_fuse_activations(&g, MASK(IR_OP_PRELU)), 1);
  cr_assert_eq(ir_graph_params(&g), params, "fused PReLU keeps its slopes");
  ir_graph_free(&g);
}

Test(ir, activation_whose_input_has_two_readers_does_not_fuse) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 16, 8, 8});
  ir_attrs_t a = conv_attrs(16, 3, 1, 1);
  int c = ir_graph_add_op(&g, "conv", IR_OP_CONV, &a, &x, 1);
  int r = ir_graph_add_op(&g, "relu", IR_OP_RELU, NULL, &c, 1);
  int in[2] = {c, r};
  ir_graph_mark_output(&g, ir_graph_add_op(&g, "add", IR_OP_ADD, NULL, in, 2));
  cr_assert_eq(ir_graph_fuse_activations(&g, MASK(IR_OP_RELU)), 0);
  cr_assert_eq(g.n_ops, 3);
  cr_assert_eq(g.ops[0].fused_act, IR_OP_NONE);
  ir_graph_free(&g);
}

Test(ir, activation_after_a_non_dpu_op_does_not_fuse) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 16, 8, 8});
  int u = ir_graph_add_op(&g, "up", IR_OP_UPSAMPLE, &(ir_attrs_t){.scale = 2}, &x, 1);
  ir_graph_mark_output(&g, ir_graph_add_op(&g, "relu", IR_OP_RELU, NULL, &u, 1));
  cr_assert_eq(ir_graph_fuse_activations(&g, MASK(IR_OP_RELU)), 0);
  ir_graph_free(&g);
}

Test(ir, clamp_fuses_with_its_bounds_into_an_eltwise) {
  ir_graph_t g;
  int a = start(&g, (ir_shape_t){1, 16, 8, 8});
  int b = ir_graph_add_input(&g, "b", (ir_shape_t){1, 16, 8, 8}, IR_DTYPE_U8);
  int ab[2] = {a, b};
  int s = ir_graph_add_op(&g, "add", IR_OP_ADD, NULL, ab, 2);
  ir_attrs_t clamp = {.clamp_min = 0.0f, .clamp_max = 6.0f};
  ir_graph_mark_output(&g, ir_graph_add_op(&g, "relu6", IR_OP_CLAMP, &clamp, &s, 1));
  cr_assert_eq(ir_graph_fuse_activations(&g, MASK(IR_OP_CLAMP)), 1);
  cr_assert_eq(g.ops[0].fused_act, IR_OP_CLAMP);
  cr_assert_float_eq(g.ops[0].attrs.clamp_max, 6.0f, 1e-6);
  cr_assert_eq(ir_graph_verify(&g, NULL), SCHED_OK);
  ir_graph_free(&g);
}

/* ---- ownership and names ---- */

Test(ir, copy_is_deep_and_free_is_idempotent) {
  ir_graph_t g, copy;
  build_small(&g);
  g.ops[1].kind = IR_OP_GENERIC;
  g.ops[1].generic_type = strdup("Erf");
  ir_graph_copy(&g, &copy);
  ir_graph_free(&g);
  cr_assert_eq(copy.n_ops, 2);
  cr_assert_str_eq(copy.ops[1].generic_type, "Erf");
  cr_assert_str_eq(copy.tensors[1].name, "conv");
  cr_assert_eq(ir_graph_macs(&copy), 8LL * 8 * 32 * 16 * 9);
  cr_assert_eq(ir_graph_verify(&copy, NULL), SCHED_OK);
  ir_graph_free(&copy);
  ir_graph_free(&copy);
  ir_graph_free(&g);
}

Test(ir, consumers_lists_every_reading_op) {
  ir_graph_t g;
  int x = start(&g, (ir_shape_t){1, 4, 4, 4});
  ir_graph_add_op(&g, "a", IR_OP_RELU, NULL, &x, 1);
  ir_graph_add_op(&g, "b", IR_OP_SIGMOID, NULL, &x, 1);
  ir_graph_add_op(&g, "c", IR_OP_TANH, NULL, &x, 1);
  int ops[2] = {-1, -1};
  cr_assert_eq(ir_tensor_consumers(&g, x, ops, 2), 3);
  cr_assert(ops[0] == 0 && ops[1] == 1);
  cr_assert_eq(ir_tensor_consumers(&g, 1, NULL, 0), 0);
  ir_graph_free(&g);
}

Test(ir, kind_and_dtype_names_round_trip) {
  for (int k = 0; k < IR_OP_KIND_COUNT; k++) {
    ir_op_kind_t back;
    cr_assert_eq(ir_op_kind_parse(ir_op_kind_name((ir_op_kind_t)k), &back), SCHED_OK);
    cr_assert_eq(back, (ir_op_kind_t)k);
  }
  for (int t = 0; t < IR_DTYPE_COUNT; t++) {
    ir_dtype_t back;
    cr_assert_eq(ir_dtype_parse(ir_dtype_name((ir_dtype_t)t), &back), SCHED_OK);
    cr_assert_eq(back, (ir_dtype_t)t);
  }
  ir_op_kind_t k;
  ir_dtype_t t;
  cr_assert_eq(ir_op_kind_parse("convolution", &k), SCHED_ERR_INPUT);
  cr_assert_eq(ir_dtype_parse("fp32", &t), SCHED_ERR_INPUT);
  cr_assert_str_eq(ir_op_kind_name(IR_OP_DEPTH_TO_SPACE), "depth_to_space");
  cr_assert_str_eq(ir_upsample_mode_name(IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS),
                   "bilinear_align_corners");
  cr_assert_eq(ir_dtype_bytes(IR_DTYPE_FP16), 2);
  cr_assert_eq(ir_dtype_bytes(IR_DTYPE_I8), 1);
}
