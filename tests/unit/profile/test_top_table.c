// SPDX-License-Identifier: BSD-3-Clause
/* The numbers behind `pybpf top`. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "profile/top_table.h"

static struct profile p;
static uint32_t f_main, f_work, f_leaf, f_leaf_other_line;

static void setup(void)
{
	profile_init(&p, 1000000);
	f_main = profile_frame(&p, "main", "app.py", 10);
	f_work = profile_frame(&p, "work", "app.py", 20);
	f_leaf = profile_frame(&p, "leaf", "app.py", 30);
	f_leaf_other_line = profile_frame(&p, "leaf", "app.py", 31);
}

static void teardown(void)
{
	profile_free(&p);
}

static const struct top_row *row(struct top_row **rows, size_t n, const char *name, uint32_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p.strings[rows[i]->name], name) && rows[i]->pid == pid)
			return rows[i];
	return NULL;
}

Test(top_table, own_and_total, .init = setup, .fini = teardown)
{
	struct top_table t;
	uint32_t a[] = { f_main, f_work, f_leaf }, b[] = { f_main, f_work }, c[] = { f_main, f_work, f_leaf_other_line };
	struct top_row **rows;

	top_table_init(&t, TOP_BY_FUNCTION);
	cr_assert_eq(top_table_add(&t, &p, 1, 1, a, 3, 1), 0);
	cr_assert_eq(top_table_add(&t, &p, 1, 1, b, 2, 1), 0);
	cr_assert_eq(top_table_add(&t, &p, 1, 1, c, 3, 1), 0);
	rows = top_table_sorted(&t, TOP_SORT_OWN_PCT);
	cr_assert_eq(t.nrows, 3, "lines of one function share a row");
	cr_assert_str_eq(p.strings[rows[0]->name], "leaf");
	cr_assert_eq(rows[0]->own_now, 2);
	cr_assert_eq(rows[0]->line, 31, "the line seen last");
	cr_assert_eq(row(rows, t.nrows, "work", 0)->own_now, 1);
	cr_assert_eq(row(rows, t.nrows, "main", 0)->total_now, 3);
	cr_assert_eq(row(rows, t.nrows, "main", 0)->own_now, 0);
	free(rows);
	top_table_free(&t);
}

Test(top_table, recursion_counts_once_per_sample, .init = setup, .fini = teardown)
{
	struct top_table t;
	uint32_t deep[] = { f_main, f_work, f_work, f_work, f_leaf };
	struct top_row **rows;

	top_table_init(&t, TOP_BY_FUNCTION);
	top_table_add(&t, &p, 1, 1, deep, 5, 1);
	top_table_add(&t, &p, 1, 1, deep, 5, 1);
	rows = top_table_sorted(&t, TOP_SORT_TOTAL_PCT);
	cr_assert_eq(row(rows, t.nrows, "work", 0)->total_all, 2, "not 6");
	free(rows);
	top_table_free(&t);
}

Test(top_table, intervals_and_sorting, .init = setup, .fini = teardown)
{
	struct top_table t;
	uint32_t a[] = { f_main, f_leaf }, b[] = { f_main, f_work };
	struct top_row **rows;

	top_table_init(&t, TOP_BY_FUNCTION);
	for (int i = 0; i < 5; i++)
		top_table_add(&t, &p, 1, 1, a, 2, 1);
	top_table_next_interval(&t);
	for (int i = 0; i < 2; i++)
		top_table_add(&t, &p, 1, 1, b, 2, 1);
	cr_assert_eq(t.samples_now, 2);
	cr_assert_eq(t.samples_all, 7);
	/* Now: work is the only one with own samples; since start: leaf leads. */
	rows = top_table_sorted(&t, TOP_SORT_OWN_PCT);
	cr_assert_str_eq(p.strings[rows[0]->name], "work");
	free(rows);
	rows = top_table_sorted(&t, TOP_SORT_OWN_TIME);
	cr_assert_str_eq(p.strings[rows[0]->name], "leaf");
	cr_assert_eq(rows[0]->own_now, 0);
	free(rows);
	rows = top_table_sorted(&t, TOP_SORT_TOTAL_TIME);
	cr_assert_str_eq(p.strings[rows[0]->name], "main");
	free(rows);
	top_table_free(&t);
}

Test(top_table, grouping_keeps_processes_and_threads_apart, .init = setup, .fini = teardown)
{
	struct top_table by_fn, by_proc, by_thread;
	uint32_t a[] = { f_main, f_leaf };

	top_table_init(&by_fn, TOP_BY_FUNCTION);
	top_table_init(&by_proc, TOP_BY_PROCESS);
	top_table_init(&by_thread, TOP_BY_THREAD);
	for (uint32_t pid = 1; pid <= 2; pid++)
		for (uint32_t tid = 10; tid <= 12; tid++) {
			top_table_add(&by_fn, &p, pid, tid, a, 2, 1);
			top_table_add(&by_proc, &p, pid, tid, a, 2, 1);
			top_table_add(&by_thread, &p, pid, tid, a, 2, 1);
		}
	cr_assert_eq(by_fn.nrows, 2);
	cr_assert_eq(by_proc.nrows, 4);
	cr_assert_eq(by_thread.nrows, 12);
	top_table_free(&by_fn);
	top_table_free(&by_proc);
	top_table_free(&by_thread);
}
