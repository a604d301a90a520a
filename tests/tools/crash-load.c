/* SPDX-License-Identifier: MIT */
/*
 * crash-load: a durable-write load that logs exactly which writes the
 * agent acknowledged, and a checker that reads them all back; for the
 * crash tests (tests/integration/70-crash.t, 71-sync-before-reply.t).
 *
 *   crash-load write [-c CLIENTS] [-n OPS] [-d DEPTH] [-t SECS] [-s SEED]
 *                    SOCK PREFIX LOGBASE
 *   crash-load check [-d DEPTH] SOCK LOG...
 *
 * write forks CLIENTS (default 4) processes, each with its own connection,
 * each sending OPS (default 100) writes with at most DEPTH (default 4) in
 * flight (pipelined), to the names PREFIX/cC/kK (K 0..3: its own) and
 * PREFIX/s/kK (shared by every client). A write is a PUT (the first to
 * each own name, then half of them), a ROTATE with a value, or a ROTATE
 * that has the agent generate the value and return it (PRINT). Values are
 * 1 to 300 bytes, and one in 16 is 16 to 80 KiB (overflow pages), made
 * from a seed so the log stays small. Each client appends to
 * LOGBASE.cC, one line per event, written with write(2) as it happens:
 *
 *   S REQID NAME LEN SEED      sent (a value of LEN bytes from SEED)
 *   G REQID NAME               sent: a generated ROTATE
 *   A REQID NAME VERSION LEN SEED   acknowledged: status OK, version
 *   A REQID NAME VERSION = HEX      acknowledged generated value
 *   F REQID NAME STATUS        answered with another status
 *   E why                      the connection ended (the agent died)
 *
 * Every PUT carries MAX_VERSIONS 100, so no version acknowledged in a run
 * of at most 100 writes to a name is pruned. A client stops when its OPS
 * are answered, after SECS (default 30), or when the connection breaks
 * (exit 0 all the same: a killed agent is the point).
 *
 * check reads the logs and asks the agent over one connection, with at
 * most DEPTH (default 1) GETs in flight (more than one GET of a value
 * over 64 KiB in flight stalls the agent until its idle timeout closes
 * the connection: see 72-hostile-load.t):
 * every acknowledged (NAME, VERSION) must read back with exactly its
 * value; each name's current version must be at least its highest
 * acknowledged one; every version from 1 to the current one must exist
 * and hold a value that was sent to that name (a write whose reply was
 * lost to the kill may or may not be there, but never torn or foreign),
 * or, for a name with an unacknowledged generated ROTATE, any value.
 * Prints "names N versions V acked A unacked-present U" and one line per
 * problem; exit 0 when there is none, 1 otherwise, 2 on usage.
 *
 * Frames are built by hand as in get-loop.c (docs/PROTOCOL.md): u32
 * length | u8 type | u32 request id | fields (tag u8, kind u8, u32
 * length, bytes); replies add a u16 status after the request id.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/tool-util.h"

#define MSG_PUT 0x03u
#define MSG_GET 0x04u
#define MSG_ROTATE 0x08u
#define TAG_NAME 17u
#define TAG_VERSION 18u
#define TAG_MAX_VERSIONS 22u
#define TAG_VALUE 32u
#define TAG_FLAGS 43u
#define TAG_GEN_LENGTH 46u
#define TAG_CHARSET 47u
#define KIND_U32 1u
#define KIND_BYTES 3u
#define KIND_STRING 4u
#define ST_OK 0u
#define ST_NOT_FOUND 3u

#define NAME_MAX_LEN 255u
#define VALUE_MAX (80u * 1024u)
#define FRAME_MAX (VALUE_MAX + 1024u)
#define RBUF_SIZE (2u * 1024u * 1024u)
#define MAX_DEPTH 64u

static void
usage(void)
{
	fprintf(stderr, "usage: crash-load write [-c CLIENTS] [-n OPS] [-d DEPTH] [-t SECS] "
			"[-s SEED] SOCK PREFIX LOGBASE\n"
			"       crash-load check [-d DEPTH] SOCK LOG...\n");
}

/* ---- values from seeds (splitmix64) ---- */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
fill_value(uint8_t *v, size_t len, uint64_t seed)
{
	uint64_t s = seed;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = splitmix(&s);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			v[i + k] = (uint8_t)(r >> (8 * k));
	}
}

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h ^ n;
}

/* ---- frames ---- */

struct fb {
	uint8_t *p;
	size_t len;
};

static void
fb_start(struct fb *f, uint8_t type, uint32_t reqid)
{
	f->len = 9;
	f->p[4] = type;
	put_be32(f->p + 5, reqid);
}

static void
fb_field(struct fb *f, uint8_t tag, uint8_t kind, const void *data, size_t n)
{
	f->p[f->len++] = tag;
	f->p[f->len++] = kind;
	put_be32(f->p + f->len, (uint32_t)n);
	f->len += 4;
	if (n > 0)
		memcpy(f->p + f->len, data, n);
	f->len += n;
}

static void
fb_u32(struct fb *f, uint8_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	fb_field(f, tag, KIND_U32, b, 4);
}

static void
fb_end(struct fb *f)
{
	put_be32(f->p, (uint32_t)(f->len - 4));
}

/* A reply's VERSION and VALUE (pointers into the frame). */
struct reply {
	uint32_t reqid;
	unsigned status;
	bool has_version;
	uint32_t version;
	const uint8_t *value;
	size_t value_len;
	bool has_value;
};

static int
parse_reply(const uint8_t *fr, size_t len, struct reply *r)
{
	size_t o = 11;

	memset(r, 0, sizeof(*r));
	if (len < 11)
		return -1;
	r->reqid = get_be32(fr + 5);
	r->status = (unsigned)(fr[9] << 8 | fr[10]);
	while (o + 6 <= len) {
		uint8_t tag = fr[o];
		uint32_t flen = get_be32(fr + o + 2);

		o += 6;
		if (flen > len - o)
			return -1;
		if (tag == TAG_VERSION && flen == 4) {
			r->has_version = true;
			r->version = get_be32(fr + o);
		} else if (tag == TAG_VALUE) {
			r->has_value = true;
			r->value = fr + o;
			r->value_len = flen;
		}
		o += flen;
	}
	return o == len ? 0 : -1;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(fd, p + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* A reader of reply frames over one connection. */
struct rd {
	int fd;
	uint8_t *buf;
	size_t len, pos;
};

/* The next whole frame (pointer, length), waiting up to TIMEOUT_MS; 1 on
 * a frame, 0 on timeout, -1 on EOF or error (errno, or 0 for EOF). */
static int
rd_next(struct rd *r, int timeout_ms, const uint8_t **fr, size_t *flen)
{
	for (;;) {
		if (r->len - r->pos >= 4) {
			uint32_t l = get_be32(r->buf + r->pos);

			if (l < 7 || l > RBUF_SIZE - 4) {
				errno = EPROTO;
				return -1;
			}
			if (r->len - r->pos >= 4 + (size_t)l) {
				*fr = r->buf + r->pos;
				*flen = 4 + (size_t)l;
				r->pos += 4 + (size_t)l;
				return 1;
			}
		}
		if (r->pos > 0) {
			memmove(r->buf, r->buf + r->pos, r->len - r->pos);
			r->len -= r->pos;
			r->pos = 0;
		}
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		int pr = poll(&p, 1, timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -1;
		if (pr == 0)
			return 0;
		ssize_t n = recv(r->fd, r->buf + r->len, RBUF_SIZE - r->len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		r->len += (size_t)n;
	}
}

/* ---- write ---- */

static int logfd = -1;

static void
logf_(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write per line, O_APPEND: a line is there whole or not at all. */
	if (write(logfd, line, (size_t)n) < 0)
		_exit(3);
}

struct inflight {
	uint32_t reqid;
	char name[64];
	bool generated;
	size_t len;
	uint64_t seed;
};

static uint64_t
rnd64(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		abort();
	return v;
}

static int
client(const char *sock, const char *prefix, unsigned cid, unsigned long ops,
       unsigned long depth, double deadline, uint64_t seed)
{
	struct inflight fl[MAX_DEPTH];
	size_t head = 0, n_fl = 0;
	struct fb f;
	uint8_t *val;
	struct rd r = {0};
	unsigned long sent = 0, answered = 0;
	bool created[4] = {false, false, false, false};
	uint64_t rs = seed ^ ((uint64_t)cid << 40);
	int fd;

	f.p = malloc(FRAME_MAX);
	val = malloc(VALUE_MAX);
	r.buf = malloc(RBUF_SIZE);
	if (f.p == NULL || val == NULL || r.buf == NULL)
		return 1;
	fd = connect_to(sock);
	if (fd < 0) {
		logf_("E connect: %s\n", strerror(errno));
		return 0;
	}
	r.fd = fd;
	while (answered < ops) {
		while (sent < ops && n_fl < depth && now() < deadline) {
			struct inflight *q = &fl[(head + n_fl) % MAX_DEPTH];
			uint64_t x = splitmix(&rs);
			unsigned k = (unsigned)(x & 3u);
			bool shared = ((x >> 2) & 1u) != 0;
			unsigned kind = (unsigned)((x >> 3) % 4u); /* 0,1 put; 2 rotate; 3 gen */

			q->reqid = (uint32_t)(sent + 1);
			if (shared)
				snprintf(q->name, sizeof(q->name), "%s/s/k%u", prefix, k);
			else
				snprintf(q->name, sizeof(q->name), "%s/c%u/k%u", prefix, cid, k);
			if (!shared && !created[k])
				kind = 0;
			q->generated = kind == 3;
			fb_start(&f, kind <= 1 ? MSG_PUT : MSG_ROTATE, q->reqid);
			fb_field(&f, TAG_NAME, KIND_STRING, q->name, strlen(q->name));
			if (kind <= 1)
				fb_u32(&f, TAG_MAX_VERSIONS, 100);
			if (q->generated) {
				uint32_t glen = 8u + (uint32_t)((x >> 8) % 57u);

				fb_u32(&f, TAG_FLAGS, 1); /* PRINT */
				fb_u32(&f, TAG_GEN_LENGTH, glen);
				fb_u32(&f, TAG_CHARSET, (uint32_t)((x >> 16) % 4u));
				logf_("G %" PRIu32 " %s\n", q->reqid, q->name);
			} else {
				if (((x >> 20) & 15u) == 0)
					q->len = 16384u + (size_t)((x >> 24) % (VALUE_MAX - 16384u));
				else
					q->len = 1u + (size_t)((x >> 24) % 300u);
				q->seed = splitmix(&rs);
				fill_value(val, q->len, q->seed);
				fb_field(&f, TAG_VALUE, KIND_BYTES, val, q->len);
				logf_("S %" PRIu32 " %s %zu %" PRIu64 "\n", q->reqid, q->name, q->len,
				      q->seed);
			}
			if (!shared && kind == 0)
				created[k] = true;
			fb_end(&f);
			if (send_all(fd, f.p, f.len) < 0) {
				logf_("E send: %s\n", strerror(errno));
				goto out;
			}
			sent++;
			n_fl++;
		}
		if (n_fl == 0)
			break; /* deadline */
		const uint8_t *fr;
		size_t flen;
		struct reply rep;
		int rr = rd_next(&r, 30000, &fr, &flen);

		if (rr <= 0) {
			logf_("E %s\n", rr == 0 ? "no reply within 30 s"
				  : errno == 0 ? "eof" : strerror(errno));
			goto out;
		}
		struct inflight *q = &fl[head];

		if (parse_reply(fr, flen, &rep) < 0 || rep.reqid != q->reqid) {
			logf_("E bad reply (id %" PRIu32 ", expected %" PRIu32 ")\n", rep.reqid,
			      q->reqid);
			goto out;
		}
		head = (head + 1) % MAX_DEPTH;
		n_fl--;
		answered++;
		if (rep.status != ST_OK || !rep.has_version) {
			logf_("F %" PRIu32 " %s %u\n", q->reqid, q->name, rep.status);
			continue;
		}
		if (q->generated) {
			char hex[2 * 4096 + 1];
			size_t n = rep.has_value && rep.value_len <= 4096 ? rep.value_len : 0;

			for (size_t i = 0; i < n; i++)
				snprintf(hex + 2 * i, 3, "%02x", rep.value[i]);
			hex[2 * n] = '\0';
			logf_("A %" PRIu32 " %s %" PRIu32 " = %s\n", q->reqid, q->name, rep.version,
			      n > 0 ? hex : "?");
		} else {
			logf_("A %" PRIu32 " %s %" PRIu32 " %zu %" PRIu64 "\n", q->reqid, q->name,
			      rep.version, q->len, q->seed);
		}
	}
out:
	close(fd);
	free(f.p);
	free(val);
	free(r.buf);
	return 0;
}

static int
cmd_write(int argc, char **argv)
{
	unsigned long clients = 4, ops = 100, depth = 4, secs = 30, seed = 0;
	char path[4096];
	int c, rc = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "c:n:d:t:s:")) != -1) {
		switch (c) {
		case 'c':
			if (parse_ul(optarg, 64, &clients) < 0 || clients == 0)
				return usage(), 2;
			break;
		case 'n':
			if (parse_ul(optarg, 100000, &ops) < 0)
				return usage(), 2;
			break;
		case 'd':
			if (parse_ul(optarg, MAX_DEPTH, &depth) < 0 || depth == 0)
				return usage(), 2;
			break;
		case 't':
			if (parse_ul(optarg, 3600, &secs) < 0)
				return usage(), 2;
			break;
		case 's':
			if (parse_ul(optarg, ULONG_MAX, &seed) < 0)
				return usage(), 2;
			break;
		default: usage(); return 2;
		}
	}
	if (argc - optind != 3 || strlen(argv[optind + 1]) > 40)
		return usage(), 2;
	if (seed == 0)
		seed = (unsigned long)rnd64();
	for (unsigned long i = 0; i < clients; i++) {
		pid_t pid;

		snprintf(path, sizeof(path), "%s.c%lu", argv[optind + 2], i);
		logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (logfd < 0) {
			fprintf(stderr, "crash-load: %s: %s\n", path, strerror(errno));
			return 1;
		}
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(client(argv[optind], argv[optind + 1], (unsigned)i, ops, depth,
				     now() + (double)secs, (uint64_t)seed));
		close(logfd);
	}
	for (unsigned long i = 0; i < clients; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}
	return rc;
}

/* ---- check ---- */

struct ack {
	uint32_t version;
	bool gen;
	size_t len;
	uint64_t seed;
	uint8_t *genval;
};

struct name {
	char name[NAME_MAX_LEN + 1];
	struct ack *acks;
	size_t n_acks, cap_acks;
	uint64_t *sent; /* fnv of each value sent */
	size_t n_sent, cap_sent;
	unsigned gen_sent, gen_acked;
	uint32_t max_acked;
};

static struct name *names;
static size_t n_names, cap_names;
static unsigned problems;

static void
problem(const char *fmt, ...)
{
	va_list ap;

	if (++problems > 50)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static struct name *
name_get(const char *s)
{
	for (size_t i = 0; i < n_names; i++)
		if (strcmp(names[i].name, s) == 0)
			return &names[i];
	if (n_names == cap_names) {
		cap_names = cap_names ? 2 * cap_names : 64;
		names = realloc(names, cap_names * sizeof(*names));
		if (names == NULL)
			abort();
	}
	memset(&names[n_names], 0, sizeof(names[0]));
	snprintf(names[n_names].name, sizeof(names[0].name), "%s", s);
	return &names[n_names++];
}

static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 16;
	p = realloc(p, *cap * size);
	if (p == NULL)
		abort();
	return p;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int
load_log(const char *path, uint8_t *scratch)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (fp == NULL) {
		fprintf(stderr, "crash-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		char nm[NAME_MAX_LEN + 1], extra[16];
		unsigned long reqid, version;
		size_t len;
		uint64_t seed;
		struct name *n;

		if (line[0] == 'S' &&
		    sscanf(line, "S %lu %255s %zu %" SCNu64, &reqid, nm, &len, &seed) == 4) {
			if (len > VALUE_MAX)
				continue;
			n = name_get(nm);
			n->sent = grow(n->sent, &n->cap_sent, n->n_sent, sizeof(uint64_t));
			fill_value(scratch, len, seed);
			n->sent[n->n_sent++] = fnv(scratch, len);
		} else if (line[0] == 'G' && sscanf(line, "G %lu %255s", &reqid, nm) == 2) {
			name_get(nm)->gen_sent++;
		} else if (line[0] == 'A' &&
			   sscanf(line, "A %lu %255s %lu %15s", &reqid, nm, &version, extra) == 4) {
			struct ack a = {.version = (uint32_t)version};

			if (strcmp(extra, "=") == 0) {
				const char *h = strstr(line, " = ") + 3;
				size_t hl = strcspn(h, "\n");

				a.gen = true;
				a.len = hl / 2;
				a.genval = malloc(a.len + 1);
				if (a.genval == NULL)
					abort();
				for (size_t i = 0; i < a.len; i++)
					a.genval[i] = (uint8_t)(hexval(h[2 * i]) << 4 |
								hexval(h[2 * i + 1]));
			} else if (sscanf(line, "A %lu %255s %lu %zu %" SCNu64, &reqid, nm, &version,
					  &a.len, &a.seed) != 5 ||
				   a.len > VALUE_MAX) {
				continue;
			}
			n = name_get(nm);
			n->acks = grow(n->acks, &n->cap_acks, n->n_acks, sizeof(struct ack));
			for (size_t i = 0; i < n->n_acks; i++)
				if (n->acks[i].version == a.version)
					problem("%s: version %u acknowledged twice", nm, a.version);
			n->acks[n->n_acks++] = a;
			if (a.gen)
				n->gen_acked++;
			if (a.version > n->max_acked)
				n->max_acked = a.version;
		}
	}
	free(line);
	fclose(fp);
	return 0;
}

/* One GET per (name, version) to ask, pipelined; VERSION 0: the current. */
struct ask {
	struct name *n;
	uint32_t version;
};

static int
cmd_check(int argc, char **argv)
{
	uint8_t *scratch = malloc(VALUE_MAX), *fbuf = malloc(1024);
	struct rd r = {0};
	struct fb f = {.p = fbuf};
	struct ask *asks = NULL;
	size_t n_asks = 0, cap_asks = 0, sent = 0, got = 0;
	unsigned long versions = 0, acked = 0, unacked = 0, depth = 1;
	int fd, c;

	optind = 1;
	while ((c = getopt(argc, argv, "d:")) != -1) {
		if (c != 'd' || parse_ul(optarg, 1024, &depth) < 0 || depth == 0)
			return usage(), 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3)
		return usage(), 2;
	r.buf = malloc(RBUF_SIZE);
	if (scratch == NULL || fbuf == NULL || r.buf == NULL)
		return 1;
	for (int i = 2; i < argc; i++)
		if (load_log(argv[i], scratch) < 0)
			return 1;
	fd = connect_to(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "crash-load: connect %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r.fd = fd;
	/* Round 1: each name's current version. */
	for (int round = 0; round < 2; round++) {
		n_asks = sent = got = 0;
		for (size_t i = 0; i < n_names; i++) {
			struct name *n = &names[i];

			if (round == 0) {
				asks = grow(asks, &cap_asks, n_asks, sizeof(*asks));
				asks[n_asks++] = (struct ask){n, 0};
				continue;
			}
			/* Round 2: every version up to the current one (kept in
			 * max_acked by round 1). */
			for (uint32_t v = 1; v <= n->max_acked; v++) {
				asks = grow(asks, &cap_asks, n_asks, sizeof(*asks));
				asks[n_asks++] = (struct ask){n, v};
			}
		}
		while (got < n_asks) {
			while (sent < n_asks && sent - got < depth) {
				struct ask *a = &asks[sent];

				fb_start(&f, MSG_GET, (uint32_t)(sent + 1));
				fb_field(&f, TAG_NAME, KIND_STRING, a->n->name, strlen(a->n->name));
				if (a->version != 0)
					fb_u32(&f, TAG_VERSION, a->version);
				fb_end(&f);
				if (send_all(fd, f.p, f.len) < 0) {
					fprintf(stderr, "crash-load: send: %s\n", strerror(errno));
					return 1;
				}
				sent++;
			}
			const uint8_t *fr;
			size_t flen;
			struct reply rep;
			int rr = rd_next(&r, 30000, &fr, &flen);

			if (rr <= 0 || parse_reply(fr, flen, &rep) < 0 ||
			    rep.reqid != (uint32_t)(got + 1)) {
				fprintf(stderr, "crash-load: the agent did not answer (%s)\n",
					rr == 0 ? "timeout" : rr < 0 ? "closed" : "bad reply");
				return 1;
			}
			struct ask *a = &asks[got++];
			struct name *n = a->n;

			if (round == 0) {
				if (rep.status == ST_NOT_FOUND && n->max_acked == 0)
					continue; /* never acknowledged, not there */
				if (rep.status != ST_OK || !rep.has_version) {
					problem("%s: the current version does not read (status %u)",
						n->name, rep.status);
					n->max_acked = 0;
					continue;
				}
				if (rep.version < n->max_acked)
					problem("%s: current version %u, but version %u was "
						"acknowledged",
						n->name, rep.version, n->max_acked);
				/* From here on max_acked is the current version. */
				n->max_acked = rep.version;
				continue;
			}
			versions++;
			struct ack *ak = NULL;

			for (size_t i = 0; i < n->n_acks; i++)
				if (n->acks[i].version == a->version)
					ak = &n->acks[i];
			if (rep.status != ST_OK || !rep.has_value) {
				problem("%s: version %u does not read (status %u)%s", n->name,
					a->version, rep.status, ak ? ": it was acknowledged" : "");
				continue;
			}
			if (rep.version != a->version)
				problem("%s: asked for version %u, got %u", n->name, a->version,
					rep.version);
			if (ak != NULL) {
				const uint8_t *want = ak->genval;

				acked++;
				if (!ak->gen) {
					fill_value(scratch, ak->len, ak->seed);
					want = scratch;
				}
				if (rep.value_len != ak->len || memcmp(rep.value, want, ak->len) != 0)
					problem("%s: version %u reads %zu bytes that are not the %zu "
						"acknowledged",
						n->name, a->version, rep.value_len, ak->len);
				continue;
			}
			unacked++;
			uint64_t h = fnv(rep.value, rep.value_len);
			bool known = n->gen_sent > n->gen_acked;

			for (size_t i = 0; i < n->n_sent && !known; i++)
				known = n->sent[i] == h;
			if (!known)
				problem("%s: version %u (never acknowledged) holds a value never "
					"sent (%zu bytes)",
					n->name, a->version, rep.value_len);
		}
	}
	for (size_t i = 0; i < n_names; i++)
		for (size_t k = 0; k < names[i].n_acks; k++)
			if (names[i].acks[k].version > names[i].max_acked)
				problem("%s: acknowledged version %u is past the current %u",
					names[i].name, names[i].acks[k].version, names[i].max_acked);
	printf("names %zu versions %lu acked %lu unacked-present %lu problems %u\n", n_names,
	       versions, acked, unacked, problems);
	close(fd);
	for (size_t i = 0; i < n_names; i++) {
		for (size_t k = 0; k < names[i].n_acks; k++)
			free(names[i].acks[k].genval);
		free(names[i].acks);
		free(names[i].sent);
	}
	free(names);
	free(asks);
	free(scratch);
	free(fbuf);
	free(r.buf);
	return problems == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "write") == 0)
		return cmd_write(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	usage();
	return 2;
}
