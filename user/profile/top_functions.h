/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The functions a profile spent most time in, for the table `record`
 * prints at the end: per function (qualified name and file, any line),
 * the samples in which it was running itself (self) and in which it was
 * anywhere on the stack (total), over every thread.
 */
#ifndef PYBPF_TOP_FUNCTIONS_H
#define PYBPF_TOP_FUNCTIONS_H

#include <stdint.h>
#include <stdio.h>
#include "profile/profile.h"

struct top_function {
	uint32_t name, file;	/* profile string ids */
	uint64_t self, total;	/* samples */
};

/*
 * The MAX functions with the most self samples (ties: more total, then
 * name), into OUT; returns how many, or -ENOMEM.  *SAMPLES gets the
 * profile's sample count, what the percentages are of.
 */
int top_functions(const struct profile *p, struct top_function *out, size_t max,
		  uint64_t *samples);

/* The table, each line starting "pybpf: "; nothing for an empty profile. */
void top_functions_print(const struct profile *p, size_t max, FILE *out);

#endif
