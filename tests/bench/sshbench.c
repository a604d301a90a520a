/* SPDX-License-Identifier: MIT */
/*
 * sshbench: ssh-agent's list-identities round trip, the peer DESIGN §10
 * compares GET with, for make bench.
 *
 *   sshbench -s SOCK [-K KEYS] [-P] [-n REQUESTS] [-c CLIENTS] [-w WARMUP]
 *            [-t LIMIT]
 *
 * CLIENTS threads (default 1), or with -P processes, each connected to
 * the agent socket SOCK, each sending SSH2_AGENTC_REQUEST_IDENTITIES
 * (u32 length 1 | u8 11) and reading the whole SSH2_AGENT_IDENTITIES_ANSWER
 * (u32 length | u8 12 | u32 key count | keys), checking the type and, with
 * -K, the key count. Defaults and the result line as getbench's
 * (bench.h). Exit status: 0 ran, 1 failed, 2 usage.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

#define AGENTC_REQUEST_IDENTITIES 11u
#define AGENT_IDENTITIES_ANSWER   12u
#define REPLY_MAX                 (256u << 10)
#define SSHBENCH_E_REPLY          (-1000)

struct sshbench {
	const char *sock;
	long keys; /* -1: any count */
};

struct ssh_conn {
	int fd;
	const struct sshbench *sb;
	uint8_t *buf;
	char why[120];
};

static int
sb_open(void *arg, unsigned long idx, void **ret_state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct ssh_conn *s;
	int r;

	(void)idx;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->sb = arg;
	s->buf = malloc(REPLY_MAX);
	if (s->buf == NULL || strlen(s->sb->sock) >= sizeof(addr.sun_path)) {
		r = s->buf == NULL ? -ENOMEM : -ENAMETOOLONG;
		free(s->buf);
		free(s);
		return r;
	}
	memcpy(addr.sun_path, s->sb->sock, strlen(s->sb->sock));
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		if (s->fd >= 0)
			close(s->fd);
		free(s->buf);
		free(s);
		return r;
	}
	*ret_state = s;
	return 0;
}

static int
read_full(int fd, uint8_t *p, size_t len)
{
	size_t off;
	ssize_t n;

	for (off = 0; off < len; off += (size_t)n) {
		n = recv(fd, p + off, len - off, 0);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
	}
	return 0;
}

static uint32_t
load_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
sb_once(void *state)
{
	static const uint8_t req[5] = {0, 0, 0, 1, AGENTC_REQUEST_IDENTITIES};
	struct ssh_conn *s = state;
	uint32_t len, keys;
	ssize_t n;
	int r;

	do
		n = send(s->fd, req, sizeof(req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(req))
		return n < 0 ? -errno : -EPIPE;
	if ((r = read_full(s->fd, s->buf, 4)) < 0)
		return r;
	len = load_u32(s->buf);
	if (len < 5 || len > REPLY_MAX) {
		snprintf(s->why, sizeof(s->why), "a reply of %u bytes", len);
		return SSHBENCH_E_REPLY;
	}
	if ((r = read_full(s->fd, s->buf, len)) < 0)
		return r;
	keys = load_u32(s->buf + 1);
	if (s->buf[0] != AGENT_IDENTITIES_ANSWER || (s->sb->keys >= 0 && keys != s->sb->keys)) {
		snprintf(s->why, sizeof(s->why), "reply type %u with %u keys", s->buf[0], keys);
		return SSHBENCH_E_REPLY;
	}
	return 0;
}

static void
sb_close(void *state)
{
	struct ssh_conn *s = state;

	close(s->fd);
	free(s->buf);
	free(s);
}

static const char *
sb_describe(void *state, int err)
{
	struct ssh_conn *s = state;

	return err == SSHBENCH_E_REPLY ? s->why : strerror(-err);
}

int
main(int argc, char **argv)
{
	static const struct bench_ops ops = {sb_open, sb_once, sb_close, sb_describe, NULL};
	struct bench_opts o = {.clients = 1, .requests = 10000, .warmup = 200, .limit_s = 60};
	struct sshbench sb = {.keys = -1};
	unsigned long keys;
	int c, bad = 0;

	while ((c = getopt(argc, argv, "s:K:Pn:c:w:t:")) != -1) {
		switch (c) {
		case 's': sb.sock = optarg; break;
		case 'K':
			bad |= bench_parse_ul(optarg, 0, 100000, "-K", &keys);
			sb.keys = (long)keys;
			break;
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
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc || sb.sock == NULL) {
		fprintf(stderr, "usage: sshbench -s SOCK [-K KEYS] [-P] [-n REQUESTS] [-c CLIENTS] "
		                "[-w WARMUP] [-t LIMIT]\n");
		return 2;
	}
	return bench_run("sshbench", &o, &ops, &sb) == 0 ? 0 : 1;
}
