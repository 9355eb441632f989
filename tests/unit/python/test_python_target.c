// SPDX-License-Identifier: BSD-3-Clause
/*
 * Finding the runtime in real processes, and the live validation that
 * guards an untrusted layout: a correct layout passes it, layouts with one
 * field wrong do not.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child_python.h"
#include "python/python_target.h"

static pid_t child = -1;

static void kill_child(void)
{
	child_python_stop(&child);
}

/* A Python process busy in Python code, once it has started. */
static pid_t spawn_python(const char *python)
{
	return child = child_python_spinning(python);
}

Test(python_target, debian_static_311, .fini = kill_child)
{
	struct python_target t;
	char err[512] = "";

	cr_assert_eq(python_target_open(spawn_python("/usr/bin/python3.11"), &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.major, 3);
	cr_assert_eq(t.minor, 11);
	cr_assert_str_eq(t.binary, "/usr/bin/python3.11");
	cr_assert_neq(t.code_type_addr, 0);
	cr_assert(strstr(t.layout_source, "built-in table for 3.11"), "%s", t.layout_source);
	cr_assert_eq(python_target_validate(&t, err, sizeof(err)), 0, "%s", err);
}

static void expect_invalid(const struct python_target *good, size_t field, const char *reason)
{
	struct python_target bad = *good;
	uint16_t *v = (uint16_t *)((char *)&bad.layout + field);
	char why[256] = "";

	*v += 8;
	cr_assert_eq(python_target_validate(&bad, why, sizeof(why)), -EINVAL,
		     "a layout with field at %zu moved validated", field);
	cr_assert(why[0], "no reason given");
	if (reason)
		cr_assert(strstr(why, reason), "reason '%s', expected '%s'", why, reason);
}

Test(python_target, validation_rejects_wrong_layouts, .fini = kill_child)
{
	struct python_target t;
	char err[512] = "";

	cr_assert_eq(python_target_open(spawn_python("/usr/bin/python3.11"), &t, err, sizeof(err)), 0, "%s", err);
	/* What lies next to the thread list head differs: any reason will do. */
	expect_invalid(&t, offsetof(struct py_layout, bpf.interp_threads_head), NULL);
	expect_invalid(&t, offsetof(struct py_layout, bpf.tstate_interp), "does not point back");
	expect_invalid(&t, offsetof(struct py_layout, bpf.tstate_native_thread_id), "is not a thread of the process");
	expect_invalid(&t, offsetof(struct py_layout, bpf.frame_code), "no code objects");
}

Test(python_target, not_python, .fini = kill_child)
{
	struct python_target t;
	char err[512] = "";

	int exec_done[2];
	char c;

	/* The pipe closes on exec: read() returns 0 once the child is sleep. */
	cr_assert_eq(pipe2(exec_done, O_CLOEXEC), 0);
	child = fork();
	if (child == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(exec_done[1]);
	cr_assert_eq(read(exec_done[0], &c, 1), 0);
	close(exec_done[0]);
	cr_assert_eq(python_target_open(child, &t, err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "is not a Python process"), "%s", err);
}

Test(python_target, version_from_names)
{
	int major = 0, minor = 0;

	cr_assert_eq(python_version_from_name("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", &major, &minor), 0);
	cr_assert(major == 3 && minor == 11);
	cr_assert_eq(python_version_from_name("/root/.pyenv/versions/3.8.18/bin/python3.8", &major, &minor), 0);
	cr_assert(major == 3 && minor == 8);
	cr_assert_eq(python_version_from_name("libpython3.14d.so", &major, &minor), 0);
	cr_assert(major == 3 && minor == 14);
	cr_assert_eq(python_version_from_name("/usr/bin/uwsgi", &major, &minor), -ENOENT);
}
