// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "base/log.h"
#include "session/privileges.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif

#define BIT(cap) (1ULL << (cap))

struct caps {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
};

static int get_caps(struct caps *c)
{
	memset(c, 0, sizeof(*c));
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	return syscall(SYS_capget, &c->hdr, c->data) ? -errno : 0;
}

static int set_effective(struct caps *c, uint64_t effective)
{
	c->data[0].effective = (uint32_t)effective;
	c->data[1].effective = (uint32_t)(effective >> 32);
	return syscall(SYS_capset, &c->hdr, c->data) ? -errno : 0;
}

/*
 * Whether bpf() on a map fd pybpf already holds needs CAP_BPF here.  Since
 * Linux 6.5 only creating maps and loading programs does; before, with
 * kernel.unprivileged_bpf_disabled set, every bpf() command did.  Asked of
 * the kernel itself with no capability in effect (the permitted set is
 * untouched, so they come back): a lookup on fd -1 fails with EBADF where
 * an fd is enough, and with EPERM before the fd is even looked at where not.
 */
static bool bpf_needs_cap(struct caps *c)
{
	uint64_t effective = c->data[0].effective | (uint64_t)c->data[1].effective << 32;
	union bpf_attr attr;
	bool needs;

	if (set_effective(c, 0))
		return true;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = -1;
	needs = syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)) < 0 && errno == EPERM;
	set_effective(c, effective);
	return needs;
}

static uint64_t wanted(unsigned int needs, bool bpf_cap)
{
	uint64_t keep = BIT(CAP_SYS_PTRACE) | BIT(CAP_CHECKPOINT_RESTORE) | BIT(CAP_DAC_READ_SEARCH);

	if (needs & PRIV_WRITE_FILES)
		keep |= BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER);
	if (needs & PRIV_SIGNAL_COMMAND)
		keep |= BIT(CAP_KILL);
	if (needs & PRIV_KERNEL_SYMBOLS)
		keep |= BIT(CAP_SYSLOG);
	if (bpf_cap)
		keep |= BIT(CAP_BPF);
	return keep;
}

/*
 * Become the unprivileged user (nobody), keeping the permitted capabilities
 * through the change: from here on pybpf reads what its targets control
 * (their ELF files, their memory, their /proc) with no uid 0 behind it.
 */
static int become_unprivileged(void)
{
	if (getuid() != 0 && geteuid() != 0)
		return 0;	/* not root: capabilities only */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) ||
	    setresgid(UNPRIVILEGED_ID, UNPRIVILEGED_ID, UNPRIVILEGED_ID) ||
	    setresuid(UNPRIVILEGED_ID, UNPRIVILEGED_ID, UNPRIVILEGED_ID))
		return -errno;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) ? -errno : 0;
}

int privileges_drop(unsigned int needs, char *err, size_t errlen)
{
	struct caps c;
	uint64_t keep;
	int rc = get_caps(&c);

	if (!rc) {
		keep = wanted(needs, bpf_needs_cap(&c));
		/* The uid change empties the effective set; the permitted one stays. */
		rc = become_unprivileged();
		if (!rc)
			rc = get_caps(&c);
	}
	if (!rc) {
		for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
			c.data[i].permitted &= (uint32_t)(keep >> (32 * i));
			c.data[i].effective = c.data[i].permitted;
			c.data[i].inheritable = 0;
		}
		rc = syscall(SYS_capset, &c.hdr, c.data) ? -errno : 0;
		log_debug("capabilities kept: %#llx\n", (unsigned long long)keep);
	}
	/* pybpf never executes anything after this; nothing may gain privileges. */
	if (!rc && (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)))
		rc = -errno;
	if (rc)
		snprintf(err, errlen, "cannot drop the capabilities pybpf no longer needs: %s",
			 strerror(-rc));
	return rc;
}
