// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/symbolizer.c naming code objects from the kernel's reports (struct
 * pyperf_code_info) after the code object is gone: the target here is a
 * process that does not exist, so every read of its memory fails, as it
 * does for a code object freed between the sample and userspace.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "python/linetable.h"
#include "profile/profile.h"
#include "python/python_target.h"
#include "python/symbolizer.h"

#define GONE_PID 0x7ffffff0	/* above any pid_max: reads fail */

static struct profile P;
static struct python_target T;
static struct symbolizer S;
static struct pyperf_code_info info;

static void setup(void)
{
	profile_init(&P, 10000000);
	memset(&T, 0, sizeof(T));
	T.pid = GONE_PID;
	T.layout = *py_layout_static(3, 11, false);
	cr_assert_eq(symbolizer_init(&S, &T, &P), 0);
	memset(&info, 0, sizeof(info));
}

static void teardown(void)
{
	symbolizer_free(&S);
	profile_free(&P);
}

TestSuite(code_reports, .init = setup, .fini = teardown);

/*
 * A compact str object of KIND as the kernel copies it: the header (and the
 * characters where they fit) into HEAD, the rest into TAIL (its first
 * TAIL_MAX bytes).  Returns the bytes put in TAIL.
 */
static uint16_t put_str(uint8_t *head, uint8_t *tail, size_t tail_max, int kind,
			const void *chars, uint64_t length)
{
	const struct pyperf_offsets *o = &T.layout.bpf;
	uint32_t state = ((uint32_t)kind << o->str_kind_shift) | o->str_compact_mask |
			 (kind == 1 ? o->str_ascii_mask : 0);
	size_t at = kind == 1 ? o->str_ascii_data : o->str_compact_data, bytes = length * kind;
	uint64_t hash = 12345;

	memcpy(head + o->str_length, &length, 8);
	memcpy(head + o->str_state, &state, 4);
	memcpy(head + o->str_hash, &hash, 8);
	if (at + bytes <= PYPERF_STR_HEAD) {
		memcpy(head + at, chars, bytes);
		return 0;
	}
	bytes = bytes < tail_max ? bytes : tail_max;
	memcpy(tail, chars, bytes);
	return (uint16_t)bytes;
}

/* A line table of SIZE bytes, the first COPIED of them in the report. */
static void put_table(const uint8_t *table, uint64_t size, uint32_t copied)
{
	const struct pyperf_offsets *o = &T.layout.bpf;

	memcpy(info.table_head + o->varobject_size, &size, 8);
	if (o->bytes_data + size <= PYPERF_STR_HEAD) {
		memcpy(info.table_head + o->bytes_data, table, size);
		return;
	}
	memcpy(info.table, table, copied);
	info.table_len = copied;
}

static size_t record_size(void)
{
	return offsetof(struct pyperf_code_info, table) + info.table_len;
}

static const struct prof_frame *frame_at(uint64_t code, uint32_t fingerprint, int32_t offset)
{
	struct pyperf_frame f = { .code = code, .instr_offset = offset, .fingerprint = fingerprint };

	return &P.frames[symbolizer_frame(&S, &f)];
}

/* 3.11 location table entries: one line, LEN code units, line delta DELTA (0..2). */
#define ONE_LINE(delta, len) (uint8_t)(0x80 | ((10 + (delta)) << 3) | ((len) - 1)), 0, 0

Test(code_reports, freed_code_object_named_from_its_report)
{
	static const uint8_t table[] = { ONE_LINE(0, 1), ONE_LINE(1, 2), ONE_LINE(2, 1) };

	info.code = 0x7f0000001230;
	info.fingerprint = 0xabcdef;
	info.firstlineno = 40;
	info.name_len = put_str(info.name_head, info.name, sizeof(info.name), 1, "Job.run", 7);
	info.file_len = put_str(info.file_head, info.file, sizeof(info.file), 1, "/srv/app/jobs.py", 16);
	put_table(table, sizeof(table), 0);
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);
	cr_assert_eq(S.codes_reported, 1);

	const struct prof_frame *f = frame_at(info.code, info.fingerprint, 2);

	cr_assert_str_eq(P.strings[f->name], "Job.run");
	cr_assert_str_eq(P.strings[f->file], "/srv/app/jobs.py");
	cr_assert_eq(f->line, 41, "offset 2 is in the second entry: line %d", f->line);
	/* The same address with another fingerprint is another code object: unknown. */
	cr_assert_eq(frame_at(info.code, 0x1111, 2) - P.frames, S.unknown_frame);
	/* A second report of the same one changes nothing. */
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);
	cr_assert_eq(S.codes_reported, 1);
}

Test(code_reports, long_and_wide_names_from_the_tail)
{
	static const uint16_t han[] = { 0x51fd, 0x6570, 0x51fd, 0x6570, 0x51fd, 0x6570, 0x51fd,
					0x6570, 0x51fd, 0x6570, 0x51fd, 0x6570, 0x51fd, 0x6570 };	/* 函数 x7 */
	char file[300];

	memset(file, 'a', sizeof(file));
	file[0] = '/';
	info.code = 0x7f0000002000;
	info.fingerprint = 7;
	info.firstlineno = 1;
	info.name_len = put_str(info.name_head, info.name, sizeof(info.name), 2, han, 14);
	info.file_len = put_str(info.file_head, info.file, sizeof(info.file), 1, file, sizeof(file));
	put_table((const uint8_t[]){ ONE_LINE(0, 4) }, 3, 0);
	cr_assert_gt(info.name_len, 0, "28 bytes of UCS-2 after a 72-byte header go to the tail");
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);

	const struct prof_frame *f = frame_at(info.code, 7, 0);

	cr_assert_str_eq(P.strings[f->name], "函数函数函数函数函数函数函数");
	cr_assert_eq(strlen(P.strings[f->file]), sizeof(file));
}

Test(code_reports, name_longer_than_the_report_is_marked_cut)
{
	char name[600];

	memset(name, 'x', sizeof(name));
	info.code = 0x7f0000003000;
	info.fingerprint = 9;
	info.name_len = put_str(info.name_head, info.name, sizeof(info.name), 1, name, sizeof(name));
	info.file_len = put_str(info.file_head, info.file, sizeof(info.file), 1, "f.py", 4);
	put_table((const uint8_t[]){ ONE_LINE(0, 4) }, 3, 0);
	cr_assert_eq(info.name_len, PYPERF_NAME_BYTES);
	/* The target is gone, so the report's start of it is all there is: marked. */
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);

	const char *got = P.strings[frame_at(info.code, 9, 0)->name];

	cr_assert_eq(strncmp(got, name, PYPERF_NAME_BYTES - 8), 0);
	cr_assert(strstr(got, "...") == got + strlen(got) - 3, "cut name %s not marked", got);
}

Test(code_reports, cut_line_table_answers_only_what_it_covers)
{
	uint8_t table[4000];
	size_t n = 0;

	/* 1000 one-line entries of 2 code units, each one line down. */
	while (n + 3 <= sizeof(table)) {
		uint8_t e[] = { ONE_LINE(1, 2) };

		memcpy(table + n, e, 3);
		n += 3;
	}
	info.code = 0x7f0000004000;
	info.fingerprint = 11;
	info.firstlineno = 100;
	info.name_len = put_str(info.name_head, info.name, sizeof(info.name), 1, "big", 3);
	info.file_len = put_str(info.file_head, info.file, sizeof(info.file), 1, "big.py", 6);
	put_table(table, n, 300);	/* 100 entries of it */
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);
	/* Entry k covers bytes [4k, 4k+4) and says line 100 + k + 1. */
	cr_assert_eq(frame_at(info.code, 11, 4 * 50)->line, 151);
	cr_assert_eq(frame_at(info.code, 11, 4 * 98)->line, 199);
	/* Past the cut, with the code object gone: unknown (0), never a guess. */
	cr_assert_eq(frame_at(info.code, 11, 4 * 99)->line, 0);
	cr_assert_eq(frame_at(info.code, 11, 4 * 500)->line, 0);
}

/* A frame is a position: the table's start column comes with the line, or none. */
Test(code_reports, frames_carry_the_start_column)
{
	static const uint8_t table[] = {
		0x80 | (10 << 3) | 1, 17, 25,	/* [0,4)  one-line, +0: column 17 */
		0x80 | (2 << 3) | 0, 0x35,	/* [4,6)  short form: column 2 << 3 | 3 */
		0x80 | (13 << 3) | 0, 0x00,	/* [6,8)  no columns, +0 */
	};
	const struct prof_frame *a, *b, *c;

	info.code = 0x7f0000006000;
	info.fingerprint = 17;
	info.firstlineno = 100;
	info.name_len = put_str(info.name_head, info.name, sizeof(info.name), 1, "f", 1);
	info.file_len = put_str(info.file_head, info.file, sizeof(info.file), 1, "f.py", 4);
	put_table(table, sizeof(table), sizeof(table));
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);
	a = frame_at(info.code, 17, 2);
	b = frame_at(info.code, 17, 4);
	c = frame_at(info.code, 17, 6);
	cr_assert(a->line == 100 && a->column == 17, "(%d, %d)", a->line, a->column);
	cr_assert(b->line == 100 && b->column == 19, "(%d, %d)", b->line, b->column);
	cr_assert(c->line == 100 && c->column == PROF_NO_COLUMN, "(%d, %d)", c->line, c->column);
	cr_assert(a != b && b != c, "one line, three positions, three frames");
	/* Not started yet: the first line, no instruction and so no column. */
	cr_assert_eq(frame_at(info.code, 17, -1)->column, PROF_NO_COLUMN);
}

Test(code_reports, malformed_reports_refused_or_unknown)
{
	info.code = 0x7f0000005000;
	info.fingerprint = 13;
	put_table((const uint8_t[]){ ONE_LINE(0, 4) }, 3, 0);
	/* Shorter than its table says. */
	info.table_len = 100;
	cr_assert_eq(symbolizer_add_code(&S, &info, offsetof(struct pyperf_code_info, table) + 10),
		     -EINVAL);
	info.table_len = 0;
	/* No fingerprint: the kernel could not read it. */
	info.fingerprint = 0;
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), -EINVAL);
	/* A name header that is no str: [unknown], not a made-up name. */
	info.fingerprint = 13;
	memset(info.name_head, 0xff, sizeof(info.name_head));
	cr_assert_eq(symbolizer_add_code(&S, &info, record_size()), 0);
	cr_assert_eq(frame_at(info.code, 13, 0) - P.frames, S.unknown_frame);
}

Test(code_reports, linetable_prefix_never_guesses)
{
	/* 3.8 lnotab: (addr delta, line delta) pairs; past the end the last line runs on. */
	static const uint8_t lnotab[] = { 4, 1, 4, 1, 4, 1 };

	cr_assert_eq(linetable_line(LINETABLE_LNOTAB, lnotab, 6, 10, 100), 13);
	cr_assert_eq(linetable_line_prefix(LINETABLE_LNOTAB, lnotab, 6, 10, 100), -1);
	cr_assert_eq(linetable_line_prefix(LINETABLE_LNOTAB, lnotab, 6, 10, 5), 11);
	/* A location entry cut inside its payload (a long-form line delta) counts for nothing. */
	static const uint8_t loc[] = { 0x80 | (13 << 3) | 1, 0x46, 0x01 };	/* svarint 70+... */

	cr_assert_eq(linetable_line_prefix(LINETABLE_LOCATIONS, loc, 2, 10, 0), -1);
}
