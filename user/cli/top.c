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
#include "cli/session_opts.h"
#include "session/session.h"
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
	struct session_opts target;	/* -p, -a, -r, --btf, --max-processes, -v */
	double refresh_s;
};

enum { OPT_MODE = 0x100 };

struct top_state {
	struct profile profile;
	struct session session;
	int tick;			/* the refresh timer */
	struct top_table tables[TOP_GROUPS];	/* one per grouping, all kept up to date */
	enum top_group group;
	enum top_sort sort;
	bool paused;
	unsigned int rate_hz;
	uint64_t start_ns;
};

static const struct argp_option top_options[] = {
	{ "refresh", 'i', "SECONDS", 0, "Refresh interval (default 1)", 0 },
	{ "mode", OPT_MODE, "cpu|memory", 0, "cpu (default): time on a CPU; memory: the growth of each process's resident memory, in MiB, by the functions that made it", 0 },
	{ 0 },
};

static error_t parse_top_opt(int key, char *arg, struct argp_state *state)
{
	struct top_opts *o = state->input;
	char *end;

	switch (key) {
	case 'i':
		o->refresh_s = strtod(arg, &end);
		/* Capped: the timer takes whole seconds as a time_t. */
		if (*end || !(o->refresh_s >= 0.1 && o->refresh_s <= 86400))
			argp_error(state, "invalid refresh interval '%s': give 0.1 to 86400 seconds", arg);
		break;
	case OPT_MODE:
		o->target.memory = !strcmp(arg, "memory");
		if (!o->target.memory && strcmp(arg, "cpu"))
			argp_error(state, "invalid mode '%s': use --mode cpu or --mode memory", arg);
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->target;
		state->child_inputs[1] = &o->target;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		session_opts_require_target(state, &o->target, "watch");
		session_opts_check_mode(state, &o->target);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_stack(void *ctx, const struct tracked *tr, uint32_t tid, const uint32_t *frames,
		     size_t depth, uint64_t count)
{
	struct top_state *s = ctx;

	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_add(&s->tables[g], &s->profile, tr->pid, tid, frames, depth, count);
}

static const char *const group_names[TOP_GROUPS] = { "function", "process", "thread" };
static const char *const sort_names[] = { "%Own", "%Total", "OwnTime", "TotalTime" };
static const char *const memory_sort_names[] = { "%Own", "%Total", "OwnMiB", "TotalMiB" };

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static void draw(struct top_state *s)
{
	const struct top_table *t = &s->tables[s->group];
	struct top_row **rows = top_table_sorted(t, s->sort);
	/* What a sample stands for: seconds, or --mode memory's MiB. */
	bool memory = s->profile.unit == PROF_UNIT_BYTES;
	double unit = memory ? s->profile.sample_value / 1048576.0 : 1.0 / s->rate_hz;
	const char *const *sorts = memory ? memory_sort_names : sort_names;
	const char *suffix = memory ? "M" : "s";
	int height, width, y = 0;
	unsigned int processes = 0, threads = s->profile.nthreads;
	char line[512];

	for (size_t i = 0; i < s->session.tracker.nall; i++)
		processes += s->session.tracker.all[i]->state == TRACKED_PROFILED;
	getmaxyx(stdscr, height, width);
	erase();
	if (memory)
		snprintf(line, sizeof(line), "pybpf top --mode memory: %u processes, %u threads, %.1f MiB grown, %.1f MiB last%s",
			 processes, threads, t->samples_all * unit, t->samples_now * unit,
			 s->paused ? "  [paused]" : "");
	else
		snprintf(line, sizeof(line), "pybpf top: %u processes, %u threads, %u Hz, %llu samples, %llu last%s",
			 processes, threads, s->rate_hz, (unsigned long long)t->samples_all,
			 (unsigned long long)t->samples_now, s->paused ? "  [paused]" : "");
	mvaddnstr(y++, 0, line, width);
	snprintf(line, sizeof(line), "1-4 sort (%s)  g group (%s)  space pause  q quit",
		 sorts[s->sort], group_names[s->group]);
	mvaddnstr(y++, 0, line, width);
	attron(A_REVERSE);
	/* A terminal is narrow: files show as base names, as in py-spy top. */
	snprintf(line, sizeof(line), "%7s %7s %9s %9s  %s%s", sorts[0], sorts[1], sorts[2], sorts[3],
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
		snprintf(line, sizeof(line), "%6.1f%% %6.1f%% %8.2f%s %8.2f%s  %s%s (%s:%d)",
			 pct(r->own_now, t->samples_now), pct(r->total_now, t->samples_now),
			 r->own_all * unit, suffix, r->total_all * unit, suffix, who,
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

/* The refresh timer: the table drawn, a new interval begun. */
static bool on_tick(void *ctx)
{
	struct top_state *s = ctx;
	uint64_t expirations;

	if (read(s->tick, &expirations, sizeof(expirations)) > 0 && !s->paused) {
		draw(s);
		next_interval(s);
	}
	return true;
}

static bool on_keys(void *ctx)
{
	return handle_keys(ctx);
}

static int start_ticks(struct top_state *s, double refresh_s)
{
	struct itimerspec its = { 0 };

	s->tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (s->tick < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)refresh_s;
	its.it_interval.tv_nsec = (long)((refresh_s - (time_t)refresh_s) * 1e9);
	its.it_value = its.it_interval;
	return timerfd_settime(s->tick, 0, &its, NULL) ? -errno : 0;
}

int top_main(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &session_targets_argp, 0, NULL, 0 },
		{ &session_sampling_argp, 0, NULL, 0 },
		{ 0 },
	};
	static const struct argp argp = {
		top_options, parse_top_opt, NULL,
		"A live view of the functions Python processes spend their time in (or, with --mode memory, grow their memory in).\v"
		"Keys: 1-4 sort by %Own, %Total, OwnTime, TotalTime; g groups by function, "
		"process or thread; space pauses; q quits.\n"
		"Examples:\n  sudo pybpf top -p 1234\n  sudo pybpf top -a -r 1000",
		children, NULL, NULL,
	};
	struct top_opts o = { .refresh_s = 1.0 };
	struct session_config cfg;
	struct tracker_modes modes;
	struct top_state s;
	struct session_handler tick = { .on_ready = on_tick, .ctx = &s };
	struct session_handler keys = { .fd = STDIN_FILENO, .on_ready = on_keys, .ctx = &s };
	enum session_stop why;
	char err[1024] = "";
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.tick = -1;
	session_opts_init(&o.target);
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	profile_init(&s.profile, 1000000000ULL / o.target.rate_hz);
	s.profile.keep_order = false;	/* a live view needs no time order */
	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_init(&s.tables[g], (enum top_group)g);
	s.rate_hz = o.target.rate_hz;
	modes = (struct tracker_modes){ .cpu_weight = 1, .async_tasks = o.target.async_tasks };
	if (o.target.memory) {
		modes.memory_period = o.target.memory_period;
		profile_count_bytes(&s.profile, o.target.memory_period);
	}
	cfg = (struct session_config){
		.pids = o.target.pids.pids,
		.npids = o.target.pids.n,
		.all = o.target.all,
		.modes = &modes,
		.rate_hz = o.target.rate_hz,
		.max_processes = o.target.max_processes,
		.btf_path = o.target.btf_path,
	};
	if (session_open(&s.session, &s.profile, &cfg, err, sizeof(err)))
		goto out;
	s.session.tracker.on_stack = on_stack;
	s.session.tracker.on_stack_ctx = &s;
	if (start_ticks(&s, o.refresh_s)) {
		snprintf(err, sizeof(err), "cannot start the refresh timer: %s", strerror(errno));
		goto out;
	}
	tick.fd = s.tick;
	session_add_handler(&s.session, &tick);
	session_add_handler(&s.session, &keys);
	/* The terminal first: ncurses ends pybpf itself, with its own word, if it cannot. */
	setlocale(LC_ALL, "");
	initscr();
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	/* stdin must be a terminal epoll takes (not /dev/null): the loop says so. */
	if (session_start(&s.session, err, sizeof(err))) {
		endwin();
		goto out;
	}
	draw(&s);
	why = session_run(&s.session);
	/* Whatever ended the loop (q, a signal), give the terminal back. */
	endwin();
	rc = 0;
	if (why == SESSION_ERROR) {
		snprintf(err, sizeof(err), "the event loop failed: %s", strerror(s.session.stop_errno));
		rc = 1;
	}
out:
	if (rc && err[0])
		fprintf(stderr, "pybpf: error: %s\n", err);
	if (s.tick >= 0)
		close(s.tick);
	session_close(&s.session);
	for (int g = 0; g < TOP_GROUPS; g++)
		top_table_free(&s.tables[g]);
	profile_free(&s.profile);
	return rc;
}
