/* SPDX-License-Identifier: MIT */
/*
 * WATCH and its EVENT frames. The agent answers WATCH at once and sends
 * EVENT frames tagged with the WATCH's request id whenever the secret
 * changes, in between the replies to whatever else the connection asks.
 * libcred_read_reply() queues the ones it meets; cred_watch_next() hands
 * them out, then waits on the socket for more.
 */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/libcred-int.h"

static int
encode_watch(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_named(w, PROTO_MSG_WATCH, reqid, msg);
}

const char *
cred_event_name(int event)
{
	if (event == CRED_EVENT_OVERFLOW)
		return "overflow";
	return event < 0 ? "unknown" : proto_event_name((uint32_t)event);
}

static struct libcred_watch *
watch_find(cred_conn *c, uint32_t reqid)
{
	size_t i;

	for (i = 0; i < c->n_watches; i++)
		if (c->watches[i].reqid == reqid)
			return &c->watches[i];
	return NULL;
}

static void
watch_remove(cred_conn *c, uint32_t reqid)
{
	struct libcred_watch *w = watch_find(c, reqid);
	size_t i;

	if (w == NULL)
		return;
	i = (size_t)(w - c->watches);
	memmove(w, w + 1, (c->n_watches - i - 1) * sizeof(*w));
	c->n_watches--;
}

/* Registers the watch REQID will be before it is sent: its events can
 * then never find the table without it. */
static int
watch_add(cred_conn *c, const struct proto_ref *ref, uint32_t reqid)
{
	struct libcred_watch *w;
	size_t ncap;

	if (c->events == NULL) {
		c->events = calloc(LIBCRED_EVENT_QUEUE, sizeof(*c->events));
		if (c->events == NULL)
			return -CRED_E_NOMEM;
	}
	if (c->n_watches == c->cap_watches) {
		ncap = c->cap_watches == 0 ? 4 : c->cap_watches * 2;
		w = reallocarray(c->watches, ncap, sizeof(*w));
		if (w == NULL)
			return -CRED_E_NOMEM;
		c->watches = w;
		c->cap_watches = ncap;
	}
	w = &c->watches[c->n_watches++];
	w->reqid = reqid;
	w->owner = ref->has_owner ? (uid_t)ref->owner : getuid();
	memcpy(w->name, ref->name.ptr, ref->name.len);
	w->name[ref->name.len] = '\0';
	return 0;
}

void
libcred_watch_free(cred_conn *c)
{
	free(c->watches);
	free(c->events);
	c->watches = NULL;
	c->events = NULL;
	c->n_watches = c->cap_watches = 0;
	c->ev_head = c->ev_len = 0;
	c->ev_overflow = false;
}

int
libcred_event_push(cred_conn *c, const struct proto_frame *f)
{
	struct proto_event_msg em;
	struct libcred_watch *w;
	struct cred_event *e;

	w = watch_find(c, f->reqid);
	if (w == NULL || c->events == NULL)
		return libcred_broken(c, -CRED_E_PROTOCOL, "event for no watch");
	if (f->status != PROTO_OK || proto_decode_event(f->body, &em) < 0 ||
	    em.state > PROTO_STATE_MAX || em.event > INT_MAX)
		return libcred_broken(c, -CRED_E_PROTOCOL, "malformed event");
	if (c->ev_len == LIBCRED_EVENT_QUEUE) {
		/* Nobody is reading them: keep the oldest, flag the loss. */
		c->ev_overflow = true;
	} else {
		e = &c->events[(c->ev_head + c->ev_len) % LIBCRED_EVENT_QUEUE];
		c->ev_len++;
		*e = (struct cred_event){
		        .event = (int)em.event,
		        .version = em.version,
		        .state = (int)em.state,
		        .owner = w->owner,
		};
		memcpy(e->name, w->name, sizeof(e->name));
	}
	/* A purged secret has nothing more to report, a revoked grant
	 * nothing more to show: the watch ends. */
	if (em.event == PROTO_EVENT_PURGED || em.event == PROTO_EVENT_REVOKED)
		watch_remove(c, f->reqid);
	return 0;
}

static bool
event_pop(cred_conn *c, struct cred_event *ret)
{
	if (c->ev_len > 0) {
		*ret = c->events[c->ev_head];
		c->ev_head = (c->ev_head + 1) % LIBCRED_EVENT_QUEUE;
		c->ev_len--;
		return true;
	}
	if (c->ev_overflow) {
		c->ev_overflow = false;
		*ret = (struct cred_event){.event = CRED_EVENT_OVERFLOW};
		return true;
	}
	return false;
}

int
cred_watch(cred_conn *c, const char *ref)
{
	struct proto_named m = {0};
	uint32_t reqid;
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	if (c->broken) {
		libcred_msg_printf(c, "connection lost");
		return -CRED_E_FAILED;
	}
	/* libcred_call() gives the request the next id. */
	reqid = c->next_id;
	r = watch_add(c, &m.ref, reqid);
	if (r < 0)
		return r;
	r = libcred_simple_call(c, PROTO_MSG_WATCH, encode_watch, &m);
	if (r < 0)
		watch_remove(c, reqid);
	return r;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cred_watch_next(cred_conn *c, int timeout_ms, struct cred_event *ret)
{
	struct libcred_reply rep;
	struct pollfd pfd;
	int64_t deadline = 0, left;
	int k, r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	if (event_pop(c, ret))
		return 1;
	if (c->broken) {
		libcred_msg_printf(c, "connection lost");
		return -CRED_E_FAILED;
	}
	if (c->n_watches == 0) {
		libcred_msg_printf(c, "no watch on this connection");
		return -CRED_E_USAGE;
	}
	if (timeout_ms >= 0)
		deadline = now_ms() + timeout_ms;
	for (;;) {
		left = -1;
		if (timeout_ms >= 0) {
			left = deadline - now_ms();
			if (left < 0)
				left = 0;
		}
		/* Bytes already received need no poll: no byte on the
		 * socket would announce them. */
		if (c->rlen > 0) {
			k = 1;
		} else {
			pfd = (struct pollfd){.fd = c->fd, .events = POLLIN};
			k = poll(&pfd, 1, (int)left);
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			libcred_msg_printf(c, "poll: %s", strerror(errno));
			return -CRED_E_FAILED;
		}
		if (k == 0)
			return 0;
		/* Readable (or hung up): one whole frame, which must be an
		 * event since no request is outstanding. */
		r = libcred_read_frame(c, &rep);
		if (r < 0)
			return r;
		if (rep.frame.type != PROTO_MSG_EVENT) {
			libcred_reply_free(&rep);
			return libcred_broken(c, -CRED_E_PROTOCOL, "reply to no request");
		}
		r = libcred_event_push(c, &rep.frame);
		libcred_reply_free(&rep);
		if (r < 0)
			return r;
		if (event_pop(c, ret))
			return 1;
	}
}

int
cred_fd(const cred_conn *c)
{
	return c != NULL ? c->fd : -1;
}

size_t
cred_events_pending(const cred_conn *c)
{
	if (c == NULL)
		return 0;
	return c->ev_len + (c->ev_overflow ? 1u : 0u);
}
