// SPDX-License-Identifier: BSD-3-Clause
/* user/profile/line_heat.h and sources.h: the shares of lines and functions, and their text. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "profile/line_heat.h"
#include "profile/sources.h"

static struct profile P;
static struct line_heat H;

static void setup(void)
{
	profile_init(&P, 1000000);
	memset(&H, 0, sizeof(H));
}

static void teardown(void)
{
	line_heat_free(&H);
	profile_free(&P);
}

TestSuite(line_heat, .init = setup, .fini = teardown);

static const struct heat_function *function_named(const char *name)
{
	for (size_t i = 0; i < H.nfunctions; i++)
		if (!strcmp(P.strings[H.functions[i].name], name))
			return &H.functions[i];
	cr_assert_fail("no function %s", name);
	return NULL;
}

/*
 * app.py: main (first line 1) calls work at line 3; work (first line 10)
 * runs lines 11 and 12 and recurses at 13; b.py's helper runs under work.
 */
Test(line_heat, own_and_total_by_line_and_function)
{
	size_t proc = profile_process(&P, 1, "py", "");
	struct prof_thread *t = profile_thread(&P, proc, 1, "t");
	uint32_t main3 = profile_code_frame(&P, "main", "app.py", 1, 3, PROF_NO_COLUMN);
	uint32_t work11 = profile_code_frame(&P, "work", "app.py", 10, 11, PROF_NO_COLUMN);
	uint32_t work12 = profile_code_frame(&P, "work", "app.py", 10, 12, PROF_NO_COLUMN);
	uint32_t work13 = profile_code_frame(&P, "work", "app.py", 10, 13, PROF_NO_COLUMN);
	uint32_t helper = profile_code_frame(&P, "helper", "b.py", 5, 6, PROF_NO_COLUMN);
	uint32_t native = profile_frame(&P, "memcpy", "libc.so.6", 0);
	const uint32_t s1[] = { main3, work11 }, s2[] = { main3, work12 },
		       s3[] = { main3, work13, work11 }, s4[] = { main3, work12, helper, native };
	const struct heat_function *work;

	cr_assert_eq(profile_add(&P, t, s1, 2, 5), 0);
	cr_assert_eq(profile_add(&P, t, s2, 2, 3), 0);
	/* Recursion: work twice on the stack counts once for the function. */
	cr_assert_eq(profile_add(&P, t, s3, 3, 2), 0);
	/* A native frame on top: no Python line is running; helper's line is on the stack. */
	cr_assert_eq(profile_add(&P, t, s4, 4, 4), 0);
	cr_assert_eq(line_heat_build(&H, &P), 0);

	cr_assert_eq(H.samples, 14);
	cr_assert_eq(H.nfiles, 2);
	cr_assert_str_eq(P.strings[H.files[0].file], "app.py", "the file running most comes first");
	cr_assert_eq(H.files[0].own[11], 7);
	cr_assert_eq(H.files[0].own[12], 3);
	cr_assert_eq(H.files[0].total[12], 7);
	cr_assert_eq(H.files[0].total[13], 2);
	cr_assert_eq(H.files[0].total[3], 14);
	cr_assert_eq(H.files[0].own_sum, 10);
	cr_assert_eq(H.files[0].anywhere, 14);
	cr_assert_eq(H.files[1].own_sum, 0);
	cr_assert_eq(H.files[1].total[6], 4);
	work = function_named("work");
	cr_assert_eq(work->own, 10);
	cr_assert_eq(work->total, 14);
	cr_assert_eq(work->first_line, 10);
	cr_assert_eq(work->last_line, 13);
	cr_assert_eq(function_named("main")->total, 14);
	cr_assert_eq(function_named("helper")->own, 0, "the native frame above it was running");
	cr_assert_str_eq(P.strings[H.functions[0].name], "work", "the most own samples first");
	{
		uint64_t own[4], total[4];

		cr_assert_eq(line_heat_function_lines(&P, work, own, total), 0);
		cr_assert_eq(own[1], 7);	/* line 11 */
		cr_assert_eq(own[2], 3);
		cr_assert_eq(total[2], 7);	/* line 12: 3 running, 4 calling helper */
		cr_assert_eq(total[3], 2);
		cr_assert_eq(own[0] + total[0], 0);
	}
}

/* A heat map is by line: the columns of one line add up, a stack counts a line once. */
Test(line_heat, columns_of_a_line_are_one_line)
{
	size_t proc = profile_process(&P, 1, "py", "");
	struct prof_thread *t = profile_thread(&P, proc, 1, "t");
	uint32_t call_a = profile_code_frame(&P, "work", "app.py", 10, 12, 10);
	uint32_t call_b = profile_code_frame(&P, "work", "app.py", 10, 12, 22);
	const uint32_t s1[] = { call_a }, s2[] = { call_b }, nested[] = { call_a, call_b };

	cr_assert_eq(profile_add(&P, t, s1, 1, 3), 0);
	cr_assert_eq(profile_add(&P, t, s2, 1, 2), 0);
	cr_assert_eq(profile_add(&P, t, nested, 2, 1), 0);
	cr_assert_eq(line_heat_build(&H, &P), 0);
	cr_assert_eq(H.nfiles, 1);
	cr_assert_eq(H.files[0].own[12], 6);
	cr_assert_eq(H.files[0].total[12], 6);
	cr_assert_eq(function_named("work")->total, 6);
	{
		uint64_t own[3], total[3];

		cr_assert_eq(line_heat_function_lines(&P, function_named("work"), own, total), 0);
		cr_assert_eq(own[2], 6);
		cr_assert_eq(total[2], 6);
	}
}

Test(line_heat, sources_are_split_into_lines)
{
	uint32_t file = profile_string(&P, "a.py"), other = profile_string(&P, "b.py");
	const char text[] = "one\r\ntwo\n\nfour";
	struct source_lines lines;

	cr_assert_eq(profile_source_add(&P, file, 0, text, sizeof(text) - 1), 0);
	cr_assert_eq(profile_source_add(&P, file, 0, "x", 1), -EEXIST);
	cr_assert_eq(profile_source_add(&P, other, ENOENT, NULL, 0), 0);
	cr_assert_eq(source_lines_split(profile_source(&P, file), &lines), 0);
	cr_assert_eq(lines.n, 4);
	cr_assert_eq(lines.len[0], 3, "the \\r of a \\r\\n goes");
	cr_assert_eq(memcmp(lines.start[1], "two", 3), 0);
	cr_assert_eq(lines.len[2], 0);
	cr_assert_eq(memcmp(lines.start[3], "four", lines.len[3]), 0);
	source_lines_free(&lines);
	cr_assert_eq(source_lines_split(profile_source(&P, other), &lines), 0);
	cr_assert_eq(lines.n, 0, "no text, no lines");
	cr_assert_eq(profile_source(&P, other)->error, ENOENT);
}

Test(line_heat, sources_past_the_limit_are_counted_not_kept)
{
	uint32_t a = profile_string(&P, "a.py"), b = profile_string(&P, "b.py");

	P.limits.source_bytes = 10;
	cr_assert_eq(profile_source_add(&P, a, 0, "123456", 6), 0);
	cr_assert_eq(profile_source_add(&P, b, 0, "123456", 6), 0);
	cr_assert_eq(profile_source(&P, a)->error, 0);
	cr_assert_eq(profile_source(&P, b)->error, ENOSPC);
	cr_assert_null(profile_source(&P, b)->text);
	cr_assert_eq(P.over.sources, 1);
	cr_assert_eq(P.sources.bytes, 6);
}
