/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A Python process for a test to read: started with a script, its stdout a
 * pipe the test reads, killed when the test ends (or dies: PDEATHSIG).
 */
#ifndef PYBPF_TEST_CHILD_PYTHON_H
#define PYBPF_TEST_CHILD_PYTHON_H

#include <stdio.h>
#include <sys/types.h>

/* PYTHON -c SCRIPT; *OUT (if not NULL) reads its stdout.  Skips the test without PYTHON. */
pid_t child_python_start(const char *python, const char *script, FILE **out);

/* PYTHON spinning in a function, once it has started. */
pid_t child_python_spinning(const char *python);

/* Kill and reap *PID, if it is a child still (then -1). */
void child_python_stop(pid_t *pid);

#endif
