// SPDX-License-Identifier: BSD-3-Clause
/* The perf event's period, out of step with the kernel's tick (see tick_period.h). */
#include "session/tick_period.h"

_Static_assert(TICK_STRETCH_MAX_SHIFT < TICK_STRETCH_MIN_SHIFT, "the most is more than the least");
_Static_assert(TICK_PHASE_BINS <= 64, "the bins met fit a 64-bit mask");

/* The kernel's tick at HZ 1000, 300, 250 and 100 (TICK_NSEC). */
static const uint64_t jiffies_ns[] = { 1000000, 3333333, 4000000, 10000000 };

bool tick_phases_spread(uint64_t period_ns, uint64_t jiffy_ns)
{
	uint64_t met = 0, all = TICK_PHASE_BINS == 64 ? ~0ULL : (1ULL << TICK_PHASE_BINS) - 1;
	uint64_t start = 0;

	/* Where each kernel tick falls in the sampling period: what a thread switched in then meets. */
	for (int k = 0; k < TICK_PHASE_JIFFIES && met != all; k++, start += jiffy_ns)
		met |= 1ULL << ((start % period_ns) * TICK_PHASE_BINS / period_ns);
	return met == all;
}

static bool spreads_at_every_hz(uint64_t period_ns)
{
	for (unsigned int i = 0; i < sizeof(jiffies_ns) / sizeof(jiffies_ns[0]); i++)
		if (!tick_phases_spread(period_ns, jiffies_ns[i]))
			return false;
	return true;
}

uint64_t tick_period_ns(uint64_t nominal_ns, uint32_t random)
{
	uint64_t least = nominal_ns >> TICK_STRETCH_MIN_SHIFT;
	uint64_t span = (nominal_ns >> TICK_STRETCH_MAX_SHIFT) - least;
	uint64_t period = nominal_ns;

	/* A few tries: most stretches spread; one close to a simple fraction of a tick does not. */
	for (int try = 0; try < 64; try++, random = random * 1664525u + 1013904223u) {
		/* Odd: an even number of ns could still divide a tick. */
		period = (nominal_ns + least + (span ? random % span : 0)) | 1;
		if (spreads_at_every_hz(period))
			break;
	}
	return period;
}
