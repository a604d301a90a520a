/* SPDX-License-Identifier: MIT */
/* Finding the agent, checking who serves the socket, and HELLO. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/lib/libcred-int.h"

/* The socket to try first, and whether the system socket may follow. */
struct sock_choice {
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	bool fallback;
};

static int
choose_socket(const char *path, struct sock_choice *ret)
{
	const char *env;
	int n;

	ret->fallback = false;
	if (path == NULL || *path == '\0') {
		env = secure_getenv("CRED_SOCK");
		path = env != NULL && *env != '\0' ? env : NULL;
	}
	if (path != NULL) {
		n = snprintf(ret->path, sizeof(ret->path), "%s", path);
	} else {
		ret->fallback = true;
		env = secure_getenv("XDG_RUNTIME_DIR");
		if (env != NULL && *env != '\0')
			n = snprintf(ret->path, sizeof(ret->path), "%s/credagent/sock", env);
		else
			n = snprintf(ret->path, sizeof(ret->path), "/tmp/credagent-%u/sock",
			             (unsigned)getuid());
	}
	if (n < 0 || (size_t)n >= sizeof(ret->path))
		return -CRED_E_USAGE;
	return 0;
}

static int
copy_path(char *buf, size_t size, const char *path)
{
	size_t n = strlen(path);

	if (buf == NULL || n >= size)
		return -CRED_E_USAGE;
	memcpy(buf, path, n + 1);
	return 0;
}

int
cred_socket_find(const char *path, char *buf, size_t size)
{
	struct sock_choice sc;
	struct stat st;
	int r;

	r = choose_socket(path, &sc);
	if (r < 0)
		return r;
	if (sc.fallback && lstat(sc.path, &st) < 0 && errno == ENOENT &&
	    lstat(LIBCRED_SYSTEM_SOCK, &st) == 0)
		return copy_path(buf, size, LIBCRED_SYSTEM_SOCK);
	return copy_path(buf, size, sc.path);
}

/* A connected socket, or -errno. */
static int
sock_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	int fd, r, e;

	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EISCONN) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int
connect_error(int neg_errno)
{
	switch (-neg_errno) {
	case ENOENT:
	case ENOTDIR:
	case ECONNREFUSED: return -CRED_E_UNREACHABLE;
	case EACCES:
	case EPERM: return -CRED_E_DENIED;
	case ENAMETOOLONG: return -CRED_E_USAGE;
	case ENOMEM:
	case ENOBUFS: return -CRED_E_NOMEM;
	default: return -CRED_E_FAILED;
	}
}

int
cred_connect(const char *path, cred_conn **ret)
{
	struct sock_choice sc;
	const char *used;
	int fd, r;

	if (ret == NULL)
		return -CRED_E_USAGE;
	r = choose_socket(path, &sc);
	if (r < 0)
		return r;
	used = sc.path;
	fd = sock_open(used);
	/* Only a missing user socket sends us to the system one; any other
	 * failure (refused, denied) is reported as it is. */
	if (fd == -ENOENT && sc.fallback) {
		used = LIBCRED_SYSTEM_SOCK;
		fd = sock_open(used);
	}
	if (fd < 0)
		return connect_error(fd);
	return libcred_connect_fd(fd, used, ret);
}

/* The server must be us or root before it hears a single byte. */
static int
check_peer(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || len != sizeof(uc))
		return -CRED_E_FAILED;
	if (uc.uid != getuid() && uc.uid != 0)
		return -CRED_E_DENIED;
	return 0;
}

static int
encode_hello(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_hello(w, reqid, msg);
}

static int
hello(cred_conn *c)
{
	struct proto_hello h = {.version = PROTO_VERSION, .features = 0};
	struct proto_hello_reply hr;
	struct libcred_reply rep;
	int r;

	r = libcred_call(c, PROTO_MSG_HELLO, encode_hello, &h, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_hello_reply(rep.frame.body, &hr) < 0 ||
	    hr.frame_max < PROTO_FRAME_MIN_MAX) {
		r = -CRED_E_PROTOCOL;
		goto out;
	}
	libcred_msg_set(c, hr.message);
	if (hr.version != PROTO_VERSION) {
		r = -CRED_E_UNSUPPORTED;
		goto out;
	}
	c->frame_max = hr.frame_max < LIBCRED_FRAME_CLAMP ? hr.frame_max : LIBCRED_FRAME_CLAMP;
	c->mode = hr.mode;
	r = 0;
out:
	libcred_reply_free(&rep);
	return r;
}

int
libcred_connect_fd(int fd, const char *path, cred_conn **ret)
{
	cred_conn *c;
	int r;

	r = check_peer(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return -CRED_E_NOMEM;
	}
	c->fd = fd;
	c->next_id = 1;
	/* Until HELLO tells us, assume the smallest limit an agent has. */
	c->frame_max = PROTO_FRAME_MIN_MAX;
	c->path = strdup(path != NULL ? path : "");
	if (c->path == NULL) {
		r = -CRED_E_NOMEM;
		goto fail;
	}
	r = hello(c);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	cred_close(c);
	return r;
}

void
cred_close(cred_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	libcred_watch_free(c);
	free(c->path);
	/* Replies (values among them) passed through the receive buffer. */
	explicit_bzero(c->rbuf, sizeof(c->rbuf));
	free(c);
}

const char *
cred_socket_path(const cred_conn *c)
{
	return c != NULL && c->path != NULL ? c->path : "";
}

const char *
cred_message(const cred_conn *c)
{
	return c != NULL ? c->msg : "";
}
