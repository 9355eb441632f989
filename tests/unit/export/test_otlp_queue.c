// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/export/otlp_queue.h: periods kept oldest first within a byte bound,
 * the oldest dropped (and counted) for a new one, a period over the whole
 * bound dropped itself, and a failed send put back first only if it fits.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "export/otlp_queue.h"

/* A period of LEN bytes, its first byte TAG, standing for SAMPLES samples. */
static struct otlp_payload period(uint8_t tag, size_t len, uint64_t samples)
{
	struct otlp_payload p = { .data = malloc(len), .len = len };

	cr_assert_not_null(p.data);
	memset(p.data, tag, len);
	p.counts.samples = samples;
	return p;
}

static uint8_t pop_tag(struct otlp_queue *q)
{
	struct otlp_payload p;
	uint8_t tag;

	cr_assert(otlp_queue_pop(q, &p));
	tag = p.data[0];
	free(p.data);
	return tag;
}

Test(otlp_queue, oldest_dropped_for_the_newest)
{
	struct otlp_queue q;
	struct otlp_payload p;

	cr_assert_eq(otlp_queue_init(&q, 100), 0);
	for (uint8_t tag = 1; tag <= 3; tag++) {
		p = period(tag, 30, 10 * tag);
		cr_assert_eq(otlp_queue_push(&q, &p), 0);
	}
	cr_assert_eq(q.bytes, 90);
	/* 40 more bytes: the oldest (30) goes; 100 fit exactly. */
	p = period(4, 40, 40);
	cr_assert_eq(otlp_queue_push(&q, &p), 1);
	cr_assert_eq(q.bytes, 100);
	cr_assert_eq(q.dropped.periods, 1);
	cr_assert_eq(q.dropped.samples, 10);
	/* Over the whole bound: dropped itself, the others kept. */
	p = period(5, 101, 50);
	cr_assert_eq(otlp_queue_push(&q, &p), 1);
	cr_assert_eq(q.dropped.periods, 2);
	cr_assert_eq(q.dropped.samples, 60);
	cr_assert_eq(q.n, 3);
	cr_assert_eq(pop_tag(&q), 2);
	cr_assert_eq(pop_tag(&q), 3);
	cr_assert_eq(pop_tag(&q), 4);
	cr_assert_not(otlp_queue_pop(&q, &p));
	cr_assert_eq(q.bytes, 0);
	otlp_queue_free(&q);
}

Test(otlp_queue, a_failed_send_goes_back_first_if_it_fits)
{
	struct otlp_queue q;
	struct otlp_payload p, sending;

	cr_assert_eq(otlp_queue_init(&q, 100), 0);
	p = period(1, 50, 1);
	otlp_queue_push(&q, &p);
	cr_assert(otlp_queue_pop(&q, &sending));
	/* While it was being sent, a newer one came. */
	p = period(2, 40, 2);
	otlp_queue_push(&q, &p);
	cr_assert(otlp_queue_push_front(&q, &sending));
	cr_assert_eq(pop_tag(&q), 1, "the failed one first again");
	cr_assert(otlp_queue_pop(&q, &sending));
	/* Meanwhile newer periods filled the bound: the old one gives way. */
	p = period(3, 90, 3);
	otlp_queue_push(&q, &p);
	cr_assert_not(otlp_queue_push_front(&q, &sending));
	cr_assert_eq(q.dropped.periods, 1);
	cr_assert_eq(q.dropped.samples, 2);
	cr_assert_eq(pop_tag(&q), 3);
	otlp_queue_free(&q);
}

/* Many small periods: the ring grows as the bytes allow, order kept. */
Test(otlp_queue, many_small_periods_in_order)
{
	struct otlp_queue q;
	struct otlp_payload p;

	cr_assert_eq(otlp_queue_init(&q, 1000), 0);
	for (int i = 0; i < 250; i++) {
		p = period((uint8_t)i, 10, 1);
		otlp_queue_push(&q, &p);
	}
	cr_assert_eq(q.n, 100);
	cr_assert_eq(q.dropped.periods, 150);
	for (int i = 150; i < 250; i++)
		cr_assert_eq(pop_tag(&q), (uint8_t)i);
	otlp_queue_drop_all(&q);
	otlp_queue_free(&q);
}
