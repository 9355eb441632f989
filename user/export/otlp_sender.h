/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sends the periods to the collector from a thread of its own, so that a
 * collector down, slow or refusing never holds up sampling: the sampling
 * side only hands a period over (otlp_sender_submit(), a lock and a
 * push).  A send that fails for a reason that may pass (no connection, a
 * timeout, HTTP 429, 502, 503, 504: OTLP's retryable answers) is tried
 * again after a backoff (doubling from BACKOFF_FIRST_MS to BACKOFF_MAX_MS,
 * with jitter, or the collector's Retry-After); one the collector refuses
 * for good (another 4xx or 5xx) is dropped.  Periods wait in a bounded
 * queue (otlp_queue.h) meanwhile.  Each kind of trouble is told once, on
 * stderr, when it starts; the counts are kept for the summary.
 */
#ifndef PYBPF_EXPORT_OTLP_SENDER_H
#define PYBPF_EXPORT_OTLP_SENDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export/http_post.h"
#include "export/otlp_queue.h"

/* How a request is posted: http_post() to the collector, or a test's own. */
struct otlp_transport {
	int (*post)(void *ctx, const void *body, size_t len, int timeout_ms, int cancel_fd,
		    struct http_response *res, char *err, size_t errlen);
	void *ctx;
	const char *where;		/* for messages: the collector's URL */
};

struct otlp_sender_config {
	size_t max_bytes;		/* the queue's bound */
	int timeout_ms;			/* one request's */
	int backoff_first_ms, backoff_max_ms;
};

struct otlp_sender_counts {
	uint64_t sent_periods, sent_samples, sent_bytes;	/* bytes: gzipped requests' bodies */
	uint64_t attempts_failed;	/* sends to be tried again */
	struct otlp_drops refused;	/* answered with a status not to retry */
	uint64_t partially_rejected;	/* profiles the collector said it rejected (partial_success) */
	struct otlp_drops dropped;	/* pushed out of the bounded queue */
	struct otlp_drops unsent;	/* still queued when the flush's time ran out */
};

struct otlp_sender {
	struct otlp_transport transport;
	struct otlp_sender_config config;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int cancel_fd;			/* an eventfd: a send in flight past the flush's deadline gives up */
	struct otlp_queue queue;
	bool started, stopping, done;
	uint64_t flush_deadline_ns;	/* CLOCK_MONOTONIC; set by otlp_sender_stop() */
	struct otlp_sender_counts counts;
	bool failing;			/* the last send failed: told once until one succeeds */
	bool told_drop, told_too_big, told_refused, told_partial;
	char note[512];			/* a warning to print once the lock is let go */
	uint32_t jitter;		/* xorshift state */
};

/* Start the sending thread: 0, or -errno. */
int otlp_sender_start(struct otlp_sender *s, const struct otlp_transport *transport,
		      const struct otlp_sender_config *config);

/* Hand a period over (the sender owns P's data from now on). */
void otlp_sender_submit(struct otlp_sender *s, struct otlp_payload *p);

/*
 * Send what is queued for at most FLUSH_MS more (retrying as before, but
 * never past that: a send in flight then is cut short), then stop the
 * thread; what is left is counted unsent.
 */
void otlp_sender_stop(struct otlp_sender *s, int flush_ms);

/* A copy of the counts, taken under the lock. */
void otlp_sender_counts(struct otlp_sender *s, struct otlp_sender_counts *out);

/* The wait before attempt ATTEMPT (1: the first retry): exposed for the unit tests. */
uint64_t otlp_backoff_ms(const struct otlp_sender_config *c, unsigned int attempt, long retry_after_s,
			 uint32_t random);

#endif
