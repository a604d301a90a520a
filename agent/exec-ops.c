/* SPDX-License-Identifier: MIT */
/* The writer thread's side of each mutation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/smem.h"
#include "audit.h"
#include "authz.h"
#include "exec.h"
#include "keys.h"
#include "rekey.h"
#include "seal.h"
#include "store.h"
#include "transfer.h"
#include "typed.h"
#include "writer.h"

static const uint8_t type_generic[] = "generic";

static bool
same_bytes(struct proto_bytes a, const uint8_t *p, size_t n)
{
	return a.len == n && (n == 0 || memcmp(a.ptr, p, n) == 0);
}

static int
exec_put(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_put *p = &j->req.put;
	struct proto_bytes type = p->type.len > 0 ? p->type
						 : (struct proto_bytes){type_generic, 7};
	struct meta_rec m = {0};
	uint8_t *copy = NULL;
	bool found, live;
	int r;

	r = exec_load(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0 && r != -ENOENT)
		return r;
	found = r == 0;
	live = found && m.state != PROTO_STATE_DELETED;
	if (p->has_cas && p->cas == 0 && live)
		r = exec_fail(j, PROTO_CONFLICT, "already exists (--cas 0 expects a new name)");
	else if (p->has_cas && p->cas != 0 && (!live || m.version != p->cas))
		r = exec_fail(j, PROTO_CONFLICT, "current version is %u, not %u",
			      live ? m.version : 0, p->cas);
	else if (found && !same_bytes(m.type, type.ptr, type.len))
		r = exec_fail(j, PROTO_INVALID, "the secret exists with type %.*s",
			      (int)m.type.len, (const char *)m.type.ptr);
	else
		r = 0;
	if (r == 0 && !found) {
		randombytes_buf(m.id, sizeof(m.id));
		m.max_versions = RECORD_MAX_VERSIONS_DEFAULT;
		m.created = agent_now();
		m.type = type;
	}
	if (r == 0 && found && !live) {
		/* A put revives a soft-deleted name, versions and all. */
		r = exec_trash(a, t, j->owner, j->name, m.deleted, false, j);
		m.state = PROTO_STATE_ACTIVE;
		m.deleted = 0;
	}
	if (r == 0) {
		if (p->has_max_versions)
			m.max_versions = p->max_versions;
		if (p->has_expires)
			m.expires = p->expires;
		if (p->labels.count > 0)
			m.labels = p->labels;
		if (p->quota != 0) {
			m.quota = p->quota;
			m.quota_period = p->quota_period;
		}
		r = exec_new_version(a, t, j->owner, j->name, &m, p->value.ptr, p->value.len, j);
	}
	free(copy);
	j->version = m.version;
	j->state = m.state;
	j->event = found ? PROTO_EVENT_PUT : 0;
	return r;
}

/*
 * A typed secret's new value: VALUE checked as its field set, or, for a
 * generated value or one sent with PROTO_ROTATE_PRIMARY, the current field
 * set with its primary field replaced (into *RET_SET, locked; freed by the
 * caller).
 */
static int
typed_rotate(struct agent *a, MDB_txn *t, struct wjob *j, const struct meta_rec *m,
	     const uint8_t **value, size_t *len, uint8_t **ret_set)
{
	uint8_t *cur = NULL;
	size_t cur_len = 0;
	char why[160];
	int r;

	if (j->req.rotate.has_value && !(j->req.rotate.flags & PROTO_ROTATE_PRIMARY)) {
		if (typed_check(m->type, (struct proto_bytes){*value, *len}, why, sizeof(why)) !=
		    PROTO_OK)
			return exec_fail(j, PROTO_INVALID, "%s", why);
		return 0;
	}
	r = exec_open_version(a, t, j->owner, j->name, m, m->version, &cur, &cur_len, j);
	if (r < 0)
		return r;
	r = typed_replace_primary(m->type, (struct proto_bytes){cur, cur_len}, *value, *len,
				  ret_set, len);
	smem_free(cur);
	if (r == -ENOENT)
		return exec_fail(j, PROTO_INVALID, "type %.*s has no secret field to replace",
				 (int)m->type.len, (const char *)m->type.ptr);
	if (r < 0)
		return exec_fail(j, PROTO_INTERNAL, "the current fields cannot be read");
	*value = *ret_set;
	/* A primary field the caller sent keeps to the type's rules too. */
	if (j->req.rotate.has_value &&
	    typed_check(m->type, (struct proto_bytes){*value, *len}, why, sizeof(why)) != PROTO_OK)
		return exec_fail(j, PROTO_INVALID, "%s", why);
	return 0;
}

static int
exec_rotate(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_rotate *p = &j->req.rotate;
	const uint8_t *value = p->has_value ? p->value.ptr : j->gen;
	size_t len = p->has_value ? p->value.len : j->gen_len;
	struct meta_rec m;
	uint8_t *copy = NULL, *set = NULL;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	if (p->has_expires)
		m.expires = p->expires;
	r = typed_is_generic(m.type) ? 0 : typed_rotate(a, t, j, &m, &value, &len, &set);
	if (r == 0)
		r = exec_new_version(a, t, j->owner, j->name, &m, value, len, j);
	smem_free(set);
	free(copy);
	j->version = m.version;
	j->state = m.state;
	j->event = PROTO_EVENT_ROTATED;
	return r;
}

static int
exec_rollback(struct agent *a, MDB_txn *t, struct wjob *j)
{
	uint32_t to = j->req.versioned.version;
	struct meta_rec m;
	uint8_t *copy = NULL, *plain = NULL;
	size_t len = 0;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	if (!record_has_version(&m, to))
		r = exec_fail(j, PROTO_NOT_FOUND, "version %u not found", to);
	if (r == 0)
		r = exec_open_version(a, t, j->owner, j->name, &m, to, &plain, &len, j);
	if (r == 0)
		r = exec_new_version(a, t, j->owner, j->name, &m, plain, len, j);
	smem_free(plain);
	free(copy);
	j->version = m.version;
	j->state = m.state;
	j->event = PROTO_EVENT_ROLLED_BACK;
	return r;
}

static int
exec_delete(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	m.state = PROTO_STATE_DELETED;
	m.deleted = agent_now();
	r = exec_save(a, t, j->owner, j->name, &m, j);
	if (r == 0)
		r = exec_trash(a, t, j->owner, j->name, m.deleted, true, j);
	free(copy);
	j->version = m.version;
	j->state = m.state;
	j->event = PROTO_EVENT_DELETED;
	return r;
}

static int
exec_undelete(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = exec_load(a, t, j->owner, j->name, &m, &copy, j);
	if (r == -ENOENT)
		return exec_fail(j, PROTO_NOT_FOUND, "not found");
	if (r < 0)
		return r;
	j->version = m.version;
	if (m.state != PROTO_STATE_DELETED) {
		snprintf(j->message, sizeof(j->message), "was not deleted");
	} else {
		r = exec_trash(a, t, j->owner, j->name, m.deleted, false, j);
		m.state = PROTO_STATE_ACTIVE;
		m.deleted = 0;
		if (r == 0)
			r = exec_save(a, t, j->owner, j->name, &m, j);
		j->event = PROTO_EVENT_UNDELETED;
	}
	j->state = m.state;
	free(copy);
	return r;
}

static int
purge_version(struct agent *a, MDB_txn *t, struct meta_rec *m, uint32_t ver, struct wjob *j)
{
	uint8_t bkey[STORE_BLOB_KEY_MAX], *versions;
	uint32_t n = 0;
	int r;

	if (ver == m->version)
		return exec_fail(j, PROTO_CONFLICT,
				 "version %u is the current one; rotate or roll back first, "
				 "or purge the whole secret",
				 ver);
	if (!record_has_version(m, ver))
		return exec_fail(j, PROTO_NOT_FOUND, "version %u not found", ver);
	versions = malloc((size_t)m->n_versions * RECORD_VERSION_ENTRY);
	if (versions == NULL)
		return exec_fail(j, PROTO_INTERNAL, "out of memory");
	for (uint32_t i = 0; i < m->n_versions; i++) {
		const uint8_t *e = m->versions + (size_t)i * RECORD_VERSION_ENTRY;

		if (buf_load_u32(e) != ver)
			memcpy(versions + (size_t)n++ * RECORD_VERSION_ENTRY, e,
			       RECORD_VERSION_ENTRY);
	}
	m->versions = versions;
	m->n_versions = n;
	r = store_del(t, a->store->blob, bkey,
		      store_blob_key(bkey, j->owner, j->name.ptr, j->name.len, ver));
	if (r < 0 && r != -ENOENT)
		r = exec_store_error(j, r);
	else
		r = exec_save(a, t, j->owner, j->name, m, j);
	free(versions);
	return r;
}

static int
exec_purge(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_versioned *p = &j->req.versioned;
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = exec_load(a, t, j->owner, j->name, &m, &copy, j);
	if (r == -ENOENT)
		return exec_fail(j, PROTO_NOT_FOUND, "not found");
	if (r < 0)
		return r;
	if (p->has_version) {
		r = purge_version(a, t, &m, p->version, j);
		j->version = m.version;
		j->state = m.state;
		j->event = PROTO_EVENT_VERSION_PURGED;
	} else {
		r = exec_purge_all(a, t, j->owner, j->name, &m, j);
		j->state = PROTO_STATE_DELETED; /* gone: no version, no live state */
		j->event = PROTO_EVENT_PURGED;
	}
	free(copy);
	return r;
}

static int
exec_state(struct agent *a, MDB_txn *t, struct wjob *j)
{
	uint32_t want = j->type == PROTO_MSG_DISABLE ? PROTO_STATE_DISABLED : PROTO_STATE_ACTIVE;
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	if (m.state == want) {
		snprintf(j->message, sizeof(j->message), "already %s",
			 want == PROTO_STATE_DISABLED ? "disabled" : "enabled");
	} else {
		m.state = want;
		m.updated = agent_now();
		r = exec_save(a, t, j->owner, j->name, &m, j);
		j->event = want == PROTO_STATE_DISABLED ? PROTO_EVENT_DISABLED : PROTO_EVENT_ENABLED;
	}
	j->version = m.version;
	j->state = m.state;
	free(copy);
	return r;
}

/* The key of a "key=value" label. */
static struct proto_bytes
label_key(struct proto_bytes l)
{
	const uint8_t *eq = memchr(l.ptr, '=', l.len);

	return (struct proto_bytes){l.ptr, eq != NULL ? (size_t)(eq - l.ptr) : l.len};
}

/* Whether SPAN holds a label (or, with keys_only, a key) whose key is KEY,
 * looking only at entries after SKIP ones. */
static bool
span_has_key(const struct proto_list_span *span, struct proto_bytes key, bool keys_only,
	     uint32_t skip)
{
	struct proto_iter it;
	struct proto_bytes l;
	uint32_t i = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &l) == 1) {
		struct proto_bytes k = keys_only ? l : label_key(l);

		if (i++ >= skip && same_bytes(k, key.ptr, key.len))
			return true;
	}
	return false;
}

static int
exec_label(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_label *p = &j->req.label;
	struct meta_rec m;
	struct buf_writer w;
	struct proto_iter it;
	struct proto_bytes l;
	uint8_t *copy = NULL, *out;
	uint32_t n = 0, i = 0;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	out = malloc(m.labels.raw.len + p->set.raw.len + 1);
	if (out == NULL) {
		free(copy);
		return exec_fail(j, PROTO_INTERNAL, "out of memory");
	}
	buf_writer_init(&w, out, m.labels.raw.len + p->set.raw.len);
	proto_iter_init(&it, &m.labels);
	while (proto_iter_next(&it, &l) == 1) {
		if (span_has_key(&p->set, label_key(l), false, 0) ||
		    span_has_key(&p->remove, label_key(l), true, 0))
			continue;
		proto_put_string(&w, PROTO_TAG_LABEL, l.ptr, l.len);
		n++;
	}
	proto_iter_init(&it, &p->set);
	while (proto_iter_next(&it, &l) == 1) {
		/* Of several labels with one key, the last wins. */
		if (!span_has_key(&p->set, label_key(l), false, ++i)) {
			proto_put_string(&w, PROTO_TAG_LABEL, l.ptr, l.len);
			n++;
		}
	}
	if (n > PROTO_LABELS_MAX) {
		r = exec_fail(j, PROTO_USAGE, "too many labels (at most %u)", PROTO_LABELS_MAX);
	} else {
		m.labels.raw = (struct proto_bytes){out, w.len};
		m.labels.count = n;
		m.updated = agent_now();
		r = exec_save(a, t, j->owner, j->name, &m, j);
	}
	j->version = m.version;
	j->state = m.state;
	free(out);
	free(copy);
	return r;
}

/* Purge soft-deleted secrets past the retention time, a batch at a time. */
static int
exec_sweep(struct agent *a, MDB_txn *t, struct wjob *j)
{
	uint64_t cutoff = agent_now() - a->cfg.retention;
	uint8_t *keys[OPS_SWEEP_BATCH];
	size_t lens[OPS_SWEEP_BATCH];
	uint32_t n = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	int r = 0, rc;

	if (mdb_cursor_open(t, a->store->trash, &cur) != 0)
		return exec_fail(j, PROTO_INTERNAL, "the store cannot be read");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < OPS_SWEEP_BATCH;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 12 || buf_load_u64(k.mv_data) > cutoff)
			break;
		keys[n] = malloc(k.mv_size);
		if (keys[n] == NULL)
			break;
		memcpy(keys[n], k.mv_data, k.mv_size);
		lens[n++] = k.mv_size;
	}
	j->sweep_more = rc == 0 && n == OPS_SWEEP_BATCH;
	mdb_cursor_close(cur);
	free(j->swept); /* a retried batch starts over */
	j->n_swept = 0;
	j->swept = calloc(n + 1, sizeof(*j->swept));
	for (uint32_t i = 0; i < n; i++) {
		struct proto_bytes name = {keys[i] + 12, lens[i] - 12};
		uint64_t deleted = buf_load_u64(keys[i]);
		uint32_t owner = buf_load_u32(keys[i] + 8);
		struct meta_rec m;
		uint8_t *copy = NULL;

		if (r == 0 && exec_load(a, t, owner, name, &m, &copy, j) == 0 &&
		    m.state == PROTO_STATE_DELETED && m.deleted == deleted) {
			r = exec_purge_all(a, t, owner, name, &m, j);
			if (r == 0 && j->swept != NULL && name.len <= PROTO_NAME_MAX) {
				struct swept *s = &j->swept[j->n_swept++];

				s->owner = owner;
				s->name_len = (uint8_t)name.len;
				memcpy(s->name, name.ptr, name.len);
			}
		} else if (r == 0) {
			/* A stale index entry: the secret was restored or is gone. */
			r = exec_trash(a, t, owner, name, deleted, false, j);
		}
		free(copy);
		free(keys[i]);
	}
	if (j->n_swept > 0)
		log_info("retention: purged %u soft-deleted secret%s", j->n_swept,
			 j->n_swept == 1 ? "" : "s");
	return r;
}

static int
exec_share(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_share *p = &j->req.share;
	bool prefix = (p->flags & PROTO_SHARE_PREFIX) != 0;
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	if (!prefix) {
		r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
		free(copy);
		if (r < 0)
			return r;
	}
	if (!p->is_gid && p->grantee == j->owner)
		return exec_fail(j, PROTO_USAGE, "the owner needs no grant");
	if (j->type == PROTO_MSG_UNSHARE) {
		r = authz_grant_del(a, t, j->owner, j->name, prefix, p->is_gid, p->grantee);
		if (r == -ENOENT)
			return exec_fail(j, PROTO_NOT_FOUND, "no such grant");
	} else {
		r = authz_grant_put(a, t, j->owner, j->name, prefix, p->is_gid, p->grantee, p->perm,
				    (uint32_t)j->peer.uid);
	}
	if (r < 0)
		return exec_store_error(j, r);
	return 0;
}

static int
exec_quota(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	m.quota = j->req.quota.quota;
	m.quota_period = j->req.quota.quota_period;
	m.updated = agent_now();
	r = exec_save(a, t, j->owner, j->name, &m, j);
	j->version = m.version;
	j->state = m.state;
	free(copy);
	return r;
}

static int
exec_verify(struct agent *a, MDB_txn *t, struct wjob *j)
{
	const struct proto_verify_req *p = &j->req.verify;
	struct meta_rec m;
	uint8_t *copy = NULL;
	int r;

	r = exec_load_live(a, t, j->owner, j->name, &m, &copy, j);
	if (r < 0)
		return r;
	if (p->has_version && !record_has_version(&m, p->version)) {
		free(copy);
		return exec_fail(j, PROTO_NOT_FOUND, "version %u not found", p->version);
	}
	m.verify_status = (uint8_t)p->status;
	m.verify_time = agent_now();
	m.verify_msg = p->message;
	if (m.verify_msg.len > PROTO_VERIFY_MESSAGE_MAX)
		m.verify_msg.len = PROTO_VERIFY_MESSAGE_MAX;
	r = exec_save(a, t, j->owner, j->name, &m, j);
	j->version = m.version;
	j->state = m.state;
	free(copy);
	return r;
}

/* What each mutation needs of its caller (DESIGN.md section 6). */
static int
need_of(const struct wjob *j)
{
	switch (j->type) {
	case PROTO_MSG_PUT:
		/* Changing how many versions are kept, or the quota, is the
		 * owner's call. */
		return j->req.put.has_max_versions || j->req.put.quota != 0 ? AUTHZ_OWNER
									     : AUTHZ_WRITE;
	case PROTO_MSG_VERIFY:
		return AUTHZ_READ; /* whoever may read it may test it */
	case PROTO_MSG_PURGE:
	case PROTO_MSG_QUOTA:
	case PROTO_MSG_SHARE:
	case PROTO_MSG_UNSHARE:
		return AUTHZ_OWNER;
	default:
		return AUTHZ_WRITE;
	}
}

int
ops_write_exec(struct agent *a, MDB_txn *t, struct wjob *j)
{
	switch (j->type) {
	case PROTO_MSG_PASSWD:
	case PROTO_MSG_KEYSLOT_ADD:
	case PROTO_MSG_KEYSLOT_RM:
		return ops_exec_slot(a, t, j); /* needs no unlocked key */
	case OPS_JOB_AUDIT:
		return audit_exec_flush(a, t, j); /* recorded while locked too */
	default:
		break;
	}
	if (keys_locked(a->keys))
		return exec_fail(j, PROTO_LOCKED, "the agent is locked (unlock it with cred unlock)");
	if (j->type == PROTO_MSG_REKEY)
		return rekey_exec_start(a, t, j);
	if (j->type == OPS_JOB_REKEY)
		return rekey_exec_batch(a, t, j);
	if (j->type == PROTO_MSG_IMPORT)
		return ops_exec_import(a, t, j); /* the caller's own namespace */
	if (j->type != OPS_JOB_SWEEP && exec_authz(a, t, j, need_of(j)) < 0)
		return -1;
	switch (j->type) {
	case PROTO_MSG_PUT: return exec_put(a, t, j);
	case PROTO_MSG_ROTATE: return exec_rotate(a, t, j);
	case PROTO_MSG_ROLLBACK: return exec_rollback(a, t, j);
	case PROTO_MSG_DELETE: return exec_delete(a, t, j);
	case PROTO_MSG_UNDELETE: return exec_undelete(a, t, j);
	case PROTO_MSG_PURGE: return exec_purge(a, t, j);
	case PROTO_MSG_DISABLE:
	case PROTO_MSG_ENABLE: return exec_state(a, t, j);
	case PROTO_MSG_LABEL: return exec_label(a, t, j);
	case PROTO_MSG_SHARE:
	case PROTO_MSG_UNSHARE: return exec_share(a, t, j);
	case PROTO_MSG_QUOTA: return exec_quota(a, t, j);
	case PROTO_MSG_VERIFY: return exec_verify(a, t, j);
	case OPS_JOB_SWEEP: return exec_sweep(a, t, j);
	default: abort();
	}
}
