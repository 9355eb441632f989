// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf record -p PID`: attach the BPF sampler to a running Python process,
 * symbolize and aggregate its samples as they arrive, and write the profile
 * when the duration ends, the target exits or a signal arrives.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "output_file.h"
#include "preflight.h"
#include "profile.h"
#include "python_target.h"
#include "record.h"
#include "sampler.h"
#include "speedscope.h"
#include "symbolizer.h"
#include "util.h"

#define DEFAULT_RATE_HZ 100
#define MAX_RATE_HZ 100000
#define RINGBUF_BYTES (16u << 20)

struct record_opts {
	pid_t pid;
	double duration_s;		/* 0: until the target exits or a signal */
	unsigned int rate_hz;
	const char *output;
	const char *btf_path;
};

struct recording {
	struct python_target target;
	struct profile profile;
	struct symbolizer sym;
	size_t process;
	struct hmap threads;		/* tid -> struct prof_thread * */
	uint32_t truncated_frame;
	uint32_t *stack;		/* scratch: frame ids, outermost first */
	uint64_t samples, idle, dropped;
};

enum { OPT_BTF = 0x100 };

static const struct argp_option record_options[] = {
	{ "pid", 'p', "PID", 0, "Python process to profile", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: until Ctrl-C or the target exits)", 0 },
	{ "rate", 'r', "HZ", 0, "Samples per second per CPU (default 100)", 0 },
	{ "output", 'o', "FILE", 0, "Write the profile to FILE (default pybpf-PID.json)", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's and pybpf's debug messages", 0 },
	{ 0 },
};

static error_t parse_record_opt(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;
	char *end;

	switch (key) {
	case 'p':
		errno = 0;
		o->pid = strtol(arg, &end, 10);
		if (errno || *end || o->pid <= 0)
			argp_error(state, "invalid PID '%s': give the numeric id of a running process", arg);
		break;
	case 'd':
		o->duration_s = strtod(arg, &end);
		if (*end || !(o->duration_s > 0))
			argp_error(state, "invalid duration '%s': give a positive number of seconds", arg);
		break;
	case 'r':
		errno = 0;
		o->rate_hz = strtoul(arg, &end, 10);
		if (errno || *end || o->rate_hz == 0 || o->rate_hz > MAX_RATE_HZ)
			argp_error(state, "invalid rate '%s': give a sampling rate from 1 to %d Hz", arg, MAX_RATE_HZ);
		break;
	case 'o':
		o->output = arg;
		break;
	case OPT_BTF:
		o->btf_path = arg;
		break;
	case 'v':
		log_verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!o->pid)
			argp_error(state, "no process given: use -p PID");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct prof_thread *thread_for(struct recording *r, uint32_t tid)
{
	bool created;
	uintptr_t *slot = hmap_upsert(&r->threads, &tid, sizeof(tid), &created);
	char comm[64];

	if (!slot)
		return NULL;
	if (created) {
		proc_comm(r->target.pid, tid, comm, sizeof(comm));
		*slot = (uintptr_t)profile_thread(&r->profile, r->process, tid, comm);
	}
	return (struct prof_thread *)*slot;
}

static void on_sample(void *ctx, const struct pyperf_sample *s, size_t size)
{
	struct recording *r = ctx;
	size_t n = s->hdr.nframes, depth = 0, room;
	struct prof_thread *t;

	room = (size - sizeof(s->hdr)) / sizeof(struct pyperf_frame);
	if (n > room)
		n = room;
	r->samples++;
	if (s->hdr.pid != (uint32_t)r->target.pid)
		return;
	if (n == 0) {
		/* A thread with no Python frames (idle, or not a Python thread). */
		r->idle++;
		return;
	}
	t = thread_for(r, s->hdr.tid);
	if (!t) {
		r->dropped++;
		return;
	}
	/* The kernel sends the innermost frame first; profiles want the root first. */
	if (s->hdr.flags & PYPERF_SAMPLE_TRUNCATED)
		r->stack[depth++] = r->truncated_frame;
	for (size_t i = n; i-- > 0;)
		r->stack[depth++] = symbolizer_frame(&r->sym, &s->frames[i]);
	if (profile_add(&r->profile, t, r->stack, depth, 1))
		r->dropped++;
}

enum stop_reason { STOP_NONE, STOP_DURATION, STOP_SIGNAL, STOP_TARGET_EXIT };

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct event_fds {
	int epoll, signal, pid, timer, samples;
};

static int open_event_fds(struct event_fds *f, pid_t pid, double duration_s, int samples_fd)
{
	sigset_t mask;

	f->epoll = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	f->signal = signalfd(-1, &mask, SFD_CLOEXEC);
	/* A pidfd becomes readable when the process exits: no polling. */
	f->pid = syscall(SYS_pidfd_open, pid, 0);
	f->timer = -1;
	f->samples = samples_fd;
	if (duration_s > 0) {
		struct itimerspec its = { 0 };

		its.it_value.tv_sec = (time_t)duration_s;
		its.it_value.tv_nsec = (long)((duration_s - (time_t)duration_s) * 1e9);
		f->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (f->timer < 0 || timerfd_settime(f->timer, 0, &its, NULL))
			return -errno;
	}
	if (f->epoll < 0 || f->signal < 0 || f->pid < 0)
		return -errno;
	if (add_fd(f->epoll, f->signal) || add_fd(f->epoll, f->pid) ||
	    add_fd(f->epoll, samples_fd) || (f->timer >= 0 && add_fd(f->epoll, f->timer)))
		return -errno;
	return 0;
}

static void close_event_fds(struct event_fds *f)
{
	int fds[] = { f->epoll, f->signal, f->pid, f->timer };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static enum stop_reason run_loop(struct sampler *sampler, struct event_fds *f, int *signo)
{
	struct epoll_event events[8];

	for (;;) {
		int n = epoll_wait(f->epoll, events, ARRAY_SIZE(events), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return STOP_SIGNAL;
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == f->samples) {
				sampler_drain(sampler);
			} else if (fd == f->signal) {
				struct signalfd_siginfo si;

				if (read(f->signal, &si, sizeof(si)) == sizeof(si))
					*signo = si.ssi_signo;
				return STOP_SIGNAL;
			} else if (fd == f->pid) {
				return STOP_TARGET_EXIT;
			} else if (fd == f->timer) {
				return STOP_DURATION;
			}
		}
	}
}

static void print_summary(const struct recording *r, const struct record_opts *o,
			  const uint64_t *stats, double secs, enum stop_reason why, int signo)
{
	const char *reason = why == STOP_DURATION ? "duration reached" :
			     why == STOP_TARGET_EXIT ? "target exited" : strsignal(signo);

	fprintf(stderr, "pybpf: recorded PID %d (%s, Python %s) for %.1f s at %u Hz (%s)\n",
		r->target.pid, r->target.cmdline, r->target.version, secs, o->rate_hz, reason);
	fprintf(stderr, "pybpf: samples %llu (with Python frames %llu, without %llu), lost %llu (ring buffer full), failed reads %llu, unresolved frames %llu\n",
		(unsigned long long)r->samples,
		(unsigned long long)(r->samples - r->idle - r->dropped),
		(unsigned long long)r->idle,
		(unsigned long long)stats[PYPERF_STAT_LOST],
		(unsigned long long)stats[PYPERF_STAT_READ_ERRORS],
		(unsigned long long)r->sym.frames_failed);
	fprintf(stderr, "pybpf: wrote %s (speedscope, %zu threads)\n", o->output,
		r->profile.nthreads);
}

static int fail(const char *msg)
{
	fprintf(stderr, "pybpf: error: %s\n", msg);
	return 1;
}

int record_main(int argc, char **argv)
{
	static const struct argp argp = {
		record_options, parse_record_opt, NULL,
		"Sample the Python stacks of a running process.\v"
		"Example: sudo pybpf record -p 1234 -d 10 -r 1000 -o profile.json",
		NULL, NULL, NULL,
	};
	struct record_opts o = { .rate_hz = DEFAULT_RATE_HZ };
	struct sampler_opts so = { 0 };
	struct event_fds fds = { -1, -1, -1, -1, -1 };
	struct recording r;
	struct output_file out;
	struct sampler *sampler = NULL;
	uint64_t stats[PYPERF_STAT_MAX], t0;
	enum stop_reason why;
	char err[1024], default_output[64], title[1200];
	int signo = 0, rc = 1;

	memset(&r, 0, sizeof(r));
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (!o.output) {
		snprintf(default_output, sizeof(default_output), "pybpf-%d.json", o.pid);
		o.output = default_output;
	}
	if (preflight_capabilities(err, sizeof(err)) || preflight_btf(o.btf_path, KERNEL_BTF_PATH, err, sizeof(err)))
		return fail(err);
	if (python_target_open(o.pid, &r.target, err, sizeof(err)))
		return fail(err);
	if (output_file_begin(&out, o.output, err, sizeof(err)))
		return fail(err);
	log_debug("PID %d: Python %s, _PyRuntime at 0x%llx in %s, layout from %s\n", o.pid,
		  r.target.version, (unsigned long long)r.target.runtime_addr, r.target.binary,
		  r.target.layout_source);

	profile_init(&r.profile, 1000000000ULL / o.rate_hz);
	r.process = profile_process(&r.profile, o.pid, r.target.cmdline, r.target.version);
	r.truncated_frame = profile_frame(&r.profile, "[truncated]", "", 0);
	r.stack = malloc((PYPERF_MAX_FRAMES + 1) * sizeof(*r.stack));
	if (!r.stack || symbolizer_init(&r.sym, &r.target, &r.profile)) {
		fail("out of memory");
		goto out;
	}

	so.rate_hz = o.rate_hz;
	so.btf_path = o.btf_path;
	so.ringbuf_bytes = RINGBUF_BYTES;
	if (sampler_open(&sampler, &so, on_sample, &r, err, sizeof(err)) ||
	    sampler_add_process(sampler, o.pid, r.target.runtime_addr, &r.target.layout.bpf)) {
		fail(err);
		goto out;
	}
	if (open_event_fds(&fds, o.pid, o.duration_s, sampler_fd(sampler))) {
		snprintf(err, sizeof(err), "cannot watch PID %d: %s", o.pid, strerror(errno));
		fail(err);
		goto out;
	}
	if (sampler_start(sampler, err, sizeof(err))) {
		fail(err);
		goto out;
	}
	t0 = monotonic_ns();
	why = run_loop(sampler, &fds, &signo);
	sampler_drain(sampler);
	sampler_stats(sampler, stats);
	sampler_close(sampler);
	sampler = NULL;

	snprintf(title, sizeof(title), "pybpf: PID %d %s (Python %s)", o.pid, r.target.cmdline,
		 r.target.version);
	if (speedscope_write(out.fp, &r.profile, title) ||
	    output_file_commit(&out, err, sizeof(err))) {
		if (!err[0] || out.fp)
			snprintf(err, sizeof(err), "writing %s failed", o.output);
		fail(err);
		goto out;
	}
	print_summary(&r, &o, stats, (monotonic_ns() - t0) / 1e9, why, signo);
	rc = 0;
out:
	output_file_abort(&out);
	sampler_close(sampler);
	close_event_fds(&fds);
	symbolizer_free(&r.sym);
	hmap_free(&r.threads);
	profile_free(&r.profile);
	free(r.stack);
	return rc;
}
