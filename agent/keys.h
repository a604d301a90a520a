/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_KEYS_H
#define CREDAGENT_AGENT_KEYS_H

/*
 * The key hierarchy: keyslots (slot.h) wrap the master key (MK); MK wraps
 * each vault-key (VK) generation; VK generations wrap the per-version DEKs
 * (seal.h). Plaintext keys live only in one locked allocation.
 *
 * sys records: "format" u32; "store-id" 16 bytes; "slot/N" (slot.h);
 *   "vk/G"    wrapped VK                     (AAD "credagent/vk" | G)
 *   "vk-current" u32 G | MAC
 *   "audit-key" the audit key wrapped by MK (AAD "credagent/audit-key")
 *
 * Locking: the event loop is the only thread that changes the keys (lock,
 * unlock); the writer thread holds keys_read_begin() over each batch, so a
 * lock waits for the batch and a batch never sees half-wiped keys.
 */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define KEYS_WUR __attribute__((warn_unused_result))
#define KEYS_VK_MAX 8u
#define KEYS_FORMAT 1u

struct keys;

/*
 * Open the key hierarchy of the store S with the keyfile at KEYFILE. A new
 * store (no "format" record) is initialised with a keyfile slot: the
 * keyfile is created (0600, 32 random bytes) unless it exists. An existing
 * store opens with a keyfile some slot accepts; without one, a store that
 * has a passphrase slot opens locked. On failure ERRBUF gets a sentence for
 * the user and nothing in the store or on disk has changed.
 */
int keys_open(struct store *s, const char *keyfile, struct keys **ret, char *errbuf,
	      size_t errlen) KEYS_WUR;
/* Initialise a new store whose only slot is a passphrase (Argon2id with
 * OPS and MEM). -EEXIST if the store is not new. */
int keys_init_passphrase(struct store *s, const uint8_t *pass, size_t len, uint64_t ops,
			 uint64_t mem, char *errbuf, size_t errlen) KEYS_WUR;
/* Zero and free; accepts NULL. */
void keys_free(struct keys *k);

bool keys_locked(const struct keys *k);
/* Wipe MK, VK and the derived keys (loop thread). */
void keys_lock(struct keys *k);
/* Unlock with the keyfile (re-read from disk): 0, or -errno with ERRBUF. */
int keys_unlock_keyfile(struct keys *k, struct store *s, char *errbuf, size_t errlen) KEYS_WUR;
/* Install MK (from a slot opened elsewhere) and load the VK generations:
 * 0, or -EBADMSG when the store's key records do not open with it. */
int keys_install(struct keys *k, struct store *s, const uint8_t *mk) KEYS_WUR;
/* Copy MK (SEAL_KEY_SIZE bytes) into OUT, locked memory: -ENOKEY if locked. */
int keys_copy_mk(const struct keys *k, uint8_t *out) KEYS_WUR;
const char *keys_keyfile_path(const struct keys *k);

/*
 * Rekey support. keys_new_generation() (writer thread, in T) writes VK
 * generation current+1 and makes it current in the store; memory follows
 * with keys_reload() (loop thread). keys_destroy_generation() deletes a
 * generation's record. 0 or -errno.
 */
int keys_new_generation(struct keys *k, struct store *s, MDB_txn *t, uint32_t *ret_gen) KEYS_WUR;
int keys_destroy_generation(struct store *s, MDB_txn *t, uint32_t gen) KEYS_WUR;
int keys_reload(struct keys *k, struct store *s) KEYS_WUR;

/* The writer thread's hold on the keys over one batch. */
void keys_read_begin(struct keys *k);
void keys_read_end(struct keys *k);

/* The VK of generation GEN, or NULL if not loaded. */
const uint8_t *keys_vk(const struct keys *k, uint32_t gen);
uint32_t keys_vk_current(const struct keys *k);
/* The audit key (SEAL_KEY_SIZE bytes), or NULL before the first unlock
 * of this agent's life. Lock does not wipe it. */
const uint8_t *keys_audit_key(const struct keys *k);
/* The key for record MACs, derived from MK. */
const uint8_t *keys_mac_key(const struct keys *k);

#endif
