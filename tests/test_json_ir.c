/* JSON IR: a hand-written file, exact round trips (hand-built graphs and the
 * zoo, before and after PPE fusion), and one test per kind of bad input with
 * its exact error line. */
#define _DEFAULT_SOURCE /* mkstemps */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir/ir.h"

static const char *const tiny =
    "{\"name\": \"tiny\",\n"
    " \"inputs\": [{\"name\": \"x\", \"shape\": [1, 3, 32, 32]}],\n"
    " \"ops\": [\n"
    "  {\"name\": \"conv1\", \"kind\": \"conv\", \"inputs\": [\"x\"], \"kernel\": [3, 3],\n"
    "   \"pads\": [1, 1, 1, 1], \"out_channels\": 16, \"bias\": true, \"act\": \"relu\"},\n"
    "  {\"name\": \"pool\", \"kind\": \"maxpool\", \"inputs\": [\"conv1\"], \"kernel\": [2, 2],\n"
    "   \"stride\": [2, 2]}\n"
    " ],\n"
    " \"outputs\": [\"pool\"]}\n";

/* Parses text and returns the error line ("" when it parsed). */
static const char *parse_error(const char *text, sched_diag_t *diag) {
  ir_graph_t g;
  diag->msg[0] = '\0';
  int rc = ir_json_parse(text, strlen(text), "t.json", &g, diag);
  if (rc == SCHED_OK)
    ir_graph_free(&g);
  else
    cr_expect_eq(rc, SCHED_ERR_INPUT);
  return diag->msg;
}

static int tensor_named(const ir_graph_t *g, const char *name) {
  for (int t = 0; t < g->n_tensors; t++)
    if (strcmp(g->tensors[t].name, name) == 0)
      return t;
  return -1;
}

/* Equal by names: ops in order with kind, attrs, activation, generic type,
 * input and output tensor names, shapes and dtypes; inputs and outputs. */
static void expect_graphs_equal(const ir_graph_t *a, const ir_graph_t *b) {
  cr_assert_str_eq(a->name, b->name);
  cr_assert_eq(a->n_ops, b->n_ops);
  cr_assert_eq(a->n_inputs, b->n_inputs);
  cr_assert_eq(a->n_outputs, b->n_outputs);
  for (int i = 0; i < a->n_ops; i++) {
    const ir_op_t *x = &a->ops[i], *y = &b->ops[i];
    cr_assert_str_eq(x->name, y->name);
    cr_assert_eq(x->kind, y->kind, "op %s", x->name);
    cr_assert_eq(memcmp(&x->attrs, &y->attrs, sizeof x->attrs), 0, "attrs of op %s", x->name);
    cr_assert_eq(x->fused_act, y->fused_act);
    cr_assert_str_eq(x->generic_type ? x->generic_type : "",
                     y->generic_type ? y->generic_type : "");
    cr_assert_eq(x->n_inputs, y->n_inputs);
    for (int j = 0; j < x->n_inputs; j++)
      cr_assert_str_eq(a->tensors[x->inputs[j]].name, b->tensors[y->inputs[j]].name);
    const ir_tensor_t *tx = &a->tensors[x->output], *ty = &b->tensors[y->output];
    cr_assert_str_eq(tx->name, ty->name);
    cr_assert_eq(memcmp(&tx->shape, &ty->shape, sizeof tx->shape), 0, "shape of %s", tx->name);
    cr_assert_eq(tx->dtype, ty->dtype);
  }
  for (int i = 0; i < a->n_inputs; i++) {
    const ir_tensor_t *tx = &a->tensors[a->inputs[i]], *ty = &b->tensors[b->inputs[i]];
    cr_assert_str_eq(tx->name, ty->name);
    cr_assert_eq(memcmp(&tx->shape, &ty->shape, sizeof tx->shape), 0);
    cr_assert_eq(tx->dtype, ty->dtype);
  }
  for (int i = 0; i < a->n_outputs; i++)
    cr_assert_str_eq(a->tensors[a->outputs[i]].name, b->tensors[b->outputs[i]].name);
}

/* print -> parse -> print is byte-identical and the graphs are equal. */
static void expect_round_trip(const ir_graph_t *g) {
  sched_diag_t diag = {0};
  char *first, *second;
  ir_graph_t back;
  cr_assert_eq(ir_json_print(g, &first, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_json_parse(first, strlen(first), "first.json", &back, &diag), SCHED_OK, "%s",
               diag.msg);
  cr_assert_eq(ir_graph_verify(&back, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_json_print(&back, &second, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_str_eq(first, second);
  expect_graphs_equal(g, &back);
  free(first);
  free(second);
  ir_graph_free(&back);
}

Test(json_ir, hand_written_file_reads_with_inferred_shapes) {
  sched_diag_t diag = {0};
  ir_graph_t g;
  cr_assert_eq(ir_json_parse(tiny, strlen(tiny), "tiny.json", &g, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_graph_verify(&g, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(g.n_ops, 2);
  cr_assert_eq(g.ops[0].fused_act, IR_OP_RELU);
  ir_shape_t s = g.tensors[tensor_named(&g, "pool")].shape;
  cr_assert(s.n == 1 && s.c == 16 && s.h == 16 && s.w == 16);
  cr_assert_eq(ir_graph_macs(&g), 16LL * 27 * 32 * 32);
  cr_assert_eq(ir_graph_params(&g), 16LL * 27 + 16);
  ir_graph_free(&g);
}

Test(json_ir, ops_out_of_order_are_sorted) {
  const char *text =
      "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 8, 4, 4], \"dtype\": \"fp16\"}],\n"
      " \"ops\": [{\"name\": \"b\", \"kind\": \"sigmoid\", \"inputs\": [\"a\"]},\n"
      "         {\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"]}],\n"
      " \"outputs\": [\"b\"]}";
  sched_diag_t diag = {0};
  ir_graph_t g;
  cr_assert_eq(ir_json_parse(text, strlen(text), "t.json", &g, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_str_eq(g.ops[0].name, "a");
  cr_assert_eq(g.tensors[g.ops[1].output].dtype, IR_DTYPE_FP16);
  ir_graph_free(&g);
}

/* Every attribute and field the format has, with non-default values. */
static void build_everything(ir_graph_t *g) {
  ir_graph_init(g, "everything \"quoted\"");
  int x = ir_graph_add_input(g, "x", (ir_shape_t){1, 16, 32, 32}, IR_DTYPE_I8);
  int y = ir_graph_add_input(g, "y", (ir_shape_t){1, 16, 32, 32}, IR_DTYPE_I8);
  ir_attrs_t conv = {.kernel_h = 3,
                     .kernel_w = 5,
                     .stride_h = 2,
                     .stride_w = 1,
                     .pad_top = 1,
                     .pad_bottom = 0,
                     .pad_left = 2,
                     .pad_right = 3,
                     .dilation_h = 1,
                     .dilation_w = 2,
                     .groups = 4,
                     .out_channels = 32,
                     .has_bias = true,
                     .clamp_min = 0,
                     .clamp_max = 6};
  int c = ir_graph_add_op(g, "conv", IR_OP_CONV, &conv, &x, 1);
  g->ops[0].fused_act = IR_OP_CLAMP;
  ir_attrs_t leaky = {.alpha = 0.1f};
  int l = ir_graph_add_op(g, "leaky", IR_OP_LEAKY_RELU, &leaky, &c, 1);
  ir_attrs_t clip = {.clamp_min = -INFINITY, .clamp_max = 0.3f};
  int cl = ir_graph_add_op(g, "clip", IR_OP_CLAMP, &clip, &l, 1);
  ir_attrs_t up = {.upsample_mode = IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS, .scale = 2};
  int u = ir_graph_add_op(g, "up", IR_OP_UPSAMPLE, &up, &cl, 1);
  ir_attrs_t tc = {.kernel_h = 2,
                   .kernel_w = 2,
                   .stride_h = 2,
                   .stride_w = 2,
                   .output_pad_h = 1,
                   .output_pad_w = 1,
                   .out_channels = 16};
  int t = ir_graph_add_op(g, "tconv", IR_OP_TRANSPOSE_CONV, &tc, &y, 1);
  int gen = ir_graph_add_op(g, "erf", IR_OP_GENERIC, NULL, &t, 1);
  g->ops[g->n_ops - 1].generic_type = strdup("Erf");
  ir_attrs_t perm = {.perm = {0, 2, 3, 1}};
  int tr = ir_graph_add_op(g, "transpose", IR_OP_TRANSPOSE, &perm, &gen, 1);
  ir_attrs_t rs = {.reshape_to = {1, -1, 1, 1}};
  int r = ir_graph_add_op(g, "flatten", IR_OP_RESHAPE, &rs, &tr, 1);
  ir_attrs_t fc = {.out_channels = 10};
  int f = ir_graph_add_op(g, "fc", IR_OP_FULLY_CONNECTED, &fc, &r, 1);
  g->tensors[f].dtype = IR_DTYPE_FP16;
  ir_graph_mark_output(g, u);
  ir_graph_mark_output(g, f);
}

Test(json_ir, every_field_round_trips_exactly) {
  ir_graph_t g;
  build_everything(&g);
  sched_diag_t diag = {0};
  cr_assert_eq(ir_graph_infer_shapes(&g, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_graph_verify(&g, &diag), SCHED_OK, "%s", diag.msg);
  expect_round_trip(&g);
  ir_graph_free(&g);
}

Test(json_ir, written_text_is_one_line_per_op) {
  ir_graph_t g;
  sched_diag_t diag = {0};
  cr_assert_eq(ir_json_parse(tiny, strlen(tiny), "tiny.json", &g, &diag), SCHED_OK);
  char *text;
  cr_assert_eq(ir_json_print(&g, &text, &diag), SCHED_OK);
  cr_assert_str_eq(
      text,
      "{\n  \"format\": \"sched-ir\",\n  \"version\": 1,\n  \"name\": \"tiny\",\n"
      "  \"inputs\": [\n    {\"name\":\"x\",\"shape\":[1,3,32,32],\"dtype\":\"u8\"}\n  ],\n"
      "  \"ops\": [\n"
      "    {\"name\":\"conv1\",\"kind\":\"conv\",\"inputs\":[\"x\"],\"shape\":[1,16,32,32],"
      "\"kernel\":[3,3],\"pads\":[1,1,1,1],\"out_channels\":16,\"bias\":true,\"act\":\"relu\"},\n"
      "    {\"name\":\"pool\",\"kind\":\"maxpool\",\"inputs\":[\"conv1\"],\"shape\":[1,16,16,16],"
      "\"kernel\":[2,2],\"stride\":[2,2]}\n"
      "  ],\n  \"outputs\": [\n    \"pool\"\n  ]\n}\n");
  free(text);
  ir_graph_free(&g);
}

Test(json_ir, zoo_nets_round_trip_before_and_after_fusion) {
  const char *const nets[] = {"fsrcnn",   "edsr:blocks=2", "wdsr:blocks=2",   "mobilenetv2",
                              "resnet18", "resnet50",      "yolov3-tiny",     "conv",
                              "dwconv",   "pool:type=avg", "eltwise:type=mul"};
  for (int i = 0; i < (int)(sizeof nets / sizeof nets[0]); i++) {
    ir_graph_t g;
    sched_diag_t diag = {0};
    cr_assert_eq(ir_zoo_build(nets[i], &g, &diag), SCHED_OK, "%s: %s", nets[i], diag.msg);
    expect_round_trip(&g);
    ir_graph_fuse_activations(&g, ~0ull);
    expect_round_trip(&g);
    ir_graph_free(&g);
  }
}

Test(json_ir, file_write_and_read) {
  ir_graph_t g, back;
  sched_diag_t diag = {0};
  cr_assert_eq(ir_zoo_build("resnet18", &g, &diag), SCHED_OK, "%s", diag.msg);
  char path[] = "/tmp/sched_json_XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  close(fd);
  cr_assert_eq(ir_json_write(&g, path, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_json_read(path, &back, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_graph_macs(&back), ir_graph_macs(&g));
  cr_assert_eq(ir_graph_params(&back), ir_graph_params(&g));
  remove(path);
  ir_graph_free(&g);
  ir_graph_free(&back);
}

/* ---- bad input: one exact error line each ---- */

#define OPS(ops)                                                                                   \
  "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3, 8, 8]}], \"ops\": [" ops                      \
  "], \"outputs\": [\"a\"]}"

Test(json_ir, missing_file_names_the_path) {
  ir_graph_t g;
  sched_diag_t diag;
  cr_assert_eq(ir_json_read("/nonexistent/net.json", &g, &diag), SCHED_ERR_INPUT);
  cr_assert_str_eq(diag.msg, "/nonexistent/net.json: cannot open: No such file or directory");
}

Test(json_ir, syntax_error_names_line_and_column) {
  sched_diag_t d;
  cr_assert_str_eq(parse_error("{\"inputs\": [\n  {\"name\": }]}", &d),
                   "t.json:2:12: JSON syntax error");
}

Test(json_ir, missing_keys_name_the_key_and_op) {
  sched_diag_t d;
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"conv\", \"inputs\": [\"x\"], "
                                   "\"out_channels\": 4}"),
                               &d),
                   "t.json: op 0 'a': missing key 'kernel'");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"conv\", \"inputs\": [\"x\"], "
                                   "\"kernel\": [1, 1]}"),
                               &d),
                   "t.json: op 0 'a': missing key 'out_channels'");
  cr_assert_str_eq(parse_error(OPS("{\"kind\": \"relu\", \"inputs\": [\"x\"]}"), &d),
                   "t.json: op 0: missing key 'name'");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"inputs\": [\"x\"]}"), &d),
                   "t.json: op 0 'a': missing key 'kind'");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"relu\"}"), &d),
                   "t.json: op 0 'a': missing key 'inputs'");
  cr_assert_str_eq(
      parse_error("{\"inputs\": [{\"name\": \"x\"}], \"ops\": [], \"outputs\": []}", &d),
      "t.json: input 0 'x': missing key 'shape'");
  cr_assert_str_eq(parse_error("{\"ops\": [], \"outputs\": []}", &d),
                   "t.json: missing key 'inputs'");
}

Test(json_ir, wrong_types_name_the_key_and_what_was_found) {
  sched_diag_t d;
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"conv\", \"inputs\": [\"x\"], "
                                   "\"kernel\": \"3x3\", \"out_channels\": 4}"),
                               &d),
                   "t.json: op 0 'a': key 'kernel' must be an array of 2 integers, got a string");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"conv\", \"inputs\": [\"x\"], "
                                   "\"kernel\": [3, 3.5], \"out_channels\": 4}"),
                               &d),
                   "t.json: op 0 'a': key 'kernel': 3.5 is not an integer in 1..65536");
  cr_assert_str_eq(
      parse_error(OPS("{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": \"x\"}"), &d),
      "t.json: op 0 'a': key 'inputs' must be an array of 1..16 tensor names, got a string");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": 3, \"inputs\": [\"x\"]}"), &d),
                   "t.json: op 0 'a': key 'kind' must be a non-empty string, got a number");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"], "
                                   "\"bias\": 1}"),
                               &d),
                   "t.json: op 0 'a': key 'bias' must be true or false, got a number");
  cr_assert_str_eq(parse_error("[1, 2]", &d),
                   "t.json: the top level must be an object, got an array");
}

Test(json_ir, unknown_names_are_errors) {
  sched_diag_t d;
  cr_assert_str_eq(
      parse_error(OPS("{\"name\": \"a\", \"kind\": \"swirl\", \"inputs\": [\"x\"]}"), &d),
      "t.json: op 0 'a': key 'kind': unknown op kind 'swirl'");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"maxpool\", \"inputs\": [\"x\"], "
                                   "\"kernel\": [2, 2], \"strides\": [2, 2]}"),
                               &d),
                   "t.json: op 0 'a': unknown key 'strides'");
  cr_assert_str_eq(parse_error("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3, 8, 8], "
                               "\"dtype\": \"f32\"}], \"ops\": [], \"outputs\": []}",
                               &d),
                   "t.json: input 0 'x': key 'dtype': unknown dtype 'f32' (u8, i8, fp16)");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"], "
                                   "\"act\": \"conv\"}"),
                               &d),
                   "t.json: op 0 'a': key 'act': 'conv' is not an activation");
}

Test(json_ir, tensor_with_no_producer) {
  sched_diag_t d;
  cr_assert_str_eq(
      parse_error(OPS("{\"name\": \"a\", \"kind\": \"add\", \"inputs\": [\"x\", \"ghost\"]}"), &d),
      "t.json: op 0 'a': input 'ghost' is not a graph input or the output of any op");
}

Test(json_ir, cycle_names_an_op_on_it) {
  sched_diag_t d;
  cr_assert_str_eq(
      parse_error(OPS("{\"name\": \"a\", \"kind\": \"add\", \"inputs\": [\"x\", \"b\"]},"
                      "{\"name\": \"b\", \"kind\": \"relu\", \"inputs\": [\"a\"]}"),
                  &d),
      "t.json: graph has a cycle through op 'a'");
}

Test(json_ir, bad_dims) {
  sched_diag_t d;
  cr_assert_str_eq(parse_error("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 0, 8, 8]}], "
                               "\"ops\": [], \"outputs\": []}",
                               &d),
                   "t.json: input 0 'x': key 'shape': 0 is not an integer in 1..2147483648");
  cr_assert_str_eq(parse_error("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, -3, 8, 8]}], "
                               "\"ops\": [], \"outputs\": []}",
                               &d),
                   "t.json: input 0 'x': key 'shape': -3 is not an integer in 1..2147483648");
  cr_assert_str_eq(parse_error("{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1e30, 8, 8]}], "
                               "\"ops\": [], \"outputs\": []}",
                               &d),
                   "t.json: input 0 'x': key 'shape': 1e+30 is not an integer in 1..2147483648");
  cr_assert_str_eq(
      parse_error("{\"inputs\": [{\"name\": \"x\", \"shape\": [65536, 65536, 65536, 8]}], "
                  "\"ops\": [], \"outputs\": []}",
                  &d),
      "t.json: input 0 'x': shape 65536x65536x65536x8 has more than 2^40 elements");
}

Test(json_ir, growing_chain_stops_before_overflow) {
  sched_diag_t d;
  const char *text =
      "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1, 65536, 65536]}], \"ops\": ["
      "{\"name\": \"u1\", \"kind\": \"upsample\", \"inputs\": [\"x\"], \"scale\": 65536},"
      "{\"name\": \"a\", \"kind\": \"upsample\", \"inputs\": [\"u1\"], \"scale\": 65536}],"
      "\"outputs\": [\"a\"]}";
  cr_assert_str_eq(parse_error(text, &d),
                   "t.json: op 'u1': output: shape 1x1x4294967296x4294967296 is too large "
                   "(at most 2^31 per dim, 2^40 elements)");
}

Test(json_ir, kernel_larger_than_input) {
  sched_diag_t d;
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"conv\", \"inputs\": [\"x\"], "
                                   "\"kernel\": [9, 9], \"out_channels\": 4}"),
                               &d),
                   "t.json: op 'a': kernel 9x9 larger than padded input 8x8");
}

Test(json_ir, channel_mismatch) {
  sched_diag_t d;
  const char *text =
      "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3, 8, 8]}, "
      "{\"name\": \"y\", \"shape\": [1, 4, 8, 8]}], \"ops\": ["
      "{\"name\": \"a\", \"kind\": \"add\", \"inputs\": [\"x\", \"y\"]}], \"outputs\": [\"a\"]}";
  cr_assert_str_eq(parse_error(text, &d),
                   "t.json: op 'a': input shapes 1x3x8x8 and 1x4x8x8 do not broadcast");
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"conv\", \"inputs\": [\"x\"], "
                                   "\"kernel\": [1, 1], \"groups\": 2, \"out_channels\": 4}"),
                               &d),
                   "t.json: op 'a': input channels 3 not divisible by groups 2");
}

Test(json_ir, stated_shape_must_match) {
  sched_diag_t d;
  cr_assert_str_eq(parse_error(OPS("{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"], "
                                   "\"shape\": [1, 3, 8, 9]}"),
                               &d),
                   "t.json: op 0 'a': key 'shape': the file says 1x3x8x9, the inputs give 1x3x8x8");
}

Test(json_ir, duplicate_names) {
  sched_diag_t d;
  cr_assert_str_eq(
      parse_error(
          OPS("{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"]},"
              "{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"], \"output\": \"z\"}"),
          &d),
      "t.json: op 1 'a': op name 'a' is used twice");
  cr_assert_str_eq(
      parse_error(
          OPS("{\"name\": \"a\", \"kind\": \"relu\", \"inputs\": [\"x\"], \"output\": \"x\"}"), &d),
      "t.json: op 0 'a': tensor name 'x' is used twice");
}

Test(json_ir, load_picks_the_reader_by_extension) {
  ir_graph_t g, back;
  sched_diag_t diag = {0};
  cr_assert_eq(ir_graph_load("fsrcnn", NULL, &g, &diag), SCHED_OK, "%s", diag.msg);
  char path[] = "/tmp/sched_load_XXXXXX.JSON";
  int fd = mkstemps(path, 5);
  cr_assert(fd >= 0);
  close(fd);
  cr_assert_eq(ir_json_write(&g, path, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(ir_graph_load(path, NULL, &back, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect_eq(ir_graph_macs(&back), ir_graph_macs(&g));
  remove(path);
  ir_graph_free(&back);
  cr_expect_eq(ir_graph_load("/nonexistent/x.onnx", NULL, &back, &diag), SCHED_ERR_INPUT);
  cr_expect_str_eq(diag.msg, "/nonexistent/x.onnx: cannot open: No such file or directory");
  ir_graph_free(&g);
}
