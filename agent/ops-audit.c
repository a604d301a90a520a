/* SPDX-License-Identifier: MIT */
/*
 * Audit queries and verification, usage listing and reset. Queries run on
 * the loop against a read transaction, a bounded number of records per
 * page; verification walks the whole chain on the worker thread, a batch
 * of records per read transaction.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "audit.h"
#include "authz.h"
#include "keys.h"
#include "record.h"
#include "store.h"
#include "usage.h"
#include "worker.h"
#include "ops.h"

#define PAGE_DEFAULT 100u
#define SCAN_MAX 100000u   /* records one AUDIT page may look at */
#define VERIFY_BATCH 10000u
#define RECORD_GROUP_MAX (PROTO_FIELD_HDR + 13u * PROTO_FIELD_HDR + 64u + PROTO_NAME_MAX + \
			  PEER_COMM_MAX + 16u)
#define SUMMARY_MAX 64u
#define USAGE_GROUP_MAX (PROTO_FIELD_HDR + 12u * PROTO_FIELD_HDR + 72u + PROTO_NAME_MAX + \
			 PEER_COMM_MAX)

/* The reply's size limit: the frame limit, less a margin for the rest. */
static size_t
page_room(const struct agent *a)
{
	return a->cfg.frame_max - PROTO_REPLY_HDR - 2 * PROTO_FIELD_HDR - 8 - PROTO_MESSAGE_MAX;
}

typedef int (*page_encoder)(struct buf_writer *w, uint32_t reqid, const void *rep);

static int
encode_audit(struct buf_writer *w, uint32_t reqid, const void *rep)
{
	return proto_encode_audit_reply(w, reqid, rep);
}

static int
encode_usage(struct buf_writer *w, uint32_t reqid, const void *rep)
{
	return proto_encode_usage_reply(w, reqid, rep);
}

/* Queue a paged reply whose groups were written into SPACE through BODY
 * (SPACE is freed): sized first, then encoded into the connection. */
static enum ops_result
reply_page(struct agent *a, struct conn *c, const struct proto_frame *f,
	   const struct buf_writer *body, uint8_t *space, page_encoder enc, const void *rep)
{
	enum ops_result res = OPS_DONE;
	struct buf_writer w;

	buf_writer_init(&w, NULL, 0);
	if (buf_writer_error(body) != 0 || enc(&w, f->reqid, rep) < 0)
		res = ops_fail(a, c, f, PROTO_INTERNAL, "the page outgrew its buffer");
	else if (conn_reply_begin(a, c, w.len, &w) < 0)
		res = OPS_NOMEM;
	else if (enc(&w, f->reqid, rep) < 0)
		abort(); /* sized above */
	else
		conn_reply_commit(c, &w);
	free(space);
	return res;
}

static bool
visible(const struct agent *a, const struct peer *p, bool admin, const struct audit_entry *e)
{
	if (!a->cfg.system_mode || admin)
		return true;
	return e->uid == (uint32_t)p->uid ||
	       (e->target.present && e->target.owner == (uint32_t)p->uid);
}

static bool
matches(const struct proto_audit *m, uint32_t owner, const struct audit_entry *e)
{
	const char *op = proto_op_name(e->op);

	if (m->has_uid && e->uid != m->uid)
		return false;
	if (m->has_status && e->status != m->status)
		return false;
	if (m->has_since && e->time < m->since)
		return false;
	if (m->has_until && e->time >= m->until)
		return false;
	if (m->op.len > 0 &&
	    (op == NULL || strlen(op) != m->op.len || memcmp(op, m->op.ptr, m->op.len) != 0))
		return false;
	if (m->name.len > 0 || m->has_owner) {
		if (!e->target.present || e->target.owner != owner)
			return false;
		if (m->name.len > 0 && (e->target.name_len != m->name.len ||
					memcmp(e->target.name, m->name.ptr, m->name.len) != 0))
			return false;
	}
	return true;
}

static void
put_record(struct buf_writer *w, uint64_t seq, const struct audit_entry *e)
{
	const char *op = proto_op_name(e->op);
	struct proto_audit_record r = {0};

	r.has_owner = e->target.present;
	r.owner = e->target.owner;
	if (e->target.present)
		r.name = (struct proto_bytes){e->target.name, e->target.name_len};
	r.has_version = e->target.present && e->target.version != 0;
	r.version = e->target.version;
	op = op != NULL ? op : "unknown";
	r.op = (struct proto_bytes){(const uint8_t *)op, strlen(op)};
	r.status = e->status;
	r.seq = seq;
	r.time = e->time;
	r.uid = e->uid;
	r.gid = e->gid;
	r.pid = e->pid;
	r.comm = (struct proto_bytes){(const uint8_t *)e->comm, strlen(e->comm)};
	r.count = e->count;
	r.security = e->security ? 1 : 0;
	proto_put_audit_record(w, &r);
}

struct tally {
	uint8_t op;
	uint16_t status;
	uint64_t total;
};

static void
tally_add(struct tally *t, uint32_t *n, const struct audit_entry *e)
{
	for (uint32_t i = 0; i < *n; i++)
		if (t[i].op == e->op && t[i].status == e->status) {
			t[i].total += e->count;
			return;
		}
	if (*n < SUMMARY_MAX)
		t[(*n)++] = (struct tally){e->op, e->status, e->count};
}

enum ops_result
ops_audit(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	bool summary, admin = !a->cfg.system_mode || authz_is_admin(a, &c->peer);
	uint64_t from = 1, last = 0;
	struct tally tally[SUMMARY_MAX];
	uint32_t n_tally = 0, limit, n = 0, scanned = 0, owner;
	struct proto_audit_reply rep = {0};
	struct proto_audit m;
	struct buf_writer body;
	uint8_t kbuf[8], cur[8], *space;
	MDB_cursor *mc;
	MDB_val k, v;
	MDB_txn *t;
	bool more = false, opened;
	size_t room = page_room(a);
	int rc;

	if (proto_decode_audit(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed AUDIT");
	if (m.name.len > 0 && !proto_name_valid(m.name.ptr, m.name.len))
		return ops_fail(a, c, f, PROTO_USAGE, "invalid name");
	if (m.cursor.len != 0 && m.cursor.len != 8)
		return ops_fail(a, c, f, PROTO_USAGE, "invalid cursor");
	/* Records noted so far are committed before they are looked at. */
	if (audit_failing(a))
		return ops_fail(a, c, f, PROTO_INTERNAL,
				"the audit trail cannot be written (see the agent's log)");
	if (!audit_settle(a, &c->audit_ticket))
		return OPS_WAIT;
	if (m.cursor.len == 8)
		from = buf_load_u64(m.cursor.ptr) + 1;
	summary = (m.flags & PROTO_AUDIT_SUMMARY) != 0;
	limit = m.limit == 0 ? PAGE_DEFAULT : m.limit > PROTO_LIST_LIMIT_MAX ? PROTO_LIST_LIMIT_MAX
									      : m.limit;
	owner = m.has_owner ? m.owner : (uint32_t)c->peer.uid;
	space = malloc(room);
	if (space == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	buf_writer_init(&body, space, room);
	if (store_read_begin(a->store, &t) < 0) {
		free(space);
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	}
	rc = mdb_cursor_open(t, a->store->audit, &mc);
	opened = rc == 0;
	buf_store_u64(kbuf, from);
	k.mv_data = kbuf;
	k.mv_size = 8;
	for (rc = rc == 0 ? mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE) : rc; rc == 0;
	     rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		struct audit_stored s;

		if (scanned == SCAN_MAX || n == limit ||
		    (!summary && body.len + RECORD_GROUP_MAX > room)) {
			more = true;
			break;
		}
		scanned++;
		last = k.mv_size == 8 ? buf_load_u64(k.mv_data) : last;
		if (audit_decode(v.mv_data, v.mv_size, &s) < 0)
			continue; /* audit verify reports it */
		if (!visible(a, &c->peer, admin, &s.e) || !matches(&m, owner, &s.e))
			continue;
		if (summary) {
			tally_add(tally, &n_tally, &s.e);
		} else {
			put_record(&body, last, &s.e);
			n++;
		}
	}
	if (opened)
		mdb_cursor_close(mc);
	store_read_end(a->store);
	for (uint32_t i = 0; i < n_tally; i++) {
		const char *op = proto_op_name(tally[i].op);
		struct proto_audit_summary sm = {{(const uint8_t *)(op != NULL ? op : "unknown"),
						  strlen(op != NULL ? op : "unknown")},
						 tally[i].status, tally[i].total};

		proto_put_audit_summary(&body, &sm);
	}
	if (summary)
		rep.summaries = (struct proto_list_span){{space, body.len}, n_tally};
	else
		rep.records = (struct proto_list_span){{space, body.len}, n};
	if (more) {
		buf_store_u64(cur, last);
		rep.cursor = (struct proto_bytes){cur, 8};
	}
	return reply_page(a, c, f, &body, space, encode_audit, &rep);
}

/* ---- verify (worker thread) ---- */

struct vjob {
	struct sjob sj;
	struct conn *conn;
	uint32_t reqid;
	struct peer peer;
	uint16_t status;
	struct proto_audit_verify_reply rep;
	uint8_t head[AUDIT_LINK_SIZE];
	char message[192];
};

static int
verify_fail(struct vjob *v, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
verify_fail(struct vjob *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	v->rep.has_broken = true;
	v->rep.broken_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	return 1;
}

/*
 * Check up to VERIFY_BATCH records from *EXPECTED on, after *PREV. 0 to
 * go on, 1 when done (the end, or a break found), -1 on failure.
 */
static int
verify_batch(struct agent *a, struct vjob *v, uint64_t *expected, uint8_t *prev)
{
	const uint8_t *key;
	uint8_t kbuf[8], link[AUDIT_LINK_SIZE];
	MDB_cursor *mc;
	MDB_val k, val;
	MDB_txn *t;
	uint32_t n = 0;
	int rc, r = 0;

	keys_read_begin(a->keys);
	key = keys_audit_key(a->keys);
	if (store_reader_begin(a->store, &t) < 0) {
		keys_read_end(a->keys);
		return -1;
	}
	rc = mdb_cursor_open(t, a->store->audit, &mc);
	if (rc != 0) {
		store_reader_end(a->store, t);
		keys_read_end(a->keys);
		return -1;
	}
	buf_store_u64(kbuf, *expected);
	k.mv_data = kbuf;
	k.mv_size = 8;
	for (rc = mdb_cursor_get(mc, &k, &val, MDB_SET_RANGE);
	     rc == 0 && r == 0 && n < VERIFY_BATCH; rc = mdb_cursor_get(mc, &k, &val, MDB_NEXT)) {
		struct audit_stored s;
		uint64_t seq = k.mv_size == 8 ? buf_load_u64(k.mv_data) : 0;

		n++;
		if (seq != *expected) {
			r = verify_fail(v, *expected,
					"record %llu is missing: removed, or records were reordered",
					(unsigned long long)*expected);
			break;
		}
		if (audit_decode(val.mv_data, val.mv_size, &s) < 0) {
			r = verify_fail(v, seq, "record %llu does not parse: edited",
					(unsigned long long)seq);
			break;
		}
		if (s.seq != seq) {
			r = verify_fail(v, seq,
					"record %llu holds another record's contents: moved or "
					"reordered",
					(unsigned long long)seq);
			break;
		}
		if ((s.flags & AUDIT_F_KEYED) && key == NULL) {
			v->status = PROTO_LOCKED;
			snprintf(v->message, sizeof(v->message),
				 "the audit key is not loaded yet: unlock the agent first");
			r = 1;
			break;
		}
		audit_link(prev, (s.flags & AUDIT_F_KEYED) ? key : NULL, s.body, s.body_len, link);
		if (sodium_memcmp(link, s.link, AUDIT_LINK_SIZE) != 0) {
			r = verify_fail(v, seq, "record %llu was edited: its link does not match",
					(unsigned long long)seq);
			break;
		}
		memcpy(prev, link, AUDIT_LINK_SIZE);
		(*expected)++;
		v->rep.checked++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		r = -1;
	else if (rc == MDB_NOTFOUND)
		r = r == 0 ? 1 : r;
	mdb_cursor_close(mc);
	store_reader_end(a->store, t);
	keys_read_end(a->keys);
	return r;
}

static void
verify_run(struct agent *a, struct sjob *sj)
{
	struct vjob *v = (struct vjob *)sj;
	struct audit_chain head;
	uint8_t prev[AUDIT_LINK_SIZE];
	uint64_t expected = 1;
	MDB_txn *t;
	int r;

	audit_head(a, &head);
	if (store_reader_begin(a->store, &t) < 0) {
		v->status = PROTO_INTERNAL;
		snprintf(v->message, sizeof(v->message), "the store cannot be read");
		return;
	}
	keys_read_begin(a->keys);
	r = audit_anchor_load(a->store, t, keys_audit_key(a->keys), &expected, prev);
	keys_read_end(a->keys);
	store_reader_end(a->store, t);
	v->rep.first_seq = expected;
	if (r == -ENOKEY) {
		v->status = PROTO_LOCKED;
		snprintf(v->message, sizeof(v->message),
			 "the audit key is not loaded yet: unlock the agent first");
		return;
	}
	if (r < 0) {
		verify_fail(v, expected, "the chain's anchor (before record %llu) was edited",
			    (unsigned long long)expected);
		return;
	}
	while ((r = verify_batch(a, v, &expected, prev)) == 0)
		;
	if (r < 0) {
		v->status = PROTO_INTERNAL;
		snprintf(v->message, sizeof(v->message), "the store cannot be read");
		return;
	}
	if (v->status == PROTO_OK && !v->rep.has_broken && expected <= head.seq)
		verify_fail(v, expected, "records from %llu on were removed",
			    (unsigned long long)expected);
	if (v->status == PROTO_OK && !v->rep.has_broken) {
		memcpy(v->head, prev, sizeof(v->head));
		v->rep.head = (struct proto_bytes){v->head, sizeof(v->head)};
		snprintf(v->message, sizeof(v->message), "%llu records intact",
			 (unsigned long long)v->rep.checked);
	}
}

static void
verify_done(struct agent *a, struct sjob *sj)
{
	struct vjob *v = (struct vjob *)sj;
	struct conn *c = v->conn;
	struct buf_writer w;
	int r = 0;

	if (v->rep.has_broken)
		log_err("audit verify: %s", v->message);
	audit_note(a, &v->peer, PROTO_MSG_AUDIT_VERIFY, NULL, v->status);
	if (!c->dead && v->status == PROTO_OK) {
		v->rep.message = (struct proto_bytes){(const uint8_t *)v->message,
						      strlen(v->message)};
		r = conn_reply_begin(a, c, PROTO_REPLY_HDR + 256 + sizeof(v->message), &w);
		if (r == 0 && (r = proto_encode_audit_verify_reply(&w, v->reqid, &v->rep)) == 0)
			conn_reply_commit(c, &w);
	} else if (!c->dead) {
		r = conn_reply_status(a, c, PROTO_MSG_AUDIT_VERIFY, v->reqid, v->status, v->message);
	}
	if (r < 0)
		log_warn("connection %llu: audit verify reply dropped", (unsigned long long)c->id);
	free(v);
	conn_resume(a, c);
}

enum ops_result
ops_audit_verify(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct vjob *v;

	if (proto_decode_audit_verify(f->body) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed AUDIT_VERIFY");
	if (a->cfg.system_mode && !authz_is_admin(a, &c->peer))
		return ops_fail(a, c, f, PROTO_DENIED, "only root and admins verify the whole trail");
	if (audit_failing(a))
		return ops_fail(a, c, f, PROTO_INTERNAL,
				"the audit trail cannot be written (see the agent's log)");
	if (!audit_settle(a, &c->audit_ticket))
		return OPS_WAIT;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	v->conn = c;
	v->reqid = f->reqid;
	v->peer = c->peer;
	v->status = PROTO_OK;
	v->sj.run = verify_run;
	v->sj.done = verify_done;
	c->write_pending = true;
	worker_submit(a->worker, &v->sj);
	return OPS_PENDING;
}

/* ---- usage ---- */

static void
put_usage(struct buf_writer *w, uint32_t owner, struct proto_bytes name, const struct meta_rec *m,
	  const struct usage_rec *u)
{
	struct proto_usage_entry e = {0};

	e.owner = owner;
	e.name = name;
	e.reads = u->reads;
	e.period_reads = u->period_reads;
	e.period_start = u->period_start;
	e.has_last_read = u->last_read != 0;
	e.last_read = u->last_read;
	e.reader_uid = u->reader_uid;
	e.reader_pid = u->reader_pid;
	e.reader_comm = (struct proto_bytes){(const uint8_t *)u->reader_comm,
					     strlen(u->reader_comm)};
	e.quota = m->quota;
	e.quota_period = m->quota_period;
	proto_put_usage_entry(w, &e);
}

enum ops_result
ops_usage(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_usage_reply rep = {0};
	struct proto_usage m;
	struct buf_writer body;
	uint8_t key[STORE_META_KEY_MAX], *space;
	size_t klen, room = page_room(a), last_len = 0;
	uint8_t last[STORE_META_KEY_MAX];
	uint32_t owner, limit, n = 0;
	uint64_t now = agent_now();
	MDB_cursor *mc;
	MDB_val k, v;
	MDB_txn *t;
	bool more = false, opened;
	int rc;

	if (proto_decode_usage(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed USAGE");
	if (!proto_prefix_valid(m.prefix.ptr, m.prefix.len) || m.cursor.len > PROTO_NAME_MAX)
		return ops_fail(a, c, f, PROTO_USAGE, "invalid prefix or cursor");
	owner = m.has_owner ? m.owner : (uint32_t)c->peer.uid;
	if (owner != (uint32_t)c->peer.uid &&
	    (!a->cfg.system_mode || !authz_is_admin(a, &c->peer)))
		return ops_fail(a, c, f, a->cfg.system_mode ? PROTO_DENIED : PROTO_NOT_FOUND,
				"%s", "only the owner or an admin sees a namespace's usage");
	limit = m.limit == 0 ? PAGE_DEFAULT : m.limit > PROTO_LIST_LIMIT_MAX ? PROTO_LIST_LIMIT_MAX
									      : m.limit;
	space = malloc(room);
	if (space == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	buf_writer_init(&body, space, room);
	if (store_read_begin(a->store, &t) < 0) {
		free(space);
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	}
	if (m.cursor.len > 0)
		klen = store_meta_key(key, owner, m.cursor.ptr, m.cursor.len);
	else
		klen = store_meta_key(key, owner, m.prefix.ptr, m.prefix.len);
	rc = mdb_cursor_open(t, a->store->meta, &mc);
	opened = rc == 0;
	k.mv_data = key;
	k.mv_size = klen;
	for (rc = rc == 0 ? mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE) : rc; rc == 0;
	     rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		struct proto_bytes name = {p + 4, k.mv_size - 4};
		struct meta_rec rec;
		struct usage_ent *u;

		if (k.mv_size <= 4 || buf_load_u32(p) != owner || name.len < m.prefix.len ||
		    (m.prefix.len > 0 && memcmp(name.ptr, m.prefix.ptr, m.prefix.len) != 0))
			break;
		if (m.cursor.len > 0 && name.len == m.cursor.len &&
		    memcmp(name.ptr, m.cursor.ptr, name.len) == 0)
			continue; /* the last one of the previous page */
		if (n == limit || body.len + USAGE_GROUP_MAX > room) {
			more = true;
			break;
		}
		if (record_decode(a->keys, k.mv_data, k.mv_size,
				  (struct proto_bytes){v.mv_data, v.mv_size}, &rec) < 0 ||
		    rec.state == PROTO_STATE_DELETED ||
		    usage_get(a, t, owner, name, &u) < 0)
			continue;
		put_usage(&body, owner, name, &rec, usage_rec_at(u, rec.quota_period, now));
		memcpy(last, name.ptr, name.len);
		last_len = name.len;
		n++;
	}
	if (opened)
		mdb_cursor_close(mc);
	store_read_end(a->store);
	rep.entries = (struct proto_list_span){{space, body.len}, n};
	if (more && last_len > 0)
		rep.cursor = (struct proto_bytes){last, last_len};
	return reply_page(a, c, f, &body, space, encode_usage, &rep);
}

enum ops_result
ops_usage_reset(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	uint8_t key[STORE_META_KEY_MAX];
	struct proto_named m;
	struct proto_bytes v;
	struct usage_ent *u;
	uint32_t owner;
	uint16_t st;
	MDB_txn *t;
	enum ops_result res;

	if (proto_decode_named(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed USAGE_RESET");
	if (c->audit_ticket != 0) {
		/* Done: answered once the reset is in the store. */
		if (audit_failing(a)) {
			c->audit_ticket = 0;
			return ops_fail(a, c, f, PROTO_INTERNAL,
					"the reset cannot be written (see the agent's log)");
		}
		if (!audit_settle(a, &c->audit_ticket))
			return OPS_WAIT;
		return ops_fail(a, c, f, PROTO_OK, "%s", "");
	}
	if (!proto_name_valid(m.ref.name.ptr, m.ref.name.len))
		return ops_fail(a, c, f, PROTO_USAGE, "invalid name");
	st = ops_owner(a, &c->peer, &m.ref, &owner);
	if (st != PROTO_OK)
		return ops_fail(a, c, f, st, "not found");
	if (store_read_begin(a->store, &t) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	st = authz_is_admin(a, &c->peer) && a->cfg.system_mode
		     ? PROTO_OK
		     : authz_check(a, t, &c->peer, owner, m.ref.name, AUTHZ_OWNER);
	if (st == PROTO_OK &&
	    store_get(t, a->store->meta, key,
		      store_meta_key(key, owner, m.ref.name.ptr, m.ref.name.len), &v) < 0)
		st = PROTO_NOT_FOUND;
	if (st == PROTO_NOT_FOUND)
		res = ops_fail(a, c, f, st, "not found");
	else if (st != PROTO_OK)
		res = ops_fail(a, c, f, st, "only the owner or an admin resets usage");
	else if (usage_get(a, t, owner, m.ref.name, &u) < 0)
		res = ops_fail(a, c, f, PROTO_INTERNAL, "the usage record cannot be read");
	else {
		usage_reset(a, u);
		c->audit_ticket = audit_touch(a);
		res = OPS_WAIT; /* answered when the group commit has it */
	}
	store_read_end(a->store);
	return res;
}
