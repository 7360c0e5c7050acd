/* test_alloc_plan.c - a plan's CMX buffers and their allocation: on every
 * zoo net at 2MB and 1MB the buffers add up to the plan model's bytes per
 * step (up to the two sizes the model leaves out, computed here by hand),
 * the layout validates and fits; a case that fits by bytes but not by
 * layout is repaired by the pipeline, which says so; the JSON totals and
 * the memory map. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tools/pipeline.h"

static const char *const zoo[] = {"fsrcnn",   "edsr",     "wdsr",      "mobilenetv2", "resnet18",
                                  "resnet34", "resnet50", "resnet101", "yolov3-tiny"};

static pipeline_options_t options(const char *net, const char *cmx) {
  pipeline_options_t o = pipeline_defaults();
  o.net = net;
  o.cmx = cmx;
  o.solver = "dp"; /* exact with streaming regions, fast */
  o.alloc.time_limit_s = 0.5;
  return o;
}

/* The buffers' bytes at each step equal the plan model's count. */
static void check_net(const char *net, const char *cmx) {
  pipeline_options_t o = options(net, cmx);
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s %s: %s", net, cmx, d.msg);
  const report_solver_run_t *run = pipeline_chosen(p);
  const schedule_alloc_t *a = run->alloc;
  cr_assert_not_null(a);
  for (int t = 0; t < p->problem.n_layers; t++)
    cr_expect_eq(schedule_buffers_plan_step_bytes(&a->buffers, t),
                 strat_step_cmx_bytes(&p->problem, run->plan, t), "%s %s step %d", net, cmx, t);
  cr_expect(a->fits, "%s %s", net, cmx);
  cr_expect_eq(memalloc_verify(&a->problem, &a->solution, &d), SCHED_OK, "%s %s: %s", net, cmx,
               d.msg);
  cr_expect_leq(a->stats.peak_bytes, p->arch.cmx_workspace_bytes, "%s %s", net, cmx);
  cr_expect_leq(a->stats.lower_bound_bytes, a->stats.peak_bytes, "%s %s", net, cmx);
  cr_expect_geq(a->stats.overhead_pct, 0.0, "%s %s", net, cmx);
  cr_expect_eq(strat_plan_verify(&p->problem, run->plan, &d), SCHED_OK, "%s %s: %s", net, cmx,
               d.msg);
  int64_t peak = 0; /* strat_plan_evaluate sums the windows by a difference array */
  for (int t = 0; t < p->problem.n_layers; t++)
    peak = SCHED_MAX(peak, strat_step_cmx_bytes(&p->problem, run->plan, t));
  cr_expect_eq(run->plan->peak_cmx_bytes, peak, "%s %s", net, cmx);
  pipeline_free(p);
  free(p);
}

Test(alloc_plan, every_zoo_net_at_2mb_adds_up_to_the_plan_model_and_fits) {
  for (int i = 0; i < SCHED_ARRAY_LEN(zoo); i++)
    check_net(zoo[i], "2MB");
}

Test(alloc_plan, every_zoo_net_at_1mb_adds_up_to_the_plan_model_and_fits) {
  for (int i = 0; i < SCHED_ARRAY_LEN(zoo); i++)
    check_net(zoo[i], "1MB");
}

/* Worked by hand: eltwise c=64 56x56 u8 on 2 clusters (SOH): each input
 * 64 x 28 x 56 = 100352 bytes per cluster from DDR, the output (a graph
 * output) the same; no weights. */
Test(alloc_plan, one_eltwise_has_two_inputs_and_an_output_of_a_half_tensor_each) {
  pipeline_options_t o = options("eltwise", "2MB");
  o.solver = "greedy";
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s", d.msg);
  const schedule_alloc_t *a = pipeline_chosen(p)->alloc;
  cr_assert_eq(a->buffers.n_buffers, 3);
  int inputs = 0;
  for (int i = 0; i < 3; i++) {
    cr_expect_eq(a->buffers.buffers[i].size_bytes, 100352);
    inputs += a->buffers.buffers[i].kind == SCHEDULE_BUFFER_INPUT;
  }
  cr_expect_eq(inputs, 2);
  cr_expect_eq(a->stats.lower_bound_bytes, 301056);
  cr_expect_eq(a->stats.peak_bytes, 301056);
  pipeline_free(p);
  free(p);
}

/* With 32 KiB-aligned buffers the plan fits by bytes (lower bound 299136 of
 * 393216) but no layout does; the pipeline spills and says why. */
Test(alloc_plan, a_plan_that_fits_by_bytes_but_not_by_layout_is_repaired) {
  pipeline_options_t o = options("resnet18:h=32,w=32", "384KB");
  o.solver = "greedy";
  o.prefetch_cap = 0;
  o.alloc.align_bytes = 32768;
  o.alloc.time_limit_s = 0.2;
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s", d.msg);
  const schedule_alloc_t *a = pipeline_chosen(p)->alloc;
  cr_assert_geq(a->n_repairs, 1);
  cr_expect(a->repairs[0].fragmentation);
  cr_expect(a->fits);
  cr_expect_eq(memalloc_verify(&a->problem, &a->solution, &d), SCHED_OK, "%s", d.msg);
  char text[256];
  schedule_repair_describe(&p->problem, &a->repairs[0], text, sizeof text);
  cr_expect(strstr(text, "fragmentation at step") != NULL, "%s", text);
  cr_expect(strncmp(text, "spilled '", 9) == 0 || strncmp(text, "re-tiled '", 10) == 0, "%s", text);
  cr_expect(pipeline_chosen(p)->plan->spilled[a->repairs[0].layer] ||
            a->repairs[0].kind == SCHEDULE_REPAIR_RETILE);
  /* the report says so */
  report_input_t in = {.net_spec = "resnet18",
                       .cost_spec = "analytic",
                       .g = &p->graph,
                       .arch = &p->arch,
                       .problem = &p->problem,
                       .chosen = pipeline_chosen(p)};
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  report_text(&in, f);
  fclose(f);
  cr_expect(strstr(buf, text) != NULL, "report lacks '%s'", text);
  free(buf);
  pipeline_free(p);
  free(p);
}

/* MobileNetV2 at 768KB: the plan's prefetch windows fill CMX to the brim
 * at many steps and no layout fits them; the repair rounds drop windows
 * (no spill, no re-tiling) until one does. Each round is one repair that
 * names how many windows it cut over how many steps; afterwards the
 * windows still start in layer order (what the plan model and the task
 * graph assume), the plan still verifies and its bytes still match the
 * buffers', and the JSON calls the repairs "prefetch". */
Test(alloc_plan, windows_filling_cmx_are_dropped_in_rounds_until_a_layout_fits) {
  check_net("mobilenetv2", "768KB");
  pipeline_options_t o = options("mobilenetv2", "768KB");
  o.solver = "greedy";
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s", d.msg);
  const report_solver_run_t *run = pipeline_chosen(p);
  const schedule_alloc_t *a = run->alloc;
  cr_assert(a->fits);
  cr_assert_geq(a->n_repairs, 1);
  for (int i = 0; i < a->n_repairs; i++) {
    const schedule_repair_t *r = &a->repairs[i];
    cr_expect_eq(r->kind, SCHEDULE_REPAIR_PREFETCH, "repair %d", i);
    cr_expect_geq(r->n_layers, 1, "repair %d", i);
    cr_expect_geq(r->n_steps, 1, "repair %d", i);
    cr_expect(r->step >= 0 && r->step < r->layer, "repair %d: step %d, layer %d", i, r->step,
              r->layer);
  }
  const strat_plan_t *plan = run->plan;
  for (int l = 0, start = 0; l < p->problem.n_layers; l++) {
    if (strat_prefetch_bytes(&p->problem, l, plan->cand[l]) == 0)
      continue;
    cr_expect_geq(l - plan->prefetch[l], start, "layer %d's window starts before an earlier one's",
                  l);
    start = l - plan->prefetch[l];
  }
  report_input_t in = {.net_spec = "mobilenetv2",
                       .cost_spec = "analytic",
                       .g = &p->graph,
                       .arch = &p->arch,
                       .problem = &p->problem,
                       .chosen = run};
  cJSON *alloc = report_alloc_json(&in);
  cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(alloc, "repairs"), 0);
  cr_expect_str_eq(cJSON_GetObjectItem(first, "kind")->valuestring, "prefetch");
  cr_expect_eq(cJSON_GetObjectItem(first, "windows")->valueint, a->repairs[0].n_layers);
  cJSON_Delete(alloc);
  pipeline_free(p);
  free(p);
}

static char *run_to_string(const char *net, bool json, pipeline_t *p) {
  pipeline_options_t o = options(net, "1MB");
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s", d.msg);
  report_input_t in = {.net_spec = net,
                       .cost_spec = "analytic",
                       .g = &p->graph,
                       .arch = &p->arch,
                       .problem = &p->problem,
                       .chosen = pipeline_chosen(p)};
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (json)
    cr_assert_eq(report_json(&in, f), SCHED_OK);
  else
    cr_assert_eq(report_memory_map(&p->problem, in.chosen->alloc, net, f), SCHED_OK);
  fclose(f);
  return buf;
}

Test(alloc_plan, json_totals_carry_the_allocated_peak_bound_overhead_and_allocation) {
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  char *text = run_to_string("resnet50", true, p);
  cJSON *root = cJSON_Parse(text);
  cr_assert_not_null(root);
  cJSON *t = cJSON_GetObjectItem(root, "totals");
  const schedule_alloc_t *a = pipeline_chosen(p)->alloc;
  cr_expect_eq(cJSON_GetObjectItem(t, "peak_cmx_bytes")->valuedouble, (double)a->stats.peak_bytes);
  cr_expect_eq(cJSON_GetObjectItem(t, "plan_peak_cmx_bytes")->valuedouble,
               (double)pipeline_chosen(p)->plan->peak_cmx_bytes);
  cr_expect_eq(cJSON_GetObjectItem(t, "cmx_lower_bound_bytes")->valuedouble,
               (double)a->stats.lower_bound_bytes);
  cr_expect_geq(cJSON_GetObjectItem(t, "alloc_overhead_pct")->valuedouble, 0);
  cJSON *alloc = cJSON_GetObjectItem(t, "allocation");
  cr_assert_not_null(alloc);
  cr_expect_str_eq(cJSON_GetObjectItem(alloc, "allocator")->valuestring, a->allocator);
  cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(alloc, "fits")));
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(alloc, "tiles")), p->arch.tiles);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(alloc, "repairs")), a->n_repairs);
  cJSON_Delete(root);
  free(text);
  pipeline_free(p);
  free(p);
}

static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *q = strstr(s, needle); q; q = strstr(q + 1, needle))
    n++;
  return n;
}

Test(alloc_plan, the_memory_map_has_one_rect_per_buffer_and_both_lines) {
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  char *svg = run_to_string("fsrcnn", false, p);
  const schedule_alloc_t *a = pipeline_chosen(p)->alloc;
  cr_expect_eq(count(svg, "<rect class=\"buf"), a->buffers.n_buffers); /* region: "buf region" */
  cr_expect_eq(count(svg, "class=\"cap\""), 1);
  cr_expect_eq(count(svg, "class=\"lb\""), 1);
  cr_expect(strstr(svg, "region") != NULL);
  cr_expect(strncmp(svg, "<svg", 4) == 0);
  free(svg);
  pipeline_free(p);
  free(p);
}

/* In a tooltip "... 2352 bytes at 40 ...": the size and the address. */
static void bytes_at(const char *line, long long *bytes, long long *at) {
  const char *key = strstr(line, " bytes at ");
  cr_assert_not_null(key, "no size and address in %s", line);
  *at = atoll(key + strlen(" bytes at "));
  while (key > line && key[-1] >= '0' && key[-1] <= '9')
    key--;
  *bytes = atoll(key);
}

/* fsrcnn at 1MB streams in regions: each region's box holds its parts,
 * stacked from the region's offset without a gap to its end (the parts'
 * bytes add up to the region), the input and output slices twice (first
 * and second buffer), some slices with halo rows. */
Test(alloc_plan, the_memory_map_shows_what_a_region_holds) {
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  char *svg = run_to_string("fsrcnn", false, p);
  int regions = 0, halos = count(svg, "<rect class=\"halo\"");
  for (int i = 0; i < pipeline_chosen(p)->alloc->buffers.n_buffers; i++)
    regions += pipeline_chosen(p)->alloc->buffers.buffers[i].kind == SCHEDULE_BUFFER_REGION;
  cr_assert_gt(regions, 0, "fsrcnn at 1MB streams");
  cr_expect_eq(count(svg, "<rect class=\"buf region\""), regions);
  cr_expect_eq(count(svg, "in slice' "), regions);
  cr_expect_eq(count(svg, "out slice' "), regions);
  cr_expect_eq(count(svg, "(second buffer)"), 2 * regions);
  cr_expect_gt(halos, 0);
  int parts = 0, outlines = 0;
  long long next = -1, first = -1;
  for (char *line = strtok(svg, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "<rect class=\"part\"", 18) == 0) {
      long long at, bytes;
      bytes_at(line, &bytes, &at);
      cr_expect(next < 0 || at == next, "part at %lld, expected %lld: %s", at, next, line);
      first = first < 0 ? at : first;
      next = at + bytes;
      parts++;
    } else if (strncmp(line, "<rect class=\"buf region\"", 24) == 0) {
      long long offset, size;
      bytes_at(line, &size, &offset);
      cr_expect_eq(first, offset, "the parts start at the region's offset: %s", line);
      cr_expect_eq(next, offset + size, "the parts fill the region: %s", line);
      next = first = -1;
      outlines++;
    }
  }
  cr_expect_eq(outlines, regions);
  cr_expect_geq(parts, 5 * regions, "weights, two input and two output buffers at least");
  free(svg);
  pipeline_free(p);
  free(p);
}
