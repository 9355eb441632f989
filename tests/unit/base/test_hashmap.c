// SPDX-License-Identifier: BSD-3-Clause
/* user/base/hashmap.h: the byte-string -> uintptr_t map behind every pybpf table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "base/hashmap.h"

static size_t count_slots(const struct hmap *m)
{
	const struct hmap_slot *s;
	size_t n = 0;

	hmap_for_each(m, s)
		n++;
	return n;
}

Test(hashmap, empty_map_finds_nothing)
{
	struct hmap m = HMAP_INIT;

	cr_assert_null(hmap_find(&m, "a", 1));
	cr_assert_null(hmap_find(&m, "", 0));
	cr_assert_eq(count_slots(&m), 0);
	hmap_free(&m);		/* freeing an empty map is fine */
	cr_assert_eq(m.len, 0);
}

Test(hashmap, upsert_inserts_zero_then_returns_existing_slot)
{
	struct hmap m = HMAP_INIT;
	bool created = false;
	uintptr_t *v;

	v = hmap_upsert(&m, "alpha", 5, &created);
	cr_assert_not_null(v);
	cr_assert(created, "first upsert of a key creates it");
	cr_assert_eq(*v, 0, "a new value starts at 0");
	*v = 42;
	cr_assert_eq(m.len, 1);

	created = true;
	v = hmap_upsert(&m, "alpha", 5, &created);
	cr_assert_not_null(v);
	cr_assert_not(created, "second upsert of the same key finds it");
	cr_assert_eq(*v, 42, "the existing value is kept");
	cr_assert_eq(m.len, 1);

	/* CREATED is optional. */
	v = hmap_upsert(&m, "beta", 4, NULL);
	cr_assert_not_null(v);
	*v = 7;
	v = hmap_upsert(&m, "beta", 4, NULL);
	cr_assert_eq(*v, 7);
	cr_assert_eq(m.len, 2);

	cr_assert_eq(*hmap_find(&m, "alpha", 5), 42);
	cr_assert_eq(*hmap_find(&m, "beta", 4), 7);
	cr_assert_null(hmap_find(&m, "gamma", 5));
	hmap_free(&m);
	cr_assert_null(m.slots);
	cr_assert_eq(m.cap, 0);
	cr_assert_eq(m.len, 0);
}

Test(hashmap, keys_are_copied)
{
	struct hmap m = HMAP_INIT;
	char key[16];

	strcpy(key, "volatile");
	*hmap_upsert(&m, key, strlen(key), NULL) = 1;
	memset(key, 'X', sizeof(key));	/* the caller's buffer changes... */
	cr_assert_null(hmap_find(&m, key, 8));
	uintptr_t *v = hmap_find(&m, "volatile", 8);	/* ...the map's copy does not */
	cr_assert_not_null(v);
	cr_assert_eq(*v, 1);
	hmap_free(&m);
}

Test(hashmap, prefixes_and_lengths_are_distinct_keys)
{
	/* Each key is a prefix of the next; the embedded NULs make the byte
	 * length, not strlen, what distinguishes some of them. */
	static const struct { const char *k; size_t len; } keys[] = {
		{ "a", 1 }, { "ab", 2 }, { "abc", 3 }, { "abcd", 4 },
		{ "a\0", 2 }, { "a\0\0", 3 }, { "\0", 1 }, { "\0\0", 2 },
		{ "b", 1 }, { "ba", 2 },
	};
	const size_t n = sizeof(keys) / sizeof(keys[0]);
	struct hmap m = HMAP_INIT;
	bool created;

	for (size_t i = 0; i < n; i++) {
		uintptr_t *v = hmap_upsert(&m, keys[i].k, keys[i].len, &created);

		cr_assert_not_null(v);
		cr_assert(created, "key %zu must be new", i);
		*v = 100 + i;
	}
	cr_assert_eq(m.len, n);
	for (size_t i = 0; i < n; i++) {
		uintptr_t *v = hmap_find(&m, keys[i].k, keys[i].len);

		cr_assert_not_null(v, "key %zu", i);
		cr_assert_eq(*v, 100 + i, "key %zu", i);
	}
	/* A longer read of the same bytes is a different key. */
	cr_assert_null(hmap_find(&m, "abcde", 5));
	cr_assert_null(hmap_find(&m, "b\0", 2));
	hmap_free(&m);
}

Test(hashmap, zero_length_key)
{
	struct hmap m = HMAP_INIT;
	bool created;
	uintptr_t *v;

	cr_assert_null(hmap_find(&m, "", 0));
	v = hmap_upsert(&m, "", 0, &created);
	cr_assert_not_null(v);
	cr_assert(created);
	*v = 99;
	/* Only the length matters for an empty key, not the pointer. */
	v = hmap_upsert(&m, "ignored", 0, &created);
	cr_assert_not(created);
	cr_assert_eq(*v, 99);
	cr_assert_eq(*hmap_find(&m, "xyz", 0), 99);
	/* And it is not confused with one-byte keys. */
	cr_assert_null(hmap_find(&m, "\0", 1));
	*hmap_upsert(&m, "\0", 1, NULL) = 5;
	cr_assert_eq(*hmap_find(&m, "", 0), 99);
	cr_assert_eq(*hmap_find(&m, "\0", 1), 5);
	cr_assert_eq(m.len, 2);
	hmap_free(&m);
}

Test(hashmap, hash_is_deterministic)
{
	cr_assert_eq(hmap_hash("hello", 5), hmap_hash("hello world", 5));
	cr_assert_eq(hmap_hash("", 0), hmap_hash("x", 0));
	cr_assert_neq(hmap_hash("hello", 5), hmap_hash("hello", 4));
	cr_assert_neq(hmap_hash("ab", 2), hmap_hash("ba", 2));
}

/*
 * The table masks the hash's low bits: keys that differ in one word of a
 * frame-id array, or only in trailing zero bytes, must spread over them.
 */
Test(hashmap, hash_spreads_similar_keys)
{
	static bool seen[1024];
	uint32_t frames[27] = { 0 };
	int distinct = 0;

	for (uint32_t i = 0; i < 4096; i++) {
		frames[i % 27] = i;
		uint64_t h = hmap_hash(frames, sizeof(frames)) & 1023;

		distinct += !seen[h];
		seen[h] = true;
	}
	/* 4096 random keys into 1024 buckets leave about 2% of them empty. */
	cr_assert_gt(distinct, 950, "%d of 1024 buckets used", distinct);
	cr_assert_neq(hmap_hash("\0", 1), hmap_hash("\0\0", 2));
	cr_assert_neq(hmap_hash("abcdefgh\0", 9), hmap_hash("abcdefgh", 8));
}

#define MANY 100000

Test(hashmap, many_keys_with_growth)
{
	struct hmap m = HMAP_INIT;
	char key[32];
	size_t last_cap = 0, grows = 0;

	for (size_t i = 0; i < MANY; i++) {
		int len = snprintf(key, sizeof(key), "key-%zu", i);
		bool created;
		uintptr_t *v = hmap_upsert(&m, key, len, &created);

		cr_assert_not_null(v);
		cr_assert(created, "key %s new", key);
		*v = i + 1;
		if (m.cap != last_cap) {
			grows++;
			last_cap = m.cap;
		}
	}
	cr_assert_eq(m.len, MANY);
	cr_assert(grows > 5, "the table grew (%zu times)", grows);
	cr_assert_eq(m.cap & (m.cap - 1), 0, "capacity %zu is a power of two", m.cap);
	cr_assert(m.cap > m.len);

	/* Every key survives the rehashing with its value... */
	for (size_t i = 0; i < MANY; i++) {
		int len = snprintf(key, sizeof(key), "key-%zu", i);
		uintptr_t *v = hmap_find(&m, key, len);

		cr_assert_not_null(v, "key %s lost", key);
		cr_assert_eq(*v, i + 1, "key %s", key);
	}
	/* ...upserting them again creates nothing... */
	for (size_t i = 0; i < MANY; i += 997) {
		int len = snprintf(key, sizeof(key), "key-%zu", i);
		bool created = true;

		cr_assert_eq(*hmap_upsert(&m, key, len, &created), i + 1);
		cr_assert_not(created);
	}
	cr_assert_eq(m.len, MANY);
	/* ...absent keys stay absent... */
	for (size_t i = MANY; i < MANY + 1000; i++) {
		int len = snprintf(key, sizeof(key), "key-%zu", i);

		cr_assert_null(hmap_find(&m, key, len));
	}
	cr_assert_null(hmap_find(&m, "key-", 4));
	cr_assert_null(hmap_find(&m, "key-1 ", 6));

	/* ...and iteration sees each entry exactly once. */
	const struct hmap_slot *s;
	size_t n = 0;
	uint64_t sum = 0;

	hmap_for_each(&m, s) {
		n++;
		sum += s->value;
	}
	cr_assert_eq(n, MANY);
	cr_assert_eq(sum, (uint64_t)MANY * (MANY + 1) / 2);
	hmap_free(&m);
	cr_assert_eq(count_slots(&m), 0);
}

Test(hashmap, binary_keys_of_different_lengths)
{
	/* uint32 arrays sharing prefixes, as profile.c keys stacks. */
	struct hmap m = HMAP_INIT;
	uint32_t frames[64];

	for (uint32_t i = 0; i < 64; i++)
		frames[i] = i * 3;
	for (uint32_t depth = 0; depth <= 64; depth++) {
		bool created;

		*hmap_upsert(&m, frames, depth * sizeof(uint32_t), &created) = depth + 1;
		cr_assert(created, "depth %u", depth);
	}
	cr_assert_eq(m.len, 65);
	for (uint32_t depth = 0; depth <= 64; depth++)
		cr_assert_eq(*hmap_find(&m, frames, depth * sizeof(uint32_t)), depth + 1);
	hmap_free(&m);

	/* Re-use after free starts from scratch. */
	cr_assert_null(hmap_find(&m, frames, 4));
	*hmap_upsert(&m, frames, 4, NULL) = 3;
	cr_assert_eq(*hmap_find(&m, frames, 4), 3);
	cr_assert_eq(m.len, 1);
	hmap_free(&m);
}

/* Looking up an absent key must terminate at every fill level: an
 * open-addressing table must never become completely full. */
Test(hashmap, absent_lookups_at_every_fill_level, .timeout = 10)
{
	struct hmap m = HMAP_INIT;
	uint32_t k;

	for (k = 0; k < 1100; k++) {
		*hmap_upsert(&m, &k, sizeof(k), NULL) = k + 1;
		cr_assert(m.len < m.cap, "%zu keys fill all %zu slots", m.len, m.cap);
		uint32_t absent = 0xffffffffu - k;

		cr_assert_null(hmap_find(&m, &absent, sizeof(absent)));
	}
	for (k = 0; k < 1100; k++)
		cr_assert_eq(*hmap_find(&m, &k, sizeof(k)), k + 1);
	hmap_free(&m);
}

/* Removal shifts later entries of a probe run back: every other key must
 * stay findable with its value, whatever runs the removed keys were in. */
Test(hashmap, remove_keeps_every_other_key_findable)
{
	struct hmap m = HMAP_INIT;
	uint32_t k;

	for (k = 0; k < 1000; k++)
		*hmap_upsert(&m, &k, sizeof(k), NULL) = k + 1;
	for (k = 0; k < 1000; k += 3)
		cr_assert(hmap_remove(&m, &k, sizeof(k)), "key %u was there", k);
	cr_assert_not(hmap_remove(&m, &(uint32_t){ 0 }, sizeof(uint32_t)), "removed twice");
	cr_assert_not(hmap_remove(&m, &(uint32_t){ 5000 }, sizeof(uint32_t)), "never there");
	cr_assert_eq(m.len, 1000 - 334);
	cr_assert_eq(count_slots(&m), m.len);
	for (k = 0; k < 1000; k++) {
		uintptr_t *v = hmap_find(&m, &k, sizeof(k));

		if (k % 3 == 0) {
			cr_assert_null(v, "key %u was removed", k);
		} else {
			cr_assert_not_null(v, "key %u lost", k);
			cr_assert_eq(*v, k + 1);
		}
	}
	/* And the slots are usable again. */
	*hmap_upsert(&m, &(uint32_t){ 3 }, sizeof(uint32_t), NULL) = 77;
	cr_assert_eq(*hmap_find(&m, &(uint32_t){ 3 }, sizeof(uint32_t)), 77);
	hmap_free(&m);
	cr_assert_not(hmap_remove(&m, "a", 1), "an empty map has nothing to remove");
}
