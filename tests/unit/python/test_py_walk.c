// SPDX-License-Identifier: BSD-3-Clause
/*
 * py_read_frame() on a free-threaded 3.14+ frame that runs a thread's own
 * copy of its code object's bytecode (thread-local bytecode): the
 * instruction's offset is taken from that copy, entry tlbc_index of
 * co_tlbc, never from the shared one; a copy that cannot be read leaves
 * the offset unknown.  The target's memory is tests/common/fake_target's,
 * read through the injected reader; the frame and code object are laid
 * out here with the table's free-threaded 3.14 entry and positions of the
 * test's choosing (the runtime exports the real ones).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fake_target.h"
#include "process/target_mem.h"
#include "python/py_walk.h"
#include "python/python_target.h"

enum {
	FRAME = 0x100,			/* the frame, in fake_mem */
	CODE = 0x200,			/* its code object */
	TLBC_ARRAY = 0x600,		/* the code object's _PyCodeArray */
	COPY = 0x800,			/* thread 2's copy of the bytecode */
	/* Positions of this test's choosing (from _Py_DebugOffsets in a real target). */
	AT_CODE = 8, AT_INSTR = 56, AT_OWNER = 70, AT_TLBC_INDEX = 72,
	AT_CO_TLBC = 192, AT_ADAPTIVE = 200,
	INSTR = 26,			/* the instruction's offset in whichever copy */
};

static struct python_target T;

static void setup(void)
{
	const struct py_layout *ft = py_layout_static(3, 14, true);

	cr_assert_not_null(ft, "a free-threaded 3.14 entry in the table");
	memset(&T, 0, sizeof(T));
	memset(fake_mem, 0, sizeof(fake_mem));
	T.pid = 4242;
	T.layout = *ft;
	T.layout.bpf.frame_previous = 0;
	T.layout.bpf.frame_code = AT_CODE;
	T.layout.bpf.frame_instr = AT_INSTR;
	T.layout.bpf.frame_owner = AT_OWNER;
	T.layout.bpf.frame_tlbc_index = AT_TLBC_INDEX;
	T.layout.bpf.frame_read_size = AT_TLBC_INDEX + 8;
	T.layout.bpf.code_tlbc = AT_CO_TLBC;
	T.layout.bpf.code_adaptive = AT_ADAPTIVE;
	target_mem_set_reader(fake_target_read);
	fake_put64(FRAME, AT_CODE, fake_addr(CODE));
	fake_put64(CODE, AT_CO_TLBC, fake_addr(TLBC_ARRAY));
	fake_put64(TLBC_ARRAY, 0, 3);				/* size */
	fake_put64(TLBC_ARRAY, T.layout.bpf.code_tlbc_entries, fake_addr(CODE + AT_ADAPTIVE));
	fake_put64(TLBC_ARRAY, T.layout.bpf.code_tlbc_entries + 16, fake_addr(COPY));
}

static void teardown(void)
{
	target_mem_set_reader(NULL);
}

TestSuite(py_walk, .init = setup, .fini = teardown);

/* The offset py_read_frame() gives the frame at FRAME running at IP with TLBC_INDEX. */
static int32_t offset_at(uint64_t ip, int32_t tlbc_index)
{
	struct py_frame_info f;

	fake_put64(FRAME, AT_INSTR, ip);
	fake_put32(FRAME, AT_TLBC_INDEX, (uint32_t)tlbc_index);
	cr_assert_eq(py_read_frame(&T, fake_addr(FRAME), &f), 0);
	cr_assert_eq(f.code, fake_addr(CODE));
	return f.instr_offset;
}

Test(py_walk, index_0_runs_the_code_objects_own_bytecode)
{
	cr_assert_eq(offset_at(fake_addr(CODE + AT_ADAPTIVE + INSTR), 0), INSTR);
}

Test(py_walk, a_threads_own_copy_gives_the_offset_in_that_copy)
{
	cr_assert_eq(offset_at(fake_addr(COPY + INSTR), 2), INSTR);
}

Test(py_walk, a_copy_that_cannot_be_read_leaves_the_offset_unknown)
{
	/* Entry 5 lies past what the test wrote: its pointer is 0, out of reach. */
	cr_assert_eq(offset_at(fake_addr(COPY + INSTR), 5), PYPERF_INSTR_UNKNOWN);
	/* No array at all. */
	fake_put64(CODE, AT_CO_TLBC, 0);
	cr_assert_eq(offset_at(fake_addr(COPY + INSTR), 2), PYPERF_INSTR_UNKNOWN);
}

Test(py_walk, an_index_no_interpreter_could_have_is_refused)
{
	cr_assert_eq(offset_at(fake_addr(COPY + INSTR), 0x10000), PYPERF_INSTR_UNKNOWN);
}
