// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/native/native_symbols.c's bounds: past its file and process limits
 * the least recently used are evicted, and their unwind data freed.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <unistd.h>
#include "native/native_symbols.h"
#include "native_symbols_test.h"

static int unwind_frees;
static void *freed_data;

static void count_free(void *data)
{
	unwind_frees++;
	freed_data = data;
}

Test(native_symbols, file_limit_evicts_least_recently_used)
{
	struct native_symbols_opts opts = { .max_files = 2 };
	struct native_symbols *ns = native_symbols_new(&opts);
	uint64_t size, getpid_fn = loader_symbol("getpid", &size, &(const char *){ NULL });
	uint64_t adler = loader_symbol("adler32", &size, &(const char *){ NULL });
	uint64_t own = ADDR(native_symbols_test_caller);
	struct native_module_ref ref;
	struct native_symbol out;
	const char *first_name;
	int marker;

	cr_assert_not_null(ns);
	cr_assert_eq(native_symbols_find_module(ns, getpid(), own, &ref), 0);
	cr_assert_null(ref.unwind->data);
	ref.unwind->data = &marker;
	ref.unwind->free = count_free;
	cr_assert_eq(native_symbols_lookup(ns, getpid(), own, &out), 0);
	first_name = out.name;

	cr_assert_eq(native_symbols_lookup(ns, getpid(), getpid_fn, &out), 0);
	cr_assert_eq(stats_of(ns).files_evicted, 0);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), adler, &out), 0);
	cr_assert_str_eq(out.name, "adler32");
	cr_assert_eq(stats_of(ns).files_loaded, 3);
	cr_assert_eq(stats_of(ns).files_evicted, 1);
	cr_assert_eq(stats_of(ns).files, 2);
	cr_assert_eq(unwind_frees, 1, "the evicted file was the oldest, ours");
	cr_assert_eq(freed_data, &marker);
	/* Names handed out outlive their file. */
	cr_assert_str_eq(first_name, "native_symbols_test_caller");

	/* Used again, it is read again, and the oldest (libc) goes. */
	cr_assert_eq(native_symbols_lookup(ns, getpid(), own, &out), 0);
	cr_assert_str_eq(out.name, "native_symbols_test_caller");
	cr_assert_eq(out.name, first_name, "one interned copy");
	cr_assert_eq(stats_of(ns).files_loaded, 4);
	cr_assert_eq(stats_of(ns).files_evicted, 2);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), adler, &out), 0);
	cr_assert_eq(stats_of(ns).files_loaded, 4, "libz stayed");
	native_symbols_free(ns);
	cr_assert_eq(unwind_frees, 1, "the new slot of ours was empty");
}

Test(native_symbols, process_limit_evicts_least_recently_used)
{
	struct native_symbols_opts opts = { .max_processes = 2 };
	struct native_symbols *ns = native_symbols_new(&opts);
	uint64_t own = ADDR(native_symbols_test_caller);
	struct native_symbol out;

	uint64_t reads;

	cr_assert_not_null(ns);
	cr_assert_eq(native_symbols_lookup(ns, getpid(), own, &out), 0);
	cr_assert_eq(stats_of(ns).maps_reads, 1);
	native_symbols_lookup(ns, getppid(), own, &out);
	native_symbols_lookup(ns, getppid(), own, &out);
	cr_assert_eq(stats_of(ns).procs_evicted, 0);
	native_symbols_lookup(ns, 1, own, &out);
	cr_assert_eq(stats_of(ns).procs_evicted, 1);
	cr_assert_eq(stats_of(ns).processes, 2);
	/* We were the oldest: our maps are read again (and the parent goes). */
	reads = stats_of(ns).maps_reads;
	cr_assert_eq(native_symbols_lookup(ns, getpid(), own, &out), 0);
	cr_assert_eq(stats_of(ns).maps_reads, reads + 1);
	cr_assert_eq(stats_of(ns).procs_evicted, 2);
	cr_assert_eq(stats_of(ns).processes, 2);
	/* pid 1, used last, stayed. */
	reads = stats_of(ns).maps_reads;
	native_symbols_lookup(ns, 1, own, &out);
	cr_assert_leq(stats_of(ns).maps_reads, reads + 1, "at most a re-read on a miss");
	cr_assert_eq(stats_of(ns).procs_evicted, 2);
	native_symbols_free(ns);
}
