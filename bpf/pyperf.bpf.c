// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pybpf sampler: runs on a CPU-clock perf event on every CPU.  When the
 * interrupted task belongs to a profiled Python process it finds the thread's
 * PyThreadState, walks the frame chain and pushes one compact sample (code
 * object address, instruction offset and fingerprint per frame) into a ring
 * buffer.  A code object met for the first time in a process is reported
 * with its names and line table just before the sample, so userspace can
 * name it even if it is freed a moment later.  All CPython layout knowledge
 * arrives through the "procs" map.
 *
 * x86_64 only: the FS base is pthread_self(), registers come from struct
 * pt_regs's ip/sp/bp/orig_ax/di, and futex is system call 202.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "pyperf.h"
#include "stack_check.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_EXITING	0x00000004	/* include/linux/sched.h: getting shut down */
#define NR_FUTEX	202		/* x86_64 */

_Static_assert((PYPERF_MAX_FRAMES & (PYPERF_MAX_FRAMES - 1)) == 0, "frame index masks");
_Static_assert((PYPERF_KEEP_OUTER & (PYPERF_KEEP_OUTER - 1)) == 0, "ring index masks");
_Static_assert((PYPERF_FRAME_READ & (PYPERF_FRAME_READ - 1)) == 0, "frame byte masks");
_Static_assert((PYPERF_FRAME_WINDOW & (PYPERF_FRAME_WINDOW - 1)) == 0, "window offset masks");
_Static_assert((PYPERF_CODE_SEEN_SLOTS & (PYPERF_CODE_SEEN_SLOTS - 1)) == 0, "code cache index mask");
_Static_assert((PYPERF_NAME_BYTES & (PYPERF_NAME_BYTES - 1)) == 0 &&
	       (PYPERF_FILE_BYTES & (PYPERF_FILE_BYTES - 1)) == 0 &&
	       (PYPERF_TABLE_BYTES & (PYPERF_TABLE_BYTES - 1)) == 0, "copy length masks");
_Static_assert(PYPERF_FRAME_WINDOW <= PYPERF_PAGE_SIZE, "the window stays within a page");

/* -a: report every exec, and sample the forks of every profiled process. */
const volatile bool follow_all = false;
/* --gil, and --mode wall (to tell a wait for the GIL). */
const volatile bool want_gil = false;
/* The perf event's sampling period, for the brake. */
const volatile __u64 period_ns = 10000000;
/* The "events" ring buffer's size, for its fair share. */
const volatile __u64 ring_bytes = 16 << 20;
/* Processes being profiled now (userspace keeps it up to date). */
volatile __u32 profiled_processes = 1;
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

/* The brake's state, per process (struct pyperf_brake). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);		/* resized with "procs" */
	__type(key, __u32);
	__type(value, struct pyperf_brake);
} brakes SEC(".maps");

/* Samples lost to a full ring buffer, per process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);		/* resized with "procs" */
	__type(key, __u32);
	__type(value, __u64);
} lost_by_pid SEC(".maps");

enum thread_state { THREAD_SEARCHING, THREAD_FOUND, THREAD_ABSENT };

/*
 * A thread's PyThreadState, or where the search for it stands: the search
 * visits PYPERF_SCAN_STEP thread states per sample and goes on from there
 * on the thread's next sample, interpreter after interpreter, so no thread
 * is out of reach however long the lists are.
 */
struct thread_entry {
	__u64 tstate;				/* THREAD_FOUND */
	__u64 interp;				/* ... the interpreter whose list held it */
	__u64 checked_ns;			/* when the last search began */
	__u64 scan_interp;			/* searching: the list being visited */
	__u64 scan_cursor;			/* ... its next thread state, 0: next list */
	struct chain_cycle scan_cycle;		/* ... over that list */
	__u32 scan_interps;			/* ... lists entered */
	__u64 first_head;			/* the first interpreter's list head when searched */
	__u32 generation;			/* the process incarnation it belongs to */
	__u32 state;				/* enum thread_state */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/*
	 * Preallocated, so its size is start-up time.  Threads that are
	 * sampled stay (the LRU keeps what is used); one pushed out costs a
	 * new search.
	 */
	__uint(max_entries, 32768);
	__type(key, __u64);			/* pid_tgid */
	__type(value, struct thread_entry);
} threads SEC(".maps");

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PYPERF_COST_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} cost_histogram SEC(".maps");

/*
 * Code objects already reported with their names, direct-mapped by
 * (process, address): a slot taken by another code object only costs a new
 * report.  Slots are written without locks; a slot torn by two CPUs at
 * once can only fail to match, or match a code object whose report went
 * out, so the worst case is a report sent twice or an [unknown] frame.
 */
struct code_seen {
	__u64 code;
	__u32 tgid;
	__u32 generation;
	__u32 fingerprint;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PYPERF_CODE_SEEN_SLOTS);
	__type(key, __u32);
	__type(value, struct code_seen);
} codes_seen SEC(".maps");

/* Code objects already resolved in the current walk. */
#define PYPERF_CODE_MEMO 16
_Static_assert(PYPERF_CODE_MEMO == 16, "memo index is the top 4 bits of a 64-bit hash");
struct code_memo {
	__u64 walk;				/* which walk the entry belongs to */
	__u64 code;
	__u32 fingerprint;
	__u32 framesize;			/* words on the data stack */
};

/* Looking for the current thread's PyThreadState. */
struct thread_search {
	struct thread_entry entry;		/* the thread's, copied in and out */
	__u64 runtime;
	__u64 fsbase;
	__u64 found;
	__u32 ns_tid;				/* native_thread_id to match, 0: unknown */
	__u32 failed;				/* a read failed: give up */
	__u32 unbound;				/* a thread state with no thread yet was seen */
};

/* Walking one thread's frame chain. */
struct frame_walk {
	__u64 cursor;				/* frame being visited */
	__u64 cframe_previous;			/* 3.11/3.12: the calling eval loop's CFrame */
	__u64 walk;				/* this CPU's walks so far */
	__u32 skipped;
	struct stack_check check;
	struct chain_cycle cycle;
	struct code_memo memo[PYPERF_CODE_MEMO];
	__u64 ring[PYPERF_KEEP_OUTER];		/* outermost frames seen, by address */
};

/* The page of target memory around the frames being read. */
struct frame_window {
	__u64 start;				/* target address of bytes[0] */
	__u64 len;				/* bytes valid, 0: none */
	__u64 last_frame;			/* address of the frame read before */
	/* Slack after the window: a frame copied from its end may overrun it. */
	__u8 bytes[PYPERF_FRAME_WINDOW + PYPERF_FRAME_READ];
};

/* Per-CPU working state: too big for the 512-byte BPF stack. */
struct scratch {
	struct pyperf_offsets off;
	__u32 tgid;
	__u32 generation;
	__u32 reads;				/* of target memory, this sample */
	__u32 reports;				/* code objects reported, this sample */
	__u32 report_bytes;			/* ... and their bytes */
	__u64 gil;				/* the thread's GIL struct, 0: unknown */
	struct thread_search search;
	struct frame_walk walk;
	struct frame_window window;
	__u8 tstate_buf[PYPERF_TSTATE_READ];
	__u8 cframe_buf[PYPERF_CFRAME_READ];
	__u8 frame_buf[PYPERF_FRAME_READ];
	__u8 code_buf[PYPERF_CODE_READ];
	struct pyperf_code_record code_report;
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

/* Keep the largest V seen on this CPU in counter WHICH. */
static __always_inline void note_max(enum pyperf_stat which, __u64 v)
{
	__u32 key = which;
	__u64 *max = bpf_map_lookup_elem(&stats, &key);

	if (max && v > *max)
		*max = v;
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
	if (s->reads >= PYPERF_READ_BUDGET) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_BUDGET;
		return -1;
	}
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

/* ---- the thread's PyThreadState ------------------------------------------ */

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
			e->state = THREAD_ABSENT;	/* every list seen: not a Python thread */
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
		q->found = e->scan_cursor;
		return 1;
	}
	/* Linked in before its thread is bound to it: maybe ours, in a moment. */
	if (!load_u64(s->tstate_buf, s->off.tstate_thread_id, PYPERF_TSTATE_READ))
		q->unbound = 1;
	next = load_u64(s->tstate_buf, s->off.tstate_next, PYPERF_TSTATE_READ);
	/* A list that loops has been seen whole: on to the next one. */
	e->scan_cursor = chain_cycle_seen(&e->scan_cycle, next) ? 0 : next;
	return 0;
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

/* Start a new search for the thread from the first interpreter. */
static __always_inline void search_restart(struct thread_entry *e, __u32 generation, __u64 now)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->state = THREAD_SEARCHING;
	e->generation = generation;
	e->checked_ns = now;
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
					  bool *pending, bool *cached_hit)
{
	struct thread_search *q = &s->search;
	struct thread_entry *cached = bpf_map_lookup_elem(&threads, &pid_tgid);
	struct thread_entry *e = &q->entry;
	__u64 tstate;

	*pending = false;
	*cached_hit = false;
	q->runtime = runtime;
	q->fsbase = BPF_CORE_READ(task, thread.fsbase);
	q->ns_tid = s->off.tstate_native_thread_id == PYPERF_OFF_NONE ? 0 : ns_tid(task);
	q->found = 0;
	q->failed = 0;
	q->unbound = 0;
	if (cached && cached->generation == s->generation) {
		*e = *cached;
		if (e->state == THREAD_ABSENT && now - e->checked_ns < PYPERF_NEGATIVE_TTL_NS &&
		    first_head(s, runtime) == e->first_head)
			return 0;
		if (e->state == THREAD_FOUND) {
			tstate = e->tstate;
			if (!fresh_only &&
			    !read_prefix(s, s->tstate_buf, s->off.tstate_read_size, PYPERF_TSTATE_READ, tstate) &&
			    tstate_is_ours(s) &&
			    load_u64(s->tstate_buf, s->off.tstate_interp, PYPERF_TSTATE_READ) == e->interp) {
				*cached_hit = true;
				return tstate;
			}
			search_restart(e, s->generation, now);
		} else if (e->state == THREAD_ABSENT) {
			search_restart(e, s->generation, now);
		}
	} else {
		search_restart(e, s->generation, now);
	}
	count(PYPERF_STAT_TSTATE_SEARCHES);
	bpf_loop(PYPERF_SCAN_STEP, visit_thread, NULL, 0);
	if (q->found) {
		e->state = THREAD_FOUND;
		e->tstate = q->found;
		e->interp = e->scan_interp;
	} else if (q->failed) {
		e->state = THREAD_ABSENT;	/* its memory is unreadable: as good as none */
	}
	if (q->unbound)
		e->first_head = ~0ULL;		/* "not found" holds for this sample only */
	/* Nothing is cached before the runtime has an interpreter (starting up). */
	if (e->state != THREAD_ABSENT || e->scan_interps)
		bpf_map_update_elem(&threads, &pid_tgid, e, BPF_ANY);
	*pending = e->state == THREAD_SEARCHING;
	return q->found;
}

/* ---- the frame chain ------------------------------------------------------ */

/*
 * The innermost frame of the thread state in tstate_buf, 0 if none; for
 * 3.11/3.12 also the calling eval loop's CFrame, for the chain's checks.
 */
static __always_inline __u64 top_frame(struct scratch *s)
{
	struct pyperf_offsets *off = &s->off;
	__u64 frame = load_u64(s->tstate_buf, off->tstate_frame, PYPERF_TSTATE_READ);

	s->walk.cframe_previous = 0;
	if (!frame || off->cframe_current_frame == PYPERF_OFF_NONE)
		return frame;
	/* 3.11/3.12 keep the frame pointer in a CFrame on the C stack. */
	if (read_user(s, s->cframe_buf, PYPERF_CFRAME_READ, frame))
		return 0;
	s->walk.cframe_previous = load_u64(s->cframe_buf, off->cframe_previous, PYPERF_CFRAME_READ);
	return load_u64(s->cframe_buf, off->cframe_current_frame, PYPERF_CFRAME_READ);
}

/*
 * 3.11/3.12: the first frame an eval loop call ran (3.11's is_entry frame,
 * 3.12's shim) links to the frame its caller's CFrame holds as current;
 * then the caller's CFrame is the one to compare with.  0, or a torn rule.
 */
static __always_inline int check_eval_call(struct scratch *s, __u64 previous)
{
	struct pyperf_offsets *off = &s->off;

	if (off->cframe_previous == PYPERF_OFF_NONE)
		return PYPERF_TORN_NONE;
	if (!s->walk.cframe_previous || read_user(s, s->cframe_buf, PYPERF_CFRAME_READ,
						  s->walk.cframe_previous))
		return PYPERF_TORN_CFRAME;
	if (load_u64(s->cframe_buf, off->cframe_current_frame, PYPERF_CFRAME_READ) != previous)
		return PYPERF_TORN_CFRAME;
	s->walk.cframe_previous = load_u64(s->cframe_buf, off->cframe_previous, PYPERF_CFRAME_READ);
	return PYPERF_TORN_NONE;
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
		if (lasti < 0)
			return -1;
		/* As userspace's py_read_frame(): past INT32_MAX bytes it is no offset. */
		return (__s64)lasti * off->lasti_unit > 0x7fffffff ? PYPERF_INSTR_UNKNOWN :
		       lasti * off->lasti_unit;
	}
	ip = load_u64(s->frame_buf, off->frame_instr, PYPERF_FRAME_READ);
	if (!ip)
		return PYPERF_INSTR_UNKNOWN;
	/* Free-threaded 3.14+: the thread may run its own copy of the bytecode. */
	if (off->frame_tlbc_index != PYPERF_OFF_NONE && off->code_tlbc != PYPERF_OFF_NONE) {
		tlbc = (__s32)load_u32(s->frame_buf, off->frame_tlbc_index, PYPERF_FRAME_READ);
		if (tlbc > 0) {
			__u64 array = load_u64(s->code_buf, off->code_tlbc, PYPERF_CODE_READ);

			/* An index is an int; more than 65536 threads' copies is not a code object. */
			if (!array || tlbc > 0xffff ||
			    read_ptr(s, &base, array + off->code_tlbc_entries + 8 * (__u64)tlbc))
				return PYPERF_INSTR_UNKNOWN;
		}
	}
	return (__s32)(ip - base);
}

/* ---- code objects met for the first time ---------------------------------- */

static __always_inline struct code_seen *code_slot(__u32 tgid, __u64 code)
{
	__u32 key = (__u32)((((code >> 4) ^ ((__u64)tgid << 40)) * 0x9E3779B97F4A7C15ULL) >> 32) &
		    (PYPERF_CODE_SEEN_SLOTS - 1);

	return bpf_map_lookup_elem(&codes_seen, &key);
}

/*
 * Copy the characters (or bytes) of the object whose header is in HEAD to
 * DST when they run past HEAD, which then holds them all: DATA_AT bytes into
 * the object, LEN bytes long.  Returns the bytes copied to DST.
 */
static __always_inline __u32 copy_tail(struct scratch *s, __u8 *dst, __u32 max, __u64 obj,
				       __u32 data_at, __u64 len)
{
	if (!len || data_at + len <= PYPERF_STR_HEAD)
		return 0;
	if (len > max)
		len = max;
	barrier_var(len);
	if (len > max || read_user(s, dst, len, obj + data_at))
		return 0;
	return len;
}

/* A str object's characters: where they start and how many bytes. */
static __always_inline __u64 str_bytes(struct scratch *s, const __u8 *head, __u32 *data_at)
{
	struct pyperf_offsets *off = &s->off;
	__u32 state = load_u32(head, off->str_state, PYPERF_STR_HEAD);
	__u64 length = load_u64(head, off->str_length, PYPERF_STR_HEAD);
	__u32 kind = (state & off->str_kind_mask) >> (off->str_kind_shift & 31);

	/* Code objects' strings are compact: their characters follow the header. */
	if (!(state & off->str_compact_mask) || (kind != 1 && kind != 2 && kind != 4) ||
	    length > (1u << 20))
		return 0;
	*data_at = state & off->str_ascii_mask ? off->str_ascii_data : off->str_compact_data;
	return length * kind;
}

/*
 * The first PYPERF_STR_HEAD bytes of the str (or, BYTES, bytes) object at
 * OBJ into HEAD, but no more than the object has: a small object at the
 * end of its allocator's arena must not make the read run into an
 * unmapped page.  Its header first, then the whole object if it is
 * smaller than HEAD.  0, or -1 with HEAD zeroed.
 */
static __always_inline int read_head(struct scratch *s, __u8 *head, __u64 obj, bool bytes)
{
	struct pyperf_offsets *off = &s->off;
	__u32 data_at = bytes ? off->bytes_data : 0, header;
	__u64 len;

	if (!read_user(s, head, PYPERF_STR_HEAD, obj))
		return 0;
	header = bytes ? off->varobject_size + 8 : off->str_state + 4;
	if (!bytes && off->str_length + 8 > header)
		header = off->str_length + 8;
	if (!bytes && off->str_hash + 8 > header)
		header = off->str_hash + 8;
	/* The mask changes nothing (header <= 96): it is what the verifier needs. */
	_Static_assert(PYPERF_STR_HEAD < 128, "the masks below");
	if (header > PYPERF_STR_HEAD || read_user(s, head, header & 127, obj))
		goto fail;
	len = bytes ? load_u64(head, off->varobject_size, PYPERF_STR_HEAD) : str_bytes(s, head, &data_at);
	if (data_at + len < PYPERF_STR_HEAD && data_at + len > header) {
		len += data_at;
		if (len > PYPERF_STR_HEAD || read_user(s, head, len & 127, obj))
			goto fail;
	}
	return 0;
fail:
	__builtin_memset(head, 0, PYPERF_STR_HEAD);
	return -1;
}

/*
 * Report the code object whose header is in code_buf, its name's header
 * already in code_report.info.name_head: its file name and the characters
 * and line table that run past the headers.  Userspace decodes them.
 */
static __always_inline void report_code(struct scratch *s, __u64 code, __u32 fingerprint,
					__u64 name, __u64 file, __u64 table, __s32 firstlineno)
{
	struct pyperf_offsets *off = &s->off;
	struct pyperf_code_record *r = &s->code_report;
	struct pyperf_code_info *ci = &r->info;
	struct code_seen *seen = code_slot(s->tgid, code);
	__u32 data_at = 0, size;
	__u64 len;

	if (!seen || (seen->code == code && seen->tgid == s->tgid &&
		      seen->generation == s->generation && seen->fingerprint == fingerprint) ||
	    s->reports >= PYPERF_REPORTS_PER_SAMPLE ||
	    s->report_bytes >= PYPERF_REPORT_BYTES_PER_SAMPLE)
		return;
	s->reports++;
	__builtin_memset(&r->hdr, 0, sizeof(r->hdr));
	r->hdr.pid = s->tgid;
	r->hdr.kind = PYPERF_KIND_CODE;
	ci->code = code;
	ci->fingerprint = fingerprint;
	ci->firstlineno = firstlineno;
	ci->name_len = ci->file_len = 0;
	ci->table_len = 0;
	len = str_bytes(s, ci->name_head, &data_at);
	ci->name_len = copy_tail(s, ci->name, PYPERF_NAME_BYTES, name, data_at, len);
	read_head(s, ci->file_head, file, false);
	len = str_bytes(s, ci->file_head, &data_at);
	ci->file_len = copy_tail(s, ci->file, PYPERF_FILE_BYTES, file, data_at, len);
	read_head(s, ci->table_head, table, true);
	len = load_u64(ci->table_head, off->varobject_size, PYPERF_STR_HEAD);
	ci->table_len = copy_tail(s, ci->table, PYPERF_TABLE_BYTES, table, off->bytes_data, len);
	size = offsetof(struct pyperf_code_record, info.table) + ci->table_len;
	if (size > sizeof(*r))
		return;
	if (bpf_ringbuf_output(&events, r, size, BPF_RB_NO_WAKEUP)) {
		count(PYPERF_STAT_CODES_LOST);
		return;
	}
	count(PYPERF_STAT_CODES_REPORTED);
	add_count(PYPERF_STAT_CODE_BYTES, size);
	s->report_bytes += size;
	seen->code = code;
	seen->tgid = s->tgid;
	seen->generation = s->generation;
	seen->fingerprint = fingerprint;
}

/*
 * The frame in frame_buf with code object CODE, into OUT: code address,
 * instruction offset and fingerprint (two more reads: the code object's
 * header and its name's header with its cached hash).  Returns the frame's
 * size in words on the data stack, 0 if unknown.
 */
static __always_inline __u32 resolve_frame(struct scratch *s, struct pyperf_frame *out,
					   __u64 code, __u64 entry)
{
	struct pyperf_offsets *off = &s->off;
	__u64 name, file, table, name_hash;
	__s32 firstlineno;
	__u32 framesize;

	/* Multiplicative hash: code objects' addresses share their low bits. */
	struct code_memo *memo = &s->walk.memo[((code >> 4) * 0x9E3779B97F4A7C15ULL) >> 60];

	out->code = code | entry;
	out->instr_offset = PYPERF_INSTR_UNKNOWN;
	out->fingerprint = 0;
	/*
	 * A frame holds a reference to its code object, so within one walk an
	 * address seen before is the same code object: its fingerprint holds
	 * (recursion costs one read per frame).  Not with thread-local
	 * bytecode, whose offset needs the code object's header.
	 */
	if (memo->walk == s->walk.walk && memo->code == code &&
	    off->frame_tlbc_index == PYPERF_OFF_NONE) {
		out->instr_offset = instr_offset(s, code);
		out->fingerprint = memo->fingerprint;
		return memo->framesize;
	}
	if (read_prefix(s, s->code_buf, off->code_read_size, PYPERF_CODE_READ, code)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return 0;
	}
	out->instr_offset = instr_offset(s, code);
	framesize = stack_check_framesize(off, s->code_buf, PYPERF_CODE_READ);
	name = load_u64(s->code_buf, off->code_name, PYPERF_CODE_READ);
	file = load_u64(s->code_buf, off->code_filename, PYPERF_CODE_READ);
	table = load_u64(s->code_buf, off->code_linetable, PYPERF_CODE_READ);
	firstlineno = (__s32)load_u32(s->code_buf, off->code_firstlineno, PYPERF_CODE_READ);
	/* The name's header holds its hash, and maybe all of its characters. */
	if (!name || read_head(s, s->code_report.info.name_head, name, false)) {
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		return framesize;
	}
	name_hash = load_u64(s->code_report.info.name_head, off->str_hash, PYPERF_STR_HEAD);
	out->fingerprint = pyperf_fingerprint(name, file, table, (__u32)firstlineno, name_hash);
	report_code(s, code, out->fingerprint, name, file, table, firstlineno);
	memo->walk = s->walk.walk;
	memo->code = code;
	memo->fingerprint = out->fingerprint;
	memo->framesize = framesize;
	return framesize;
}

/*
 * frame_buf = the window's bytes from OFF on, a word at a time (memcpy would
 * copy bytes: the offset's alignment is unknown).
 */
static __always_inline void copy_frame(struct scratch *s, __u64 off)
{
	__u64 *dst = (__u64 *)s->frame_buf;
	const __u64 *src = (const __u64 *)(s->window.bytes + (off & (PYPERF_FRAME_WINDOW - 1)));

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
	struct frame_window *w = &s->window;
	__u64 start, len, page = addr & ~(__u64)(PYPERF_PAGE_SIZE - 1), last = w->last_frame;

	if (size > PYPERF_FRAME_READ)
		size = PYPERF_FRAME_READ;
	w->last_frame = addr;
	if (addr >= w->start && addr + size <= w->start + w->len) {
		copy_frame(s, addr - w->start);
		return 0;
	}
	w->len = 0;
	if (last && (last <= addr || last - addr > PYPERF_FRAME_WINDOW))
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	start = addr + size > page + PYPERF_FRAME_WINDOW ? addr + size - PYPERF_FRAME_WINDOW : page;
	len = addr + size - start;
	if (len > PYPERF_FRAME_WINDOW)
		len = PYPERF_FRAME_WINDOW;
	if (read_user(s, w->bytes, len, start))
		return read_prefix(s, s->frame_buf, size, PYPERF_FRAME_READ, addr);
	w->start = start;
	w->len = len;
	copy_frame(s, addr - start);
	return 0;
}

/*
 * Read the frame at ADDR into frame_buf; its code object, 0 for a shim
 * frame; its owner byte (0 where frames have none).
 */
static __always_inline int read_frame(struct scratch *s, __u64 addr, __u64 *code, __u8 *owner)
{
	struct pyperf_offsets *off = &s->off;

	if (fetch_frame(s, addr, off->frame_read_size))
		return -1;
	*code = 0;
	*owner = 0;
	if (off->frame_owner != PYPERF_OFF_NONE && off->frame_owner < PYPERF_FRAME_READ) {
		*owner = s->frame_buf[off->frame_owner & (PYPERF_FRAME_READ - 1)];
		if (*owner >= off->owner_skip_from)
			return 0;	/* an interpreter entry/shim frame, not Python code */
	}
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
		s->walk.ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)] |= PYPERF_FRAME_ENTRY;
}

/*
 * FRAME's callee is not where FRAME ends: a frame being torn down between
 * them is the one excuse (see stack_check_gap).  Reads that frame's header
 * (frame_buf: FRAME's own fields have been used by now).
 */
static __always_inline int check_dying_gap(struct scratch *s, __u64 frame, __u32 framesize, __u32 n)
{
	__u64 gap = frame + (__u64)framesize * 8, code;
	__u8 owner;

	if (read_frame(s, gap, &code, &owner))
		return PYPERF_TORN_SPACING;
	return stack_check_gap(&s->walk.check, &s->off, frame, n,
			       load_u64(s->frame_buf, s->off.frame_previous, PYPERF_FRAME_READ), owner);
}

/*
 * Stop the walk: the chain broke rule WHY at the frame being visited.  Only
 * the frames still known to be the thread's stay.
 */
static __always_inline long torn(struct scratch *s, int why)
{
	__u32 keep = stack_check_keep(&s->walk.check, why);

	s->sample.hdr.flags |= PYPERF_SAMPLE_TORN;
	s->sample.hdr.torn = why;
	if (keep < s->sample.hdr.depth)
		s->sample.hdr.depth = keep;
	s->walk.cursor = 0;
	return 1;
}

/*
 * bpf_loop body: one frame of the chain, innermost first.  The innermost
 * PYPERF_KEEP_INNER Python frames are resolved on the way and checked
 * against their neighbours; past them only the frame addresses of the last
 * PYPERF_KEEP_OUTER are kept (one read per frame), and resolve_outer()
 * finishes those once the walk has ended.
 */
static long visit_frame(__u32 index, void *ctx)
{
	struct scratch *s = get_scratch();
	__u64 frame, code, previous, entry = 0;
	__u32 n, framesize = 0;
	__u8 owner;
	int why;

	if (!s || !s->walk.cursor)
		return 1;
	frame = s->walk.cursor;
	if (chain_cycle_seen(&s->walk.cycle, frame))
		return torn(s, PYPERF_TORN_CYCLE);
	if (read_frame(s, frame, &code, &owner)) {
		/* Out of budget, the frame is not unreadable: the walk is cut. */
		if (!(s->sample.hdr.flags & PYPERF_SAMPLE_BUDGET))
			s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR | PYPERF_SAMPLE_UNREADABLE;
		s->walk.cursor = 0;
		return 1;
	}
	previous = load_u64(s->frame_buf, s->off.frame_previous, PYPERF_FRAME_READ);
	if (!code) {
		/* 3.12: a shim starts each eval call; its link is the CFrame's. */
		if ((why = check_eval_call(s, previous)))
			return torn(s, why);
		stack_check_kind(&s->walk.check, &s->off, frame, 1, 0);
		s->walk.cursor = previous;
		mark_entry(s);
		return ++s->walk.skipped > PYPERF_MAX_SKIPPED;
	}
	if (s->off.frame_is_entry != PYPERF_OFF_NONE &&
	    s->frame_buf[s->off.frame_is_entry & (PYPERF_FRAME_READ - 1)])
		entry = PYPERF_FRAME_ENTRY;

	n = s->sample.hdr.depth;
	if (n < PYPERF_KEEP_INNER)
		framesize = resolve_frame(s, &s->sample.frames[n & (PYPERF_MAX_FRAMES - 1)], code, entry);
	why = stack_check_frame(&s->walk.check, &s->off, frame, owner, framesize, n);
	if (why == PYPERF_TORN_SPACING)
		why = check_dying_gap(s, frame, framesize, n);
	if (!why && entry)
		why = check_eval_call(s, previous);
	if (why)
		return torn(s, why);
	stack_check_kind(&s->walk.check, &s->off, frame, 0, entry != 0);
	if (n >= PYPERF_KEEP_INNER)
		s->walk.ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)] = frame | entry;
	s->sample.hdr.depth = n + 1;
	s->walk.cursor = previous;
	return n + 1 >= PYPERF_MAX_WALK;
}

/* bpf_loop body: the K-th of the outermost frames kept in the ring. */
static long resolve_outer(__u32 k, void *ctx)
{
	struct scratch *s = get_scratch();
	__u32 depth, kept, n;
	__u64 frame, code;
	__u8 owner;

	if (!s)
		return 1;
	depth = s->sample.hdr.depth;
	kept = s->sample.hdr.nframes - PYPERF_KEEP_INNER;
	n = depth - kept + k;
	frame = s->walk.ring[(n - PYPERF_KEEP_INNER) & (PYPERF_KEEP_OUTER - 1)];
	if (read_frame(s, frame & ~PYPERF_FRAME_ENTRY, &code, &owner) || !code) {
		/* Changed under us since the walk: keep the slot, unresolvable. */
		s->sample.hdr.flags |= PYPERF_SAMPLE_READ_ERROR;
		code = 0;
	}
	resolve_frame(s, &s->sample.frames[(PYPERF_KEEP_INNER + k) & (PYPERF_MAX_FRAMES - 1)],
		      code, frame & PYPERF_FRAME_ENTRY);
	return 0;
}

/* Walk the chain of the thread state in tstate_buf. */
static __always_inline void walk_stack(struct scratch *s)
{
	__u32 depth;

	s->walk.walk++;
	s->walk.skipped = 0;
	s->window.len = 0;
	s->window.last_frame = 0;
	__builtin_memset(&s->walk.cycle, 0, sizeof(s->walk.cycle));
	stack_check_init(&s->walk.check, &s->off, s->tstate_buf, PYPERF_TSTATE_READ);
	s->walk.cursor = top_frame(s);
	if (s->walk.cursor)
		bpf_loop(PYPERF_MAX_WALK + PYPERF_MAX_SKIPPED, visit_frame, NULL, 0);
	/*
	 * Stopped with frames left (walk or skip budget spent): the outermost
	 * frames are out of reach.  Ended at a NULL link: whole only if the
	 * last frame is the thread's base.  Never cut silently.
	 */
	if (s->walk.cursor)
		s->sample.hdr.flags |= PYPERF_SAMPLE_TRUNCATED;
	else if (s->sample.hdr.depth &&
		 !(s->sample.hdr.flags & (PYPERF_SAMPLE_TORN | PYPERF_SAMPLE_UNREADABLE |
					  PYPERF_SAMPLE_BUDGET)) &&
		 stack_check_end(&s->walk.check))
		torn(s, PYPERF_TORN_BASE);
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
 * Whether PID may put SIZE more bytes into the ring buffer now, holding
 * AVAIL bytes (see PYPERF_FAIR_WINDOW_NS).
 */
static __always_inline bool fair_share(__u32 pid, __u32 size, __u64 avail)
{
	struct pyperf_brake *b = bpf_map_lookup_elem(&brakes, &pid);
	__u64 now, nprocs = profiled_processes ? profiled_processes : 1;

	if (!b)
		return true;
	now = bpf_ktime_get_ns();
	if (now - b->ring_window_start_ns >= PYPERF_FAIR_WINDOW_NS) {
		b->ring_window_start_ns = now;
		b->ring_window_bytes = 0;
	}
	if (avail > ring_bytes / 2 && b->ring_window_bytes + size > ring_bytes / 2 / nprocs)
		return false;
	__sync_fetch_and_add(&b->ring_window_bytes, size);
	return true;
}

static __always_inline void submit(struct scratch *s, __u32 pid, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bool fair;

	if (size > sizeof(s->sample))
		size = sizeof(s->sample);
	fair = fair_share(pid, size, avail);
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
 * Sample the current thread of a profiled process: its Python stack (and
 * with --native/--kernel its native stacks), into the ring buffer.  The
 * scratch's header fields other than the stack are the caller's.
 */
static __always_inline void sample_current(void *ctx, struct pyperf_proc *proc, __u64 pid_tgid,
					   __u8 kind, __u8 task_state, __u16 weight)
{
	__u32 pid = pid_tgid >> 32;
	struct task_struct *task;
	struct scratch *s;
	__u64 tstate, now;
	bool pending, cached;

	s = get_scratch();
	if (!s)
		return;
	now = bpf_ktime_get_ns();
	task = bpf_get_current_task_btf();
	s->off = proc->off;
	s->tgid = pid;
	s->generation = proc->generation;
	s->reads = 0;
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

	tstate = thread_state(s, task, pid_tgid, proc->runtime_addr, now, false, &pending, &cached);
	/*
	 * A thread state found before that has no frames now may be a freed
	 * one whose memory still names this thread (a PyGILState_Release'd
	 * callback thread, a sub-interpreter left): look again at once.
	 */
	if (cached && !top_frame(s))
		tstate = thread_state(s, task, pid_tgid, proc->runtime_addr, now, true, &pending,
				      &cached);
	s->sample.hdr.tstate = tstate;
	if (tstate) {
		walk_stack(s);
		if (want_gil)
			check_gil(s, proc->runtime_addr, tstate);
	} else {
		s->sample.hdr.flags |= pending ? PYPERF_SAMPLE_TSTATE_PENDING : PYPERF_SAMPLE_NO_TSTATE;
	}
	count_flags(s->sample.hdr.flags);

	if (kind == PYPERF_KIND_OFF_CPU) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
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
	submit(s, pid, add_native(ctx, s, task));
	add_count(PYPERF_STAT_READS, s->reads);
	note_max(PYPERF_STAT_MAX_READS, s->reads);
}

/*
 * The brake (see PYPERF_BRAKE_SHARE): whether to take this CPU sample of
 * TGID, and how many samples it stands for.  0: skip it.
 */
static __always_inline __u16 brake_take(__u32 tgid, struct pyperf_brake **out)
{
	struct pyperf_brake fresh = {}, *b = bpf_map_lookup_elem(&brakes, &tgid);
	__u64 mask;

	if (!b) {
		fresh.window_start_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&brakes, &tgid, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&brakes, &tgid);
		if (!b)
			return 1;
	}
	*out = b;
	__sync_fetch_and_add(&b->window_samples, 1);
	if (!b->level)
		return 1;
	mask = (1ULL << (b->level & 7)) - 1;
	if (__sync_fetch_and_add(&b->counter, 1) & mask) {
		__sync_fetch_and_add(&b->skipped, 1);
		count(PYPERF_STAT_BRAKED);
		return 0;
	}
	return mask + 1;
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
	/* Its samples, taken or not, may cost 1/SHARE of their periods. */
	allowed = b->window_samples * (period_ns / PYPERF_BRAKE_SHARE);
	if (b->window_cost_ns > allowed && b->level < PYPERF_BRAKE_MAX_LEVEL)
		b->level++;
	else if (b->window_cost_ns * 4 < allowed && b->level)
		b->level--;
	if (b->level > b->max_level)
		b->max_level = b->level;
	b->window_start_ns = now;
	b->window_cost_ns = 0;
	b->window_samples = 0;
}

SEC("perf_event")
int pyperf_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	struct pyperf_proc *proc;

	struct pyperf_brake *brake = NULL;
	__u64 start;
	__u16 weight;

	/* The one cost every other process on the machine pays. */
	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc)
		return 0;
	count(PYPERF_STAT_SAMPLES);
	weight = brake_take(pid, &brake);
	if (!weight)
		return 0;
	start = bpf_ktime_get_ns();
	sample_current(ctx, proc, pid_tgid, PYPERF_KIND_CPU, 0, weight);
	if (brake) {
		__u64 now = bpf_ktime_get_ns();

		brake_account(brake, now - start, now);
		note_cost(now - start);
	}
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
	/* Not braked: a wait must be timed from its start (its cost is bounded by the budget). */
	sample_current(ctx, proc, ((__u64)prev_pid << 32) | (__u32)prev->pid, PYPERF_KIND_OFF_CPU,
		       preempt || !prev_state ? 0 : (prev_state & 0xff) ?: 1, 1);
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
