/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "authz.h"
#include "record.h"
#include "store.h"
#include "ops.h"
#include "watch.h"

struct watch {
	struct watch *next;
	struct conn *conn;
	uint32_t reqid;
	uint32_t owner;
	uint8_t name_len;
	uint8_t name[PROTO_NAME_MAX];
};

static uint32_t
watches_of_uid(const struct agent *a, uid_t uid)
{
	uint32_t n = 0;

	for (const struct watch *w = a->watches; w != NULL; w = w->next)
		if (w->conn->peer.uid == uid)
			n++;
	return n;
}

enum ops_result
ops_watch(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	uint8_t key[STORE_META_KEY_MAX];
	struct proto_named m;
	struct proto_bytes v;
	struct meta_rec rec;
	struct watch *w;
	uint32_t owner;
	bool visible;
	MDB_txn *t;

	if (proto_decode_named(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed WATCH");
	if (!proto_name_valid(m.ref.name.ptr, m.ref.name.len))
		return ops_fail(a, c, f, PROTO_USAGE, "invalid name");
	if (ops_owner(a, &c->peer, &m.ref, &owner) != PROTO_OK)
		return ops_fail(a, c, f, PROTO_NOT_FOUND, "not found");
	if (store_read_begin(a->store, &t) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	{
		size_t klen = store_meta_key(key, owner, m.ref.name.ptr, m.ref.name.len);

		visible = authz_check(a, t, &c->peer, owner, m.ref.name, AUTHZ_READ) == PROTO_OK &&
			  store_get(t, a->store->meta, key, klen, &v) == 0 &&
			  record_decode(a->keys, key, klen, v, &rec) == 0 &&
			  rec.state != PROTO_STATE_DELETED;
	}
	store_read_end(a->store);
	if (!visible)
		return ops_fail(a, c, f, PROTO_NOT_FOUND, "not found");
	if (watches_of_uid(a, c->peer.uid) >= a->cfg.max_watches_per_uid) {
		log_warn("uid %u: watch refused, %u watches open", (unsigned)c->peer.uid,
			 a->cfg.max_watches_per_uid);
		return ops_fail(a, c, f, PROTO_DENIED, "too many watches (at most %u per user)",
				a->cfg.max_watches_per_uid);
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (conn_reply_status(a, c, f->type, f->reqid, PROTO_OK, NULL) < 0) {
		free(w);
		return OPS_NOMEM;
	}
	w->conn = c;
	w->reqid = f->reqid;
	w->owner = owner;
	w->name_len = (uint8_t)m.ref.name.len;
	memcpy(w->name, m.ref.name.ptr, m.ref.name.len);
	w->next = a->watches;
	a->watches = w;
	return OPS_DONE;
}

static void
send_event(struct agent *a, struct watch *w, uint32_t event, uint32_t version, uint32_t state)
{
	struct proto_event_msg ev = {event, version, state};
	struct buf_writer bw;

	if (w->conn->fd < 0)
		return;
	if (conn_reply_begin(a, w->conn, PROTO_REPLY_HDR + 3 * (PROTO_FIELD_HDR + 4), &bw) < 0) {
		log_warn("connection %llu: event dropped, the arena is full",
			 (unsigned long long)w->conn->id);
		return;
	}
	if (proto_encode_event(&bw, w->reqid, &ev) < 0)
		abort();
	conn_reply_commit(w->conn, &bw);
	conn_kick(a, w->conn);
}

void
watch_notify(struct agent *a, uint32_t owner, struct proto_bytes name, uint32_t event,
	     uint32_t version, uint32_t state)
{
	struct watch **pw = &a->watches;

	while (*pw != NULL) {
		struct watch *w = *pw;

		if (w->owner != owner || w->name_len != name.len ||
		    memcmp(w->name, name.ptr, name.len) != 0) {
			pw = &w->next;
			continue;
		}
		send_event(a, w, event, version, state);
		if (event == PROTO_EVENT_PURGED) {
			*pw = w->next;
			free(w);
		} else {
			pw = &w->next;
		}
	}
}

void
watch_revalidate(struct agent *a, uint32_t owner)
{
	struct watch **pw = &a->watches;
	MDB_txn *t;

	if (store_read_begin(a->store, &t) < 0)
		return;
	while (*pw != NULL) {
		struct watch *w = *pw;
		struct proto_bytes name = {w->name, w->name_len};

		if (w->owner != owner || w->conn->fd < 0 ||
		    authz_perm(a, t, &w->conn->peer, owner, name) > 0) {
			pw = &w->next;
			continue;
		}
		send_event(a, w, PROTO_EVENT_REVOKED, 0, 0);
		*pw = w->next;
		free(w);
	}
	store_read_end(a->store);
}

void
watch_drop_conn(struct agent *a, struct conn *c)
{
	struct watch **pw = &a->watches;

	while (*pw != NULL) {
		struct watch *w = *pw;

		if (w->conn == c) {
			*pw = w->next;
			free(w);
		} else {
			pw = &w->next;
		}
	}
}
