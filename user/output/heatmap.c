// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/utf8.h"
#include "output/heatmap.h"
#include "profile/line_heat.h"
#include "heatmap_css.h"	/* heatmap_css[]: user/output/heatmap.css, by the Makefile */
#include "heatmap_js.h"		/* heatmap_js[]: user/output/heatmap.js */

/*
 * JSON inside a <script> element: besides JSON's own escapes, nothing that
 * could close the element or read as markup ("<", ">", "&"), and the two
 * line separators JavaScript once refused in strings.
 */
static const char *json_in_html(uint32_t cp)
{
	static char control[0x20][8];

	switch (cp) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case '<': return "\\u003c";
	case '>': return "\\u003e";
	case '&': return "\\u0026";
	case 0x7f: return "\\u007f";
	case 0x2028: return "\\u2028";
	case 0x2029: return "\\u2029";
	}
	if (cp < 0x20) {
		if (!control[cp][0])
			snprintf(control[cp], sizeof(control[cp]), "\\u%04x", (unsigned)cp);
		return control[cp];
	}
	return NULL;
}

static const char *html_text(uint32_t cp)
{
	switch (cp) {
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '&': return "&amp;";
	case '"': return "&quot;";
	}
	return cp < 0x20 || cp == 0x7f ? " " : NULL;
}

/* LEN bytes of target text (any bytes, NULs too) as a JSON string. */
static int write_json_bytes(FILE *out, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	fputc('"', out);
	for (size_t at = 0; at <= len;) {
		const char *nul = memchr(text + at, '\0', len - at);
		size_t piece = nul ? (size_t)(nul - (text + at)) : len - at;

		memcpy(copy, text + at, piece);
		copy[piece] = '\0';
		utf8_write_escaped(out, copy, SIZE_MAX, json_in_html);
		if (!nul)
			break;
		fputs("\\ufffd", out);
		at += piece + 1;
	}
	fputc('"', out);
	free(copy);
	return 0;
}

static int write_json_string(FILE *out, const char *s)
{
	return write_json_bytes(out, s, strlen(s));
}

/* "[[line, count], ...]" for the lines with samples. */
static void write_counts(FILE *out, const uint64_t *counts, int32_t max_line)
{
	bool first = true;

	fputc('[', out);
	for (int32_t line = 1; line <= max_line; line++) {
		if (!counts[line])
			continue;
		fprintf(out, "%s[%d,%llu]", first ? "" : ",", line, (unsigned long long)counts[line]);
		first = false;
	}
	fputc(']', out);
}

static int write_file(FILE *out, const struct profile *p, const struct heat_file *f)
{
	const struct prof_source *src = profile_source(p, f->file);
	struct source_lines lines;
	int rc = 0;

	fputs("{\"name\":", out);
	if (write_json_string(out, p->strings[f->file]) || source_lines_split(src, &lines))
		return -ENOMEM;
	fputs(",\"error\":", out);
	if (src && !src->error)
		fputs("null", out);
	else
		rc = write_json_string(out, src ? source_error_text(src->error) :
					    "not recorded (a recording made without sources)");
	fputs(",\"src\":", out);
	if (src && !src->error) {
		fputc('[', out);
		for (size_t i = 0; i < lines.n && !rc; i++) {
			if (i)
				fputc(',', out);
			rc = write_json_bytes(out, lines.start[i], lines.len[i]);
		}
		fputc(']', out);
	} else {
		fputs("null", out);
	}
	source_lines_free(&lines);
	fputs(",\"own\":", out);
	write_counts(out, f->own, f->max_line);
	fputs(",\"total\":", out);
	write_counts(out, f->total, f->max_line);
	fprintf(out, ",\"ownSum\":%llu,\"anywhere\":%llu}", (unsigned long long)f->own_sum,
		(unsigned long long)f->anywhere);
	return rc;
}

static int write_data(FILE *out, const struct profile *p, const struct line_heat *h,
		      const char *title)
{
	size_t *file_index = calloc(p->nstrings + 1, sizeof(*file_index));
	int rc = 0;

	if (!file_index)
		return -ENOMEM;
	fputs("{\"title\":", out);
	rc = write_json_string(out, title);
	fprintf(out, ",\"samples\":%llu,\"files\":[", (unsigned long long)h->samples);
	for (size_t i = 0; i < h->nfiles && !rc; i++) {
		file_index[h->files[i].file] = i;
		fputs(i ? ",\n" : "\n", out);
		rc = write_file(out, p, &h->files[i]);
	}
	fputs("],\"functions\":[", out);
	for (size_t i = 0; i < h->nfunctions && !rc; i++) {
		const struct heat_function *fn = &h->functions[i];

		fputs(i ? ",\n[" : "\n[", out);
		rc = write_json_string(out, p->strings[fn->name]);
		fprintf(out, ",%zu,%d,%d,%llu,%llu]", file_index[fn->file], fn->first_line,
			fn->last_line, (unsigned long long)fn->own, (unsigned long long)fn->total);
	}
	fputs("]}", out);
	free(file_index);
	return rc;
}

int heatmap_write(FILE *out, const struct profile *p, const char *title)
{
	struct line_heat h;
	int rc = line_heat_build(&h, p);
	char what[64];

	if (rc)
		return rc;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"pybpf\">\n<title>", out);
	utf8_write_escaped(out, title, SIZE_MAX, html_text);
	fprintf(out, " (pybpf heat map)</title>\n<style>\n%s</style>\n</head><body>\n", heatmap_css);
	fputs("<header><h1>", out);
	utf8_write_escaped(out, title, SIZE_MAX, html_text);
	profile_describe(p, h.samples, what, sizeof(what));
	fprintf(out, "</h1><span>%s; each line: %s (own) and on the stack (total), "
		     "as shares of all samples</span>\n"
		     "<input id=\"search\" type=\"search\" placeholder=\"Search lines and functions\">"
		     "<span id=\"matches\"></span></header>\n<main>\n"
		     "<h2>Functions</h2>\n<table id=\"functions\"><thead><tr><th>own</th><th>total</th>"
		     "<th>function</th><th>file:first line</th></tr></thead><tbody id=\"function-rows\">"
		     "</tbody></table>\n<h2>Files</h2>\n<div id=\"files\"></div>\n</main>\n"
		     "<script type=\"application/json\" id=\"heat-data\">",
		what, p->unit == PROF_UNIT_BYTES ? "growing memory in it" : "running it");
	rc = write_data(out, p, &h, title);
	fprintf(out, "</script>\n<script>\n%s</script>\n</body></html>\n", heatmap_js);
	line_heat_free(&h);
	if (rc)
		return rc;
	return ferror(out) ? -EIO : 0;
}
