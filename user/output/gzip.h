/* SPDX-License-Identifier: BSD-3-Clause */
/* gzip with zlib, the same bytes for the same input (no name, no time stamp). */
#ifndef PYBPF_GZIP_H
#define PYBPF_GZIP_H

#include <stddef.h>
#include <stdio.h>

/* Write DATA gzip-compressed to OUT.  Returns 0, -ENOMEM or -EIO. */
int gzip_write(FILE *out, const void *data, size_t len);

#endif
