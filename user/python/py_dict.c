// SPDX-License-Identifier: BSD-3-Clause
/*
 * The dict walk.  A keys object is a header, an index table (one slot per
 * table position, 1 to 8 bytes wide) and then the entries in insertion
 * order; deleted entries have a NULL key or value, so walking the entries
 * without the index table sees every live item once.
 */
#include <errno.h>
#include <string.h>
#include "python/py_dict.h"
#include "base/bytes.h"
#include "process/target_mem.h"

/* Header bytes read of a keys object: dk_indices is well inside this in every version. */
#define KEYS_HEADER_MAX 64
/* Largest table accepted: above PY_DICT_MAX_ENTRIES' usable two thirds. */
#define MAX_LOG2_SIZE 15
/* Entries read at once. */
#define CHUNK_ENTRIES 64

/* Where key and value lie in an entry of each shape. */
#define GENERAL_KEY_AT 8	/* { me_hash, me_key, me_value } */
#define GENERAL_VALUE_AT 16
#define UNICODE_KEY_AT 0	/* { me_key, me_value } */
#define UNICODE_VALUE_AT 8
#define MAX_ENTRY_SIZE 24

_Static_assert(PY_DICT_MAX_ENTRIES <= (1 << MAX_LOG2_SIZE), "the table bound must admit the entry bound");

struct table {
	uint64_t entries;		/* address of entry 0 */
	uint64_t n;			/* dk_nentries */
	uint8_t entry_size, key_at, value_at;
};


/* Up to 3.10: the index width follows from dk_size (Objects/dict-common.h DK_IXSIZE). */
static unsigned int index_width(uint64_t size)
{
	return size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffULL ? 4 : 8;
}

static int parse_keys(pid_t pid, const struct py_dict_layout *L, uint64_t keys, struct table *t)
{
	uint8_t hdr[KEYS_HEADER_MAX];
	uint64_t size, index_bytes;
	int64_t nentries;
	bool general;
	int err;

	if (L->keys_indices > sizeof(hdr) || L->keys_nentries + 8 > L->keys_indices)
		return -EINVAL;
	err = target_read(pid, keys, hdr, L->keys_indices);
	if (err)
		return err;
	if (L->log2_size) {
		unsigned int log2 = hdr[L->keys_size], log2_index = hdr[L->keys_log2_index_bytes];

		/* Indices are 1, 2, 4 or 8 bytes: log2 of their table is log2 + 0..3. */
		if (log2 > MAX_LOG2_SIZE)
			return -E2BIG;
		if (log2_index < log2 || log2_index > log2 + 3)
			return -EINVAL;
		size = 1ULL << log2;
		index_bytes = 1ULL << log2_index;
	} else {
		size = u64_at(hdr, L->keys_size);
		if (!size || (size & (size - 1)))
			return -EINVAL;
		if (size > (1ULL << MAX_LOG2_SIZE))
			return -E2BIG;
		index_bytes = size * index_width(size);
	}
	memcpy(&nentries, hdr + L->keys_nentries, sizeof(nentries));
	if (nentries < 0 || (uint64_t)nentries > size)
		return -EINVAL;
	if (nentries > PY_DICT_MAX_ENTRIES)
		return -E2BIG;
	general = L->keys_kind == PYPERF_OFF_NONE || hdr[L->keys_kind] == L->kind_general;
	t->entry_size = general ? L->general_entry_size : L->unicode_entry_size;
	t->key_at = general ? GENERAL_KEY_AT : UNICODE_KEY_AT;
	t->value_at = general ? GENERAL_VALUE_AT : UNICODE_VALUE_AT;
	if (t->entry_size > MAX_ENTRY_SIZE || t->value_at + 8 > t->entry_size)
		return -EINVAL;
	t->entries = keys + L->keys_indices + index_bytes;
	t->n = (uint64_t)nentries;
	return 0;
}

/* What walk() tells FN with each key: its value (from VALUES when split), or its entry's index. */
enum told { TELL_VALUE, TELL_INDEX };

static int walk(pid_t pid, const struct py_dict_layout *L, uint64_t keys, uint64_t values,
		enum told told, py_dict_item_fn fn, void *ctx)
{
	uint8_t entries[CHUNK_ENTRIES * MAX_ENTRY_SIZE];
	uint64_t split[CHUNK_ENTRIES];
	struct table t;
	int err = parse_keys(pid, L, keys, &t);

	if (err)
		return err;
	for (uint64_t first = 0; first < t.n; first += CHUNK_ENTRIES) {
		size_t n = t.n - first < CHUNK_ENTRIES ? t.n - first : CHUNK_ENTRIES;

		err = target_read(pid, t.entries + first * t.entry_size, entries, n * t.entry_size);
		/* A split table's values are the object's, by entry index. */
		if (!err && values && told == TELL_VALUE)
			err = target_read(pid, values + L->values_array + first * 8, split, n * 8);
		if (err)
			return err;
		for (size_t i = 0; i < n; i++) {
			const uint8_t *e = entries + i * t.entry_size;
			uint64_t key = u64_at(e, t.key_at);
			uint64_t value = told == TELL_INDEX ? first + i : values ? split[i] : u64_at(e, t.value_at);

			if (!key || (told == TELL_VALUE && !value))
				continue;	/* deleted, or an attribute never set */
			err = fn(ctx, key, value);
			if (err)
				return err;
		}
	}
	return 0;
}

int py_dict_table_for_each(pid_t pid, const struct py_dict_layout *L, uint64_t keys,
			   uint64_t values, py_dict_item_fn fn, void *ctx)
{
	return walk(pid, L, keys, values, TELL_VALUE, fn, ctx);
}

int py_dict_keys_for_each(pid_t pid, const struct py_dict_layout *L, uint64_t keys,
			  py_dict_item_fn fn, void *ctx)
{
	return walk(pid, L, keys, 0, TELL_INDEX, fn, ctx);
}

int py_dict_for_each(pid_t pid, const struct py_dict_layout *L, uint64_t dict,
		     py_dict_item_fn fn, void *ctx)
{
	uint64_t keys, values;
	int err = target_read_u64(pid, dict + L->keys, &keys);

	if (!err)
		err = target_read_u64(pid, dict + L->values, &values);
	if (err)
		return err;
	if (!keys)
		return -EINVAL;
	return py_dict_table_for_each(pid, L, keys, values, fn, ctx);
}
