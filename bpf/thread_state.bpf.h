/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The interrupted thread's PyThreadState: cached per thread, found by a
 * search of the thread list that resumes across samples.
 * Part of pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_THREAD_STATE_BPF_H
#define PYBPF_THREAD_STATE_BPF_H

/* The current task's thread id in its own pid namespace (native_thread_id). */
static __always_inline __u32 ns_tid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid;

	if (bpf_core_read(&upid, sizeof(upid), &pid->numbers[level & 31]))
		return 0;
	return upid.nr;
}

/* Does the thread state in tstate_buf belong to the thread being sampled? */
static __always_inline bool tstate_is_ours(struct scratch *s)
{
	struct thread_search *q = &s->search;
	__u32 native;

	if (load_u64(s->tstate_buf, s->off.tstate_thread_id, PYPERF_TSTATE_READ) != q->fsbase)
		return false;
	if (s->off.tstate_native_thread_id == PYPERF_OFF_NONE || !q->ns_tid)
		return true;
	native = (__u32)load_u64(s->tstate_buf, s->off.tstate_native_thread_id, PYPERF_TSTATE_READ);
	return native == q->ns_tid;
}

/* Read the thread state at TSTATE into tstate_buf: is it there, and ours? */
static __always_inline bool load_tstate_if_ours(struct scratch *s, __u64 tstate)
{
	return !read_prefix(s, s->tstate_buf, s->off.tstate_read_size, PYPERF_TSTATE_READ, tstate) &&
	       tstate_is_ours(s);
}

/*
 * Does the thread state in tstate_buf run Python now (3.12+: its _status
 * says "active")?  A thread has one thread state in each interpreter it
 * entered; the one it left for another interpreter's, like one whose
 * thread released the GIL, is not active.  Without the bit, every thread
 * state counts as active (up to 3.11 a thread entering a sub-interpreter
 * is not followed).
 */
static __always_inline bool tstate_active(struct scratch *s)
{
	if (s->off.tstate_status == PYPERF_OFF_NONE)
		return true;
	return load_u32(s->tstate_buf, s->off.tstate_status, PYPERF_TSTATE_READ) &
	       s->off.tstate_active_mask;
}

/*
 * bpf_loop body: one step of the search, either into the next interpreter's
 * thread list or to the next thread state of the current one.
 */
static long visit_thread(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	struct thread_search *q;
	struct thread_entry *e;
	__u64 interp, next;

	if (!s)
		return 1;
	q = &s->search;
	e = &q->entry;
	if (!e->scan_cursor) {
		/* Next list: the first interpreter's, then each one's next. */
		if (e->scan_interp ? read_ptr(s, &interp, e->scan_interp + s->off.interp_next) :
				     read_ptr(s, &interp, q->runtime + s->off.runtime_interp_head)) {
			q->failed = 1;
			return 1;
		}
		if (!interp || ++e->scan_interps > PYPERF_MAX_INTERPS) {
			/*
			 * Every list seen: none of the thread's states is
			 * active.  tstate_buf holds the last one visited: read
			 * the fallback again, which may have gone meanwhile.
			 */
			if (e->fallback && load_tstate_if_ours(s, e->fallback)) {
				q->found = e->fallback;
				q->found_interp = e->fallback_interp;
				e->idle = 1;
			} else {
				e->state = THREAD_ABSENT;	/* not a Python thread */
			}
			return 1;
		}
		e->scan_interp = interp;
		__builtin_memset(&e->scan_cycle, 0, sizeof(e->scan_cycle));
		if (read_ptr(s, &e->scan_cursor, interp + s->off.interp_threads_head)) {
			q->failed = 1;
			return 1;
		}
		if (e->scan_interps == 1)
			e->first_head = e->scan_cursor;
		return 0;
	}
	if (read_prefix(s, s->tstate_buf, s->off.tstate_read_size, PYPERF_TSTATE_READ, e->scan_cursor)) {
		q->failed = 1;
		return 1;
	}
	if (tstate_is_ours(s)) {
		/*
		 * A first search takes the first of the thread's states (the
		 * newest interpreter's); the idle check looks again with the
		 * one found standing in (e->prior) and wants an active one.
		 */
		if (tstate_active(s) || !e->prior) {
			q->found = e->scan_cursor;
			q->found_interp = e->scan_interp;
			return 1;
		}
		/*
		 * Ours, but idle: the thread released the GIL, or runs in
		 * another interpreter whose list is still to come.  Taken if
		 * none is active: the one taken before, else the first seen
		 * (new interpreters go at the head of the list: the newest).
		 */
		if (!e->fallback || e->scan_cursor == e->prior) {
			e->fallback = e->scan_cursor;
			e->fallback_interp = e->scan_interp;
		}
	}
	/* Linked in before its thread is bound to it: maybe ours, in a moment. */
	if (!load_u64(s->tstate_buf, s->off.tstate_thread_id, PYPERF_TSTATE_READ))
		q->unbound = 1;
	next = load_u64(s->tstate_buf, s->off.tstate_next, PYPERF_TSTATE_READ);
	/* A list that loops has been seen whole: on to the next one. */
	e->scan_cursor = chain_cycle_seen(&e->scan_cycle, next) ? 0 : next;
	return 0;
}

/* Without bpf_loop: see visit_frames_bounded(). */
__noinline int visit_thread_once(__u32 index)
{
	return visit_thread(index, NULL);
}

/*
 * The head of the first interpreter's thread list, ~0 if unreadable: a new
 * thread state goes at the head, so while it stays the same no thread has
 * gained one there since "not found" was the answer (a native thread calling
 * into Python takes a new one for each call).
 */
static __always_inline __u64 first_head(struct scratch *s, __u64 runtime)
{
	__u64 interp, head;

	if (read_ptr(s, &interp, runtime + s->off.runtime_interp_head) || !interp ||
	    read_ptr(s, &head, interp + s->off.interp_threads_head))
		return ~0ULL;
	return head;
}

/*
 * Start a new search for the thread from the first interpreter.  PRIOR: the
 * thread state it had, if it is to be kept where none is active.
 */
static __always_inline void search_restart(struct thread_entry *e, __u32 generation, __u64 now,
					   __u64 prior)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->state = THREAD_SEARCHING;
	e->generation = generation;
	e->checked_ns = now;
	e->prior = prior;
}

/*
 * The thread's cached thread state is ours but idle: has the thread gone on
 * to run in another interpreter's?  Only if the process has another
 * interpreter.  Asked at once when the thread state was active the last
 * time (entering a sub-interpreter is followed from the first sample
 * there), then at most once per PYPERF_NEGATIVE_TTL_NS while it stays idle
 * (a thread that released the GIL is asked about often).
 */
static __always_inline bool may_run_elsewhere(struct scratch *s, struct thread_entry *cached,
					      __u64 runtime, __u64 now)
{
	__u64 head, next;

	if (cached->idle && now - cached->checked_ns < PYPERF_NEGATIVE_TTL_NS)
		return false;
	cached->idle = 1;
	cached->checked_ns = now;
	if (read_ptr(s, &head, runtime + s->off.runtime_interp_head))
		return false;
	if (head == cached->interp && (read_ptr(s, &next, head + s->off.interp_next) || !next))
		return false;
	return true;
}

/*
 * The PyThreadState of the thread being sampled (its first bytes left in
 * tstate_buf), or 0: with *PENDING set while the search is still going on.
 * *CACHED_HIT: it is the one found before (FRESH_ONLY: look again instead).
 * A thread state is matched by its thread_id (pthread_self(), the FS base
 * on x86_64 glibc and musl), and from 3.11 by its native_thread_id too,
 * which a freed thread state's leftover memory does not give a new thread.
 */
static __always_inline __u64 thread_state(struct scratch *s, struct task_struct *task,
					  __u64 pid_tgid, __u64 runtime, __u64 now, bool fresh_only,
					  bool bounded, bool *pending, bool *cached_hit)
{
	struct thread_search *q = &s->search;
	struct thread_entry *cached = bpf_map_lookup_elem(&threads, &pid_tgid);
	struct thread_entry *e = &q->entry;
	bool valid;
	__u64 tstate;

	*pending = false;
	*cached_hit = false;
	q->runtime = runtime;
	q->fsbase = BPF_CORE_READ(task, thread.fsbase);
	q->ns_tid = s->off.tstate_native_thread_id == PYPERF_OFF_NONE ? 0 : ns_tid(task);
	q->found = 0;
	q->found_interp = 0;
	q->failed = 0;
	q->unbound = 0;
	if (cached && cached->generation == s->generation) {
		*e = *cached;
		if (e->state == THREAD_ABSENT && now - e->checked_ns < PYPERF_NEGATIVE_TTL_NS &&
		    first_head(s, runtime) == e->first_head)
			return 0;
		if (e->state == THREAD_FOUND) {
			tstate = e->tstate;
			valid = !fresh_only && load_tstate_if_ours(s, tstate) &&
				load_u64(s->tstate_buf, s->off.tstate_interp, PYPERF_TSTATE_READ) == e->interp;
			if (valid && (tstate_active(s) || !may_run_elsewhere(s, cached, runtime, now))) {
				if (cached->idle && tstate_active(s))
					cached->idle = 0;
				*cached_hit = true;
				return tstate;
			}
			/* Still the thread's but idle: looked for again, kept meanwhile. */
			search_restart(e, s->generation, now, valid ? tstate : 0);
		} else if (e->state == THREAD_ABSENT) {
			search_restart(e, s->generation, now, 0);
		}
	} else {
		search_restart(e, s->generation, now, 0);
	}
	count(PYPERF_STAT_TSTATE_SEARCHES);
	if (bounded) {
		for (__u32 i = 0; i < PYPERF_SCAN_STEP; i++)
			if (visit_thread_once(i))
				break;
	} else {
		bpf_loop(PYPERF_SCAN_STEP, visit_thread, NULL, 0);
	}
	if (q->found) {
		e->state = THREAD_FOUND;
		e->tstate = q->found;
		e->interp = q->found_interp;
	} else if (q->failed) {
		e->state = THREAD_ABSENT;	/* its memory is unreadable: as good as none */
	}
	if (q->unbound)
		e->first_head = ~0ULL;		/* "not found" holds for this sample only */
	/* Nothing is cached before the runtime has an interpreter (starting up). */
	if (e->state != THREAD_ABSENT || e->scan_interps)
		bpf_map_update_elem(&threads, &pid_tgid, e, BPF_ANY);
	*pending = e->state == THREAD_SEARCHING;
	/*
	 * A search that goes on over several samples (long lists, or lists a
	 * target made loop) started from an idle state of the thread's: that
	 * state stands in meanwhile, as long as it still names the thread.
	 */
	if (*pending && e->prior && load_tstate_if_ours(s, e->prior)) {
		*pending = false;
		*cached_hit = true;
		return e->prior;
	}
	return q->found;
}

#endif
