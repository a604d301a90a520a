/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_REKEY_H
#define CREDAGENT_AGENT_REKEY_H

/*
 * Rekey: VK generation g+1 becomes current, then every DEK still wrapped
 * by g is rewrapped (with RESEAL: every value re-encrypted under a new
 * DEK), a batch per synced write transaction, readers never blocked; once
 * a whole pass over the blobs finds none left on g, g is destroyed. The
 * progress is the sys record "rekey" (u32 old | u32 new | u32 flags |
 * u32 changed this pass | u16 cursor length | cursor | MAC), so a crash
 * midway leaves both generations usable and the next start resumes.
 */

#include <lmdb.h>

#include "agent.h"
#include "ops.h"

/* Writer thread: the REKEY job (new generation, progress record), and one
 * batch of the agent's own OPS_JOB_REKEY jobs. */
int rekey_exec_start(struct agent *a, MDB_txn *t, struct wjob *j);
int rekey_exec_batch(struct agent *a, MDB_txn *t, struct wjob *j);

/* Loop thread: after the REKEY job committed (its connection waits for
 * the end), after a batch, and at start or unlock (resume if a rekey was
 * interrupted). */
void rekey_started(struct agent *a, struct wjob *j);
void rekey_batch_done(struct agent *a, struct wjob *j);
void rekey_kick(struct agent *a);

#endif
