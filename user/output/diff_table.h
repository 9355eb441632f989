/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table `pybpf diff` prints: the functions whose shares changed most
 * from BASE to NEW, each with its self share (running) and total share (on
 * the stack) in both runs and the change in points.
 */
#ifndef PYBPF_DIFF_TABLE_H
#define PYBPF_DIFF_TABLE_H

#include <stddef.h>
#include <stdio.h>
#include "profile/diff_tree.h"

/* At most ROWS functions, largest change (self or total) first.  0 or -ENOMEM. */
int diff_table_print(FILE *out, const struct diff_tree *t, size_t rows, const char *base,
		     const char *new);

#endif
