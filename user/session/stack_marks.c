// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include "session/stack_marks.h"

uint32_t stack_mark_frame(struct profile *p, uint16_t flags)
{
	char name[96];

	/* The first that applies: what is missing comes before how much. */
	if (flags & PYPERF_SAMPLE_TSTATE_PENDING)
		return profile_frame(p, "[thread state not found yet]", "", 0);
	if (flags & PYPERF_SAMPLE_TORN)
		return profile_frame(p, "[incomplete stack: torn read]", "", 0);
	if (flags & PYPERF_SAMPLE_UNREADABLE)
		return profile_frame(p, "[incomplete stack: unreadable frame]", "", 0);
	if (flags & PYPERF_SAMPLE_BUDGET)
		return profile_frame(p, "[incomplete stack: read budget spent]", "", 0);
	if (flags & PYPERF_SAMPLE_TASK_UNREAD)
		return profile_frame(p, "[incomplete stack: asyncio task not read]", "", 0);
	if (flags & PYPERF_SAMPLE_TRUNCATED) {
		snprintf(name, sizeof(name), "[outer frames not read: stack deeper than %d frames]",
			 PYPERF_MAX_WALK);
		return profile_frame(p, name, "", 0);
	}
	return UINT32_MAX;
}

uint32_t stack_task_frame(struct profile *p, const char *name)
{
	char text[STACK_TASK_NAME_MAX + 8];

	snprintf(text, sizeof(text), "[task %s]", name);
	return profile_frame(p, text, "", 0);
}
