/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `pybpf record -- CMD ARGS...`: start a command held at a gate until the
 * sampler watches it, so its very first instructions are seen; under sudo it
 * runs as the invoking user.
 */
#ifndef PYBPF_LAUNCH_H
#define PYBPF_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int gate;		/* write end: closing it lets the child exec */
	int pidfd;		/* readable once the child has exited */
};

/* Fork the child, stopped before exec.  -errno with a message in ERR. */
int launch_prepare(struct launch *l, char *const argv[], char *err, size_t errlen);
/* Let the child drop privileges and exec. */
void launch_release(struct launch *l);
/* Reap the child: its exit code, or 128 + signal as a shell reports it. */
int launch_wait(struct launch *l);
/* Kill a child that has not been released or reaped. */
void launch_abort(struct launch *l);

#endif
