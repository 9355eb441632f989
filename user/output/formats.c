// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "output/collapsed.h"
#include "output/flamegraph.h"
#include "output/formats.h"
#include "output/heatmap.h"
#include "output/pprof.h"
#include "output/speedscope.h"
#include "base/array.h"

const struct format format_speedscope = {
	.name = "speedscope", .extensions = { ".json" }, .write = speedscope_write,
	.by_function = true,
};
static const struct format format_flamegraph = {
	.name = "flamegraph", .extensions = { ".svg" }, .write = flamegraph_write,
	.by_function = true,
};
static const struct format format_collapsed = {
	.name = "collapsed", .extensions = { ".txt", ".folded", ".collapsed" },
	.write = collapsed_write, .by_function = true,
};
static const struct format format_pprof = {
	.name = "pprof", .extensions = { ".pb.gz", ".pprof" }, .write = pprof_write,
};
static const struct format format_heatmap = {
	.name = "heatmap", .extensions = { ".html", ".htm" }, .write = heatmap_write,
	.sources = true,
};
/* Written by recording_writer.c as the samples come; keeps the sources for report. */
const struct format format_raw = { .name = "raw", .extensions = { ".pybpf" }, .sources = true };

static const struct format *const formats[] = {
	&format_speedscope, &format_flamegraph, &format_collapsed, &format_pprof, &format_heatmap,
	&format_raw,
};

const struct format *format_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

const struct format *format_for_path(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		for (size_t j = 0; j < ARRAY_SIZE(formats[i]->extensions); j++)
			if (formats[i]->extensions[j] && ends_with(path, formats[i]->extensions[j]))
				return formats[i];
	return NULL;
}

const char *format_names(void)
{
	static char names[128];

	if (!names[0])
		for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", formats[i]->name);
	return names;
}
