// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
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

int preflight_ringbuf_result(int probe, char *err, size_t errlen)
{
	if (probe != 0)
		return 0;	/* there (1), or the probe itself failed (< 0) */
	snprintf(err, errlen, "this kernel has no BPF ring buffers (BPF_MAP_TYPE_RINGBUF, added in Linux 5.8): run pybpf on a kernel >= 5.8 (%s for all it needs)",
		 preflight_kernel_needed(true));
	return -ENOTSUP;
}

const char *preflight_kernel_needed(bool wall)
{
	return wall ? "Linux 5.18+" : "Linux 5.17+";
}

int preflight_ringbuf(char *err, size_t errlen)
{
	return preflight_ringbuf_result(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL),
					err, errlen);
}
