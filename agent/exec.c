/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/smem.h"
#include "authz.h"
#include "keys.h"
#include "exec.h"
#include "seal.h"
#include "store.h"
#include "usage.h"
#include "writer.h"

int
exec_fail(struct wjob *j, uint16_t status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->message, sizeof(j->message), fmt, ap);
	va_end(ap);
	j->status = status;
	return -1;
}

int
exec_store_error(struct wjob *j, int r)
{
	if (r == -ENOSPC)
		j->nospace = true;
	return exec_fail(j, PROTO_INTERNAL, "%s",
			 r == -ENOSPC ? "the store is full" : "the store cannot be written");
}

int
exec_authz(struct agent *a, MDB_txn *t, struct wjob *j, int need)
{
	uint16_t st = authz_check(a, t, &j->peer, j->owner, j->name, (enum authz_need)need);

	if (st == PROTO_NOT_FOUND)
		return exec_fail(j, st, "not found");
	if (st != PROTO_OK)
		return exec_fail(j, st, "%s",
				 need == AUTHZ_OWNER ? "only the owner may do this"
						     : "your grant does not allow this");
	return 0;
}

int
exec_load(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	  struct meta_rec *ret, uint8_t **ret_copy, struct wjob *j)
{
	uint8_t key[STORE_META_KEY_MAX];
	size_t klen = store_meta_key(key, owner, name.ptr, name.len);
	struct proto_bytes v;
	uint8_t *copy;
	int r = store_get(t, a->store->meta, key, klen, &v);

	if (r == -ENOENT)
		return r;
	if (r < 0)
		return exec_fail(j, PROTO_INTERNAL, "the store cannot be read");
	/* The stored bytes may move once this transaction rewrites them. */
	copy = malloc(v.len);
	if (copy == NULL)
		return exec_fail(j, PROTO_INTERNAL, "out of memory");
	memcpy(copy, v.ptr, v.len);
	v.ptr = copy;
	if (record_decode(a->keys, key, klen, v, ret) < 0) {
		free(copy);
		log_err("uid %u: metadata of %.*s fails its integrity check (edited or damaged)",
			(unsigned)owner, (int)name.len, (const char *)name.ptr);
		return exec_fail(j, PROTO_INTERNAL,
				 "its metadata record fails the integrity check (edited or damaged)");
	}
	*ret_copy = copy;
	return 0;
}

int
exec_load_live(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	       struct meta_rec *ret, uint8_t **ret_copy, struct wjob *j)
{
	int r = exec_load(a, t, owner, name, ret, ret_copy, j);

	if (r == 0 && ret->state == PROTO_STATE_DELETED) {
		free(*ret_copy);
		*ret_copy = NULL;
		r = -ENOENT;
	}
	if (r == -ENOENT)
		return exec_fail(j, PROTO_NOT_FOUND, "not found");
	return r;
}

int
exec_save(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	  const struct meta_rec *m, struct wjob *j)
{
	uint8_t key[STORE_META_KEY_MAX], *out;
	size_t klen = store_meta_key(key, owner, name.ptr, name.len);
	int r = store_reserve(t, a->store->meta, key, klen, record_size(m), &out);

	if (r < 0)
		return exec_store_error(j, r);
	record_encode(a->keys, key, klen, m, out);
	return 0;
}

static int
del_blob(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name, uint32_t ver,
	 struct wjob *j)
{
	uint8_t bkey[STORE_BLOB_KEY_MAX];
	size_t klen = store_blob_key(bkey, owner, name.ptr, name.len, ver);
	int r = store_del(t, a->store->blob, bkey, klen);

	if (r < 0 && r != -ENOENT)
		return exec_store_error(j, r);
	return 0;
}

int
exec_seal_version(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		const struct meta_rec *m, const uint8_t *value, size_t len, struct wjob *j)
{
	struct seal_aad aad = {owner, m->id, name.ptr, name.len, m->version, m->type.ptr,
			       m->type.len};
	uint8_t bkey[STORE_BLOB_KEY_MAX], *out;
	size_t klen = store_blob_key(bkey, owner, name.ptr, name.len, m->version);
	int r = store_reserve(t, a->store->blob, bkey, klen, seal_blob_size(len), &out);

	if (r < 0)
		return exec_store_error(j, r);
	if (seal_blob(a->keys, writer_dek(a->writer), &aad, value, len, out) < 0)
		return exec_fail(j, PROTO_INTERNAL, "the vault key is not available");
	return 0;
}

int
exec_new_version(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		 struct meta_rec *m, const uint8_t *value, size_t len, struct wjob *j)
{
	uint8_t *versions, *e;
	uint32_t drop = 0;
	int r = 0;

	versions = malloc(((size_t)m->n_versions + 1) * RECORD_VERSION_ENTRY);
	if (versions == NULL)
		return exec_fail(j, PROTO_INTERNAL, "out of memory");
	if (m->n_versions > 0)
		memcpy(versions, m->versions, (size_t)m->n_versions * RECORD_VERSION_ENTRY);
	m->version++;
	e = versions + (size_t)m->n_versions * RECORD_VERSION_ENTRY;
	buf_store_u32(e, m->version);
	buf_store_u64(e + 4, agent_now());
	buf_store_u32(e + 12, (uint32_t)j->peer.uid);
	m->n_versions++;
	if (m->n_versions > m->max_versions)
		drop = m->n_versions - m->max_versions;
	m->versions = versions;
	for (uint32_t i = 0; i < drop && r == 0; i++) {
		struct proto_version_info v;

		record_version_at(m, i, &v);
		r = del_blob(a, t, owner, name, v.version, j);
	}
	m->versions = versions + (size_t)drop * RECORD_VERSION_ENTRY;
	m->n_versions -= drop;
	m->updated = agent_now();
	if (r == 0)
		r = exec_seal_version(a, t, owner, name, m, value, len, j);
	if (r == 0)
		r = exec_save(a, t, owner, name, m, j);
	free(versions);
	return r;
}

int
exec_trash(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	   uint64_t deleted, bool add, struct wjob *j)
{
	uint8_t key[STORE_TRASH_KEY_MAX];
	size_t klen = store_trash_key(key, deleted, owner, name.ptr, name.len);
	int r = add ? store_put(t, a->store->trash, key, klen, "", 0)
		    : store_del(t, a->store->trash, key, klen);

	if (r < 0 && r != -ENOENT)
		return exec_store_error(j, r);
	return 0;
}

int
exec_purge_all(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	       const struct meta_rec *m, struct wjob *j)
{
	uint8_t key[STORE_META_KEY_MAX];
	size_t klen = store_meta_key(key, owner, name.ptr, name.len);
	int r;

	for (uint32_t i = 0; i < m->n_versions; i++) {
		struct proto_version_info v;

		record_version_at(m, i, &v);
		if (del_blob(a, t, owner, name, v.version, j) < 0)
			return -1;
	}
	if (m->deleted != 0 && exec_trash(a, t, owner, name, m->deleted, false, j) < 0)
		return -1;
	r = store_del(t, a->store->meta, key, klen);
	if (r < 0 && r != -ENOENT)
		return exec_store_error(j, r);
	r = usage_del(a, t, key, klen);
	if (r < 0)
		return exec_store_error(j, r);
	return 0;
}

int
exec_open_version(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	     const struct meta_rec *m, uint32_t ver, uint8_t **ret, size_t *ret_len,
	     struct wjob *j)
{
	struct seal_aad aad = {owner, m->id, name.ptr, name.len, ver, m->type.ptr, m->type.len};
	uint8_t bkey[STORE_BLOB_KEY_MAX], *buf;
	size_t klen = store_blob_key(bkey, owner, name.ptr, name.len, ver), plen;
	struct proto_bytes blob;

	if (store_get(t, a->store->blob, bkey, klen, &blob) < 0 ||
	    seal_blob_plain_len(blob.ptr, blob.len, &plen) < 0)
		return exec_fail(j, PROTO_INTERNAL, "the value of version %u is missing", ver);
	buf = smem_alloc(plen > 0 ? plen : 1);
	if (buf == NULL)
		return exec_fail(j, PROTO_INTERNAL, "cannot lock memory");
	if (seal_open_blob(a->keys, writer_dek(a->writer), &aad, blob.ptr, blob.len, buf) < 0) {
		smem_free(buf);
		log_err("uid %u: %.*s version %u fails authentication (moved or tampered with)",
			(unsigned)owner, (int)name.len, (const char *)name.ptr, ver);
		return exec_fail(j, PROTO_INTERNAL,
				 "the stored value of version %u fails authentication "
				 "(record moved or tampered with)",
				 ver);
	}
	*ret = buf;
	*ret_len = plen;
	return 0;
}
