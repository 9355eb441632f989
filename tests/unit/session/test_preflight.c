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
	cr_assert_eq(preflight_features_result("5.4.0-1", probes, err, sizeof(err)), -ENOTSUP);
	cr_assert(strstr(err, "this kernel (Linux 5.4.0-1) lacks BPF ring buffers (BPF_MAP_TYPE_RINGBUF), added in Linux 5.8"),
		  "%s", err);
	cr_assert(strstr(err, "run pybpf on Linux 5.8 or newer"), "%s", err);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(preflight, bpf_loop_is_optional)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	/* Debian 11's kernel: ring buffers, no bpf_loop: the bounded walk runs. */
	probes_with(probes, PREFLIGHT_BPF_LOOP, PREFLIGHT_SWITCH_PREV_STATE);
	cr_assert_eq(preflight_features_result("5.10.0-30-amd64", probes, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_empty(err);
}

Test(preflight, prev_state_is_optional)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	/* 5.17: runs; --mode wall reads the task's state itself. */
	probes_with(probes, PREFLIGHT_SWITCH_PREV_STATE, -1);
	cr_assert_eq(preflight_features_result("5.17.1", probes, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_empty(err);
}

Test(preflight, kernel_version_named)
{
	cr_assert_str_eq(preflight_kernel_needed(), "Linux 5.8+");
}

Test(preflight, features_taken_away_by_the_environment)
{
	const char *list = "-switch_prev_state,-bpf_loop";

	cr_assert(preflight_feature_disabled(list, PREFLIGHT_SWITCH_PREV_STATE));
	cr_assert(preflight_feature_disabled(list, PREFLIGHT_BPF_LOOP));
	cr_assert_not(preflight_feature_disabled(list, PREFLIGHT_RINGBUF));
	cr_assert_not(preflight_feature_disabled(NULL, PREFLIGHT_RINGBUF));
	/* Whole names only. */
	cr_assert_not(preflight_feature_disabled("-bpf_loops", PREFLIGHT_BPF_LOOP));
	cr_assert_not(preflight_feature_disabled("x-bpf_loop", PREFLIGHT_BPF_LOOP));
	cr_assert_not(preflight_feature_disabled("bpf_loop", PREFLIGHT_BPF_LOOP));
	cr_assert(preflight_feature_disabled("-ringbuf", PREFLIGHT_RINGBUF));
}

Test(preflight, probes_that_cannot_tell)
{
	int probes[PREFLIGHT_FEATURES];
	char err[512] = "";

	/* Without CAP_BPF a probe fails: the program load will say more. */
	for (int i = 0; i < PREFLIGHT_FEATURES; i++)
		probes[i] = -EPERM;
	cr_assert_eq(preflight_features_result("6.1.0", probes, err, sizeof(err)), 0);
	cr_assert_str_empty(err);
}

Test(preflight, this_kernel_has_every_feature)
{
	char err[512] = "";

	/* This machine's kernel (6.x, BTF, run as root): each probe answers yes. */
	for (int i = 0; i < PREFLIGHT_FEATURES; i++)
		cr_assert_eq(preflight_probe(i, NULL), 1, "feature %d", i);
	cr_assert_eq(preflight_features(err, sizeof(err)), 0, "%s", err);
}

Test(preflight, prev_state_probed_in_the_btf_given)
{
	/* --btf FILE: the BTF the program loads with is the one asked. */
	cr_assert_eq(preflight_probe(PREFLIGHT_SWITCH_PREV_STATE, KERNEL_BTF_PATH), 1);
	cr_assert_lt(preflight_probe(PREFLIGHT_SWITCH_PREV_STATE, "/nonexistent/vmlinux"), 0);
}
