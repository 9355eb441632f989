// SPDX-License-Identifier: BSD-3-Clause
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "temp_file.h"

void temp_file_write(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	cr_assert(fd >= 0, "mkstemp %s", path);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}
