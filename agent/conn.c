/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"
#include "proto/proto.h"
#include "arena.h"
#include "conn.h"
#include "ops.h"
#include "ratelimit.h"
#include "audit.h"
#include "loop.h"
#include "watch.h"

#define IN_CHUNK 4096u
#define OUT_HIGH_WATER (64u * 1024u)

static void
conn_update_events(struct agent *a, struct conn *c)
{
	struct epoll_event ev = {0};
	uint32_t want = 0;

	if (c->fd < 0)
		return;
	if (!c->write_pending && !c->wait_mem && !c->closing &&
	    c->out_len - c->out_off < OUT_HIGH_WATER)
		want |= EPOLLIN;
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

static uint32_t
conns_of_uid(const struct agent *a, uid_t uid)
{
	uint32_t n = 0;

	for (const struct conn *c = a->conns; c != NULL; c = c->next)
		if (c->fd >= 0 && c->peer.uid == uid)
			n++;
	return n;
}

void
conn_accept(struct agent *a)
{
	struct epoll_event ev = {0};
	struct peer p;
	struct conn *c;
	int fd;

	fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			loop_listen_pause(a, true); /* the waiting peer stays queued */
		else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	if (peer_identify(fd, &p) < 0) {
		log_warn("cannot identify a peer: %s", strerror(errno));
		close(fd);
		return;
	}
	if (a->n_conns >= a->cfg.max_conns) {
		log_warn("refused a connection from uid %u pid %d: %u connections open",
			 (unsigned)p.uid, (int)p.pid, a->n_conns);
		audit_note(a, &p, AUDIT_OP_CONNECT, NULL, PROTO_RATE_LIMITED);
		close(fd);
		return;
	}
	if (conns_of_uid(a, p.uid) >= a->cfg.max_conns_per_uid) {
		log_warn("refused a connection from uid %u pid %d: %u connections of that uid open",
			 (unsigned)p.uid, (int)p.pid, a->cfg.max_conns_per_uid);
		audit_note(a, &p, AUDIT_OP_CONNECT, NULL, PROTO_RATE_LIMITED);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->held_fd = -1;
	c->id = ++a->next_conn_id;
	c->peer = p;
	c->accepted_ms = agent_mono_ms();
	if (a->cfg.system_mode && p.uid == PEER_OVERFLOW_UID) {
		/* A caller inside a foreign user namespace: nobody's namespace. */
		c->refused = true;
		log_warn("refused a connection from uid %u pid %d: the overflow uid",
			 (unsigned)p.uid, (int)p.pid);
	} else if (!a->cfg.system_mode && p.uid != a->uid) {
		c->refused = true;
		log_warn("refused a connection from uid %u pid %d: this agent serves uid %u only",
			 (unsigned)p.uid, (int)p.pid, (unsigned)a->uid);
	}
	if (c->refused)
		audit_note(a, &p, AUDIT_OP_CONNECT, NULL, PROTO_DENIED);
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("epoll: %s", strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->events = EPOLLIN;
	c->next = a->conns;
	if (a->conns != NULL)
		a->conns->prev = c;
	a->conns = c;
	a->n_conns++;
	log_debug("connection %llu from uid %u pid %d (%s)%s", (unsigned long long)c->id,
		  (unsigned)p.uid, (int)p.pid, p.comm, p.pidfd_used ? " pinned by pidfd" : "");
}

int
conn_take_fd(struct conn *c)
{
	int fd = c->held_fd;

	c->held_fd = -1;
	return fd;
}

void
conn_free(struct agent *a, struct conn *c)
{
	if (c->held_fd >= 0)
		close(c->held_fd);
	c->held_fd = -1;
	arena_release(a->arena, c->in, c->in_cap, c->in_len);
	arena_release(a->arena, c->out, c->out_cap, c->out_len);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	/* Events for C may still be pending in this loop iteration. */
	c->in = c->out = NULL;
	c->next = a->zombies;
	a->zombies = c;
}

void
conn_reap(struct agent *a)
{
	while (a->zombies != NULL) {
		struct conn *c = a->zombies;

		a->zombies = c->next;
		free(c);
	}
}

void
conn_kick(struct agent *a, struct conn *c)
{
	conn_update_events(a, c);
}

void
conn_close(struct agent *a, struct conn *c)
{
	watch_drop_conn(a, c);
	if (c->fd >= 0) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		a->n_conns--;
	}
	if (c->write_pending) {
		c->dead = true;
		return;
	}
	conn_free(a, c);
}

void
conn_close_all(struct agent *a)
{
	while (a->conns != NULL) {
		struct conn *c = a->conns;

		c->write_pending = false;
		conn_close(a, c);
	}
}

int
conn_reply_begin(struct agent *a, struct conn *c, size_t n, struct buf_writer *w)
{
	if (c->out_cap - c->out_len < n && c->out_off > 0) {
		size_t keep = c->out_len - c->out_off;

		memmove(c->out, c->out + c->out_off, keep);
		sodium_memzero(c->out + keep, c->out_len - keep);
		c->out_len = keep;
		c->out_off = 0;
	}
	if (c->out_cap - c->out_len < n) {
		size_t cap;
		uint8_t *p = arena_alloc(a->arena, c->out_len + n, &cap);

		if (p == NULL)
			return -ENOMEM;
		if (c->out_len > 0)
			memcpy(p, c->out, c->out_len);
		arena_release(a->arena, c->out, c->out_cap, c->out_len);
		c->out = p;
		c->out_cap = cap;
	}
	buf_writer_init(w, c->out + c->out_len, c->out_cap - c->out_len);
	return 0;
}

void
conn_reply_commit(struct conn *c, const struct buf_writer *w)
{
	/* The status of the (last) reply, for the audit record. */
	if (w->len >= PROTO_REPLY_HDR)
		c->last_status = (uint16_t)((w->data[9] << 8) | w->data[10]);
	c->out_len += w->len;
}

void
conn_reply_discard(struct conn *c, struct buf_writer *w)
{
	(void)c;
	sodium_memzero(w->data, w->cap);
	w->len = 0;
}

int
conn_reply_status(struct agent *a, struct conn *c, uint8_t type, uint32_t reqid, uint16_t status,
		  const char *message)
{
	size_t mlen = message != NULL ? strnlen(message, PROTO_MESSAGE_MAX) : 0;
	struct buf_writer w;
	int r;

	r = conn_reply_begin(a, c, PROTO_REPLY_HDR + PROTO_FIELD_HDR + mlen, &w);
	if (r < 0)
		return r;
	r = proto_encode_simple_reply(&w, (uint8_t)(type | PROTO_REPLY_BIT), reqid, status,
				      message, mlen);
	if (r < 0) {
		conn_reply_discard(c, &w);
		return r;
	}
	conn_reply_commit(c, &w);
	return 0;
}

static void
conn_flush(struct agent *a, struct conn *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(a, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len && c->out != NULL && !c->write_pending) {
		arena_release(a->arena, c->out, c->out_cap, c->out_len);
		c->out = NULL;
		c->out_cap = c->out_len = c->out_off = 0;
	}
	if (c->closing && c->out_len == c->out_off)
		conn_close(a, c);
}

/* Drop consumed frames; grow the buffer to hold a started frame. */
static void
conn_compact(struct agent *a, struct conn *c)
{
	size_t rest, need, cap;
	uint8_t *p;

	if (c->in == NULL || c->write_pending)
		return;
	if (c->closing) /* nothing more will be read: drop the input */
		c->in_pos = c->in_len;
	rest = c->in_len - c->in_pos;
	if (rest == 0) {
		arena_release(a->arena, c->in, c->in_cap, c->in_len);
		c->in = NULL;
		c->in_cap = c->in_len = c->in_pos = 0;
		c->partial_since_ms = 0;
		return;
	}
	if (c->in_pos > 0) {
		memmove(c->in, c->in + c->in_pos, rest);
		sodium_memzero(c->in + rest, c->in_len - rest);
		c->in_len = rest;
		c->in_pos = 0;
		c->partial_since_ms = agent_mono_ms();
	}
	if (rest < PROTO_LEN_SIZE)
		return;
	need = PROTO_LEN_SIZE + (size_t)buf_load_u32(c->in);
	if (need <= c->in_cap)
		return;
	p = arena_alloc(a->arena, need, &cap);
	if (p == NULL) {
		c->wait_mem = true;
		return;
	}
	memcpy(p, c->in, rest);
	arena_release(a->arena, c->in, c->in_cap, c->in_len);
	c->in = p;
	c->in_cap = cap;
}

/* A frame over the limit: say so, then close. */
static void
conn_oversized(struct agent *a, struct conn *c)
{
	const uint8_t *p = c->in + c->in_pos;
	size_t avail = c->in_len - c->in_pos;
	uint8_t type = avail > 4 ? p[4] : 0;
	uint32_t reqid = avail >= PROTO_REQ_HDR ? buf_load_u32(p + 5) : 0;

	log_info("connection %llu (uid %u): frame of %u bytes over the %u-byte limit",
		 (unsigned long long)c->id, (unsigned)c->peer.uid, buf_load_u32(p),
		 a->cfg.frame_max);
	if (conn_reply_status(a, c, type, reqid, PROTO_BAD_REQUEST, "frame too large") < 0)
		conn_close(a, c);
	else
		c->closing = true;
}

static bool
conn_rate_ok(struct agent *a, struct conn *c)
{
	bool first;

	if (ratelimit_take(a->ratelimit, c->peer.uid, agent_mono_ms(), &first))
		return true;
	if (first)
		log_warn("uid %u is over its request rate (%u/s, burst %u); refusing",
			 (unsigned)c->peer.uid, a->cfg.rate, a->cfg.burst);
	return false;
}

/* Answer the complete frames in C's input, until the output backs up. */
static void
conn_process_frames(struct agent *a, struct conn *c)
{
	struct proto_frame f;
	int r;

	while (c->fd >= 0 && !c->closing && !c->write_pending && !c->wait_mem && c->in != NULL &&
	       c->out_len - c->out_off < OUT_HIGH_WATER) {
		r = proto_frame_parse(c->in + c->in_pos, c->in_len - c->in_pos, a->cfg.frame_max,
				      false, &f);
		if (r == 0)
			break;
		if (r == -EMSGSIZE) {
			conn_oversized(a, c);
			break;
		}
		if (r < 0) {
			log_info("connection %llu (uid %u): broken framing, closing",
				 (unsigned long long)c->id, (unsigned)c->peer.uid);
			conn_close(a, c);
			return;
		}
		if (c->refused) {
			if (conn_reply_status(a, c, f.type, f.reqid, PROTO_DENIED,
					      "this agent serves its owner only") < 0) {
				conn_close(a, c);
				return;
			}
			c->closing = true;
			break;
		}
		if (!conn_rate_ok(a, c)) {
			if (conn_reply_status(a, c, f.type, f.reqid, PROTO_RATE_LIMITED,
					      "request rate limit reached; slow down") < 0) {
				c->wait_mem = true;
				break;
			}
			audit_note_frame(a, &c->peer, &f, NULL, PROTO_RATE_LIMITED, 0);
			c->in_pos += (size_t)r;
			continue;
		}
		switch (ops_dispatch(a, c, &f)) {
		case OPS_WAIT: /* retried when the audit trail has settled */
		case OPS_NOMEM:
			c->wait_mem = true;
			break;
		case OPS_CLOSE:
			c->closing = true;
			c->in_pos += (size_t)r;
			break;
		case OPS_PENDING:
		case OPS_DONE:
			c->in_pos += (size_t)r;
			break;
		}
	}
}

static void
conn_process(struct agent *a, struct conn *c)
{
	for (;;) {
		bool backed_up;

		conn_process_frames(a, c);
		if (c->fd < 0)
			return;
		backed_up = c->out_len - c->out_off >= OUT_HIGH_WATER;
		conn_compact(a, c);
		conn_flush(a, c);
		if (c->fd < 0)
			return;
		/* Stopped only by the output's high-water mark, which the flush
		 * lowered: the frames already read go on (no event would bring
		 * them back: the peer may be waiting for these replies). */
		if (!backed_up || c->out_len - c->out_off >= OUT_HIGH_WATER)
			break;
	}
	conn_update_events(a, c);
}

/*
 * Read into the input buffer, taking a descriptor passed alongside
 * (SCM_RIGHTS). A connection may hold one at a time; more than that, or
 * a truncated control message, is a broken peer: -1 with EPROTO.
 */
static ssize_t
conn_recv(struct conn *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {c->in + c->in_len, c->in_cap - c->in_len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	bool bad = (msg.msg_flags & MSG_CTRUNC) != 0;

	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		if (cm->cmsg_len != CMSG_LEN(sizeof(int))) {
			bad = true;
			continue;
		}
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (c->held_fd >= 0) {
			close(fd);
			bad = true;
		} else {
			c->held_fd = fd;
		}
	}
	if (bad) {
		log_info("connection %llu (uid %u): more than one descriptor passed, closing",
			 (unsigned long long)c->id, (unsigned)c->peer.uid);
		errno = EPROTO;
		return -1;
	}
	return n;
}

static void
conn_read(struct agent *a, struct conn *c)
{
	ssize_t n;

	if (c->in == NULL) {
		c->in = arena_alloc(a->arena, IN_CHUNK, &c->in_cap);
		if (c->in == NULL) {
			c->wait_mem = true;
			conn_update_events(a, c);
			return;
		}
	}
	if (c->in_len == c->in_cap) /* a started frame waits for room to grow */
		return;
	n = conn_recv(c);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(a, c);
		return;
	}
	if (c->partial_since_ms == 0)
		c->partial_since_ms = agent_mono_ms();
	c->in_len += (size_t)n;
	conn_process(a, c);
}

void
conn_event(struct agent *a, struct conn *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (events & EPOLLOUT)
		conn_flush(a, c);
	if (c->fd >= 0 && (events & EPOLLOUT))
		conn_process(a, c);
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(a, c);
	else if (c->fd >= 0)
		conn_update_events(a, c);
}

void
conn_resume(struct agent *a, struct conn *c)
{
	c->write_pending = false;
	if (c->dead) {
		conn_free(a, c);
		return;
	}
	conn_process(a, c);
}

void
conn_retry_waiting(struct agent *a)
{
	struct conn *c, *next;

	for (c = a->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->wait_mem || c->fd < 0)
			continue;
		c->wait_mem = false;
		if (c->in == NULL)
			conn_update_events(a, c);
		else
			conn_process(a, c);
	}
}

void
conn_sweep(struct agent *a, uint64_t now_ms)
{
	uint64_t limit = (uint64_t)a->cfg.idle_timeout * 1000;
	struct conn *c, *next;

	for (c = a->conns; c != NULL; c = next) {
		next = c->next;
		if (c->fd < 0 || c->write_pending)
			continue;
		if (c->partial_since_ms != 0 && now_ms - c->partial_since_ms > limit) {
			log_info("connection %llu (uid %u): frame incomplete after %us, closing",
				 (unsigned long long)c->id, (unsigned)c->peer.uid,
				 a->cfg.idle_timeout);
			conn_close(a, c);
		} else if (c->refused && now_ms - c->accepted_ms > limit) {
			conn_close(a, c);
		}
	}
}
