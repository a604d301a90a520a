/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_STORE_H
#define CREDAGENT_AGENT_STORE_H

/*
 * The LMDB store: one environment in the state directory with the named
 * databases meta, blob, grant, audit and sys. LMDB results are translated
 * here: not found -ENOENT, map full -ENOSPC, corrupt -EBADMSG, others -EIO.
 *
 * Keys: meta  u32 owner | name
 *       blob  u32 owner | name | 0x00 | u32 version
 *       sys   ASCII record names
 *       grant u32 owner | name | 0x00 | u8 kind (0 name, 1 prefix) |
 *             u8 grantee type (0 uid, 1 gid) | u32 grantee
 *             -> u8 perm | u64 created | u32 by | MAC
 *       grantee  u8 type | u32 grantee | u32 owner | name | 0x00 | u8 kind
 *             (empty values): the same grants by grantee, for LIST
 *       trash u64 deletion time | u32 owner | name (empty values): an
 *             index of soft-deleted secrets for the retention sweep
 *       audit u64 sequence number (audit-rec.h)
 *       usage u32 owner | name: usage counters (usage.h)
 * so one owner's secrets, and a name prefix within them, are a range.
 *
 * Values returned by store_get() point into the map and die with their
 * transaction.
 */

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>
#include <pthread.h>

#include "proto/proto.h"

#define STORE_WUR __attribute__((warn_unused_result))
#define STORE_META_KEY_MAX (4u + PROTO_NAME_MAX)
#define STORE_BLOB_KEY_MAX (4u + PROTO_NAME_MAX + 1u + 4u)
#define STORE_MAP_SIZE_DEFAULT (1ull << 30)

struct store {
	MDB_env *env;
	MDB_dbi meta, blob, grant, audit, sys, trash, grantee, usage;
	MDB_txn *rtxn; /* the event loop's reusable read transaction */
	pthread_rwlock_t resize; /* read-held by every read transaction */
};

/* Open (creating if needed) the environment in DIR, files 0600. */
int store_open(const char *dir, size_t map_size, struct store **ret) STORE_WUR;
void store_close(struct store *s);

/* The loop thread's read transaction: renewed per request, reset after. */
int store_read_begin(struct store *s, MDB_txn **ret) STORE_WUR;
void store_read_end(struct store *s);

/* A read transaction for another thread (the worker): holds the map
 * steady until store_reader_end(). */
int store_reader_begin(struct store *s, MDB_txn **ret) STORE_WUR;
void store_reader_end(struct store *s, MDB_txn *t);
/* A write transaction (PARENT non-NULL: nested). Commit syncs. */
int store_txn_begin(struct store *s, MDB_txn *parent, MDB_txn **ret) STORE_WUR;
int store_txn_commit(MDB_txn *t) STORE_WUR;
void store_txn_abort(MDB_txn *t);

int store_get(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len,
	      struct proto_bytes *ret) STORE_WUR;
int store_put(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len, const void *val,
	      size_t val_len) STORE_WUR;
/* Reserve LEN bytes for a value the caller fills before the txn ends. */
int store_reserve(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len, size_t len,
		  uint8_t **ret) STORE_WUR;
int store_del(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len) STORE_WUR;

size_t store_meta_key(uint8_t *out, uint32_t owner, const uint8_t *name, size_t name_len);
size_t store_blob_key(uint8_t *out, uint32_t owner, const uint8_t *name, size_t name_len,
		      uint32_t version);
#define STORE_TRASH_KEY_MAX (8u + STORE_META_KEY_MAX)
size_t store_trash_key(uint8_t *out, uint64_t deleted, uint32_t owner, const uint8_t *name,
		       size_t name_len);

/* Secrets not soft-deleted, and the bytes the map uses. */
int store_stats(struct store *s, uint64_t *ret_secrets, uint64_t *ret_bytes) STORE_WUR;

/*
 * Double the map (writer thread, no transaction of its own open): waits
 * for the loop's read transaction to end, as LMDB requires no active
 * transaction in the process while the map is resized. 0 or -errno.
 */
int store_grow(struct store *s) STORE_WUR;

/* A hot, compacted copy of the store to FD (worker thread; readers and
 * writers go on meanwhile), synced. 0 or -errno. */
int store_backup(struct store *s, int fd) STORE_WUR;

/* Translate an LMDB return code to -errno. */
int store_errno(int rc);

#endif
