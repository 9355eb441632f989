// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "output/diff_svg.h"
#include "output/flame_svg.h"

/* Changes below this (a share's points) are drawn pale: sampling noise, mostly. */
#define NOTICEABLE	0.005
/* A change this large or larger gets the full colour. */
#define FULL_COLOUR	0.10

static void colour(struct flame_svg_frame *f, double before, double after, bool only_one)
{
	static const uint8_t white[3] = { 242, 242, 242 }, red[3] = { 214, 39, 40 },
			     blue[3] = { 31, 96, 214 };
	double change = after - before, strength = fabs(change) / FULL_COLOUR;
	const uint8_t *to = change > 0 ? red : blue;

	if (only_one)
		strength = 1;
	else if (fabs(change) < NOTICEABLE)
		strength = 0;
	else
		strength = 0.2 + 0.8 * (strength > 1 ? 1 : strength);
	for (int i = 0; i < 3; i++)
		f->rgb[i] = (uint8_t)(white[i] + (to[i] - white[i]) * strength);
}

static double width_of(const struct diff_tree *t, const struct diff_node *node, bool new_shape)
{
	double after = diff_share(t, DIFF_NEW, node->count[DIFF_NEW]);

	return new_shape ? after : (diff_share(t, DIFF_BASE, node->count[DIFF_BASE]) + after) / 2;
}

int diff_svg_write(FILE *out, const struct diff_tree *t, bool new_shape, const char *title)
{
	struct flame_svg_frame *frames = calloc(t->n + 1, sizeof(*frames));

	if (!frames)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct diff_node *node = &t->nodes[i];
		struct flame_svg_frame *f = &frames[i];
		double before = diff_share(t, DIFF_BASE, node->count[DIFF_BASE]);
		double after = diff_share(t, DIFF_NEW, node->count[DIFF_NEW]);
		bool removed = !node->count[DIFF_NEW] && node->count[DIFF_BASE];
		bool added = !node->count[DIFF_BASE] && node->count[DIFF_NEW];

		f->label = t->strings[node->label];
		f->depth = node->depth;
		f->width = width_of(t, node, new_shape);
		colour(f, before, after, removed || added);
		snprintf(f->info, sizeof(f->info), "before %.2f%%, after %.2f%% (%+.2f points)%s",
			 100 * before, 100 * after, 100 * (after - before),
			 removed ? ": gone" : added ? ": new" : "");
	}
	/* Each node's children side by side from its left, in sibling order; parents come first. */
	for (size_t i = 0; i < t->n; i++) {
		double x = frames[i].x;

		for (uint32_t c = t->nodes[i].first_child; c != DIFF_NONE; c = t->nodes[c].next_sibling) {
			frames[c].x = x;
			x += frames[c].width;
		}
	}
	flame_svg_write(out, title, new_shape ?
			"red: a larger share in NEW, blue: a smaller one; widths: NEW's shares" :
			"red: a larger share in NEW, blue: a smaller one (full colour: in one run only); "
			"widths: the two runs' shares averaged", frames, t->n, t->max_depth);
	free(frames);
	return ferror(out) ? -EIO : 0;
}
