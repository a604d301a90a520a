/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "authz.h"
#include "keys.h"
#include "seal.h"
#include "store.h"

bool
authz_is_admin(const struct agent *a, const struct peer *p)
{
	if (p->uid == 0)
		return true;
	if (!a->cfg.system_mode)
		return p->uid == a->uid;
	return a->admin_gid_set && peer_in_group(p, a->admin_gid);
}

/* owner | name | 0 | kind [| type | grantee] */
static size_t
grant_key(uint8_t *out, uint32_t owner, struct proto_bytes name, bool prefix)
{
	size_t n = store_meta_key(out, owner, name.ptr, name.len);

	out[n++] = 0;
	out[n++] = prefix ? 1 : 0;
	return n;
}

static size_t
grantee_key(uint8_t *out, bool is_gid, uint32_t grantee, uint32_t owner, struct proto_bytes name,
	    bool prefix)
{
	out[0] = is_gid ? 1 : 0;
	buf_store_u32(out + 1, grantee);
	return 5 + grant_key(out + 5, owner, name, prefix);
}

/* Decode and authenticate one grant record. */
static bool
grant_decode(struct agent *a, const MDB_val *k, const MDB_val *v, size_t base,
	     struct proto_grant *ret)
{
	const uint8_t *key = k->mv_data, *val = v->mv_data;

	if (k->mv_size != base + 5 || v->mv_size != AUTHZ_GRANT_VAL_SIZE ||
	    seal_mac_verify(a->keys, "grant", key, k->mv_size, val, AUTHZ_GRANT_VAL_SIZE - 32,
			    val + AUTHZ_GRANT_VAL_SIZE - 32) < 0)
		return false;
	ret->flags = key[base - 1] == 1 ? PROTO_SHARE_PREFIX : 0;
	ret->is_gid = key[base] == 1;
	ret->grantee = buf_load_u32(key + base + 1);
	ret->perm = val[0];
	ret->created = buf_load_u64(val + 1);
	ret->created_by = buf_load_u32(val + 9);
	return ret->perm >= 1 && ret->perm <= PROTO_PERM_MAX;
}

/* Every grant under the key prefix K (one name or folder). */
static bool
scan_grants(struct agent *a, MDB_txn *t, const uint8_t *k, size_t klen, struct proto_bytes name,
	    authz_grant_fn fn, void *arg)
{
	MDB_val key = {klen, (void *)(uintptr_t)k}, val;
	MDB_cursor *cur;
	bool go = true;
	int rc;

	if (mdb_cursor_open(t, a->store->grant, &cur) != 0)
		return true;
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0 && go;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		struct proto_grant g = {0};

		if (key.mv_size < klen || memcmp(key.mv_data, k, klen) != 0)
			break;
		if (!grant_decode(a, &key, &val, klen, &g)) {
			log_err("uid %u: a grant record fails its integrity check; ignored",
				(unsigned)buf_load_u32(k));
			continue;
		}
		g.name = name;
		go = fn(&g, arg);
	}
	mdb_cursor_close(cur);
	return go;
}

void
authz_grants_covering(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		      authz_grant_fn fn, void *arg)
{
	uint8_t k[AUTHZ_GRANT_KEY_MAX];
	size_t klen = grant_key(k, owner, name, false);

	if (!scan_grants(a, t, k, klen, name, fn, arg))
		return;
	/* Folders above NAME: "a" and "a/b" for "a/b/c". */
	for (size_t i = 1; i < name.len; i++) {
		struct proto_bytes folder = {name.ptr, i};

		if (name.ptr[i] != '/')
			continue;
		klen = grant_key(k, owner, folder, true);
		if (!scan_grants(a, t, k, klen, folder, fn, arg))
			return;
	}
}

struct perm_search {
	const struct peer *peer;
	uint32_t best;
};

static bool
perm_visit(const struct proto_grant *g, void *arg)
{
	struct perm_search *s = arg;
	bool mine = g->is_gid ? peer_in_group(s->peer, (gid_t)g->grantee)
			      : g->grantee == (uint32_t)s->peer->uid;

	if (mine && g->perm > s->best)
		s->best = g->perm;
	return s->best < PROTO_PERM_MAX;
}

uint32_t
authz_perm(struct agent *a, MDB_txn *t, const struct peer *p, uint32_t owner,
	   struct proto_bytes name)
{
	struct perm_search s = {p, 0};

	if (owner == (uint32_t)p->uid)
		return AUTHZ_OWNER;
	if (!a->cfg.system_mode)
		return 0;
	authz_grants_covering(a, t, owner, name, perm_visit, &s);
	return s.best;
}

uint16_t
authz_check(struct agent *a, MDB_txn *t, const struct peer *p, uint32_t owner,
	    struct proto_bytes name, enum authz_need need)
{
	uint32_t perm = authz_perm(a, t, p, owner, name);

	if (perm == 0)
		return PROTO_NOT_FOUND;
	return perm >= (uint32_t)need ? PROTO_OK : PROTO_DENIED;
}

int
authz_grant_put(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		bool prefix, bool is_gid, uint32_t grantee, uint32_t perm, uint32_t by)
{
	uint8_t k[AUTHZ_GRANT_KEY_MAX], rk[5 + AUTHZ_GRANT_KEY_MAX], v[AUTHZ_GRANT_VAL_SIZE];
	size_t klen = grant_key(k, owner, name, prefix);
	int r;

	k[klen] = is_gid ? 1 : 0;
	buf_store_u32(k + klen + 1, grantee);
	klen += 5;
	v[0] = (uint8_t)perm;
	buf_store_u64(v + 1, agent_now());
	buf_store_u32(v + 9, by);
	seal_mac(a->keys, "grant", k, klen, v, AUTHZ_GRANT_VAL_SIZE - 32,
		 v + AUTHZ_GRANT_VAL_SIZE - 32);
	r = store_put(t, a->store->grant, k, klen, v, sizeof(v));
	if (r == 0)
		r = store_put(t, a->store->grantee, rk,
			      grantee_key(rk, is_gid, grantee, owner, name, prefix), "", 0);
	return r;
}

int
authz_grant_del(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
		bool prefix, bool is_gid, uint32_t grantee)
{
	uint8_t k[AUTHZ_GRANT_KEY_MAX], rk[5 + AUTHZ_GRANT_KEY_MAX];
	size_t klen = grant_key(k, owner, name, prefix);
	int r;

	k[klen] = is_gid ? 1 : 0;
	buf_store_u32(k + klen + 1, grantee);
	r = store_del(t, a->store->grant, k, klen + 5);
	if (r < 0)
		return r;
	r = store_del(t, a->store->grantee, rk,
		      grantee_key(rk, is_gid, grantee, owner, name, prefix));
	return r == -ENOENT ? 0 : r;
}

/* Grants held by one grantee (type, id), from the reverse index. */
static bool
scan_held(struct agent *a, MDB_txn *t, bool is_gid, uint32_t id, authz_held_fn fn, void *arg)
{
	uint8_t k[5];
	MDB_val key = {sizeof(k), k}, val;
	MDB_cursor *cur;
	bool go = true;
	int rc;

	k[0] = is_gid ? 1 : 0;
	buf_store_u32(k + 1, id);
	if (mdb_cursor_open(t, a->store->grantee, &cur) != 0)
		return true;
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0 && go;
	     rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		const uint8_t *p = key.mv_data;

		if (key.mv_size < 5 + 4 + 1 + 2 || memcmp(p, k, 5) != 0)
			break;
		go = fn(buf_load_u32(p + 5),
			(struct proto_bytes){p + 9, key.mv_size - 9 - 2}, p[key.mv_size - 1] == 1,
			arg);
	}
	mdb_cursor_close(cur);
	return go;
}

void
authz_grants_held(struct agent *a, MDB_txn *t, const struct peer *p, authz_held_fn fn, void *arg)
{
	if (!a->cfg.system_mode)
		return;
	if (!scan_held(a, t, false, (uint32_t)p->uid, fn, arg) ||
	    !scan_held(a, t, true, (uint32_t)p->gid, fn, arg))
		return;
	for (uint32_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] != p->gid && !scan_held(a, t, true, (uint32_t)p->groups[i], fn, arg))
			return;
}
