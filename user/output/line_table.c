// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "base/utf8.h"
#include "output/line_table.h"

#define SUGGESTIONS 5

/* QUALNAME is FUNCTION, or ends with "." FUNCTION. */
static bool called(const char *qualname, const char *function)
{
	size_t n = strlen(qualname), m = strlen(function);

	return !strcmp(qualname, function) ||
	       (n > m && qualname[n - m - 1] == '.' && !strcmp(qualname + n - m, function));
}

/* The file's text came from the target: a tab is spaces, no control character passes. */
static const char *source_escape(uint32_t cp)
{
	return cp == '\t' ? "    " : utf8_terminal_escape(cp);
}

static void write_source_line(FILE *out, const char *start, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return;
	memcpy(copy, start, len);
	copy[len] = '\0';
	/* A NUL inside the line ends the copy early: what is before it is shown. */
	utf8_write_escaped(out, copy, SIZE_MAX, source_escape);
	free(copy);
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static int print_function(FILE *out, const struct profile *p, const struct line_heat *h,
			  const struct heat_function *fn)
{
	size_t n = (size_t)(fn->last_line - fn->first_line + 1);
	uint64_t *own = malloc(n * sizeof(*own)), *total = malloc(n * sizeof(*total));
	const struct prof_source *src = profile_source(p, fn->file);
	struct source_lines lines = { 0 };
	char what[64];
	int rc = -ENOMEM;

	if (!own || !total || line_heat_function_lines(p, fn, own, total) ||
	    source_lines_split(src, &lines))
		goto out;
	utf8_write_escaped(out, p->strings[fn->name], SIZE_MAX, utf8_terminal_escape);
	fputs(" (", out);
	utf8_write_escaped(out, p->strings[fn->file], SIZE_MAX, utf8_terminal_escape);
	profile_describe(p, fn->total, what, sizeof(what));
	fprintf(out, ":%d): %s, %.1f%% of all; %s itself %.1f%%\n", fn->first_line, what,
		percent(fn->total, h->samples), p->unit == PROF_UNIT_BYTES ? "growing memory" : "running",
		percent(fn->own, h->samples));
	if (!src || src->error)
		fprintf(out, "  (no source: %s)\n", src ? source_error_text(src->error) :
			"not recorded; record with -o FILE.pybpf or a heat map to keep it");
	fprintf(out, "%7s %9s %9s %10s %7s  %s\n", "Line", "Samples", "Running", "% Function", "% All",
		"Source");
	for (size_t i = 0; i < n; i++) {
		size_t line = (size_t)fn->first_line + i;

		fprintf(out, "%7zu %9llu %9llu %9.1f%% %6.1f%%  ", line, (unsigned long long)total[i],
			(unsigned long long)own[i], percent(total[i], fn->total),
			percent(total[i], h->samples));
		if (line <= lines.n)
			write_source_line(out, lines.start[line - 1], lines.len[line - 1]);
		fputc('\n', out);
	}
	rc = 0;
out:
	source_lines_free(&lines);
	free(own);
	free(total);
	return rc;
}

int line_table_print(FILE *out, const struct profile *p, const struct line_heat *h,
		     const char *function, char *err, size_t errlen)
{
	size_t found = 0, used;

	for (size_t i = 0; i < h->nfunctions; i++) {
		if (!called(p->strings[h->functions[i].name], function))
			continue;
		if (found++)
			fputc('\n', out);
		if (print_function(out, p, h, &h->functions[i]))
			return -ENOMEM;
	}
	if (found)
		return 0;
	used = (size_t)snprintf(err, errlen, "no function called '%s' has samples (the hottest:", function);
	for (size_t i = 0; i < h->nfunctions && i < SUGGESTIONS && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, "%s %s", i ? "," : "",
					 p->strings[h->functions[i].name]);
	if (used < errlen)
		snprintf(err + used, errlen - used, "%s)", h->nfunctions ? "" : " none");
	return -ENOENT;
}
