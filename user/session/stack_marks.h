/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The root frames that say a stack is not whole: what a sample's flags
 * (enum pyperf_sample_flags) say is missing, in words.  One place for the
 * names, for the samples of the BPF program and userspace's own walks.
 */
#ifndef PYBPF_STACK_MARKS_H
#define PYBPF_STACK_MARKS_H

#include <stdbool.h>
#include <stdint.h>
#include "profile/profile.h"
#include "pyperf.h"

/* Flags that mean the stack is not whole (or not there yet). */
#define STACK_INCOMPLETE_FLAGS (PYPERF_SAMPLE_TRUNCATED | PYPERF_SAMPLE_TORN | \
				PYPERF_SAMPLE_UNREADABLE | PYPERF_SAMPLE_TSTATE_PENDING | \
				PYPERF_SAMPLE_BUDGET | PYPERF_SAMPLE_TASK_UNREAD)

static inline bool stack_incomplete(uint16_t flags)
{
	return flags & STACK_INCOMPLETE_FLAGS;
}

/*
 * The profile frame to put at the root of a stack with FLAGS, or UINT32_MAX
 * when FLAGS say it is whole (or memory ran out).
 */
uint32_t stack_mark_frame(struct profile *p, uint16_t flags);

/* An asyncio task's name in its frame, at most (longer ones are cut, with "..."). */
#define STACK_TASK_NAME_MAX	160

/* The "[task NAME]" frame above an asyncio task's coroutine (--async). */
uint32_t stack_task_frame(struct profile *p, const char *name);

/*
 * The frame above the outermost task frame of a sample with
 * PYPERF_SAMPLE_AWAITERS_CUT: tasks awaiting it may be there, not read.
 */
#define STACK_AWAITERS_CUT	"[awaiters not read]"

/*
 * Inside an awaiting task's frames that stop short of its await (a read
 * failed, or more than PYPERF_TASK_FRAMES): its frames there not read.
 */
#define STACK_AWAIT_FRAMES_CUT	"[awaiting frames not read]"

/*
 * The root of a --mode memory sample of a thread running no Python code
 * (the interpreter starting or ending, a thread of C code): the growth is
 * the process's, and counted, with no frame made up for it.
 */
#define STACK_NO_PYTHON	"[no Python frames]"

#endif
