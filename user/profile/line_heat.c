// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/array.h"
#include "base/hashmap.h"
#include "profile/line_heat.h"

/* Per file, beside the counts: the last sample that counted each line. */
struct file_stamps {
	uint64_t *line;
	uint64_t file;
};

struct builder {
	const struct profile *p;
	struct line_heat *h;
	uint32_t *file_of;		/* per frame: file index + 1; 0 not Python */
	uint32_t *function_of;		/* per frame: function index + 1 */
	struct file_stamps *file_stamps;
	uint64_t *function_stamps;
	size_t files_cap, functions_cap;
	struct hmap files, functions;
	uint64_t serial;		/* one per stack counted */
};

static bool is_python(const struct profile *p, const struct prof_frame *f)
{
	return f->first_line > 0 && p->strings[f->file][0];
}

static int index_frame(struct builder *b, uint32_t id)
{
	const struct prof_frame *f = &b->p->frames[id];
	int32_t line = f->line > f->first_line ? f->line : f->first_line;
	struct line_heat *h = b->h;
	struct { uint32_t name, file; int32_t first_line; } key = { f->name, f->file, f->first_line };
	uintptr_t *slot;
	bool created;

	if (!is_python(b->p, f))
		return 0;
	slot = hmap_upsert(&b->files, &f->file, sizeof(f->file), &created);
	if (!slot || array_reserve(&h->files, &b->files_cap, h->nfiles + 1, sizeof(*h->files)))
		return -ENOMEM;
	if (created) {
		memset(&h->files[h->nfiles], 0, sizeof(*h->files));
		h->files[h->nfiles].file = f->file;
		*slot = ++h->nfiles;
	}
	b->file_of[id] = (uint32_t)*slot;
	if (h->files[*slot - 1].max_line < line)
		h->files[*slot - 1].max_line = line;
	slot = hmap_upsert(&b->functions, &key, sizeof(key), &created);
	if (!slot || array_reserve(&h->functions, &b->functions_cap, h->nfunctions + 1,
				   sizeof(*h->functions)))
		return -ENOMEM;
	if (created) {
		memset(&h->functions[h->nfunctions], 0, sizeof(*h->functions));
		h->functions[h->nfunctions].name = f->name;
		h->functions[h->nfunctions].file = f->file;
		h->functions[h->nfunctions].first_line = f->first_line;
		*slot = ++h->nfunctions;
	}
	b->function_of[id] = (uint32_t)*slot;
	if (h->functions[*slot - 1].last_line < line)
		h->functions[*slot - 1].last_line = line;
	return 0;
}

static int allocate_counts(struct builder *b)
{
	struct line_heat *h = b->h;

	b->file_stamps = calloc(h->nfiles + 1, sizeof(*b->file_stamps));
	b->function_stamps = calloc(h->nfunctions + 1, sizeof(*b->function_stamps));
	if (!b->file_stamps || !b->function_stamps)
		return -ENOMEM;
	for (size_t i = 0; i < h->nfiles; i++) {
		size_t n = (size_t)h->files[i].max_line + 1;

		h->files[i].own = calloc(n, sizeof(uint64_t));
		h->files[i].total = calloc(n, sizeof(uint64_t));
		b->file_stamps[i].line = calloc(n, sizeof(uint64_t));
		if (!h->files[i].own || !h->files[i].total || !b->file_stamps[i].line)
			return -ENOMEM;
	}
	return 0;
}

/* The line FRAME is at, for counting: its own, or its function's first if unknown. */
static int32_t line_of(const struct prof_frame *f)
{
	return f->line > 0 ? f->line : f->first_line;
}

static void count_stack(struct builder *b, const struct prof_stack *s)
{
	struct line_heat *h = b->h;
	uint64_t serial = ++b->serial;

	h->samples += s->count;
	if (!s->depth)
		return;
	if (b->file_of[s->frames[s->depth - 1]]) {
		uint32_t leaf = s->frames[s->depth - 1];
		struct heat_file *file = &h->files[b->file_of[leaf] - 1];

		file->own[line_of(&b->p->frames[leaf])] += s->count;
		file->own_sum += s->count;
		h->functions[b->function_of[leaf] - 1].own += s->count;
	}
	for (uint32_t d = 0; d < s->depth; d++) {
		uint32_t id = s->frames[d], fi = b->file_of[id], fn = b->function_of[id];
		struct file_stamps *stamps;
		int32_t line;

		if (!fi)
			continue;
		stamps = &b->file_stamps[fi - 1];
		line = line_of(&b->p->frames[id]);
		if (stamps->line[line] != serial) {
			stamps->line[line] = serial;
			h->files[fi - 1].total[line] += s->count;
		}
		if (stamps->file != serial) {
			stamps->file = serial;
			h->files[fi - 1].anywhere += s->count;
		}
		if (b->function_stamps[fn - 1] != serial) {
			b->function_stamps[fn - 1] = serial;
			h->functions[fn - 1].total += s->count;
		}
	}
}

/* Larger first; 0 when equal. */
static int larger_first(uint64_t a, uint64_t b)
{
	return (a < b) - (a > b);
}

static int hottest_file_first(const void *x, const void *y)
{
	const struct heat_file *a = x, *b = y;

	return larger_first(a->own_sum, b->own_sum) ?: larger_first(a->anywhere, b->anywhere) ?:
	       larger_first(b->file, a->file);
}

static int hottest_function_first(const void *x, const void *y)
{
	const struct heat_function *a = x, *b = y;

	return larger_first(a->own, b->own) ?: larger_first(a->total, b->total) ?:
	       larger_first(b->file, a->file) ?:
	       larger_first((uint64_t)(int64_t)b->first_line, (uint64_t)(int64_t)a->first_line);
}

int line_heat_build(struct line_heat *h, const struct profile *p)
{
	struct builder b = { .p = p, .h = h };
	int rc = -ENOMEM;

	memset(h, 0, sizeof(*h));
	b.file_of = calloc(p->nframes + 1, sizeof(*b.file_of));
	b.function_of = calloc(p->nframes + 1, sizeof(*b.function_of));
	if (!b.file_of || !b.function_of)
		goto out;
	for (uint32_t id = 0; id < p->nframes; id++)
		if (index_frame(&b, id))
			goto out;
	if (allocate_counts(&b))
		goto out;
	for (size_t i = 0; i < p->nthreads; i++)
		for (size_t s = 0; s < p->threads[i]->nstacks; s++)
			if (p->threads[i]->stacks[s].count)
				count_stack(&b, &p->threads[i]->stacks[s]);
	qsort(h->files, h->nfiles, sizeof(*h->files), hottest_file_first);
	qsort(h->functions, h->nfunctions, sizeof(*h->functions), hottest_function_first);
	rc = 0;
out:
	for (size_t i = 0; b.file_stamps && i < h->nfiles; i++)
		free(b.file_stamps[i].line);
	free(b.file_stamps);
	free(b.function_stamps);
	free(b.file_of);
	free(b.function_of);
	hmap_free(&b.files);
	hmap_free(&b.functions);
	if (rc)
		line_heat_free(h);
	return rc;
}

void line_heat_free(struct line_heat *h)
{
	for (size_t i = 0; i < h->nfiles; i++) {
		free(h->files[i].own);
		free(h->files[i].total);
	}
	free(h->files);
	free(h->functions);
	memset(h, 0, sizeof(*h));
}

static bool of_function(const struct prof_frame *f, const struct heat_function *fn)
{
	return f->name == fn->name && f->file == fn->file && f->first_line == fn->first_line;
}

int line_heat_function_lines(const struct profile *p, const struct heat_function *fn,
			     uint64_t *own, uint64_t *total)
{
	size_t n = (size_t)(fn->last_line - fn->first_line + 1);
	uint64_t *stamp = calloc(n, sizeof(*stamp)), serial = 0;

	memset(own, 0, n * sizeof(*own));
	memset(total, 0, n * sizeof(*total));
	if (!stamp)
		return -ENOMEM;
	for (size_t i = 0; i < p->nthreads; i++) {
		for (size_t s = 0; s < p->threads[i]->nstacks; s++) {
			const struct prof_stack *st = &p->threads[i]->stacks[s];

			serial++;
			for (uint32_t d = 0; d < st->depth; d++) {
				const struct prof_frame *f = &p->frames[st->frames[d]];
				size_t at;

				/* A line before the first (a line table can say anything): not its. */
				if (!of_function(f, fn) || line_of(f) < fn->first_line ||
				    line_of(f) > fn->last_line)
					continue;
				at = (size_t)(line_of(f) - fn->first_line);
				if (d == st->depth - 1)
					own[at] += st->count;
				if (stamp[at] != serial) {
					stamp[at] = serial;
					total[at] += st->count;
				}
			}
		}
	}
	free(stamp);
	return 0;
}
