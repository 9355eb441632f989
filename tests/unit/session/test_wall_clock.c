// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/session/wall_clock.h: an off-CPU wait counts its length in
 * microseconds, under its stack, and is a sample of the moment it ended
 * (a return to the CPU, an exit or exec, the end of the recording), as a
 * raw recording's listener hears it.
 */
#include <criterion/criterion.h>
#include "session/wall_clock.h"

static struct profile profile;
static struct wall_clock wall;
static struct prof_thread *thread;
static uint32_t frames[2];
static int64_t heard_time;
static uint64_t heard_count;
static int heard;

static void listen(void *ctx, const struct profile *p, const struct prof_thread *t, uint32_t stack,
		   bool new_stack, uint64_t count, int64_t time_ns)
{
	heard++;
	heard_count = count;
	heard_time = time_ns;
}

static void setup(void)
{
	size_t process;

	profile_init(&profile, 1000);
	wall_clock_init(&wall, &profile);
	profile.origin_ns = 1000000;		/* the recording began then */
	profile.listener.on_add = listen;
	process = profile_process(&profile, 42, "python3 app.py", "3.11.2");
	thread = profile_thread(&profile, process, 43, "worker");
	frames[0] = profile_frame(&profile, "main", "app.py", 3);
	frames[1] = wall_clock_state_frame(&wall, 1 /* TASK_INTERRUPTIBLE */, 202, false);
	heard = 0;
}

static void teardown(void)
{
	wall_clock_free(&wall);
	profile_free(&profile);
}

Test(wall_clock, a_wait_that_returns_is_a_sample_of_its_return, .init = setup, .fini = teardown)
{
	wall_clock_leave(&wall, thread, 43, frames, 2, 3000000);
	wall_clock_return(&wall, 43, 10000000);
	cr_assert_eq(heard, 1);
	cr_assert_eq(heard_count, 7000, "7 ms, in microseconds");
	cr_assert_eq(heard_time, 9000000, "its end, since the origin");
}

Test(wall_clock, a_wait_ended_by_an_exit_is_a_sample_of_the_exit, .init = setup, .fini = teardown)
{
	wall_clock_leave(&wall, thread, 43, frames, 2, 3000000);
	/* The exit event's time, not whatever sample came last. */
	wall_clock_end(&wall, 42, 5000000);
	cr_assert_eq(heard, 1);
	cr_assert_eq(heard_count, 2000);
	cr_assert_eq(heard_time, 4000000);
	/* Ended once: the end of the recording adds nothing more. */
	wall_clock_end(&wall, 0, 8000000);
	cr_assert_eq(heard, 1);
}
