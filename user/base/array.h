/* SPDX-License-Identifier: BSD-3-Clause */
/* Growing arrays. */
#ifndef PYBPF_BASE_ARRAY_H
#define PYBPF_BASE_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Make room for NEED elements of SIZE bytes in *ARR (capacity *CAP). */
int array_reserve(void *arr, size_t *cap, size_t need, size_t size);

/*
 * In an array of COUNT elements of STRIDE bytes sorted by the uint64_t at
 * KEY_OFFSET in each, how many leading elements have a key <= KEY: the one
 * before that index is the last starting at or before KEY (the range that
 * may hold an address), none if it is 0.
 */
size_t array_count_keys_at_or_below(const void *array, size_t count, size_t stride,
				    size_t key_offset, uint64_t key);

/* The same for a typed array ARR of COUNT elements sorted by its FIELD. */
#define ARRAY_COUNT_AT_OR_BELOW(arr, count, field, key) \
	array_count_keys_at_or_below((arr), (count), sizeof(*(arr)), \
				     offsetof(__typeof__(*(arr)), field), (key))

#endif
