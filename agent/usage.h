/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_USAGE_H
#define CREDAGENT_AGENT_USAGE_H

/*
 * Usage counters of secrets: reads in total and in the current period,
 * the last read and its reader. The event loop, which serves every read,
 * holds the authoritative counters of the secrets read lately in a cache
 * (loaded from the store on first use); changed ones are written by the
 * audit group commit (audit.h), so a quota check never waits for a write
 * and never counts a read twice.
 *
 * Reads are counted per calendar hour, day and month (UTC) at once, so a
 * quota may change its period without losing the reads already made.
 *
 * Stored in the usage database under the secret's meta key:
 *   u8 format (2) | u64 reads | 3 x (u64 reads, u64 period start) for the
 *   hour, the day and the month | u64 last read | u32 reader uid |
 *   u32 reader pid | u8 comm length | comm | 32-byte MAC (keyed BLAKE2b
 *   under the audit key)
 */

#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "peer.h"
#include "proto/proto.h"
#include "store.h"

#define USAGE_WUR __attribute__((warn_unused_result))

struct agent;

#define USAGE_PERIODS 3u /* hour, day, month: enum proto_period - 1 */

struct usage_rec {
	uint64_t reads, last_read;
	uint64_t count[USAGE_PERIODS], start[USAGE_PERIODS];
	uint32_t reader_uid, reader_pid;
	char reader_comm[PEER_COMM_MAX];
	/* the view usage_rec_at() sets: the asked period's */
	uint64_t period_reads, period_start;
};

struct usage_snap {
	uint8_t key[STORE_META_KEY_MAX];
	uint32_t key_len;
	struct usage_rec rec;
};

struct usage;
struct usage_ent;

int usage_start(struct agent *a) USAGE_WUR;
void usage_free(struct usage *u);

/*
 * Loop thread: the counters of (OWNER, NAME), cached or loaded from T.
 * -EBADMSG when the stored record fails its MAC, -ENOMEM.
 */
int usage_get(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	      struct usage_ent **ret) USAGE_WUR;
/* The counters, rolled over to the periods holding NOW, with the view of
 * PERIOD (enum proto_period; 0: the day) set. */
struct usage_rec *usage_rec_at(struct usage_ent *e, uint32_t period, uint64_t now);
/* Count one read by P. */
void usage_count_read(struct agent *a, struct usage_ent *e, const struct peer *p, uint64_t now);
/* Reset the period's reads. */
void usage_reset(struct agent *a, struct usage_ent *e);
/* Forget a purged secret's counters. */
void usage_forget(struct agent *a, uint32_t owner, struct proto_bytes name);

/* For the audit group commit. */
bool usage_dirty(const struct agent *a);
uint32_t usage_take_dirty(struct agent *a, struct usage_snap **ret);
void usage_flush_failed(struct agent *a, struct usage_snap *s, uint32_t n);
void usage_snaps_free(struct usage_snap *s, uint32_t n);
/* Writer thread: store the snapshots (of secrets that still exist). */
int usage_exec_flush(struct agent *a, MDB_txn *t, const struct usage_snap *s,
		     uint32_t n) USAGE_WUR;
/* Writer thread: delete a purged secret's record. */
int usage_del(struct agent *a, MDB_txn *t, const uint8_t *key, size_t key_len) USAGE_WUR;

#endif
