/* test_advisor.c - the model advisor: findings are detected where the notes
 * say they are, each saving is a real difference of two planned networks
 * (PReLU -> ReLU on EDSR equals planning edsr:act=relu), a clean network has
 * no findings, the JSON parses, and the graph edits keep networks valid.
 * Small resolutions keep the plans fast under the sanitizers. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "advisor/advisor.h"
#include "tools/measure.h"

#define EDSR_SMALL "blocks=2,h=90,w=160"

/* A planned baseline plus the advisor's report on it. */
typedef struct {
  ir_graph_t net;
  pipeline_options_t po;
  pipeline_t p;
  advisor_report_t report;
} advised_t;

static void advise_graph(advised_t *a) {
  sched_diag_t diag = {{0}};
  a->po = pipeline_defaults();
  a->po.graph = &a->net;
  cr_assert_eq(pipeline_run(&a->po, &a->p, &diag), SCHED_OK, "%s", diag.msg);
  advisor_input_t in = {.net = &a->net,
                        .arch = &a->p.arch,
                        .problem = &a->p.problem,
                        .plan = pipeline_chosen(&a->p)->plan};
  advisor_measurer_t m = measure_measurer(&a->po);
  advisor_params_t params = advisor_params_default();
  cr_assert_eq(advisor_run(&in, &params, &m, &a->report, &diag), SCHED_OK, "%s", diag.msg);
}

static void advise_spec(const char *spec, advised_t *a) {
  sched_diag_t diag = {{0}};
  cr_assert_eq(ir_zoo_build(spec, &a->net, &diag), SCHED_OK, "%s", diag.msg);
  advise_graph(a);
}

static void advised_free(advised_t *a) {
  advisor_report_free(&a->report);
  pipeline_free(&a->p);
  ir_graph_free(&a->net);
}

static const advisor_finding_t *find(const advisor_report_t *r, const char *id) {
  for (int i = 0; i < r->n_findings; i++)
    if (strcmp(r->findings[i].kind->id, id) == 0)
      return &r->findings[i];
  return NULL;
}

/* Latency of a zoo net planned with the default options. */
static double plan_us(const char *spec) {
  ir_graph_t g;
  sched_diag_t diag = {{0}};
  cr_assert_eq(ir_zoo_build(spec, &g, &diag), SCHED_OK, "%s", diag.msg);
  pipeline_options_t po = pipeline_defaults();
  advisor_measurer_t m = measure_measurer(&po);
  advisor_measure_t r;
  cr_assert_eq(m.measure(m.ctx, &g, NULL, 0, &r, &diag), SCHED_OK, "%s", diag.msg);
  ir_graph_free(&g);
  return r.latency_us;
}

Test(advisor, prelu_to_relu_ranks_first_and_saves_what_relu_edsr_costs_less) {
  advised_t a = {0};
  advise_spec("edsr:act=prelu," EDSR_SMALL, &a);
  cr_assert_gt(a.report.n_findings, 0);
  const advisor_finding_t *top = &a.report.findings[0];
  cr_assert_str_eq(top->kind->id, "prelu-to-relu");
  cr_assert_eq(top->status, SCHED_OK);
  cr_expect_eq(top->n_sites, 2, "one PReLU per residual block");
  cr_assert_gt(top->saving_us, 0);
  double prelu_us = plan_us("edsr:act=prelu," EDSR_SMALL);
  double relu_us = plan_us("edsr:act=relu," EDSR_SMALL);
  cr_expect_float_eq(a.report.baseline.latency_us, prelu_us, 1e-9);
  cr_expect_float_eq(top->saving_us, prelu_us - relu_us, 1e-9, "saving %.4f, difference %.4f",
                     top->saving_us, prelu_us - relu_us);
  cr_expect_float_eq(top->saving_pct, 100 * (prelu_us - relu_us) / prelu_us, 1e-9);
  advised_free(&a);
}

Test(advisor, fsrcnn_has_channel_count_and_prelu_findings) {
  advised_t a = {0};
  advise_spec("fsrcnn:h=90,w=160", &a);
  const advisor_finding_t *ch = find(&a.report, "channels-round-down");
  const advisor_finding_t *pr = find(&a.report, "prelu-to-relu");
  const advisor_finding_t *tiny = find(&a.report, "tiny-channels");
  cr_assert_not_null(ch);
  cr_assert_not_null(pr);
  cr_assert_not_null(tiny);
  cr_expect_eq(ch->n_sites, 2, "feature and expand have 56 channels");
  cr_expect_str_eq(ch->sites[0].name, "feature");
  cr_expect(strstr(ch->sites[0].note, "56 -> 48") != NULL, "%s", ch->sites[0].note);
  cr_expect_eq(pr->n_sites, 7, "every conv but the deconv has a PReLU");
  cr_expect_eq(tiny->n_sites, 5, "shrink and four mapping convs have 12 channels");
  cr_expect_gt(pr->saving_us, 0);
  cr_expect_gt(ch->saving_us, 0);
  for (int i = 1; i < a.report.n_findings; i++)
    if (a.report.findings[i].status == SCHED_OK)
      cr_expect_geq(a.report.findings[i - 1].saving_us, a.report.findings[i].saving_us, "ranked");
  advised_free(&a);
}

/* fsrcnn's 9x9 stride-2 deconv to one channel idles the MAC array; as a
 * sub-pixel conv (5x5 into 4 channels + depth-to-space by 2) it is the
 * measured top finding, with the same output shape. */
Test(advisor, fsrcnn_deconv_is_a_low_utilisation_finding_with_a_subpixel_rewrite) {
  advised_t a = {0};
  advise_spec("fsrcnn:h=90,w=160", &a);
  const advisor_finding_t *f = find(&a.report, "deconv-to-subpixel");
  cr_assert_not_null(f);
  cr_assert_eq(f->status, SCHED_OK, "%s", f->error);
  cr_expect_str_eq(f->sites[0].name, "deconv");
  cr_expect(strstr(f->sites[0].note, "9x9 stride 2, 1 output channels") != NULL, "%s",
            f->sites[0].note);
  cr_expect_str_eq(a.report.findings[0].kind->id, "deconv-to-subpixel", "ranked first");
  cr_expect_gt(f->saving_pct, 50);
  ir_graph_t sub;
  sched_diag_t d = {{0}};
  int op = advisor_graph_find_op(&a.net, "deconv");
  cr_assert_eq(advisor_graph_subpixel(&a.net, op, &sub, &d), SCHED_OK, "%s", d.msg);
  int conv = advisor_graph_find_op(&sub, "deconv.subpixel");
  cr_assert_geq(conv, 0);
  cr_expect_eq(sub.ops[conv].attrs.kernel_h, 5);
  cr_expect_eq(sub.ops[conv].attrs.out_channels, 4);
  ir_shape_t before = a.net.tensors[a.net.outputs[0]].shape,
             after = sub.tensors[sub.outputs[0]].shape;
  cr_expect(before.c == after.c && before.h == after.h && before.w == after.w,
            "same output: %lldx%lld, %lldx%lld", (long long)before.h, (long long)before.w,
            (long long)after.h, (long long)after.w);
  ir_graph_free(&sub);
  advised_free(&a);
}

Test(advisor, clean_single_conv_has_no_findings) {
  advised_t a = {0};
  advise_spec("conv:c=64,k=64,h=56,w=56", &a);
  cr_expect_eq(a.report.n_findings, 0);
  cr_expect_gt(a.report.baseline.latency_us, 0);
  advised_free(&a);
}

/* input 16x64x64 -> conv 16 -> x2 bilinear (align_corners) -> conv 16 */
static void build_upsample_net(ir_graph_t *g) {
  ir_graph_init(g, "up");
  int x = ir_graph_add_input(g, "in", (ir_shape_t){1, 16, 64, 64}, IR_DTYPE_U8);
  ir_attrs_t conv = {.kernel_h = 3,
                     .kernel_w = 3,
                     .pad_top = 1,
                     .pad_bottom = 1,
                     .pad_left = 1,
                     .pad_right = 1,
                     .out_channels = 16};
  x = ir_graph_add_op(g, "c1", IR_OP_CONV, &conv, &x, 1);
  ir_attrs_t up = {.scale = 2, .upsample_mode = IR_UPSAMPLE_BILINEAR_ALIGN_CORNERS};
  x = ir_graph_add_op(g, "up", IR_OP_UPSAMPLE, &up, &x, 1);
  x = ir_graph_add_op(g, "c2", IR_OP_CONV, &conv, &x, 1);
  ir_graph_mark_output(g, x);
  sched_diag_t diag = {{0}};
  cr_assert_eq(ir_graph_infer_shapes(g, &diag), SCHED_OK, "%s", diag.msg);
}

Test(advisor, align_corners_upsampling_is_found_and_nearest_saves) {
  advised_t a = {0};
  build_upsample_net(&a.net);
  advise_graph(&a);
  const advisor_finding_t *nearest = find(&a.report, "align-corners-to-nearest");
  const advisor_finding_t *bilinear = find(&a.report, "align-corners-to-bilinear");
  cr_assert_not_null(nearest);
  cr_assert_not_null(bilinear);
  cr_expect_eq(nearest->n_sites, 1);
  cr_expect_str_eq(nearest->sites[0].name, "up");
  cr_expect_gt(nearest->saving_us, 0, "nearest is free, align_corners runs on SHAVE");
  cr_expect_geq(nearest->saving_us, bilinear->saving_us);
  advised_free(&a);
}

/* input 32x128x128 -> DW 3x3 -> ReLU -> PW 1x1 to 64 -> ReLU */
static void build_dwpw_net(ir_graph_t *g) {
  ir_graph_init(g, "dwpw");
  int x = ir_graph_add_input(g, "in", (ir_shape_t){1, 32, 128, 128}, IR_DTYPE_U8);
  ir_attrs_t dw = {.kernel_h = 3,
                   .kernel_w = 3,
                   .pad_top = 1,
                   .pad_bottom = 1,
                   .pad_left = 1,
                   .pad_right = 1,
                   .groups = 32,
                   .out_channels = 32};
  x = ir_graph_add_op(g, "dw", IR_OP_CONV, &dw, &x, 1);
  x = ir_graph_add_op(g, "dw.relu", IR_OP_RELU, NULL, &x, 1);
  ir_attrs_t pw = {.kernel_h = 1, .kernel_w = 1, .out_channels = 64};
  x = ir_graph_add_op(g, "pw", IR_OP_CONV, &pw, &x, 1);
  x = ir_graph_add_op(g, "pw.relu", IR_OP_RELU, NULL, &x, 1);
  ir_graph_mark_output(g, x);
  sched_diag_t diag = {{0}};
  cr_assert_eq(ir_graph_infer_shapes(g, &diag), SCHED_OK, "%s", diag.msg);
}

Test(advisor, dw_pw_chain_at_high_resolution_is_measured_as_one_conv) {
  advised_t a = {0};
  build_dwpw_net(&a.net);
  advise_graph(&a);
  const advisor_finding_t *f = find(&a.report, "dwpw-to-conv");
  cr_assert_not_null(f);
  cr_expect_eq(f->n_sites, 1);
  cr_expect_str_eq(f->sites[0].name, "dw");
  cr_expect_eq(f->status, SCHED_OK, "%s", f->error);
  cr_expect_neq(f->after.latency_us, a.report.baseline.latency_us);
  advised_free(&a);
}

Test(advisor, dw_pw_rewrite_is_one_dense_conv_of_the_same_field) {
  advised_t a = {0};
  build_dwpw_net(&a.net);
  advisor_input_t in = {.net = &a.net};
  advisor_site_t site = {.name = "dw", .op = 0};
  advisor_whatif_t w;
  sched_diag_t diag = {{0}};
  const advisor_kind_t *const *k = advisor_kinds();
  while (*k && strcmp((*k)->id, "dwpw-to-conv") != 0)
    k++;
  cr_assert_not_null(*k);
  cr_assert_eq((*k)->apply(&in, &site, 1, &w, &diag), SCHED_OK, "%s", diag.msg);
  cr_assert_eq(w.graph.n_ops, 3, "dw (now dense), its ReLU, the PW's ReLU");
  const ir_op_t *conv = &w.graph.ops[0];
  cr_expect_eq(conv->attrs.groups, 1);
  cr_expect_eq(conv->attrs.kernel_h, 3);
  cr_expect_eq(w.graph.tensors[w.graph.outputs[0]].shape.c, 64);
  cr_expect_eq(w.graph.tensors[w.graph.outputs[0]].shape.h, 128);
  advisor_whatif_free(&w);
  ir_graph_free(&a.net);
}

Test(advisor, channel_change_carries_through_depthwise_consumers) {
  ir_graph_t g;
  ir_graph_init(&g, "mb");
  int x = ir_graph_add_input(&g, "in", (ir_shape_t){1, 16, 32, 32}, IR_DTYPE_U8);
  ir_attrs_t pw = {.kernel_h = 1, .kernel_w = 1, .out_channels = 56};
  x = ir_graph_add_op(&g, "expand", IR_OP_CONV, &pw, &x, 1);
  x = ir_graph_add_op(&g, "expand.relu", IR_OP_RELU, NULL, &x, 1);
  ir_attrs_t dw = {.kernel_h = 3,
                   .kernel_w = 3,
                   .pad_top = 1,
                   .pad_bottom = 1,
                   .pad_left = 1,
                   .pad_right = 1,
                   .groups = 56,
                   .out_channels = 56};
  x = ir_graph_add_op(&g, "dw", IR_OP_CONV, &dw, &x, 1);
  pw.out_channels = 16;
  x = ir_graph_add_op(&g, "project", IR_OP_CONV, &pw, &x, 1);
  ir_graph_mark_output(&g, x);
  sched_diag_t diag = {{0}};
  cr_assert_eq(advisor_graph_set_channels(&g, 0, 48, &diag), SCHED_OK, "%s", diag.msg);
  cr_expect_eq(g.ops[2].attrs.groups, 48);
  cr_expect_eq(g.tensors[g.ops[2].output].shape.c, 48);
  cr_expect_eq(g.tensors[g.ops[3].output].shape.c, 16);
  ir_graph_free(&g);
}

/* ---- the command ---- */

static char *run_sched(const char *args, int *code) {
  char out_path[] = "/tmp/sched_adv_outXXXXXX";
  int fd = mkstemp(out_path);
  cr_assert(fd >= 0);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s %s >%s 2>/dev/null", SCHED_BINARY, args, out_path);
  int status = system(cmd);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  FILE *f = fdopen(fd, "rb");
  static const size_t cap = 1 << 20;
  char *buf = calloc(1, cap);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
  remove(out_path);
  return buf;
}

Test(advisor_cli, clean_network_prints_no_findings) {
  int code;
  char *out = run_sched("advise --net conv:c=64,k=64,h=56,w=56", &code);
  cr_expect_eq(code, 0);
  cr_expect(strstr(out, "\nno findings\n") != NULL, "%s", out);
  free(out);
}

Test(advisor_cli, json_parses_and_is_ranked_and_text_is_deterministic) {
  int code;
  char *out = run_sched("advise --net fsrcnn:h=90,w=160 --format json", &code);
  cr_assert_eq(code, 0);
  cJSON *root = cJSON_Parse(out);
  cr_assert_not_null(root, "not JSON: %s", out);
  const cJSON *findings = cJSON_GetObjectItemCaseSensitive(root, "findings");
  cr_assert(cJSON_IsArray(findings));
  cr_assert_geq(cJSON_GetArraySize(findings), 3);
  double last = 1e300;
  const cJSON *f;
  cJSON_ArrayForEach(f, findings) {
    const cJSON *saving = cJSON_GetObjectItemCaseSensitive(f, "saving_us");
    cr_assert(cJSON_IsNumber(saving));
    cr_expect_leq(saving->valuedouble, last);
    last = saving->valuedouble;
    cr_expect(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "caveat")));
  }
  cJSON_Delete(root);
  free(out);
  char *a = run_sched("advise --net fsrcnn:h=90,w=160", &code);
  char *b = run_sched("advise --net fsrcnn:h=90,w=160", &code);
  cr_expect_str_eq(a, b);
  free(a);
  free(b);
}

Test(advisor_cli, bad_options_exit_2) {
  int code;
  free(run_sched("advise", &code));
  cr_expect_eq(code, 2);
  free(run_sched("advise --net fsrcnn --format csv", &code));
  cr_expect_eq(code, 2);
  free(run_sched("advise --net nosuchnet", &code));
  cr_expect_eq(code, 2);
}
