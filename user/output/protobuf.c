// SPDX-License-Identifier: BSD-3-Clause
#include <string.h>
#include "output/protobuf.h"
#include "base/utf8.h"

static void tag(struct byte_buf *b, uint32_t field, enum pb_wire_type type)
{
	byte_buf_varint(b, (uint64_t)field << 3 | type);
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >>= 7)
		n++;
	return n;
}

void pb_uint(struct byte_buf *b, uint32_t field, uint64_t v)
{
	tag(b, field, PB_VARINT);
	byte_buf_varint(b, v);
}

void pb_bytes(struct byte_buf *b, uint32_t field, const void *data, size_t len)
{
	tag(b, field, PB_LEN);
	byte_buf_varint(b, len);
	byte_buf_append(b, data, len);
}

void pb_string(struct byte_buf *b, uint32_t field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

void pb_message(struct byte_buf *b, uint32_t field, const struct byte_buf *msg)
{
	if (msg->failed)
		b->failed = true;
	pb_bytes(b, field, msg->data, msg->len);
}

void pb_packed(struct byte_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		len += varint_size(v[i]);
	tag(b, field, PB_LEN);
	byte_buf_varint(b, len);
	for (size_t i = 0; i < n; i++)
		byte_buf_varint(b, v[i]);
}

void pb_fixed64(struct byte_buf *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	tag(b, field, PB_FIXED64);
	byte_buf_append(b, le, sizeof(le));
}

void pb_text(struct byte_buf *b, uint32_t field, const char *text, struct byte_buf *scratch)
{
	char enc[4];

	scratch->len = 0;
	for (const char *s = text; *s;)
		byte_buf_append(scratch, enc, utf8_encode(utf8_next(&s), enc));
	if (scratch->failed)
		b->failed = true;
	pb_bytes(b, field, scratch->data, scratch->len);
}
