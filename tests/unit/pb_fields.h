/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protobuf messages walked field by field, for the tests of the writers
 * (pprof, OTLP): each field with its number and its varint, fixed64 or
 * bytes; a malformed message fails the test.
 */
#ifndef PYBPF_TESTS_PB_FIELDS_H
#define PYBPF_TESTS_PB_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct field {
	uint32_t number;
	uint32_t wire;			/* 0 varint, 1 fixed64, 2 length-delimited */
	uint64_t value;			/* varint and fixed64 fields */
	const uint8_t *data;		/* length-delimited ones */
	size_t len;
};

/* The fields of one message, in order; at most MAX. */
size_t fields(const uint8_t *msg, size_t len, struct field *out, size_t max);

/* How many fields NUMBER there are. */
size_t count(const struct field *f, size_t n, uint32_t number);

/* The value of the first field NUMBER (the test fails without one). */
uint64_t value(const struct field *f, size_t n, uint32_t number);

/* The K-th field NUMBER (from 0; the test fails without one). */
const struct field *nth(const struct field *f, size_t n, uint32_t number, size_t k);

/* The varints packed in field F, at most MAX of them: how many. */
size_t packed(const struct field *f, uint64_t *out, size_t max);

#endif
