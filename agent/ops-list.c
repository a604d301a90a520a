/* SPDX-License-Identifier: MIT */
/*
 * LIST: the caller's own secrets, plus those it sees through grants (or,
 * for an admin with ALL_USERS, everyone's metadata), in key order, one
 * frame-sized page at a time. The sources are key ranges of the meta
 * database: prefix ranges are nested or disjoint, so walking them sorted
 * and skipping keys already passed yields one ordered, duplicate-free list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "authz.h"
#include "record.h"
#include "store.h"
#include "ops.h"

#define LIST_LIMIT_DEFAULT 100u
#define LIST_RANGES_MAX 1025u

struct range {
	uint8_t key[STORE_META_KEY_MAX + 1];
	size_t len;
	bool exact;  /* just this key, not keys starting with it */
	bool shared; /* through a grant: recheck visibility per entry */
};

struct list_ctx {
	struct agent *a;
	MDB_txn *t;
	const struct peer *peer;
	const struct proto_list *m;
	struct range *ranges;
	uint32_t n_ranges;
	bool all_users;
	/* the page */
	MDB_val keys[PROTO_LIST_LIMIT_MAX];
	struct meta_rec recs[PROTO_LIST_LIMIT_MAX];
	bool shared[PROTO_LIST_LIMIT_MAX];
	uint32_t n, limit;
	size_t size, budget;
	bool more, full;
	uint8_t last[STORE_META_KEY_MAX];
	size_t last_len;
};

static bool
starts_with(const uint8_t *p, size_t n, const uint8_t *pre, size_t plen)
{
	return n >= plen && (plen == 0 || memcmp(p, pre, plen) == 0);
}

static void
add_range(struct list_ctx *x, uint32_t owner, const uint8_t *name, size_t len, bool exact,
	  bool shared)
{
	struct range *r;

	if (x->n_ranges == LIST_RANGES_MAX)
		return;
	r = &x->ranges[x->n_ranges++];
	r->len = store_meta_key(r->key, owner, name, len);
	r->exact = exact;
	r->shared = shared;
}

/* A grant the caller holds becomes a range, cut down to the asked prefix. */
static bool
held_range(uint32_t owner, struct proto_bytes name, bool prefix, void *arg)
{
	struct list_ctx *x = arg;
	const struct proto_bytes f = x->m->prefix;
	uint8_t folder[PROTO_NAME_MAX + 1];

	if (owner == (uint32_t)x->peer->uid || (x->m->has_owner && owner != x->m->owner))
		return true;
	if (!prefix) {
		if (starts_with(name.ptr, name.len, f.ptr, f.len))
			add_range(x, owner, name.ptr, name.len, true, true);
		return true;
	}
	memcpy(folder, name.ptr, name.len);
	folder[name.len] = '/';
	if (starts_with(f.ptr, f.len, folder, name.len + 1))
		add_range(x, owner, f.ptr, f.len, false, true);
	else if (starts_with(folder, name.len + 1, f.ptr, f.len))
		add_range(x, owner, folder, name.len + 1, false, true);
	return true;
}

static int
range_cmp(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->key, b->key, n);

	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static bool
entry_wanted(struct list_ctx *x, const MDB_val *k, const struct meta_rec *r, bool shared)
{
	const struct proto_list *m = x->m;
	struct proto_bytes name = {(const uint8_t *)k->mv_data + 4, k->mv_size - 4};
	bool deleted = r->state == PROTO_STATE_DELETED;
	struct proto_iter it;
	struct proto_bytes l;

	if ((m->flags & PROTO_LIST_DELETED) ? !deleted : deleted)
		return false;
	if (m->has_expiring && (r->expires == 0 || r->expires > m->expiring))
		return false;
	if ((m->flags & PROTO_LIST_UNVERIFIED) && r->verify_status == PROTO_VERIFY_OK)
		return false;
	if (x->all_users && !starts_with(name.ptr, name.len, m->prefix.ptr, m->prefix.len))
		return false;
	proto_iter_init(&it, &m->labels);
	while (proto_iter_next(&it, &l) == 1) {
		struct proto_iter have;
		struct proto_bytes h;
		bool found = false;

		proto_iter_init(&have, &r->labels);
		while (!found && proto_iter_next(&have, &h) == 1)
			found = h.len == l.len && memcmp(h.ptr, l.ptr, l.len) == 0;
		if (!found)
			return false;
	}
	return !shared || authz_perm(x->a, x->t, x->peer, buf_load_u32(k->mv_data), name) > 0;
}

/* Add one entry to the page, or note that the page is full. */
static void
take(struct list_ctx *x, const MDB_val *k, const struct meta_rec *r, bool shared)
{
	struct proto_bytes name = {(const uint8_t *)k->mv_data + 4, k->mv_size - 4};
	struct buf_writer w;
	struct proto_meta pm;
	uint32_t owner = buf_load_u32(k->mv_data);

	if (x->n == x->limit) {
		x->more = x->full = true;
		return;
	}
	record_to_proto(r, owner, name, &pm);
	pm.shared = shared;
	buf_writer_init(&w, NULL, 0);
	proto_put_meta_entry(&w, &pm);
	if (x->size + w.len > x->budget) {
		x->more = x->full = true;
		return;
	}
	x->size += w.len;
	x->recs[x->n] = *r;
	x->shared[x->n] = shared;
	x->keys[x->n++] = *k;
	memcpy(x->last, k->mv_data, k->mv_size);
	x->last_len = k->mv_size;
}

/* Is K at or before the last key passed? */
static bool
passed(const struct list_ctx *x, const MDB_val *k)
{
	size_t n = k->mv_size < x->last_len ? k->mv_size : x->last_len;
	int c = memcmp(k->mv_data, x->last, n);

	return x->last_len > 0 && (c < 0 || (c == 0 && k->mv_size <= x->last_len));
}

static int
walk_range(struct list_ctx *x, const struct range *rg)
{
	MDB_val k = {rg->len, (void *)(uintptr_t)rg->key}, v;
	MDB_cursor *cur;
	int rc;

	rc = mdb_cursor_open(x->t, x->a->store->meta, &cur);
	if (rc != 0)
		return store_errno(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, rg->len > 0 ? MDB_SET_RANGE : MDB_FIRST);
	     rc == 0 && !x->full;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct meta_rec r;

		if (!starts_with(k.mv_data, k.mv_size, rg->key, rg->len) ||
		    (rg->exact && k.mv_size != rg->len))
			break;
		if (passed(x, &k))
			continue;
		if (record_decode(x->a->keys, k.mv_data, k.mv_size,
				  (struct proto_bytes){v.mv_data, v.mv_size}, &r) < 0) {
			log_err("uid %u: a metadata record fails its integrity check; not listed",
				buf_load_u32(k.mv_data));
			continue;
		}
		if (entry_wanted(x, &k, &r, rg->shared))
			take(x, &k, &r, rg->shared);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_errno(rc);
}

static void
list_encode(struct buf_writer *w, const struct proto_frame *f, struct list_ctx *x)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_LIST | PROTO_REPLY_BIT, f->reqid, PROTO_OK);

	for (uint32_t i = 0; i < x->n; i++) {
		struct proto_bytes name = {(const uint8_t *)x->keys[i].mv_data + 4,
					   x->keys[i].mv_size - 4};
		uint32_t owner = buf_load_u32(x->keys[i].mv_data);
		struct proto_meta pm;

		record_to_proto(&x->recs[i], owner, name, &pm);
		pm.shared = x->shared[i];
		proto_put_meta_entry(w, &pm);
	}
	if (x->more && x->n > 0)
		proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, x->keys[x->n - 1].mv_data,
				x->keys[x->n - 1].mv_size);
	if (proto_frame_end(w, start) < 0)
		abort(); /* sized by the caller */
}

/* Work out the ranges to walk; a status other than OK to refuse. */
static uint16_t
plan(struct list_ctx *x, const char **why)
{
	const struct proto_list *m = x->m;
	uint32_t self = (uint32_t)x->peer->uid;

	*why = "not found";
	if (m->flags & PROTO_LIST_ALL_USERS) {
		*why = "listing all users needs an admin (root or the admin group)";
		if (!authz_is_admin(x->a, x->peer))
			return PROTO_DENIED;
		x->all_users = true;
		if (m->has_owner)
			add_range(x, m->owner, NULL, 0, false, false);
		else
			x->n_ranges = 1; /* the whole database: an empty key */
		return PROTO_OK;
	}
	if (!x->a->cfg.system_mode && m->has_owner && m->owner != (uint32_t)x->a->uid)
		return PROTO_NOT_FOUND;
	if (!m->has_owner || m->owner == self)
		add_range(x, self, m->prefix.ptr, m->prefix.len, false, false);
	authz_grants_held(x->a, x->t, x->peer, held_range, x);
	qsort(x->ranges, x->n_ranges, sizeof(*x->ranges), range_cmp);
	return PROTO_OK;
}

enum ops_result
ops_list(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_list m;
	struct list_ctx *x;
	struct buf_writer w;
	enum ops_result res = OPS_DONE;
	const char *why;
	uint16_t st;
	int r = 0;

	if (proto_decode_list(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed LIST");
	if (!proto_prefix_valid(m.prefix.ptr, m.prefix.len) ||
	    (m.cursor.len > 0 &&
	     (m.cursor.len < 5 || !proto_name_valid(m.cursor.ptr + 4, m.cursor.len - 4))))
		return ops_fail(a, c, f, PROTO_USAGE, "invalid prefix or cursor");
	x = calloc(1, sizeof(*x));
	if (x != NULL)
		x->ranges = calloc(LIST_RANGES_MAX, sizeof(*x->ranges));
	if (x == NULL || x->ranges == NULL) {
		free(x);
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	}
	x->a = a;
	x->peer = &c->peer;
	x->m = &m;
	x->limit = m.limit != 0 ? m.limit : LIST_LIMIT_DEFAULT;
	/* Entries fill a frame, leaving room for the header and cursor. */
	x->budget = a->cfg.frame_max - PROTO_REPLY_HDR - 2 * PROTO_FIELD_HDR - PROTO_CURSOR_MAX;
	if (m.cursor.len > 0)
		memcpy(x->last, m.cursor.ptr, m.cursor.len);
	x->last_len = m.cursor.len;
	if (store_read_begin(a->store, &x->t) < 0) {
		free(x->ranges);
		free(x);
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	}
	st = plan(x, &why);
	for (uint32_t i = 0; st == PROTO_OK && r == 0 && i < x->n_ranges && !x->full; i++)
		r = walk_range(x, &x->ranges[i]);
	if (st != PROTO_OK)
		res = ops_fail(a, c, f, st, "%s", why);
	else if (r < 0)
		res = ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	else if (conn_reply_begin(a, c, PROTO_REPLY_HDR + x->size + PROTO_FIELD_HDR +
						 STORE_META_KEY_MAX, &w) < 0)
		res = OPS_NOMEM;
	else {
		list_encode(&w, f, x);
		conn_reply_commit(c, &w);
	}
	store_read_end(a->store);
	free(x->ranges);
	free(x);
	return res;
}
