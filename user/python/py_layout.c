// SPDX-License-Identifier: BSD-3-Clause
/*
 * Built-in CPython layouts, one entry per minor version (and per
 * free-threaded build where it differs).  For 3.8-3.12 the entries hold every
 * offset, computed with offsetof() against each version's own headers and
 * re-checked by tests/layout/check_layout.c (tools/check-layouts.sh) against
 * every CPython header set installed on the machine.  From 3.13 on, struct
 * offsets come from the target's _Py_DebugOffsets at run time, so a patch
 * release that moves a field needs no new pybpf; the entries here keep only
 * what the runtime does not export (tag bits, owner values, string state
 * bits, line-table format).
 *
 * Sources: Include/cpython/pystate.h, Include/internal/pycore_{runtime,
 * interp,frame,interpframe_structs,stackref}.h, Include/cpython/{code,
 * unicodeobject}.h, Include/object.h.
 */
#include <stddef.h>
#include <stdio.h>
#include "python/py_layout.h"
#include "base/array.h"

#define NONE PYPERF_OFF_NONE

/* Fields that most entries do not have. */
#define NO_TLBC .frame_tlbc_index = NONE, .code_tlbc = NONE, .code_tlbc_entries = NONE

/* PyObject / PyVarObject / PyBytesObject in a default (GIL) build. */
#define OBJECT_DEFAULT .object_refcnt = 0, .object_type = 8
#define BYTES_DEFAULT .varobject_size = 16, .bytes_data = 32

/* PEP 393 string state bits: default builds and 3.13t. */
#define STR_STATE_DEFAULT \
	.str_kind_mask = 0x1c, .str_kind_shift = 2, \
	.str_compact_mask = 0x20, .str_ascii_mask = 0x40

/* 3.14t+ widened `interned` to a byte, moving the other bits up. */
#define STR_STATE_FT314 \
	.str_kind_mask = 0x700, .str_kind_shift = 8, \
	.str_compact_mask = 0x800, .str_ascii_mask = 0x1000

/* PyASCIIObject up to 3.11 still has the wstr pointer. */
#define STR_WITH_WSTR \
	.str_length = 16, .str_state = 32, .str_ascii_data = 48, .str_compact_data = 72

/*
 * Frames on no data stack (PyFrameObjects up to 3.10): no chunk, no frame
 * sizes to check, and a chain is whole wherever f_back is NULL.
 */
#define NO_DATA_STACK \
	.tstate_datastack_chunk = NONE, .tstate_base_frame = NONE, .cframe_previous = NONE, \
	.base_kind = PYPERF_BASE_NULL, .owner_thread = 0xff, \
	.code_framesize = NONE, .code_framesize_plus = NONE, .framesize_words = 0, \
	.chunk_first_frame = 0

/*
 * 3.11+ data stacks: frames owned by the thread (owner 0) sit on mmap'd
 * chunks, the first frame of a chunk its 24-byte header in (32 in the
 * first chunk, which skips a slot).
 */
#define DATA_STACK .owner_thread = 0, .chunk_first_frame = 32

/*
 * 3.8-3.10 walk PyFrameObjects from tstate->frame through f_back and store
 * the position as the int f_lasti, in bytes (3.8/3.9) or code units (3.10).
 */
#define FRAME_OBJECT_WALK(lasti_at, unit) \
	.tstate_frame = 24, .cframe_current_frame = NONE, \
	.frame_previous = 24, .frame_code = 32, .frame_instr = lasti_at, \
	.frame_owner = NONE, .frame_read_size = (lasti_at) + 8, \
	.instr_kind = PYPERF_INSTR_LASTI, .lasti_unit = unit, \
	.owner_skip_from = 255, .code_tag_mask = 0, NO_TLBC, \
	.code_adaptive = NONE, NO_DATA_STACK

/* PyCodeObject 3.8-3.10: no co_qualname, so frames show co_name. */
#define CODE_38 \
	.code_firstlineno = 40, .code_name = 112, .code_filename = 104, \
	.code_linetable = 120, .code_version = NONE, .code_read_size = 128, .str_hash = 24

/* Up to 3.11 a thread state has no _status: each counts as active. */
#define NO_TSTATE_STATUS .tstate_status = NONE, .tstate_active_mask = 0

/* _status.active: bit 4 of the bit-field in 3.12-3.15 (initialized, bound, unbound, bound_gilstate, active). */
#define TSTATE_ACTIVE_BIT 0x10

#define RUNTIME_38 \
	.runtime_interp_head = 32, .interp_next = 0, .interp_threads_head = 8, \
	.tstate_next = 8, .tstate_thread_id = 176, .tstate_native_thread_id = NONE, \
	.tstate_read_size = 184, NO_TSTATE_STATUS

/*
 * The GIL struct (_gil_runtime_state: last_holder at 8, locked at 16 in every
 * version) is embedded in _PyRuntime.ceval up to 3.11; from 3.12 each
 * interpreter points to the one it uses from ceval.gil.
 */
#define GIL_FIELDS .gil_holder = 8, .gil_locked = 16, .gil_span = 208
#define GIL_IN_RUNTIME(at) \
	.runtime_ceval_gil = at, .interp_gil = NONE, GIL_FIELDS

/*
 * The thread-name reader's objects.  PyDictObject, PyTypeObject's fields,
 * PyModuleObject.md_dict and the 30-bit PyLongObject digits sit at the same
 * places in every version; the keys object changed in 3.11 (log2 sizes,
 * kinds, 16-byte entries for str keys), PyDictValues gained a 8-byte header
 * in 3.13, ints a tagged size in 3.12.  Sources: Include/cpython/
 * {dictobject,object,longintrepr}.h, Objects/dict-common.h (<= 3.10),
 * Include/internal/pycore_{dict,object,interp}.h.
 */
/*
 * HEAD is sizeof(PyObject): 16, or 32 in free-threaded builds (ob_tid and
 * split reference counts before ob_type), which moves every object field.
 */
#define DICT_COMMON(head) .keys = (head) + 16, .values = (head) + 24, .general_entry_size = 24
#define DICT_SIZED { DICT_COMMON(16), \
	.keys_size = 8, .log2_size = false, .keys_log2_index_bytes = NONE, .keys_kind = NONE, \
	.keys_nentries = 32, .keys_indices = 40, .unicode_entry_size = 24, .values_array = 0 }
#define DICT_LOG2(head, values_at) { DICT_COMMON(head), \
	.keys_size = 8, .log2_size = true, .keys_log2_index_bytes = 9, .keys_kind = 10, \
	.kind_general = 0, .keys_nentries = 24, .keys_indices = 32, .unicode_entry_size = 16, \
	.values_array = values_at }
/* tp_name follows PyVarObject's ob_size; the rest keep their distance from it. */
#define TYPE_FIELDS(head, cached_keys_at) \
	.type_name = (head) + 8, .type_basicsize = (head) + 16, .type_flags = (head) + 152, \
	.type_dictoffset = (head) + 272, .heaptype_cached_keys = cached_keys_at
#define MANAGED_DICT_FLAG (1ULL << 4)	/* Py_TPFLAGS_MANAGED_DICT, 3.11+ */
/* The instance's fields come last, as the rest of the arguments. */
/* 3.14+ cache a tuple's hash (ob_hash) before its items: TUPLE_HASHED. */
#define OBJECTS(head, modules_at, dict_layout, lv_tagged, tuple_hashed, ...) { \
	.supported = true, .interp_modules = modules_at, .module_dict = head, \
	.dict = dict_layout, .instance = { __VA_ARGS__ }, \
	.ints = { .size = head, .lv_tag = lv_tagged, .digits = (head) + 8 }, \
	.set = { .mask = (head) + 16, .table = (head) + 24 }, \
	.list = { .size = head, .items = (head) + 8 }, .tuple_items = (head) + ((tuple_hashed) ? 16 : 8), \
	.weakref_object = head, .method_self = (head) + 8, .type_base = (head) + 240 }

/* 3.8-3.10: the attributes' dict is at the type's tp_dictoffset. */
#define OBJECTS_38_310(modules_at, cached_keys_at) \
	OBJECTS(16, modules_at, DICT_SIZED, false, false, TYPE_FIELDS(16, cached_keys_at))

/* 3.11: the dict pointer at -24, the values pointer at -32 (both before the GC header). */
#define OBJECTS_311 OBJECTS(16, 888, DICT_LOG2(16, 0), false, false, TYPE_FIELDS(16, 872), \
	.managed_dict_flag = MANAGED_DICT_FLAG, .managed_dict = -24, .managed_values = -32)

/* 3.12: one slot at -24 for a dict, or values tagged by the low bit. */
#define OBJECTS_312 OBJECTS(16, 944, DICT_LOG2(16, 0), true, false, TYPE_FIELDS(16, 880), \
	.managed_dict_flag = MANAGED_DICT_FLAG, .managed_dict = -24, .values_tag = 1)

/*
 * 3.13: the dict pointer at -24, else the values inline after the object
 * (Py_TPFLAGS_INLINE_VALUES).  sys.modules comes from _Py_DebugOffsets.
 */
#define OBJECTS_FROM_313(cached_keys_at, tuple_hashed) \
	OBJECTS(16, NONE, DICT_LOG2(16, 8), true, tuple_hashed, TYPE_FIELDS(16, cached_keys_at), \
	.managed_dict_flag = MANAGED_DICT_FLAG, .inline_values_flag = 1ULL << 2, \
	.managed_dict = -24, .inline_values_valid = 3)
#define OBJECTS_313 OBJECTS_FROM_313(880, false)

/*
 * 3.13 free-threaded: 32-byte object headers, and no GC header before an
 * object (the collector finds objects in the allocator's heaps), so the
 * managed dict pointer is the word just before it.
 */
#define OBJECTS_313_FREE_THREADED OBJECTS(32, NONE, DICT_LOG2(32, 8), true, false, TYPE_FIELDS(32, 896), \
	.managed_dict_flag = MANAGED_DICT_FLAG, .inline_values_flag = 1ULL << 2, \
	.managed_dict = -8, .inline_values_valid = 3)

/*
 * asyncio (Modules/_asynciomodule.c, not in any header: the integration
 * tests read real tasks on every version).  FutureObj's fields start with
 * the loop and the first callback, its context and the callbacks list;
 * fut_state (0 pending, 1 cancelled, 2 finished) and TaskObj's fields move
 * with each version.  The registries are asyncio.tasks' globals.
 */
#define ASYNCIO_FUTURE(head, state_at) \
	.supported = true, .future_loop = head, .future_callback0 = (head) + 8, \
	.future_callbacks = (head) + 24, .future_state = state_at, .cell_ref = head
/* PyFunctionObject.func_closure: after 3.10's COMMON_FIELDS, or 3.8's five pointers. */
#define CLOSURE_38_39 .function_closure = 48
#define CLOSURE_FROM_310(head) .function_closure = (head) + 56
/* The wakeup callback: TaskWakeupMethWrapper up to 3.9, a PyCFunctionObject after. */
#define WAKEUP_WRAPPER .wakeup_task = 16
#define WAKEUP_CFUNCTION(head) .wakeup_task = (head) + 8
#define ASYNCIO_TASK(waiter_at) \
	.task_fut_waiter = waiter_at, .task_coro = (waiter_at) + 8, .task_name = (waiter_at) + 16
/* 3.11-3.13: TaskGroup, which does not yet record the tasks awaiting its children. */
#define TASKGROUPS .taskgroups = "asyncio.taskgroups"
#define ASYNCIO_UP_TO_311(weakref_name) \
	.all_tasks = "_all_tasks", .eager_tasks = NULL, .current_tasks = "_current_tasks", \
	.weakref_type = weakref_name
#define ASYNCIO_FROM_312 \
	.all_tasks = "_scheduled_tasks", .eager_tasks = "_eager_tasks", \
	.current_tasks = "_current_tasks", .weakref_type = "weakref.ReferenceType"

#define YIELD_FROM 72		/* opcode, 3.8-3.10 */
#define RESUME 151		/* opcode, 3.11-3.12 */
#define RESUME_QUICK 150	/* 3.11's quickened RESUME */
#define INSTRUMENTED_RESUME 240	/* 3.12's RESUME under sys.monitoring */
#define FRAME_STATE_NONE INT8_MIN	/* no frame state to test (3.8, 3.9) */

/* 3.8, 3.9: gi_frame points to a PyFrameObject, suspended while f_stacktop is set. */
#define ASYNCIO_38_39(state_at, waiter_at) { ASYNCIO_UP_TO_311("weakref"), \
	ASYNCIO_FUTURE(16, state_at), ASYNCIO_TASK(waiter_at), CLOSURE_38_39, WAKEUP_WRAPPER, \
	.coro_frame = 16, .coro_frame_embedded = false, .frame_gen = 96, \
	.frame_state = PYPERF_ASYNC_NO_STATE, \
	.await = { .state = FRAME_STATE_NONE, .opcodes = { YIELD_FROM } }, \
	.stack_top = PYPERF_STACK_TOP_POINTER, .frame_stack = 72, .frame_stack_depth = NONE }
/* 3.10: the frame has a state (FRAME_SUSPENDED -1) and a stack depth. */
#define ASYNCIO_310 { ASYNCIO_UP_TO_311("weakref.ReferenceType"), ASYNCIO_FUTURE(16, 88), ASYNCIO_TASK(152), \
	CLOSURE_FROM_310(16), WAKEUP_CFUNCTION(16), \
	.coro_frame = 16, .coro_frame_embedded = false, .frame_gen = 88, \
	.frame_state = 108, .frame_finished = 1, \
	.frame_executing = 0, \
	.await = { .state = -1, .opcodes = { YIELD_FROM } }, \
	.stack_top = PYPERF_STACK_TOP_DEPTH, .frame_stack = 64, .frame_stack_depth = 80 }
/*
 * 3.11+: the frame is embedded in the coroutine, gi_frame_state the byte
 * 5 before it (then padding); the stack is localsplus[stacktop - 1].
 */
#define EMBEDDED_FRAME(frame_at, finished, executing) \
	.coro_frame = frame_at, .coro_frame_embedded = true, .frame_gen = NONE, \
	.frame_state = -5, .frame_finished = finished, .frame_executing = executing
#define ASYNCIO_EMBEDDED(frame_at, suspended_state, ...) \
	EMBEDDED_FRAME(frame_at, 1, 0), \
	.await = { .state = suspended_state, __VA_ARGS__ }, \
	.stack_top = PYPERF_STACK_TOP_INDEX, .frame_stack = 72, .frame_stack_depth = 64
#define ASYNCIO_311 { ASYNCIO_UP_TO_311("weakref.ReferenceType"), ASYNCIO_FUTURE(16, 88), ASYNCIO_TASK(128), \
	TASKGROUPS, CLOSURE_FROM_310(16), WAKEUP_CFUNCTION(16), \
	ASYNCIO_EMBEDDED(80, -1, .opcodes = { RESUME, RESUME_QUICK }, .min_oparg = 2) }
#define ASYNCIO_312 { ASYNCIO_FROM_312, ASYNCIO_FUTURE(16, 88), ASYNCIO_TASK(128), \
	TASKGROUPS, CLOSURE_FROM_310(16), WAKEUP_CFUNCTION(16), \
	ASYNCIO_EMBEDDED(72, -1, .opcodes = { RESUME, INSTRUMENTED_RESUME }, .min_oparg = 2) }
/* 3.13: FRAME_SUSPENDED_YIELD_FROM (-1) says it alone. */
#define ASYNCIO_313(head) { ASYNCIO_FROM_312, ASYNCIO_FUTURE(head, (head) + 80), \
	TASKGROUPS, CLOSURE_FROM_310(head), WAKEUP_CFUNCTION(head), \
	ASYNCIO_TASK((head) + 96), ASYNCIO_EMBEDDED((head) + 56, -1, .opcodes = { 0 }) }
/*
 * 3.14: FutureObj gained fut_awaited_by before fut_state, and lost its dict
 * and weakref list (managed now); fut_waiter still comes just before
 * task_coro.  The value stack's top is a stackpointer, its items tagged.
 */
#define ASYNCIO_FROM_314(finished, executing, suspended_yield_from, above) { ASYNCIO_FROM_312, \
	ASYNCIO_FUTURE(16, 104), CLOSURE_FROM_310(16), WAKEUP_CFUNCTION(16), ASYNCIO_TASK(120), \
	EMBEDDED_FRAME(72, finished, executing), \
	.await = { .state = suspended_yield_from, .opcodes = { 0 }, .items_above = above }, \
	.stack_top = PYPERF_STACK_TOP_TAGGED_POINTER, .frame_stack = 64, .frame_stack_depth = NONE, \
	.needs_debug_section = true }
/*
 * 3.15 renumbered the frame states (FRAME_CLEARED 5, FRAME_EXECUTING 4,
 * FRAME_SUSPENDED_YIELD_FROM 2), and a suspended await keeps a NULL above
 * the object it awaits (read off live coroutines: stackpointer[-2] is
 * cr_await for coroutines, futures, tasks and yield from alike).
 */
#define ASYNCIO_314 ASYNCIO_FROM_314(1, 0, -1, 0)
#define ASYNCIO_315 ASYNCIO_FROM_314(5, 4, 2, 1)
#define NO_ASYNCIO { .supported = false }

#define LAYOUT_38_310(min, lasti_at, unit, format, gil_at, modules_at, cached_keys_at, asyncio_layout) { \
	.major = 3, .minor = min, .interp_gil_embedded = NONE, \
	.bpf = { RUNTIME_38, FRAME_OBJECT_WALK(lasti_at, unit), CODE_38, \
		 GIL_IN_RUNTIME(gil_at), .tstate_interp = 16, .frame_is_entry = NONE, \
		 BYTES_DEFAULT, STR_WITH_WSTR, STR_STATE_DEFAULT }, \
	OBJECT_DEFAULT, \
	.code_code = 48, .linetable_format = format, .eval_call_per_frame = true, \
	.objects = OBJECTS_38_310(modules_at, cached_keys_at), \
	.asyncio = asyncio_layout, \
}

/*
 * 3.13+ default and free-threaded builds: only what _Py_DebugOffsets does
 * not say.  Owner values >= 3 are the interpreter's entry/shim frames (and
 * 3.15's base-frame sentinel); from 3.14 f_executable is a tagged
 * _PyStackRef whose low bits must be cleared.  A whole chain ends at a shim
 * (3.13, 3.14) or at the thread state's own base frame (3.15, whose
 * tstate->base_frame the runtime exports).  co_framesize is not exported.
 */
#define DEBUG_OFFSETS_BASE(min, tag, ft, str_hash_at, refcnt_at, str_state, base, framesize_at, objects_layout, \
			   asyncio_layout) { \
	.major = 3, .minor = min, .free_threaded = ft, .needs_debug_offsets = true, \
	.bpf = { .cframe_current_frame = NONE, .cframe_previous = NONE, \
		 .instr_kind = PYPERF_INSTR_PTR, \
		 .lasti_unit = 2, .owner_skip_from = 3, .code_tag_mask = tag, \
		 .frame_tlbc_index = NONE, .code_tlbc = NONE, \
		 .code_tlbc_entries = 8,	/* _PyCodeArray: { Py_ssize_t size; char *entries[]; } */ \
		 .str_hash = str_hash_at, .runtime_ceval_gil = NONE, \
		 .frame_is_entry = NONE, str_state, .base_kind = base, DATA_STACK, \
		 /* _status follows eval_breaker; exported from 3.14 */ \
		 .tstate_status = 32, .tstate_active_mask = TSTATE_ACTIVE_BIT, \
		 .code_framesize = framesize_at, .code_framesize_plus = NONE, \
		 .framesize_words = 0, \
		 /* co_nlocals, co_ncellvars, co_nfreevars, then co_version */ \
		 .code_version = (framesize_at) + 16, \
		 /* _Py_DebugOffsets has the GIL's fields, not its size */ \
		 .gil_span = (ft) ? 0 : 208 }, \
	.object_refcnt = refcnt_at, .code_code = NONE, \
	.linetable_format = LINETABLE_LOCATIONS, \
	.objects = objects_layout, \
	.asyncio = asyncio_layout, \
}

/* 3.14 keeps 3.13's objects but for tuples' hash; 3.15's heap types grew (ht_cached_keys at 888). */
#define OBJECTS_314 OBJECTS_FROM_313(880, true)
#define OBJECTS_315 OBJECTS_FROM_313(888, true)
#define NO_OBJECTS { .supported = false }

static const struct py_layout layouts[] = {
	LAYOUT_38_310(8, 104, 1, LINETABLE_LNOTAB, 1152, 56, 872, ASYNCIO_38_39(72, 104)),
	LAYOUT_38_310(9, 104, 1, LINETABLE_LNOTAB, 352, 856, 864, ASYNCIO_38_39(80, 144)),
	LAYOUT_38_310(10, 96, 2, LINETABLE_310, 352, 856, 872, ASYNCIO_310),
	{
		.major = 3, .minor = 11,
		.interp_gil_embedded = NONE,
		.bpf = {
			GIL_IN_RUNTIME(360),
			.tstate_interp = 16,
			.frame_is_entry = 68,		/* marks a C-level eval call's first frame */
			.runtime_interp_head = 40,
			.interp_next = 0,
			.interp_threads_head = 16,
			.tstate_next = 8,
			.tstate_thread_id = 152,
			.tstate_native_thread_id = 160,
			.tstate_frame = 56,		/* tstate->cframe */
			.tstate_datastack_chunk = 296,
			.tstate_base_frame = NONE,
			.tstate_read_size = 320,
			NO_TSTATE_STATUS,
			.cframe_current_frame = 8,
			.cframe_previous = 16,
			.frame_previous = 48,
			.frame_code = 32,
			.frame_instr = 56,		/* prev_instr */
			.frame_owner = 69,
			.frame_read_size = 72,
			.instr_kind = PYPERF_INSTR_PTR,
			.lasti_unit = 2,
			.owner_skip_from = 255,		/* 3.11 has no shim frames */
			.code_tag_mask = 0,
			.base_kind = PYPERF_BASE_ENTRY,
			DATA_STACK,
			NO_TLBC,
			.code_adaptive = 184,
			.code_firstlineno = 72,
			.code_name = 128,		/* co_qualname */
			.code_filename = 112,
			.code_linetable = 136,
			.code_version = NONE,
			/* No co_framesize yet: co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE */
			.code_framesize = 76,
			.code_framesize_plus = 68,
			.framesize_words = 9,
			.code_read_size = 144,
			.str_hash = 24,
			BYTES_DEFAULT,
			STR_WITH_WSTR,
			STR_STATE_DEFAULT,
		},
		OBJECT_DEFAULT,
		.code_code = NONE,
		.linetable_format = LINETABLE_LOCATIONS,
		.objects = OBJECTS_311,
		.asyncio = ASYNCIO_311,
	},
	{
		.major = 3, .minor = 12,
		.interp_gil_embedded = 1040,
		.bpf = {
			/* Each interpreter may own a GIL: follow ceval.gil. */
			.runtime_ceval_gil = NONE, .interp_gil = 384, GIL_FIELDS,
			.tstate_interp = 16,
			.frame_is_entry = NONE,		/* shim frames mark eval calls */
			.runtime_interp_head = 40,
			.interp_next = 0,
			.interp_threads_head = 72,
			.tstate_next = 8,
			.tstate_thread_id = 136,
			.tstate_native_thread_id = 144,
			.tstate_frame = 56,		/* tstate->cframe */
			.tstate_datastack_chunk = 232,
			.tstate_base_frame = NONE,
			.tstate_read_size = 256,
			.tstate_status = 24, .tstate_active_mask = TSTATE_ACTIVE_BIT,
			.cframe_current_frame = 0,
			.cframe_previous = 8,
			.frame_previous = 8,
			.frame_code = 0,
			.frame_instr = 56,		/* prev_instr */
			.frame_owner = 70,
			.frame_read_size = 72,
			.instr_kind = PYPERF_INSTR_PTR,
			.lasti_unit = 2,
			.owner_skip_from = 3,		/* FRAME_OWNED_BY_CSTACK */
			.code_tag_mask = 0,
			.base_kind = PYPERF_BASE_SHIM,
			DATA_STACK,
			NO_TLBC,
			.code_adaptive = 192,
			.code_firstlineno = 68,
			.code_name = 128,		/* co_qualname */
			.code_filename = 112,
			.code_linetable = 136,
			.code_version = 92,
			.code_framesize = 76,
			.code_framesize_plus = NONE,
			.framesize_words = 0,
			.code_read_size = 144,
			.str_hash = 24,
			BYTES_DEFAULT,
			.str_length = 16, .str_state = 32, .str_ascii_data = 40, .str_compact_data = 56,
			STR_STATE_DEFAULT,
		},
		OBJECT_DEFAULT,
		.code_code = NONE,
		.linetable_format = LINETABLE_LOCATIONS,
		.objects = OBJECTS_312,
		.asyncio = ASYNCIO_312,
	},
	DEBUG_OFFSETS_BASE(13, 0, false, 24, 0, STR_STATE_DEFAULT, PYPERF_BASE_SHIM, 76, OBJECTS_313,
			   ASYNCIO_313(16)),
	DEBUG_OFFSETS_BASE(14, 3, false, 24, 0, STR_STATE_DEFAULT, PYPERF_BASE_SHIM, 76, OBJECTS_314, ASYNCIO_314),
	DEBUG_OFFSETS_BASE(15, 3, false, 24, 0, STR_STATE_DEFAULT, PYPERF_BASE_SENTINEL, 76, OBJECTS_315,
			   ASYNCIO_315),
	/*
	 * Free-threaded builds: a 32-byte object header (hash at 40, every
	 * code object field 16 bytes on) whose first word is the owning
	 * thread, not a reference count, so the liveness test is off.  3.13t
	 * is built by `make pythons` and checked against its headers;
	 * 3.14t/3.15t are not (the mirror serves no source of theirs).
	 */
	DEBUG_OFFSETS_BASE(13, 0, true, 40, NONE, STR_STATE_DEFAULT, PYPERF_BASE_SHIM, 92,
			   OBJECTS_313_FREE_THREADED, ASYNCIO_313(32)),
	DEBUG_OFFSETS_BASE(14, 3, true, 40, NONE, STR_STATE_FT314, PYPERF_BASE_SHIM, 92, NO_OBJECTS, NO_ASYNCIO),
	DEBUG_OFFSETS_BASE(15, 3, true, 40, NONE, STR_STATE_FT314, PYPERF_BASE_SENTINEL, 92, NO_OBJECTS, NO_ASYNCIO),
};

const struct py_layout *py_layout_static(int major, int minor, bool free_threaded)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].major == major && layouts[i].minor == minor &&
		    layouts[i].free_threaded == free_threaded)
			return &layouts[i];
	return NULL;
}

int py_layout_newest_minor(int major)
{
	int newest = -1;

	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].major == major && layouts[i].minor > newest)
			newest = layouts[i].minor;
	return newest;
}

const char *py_layout_supported(void)
{
	static char text[32];

	snprintf(text, sizeof(text), "3.%d-3.%d", layouts[0].minor, py_layout_newest_minor(3));
	return text;
}
