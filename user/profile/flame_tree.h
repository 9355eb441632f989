/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A profile as one merged call tree, the shape a flame graph draws: a root
 * ("all"), one child per thread (labels.h), then the frames of its stacks.
 * Siblings are in alphabetical order, as flamegraph.pl draws them, and
 * each node knows its place: the samples of the nodes left of it.
 */
#ifndef PYBPF_FLAME_TREE_H
#define PYBPF_FLAME_TREE_H

#include <stddef.h>
#include <stdint.h>
#include "base/hashmap.h"
#include "profile/profile.h"

#define FLAME_NONE UINT32_MAX

struct flame_node {
	char *label;
	uint64_t samples;	/* in this node or below it */
	uint64_t offset;	/* samples left of it: all of its depth's earlier nodes */
	uint32_t depth;		/* 0: the root */
	uint32_t parent, first_child, next_sibling;	/* node indexes, or FLAME_NONE */
};

struct flame_tree {
	struct flame_node *nodes;	/* nodes[0] is the root; parents before children */
	size_t n, cap;
	uint32_t max_depth;
	struct hmap index;		/* (parent, what it is) -> node index + 1 */
};

int flame_tree_build(struct flame_tree *tree, const struct profile *p);
void flame_tree_free(struct flame_tree *tree);

#endif
