// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "output/collapsed.h"
#include "profile/labels.h"
#include "base/utf8.h"

static const char *escape(uint32_t cp)
{
	switch (cp) {
	case ';': return "\\x3b";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\\': return "\\\\";
	default: return NULL;
	}
}

void collapsed_write_frame(FILE *out, const char *text)
{
	utf8_write_escaped(out, text, SIZE_MAX, escape);
}

static void write_thread(FILE *out, const struct profile *p, const struct prof_thread *t,
			 char *label)
{
	char thread[LABEL_MAX];

	thread_label(p, t, thread, sizeof(thread));
	for (size_t i = 0; i < t->nstacks; i++) {
		const struct prof_stack *s = &t->stacks[i];

		if (!s->count)
			continue;
		collapsed_write_frame(out, thread);
		for (uint32_t d = 0; d < s->depth; d++) {
			frame_label(p, s->frames[d], label, LABEL_MAX);
			fputc(';', out);
			collapsed_write_frame(out, label);
		}
		/* Samples of time, as flamegraph.pl counts them; memory in bytes. */
		fprintf(out, " %llu\n", (unsigned long long)(p->unit == PROF_UNIT_BYTES ?
								s->count * p->sample_value : s->count));
	}
}

int collapsed_write(FILE *out, const struct profile *p, const char *title)
{
	size_t n;
	struct prof_thread **order = profile_sorted_threads(p, &n);
	char *label = malloc(LABEL_MAX);

	if (!order || !label) {
		free(order);
		free(label);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		write_thread(out, p, order[i], label);
	free(order);
	free(label);
	return ferror(out) ? -EIO : 0;
}
