/* SPDX-License-Identifier: MIT */
/*
 * proto/: targeted rejections: fixed lengths, lengths past the end, NUL
 * bytes in strings, caps (at the cap passes, one over fails), empty
 * fields, repeat counts, groups and their content, enum ranges, tags that
 * belong to other messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t fill[4096];

/* A field with any header, for shapes the encoders never write. */
static void
raw_field(uint8_t tag, uint8_t kind, uint32_t len, const void *p, size_t n)
{
	buf_put_u8(&bw, tag);
	buf_put_u8(&bw, kind);
	buf_put_u32(&bw, len);
	buf_put_bytes(&bw, p, n);
}

static void
put_meta_required(uint32_t state)
{
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1);
	proto_put_string(&bw, PROTO_TAG_NAME, "n", 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_string(&bw, PROTO_TAG_TYPE, "", 0);
	proto_put_u32(&bw, PROTO_TAG_STATE, state);
	proto_put_u32(&bw, PROTO_TAG_MAX_VERSIONS, 0);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u64(&bw, PROTO_TAG_UPDATED, 1);
}

static void
test_fixed_lengths(void **state)
{
	static const uint8_t z[9] = {0};
	uint32_t n;

	(void)state;
	for (n = 0; n <= 9; n++) {
		wstart();
		raw_field(PROTO_TAG_PROTO_VERSION, PROTO_KIND_U32, n, z, n);
		assert_int_equal(d_hello(wbody()), n == 4 ? 0 : -EBADMSG);
		wstart();
		proto_put_u32(&bw, PROTO_TAG_PROTO_VERSION, 1);
		raw_field(PROTO_TAG_FEATURES, PROTO_KIND_U64, n, z, n);
		assert_int_equal(d_hello(wbody()), n == 8 ? 0 : -EBADMSG);
	}
	/* a u32 field sent as u64 is a kind error even with a sane length */
	wstart();
	proto_put_u64(&bw, PROTO_TAG_PROTO_VERSION, 1);
	REJECT(d_hello, wbody());
}

static void
test_length_past_end(void **state)
{
	(void)state;
	wstart();
	raw_field(PROTO_TAG_NAME, PROTO_KIND_STRING, 6, "abcde", 5);
	REJECT(d_get, wbody());
	wstart();
	raw_field(PROTO_TAG_NAME, PROTO_KIND_STRING, UINT32_MAX, "abcde", 5);
	REJECT(d_get, wbody());
	/* a group whose length runs past the body */
	wstart();
	put_meta_required(0);
	raw_field(PROTO_TAG_VERSIONS, PROTO_KIND_GROUP, 40, NULL, 0);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 1);
	REJECT(d_info_reply, wbody());
	/* a group shorter than its content: the last inner field is cut */
	wstart();
	put_meta_required(0);
	raw_field(PROTO_TAG_VERSIONS, PROTO_KIND_GROUP, 33, NULL, 0);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 1);
	REJECT(d_info_reply, wbody());
}

static void
test_nul_in_string(void **state)
{
	(void)state;
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "a\0b", 3);
	REJECT(d_get, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "\0", 1);
	REJECT(d_named, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_string(&bw, PROTO_TAG_TYPE, "pass\0", 5);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
	REJECT(d_put, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=\0", 3);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
	REJECT(d_put, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_PREFIX, "a\0", 2);
	REJECT(d_list, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "oops\0", 5);
	REJECT(d_simple, wbody());
	/* BYTES may hold NULs */
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "\0\0", 2);
	ACCEPT(d_put, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_CURSOR, "\0", 1);
	ACCEPT(d_list, wbody());
}

/* Builders for one field at length N inside an otherwise valid body. */
static void
cap_get_name(size_t n)
{
	proto_put_string(&bw, PROTO_TAG_NAME, fill, n);
}

static void
cap_put_type(size_t n)
{
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_string(&bw, PROTO_TAG_TYPE, fill, n);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
}

static void
cap_put_label(size_t n)
{
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_string(&bw, PROTO_TAG_LABEL, fill, n);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
}

static void
cap_list_prefix(size_t n)
{
	proto_put_string(&bw, PROTO_TAG_PREFIX, fill, n);
}

static void
cap_list_cursor(size_t n)
{
	proto_put_bytes(&bw, PROTO_TAG_CURSOR, fill, n);
}

static void
cap_next_cursor(size_t n)
{
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, fill, n);
}

static void
cap_message(size_t n)
{
	proto_put_string(&bw, PROTO_TAG_MESSAGE, fill, n);
}

static void
cap_agent_version(size_t n)
{
	proto_put_string(&bw, PROTO_TAG_AGENT_VERSION, fill, n);
	proto_put_u32(&bw, PROTO_TAG_MODE, 0);
	proto_put_u32(&bw, PROTO_TAG_LOCKED, 0);
	proto_put_u64(&bw, PROTO_TAG_UPTIME, 0);
	proto_put_u64(&bw, PROTO_TAG_SECRETS, 0);
	proto_put_u64(&bw, PROTO_TAG_STORE_BYTES, 0);
}

static void
cap_info_type(size_t n)
{
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1);
	proto_put_string(&bw, PROTO_TAG_NAME, "n", 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_string(&bw, PROTO_TAG_TYPE, fill, n);
	proto_put_u32(&bw, PROTO_TAG_STATE, 0);
	proto_put_u32(&bw, PROTO_TAG_MAX_VERSIONS, 0);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u64(&bw, PROTO_TAG_UPDATED, 1);
}

static void
test_caps(void **state)
{
	static const struct {
		void (*build)(size_t n);
		int (*decode)(struct proto_bytes b);
		size_t cap;
	} cases[] = {
		{cap_get_name, d_get, PROTO_NAME_MAX},
		{cap_put_type, d_put, PROTO_TYPE_MAX},
		{cap_put_label, d_put, PROTO_LABEL_MAX},
		{cap_list_prefix, d_list, PROTO_NAME_MAX + 1},
		{cap_list_cursor, d_list, PROTO_CURSOR_MAX},
		{cap_next_cursor, d_list_reply, PROTO_CURSOR_MAX},
		{cap_message, d_simple, PROTO_MESSAGE_MAX},
		{cap_message, d_put_reply, PROTO_MESSAGE_MAX},
		{cap_agent_version, d_status_reply, PROTO_AGENT_VERSION_MAX},
		{cap_info_type, d_info_reply, PROTO_TYPE_MAX},
	};
	size_t i;

	(void)state;
	memset(fill, 'a', sizeof(fill));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wstart();
		cases[i].build(cases[i].cap);
		if (cases[i].decode == d_put_reply) {
			/* MESSAGE follows the required VERSION */
			wstart();
			proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
			cases[i].build(cases[i].cap);
		}
		ACCEPT(cases[i].decode, wbody());
		wstart();
		if (cases[i].decode == d_put_reply)
			proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		cases[i].build(cases[i].cap + 1);
		REJECT(cases[i].decode, wbody());
	}
}

/* NAME is required and not empty; an empty NEXT_CURSOR would mean "more"
 * and "no more" at once. */
static void
test_empty_fields(void **state)
{
	(void)state;
	wstart();
	cap_get_name(0);
	REJECT(d_get, wbody());
	wstart();
	cap_put_type(0);
	ACCEPT(d_put, wbody());
	wstart();
	cap_next_cursor(0);
	REJECT(d_list_reply, wbody());
	wstart();
	cap_list_cursor(0);
	ACCEPT(d_list, wbody());
	REJECT(d_hello, (struct proto_bytes){NULL, 0});
	REJECT(d_get, (struct proto_bytes){NULL, 0});
	REJECT(d_put, (struct proto_bytes){NULL, 0});
	ACCEPT(d_list, (struct proto_bytes){NULL, 0});
	ACCEPT(d_list_reply, (struct proto_bytes){NULL, 0});
	ACCEPT(d_simple, (struct proto_bytes){NULL, 0});
	ACCEPT(d_status, (struct proto_bytes){NULL, 0});
}

static void
test_counts(void **state)
{
	uint32_t i, n;

	(void)state;
	for (n = PROTO_LABELS_MAX; n <= PROTO_LABELS_MAX + 1; n++) {
		wstart();
		proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
		for (i = 0; i < n; i++)
			proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
		assert_int_equal(d_put(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);

		wstart();
		put_meta_required(0);
		for (i = 0; i < n; i++)
			proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
		assert_int_equal(d_info_reply(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);

		/* the same inside a LIST entry */
		wstart();
		{
			size_t off = proto_group_begin(&bw, PROTO_TAG_ENTRY);

			put_meta_required(0);
			for (i = 0; i < n; i++)
				proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
			proto_group_end(&bw, off);
		}
		assert_int_equal(d_list_reply(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);
	}
}

static void
put_versions_group(uint32_t v)
{
	size_t off = proto_group_begin(&bw, PROTO_TAG_VERSIONS);

	proto_put_u32(&bw, PROTO_TAG_VERSION, v);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 0);
	proto_group_end(&bw, off);
}

static void
put_entry(uint32_t state)
{
	size_t off = proto_group_begin(&bw, PROTO_TAG_ENTRY);

	put_meta_required(state);
	proto_group_end(&bw, off);
}

static void
test_group_counts(void **state)
{
	uint32_t i, n;

	(void)state;
	for (n = PROTO_VERSIONS_MAX; n <= PROTO_VERSIONS_MAX + 1; n++) {
		wstart();
		put_meta_required(0);
		for (i = 0; i < n; i++)
			put_versions_group(i + 1);
		assert_int_equal(d_info_reply(wbody()), n <= PROTO_VERSIONS_MAX ? 0 : -EBADMSG);
	}
	for (n = PROTO_LIST_LIMIT_MAX; n <= PROTO_LIST_LIMIT_MAX + 1; n++) {
		wstart();
		for (i = 0; i < n; i++)
			put_entry(0);
		assert_int_equal(d_list_reply(wbody()), n <= PROTO_LIST_LIMIT_MAX ? 0 : -EBADMSG);
	}
}

/* Groups are checked with their own schema. */
static void
test_group_content(void **state)
{
	size_t off;

	(void)state;
	/* VERSIONS without CREATED_BY */
	wstart();
	put_meta_required(0);
	off = proto_group_begin(&bw, PROTO_TAG_VERSIONS);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_group_end(&bw, off);
	REJECT(d_info_reply, wbody());
	/* VERSIONS holding a field of the outer schema */
	wstart();
	put_meta_required(0);
	off = proto_group_begin(&bw, PROTO_TAG_VERSIONS);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 1);
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	proto_group_end(&bw, off);
	REJECT(d_info_reply, wbody());
	/* an ENTRY never holds VERSIONS or MESSAGE */
	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	put_meta_required(0);
	put_versions_group(1);
	proto_group_end(&bw, off);
	REJECT(d_list_reply, wbody());
	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	put_meta_required(0);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	proto_group_end(&bw, off);
	REJECT(d_list_reply, wbody());
	/* an ENTRY missing a required field; an empty ENTRY */
	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	proto_put_string(&bw, PROTO_TAG_NAME, "n", 1);
	proto_group_end(&bw, off);
	REJECT(d_list_reply, wbody());
	wstart();
	proto_group_end(&bw, proto_group_begin(&bw, PROTO_TAG_ENTRY));
	REJECT(d_list_reply, wbody());
	/* ENTRY groups broken by another field between them */
	wstart();
	put_entry(0);
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, "c", 1);
	put_entry(0);
	REJECT(d_list_reply, wbody());
}

static void
test_enum_ranges(void **state)
{
	uint32_t v;

	(void)state;
	for (v = 0; v <= 4; v++) {
		wstart();
		proto_put_u32(&bw, PROTO_TAG_PROTO_VERSION, 1);
		proto_put_u64(&bw, PROTO_TAG_FEATURES, 0);
		proto_put_string(&bw, PROTO_TAG_AGENT_VERSION, "1", 1);
		proto_put_u32(&bw, PROTO_TAG_MODE, v);
		proto_put_u32(&bw, PROTO_TAG_FRAME_MAX, 4096);
		assert_int_equal(d_hello_reply(wbody()), v <= 1 ? 0 : -EBADMSG);

		wstart();
		proto_put_string(&bw, PROTO_TAG_AGENT_VERSION, "1", 1);
		proto_put_u32(&bw, PROTO_TAG_MODE, v);
		proto_put_u32(&bw, PROTO_TAG_LOCKED, v);
		proto_put_u64(&bw, PROTO_TAG_UPTIME, 0);
		proto_put_u64(&bw, PROTO_TAG_SECRETS, 0);
		proto_put_u64(&bw, PROTO_TAG_STORE_BYTES, 0);
		assert_int_equal(d_status_reply(wbody()), v <= 1 ? 0 : -EBADMSG);

		wstart();
		put_meta_required(v);
		assert_int_equal(d_info_reply(wbody()), v <= PROTO_STATE_MAX ? 0 : -EBADMSG);
		wstart();
		put_entry(v);
		assert_int_equal(d_list_reply(wbody()), v <= PROTO_STATE_MAX ? 0 : -EBADMSG);

		wstart();
		proto_put_u32(&bw, PROTO_TAG_FLAGS, v);
		assert_int_equal(d_list(wbody()), (v & ~PROTO_LIST_FLAGS_ALL) == 0 ? 0 : -EBADMSG);
	}
	for (v = 0; v < 32; v++) {
		wstart();
		proto_put_u32(&bw, PROTO_TAG_FLAGS, 1u << v);
		assert_int_equal(d_list(wbody()), v < 3 ? 0 : -EBADMSG);
	}
	for (v = PROTO_LIST_LIMIT_MAX - 1; v <= PROTO_LIST_LIMIT_MAX + 1; v++) {
		wstart();
		proto_put_u32(&bw, PROTO_TAG_LIMIT, v);
		assert_int_equal(d_list(wbody()), v <= PROTO_LIST_LIMIT_MAX ? 0 : -EBADMSG);
	}
	wstart();
	proto_put_u32(&bw, PROTO_TAG_LIMIT, UINT32_MAX);
	REJECT(d_list, wbody());
}

/* Tags valid elsewhere are unknown here. */
static void
test_foreign_tags(void **state)
{
	(void)state;
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_get, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	REJECT(d_named, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_named, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	REJECT(d_hello, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_PROTO_VERSION, 1);
	REJECT(d_status, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1);
	REJECT(d_simple, wbody());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_lengths),
		cmocka_unit_test(test_length_past_end),
		cmocka_unit_test(test_nul_in_string),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_group_counts),
		cmocka_unit_test(test_group_content),
		cmocka_unit_test(test_enum_ranges),
		cmocka_unit_test(test_foreign_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
