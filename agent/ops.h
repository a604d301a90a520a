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
#include "slot.h"

enum ops_result {
	OPS_DONE,    /* reply queued */
	OPS_PENDING, /* handed to the writer; the connection waits */
	OPS_NOMEM,   /* arena full: retry the same frame later */
	OPS_CLOSE,   /* reply queued; close after it */
	OPS_WAIT,    /* waits for the audit trail to settle: retry the frame later */
};

/* Reply space a write job reserves before it is queued (plus a generated
 * value, when one is returned). */
#define OPS_WRITE_REPLY_MAX (PROTO_REPLY_HDR + 16u + PROTO_FIELD_HDR + 256u)
#define OPS_JOB_SWEEP 0u /* type of the agent's own retention sweep */
#define OPS_JOB_REKEY 0xf0u /* type of the agent's own rekey batches */
#define OPS_JOB_AUDIT 0xf1u /* type of the audit and usage group commits */
#define OPS_SWEEP_BATCH 256u

struct swept {
	uint32_t owner;
	uint8_t name_len;
	uint8_t name[PROTO_NAME_MAX];
};

/*
 * A mutation handed to the writer thread. Everything it borrows (the
 * request's fields, NAME) lives in its connection's input buffer, which
 * stays put while the connection waits for it.
 */
struct wjob {
	struct wjob *next;
	struct conn *conn; /* NULL for the agent's own jobs */
	uint8_t type;
	uint32_t reqid;
	struct peer peer;
	uint32_t owner;
	struct proto_bytes name;
	union {
		struct proto_put put;
		struct proto_named named;
		struct proto_rotate rotate;
		struct proto_versioned versioned;
		struct proto_label label;
		struct proto_share share;
		struct proto_quota quota;
		struct proto_verify_req verify;
	} req;
	uint8_t *gen; /* a generated value, in the arena (loop-owned) */
	size_t gen_cap, gen_len;
	/* results, set by the writer thread */
	uint16_t status;
	uint32_t version;
	uint32_t state;
	uint32_t event; /* enum proto_event to send to watchers; 0: none */
	char message[192];
	bool nospace; /* the map filled up: retried once it has grown */
	struct slot_rec slot; /* PASSWD, KEYSLOT_ADD, KEYSLOT_RM */
	uint32_t rekey_flags;
	bool rekey_done;
	struct import_set *imp; /* IMPORT: the secrets, and the counts */
	struct audit_batch *abatch; /* OPS_JOB_AUDIT: records and counters */
	bool audited; /* the writer recorded it with the change */
	struct swept *swept; /* sweep: the purged secrets */
	uint32_t n_swept;
	bool sweep_more;
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
enum ops_result ops_rotate(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_versioned(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_label(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_watch(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_share(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_keys(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_quota(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_verify(struct agent *a, struct conn *c, const struct proto_frame *f);
/* ops-audit.c */
enum ops_result ops_audit(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_audit_verify(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_usage(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_usage_reset(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_keyslot_list(struct agent *a, struct conn *c, const struct proto_frame *f);
enum ops_result ops_keys_job(struct agent *a, struct conn *c, const struct proto_frame *f,
			     uint32_t slot, uint32_t flags);
/* Writer side of PASSWD, KEYSLOT_ADD and KEYSLOT_RM. */
int ops_exec_slot(struct agent *a, MDB_txn *t, struct wjob *j);

/* Queue the agent's own retention sweep (loop thread). */
void ops_queue_sweep(struct agent *a);

/* Reply with STATUS and MESSAGE: OPS_DONE, or OPS_NOMEM. */
enum ops_result ops_fail(struct agent *a, struct conn *c, const struct proto_frame *f,
			 uint16_t status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
