// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/asyncio_sampling.c over a target memory made here with each
 * version's layout: --async's configuration found in asyncio.tasks' globals
 * and types' (and not found without asyncio, or with a Task that is not the C one),
 * and a sample's task named from the bytes the kernel copied: a str, 3.13's
 * default name kept as an int, anything else "?".
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "fake_objects.h"
#include "python/asyncio_sampling.h"
#include "python/py_objects.h"

#define A (&fo_layout.asyncio)
#define D (&fo_layout.objects.dict)

static const int versions[] = { 8, 9, 10, 11, 12 };
#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

static uint64_t function_type, gathering_type, coroutine_type;

/* The instances' size of the fake types made here (tp_basicsize). */
static uint64_t task_size = 176, future_size = 128;

static uint64_t type_sized(const char *name, uint64_t size)
{
	uint64_t type = fo_type_named(name);

	fo_put64(type + fo_layout.objects.instance.type_basicsize, size);
	return type;
}

/*
 * 3.MINOR's asyncio.tasks with an empty dict as _current_tasks (*CURRENT),
 * a type named TASK_TYPE (*TYPE) as _CTask, gather() and _GatheringFuture;
 * asyncio.futures with _CFuture; and types, with CoroutineType.
 */
static struct python_target runtime(int minor, const char *task_type, uint64_t *current, uint64_t *type)
{
	const char *names[4];
	uint64_t tasks, future_type;

	fo_use_version(minor);
	names[0] = A->current_tasks;	/* the version's own name for it */
	names[1] = "_CTask";
	names[2] = "gather";
	names[3] = "_GatheringFuture";
	*current = fo_dict(fo_keys(3, FO_GENERAL, 0, NULL, NULL), 0);
	*type = type_sized(task_type, task_size);
	future_type = type_sized("_asyncio.Future", future_size);
	function_type = fo_type_named("function");
	gathering_type = fo_type_named("_GatheringFuture");
	coroutine_type = fo_type_named("coroutine");
	tasks = fo_str_dict(4, names, (uint64_t[]){ *current, *type, fo_object(function_type, 64), gathering_type });
	return fo_runtime_of(3, (const char *[]){ "asyncio.tasks", "asyncio.futures", "types" },
			     (uint64_t[]){ tasks, fo_str_dict(1, (const char *[]){ "_CFuture" }, &future_type),
					   fo_str_dict(1, (const char *[]){ "CoroutineType" }, &coroutine_type) });
}

Test(asyncio_sampling, config_only_with_asyncio_and_its_c_task, .fini = fo_done)
{
	for (size_t v = 0; v < NVERSIONS; v++) {
		struct py_asyncio_layout layout;
		struct pyperf_async a;
		uint64_t type, current;
		struct python_target t;

		t = runtime(versions[v], "_asyncio.Task", &current, &type);
		cr_assert_eq(asyncio_sampling_config(&t, &layout, &a), 0, "3.%d", versions[v]);
		const struct { uint64_t got, want; const char *field; } fields[] = {
			{ a.current_tasks, current, "current_tasks" },
			{ a.task_type, type, "task_type" },
			{ a.function_type, function_type, "function_type" },
			{ a.gathering_type, gathering_type, "gathering_type" },
			{ a.object_type, fo_layout.object_type, "object_type" },
			{ a.dict_keys, D->keys, "dict_keys" },
			{ a.keys_nentries, D->keys_nentries, "keys_nentries" },
			{ a.keys_indices, D->keys_indices, "keys_indices" },
			{ a.log2_size, D->log2_size, "log2_size" },
			{ a.entry_size, D->general_entry_size, "entry_size" },
			{ a.task_coro, A->task_coro, "task_coro" },
			{ a.task_name, A->task_name, "task_name" },
			{ a.coro_frame, A->coro_frame, "coro_frame" },
			{ a.coro_frame_embedded, A->coro_frame_embedded, "coro_frame_embedded" },
			{ a.future_callback0, A->future_callback0, "future_callback0" },
			{ a.task_fut_waiter, A->task_fut_waiter, "task_fut_waiter" },
			{ a.wakeup_task, A->wakeup_task, "wakeup_task" },
			{ a.function_closure, A->function_closure, "function_closure" },
			{ a.cell_ref, A->cell_ref, "cell_ref" },
			/* The awaiting tasks' frames, as dump --async follows a chain. */
			{ a.coroutine_type, coroutine_type, "coroutine_type" },
			{ (uint64_t)(int64_t)a.frame_state, (uint64_t)(int64_t)A->frame_state, "frame_state" },
			{ (uint64_t)(int64_t)a.await_state, (uint64_t)(int64_t)A->await.state, "await_state" },
			{ a.items_above, A->await.items_above, "items_above" },
			{ a.stack_top, A->stack_top, "stack_top" },
			{ a.frame_stack, A->frame_stack, "frame_stack" },
			{ a.frame_stack_depth, A->frame_stack_depth, "frame_stack_depth" },
		};
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			cr_assert_eq(fields[f].got, fields[f].want, "3.%d: %s", versions[v], fields[f].field);
		cr_assert_neq(a.stack_top, PYPERF_STACK_TOP_NONE, "3.%d: a supported layout says where", versions[v]);
		/* Up to 3.13 the layout is the table's, with no section's fields in it. */
		cr_assert(layout.supported && !layout.needs_debug_section && layout.task_coro == A->task_coro &&
			  layout.future_state == A->future_state && layout.debug.task_size == 0, "3.%d", versions[v]);
		cr_assert_eq(a.tstate_running_task, 0);
		cr_assert_eq(a.future_awaited_by, 0);
		/*
		 * A Task and a Future are read to the end of the last field the
		 * sampler uses, no further: a probe read past the object may meet
		 * a page never touched, and fail on every sample of that task.
		 */
		uint64_t task_end = fo_layout.object_type + 8;
		const uint64_t task_fields[] = { A->task_coro, A->task_name, A->task_fut_waiter };
		for (size_t f = 0; f < 3; f++)
			task_end = task_fields[f] + 8 > task_end ? task_fields[f] + 8 : task_end;
		cr_assert_eq(a.task_read, task_end, "3.%d", versions[v]);
		cr_assert_eq(a.future_read, A->future_callback0 + 8, "3.%d", versions[v]);
		cr_assert_leq(a.task_read, task_size);
		/* A Task (or Future) type smaller than the fields read: refused. */
		task_size = task_end - 8;
		t = runtime(versions[v], "_asyncio.Task", &current, &type);
		cr_assert_eq(asyncio_sampling_config(&t, &layout, &a), -ENOTSUP, "3.%d", versions[v]);
		task_size = 176;
		future_size = A->future_callback0;
		t = runtime(versions[v], "_asyncio.Task", &current, &type);
		cr_assert_eq(asyncio_sampling_config(&t, &layout, &a), -ENOTSUP, "3.%d", versions[v]);
		future_size = 128;
		/* asyncio's pure-Python Task (no _asyncio): not read. */
		t = runtime(versions[v], "Task", &current, &type);
		cr_assert_eq(asyncio_sampling_config(&t, &layout, &a), -ENOENT, "3.%d", versions[v]);
		cr_assert_eq(a.current_tasks, 0, "off when not found");
		/* asyncio not imported (yet). */
		fo_use_version(versions[v]);
		t = fo_runtime("threading", 1, (const char *[]){ "_active" }, (uint64_t[]){ 0x1 });
		cr_assert_eq(asyncio_sampling_config(&t, &layout, &a), -ENOENT);
	}
}

/* TASK's name head copied as the kernel does, from the object at NAME: its first BYTES. */
static void copy_some(struct pyperf_task *task, uint64_t name, size_t bytes)
{
	memset(task, 0, sizeof(*task));
	task->name = name;
	task->name_bytes = bytes;
	memcpy(task->name_head, fo_mem + (name - FO_MEM_BASE), bytes);
}

static void copy_head(struct pyperf_task *task, uint64_t name)
{
	copy_some(task, name, sizeof(task->name_head));
}

Test(asyncio_sampling, task_names_from_the_copied_bytes, .fini = fo_done)
{
	static const int all[] = { 8, 9, 10, 11, 12, 13 };

	for (size_t v = 0; v < sizeof(all) / sizeof(all[0]); v++) {
		struct python_target t;
		struct pyperf_task task;
		struct py_objects o;
		char name[160];

		fo_use_version(all[v]);
		t = fo_runtime("threading", 1, (const char *[]){ "_active" }, (uint64_t[]){ 0x1 });
		py_objects_init(&o, &t);
		copy_head(&task, fo_str("alpha"));
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert_str_eq(name, "alpha", "3.%d", all[v]);
		/* 3.13 keeps a default name as its number until asked for it. */
		copy_head(&task, fo_int(12345));
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert_str_eq(name, "Task-12345");
		/* Longer than the bytes copied: cut, and said to be. */
		copy_head(&task, fo_str("a-task-name-far-longer-than-the-ninety-six-bytes-the-kernel-copies-of-it"));
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert(strncmp(name, "a-task-name-far", 15) == 0 && strstr(name, "..."), "%s", name);
		/* Only the header read (the object ran into a page not present): no character made up. */
		copy_some(&task, fo_str("a-task-name-far-longer-than-the-ninety-six-bytes-the-kernel-copies-of-it"),
			  fo_layout.bpf.str_ascii_data);
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert_str_eq(name, "...", "%s", name);
		/* Not even the type: nothing known. */
		copy_some(&task, fo_str("alpha"), 4);
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert_str_eq(name, "?");
		/* Neither: a name object the kernel could not read, or of another type. */
		copy_head(&task, fo_object(fo_type_named("bytes"), 40));
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert_str_eq(name, "?");
		memset(&task, 0, sizeof(task));
		asyncio_sampled_task_name(&o, &task, name, sizeof(name));
		cr_assert_str_eq(name, "?");
	}
}

/*
 * 3.11-3.13: where a TaskGroup keeps its _parent_task, found only once a
 * group has set it (its index in the class's shared keys); none to read
 * before 3.11 (no TaskGroup) or from 3.14 (the runtime records awaiters).
 */
Test(asyncio_sampling, taskgroup_parent_slot_once_a_group_has_one, .fini = fo_done)
{
	static const int all[] = { 10, 11, 12, 13 };

	for (size_t v = 0; v < sizeof(all) / sizeof(all[0]); v++) {
		const struct py_instance_layout *I = &fo_layout.objects.instance;
		uint64_t group, method, keys;
		struct python_target t;
		struct pyperf_async a = { 0 };
		int minor = all[v];

		fo_use_version(minor);
		group = fo_class("TaskGroup");
		method = fo_type_named("method");
		t = fo_runtime_of(2, (const char *[]){ "asyncio.taskgroups", "types" },
				  (uint64_t[]){ fo_str_dict(1, (const char *[]){ "TaskGroup" }, &group),
						fo_str_dict(1, (const char *[]){ "MethodType" }, &method) });
		if (!A->taskgroups) {
			cr_assert_eq(asyncio_sampling_taskgroups(&t, A, &a), -ENOTSUP, "3.%d", minor);
			continue;
		}
		if (I->inline_values_flag) {
			fo_put64(group + I->type_flags, I->managed_dict_flag | I->inline_values_flag);
			fo_put64(group + I->type_basicsize, 40);
		}
		/* No group made yet: the types are kept, nothing for the sampler. */
		cr_assert_eq(asyncio_sampling_taskgroups(&t, A, &a), -ENOENT, "3.%d", minor);
		cr_assert(a.taskgroup_type == group && a.method_type == method && !a.group_dict, "3.%d", minor);
		keys = fo_keys(3, FO_SPLIT, 2, (uint64_t[]){ fo_str("_loop"), fo_str("_tasks") }, NULL);
		fo_put64(group + I->heaptype_cached_keys, keys);
		cr_assert_eq(asyncio_sampling_taskgroups(&t, A, &a), -ENOENT, "3.%d: not among the keys", minor);
		keys = fo_keys(3, FO_SPLIT, 4, (uint64_t[]){ fo_str("_loop"), 0, fo_str("_tasks"), fo_str("_parent_task") },
			       NULL);
		fo_put64(group + I->heaptype_cached_keys, keys);
		cr_assert_eq(asyncio_sampling_taskgroups(&t, A, &a), 0, "3.%d", minor);
		/* The fourth entry (a deleted one still counts): the values' fourth word. */
		cr_assert_eq(a.group_parent, fo_layout.objects.dict.values_array + 3 * 8, "3.%d", minor);
		cr_assert(a.group_dict == I->managed_dict && a.group_dict && a.group_values == I->managed_values &&
			  a.group_values_tag == I->values_tag && a.group_valid == I->inline_values_valid &&
			  a.group_inline == (I->inline_values_flag ? 40 : 0) &&
			  a.method_self == fo_layout.objects.method_self, "3.%d", minor);
		/* Exactly one of the three ways to the values. */
		cr_assert_eq(!!a.group_values_tag + !!a.group_values + !!a.group_inline, 1, "3.%d", minor);
	}
}
