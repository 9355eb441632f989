// SPDX-License-Identifier: BSD-3-Clause
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/log.h"
#include "python/asyncio_sampling.h"
#include "python/py_walk.h"
#include "process/source_file.h"
#include "session/tracker.h"
#include "base/array.h"
#include "base/clock.h"
#include "process/proc_info.h"

/* A just-exec'd process gets this long to map libpython. */
#define PENDING_GIVE_UP_NS	(2000ULL * 1000 * 1000)
#define PENDING_FAST_TRIES	20
#define PENDING_FAST_NS		(1ULL * 1000 * 1000)
#define PENDING_SLOW_NS		(10ULL * 1000 * 1000)
/*
 * --async: how often a process whose asyncio is not imported (yet) is
 * looked at again; a dozen reads of its sys.modules each time.
 */
#define ASYNC_RETRY_NS		(500ULL * 1000 * 1000)

int tracker_init(struct tracker *t, struct profile *profile,
		 const struct tracker_filters *filters, const struct tracker_modes *modes,
		 unsigned int max_processes)
{
	memset(t, 0, sizeof(*t));
	t->profile = profile;
	t->filters = *filters;
	t->modes.cpu_weight = 1;
	if (modes)
		t->modes = *modes;
	t->max_processes = max_processes;
	wall_clock_init(&t->wall, profile);
	if ((t->modes.native || t->modes.kernel) &&
	    native_stack_init(&t->native, profile, t->modes.native, t->modes.kernel))
		return -ENOMEM;
	t->stack = malloc(sizeof(*t->stack));
	return t->stack && !sample_stack_init(t->stack, profile,
					      t->modes.native || t->modes.kernel ? &t->native : NULL) ?
	       0 : -ENOMEM;
}

static void release(struct tracked *tr)
{
	suspended_tasks_free(&tr->suspended);
	if (tr->state == TRACKED_PROFILED)
		symbolizer_free(&tr->sym);
	hmap_free(&tr->threads);
	thread_names_free(&tr->thread_names);
}

void tracker_free(struct tracker *t)
{
	for (size_t i = 0; i < t->nall; i++) {
		release(t->all[i]);
		free(t->all[i]);
	}
	free(t->all);
	free(t->stack);
	wall_clock_free(&t->wall);
	native_stack_free(&t->native);
	hmap_free(&t->by_pid);
	memset(t, 0, sizeof(*t));
}

static struct tracked *current(const struct tracker *t, pid_t pid)
{
	uintptr_t *slot = hmap_find(&t->by_pid, &pid, sizeof(pid));

	return slot ? (struct tracked *)*slot : NULL;
}

static bool wanted(const struct tracker *t, pid_t pid)
{
	const struct tracker_filters *f = &t->filters;
	char buf[1024];
	size_t i;

	if (f->npids) {
		for (i = 0; i < f->npids && f->pids[i] != pid; i++)
			;
		if (i == f->npids)
			return false;
	}
	if (f->comm) {
		proc_comm(pid, 0, buf, sizeof(buf));
		if (strcmp(buf, f->comm))
			return false;
	}
	if (f->cgroup && !proc_in_cgroup(pid, f->cgroup))
		return false;
	return true;
}

/* A new incarnation of PID, registered in by_pid and in the list of all. */
static struct tracked *new_tracked(struct tracker *t, pid_t pid, bool explicit_target)
{
	struct tracked *tr = calloc(1, sizeof(*tr));
	uintptr_t *slot;

	if (!tr || array_reserve(&t->all, &t->all_cap, t->nall + 1, sizeof(tr)) ||
	    !(slot = hmap_upsert(&t->by_pid, &pid, sizeof(pid), NULL))) {
		free(tr);
		return NULL;
	}
	tr->pid = pid;
	tr->generation = ++t->generations;
	tr->explicit_target = explicit_target;
	tr->first_seen_ns = monotonic_ns();
	*slot = (uintptr_t)tr;
	t->all[t->nall++] = tr;
	return tr;
}

static void forget(struct tracker *t, struct tracked *tr)
{
	uintptr_t *slot = hmap_find(&t->by_pid, &tr->pid, sizeof(tr->pid));

	/* Removed, not zeroed: -a sees every exec on the host, pids get reused. */
	if (slot && *slot == (uintptr_t)tr)
		hmap_remove(&t->by_pid, &tr->pid, sizeof(tr->pid));
}

/*
 * Free the incarnations that ended without being profiled (-a looks at
 * every exec on the host): from the end of the list, where the one just
 * looked at is, or all of them (FULL).  Only profiled ones stay.
 */
static void sweep(struct tracker *t, bool full)
{
	size_t kept = full ? 0 : t->nall;

	while (kept && t->all[kept - 1]->state == TRACKED_ENDED && !t->all[kept - 1]->was_profiled)
		free(t->all[--kept]);
	if (!full) {
		t->nall = kept;
		return;
	}
	for (size_t i = 0; i < t->nall; i++) {
		if (t->all[i]->state == TRACKED_ENDED && !t->all[i]->was_profiled)
			free(t->all[i]);
		else
			t->all[kept++] = t->all[i];
	}
	t->nall = kept;
}

/*
 * --mode memory: TR's memory as the kernel counted it, and (while it
 * runs) its resident memory now for the end.  Once: the count is taken.
 */
static void take_memory(struct tracker *t, struct tracked *tr)
{
	struct pyperf_memory mem;
	uint64_t anon, shmem;

	if (!t->modes.memory_period || t->kernel->take_memory(t->kernel_ctx, tr->pid, &mem))
		return;
	tr->memory.known = true;
	tr->memory.start = mem.start;
	tr->memory.peak = mem.peak;
	tr->memory.sampled = mem.sampled;
	tr->memory.owed = mem.owed + mem.threads_owed;
	tr->memory.end = mem.resident[PYPERF_RESIDENT_ANON] + mem.resident[PYPERF_RESIDENT_SHMEM];
	/* Still running, its memory now; after an exec, /proc is the new program's. */
	if (!tr->replaced_by_exec && proc_resident(tr->pid, &anon, &shmem))
		tr->memory.end = anon + shmem;
}

/* Move the kernel's per-process counts (lost samples, the brake, memory) into TR's. */
static void take_kernel_counts(struct tracker *t, struct tracked *tr)
{
	struct pyperf_brake brake;

	take_memory(t, tr);
	tr->lost += t->kernel->take_lost(t->kernel_ctx, tr->pid);
	if (!t->kernel->take_brake(t->kernel_ctx, tr->pid, &brake)) {
		tr->braked += brake.skipped;
		/* --mode memory: periods of samples it skipped that no sample took after. */
		if (t->modes.memory_period && brake.owed_periods > 0)
			tr->memory.held += brake.owed_periods;
		if (brake.max_level > tr->brake_level)
			tr->brake_level = brake.max_level;
	}
}

/* The CPU time TR used since profiling began; unknown once it is reaped. */
static void measure_cpu(struct tracked *tr)
{
	uint64_t now;

	if (tr->cpu_known && proc_cpu_ns(tr->pid, &now) && now >= tr->cpu_at_start_ns)
		tr->cpu_ns = now - tr->cpu_at_start_ns;
	else
		tr->cpu_known = false;
}

static void end_tracked(struct tracker *t, struct tracked *tr)
{
	if (tr->state == TRACKED_PROFILED) {
		measure_cpu(tr);
		t->profiled--;
		if (t->kernel) {
			take_kernel_counts(t, tr);
			t->kernel->remove_process(t->kernel_ctx, tr->pid);
		}
	}
	release(tr);
	tr->state = TRACKED_ENDED;
	forget(t, tr);
}

static void warn_cap(struct tracker *t, pid_t pid)
{
	if (t->cap_warned)
		return;
	t->cap_warned = true;
	fprintf(stderr, "pybpf: warning: already profiling %u processes; PID %d and later ones are not profiled (raise --max-processes)\n",
		t->max_processes, pid);
}

/* Tell the kernel TR's runtime, layout and generation. */
static int register_bpf(struct tracker *t, struct tracked *tr)
{
	struct pyperf_proc proc = {
		.runtime_addr = tr->target.runtime_addr,
		.generation = tr->generation,
		.off = tr->target.layout.bpf,
		.async = tr->async,
	};

	return t->kernel->add_process(t->kernel_ctx, tr->pid, &proc);
}

/*
 * --async: look for TR's asyncio (imported at any time, or never), and
 * then (3.11-3.13) for its TaskGroup (made at any time, or never), at
 * most every ASYNC_RETRY_NS.  True when something was found just now.
 */
static bool find_asyncio(struct tracker *t, struct tracked *tr, uint64_t now_ns)
{
	bool found = false;
	int rc;

	if (!t->modes.async_tasks || tr->async_complete || now_ns < tr->async_retry_at_ns)
		return false;
	if (!tr->async.task_type) {
		rc = asyncio_sampling_config(&tr->target, &tr->async_layout, &tr->async);
		if (rc == -ENOTSUP) {
			tr->async_complete = true;
			fprintf(stderr, "pybpf: warning: PID %d runs Python %s: --async names the asyncio tasks of " ASYNCIO_VERSIONS " only; its samples show no tasks\n",
				tr->pid, tr->target.version);
		} else if (rc) {
			tr->async_retry_at_ns = now_ns + ASYNC_RETRY_NS;
		}
		if (rc)
			return false;
		found = true;
	}
	rc = asyncio_sampling_taskgroups(&tr->target, &tr->async_layout, &tr->async);
	if (!rc || rc == -ENOTSUP)
		tr->async_complete = true;
	else
		tr->async_retry_at_ns = now_ns + ASYNC_RETRY_NS;
	return found || !rc;
}

/* --mode wall --async: TR's suspended tasks, read with dump --async's reader. */
static int read_tasks(void *ctx, struct asyncio_snapshot *out)
{
	struct tracked *tr = ctx;

	/* Once found, the layout (3.14+: read from the target's files) is kept. */
	if (tr->async.task_type)
		return asyncio_read_layout(&tr->target, &tr->async_layout, out);
	return asyncio_read(&tr->target, out);
}

static uint32_t task_frame_id(void *ctx, const struct py_frame_info *f)
{
	struct tracked *tr = ctx;

	return symbolizer_read_frame(&tr->sym, f);
}

static int watch_suspended_tasks(struct tracker *t, struct tracked *tr)
{
	struct suspended_tasks_source src = { read_tasks, task_frame_id, monotonic_ns, tr };

	if (!t->modes.wall || !t->modes.async_tasks)
		return 0;
	/* No more often than the sampling period (wall mode's cpu_weight, in us). */
	return suspended_tasks_init(&tr->suspended, &src, t->profile, tr->process, monotonic_ns(),
				    t->modes.cpu_weight * 1000);
}

/*
 * --mode memory: count TR's growth from its resident memory now (a fork's
 * the kernel counts from its parent's).  A process gone meanwhile is
 * left to its exit.
 */
static int track_memory(struct tracker *t, struct tracked *tr)
{
	uint64_t anon, shmem;

	if (!t->modes.memory_period || !proc_resident(tr->pid, &anon, &shmem))
		return 0;
	return t->kernel->track_memory(t->kernel_ctx, tr->pid, anon, shmem);
}

/*
 * Where TR came from, for a fleet (--otlp): its executable and container.
 * Optional: out of memory, the process is still profiled without them.
 */
static void note_origin(struct tracker *t, struct tracked *tr)
{
	char exe[256], container[CONTAINER_ID_LEN + 1];
	bool in_container = proc_container_id(tr->pid, container, sizeof(container));

	proc_executable_name(tr->pid, exe, sizeof(exe));
	profile_process_origin(t->profile, tr->process, exe[0] ? exe : NULL, in_container ? container : NULL);
}

/* TR's target is known: make it a process of the profile and sample it. */
static int start_profiling(struct tracker *t, struct tracked *tr, bool in_bpf,
			   char *err, size_t errlen)
{
	bool in_profile = false;
	int rc = 0;

	if (t->profiled >= t->max_processes)
		rc = -E2BIG;
	else if (profile_live_processes(t->profile) >= t->profile->limits.processes)
		rc = -EDQUOT;
	else if ((tr->process = profile_process(t->profile, tr->pid, tr->target.cmdline,
					       tr->target.version)) == PROFILE_NO_PROCESS)
		rc = -ENOMEM;
	else {
		in_profile = true;
		rc = symbolizer_init(&tr->sym, &tr->target, t->profile);
	}
	if (!rc)
		note_origin(t, tr);
	if (!rc && t->modes.sources)
		tr->sym.read_source = source_file_read;
	if (!rc) {
		py_objects_init(&tr->objects, &tr->target);
		find_asyncio(t, tr, monotonic_ns());
		if ((rc = watch_suspended_tasks(t, tr)))
			symbolizer_free(&tr->sym);
	}
	/* The kernel's entry last: nothing after it can fail and leave it there. */
	if (!rc && !in_bpf && t->kernel) {
		rc = register_bpf(t, tr);
		if (!rc && (rc = track_memory(t, tr)))
			t->kernel->remove_process(t->kernel_ctx, tr->pid);
		if (rc)
			symbolizer_free(&tr->sym);
	}
	if (rc) {
		suspended_tasks_free(&tr->suspended);
		/* Its slot too: never profiled, it would never be let go of. */
		if (in_profile)
			profile_drop_process(t->profile, tr->process);
		/* An entry the kernel made itself (a fork) goes with the process. */
		if (in_bpf && t->kernel)
			t->kernel->remove_process(t->kernel_ctx, tr->pid);
		if (rc == -E2BIG) {
			warn_cap(t, tr->pid);
			snprintf(err, errlen, "cannot profile PID %d: already profiling %u processes (raise --max-processes)",
				 tr->pid, t->max_processes);
		} else if (rc == -EDQUOT) {
			t->profile->over.processes++;
			snprintf(err, errlen, "cannot profile PID %d: this recording already has %llu processes (PYBPF_LIMITS processes)",
				 tr->pid, (unsigned long long)t->profile->limits.processes);
		} else {
			snprintf(err, errlen, "cannot profile PID %d: %s", tr->pid, strerror(-rc));
		}
		tr->state = TRACKED_ENDED;
		forget(t, tr);
		return rc;
	}
	tr->ns_pid = proc_ns_pid(tr->pid);
	t->profile->processes[tr->process].ns_pid = tr->ns_pid;
	tr->state = TRACKED_PROFILED;
	tr->was_profiled = true;
	tr->cpu_known = proc_cpu_ns(tr->pid, &tr->cpu_at_start_ns);
	t->profiled++;
	log_debug("profiling PID %d (%s), Python %s, layout from %s\n", tr->pid,
		  tr->target.cmdline, tr->target.version, tr->target.layout_source);
	return 0;
}

/* Look at TR's process again: profile it, keep waiting, or let it go. */
static int inspect(struct tracker *t, struct tracked *tr, char *err, size_t errlen)
{
	int rc = python_target_open(tr->pid, &tr->target, err, errlen);

	if (rc == -EAGAIN) {
		uint64_t now = monotonic_ns();

		if (now - tr->first_seen_ns > PENDING_GIVE_UP_NS)
			rc = -ENOEXEC;	/* never loaded libpython */
		else {
			tr->state = TRACKED_PENDING;
			tr->retry_at_ns = now + (tr->attempts++ < PENDING_FAST_TRIES ?
						 PENDING_FAST_NS : PENDING_SLOW_NS);
			return 0;
		}
	}
	if (!rc)
		return start_profiling(t, tr, false, err, errlen);
	/* Another minor or build pybpf can't read is worth a word even under -a. */
	if (rc == -ENOTSUP && !tr->explicit_target)
		fprintf(stderr, "pybpf: warning: %s; skipped\n", err);
	tr->state = TRACKED_ENDED;
	forget(t, tr);
	return rc;
}

int tracker_add(struct tracker *t, pid_t pid, bool explicit_target, char *err, size_t errlen)
{
	struct tracked *old = current(t, pid), *tr;
	char ignored[1024];
	int rc;

	if (old)
		return 0;	/* found both by the scan and by an event */
	if (!explicit_target && !wanted(t, pid))
		return -ENOENT;
	tr = new_tracked(t, pid, explicit_target);
	if (!tr)
		return -ENOMEM;
	if (!err) {
		err = ignored;
		errlen = sizeof(ignored);
	}
	rc = inspect(t, tr, err, errlen);
	sweep(t, false);
	return rc;
}

int tracker_set_kernel(struct tracker *t, const struct tracker_kernel_ops *ops, void *ctx,
		       char *err, size_t errlen)
{
	t->kernel = ops;
	t->kernel_ctx = ctx;
	for (size_t i = 0; i < t->nall; i++) {
		struct tracked *tr = t->all[i];

		if (tr->state == TRACKED_PROFILED && register_bpf(t, tr)) {
			snprintf(err, errlen, "cannot profile PID %d: the BPF process map is full", tr->pid);
			return -E2BIG;
		}
	}
	return 0;
}

void tracker_scan(struct tracker *t)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		tracker_add(t, (pid_t)pid, false, NULL, 0);
	}
	closedir(dir);
}

struct prof_thread *tracker_thread(struct tracker *t, struct tracked *tr, uint32_t tid)
{
	bool created;
	uintptr_t *slot = hmap_upsert(&tr->threads, &tid, sizeof(tid), &created);
	char comm[64];

	if (!slot)
		return NULL;
	if (created) {
		struct prof_thread *th;
		const char *name;

		proc_comm(tr->pid, tid, comm, sizeof(comm));
		th = profile_thread(t->profile, tr->process, tid, comm);
		/* Read when the thread is first seen: a later rename is not seen. */
		name = th && th->tid == tid && tr->state == TRACKED_PROFILED ?
		       thread_names_get(&tr->thread_names, &tr->target, tid) : NULL;
		if (name)
			profile_thread_set_name(th, name);	/* out of memory: the OS name stays */
		*slot = (uintptr_t)th;
	}
	return (struct prof_thread *)*slot;
}

/*
 * The symbolizer emptied its cache of TR's code objects: the kernel must
 * report them again, so they go under a new generation.
 */
static void sync_generation(struct tracker *t, struct tracked *tr)
{
	if (tr->sym.flushes == tr->flushes_seen)
		return;
	tr->flushes_seen = tr->sym.flushes;
	tr->generation = ++t->generations;
	if (t->kernel)
		register_bpf(t, tr);
}

/* The names of the asyncio tasks S holds (into OUT), NULL if none. */
static const struct sample_tasks *sample_task_names(struct tracked *tr, const struct pyperf_sample *s,
						    size_t size, struct sample_tasks *out)
{
	const struct pyperf_task *tasks = s->hdr.ntasks ? pyperf_sample_tasks(s, size) : NULL;

	if (!tasks)
		return NULL;
	out->n = s->hdr.ntasks < PYPERF_MAX_TASKS ? s->hdr.ntasks : PYPERF_MAX_TASKS;
	for (size_t i = 0; i < out->n; i++)
		asyncio_sampled_task_name(&tr->objects, &tasks[i], out->names[i], sizeof(out->names[i]));
	return out;
}

void tracker_on_sample(struct tracker *t, const struct pyperf_sample *s, size_t size)
{
	struct tracked *tr = current(t, s->hdr.pid);
	struct sample_stack *b = t->stack;
	struct prof_thread *th;
	struct sample_tasks tasks;
	uint64_t weight;

	if (s->hdr.kind == PYPERF_KIND_ON_CPU) {
		wall_clock_return(&t->wall, s->hdr.pid, s->hdr.tid, s->hdr.timestamp_ns);
		return;
	}
	if (s->hdr.kind == PYPERF_KIND_CODE) {
		if (tr && tr->state == TRACKED_PROFILED &&
		    size >= offsetof(struct pyperf_code_record, info)) {
			uint64_t before = tr->sym.codes_reported;

			symbolizer_add_code(&tr->sym, &((const struct pyperf_code_record *)s)->info,
					    size - offsetof(struct pyperf_code_record, info));
			tr->codes_reported += tr->sym.codes_reported - before;
			sync_generation(t, tr);
		}
		return;
	}
	if (!t->samples++)
		t->first_sample_ns = monotonic_ns();
	if (!tr || tr->state != TRACKED_PROFILED) {
		t->dropped++;	/* a process already gone, or not ours */
		return;
	}
	/* Growth is the process's whatever the thread ran: never idle. */
	if (!sample_stack_wanted(s) && s->hdr.kind != PYPERF_KIND_MEMORY) {
		tr->idle++;	/* no Python frames: idle, or not a Python thread */
		return;
	}
	if (s->hdr.kind == PYPERF_KIND_CPU && t->modes.gil_only &&
	    !(s->hdr.flags & PYPERF_SAMPLE_GIL_HELD)) {
		t->gil_dropped++;
		return;
	}
	if (find_asyncio(t, tr, s->hdr.timestamp_ns) && t->kernel)
		register_bpf(t, tr);
	th = tracker_thread(t, tr, s->hdr.tid);
	if (!th || sample_stack_build(b, &tr->sym, s, size, sample_task_names(tr, s, size, &tasks))) {
		t->dropped++;
		return;
	}
	sync_generation(t, tr);
	t->unresolved += b->unresolved;
	tr->unresolved += b->unresolved;
	tr->frames += b->depth;
	tr->read_errors += !!(s->hdr.flags & PYPERF_SAMPLE_READ_ERROR);
	incomplete_count(&tr->incomplete, s->hdr.flags, s->hdr.torn);
	incomplete_count(&t->incomplete, s->hdr.flags, s->hdr.torn);
	if (s->hdr.kind == PYPERF_KIND_OFF_CPU) {
		sample_stack_push(b, wall_clock_state_frame(&t->wall, s->hdr.task_state, s->hdr.syscall,
							    s->hdr.flags & PYPERF_SAMPLE_GIL_WAIT));
		wall_clock_leave(&t->wall, th, s->hdr.tid, b->frames, b->depth, s->hdr.timestamp_ns);
		return;
	}
	/*
	 * A sample the kernel took stands for the periods since its CPU's
	 * tick before and the samples the brake let go by; in wall mode, for
	 * the thread's own run since it was last counted.
	 */
	weight = t->modes.cpu_weight * (s->hdr.weight ? s->hdr.weight : 1);
	if (t->modes.wall)
		weight = wall_clock_run(&t->wall, s->hdr.pid, s->hdr.tid, s->hdr.timestamp_ns, weight);
	if (weight && profile_add_at(t->profile, th, b->frames, b->depth, weight,
				     profile_time(t->profile, s->hdr.timestamp_ns)))
		t->dropped++;
	else
		tr->samples++;
	if (t->on_stack)
		t->on_stack(t->on_stack_ctx, tr, s->hdr.tid, b->frames, b->depth, weight);
}

/* A forked child of a profiled process: the kernel already samples it. */
static void on_fork(struct tracker *t, pid_t pid, pid_t ppid)
{
	struct tracked *parent = current(t, ppid), *tr;
	char err[256];

	if (current(t, pid) || !parent || parent->state != TRACKED_PROFILED ||
	    !(tr = new_tracked(t, pid, false))) {
		if (t->kernel)
			t->kernel->remove_process(t->kernel_ctx, pid);
		return;
	}
	tr->target = parent->target;
	tr->target.pid = pid;
	tr->generation = parent->generation;	/* the kernel copied the parent's entry */
	proc_cmdline(pid, tr->target.cmdline, sizeof(tr->target.cmdline));
	start_profiling(t, tr, true, err, sizeof(err));
	sweep(t, false);
}

/*
 * A new program in the same PID: the old one is over, and the new one is
 * profiled if it is Python.  A -p target stays one: the recording goes on.
 */
static void on_exec(struct tracker *t, struct tracked *tr, const struct pyperf_proc_event *e)
{
	bool explicit_target = tr && tr->explicit_target;
	char err[1024];

	wall_clock_end(&t->wall, e->pid, e->timestamp_ns);
	native_stack_forget(&t->native, e->pid);
	if (tr) {
		tr->replaced_by_exec = true;
		end_tracked(t, tr);
	}
	if (tracker_add(t, e->pid, explicit_target, err, sizeof(err)) && explicit_target)
		fprintf(stderr, "pybpf: warning: PID %d ran execve: %s\n", e->pid, err);
}

void tracker_on_event(struct tracker *t, const struct pyperf_proc_event *e)
{
	struct tracked *tr = current(t, e->pid);

	switch (e->type) {
	case PYPERF_PROC_FORK:
		on_fork(t, e->pid, e->ppid);
		break;
	case PYPERF_PROC_FORK_DROPPED:
		warn_cap(t, e->pid);
		break;
	case PYPERF_PROC_EXEC:
		on_exec(t, tr, e);
		break;
	case PYPERF_PROC_EXIT:
		wall_clock_end(&t->wall, e->pid, e->timestamp_ns);
		native_stack_forget(&t->native, e->pid);
		if (tr)
			end_tracked(t, tr);
		break;
	}
}

/* TR was profiled and has ended: a process an agent may let go of. */
static bool profiled_and_ended(const struct tracked *tr)
{
	return tr->was_profiled && tr->state == TRACKED_ENDED;
}

size_t tracker_ended(const struct tracker *t, bool *processes)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nall; i++) {
		const struct tracked *tr = t->all[i];

		if (profiled_and_ended(tr)) {
			processes[tr->process] = true;
			n++;
		}
	}
	return n;
}

void tracker_retire(struct tracker *t, const bool *processes)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->nall; i++) {
		struct tracked *tr = t->all[i];

		/* release() freed what it held when it ended. */
		if (profiled_and_ended(tr) && processes[tr->process]) {
			t->retired.processes++;
			t->retired.samples += tr->samples;
			t->retired.lost += tr->lost;
			t->retired.braked += tr->braked;
			free(tr);
			continue;
		}
		t->all[kept++] = tr;
	}
	t->nall = kept;
}

void tracker_stop_cpu_clocks(struct tracker *t)
{
	for (size_t i = 0; i < t->nall; i++) {
		if (t->all[i]->state == TRACKED_PROFILED)
			measure_cpu(t->all[i]);
	}
}

/* The suspended tasks of every process profiled, when due (or FINAL). */
static void tick_suspended_tasks(struct tracker *t, uint64_t now_ns, bool final)
{
	for (size_t i = 0; i < t->nall; i++)
		if (t->all[i]->state == TRACKED_PROFILED)
			suspended_tasks_tick(&t->all[i]->suspended, now_ns, final);
}

void tracker_finish(struct tracker *t, uint64_t now_ns)
{
	tick_suspended_tasks(t, now_ns, true);
	wall_clock_end(&t->wall, 0, now_ns);
}

void tracker_tick(struct tracker *t, uint64_t now_ns)
{
	tick_suspended_tasks(t, now_ns, false);
}

uint64_t tracker_retry(struct tracker *t, uint64_t now_ns)
{
	uint64_t next = 0;
	bool ended = false;

	for (size_t i = 0; i < t->nall; i++) {
		struct tracked *tr = t->all[i];

		if (tr->state != TRACKED_PENDING)
			continue;
		if (tr->retry_at_ns <= now_ns) {
			char err[1024];

			inspect(t, tr, err, sizeof(err));
			ended |= tr->state == TRACKED_ENDED;
			if (tr->state != TRACKED_PENDING)
				continue;
		}
		if (!next || tr->retry_at_ns < next)
			next = tr->retry_at_ns;
	}
	if (ended)
		sweep(t, true);
	return next;
}

unsigned int tracker_explicit_alive(const struct tracker *t)
{
	unsigned int n = 0;

	for (size_t i = 0; i < t->nall; i++)
		n += t->all[i]->explicit_target && t->all[i]->state != TRACKED_ENDED;
	return n;
}

void tracker_take_lost(struct tracker *t)
{
	for (size_t i = 0; i < t->nall; i++)
		if (t->all[i]->state == TRACKED_PROFILED && t->kernel)
			take_kernel_counts(t, t->all[i]);
}
