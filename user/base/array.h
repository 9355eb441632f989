/* SPDX-License-Identifier: BSD-3-Clause */
/* Growing arrays. */
#ifndef PYBPF_BASE_ARRAY_H
#define PYBPF_BASE_ARRAY_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Make room for NEED elements of SIZE bytes in *ARR (capacity *CAP). */
int array_reserve(void *arr, size_t *cap, size_t need, size_t size);

#endif
