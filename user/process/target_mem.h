/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading another process's memory without stopping it. */
#ifndef PYBPF_TARGET_MEM_H
#define PYBPF_TARGET_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read exactly LEN bytes at ADDR of PID: 0, or -errno (-EFAULT if short). */
int target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

static inline int target_read_u64(pid_t pid, uint64_t addr, uint64_t *v)
{
	return target_read(pid, addr, v, sizeof(*v));
}

#endif
