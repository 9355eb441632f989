// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "output/json_writer.h"
#include "profile/labels.h"
#include "output/speedscope.h"
#include "cli/version.h"

static void write_frames(FILE *out, const struct profile *p)
{
	fputs("\"shared\":{\"frames\":[", out);
	for (size_t i = 0; i < p->nframes; i++) {
		const struct prof_frame *f = &p->frames[i];

		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
		json_write_string(out, p->strings[f->name]);
		fputs(",\"file\":", out);
		json_write_string(out, p->strings[f->file]);
		if (f->line > 0)
			fprintf(out, ",\"line\":%d", f->line);
		/* speedscope's "col" counts from 1, CPython's columns from 0. */
		if (prof_frame_column1(f))
			fprintf(out, ",\"col\":%d", prof_frame_column1(f));
		fputc('}', out);
	}
	fputs("]}", out);
}

/*
 * Sample I of T and how many samples it stands for: in the order taken
 * (one per run of a stack) when the profile kept it, else one per stack.
 */
static const struct prof_stack *sample(const struct prof_thread *t, size_t i, uint64_t *count)
{
	const struct prof_stack *s = &t->stacks[t->nruns ? t->runs[i].stack : i];

	*count = t->nruns ? t->runs[i].count : s->count;
	return s;
}

static void write_thread(FILE *out, const struct profile *p, const struct prof_thread *t)
{
	size_t n = t->nruns ? t->nruns : t->nstacks;
	char name[LABEL_MAX];
	uint64_t count;

	thread_label(p, t, name, sizeof(name));
	fputs("{\"type\":\"sampled\",\"name\":", out);
	json_write_string(out, name);
	fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
		profile_unit_name(p->unit), (unsigned long long)(t->samples * p->sample_value));
	for (size_t i = 0; i < n; i++) {
		const struct prof_stack *s = sample(t, i, &count);

		fputs(i ? ",\n[" : "\n[", out);
		for (uint32_t d = 0; d < s->depth; d++)
			fprintf(out, d ? ",%u" : "%u", s->frames[d]);
		fputc(']', out);
	}
	fputs("],\"weights\":[", out);
	for (size_t i = 0; i < n; i++) {
		sample(t, i, &count);
		fprintf(out, i ? ",%llu" : "%llu", (unsigned long long)(count * p->sample_value));
	}
	fputs("]}", out);
}

int speedscope_write(FILE *out, const struct profile *p, const char *title)
{
	size_t n;
	struct prof_thread **order = profile_sorted_threads(p, &n);

	if (!order)
		return -ENOMEM;

	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",", out);
	fputs("\"exporter\":\"pybpf " PYBPF_VERSION "\",\"name\":", out);
	json_write_string(out, title);
	fputs(",\"activeProfileIndex\":0,\n", out);
	write_frames(out, p);
	fputs(",\n\"profiles\":[", out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(",\n", out);
		write_thread(out, p, order[i]);
	}
	fputs("]}\n", out);
	free(order);
	return ferror(out) ? -EIO : 0;
}
