// SPDX-License-Identifier: BSD-3-Clause
/*
 * Seeds for fuzz_target_walk: for each built-in layout (3.8-3.12), the
 * memory of a small healthy runtime as that fuzzer maps it (at FAKE_BASE),
 * made by tests/common/fake_target.c from user/python/py_layout.c's table,
 * so the seeds follow the table pybpf trusts.
 *
 * Usage: seed_target_walk DIR   (writes DIR/layout-3.N)
 */
#include <stdio.h>
#include "fake_target.h"

int main(int argc, char **argv)
{
	for (int minor = 8; minor <= 12 && argc > 1; minor++) {
		char path[4096];
		FILE *f;

		if (fake_runtime(minor))
			continue;
		snprintf(path, sizeof(path), "%s/layout-3.%d", argv[1], minor);
		f = fopen(path, "wb");
		if (!f || fputc(minor - 8, f) == EOF || fwrite(fake_mem, 1, sizeof(fake_mem), f) != sizeof(fake_mem) ||
		    fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return argc > 1 ? 0 : 2;
}
