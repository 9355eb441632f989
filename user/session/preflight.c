// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "session/preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int preflight_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	char missing[128] = "";
	bool admin;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* can't tell: let the kernel decide */
	admin = has_cap(data, CAP_SYS_ADMIN);
	if (!admin && !has_cap(data, CAP_BPF))
		strcat(missing, ", CAP_BPF");
	if (!admin && !has_cap(data, CAP_PERFMON))
		strcat(missing, ", CAP_PERFMON");
	if (!has_cap(data, CAP_SYS_PTRACE))
		strcat(missing, ", CAP_SYS_PTRACE");
	if (!missing[0])
		return 0;
	snprintf(err, errlen, "missing capabilities %s (loading BPF, sampling every CPU and reading the target's memory need them): run pybpf as root, e.g. with sudo",
		 missing + 2);
	return -EPERM;
}

int preflight_btf(const char *btf_path, const char *kernel_btf, char *err, size_t errlen)
{
	const char *path = btf_path ? btf_path : kernel_btf;

	if (!access(path, R_OK))
		return 0;
	if (btf_path)
		snprintf(err, errlen, "cannot read the BTF file %s given with --btf: %s",
			 btf_path, strerror(errno));
	else
		snprintf(err, errlen, "this kernel exposes no BTF type information (%s is missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass a BTF file with --btf",
			 path);
	return -ENOENT;
}

/*
 * The kernel features pybpf probes for, with the release that brought each,
 * in the order they are checked.  Without a required one nothing runs;
 * without an optional one a slower or rougher way is taken.
 */
static const struct kernel_feature {
	const char *key;		/* its name in PYBPF_KERNEL_FEATURES */
	const char *name;
	const char *since;
	const char *use;		/* what needs it */
	bool required;
} features[PREFLIGHT_FEATURES] = {
	[PREFLIGHT_RINGBUF] = { "ringbuf", "BPF ring buffers (BPF_MAP_TYPE_RINGBUF)", "5.8",
				"every sample goes through one", true },
	/* Else the same steps run from bounded loops (pyperf_sample_bounded). */
	[PREFLIGHT_BPF_LOOP] = { "bpf_loop", "the bpf_loop helper", "5.17",
				 "the stack walk", false },
	/* Else --mode wall reads the task's state itself. */
	[PREFLIGHT_SWITCH_PREV_STATE] = { "switch_prev_state", "sched_switch's prev_state argument", "5.18",
					  "--mode wall", false },
};

int preflight_features_result(const char *release, const int probes[PREFLIGHT_FEATURES],
			      char *err, size_t errlen)
{
	for (int i = 0; i < PREFLIGHT_FEATURES; i++) {
		const struct kernel_feature *f = &features[i];

		if (probes[i] != 0 || !f->required)
			continue;	/* there (1), unknown (< 0), or optional */
		snprintf(err, errlen, "this kernel (Linux %s) lacks %s, added in Linux %s (%s): run pybpf on Linux %s or newer",
			 release, f->name, f->since, f->use, f->since);
		return -ENOTSUP;
	}
	return 0;
}

const char *preflight_kernel_needed(void)
{
	return "Linux 5.8+";
}

/*
 * 1 if the kernel's sched_switch tracepoint passes prev_state (5 arguments),
 * 0 if not, < 0: unknown.  From BTF_PATH, the BTF the program is loaded
 * with, if given.
 */
static int probe_switch_prev_state(const char *btf_path)
{
	struct btf *vmlinux = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, args = -1;

	if (!vmlinux)
		return -ENOENT;
	id = btf__find_by_name_kind(vmlinux, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(vmlinux, id) : NULL;
	if (t)
		t = btf__type_by_id(vmlinux, t->type);		/* the pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(vmlinux, t->type);		/* the function prototype */
	if (t && btf_is_func_proto(t))
		args = btf_vlen(t);	/* void *__data, bool preempt, prev, next[, prev_state] */
	btf__free(vmlinux);
	return args < 0 ? -ENOENT : args >= 5;
}

bool preflight_feature_disabled(const char *list, enum preflight_feature feature)
{
	size_t len = strlen(features[feature].key);

	for (const char *p = list; p && (p = strchr(p, '-')); p++)
		if (!strncmp(p + 1, features[feature].key, len) && (p[1 + len] == ',' || !p[1 + len]) &&
		    (p == list || p[-1] == ','))
			return true;
	return false;
}

int preflight_probe(enum preflight_feature feature, const char *btf_path)
{
	/* "-NAME,...": taken as missing, whatever the kernel has (tests; a probe that misleads). */
	if (preflight_feature_disabled(getenv("PYBPF_KERNEL_FEATURES"), feature))
		return 0;
	switch (feature) {
	case PREFLIGHT_RINGBUF:
		return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	case PREFLIGHT_BPF_LOOP:
		return libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, NULL);
	case PREFLIGHT_SWITCH_PREV_STATE:
		return probe_switch_prev_state(btf_path);
	default:
		return PREFLIGHT_PROBE_UNKNOWN;
	}
}

int preflight_features(char *err, size_t errlen)
{
	int probes[PREFLIGHT_FEATURES];
	struct utsname uts;

	for (int i = 0; i < PREFLIGHT_FEATURES; i++)
		/* An optional feature is probed by what it selects, when it is wanted. */
		probes[i] = features[i].required ? preflight_probe(i, NULL) : PREFLIGHT_PROBE_UNKNOWN;
	if (uname(&uts))
		snprintf(uts.release, sizeof(uts.release), "?");
	return preflight_features_result(uts.release, probes, err, errlen);
}
