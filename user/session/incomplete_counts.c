// SPDX-License-Identifier: BSD-3-Clause
#include "session/incomplete_counts.h"

void incomplete_count(struct incomplete_counts *c, uint16_t flags, uint8_t torn)
{
	if (flags & PYPERF_SAMPLE_TSTATE_PENDING) {
		c->pending++;
	} else if (flags & PYPERF_SAMPLE_TORN) {
		c->torn++;
		c->torn_by_rule[torn < PYPERF_TORN_MAX ? torn : PYPERF_TORN_NONE]++;
	} else if (flags & PYPERF_SAMPLE_UNREADABLE) {
		c->unreadable++;
	} else if (flags & PYPERF_SAMPLE_BUDGET) {
		c->budget++;
	} else if (flags & PYPERF_SAMPLE_TRUNCATED) {
		c->too_deep++;
	} else if (flags & PYPERF_SAMPLE_TASK_UNREAD) {
		c->task_unread++;
	}
}

/* Names of the rules a torn chain broke, by enum pyperf_torn. */
static const char *const torn_rules[PYPERF_TORN_MAX] = {
	[PYPERF_TORN_NONE] = "other",
	[PYPERF_TORN_BASE] = "base",
	[PYPERF_TORN_SPACING] = "spacing",
	[PYPERF_TORN_ABOVE_TOP] = "above_top",
	[PYPERF_TORN_CFRAME] = "cframe",
	[PYPERF_TORN_CYCLE] = "cycle",
};

void incomplete_print(const struct incomplete_counts *c, FILE *out)
{
	if (!c->torn && !c->unreadable && !c->too_deep && !c->pending && !c->budget && !c->task_unread)
		return;
	fprintf(out, "pybpf: stacks marked incomplete: %llu torn reads, %llu at unreadable frames, %llu out of read budget, %llu too deep, %llu asyncio tasks not read; %llu samples before their thread state was found\n",
		(unsigned long long)c->torn, (unsigned long long)c->unreadable,
		(unsigned long long)c->budget, (unsigned long long)c->too_deep,
		(unsigned long long)c->task_unread, (unsigned long long)c->pending);
}

void incomplete_json(const struct incomplete_counts *c, FILE *out)
{
	fprintf(out, "{\"torn\":%llu,\"unreadable\":%llu,\"budget\":%llu,\"too_deep\":%llu,\"task_unread\":%llu,\"pending\":%llu,\"torn_by_rule\":{",
		(unsigned long long)c->torn, (unsigned long long)c->unreadable,
		(unsigned long long)c->budget, (unsigned long long)c->too_deep,
		(unsigned long long)c->task_unread, (unsigned long long)c->pending);
	for (int i = 0; i < PYPERF_TORN_MAX; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "", torn_rules[i],
			(unsigned long long)c->torn_by_rule[i]);
	fputs("}}", out);
}
