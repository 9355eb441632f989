// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf record`: profile Python processes into a speedscope file.
 *   -p PID ...        running processes
 *   -a                every Python process on the host, now and later
 *   -- CMD ARGS...    a command launched here (and its children with
 *                     --subprocesses)
 * Samples are symbolized and aggregated as they arrive (and streamed to a
 * raw recording, if one is asked for); the outputs are written when the
 * duration ends, the targets exit or a signal arrives.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "session/launch.h"
#include "base/log.h"
#include "profile/mem_limits.h"
#include "output/outputs.h"
#include "session/preflight.h"
#include "session/privileges.h"
#include "profile/profile.h"
#include "cli/record.h"
#include "session/sampler.h"
#include "profile/top_functions.h"
#include "session/tracker.h"
#include "base/array.h"
#include "base/clock.h"
#include "base/signals.h"
#include "process/proc_info.h"

#define DEFAULT_RATE_HZ 100
#define MAX_RATE_HZ 100000
#define MAX_DURATION_S 1e9		/* 31 years */
#define DEFAULT_MAX_PROCESSES 256
#define TOP_FUNCTIONS 10

struct record_opts {
	struct pid_list pids;
	bool all;
	bool subprocesses;
	const char *comm;
	const char *cgroup;
	char **command;			/* after "--" */
	double duration_s;		/* 0: until the targets exit or a signal */
	unsigned int rate_hz;
	unsigned int max_processes;
	struct outputs outputs;		/* -o, -f */
	bool quiet;
	const char *btf_path;
	const char *stats_path;		/* --stats: machine-readable run figures */
	bool wall;			/* --mode wall */
	bool gil_only;			/* --gil */
	bool native;			/* --native */
	bool kernel;			/* --kernel */
};

enum {
	OPT_BTF = 0x100,
	OPT_COMM,
	OPT_CGROUP,
	OPT_SUBPROCESSES,
	OPT_MAX_PROCESSES,
	OPT_STATS,
	OPT_MODE,
	OPT_GIL,
	OPT_NATIVE,
	OPT_KERNEL,
};

static const struct argp_option record_options[] = {
	{ NULL, 0, NULL, 0, "What to profile:", 1 },
	{ "pid", 'p', "PID", 0, "A Python process to profile (repeatable; with -a: only these)", 1 },
	{ "all", 'a', NULL, 0, "Every Python process on the host, including ones started while recording", 1 },
	{ "comm", OPT_COMM, "NAME", 0, "With -a: only processes whose command name is NAME", 1 },
	{ "cgroup", OPT_CGROUP, "PATH|ID", 0, "With -a: only processes whose cgroup path contains PATH|ID (a container)", 1 },
	{ "subprocesses", OPT_SUBPROCESSES, NULL, 0, "With -- CMD: also every descendant Python process", 1 },
	{ NULL, 0, NULL, 0, "How:", 2 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: until Ctrl-C or the targets exit)", 2 },
	{ "rate", 'r', "HZ", 0, "Samples per second per CPU (default 100)", 2 },
	{ "mode", OPT_MODE, "cpu|wall", 0, "cpu (default): time on a CPU; wall: all of every thread's time, off-CPU waits included under a frame naming the wait", 2 },
	{ "gil", OPT_GIL, NULL, 0, "Keep only samples of threads holding the GIL", 2 },
	{ "native", OPT_NATIVE, NULL, 0, "Interleave native (C) frames with the Python frames", 2 },
	{ "kernel", OPT_KERNEL, NULL, 0, "Add kernel frames below them", 2 },
	{ "max-processes", OPT_MAX_PROCESSES, "N", 0, "Profile at most N processes at once (default 256)", 2 },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 2 },
	{ "stats", OPT_STATS, "FILE", 0, "Also write run figures as JSON to FILE (times the BPF program; for benchmarks)", 2 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's and pybpf's debug messages", 2 },
	{ "quiet", 'q', NULL, 0, "No summary or top-functions table at the end (errors and warnings only)", 2 },
	{ 0 },
};

static error_t parse_record_opt(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;
	char *end;

	switch (key) {
	case 'p':
		cli_add_pid(state, arg, &o->pids);
		break;
	case 'a':
		o->all = true;
		break;
	case OPT_COMM:
		o->comm = arg;
		break;
	case OPT_CGROUP:
		o->cgroup = arg;
		break;
	case OPT_SUBPROCESSES:
		o->subprocesses = true;
		break;
	case 'd':
		o->duration_s = strtod(arg, &end);
		/* Capped: in nanoseconds, the stop time must fit the timer's u64. */
		if (*end || !(o->duration_s > 0 && o->duration_s <= MAX_DURATION_S))
			argp_error(state, "invalid duration '%s': give a positive number of seconds, at most %.0f",
				   arg, MAX_DURATION_S);
		break;
	case 'r':
		o->rate_hz = cli_number(state, arg, "rate", 1, MAX_RATE_HZ);
		break;
	case OPT_MAX_PROCESSES:
		o->max_processes = cli_number(state, arg, "--max-processes", 1, 65536);
		break;
	case OPT_BTF:
		o->btf_path = arg;
		break;
	case OPT_STATS:
		o->stats_path = arg;
		break;
	case OPT_MODE:
		if (!strcmp(arg, "wall"))
			o->wall = true;
		else if (strcmp(arg, "cpu"))
			argp_error(state, "invalid mode '%s': use --mode cpu or --mode wall", arg);
		break;
	case OPT_GIL:
		o->gil_only = true;
		break;
	case OPT_NATIVE:
		o->native = true;
		break;
	case OPT_KERNEL:
		o->kernel = true;
		break;
	case 'v':
		log_verbose = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->outputs;
		break;
	case ARGP_KEY_ARGS:
		o->command = state->argv + state->next;
		break;
	case ARGP_KEY_END:
		if (o->command && (o->all || o->pids.n))
			argp_error(state, "give either a command after -- or -p/-a, not both");
		if (!o->command && !o->all && !o->pids.n)
			argp_error(state, "nothing to profile: use -p PID, -a, or -- COMMAND");
		if ((o->comm || o->cgroup) && !o->all)
			argp_error(state, "--comm and --cgroup select among all processes: add -a");
		if (o->subprocesses && !o->command)
			argp_error(state, "--subprocesses goes with a command after --");
		if (o->gil_only && o->wall)
			argp_error(state, "--gil keeps on-CPU samples of the GIL holder: use it with --mode cpu");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

enum stop_reason { STOP_DURATION, STOP_SIGNAL, STOP_TARGETS_EXITED, STOP_COMMAND_EXITED };

struct event_loop {
	int epoll, signal, timer, retry, samples, drain, command;
};

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 ? 0 : epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int open_event_loop(struct event_loop *l, double duration_s, int samples_fd,
			   int drain_fd, int command_fd)
{
	l->epoll = epoll_create1(EPOLL_CLOEXEC);
	l->signal = stop_signals_fd();
	l->retry = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	l->timer = -1;
	l->samples = samples_fd;
	l->drain = drain_fd;
	l->command = command_fd;
	if (duration_s > 0) {
		l->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (l->timer >= 0)
			timerfd_arm_at(l->timer, monotonic_ns() + (uint64_t)(duration_s * 1e9));
	}
	if (l->epoll < 0 || l->signal < 0 || l->retry < 0 || (duration_s > 0 && l->timer < 0))
		return -errno;
	if (add_fd(l->epoll, l->signal) || add_fd(l->epoll, l->retry) ||
	    add_fd(l->epoll, samples_fd) || add_fd(l->epoll, drain_fd) || add_fd(l->epoll, l->timer) ||
	    add_fd(l->epoll, command_fd))
		return -errno;
	return 0;
}

static void close_event_loop(struct event_loop *l)
{
	int fds[] = { l->epoll, l->signal, l->timer, l->retry };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static enum stop_reason run_loop(struct event_loop *l, struct sampler *sampler,
				 struct tracker *t, bool stop_when_targets_exit, int *signo)
{
	struct epoll_event events[8];
	uint64_t next_retry;

	for (;;) {
		int n = epoll_wait(l->epoll, events, ARRAY_SIZE(events), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return STOP_SIGNAL;
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			uint64_t expirations;

			if (fd == l->samples || fd == l->drain) {
				sampler_drain(sampler);
			} else if (fd == l->retry) {
				/* Only wakes the loop: the retry pass below does the work. */
				if (read(l->retry, &expirations, sizeof(expirations)) < 0)
					continue;
			} else if (fd == l->signal) {
				struct signalfd_siginfo si;

				if (read(l->signal, &si, sizeof(si)) == sizeof(si))
					*signo = si.ssi_signo;
				/* A second Ctrl-C is not caught: it ends pybpf at once. */
				unblock_sigint(output_file_remove_temps);
				return STOP_SIGNAL;
			} else if (fd == l->command) {
				return STOP_COMMAND_EXITED;
			} else if (fd == l->timer) {
				return STOP_DURATION;
			}
		}
		next_retry = tracker_retry(t, monotonic_ns());
		if (next_retry)
			timerfd_arm_at(l->retry, next_retry);
		if (stop_when_targets_exit && !tracker_explicit_alive(t))
			return STOP_TARGETS_EXITED;
	}
}

static void print_summary(struct tracker *t, const struct record_opts *o, const uint64_t *stats,
			  double secs, enum stop_reason why, int signo)
{
	const char *reason = why == STOP_DURATION ? "duration reached" :
			     why == STOP_TARGETS_EXITED ? "target exited" :
			     why == STOP_COMMAND_EXITED ? "command exited" : strsignal(signo);
	unsigned int processes = 0;

	for (size_t i = 0; i < t->nall; i++)
		processes += t->all[i]->was_profiled;
	fprintf(stderr, "pybpf: recorded %u Python process%s for %.1f s at %u Hz (%s)\n",
		processes, processes == 1 ? "" : "es", secs, o->rate_hz, reason);
	tracker_print_summary(t, stderr);
	fprintf(stderr, "pybpf: samples %llu, lost %llu (ring buffer full), failed reads %llu, unresolved frames %llu\n",
		(unsigned long long)t->samples,
		(unsigned long long)stats[PYPERF_STAT_LOST],
		(unsigned long long)stats[PYPERF_STAT_READ_ERRORS],
		(unsigned long long)t->unresolved);
	incomplete_print(&t->incomplete, stderr);
	if (o->gil_only)
		fprintf(stderr, "pybpf: --gil: %llu samples of threads not holding the GIL left out\n",
			(unsigned long long)t->gil_dropped);
	if (o->native)
		native_stack_print_summary(&t->native, stderr);
	if (o->wall)
		fprintf(stderr, "pybpf: --mode wall: %llu off-CPU waits, %llu lost; weights in microseconds\n",
			(unsigned long long)t->wall.waits_added,
			(unsigned long long)t->wall.waits_lost);
}

/*
 * What the profile is missing, and why: never silent, even with -q.  Lost
 * samples are gone for good; unreadable frames are in it as [unknown].
 */
static void warn_losses(struct tracker *t, const struct profile *p, const uint64_t *stats)
{
	unsigned long long lost = stats[PYPERF_STAT_LOST];

	if (lost)
		fprintf(stderr, "pybpf: warning: %llu samples (%.1f%%) were lost because the ring buffer was full: lower the rate (-r)\n",
			lost, 100.0 * lost / (lost + t->samples));
	tracker_warn_unreadable(t, stderr);
	limits_warn(&p->over, stderr);
}

/*
 * --stats: what a benchmark needs and stderr does not say exactly: samples
 * and losses per process, the BPF program's own run time, and how long
 * after pybpf started the first sample arrived.
 */
static void write_stats(const struct record_opts *o, struct tracker *t, struct sampler *sampler,
			const uint64_t *stats, uint64_t start_ns, double secs, struct output_file *file)
{
	uint64_t run_cnt = 0, run_time_ns = 0, buckets[PYPERF_COST_BUCKETS];
	FILE *f = file->fp;
	char err[1024];

	sampler_bpf_runtime(sampler, &run_cnt, &run_time_ns);
	fprintf(f, "{\"duration_s\":%.3f,\"rate_hz\":%u,\"samples\":%llu,\"lost\":%llu,"
		"\"read_errors\":%llu,\"unresolved_frames\":%llu,\"first_sample_ms\":%.3f,"
		"\"bpf_run_cnt\":%llu,\"bpf_run_time_ns\":%llu,\"bpf_reads\":%llu,"
		"\"codes_reported\":%llu,\"code_report_bytes\":%llu,\"code_reports_lost\":%llu,"
		"\"tstate_searches\":%llu,\"no_tstate\":%llu,\"budget_cut\":%llu,\"braked\":%llu,"
		"\"unfair\":%llu,\"bpf_max_sample_ns\":%llu,\"bpf_max_reads\":%llu,\"read_budget\":%d,"
		"\"incomplete\":",
		secs, o->rate_hz, (unsigned long long)t->samples,
		(unsigned long long)stats[PYPERF_STAT_LOST],
		(unsigned long long)stats[PYPERF_STAT_READ_ERRORS],
		(unsigned long long)t->unresolved,
		t->first_sample_ns ? (t->first_sample_ns - start_ns) / 1e6 : -1.0,
		(unsigned long long)run_cnt, (unsigned long long)run_time_ns,
		(unsigned long long)stats[PYPERF_STAT_READS],
		(unsigned long long)stats[PYPERF_STAT_CODES_REPORTED],
		(unsigned long long)stats[PYPERF_STAT_CODE_BYTES],
		(unsigned long long)stats[PYPERF_STAT_CODES_LOST],
		(unsigned long long)stats[PYPERF_STAT_TSTATE_SEARCHES],
		(unsigned long long)stats[PYPERF_STAT_NO_TSTATE],
		(unsigned long long)stats[PYPERF_STAT_BUDGET],
		(unsigned long long)stats[PYPERF_STAT_BRAKED],
		(unsigned long long)stats[PYPERF_STAT_UNFAIR],
		(unsigned long long)stats[PYPERF_STAT_MAX_SAMPLE_NS],
		(unsigned long long)stats[PYPERF_STAT_MAX_READS], PYPERF_READ_BUDGET);
	incomplete_json(&t->incomplete, f);
	sampler_cost_histogram(sampler, buckets);
	fputs(",\"cost_histogram_log2_ns\":[", f);
	for (int k = 0; k < PYPERF_COST_BUCKETS; k++)
		fprintf(f, "%s%llu", k ? "," : "", (unsigned long long)buckets[k]);
	fputs("],\"processes\":[", f);
	for (size_t i = 0, n = 0; i < t->nall; i++) {
		struct tracked *tr = t->all[i];

		if (!tr->was_profiled)
			continue;
		fprintf(f, "%s{\"pid\":%d,\"python\":\"%s\",\"samples\":%llu,\"idle\":%llu,\"lost\":%llu,"
			"\"frames\":%llu,\"unresolved_frames\":%llu,\"read_errors\":%llu,"
			"\"codes_reported\":%llu,\"braked\":%llu,\"brake_level\":%u,",
			n++ ? "," : "", tr->pid, tr->target.version, (unsigned long long)tr->samples,
			(unsigned long long)tr->idle, (unsigned long long)tr->lost,
			(unsigned long long)tr->frames, (unsigned long long)tr->unresolved,
			(unsigned long long)tr->read_errors,
			(unsigned long long)tr->codes_reported, (unsigned long long)tr->braked,
			tr->brake_level);
		/* Its CPU time while profiled, the samples it should have had: null once reaped. */
		if (tr->cpu_known)
			fprintf(f, "\"cpu_s\":%.3f,\"incomplete\":", tr->cpu_ns / 1e9);
		else
			fputs("\"cpu_s\":null,\"incomplete\":", f);
		incomplete_json(&tr->incomplete, f);
		fputc('}', f);
	}
	fputs("],\"limits\":", f);
	limits_json(&t->profile->over, f);
	fputs("}\n", f);
	if (output_file_commit(file, err, sizeof(err)))
		fprintf(stderr, "pybpf: warning: --stats: %s\n", err);
}

/*
 * The sampler's callbacks.  The tracker symbolizes and aggregates; the
 * profile is told first when the sample was taken, for the raw recording.
 */
struct recorder {
	struct tracker *tracker;
	uint64_t origin_ns;		/* CLOCK_MONOTONIC when sampling started */
};

static void on_sample(void *ctx, const struct pyperf_sample *s, size_t size)
{
	struct recorder *r = ctx;

	r->tracker->profile->sample_time_ns = (int64_t)(s->hdr.timestamp_ns - r->origin_ns);
	tracker_on_sample(r->tracker, s, size);
}

static void on_proc_event(void *ctx, const struct pyperf_proc_event *e)
{
	struct recorder *r = ctx;

	tracker_on_event(r->tracker, e);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int fail(const char *msg)
{
	fprintf(stderr, "pybpf: error: %s\n", msg);
	return 1;
}

int record_main(int argc, char **argv)
{
	static const struct argp argp = {
		record_options, parse_record_opt, "[-- COMMAND [ARG...]]",
		"Sample the Python stacks of running processes, of every Python process "
		"on the host, or of a command.\v"
		"Examples:\n"
		"  sudo pybpf record -p 1234 -d 10 -r 1000 -o profile.json\n"
		"  sudo pybpf record -a -d 30 -o all.json\n"
		"  sudo pybpf record --subprocesses -o tests.json -- python3 -m pytest\n"
		"  sudo pybpf record -p 1234 -d 10 -o flame.svg -o run.pybpf",
		outputs_argp_children, NULL, NULL,
	};
	struct record_opts o = { .rate_hz = DEFAULT_RATE_HZ, .max_processes = DEFAULT_MAX_PROCESSES };
	struct tracker_filters filters = { 0 };
	struct tracker_modes modes = { 0 };
	struct sampler_opts so = { 0 };
	struct event_loop loop = { -1, -1, -1, -1, -1, -1, -1 };
	struct launch cmd = { -1, -1, -1 };
	struct output_file stats_file = { .open = false };	/* --stats */
	struct profile profile;
	struct tracker t;
	struct recorder recorder = { .tracker = &t };
	struct sampler *sampler = NULL;
	uint64_t stats[PYPERF_STAT_MAX], t0, start_ns = monotonic_ns();
	enum stop_reason why;
	char err[1024] = "", stem[64], title[1200];
	int signo = 0, rc = 1;

	memset(&t, 0, sizeof(t));
	profile_init(&profile, 0);
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (limits_parse(&profile.limits, getenv("PYBPF_LIMITS"), err, sizeof(err)))
		return fail(err);
	profile.interval_ns = 1000000000ULL / o.rate_hz;
	modes.cpu_weight = 1;
	modes.wall = o.wall;
	modes.gil_only = o.gil_only;
	modes.native = o.native;
	modes.kernel = o.kernel;
	if (o.wall) {
		/* Waits are timed to the microsecond; a sample stands for its period. */
		modes.cpu_weight = profile.interval_ns / 1000;
		profile.interval_ns = 1000;
	}
	if (o.pids.n == 1 && !o.all)
		snprintf(stem, sizeof(stem), "pybpf-%d", o.pids.pids[0]);
	else
		snprintf(stem, sizeof(stem), "pybpf-%s", o.all ? "all" : "command");
	outputs_default(&o.outputs, stem);
	if (preflight_capabilities(err, sizeof(err)) ||
	    preflight_btf(o.btf_path, KERNEL_BTF_PATH, err, sizeof(err)) ||
	    preflight_ringbuf(err, sizeof(err)))
		return fail(err);

	if (o.all) {
		filters.pids = o.pids.pids;
		filters.npids = o.pids.n;
		filters.comm = o.comm;
		filters.cgroup = o.cgroup;
	}
	/* A PID that is not there is reported before anything loads. */
	if (!o.all) {
		for (size_t i = 0; i < o.pids.n; i++) {
			if (!proc_alive(o.pids.pids[i])) {
				snprintf(err, sizeof(err), "no running process with PID %d (check the PID with `ps -p %d`)",
					 o.pids.pids[i], o.pids.pids[i]);
				return fail(err);
			}
		}
	}
	if (tracker_init(&t, &profile, &filters, &modes, o.max_processes))
		return fail("out of memory");
	if (outputs_open(&o.outputs, err, sizeof(err)) ||
	    (o.stats_path && output_file_begin(&stats_file, o.stats_path, err, sizeof(err)))) {
		fail(err);
		goto out;
	}

	so.rate_hz = o.rate_hz;
	so.btf_path = o.btf_path;
	so.ringbuf_bytes = profile.limits.ring_bytes;
	so.max_processes = o.max_processes;
	so.follow_all = o.all;
	so.off_cpu = o.wall;
	so.gil = o.gil_only;
	so.kernel_stacks = o.kernel;
	so.user_stacks = o.native;
	so.bpf_stats = o.stats_path != NULL;
	so.on_sample = on_sample;
	so.on_proc_event = on_proc_event;
	so.ctx = &recorder;
	if (sampler_open(&sampler, &so, err, sizeof(err))) {
		fail(err);
		goto out;
	}
	/* The tracepoints are live: nothing that starts from here on is missed. */
	if (tracker_set_sampler(&t, sampler, err, sizeof(err))) {
		fail(err);
		goto out;
	}
	if (o.command) {
		if (launch_prepare(&cmd, o.command, err, sizeof(err)) ||
		    sampler_watch(sampler, cmd.pid, o.subprocesses ? PYPERF_WATCH_DESCENDANTS :
							     PYPERF_WATCH_SELF)) {
			fail(err[0] ? err : "cannot watch the command");
			goto out;
		}
	}
	if (open_event_loop(&loop, o.duration_s, sampler_fd(sampler), sampler_timer_fd(sampler),
			    cmd.pidfd)) {
		snprintf(err, sizeof(err), "cannot set up the event loop: %s", strerror(errno));
		fail(err);
		goto out;
	}
	profile.start_ns = realtime_ns();
	recorder.origin_ns = monotonic_ns();
	outputs_attach(&o.outputs, &profile);
	if (sampler_start(sampler, err, sizeof(err)) ||
	    privileges_drop(PRIV_WRITE_FILES | (o.command ? PRIV_SIGNAL_COMMAND : 0) |
			    (o.kernel ? PRIV_KERNEL_SYMBOLS : 0), err, sizeof(err))) {
		fail(err);
		goto out;
	}
	/*
	 * Only now, attached and unprivileged, is anything the targets
	 * control read: their maps, ELF files, _Py_DebugOffsets and memory.
	 */
	if (!o.all) {
		for (size_t i = 0; i < o.pids.n; i++) {
			if (tracker_add(&t, o.pids.pids[i], true, err, sizeof(err))) {
				fail(err);
				goto out;
			}
		}
	} else {
		tracker_scan(&t);
	}
	t0 = monotonic_ns();
	tracker_start_waits(&t, t0);
	launch_release(&cmd);
	why = run_loop(&loop, sampler, &t, !o.all && !o.command, &signo);
	sampler_stop(sampler);
	sampler_drain(sampler);
	tracker_finish(&t, monotonic_ns());
	sampler_stats(sampler, stats);
	tracker_take_lost(&t);
	profile.duration_ns = monotonic_ns() - recorder.origin_ns;
	rc = 0;
	if (o.command) {
		/* Stopped early: the command goes on; its exit code is not ours to give. */
		if (why == STOP_COMMAND_EXITED)
			rc = launch_wait(&cmd);
	}

	snprintf(title, sizeof(title), "pybpf record %s", o.all ? "-a" :
		 o.command ? o.command[0] : t.nall ? t.all[0]->target.cmdline : "");
	if (outputs_write(&o.outputs, &profile, title, err, sizeof(err))) {
		fail(err);
		rc = 1;
		goto out;
	}
	if (!o.quiet) {
		print_summary(&t, &o, stats, (monotonic_ns() - t0) / 1e9, why, signo);
		top_functions_print(&profile, TOP_FUNCTIONS, stderr);
		outputs_print(&o.outputs, &profile, stderr);
	}
	warn_losses(&t, &profile, stats);
	if (o.stats_path)
		write_stats(&o, &t, sampler, stats, start_ns, (monotonic_ns() - t0) / 1e9, &stats_file);
out:
	if (o.command && cmd.pid > 0 && rc == 1)
		launch_abort(&cmd);
	outputs_close(&o.outputs);
	output_file_abort(&stats_file);
	tracker_free(&t);
	sampler_close(sampler);
	close_event_loop(&loop);
	profile_free(&profile);
	return rc;
}
