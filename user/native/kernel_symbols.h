/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel addresses to symbols (and module) from /proc/kallsyms.  The file
 * is read on the first lookup, text symbols only; modules loaded later are
 * not seen.
 */
#ifndef PYBPF_KERNEL_SYMBOLS_H
#define PYBPF_KERNEL_SYMBOLS_H

#include <stdint.h>

struct kernel_symbols;

struct kernel_symbol {
	const char *name;	/* the function, or "[unknown]" */
	const char *module;	/* e.g. "nf_tables"; NULL in the kernel image */
	uint64_t offset;	/* from the start of the function */
};

/*
 * A symbolizer over PATH (a kallsyms-format file), or /proc/kallsyms when
 * NULL.  Nothing is read yet.  NULL when memory runs out.
 */
struct kernel_symbols *kernel_symbols_new(const char *path);
void kernel_symbols_free(struct kernel_symbols *ks);

/*
 * Fill OUT for ADDR; its strings live as long as KS.  0 when a function
 * holds ADDR; -ENOENT when none does; -ENODATA when there are no symbols
 * to look in (kernel_symbols_error() says why).
 */
int kernel_symbols_lookup(struct kernel_symbols *ks, uint64_t addr, struct kernel_symbol *out);

/*
 * NULL when the symbols are usable, else one sentence saying why not
 * (unreadable file, or addresses hidden by kernel.kptr_restrict).  Loads
 * them if that was not done yet.
 */
const char *kernel_symbols_error(struct kernel_symbols *ks);

#endif
