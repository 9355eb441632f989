// SPDX-License-Identifier: BSD-3-Clause
/* user/process/source_file.h: a source file as a process sees it (here: this one). */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "process/source_file.h"
#include "temp_file.h"

#define SOURCE "import os\nprint(os.getpid())\n"

static char path[] = "/tmp/pybpf-source-XXXXXX";

static void setup(void)
{
	temp_file_write(path, SOURCE);
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(source_file, .init = setup, .fini = teardown);

Test(source_file, absolute_and_relative_names)
{
	char *text, cwd[PATH_MAX];
	size_t len;

	cr_assert_eq(source_file_read(getpid(), path, 1024, &text, &len), 0);
	cr_assert_eq(len, strlen(SOURCE));
	cr_assert_eq(memcmp(text, SOURCE, len), 0);
	free(text);
	/* Relative: from the process's working directory, and never above it. */
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir("/tmp"), 0);
	cr_assert_eq(source_file_read(getpid(), path + strlen("/tmp/"), 1024, &text, &len), 0);
	cr_assert_eq(len, strlen(SOURCE));
	free(text);
	cr_assert_eq(source_file_read(getpid(), "../tmp/x.py", 1024, &text, &len), -EXDEV);
	cr_assert_null(text);
	cr_assert_eq(chdir(cwd), 0);
}

Test(source_file, what_is_not_read)
{
	char *text;
	size_t len;

	cr_assert_eq(source_file_read(getpid(), "<string>", 1024, &text, &len), -ENOENT);
	cr_assert_eq(source_file_read(getpid(), "<frozen importlib._bootstrap>", 1024, &text, &len), -ENOENT);
	cr_assert_eq(source_file_read(getpid(), "", 1024, &text, &len), -ENOENT);
	cr_assert_eq(source_file_read(getpid(), "/tmp", 1024, &text, &len), -EINVAL);
	cr_assert_eq(source_file_read(getpid(), path, 10, &text, &len), -EFBIG);
	cr_assert_eq(source_file_read(getpid(), "/nonexistent/x.py", 1024, &text, &len), -ENOENT);
	cr_assert_null(text);
	cr_assert_eq(len, 0);
}
