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
/* The bounded walk (no bpf_loop): as many visits as bpf_loop's, each loop under the verifier's 8192 pending branches. */
_Static_assert((PYPERF_MAX_WALK + PYPERF_MAX_SKIPPED) % PYPERF_BOUNDED_CHUNK == 0 &&
	       PYPERF_BOUNDED_CHUNK <= 4096 &&
	       (PYPERF_MAX_WALK + PYPERF_MAX_SKIPPED) / PYPERF_BOUNDED_CHUNK <= 4096 &&
	       PYPERF_SCAN_STEP <= 4096, "bounded loop sizes");

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
/*
 * The brake takes at most 1 in 2^brake_min_level samples however cheap
 * they are: 0, but for tests (PYBPF_BRAKE_MIN_LEVEL), which need it on
 * whatever the machine's speed.
 */
const volatile __u32 brake_min_level = 0;

/* --mode memory: one sample per this many bytes of growth; 0: CPU or wall mode. */
const volatile __u64 memory_period_bytes = 0;

/* --stats-stages: time each stage of a sample (three more clock reads each). */
const volatile bool stage_times = false;

/* In this order: each part uses only those before it. */
#include "state.bpf.h"
#include "thread_state.bpf.h"
#include "code_reports.bpf.h"
#include "async_task.bpf.h"
#include "frame_chain.bpf.h"
#include "await_frames.bpf.h"
#include "sample.bpf.h"

/*
 * How many periods this CPU's tick stands for: one, or more when the timer
 * fired late (a loaded host, a virtual machine's CPU not running, perf's
 * throttling), so that time is not lost.  The remainder carries to the next
 * tick: over a recording, the periods counted are the time elapsed.  Every
 * tick runs it, whoever it interrupts: a clock read and a per-CPU store.
 */
static __always_inline __u32 tick_periods(void)
{
	__u32 key = 0;
	struct tick_clock *c = bpf_map_lookup_elem(&tick_clocks, &key);
	__u64 now, owed, periods;

	if (!c)
		return 1;
	now = bpf_ktime_get_ns();
	owed = now - c->last_ns;
	if (!c->last_ns || owed > PYPERF_TICK_MAX_NS) {
		c->last_ns = now;
		c->carry_ns = 0;
		return 1;
	}
	c->last_ns = now;
	owed += c->carry_ns;
	/* At least one: a tick a little early still stands for its period. */
	periods = owed > period_ns ? owed / period_ns : 1;
	c->carry_ns = owed > periods * period_ns ? owed - periods * period_ns : 0;
	return periods;
}

/*
 * Sample the current thread of PROC for PERIODS (of time, or of memory's
 * growth) as its brake allows: the periods of a sample not taken go to
 * the next one taken.  The periods the sample stands for, 0 if none.
 */
static __always_inline __u32 sample_braked(void *ctx, struct pyperf_proc *proc, __u64 pid_tgid,
					   __u8 kind, __u32 periods, bool bounded)
{
	struct pyperf_brake *brake = NULL;
	__u32 weight;
	__u64 start;

	count(PYPERF_STAT_SAMPLES);
	weight = brake_take(pid_tgid >> 32, periods, &brake);
	if (!weight)
		return 0;
	start = bpf_ktime_get_ns();
	if (weight > 0xffff)
		weight = 0xffff;
	sample_current(ctx, proc, pid_tgid, kind, 0, weight, start, brake, bounded);
	if (brake) {
		__u64 now = bpf_ktime_get_ns();

		brake_account(brake, now - start, now);
		note_cost(now - start);
	}
	return weight;
}

/* A CPU sample: BOUNDED (a constant) picks the walk without bpf_loop. */
static __always_inline int on_cpu_sample(struct bpf_perf_event_data *ctx, bool bounded)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, periods = tick_periods();
	/* The one cost every other process on the machine pays (with tick_periods()). */
	struct pyperf_proc *proc = bpf_map_lookup_elem(&procs, &pid);

	if (proc)
		sample_braked(ctx, proc, pid_tgid, PYPERF_KIND_CPU, periods, bounded);
	return 0;
}

/*
 * Userspace loads one of the two: the walk in bpf_loop (Linux 5.17+), or
 * in bounded loops (before: the same depth, budget and marks).
 */
SEC("perf_event")
int pyperf_sample(struct bpf_perf_event_data *ctx)
{
	return on_cpu_sample(ctx, false);
}

SEC("perf_event")
int pyperf_sample_bounded(struct bpf_perf_event_data *ctx)
{
	return on_cpu_sample(ctx, true);
}

/*
 * --mode wall: a thread of a profiled process leaving the CPU is sampled
 * (its stack is where it waits); one coming back is reported, so userspace
 * can weigh the wait by its length.
 */
static __always_inline int on_switch(void *ctx, bool preempt, struct task_struct *prev,
				     struct task_struct *next, unsigned int prev_state, bool bounded)
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
		       preempt || !prev_state ? 0 : (prev_state & 0xff) ?: 1, 1, bpf_ktime_get_ns(), NULL,
		       bounded);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(pyperf_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return on_switch(ctx, preempt, prev, next, prev_state, false);
}

/* task_struct's state before Linux 5.14 renamed it __state. */
struct task_struct___state_before_514 {
	long state;
} __attribute__((preserve_access_index));

/*
 * Kernels before 5.18 pass no prev_state: the task's own state as it
 * leaves the CPU is the same value read a moment later.  A wakeup racing
 * in may have changed it since: TASK_WAKING counts as an interruptible
 * sleep, TASK_RUNNING as a preemption (the wait was that short).  Those
 * kernels may lack bpf_loop too (before 5.17): the bounded walk.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(pyperf_switch_task_state, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	unsigned int state;

	if (bpf_core_field_exists(prev->__state))
		state = BPF_CORE_READ(prev, __state);
	else
		state = BPF_CORE_READ((struct task_struct___state_before_514 *)prev, state);
	return on_switch(ctx, preempt, prev, next, state, true);
}

/* include/linux/mm_types_task.h: the mm counters rss_stat names. */
#define MM_ANONPAGES	1
#define MM_SHMEMPAGES	3
_Static_assert(PYPERF_RESIDENT_ANON == 0 && PYPERF_RESIDENT_SHMEM == 1,
	       "resident[] is indexed by whether the counter is MM_SHMEMPAGES");

/*
 * OWED plus GROWN, less the whole periods of growth in it, which are
 * returned (at most PYPERF_MEMORY_PERIODS_MAX; the rest stays owed).
 * Threads racing on a shared OWED may both take the same periods: it then
 * goes below zero, and later growth pays it back.
 */
#define PYPERF_MEMORY_PERIODS_MAX 0x7fff
_Static_assert(2 * PYPERF_MEMORY_PERIODS_MAX <= 0xffff,
	       "a thread's periods and its process's pool's fit one sample's __u16 weight");
static __always_inline __u64 take_periods(__s64 *owed, __s64 grown)
{
	__s64 now;
	__u64 periods;

	/* Added to, then read, rather than one fetching add (Linux 5.12). */
	if (grown)
		__sync_fetch_and_add(owed, grown);
	now = *owed;
	if (now < (__s64)memory_period_bytes)
		return 0;
	periods = now / memory_period_bytes;
	if (periods > PYPERF_MEMORY_PERIODS_MAX)
		periods = PYPERF_MEMORY_PERIODS_MAX;
	__sync_fetch_and_add(owed, -(__s64)(periods * memory_period_bytes));
	return periods;
}

/* The current thread's own growth not yet sampled; NULL: thread_growth is full. */
static __always_inline __s64 *thread_growth_of(__u64 pid_tgid)
{
	__s64 *own = bpf_map_lookup_elem(&thread_growth, &pid_tgid), zero = 0;

	if (own)
		return own;
	bpf_map_update_elem(&thread_growth, &pid_tgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&thread_growth, &pid_tgid);
}

/*
 * --mode memory: the kernel changed a resident-memory counter of the
 * current task's own mm (curr; a change made from elsewhere, such as
 * reclaim or a fork copying pages into a child, is no thread's doing).
 * Growth past the process's peak is this thread's, and once a period's
 * worth of its own is owed, its stack is sampled for it.  Per thread, not
 * per process: threads growing at once (free-threaded builds) would
 * otherwise each be sampled for whole periods the other mostly grew, a
 * noise of megabytes over a few hundred.  Threads racing may both count
 * the same rise past the peak (at most one counter change each: a page, a
 * huge page, or before 6.2 a batch of 64 pages).
 */
static __always_inline int on_rss_stat(struct trace_event_raw_rss_stat *ctx, bool bounded)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), total, periods;
	__u32 pid = pid_tgid >> 32;
	struct pyperf_memory *mem;
	struct pyperf_proc *proc;
	int member = ctx->member;
	__s64 grown, *own;

	if (!ctx->curr || (member != MM_ANONPAGES && member != MM_SHMEMPAGES))
		return 0;
	/*
	 * The one cost every other process pays.  First: a process that ran
	 * execve is no longer profiled (its entry went with the old image),
	 * and its new image's memory is not the old one's growth.
	 */
	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc)
		return 0;
	mem = bpf_map_lookup_elem(&memory, &pid);
	if (!mem)
		return 0;
	mem->resident[member == MM_SHMEMPAGES] = ctx->size;
	total = mem->resident[PYPERF_RESIDENT_ANON] + mem->resident[PYPERF_RESIDENT_SHMEM];
	if ((__s64)total <= (__s64)mem->peak)
		return 0;
	grown = total - mem->peak;
	mem->peak = total;
	own = thread_growth_of(pid_tgid);
	periods = own ? take_periods(own, grown) : 0;
	/* Kept per process too, so userspace reads it without walking thread_growth. */
	if (own)
		__sync_fetch_and_add(&mem->threads_owed, grown - (__s64)(periods * memory_period_bytes));
	/* Growth of threads with no room of their own, sampled as they come. */
	periods += take_periods(&mem->owed, own ? 0 : grown);
	if (!periods)
		return 0;
	/* What the brake holds back is not sampled yet: the next sample taken carries it. */
	__sync_fetch_and_add(&mem->sampled, sample_braked(ctx, proc, pid_tgid, PYPERF_KIND_MEMORY,
							  periods, bounded));
	return 0;
}

SEC("tracepoint/kmem/rss_stat")
int pyperf_rss_stat(struct trace_event_raw_rss_stat *ctx)
{
	return on_rss_stat(ctx, false);
}

SEC("tracepoint/kmem/rss_stat")
int pyperf_rss_stat_bounded(struct trace_event_raw_rss_stat *ctx)
{
	return on_rss_stat(ctx, true);
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

/*
 * --mode memory: a forked child starts with its parent's pages (copied
 * into it by the parent, which rss_stat does not count as the child's),
 * so its growth counts from there.
 */
static __always_inline void fork_memory(__u32 ppid, __u32 pid)
{
	struct pyperf_memory *parent = bpf_map_lookup_elem(&memory, &ppid), child = {};

	if (!parent)
		return;
	child.resident[PYPERF_RESIDENT_ANON] = parent->resident[PYPERF_RESIDENT_ANON];
	child.resident[PYPERF_RESIDENT_SHMEM] = parent->resident[PYPERF_RESIDENT_SHMEM];
	child.start = child.resident[PYPERF_RESIDENT_ANON] + child.resident[PYPERF_RESIDENT_SHMEM];
	child.peak = child.start;
	bpf_map_update_elem(&memory, &pid, &child, BPF_NOEXIST);
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
	if (bpf_map_update_elem(&procs, &pid, proc, BPF_NOEXIST)) {
		emit(PYPERF_PROC_FORK_DROPPED, pid, ppid);
		return 0;
	}
	fork_memory(ppid, pid);
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

	/*
	 * --mode memory: what the thread grew short of a period stays in its
	 * process's threads_owed, in no sample (no stack of its is left to take).
	 */
	if (memory_period_bytes) {
		__u64 pid_tgid = ((__u64)p->tgid << 32) | (__u32)p->pid;

		bpf_map_delete_elem(&thread_growth, &pid_tgid);
	}
	if (p->pid != p->tgid)
		return 0;	/* a thread; the process lives on */
	profiled = bpf_map_delete_elem(&procs, &pid) == 0;
	watched_pid = bpf_map_delete_elem(&watched, &pid) == 0;
	if (profiled || watched_pid)
		emit(PYPERF_PROC_EXIT, pid, 0);
	return 0;
}
