/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PYBPF_BASE_STARTUP_HEAP_H
#define PYBPF_BASE_STARTUP_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Start-up's large, short-lived allocations on transparent huge pages.
 *
 * Loading the BPF program has libbpf read and index the kernel's BTF: about
 * 11 MiB touched once and freed at the end of the load.  Faulted in 4 KiB at
 * a time that is ~2900 page faults, and a fault costs 13 us in a virtual
 * machine like the one the benchmarks run on: 40 of libbpf's 51 ms.  Between
 * begin and end, blocks up to twice RESERVE come from the heap (not from
 * mmap), the heap grows by RESERVE bytes at once and that span is advised
 * MADV_HUGEPAGE, so it faults a 2 MiB page at a time.  Where transparent huge pages are off,
 * or malloc is not glibc's heap (ASan's allocator), nothing changes.
 *
 * Returns whether the advice was given (for tests and -v).
 */
bool startup_heap_begin(size_t reserve);

/* Back to malloc's defaults, and the freed start-up memory back to the system. */
void startup_heap_end(void);

#endif
