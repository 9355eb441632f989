// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/hashmap.h"
#include "profile/top_functions.h"
#include "base/array.h"

struct tally {
	struct top_function fn;
	size_t last_stack;	/* counts a function once per stack, however deep it recurses */
};

struct tallies {
	struct hmap index;	/* (name, file) -> tally index + 1 */
	struct tally *list;
	size_t n, cap;
};

static struct tally *tally_for(struct tallies *t, const struct prof_frame *f)
{
	uint32_t key[2] = { f->name, f->file };
	bool created;
	uintptr_t *slot;

	if (array_reserve(&t->list, &t->cap, t->n + 1, sizeof(*t->list)))
		return NULL;
	slot = hmap_upsert(&t->index, key, sizeof(key), &created);
	if (!slot)
		return NULL;
	if (created) {
		memset(&t->list[t->n], 0, sizeof(t->list[t->n]));
		t->list[t->n].fn.name = f->name;
		t->list[t->n].fn.file = f->file;
		t->list[t->n].last_stack = SIZE_MAX;
		*slot = ++t->n;
	}
	return &t->list[*slot - 1];
}

/* STACK_ID: a number no other stack of the profile has. */
static int count_stack(struct tallies *t, const struct profile *p, const struct prof_stack *s,
		       size_t stack_id)
{
	for (uint32_t d = 0; d < s->depth; d++) {
		struct tally *tally = tally_for(t, &p->frames[s->frames[d]]);

		if (!tally)
			return -ENOMEM;
		if (tally->last_stack != stack_id) {
			tally->last_stack = stack_id;
			tally->fn.total += s->count;
		}
		if (d + 1 == s->depth)
			tally->fn.self += s->count;
	}
	return 0;
}

static int most_self_first(const void *a, const void *b, void *profile)
{
	const struct top_function *x = &((const struct tally *)a)->fn;
	const struct top_function *y = &((const struct tally *)b)->fn;
	const struct profile *p = profile;

	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(p->strings[x->name], p->strings[y->name]);
}

int top_functions(const struct profile *p, struct top_function *out, size_t max,
		  uint64_t *samples)
{
	struct tallies t = { 0 };
	size_t stack_id = 0, n = 0;
	int rc = 0;

	*samples = profile_samples(p);
	for (size_t i = 0; i < p->nthreads && !rc; i++) {
		const struct prof_thread *th = p->threads[i];

		for (size_t j = 0; j < th->nstacks && !rc; j++)
			rc = count_stack(&t, p, &th->stacks[j], stack_id++);
	}
	if (!rc && t.n) {
		qsort_r(t.list, t.n, sizeof(*t.list), most_self_first, (void *)p);
		for (n = 0; n < t.n && n < max; n++)
			out[n] = t.list[n].fn;
	}
	free(t.list);
	hmap_free(&t.index);
	return rc ? rc : (int)n;
}

void top_functions_print(const struct profile *p, size_t max, FILE *out)
{
	struct top_function *top = malloc((max + 1) * sizeof(*top));
	uint64_t samples;
	int n = top ? top_functions(p, top, max, &samples) : -ENOMEM;

	char what[64];

	if (n > 0 && samples) {
		profile_describe(p, samples, what, sizeof(what));
		fprintf(out, "pybpf: top functions of %s:\n", what);
		fprintf(out, "pybpf:   %6s %6s  %s\n", "SELF", "TOTAL", "FUNCTION");
		for (int i = 0; i < n; i++) {
			const char *file = p->strings[top[i].file];

			fprintf(out, "pybpf:   %5.1f%% %5.1f%%  %s%s%s%s\n", 100.0 * top[i].self / samples,
				100.0 * top[i].total / samples, p->strings[top[i].name],
				*file ? " (" : "", file, *file ? ")" : "");
		}
	}
	free(top);
}
