/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_KEYS_H
#define CREDAGENT_AGENT_KEYS_H

/*
 * The key hierarchy: keyslots wrap the master key (MK); MK wraps each
 * vault-key (VK) generation; VK generations wrap the per-version DEKs
 * (seal.h). Plaintext keys live only in one locked allocation.
 *
 * sys records: "format" u32; "store-id" 16 bytes;
 *   "slot/N"  u8 kind | wrapped MK          (AAD "credagent/slot" | N | kind)
 *   "vk/G"    wrapped VK                     (AAD "credagent/vk" | G)
 *   "vk-current" u32 G | MAC
 */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define KEYS_WUR __attribute__((warn_unused_result))
#define KEYS_VK_MAX 8u
#define KEYS_FORMAT 1u
#define KEYS_SLOT_KEYFILE 1u

struct keys;

/*
 * Open the key hierarchy of the store S with the keyfile at KEYFILE. A new
 * store (no "format" record) is initialised: the keyfile is created (0600,
 * 32 random bytes) unless it exists, and becomes slot 0. An existing store
 * needs a keyfile some slot accepts. On failure ERRBUF gets a sentence for
 * the user and nothing in the store or on disk has changed.
 */
int keys_open(struct store *s, const char *keyfile, struct keys **ret, char *errbuf,
	      size_t errlen) KEYS_WUR;
/* Zero and free; accepts NULL. */
void keys_free(struct keys *k);

/* The VK of generation GEN, or NULL if not loaded. */
const uint8_t *keys_vk(const struct keys *k, uint32_t gen);
uint32_t keys_vk_current(const struct keys *k);
/* The key for record MACs, derived from MK. */
const uint8_t *keys_mac_key(const struct keys *k);

#endif
