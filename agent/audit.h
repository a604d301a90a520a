/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_AUDIT_H
#define CREDAGENT_AGENT_AUDIT_H

/*
 * The audit trail (DESIGN.md section 7); records and the chain are in
 * audit-rec.h.
 *
 * Mutations are recorded by the writer thread in the transaction that
 * makes them (audit_job_committed). Everything else (reads, refusals,
 * failed mutations, key operations) is noted on the loop thread
 * (audit_note): identical records within a second fold into one with a
 * count, failed requests past a uid's per-minute budget are only counted
 * into one "suppressed" record, and the queue is group-committed by the
 * writer at most AUDIT_FLUSH_MS later or at AUDIT_BATCH_MAX records,
 * together with the usage counters (usage.h). When that commit fails the
 * agent fails closed: audit_failing() is true and GET withholds values
 * until a commit works again.
 */

#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "audit-rec.h"
#include "ops.h"

#define AUDIT_FLUSH_MS 50u
#define AUDIT_BATCH_MAX 256u
#define AUDIT_BUDGET_DEFAULT 100u
#define AUDIT_RETENTION_DEFAULT (365ull * 86400)

struct audit;
struct audit_batch;

/* After the store and keys are open: load the chain's end. */
int audit_start(struct agent *a) AUDIT_WUR;
void audit_free(struct audit *q);
/* The 50 ms flush timer, for the loop to watch. */
int audit_timer_fd(const struct agent *a);
void audit_on_timer(struct agent *a);
/* Every second: budget summaries, the chain head to the journal each
 * minute, old records dropped each hour. */
void audit_tick(struct agent *a);
/* Shutdown: queue the last records and counters (before the writer
 * stops); then, once it has, log and send the chain head. */
void audit_shutdown(struct agent *a);
void audit_stopped(struct agent *a);

/* Loop thread: note one request's outcome. TARGET may be NULL. */
void audit_note(struct agent *a, const struct peer *p, uint8_t op,
		const struct audit_target *target, uint16_t status);
/* Loop thread: a request frame's outcome, its target REF as the handler
 * decoded it or, when REF is NULL, read from the body; VERSION (0: none)
 * overrides the body's. */
void audit_note_frame(struct agent *a, const struct peer *p, const struct proto_frame *f,
		      const struct proto_ref *ref, uint16_t status, uint32_t version);
/* Fill TARGET from OWNER and NAME. */
void audit_target_set(struct audit_target *t, uint32_t owner, struct proto_bytes name,
		      uint32_t version);

/*
 * Whether everything noted before a request is committed, so that an
 * AUDIT query sees it. *TICKET (0 at first) remembers what the request
 * waits for while it is retried (OPS_WAIT); later notes never hold it up.
 */
bool audit_settle(struct agent *a, uint64_t *ticket);
/* The last flush failed: values are withheld. */
bool audit_failing(const struct agent *a);
/* Ask for a flush soon (usage counters changed). */
void audit_kick(struct agent *a);
/* A change to commit now (a usage reset): its ticket for audit_settle(). */
uint64_t audit_touch(struct agent *a);

/* Loop thread: record a finished job that the writer did not. */
void audit_job_note(struct agent *a, const struct wjob *j);

/* Writer thread. */
void audit_batch_begin(struct agent *a);
void audit_batch_end(struct agent *a, bool committed);
/* J's change committed in T: append its record there. 0 or -errno. */
int audit_job_committed(struct agent *a, MDB_txn *t, struct wjob *j) AUDIT_WUR;
/* The flush job's writes. */
int audit_exec_flush(struct agent *a, MDB_txn *t, struct wjob *j);
/* Loop: the flush job came back. */
void audit_flush_done(struct agent *a, struct wjob *j);
/* Free a flush job's batch. */
void audit_batch_free(struct audit_batch *b);

/* The chain's end as last committed (any thread). */
void audit_head(const struct agent *a, struct audit_chain *ret);

#endif
