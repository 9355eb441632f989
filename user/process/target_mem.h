/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading another process's memory without stopping it. */
#ifndef PYBPF_TARGET_MEM_H
#define PYBPF_TARGET_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read exactly LEN bytes at ADDR of PID: 0, or -errno (-EFAULT if short). */
int target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/*
 * The unit tests' stand-in for the target's memory: READER answers every
 * target_read from now on (NULL: process_vm_readv again).
 */
typedef int (*target_reader_fn)(pid_t pid, uint64_t addr, void *buf, size_t len);
void target_mem_set_reader(target_reader_fn reader);

static inline int target_read_u64(pid_t pid, uint64_t addr, uint64_t *v)
{
	return target_read(pid, addr, v, sizeof(*v));
}

#endif
