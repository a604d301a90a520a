/* SPDX-License-Identifier: MIT */
/*
 * echo-floor: the floor of DESIGN §10, for make bench. A Unix-socket
 * (SOCK_STREAM) echo server, one epoll loop serving every connection as
 * credagentd's loop does, and CLIENTS clients each doing round trips on
 * its own connection: write QBYTES, read BYTES back. Nothing else happens
 * on either side, so a GET's figures can be quoted as ratios to this one
 * measured in the same run.
 *
 *   echo-floor [-p] [-P] [-n REQUESTS] [-c CLIENTS] [-w WARMUP] [-t LIMIT]
 *              [-b BYTES] [-q QBYTES]
 *
 * Defaults as getbench's (REQUESTS 10000 per client, CLIENTS 1, WARMUP
 * 200, LIMIT 60 s), BYTES 32, QBYTES as BYTES (a plain echo; with QBYTES
 * 32 and BYTES 4096 the bytes each way are those of a GET of a 4 KiB
 * value). With -p the server runs in a child process instead of a thread,
 * as the agent does (a switch between processes on one CPU also changes
 * address space); with -P each client is a process of its own, as
 * getbench -P. make bench quotes the floor with both. The socket is in the
 * abstract namespace (nothing to clean up). Prints the line described in
 * bench.h, with -p followed by server_cpu=Xus: the server's CPU time per
 * round trip served. Exit status: 0 ran, 1 failed, 2 usage.
 */

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "bench.h"

#define ECHO_BYTES_MAX 4096ul
#define MAX_EVENTS     64
#define MAX_FD         1024

struct echo {
	struct sockaddr_un addr;
	socklen_t addr_len;
	int listen_fd;
	size_t bytes;       /* reply */
	size_t qbytes;      /* request */
	size_t got[MAX_FD]; /* server: request bytes read so far, by fd */
	pid_t server;       /* -p: the server process */
};

struct echo_conn {
	int fd;
	size_t bytes, qbytes;
	uint8_t buf[ECHO_BYTES_MAX];
};

/* Send the whole of BUF: 1, or 0 when the connection is done. A client
 * waits for its reply before sending again, so the socket buffer has
 * room, and EAGAIN would be a broken client. */
static int
send_all(int fd, const uint8_t *buf, size_t len)
{
	size_t off;
	ssize_t w;

	for (off = 0; off < len; off += (size_t)w) {
		w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			return 0;
	}
	return 1;
}

/* Read what is there on FD and answer each whole request with BYTES
 * bytes: 1, or 0 when the connection is done. */
static int
serve_readable(struct echo *e, int fd)
{
	uint8_t buf[ECHO_BYTES_MAX];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	e->got[fd] += (size_t)n;
	for (; e->got[fd] >= e->qbytes; e->got[fd] -= e->qbytes)
		if (!send_all(fd, buf, e->bytes))
			return 0;
	return 1;
}

static void *
server_main(void *p)
{
	struct echo *e = p;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = e->listen_fd};
	struct epoll_event evs[MAX_EVENTS];
	int ep, n, i, fd;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, e->listen_fd, &ev) < 0) {
		perror("echo-floor: epoll");
		exit(1);
	}
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("echo-floor: epoll_wait");
			exit(1);
		}
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == e->listen_fd) {
				fd = accept4(e->listen_fd, NULL, NULL,
				             SOCK_NONBLOCK | SOCK_CLOEXEC);
				ev = (struct epoll_event){.events = EPOLLIN, .data.fd = fd};
				if (fd >= MAX_FD ||
				    (fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0))
					close(fd);
				else if (fd >= 0)
					e->got[fd] = 0;
			} else if (!serve_readable(e, fd)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	return NULL;
}

static int
echo_listen(struct echo *e)
{
	int n;

	e->addr.sun_family = AF_UNIX;
	/* Abstract: sun_path[0] stays NUL. */
	n = snprintf(e->addr.sun_path + 1, sizeof(e->addr.sun_path) - 1, "credagent-echo-floor-%ld",
	             (long)getpid());
	e->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	e->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (e->listen_fd < 0 ||
	    bind(e->listen_fd, (const struct sockaddr *)&e->addr, e->addr_len) < 0 ||
	    listen(e->listen_fd, 128) < 0)
		return -errno;
	return 0;
}

static int
ec_open(void *arg, unsigned long idx, void **ret_state)
{
	const struct echo *e = arg;
	struct echo_conn *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->bytes = e->bytes;
	s->qbytes = e->qbytes;
	memset(s->buf, (int)('a' + idx % 26), sizeof(s->buf));
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (const struct sockaddr *)&e->addr, e->addr_len) < 0) {
		r = -errno;
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return r;
	}
	*ret_state = s;
	return 0;
}

static int
ec_once(void *state)
{
	struct echo_conn *s = state;
	size_t off;
	ssize_t n;

	for (off = 0; off < s->qbytes; off += (size_t)n) {
		n = send(s->fd, s->buf + off, s->qbytes - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
	}
	for (off = 0; off < s->bytes; off += (size_t)n) {
		n = recv(s->fd, s->buf + off, s->bytes - off, 0);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
	}
	return 0;
}

static void
ec_close(void *state)
{
	struct echo_conn *s = state;

	close(s->fd);
	free(s);
}

static const char *
ec_describe(void *state, int err)
{
	(void)state;
	return strerror(-err);
}

/* With -p: " server_cpu=Xus", the server process's CPU time (from the
 * scheduler, as make bench reads the agent's) per round trip served. */
static void
ec_extra(void *arg, unsigned long served, char *buf, size_t size)
{
	const struct echo *e = arg;
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	if (e->server <= 0 || served == 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)e->server);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fscanf(f, "%llu", &ns) == 1)
		snprintf(buf, size, " server_cpu=%.2fus", (double)ns / (double)served / 1000.0);
	fclose(f);
}

int
main(int argc, char **argv)
{
	static const struct bench_ops ops = {ec_open, ec_once, ec_close, ec_describe, ec_extra};
	struct bench_opts o = {.clients = 1, .requests = 10000, .warmup = 200, .limit_s = 60};
	static struct echo e; /* its table is 8 KiB */
	unsigned long bytes = 32, qbytes = 0;
	pthread_t server;
	pid_t child = -1;
	int c, r, bad = 0, fork_server = 0;

	while ((c = getopt(argc, argv, "pPn:c:w:t:b:q:")) != -1) {
		switch (c) {
		case 'p': fork_server = 1; break;
		case 'P': o.procs = 1; break;
		case 'n':
			bad |= bench_parse_ul(optarg, 1, BENCH_REQUESTS_MAX, "-n", &o.requests);
			break;
		case 'c':
			bad |= bench_parse_ul(optarg, 1, BENCH_CLIENTS_MAX, "-c", &o.clients);
			break;
		case 'w':
			bad |= bench_parse_ul(optarg, 0, BENCH_REQUESTS_MAX, "-w", &o.warmup);
			break;
		case 't':
			bad |= bench_parse_ul(optarg, 1, BENCH_LIMIT_MAX, "-t", &o.limit_s);
			break;
		case 'b': bad |= bench_parse_ul(optarg, 1, ECHO_BYTES_MAX, "-b", &bytes); break;
		case 'q': bad |= bench_parse_ul(optarg, 1, ECHO_BYTES_MAX, "-q", &qbytes); break;
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc) {
		fprintf(stderr,
		        "usage: echo-floor [-p] [-P] [-n REQUESTS] [-c CLIENTS] [-w WARMUP] "
		        "[-t LIMIT] [-b BYTES] [-q QBYTES]\n");
		return 2;
	}
	e.bytes = bytes;
	e.qbytes = qbytes != 0 ? qbytes : bytes;
	r = echo_listen(&e);
	if (r < 0) {
		fprintf(stderr, "echo-floor: cannot listen: %s\n", strerror(-r));
		return 1;
	}
	if (fork_server) {
		child = fork();
		if (child == 0) {
			/* Dies with its parent, whatever way that goes. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
				_exit(1);
			server_main(&e);
		}
		if (child < 0) {
			fprintf(stderr, "echo-floor: cannot fork the server: %s\n",
			        strerror(errno));
			return 1;
		}
		e.server = child;
		close(e.listen_fd);
	} else if (pthread_create(&server, NULL, server_main, &e) != 0 ||
	           pthread_detach(server) != 0) {
		fprintf(stderr, "echo-floor: cannot start the server thread\n");
		return 1;
	}
	/* A server thread runs until the process exits. */
	r = bench_run("echo-floor", &o, &ops, &e);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return r == 0 ? 0 : 1;
}
