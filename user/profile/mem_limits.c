// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/mem_limits.h"
#include "base/array.h"

static const struct {
	const char *name;
	size_t offset;
} limit_names[] = {
	{ "code_objects", offsetof(struct limits, code_objects) },
	{ "code_bytes", offsetof(struct limits, code_bytes) },
	{ "string_bytes", offsetof(struct limits, string_bytes) },
	{ "frames", offsetof(struct limits, frames) },
	{ "stacks", offsetof(struct limits, stacks) },
	{ "stack_frames", offsetof(struct limits, stack_frames) },
	{ "threads", offsetof(struct limits, threads) },
	{ "processes", offsetof(struct limits, processes) },
	{ "source_bytes", offsetof(struct limits, source_bytes) },
	{ "ring_bytes", offsetof(struct limits, ring_bytes) },
};

static const struct {
	const char *json, *text;
	size_t offset;
} overflow_names[] = {
	{ "code_cache_flushes", "code-object cache flushed %llu time%s",
	  offsetof(struct limit_overflows, code_cache_flushes) },
	{ "strings", "%llu name%s not kept", offsetof(struct limit_overflows, strings) },
	{ "frames", "%llu frame%s not kept", offsetof(struct limit_overflows, frames) },
	{ "stacks", "%llu sample%s under [stack table full]", offsetof(struct limit_overflows, stacks) },
	{ "threads", "%llu thread%s under [other threads]", offsetof(struct limit_overflows, threads) },
	{ "processes", "%llu process%s not profiled", offsetof(struct limit_overflows, processes) },
	{ "sources", "%llu source file%s not kept", offsetof(struct limit_overflows, sources) },
};

static uint64_t overflow(const struct limit_overflows *o, size_t i)
{
	return *(const uint64_t *)((const char *)o + overflow_names[i].offset);
}

int limits_parse(struct limits *l, const char *spec, char *err, size_t errlen)
{
	char *copy, *item, *save = NULL;
	int rc = 0;

	if (!spec || !*spec)
		return 0;
	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		unsigned long long v;
		size_t i;

		for (i = 0; eq && i < ARRAY_SIZE(limit_names); i++)
			if ((size_t)(eq - item) == strlen(limit_names[i].name) &&
			    !strncmp(item, limit_names[i].name, eq - item))
				break;
		v = eq ? strtoull(eq + 1, &end, 10) : 0;
		if (!eq || i == ARRAY_SIZE(limit_names) || end == eq + 1 || *end || v == 0) {
			snprintf(err, errlen, "PYBPF_LIMITS: '%s' is not NAME=N with N > 0 and NAME one of code_objects, code_bytes, string_bytes, frames, stacks, stack_frames, threads, processes, ring_bytes",
				 item);
			rc = -EINVAL;
			break;
		}
		if (limit_names[i].offset == offsetof(struct limits, ring_bytes) &&
		    (v < 4096 || v > (1ULL << 30) || (v & (v - 1)))) {
			snprintf(err, errlen, "PYBPF_LIMITS: ring_bytes=%llu: give a power of two from 4096 to 1073741824",
				 v);
			rc = -EINVAL;
			break;
		}
		*(uint64_t *)((char *)l + limit_names[i].offset) = v;
	}
	free(copy);
	return rc;
}

void limits_warn(const struct limit_overflows *o, FILE *out)
{
	const char *sep = "pybpf: warning: memory limits reached: ";

	for (size_t i = 0; i < ARRAY_SIZE(overflow_names); i++) {
		unsigned long long n = overflow(o, i);
		const char *plural = n == 1 ? "" : !strcmp(overflow_names[i].json, "processes") ? "es" : "s";

		if (!n)
			continue;
		fputs(sep, out);
		fprintf(out, overflow_names[i].text, n, plural);
		sep = ", ";
	}
	if (strcmp(sep, ", "))
		return;
	fputs(" (see \"Limits\" in pybpf's README)\n", out);
}

void limits_json(const struct limit_overflows *o, FILE *out)
{
	fputc('{', out);
	for (size_t i = 0; i < ARRAY_SIZE(overflow_names); i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "", overflow_names[i].json,
			(unsigned long long)overflow(o, i));
	fputc('}', out);
}
