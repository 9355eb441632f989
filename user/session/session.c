// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "base/array.h"
#include "base/clock.h"
#include "base/signals.h"
#include "output/output_file.h"
#include "process/proc_info.h"
#include "session/preflight.h"
#include "session/privileges.h"
#include "session/session.h"

static void on_sample(void *ctx, const struct pyperf_sample *sample, size_t size)
{
	tracker_on_sample(ctx, sample, size);
}

static void on_proc_event(void *ctx, const struct pyperf_proc_event *e)
{
	tracker_on_event(ctx, e);
}

static void clear_fds(struct session *s)
{
	s->epoll = s->signal = s->retry = s->duration = -1;
}

/* The smallest power of two from MIN (itself one) that reaches WANT, but at most MAX. */
static uint64_t power_of_two_for(uint64_t want, uint64_t min, uint64_t max)
{
	uint64_t n = min;

	while (n < want && n < max)
		n <<= 1;
	return n;
}

size_t session_ring_bytes(unsigned int rate_hz, unsigned int ncpus, bool big_samples)
{
	uint64_t want = (uint64_t)rate_hz * ncpus * 1024 / 20;	/* 50 ms of ~1 KiB samples */

	return power_of_two_for(want, big_samples ? SESSION_RING_MIN_BIG : SESSION_RING_MIN,
				SESSION_RING_MAX);
}

unsigned int session_thread_slots(unsigned long host_threads)
{
	/* Twice the threads; a count near the top of its type saturates, never wraps. */
	uint64_t want = host_threads > UINT32_MAX ? UINT64_MAX : 2 * (uint64_t)host_threads;

	return (unsigned int)power_of_two_for(want, SESSION_THREADS_MIN, SESSION_THREADS_MAX);
}

/* Threads on the host now: the kernel counts them in sysinfo's "procs". */
static unsigned long host_thread_count(void)
{
	struct sysinfo info;

	return sysinfo(&info) ? SESSION_THREADS_MAX : info.procs;
}

int session_open(struct session *s, struct profile *profile, const struct session_config *cfg,
		 char *err, size_t errlen)
{
	bool wall = cfg->modes && cfg->modes->wall;
	struct sampler_opts so = {
		.rate_hz = cfg->rate_hz,
		.btf_path = cfg->btf_path,
		.ringbuf_bytes = cfg->ringbuf_bytes ? cfg->ringbuf_bytes :
				 session_ring_bytes(cfg->rate_hz, libbpf_num_possible_cpus(),
						    wall || (cfg->modes && cfg->modes->native)),
		.max_processes = cfg->max_processes,
		.max_threads = session_thread_slots(host_thread_count()),
		.follow_all = cfg->all,
		.off_cpu = wall,
		.memory_period_bytes = cfg->modes ? cfg->modes->memory_period : 0,
		/* Unknown counts as there: the load then says what is wrong. */
		.bpf_loop = preflight_probe(PREFLIGHT_BPF_LOOP, cfg->btf_path) != 0,
		.switch_prev_state = wall && preflight_probe(PREFLIGHT_SWITCH_PREV_STATE, cfg->btf_path) != 0,
		.gil = cfg->modes && cfg->modes->gil_only,
		.kernel_stacks = cfg->modes && cfg->modes->kernel,
		.user_stacks = cfg->modes && cfg->modes->native,
		.bpf_stats = cfg->bpf_stats,
		.stage_times = cfg->stage_times,
		.on_sample = on_sample,
		.on_proc_event = on_proc_event,
		.ctx = &s->tracker,
	};
	int rc;

	memset(s, 0, sizeof(*s));
	clear_fds(s);
	s->cfg = *cfg;
	s->profile = profile;
	if (cfg->all)
		s->filters = (struct tracker_filters){ cfg->pids, cfg->npids, cfg->comm, cfg->cgroup };
	if ((rc = preflight_capabilities(err, errlen)) ||
	    (rc = preflight_btf(cfg->btf_path, KERNEL_BTF_PATH, err, errlen)) ||
	    (rc = preflight_features(err, errlen)))
		return rc;
	/* A PID that is not there is reported before anything loads. */
	for (size_t i = 0; !cfg->all && i < cfg->npids; i++) {
		if (!proc_alive(cfg->pids[i])) {
			snprintf(err, errlen, "no running process with PID %d (check the PID with `ps -p %d`)",
				 cfg->pids[i], cfg->pids[i]);
			return -ESRCH;
		}
	}
	if (tracker_init(&s->tracker, profile, &s->filters, cfg->modes, cfg->max_processes)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = sampler_open(&s->sampler, &so, err, errlen)))
		return rc;
	/* The tracepoints are live: nothing that starts from here on is missed. */
	return tracker_set_sampler(&s->tracker, s->sampler, err, errlen);
}

int session_watch(struct session *s, pid_t pid, enum pyperf_watch how)
{
	return sampler_watch(s->sampler, pid, how);
}

int session_add_handler(struct session *s, const struct session_handler *h)
{
	if (s->nhandlers == SESSION_MAX_HANDLERS)
		return -E2BIG;
	s->handlers[s->nhandlers++] = *h;
	return 0;
}

static int watch_fd(struct session *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(s->epoll, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int open_loop(struct session *s)
{
	int rc;

	s->epoll = epoll_create1(EPOLL_CLOEXEC);
	s->signal = stop_signals_fd();
	s->retry = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (s->cfg.duration_s > 0)
		s->duration = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (s->epoll < 0 || s->signal < 0 || s->retry < 0 || (s->cfg.duration_s > 0 && s->duration < 0))
		return -errno;
	if ((rc = watch_fd(s, s->signal)) || (rc = watch_fd(s, s->retry)) ||
	    (rc = watch_fd(s, sampler_fd(s->sampler))) || (rc = watch_fd(s, sampler_timer_fd(s->sampler))) ||
	    (s->duration >= 0 && (rc = watch_fd(s, s->duration))))
		return rc;
	for (size_t i = 0; i < s->nhandlers; i++)
		if ((rc = watch_fd(s, s->handlers[i].fd)))
			return rc;
	return 0;
}

int session_start(struct session *s, char *err, size_t errlen)
{
	int rc = open_loop(s);

	if (rc) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(-rc));
		return rc;
	}
	s->profile->origin_ns = monotonic_ns();
	if ((rc = sampler_start(s->sampler, err, errlen)) ||
	    (rc = privileges_drop(s->cfg.privileges_kept, err, errlen)))
		return rc;
	/*
	 * Only now, attached and unprivileged, is anything the targets
	 * control read: their maps, ELF files, _Py_DebugOffsets and memory.
	 */
	if (s->cfg.all) {
		tracker_scan(&s->tracker);
	} else {
		for (size_t i = 0; i < s->cfg.npids; i++)
			if ((rc = tracker_add(&s->tracker, s->cfg.pids[i], true, err, errlen)))
				return rc;
	}
	s->started_ns = monotonic_ns();
	tracker_start_waits(&s->tracker, s->started_ns);
	if (s->duration >= 0)
		timerfd_arm_at(s->duration, s->started_ns + (uint64_t)(s->cfg.duration_s * 1e9));
	return 0;
}

/* One ready file descriptor: whether the session goes on. */
static bool on_ready(struct session *s, int fd, enum session_stop *why)
{
	uint64_t expirations;

	if (fd == s->retry) {
		/* Only wakes the loop: the retry pass after it does the work. */
		ssize_t taken = read(s->retry, &expirations, sizeof(expirations));

		(void)taken;		/* nothing to take is a spurious wake-up: the same */
		return true;
	}
	if (fd == s->signal) {
		struct signalfd_siginfo si;

		if (read(s->signal, &si, sizeof(si)) == sizeof(si))
			s->stop_signal = (int)si.ssi_signo;
		/* A second Ctrl-C is not caught: it ends pybpf at once. */
		unblock_sigint(output_file_remove_temps);
		*why = SESSION_SIGNAL;
		return false;
	}
	if (fd == s->duration) {
		*why = SESSION_DURATION;
		return false;
	}
	for (size_t i = 0; i < s->nhandlers; i++) {
		if (fd == s->handlers[i].fd && !s->handlers[i].on_ready(s->handlers[i].ctx)) {
			*why = SESSION_HANDLER;
			return false;
		}
	}
	/* Samples waiting, or the drain timer: take them in. */
	if (s->sampler && (fd == sampler_fd(s->sampler) || fd == sampler_timer_fd(s->sampler)))
		sampler_drain(s->sampler);
	return true;
}

enum session_stop session_run(struct session *s)
{
	struct epoll_event events[8];
	enum session_stop why = SESSION_ERROR;

	for (;;) {
		int n = epoll_wait(s->epoll, events, ARRAY_SIZE(events), -1);
		uint64_t next_retry;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->stop_errno = errno;
			return SESSION_ERROR;
		}
		for (int i = 0; i < n; i++)
			if (!on_ready(s, events[i].data.fd, &why))
				return why;
		tracker_tick(&s->tracker, monotonic_ns());
		next_retry = tracker_retry(&s->tracker, monotonic_ns());
		if (next_retry)
			timerfd_arm_at(s->retry, next_retry);
		if (s->cfg.stop_when_targets_exit && !tracker_explicit_alive(&s->tracker))
			return SESSION_TARGETS_EXITED;
	}
}

void session_finish(struct session *s)
{
	/*
	 * The recording ends here: what was sampled before is drained, and
	 * the time of waits and suspended tasks is counted up to here too,
	 * however long the drain and the last reads take.
	 */
	s->stopped_ns = monotonic_ns();
	tracker_stop_cpu_clocks(&s->tracker);
	sampler_stop(s->sampler);
	sampler_drain(s->sampler);
	tracker_finish(&s->tracker, s->stopped_ns);
}

void session_close(struct session *s)
{
	int fds[] = { s->epoll, s->signal, s->retry, s->duration };

	tracker_free(&s->tracker);
	sampler_close(s->sampler);
	s->sampler = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	clear_fds(s);
}
