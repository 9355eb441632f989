// SPDX-License-Identifier: BSD-3-Clause
/* user/output/collapsed.h and user/profile/labels.h: folded stacks, exactly, and their escaping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "capture.h"
#include "output/collapsed.h"
#include "profile/labels.h"

static void check_escape(const char *in, const char *want)
{
	struct capture c;
	char *got;

	collapsed_write_frame(capture_begin(&c), in);
	got = capture_end(&c, NULL);

	cr_assert_str_eq(got, want, "for \"%s\"", in);
	free(got);
}

Test(collapsed, escapes_what_would_split_a_frame_or_line)
{
	check_escape("plain name (file.py:3)", "plain name (file.py:3)");
	check_escape("a;b", "a\\x3bb");
	check_escape(";;", "\\x3b\\x3b");
	check_escape("line\nbreak\r", "line\\nbreak\\r");
	check_escape("back\\slash", "back\\\\slash");
	check_escape("\\x3b", "\\\\x3b");	/* a literal escape stays apart from a real one */
	check_escape("tab\there", "tab\there");
	check_escape("", "");
}

Test(collapsed, text_is_valid_utf8)
{
	check_escape("caf\xc3\xa9 \xe5\x87\xbd\xf0\x9f\x98\x80", "caf\xc3\xa9 \xe5\x87\xbd\xf0\x9f\x98\x80");
	/* pystr.c's U+0000 (C0 80) and a lone surrogate are not UTF-8. */
	check_escape("nul\xc0\x80x", "nul\xef\xbf\xbd\xef\xbf\xbdx");
	check_escape("s\xed\xa0\x80", "s\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("bad\xff;", "bad\xef\xbf\xbd\\x3b");
	check_escape("cut\xe5\x87", "cut\xef\xbf\xbd\xef\xbf\xbd");
}

Test(collapsed, exact_document)
{
	struct profile p;

	profile_init(&p, 1000);
	size_t proc = profile_process(&p, 42, "python3 app.py --x=1;2", "3.12.1");
	size_t other = profile_process(&p, 7, "worker", "");
	uint32_t mod = profile_frame(&p, "<module>", "app.py", 1);
	uint32_t run = profile_frame(&p, "Job.run", "app.py", 20);
	uint32_t odd = profile_frame(&p, "f;g", "dir\\x.py", 0);
	uint32_t unknown = profile_frame(&p, "[unknown]", "", 0);
	struct prof_thread *main_thread = profile_thread(&p, proc, 42, "MainThread");
	struct prof_thread *worker = profile_thread(&p, other, 8, "w");
	const uint32_t s1[] = { mod, run }, s2[] = { mod, odd, unknown };

	cr_assert_eq(profile_add(&p, worker, s1, 2, 5), 0);
	cr_assert_eq(profile_add(&p, main_thread, s1, 2, 2), 0);
	cr_assert_eq(profile_add(&p, main_thread, s2, 3, 1), 0);
	cr_assert_eq(profile_add(&p, main_thread, s1, 2, 1), 0);
	cr_assert_eq(profile_add(&p, main_thread, s1, 0, 4), 0);	/* no Python frames at all */
	cr_assert_eq(profile_add(&p, main_thread, s2, 1, 0), 0);	/* a stack with no samples */

	char *got = capture(collapsed_write, &p, "title", NULL);

	cr_assert_str_eq(got,
		"python3 app.py --x=1\\x3b2 [pid 42, Python 3.12.1] thread 42 (MainThread);"
		"<module> (app.py:1);Job.run (app.py:20) 3\n"
		"python3 app.py --x=1\\x3b2 [pid 42, Python 3.12.1] thread 42 (MainThread);"
		"<module> (app.py:1);f\\x3bg (dir\\\\x.py);[unknown] 1\n"
		"python3 app.py --x=1\\x3b2 [pid 42, Python 3.12.1] thread 42 (MainThread) 4\n"
		"worker [pid 7] thread 8 (w);<module> (app.py:1);Job.run (app.py:20) 5\n");
	free(got);
	profile_free(&p);
}

/* --by-line's frames are positions: "file:line:col", the column from 1. */
Test(labels, a_position_names_its_column)
{
	struct profile p;
	char buf[64];

	profile_init(&p, 1);
	frame_label(&p, profile_code_frame(&p, "f", "a.py", 10, 12, 0), buf, sizeof(buf));
	cr_assert_str_eq(buf, "f (a.py:12:1)");
	frame_label(&p, profile_code_frame(&p, "f", "a.py", 10, 12, 14), buf, sizeof(buf));
	cr_assert_str_eq(buf, "f (a.py:12:15)");
	frame_label(&p, profile_code_frame(&p, "f", "a.py", 10, 12, PROF_NO_COLUMN), buf,
		    sizeof(buf));
	cr_assert_str_eq(buf, "f (a.py:12)", "no column: the line alone");
	profile_free(&p);
}

Test(labels, long_labels_are_cut_not_overrun)
{
	struct profile p;
	char name[LABEL_MAX * 2], buf[64];

	profile_init(&p, 1);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	uint32_t f = profile_frame(&p, name, "f.py", 9);

	frame_label(&p, f, buf, sizeof(buf));
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);
	profile_free(&p);
}
