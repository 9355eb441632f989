/* SPDX-License-Identifier: BSD-3-Clause */
/* CLOCK_MONOTONIC: the time every deadline and duration is measured in. */
#ifndef PYBPF_BASE_CLOCK_H
#define PYBPF_BASE_CLOCK_H

#include <stdint.h>

uint64_t monotonic_ns(void);

/* Arm timerfd FD (CLOCK_MONOTONIC) to fire once at DEADLINE_NS. */
void timerfd_arm_at(int fd, uint64_t deadline_ns);

#endif
