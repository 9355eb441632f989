// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/export/otlp_sender.h over a transport made here: periods delivered
 * in order through failures that may pass (retried after a backoff),
 * dropped when refused for good, the collector's partial rejections
 * counted, and a stop that ends a send hanging past the flush's bound.
 * No test here depends on how fast the machine is: the backoffs are
 * milliseconds, and what is checked is what arrived, not when.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "export/otlp_sender.h"

struct fake_collector {
	pthread_mutex_t lock;
	int fail_first;			/* answer the first N sends with STATUS */
	int status;			/* 0: fail them with a connection error instead */
	uint8_t refuse_tag;		/* answer a period with this first byte 400 */
	bool hang;			/* never answer: wait for the cancel */
	bool partial;			/* answer 200 with partial_success.rejected_profiles = 3 */
	int calls;
	uint8_t got[64];		/* first bytes of the periods taken, in order */
	size_t ngot;
};

static int fake_post(void *ctx, const void *body, size_t len, int timeout_ms, int cancel_fd,
		     struct http_response *res, char *err, size_t errlen)
{
	struct fake_collector *c = ctx;
	static const uint8_t partial[] = { 0x0a, 0x02, 0x08, 0x03 };
	uint8_t tag = ((const uint8_t *)body)[0];
	int rc = 0;

	if (c->hang) {
		struct pollfd p = { .fd = cancel_fd, .events = POLLIN };

		poll(&p, 1, -1);
		snprintf(err, errlen, "cancelled");
		return -ECANCELED;
	}
	pthread_mutex_lock(&c->lock);
	res->retry_after_s = -1;
	res->body_len = 0;
	if (c->calls++ < c->fail_first) {
		res->status = c->status;
		if (!c->status) {
			snprintf(err, errlen, "connection refused");
			rc = -ECONNREFUSED;
		}
	} else if (tag == c->refuse_tag) {
		res->status = 400;
		memcpy(res->body, "bad request", 11);
		res->body_len = 11;
	} else {
		res->status = 200;
		if (c->partial) {
			memcpy(res->body, partial, sizeof(partial));
			res->body_len = sizeof(partial);
		}
		c->got[c->ngot++] = tag;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static const struct otlp_sender_config FAST = {
	.max_bytes = 1 << 20, .timeout_ms = 1000, .backoff_first_ms = 1, .backoff_max_ms = 4,
};

static void submit(struct otlp_sender *s, uint8_t tag, uint64_t samples)
{
	struct otlp_payload p = { .data = malloc(8), .len = 8 };

	memset(p.data, tag, 8);
	p.counts.samples = samples;
	otlp_sender_submit(s, &p);
}

/* Run the sender over C with periods tagged 1..N (each of 10 samples), flushing for up to FLUSH_MS. */
static struct otlp_sender_counts run(struct fake_collector *c, uint8_t n, int flush_ms)
{
	struct otlp_transport t = { fake_post, c, "fake" };
	struct otlp_sender s;
	struct otlp_sender_counts counts;

	pthread_mutex_init(&c->lock, NULL);
	cr_assert_eq(otlp_sender_start(&s, &t, &FAST), 0);
	for (uint8_t tag = 1; tag <= n; tag++)
		submit(&s, tag, 10);
	otlp_sender_stop(&s, flush_ms);
	otlp_sender_counts(&s, &counts);
	return counts;
}

Test(otlp_sender, retried_through_failures_in_order, .init = cr_redirect_stderr)
{
	struct fake_collector c = { .fail_first = 3, .status = 503 };
	/* A long flush: the sends end well before it (a minute), whatever the machine. */
	struct otlp_sender_counts n = run(&c, 5, 60000);

	cr_assert_eq(n.sent_periods, 5);
	cr_assert_eq(n.sent_samples, 50);
	cr_assert_eq(n.attempts_failed, 3);
	cr_assert_eq(c.ngot, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(c.got[i], i + 1, "period %zu in order", i);
	cr_assert_eq(n.unsent.periods + n.dropped.periods + n.refused.periods, 0);
}

Test(otlp_sender, connection_errors_are_retried_too, .init = cr_redirect_stderr)
{
	struct fake_collector c = { .fail_first = 2, .status = 0 };
	struct otlp_sender_counts n = run(&c, 2, 60000);

	cr_assert_eq(n.sent_periods, 2);
	cr_assert_eq(n.attempts_failed, 2);
}

Test(otlp_sender, refused_periods_are_dropped_and_counted, .init = cr_redirect_stderr)
{
	struct fake_collector c = { .refuse_tag = 2 };
	struct otlp_sender_counts n = run(&c, 3, 60000);

	cr_assert_eq(n.sent_periods, 2);
	cr_assert_eq(n.refused.periods, 1);
	cr_assert_eq(n.refused.samples, 10);
	cr_assert_eq(n.attempts_failed, 0, "400 is not tried again");
	cr_assert_stderr_eq_str("pybpf: warning: --otlp: fake answered HTTP 400 (bad request): that period is "
				"dropped, as later ones it refuses (told once; counted in the summary)\n");
}

Test(otlp_sender, partial_rejections_counted, .init = cr_redirect_stderr)
{
	struct fake_collector c = { .partial = true };
	struct otlp_sender_counts n = run(&c, 2, 60000);

	cr_assert_eq(n.sent_periods, 2);
	cr_assert_eq(n.partially_rejected, 6);
}

/* A collector that never answers: the stop cuts the send short and counts what was left. */
Test(otlp_sender, a_hanging_send_ends_at_the_flush_bound, .timeout = 60, .init = cr_redirect_stderr)
{
	struct fake_collector c = { .hang = true };
	struct otlp_sender_counts n = run(&c, 3, 10);

	cr_assert_eq(n.sent_periods, 0);
	cr_assert_eq(n.unsent.periods, 3);
	cr_assert_eq(n.unsent.samples, 30);
}

Test(otlp_sender, backoff_doubles_to_its_cap_with_jitter)
{
	const struct otlp_sender_config c = { .backoff_first_ms = 1000, .backoff_max_ms = 30000 };

	/* 75% to 125% of 1, 2, 4 ... 30 s. */
	cr_assert_eq(otlp_backoff_ms(&c, 1, -1, 0), 750);
	cr_assert_eq(otlp_backoff_ms(&c, 1, -1, 500), 1250);
	cr_assert_eq(otlp_backoff_ms(&c, 3, -1, 0), 3000);
	cr_assert_eq(otlp_backoff_ms(&c, 20, -1, 0), 22500);
	cr_assert_leq(otlp_backoff_ms(&c, 20, -1, UINT32_MAX), 37500);
	/* The collector's Retry-After, up to the cap. */
	cr_assert_eq(otlp_backoff_ms(&c, 1, 7, 12345), 7000);
	cr_assert_eq(otlp_backoff_ms(&c, 1, 3600, 0), 30000);
	/* "Retry-After: 0" is no license to hammer it. */
	cr_assert_eq(otlp_backoff_ms(&c, 1, 0, 0), 1000);
}
