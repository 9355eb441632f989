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
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/session_opts.h"
#include "session/session.h"
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
#include "cli/otlp_agent.h"

#define MAX_DURATION_S 1e9		/* 31 years */
#define TOP_FUNCTIONS 10
/* --otlp: a period from 1 s to an hour; at most 4 GiB kept; a flush of at most a minute. */
#define MIN_INTERVAL_S 1.0
#define MAX_INTERVAL_S 3600.0
#define DEFAULT_INTERVAL_S 10.0
#define MAX_OTLP_BUFFER_MIB 4096
#define DEFAULT_OTLP_BUFFER_MIB 64
#define MAX_FLUSH_S 60.0
#define DEFAULT_FLUSH_S 5.0

struct record_opts {
	struct session_opts target;	/* -p, -a, -r, --btf, --max-processes, -v */
	bool subprocesses;
	const char *comm;
	const char *cgroup;
	char **command;			/* after "--" */
	double duration_s;		/* 0: until the targets exit or a signal */
	struct outputs outputs;		/* -o, -f */
	bool quiet;
	const char *stats_path;		/* --stats: machine-readable run figures */
	bool stats_stages;		/* --stats-stages: with them, each stage's time */
	bool wall;			/* --mode wall */
	bool gil_only;			/* --gil */
	bool native;			/* --native */
	bool kernel;			/* --kernel */
	const char *otlp_url;		/* --otlp: stream to a collector */
	double interval_s;		/* --interval: one request per period */
	size_t otlp_buffer_bytes;	/* --otlp-buffer */
	double otlp_flush_s;		/* --otlp-flush: at the end, sending what is left */
};

enum {
	OPT_COMM = 0x100,
	OPT_CGROUP,
	OPT_SUBPROCESSES,
	OPT_STATS,
	OPT_STATS_STAGES,
	OPT_MODE,
	OPT_GIL,
	OPT_NATIVE,
	OPT_KERNEL,
	OPT_OTLP,
	OPT_INTERVAL,
	OPT_OTLP_BUFFER,
	OPT_OTLP_FLUSH,
};

static const struct argp_option record_options[] = {
	{ NULL, 0, NULL, 0, "What to profile (and -p, -a below):", 1 },
	{ "comm", OPT_COMM, "NAME", 0, "With -a: only processes whose command name is NAME", 1 },
	{ "cgroup", OPT_CGROUP, "PATH|ID", 0, "With -a: only processes whose cgroup path contains PATH|ID (a container)", 1 },
	{ "subprocesses", OPT_SUBPROCESSES, NULL, 0, "With -- CMD: also every descendant Python process", 1 },
	{ NULL, 0, NULL, 0, "How:", 2 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: until Ctrl-C or the targets exit)", 2 },
	{ "mode", OPT_MODE, "cpu|wall|memory", 0, "cpu (default): time on a CPU; wall: all of every thread's time, off-CPU waits included under a frame naming the wait; memory: the growth of each process's resident memory, in bytes, under the stack that made it", 2 },
	{ "gil", OPT_GIL, NULL, 0, "Keep only samples of threads holding the GIL", 2 },
	{ "native", OPT_NATIVE, NULL, 0, "Interleave native (C) frames with the Python frames", 2 },
	{ "kernel", OPT_KERNEL, NULL, 0, "Add kernel frames below them", 2 },
	{ "stats", OPT_STATS, "FILE", 0, "Also write run figures as JSON to FILE (times the BPF program; for benchmarks)", 2 },
	{ "stats-stages", OPT_STATS_STAGES, NULL, 0, "With --stats: also time each stage of a sample in the BPF program (three more clock reads a sample)", 2 },
	{ "quiet", 'q', NULL, 0, "No summary or top-functions table at the end (errors and warnings only)", 2 },
	{ NULL, 0, NULL, 0, "Streaming to an OpenTelemetry Collector (an agent):", 3 },
	{ "otlp", OPT_OTLP, "URL", 0, "Send each period's samples as OTLP profiles (OTLP/HTTP, protobuf) to the collector at URL (http://HOST[:PORT], port 4318 if not given); no local file unless -o is given", 3 },
	{ "interval", OPT_INTERVAL, "SECONDS", 0, "With --otlp: the period (default 10)", 3 },
	{ "otlp-buffer", OPT_OTLP_BUFFER, "MIB", 0, "With --otlp: keep at most MIB of unsent periods while the collector is away, the oldest dropped past it (default 64)", 3 },
	{ "otlp-flush", OPT_OTLP_FLUSH, "SECONDS", 0, "With --otlp: at the end (SIGTERM, Ctrl-C, -d), send what is left for at most SECONDS (default 5)", 3 },
	{ 0 },
};

static error_t parse_record_opt(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;
	char *end;

	switch (key) {
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
	case OPT_STATS:
		o->stats_path = arg;
		break;
	case OPT_STATS_STAGES:
		o->stats_stages = true;
		break;
	case OPT_MODE:
		o->wall = !strcmp(arg, "wall");
		o->target.memory = !strcmp(arg, "memory");
		if (!o->wall && !o->target.memory && strcmp(arg, "cpu"))
			argp_error(state, "invalid mode '%s': use --mode cpu, --mode wall or --mode memory", arg);
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
	case 'q':
		o->quiet = true;
		break;
	case OPT_OTLP:
		o->otlp_url = arg;
		break;
	case OPT_INTERVAL:
		o->interval_s = strtod(arg, &end);
		if (*end || !(o->interval_s >= MIN_INTERVAL_S && o->interval_s <= MAX_INTERVAL_S))
			argp_error(state, "invalid interval '%s': give a number of seconds from %g to %g",
				   arg, MIN_INTERVAL_S, MAX_INTERVAL_S);
		break;
	case OPT_OTLP_BUFFER: {
		double mib = strtod(arg, &end);

		if (*end || !(mib >= 1 && mib <= MAX_OTLP_BUFFER_MIB))
			argp_error(state, "invalid --otlp-buffer '%s': give a number of MiB from 1 to %d", arg,
				   MAX_OTLP_BUFFER_MIB);
		o->otlp_buffer_bytes = (size_t)(mib * 1048576);
		break;
	}
	case OPT_OTLP_FLUSH:
		o->otlp_flush_s = strtod(arg, &end);
		if (*end || !(o->otlp_flush_s >= 0 && o->otlp_flush_s <= MAX_FLUSH_S))
			argp_error(state, "invalid --otlp-flush '%s': give a number of seconds from 0 to %g", arg,
				   MAX_FLUSH_S);
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->target;
		state->child_inputs[1] = &o->target;
		state->child_inputs[2] = &o->outputs;
		break;
	case ARGP_KEY_ARGS:
		o->command = state->argv + state->next;
		break;
	case ARGP_KEY_END:
		if (o->command && (o->target.all || o->target.pids.n))
			argp_error(state, "give either a command after -- or -p/-a, not both");
		if (!o->command && !o->target.all && !o->target.pids.n)
			argp_error(state, "nothing to profile: use -p PID, -a, or -- COMMAND");
		if ((o->comm || o->cgroup) && !o->target.all)
			argp_error(state, "--comm and --cgroup select among all processes: add -a");
		if (o->subprocesses && !o->command)
			argp_error(state, "--subprocesses goes with a command after --");
		if (o->stats_stages && !o->stats_path)
			argp_error(state, "--stats-stages adds to the --stats file: give --stats FILE too");
		if (!o->otlp_url && (o->interval_s || o->otlp_buffer_bytes || o->otlp_flush_s >= 0))
			argp_error(state, "--interval, --otlp-buffer and --otlp-flush go with --otlp URL");
		if (o->gil_only && (o->wall || o->target.memory))
			argp_error(state, "--gil keeps on-CPU samples of the GIL holder: use it with --mode cpu");
		session_opts_check_mode(state, &o->target);
		if (o->otlp_url) {
			struct http_url url;
			char why[600];

			if (http_url_parse(o->otlp_url, &url, why, sizeof(why)))
				argp_error(state, "%s", why);
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char *stop_reason(const struct session *s, enum session_stop why)
{
	switch (why) {
	case SESSION_DURATION:
		return "duration reached";
	case SESSION_TARGETS_EXITED:
		return "target exited";
	case SESSION_HANDLER:
		return "command exited";	/* record's one handler: the command's pidfd */
	case SESSION_SIGNAL:
		return strsignal(s->stop_signal);
	case SESSION_ERROR:
		break;
	}
	return "the event loop failed";
}

/*
 * --mode memory: each process's resident memory (anonymous and shmem) at
 * start, peak and end, and the growth its samples stand for: the peak's
 * rise, less what was still owed short of a period.
 */
static void print_memory(const struct tracker *t, uint64_t period)
{
	char text[5][32];

	profile_format_bytes(period, text[0], sizeof(text[0]));
	fprintf(stderr, "pybpf: --mode memory: a sample per %s of growth past each process's peak\n", text[0]);
	for (size_t i = 0; i < t->nall; i++) {
		const struct tracked *tr = t->all[i];

		if (!tr->was_profiled || !tr->memory.known)
			continue;
		profile_format_bytes(tr->memory.start, text[0], sizeof(text[0]));
		profile_format_bytes(tr->memory.peak, text[1], sizeof(text[1]));
		profile_format_bytes(tr->memory.end, text[2], sizeof(text[2]));
		profile_format_bytes((double)tr->memory.sampled * period, text[3], sizeof(text[3]));
		fprintf(stderr, "pybpf:   PID %d: resident %s at start, %s peak, %s at end; %s of growth in the kernel's samples\n",
			tr->pid, text[0], text[1], text[2], text[3]);
		if (!tr->memory.held)
			continue;
		profile_format_bytes((double)tr->memory.held * period, text[4], sizeof(text[4]));
		fprintf(stderr, "pybpf:   PID %d: %s of growth held back by the brake when it ended, in no sample\n",
			tr->pid, text[4]);
	}
}

static void print_summary(struct tracker *t, const struct record_opts *o, const uint64_t *stats,
			  double secs, const char *reason)
{
	unsigned long long processes = t->retired.processes;

	for (size_t i = 0; i < t->nall; i++)
		processes += t->all[i]->was_profiled;
	if (o->target.memory)	/* a sample per period of growth: no rate */
		fprintf(stderr, "pybpf: recorded %llu Python process%s for %.1f s (%s)\n",
			processes, processes == 1 ? "" : "es", secs, reason);
	else
		fprintf(stderr, "pybpf: recorded %llu Python process%s for %.1f s at %u Hz (%s)\n",
			processes, processes == 1 ? "" : "es", secs, o->target.rate_hz, reason);
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
	if (o->target.memory)
		print_memory(t, o->target.memory_period);
}

/*
 * What the profile is missing, and why: never silent, even with -q.  Lost
 * samples are gone for good; unreadable frames are in it as [unknown].
 */
static void warn_losses(struct tracker *t, const struct profile *p, const uint64_t *stats)
{
	unsigned long long lost = stats[PYPERF_STAT_LOST];

	if (lost)
		fprintf(stderr, "pybpf: warning: %llu samples (%.1f%%) were lost because the ring buffer was full: %s\n",
			lost, 100.0 * lost / (lost + t->samples),
			p->unit == PROF_UNIT_BYTES ? "raise --memory-period" : "lower the rate (-r)");
	tracker_warn_unreadable(t, stderr);
	limits_warn(&p->over, stderr);
}

/*
 * --mode wall --async: the time the suspended tasks' reads span and the
 * part of it no read could give out (failed reads), so that a task's time
 * can be weighed against what was read; null without them.
 */
static void suspended_tasks_json(const struct suspended_tasks *st, FILE *f)
{
	if (!st->stack) {
		fputs("\"suspended_tasks\":null,", f);
		return;
	}
	fprintf(f, "\"suspended_tasks\":{\"span_s\":%.3f,\"reads\":%llu,\"failed_reads\":%llu,"
		"\"unread_s\":%.3f},", (st->accounted_ns - st->started_ns) / 1e9,
		(unsigned long long)st->reads, (unsigned long long)st->failed_reads, st->unread_ns / 1e9);
}

/* --mode memory: TR's resident bytes and the growth sampled; null without them. */
static void memory_json(const struct tracked *tr, const struct record_opts *o, FILE *f)
{
	if (!o->target.memory || !tr->memory.known) {
		fputs("\"memory\":null,", f);
		return;
	}
	fprintf(f, "\"memory\":{\"start_bytes\":%llu,\"peak_bytes\":%llu,\"end_bytes\":%llu,"
		"\"sampled_bytes\":%llu,\"held_bytes\":%llu,\"owed_bytes\":%lld},", (unsigned long long)tr->memory.start,
		(unsigned long long)tr->memory.peak, (unsigned long long)tr->memory.end,
		(unsigned long long)(tr->memory.sampled * o->target.memory_period),
		(unsigned long long)(tr->memory.held * o->target.memory_period), (long long)tr->memory.owed);
}

/*
 * --stats: what a benchmark needs and stderr does not say exactly: samples
 * and losses per process, the BPF program's own run time, and how long
 * after pybpf started the first sample arrived.
 */
static void write_stats(const struct record_opts *o, struct tracker *t, struct sampler *sampler,
			const uint64_t *stats, uint64_t start_ns, double secs, struct otlp_export *otlp,
			struct output_file *file)
{
	uint64_t buckets[PYPERF_COST_BUCKETS];
	struct sampler_prog_info prog;
	FILE *f = file->fp;
	char err[1024];

	sampler_prog_info(sampler, &prog);
	fprintf(f, "{\"duration_s\":%.3f,\"rate_hz\":%u,\"samples\":%llu,\"lost\":%llu,"
		"\"read_errors\":%llu,\"unresolved_frames\":%llu,\"first_sample_ms\":%.3f,"
		"\"bpf_run_cnt\":%llu,\"bpf_run_time_ns\":%llu,\"bpf_verified_insns\":%llu,\"bpf_reads\":%llu,"
		"\"codes_reported\":%llu,\"code_report_bytes\":%llu,\"code_reports_lost\":%llu,"
		"\"tstate_searches\":%llu,\"no_tstate\":%llu,\"budget_cut\":%llu,\"braked\":%llu,"
		"\"unfair\":%llu,\"bpf_max_sample_ns\":%llu,\"bpf_max_reads\":%llu,\"read_budget\":%d,"
		"\"incomplete\":",
		secs, o->target.rate_hz, (unsigned long long)t->samples,
		(unsigned long long)stats[PYPERF_STAT_LOST],
		(unsigned long long)stats[PYPERF_STAT_READ_ERRORS],
		(unsigned long long)t->unresolved,
		t->first_sample_ns ? (t->first_sample_ns - start_ns) / 1e6 : -1.0,
		(unsigned long long)prog.run_cnt, (unsigned long long)prog.run_time_ns,
		(unsigned long long)prog.verified_insns,
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
	if (o->stats_stages)
		fprintf(f, ",\"stage_ns\":{\"thread\":%llu,\"walk\":%llu,\"submit\":%llu}",
			(unsigned long long)stats[PYPERF_STAT_NS_THREAD],
			(unsigned long long)stats[PYPERF_STAT_NS_WALK],
			(unsigned long long)stats[PYPERF_STAT_NS_SUBMIT]);
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
		suspended_tasks_json(&tr->suspended, f);
		memory_json(tr, o, f);
		/* Its CPU time while profiled, the samples it should have had: null once reaped. */
		if (tr->cpu_known)
			fprintf(f, "\"cpu_s\":%.3f,\"incomplete\":", tr->cpu_ns / 1e9);
		else
			fputs("\"cpu_s\":null,\"incomplete\":", f);
		incomplete_json(&tr->incomplete, f);
		fputc('}', f);
	}
	/* An agent's processes that ended and were sent, only counted (otlp_agent.h). */
	fprintf(f, "],\"let_go\":{\"processes\":%llu,\"samples\":%llu,\"lost\":%llu,\"braked\":%llu}",
		(unsigned long long)t->retired.processes, (unsigned long long)t->retired.samples,
		(unsigned long long)t->retired.lost, (unsigned long long)t->retired.braked);
	fputs(",\"limits\":", f);
	limits_json(&t->profile->over, f);
	fputs(",\"otlp\":", f);
	if (otlp)
		otlp_export_json(otlp, f);
	else
		fputs("null", f);
	fputs("}\n", f);
	if (output_file_commit(file, err, sizeof(err)))
		fprintf(stderr, "pybpf: warning: --stats: %s\n", err);
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

/*
 * --otlp: the sending thread and the period's timer.  An agent (no local
 * output) lets go of what it has sent: its memory follows the processes
 * running, not every one that ran.
 */
static int start_otlp(const struct record_opts *o, struct otlp_export *x, struct otlp_tick *tick,
		      struct session *s, struct profile *p, char *err, size_t errlen)
{
	struct otlp_export_config config = {
		.url = o->otlp_url,
		.max_bytes = o->otlp_buffer_bytes ? o->otlp_buffer_bytes : (size_t)DEFAULT_OTLP_BUFFER_MIB << 20,
		.sample_type = o->target.memory ? "space" : o->wall ? "wall" : "cpu",
	};

	tick->profile = p;
	tick->tracker = o->outputs.n ? NULL : &s->tracker;
	return otlp_agent_start(tick, x, &config, o->interval_s ? o->interval_s : DEFAULT_INTERVAL_S, s, err,
				errlen);
}

/* The launched command's pidfd readable: it exited, and the recording ends. */
static bool command_running(void *ctx)
{
	return false;
}

int record_main(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &session_targets_argp, 0, NULL, 1 },
		{ &session_sampling_argp, 0, NULL, 2 },
		{ &outputs_argp, 0, "Output:", 10 },
		{ 0 },
	};
	static const struct argp argp = {
		record_options, parse_record_opt, "[-- COMMAND [ARG...]]",
		"Sample the Python stacks of running processes, of every Python process "
		"on the host, or of a command.\v"
		"Examples:\n"
		"  sudo pybpf record -p 1234 -d 10 -r 1000 -o profile.json\n"
		"  sudo pybpf record -a -d 30 -o all.json\n"
		"  sudo pybpf record --subprocesses -o tests.json -- python3 -m pytest\n"
		"  sudo pybpf record -p 1234 -d 10 -o flame.svg -o run.pybpf\n\n"
		"Finding a test suite's hotspot, fixing it, checking it is gone:\n"
		"  sudo pybpf record -o before.pybpf -o before.html -- python3 -m pytest\n"
		"  (open before.html)  pybpf report -i before.pybpf --lines FUNCTION\n"
		"  sudo pybpf record -o after.pybpf -- python3 -m pytest\n"
		"  pybpf diff before.pybpf after.pybpf -o diff.svg",
		children, NULL, NULL,
	};
	struct record_opts o = { .duration_s = 0, .otlp_flush_s = -1 };
	struct tracker_modes modes = { 0 };
	struct session_config cfg;
	struct launch cmd = { -1, -1, -1 };
	struct output_file stats_file = { .open = false };	/* --stats */
	struct profile profile;
	struct otlp_export otlp = { .started = false };
	struct otlp_tick tick = { .fd = -1 };
	struct session s;
	struct tracker *t = &s.tracker;
	uint64_t stats[PYPERF_STAT_MAX], start_ns = monotonic_ns();
	double recorded_s;
	enum session_stop why;
	char err[1024] = "", stem[64], title[1200];
	int rc = 1;

	session_opts_init(&o.target);
	memset(&s, 0, sizeof(s));	/* session_open sets it up before anything can close it */
	profile_init(&profile, 0);
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (limits_parse(&profile.limits, getenv("PYBPF_LIMITS"), err, sizeof(err)))
		return fail(err);
	profile.sample_value = 1000000000ULL / o.target.rate_hz;
	modes.cpu_weight = 1;
	modes.wall = o.wall;
	modes.gil_only = o.gil_only;
	modes.native = o.native;
	modes.kernel = o.kernel;
	modes.async_tasks = o.target.async_tasks;
	modes.sources = outputs_want_sources(&o.outputs);
	if (o.target.memory) {
		/* A sample stands for the bytes of its period (the kernel's weight: periods). */
		modes.memory_period = o.target.memory_period;
		profile_count_bytes(&profile, o.target.memory_period);
	}
	if (o.wall) {
		/* Waits are timed to the microsecond; a sample stands for its period. */
		modes.cpu_weight = profile.sample_value / 1000;
		profile.sample_value = 1000;
	}
	if (o.target.pids.n == 1 && !o.target.all)
		snprintf(stem, sizeof(stem), "pybpf-%d", o.target.pids.pids[0]);
	else
		snprintf(stem, sizeof(stem), "pybpf-%s", o.target.all ? "all" : "command");
	/* An agent (--otlp) writes no local file unless asked to, nor keeps the samples' order for one. */
	if (!o.otlp_url || o.outputs.n)
		outputs_default(&o.outputs, stem);
	else
		profile.keep_order = false;

	cfg = (struct session_config){
		.pids = o.target.pids.pids,
		.npids = o.target.pids.n,
		.all = o.target.all,
		.comm = o.comm,
		.cgroup = o.cgroup,
		.modes = &modes,
		.rate_hz = o.target.rate_hz,
		.max_processes = o.target.max_processes,
		.btf_path = o.target.btf_path,
		.ringbuf_bytes = profile.limits.ring_bytes,
		.bpf_stats = o.stats_path != NULL,
		.stage_times = o.stats_stages,
		.privileges_kept = PRIV_WRITE_FILES | (o.command ? PRIV_SIGNAL_COMMAND : 0) |
				   (o.kernel ? PRIV_KERNEL_SYMBOLS : 0),
		.duration_s = o.duration_s,
		.stop_when_targets_exit = !o.target.all && !o.command,
	};
	if (session_open(&s, &profile, &cfg, err, sizeof(err)) ||
	    outputs_open(&o.outputs, err, sizeof(err)) ||
	    (o.stats_path && output_file_begin(&stats_file, o.stats_path, err, sizeof(err)))) {
		fail(err);
		goto out;
	}
	if (o.command) {
		struct session_handler exited = { .on_ready = command_running };

		if (launch_prepare(&cmd, o.command, err, sizeof(err)) ||
		    session_watch(&s, cmd.pid, o.subprocesses ? PYPERF_WATCH_DESCENDANTS : PYPERF_WATCH_SELF) ||
		    (exited.fd = cmd.pidfd, session_add_handler(&s, &exited))) {
			fail(err[0] ? err : "cannot watch the command");
			goto out;
		}
	}
	profile.start_ns = realtime_ns();
	outputs_attach(&o.outputs, &profile);
	if (o.otlp_url && start_otlp(&o, &otlp, &tick, &s, &profile, err, sizeof(err))) {
		fail(err);
		goto out;
	}
	if (session_start(&s, err, sizeof(err))) {
		fail(err);
		goto out;
	}
	launch_release(&cmd);
	why = session_run(&s);
	session_finish(&s);
	/* The recording's length: draining it and writing it out are not part of it. */
	recorded_s = (s.stopped_ns - s.started_ns) / 1e9;
	sampler_stats(s.sampler, stats);
	tracker_take_lost(t);
	profile.duration_ns = monotonic_ns() - profile.origin_ns;
	/* The last period, and what is left sent within --otlp-flush. */
	if (o.otlp_url)
		otlp_export_finish(&otlp, &profile, (int)((o.otlp_flush_s >= 0 ? o.otlp_flush_s : DEFAULT_FLUSH_S) * 1000));
	rc = 0;
	/* Stopped early: the command goes on; its exit code is not ours to give. */
	if (o.command && why == SESSION_HANDLER)
		rc = launch_wait(&cmd);
	/* Nothing lost: what was gathered is written, then the failure told. */
	if (why == SESSION_ERROR) {
		snprintf(err, sizeof(err), "the event loop failed (%s); the profile so far is written",
			 strerror(s.stop_errno));
		rc = 1;
	}

	snprintf(title, sizeof(title), "pybpf record %s", o.target.all ? "-a" :
		 o.command ? o.command[0] : t->nall ? t->all[0]->target.cmdline : "");
	if (outputs_write(&o.outputs, &profile, title, err, sizeof(err))) {
		fail(err);
		rc = 1;
		goto out;
	}
	if (!o.quiet) {
		print_summary(t, &o, stats, recorded_s, stop_reason(&s, why));
		if (t->retired.processes)
			fprintf(stderr, "pybpf: the processes let go of are in the collector's profiles only, not in what follows\n");
		top_functions_print(&profile, TOP_FUNCTIONS, stderr);
		outputs_print(&o.outputs, &profile, stderr);
	}
	if (o.otlp_url)
		otlp_export_print(&otlp, o.quiet, stderr);
	warn_losses(t, &profile, stats);
	if (o.stats_path)
		write_stats(&o, t, s.sampler, stats, start_ns, recorded_s, o.otlp_url ? &otlp : NULL, &stats_file);
	if (why == SESSION_ERROR)
		fail(err);
out:
	if (o.command && cmd.pid > 0 && rc == 1)
		launch_abort(&cmd);
	otlp_export_free(&otlp);
	otlp_agent_stop(&tick);
	outputs_close(&o.outputs);
	output_file_abort(&stats_file);
	session_close(&s);
	profile_free(&profile);
	return rc;
}
