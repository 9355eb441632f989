// SPDX-License-Identifier: BSD-3-Clause
/*
 * `pybpf dump`: print the current Python stack of every thread of one or
 * more processes, once.  Threads are read from userspace with the same
 * layout data as the sampler, so sleeping and blocked threads show too; the
 * target is never stopped.
 */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/session_opts.h"
#include "cli/dump.h"
#include "cli/dump_model.h"
#include "output/json_writer.h"
#include "base/log.h"
#include "session/privileges.h"
#include "profile/profile.h"
#include "python/py_walk.h"
#include "python/python_target.h"
#include "python/symbolizer.h"
#include "python/thread_names.h"
#include "base/array.h"
#include "process/proc_info.h"
#include "process/target_mem.h"

struct dump_opts {
	struct session_opts target;	/* -p, -a, -v */
	bool json;
	bool async;
};

enum { OPT_ASYNC = 1000 };

static const struct argp_option dump_options[] = {
	{ "json", 'j', NULL, 0, "Print JSON instead of text", 0 },
	{ "async", OPT_ASYNC, NULL, 0,
	  "Also print every asyncio task of every event loop: its state, the coroutines it is "
	  "suspended in and the tasks it awaits (CPython 3.8-3.15)", 0 },
	{ 0 },
};

static error_t parse_dump_opt(int key, char *arg, struct argp_state *state)
{
	struct dump_opts *o = state->input;

	switch (key) {
	case 'j':
		o->json = true;
		break;
	case OPT_ASYNC:
		o->async = true;
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->target;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		session_opts_require_target(state, &o->target, "dump");
		if (o->target.all && o->target.pids.n)
			argp_error(state, "give either -p or -a, not both");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char *state_name(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "waiting (uninterruptible)";
	case 'T': case 't': return "stopped";
	default: return "unknown";
	}
}

static int dump_thread(void *arg, uint64_t interp, uint64_t tstate)
{
	struct dump_ctx *c = arg;
	struct dumped_thread *th;

	if (array_reserve(&c->threads, &c->cap, c->nthreads + 1, sizeof(*th)))
		return -ENOMEM;
	th = &c->threads[c->nthreads++];
	memset(th, 0, sizeof(*th));
	if (py_thread_tid(c->t, tstate, &th->tid))
		th->tid = 0;
	if (th->tid) {
		const char *name = thread_names_known(&c->names, c->t, th->tid);

		proc_comm(c->t->pid, th->tid, th->os_name, sizeof(th->os_name));
		snprintf(th->name, sizeof(th->name), "%s", name ? name : th->os_name);
	}
	th->state = th->tid ? proc_task_state(c->t->pid, th->tid) : '?';
	th->holds_gil = py_holds_gil(c->t, interp, tstate);
	if (target_read_u64(c->t->pid, tstate + c->t->layout.bpf.tstate_thread_id, &th->ident))
		th->ident = 0;
	th->frames = malloc(PY_WALK_MAX_FRAMES * sizeof(*th->frames));
	th->addrs = malloc(PY_WALK_MAX_FRAMES * sizeof(*th->addrs));
	if (!th->frames || !th->addrs)
		return -ENOMEM;
	th->nframes = symbolizer_read_stack(c->sym, c->t, tstate, th->frames, th->addrs,
					    PY_WALK_MAX_FRAMES);
	return 0;
}

static int by_tid(const void *a, const void *b)
{
	const struct dumped_thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

void dump_text_frame(const struct profile *p, uint32_t id, int indent)
{
	const struct prof_frame *fr = &p->frames[id];

	printf("%*s    %s (%s:%d)\n", indent, "", p->strings[fr->name], p->strings[fr->file], fr->line);
}

void dump_json_frames(const struct profile *p, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct prof_frame *fr = &p->frames[ids[i]];

		printf("%s{\"function\":", i ? "," : "");
		json_write_string(stdout, p->strings[fr->name]);
		printf(",\"file\":");
		json_write_string(stdout, p->strings[fr->file]);
		printf(",\"line\":%d}", fr->line);
	}
}

const struct dumped_thread *dump_thread_holding(const struct dump_ctx *c, uint64_t frame,
						size_t *depth)
{
	for (size_t i = 0; frame && i < c->nthreads; i++)
		for (size_t f = 0; f < c->threads[i].nframes; f++)
			if (c->threads[i].addrs[f] == frame) {
				*depth = f;
				return &c->threads[i];
			}
	return NULL;
}

static void print_text(struct dump_ctx *c, const struct profile *p)
{
	const struct python_target *t = c->t;

	printf("Process %d: %s\nPython %s (%s)\n", t->pid, t->cmdline, t->version, t->binary);
	for (size_t i = 0; i < c->nthreads; i++) {
		const struct dumped_thread *th = &c->threads[i];

		printf("\nThread %d \"%s\" (%s%s", th->tid, th->name, state_name(th->state),
		       th->holds_gil == 1 ? ", holds the GIL" : "");
		/* threading's name above: the OS's too. */
		if (strcmp(th->name, th->os_name))
			printf(", OS name \"%s\"", th->os_name);
		printf(")\n");
		for (size_t f = 0; f < th->nframes; f++)
			dump_text_frame(p, th->frames[f], 0);
	}
	if (c->async)
		dump_async_text(c);
}

static void print_json(struct dump_ctx *c, const struct profile *p, bool first)
{
	const struct python_target *t = c->t;

	printf("%s{\"pid\":%d,\"ns_pid\":%d,\"command\":", first ? "" : ",\n", t->pid,
	       proc_ns_pid(t->pid));
	json_write_string(stdout, t->cmdline);
	printf(",\"python\":\"%s\",\"threads\":[", t->version);
	for (size_t i = 0; i < c->nthreads; i++) {
		const struct dumped_thread *th = &c->threads[i];

		printf("%s\n{\"tid\":%d,\"name\":", i ? "," : "", th->tid);
		json_write_string(stdout, th->name);
		printf(",\"os_name\":");
		json_write_string(stdout, th->os_name);
		printf(",\"state\":\"%s\",\"on_cpu\":%s,\"holds_gil\":%s,\"frames\":[",
		       state_name(th->state), th->state == 'R' ? "true" : "false",
		       th->holds_gil < 0 ? "null" : th->holds_gil ? "true" : "false");
		dump_json_frames(p, th->frames, th->nframes);
		printf("]}");
	}
	printf("]");
	if (c->async)
		dump_async_json(c);
	printf("}");
}

/*
 * Dump one process; 0, or -errno with a message in ERR (nothing printed),
 * or 1 with a message in ERR: printed, but not all that was asked.
 */
static int dump_process(pid_t pid, const struct dump_opts *o, bool first, char *err, size_t errlen)
{
	struct python_target t;
	struct symbolizer sym;
	struct profile p;
	struct dump_ctx c = { .t = &t, .sym = &sym, .profile = &p, .async = o->async };
	int rc = python_target_open(pid, &t, err, errlen);

	if (rc)
		return rc;
	profile_init(&p, 0);
	thread_names_init(&c.names);
	rc = symbolizer_init(&sym, &t, &p);
	/* One read names every thread: dump reads them all at once. */
	if (!rc)
		thread_names_refresh(&c.names, &t);
	if (!rc)
		rc = py_for_each_thread(&t, dump_thread, &c);
	/* After the threads: a running task's frames are found on its thread's stack. */
	if (rc >= 0 && o->async)
		c.tasks_err = asyncio_read(&t, &c.tasks);
	if (rc >= 0) {
		qsort(c.threads, c.nthreads, sizeof(*c.threads), by_tid);
		if (o->json)
			print_json(&c, &p, first);
		else
			print_text(&c, &p);
		rc = 0;
		/* Printed, but the tasks asked for were not read: the caller tells. */
		if (o->async && c.tasks_err == -ENOTSUP) {
			snprintf(err, errlen, "PID %d: asyncio tasks not read: it runs Python %s, and "
				 "pybpf reads the asyncio tasks of " ASYNCIO_VERSIONS " only", pid, t.version);
			rc = 1;
		} else if (o->async && c.tasks_err && c.tasks_err != -ENOENT) {
			snprintf(err, errlen, "PID %d: asyncio tasks not read (%s): run dump again, the "
				 "process may have changed them while they were read", pid,
				 strerror(-c.tasks_err));
			rc = 1;
		}
	} else {
		snprintf(err, errlen, "PID %d: cannot read its thread list (%s)", pid, strerror(-rc));
	}
	for (size_t i = 0; i < c.nthreads; i++) {
		free(c.threads[i].frames);
		free(c.threads[i].addrs);
	}
	asyncio_snapshot_free(&c.tasks);
	free(c.threads);
	thread_names_free(&c.names);
	symbolizer_free(&sym);
	profile_free(&p);
	return rc;
}

int dump_main(int argc, char **argv)
{
	static const struct argp_child children[] = { { &session_targets_argp, 0, NULL, 0 }, { 0 } };
	static const struct argp argp = {
		dump_options, parse_dump_opt, NULL,
		"Print the Python stack of every thread of running processes, once.\v"
		"Examples:\n  sudo pybpf dump -p 1234\n  sudo pybpf dump -a --json\n"
		"  sudo pybpf dump --async -p 1234",
		children, NULL, NULL,
	};
	struct dump_opts o = { .json = false };
	char err[1024];
	int dumped = 0, rc = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	/* Everything dump reads is the targets': read it as nobody, with reading rights only. */
	if (privileges_drop(0, err, sizeof(err))) {
		fprintf(stderr, "pybpf: error: %s\n", err);
		return 1;
	}
	if (o.json)
		printf("{\"processes\":[");
	if (o.target.all) {
		DIR *dir = opendir("/proc");
		struct dirent *de;

		while (dir && (de = readdir(dir))) {
			pid_t pid = atoi(de->d_name);

			int printed = pid > 0 && pid != getpid() ?
				      dump_process(pid, &o, dumped == 0, err, sizeof(err)) : -ESRCH;

			if (printed >= 0) {
				dumped++;
				if (!o.json)
					printf("\n");
			}
			if (printed > 0) {
				fprintf(stderr, "pybpf: error: %s\n", err);
				rc = 1;
			}
		}
		if (dir)
			closedir(dir);
	}
	for (size_t i = 0; i < o.target.pids.n; i++) {
		int printed = dump_process(o.target.pids.pids[i], &o, dumped == 0, err, sizeof(err));

		if (printed) {
			fprintf(stderr, "pybpf: error: %s\n", err);
			rc = 1;
		}
		if (printed < 0)
			continue;
		dumped++;
		if (!o.json && i + 1 < o.target.pids.n)
			printf("\n");
	}
	if (o.json)
		printf("]}\n");
	return rc;
}
