/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "store.h"

int
store_errno(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return -EBADMSG;
	case MDB_READERS_FULL:
		return -EAGAIN;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

static int
open_dbs(struct store *s)
{
	static const char *names[] = {"meta",  "blob",	  "grant", "audit",
				      "sys",   "trash",	  "grantee", "usage"};
	MDB_dbi *dbis[] = {&s->meta, &s->blob,	&s->grant,   &s->audit,
			   &s->sys,  &s->trash, &s->grantee, &s->usage};
	MDB_txn *t;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &t);
	if (rc != 0)
		return store_errno(rc);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = mdb_dbi_open(t, names[i], MDB_CREATE, dbis[i]);
		if (rc != 0) {
			mdb_txn_abort(t);
			return store_errno(rc);
		}
	}
	return store_errno(mdb_txn_commit(t));
}

int
store_open(const char *dir, size_t map_size, struct store **ret)
{
	struct store *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	pthread_rwlock_init(&s->resize, NULL);
	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, 12);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, map_size);
	/* MDB_NOTLS: the loop's read transaction is reset and renewed, and
	 * the writer thread has its own; no MDB_NOSYNC, NOMETASYNC or
	 * WRITEMAP: every commit is durable. */
	if (rc == 0)
		rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
	if (rc != 0) {
		log_err("cannot open the store in %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	rc = -open_dbs(s);
	if (rc != 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return rc > 0 ? store_errno(rc) : -EIO;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->rtxn != NULL)
		mdb_txn_abort(s->rtxn);
	mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->resize);
	free(s);
}

int
store_read_begin(struct store *s, MDB_txn **ret)
{
	int rc;

	pthread_rwlock_rdlock(&s->resize);
	if (s->rtxn == NULL)
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
	else
		rc = mdb_txn_renew(s->rtxn);
	if (rc != 0) {
		pthread_rwlock_unlock(&s->resize);
		return store_errno(rc);
	}
	*ret = s->rtxn;
	return 0;
}

void
store_read_end(struct store *s)
{
	if (s->rtxn != NULL)
		mdb_txn_reset(s->rtxn);
	pthread_rwlock_unlock(&s->resize);
}

int
store_reader_begin(struct store *s, MDB_txn **ret)
{
	int rc;

	pthread_rwlock_rdlock(&s->resize);
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, ret);
	if (rc != 0) {
		pthread_rwlock_unlock(&s->resize);
		return store_errno(rc);
	}
	return 0;
}

void
store_reader_end(struct store *s, MDB_txn *t)
{
	mdb_txn_abort(t);
	pthread_rwlock_unlock(&s->resize);
}

int
store_grow(struct store *s)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_wrlock(&s->resize);
	rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
	pthread_rwlock_unlock(&s->resize);
	if (rc == 0)
		log_notice("the store's map grew to %zu MiB", (info.me_mapsize * 2) >> 20);
	return store_errno(rc);
}

int
store_txn_begin(struct store *s, MDB_txn *parent, MDB_txn **ret)
{
	return store_errno(mdb_txn_begin(s->env, parent, 0, ret));
}

int
store_txn_commit(MDB_txn *t)
{
	return store_errno(mdb_txn_commit(t));
}

void
store_txn_abort(MDB_txn *t)
{
	if (t != NULL)
		mdb_txn_abort(t);
}

int
store_get(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len, struct proto_bytes *ret)
{
	MDB_val k = {key_len, (void *)(uintptr_t)key}, v;
	int rc = mdb_get(t, db, &k, &v);

	if (rc != 0)
		return store_errno(rc);
	ret->ptr = v.mv_data;
	ret->len = v.mv_size;
	return 0;
}

int
store_put(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len, const void *val,
	  size_t val_len)
{
	MDB_val k = {key_len, (void *)(uintptr_t)key}, v = {val_len, (void *)(uintptr_t)val};

	return store_errno(mdb_put(t, db, &k, &v, 0));
}

int
store_reserve(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len, size_t len,
	      uint8_t **ret)
{
	MDB_val k = {key_len, (void *)(uintptr_t)key}, v = {len, NULL};
	int rc = mdb_put(t, db, &k, &v, MDB_RESERVE);

	if (rc != 0)
		return store_errno(rc);
	*ret = v.mv_data;
	return 0;
}

int
store_del(MDB_txn *t, MDB_dbi db, const void *key, size_t key_len)
{
	MDB_val k = {key_len, (void *)(uintptr_t)key};

	return store_errno(mdb_del(t, db, &k, NULL));
}

size_t
store_meta_key(uint8_t *out, uint32_t owner, const uint8_t *name, size_t name_len)
{
	buf_store_u32(out, owner);
	if (name_len > 0)
		memcpy(out + 4, name, name_len);
	return 4 + name_len;
}

size_t
store_blob_key(uint8_t *out, uint32_t owner, const uint8_t *name, size_t name_len,
	       uint32_t version)
{
	size_t n = store_meta_key(out, owner, name, name_len);

	out[n++] = 0;
	buf_store_u32(out + n, version);
	return n + 4;
}

int
store_backup(struct store *s, int fd)
{
	int rc;

	pthread_rwlock_rdlock(&s->resize);
	rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	pthread_rwlock_unlock(&s->resize);
	if (rc != 0)
		return store_errno(rc);
	return fsync(fd) < 0 ? -errno : 0;
}

size_t
store_trash_key(uint8_t *out, uint64_t deleted, uint32_t owner, const uint8_t *name,
		size_t name_len)
{
	buf_store_u64(out, deleted);
	return 8 + store_meta_key(out + 8, owner, name, name_len);
}

int
store_stats(struct store *s, uint64_t *ret_secrets, uint64_t *ret_bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *t;
	int r;

	r = store_read_begin(s, &t);
	if (r < 0)
		return r;
	r = store_errno(mdb_stat(t, s->meta, &st));
	*ret_secrets = st.ms_entries;
	if (r == 0)
		r = store_errno(mdb_stat(t, s->trash, &st));
	store_read_end(s);
	if (r < 0)
		return r;
	*ret_secrets = *ret_secrets > st.ms_entries ? *ret_secrets - st.ms_entries : 0;
	r = store_errno(mdb_env_info(s->env, &info));
	if (r < 0)
		return r;
	r = store_errno(mdb_env_stat(s->env, &st));
	if (r < 0)
		return r;
	*ret_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	return 0;
}
