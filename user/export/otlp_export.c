// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/clock.h"
#include "cli/version.h"
#include "export/otlp_export.h"
#include "output/gzip.h"

static uint64_t realtime_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The sender's transport: a POST to the collector's profiles path. */
static int post_profiles(void *ctx, const void *body, size_t len, int timeout_ms, int cancel_fd,
			 struct http_response *res, char *err, size_t errlen)
{
	const struct otlp_export *x = ctx;

	return http_post(&x->url, OTLP_PROFILES_PATH, "application/x-protobuf", "gzip", body, len, timeout_ms,
			 cancel_fd, res, err, errlen);
}

int otlp_export_start(struct otlp_export *x, const struct otlp_export_config *config, char *err, size_t errlen)
{
	struct otlp_transport transport = { post_profiles, x, x->where };
	struct otlp_sender_config sender = {
		.max_bytes = config->max_bytes,
		.timeout_ms = config->timeout_ms ? config->timeout_ms : OTLP_REQUEST_TIMEOUT_MS,
		.backoff_first_ms = config->backoff_first_ms ? config->backoff_first_ms : OTLP_BACKOFF_FIRST_MS,
		.backoff_max_ms = config->backoff_max_ms ? config->backoff_max_ms : OTLP_BACKOFF_MAX_MS,
	};
	int rc;

	memset(x, 0, sizeof(*x));
	rc = http_url_parse(config->url, &x->url, err, errlen);
	if (rc)
		return rc;
	snprintf(x->where, sizeof(x->where), "%s%s", config->url, OTLP_PROFILES_PATH);
	if (gethostname(x->host_name, sizeof(x->host_name) - 1))
		x->host_name[0] = '\0';
	x->sample_type = config->sample_type;
	transport.where = x->where;
	rc = otlp_sender_start(&x->sender, &transport, &sender);
	if (rc) {
		snprintf(err, errlen, "--otlp: cannot start the sending thread: %s", strerror(-rc));
		return rc;
	}
	x->period_start_unix_ns = realtime_now_ns();
	x->period_start_ns = monotonic_ns();
	x->started = true;
	return 0;
}

/* BUF gzipped into a payload of its own bytes: 0 or -ENOMEM. */
static int compress(const struct byte_buf *buf, struct otlp_payload *payload)
{
	char *data = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&data, &size);
	int rc;

	if (!out)
		return -ENOMEM;
	rc = gzip_write(out, buf->data, buf->len);
	if (fclose(out) || rc) {
		free(data);
		return -ENOMEM;
	}
	payload->data = (uint8_t *)data;
	payload->len = size;
	return 0;
}

void otlp_export_period(struct otlp_export *x, const struct profile *p)
{
	uint64_t now_ns = monotonic_ns(), now_unix_ns = realtime_now_ns();
	struct otlp_period period = {
		.start_unix_ns = x->period_start_unix_ns,
		.duration_ns = now_ns - x->period_start_ns,
		.host_name = x->host_name,
		.sample_type = x->sample_type,
		.pybpf_version = PYBPF_VERSION,
	};
	struct otlp_payload payload = { .start_unix_ns = x->period_start_unix_ns };
	struct byte_buf buf = { 0 };

	if (!x->started)
		return;
	if (otlp_profiles_encode(p, &x->baseline, &period, &buf, &payload.counts)) {
		/* The baseline stayed: these samples go with the next period. */
		x->encode_failures++;
		byte_buf_free(&buf);
		return;
	}
	x->periods++;
	x->period_start_ns = now_ns;
	x->period_start_unix_ns = now_unix_ns;
	if (!buf.len) {
		x->empty_periods++;
		byte_buf_free(&buf);
		return;
	}
	/*
	 * Sent gzipped (the OTLP/HTTP receiver takes Content-Encoding: gzip):
	 * names and paths repeat, a request shrinks several times, and the
	 * buffer holds that many more periods.
	 */
	if (compress(&buf, &payload)) {
		/* Out of memory, and the baseline has moved: these samples are never sent. */
		x->encode_failures++;
		x->unencoded += payload.counts.samples;
		byte_buf_free(&buf);
		return;
	}
	byte_buf_free(&buf);
	otlp_sender_submit(&x->sender, &payload);
}

void otlp_export_finish(struct otlp_export *x, const struct profile *p, int flush_ms)
{
	if (!x->started)
		return;
	otlp_export_period(x, p);
	/* Not encoded (out of memory), with no period after it: unsent. */
	x->unencoded += otlp_baseline_unsent(p, &x->baseline);
	otlp_sender_stop(&x->sender, flush_ms);
	x->started = false;
}

void otlp_export_print(struct otlp_export *x, bool quiet, FILE *out)
{
	struct otlp_sender_counts c;

	otlp_sender_counts(&x->sender, &c);
	if (!quiet)
		fprintf(out, "pybpf: --otlp %s: %llu periods with %llu samples sent in %llu KiB (%llu periods "
			"without samples), %llu sends tried again\n", x->where, (unsigned long long)c.sent_periods,
			(unsigned long long)c.sent_samples, (unsigned long long)(c.sent_bytes >> 10),
			(unsigned long long)x->empty_periods, (unsigned long long)c.attempts_failed);
	c.unsent.samples += x->unencoded;
	if (c.refused.periods || c.dropped.periods || c.unsent.samples || c.partially_rejected || x->encode_failures)
		fprintf(out, "pybpf: warning: --otlp: not delivered: %llu periods (%llu samples) refused by the "
			"collector, %llu (%llu samples) dropped from the full buffer, %llu (%llu samples) unsent at "
			"the end; %llu profiles rejected in part; %llu periods not encoded (out of memory, sent with "
			"the next)\n",
			(unsigned long long)c.refused.periods, (unsigned long long)c.refused.samples,
			(unsigned long long)c.dropped.periods, (unsigned long long)c.dropped.samples,
			(unsigned long long)c.unsent.periods, (unsigned long long)c.unsent.samples,
			(unsigned long long)c.partially_rejected, (unsigned long long)x->encode_failures);
}

void otlp_export_json(struct otlp_export *x, FILE *out)
{
	struct otlp_sender_counts c;

	otlp_sender_counts(&x->sender, &c);
	c.unsent.samples += x->unencoded;
	fprintf(out, "{\"periods\":%llu,\"empty_periods\":%llu,\"sent_periods\":%llu,\"sent_samples\":%llu,"
		"\"sent_bytes\":%llu,"
		"\"attempts_failed\":%llu,\"refused_periods\":%llu,\"refused_samples\":%llu,"
		"\"dropped_periods\":%llu,\"dropped_samples\":%llu,\"unsent_periods\":%llu,\"unsent_samples\":%llu,"
		"\"partially_rejected\":%llu,\"encode_failures\":%llu}",
		(unsigned long long)x->periods, (unsigned long long)x->empty_periods,
		(unsigned long long)c.sent_periods, (unsigned long long)c.sent_samples, (unsigned long long)c.sent_bytes,
		(unsigned long long)c.attempts_failed, (unsigned long long)c.refused.periods,
		(unsigned long long)c.refused.samples, (unsigned long long)c.dropped.periods,
		(unsigned long long)c.dropped.samples, (unsigned long long)c.unsent.periods,
		(unsigned long long)c.unsent.samples, (unsigned long long)c.partially_rejected,
		(unsigned long long)x->encode_failures);
}

void otlp_export_free(struct otlp_export *x)
{
	if (x->started)
		otlp_sender_stop(&x->sender, 0);
	otlp_baseline_free(&x->baseline);
}
