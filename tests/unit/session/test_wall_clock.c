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
	wall_clock_return(&wall, 42, 43, 10000000);
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

Test(wall_clock, a_run_counts_from_the_return_to_each_sample_and_to_the_leave, .init = setup,
     .fini = teardown)
{
	/* Running before anything was heard of it: its first sample is nominal. */
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 1000000, 1000), 1000);
	/* Then each sample covers the run since the one before, however late. */
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 4200000, 1000), 3200, "a tick 2.2 ms late");
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 5200000, 1000), 1000);
	/* It leaves 300 us after its last sample: those go to the code it left in. */
	wall_clock_leave(&wall, thread, 43, frames, 2, 5500000);
	cr_assert_eq(heard, 1);
	cr_assert_eq(heard_count, 300);
	/* Back after 2 ms of waiting, sampled 100 us later: the wait, then 100 us. */
	wall_clock_return(&wall, 42, 43, 7500000);
	cr_assert_eq(heard, 2);
	cr_assert_eq(heard_count, 2000);
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 7600000, 1000), 100);
	/* Every microsecond from the first sample on, counted once. */
	cr_assert_eq(3200 + 1000 + 300 + 2000 + 100, (7600000 - 1000000) / 1000);
}

Test(wall_clock, an_exec_starts_the_run_afresh, .init = setup, .fini = teardown)
{
	wall_clock_return(&wall, 42, 43, 1000000);
	wall_clock_end(&wall, 42, 2000000);
	/* The new program's first sample does not count the old one's run. */
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 9000000, 1000), 1000);
	/* Another process's end leaves this one's run alone. */
	wall_clock_end(&wall, 7, 9500000);
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 10000000, 1000), 1000);
}

/* A process's end forgets its threads: an agent on a busy host keeps no entry per thread that ever ran. */
Test(wall_clock, an_ended_process_leaves_no_entries, .init = setup, .fini = teardown)
{
	wall_clock_leave(&wall, thread, 43, frames, 2, 3000000);
	wall_clock_return(&wall, 42, 44, 3000000);
	wall_clock_return(&wall, 77, 78, 3000000);	/* another process's */
	cr_assert_eq(wall.waits.len, 3);
	wall_clock_end(&wall, 42, 5000000);
	cr_assert_eq(heard, 1, "the wait still counted, to the end");
	cr_assert_eq(heard_count, 2000);
	cr_assert_eq(wall.waits.len, 1);
	/* A later thread with the same tid starts afresh. */
	cr_assert_eq(wall_clock_run(&wall, 42, 43, 6000000, 250), 250, "nominal: its run's start unknown");
	cr_assert_eq(wall.waits.len, 2);
}
