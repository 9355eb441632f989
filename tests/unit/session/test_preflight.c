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

/* Probe results: every feature there but the ones given missing (0). */
static void probes_with(int probes[PREFLIGHT_FEATURES], int missing, int unknown)
{
	for (int i = 0; i < PREFLIGHT_FEATURES; i++)
		probes[i] = i == missing ? 0 : i == unknown ? PREFLIGHT_PROBE_UNKNOWN : 1;
}

Test(preflight, kernel_without_ring_buffers)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	probes_with(probes, PREFLIGHT_RINGBUF, -1);
	cr_assert_eq(preflight_features_result("5.4.0-1", probes, false, err, sizeof(err)), -ENOTSUP);
	cr_assert(strstr(err, "this kernel (Linux 5.4.0-1) lacks BPF ring buffers (BPF_MAP_TYPE_RINGBUF), added in Linux 5.8"),
		  "%s", err);
	cr_assert(strstr(err, "run pybpf on Linux 5.8 or newer"), "%s", err);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(preflight, kernel_without_bpf_loop)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	/* Debian 11's kernel: ring buffers, no bpf_loop; named whatever the mode. */
	probes_with(probes, PREFLIGHT_BPF_LOOP, PREFLIGHT_SWITCH_PREV_STATE);
	cr_assert_eq(preflight_features_result("5.10.0-30-amd64", probes, false, err, sizeof(err)), -ENOTSUP);
	cr_assert(strstr(err, "(Linux 5.10.0-30-amd64) lacks the bpf_loop helper, added in Linux 5.17"), "%s", err);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(preflight, wall_mode_needs_prev_state)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	/* 5.17: --mode cpu runs, --mode wall is refused and says what runs. */
	probes_with(probes, PREFLIGHT_SWITCH_PREV_STATE, -1);
	cr_assert_eq(preflight_features_result("5.17.1", probes, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(preflight_features_result("5.17.1", probes, true, err, sizeof(err)), -ENOTSUP);
	cr_assert(strstr(err, "lacks sched_switch's prev_state argument, added in Linux 5.18"), "%s", err);
	cr_assert(strstr(err, "--mode cpu (the default) works without it"), "%s", err);
}

Test(preflight, kernel_versions_named)
{
	/* bpf_loop came in 5.17; sched_switch's prev_state argument in 5.18. */
	cr_assert_str_eq(preflight_kernel_needed(false), "Linux 5.17+");
	cr_assert_str_eq(preflight_kernel_needed(true), "Linux 5.18+");
}

Test(preflight, probes_that_cannot_tell)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	/* Without CAP_BPF a probe fails: the program load will say more. */
	for (int i = 0; i < PREFLIGHT_FEATURES; i++)
		probes[i] = -EPERM;
	cr_assert_eq(preflight_features_result("6.1.0", probes, true, err, sizeof(err)), 0);
	cr_assert_str_empty(err);
}

Test(preflight, this_kernel_has_every_feature)
{
	char err[512] = "";

	/* This machine's kernel (6.x, BTF, run as root): each probe answers yes. */
	for (int i = 0; i < PREFLIGHT_FEATURES; i++)
		cr_assert_eq(preflight_probe(i), 1, "feature %d", i);
	cr_assert_eq(preflight_features(false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(preflight_features(true, err, sizeof(err)), 0, "%s", err);
}
