/* SPDX-License-Identifier: MIT */
/*
 * proto/: the golden frames of tests/data/NAME.hex in both directions (the
 * same bytes docs/PROTOCOL.md quotes): encoding each example yields the
 * file's bytes, and decoding the file yields the example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

static uint8_t labels_buf[64], versions_buf[128], entries_buf[512];
static struct proto_list_span ex_labels, ex_versions, ex_entries;

static const struct proto_hello ex_hello = {.version = 1};
static const struct proto_hello_reply ex_hello_reply = {
	.version = 1,
	.agent_version = B("0.1.0"),
	.mode = PROTO_MODE_USER,
	.frame_max = 1048576,
};
static const struct proto_status_reply ex_status_reply = {
	.agent_version = B("0.1.0"),
	.uptime = 3600,
	.secrets = 3,
	.store_bytes = 65536,
};
static struct proto_put ex_put = {
	.ref = {.name = B("db/prod/password")},
	.type = B("password"),
	.has_cas = true,
	.has_max_versions = true,
	.max_versions = 5,
	.has_expires = true,
	.expires = 1767225600,
	.value = B("hunter2"),
};
static const struct proto_put_reply ex_put_reply = {.version = 1};
static const struct proto_get ex_get = {
	.ref = {.name = B("db/prod/password")},
	.has_version = true,
	.version = 1,
};
static const struct proto_get_reply ex_get_reply = {
	.version = 1,
	.type = B("password"),
	.value = B("hunter2"),
};
static const struct proto_named ex_info = {
	.ref = {.has_owner = true, .owner = 1000, .name = B("db/prod/password")},
};
static struct proto_meta ex_meta = {
	.owner = 1000,
	.name = B("db/prod/password"),
	.version = 2,
	.type = B("password"),
	.state = PROTO_STATE_ACTIVE,
	.max_versions = 5,
	.has_expires = true,
	.expires = 1767225600,
	.created = 1735689600,
	.updated = 1738368000,
};
static const struct proto_meta ex_meta2 = {
	.owner = 1000,
	.name = B("db/prod/user"),
	.version = 1,
	.type = B("generic"),
	.state = PROTO_STATE_DISABLED,
	.max_versions = 10,
	.created = 1735689600,
	.updated = 1735689600,
};
static const struct proto_list ex_list = {.prefix = B("db/"), .limit = 2};
static struct proto_list_reply ex_list_reply = {.cursor = B("db/prod/user")};
static const struct proto_named ex_delete = {.ref = {.name = B("db/prod/user")}};

static void
put_version(struct buf_writer *w, uint32_t v, uint64_t created, uint32_t by)
{
	size_t off = proto_group_begin(w, PROTO_TAG_VERSIONS);

	proto_put_u32(w, PROTO_TAG_VERSION, v);
	proto_put_u64(w, PROTO_TAG_CREATED, created);
	proto_put_u32(w, PROTO_TAG_CREATED_BY, by);
	proto_group_end(w, off);
}

/* Spans are built as an agent would: field writers into scratch memory. */
static int
setup_examples(void **state)
{
	struct buf_writer w;
	struct proto_meta entry;

	(void)state;
	buf_writer_init(&w, labels_buf, sizeof(labels_buf));
	proto_put_string(&w, PROTO_TAG_LABEL, "env=prod", 8);
	proto_put_string(&w, PROTO_TAG_LABEL, "team=core", 9);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_labels = (struct proto_list_span){{labels_buf, w.len}, 2};

	buf_writer_init(&w, versions_buf, sizeof(versions_buf));
	put_version(&w, 1, 1735689600, 1000);
	put_version(&w, 2, 1738368000, 1000);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_versions = (struct proto_list_span){{versions_buf, w.len}, 2};

	ex_put.labels = ex_labels;
	ex_meta.labels = ex_labels;
	ex_meta.versions = ex_versions;

	buf_writer_init(&w, entries_buf, sizeof(entries_buf));
	entry = ex_meta;
	entry.versions = (struct proto_list_span){0};
	proto_put_meta_entry(&w, &entry);
	proto_put_meta_entry(&w, &ex_meta2);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_entries = (struct proto_list_span){{entries_buf, w.len}, 2};
	ex_list_reply.entries = ex_entries;
	return 0;
}

/* ---- golden vectors: encode == file, decode(file) == example ---- */

static int
enc_hello(struct buf_writer *w)
{
	return proto_encode_hello(w, 1, &ex_hello);
}

static int
enc_hello_reply(struct buf_writer *w)
{
	return proto_encode_hello_reply(w, 1, &ex_hello_reply);
}

static int
enc_status(struct buf_writer *w)
{
	return proto_encode_status(w, 2);
}

static int
enc_status_reply(struct buf_writer *w)
{
	return proto_encode_status_reply(w, 2, &ex_status_reply);
}

static int
enc_put(struct buf_writer *w)
{
	return proto_encode_put(w, 3, &ex_put);
}

static int
enc_put_reply(struct buf_writer *w)
{
	return proto_encode_put_reply(w, 3, &ex_put_reply);
}

static int
enc_get(struct buf_writer *w)
{
	return proto_encode_get(w, 4, &ex_get);
}

static int
enc_get_reply(struct buf_writer *w)
{
	return proto_encode_get_reply(w, 4, &ex_get_reply);
}

static int
enc_info(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_INFO, 5, &ex_info);
}

static int
enc_info_reply(struct buf_writer *w)
{
	return proto_encode_info_reply(w, 5, &ex_meta);
}

static int
enc_list(struct buf_writer *w)
{
	return proto_encode_list(w, 6, &ex_list);
}

static int
enc_list_reply(struct buf_writer *w)
{
	return proto_encode_list_reply(w, 6, &ex_list_reply);
}

static int
enc_delete(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_DELETE, 7, &ex_delete);
}

static int
enc_delete_reply(struct buf_writer *w)
{
	return proto_encode_simple_reply(w, PROTO_MSG_DELETE, 7, PROTO_OK, NULL, 0);
}

static int
enc_not_found(struct buf_writer *w)
{
	return proto_encode_simple_reply(w, PROTO_MSG_GET, 8, PROTO_NOT_FOUND, "no such secret", 14);
}

static void
chk_hello(struct proto_bytes body)
{
	struct proto_hello m;

	assert_int_equal(proto_decode_hello(body, &m), 0);
	assert_int_equal(m.version, ex_hello.version);
	assert_int_equal(m.features, ex_hello.features);
}

static void
chk_hello_reply(struct proto_bytes body)
{
	struct proto_hello_reply m;

	assert_int_equal(proto_decode_hello_reply(body, &m), 0);
	cmp_hello_reply(&m, &ex_hello_reply);
}

static void
chk_status(struct proto_bytes body)
{
	assert_int_equal(proto_decode_status(body), 0);
}

static void
chk_status_reply(struct proto_bytes body)
{
	struct proto_status_reply m;

	assert_int_equal(proto_decode_status_reply(body, &m), 0);
	cmp_status_reply(&m, &ex_status_reply);
}

static void
chk_labels(const struct proto_list_span *span)
{
	static const char *const want[] = {"env=prod", "team=core"};
	struct proto_iter it;
	struct proto_bytes b;
	size_t i = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1) {
		assert_true(i < 2);
		assert_int_equal(b.len, strlen(want[i]));
		assert_memory_equal(b.ptr, want[i], b.len);
		assert_true(proto_label_valid(b.ptr, b.len));
		i++;
	}
	assert_int_equal(i, span->count);
}

static void
chk_put(struct proto_bytes body)
{
	struct proto_put m;

	assert_int_equal(proto_decode_put(body, &m), 0);
	cmp_put(&m, &ex_put);
	chk_labels(&m.labels);
}

static void
chk_put_reply(struct proto_bytes body)
{
	struct proto_put_reply m;

	assert_int_equal(proto_decode_put_reply(body, &m), 0);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.message.len, 0);
}

static void
chk_get(struct proto_bytes body)
{
	struct proto_get m;

	assert_int_equal(proto_decode_get(body, &m), 0);
	cmp_get(&m, &ex_get);
}

static void
chk_get_reply(struct proto_bytes body)
{
	struct proto_get_reply m;

	assert_int_equal(proto_decode_get_reply(body, &m), 0);
	cmp_get_reply(&m, &ex_get_reply);
}

static void
chk_info(struct proto_bytes body)
{
	struct proto_named m;

	assert_int_equal(proto_decode_named(body, &m), 0);
	cmp_ref(&m.ref, &ex_info.ref);
}

static void
chk_info_reply(struct proto_bytes body)
{
	static const uint64_t created[] = {1735689600, 1738368000};
	struct proto_version_info vi;
	struct proto_meta m;
	struct proto_iter it;
	struct proto_bytes g;
	uint32_t i = 0;

	assert_int_equal(proto_decode_info_reply(body, &m), 0);
	cmp_meta(&m, &ex_meta);
	chk_labels(&m.labels);
	proto_iter_init(&it, &m.versions);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < 2);
		assert_int_equal(proto_decode_version_info(g, &vi), 0);
		assert_int_equal(vi.version, i + 1);
		assert_int_equal(vi.created, created[i]);
		assert_int_equal(vi.created_by, 1000);
		i++;
	}
	assert_int_equal(i, 2);
}

static void
chk_list(struct proto_bytes body)
{
	struct proto_list m;

	assert_int_equal(proto_decode_list(body, &m), 0);
	cmp_list(&m, &ex_list);
}

static void
chk_list_reply(struct proto_bytes body)
{
	struct proto_list_reply m;
	struct proto_meta e, want;
	struct proto_iter it;
	struct proto_bytes g;

	assert_int_equal(proto_decode_list_reply(body, &m), 0);
	cmp_list_reply(&m, &ex_list_reply);
	proto_iter_init(&it, &m.entries);
	assert_int_equal(proto_iter_next(&it, &g), 1);
	assert_int_equal(proto_decode_meta_entry(g, &e), 0);
	want = ex_meta;
	want.versions = (struct proto_list_span){0};
	cmp_meta(&e, &want);
	chk_labels(&e.labels);
	assert_int_equal(proto_iter_next(&it, &g), 1);
	assert_int_equal(proto_decode_meta_entry(g, &e), 0);
	cmp_meta(&e, &ex_meta2);
	assert_int_equal(proto_iter_next(&it, &g), 0);
}

static void
chk_delete(struct proto_bytes body)
{
	struct proto_named m;

	assert_int_equal(proto_decode_named(body, &m), 0);
	cmp_ref(&m.ref, &ex_delete.ref);
}

static void
chk_delete_reply(struct proto_bytes body)
{
	struct proto_simple_reply m;

	assert_int_equal(proto_decode_simple_reply(body, &m), 0);
	assert_int_equal(m.message.len, 0);
}

static void
chk_not_found(struct proto_bytes body)
{
	struct proto_simple_reply m;

	assert_int_equal(proto_decode_simple_reply(body, &m), 0);
	assert_bytes(m.message, B("no such secret"));
}

#define REQ GOLDEN_REQ
#define REP GOLDEN_REP
static const struct golden goldens[] = {
	REQ("hello", PROTO_MSG_HELLO, 1, enc_hello, chk_hello),
	REP("hello-reply", PROTO_MSG_HELLO, 1, PROTO_OK, enc_hello_reply, chk_hello_reply),
	REQ("status", PROTO_MSG_STATUS, 2, enc_status, chk_status),
	REP("status-reply", PROTO_MSG_STATUS, 2, PROTO_OK, enc_status_reply, chk_status_reply),
	REQ("put", PROTO_MSG_PUT, 3, enc_put, chk_put),
	REP("put-reply", PROTO_MSG_PUT, 3, PROTO_OK, enc_put_reply, chk_put_reply),
	REQ("get", PROTO_MSG_GET, 4, enc_get, chk_get),
	REP("get-reply", PROTO_MSG_GET, 4, PROTO_OK, enc_get_reply, chk_get_reply),
	REQ("info", PROTO_MSG_INFO, 5, enc_info, chk_info),
	REP("info-reply", PROTO_MSG_INFO, 5, PROTO_OK, enc_info_reply, chk_info_reply),
	REQ("list", PROTO_MSG_LIST, 6, enc_list, chk_list),
	REP("list-reply", PROTO_MSG_LIST, 6, PROTO_OK, enc_list_reply, chk_list_reply),
	REQ("delete", PROTO_MSG_DELETE, 7, enc_delete, chk_delete),
	REP("delete-reply", PROTO_MSG_DELETE, 7, PROTO_OK, enc_delete_reply, chk_delete_reply),
	REP("error-not-found", PROTO_MSG_GET, 8, PROTO_NOT_FOUND, enc_not_found, chk_not_found),
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
	return run_goldens("test-proto", goldens, N_GOLDEN, test_docs_quote_vectors, setup_examples);
}
