// SPDX-License-Identifier: BSD-3-Clause
/* The set-up checks name what is missing and how to fix it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "preflight.h"

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
