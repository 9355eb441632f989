// SPDX-License-Identifier: BSD-3-Clause
/*
 * The set walk: mask + 1 slots of { key, hash } at `table` (the set's own
 * small table or a heap one), read a chunk at a time.
 */
#include <errno.h>
#include "python/py_set.h"
#include "process/target_mem.h"

#define CHUNK_SLOTS 256

struct set_entry {
	uint64_t key;
	int64_t hash;
};

_Static_assert(sizeof(struct set_entry) == 16, "setentry is { PyObject *key; Py_hash_t hash; }");
_Static_assert((PY_SET_MAX_SLOTS & (PY_SET_MAX_SLOTS - 1)) == 0, "set tables are powers of two");

int py_set_for_each(pid_t pid, const struct py_set_layout *L, uint64_t set, py_set_key_fn fn,
		    void *ctx)
{
	struct set_entry chunk[CHUNK_SLOTS];
	uint64_t mask, table, slots;
	int err = target_read_u64(pid, set + L->mask, &mask);

	if (!err)
		err = target_read_u64(pid, set + L->table, &table);
	if (err)
		return err;
	slots = mask + 1;
	/* A table is a power of two of at least 8 slots (PySet_MINSIZE). */
	if (!table || slots < 8 || (slots & mask))
		return -EINVAL;
	if (slots > PY_SET_MAX_SLOTS)
		return -E2BIG;
	for (uint64_t first = 0; first < slots; first += CHUNK_SLOTS) {
		uint64_t n = slots - first < CHUNK_SLOTS ? slots - first : CHUNK_SLOTS;

		err = target_read(pid, table + first * sizeof(*chunk), chunk, n * sizeof(*chunk));
		if (err)
			return err;
		for (uint64_t i = 0; i < n; i++) {
			int rc = chunk[i].key ? fn(ctx, chunk[i].key) : 0;

			if (rc)
				return rc;
		}
	}
	return 0;
}
