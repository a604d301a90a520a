/* SPDX-License-Identifier: MIT */
/*
 * get-loop: N GET requests for one name over one connection, pipelined,
 * for the integration tests that need many requests fast (a cred process
 * per request would take minutes).
 *
 *   get-loop [-d DEPTH] [-t SECS] [-r RATE] [-v VERSION] [-o OWNER] [-u] [-m TYPE]
 *            SOCK NAME N
 *
 * Keeps at most DEPTH (default 64) requests in flight and stops sending
 * after SECS (default 60) seconds. -o names another owner's secret (uid);
 * -u makes every name unique: NAME/1, NAME/2, ...; -m sends message TYPE
 * (decimal; one whose body is OWNER?, NAME, VERSION?, such as
 * USAGE_RESET 32) instead of GET; -r sends at most RATE
 * requests per second (default: as fast as the agent answers). Prints one
 * line:
 *   sent N replies R secs S pid P sST=COUNT...
 * with the count of replies per status code (s0 OK, s3 NOT_FOUND, s14
 * RATE_LIMITED...). Exit status: 0 when every request got a reply, 1
 * otherwise (the agent closed the connection, a timeout), 2 usage.
 *
 * The frames are built by hand (docs/PROTOCOL.md): u32 length | u8 type
 * (GET 0x04) | u32 request id | fields (OWNER: tag 16, kind 1 u32; NAME:
 * tag 17, kind 4 string; VERSION: tag 18, kind 1 u32); a reply carries a
 * u16 status after the request id.
 */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/tool-util.h"

#define MSG_GET 0x04u
#define TAG_OWNER 16u
#define TAG_NAME 17u
#define TAG_VERSION 18u
#define KIND_U32 1u
#define KIND_STRING 4u
#define STATUS_CODES 64u
#define RBUF_SIZE (1u << 20)

static void
usage(void)
{
	fprintf(stderr,
	        "usage: get-loop [-d DEPTH] [-t SECS] [-r RATE] [-v VERSION] [-o OWNER] [-u] "
	        "[-m TYPE] SOCK NAME N\n");
}

struct req {
	const char *name;
	size_t namelen;
	bool has_owner, unique;
	uint32_t owner, version;
	uint8_t type; /* the message type: GET unless -m */
};

/* Request number I (from 1) into FRAME; its length. */
static size_t
build(const struct req *q, uint64_t i, uint8_t *frame)
{
	char suffix[24];
	size_t flen = 9, slen = 0;

	if (q->unique)
		slen = (size_t)snprintf(suffix, sizeof(suffix), "/%llu", (unsigned long long)i);
	if (q->has_owner) {
		frame[flen++] = TAG_OWNER;
		frame[flen++] = KIND_U32;
		put_be32(frame + flen, 4);
		put_be32(frame + flen + 4, q->owner);
		flen += 8;
	}
	frame[flen++] = TAG_NAME;
	frame[flen++] = KIND_STRING;
	put_be32(frame + flen, (uint32_t)(q->namelen + slen));
	flen += 4;
	memcpy(frame + flen, q->name, q->namelen);
	flen += q->namelen;
	memcpy(frame + flen, suffix, slen);
	flen += slen;
	if (q->version != 0) {
		frame[flen++] = TAG_VERSION;
		frame[flen++] = KIND_U32;
		put_be32(frame + flen, 4);
		put_be32(frame + flen + 4, q->version);
		flen += 8;
	}
	put_be32(frame, (uint32_t)(flen - 4));
	frame[4] = q->type;
	put_be32(frame + 5, (uint32_t)i);
	return flen;
}

int
main(int argc, char **argv)
{
	unsigned long depth = 64, secs = 60, version = 0, owner = 0, rate = 0, mtype = 0, n;
	struct req q = {0};
	unsigned long long counts[STATUS_CODES + 1] = {0};
	uint64_t sent = 0, replies = 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t frame[4 + 1 + 4 + 10 + 6 + 255 + 24 + 10], *rbuf;
	size_t flen, rlen = 0;
	double t0, deadline;
	int c, fd, rc = 0;

	q.type = MSG_GET;
	while ((c = getopt(argc, argv, "d:t:r:v:o:um:")) != -1) {
		switch (c) {
		case 'm':
			/* Another message whose body is OWNER?, NAME, VERSION?. */
			if (parse_ul(optarg, 0x7f, &mtype) < 0 || mtype == 0)
				return usage(), 2;
			q.type = (uint8_t)mtype;
			break;
		case 'd':
			if (parse_ul(optarg, 100000, &depth) < 0 || depth == 0)
				return usage(), 2;
			break;
		case 't':
			if (parse_ul(optarg, 3600, &secs) < 0)
				return usage(), 2;
			break;
		case 'v':
			if (parse_ul(optarg, UINT32_MAX, &version) < 0 || version == 0)
				return usage(), 2;
			break;
		case 'r':
			if (parse_ul(optarg, 100000000, &rate) < 0 || rate == 0)
				return usage(), 2;
			break;
		case 'o':
			if (parse_ul(optarg, UINT32_MAX, &owner) < 0)
				return usage(), 2;
			q.has_owner = true;
			break;
		case 'u': q.unique = true; break;
		default: usage(); return 2;
		}
	}
	if (argc - optind != 3 || parse_ul(argv[optind + 2], 100000000, &n) < 0) {
		usage();
		return 2;
	}
	q.name = argv[optind + 1];
	q.namelen = strlen(q.name);
	q.owner = (uint32_t)owner;
	q.version = (uint32_t)version;
	if (q.namelen == 0 || q.namelen > (q.unique ? 230u : 255u) ||
	    strlen(argv[optind]) >= sizeof(sa.sun_path)) {
		usage();
		return 2;
	}
	memcpy(sa.sun_path, argv[optind], strlen(argv[optind]) + 1);

	rbuf = malloc(RBUF_SIZE);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rbuf == NULL || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "get-loop: connect %s: %s\n", sa.sun_path, strerror(errno));
		return 1;
	}
	t0 = now();
	deadline = t0 + (double)secs;
	while (replies < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr;

		/* Fill the window. */
		while (sent < n && sent - replies < depth && now() < deadline &&
		       (rate == 0 || (double)sent < (now() - t0) * (double)rate + 1.0)) {
			ssize_t w;
			size_t off = 0;

			flen = build(&q, sent + 1, frame);
			while (off < flen) {
				w = send(fd, frame + off, flen - off, MSG_NOSIGNAL);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					fprintf(stderr, "get-loop: send: %s\n", strerror(errno));
					rc = 1;
					goto out;
				}
				off += (size_t)w;
			}
			sent++;
		}
		if (sent == replies && (sent == n || now() >= deadline))
			break; /* the deadline passed with nothing in flight */
		pr = poll(&pfd, 1, sent == replies ? 1 : 10000);
		if (pr == 0 && sent == replies)
			continue; /* pacing: nothing in flight, wait for the next slot */
		if (pr <= 0) {
			fprintf(stderr, "get-loop: no reply within 10 s\n");
			rc = 1;
			goto out;
		}
		{
			ssize_t r = recv(fd, rbuf + rlen, RBUF_SIZE - rlen, 0);
			size_t o = 0;

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "get-loop: the agent closed the connection\n");
				rc = 1;
				goto out;
			}
			rlen += (size_t)r;
			while (rlen - o >= 4) {
				uint32_t len = get_be32(rbuf + o);
				unsigned st;

				if (len < 7 || len > RBUF_SIZE - 4) {
					fprintf(stderr, "get-loop: bad reply length %u\n", len);
					rc = 1;
					goto out;
				}
				if (rlen - o < 4 + (size_t)len)
					break;
				st = (unsigned)(rbuf[o + 9] << 8 | rbuf[o + 10]);
				counts[st < STATUS_CODES ? st : STATUS_CODES]++;
				replies++;
				o += 4 + (size_t)len;
			}
			memmove(rbuf, rbuf + o, rlen - o);
			rlen -= o;
		}
	}
out:
	printf("sent %llu replies %llu secs %.2f pid %ld", (unsigned long long)sent,
	       (unsigned long long)replies, now() - t0, (long)getpid());
	for (unsigned i = 0; i <= STATUS_CODES; i++)
		if (counts[i] != 0)
			printf(" s%u=%llu", i, counts[i]);
	printf("\n");
	close(fd);
	free(rbuf);
	if (rc == 0 && replies < n)
		rc = 1;
	return rc;
}
