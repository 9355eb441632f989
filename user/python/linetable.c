// SPDX-License-Identifier: BSD-3-Clause
/*
 * CPython line tables, decoded from their documented formats
 * (Objects/lnotab_notes.txt for 3.8-3.10, InternalDocs/locations.md for
 * 3.11+; columns as Objects/codeobject.c's advance_with_locations() reads
 * them, which is what co_positions() gives).  The tables are read out of an
 * untrusted process, so every byte access is bounds-checked, every loop
 * consumes at least one byte per turn, and the running line number is kept
 * in unsigned arithmetic so that garbage can only produce a garbage line,
 * never undefined behaviour.
 */
#include <limits.h>
#include <stdbool.h>
#include "python/linetable.h"

/* The 3.10 line delta meaning "these instructions have no line". */
#define NO_LINE_DELTA (-128)

/* 3.11+ entry codes (bits 3-6 of an entry's first byte); 0-9: short forms. */
#define LOC_ONE_LINE	10	/* 10-12: one-line forms, line delta code - 10 */
#define LOC_NO_COLUMNS	13	/* svarint line delta, no columns */
#define LOC_LONG	14	/* svarint line delta, then end line and columns */
#define LOC_NONE	15	/* no location at all */

/*
 * 3.8/3.9 co_lnotab: (unsigned address delta, signed line delta) pairs.  The
 * line delta of a pair applies from the address reached after adding its
 * address delta, so the walk stops at the first address beyond OFFSET.  The
 * table does not record where the bytecode ends: the last line runs on for
 * ever, and an empty table means every instruction is on FIRSTLINENO.  A
 * trailing odd byte is ignored, as CPython does.
 */
static int lnotab_line(const uint8_t *t, size_t len, int firstlineno, int offset, bool whole)
{
	uint32_t line = (uint32_t)firstlineno;
	uint64_t addr = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		addr += t[i];
		if (addr > (uint64_t)offset)
			return (int)line;
		line += (uint32_t)(int8_t)t[i + 1];
	}
	/* Past the end of a cut table, the line may be any of the rest. */
	return whole ? (int)line : -1;
}

/*
 * 3.10 co_linetable: (unsigned address delta, signed line delta) pairs, each
 * describing the range [end of previous pair, + address delta).  Line deltas
 * accumulate, except NO_LINE_DELTA which marks its range as lineless without
 * moving the running line.  Zero-length ranges only carry line deltas (jumps
 * beyond +-127 are split into several pairs).
 */
static int linetable310_line(const uint8_t *t, size_t len, int firstlineno,
			     int offset, bool whole)
{
	uint32_t line = (uint32_t)firstlineno;
	uint64_t end = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		int delta = (int8_t)t[i + 1];

		end += t[i];
		if (delta != NO_LINE_DELTA)
			line += (uint32_t)delta;
		/* The range starts at the previous end, known to be <= offset. */
		if ((uint64_t)offset < end)
			return delta != NO_LINE_DELTA ? (int)line : -1;
	}
	return -1;
}

/*
 * 3.11+ unsigned varint: 6-bit chunks, least significant first, bit 6 set on
 * all chunks but the last.  Reads from t[*i] but never at or past END; a
 * varint cut short by END just ends there.  Bits beyond 32 are dropped.
 */
static uint32_t read_varint(const uint8_t *t, size_t *i, size_t end)
{
	uint32_t v = 0;
	unsigned int shift = 0;

	while (*i < end) {
		uint8_t b = t[(*i)++];

		if (shift < 32) {
			v |= (uint32_t)(b & 0x3f) << shift;
			shift += 6;
		}
		if (!(b & 0x40))
			break;
	}
	return v;
}

/* Signed varint: magnitude shifted left by one, sign in bit 0. */
static uint32_t read_svarint(const uint8_t *t, size_t *i, size_t end)
{
	uint32_t v = read_varint(t, i, end);

	return (v & 1) ? 0u - (v >> 1) : v >> 1;
}

/*
 * Start line delta of a 3.11+ entry of kind CODE whose payload (the bytes
 * after its first byte) is t[i..END).
 */
static uint32_t location_line_delta(int code, const uint8_t *t, size_t i,
				    size_t end)
{
	switch (code) {
	case LOC_ONE_LINE:
	case LOC_ONE_LINE + 1:
	case LOC_ONE_LINE + 2:
		return (uint32_t)(code - LOC_ONE_LINE);
	case LOC_NO_COLUMNS:
	case LOC_LONG:
		return read_svarint(t, &i, end);
	default:			/* short forms, LOC_NONE */
		return 0;
	}
}

/*
 * A long-form column: stored plus one, so that 0 is "none".  A field the
 * entry ends before, or cuts short, is none too: never a made-up column.
 * Columns stay below INT_MAX, so that counting them from 1 cannot overflow.
 */
static int long_form_column(const uint8_t *t, size_t *i, size_t end)
{
	size_t start = *i;
	uint32_t stored = read_varint(t, i, end);

	if (*i == start || (t[*i - 1] & 0x40) || stored == 0 || stored > INT_MAX)
		return LINETABLE_NO_COLUMN;
	return (int)(stored - 1);
}

/*
 * Start column of a 3.11+ entry of kind CODE whose payload is t[i..END):
 * short forms hold its high bits in the code and the low three in bits 4-6
 * of their second byte, one-line forms a byte of it, the long form a
 * varint after the line and end line deltas; the others have none.
 */
static int location_column(int code, const uint8_t *t, size_t i, size_t end)
{
	switch (code) {
	case LOC_ONE_LINE:
	case LOC_ONE_LINE + 1:
	case LOC_ONE_LINE + 2:
		return i < end ? t[i] : LINETABLE_NO_COLUMN;
	case LOC_LONG:
		read_svarint(t, &i, end);	/* line delta */
		read_varint(t, &i, end);	/* end line delta */
		return long_form_column(t, &i, end);
	case LOC_NO_COLUMNS:
	case LOC_NONE:
		return LINETABLE_NO_COLUMN;
	default:			/* short forms */
		return i < end ? code << 3 | ((t[i] >> 4) & 7) : LINETABLE_NO_COLUMN;
	}
}

static struct linetable_pos no_position(void)
{
	return (struct linetable_pos){ .line = -1, .column = LINETABLE_NO_COLUMN };
}

/* A line of a table that holds no columns (3.8-3.10), or of no instruction. */
static struct linetable_pos line_only(int line)
{
	return (struct linetable_pos){ .line = line, .column = LINETABLE_NO_COLUMN };
}

/*
 * 3.11+ location table.  Each entry starts with a byte with bit 7 set (code
 * in bits 3-6, length - 1 in code units of 2 bytes in bits 0-2) and runs up
 * to the next such byte.  Locating entries by that bit, as CPython itself
 * does, keeps the walk in step even if an entry's payload is malformed.
 */
static struct linetable_pos locations_position(const uint8_t *t, size_t len, int firstlineno,
					       int offset, bool whole)
{
	uint32_t line = (uint32_t)firstlineno;
	uint64_t addr = 0;
	size_t i = 0;

	while (i < len) {
		size_t next = i + 1;
		uint64_t size = 2 * (uint64_t)((t[i] & 7) + 1);
		int code = (t[i] >> 3) & 15;

		while (next < len && !(t[next] & 0x80))
			next++;
		/* In a cut table the last entry may be cut too: only whole ones count. */
		if (!whole && next >= len)
			return no_position();
		line += location_line_delta(code, t, i + 1, next);
		if ((uint64_t)offset < addr + size) {	/* and addr <= offset */
			if (code == LOC_NONE)
				return no_position();
			return (struct linetable_pos){
				.line = (int)line,
				.column = location_column(code, t, i + 1, next),
			};
		}
		addr += size;
		i = next;
	}
	return no_position();
}

static struct linetable_pos position_of(enum linetable_format fmt, const uint8_t *table,
					size_t len, int firstlineno, int offset, bool whole)
{
	if (offset < 0)
		return line_only(firstlineno);
	if (!table)
		len = 0;
	switch (fmt) {
	case LINETABLE_LNOTAB:
		return line_only(lnotab_line(table, len, firstlineno, offset, whole));
	case LINETABLE_310:
		return line_only(linetable310_line(table, len, firstlineno, offset, whole));
	case LINETABLE_LOCATIONS:
		return locations_position(table, len, firstlineno, offset, whole);
	}
	return no_position();
}

struct linetable_pos linetable_position(enum linetable_format fmt, const uint8_t *table,
				       size_t len, int firstlineno, int offset)
{
	return position_of(fmt, table, len, firstlineno, offset, true);
}

struct linetable_pos linetable_position_prefix(enum linetable_format fmt, const uint8_t *table,
					       size_t len, int firstlineno, int offset)
{
	return position_of(fmt, table, len, firstlineno, offset, false);
}

int linetable_line(enum linetable_format fmt, const uint8_t *table, size_t len,
		   int firstlineno, int offset)
{
	return linetable_position(fmt, table, len, firstlineno, offset).line;
}

int linetable_line_prefix(enum linetable_format fmt, const uint8_t *table, size_t len,
			  int firstlineno, int offset)
{
	return linetable_position_prefix(fmt, table, len, firstlineno, offset).line;
}
