/* schedule_fixture.h - the hand-worked two-layer task graph shared by
 * test_schedule.c (its timeline) and test_barriers.c (its barriers).
 *
 * conv1 (weights 300 = 100 latency + 200 transfer, input 500 = 100 + 400,
 * 1000 cycles per cluster) feeds conv2 (weights 600 = 100 + 500, 800 per
 * cluster, output 400 = 100 + 300) through CMX, every cluster reading both
 * halves. Tasks: 0 w1, 1 in1, 2-3 conv1 on DPU0/1, 4 w2, 5-6 conv2 on
 * DPU0/1, 7 out2. */
#ifndef SCHED_TESTS_SCHEDULE_FIXTURE_H
#define SCHED_TESTS_SCHEDULE_FIXTURE_H

#include <criterion/criterion.h>

#include "schedule/schedule.h"

/* 2 clusters, 2 DMA ports, 1000 MHz, DDR DMA latency 100 ns = 100 cycles. */
static inline arch_t small_arch(void) {
  arch_t arch;
  sched_diag_t d;
  cr_assert_eq(arch_preset("vpu27", &arch, &d), SCHED_OK);
  arch.tiles = 2;
  arch.dma_ports = 2;
  arch.shaves = 2;
  arch.dpu_clock_mhz = 1000;
  arch.dma_latency_ns = 100;
  return arch;
}

static inline schedule_task_t dma(int layer, schedule_task_role_t role, int64_t cycles) {
  return (schedule_task_t){.kind = SCHEDULE_TASK_DMA,
                           .role = role,
                           .layer = layer,
                           .cluster = -1,
                           .cycles = cycles,
                           .ddr = true};
}

static inline schedule_task_t dpu(int layer, int cluster, int64_t cycles) {
  return (schedule_task_t){.kind = SCHEDULE_TASK_DPU,
                           .role = SCHEDULE_ROLE_COMPUTE,
                           .layer = layer,
                           .cluster = cluster,
                           .cycles = cycles};
}

/* Builds the two-layer graph (finished, not simulated). */
static inline void two_layers_graph(schedule_graph_t *g) {
  const char *names[] = {"conv1", "conv2"};
  schedule_graph_init(g, 2, names);
  schedule_task_t t[] = {dma(0, SCHEDULE_ROLE_WEIGHTS, 300),
                         dma(0, SCHEDULE_ROLE_INPUT, 500),
                         dpu(0, 0, 1000),
                         dpu(0, 1, 1000),
                         dma(1, SCHEDULE_ROLE_WEIGHTS, 600),
                         dpu(1, 0, 800),
                         dpu(1, 1, 800),
                         dma(1, SCHEDULE_ROLE_OUTPUT, 400)};
  for (int i = 0; i < 8; i++)
    cr_assert_eq(schedule_graph_add_task(g, &t[i]), i);
  const int deps[][2] = {{0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 5}, {3, 5},
                         {2, 6}, {3, 6}, {4, 5}, {4, 6}, {5, 7}, {6, 7}};
  for (int i = 0; i < SCHED_ARRAY_LEN(deps); i++)
    schedule_graph_add_dep(g, deps[i][0], deps[i][1]);
  schedule_graph_add_dep(g, 0, 2); /* duplicates are dropped */
  sched_diag_t d = {{0}};
  cr_assert_eq(schedule_graph_finish(g, &d), SCHED_OK, "%s", d.msg);
}

#endif
