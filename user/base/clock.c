// SPDX-License-Identifier: BSD-3-Clause
#include <sys/timerfd.h>
#include <time.h>
#include "base/clock.h"

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void timerfd_arm_at(int fd, uint64_t deadline_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = deadline_ns / 1000000000ULL;
	its.it_value.tv_nsec = deadline_ns % 1000000000ULL;
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}
