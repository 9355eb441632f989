// SPDX-License-Identifier: BSD-3-Clause
/*
 * asyncio's tasks from the target's memory.  The registries:
 * asyncio.tasks._all_tasks (3.8-3.11) or _scheduled_tasks (3.12+), a
 * WeakSet whose `data` set holds weak references to the tasks, 3.12+'s
 * _eager_tasks set, and _current_tasks (loop -> running task).  Per task:
 * the FutureObj/TaskObj fields, then the coroutine chain, followed as
 * CPython's _PyGen_yf does: a coroutine suspended in an await has the
 * awaited object on top of its frame's value stack.  Edges between tasks
 * come from fut_waiter (a task, or a gather()'s _GatheringFuture and its
 * _children) and from TaskGroup's done callbacks (the group's
 * _parent_task awaits each child), as 3.14's own "awaited by" records
 * them.  Every object is type-checked before it is followed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/asyncio_tasks.h"
#include "python/asyncio_debug.h"
#include "base/array.h"
#include "base/bytes.h"
#include "base/hashmap.h"
#include "python/py_objects.h"
#include "python/py_set.h"
#include "python/pystr.h"
#include "python/python_target.h"
#include "process/target_mem.h"

/* Interpreters looked into at most (sub-interpreters each have an asyncio). */
#define MAX_INTERPRETERS 16
/* Subclasses of Task looked through (tp_base links). */
#define MAX_TYPE_DEPTH 8
/* Reads of a registry that keeps changing under the reader. */
#define REGISTRY_ATTEMPTS 3
/* The TaskObj fields read at once end before this. */
#define TASK_READ_MAX 256

enum fut_state { FUT_PENDING, FUT_CANCELLED, FUT_FINISHED };

struct reader {
	const struct python_target *t;
	struct py_objects objects;
	const struct py_asyncio_layout *A;
	struct asyncio_snapshot *out;
	struct hmap seen;		/* task address -> index + 1 */
	/* Type objects found to be named so; 0 until then. */
	uint64_t task_type, weakref_type, coroutine_type, generator_type;
	uint64_t gathering_type, method_type, taskgroup_type, list_type, tuple_type, none_type;
};

static bool is_task(struct reader *r, uint64_t obj)
{
	uint64_t type = py_type_of(&r->objects, obj);

	for (int depth = 0; type && depth < MAX_TYPE_DEPTH; depth++) {
		if (r->task_type ? type == r->task_type : py_type_named(&r->objects, type, "_asyncio.Task")) {
			r->task_type = type;
			return true;
		}
		if (target_read_u64(r->t->pid, type + r->objects.O->type_base, &type))
			return false;
	}
	return false;
}

/* Add OBJ if it is a task not seen before. */
static int add_task(struct reader *r, uint64_t obj)
{
	struct asyncio_snapshot *s = r->out;
	bool created;
	uintptr_t *slot;

	if (!is_task(r, obj))
		return 0;
	if (hmap_find(&r->seen, &obj, sizeof(obj)))
		return 0;
	if (s->ntasks >= ASYNCIO_MAX_TASKS) {
		s->cut = true;
		return 1;	/* stop the walk */
	}
	if (array_reserve(&s->tasks, &s->cap, s->ntasks + 1, sizeof(*s->tasks)))
		return -ENOMEM;
	slot = hmap_upsert(&r->seen, &obj, sizeof(obj), &created);
	if (!slot)
		return -ENOMEM;
	memset(&s->tasks[s->ntasks], 0, sizeof(*s->tasks));
	s->tasks[s->ntasks].addr = obj;
	*slot = ++s->ntasks;
	return 0;
}

static int take_weakref(void *ctx, uint64_t ref)
{
	struct reader *r = ctx;
	uint64_t obj;

	/* Deleted entries hold the set's dummy: only weak references are followed. */
	if (!py_has_type(&r->objects, ref, r->A->weakref_type, &r->weakref_type) ||
	    target_read_u64(r->t->pid, ref + r->objects.O->weakref_object, &obj))
		return 0;
	/* A dead reference points to None; a live one to anything but a C task is counted. */
	if (!is_task(r, obj)) {
		r->out->unreadable += obj && !py_has_type(&r->objects, obj, "NoneType", &r->none_type);
		return 0;
	}
	return add_task(r, obj);
}

/* The eager tasks' set: its deleted entries hold the set's dummy, which is no task. */
static int take_task(void *ctx, uint64_t obj)
{
	return add_task(ctx, obj);
}

static int take_running(void *ctx, uint64_t loop, uint64_t task)
{
	struct reader *r = ctx;
	int rc = add_task(r, task);
	uintptr_t *slot = hmap_find(&r->seen, &task, sizeof(task));

	if (slot)
		r->out->tasks[*slot - 1].running = true;
	return rc < 0 ? rc : 0;
}

/*
 * 3.14+: the tasks linked from the list head at HEAD (struct llist_node,
 * the task's own node at debug.task_node).  A list longer than any the
 * snapshot keeps was changed while read (or is no list): -EAGAIN.
 */
static int take_list(struct reader *r, uint64_t head)
{
	uint64_t node;
	size_t steps = 0;
	int rc;

	if (target_read_u64(r->t->pid, head, &node))
		return -EAGAIN;
	while (node != head) {
		if (!node || ++steps > ASYNCIO_MAX_TASKS)
			return -EAGAIN;
		rc = add_task(r, node - r->A->debug.task_node);
		if (rc)
			return rc;
		if (target_read_u64(r->t->pid, node, &node))
			return -EAGAIN;
	}
	return 0;
}

/* 3.14+: a thread state's own tasks, and the one it runs now. */
static int take_thread_tasks(void *ctx, uint64_t interp, uint64_t tstate)
{
	struct reader *r = ctx;
	const struct py_asyncio_debug *d = &r->A->debug;
	uint64_t running;
	int rc;

	rc = take_list(r, tstate + d->tstate_tasks_head);
	if (!rc && !target_read_u64(r->t->pid, tstate + d->tstate_running_task, &running) && running)
		rc = take_running(r, 0, running);
	return rc;
}

/* 3.14+: the C tasks are in lists, the interpreter's (of threads gone) and each thread state's. */
static int read_task_lists(struct reader *r, uint64_t interp)
{
	int rc = take_list(r, interp + r->A->debug.interp_tasks_head);

	if (!rc)
		rc = py_for_each_thread_of(r->t, interp, take_thread_tasks, r);
	return rc;
}

/*
 * Every task of one interpreter's asyncio.tasks: 0, -ENOENT asyncio.tasks
 * not imported, -EAGAIN a registry not found or not readable as one
 * (changed while read), -ENOMEM.
 */
static int read_registries(struct reader *r, uint64_t interp)
{
	struct py_objects *o = &r->objects;
	uint64_t globals, weakset, data, eager, current;
	int rc = py_module_globals(o, interp, "asyncio.tasks", &globals);

	if (rc)
		return rc == -ENOENT ? rc : -EAGAIN;
	rc = py_dict_get(o, globals, r->A->all_tasks, &weakset);
	if (!rc)
		rc = py_attribute_get(o, weakset, "data", &data);
	if (!rc)
		rc = py_set_for_each(o->pid, &o->O->set, data, take_weakref, r);
	if (!rc && r->A->eager_tasks && !py_dict_get(o, globals, r->A->eager_tasks, &eager))
		rc = py_set_for_each(o->pid, &o->O->set, eager, take_task, r);
	if (!rc && !py_dict_get(o, globals, r->A->current_tasks, &current))
		rc = py_dict_for_each(o->pid, &o->O->dict, current, take_running, r);
	if (!rc && r->A->needs_debug_section)
		rc = read_task_lists(r, interp);
	if (rc > 0)
		return 0;	/* cut at ASYNCIO_MAX_TASKS */
	return rc == -ENOMEM || !rc ? rc : -EAGAIN;
}


/* The task's name: false if NAME is neither a str nor (3.13's lazy default) an int. */
static bool read_name(struct reader *r, uint64_t name, struct asyncio_task *task)
{
	struct py_objects *o = &r->objects;
	uint64_t number;

	if (py_has_type(o, name, "str", &o->str_type) &&
	    !pystr_read(o->pid, o->L, name, task->name, sizeof(task->name), NULL))
		return true;
	if (py_read_small_int(o, name, &number))
		return false;
	snprintf(task->name, sizeof(task->name), "Task-%llu", (unsigned long long)number);
	return true;
}

/* The frame's state byte, or -EINVAL where the version keeps none (3.8, 3.9). */
static int frame_state(struct reader *r, uint64_t frame, int8_t *state)
{
	if (r->A->frame_state == PYPERF_ASYNC_NO_STATE)
		return -EINVAL;
	return target_read(r->t->pid, frame + (int64_t)r->A->frame_state, state, 1);
}

/*
 * Whether FRAME still belongs to coroutine CORO: an embedded frame always
 * does; a PyFrameObject is reused once its coroutine returns, and then
 * runs another generator, or none.
 */
static bool frame_of(struct reader *r, uint64_t frame, uint64_t coro)
{
	uint64_t gen;

	return r->A->coro_frame_embedded ||
	       (!target_read_u64(r->t->pid, frame + r->A->frame_gen, &gen) && gen == coro);
}

/* The frame of coroutine (or generator) CORO, 0 if it has none (finished). */
static uint64_t coro_frame(struct reader *r, uint64_t coro)
{
	uint64_t frame;
	int8_t state;

	if (!r->A->coro_frame_embedded)
		return target_read_u64(r->t->pid, coro + r->A->coro_frame, &frame) || !frame_of(r, frame, coro) ?
		       0 : frame;
	/* An embedded frame stays in place after its coroutine returns. */
	frame = coro + r->A->coro_frame;
	return !frame_state(r, frame, &state) && state < r->A->frame_finished ? frame : 0;
}

/*
 * The object FRAME (read into F) is suspended awaiting, as _PyGen_yf finds
 * it: 0 when the frame is not suspended in an await (running, at a yield,
 * not started, finished) or cannot be read.
 */
static uint64_t awaited_object(struct reader *r, const struct py_frame_info *f)
{
	const struct py_asyncio_layout *A = r->A;
	pid_t pid = r->t->pid;
	uint64_t slot, top, stack;
	int32_t depth;
	int8_t state;
	uint8_t unit[2];

	if (A->frame_state != PYPERF_ASYNC_NO_STATE && (frame_state(r, f->addr, &state) || state != A->await.state))
		return 0;
	if (A->await.opcodes[0]) {
		if (f->instr_offset < 0 || py_read_code_unit(r->t, f->code, f->instr_offset + 2, unit))
			return 0;
		if ((unit[0] != A->await.opcodes[0] && unit[0] != A->await.opcodes[1]) ||
		    unit[1] < A->await.min_oparg)
			return 0;
	}
	switch (A->stack_top) {
	case PYPERF_STACK_TOP_POINTER:	/* NULL while running */
	case PYPERF_STACK_TOP_TAGGED_POINTER:
		/* The stack lies inside the frame (object), after its start. */
		if (target_read_u64(pid, f->addr + A->frame_stack, &stack) ||
		    stack <= f->addr + 8 * (1 + A->await.items_above) ||
		    stack - f->addr > 8 * (uint64_t)PYPERF_FRAME_STACK_MAX)
			return 0;
		slot = stack - 8 * (1 + A->await.items_above);
		break;
	case PYPERF_STACK_TOP_DEPTH:
	case PYPERF_STACK_TOP_INDEX:
		if (target_read(pid, f->addr + A->frame_stack_depth, &depth, sizeof(depth)) ||
		    depth < 1 + A->await.items_above || depth > PYPERF_FRAME_STACK_MAX)
			return 0;
		if (A->stack_top == PYPERF_STACK_TOP_INDEX)
			stack = f->addr + A->frame_stack;
		else if (target_read_u64(pid, f->addr + A->frame_stack, &stack) || !stack)
			return 0;
		slot = stack + 8 * (uint64_t)(depth - 1 - A->await.items_above);
		break;
	default:
		return 0;
	}
	if (target_read_u64(pid, slot, &top))
		return 0;
	/* A _PyStackRef's low bits say how it is counted, the rest is the object. */
	return A->stack_top == PYPERF_STACK_TOP_TAGGED_POINTER ? top & ~(uint64_t)r->t->layout.bpf.code_tag_mask : top;
}

/*
 * Whether the coroutine frame at FRAME runs now: its state says so, or
 * (3.8, 3.9) its f_stacktop is NULL, as it is only while it runs.
 */
static bool frame_executing(struct reader *r, uint64_t frame)
{
	const struct py_asyncio_layout *A = r->A;
	uint64_t stacktop;
	int8_t state;

	if (A->frame_state != PYPERF_ASYNC_NO_STATE)
		return !frame_state(r, frame, &state) && state == A->frame_executing;
	return !target_read_u64(r->t->pid, frame + A->frame_stack, &stacktop) && !stacktop;
}

static bool is_coroutine(struct reader *r, uint64_t obj)
{
	return py_has_type(&r->objects, obj, "coroutine", &r->coroutine_type) ||
	       py_has_type(&r->objects, obj, "generator", &r->generator_type);
}

/*
 * TASK's coroutine chain, outermost first, while each link awaits the
 * next.  A frame that starts or stops running while it is read is not
 * shown as either: the chain is cut there, and marked.
 */
static int read_chain(struct reader *r, struct asyncio_task *task, uint64_t coro)
{
	size_t cap = 0;

	task->coro_frame = is_coroutine(r, coro) ? coro_frame(r, coro) : 0;
	for (uint64_t frame = task->coro_frame; frame;) {
		bool running = frame_executing(r, frame);
		struct py_frame_info f, again;
		uint64_t next;

		/*
		 * Read twice around the state: a coroutine that ran between the
		 * reads (and may be back where it was) shows it in one of them.
		 */
		if (task->nchain == ASYNCIO_MAX_CHAIN || py_read_frame(r->t, frame, &f) || !f.code ||
		    frame_executing(r, frame) != running || py_read_frame(r->t, frame, &again) ||
		    again.code != f.code || again.instr_offset != f.instr_offset || !frame_of(r, frame, coro)) {
			task->chain_cut = true;
			break;
		}
		if (array_reserve(&task->chain, &cap, task->nchain + 1, sizeof(f)))
			return -ENOMEM;
		task->chain[task->nchain++] = f;
		/*
		 * The task's own coroutine running now: the task runs, whatever
		 * _current_tasks said a moment before (its frames are its thread's).
		 */
		if (running) {
			task->running |= task->nchain == 1;
			break;
		}
		next = awaited_object(r, &f);
		coro = next && is_coroutine(r, next) ? next : 0;
		frame = coro ? coro_frame(r, coro) : 0;
	}
	return 0;
}

static int add_await(struct asyncio_task *task, uint64_t awaited)
{
	for (size_t i = 0; i < task->nawaits; i++)
		if (task->awaits[i] == awaited)
			return 0;
	if (array_reserve(&task->awaits, &task->awaits_cap, task->nawaits + 1, sizeof(*task->awaits)))
		return -ENOMEM;
	task->awaits[task->nawaits++] = awaited;
	return 0;
}

/* The items of the list at LIST (at most MAX), into ITEMS: their count, or -errno. */
static long read_list(struct reader *r, uint64_t list, uint64_t *items, size_t max)
{
	const struct py_list_layout *Ls = &r->objects.O->list;
	uint64_t array;
	int64_t size;

	if (!py_has_type(&r->objects, list, "list", &r->list_type) ||
	    target_read(r->t->pid, list + Ls->size, &size, sizeof(size)) ||
	    target_read_u64(r->t->pid, list + Ls->items, &array))
		return -EINVAL;
	if (size < 0 || (size && !array))
		return -EINVAL;
	if ((uint64_t)size > max)
		return -E2BIG;
	return size && target_read(r->t->pid, array, items, (size_t)size * 8) ? -EFAULT : (long)size;
}

/* What TASK waits on, from its fut_waiter WAITER. */
static int read_waiter(struct reader *r, struct asyncio_task *task, uint64_t waiter)
{
	uint64_t children, *items;
	long n;
	int rc = 0;

	if (!waiter || !py_type_of(&r->objects, waiter))
		return 0;
	if (is_task(r, waiter)) {
		task->waits = ASYNCIO_WAITS_TASK;
		return add_await(task, waiter);
	}
	task->waits = ASYNCIO_WAITS_FUTURE;
	if (!py_has_type(&r->objects, waiter, "_GatheringFuture", &r->gathering_type) ||
	    py_attribute_get(&r->objects, waiter, "_children", &children))
		return 0;
	task->waits = ASYNCIO_WAITS_GATHER;
	items = malloc(ASYNCIO_MAX_CHILDREN * sizeof(*items));
	if (!items)
		return -ENOMEM;
	n = read_list(r, children, items, ASYNCIO_MAX_CHILDREN);
	task->awaits_cut = n < 0;
	for (long i = 0; i < n && !rc; i++)
		if (is_task(r, items[i]))
			rc = add_await(task, items[i]);
	free(items);
	return rc;
}

/* If CALLBACK is a TaskGroup's bound method, the group's parent task (else 0). */
static uint64_t taskgroup_parent(struct reader *r, uint64_t callback)
{
	uint64_t group, parent;

	if (!py_has_type(&r->objects, callback, "method", &r->method_type) ||
	    target_read_u64(r->t->pid, callback + r->objects.O->method_self, &group) ||
	    !py_has_type(&r->objects, group, "TaskGroup", &r->taskgroup_type) ||
	    py_attribute_get(&r->objects, group, "_parent_task", &parent))
		return 0;
	return is_task(r, parent) ? parent : 0;
}

/* A TaskGroup's child: its parent task awaits it (found among CHILD's done callbacks). */
static int read_taskgroup_parents(struct reader *r, const struct asyncio_task *child,
				  uint64_t callback0, uint64_t callbacks)
{
	uint64_t items[ASYNCIO_MAX_CALLBACKS], callback, parent;
	long n = callbacks ? read_list(r, callbacks, items, ASYNCIO_MAX_CALLBACKS) : 0;
	int rc = 0;

	for (long i = -1; i < n && !rc; i++) {
		/* The first callback has a field of its own; the others are (callback, context). */
		if (i < 0)
			callback = callback0;
		else if (!py_has_type(&r->objects, items[i], "tuple", &r->tuple_type) ||
			 target_read_u64(r->t->pid, items[i] + r->objects.O->tuple_items, &callback))
			continue;
		parent = callback ? taskgroup_parent(r, callback) : 0;
		if (parent) {
			uintptr_t *slot = hmap_find(&r->seen, &parent, sizeof(parent));

			if (slot)
				rc = add_await(&r->out->tasks[*slot - 1], child->addr);
		}
	}
	return rc;
}

/* Whether the task at ADDR still has references and the type TYPE. */
static bool task_alive(struct reader *r, uint64_t addr, uint64_t type)
{
	const struct py_layout *L = r->objects.L;
	uint64_t refcnt = 1;

	if (L->object_refcnt != PYPERF_OFF_NONE && target_read_u64(r->t->pid, addr + L->object_refcnt, &refcnt))
		return false;
	return refcnt && py_type_of(&r->objects, addr) == type;
}

static int read_task(struct reader *r, struct asyncio_task *task)
{
	const struct py_asyncio_layout *A = r->A;
	uint8_t buf[TASK_READ_MAX];
	size_t len = (size_t)A->task_name + 8;
	uint64_t refcnt;
	int32_t state;
	int rc;

	/*
	 * A live task has references, its loop and a name.  One freed while
	 * read has none (or its memory is another's): it is left out, as are
	 * tasks cleared on their way out (tp_clear drops the loop first).
	 */
	if (len > sizeof(buf) || target_read(r->t->pid, task->addr, buf, len)) {
		task->vanished = true;
		return 0;
	}
	refcnt = r->objects.L->object_refcnt == PYPERF_OFF_NONE ? 1 : u64_at(buf, r->objects.L->object_refcnt);
	task->loop = u64_at(buf, A->future_loop);
	if (!refcnt || !is_task(r, task->addr) || !py_type_of(&r->objects, task->loop) ||
	    !read_name(r, u64_at(buf, A->task_name), task)) {
		task->vanished = true;
		return 0;
	}
	memcpy(&state, buf + A->future_state, sizeof(state));
	task->state = state == FUT_PENDING ? ASYNCIO_PENDING : state == FUT_CANCELLED ? ASYNCIO_CANCELLED :
		      state == FUT_FINISHED ? ASYNCIO_DONE : ASYNCIO_STATE_UNKNOWN;
	rc = read_chain(r, task, u64_at(buf, A->task_coro));
	if (!rc)
		rc = read_waiter(r, task, u64_at(buf, A->task_fut_waiter));
	if (!rc)
		rc = read_taskgroup_parents(r, task, u64_at(buf, A->future_callback0),
					    u64_at(buf, A->future_callbacks));
	/* Still the same live task after all that (not freed, its memory not another's)? */
	if (!rc && !task_alive(r, task->addr, u64_at(buf, r->objects.L->object_type)))
		task->vanished = true;
	return rc;
}

/* Each loop a task belongs to, and the thread running it (loop._thread_id, None when stopped). */
static int read_loops(struct reader *r)
{
	struct asyncio_snapshot *s = r->out;

	for (size_t i = 0; i < s->ntasks; i++) {
		struct asyncio_loop *loop = NULL;
		uint64_t thread_id;

		for (size_t l = 0; l < s->nloops && !loop; l++)
			if (s->loops[l].addr == s->tasks[i].loop)
				loop = &s->loops[l];
		if (!loop) {
			if (array_reserve(&s->loops, &s->loops_cap, s->nloops + 1, sizeof(*loop)))
				return -ENOMEM;
			loop = &s->loops[s->nloops++];
			memset(loop, 0, sizeof(*loop));
			loop->addr = s->tasks[i].loop;
			if (!py_attribute_get(&r->objects, loop->addr, "_thread_id", &thread_id))
				py_read_small_int(&r->objects, thread_id, &loop->thread);
		}
		loop->ntasks++;
	}
	return 0;
}

/* Leave out the tasks that vanished while read, and the awaits of them. */
static void drop_vanished(struct asyncio_snapshot *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->ntasks; i++) {
		if (s->tasks[i].vanished) {
			free(s->tasks[i].chain);
			free(s->tasks[i].awaits);
			s->vanished++;
		} else {
			s->tasks[kept++] = s->tasks[i];
		}
	}
	s->ntasks = kept;
	for (size_t i = 0; i < s->ntasks; i++) {
		struct asyncio_task *task = &s->tasks[i];
		size_t n = 0;

		for (size_t a = 0; a < task->nawaits; a++)
			if (asyncio_find(s, task->awaits[a]))
				task->awaits[n++] = task->awaits[a];
		task->nawaits = n;
	}
}

/* Each task's awaited_by: the awaits of every task turned round. */
static int turn_awaits_round(struct asyncio_snapshot *s)
{
	for (size_t i = 0; i < s->ntasks; i++)
		for (size_t a = 0; a < s->tasks[i].nawaits; a++) {
			struct asyncio_task *awaited = asyncio_find(s, s->tasks[i].awaits[a]);

			if (awaited)
				awaited->nawaited_by++;
		}
	for (size_t i = 0; i < s->ntasks; i++) {
		s->tasks[i].awaited_by = calloc(s->tasks[i].nawaited_by + 1, sizeof(uint64_t));
		if (!s->tasks[i].awaited_by)
			return -ENOMEM;
		s->tasks[i].nawaited_by = 0;
	}
	for (size_t i = 0; i < s->ntasks; i++)
		for (size_t a = 0; a < s->tasks[i].nawaits; a++) {
			struct asyncio_task *awaited = asyncio_find(s, s->tasks[i].awaits[a]);

			if (awaited)
				awaited->awaited_by[awaited->nawaited_by++] = s->tasks[i].addr;
		}
	return 0;
}

static int by_address(const void *a, const void *b)
{
	const struct asyncio_task *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

int asyncio_read(const struct python_target *t, struct asyncio_snapshot *out)
{
	struct py_asyncio_layout layout;
	int rc = asyncio_layout_of(t, &layout);

	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return asyncio_read_layout(t, &layout, out);
}

int asyncio_read_layout(const struct python_target *t, const struct py_asyncio_layout *layout,
			struct asyncio_snapshot *out)
{
	struct reader r = { .t = t, .A = layout, .out = out };
	bool found_asyncio = false;
	uint64_t interp;
	int rc = 0, err;

	memset(out, 0, sizeof(*out));
	py_objects_init(&r.objects, t);
	if (!r.objects.O->supported || r.objects.O->interp_modules == PYPERF_OFF_NONE)
		return -ENOTSUP;
	err = target_read_u64(t->pid, t->runtime_addr + t->layout.bpf.runtime_interp_head, &interp);
	for (int i = 0; !err && interp && i < MAX_INTERPRETERS && !out->cut; i++) {
		int found = -EAGAIN;

		/* A registry that changed while read (a set resized) is read again, a few times. */
		for (int attempt = 0; attempt < REGISTRY_ATTEMPTS && found == -EAGAIN; attempt++)
			found = read_registries(&r, interp);
		if (found == -ENOMEM) {
			rc = found;
			break;
		}
		out->incomplete |= found == -EAGAIN;
		found_asyncio |= found != -ENOENT;
		err = target_read_u64(t->pid, interp + t->layout.bpf.interp_next, &interp);
	}
	/* Tasks first, then their fields: a TaskGroup's parent must be known by then. */
	for (size_t i = 0; !rc && i < out->ntasks; i++)
		rc = read_task(&r, &out->tasks[i]);
	hmap_free(&r.seen);
	if (out->ntasks)
		qsort(out->tasks, out->ntasks, sizeof(*out->tasks), by_address);
	drop_vanished(out);
	if (!rc)
		rc = read_loops(&r);
	if (!rc)
		rc = turn_awaits_round(out);
	if (rc || !found_asyncio) {
		asyncio_snapshot_free(out);
		return rc ? rc : err ? err : -ENOENT;
	}
	return 0;
}

struct asyncio_task *asyncio_find(const struct asyncio_snapshot *s, uint64_t addr)
{
	struct asyncio_task key = { .addr = addr };

	return s->ntasks ? bsearch(&key, s->tasks, s->ntasks, sizeof(key), by_address) : NULL;
}

void asyncio_snapshot_free(struct asyncio_snapshot *s)
{
	for (size_t i = 0; i < s->ntasks; i++) {
		free(s->tasks[i].chain);
		free(s->tasks[i].awaits);
		free(s->tasks[i].awaited_by);
	}
	free(s->tasks);
	free(s->loops);
	memset(s, 0, sizeof(*s));
}

const char *asyncio_state_name(enum asyncio_state state)
{
	switch (state) {
	case ASYNCIO_PENDING: return "pending";
	case ASYNCIO_CANCELLED: return "cancelled";
	case ASYNCIO_DONE: return "done";
	default: return "unknown";
	}
}
