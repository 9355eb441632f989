// SPDX-License-Identifier: BSD-3-Clause
/* user/output/line_table.h: report --lines FUNCTION. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "capture.h"
#include "output/line_table.h"

static struct profile P;
static struct line_heat H;

static void setup(void)
{
	size_t proc;
	struct prof_thread *t;
	uint32_t main2, get11, get12;
	const char source[] = "def main():\n    Loader().get_data()\n\n\n\n\n\n\n\nclass Loader:\n"
			      "  def get_data(self):\n    return open(\"\x1b[31mx\").read()\n";

	profile_init(&P, 1000000);
	proc = profile_process(&P, 1, "py", "");
	t = profile_thread(&P, proc, 1, "t");
	main2 = profile_code_frame(&P, "main", "app.py", 1, 2, PROF_NO_COLUMN);
	get11 = profile_code_frame(&P, "Loader.get_data", "app.py", 11, 11, PROF_NO_COLUMN);
	get12 = profile_code_frame(&P, "Loader.get_data", "app.py", 11, 12, PROF_NO_COLUMN);
	cr_assert_eq(profile_add(&P, t, (uint32_t[]){ main2, get12 }, 2, 3), 0);
	cr_assert_eq(profile_add(&P, t, (uint32_t[]){ main2, get11 }, 2, 1), 0);
	cr_assert_eq(profile_add(&P, t, (uint32_t[]){ main2 }, 1, 4), 0);
	cr_assert_eq(profile_source_add(&P, profile_string(&P, "app.py"), 0, source, strlen(source)), 0);
	cr_assert_eq(line_heat_build(&H, &P), 0);
}

static void teardown(void)
{
	line_heat_free(&H);
	profile_free(&P);
}

TestSuite(line_table, .init = setup, .fini = teardown);

static char *table(const char *function, int *rc, char *err, size_t errlen)
{
	struct capture c;

	*rc = line_table_print(capture_begin(&c), &P, &H, function, err, errlen);
	return capture_end(&c, NULL);
}

Test(line_table, a_function_by_its_last_name)
{
	char err[256] = "", *got;
	int rc;

	got = table("get_data", &rc, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(got,
		"Loader.get_data (app.py:11): 4 samples, 50.0% of all; running itself 50.0%\n"
		"   Line   Samples   Running % Function   % All  Source\n"
		"     11         1         1      25.0%   12.5%    def get_data(self):\n"
		"     12         3         3      75.0%   37.5%      return open(\"?[31mx\").read()\n");
	free(got);
	/* The whole qualified name works too; a part of a name does not. */
	free(table("Loader.get_data", &rc, err, sizeof(err)));
	cr_assert_eq(rc, 0);
	free(table("data", &rc, err, sizeof(err)));
	cr_assert_eq(rc, -ENOENT);
}

Test(line_table, an_unknown_name_suggests_the_hottest)
{
	char err[256] = "", *got = table("nothere", &(int){ 0 }, err, sizeof(err));

	cr_assert_str_eq(got, "");
	/* As many running samples each; main is on the stack more. */
	cr_assert_str_eq(err, "no function called 'nothere' has samples (the hottest: main, Loader.get_data)");
	free(got);
}
