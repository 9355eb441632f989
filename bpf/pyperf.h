/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the BPF sampler (bpf/pyperf.bpf.c) and the userspace
 * loader: the per-process configuration userspace writes into BPF maps, and
 * the sample record the BPF program pushes into the ring buffer.
 *
 * The BPF program knows nothing about CPython versions: every layout detail
 * it needs arrives as data in struct pyperf_offsets.
 */
#ifndef PYBPF_PYPERF_H
#define PYBPF_PYPERF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Python frames in one sample; must be a power of two.  Stacks up to this
 * deep arrive whole.  A deeper stack keeps its innermost PYPERF_KEEP_INNER
 * and outermost PYPERF_KEEP_OUTER frames; hdr.depth tells how many were
 * left out between them.  Beyond PYPERF_MAX_WALK frames the outermost ones
 * are out of reach (the walk is bounded) and the sample is TRUNCATED.
 */
#define PYPERF_MAX_FRAMES	1024
#define PYPERF_KEEP_OUTER	256
#define PYPERF_KEEP_INNER	(PYPERF_MAX_FRAMES - PYPERF_KEEP_OUTER)
#define PYPERF_MAX_WALK		16384
/*
 * Frames the walk may skip (shim/entry frames) on top of the ones it keeps:
 * with -X perf (3.12+) every Python frame has an entry frame of its own.
 */
#define PYPERF_MAX_SKIPPED	PYPERF_MAX_WALK
/* Without bpf_loop, frames visited per inner loop of the bounded walk. */
#define PYPERF_BOUNDED_CHUNK	256

/* --native: kernel frames kept, and the user stack copied for unwinding. */
#define PYPERF_MAX_KERNEL_FRAMES	64
#define PYPERF_USER_STACK_BYTES		16384
/*
 * Looking for a thread's PyThreadState: thread states visited per sample.
 * A search goes on from where the last sample of the same thread left it,
 * so every thread of a process with any number of threads is found; the
 * samples taken meanwhile are marked (PYPERF_SAMPLE_TSTATE_PENDING).
 */
#define PYPERF_SCAN_STEP	256
#define PYPERF_MAX_INTERPS	8
/* Largest prefix of a frame / code object / thread state read in one probe read. */
#define PYPERF_FRAME_READ	128
#define PYPERF_CODE_READ	192
#define PYPERF_TSTATE_READ	384
/* _PyCFrame (3.11/3.12): current_frame and previous, whatever their order. */
#define PYPERF_CFRAME_READ	24
/*
 * A probe read costs about as much for one page as for one word (its fixed
 * cost dominates), and a thread's frames sit next to each other: in 3.11+
 * on its data stack, callers below callees; before 3.11 often in the same
 * allocator pool.  The walk reads up to a page around a frame at once and
 * takes its neighbours from that copy.  A power of two.
 */
#define PYPERF_FRAME_WINDOW	4096
/*
 * CPython 3.11+ allocates its data-stack chunks with mmap, so each chunk
 * starts a page and its first frame sits a header (or, in the first chunk,
 * a header and a slot) into it.
 */
#define PYPERF_PAGE_SIZE	4096
/*
 * How long a "this thread has no PyThreadState" answer is trusted, and how
 * often a thread state seen without frames is looked up again (it may be a
 * freed one whose memory still names the thread): long enough that native
 * threads cost little, short enough that a new Python thread is seen soon.
 */
#define PYPERF_NEGATIVE_TTL_NS	(20ULL * 1000 * 1000)
/*
 * The longest time one tick may stand for (a timer firing late); a longer
 * gap since the tick before is no timer's lateness (a suspended machine),
 * and the tick counts once.
 */
#define PYPERF_TICK_MAX_NS	(1000ULL * 1000 * 1000)

/* Ring-buffer backlog at which the BPF program wakes userspace early. */
#define PYPERF_WAKEUP_BYTES	(64u << 10)

/*
 * A code object seen for the first time in a process is reported with its
 * names and line table (struct pyperf_code_info), so that one freed a
 * moment later is still named.  What is copied, at most:
 */
#define PYPERF_STR_HEAD		96	/* a str object's header (>= sizeof(PyCompactUnicodeObject)) */
#define PYPERF_NAME_BYTES	256	/* a qualified name's characters */
#define PYPERF_FILE_BYTES	512	/* a file name's characters */
#define PYPERF_TABLE_BYTES	16384	/* a line table: a longer one arrives cut */
/*
 * Reports in one sample at most: the first sample of a deep stack of
 * distinct functions must not cost hundreds of them at once; the rest go
 * out with the next samples that meet them.
 */
#define PYPERF_REPORTS_PER_SAMPLE 8
/*
 * ... and their bytes: once a sample's reports pass this, it makes no more
 * (a long line table takes a sample of its own; copying one costs tens of
 * microseconds, most tables are under a kilobyte).
 */
#define PYPERF_REPORT_BYTES_PER_SAMPLE	PYPERF_TABLE_BYTES
/*
 * What one sample may cost, whatever the target's memory holds: reads of
 * target memory (a read costs about 65 ns; the chain's own loops are
 * bounded by PYPERF_MAX_WALK and cycle detection).  A sample that spends
 * it is cut there and marked (PYPERF_SAMPLE_BUDGET).
 */
#define PYPERF_READ_BUDGET	1024
/*
 * The brake: over each PYPERF_BRAKE_WINDOW_NS, a process's CPU samples may
 * cost on average at most 1/PYPERF_BRAKE_SHARE of the sampling period (a
 * quarter, as the kernel's own perf_cpu_time_max_percent allows).
 * Past that, 1 in 2 of its samples is taken (standing for the periods of
 * the one skipped too), then 1 in 4 ... down to 1 in
 * 2^PYPERF_BRAKE_MAX_LEVEL; back up when it costs a quarter of that.  Other processes keep their rate.
 */
#define PYPERF_BRAKE_WINDOW_NS	(100ULL * 1000 * 1000)
#define PYPERF_BRAKE_SHARE	4
/*
 * --mode memory has no period of time: a process's memory samples may
 * cost at most 1/PYPERF_BRAKE_MEMORY_SHARE of each window's time however
 * fast it grows (a thread touching new pages as fast as it can, with a
 * small --memory-period), braked the same way past that.
 */
#define PYPERF_BRAKE_MEMORY_SHARE	20
#define PYPERF_BRAKE_MAX_LEVEL	6
/* Slots of the cache of code objects already reported; a power of two. */
#define PYPERF_CODE_SEEN_SLOTS	65536

#define PYPERF_OFF_NONE		0xffff
#define PYPERF_INSTR_UNKNOWN	(-0x7fffffff)

enum pyperf_sample_flags {
	PYPERF_SAMPLE_TRUNCATED  = 1 << 0, /* deeper than PYPERF_MAX_WALK: outer frames missing */
	PYPERF_SAMPLE_READ_ERROR = 1 << 1, /* a target read failed (a frame or a code object) */
	PYPERF_SAMPLE_NO_TSTATE  = 1 << 2, /* thread has no PyThreadState */
	PYPERF_SAMPLE_GIL_KNOWN  = 1 << 3, /* GIL_HELD is meaningful */
	PYPERF_SAMPLE_GIL_HELD   = 1 << 4, /* the thread held the GIL */
	PYPERF_SAMPLE_USER_REGS  = 1 << 5, /* struct pyperf_user_regs + stack follow */
	PYPERF_SAMPLE_GIL_WAIT   = 1 << 6, /* off CPU in a futex on the GIL's cond/mutex */
	/* The walk stopped at a frame it could not read: outer frames missing. */
	PYPERF_SAMPLE_UNREADABLE = 1 << 7,
	/*
	 * The chain does not end at the thread's base, or breaks a rule every
	 * live chain keeps (hdr.torn says which): caught mid-update, the
	 * frames past the break are not the thread's.  Outer frames missing.
	 */
	PYPERF_SAMPLE_TORN       = 1 << 8,
	/* The thread's PyThreadState is still being looked for: no frames yet. */
	PYPERF_SAMPLE_TSTATE_PENDING = 1 << 9,
	/* The sample spent its read budget: outer frames missing. */
	PYPERF_SAMPLE_BUDGET     = 1 << 10,
	/*
	 * --async: a read failed (READ_ERROR too) or the read budget ran out
	 * (BUDGET too) while following the tasks awaiting the running one:
	 * any past the last one named are not known.
	 */
	PYPERF_SAMPLE_AWAITERS_CUT = 1 << 11,
	/*
	 * --async: the tasks the thread may run could not be read (a failed
	 * read, or a _current_tasks dict no sane one) and none was found on
	 * its stack: the task it runs, if any, is not known.
	 */
	PYPERF_SAMPLE_TASK_UNREAD = 1 << 12,
};

/* Which rule a PYPERF_SAMPLE_TORN chain broke (hdr.torn). */
enum pyperf_torn {
	PYPERF_TORN_NONE = 0,
	PYPERF_TORN_BASE,	/* ended (previous == NULL) at a frame that is not the base */
	PYPERF_TORN_SPACING,	/* a caller not exactly its frame size below its callee */
	PYPERF_TORN_ABOVE_TOP,	/* a frame above the top of the data stack */
	PYPERF_TORN_CFRAME,	/* an eval call's first frame not linked as its C frame says */
	PYPERF_TORN_CYCLE,	/* the chain comes back to a frame it passed */
	PYPERF_TORN_MAX,
};

/* What a record in the "events" ring buffer is. */
enum pyperf_sample_kind {
	PYPERF_KIND_CPU = 0,		/* a perf-event sample of a running thread */
	PYPERF_KIND_OFF_CPU = 1,	/* the thread left the CPU with this stack */
	PYPERF_KIND_ON_CPU = 2,		/* the thread is back on a CPU: no frames */
	PYPERF_KIND_CODE = 3,		/* struct pyperf_code_info: a code object's identity */
	PYPERF_KIND_MEMORY = 4,		/* --mode memory: the thread took the process to a new peak */
};

/*
 * --mode memory: a profiled process's resident memory as the kernel's
 * rss_stat tracepoint tells it (anonymous and shared-memory pages, the
 * memory a program makes; file pages are its code and files), in the
 * "memory" map keyed by host tgid.  Growth is counted above the highest
 * level reached so far (PEAK): memory freed and made again is counted
 * once, and the bytes counted over a recording are its peak's rise.
 */
enum pyperf_resident {
	PYPERF_RESIDENT_ANON,
	PYPERF_RESIDENT_SHMEM,
	PYPERF_RESIDENT_KINDS,
};

struct pyperf_memory {
	__s64 resident[PYPERF_RESIDENT_KINDS];	/* bytes, as last told (anon, shmem) */
	__u64 start;			/* their sum when profiling began */
	__u64 peak;			/* the highest sum so far */
	__s64 owed;			/* growth of threads thread_growth had no room for, not yet sampled */
	__s64 threads_owed;		/* what thread_growth holds for it, and held for threads that ended */
	__u64 sampled;			/* periods of growth in the samples taken (not what the brake holds) */
};

/*
 * The low bit of pyperf_frame.code (code objects are aligned): this frame is
 * the first one a C-level call of the eval loop ran, so the native stack
 * has one _PyEval_EvalFrameDefault per such frame.
 */
#define PYPERF_FRAME_ENTRY	1ULL

/* How the frame's instruction position is stored. */
enum pyperf_instr_kind {
	PYPERF_INSTR_LASTI = 0,	/* int index (f_lasti), times lasti_unit bytes */
	PYPERF_INSTR_PTR = 1,	/* pointer into the code object's inline bytecode */
};

/* How a whole frame chain ends (what the thread's outermost frame is). */
enum pyperf_base {
	PYPERF_BASE_NULL = 0,	/* any frame whose link is NULL (3.8-3.10 f_back) */
	PYPERF_BASE_ENTRY = 1,	/* a frame marked is_entry (3.11) */
	PYPERF_BASE_SHIM = 2,	/* an interpreter shim frame, owner >= owner_skip_from (3.12-3.14) */
	PYPERF_BASE_SENTINEL = 3, /* the frame tstate->base_frame points to (3.15+) */
};

/*
 * Byte offsets into CPython's structures, PYPERF_OFF_NONE where a field does
 * not exist.  One instance per profiled process, filled from a per-version
 * table or from the runtime's own _Py_DebugOffsets.
 */
struct pyperf_offsets {
	/* _PyRuntimeState */
	__u16 runtime_interp_head;
	/* PyInterpreterState */
	__u16 interp_next;
	__u16 interp_threads_head;
	/* PyThreadState */
	__u16 tstate_next;
	__u16 tstate_thread_id;		/* pthread_self() == the thread's FS base */
	__u16 tstate_native_thread_id;	/* gettid() in the process's namespace, NONE before 3.11 */
	__u16 tstate_frame;		/* top frame, or the CFrame pointer */
	__u16 tstate_datastack_chunk;	/* then datastack_top, datastack_limit; NONE before 3.11 */
	__u16 tstate_base_frame;	/* PYPERF_BASE_SENTINEL: the bottom frame */
	__u16 tstate_read_size;		/* bytes covering every thread state field */
	/*
	 * _status (3.12+, NONE before) and its "active" bit: set while the
	 * thread runs Python in this thread state, clear while it has released
	 * the GIL or runs in another interpreter's thread state.
	 */
	__u16 tstate_status;
	__u16 tstate_active_mask;
	__u16 cframe_current_frame;	/* NONE unless tstate_frame is a CFrame* */
	__u16 cframe_previous;		/* the calling eval loop's CFrame */
	/* frame (PyFrameObject up to 3.10, _PyInterpreterFrame after) */
	__u16 frame_previous;
	__u16 frame_code;
	__u16 frame_instr;
	__u16 frame_owner;		/* NONE: frames have no owner byte */
	__u16 frame_read_size;		/* bytes covering every frame field */
	__u8 instr_kind;		/* enum pyperf_instr_kind */
	__u8 lasti_unit;		/* bytes per f_lasti unit */
	__u8 owner_skip_from;		/* frames with owner >= this are shims */
	__u8 code_tag_mask;		/* tag bits to clear from f_executable */
	__u8 base_kind;			/* enum pyperf_base */
	__u8 owner_thread;		/* owner of frames on the data stack; 0xff: none */
	__u16 frame_tlbc_index;		/* free-threaded 3.14+: thread-local bytecode */
	/* PyCodeObject */
	__u16 code_adaptive;		/* inline bytecode (PYPERF_INSTR_PTR) */
	__u16 code_tlbc;		/* free-threaded 3.14+: _PyCodeArray *co_tlbc */
	__u16 code_tlbc_entries;	/* _PyCodeArray.entries */
	__u16 code_firstlineno;
	__u16 code_name;		/* co_qualname where it exists, else co_name */
	__u16 code_filename;
	__u16 code_linetable;
	/*
	 * 3.12+: co_version, a number the interpreter gives each code object
	 * it makes from a counter (0 once the counter has run out; NONE before
	 * 3.12): with the fields above it tells a code object from one made
	 * later at the same address without reading its name.
	 */
	__u16 code_version;
	/*
	 * A frame's size on the data stack in words: the int at
	 * code_framesize, plus the int at code_framesize_plus (NONE: no
	 * such term), plus framesize_words.
	 */
	__u16 code_framesize;
	__u16 code_framesize_plus;
	__u8 framesize_words;
	__u8 chunk_first_frame;		/* a data-stack chunk's first frame is at most this far into its page */
	__u16 code_read_size;		/* bytes covering every code field above */
	/* PyVarObject / PyBytesObject */
	__u16 varobject_size;		/* ob_size */
	__u16 bytes_data;		/* ob_sval */
	/* PyASCIIObject / PyCompactUnicodeObject */
	__u16 str_hash;
	__u16 str_length;
	__u16 str_state;
	__u16 str_ascii_data;		/* sizeof(PyASCIIObject) */
	__u16 str_compact_data;		/* sizeof(PyCompactUnicodeObject) */
	__u8 str_kind_shift;
	__u32 str_kind_mask;
	__u32 str_compact_mask;
	__u32 str_ascii_mask;
	/* The GIL (struct _gil_runtime_state) */
	__u16 tstate_interp;
	__u16 runtime_ceval_gil;	/* embedded in _PyRuntime (up to 3.11) */
	__u16 interp_gil;		/* else PyInterpreterState.ceval.gil, a pointer */
	__u16 gil_holder;		/* last_holder */
	__u16 gil_locked;
	/* sizeof(struct _gil_runtime_state): a futex anywhere in it is a wait for the GIL; 0: free-threaded */
	__u16 gil_span;
	/* 3.11: _PyInterpreterFrame.is_entry (3.12+ mark eval calls with shim frames) */
	__u16 frame_is_entry;
};

/*
 * --async: the asyncio task a thread runs.  Candidates come from the dict
 * asyncio keeps of each event loop's running task (_current_tasks, its
 * last PYPERF_ASYNC_CANDIDATES entries); the one whose coroutine's frame is
 * on the sampled thread's stack is the task that thread runs, and its
 * name's first PYPERF_STR_HEAD bytes go with the sample.
 */
#define PYPERF_ASYNC_CANDIDATES	8	/* the whole of the smallest dict (8 slots) */
#define PYPERF_ASYNC_ENTRY_MAX	24	/* a general dict entry: { hash, key, value } */
#define PYPERF_ASYNC_KEYS_READ	64	/* a dict keys object's header, dk_indices included */
#define PYPERF_ASYNC_ENTRIES_READ 256	/* the candidates' entries, read at once */
#define PYPERF_ASYNC_TASK_READ	256	/* a Task's fields read at once end before this */
/*
 * The tasks awaiting the running one, followed at most this far: its first
 * done callback wakes the task that awaits it (`await task`), or is
 * gather()'s, whose _GatheringFuture's first callback wakes the task that
 * awaits the gather.  A task is taken only if it awaits that very future
 * (its fut_waiter).
 */
#define PYPERF_MAX_AWAITERS	4
#define PYPERF_MAX_TASKS	(1 + PYPERF_MAX_AWAITERS)
/* Room for the running task and its awaiters, a power of two: an index masks. */
#define PYPERF_TASK_SLOTS	8
_Static_assert(PYPERF_TASK_SLOTS >= PYPERF_MAX_TASKS && (PYPERF_TASK_SLOTS & (PYPERF_TASK_SLOTS - 1)) == 0,
	       "every task has a slot, and a slot's index masks");
/*
 * An awaiting task's own frames shown at most: its coroutine's, then each
 * coroutine it awaits (the object on top of the frame's value stack),
 * down to the await on the task below it.  A power of two: an index masks.
 */
#define PYPERF_TASK_FRAMES	4
_Static_assert((PYPERF_TASK_FRAMES & (PYPERF_TASK_FRAMES - 1)) == 0, "a task frame's index masks");
/* A frame's value stack deeper than this is no sane frame (its top not read). */
#define PYPERF_FRAME_STACK_MAX	(1 << 16)
#define PYPERF_CLOSURE_CELLS	8	/* cells of gather's callback looked into */


struct pyperf_async {
	__u64 current_tasks;		/* the dict loop -> task (up to 3.13); 0: none, or not found yet */
	__u64 task_type;		/* _asyncio.Task: only its instances are taken */
	__u16 object_type;		/* ob_type */
	/* PyDictObject and its keys object (general entries only: loops are no str) */
	__u16 dict_keys;		/* ma_keys */
	__u16 keys_size;		/* dk_size (Py_ssize_t) or dk_log2_size (u8) */
	__u16 keys_log2_index_bytes;	/* u8; NONE: index width from dk_size (up to 3.10) */
	__u16 keys_nentries;
	__u16 keys_indices;
	__u8 log2_size;			/* keys_size is dk_log2_size */
	__u8 entry_size;		/* general entries */
	__u8 coro_frame_embedded;	/* 3.11+: the frame lies in the coroutine object */
	__u8 pad;
	/* TaskObj and PyCoroObject */
	__u16 task_coro;
	__u16 task_name;
	__u16 coro_frame;		/* the embedded frame, or the gi_frame pointer */
	/* Awaiters (PYPERF_MAX_AWAITERS): FutureObj, the wakeup callback, gather's */
	__u16 future_callback0;
	__u16 task_fut_waiter;
	__u16 wakeup_task;		/* the task in the wakeup callback */
	__u16 function_closure;		/* PyFunctionObject.func_closure */
	__u16 cell_ref;			/* PyCellObject.ob_ref */
	__u16 tuple_size;		/* ob_size */
	__u16 tuple_items;
	__u16 tstate_running_task;	/* 3.14+: the thread state names its task; 0: current_tasks is read */
	/*
	 * 3.14+: the runtime records who awaits a future (fut_awaited_by: one
	 * task, or a set of them if the byte at future_awaited_by_is_set says
	 * so); 0: the done callbacks are followed.
	 */
	__u16 future_awaited_by;
	__u16 future_awaited_by_is_set;
	/*
	 * 3.11-3.13: a TaskGroup child's first done callback is the group's
	 * bound method _on_task_done; the group's _parent_task awaits the
	 * child (as 3.14+ record).  The attribute is read as
	 * py_for_each_attribute() does, without the dict fallback: the word at
	 * group_dict, a values pointer if group_values_tag's bit is set (3.12)
	 * and the word is a dict (not read) otherwise; or else the values
	 * pointer at group_values (3.11), or the values inline at
	 * group_inline (3.13, valid while the byte group_valid bytes in is).
	 * The parent is the word group_parent bytes into the values.
	 */
	__u16 method_self;		/* PyMethodObject.im_self */
	__s8 group_dict;		/* from the object; 0: TaskGroups not read (yet) */
	__s8 group_values;		/* 0: none */
	__u16 group_inline;		/* tp_basicsize; 0: none */
	__u16 group_valid;
	__u16 group_parent;		/* values_array + 8 * _parent_task's index in the shared keys */
	__u8 group_values_tag;
	__u8 pad2[3];
	__u64 function_type;		/* gather's callback is a function ... */
	__u64 gathering_type;		/* ... whose closure holds a _GatheringFuture */
	__u64 method_type;		/* the bound method's type ... */
	__u64 taskgroup_type;		/* ... whose self is a TaskGroup */
	/*
	 * An awaiting task's frames (PYPERF_TASK_FRAMES): its coroutine's
	 * frame, suspended in an await (the byte frame_state bytes from the
	 * frame is await_state; PYPERF_ASYNC_NO_STATE, 3.8 and 3.9: its stack
	 * pointer is set, as only while suspended), awaits the object on top
	 * of its value stack, below items_above others; while that is a
	 * coroutine (coroutine_type), its frame follows.  0: not read.
	 */
	__u64 coroutine_type;
	__s16 frame_state;
	__s8 await_state;
	__u8 items_above;
	__u8 stack_top;			/* enum pyperf_stack_top */
	__u8 pad3;
	__u16 frame_stack;		/* f_stacktop, f_valuestack, localsplus or stackpointer */
	__u16 frame_stack_depth;	/* f_stackdepth or stacktop (an int); DEPTH and INDEX only */
	/*
	 * How much of a Task and of a Future is read: to the end of the last
	 * field used, never past the object (PYPERF_ASYNC_TASK_READ at most).
	 */
	__u16 task_read;
	__u16 future_read;
	__u8 pad4[2];
};

#define PYPERF_ASYNC_NO_STATE	(-32768)

/* Where a frame's value stack ends (the top is the item below). */
enum pyperf_stack_top {
	PYPERF_STACK_TOP_NONE,		/* not known: no frames of awaiting tasks */
	PYPERF_STACK_TOP_POINTER,	/* <= 3.9: PyFrameObject.f_stacktop (PyObject **) */
	PYPERF_STACK_TOP_DEPTH,		/* 3.10: f_valuestack[f_stackdepth - 1] */
	PYPERF_STACK_TOP_INDEX,		/* 3.11-3.13: localsplus[stacktop - 1] */
	/* 3.14+: stackpointer[-1], a _PyStackRef tagged as f_executable is (code_tag_mask) */
	PYPERF_STACK_TOP_TAGGED_POINTER,
};

/* Value of the BPF "procs" map, keyed by host tgid. */
struct pyperf_proc {
	__u64 runtime_addr;		/* &_PyRuntime in the target */
	/*
	 * Which incarnation of the pid, and of userspace's cache of its code
	 * objects: a new one makes every code object new to the kernel.
	 */
	__u32 generation;
	__u32 pad;
	struct pyperf_offsets off;
	struct pyperf_async async;
};

/*
 * One Python frame.  The fingerprint ties the code address to the code
 * object that was live when the sample was taken, so userspace can tell a
 * freed-and-reused address from the function it cached.
 */
struct pyperf_frame {
	__u64 code;
	__s32 instr_offset;		/* bytes into the bytecode, or _UNKNOWN */
	__u32 fingerprint;
} __attribute__((packed));

/*
 * The task a sample's thread runs (--async), then the tasks awaiting it,
 * each awaiting the one before (their frame_index is the running task's).
 * The running task's frames are the sample's; an awaiting task's own are
 * here, outermost first, to its await on the task before it.
 */
struct pyperf_task {
	__u64 task;
	__u64 name;			/* its name object: a str, or (3.13's default) an int */
	__u32 frame_index;		/* its coroutine's frame in the sample's frames */
	__u32 name_bytes;		/* of name_head read (0: none) */
	__u8 name_head[PYPERF_STR_HEAD];	/* the name object's first bytes */
	__u8 nframes;			/* of frames (awaiting tasks only) */
	__u8 frames_cut;		/* more of them, not read: a read failed or there are more */
	__u8 pad[6];
	struct pyperf_frame frames[PYPERF_TASK_FRAMES];
};
_Static_assert(sizeof(struct pyperf_task) % 8 == 0, "tasks follow each other aligned");

/*
 * A sample record: the header, NFRAMES frames (innermost first), NTASKS
 * tasks, NKERNEL kernel addresses (innermost first), then with PYPERF_SAMPLE_USER_REGS the
 * user registers and STACK_LEN bytes of the user stack from regs.sp.
 * A PYPERF_KIND_CODE record is a header and a struct pyperf_code_info.
 */
struct pyperf_sample_header {
	__u32 pid;			/* host tgid */
	__u32 tid;			/* host tid */
	__u64 timestamp_ns;		/* CLOCK_MONOTONIC */
	__u64 tstate;
	__u32 cpu;
	__u16 nframes;
	__u16 flags;
	__u32 depth;			/* Python frames on the stack (>= nframes) */
	__u8 kind;			/* enum pyperf_sample_kind */
	__u8 task_state;		/* OFF_CPU: 0 preempted, else TASK_(UN)INTERRUPTIBLE bits */
	__u16 nkernel;
	__s32 syscall;			/* OFF_CPU: system call the thread blocked in, or -1 */
	__u32 stack_len;
	__u8 torn;			/* enum pyperf_torn */
	__u8 ntasks;			/* struct pyperf_task after the frames (--async) */
	__u16 weight;			/* periods it stands for: a late tick's, times the brake's 1 of N */
	__u32 reads;			/* of target memory, to take it */
};

/*
 * What userspace needs to name a code object, copied by the kernel the
 * first time it meets it in a process: the str objects and the line
 * table's bytes object as they are in the target (userspace decodes
 * them).  *_len are the bytes in name/file/table.
 */
struct pyperf_code_info {
	__u64 code;
	__u32 fingerprint;
	__s32 firstlineno;
	__u16 name_len;
	__u16 file_len;
	__u32 table_len;
	/*
	 * The first PYPERF_STR_HEAD bytes of each object, characters (bytes)
	 * included where they fit; name/file/table hold them where they do
	 * not (as much as fits).
	 */
	__u8 name_head[PYPERF_STR_HEAD];
	__u8 file_head[PYPERF_STR_HEAD];
	__u8 table_head[PYPERF_STR_HEAD];
	__u8 name[PYPERF_NAME_BYTES];
	__u8 file[PYPERF_FILE_BYTES];
	__u8 table[PYPERF_TABLE_BYTES];
};

struct pyperf_code_record {
	struct pyperf_sample_header hdr;
	struct pyperf_code_info info;
};

struct pyperf_user_regs {
	__u64 ip, sp, bp;
};

struct pyperf_sample {
	struct pyperf_sample_header hdr;
	struct pyperf_frame frames[PYPERF_MAX_FRAMES];	/* innermost first */
	struct pyperf_task tasks[PYPERF_MAX_TASKS];
	__u64 kernel[PYPERF_MAX_KERNEL_FRAMES];
	struct pyperf_user_regs regs;
	__u8 stack[PYPERF_USER_STACK_BYTES];
};

/*
 * A record arrives packed: its tasks right after its NFRAMES frames, its
 * kernel addresses after them, then the registers and STACK_LEN bytes of
 * stack.  Where each part lies in a record of SIZE bytes; NULL when the
 * record is too short for what its header says.
 */
static __inline __u64 pyperf_sample_tasks_at(const struct pyperf_sample *s)
{
	return sizeof(s->hdr) + (__u64)s->hdr.nframes * sizeof(struct pyperf_frame);
}

static __inline const struct pyperf_task *pyperf_sample_tasks(const struct pyperf_sample *s, __u64 size)
{
	__u64 off = pyperf_sample_tasks_at(s);

	return off + (__u64)s->hdr.ntasks * sizeof(struct pyperf_task) <= size ?
	       (const struct pyperf_task *)((const __u8 *)s + off) : 0;
}

static __inline const __u64 *pyperf_sample_kernel(const struct pyperf_sample *s, __u64 size)
{
	__u64 off = pyperf_sample_tasks_at(s) + (__u64)s->hdr.ntasks * sizeof(struct pyperf_task);

	return off + (__u64)s->hdr.nkernel * sizeof(__u64) <= size ?
	       (const __u64 *)((const __u8 *)s + off) : 0;
}

/* The user registers; the stack copy follows them (pyperf_sample_user_stack). */
static __inline const struct pyperf_user_regs *pyperf_sample_regs(const struct pyperf_sample *s,
								   __u64 size)
{
	__u64 off = pyperf_sample_tasks_at(s) + (__u64)s->hdr.ntasks * sizeof(struct pyperf_task) +
		    (__u64)s->hdr.nkernel * sizeof(__u64);

	return off + sizeof(struct pyperf_user_regs) + s->hdr.stack_len <= size ?
	       (const struct pyperf_user_regs *)((const __u8 *)s + off) : 0;
}

static __inline const __u8 *pyperf_sample_user_stack(const struct pyperf_user_regs *regs)
{
	return (const __u8 *)(regs + 1);
}

/* Value of the BPF "brakes" map, keyed by host tgid: the brake's state. */
struct pyperf_brake {
	__u64 window_start_ns;
	__u64 window_cost_ns;		/* BPF time of the samples taken in this window */
	__u64 window_samples;		/* perf samples that hit it, taken or not */
	__u64 counter;			/* samples seen while braked: which to take */
	__u64 skipped;			/* samples not taken, in all */
	__s64 owed_periods;		/* theirs, for the next sample taken (see brake_take()) */
	__u32 level;			/* 1 in 2^level samples taken */
	__u32 max_level;
	/* Its bytes in the ring buffer over the current PYPERF_FAIR_WINDOW_NS. */
	__u64 ring_window_start_ns;
	__u64 ring_window_bytes;
};

/*
 * The ring buffer's fair share: once it is more than half full, a process
 * that has put more than its share of that half (half the ring over the
 * processes profiled) into it in the last PYPERF_FAIR_WINDOW_NS (about one
 * drain) loses its samples first, so one that floods cannot crowd out the
 * others.
 */
#define PYPERF_FAIR_WINDOW_NS	(10ULL * 1000 * 1000)

/* Process lifecycle, pushed into the "proc_events" ring buffer. */
enum pyperf_proc_event_type {
	PYPERF_PROC_EXEC = 1,	/* a watched or profiled process ran execve */
	PYPERF_PROC_FORK = 2,	/* a profiled process forked: child already sampled */
	PYPERF_PROC_EXIT = 3,	/* a watched or profiled process exited */
	PYPERF_PROC_FORK_DROPPED = 4,	/* a fork that did not fit in "procs" */
};

struct pyperf_proc_event {
	__u32 type;
	__u32 pid;		/* host tgid */
	__u32 ppid;		/* FORK: the parent */
	__u32 pad;
	__u64 timestamp_ns;
};

/* Values of the "watched" map: whose lifecycle is reported. */
enum pyperf_watch {
	PYPERF_WATCH_SELF = 1,		/* this process's exec and exit */
	PYPERF_WATCH_DESCENDANTS = 2,	/* ... and every process it forks */
};

/*
 * Buckets of the histogram of CPU samples' cost: bucket K counts samples of
 * [2^K, 2^(K+1)) ns (bucket 0 also the faster ones, the last the slower).
 */
#define PYPERF_COST_BUCKETS	24

/* Per-CPU counters, indexes into the "stats" map. */
enum pyperf_stat {
	PYPERF_STAT_SAMPLES,		/* perf samples that hit a profiled process */
	PYPERF_STAT_SUBMITTED,		/* samples pushed into the ring buffer */
	PYPERF_STAT_LOST,		/* ring buffer full */
	PYPERF_STAT_READ_ERRORS,	/* samples with a failed read */
	PYPERF_STAT_NO_TSTATE,		/* thread without a PyThreadState */
	PYPERF_STAT_TRUNCATED,
	PYPERF_STAT_OFF_CPU,		/* --mode wall: switches out */
	PYPERF_STAT_READS,		/* reads of target memory (the walk's main cost) */
	PYPERF_STAT_UNREADABLE,		/* samples whose walk stopped at an unreadable frame */
	PYPERF_STAT_TORN,		/* samples whose chain broke a rule (torn mid-update) */
	PYPERF_STAT_TSTATE_PENDING,	/* samples taken while the thread state was looked for */
	PYPERF_STAT_TSTATE_SEARCHES,	/* samples that looked for a thread state */
	PYPERF_STAT_CODES_REPORTED,	/* code objects reported with their names */
	PYPERF_STAT_CODE_BYTES,		/* bytes of those reports */
	PYPERF_STAT_CODES_LOST,		/* reports that did not fit in the ring buffer */
	PYPERF_STAT_BUDGET,		/* samples cut by the read budget */
	PYPERF_STAT_BRAKED,		/* samples the brake did not take */
	PYPERF_STAT_UNFAIR,		/* samples refused for their process's share of the ring */
	PYPERF_STAT_MAX_SAMPLE_NS,	/* the costliest CPU sample so far (a maximum, not a sum) */
	PYPERF_STAT_MAX_READS,		/* the most reads one sample made (a maximum) */
	/* With stage_times (--stats-stages): where samples' time went, in ns. */
	PYPERF_STAT_NS_THREAD,		/* set-up and the thread state with its top frame */
	PYPERF_STAT_NS_WALK,		/* the frame walk, frames resolved (and --gil) */
	PYPERF_STAT_NS_SUBMIT,		/* native stacks, the ring buffer, the counters */
	PYPERF_STAT_MAX,
};

/*
 * Fingerprint of a code object from fields that change when its memory is
 * reused: the name/file/line-table object addresses, the first line, and the
 * cached hash of the (qualified) name, which covers the name's text.
 * Computed identically in BPF and userspace.
 */
static __inline __u32 pyperf_fingerprint(__u64 name, __u64 file, __u64 linetable,
					 __u32 firstlineno, __u64 name_hash)
{
	__u64 h = 0x9e3779b97f4a7c15ULL;

	h = (h ^ name) * 0xff51afd7ed558ccdULL;
	h = (h ^ file) * 0xc4ceb9fe1a85ec53ULL;
	h = (h ^ linetable) * 0xff51afd7ed558ccdULL;
	h = (h ^ firstlineno) * 0xc4ceb9fe1a85ec53ULL;
	h = (h ^ name_hash) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	/* 0 is reserved for "could not read the code object" */
	return (__u32)h ? (__u32)h : 1;
}

#endif /* PYBPF_PYPERF_H */
