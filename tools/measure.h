/* measure.h - how `sched advise` and `sched lut` measure a graph: the
 * planning pipeline (tools/pipeline.h) with the command's options, as an
 * advisor measurer (advisor/advisor.h). */
#ifndef SCHED_MEASURE_H
#define SCHED_MEASURE_H

#include "advisor/advisor.h"
#include "tools/pipeline.h"

/* The latency every advisor and LUT figure is read from: the one place to
 * switch between the plan model and the scheduled latency. */
double measure_latency_us(const pipeline_t *p);
/* Fills *out from a planned pipeline (latency, compute and DMA sums,
 * strategies per layer). */
void measure_fill(const pipeline_t *p, advisor_measure_t *out);
/* A measurer planning with *base (borrowed; net and graph are ignored). */
advisor_measurer_t measure_measurer(const pipeline_options_t *base);

#endif
