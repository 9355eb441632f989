// SPDX-License-Identifier: BSD-3-Clause
/*
 * Line-table decoding, checked against the lines CPython itself reports,
 * and on 3.11+ the start columns (co_positions()); on 3.8-3.10, whose
 * tables hold none, every position must come without a column.
 *
 * The fixtures, $PYBPF_FIXTURES/linetable-*.txt, are written by
 * tools/gen-linetable-fixtures.py, one per interpreter (see there for the
 * format).  The hand-written tests below cover what real tables rarely or
 * never contain, and garbage.  Tables are always copied to heap blocks of
 * their exact size so that AddressSanitizer catches any read past the end.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/linetable.h"

/* Mismatches printed per fixture file before going quiet. */
#define MAX_REPORTED 10

/* What one fixture file held, and how decoding it went. */
struct fixture_stats {
	char version[32];	/* "3.11.7", from the "# python" header */
	long codes;		/* code objects */
	long offsets;		/* offsets compared */
	long no_line;		/* ... of which CPython says have no line */
	long columns;		/* offsets with a start column (3.11+) */
	long wide_columns;	/* ... of which past 127 (long-form entries) */
	long no_column;		/* offsets with a line but no column */
	long mismatches;	/* decoder disagreed with CPython */
	long bad_lines;		/* unparsable lines */
	unsigned formats;	/* bit per enum linetable_format seen */
};

/* The totals over every fixture file. */
struct fixture_totals {
	int files;
	int has_311;		/* a fixture made by a 3.11 interpreter */
	int has_pre_311;	/* ... and one by 3.8-3.10, whose tables have no columns */
	long codes, offsets, no_line, columns, mismatches, bad_lines;
	unsigned formats;
};

static uint8_t *dup_table(const void *bytes, size_t len)
{
	uint8_t *t = malloc(len ? len : 1);

	cr_assert_not_null(t);
	if (len)
		memcpy(t, bytes, len);
	return t;
}

/* Decode LEN bytes from a fresh exact-size copy of BYTES. */
static int line_at(enum linetable_format fmt, const void *bytes, size_t len,
		   int firstlineno, int offset)
{
	uint8_t *t = dup_table(bytes, len);
	int line = linetable_line(fmt, t, len, firstlineno, offset);

	free(t);
	return line;
}

/* The same for the start column. */
static int column_at(enum linetable_format fmt, const void *bytes, size_t len,
		     int firstlineno, int offset)
{
	uint8_t *t = dup_table(bytes, len);
	int column = linetable_position(fmt, t, len, firstlineno, offset).column;

	free(t);
	return column;
}

static int parse_format(const char *s, enum linetable_format *fmt)
{
	if (!strcmp(s, "lnotab"))
		*fmt = LINETABLE_LNOTAB;
	else if (!strcmp(s, "linetable310"))
		*fmt = LINETABLE_310;
	else if (!strcmp(s, "locations"))
		*fmt = LINETABLE_LOCATIONS;
	else
		return -1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse HEX ("-" = empty) into a new exact-size block; NULL if malformed. */
static uint8_t *parse_hex(const char *hex, size_t *len)
{
	int empty = !strcmp(hex, "-");
	size_t n = empty ? 0 : strlen(hex) / 2;
	uint8_t *t;

	if (!empty && (n == 0 || strlen(hex) != 2 * n))
		return NULL;
	t = malloc(n ? n : 1);
	cr_assert_not_null(t);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(t);
			return NULL;
		}
		t[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n;
	return t;
}

/* The code object whose offsets are being compared. */
struct code {
	char name[256];
	char source[256];
	int firstlineno;
	enum linetable_format fmt;
	uint8_t *table;
	size_t len;
	int last_offset;	/* -1 before the first offset line */
	int decode;		/* decode and compare, or only count */
};

static void mismatch(const char *path, struct fixture_stats *st, const struct code *c,
		     int offset, const char *what, int got, int want)
{
	if (st->mismatches++ < MAX_REPORTED)
		fprintf(stderr, "%s: %s: %s (line %d): offset %d: got %s %d, "
			"CPython says %d\n", path, c->source, c->name,
			c->firstlineno, offset, what, got, want);
}

/* Decode OFFSET of C and compare with CPython's WANT. */
static void compare(const char *path, struct fixture_stats *st, const struct code *c,
		    int offset, struct linetable_pos want)
{
	struct linetable_pos got = linetable_position(c->fmt, c->table, c->len, c->firstlineno,
						      offset);

	if (got.line != want.line)
		mismatch(path, st, c, offset, "line", got.line, want.line);
	if (got.column != want.column)
		mismatch(path, st, c, offset, "column", got.column, want.column);
}

/*
 * Checks that only make sense once all of a code object's offsets are
 * known: a negative offset gives co_firstlineno, and just past the last
 * offset is past the table (lnotab tables do not say where the code ends).
 */
static void finish_code(const char *path, struct fixture_stats *st,
			struct code *c)
{
	static const struct linetable_pos past_end = { -1, LINETABLE_NO_COLUMN };

	if (!c->table)
		return;
	if (!c->decode)
		goto out;
	compare(path, st, c, -1, (struct linetable_pos){ c->firstlineno, LINETABLE_NO_COLUMN });
	if (c->fmt != LINETABLE_LNOTAB && c->last_offset >= 0)
		compare(path, st, c, c->last_offset + 2, past_end);
out:
	free(c->table);
	c->table = NULL;
}

/* A "code NAME FIRSTLINENO FORMAT HEX" line. */
static int start_code(const char *line, struct code *c)
{
	char fmt[32], *hex = NULL;
	int ok;

	ok = sscanf(line, "code %255s %d %31s %ms", c->name, &c->firstlineno,
		    fmt, &hex) == 4 &&
	     !parse_format(fmt, &c->fmt) &&
	     (c->table = parse_hex(hex, &c->len)) != NULL;
	free(hex);
	c->last_offset = -1;
	return ok ? 0 : -1;
}

/*
 * An "OFFSET LINE" line, "OFFSET LINE COLUMN" for 3.11+ tables (a fixture
 * without the columns is stale: a bad line): decode and compare.  Tables
 * before 3.11 have no columns, so there the decoder must give none.
 */
static int check_offset(const char *path, struct fixture_stats *st,
			struct code *c, const char *line)
{
	struct linetable_pos want = { .column = LINETABLE_NO_COLUMN };
	int offset, fields;

	if (!c->table)
		return -1;
	fields = sscanf(line, "%d %d %d", &offset, &want.line, &want.column);
	if (fields != (c->fmt == LINETABLE_LOCATIONS ? 3 : 2))
		return -1;
	if (c->decode)
		compare(path, st, c, offset, want);
	st->offsets++;
	st->no_line += want.line == -1;
	st->columns += want.column != LINETABLE_NO_COLUMN;
	st->wide_columns += want.column > 127;
	st->no_column += want.line != -1 && want.column == LINETABLE_NO_COLUMN;
	c->last_offset = offset;
	return 0;
}

static void check_fixture(const char *path, struct fixture_stats *st,
			  int decode)
{
	FILE *f = fopen(path, "r");
	struct code c = { .source = "?", .decode = decode };
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	cr_assert_not_null(f, "cannot open %s", path);
	memset(st, 0, sizeof(*st));
	while ((n = getline(&line, &size, f)) > 0) {
		int bad = 0;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strncmp(line, "# python ", 9)) {
			snprintf(st->version, sizeof(st->version), "%s", line + 9);
		} else if (!strncmp(line, "# source ", 9)) {
			snprintf(c.source, sizeof(c.source), "%s", line + 9);
		} else if (!strncmp(line, "code ", 5)) {
			finish_code(path, st, &c);
			bad = start_code(line, &c);
			if (!bad) {
				st->codes++;
				st->formats |= 1u << c.fmt;
			}
		} else if (line[0] != '#' && line[0] != '\0') {
			bad = check_offset(path, st, &c, line);
		}
		if (bad && st->bad_lines++ < MAX_REPORTED)
			fprintf(stderr, "%s: bad line: %.80s\n", path, line);
	}
	finish_code(path, st, &c);
	free(line);
	fclose(f);
}

/*
 * Count what every fixture file holds; with DECODE, also decode it all,
 * compare and print a summary line per file.
 */
static void check_fixtures(struct fixture_totals *tot, int decode)
{
	const char *dir = getenv("PYBPF_FIXTURES");
	char *pattern;
	glob_t g;

	cr_assert(dir && *dir, "PYBPF_FIXTURES must name the fixture directory");
	cr_assert(asprintf(&pattern, "%s/linetable-*.txt", dir) > 0);
	memset(tot, 0, sizeof(*tot));
	if (glob(pattern, 0, NULL, &g) != 0)
		g.gl_pathc = 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct fixture_stats st;

		check_fixture(g.gl_pathv[i], &st, decode);
		if (decode)
			fprintf(stderr, "%s: python %s: %ld code objects, "
				"%ld offsets (%ld without a line, %ld with a column), "
				"%ld mismatches\n", g.gl_pathv[i],
				st.version[0] ? st.version : "?", st.codes,
				st.offsets, st.no_line, st.columns, st.mismatches);
		tot->files++;
		tot->has_311 |= !strncmp(st.version, "3.11.", 5);
		tot->has_pre_311 |= !!(st.formats & ~(1u << LINETABLE_LOCATIONS));
		tot->codes += st.codes;
		tot->offsets += st.offsets;
		tot->no_line += st.no_line;
		tot->columns += st.columns;
		tot->mismatches += st.mismatches;
		tot->bad_lines += st.bad_lines;
		tot->formats |= st.formats;
		/* Each fixture holds stdlib modules: it cannot be tiny. */
		cr_expect_geq(st.codes, 100, "%s: only %ld code objects",
			      g.gl_pathv[i], st.codes);
		cr_expect_geq(st.offsets, 10000, "%s: only %ld offsets",
			      g.gl_pathv[i], st.offsets);
		/* 3.10+ tables always have some lineless instructions. */
		if (st.formats & ~(1u << LINETABLE_LNOTAB))
			cr_expect_gt(st.no_line, 0, "%s: no lineless offsets",
				     g.gl_pathv[i]);
		/*
		 * 3.11+ tables: most offsets have a column, some past 127
		 * (long form), some a line but none (no-column entries).
		 */
		if (st.formats & (1u << LINETABLE_LOCATIONS)) {
			cr_expect_gt(st.columns, st.offsets / 2, "%s: few columns", g.gl_pathv[i]);
			cr_expect_gt(st.wide_columns, 0, "%s: no column past 127", g.gl_pathv[i]);
			cr_expect_gt(st.no_column, 0, "%s: no line without a column", g.gl_pathv[i]);
		}
	}
	if (g.gl_pathc)
		globfree(&g);
	free(pattern);
}

Test(linetable_fixtures, match_cpython)
{
	struct fixture_totals tot;

	check_fixtures(&tot, 1);
	cr_assert_gt(tot.files, 0, "no linetable-*.txt in $PYBPF_FIXTURES");
	cr_expect_eq(tot.bad_lines, 0, "%ld malformed fixture lines",
		     tot.bad_lines);
	cr_expect_eq(tot.mismatches, 0, "%ld of %ld offsets decoded wrongly",
		     tot.mismatches, tot.offsets);
}

Test(linetable_fixtures, have_python_311)
{
	struct fixture_totals tot;

	check_fixtures(&tot, 0);
	cr_assert(tot.has_311, "no fixture made by Python 3.11 "
		  "(\"# python 3.11.x\") in $PYBPF_FIXTURES");
	cr_assert(tot.formats & (1u << LINETABLE_LOCATIONS));
	cr_assert_gt(tot.columns, 10000, "only %ld columns checked", tot.columns);
}

/* The "no column" of 3.8-3.10 is checked on real tables too. */
Test(linetable_fixtures, have_python_before_311)
{
	struct fixture_totals tot;

	check_fixtures(&tot, 0);
	cr_assert(tot.has_pre_311, "no fixture made by Python 3.8-3.10 in $PYBPF_FIXTURES");
}

Test(linetable_fixtures, enough_checked)
{
	struct fixture_totals tot;

	check_fixtures(&tot, 0);
	cr_assert_geq(tot.codes, 1000, "only %ld code objects checked",
		      tot.codes);
	cr_assert_geq(tot.offsets, 100000, "only %ld offsets checked",
		      tot.offsets);
	cr_assert_gt(tot.no_line, 0, "no lineless offsets checked");
}

/* ---- CPython 3.8/3.9 co_lnotab ---------------------------------------- */

Test(linetable_lnotab, basics)
{
	/* +1 line at 6, +2 at 10, -3 also at 10, +1 at 20. */
	static const uint8_t t[] = { 6, 1, 4, 2, 0, 0xfd, 10, 1 };

	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, -1), 50);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, -100), 50);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 0), 50);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 4), 50);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 6), 51);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 8), 51);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 10), 50);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 18), 50);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 20), 51);
	/* The last line runs to the end of the code, wherever that is. */
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 50, 100000), 51);
}

Test(linetable_lnotab, big_jumps)
{
	/*
	 * +300 lines in three pairs, 300 bytes in two, then -200 in two.
	 * Pairs with no address delta apply at the address already reached.
	 */
	static const uint8_t t[] = { 0, 127, 0, 127, 2, 46, 255, 0, 45, 0,
				     0, 0x80, 2, 0xb8 };

	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 1, 0), 255);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 1, 2), 301);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 1, 300), 301);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 1, 302), 173);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 1, 304), 101);
}

Test(linetable_lnotab, empty_and_odd)
{
	static const uint8_t t[] = { 4, 1, 4 };

	/* No table: everything is on the first line. */
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, 0, 7, 0), 7);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, 0, 7, 1000), 7);
	cr_expect_eq(linetable_line(LINETABLE_LNOTAB, NULL, 0, 7, 10), 7);
	/* A trailing half pair is ignored. */
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 7, 4), 8);
	cr_expect_eq(line_at(LINETABLE_LNOTAB, t, sizeof(t), 7, 8), 8);
}

/* ---- CPython 3.10 co_linetable ----------------------------------------- */

Test(linetable_310, basics_and_no_line)
{
	/*
	 * [0,4) +1; [4,6) no line (running line stays); zero-length +5;
	 * [6,10) -1.
	 */
	static const uint8_t t[] = { 4, 1, 2, 0x80, 0, 5, 4, 0xff };

	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, -1), 10);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 0), 11);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 2), 11);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 4), -1);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 6), 15);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 8), 15);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 10), -1);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 10, 1 << 30), -1);
}

Test(linetable_310, empty_and_truncated)
{
	static const uint8_t t[] = { 4, 1, 4 };

	cr_expect_eq(line_at(LINETABLE_310, t, 0, 3, 0), -1);
	cr_expect_eq(line_at(LINETABLE_310, t, 0, 3, -1), 3);
	cr_expect_eq(linetable_line(LINETABLE_310, NULL, 0, 3, 0), -1);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 3, 2), 4);
	cr_expect_eq(line_at(LINETABLE_310, t, sizeof(t), 3, 4), -1);
}

/* ---- CPython 3.11+ location table -------------------------------------- */

/* Entry first byte: bit 7, code in bits 3-6, length - 1 in bits 0-2. */
#define LOC(code, units) (0x80 | (code) << 3 | ((units) - 1))

static const uint8_t loc_table[] = {
	LOC(10, 1), 4, 9,		/* [0,2)   one-line, +0 */
	LOC(11, 2), 0, 3,		/* [2,6)   one-line, +1 */
	LOC(15, 1),			/* [6,8)   no location */
	LOC(13, 1), 0x07,		/* [8,10)  no columns, -3 */
	/* [10,16) long form: +1000 (svarint 2000 = 0x50 0x1f), end line
	 * +0, columns stored plus one: 200 (0x48 0x03) to 210 (0x52 0x03). */
	LOC(14, 3), 0x50, 0x1f, 0x00, 0x48, 0x03, 0x52, 0x03,
	LOC(0, 1), 0x05,		/* [16,18) short form, +0 */
};

Test(linetable_locations, all_forms)
{
	const size_t n = sizeof(loc_table);

	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, -1), 20);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 0), 20);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 2), 21);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 4), 21);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 6), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 8), 18);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 10), 1018);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 14), 1018);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 16), 1018);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 18), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, loc_table, n, 20, 1 << 30), -1);
}

Test(linetable_locations, all_forms_columns)
{
	const size_t n = sizeof(loc_table);

	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, -1), LINETABLE_NO_COLUMN);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 0), 4);
	/* Column 0 is the first column, not "none". */
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 2), 0);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 4), 0);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 6), LINETABLE_NO_COLUMN);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 8), LINETABLE_NO_COLUMN);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 10), 199);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 14), 199);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 16), 0);
	cr_expect_eq(column_at(LINETABLE_LOCATIONS, loc_table, n, 20, 18), LINETABLE_NO_COLUMN);
}

/* Every way a 3.11+ entry gives a start column, or none. */
static const uint8_t column_table[] = {
	LOC(9, 1), 0x35,			/* [0,2)   short form: 9 << 3 | 3 */
	LOC(0, 1), 0x05,			/* [2,4)   short form: 0 */
	LOC(12, 1), 127, 127,			/* [4,6)   one-line, +2: 127 */
	LOC(14, 1), 0x00, 0x00, 0x00, 0x00,	/* [6,8)   long form, stored 0: none */
	LOC(14, 1), 0x00, 0x00, 0x48, 0x03, 0x52, 0x03,	/* [8,10) long form: 199 */
	LOC(14, 1), 0x00, 0x00, 0x01, 0x01,	/* [10,12) long form, stored 1: 0 */
	LOC(13, 1), 0x00,			/* [12,14) no columns */
	LOC(15, 1),				/* [14,16) no location */
	LOC(14, 1), 0x00, 0x00, 0x48,		/* [16,18) long form, column cut short */
	LOC(10, 1),				/* [18,20) one-line, no column byte */
	LOC(3, 1),				/* [20,22) short form, no second byte */
	LOC(14, 1), 0x00, 0x00,			/* [22,24) long form, no column field */
};

Test(linetable_locations, columns)
{
	static const struct { int offset, line, column; } want[] = {
		{ 0, 100, 75 }, { 2, 100, 0 }, { 4, 102, 127 },
		{ 6, 102, LINETABLE_NO_COLUMN }, { 8, 102, 199 }, { 10, 102, 0 },
		{ 12, 102, LINETABLE_NO_COLUMN }, { 14, -1, LINETABLE_NO_COLUMN },
		{ 16, 102, LINETABLE_NO_COLUMN }, { 18, 102, LINETABLE_NO_COLUMN },
		{ 20, 102, LINETABLE_NO_COLUMN }, { 22, 102, LINETABLE_NO_COLUMN },
		{ 24, -1, LINETABLE_NO_COLUMN },
	};
	uint8_t *t = dup_table(column_table, sizeof(column_table));

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct linetable_pos got = linetable_position(LINETABLE_LOCATIONS, t,
							      sizeof(column_table), 100,
							      want[i].offset);

		cr_expect_eq(got.line, want[i].line, "offset %d: line %d", want[i].offset, got.line);
		cr_expect_eq(got.column, want[i].column, "offset %d: column %d", want[i].offset,
			     got.column);
	}
	free(t);
}

/* A cut table gives the whole one's position, or none at all: never another column. */
Test(linetable_locations, cut_tables_never_invent_columns)
{
	for (size_t n = 0; n <= sizeof(column_table); n++) {
		uint8_t *t = dup_table(column_table, n);

		for (int off = -2; off < 30; off++) {
			struct linetable_pos cut = linetable_position_prefix(LINETABLE_LOCATIONS, t, n,
									     100, off);
			struct linetable_pos whole = linetable_position(LINETABLE_LOCATIONS,
									column_table,
									sizeof(column_table),
									100, off);

			if (cut.line == -1)
				cr_expect_eq(cut.column, LINETABLE_NO_COLUMN, "%zu bytes, offset %d",
					     n, off);
			else
				cr_expect(cut.line == whole.line && cut.column == whole.column,
					  "%zu bytes, offset %d: (%d, %d), whole (%d, %d)", n, off,
					  cut.line, cut.column, whole.line, whole.column);
		}
		free(t);
	}
}

Test(linetable_locations, no_location_keeps_line)
{
	/* +2, no location, +0: the no-location entry does not reset. */
	static const uint8_t t[] = { LOC(12, 1), 1, 2, LOC(15, 8), LOC(0, 1), 0 };

	cr_expect_eq(line_at(LINETABLE_LOCATIONS, t, sizeof(t), 5, 0), 7);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, t, sizeof(t), 5, 2), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, t, sizeof(t), 5, 16), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, t, sizeof(t), 5, 18), 7);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, t, sizeof(t), 5, 20), -1);
}

Test(linetable_locations, varint_edge_cases)
{
	/* A truncated varint (continuation bit, then the end): +1. */
	static const uint8_t cut[] = { LOC(13, 1), 0x42 };
	/* A varint far longer than 32 bits, then a valid entry. */
	static const uint8_t huge[] = { LOC(13, 1), 0x7f, 0x7f, 0x7f, 0x7f,
					0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f,
					0x01, LOC(15, 1) };

	cr_expect_eq(line_at(LINETABLE_LOCATIONS, cut, sizeof(cut), 1, 0), 2);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, cut, sizeof(cut), 1, 2), -1);
	(void)line_at(LINETABLE_LOCATIONS, huge, sizeof(huge), 1, 0);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, huge, sizeof(huge), 1, 2), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, huge, sizeof(huge), 1, 4), -1);
}

Test(linetable_locations, garbage)
{
	uint8_t ff[64];

	memset(ff, 0xff, sizeof(ff));
	/* Every 0xff byte is an 8-unit no-location entry. */
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, ff, sizeof(ff), 1, 0), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, ff, sizeof(ff), 1, 1000), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, ff, sizeof(ff), 1, -1), 1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, ff, 0, 1, 0), -1);
	cr_expect_eq(linetable_line(LINETABLE_LOCATIONS, NULL, 0, 1, 0), -1);
	/* Every prefix of a valid table: entries cut short, nothing past. */
	for (size_t n = 0; n <= sizeof(loc_table); n++)
		for (int off = -2; off < 40; off++)
			(void)line_at(LINETABLE_LOCATIONS, loc_table, n, 1, off);
}

/* ---- All formats -------------------------------------------------------- */

/* Any table: a column is real (>= 0) or none; none without a line, or before 3.11. */
static void check_garbage_position(enum linetable_format fmt, const uint8_t *bytes, size_t len,
				   int firstlineno, int offset)
{
	uint8_t *t = dup_table(bytes, len);
	struct linetable_pos pos = linetable_position(fmt, t, len, firstlineno, offset);

	free(t);
	cr_expect(pos.column >= 0 || pos.column == LINETABLE_NO_COLUMN, "column %d", pos.column);
	if (pos.line == -1 || fmt != LINETABLE_LOCATIONS)
		cr_expect_eq(pos.column, LINETABLE_NO_COLUMN, "format %d, line %d: column %d",
			     fmt, pos.line, pos.column);
}

Test(linetable_any, no_columns_before_311)
{
	/* The hand-made tables of the lnotab and 3.10 tests above. */
	static const uint8_t lnotab[] = { 6, 1, 4, 2, 0, 0xfd, 10, 1 };
	static const uint8_t t310[] = { 4, 1, 2, 0x80, 0, 5, 4, 0xff };

	for (int off = -1; off < 40; off++) {
		cr_expect_eq(column_at(LINETABLE_LNOTAB, lnotab, sizeof(lnotab), 50, off),
			     LINETABLE_NO_COLUMN);
		cr_expect_eq(column_at(LINETABLE_310, t310, sizeof(t310), 10, off),
			     LINETABLE_NO_COLUMN);
	}
}

Test(linetable_any, garbage_tables)
{
	static const enum linetable_format fmts[] = {
		LINETABLE_LNOTAB, LINETABLE_310, LINETABLE_LOCATIONS,
	};
	uint8_t ff[257], buf[64];
	uint32_t seed = 12345;

	memset(ff, 0xff, sizeof(ff));
	for (size_t f = 0; f < 3; f++) {
		cr_expect_eq(column_at(fmts[f], ff, sizeof(ff), 9, -5), LINETABLE_NO_COLUMN);
		cr_expect_eq(line_at(fmts[f], ff, sizeof(ff), 9, -5), 9);
		(void)line_at(fmts[f], ff, sizeof(ff), 9, 0);
		(void)line_at(fmts[f], ff, sizeof(ff), 9, 1 << 20);
		cr_expect_eq(line_at(fmts[f], ff, 0, 9, -1), 9);
	}
	/* Every byte encodes at most 255 bytes of code, so far beyond the
	 * end is past the table (except for lnotab, which has no end). */
	cr_expect_eq(line_at(LINETABLE_310, ff, sizeof(ff), 9, 1 << 20), -1);
	cr_expect_eq(line_at(LINETABLE_LOCATIONS, ff, sizeof(ff), 9, 1 << 20),
		     -1);

	/* Random tables: nothing may crash or read out of bounds (ASan). */
	for (int round = 0; round < 500; round++) {
		size_t len = (size_t)round % sizeof(buf);

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			buf[i] = (uint8_t)(seed >> 16);
		}
		for (size_t f = 0; f < 3; f++) {
			for (int off = -1; off < 600; off += 3)
				check_garbage_position(fmts[f], buf, len, round, off);
			if (fmts[f] != LINETABLE_LNOTAB)
				cr_expect_eq(line_at(fmts[f], buf, len, round,
						     (int)(255 * len + 1)), -1);
		}
	}
}
