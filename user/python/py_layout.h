/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPython memory layouts, as data.  Every version-specific fact pybpf uses
 * lives in a struct py_layout: the BPF half (struct pyperf_offsets) goes into
 * the kernel, the rest drives symbolization in userspace.
 */
#ifndef PYBPF_PY_LAYOUT_H
#define PYBPF_PY_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include "pyperf.h"
#include "python/linetable.h"

/*
 * A dict's layout (Include/cpython/dictobject.h, Objects/dict-common.h up to
 * 3.10, Include/internal/pycore_dict.h from 3.11), for the dict walk
 * (py_dict.c).  Entries are { hash, key, value } (general, 24 bytes) or,
 * from 3.11, { key, value } in tables of str keys (unicode and split kinds).
 */
struct py_dict_layout {
	uint16_t keys;			/* PyDictObject.ma_keys */
	uint16_t values;		/* PyDictObject.ma_values: non-NULL for a split table */
	/* PyDictKeysObject */
	uint16_t keys_size;		/* dk_size (Py_ssize_t, up to 3.10) or dk_log2_size (u8) */
	bool log2_size;			/* keys_size holds log2 of the table size */
	uint16_t keys_log2_index_bytes;	/* u8; NONE: the width follows from dk_size */
	uint16_t keys_kind;		/* dk_kind (u8); NONE: every table is general */
	uint8_t kind_general;		/* the dk_kind of general (24-byte) entries */
	uint16_t keys_nentries;		/* dk_nentries (Py_ssize_t) */
	uint16_t keys_indices;		/* dk_indices: the index table, entries after it */
	uint8_t general_entry_size;	/* { hash, key, value } */
	uint8_t unicode_entry_size;	/* { key, value } of non-general kinds */
	uint16_t values_array;		/* PyDictValues.values (split values, per entry) */
};

/*
 * Where an instance keeps its attributes (Include/internal/pycore_object.h):
 * in a dict at tp_dictoffset up to 3.10; from 3.11 in a "managed" dict or
 * values slot before the object, and in 3.13 in values inline after it.
 * Values without a dict use the keys cached in the heap type.
 */
struct py_instance_layout {
	/* PyTypeObject / PyHeapTypeObject */
	uint16_t type_name;		/* tp_name (const char *) */
	uint16_t type_basicsize, type_flags, type_dictoffset, heaptype_cached_keys;
	uint64_t managed_dict_flag;	/* Py_TPFLAGS_MANAGED_DICT; 0: the dict is at tp_dictoffset */
	uint64_t inline_values_flag;	/* Py_TPFLAGS_INLINE_VALUES; 0: none */
	int8_t managed_dict;		/* the dict pointer's slot, in bytes from the object */
	int8_t managed_values;		/* the values pointer's own slot (3.11); 0: none */
	/* 3.12: the dict slot holds the values pointer minus this when its low bit is set */
	uint8_t values_tag;
	uint16_t inline_values_valid;	/* PyDictValues.valid (u8): not moved into a dict */
};

/* PyLongObject with 30-bit digits (Include/cpython/longintrepr.h). */
struct py_long_layout {
	uint16_t size;			/* ob_size (signed digit count) or lv_tag */
	bool lv_tag;			/* 3.12+: digits << 3 | sign (0 +, 1 zero, 2 -) */
	uint16_t digits;		/* ob_digit */
};

/* PySetObject (Include/cpython/setobject.h): a table of { key, hash } entries. */
struct py_set_layout {
	uint16_t mask;			/* slots - 1 (Py_ssize_t) */
	uint16_t table;			/* setentry *table */
};

/* PyListObject (Include/cpython/listobject.h). */
struct py_list_layout {
	uint16_t size;			/* ob_size (Py_ssize_t) */
	uint16_t items;			/* PyObject **ob_item */
};

/* What the object readers (py_objects.c) read; supported false: nothing. */
struct py_objects_layout {
	bool supported;
	uint16_t interp_modules;	/* PyInterpreterState: sys.modules (a dict) */
	uint16_t module_dict;		/* PyModuleObject.md_dict */
	struct py_dict_layout dict;
	struct py_instance_layout instance;
	struct py_long_layout ints;
	struct py_set_layout set;
	struct py_list_layout list;
	uint16_t tuple_items;		/* PyTupleObject.ob_item (inline) */
	uint16_t weakref_object;	/* PyWeakReference.wr_object (Py_None once dead) */
	uint16_t method_self;		/* PyMethodObject.im_self (a bound method's object) */
	uint16_t type_base;		/* PyTypeObject.tp_base */
};

/*
 * How a coroutine suspended in an await is told from one suspended
 * elsewhere (CPython's _PyGen_yf): by its frame state alone (3.13+), or
 * by the instruction after the one its frame stopped at: YIELD_FROM up to
 * 3.10, a RESUME (or a variant) with an oparg of at least 2 in 3.11/3.12.
 */
struct py_await_test {
	int8_t state;			/* gi_frame_state of such a coroutine (3.11+) */
	uint8_t opcodes[2];		/* the next instruction is one of these; 0: unused */
	uint8_t min_oparg;
	uint8_t items_above;		/* stack items above the awaited object (3.15: 1, a NULL) */
};

/*
 * Where the coroutine chain of a suspended task continues, the object on
 * top of the value stack of a frame suspended in an await, is found as the
 * BPF program finds it: enum pyperf_stack_top, PYPERF_ASYNC_NO_STATE.
 */
_Static_assert(PYPERF_ASYNC_NO_STATE == INT16_MIN, "no state: no int16_t offset is it");

/*
 * 3.14+'s Py_AsyncioModuleDebugOffsets (the .AsyncioDebug section, in the
 * _asyncio extension or the interpreter): the task fields, and where the
 * interpreter and each thread state keep their tasks and the running one.
 */
struct py_asyncio_debug {
	uint64_t task_size, task_name, task_awaited_by, task_is_task, task_awaited_by_is_set;
	uint64_t task_coro, task_node;
	uint64_t interp_size, interp_tasks_head;
	uint64_t tstate_size, tstate_running_loop, tstate_running_task, tstate_tasks_head;
};
_Static_assert(sizeof(struct py_asyncio_debug) == 13 * 8, "the section is 13 u64 offsets");

/*
 * asyncio's C tasks (Modules/_asynciomodule.c's FutureObj and TaskObj),
 * the registries asyncio.tasks keeps them in, and the coroutine objects
 * they run (PyCoroObject): what `dump --async` reads.  supported false:
 * nothing.  3.14+ take the task's name, coroutine and list node and the
 * thread states' fields from .AsyncioDebug (needs_debug_section); the
 * table holds the rest, and the section must agree with its task_coro.
 */
struct py_asyncio_layout {
	bool supported;
	/* Names in asyncio.tasks' globals. */
	const char *all_tasks;		/* WeakSet of the scheduled tasks */
	const char *eager_tasks;	/* set of the eager tasks (3.12+), NULL: none */
	const char *current_tasks;	/* dict: event loop -> the task it runs now */
	const char *weakref_type;	/* tp_name of weakref.ref */
	/*
	 * The module of TaskGroup (3.11-3.13), whose children's parent the
	 * sampler reads from the group; NULL: none, or the runtime records
	 * who awaits a task itself (3.14+).
	 */
	const char *taskgroups;
	/* FutureObj / TaskObj */
	uint16_t future_loop, future_callback0, future_callbacks, future_state;
	uint16_t task_fut_waiter, task_coro, task_name;
	/*
	 * Who awaits a future: the first done callback of a future a task
	 * awaits wakes that task up, and holds it (TaskWakeupMethWrapper's
	 * ww_task up to 3.9, then a bound builtin method's m_self).  gather()'s
	 * callback is a function whose closure holds its _GatheringFuture, in
	 * a cell (ob_ref at cell_ref).
	 */
	uint16_t wakeup_task, function_closure, cell_ref;
	/* PyCoroObject: its frame, embedded (3.11+) or a PyFrameObject pointer */
	uint16_t coro_frame;
	bool coro_frame_embedded;
	/* A PyFrameObject's f_gen (<= 3.10): the generator it runs, checked
	 * against the coroutine (frames are reused once one returns). */
	uint16_t frame_gen;
	/* The frame's state byte, from the frame's address: f_state (3.10),
	 * gi_frame_state before the embedded frame (3.11+); PYPERF_ASYNC_NO_STATE
	 * (3.8, 3.9): suspended is f_stacktop set. */
	int16_t frame_state;
	int8_t frame_finished;		/* states from this one on: the frame is gone */
	int8_t frame_executing;		/* the state of a frame running now */
	struct py_await_test await;
	/* The frame's value stack */
	enum pyperf_stack_top stack_top;
	uint16_t frame_stack;		/* f_stacktop, f_valuestack or localsplus */
	uint16_t frame_stack_depth;	/* f_stackdepth or stacktop (int); unused for POINTER */
	/* 3.14+: the tasks are in linked lists, found through .AsyncioDebug */
	bool needs_debug_section;
	struct py_asyncio_debug debug;	/* filled from the section; zero until then */
};

struct py_layout {
	int major, minor;
	bool free_threaded;
	/*
	 * 3.13+: the struct offsets are not in the table; they come from the
	 * target's own _Py_DebugOffsets (debug_offsets.c).  The table then
	 * holds only what the runtime does not export.
	 */
	bool needs_debug_offsets;
	/* Up to 3.10 every Python frame is a C call of the eval loop of its own. */
	bool eval_call_per_frame;
	struct pyperf_offsets bpf;

	/* PyObject */
	uint16_t object_refcnt;		/* ob_refcnt (64-bit), NONE: no liveness test */
	uint16_t object_type;		/* ob_type */
	/* The GIL's own fields are in bpf (the sampler reads them too). */
	uint16_t interp_gil_embedded;	/* PyInterpreterState._gil (3.13+ parsing aid) */
	/* PyCodeObject */
	uint16_t code_code;		/* co_code bytes object (<= 3.10), else NONE */
	enum linetable_format linetable_format;
	struct py_objects_layout objects;
	struct py_asyncio_layout asyncio;
};

/*
 * The built-in entry for MAJOR.MINOR (free-threaded or not), or NULL if
 * pybpf has none.  Check needs_debug_offsets before using its offsets.
 */
const struct py_layout *py_layout_static(int major, int minor, bool free_threaded);

/* The newest minor of MAJOR the table knows. */
int py_layout_newest_minor(int major);

/* "3.8-3.15" style description of the versions the table knows. */
const char *py_layout_supported(void);

#endif
