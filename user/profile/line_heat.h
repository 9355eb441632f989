/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a profile's time went, by source line: for every Python file with
 * samples, each line's own samples (the line was running) and total ones
 * (it was on the stack: running, or calling what ran), and the same for
 * every function.  What the heat map colours and `report --lines` lists.
 * A line or function on a stack several times (recursion) counts once
 * per sample, so no share passes 100%.
 */
#ifndef PYBPF_LINE_HEAT_H
#define PYBPF_LINE_HEAT_H

#include <stddef.h>
#include <stdint.h>
#include "profile/profile.h"

struct heat_function {
	uint32_t name, file;		/* profile string ids */
	int32_t first_line;		/* co_firstlineno */
	int32_t last_line;		/* the last of its lines seen in a sample */
	uint64_t own, total;
};

struct heat_file {
	uint32_t file;			/* profile string id */
	int32_t max_line;		/* own[] and total[] go from 0 to this */
	uint64_t *own, *total;
	uint64_t own_sum;		/* samples running in this file */
	uint64_t anywhere;		/* samples with this file on the stack */
};

struct line_heat {
	uint64_t samples;		/* all of the profile's, what shares are of */
	struct heat_file *files;	/* hottest first: own_sum, then anywhere */
	size_t nfiles;
	struct heat_function *functions;	/* most own first, then total */
	size_t nfunctions;
};

/*
 * From P (with lines: not a profile_function_view).  Python frames only:
 * those with a first line.  0 or -ENOMEM (H is then empty).
 */
int line_heat_build(struct line_heat *h, const struct profile *p);
void line_heat_free(struct line_heat *h);

/*
 * FN's own lines only (another function on the same line, a lambda say,
 * is not counted): OWN[i] and TOTAL[i] for line FN->first_line + i, for
 * i < FN->last_line - FN->first_line + 1.  The arrays are the caller's,
 * zeroed here.  0 or -ENOMEM.
 */
int line_heat_function_lines(const struct profile *p, const struct heat_function *fn,
			      uint64_t *own, uint64_t *total);

#endif
