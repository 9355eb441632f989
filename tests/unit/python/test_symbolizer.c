// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/python/symbolizer.h against a target's memory the test makes and
 * changes (tests/common/fake_target.h, read through target_mem's injected
 * reader): a code object named from its own memory, an address reused by
 * another code object, a code object freed between the sample and the
 * read.  Each sampled frame carries the fingerprint the BPF program
 * computed from the code object live at the sample.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_target.h"
#include "process/target_mem.h"
#include "profile/profile.h"
#include "python/python_target.h"
#include "python/symbolizer.h"

#define INNER (FAKE_CODES + FAKE_CODE_SPAN)

static struct profile P;
static struct python_target T;
static struct symbolizer S;

static void setup(void)
{
	fake_python_target(11, &T);
	cr_assert_eq(T.pid, 4242, "no 3.11 layout to make a runtime with");
	profile_init(&P, 10000000);
	cr_assert_eq(symbolizer_init(&S, &T, &P), 0);
}

static void teardown(void)
{
	symbolizer_free(&S);
	profile_free(&P);
	target_mem_set_reader(NULL);
}

TestSuite(symbolizer, .init = setup, .fini = teardown);

/* The frame a sample taken now would carry for the code object at AT. */
static struct pyperf_frame sampled(uint64_t at)
{
	struct pyperf_frame f = { .code = fake_addr(at), .instr_offset = 0 };

	f.fingerprint = symbolizer_fingerprint(&S, f.code);
	cr_assert_neq(f.fingerprint, 0, "the live code object at %#llx reads", (unsigned long long)at);
	return f;
}

static const char *name_of(uint32_t frame)
{
	return P.strings[P.frames[frame].name];
}

Test(symbolizer, names_a_code_object_from_its_memory)
{
	struct pyperf_frame f = sampled(INNER);
	uint32_t frame = symbolizer_frame(&S, &f);

	cr_assert_str_eq(name_of(frame), "inner");
	cr_assert_str_eq(P.strings[P.frames[frame].file], "seed.py");
	cr_assert_eq(P.frames[frame].line, 10);
	cr_assert_eq(P.frames[frame].column, 0, "the table's column 0: a real one");
	cr_assert_eq(S.frames_resolved, 1);
}

Test(symbolizer, a_reused_address_is_named_by_what_lived_there_at_the_sample)
{
	struct pyperf_frame before = sampled(INNER), after;
	uint32_t first = symbolizer_frame(&S, &before);

	/* Freed, and another function's code object made at the same address. */
	fake_code(INNER, "other", "reused.py");
	after = sampled(INNER);
	cr_assert_neq(after.fingerprint, before.fingerprint);
	cr_assert_str_eq(name_of(symbolizer_frame(&S, &after)), "other");
	cr_assert_str_eq(P.strings[P.frames[symbolizer_frame(&S, &after)].file], "reused.py");
	/* A sample from before the reuse keeps its own name, cached then. */
	cr_assert_eq(symbolizer_frame(&S, &before), first);
	cr_assert_str_eq(name_of(first), "inner");
}

Test(symbolizer, a_sample_of_a_code_object_replaced_before_the_read_is_unknown)
{
	/* The sample saw "inner"; by the time userspace reads, "other" lives there. */
	struct pyperf_frame f = sampled(INNER);

	fake_code(INNER, "other", "reused.py");
	cr_assert_eq(symbolizer_frame(&S, &f), S.unknown_frame, "never the newcomer's name");
	cr_assert_eq(S.frames_failed, 1);
}

Test(symbolizer, a_code_object_freed_before_the_read_is_unknown)
{
	struct pyperf_frame f = sampled(INNER);

	/* Freed: its memory reused for anything but a code object. */
	memset(fake_mem + INNER, 0, 64);
	cr_assert_eq(symbolizer_frame(&S, &f), S.unknown_frame);
	cr_assert_eq(S.frames_failed, 1);
	cr_assert_eq(S.frames_resolved, 0);
}

Test(symbolizer, memory_out_of_reach_is_unknown)
{
	struct pyperf_frame f = { .code = FAKE_BASE + FAKE_SIZE + 0x1000, .fingerprint = 77 };

	cr_assert_eq(symbolizer_fingerprint(&S, f.code), 0);
	cr_assert_eq(symbolizer_frame(&S, &f), S.unknown_frame);
}

/* An injected source reader: what was asked, and a text or an error to give. */
static int source_reads;
static char source_asked[64];
static pid_t source_pid;

static int fake_source(pid_t pid, const char *name, size_t max, char **text, size_t *len)
{
	source_reads++;
	source_pid = pid;
	snprintf(source_asked, sizeof(source_asked), "%s", name);
	if (strcmp(name, "seed.py"))
		return -ENOENT;
	*text = strdup("def outer():\n    inner()\n");
	*len = strlen(*text);
	return 0;
}

Test(symbolizer, keeps_each_source_file_once_when_asked)
{
	struct pyperf_frame inner = sampled(INNER), outer = sampled(FAKE_CODES);
	const struct prof_source *src;

	source_reads = 0;
	symbolizer_frame(&S, &inner);
	cr_assert_eq(P.sources.n, 0, "no reader, no sources");
	S.read_source = fake_source;
	/* Another code object of the same file: read once, for the first. */
	symbolizer_frame(&S, &outer);
	cr_assert_eq(source_reads, 1);
	cr_assert_str_eq(source_asked, "seed.py");
	cr_assert_eq(source_pid, T.pid);
	src = profile_source(&P, P.frames[symbolizer_frame(&S, &outer)].file);
	cr_assert_not_null(src);
	cr_assert_eq(src->error, 0);
	cr_assert_eq(src->len, strlen("def outer():\n    inner()\n"));
	cr_assert_eq(memcmp(src->text, "def outer():\n", 13), 0);
	fake_code(INNER, "again", "seed.py");
	symbolizer_frame(&S, &(struct pyperf_frame){ .code = fake_addr(INNER), .fingerprint = symbolizer_fingerprint(&S, fake_addr(INNER)) });
	cr_assert_eq(source_reads, 1, "a file is read once");
}

Test(symbolizer, a_source_that_cannot_be_read_is_kept_with_why)
{
	struct pyperf_frame f;

	S.read_source = fake_source;
	fake_code(INNER, "inner", "<frozen thing>");
	f = sampled(INNER);
	symbolizer_frame(&S, &f);
	cr_assert_eq(P.sources.n, 1);
	cr_assert_eq(P.sources.list[0].error, ENOENT);
	cr_assert_null(P.sources.list[0].text);
	cr_assert_str_eq(P.strings[P.sources.list[0].file], "<frozen thing>");
}
