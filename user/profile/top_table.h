/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `pybpf top`'s numbers: per function, the samples (weighed by the periods
 * each stands for) in which it is the
 * innermost frame (own) and in which it appears at all (total), over the
 * last interval and since start.  Functions can be kept apart per process
 * or per thread.
 */
#ifndef PYBPF_TOP_TABLE_H
#define PYBPF_TOP_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "base/hashmap.h"
#include "profile/profile.h"

enum top_group { TOP_BY_FUNCTION, TOP_BY_PROCESS, TOP_BY_THREAD, TOP_GROUPS };
enum top_sort { TOP_SORT_OWN_PCT, TOP_SORT_TOTAL_PCT, TOP_SORT_OWN_TIME, TOP_SORT_TOTAL_TIME };

struct top_row {
	uint32_t name, file;	/* profile string ids */
	uint32_t pid, tid;	/* 0 unless grouped by process / thread */
	int32_t line;		/* the line seen last */
	uint64_t own_now, total_now, own_all, total_all;
	uint64_t last_sample;	/* counts a function once per sample */
};

struct top_table {
	enum top_group group;
	struct hmap index;	/* key -> row index + 1 */
	struct top_row *rows;
	size_t nrows, cap;
	uint64_t samples_now, samples_all, sample_seq;
};

void top_table_init(struct top_table *t, enum top_group group);
void top_table_free(struct top_table *t);

/*
 * A sample standing for COUNT (its periods: of time, or --mode memory's
 * bytes): FRAMES (profile frame ids, outermost first) of PID/TID.
 */
int top_table_add(struct top_table *t, const struct profile *p, uint32_t pid, uint32_t tid,
		  const uint32_t *frames, size_t depth, uint64_t count);

/* Start a new interval: the *_now counters restart from zero. */
void top_table_next_interval(struct top_table *t);

/* Rows ordered by SORT, largest first; the caller frees the array. */
struct top_row **top_table_sorted(const struct top_table *t, enum top_sort sort);

#endif
