// SPDX-License-Identifier: BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "base/hashmap.h"

/* 64x64->128 multiply folded to 64 bits: one round of mixing. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * A word at a time: the keys are mostly frame-id arrays, hashed once per
 * sample, where a byte-at-a-time hash cost more than the rest of the lookup.
 */
uint64_t hmap_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = fold_mul(h ^ w, 0xbf58476d1ce4e5b9ULL);
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = fold_mul(h ^ w, 0x94d049bb133111ebULL);
	}
	return fold_mul(h, 0x2545f4914f6cdd1dULL);
}

static struct hmap_slot *probe(struct hmap_slot *slots, size_t cap, uint64_t hash,
			       const void *key, size_t len)
{
	size_t i = hash & (cap - 1);

	for (;;) {
		struct hmap_slot *s = &slots[i];

		if (!s->key || (s->hash == hash && s->key_len == len &&
				memcmp(s->key, key, len) == 0))
			return s;
		i = (i + 1) & (cap - 1);
	}
}

uintptr_t *hmap_find(const struct hmap *m, const void *key, size_t len)
{
	struct hmap_slot *s;

	if (!m->cap)
		return NULL;
	s = probe(m->slots, m->cap, hmap_hash(key, len), key, len);
	return s->key ? &s->value : NULL;
}

static int grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct hmap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		struct hmap_slot *old = &m->slots[i];

		if (old->key)
			*probe(slots, cap, old->hash, old->key, old->key_len) = *old;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

uintptr_t *hmap_upsert(struct hmap *m, const void *key, size_t len, bool *created)
{
	uint64_t hash = hmap_hash(key, len);
	struct hmap_slot *s;

	/* Keep the load factor under 1/2 so probes stay short. */
	if ((m->len + 1) * 2 > m->cap && grow(m))
		return NULL;
	s = probe(m->slots, m->cap, hash, key, len);
	if (s->key) {
		if (created)
			*created = false;
		return &s->value;
	}
	s->key = malloc(len ? len : 1);
	if (!s->key)
		return NULL;
	memcpy(s->key, key, len);
	s->key_len = len;
	s->hash = hash;
	s->value = 0;
	m->len++;
	if (created)
		*created = true;
	return &s->value;
}

bool hmap_remove(struct hmap *m, const void *key, size_t len)
{
	size_t mask = m->cap - 1, hole, i;
	struct hmap_slot *s;

	if (!m->cap)
		return false;
	s = probe(m->slots, m->cap, hmap_hash(key, len), key, len);
	if (!s->key)
		return false;
	free(s->key);
	/*
	 * No tombstones: shift later entries of the probe run back into the
	 * hole, unless that would put one before its home slot.
	 */
	hole = s - m->slots;
	for (i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
		size_t home = m->slots[i].hash & mask;

		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].key = NULL;
	m->len--;
	return true;
}

void hmap_free(struct hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}
