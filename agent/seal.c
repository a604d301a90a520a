/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/smem.h"
#include "keys.h"
#include "seal.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define BLOB_RECORD_VERSION 1u
#define AAD_MAX 512u

_Static_assert(NONCE == 24 && TAG == 16, "XChaCha20-Poly1305 sizes");
_Static_assert(SEAL_KEY_SIZE == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");

void
seal_wrap_key(const uint8_t *kek, const void *aad, size_t aad_len, const uint8_t *key,
	      uint8_t *out)
{
	randombytes_buf(out, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE, NULL, key, SEAL_KEY_SIZE, aad,
						   aad_len, NULL, out, kek);
}

int
seal_unwrap_key(const uint8_t *kek, const void *aad, size_t aad_len, const uint8_t *wrapped,
		uint8_t *ret_key)
{
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(ret_key, NULL, NULL, wrapped + NONCE,
						       SEAL_KEY_SIZE + TAG, aad, aad_len, wrapped,
						       kek) != 0) {
		sodium_memzero(ret_key, SEAL_KEY_SIZE);
		return -EBADMSG;
	}
	return 0;
}

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	buf_store_u32(p, v);
	return p + 4;
}

static uint8_t *
put_mem(uint8_t *p, const void *src, size_t n)
{
	if (n > 0)
		memcpy(p, src, n);
	return p + n;
}

/* The additional data of a blob; GEN is bound into the DEK wrap only. On
 * every GET's path (twice): plain stores, no writer. */
static size_t
build_aad(uint8_t *out, const struct seal_aad *a, const char *domain, uint32_t gen)
{
	size_t dlen = strlen(domain);
	uint8_t *p = out;

	/* Names are at most 255 bytes and types 32: this always fits. */
	if (a->name_len > 255 || a->type_len > 255 ||
	    dlen + 4 + 4 + SEAL_ID_SIZE + 2 + a->name_len + 4 + 1 + a->type_len + 4 > AAD_MAX)
		abort();
	p = put_mem(p, domain, dlen);
	p = put_u32(p, SEAL_FORMAT);
	p = put_u32(p, a->owner);
	p = put_mem(p, a->id, SEAL_ID_SIZE);
	*p++ = (uint8_t)(a->name_len >> 8);
	*p++ = (uint8_t)a->name_len;
	p = put_mem(p, a->name, a->name_len);
	p = put_u32(p, a->version);
	*p++ = (uint8_t)a->type_len;
	p = put_mem(p, a->type, a->type_len);
	p = put_u32(p, gen);
	return (size_t)(p - out);
}

int
seal_blob(const struct keys *k, uint8_t *dek, const struct seal_aad *a, const uint8_t *plain,
	  size_t len, uint8_t *out)
{
	uint8_t aad[AAD_MAX], dek_aad[AAD_MAX];
	size_t aad_len, dek_aad_len;
	const uint8_t *vk;
	uint32_t gen = keys_vk_current(k);
	uint8_t *p = out;

	vk = keys_vk(k, gen);
	if (vk == NULL)
		return -ENOKEY;
	aad_len = build_aad(aad, a, "credagent/blob", 0);
	dek_aad_len = build_aad(dek_aad, a, "credagent/dek", gen);
	crypto_aead_xchacha20poly1305_ietf_keygen(dek);
	*p++ = BLOB_RECORD_VERSION;
	buf_store_u32(p, gen);
	p += 4;
	seal_wrap_key(vk, dek_aad, dek_aad_len, dek, p);
	p += SEAL_WRAPPED_SIZE;
	randombytes_buf(p, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(p + NONCE, NULL, plain, len, aad, aad_len, NULL,
						   p, dek);
	sodium_memzero(dek, SEAL_KEY_SIZE);
	return 0;
}

int
seal_blob_plain_len(const uint8_t *blob, size_t blob_len, size_t *ret)
{
	if (blob_len < SEAL_BLOB_OVERHEAD || blob[0] != BLOB_RECORD_VERSION)
		return -EBADMSG;
	*ret = blob_len - SEAL_BLOB_OVERHEAD;
	return 0;
}

int
seal_blob_generation(const uint8_t *blob, size_t blob_len, uint32_t *ret)
{
	if (blob_len < SEAL_BLOB_OVERHEAD || blob[0] != BLOB_RECORD_VERSION)
		return -EBADMSG;
	*ret = buf_load_u32(blob + 1);
	return 0;
}

/*
 * The event loop's verification cache, in locked memory and wiped whenever
 * the keys are locked. Two memos, each direct-mapped:
 *
 * - unwrap(VK, AAD, wrapped DEK) for the versions opened last, indexed by
 *   the wrapped DEK's random nonce. An entry answers only when the VK
 *   bytes, the additional data and all 72 wrapped bytes (nonce,
 *   ciphertext, tag) are those it was made from, so it gives exactly what
 *   the unwrap would; it holds nothing the loaded VKs could not unwrap.
 * - "this metadata record verified": the MAC key, the database, the key
 *   and the whole value (its MAC included) of records that passed
 *   seal_mac_verify(). Only the very same bytes under the very same key
 *   pass again without the MAC being computed.
 *
 * An edited or moved record misses and takes the full path. Together they
 * save one AEAD open and one keyed BLAKE2b per warm GET.
 */
#define DEK_SLOTS 32u
#define MAC_SLOTS 32u
#define MAC_DB_MAX 8u
#define MAC_KEY_MAX (4u + 255u)
#define MAC_VAL_MAX 480u

struct dek_entry {
	bool used;
	uint16_t aad_len;
	uint8_t vk[SEAL_KEY_SIZE];
	uint8_t wrapped[SEAL_WRAPPED_SIZE];
	uint8_t dek[SEAL_KEY_SIZE];
	uint8_t aad[AAD_MAX];
};

struct mac_entry {
	bool used;
	uint16_t key_len, val_len;
	char db[MAC_DB_MAX];
	uint8_t mac_key[SEAL_KEY_SIZE];
	uint8_t key[MAC_KEY_MAX];
	uint8_t val[MAC_VAL_MAX + SEAL_MAC_SIZE];
};

struct seal_cache {
	struct dek_entry dek[DEK_SLOTS];
	struct mac_entry mac[MAC_SLOTS];
	struct seal_cache_stats stats;
};

struct seal_cache *
seal_cache_new(void)
{
	return smem_alloc(sizeof(struct seal_cache));
}

void
seal_cache_clear(struct seal_cache *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c->dek, sizeof(c->dek));
	sodium_memzero(c->mac, sizeof(c->mac));
}

void
seal_cache_free(struct seal_cache *c)
{
	smem_free(c);
}

void
seal_cache_stats(const struct seal_cache *c, struct seal_cache_stats *ret)
{
	*ret = c->stats;
}

/* Unwrap the DEK at WRAPPED into DEK, through CACHE when there is one. */
static int
unwrap_dek(struct seal_cache *cache, const uint8_t *vk, const uint8_t *aad, size_t aad_len,
	   const uint8_t *wrapped, uint8_t *dek)
{
	struct dek_entry *e;
	int r;

	if (cache == NULL)
		return seal_unwrap_key(vk, aad, aad_len, wrapped, dek);
	e = &cache->dek[buf_load_u32(wrapped) % DEK_SLOTS];
	if (e->used && e->aad_len == aad_len && sodium_memcmp(e->vk, vk, SEAL_KEY_SIZE) == 0 &&
	    memcmp(e->wrapped, wrapped, SEAL_WRAPPED_SIZE) == 0 &&
	    memcmp(e->aad, aad, aad_len) == 0) {
		memcpy(dek, e->dek, SEAL_KEY_SIZE);
		cache->stats.dek_hits++;
		return 0;
	}
	cache->stats.dek_misses++;
	r = seal_unwrap_key(vk, aad, aad_len, wrapped, dek);
	if (r < 0)
		return r;
	sodium_memzero(e, sizeof(*e));
	e->used = true;
	e->aad_len = (uint16_t)aad_len;
	memcpy(e->vk, vk, SEAL_KEY_SIZE);
	memcpy(e->wrapped, wrapped, SEAL_WRAPPED_SIZE);
	memcpy(e->dek, dek, SEAL_KEY_SIZE);
	memcpy(e->aad, aad, aad_len);
	return 0;
}

int
seal_open_blob_cached(const struct keys *k, struct seal_cache *cache, uint8_t *dek,
		      const struct seal_aad *a, const uint8_t *blob, size_t blob_len, uint8_t *out)
{
	uint8_t aad[AAD_MAX], dek_aad[AAD_MAX];
	size_t aad_len, dek_aad_len, plain_len;
	const uint8_t *vk, *p;
	uint32_t gen;
	int r;

	r = seal_blob_plain_len(blob, blob_len, &plain_len);
	if (r < 0)
		return r;
	gen = buf_load_u32(blob + 1);
	vk = keys_vk(k, gen);
	if (vk == NULL) {
		sodium_memzero(out, plain_len);
		return -ENOKEY;
	}
	dek_aad_len = build_aad(dek_aad, a, "credagent/dek", gen);
	r = unwrap_dek(cache, vk, dek_aad, dek_aad_len, blob + 5, dek);
	if (r < 0) {
		sodium_memzero(out, plain_len);
		return r;
	}
	aad_len = build_aad(aad, a, "credagent/blob", 0);
	p = blob + 5 + SEAL_WRAPPED_SIZE;
	r = crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, p + NONCE, plain_len + TAG,
						       aad, aad_len, p, dek);
	sodium_memzero(dek, SEAL_KEY_SIZE);
	if (r != 0) {
		sodium_memzero(out, plain_len);
		return -EBADMSG;
	}
	return 0;
}

int
seal_open_blob(const struct keys *k, uint8_t *dek, const struct seal_aad *a, const uint8_t *blob,
	       size_t blob_len, uint8_t *out)
{
	return seal_open_blob_cached(k, NULL, dek, a, blob, blob_len, out);
}

int
seal_rewrap_blob(const struct keys *k, uint8_t *dek, const struct seal_aad *a, const uint8_t *blob,
		 size_t blob_len, uint8_t *out)
{
	uint8_t dek_aad[AAD_MAX];
	const uint8_t *old_vk, *new_vk;
	uint32_t gen, cur = keys_vk_current(k);
	size_t plain_len;
	int r;

	r = seal_blob_plain_len(blob, blob_len, &plain_len);
	if (r < 0)
		return r;
	gen = buf_load_u32(blob + 1);
	old_vk = keys_vk(k, gen);
	new_vk = keys_vk(k, cur);
	if (old_vk == NULL || new_vk == NULL)
		return -ENOKEY;
	r = seal_unwrap_key(old_vk, dek_aad, build_aad(dek_aad, a, "credagent/dek", gen), blob + 5,
			    dek);
	if (r < 0)
		return r;
	memcpy(out, blob, blob_len);
	buf_store_u32(out + 1, cur);
	seal_wrap_key(new_vk, dek_aad, build_aad(dek_aad, a, "credagent/dek", cur), dek, out + 5);
	sodium_memzero(dek, SEAL_KEY_SIZE);
	return 0;
}

void
seal_mac(const struct keys *k, const char *db, const void *key, size_t key_len, const void *val,
	 size_t val_len, uint8_t *out)
{
	crypto_generichash_state st;
	uint8_t lens[8];

	buf_store_u32(lens, (uint32_t)key_len);
	buf_store_u32(lens + 4, (uint32_t)val_len);
	crypto_generichash_init(&st, keys_mac_key(k), SEAL_KEY_SIZE, SEAL_MAC_SIZE);
	crypto_generichash_update(&st, (const uint8_t *)db, strlen(db) + 1);
	crypto_generichash_update(&st, lens, sizeof(lens));
	crypto_generichash_update(&st, key, key_len);
	crypto_generichash_update(&st, val, val_len);
	crypto_generichash_final(&st, out, SEAL_MAC_SIZE);
	sodium_memzero(&st, sizeof(st));
}

int
seal_mac_verify(const struct keys *k, const char *db, const void *key, size_t key_len,
		const void *val, size_t val_len, const uint8_t *mac)
{
	uint8_t want[SEAL_MAC_SIZE];
	int r;

	seal_mac(k, db, key, key_len, val, val_len, want);
	r = sodium_memcmp(want, mac, SEAL_MAC_SIZE) == 0 ? 0 : -EBADMSG;
	sodium_memzero(want, sizeof(want));
	return r;
}

/* The slot of a record: a cheap mix of its key's last bytes (the name's
 * tail) and length. */
static size_t
mac_slot(const uint8_t *key, size_t key_len)
{
	uint32_t h = (uint32_t)key_len * 2654435761u;

	for (size_t i = key_len > 8 ? key_len - 8 : 0; i < key_len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % MAC_SLOTS;
}

int
seal_mac_verify_cached(const struct keys *k, struct seal_cache *cache, const char *db,
		       const void *key, size_t key_len, const void *val, size_t val_len,
		       const uint8_t *mac)
{
	size_t dlen = strlen(db);
	struct mac_entry *e;
	int r;

	/* The memo holds the value and its MAC as one run: VAL, then MAC. */
	if (cache == NULL || dlen >= MAC_DB_MAX || key_len > MAC_KEY_MAX ||
	    val_len > MAC_VAL_MAX || mac != (const uint8_t *)val + val_len)
		return seal_mac_verify(k, db, key, key_len, val, val_len, mac);
	e = &cache->mac[mac_slot(key, key_len)];
	if (e->used && e->key_len == key_len && e->val_len == val_len &&
	    strcmp(e->db, db) == 0 &&
	    sodium_memcmp(e->mac_key, keys_mac_key(k), SEAL_KEY_SIZE) == 0 &&
	    memcmp(e->key, key, key_len) == 0 &&
	    memcmp(e->val, val, val_len + SEAL_MAC_SIZE) == 0) {
		cache->stats.mac_hits++;
		return 0;
	}
	cache->stats.mac_misses++;
	r = seal_mac_verify(k, db, key, key_len, val, val_len, mac);
	if (r < 0)
		return r;
	sodium_memzero(e, sizeof(*e));
	e->used = true;
	e->key_len = (uint16_t)key_len;
	e->val_len = (uint16_t)val_len;
	memcpy(e->db, db, dlen + 1);
	memcpy(e->mac_key, keys_mac_key(k), SEAL_KEY_SIZE);
	memcpy(e->key, key, key_len);
	memcpy(e->val, val, val_len + SEAL_MAC_SIZE);
	return 0;
}
