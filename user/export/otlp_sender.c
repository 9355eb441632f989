// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "base/bytes.h"
#include "base/clock.h"
#include "export/otlp_sender.h"

/* ExportProfilesServiceResponse.partial_success, ExportProfilesPartialSuccess.rejected_profiles */
enum { RESPONSE_PARTIAL_SUCCESS = 1, PARTIAL_REJECTED_PROFILES = 1 };

uint64_t otlp_backoff_ms(const struct otlp_sender_config *c, unsigned int attempt, long retry_after_s,
			 uint32_t random)
{
	uint64_t wait = (uint64_t)c->backoff_first_ms;

	/* The collector's own word first, within reason: never sooner than a first backoff. */
	if (retry_after_s >= 0) {
		wait = (uint64_t)retry_after_s * 1000;
		if (wait < (uint64_t)c->backoff_first_ms)
			wait = (uint64_t)c->backoff_first_ms;
		return wait > (uint64_t)c->backoff_max_ms ? (uint64_t)c->backoff_max_ms : wait;
	}
	for (unsigned int i = 1; i < attempt && wait < (uint64_t)c->backoff_max_ms; i++)
		wait *= 2;
	if (wait > (uint64_t)c->backoff_max_ms)
		wait = (uint64_t)c->backoff_max_ms;
	/* 75% to 125%: agents that lost the same collector do not all come back at once. */
	return wait * 3 / 4 + (wait / 2 ? random % (wait / 2 + 1) : 0);
}

static uint32_t next_random(struct otlp_sender *s)
{
	s->jitter ^= s->jitter << 13;
	s->jitter ^= s->jitter >> 17;
	s->jitter ^= s->jitter << 5;
	return s->jitter;
}

/* The rejected_profiles of a protobuf ExportProfilesServiceResponse; 0 if none or not one. */
static uint64_t rejected_profiles(const uint8_t *body, size_t len)
{
	struct byte_reader r = byte_reader(body, len), inner;
	uint64_t key, size, rejected = 0;
	const uint8_t *at;

	while (byte_reader_left(&r) && !r.bad) {
		key = byte_reader_varint(&r);
		if ((key & 7) == 0) {
			byte_reader_varint(&r);
			continue;
		}
		if ((key & 7) != 2)
			break;
		size = byte_reader_varint(&r);
		at = byte_reader_take(&r, size);
		if (!at || key >> 3 != RESPONSE_PARTIAL_SUCCESS)
			continue;
		inner = byte_reader(at, size);
		while (byte_reader_left(&inner) && !inner.bad) {
			key = byte_reader_varint(&inner);
			if (key == (PARTIAL_REJECTED_PROFILES << 3 | 0)) {
				rejected = byte_reader_varint(&inner);
			} else if ((key & 7) == 0) {
				byte_reader_varint(&inner);
			} else if ((key & 7) == 2) {
				size = byte_reader_varint(&inner);
				byte_reader_take(&inner, size);
			} else {
				break;
			}
		}
	}
	return rejected;
}

/* OTLP/HTTP's answers worth trying again: throttled, or the collector (or a proxy) unavailable. */
static bool retryable(int status)
{
	return status == 429 || status == 502 || status == 503 || status == 504;
}

/* The first bytes of a refusal's body, as text: the collector's reason. */
static void body_text(const struct http_response *res, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < res->body_len && n + 1 < size && n < 160; i++)
		out[n++] = res->body[i] >= 32 && res->body[i] < 127 ? (char)res->body[i] : ' ';
	out[n] = '\0';
}

/*
 * Sleep until the backoff has passed, with the lock held.  A stop ends
 * the wait: one more try then, and later ones within the flush's time.
 */
static void wait_backoff(struct otlp_sender *s, uint64_t ms)
{
	uint64_t until = monotonic_ns() + ms * 1000000;
	bool stopping = s->stopping;
	struct timespec ts;

	if (stopping && until > s->flush_deadline_ns)
		until = s->flush_deadline_ns;
	ts.tv_sec = (time_t)(until / 1000000000);
	ts.tv_nsec = (long)(until % 1000000000);
	while (monotonic_ns() < until && s->stopping == stopping)
		if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) == ETIMEDOUT)
			break;
}

/* Something to tell, once the lock is let go (stderr may block: submit must not). */
static void tell(struct otlp_sender *s, const char *fmt, ...)
{
	va_list ap;

	if (s->note[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->note, sizeof(s->note), fmt, ap);
	va_end(ap);
}

/* Print what was told, with the lock held: let go of it meanwhile. */
static void print_note(struct otlp_sender *s)
{
	char line[sizeof(s->note)];

	if (!s->note[0])
		return;
	memcpy(line, s->note, sizeof(line));
	s->note[0] = '\0';
	pthread_mutex_unlock(&s->lock);
	fputs(line, stderr);
	pthread_mutex_lock(&s->lock);
}

/* The result of one send, with the lock held: P done with (sent or dropped), or back in the queue. */
static bool settle(struct otlp_sender *s, struct otlp_payload *p, int rc, const struct http_response *res,
		   const char *err)
{
	struct otlp_sender_counts *c = &s->counts;
	char reason[200];
	uint64_t rejected;

	if (!rc && res->status >= 200 && res->status < 300) {
		c->sent_periods++;
		c->sent_samples += p->counts.samples;
		c->sent_bytes += p->len;
		if (s->failing)
			tell(s, "pybpf: --otlp: %s takes profiles again\n", s->transport.where);
		s->failing = false;
		rejected = rejected_profiles(res->body, res->body_len);
		c->partially_rejected += rejected;
		if (rejected && !s->told_partial) {
			s->told_partial = true;
			tell(s, "pybpf: warning: --otlp: %s rejected %llu of a request's profiles (told once; counted "
			     "in the summary)\n", s->transport.where, (unsigned long long)rejected);
		}
		free(p->data);
		return true;
	}
	if (!rc && !retryable(res->status)) {
		c->refused.periods++;
		c->refused.samples += p->counts.samples;
		if (!s->told_refused) {
			s->told_refused = true;
			body_text(res, reason, sizeof(reason));
			tell(s, "pybpf: warning: --otlp: %s answered HTTP %d (%s): that period is dropped, as later "
			     "ones it refuses (told once; counted in the summary)%s\n", s->transport.where, res->status,
			     reason, res->status == 404 ? "; does the collector have a profiles pipeline from its "
			     "OTLP receiver, and --feature-gates=service.profilesSupport?" : "");
		}
		free(p->data);
		return true;
	}
	/* The flush's time ran out in the middle of this send: it stays unsent, no failure of the collector's. */
	if (rc == -ECANCELED) {
		otlp_queue_push_front(&s->queue, p);
		return false;
	}
	c->attempts_failed++;
	if (!s->failing) {
		s->failing = true;
		if (rc)
			snprintf(reason, sizeof(reason), "%s", err);
		else
			snprintf(reason, sizeof(reason), "answered HTTP %d", res->status);
		tell(s, "pybpf: warning: --otlp: %s (is an OpenTelemetry Collector's OTLP/HTTP receiver there?); "
		     "keeping up to %zu MiB of profiles and trying again\n", reason, s->config.max_bytes >> 20);
	}
	otlp_queue_push_front(&s->queue, p);
	return false;
}

static void *send_loop(void *arg)
{
	struct otlp_sender *s = arg;
	struct http_response *res = malloc(sizeof(*res));
	struct otlp_payload p;
	unsigned int attempt = 0;
	char err[512];
	int rc, timeout;
	bool sent;

	pthread_mutex_lock(&s->lock);
	while (res) {
		while (!s->queue.n && !s->stopping)
			pthread_cond_wait(&s->wake, &s->lock);
		if (!s->queue.n || (s->stopping && monotonic_ns() >= s->flush_deadline_ns))
			break;
		otlp_queue_pop(&s->queue, &p);
		/* A big period takes longer to send: a second more for each MB. */
		timeout = s->config.timeout_ms + (int)(p.len / 1000);
		if (s->stopping) {
			uint64_t left = (s->flush_deadline_ns - monotonic_ns()) / 1000000;

			timeout = left < (uint64_t)timeout ? (int)left + 1 : timeout;
		}
		pthread_mutex_unlock(&s->lock);
		err[0] = '\0';
		rc = s->transport.post(s->transport.ctx, p.data, p.len, timeout, s->cancel_fd, res, err, sizeof(err));
		pthread_mutex_lock(&s->lock);
		sent = settle(s, &p, rc, res, err);
		print_note(s);
		if (sent) {
			attempt = 0;
			continue;
		}
		attempt++;
		wait_backoff(s, otlp_backoff_ms(&s->config, attempt, rc ? -1 : res->retry_after_s, next_random(s)));
	}
	s->done = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	free(res);
	return NULL;
}

/* Wait for the thread to end until DEADLINE (CLOCK_MONOTONIC): whether the deadline came first. */
static bool wait_until_monotonic(struct otlp_sender *s, const struct timespec *deadline)
{
	bool late = false;

	pthread_mutex_lock(&s->lock);
	while (!s->done && !late)
		late = pthread_cond_timedwait(&s->wake, &s->lock, deadline) == ETIMEDOUT;
	late = late && !s->done;
	pthread_mutex_unlock(&s->lock);
	return late;
}

int otlp_sender_start(struct otlp_sender *s, const struct otlp_transport *transport,
		      const struct otlp_sender_config *config)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	memset(s, 0, sizeof(*s));
	s->transport = *transport;
	s->config = *config;
	s->jitter = (uint32_t)monotonic_ns() | 1;
	s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->cancel_fd < 0)
		return -errno;
	rc = otlp_queue_init(&s->queue, config->max_bytes);
	if (rc) {
		close(s->cancel_fd);
		return rc;
	}
	pthread_mutex_init(&s->lock, NULL);
	/* Backoffs are timed on CLOCK_MONOTONIC: a clock set back does not stall them. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &attr);
	pthread_condattr_destroy(&attr);
	/*
	 * The thread takes no signal: SIGTERM and the others are the
	 * session's (a signalfd), and one delivered to a thread that does not
	 * block it would end the process before any flush.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&s->thread, NULL, send_loop, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		otlp_queue_free(&s->queue);
		close(s->cancel_fd);
		return rc;
	}
	s->started = true;
	return 0;
}

void otlp_sender_submit(struct otlp_sender *s, struct otlp_payload *p)
{
	size_t len = p->len, dropped;

	pthread_mutex_lock(&s->lock);
	dropped = otlp_queue_push(&s->queue, p);
	if (dropped && len > s->config.max_bytes && !s->told_too_big) {
		s->told_too_big = true;
		tell(s, "pybpf: warning: --otlp: a period of %zu KiB is more than the whole buffer: dropped "
		     "(told once; counted in the summary): raise --otlp-buffer or shorten --interval\n", len >> 10);
	} else if (dropped && !s->told_drop) {
		s->told_drop = true;
		tell(s, "pybpf: warning: --otlp: %zu MiB of unsent profiles reached: the oldest periods are dropped "
		     "from now on (told once; counted in the summary)\n", s->config.max_bytes >> 20);
	}
	pthread_cond_broadcast(&s->wake);
	print_note(s);
	pthread_mutex_unlock(&s->lock);
}

void otlp_sender_stop(struct otlp_sender *s, int flush_ms)
{
	struct timespec deadline;

	if (!s->started)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	s->flush_deadline_ns = monotonic_ns() + (uint64_t)flush_ms * 1000000;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	deadline.tv_sec = (time_t)(s->flush_deadline_ns / 1000000000);
	deadline.tv_nsec = (long)(s->flush_deadline_ns % 1000000000);
	/* A send still in flight at the deadline is cut short. */
	if (wait_until_monotonic(s, &deadline))
		eventfd_write(s->cancel_fd, 1);
	pthread_join(s->thread, NULL);
	close(s->cancel_fd);
	s->started = false;
	/* What is left could not be sent in time. */
	s->counts.unsent.periods += s->queue.n;
	for (size_t i = 0; i < s->queue.n; i++)
		s->counts.unsent.samples += s->queue.items[(s->queue.head + i) % s->queue.cap].counts.samples;
	s->counts.dropped = s->queue.dropped;
	otlp_queue_free(&s->queue);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
}

void otlp_sender_counts(struct otlp_sender *s, struct otlp_sender_counts *out)
{
	if (!s->started) {
		*out = s->counts;
		return;
	}
	pthread_mutex_lock(&s->lock);
	*out = s->counts;
	out->dropped = s->queue.dropped;
	pthread_mutex_unlock(&s->lock);
}
