/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/* A decimal number filling all of S, below or at MAX; false otherwise. */
static bool
parse_number(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*ret = v;
	return true;
}

static bool
meant_for_us(const char *pid_var)
{
	unsigned long long pid;

	return parse_number(getenv(pid_var), (unsigned long long)INT32_MAX, &pid) &&
	       (pid_t)pid == getpid();
}

int
sdn_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len;
	socklen_t salen;
	ssize_t n;
	int fd, err = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EAFNOSUPPORT;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (n < 0)
		err = -errno;
	close(fd);
	return err < 0 ? err : 1;
}

int
sdn_notifyf(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EINVAL;
	return sdn_notify(msg);
}

uint64_t
sdn_watchdog_usec(void)
{
	unsigned long long usec;

	if (!parse_number(getenv("WATCHDOG_USEC"), UINT64_MAX, &usec) || usec == 0)
		return 0;
	/* Without WATCHDOG_PID it is ours; with it, only if it names us. */
	if (getenv("WATCHDOG_PID") != NULL && !meant_for_us("WATCHDOG_PID"))
		return 0;
	return usec;
}

int
sdn_listen_fds(void)
{
	unsigned long long n;
	int r = 0;

	if (!meant_for_us("LISTEN_PID") ||
	    !parse_number(getenv("LISTEN_FDS"), 4096, &n)) {
		r = 0;
	} else {
		for (int fd = SDN_LISTEN_FDS_START; fd < SDN_LISTEN_FDS_START + (int)n; fd++) {
			int flags = fcntl(fd, F_GETFD);

			if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
				r = -errno;
				break;
			}
		}
		if (r == 0)
			r = (int)n;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}

bool
sdn_is_listening_unix_stream(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int type = 0, acc = 0;
	socklen_t tl = sizeof(type), al = sizeof(acc);
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 || acc == 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return false;
	return len >= sizeof(sa.sun_family) && sa.sun_family == AF_UNIX;
}
