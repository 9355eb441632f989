// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"
#include "base/array.h"

void profile_init(struct profile *p, uint64_t sample_value)
{
	memset(p, 0, sizeof(*p));
	p->sample_value = sample_value;
	p->keep_order = true;
	p->limits = (struct limits)LIMITS_DEFAULT;
}

#define STRING_TABLE_FULL	"[string table full]"
#define FRAME_TABLE_FULL	"[frame table full]"
#define STACK_TABLE_FULL	"[stack table full]"
#define OTHER_THREADS		"[other threads]"

/* pybpf's own markers: made past the bounds, once each. */
static bool is_marker(const char *text)
{
	static const char *const markers[] = {
		"", STRING_TABLE_FULL, FRAME_TABLE_FULL, STACK_TABLE_FULL, OTHER_THREADS,
	};

	for (size_t i = 0; i < ARRAY_SIZE(markers); i++)
		if (!strcmp(text, markers[i]))
			return true;
	return false;
}

/* A thread's key in thread_index: its process's slot and its tid. */
struct thread_key {
	uint64_t process;
	uint32_t tid;
	uint32_t pad;
};

static struct thread_key thread_key(size_t process, uint32_t tid)
{
	return (struct thread_key){ process, tid, 0 };
}

/* T's stacks leave P's use, against its bounds. */
static void thread_free(struct profile *p, struct prof_thread *t)
{
	for (size_t i = 0; i < t->nstacks; i++) {
		p->stack_frames -= t->stacks[i].depth;
		free(t->stacks[i].frames);
	}
	p->nstacks -= t->nstacks;
	free(t->stacks);
	free(t->runs);
	hmap_free(&t->stack_index);
	free(t->name);
	free(t->os_name);
	free(t);
}

const char *profile_unit_name(enum prof_unit unit)
{
	return unit == PROF_UNIT_BYTES ? "bytes" : "nanoseconds";
}

void profile_format_bytes(double bytes, char *buf, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

void profile_describe(const struct profile *p, uint64_t count, char *buf, size_t size)
{
	char bytes[32];

	if (p->unit != PROF_UNIT_BYTES) {
		snprintf(buf, size, "%llu sample%s", (unsigned long long)count, count == 1 ? "" : "s");
		return;
	}
	profile_format_bytes((double)count * p->sample_value, bytes, sizeof(bytes));
	snprintf(buf, size, "%s in %llu sample%s", bytes, (unsigned long long)count, count == 1 ? "" : "s");
}

static void process_free(struct prof_process *proc)
{
	free(proc->cmdline);
	free(proc->version);
	free(proc->executable);
	free(proc->container_id);
	memset(proc, 0, sizeof(*proc));
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	for (size_t i = 0; i < p->nprocesses; i++)
		process_free(&p->processes[i]);
	for (size_t i = 0; i < p->nthreads; i++)
		thread_free(p, p->threads[i]);
	free(p->strings);
	free(p->frames);
	free(p->processes);
	free(p->free_processes);
	free(p->threads);
	hmap_free(&p->string_index);
	hmap_free(&p->frame_index);
	hmap_free(&p->thread_index);
	profile_sources_free(&p->sources);
	memset(p, 0, sizeof(*p));
}

/*
 * Each intern/insert below allocates everything first and touches the hash
 * map last, so running out of memory never leaves a half-made entry behind.
 */
uint32_t profile_string(struct profile *p, const char *text)
{
	size_t len = strlen(text);
	uintptr_t *slot = hmap_find(&p->string_index, text, len);
	char *copy;

	if (slot)
		return (uint32_t)(*slot - 1);
	if (p->string_bytes + len + 1 > p->limits.string_bytes && !is_marker(text)) {
		p->over.strings++;
		return profile_string(p, STRING_TABLE_FULL);
	}
	if (array_reserve(&p->strings, &p->strings_cap, p->nstrings + 1, sizeof(char *)))
		return UINT32_MAX;
	copy = strdup(text);
	slot = copy ? hmap_upsert(&p->string_index, text, len, NULL) : NULL;
	if (!slot) {
		free(copy);
		return UINT32_MAX;
	}
	p->strings[p->nstrings] = copy;
	p->string_bytes += len + 1;
	*slot = ++p->nstrings;
	return (uint32_t)(*slot - 1);
}

uint32_t profile_frame(struct profile *p, const char *name, const char *file, int line)
{
	return profile_code_frame(p, name, file, 0, line, PROF_NO_COLUMN);
}

uint32_t profile_code_frame(struct profile *p, const char *name, const char *file, int first_line,
			    int line, int column)
{
	struct prof_frame f = {
		.name = profile_string(p, name),
		.file = profile_string(p, file),
		.first_line = first_line,
		.line = line,
		/* One "none", so that a frame is never two for want of a column. */
		.column = line > 0 && column >= 0 ? column : PROF_NO_COLUMN,
	};
	uintptr_t *slot;

	if (f.name == UINT32_MAX || f.file == UINT32_MAX)
		return UINT32_MAX;
	slot = hmap_find(&p->frame_index, &f, sizeof(f));
	if (slot)
		return (uint32_t)(*slot - 1);
	if (p->nframes >= p->limits.frames && !(is_marker(name) && !*file)) {
		p->over.frames++;
		return profile_frame(p, FRAME_TABLE_FULL, "", 0);
	}
	if (array_reserve(&p->frames, &p->frames_cap, p->nframes + 1, sizeof(f)))
		return UINT32_MAX;
	slot = hmap_upsert(&p->frame_index, &f, sizeof(f), NULL);
	if (!slot)
		return UINT32_MAX;
	p->frames[p->nframes] = f;
	*slot = ++p->nframes;
	return (uint32_t)(*slot - 1);
}

size_t profile_process(struct profile *p, uint32_t pid, const char *cmdline,
		       const char *version)
{
	bool reuse = p->nfree_processes > 0;
	size_t at = reuse ? p->free_processes[p->nfree_processes - 1] : p->nprocesses;
	struct prof_process *proc;

	/* Room to let go of every process, made now: profile_retire cannot fail. */
	if (array_reserve(&p->free_processes, &p->free_processes_cap, p->nprocesses + 1,
			  sizeof(*p->free_processes)) ||
	    (!reuse && array_reserve(&p->processes, &p->processes_cap, p->nprocesses + 1, sizeof(*proc))))
		return PROFILE_NO_PROCESS;
	proc = &p->processes[at];
	memset(proc, 0, sizeof(*proc));
	proc->pid = pid;
	proc->ns_pid = pid;
	proc->cmdline = strdup(cmdline ? cmdline : "");
	proc->version = strdup(version ? version : "");
	if (!proc->cmdline || !proc->version) {
		/* Left empty: a free slot has no command line (profile_retire, profile_free). */
		process_free(proc);
		return PROFILE_NO_PROCESS;
	}
	if (reuse)
		p->nfree_processes--;
	else
		p->nprocesses++;
	return at;
}

void profile_drop_process(struct profile *p, size_t proc)
{
	process_free(&p->processes[proc]);
	/* The last one leaves no hole for the outputs to meet (those that write as they go have not yet). */
	if (proc + 1 == p->nprocesses)
		p->nprocesses--;
	else
		p->free_processes[p->nfree_processes++] = proc;
}

void profile_retire(struct profile *p, const bool *retire, size_t *moved)
{
	size_t kept = 0;

	for (size_t i = 0; i < p->nthreads; i++) {
		struct prof_thread *t = p->threads[i];
		struct thread_key key = thread_key(t->process, t->tid);

		if (retire[t->process]) {
			hmap_remove(&p->thread_index, &key, sizeof(key));
			thread_free(p, t);
			moved[i] = PROFILE_THREAD_GONE;
			continue;
		}
		/* Found again after the removals: they move the map's entries. */
		if (kept != i)
			*hmap_find(&p->thread_index, &key, sizeof(key)) = kept + 1;
		t->index = kept;
		p->threads[kept] = t;
		moved[i] = kept++;
	}
	p->nthreads = kept;
	for (size_t i = 0; i < p->nprocesses; i++) {
		/* A slot already free has no command line: never let go of twice. */
		if (!retire[i] || !p->processes[i].cmdline)
			continue;
		p->retired_samples += p->processes[i].samples;
		process_free(&p->processes[i]);
		p->free_processes[p->nfree_processes++] = i;
	}
}

int profile_process_origin(struct profile *p, size_t proc, const char *executable, const char *container_id)
{
	struct prof_process *process = &p->processes[proc];
	char *exe = executable ? strdup(executable) : NULL, *container = container_id ? strdup(container_id) : NULL;

	if ((executable && !exe) || (container_id && !container)) {
		free(exe);
		free(container);
		return -ENOMEM;
	}
	free(process->executable);
	free(process->container_id);
	process->executable = exe;
	process->container_id = container;
	return 0;
}

int profile_thread_set_name(struct prof_thread *t, const char *name)
{
	char *copy = strdup(name);

	if (!copy)
		return -ENOMEM;
	if (t->os_name)
		free(t->name);
	else
		t->os_name = t->name;
	t->name = copy;
	return 0;
}

struct prof_thread *profile_thread(struct profile *p, size_t process, uint32_t tid,
				   const char *name)
{
	struct thread_key key = thread_key(process, tid);
	uintptr_t *slot = hmap_find(&p->thread_index, &key, sizeof(key));
	struct prof_thread *t;

	if (slot)
		return p->threads[*slot - 1];
	/* Tid 0 is no thread of a process: it stands for those past the bound. */
	if (p->nthreads >= p->limits.threads && tid != 0) {
		p->over.threads++;
		return profile_thread(p, process, 0, OTHER_THREADS);
	}
	if (array_reserve(&p->threads, &p->threads_cap, p->nthreads + 1, sizeof(t)))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->name = strdup(name ? name : "");
	slot = t && t->name ? hmap_upsert(&p->thread_index, &key, sizeof(key), NULL) : NULL;
	if (!slot) {
		if (t)
			free(t->name);
		free(t);
		return NULL;
	}
	t->pid = p->processes[process].pid;
	t->tid = tid;
	t->index = p->nthreads;
	t->process = process;
	p->threads[p->nthreads] = t;
	*slot = ++p->nthreads;
	return t;
}

/*
 * Append COUNT samples of STACK to T's time order, merging with the last
 * run.  The caller reserved room for 1 + COUNT / UINT32_MAX more runs.
 */
static void append_runs(struct prof_thread *t, uint32_t stack, uint64_t count)
{
	while (count) {
		struct prof_run *last = t->nruns ? &t->runs[t->nruns - 1] : NULL;
		uint32_t n;

		if (!last || last->stack != stack || last->count == UINT32_MAX) {
			last = &t->runs[t->nruns++];
			last->stack = stack;
			last->count = 0;
		}
		n = count < UINT32_MAX - last->count ? (uint32_t)count : UINT32_MAX - last->count;
		last->count += n;
		count -= n;
	}
}

int profile_add_at(struct profile *p, struct prof_thread *t, const uint32_t *frames,
		   uint32_t depth, uint64_t count, int64_t time_ns)
{
	size_t key_len = depth * sizeof(*frames);
	uintptr_t *slot = hmap_find(&t->stack_index, frames, key_len);
	bool created = !slot;
	struct prof_stack *s;
	uint32_t stack;

	if (!slot && (p->nstacks >= p->limits.stacks ||
		      p->stack_frames + depth > p->limits.stack_frames)) {
		uint32_t full;

		if (!p->stack_full_frame)
			p->stack_full_frame = profile_frame(p, STACK_TABLE_FULL, "", 0) + 1;
		full = p->stack_full_frame - 1;
		if (full != UINT32_MAX && !(depth == 1 && frames[0] == full)) {
			p->over.stacks += count;
			return profile_add_at(p, t, &full, 1, count, time_ns);
		}
	}

	/* Everything that can fail comes before the stack is created. */
	if (p->keep_order && array_reserve(&t->runs, &t->runs_cap, t->nruns + 1 + count / UINT32_MAX,
					   sizeof(*t->runs)))
		return -1;
	if (!slot) {
		if (array_reserve(&t->stacks, &t->stacks_cap, t->nstacks + 1, sizeof(*s)))
			return -1;
		s = &t->stacks[t->nstacks];
		s->frames = malloc(key_len ? key_len : 1);
		slot = s->frames ? hmap_upsert(&t->stack_index, frames, key_len, NULL) : NULL;
		if (!slot) {
			free(s->frames);
			return -1;
		}
		memcpy(s->frames, frames, key_len);
		s->depth = depth;
		s->count = 0;
		*slot = ++t->nstacks;
		p->nstacks++;
		p->stack_frames += depth;
	}
	stack = (uint32_t)(*slot - 1);
	if (p->keep_order)
		append_runs(t, stack, count);
	t->stacks[stack].count += count;
	t->samples += count;
	p->processes[t->process].samples += count;
	if (p->listener.on_add)
		p->listener.on_add(p->listener.ctx, p, t, stack, created, count, time_ns);
	return 0;
}

int profile_add(struct profile *p, struct prof_thread *t, const uint32_t *frames,
		uint32_t depth, uint64_t count)
{
	return profile_add_at(p, t, frames, depth, count, 0);
}

int64_t profile_time(const struct profile *p, uint64_t monotonic_ns)
{
	return (int64_t)(monotonic_ns - p->origin_ns);
}

uint64_t profile_samples(const struct profile *p)
{
	uint64_t n = 0;

	for (size_t i = 0; i < p->nprocesses; i++)
		n += p->processes[i].samples;
	return n;
}

static int by_process_then_tid(const void *a, const void *b)
{
	const struct prof_thread *x = *(struct prof_thread *const *)a;
	const struct prof_thread *y = *(struct prof_thread *const *)b;

	if (x->process != y->process)
		return x->process < y->process ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

struct prof_thread **profile_sorted_threads(const struct profile *p, size_t *n)
{
	struct prof_thread **order = malloc((p->nthreads + 1) * sizeof(*order));

	*n = 0;
	if (!order)
		return NULL;
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i]->samples)
			order[(*n)++] = p->threads[i];
	qsort(order, *n, sizeof(*order), by_process_then_tid);
	return order;
}
