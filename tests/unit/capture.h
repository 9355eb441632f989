/* SPDX-License-Identifier: BSD-3-Clause */
/* What an output writer writes, captured in memory for a test to compare. */
#ifndef PYBPF_TEST_CAPTURE_H
#define PYBPF_TEST_CAPTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include "profile/profile.h"

/* A stream whose bytes a test gets back: capture_begin, write, capture_end. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static inline FILE *capture_begin(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	cr_assert_not_null(c->f);
	return c->f;
}

/* The bytes written, NUL-terminated too; the caller frees them. */
static inline char *capture_end(struct capture *c, size_t *len)
{
	cr_assert_eq(fclose(c->f), 0);
	if (len)
		*len = c->len;
	return c->buf;
}

typedef int (*profile_writer)(FILE *out, const struct profile *p, const char *title);

/* The bytes WRITE produced for P; *LEN (if not NULL) gets their count. */
static inline char *capture(profile_writer write, const struct profile *p, const char *title,
			    size_t *len)
{
	struct capture c;

	cr_assert_eq(write(capture_begin(&c), p, title), 0);
	return capture_end(&c, len);
}

/* DATA gunzipped (at most MAX bytes); *LEN gets their count.  The caller frees. */
static inline unsigned char *gunzip(const void *data, size_t n, size_t max, size_t *len)
{
	unsigned char *out = malloc(max + 1);
	z_stream z = { 0 };

	cr_assert_not_null(out);
	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)data;
	z.avail_in = n;
	z.next_out = out;
	z.avail_out = max + 1;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "a whole gzip stream of at most %zu bytes", max);
	cr_assert_eq(z.avail_in, 0, "nothing after it");
	*len = z.total_out;
	inflateEnd(&z);
	return out;
}

#endif
