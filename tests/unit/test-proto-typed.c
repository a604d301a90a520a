/* SPDX-License-Identifier: MIT */
/*
 * proto/: typed secrets. The golden frames of VERIFY, of an INFO reply
 * with FIELD groups and a verify result and of a LIST reply whose
 * entries carry verify results, in both directions as test-proto.c does;
 * the field set of a postgresql secret (no frame header) likewise; and
 * docs/PROTOCOL.md quoting each. Then the registry, checked against
 * DESIGN.md section 5 type by type and field by field. The rules of
 * proto_typed_check() are in test-proto-typed-check.c, round trips and
 * rejections in test-proto-typed-rt.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

#define ORDERS B("db/prod/orders")
#define T_2025 1735689600u
#define T_VERIFY 1763805600u  /* 2025-11-22T10:00:00Z */
#define T_VERIFY2 1763809200u /* 2025-11-22T11:00:00Z */
#define VERIFY_MSG B("SELECT 1 ok in 12 ms")

static const struct proto_verify_req ex_verify = {
	.ref = {.name = ORDERS},
	.has_version = true,
	.version = 1,
	.status = PROTO_VERIFY_OK,
	.message = VERIFY_MSG,
};

/* The postgresql field set, keys ascending; NULL: masked in INFO. */
static const struct {
	const char *key, *value;
	bool secret;
} ex_fields[] = {
	{"database", "orders", false}, {"host", "db.internal", false},
	{"password", "hunter2", true}, {"port", "5432", false},
	{"sslmode", "require", false}, {"username", "app", false},
};
#define N_FIELDS (sizeof(ex_fields) / sizeof(ex_fields[0]))

static struct proto_meta ex_info = {
	.owner = 1000,
	.name = ORDERS,
	.version = 1,
	.type = B("postgresql"),
	.state = PROTO_STATE_ACTIVE,
	.max_versions = 10,
	.created = T_2025,
	.updated = T_2025,
	.verify_status = PROTO_VERIFY_OK,
	.verify_time = T_VERIFY,
	.verify_message = VERIFY_MSG,
};
static const struct proto_meta ex_entries[] = {
	{
		.owner = 1000,
		.name = ORDERS,
		.version = 1,
		.type = B("postgresql"),
		.max_versions = 10,
		.created = T_2025,
		.updated = T_2025,
		.verify_status = PROTO_VERIFY_OK,
		.verify_time = T_VERIFY,
	},
	{
		.owner = 1000,
		.name = B("api/openai"),
		.version = 2,
		.type = B("api_key"),
		.max_versions = 10,
		.created = T_2025,
		.updated = T_2025,
		.verify_status = PROTO_VERIFY_FAILED,
		.verify_time = T_VERIFY2,
	},
};
#define N_ENTRIES (sizeof(ex_entries) / sizeof(ex_entries[0]))

static uint8_t versions_buf[64], info_fields_buf[512];

static void
put_fields(struct buf_writer *w, bool masked)
{
	size_t i;

	for (i = 0; i < N_FIELDS; i++) {
		if (masked && ex_fields[i].secret)
			proto_put_masked_field(w, ex_fields[i].key, strlen(ex_fields[i].key));
		else
			proto_put_typed_field(w, ex_fields[i].key, strlen(ex_fields[i].key),
					      ex_fields[i].value, strlen(ex_fields[i].value));
	}
}

static int
setup_examples(void **state)
{
	struct buf_writer w;
	size_t off;

	(void)state;
	buf_writer_init(&w, versions_buf, sizeof(versions_buf));
	off = proto_group_begin(&w, PROTO_TAG_VERSIONS);
	proto_put_u32(&w, PROTO_TAG_VERSION, 1);
	proto_put_u64(&w, PROTO_TAG_CREATED, T_2025);
	proto_put_u32(&w, PROTO_TAG_CREATED_BY, 1000);
	proto_group_end(&w, off);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_info.versions = (struct proto_list_span){{versions_buf, w.len}, 1};
	buf_writer_init(&w, info_fields_buf, sizeof(info_fields_buf));
	put_fields(&w, true);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_info.fields = (struct proto_list_span){{info_fields_buf, w.len}, (uint32_t)N_FIELDS};
	return 0;
}

/* cmp_meta of proto-test.h and the typed and verify fields. */
static void
cmp_meta_typed(const struct proto_meta *a, const struct proto_meta *b)
{
	cmp_meta(a, b);
	assert_span(&a->fields, &b->fields);
	assert_int_equal(a->verify_status, b->verify_status);
	assert_int_equal(a->verify_time, b->verify_time);
	assert_bytes(a->verify_message, b->verify_message);
}

/* ---- encoders ---- */

static int
enc_verify(struct buf_writer *w)
{
	return proto_encode_verify(w, 51, &ex_verify);
}

static int
enc_info_reply_typed(struct buf_writer *w)
{
	return proto_encode_info_reply(w, 52, &ex_info);
}

/* As an agent writes it: entries between begin and end. */
static int
enc_list_reply_verify(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_LIST, 53, PROTO_OK), i;

	for (i = 0; i < N_ENTRIES; i++)
		proto_put_meta_entry(w, &ex_entries[i]);
	return proto_frame_end(w, start);
}

/* ---- decoders ---- */

static void
chk_verify(struct proto_bytes body)
{
	struct proto_verify_req m;

	assert_int_equal(proto_decode_verify(body, &m), 0);
	cmp_ref(&m.ref, &ex_verify.ref);
	assert_true(m.has_version);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.status, PROTO_VERIFY_OK);
	assert_string_equal(proto_verify_name(m.status), "ok");
	assert_bytes(m.message, VERIFY_MSG);
	assert_string_equal(proto_op_name(PROTO_MSG_VERIFY), "verify");
	/* a VERSIONED body has no VERIFY_STATUS */
	REJECT(d_rollback, body);
}

static void
chk_info_reply_typed(struct proto_bytes body)
{
	struct proto_bytes g, k, v;
	struct proto_meta m;
	struct proto_iter it;
	bool has_v;
	size_t i = 0;

	assert_int_equal(proto_decode_info_reply(body, &m), 0);
	cmp_meta_typed(&m, &ex_info);
	assert_int_equal(m.fields.count, N_FIELDS);
	proto_iter_init(&it, &m.fields);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_FIELDS);
		assert_int_equal(proto_decode_typed_field(g, &k, &v, &has_v), 0);
		assert_int_equal(k.len, strlen(ex_fields[i].key));
		assert_memory_equal(k.ptr, ex_fields[i].key, k.len);
		assert_int_equal(has_v, !ex_fields[i].secret);
		if (has_v) {
			assert_int_equal(v.len, strlen(ex_fields[i].value));
			assert_memory_equal(v.ptr, ex_fields[i].value, v.len);
		} else {
			assert_int_equal(v.len, 0);
		}
		i++;
	}
	assert_int_equal(i, N_FIELDS);
	/* FIELD groups and VERIFY_MESSAGE are not an ENTRY's */
	REJECT(d_meta_entry, body);
}

static void
chk_list_reply_verify(struct proto_bytes body)
{
	struct proto_list_reply m;
	struct proto_meta e;
	struct proto_iter it;
	struct proto_bytes g;
	size_t i = 0;

	assert_int_equal(proto_decode_list_reply(body, &m), 0);
	assert_int_equal(m.cursor.len, 0);
	assert_int_equal(m.entries.count, N_ENTRIES);
	proto_iter_init(&it, &m.entries);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_ENTRIES);
		assert_int_equal(proto_decode_meta_entry(g, &e), 0);
		cmp_meta_typed(&e, &ex_entries[i]);
		/* an entry's fields are an INFO reply's too */
		ACCEPT(d_info_reply, g);
		i++;
	}
	assert_int_equal(i, N_ENTRIES);
	assert_string_equal(proto_verify_name(PROTO_VERIFY_FAILED), "failed");
}

static const struct golden goldens[] = {
	GOLDEN_REQ("verify", PROTO_MSG_VERIFY, 51, enc_verify, chk_verify),
	GOLDEN_REP("info-reply-typed", PROTO_MSG_INFO, 52, PROTO_OK, enc_info_reply_typed,
		   chk_info_reply_typed),
	GOLDEN_REP("list-reply-verify", PROTO_MSG_LIST, 53, PROTO_OK, enc_list_reply_verify,
		   chk_list_reply_verify),
};
#define N_GOLDEN (sizeof(goldens) / sizeof(goldens[0]))

/* The field set: written field by field it is the file's bytes, and it
 * passes the postgresql rules; every field reads back. */
static void
test_typed_postgresql(void **state)
{
	static uint8_t file[BUF_MAX], enc[BUF_MAX];
	const struct proto_type *pg = proto_type_lookup("postgresql", 10);
	struct proto_bytes set, v;
	struct buf_writer w;
	char why[128];
	size_t n, i;

	(void)state;
	n = load_hex("typed-postgresql", file, sizeof(file));
	buf_writer_init(&w, enc, sizeof(enc));
	put_fields(&w, false);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, n);
	assert_memory_equal(enc, file, n);
	set = (struct proto_bytes){file, n};
	assert_non_null(pg);
	assert_int_equal(proto_typed_check(pg, set, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	for (i = 0; i < N_FIELDS; i++) {
		assert_int_equal(proto_typed_get(set, ex_fields[i].key, strlen(ex_fields[i].key), &v),
				 1);
		assert_int_equal(v.len, strlen(ex_fields[i].value));
		assert_memory_equal(v.ptr, ex_fields[i].value, v.len);
	}
	assert_int_equal(proto_typed_get(set, "schema", 6, &v), 0);
	/* a mysql secret needs no sslmode but is fine with it (kept as an
	 * unknown field); a snowflake one misses its account */
	assert_int_equal(proto_typed_check(proto_type_lookup("mysql", 5), set, why, sizeof(why)),
			 0);
	assert_int_equal(
		proto_typed_check(proto_type_lookup("snowflake", 9), set, why, sizeof(why)),
		-EINVAL);
	assert_string_equal(why, "missing required field \"account\"");
}

/* docs/PROTOCOL.md quotes the frames and the field set. */
static void
test_docs_quote_vectors(void **state)
{
	static const struct golden all[] = {
		{.name = "verify"},
		{.name = "info-reply-typed"},
		{.name = "list-reply-verify"},
		{.name = "typed-postgresql"},
	};

	(void)state;
	check_docs_quote(all, sizeof(all) / sizeof(all[0]));
}

/* ---- the registry: DESIGN.md section 5 ---- */

#define R PROTO_FIELD_REQUIRED
#define S PROTO_FIELD_SECRET

struct want_field {
	const char *name;
	uint8_t flags, check;
	const char *def;
	const char *values; /* ENUM: space-separated */
};
#define F(n, fl, ch) {n, fl, PROTO_CHECK_##ch, NULL, NULL}
#define FD(n, d) {n, 0, PROTO_CHECK_PORT, d, NULL}
#define FE(n, fl, v) {n, fl, PROTO_CHECK_ENUM, NULL, v}
struct want_type {
	const char *name;
	const char *primary;
	struct want_field fields[8];
};

static const struct want_type want[] = {
	{"generic", "value", {F("value", R | S, BYTES)}},
	{"password",
	 "password",
	 {F("username", 0, TEXT),
	  F("password", R | S, BYTES),
	  F("url", 0, TEXT)}},
	{"api_key",
	 "key",
	 {FE("provider", R, "gemini openai anthropic openrouter groq other"),
	  F("key", R | S, BYTES),
	  F("endpoint", 0, TEXT)}},
	{"oauth2",
	 "access_token",
	 {F("access_token", R | S, BYTES),
	  F("refresh_token", S, BYTES),
	  F("token_uri", 0, TEXT),
	  F("client_id", 0, TEXT),
	  F("client_secret", S, BYTES),
	  F("scope", 0, TEXT),
	  F("expires_at", 0, TEXT)}},
	{"google_service_account",
	 "private_key",
	 {F("project_id", R, TEXT),
	  F("client_email", R, TEXT),
	  F("private_key_id", R, TEXT),
	  F("private_key", R | S, BYTES),
	  F("token_uri", R, TEXT)}},
	{"postgresql",
	 "password",
	 {F("host", R, TEXT),
	  FD("port", "5432"),
	  F("database", R, TEXT),
	  F("username", R, TEXT),
	  F("password", R | S, BYTES),
	  FE("sslmode", 0, "disable allow prefer require verify-ca verify-full")}},
	{"mysql",
	 "password",
	 {F("host", R, TEXT),
	  FD("port", "3306"),
	  F("database", R, TEXT),
	  F("username", R, TEXT),
	  F("password", R | S, BYTES),
	  F("ssl", 0, BOOL)}},
	{"snowflake",
	 "password",
	 {F("account", R, TEXT),
	  F("warehouse", R, TEXT),
	  F("database", R, TEXT),
	  F("username", R, TEXT),
	  F("password", R | S, BYTES),
	  F("role", 0, TEXT),
	  F("schema", 0, TEXT)}},
	{"sqlite", "key", {F("path", R, TEXT), F("key", S, BYTES)}},
};
#define N_WANT (sizeof(want) / sizeof(want[0]))

/* F's enumeration, space-separated, into BUF. */
static const char *
joined(const struct proto_type_field *f, char *buf, size_t cap)
{
	const char *const *v;

	buf[0] = '\0';
	for (v = f->values; v != NULL && *v != NULL; v++) {
		if (buf[0] != '\0')
			strncat(buf, " ", cap - strlen(buf) - 1);
		strncat(buf, *v, cap - strlen(buf) - 1);
	}
	return buf;
}

static void
check_type(const struct proto_type *t, const struct want_type *wt)
{
	const struct proto_type_field *f;
	char buf[256];
	uint32_t i, n = 0;

	assert_string_equal(t->name, wt->name);
	assert_true(proto_type_valid(t->name, strlen(t->name)));
	while (n < 8 && wt->fields[n].name != NULL)
		n++;
	assert_int_equal(t->n_fields, n);
	for (i = 0; i < n; i++) {
		f = &t->fields[i];
		assert_string_equal(f->name, wt->fields[i].name);
		assert_int_equal(f->flags, wt->fields[i].flags);
		assert_int_equal(f->check, wt->fields[i].check);
		if (wt->fields[i].def == NULL)
			assert_null(f->def);
		else
			assert_string_equal(f->def, wt->fields[i].def);
		if (f->check == PROTO_CHECK_ENUM)
			assert_string_equal(joined(f, buf, sizeof(buf)), wt->fields[i].values);
		else
			assert_null(f->values);
		/* a default makes a field optional */
		assert_true(f->def == NULL || (f->flags & PROTO_FIELD_REQUIRED) == 0);
		assert_ptr_equal(proto_type_field(t, f->name, strlen(f->name)), f);
	}
	assert_non_null(proto_type_primary(t));
	assert_string_equal(proto_type_primary(t)->name, wt->primary);
	assert_true((proto_type_primary(t)->flags & PROTO_FIELD_SECRET) != 0);
}

static void
test_registry(void **state)
{
	const struct proto_type *t;
	size_t i;

	(void)state;
	for (i = 0; i < N_WANT; i++) {
		t = proto_type_at(i);
		assert_non_null(t);
		check_type(t, &want[i]);
		assert_ptr_equal(proto_type_lookup(want[i].name, strlen(want[i].name)), t);
	}
	assert_null(proto_type_at(N_WANT));
	assert_null(proto_type_at(SIZE_MAX));
}

static void
test_registry_lookup(void **state)
{
	static const char *const bad[] = {"", "Generic", "postgres", "postgresql ", "mysql\n",
					  "api-key", "sqlite3", "x"};
	const struct proto_type *pg = proto_type_lookup("postgresql", 10);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(proto_type_lookup(bad[i], strlen(bad[i])));
	/* a length, not a C string: "postgresql" is not "postgres" */
	assert_null(proto_type_lookup("postgresql", 8));
	assert_null(proto_type_lookup("postgresql\0", 11));
	assert_null(proto_type_lookup(NULL, 0));
	assert_non_null(pg);
	assert_null(proto_type_field(pg, "Host", 4));
	assert_null(proto_type_field(pg, "hos", 3));
	assert_null(proto_type_field(pg, "ssl", 3));
	assert_null(proto_type_field(pg, "value", 5));
	assert_null(proto_type_field(NULL, "host", 4));
	assert_null(proto_type_field(pg, NULL, 0));
	assert_null(proto_type_primary(NULL));
	assert_string_equal(proto_type_field(pg, "port", 4)->def, "5432");
	/* names the type table and TYPE share */
	for (i = 0; proto_type_at(i) != NULL; i++)
		assert_true(strlen(proto_type_at(i)->name) <= PROTO_TYPE_MAX);
}

int
main(void)
{
	struct CMUnitTest tests[N_GOLDEN + 4];
	size_t i;

	for (i = 0; i < N_GOLDEN; i++)
		tests[i] = (struct CMUnitTest){
			.name = goldens[i].name,
			.test_func = test_golden,
			.initial_state = (void *)(uintptr_t)&goldens[i],
		};
	tests[i++] = (struct CMUnitTest){"typed-postgresql", test_typed_postgresql, NULL, NULL, NULL};
	tests[i++] = (struct CMUnitTest){"docs quote vectors", test_docs_quote_vectors, NULL, NULL,
					 NULL};
	tests[i++] = (struct CMUnitTest){"registry", test_registry, NULL, NULL, NULL};
	tests[i++] = (struct CMUnitTest){"registry lookup", test_registry_lookup, NULL, NULL, NULL};
	return _cmocka_run_group_tests("test-proto-typed", tests, i, setup_examples, NULL);
}
