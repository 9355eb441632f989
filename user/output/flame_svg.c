// SPDX-License-Identifier: BSD-3-Clause
#include "base/utf8.h"
#include "output/flame_svg.h"
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

/* BOTTOM: where the root's box ends, above the footer (and the legend). */
static void write_frame(FILE *out, const struct flame_svg_frame *f, double bottom)
{
	double span = WIDTH - 2 * PADDING;
	double x = PADDING + f->x * span, w = f->width * span;
	double y = bottom - (f->depth + 1) * FRAME_HEIGHT;

	fputs("<g class=\"frame\"><title>", out);
	xml_write_text(out, f->label, SIZE_MAX);
	fputc('\n', out);
	xml_write_text(out, f->info, SIZE_MAX);
	fprintf(out, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" rx=\"2\" "
		"fill=\"rgb(%u,%u,%u)\"/><text x=\"%.2f\" y=\"%.1f\">", x, y, w, FRAME_HEIGHT - 1,
		f->rgb[0], f->rgb[1], f->rgb[2], x + 3, y + FRAME_HEIGHT - 4.5);
	write_fitted(out, f->label, w);
	fputs("</text></g>\n", out);
}

void flame_svg_write(FILE *out, const char *title, const char *legend,
		     const struct flame_svg_frame *frames, size_t n, uint32_t max_depth)
{
	double legend_height = legend ? FRAME_HEIGHT : 0;
	double height = HEADER + (max_depth + 1) * FRAME_HEIGHT + FOOTER + legend_height;

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
	if (legend) {
		fprintf(out, "<text id=\"legend\" x=\"%d\" y=\"%.0f\">", PADDING,
			height - 10 - FRAME_HEIGHT);
		xml_write_text(out, legend, SIZE_MAX);
		fputs("</text>\n", out);
	}
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n", PADDING, height - 10);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\"></text>\n",
		WIDTH - PADDING, height - 10);
	fputs("<g id=\"frames\">\n", out);
	for (size_t i = 0; i < n; i++)
		if (!i || frames[i].width * (WIDTH - 2 * PADDING) >= MIN_WIDTH)
			write_frame(out, &frames[i], height - FOOTER - legend_height);
	fputs("</g>\n</svg>\n", out);
}
