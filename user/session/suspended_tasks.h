/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --mode wall --async: the wall time of the asyncio tasks suspended in an
 * await.  No thread runs a suspended task, so no sample shows it.  Every so
 * often the process's tasks are read (asyncio_read(), as dump --async
 * does), and each pending task its loop is not running gets the time since
 * the read before, on its coroutine chain (outermost first, innermost at
 * the await), under the [task NAME] frames of the tasks awaiting it and its
 * own.  They go to a thread of their own in the profile (tid 0, "asyncio
 * tasks, suspended"), so every real thread's time stays its own: the
 * loop's idle time shows in the loop's thread.
 *
 * A read of thousands of tasks takes the reader a second, never the
 * target: the next read comes SUSPENDED_READ_SPACING times its cost later
 * at the soonest, so reading takes at most a tenth of pybpf's time.
 */
#ifndef PYBPF_SUSPENDED_TASKS_H
#define PYBPF_SUSPENDED_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "profile/profile.h"
#include "python/asyncio_tasks.h"

#define SUSPENDED_READ_SPACING	9
/* Tasks awaiting a task shown above it at most (each awaiting the one below). */
#define SUSPENDED_MAX_AWAITERS	16

/* Where the tasks come from: asyncio_read() and the symbolizer, or a test's. */
struct suspended_tasks_source {
	int (*read)(void *ctx, struct asyncio_snapshot *out);
	uint32_t (*frame)(void *ctx, const struct py_frame_info *f);
	uint64_t (*clock_ns)(void);
	void *ctx;
};

struct suspended_tasks {
	struct suspended_tasks_source src;
	struct profile *profile;
	size_t process;
	struct prof_thread *thread;	/* made on the first task shown */
	uint64_t started_ns;		/* accounting began here */
	uint64_t accounted_ns;		/* time given out (or not read) up to here */
	uint64_t next_read_ns;
	uint64_t min_interval_ns;	/* the sampling period: no sooner than that */
	uint64_t reads, failed_reads;	/* failed: no snapshot (asyncio not imported yet...) */
	uint64_t unread_ns;		/* the intervals of failed reads: given to no task */
	uint64_t tasks_shown;		/* task-intervals added to the profile */
	uint32_t *stack;		/* room for one task's frames */
};

/*
 * Start accounting at START_NS for PROCESS of PROFILE, reading no more
 * often than every MIN_INTERVAL_NS.  0 or -ENOMEM.
 */
int suspended_tasks_init(struct suspended_tasks *st, const struct suspended_tasks_source *src,
			 struct profile *profile, size_t process, uint64_t start_ns,
			 uint64_t min_interval_ns);
void suspended_tasks_free(struct suspended_tasks *st);

/* Count from NOW_NS instead (the recording starts after the process was found). */
void suspended_tasks_restart(struct suspended_tasks *st, uint64_t now_ns);

/*
 * At NOW_NS: when a read is due (always when FINAL, the recording's end),
 * read the tasks and give each suspended one the time since the last
 * read, in microseconds (wall mode's unit).
 */
void suspended_tasks_tick(struct suspended_tasks *st, uint64_t now_ns, bool final);

#endif
