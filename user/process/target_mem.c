// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <sys/uio.h>
#include "process/target_mem.h"

static target_reader_fn injected_reader;

void target_mem_set_reader(target_reader_fn reader)
{
	injected_reader = reader;
}

int target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	if (injected_reader)
		return injected_reader(pid, addr, buf, len);
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}
