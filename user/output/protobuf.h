/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Just enough of the protobuf wire format to write pprof and OTLP profiles: varint
 * and length-delimited fields, embedded messages and packed repeated
 * varints.  A message is built in a byte_buf; an embedded one is built in
 * its own buffer first, because its length goes before it.
 */
#ifndef PYBPF_PROTOBUF_H
#define PYBPF_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"

enum pb_wire_type { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2 };

/* A varint field: uint64, and int64/bool (negative int64 takes ten bytes). */
void pb_uint(struct byte_buf *b, uint32_t field, uint64_t v);
/* A fixed64 field: eight bytes, little-endian (OTLP's timestamps). */
void pb_fixed64(struct byte_buf *b, uint32_t field, uint64_t v);
/* Bytes or a string (the caller makes strings valid UTF-8). */
void pb_bytes(struct byte_buf *b, uint32_t field, const void *data, size_t len);
void pb_string(struct byte_buf *b, uint32_t field, const char *s);
/*
 * TEXT as a string field made valid UTF-8 (in SCRATCH): protobuf strings
 * must be, and Go's decoders check (a bad byte becomes U+FFFD).
 */
void pb_text(struct byte_buf *b, uint32_t field, const char *text, struct byte_buf *scratch);
/* MSG as an embedded message. */
void pb_message(struct byte_buf *b, uint32_t field, const struct byte_buf *msg);
/* A packed repeated varint field; nothing at all when N is 0. */
void pb_packed(struct byte_buf *b, uint32_t field, const uint64_t *v, size_t n);

#endif
