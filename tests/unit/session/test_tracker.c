// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/session/tracker.h: the life of a profiled process (pending,
 * profiled, ended) against a kernel side the test stands in for, with
 * real Python processes and the proc events the BPF program would send.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "child_python.h"
#include "cli/otlp_agent.h"
#include "session/tracker.h"

#define PYTHON311 "/usr/bin/python3.11"
#define MAX_CALLS 8

/* The kernel's process map, as the tracker uses it. */
struct fake_kernel {
	pid_t added[MAX_CALLS], removed[MAX_CALLS];
	struct pyperf_proc procs[MAX_CALLS];
	size_t nadded, nremoved;
	int add_error;			/* what add_process answers, 0: success */
	/* --mode memory: whose growth it was asked to count, from what. */
	pid_t memory_pid;
	uint64_t memory_from;
	struct pyperf_memory memory;	/* what take_memory answers (once) */
	bool memory_taken;
};

static int fake_add(void *ctx, pid_t pid, const struct pyperf_proc *proc)
{
	struct fake_kernel *k = ctx;

	if (k->add_error)
		return k->add_error;
	cr_assert_lt(k->nadded, MAX_CALLS);
	k->procs[k->nadded] = *proc;
	k->added[k->nadded++] = pid;
	return 0;
}

static void fake_remove(void *ctx, pid_t pid)
{
	struct fake_kernel *k = ctx;

	cr_assert_lt(k->nremoved, MAX_CALLS);
	k->removed[k->nremoved++] = pid;
}

static uint64_t fake_lost(void *ctx, pid_t pid)
{
	return 0;
}

static int fake_brake(void *ctx, pid_t pid, struct pyperf_brake *out)
{
	return -ENOENT;
}

static int fake_track_memory(void *ctx, pid_t pid, uint64_t anon, uint64_t shmem)
{
	struct fake_kernel *k = ctx;

	k->memory_pid = pid;
	k->memory_from = anon + shmem;
	return 0;
}

static int fake_take_memory(void *ctx, pid_t pid, struct pyperf_memory *out)
{
	struct fake_kernel *k = ctx;

	if (pid != k->memory_pid || k->memory_taken)
		return -ENOENT;
	k->memory_taken = true;
	*out = k->memory;
	return 0;
}

static const struct tracker_kernel_ops fake_ops = {
	.add_process = fake_add,
	.remove_process = fake_remove,
	.take_lost = fake_lost,
	.take_brake = fake_brake,
	.track_memory = fake_track_memory,
	.take_memory = fake_take_memory,
};

static struct profile profile;
static struct tracker tracker;
static struct fake_kernel kernel;
static pid_t python = -1;
static char err[1024];

static void start_in(const struct tracker_modes *modes, unsigned int max_processes)
{
	struct tracker_filters none = { 0 };

	memset(&kernel, 0, sizeof(kernel));
	profile_init(&profile, 1000000);
	cr_assert_eq(tracker_init(&tracker, &profile, &none, modes, max_processes), 0);
	python = child_python_spinning(PYTHON311);
}

static void start(unsigned int max_processes)
{
	start_in(NULL, max_processes);
}

static void stop(void)
{
	tracker_free(&tracker);
	profile_free(&profile);
	child_python_stop(&python);
}

static void attach(void)
{
	cr_assert_eq(tracker_set_kernel(&tracker, &fake_ops, &kernel, err, sizeof(err)), 0, "%s", err);
}

static void send_event(enum pyperf_proc_event_type type, pid_t pid, pid_t ppid)
{
	struct pyperf_proc_event e = { .type = type, .pid = pid, .ppid = ppid };

	tracker_on_event(&tracker, &e);
}

static struct tracked *last(void)
{
	cr_assert_gt(tracker.nall, 0);
	return tracker.all[tracker.nall - 1];
}

Test(tracker, a_target_is_registered_and_leaves_at_its_exit, .fini = stop)
{
	start(8);
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kernel.nadded, 1);
	cr_assert_eq(kernel.added[0], python);
	cr_assert_neq(kernel.procs[0].runtime_addr, 0, "the kernel is told where _PyRuntime is");
	cr_assert_eq(last()->state, TRACKED_PROFILED);
	cr_assert_eq(tracker_explicit_alive(&tracker), 1);

	send_event(PYPERF_PROC_EXIT, python, 0);
	cr_assert_eq(kernel.nremoved, 1);
	cr_assert_eq(kernel.removed[0], python);
	cr_assert_eq(last()->state, TRACKED_ENDED);
	cr_assert(last()->was_profiled, "an exited process stays in the profile");
	cr_assert_eq(tracker_explicit_alive(&tracker), 0);
}

Test(tracker, targets_found_before_attaching_are_registered_then, .fini = stop)
{
	start(8);
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kernel.nadded, 0);
	cr_assert_eq(last()->state, TRACKED_PROFILED);
	attach();
	cr_assert_eq(kernel.nadded, 1);
	cr_assert_eq(kernel.added[0], python);
}

Test(tracker, a_full_kernel_map_leaves_nothing_behind, .fini = stop)
{
	start(8);
	attach();
	kernel.add_error = -ENOSPC;
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err, "cannot profile PID"), "%s", err);
	cr_assert_eq(kernel.nremoved, 0, "nothing was added");
	cr_assert_eq(tracker.profiled, 0);
	cr_assert_eq(tracker_explicit_alive(&tracker), 0);
	cr_assert_eq(profile_live_processes(&profile), 0, "nor its place in the profile");
	/* Under ASan, the symbolizer made before the refusal is not leaked. */
}

Test(tracker, a_fork_within_the_cap_is_profiled_with_the_kernels_copy, .fini = stop)
{
	pid_t child;

	start(2);
	child = python + 100000;	/* a PID the tracker has not seen */
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	send_event(PYPERF_PROC_FORK, child, python);
	cr_assert_eq(kernel.nadded, 1, "the kernel copied the parent's entry itself");
	cr_assert_eq(last()->pid, child);
	cr_assert_eq(last()->state, TRACKED_PROFILED);
	cr_assert_eq(last()->generation, tracker.all[0]->generation);
	cr_assert_not(last()->explicit_target, "a child is not a -p target");
}

Test(tracker, a_fork_over_the_cap_leaves_the_kernels_map, .fini = stop)
{
	pid_t child;

	start(1);
	child = python + 100000;
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	send_event(PYPERF_PROC_FORK, child, python);
	cr_assert_eq(kernel.nremoved, 1);
	cr_assert_eq(kernel.removed[0], child, "the entry the kernel copied is removed");
	cr_assert_eq(tracker.profiled, 1);
}

Test(tracker, a_target_that_execs_stays_a_target, .fini = stop)
{
	start(8);
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	/* The same PID, a new program (here the same Python, read again). */
	send_event(PYPERF_PROC_EXEC, python, 0);
	cr_assert_eq(tracker.nall, 2);
	cr_assert(tracker.all[0]->replaced_by_exec);
	cr_assert_eq(tracker.all[0]->state, TRACKED_ENDED);
	cr_assert_eq(last()->state, TRACKED_PROFILED);
	cr_assert(last()->explicit_target);
	cr_assert_eq(tracker_explicit_alive(&tracker), 1, "the recording goes on");
	cr_assert_eq(kernel.nremoved, 1);
	cr_assert_eq(kernel.nadded, 2);
	cr_assert_neq(tracker.all[0]->process, last()->process, "two processes in the profile");
}

Test(tracker, a_target_that_execs_something_else_ends, .fini = stop)
{
	start(8);
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	child_python_stop(&python);	/* its PID no longer a Python process */
	send_event(PYPERF_PROC_EXEC, tracker.all[0]->pid, 0);
	cr_assert(tracker.all[0]->replaced_by_exec);
	cr_assert_eq(tracker_explicit_alive(&tracker), 0);
}

static const struct tracker_modes memory_mode = { .cpu_weight = 1, .memory_period = 512 << 10 };

Test(tracker, memory_mode_counts_from_the_memory_at_start_and_takes_the_count_at_exit, .fini = stop)
{
	start_in(&memory_mode, 8);
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kernel.memory_pid, python);
	cr_assert_gt(kernel.memory_from, 1 << 20, "a Python's own resident memory: %llu bytes",
		     (unsigned long long)kernel.memory_from);
	kernel.memory = (struct pyperf_memory){
		.resident = { 30 << 20, 2 << 20 }, .start = 8 << 20, .peak = 40 << 20, .sampled = 63,
	};
	child_python_stop(&python);
	send_event(PYPERF_PROC_EXIT, kernel.memory_pid, 0);
	cr_assert(last()->memory.known);
	cr_assert_eq(last()->memory.start, 8 << 20);
	cr_assert_eq(last()->memory.peak, 40 << 20);
	cr_assert_eq(last()->memory.end, 32 << 20, "gone: its resident memory as the kernel last told it");
	cr_assert_eq(last()->memory.sampled, 63);
}

Test(tracker, cpu_mode_counts_no_memory, .fini = stop)
{
	start(8);
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kernel.memory_pid, 0);
	send_event(PYPERF_PROC_EXIT, python, 0);
	cr_assert_not(last()->memory.known);
}

static struct pyperf_sample sample;

Test(tracker, growth_in_a_thread_with_no_python_frame_is_counted_and_marked, .fini = stop)
{
	const struct prof_thread *thread;
	const struct prof_frame *frame;

	start_in(&memory_mode, 8);
	attach();
	cr_assert_eq(tracker_add(&tracker, python, true, err, sizeof(err)), 0, "%s", err);
	sample.hdr = (struct pyperf_sample_header){
		.pid = python, .tid = python, .kind = PYPERF_KIND_MEMORY,
		.flags = PYPERF_SAMPLE_NO_TSTATE, .weight = 3, .syscall = -1,
	};
	tracker_on_sample(&tracker, &sample, sizeof(sample.hdr));
	cr_assert_eq(profile.nthreads, 1);
	thread = profile.threads[0];
	cr_assert_eq(thread->nstacks, 1);
	cr_assert_eq(thread->stacks[0].count, 3, "its three periods");
	cr_assert_eq(thread->stacks[0].depth, 1);
	frame = &profile.frames[thread->stacks[0].frames[0]];
	cr_assert_str_eq(profile.strings[frame->name], "[no Python frames]");

	/* A CPU sample of the same is the thread idle: no stack. */
	sample.hdr.kind = PYPERF_KIND_CPU;
	tracker_on_sample(&tracker, &sample, sizeof(sample.hdr));
	cr_assert_eq(thread->stacks[0].count, 3);
	cr_assert_eq(last()->idle, 1);
}

static pid_t second = -1;

static void stop_both(void)
{
	child_python_stop(&second);
	stop();
}

/* A memory sample of PID's main thread with no Python frame: PERIODS samples in the profile. */
static void sample_of(pid_t pid, uint32_t periods)
{
	sample.hdr = (struct pyperf_sample_header){
		.pid = pid, .tid = pid, .kind = PYPERF_KIND_MEMORY,
		.flags = PYPERF_SAMPLE_NO_TSTATE, .weight = periods, .syscall = -1,
	};
	tracker_on_sample(&tracker, &sample, sizeof(sample.hdr));
}

/*
 * An --otlp agent lets go of a process that ended once a request has
 * taken all its samples: its record and threads go, its counts stay in
 * the totals, and the next process takes its place in the profile.
 */
Test(tracker, an_agent_lets_go_of_an_ended_process_once_its_samples_are_sent, .fini = stop_both)
{
	static const struct otlp_period period = {
		.start_unix_ns = 1, .duration_ns = 1, .host_name = "h", .sample_type = "space", .pybpf_version = "0",
	};
	struct otlp_baseline base = { 0 };
	struct otlp_request_counts counts;
	struct byte_buf req = { 0 };
	size_t slot;
	char *summary = NULL;
	size_t summary_len = 0;
	FILE *out;

	start_in(&memory_mode, 8);
	attach();
	second = child_python_spinning(PYTHON311);
	cr_assert_eq(tracker_add(&tracker, python, false, err, sizeof(err)), 0, "%s", err);
	slot = last()->process;
	cr_assert_eq(tracker_add(&tracker, second, false, err, sizeof(err)), 0, "%s", err);
	sample_of(python, 3);
	sample_of(second, 2);

	/* Running: kept. */
	cr_assert_eq(otlp_profiles_encode(&profile, &base, &period, &req, &counts), 0);
	cr_assert_eq(otlp_agent_let_go(&tracker, &profile, &base), 0);

	/* Ended, with a sample no request has taken: kept. */
	sample_of(python, 1);
	send_event(PYPERF_PROC_EXIT, python, 0);
	cr_assert_eq(otlp_agent_let_go(&tracker, &profile, &base), 0);
	cr_assert_eq(tracker.nall, 2);

	/* Sent: let go of, its counts in the totals. */
	cr_assert_eq(otlp_profiles_encode(&profile, &base, &period, &req, &counts), 0);
	cr_assert_eq(counts.samples, 1);
	cr_assert_eq(otlp_agent_let_go(&tracker, &profile, &base), 1);
	cr_assert_eq(tracker.nall, 1);
	cr_assert_eq(last()->pid, second);
	cr_assert_eq(tracker.retired.processes, 1);
	cr_assert_eq(tracker.retired.samples, 2, "its two samples (of 4 periods)");
	cr_assert_eq(profile.nthreads, 1);
	cr_assert_eq(profile.threads[0]->pid, (uint32_t)second);
	cr_assert_eq(profile.retired_samples, 4);
	cr_assert_eq(base.nthreads, 1);

	/* The second goes on as before, and its samples are still deltas. */
	sample_of(second, 5);
	cr_assert_eq(otlp_profiles_encode(&profile, &base, &period, &req, &counts), 0);
	cr_assert_eq(counts.samples, 5);

	/* A new process takes the slot the first left. */
	child_python_stop(&python);
	python = child_python_spinning(PYTHON311);
	cr_assert_eq(tracker_add(&tracker, python, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(last()->process, slot);
	sample_of(python, 1);
	cr_assert_eq(profile.processes[slot].samples, 1);
	cr_assert_eq(profile.processes[slot].pid, (uint32_t)python);

	/* The summary still counts it. */
	out = open_memstream(&summary, &summary_len);
	tracker_print_summary(&tracker, out);
	fclose(out);
	cr_assert(strstr(summary, "and 1 more process that ended, already sent (--otlp): 2 samples, 0 lost"), "%s",
		  summary);
	free(summary);
	byte_buf_free(&req);
	otlp_baseline_free(&base);
}
