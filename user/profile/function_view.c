// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "profile/function_view.h"

/* SRC's frame FRAME in VIEW: its function's frame. */
static uint32_t function_frame(struct profile *view, const struct profile *src, uint32_t frame)
{
	const struct prof_frame *f = &src->frames[frame];

	return profile_code_frame(view, src->strings[f->name], src->strings[f->file], f->first_line,
				  f->first_line > 0 ? f->first_line : 0, PROF_NO_COLUMN);
}

/* SAMPLES of STACK, its frames mapped by MAP, to VIEW's thread TO. */
static int add_stack(struct profile *view, struct prof_thread *to, const uint32_t *map,
		     const struct prof_stack *stack, uint64_t samples, uint32_t *frames)
{
	for (uint32_t d = 0; d < stack->depth; d++)
		frames[d] = map[stack->frames[d]];
	return profile_add(view, to, frames, stack->depth, samples);
}

static int copy_thread(struct profile *view, const struct profile *src, const uint32_t *map,
		       const struct prof_thread *t, uint32_t *frames)
{
	struct prof_thread *to = profile_thread(view, t->process, t->tid, profile_thread_os_name(t));
	int rc = 0;

	if (!to || (t->os_name && !to->os_name && profile_thread_set_name(to, t->name)))
		return -ENOMEM;
	/* In the order taken where it was kept (speedscope's timeline), else stack by stack. */
	if (src->keep_order && t->nruns)
		for (size_t i = 0; i < t->nruns && !rc; i++)
			rc = add_stack(view, to, map, &t->stacks[t->runs[i].stack], t->runs[i].count,
				       frames);
	else
		for (size_t i = 0; i < t->nstacks && !rc; i++)
			rc = add_stack(view, to, map, &t->stacks[i], t->stacks[i].count, frames);
	return rc ? -ENOMEM : 0;
}

int profile_function_view(struct profile *view, const struct profile *src)
{
	uint32_t *map = malloc((src->nframes + 1) * sizeof(*map)), *frames = NULL;
	uint32_t deepest = 1;
	int rc = -ENOMEM;

	profile_init(view, src->sample_value);
	view->unit = src->unit;
	view->keep_order = src->keep_order;
	view->start_ns = src->start_ns;
	view->origin_ns = src->origin_ns;
	view->duration_ns = src->duration_ns;
	/* Never tighter than the profile it shows: it has at most as many of everything. */
	view->limits = src->limits;
	view->over = src->over;
	if (!map)
		goto out;
	for (size_t i = 0; i < src->nframes; i++)
		if ((map[i] = function_frame(view, src, (uint32_t)i)) == UINT32_MAX)
			goto out;
	/* Processes first, in order: threads name them by index. */
	for (size_t i = 0; i < src->nprocesses; i++) {
		const struct prof_process *proc = &src->processes[i];
		size_t at = profile_process(view, proc->pid, proc->cmdline, proc->version);

		if (at == PROFILE_NO_PROCESS)
			goto out;
		view->processes[at].ns_pid = proc->ns_pid;
	}
	for (size_t i = 0; i < src->nthreads; i++)
		for (size_t s = 0; s < src->threads[i]->nstacks; s++)
			if (src->threads[i]->stacks[s].depth > deepest)
				deepest = src->threads[i]->stacks[s].depth;
	frames = malloc(deepest * sizeof(*frames));
	if (!frames)
		goto out;
	for (size_t i = 0; i < src->nthreads; i++)
		if (copy_thread(view, src, map, src->threads[i], frames))
			goto out;
	rc = 0;
out:
	free(map);
	free(frames);
	if (rc)
		profile_free(view);
	return rc;
}
