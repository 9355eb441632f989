/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small open-addressing hash map from byte-string keys to pointer-sized
 * values.  Keys are copied; values are owned by the caller.  It backs every
 * table in pybpf (code-object cache, frame and string interning, stack
 * aggregation) so there is one implementation to get right.
 */
#ifndef PYBPF_HASHMAP_H
#define PYBPF_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t hash;
	void *key;		/* NULL: empty slot */
	uint32_t key_len;
	uintptr_t value;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap;		/* power of two, or 0 */
	size_t len;
};

#define HMAP_INIT { 0 }

uint64_t hmap_hash(const void *key, size_t len);

/* The value slot for KEY, or NULL when absent. */
uintptr_t *hmap_find(const struct hmap *m, const void *key, size_t len);

/*
 * The value slot for KEY, inserted (value 0) when absent; *CREATED tells
 * which.  NULL only when memory runs out.
 */
uintptr_t *hmap_upsert(struct hmap *m, const void *key, size_t len, bool *created);

/* Remove KEY; whether it was there.  Pointers to other values may move. */
bool hmap_remove(struct hmap *m, const void *key, size_t len);

void hmap_free(struct hmap *m);

#define hmap_for_each(m, s) \
	for ((s) = (m)->slots; (s) && (s) < (m)->slots + (m)->cap; (s)++) \
		if ((s)->key)

#endif
