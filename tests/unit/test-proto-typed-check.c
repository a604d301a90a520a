/* SPDX-License-Identifier: MIT */
/*
 * proto/: typed field sets. proto_typed_check() on every type of the
 * registry: sets it accepts, each rule it enforces with the exact WHY
 * (naming the field, never quoting a value), and malformed sets
 * (-EBADMSG: keys out of order, duplicated or badly spelt, too many
 * fields, trailing bytes, wrong kinds); proto_typed_get(),
 * proto_put_typed_field() and proto_decode_typed_field() in round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static char why[256];

static const struct proto_type *
type(const char *name)
{
	const struct proto_type *t = proto_type_lookup(name, strlen(name));

	assert_non_null(t);
	return t;
}

/* A field set of N (key, value) pairs of C strings, in the order given. */
struct kv {
	const char *k, *v;
};

static struct proto_bytes
set_of(const struct kv *kv, size_t n)
{
	size_t i;

	wstart();
	for (i = 0; i < n; i++)
		proto_put_typed_field(&bw, kv[i].k, strlen(kv[i].k), kv[i].v, strlen(kv[i].v));
	return wbody();
}

#define SET(...) set_of((const struct kv[]){__VA_ARGS__}, \
			sizeof((const struct kv[]){__VA_ARGS__}) / sizeof(struct kv))

static int
check(const char *tname, struct proto_bytes set)
{
	memset(why, 'X', sizeof(why));
	return proto_typed_check(type(tname), set, why, sizeof(why));
}

#define ACCEPTS(t, set)                               \
	do {                                          \
		assert_int_equal(check(t, set), 0);   \
		assert_string_equal(why, "");         \
	} while (0)
#define INVALID(t, set, msg)                              \
	do {                                              \
		assert_int_equal(check(t, set), -EINVAL); \
		assert_string_equal(why, msg);            \
	} while (0)
#define MALFORMED(t, set, msg)                             \
	do {                                               \
		assert_int_equal(check(t, set), -EBADMSG); \
		assert_string_equal(why, msg);             \
	} while (0)

/* A valid value for F's check. */
static const char *
good_value(const struct proto_type_field *f)
{
	switch (f->check) {
	case PROTO_CHECK_PORT:
		return "443";
	case PROTO_CHECK_ENUM:
		return f->values[0];
	case PROTO_CHECK_BOOL:
		return "true";
	default:
		return "v";
	}
}

/* T's fields, required ones only or all, sorted by key (as the wire
 * wants), each with a good value. */
static struct proto_bytes
registry_set(const struct proto_type *t, bool all)
{
	const struct proto_type_field *sorted[16], *tmp;
	size_t n = 0, i, j;

	for (i = 0; i < t->n_fields; i++)
		if (all || (t->fields[i].flags & PROTO_FIELD_REQUIRED) != 0)
			sorted[n++] = &t->fields[i];
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(sorted[j - 1]->name, sorted[j]->name) > 0; j--) {
			tmp = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = tmp;
		}
	wstart();
	for (i = 0; i < n; i++)
		proto_put_typed_field(&bw, sorted[i]->name, strlen(sorted[i]->name),
				      good_value(sorted[i]), strlen(good_value(sorted[i])));
	return wbody();
}

static void
test_every_type(void **state)
{
	const struct proto_type *t;
	size_t i;

	(void)state;
	for (i = 1; (t = proto_type_at(i)) != NULL; i++) {
		ACCEPTS(t->name, registry_set(t, false));
		ACCEPTS(t->name, registry_set(t, true));
	}
	/* generic has no fields, and no type none */
	assert_int_equal(check("generic", SET({"value", "x"})), -EINVAL);
	assert_string_equal(why, "generic secrets have no fields");
	assert_int_equal(proto_typed_check(NULL, SET({"value", "x"}), why, sizeof(why)), -EINVAL);
}

static void
test_required(void **state)
{
	(void)state;
	INVALID("postgresql", SET({"database", "d"}, {"password", "p"}, {"username", "u"}),
		"missing required field \"host\"");
	/* the port has a default, the sslmode is optional */
	ACCEPTS("postgresql",
		SET({"database", "d"}, {"host", "h"}, {"password", "p"}, {"username", "u"}));
	INVALID("postgresql", SET({"database", "d"}, {"host", "h"}, {"username", "u"}),
		"missing required field \"password\"");
	INVALID("mysql", SET({"host", "h"}, {"password", "p"}, {"username", "u"}),
		"missing required field \"database\"");
	INVALID("api_key", SET({"key", "k"}), "missing required field \"provider\"");
	INVALID("api_key", SET({"provider", "openai"}), "missing required field \"key\"");
	ACCEPTS("sqlite", SET({"path", "/var/db/x.db"}));
	INVALID("sqlite", SET({"key", "k"}), "missing required field \"path\"");
	ACCEPTS("password", SET({"password", "p"}));
	INVALID("password", SET({"username", "u"}), "missing required field \"password\"");
	ACCEPTS("oauth2", SET({"access_token", "t"}));
	INVALID("oauth2", SET({"refresh_token", "t"}), "missing required field \"access_token\"");
	INVALID("google_service_account",
		SET({"client_email", "e"}, {"private_key", "k"}, {"private_key_id", "i"},
		    {"project_id", "p"}),
		"missing required field \"token_uri\"");
	INVALID("snowflake",
		SET({"account", "a"}, {"database", "d"}, {"password", "p"}, {"username", "u"}),
		"missing required field \"warehouse\"");
	/* the first rule broken in the type's field order is reported:
	 * host (missing) before port (bad) */
	INVALID("postgresql",
		SET({"database", "d"}, {"password", "p"}, {"port", "0"}, {"username", "u"}),
		"missing required field \"host\"");
	INVALID("postgresql",
		SET({"database", "d"}, {"host", ""}, {"password", "p"}, {"port", "0"},
		    {"username", "u"}),
		"field \"host\": empty");
}

/* postgresql with PORT as the port. */
static struct proto_bytes
pg_port(const char *port, size_t len)
{
	wstart();
	proto_put_typed_field(&bw, "database", 8, "d", 1);
	proto_put_typed_field(&bw, "host", 4, "h", 1);
	proto_put_typed_field(&bw, "password", 8, "p", 1);
	proto_put_typed_field(&bw, "port", 4, port, len);
	proto_put_typed_field(&bw, "username", 8, "u", 1);
	return wbody();
}

static void
test_port(void **state)
{
	static const char *const good[] = {"1", "22", "443", "3306", "5432", "65535", "9"};
	static const char *const bad[] = {"",	   "0",	     "00",    "05432", "65536", "65540",
					  "99999", "100000", "+5432", "-1",    " 5432", "5432 ",
					  "5432a", "0x10",   "5e3",   "1.0",   "٣",	    "SECRET"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ACCEPTS("postgresql", pg_port(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		INVALID("postgresql", pg_port(bad[i], strlen(bad[i])),
			"field \"port\": not a port number (1-65535)");
		INVALID("mysql", pg_port(bad[i], strlen(bad[i])),
			"field \"port\": not a port number (1-65535)");
	}
	INVALID("postgresql", pg_port("54\0" "32", 5), "field \"port\": not a port number (1-65535)");
}

static void
test_enum_and_bool(void **state)
{
	static const char *const providers[] = {"gemini", "openai", "anthropic",
						"openrouter", "groq", "other"};
	static const char *const bad[] = {"", "OpenAI", "openai ", " openai", "open", "openai\n",
					  "gemini,openai", "x"};
	static const char *const sslmodes[] = {"disable", "allow", "prefer", "require",
					       "verify-ca", "verify-full"};
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		ACCEPTS("api_key", SET({"key", "k"}, {"provider", providers[i]}));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		INVALID("api_key", SET({"key", "k"}, {"provider", bad[i]}),
			"field \"provider\": not one of gemini, openai, anthropic, openrouter, "
			"groq, other");
	for (i = 0; i < 6; i++)
		ACCEPTS("postgresql", SET({"database", "d"}, {"host", "h"}, {"password", "p"},
					  {"sslmode", sslmodes[i]}, {"username", "u"}));
	INVALID("postgresql",
		SET({"database", "d"}, {"host", "h"}, {"password", "p"}, {"sslmode", "VERIFY-FULL"},
		    {"username", "u"}),
		"field \"sslmode\": not one of disable, allow, prefer, require, verify-ca, "
		"verify-full");
	ACCEPTS("mysql", SET({"database", "d"}, {"host", "h"}, {"password", "p"}, {"ssl", "true"},
			     {"username", "u"}));
	ACCEPTS("mysql", SET({"database", "d"}, {"host", "h"}, {"password", "p"}, {"ssl", "false"},
			     {"username", "u"}));
	INVALID("mysql",
		SET({"database", "d"}, {"host", "h"}, {"password", "p"}, {"ssl", "TRUE"},
		    {"username", "u"}),
		"field \"ssl\": not one of true, false");
	INVALID("mysql",
		SET({"database", "d"}, {"host", "h"}, {"password", "p"}, {"ssl", "1"},
		    {"username", "u"}),
		"field \"ssl\": not one of true, false");
	/* sslmode is postgresql's: for mysql an unknown field, kept as is */
	ACCEPTS("mysql", SET({"database", "d"}, {"host", "h"}, {"password", "p"},
			     {"sslmode", "nonsense"}, {"username", "u"}));
}

/* password with a username of LEN bytes at P. */
static struct proto_bytes
user(const char *p, size_t len)
{
	wstart();
	proto_put_typed_field(&bw, "password", 8, "pw", 2);
	proto_put_typed_field(&bw, "username", 8, p, len);
	return wbody();
}

#define USER(s) user(s, sizeof(s) - 1)

static void
test_text(void **state)
{
	static const char *const bad_text = "field \"username\": not UTF-8 text without control "
					    "characters";

	(void)state;
	ACCEPTS("password", USER("a"));
	ACCEPTS("password", USER("alice smith"));
	ACCEPTS("password", USER("caf\xc3\xa9"));
	ACCEPTS("password", USER("\xe6\x97\xa5\xe6\x9c\xac"));
	ACCEPTS("password", USER("\xf0\x9f\x98\x80"));
	ACCEPTS("password", USER("\xef\xbf\xbf"));
	ACCEPTS("password", USER("\xf4\x8f\xbf\xbf"));
	ACCEPTS("password", USER("~!@#$%^&*()_+{}|:\"<>?"));
	INVALID("password", USER(""), "field \"username\": empty");
	INVALID("password", USER("a\nb"), bad_text);
	INVALID("password", USER("a\tb"), bad_text);
	INVALID("password", USER("a\rb"), bad_text);
	INVALID("password", USER("\x01"), bad_text);
	INVALID("password", USER("\x1f"), bad_text);
	INVALID("password", USER("\x7f"), bad_text);
	INVALID("password", USER("a\0b"), bad_text);
	INVALID("password", USER("\x80"), bad_text);
	INVALID("password", USER("\xbf"), bad_text);
	INVALID("password", USER("\xff"), bad_text);
	INVALID("password", USER("\xc0\x80"), bad_text);          /* overlong NUL */
	INVALID("password", USER("\xc1\xbf"), bad_text);          /* overlong */
	INVALID("password", USER("\xe0\x80\xaf"), bad_text);      /* overlong '/' */
	INVALID("password", USER("\xed\xa0\x80"), bad_text);      /* surrogate */
	INVALID("password", USER("\xf0\x80\x80\xaf"), bad_text);  /* overlong */
	INVALID("password", USER("\xf4\x90\x80\x80"), bad_text);  /* past U+10FFFF */
	INVALID("password", USER("\xf5\x80\x80\x80"), bad_text);
	INVALID("password", USER("caf\xc3"), bad_text);           /* cut short */
	INVALID("password", USER("\xe2\x82"), bad_text);
	INVALID("password", USER("\xe2\x28\xa1"), bad_text);
	/* secret and BYTES fields take any bytes, none included */
	ACCEPTS("password", SET({"password", ""}));
	wstart();
	proto_put_typed_field(&bw, "password", 8, "\0\n\xff\x7f", 4);
	ACCEPTS("password", wbody());
}

/* WHY: never longer than asked for, always terminated, never a value. */
static void
test_why(void **state)
{
	struct proto_bytes set = pg_port("SECRETVALUE", 11);
	char small[8];

	(void)state;
	INVALID("postgresql", set, "field \"port\": not a port number (1-65535)");
	assert_null(strstr(why, "SECRET"));
	INVALID("password", USER("hunter2\n"), "field \"username\": not UTF-8 text without "
					       "control characters");
	assert_null(strstr(why, "hunter2"));
	set = pg_port("SECRETVALUE", 11); /* USER() wrote over it */
	memset(small, 'X', sizeof(small));
	assert_int_equal(proto_typed_check(type("postgresql"), set, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "field \"");
	assert_int_equal(proto_typed_check(type("postgresql"), set, small, 1), -EINVAL);
	assert_string_equal(small, "");
	assert_int_equal(proto_typed_check(type("postgresql"), set, NULL, 0), -EINVAL);
	/* accepted: WHY is empty */
	memset(small, 'X', sizeof(small));
	assert_int_equal(proto_typed_check(type("postgresql"), pg_port("5432", 4), small,
					   sizeof(small)),
			 0);
	assert_string_equal(small, "");
}

/* ---- malformed field sets ---- */

static void
put_field_raw(uint8_t tag, uint8_t kind, const void *p, size_t len)
{
	buf_put_u8(&bw, tag);
	buf_put_u8(&bw, kind);
	buf_put_u32(&bw, (uint32_t)len);
	buf_put_bytes(&bw, p, len);
}

/* One FIELD group holding CONTENT (built in a scratch writer). */
static void
put_group_raw(uint8_t kind, const uint8_t *content, size_t len)
{
	put_field_raw(PROTO_TAG_FIELD, kind, content, len);
}

static uint8_t scratch[512];

static size_t
inner(uint8_t ktag, uint8_t kkind, const char *k, uint8_t vtag, uint8_t vkind, const char *v)
{
	struct buf_writer w;

	buf_writer_init(&w, scratch, sizeof(scratch));
	buf_put_u8(&w, ktag);
	buf_put_u8(&w, kkind);
	buf_put_u32(&w, (uint32_t)strlen(k));
	buf_put_bytes(&w, k, strlen(k));
	if (v != NULL) {
		buf_put_u8(&w, vtag);
		buf_put_u8(&w, vkind);
		buf_put_u32(&w, (uint32_t)strlen(v));
		buf_put_bytes(&w, v, strlen(v));
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return w.len;
}

#define K PROTO_TAG_FIELD_KEY
#define V PROTO_TAG_FIELD_VALUE
#define KS PROTO_KIND_STRING
#define VB PROTO_KIND_BYTES

/* "password" = p, then one malformed group. */
static struct proto_bytes
pw_then(size_t n)
{
	uint8_t g[512];

	memcpy(g, scratch, n);
	wstart();
	proto_put_typed_field(&bw, "password", 8, "p", 1);
	put_group_raw(PROTO_KIND_GROUP, g, n);
	return wbody();
}

static void
test_malformed_groups(void **state)
{
	static const char *const bad_keys[] = {"Host", "ho-st", "ho st", "h\xc3\xa9", "a.b", "A",
					       "x\n"};
	static const char *const runs_past = "a field runs past the end of the field set";
	static const char *const no_key = "a FIELD group without a FIELD_KEY";
	char key65[66];
	size_t i, n;

	(void)state;
	MALFORMED("password", B(""), "no fields");
	/* a key: 1-64 of [a-z0-9_] */
	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
		MALFORMED("password", pw_then(inner(K, KS, bad_keys[i], V, VB, "v")),
			  "a field key that is not 1-64 bytes of [a-z0-9_]");
	MALFORMED("password", pw_then(inner(K, KS, "", V, VB, "v")),
		  "a field key that is not 1-64 bytes of [a-z0-9_]");
	memset(key65, 'z', 65);
	key65[65] = '\0';
	MALFORMED("password", pw_then(inner(K, KS, key65, V, VB, "v")),
		  "a field key that is not 1-64 bytes of [a-z0-9_]");
	key65[64] = '\0';
	ACCEPTS("password", pw_then(inner(K, KS, key65, V, VB, "v")));
	ACCEPTS("password", pw_then(inner(K, KS, "z_0_9", V, VB, "v")));
	/* wrong kinds and tags inside the group */
	MALFORMED("password", pw_then(inner(K, VB, "zz", V, VB, "v")), no_key);
	MALFORMED("password", pw_then(inner(V, VB, "zz", K, KS, "v")), no_key);
	MALFORMED("password", pw_then(inner(K, KS, "zz", V, KS, "v")),
		  "field \"zz\": not FIELD_KEY then FIELD_VALUE");
	MALFORMED("password", pw_then(inner(K, KS, "zz", K, KS, "v")),
		  "field \"zz\": not FIELD_KEY then FIELD_VALUE");
	MALFORMED("password", pw_then(inner(K, KS, "zz", PROTO_TAG_VALUE, VB, "v")),
		  "field \"zz\": not FIELD_KEY then FIELD_VALUE");
	MALFORMED("password", pw_then(inner(K, KS, "zz", V, VB, NULL)), "field \"zz\": no FIELD_VALUE");
	MALFORMED("password", pw_then(0), no_key);
	/* something after FIELD_VALUE in the group */
	n = inner(K, KS, "zz", V, VB, "v");
	scratch[n++] = 0;
	MALFORMED("password", pw_then(n), "field \"zz\": not FIELD_KEY then FIELD_VALUE");
	/* a group whose FIELD_KEY runs past it */
	n = inner(K, KS, "zz", V, VB, "v");
	MALFORMED("password", pw_then(3), no_key);
	MALFORMED("password", pw_then(n - 1), "field \"zz\": not FIELD_KEY then FIELD_VALUE");
	/* not a FIELD group at all */
	wstart();
	proto_put_typed_field(&bw, "password", 8, "p", 1);
	put_field_raw(PROTO_TAG_FIELD, PROTO_KIND_BYTES, scratch, n);
	MALFORMED("password", wbody(), "not a FIELD group");
	wstart();
	put_field_raw(PROTO_TAG_VALUE, PROTO_KIND_GROUP, scratch, n);
	MALFORMED("password", wbody(), "not a FIELD group");
	/* a generic value is no field set */
	MALFORMED("password", B("hunter2"), runs_past);
}

static void
test_malformed_order(void **state)
{
	static uint8_t copy[BUF_MAX];
	struct proto_bytes b;
	size_t k;

	(void)state;
	MALFORMED("postgresql", SET({"host", "h"}, {"database", "d"}),
		  "field \"database\": keys not in ascending order");
	MALFORMED("postgresql", SET({"host", "h"}, {"host", "h"}), "duplicate field \"host\"");
	MALFORMED("postgresql", SET({"host", "h"}, {"host", "i"}), "duplicate field \"host\"");
	/* a proper prefix sorts first; bytewise, '_' (0x5f) before 'a' */
	ACCEPTS("password", SET({"pass", "x"}, {"password", "p"}, {"password_2", "y"}));
	MALFORMED("password", SET({"password", "p"}, {"pass", "x"}),
		  "field \"pass\": keys not in ascending order");
	ACCEPTS("password", SET({"a_", "x"}, {"aa", "y"}, {"password", "p"}));
	MALFORMED("password", SET({"aa", "y"}, {"a_", "x"}, {"password", "p"}),
		  "field \"a_\": keys not in ascending order");
	ACCEPTS("password", SET({"a9", "x"}, {"a_", "y"}, {"password", "p"}));
	/* trailing bytes: a cut header, a field longer than what is left, an
	 * empty FIELD group, a field of another tag */
	b = SET({"host", "h"}, {"password", "p"});
	memcpy(copy, b.ptr, b.len);
	for (k = 1; k <= PROTO_FIELD_HDR + 2; k++) {
		memset(copy + b.len, 0, k);
		copy[b.len] = PROTO_TAG_FIELD;
		if (k > 1)
			copy[b.len + 1] = PROTO_KIND_GROUP;
		if (k >= PROTO_FIELD_HDR)
			copy[b.len + 5] = 3; /* 3 bytes of content declared */
		MALFORMED("password", ((struct proto_bytes){copy, b.len + k}),
			  "a field runs past the end of the field set");
	}
	copy[b.len + 5] = 0;
	MALFORMED("password", ((struct proto_bytes){copy, b.len + PROTO_FIELD_HDR}),
		  "a FIELD group without a FIELD_KEY");
	copy[b.len] = PROTO_TAG_MESSAGE;
	copy[b.len + 1] = PROTO_KIND_STRING;
	MALFORMED("password", ((struct proto_bytes){copy, b.len + PROTO_FIELD_HDR}),
		  "not a FIELD group");
	/* cut anywhere inside: malformed, but for the cut after the first
	 * field, which leaves a well-formed set without a password */
	for (k = 1; k < b.len; k++)
		assert_int_equal(check("password", (struct proto_bytes){b.ptr, k}),
				 k == 3 * PROTO_FIELD_HDR + 4 + 1 ? -EINVAL : -EBADMSG);
}

/* 1 to 64 fields; 65 is too many. */
static void
test_field_count(void **state)
{
	char key[8];
	struct proto_bytes v;
	unsigned i, n;

	(void)state;
	for (n = 1; n <= PROTO_TYPED_FIELDS_MAX + 1; n++) {
		wstart();
		for (i = 0; i + 1 < n; i++) {
			snprintf(key, sizeof(key), "k%02u", i);
			proto_put_typed_field(&bw, key, 3, "v", 1);
		}
		proto_put_typed_field(&bw, "password", 8, "p", 1);
		if (n <= PROTO_TYPED_FIELDS_MAX) {
			ACCEPTS("password", wbody());
			assert_int_equal(proto_typed_get(wbody(), "password", 8, &v), 1);
		} else {
			MALFORMED("password", wbody(), "more than 64 fields");
			assert_int_equal(proto_typed_get(wbody(), "password", 8, &v), -EBADMSG);
		}
	}
}

/* ---- get, put, decode ---- */

static void
test_get_put(void **state)
{
	static uint8_t vals[64][32];
	struct proto_bytes set, v, k, val;
	struct proto_list_span span;
	struct proto_iter it;
	struct buf_writer w;
	char key[8];
	bool has;
	size_t i, j;

	(void)state;
	/* values of any bytes, NUL and 0xff included, of every length */
	wstart();
	for (i = 0; i < 64; i++) {
		for (j = 0; j < i % 32; j++)
			vals[i][j] = (uint8_t)(i * 7 + j * 13);
		snprintf(key, sizeof(key), "f_%02zu", i);
		proto_put_typed_field(&bw, key, strlen(key), vals[i], i % 32);
	}
	set = wbody();
	for (i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "f_%02zu", i);
		assert_int_equal(proto_typed_get(set, key, strlen(key), &v), 1);
		assert_int_equal(v.len, i % 32);
		if (v.len > 0)
			assert_memory_equal(v.ptr, vals[i], v.len);
	}
	/* absent keys, prefixes and extensions of present ones */
	assert_int_equal(proto_typed_get(set, "f_6", 3, &v), 0);
	assert_int_equal(proto_typed_get(set, "f_000", 5, &v), 0);
	assert_int_equal(proto_typed_get(set, "F_00", 4, &v), 0);
	assert_int_equal(proto_typed_get(set, NULL, 0, &v), 0);
	/* walked with proto_iter, group by group */
	span = (struct proto_list_span){set, 0};
	proto_iter_init(&it, &span);
	for (i = 0; proto_iter_next(&it, &v) == 1; i++) {
		assert_int_equal(proto_decode_typed_field(v, &k, &val, &has), 0);
		assert_true(has);
		assert_int_equal(val.len, i % 32);
		snprintf(key, sizeof(key), "f_%02zu", i);
		assert_int_equal(k.len, strlen(key));
		assert_memory_equal(k.ptr, key, k.len);
	}
	assert_int_equal(i, 64);
	/* malformed: -EBADMSG, *ret untouched */
	v = B("untouched");
	assert_int_equal(proto_typed_get(B("hunter2"), "password", 8, &v), -EBADMSG);
	assert_int_equal(proto_typed_get((struct proto_bytes){NULL, 0}, "password", 8, &v),
			 -EBADMSG);
	assert_int_equal(proto_typed_get(SET({"b", "1"}, {"a", "2"}), "a", 1, &v), -EBADMSG);
	assert_bytes(v, B("untouched"));
	/* a masked field (key alone) belongs in an INFO reply, not a set */
	wstart();
	proto_put_masked_field(&bw, "password", 8);
	assert_int_equal(proto_typed_get(wbody(), "password", 8, &v), -EBADMSG);
	MALFORMED("password", wbody(), "field \"password\": no FIELD_VALUE");
	/* the sizes written */
	buf_writer_init(&w, NULL, 0);
	proto_put_typed_field(&w, "host", 4, "db", 2);
	assert_int_equal(w.len, 3 * PROTO_FIELD_HDR + 4 + 2);
	buf_writer_init(&w, NULL, 0);
	proto_put_masked_field(&w, "host", 4);
	assert_int_equal(w.len, 2 * PROTO_FIELD_HDR + 4);
	buf_writer_init(&w, scratch, 3 * PROTO_FIELD_HDR + 5);
	proto_put_typed_field(&w, "host", 4, "db", 2);
	assert_int_equal(buf_writer_error(&w), -ENOSPC);
}

static void
test_decode_field(void **state)
{
	struct proto_bytes k, v;
	bool has = true;

	(void)state;
	assert_int_equal(proto_decode_typed_field(
				 (struct proto_bytes){scratch, inner(K, KS, "host", V, VB, "h")}, &k,
				 &v, &has),
			 0);
	assert_bytes(k, B("host"));
	assert_bytes(v, B("h"));
	assert_true(has);
	assert_int_equal(proto_decode_typed_field(
				 (struct proto_bytes){scratch, inner(K, KS, "host", V, VB, NULL)}, &k,
				 &v, &has),
			 0);
	assert_bytes(k, B("host"));
	assert_int_equal(v.len, 0);
	assert_false(has);
	assert_int_equal(proto_decode_typed_field(
				 (struct proto_bytes){scratch, inner(K, KS, "Host", V, VB, "h")}, &k,
				 &v, &has),
			 -EBADMSG);
	assert_int_equal(proto_decode_typed_field(
				 (struct proto_bytes){scratch, inner(K, KS, "host", V, KS, "h")}, &k,
				 &v, &has),
			 -EBADMSG);
	assert_int_equal(proto_decode_typed_field(
				 (struct proto_bytes){scratch, inner(V, VB, "host", K, KS, "h")}, &k,
				 &v, &has),
			 -EBADMSG);
	assert_int_equal(proto_decode_typed_field((struct proto_bytes){NULL, 0}, &k, &v, &has),
			 -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_enum_and_bool),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_malformed_groups),
		cmocka_unit_test(test_malformed_order),
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_decode_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
