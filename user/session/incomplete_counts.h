/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Samples whose stacks are marked as not whole, counted by why, for the
 * summary and --stats: per process and for the whole recording.
 */
#ifndef PYBPF_SESSION_INCOMPLETE_COUNTS_H
#define PYBPF_SESSION_INCOMPLETE_COUNTS_H

#include <stdint.h>
#include <stdio.h>
#include "pyperf.h"

/* Samples whose stacks are marked as not whole, by why (pyperf_sample_flags). */
struct incomplete_counts {
	uint64_t torn;			/* the chain broke a rule: caught mid-update */
	uint64_t unreadable;		/* the walk stopped at a frame it could not read */
	uint64_t too_deep;		/* deeper than the walk goes */
	uint64_t budget;		/* cut where the sample's read budget ran out */
	uint64_t pending;		/* the thread's state not found yet */
	uint64_t task_unread;		/* --async: the task it runs could not be read */
	uint64_t torn_by_rule[PYPERF_TORN_MAX];
};

/* Add the marks of a sample with FLAGS and TORN rule to C. */
void incomplete_count(struct incomplete_counts *c, uint16_t flags, uint8_t torn);
/* One summary line on OUT (nothing when every stack was whole). */
void incomplete_print(const struct incomplete_counts *c, FILE *out);
/* C as a JSON object. */
void incomplete_json(const struct incomplete_counts *c, FILE *out);

#endif
