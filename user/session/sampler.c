// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pyperf.skel.h"
#include "base/log.h"
#include "base/startup_heap.h"
#include "session/preflight.h"
#include "session/sampler.h"
#include "session/tick_period.h"

/*
 * What start-up allocates while libbpf loads the program: the kernel's BTF
 * (5.4 MiB on Debian's 6.x kernels, copied once) and its index, measured at
 * ~11 MiB; the rest grows the heap as usual.
 */
#define SAMPLER_STARTUP_HEAP	(16u << 20)

struct sampler {
	struct pyperf_bpf *skel;
	struct bpf_program *sample_prog;	/* the perf event's or rss_stat's: with bpf_loop or bounded */
	struct ring_buffer *rb;		/* samples */
	struct ring_buffer *events_rb;	/* process lifecycle */
	int epoll_fd;			/* readable when either has data */
	bool stopped;			/* sampler_stop(): nothing new comes */
	uint64_t budget_end_ns;		/* this drain stops taking samples then */
	uint64_t events_at_ns;		/* last drain of the lifecycle events */
	unsigned int delivered;		/* samples in this drain */
	struct bpf_link **links;
	int *perf_fds;
	int ncpus;
	int stats_fd;			/* kernel.bpf_stats_enabled while open */
	int drain_fd;			/* periodic timerfd */
	struct sampler_opts opts;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The period RATE_HZ asks for: what the kernel weighs each tick in, and
 * what each CPU's timer stretches (tick_period_ns()).
 */
static uint64_t nominal_period_ns(unsigned int rate_hz)
{
	return 1000000000ULL / (rate_hz ? rate_hz : 1);
}

/* PYBPF_BRAKE_MIN_LEVEL=N (0-6): the brake on from the start, for tests. */
static unsigned int brake_min_level(void)
{
	const char *text = getenv("PYBPF_BRAKE_MIN_LEVEL");
	unsigned int level = text ? (unsigned int)strtoul(text, NULL, 10) : 0;

	return level < PYPERF_BRAKE_MAX_LEVEL ? level : PYPERF_BRAKE_MAX_LEVEL;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct sampler *s = ctx;

	if (size >= sizeof(struct pyperf_sample_header))
		s->opts.on_sample(s->opts.ctx, data, size);
	/*
	 * Samples can come faster than they are symbolized: past its budget a
	 * drain stops (the sample is consumed), so the caller still sees its
	 * timers and signals.  The rest waits for the next drain.
	 */
	if (!(++s->delivered % 64) && !s->stopped && now_ns() > s->budget_end_ns)
		return -EAGAIN;
	return 0;
}

static int on_proc_event(void *ctx, void *data, size_t size)
{
	struct sampler *s = ctx;

	if (size >= sizeof(struct pyperf_proc_event) && s->opts.on_proc_event)
		s->opts.on_proc_event(s->opts.ctx, data);
	return 0;
}

/*
 * -v: how much of the verifier's budget (a million instructions processed
 * per program) each program took on this kernel; the sampling program is
 * the one near it.
 */
static void log_verified_insns(struct bpf_object *obj)
{
	struct bpf_program *prog;

	if (!log_verbose)
		return;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			log_debug("BPF program %s: %u instructions verified\n",
				  bpf_program__name(prog), info.verified_insns);
	}
}

int sampler_open(struct sampler **out, const struct sampler_opts *opts,
		 char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = opts->btf_path);
	struct sampler *s;
	bool heap_advised;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->opts = *opts;
	s->stats_fd = -1;
	s->epoll_fd = -1;
	s->drain_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->drain_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a timer: %s", strerror(-rc));
		goto fail;
	} else {
		struct itimerspec its = {
			.it_interval = { 0, SAMPLER_DRAIN_MS * 1000000L },
			.it_value = { 0, SAMPLER_DRAIN_MS * 1000000L },
		};

		timerfd_settime(s->drain_fd, 0, &its, NULL);
	}
	if (opts->bpf_stats) {
		s->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (s->stats_fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot enable BPF run-time statistics: %s", strerror(-rc));
			goto fail;
		}
	}
	/* libbpf's copy of the kernel's BTF lives from here to the end of the load. */
	heap_advised = startup_heap_begin(SAMPLER_STARTUP_HEAP);
	s->skel = pyperf_bpf__open_opts(&open_opts);
	if (!s->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the BPF program: %s", strerror(-rc));
		goto fail;
	}
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.events, opts->ringbuf_bytes);
	if (opts->max_processes) {
		bpf_map__set_max_entries(s->skel->maps.procs, opts->max_processes);
		bpf_map__set_max_entries(s->skel->maps.lost_by_pid, opts->max_processes);
		bpf_map__set_max_entries(s->skel->maps.brakes, opts->max_processes);
		bpf_map__set_max_entries(s->skel->maps.memory, opts->max_processes);
	}
	bpf_map__set_max_entries(s->skel->maps.scratch_map, libbpf_num_possible_cpus());
	if (opts->max_threads)
		bpf_map__set_max_entries(s->skel->maps.threads, opts->max_threads);
	/* Each thread's own growth: only --mode memory keeps it. */
	if (!opts->memory_period_bytes)
		bpf_map__set_max_entries(s->skel->maps.thread_growth, 1);
	else if (opts->max_threads)
		bpf_map__set_max_entries(s->skel->maps.thread_growth, opts->max_threads);
	s->skel->rodata->follow_all = opts->follow_all;
	s->skel->rodata->period_ns = nominal_period_ns(opts->rate_hz);
	s->skel->rodata->ring_bytes = opts->ringbuf_bytes ? opts->ringbuf_bytes : 16 << 20;
	s->skel->rodata->want_gil = opts->gil || opts->off_cpu;
	s->skel->rodata->want_kernel_stack = opts->kernel_stacks;
	s->skel->rodata->want_user_stack = opts->user_stacks;
	s->skel->rodata->stage_times = opts->stage_times;
	s->skel->rodata->brake_min_level = brake_min_level();
	if (opts->memory_period_bytes)
		s->skel->rodata->memory_period_bytes = opts->memory_period_bytes;
	/*
	 * Loaded with everything else, so only the one this kernel can verify,
	 * and only the mode's: CPU ticks, or (--mode memory) every change of a
	 * resident-memory counter on the machine.
	 */
	bpf_program__set_autoload(s->skel->progs.pyperf_sample, opts->bpf_loop && !opts->memory_period_bytes);
	bpf_program__set_autoload(s->skel->progs.pyperf_sample_bounded,
				  !opts->bpf_loop && !opts->memory_period_bytes);
	bpf_program__set_autoload(s->skel->progs.pyperf_rss_stat, opts->bpf_loop && opts->memory_period_bytes);
	bpf_program__set_autoload(s->skel->progs.pyperf_rss_stat_bounded,
				  !opts->bpf_loop && opts->memory_period_bytes);
	if (opts->memory_period_bytes)
		s->sample_prog = opts->bpf_loop ? s->skel->progs.pyperf_rss_stat :
			      s->skel->progs.pyperf_rss_stat_bounded;
	else
		s->sample_prog = opts->bpf_loop ? s->skel->progs.pyperf_sample :
			      s->skel->progs.pyperf_sample_bounded;
	/* Every context switch on the machine runs it: only when asked for. */
	bpf_program__set_autoload(s->skel->progs.pyperf_switch, opts->off_cpu && opts->switch_prev_state);
	bpf_program__set_autoload(s->skel->progs.pyperf_switch_task_state,
				  opts->off_cpu && !opts->switch_prev_state);
	rc = pyperf_bpf__load(s->skel);
	startup_heap_end();
	log_debug("start-up heap on huge pages: %s\n", heap_advised ? "yes" : "no");
	if (rc) {
		snprintf(err, errlen,
			 "cannot load the BPF program (%s): this needs a kernel with BTF and BPF ring buffers (%s); run with -v for the verifier log",
			 strerror(-rc), preflight_kernel_needed());
		goto fail;
	}
	log_verified_insns(s->skel->obj);
	/* Two rings apart: a flood of samples must not hold up the lifecycle events. */
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_sample, s, NULL);
	s->events_rb = ring_buffer__new(bpf_map__fd(s->skel->maps.proc_events), on_proc_event, s, NULL);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->rb || !s->events_rb || s->epoll_fd < 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb),
		      &(struct epoll_event){ .events = EPOLLIN }) ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->events_rb),
		      &(struct epoll_event){ .events = EPOLLIN })) {
		rc = -errno;
		snprintf(err, errlen, "cannot set up the BPF ring buffers: %s", strerror(-rc));
		goto fail;
	}
	/* The fork/exec/exit tracepoints; the perf event program is attached per CPU. */
	rc = pyperf_bpf__attach(s->skel);
	if (rc) {
		snprintf(err, errlen, "cannot attach the process tracepoints: %s", strerror(-rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sampler_close(s);
	return rc;
}

int sampler_add_process(struct sampler *s, pid_t pid, const struct pyperf_proc *proc)
{
	struct pyperf_proc old;
	__u32 key = pid;
	bool known = !bpf_map__lookup_elem(s->skel->maps.procs, &key, sizeof(key), &old,
					   sizeof(old), 0);

	if (bpf_map__update_elem(s->skel->maps.procs, &key, sizeof(key), proc, sizeof(*proc),
				 BPF_ANY))
		return -errno;
	/* How the ring buffer's fair share is counted. */
	if (!known)
		s->skel->data->profiled_processes++;
	return 0;
}

void sampler_remove_process(struct sampler *s, pid_t pid)
{
	__u32 key = pid;

	if (!bpf_map__delete_elem(s->skel->maps.procs, &key, sizeof(key), 0) &&
	    s->skel->data->profiled_processes > 1)
		s->skel->data->profiled_processes--;
	/* Its memory was taken before (sampler_take_memory()), or is not wanted. */
	bpf_map__delete_elem(s->skel->maps.memory, &key, sizeof(key), 0);
}

int sampler_track_memory(struct sampler *s, pid_t pid, uint64_t anon, uint64_t shmem)
{
	struct pyperf_memory mem = {
		.resident = { [PYPERF_RESIDENT_ANON] = anon, [PYPERF_RESIDENT_SHMEM] = shmem },
		.start = anon + shmem,
		.peak = anon + shmem,
	};
	__u32 key = pid;

	if (!bpf_map__update_elem(s->skel->maps.memory, &key, sizeof(key), &mem, sizeof(mem),
				  BPF_NOEXIST) || errno == EEXIST)
		return 0;
	return -errno;
}

int sampler_watch(struct sampler *s, pid_t pid, enum pyperf_watch how)
{
	__u32 key = pid;
	__u8 value = how;

	return bpf_map__update_elem(s->skel->maps.watched, &key, sizeof(key), &value,
				    sizeof(value), BPF_ANY) ? -errno : 0;
}

/*
 * Read and remove MAP's value at KEY.  Hash maps take lookup-and-delete
 * from Linux 5.14; before, a lookup then a delete, which could drop what
 * the BPF program adds in between: it is only asked once the process has
 * ended or the recording stops.
 */
static int take_value(const struct bpf_map *map, __u32 key, void *value, size_t size)
{
	if (!bpf_map__lookup_and_delete_elem(map, &key, sizeof(key), value, size, 0))
		return 0;
	if (errno == ENOENT)
		return -ENOENT;
	if (bpf_map__lookup_elem(map, &key, sizeof(key), value, size, 0))
		return -errno;
	bpf_map__delete_elem(map, &key, sizeof(key), 0);
	return 0;
}

uint64_t sampler_take_lost(struct sampler *s, pid_t pid)
{
	__u64 lost = 0;

	return take_value(s->skel->maps.lost_by_pid, pid, &lost, sizeof(lost)) ? 0 : lost;
}

int sampler_take_brake(struct sampler *s, pid_t pid, struct pyperf_brake *out)
{
	return take_value(s->skel->maps.brakes, pid, out, sizeof(*out));
}

int sampler_take_memory(struct sampler *s, pid_t pid, struct pyperf_memory *out)
{
	return take_value(s->skel->maps.memory, pid, out, sizeof(*out));
}

/* Parse a CPU list such as "0-3,6" into ONLINE[0..max). */
static int read_online_cpus(bool *online, int max)
{
	char buf[1024], *p = buf, *end;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	long a, b;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	while (*p && *p != '\n') {
		a = b = strtol(p, &end, 10);
		if (end == p)
			return -EINVAL;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long cpu = a; cpu <= b && cpu < max; cpu++)
			if (cpu >= 0)
				online[cpu] = true;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int open_cpu_clock(int cpu, uint64_t period_ns)
{
	uint32_t random = 0;
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
	};

	/* Any stretch will do if there is no randomness: it need not be secret. */
	if (getrandom(&random, sizeof(random), GRND_NONBLOCK) != sizeof(random))
		random = (uint32_t)cpu * 2654435761u;
	/* A fixed period in ns, no frequency auto-tuning, out of step with the kernel's tick. */
	attr.sample_period = tick_period_ns(period_ns, random);

	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int sampler_start(struct sampler *s, char *err, size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus();
	bool *online;
	int rc;

	if (ncpus <= 0) {
		snprintf(err, errlen, "cannot count this machine's CPUs (/sys/devices/system/cpu/possible): %s",
			 strerror(ncpus ? -ncpus : EINVAL));
		return ncpus ? ncpus : -EINVAL;
	}
	online = calloc(ncpus, sizeof(*online));
	if (!online) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = read_online_cpus(online, ncpus);
	if (rc) {
		free(online);
		snprintf(err, errlen, "cannot read the online CPU list: %s", strerror(-rc));
		return rc;
	}
	s->links = calloc(ncpus, sizeof(*s->links));
	s->perf_fds = malloc(ncpus * sizeof(*s->perf_fds));
	if (!s->links || !s->perf_fds) {
		free(online);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->ncpus = ncpus;
	for (int cpu = 0; cpu < ncpus; cpu++)
		s->perf_fds[cpu] = -1;
	/* --mode memory: its tracepoint is attached already; no CPU clock. */
	for (int cpu = 0; cpu < ncpus && !s->opts.memory_period_bytes; cpu++) {
		if (!online[cpu])
			continue;
		s->perf_fds[cpu] = open_cpu_clock(cpu, nominal_period_ns(s->opts.rate_hz));
		if (s->perf_fds[cpu] < 0) {
			rc = -errno;
			snprintf(err, errlen, "perf_event_open on CPU %d failed: %s (needs CAP_PERFMON)",
				 cpu, strerror(-rc));
			goto fail;
		}
		s->links[cpu] = bpf_program__attach_perf_event(s->sample_prog,
							       s->perf_fds[cpu]);
		if (!s->links[cpu]) {
			rc = -errno;
			snprintf(err, errlen, "cannot attach the BPF program to CPU %d: %s",
				 cpu, strerror(-rc));
			goto fail;
		}
	}
	free(online);
	return 0;
fail:
	free(online);
	return rc;
}

int sampler_fd(struct sampler *s)
{
	return s->epoll_fd;
}

int sampler_timer_fd(struct sampler *s)
{
	return s->drain_fd;
}

int sampler_drain(struct sampler *s)
{
	uint64_t expirations, now = now_ns();
	int n;

	if (read(s->drain_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	s->delivered = 0;
	s->budget_end_ns = now + SAMPLER_DRAIN_BUDGET_MS * 1000000ULL;
	n = ring_buffer__consume(s->rb);
	/*
	 * Lifecycle events after the samples taken before them (an exit must
	 * not drop its process's last samples), but never held back longer
	 * than SAMPLER_EVENTS_WAIT_MS by a backlog of samples.
	 */
	if (n != -EAGAIN || now - s->events_at_ns > SAMPLER_EVENTS_WAIT_MS * 1000000ULL) {
		ring_buffer__consume(s->events_rb);
		s->events_at_ns = now;
	}
	return n == -EAGAIN ? (int)s->delivered : n;
}

void sampler_stop(struct sampler *s)
{
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		bpf_link__destroy(s->links[cpu]);
		s->links[cpu] = NULL;
	}
	pyperf_bpf__detach(s->skel);
	s->stopped = true;
}

void sampler_stats(struct sampler *s, uint64_t totals[PYPERF_STAT_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *values = calloc(ncpus > 0 ? ncpus : 1, sizeof(*values));

	memset(totals, 0, PYPERF_STAT_MAX * sizeof(*totals));
	if (!values)
		return;
	for (__u32 key = 0; key < PYPERF_STAT_MAX; key++) {
		if (bpf_map__lookup_elem(s->skel->maps.stats, &key, sizeof(key), values,
					 ncpus * sizeof(*values), 0))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++) {
			if (key == PYPERF_STAT_MAX_SAMPLE_NS || key == PYPERF_STAT_MAX_READS)	/* maxima */
				totals[key] = values[cpu] > totals[key] ? values[cpu] : totals[key];
			else
				totals[key] += values[cpu];
		}
	}
	free(values);
}

void sampler_cost_histogram(struct sampler *s, uint64_t buckets[PYPERF_COST_BUCKETS])
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *values = calloc(ncpus > 0 ? ncpus : 1, sizeof(*values));

	memset(buckets, 0, PYPERF_COST_BUCKETS * sizeof(*buckets));
	for (__u32 key = 0; values && key < PYPERF_COST_BUCKETS; key++)
		if (!bpf_map__lookup_elem(s->skel->maps.cost_histogram, &key, sizeof(key), values,
					  ncpus * sizeof(*values), 0))
			for (int cpu = 0; cpu < ncpus; cpu++)
				buckets[key] += values[cpu];
	free(values);
}

int sampler_prog_info(struct sampler *s, struct sampler_prog_info *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(s->sample_prog), &info, &len))
		return -errno;
	out->run_cnt = info.run_cnt;
	out->run_time_ns = info.run_time_ns;
	out->verified_insns = info.verified_insns;
	return 0;
}

void sampler_close(struct sampler *s)
{
	if (!s)
		return;
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	if (s->drain_fd >= 0)
		close(s->drain_fd);
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		bpf_link__destroy(s->links[cpu]);
		if (s->perf_fds[cpu] >= 0)
			close(s->perf_fds[cpu]);
	}
	free(s->links);
	free(s->perf_fds);
	ring_buffer__free(s->rb);
	ring_buffer__free(s->events_rb);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	pyperf_bpf__destroy(s->skel);
	free(s);
}
