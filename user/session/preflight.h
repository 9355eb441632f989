/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks that tell the user what is missing before anything is loaded. */
#ifndef PYBPF_PREFLIGHT_H
#define PYBPF_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

/* CAP_BPF, CAP_PERFMON (or CAP_SYS_ADMIN) and CAP_SYS_PTRACE. */
int preflight_capabilities(char *err, size_t errlen);

#define KERNEL_BTF_PATH "/sys/kernel/btf/vmlinux"

/* The file given with --btf (BTF_PATH), else the kernel's own KERNEL_BTF. */
int preflight_btf(const char *btf_path, const char *kernel_btf, char *err, size_t errlen);

/* The kernel features pybpf probes for, in the order they are checked. */
enum preflight_feature {
	PREFLIGHT_RINGBUF,		/* BPF_MAP_TYPE_RINGBUF, Linux 5.8: required */
	PREFLIGHT_BPF_LOOP,		/* the bpf_loop helper, Linux 5.17: which stack walk */
	PREFLIGHT_SWITCH_PREV_STATE,	/* sched_switch's 5th argument, Linux 5.18: which --mode wall program */
	PREFLIGHT_FEATURES,
};

#define PREFLIGHT_PROBE_UNKNOWN (-1)

/*
 * Probe the running kernel for every required feature before anything is
 * loaded.  0, or -ENOTSUP with one line in ERR naming the first missing
 * feature and the release that has it.  A probe that cannot tell (no
 * CAP_BPF, say) lets the program load decide.
 */
int preflight_features(char *err, size_t errlen);
/*
 * What the PROBES say (per enum preflight_feature: 1 there, 0 missing,
 * < 0 unknown) on a kernel of RELEASE (uname -r): 0, or the error in ERR.
 */
int preflight_features_result(const char *release, const int probes[PREFLIGHT_FEATURES],
			      char *err, size_t errlen);
/*
 * One probe of the running kernel: 1 there, 0 missing, < 0 unknown;
 * BTF_PATH: the kernel's BTF given with --btf, NULL: its own.  A
 * feature named "-KEY" in the environment's PYBPF_KERNEL_FEATURES (a comma
 * list: -ringbuf, -bpf_loop, -switch_prev_state) counts as missing.
 */
int preflight_probe(enum preflight_feature feature, const char *btf_path);
/* Whether LIST (PYBPF_KERNEL_FEATURES' syntax, may be NULL) names FEATURE as missing. */
bool preflight_feature_disabled(const char *list, enum preflight_feature feature);

/* The kernel the BPF program needs, in words: ring buffers (5.8). */
const char *preflight_kernel_needed(void);

#endif
