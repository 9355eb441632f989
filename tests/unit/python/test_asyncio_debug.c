// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/asyncio_debug.c's trust in an .AsyncioDebug section: the one
 * Debian's 3.14 carries completes the table's layout; a section whose
 * fields leave their structs, whose structs are no sane size, or whose task
 * is not the table's (fut_waiter is placed by the table) is refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include "python/asyncio_debug.h"

/* Debian's python3.14 3.14.10, _asyncio.cpython-314-x86_64-linux-gnu.so. */
static const struct py_asyncio_debug debian_314 = {
	.task_size = 168, .task_name = 136, .task_awaited_by = 96, .task_is_task = 108,
	.task_awaited_by_is_set = 109, .task_coro = 128, .task_node = 152,
	.interp_size = 225864, .interp_tasks_head = 10880,
	.tstate_size = 936, .tstate_running_loop = 864, .tstate_running_task = 872, .tstate_tasks_head = 880,
};

static struct py_asyncio_layout table_314(void)
{
	const struct py_layout *L = py_layout_static(3, 14, false);

	cr_assert(L && L->asyncio.supported && L->asyncio.needs_debug_section);
	return L->asyncio;
}

Test(asyncio_debug, debians_section_completes_the_table)
{
	struct py_asyncio_layout A = table_314();

	cr_assert_eq(asyncio_debug_apply(&A, &debian_314), 0);
	cr_assert_eq(A.debug.tstate_running_task, 872);
	cr_assert_eq(A.debug.task_node, 152);
	/* The table's own fields stay: fut_waiter just before the coroutine. */
	cr_assert_eq(A.task_fut_waiter + 8, A.task_coro);
}

Test(asyncio_debug, insane_or_foreign_sections_refused)
{
	struct {
		const char *what;
		size_t at;		/* which u64 of the section */
		uint64_t value;
	} bad[] = {
		{ "task larger than any", offsetof(struct py_asyncio_debug, task_size), 1 << 20 },
		{ "name outside the task", offsetof(struct py_asyncio_debug, task_name), 168 },
		{ "node's prev outside the task", offsetof(struct py_asyncio_debug, task_node), 160 },
		{ "awaited_by outside the task", offsetof(struct py_asyncio_debug, task_awaited_by), 164 },
		{ "awaited_by's flag outside the task", offsetof(struct py_asyncio_debug, task_awaited_by_is_set), 168 },
		{ "offset that wraps", offsetof(struct py_asyncio_debug, task_coro), UINT64_MAX - 4 },
		{ "interpreter's list head outside it", offsetof(struct py_asyncio_debug, interp_tasks_head), 225860 },
		{ "thread state larger than any", offsetof(struct py_asyncio_debug, tstate_size), 1 << 20 },
		{ "running task outside the thread state", offsetof(struct py_asyncio_debug, tstate_running_task), 932 },
		{ "a task the table does not place (name)", offsetof(struct py_asyncio_debug, task_name), 144 },
		{ "a task the table does not place (coroutine)", offsetof(struct py_asyncio_debug, task_coro), 120 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct py_asyncio_layout A = table_314();
		struct py_asyncio_debug d = debian_314;

		*(uint64_t *)((char *)&d + bad[i].at) = bad[i].value;
		cr_assert_eq(asyncio_debug_apply(&A, &d), -ENOTSUP, "%s", bad[i].what);
		cr_assert_eq(A.debug.task_size, 0, "%s: nothing taken from it", bad[i].what);
	}
}
