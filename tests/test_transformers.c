/* test_transformers.c - the zoo's transformers through the whole pipeline:
 * every solver plans them, each plan verifies, is scheduled (timeline and
 * barriers verified) and allocated; the plan model predicts each schedule
 * within 3% and the ILP schedules no slower than any heuristic. Also what
 * their shapes must be: ViT's tokens, the decoder's KV cache in decode, and
 * the zoo's parameter errors. Nets are shrunk in depth and width so the
 * suite stays quick; the defaults run in experiments/golden.json. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tools/pipeline.h"

static const char *const small_nets[] = {
    "vit:depth=2",
    "bert:layers=2,seq=64,hidden=256,heads=4,vocab=1000",
    /* one layer: at two its runs with every solver took 29 of the 47 s
       of CPU the ten nets took in a release build */
    "llm:layers=1,hidden=512,heads=8,ffn=1408,vocab=4096,seq=64",
    "llm:phase=decode,layers=2,hidden=512,heads=8,ffn=1408,vocab=4096,kv=256",
    "llm:phase=decode,layers=1,hidden=256,heads=4,ffn=688,vocab=1000,kv=64,dtype=fp16",
};

static void plan_with_every_solver(const char *net, const char *arch) {
  pipeline_options_t o = pipeline_defaults();
  o.net = net;
  o.arch = arch;
  o.solver = "all";
  o.time_limit_s = 60;
  pipeline_t *p = calloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s: %s", net, d.msg);
  int ilp = -1, solvers = 0;
  for (const strat_solver_t *const *s = strat_solvers(); *s; s++)
    solvers++;
  cr_assert_eq(p->n_runs, solvers, "%s", net);
  for (int i = 0; i < p->n_runs; i++) {
    const report_solver_run_t *r = &p->runs[i];
    cr_assert_eq(r->status, SCHED_OK, "%s: %s: %s", net, r->solver, r->error_msg);
    cr_assert_eq(strat_plan_verify(&p->problem, r->plan, &d), SCHED_OK, "%s: %s: %s", net,
                 r->solver, d.msg);
    cr_assert_eq(schedule_verify(&p->tasks[i], &p->schedules[i], &d), SCHED_OK, "%s: %s: %s", net,
                 r->solver, d.msg);
    cr_assert_eq(schedule_barriers_verify(&p->tasks[i], &p->schedules[i], &p->barriers[i], &d),
                 SCHED_OK, "%s: %s: %s", net, r->solver, d.msg);
    cr_assert_not_null(r->schedule, "%s: %s: not scheduled", net, r->solver);
    if (strcmp(r->solver, "ilp") == 0)
      ilp = i;
  }
  cr_assert_geq(ilp, 0);
  int64_t ilp_cycles = report_run_latency_cycles(&p->runs[ilp]);
  for (int i = 0; i < p->n_runs; i++) {
    /* one latency: the plan model predicts the schedule within 3% (a
     * gather once waited behind every prefetched weight: 48% apart) */
    int64_t sched_cycles = report_run_latency_cycles(&p->runs[i]);
    int64_t plan_cycles = p->runs[i].plan->latency_cycles;
    cr_expect_leq(llabs(plan_cycles - sched_cycles), sched_cycles * 3 / 100,
                  "%s on %s: %s plan %lld cycles, schedule %lld", net, arch, p->runs[i].solver,
                  (long long)plan_cycles, (long long)sched_cycles);
    /* the ILP schedules no slower than any heuristic (0.1%) */
    cr_expect_leq(ilp_cycles, sched_cycles + sched_cycles / 1000, "%s on %s: ilp %lld, %s %lld",
                  net, arch, (long long)ilp_cycles, p->runs[i].solver, (long long)sched_cycles);
  }
  pipeline_free(p);
  free(p);
}

Test(transformers, every_zoo_transformer_plans_with_every_solver_on_vpu27, .timeout = 600) {
  for (int i = 0; i < SCHED_ARRAY_LEN(small_nets); i++)
    plan_with_every_solver(small_nets[i], "vpu27");
}

Test(transformers, every_zoo_transformer_plans_with_every_solver_on_vpu40, .timeout = 600) {
  for (int i = 0; i < SCHED_ARRAY_LEN(small_nets); i++)
    plan_with_every_solver(small_nets[i], "vpu40");
}

static int find_op(const ir_graph_t *g, const char *name) {
  for (int i = 0; i < g->n_ops; i++)
    if (strcmp(g->ops[i].name, name) == 0)
      return i;
  cr_assert_fail("no op '%s'", name);
  return -1;
}

static ir_shape_t out_shape(const ir_graph_t *g, const char *op) {
  return g->tensors[g->ops[find_op(g, op)].output].shape;
}

Test(transformers, vit_tiny_has_196_tokens_of_192_and_its_published_size) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_zoo_build("vit", &g, &d), SCHED_OK, "%s", d.msg);
  ir_shape_t s = out_shape(&g, "l0.attn.qk");
  /* 3 heads of 64: scores are [196 keys, 196 queries] per head */
  cr_assert(s.n == 1 && s.c == 196 && s.h == 196 && s.w == 3);
  /* timm's vit_tiny_patch16_224 has 5.72M parameters; without the class
   * token (192) and position embeddings (197 x 192) 5.72M - 38016 remain */
  cr_assert_eq(ir_graph_params(&g), 5717416 - 192 - 197 * 192);
  ir_graph_free(&g);
}

Test(transformers, llm_decode_reads_the_kv_cache_and_writes_one_token_back) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_zoo_build("llm:phase=decode,layers=1,kv=100", &g, &d), SCHED_OK, "%s", d.msg);
  ir_shape_t cache = out_shape(&g, "l0.cache_k"), scores = out_shape(&g, "l0.attn.qk");
  cr_assert(cache.c == 64 && cache.h == 101 && cache.w == 32);
  cr_assert(scores.c == 101 && scores.h == 1 && scores.w == 32);
  /* graph outputs: the new key and value rows and the logits */
  cr_assert_eq(g.n_outputs, 3);
  cr_assert_eq(g.tensors[g.outputs[2]].shape.c, 32000);
  ir_graph_free(&g);
}

Test(transformers, zoo_parameter_errors) {
  ir_graph_t g;
  sched_diag_t d = {{0}};
  cr_assert_eq(ir_zoo_build("vit:width=100,heads=3", &g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "zoo net 'vit': hidden 100 is not a multiple of heads 3");
  cr_assert_eq(ir_zoo_build("llm:hidden=96,heads=32", &g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "zoo net 'llm': head dim 3 (hidden / heads) must be even");
  cr_assert_eq(ir_zoo_build("vit:image=200", &g, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "zoo net 'vit': image 200 is not a multiple of patch 16");
  cr_assert_eq(ir_zoo_build("llm:phase=train", &g, &d), SCHED_ERR_INPUT);
  cr_assert(strstr(d.msg, "expected one of prefill|decode"), "%s", d.msg);
}

/* Views and DMA ops are never sliced in time; matmuls still are. */
Test(transformers, reshape_slice_and_gather_get_untiled_candidates_only) {
  arch_t a;
  cost_model_t m;
  ir_graph_t g;
  strat_problem_t p;
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_preset("vpu27", &a, &d), SCHED_OK);
  cr_assert_eq(cost_model_init(&m, &a, "analytic", &d), SCHED_OK);
  cr_assert_eq(ir_zoo_build("llm:layers=1,seq=256", &g, &d), SCHED_OK, "%s", d.msg);
  ir_graph_fuse_activations(&g, a.ppe_fusable);
  cr_assert_eq(strat_problem_init(&p, &g, &m, STRAT_OBJECTIVE_LATENCY, &d), SCHED_OK, "%s", d.msg);
  int views = 0, sliced_matmuls = 0;
  for (int l = 0; l < p.n_layers; l++) {
    ir_op_kind_t k = g.ops[p.layers[l].op].kind;
    for (int c = 0; c < p.layers[l].n_cands; c++) {
      int32_t tiles = p.layers[l].cands[c].choice.tiles;
      if (k == IR_OP_RESHAPE || k == IR_OP_SLICE || k == IR_OP_GATHER) {
        cr_expect_eq(tiles, 1, "%s", g.ops[p.layers[l].op].name);
        views++;
      }
      sliced_matmuls += k == IR_OP_MATMUL && tiles > 1;
    }
  }
  cr_assert_gt(views, 0);
  cr_assert_gt(sliced_matmuls, 0);
  strat_problem_free(&p);
  ir_graph_free(&g);
  cost_model_free(&m);
}
