// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "sample_stack.h"

int sample_stack_init(struct sample_stack *b, struct profile *profile)
{
	char name[96];

	memset(b, 0, sizeof(*b));
	b->profile = profile;
	snprintf(name, sizeof(name), "[outer frames not read: stack deeper than %d frames]",
		 PYPERF_MAX_WALK);
	b->unwalked_frame = profile_frame(profile, name, "", 0);
	return b->unwalked_frame == UINT32_MAX ? -ENOMEM : 0;
}

void sample_stack_push(struct sample_stack *b, uint32_t frame)
{
	if (b->depth < SAMPLE_STACK_MAX)
		b->frames[b->depth++] = frame;
}

/* The "[N frames truncated]" frame standing for N frames left out. */
static uint32_t gap_frame(struct sample_stack *b, uint64_t n)
{
	char name[64];

	snprintf(name, sizeof(name), "[%llu frames truncated]", (unsigned long long)n);
	return profile_frame(b->profile, name, "", 0);
}

/* Symbolize the Python frames into b->python (innermost first). */
static size_t python_frames(struct sample_stack *b, struct symbolizer *sym,
			    const struct pyperf_sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pyperf_frame f = s->frames[i];

		b->entry[i] = f.code & PYPERF_FRAME_ENTRY;
		f.code &= ~PYPERF_FRAME_ENTRY;
		b->python[i] = symbolizer_frame(sym, &f);
		b->unresolved += b->python[i] == sym->unknown_frame;
	}
	return n;
}

int sample_stack_build(struct sample_stack *b, struct symbolizer *sym,
		       const struct pyperf_sample *s, size_t size)
{
	size_t n = s->hdr.nframes;

	b->depth = 0;
	if (n > PYPERF_MAX_FRAMES || size < sizeof(s->hdr) + n * sizeof(struct pyperf_frame))
		return -EINVAL;
	python_frames(b, sym, s, n);
	if (s->hdr.flags & PYPERF_SAMPLE_TRUNCATED)
		sample_stack_push(b, b->unwalked_frame);
	for (size_t i = n; i-- > 0;) {
		sample_stack_push(b, b->python[i]);
		/* Between the outermost frames kept and the innermost ones. */
		if (i == PYPERF_KEEP_INNER && s->hdr.depth > n)
			sample_stack_push(b, gap_frame(b, s->hdr.depth - n));
	}
	return 0;
}
