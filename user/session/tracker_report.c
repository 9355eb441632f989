// SPDX-License-Identifier: BSD-3-Clause
/* What the tracker tells at the end of a recording: per-process lines and warnings. */
#include <stdio.h>
#include "session/tracker.h"

void tracker_warn_unreadable(const struct tracker *t, FILE *out)
{
	if (t->retired.braked)
		fprintf(out, "pybpf: warning: processes that ended and were let go of (--otlp) were sampled less: the brake did not take %llu of their samples; each sample taken stands for those not taken\n",
			(unsigned long long)t->retired.braked);
	for (size_t i = 0; i < t->nall; i++) {
		const struct tracked *tr = t->all[i];
		uint64_t broken;

		if (tr->was_profiled && tr->braked)
			fprintf(out, "pybpf: warning: PID %d (%s) was sampled less, down to 1 in %u samples (%llu not taken): its stacks cost more than 1/%d of the sampling period to read; each sample taken stands for those not taken\n",
				tr->pid, tr->target.cmdline, 1u << tr->brake_level,
				(unsigned long long)tr->braked, PYPERF_BRAKE_SHARE);

		if (!tr->was_profiled)
			continue;
		/* On a CPU all along, never in Python: its _PyRuntime is not where it says. */
		if (!tr->samples && tr->idle >= 20)
			fprintf(out, "pybpf: warning: PID %d (%s): none of its %llu samples had a Python stack: it only ran threads without one, or its memory does not hold a Python %s that pybpf can read\n",
				tr->pid, tr->target.cmdline, (unsigned long long)tr->idle,
				tr->target.version);
		/*
		 * Churn makes a few [unknown] frames and torn stacks; most of
		 * them means the memory is not what it seems.
		 */
		broken = tr->incomplete.torn + tr->incomplete.unreadable;
		if ((tr->frames < 100 || tr->unresolved * 2 < tr->frames) &&
		    (tr->samples < 20 || broken * 2 < tr->samples))
			continue;
		fprintf(out, "pybpf: warning: PID %d (%s): %.0f%% of its %llu samples could not be read whole and %.0f%% of the %llu frames sampled could not be read (%llu samples had failed reads): its memory does not hold a Python %s that pybpf can read; those show as [incomplete stack: ...] and [unknown]\n",
			tr->pid, tr->target.cmdline, tr->samples ? 100.0 * broken / tr->samples : 0.0,
			(unsigned long long)tr->samples,
			tr->frames ? 100.0 * tr->unresolved / tr->frames : 0.0,
			(unsigned long long)tr->frames, (unsigned long long)tr->read_errors,
			tr->target.version);
	}
}

void tracker_print_summary(struct tracker *t, FILE *out)
{
	tracker_take_lost(t);
	fprintf(out, "pybpf:   %-8s %-9s %-9s %8s %6s  %s\n", "PID", "NS-PID", "PYTHON",
		"SAMPLES", "LOST", "COMMAND");
	for (size_t i = 0; i < t->nall; i++) {
		struct tracked *tr = t->all[i];

		/* A forked child that exec'd at once leaves nothing worth a line. */
		if (!tr->was_profiled || (tr->state == TRACKED_ENDED && !tr->samples && !tr->lost))
			continue;
		fprintf(out, "pybpf:   %-8d %-9d %-9s %8llu %6llu  %s%s\n", tr->pid, tr->ns_pid,
			tr->target.version, (unsigned long long)tr->samples,
			(unsigned long long)tr->lost, tr->target.cmdline,
			tr->replaced_by_exec ? " (exec'd)" : tr->state == TRACKED_ENDED ? " (exited)" : "");
	}
	if (t->retired.processes)
		fprintf(out, "pybpf:   and %llu more process%s that ended, already sent (--otlp): %llu samples, %llu lost\n",
			(unsigned long long)t->retired.processes, t->retired.processes == 1 ? "" : "es",
			(unsigned long long)t->retired.samples, (unsigned long long)t->retired.lost);
}
