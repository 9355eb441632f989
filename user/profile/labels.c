// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include "profile/labels.h"

void thread_label(const struct profile *p, const struct prof_thread *t, char *buf, size_t size)
{
	const struct prof_process *proc = &p->processes[t->process];
	char ns[48] = "", version[48] = "";

	if (proc->ns_pid != proc->pid)
		snprintf(ns, sizeof(ns), " (%u in its namespace)", proc->ns_pid);
	if (proc->version[0])
		snprintf(version, sizeof(version), ", Python %s", proc->version);
	if (t->tid == PROFILE_TASKS_TID)
		snprintf(buf, size, "%s [pid %u%s%s] thread - (%s)", proc->cmdline, proc->pid, ns, version,
			 t->name);
	else
		snprintf(buf, size, "%s [pid %u%s%s] thread %u (%s)", proc->cmdline, proc->pid, ns,
			 version, t->tid, t->name);
}

void frame_label(const struct profile *p, uint32_t frame, char *buf, size_t size)
{
	const struct prof_frame *f = &p->frames[frame];
	const char *name = p->strings[f->name], *file = p->strings[f->file];

	/* Columns from 1, as compilers and editors count them in "file:line:col". */
	if (!file[0])
		snprintf(buf, size, "%s", name);
	else if (f->line > 0 && prof_frame_column1(f))
		snprintf(buf, size, "%s (%s:%d:%d)", name, file, f->line, prof_frame_column1(f));
	else if (f->line > 0)
		snprintf(buf, size, "%s (%s:%d)", name, file, f->line);
	else
		snprintf(buf, size, "%s (%s)", name, file);
}
