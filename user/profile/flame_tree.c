// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/flame_tree.h"
#include "profile/labels.h"
#include "base/array.h"

enum node_kind { NODE_THREAD, NODE_FRAME };

/* The child of PARENT for a thread or frame ID, created when new. */
static uint32_t child(struct flame_tree *tree, const struct profile *p, uint32_t parent,
		      enum node_kind kind, const void *what, char *label)
{
	uint32_t key[3] = { parent, kind, 0 };
	struct flame_node *node;
	uintptr_t *slot;
	bool created;

	key[2] = kind == NODE_THREAD ? (uint32_t)((const struct prof_thread *)what)->index :
				       *(const uint32_t *)what;
	if (array_reserve(&tree->nodes, &tree->cap, tree->n + 1, sizeof(*tree->nodes)))
		return FLAME_NONE;
	slot = hmap_upsert(&tree->index, key, sizeof(key), &created);
	if (!slot)
		return FLAME_NONE;
	if (!created)
		return (uint32_t)(*slot - 1);
	if (kind == NODE_THREAD)
		thread_label(p, what, label, LABEL_MAX);
	else
		frame_label(p, key[2], label, LABEL_MAX);
	node = &tree->nodes[tree->n];
	memset(node, 0, sizeof(*node));
	node->label = strdup(label);
	node->parent = parent;
	node->depth = tree->nodes[parent].depth + 1;
	if (node->depth > tree->max_depth)
		tree->max_depth = node->depth;
	*slot = ++tree->n;
	return node->label ? (uint32_t)(tree->n - 1) : FLAME_NONE;
}

static int add_thread(struct flame_tree *tree, const struct profile *p,
		      const struct prof_thread *t, char *label)
{
	uint32_t thread = child(tree, p, 0, NODE_THREAD, t, label);

	if (thread == FLAME_NONE)
		return -ENOMEM;
	for (size_t i = 0; i < t->nstacks; i++) {
		const struct prof_stack *s = &t->stacks[i];
		uint32_t node = thread;

		tree->nodes[0].samples += s->count;
		tree->nodes[thread].samples += s->count;
		for (uint32_t d = 0; d < s->depth && s->count; d++) {
			node = child(tree, p, node, NODE_FRAME, &s->frames[d], label);
			if (node == FLAME_NONE)
				return -ENOMEM;
			tree->nodes[node].samples += s->count;
		}
	}
	return 0;
}

static int by_parent_then_label(const void *a, const void *b, void *nodes)
{
	const struct flame_node *x = &((struct flame_node *)nodes)[*(const uint32_t *)a];
	const struct flame_node *y = &((struct flame_node *)nodes)[*(const uint32_t *)b];

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Link siblings in label order, then place each node after its left siblings. */
static int arrange(struct flame_tree *tree)
{
	uint32_t *order = malloc(tree->n * sizeof(*order));
	struct flame_node *nodes = tree->nodes;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < tree->n; i++) {
		order[i] = (uint32_t)i;
		nodes[i].first_child = nodes[i].next_sibling = FLAME_NONE;
	}
	/* The root's parent is FLAME_NONE: it sorts last, out of every list. */
	qsort_r(order, tree->n, sizeof(*order), by_parent_then_label, nodes);
	for (size_t i = tree->n - 1; i-- > 0;) {
		struct flame_node *node = &nodes[order[i]];

		node->next_sibling = nodes[node->parent].first_child;
		nodes[node->parent].first_child = order[i];
	}
	free(order);
	/* Parents come before children, so each parent is placed already. */
	for (size_t i = 0; i < tree->n; i++) {
		uint64_t offset = nodes[i].offset;

		for (uint32_t c = nodes[i].first_child; c != FLAME_NONE; c = nodes[c].next_sibling) {
			nodes[c].offset = offset;
			offset += nodes[c].samples;
		}
	}
	return 0;
}

int flame_tree_build(struct flame_tree *tree, const struct profile *p)
{
	size_t n;
	struct prof_thread **threads = profile_sorted_threads(p, &n);
	char *label = malloc(LABEL_MAX);
	int rc = threads && label ? 0 : -ENOMEM;

	memset(tree, 0, sizeof(*tree));
	if (!rc && array_reserve(&tree->nodes, &tree->cap, 1, sizeof(*tree->nodes)))
		rc = -ENOMEM;
	if (!rc) {
		memset(&tree->nodes[0], 0, sizeof(tree->nodes[0]));
		tree->nodes[0].label = strdup("all");
		tree->nodes[0].parent = FLAME_NONE;
		tree->n = 1;
		rc = tree->nodes[0].label ? 0 : -ENOMEM;
	}
	for (size_t i = 0; !rc && i < n; i++)
		rc = add_thread(tree, p, threads[i], label);
	if (!rc)
		rc = arrange(tree);
	free(threads);
	free(label);
	return rc;
}

void flame_tree_free(struct flame_tree *tree)
{
	for (size_t i = 0; i < tree->n; i++)
		free(tree->nodes[i].label);
	free(tree->nodes);
	hmap_free(&tree->index);
	memset(tree, 0, sizeof(*tree));
}
