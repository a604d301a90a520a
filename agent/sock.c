/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>


#include "sdnotify.h"
#include "sock.h"

static char *
xasprintf_path(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s%s", a, b) < 0)
		return NULL;
	return p;
}

char *
sock_default_path(bool system_mode)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char tmp[64];

	if (system_mode)
		return strdup("/run/credagent/sock");
	if (rt != NULL && rt[0] == '/')
		return xasprintf_path(rt, "/credagent/sock");
	snprintf(tmp, sizeof(tmp), "/tmp/credagent-%u", (unsigned)getuid());
	return xasprintf_path(tmp, "/sock");
}

char *
sock_default_state_dir(bool system_mode)
{
	const char *d = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	if (system_mode)
		return strdup("/var/lib/credagent");
	if (d != NULL && d[0] == '/')
		return xasprintf_path(d, "/credagent");
	if (home == NULL || home[0] != '/') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	if (home == NULL)
		return NULL;
	return xasprintf_path(home, "/.local/share/credagent");
}

static int
mkdir_parents(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

static bool
is_shared(const struct stat *st)
{
	return (st->st_mode & (S_ISVTX | S_IWOTH)) != 0;
}

int
sock_private_dir(const char *dir, char *errbuf, size_t errlen)
{
	char buf[PATH_MAX];
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	if (mkdir_parents(buf) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		snprintf(errbuf, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0) {
		snprintf(errbuf, errlen, "cannot stat %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(errbuf, errlen, "%s is not a directory owned by uid %u; refusing it", dir,
			 (unsigned)geteuid());
		return -EPERM;
	}
	/* A shared directory (sticky or writable by all, such as /tmp when
	 * the agent runs as root) is never ours to close: its mode stays. */
	if (is_shared(&st))
		return 0;
	if ((st.st_mode & 077) != 0 && chmod(dir, 0700) < 0) {
		snprintf(errbuf, errlen, "cannot make %s private: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Is an agent answering at ADDR? Removes a stale socket file. */
static int
claim_path(const struct sockaddr_un *addr, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd, r;

	if (lstat(addr->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(errbuf, errlen, "%s exists and is not a socket", addr->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (r == 0) {
		snprintf(errbuf, errlen, "another agent is already listening on %s", addr->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(addr->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int
sock_public_dir(const char *dir, char *errbuf, size_t errlen)
{
	int r = sock_private_dir(dir, errbuf, errlen);
	struct stat st;

	if (r == 0 && lstat(dir, &st) == 0 && is_shared(&st))
		return 0; /* as above: not ours to change */
	if (r == 0 && chmod(dir, 0755) < 0) {
		snprintf(errbuf, errlen, "cannot chmod %s: %s", dir, strerror(errno));
		return -errno;
	}
	return r;
}

int
sock_listen(const char *path, bool create_dir, bool public_dir, unsigned mode, char *errbuf,
	    size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char dir[PATH_MAX], *slash;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(errbuf, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (create_dir && slash != NULL && slash != dir) {
		*slash = '\0';
		r = public_dir ? sock_public_dir(dir, errbuf, errlen)
			       : sock_private_dir(dir, errbuf, errlen);
		if (r < 0)
			return r;
	}
	r = claim_path(&addr, errbuf, errlen);
	if (r < 0) {
		if (errbuf[0] == '\0')
			snprintf(errbuf, errlen, "cannot use %s: %s", path, strerror(-r));
		return r;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0777 & ~(mode_t)mode);
	r = bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0 || chmod(path, (mode_t)mode) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		snprintf(errbuf, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

int
sock_activated(char *errbuf, size_t errlen)
{
	int n = sdn_listen_fds(), fd = SDN_LISTEN_FDS_START, flags;

	if (n <= 0)
		return n < 0 ? n : 0;
	if (n > 1) {
		snprintf(errbuf, errlen, "systemd passed %d sockets; expected one", n);
		return -EINVAL;
	}
	if (!sdn_is_listening_unix_stream(fd)) {
		snprintf(errbuf, errlen, "the socket systemd passed is not a listening Unix stream socket");
		return -EINVAL;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return fd;
}
