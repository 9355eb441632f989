/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `record --otlp`: the period's timer among the session's event sources,
 * and, for an agent (no local output), letting go of what it has sent.
 * An agent runs for days beside processes that come and go; it keeps the
 * processes running and those with samples not yet taken by a request,
 * and for the others only their counts.
 */
#ifndef PYBPF_CLI_OTLP_AGENT_H
#define PYBPF_CLI_OTLP_AGENT_H

#include <stdbool.h>
#include "export/otlp_export.h"
#include "profile/profile.h"
#include "session/session.h"
#include "session/tracker.h"

struct otlp_tick {
	int fd;				/* the period's timerfd; -1: none */
	struct otlp_export *export;
	struct profile *profile;
	struct tracker *tracker;	/* set: let go of what was sent (an agent) */
};

/*
 * Start the sending thread and the timer of INTERVAL_S among S's event
 * sources; each period's end sends what the profile gained.  TICK->fd
 * must be -1 before.  0, or -errno with one line in ERR.
 */
int otlp_agent_start(struct otlp_tick *tick, struct otlp_export *x, const struct otlp_export_config *config,
		     double interval_s, struct session *s, char *err, size_t errlen);

/*
 * Let go of each process that ended and whose every sample a request has
 * taken: its record in T (counts kept in T->retired), its threads and
 * stacks in P and their place in the baseline B.  How many; none when
 * memory for the bookkeeping ran out (tried again next period).
 */
size_t otlp_agent_let_go(struct tracker *t, struct profile *p, struct otlp_baseline *b);

void otlp_agent_stop(struct otlp_tick *tick);

#endif
