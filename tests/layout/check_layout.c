// SPDX-License-Identifier: BSD-3-Clause
/*
 * Check the built-in layout table (user/python/py_layout.c) against one CPython's
 * own headers: every offset and size the headers can answer is recomputed
 * here with offsetof()/sizeof by the compiler and compared with the table
 * entry for PY_MAJOR_VERSION.PY_MINOR_VERSION.
 *
 * Build (tools/check-layouts.sh does this for every installed CPython):
 *   gcc -std=gnu11 -DPy_BUILD_CORE -I<incdir> -I<incdir>/internal -Iuser \
 *       -DINCDIR='"<incdir>"' tests/layout/check_layout.c user/python/py_layout.c
 *
 * Not computable from headers, so not checked: instr_kind, lasti_unit,
 * owner_skip_from, code_tag_mask, linetable_format.
 *
 * Version differences are confined to the includes and the field-name block
 * below, which already cover 3.8-3.13 (the file compiles against all of
 * them); a new table entry needs no change here unless CPython renames a
 * field.  With no table entry for the headers' version it only says so.
 */
#include <Python.h>
#if PY_VERSION_HEX < 0x03090000
# include <frameobject.h>
# include "internal/pycore_pystate.h"	/* _PyRuntimeState, struct _is */
#else
# if PY_VERSION_HEX < 0x030B0000
#  include <frameobject.h>		/* PyFrameObject */
# else
#  include "internal/pycore_frame.h"	/* _PyInterpreterFrame */
# endif
# include "internal/pycore_runtime.h"
# include "internal/pycore_interp.h"
#endif

#include "internal/pycore_gil.h"		/* struct _gil_runtime_state */
#if PY_VERSION_HEX >= 0x030B0000
# include "internal/pycore_dict.h"		/* PyDictKeysObject, PyDictValues */
#endif
#if PY_VERSION_HEX >= 0x030B0000
# include "cpython/longintrepr.h"		/* struct _longobject */
#else
# include "longintrepr.h"
#endif

#include <opcode.h>				/* YIELD_FROM, RESUME... */

#include <stdio.h>
#include <string.h>
#include "python/debug_offsets.h"
#include "python/py_layout.h"

#ifndef INCDIR
# define INCDIR "?"
#endif
#define NONE PYPERF_OFF_NONE

/* The headers of a free-threaded build (3.13t...) describe its own table entry. */
#ifdef Py_GIL_DISABLED
# define FREE_THREADED		true
# define OB_FIRST_WORD		ob_tid		/* the owning thread */
# define REFCNT_AT		NONE		/* counts are split: none to test */
#else
# define FREE_THREADED		false
# define OB_FIRST_WORD		ob_refcnt
# define REFCNT_AT		offsetof(PyObject, ob_refcnt)
#endif

/* ---- where each version keeps the fields the table describes ---------- */

#if PY_VERSION_HEX >= 0x030B0000
# define INTERP_THREADS_HEAD	threads.head
#else
# define INTERP_THREADS_HEAD	tstate_head
#endif

#if PY_VERSION_HEX >= 0x030D0000
# define TSTATE_FRAME		current_frame		/* _PyInterpreterFrame * */
#elif PY_VERSION_HEX >= 0x030B0000
# define TSTATE_FRAME		cframe			/* _PyCFrame * */
# define HAVE_CFRAME		1
#else
# define TSTATE_FRAME		frame			/* PyFrameObject * */
#endif

#if PY_VERSION_HEX >= 0x030B0000
typedef _PyInterpreterFrame	frame_t;
# define FRAME_PREVIOUS		previous
# define HAVE_FRAME_OWNER	1
# define HAVE_NATIVE_THREAD_ID	1
# define HAVE_CODE_ADAPTIVE	1
# define CODE_NAME		co_qualname
# if PY_VERSION_HEX >= 0x030D0000
#  define FRAME_CODE		f_executable
#  define FRAME_INSTR		instr_ptr
# else
#  define FRAME_CODE		f_code
#  define FRAME_INSTR		prev_instr
# endif
#else
typedef PyFrameObject		frame_t;
# define FRAME_PREVIOUS		f_back
# define FRAME_CODE		f_code
# define FRAME_INSTR		f_lasti
# define HAVE_CODE_BYTES	1			/* co_code bytes object */
# define CODE_NAME		co_name
#endif

/* The first state of a finished frame; the first owner that is the interpreter's own. */
#if PY_VERSION_HEX >= 0x030F0000
# define FRAME_FINISHED			FRAME_CLEARED		/* FRAME_COMPLETED is gone */
#elif PY_VERSION_HEX >= 0x030B0000
# define FRAME_FINISHED			FRAME_COMPLETED
#endif
#if PY_VERSION_HEX >= 0x030E0000
# define FRAME_OWNED_FROM_INTERPRETER	FRAME_OWNED_BY_INTERPRETER	/* then FRAME_OWNED_BY_CSTACK */
#else
# define FRAME_OWNED_FROM_INTERPRETER	FRAME_OWNED_BY_CSTACK
#endif

#if PY_VERSION_HEX >= 0x030A0000
# define CODE_LINETABLE		co_linetable
#else
# define CODE_LINETABLE		co_lnotab
#endif

/* ---- comparison --------------------------------------------------------- */

#define MSIZE(T, m)	sizeof(((T *)0)->m)
#define END(T, m)	(offsetof(T, m) + MSIZE(T, m))
#define MAX2(a, b)	((a) > (b) ? (a) : (b))

static int passed, failed;

static const char *fmt(char *buf, size_t size, const char *field, unsigned long v)
{
	if (v == NONE && !strstr(field, "mask"))
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, strstr(field, "mask") ? "0x%lx" : "%lu", v);
	return buf;
}

static void check(const char *field, const char *op, int ok, unsigned long table,
		  unsigned long header)
{
	char t[32], h[32];

	printf("%s %s table=%s header%s%s\n", ok ? "ok" : "FAIL", field,
	       fmt(t, sizeof(t), field, table), strcmp(op, "==") ? op : "=",
	       fmt(h, sizeof(h), field, header));
	ok ? passed++ : failed++;
}

/*
 * CHECK(field, op, header): the table's L->field must satisfy
 * "table op header".  "==" for offsets, ">=" for read sizes that must cover
 * the fields, "<=" for sizes that must fit the fixed buffers.
 */
#define CHECK(field, op, header) do {					\
	unsigned long t_ = (unsigned long)(L->field);			\
	unsigned long h_ = (unsigned long)(header);			\
	check(#field, #op, t_ op h_, t_, h_);				\
} while (0)

/*
 * POSITION(member, path): debug_offsets.c's column for this minor puts the
 * value of py_layout MEMBER where _Py_DebugOffsets has PATH.
 */
#define POSITION(member, path) do {					\
	int at_ = debug_offsets_position(PY_MINOR_VERSION, #member);	\
	check("_Py_DebugOffsets." #path " for " #member, "==",		\
	      at_ == (int)offsetof(_Py_DebugOffsets, path),		\
	      (unsigned long)at_, offsetof(_Py_DebugOffsets, path));	\
} while (0)

/* The 32-bit word holding PyASCIIObject.state with only BITFIELD all-ones. */
#define STATE_MASK(bitfield) ({						\
	PyASCIIObject s_;						\
	uint32_t w_;							\
	memset(&s_, 0, sizeof(s_));					\
	s_.state.bitfield--;		/* 0 - 1 wraps to all ones */	\
	memcpy(&w_, (char *)&s_ + offsetof(PyASCIIObject, state), 4);	\
	w_;								\
})

#if PY_VERSION_HEX >= 0x030C0000
/* The 32-bit word holding PyThreadState._status with only "active" set. */
static uint32_t tstate_active_mask(void)
{
	PyThreadState ts;
	uint32_t word;

	memset(&ts, 0, sizeof(ts));
	ts._status.active = 1;
	memcpy(&word, (char *)&ts + offsetof(PyThreadState, _status), 4);
	return word;
}
#endif

#if PY_VERSION_HEX >= 0x030C0000
# define INTERP_MODULES		imports.modules
# define LONG_DIGITS		long_value.ob_digit
#else
# define INTERP_MODULES		modules
# define LONG_DIGITS		ob_digit
#endif

/* The thread-name reader's objects (dicts, instances, ints, sys.modules). */
static void check_objects(const struct py_layout *L)
{
	if (!L->objects.supported)
		return;
	if (!L->needs_debug_offsets)
		CHECK(objects.interp_modules, ==, offsetof(PyInterpreterState, INTERP_MODULES));
	CHECK(objects.dict.keys, ==, offsetof(PyDictObject, ma_keys));
	CHECK(objects.dict.values, ==, offsetof(PyDictObject, ma_values));
	CHECK(objects.instance.type_name, ==, offsetof(PyTypeObject, tp_name));
	CHECK(objects.instance.type_basicsize, ==, offsetof(PyTypeObject, tp_basicsize));
	CHECK(objects.instance.type_flags, ==, offsetof(PyTypeObject, tp_flags));
	CHECK(objects.instance.type_dictoffset, ==, offsetof(PyTypeObject, tp_dictoffset));
	CHECK(objects.instance.heaptype_cached_keys, ==, offsetof(PyHeapTypeObject, ht_cached_keys));
	CHECK(objects.ints.digits, ==, offsetof(struct _longobject, LONG_DIGITS));
	CHECK(objects.ints.size, ==, sizeof(PyObject));	/* ob_size or lv_tag follows the header */
#if PY_VERSION_HEX >= 0x030B0000
	CHECK(objects.dict.keys_size, ==, offsetof(PyDictKeysObject, dk_log2_size));
	CHECK(objects.dict.keys_log2_index_bytes, ==, offsetof(PyDictKeysObject, dk_log2_index_bytes));
	CHECK(objects.dict.keys_kind, ==, offsetof(PyDictKeysObject, dk_kind));
	CHECK(objects.dict.kind_general, ==, DICT_KEYS_GENERAL);
	CHECK(objects.dict.keys_nentries, ==, offsetof(PyDictKeysObject, dk_nentries));
	CHECK(objects.dict.keys_indices, ==, offsetof(PyDictKeysObject, dk_indices));
	CHECK(objects.dict.general_entry_size, ==, sizeof(PyDictKeyEntry));
	CHECK(objects.dict.unicode_entry_size, ==, sizeof(PyDictUnicodeEntry));
	CHECK(objects.dict.values_array, ==, offsetof(PyDictValues, values));
	CHECK(objects.instance.managed_dict_flag, ==, Py_TPFLAGS_MANAGED_DICT);
#endif
#if PY_VERSION_HEX >= 0x030D0000
	CHECK(objects.instance.inline_values_flag, ==, Py_TPFLAGS_INLINE_VALUES);
	CHECK(objects.instance.managed_dict, ==, MANAGED_DICT_OFFSET);
	CHECK(objects.instance.inline_values_valid, ==, offsetof(PyDictValues, valid));
#endif
}

/*
 * dump --async's objects and coroutine frames.  TaskObj is private to
 * Modules/_asynciomodule.c: its offsets are checked by the integration
 * tests on live tasks instead.
 */
static void check_asyncio(const struct py_layout *L)
{
	const struct py_asyncio_layout *A = &L->asyncio;

	if (!L->objects.supported || !A->supported)
		return;
	CHECK(objects.set.mask, ==, offsetof(PySetObject, mask));
	CHECK(objects.set.table, ==, offsetof(PySetObject, table));
	CHECK(objects.list.size, ==, offsetof(PyVarObject, ob_size));
	CHECK(objects.list.items, ==, offsetof(PyListObject, ob_item));
	CHECK(objects.tuple_items, ==, offsetof(PyTupleObject, ob_item));
	CHECK(objects.weakref_object, ==, offsetof(PyWeakReference, wr_object));
	CHECK(objects.method_self, ==, offsetof(PyMethodObject, im_self));
	CHECK(objects.type_base, ==, offsetof(PyTypeObject, tp_base));
#if PY_VERSION_HEX >= 0x030B0000
	CHECK(asyncio.coro_frame, ==, offsetof(PyGenObject, gi_iframe));
	CHECK(asyncio.coro_frame_embedded, ==, 1);
	CHECK(asyncio.frame_gen, ==, NONE);
	CHECK(asyncio.frame_state, ==,
	      (unsigned long)(long)(offsetof(PyGenObject, gi_frame_state) - offsetof(PyGenObject, gi_iframe)));
	CHECK(asyncio.frame_finished, ==, FRAME_FINISHED);
	CHECK(asyncio.frame_executing, ==, FRAME_EXECUTING);
# if PY_VERSION_HEX >= 0x030E0000
	CHECK(asyncio.stack_top, ==, PYPERF_STACK_TOP_TAGGED_POINTER);
	CHECK(asyncio.frame_stack, ==, offsetof(_PyInterpreterFrame, stackpointer));
	CHECK(asyncio.frame_stack_depth, ==, NONE);
	CHECK(asyncio.needs_debug_section, ==, 1);
# else
	CHECK(asyncio.stack_top, ==, PYPERF_STACK_TOP_INDEX);
	CHECK(asyncio.frame_stack, ==, offsetof(_PyInterpreterFrame, localsplus));
	CHECK(asyncio.frame_stack_depth, ==, offsetof(_PyInterpreterFrame, stacktop));
	CHECK(asyncio.needs_debug_section, ==, 0);
# endif
# if PY_VERSION_HEX >= 0x030D0000
	CHECK(asyncio.await.state, ==, FRAME_SUSPENDED_YIELD_FROM);
	CHECK(asyncio.await.opcodes[0], ==, 0);
# else
	CHECK(asyncio.await.state, ==, FRAME_SUSPENDED);
	CHECK(asyncio.await.opcodes[0], ==, RESUME);
#  if PY_VERSION_HEX >= 0x030C0000
	CHECK(asyncio.await.opcodes[1], ==, INSTRUMENTED_RESUME);
#  else
	CHECK(asyncio.await.opcodes[1], ==, RESUME_QUICK);
#  endif
	CHECK(asyncio.await.min_oparg, ==, 2);	/* RESUME's oparg: 2 after yield from, 3 after await */
# endif
#else
	CHECK(asyncio.coro_frame, ==, offsetof(PyGenObject, gi_frame));
	CHECK(asyncio.coro_frame_embedded, ==, 0);
	CHECK(asyncio.frame_gen, ==, offsetof(PyFrameObject, f_gen));
	CHECK(asyncio.await.opcodes[0], ==, YIELD_FROM);
# if PY_VERSION_HEX >= 0x030A0000
	CHECK(asyncio.frame_state, ==, offsetof(PyFrameObject, f_state));
	CHECK(asyncio.frame_finished, ==, FRAME_RETURNED);
	CHECK(asyncio.frame_executing, ==, FRAME_EXECUTING);
	CHECK(asyncio.await.state, ==, FRAME_SUSPENDED);
	CHECK(asyncio.stack_top, ==, PYPERF_STACK_TOP_DEPTH);
	CHECK(asyncio.frame_stack, ==, offsetof(PyFrameObject, f_valuestack));
	CHECK(asyncio.frame_stack_depth, ==, offsetof(PyFrameObject, f_stackdepth));
# else
	CHECK(asyncio.frame_state, ==, (long)PYPERF_ASYNC_NO_STATE);
	CHECK(asyncio.stack_top, ==, PYPERF_STACK_TOP_POINTER);
	CHECK(asyncio.frame_stack, ==, offsetof(PyFrameObject, f_stacktop));
# endif
#endif
}

int main(void)
{
	const struct py_layout *L = py_layout_static(PY_MAJOR_VERSION, PY_MINOR_VERSION, FREE_THREADED);
	unsigned long need;
	uint32_t kind_mask = STATE_MASK(kind);

	if (!L) {
		printf("layout %d.%d (%s): no table for this version, nothing checked\n",
		       PY_MAJOR_VERSION, PY_MINOR_VERSION, INCDIR);
		return 0;
	}
	check_objects(L);
	check_asyncio(L);
	if (L->needs_debug_offsets) {
		/* Only what the runtime does not export is in the table: that. */
#if PY_VERSION_HEX >= 0x030D0000
		CHECK(bpf.code_framesize, ==, offsetof(PyCodeObject, co_framesize));
		CHECK(bpf.code_version, ==, offsetof(PyCodeObject, co_version));
		CHECK(bpf.framesize_words, ==, 0);
		CHECK(bpf.chunk_first_frame, ==, offsetof(_PyStackChunk, data) + sizeof(PyObject *));
		CHECK(bpf.owner_thread, ==, FRAME_OWNED_BY_THREAD);
		CHECK(bpf.owner_skip_from, ==, FRAME_OWNED_FROM_INTERPRETER);
		/* Without a GIL there is none to follow, whatever its struct's size. */
		CHECK(bpf.gil_span, ==, FREE_THREADED ? 0 : sizeof(struct _gil_runtime_state));
		CHECK(bpf.tstate_status, ==, offsetof(PyThreadState, _status));
		CHECK(bpf.tstate_active_mask, ==, tstate_active_mask());
		/* The object header's size moves every string field (32 bytes free-threaded). */
		CHECK(bpf.str_hash, ==, offsetof(PyASCIIObject, hash));
		CHECK(bpf.str_kind_mask, ==, kind_mask);
		CHECK(bpf.str_compact_mask, ==, STATE_MASK(compact));
		CHECK(bpf.str_ascii_mask, ==, STATE_MASK(ascii));
		/* Free-threaded: the first word is the owning thread, no count to test. */
		CHECK(object_refcnt, ==, REFCNT_AT);
#endif
#if PY_VERSION_HEX >= 0x030D0000
		/* The positions pybpf reads. */
		POSITION(bpf.runtime_interp_head, runtime_state.interpreters_head);
		POSITION(bpf.interp_next, interpreter_state.next);
		POSITION(bpf.interp_threads_head, interpreter_state.threads_head);
		POSITION(objects.interp_modules, interpreter_state.imports_modules);
		POSITION(bpf.interp_gil, interpreter_state.ceval_gil);
		POSITION(interp_gil_embedded, interpreter_state.gil_runtime_state);
		POSITION(bpf.gil_locked, interpreter_state.gil_runtime_state_locked);
		POSITION(bpf.gil_holder, interpreter_state.gil_runtime_state_holder);
		POSITION(bpf.tstate_next, thread_state.next);
		POSITION(bpf.tstate_interp, thread_state.interp);
		POSITION(bpf.tstate_frame, thread_state.current_frame);
		POSITION(bpf.tstate_thread_id, thread_state.thread_id);
		POSITION(bpf.tstate_native_thread_id, thread_state.native_thread_id);
		POSITION(bpf.tstate_datastack_chunk, thread_state.datastack_chunk);
		POSITION(bpf.frame_previous, interpreter_frame.previous);
		POSITION(bpf.frame_code, interpreter_frame.executable);
		POSITION(bpf.frame_instr, interpreter_frame.instr_ptr);
		POSITION(bpf.frame_owner, interpreter_frame.owner);
		POSITION(bpf.code_filename, code_object.filename);
		POSITION(bpf.code_name, code_object.qualname);
		POSITION(bpf.code_linetable, code_object.linetable);
		POSITION(bpf.code_firstlineno, code_object.firstlineno);
		POSITION(bpf.code_adaptive, code_object.co_code_adaptive);
		POSITION(object_type, pyobject.ob_type);
		POSITION(bpf.varobject_size, bytes_object.ob_size);
		POSITION(bpf.bytes_data, bytes_object.ob_sval);
		POSITION(bpf.str_state, unicode_object.state);
		POSITION(bpf.str_length, unicode_object.length);
		POSITION(bpf.str_ascii_data, unicode_object.asciiobject_size);
#endif
#if PY_VERSION_HEX >= 0x030E0000
		POSITION(bpf.tstate_status, thread_state.status);
# ifdef Py_GIL_DISABLED
		POSITION(bpf.frame_tlbc_index, interpreter_frame.tlbc_index);
		POSITION(bpf.code_tlbc, code_object.co_tlbc);
# endif
#endif
#if PY_VERSION_HEX >= 0x030F0000
		POSITION(bpf.tstate_base_frame, thread_state.base_frame);
		POSITION(bpf.str_compact_data, unicode_object.compactunicodeobject_size);
#endif
#if PY_VERSION_HEX >= 0x030D0000
		check("sizeof(_Py_DebugOffsets)", "==",
		      debug_offsets_parser(PY_MINOR_VERSION, &(int){ 0 }) == sizeof(_Py_DebugOffsets),
		      debug_offsets_parser(PY_MINOR_VERSION, &(int){ 0 }), sizeof(_Py_DebugOffsets));
#endif
		printf("layout %d.%d%s (%s): the rest from _Py_DebugOffsets at run time; %d passed, %d failed\n",
		       PY_MAJOR_VERSION, PY_MINOR_VERSION, FREE_THREADED ? "t" : "", INCDIR, passed, failed);
		return failed ? 1 : 0;
	}

	/* _PyRuntimeState, PyInterpreterState */
	CHECK(bpf.runtime_interp_head, ==, offsetof(_PyRuntimeState, interpreters.head));
	CHECK(bpf.interp_next, ==, offsetof(PyInterpreterState, next));
	CHECK(bpf.interp_threads_head, ==, offsetof(PyInterpreterState, INTERP_THREADS_HEAD));

	/* The GIL: embedded in _PyRuntime up to 3.11, pointed to by the interpreter after */
#if PY_VERSION_HEX < 0x030C0000
	CHECK(bpf.runtime_ceval_gil, ==, offsetof(_PyRuntimeState, ceval.gil));
	CHECK(bpf.interp_gil, ==, NONE);
#else
	CHECK(bpf.runtime_ceval_gil, ==, NONE);
	CHECK(bpf.interp_gil, ==, offsetof(PyInterpreterState, ceval.gil));
#endif
	CHECK(bpf.gil_holder, ==, offsetof(struct _gil_runtime_state, last_holder));
	CHECK(bpf.gil_locked, ==, offsetof(struct _gil_runtime_state, locked));
	CHECK(bpf.gil_span, ==, sizeof(struct _gil_runtime_state));

	/* PyThreadState */
	CHECK(bpf.tstate_interp, ==, offsetof(PyThreadState, interp));
	CHECK(bpf.tstate_next, ==, offsetof(PyThreadState, next));
	CHECK(bpf.tstate_thread_id, ==, offsetof(PyThreadState, thread_id));
	CHECK(bpf.tstate_frame, ==, offsetof(PyThreadState, TSTATE_FRAME));
#ifdef HAVE_CFRAME
	CHECK(bpf.cframe_current_frame, ==, offsetof(_PyCFrame, current_frame));
#else
	CHECK(bpf.cframe_current_frame, ==, NONE);
#endif
#ifdef HAVE_NATIVE_THREAD_ID
	CHECK(bpf.tstate_native_thread_id, ==, offsetof(PyThreadState, native_thread_id));
#else
	CHECK(bpf.tstate_native_thread_id, ==, NONE);
#endif
	need = MAX2(MAX2(END(PyThreadState, next), END(PyThreadState, interp)),
		    MAX2(END(PyThreadState, thread_id), END(PyThreadState, TSTATE_FRAME)));
#if PY_VERSION_HEX >= 0x030B0000
	/* The data stack: chunk, top and limit, in that order. */
	CHECK(bpf.tstate_datastack_chunk, ==, offsetof(PyThreadState, datastack_chunk));
	CHECK(bpf.tstate_datastack_chunk + 8, ==, offsetof(PyThreadState, datastack_top));
	CHECK(bpf.tstate_datastack_chunk + 16, ==, offsetof(PyThreadState, datastack_limit));
	need = MAX2(need, MAX2(END(PyThreadState, datastack_limit), END(PyThreadState, native_thread_id)));
	/* A chunk's first frame: after its header, one slot more in the first chunk. */
	CHECK(bpf.chunk_first_frame, ==, offsetof(_PyStackChunk, data) + sizeof(PyObject *));
	CHECK(bpf.owner_thread, ==, FRAME_OWNED_BY_THREAD);
#else
	CHECK(bpf.tstate_datastack_chunk, ==, NONE);
	CHECK(bpf.owner_thread, ==, 0xff);
#endif
#if PY_VERSION_HEX >= 0x030C0000
	CHECK(bpf.tstate_status, ==, offsetof(PyThreadState, _status));
	CHECK(bpf.tstate_active_mask, ==, tstate_active_mask());
	need = MAX2(need, END(PyThreadState, _status));
#else
	CHECK(bpf.tstate_status, ==, NONE);
#endif
	CHECK(bpf.tstate_read_size, >=, need);
	CHECK(bpf.tstate_read_size, <=, PYPERF_TSTATE_READ);
#ifdef HAVE_CFRAME
	CHECK(bpf.cframe_previous, ==, offsetof(_PyCFrame, previous));
	CHECK(bpf.cframe_current_frame + 8, <=, PYPERF_CFRAME_READ);
	CHECK(bpf.cframe_previous + 8, <=, PYPERF_CFRAME_READ);
#else
	CHECK(bpf.cframe_previous, ==, NONE);
#endif

	/* frame: _PyInterpreterFrame (3.11+) or PyFrameObject */
	CHECK(bpf.frame_previous, ==, offsetof(frame_t, FRAME_PREVIOUS));
	CHECK(bpf.frame_code, ==, offsetof(frame_t, FRAME_CODE));
	CHECK(bpf.frame_instr, ==, offsetof(frame_t, FRAME_INSTR));
	need = MAX2(END(frame_t, FRAME_PREVIOUS),
		    MAX2(END(frame_t, FRAME_CODE), END(frame_t, FRAME_INSTR)));
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
	CHECK(bpf.frame_is_entry, ==, offsetof(frame_t, is_entry));
	need = MAX2(need, END(frame_t, is_entry));
#else
	CHECK(bpf.frame_is_entry, ==, NONE);
#endif
#ifdef HAVE_FRAME_OWNER
	CHECK(bpf.frame_owner, ==, offsetof(frame_t, owner));
	need = MAX2(need, END(frame_t, owner));
#else
	CHECK(bpf.frame_owner, ==, NONE);
#endif
	CHECK(bpf.frame_read_size, >=, need);
	CHECK(bpf.frame_read_size, <=, PYPERF_FRAME_READ);

	/* PyCodeObject; the symbolizer also reads ob_refcnt/ob_type from this prefix */
#ifdef HAVE_CODE_ADAPTIVE
	CHECK(bpf.code_adaptive, ==, offsetof(PyCodeObject, co_code_adaptive));
#else
	CHECK(bpf.code_adaptive, ==, NONE);
#endif
#ifdef HAVE_CODE_BYTES
	CHECK(code_code, ==, offsetof(PyCodeObject, co_code));
#else
	CHECK(code_code, ==, NONE);
#endif
	CHECK(bpf.code_firstlineno, ==, offsetof(PyCodeObject, co_firstlineno));
	CHECK(bpf.code_name, ==, offsetof(PyCodeObject, CODE_NAME));
	CHECK(bpf.code_filename, ==, offsetof(PyCodeObject, co_filename));
	CHECK(bpf.code_linetable, ==, offsetof(PyCodeObject, CODE_LINETABLE));
	need = MAX2(MAX2(END(PyCodeObject, co_firstlineno), END(PyCodeObject, CODE_NAME)),
		    MAX2(END(PyCodeObject, co_filename), END(PyCodeObject, CODE_LINETABLE)));
	need = MAX2(need, MAX2(END(PyObject, OB_FIRST_WORD), END(PyObject, ob_type)));
#ifdef HAVE_CODE_BYTES
	need = MAX2(need, END(PyCodeObject, co_code));
#endif
	/* A frame's size on the data stack, in words. */
#if PY_VERSION_HEX >= 0x030C0000
	CHECK(bpf.code_framesize, ==, offsetof(PyCodeObject, co_framesize));
	CHECK(bpf.code_framesize_plus, ==, NONE);
	CHECK(bpf.framesize_words, ==, 0);
	need = MAX2(need, END(PyCodeObject, co_framesize));
#elif PY_VERSION_HEX >= 0x030B0000
	/* 3.11 computes it: co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE */
	CHECK(bpf.code_framesize, ==, offsetof(PyCodeObject, co_nlocalsplus));
	CHECK(bpf.code_framesize_plus, ==, offsetof(PyCodeObject, co_stacksize));
	CHECK(bpf.framesize_words, ==, FRAME_SPECIALS_SIZE);
	need = MAX2(need, MAX2(END(PyCodeObject, co_nlocalsplus), END(PyCodeObject, co_stacksize)));
#else
	CHECK(bpf.code_framesize, ==, NONE);
#endif
	/* A code object's version, from a counter the interpreter keeps. */
#if PY_VERSION_HEX >= 0x030C0000
	CHECK(bpf.code_version, ==, offsetof(PyCodeObject, co_version));
	need = MAX2(need, END(PyCodeObject, co_version));
#else
	CHECK(bpf.code_version, ==, NONE);
#endif
	CHECK(bpf.code_read_size, >=, need);
	CHECK(bpf.code_read_size, <=, PYPERF_CODE_READ);

	/* PyObject, PyVarObject, PyBytesObject */
	CHECK(object_refcnt, ==, REFCNT_AT);
	CHECK(object_type, ==, offsetof(PyObject, ob_type));
	CHECK(bpf.varobject_size, ==, offsetof(PyVarObject, ob_size));
	CHECK(bpf.bytes_data, ==, offsetof(PyBytesObject, ob_sval));

	/* PyASCIIObject, PyCompactUnicodeObject */
	CHECK(bpf.str_hash, ==, offsetof(PyASCIIObject, hash));
	CHECK(bpf.str_length, ==, offsetof(PyASCIIObject, length));
	CHECK(bpf.str_state, ==, offsetof(PyASCIIObject, state));
	CHECK(bpf.str_ascii_data, ==, sizeof(PyASCIIObject));
	CHECK(bpf.str_compact_data, ==, sizeof(PyCompactUnicodeObject));
	CHECK(bpf.str_kind_mask, ==, kind_mask);
	CHECK(bpf.str_kind_shift, ==, kind_mask ? __builtin_ctz(kind_mask) : 0);
	CHECK(bpf.str_compact_mask, ==, STATE_MASK(compact));
	CHECK(bpf.str_ascii_mask, ==, STATE_MASK(ascii));

	printf("layout %d.%d (%s): %d passed, %d failed\n", PY_MAJOR_VERSION,
	       PY_MINOR_VERSION, INCDIR, passed, failed);
	return failed ? 1 : 0;
}
