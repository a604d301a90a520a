/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/smem.h"
#include "audit.h"
#include "authz.h"
#include "keys.h"
#include "record.h"
#include "seal.h"
#include "store.h"
#include "typed.h"
#include "usage.h"
#include "ops.h"

#define LIST_LIMIT_DEFAULT 100u
#define REPLY_SLACK 64u

enum ops_result
ops_hello(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_hello m;
	struct proto_hello_reply rep = {0};
	struct buf_writer w;

	if (proto_decode_hello(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed HELLO");
	if (m.version == 0)
		return ops_fail(a, c, f, PROTO_UNSUPPORTED, "protocol version 0 is not supported");
	rep.version = m.version < PROTO_VERSION ? m.version : PROTO_VERSION;
	rep.features = 0;
	rep.agent_version.ptr = (const uint8_t *)CREDAGENT_VERSION;
	rep.agent_version.len = strlen(CREDAGENT_VERSION);
	rep.mode = a->cfg.system_mode ? PROTO_MODE_SYSTEM : PROTO_MODE_USER;
	rep.frame_max = a->cfg.frame_max;
	if (conn_reply_begin(a, c, 128, &w) < 0)
		return OPS_NOMEM;
	if (proto_encode_hello_reply(&w, f->reqid, &rep) < 0)
		abort();
	conn_reply_commit(c, &w);
	return OPS_DONE;
}

/* Live (not soft-deleted) secrets of OWNER. */
static int
count_own(struct agent *a, uint32_t owner, uint64_t *ret)
{
	uint8_t pfx[4];
	MDB_val k = {sizeof(pfx), pfx}, v;
	MDB_cursor *cur;
	MDB_txn *t;
	uint64_t n = 0;
	int rc;

	buf_store_u32(pfx, owner);
	if (store_read_begin(a->store, &t) < 0)
		return -EIO;
	if (mdb_cursor_open(t, a->store->meta, &cur) != 0) {
		store_read_end(a->store);
		return -EIO;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct meta_rec r;

		if (k.mv_size < 4 || memcmp(k.mv_data, pfx, 4) != 0)
			break;
		if (record_decode(a->keys, k.mv_data, k.mv_size,
				  (struct proto_bytes){v.mv_data, v.mv_size}, &r) == 0 &&
		    r.state != PROTO_STATE_DELETED)
			n++;
	}
	mdb_cursor_close(cur);
	store_read_end(a->store);
	*ret = n;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : -EIO;
}

enum ops_result
ops_status(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_status_reply rep = {0};
	struct buf_writer w;

	if (proto_decode_status(f->body) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed STATUS");
	if (store_stats(a->store, &rep.secrets, &rep.store_bytes) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "cannot read the store's statistics");
	if (a->cfg.system_mode && !authz_is_admin(a, &c->peer)) {
		/* Other users' counts are not a user's business. */
		if (count_own(a, (uint32_t)c->peer.uid, &rep.secrets) < 0)
			return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
		rep.store_bytes = 0;
	}
	rep.agent_version.ptr = (const uint8_t *)CREDAGENT_VERSION;
	rep.agent_version.len = strlen(CREDAGENT_VERSION);
	rep.mode = a->cfg.system_mode ? PROTO_MODE_SYSTEM : PROTO_MODE_USER;
	rep.locked = keys_locked(a->keys) ? 1 : 0;
	rep.uptime = agent_mono_ms() / 1000 - a->started;
	if (audit_failing(a)) {
		static const char why[] = "the audit trail cannot be written: values are withheld";

		rep.message = (struct proto_bytes){(const uint8_t *)why, sizeof(why) - 1};
	}
	if (conn_reply_begin(a, c, 160, &w) < 0)
		return OPS_NOMEM;
	if (proto_encode_status_reply(&w, f->reqid, &rep) < 0)
		abort();
	conn_reply_commit(c, &w);
	return OPS_DONE;
}

/*
 * Find the visible, authentic metadata of REF in T. Returns PROTO_OK with
 * *ret filled (borrowing T), or the status to answer with *why set.
 */
static uint16_t
load_meta(struct agent *a, MDB_txn *t, const struct peer *peer, const struct proto_ref *ref,
	  uint8_t *key, size_t *key_len, uint32_t *owner, struct meta_rec *ret, const char **why)
{
	struct proto_bytes v;
	uint16_t st;
	int r;

	*why = "not found";
	if (!proto_name_valid(ref->name.ptr, ref->name.len)) {
		*why = "invalid name";
		return PROTO_USAGE;
	}
	st = ops_owner(a, peer, ref, owner);
	if (st == PROTO_OK)
		st = authz_check(a, t, peer, *owner, ref->name, AUTHZ_READ);
	if (st != PROTO_OK)
		return st;
	*key_len = store_meta_key(key, *owner, ref->name.ptr, ref->name.len);
	r = store_get(t, a->store->meta, key, *key_len, &v);
	if (r == -ENOENT)
		return PROTO_NOT_FOUND;
	if (r < 0) {
		*why = "the store cannot be read";
		return PROTO_INTERNAL;
	}
	if (record_decode_cached(a->keys, a->seal_cache, key, *key_len, v, ret) < 0) {
		log_err("uid %u: metadata of %.*s fails its integrity check (edited or damaged)",
			(unsigned)*owner, (int)ref->name.len, (const char *)ref->name.ptr);
		*why = "its metadata record fails the integrity check (edited or damaged)";
		return PROTO_INTERNAL;
	}
	if (ret->state == PROTO_STATE_DELETED)
		return PROTO_NOT_FOUND;
	return PROTO_OK;
}

/* Unseal version VER of the secret straight into the reply frame. */
static enum ops_result
get_reply(struct agent *a, struct conn *c, const struct proto_frame *f, MDB_txn *t,
	  uint32_t owner, const struct proto_ref *ref, const struct meta_rec *m, uint32_t ver,
	  const char *note)
{
	uint8_t bkey[STORE_BLOB_KEY_MAX], *slot;
	struct seal_aad aad = {owner, m->id, ref->name.ptr, ref->name.len, ver, m->type.ptr,
			       m->type.len};
	struct proto_bytes blob;
	struct buf_writer w;
	size_t klen, plen, start;
	int r;

	klen = store_blob_key(bkey, owner, ref->name.ptr, ref->name.len, ver);
	if (store_get(t, a->store->blob, bkey, klen, &blob) < 0 ||
	    seal_blob_plain_len(blob.ptr, blob.len, &plen) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the value of version %u is missing", ver);
	if (conn_reply_begin(a, c, PROTO_REPLY_HDR + 4 * PROTO_FIELD_HDR + 4 + m->type.len + plen +
					   strlen(note),
			     &w) < 0)
		return OPS_NOMEM;
	start = proto_reply_begin(&w, PROTO_MSG_GET | PROTO_REPLY_BIT, f->reqid, PROTO_OK);
	proto_put_u32(&w, PROTO_TAG_VERSION, ver);
	proto_put_string(&w, PROTO_TAG_TYPE, m->type.ptr, m->type.len);
	slot = proto_put_reserve(&w, PROTO_TAG_VALUE, plen);
	if (note[0] != '\0')
		proto_put_string(&w, PROTO_TAG_MESSAGE, note, strlen(note));
	if (slot == NULL || proto_frame_end(&w, start) < 0)
		abort(); /* sized above */
	r = seal_open_blob_cached(a->keys, a->seal_cache, a->dek_scratch, &aad, blob.ptr, blob.len,
				  slot);
	if (r < 0) {
		conn_reply_discard(c, &w);
		log_err("uid %u: %.*s version %u fails authentication (moved or tampered with)",
			(unsigned)owner, (int)ref->name.len, (const char *)ref->name.ptr, ver);
		return ops_fail(a, c, f, PROTO_INTERNAL,
				"the stored value of version %u fails authentication "
				"(record moved or tampered with)",
				ver);
	}
	conn_reply_commit(c, &w);
	return OPS_DONE;
}

/* PREFIX followed by T as an RFC 3339 UTC time. */
static void
format_time(char *out, size_t size, const char *prefix, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = (size_t)snprintf(out, size, "%s", prefix);

	if (n < size && gmtime_r(&tt, &tm) != NULL)
		strftime(out + n, size - n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The next period's start after NOW. */
static uint64_t
next_period(uint32_t period, uint64_t now)
{
	uint64_t start = proto_period_start(period, now);

	/* 32 days past a month's first day is always inside the next one. */
	switch (period) {
	case PROTO_PERIOD_HOUR: return start + 3600;
	case PROTO_PERIOD_DAY: return start + 86400;
	default: return proto_period_start(period, start + 32 * 86400);
	}
}

/* A GET within the quota: answered, then counted. */
static enum ops_result
counted_get(struct agent *a, struct conn *c, const struct proto_frame *f, MDB_txn *t,
	    uint32_t owner, const struct proto_ref *ref, const struct meta_rec *m, uint32_t ver,
	    const char *note)
{
	uint64_t now = agent_now();
	struct usage_ent *u;
	struct usage_rec *ur;
	enum ops_result res;
	char when[64];
	int r;

	if (a->cfg.no_read_audit && m->quota == 0)
		return get_reply(a, c, f, t, owner, ref, m, ver, note); /* benchmarks */
	r = usage_get(a, t, owner, ref->name, &u);
	if (r < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "%s",
				r == -EBADMSG ? "its usage record fails the integrity check"
					      : "out of memory");
	ur = usage_rec_at(u, m->quota_period, now);
	if (m->quota != 0 && ur->period_reads >= m->quota) {
		format_time(when, sizeof(when), "", next_period(m->quota_period, now));
		return ops_fail(a, c, f, PROTO_QUOTA_EXCEEDED,
				"read quota of %u per %s used up until %s", m->quota,
				proto_period_name(m->quota_period), when);
	}
	res = get_reply(a, c, f, t, owner, ref, m, ver, note);
	if (res == OPS_DONE && c->last_status == PROTO_OK)
		usage_count_read(a, u, &c->peer, now);
	return res;
}

enum ops_result
ops_get(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	uint8_t key[STORE_META_KEY_MAX];
	struct proto_get m;
	struct meta_rec rec;
	enum ops_result res;
	const char *why;
	char note[64] = "";
	bool expired;
	size_t klen;
	uint32_t owner, ver;
	uint16_t st;
	MDB_txn *t;

	if (proto_decode_get(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed GET");
	if (store_read_begin(a->store, &t) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	st = load_meta(a, t, &c->peer, &m.ref, key, &klen, &owner, &rec, &why);
	ver = m.has_version ? m.version : st == PROTO_OK ? rec.version : 0;
	expired = st == PROTO_OK && rec.expires != 0 && agent_now() >= rec.expires;
	if (expired)
		format_time(note, sizeof(note), "expired at ", rec.expires);
	if (st != PROTO_OK)
		res = ops_fail(a, c, f, st, "%s", why);
	else if (rec.state == PROTO_STATE_DISABLED)
		res = ops_fail(a, c, f, PROTO_DISABLED, "disabled");
	else if (expired && !(m.flags & PROTO_GET_ALLOW_EXPIRED))
		res = ops_fail(a, c, f, PROTO_EXPIRED, "%s", note);
	else if (!record_has_version(&rec, ver))
		res = ops_fail(a, c, f, PROTO_NOT_FOUND, "version %u not found", ver);
	else if (audit_failing(a))
		res = ops_fail(a, c, f, PROTO_INTERNAL,
			       "values are withheld: the audit trail cannot be written "
			       "(see the agent's log)");
	else
		res = counted_get(a, c, f, t, owner, &m.ref, &rec, ver, note);
	/* The record's target, without parsing the frame again. */
	c->audit_ref = m.ref;
	c->audit_ref_set = true;
	c->audit_version = st == PROTO_OK ? ver : m.has_version ? m.version : 0;
	store_read_end(a->store);
	return res;
}

/* VERSIONS groups of M, encoded into a malloc'd span. */
static int
versions_span(const struct meta_rec *m, struct proto_list_span *ret)
{
	struct buf_writer w;
	size_t size = (size_t)m->n_versions * 64;
	uint8_t *p = malloc(size + 1);

	if (p == NULL)
		return -ENOMEM;
	buf_writer_init(&w, p, size);
	for (uint32_t i = 0; i < m->n_versions; i++) {
		struct proto_version_info v;
		size_t g;

		record_version_at(m, i, &v);
		g = proto_group_begin(&w, PROTO_TAG_VERSIONS);
		proto_put_u32(&w, PROTO_TAG_VERSION, v.version);
		proto_put_u64(&w, PROTO_TAG_CREATED, v.created);
		proto_put_u32(&w, PROTO_TAG_CREATED_BY, v.created_by);
		proto_group_end(&w, g);
	}
	if (buf_writer_error(&w) != 0)
		abort();
	ret->raw.ptr = p;
	ret->raw.len = w.len;
	ret->count = m->n_versions;
	return 0;
}

struct grants_out {
	struct buf_writer w;
	uint32_t n;
};

static bool
grant_visit(const struct proto_grant *g, void *arg)
{
	struct grants_out *o = arg;

	proto_put_grant(&o->w, g);
	return ++o->n < PROTO_GRANTS_MAX;
}

/* The GRANT groups covering OWNER:NAME, encoded into a malloc'd span. */
static int
grants_span(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	    struct proto_list_span *ret)
{
	struct grants_out o = {.n = 0};
	size_t size;
	uint8_t *p;

	buf_writer_init(&o.w, NULL, 0);
	authz_grants_covering(a, t, owner, name, grant_visit, &o);
	size = o.w.len;
	p = malloc(size + 1);
	if (p == NULL)
		return -ENOMEM;
	o.n = 0;
	buf_writer_init(&o.w, p, size);
	authz_grants_covering(a, t, owner, name, grant_visit, &o);
	ret->raw = (struct proto_bytes){p, o.w.len};
	ret->count = o.n;
	return 0;
}

/* The usage fields of an INFO reply (left out if they cannot be read). */
static void
usage_to_proto(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	       const struct meta_rec *m, struct proto_meta *pm)
{
	struct usage_ent *u;
	struct usage_rec *ur;

	if (usage_get(a, t, owner, name, &u) < 0)
		return;
	ur = usage_rec_at(u, m->quota_period, agent_now());
	pm->has_usage = true;
	pm->reads = ur->reads;
	pm->period_reads = ur->period_reads;
	pm->has_last_read = ur->last_read != 0;
	pm->last_read = ur->last_read;
	pm->reader_uid = ur->reader_uid;
	pm->reader_pid = ur->reader_pid;
	pm->reader_comm = (struct proto_bytes){(const uint8_t *)ur->reader_comm,
					       strlen(ur->reader_comm)};
}

/* A typed secret's fields for INFO, secret ones masked (left out if the
 * current version cannot be opened). */
static void
info_fields(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	    const struct meta_rec *m, struct proto_meta *pm)
{
	struct seal_aad aad = {owner, m->id, name.ptr, name.len, m->version, m->type.ptr,
			       m->type.len};
	uint8_t bkey[STORE_BLOB_KEY_MAX], *plain;
	struct proto_bytes blob;
	size_t plen;

	if (store_get(t, a->store->blob, bkey,
		      store_blob_key(bkey, owner, name.ptr, name.len, m->version), &blob) < 0 ||
	    seal_blob_plain_len(blob.ptr, blob.len, &plen) < 0 ||
	    (plain = smem_alloc(plen > 0 ? plen : 1)) == NULL)
		return;
	if (seal_open_blob(a->keys, a->dek_scratch, &aad, blob.ptr, blob.len, plain) == 0 &&
	    typed_info_fields(m->type, (struct proto_bytes){plain, plen}, &pm->fields) < 0)
		pm->fields = (struct proto_list_span){{NULL, 0}, 0};
	smem_free(plain);
}

enum ops_result
ops_info(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	uint8_t key[STORE_META_KEY_MAX];
	struct proto_named m;
	struct proto_meta pm;
	struct meta_rec rec;
	struct buf_writer w;
	enum ops_result res = OPS_DONE;
	const char *why;
	size_t klen;
	uint32_t owner;
	uint16_t st;
	MDB_txn *t;

	if (proto_decode_named(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed INFO");
	if (store_read_begin(a->store, &t) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	st = load_meta(a, t, &c->peer, &m.ref, key, &klen, &owner, &rec, &why);
	if (st != PROTO_OK) {
		res = ops_fail(a, c, f, st, "%s", why);
		goto out;
	}
	record_to_proto(&rec, owner, m.ref.name, &pm);
	pm.shared = owner != (uint32_t)c->peer.uid;
	usage_to_proto(a, t, owner, m.ref.name, &rec, &pm);
	if (rec.verify_status != 0)
		pm.verify_message = rec.verify_msg;
	if (!typed_is_generic(rec.type))
		info_fields(a, t, owner, m.ref.name, &rec, &pm);
	if (!pm.shared && grants_span(a, t, owner, m.ref.name, &pm.grants) < 0) {
		res = ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
		goto out;
	}
	if (versions_span(&rec, &pm.versions) < 0) {
		free((void *)(uintptr_t)pm.grants.raw.ptr);
		res = ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
		goto out;
	}
	buf_writer_init(&w, NULL, 0);
	if (proto_encode_info_reply(&w, f->reqid, &pm) < 0 ||
	    conn_reply_begin(a, c, w.len, &w) < 0) {
		res = OPS_NOMEM;
	} else {
		if (proto_encode_info_reply(&w, f->reqid, &pm) < 0)
			abort();
		conn_reply_commit(c, &w);
	}
	free((void *)(uintptr_t)pm.versions.raw.ptr);
	free((void *)(uintptr_t)pm.grants.raw.ptr);
	free((void *)(uintptr_t)pm.fields.raw.ptr);
out:
	store_read_end(a->store);
	return res;
}
