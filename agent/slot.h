/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_SLOT_H
#define CREDAGENT_AGENT_SLOT_H

/*
 * Keyslots: each wraps the master key (MK) under a key-encryption key
 * (KEK), as LUKS does. sys record "slot/N":
 *   u8 kind | u64 created | [passphrase: salt(16) | u64 opslimit |
 *   u64 memlimit] | wrapped MK (seal.h)
 * (a 73-byte record without "created" is an early keyfile slot). The
 * wrap's additional data binds the slot number, kind and, for a
 * passphrase, its salt and Argon2id limits, so none can be swapped or
 * weakened.
 *   keyfile:    KEK = BLAKE2b-256 keyed by the 32-byte file
 *   passphrase: KEK = Argon2id(passphrase, salt, opslimit, memlimit)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "proto/proto.h"
#include "seal.h"
#include "store.h"

#define SLOT_WUR __attribute__((warn_unused_result))
#define SLOT_SALT_SIZE 16u
#define SLOT_REC_MAX (1u + 8u + SLOT_SALT_SIZE + 16u + SEAL_WRAPPED_SIZE)

struct slot_rec {
	uint32_t index;
	uint8_t kind; /* PROTO_SLOT_KEYFILE or PROTO_SLOT_PASSPHRASE */
	uint64_t created;
	uint8_t salt[SLOT_SALT_SIZE];
	uint64_t opslimit;
	uint64_t memlimit;
	uint8_t wrapped[SEAL_WRAPPED_SIZE];
};

int slot_decode(uint32_t index, struct proto_bytes v, struct slot_rec *ret) SLOT_WUR;
/* Bytes written to OUT (SLOT_REC_MAX). */
size_t slot_encode(const struct slot_rec *s, uint8_t *out);

/* Every slot of the store (at most PROTO_SLOTS_MAX): the count, or -errno. */
int slot_load_all(struct store *st, MDB_txn *t, struct slot_rec *out) SLOT_WUR;
/* The lowest unused slot number, or -ENOSPC. */
int slot_free_index(struct store *st, MDB_txn *t) SLOT_WUR;
int slot_put(struct store *st, MDB_txn *t, const struct slot_rec *s) SLOT_WUR;
int slot_del(struct store *st, MDB_txn *t, uint32_t index) SLOT_WUR;

/* KEKs (KEK: SEAL_KEY_SIZE bytes of locked memory). Argon2id is slow:
 * never on the event loop. */
void slot_kek_keyfile(const uint8_t *keyfile, uint8_t *kek);
int slot_kek_passphrase(const struct slot_rec *s, const uint8_t *pass, size_t len,
			uint8_t *kek) SLOT_WUR;

/* Wrap MK into S (whose index, kind, salt and limits are set). */
void slot_wrap(struct slot_rec *s, const uint8_t *kek, const uint8_t *mk);
/* Unwrap S's MK: 0, or -EBADMSG when KEK is not S's. */
int slot_unwrap(const struct slot_rec *s, const uint8_t *kek, uint8_t *mk) SLOT_WUR;

/* A new passphrase slot's salt and limits. */
void slot_new_passphrase(struct slot_rec *s, uint32_t index, uint64_t ops, uint64_t mem);

#endif
