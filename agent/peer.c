/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "peer.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static bool pidfd_off;

void
peer_disable_pidfd(bool off)
{
	pidfd_off = off;
}

static void
read_groups(int fd, struct peer *p)
{
	gid_t groups[PEER_GROUPS_MAX];
	socklen_t len = sizeof(groups);

	p->n_groups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		/* ERANGE: more groups than we keep; gid grants then see the
		 * primary group only, which can only deny, never grant. */
		if (errno == ERANGE)
			log_info("uid %u has more than %u groups; only its primary group counts",
				 (unsigned)p->uid, PEER_GROUPS_MAX);
		return;
	}
	p->n_groups = (uint32_t)(len / sizeof(gid_t));
	memcpy(p->groups, groups, len);
}

static void
read_comm(struct peer *p)
{
	char path[48];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, p->comm, sizeof(p->comm) - 1);
	close(fd);
	if (n <= 0) {
		p->comm[0] = '\0';
		return;
	}
	p->comm[n] = '\0';
	p->comm[strcspn(p->comm, "\n")] = '\0';
}

/* A pidfd that polls readable means the process has exited: then the
 * pid may have been reused and what /proc said is not the caller's. */
static bool
pidfd_alive(int pidfd)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 0;
}

int
peer_identify(int fd, struct peer *ret)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int pidfd = -1;

	memset(ret, 0, sizeof(*ret));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	ret->uid = uc.uid;
	ret->gid = uc.gid;
	ret->pid = uc.pid;
	read_groups(fd, ret);
	if (!pidfd_off) {
		len = sizeof(pidfd);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
			pidfd = -1;
	}
	read_comm(ret);
	if (pidfd >= 0) {
		ret->pidfd_used = true;
		if (!pidfd_alive(pidfd))
			ret->comm[0] = '\0';
		close(pidfd);
	}
	return 0;
}

bool
peer_in_group(const struct peer *p, gid_t gid)
{
	if (p->gid == gid)
		return true;
	for (uint32_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}
