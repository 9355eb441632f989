// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "json_writer.h"
#include "speedscope.h"
#include "version.h"

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
		fputc('}', out);
	}
	fputs("]}", out);
}

static void write_thread(FILE *out, const struct profile *p, const struct prof_thread *t)
{
	const struct prof_process *proc = &p->processes[t->process];
	char name[1200], ns[48] = "", version[48] = "";

	if (proc->ns_pid != proc->pid)
		snprintf(ns, sizeof(ns), " (%u in its namespace)", proc->ns_pid);
	if (proc->version[0])
		snprintf(version, sizeof(version), ", Python %s", proc->version);
	snprintf(name, sizeof(name), "%s [pid %u%s%s] thread %u (%s)",
		 proc->cmdline, proc->pid, ns, version, t->tid, t->name);
	fputs("{\"type\":\"sampled\",\"name\":", out);
	json_write_string(out, name);
	fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
		(unsigned long long)(t->samples * p->interval_ns));
	for (size_t i = 0; i < t->nstacks; i++) {
		const struct prof_stack *s = &t->stacks[i];

		fputs(i ? ",\n[" : "\n[", out);
		for (uint32_t d = 0; d < s->depth; d++)
			fprintf(out, d ? ",%u" : "%u", s->frames[d]);
		fputc(']', out);
	}
	fputs("],\"weights\":[", out);
	for (size_t i = 0; i < t->nstacks; i++)
		fprintf(out, i ? ",%llu" : "%llu",
			(unsigned long long)(t->stacks[i].count * p->interval_ns));
	fputs("]}", out);
}

static int by_process_then_tid(const void *a, const void *b)
{
	const struct prof_thread *x = *(struct prof_thread *const *)a;
	const struct prof_thread *y = *(struct prof_thread *const *)b;

	if (x->process != y->process)
		return x->process < y->process ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

int speedscope_write(FILE *out, const struct profile *p, const char *title)
{
	struct prof_thread **order = malloc((p->nthreads + 1) * sizeof(*order));
	size_t n = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i]->samples)
			order[n++] = p->threads[i];
	qsort(order, n, sizeof(*order), by_process_then_tid);

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
