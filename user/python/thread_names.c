// SPDX-License-Identifier: BSD-3-Clause
/*
 * threading's thread names, from the target's memory: for each interpreter,
 * sys.modules['threading'].__dict__['_active'] (ident -> Thread), and of
 * each Thread its attributes _name (a str) and _native_id (an int).  Where
 * a version keeps dicts, attributes and ints is struct py_objects_layout's
 * business; nothing here depends on the version.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "python/thread_names.h"
#include "base/clock.h"
#include "python/py_objects.h"
#include "python/pystr.h"
#include "python/python_target.h"
#include "process/target_mem.h"

/* Interpreters looked into at most (sub-interpreters each have a threading). */
#define MAX_INTERPRETERS 16

struct reader {
	struct py_objects objects;
	unsigned int threads;
	thread_name_fn fn;
	void *ctx;
};

/* A Thread's two attributes, as the walk of its attributes finds them. */
struct thread_attrs {
	struct reader *r;
	uint64_t name, native_id;
};

static int take_attribute(void *ctx, uint64_t key, uint64_t value)
{
	struct thread_attrs *a = ctx;
	const struct py_objects *o = &a->r->objects;

	if (pystr_equals(o->pid, o->L, key, "_name") == 1)
		a->name = value;
	else if (pystr_equals(o->pid, o->L, key, "_native_id") == 1)
		a->native_id = value;
	return a->name && a->native_id;	/* both found: stop */
}

/* One item of threading._active: IDENT -> a Thread. */
static int take_thread(void *ctx, uint64_t ident, uint64_t thread)
{
	struct reader *r = ctx;
	struct py_objects *o = &r->objects;
	struct thread_attrs a = { .r = r };
	char name[THREAD_NAME_MAX];
	uint64_t tid;

	if (++r->threads > THREAD_NAMES_MAX_THREADS)
		return -E2BIG;
	/* One Thread that cannot be read costs only its own name. */
	if (py_for_each_attribute(o, thread, take_attribute, &a) < 0 || !a.name || !a.native_id)
		return 0;
	if (py_read_small_int(o, a.native_id, &tid) || !tid || tid > INT32_MAX ||
	    !py_has_type(o, a.name, "str", &o->str_type) ||
	    pystr_read(o->pid, o->L, a.name, name, sizeof(name), NULL))
		return 0;
	r->fn(r->ctx, (pid_t)tid, name);
	return 0;
}

int thread_names_read(const struct python_target *t, thread_name_fn fn, void *ctx)
{
	struct reader r = { .fn = fn, .ctx = ctx };
	struct py_objects *o = &r.objects;
	uint64_t interp, globals, active;
	int err, found = -ENOENT;

	py_objects_init(o, t);
	if (!o->O->supported || o->O->interp_modules == PYPERF_OFF_NONE)
		return -ENOTSUP;
	err = target_read_u64(o->pid, t->runtime_addr + o->L->bpf.runtime_interp_head, &interp);
	for (int i = 0; !err && interp && i < MAX_INTERPRETERS; i++) {
		int rc = py_module_globals(o, interp, "threading", &globals);

		if (!rc)
			rc = py_dict_get(o, globals, "_active", &active);
		if (!rc)
			rc = py_dict_for_each(o->pid, &o->O->dict, active, take_thread, &r);
		if (rc != -ENOENT)
			found = rc;
		if (rc == -E2BIG)
			break;
		err = target_read_u64(o->pid, interp + o->L->bpf.interp_next, &interp);
	}
	return err ? err : found;
}

static void remember(void *ctx, pid_t tid, const char *name)
{
	struct thread_names *tn = ctx;
	bool created;
	uintptr_t *slot = hmap_upsert(&tn->names, &tid, sizeof(tid), &created);
	char *copy;

	/* The first name read stays: a thread renamed later keeps it. */
	if (!slot || !created)
		return;
	copy = strdup(name);
	if (copy)
		*slot = (uintptr_t)copy;
	else
		hmap_remove(&tn->names, &tid, sizeof(tid));
}

void thread_names_init(struct thread_names *tn)
{
	memset(tn, 0, sizeof(*tn));
}

void thread_names_free(struct thread_names *tn)
{
	struct hmap_slot *s;

	hmap_for_each(&tn->names, s)
		free((char *)s->value);
	hmap_free(&tn->names);
	hmap_free(&tn->unnamed);
	thread_names_init(tn);
}

void thread_names_refresh(struct thread_names *tn, const struct python_target *t)
{
	uint64_t start = monotonic_ns(), end;

	tn->reads++;
	if (thread_names_read(t, remember, tn) == -ENOTSUP)
		tn->unsupported = true;
	end = monotonic_ns();
	tn->next_read_ns = end + THREAD_NAMES_COST_FACTOR * (end - start);
}

const char *thread_names_known(const struct thread_names *tn, const struct python_target *t,
			       pid_t tid)
{
	uintptr_t *slot;

	/* Like 3.14+, which name only the threads threading starts. */
	if (tid == t->pid)
		return NULL;
	slot = hmap_find(&tn->names, &tid, sizeof(tid));
	return slot ? (const char *)*slot : NULL;
}

const char *thread_names_get(struct thread_names *tn, const struct python_target *t, pid_t tid)
{
	const char *name = thread_names_known(tn, t, tid);

	if (name || tid == t->pid || tn->unsupported || hmap_find(&tn->unnamed, &tid, sizeof(tid)))
		return name;
	if (monotonic_ns() < tn->next_read_ns) {
		tn->postponed++;
		return NULL;
	}
	thread_names_refresh(tn, t);
	name = thread_names_known(tn, t, tid);
	if (!name)
		hmap_upsert(&tn->unnamed, &tid, sizeof(tid), NULL);
	return name;
}
