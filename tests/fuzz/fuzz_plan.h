/* fuzz_plan.h - runs the planning pipeline the way `sched --net conv` does,
 * on the smallest zoo net, so a fuzzed arch, cost LUT or strategy file is
 * used past parsing: costed, planned, allocated, scheduled. */
#ifndef SCHED_FUZZ_PLAN_H
#define SCHED_FUZZ_PLAN_H

#include "tools/pipeline.h"

static inline void fuzz_plan(const char *arch, const char *cost, const char *strategy_file) {
  pipeline_options_t o = pipeline_defaults();
  o.net = "conv";
  o.solver = "greedy";
  o.time_limit_s = 1;
  if (arch)
    o.arch = arch;
  if (cost)
    o.cost = cost;
  o.strategy_file = strategy_file;
  pipeline_t p;
  sched_diag_t diag;
  pipeline_run(&o, &p, &diag);
  pipeline_free(&p);
}

#endif
