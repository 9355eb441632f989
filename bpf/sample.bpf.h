/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One sample: the GIL, native stacks, the ring buffer's fair share, the
 * record submitted, and the brake that bounds a process's cost.
 * Part of pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_SAMPLE_BPF_H
#define PYBPF_SAMPLE_BPF_H

/*
 * The current task.  bpf_get_current_task_btf() (Linux 5.11) gives a typed
 * pointer, which bpf_task_pt_regs() needs; before it the same address
 * comes untyped, and is only read through CO-RE.  Chosen when the program
 * is loaded: the kernel's own list of helpers says which it has.
 */
static __always_inline struct task_struct *current_task(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

#define X86_THREAD_SIZE		(16 << 10)	/* x86_64's kernel stacks, without KASAN */
#define X86_USER_CS_RPL		3		/* a user-mode frame's code segment privilege */

/*
 * The user registers TASK entered the kernel with: bpf_task_pt_regs()
 * (Linux 5.15), else where x86_64 saves them, at the top of the task's
 * kernel stack.  That place assumes 16 KiB stacks (no KASAN), so a frame
 * that does not look like a user-mode one (CS's privilege) gives none.
 */
static __always_inline struct pt_regs *task_user_regs(struct task_struct *task)
{
	struct pt_regs *regs;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return (struct pt_regs *)bpf_task_pt_regs(task);
	regs = (struct pt_regs *)(BPF_CORE_READ(task, stack) + X86_THREAD_SIZE) - 1;
	if ((BPF_CORE_READ(regs, cs) & 3) != X86_USER_CS_RPL)
		return NULL;
	return regs;
}

/*
 * Whether TSTATE holds its interpreter's GIL; also notes where the GIL is.
 * A free-threaded build has no GIL: there the question --gil asks is
 * whether the thread is attached, running Python, rather than in a region
 * that would have released the GIL (its _status says "active"; without
 * that field, unknown).
 */
static __always_inline void check_gil(struct scratch *s, __u64 runtime, __u64 tstate)
{
	struct pyperf_offsets *off = &s->off;
	__u64 gil, interp, holder;
	__u32 locked;

	s->gil = 0;
	if (!off->gil_span) {
		/* Free-threaded (the layouts say so with a GIL of no size). */
		if (off->tstate_status == PYPERF_OFF_NONE)
			return;
		s->sample.hdr.flags |= PYPERF_SAMPLE_GIL_KNOWN;
		if (tstate_active(s))
			s->sample.hdr.flags |= PYPERF_SAMPLE_GIL_HELD;
		return;
	}
	if (off->gil_holder == PYPERF_OFF_NONE || off->gil_locked == PYPERF_OFF_NONE)
		return;
	if (off->runtime_ceval_gil != PYPERF_OFF_NONE) {
		gil = runtime + off->runtime_ceval_gil;
	} else {
		interp = load_u64(s->tstate_buf, off->tstate_interp, PYPERF_TSTATE_READ);
		if (off->interp_gil == PYPERF_OFF_NONE || !interp ||
		    read_ptr(s, &gil, interp + off->interp_gil) || !gil)
			return;
	}
	if (read_ptr(s, &holder, gil + off->gil_holder) ||
	    read_user(s, &locked, sizeof(locked), gil + off->gil_locked))
		return;
	s->gil = gil;
	s->sample.hdr.flags |= PYPERF_SAMPLE_GIL_KNOWN;
	if (locked && holder == tstate)
		s->sample.hdr.flags |= PYPERF_SAMPLE_GIL_HELD;
}

/*
 * --async: the task the thread runs and those awaiting it, right after the
 * frames (the record's first SIZE bytes); the bytes they take.  A global
 * function, verified on its own: inlined, Linux 5.10's verifier lost track
 * of the record's base pointer in add_native() after it.
 */
#define PYPERF_TASKS_BYTES_MASK	1023
_Static_assert(PYPERF_MAX_TASKS * sizeof(struct pyperf_task) <= PYPERF_TASKS_BYTES_MASK,
	       "the tasks' bytes pass the mask whole");

__noinline __u32 add_tasks(__u32 size)
{
	__u32 start = size;

	struct scratch *s = get_scratch();
	__u8 *base;

	if (!s)
		return 0;
	base = (__u8 *)&s->sample;
	for (__u32 i = 0; i < PYPERF_MAX_TASKS; i++) {
		if (i >= s->sample.hdr.ntasks)
			break;
		barrier_var(size);
		if (size > offsetof(struct pyperf_sample, tasks[PYPERF_MAX_TASKS - 1])) {
			s->sample.hdr.ntasks = i;
			break;
		}
		__builtin_memcpy(base + size, &s->async.out[i], sizeof(struct pyperf_task));
		size += sizeof(struct pyperf_task);
	}
	return size - start;
}

/*
 * --kernel and --native: the kernel stack, then the user registers and a
 * copy of the top of the user stack (unwound in userspace with the
 * binaries' CFI, since Python is rarely built with frame pointers), after
 * the frames.  Returns the record's size.
 */
static __always_inline __u32 add_native(void *ctx, struct scratch *s, struct task_struct *task)
{
	__u64 size = sizeof(s->sample.hdr), n = s->sample.hdr.nframes, sp, chunk, len;
	__u8 *base = (__u8 *)&s->sample;
	struct pyperf_user_regs *r;
	struct pt_regs *regs;
	long got;
	int i;

	if (n > PYPERF_MAX_FRAMES)
		n = PYPERF_MAX_FRAMES;
	size += n * sizeof(struct pyperf_frame);
	/* The mask keeps what the verifier knows of SIZE (a global function's answer is any scalar). */
	if (s->sample.hdr.ntasks)
		size += add_tasks(size) & (PYPERF_TASKS_BYTES_MASK);
	if (want_kernel_stack) {
		barrier_var(size);
		if (size > offsetof(struct pyperf_sample, kernel))
			return size;
		got = bpf_get_stack(ctx, base + size, PYPERF_MAX_KERNEL_FRAMES * sizeof(__u64), 0);
		if (got > 0) {
			s->sample.hdr.nkernel = (__u64)got / sizeof(__u64) & (PYPERF_MAX_KERNEL_FRAMES * 2 - 1);
			if (s->sample.hdr.nkernel > PYPERF_MAX_KERNEL_FRAMES)
				s->sample.hdr.nkernel = PYPERF_MAX_KERNEL_FRAMES;
			size += s->sample.hdr.nkernel * sizeof(__u64);
		}
	}
	if (!want_user_stack)
		return size;
	regs = task_user_regs(task);
	barrier_var(size);
	if (!regs || size > offsetof(struct pyperf_sample, regs))
		return size;
	r = (void *)(base + size);
	r->ip = BPF_CORE_READ(regs, ip);
	r->sp = sp = BPF_CORE_READ(regs, sp);
	r->bp = BPF_CORE_READ(regs, bp);
	size += sizeof(struct pyperf_user_regs);
	s->sample.hdr.flags |= PYPERF_SAMPLE_USER_REGS;
	/* Page by page, so a stack that ends sooner still gives what it has. */
	len = 0;
	for (i = 0; i < PYPERF_USER_STACK_BYTES / PYPERF_PAGE_SIZE + 1; i++) {
		chunk = PYPERF_PAGE_SIZE - ((sp + len) & (PYPERF_PAGE_SIZE - 1));
		if (len + chunk > PYPERF_USER_STACK_BYTES)
			chunk = PYPERF_USER_STACK_BYTES - len;
		barrier_var(size);
		if (!chunk || chunk > PYPERF_PAGE_SIZE || size > sizeof(s->sample) - PYPERF_PAGE_SIZE)
			break;
		if (read_user(s, base + size, chunk, sp + len))
			break;
		len += chunk;
		size += chunk;
	}
	s->sample.hdr.stack_len = len;
	return size;
}

/*
 * Whether PID (B: its brake, NULL if not looked up yet) may put SIZE more
 * bytes into the ring buffer at time NOW, holding AVAIL bytes (see
 * PYPERF_FAIR_WINDOW_NS).
 */
static __always_inline bool fair_share(__u32 pid, struct pyperf_brake *b, __u32 size, __u64 avail,
				       __u64 now)
{
	__u64 nprocs = profiled_processes ? profiled_processes : 1;

	if (!b)
		b = bpf_map_lookup_elem(&brakes, &pid);
	if (!b)
		return true;
	if (now - b->ring_window_start_ns >= PYPERF_FAIR_WINDOW_NS) {
		b->ring_window_start_ns = now;
		b->ring_window_bytes = 0;
	}
	if (avail > ring_bytes / 2 && b->ring_window_bytes + size > ring_bytes / 2 / nprocs)
		return false;
	__sync_fetch_and_add(&b->ring_window_bytes, size);
	return true;
}

static __always_inline void submit(struct scratch *s, __u32 pid, struct pyperf_brake *brake,
				   __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bool fair;

	if (size > sizeof(s->sample))
		size = sizeof(s->sample);
	fair = fair_share(pid, brake, size, avail, s->sample.hdr.timestamp_ns);
	if (!fair)
		count(PYPERF_STAT_UNFAIR);
	/*
	 * Waking userspace for every sample costs it a system call each; it
	 * drains on a short timer instead, and is woken only when a backlog
	 * builds up.
	 */
	if (!fair || bpf_ringbuf_output(&events, &s->sample, size,
					avail >= PYPERF_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP :
								       BPF_RB_NO_WAKEUP)) {
		__u64 one = 1, *lost = bpf_map_lookup_elem(&lost_by_pid, &pid);

		count(PYPERF_STAT_LOST);
		if (lost)
			__sync_fetch_and_add(lost, 1);
		else
			bpf_map_update_elem(&lost_by_pid, &pid, &one, BPF_NOEXIST);
	} else {
		count(PYPERF_STAT_SUBMITTED);
	}
}

/* The counters of what the sample in the scratch is missing. */
static __always_inline void count_flags(__u16 flags)
{
	if (flags & PYPERF_SAMPLE_READ_ERROR)
		count(PYPERF_STAT_READ_ERRORS);
	if (flags & PYPERF_SAMPLE_TRUNCATED)
		count(PYPERF_STAT_TRUNCATED);
	if (flags & PYPERF_SAMPLE_UNREADABLE)
		count(PYPERF_STAT_UNREADABLE);
	if (flags & PYPERF_SAMPLE_TORN)
		count(PYPERF_STAT_TORN);
	if (flags & PYPERF_SAMPLE_TSTATE_PENDING)
		count(PYPERF_STAT_TSTATE_PENDING);
	if (flags & PYPERF_SAMPLE_NO_TSTATE)
		count(PYPERF_STAT_NO_TSTATE);
	if (flags & PYPERF_SAMPLE_BUDGET)
		count(PYPERF_STAT_BUDGET);
}

/*
 * With stage_times: the time since SINCE goes to STAGE's counter; returns
 * now, the next stage's start.
 */
static __always_inline __u64 stage_done(enum pyperf_stat stage, __u64 since)
{
	__u64 now;

	if (!stage_times)
		return 0;
	now = bpf_ktime_get_ns();
	add_count(stage, now - since);
	return now;
}

/*
 * Sample the current thread of a profiled process at time NOW: its Python
 * stack (and with --native/--kernel its native stacks), into the ring
 * buffer.  BRAKE: the process's, if the caller has looked it up.
 * BOUNDED: walk without bpf_loop (a constant at each call).
 */
static __always_inline void sample_current(void *ctx, struct pyperf_proc *proc, __u64 pid_tgid,
					   __u8 kind, __u8 task_state, __u16 weight, __u64 now,
					   struct pyperf_brake *brake, bool bounded)
{
	__u32 pid = pid_tgid >> 32;
	struct task_struct *task;
	struct scratch *s;
	__u64 tstate, top, stage;
	bool pending, cached;

	s = get_scratch();
	if (!s)
		return;
	task = current_task();
	s->off = proc->off;
	s->tgid = pid;
	s->generation = proc->generation;
	s->reads = 0;
	s->failed_reads = 0;
	s->reports = 0;
	s->report_bytes = 0;
	s->gil = 0;
	__builtin_memset(&s->sample.hdr, 0, sizeof(s->sample.hdr));
	s->sample.hdr.pid = pid;
	s->sample.hdr.tid = (__u32)pid_tgid;
	s->sample.hdr.timestamp_ns = now;
	s->sample.hdr.cpu = bpf_get_smp_processor_id();
	s->sample.hdr.kind = kind;
	s->sample.hdr.task_state = task_state;
	s->sample.hdr.syscall = -1;
	s->sample.hdr.weight = weight;

	tstate = thread_state(s, task, pid_tgid, proc->runtime_addr, now, false, bounded,
			      &pending, &cached);
	top = tstate ? top_frame(s) : 0;
	/*
	 * A thread state found before that has no frames now may be a freed
	 * one whose memory still names this thread (a PyGILState_Release'd
	 * callback thread, a sub-interpreter left): look again at once.
	 */
	if (cached && !top) {
		tstate = thread_state(s, task, pid_tgid, proc->runtime_addr, now, true, bounded,
				      &pending, &cached);
		top = tstate ? top_frame(s) : 0;
	}
	s->sample.hdr.tstate = tstate;
	stage = stage_done(PYPERF_STAT_NS_THREAD, now);
	if (tstate) {
		async_candidates(s, &proc->async, tstate);
		walk_stack(s, top, bounded);
		async_task(s);
		await_frames(s);
		if (want_gil)
			check_gil(s, proc->runtime_addr, tstate);
	} else {
		s->sample.hdr.flags |= pending ? PYPERF_SAMPLE_TSTATE_PENDING : PYPERF_SAMPLE_NO_TSTATE;
	}
	count_flags(s->sample.hdr.flags);
	stage = stage_done(PYPERF_STAT_NS_WALK, stage);

	if (kind == PYPERF_KIND_OFF_CPU) {
		struct pt_regs *regs = task_user_regs(task);
		__u64 uaddr;

		count(PYPERF_STAT_OFF_CPU);
		if (regs) {
			s->sample.hdr.syscall = (__s32)BPF_CORE_READ(regs, orig_ax);
			uaddr = BPF_CORE_READ(regs, di);
			/* Blocked on the GIL's condition variable or mutex. */
			if (s->sample.hdr.syscall == NR_FUTEX && s->gil &&
			    uaddr >= s->gil && uaddr < s->gil + s->off.gil_span)
				s->sample.hdr.flags |= PYPERF_SAMPLE_GIL_WAIT;
		}
	}
	s->sample.hdr.reads = s->reads;
	submit(s, pid, brake, add_native(ctx, s, task));
	add_count(PYPERF_STAT_READS, s->reads);
	note_max(PYPERF_STAT_MAX_READS, s->reads);
	stage_done(PYPERF_STAT_NS_SUBMIT, stage);
}

/*
 * The brake (see PYPERF_BRAKE_SHARE): whether to take this CPU sample of
 * TGID, whose tick stands for PERIODS, and how many periods the sample
 * taken stands for: its own and those of the samples skipped since.  0:
 * skip it.  Not the skipped samples' count times the taken one's periods:
 * the late ticks of perf's throttle come in a pattern (one long, one
 * short, per jiffy) that the brake's 1 in 2^level would alias with.
 */
/*
 * A process's first brake, all zero: a global, not on the sample's stack
 * (Linux 5.10 allows 512 bytes for a program's deepest chain of calls,
 * which --mode memory's program went 32 over with it there).  Static: no
 * field of the skeleton.
 */
static const volatile struct pyperf_brake brake_zero = {};

static __always_inline __u32 brake_take(__u32 tgid, __u32 periods, struct pyperf_brake **out)
{
	struct pyperf_brake *b = bpf_map_lookup_elem(&brakes, &tgid);
	__u64 mask, counter;
	__u32 level;
	__s64 owed;

	if (!b) {
		bpf_map_update_elem(&brakes, &tgid, (const void *)&brake_zero, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&brakes, &tgid);
		if (!b)
			return periods;	/* no brake to hold them: all of them, now */
		b->window_start_ns = bpf_ktime_get_ns();
	}
	*out = b;
	__sync_fetch_and_add(&b->window_samples, 1);
	level = b->level > brake_min_level ? b->level : brake_min_level;
	mask = (1ULL << (level & 7)) - 1;
	/*
	 * Read, then added to, rather than one fetching add (Linux 5.12):
	 * CPUs racing may take the same turn, a rounding the weights absorb.
	 */
	counter = b->counter;
	if (mask)
		__sync_fetch_and_add(&b->counter, 1);
	if (counter & mask) {
		__sync_fetch_and_add(&b->skipped, 1);
		__sync_fetch_and_add(&b->owed_periods, periods);
		count(PYPERF_STAT_BRAKED);
		return 0;
	}
	/*
	 * The same read-then-add: CPUs racing may both take what is owed,
	 * and the debt that leaves (negative) is paid by the next skipped
	 * periods, so over a recording no period is lost or counted twice.
	 */
	owed = b->owed_periods;
	if (owed <= 0)
		return periods;
	__sync_fetch_and_add(&b->owed_periods, -owed);
	return periods + owed;
}

/* The histogram of samples' cost, and the costliest sample on this CPU so far. */
static __always_inline void note_cost(__u64 cost_ns)
{
	__u32 bucket = 0;
	__u64 *v;

	note_max(PYPERF_STAT_MAX_SAMPLE_NS, cost_ns);
	while (bucket + 1 < PYPERF_COST_BUCKETS && (cost_ns >> (bucket + 1)))
		bucket++;
	v = bpf_map_lookup_elem(&cost_histogram, &bucket);
	if (v)
		*v += 1;
}

/* A sample of B's process took COST_NS: at a window's end, brake or release. */
static __always_inline void brake_account(struct pyperf_brake *b, __u64 cost_ns, __u64 now)
{
	__u64 allowed;

	__sync_fetch_and_add(&b->window_cost_ns, cost_ns);
	if (now - b->window_start_ns < PYPERF_BRAKE_WINDOW_NS)
		return;
	/* Its samples, taken or not, may cost 1/SHARE of their periods (memory's: of the time). */
	allowed = memory_period_bytes ? (now - b->window_start_ns) / PYPERF_BRAKE_MEMORY_SHARE :
		  b->window_samples * (period_ns / PYPERF_BRAKE_SHARE);
	if (b->window_cost_ns > allowed && b->level < PYPERF_BRAKE_MAX_LEVEL)
		b->level++;
	else if (b->window_cost_ns * 4 < allowed && b->level)
		b->level--;
	if (b->level > b->max_level || brake_min_level > b->max_level)
		b->max_level = b->level > brake_min_level ? b->level : brake_min_level;
	b->window_start_ns = now;
	b->window_cost_ns = 0;
	b->window_samples = 0;
}

#endif
