/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_SEAL_H
#define CREDAGENT_AGENT_SEAL_H

/*
 * The crypto envelope. Every ciphertext is XChaCha20-Poly1305 with a random
 * nonce and additional data that binds it to where it belongs.
 *
 * A wrapped key (MK under a keyslot, VK under MK, DEK under VK) is
 * nonce(24) | ciphertext(32) | tag(16).
 *
 * A sealed blob (one secret version) is
 *   u8 record version | u32 VK generation | wrapped DEK (72) |
 *   nonce(24) | ciphertext | tag(16)
 * where the DEK wrap and the value share the additional data of
 * seal_aad: format, owner uid, the secret's random id, name, version, type
 * (the DEK's also binds the VK generation).
 *
 * Failures: -EBADMSG for anything that does not authenticate or parse,
 * -ENOKEY when the VK generation is not loaded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_WUR __attribute__((warn_unused_result))

#define SEAL_KEY_SIZE 32u
#define SEAL_ID_SIZE 16u
#define SEAL_MAC_SIZE 32u
#define SEAL_WRAPPED_SIZE (24u + SEAL_KEY_SIZE + 16u)
#define SEAL_BLOB_OVERHEAD (1u + 4u + SEAL_WRAPPED_SIZE + 24u + 16u)
#define SEAL_FORMAT 1u

struct keys;

struct seal_aad {
	uint32_t owner;
	const uint8_t *id; /* SEAL_ID_SIZE bytes */
	const uint8_t *name;
	size_t name_len;
	uint32_t version;
	const uint8_t *type;
	size_t type_len;
};

/* Wrap / unwrap a 32-byte key under KEK with AAD (domain-separated by the
 * caller's AAD bytes). OUT/ret are SEAL_WRAPPED_SIZE / SEAL_KEY_SIZE. */
void seal_wrap_key(const uint8_t *kek, const void *aad, size_t aad_len, const uint8_t *key,
		   uint8_t *out);
int seal_unwrap_key(const uint8_t *kek, const void *aad, size_t aad_len, const uint8_t *wrapped,
		    uint8_t *ret_key) SEAL_WUR;

static inline size_t
seal_blob_size(size_t plain_len)
{
	return plain_len + SEAL_BLOB_OVERHEAD;
}

/*
 * Seal PLAIN under a fresh DEK wrapped by the keys' current VK generation,
 * into OUT (seal_blob_size(len) bytes). DEK_SCRATCH is SEAL_KEY_SIZE bytes of
 * the calling thread's locked memory; it is zeroed before return.
 */
int seal_blob(const struct keys *k, uint8_t *dek_scratch, const struct seal_aad *aad,
	      const uint8_t *plain, size_t len, uint8_t *out) SEAL_WUR;

/* The plaintext length of a blob, or -EBADMSG if it is too short. */
int seal_blob_plain_len(const uint8_t *blob, size_t blob_len, size_t *ret) SEAL_WUR;
/* The VK generation a blob's DEK is wrapped under. */
int seal_blob_generation(const uint8_t *blob, size_t blob_len, uint32_t *ret) SEAL_WUR;

/* Open a blob into OUT (seal_blob_plain_len bytes). On failure OUT is
 * zeroed. */
int seal_open_blob(const struct keys *k, uint8_t *dek_scratch, const struct seal_aad *aad,
		   const uint8_t *blob, size_t blob_len, uint8_t *out) SEAL_WUR;

/* The event loop's verification cache (see seal.c): locked memory, one
 * thread, wiped with seal_cache_clear() whenever the keys are locked. */
struct seal_cache;
struct seal_cache_stats {
	uint64_t dek_hits, dek_misses, mac_hits, mac_misses;
};
struct seal_cache *seal_cache_new(void);
void seal_cache_clear(struct seal_cache *c);
void seal_cache_free(struct seal_cache *c);
void seal_cache_stats(const struct seal_cache *c, struct seal_cache_stats *ret);
/* seal_open_blob() with the DEK unwrap through CACHE (NULL: none). */
int seal_open_blob_cached(const struct keys *k, struct seal_cache *cache, uint8_t *dek_scratch,
			  const struct seal_aad *aad, const uint8_t *blob, size_t blob_len,
			  uint8_t *out) SEAL_WUR;

/*
 * Rekey: rewrap BLOB's DEK under the current VK generation into OUT
 * (BLOB_LEN bytes; the ciphertext is copied as it is). -ENOKEY when the
 * blob's generation is not loaded, -EBADMSG when it does not open.
 */
int seal_rewrap_blob(const struct keys *k, uint8_t *dek_scratch, const struct seal_aad *aad,
		     const uint8_t *blob, size_t blob_len, uint8_t *out) SEAL_WUR;

/* MAC of a store record: keyed BLAKE2b-256 over the database name, the
 * record key and value. */
void seal_mac(const struct keys *k, const char *db, const void *key, size_t key_len,
	      const void *val, size_t val_len, uint8_t *out);
/* 0 when MAC matches (constant time), -EBADMSG otherwise. */
int seal_mac_verify(const struct keys *k, const char *db, const void *key, size_t key_len,
		    const void *val, size_t val_len, const uint8_t *mac) SEAL_WUR;
/* seal_mac_verify() through CACHE (NULL: none), for a MAC stored right
 * after the value it covers. */
int seal_mac_verify_cached(const struct keys *k, struct seal_cache *cache, const char *db,
			   const void *key, size_t key_len, const void *val, size_t val_len,
			   const uint8_t *mac) SEAL_WUR;

#endif
