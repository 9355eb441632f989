/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A profile's flame graph (flame_svg.h draws it): every frame's tooltip
 * gives its samples and percentage.  The tree is flame_tree.h's: a root,
 * one box per thread, then the frames.
 */
#ifndef PYBPF_FLAMEGRAPH_H
#define PYBPF_FLAMEGRAPH_H

#include <stdio.h>
#include "profile/profile.h"

int flamegraph_write(FILE *out, const struct profile *p, const char *title);

#endif
