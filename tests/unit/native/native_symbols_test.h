/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What test_native_symbols.c and test_native_symbols_limits.c share: the
 * loader's view of a symbol, the cache's counters, a function of the test
 * binary's own to look up.
 */
#ifndef PYBPF_TESTS_NATIVE_SYMBOLS_TEST_H
#define PYBPF_TESTS_NATIVE_SYMBOLS_TEST_H

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include "native/native_symbols.h"

#define ADDR(p) ((uint64_t)(uintptr_t)(p))

/* In test_native_symbols.c: external and noinline, one symbol each. */
uint64_t native_symbols_test_caller(void);

static inline struct native_symbols_stats stats_of(struct native_symbols *ns)
{
	struct native_symbols_stats st;

	native_symbols_get_stats(ns, &st);
	return st;
}

/* The function the dynamic loader finds NAME at, and its size. */
static inline uint64_t loader_symbol(const char *name, uint64_t *size, const char **file)
{
	void *addr = dlsym(RTLD_DEFAULT, name);
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	cr_assert_not_null(addr, "dlsym %s", name);
	cr_assert(dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT), "dladdr %s", name);
	cr_assert_not_null(sym);
	cr_assert_eq(ADDR(info.dli_saddr), ADDR(addr));
	*size = sym->st_size;
	*file = info.dli_fname;
	return ADDR(addr);
}

#endif
