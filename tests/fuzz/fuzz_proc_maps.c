// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/process/proc_maps.c: /proc/PID/maps text.  The kernel writes it, but the
 * paths in it are chosen by the target (any byte but NUL and newline, with
 * " (deleted)" appended), and pybpf must survive whatever a future kernel
 * prints.
 *
 * Input: the file's text.
 */
#include <stdlib.h>
#include <string.h>
#include "process/proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct proc_maps maps;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!proc_maps_parse(text, &maps)) {
		/* The lookups python_target.c makes: the lowest mapping of a path. */
		if (maps.n && proc_maps_first(&maps, maps.entries[maps.n - 1].path) == NULL)
			abort();
		proc_maps_first(&maps, "/usr/bin/python3.11");
		proc_maps_free(&maps);
	}
	free(text);
	return 0;
}
