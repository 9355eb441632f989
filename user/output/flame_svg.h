/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drawing a flame graph as one self-contained SVG: the frames are drawn by
 * the file itself (any image viewer shows them), and a small embedded
 * script (flamegraph.js) adds what flamegraph.pl's graphs do in a browser:
 * click to zoom, search with the share matched, a details line.  What the
 * frames are, where they sit and what colour they have is the caller's:
 * the flame graph of a profile (flamegraph.c) and the differential one of
 * two (diff_svg.c).
 */
#ifndef PYBPF_FLAME_SVG_H
#define PYBPF_FLAME_SVG_H

#include <stdint.h>
#include <stdio.h>

struct flame_svg_frame {
	const char *label;
	double x, width;	/* fractions of the full width, from its left */
	uint32_t depth;		/* 0: the root, at the bottom */
	uint8_t rgb[3];
	char info[128];		/* the tooltip's last line: "N samples, P%" */
};

/*
 * FRAMES[0..N) (a parent before its children, the root first), MAX_DEPTH
 * the deepest; a frame narrower than a tenth of a pixel is left out, but
 * never the root.  LEGEND, if any, is
 * a line at the bottom left, for what the colours mean.
 */
void flame_svg_write(FILE *out, const char *title, const char *legend,
		     const struct flame_svg_frame *frames, size_t n, uint32_t max_depth);

/* S as XML character data: markup escaped, at most MAX_CHARS code points. */
void xml_write_text(FILE *out, const char *s, size_t max_chars);

#endif
