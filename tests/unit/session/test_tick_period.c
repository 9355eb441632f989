// SPDX-License-Identifier: BSD-3-Clause
/* The perf period is out of step with the kernel's tick, whatever the rate and the draw. */
#include <criterion/criterion.h>
#include "session/tick_period.h"

static const uint64_t hz_jiffies[] = { 1000000, 3333333, 4000000, 10000000 };

Test(tick_period, the_rate_asked_for_keeps_step_with_the_tick)
{
	/* What the check is for: 1 ms meets a 4 ms (or 1 ms, or 10 ms) tick at one phase only. */
	cr_assert_not(tick_phases_spread(1000000, 4000000));
	cr_assert_not(tick_phases_spread(1000000, 1000000));
	cr_assert_not(tick_phases_spread(10000000, 10000000));
	/* 1/64 longer than 1 ms is 128/13 of a 10 ms tick: 13 phases, some bins never met. */
	cr_assert_not(tick_phases_spread(1015625, 10000000));
	cr_assert(tick_phases_spread(1015625, 4000000));
}

Test(tick_period, stretched_within_bounds_and_spread_at_every_hz)
{
	static const uint64_t nominals[] = { 1000000, 1003009, 4000000, 10000000, 10101010, 100000,
					     10000, 1000000000 };
	static const uint32_t draws[] = { 0, 1, 7, 15624, 15625, 65535, 123456789, 0xffffffffu };

	for (unsigned int n = 0; n < sizeof(nominals) / sizeof(nominals[0]); n++) {
		for (unsigned int d = 0; d < sizeof(draws) / sizeof(draws[0]); d++) {
			uint64_t nominal = nominals[n], period = tick_period_ns(nominal, draws[d]);

			cr_assert_geq(period, nominal + (nominal >> TICK_STRETCH_MIN_SHIFT), "%lu: %lu", nominal, period);
			cr_assert_leq(period, nominal + (nominal >> TICK_STRETCH_MAX_SHIFT), "%lu: %lu", nominal, period);
			cr_assert(period & 1, "%lu", period);
			for (unsigned int j = 0; j < sizeof(hz_jiffies) / sizeof(hz_jiffies[0]); j++)
				cr_assert(tick_phases_spread(period, hz_jiffies[j]), "%lu ns against a %lu ns tick",
					  period, hz_jiffies[j]);
		}
	}
	/* The draw that gives 1/64 exactly (which does not spread) is not taken. */
	cr_assert_neq(tick_period_ns(1000000, 0), 1015625);
}

Test(tick_period, draws_differ)
{
	/* Per CPU: different draws give different periods, so CPUs do not keep step with each other. */
	cr_assert_neq(tick_period_ns(1000000, 1), tick_period_ns(1000000, 5000));
}
