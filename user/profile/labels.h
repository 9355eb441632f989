/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The text that names a thread or a frame, the same in every output format,
 * so a profile reads alike in speedscope, a flame graph and pprof.
 */
#ifndef PYBPF_LABELS_H
#define PYBPF_LABELS_H

#include <stddef.h>
#include "profile/profile.h"

/* Longest label kept; longer ones are cut (never past the buffer). */
#define LABEL_MAX 16384

/*
 * "python3 app.py [pid 4242 (7 in its namespace), Python 3.14.1] thread
 * 4243 (worker)": command line, host pid (and namespace pid when it
 * differs), Python version when known, thread id and OS thread name.
 */
void thread_label(const struct profile *p, const struct prof_thread *t, char *buf, size_t size);

/*
 * "qualname (file:line:col)", the column counted from 1; "qualname
 * (file:line)" without a column, "qualname (file)" without a line, just
 * "qualname" without a file.
 */
void frame_label(const struct profile *p, uint32_t frame, char *buf, size_t size);

#endif
