/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "slot.h"

#define SLOT_LEGACY_KEYFILE (1u + SEAL_WRAPPED_SIZE)

int
slot_decode(uint32_t index, struct proto_bytes v, struct slot_rec *ret)
{
	struct buf_reader r;
	const uint8_t *p;

	memset(ret, 0, sizeof(*ret));
	ret->index = index;
	if (v.len == SLOT_LEGACY_KEYFILE && v.ptr[0] == PROTO_SLOT_KEYFILE) {
		ret->kind = PROTO_SLOT_KEYFILE;
		memcpy(ret->wrapped, v.ptr + 1, SEAL_WRAPPED_SIZE);
		return 0;
	}
	buf_reader_init(&r, v.ptr, v.len);
	if (buf_get_u8(&r, &ret->kind) < 0 || buf_get_u64(&r, &ret->created) < 0)
		return -EBADMSG;
	if (ret->kind == PROTO_SLOT_PASSPHRASE) {
		if (buf_get_bytes(&r, SLOT_SALT_SIZE, &p) < 0 ||
		    buf_get_u64(&r, &ret->opslimit) < 0 || buf_get_u64(&r, &ret->memlimit) < 0)
			return -EBADMSG;
		memcpy(ret->salt, p, SLOT_SALT_SIZE);
	} else if (ret->kind != PROTO_SLOT_KEYFILE) {
		return -EBADMSG;
	}
	if (buf_get_bytes(&r, SEAL_WRAPPED_SIZE, &p) < 0 || buf_remaining(&r) != 0)
		return -EBADMSG;
	memcpy(ret->wrapped, p, SEAL_WRAPPED_SIZE);
	return 0;
}

size_t
slot_encode(const struct slot_rec *s, uint8_t *out)
{
	struct buf_writer w;

	buf_writer_init(&w, out, SLOT_REC_MAX);
	buf_put_u8(&w, s->kind);
	buf_put_u64(&w, s->created);
	if (s->kind == PROTO_SLOT_PASSPHRASE) {
		buf_put_bytes(&w, s->salt, SLOT_SALT_SIZE);
		buf_put_u64(&w, s->opslimit);
		buf_put_u64(&w, s->memlimit);
	}
	buf_put_bytes(&w, s->wrapped, SEAL_WRAPPED_SIZE);
	return w.len;
}

static size_t
slot_aad(const struct slot_rec *s, uint8_t *out)
{
	struct buf_writer w;

	/* The early keyfile slots' AAD, extended for passphrases only. */
	buf_writer_init(&w, out, 96);
	buf_put_bytes(&w, "credagent/slot", 14);
	buf_put_u32(&w, s->index);
	buf_put_u8(&w, s->kind);
	if (s->kind == PROTO_SLOT_PASSPHRASE) {
		buf_put_bytes(&w, s->salt, SLOT_SALT_SIZE);
		buf_put_u64(&w, s->opslimit);
		buf_put_u64(&w, s->memlimit);
	}
	return w.len;
}

static void
slot_name(char *buf, size_t size, uint32_t index)
{
	snprintf(buf, size, "slot/%u", index);
}

int
slot_load_all(struct store *st, MDB_txn *t, struct slot_rec *out)
{
	char name[16];
	int n = 0;

	for (uint32_t i = 0; i < PROTO_SLOTS_MAX; i++) {
		struct proto_bytes v;
		int r;

		slot_name(name, sizeof(name), i);
		r = store_get(t, st->sys, name, strlen(name), &v);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (slot_decode(i, v, &out[n]) == 0)
			n++;
	}
	return n;
}

int
slot_free_index(struct store *st, MDB_txn *t)
{
	char name[16];

	for (uint32_t i = 0; i < PROTO_SLOTS_MAX; i++) {
		struct proto_bytes v;

		slot_name(name, sizeof(name), i);
		if (store_get(t, st->sys, name, strlen(name), &v) == -ENOENT)
			return (int)i;
	}
	return -ENOSPC;
}

int
slot_put(struct store *st, MDB_txn *t, const struct slot_rec *s)
{
	uint8_t rec[SLOT_REC_MAX];
	char name[16];

	slot_name(name, sizeof(name), s->index);
	return store_put(t, st->sys, name, strlen(name), rec, slot_encode(s, rec));
}

int
slot_del(struct store *st, MDB_txn *t, uint32_t index)
{
	char name[16];

	slot_name(name, sizeof(name), index);
	return store_del(t, st->sys, name, strlen(name));
}

void
slot_kek_keyfile(const uint8_t *keyfile, uint8_t *kek)
{
	static const char label[] = "credagent keyfile slot v1";

	crypto_generichash(kek, SEAL_KEY_SIZE, (const uint8_t *)label, sizeof(label) - 1, keyfile,
			   SEAL_KEY_SIZE);
}

int
slot_kek_passphrase(const struct slot_rec *s, const uint8_t *pass, size_t len, uint8_t *kek)
{
	if (crypto_pwhash(kek, SEAL_KEY_SIZE, (const char *)pass, len, s->salt, s->opslimit,
			  (size_t)s->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

void
slot_wrap(struct slot_rec *s, const uint8_t *kek, const uint8_t *mk)
{
	uint8_t aad[96];

	seal_wrap_key(kek, aad, slot_aad(s, aad), mk, s->wrapped);
}

int
slot_unwrap(const struct slot_rec *s, const uint8_t *kek, uint8_t *mk)
{
	uint8_t aad[96];

	return seal_unwrap_key(kek, aad, slot_aad(s, aad), s->wrapped, mk);
}

void
slot_new_passphrase(struct slot_rec *s, uint32_t index, uint64_t ops, uint64_t mem)
{
	memset(s, 0, sizeof(*s));
	s->index = index;
	s->kind = PROTO_SLOT_PASSPHRASE;
	randombytes_buf(s->salt, sizeof(s->salt));
	s->opslimit = ops;
	s->memlimit = mem;
}
