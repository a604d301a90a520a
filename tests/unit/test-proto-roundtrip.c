/* SPDX-License-Identifier: MIT */
/*
 * proto/: round trips of every message beyond the golden examples:
 * optional fields absent and present, fields at their caps, the ways an
 * agent builds replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX];

static const uint8_t two_labels[] = {
	PROTO_TAG_LABEL, PROTO_KIND_STRING, 0, 0, 0, 3, 'a', '=', 'b',
	PROTO_TAG_LABEL, PROTO_KIND_STRING, 0, 0, 0, 4, 'a', '=', '=', 'c',
};
static const struct proto_list_span labels2 = {{two_labels, sizeof(two_labels)}, 2};

static const struct proto_meta meta_small = {
	.owner = 0,
	.name = B("n"),
	.version = 1,
	.type = B("api_key"),
	.state = PROTO_STATE_DISABLED,
	.max_versions = 0,
	.created = 1,
	.updated = 2,
};


/* ---- round trips: variants beyond the golden examples ---- */

static struct buf_writer
writer(void)
{
	struct buf_writer w;

	buf_writer_init(&w, out, sizeof(out));
	return w;
}

#define ENCODE(call)                                                   \
	do {                                                           \
		struct buf_writer w_ = writer(), *w = &w_;             \
		assert_int_equal((call), 0);                           \
		len = w_.len;                                          \
	} while (0)

static void
test_rt_hello(void **state)
{
	struct proto_hello h = {.version = 0xfffffffe, .features = UINT64_MAX}, d;
	struct proto_hello_reply r = {.version = 1, .agent_version = B("9.9.9")}, dr;
	size_t len;

	(void)state;
	ENCODE(proto_encode_hello(w, 0xffffffff, &h));
	assert_int_equal(proto_decode_hello(frame_body(out, len, false, PROTO_MSG_HELLO,
						       0xffffffff, 0), &d), 0);
	assert_int_equal(d.version, h.version);
	assert_int_equal(d.features, h.features);

	r.features = 0x8000000000000001u;
	r.mode = PROTO_MODE_SYSTEM;
	r.frame_max = PROTO_FRAME_MIN_MAX;
	r.message = B("protocol 2 is not spoken here");
	ENCODE(proto_encode_hello_reply(w, 9, &r));
	assert_int_equal(proto_decode_hello_reply(frame_body(out, len, true, 0x81, 9, 0), &dr), 0);
	cmp_hello_reply(&dr, &r);
}

static void
test_rt_status(void **state)
{
	struct proto_status_reply r = {
		.agent_version = B("0.1.0-rc1+g1234567"),
		.mode = PROTO_MODE_SYSTEM,
		.locked = 1,
		.uptime = UINT64_MAX,
		.secrets = 1u << 31,
		.store_bytes = 1ull << 40,
		.message = B("vault locked"),
	}, d;
	size_t len;

	(void)state;
	ENCODE(proto_encode_status(w, 0));
	assert_int_equal(len, PROTO_REQ_HDR);
	assert_int_equal(proto_decode_status(frame_body(out, len, false, PROTO_MSG_STATUS, 0, 0)), 0);
	ENCODE(proto_encode_status_reply(w, 77, &r));
	assert_int_equal(proto_decode_status_reply(frame_body(out, len, true, 0x82, 77, 0), &d), 0);
	cmp_status_reply(&d, &r);
}

static void
rt_put(const struct proto_put *m)
{
	struct proto_put d;
	size_t len;

	ENCODE(proto_encode_put(w, 3, m));
	assert_int_equal(proto_decode_put(frame_body(out, len, false, PROTO_MSG_PUT, 3, 0), &d), 0);
	cmp_put(&d, m);
}

/* Caps are inclusive: every field at its largest still decodes. */
static void
test_rt_put(void **state)
{
	static uint8_t name[PROTO_NAME_MAX], label[PROTO_LABEL_MAX], type[PROTO_TYPE_MAX];
	static uint8_t labels[PROTO_LABELS_MAX * (PROTO_FIELD_HDR + PROTO_LABEL_MAX)];
	static uint8_t value[40000];
	struct proto_put m = {.ref = {.name = B("x")}};
	struct buf_writer w;
	uint32_t i;

	(void)state;
	rt_put(&m); /* the least: a name and an empty value */
	m.type = B("token");
	m.has_cas = true;
	m.has_max_versions = true;
	m.max_versions = UINT32_MAX;
	m.has_expires = true;
	m.expires = UINT64_MAX;
	m.labels = labels2;
	m.value = B("v");
	m.ref.has_owner = true;
	m.ref.owner = 4294967294u;
	m.cas = 17;
	rt_put(&m);

	memset(name, 'n', sizeof(name));
	memset(type, 't', sizeof(type));
	memset(label, 'v', sizeof(label));
	label[0] = 'k';
	label[1] = '=';
	memset(value, 0, sizeof(value)); /* VALUE is bytes: NULs are fine */
	buf_writer_init(&w, labels, sizeof(labels));
	for (i = 0; i < PROTO_LABELS_MAX; i++)
		proto_put_string(&w, PROTO_TAG_LABEL, label, sizeof(label));
	assert_int_equal(buf_writer_error(&w), 0);
	m.ref.name = (struct proto_bytes){name, sizeof(name)};
	m.type = (struct proto_bytes){type, sizeof(type)};
	m.labels = (struct proto_list_span){{labels, w.len}, PROTO_LABELS_MAX};
	m.value = (struct proto_bytes){value, sizeof(value)};
	rt_put(&m);
}

static void
test_rt_get(void **state)
{
	struct proto_get m = {.ref = {.name = B("a/b/c")}}, d;
	struct proto_put_reply pr = {.version = UINT32_MAX, .message = B("kept 5 versions")}, dpr;
	struct proto_get_reply r = {.version = 3, .type = {NULL, 0}, .value = {NULL, 0},
				    .message = B("expires in 1 day")}, dr;
	size_t len;

	(void)state;
	ENCODE(proto_encode_get(w, 1, &m));
	assert_int_equal(proto_decode_get(frame_body(out, len, false, PROTO_MSG_GET, 1, 0), &d), 0);
	cmp_get(&d, &m);
	m.ref.has_owner = true;
	m.ref.owner = 0;
	ENCODE(proto_encode_get(w, 1, &m));
	assert_int_equal(proto_decode_get(frame_body(out, len, false, PROTO_MSG_GET, 1, 0), &d), 0);
	cmp_get(&d, &m);

	ENCODE(proto_encode_get_reply(w, 2, &r));
	assert_int_equal(proto_decode_get_reply(frame_body(out, len, true, 0x84, 2, 0), &dr), 0);
	cmp_get_reply(&dr, &r);
	ENCODE(proto_encode_put_reply(w, 2, &pr));
	assert_int_equal(proto_decode_put_reply(frame_body(out, len, true, 0x83, 2, 0), &dpr), 0);
	assert_int_equal(dpr.version, pr.version);
	assert_bytes(dpr.message, pr.message);
}

static void
test_rt_named(void **state)
{
	struct proto_named m = {.ref = {.has_owner = true, .owner = 0, .name = B("@x+y-z_.")}}, d;
	size_t len;

	(void)state;
	ENCODE(proto_encode_named(w, PROTO_MSG_DELETE, 5, &m));
	assert_int_equal(proto_decode_named(frame_body(out, len, false, PROTO_MSG_DELETE, 5, 0), &d), 0);
	cmp_ref(&d.ref, &m.ref);
	m.ref.has_owner = false;
	ENCODE(proto_encode_named(w, PROTO_MSG_INFO, 6, &m));
	assert_int_equal(proto_decode_named(frame_body(out, len, false, PROTO_MSG_INFO, 6, 0), &d), 0);
	cmp_ref(&d.ref, &m.ref);
	/* only INFO and DELETE are named requests */
	{
		struct buf_writer w = writer();

		assert_int_equal(proto_encode_named(&w, PROTO_MSG_GET, 1, &m), -EINVAL);
		assert_int_equal(w.len, 0);
	}
}

static void
test_rt_info(void **state)
{
	static const uint8_t versions[] = {
		PROTO_TAG_VERSIONS, PROTO_KIND_GROUP, 0, 0, 0, 34,
		PROTO_TAG_VERSION, PROTO_KIND_U32, 0, 0, 0, 4, 0, 0, 0, 1,
		PROTO_TAG_CREATED, PROTO_KIND_U64, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
		PROTO_TAG_CREATED_BY, PROTO_KIND_U32, 0, 0, 0, 4, 0, 0, 0, 0,
	};
	struct proto_meta m = meta_small, d;
	size_t len;

	(void)state;
	m.state = PROTO_STATE_DELETED;
	m.has_deleted = true;
	m.deleted = 1738368001;
	m.message = B("deleted; purged after 30 days");
	ENCODE(proto_encode_info_reply(w, 5, &m));
	assert_int_equal(proto_decode_info_reply(frame_body(out, len, true, 0x85, 5, 0), &d), 0);
	cmp_meta(&d, &m);

	/* an ENTRY group never carries VERSIONS or MESSAGE */
	m.labels = labels2;
	m.versions = (struct proto_list_span){{versions, sizeof(versions)}, 1};
	m.has_expires = true;
	ENCODE(proto_encode_info_reply(w, 5, &m));
	assert_int_equal(proto_decode_info_reply(frame_body(out, len, true, 0x85, 5, 0), &d), 0);
	cmp_meta(&d, &m);
	{
		struct buf_writer w = writer();
		struct proto_iter it;
		struct proto_list_span sp;
		struct proto_bytes g;

		proto_put_meta_entry(&w, &m);
		assert_int_equal(buf_writer_error(&w), 0);
		sp = (struct proto_list_span){{out, w.len}, 1};
		proto_iter_init(&it, &sp);
		assert_int_equal(proto_iter_next(&it, &g), 1);
		assert_int_equal(proto_decode_meta_entry(g, &d), 0);
		assert_int_equal(d.versions.count, 0);
		assert_int_equal(d.versions.raw.len, 0);
		assert_int_equal(d.message.len, 0);
		assert_span(&d.labels, &labels2);
	}
}

static void
test_rt_list(void **state)
{
	struct proto_list m = {
		.has_owner = true,
		.owner = 1001,
		.prefix = B("team/"),
		.cursor = {(const uint8_t *)"\0\1\2\377", 4},
		.limit = PROTO_LIST_LIMIT_MAX,
		.flags = PROTO_LIST_FLAGS_ALL,
	}, d, none = {0};
	struct proto_list_reply r = {.message = B("no more")}, dr;
	size_t len;

	(void)state;
	ENCODE(proto_encode_list(w, 6, &m));
	assert_int_equal(proto_decode_list(frame_body(out, len, false, PROTO_MSG_LIST, 6, 0), &d), 0);
	cmp_list(&d, &m);
	ENCODE(proto_encode_list(w, 6, &none));
	assert_int_equal(len, PROTO_REQ_HDR);
	assert_int_equal(proto_decode_list(frame_body(out, len, false, PROTO_MSG_LIST, 6, 0), &d), 0);
	cmp_list(&d, &none);

	ENCODE(proto_encode_list_reply(w, 6, &r));
	assert_int_equal(proto_decode_list_reply(frame_body(out, len, true, 0x86, 6, 0), &dr), 0);
	cmp_list_reply(&dr, &r);
}

/* How an agent builds a LIST reply: entries written one by one. */
static void
test_rt_list_streamed(void **state)
{
	struct buf_writer w = writer();
	struct proto_list_reply d;
	size_t start;
	uint32_t i;

	(void)state;
	start = proto_reply_begin(&w, PROTO_MSG_LIST, 6, PROTO_OK);
	for (i = 0; i < PROTO_LIST_LIMIT_MAX; i++)
		proto_put_meta_entry(&w, &meta_small);
	proto_put_bytes(&w, PROTO_TAG_NEXT_CURSOR, "c", 1);
	assert_int_equal(proto_frame_end(&w, start), 0);
	assert_int_equal(proto_decode_list_reply(frame_body(out, w.len, true, 0x86, 6, 0), &d), 0);
	assert_int_equal(d.entries.count, PROTO_LIST_LIMIT_MAX);
	assert_bytes(d.cursor, B("c"));
}

static void
test_rt_simple(void **state)
{
	struct proto_simple_reply d;
	size_t len;
	uint16_t st;

	(void)state;
	for (st = 0; st <= PROTO_STATUS_MAX + 1; st++) {
		ENCODE(proto_encode_simple_reply(w, PROTO_MSG_PUT, st, st, "why", 3));
		assert_int_equal(proto_decode_simple_reply(frame_body(out, len, true, 0x83, st, st), &d), 0);
		assert_bytes(d.message, B("why"));
		/* the type may be given with the reply bit already set */
		ENCODE(proto_encode_simple_reply(w, 0x83, st, st, "", 0));
		assert_int_equal(len, PROTO_REPLY_HDR);
		assert_int_equal(proto_decode_simple_reply(frame_body(out, len, true, 0x83, st, st), &d), 0);
		assert_int_equal(d.message.len, 0);
	}
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_hello),
		cmocka_unit_test(test_rt_status),
		cmocka_unit_test(test_rt_put),
		cmocka_unit_test(test_rt_get),
		cmocka_unit_test(test_rt_named),
		cmocka_unit_test(test_rt_info),
		cmocka_unit_test(test_rt_list),
		cmocka_unit_test(test_rt_list_streamed),
		cmocka_unit_test(test_rt_simple),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
