/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stacks of a run, whatever wrote them, for `pybpf diff`: a raw
 * recording (by function), or collapsed stacks from any tool ("a;b;c N"
 * lines: pybpf's, py-spy's, Austin's, perf's via stackcollapse).  Runs are
 * compared by function, so a frame's line (and column) is left out of its
 * label ("name (file:12)", "name (file:12:5)" -> "name (file)"), and so is
 * the thread that pybpf puts at the root (its pid differs from run to
 * run).
 */
#ifndef PYBPF_STACKS_INPUT_H
#define PYBPF_STACKS_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* One stack, LABELS[0..DEPTH) outermost first, seen COUNT times.  Non-zero stops the read. */
typedef int (*stacks_input_fn)(void *ctx, const char *const *labels, size_t depth, uint64_t count);

/* What a run's counts measure: a recording's enum prof_unit, or unknown (collapsed stacks). */
#define STACKS_UNIT_UNKNOWN (-1)

/*
 * Every stack of PATH to FN, and into *UNIT what their counts measure.
 * 0; on a file that cannot be read or parsed, -errno with one line in ERR
 * naming the file, the place and the fix.
 */
int stacks_input_read(const char *path, stacks_input_fn fn, void *ctx, int *unit, char *err,
		      size_t errlen);

/*
 * LABEL without a line number, or line and column, at its end:
 * "f (a.py:12)", "f (a.py:12:5)" -> "f (a.py)", in place.
 */
void stacks_input_drop_line(char *label);

#endif
