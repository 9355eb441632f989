// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/debug_offsets.h"
#include "native/elf_symbols.h"
#include "process/proc_maps.h"
#include "python/py_walk.h"
#include "python/python_target.h"
#include "process/target_mem.h"
#include "process/proc_info.h"

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

/* Open a mapped file the way the target sees it (even in a container, or deleted). */
static struct elf_file *open_mapped(pid_t pid, const struct map_entry *m)
{
	return elf_file_open_fd(proc_maps_open_file(pid, m));
}

struct runtime_hit {
	uint64_t bias;
	uint64_t runtime;		/* link-time address of _PyRuntime */
	uint64_t version_sym;		/* Py_Version, 0 if absent */
	uint64_t code_type;		/* PyCode_Type, 0 if absent */
	char version_string[32];	/* PY_VERSION from .rodata, "" if not found */
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

/*
 * Before 3.11 there is no Py_Version: the file's name or soname gives
 * MAJOR.MINOR, and the PY_VERSION literal in .rodata the patch level.
 */
static void version_from_file(struct elf_file *ef, const char *path,
			      struct python_target *t, struct runtime_hit *hit)
{
	const char *soname = elf_file_soname(ef);
	char prefix[16];

	if (python_version_from_name(path, &t->major, &t->minor) &&
	    (!soname || python_version_from_name(soname, &t->major, &t->minor)))
		return;
	snprintf(prefix, sizeof(prefix), "%d.%d.", t->major, t->minor);
	if (elf_file_find_version_string(ef, prefix, hit->version_string,
					 sizeof(hit->version_string)))
		hit->version_string[0] = '\0';
}

static void set_version(struct python_target *t, uint64_t hex)
{
	t->major = (hex >> 24) & 0xff;
	t->minor = (hex >> 16) & 0xff;
	t->micro = (hex >> 8) & 0xff;
	snprintf(t->version, sizeof(t->version), "%d.%d.%d", t->major, t->minor, t->micro);
}

/*
 * Whether LAYOUT reads this live process sensibly: every thread state links
 * back to its interpreter and carries the id of one of the process's
 * threads, and the frames reached hold code objects.  Used before trusting
 * a _Py_DebugOffsets parser meant for another minor.
 */
struct validation {
	const struct python_target *t;
	char *why;
	size_t len;
	int threads, frames, codes;
};

static int validate_thread(void *ctx, uint64_t interp, uint64_t tstate)
{
	struct validation *v = ctx;
	const struct python_target *t = v->t;
	struct py_frame_info f;
	uint64_t back, frame, type;
	pid_t tid;

	v->threads++;
	if (target_read_u64(t->pid, tstate + t->layout.bpf.tstate_interp, &back) || back != interp) {
		snprintf(v->why, v->len, "thread state 0x%llx does not point back to its interpreter",
			 (unsigned long long)tstate);
		return -EINVAL;
	}
	if (t->layout.bpf.tstate_native_thread_id != PYPERF_OFF_NONE &&
	    py_thread_tid(t, tstate, &tid)) {
		snprintf(v->why, v->len, "a thread id is not a thread of the process");
		return -EINVAL;
	}
	/* The first code object of this thread's stack, past shim frames. */
	frame = py_top_frame(t, tstate);
	for (int depth = 0; frame && depth < 16; depth++, frame = f.previous) {
		v->frames++;
		if (py_read_frame(t, frame, &f))
			break;
		if (f.code && !target_read_u64(t->pid, f.code + t->layout.object_type, &type) &&
		    type == t->code_type_addr) {
			v->codes++;
			break;
		}
	}
	return v->threads >= 64;	/* enough evidence */
}

/*
 * Whether the layout reads this live process sensibly: every thread state
 * links back to its interpreter and carries the id of one of the process's
 * threads, and the frames reached hold code objects.  Used before trusting
 * a _Py_DebugOffsets parser meant for another minor.
 */
int python_target_validate(const struct python_target *t, char *why, size_t len)
{
	struct validation v = { .t = t, .why = why, .len = len };
	int rc;

	why[0] = '\0';
	rc = py_for_each_thread(t, validate_thread, &v);
	if (rc < 0 || !v.threads) {
		if (!why[0])
			snprintf(why, len, "no interpreter or thread list where the layout says");
		return -EINVAL;
	}
	if (v.frames && (!v.codes || !t->code_type_addr)) {
		snprintf(why, len, "the frames reached hold no code objects");
		return -EINVAL;
	}
	return 0;
}

/* Layout from _Py_DebugOffsets (3.13+) or the built-in table. */
static int choose_layout(struct python_target *t, const char *comm, char *err, size_t errlen)
{
	uint8_t raw[DEBUG_OFFSETS_MAX_SIZE];
	struct debug_offsets_header hdr;
	const char *forced = getenv("PYBPF_DEBUG_OFFSETS_PARSER");
	int parser_minor = 0, forced_minor = 0;
	const struct py_layout *fixed;
	size_t size;
	char why[256];

	if (target_read(t->pid, t->runtime_addr, raw, DEBUG_OFFSETS_HEADER_SIZE) ||
	    debug_offsets_header(raw, DEBUG_OFFSETS_HEADER_SIZE, &hdr)) {
		fixed = py_layout_static(t->major, t->minor, false);
		if (!fixed || fixed->needs_debug_offsets) {
			snprintf(err, errlen,
				 "PID %d runs Python %s, which this pybpf does not support yet (supported: %s)",
				 t->pid, t->version, py_layout_supported());
			return -ENOTSUP;
		}
		t->layout = *fixed;
		snprintf(t->layout_source, sizeof(t->layout_source), "built-in table for %d.%d",
			 t->major, t->minor);
		return 0;
	}

	/* The runtime says which version it is. */
	set_version(t, hdr.version);
	size = debug_offsets_parser(t->minor, &parser_minor);
	if (forced && sscanf(forced, "3.%d", &forced_minor) == 1)
		size = debug_offsets_parser(forced_minor, &parser_minor);
	if (!size || target_read(t->pid, t->runtime_addr, raw, size) ||
	    debug_offsets_layout(raw, size, parser_minor, &t->layout, why, sizeof(why))) {
		snprintf(err, errlen, "PID %d (%s) runs Python %s%s, whose _Py_DebugOffsets pybpf cannot read%s%s",
			 t->pid, comm, t->version, hdr.free_threaded ? " (free-threaded)" : "",
			 size ? ": " : "", size ? why : "");
		return -ENOTSUP;
	}
	snprintf(t->layout_source, sizeof(t->layout_source), "_Py_DebugOffsets (3.%d parser)",
		 parser_minor);
	if (parser_minor == t->minor && !forced)
		return 0;
	if (python_target_validate(t, why, sizeof(why))) {
		if (forced)
			snprintf(err, errlen,
				 "PID %d runs Python %s, which the 3.%d _Py_DebugOffsets parser (PYBPF_DEBUG_OFFSETS_PARSER) does not fit: %s",
				 t->pid, t->version, parser_minor, why);
		else
			snprintf(err, errlen,
				 "PID %d runs Python %s, newer than this pybpf knows (up to 3.%d), and the 3.%d layout does not fit it (%s): upgrade pybpf",
				 t->pid, t->version, parser_minor, parser_minor, why);
		return -ENOTSUP;
	}
	strncat(t->layout_source, ", validated on the live process",
		sizeof(t->layout_source) - strlen(t->layout_source) - 1);
	return 0;
}

int python_target_open(pid_t pid, struct python_target *t, char *err, size_t errlen)
{
	char exe_link[64], exe[PATH_MAX] = "", comm[64];
	struct proc_maps maps;
	struct runtime_hit hit;
	const char *tried = NULL;
	ssize_t n;
	int found = 0, needs_libpython = 0, rc;

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
			version_from_file(ef, m->path, t, &hit);
		} else if (!strcmp(m->path, exe) && elf_file_needs(ef, "libpython")) {
			needs_libpython = 1;
		}
		elf_file_close(ef);
	}
	proc_maps_free(&maps);
	if (!found && needs_libpython) {
		snprintf(err, errlen, "PID %d (%s) has not loaded libpython yet", pid, comm);
		return -EAGAIN;
	}
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
	if (!t->version[0] && hit.version_string[0])
		snprintf(t->version, sizeof(t->version), "%s", hit.version_string);
	if (!t->version[0] && t->major)
		snprintf(t->version, sizeof(t->version), "%d.%d", t->major, t->minor);
	return choose_layout(t, comm, err, errlen);
}
