/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "keys.h"
#include "record.h"
#include "seal.h"
#include "store.h"
#include "writer.h"
#include "ops.h"

#define TYPE_GENERIC "generic"

static enum ops_result
queue_job(struct agent *a, struct conn *c, const struct proto_frame *f, struct wjob *j)
{
	struct buf_writer w;

	/* Reserve the reply now, so the answer never waits for memory. */
	if (conn_reply_begin(a, c, OPS_WRITE_REPLY_MAX, &w) < 0) {
		free(j);
		return OPS_NOMEM;
	}
	j->conn = c;
	j->type = f->type;
	j->reqid = f->reqid;
	j->peer = c->peer;
	j->status = PROTO_OK;
	c->write_pending = true;
	writer_submit(a->writer, j);
	return OPS_PENDING;
}

static bool
labels_valid(const struct proto_list_span *labels)
{
	struct proto_iter it;
	struct proto_bytes l;

	proto_iter_init(&it, labels);
	while (proto_iter_next(&it, &l) == 1)
		if (!proto_label_valid(l.ptr, l.len))
			return false;
	return true;
}

enum ops_result
ops_put(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j;
	uint32_t owner;

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_put(f->body, &j->req.put) < 0) {
		free(j);
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed PUT");
	}
	struct proto_put *m = &j->req.put;
	uint16_t st = PROTO_OK;
	const char *why = NULL;

	if (!proto_name_valid(m->ref.name.ptr, m->ref.name.len))
		st = PROTO_USAGE, why = "invalid name";
	else if (ops_owner(a, &c->peer, &m->ref, &owner) != PROTO_OK)
		st = PROTO_NOT_FOUND, why = "not found";
	else if (m->type.len > 0 && (m->type.len != strlen(TYPE_GENERIC) ||
				     memcmp(m->type.ptr, TYPE_GENERIC, m->type.len) != 0))
		st = PROTO_INVALID, why = "unknown type (this agent stores: generic)";
	else if (!labels_valid(&m->labels))
		st = PROTO_USAGE, why = "invalid label (key=value, key of [A-Za-z0-9_.-])";
	else if (m->has_max_versions &&
		 (m->max_versions == 0 || m->max_versions > RECORD_MAX_VERSIONS_LIMIT))
		st = PROTO_USAGE, why = "max versions must be 1 to 100";
	if (st != PROTO_OK) {
		free(j);
		return ops_fail(a, c, f, st, "%s", why);
	}
	return queue_job(a, c, f, j);
}

enum ops_result
ops_delete(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j;
	uint32_t owner;

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_named(f->body, &j->req.named) < 0) {
		free(j);
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed DELETE");
	}
	if (!proto_name_valid(j->req.named.ref.name.ptr, j->req.named.ref.name.len)) {
		free(j);
		return ops_fail(a, c, f, PROTO_USAGE, "invalid name");
	}
	if (ops_owner(a, &c->peer, &j->req.named.ref, &owner) != PROTO_OK) {
		free(j);
		return ops_fail(a, c, f, PROTO_NOT_FOUND, "not found");
	}
	return queue_job(a, c, f, j);
}

/* ---- writer thread ---- */

static int
job_fail(struct wjob *j, uint16_t status, const char *msg)
{
	j->status = status;
	snprintf(j->message, sizeof(j->message), "%s", msg);
	return -1;
}

/*
 * Read and authenticate the record under KEY; -ENOENT if absent. The record
 * is decoded from a private copy (*ret_copy, freed by the caller): the
 * stored bytes may move once this transaction rewrites them.
 */
static int
load_for_write(struct agent *a, MDB_txn *t, const uint8_t *key, size_t klen,
	       struct meta_rec *ret, uint8_t **ret_copy, struct wjob *j)
{
	struct proto_bytes v;
	uint8_t *copy;
	int r = store_get(t, a->store->meta, key, klen, &v);

	if (r == -ENOENT)
		return r;
	if (r < 0)
		return job_fail(j, PROTO_INTERNAL, "the store cannot be read");
	copy = malloc(v.len);
	if (copy == NULL)
		return job_fail(j, PROTO_INTERNAL, "out of memory");
	memcpy(copy, v.ptr, v.len);
	v.ptr = copy;
	if (record_decode(a->keys, key, klen, v, ret) < 0) {
		free(copy);
		log_err("uid %u: a metadata record fails its integrity check",
			(unsigned)buf_load_u32(key));
		return job_fail(j, PROTO_INTERNAL,
				"its metadata record fails the integrity check (edited or damaged)");
	}
	*ret_copy = copy;
	return 0;
}

static int
save_record(struct agent *a, MDB_txn *t, const uint8_t *key, size_t klen,
	    const struct meta_rec *m, struct wjob *j)
{
	size_t n = record_size(m);
	uint8_t *out;

	if (store_reserve(t, a->store->meta, key, klen, n, &out) < 0)
		return job_fail(j, PROTO_INTERNAL, "the store cannot be written");
	record_encode(a->keys, key, klen, m, out);
	return 0;
}

/* Append the new version and drop (with their blobs) the oldest past
 * max_versions. VERSIONS is malloc'd by the caller with room for one more. */
static int
add_version(struct agent *a, MDB_txn *t, uint32_t owner, const struct proto_bytes name,
	    struct meta_rec *m, uint8_t *versions, uint32_t by, struct wjob *j)
{
	uint8_t *e = versions + (size_t)m->n_versions * RECORD_VERSION_ENTRY;
	uint8_t bkey[STORE_BLOB_KEY_MAX];
	uint32_t drop = 0;

	buf_store_u32(e, m->version);
	buf_store_u64(e + 4, agent_now());
	buf_store_u32(e + 12, by);
	m->n_versions++;
	if (m->n_versions > m->max_versions)
		drop = m->n_versions - m->max_versions;
	for (uint32_t i = 0; i < drop; i++) {
		struct proto_version_info v;
		size_t klen;
		int r;

		record_version_at(&(struct meta_rec){.versions = versions}, i, &v);
		klen = store_blob_key(bkey, owner, name.ptr, name.len, v.version);
		r = store_del(t, a->store->blob, bkey, klen);
		if (r < 0 && r != -ENOENT)
			return job_fail(j, PROTO_INTERNAL, "the store cannot be written");
	}
	m->versions = versions + (size_t)drop * RECORD_VERSION_ENTRY;
	m->n_versions -= drop;
	return 0;
}

static int
seal_value(struct agent *a, MDB_txn *t, uint32_t owner, const struct proto_put *p,
	   const struct meta_rec *m, struct wjob *j)
{
	struct seal_aad aad = {owner, m->id, p->ref.name.ptr, p->ref.name.len, m->version,
			       m->type.ptr, m->type.len};
	uint8_t bkey[STORE_BLOB_KEY_MAX], *out;
	size_t klen = store_blob_key(bkey, owner, p->ref.name.ptr, p->ref.name.len, m->version);

	if (store_reserve(t, a->store->blob, bkey, klen, seal_blob_size(p->value.len), &out) < 0)
		return job_fail(j, PROTO_INTERNAL, "the store is full or cannot be written");
	if (seal_blob(a->keys, writer_dek(a->writer), &aad, p->value.ptr, p->value.len, out) < 0)
		return job_fail(j, PROTO_INTERNAL, "the vault key is not available");
	return 0;
}

/* The new record for a PUT, given the old one (FOUND) if any. */
static int
put_record(const struct proto_put *p, bool found, const struct meta_rec *old,
	   struct meta_rec *m, struct wjob *j)
{
	bool live = found && old->state != PROTO_STATE_DELETED;
	static const uint8_t generic[] = TYPE_GENERIC;
	struct proto_bytes type = p->type.len > 0 ? p->type
						 : (struct proto_bytes){generic, sizeof(generic) - 1};

	if (p->has_cas && p->cas == 0 && live)
		return job_fail(j, PROTO_CONFLICT, "already exists (--cas 0 expects a new name)");
	if (p->has_cas && p->cas != 0 && (!live || old->version != p->cas)) {
		snprintf(j->message, sizeof(j->message), "current version is %u, not %u",
			 live ? old->version : 0, p->cas);
		j->status = PROTO_CONFLICT;
		return -1;
	}
	if (found && (old->type.len != type.len || memcmp(old->type.ptr, type.ptr, type.len) != 0))
		return job_fail(j, PROTO_INVALID, "the secret exists with another type");
	memset(m, 0, sizeof(*m));
	if (found)
		*m = *old;
	else
		randombytes_buf(m->id, sizeof(m->id));
	m->version = found ? old->version + 1 : 1;
	m->state = live ? old->state : PROTO_STATE_ACTIVE;
	m->max_versions = p->has_max_versions ? p->max_versions
			  : found		? old->max_versions
						: RECORD_MAX_VERSIONS_DEFAULT;
	m->created = found ? old->created : agent_now();
	m->updated = agent_now();
	m->deleted = 0;
	m->expires = p->has_expires ? p->expires : found ? old->expires : 0;
	m->type = type;
	if (p->labels.count > 0 || !found)
		m->labels = p->labels;
	return 0;
}

static int
exec_put(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_put *p = &j->req.put;
	uint8_t key[STORE_META_KEY_MAX], *versions, *copy = NULL;
	struct meta_rec old, m;
	uint32_t owner = p->ref.has_owner ? p->ref.owner : (uint32_t)j->peer.uid;
	size_t klen = store_meta_key(key, owner, p->ref.name.ptr, p->ref.name.len);
	bool found;
	int r;

	r = load_for_write(a, t, key, klen, &old, &copy, j);
	if (r < 0 && r != -ENOENT)
		return r;
	found = r == 0;
	r = put_record(p, found, &old, &m, j);
	versions = r == 0 ? malloc(((size_t)m.n_versions + 1) * RECORD_VERSION_ENTRY) : NULL;
	if (versions == NULL) {
		free(copy);
		return r < 0 ? r : job_fail(j, PROTO_INTERNAL, "out of memory");
	}
	if (m.n_versions > 0)
		memcpy(versions, m.versions, (size_t)m.n_versions * RECORD_VERSION_ENTRY);
	r = add_version(a, t, owner, p->ref.name, &m, versions, (uint32_t)j->peer.uid, j);
	if (r == 0)
		r = seal_value(a, t, owner, p, &m, j);
	if (r == 0)
		r = save_record(a, t, key, klen, &m, j);
	free(versions);
	free(copy);
	if (r < 0)
		return r;
	j->version = m.version;
	return 0;
}

static int
exec_delete(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_ref *ref = &j->req.named.ref;
	uint8_t key[STORE_META_KEY_MAX];
	uint32_t owner = ref->has_owner ? ref->owner : (uint32_t)j->peer.uid;
	size_t klen = store_meta_key(key, owner, ref->name.ptr, ref->name.len);
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = load_for_write(a, t, key, klen, &m, &copy, j);
	if (r == 0 && m.state == PROTO_STATE_DELETED)
		r = -ENOENT;
	if (r == -ENOENT) {
		free(copy);
		return job_fail(j, PROTO_NOT_FOUND, "not found");
	}
	if (r < 0)
		return r;
	m.state = PROTO_STATE_DELETED;
	m.deleted = agent_now();
	r = save_record(a, t, key, klen, &m, j);
	free(copy);
	return r;
}

int
ops_write_exec(struct agent *a, MDB_txn *t, struct wjob *j)
{
	switch (j->type) {
	case PROTO_MSG_PUT:
		return exec_put(a, t, j);
	case PROTO_MSG_DELETE:
		return exec_delete(a, t, j);
	default:
		abort();
	}
}

void
ops_write_reply(struct agent *a, struct wjob *j)
{
	struct conn *c = j->conn;
	struct buf_writer w;
	int r;

	if (!c->dead) {
		/* Space was reserved when the job was queued. */
		if (conn_reply_begin(a, c, OPS_WRITE_REPLY_MAX, &w) < 0)
			abort();
		if (j->status == PROTO_OK && j->type == PROTO_MSG_PUT) {
			struct proto_put_reply rep = {j->version,
						      {(const uint8_t *)j->message, strlen(j->message)}};

			r = proto_encode_put_reply(&w, j->reqid, &rep);
		} else {
			r = proto_encode_simple_reply(&w, (uint8_t)(j->type | PROTO_REPLY_BIT), j->reqid,
						      j->status, j->message, strlen(j->message));
		}
		if (r < 0)
			abort();
		conn_reply_commit(c, &w);
	}
	free(j);
	conn_resume(a, c);
}
