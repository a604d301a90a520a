/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "record.h"
#include "store.h"
#include "ops.h"

#define LIST_LIMIT_DEFAULT 100u

struct list_page {
	MDB_val keys[PROTO_LIST_LIMIT_MAX];
	struct meta_rec recs[PROTO_LIST_LIMIT_MAX];
	uint32_t n;
	size_t size; /* encoded bytes of the entries */
	bool more;
};

/* The first key to look at: owner | prefix, or just past the cursor. */
static size_t
list_start(uint8_t *key, uint32_t owner, const struct proto_list *m)
{
	if (m->cursor.len > 0) {
		size_t n = store_meta_key(key, owner, m->cursor.ptr, m->cursor.len);

		key[n] = 0; /* the smallest key after the cursor's */
		return n + 1;
	}
	return store_meta_key(key, owner, m->prefix.ptr, m->prefix.len);
}

static bool
has_label(const struct meta_rec *r, struct proto_bytes want)
{
	struct proto_iter it;
	struct proto_bytes l;

	proto_iter_init(&it, &r->labels);
	while (proto_iter_next(&it, &l) == 1)
		if (l.len == want.len && memcmp(l.ptr, want.ptr, l.len) == 0)
			return true;
	return false;
}

static bool
entry_wanted(const struct meta_rec *r, const struct proto_list *m)
{
	bool deleted = r->state == PROTO_STATE_DELETED;
	struct proto_iter it;
	struct proto_bytes l;

	if ((m->flags & PROTO_LIST_DELETED) ? !deleted : deleted)
		return false;
	if (m->has_expiring && (r->expires == 0 || r->expires > m->expiring))
		return false;
	proto_iter_init(&it, &m->labels);
	while (proto_iter_next(&it, &l) == 1)
		if (!has_label(r, l))
			return false;
	return true;
}

/* Collect one page of entries of OWNER under PREFIX in T. */
static int
list_collect(struct agent *a, MDB_txn *t, uint32_t owner, const struct proto_list *m,
	     uint32_t limit, size_t budget, struct list_page *pg)
{
	uint8_t start[STORE_META_KEY_MAX + 1], pfx[STORE_META_KEY_MAX];
	size_t plen = store_meta_key(pfx, owner, m->prefix.ptr, m->prefix.len);
	MDB_val k = {list_start(start, owner, m), start}, v;
	MDB_cursor *cur;
	MDB_cursor_op op = MDB_SET_RANGE;
	int rc;

	rc = mdb_cursor_open(t, a->store->meta, &cur);
	if (rc != 0)
		return store_errno(rc);
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		struct proto_bytes val = {v.mv_data, v.mv_size}, name;
		struct proto_meta pm;
		struct meta_rec *r = &pg->recs[pg->n];
		struct buf_writer w;

		op = MDB_NEXT;
		if (k.mv_size < plen || memcmp(k.mv_data, pfx, plen) != 0)
			break;
		if (record_decode(a->keys, k.mv_data, k.mv_size, val, r) < 0) {
			log_err("uid %u: a metadata record fails its integrity check; not listed",
				(unsigned)owner);
			continue;
		}
		if (!entry_wanted(r, m))
			continue;
		if (pg->n == limit) {
			pg->more = true;
			break;
		}
		name.ptr = (const uint8_t *)k.mv_data + 4;
		name.len = k.mv_size - 4;
		record_to_proto(r, owner, name, &pm);
		buf_writer_init(&w, NULL, 0);
		proto_put_meta_entry(&w, &pm);
		if (pg->size + w.len > budget) {
			pg->more = true;
			break;
		}
		pg->size += w.len;
		pg->keys[pg->n++] = k;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_errno(rc);
}

static void
list_encode(struct buf_writer *w, const struct proto_frame *f, uint32_t owner,
	    const struct list_page *pg)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_LIST | PROTO_REPLY_BIT, f->reqid, PROTO_OK);

	for (uint32_t i = 0; i < pg->n; i++) {
		struct proto_bytes name = {(const uint8_t *)pg->keys[i].mv_data + 4,
					   pg->keys[i].mv_size - 4};
		struct proto_meta pm;

		record_to_proto(&pg->recs[i], owner, name, &pm);
		proto_put_meta_entry(w, &pm);
	}
	if (pg->more && pg->n > 0)
		proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, (const uint8_t *)pg->keys[pg->n - 1].mv_data + 4,
				pg->keys[pg->n - 1].mv_size - 4);
	if (proto_frame_end(w, start) < 0)
		abort(); /* sized by the caller */
}

enum ops_result
ops_list(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_ref ref = {0};
	struct proto_list m;
	struct list_page *pg;
	struct buf_writer w;
	enum ops_result res = OPS_DONE;
	uint32_t owner, limit;
	size_t budget;
	MDB_txn *t;

	if (proto_decode_list(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed LIST");
	if (!proto_prefix_valid(m.prefix.ptr, m.prefix.len) ||
	    (m.cursor.len > 0 && !proto_name_valid(m.cursor.ptr, m.cursor.len)))
		return ops_fail(a, c, f, PROTO_USAGE, "invalid prefix or cursor");
	ref.has_owner = m.has_owner;
	ref.owner = m.owner;
	if (ops_owner(a, &c->peer, &ref, &owner) != PROTO_OK)
		return ops_fail(a, c, f, PROTO_NOT_FOUND, "no such owner");
	limit = m.limit != 0 ? m.limit : LIST_LIMIT_DEFAULT;
	/* Entries fill a frame, leaving room for the header and cursor. */
	budget = a->cfg.frame_max - PROTO_REPLY_HDR - 2 * PROTO_FIELD_HDR - PROTO_CURSOR_MAX;
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (store_read_begin(a->store, &t) < 0) {
		free(pg);
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	}
	if (list_collect(a, t, owner, &m, limit, budget, pg) < 0)
		res = ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	else if (conn_reply_begin(a, c, PROTO_REPLY_HDR + pg->size + PROTO_FIELD_HDR +
						 PROTO_NAME_MAX, &w) < 0)
		res = OPS_NOMEM;
	else {
		list_encode(&w, f, owner, pg);
		conn_reply_commit(c, &w);
	}
	store_read_end(a->store);
	free(pg);
	return res;
}
