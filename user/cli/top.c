// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf top`: a live terminal view of where Python processes spend their
 * time, refreshed every interval, from the same BPF sampler as `record`.
 */
#include <argp.h>
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "cli/cli.h"
#include "base/log.h"
#include "session/preflight.h"
#include "session/privileges.h"
#include "cli/top.h"
#include "profile/top_table.h"
#include "session/tracker.h"
#include "base/array.h"
#include "base/clock.h"
#include "base/signals.h"
#include "process/proc_info.h"

struct top_opts {
	struct pid_list pids;
	bool all;
	unsigned int rate_hz;
	double refresh_s;
	const char *btf_path;
};

struct top_state {
	struct profile profile;
	struct tracker tracker;
	struct sampler *sampler;
	struct top_table tables[TOP_GROUPS];	/* one per grouping, all kept up to date */
	enum top_group group;
	enum top_sort sort;
	bool paused;
	unsigned int rate_hz;
	uint64_t start_ns;
};

static const struct argp_option top_options[] = {
	{ "pid", 'p', "PID", 0, "A Python process to watch (repeatable)", 0 },
	{ "all", 'a', NULL, 0, "Every Python process on the host", 0 },
	{ "rate", 'r', "HZ", 0, "Samples per second per CPU (default 100)", 0 },
	{ "refresh", 'i', "SECONDS", 0, "Refresh interval (default 1)", 0 },
	{ "btf", 0x100, "FILE", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0 },
	{ "verbose", 'v', NULL, 0, "Debug messages (to stderr)", 0 },
	{ 0 },
};

static error_t parse_top_opt(int key, char *arg, struct argp_state *state)
{
	struct top_opts *o = state->input;
	char *end;

	switch (key) {
	case 'p':
		cli_add_pid(state, arg, &o->pids);
		break;
	case 'a':
		o->all = true;
		break;
	case 'r':
		o->rate_hz = cli_number(state, arg, "rate", 1, 100000);
		break;
	case 'i':
		o->refresh_s = strtod(arg, &end);
		/* Capped: the timer takes whole seconds as a time_t. */
		if (*end || !(o->refresh_s >= 0.1 && o->refresh_s <= 86400))
			argp_error(state, "invalid refresh interval '%s': give 0.1 to 86400 seconds", arg);
		break;
	case 0x100:
		o->btf_path = arg;
		break;
	case 'v':
		log_verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!o->all && !o->pids.n)
			argp_error(state, "nothing to watch: use -p PID or -a");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_stack(void *ctx, const struct tracked *tr, uint32_t tid, const uint32_t *frames,
		     size_t depth)
{
	struct top_state *s = ctx;

	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_add(&s->tables[g], &s->profile, tr->pid, tid, frames, depth);
}

static const char *const group_names[TOP_GROUPS] = { "function", "process", "thread" };
static const char *const sort_names[] = { "%Own", "%Total", "OwnTime", "TotalTime" };

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static void draw(struct top_state *s)
{
	const struct top_table *t = &s->tables[s->group];
	struct top_row **rows = top_table_sorted(t, s->sort);
	double interval_s = 1.0 / s->rate_hz;
	int height, width, y = 0;
	unsigned int processes = 0, threads = s->profile.nthreads;
	char line[512];

	for (size_t i = 0; i < s->tracker.nall; i++)
		processes += s->tracker.all[i]->state == TRACKED_PROFILED;
	getmaxyx(stdscr, height, width);
	erase();
	snprintf(line, sizeof(line), "pybpf top: %u processes, %u threads, %u Hz, %llu samples, %llu last%s",
		 processes, threads, s->rate_hz, (unsigned long long)t->samples_all,
		 (unsigned long long)t->samples_now, s->paused ? "  [paused]" : "");
	mvaddnstr(y++, 0, line, width);
	snprintf(line, sizeof(line), "1-4 sort (%s)  g group (%s)  space pause  q quit",
		 sort_names[s->sort], group_names[s->group]);
	mvaddnstr(y++, 0, line, width);
	attron(A_REVERSE);
	/* A terminal is narrow: files show as base names, as in py-spy top. */
	snprintf(line, sizeof(line), "%7s %7s %9s %9s  %s%s", "%Own", "%Total", "OwnTime", "TotalTime",
		 s->group == TOP_BY_THREAD ? "PID:TID   " : s->group == TOP_BY_PROCESS ? "PID     " : "",
		 "Function (file:line)");
	mvaddnstr(y++, 0, line, width);
	attroff(A_REVERSE);
	for (size_t i = 0; rows && i < t->nrows && y < height; i++) {
		const struct top_row *r = rows[i];
		const char *file = strrchr(s->profile.strings[r->file], '/');
		char who[32] = "";

		if (s->group == TOP_BY_THREAD)
			snprintf(who, sizeof(who), "%u:%u ", r->pid, r->tid);
		else if (s->group == TOP_BY_PROCESS)
			snprintf(who, sizeof(who), "%-7u ", r->pid);
		snprintf(line, sizeof(line), "%6.1f%% %6.1f%% %8.2fs %8.2fs  %s%s (%s:%d)",
			 pct(r->own_now, t->samples_now), pct(r->total_now, t->samples_now),
			 r->own_all * interval_s, r->total_all * interval_s, who,
			 s->profile.strings[r->name], file ? file + 1 : s->profile.strings[r->file], r->line);
		mvaddnstr(y++, 0, line, width);
	}
	free(rows);
	refresh();
}

/* Keys: 1-4 sort, g grouping, space pause, q quit.  Returns false on quit. */
static bool handle_keys(struct top_state *s)
{
	int ch;

	while ((ch = getch()) != ERR) {
		switch (ch) {
		case '1': case '2': case '3': case '4':
			s->sort = (enum top_sort)(ch - '1');
			break;
		case 'g':
			s->group = (enum top_group)((s->group + 1) % TOP_GROUPS);
			break;
		case ' ': case 'p':
			s->paused = !s->paused;
			break;
		case 'q': case 'Q':
			return false;
		case KEY_RESIZE:
			break;
		default:
			continue;
		}
		draw(s);
	}
	return true;
}

static void next_interval(struct top_state *s)
{
	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_next_interval(&s->tables[g]);
}

static int run(struct top_state *s, double refresh_s)
{
	struct epoll_event ev = { .events = EPOLLIN }, events[8];
	int epfd = epoll_create1(EPOLL_CLOEXEC), sigfd = stop_signals_fd();
	int tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int retry = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int fds[] = { sampler_fd(s->sampler), sigfd, tick, retry, STDIN_FILENO,
		      sampler_timer_fd(s->sampler) };
	int own[] = { epfd, sigfd, tick, retry };	/* closed on every way out */
	struct itimerspec its = { 0 };
	bool running = true;
	uint64_t next_retry, expirations;
	int rc = 0;

	if (epfd < 0 || sigfd < 0 || tick < 0 || retry < 0) {
		rc = -errno;
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		ev.data.fd = fds[i];
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev)) {
			rc = -errno;	/* e.g. stdin is /dev/null, which epoll refuses */
			goto out;
		}
	}
	its.it_interval.tv_sec = (time_t)refresh_s;
	its.it_interval.tv_nsec = (long)((refresh_s - (time_t)refresh_s) * 1e9);
	its.it_value = its.it_interval;
	timerfd_settime(tick, 0, &its, NULL);
	draw(s);
	while (running) {
		int n = epoll_wait(epfd, events, ARRAY_SIZE(events), -1);

		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == fds[0] || fd == fds[5]) {
				sampler_drain(s->sampler);
			} else if (fd == sigfd) {
				running = false;
			} else if (fd == tick) {
				if (read(tick, &expirations, sizeof(expirations)) > 0 && !s->paused) {
					draw(s);
					next_interval(s);
				}
			} else if (fd == retry) {
				if (read(retry, &expirations, sizeof(expirations)) < 0)
					continue;
			} else if (fd == STDIN_FILENO) {
				running = handle_keys(s);
			}
		}
		next_retry = tracker_retry(&s->tracker, monotonic_ns());
		if (next_retry)
			timerfd_arm_at(retry, next_retry);
	}
out:
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		if (own[i] >= 0)
			close(own[i]);
	return rc;
}

int top_main(int argc, char **argv)
{
	static const struct argp argp = {
		top_options, parse_top_opt, NULL,
		"A live view of the functions Python processes spend their time in.\v"
		"Keys: 1-4 sort by %Own, %Total, OwnTime, TotalTime; g groups by function, "
		"process or thread; space pauses; q quits.\n"
		"Examples:\n  sudo pybpf top -p 1234\n  sudo pybpf top -a -r 1000",
		NULL, NULL, NULL,
	};
	struct top_opts o = { .rate_hz = 100, .refresh_s = 1.0 };
	struct tracker_filters filters = { 0 };
	struct sampler_opts so = { 0 };
	struct top_state s;
	char err[1024] = "";
	int rc = 1;

	memset(&s, 0, sizeof(s));
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (preflight_capabilities(err, sizeof(err)) ||
	    preflight_btf(o.btf_path, KERNEL_BTF_PATH, err, sizeof(err)) ||
	    preflight_ringbuf(err, sizeof(err))) {
		fprintf(stderr, "pybpf: error: %s\n", err);
		return 1;
	}
	profile_init(&s.profile, 1000000000ULL / o.rate_hz);
	s.profile.keep_order = false;	/* a live view needs no time order */
	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_init(&s.tables[g], (enum top_group)g);
	s.rate_hz = o.rate_hz;
	if (o.all) {
		filters.pids = o.pids.pids;
		filters.npids = o.pids.n;
	}
	if (tracker_init(&s.tracker, &s.profile, &filters, NULL, 256))
		goto out;
	s.tracker.on_stack = on_stack;
	s.tracker.on_stack_ctx = &s;
	for (size_t i = 0; !o.all && i < o.pids.n; i++) {
		if (!proc_alive(o.pids.pids[i])) {
			snprintf(err, sizeof(err), "no running process with PID %d (check the PID with `ps -p %d`)",
				 o.pids.pids[i], o.pids.pids[i]);
			goto out;
		}
	}
	so.rate_hz = o.rate_hz;
	so.btf_path = o.btf_path;
	so.ringbuf_bytes = 4u << 20;
	so.max_processes = 256;
	so.follow_all = o.all;
	so.on_sample = (sampler_fn)tracker_on_sample;
	so.on_proc_event = (sampler_proc_fn)tracker_on_event;
	so.ctx = &s.tracker;
	if (sampler_open(&s.sampler, &so, err, sizeof(err)))
		goto out;
	if (tracker_set_sampler(&s.tracker, s.sampler, err, sizeof(err)))
		goto out;
	if (sampler_start(s.sampler, err, sizeof(err)) || privileges_drop(0, err, sizeof(err)))
		goto out;
	/* Attached and unprivileged: now what the targets control is read. */
	for (size_t i = 0; !o.all && i < o.pids.n; i++)
		if (tracker_add(&s.tracker, o.pids.pids[i], true, err, sizeof(err)))
			goto out;
	if (o.all)
		tracker_scan(&s.tracker);

	setlocale(LC_ALL, "");
	initscr();
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	rc = run(&s, o.refresh_s);
	/* Whatever ended the loop (q, a signal), give the terminal back. */
	endwin();
	/* From run()'s status: endwin() has changed errno. */
	if (rc)
		snprintf(err, sizeof(err), "the event loop failed: %s", strerror(-rc));
	rc = rc ? 1 : 0;
out:
	if (rc && err[0])
		fprintf(stderr, "pybpf: error: %s\n", err);
	tracker_free(&s.tracker);
	sampler_close(s.sampler);
	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_free(&s.tables[g]);
	profile_free(&s.profile);
	return rc;
}
