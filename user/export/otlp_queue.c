// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "export/otlp_queue.h"

/* Slots a queue starts with; it doubles when more periods fit the bytes. */
#define FIRST_SLOTS 16

int otlp_queue_init(struct otlp_queue *q, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->items = calloc(FIRST_SLOTS, sizeof(*q->items));
	if (!q->items)
		return -ENOMEM;
	q->cap = FIRST_SLOTS;
	q->max_bytes = max_bytes;
	return 0;
}

static void drop(struct otlp_queue *q, struct otlp_payload *p)
{
	q->dropped.periods++;
	q->dropped.samples += p->counts.samples;
	free(p->data);
	p->data = NULL;
}

bool otlp_queue_pop(struct otlp_queue *q, struct otlp_payload *p)
{
	if (!q->n)
		return false;
	*p = q->items[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	q->bytes -= p->len;
	return true;
}

/* Room for one more slot: false if the ring cannot grow (then the oldest goes). */
static bool grow(struct otlp_queue *q)
{
	struct otlp_payload *items;

	if (q->n < q->cap)
		return true;
	items = calloc(q->cap * 2, sizeof(*items));
	if (!items)
		return false;
	for (size_t i = 0; i < q->n; i++)
		items[i] = q->items[(q->head + i) % q->cap];
	free(q->items);
	q->items = items;
	q->head = 0;
	q->cap *= 2;
	return true;
}

size_t otlp_queue_push(struct otlp_queue *q, struct otlp_payload *p)
{
	struct otlp_payload old = { 0 };
	size_t dropped = 0;

	if (p->len > q->max_bytes) {
		drop(q, p);
		return 1;
	}
	while (q->n && (q->bytes + p->len > q->max_bytes || !grow(q))) {
		otlp_queue_pop(q, &old);
		drop(q, &old);
		dropped++;
	}
	q->items[(q->head + q->n) % q->cap] = *p;
	q->n++;
	q->bytes += p->len;
	return dropped;
}

bool otlp_queue_push_front(struct otlp_queue *q, struct otlp_payload *p)
{
	if (q->bytes + p->len > q->max_bytes || !grow(q)) {
		drop(q, p);
		return false;
	}
	q->head = (q->head + q->cap - 1) % q->cap;
	q->items[q->head] = *p;
	q->n++;
	q->bytes += p->len;
	return true;
}

void otlp_queue_drop_all(struct otlp_queue *q)
{
	struct otlp_payload p;

	while (otlp_queue_pop(q, &p))
		drop(q, &p);
}

void otlp_queue_free(struct otlp_queue *q)
{
	struct otlp_payload p;

	while (otlp_queue_pop(q, &p))
		free(p.data);
	free(q->items);
	memset(q, 0, sizeof(*q));
}
