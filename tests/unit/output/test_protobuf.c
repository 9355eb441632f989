// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/base/bytes.h, user/output/protobuf.h and user/output/gzip.h: the encodings pprof and the
 * raw recording are made of, against the protobuf documentation's own
 * examples, and the bounded reader on hostile input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/bytes.h"
#include "capture.h"
#include "output/gzip.h"
#include "output/protobuf.h"

static void assert_bytes(const struct byte_buf *b, const uint8_t *want, size_t n)
{
	cr_assert(!b->failed);
	cr_assert_eq(b->len, n, "%zu bytes, expected %zu", b->len, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(b->data[i], want[i], "byte %zu: %02x, expected %02x", i, b->data[i], want[i]);
}

Test(bytes, varints)
{
	static const struct { uint64_t v; uint8_t enc[10]; size_t n; } cases[] = {
		{ 0, { 0x00 }, 1 },
		{ 1, { 0x01 }, 1 },
		{ 127, { 0x7f }, 1 },
		{ 128, { 0x80, 0x01 }, 2 },
		{ 300, { 0xac, 0x02 }, 2 },
		{ UINT32_MAX, { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5 },
		{ UINT64_MAX, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct byte_buf b = { 0 };
		struct byte_reader r;

		byte_buf_varint(&b, cases[i].v);
		assert_bytes(&b, cases[i].enc, cases[i].n);
		r = byte_reader(b.data, b.len);
		cr_assert_eq(byte_reader_varint(&r), cases[i].v);
		cr_assert(!r.bad);
		cr_assert_eq(byte_reader_left(&r), 0);
		byte_buf_free(&b);
	}
}

Test(bytes, zigzag_keeps_small_negatives_small)
{
	static const struct { int64_t v; uint64_t enc; } cases[] = {
		{ 0, 0 }, { -1, 1 }, { 1, 2 }, { -2, 3 }, { 2147483647, 4294967294u },
		{ -2147483648LL, 4294967295u }, { INT64_MAX, UINT64_MAX - 1 }, { INT64_MIN, UINT64_MAX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct byte_buf b = { 0 }, plain = { 0 };
		struct byte_reader r;

		byte_buf_zigzag(&b, cases[i].v);
		byte_buf_varint(&plain, cases[i].enc);
		assert_bytes(&b, plain.data, plain.len);
		r = byte_reader(b.data, b.len);
		cr_assert_eq(byte_reader_zigzag(&r), cases[i].v);
		byte_buf_free(&b);
		byte_buf_free(&plain);
	}
}

Test(bytes, reader_refuses_what_is_not_there)
{
	static const uint8_t unfinished[] = { 0x80, 0x80 };
	static const uint8_t eleven[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01 };
	static const uint8_t too_big[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
	static const uint8_t four[] = { 1, 2, 3, 4 };
	struct byte_reader r = byte_reader(unfinished, sizeof(unfinished));

	cr_assert_eq(byte_reader_varint(&r), 0);
	cr_assert(r.bad);
	r = byte_reader(eleven, sizeof(eleven));
	byte_reader_varint(&r);
	cr_assert(r.bad, "a varint has at most ten bytes");
	r = byte_reader(too_big, sizeof(too_big));
	byte_reader_varint(&r);
	cr_assert(r.bad, "the tenth byte holds one bit");
	r = byte_reader(four, sizeof(four));
	cr_assert_eq(byte_reader_u32le(&r), 0x04030201);
	cr_assert_null(byte_reader_take(&r, 1));
	cr_assert(r.bad);
	/* Sticky: nothing reads once something went wrong. */
	r = byte_reader(four, sizeof(four));
	cr_assert_null(byte_reader_take(&r, 5));
	cr_assert_null(byte_reader_take(&r, 1));
	cr_assert_eq(byte_reader_varint(&r), 0);
	cr_assert_eq(byte_reader_left(&r), 4);
	r = byte_reader(NULL, 0);
	cr_assert_eq(byte_reader_varint(&r), 0);
	cr_assert(r.bad);
}

/* The examples of protobuf's encoding documentation. */
Test(protobuf, documented_examples)
{
	struct byte_buf b = { 0 }, inner = { 0 };
	static const uint8_t varint[] = { 0x08, 0x96, 0x01 };
	static const uint8_t string[] = { 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g' };
	static const uint8_t embedded[] = { 0x1a, 0x03, 0x08, 0x96, 0x01 };
	static const uint8_t packed[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 };
	static const uint64_t values[] = { 3, 270, 86942 };

	pb_uint(&b, 1, 150);
	assert_bytes(&b, varint, sizeof(varint));
	b.len = 0;
	pb_string(&b, 2, "testing");
	assert_bytes(&b, string, sizeof(string));
	b.len = 0;
	pb_uint(&inner, 1, 150);
	pb_message(&b, 3, &inner);
	assert_bytes(&b, embedded, sizeof(embedded));
	b.len = 0;
	pb_packed(&b, 4, values, 3);
	assert_bytes(&b, packed, sizeof(packed));
	byte_buf_free(&b);
	byte_buf_free(&inner);
}

Test(protobuf, empty_and_wide_fields)
{
	struct byte_buf b = { 0 }, empty = { 0 };
	static const uint8_t want[] = {
		0x0a, 0x00,			/* field 1: empty message */
		0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00,	/* field 2^29 - 1 = 0 */
		0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,	/* int64 -1 */
	};

	pb_message(&b, 1, &empty);
	pb_packed(&b, 5, NULL, 0);	/* writes nothing */
	pb_uint(&b, (1u << 29) - 1, 0);
	pb_uint(&b, 2, (uint64_t)-1);
	assert_bytes(&b, want, sizeof(want));
	byte_buf_free(&b);
}

Test(protobuf, a_failed_inner_message_fails_the_outer)
{
	struct byte_buf b = { 0 }, inner = { .failed = true };

	pb_message(&b, 1, &inner);
	cr_assert(b.failed);
	byte_buf_free(&b);
}

static uint8_t *gzipped(const void *data, size_t len, size_t *out_len)
{
	struct capture c;

	cr_assert_eq(gzip_write(capture_begin(&c), data, len), 0);
	return (uint8_t *)capture_end(&c, out_len);
}

Test(gzip, round_trips_and_is_reproducible)
{
	size_t len = 300000, n1, n2, back_len;
	uint8_t *data = malloc(len);

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + i / 1000);
	uint8_t *a = gzipped(data, len, &n1), *b = gzipped(data, len, &n2);
	uint8_t *back = gunzip(a, n1, len, &back_len);

	cr_assert(n1 > 18 && a[0] == 0x1f && a[1] == 0x8b, "a gzip member");
	cr_assert_eq(a[4] | a[5] | a[6] | a[7], 0, "no time stamp");
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(a, b, n1), 0, "the same bytes every time");
	cr_assert_eq(back_len, len);
	cr_assert_eq(memcmp(back, data, len), 0);
	free(a);
	free(b);
	free(data);
	free(back);
}

Test(gzip, empty_input)
{
	size_t n, back_len;
	uint8_t *a = gzipped("", 0, &n);
	uint8_t *back = gunzip(a, n, 0, &back_len);

	cr_assert_eq(back_len, 0);
	free(a);
	free(back);
}
