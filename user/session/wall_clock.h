/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --mode wall: time off the CPU.  The BPF program samples a thread's stack
 * as it leaves the CPU and reports when it comes back; the wait between is
 * added to that stack, under a leaf frame naming what the thread waited
 * for.  Weights are in microseconds (the wall-mode profile unit).
 */
#ifndef PYBPF_WALL_CLOCK_H
#define PYBPF_WALL_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "base/hashmap.h"
#include "profile/profile.h"
#include "pyperf.h"

struct wall_clock {
	struct profile *profile;
	struct hmap waits;		/* host tid -> struct off_cpu_wait * */
	uint64_t waits_added, waits_lost;
};

void wall_clock_init(struct wall_clock *w, struct profile *profile);
void wall_clock_free(struct wall_clock *w);

/*
 * The leaf frame for why a thread is off the CPU: from the task state at
 * the switch, the system call it blocked in, and whether that was a futex
 * on the GIL.
 */
uint32_t wall_clock_state_frame(struct wall_clock *w, uint8_t task_state, int32_t syscall,
				bool gil_wait);

/*
 * Thread TID of profile thread TH left the CPU at NOW_NS with the stack
 * FRAMES[0..DEPTH) (outermost first, state frame included).  Its run since
 * its last sample goes to FRAMES[0..DEPTH-1), the code it left in.
 */
void wall_clock_leave(struct wall_clock *w, struct prof_thread *th, uint32_t tid,
		      const uint32_t *frames, size_t depth, uint64_t now_ns);

/*
 * Thread TID of PID is back on a CPU at NOW_NS: its wait is added to the profile,
 * and its run is timed from now.
 */
void wall_clock_return(struct wall_clock *w, uint32_t pid, uint32_t tid, uint64_t now_ns);

/*
 * A CPU sample of thread TID of PID at NOW_NS: the microseconds it stands for, the
 * thread's run since its return to the CPU or its last sample, so on-CPU
 * time adds up exactly however late the ticks; NOMINAL_US (the periods the
 * kernel counted) while its run's start is unknown.  What remains when it
 * leaves the CPU goes to the stack it leaves in (wall_clock_leave()).
 */
uint64_t wall_clock_run(struct wall_clock *w, uint32_t pid, uint32_t tid, uint64_t now_ns,
			uint64_t nominal_us);

/* Every thread of PID (0: every thread) still waiting stops being counted at NOW_NS. */
void wall_clock_end(struct wall_clock *w, uint32_t pid, uint64_t now_ns);

#endif
