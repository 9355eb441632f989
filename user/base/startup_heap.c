// SPDX-License-Identifier: BSD-3-Clause
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "base/startup_heap.h"

#define HUGE_PAGE		(2ul << 20)
/* glibc's documented defaults for the two settings changed below. */
#define DEFAULT_MMAP_THRESHOLD	(128 * 1024)
#define DEFAULT_TRIM_THRESHOLD	(128 * 1024)

bool startup_heap_begin(size_t reserve)
{
	uintptr_t brk_before = (uintptr_t)sbrk(0), brk_after, start, end;
	char *block;

	/*
	 * Blocks up to twice the reserve come from the heap, not from mmap,
	 * and the reserve, once freed, stays at the heap's top for them.
	 */
	if (!mallopt(M_MMAP_THRESHOLD, (int)(2 * reserve)) || !mallopt(M_TRIM_THRESHOLD, (int)(2 * reserve)))
		return false;
	block = malloc(reserve);
	brk_after = (uintptr_t)sbrk(0);
	/* Advise only what the heap grew by for it: under another allocator it did not grow. */
	if (!block || brk_before == (uintptr_t)-1 || brk_after <= brk_before ||
	    (uintptr_t)block + reserve > brk_after) {
		free(block);
		return false;
	}
	free(block);
	start = ((uintptr_t)block + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	end = brk_after & ~(HUGE_PAGE - 1);
	return end > start && !madvise((void *)start, end - start, MADV_HUGEPAGE);
}

void startup_heap_end(void)
{
	mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD);
	malloc_trim(0);
}
