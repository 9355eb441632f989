/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BPF side seen from userspace: load the skeleton, attach the sampler to
 * a CPU-clock perf event on every online CPU, feed it per-process layouts and
 * drain its ring buffer.
 */
#ifndef PYBPF_SAMPLER_H
#define PYBPF_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../bpf/pyperf.h"

struct sampler;

struct sampler_opts {
	unsigned int rate_hz;
	const char *btf_path;		/* NULL: the running kernel's BTF */
	size_t ringbuf_bytes;
};

/* Called for every sample; SIZE is the record's length in bytes. */
typedef void (*sampler_fn)(void *ctx, const struct pyperf_sample *s, size_t size);

int sampler_open(struct sampler **out, const struct sampler_opts *opts,
		 sampler_fn fn, void *ctx, char *err, size_t errlen);
int sampler_add_process(struct sampler *s, pid_t pid, uint64_t runtime_addr,
			const struct pyperf_offsets *off);
/* Begin sampling (perf events enabled once every process is registered). */
int sampler_start(struct sampler *s, char *err, size_t errlen);
/* File descriptor that becomes readable when samples are waiting. */
int sampler_fd(struct sampler *s);
/* Deliver every waiting sample; number delivered or -errno. */
int sampler_drain(struct sampler *s);
/* Totals of the kernel-side counters (enum pyperf_stat). */
void sampler_stats(struct sampler *s, uint64_t totals[PYPERF_STAT_MAX]);
void sampler_close(struct sampler *s);

#endif
