/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The periods waiting to be sent, oldest first, in at most MAX_BYTES: a
 * collector down for an hour costs the agent no more memory than that.
 * When a new period does not fit, the oldest ones are dropped (counted),
 * so what is kept is the most recent; a period larger than the whole
 * bound is dropped itself.
 */
#ifndef PYBPF_EXPORT_OTLP_QUEUE_H
#define PYBPF_EXPORT_OTLP_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export/otlp_profiles.h"

/* One period's encoded request. */
struct otlp_payload {
	uint8_t *data;		/* malloc'd; the queue owns it once pushed */
	size_t len;
	struct otlp_request_counts counts;
	uint64_t start_unix_ns;	/* when its period began */
};

struct otlp_drops {
	uint64_t periods, samples;
};

struct otlp_queue {
	struct otlp_payload *items;	/* a ring of CAP */
	size_t cap, head, n;
	size_t bytes, max_bytes;
	struct otlp_drops dropped;	/* pushed out by newer periods, or too big */
};

/* An empty queue of at most MAX_BYTES of payloads: 0 or -ENOMEM. */
int otlp_queue_init(struct otlp_queue *q, size_t max_bytes);
void otlp_queue_free(struct otlp_queue *q);

/*
 * Take P (its data owned by the queue from now on, freed when dropped),
 * newest.  Returns how many periods were dropped to make room (P itself
 * among them if it alone is over the bound).
 */
size_t otlp_queue_push(struct otlp_queue *q, struct otlp_payload *p);

/*
 * Put P back as the oldest (a send that failed, to be tried again), if it
 * still fits beside what came meanwhile; dropped (counted) if not: the
 * newer periods are kept.  Whether it was kept.
 */
bool otlp_queue_push_front(struct otlp_queue *q, struct otlp_payload *p);

/* Take the oldest period out into P (the caller owns its data): false if none. */
bool otlp_queue_pop(struct otlp_queue *q, struct otlp_payload *p);

/* Drop everything left (counted): at the end, what could not be sent. */
void otlp_queue_drop_all(struct otlp_queue *q);

#endif
