// SPDX-License-Identifier: BSD-3-Clause
/* The tracker's kernel side in a real run: the sampler's per-process maps. */
#include "session/sampler.h"
#include "session/tracker.h"

static int sampler_add(void *ctx, pid_t pid, const struct pyperf_proc *proc)
{
	return sampler_add_process(ctx, pid, proc);
}

static void sampler_remove(void *ctx, pid_t pid)
{
	sampler_remove_process(ctx, pid);
}

static uint64_t sampler_lost(void *ctx, pid_t pid)
{
	return sampler_take_lost(ctx, pid);
}

static int sampler_brake(void *ctx, pid_t pid, struct pyperf_brake *out)
{
	return sampler_take_brake(ctx, pid, out);
}

static int sampler_start_memory(void *ctx, pid_t pid, uint64_t anon, uint64_t shmem)
{
	return sampler_track_memory(ctx, pid, anon, shmem);
}

static int sampler_memory_count(void *ctx, pid_t pid, struct pyperf_memory *out)
{
	return sampler_take_memory(ctx, pid, out);
}

static const struct tracker_kernel_ops sampler_ops = {
	.add_process = sampler_add,
	.remove_process = sampler_remove,
	.take_lost = sampler_lost,
	.take_brake = sampler_brake,
	.track_memory = sampler_start_memory,
	.take_memory = sampler_memory_count,
};

int tracker_set_sampler(struct tracker *t, struct sampler *sampler, char *err, size_t errlen)
{
	return tracker_set_kernel(t, &sampler_ops, sampler, err, errlen);
}
