/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The perf event's period: the one asked for, a little longer.
 *
 * A period that divides the kernel's tick (1 ms against HZ=250's 4 ms)
 * keeps step with it, and so with the scheduler, which preempts and
 * switches threads in at its ticks: on a loaded CPU a thread that waited
 * then always starts at the same phase of the sampling grid, and what it
 * runs first (the same task of an event loop, each turn) is met by the
 * ticks more or less often than its time says.  Measured: a task with 10%
 * of the CPU got 7.3% of the samples at 1000 Hz beside two CPU hogs, and
 * 10.0-10.4% at 997 Hz.  Stretched by 1/64 to 1/32 (an amount picked at
 * random, per CPU), the period's phase against the kernel's tick drifts:
 * over TICK_PHASE_JIFFIES of the kernel's ticks, at any of the usual HZ,
 * it comes within 1/TICK_PHASE_BINS of a period of every phase, so each
 * phase gets its share.  The BPF program weighs a tick by the time elapsed
 * (tick_periods()), so the weights still add up to the time recorded, in
 * the periods asked for.
 */
#ifndef PYBPF_TICK_PERIOD_H
#define PYBPF_TICK_PERIOD_H

#include <stdbool.h>
#include <stdint.h>

/* The least and the most a period is stretched by: NOMINAL >> these. */
#define TICK_STRETCH_MIN_SHIFT 6	/* 1/64 */
#define TICK_STRETCH_MAX_SHIFT 5	/* 1/32 */
/* How evenly the phase must spread, and how soon (4 s at HZ=250). */
#define TICK_PHASE_BINS 16
#define TICK_PHASE_JIFFIES 1024

/* Whether PERIOD_NS meets every phase bin of a tick of JIFFY_NS, soon enough. */
bool tick_phases_spread(uint64_t period_ns, uint64_t jiffy_ns);

/*
 * The perf period for NOMINAL_NS: stretched by an amount RANDOM picks
 * (the first from it whose phase spreads against HZ 100, 250, 300 and 1000).
 */
uint64_t tick_period_ns(uint64_t nominal_ns, uint32_t random);

#endif
