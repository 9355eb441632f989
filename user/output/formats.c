// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "output/collapsed.h"
#include "output/flamegraph.h"
#include "output/formats.h"
#include "output/pprof.h"
#include "output/speedscope.h"
#include "base/array.h"

const struct format format_speedscope = { "speedscope", { ".json" }, speedscope_write };
static const struct format format_flamegraph = { "flamegraph", { ".svg" }, flamegraph_write };
static const struct format format_collapsed = {
	"collapsed", { ".txt", ".folded", ".collapsed" }, collapsed_write,
};
static const struct format format_pprof = { "pprof", { ".pb.gz", ".pprof" }, pprof_write };
const struct format format_raw = { "raw", { ".pybpf" }, NULL };	/* recording_writer.c */

static const struct format *const formats[] = {
	&format_speedscope, &format_flamegraph, &format_collapsed, &format_pprof, &format_raw,
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
