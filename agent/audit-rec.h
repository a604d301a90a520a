/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_AUDIT_REC_H
#define CREDAGENT_AGENT_AUDIT_REC_H

/*
 * Audit records and their chain, as stored in the audit database:
 *
 *   key    u64 sequence number (from 1)
 *   value  u8 format (1) | u8 flags (AUDIT_F_*) | u64 seq | u64 time |
 *          u32 uid | u32 gid | u32 pid | u32 count | u16 status | u8 op |
 *          u8 comm length | comm | u8 has target |
 *          [u32 owner | u8 name length | name | u32 version (0: none)] |
 *          32-byte link
 *
 * link = BLAKE2b-256(previous link || the value's bytes before the link),
 * keyed with the audit key when AUDIT_F_KEYED is set (every record made
 * once the agent has its audit key), unkeyed before the first unlock: the
 * first keyed record then covers the hash-chained ones before it.
 * The sys record "audit-anchor" (u64 first seq | 32-byte link before it |
 * MAC under the audit key) says where the kept chain starts once old records are dropped.
 */

#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "proto/proto.h"
#include "peer.h"

#define AUDIT_WUR __attribute__((warn_unused_result))
#define AUDIT_LINK_SIZE 32u
#define AUDIT_FORMAT 1u
#define AUDIT_F_KEYED 0x01u
#define AUDIT_F_SECURITY 0x02u
#define AUDIT_OP_CONNECT 0x00u
#define AUDIT_OP_SUPPRESSED 0xfeu
#define AUDIT_REC_MAX (64u + PEER_COMM_MAX + PROTO_NAME_MAX + AUDIT_LINK_SIZE)

struct store;

/* What the audit target of a request is: a secret, and maybe a version. */
struct audit_target {
	bool present;
	uint32_t owner;
	uint8_t name_len;
	uint8_t name[PROTO_NAME_MAX];
	uint32_t version; /* 0: none */
};

struct audit_entry {
	uint64_t time;
	uint32_t uid, gid, pid;
	uint32_t count;
	uint16_t status;
	uint8_t op;
	bool security;
	char comm[PEER_COMM_MAX];
	struct audit_target target;
};

/* The writer's end of the chain. */
struct audit_chain {
	uint64_t seq; /* the last record's */
	uint8_t link[AUDIT_LINK_SIZE];
};

/* A decoded stored record (borrowing the value). */
struct audit_stored {
	uint8_t flags;
	uint64_t seq;
	struct audit_entry e;
	const uint8_t *body; /* the linked bytes */
	size_t body_len;
	const uint8_t *link;
};

/* Fill E's identity fields from PEER, OP, TARGET (may be NULL), STATUS. */
void audit_entry_init(struct audit_entry *e, const struct peer *peer, uint8_t op,
		      const struct audit_target *target, uint16_t status);

/* Read the chain's end from the store (the last record, or the anchor). */
int audit_chain_load(struct store *s, MDB_txn *t, struct audit_chain *ret) AUDIT_WUR;
/* Append E as the next record under KEY (NULL: hash-chained only). */
int audit_append(struct store *s, MDB_txn *t, struct audit_chain *ch, const uint8_t *key,
		 const struct audit_entry *e) AUDIT_WUR;
/* Parse a stored record: 0 or -EBADMSG. */
int audit_decode(const void *val, size_t len, struct audit_stored *ret) AUDIT_WUR;
/* The link a record must carry after PREV, under KEY when it is keyed. */
void audit_link(const uint8_t *prev, const uint8_t *key, const uint8_t *body, size_t len,
		uint8_t *out);
/* The anchor: first kept seq and the link before it (1 and zeros when
 * nothing was ever dropped), MAC'd with the audit KEY. -EBADMSG when its
 * MAC fails, -ENOKEY when KEY is NULL and there is an anchor to check. */
int audit_anchor_load(struct store *s, MDB_txn *t, const uint8_t *key, uint64_t *ret_first,
		      uint8_t *ret_link) AUDIT_WUR;
int audit_anchor_save(struct store *s, MDB_txn *t, const uint8_t *key, uint64_t first,
		      const uint8_t *link) AUDIT_WUR;

#endif
