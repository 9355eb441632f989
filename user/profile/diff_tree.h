/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two runs' stacks in one call tree, for `pybpf diff BASE NEW`: every node
 * (a path of frames from the root) with its samples in each run, and every
 * function (a frame's label) with the samples it ran in (self) and was on
 * the stack in (total), per run.  Runs are compared by share of their own
 * samples, so their lengths and rates do not matter.
 */
#ifndef PYBPF_DIFF_TREE_H
#define PYBPF_DIFF_TREE_H

#include <stddef.h>
#include <stdint.h>
#include "base/hashmap.h"

enum diff_side { DIFF_BASE, DIFF_NEW, DIFF_SIDES };

#define DIFF_NONE UINT32_MAX

struct diff_node {
	uint32_t label;			/* string id */
	uint32_t depth;			/* 0: the root, "all" */
	uint32_t parent, first_child, next_sibling;	/* node indexes, or DIFF_NONE */
	uint64_t count[DIFF_SIDES];	/* samples in or below it, per run */
};

struct diff_function {
	uint32_t label;
	uint64_t self[DIFF_SIDES], total[DIFF_SIDES];
	uint64_t stamp;			/* the last stack that counted its total */
};

struct diff_tree {
	char **strings;
	size_t nstrings, strings_cap;
	struct hmap string_index;	/* text -> id + 1 */
	struct diff_node *nodes;	/* nodes[0] is the root; parents before children */
	size_t n, cap;
	struct hmap node_index;		/* (parent, label) -> index + 1 */
	uint32_t max_depth;
	struct diff_function *functions;	/* by label: function_of[label] */
	uint32_t *function_of;		/* string id -> function index + 1 */
	size_t nfunctions, functions_cap, function_of_cap;
	uint64_t total[DIFF_SIDES];	/* all samples per run */
	uint64_t stacks;		/* stacks added: stamps */
};

int diff_tree_init(struct diff_tree *t);
void diff_tree_free(struct diff_tree *t);

/* COUNT samples of SIDE's stack LABELS[0..DEPTH), outermost first.  0 or -ENOMEM. */
int diff_tree_add(struct diff_tree *t, enum diff_side side, const char *const *labels,
		  size_t depth, uint64_t count);

/* Siblings in alphabetical order (the order a flame graph draws), once all is added. */
void diff_tree_sort(struct diff_tree *t);

/* COUNT as a share (0 to 1) of SIDE's samples. */
double diff_share(const struct diff_tree *t, enum diff_side side, uint64_t count);

#endif
