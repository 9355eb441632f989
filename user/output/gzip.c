// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <zlib.h>
#include "output/gzip.h"

/* windowBits 15 + 16 asks deflate for a gzip wrapper; its header has mtime 0. */
#define GZIP_WINDOW_BITS (15 + 16)

int gzip_write(FILE *out, const void *data, size_t len)
{
	unsigned char chunk[64 * 1024];
	z_stream z = { 0 };
	int rc;

	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, GZIP_WINDOW_BITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)data;
	/* One pass over all of DATA; uInt is only 32 bits wide. */
	do {
		size_t feed = len - (z.next_in - (const Bytef *)data);

		z.avail_in = feed > UINT32_MAX ? UINT32_MAX : (uInt)feed;
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, z.avail_in == feed ? Z_FINISH : Z_NO_FLUSH);
		if (fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out) != sizeof(chunk) - z.avail_out)
			rc = Z_ERRNO;
	} while (rc == Z_OK);
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}
