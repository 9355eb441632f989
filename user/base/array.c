// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
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
