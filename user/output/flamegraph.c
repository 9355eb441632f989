// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/flame_svg.h"
#include "output/flamegraph.h"
#include "profile/flame_tree.h"

/* Warm colours, the same for every line of a function (the label before " ("). */
static void fill(struct flame_svg_frame *f, const struct flame_node *node)
{
	const char *end = strstr(node->label, " (");
	size_t len = end ? (size_t)(end - node->label) : strlen(node->label);
	uint32_t h = 2166136261u;	/* FNV-1a */

	if (node->depth <= 1) {	/* the root and the threads */
		f->rgb[0] = f->rgb[1] = f->rgb[2] = 200;
		return;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)node->label[i]) * 16777619u;
	f->rgb[0] = (uint8_t)(205 + (h & 0xff) * 50 / 255);
	f->rgb[1] = (uint8_t)((h >> 8 & 0xff) * 230 / 255);
	f->rgb[2] = (uint8_t)((h >> 16 & 0xff) * 55 / 255);
}

int flamegraph_write(FILE *out, const struct profile *p, const char *title)
{
	struct flame_tree tree;
	struct flame_svg_frame *frames = NULL;
	int rc = flame_tree_build(&tree, p);
	uint64_t total;
	char what[64];

	if (!rc && !(frames = calloc(tree.n + 1, sizeof(*frames))))
		rc = -ENOMEM;
	if (rc)
		goto out;
	total = tree.nodes[0].samples ? tree.nodes[0].samples : 1;
	for (size_t i = 0; i < tree.n; i++) {
		const struct flame_node *node = &tree.nodes[i];

		frames[i].label = node->label;
		frames[i].x = (double)node->offset / total;
		frames[i].width = (double)node->samples / total;
		frames[i].depth = node->depth;
		fill(&frames[i], node);
		profile_describe(p, node->samples, what, sizeof(what));
		snprintf(frames[i].info, sizeof(frames[i].info), "%s, %.2f%%", what,
			 100.0 * node->samples / total);
	}
	flame_svg_write(out, title, NULL, frames, tree.n, tree.max_depth);
	rc = ferror(out) ? -EIO : 0;
out:
	free(frames);
	flame_tree_free(&tree);
	return rc;
}
