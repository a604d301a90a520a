/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_LIBCRED_FAKE_TYPED_H
#define CREDAGENT_TESTS_LIBCRED_FAKE_TYPED_H

/*
 * The fake agent's typed secrets (see libcred-fake.h, which includes this
 * after struct fake and routes to fake_typed() every PUT, GET, INFO and
 * LIST naming something under "db/", and every VERIFY). Their script:
 *
 * GET db/main: postgresql, version 2, FAKE_PG_* below (no port: the
 * default). GET db/v6: postgresql on host "::1", port 6543, no sslmode.
 * GET db/broken: type postgresql with a value that is no field set. GET
 * db/key: api_key of provider openai, key "sk-'x'". Anything else:
 * NOT_FOUND.
 * PUT db/...: the type and the value are kept (fake.typed_put_*), and the
 * value is checked with proto_typed_check(): INVALID with its message
 * when it fails; OK, version 1, otherwise.
 * INFO db/main: its fields, the password masked (FIELD_KEY alone), verify
 * ok at 1700000600 with the message "SELECT 1 ok in 12 ms". INFO
 * db/failed: generic, verify failed at 1700000700 without a message.
 * Anything else: generic, never verified.
 * LIST "db/": db/main (ok at 1700000600), db/never (never verified),
 * db/failed (failed at 1700000700); with UNVERIFIED the last two only.
 * VERIFY: kept (fake.verify_*); db/missing NOT_FOUND.
 */

#define FAKE_PG_DATABASE "app db/1"
#define FAKE_PG_HOST     "db.example.com"
#define FAKE_PG_PASSWORD "p@ss:w/rd?#% \xc3\xa9"
#define FAKE_PG_SSLMODE  "require"
#define FAKE_PG_USER     "al:ice"

/* A field set of N (KEY, VALUE) C-string pairs, keys in order, into W;
 * a NULL value writes the key alone (masked). */
static void
fake_fields(struct buf_writer *w, const char *const *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (kv[2 * i + 1] == NULL)
			proto_put_masked_field(w, kv[2 * i], strlen(kv[2 * i]));
		else
			proto_put_typed_field(w, kv[2 * i], strlen(kv[2 * i]), kv[2 * i + 1],
			                      strlen(kv[2 * i + 1]));
	}
}

static int
fake_typed_get(struct buf_writer *w, uint32_t id, const struct proto_get *m)
{
	static const char *const pg[] = {"database", FAKE_PG_DATABASE, "host", FAKE_PG_HOST,
	                                 "password", FAKE_PG_PASSWORD, "sslmode", FAKE_PG_SSLMODE,
	                                 "username", FAKE_PG_USER};
	static const char *const v6[] = {"database", "d", "host", "::1", "password", "pw",
	                                 "port", "6543", "username", "u"};
	static const char *const key[] = {"key", "sk-'x'", "provider", "openai"};
	struct proto_get_reply gr = {.version = 2, .type = S("postgresql")};
	uint8_t buf[512];
	struct buf_writer vw;

	buf_writer_init(&vw, buf, sizeof(buf));
	if (span_eq(m->ref.name, "db/main")) {
		fake_fields(&vw, pg, 5);
	} else if (span_eq(m->ref.name, "db/v6")) {
		fake_fields(&vw, v6, 5);
	} else if (span_eq(m->ref.name, "db/key")) {
		gr.type = S("api_key");
		fake_fields(&vw, key, 2);
	} else if (span_eq(m->ref.name, "db/broken")) {
		buf_put_bytes(&vw, "not fields", 10);
	} else {
		return proto_encode_simple_reply(w, PROTO_MSG_GET, id, PROTO_NOT_FOUND,
		                                 "not found", 9);
	}
	gr.value = (struct proto_bytes){buf, vw.len};
	return proto_encode_get_reply(w, id, &gr);
}

static int
fake_typed_put(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	struct proto_put_reply pr = {.version = 1};
	const struct proto_type *t;
	struct proto_put m;
	char why[256];

	if (proto_decode_put(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_PUT, id, PROTO_BAD_REQUEST, NULL, 0);
	fake_copy_str(f->typed_put_type, sizeof(f->typed_put_type), m.type);
	f->typed_put_len = m.value.len < sizeof(f->typed_put_value) ? m.value.len
	                                                            : sizeof(f->typed_put_value);
	memcpy(f->typed_put_value, m.value.ptr, f->typed_put_len);
	t = proto_type_lookup(m.type.ptr, m.type.len);
	if (t == NULL)
		return proto_encode_simple_reply(w, PROTO_MSG_PUT, id, PROTO_INVALID,
		                                 "unknown type", 12);
	if (proto_typed_check(t, m.value, why, sizeof(why)) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_PUT, id, PROTO_INVALID, why,
		                                 strlen(why));
	return proto_encode_put_reply(w, id, &pr);
}

static int
fake_typed_info(struct buf_writer *w, uint32_t id, const struct proto_named *m)
{
	static const char *const pg[] = {"database", FAKE_PG_DATABASE, "host", FAKE_PG_HOST,
	                                 "password", NULL, "sslmode", FAKE_PG_SSLMODE,
	                                 "username", FAKE_PG_USER};
	struct proto_meta pm;
	uint8_t buf[512];
	struct buf_writer fw;

	fake_meta(&pm, "db/other", (struct proto_list_span){0});
	pm.name = m->ref.name;
	if (span_eq(m->ref.name, "db/main")) {
		buf_writer_init(&fw, buf, sizeof(buf));
		fake_fields(&fw, pg, 5);
		pm.type = S("postgresql");
		pm.fields = (struct proto_list_span){{buf, fw.len}, 5};
		pm.verify_status = PROTO_VERIFY_OK;
		pm.verify_time = 1700000600;
		pm.verify_message = S("SELECT 1 ok in 12 ms");
	} else if (span_eq(m->ref.name, "db/failed")) {
		pm.verify_status = PROTO_VERIFY_FAILED;
		pm.verify_time = 1700000700;
	}
	return proto_encode_info_reply(w, id, &pm);
}

static int
fake_typed_list(struct fake *f, struct buf_writer *w, uint32_t id, const struct proto_list *m)
{
	struct proto_meta pm;
	size_t start;

	f->list_flags = m->flags;
	start = proto_reply_begin(w, PROTO_MSG_LIST, id, PROTO_OK);
	if (!(m->flags & PROTO_LIST_UNVERIFIED)) {
		fake_meta(&pm, "db/main", (struct proto_list_span){0});
		pm.type = S("postgresql");
		pm.verify_status = PROTO_VERIFY_OK;
		pm.verify_time = 1700000600;
		proto_put_meta_entry(w, &pm);
	}
	fake_meta(&pm, "db/never", (struct proto_list_span){0});
	proto_put_meta_entry(w, &pm);
	fake_meta(&pm, "db/failed", (struct proto_list_span){0});
	pm.verify_status = PROTO_VERIFY_FAILED;
	pm.verify_time = 1700000700;
	proto_put_meta_entry(w, &pm);
	return proto_frame_end(w, start);
}

static int
fake_verify(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	struct proto_verify_req m;

	if (proto_decode_verify(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_VERIFY, id, PROTO_BAD_REQUEST, NULL,
		                                 0);
	fake_copy_str(f->verify_name, sizeof(f->verify_name), m.ref.name);
	fake_copy_str(f->verify_message, sizeof(f->verify_message), m.message);
	f->verify_status = m.status;
	f->verify_has_version = m.has_version;
	f->verify_version = m.version;
	if (span_eq(m.ref.name, "db/missing"))
		return proto_encode_simple_reply(w, PROTO_MSG_VERIFY, id, PROTO_NOT_FOUND, NULL, 0);
	return proto_encode_simple_reply(w, PROTO_MSG_VERIFY, id, PROTO_OK, NULL, 0);
}

/* The request is for this script: a VERIFY, or a PUT, GET, INFO or LIST
 * naming (or listing) something under "db/". */
static bool
fake_typed_wants(const struct proto_frame *fr)
{
	struct proto_ref ref;
	struct proto_list l;
	uint32_t v;

	if (fr->type == PROTO_MSG_VERIFY)
		return true;
	if (fr->type == PROTO_MSG_LIST)
		return proto_decode_list(fr->body, &l) == 0 && span_eq(l.prefix, "db/");
	if (fr->type != PROTO_MSG_PUT && fr->type != PROTO_MSG_GET && fr->type != PROTO_MSG_INFO)
		return false;
	return proto_peek_target(fr->body, &ref, &v) == 1 && ref.name.len > 3 &&
	       memcmp(ref.name.ptr, "db/", 3) == 0;
}

static int
fake_typed(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_named n;
	struct proto_list l;
	struct proto_get g;

	switch (fr->type) {
	case PROTO_MSG_VERIFY: return fake_verify(f, w, fr->reqid, fr->body);
	case PROTO_MSG_PUT: return fake_typed_put(f, w, fr->reqid, fr->body);
	case PROTO_MSG_GET:
		if (proto_decode_get(fr->body, &g) < 0)
			break;
		return fake_typed_get(w, fr->reqid, &g);
	case PROTO_MSG_INFO:
		if (proto_decode_named(fr->body, &n) < 0)
			break;
		return fake_typed_info(w, fr->reqid, &n);
	default:
		if (proto_decode_list(fr->body, &l) < 0)
			break;
		return fake_typed_list(f, w, fr->reqid, &l);
	}
	return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_BAD_REQUEST, NULL, 0);
}

#endif
