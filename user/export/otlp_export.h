/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `record --otlp URL`: every --interval, what the profile gained in the
 * period is encoded (otlp_profiles.h) and handed to the sending thread
 * (otlp_sender.h), which posts it to URL/v1development/profiles as
 * OTLP/HTTP protobuf.  Encoding takes place on the sampling side, in the
 * period's tick; nothing there waits on the network.
 */
#ifndef PYBPF_EXPORT_OTLP_EXPORT_H
#define PYBPF_EXPORT_OTLP_EXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "export/http_post.h"
#include "export/otlp_profiles.h"
#include "export/otlp_sender.h"
#include "profile/profile.h"

#define OTLP_PROFILES_PATH "/v1development/profiles"
#define OTLP_REQUEST_TIMEOUT_MS 5000
#define OTLP_BACKOFF_FIRST_MS 1000
#define OTLP_BACKOFF_MAX_MS 30000

struct otlp_export_config {
	const char *url;
	size_t max_bytes;		/* --otlp-buffer */
	const char *sample_type;	/* "cpu", "wall" or "space" */
	int backoff_first_ms, backoff_max_ms, timeout_ms;
};

struct otlp_export {
	struct http_url url;
	char where[600];		/* the URL, for messages */
	char host_name[256];
	const char *sample_type;
	struct otlp_sender sender;
	struct otlp_baseline baseline;
	uint64_t period_start_unix_ns;	/* CLOCK_REALTIME */
	uint64_t period_start_ns;	/* CLOCK_MONOTONIC */
	uint64_t periods, empty_periods;
	uint64_t encode_failures;	/* periods not encoded (out of memory): their samples go in the next */
	uint64_t unencoded;		/* samples in no request: the last period's not encoded, or not compressed */
	bool started;
};

/*
 * Check URL and start the sending thread; the first period begins now.
 * 0, or -errno with one line in ERR.
 */
int otlp_export_start(struct otlp_export *x, const struct otlp_export_config *config, char *err, size_t errlen);

/* The period ends: what P gained in it goes to the sender (a period without samples: nothing). */
void otlp_export_period(struct otlp_export *x, const struct profile *p);

/* The last period, then at most FLUSH_MS to send what is left; then the thread ends. */
void otlp_export_finish(struct otlp_export *x, const struct profile *p, int flush_ms);

/* What was sent and retried (unless QUIET), and what was not delivered, as a warning. */
void otlp_export_print(struct otlp_export *x, bool quiet, FILE *out);

/* The same as a JSON object (for --stats). */
void otlp_export_json(struct otlp_export *x, FILE *out);

void otlp_export_free(struct otlp_export *x);

#endif
