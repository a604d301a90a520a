/* SPDX-License-Identifier: MIT */
/*
 * libcred's typed secrets: the registry helpers agree with proto/'s
 * table; field sets build, encode (in proto/'s wire form, which
 * proto_typed_check() accepts) and decode back, malformed ones refused;
 * the URI and environment renderers percent-encode and quote as cred(1)
 * documents; and, against the fake agent of libcred-fake.h, one field
 * of a GET, INFO's masked fields and verify result, LIST's verify
 * statuses and the UNVERIFIED flag, and a typed PUT.
 */

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"
#include "tests/unit/libcred-fake.h"
#include "tests/unit/libcred-fixture.h"

/* A set from NULL-terminated KEY, VALUE pairs of C strings. */
static struct cred_fields *
fields_of(const char *const *kv)
{
	struct cred_fields *f = NULL;
	size_t i;

	assert_int_equal(cred_fields_new(&f), 0);
	for (i = 0; kv[i] != NULL; i += 2)
		assert_int_equal(cred_fields_set(f, kv[i], kv[i + 1], strlen(kv[i + 1])), 0);
	return f;
}

static void
assert_field(const struct cred_fields *f, const char *key, const char *type, const char *want)
{
	const uint8_t *p = NULL;
	size_t n = 0;

	assert_int_equal(cred_fields_get(f, key, type, &p, &n), 1);
	assert_non_null(p);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* ---- the registry ---- */

static void
test_registry(void **state)
{
	static const char *const types[] = {"generic", "password", "api_key", "oauth2",
	                                    "google_service_account", "postgresql", "mysql",
	                                    "snowflake", "sqlite"};
	static const char *const primaries[] = {"value",       "password", "key",
	                                        "access_token", "private_key", "password",
	                                        "password",    "password", "key"};
	struct cred_type_field tf;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_string_equal(cred_type_at(i), types[i]);
		assert_int_equal(cred_type_known(types[i]), 1);
		assert_string_equal(cred_type_primary(types[i]), primaries[i]);
	}
	assert_null(cred_type_at(i));
	assert_int_equal(cred_type_known("nosuch"), 0);
	assert_int_equal(cred_type_known(NULL), 0);
	assert_null(cred_type_primary("nosuch"));

	assert_int_equal(cred_type_lookup("postgresql", "port", &tf), 1);
	assert_string_equal(tf.name, "port");
	assert_string_equal(tf.def, "5432");
	assert_int_equal(tf.check, CRED_CHECK_PORT);
	assert_int_equal(tf.flags & CRED_FIELD_REQUIRED, 0);
	assert_int_equal(cred_type_lookup("mysql", "port", &tf), 1);
	assert_string_equal(tf.def, "3306");
	assert_int_equal(cred_type_lookup("postgresql", "password", &tf), 1);
	assert_int_equal(tf.flags, CRED_FIELD_REQUIRED | CRED_FIELD_SECRET);
	assert_int_equal(cred_type_lookup("postgresql", "sslmode", &tf), 1);
	assert_int_equal(tf.check, CRED_CHECK_ENUM);
	assert_string_equal(tf.values[0], "disable");
	assert_int_equal(cred_type_lookup("mysql", "ssl", &tf), 1);
	assert_int_equal(tf.check, CRED_CHECK_BOOL);
	assert_null(tf.values);
	assert_int_equal(cred_type_lookup("oauth2", "refresh_token", &tf), 1);
	assert_int_equal(tf.flags, CRED_FIELD_SECRET);
	assert_int_equal(cred_type_lookup("sqlite", "key", &tf), 1);
	assert_int_equal(tf.flags, CRED_FIELD_SECRET); /* an optional primary */
	assert_int_equal(cred_type_lookup("postgresql", "nope", NULL), 0);
	assert_int_equal(cred_type_lookup("nosuch", "port", NULL), 0);

	/* Fields in the table's order. */
	assert_int_equal(cred_type_field_at("postgresql", 0, &tf), 1);
	assert_string_equal(tf.name, "host");
	assert_int_equal(cred_type_field_at("postgresql", 5, &tf), 1);
	assert_string_equal(tf.name, "sslmode");
	assert_int_equal(cred_type_field_at("postgresql", 6, &tf), 0);
	assert_int_equal(cred_type_field_at("nosuch", 0, &tf), 0);

	assert_string_equal(cred_verify_status_name(CRED_VERIFY_OK), "ok");
	assert_string_equal(cred_verify_status_name(CRED_VERIFY_FAILED), "failed");
	assert_null(cred_verify_status_name(CRED_VERIFY_NEVER));
	assert_null(cred_verify_status_name(3));
	assert_int_equal(CRED_VERIFY_OK, PROTO_VERIFY_OK);
	assert_int_equal(CRED_VERIFY_FAILED, PROTO_VERIFY_FAILED);
	assert_int_equal(CRED_LIST_UNVERIFIED, 4);
	assert_int_equal(CRED_FIELDS_MAX, PROTO_TYPED_FIELDS_MAX);
	assert_int_equal(CRED_FIELD_KEY_MAX, PROTO_FIELD_KEY_MAX);
}

/* ---- field sets ---- */

static void
test_fields_build(void **state)
{
	struct cred_fields *f = NULL;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(cred_fields_new(&f), 0);
	assert_int_equal(f->n, 0);
	/* Kept sorted whatever the order of setting. */
	assert_int_equal(cred_fields_set(f, "username", "u", 1), 0);
	assert_int_equal(cred_fields_set(f, "host", "h", 1), 0);
	assert_int_equal(cred_fields_set(f, "port", "1", 1), 0);
	assert_int_equal(cred_fields_set(f, "database", "d", 1), 0);
	assert_int_equal(f->n, 4);
	assert_string_equal(f->items[0].key, "database");
	assert_string_equal(f->items[1].key, "host");
	assert_string_equal(f->items[2].key, "port");
	assert_string_equal(f->items[3].key, "username");
	/* Replacing keeps one entry; values may hold any byte. */
	assert_int_equal(cred_fields_set(f, "port", "5\0" "4", 3), 0);
	assert_int_equal(f->n, 4);
	assert_int_equal(f->items[2].len, 3);
	assert_memory_equal(f->items[2].value, "5\0" "4", 4); /* and a NUL after */
	assert_int_equal(cred_fields_set(f, "empty", "", 0), 0);
	assert_field(f, "empty", NULL, "");

	/* Bad keys. */
	assert_int_equal(cred_fields_set(f, "Host", "x", 1), -CRED_E_USAGE);
	assert_int_equal(cred_fields_set(f, "", "x", 1), -CRED_E_USAGE);
	assert_int_equal(cred_fields_set(f, "a-b", "x", 1), -CRED_E_USAGE);
	assert_int_equal(cred_fields_set(f, "x", NULL, 1), -CRED_E_USAGE);

	/* Defaults count only with a type naming one. */
	assert_int_equal(cred_fields_unset(f, "port"), 1);
	assert_int_equal(cred_fields_unset(f, "port"), 0);
	assert_int_equal(cred_fields_get(f, "port", NULL, &p, &n), 0);
	assert_field(f, "port", "postgresql", "5432");
	assert_field(f, "port", "mysql", "3306");
	assert_int_equal(cred_fields_get(f, "sslmode", "postgresql", &p, &n), 0);
	assert_int_equal(cred_fields_get(f, NULL, NULL, &p, &n), -CRED_E_USAGE);
	cred_fields_free(f);
	cred_fields_free(NULL);
}

static void
test_fields_round_trip(void **state)
{
	static const char *const kv[] = {"username", "al ice", "password", "p\xff\x00w",
	                                 "host", "db", "database", "app", "sslmode", "require",
	                                 NULL};
	const struct proto_type *t = proto_type_lookup("postgresql", 10);
	struct cred_fields *f, *g = NULL;
	struct proto_bytes got;
	uint8_t *buf = NULL;
	size_t len = 0, i;
	char why[128];

	(void)state;
	f = fields_of(kv);
	/* A NUL inside a value: strlen took 2 bytes of "p\xff\0w". */
	assert_int_equal(cred_fields_set(f, "password", "p\xff\0w", 4), 0);
	assert_int_equal(cred_fields_encode(f, &buf, &len), 0);
	/* proto/'s own reader and checker accept it. */
	assert_int_equal(proto_typed_check(t, (struct proto_bytes){buf, len}, why, sizeof(why)),
	                 0);
	assert_int_equal(proto_typed_get((struct proto_bytes){buf, len}, "password", 8, &got), 1);
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.ptr, "p\xff\0w", 4);
	/* And back. */
	assert_int_equal(cred_fields_decode(buf, len, &g), 0);
	assert_int_equal(g->n, f->n);
	for (i = 0; i < f->n; i++) {
		assert_string_equal(g->items[i].key, f->items[i].key);
		assert_int_equal(g->items[i].len, f->items[i].len);
		assert_memory_equal(g->items[i].value, f->items[i].value, f->items[i].len);
		assert_int_equal(g->items[i].value[g->items[i].len], 0);
	}
	cred_buf_free(buf, len);
	cred_buf_free(NULL, 0);
	cred_fields_free(g);

	/* A set the agent would refuse still encodes: the agent checks. */
	assert_int_equal(cred_fields_unset(f, "host"), 1);
	assert_int_equal(cred_fields_encode(f, &buf, &len), 0);
	assert_int_equal(proto_typed_check(t, (struct proto_bytes){buf, len}, why, sizeof(why)),
	                 -EINVAL);
	assert_non_null(strstr(why, "host"));
	cred_buf_free(buf, len);
	cred_fields_free(f);
}

static void
test_fields_refused(void **state)
{
	struct cred_fields *f = NULL, *g = NULL;
	uint8_t wire[256], *buf = NULL;
	struct buf_writer w;
	char key[8];
	size_t len = 0, i;

	(void)state;
	/* Empty, masked, too many. */
	assert_int_equal(cred_fields_new(&f), 0);
	assert_int_equal(cred_fields_encode(f, &buf, &len), -CRED_E_USAGE);
	assert_int_equal(cred_fields_set(f, "a", "1", 1), 0);
	f->items[0].value[0] = 0;
	free(f->items[0].value);
	f->items[0].value = NULL; /* masked, as cred_info() gives them */
	assert_int_equal(cred_fields_encode(f, &buf, &len), -CRED_E_USAGE);
	cred_fields_free(f);
	assert_int_equal(cred_fields_new(&f), 0);
	for (i = 0; i < CRED_FIELDS_MAX; i++) {
		snprintf(key, sizeof(key), "k%02zu", i);
		assert_int_equal(cred_fields_set(f, key, "v", 1), 0);
	}
	assert_int_equal(cred_fields_set(f, "z", "v", 1), -CRED_E_USAGE);
	assert_int_equal(cred_fields_set(f, "k00", "w", 1), 0); /* replacing is fine */
	cred_fields_free(f);

	/* Decoding: not fields, empty, keys out of order, repeated, masked. */
	assert_int_equal(cred_fields_decode("garbage", 7, &g), -CRED_E_INVALID);
	assert_int_equal(cred_fields_decode("", 0, &g), -CRED_E_INVALID);
	buf_writer_init(&w, wire, sizeof(wire));
	proto_put_typed_field(&w, "b", 1, "1", 1);
	proto_put_typed_field(&w, "a", 1, "2", 1);
	assert_int_equal(cred_fields_decode(wire, w.len, &g), -CRED_E_INVALID);
	buf_writer_init(&w, wire, sizeof(wire));
	proto_put_typed_field(&w, "a", 1, "1", 1);
	proto_put_typed_field(&w, "a", 1, "2", 1);
	assert_int_equal(cred_fields_decode(wire, w.len, &g), -CRED_E_INVALID);
	buf_writer_init(&w, wire, sizeof(wire));
	proto_put_typed_field(&w, "a", 1, "1", 1);
	proto_put_masked_field(&w, "b", 1);
	assert_int_equal(cred_fields_decode(wire, w.len, &g), -CRED_E_INVALID);
	buf_writer_init(&w, wire, sizeof(wire));
	proto_put_typed_field(&w, "A", 1, "1", 1);
	assert_int_equal(cred_fields_decode(wire, w.len, &g), -CRED_E_INVALID);
	/* Trailing bytes after the last group. */
	buf_writer_init(&w, wire, sizeof(wire));
	proto_put_typed_field(&w, "a", 1, "1", 1);
	buf_put_u8(&w, 0);
	assert_int_equal(cred_fields_decode(wire, w.len, &g), -CRED_E_INVALID);
	/* "ab" after "a": ascending. */
	buf_writer_init(&w, wire, sizeof(wire));
	proto_put_typed_field(&w, "a", 1, "1", 1);
	proto_put_typed_field(&w, "ab", 2, "", 0);
	assert_int_equal(cred_fields_decode(wire, w.len, &g), 0);
	assert_int_equal(g->n, 2);
	assert_int_equal(g->items[1].len, 0);
	assert_non_null(g->items[1].value);
	cred_fields_free(g);
}

/* ---- URIs ---- */

static void
assert_uri(const char *type, const char *const *kv, const char *want)
{
	struct cred_fields *f = fields_of(kv);
	char *uri = NULL;

	assert_int_equal(cred_render_uri(type, f, &uri), 0);
	assert_string_equal(uri, want);
	cred_str_free(uri);
	cred_fields_free(f);
}

static void
test_uri_postgresql(void **state)
{
	static const char *const special[] = {
	        "username", "al:ice@x",
	        "password", "p@ss:w/rd?#% \xc3\xa9~-._",
	        "host", "db.example.com",
	        "database", "app db/1",
	        NULL};
	static const char *const full[] = {"username", "u", "password", "pw", "host", "h",
	                                   "port", "6543", "database", "d", "sslmode",
	                                   "verify-full", NULL};
	static const char *const v6[] = {"username", "u", "password", "pw", "host", "::1",
	                                 "database", "d", NULL};
	static const char *const zone[] = {"username", "u", "password", "pw", "host",
	                                   "fe80::1%eth0", "database", "d", NULL};
	static const char *const sock[] = {"username", "u", "password", "pw", "host",
	                                   "/var/run/postgresql", "database", "d", NULL};

	(void)state;
	/* Every reserved character, space and non-ASCII byte is %XX;
	 * unreserved - . _ ~ stay; the port defaults to 5432. */
	assert_uri("postgresql", special,
	           "postgresql://al%3Aice%40x:p%40ss%3Aw%2Frd%3F%23%25%20%C3%A9~-._"
	           "@db.example.com:5432/app%20db%2F1");
	assert_uri("postgresql", full, "postgresql://u:pw@h:6543/d?sslmode=verify-full");
	assert_uri("postgresql", v6, "postgresql://u:pw@[::1]:5432/d");
	assert_uri("postgresql", zone, "postgresql://u:pw@[fe80::1%25eth0]:5432/d");
	assert_uri("postgresql", sock, "postgresql://u:pw@%2Fvar%2Frun%2Fpostgresql:5432/d");
}

static void
test_uri_others(void **state)
{
	static const char *const my[] = {"username", "root", "password", "a b", "host",
	                                 "10.0.0.1", "database", "shop", "ssl", "true", NULL};
	static const char *const my2[] = {"username", "root", "password", "x", "host", "h",
	                                  "port", "3307", "database", "shop", NULL};
	static const char *const sf[] = {"username", "bob", "password", "p&w", "account",
	                                 "xy12345.eu-central-1", "database", "DB", "schema",
	                                 "PUBLIC", "warehouse", "WH 1", "role", "ANALYST",
	                                 NULL};
	static const char *const sf2[] = {"username", "bob", "password", "pw", "account", "acc",
	                                  "database", "DB", "warehouse", "WH", NULL};
	static const char *const lite[] = {"path", "/var/db/my app.db", "key", "k", NULL};

	(void)state;
	assert_uri("mysql", my, "mysql://root:a%20b@10.0.0.1:3306/shop?ssl=true");
	assert_uri("mysql", my2, "mysql://root:x@h:3307/shop");
	assert_uri("snowflake", sf,
	           "snowflake://bob:p%26w@xy12345.eu-central-1/DB/PUBLIC?warehouse=WH%201"
	           "&role=ANALYST");
	assert_uri("snowflake", sf2, "snowflake://bob:pw@acc/DB?warehouse=WH");
	assert_uri("sqlite", lite, "sqlite:////var/db/my%20app.db");
}

static void
test_uri_refused(void **state)
{
	static const char *const nohost[] = {"username", "u", "password", "pw", "database", "d",
	                                     NULL};
	static const char *const pg[] = {"username", "u", "password", "pw", "host", "h",
	                                 "database", "d", NULL};
	struct cred_fields *f;
	char *uri = NULL;

	(void)state;
	f = fields_of(nohost);
	assert_int_equal(cred_render_uri("postgresql", f, &uri), -CRED_E_INVALID);
	assert_int_equal(cred_render_uri("generic", f, &uri), -CRED_E_USAGE);
	assert_int_equal(cred_render_uri("api_key", f, &uri), -CRED_E_USAGE);
	assert_int_equal(cred_render_uri("nosuch", f, &uri), -CRED_E_USAGE);
	assert_int_equal(cred_render_uri(NULL, f, &uri), -CRED_E_USAGE);
	assert_null(uri);
	cred_fields_free(f);
	/* A masked password (metadata from cred_info) renders nothing. */
	f = fields_of(pg);
	free(f->items[2].value); /* "password" sorts third */
	assert_string_equal(f->items[2].key, "password");
	f->items[2].value = NULL;
	f->items[2].len = 0;
	assert_int_equal(cred_render_uri("postgresql", f, &uri), -CRED_E_INVALID);
	cred_fields_free(f);
}

/* ---- environment ---- */

static void
assert_var(const struct cred_env *e, size_t i, const char *name, const char *value)
{
	assert_true(i < e->n);
	assert_string_equal(e->items[i].name, name);
	assert_int_equal(e->items[i].len, strlen(value));
	assert_string_equal(e->items[i].value, value);
}

static void
test_env(void **state)
{
	static const char *const pg[] = {"username", "u", "password", "it's", "host", "h",
	                                 "database", "d", NULL};
	static const char *const my[] = {"username", "u", "password", "pw", "host", "h",
	                                 "database", "d", "ssl", "false", NULL};
	static const char *const key[] = {"provider", "anthropic", "key", "sk-1", NULL};
	static const char *const other[] = {"provider", "other", "key", "k", NULL};
	struct cred_fields *f;
	struct cred_env *e = NULL;
	char *lines = NULL;

	(void)state;
	f = fields_of(pg);
	assert_int_equal(cred_render_env("postgresql", f, &e), 0);
	assert_int_equal(e->n, 5);
	assert_var(e, 0, "PGHOST", "h");
	assert_var(e, 1, "PGPORT", "5432");
	assert_var(e, 2, "PGDATABASE", "d");
	assert_var(e, 3, "PGUSER", "u");
	assert_var(e, 4, "PGPASSWORD", "it's");
	assert_int_equal(cred_env_export(e, &lines), 0);
	assert_string_equal(lines, "export PGHOST='h'\nexport PGPORT='5432'\n"
	                           "export PGDATABASE='d'\nexport PGUSER='u'\n"
	                           "export PGPASSWORD='it'\\''s'\n");
	cred_str_free(lines);
	cred_env_free(e);
	assert_int_equal(cred_fields_set(f, "sslmode", "require", 7), 0);
	assert_int_equal(cred_render_env("postgresql", f, &e), 0);
	assert_var(e, 5, "PGSSLMODE", "require");
	cred_env_free(e);
	/* No environment carries a NUL. */
	assert_int_equal(cred_fields_set(f, "password", "a\0b", 3), 0);
	assert_int_equal(cred_render_env("postgresql", f, &e), -CRED_E_INVALID);
	assert_int_equal(cred_render_env("generic", f, &e), -CRED_E_USAGE);
	assert_int_equal(cred_render_env("password", f, &e), -CRED_E_USAGE);
	cred_fields_free(f);

	f = fields_of(my);
	assert_int_equal(cred_render_env("mysql", f, &e), 0);
	assert_int_equal(e->n, 5);
	assert_var(e, 0, "MYSQL_HOST", "h");
	assert_var(e, 1, "MYSQL_TCP_PORT", "3306");
	assert_var(e, 2, "MYSQL_DATABASE", "d");
	assert_var(e, 3, "MYSQL_USER", "u");
	assert_var(e, 4, "MYSQL_PWD", "pw");
	cred_env_free(e);
	cred_fields_free(f);

	f = fields_of(key);
	assert_int_equal(cred_render_env("api_key", f, &e), 0);
	assert_int_equal(e->n, 1);
	assert_var(e, 0, "ANTHROPIC_API_KEY", "sk-1");
	cred_env_free(e);
	cred_fields_free(f);
	f = fields_of(other);
	assert_int_equal(cred_render_env("api_key", f, &e), 0);
	assert_var(e, 0, "API_KEY", "k");
	/* Quoting: every ' closes, is escaped, reopens. */
	free(e->items[0].value);
	e->items[0].value = strdup("'a''b'");
	e->items[0].len = 6;
	assert_int_equal(cred_env_export(e, &lines), 0);
	assert_string_equal(lines, "export API_KEY=''\\''a'\\'''\\''b'\\'''\n");
	cred_str_free(lines);
	cred_env_free(e);
	cred_env_free(NULL);
	cred_fields_free(f);
}

/* ---- against the fake agent ---- */

static void
test_get_field(void **state)
{
	struct fixture *fx = *state;
	struct cred_value *v = NULL, *fv = NULL;

	assert_int_equal(cred_get_field(fx->c, "db/main", 0, NULL, &v), 0);
	assert_int_equal(v->len, strlen(FAKE_PG_PASSWORD));
	assert_memory_equal(v->data, FAKE_PG_PASSWORD, v->len);
	assert_string_equal(v->type, "postgresql");
	assert_int_equal(v->version, 2);
	cred_value_free(v);
	assert_int_equal(cred_get_field(fx->c, "db/main", 0, "username", &v), 0);
	assert_string_equal((char *)v->data, FAKE_PG_USER);
	cred_value_free(v);
	/* A default counts. */
	assert_int_equal(cred_get_field(fx->c, "db/main", 0, "port", &v), 0);
	assert_string_equal((char *)v->data, "5432");
	cred_value_free(v);
	v = NULL;
	assert_int_equal(cred_get_field(fx->c, "db/main", 0, "nope", &v), -CRED_E_NOT_FOUND);
	assert_string_equal(cred_message(fx->c), "no field nope");
	assert_null(v);
	assert_int_equal(cred_get_field(fx->c, "db/broken", 0, NULL, &v), -CRED_E_INVALID);
	assert_int_equal(cred_get_field(fx->c, "db/gone", 0, NULL, &v), -CRED_E_NOT_FOUND);
	assert_string_equal(cred_message(fx->c), "not found");

	/* Generic: the value, field "value" or none. */
	assert_int_equal(cred_get_field(fx->c, "app/token", 0, NULL, &v), 0);
	assert_int_equal(v->len, sizeof(SECRET) - 1);
	assert_memory_equal(v->data, SECRET, v->len);
	assert_int_equal(cred_value_field(v, "value", &fv), 0);
	assert_int_equal(fv->len, v->len);
	cred_value_free(fv);
	assert_int_equal(cred_value_field(v, "key", &fv), -CRED_E_NOT_FOUND);
	cred_value_free(v);
	assert_int_equal(cred_get_field(fx->c, "app/token", 0, "password", &v), -CRED_E_NOT_FOUND);
	assert_string_equal(cred_message(fx->c), "no field password");

	/* The whole value, then fields of it, decoded by the caller. */
	assert_int_equal(cred_get(fx->c, "db/key", 0, &v), 0);
	assert_int_equal(cred_value_field(v, NULL, &fv), 0);
	assert_string_equal((char *)fv->data, "sk-'x'");
	cred_value_free(fv);
	cred_value_free(v);
}

static void
test_get_render(void **state)
{
	struct fixture *fx = *state;
	struct cred_fields *f = NULL;
	struct cred_value *v = NULL;
	struct cred_env *e = NULL;
	char *uri = NULL, *lines = NULL;

	assert_int_equal(cred_get(fx->c, "db/main", 0, &v), 0);
	assert_int_equal(cred_fields_decode(v->data, v->len, &f), 0);
	assert_int_equal(cred_render_uri(v->type, f, &uri), 0);
	assert_string_equal(uri, "postgresql://al%3Aice:p%40ss%3Aw%2Frd%3F%23%25%20%C3%A9"
	                         "@db.example.com:5432/app%20db%2F1?sslmode=require");
	cred_str_free(uri);
	cred_fields_free(f);
	cred_value_free(v);

	assert_int_equal(cred_get(fx->c, "db/v6", 0, &v), 0);
	assert_int_equal(cred_fields_decode(v->data, v->len, &f), 0);
	assert_int_equal(cred_render_uri(v->type, f, &uri), 0);
	assert_string_equal(uri, "postgresql://u:pw@[::1]:6543/d");
	cred_str_free(uri);
	cred_fields_free(f);
	cred_value_free(v);

	assert_int_equal(cred_get(fx->c, "db/key", 0, &v), 0);
	assert_int_equal(cred_fields_decode(v->data, v->len, &f), 0);
	assert_int_equal(cred_render_env(v->type, f, &e), 0);
	assert_int_equal(cred_env_export(e, &lines), 0);
	assert_string_equal(lines, "export OPENAI_API_KEY='sk-'\\''x'\\'''\n");
	cred_str_free(lines);
	cred_env_free(e);
	cred_fields_free(f);
	cred_value_free(v);
}

static void
test_info_typed(void **state)
{
	struct fixture *fx = *state;
	struct cred_info *i = NULL;
	const uint8_t *p;
	size_t n;

	assert_int_equal(cred_info(fx->c, "db/main", &i), 0);
	assert_string_equal(i->type, "postgresql");
	assert_non_null(i->fields);
	assert_int_equal(i->fields->n, 5);
	assert_field(i->fields, "host", NULL, FAKE_PG_HOST);
	assert_field(i->fields, "database", NULL, FAKE_PG_DATABASE);
	assert_field(i->fields, "sslmode", NULL, FAKE_PG_SSLMODE);
	/* The secret field: its key, no value. */
	assert_int_equal(cred_fields_get(i->fields, "password", NULL, &p, &n), 1);
	assert_null(p);
	assert_int_equal(n, 0);
	assert_field(i->fields, "port", "postgresql", "5432");
	assert_int_equal(i->verify_status, CRED_VERIFY_OK);
	assert_int_equal(i->verify_time, 1700000600);
	assert_string_equal(i->verify_message, "SELECT 1 ok in 12 ms");
	cred_info_free(i);

	assert_int_equal(cred_info(fx->c, "db/failed", &i), 0);
	assert_null(i->fields);
	assert_int_equal(i->verify_status, CRED_VERIFY_FAILED);
	assert_int_equal(i->verify_time, 1700000700);
	assert_null(i->verify_message);
	cred_info_free(i);

	/* Older replies: no fields, never verified. */
	assert_int_equal(cred_info(fx->c, "app/token", &i), 0);
	assert_null(i->fields);
	assert_int_equal(i->verify_status, CRED_VERIFY_NEVER);
	assert_int_equal(i->verify_time, 0);
	assert_null(i->verify_message);
	cred_info_free(i);
}

static void
test_list_verify(void **state)
{
	struct fixture *fx = *state;
	struct cred_list *l = NULL;

	assert_int_equal(cred_list(fx->c, NULL, "db/", 0, &l), 0);
	assert_int_equal(fx->fake.list_flags, 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->items[0]->name, "db/main");
	assert_int_equal(l->items[0]->verify_status, CRED_VERIFY_OK);
	assert_int_equal(l->items[0]->verify_time, 1700000600);
	assert_null(l->items[0]->verify_message); /* INFO only */
	assert_null(l->items[0]->fields);          /* INFO only */
	assert_int_equal(l->items[1]->verify_status, CRED_VERIFY_NEVER);
	assert_int_equal(l->items[1]->verify_time, 0);
	assert_int_equal(l->items[2]->verify_status, CRED_VERIFY_FAILED);
	assert_int_equal(l->items[2]->verify_time, 1700000700);
	cred_list_free(l);

	assert_int_equal(cred_list(fx->c, NULL, "db/", CRED_LIST_UNVERIFIED, &l), 0);
	assert_int_equal(fx->fake.list_flags, PROTO_LIST_UNVERIFIED);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->items[0]->name, "db/never");
	assert_string_equal(l->items[1]->name, "db/failed");
	cred_list_free(l);

	assert_int_equal(cred_list(fx->c, NULL, "db/", 8, &l), -CRED_E_USAGE);
}

static void
test_put_typed(void **state)
{
	static const char *const kv[] = {"username", "u", "password", "pw", "host", "h",
	                                 "database", "d", "port", "5433", NULL};
	struct fixture *fx = *state;
	struct cred_put_opts o = {.type = "postgresql"};
	struct cred_fields *f = fields_of(kv);
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t version = 0;

	assert_int_equal(cred_fields_encode(f, &buf, &len), 0);
	assert_int_equal(cred_put(fx->c, "db/new", buf, len, &o, &version), 0);
	assert_int_equal(version, 1);
	assert_string_equal(fx->fake.typed_put_type, "postgresql");
	assert_int_equal(fx->fake.typed_put_len, len);
	assert_memory_equal(fx->fake.typed_put_value, buf, len);
	cred_buf_free(buf, len);

	/* The agent's check names the field, never the value. */
	assert_int_equal(cred_fields_set(f, "port", "99999", 5), 0);
	assert_int_equal(cred_fields_encode(f, &buf, &len), 0);
	assert_int_equal(cred_put(fx->c, "db/new", buf, len, &o, &version), -CRED_E_INVALID);
	assert_non_null(strstr(cred_message(fx->c), "port"));
	assert_null(strstr(cred_message(fx->c), "99999"));
	assert_int_equal(cred_exit_code(-CRED_E_INVALID), 11);
	cred_buf_free(buf, len);
	cred_fields_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_registry),
	        cmocka_unit_test(test_fields_build),
	        cmocka_unit_test(test_fields_round_trip),
	        cmocka_unit_test(test_fields_refused),
	        cmocka_unit_test(test_uri_postgresql),
	        cmocka_unit_test(test_uri_others),
	        cmocka_unit_test(test_uri_refused),
	        cmocka_unit_test(test_env),
	        cmocka_unit_test_setup_teardown(test_get_field, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_get_render, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_info_typed, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_list_verify, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_put_typed, fixture_up, fixture_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
