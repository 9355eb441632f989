// SPDX-License-Identifier: BSD-3-Clause
/* user/native/symbol_table.h: sorted address ranges, aliases and unknown sizes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "native/symbol_table.h"

static const char *name_at(const struct symbol_table *t, uint64_t addr)
{
	const struct symbol *s = symbol_table_find(t, addr);

	return s ? symbol_name(t, s) : NULL;
}

Test(symbol_table, one_name_per_address)
{
	struct symbol_table t = SYMBOL_TABLE_INIT;

	/* Added in an order that a stable sort by address alone would keep. */
	cr_assert_eq(symbol_table_add(&t, "a_no_size", 0x100, 0, 0, 0), 0);
	cr_assert_eq(symbol_table_add(&t, "weak_memcpy", 0x100, 0x20, 1, 0), 0);
	cr_assert_eq(symbol_table_add(&t, "__memcpy", 0x100, 0x20, 0, 0), 0);
	cr_assert_eq(symbol_table_add(&t, "memcpy", 0x100, 0x20, 0, 0), 0);
	cr_assert_eq(symbol_table_add(&t, "memcpy", 0x100, 0x20, 0, 0), 0);	/* .symtab and .dynsym */
	cr_assert_eq(symbol_table_finish(&t), 0);
	cr_assert_eq(t.n, 1);
	cr_assert_str_eq(name_at(&t, 0x100), "memcpy");
	cr_assert_str_eq(name_at(&t, 0x11f), "memcpy");
	cr_assert_null(name_at(&t, 0x120), "the sized alias sets the end");
	symbol_table_free(&t);
}

Test(symbol_table, unknown_sizes_end_at_the_next_symbol)
{
	struct symbol_table t = SYMBOL_TABLE_INIT;

	cr_assert_eq(symbol_table_add(&t, "last", 0x2010, 0, 0, 7), 0);
	cr_assert_eq(symbol_table_add(&t, "sized", 0x1010, 0x8, 0, 0), 0);
	cr_assert_eq(symbol_table_add(&t, "first", 0x1000, 0, 0, 0), 0);
	cr_assert_eq(symbol_table_finish(&t), 0);
	cr_assert_null(name_at(&t, 0xfff));
	cr_assert_str_eq(name_at(&t, 0x1000), "first");
	cr_assert_str_eq(name_at(&t, 0x100f), "first");
	cr_assert_str_eq(name_at(&t, 0x1010), "sized");
	cr_assert_null(name_at(&t, 0x1018), "past a known size, before the next symbol");
	cr_assert_str_eq(name_at(&t, 0x2010), "last");
	cr_assert_eq(symbol_table_find(&t, 0x2010)->tag, 7);
	cr_assert_str_eq(name_at(&t, 0x2fff), "last", "the last one runs to its page's end");
	cr_assert_null(name_at(&t, 0x3000));
	symbol_table_free(&t);
}

/* Lookups agree with a linear scan over randomly placed, shuffled symbols. */
Test(symbol_table, find_agrees_with_a_scan)
{
	enum { N = 500 };
	struct symbol_table t = SYMBOL_TABLE_INIT;
	uint64_t start[N], size[N], at = 0x400000;
	unsigned int order[N], seed = 12345;
	char name[16];

	for (int i = 0; i < N; i++) {
		at += rand_r(&seed) % 64;
		start[i] = at;
		size[i] = 1 + rand_r(&seed) % 48;
		at += size[i];
		order[i] = i;
	}
	for (int i = N - 1; i > 0; i--) {
		int j = rand_r(&seed) % (i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%u", order[i]);
		cr_assert_eq(symbol_table_add(&t, name, start[order[i]], size[order[i]], 0, 0), 0);
	}
	cr_assert_eq(symbol_table_finish(&t), 0);
	for (uint64_t addr = 0x400000 - 2; addr < at + 2; addr++) {
		const char *got = name_at(&t, addr);
		int want = -1;

		for (int i = 0; i < N; i++)
			if (addr >= start[i] && addr < start[i] + size[i])
				want = i;
		if (want < 0) {
			cr_assert_null(got, "%#jx is in no symbol, found %s", (uintmax_t)addr, got);
		} else {
			snprintf(name, sizeof(name), "f%d", want);
			cr_assert_not_null(got, "%#jx: nothing, want %s", (uintmax_t)addr, name);
			cr_assert_str_eq(got, name, "%#jx", (uintmax_t)addr);
		}
	}
	symbol_table_free(&t);
}
