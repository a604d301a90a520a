/* SPDX-License-Identifier: MIT */
/*
 * proto/: the name, label, prefix and type validators, the status
 * tables (names and cred exit codes), and the event, permission, charset
 * and slot kind names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

/* Literals with explicit lengths, so embedded NULs count. */
#define S(s) (s), (sizeof(s) - 1)

static uint8_t big[1024];

static const uint8_t *
run(uint8_t c, size_t n)
{
	memset(big, c, n);
	return big;
}

static void
test_name(void **state)
{
	(void)state;
	assert_true(proto_name_valid(S("a")));
	assert_true(proto_name_valid(S("db/prod/password")));
	assert_true(proto_name_valid(S("AZaz09_.@+-")));
	assert_true(proto_name_valid(S("user@example.com/token+1")));
	assert_true(proto_name_valid(S(".")));
	assert_true(proto_name_valid(S("a/./b")));
	assert_true(proto_name_valid(S("./a")));
	assert_true(proto_name_valid(S(".hidden/..x/x../...")));
	assert_true(proto_name_valid(run('n', PROTO_NAME_MAX), PROTO_NAME_MAX));

	assert_false(proto_name_valid(S("")));
	assert_false(proto_name_valid(NULL, 0));
	assert_false(proto_name_valid(NULL, 3));
	assert_false(proto_name_valid(run('n', PROTO_NAME_MAX + 1), PROTO_NAME_MAX + 1));
	assert_false(proto_name_valid(S("/")));
	assert_false(proto_name_valid(S("/a")));
	assert_false(proto_name_valid(S("a/")));
	assert_false(proto_name_valid(S("a//b")));
	assert_false(proto_name_valid(S("..")));
	assert_false(proto_name_valid(S("../a")));
	assert_false(proto_name_valid(S("a/../b")));
	assert_false(proto_name_valid(S("a/..")));
	assert_false(proto_name_valid(S("a b")));
	assert_false(proto_name_valid(S("a\0b")));
	assert_false(proto_name_valid(S("a\0")));
	assert_false(proto_name_valid(S("caf\xc3\xa9")));
	assert_false(proto_name_valid(S("a\x7f")));
	assert_false(proto_name_valid(S("a\tb")));
	assert_false(proto_name_valid(S("a:b")));
	assert_false(proto_name_valid(S("a*b")));
	assert_false(proto_name_valid(S("a\\b")));
	assert_false(proto_name_valid(S("a=b")));
}

static void
test_label(void **state)
{
	uint8_t l[PROTO_LABEL_MAX + 2];

	(void)state;
	assert_true(proto_label_valid(S("k=v")));
	assert_true(proto_label_valid(S("env=prod")));
	assert_true(proto_label_valid(S("a.b-c_D9=x y=z ~!")));
	assert_true(proto_label_valid(S("k=")));
	assert_true(proto_label_valid(S("k==")));

	assert_false(proto_label_valid(S("")));
	assert_false(proto_label_valid(NULL, 0));
	assert_false(proto_label_valid(S("=v")));
	assert_false(proto_label_valid(S("k")));
	assert_false(proto_label_valid(S("k v=x")));
	assert_false(proto_label_valid(S("k/x=v")));
	assert_false(proto_label_valid(S("k\0=v")));
	assert_false(proto_label_valid(S("k=a\0b")));
	assert_false(proto_label_valid(S("k=\t")));
	assert_false(proto_label_valid(S("k=\n")));
	assert_false(proto_label_valid(S("k=\x7f")));
	assert_false(proto_label_valid(S("k=caf\xc3\xa9")));
	assert_false(proto_label_valid(S("\xc3\xa9=v")));

	/* key 63 passes, 64 fails */
	memset(l, 'k', PROTO_LABEL_KEY_MAX);
	l[PROTO_LABEL_KEY_MAX] = '=';
	l[PROTO_LABEL_KEY_MAX + 1] = 'v';
	assert_true(proto_label_valid(l, PROTO_LABEL_KEY_MAX + 2));
	memset(l, 'k', PROTO_LABEL_KEY_MAX + 1);
	l[PROTO_LABEL_KEY_MAX + 1] = '=';
	assert_false(proto_label_valid(l, PROTO_LABEL_KEY_MAX + 2));
	/* the whole label: 320 passes, 321 fails */
	memset(l, 'v', sizeof(l));
	l[0] = 'k';
	l[1] = '=';
	assert_true(proto_label_valid(l, PROTO_LABEL_MAX));
	assert_false(proto_label_valid(l, PROTO_LABEL_MAX + 1));
}

static void
test_prefix(void **state)
{
	uint8_t p[PROTO_NAME_MAX + 2];

	(void)state;
	assert_true(proto_prefix_valid(S("")));
	assert_true(proto_prefix_valid(NULL, 0));
	assert_true(proto_prefix_valid(S("db")));
	assert_true(proto_prefix_valid(S("db/")));
	assert_true(proto_prefix_valid(S("db/prod/")));
	assert_true(proto_prefix_valid(S("./")));

	assert_false(proto_prefix_valid(S("/")));
	assert_false(proto_prefix_valid(S("//")));
	assert_false(proto_prefix_valid(S("/db")));
	assert_false(proto_prefix_valid(S("db//")));
	assert_false(proto_prefix_valid(S("../")));
	assert_false(proto_prefix_valid(S("db/../")));
	assert_false(proto_prefix_valid(S("d b/")));
	assert_false(proto_prefix_valid(S("db/\0")));
	assert_false(proto_prefix_valid(NULL, 2));

	memset(p, 'p', sizeof(p));
	p[PROTO_NAME_MAX] = '/';
	assert_true(proto_prefix_valid(p, PROTO_NAME_MAX + 1));
	assert_true(proto_prefix_valid(p, PROTO_NAME_MAX));
	p[PROTO_NAME_MAX] = 'p';
	assert_false(proto_prefix_valid(p, PROTO_NAME_MAX + 1));
	p[PROTO_NAME_MAX + 1] = '/';
	assert_false(proto_prefix_valid(p, PROTO_NAME_MAX + 2));
}

static void
test_type(void **state)
{
	(void)state;
	assert_true(proto_type_valid(S("password")));
	assert_true(proto_type_valid(S("api_key")));
	assert_true(proto_type_valid(S("x")));
	assert_true(proto_type_valid(S("p12_0")));
	assert_true(proto_type_valid(run('t', PROTO_TYPE_MAX), PROTO_TYPE_MAX));

	assert_false(proto_type_valid(S("")));
	assert_false(proto_type_valid(NULL, 0));
	assert_false(proto_type_valid(run('t', PROTO_TYPE_MAX + 1), PROTO_TYPE_MAX + 1));
	assert_false(proto_type_valid(S("Password")));
	assert_false(proto_type_valid(S("api-key")));
	assert_false(proto_type_valid(S("api.key")));
	assert_false(proto_type_valid(S("a b")));
	assert_false(proto_type_valid(S("a\0")));
	assert_false(proto_type_valid(S("a/b")));
	assert_false(proto_type_valid(S("\xc3\xa9")));
}

static void
test_status_tables(void **state)
{
	static const struct {
		uint16_t status;
		const char *name;
		int exit;
	} t[] = {
		{PROTO_OK, "OK", 0},
		{PROTO_INTERNAL, "INTERNAL", 1},
		{PROTO_USAGE, "USAGE", 2},
		{PROTO_NOT_FOUND, "NOT_FOUND", 3},
		{PROTO_DENIED, "DENIED", 4},
		{PROTO_LOCKED, "LOCKED", 5},
		{6, "UNKNOWN", 1},
		{PROTO_CONFLICT, "CONFLICT", 7},
		{PROTO_QUOTA_EXCEEDED, "QUOTA_EXCEEDED", 8},
		{PROTO_EXPIRED, "EXPIRED", 9},
		{PROTO_DISABLED, "DISABLED", 10},
		{PROTO_INVALID, "INVALID", 11},
		{PROTO_BAD_REQUEST, "BAD_REQUEST", 12},
		{PROTO_UNSUPPORTED, "UNSUPPORTED", 13},
		{PROTO_RATE_LIMITED, "RATE_LIMITED", 8},
		{PROTO_STATUS_MAX + 1, "UNKNOWN", 1},
		{0xffff, "UNKNOWN", 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(proto_status_name(t[i].status), t[i].name);
		assert_int_equal(proto_status_exit(t[i].status), t[i].exit);
	}
}

static void
test_event_names(void **state)
{
	static const char *const want[] = {
		"unknown", "put",     "rotated",   "rolled_back", "disabled",
		"enabled", "deleted", "undeleted", "purged",	  "version_purged",
		"revoked",
	};
	uint32_t e;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), PROTO_EVENT_MAX + 1);
	for (e = 0; e <= PROTO_EVENT_MAX; e++)
		assert_string_equal(proto_event_name(e), want[e]);
	assert_string_equal(proto_event_name(PROTO_EVENT_PURGED), "purged");
	assert_string_equal(proto_event_name(PROTO_EVENT_REVOKED), "revoked");
	assert_string_equal(proto_event_name(PROTO_EVENT_MAX + 1), "unknown");
	assert_string_equal(proto_event_name(UINT32_MAX), "unknown");
}

static void
test_perm_names(void **state)
{
	(void)state;
	assert_null(proto_perm_name(0));
	assert_string_equal(proto_perm_name(PROTO_PERM_READ), "read");
	assert_string_equal(proto_perm_name(PROTO_PERM_WRITE), "write");
	assert_int_equal(PROTO_PERM_MAX, PROTO_PERM_WRITE);
	assert_null(proto_perm_name(PROTO_PERM_MAX + 1));
	assert_null(proto_perm_name(UINT32_MAX));
}

static void
test_charset_names(void **state)
{
	static const char *const want[] = {"base64url", "hex", "alnum", "printable"};
	uint32_t c;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), PROTO_CHARSET_MAX + 1);
	for (c = 0; c <= PROTO_CHARSET_MAX; c++) {
		assert_string_equal(proto_charset_name(c), want[c]);
		assert_int_equal(proto_charset_parse(want[c]), (int)c);
	}
	assert_int_equal(proto_charset_parse("alnum"), PROTO_CHARSET_ALNUM);
	assert_null(proto_charset_name(PROTO_CHARSET_MAX + 1));
	assert_null(proto_charset_name(UINT32_MAX));
	/* exact names only */
	assert_int_equal(proto_charset_parse(NULL), -EINVAL);
	assert_int_equal(proto_charset_parse(""), -EINVAL);
	assert_int_equal(proto_charset_parse("HEX"), -EINVAL);
	assert_int_equal(proto_charset_parse("hex "), -EINVAL);
	assert_int_equal(proto_charset_parse("base64"), -EINVAL);
	assert_int_equal(proto_charset_parse("base64url2"), -EINVAL);
	assert_int_equal(proto_charset_parse("print"), -EINVAL);
	assert_int_equal(proto_charset_parse("0"), -EINVAL);
}

static void
test_slot_kind_names(void **state)
{
	(void)state;
	assert_null(proto_slot_kind_name(0));
	assert_string_equal(proto_slot_kind_name(PROTO_SLOT_KEYFILE), "keyfile");
	assert_string_equal(proto_slot_kind_name(PROTO_SLOT_PASSPHRASE), "passphrase");
	assert_int_equal(PROTO_SLOT_KIND_MAX, PROTO_SLOT_PASSPHRASE);
	assert_null(proto_slot_kind_name(PROTO_SLOT_KIND_MAX + 1));
	assert_null(proto_slot_kind_name(UINT32_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_status_tables),
		cmocka_unit_test(test_event_names),
		cmocka_unit_test(test_perm_names),
		cmocka_unit_test(test_charset_names),
		cmocka_unit_test(test_slot_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
