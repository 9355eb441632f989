// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/array.h"
#include "profile/diff_tree.h"

static uint32_t intern(struct diff_tree *t, const char *text)
{
	size_t len = strlen(text);
	uintptr_t *slot = hmap_find(&t->string_index, text, len);
	char *copy;

	if (slot)
		return (uint32_t)(*slot - 1);
	if (array_reserve(&t->strings, &t->strings_cap, t->nstrings + 1, sizeof(*t->strings)) ||
	    !(copy = strdup(text)))
		return DIFF_NONE;
	slot = hmap_upsert(&t->string_index, text, len, NULL);
	if (!slot) {
		free(copy);
		return DIFF_NONE;
	}
	t->strings[t->nstrings] = copy;
	*slot = ++t->nstrings;
	return (uint32_t)(*slot - 1);
}

static uint32_t child(struct diff_tree *t, uint32_t parent, uint32_t label)
{
	uint32_t key[2] = { parent, label };
	uintptr_t *slot = hmap_find(&t->node_index, key, sizeof(key));
	struct diff_node *node;

	if (slot)
		return (uint32_t)(*slot - 1);
	if (array_reserve(&t->nodes, &t->cap, t->n + 1, sizeof(*t->nodes)) ||
	    !(slot = hmap_upsert(&t->node_index, key, sizeof(key), NULL)))
		return DIFF_NONE;
	node = &t->nodes[t->n];
	memset(node, 0, sizeof(*node));
	node->label = label;
	node->parent = parent;
	node->first_child = node->next_sibling = DIFF_NONE;
	if (parent != DIFF_NONE) {
		node->depth = t->nodes[parent].depth + 1;
		node->next_sibling = t->nodes[parent].first_child;
		t->nodes[parent].first_child = (uint32_t)t->n;
		if (node->depth > t->max_depth)
			t->max_depth = node->depth;
	}
	*slot = ++t->n;
	return (uint32_t)(*slot - 1);
}

static struct diff_function *function(struct diff_tree *t, uint32_t label)
{
	if (label >= t->function_of_cap) {
		size_t old = t->function_of_cap;

		if (array_reserve(&t->function_of, &t->function_of_cap, (size_t)label + 1,
				  sizeof(*t->function_of)))
			return NULL;
		memset(t->function_of + old, 0, (t->function_of_cap - old) * sizeof(*t->function_of));
	}
	if (!t->function_of[label]) {
		if (array_reserve(&t->functions, &t->functions_cap, t->nfunctions + 1,
				  sizeof(*t->functions)))
			return NULL;
		memset(&t->functions[t->nfunctions], 0, sizeof(*t->functions));
		t->functions[t->nfunctions].label = label;
		t->function_of[label] = (uint32_t)++t->nfunctions;
	}
	return &t->functions[t->function_of[label] - 1];
}

int diff_tree_init(struct diff_tree *t)
{
	memset(t, 0, sizeof(*t));
	return child(t, DIFF_NONE, intern(t, "all")) == 0 ? 0 : -ENOMEM;
}

int diff_tree_add(struct diff_tree *t, enum diff_side side, const char *const *labels,
		  size_t depth, uint64_t count)
{
	uint32_t node = 0;
	uint64_t stamp = ++t->stacks;

	t->total[side] += count;
	t->nodes[0].count[side] += count;
	for (size_t d = 0; d < depth; d++) {
		uint32_t label = intern(t, labels[d]);
		struct diff_function *fn = label == DIFF_NONE ? NULL : function(t, label);

		if (!fn || (node = child(t, node, label)) == DIFF_NONE)
			return -ENOMEM;
		t->nodes[node].count[side] += count;
		/* Recursion: on the stack twice, counted once. */
		if (fn->stamp != stamp) {
			fn->stamp = stamp;
			fn->total[side] += count;
		}
		if (d == depth - 1)
			fn->self[side] += count;
	}
	return 0;
}

static const struct diff_tree *sorting;

static int by_label(const void *a, const void *b)
{
	const struct diff_node *x = &sorting->nodes[*(const uint32_t *)a];
	const struct diff_node *y = &sorting->nodes[*(const uint32_t *)b];

	return strcmp(sorting->strings[x->label], sorting->strings[y->label]);
}

void diff_tree_sort(struct diff_tree *t)
{
	uint32_t *kids = malloc((t->n + 1) * sizeof(*kids));

	if (!kids)
		return;		/* left in the order met: still a whole tree */
	sorting = t;
	for (size_t i = 0; i < t->n; i++) {
		size_t n = 0;

		for (uint32_t c = t->nodes[i].first_child; c != DIFF_NONE; c = t->nodes[c].next_sibling)
			kids[n++] = c;
		if (n < 2)
			continue;
		qsort(kids, n, sizeof(*kids), by_label);
		t->nodes[i].first_child = kids[0];
		for (size_t k = 0; k < n; k++)
			t->nodes[kids[k]].next_sibling = k + 1 < n ? kids[k + 1] : DIFF_NONE;
	}
	sorting = NULL;
	free(kids);
}

double diff_share(const struct diff_tree *t, enum diff_side side, uint64_t count)
{
	return t->total[side] ? (double)count / (double)t->total[side] : 0.0;
}

void diff_tree_free(struct diff_tree *t)
{
	for (size_t i = 0; i < t->nstrings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->nodes);
	free(t->functions);
	free(t->function_of);
	hmap_free(&t->string_index);
	hmap_free(&t->node_index);
	memset(t, 0, sizeof(*t));
}
