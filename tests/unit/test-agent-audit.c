/* SPDX-License-Identifier: MIT */
/* Audit records and their chain (agent/audit-rec.h) on a real store in a
 * temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "agent/audit-rec.h"
#include "agent/store.h"
#include "common/buf.h"
#include "common/smem.h"

struct fixture {
	char dir[64];
	struct store *store;
	uint8_t key[crypto_generichash_KEYBYTES];
	uint8_t key2[crypto_generichash_KEYBYTES];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(smem_init(), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/credagent-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_int_equal(store_open(fx->dir, 1u << 24, &fx->store), 0);
	randombytes_buf(fx->key, sizeof(fx->key));
	randombytes_buf(fx->key2, sizeof(fx->key2));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	store_close(fx->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static struct peer
test_peer(uint32_t uid, const char *comm)
{
	struct peer p;

	memset(&p, 0, sizeof(p));
	p.uid = (uid_t)uid;
	p.gid = 100;
	p.pid = 4242;
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	return p;
}

static struct audit_target
test_target(uint32_t owner, const char *name, uint32_t version)
{
	struct audit_target t;

	memset(&t, 0, sizeof(t));
	t.present = true;
	t.owner = owner;
	t.name_len = (uint8_t)strlen(name);
	memcpy(t.name, name, t.name_len);
	t.version = version;
	return t;
}

/* ---- audit_entry_init ---- */

static bool
security_of(uint32_t uid, uint8_t op, const struct audit_target *t, uint16_t status)
{
	struct peer p = test_peer(uid, "cred");
	struct audit_entry e;

	audit_entry_init(&e, &p, op, t, status);
	return e.security;
}

static void
test_entry_init_fields(void **state)
{
	struct peer p = test_peer(1000, "python3");
	struct audit_target t = test_target(1000, "db/pass", 3);
	struct audit_entry e;

	(void)state;
	memset(&e, 0xAA, sizeof(e));
	audit_entry_init(&e, &p, PROTO_MSG_GET, &t, PROTO_OK);
	assert_int_equal(e.uid, 1000);
	assert_int_equal(e.gid, 100);
	assert_int_equal(e.pid, 4242);
	assert_string_equal(e.comm, "python3");
	assert_int_equal(e.count, 1);
	assert_int_equal(e.time, 0);
	assert_int_equal(e.status, PROTO_OK);
	assert_int_equal(e.op, PROTO_MSG_GET);
	assert_false(e.security);
	assert_true(e.target.present);
	assert_int_equal(e.target.owner, 1000);
	assert_int_equal(e.target.name_len, 7);
	assert_memory_equal(e.target.name, "db/pass", 7);
	assert_int_equal(e.target.version, 3);

	/* No target: none recorded (and not garbage). */
	memset(&e, 0xAA, sizeof(e));
	audit_entry_init(&e, &p, PROTO_MSG_LIST, NULL, PROTO_OK);
	assert_false(e.target.present);
	assert_int_equal(e.target.name_len, 0);
	assert_int_equal(e.target.owner, 0);

	/* A comm that fills the peer's array is cut to stay a C string. */
	memset(p.comm, 'x', sizeof(p.comm));
	audit_entry_init(&e, &p, PROTO_MSG_GET, NULL, PROTO_OK);
	assert_int_equal(e.comm[PEER_COMM_MAX - 1], '\0');
	assert_int_equal(strlen(e.comm), PEER_COMM_MAX - 1);
}

static void
test_entry_init_security(void **state)
{
	struct audit_target own = test_target(1000, "a/b", 0);
	struct audit_target other = test_target(2000, "a/b", 0);

	(void)state;
	/* Ordinary outcomes on one's own secrets. */
	assert_false(security_of(1000, PROTO_MSG_GET, &own, PROTO_OK));
	assert_false(security_of(1000, PROTO_MSG_GET, NULL, PROTO_OK));
	assert_false(security_of(1000, PROTO_MSG_GET, &own, PROTO_NOT_FOUND));
	assert_false(security_of(1000, PROTO_MSG_GET, NULL, PROTO_NOT_FOUND));
	assert_false(security_of(1000, PROTO_MSG_PUT, &own, PROTO_CONFLICT));
	assert_false(security_of(1000, PROTO_MSG_GET, &other, PROTO_OK));
	/* Denials and floods, whoever the target's owner. */
	assert_true(security_of(1000, PROTO_MSG_GET, &own, PROTO_DENIED));
	assert_true(security_of(1000, PROTO_MSG_GET, NULL, PROTO_DENIED));
	assert_true(security_of(1000, PROTO_MSG_GET, &own, PROTO_RATE_LIMITED));
	assert_true(security_of(1000, PROTO_MSG_LIST, NULL, PROTO_RATE_LIMITED));
	/* A refused connection and a suppressed summary, even with status OK. */
	assert_true(security_of(1000, AUDIT_OP_CONNECT, NULL, PROTO_OK));
	assert_true(security_of(1000, AUDIT_OP_CONNECT, NULL, PROTO_DENIED));
	assert_true(security_of(1000, AUDIT_OP_SUPPRESSED, NULL, PROTO_OK));
	/* A probe of another owner's names. */
	assert_true(security_of(1000, PROTO_MSG_GET, &other, PROTO_NOT_FOUND));
	assert_true(security_of(1000, PROTO_MSG_INFO, &other, PROTO_NOT_FOUND));
	assert_false(security_of(2000, PROTO_MSG_GET, &other, PROTO_NOT_FOUND));
}

/* ---- audit_link ---- */

static void
test_link(void **state)
{
	struct fixture *fx = *state;
	uint8_t prev[AUDIT_LINK_SIZE], body[100], a[AUDIT_LINK_SIZE], b[AUDIT_LINK_SIZE];
	uint8_t c[AUDIT_LINK_SIZE], expect[AUDIT_LINK_SIZE], cat[AUDIT_LINK_SIZE + sizeof(body)];

	randombytes_buf(prev, sizeof(prev));
	randombytes_buf(body, sizeof(body));
	memcpy(cat, prev, AUDIT_LINK_SIZE);
	memcpy(cat + AUDIT_LINK_SIZE, body, sizeof(body));

	/* Unkeyed: BLAKE2b-256 of prev || body. */
	audit_link(prev, NULL, body, sizeof(body), a);
	crypto_generichash(expect, sizeof(expect), cat, sizeof(cat), NULL, 0);
	assert_memory_equal(a, expect, AUDIT_LINK_SIZE);
	/* Keyed: the same under the audit key, and different from unkeyed. */
	audit_link(prev, fx->key, body, sizeof(body), b);
	crypto_generichash(expect, sizeof(expect), cat, sizeof(cat), fx->key, sizeof(fx->key));
	assert_memory_equal(b, expect, AUDIT_LINK_SIZE);
	assert_memory_not_equal(a, b, AUDIT_LINK_SIZE);
	/* Deterministic. */
	audit_link(prev, fx->key, body, sizeof(body), c);
	assert_memory_equal(b, c, AUDIT_LINK_SIZE);
	audit_link(prev, NULL, body, sizeof(body), c);
	assert_memory_equal(a, c, AUDIT_LINK_SIZE);
	/* Another key, another previous link, another body: another link. */
	audit_link(prev, fx->key2, body, sizeof(body), c);
	assert_memory_not_equal(b, c, AUDIT_LINK_SIZE);
	prev[0] ^= 1;
	audit_link(prev, fx->key, body, sizeof(body), c);
	assert_memory_not_equal(b, c, AUDIT_LINK_SIZE);
	prev[0] ^= 1;
	body[sizeof(body) - 1] ^= 1;
	audit_link(prev, fx->key, body, sizeof(body), c);
	assert_memory_not_equal(b, c, AUDIT_LINK_SIZE);
	audit_link(prev, fx->key, body, sizeof(body) - 1, c);
	assert_memory_not_equal(b, c, AUDIT_LINK_SIZE);
}

/* ---- append, decode, chain ---- */

static const uint8_t *
key_at(const struct fixture *fx, uint32_t i, uint32_t n_unkeyed)
{
	return i < n_unkeyed ? NULL : fx->key;
}

static struct audit_entry
entry_n(uint32_t i)
{
	static const char *names[] = {"db/pass", "api/token", "x"};
	static const uint16_t statuses[] = {PROTO_OK, PROTO_DENIED, PROTO_NOT_FOUND, PROTO_OK};
	struct peer p = test_peer(1000 + i % 2, i % 3 == 0 ? "cred" : "python3");
	struct audit_target t = test_target(1000 + i % 3, names[i % 3], i);
	struct audit_entry e;

	audit_entry_init(&e, &p, (uint8_t)(PROTO_MSG_PUT + i % 4), i % 4 == 3 ? NULL : &t,
	                 statuses[i % 4]);
	e.time = 1700000000u + i;
	e.count = 1 + i;
	return e;
}

/* Append N entries, the first N_UNKEYED without a key, in one transaction. */
static void
append_n(struct fixture *fx, uint32_t n, uint32_t n_unkeyed, struct audit_chain *ret)
{
	struct audit_chain ch;
	MDB_txn *t;

	assert_int_equal(store_txn_begin(fx->store, NULL, &t), 0);
	assert_int_equal(audit_chain_load(fx->store, t, &ch), 0);
	for (uint32_t i = 0; i < n; i++) {
		struct audit_entry e = entry_n((uint32_t)ch.seq);
		uint64_t before = ch.seq;

		assert_int_equal(audit_append(fx->store, t, &ch, key_at(fx, i, n_unkeyed), &e), 0);
		assert_int_equal(ch.seq, before + 1);
	}
	assert_int_equal(store_txn_commit(t), 0);
	if (ret != NULL)
		*ret = ch;
}

static void
get_record(struct fixture *fx, MDB_txn *t, uint64_t seq, struct proto_bytes *ret)
{
	uint8_t k[8];

	buf_store_u64(k, seq);
	assert_int_equal(store_get(t, fx->store->audit, k, sizeof(k), ret), 0);
}

static void
assert_entry_equal(const struct audit_entry *x, const struct audit_entry *y)
{
	assert_int_equal(x->time, y->time);
	assert_int_equal(x->uid, y->uid);
	assert_int_equal(x->gid, y->gid);
	assert_int_equal(x->pid, y->pid);
	assert_int_equal(x->count, y->count);
	assert_int_equal(x->status, y->status);
	assert_int_equal(x->op, y->op);
	assert_int_equal(x->security, y->security);
	assert_string_equal(x->comm, y->comm);
	assert_int_equal(x->target.present, y->target.present);
	assert_int_equal(x->target.owner, y->target.owner);
	assert_int_equal(x->target.name_len, y->target.name_len);
	assert_memory_equal(x->target.name, y->target.name, x->target.name_len);
	assert_int_equal(x->target.version, y->target.version);
}

/*
 * Walk the stored chain from FIRST with PREV as the link before it, as
 * `cred audit verify` does: the first seq whose link fails, or 0.
 */
static uint64_t
first_broken(struct fixture *fx, uint64_t first, const uint8_t *prev_in, uint64_t last)
{
	uint8_t prev[AUDIT_LINK_SIZE], link[AUDIT_LINK_SIZE];
	uint64_t bad = 0;
	MDB_txn *t;

	memcpy(prev, prev_in, AUDIT_LINK_SIZE);
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	for (uint64_t seq = first; seq <= last && bad == 0; seq++) {
		struct audit_stored s;
		struct proto_bytes v;

		get_record(fx, t, seq, &v);
		if (audit_decode(v.ptr, v.len, &s) < 0 || s.seq != seq) {
			bad = seq;
			break;
		}
		audit_link(prev, (s.flags & AUDIT_F_KEYED) ? fx->key : NULL, s.body, s.body_len,
		           link);
		if (sodium_memcmp(link, s.link, AUDIT_LINK_SIZE) != 0)
			bad = seq;
		memcpy(prev, s.link, AUDIT_LINK_SIZE);
	}
	store_read_end(fx->store);
	return bad;
}

static void
test_append_decode_roundtrip(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t zero[AUDIT_LINK_SIZE];
	uint8_t prev[AUDIT_LINK_SIZE], link[AUDIT_LINK_SIZE];
	struct audit_chain ch, loaded;
	MDB_txn *t;

	/* An empty trail: the chain starts at 0 with a zero link. */
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	memset(&loaded, 0xAA, sizeof(loaded));
	assert_int_equal(audit_chain_load(fx->store, t, &loaded), 0);
	store_read_end(fx->store);
	assert_int_equal(loaded.seq, 0);
	assert_memory_equal(loaded.link, zero, AUDIT_LINK_SIZE);

	/* Two hash-chained records (before the first unlock), then keyed. */
	append_n(fx, 6, 2, &ch);
	assert_int_equal(ch.seq, 6);

	memset(prev, 0, sizeof(prev));
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	for (uint64_t seq = 1; seq <= 6; seq++) {
		struct audit_entry want = entry_n((uint32_t)(seq - 1));
		struct audit_stored s;
		struct proto_bytes v;

		get_record(fx, t, seq, &v);
		assert_true(v.len <= AUDIT_REC_MAX);
		assert_int_equal(audit_decode(v.ptr, v.len, &s), 0);
		assert_int_equal(s.seq, seq);
		assert_int_equal(!!(s.flags & AUDIT_F_KEYED), seq > 2);
		assert_int_equal(!!(s.flags & AUDIT_F_SECURITY), want.security);
		assert_entry_equal(&s.e, &want);
		/* The value is the linked body followed by its link. */
		assert_ptr_equal(s.body, v.ptr);
		assert_int_equal(s.body_len + AUDIT_LINK_SIZE, v.len);
		assert_ptr_equal(s.link, v.ptr + s.body_len);
		assert_int_equal(s.body[0], AUDIT_FORMAT);
		/* link(n) = audit_link(link(n-1), key, body(n)). */
		audit_link(prev, seq > 2 ? fx->key : NULL, s.body, s.body_len, link);
		assert_memory_equal(link, s.link, AUDIT_LINK_SIZE);
		memcpy(prev, s.link, AUDIT_LINK_SIZE);
	}
	/* The chain's end is the last record's. */
	assert_int_equal(audit_chain_load(fx->store, t, &loaded), 0);
	store_read_end(fx->store);
	assert_int_equal(loaded.seq, 6);
	assert_memory_equal(loaded.link, prev, AUDIT_LINK_SIZE);
	assert_memory_equal(ch.link, prev, AUDIT_LINK_SIZE);

	/* A second transaction continues from what was stored. */
	append_n(fx, 3, 0, &ch);
	assert_int_equal(ch.seq, 9);
	assert_int_equal(first_broken(fx, 1, zero, 9), 0);
}

static void
test_append_largest_record(void **state)
{
	struct fixture *fx = *state;
	struct peer p = test_peer(1000, "123456789012345");
	struct audit_target t;
	struct audit_entry e;
	struct audit_chain ch = {0};
	struct audit_stored s;
	struct proto_bytes v;
	MDB_txn *txn;

	memset(&t, 0, sizeof(t));
	t.present = true;
	t.owner = 0xfffffffeu;
	t.name_len = PROTO_NAME_MAX;
	memset(t.name, 'n', PROTO_NAME_MAX);
	t.version = 0xffffffffu;
	audit_entry_init(&e, &p, AUDIT_OP_SUPPRESSED, &t, PROTO_RATE_LIMITED);
	e.time = UINT64_MAX;
	e.count = UINT32_MAX;
	assert_int_equal(store_txn_begin(fx->store, NULL, &txn), 0);
	assert_int_equal(audit_append(fx->store, txn, &ch, fx->key, &e), 0);
	get_record(fx, txn, 1, &v);
	assert_true(v.len <= AUDIT_REC_MAX);
	assert_int_equal(audit_decode(v.ptr, v.len, &s), 0);
	assert_entry_equal(&s.e, &e);
	assert_int_equal(s.flags, AUDIT_F_KEYED | AUDIT_F_SECURITY);
	store_txn_abort(txn);
}

/* An edited hash-chained record, its unkeyed links recomputed, is caught by
 * the first keyed record after it. */
static void
test_keyed_record_covers_unkeyed(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t zero[AUDIT_LINK_SIZE];
	uint8_t prev[AUDIT_LINK_SIZE] = {0}, val[AUDIT_REC_MAX];
	struct proto_bytes v;
	MDB_txn *t;

	append_n(fx, 5, 3, NULL);
	assert_int_equal(first_broken(fx, 1, zero, 5), 0);
	/* Rewrite records 1..3 (unkeyed) consistently: a new uid in record 1. */
	assert_int_equal(store_txn_begin(fx->store, NULL, &t), 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		struct audit_stored s;
		uint8_t k[8];
		size_t blen;

		get_record(fx, t, seq, &v);
		assert_int_equal(audit_decode(v.ptr, v.len, &s), 0);
		blen = s.body_len;
		memcpy(val, v.ptr, blen);
		if (seq == 1)
			val[1 + 1 + 8 + 8 + 3] ^= 1; /* the uid's low byte */
		audit_link(prev, NULL, val, blen, val + blen);
		memcpy(prev, val + blen, AUDIT_LINK_SIZE);
		buf_store_u64(k, seq);
		assert_int_equal(store_put(t, fx->store->audit, k, 8, val, blen + AUDIT_LINK_SIZE),
		                 0);
	}
	assert_int_equal(store_txn_commit(t), 0);
	/* Records 1..3 check out on their own; record 4, keyed, does not. */
	assert_int_equal(first_broken(fx, 1, zero, 3), 0);
	assert_int_equal(first_broken(fx, 1, zero, 5), 4);
}

/* ---- decode rejects ---- */

struct raw_rec {
	uint8_t format, flags, comm_len, has_target, name_len;
	uint64_t seq;
	const char *comm;
	const char *name;
	size_t extra; /* bytes after the target, before the link */
};

/* A hand-encoded value (with an all-zero link): its length. */
static size_t
encode_raw(const struct raw_rec *r, uint8_t *out, size_t cap)
{
	struct buf_writer w;
	uint8_t zero[64] = {0};

	buf_writer_init(&w, out, cap);
	buf_put_u8(&w, r->format);
	buf_put_u8(&w, r->flags);
	buf_put_u64(&w, r->seq);
	buf_put_u64(&w, 1700000000u);
	buf_put_u32(&w, 1000);
	buf_put_u32(&w, 100);
	buf_put_u32(&w, 4242);
	buf_put_u32(&w, 1);
	buf_put_u16(&w, PROTO_OK);
	buf_put_u8(&w, PROTO_MSG_GET);
	buf_put_u8(&w, r->comm_len);
	buf_put_bytes(&w, r->comm, r->comm_len);
	buf_put_u8(&w, r->has_target);
	if (r->has_target != 0) {
		buf_put_u32(&w, 1000);
		buf_put_u8(&w, r->name_len);
		buf_put_bytes(&w, r->name, r->name_len);
		buf_put_u32(&w, 7);
	}
	buf_put_bytes(&w, zero, r->extra);
	buf_put_bytes(&w, zero, AUDIT_LINK_SIZE);
	assert_int_equal(buf_writer_error(&w), 0);
	return w.len;
}

static const struct raw_rec good_raw = {
        .format = AUDIT_FORMAT,
        .flags = AUDIT_F_KEYED,
        .comm_len = 4,
        .has_target = 1,
        .name_len = 7,
        .seq = 9,
        .comm = "cred",
        .name = "db/pass",
};

static void
test_decode_hand_encoded(void **state)
{
	uint8_t val[AUDIT_REC_MAX + 64];
	struct raw_rec r = good_raw;
	struct audit_stored s;
	size_t n;

	(void)state;
	n = encode_raw(&r, val, sizeof(val));
	assert_int_equal(audit_decode(val, n, &s), 0);
	assert_int_equal(s.seq, 9);
	assert_int_equal(s.flags, AUDIT_F_KEYED);
	assert_string_equal(s.e.comm, "cred");
	assert_true(s.e.target.present);
	assert_memory_equal(s.e.target.name, "db/pass", 7);
	assert_int_equal(s.e.target.version, 7);
	/* The longest comm that fits: 15 bytes. */
	r.comm_len = PEER_COMM_MAX - 1;
	r.comm = "123456789012345";
	n = encode_raw(&r, val, sizeof(val));
	assert_int_equal(audit_decode(val, n, &s), 0);
	assert_string_equal(s.e.comm, "123456789012345");
	/* No target. */
	r = good_raw;
	r.has_target = 0;
	n = encode_raw(&r, val, sizeof(val));
	assert_int_equal(audit_decode(val, n, &s), 0);
	assert_false(s.e.target.present);
}

static void
test_decode_rejects(void **state)
{
	static const char comm16[] = "1234567890123456";
	uint8_t val[AUDIT_REC_MAX + 64];
	struct raw_rec r;
	struct audit_stored s;
	size_t n;

	(void)state;
	/* Every truncation of a good record, link included. */
	r = good_raw;
	n = encode_raw(&r, val, sizeof(val));
	for (size_t len = 0; len < n; len++)
		assert_int_equal(audit_decode(val, len, &s), -EBADMSG);
	assert_int_equal(audit_decode(val, n, &s), 0);
	r.has_target = 0;
	n = encode_raw(&r, val, sizeof(val));
	for (size_t len = 0; len < n; len++)
		assert_int_equal(audit_decode(val, len, &s), -EBADMSG);

	/* A format byte other than 1. */
	for (unsigned fmt = 0; fmt < 256; fmt++) {
		if (fmt == AUDIT_FORMAT)
			continue;
		r = good_raw;
		r.format = (uint8_t)fmt;
		n = encode_raw(&r, val, sizeof(val));
		assert_int_equal(audit_decode(val, n, &s), -EBADMSG);
	}
	/* A comm of 16 bytes or more, consistently encoded. */
	r = good_raw;
	r.comm = comm16;
	r.comm_len = PEER_COMM_MAX;
	n = encode_raw(&r, val, sizeof(val));
	assert_int_equal(audit_decode(val, n, &s), -EBADMSG);
	/* A has-target byte other than 0 or 1. */
	r = good_raw;
	r.has_target = 2;
	n = encode_raw(&r, val, sizeof(val));
	assert_int_equal(audit_decode(val, n, &s), -EBADMSG);
	/* Trailing bytes between the record and its link. */
	for (size_t extra = 1; extra <= 8; extra++) {
		r = good_raw;
		r.extra = extra;
		n = encode_raw(&r, val, sizeof(val));
		assert_int_equal(audit_decode(val, n, &s), -EBADMSG);
		r.has_target = 0;
		n = encode_raw(&r, val, sizeof(val));
		assert_int_equal(audit_decode(val, n, &s), -EBADMSG);
	}
	/* A name length past the record's end. */
	r = good_raw;
	n = encode_raw(&r, val, sizeof(val));
	val[1 + 1 + 8 + 8 + 4 * 4 + 2 + 1 + 1 + 4 + 1 + 4] = 200;
	assert_int_equal(audit_decode(val, n, &s), -EBADMSG);
}

/* ---- chain ends and the anchor ---- */

static void
test_anchor(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t zero[AUDIT_LINK_SIZE];
	uint8_t link[AUDIT_LINK_SIZE], got[AUDIT_LINK_SIZE], val[256];
	struct proto_bytes v;
	uint64_t first;
	size_t vlen;
	MDB_txn *t;

	/* No anchor: the chain starts at 1 after a zero link, key or not. */
	assert_int_equal(store_txn_begin(fx->store, NULL, &t), 0);
	first = 99;
	memset(got, 0xAA, sizeof(got));
	assert_int_equal(audit_anchor_load(fx->store, t, fx->key, &first, got), 0);
	assert_int_equal(first, 1);
	assert_memory_equal(got, zero, AUDIT_LINK_SIZE);
	first = 99;
	memset(got, 0xAA, sizeof(got));
	assert_int_equal(audit_anchor_load(fx->store, t, NULL, &first, got), 0);
	assert_int_equal(first, 1);
	assert_memory_equal(got, zero, AUDIT_LINK_SIZE);

	/* Saved and loaded under the key. */
	randombytes_buf(link, sizeof(link));
	assert_int_equal(audit_anchor_save(fx->store, t, fx->key, 1234, link), 0);
	assert_int_equal(store_txn_commit(t), 0);
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	assert_int_equal(audit_anchor_load(fx->store, t, fx->key, &first, got), 0);
	assert_int_equal(first, 1234);
	assert_memory_equal(got, link, AUDIT_LINK_SIZE);
	/* Without the key, or under another, it cannot be trusted. */
	first = 99;
	assert_int_equal(audit_anchor_load(fx->store, t, NULL, &first, got), -ENOKEY);
	assert_int_equal(audit_anchor_load(fx->store, t, fx->key2, &first, got), -EBADMSG);
	assert_int_equal(store_get(t, fx->store->sys, "audit-anchor", 12, &v), 0);
	assert_int_equal(v.len, 8 + 2 * AUDIT_LINK_SIZE);
	assert_int_equal(buf_load_u64(v.ptr), 1234);
	vlen = v.len;
	memcpy(val, v.ptr, vlen);
	store_read_end(fx->store);

	/* Every flipped byte (seq, link or MAC) is refused; so is another length. */
	for (size_t b = 0; b <= vlen; b++) {
		size_t len = b < vlen ? vlen : vlen - 1;

		if (b < vlen)
			val[b] ^= 0x01;
		assert_int_equal(store_txn_begin(fx->store, NULL, &t), 0);
		assert_int_equal(store_put(t, fx->store->sys, "audit-anchor", 12, val, len), 0);
		assert_int_equal(audit_anchor_load(fx->store, t, fx->key, &first, got), -EBADMSG);
		store_txn_abort(t);
		if (b < vlen)
			val[b] ^= 0x01;
	}
	/* Unchanged, it still loads. */
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	assert_int_equal(audit_anchor_load(fx->store, t, fx->key, &first, got), 0);
	assert_int_equal(first, 1234);
	store_read_end(fx->store);
}

/* Drop records 1..DROP as retention does: the anchor names DROP + 1 and
 * the link of record DROP. */
static void
drop_first(struct fixture *fx, uint64_t drop)
{
	uint8_t link[AUDIT_LINK_SIZE];
	struct proto_bytes v;
	MDB_txn *t;

	assert_int_equal(store_txn_begin(fx->store, NULL, &t), 0);
	get_record(fx, t, drop, &v);
	memcpy(link, v.ptr + v.len - AUDIT_LINK_SIZE, AUDIT_LINK_SIZE);
	for (uint64_t seq = 1; seq <= drop; seq++) {
		uint8_t k[8];

		buf_store_u64(k, seq);
		assert_int_equal(store_del(t, fx->store->audit, k, sizeof(k)), 0);
	}
	assert_int_equal(audit_anchor_save(fx->store, t, fx->key, drop + 1, link), 0);
	assert_int_equal(store_txn_commit(t), 0);
}

static void
test_chain_load_after_drop(void **state)
{
	struct fixture *fx = *state;
	uint8_t link[AUDIT_LINK_SIZE], prev[AUDIT_LINK_SIZE];
	struct audit_chain ch, loaded;
	uint64_t first;
	MDB_txn *t;

	append_n(fx, 5, 0, &ch);
	drop_first(fx, 3);
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	/* Records remain: the end is the last record, not the anchor. */
	assert_int_equal(audit_chain_load(fx->store, t, &loaded), 0);
	assert_int_equal(loaded.seq, 5);
	assert_memory_equal(loaded.link, ch.link, AUDIT_LINK_SIZE);
	/* The kept chain verifies from the anchor. */
	assert_int_equal(audit_anchor_load(fx->store, t, fx->key, &first, link), 0);
	store_read_end(fx->store);
	assert_int_equal(first, 4);
	assert_int_equal(first_broken(fx, first, link, 5), 0);
	/* Not from a zero link. */
	memset(prev, 0, sizeof(prev));
	assert_int_equal(first_broken(fx, first, prev, 5), 4);
}

static void
test_chain_load_from_anchor(void **state)
{
	struct fixture *fx = *state;
	uint8_t link4[AUDIT_LINK_SIZE], want[AUDIT_LINK_SIZE], got[AUDIT_LINK_SIZE];
	struct audit_chain ch, loaded;
	struct audit_stored s;
	struct proto_bytes v;
	uint64_t first;
	MDB_txn *t;

	append_n(fx, 4, 1, &ch);
	memcpy(link4, ch.link, sizeof(link4));
	/* Every record dropped: only the anchor says where the chain is. */
	drop_first(fx, 4);
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	assert_int_equal(audit_chain_load(fx->store, t, &loaded), 0);
	store_read_end(fx->store);
	assert_int_equal(loaded.seq, 4);
	assert_memory_equal(loaded.link, link4, AUDIT_LINK_SIZE);

	/* The next record is 5, linked to record 4's link. */
	append_n(fx, 1, 0, &ch);
	assert_int_equal(ch.seq, 5);
	assert_int_equal(store_read_begin(fx->store, &t), 0);
	get_record(fx, t, 5, &v);
	assert_int_equal(audit_decode(v.ptr, v.len, &s), 0);
	assert_int_equal(s.seq, 5);
	audit_link(link4, fx->key, s.body, s.body_len, want);
	assert_memory_equal(s.link, want, AUDIT_LINK_SIZE);
	assert_int_equal(audit_anchor_load(fx->store, t, fx->key, &first, got), 0);
	store_read_end(fx->store);
	assert_int_equal(first, 5);
	assert_int_equal(first_broken(fx, first, got, 5), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_entry_init_fields),
	        cmocka_unit_test(test_entry_init_security),
	        cmocka_unit_test_setup_teardown(test_link, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_append_decode_roundtrip, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_append_largest_record, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_keyed_record_covers_unkeyed, setup, teardown),
	        cmocka_unit_test(test_decode_hand_encoded),
	        cmocka_unit_test(test_decode_rejects),
	        cmocka_unit_test_setup_teardown(test_anchor, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_load_after_drop, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_load_from_anchor, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
