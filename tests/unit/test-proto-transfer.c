/* SPDX-License-Identifier: MIT */
/*
 * proto/: the golden frames of export and import (EXPORT and its reply,
 * IMPORT of a bundle and with inline entries, a CONFLICT reply to IMPORT)
 * in both directions, as test-proto.c does for the first seven messages;
 * the plaintext of two bundle chunks (a secret, the trailer) likewise
 * with the chunk codecs; and docs/PROTOCOL.md quoting each.
 * Round trips and rejections are in test-proto-transfer-rt.c, the
 * systematic mutations of these vectors in test-proto-mutate.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

#define PASS B("correct horse battery staple")

static const struct proto_export ex_export = {
	.passphrase = PASS,
	.prefix = B("db/"),
	.flags = PROTO_EXPORT_CURRENT_ONLY,
};
static const struct proto_export_reply ex_export_reply = {.secrets = 3};
static const struct proto_import ex_import = {.has_passphrase = true, .passphrase = PASS};
static const struct proto_import_entry ex_entries[] = {
	{.name = B("app/DB_HOST"), .value = B("db.internal")},
	{
		.name = B("app/API_KEY"),
		.type = B("api_key"),
		.has_expires = true,
		.expires = 1767225600,
		.value = B("s3cr3t"),
	},
};
#define N_ENTRIES (sizeof(ex_entries) / sizeof(ex_entries[0]))
static const char *const ex_conflict_names[] = {"db/prod/password", "db/prod/user"};
#define N_CONFLICTS (sizeof(ex_conflict_names) / sizeof(ex_conflict_names[0]))

static struct proto_import ex_import_entries = {.flags = PROTO_IMPORT_DRY_RUN};
static struct proto_import_entry ex_entry_labelled;
static struct proto_import_reply ex_import_reply = {
	.added = 1,
	.skipped = 1,
	.conflicted = 2,
	.message = B("nothing imported: 2 names already exist with other values"),
};
static const struct proto_bundle_version ex_versions[] = {
	{.version = 1, .created = 1735689600, .created_by = 1000, .value = B("hunter2")},
	{.version = 2, .created = 1738368000, .created_by = 1000, .value = B("hunter3")},
};
#define N_VERSIONS (sizeof(ex_versions) / sizeof(ex_versions[0]))
static struct proto_bundle_secret ex_secret = {
	.name = B("db/prod/password"),
	.version = 2,
	.type = B("password"),
	.state = PROTO_STATE_ACTIVE,
	.max_versions = 5,
	.created = 1735689600,
	.updated = 1738368000,
	.quota = 100,
	.quota_period = PROTO_PERIOD_DAY,
};

static uint8_t entries_buf[256], label_buf[32], conflicts_buf[64], versions_buf[128],
	slabel_buf[32];

/* Spans are built as an agent or a client would: field writers into
 * scratch memory. */
static int
setup_examples(void **state)
{
	struct buf_writer w;
	size_t i;

	(void)state;
	buf_writer_init(&w, label_buf, sizeof(label_buf));
	proto_put_string(&w, PROTO_TAG_LABEL, "source=.env", 11);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_entry_labelled = ex_entries[1];
	ex_entry_labelled.labels = (struct proto_list_span){{label_buf, w.len}, 1};
	buf_writer_init(&w, entries_buf, sizeof(entries_buf));
	proto_put_import_entry(&w, &ex_entries[0]);
	proto_put_import_entry(&w, &ex_entry_labelled);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_import_entries.entries = (struct proto_list_span){{entries_buf, w.len}, N_ENTRIES};

	buf_writer_init(&w, conflicts_buf, sizeof(conflicts_buf));
	for (i = 0; i < N_CONFLICTS; i++)
		proto_put_string(&w, PROTO_TAG_CONFLICT, ex_conflict_names[i],
				 strlen(ex_conflict_names[i]));
	assert_int_equal(buf_writer_error(&w), 0);
	ex_import_reply.conflicts = (struct proto_list_span){{conflicts_buf, w.len}, N_CONFLICTS};

	buf_writer_init(&w, slabel_buf, sizeof(slabel_buf));
	proto_put_string(&w, PROTO_TAG_LABEL, "env=prod", 8);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_secret.labels = (struct proto_list_span){{slabel_buf, w.len}, 1};
	buf_writer_init(&w, versions_buf, sizeof(versions_buf));
	for (i = 0; i < N_VERSIONS; i++)
		proto_put_bundle_version(&w, &ex_versions[i]);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_secret.versions = (struct proto_list_span){{versions_buf, w.len}, N_VERSIONS};
	return 0;
}

/* ---- comparisons ---- */

static void
cmp_export(const struct proto_export *a, const struct proto_export *b)
{
	assert_bytes(a->passphrase, b->passphrase);
	assert_bytes(a->prefix, b->prefix);
	assert_int_equal(a->flags, b->flags);
}

static void
cmp_import(const struct proto_import *a, const struct proto_import *b)
{
	assert_int_equal(a->has_passphrase, b->has_passphrase);
	assert_bytes(a->passphrase, b->passphrase);
	assert_int_equal(a->flags, b->flags);
	assert_span(&a->entries, &b->entries);
}

static void
cmp_entry(const struct proto_import_entry *a, const struct proto_import_entry *b)
{
	assert_bytes(a->name, b->name);
	assert_bytes(a->type, b->type);
	assert_int_equal(a->has_expires, b->has_expires);
	assert_int_equal(a->expires, b->expires);
	assert_span(&a->labels, &b->labels);
	assert_bytes(a->value, b->value);
}

static void
cmp_bundle_version(const struct proto_bundle_version *a, const struct proto_bundle_version *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->created_by, b->created_by);
	assert_bytes(a->value, b->value);
}

static void
cmp_bundle_secret(const struct proto_bundle_secret *a, const struct proto_bundle_secret *b)
{
	assert_bytes(a->name, b->name);
	assert_int_equal(a->version, b->version);
	assert_bytes(a->type, b->type);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->max_versions, b->max_versions);
	assert_int_equal(a->has_expires, b->has_expires);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->updated, b->updated);
	assert_span(&a->labels, &b->labels);
	assert_span(&a->versions, &b->versions);
	assert_int_equal(a->quota, b->quota);
	assert_int_equal(a->quota_period, b->quota_period);
}

/* ---- encoders ---- */

static int
enc_export(struct buf_writer *w)
{
	return proto_encode_export(w, 40, &ex_export);
}

static int
enc_export_reply(struct buf_writer *w)
{
	return proto_encode_export_reply(w, 40, &ex_export_reply);
}

static int
enc_import(struct buf_writer *w)
{
	return proto_encode_import(w, 41, &ex_import);
}

/* As a client writes it: ENTRY groups between begin and end. */
static int
enc_import_entries(struct buf_writer *w)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_IMPORT, 42);

	proto_put_u32(w, PROTO_TAG_FLAGS, PROTO_IMPORT_DRY_RUN);
	proto_put_import_entry(w, &ex_entries[0]);
	proto_put_import_entry(w, &ex_entry_labelled);
	return proto_frame_end(w, start);
}

static int
enc_import_entries_whole(struct buf_writer *w)
{
	return proto_encode_import(w, 42, &ex_import_entries);
}

static int
enc_import_reply_conflict(struct buf_writer *w)
{
	return proto_encode_import_reply(w, 41, PROTO_CONFLICT, &ex_import_reply);
}

/* ---- decoders ---- */

static void
chk_export(struct proto_bytes body)
{
	struct proto_export m;

	assert_int_equal(proto_decode_export(body, &m), 0);
	cmp_export(&m, &ex_export);
	/* the passphrase borrows the frame, so the agent can wipe it there */
	assert_true(m.passphrase.ptr >= body.ptr && m.passphrase.ptr < body.ptr + body.len);
	REJECT(d_unlock, body);
	REJECT(d_list, body);
}

static void
chk_export_reply(struct proto_bytes body)
{
	struct proto_export_reply m;

	assert_int_equal(proto_decode_export_reply(body, &m), 0);
	assert_int_equal(m.secrets, ex_export_reply.secrets);
	assert_int_equal(m.message.len, 0);
	REJECT(d_simple, body);
	REJECT(d_status_reply, body);
}

static void
chk_import(struct proto_bytes body)
{
	struct proto_import m;

	assert_int_equal(proto_decode_import(body, &m), 0);
	cmp_import(&m, &ex_import);
	assert_int_equal(m.entries.count, 0);
	/* UNLOCK has the same body: the type tells them apart */
	ACCEPT(d_unlock, body);
}

static void
chk_import_entries(struct proto_bytes body)
{
	struct proto_import_entry e;
	struct proto_import m;
	struct proto_iter it;
	struct proto_bytes g;
	size_t i = 0;

	assert_int_equal(proto_decode_import(body, &m), 0);
	cmp_import(&m, &ex_import_entries);
	proto_iter_init(&it, &m.entries);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_ENTRIES);
		assert_int_equal(proto_decode_import_entry(g, &e), 0);
		cmp_entry(&e, i == 0 ? &ex_entries[0] : &ex_entry_labelled);
		i++;
	}
	assert_int_equal(i, N_ENTRIES);
	/* an ENTRY of IMPORT is no LIST entry */
	REJECT(d_list_reply, body);
}

static void
chk_import_reply_conflict(struct proto_bytes body)
{
	struct proto_import_reply m;
	struct proto_iter it;
	struct proto_bytes b;
	size_t i = 0;

	assert_int_equal(proto_decode_import_reply(body, &m), 0);
	assert_int_equal(m.added, 1);
	assert_int_equal(m.skipped, 1);
	assert_int_equal(m.conflicted, 2);
	assert_bytes(m.message, ex_import_reply.message);
	assert_span(&m.conflicts, &ex_import_reply.conflicts);
	proto_iter_init(&it, &m.conflicts);
	while (proto_iter_next(&it, &b) == 1) {
		assert_true(i < N_CONFLICTS);
		assert_int_equal(b.len, strlen(ex_conflict_names[i]));
		assert_memory_equal(b.ptr, ex_conflict_names[i], b.len);
		i++;
	}
	assert_int_equal(i, N_CONFLICTS);
	/* an error reply's body has only MESSAGE; this one has the counts */
	REJECT(d_simple, body);
	assert_string_equal(proto_status_name(PROTO_CONFLICT), "CONFLICT");
	assert_int_equal(proto_status_exit(PROTO_CONFLICT), 7);
}

#define XFER_REP(n, t, id, e, c) GOLDEN_REP(n, t, id, PROTO_OK, e, c)

static const struct golden goldens[] = {
	GOLDEN_REQ("export", PROTO_MSG_EXPORT, 40, enc_export, chk_export),
	XFER_REP("export-reply", PROTO_MSG_EXPORT, 40, enc_export_reply, chk_export_reply),
	GOLDEN_REQ("import", PROTO_MSG_IMPORT, 41, enc_import, chk_import),
	GOLDEN_REQ("import-entries", PROTO_MSG_IMPORT, 42, enc_import_entries, chk_import_entries),
	GOLDEN_REQ("import-entries", PROTO_MSG_IMPORT, 42, enc_import_entries_whole,
		   chk_import_entries),
	GOLDEN_REP("import-reply-conflict", PROTO_MSG_IMPORT, 41, PROTO_CONFLICT,
		   enc_import_reply_conflict, chk_import_reply_conflict),
};
#define N_GOLDEN (sizeof(goldens) / sizeof(goldens[0]))

/* ---- bundle chunks: plaintext, no frame ---- */

static uint8_t file[BUF_MAX], enc[BUF_MAX];

/* FILL writes the chunk; the bytes of tests/data/NAME.hex come out, by a
 * counting writer too, and every smaller buffer fails. */
static struct proto_bytes
chunk_golden(const char *name, void (*fill)(struct buf_writer *w))
{
	struct buf_writer w;
	size_t n = load_hex(name, file, sizeof(file)), cap;

	buf_writer_init(&w, enc, sizeof(enc));
	fill(&w);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, n);
	assert_memory_equal(enc, file, n);
	buf_writer_init(&w, NULL, 0);
	fill(&w);
	assert_int_equal(w.len, n);
	for (cap = 0; cap < n; cap++) {
		buf_writer_init(&w, enc, cap);
		fill(&w);
		assert_int_equal(buf_writer_error(&w), -ENOSPC);
	}
	return (struct proto_bytes){file, n};
}

static void
fill_secret(struct buf_writer *w)
{
	proto_put_bundle_secret(w, &ex_secret);
}

static void
fill_trailer(struct buf_writer *w)
{
	proto_put_bundle_trailer(w, 3);
}

static void
test_bundle_secret(void **state)
{
	struct proto_bundle_secret s;
	struct proto_bundle_version v;
	struct proto_bytes b = chunk_golden("bundle-secret", fill_secret), g;
	struct proto_iter it;
	uint64_t n;
	size_t i = 0;

	(void)state;
	assert_int_equal(proto_decode_bundle_secret(b, &s), 0);
	cmp_bundle_secret(&s, &ex_secret);
	proto_iter_init(&it, &s.versions);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_VERSIONS);
		assert_int_equal(proto_decode_bundle_version(g, &v), 0);
		cmp_bundle_version(&v, &ex_versions[i]);
		i++;
	}
	assert_int_equal(i, N_VERSIONS);
	/* a secret chunk is no trailer, and no INFO reply (values) */
	assert_int_equal(proto_decode_bundle_trailer(b, &n), -EBADMSG);
	REJECT(d_info_reply, b);
	REJECT(d_meta_entry, b);
}

static void
test_bundle_trailer(void **state)
{
	struct proto_bundle_secret s;
	struct proto_bytes b = chunk_golden("bundle-trailer", fill_trailer);
	uint64_t n = 0;

	(void)state;
	assert_int_equal(proto_decode_bundle_trailer(b, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(proto_decode_bundle_secret(b, &s), -EBADMSG);
	/* an EXPORT reply body is the same field: the context tells them apart */
	{
		struct proto_export_reply er;

		assert_int_equal(proto_decode_export_reply(b, &er), 0);
		assert_int_equal(er.secrets, 3);
	}
}

static const struct golden chunk_docs[] = {
	{.name = "bundle-secret"},
	{.name = "bundle-trailer"},
};

static void
test_docs_quote_vectors(void **state)
{
	(void)state;
	check_docs_quote(goldens, N_GOLDEN);
	check_docs_quote(chunk_docs, sizeof(chunk_docs) / sizeof(chunk_docs[0]));
}

int
main(void)
{
	const struct CMUnitTest chunk_tests[] = {
		cmocka_unit_test(test_bundle_secret),
		cmocka_unit_test(test_bundle_trailer),
	};
	int r;

	r = run_goldens("test-proto-transfer", goldens, N_GOLDEN, test_docs_quote_vectors,
			setup_examples);
	r |= cmocka_run_group_tests_name("bundle chunks", chunk_tests, setup_examples, NULL);
	return r;
}
