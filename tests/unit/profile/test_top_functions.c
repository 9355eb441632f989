// SPDX-License-Identifier: BSD-3-Clause
/* user/profile/top_functions.h: self and total samples per function, and the table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "profile/top_functions.h"

static struct profile P;

static void setup(void)
{
	profile_init(&P, 1000);
}

static void teardown(void)
{
	profile_free(&P);
}

TestSuite(top_functions, .init = setup, .fini = teardown);

static const struct top_function *find(const struct top_function *top, int n, const char *name,
				       const char *file)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(P.strings[top[i].name], name) && !strcmp(P.strings[top[i].file], file))
			return &top[i];
	cr_assert_fail("%s (%s) is not in the table", name, file);
	return NULL;
}

Test(top_functions, self_total_recursion_lines_and_threads)
{
	size_t proc = profile_process(&P, 1, "py", "3.11.7");
	struct prof_thread *t1 = profile_thread(&P, proc, 1, "a");
	struct prof_thread *t2 = profile_thread(&P, proc, 2, "b");
	uint32_t mod = profile_frame(&P, "<module>", "m.py", 1);
	uint32_t rec_a = profile_frame(&P, "rec", "m.py", 5);
	uint32_t rec_b = profile_frame(&P, "rec", "m.py", 6);	/* same function, another line */
	uint32_t leaf = profile_frame(&P, "leaf", "m.py", 9);
	uint32_t other_leaf = profile_frame(&P, "leaf", "other.py", 9);	/* another function */
	const uint32_t deep[] = { mod, rec_a, rec_b, rec_a, leaf };
	const uint32_t rec_only[] = { mod, rec_a, rec_b };
	const uint32_t other[] = { mod, other_leaf };
	struct top_function top[10];
	uint64_t samples;

	cr_assert_eq(profile_add(&P, t1, deep, 5, 6), 0);
	cr_assert_eq(profile_add(&P, t1, rec_only, 3, 2), 0);
	cr_assert_eq(profile_add(&P, t2, deep, 5, 1), 0);
	cr_assert_eq(profile_add(&P, t2, other, 2, 3), 0);
	cr_assert_eq(profile_add(&P, t2, deep, 0, 4), 0);	/* no frames: counted in the total only */

	int n = top_functions(&P, top, 10, &samples);

	cr_assert_eq(n, 4);
	cr_assert_eq(samples, 16);
	const struct top_function *f = find(top, n, "leaf", "m.py");

	cr_assert_eq(f->self, 7);
	cr_assert_eq(f->total, 7);
	f = find(top, n, "rec", "m.py");
	cr_assert_eq(f->self, 2);
	cr_assert_eq(f->total, 9, "recursion counts once per sample");
	f = find(top, n, "leaf", "other.py");
	cr_assert_eq(f->self, 3);
	f = find(top, n, "<module>", "m.py");
	cr_assert_eq(f->self, 0);
	cr_assert_eq(f->total, 12);
	/* By self samples, largest first. */
	cr_assert_str_eq(P.strings[top[0].name], "leaf");
	cr_assert_str_eq(P.strings[top[0].file], "m.py");
	cr_assert_str_eq(P.strings[top[1].file], "other.py");
	cr_assert_str_eq(P.strings[top[2].name], "rec");
	cr_assert_str_eq(P.strings[top[3].name], "<module>");

	cr_assert_eq(top_functions(&P, top, 2, &samples), 2, "at most MAX");
}

Test(top_functions, ties_go_to_more_total_then_by_name)
{
	size_t proc = profile_process(&P, 1, "py", "");
	struct prof_thread *t = profile_thread(&P, proc, 1, "a");
	uint32_t b = profile_frame(&P, "b", "x.py", 1), a = profile_frame(&P, "a", "x.py", 1);
	uint32_t c = profile_frame(&P, "c", "x.py", 1), z = profile_frame(&P, "z", "x.py", 1);
	const uint32_t s1[] = { b }, s2[] = { a }, s3[] = { z, c };
	struct top_function top[4];
	uint64_t samples;

	cr_assert_eq(profile_add(&P, t, s1, 1, 2), 0);
	cr_assert_eq(profile_add(&P, t, s2, 1, 2), 0);
	cr_assert_eq(profile_add(&P, t, s3, 2, 2), 0);
	cr_assert_eq(top_functions(&P, top, 4, &samples), 4);
	cr_assert_str_eq(P.strings[top[0].name], "a");
	cr_assert_str_eq(P.strings[top[1].name], "b");
	cr_assert_str_eq(P.strings[top[2].name], "c");
	cr_assert_str_eq(P.strings[top[3].name], "z", "self 0, total 2");
}

static char *table(size_t max)
{
	struct capture c;

	top_functions_print(&P, max, capture_begin(&c));
	return capture_end(&c, NULL);
}

Test(top_functions, the_table)
{
	size_t proc = profile_process(&P, 1, "py", "");
	struct prof_thread *t = profile_thread(&P, proc, 1, "a");
	uint32_t main_frame = profile_frame(&P, "main", "/app/main.py", 3);
	uint32_t work = profile_frame(&P, "work", "/app/main.py", 8);
	uint32_t unknown = profile_frame(&P, "[unknown]", "", 0);
	const uint32_t s1[] = { main_frame, work }, s2[] = { main_frame, unknown };
	char *got = table(10);

	cr_assert_str_eq(got, "", "an empty profile prints nothing");
	free(got);
	cr_assert_eq(profile_add(&P, t, s1, 2, 3), 0);
	cr_assert_eq(profile_add(&P, t, s2, 2, 1), 0);
	got = table(10);
	cr_assert_str_eq(got,
		"pybpf: top functions of 4 samples:\n"
		"pybpf:     SELF  TOTAL  FUNCTION\n"
		"pybpf:    75.0%  75.0%  work (/app/main.py)\n"
		"pybpf:    25.0%  25.0%  [unknown]\n"
		"pybpf:     0.0% 100.0%  main (/app/main.py)\n");
	free(got);
	got = table(1);
	cr_assert_eq(strstr(got, "work") != NULL && !strstr(got, "main ("), 1, "%s", got);
	free(got);
}
