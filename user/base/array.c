// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/array.h"

int array_reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	void **p = arr;
	size_t n = *cap ? *cap : 16;
	void *mem;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	mem = realloc(*p, n * size);
	if (!mem)
		return -ENOMEM;
	*p = mem;
	*cap = n;
	return 0;
}

size_t array_count_keys_at_or_below(const void *array, size_t count, size_t stride,
				    size_t key_offset, uint64_t key)
{
	const unsigned char *bytes = array;
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t mid_key;

		memcpy(&mid_key, bytes + mid * stride + key_offset, sizeof(mid_key));
		if (mid_key <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
