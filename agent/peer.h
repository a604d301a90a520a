/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_PEER_H
#define CREDAGENT_AGENT_PEER_H

/*
 * Who is calling, in the kernel's words, taken once at accept: uid, gid
 * and pid from SO_PEERCRED, supplementary groups from SO_PEERGROUPS, and a
 * pidfd from SO_PEERPIDFD where the kernel has it (6.5 and later), which
 * pins the process so that its command name is read from the caller and
 * never from a later process that reused the pid. Nothing the client sends
 * changes any of it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PEER_GROUPS_MAX 128u
#define PEER_COMM_MAX 16u
#define PEER_OVERFLOW_UID 65534u

struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	uint32_t n_groups; /* supplementary groups kept (at most PEER_GROUPS_MAX) */
	gid_t groups[PEER_GROUPS_MAX];
	char comm[PEER_COMM_MAX]; /* "" when unknown */
	bool pidfd_used;          /* the identity was pinned by a pidfd */
};

/* Refuse SO_PEERPIDFD even where the kernel has it (tests of the
 * fallback path). */
void peer_disable_pidfd(bool off);

/* Fill *ret for the connected socket FD: 0 or -errno (SO_PEERCRED
 * failed). Groups and comm are best effort. */
int peer_identify(int fd, struct peer *ret);

/* Whether P's primary or any supplementary group is GID. */
bool peer_in_group(const struct peer *p, gid_t gid);

#endif
