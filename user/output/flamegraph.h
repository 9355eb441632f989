/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flame graph as one self-contained SVG: the frames are drawn by the
 * file itself (so any image viewer shows them), and a small embedded
 * script (flamegraph.js) adds what flamegraph.pl's graphs do in a browser:
 * click to zoom, search with the share of samples matched, and a details
 * line; every frame's tooltip gives its samples and percentage.  The tree
 * is flame_tree.h's: a root, one box per thread, then the frames.
 */
#ifndef PYBPF_FLAMEGRAPH_H
#define PYBPF_FLAMEGRAPH_H

#include <stdio.h>
#include "profile/profile.h"

int flamegraph_write(FILE *out, const struct profile *p, const char *title);

/* S as XML character data: markup escaped, at most MAX_CHARS code points. */
void xml_write_text(FILE *out, const char *s, size_t max_chars);

#endif
