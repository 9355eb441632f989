// SPDX-License-Identifier: BSD-3-Clause
/*
 * --async's per-process configuration and its samples' task names.  3.14+
 * name the running task in each thread state (.AsyncioDebug says where);
 * up to 3.13 the dict asyncio.tasks._current_tasks does, which is
 * _asyncio's own (the C enter_task/leave_task update it).  The type is
 * asyncio.tasks._CTask, the C Task: a task of a Python subclass of Future
 * is not read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "python/asyncio_sampling.h"
#include "python/asyncio_debug.h"
#include "base/bytes.h"
#include "python/py_objects.h"
#include "python/pystr.h"
#include "python/python_target.h"
#include "process/target_mem.h"

_Static_assert(PYPERF_ASYNC_KEYS_READ >= 64, "dk_indices lies within the keys header read");

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The globals of MODULE in T's main interpreter. */
static int main_module_globals(const struct python_target *t, struct py_objects *o, const char *module,
			       uint64_t *globals)
{
	uint64_t interp;
	int rc = target_read_u64(t->pid, t->runtime_addr + t->layout.bpf.runtime_interp_head, &interp);

	return rc ? rc : py_module_globals(o, interp, module, globals);
}

int asyncio_sampling_config(const struct python_target *t, struct py_asyncio_layout *layout,
			    struct pyperf_async *out)
{
	const struct py_dict_layout *D = &t->layout.objects.dict;
	struct py_asyncio_layout *A = layout;
	struct py_objects o;
	uint64_t globals, futures, types, current = 0, task_type, future_type, gather, gathering_type, coroutine_type;
	uint64_t task_size, future_size, task_read, future_read;
	int rc;

	memset(out, 0, sizeof(*out));
	py_objects_init(&o, t);
	if (!o.O->supported || o.O->interp_modules == PYPERF_OFF_NONE)
		return -ENOTSUP;
	rc = asyncio_layout_of(t, A);
	if (rc)
		return rc;
	/* The sampler reads a Task and a Future to the end of the last field it uses. */
	task_read = t->layout.object_type + 8;
	task_read = max_u64(task_read, A->task_coro + 8);
	task_read = max_u64(task_read, A->task_name + 8);
	task_read = max_u64(task_read, A->task_fut_waiter + 8);
	future_read = A->future_callback0 + 8;
	if (A->debug.task_awaited_by)
		future_read = max_u64(future_read, max_u64(A->debug.task_awaited_by + 8,
							   A->debug.task_awaited_by_is_set + 1));
	if (A->debug.tstate_running_task > UINT16_MAX || task_read > PYPERF_ASYNC_TASK_READ ||
	    future_read > PYPERF_ASYNC_TASK_READ || D->keys_indices > PYPERF_ASYNC_KEYS_READ ||
	    D->general_entry_size > PYPERF_ASYNC_ENTRY_MAX)
		return -ENOTSUP;
	rc = main_module_globals(t, &o, "asyncio.tasks", &globals);
	/* 3.14+ keep the running task in the thread state: the dict is only Python tasks'. */
	if (!rc && !A->needs_debug_section)
		rc = py_dict_get(&o, globals, A->current_tasks, &current);
	if (!rc)
		rc = py_dict_get(&o, globals, "_CTask", &task_type);
	if (!rc)
		rc = main_module_globals(t, &o, "asyncio.futures", &futures);
	if (!rc)
		rc = py_dict_get(&o, futures, "_CFuture", &future_type);
	if (!rc)
		rc = py_dict_get(&o, globals, "gather", &gather);
	if (!rc)
		rc = py_dict_get(&o, globals, "_GatheringFuture", &gathering_type);
	/* asyncio imports types: its coroutine type is where awaiting tasks' frames lead. */
	if (!rc)
		rc = main_module_globals(t, &o, "types", &types);
	if (!rc)
		rc = py_dict_get(&o, types, "CoroutineType", &coroutine_type);
	if (rc)
		return rc;
	if (!py_type_named(&o, task_type, "_asyncio.Task") || !py_type_named(&o, future_type, "_asyncio.Future") ||
	    !py_type_named(&o, coroutine_type, "coroutine") ||
	    (current && !py_has_type(&o, current, "dict", &(uint64_t){ 0 })))
		return -ENOENT;
	/*
	 * Never past the object: a task or future may end within a read's
	 * length of a page never touched, and a probe read cannot fault it in
	 * (each read of that task would fail).  A Task is a Future.
	 */
	rc = py_type_basicsize(&o, task_type, &task_size);
	if (!rc)
		rc = py_type_basicsize(&o, future_type, &future_size);
	if (rc)
		return rc;
	if (task_read > task_size || future_read > future_size)
		return -ENOTSUP;
	*out = (struct pyperf_async) {
		.current_tasks = current,
		.tstate_running_task = A->debug.tstate_running_task,
		.future_awaited_by = A->debug.task_awaited_by,
		.future_awaited_by_is_set = A->debug.task_awaited_by_is_set,
		.task_type = task_type,
		.object_type = t->layout.object_type,
		.dict_keys = D->keys,
		.keys_size = D->keys_size,
		.keys_log2_index_bytes = D->keys_log2_index_bytes,
		.keys_nentries = D->keys_nentries,
		.keys_indices = D->keys_indices,
		.log2_size = D->log2_size,
		.entry_size = D->general_entry_size,
		.coro_frame_embedded = A->coro_frame_embedded,
		.task_coro = A->task_coro,
		.task_name = A->task_name,
		.coro_frame = A->coro_frame,
		.future_callback0 = A->future_callback0,
		.task_fut_waiter = A->task_fut_waiter,
		.wakeup_task = A->wakeup_task,
		.function_closure = A->function_closure,
		.cell_ref = A->cell_ref,
		.tuple_size = t->layout.bpf.varobject_size,
		.tuple_items = o.O->tuple_items,
		/* gather() is a function, as its callbacks are. */
		.function_type = py_type_of(&o, gather),
		.gathering_type = gathering_type,
		.coroutine_type = coroutine_type,
		.frame_state = A->frame_state,
		.await_state = A->await.state,
		.items_above = A->await.items_above,
		.stack_top = A->stack_top,
		.frame_stack = A->frame_stack,
		.frame_stack_depth = A->frame_stack_depth,
		.task_read = task_read,
		.future_read = future_read,
	};
	return 0;
}

int asyncio_sampling_taskgroups(const struct python_target *t, const struct py_asyncio_layout *A,
				struct pyperf_async *out)
{
	const struct py_instance_layout *I = &t->layout.objects.instance;
	struct py_objects o;
	uint64_t globals, types, group_type, method_type, flags, parent_index, inline_at = 0;
	bool inline_values;
	int rc;

	if (!A->taskgroups || !I->managed_dict_flag)
		return -ENOTSUP;
	py_objects_init(&o, t);
	/* The types, looked up once (the sampler reads groups only once group_dict is set). */
	if (!out->taskgroup_type) {
		rc = main_module_globals(t, &o, A->taskgroups, &globals);
		if (!rc)
			rc = py_dict_get(&o, globals, "TaskGroup", &group_type);
		if (!rc)
			rc = main_module_globals(t, &o, "types", &types);
		if (!rc)
			rc = py_dict_get(&o, types, "MethodType", &method_type);
		if (rc)
			return rc;
		if (!py_type_named(&o, method_type, "method") || !py_type_named(&o, group_type, "TaskGroup"))
			return -ENOENT;
		out->method_type = method_type;
		out->taskgroup_type = group_type;
	}
	group_type = out->taskgroup_type;
	rc = target_read_u64(t->pid, group_type + I->type_flags, &flags);
	if (rc)
		return rc;
	/* Its attributes as py_for_each_attribute() finds them, less a dict. */
	inline_values = I->inline_values_flag && (flags & I->inline_values_flag);
	if (!(flags & I->managed_dict_flag) || (!I->values_tag && !I->managed_values && !inline_values))
		return -ENOTSUP;
	/* A size no instance has stays so: no group is read. */
	if (inline_values && (rc = py_type_basicsize(&o, group_type, &inline_at)))
		return rc == -EINVAL ? -ENOTSUP : rc;
	/* Known once a group has set it (3.11, 3.12: the keys grow as instances set attributes). */
	rc = py_shared_key_index(&o, group_type, "_parent_task", &parent_index);
	if (rc)
		return rc;
	_Static_assert(sizeof(out->group_inline) == 2, "an inline values offset up to UINT16_MAX");
	if (inline_at > UINT16_MAX || o.O->dict.values_array + 8 * parent_index > UINT16_MAX)
		return -ENOTSUP;
	out->method_self = o.O->method_self;
	out->group_dict = I->managed_dict;
	out->group_values_tag = I->values_tag;
	out->group_values = I->managed_values;
	out->group_inline = inline_at;
	out->group_valid = I->inline_values_valid;
	out->group_parent = o.O->dict.values_array + 8 * parent_index;
	return 0;
}

void asyncio_sampled_task_name(struct py_objects *o, const struct pyperf_task *task, char *out,
			       size_t size)
{
	size_t got = task->name_bytes < sizeof(task->name_head) ? task->name_bytes : sizeof(task->name_head);
	uint64_t type = got >= (size_t)o->L->object_type + 8 ? u64_at(task->name_head, o->L->object_type) : 0, number;
	struct pystr_header h;

	snprintf(out, size, "?");
	if (!task->name || !type)
		return;
	/* Only the bytes the kernel read: a name cut short ends in "...". */
	if (py_type_is(o, type, "str", &o->str_type)) {
		if (!pystr_parse_header(o->L, task->name_head, got, &h) && h.data_at <= got)
			pystr_decode(&h, task->name_head + h.data_at, got - h.data_at, out, size);
	} else if (py_type_is(o, type, "int", &o->int_type) &&
		   !py_small_int_parse(&o->O->ints, task->name_head, got, &number)) {
		snprintf(out, size, "Task-%llu", (unsigned long long)number);
	}
}
