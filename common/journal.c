/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"

#define JOURNAL_MAX_FIELDS 16

/* Shared by the event loop and the writer thread: the first to open it
 * keeps its socket, the loser closes its own. */
static int journal_fd = -1;

static int
journal_socket(void)
{
	int fd = __atomic_load_n(&journal_fd, __ATOMIC_ACQUIRE), expected = -1;

	if (fd >= 0)
		return fd;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!__atomic_compare_exchange_n(&journal_fd, &expected, fd, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

void
journal_close(void)
{
	int fd = __atomic_exchange_n(&journal_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0)
		close(fd);
}

int
journal_send_fields(const char *const *fields, size_t n)
{
	return journal_send_to(JOURNAL_SOCKET_PATH, fields, n);
}

int
journal_send_to(const char *path, const char *const *fields, size_t n)
{
	/* Per field "name=value" "\n", or "name" "\n" len value "\n". */
	struct iovec iov[JOURNAL_MAX_FIELDS * 5];
	uint8_t lens[JOURNAL_MAX_FIELDS][8];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct msghdr mh = {0};
	size_t k = 0;
	int fd;

	if (n > JOURNAL_MAX_FIELDS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const char *f = fields[i], *eq = strchr(f, '=');
		size_t name_len, vlen;
		uint64_t v;

		if (eq == NULL || eq == f)
			return -EINVAL;
		name_len = (size_t)(eq - f);
		vlen = strlen(eq + 1);
		if (memchr(eq + 1, '\n', vlen) == NULL) {
			iov[k++] = (struct iovec){(void *)(uintptr_t)f, name_len + 1 + vlen};
			iov[k++] = (struct iovec){(void *)(uintptr_t)"\n", 1};
			continue;
		}
		v = vlen;
		for (size_t b = 0; b < 8; b++)
			lens[i][b] = (uint8_t)(v >> (8 * b));
		iov[k++] = (struct iovec){(void *)(uintptr_t)f, name_len};
		iov[k++] = (struct iovec){(void *)(uintptr_t)"\n", 1};
		iov[k++] = (struct iovec){lens[i], 8};
		iov[k++] = (struct iovec){(void *)(uintptr_t)(eq + 1), vlen};
		iov[k++] = (struct iovec){(void *)(uintptr_t)"\n", 1};
	}
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if ((fd = journal_socket()) < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	mh.msg_name = &sa;
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	mh.msg_iov = iov;
	mh.msg_iovlen = k;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
