/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --async: which asyncio task the sampled thread runs.  Before the walk,
 * the thread state's running task (3.14+), or the last entries of the
 * process's _current_tasks dict (event loop -> the task it runs now),
 * give up to PYPERF_ASYNC_CANDIDATES tasks and their coroutines' frames;
 * the walk looks for those frames on the thread's stack.  A task is named
 * only when its coroutine's frame is there: the dict alone may hold
 * another thread's loop, and either a task just left.  Part of
 * pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_ASYNC_TASK_BPF_H
#define PYBPF_ASYNC_TASK_BPF_H

_Static_assert(PYPERF_ASYNC_CANDIDATES * PYPERF_ASYNC_ENTRY_MAX <= PYPERF_ASYNC_ENTRIES_READ &&
	       (PYPERF_ASYNC_ENTRIES_READ & (PYPERF_ASYNC_ENTRIES_READ - 1)) == 0, "the entries fit entries_buf");
_Static_assert((PYPERF_ASYNC_CANDIDATES & (PYPERF_ASYNC_CANDIDATES - 1)) == 0, "candidate index masks");
_Static_assert((PYPERF_ASYNC_TASK_READ & (PYPERF_ASYNC_TASK_READ - 1)) == 0, "a byte's index in task_buf masks");

/* Up to 3.10 the index width follows from dk_size (Objects/dict-common.h DK_IXSIZE). */
static __always_inline __u64 index_bytes_of_size(__u64 size)
{
	__u64 width = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffULL ? 4 : 8;

	return size * width;
}

/*
 * The address of the dict's entries and how many there are (0 on a
 * failed read or a keys object that is no sane one: then, but for a
 * failed read, which counts itself, s->async.unread says so).
 */
static __always_inline __u64 dict_entries(struct scratch *s, struct pyperf_async *a, __u64 *nentries)
{
	__u8 *keys_buf = s->async.keys_buf;
	__u64 keys, size, index_bytes, n;
	__u32 log2, log2_index;

	*nentries = 0;
	if (read_ptr(s, &keys, a->current_tasks + a->dict_keys) || !keys ||
	    read_user(s, keys_buf, PYPERF_ASYNC_KEYS_READ, keys))
		return 0;
	if (a->log2_size) {
		log2 = keys_buf[a->keys_size & (PYPERF_ASYNC_KEYS_READ - 1)];
		log2_index = keys_buf[a->keys_log2_index_bytes & (PYPERF_ASYNC_KEYS_READ - 1)];
		/* Indices are 1 to 8 bytes: log2 of their table is log2 + 0..3. */
		if (log2 > 30 || log2_index < log2 || log2_index > log2 + 3) {
			s->async.unread = 1;
			return 0;
		}
		size = 1ULL << log2;
		index_bytes = 1ULL << log2_index;
	} else {
		size = load_u64(keys_buf, a->keys_size, PYPERF_ASYNC_KEYS_READ);
		if (!size || (size & (size - 1)) || size > (1ULL << 30)) {
			s->async.unread = 1;
			return 0;
		}
		index_bytes = index_bytes_of_size(size);
	}
	n = load_u64(keys_buf, a->keys_nentries, PYPERF_ASYNC_KEYS_READ);
	if ((__s64)n < 0 || n > size)
		s->async.unread = 1;
	if ((__s64)n <= 0 || n > size)
		return 0;	/* 0: no loop runs a task */
	*nentries = n;
	return keys + a->keys_indices + index_bytes;
}

/* Coroutine CORO's frame: embedded in it (3.11+) or its gi_frame; 0 if none or unread. */
static __always_inline __u64 coroutine_frame(struct scratch *s, struct pyperf_async *a, __u64 coro)
{
	__u64 frame;

	if (!coro)
		return 0;
	if (a->coro_frame_embedded)
		return coro + a->coro_frame;
	return read_ptr(s, &frame, coro + a->coro_frame) ? 0 : frame;
}

/*
 * The fields of the task TASK into task_buf: 0 if read and a C task.  Only
 * up to the last field used (a->task_read, within the type's size): a
 * task may end within PYPERF_ASYNC_TASK_READ bytes of a page never touched,
 * which a probe read cannot fault in.
 */
static __always_inline int read_task(struct scratch *s, struct pyperf_async *a, __u64 task)
{
	struct async_match *m = &s->async;

	if (read_prefix(s, m->task_buf, a->task_read, PYPERF_ASYNC_TASK_READ, task) ||
	    load_u64(m->task_buf, a->object_type, PYPERF_ASYNC_TASK_READ) != a->task_type)
		return -1;
	return 0;
}

/* A future's fields into task_buf, as read_task() (a->future_read: a Future is smaller). */
static __always_inline int read_future(struct scratch *s, struct pyperf_async *a, __u64 fut)
{
	return read_prefix(s, s->async.task_buf, a->future_read, PYPERF_ASYNC_TASK_READ, fut);
}

/* TASK, if it is a C task, with its coroutine's frame: the next candidate. */
static __always_inline void add_candidate(struct scratch *s, struct pyperf_async *a, __u64 task)
{
	struct async_match *m = &s->async;
	__u64 frame;

	if (!task || read_task(s, a, task))
		return;
	frame = coroutine_frame(s, a, load_u64(m->task_buf, a->task_coro, PYPERF_ASYNC_TASK_READ));
	if (!frame)
		return;
	m->frame[m->count & (PYPERF_ASYNC_CANDIDATES - 1)] = frame;
	m->task[m->count & (PYPERF_ASYNC_CANDIDATES - 1)] = task;
	m->name[m->count & (PYPERF_ASYNC_CANDIDATES - 1)] = load_u64(m->task_buf, a->task_name, PYPERF_ASYNC_TASK_READ);
	m->count++;
}

/*
 * The candidates.  3.14+: the task the sampled thread state runs.  Up to
 * 3.13: the tasks in the last entries of _current_tasks (a loop's entry is
 * deleted when its task steps out and added again when the next steps in,
 * so the live ones are the newest).
 */
static __always_inline void read_candidates(struct scratch *s, struct pyperf_async *a, __u64 tstate)
{
	struct async_match *m = &s->async;
	__u64 entries, nentries, first, task;
	__u32 count;

	if (a->tstate_running_task) {
		if (!read_ptr(s, &task, tstate + a->tstate_running_task))
			add_candidate(s, a, task);
		return;
	}
	entries = dict_entries(s, a, &nentries);
	if (!entries)
		return;
	first = nentries > PYPERF_ASYNC_CANDIDATES ? nentries - PYPERF_ASYNC_CANDIDATES : 0;
	count = nentries - first;
	if (!a->entry_size || a->entry_size > PYPERF_ASYNC_ENTRY_MAX ||
	    read_user(s, m->entries_buf, (count * a->entry_size) & (PYPERF_ASYNC_ENTRIES_READ - 1), entries + first * a->entry_size))
		return;
	for (__u32 i = 0; i < PYPERF_ASYNC_CANDIDATES; i++) {
		if (i >= count)
			break;
		/* The value is an entry's last word. */
		add_candidate(s, a, load_u64(m->entries_buf, (i + 1) * a->entry_size - 8, sizeof(m->entries_buf)));
	}
}

/*
 * The candidates, and whether a read that failed (or a dict no sane one)
 * may have left out the task the thread runs: if none is found on its
 * stack then, the sample says its task is not known (async_task()).
 */
static __always_inline void async_candidates(struct scratch *s, struct pyperf_async *a, __u64 tstate)
{
	struct async_match *m = &s->async;
	__u32 failed = s->failed_reads;

	m->count = 0;
	m->found = 0;
	m->unread = 0;
	if (!a->current_tasks && !a->tstate_running_task)
		return;
	m->config = *a;
	read_candidates(s, a, tstate);
	if (s->failed_reads != failed)
		m->unread = 1;
}

/* The walk met FRAME at depth N: is it a candidate's coroutine frame? */
static __always_inline void async_visit(struct scratch *s, __u64 frame, __u32 n)
{
	struct async_match *m = &s->async;

	if (!m->count || m->found)
		return;
	for (__u32 i = 0; i < PYPERF_ASYNC_CANDIDATES; i++) {
		if (i < m->count && m->frame[i] == frame) {
			m->found = 1;
			m->which = i;
			m->depth = n;
			return;
		}
	}
}

/*
 * TASK and its name's first bytes into OUT.  A small name object may end
 * within PYPERF_STR_HEAD bytes of a page never touched (not present, which
 * a probe read cannot fault in): then read_head() reads no more than the
 * object, and name_bytes says how much is there.
 */
static __always_inline void take_task(struct scratch *s, struct pyperf_task *out, __u64 task, __u64 name,
				      __u32 frame_index)
{
	int got = -1;

	out->task = task;
	out->name = name;
	out->frame_index = frame_index;
	out->nframes = 0;
	out->frames_cut = 0;
	if (name)
		got = read_head(s, out->name_head, name, false);
	else
		__builtin_memset(out->name_head, 0, PYPERF_STR_HEAD);
	out->name_bytes = got < 0 ? 0 : got;
	/*
	 * A name there but unread (its page being moved, say: khugepaged
	 * collapses pages under a probe read) shows as "?": a failed read of
	 * the sample, counted, unless the read budget was the cause.
	 */
	if (name && got < 0 && !(s->sample.hdr.flags & PYPERF_SAMPLE_BUDGET))
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
}

/*
 * The first done callback of the future FUT and its type (FUT into
 * task_buf); 0 if it has none or a read fails.  The callback's fields are
 * read one at a time, by its type: a bound method is 48 bytes.
 */
static __always_inline __u64 first_callback(struct scratch *s, struct pyperf_async *a, __u64 fut, __u64 *type)
{
	struct async_match *m = &s->async;
	__u64 callback;

	if (read_future(s, a, fut))
		return 0;
	callback = load_u64(m->task_buf, a->future_callback0, PYPERF_ASYNC_TASK_READ);
	if (!callback || read_ptr(s, type, callback + a->object_type))
		return 0;
	return callback;
}

/*
 * 3.14+: the task the runtime records as awaiting FUT (`await`, gather()'s
 * children, a TaskGroup's), read into task_buf; 0 if none, or several
 * (a set: which one the sample's chain continues in is not known).
 */
static __always_inline __u64 recorded_awaiter(struct scratch *s, struct pyperf_async *a, __u64 fut)
{
	struct async_match *m = &s->async;
	__u64 task;

	if (read_future(s, a, fut) || m->task_buf[a->future_awaited_by_is_set & (PYPERF_ASYNC_TASK_READ - 1)])
		return 0;
	task = load_u64(m->task_buf, a->future_awaited_by, PYPERF_ASYNC_TASK_READ);
	if (!task || read_task(s, a, task))
		return 0;
	return task;
}

/*
 * 3.11-3.13: the parent task of the TaskGroup whose bound method is
 * CALLBACK, read into task_buf; 0 if it is no TaskGroup's, or the group
 * keeps its attributes in a dict (not walked here).
 */
static __always_inline __u64 taskgroup_parent(struct scratch *s, struct pyperf_async *a, __u64 callback)
{
	__u64 group, type, slot, values, task;
	__u8 valid;

	if (read_ptr(s, &group, callback + a->method_self) || !group ||
	    read_ptr(s, &type, group + a->object_type) || type != a->taskgroup_type ||
	    read_ptr(s, &slot, group + a->group_dict))
		return 0;
	if (a->group_values_tag) {
		if (!(slot & a->group_values_tag))
			return 0;
		values = slot + a->group_values_tag;
	} else if (slot) {
		return 0;
	} else if (a->group_values) {
		if (read_ptr(s, &values, group + a->group_values) || !values)
			return 0;
	} else {
		values = group + a->group_inline;
		if (read_user(s, &valid, sizeof(valid), values + a->group_valid) || !valid)
			return 0;
	}
	if (read_ptr(s, &task, values + a->group_parent) || !task || read_task(s, a, task))
		return 0;
	return task;
}

/*
 * The task awaiting the future FUT (a task, or a gather's future), read
 * into task_buf; 0 if none can be shown to.  3.14+ record it; before,
 * FUT's first done callback either wakes a task (`await fut`), or is gather()'s, a function whose
 * closure holds the _GatheringFuture, whose own first callback wakes the
 * task awaiting the gather; the task must await that very future.  Or it
 * is a TaskGroup's (3.11-3.13), whose parent task awaits its children as
 * 3.14 has it: from create_task() on, not only once in __aexit__.
 */
static __always_inline __u64 awaiter_of(struct scratch *s, struct pyperf_async *a, __u64 fut)
{
	struct async_match *m = &s->async;
	__u64 callback, type, closure, cells, cell, obj, outer = 0, task;

	if (a->future_awaited_by)
		return recorded_awaiter(s, a, fut);
	callback = first_callback(s, a, fut, &type);
	if (!callback)
		return 0;
	if (a->group_dict && type == a->method_type)
		return taskgroup_parent(s, a, callback);
	if (a->function_type && type == a->function_type) {
		/* The closure's cells: as many as the tuple has (up to PYPERF_CLOSURE_CELLS), no more. */
		if (read_ptr(s, &closure, callback + a->function_closure) || !closure ||
		    read_ptr(s, &cells, closure + a->tuple_size) || !cells)
			return 0;
		if (cells > PYPERF_CLOSURE_CELLS)
			cells = PYPERF_CLOSURE_CELLS;
		if (read_prefix(s, m->tuple_buf, cells * 8, sizeof(m->tuple_buf), closure + a->tuple_items))
			return 0;
		for (__u32 i = 0; i < PYPERF_CLOSURE_CELLS; i++) {
			if (i >= cells)
				break;
			cell = load_u64(m->tuple_buf, 8 * i, sizeof(m->tuple_buf));
			if (!cell || read_ptr(s, &obj, cell + a->cell_ref) || !obj ||
			    read_ptr(s, &type, obj + a->object_type))
				continue;
			if (type == a->gathering_type) {
				outer = obj;
				break;
			}
		}
		if (!outer)
			return 0;
		callback = first_callback(s, a, outer, &type);
		if (!callback)
			return 0;
		fut = outer;
	}
	if (read_ptr(s, &task, callback + a->wakeup_task) || !task || read_task(s, a, task) ||
	    load_u64(m->task_buf, a->task_fut_waiter, PYPERF_ASYNC_TASK_READ) != fut)
		return 0;
	return task;
}

/*
 * Level N (1..PYPERF_MAX_AWAITERS): the task awaiting out[N - 1], taken
 * into out[N] with its coroutine; 0 if there is none to show.  A global
 * function: the verifier checks it once, on its own (see
 * resolve_frame_at()).
 */
__noinline int async_awaiter(__u32 n)
{
	struct scratch *s = get_scratch();
	struct async_match *m;
	__u64 task;
	__u32 failed;

	if (!s || n == 0 || n >= PYPERF_MAX_TASKS)
		return 0;
	m = &s->async;
	failed = s->failed_reads;
	task = awaiter_of(s, &m->config, m->out[(n - 1) & (PYPERF_TASK_SLOTS - 1)].task);
	/*
	 * No awaiter is shown only when none could be read: never cut
	 * silently.  A failed read is a read error; the budget spent is not
	 * (PYPERF_SAMPLE_BUDGET says so), as in the frame walk.
	 */
	if (!task && s->failed_reads != failed)
		s->sample.hdr.flags |= PYPERF_SAMPLE_AWAITERS_CUT | PYPERF_SAMPLE_READ_ERROR;
	else if (!task && (s->sample.hdr.flags & PYPERF_SAMPLE_BUDGET))
		s->sample.hdr.flags |= PYPERF_SAMPLE_AWAITERS_CUT;
	if (!task || task == m->out[0].task)
		return 0;
	take_task(s, &m->out[n & (PYPERF_TASK_SLOTS - 1)], task,
		  load_u64(m->task_buf, m->config.task_name, PYPERF_ASYNC_TASK_READ), m->out[0].frame_index);
	/* task_buf still holds the task (its name is read into the slot). */
	m->coro[n & (PYPERF_TASK_SLOTS - 1)] = load_u64(m->task_buf, m->config.task_coro, PYPERF_ASYNC_TASK_READ);
	return 1;
}

/*
 * The tasks awaiting out[0], each awaiting the one before: how many
 * (0..PYPERF_MAX_AWAITERS).  Unrolled: a loop whose latch falls through
 * into its header is a back-edge 5.10's verifier refuses.
 */
static __always_inline __u32 async_awaiters(void)
{
	__u32 n = 1;

#pragma unroll
	for (__u32 level = 0; level < PYPERF_MAX_AWAITERS; level++) {
		if (!async_awaiter(n))
			break;
		n++;
	}
	return n - 1;
}

/*
 * After the walk: the task found, with its name's first bytes, and the
 * tasks awaiting it, into s->async.out (add_native() puts them after the
 * frames).  Only a frame among those the sample keeps in order (the
 * innermost PYPERF_KEEP_INNER) can say where the task's frames begin.
 */
static __always_inline void async_task(struct scratch *s)
{
	struct async_match *m = &s->async;
	__u32 i = m->which & (PYPERF_ASYNC_CANDIDATES - 1);

	if (!m->found && m->unread) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_TASK_UNREAD | PYPERF_SAMPLE_READ_ERROR;
		return;
	}
	if (!m->found || m->depth >= s->sample.hdr.nframes || m->depth >= PYPERF_KEEP_INNER)
		return;
	take_task(s, &m->out[0], m->task[i], m->name[i], m->depth);
	s->sample.hdr.ntasks = 1 + async_awaiters();
}

#endif
