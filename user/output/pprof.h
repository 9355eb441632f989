/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pprof's profile.proto, gzip-compressed, as `go tool pprof` and other
 * pprof readers take it.  One profile for the whole run:
 *   - sample types samples/count and cpu/nanoseconds (the default);
 *     period cpu/nanoseconds = the sampling interval;
 *   - one sample per distinct stack of a thread, labelled pid and tid
 *     (numbers), thread (its OS name) and process (its command line);
 *   - one function per (qualified name, file), one location per
 *     (function, line); no addresses (a single mapping says so);
 *   - time_nanos and duration_nanos of the recording; the title as a comment.
 */
#ifndef PYBPF_PPROF_H
#define PYBPF_PPROF_H

#include <stdio.h>
#include "base/bytes.h"
#include "profile/profile.h"

int pprof_write(FILE *out, const struct profile *p, const char *title);

/*
 * Frame F's Line message (of function FUNCTION) into LINE: its line, and
 * its column counted from 1, where known.  The same fields in OTLP's
 * profiles.proto (otlp_profiles.c).
 */
void pprof_line(struct byte_buf *line, uint64_t function, const struct prof_frame *f);

#endif
