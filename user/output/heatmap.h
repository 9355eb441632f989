/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The line heat map (-o FILE.html, format heatmap): one self-contained
 * HTML page (no network) with every sampled Python source file, each line
 * with its own and total share of all samples, coloured on one scale for
 * the whole page; the functions hottest first, each a link to its first
 * line; a search over lines and functions.  Sources come from the profile
 * (read while the processes ran); a file that could not be read says why.
 */
#ifndef PYBPF_HEATMAP_H
#define PYBPF_HEATMAP_H

#include <stdio.h>
#include "profile/profile.h"

int heatmap_write(FILE *out, const struct profile *p, const char *title);

#endif
