/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_RECORD_H
#define CREDAGENT_AGENT_RECORD_H

/*
 * The metadata record of one secret, as stored in the meta database:
 *   u8  record version (2; version 1 records, without the quota and
 *       verify fields, are read as having none)
 *   16  id (random, fixed for the secret's life)
 *   u32 current version | u32 state | u32 max versions
 *   u64 created | u64 updated | u64 deleted | u64 expires   (0: unset)
 *   u8  type length | type
 *   u32 labels length | u32 label count | labels, as PROTO LABEL fields
 *   u32 version count | per version: u32 version, u64 created, u32 by
 *   (record version 2 and later:)
 *   u32 quota | u8 quota period (0: none) |
 *   u8 verify status | u64 verify time | u8 message length | message
 *   32  MAC over all of the above and the record's key (seal_mac, "meta")
 * Decoded records borrow the stored bytes (valid while the txn lives).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "seal.h"

#define RECORD_WUR __attribute__((warn_unused_result))
#define RECORD_VERSION_ENTRY 16u
#define RECORD_MAX_VERSIONS_DEFAULT 10u
#define RECORD_MAX_VERSIONS_LIMIT 100u

struct keys;

struct meta_rec {
	uint8_t id[SEAL_ID_SIZE];
	uint32_t version;
	uint32_t state;
	uint32_t max_versions;
	uint64_t created, updated, deleted, expires;
	struct proto_bytes type;
	struct proto_list_span labels;
	uint32_t n_versions;
	const uint8_t *versions; /* n_versions * RECORD_VERSION_ENTRY bytes */
	uint32_t quota, quota_period; /* 0: none */
	uint8_t verify_status;        /* 0: never verified */
	uint64_t verify_time;
	struct proto_bytes verify_msg; /* at most 255 bytes */
};

/* Parse and authenticate a stored record under KEY (the meta key).
 * -EBADMSG when it does not parse or its MAC fails. */
int record_decode(const struct keys *k, const uint8_t *key, size_t key_len,
		  struct proto_bytes val, struct meta_rec *ret) RECORD_WUR;
/* record_decode() with the MAC checked through the event loop's CACHE. */
int record_decode_cached(const struct keys *k, struct seal_cache *cache, const uint8_t *key,
			 size_t key_len, struct proto_bytes val, struct meta_rec *ret) RECORD_WUR;

/* Bytes record_encode() writes for M. */
size_t record_size(const struct meta_rec *m);
/* Encode M with its MAC into OUT (record_size(m) bytes). */
void record_encode(const struct keys *k, const uint8_t *key, size_t key_len,
		   const struct meta_rec *m, uint8_t *out);

/* Version entry I of M. */
void record_version_at(const struct meta_rec *m, uint32_t i, struct proto_version_info *ret);
/* Whether M keeps VERSION. */
bool record_has_version(const struct meta_rec *m, uint32_t version);

/* Fill a proto_meta (for INFO / LIST) from M; borrows M. */
void record_to_proto(const struct meta_rec *m, uint32_t owner, struct proto_bytes name,
		     struct proto_meta *ret);

#endif
