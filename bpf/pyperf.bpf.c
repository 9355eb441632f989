// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pybpf sampler: runs on a CPU-clock perf event on every CPU.  When the
 * interrupted task belongs to a profiled Python process it finds the thread's
 * PyThreadState, walks the frame chain and pushes one compact sample (code
 * object address, instruction offset and fingerprint per frame) into a ring
 * buffer.  All CPython layout knowledge arrives through the "procs" map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "pyperf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* -a: report every exec, and sample the forks of every profiled process. */
const volatile bool follow_all = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);			/* host tgid */
	__type(value, struct pyperf_proc);
} procs SEC(".maps");

/* Launch mode: processes whose exec/exit (and forks) userspace follows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);			/* enum pyperf_watch */
} watched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} proc_events SEC(".maps");

/* Samples lost to a full ring buffer, per process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);		/* resized with "procs" */
	__type(key, __u32);
	__type(value, __u64);
} lost_by_pid SEC(".maps");

struct tstate_entry {
	__u64 tstate;				/* 0: thread has no PyThreadState */
	__u64 checked_ns;			/* when a negative answer was found */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);			/* pid_tgid */
	__type(value, struct tstate_entry);
} tstates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);		/* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PYPERF_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Per-CPU working state: too big for the 512-byte BPF stack. */
struct scratch {
	struct pyperf_offsets off;
	__u64 fsbase;
	__u64 cursor;				/* thread or frame being visited */
	__u64 found;				/* tstate matching fsbase */
	__u32 walked_threads;			/* thread states seen by the last walk */
	__u32 skipped;
	__u8 frame_buf[PYPERF_FRAME_READ];
	__u8 code_buf[PYPERF_CODE_READ];
	struct pyperf_sample sample;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch_map, &zero);
}

static __always_inline void count(enum pyperf_stat which)
{
	__u32 key = which;
	__u64 *v = bpf_map_lookup_elem(&stats, &key);

	if (v)
		*v += 1;
}

/* Little-endian field loads from a read buffer at a data-driven offset. */
static __always_inline __u64 load_u64(const __u8 *buf, __u32 off, __u32 size)
{
	if (off > size - 8)
		return 0;
	return *(const __u64 *)(buf + off);
}

static __always_inline __u32 load_u32(const __u8 *buf, __u32 off, __u32 size)
{
	if (off > size - 4)
		return 0;
	return *(const __u32 *)(buf + off);
}

/* Read the first SIZE bytes (at most MAX, the buffer's size) of a struct. */
static __always_inline int read_prefix(__u8 *dst, __u32 size, __u32 max, __u64 addr)
{
	if (size > max)
		size = max;
	return bpf_probe_read_user(dst, size, (const void *)addr);
}

static __always_inline int read_ptr(__u64 *dst, __u64 addr)
{
	return bpf_probe_read_user(dst, sizeof(*dst), (const void *)addr);
}

/* bpf_loop body: one thread of an interpreter's thread list. */
static long visit_thread(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	__u64 thread_id, next;

	if (!s || !s->cursor)
		return 1;
	s->walked_threads++;
	if (read_ptr(&thread_id, s->cursor + s->off.tstate_thread_id))
		return 1;
	if (thread_id == s->fsbase) {
		s->found = s->cursor;
		return 1;
	}
	if (read_ptr(&next, s->cursor + s->off.tstate_next))
		next = 0;
	s->cursor = next;
	return 0;
}

/*
 * The PyThreadState whose thread_id (pthread_self(), which is the FS base on
 * x86_64 glibc) is the current thread's.  Works for threads that do not hold
 * the GIL and in any pid namespace.
 */
static __always_inline __u64 find_tstate(struct scratch *s, __u64 runtime)
{
	__u64 interp;
	int i;

	s->found = 0;
	s->walked_threads = 0;
	if (read_ptr(&interp, runtime + s->off.runtime_interp_head))
		return 0;
	for (i = 0; i < PYPERF_MAX_INTERPS && interp; i++) {
		if (read_ptr(&s->cursor, interp + s->off.interp_threads_head))
			return 0;
		bpf_loop(PYPERF_MAX_THREADS, visit_thread, NULL, 0);
		if (s->found)
			return s->found;
		if (read_ptr(&interp, interp + s->off.interp_next))
			return 0;
	}
	return 0;
}

static __always_inline __u64 cached_tstate(struct scratch *s, __u64 pid_tgid,
					    __u64 runtime, __u64 now)
{
	struct tstate_entry *e = bpf_map_lookup_elem(&tstates, &pid_tgid);
	struct tstate_entry fresh = {};
	__u64 thread_id;

	if (e) {
		if (!e->tstate && now - e->checked_ns < PYPERF_NEGATIVE_TTL_NS)
			return 0;
		/* A thread state can be freed and its memory reused: re-check. */
		if (e->tstate &&
		    !read_ptr(&thread_id, e->tstate + s->off.tstate_thread_id) &&
		    thread_id == s->fsbase)
			return e->tstate;
	}
	fresh.tstate = find_tstate(s, runtime);
	fresh.checked_ns = now;
	/* Before the runtime has threads (still starting up) nothing is cached. */
	if (fresh.tstate || s->walked_threads)
		bpf_map_update_elem(&tstates, &pid_tgid, &fresh, BPF_ANY);
	return fresh.tstate;
}

/* Address of the innermost frame of a thread state, 0 if none. */
static __always_inline __u64 top_frame(struct scratch *s, __u64 tstate)
{
	__u64 frame;

	if (read_ptr(&frame, tstate + s->off.tstate_frame))
		return 0;
	/* 3.11/3.12 keep the frame pointer in a separate CFrame struct. */
	if (frame && s->off.cframe_current_frame != PYPERF_OFF_NONE &&
	    read_ptr(&frame, frame + s->off.cframe_current_frame))
		return 0;
	return frame;
}

/*
 * Byte offset of the frame's instruction in its bytecode.  The frame is in
 * frame_buf and its code object's header in code_buf.
 */
static __always_inline __s32 instr_offset(struct scratch *s, __u64 code)
{
	struct pyperf_offsets *off = &s->off;
	__u64 ip, base = code + off->code_adaptive;
	__s32 lasti, tlbc;

	if (off->instr_kind != PYPERF_INSTR_PTR) {
		lasti = (__s32)load_u32(s->frame_buf, off->frame_instr, PYPERF_FRAME_READ);
		return lasti < 0 ? -1 : lasti * off->lasti_unit;
	}
	ip = load_u64(s->frame_buf, off->frame_instr, PYPERF_FRAME_READ);
	if (!ip)
		return PYPERF_INSTR_UNKNOWN;
	/* Free-threaded 3.14+: the thread may run its own copy of the bytecode. */
	if (off->frame_tlbc_index != PYPERF_OFF_NONE && off->code_tlbc != PYPERF_OFF_NONE) {
		tlbc = (__s32)load_u32(s->frame_buf, off->frame_tlbc_index, PYPERF_FRAME_READ);
		if (tlbc > 0) {
			__u64 array = load_u64(s->code_buf, off->code_tlbc, PYPERF_CODE_READ);

			/* _PyCodeArray: { Py_ssize_t size; char *entries[]; } */
			if (!array || read_ptr(&base, array + 8 + 8 * (__u64)(tlbc & 0xffff)))
				return PYPERF_INSTR_UNKNOWN;
		}
	}
	return (__s32)(ip - base);
}

/* bpf_loop body: one frame of the chain, innermost first. */
static long visit_frame(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	struct pyperf_offsets *off;
	struct pyperf_frame *out;
	__u64 frame, code, name, file, table, name_hash = 0, prev;
	__u32 n, firstlineno;

	if (!s || !s->cursor)
		return 1;
	off = &s->off;
	frame = s->cursor;
	n = s->sample.hdr.nframes;
	if (n >= PYPERF_MAX_FRAMES) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_TRUNCATED;
		return 1;
	}

	if (read_prefix(s->frame_buf, off->frame_read_size, PYPERF_FRAME_READ, frame)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return 1;
	}
	prev = load_u64(s->frame_buf, off->frame_previous, PYPERF_FRAME_READ);
	s->cursor = prev;

	if (off->frame_owner != PYPERF_OFF_NONE && off->frame_owner < PYPERF_FRAME_READ &&
	    s->frame_buf[off->frame_owner & (PYPERF_FRAME_READ - 1)] >= off->owner_skip_from)
		goto skip;	/* an interpreter entry/shim frame, not Python code */

	code = load_u64(s->frame_buf, off->frame_code, PYPERF_FRAME_READ) &
	       ~(__u64)off->code_tag_mask;
	if (!code)
		goto skip;

	out = &s->sample.frames[n & (PYPERF_MAX_FRAMES - 1)];
	out->code = code;
	out->instr_offset = PYPERF_INSTR_UNKNOWN;
	out->fingerprint = 0;
	s->sample.hdr.nframes = n + 1;

	if (read_prefix(s->code_buf, off->code_read_size, PYPERF_CODE_READ, code)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return 0;
	}
	out->instr_offset = instr_offset(s, code);

	name = load_u64(s->code_buf, off->code_name, PYPERF_CODE_READ);
	file = load_u64(s->code_buf, off->code_filename, PYPERF_CODE_READ);
	table = load_u64(s->code_buf, off->code_linetable, PYPERF_CODE_READ);
	firstlineno = load_u32(s->code_buf, off->code_firstlineno, PYPERF_CODE_READ);
	if (!name || read_ptr(&name_hash, name + off->str_hash)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return 0;
	}
	out->fingerprint = pyperf_fingerprint(name, file, table, firstlineno, name_hash);
	return 0;

skip:
	if (++s->skipped > PYPERF_MAX_SKIPPED)
		return 1;
	return 0;
}

SEC("perf_event")
int pyperf_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	struct task_struct *task;
	struct pyperf_proc *proc;
	struct scratch *s;
	__u64 tstate, now, size;

	/* The one cost every other process on the machine pays. */
	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc)
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	count(PYPERF_STAT_SAMPLES);

	now = bpf_ktime_get_ns();
	task = bpf_get_current_task_btf();
	s->off = proc->off;
	s->fsbase = BPF_CORE_READ(task, thread.fsbase);
	s->skipped = 0;
	s->sample.hdr.pid = pid;
	s->sample.hdr.tid = (__u32)pid_tgid;
	s->sample.hdr.timestamp_ns = now;
	s->sample.hdr.cpu = bpf_get_smp_processor_id();
	s->sample.hdr.nframes = 0;
	s->sample.hdr.flags = 0;

	tstate = cached_tstate(s, pid_tgid, proc->runtime_addr, now);
	s->sample.hdr.tstate = tstate;
	if (!tstate) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_NO_TSTATE;
		count(PYPERF_STAT_NO_TSTATE);
	} else {
		s->cursor = top_frame(s, tstate);
		bpf_loop(PYPERF_MAX_FRAMES + PYPERF_MAX_SKIPPED, visit_frame, NULL, 0);
		/*
		 * Stopped with frames left (frame or skip budget spent) without a
		 * failed read: the stack is deeper than we keep.  Never cut silently.
		 */
		if (s->cursor && !(s->sample.hdr.flags & PYPERF_SAMPLE_READ_ERROR))
			s->sample.hdr.flags |= PYPERF_SAMPLE_TRUNCATED;
	}
	if (s->sample.hdr.flags & PYPERF_SAMPLE_READ_ERROR)
		count(PYPERF_STAT_READ_ERRORS);
	if (s->sample.hdr.flags & PYPERF_SAMPLE_TRUNCATED)
		count(PYPERF_STAT_TRUNCATED);

	size = sizeof(s->sample.hdr) +
	       (__u64)(s->sample.hdr.nframes & (PYPERF_MAX_FRAMES * 2 - 1)) * sizeof(struct pyperf_frame);
	if (size > sizeof(s->sample))
		size = sizeof(s->sample);
	/*
	 * Waking userspace for every sample costs it a system call each; it
	 * drains on a short timer instead, and is woken only when a backlog
	 * builds up.
	 */
	if (bpf_ringbuf_output(&events, &s->sample, size,
			       bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= PYPERF_WAKEUP_BYTES ?
			       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP)) {
		__u64 one = 1, *lost = bpf_map_lookup_elem(&lost_by_pid, &pid);

		count(PYPERF_STAT_LOST);
		if (lost)
			__sync_fetch_and_add(lost, 1);
		else
			bpf_map_update_elem(&lost_by_pid, &pid, &one, BPF_NOEXIST);
	} else {
		count(PYPERF_STAT_SUBMITTED);
	}
	return 0;
}

static __always_inline void emit(__u32 type, __u32 pid, __u32 ppid)
{
	struct pyperf_proc_event *e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);

	if (!e)
		return;
	e->type = type;
	e->pid = pid;
	e->ppid = ppid;
	e->pad = 0;
	e->timestamp_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pyperf_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, pid = child->pid;
	struct pyperf_proc *proc;
	__u8 *watch;
	bool descendants;

	if (child->tgid != pid)
		return 0;	/* a new thread, not a new process */
	watch = bpf_map_lookup_elem(&watched, &ppid);
	descendants = watch && *watch == PYPERF_WATCH_DESCENDANTS;
	if (descendants)
		bpf_map_update_elem(&watched, &pid, watch, BPF_ANY);
	proc = bpf_map_lookup_elem(&procs, &ppid);
	if (!proc || !(follow_all || descendants))
		return 0;
	/*
	 * The child runs a copy of the parent's interpreter (multiprocessing's
	 * fork): same layout and addresses, so sample it from its first
	 * instruction, before userspace hears of it.
	 */
	if (bpf_map_update_elem(&procs, &pid, proc, BPF_NOEXIST))
		emit(PYPERF_PROC_FORK_DROPPED, pid, ppid);
	else
		emit(PYPERF_PROC_FORK, pid, ppid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pyperf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = p->tgid;
	/* The old image's layout no longer applies. */
	bool profiled = bpf_map_delete_elem(&procs, &pid) == 0;

	if (profiled || follow_all || bpf_map_lookup_elem(&watched, &pid))
		emit(PYPERF_PROC_EXEC, pid, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pyperf_exit, struct task_struct *p)
{
	__u32 pid = p->tgid;
	bool profiled, watched_pid;

	if (p->pid != p->tgid)
		return 0;	/* a thread; the process lives on */
	profiled = bpf_map_delete_elem(&procs, &pid) == 0;
	watched_pid = bpf_map_delete_elem(&watched, &pid) == 0;
	if (profiled || watched_pid)
		emit(PYPERF_PROC_EXIT, pid, 0);
	return 0;
}
