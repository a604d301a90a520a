/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_EXEC_H
#define CREDAGENT_AGENT_EXEC_H

/*
 * Building blocks of mutations, run by the writer thread inside a job's
 * nested transaction. Each returns 0, or -1 having set the job's status and
 * message (the transaction is then aborted).
 */

#include <lmdb.h>

#include "record.h"
#include "ops.h"

/* A secret's record, decoded from a private copy (*ret_copy, freed by the
 * caller). -ENOENT (status untouched) when there is none. */
int exec_load(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	      struct meta_rec *ret, uint8_t **ret_copy, struct wjob *j);
/* As exec_load, but a missing or soft-deleted secret fails NOT_FOUND. */
int exec_load_live(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		   struct meta_rec *ret, uint8_t **ret_copy, struct wjob *j);
int exec_save(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	      const struct meta_rec *m, struct wjob *j);

/*
 * Make VALUE the new current version of M (M->version is bumped, the
 * version list extended and pruned past max_versions, pruned blobs
 * deleted, the value sealed, the record saved).
 */
int exec_new_version(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		     struct meta_rec *m, const uint8_t *value, size_t len, struct wjob *j);

/* Unseal version VER of M into locked memory (*ret, *ret_len; the caller
 * frees it with smem_free). */
int exec_open_version(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		      const struct meta_rec *m, uint32_t ver, uint8_t **ret, size_t *ret_len,
		      struct wjob *j);

/* Seal VALUE as version M->version of the secret (the record is not
 * touched). */
int exec_seal_version(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		      const struct meta_rec *m, const uint8_t *value, size_t len, struct wjob *j);

/* Destroy a secret now: every blob, its record and its trash entry. */
int exec_purge_all(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		   const struct meta_rec *m, struct wjob *j);

/* Soft-delete bookkeeping: the trash index entry of a deleted secret. */
int exec_trash(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	       uint64_t deleted, bool add, struct wjob *j);

/* The job's caller may do NEED on its target: 0, or -1 with NOT_FOUND
 * (not visible) or DENIED set. */
int exec_authz(struct agent *a, MDB_txn *t, struct wjob *j, int need);

/* A store error R (-ENOSPC marks the job for a retry on a grown map). */
int exec_store_error(struct wjob *j, int r);

int exec_fail(struct wjob *j, uint16_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
