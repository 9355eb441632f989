// SPDX-License-Identifier: BSD-3-Clause
/* The set-up checks name what is missing and how to fix it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "session/preflight.h"

Test(preflight, kernel_without_btf)
{
	char err[512] = "";

	cr_assert_eq(preflight_btf(NULL, "/nonexistent/btf/vmlinux", err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no BTF"), "%s", err);
	cr_assert(strstr(err, "CONFIG_DEBUG_INFO_BTF=y"), "%s", err);
	cr_assert(strstr(err, "--btf"), "%s", err);
}

Test(preflight, explicit_btf_file_missing)
{
	char err[512] = "";

	cr_assert_eq(preflight_btf("/nonexistent/vmlinux", KERNEL_BTF_PATH, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot read the BTF file /nonexistent/vmlinux"), "%s", err);
}

Test(preflight, kernel_btf_present)
{
	char err[512] = "";

	/* This machine's kernel has BTF: the design card requires it. */
	cr_assert_eq(preflight_btf(NULL, KERNEL_BTF_PATH, err, sizeof(err)), 0, "%s", err);
}

Test(preflight, kernel_without_ring_buffers)
{
	char err[512] = "";

	/* libbpf_probe_bpf_map_type() answers 0: the map type does not exist. */
	cr_assert_eq(preflight_ringbuf_result(0, err, sizeof(err)), -ENOTSUP);
	cr_assert(strstr(err, "no BPF ring buffers (BPF_MAP_TYPE_RINGBUF"), "%s", err);
	cr_assert(strstr(err, "kernel >= 5.8"), "%s", err);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(preflight, kernel_versions_named)
{
	/* bpf_loop came in 5.17; sched_switch's prev_state argument in 5.18. */
	cr_assert_str_eq(preflight_kernel_needed(false), "Linux 5.17+");
	cr_assert_str_eq(preflight_kernel_needed(true), "Linux 5.18+");
}

Test(preflight, ring_buffer_probe_that_cannot_tell)
{
	char err[512] = "";

	/* Without CAP_BPF the probe fails: the program load will say more. */
	cr_assert_eq(preflight_ringbuf_result(-EPERM, err, sizeof(err)), 0);
	cr_assert_eq(preflight_ringbuf_result(1, err, sizeof(err)), 0);
	cr_assert_str_empty(err);
}

Test(preflight, kernel_ring_buffers_present)
{
	char err[512] = "";

	/* This kernel (6.x) has them, whether or not the probe may run. */
	cr_assert_eq(preflight_ringbuf(err, sizeof(err)), 0, "%s", err);
}
