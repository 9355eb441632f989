// SPDX-License-Identifier: BSD-3-Clause
/* user/process/proc_maps.h: parsing /proc/PID/maps text. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "process/proc_maps.h"

static void check_entry(const struct map_entry *e, uint64_t start, uint64_t end,
			const char *perms, uint64_t offset, unsigned major, unsigned minor,
			uint64_t inode, const char *path)
{
	cr_assert_eq(e->start, start, "start %#jx, want %#jx", (uintmax_t)e->start, (uintmax_t)start);
	cr_assert_eq(e->end, end, "end %#jx, want %#jx", (uintmax_t)e->end, (uintmax_t)end);
	cr_assert_str_eq(e->perms, perms);
	cr_assert_eq(e->offset, offset, "offset %#jx, want %#jx", (uintmax_t)e->offset, (uintmax_t)offset);
	cr_assert_eq(e->dev_major, major, "major %u, want %u", e->dev_major, major);
	cr_assert_eq(e->dev_minor, minor, "minor %u, want %u", e->dev_minor, minor);
	cr_assert_eq(e->inode, inode, "inode %ju, want %ju", (uintmax_t)e->inode, (uintmax_t)inode);
	cr_assert_not_null(e->path);
	cr_assert_str_eq(e->path, path);
}

/* A maps file as the kernel writes it: the path padded to column 74,
 * anonymous mappings ending in "0 " with a trailing space. */
static const char sample[] =
	"00400000-0041f000 r--p 00000000 fe:00 247134                     /usr/bin/python3.11\n"
	"0041f000-006d2000 r-xp 0001f000 fe:00 247134                     /usr/bin/python3.11\n"
	"01d5c000-01f1e000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0c1c000000-7f0c1c021000 rw-p 00000000 00:00 0 \n"
	"7f0c2e5ea000-7f0c2e610000 r--p 00000000 103:02 332835            /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0c2e610000-7f0c2e766000 r-xp 00026000 103:02 332835            /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0c2e800000-7f0c2e801000 r--s 7fffffffff000 fd:1a 4294967297   /tmp/my dir/lib  two spaces.so\n"
	"7f0c2e900000-7f0c2e901000 rw-p 00001000 08:11 12 /tmp/gone.so (deleted)\n"
	"7ffd4b9a0000-7ffd4b9c1000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd4b9f2000-7ffd4b9f6000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffd4b9f6000-7ffd4b9f8000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

Test(proc_maps, parses_every_kind_of_line)
{
	struct proc_maps m;

	cr_assert_eq(proc_maps_parse(sample, &m), 0);
	cr_assert_eq(m.n, 12);
	cr_assert(m.cap >= m.n);
	check_entry(&m.entries[0], 0x400000, 0x41f000, "r--p", 0, 0xfe, 0, 247134,
		    "/usr/bin/python3.11");
	check_entry(&m.entries[1], 0x41f000, 0x6d2000, "r-xp", 0x1f000, 0xfe, 0, 247134,
		    "/usr/bin/python3.11");
	check_entry(&m.entries[2], 0x1d5c000, 0x1f1e000, "rw-p", 0, 0, 0, 0, "[heap]");
	check_entry(&m.entries[3], 0x7f0c1c000000, 0x7f0c1c021000, "rw-p", 0, 0, 0, 0, "");
	/* Major 0x103 = 259 (NVMe): more than two hex digits. */
	check_entry(&m.entries[4], 0x7f0c2e5ea000, 0x7f0c2e610000, "r--p", 0, 259, 2, 332835,
		    "/usr/lib/x86_64-linux-gnu/libc.so.6");
	check_entry(&m.entries[5], 0x7f0c2e610000, 0x7f0c2e766000, "r-xp", 0x26000, 259, 2, 332835,
		    "/usr/lib/x86_64-linux-gnu/libc.so.6");
	/* Hex device letters, a 64-bit inode and offset, spaces inside the path. */
	check_entry(&m.entries[6], 0x7f0c2e800000, 0x7f0c2e801000, "r--s", 0x7fffffffff000,
		    0xfd, 0x1a, 4294967297ULL, "/tmp/my dir/lib  two spaces.so");
	/* " (deleted)" is part of the text the kernel prints; it is kept. */
	check_entry(&m.entries[7], 0x7f0c2e900000, 0x7f0c2e901000, "rw-p", 0x1000, 8, 0x11, 12,
		    "/tmp/gone.so (deleted)");
	check_entry(&m.entries[8], 0x7ffd4b9a0000, 0x7ffd4b9c1000, "rw-p", 0, 0, 0, 0, "[stack]");
	check_entry(&m.entries[9], 0x7ffd4b9f2000, 0x7ffd4b9f6000, "r--p", 0, 0, 0, 0, "[vvar]");
	check_entry(&m.entries[10], 0x7ffd4b9f6000, 0x7ffd4b9f8000, "r-xp", 0, 0, 0, 0, "[vdso]");
	check_entry(&m.entries[11], 0xffffffffff600000ULL, 0xffffffffff601000ULL, "--xp", 0, 0, 0, 0,
		    "[vsyscall]");
	proc_maps_free(&m);
	cr_assert_eq(m.n, 0);
	cr_assert_null(m.entries);
}

Test(proc_maps, anonymous_line_without_trailing_space_or_newline)
{
	struct proc_maps m;

	cr_assert_eq(proc_maps_parse("1000-2000 ---p 00000000 00:00 0", &m), 0);
	cr_assert_eq(m.n, 1);
	check_entry(&m.entries[0], 0x1000, 0x2000, "---p", 0, 0, 0, 0, "");
	proc_maps_free(&m);
}

Test(proc_maps, trailing_spaces_in_a_path_are_kept)
{
	struct proc_maps m;

	cr_assert_eq(proc_maps_parse("1000-2000 r--p 00000000 08:01 7 /tmp/x  \n", &m), 0);
	cr_assert_eq(m.n, 1);
	cr_assert_str_eq(m.entries[0].path, "/tmp/x  ");
	proc_maps_free(&m);
}

Test(proc_maps, empty_text_and_blank_lines)
{
	struct proc_maps m;

	cr_assert_eq(proc_maps_parse("", &m), 0);
	cr_assert_eq(m.n, 0);
	proc_maps_free(&m);

	cr_assert_eq(proc_maps_parse("\n\n1000-2000 r--p 00000000 08:01 7 /a\n\n"
				     "3000-4000 r--p 00000000 08:01 8 /b\n", &m), 0);
	cr_assert_eq(m.n, 2);
	cr_assert_str_eq(m.entries[0].path, "/a");
	cr_assert_str_eq(m.entries[1].path, "/b");
	proc_maps_free(&m);
}

/* Defined only when built with ASan, whose malloc mallinfo2() does not see. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_in_use(void)
{
	if (__sanitizer_get_current_allocated_bytes)
		return __sanitizer_get_current_allocated_bytes();
	return mallinfo2().uordblks;
}

static void check_malformed(const char *text)
{
	struct proc_maps m;
	size_t before;

	memset(&m, 0x5a, sizeof(m));
	cr_assert_eq(proc_maps_parse(text, &m), -EINVAL, "accepted \"%s\"", text);
	/* Nothing is left for the caller to free... */
	cr_assert_eq(m.n, 0);
	cr_assert_null(m.entries);
	proc_maps_free(&m);	/* ...and freeing the reset result is harmless. */

	/* Nothing leaks: freed chunks parked in malloc's per-thread cache still
	 * count as in use, so repeat the failure and look for steady growth. */
	before = heap_in_use();
	for (int i = 0; i < 200; i++)
		cr_assert_eq(proc_maps_parse(text, &m), -EINVAL);
	cr_assert(heap_in_use() <= before + 1024, "\"%s\" leaks: %zu bytes after 200 runs",
		  text, heap_in_use() - before);
}

Test(proc_maps, malformed_lines_fail_with_einval)
{
	static const char good[] =
		"00400000-0041f000 r--p 00000000 fe:00 247134     /usr/bin/python3.11\n"
		"0041f000-006d2000 r-xp 0001f000 fe:00 247134     /usr/bin/python3.11\n"
		"7f0c1c000000-7f0c1c021000 rw-p 00000000 00:00 0 \n";
	static const char *const bad[] = {
		"garbage",
		"00400000 r--p 00000000 fe:00 1 /x",			/* no end */
		"00400000-0041f000 r--p",				/* cut short */
		"00400000-0041f000 r--p 00000000 fe:00",		/* no inode */
		"00400000-0041f000 r--p 00000000 fe00 1 /x",		/* no ':' in dev */
		"00400000-0041f000 r--p zz 08:01 1 /x",			/* bad offset */
		"zz-0041f000 r--p 00000000 08:01 1 /x",			/* bad start */
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_malformed(bad[i]);
		/* After good lines, whose entries were already allocated... */
		snprintf(text, sizeof(text), "%s%s\n", good, bad[i]);
		check_malformed(text);
		/* ...and between good lines. */
		snprintf(text, sizeof(text), "%s%s\n%s", good, bad[i], good);
		check_malformed(text);
	}
}

Test(proc_maps, first_is_the_lowest_mapping_of_a_path)
{
	/* Out of address order on purpose. */
	static const char text[] =
		"7f0000003000-7f0000004000 rw-p 00003000 08:01 9 /lib/libpython3.11.so.1.0\n"
		"7f0000001000-7f0000002000 r-xp 00001000 08:01 9 /lib/libpython3.11.so.1.0\n"
		"7f0000010000-7f0000011000 r--p 00000000 08:01 5 /lib/libpython3.11.so\n"
		"7f0000000000-7f0000001000 r--p 00000000 08:01 9 /lib/libpython3.11.so.1.0\n"
		"7f0000002000-7f0000003000 r--p 00002000 08:01 9 /lib/libpython3.11.so.1.0\n"
		"00400000-00401000 r--p 00000000 08:01 4 /bin/py (deleted)\n";
	struct proc_maps m;
	const struct map_entry *e;

	cr_assert_eq(proc_maps_parse(text, &m), 0);
	cr_assert_eq(m.n, 6);
	e = proc_maps_first(&m, "/lib/libpython3.11.so.1.0");
	cr_assert_eq(e, &m.entries[3], "picked entry %td", e ? e - m.entries : -1);
	cr_assert_eq(e->start, 0x7f0000000000);
	cr_assert_eq(e->offset, 0);
	/* Exact path match: neither a prefix nor an extension matches. */
	e = proc_maps_first(&m, "/lib/libpython3.11.so");
	cr_assert_eq(e, &m.entries[2]);
	cr_assert_null(proc_maps_first(&m, "/lib/libpython3.11"));
	cr_assert_null(proc_maps_first(&m, "/lib/libpython3.11.so.1.0 "));
	cr_assert_null(proc_maps_first(&m, "/bin/py"));
	cr_assert_eq(proc_maps_first(&m, "/bin/py (deleted)"), &m.entries[5]);
	proc_maps_free(&m);

	memset(&m, 0, sizeof(m));
	cr_assert_null(proc_maps_first(&m, "/lib/libpython3.11.so.1.0"));
}

/* ---- this very process --------------------------------------------------- */

static const struct map_entry *containing(const struct proc_maps *m, const void *addr)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;

	for (size_t i = 0; i < m->n; i++)
		if (m->entries[i].start <= a && a < m->entries[i].end)
			return &m->entries[i];
	return NULL;
}

static int a_function_in_this_executable(void)
{
	return 42;
}

Test(proc_maps, read_self_finds_the_executable_and_libc)
{
	struct proc_maps m;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const struct map_entry *code, *first, *libc;
	const char *base;
	int (*volatile fn)(void) = a_function_in_this_executable;

	cr_assert(n > 0);
	exe[n] = '\0';
	cr_assert_eq(fn(), 42);
	cr_assert_eq(proc_maps_read(getpid(), &m), 0);
	cr_assert(m.n > 5, "only %zu mappings", m.n);

	/* The code of this test lives in an executable mapping of /proc/self/exe. */
	code = containing(&m, (const void *)fn);
	cr_assert_not_null(code);
	cr_assert_str_eq(code->path, exe);
	cr_assert_eq(code->perms[2], 'x', "perms %s", code->perms);
	first = proc_maps_first(&m, exe);
	cr_assert_not_null(first);
	cr_assert(first->start <= code->start);
	cr_assert_eq(first->offset, 0, "the lowest mapping starts at the ELF header");
	cr_assert_eq(first->inode, code->inode);
	cr_assert(first->inode != 0);

	/* Likewise libc, found through one of its functions. */
	libc = containing(&m, (const void *)gnu_get_libc_version);
	cr_assert_not_null(libc);
	base = strrchr(libc->path, '/');
	cr_assert_not_null(base, "libc path \"%s\"", libc->path);
	cr_assert_eq(strncmp(base + 1, "libc.so", 7), 0, "libc path \"%s\"", libc->path);
	cr_assert_eq(libc->perms[2], 'x');
	cr_assert_not_null(proc_maps_first(&m, libc->path));
	cr_assert_eq(proc_maps_first(&m, libc->path)->offset, 0);

	/* The stack of this thread is mapped too. */
	int local = 0;
	const struct map_entry *stack = containing(&m, &local);

	cr_assert_not_null(stack);
	cr_assert_eq(stack->perms[0], 'r');
	cr_assert_eq(stack->perms[1], 'w');
	proc_maps_free(&m);
}

Test(proc_maps, read_missing_pid)
{
	struct proc_maps m;

	/* Above the kernel's PID_MAX_LIMIT (4194304). */
	cr_assert_eq(proc_maps_read(99999999, &m), -ENOENT);
}

/* The file behind a real mapping of ours, through map_files/. */
Test(proc_maps, open_file_of_a_live_mapping)
{
	uint64_t code = (uint64_t)(uintptr_t)proc_maps_parse;
	const struct map_entry *e = NULL;
	struct proc_maps m;
	struct stat st;
	int fd;

	cr_assert_eq(proc_maps_read(getpid(), &m), 0);
	for (size_t i = 0; i < m.n; i++)
		if (code >= m.entries[i].start && code < m.entries[i].end)
			e = &m.entries[i];
	cr_assert_not_null(e);
	fd = proc_maps_open_file(getpid(), e);
	cr_assert(fd >= 0, "%s", strerror(-fd));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_ino, e->inode);
	close(fd);
	proc_maps_free(&m);
}

/* Without map_files/ (no such mapping), the path serves only if it is still the same file. */
Test(proc_maps, open_file_falls_back_to_the_path_of_the_same_inode)
{
	char path[] = "/tmp/pybpf-maps-XXXXXX";
	struct map_entry e = { .start = 0x1000, .end = 0x2000, .path = path };
	struct stat st;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(fstat(fd, &st), 0);
	close(fd);
	e.inode = st.st_ino;
	e.dev_major = major(st.st_dev);
	e.dev_minor = minor(st.st_dev);
	fd = proc_maps_open_file(getpid(), &e);
	cr_assert(fd >= 0, "%s", strerror(-fd));
	close(fd);
	e.inode = st.st_ino + 1;	/* replaced since it was mapped */
	cr_assert_eq(proc_maps_open_file(getpid(), &e), -ESTALE);
	e.inode = st.st_ino;
	e.dev_minor++;			/* the same inode number on another file system */
	cr_assert_eq(proc_maps_open_file(getpid(), &e), -ESTALE);
	e.path = (char *)"";
	cr_assert_eq(proc_maps_open_file(getpid(), &e), -ENOENT, "anonymous: nothing to open");
	unlink(path);
}

/*
 * A chrooted process whose paths are symlinks out of its root, or FIFOs:
 * resolved inside its root, never blocking, never a host file.
 */
Test(proc_maps, paths_resolved_inside_a_chrooted_process)
{
	char tree[] = "/tmp/pybpf-root-XXXXXX", path[256];
	struct map_entry e = { .start = 0x1000, .end = 0x2000 };
	struct stat st;
	pid_t child;
	int fd, ready[2];
	char c;

	cr_assert_not_null(mkdtemp(tree));
	snprintf(path, sizeof(path), "%s/lib", tree);
	cr_assert_eq(mkdir(path, 0755), 0);
	/* lib/libpython-evil.so -> /etc/hostname, as the attacker plants it */
	snprintf(path, sizeof(path), "%s/lib/libpython-evil.so", tree);
	cr_assert_eq(symlink("/etc/hostname", path), 0);
	snprintf(path, sizeof(path), "%s/lib/libpython-up.so", tree);
	cr_assert_eq(symlink("../../../../etc/hostname", path), 0);
	snprintf(path, sizeof(path), "%s/lib/libpython-fifo.so", tree);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(pipe(ready), 0);
	child = fork();
	if (!child) {
		if (chroot(tree) || chdir("/"))
			_exit(1);
		(void)!write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1);

	/* Out of the root: neither the absolute link nor ".." reaches the host's file. */
	fd = proc_maps_open_in_root(child, "/lib/libpython-evil.so");
	cr_assert_eq(fd, -ENOENT, "opened %d: the host's /etc/hostname", fd);
	fd = proc_maps_open_in_root(child, "/lib/libpython-up.so");
	cr_assert_eq(fd, -ENOENT, "opened %d through ..", fd);
	/* No /proc magic links either. */
	cr_assert_lt(proc_maps_open_in_root(child, "/proc/1/root/etc/hostname"), 0);
	/* A FIFO opens at once, without a writer, and is refused as no library. */
	e.path = (char *)"/lib/libpython-fifo.so";
	e.inode = st.st_ino;
	e.dev_major = major(st.st_dev);
	e.dev_minor = minor(st.st_dev);
	cr_assert_eq(proc_maps_open_file(child, &e), -EINVAL);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	snprintf(path, sizeof(path), "rm -rf %s", tree);
	cr_assert_eq(system(path), 0);
}
