// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "cli/otlp_agent.h"

size_t otlp_agent_let_go(struct tracker *t, struct profile *p, struct otlp_baseline *b)
{
	size_t nthreads = p->nthreads, n = 0;
	bool *ended = calloc(p->nprocesses + 1, sizeof(*ended));
	size_t *moved = malloc((nthreads + 1) * sizeof(*moved));

	if (ended && moved && tracker_ended(t, ended)) {
		otlp_baseline_hold_unsent(p, b, ended);
		for (size_t i = 0; i < p->nprocesses; i++)
			n += ended[i];
	}
	/* The records first: profile_retire frees the threads they pointed to. */
	if (n) {
		tracker_retire(t, ended);
		profile_retire(p, ended, moved);
		otlp_baseline_threads_moved(b, moved, nthreads);
	}
	free(ended);
	free(moved);
	return n;
}

/* The period ended (its timerfd readable): what it gained goes to the collector. */
static bool period_ended(void *ctx)
{
	struct otlp_tick *tick = ctx;
	uint64_t expirations;

	if (read(tick->fd, &expirations, sizeof(expirations)) <= 0)
		return true;
	otlp_export_period(tick->export, tick->profile);
	if (tick->tracker)
		otlp_agent_let_go(tick->tracker, tick->profile, &tick->export->baseline);
	return true;
}

/* A periodic timer of SECONDS on CLOCK_MONOTONIC: its fd, or -errno. */
static int period_timer(double seconds)
{
	uint64_t ns = (uint64_t)(seconds * 1e9);
	struct itimerspec its = {
		.it_interval = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) },
		.it_value = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int otlp_agent_start(struct otlp_tick *tick, struct otlp_export *x, const struct otlp_export_config *config,
		     double interval_s, struct session *s, char *err, size_t errlen)
{
	struct session_handler handler = { .on_ready = period_ended, .ctx = tick };
	int rc = otlp_export_start(x, config, err, errlen);

	if (rc)
		return rc;
	tick->export = x;
	tick->fd = period_timer(interval_s);
	if (tick->fd < 0) {
		snprintf(err, errlen, "--interval: cannot make its timer: %s", strerror(-tick->fd));
		return tick->fd;
	}
	handler.fd = tick->fd;
	if (session_add_handler(s, &handler)) {
		snprintf(err, errlen, "--otlp: no room for the period's timer among the event sources");
		return -ENOSPC;
	}
	return 0;
}

void otlp_agent_stop(struct otlp_tick *tick)
{
	if (tick->fd >= 0)
		close(tick->fd);
	tick->fd = -1;
}
