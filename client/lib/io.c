/* SPDX-License-Identifier: MIT */
/* Framed blocking I/O: one request out, one reply in, checked; EVENT
 * frames met on the way are queued for cred_watch_next(). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client/lib/libcred-int.h"

/* Requests up to this size are encoded on the stack, in one pass. */
#define SEND_STACK 512u

void
libcred_msg_clear(cred_conn *c)
{
	c->msg[0] = '\0';
}

void
libcred_msg_set(cred_conn *c, struct proto_bytes m)
{
	size_t n = m.len < sizeof(c->msg) - 1 ? m.len : sizeof(c->msg) - 1;

	if (n > 0)
		memcpy(c->msg, m.ptr, n);
	c->msg[n] = '\0';
}

void
libcred_msg_printf(cred_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

char *
libcred_strdup_span(struct proto_bytes b)
{
	char *s = malloc(b.len + 1);

	if (s == NULL)
		return NULL;
	if (b.len > 0)
		memcpy(s, b.ptr, b.len);
	s[b.len] = '\0';
	return s;
}

void *
libcred_grow(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return items;
	ncap = *cap == 0 ? first : *cap * 2;
	p = reallocarray(items, ncap, size);
	if (p != NULL)
		*cap = ncap;
	return p;
}

void
libcred_reply_free(struct libcred_reply *r)
{
	zero_free(r->buf, r->len);
	r->buf = NULL;
	r->len = 0;
}

/* 0, or -errno (-EPIPE when the agent has gone). */
static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		/* MSG_NOSIGNAL: a library must not die of SIGPIPE. */
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* N bytes, or -errno; *ret_got says how many came before an EOF (-EPIPE). */
static int
read_all(int fd, uint8_t *p, size_t n, size_t *ret_got)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			*ret_got = got;
			return k < 0 ? -errno : -EPIPE;
		}
		got += (size_t)k;
	}
	*ret_got = got;
	return 0;
}

/*
 * Makes the receive buffer hold at least N (at most PROTO_LEN_SIZE)
 * bytes: 0, or -errno (-EPIPE at an EOF). With EXACT it reads no byte
 * past them; otherwise as many as the socket has and the buffer takes.
 */
static int
rbuf_fill(cred_conn *c, size_t n, bool exact)
{
	ssize_t k;

	if (c->rlen >= n)
		return 0;
	/* Fewer than PROTO_LEN_SIZE bytes move to the front, their old
	 * place wiped. */
	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen);
		explicit_bzero(c->rbuf + c->rlen, c->rpos);
		c->rpos = 0;
	}
	while (c->rlen < n) {
		k = read(c->fd, c->rbuf + c->rlen, exact ? n - c->rlen : sizeof(c->rbuf) - c->rlen);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		c->rlen += (size_t)k;
	}
	return 0;
}

/* Copies up to N buffered bytes to P and wipes them: how many. */
static size_t
rbuf_take(cred_conn *c, uint8_t *p, size_t n)
{
	if (n > c->rlen)
		n = c->rlen;
	memcpy(p, c->rbuf + c->rpos, n);
	explicit_bzero(c->rbuf + c->rpos, n);
	c->rlen -= n;
	c->rpos = c->rlen > 0 ? c->rpos + n : 0;
	return n;
}

/* A failed stream is not reused: a later reply could be misread. */
int
libcred_broken(cred_conn *c, int err, const char *why)
{
	c->broken = true;
	libcred_msg_printf(c, "%s", why);
	return err;
}

static uint32_t
reply_cap(const cred_conn *c)
{
	return c->frame_max > LIBCRED_REPLY_MAX ? c->frame_max : LIBCRED_REPLY_MAX;
}

int
libcred_read_frame(cred_conn *c, struct libcred_reply *ret)
{
	uint32_t len;
	size_t got, have;
	uint8_t *buf;
	int r;

	/* A watched connection reads frame by frame: see the header. */
	r = rbuf_fill(c, PROTO_LEN_SIZE, c->n_watches > 0);
	if (r < 0) {
		got = c->rlen;
		return libcred_broken(
		        c, got == 0 && r == -EPIPE ? -CRED_E_FAILED : -CRED_E_PROTOCOL,
		        got == 0 ? "the agent closed the connection" : "truncated reply");
	}
	len = buf_load_u32(c->rbuf + c->rpos);
	if (len > reply_cap(c) || len < PROTO_REPLY_HDR - PROTO_LEN_SIZE)
		return libcred_broken(c, -CRED_E_PROTOCOL, "reply frame of impossible size");
	buf = malloc((size_t)len + PROTO_LEN_SIZE);
	if (buf == NULL)
		return libcred_broken(c, -CRED_E_NOMEM, "out of memory");
	ret->buf = buf;
	ret->len = (size_t)len + PROTO_LEN_SIZE;
	/* What the buffer holds, then the rest (if any) straight from the
	 * socket: never more than this frame. */
	have = rbuf_take(c, buf, ret->len);
	if (have < ret->len) {
		r = read_all(c->fd, buf + have, ret->len - have, &got);
		if (r < 0) {
			libcred_reply_free(ret);
			return libcred_broken(c, -CRED_E_PROTOCOL, "truncated reply");
		}
	}
	r = proto_frame_parse(buf, ret->len, reply_cap(c), true, &ret->frame);
	if (r < 0 || (size_t)r != ret->len) {
		libcred_reply_free(ret);
		return libcred_broken(c, -CRED_E_PROTOCOL, "malformed reply frame");
	}
	return 0;
}

int
libcred_read_reply(cred_conn *c, struct libcred_reply *ret)
{
	int r;

	for (;;) {
		r = libcred_read_frame(c, ret);
		if (r < 0 || ret->frame.type != PROTO_MSG_EVENT)
			return r;
		/* A watched secret changed while we wait for something else. */
		r = libcred_event_push(c, &ret->frame);
		libcred_reply_free(ret);
		if (r < 0)
			return r;
	}
}

/*
 * The first chunk of N bytes at P with the descriptor PASS_FD attached as
 * SCM_RIGHTS ancillary data: the number of bytes sent (at least 1), or
 * -errno. The kernel ties the descriptor to the first byte, so the agent
 * receives it with the frame's first read.
 */
static ssize_t
send_with_fd(int fd, const uint8_t *p, size_t n, int pass_fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)p, .iov_len = n};
	struct msghdr mh = {0};
	struct cmsghdr *cm;
	ssize_t k;

	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	do
		k = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	if (k == 0)
		return -EPIPE;
	return k;
}

/* A request of N bytes (VALUE_LEN of them a value) over the agent's
 * limit: true, with the message set. */
static bool
too_large(cred_conn *c, size_t n, size_t value_len)
{
	size_t overhead;

	if (n - PROTO_LEN_SIZE <= c->frame_max)
		return false;
	overhead = n - PROTO_LEN_SIZE - value_len;
	if (value_len == 0) {
		libcred_msg_printf(c, "request too large");
	} else {
		libcred_msg_printf(c, "value too large (%zu bytes; the agent accepts at most %zu)",
		                   value_len,
		                   overhead < c->frame_max ? c->frame_max - overhead : 0);
	}
	return true;
}

/* Encodes into an exactly sized allocation *ret_buf (*ret_len bytes; the
 * caller frees it with zero_free). */
static int
encode_alloc(cred_conn *c, uint32_t reqid, libcred_encode_fn enc, const void *msg, size_t value_len,
             uint8_t **ret_buf, size_t *ret_len)
{
	struct buf_writer w;
	uint8_t *buf;
	size_t n;
	int r;

	buf_writer_init(&w, NULL, 0);
	if (enc(&w, reqid, msg) < 0 || buf_writer_error(&w) < 0)
		return -CRED_E_USAGE;
	n = w.len;
	if (too_large(c, n, value_len))
		return -CRED_E_USAGE;
	buf = malloc(n);
	if (buf == NULL)
		return -CRED_E_NOMEM;
	buf_writer_init(&w, buf, n);
	r = enc(&w, reqid, msg);
	if (r < 0 || buf_writer_error(&w) < 0 || w.len != n) {
		zero_free(buf, n);
		return -CRED_E_FAILED;
	}
	*ret_buf = buf;
	*ret_len = n;
	return 0;
}

/* Encodes (on the stack when it fits, else into an exactly sized
 * allocation), sends it (with PASS_FD, if not -1, attached to its first
 * chunk) and zeroes it. */
static int
send_request(cred_conn *c, uint32_t reqid, libcred_encode_fn enc, const void *msg, size_t value_len,
             int pass_fd)
{
	uint8_t stack[SEND_STACK];
	uint8_t *buf = stack, *heap = NULL;
	struct buf_writer w;
	size_t n = 0, stack_used;
	ssize_t k = 0;
	bool fits;
	int r;

	buf_writer_init(&w, stack, sizeof(stack));
	fits = enc(&w, reqid, msg) >= 0 && buf_writer_error(&w) == 0;
	/* A failed attempt may have written anywhere in it. */
	stack_used = fits ? w.len : sizeof(stack);
	if (fits) {
		n = w.len;
		if (too_large(c, n, value_len)) {
			r = -CRED_E_USAGE;
			goto out;
		}
	} else {
		/* Too large for the stack, or not encodable at all: the
		 * counting pass tells which. */
		r = encode_alloc(c, reqid, enc, msg, value_len, &heap, &n);
		if (r < 0)
			goto out;
		buf = heap;
	}
	if (pass_fd >= 0)
		k = send_with_fd(c->fd, buf, n, pass_fd);
	if (k == -EBADF) {
		/* The caller's descriptor is not open: nothing was sent. */
		libcred_msg_printf(c, "bad file descriptor");
		r = -CRED_E_USAGE;
		goto out;
	}
	r = k < 0 ? (int)k : write_all(c->fd, buf + k, n - (size_t)k);
	if (r < 0)
		r = libcred_broken(c, r == -ENOMEM ? -CRED_E_NOMEM : -CRED_E_FAILED,
		                   "connection lost");
out:
	explicit_bzero(stack, stack_used);
	zero_free(heap, n);
	return r;
}

int
libcred_call(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg, size_t value_len,
             struct libcred_reply *ret)
{
	return libcred_call_fd(c, type, enc, msg, value_len, -1, ret);
}

int
libcred_call_fd(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg,
                size_t value_len, int pass_fd, struct libcred_reply *ret)
{
	return libcred_call_keep(c, type, enc, msg, value_len, pass_fd, PROTO_OK, ret);
}

int
libcred_call_keep(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg,
                  size_t value_len, int pass_fd, uint16_t keep, struct libcred_reply *ret)
{
	struct proto_simple_reply sr;
	uint32_t reqid;
	int r;

	*ret = (struct libcred_reply){0};
	if (c->broken) {
		libcred_msg_printf(c, "connection lost");
		return -CRED_E_FAILED;
	}
	reqid = c->next_id++;
	r = send_request(c, reqid, enc, msg, value_len, pass_fd);
	if (r < 0)
		return r;
	r = libcred_read_reply(c, ret);
	if (r < 0)
		return r;
	if (ret->frame.reqid != reqid || ret->frame.type != (type | PROTO_REPLY_BIT)) {
		libcred_reply_free(ret);
		return libcred_broken(c, -CRED_E_PROTOCOL, "reply does not match the request");
	}
	if (ret->frame.status == PROTO_OK)
		return 0;
	r = libcred_status_error(ret->frame.status);
	if (keep != PROTO_OK && ret->frame.status == keep)
		return r;
	if (proto_decode_simple_reply(ret->frame.body, &sr) < 0)
		r = -CRED_E_PROTOCOL;
	else
		libcred_msg_set(c, sr.message);
	libcred_reply_free(ret);
	return r;
}

int
libcred_simple_call(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg)
{
	struct proto_simple_reply sr;
	struct libcred_reply rep;
	int r;

	r = libcred_call(c, type, enc, msg, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_simple_reply(rep.frame.body, &sr) < 0)
		r = -CRED_E_PROTOCOL;
	else
		libcred_msg_set(c, sr.message);
	libcred_reply_free(&rep);
	return r;
}

int
libcred_cursor_next(struct proto_bytes next, uint8_t *cursor, size_t *cursor_len, size_t *pages)
{
	if (next.len > PROTO_CURSOR_MAX || ++*pages > LIBCRED_PAGES_MAX)
		return -CRED_E_PROTOCOL;
	/* The same cursor twice would loop forever. */
	if (next.len > 0 && next.len == *cursor_len && memcmp(next.ptr, cursor, next.len) == 0)
		return -CRED_E_PROTOCOL;
	if (next.len > 0)
		memcpy(cursor, next.ptr, next.len);
	*cursor_len = next.len;
	return 0;
}
