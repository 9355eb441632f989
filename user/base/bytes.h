/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte strings for binary formats (pprof's protobuf, the raw recording):
 * a growing buffer to encode into, and a bounded cursor to decode from.
 * Integers are LEB128 varints, as in protobuf.
 */
#ifndef PYBPF_BYTES_H
#define PYBPF_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VARINT_MAX_BYTES 10

/* The native-endian 64-bit word at byte OFF of BUF (any alignment). */
static inline uint64_t u64_at(const void *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)buf + off, sizeof(v));
	return v;
}

/* Out of memory is sticky: later appends do nothing and FAILED stays set. */
struct byte_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

void byte_buf_free(struct byte_buf *b);
void byte_buf_append(struct byte_buf *b, const void *data, size_t len);
void byte_buf_varint(struct byte_buf *b, uint64_t v);
/* Signed values that are usually small, as protobuf's sint64 does it. */
void byte_buf_zigzag(struct byte_buf *b, int64_t v);
void byte_buf_u32le(struct byte_buf *b, uint32_t v);

/*
 * Reading stops at the first problem: every later read returns 0 or NULL
 * and BAD stays set, so a decoder checks once, after reading a record.
 */
struct byte_reader {
	const uint8_t *pos, *end;
	bool bad;
};

static inline struct byte_reader byte_reader(const void *data, size_t len)
{
	return (struct byte_reader){ data, (const uint8_t *)data + len, false };
}

static inline size_t byte_reader_left(const struct byte_reader *r)
{
	return (size_t)(r->end - r->pos);
}

uint64_t byte_reader_varint(struct byte_reader *r);
int64_t byte_reader_zigzag(struct byte_reader *r);
uint32_t byte_reader_u32le(struct byte_reader *r);
/* The next LEN bytes, or NULL if fewer are left. */
const uint8_t *byte_reader_take(struct byte_reader *r, size_t len);

#endif
