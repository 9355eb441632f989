// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/linetable.c: every line-table format decoded over the whole range of
 * bytecode offsets it can describe.  The tables come from code objects in
 * the target's memory, so any bytes must give a line (or -1), never a read
 * outside the table or undefined behaviour; and a column only where there
 * is a line and the format has columns (3.11+), never a negative one.
 *
 * Input: format (1 byte, modulo 3), co_firstlineno (4 bytes), the table.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "python/linetable.h"

/*
 * Each lookup walks the table from its start: bound lookups x table bytes,
 * so that long tables stay fast, but look up at least 16 offsets.
 */
#define LOOKUP_BUDGET (1 << 16)
#define MIN_LOOKUPS 16

static void look_up(enum linetable_format fmt, const uint8_t *table, size_t len,
		    int firstlineno, int offset)
{
	struct linetable_pos pos = linetable_position(fmt, table, len, firstlineno, offset);

	if (pos.column == LINETABLE_NO_COLUMN)
		return;
	if (pos.column < 0 || pos.line == -1 || fmt != LINETABLE_LOCATIONS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum linetable_format formats[] = {
		LINETABLE_LNOTAB, LINETABLE_310, LINETABLE_LOCATIONS,
	};
	enum linetable_format fmt;
	const uint8_t *table;
	int32_t firstlineno;
	int64_t end, lookups, stride;
	size_t len;

	if (size < 5)
		return 0;
	fmt = formats[data[0] % 3];
	memcpy(&firstlineno, data + 1, sizeof(firstlineno));
	table = data + 5;	/* the input's end is the table's: ASan sees overreads */
	len = size - 5;

	/* No entry of any format covers more than 128 bytes of bytecode per table byte. */
	end = (int64_t)len * 128 + 4;
	if (end > INT_MAX)
		end = INT_MAX;
	lookups = LOOKUP_BUDGET / (len + 1);
	if (lookups < MIN_LOOKUPS)
		lookups = MIN_LOOKUPS;
	stride = end / lookups + 1;
	for (int64_t offset = 0; offset <= end; offset += stride)
		look_up(fmt, table, len, firstlineno, (int)offset);
	look_up(fmt, table, len, firstlineno, INT_MAX);

	/* A frame that has not started yet is on its first line, whatever the table. */
	if (linetable_line(fmt, table, len, firstlineno, -1) != firstlineno)
		abort();
	return 0;
}
