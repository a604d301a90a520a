/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_PROTO_TEST_H
#define CREDAGENT_TESTS_PROTO_TEST_H

/*
 * Helpers shared by the tests/unit/test-proto*.c programs: the golden
 * vector loader and runner, field-by-field comparisons of decoded
 * messages, and every decoder as int (*)(struct proto_bytes).
 * Include after <cmocka.h>. Tests run from the repository root.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#define DATA_DIR "tests/data/"
#define BUF_MAX (1u << 18)

/* A proto_bytes over a string literal, without its NUL. */
#define B(s) ((struct proto_bytes){(const uint8_t *)(s), sizeof(s) - 1})

/* ---- helpers ---- */

/* A body built by hand, field by field: wstart(), proto_put_*(&bw, ...),
 * then wbody(). One per test binary. */
static uint8_t bbuf[BUF_MAX];
static struct buf_writer bw;

static inline void
wstart(void)
{
	buf_writer_init(&bw, bbuf, sizeof(bbuf));
}

static inline struct proto_bytes
wbody(void)
{
	assert_int_equal(buf_writer_error(&bw), 0);
	return (struct proto_bytes){bbuf, bw.len};
}

static inline void
put_name(void)
{
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
}

static inline int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits in pairs; whitespace ignored; '#' to end of line a comment. */
static inline size_t
load_hex(const char *name, uint8_t *buf, size_t cap)
{
	char path[256];
	FILE *f;
	int c, hi = -1, v;
	size_t n = 0;

	snprintf(path, sizeof(path), DATA_DIR "%s.hex", name);
	f = fopen(path, "re");
	if (f == NULL)
		fail_msg("cannot open %s (run from the repository root)", path);
	while ((c = fgetc(f)) != EOF) {
		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		v = hexval(c);
		if (v < 0)
			fail_msg("%s: bad character 0x%02x", path, (unsigned)c);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	fclose(f);
	assert_int_equal(hi, -1);
	return n;
}

static inline void
assert_bytes(struct proto_bytes a, struct proto_bytes b)
{
	assert_int_equal(a.len, b.len);
	if (a.len > 0)
		assert_memory_equal(a.ptr, b.ptr, a.len);
}

static inline void
assert_span(const struct proto_list_span *a, const struct proto_list_span *b)
{
	assert_int_equal(a->count, b->count);
	assert_bytes(a->raw, b->raw);
}

/* Parse exactly one frame of LEN bytes and check its header. */
static inline struct proto_bytes
frame_body(const uint8_t *p, size_t len, bool reply, uint8_t type, uint32_t reqid,
	   uint16_t status)
{
	struct proto_frame f;

	assert_int_equal(proto_frame_parse(p, len, PROTO_FRAME_MAX_DEFAULT, reply, &f), (int)len);
	assert_int_equal(f.type, type);
	assert_int_equal(f.reqid, reqid);
	assert_int_equal(f.status, status);
	return f.body;
}

/* ---- comparisons ---- */

static inline void
cmp_ref(const struct proto_ref *a, const struct proto_ref *b)
{
	assert_int_equal(a->has_owner, b->has_owner);
	assert_int_equal(a->owner, b->owner);
	assert_bytes(a->name, b->name);
}

static inline void
cmp_hello_reply(const struct proto_hello_reply *a, const struct proto_hello_reply *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->features, b->features);
	assert_bytes(a->agent_version, b->agent_version);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->frame_max, b->frame_max);
	assert_bytes(a->message, b->message);
}

static inline void
cmp_status_reply(const struct proto_status_reply *a, const struct proto_status_reply *b)
{
	assert_bytes(a->agent_version, b->agent_version);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->locked, b->locked);
	assert_int_equal(a->uptime, b->uptime);
	assert_int_equal(a->secrets, b->secrets);
	assert_int_equal(a->store_bytes, b->store_bytes);
	assert_bytes(a->message, b->message);
}

static inline void
cmp_put(const struct proto_put *a, const struct proto_put *b)
{
	cmp_ref(&a->ref, &b->ref);
	assert_bytes(a->type, b->type);
	assert_int_equal(a->has_cas, b->has_cas);
	assert_int_equal(a->cas, b->cas);
	assert_int_equal(a->has_max_versions, b->has_max_versions);
	assert_int_equal(a->max_versions, b->max_versions);
	assert_int_equal(a->has_expires, b->has_expires);
	assert_int_equal(a->expires, b->expires);
	assert_span(&a->labels, &b->labels);
	assert_bytes(a->value, b->value);
}

static inline void
cmp_get(const struct proto_get *a, const struct proto_get *b)
{
	cmp_ref(&a->ref, &b->ref);
	assert_int_equal(a->has_version, b->has_version);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->flags, b->flags);
}

static inline void
cmp_get_reply(const struct proto_get_reply *a, const struct proto_get_reply *b)
{
	assert_int_equal(a->version, b->version);
	assert_bytes(a->type, b->type);
	assert_bytes(a->value, b->value);
	assert_bytes(a->message, b->message);
}

static inline void
cmp_meta(const struct proto_meta *a, const struct proto_meta *b)
{
	assert_int_equal(a->owner, b->owner);
	assert_bytes(a->name, b->name);
	assert_int_equal(a->version, b->version);
	assert_bytes(a->type, b->type);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->max_versions, b->max_versions);
	assert_int_equal(a->has_expires, b->has_expires);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->updated, b->updated);
	assert_int_equal(a->has_deleted, b->has_deleted);
	assert_int_equal(a->deleted, b->deleted);
	assert_span(&a->labels, &b->labels);
	assert_span(&a->versions, &b->versions);
	assert_span(&a->grants, &b->grants);
	assert_int_equal(a->shared, b->shared);
	assert_bytes(a->message, b->message);
}

static inline void
cmp_list(const struct proto_list *a, const struct proto_list *b)
{
	assert_int_equal(a->has_owner, b->has_owner);
	assert_int_equal(a->owner, b->owner);
	assert_span(&a->labels, &b->labels);
	assert_bytes(a->prefix, b->prefix);
	assert_bytes(a->cursor, b->cursor);
	assert_int_equal(a->limit, b->limit);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->has_expiring, b->has_expiring);
	assert_int_equal(a->expiring, b->expiring);
}

static inline void
cmp_list_reply(const struct proto_list_reply *a, const struct proto_list_reply *b)
{
	assert_span(&a->entries, &b->entries);
	assert_bytes(a->cursor, b->cursor);
	assert_bytes(a->message, b->message);
}

static inline void
cmp_rotate(const struct proto_rotate *a, const struct proto_rotate *b)
{
	cmp_ref(&a->ref, &b->ref);
	assert_int_equal(a->has_expires, b->has_expires);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->has_value, b->has_value);
	assert_bytes(a->value, b->value);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->gen_length, b->gen_length);
	assert_int_equal(a->charset, b->charset);
}

static inline void
cmp_rotate_reply(const struct proto_rotate_reply *a, const struct proto_rotate_reply *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->has_value, b->has_value);
	assert_bytes(a->value, b->value);
	assert_bytes(a->message, b->message);
}

static inline void
cmp_versioned(const struct proto_versioned *a, const struct proto_versioned *b)
{
	cmp_ref(&a->ref, &b->ref);
	assert_int_equal(a->has_version, b->has_version);
	assert_int_equal(a->version, b->version);
}

static inline void
cmp_label(const struct proto_label *a, const struct proto_label *b)
{
	cmp_ref(&a->ref, &b->ref);
	assert_span(&a->set, &b->set);
	assert_span(&a->remove, &b->remove);
}

static inline void
cmp_event(const struct proto_event_msg *a, const struct proto_event_msg *b)
{
	assert_int_equal(a->event, b->event);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->state, b->state);
}

static inline void
cmp_share(const struct proto_share *a, const struct proto_share *b)
{
	cmp_ref(&a->ref, &b->ref);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->is_gid, b->is_gid);
	assert_int_equal(a->grantee, b->grantee);
	assert_int_equal(a->perm, b->perm);
}

static inline void
cmp_grant(const struct proto_grant *a, const struct proto_grant *b)
{
	assert_bytes(a->name, b->name);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->created_by, b->created_by);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->is_gid, b->is_gid);
	assert_int_equal(a->grantee, b->grantee);
	assert_int_equal(a->perm, b->perm);
}

static inline void
cmp_keys(const struct proto_keys_req *a, const struct proto_keys_req *b)
{
	assert_int_equal(a->has_passphrase, b->has_passphrase);
	assert_bytes(a->passphrase, b->passphrase);
	assert_int_equal(a->has_new_passphrase, b->has_new_passphrase);
	assert_bytes(a->new_passphrase, b->new_passphrase);
	assert_int_equal(a->has_slot, b->has_slot);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->slot_kind, b->slot_kind);
	assert_int_equal(a->flags, b->flags);
}

static inline void
cmp_keyslot(const struct proto_keyslot *a, const struct proto_keyslot *b)
{
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->created, b->created);
}

/* ---- golden vectors: encode == file, decode(file) == example ---- */

struct golden {
	const char *name; /* tests/data/NAME.hex */
	bool reply;
	uint8_t type;
	uint32_t reqid;
	uint16_t status;
	int (*encode)(struct buf_writer *w);
	void (*check)(struct proto_bytes body);
};

#define GOLDEN_REQ(n, t, id, e, c) {n, false, t, id, 0, e, c}
#define GOLDEN_REP(n, t, id, st, e, c) {n, true, (uint8_t)((t) | PROTO_REPLY_BIT), id, st, e, c}

/* A cmocka test: the state is a const struct golden *. */
static inline void
test_golden(void **state)
{
	const struct golden *g = *state;
	static uint8_t file[BUF_MAX], enc[BUF_MAX];
	struct buf_writer w;
	size_t n, cap;

	n = load_hex(g->name, file, sizeof(file));
	/* struct -> bytes */
	buf_writer_init(&w, enc, sizeof(enc));
	assert_int_equal(g->encode(&w), 0);
	assert_int_equal(w.len, n);
	assert_memory_equal(enc, file, n);
	/* a counting writer agrees, and every smaller buffer fails */
	buf_writer_init(&w, NULL, 0);
	assert_int_equal(g->encode(&w), 0);
	assert_int_equal(w.len, n);
	for (cap = 0; cap < n; cap++) {
		buf_writer_init(&w, enc, cap);
		assert_int_equal(g->encode(&w), -ENOSPC);
	}
	/* bytes -> struct */
	g->check(frame_body(file, n, g->reply, g->type, g->reqid, g->status));
}

static inline char *
slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *p;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return p;
}

/* docs/PROTOCOL.md quotes every vector of GS verbatim. */
static inline void
check_docs_quote(const struct golden *gs, size_t n_gs)
{
	char path[256], *doc, *hex;
	size_t i, n;

	doc = slurp("docs/PROTOCOL.md", &n);
	for (i = 0; i < n_gs; i++) {
		snprintf(path, sizeof(path), DATA_DIR "%s.hex", gs[i].name);
		hex = slurp(path, &n);
		if (strstr(doc, hex) == NULL)
			fail_msg("docs/PROTOCOL.md does not quote %s", path);
		free(hex);
	}
	free(doc);
}

/* Run one test_golden per vector, then DOCS (the quote check), in a group
 * set up by SETUP. */
static inline int
run_goldens(const char *group, const struct golden *gs, size_t n_gs,
	    void (*docs)(void **state), int (*setup)(void **state))
{
	static char names[64][64];
	struct CMUnitTest tests[65];
	size_t i;

	assert_true(n_gs <= 64);
	for (i = 0; i < n_gs; i++) {
		snprintf(names[i], sizeof(names[i]), "golden %s", gs[i].name);
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_golden,
			.initial_state = (void *)(uintptr_t)&gs[i],
		};
	}
	tests[n_gs] = (struct CMUnitTest){.name = "docs quote vectors", .test_func = docs};
	return _cmocka_run_group_tests(group, tests, n_gs + 1, setup, NULL);
}

/* ---- every decoder as int (*)(struct proto_bytes) ---- */

static inline int
d_hello(struct proto_bytes b)
{
	struct proto_hello m;

	return proto_decode_hello(b, &m);
}

static inline int
d_hello_reply(struct proto_bytes b)
{
	struct proto_hello_reply m;

	return proto_decode_hello_reply(b, &m);
}

static inline int
d_status(struct proto_bytes b)
{
	return proto_decode_status(b);
}

static inline int
d_status_reply(struct proto_bytes b)
{
	struct proto_status_reply m;

	return proto_decode_status_reply(b, &m);
}

static inline int
d_put(struct proto_bytes b)
{
	struct proto_put m;

	return proto_decode_put(b, &m);
}

static inline int
d_put_reply(struct proto_bytes b)
{
	struct proto_put_reply m;

	return proto_decode_put_reply(b, &m);
}

static inline int
d_get(struct proto_bytes b)
{
	struct proto_get m;

	return proto_decode_get(b, &m);
}

static inline int
d_get_reply(struct proto_bytes b)
{
	struct proto_get_reply m;

	return proto_decode_get_reply(b, &m);
}

static inline int
d_named(struct proto_bytes b)
{
	struct proto_named m;

	return proto_decode_named(b, &m);
}

static inline int
d_info_reply(struct proto_bytes b)
{
	struct proto_meta m;

	return proto_decode_info_reply(b, &m);
}

static inline int
d_list(struct proto_bytes b)
{
	struct proto_list m;

	return proto_decode_list(b, &m);
}

static inline int
d_list_reply(struct proto_bytes b)
{
	struct proto_list_reply m;

	return proto_decode_list_reply(b, &m);
}

static inline int
d_simple(struct proto_bytes b)
{
	struct proto_simple_reply m;

	return proto_decode_simple_reply(b, &m);
}

static inline int
d_rotate(struct proto_bytes b)
{
	struct proto_rotate m;

	return proto_decode_rotate(b, &m);
}

static inline int
d_rotate_reply(struct proto_bytes b)
{
	struct proto_rotate_reply m;

	return proto_decode_rotate_reply(b, &m);
}

static inline int
d_rollback(struct proto_bytes b)
{
	struct proto_versioned m;

	return proto_decode_versioned(b, PROTO_MSG_ROLLBACK, &m);
}

static inline int
d_purge(struct proto_bytes b)
{
	struct proto_versioned m;

	return proto_decode_versioned(b, PROTO_MSG_PURGE, &m);
}

static inline int
d_label(struct proto_bytes b)
{
	struct proto_label m;

	return proto_decode_label(b, &m);
}

static inline int
d_event(struct proto_bytes b)
{
	struct proto_event_msg m;

	return proto_decode_event(b, &m);
}

static inline int
d_share(struct proto_bytes b)
{
	struct proto_share m;

	return proto_decode_share(b, PROTO_MSG_SHARE, &m);
}

static inline int
d_unshare(struct proto_bytes b)
{
	struct proto_share m;

	return proto_decode_share(b, PROTO_MSG_UNSHARE, &m);
}

static inline int
d_grant(struct proto_bytes b)
{
	struct proto_grant m;

	return proto_decode_grant(b, &m);
}

static inline int
d_meta_entry(struct proto_bytes b)
{
	struct proto_meta m;

	return proto_decode_meta_entry(b, &m);
}

/* The key management requests, one per type, and their replies. */
static inline int
d_keys(struct proto_bytes b, uint8_t type)
{
	struct proto_keys_req m;

	return proto_decode_keys(b, type, &m);
}

static inline int
d_lock(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_LOCK);
}

static inline int
d_unlock(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_UNLOCK);
}

static inline int
d_passwd(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_PASSWD);
}

static inline int
d_keyslot_list(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_KEYSLOT_LIST);
}

static inline int
d_keyslot_add(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_KEYSLOT_ADD);
}

static inline int
d_keyslot_rm(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_KEYSLOT_RM);
}

static inline int
d_backup(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_BACKUP);
}

static inline int
d_rekey(struct proto_bytes b)
{
	return d_keys(b, PROTO_MSG_REKEY);
}

static inline int
d_slot_reply(struct proto_bytes b)
{
	uint32_t slot;

	return proto_decode_slot_reply(b, &slot);
}

static inline int
d_keyslot_list_reply(struct proto_bytes b)
{
	struct proto_list_span m;

	return proto_decode_keyslot_list_reply(b, &m);
}

static inline int
d_keyslot(struct proto_bytes b)
{
	struct proto_keyslot m;

	return proto_decode_keyslot(b, &m);
}

#define REJECT(dec, ...) assert_int_equal((dec)(__VA_ARGS__), -EBADMSG)
#define ACCEPT(dec, ...) assert_int_equal((dec)(__VA_ARGS__), 0)

#endif
