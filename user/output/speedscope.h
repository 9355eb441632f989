/* SPDX-License-Identifier: BSD-3-Clause */
/* Speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json). */
#ifndef PYBPF_SPEEDSCOPE_H
#define PYBPF_SPEEDSCOPE_H

#include <stdio.h>
#include "profile/profile.h"

/*
 * One "sampled" profile per (process, thread), its samples in the order
 * taken (consecutive identical stacks merged), so speedscope's time-order
 * view shows the recording as it happened.  Weights are in nanoseconds
 * (samples x sampling interval).  Returns 0, or -EIO if a write failed.
 */
int speedscope_write(FILE *out, const struct profile *p, const char *title);

#endif
