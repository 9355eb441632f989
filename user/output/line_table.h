/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `pybpf report --lines FUNCTION`: line_profiler's table for a function,
 * from a recording: each of its lines with the samples that were on it
 * (running it, or in what it called), those running it, its share of the
 * function and of everything, and the line's text as the process had it.
 */
#ifndef PYBPF_LINE_TABLE_H
#define PYBPF_LINE_TABLE_H

#include <stddef.h>
#include <stdio.h>
#include "profile/line_heat.h"

/*
 * The table of every function of H called FUNCTION (its qualified name,
 * or the end of it after a dot: "get_data" for "FileLoader.get_data"),
 * hottest first, to OUT.  0; -ENOENT with a line in ERR naming the
 * hottest functions when none is called so; -ENOMEM.
 */
int line_table_print(FILE *out, const struct profile *p, const struct line_heat *h,
		     const char *function, char *err, size_t errlen);

#endif
