/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_OPS_H
#define CREDAGENT_AGENT_OPS_H

/*
 * One handler per message type. Reads run on the event loop against a
 * lock-free LMDB read transaction; writes are validated on the loop, then
 * executed by the writer thread inside a nested transaction of a group
 * commit, and answered when that commit is synced.
 */

#include <lmdb.h>

#include "proto/proto.h"
#include "agent.h"
#include "conn.h"

enum ops_result {
	OPS_DONE,    /* reply queued */
	OPS_PENDING, /* handed to the writer; the connection waits */
	OPS_NOMEM,   /* arena full: retry the same frame later */
	OPS_CLOSE,   /* reply queued; close after it */
};

/* Reply space a write job reserves before it is queued. */
#define OPS_WRITE_REPLY_MAX (PROTO_REPLY_HDR + 16u + PROTO_FIELD_HDR + 256u)

struct wjob {
	struct wjob *next;
	struct conn *conn;
	uint8_t type;
	uint32_t reqid;
	struct peer peer;
	union {
		struct proto_put put;
		struct proto_named named;
	} req;
	/* results, set by the writer thread */
	uint16_t status;
	uint32_t version;
	char message[192];
};

enum ops_result ops_dispatch(struct agent *a, struct conn *c, const struct proto_frame *f);

/* Run J inside the nested write transaction T (writer thread): 0 to
 * commit, negative to abort it; J's status and message say what to reply. */
int ops_write_exec(struct agent *a, MDB_txn *t, struct wjob *j);
/* Queue J's reply on its connection (loop thread). */
void ops_write_reply(struct agent *a, struct wjob *j);

/* Resolve the owner of REF for PEER: 0, or a status to answer. */
uint16_t ops_owner(const struct agent *a, const struct peer *peer, const struct proto_ref *ref,
		   uint32_t *ret_owner);

/* Handlers (ops-read.c, ops-write.c). */
enum ops_result ops_hello(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_status(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_get(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_info(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_list(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_put(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_delete(struct agent *a, struct conn *c, const struct proto_frame *f);

/* Reply with STATUS and MESSAGE: OPS_DONE, or OPS_NOMEM. */
enum ops_result ops_fail(struct agent *a, struct conn *c, const struct proto_frame *f,
			 uint16_t status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
