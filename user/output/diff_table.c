// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/utf8.h"
#include "output/diff_table.h"

struct row {
	const struct diff_function *fn;
	double self[DIFF_SIDES], total[DIFF_SIDES];
	double change;		/* the larger of the two changes, in size */
};

static int largest_change_first(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->change != y->change)
		return x->change > y->change ? -1 : 1;
	return (x->fn->label > y->fn->label) - (x->fn->label < y->fn->label);
}

int diff_table_print(FILE *out, const struct diff_tree *t, size_t rows, const char *base,
		     const char *new)
{
	struct row *all = calloc(t->nfunctions + 1, sizeof(*all));

	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < t->nfunctions; i++) {
		struct row *r = &all[i];

		r->fn = &t->functions[i];
		for (int side = 0; side < DIFF_SIDES; side++) {
			r->self[side] = 100 * diff_share(t, side, r->fn->self[side]);
			r->total[side] = 100 * diff_share(t, side, r->fn->total[side]);
		}
		r->change = fmax(fabs(r->self[DIFF_NEW] - r->self[DIFF_BASE]),
				 fabs(r->total[DIFF_NEW] - r->total[DIFF_BASE]));
	}
	qsort(all, t->nfunctions, sizeof(*all), largest_change_first);
	fputs("pybpf diff: ", out);
	utf8_write_escaped(out, base, SIZE_MAX, utf8_terminal_escape);
	fprintf(out, " (%llu samples) -> ", (unsigned long long)t->total[DIFF_BASE]);
	utf8_write_escaped(out, new, SIZE_MAX, utf8_terminal_escape);
	fprintf(out, " (%llu samples); shares of each run's samples, changes in points\n",
		(unsigned long long)t->total[DIFF_NEW]);
	fprintf(out, "%7s %7s %7s   %7s %7s %7s  %s\n", "SELF", "->", "CHANGE", "TOTAL", "->", "CHANGE",
		"FUNCTION");
	for (size_t i = 0; i < t->nfunctions && i < rows; i++) {
		const struct row *r = &all[i];

		fprintf(out, "%6.1f%% %6.1f%% %+7.1f   %6.1f%% %6.1f%% %+7.1f  ", r->self[DIFF_BASE],
			r->self[DIFF_NEW], r->self[DIFF_NEW] - r->self[DIFF_BASE], r->total[DIFF_BASE],
			r->total[DIFF_NEW], r->total[DIFF_NEW] - r->total[DIFF_BASE]);
		utf8_write_escaped(out, t->strings[r->fn->label], SIZE_MAX, utf8_terminal_escape);
		fputc('\n', out);
	}
	free(all);
	return ferror(out) ? -EIO : 0;
}
