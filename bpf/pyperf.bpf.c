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

#define PF_EXITING	0x00000004	/* include/linux/sched.h: getting shut down */

/* -a: report every exec, and sample the forks of every profiled process. */
const volatile bool follow_all = false;
/* --gil, and --mode wall (to tell a wait for the GIL). */
const volatile bool want_gil = false;
/* --kernel: kernel frames; --native: user registers and stack for unwinding. */
const volatile bool want_kernel_stack = false;
const volatile bool want_user_stack = false;

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
	/*
	 * Preallocated, so its size is start-up time: a thread pushed out
	 * only costs one walk of its thread list on its next sample.
	 */
	__uint(max_entries, 16384);
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

/* Code objects already resolved in the current walk. */
#define PYPERF_CODE_MEMO 16
struct code_memo {
	__u64 walk;				/* which walk the entry belongs to */
	__u64 code;
	__u32 fingerprint;
};

/* Per-CPU working state: too big for the 512-byte BPF stack. */
struct scratch {
	struct pyperf_offsets off;
	__u64 fsbase;
	__u64 cursor;				/* thread or frame being visited */
	__u64 found;				/* tstate matching fsbase */
	__u32 walked_threads;			/* thread states seen by the last walk */
	__u32 reads;				/* of target memory, this sample */
	__u32 skipped;
	__u64 gil;				/* the thread's GIL struct, 0: unknown */
	__u64 ring[PYPERF_KEEP_OUTER];		/* outermost frames seen, by address */
	__u64 walk;				/* this CPU's walks so far */
	struct code_memo memo[PYPERF_CODE_MEMO];
	__u64 win_start;			/* target address of window[0] */
	__u64 win_len;				/* bytes valid in window, 0: none */
	__u64 last_frame;			/* address of the frame read before */
	__u8 frame_buf[PYPERF_FRAME_READ];
	/* Slack after the window: a frame copied from its end may overrun it. */
	__u8 window[PYPERF_FRAME_WINDOW + PYPERF_FRAME_READ];
	__u8 code_buf[PYPERF_CODE_READ];
	struct pyperf_sample sample;
};

/*
 * One per CPU, indexed by CPU number: a per-CPU array cannot hold values
 * over 32 KiB.  The programs using it never nest on a CPU (the perf event
 * does not fire inside the scheduler, which runs with interrupts off).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* set to the number of CPUs */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline struct scratch *get_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch_map, &cpu);
}

static __always_inline void add_count(enum pyperf_stat which, __u64 n)
{
	__u32 key = which;
	__u64 *v = bpf_map_lookup_elem(&stats, &key);

	if (v)
		*v += n;
}

static __always_inline void count(enum pyperf_stat which)
{
	add_count(which, 1);
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

/*
 * Every read of the target's memory goes through here, and is counted (in
 * the scratch: a stats-map update per read would double the verifier's
 * work; sample_current() adds the count up once).
 */
static __always_inline int read_user(struct scratch *s, void *dst, __u32 size, __u64 addr)
{
	s->reads++;
	return bpf_probe_read_user(dst, size, (const void *)addr);
}

/* Read the first SIZE bytes (at most MAX, the buffer's size) of a struct. */
static __always_inline int read_prefix(struct scratch *s, __u8 *dst, __u32 size, __u32 max,
				       __u64 addr)
{
	if (size > max)
		size = max;
	return read_user(s, dst, size, addr);
}

static __always_inline int read_ptr(struct scratch *s, __u64 *dst, __u64 addr)
{
	return read_user(s, dst, sizeof(*dst), addr);
}

/* bpf_loop body: one thread of an interpreter's thread list. */
static long visit_thread(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	__u64 thread_id, next;

	if (!s || !s->cursor)
		return 1;
	s->walked_threads++;
	if (read_ptr(s, &thread_id, s->cursor + s->off.tstate_thread_id))
		return 1;
	if (thread_id == s->fsbase) {
		s->found = s->cursor;
		return 1;
	}
	if (read_ptr(s, &next, s->cursor + s->off.tstate_next))
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
	if (read_ptr(s, &interp, runtime + s->off.runtime_interp_head))
		return 0;
	for (i = 0; i < PYPERF_MAX_INTERPS && interp; i++) {
		if (read_ptr(s, &s->cursor, interp + s->off.interp_threads_head))
			return 0;
		bpf_loop(PYPERF_MAX_THREADS, visit_thread, NULL, 0);
		if (s->found)
			return s->found;
		if (read_ptr(s, &interp, interp + s->off.interp_next))
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
		    !read_ptr(s, &thread_id, e->tstate + s->off.tstate_thread_id) &&
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

	if (read_ptr(s, &frame, tstate + s->off.tstate_frame))
		return 0;
	/* 3.11/3.12 keep the frame pointer in a separate CFrame struct. */
	if (frame && s->off.cframe_current_frame != PYPERF_OFF_NONE &&
	    read_ptr(s, &frame, frame + s->off.cframe_current_frame))
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
			if (!array || read_ptr(s, &base, array + 8 + 8 * (__u64)(tlbc & 0xffff)))
				return PYPERF_INSTR_UNKNOWN;
		}
	}
	return (__s32)(ip - base);
}

/*
 * The frame in frame_buf with code object CODE, into OUT: code address,
 * instruction offset and fingerprint (two more reads: the code object's
 * header and its name's cached hash).
 */
static __always_inline void resolve_frame(struct scratch *s, struct pyperf_frame *out,
					  __u64 code, __u64 entry)
{
	struct pyperf_offsets *off = &s->off;
	__u64 name, file, table, name_hash = 0;
	__u32 firstlineno;

	/* Multiplicative hash: code objects' addresses share their low bits. */
	struct code_memo *memo = &s->memo[((code >> 4) * 0x9E3779B97F4A7C15ULL) >> 60];

	out->code = code | entry;
	out->instr_offset = PYPERF_INSTR_UNKNOWN;
	out->fingerprint = 0;
	/*
	 * A frame holds a reference to its code object, so within one walk an
	 * address seen before is the same code object: its fingerprint holds
	 * (recursion costs one read per frame).  Not with thread-local
	 * bytecode, whose offset needs the code object's header.
	 */
	if (memo->walk == s->walk && memo->code == code && off->frame_tlbc_index == PYPERF_OFF_NONE) {
		out->instr_offset = instr_offset(s, code);
		out->fingerprint = memo->fingerprint;
		return;
	}
	if (read_prefix(s, s->code_buf, off->code_read_size, PYPERF_CODE_READ, code)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return;
	}
	out->instr_offset = instr_offset(s, code);
	name = load_u64(s->code_buf, off->code_name, PYPERF_CODE_READ);
	file = load_u64(s->code_buf, off->code_filename, PYPERF_CODE_READ);
	table = load_u64(s->code_buf, off->code_linetable, PYPERF_CODE_READ);
	firstlineno = load_u32(s->code_buf, off->code_firstlineno, PYPERF_CODE_READ);
	if (!name || read_ptr(s, &name_hash, name + off->str_hash)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return;
	}
	out->fingerprint = pyperf_fingerprint(name, file, table, firstlineno, name_hash);
	memo->walk = s->walk;
	memo->code = code;
	memo->fingerprint = out->fingerprint;
}

/*
 * frame_buf = the window's bytes from OFF on, a word at a time (memcpy would
 * copy bytes: the offset's alignment is unknown).
 */
static __always_inline void copy_frame(struct scratch *s, __u64 off)
{
	__u64 *dst = (__u64 *)s->frame_buf;
	const __u64 *src = (const __u64 *)(s->window + (off & (PYPERF_FRAME_WINDOW - 1)));

#pragma unroll
	for (int i = 0; i < PYPERF_FRAME_READ / 8; i++)
		dst[i] = src[i];
}

/*
 * Copy the SIZE bytes at ADDR into frame_buf, from the window when it holds
 * them, else with a read of the window below ADDR, within ADDR's page, when
 * the last frame was just above (callers below callees: 3.11+'s data stack,
 * and mostly the allocator's pools before), or for the first frame; ADDR
 * alone when frames are far apart.  The window never reaches into a page
 * other than ADDR's own and those the frame itself spans.
 */
static __always_inline int fetch_frame(struct scratch *s, __u64 addr, __u32 size)
{
	__u64 start, len, page = addr & ~(__u64)4095, last = s->last_frame;

	if (size > PYPERF_FRAME_READ)
		size = PYPERF_FRAME_READ;
	s->last_frame = addr;
	if (addr >= s->win_start && addr + size <= s->win_start + s->win_len) {
		copy_frame(s, addr - s->win_start);
		return 0;
	}
	s->win_len = 0;
	if (last && (last <= addr || last - addr > PYPERF_FRAME_WINDOW))
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	start = addr + size > page + PYPERF_FRAME_WINDOW ? addr + size - PYPERF_FRAME_WINDOW : page;
	len = addr + size - start;
	if (len > PYPERF_FRAME_WINDOW)
		len = PYPERF_FRAME_WINDOW;
	if (read_user(s, s->window, len, start))
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	s->win_start = start;
	s->win_len = len;
	copy_frame(s, addr - start);
	return 0;
}

/* Read the frame at ADDR into frame_buf; its code object, 0 for a shim frame. */
static __always_inline int read_frame(struct scratch *s, __u64 addr, __u64 *code)
{
	struct pyperf_offsets *off = &s->off;

	if (fetch_frame(s, addr, off->frame_read_size))
		return -1;
	*code = 0;
	if (off->frame_owner != PYPERF_OFF_NONE && off->frame_owner < PYPERF_FRAME_READ &&
	    s->frame_buf[off->frame_owner & (PYPERF_FRAME_READ - 1)] >= off->owner_skip_from)
		return 0;	/* an interpreter entry/shim frame, not Python code */
	*code = load_u64(s->frame_buf, off->frame_code, PYPERF_FRAME_READ) &
		~(__u64)off->code_tag_mask;
	return 0;
}

/* The Python frame kept just before (inside) a shim starts a C-level eval call. */
static __always_inline void mark_entry(struct scratch *s)
{
	__u32 n = s->sample.hdr.depth;

	if (!n)
		return;
	n--;
	if (n < PYPERF_KEEP_INNER)
		s->sample.frames[n & (PYPERF_MAX_FRAMES - 1)].code |= PYPERF_FRAME_ENTRY;
	else
		s->ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)] |= PYPERF_FRAME_ENTRY;
}

/*
 * bpf_loop body: one frame of the chain, innermost first.  The innermost
 * PYPERF_KEEP_INNER Python frames are resolved on the way; past them only
 * the frame addresses of the last PYPERF_KEEP_OUTER are kept (one read per
 * frame), and resolve_outer() finishes those once the walk has ended.
 */
static long visit_frame(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	__u64 frame, code, entry = 0;
	__u32 n;

	if (!s || !s->cursor)
		return 1;
	frame = s->cursor;
	if (read_frame(s, frame, &code)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return 1;
	}
	s->cursor = load_u64(s->frame_buf, s->off.frame_previous, PYPERF_FRAME_READ);
	if (!code) {
		mark_entry(s);
		return ++s->skipped > PYPERF_MAX_SKIPPED;
	}
	if (s->off.frame_is_entry != PYPERF_OFF_NONE &&
	    s->frame_buf[s->off.frame_is_entry & (PYPERF_FRAME_READ - 1)])
		entry = PYPERF_FRAME_ENTRY;

	n = s->sample.hdr.depth;
	if (n < PYPERF_KEEP_INNER)
		resolve_frame(s, &s->sample.frames[n & (PYPERF_MAX_FRAMES - 1)], code, entry);
	else
		s->ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)] = frame | entry;
	s->sample.hdr.depth = n + 1;
	return n + 1 >= PYPERF_MAX_WALK;
}

/* bpf_loop body: the K-th of the outermost frames kept in the ring. */
static long resolve_outer(__u32 k, void *ctx)
{
	struct scratch *s = get_scratch();
	__u32 depth, kept, n;
	__u64 frame, code;

	if (!s)
		return 1;
	depth = s->sample.hdr.depth;
	kept = s->sample.hdr.nframes - PYPERF_KEEP_INNER;
	n = depth - kept + k;
	frame = s->ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)];
	if (read_frame(s, frame & ~PYPERF_FRAME_ENTRY, &code) || !code) {
		/* Changed under us since the walk: keep the slot, unresolvable. */
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		code = 0;
	}
	resolve_frame(s, &s->sample.frames[(PYPERF_KEEP_INNER + k) & (PYPERF_MAX_FRAMES - 1)],
		      code, frame & PYPERF_FRAME_ENTRY);
	return 0;
}

static __always_inline void walk_stack(struct scratch *s, __u64 tstate)
{
	__u32 depth;

	s->walk++;
	s->win_len = 0;
	s->last_frame = 0;
	s->cursor = top_frame(s, tstate);
	bpf_loop(PYPERF_MAX_WALK + PYPERF_MAX_SKIPPED, visit_frame, NULL, 0);
	/*
	 * Stopped with frames left (walk or skip budget spent) without a
	 * failed read: the outermost frames are out of reach.  Never cut
	 * silently.
	 */
	if (s->cursor && !(s->sample.hdr.flags & PYPERF_SAMPLE_READ_ERROR))
		s->sample.hdr.flags |= PYPERF_SAMPLE_TRUNCATED;
	depth = s->sample.hdr.depth;
	if (depth <= PYPERF_KEEP_INNER) {
		s->sample.hdr.nframes = depth;
		return;
	}
	depth -= PYPERF_KEEP_INNER;
	if (depth > PYPERF_KEEP_OUTER)
		depth = PYPERF_KEEP_OUTER;
	s->sample.hdr.nframes = PYPERF_KEEP_INNER + depth;
	bpf_loop(depth, resolve_outer, NULL, 0);
}

/* Whether TSTATE holds its interpreter's GIL; also notes where the GIL is. */
static __always_inline void check_gil(struct scratch *s, __u64 runtime, __u64 tstate)
{
	struct pyperf_offsets *off = &s->off;
	__u64 gil, interp, holder;
	__u32 locked;

	s->gil = 0;
	if (off->gil_holder == PYPERF_OFF_NONE || off->gil_locked == PYPERF_OFF_NONE)
		return;		/* free-threaded: no GIL */
	if (off->runtime_ceval_gil != PYPERF_OFF_NONE) {
		gil = runtime + off->runtime_ceval_gil;
	} else {
		if (off->interp_gil == PYPERF_OFF_NONE ||
		    read_ptr(s, &interp, tstate + off->tstate_interp) ||
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
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
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
	for (i = 0; i < PYPERF_USER_STACK_BYTES / 4096 + 1; i++) {
		chunk = 4096 - ((sp + len) & 4095);
		if (len + chunk > PYPERF_USER_STACK_BYTES)
			chunk = PYPERF_USER_STACK_BYTES - len;
		barrier_var(size);
		if (!chunk || chunk > 4096 || size > sizeof(s->sample) - 4096)
			break;
		if (read_user(s, base + size, chunk, sp + len))
			break;
		len += chunk;
		size += chunk;
	}
	s->sample.hdr.stack_len = len;
	return size;
}

static __always_inline void submit(struct scratch *s, __u32 pid, __u32 size)
{
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
}

/*
 * Sample the current thread of a profiled process: its Python stack (and
 * with --native/--kernel its native stacks), into the ring buffer.  The
 * scratch's header fields other than the stack are the caller's.
 */
static __always_inline void sample_current(void *ctx, struct pyperf_proc *proc, __u64 pid_tgid,
					   __u8 kind, __u8 task_state)
{
	__u32 pid = pid_tgid >> 32;
	struct task_struct *task;
	struct scratch *s;
	__u64 tstate, now;

	s = get_scratch();
	if (!s)
		return;
	now = bpf_ktime_get_ns();
	task = bpf_get_current_task_btf();
	s->off = proc->off;
	s->fsbase = BPF_CORE_READ(task, thread.fsbase);
	s->skipped = 0;
	s->reads = 0;
	s->gil = 0;
	__builtin_memset(&s->sample.hdr, 0, sizeof(s->sample.hdr));
	s->sample.hdr.pid = pid;
	s->sample.hdr.tid = (__u32)pid_tgid;
	s->sample.hdr.timestamp_ns = now;
	s->sample.hdr.cpu = bpf_get_smp_processor_id();
	s->sample.hdr.kind = kind;
	s->sample.hdr.task_state = task_state;
	s->sample.hdr.syscall = -1;

	tstate = cached_tstate(s, pid_tgid, proc->runtime_addr, now);
	s->sample.hdr.tstate = tstate;
	if (!tstate) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_NO_TSTATE;
		count(PYPERF_STAT_NO_TSTATE);
	} else {
		walk_stack(s, tstate);
		if (want_gil)
			check_gil(s, proc->runtime_addr, tstate);
	}
	if (s->sample.hdr.flags & PYPERF_SAMPLE_READ_ERROR)
		count(PYPERF_STAT_READ_ERRORS);
	if (s->sample.hdr.flags & PYPERF_SAMPLE_TRUNCATED)
		count(PYPERF_STAT_TRUNCATED);

	if (kind == PYPERF_KIND_OFF_CPU) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		__u64 uaddr;

		count(PYPERF_STAT_OFF_CPU);
		if (regs) {
			s->sample.hdr.syscall = (__s32)BPF_CORE_READ(regs, orig_ax);
			uaddr = BPF_CORE_READ(regs, di);
			/* Blocked on the GIL's condition variable or mutex. */
			if (s->sample.hdr.syscall == 202 /* futex */ && s->gil &&
			    uaddr >= s->gil && uaddr < s->gil + PYPERF_GIL_SPAN)
				s->sample.hdr.flags |= PYPERF_SAMPLE_GIL_WAIT;
		}
	}
	submit(s, pid, add_native(ctx, s, task));
	add_count(PYPERF_STAT_READS, s->reads);
}

SEC("perf_event")
int pyperf_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	struct pyperf_proc *proc;

	/* The one cost every other process on the machine pays. */
	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc)
		return 0;
	count(PYPERF_STAT_SAMPLES);
	sample_current(ctx, proc, pid_tgid, PYPERF_KIND_CPU, 0);
	return 0;
}

/*
 * --mode wall: a thread of a profiled process leaving the CPU is sampled
 * (its stack is where it waits); one coming back is reported, so userspace
 * can weigh the wait by its length.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(pyperf_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 prev_pid = prev->tgid, next_pid = next->tgid;
	struct pyperf_sample_header *h;
	struct pyperf_proc *proc;

	if (next->pid && bpf_map_lookup_elem(&procs, &next_pid)) {
		h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
		if (h) {
			__builtin_memset(h, 0, sizeof(*h));
			h->pid = next_pid;
			h->tid = next->pid;
			h->timestamp_ns = bpf_ktime_get_ns();
			h->cpu = bpf_get_smp_processor_id();
			h->kind = PYPERF_KIND_ON_CPU;
			h->syscall = -1;
			bpf_ringbuf_submit(h, BPF_RB_NO_WAKEUP);
		} else {
			count(PYPERF_STAT_LOST);
		}
	}
	/* A thread on its way out never comes back: no wait to time. */
	if (!prev->pid || (prev->flags & PF_EXITING))
		return 0;
	proc = bpf_map_lookup_elem(&procs, &prev_pid);
	if (!proc)
		return 0;
	/* 0: preempted, still runnable; else the TASK_* sleep bits. */
	sample_current(ctx, proc, ((__u64)prev_pid << 32) | (__u32)prev->pid, PYPERF_KIND_OFF_CPU,
		       preempt || !prev_state ? 0 : (prev_state & 0xff) ?: 1);
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
