// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include "profile/flame_tree.h"
#include "output/flamegraph.h"
#include "base/utf8.h"
#include "flamegraph_js.h"	/* flamegraph_js[]: user/output/flamegraph.js, by the Makefile */

#define WIDTH		1200	/* px */
#define PADDING		10
#define FRAME_HEIGHT	16
#define HEADER		40
#define FOOTER		30
#define FONT_SIZE	12
#define FONT_WIDTH	(FONT_SIZE * 0.59)	/* average Verdana glyph: flamegraph.pl's estimate */
#define MIN_WIDTH	0.1	/* px: narrower frames are left out */

static const char style[] =
	"text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
	"#title { font-size: 17px; }\n"
	"#search, #reset { cursor: pointer; }\n"
	".frame { cursor: pointer; }\n"
	".frame:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	".parent { opacity: 0.5; }\n"
	".hidden { display: none; }\n";

/* XML 1.0 has no place for most control characters, nor U+FFFE/U+FFFF. */
static const char *xml_escape(uint32_t cp)
{
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\t': case '\n': case '\r': return NULL;
	default: return cp < 0x20 || cp == 0xfffe || cp == 0xffff ? UTF8_REPLACEMENT_TEXT : NULL;
	}
}

void xml_write_text(FILE *out, const char *s, size_t max_chars)
{
	utf8_write_escaped(out, s, max_chars, xml_escape);
}

static size_t code_points(const char *s)
{
	size_t n = 0;

	while (*s) {
		utf8_next(&s);
		n++;
	}
	return n;
}

/* As much of LABEL as fits WIDTH, cut with ".." (flamegraph.js does the same). */
static void write_fitted(FILE *out, const char *label, double width)
{
	long chars = (long)((width - 6) / FONT_WIDTH);

	if (chars < 3)
		return;
	if (code_points(label) <= (size_t)chars) {
		xml_write_text(out, label, SIZE_MAX);
	} else {
		xml_write_text(out, label, chars - 2);
		fputs("..", out);
	}
}

/* Warm colours, the same for every line of a function (the label before " ("). */
static void write_fill(FILE *out, const struct flame_node *node)
{
	const char *end = strstr(node->label, " (");
	size_t len = end ? (size_t)(end - node->label) : strlen(node->label);
	uint32_t h = 2166136261u;	/* FNV-1a */

	if (node->depth <= 1) {	/* the root and the threads */
		fputs("rgb(200,200,200)", out);
		return;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)node->label[i]) * 16777619u;
	fprintf(out, "rgb(%u,%u,%u)", 205 + (h & 0xff) * 50 / 255,
		(h >> 8 & 0xff) * 230 / 255, (h >> 16 & 0xff) * 55 / 255);
}

static void write_node(FILE *out, const struct flame_tree *tree, const struct flame_node *node,
		       double height)
{
	uint64_t total = tree->nodes[0].samples ? tree->nodes[0].samples : 1;
	double scale = (double)(WIDTH - 2 * PADDING) / total;
	double x = PADDING + node->offset * scale, w = node->samples * scale;
	double y = height - FOOTER - (node->depth + 1) * FRAME_HEIGHT;

	fputs("<g class=\"frame\"><title>", out);
	xml_write_text(out, node->label, SIZE_MAX);
	fprintf(out, "\n%llu samples, %.2f%%</title>", (unsigned long long)node->samples,
		100.0 * node->samples / total);
	fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"",
		x, y, w, FRAME_HEIGHT - 1);
	write_fill(out, node);
	fprintf(out, "\"/><text x=\"%.2f\" y=\"%.1f\">", x + 3, y + FRAME_HEIGHT - 4.5);
	write_fitted(out, node->label, w);
	fputs("</text></g>\n", out);
}

static void write_svg(FILE *out, const struct flame_tree *tree, const char *title)
{
	double height = HEADER + (tree->max_depth + 1) * FRAME_HEIGHT + FOOTER;
	double min_samples = MIN_WIDTH * tree->nodes[0].samples / (WIDTH - 2 * PADDING);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", out);
	fprintf(out, "<svg version=\"1.1\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", WIDTH, height, WIDTH, height);
	fprintf(out, "<style>\n%s</style>\n", style);
	fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", flamegraph_js);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#f8f8f8\"/>\n", out);
	fprintf(out, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", WIDTH / 2);
	xml_write_text(out, title, SIZE_MAX);
	fputs("</text>\n", out);
	fprintf(out, "<text id=\"reset\" class=\"hidden\" x=\"%d\" y=\"24\">Reset Zoom</text>\n", PADDING);
	fprintf(out, "<text id=\"search\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search</text>\n",
		WIDTH - PADDING);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n", PADDING, height - 10);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\"></text>\n",
		WIDTH - PADDING, height - 10);
	fputs("<g id=\"frames\">\n", out);
	for (size_t i = 0; i < tree->n; i++)
		if (tree->nodes[i].samples >= min_samples)
			write_node(out, tree, &tree->nodes[i], height);
	fputs("</g>\n</svg>\n", out);
}

int flamegraph_write(FILE *out, const struct profile *p, const char *title)
{
	struct flame_tree tree;
	int rc = flame_tree_build(&tree, p);

	if (!rc)
		write_svg(out, &tree, title);
	flame_tree_free(&tree);
	return rc ? rc : ferror(out) ? -EIO : 0;
}
