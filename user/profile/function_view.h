/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A profile by function: the same threads and samples, in the same order,
 * with every Python frame standing for its function (qualified name, file,
 * first line) instead of a line of it.  What the flame graph, speedscope
 * and collapsed outputs show unless asked for lines (--by-line): a person
 * looks for the function first, and a function split into one frame per
 * line divides its time between rows.
 */
#ifndef PYBPF_FUNCTION_VIEW_H
#define PYBPF_FUNCTION_VIEW_H

#include "profile/profile.h"

/*
 * Fill VIEW (not initialised) from SRC.  A frame whose function is known
 * becomes (name, file, first line) at its first line, with no column; one
 * that is not Python or whose first line is unknown (native and kernel
 * frames, pybpf's marks, recordings from before first lines were kept)
 * becomes (name, file) with no line.  Returns 0 or -ENOMEM (VIEW is then freed).
 */
int profile_function_view(struct profile *view, const struct profile *src);

#endif
