// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_symbols.h"
#include "proc_maps.h"
#include "python_target.h"
#include "target_mem.h"
#include "util.h"

int python_version_from_name(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/');
	const char *p;

	base = base ? base + 1 : path;
	p = strstr(base, "python");
	if (!p)
		return -ENOENT;
	if (sscanf(p, "python%d.%d", major, minor) == 2)
		return 0;
	return -ENOENT;
}

/* A file worth opening: the executable itself, or anything named *python*. */
static int is_candidate(const char *path, const char *exe)
{
	const char *base = strrchr(path, '/');

	if (path[0] != '/')
		return 0;
	base = base ? base + 1 : path;
	return !strcmp(path, exe) || strstr(base, "python");
}

/*
 * Open a mapped file the way the target sees it.  map_files/ works even when
 * the path only exists inside the target's mount namespace or was deleted;
 * root/ covers kernels that restrict map_files.
 */
static struct elf_file *open_mapped(pid_t pid, const struct map_entry *m)
{
	char path[PATH_MAX + 64];
	struct elf_file *ef;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	ef = elf_file_open(path);
	if (ef)
		return ef;
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);
	return elf_file_open(path);
}

struct runtime_hit {
	uint64_t bias;
	uint64_t runtime;		/* link-time address of _PyRuntime */
	uint64_t version_sym;		/* Py_Version, 0 if absent */
	uint64_t code_type;		/* PyCode_Type, 0 if absent */
};

static int find_runtime(struct elf_file *ef, const struct map_entry *first,
			struct runtime_hit *hit)
{
	uint64_t vaddr;

	memset(hit, 0, sizeof(*hit));
	/* Stripped binaries still carry the .PyRuntime section (3.10+). */
	if (elf_file_symbol(ef, "_PyRuntime", &hit->runtime, NULL) &&
	    elf_file_section(ef, ".PyRuntime", &hit->runtime, NULL))
		return -ENOENT;
	if (elf_file_vaddr_of_offset(ef, first->offset, &vaddr))
		return -ENOENT;
	hit->bias = first->start - vaddr;
	elf_file_symbol(ef, "Py_Version", &hit->version_sym, NULL);
	elf_file_symbol(ef, "PyCode_Type", &hit->code_type, NULL);
	return 0;
}

static void set_version(struct python_target *t, uint64_t hex)
{
	t->major = (hex >> 24) & 0xff;
	t->minor = (hex >> 16) & 0xff;
	t->micro = (hex >> 8) & 0xff;
	snprintf(t->version, sizeof(t->version), "%d.%d.%d", t->major, t->minor, t->micro);
}

int python_target_open(pid_t pid, struct python_target *t, char *err, size_t errlen)
{
	char exe_link[64], exe[PATH_MAX] = "", comm[64];
	struct proc_maps maps;
	struct runtime_hit hit;
	const char *tried = NULL;
	ssize_t n;
	int found = 0, rc;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (pid <= 0 || !proc_alive(pid)) {
		snprintf(err, errlen, "no running process with PID %d (check the PID with `ps -p %d`)",
			 pid, pid);
		return -ESRCH;
	}
	proc_cmdline(pid, t->cmdline, sizeof(t->cmdline));
	proc_comm(pid, 0, comm, sizeof(comm));
	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';

	rc = proc_maps_read(pid, &maps);
	if (rc) {
		snprintf(err, errlen, "cannot read /proc/%d/maps: %s (run pybpf as root)",
			 pid, strerror(-rc));
		return rc == -ENOENT ? -ESRCH : rc;
	}
	for (size_t i = 0; i < maps.n && !found; i++) {
		const struct map_entry *m = &maps.entries[i];
		const struct map_entry *first;
		struct elf_file *ef;

		if (!is_candidate(m->path, exe) || (tried && !strcmp(tried, m->path)))
			continue;
		first = proc_maps_first(&maps, m->path);
		if (first != m)
			continue;	/* each file once, from its lowest mapping */
		tried = m->path;
		ef = open_mapped(pid, m);
		if (!ef)
			continue;
		if (!find_runtime(ef, first, &hit)) {
			found = 1;
			snprintf(t->binary, sizeof(t->binary), "%s", m->path);
			if (python_version_from_name(m->path, &t->major, &t->minor)) {
				const char *soname = elf_file_soname(ef);

				if (soname)
					python_version_from_name(soname, &t->major, &t->minor);
			}
		}
		elf_file_close(ef);
	}
	proc_maps_free(&maps);
	if (!found) {
		snprintf(err, errlen,
			 "PID %d (%s) is not a Python process: no CPython runtime (_PyRuntime) in its executable or libpython",
			 pid, comm);
		return -ENOEXEC;
	}

	t->runtime_addr = hit.bias + hit.runtime;
	t->code_type_addr = hit.code_type ? hit.bias + hit.code_type : 0;
	if (hit.version_sym) {
		uint64_t hex;

		/* Py_Version (3.11+) is the exact PY_VERSION_HEX of the running build. */
		if (!target_read_u64(pid, hit.bias + hit.version_sym, &hex))
			set_version(t, hex & 0xffffffff);
	}
	if (!t->version[0] && t->major)
		snprintf(t->version, sizeof(t->version), "%d.%d", t->major, t->minor);
	if (!t->major) {
		snprintf(err, errlen,
			 "PID %d (%s): found a CPython runtime in %s but cannot tell its version",
			 pid, comm, t->binary);
		return -ENOTSUP;
	}
	t->layout = py_layout_static(t->major, t->minor);
	if (!t->layout) {
		snprintf(err, errlen,
			 "PID %d runs Python %s, which this pybpf does not support yet (supported: %s)",
			 pid, t->version, py_layout_supported());
		return -ENOTSUP;
	}
	return 0;
}
