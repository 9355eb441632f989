/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The output formats `record` and `report` write, by name (-f) and by
 * file extension, and the writer of each.
 */
#ifndef PYBPF_FORMATS_H
#define PYBPF_FORMATS_H

#include <stdbool.h>
#include <stdio.h>
#include "profile/profile.h"

struct format {
	const char *name;		/* for -f */
	const char *extensions[3];	/* what -o FILE ends with; the first is the default */
	/* Writes a finished profile; NULL for the raw recording, which streams. */
	int (*write)(FILE *out, const struct profile *p, const char *title);
	/*
	 * Shows one frame per function unless asked for lines (--by-line);
	 * pprof has both (functions, and lines in locations), the raw
	 * recording keeps lines for `report` to choose.
	 */
	bool by_function;
	bool sources;			/* shows or keeps the source files (profile/sources.h) */
};

extern const struct format format_speedscope, format_raw;

/* The format called NAME, or NULL. */
const struct format *format_by_name(const char *name);
/* The format PATH's extension stands for, or NULL. */
const struct format *format_for_path(const char *path);
/* "speedscope, flamegraph, ...": for help and error messages. */
const char *format_names(void);

#endif
