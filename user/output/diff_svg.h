/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The differential flame graph of `pybpf diff -o FILE.svg`: each frame
 * coloured by how its share of all samples changed from BASE to NEW (red
 * grew, blue shrank; full colour for frames only one run has), its tooltip
 * giving both shares.  Widths: by default both runs' shares averaged, so a
 * path NEW no longer has (a removed hotspot) still shows, in blue, as does
 * one only NEW has; --shape new gives NEW's shape alone.
 */
#ifndef PYBPF_DIFF_SVG_H
#define PYBPF_DIFF_SVG_H

#include <stdbool.h>
#include <stdio.h>
#include "profile/diff_tree.h"

int diff_svg_write(FILE *out, const struct diff_tree *t, bool new_shape, const char *title);

#endif
