// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "native/symbol_table.h"
#include "base/array.h"

#define PAGE_SIZE 4096ULL

int symbol_table_add(struct symbol_table *t, const char *name, uint64_t start,
		     uint64_t size, uint32_t rank, uint32_t tag)
{
	size_t len = strlen(name) + 1;
	struct symbol *s;

	/* Name offsets are 32-bit: 4 GiB of names is no symbol table. */
	if (t->names_len + len > UINT32_MAX ||
	    array_reserve(&t->syms, &t->cap, t->n + 1, sizeof(*t->syms)) ||
	    array_reserve(&t->names, &t->names_cap, t->names_len + len, 1))
		return -ENOMEM;
	memcpy(t->names + t->names_len, name, len);
	s = &t->syms[t->n++];
	s->start = start;
	/* Until finish(), end holds the size; 0 is unknown. */
	s->end = size;
	s->name = t->names_len;
	s->tag = tag;
	s->rank = rank;
	t->names_len += len;
	return 0;
}

static size_t leading_underscores(const char *s)
{
	return strspn(s, "_");
}

/* By address, then the alias to keep first. */
static int compare(const void *a, const void *b, void *names)
{
	const struct symbol *x = a, *y = b;
	const char *xn = (const char *)names + x->name, *yn = (const char *)names + y->name;
	size_t xu, yu;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (!x->end != !y->end)
		return x->end ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	xu = leading_underscores(xn);
	yu = leading_underscores(yn);
	if (xu != yu)
		return xu < yu ? -1 : 1;
	return strcmp(xn, yn);
}

int symbol_table_finish(struct symbol_table *t)
{
	size_t kept = 0;

	if (!t->n)
		return 0;
	qsort_r(t->syms, t->n, sizeof(*t->syms), compare, t->names);
	for (size_t i = 0; i < t->n; i++)
		if (!kept || t->syms[kept - 1].start != t->syms[i].start)
			t->syms[kept++] = t->syms[i];
	t->n = kept;
	for (size_t i = 0; i < t->n; i++) {
		struct symbol *s = &t->syms[i];

		if (s->end)
			s->end = s->start + s->end;
		else if (i + 1 < t->n)
			s->end = t->syms[i + 1].start;
		else
			s->end = (s->start | (PAGE_SIZE - 1)) + 1;
		/* A size past the end of the address space. */
		if (s->end <= s->start)
			s->end = UINT64_MAX;
	}
	return 0;
}

const struct symbol *symbol_table_find(const struct symbol_table *t, uint64_t addr)
{
	/* The last symbol starting at or before ADDR. */
	size_t below = ARRAY_COUNT_AT_OR_BELOW(t->syms, t->n, start, addr);

	if (!below || addr >= t->syms[below - 1].end)
		return NULL;
	return &t->syms[below - 1];
}

void symbol_table_free(struct symbol_table *t)
{
	free(t->syms);
	free(t->names);
	memset(t, 0, sizeof(*t));
}
