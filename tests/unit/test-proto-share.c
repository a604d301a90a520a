/* SPDX-License-Identifier: MIT */
/*
 * proto/: the golden frames of access control (SHARE, UNSHARE, the INFO
 * reply's GRANT groups, LIST's SHARED entries) in both directions, as
 * test-proto.c does for the first seven messages, and docs/PROTOCOL.md
 * quoting each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

#define PASSWORD B("db/prod/password")

static const struct proto_share ex_share = {
	.ref = {.name = PASSWORD},
	.grantee = 1001,
	.perm = PROTO_PERM_READ,
};
static const struct proto_share ex_share_prefix = {
	.ref = {.name = B("db/prod")},
	.flags = PROTO_SHARE_PREFIX,
	.is_gid = true,
	.grantee = 1500,
	.perm = PROTO_PERM_WRITE,
};
static const struct proto_share ex_unshare = {
	.ref = {.name = PASSWORD},
	.grantee = 1001,
};
static const struct proto_grant ex_grants[] = {
	{
		.name = PASSWORD,
		.created = 1738368000,
		.created_by = 1000,
		.grantee = 1001,
		.perm = PROTO_PERM_READ,
	},
	{
		.name = B("db/prod"),
		.created = 1740787200,
		.created_by = 1000,
		.flags = PROTO_SHARE_PREFIX,
		.is_gid = true,
		.grantee = 1500,
		.perm = PROTO_PERM_WRITE,
	},
};
#define N_GRANTS (sizeof(ex_grants) / sizeof(ex_grants[0]))

/* The secret as its owner and as a grantee see it: the INFO reply has
 * VERSIONS and GRANT, the LIST entry SHARED. */
static struct proto_meta ex_meta_grants = {
	.owner = 1000,
	.name = PASSWORD,
	.version = 1,
	.type = B("password"),
	.state = PROTO_STATE_ACTIVE,
	.max_versions = 5,
	.created = 1735689600,
	.updated = 1735689600,
};
static struct proto_meta ex_entry_shared;
static struct proto_list_reply ex_list_reply_shared;

static uint8_t versions_buf[64], grants_buf[256], entries_buf[256];

/* Spans are built as an agent would: field writers into scratch memory. */
static int
setup_examples(void **state)
{
	struct buf_writer w;
	size_t off, i;

	(void)state;
	buf_writer_init(&w, versions_buf, sizeof(versions_buf));
	off = proto_group_begin(&w, PROTO_TAG_VERSIONS);
	proto_put_u32(&w, PROTO_TAG_VERSION, 1);
	proto_put_u64(&w, PROTO_TAG_CREATED, 1735689600);
	proto_put_u32(&w, PROTO_TAG_CREATED_BY, 1000);
	proto_group_end(&w, off);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_meta_grants.versions = (struct proto_list_span){{versions_buf, w.len}, 1};

	buf_writer_init(&w, grants_buf, sizeof(grants_buf));
	for (i = 0; i < N_GRANTS; i++)
		proto_put_grant(&w, &ex_grants[i]);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_meta_grants.grants = (struct proto_list_span){{grants_buf, w.len}, N_GRANTS};

	ex_entry_shared = ex_meta_grants;
	ex_entry_shared.versions = (struct proto_list_span){0};
	ex_entry_shared.grants = (struct proto_list_span){0};
	ex_entry_shared.shared = 1;
	buf_writer_init(&w, entries_buf, sizeof(entries_buf));
	proto_put_meta_entry(&w, &ex_entry_shared);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_list_reply_shared.entries = (struct proto_list_span){{entries_buf, w.len}, 1};
	return 0;
}

/* ---- encoders ---- */

static int
enc_share(struct buf_writer *w)
{
	return proto_encode_share(w, PROTO_MSG_SHARE, 22, &ex_share);
}

static int
enc_share_prefix(struct buf_writer *w)
{
	return proto_encode_share(w, PROTO_MSG_SHARE, 23, &ex_share_prefix);
}

static int
enc_unshare(struct buf_writer *w)
{
	return proto_encode_share(w, PROTO_MSG_UNSHARE, 24, &ex_unshare);
}

static int
enc_info_reply_grants(struct buf_writer *w)
{
	return proto_encode_info_reply(w, 25, &ex_meta_grants);
}

/* As an agent streams it: entries written between begin and end. */
static int
enc_list_reply_shared(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_LIST, 26, PROTO_OK);

	proto_put_meta_entry(w, &ex_entry_shared);
	return proto_frame_end(w, start);
}

/* ---- decoders ---- */

static void
chk_share(struct proto_bytes body)
{
	struct proto_share m;

	assert_int_equal(proto_decode_share(body, PROTO_MSG_SHARE, &m), 0);
	cmp_share(&m, &ex_share);
	assert_string_equal(proto_perm_name(m.perm), "read");
	/* with PERM, the same body is no UNSHARE */
	assert_int_equal(proto_decode_share(body, PROTO_MSG_UNSHARE, &m), -EBADMSG);
}

static void
chk_share_prefix(struct proto_bytes body)
{
	struct proto_share m;

	assert_int_equal(proto_decode_share(body, PROTO_MSG_SHARE, &m), 0);
	cmp_share(&m, &ex_share_prefix);
	assert_string_equal(proto_perm_name(m.perm), "write");
	assert_true(proto_prefix_valid(m.ref.name.ptr, m.ref.name.len));
}

static void
chk_unshare(struct proto_bytes body)
{
	struct proto_share m;

	assert_int_equal(proto_decode_share(body, PROTO_MSG_UNSHARE, &m), 0);
	cmp_share(&m, &ex_unshare);
	/* without PERM, the same body is no SHARE */
	assert_int_equal(proto_decode_share(body, PROTO_MSG_SHARE, &m), -EBADMSG);
}

static void
chk_grants(const struct proto_list_span *span)
{
	struct proto_grant g;
	struct proto_iter it;
	struct proto_bytes b;
	size_t i = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1) {
		assert_true(i < N_GRANTS);
		assert_int_equal(proto_decode_grant(b, &g), 0);
		cmp_grant(&g, &ex_grants[i]);
		assert_non_null(proto_perm_name(g.perm));
		i++;
	}
	assert_int_equal(i, N_GRANTS);
}

static void
chk_info_reply_grants(struct proto_bytes body)
{
	struct proto_version_info vi;
	struct proto_meta m;
	struct proto_iter it;
	struct proto_bytes g;

	assert_int_equal(proto_decode_info_reply(body, &m), 0);
	cmp_meta(&m, &ex_meta_grants);
	assert_int_equal(m.shared, 0);
	assert_int_equal(m.labels.count, 0);
	proto_iter_init(&it, &m.versions);
	assert_int_equal(proto_iter_next(&it, &g), 1);
	assert_int_equal(proto_decode_version_info(g, &vi), 0);
	assert_int_equal(vi.version, 1);
	assert_int_equal(vi.created_by, 1000);
	assert_int_equal(proto_iter_next(&it, &g), 0);
	chk_grants(&m.grants);
}

static void
chk_list_reply_shared(struct proto_bytes body)
{
	struct proto_list_reply m;
	struct proto_meta e;
	struct proto_iter it;
	struct proto_bytes g;

	assert_int_equal(proto_decode_list_reply(body, &m), 0);
	cmp_list_reply(&m, &ex_list_reply_shared);
	assert_int_equal(m.cursor.len, 0);
	proto_iter_init(&it, &m.entries);
	assert_int_equal(proto_iter_next(&it, &g), 1);
	assert_int_equal(proto_decode_meta_entry(g, &e), 0);
	cmp_meta(&e, &ex_entry_shared);
	assert_int_equal(e.shared, 1);
	assert_int_equal(e.grants.count, 0);
	assert_int_equal(proto_iter_next(&it, &g), 0);
}

static const struct golden goldens[] = {
	GOLDEN_REQ("share", PROTO_MSG_SHARE, 22, enc_share, chk_share),
	GOLDEN_REQ("share-prefix", PROTO_MSG_SHARE, 23, enc_share_prefix, chk_share_prefix),
	GOLDEN_REQ("unshare", PROTO_MSG_UNSHARE, 24, enc_unshare, chk_unshare),
	GOLDEN_REP("info-reply-grants", PROTO_MSG_INFO, 25, PROTO_OK, enc_info_reply_grants,
		   chk_info_reply_grants),
	GOLDEN_REP("list-reply-shared", PROTO_MSG_LIST, 26, PROTO_OK, enc_list_reply_shared,
		   chk_list_reply_shared),
};
#define N_GOLDEN (sizeof(goldens) / sizeof(goldens[0]))

static void
test_docs_quote_vectors(void **state)
{
	(void)state;
	check_docs_quote(goldens, N_GOLDEN);
}

int
main(void)
{
	return run_goldens("test-proto-share", goldens, N_GOLDEN, test_docs_quote_vectors,
			   setup_examples);
}
