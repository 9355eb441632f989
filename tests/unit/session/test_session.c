// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/session/session.h's event loop: why it ends, with file descriptors
 * the test makes ready (no sampler: what the loop decides is its own).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "base/clock.h"
#include "session/session.h"

/* A loop that never ends fails the test, not the run. */
TestSuite(session, .timeout = 60);

static struct session s;
static struct profile profile;

static void make_loop(void)
{
	struct tracker_filters none = { 0 };

	memset(&s, 0, sizeof(s));
	s.signal = s.retry = s.duration = -1;
	profile_init(&profile, 1000000);
	cr_assert_eq(tracker_init(&s.tracker, &profile, &none, NULL, 8), 0);
	s.profile = &profile;
	s.epoll = epoll_create1(EPOLL_CLOEXEC);
	cr_assert_geq(s.epoll, 0);
}

static void watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	cr_assert_eq(epoll_ctl(s.epoll, EPOLL_CTL_ADD, fd, &ev), 0);
}

static void free_loop(void)
{
	session_close(&s);
	profile_free(&profile);
}

static int handler_calls;

static bool stop_at_second_call(void *ctx)
{
	uint64_t n;

	cr_assert_eq(read(*(int *)ctx, &n, sizeof(n)), sizeof(n));
	return ++handler_calls < 2;
}

Test(session, a_failing_wait_is_an_error_not_a_signal, .fini = free_loop)
{
	make_loop();
	close(s.epoll);
	s.epoll = -1;			/* epoll_wait fails: EBADF */
	cr_assert_eq(session_run(&s), SESSION_ERROR);
	cr_assert_eq(s.stop_errno, EBADF);
	cr_assert_eq(s.stop_signal, 0, "no signal to name");
}

Test(session, a_handler_ends_the_session_when_it_says, .fini = free_loop)
{
	static int efd;
	struct session_handler h = { .on_ready = stop_at_second_call, .ctx = &efd };
	uint64_t one = 1;

	make_loop();
	efd = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);	/* a read takes one */
	h.fd = efd;
	cr_assert_eq(session_add_handler(&s, &h), 0);
	watch(efd);
	handler_calls = 0;
	cr_assert_eq(write(efd, &one, sizeof(one)), sizeof(one));
	/* Two writes, two reads: ready for a second call. */
	cr_assert_eq(write(efd, &one, sizeof(one)), sizeof(one));
	cr_assert_eq(session_run(&s), SESSION_HANDLER);
	close(efd);
}

Test(session, the_duration_ends_it, .fini = free_loop)
{
	make_loop();
	s.duration = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	cr_assert_geq(s.duration, 0);
	watch(s.duration);
	timerfd_arm_at(s.duration, monotonic_ns() + 1000000);
	cr_assert_eq(session_run(&s), SESSION_DURATION);
}

Test(session, no_target_left_ends_it, .fini = free_loop)
{
	make_loop();
	s.cfg.stop_when_targets_exit = true;
	s.retry = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	watch(s.retry);
	timerfd_arm_at(s.retry, monotonic_ns() + 1000000);
	cr_assert_eq(session_run(&s), SESSION_TARGETS_EXITED);
}

Test(session, handlers_are_bounded)
{
	struct session_handler h = { .fd = 0 };

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < SESSION_MAX_HANDLERS; i++)
		cr_assert_eq(session_add_handler(&s, &h), 0);
	cr_assert_eq(session_add_handler(&s, &h), -E2BIG);
}

/* The ring is sized from the rate, a power of two between its bounds. */
Test(session, ring_bytes_follow_the_rate)
{
	/* 1 kHz on 2 CPUs: 100 KiB in 50 ms; the floor holds. */
	cr_assert_eq(session_ring_bytes(1000, 2, false), SESSION_RING_MIN);
	/* 10 kHz on 2 CPUs: 1000 KiB: the next power of two. */
	cr_assert_eq(session_ring_bytes(10000, 2, false), 1u << 20);
	/* 100 kHz on 64 CPUs: 320 MiB wanted, the ceiling given. */
	cr_assert_eq(session_ring_bytes(100000, 64, false), SESSION_RING_MAX);
	/* Native stack copies and wall mode start from a larger floor. */
	cr_assert_eq(session_ring_bytes(100, 2, true), SESSION_RING_MIN_BIG);
	cr_assert_eq(session_ring_bytes(100000, 8, true), 64u << 20);
	for (unsigned int rate = 1; rate <= 100000; rate *= 7) {
		size_t b = session_ring_bytes(rate, 16, false);

		cr_assert_eq(b & (b - 1), 0, "%zu is not a power of two", b);
		cr_assert_geq(b, (uint64_t)rate * 16 * 1024 / 20 < SESSION_RING_MAX ?
				 (uint64_t)rate * 16 * 1024 / 20 : SESSION_RING_MAX);
	}
}

Test(session, thread_slots_follow_the_host)
{
	/* An idle host: the floor. */
	cr_assert_eq(session_thread_slots(300), SESSION_THREADS_MIN);
	/* 3000 threads: twice that, rounded up to a power of two. */
	cr_assert_eq(session_thread_slots(3000), 8192);
	/* A busy host gets the ceiling, and a count that would overflow does too. */
	cr_assert_eq(session_thread_slots(100000), SESSION_THREADS_MAX);
	cr_assert_eq(session_thread_slots((unsigned long)-1), SESSION_THREADS_MAX);
	for (unsigned long n = 1; n < 40000; n = n * 3 + 1) {
		unsigned int slots = session_thread_slots(n);

		cr_assert_eq(slots & (slots - 1), 0, "%u is not a power of two", slots);
		cr_assert(slots >= 2 * n || slots == SESSION_THREADS_MAX, "%u slots for %lu threads", slots, n);
	}
}
