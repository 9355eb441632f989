// SPDX-License-Identifier: BSD-3-Clause
#include <criterion/criterion.h>
#include "base/bytes.h"
#include "pb_fields.h"

size_t fields(const uint8_t *msg, size_t len, struct field *out, size_t max)
{
	struct byte_reader r = byte_reader(msg, len);
	size_t n = 0;

	while (byte_reader_left(&r)) {
		uint64_t key = byte_reader_varint(&r);
		struct field f = { .number = (uint32_t)(key >> 3), .wire = (uint32_t)(key & 7) };
		const uint8_t *le;

		cr_assert_lt(n, max);
		if ((key & 7) == 0) {
			f.value = byte_reader_varint(&r);
		} else if ((key & 7) == 1) {
			le = byte_reader_take(&r, 8);
			for (int i = 0; le && i < 8; i++)
				f.value |= (uint64_t)le[i] << (8 * i);
		} else {
			cr_assert_eq(key & 7, 2, "field %u: wire type %u", f.number, (unsigned)(key & 7));
			f.len = byte_reader_varint(&r);
			f.data = byte_reader_take(&r, f.len);
		}
		cr_assert(!r.bad, "field %u runs past its message", f.number);
		out[n++] = f;
	}
	return n;
}

size_t count(const struct field *f, size_t n, uint32_t number)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += f[i].number == number;
	return c;
}

uint64_t value(const struct field *f, size_t n, uint32_t number)
{
	return nth(f, n, number, 0)->value;
}

const struct field *nth(const struct field *f, size_t n, uint32_t number, size_t k)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].number == number && !k--)
			return &f[i];
	cr_assert_fail("no field %u", number);
	return NULL;
}

size_t packed(const struct field *f, uint64_t *out, size_t max)
{
	struct byte_reader r = byte_reader(f->data, f->len);
	size_t n = 0;

	while (byte_reader_left(&r)) {
		cr_assert_lt(n, max);
		out[n++] = byte_reader_varint(&r);
	}
	cr_assert(!r.bad, "field %u: packed varints run past it", f->number);
	return n;
}
