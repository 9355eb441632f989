// SPDX-License-Identifier: BSD-3-Clause
/* user/profile/diff_tree.h and user/output/stacks_input.h: two runs in one tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output/stacks_input.h"
#include "profile/diff_tree.h"
#include "temp_file.h"

static struct diff_tree T;

static void setup(void)
{
	cr_assert_eq(diff_tree_init(&T), 0);
}

static void teardown(void)
{
	diff_tree_free(&T);
}

TestSuite(diff_tree, .init = setup, .fini = teardown);

static const struct diff_function *function_named(const char *label)
{
	for (size_t i = 0; i < T.nfunctions; i++)
		if (!strcmp(T.strings[T.functions[i].label], label))
			return &T.functions[i];
	return NULL;
}

static uint32_t child_named(uint32_t parent, const char *label)
{
	for (uint32_t c = T.nodes[parent].first_child; c != DIFF_NONE; c = T.nodes[c].next_sibling)
		if (!strcmp(T.strings[T.nodes[c].label], label))
			return c;
	return DIFF_NONE;
}

Test(diff_tree, shares_of_each_run)
{
	const char *slow[] = { "main", "work", "scan" }, *fast[] = { "main", "work", "lookup" },
		   *other[] = { "main", "idle" }, *deep[] = { "main", "work", "work", "scan" };
	uint32_t main_node, work;

	cr_assert_eq(diff_tree_add(&T, DIFF_BASE, slow, 3, 6), 0);
	cr_assert_eq(diff_tree_add(&T, DIFF_BASE, other, 2, 2), 0);
	cr_assert_eq(diff_tree_add(&T, DIFF_BASE, deep, 4, 2), 0);
	cr_assert_eq(diff_tree_add(&T, DIFF_NEW, fast, 3, 1), 0);
	cr_assert_eq(diff_tree_add(&T, DIFF_NEW, other, 2, 19), 0);
	diff_tree_sort(&T);
	cr_assert_eq(T.total[DIFF_BASE], 10);
	cr_assert_eq(T.total[DIFF_NEW], 20);
	main_node = child_named(0, "main");
	work = child_named(main_node, "work");
	cr_assert_eq(T.nodes[work].count[DIFF_BASE], 8);
	cr_assert_eq(T.nodes[work].count[DIFF_NEW], 1);
	cr_assert_float_eq(diff_share(&T, DIFF_NEW, T.nodes[work].count[DIFF_NEW]), 0.05, 1e-9);
	/* Siblings in alphabetical order: idle before work. */
	cr_assert_str_eq(T.strings[T.nodes[T.nodes[main_node].first_child].label], "idle");
	cr_assert_neq(child_named(work, "scan"), DIFF_NONE);
	cr_assert_eq(T.nodes[child_named(work, "scan")].count[DIFF_NEW], 0, "gone from NEW");
	/* Functions: scan ran in 8 of BASE's 10, none of NEW's; work twice on a stack counts once. */
	cr_assert_eq(function_named("scan")->self[DIFF_BASE], 8);
	cr_assert_eq(function_named("scan")->total[DIFF_NEW], 0);
	cr_assert_eq(function_named("work")->total[DIFF_BASE], 8);
	cr_assert_eq(function_named("work")->self[DIFF_BASE], 0);
	cr_assert_eq(function_named("lookup")->self[DIFF_NEW], 1);
	cr_assert_eq(T.max_depth, 4);
}

Test(diff_tree, labels_lose_their_line)
{
	char a[] = "f (a.py:12)", b[] = "memcpy (libc.so.6)", c[] = "x (y:)", d[] = "[unknown]";
	char e[] = "g (a.py:12:5)", f[] = "h (a.py:5:)";

	stacks_input_drop_line(a);
	stacks_input_drop_line(b);
	stacks_input_drop_line(c);
	stacks_input_drop_line(d);
	stacks_input_drop_line(e);
	stacks_input_drop_line(f);
	cr_assert_str_eq(a, "f (a.py)");
	/* --by-line labels of 3.11+ have a column too: one function all the same. */
	cr_assert_str_eq(e, "g (a.py)");
	cr_assert_str_eq(f, "h (a.py:5:)");
	cr_assert_str_eq(b, "memcpy (libc.so.6)");
	cr_assert_str_eq(c, "x (y:)");
	cr_assert_str_eq(d, "[unknown]");
}

static int add_new(void *ctx, const char *const *labels, size_t depth, uint64_t count)
{
	return diff_tree_add(ctx, DIFF_NEW, labels, depth, count);
}

Test(diff_tree, collapsed_stacks_from_any_tool)
{
	char path[] = "/tmp/pybpf-collapsed-XXXXXX", err[256] = "";
	int unit = 1;	/* anything but unknown */

	temp_file_write(path, "# a comment\n"
			      "py [pid 7, Python 3.12] thread 7 (main);main (app.py:3);work (app.py:11) 5\n"
			      "main (app.py:4);work (app.py:12) 2\n"
			      "\n"
			      "other;thing 1\r\n");
	cr_assert_eq(stacks_input_read(path, add_new, &T, &unit, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(T.total[DIFF_NEW], 8);
	cr_assert_eq(unit, STACKS_UNIT_UNKNOWN, "collapsed stacks do not say what they count");
	/* pybpf's thread root goes; lines go: both stacks are main;work. */
	cr_assert_eq(function_named("work (app.py)")->self[DIFF_NEW], 7);
	cr_assert_null(function_named("py [pid 7, Python 3.12] thread 7 (main)"));
	cr_assert_eq(function_named("thing")->self[DIFF_NEW], 1);
	unlink(path);

	char bad[] = "/tmp/pybpf-collapsed-XXXXXX";

	temp_file_write(bad, "main;work 5\nmain;work five\n");
	cr_assert_eq(stacks_input_read(bad, add_new, &T, &unit, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, ":2: not a collapsed stack"), "%s", err);
	unlink(bad);
	cr_assert_eq(stacks_input_read("/nonexistent/x", add_new, &T, &unit, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "cannot open /nonexistent/x"), "%s", err);
}
