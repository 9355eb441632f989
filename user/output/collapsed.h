/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Brendan Gregg's collapsed ("folded") stacks, as read by flamegraph.pl,
 * inferno and speedscope: one line per distinct stack of each thread,
 *
 *     THREAD;FRAME;FRAME;... COUNT
 *
 * root first.  THREAD names the process and thread (labels.h) so one file
 * keeps them apart; FRAME is "qualname (file:line)"; COUNT is samples.
 */
#ifndef PYBPF_COLLAPSED_H
#define PYBPF_COLLAPSED_H

#include <stdio.h>
#include "profile/profile.h"

int collapsed_write(FILE *out, const struct profile *p, const char *title);

/*
 * One frame's text, made safe for the format: ';' would split the frame
 * and a line break the line, so they become the escapes \x3b, \n and \r,
 * and a backslash becomes \\ so the escapes can be undone.  The text is
 * valid UTF-8 (utf8.h).
 */
void collapsed_write_frame(FILE *out, const char *text);

#endif
