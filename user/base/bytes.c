// SPDX-License-Identifier: BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "base/bytes.h"
#include "base/array.h"

void byte_buf_free(struct byte_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void byte_buf_append(struct byte_buf *b, const void *data, size_t len)
{
	if (b->failed || !len)
		return;
	if (array_reserve(&b->data, &b->cap, b->len + len, 1)) {
		b->failed = true;
		return;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void byte_buf_varint(struct byte_buf *b, uint64_t v)
{
	uint8_t out[VARINT_MAX_BYTES];
	size_t n = 0;

	do {
		out[n] = v & 0x7f;
		v >>= 7;
		out[n++] |= v ? 0x80 : 0;
	} while (v);
	byte_buf_append(b, out, n);
}

void byte_buf_zigzag(struct byte_buf *b, int64_t v)
{
	byte_buf_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void byte_buf_u32le(struct byte_buf *b, uint32_t v)
{
	uint8_t out[4] = { v, v >> 8, v >> 16, v >> 24 };

	byte_buf_append(b, out, sizeof(out));
}

uint64_t byte_reader_varint(struct byte_reader *r)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; !r->bad; shift += 7) {
		uint8_t byte;

		/* The tenth byte may only hold the top bit of 64. */
		if (r->pos == r->end || shift > 63 || (shift == 63 && *r->pos > 1)) {
			r->bad = true;
			break;
		}
		byte = *r->pos++;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	return 0;
}

int64_t byte_reader_zigzag(struct byte_reader *r)
{
	uint64_t v = byte_reader_varint(r);

	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

uint32_t byte_reader_u32le(struct byte_reader *r)
{
	const uint8_t *p = byte_reader_take(r, 4);

	return p ? p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

const uint8_t *byte_reader_take(struct byte_reader *r, size_t len)
{
	const uint8_t *p = r->pos;

	if (r->bad || byte_reader_left(r) < len) {
		r->bad = true;
		return NULL;
	}
	r->pos += len;
	return p;
}
