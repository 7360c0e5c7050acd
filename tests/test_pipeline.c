/* test_pipeline.c - the planning pipeline end to end with the default
 * solver: more CMX never schedules slower along the 256KB ladder (README,
 * "Streaming"), on nets and rungs where that holds (README lists the steps
 * where it does not). The time limits are raised out of reach, so that the
 * node limits alone stop the searches and the plans are the same under the
 * sanitizers as in a release build. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tools/pipeline.h"

/* The scheduled latency of the default pipeline's plan. */
static int64_t scheduled_latency_cycles(const char *net, const char *cmx) {
  pipeline_options_t o = pipeline_defaults();
  o.net = net;
  o.cmx = cmx;
  o.time_limit_s = 300;
  o.alloc.time_limit_s = 300;
  pipeline_t *p = sched_xcalloc(1, sizeof *p);
  sched_diag_t d = {{0}};
  cr_assert_eq(pipeline_run(&o, p, &d), SCHED_OK, "%s %s: %s", net, cmx, d.msg);
  int64_t latency_cycles = report_run_latency_cycles(pipeline_chosen(p));
  pipeline_free(p);
  free(p);
  return latency_cycles;
}

/* Rungs in ascending order, NULL-terminated. */
static void check_ladder(const char *net, const char *const *rungs) {
  int64_t prev_cycles = INT64_MAX;
  const char *prev_rung = "none";
  for (int i = 0; rungs[i]; i++) {
    int64_t cycles = scheduled_latency_cycles(net, rungs[i]);
    cr_expect_leq(cycles, prev_cycles, "%s: %lld cycles at %s, %lld at %s", net, (long long)cycles,
                  rungs[i], (long long)prev_cycles, prev_rung);
    prev_cycles = cycles;
    prev_rung = rungs[i];
  }
}

Test(pipeline, more_cmx_never_schedules_fsrcnn_slower) {
  const char *rungs[] = {"512KB", "768KB", "1MB", "1536KB", "1936KB", NULL};
  check_ladder("fsrcnn", rungs);
}

Test(pipeline, more_cmx_never_schedules_wdsr_slower) {
  const char *rungs[] = {"768KB", "1280KB", "1792KB", "1936KB", NULL};
  check_ladder("wdsr", rungs);
}

/* The rung where ResNet-34 once got slower: the windows of the rung below. */
Test(pipeline, more_cmx_never_schedules_resnet34_slower) {
  const char *rungs[] = {"1536KB", "1792KB", NULL};
  check_ladder("resnet34", rungs);
}
