/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The sampler's maps, its per-CPU scratch, its counters, and the bounded
 * reads of target memory every other part makes.
 * Part of pyperf.bpf.c (one BPF program): included once, in order.
 */
#ifndef PYBPF_STATE_BPF_H
#define PYBPF_STATE_BPF_H

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

/* --mode memory: each process's resident memory and growth (struct pyperf_memory). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);		/* resized with "procs" */
	__type(key, __u32);
	__type(value, struct pyperf_memory);
} memory SEC(".maps");

/*
 * --mode memory: each thread's own growth not yet sampled (bytes, under a
 * period), keyed by pid_tgid.  A thread is sampled for what it grew, not
 * for a share of what its process's threads grew together (on_rss_stat()).
 * Entries go when their thread ends (pyperf_exit; what it held stays in
 * pyperf_memory.threads_owed); a thread that finds the map full is
 * counted in its process's pool (pyperf_memory.owed).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);		/* resized with "threads"; 1 without --mode memory */
	__type(key, __u64);			/* pid_tgid */
	__type(value, __s64);
} thread_growth SEC(".maps");

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
	__u64 checked_ns;			/* when the last search began, or (idle) the last check */
	__u64 scan_interp;			/* searching: the list being visited */
	__u64 scan_cursor;			/* ... its next thread state, 0: next list */
	struct chain_cycle scan_cycle;		/* ... over that list */
	__u32 scan_interps;			/* ... lists entered */
	__u64 first_head;			/* the first interpreter's list head when searched */
	/*
	 * searching: the thread state found before this search (kept if no
	 * thread state of the thread is active), and the one of the thread
	 * that is not active to take if none is (fallback_interp: its list).
	 */
	__u64 prior;
	__u64 fallback;
	__u64 fallback_interp;
	__u32 generation;			/* the process incarnation it belongs to */
	__u32 state;				/* enum thread_state */
	__u32 idle;				/* THREAD_FOUND: not active when last looked at */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/*
	 * Preallocated, so its size is start-up time: userspace sizes it from
	 * the host's thread count (session_thread_slots()).  Threads that are
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

/* This CPU's ticks (tick_periods()). */
struct tick_clock {
	__u64 last_ns;				/* when the perf event last fired here */
	__u64 carry_ns;				/* time since not yet counted in periods */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tick_clock);
} tick_clocks SEC(".maps");

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
 * report.  Slots are written without locks by every CPU; CHECK, a hash of
 * the other fields written last, makes a slot torn by two CPUs at once
 * match nothing, so the worst case is a report sent twice.
 *
 * 3.12+: a slot is also how a code object met in an earlier sample is
 * known again from its header alone: the same address, co_version and
 * name/file/line-table objects and first line are the same code object
 * (co_version comes from a counter, so one made later at that address has
 * another), and the slot's fingerprint stands without reading the name.
 */
/* A code object as its header shows it. */
struct code_identity {
	__u64 code;
	__u64 name;				/* co_qualname where it exists, else co_name */
	__u64 file;
	__u64 table;
	__u32 version;				/* co_version; 0: none (before 3.12, or run out) */
	__s32 firstlineno;
};

struct code_seen {
	struct code_identity id;
	__u32 tgid;
	__u32 generation;
	__u32 fingerprint;
	__u32 check;
};

static __always_inline __u32 code_seen_check(const struct code_seen *c)
{
	__u64 h = c->id.code;

	h = (h ^ c->id.name) * 0xff51afd7ed558ccdULL;
	h = (h ^ c->id.file) * 0xc4ceb9fe1a85ec53ULL;
	h = (h ^ c->id.table) * 0xff51afd7ed558ccdULL;
	h = (h ^ ((__u64)c->tgid << 32 | c->generation)) * 0xc4ceb9fe1a85ec53ULL;
	h = (h ^ ((__u64)c->id.version << 32 | (__u32)c->id.firstlineno)) * 0xff51afd7ed558ccdULL;
	h = (h ^ c->fingerprint) * 0xc4ceb9fe1a85ec53ULL;
	return (__u32)(h ^ (h >> 32));
}

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
	__u64 found_interp;			/* the interpreter whose list holds it */
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
	__u64 failed_page;			/* whose window read failed: frame by frame there */
	/* Slack after the window: a frame copied from its end may overrun it. */
	__u8 bytes[PYPERF_FRAME_WINDOW + PYPERF_FRAME_READ];
};

/* --async: the candidate tasks of a sample and the one found (async_task.bpf.h). */
struct async_match {
	__u64 frame[PYPERF_ASYNC_CANDIDATES];	/* each candidate's coroutine frame */
	__u64 task[PYPERF_ASYNC_CANDIDATES];
	__u64 name[PYPERF_ASYNC_CANDIDATES];
	__u32 count;
	__u32 found;				/* a candidate's frame is on the stack */
	__u32 which;				/* ... that one */
	__u32 depth;				/* ... at this depth */
	__u32 unread;				/* the candidates may be missing one (PYPERF_SAMPLE_TASK_UNREAD) */
	__u8 keys_buf[PYPERF_ASYNC_KEYS_READ];
	__u8 entries_buf[PYPERF_ASYNC_ENTRIES_READ];
	__u8 task_buf[PYPERF_ASYNC_TASK_READ];
	__u8 tuple_buf[8 * PYPERF_CLOSURE_CELLS];	/* a closure's cells */
	struct pyperf_async config;		/* the process's, for async_awaiters() */
	struct pyperf_task out[PYPERF_TASK_SLOTS];
	__u64 coro[PYPERF_TASK_SLOTS];		/* each awaiting task's coroutine */
	__u64 next_frame;			/* await_frame(): the frame to read next */
};

/* Per-CPU working state: too big for the 512-byte BPF stack. */
struct scratch {
	struct pyperf_offsets off;
	__u32 tgid;
	__u32 generation;
	__u32 reads;				/* of target memory, this sample */
	__u32 failed_reads;			/* ... that failed (over budget: not a failure, BUDGET says so) */
	__u32 reports;				/* code objects reported, this sample */
	__u32 report_bytes;			/* ... and their bytes */
	__u64 gil;				/* the thread's GIL struct, 0: unknown */
	struct thread_search search;
	struct frame_walk walk;
	struct frame_window window;
	struct async_match async;
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
	if (bpf_probe_read_user(dst, size, (const void *)addr)) {
		s->failed_reads++;
		return -1;
	}
	return 0;
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

#endif
