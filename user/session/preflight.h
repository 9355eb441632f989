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

/*
 * BPF ring buffers (BPF_MAP_TYPE_RINGBUF, Linux 5.8), probed with libbpf;
 * a probe that cannot tell lets the program load decide.
 */
int preflight_ringbuf(char *err, size_t errlen);
/* What PROBE (libbpf_probe_bpf_map_type's result) means: 0, or the error in ERR. */
int preflight_ringbuf_result(int probe, char *err, size_t errlen);

/*
 * The kernel the BPF program needs, in words: bpf_loop (5.17), and for
 * --mode wall the five-argument sched_switch tracepoint (5.18).
 */
const char *preflight_kernel_needed(bool wall);

#endif
