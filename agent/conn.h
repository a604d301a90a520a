/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_CONN_H
#define CREDAGENT_AGENT_CONN_H

/*
 * One client connection: the peer the kernel named at accept, an input
 * buffer and an output queue carved from the locked arena (released when
 * empty, so idle connections hold none), requests handled strictly in
 * order. A request that needs the writer thread pauses the connection until
 * its reply is queued; one that finds the arena full is retried when memory
 * comes back.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "proto/proto.h"
#include "agent.h"
#include "peer.h"


struct conn {
	struct conn *prev, *next;
	uint64_t id;
	int fd;
	struct peer peer;
	uint8_t *in;
	size_t in_cap, in_len, in_pos;
	uint8_t *out;
	size_t out_cap, out_len, out_off;
	uint64_t partial_since_ms; /* a frame has started but is not complete */
	uint64_t accepted_ms;
	uint32_t events;  /* registered with epoll */
	bool refused;     /* another uid in user mode: DENIED to its first frame */
	bool closing;     /* close once the output is flushed */
	bool dead;        /* fd closed; freed when its write job returns */
	bool write_pending; /* waiting for the writer or the worker */
	bool wait_mem;
	int held_fd; /* a descriptor the peer passed (SCM_RIGHTS), or -1 */
	uint16_t last_status;   /* of the last reply queued */
	uint32_t audit_version; /* the version the request's record names */
	/* The request's target as its handler decoded it (unset: the record
	 * takes it from the frame); its name points into the frame. */
	bool audit_ref_set;
	struct proto_ref audit_ref;
	uint64_t audit_ticket;  /* an AUDIT request waiting for records */
};

/* Accept one connection from the listening socket (nonblocking). */
void conn_accept(struct agent *a);
/* Handle epoll EVENTS for C. */
void conn_event(struct agent *a, struct conn *c, uint32_t events);
/* Retry connections that waited for arena memory. */
void conn_retry_waiting(struct agent *a);
/* Close connections past their deadlines. */
void conn_sweep(struct agent *a, uint64_t now_ms);
/* Resume C after its write job's reply was queued. */
void conn_resume(struct agent *a, struct conn *c);
/* Close C now (or once its write job returns). */
void conn_close(struct agent *a, struct conn *c);
/* Free a dead connection whose job returned. */
void conn_free(struct agent *a, struct conn *c);
void conn_close_all(struct agent *a);
/* The descriptor the peer passed with a frame (the caller closes it), or
 * -1 if none. */
int conn_take_fd(struct conn *c);
/* Output was queued on C from outside its own processing: have the loop
 * send it (never closes C synchronously). */
void conn_kick(struct agent *a, struct conn *c);
/* Free connections closed during this loop iteration. */
void conn_reap(struct agent *a);

/*
 * Replies. conn_reply_begin() gives a writer over at least N free bytes at
 * the end of C's output queue: 0, or -ENOMEM when the arena cannot supply
 * them now (the request is retried later). conn_reply_commit() queues what
 * the writer wrote; conn_reply_discard() zeroes it instead.
 */
int conn_reply_begin(struct agent *a, struct conn *c, size_t n, struct buf_writer *w);
void conn_reply_commit(struct conn *c, const struct buf_writer *w);
void conn_reply_discard(struct conn *c, struct buf_writer *w);
/* An error or empty reply with an optional message (NULL: none). */
int conn_reply_status(struct agent *a, struct conn *c, uint8_t type, uint32_t reqid,
		      uint16_t status, const char *message) AGENT_WUR;

#endif
