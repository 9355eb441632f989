// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/py_dict.c and thread_names.c over a target memory built here,
 * by each version's layout: dicts of each keys layout (combined, split,
 * 3.11+ unicode tables), corrupt and huge ones that must be refused within
 * a bounded number of reads, and threading._active found from the
 * interpreter, its Threads' attributes wherever their version keeps them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "process/target_mem.h"
#include "python/py_dict.h"
#include "python/py_layout.h"
#include "python/python_target.h"
#include "python/thread_names.h"

#include "fake_objects.h"

#define NONE PYPERF_OFF_NONE
#define O (&fo_layout.objects)

struct seen {
	size_t n;
	uint64_t keys[64], values[64];
	int stop_after;		/* 0: never stop */
};

static int see(void *ctx, uint64_t key, uint64_t value)
{
	struct seen *s = ctx;

	cr_assert(s->n < 64);
	s->keys[s->n] = key;
	s->values[s->n++] = value;
	return s->stop_after && (int)s->n == s->stop_after ? 7 : 0;
}

static const int versions[] = { 8, 9, 10, 11, 12, 13 };

Test(py_dict, combined_general_tables_every_version, .fini = fo_done)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		uint64_t keys[] = { 0x1001, 0x1002, 0x1003, 0x1004 };
		uint64_t values[] = { 0x2001, 0, 0x2003, 0x2004 };	/* the second deleted */
		struct seen s = { 0 };

		fo_use_version(versions[v]);
		uint64_t dict = fo_dict(fo_keys(3, FO_GENERAL, 4, keys, values), 0);

		cr_assert_eq(py_dict_for_each(1, &O->dict, dict, see, &s), 0, "3.%d", versions[v]);
		cr_assert_eq(s.n, 3, "3.%d: %zu items", versions[v], s.n);
		cr_assert_eq(s.keys[0], 0x1001);
		cr_assert_eq(s.values[1], 0x2003);
		cr_assert_eq(s.keys[2], 0x1004);
		/* A nonzero answer stops the walk and is returned. */
		s = (struct seen){ .stop_after = 2 };
		cr_assert_eq(py_dict_for_each(1, &O->dict, dict, see, &s), 7);
		cr_assert_eq(s.n, 2);
	}
}

/* Counts items whose value matches their key, as wide_indices_and_chunks makes them. */
static int count_matching(void *ctx, uint64_t key, uint64_t value)
{
	size_t *n = ctx;

	cr_assert_eq(value, 0x9000 + (key - 0x5000));
	(*n)++;
	return 0;
}

Test(py_dict, wide_indices_and_chunks, .fini = fo_done)
{
	/* 2^9 slots: 2-byte indices; 300 entries span several chunks. */
	static uint64_t keys[300], values[300];

	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		size_t count = 0;

		fo_use_version(versions[v]);
		for (size_t i = 0; i < 300; i++) {
			keys[i] = 0x5000 + i;
			values[i] = i % 7 ? 0x9000 + i : 0;
			count += values[i] != 0;
		}
		uint64_t dict = fo_dict(fo_keys(9, FO_GENERAL, 300, keys, values), 0);
		size_t n = 0;

		cr_assert_eq(py_dict_for_each(1, &O->dict, dict, count_matching, &n), 0, "3.%d", versions[v]);
		cr_assert_eq(n, count, "3.%d: %zu of %zu", versions[v], n, count);
	}
}

Test(py_dict, unicode_tables_have_16_byte_entries, .fini = fo_done)
{
	static const int unicode_versions[] = { 11, 12, 13 };

	for (size_t v = 0; v < 3; v++) {
		const char *names[] = { "sys", "threading", "os" };
		uint64_t values[] = { 0x31, 0x32, 0x33 };
		struct seen s = { 0 };

		fo_use_version(unicode_versions[v]);
		cr_assert_eq(O->dict.unicode_entry_size, 16);
		cr_assert_eq(py_dict_for_each(1, &O->dict, fo_str_dict(3, names, values), see, &s), 0);
		cr_assert_eq(s.n, 3);
		cr_assert_eq(s.values[0], 0x31);
		cr_assert_eq(s.values[2], 0x33);
	}
}

Test(py_dict, split_tables_take_the_values_of_the_object, .fini = fo_done)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		uint64_t keys[] = { 0x1001, 0x1002, 0x1003 };
		uint64_t values[] = { 0x7001, 0, 0x7003 };	/* the second attribute never set */
		struct seen s = { 0 };

		fo_use_version(versions[v]);
		uint64_t shared = fo_keys(3, FO_SPLIT, 3, keys, NULL);
		uint64_t dict = fo_dict(shared, fo_values(3, values));

		cr_assert_eq(py_dict_for_each(1, &O->dict, dict, see, &s), 0, "3.%d", versions[v]);
		cr_assert_eq(s.n, 2, "3.%d", versions[v]);
		cr_assert_eq(s.values[0], 0x7001);
		cr_assert_eq(s.keys[1], 0x1003);
		cr_assert_eq(s.values[1], 0x7003);
		/* The same table without a dict (an object's own values). */
		s = (struct seen){ 0 };
		cr_assert_eq(py_dict_table_for_each(1, &O->dict, shared, fo_values(3, values), see, &s), 0);
		cr_assert_eq(s.n, 2);
	}
}

Test(py_dict, corrupt_and_huge_tables_are_refused_boundedly, .fini = fo_done)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		const struct py_dict_layout *D;
		uint64_t keys[] = { 0x1001 }, values[] = { 0x2001 };
		struct seen s = { 0 };
		uint64_t k;

		fo_use_version(versions[v]);
		D = &O->dict;
		/* More entries than slots. */
		k = fo_keys(3, FO_GENERAL, 1, keys, values);
		fo_put64(k + D->keys_nentries, 9);
		cr_assert_eq(py_dict_for_each(1, D, fo_dict(k, 0), see, &s), -EINVAL, "3.%d", versions[v]);
		/* Negative entries. */
		fo_put64(k + D->keys_nentries, (uint64_t)-1);
		cr_assert_eq(py_dict_for_each(1, D, fo_dict(k, 0), see, &s), -EINVAL);
		/* A table of 2^40 slots and entries: refused without reading them. */
		fo_reads = 0;
		if (D->log2_size) {
			fo_put8(k + D->keys_size, 40);
			fo_put8(k + D->keys_log2_index_bytes, 42);
		} else {
			fo_put64(k + D->keys_size, 1ULL << 40);
		}
		fo_put64(k + D->keys_nentries, 1ULL << 39);
		cr_assert_eq(py_dict_for_each(1, D, fo_dict(k, 0), see, &s), -E2BIG, "3.%d", versions[v]);
		cr_assert_leq(fo_reads, 3);
		/* A table within bounds whose entries run past readable memory (its end). */
		uint64_t at_end = fo_dict(0, 0);
		size_t used = fo_mem_used;

		fo_mem_used = FO_MEM_SIZE - (D->keys_indices + (2u << 15) + 24 + 128);
		k = fo_keys(15, FO_GENERAL, 1, keys, values);
		fo_put64(at_end + D->keys, k);
		fo_put64(k + D->keys_nentries, PY_DICT_MAX_ENTRIES);
		cr_assert_eq(py_dict_for_each(1, D, at_end, see, &s), -EFAULT);
		/* One entry more than the bound: refused. */
		fo_put64(k + D->keys_nentries, PY_DICT_MAX_ENTRIES + 1);
		cr_assert_eq(py_dict_for_each(1, D, at_end, see, &s), -E2BIG);
		fo_mem_used = used;
		/* Index widths that do not match the size (3.11+), sizes not a power of two (<= 3.10). */
		k = fo_keys(3, FO_GENERAL, 1, keys, values);
		if (D->log2_size)
			fo_put8(k + D->keys_log2_index_bytes, 7);
		else
			fo_put64(k + D->keys_size, 12);
		cr_assert_eq(py_dict_for_each(1, D, fo_dict(k, 0), see, &s), -EINVAL);
		/* No keys, or a dict nowhere. */
		cr_assert_eq(py_dict_for_each(1, D, fo_dict(0, 0), see, &s), -EINVAL);
		cr_assert_eq(py_dict_for_each(1, D, 0x10, see, &s), -EFAULT);
		cr_assert_eq(s.n, 0, "nothing told from a refused table");
	}
}

/* ---- threading._active ------------------------------------------------ */

/* The attributes a Thread has, in the order threading sets them. */
static const char *const thread_attrs[] = { "_target", "_name", "_ident", "_native_id" };

enum storage { OWN_DICT, OBJECT_VALUES };

/*
 * A Thread named NAME of OS id TID (NATIVE_ID: the _native_id object, or 0
 * to make one), its attributes where its version keeps them: in a dict
 * (OWN_DICT; up to 3.10 always), else in values of the type's cached keys.
 */
static uint64_t thread_obj(uint64_t type, const char *name, uint64_t native_id, pid_t tid,
			   enum storage storage)
{
	const struct py_instance_layout *I = &O->instance;
	uint64_t values[] = { 0x1, fo_str(name), fo_int(0x7f00 + tid),
			      native_id ? native_id : fo_int(tid) };
	uint64_t obj = fo_alloc(64), attrs;

	fo_put64(obj + fo_layout.object_type, type);
	if (!I->managed_dict_flag) {
		fo_put64(obj + 16, fo_str_dict(4, thread_attrs, values));
		return obj;
	}
	if (storage == OWN_DICT) {
		fo_put64(obj + I->managed_dict, fo_str_dict(4, thread_attrs, values));
		return obj;
	}
	if (I->inline_values_flag) {
		/* Inline after the 16-byte object: PyDictValues with valid set. */
		fo_put(obj + 16 + O->dict.values_array, values, sizeof(values));
		fo_put8(obj + 16 + I->inline_values_valid, 1);
		return obj;
	}
	attrs = fo_values(4, values);
	if (I->values_tag)
		fo_put64(obj + I->managed_dict, attrs - I->values_tag);
	else
		fo_put64(obj + I->managed_values, attrs);
	return obj;
}

/* threading.Thread: its cached keys, flags and sizes. */
static uint64_t thread_type(void)
{
	const struct py_instance_layout *I = &O->instance;
	uint64_t type = fo_type_named("Thread"), keys[4];

	for (size_t i = 0; i < 4; i++)
		keys[i] = fo_str(thread_attrs[i]);
	fo_put64(type + I->heaptype_cached_keys, fo_keys(3, FO_SPLIT, 4, keys, NULL));
	fo_put64(type + I->type_flags, I->managed_dict_flag | I->inline_values_flag);
	fo_put64(type + I->type_basicsize, 16);
	fo_put64(type + I->type_dictoffset, I->managed_dict_flag ? 0 : 16);
	return type;
}

/* The runtime: one interpreter whose sys.modules has threading, its _active THREADS. */
static struct python_target runtime(size_t n, const uint64_t *threads)
{
	uint64_t idents[8], active;
	const char *globals[] = { "_counter", "_active", "_limbo" };

	cr_assert(n <= 8);
	for (size_t i = 0; i < n; i++)
		idents[i] = fo_int(0x7f00 + i);
	active = fo_dict(fo_keys(3, FO_GENERAL, n, idents, threads), 0);
	return fo_runtime("threading", 3, globals, (uint64_t[]){ 0x1, active, 0x2 });
}

struct named {
	size_t n;
	pid_t tids[8];
	char names[8][THREAD_NAME_MAX];
};

static void take_name(void *ctx, pid_t tid, const char *name)
{
	struct named *nm = ctx;

	cr_assert(nm->n < 8);
	nm->tids[nm->n] = tid;
	strcpy(nm->names[nm->n++], name);
}

Test(thread_names, every_version_every_storage, .fini = fo_done)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		struct named nm = { 0 };
		uint64_t type, threads[4];

		fo_use_version(versions[v]);
		type = thread_type();
		threads[0] = thread_obj(type, "alpha-worker", 0, 101, OBJECT_VALUES);
		threads[1] = thread_obj(type, "beta-worker-with-a-long-name-over-15", 0, 102, OWN_DICT);
		/* Not started yet: _native_id is None, no guess. */
		uint64_t none = fo_alloc(32);

		fo_put64(none + fo_layout.object_type, fo_none_type);
		threads[2] = thread_obj(type, "not-started", none, 103, OBJECT_VALUES);
		/* Unreadable: its type is nowhere. */
		threads[3] = thread_obj(type, "lost", 0, 104, OBJECT_VALUES);
		fo_put64(threads[3] + fo_layout.object_type, 0x10);

		struct python_target t = runtime(4, threads);

		cr_assert_eq(thread_names_read(&t, take_name, &nm), 0, "3.%d", versions[v]);
		cr_assert_eq(nm.n, 2, "3.%d: %zu names", versions[v], nm.n);
		cr_assert_eq(nm.tids[0], 101);
		cr_assert_str_eq(nm.names[0], "alpha-worker");
		cr_assert_eq(nm.tids[1], 102);
		cr_assert_str_eq(nm.names[1], "beta-worker-with-a-long-name-over-15");
	}
}

Test(thread_names, cached_per_thread_main_thread_keeps_its_name, .fini = fo_done)
{
	struct thread_names tn;
	uint64_t type, threads[2];

	fo_use_version(12);
	type = thread_type();
	threads[0] = thread_obj(type, "alpha-worker", 0, 101, OBJECT_VALUES);
	threads[1] = thread_obj(type, "MainThread", 0, 4242, OBJECT_VALUES);
	struct python_target t = runtime(2, threads);

	thread_names_init(&tn);
	cr_assert_null(thread_names_known(&tn, &t, 101), "known fo_reads nothing");
	cr_assert_eq(fo_reads, 0);
	cr_assert_str_eq(thread_names_get(&tn, &t, 101), "alpha-worker");
	cr_assert_str_eq(thread_names_known(&tn, &t, 101), "alpha-worker");
	cr_assert_null(thread_names_get(&tn, &t, 4242), "the main thread keeps its OS name");
	cr_assert_eq(tn.reads, 1);
	/* Renamed later: the first name stays, and is not read again. */
	fo_put64(threads[0] + fo_layout.objects.instance.managed_dict, 0);
	cr_assert_str_eq(thread_names_get(&tn, &t, 101), "alpha-worker");
	/* A thread threading does not know is looked for once. */
	tn.next_read_ns = 0;	/* long after the last read */
	cr_assert_null(thread_names_get(&tn, &t, 555));
	tn.next_read_ns = 0;
	cr_assert_null(thread_names_get(&tn, &t, 555));
	cr_assert_eq(tn.reads, 2);
	/* Right after a read: none, whatever the thread (the cost bound). */
	tn.next_read_ns = UINT64_MAX;
	threads[1] = thread_obj(thread_type(), "late", 0, 556, OBJECT_VALUES);
	cr_assert_null(thread_names_get(&tn, &t, 556));
	cr_assert_eq(tn.reads, 2);
	cr_assert_eq(tn.postponed, 1);
	thread_names_free(&tn);
}

Test(thread_names, no_threading_and_unsupported_versions, .fini = fo_done)
{
	struct named nm = { 0 };
	struct python_target t;

	const char *modules[] = { "sys", "os" };
	uint64_t interp;

	fo_use_version(11);
	t = runtime(0, NULL);
	/* An interpreter without sys.modules yet, then one without threading. */
	interp = fo_alloc(4096);
	fo_put64(t.runtime_addr + fo_layout.bpf.runtime_interp_head, interp);
	cr_assert_eq(thread_names_read(&t, take_name, &nm), -ENOENT);
	fo_put64(interp + O->interp_modules, fo_str_dict(2, modules, (uint64_t[]){ 0x3, 0x4 }));
	cr_assert_eq(thread_names_read(&t, take_name, &nm), -ENOENT);
	/* 3.14+ name their threads themselves. */
	t.layout = *py_layout_static(3, 14, false);
	cr_assert_eq(thread_names_read(&t, take_name, &nm), -ENOTSUP);
	cr_assert_eq(nm.n, 0);
}
