// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/pystr.c: a str object as read from the target (names and file names
 * of code objects), with each built-in string layout, decoded to UTF-8 into
 * buffers of every size.  Compact ASCII, Latin-1, UCS-2 and UCS-4 strings
 * decode; legacy (non-compact) and insane ones are refused.
 *
 * Input: layout (1 byte, 3.8-3.12 by position), output size (1 byte), then
 * the object's bytes as in the target's memory, characters included.
 */
#include <stdlib.h>
#include <string.h>
#include "str_object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct py_layout *L;
	size_t out_size;
	ssize_t n;
	char *out;

	if (size < 2)
		return 0;
	L = py_layout_static(3, 8 + data[0] % 5, false);
	out_size = 8 + data[1] * 17;	/* 8 to 4343, beyond what symbolizer.c uses */
	out = L ? malloc(out_size) : NULL;	/* exactly: ASan sees overflows */
	if (!out)
		return 0;
	n = decode_str_object(L, data + 2, size - 2, out, out_size);
	/* A C string (U+0000 is C0 80) that fits, whatever the characters. */
	if (n >= 0 && ((size_t)n >= out_size || strlen(out) != (size_t)n))
		abort();
	free(out);
	return 0;
}
