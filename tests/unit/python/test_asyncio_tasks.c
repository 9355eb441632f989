// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/py_set.c and asyncio_tasks.c over a target memory made here
 * with each version's layout: a set's walk and its bounds, and asyncio's
 * registries holding tasks that await a task, sleep two coroutines down,
 * run, or await themselves (a cycle no real program makes, which must stay
 * bounded and be marked), beside dead weak references, the set's dummy
 * entries and an object that is no task.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "fake_objects.h"
#include "python/asyncio_tasks.h"
#include "python/py_set.h"
#include "process/target_mem.h"

#define O (&fo_layout.objects)
#define A (&fo_layout.asyncio)
#define B (&fo_layout.bpf)
#define LOOP_THREAD 0x7f0000001000ULL	/* the loop's _thread_id */

/* 3.13's frame offsets come from _Py_DebugOffsets: its chains are checked on live tasks only. */
static const int versions[] = { 8, 9, 10, 11, 12 };

/* A set of the N KEYS (NULL slots between them), 8 slots or 2^LOG2. */
static uint64_t set_obj(uint64_t type, unsigned int log2, size_t n, const uint64_t *keys)
{
	uint64_t slots = 1ULL << log2, set = fo_object(type, 64), table = fo_alloc(16 * slots);

	cr_assert(2 * n <= slots);
	fo_put64(set + O->set.mask, slots - 1);
	fo_put64(set + O->set.table, table);
	for (size_t i = 0; i < n; i++)
		fo_put64(table + 16 * (2 * i + 1), keys[i]);
	return set;
}

struct keys_seen {
	size_t n;
	uint64_t keys[16];
};

static int see_key(void *ctx, uint64_t key)
{
	struct keys_seen *k = ctx;

	if (k->n < 16)
		k->keys[k->n] = key;
	k->n++;
	return 0;
}

Test(py_set, keys_and_bounds, .fini = fo_done)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		uint64_t type, set, keys[] = { 0x1001, 0x1002, 0x1003 };
		struct keys_seen k = { 0 };

		fo_use_version(versions[v]);
		type = fo_type_named("set");
		set = set_obj(type, 3, 3, keys);
		cr_assert_eq(py_set_for_each(1, &O->set, set, see_key, &k), 0, "3.%d", versions[v]);
		cr_assert_eq(k.n, 3);
		cr_assert_eq(k.keys[2], 0x1003);
		/* A table of 2^40 slots is refused before a read of it; a mask not 2^n - 1 too. */
		fo_reads = 0;
		fo_put64(set + O->set.mask, (1ULL << 40) - 1);
		cr_assert_eq(py_set_for_each(1, &O->set, set, see_key, &k), -E2BIG);
		cr_assert_leq(fo_reads, 2);
		fo_put64(set + O->set.mask, 11);
		cr_assert_eq(py_set_for_each(1, &O->set, set, see_key, &k), -EINVAL);
		/* A table that runs past readable memory: told up to there, then refused. */
		fo_put64(set + O->set.mask, PY_SET_MAX_SLOTS - 1);
		cr_assert_eq(py_set_for_each(1, &O->set, set, see_key, &k), -EFAULT);
	}
}

/* ---- asyncio ------------------------------------------------------------- */

struct world {
	uint64_t task_type, coro_type, future_type;
	uint64_t loop;
};

/* A code object of 16 code units; *BASE its bytecode. */
static uint64_t code_obj(uint64_t *base)
{
	uint64_t code;

	if (fo_layout.code_code != PYPERF_OFF_NONE) {
		uint64_t bytes = fo_alloc(B->bytes_data + 32);

		code = fo_alloc(256);
		fo_put64(code + fo_layout.code_code, bytes);
		fo_put64(bytes + B->varobject_size, 32);
		*base = bytes + B->bytes_data;
	} else {
		code = fo_alloc(B->code_adaptive + 32);
		fo_put64(code + B->varobject_size, 16);
		*base = code + B->code_adaptive;
	}
	return code;
}

#define AT 6	/* the frame's instruction, in bytes */

/*
 * A coroutine of a new code object (*CODE), its frame at AT: suspended in
 * an await of AWAITED if that is not 0, else running.
 */
static uint64_t coro_obj(const struct world *w, uint64_t awaited, uint64_t *code)
{
	uint64_t coro = fo_object(w->coro_type, 256), frame, base, stack;

	*code = code_obj(&base);
	if (A->coro_frame_embedded) {
		frame = coro + A->coro_frame;
	} else {
		frame = fo_alloc(256);
		fo_put64(coro + A->coro_frame, frame);
		fo_put64(frame + A->frame_gen, coro);	/* the frame runs this coroutine */
	}
	fo_put64(frame + B->frame_code, *code);
	if (B->instr_kind == PYPERF_INSTR_LASTI) {
		uint32_t lasti = AT / B->lasti_unit;

		fo_put(frame + B->frame_instr, &lasti, 4);
	} else {
		fo_put64(frame + B->frame_instr, base + AT);
	}
	if (B->frame_owner != PYPERF_OFF_NONE)
		fo_put8(frame + B->frame_owner, 1);	/* owned by a generator */
	if (A->frame_state != PYPERF_ASYNC_NO_STATE)
		fo_put8(frame + A->frame_state, awaited ? (uint8_t)A->await.state : 0 /* executing */);
	if (A->await.opcodes[0]) {
		fo_put8(base + AT + 2, A->await.opcodes[0]);
		fo_put8(base + AT + 3, A->await.min_oparg + 1);
	}
	if (!awaited)
		return coro;	/* up to 3.9 f_stacktop stays NULL while it runs */
	switch (A->stack_top) {
	case PYPERF_STACK_TOP_POINTER:
		stack = fo_alloc(16);
		fo_put64(stack, awaited);
		fo_put64(frame + A->frame_stack, stack + 8);
		break;
	case PYPERF_STACK_TOP_DEPTH:
		stack = fo_alloc(16);
		fo_put64(stack, awaited);
		fo_put64(frame + A->frame_stack, stack);
		fo_put(frame + A->frame_stack_depth, &(int32_t){ 1 }, 4);
		break;
	default:
		fo_put64(frame + A->frame_stack, awaited);
		fo_put(frame + A->frame_stack_depth, &(int32_t){ 1 }, 4);
	}
	return coro;
}

static uint64_t get64(uint64_t addr)
{
	uint64_t v;

	memcpy(&v, &fo_mem[addr - FO_MEM_BASE], sizeof(v));
	return v;
}

/* Where the value on top of CORO's frame's stack is (coro_obj's). */
static uint64_t stack_top_slot(uint64_t coro)
{
	uint64_t frame = A->coro_frame_embedded ? coro + A->coro_frame : get64(coro + A->coro_frame);

	switch (A->stack_top) {
	case PYPERF_STACK_TOP_POINTER:
		return get64(frame + A->frame_stack) - 8;
	case PYPERF_STACK_TOP_DEPTH:
		return get64(frame + A->frame_stack);
	default:
		return frame + A->frame_stack;
	}
}

/* The bytecode of CODE (code_obj's). */
static uint64_t bytecode_of(uint64_t code)
{
	if (fo_layout.code_code != PYPERF_OFF_NONE)
		return get64(code + fo_layout.code_code) + B->bytes_data;
	return code + B->code_adaptive;
}

static uint64_t task_obj(const struct world *w, uint64_t coro, uint64_t waiter, uint64_t name)
{
	uint64_t task = fo_object(w->task_type, 256);

	fo_put64(task + A->future_loop, w->loop);
	fo_put64(task + A->task_coro, coro);
	fo_put64(task + A->task_fut_waiter, waiter);
	fo_put64(task + A->task_name, name);
	return task;
}

static uint64_t weakref_to(uint64_t type, uint64_t obj)
{
	uint64_t ref = fo_object(type, 48);

	fo_put64(ref + O->weakref_object, obj);
	return ref;
}

static const struct asyncio_task *task_at(const struct asyncio_snapshot *s, uint64_t addr)
{
	const struct asyncio_task *t = asyncio_find(s, addr);

	cr_assert_not_null(t, "task 0x%llx not read", (unsigned long long)addr);
	return t;
}

Test(asyncio_tasks, tasks_chains_and_awaits_every_version, .fini = fo_done)
{
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		struct world w;
		struct asyncio_snapshot s;
		uint64_t code_leaf, code_mid, code_a, code_run, code_cycle, code_freed, none, weakref_type;

		fo_use_version(versions[v]);
		none = fo_object(fo_none_type, 16);
		w.task_type = fo_type_named("_asyncio.Task");
		w.coro_type = fo_type_named("coroutine");
		w.future_type = fo_type_named("_asyncio.Future");
		w.loop = fo_instance(fo_class("_UnixSelectorEventLoop"), 1, (const char *[]){ "_thread_id" },
				     (uint64_t[]){ fo_int(LOOP_THREAD) });
		weakref_type = fo_type_named(A->weakref_type);

		/* sleeper: mid() awaits leaf(), which awaits a future; so does the task. */
		uint64_t future = fo_object(w.future_type, 128);
		uint64_t leaf = coro_obj(&w, future, &code_leaf);
		uint64_t sleeper = task_obj(&w, coro_obj(&w, leaf, &code_mid), future, fo_str("sleeper"));
		/* waiter awaits the task sleeper; its name a number (3.13's lazy default). */
		uint64_t waiter = task_obj(&w, coro_obj(&w, sleeper, &code_a), sleeper, fo_int(7));
		/* runner runs: only in the loop's current task. */
		uint64_t runner = task_obj(&w, coro_obj(&w, 0, &code_run), 0, fo_str("runner"));
		/* cycle's coroutine awaits itself. */
		uint64_t cycle_coro = coro_obj(&w, 0x1, &code_cycle);
		uint64_t cycle = task_obj(&w, cycle_coro, future, fo_str("cycle"));

		fo_put64(stack_top_slot(cycle_coro), cycle_coro);

		/* freed: no references left, its memory not reused yet. */
		uint64_t freed = task_obj(&w, coro_obj(&w, 0, &code_freed), 0, fo_str("freed"));

		fo_put64(freed + fo_layout.object_refcnt, 0);
		uint64_t refs[] = {
			weakref_to(weakref_type, freed),
			weakref_to(weakref_type, sleeper), weakref_to(weakref_type, waiter),
			weakref_to(weakref_type, none),			/* dead */
			fo_object(fo_type_named("<dummy key>"), 16),	/* a deleted entry */
			weakref_to(weakref_type, future),		/* no task: counted */
			weakref_to(weakref_type, cycle),
		};
		uint64_t data = set_obj(fo_type_named("set"), 4, 7, refs);
		uint64_t weakset = fo_instance(fo_class("WeakSet"), 1, (const char *[]){ "data" },
					       (uint64_t[]){ data });
		uint64_t current = fo_dict(fo_keys(3, FO_GENERAL, 1, &w.loop, &runner), 0);
		const char *names[] = { A->all_tasks, A->current_tasks, "sleep" };
		struct python_target t = fo_runtime("asyncio.tasks", 3, names,
						    (uint64_t[]){ weakset, current, 0x9 });

		cr_assert_eq(asyncio_read(&t, &s), 0, "3.%d", versions[v]);
		cr_assert_eq(s.ntasks, 4, "3.%d: %zu tasks", versions[v], s.ntasks);
		cr_assert_eq(s.unreadable, 1, "the future, not the dead reference nor the dummy");
		cr_assert_eq(s.vanished, 1, "the freed task: left out");
		cr_assert_null(asyncio_find(&s, freed));
		cr_assert(!s.cut);
		cr_assert_eq(s.nloops, 1);
		cr_assert_eq(s.loops[0].addr, w.loop);
		cr_assert_eq(s.loops[0].thread, LOOP_THREAD);
		cr_assert_eq(s.loops[0].ntasks, 4);

		const struct asyncio_task *tk = task_at(&s, sleeper);
		cr_assert_str_eq(tk->name, "sleeper");
		cr_assert_eq(tk->state, ASYNCIO_PENDING);
		cr_assert_eq(tk->waits, ASYNCIO_WAITS_FUTURE);
		cr_assert_eq(tk->nchain, 2, "3.%d: %zu frames", versions[v], tk->nchain);
		cr_assert_eq(tk->chain[0].code, code_mid, "outermost first");
		cr_assert_eq(tk->chain[1].code, code_leaf);
		cr_assert_eq(tk->chain[1].instr_offset, AT);
		cr_assert(!tk->chain_cut && !tk->running);

		tk = task_at(&s, waiter);
		cr_assert_str_eq(tk->name, "Task-7");
		cr_assert_eq(tk->waits, ASYNCIO_WAITS_TASK);
		cr_assert_eq(tk->nawaits, 1);
		cr_assert_eq(tk->awaits[0], sleeper);
		cr_assert_eq(tk->nchain, 1, "a task on top of the stack ends the chain");

		tk = task_at(&s, runner);
		cr_assert(tk->running);
		cr_assert_eq(tk->nchain, 1, "a running coroutine: its own frame");
		cr_assert_eq(tk->chain[0].code, code_run);
		cr_assert_eq(tk->waits, ASYNCIO_WAITS_NOTHING);

		tk = task_at(&s, cycle);
		cr_assert_eq(tk->nchain, ASYNCIO_MAX_CHAIN, "3.%d: %zu", versions[v], tk->nchain);
		cr_assert(tk->chain_cut, "a chain longer than the bound is marked");
		asyncio_snapshot_free(&s);

		/* A frame object reused by another generator is not the coroutine's (<= 3.10). */
		if (!A->coro_frame_embedded) {
			uint64_t frame = get64(leaf + A->coro_frame);

			fo_put64(frame + A->frame_gen, 0x4242);
			cr_assert_eq(asyncio_read(&t, &s), 0);
			cr_assert_eq(task_at(&s, sleeper)->nchain, 1, "3.%d: the leaf's frame not shown", versions[v]);
			asyncio_snapshot_free(&s);
			fo_put64(frame + A->frame_gen, leaf);
		}
		/* Stopped at an instruction that does not resume an await: the chain ends there. */
		fo_put8(bytecode_of(code_mid) + AT + 2, 1);
		cr_assert_eq(asyncio_read(&t, &s), 0);
		cr_assert_eq(task_at(&s, sleeper)->nchain, 1, "3.%d", versions[v]);
		asyncio_snapshot_free(&s);
	}
}

Test(asyncio_tasks, no_asyncio_or_no_layout, .fini = fo_done)
{
	struct asyncio_snapshot s;
	struct python_target t;

	fo_use_version(12);
	t = fo_runtime("threading", 1, (const char *[]){ "_active" }, (uint64_t[]){ 0x1 });
	cr_assert_eq(asyncio_read(&t, &s), -ENOENT);
	cr_assert_eq(s.ntasks, 0);
	/* 3.14t: no task layout known. */
	t.layout = *py_layout_static(3, 14, true);
	cr_assert_eq(asyncio_read(&t, &s), -ENOTSUP);
}

/* ---- 3.14+'s task lists -------------------------------------------------- */

/* Where the lists are, as a .AsyncioDebug would say (any places inside the structs). */
#define TASK_NODE 200
#define INTERP_TASKS_HEAD 4096
#define TSTATE_RUNNING_TASK 512
#define TSTATE_TASKS_HEAD 528

/* Link the tasks (their nodes) into a circular list at HEAD, in order. */
static void link_tasks(uint64_t head, size_t n, const uint64_t *tasks)
{
	uint64_t prev = head;

	for (size_t i = 0; i < n; i++) {
		fo_put64(prev, tasks[i] + TASK_NODE);			/* next */
		fo_put64(tasks[i] + TASK_NODE + 8, prev);		/* prev */
		prev = tasks[i] + TASK_NODE;
	}
	fo_put64(prev, head);
	fo_put64(head + 8, prev);
}

/*
 * The runtime's task lists, read with a 3.12 memory whose layout says the
 * tasks are in lists (as 3.14's do): the interpreter's list and a thread
 * state's, and the thread state's running task, found with no registry
 * holding them; a list whose links loop short of its head (a task freed
 * while read) is read a bounded number of times, and the read says it may
 * miss tasks.
 */
Test(asyncio_tasks, task_lists_read_and_bounded, .fini = fo_done)
{
	struct py_asyncio_layout layout;
	struct asyncio_snapshot s;
	struct world w;
	uint64_t code, interp, tstate;

	fo_use_version(12);
	layout = fo_layout.asyncio;
	layout.needs_debug_section = true;
	layout.debug = (struct py_asyncio_debug) {
		.task_size = 256, .task_node = TASK_NODE, .task_coro = A->task_coro, .task_name = A->task_name,
		.interp_size = 8192, .interp_tasks_head = INTERP_TASKS_HEAD,
		.tstate_size = 1024, .tstate_running_task = TSTATE_RUNNING_TASK, .tstate_tasks_head = TSTATE_TASKS_HEAD,
	};
	w.task_type = fo_type_named("_asyncio.Task");
	w.coro_type = fo_type_named("coroutine");
	w.loop = fo_instance(fo_class("_UnixSelectorEventLoop"), 1, (const char *[]){ "_thread_id" },
			     (uint64_t[]){ fo_int(LOOP_THREAD) });
	uint64_t future = fo_object(fo_type_named("_asyncio.Future"), 128);
	uint64_t ended[] = {
		task_obj(&w, coro_obj(&w, future, &code), future, fo_str("of-a-thread-gone-1")),
		task_obj(&w, coro_obj(&w, future, &code), future, fo_str("of-a-thread-gone-2")),
	};
	uint64_t own[] = { task_obj(&w, coro_obj(&w, future, &code), future, fo_str("thread-own")) };
	uint64_t runner = task_obj(&w, coro_obj(&w, 0, &code), 0, fo_str("runner"));
	/* asyncio.tasks with empty registries: the C tasks are only in the lists. */
	uint64_t data = set_obj(fo_type_named("set"), 3, 0, NULL);
	uint64_t weakset = fo_instance(fo_class("WeakSet"), 1, (const char *[]){ "data" }, (uint64_t[]){ data });
	const char *names[] = { A->all_tasks };
	struct python_target t = fo_runtime("asyncio.tasks", 1, names, (uint64_t[]){ weakset });

	cr_assert_eq(target_read_u64(t.pid, t.runtime_addr + B->runtime_interp_head, &interp), 0);
	tstate = fo_alloc(1024);
	fo_put64(interp + B->interp_threads_head, tstate);
	link_tasks(interp + INTERP_TASKS_HEAD, 2, ended);
	link_tasks(tstate + TSTATE_TASKS_HEAD, 1, own);
	fo_put64(tstate + TSTATE_RUNNING_TASK, runner);

	cr_assert_eq(asyncio_read_layout(&t, &layout, &s), 0);
	cr_assert_eq(s.ntasks, 4, "%zu tasks", s.ntasks);
	cr_assert_str_eq(task_at(&s, ended[1])->name, "of-a-thread-gone-2");
	cr_assert_str_eq(task_at(&s, own[0])->name, "thread-own");
	cr_assert(task_at(&s, runner)->running, "the thread state's running task runs");
	cr_assert(!task_at(&s, own[0])->running);
	cr_assert(!s.incomplete && !s.cut);
	asyncio_snapshot_free(&s);

	/* The second task's next leads back to the first, not to the head: a loop. */
	fo_put64(ended[1] + TASK_NODE, ended[0] + TASK_NODE);
	fo_reads = 0;
	cr_assert_eq(asyncio_read_layout(&t, &layout, &s), 0);
	cr_assert(s.incomplete, "a list that never ends at its head: the read may miss tasks");
	cr_assert_not_null(asyncio_find(&s, ended[0]), "what was read is kept");
	cr_assert_leq(fo_reads, 3 * 2 * (ASYNCIO_MAX_TASKS + 16) + 10000, "%lu reads", fo_reads);
	asyncio_snapshot_free(&s);
}
