// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/top_table.h"
#include "base/array.h"

void top_table_init(struct top_table *t, enum top_group group)
{
	memset(t, 0, sizeof(*t));
	t->group = group;
}

void top_table_free(struct top_table *t)
{
	hmap_free(&t->index);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

static struct top_row *row_for(struct top_table *t, const struct prof_frame *f,
			       uint32_t pid, uint32_t tid)
{
	uint32_t key[4] = {
		f->name, f->file,
		t->group >= TOP_BY_PROCESS ? pid : 0,
		t->group == TOP_BY_THREAD ? tid : 0,
	};
	bool created;
	uintptr_t *slot;
	struct top_row *row;

	if (array_reserve(&t->rows, &t->cap, t->nrows + 1, sizeof(*t->rows)))
		return NULL;
	slot = hmap_upsert(&t->index, key, sizeof(key), &created);
	if (!slot)
		return NULL;
	if (!created)
		return &t->rows[*slot - 1];
	row = &t->rows[t->nrows];
	memset(row, 0, sizeof(*row));
	row->name = key[0];
	row->file = key[1];
	row->pid = key[2];
	row->tid = key[3];
	*slot = ++t->nrows;
	return row;
}

int top_table_add(struct top_table *t, const struct profile *p, uint32_t pid, uint32_t tid,
		  const uint32_t *frames, size_t depth, uint64_t count)
{
	struct top_row *row;

	t->sample_seq++;
	t->samples_now += count;
	t->samples_all += count;
	for (size_t i = 0; i < depth; i++) {
		const struct prof_frame *f = &p->frames[frames[i]];

		row = row_for(t, f, pid, tid);
		if (!row)
			return -ENOMEM;
		/* Recursion puts a function on the stack many times: count it once. */
		if (row->last_sample != t->sample_seq) {
			row->last_sample = t->sample_seq;
			row->total_now += count;
			row->total_all += count;
		}
		if (i + 1 == depth) {
			row->own_now += count;
			row->own_all += count;
			row->line = f->line;
		}
	}
	return 0;
}

void top_table_next_interval(struct top_table *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		t->rows[i].own_now = t->rows[i].total_now = 0;
	t->samples_now = 0;
}

static uint64_t sort_value(const struct top_row *r, enum top_sort sort)
{
	switch (sort) {
	case TOP_SORT_OWN_PCT: return r->own_now;
	case TOP_SORT_TOTAL_PCT: return r->total_now;
	case TOP_SORT_OWN_TIME: return r->own_all;
	default: return r->total_all;
	}
}

static int largest_first(const void *a, const void *b, void *sort)
{
	const struct top_row *x = *(struct top_row *const *)a, *y = *(struct top_row *const *)b;
	uint64_t vx = sort_value(x, *(enum top_sort *)sort), vy = sort_value(y, *(enum top_sort *)sort);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	/* Ties: the one with more time since start, then a stable order. */
	if (x->total_all != y->total_all)
		return x->total_all < y->total_all ? 1 : -1;
	return (x > y) - (x < y);
}

struct top_row **top_table_sorted(const struct top_table *t, enum top_sort sort)
{
	struct top_row **order = malloc((t->nrows + 1) * sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < t->nrows; i++)
		order[i] = &t->rows[i];
	qsort_r(order, t->nrows, sizeof(*order), largest_first, &sort);
	return order;
}
