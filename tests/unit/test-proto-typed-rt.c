/* SPDX-License-Identifier: MIT */
/*
 * proto/: round trips and rejections of what issue 7 added to the wire.
 * VERIFY (every combination of its optional fields; a status of 1 or 2,
 * a message of at most 255 bytes); the INFO reply with FIELD groups
 * (masked or not) and a verify result, and LIST entries with one, with
 * the rules that tie the verify fields together and the keys of FIELD
 * groups; LIST's UNVERIFIED flag; and systematic mutations of the three
 * golden frames of test-proto-typed.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX], small_buf[BUF_MAX];

/* Run CALL (an encoder writing to W) into OUT, setting len; a counting
 * writer agrees, and smaller buffers fail. */
#define ENCODE(call)                                                  \
	do {                                                          \
		struct buf_writer w_, *w = &w_;                       \
		size_t cap_;                                          \
		buf_writer_init(w, out, sizeof(out));                 \
		assert_int_equal((call), 0);                          \
		len = w_.len;                                         \
		buf_writer_init(w, NULL, 0);                          \
		assert_int_equal((call), 0);                          \
		assert_int_equal(w_.len, len);                        \
		for (cap_ = 0; cap_ < len; cap_ += 1 + cap_ / 8) {    \
			buf_writer_init(w, small_buf, cap_);          \
			assert_int_equal((call), -ENOSPC);            \
		}                                                     \
	} while (0)

/* PROTO_VERIFY_MESSAGE_MAX + 1 bytes of 'm'. */
static char mmm[PROTO_VERIFY_MESSAGE_MAX + 1];

static int
setup(void **state)
{
	(void)state;
	memset(mmm, 'm', sizeof(mmm));
	return 0;
}

/* ---- VERIFY ---- */

static void
test_verify_roundtrip(void **state)
{
	struct proto_verify_req m, d;
	unsigned combo;
	size_t len;

	(void)state;
	for (combo = 0; combo < 16; combo++) {
		m = (struct proto_verify_req){
			.ref = {.has_owner = (combo & 1) != 0,
				.owner = (combo & 1) != 0 ? 1000 : 0,
				.name = B("db/x")},
			.has_version = (combo & 2) != 0,
			.version = (combo & 2) != 0 ? 7 : 0,
			.status = (combo & 4) != 0 ? PROTO_VERIFY_FAILED : PROTO_VERIFY_OK,
			.message = (combo & 8) != 0 ? (struct proto_bytes){(const uint8_t *)mmm,
									  PROTO_VERIFY_MESSAGE_MAX}
						    : (struct proto_bytes){NULL, 0},
		};
		ENCODE(proto_encode_verify(w, combo, &m));
		assert_int_equal(proto_decode_verify(frame_body(out, len, false, PROTO_MSG_VERIFY,
								combo, 0),
						     &d),
				 0);
		cmp_ref(&d.ref, &m.ref);
		assert_int_equal(d.has_version, m.has_version);
		assert_int_equal(d.version, m.version);
		assert_int_equal(d.status, m.status);
		assert_bytes(d.message, m.message);
	}
	assert_null(proto_verify_name(0));
	assert_string_equal(proto_verify_name(1), "ok");
	assert_string_equal(proto_verify_name(2), "failed");
	assert_null(proto_verify_name(3));
	assert_null(proto_verify_name(UINT32_MAX));
	assert_string_equal(proto_op_name(PROTO_MSG_VERIFY), "verify");
	assert_int_equal(proto_op_parse("verify"), PROTO_MSG_VERIFY);
}

/* NAME, VERSION?, VERIFY_STATUS = STATUS, VERIFY_MESSAGE? of MLEN. */
static struct proto_bytes
verify_body(uint32_t status, size_t mlen)
{
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, status);
	if (mlen > 0)
		proto_put_string(&bw, PROTO_TAG_VERIFY_MESSAGE, mmm, mlen);
	return wbody();
}

static int
d_verify(struct proto_bytes b)
{
	struct proto_verify_req m;

	return proto_decode_verify(b, &m);
}

static void
test_verify_reject(void **state)
{
	struct proto_verify_req m;

	(void)state;
	ACCEPT(d_verify, verify_body(1, 0));
	ACCEPT(d_verify, verify_body(2, PROTO_VERIFY_MESSAGE_MAX));
	REJECT(d_verify, verify_body(0, 0));
	REJECT(d_verify, verify_body(3, 0));
	REJECT(d_verify, verify_body(UINT32_MAX, 0));
	REJECT(d_verify, verify_body(1, PROTO_VERIFY_MESSAGE_MAX + 1));
	/* required: NAME and VERIFY_STATUS */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	REJECT(d_verify, wbody());
	wstart();
	put_name();
	REJECT(d_verify, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "", 0);
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	REJECT(d_verify, wbody());
	/* kinds, order, strangers */
	wstart();
	put_name();
	proto_put_u64(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	REJECT(d_verify, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	proto_put_bytes(&bw, PROTO_TAG_VERIFY_MESSAGE, "m", 1);
	REJECT(d_verify, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	proto_put_string(&bw, PROTO_TAG_VERIFY_MESSAGE, "a\0b", 3);
	REJECT(d_verify, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	REJECT(d_verify, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	proto_put_u64(&bw, PROTO_TAG_VERIFY_TIME, 1);
	REJECT(d_verify, wbody());
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	REJECT(d_verify, wbody());
	/* an empty message is no message */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 2);
	proto_put_string(&bw, PROTO_TAG_VERIFY_MESSAGE, "", 0);
	assert_int_equal(proto_decode_verify(wbody(), &m), 0);
	assert_int_equal(m.message.len, 0);
	assert_int_equal(m.status, PROTO_VERIFY_FAILED);
	assert_false(m.has_version);
	/* and a VERIFY body is no other message's */
	REJECT(d_named, verify_body(1, 0));
	REJECT(d_get, verify_body(1, 0));
}

/* ---- INFO reply and LIST entries ---- */

static const struct proto_meta base = {
	.owner = 1000,
	.name = B("db/x"),
	.version = 1,
	.type = B("postgresql"),
	.max_versions = 10,
	.created = 1,
	.updated = 2,
};

/* The required metadata fields, written by hand. */
static void
put_meta_base(void)
{
	wstart();
	proto_put_meta_fields(&bw, &base, false);
}

static uint8_t fields_buf[8192];

/* N FIELD groups "kNN" (every third masked) into fields_buf. */
static struct proto_list_span
fields_span(unsigned n)
{
	struct buf_writer w;
	char key[16];
	unsigned i;

	buf_writer_init(&w, fields_buf, sizeof(fields_buf));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%02u", i);
		if (i % 3 == 2)
			proto_put_masked_field(&w, key, 3);
		else
			proto_put_typed_field(&w, key, 3, "value", i % 6);
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{fields_buf, w.len}, n};
}

static void
test_info_roundtrip(void **state)
{
	static const unsigned ns[] = {0, 1, 3, PROTO_TYPED_FIELDS_MAX};
	struct proto_meta m, d;
	unsigned i, vs;
	size_t len;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (vs = 0; vs <= PROTO_VERIFY_MAX; vs++) {
			m = base;
			m.fields = fields_span(ns[i]);
			m.verify_status = vs;
			m.verify_time = vs != 0 ? 1763805600u : 0;
			m.verify_message = vs == 2 ? B("connection refused") : B("");
			ENCODE(proto_encode_info_reply(w, 9, &m));
			assert_int_equal(proto_decode_info_reply(frame_body(out, len, true,
									    PROTO_MSG_INFO | 0x80,
									    9, PROTO_OK),
								 &d),
					 0);
			cmp_meta(&d, &m);
			assert_span(&d.fields, &m.fields);
			assert_int_equal(d.verify_status, m.verify_status);
			assert_int_equal(d.verify_time, m.verify_time);
			assert_bytes(d.verify_message, m.verify_message);
		}
	}
	/* status 0 is "never verified": time and message are not written */
	m = base;
	m.verify_time = 5;
	m.verify_message = B("stale");
	ENCODE(proto_encode_info_reply(w, 9, &m));
	assert_int_equal(proto_decode_info_reply(frame_body(out, len, true, PROTO_MSG_INFO | 0x80,
							    9, PROTO_OK),
						 &d),
			 0);
	assert_int_equal(d.verify_status, 0);
	assert_int_equal(d.verify_time, 0);
	assert_int_equal(d.verify_message.len, 0);
}

static void
test_entry_roundtrip(void **state)
{
	struct proto_list_reply r;
	struct proto_meta m, d;
	struct proto_iter it;
	struct proto_bytes g;
	unsigned vs, sh;
	size_t start;
	struct buf_writer w;

	(void)state;
	for (vs = 0; vs <= PROTO_VERIFY_MAX; vs++) {
		for (sh = 0; sh <= 1; sh++) {
			m = base;
			m.shared = sh;
			m.verify_status = vs;
			m.verify_time = vs != 0 ? 77 : 0;
			/* INFO-only: an entry leaves them out */
			m.fields = fields_span(2);
			m.verify_message = B("not in entries");
			buf_writer_init(&w, out, sizeof(out));
			start = proto_reply_begin(&w, PROTO_MSG_LIST, 3, PROTO_OK);
			proto_put_meta_entry(&w, &m);
			assert_int_equal(proto_frame_end(&w, start), 0);
			assert_int_equal(proto_decode_list_reply(frame_body(out, w.len, true,
									    PROTO_MSG_LIST | 0x80,
									    3, PROTO_OK),
								 &r),
					 0);
			proto_iter_init(&it, &r.entries);
			assert_int_equal(proto_iter_next(&it, &g), 1);
			assert_int_equal(proto_decode_meta_entry(g, &d), 0);
			assert_int_equal(d.shared, sh);
			assert_int_equal(d.verify_status, vs);
			assert_int_equal(d.verify_time, m.verify_time);
			assert_int_equal(d.fields.count, 0);
			assert_int_equal(d.verify_message.len, 0);
		}
	}
}

/* What may follow the base fields in an INFO reply (INFO true) or an
 * entry: VERIFY_STATUS S (if S >= 0), VERIFY_TIME (if T), MESSAGE (if M). */
static struct proto_bytes
meta_verify(long s, bool t, bool m)
{
	put_meta_base();
	if (s >= 0)
		proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, (uint32_t)s);
	if (t)
		proto_put_u64(&bw, PROTO_TAG_VERIFY_TIME, 1);
	if (m)
		proto_put_string(&bw, PROTO_TAG_VERIFY_MESSAGE, "m", 1);
	return wbody();
}

static void
test_verify_fields_reject(void **state)
{
	size_t at;

	(void)state;
	ACCEPT(d_info_reply, meta_verify(-1, false, false));
	ACCEPT(d_info_reply, meta_verify(1, true, false));
	ACCEPT(d_info_reply, meta_verify(2, true, true));
	REJECT(d_info_reply, meta_verify(1, false, false));
	REJECT(d_info_reply, meta_verify(-1, true, false));
	REJECT(d_info_reply, meta_verify(-1, false, true));
	REJECT(d_info_reply, meta_verify(-1, true, true));
	REJECT(d_info_reply, meta_verify(1, false, true));
	REJECT(d_info_reply, meta_verify(0, true, false));
	REJECT(d_info_reply, meta_verify(3, true, false));
	ACCEPT(d_meta_entry, meta_verify(-1, false, false));
	ACCEPT(d_meta_entry, meta_verify(1, true, false));
	ACCEPT(d_meta_entry, meta_verify(2, true, false));
	REJECT(d_meta_entry, meta_verify(2, true, true));
	REJECT(d_meta_entry, meta_verify(1, false, false));
	REJECT(d_meta_entry, meta_verify(-1, true, false));
	REJECT(d_meta_entry, meta_verify(0, true, false));
	REJECT(d_meta_entry, meta_verify(3, true, false));
	/* a message at most 255 bytes */
	put_meta_base();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 2);
	proto_put_u64(&bw, PROTO_TAG_VERIFY_TIME, 1);
	at = bw.len;
	proto_put_string(&bw, PROTO_TAG_VERIFY_MESSAGE, mmm, PROTO_VERIFY_MESSAGE_MAX);
	ACCEPT(d_info_reply, wbody());
	bw.len = at;
	proto_put_string(&bw, PROTO_TAG_VERIFY_MESSAGE, mmm, PROTO_VERIFY_MESSAGE_MAX + 1);
	REJECT(d_info_reply, wbody());
}

/* The base fields, then GROUPS FIELD groups built by hand: each KEY of
 * KLEN bytes and a value unless V is NULL. */
static void
put_field_group(const char *key, size_t klen, const char *v)
{
	size_t off = proto_group_begin(&bw, PROTO_TAG_FIELD);

	proto_put_string(&bw, PROTO_TAG_FIELD_KEY, key, klen);
	if (v != NULL)
		proto_put_bytes(&bw, PROTO_TAG_FIELD_VALUE, v, strlen(v));
	proto_group_end(&bw, off);
}

static void
test_info_fields_reject(void **state)
{
	char key[PROTO_FIELD_KEY_MAX + 1];
	size_t off;
	unsigned i;

	(void)state;
	memset(key, 'k', sizeof(key));
	put_meta_base();
	put_field_group("host", 4, "h");
	put_field_group("password", 8, NULL);
	ACCEPT(d_info_reply, wbody());
	REJECT(d_meta_entry, wbody());
	/* keys: ascending, unique, [a-z0-9_], 1-64 bytes */
	put_meta_base();
	put_field_group("password", 8, NULL);
	put_field_group("host", 4, "h");
	REJECT(d_info_reply, wbody());
	put_meta_base();
	put_field_group("host", 4, "h");
	put_field_group("host", 4, NULL);
	REJECT(d_info_reply, wbody());
	put_meta_base();
	put_field_group("Host", 4, "h");
	REJECT(d_info_reply, wbody());
	put_meta_base();
	put_field_group("", 0, "h");
	REJECT(d_info_reply, wbody());
	put_meta_base();
	put_field_group(key, PROTO_FIELD_KEY_MAX, "h");
	ACCEPT(d_info_reply, wbody());
	put_meta_base();
	put_field_group(key, PROTO_FIELD_KEY_MAX + 1, "h");
	REJECT(d_info_reply, wbody());
	/* a group of FIELD_KEY and FIELD_VALUE, in that order, nothing else */
	put_meta_base();
	off = proto_group_begin(&bw, PROTO_TAG_FIELD);
	proto_put_bytes(&bw, PROTO_TAG_FIELD_VALUE, "v", 1);
	proto_group_end(&bw, off);
	REJECT(d_info_reply, wbody());
	put_meta_base();
	off = proto_group_begin(&bw, PROTO_TAG_FIELD);
	proto_put_string(&bw, PROTO_TAG_FIELD_KEY, "k", 1);
	proto_put_string(&bw, PROTO_TAG_FIELD_VALUE, "v", 1);
	proto_group_end(&bw, off);
	REJECT(d_info_reply, wbody());
	put_meta_base();
	off = proto_group_begin(&bw, PROTO_TAG_FIELD);
	proto_put_string(&bw, PROTO_TAG_FIELD_KEY, "k", 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	proto_group_end(&bw, off);
	REJECT(d_info_reply, wbody());
	put_meta_base();
	proto_put_bytes(&bw, PROTO_TAG_FIELD, "", 0);
	REJECT(d_info_reply, wbody());
	/* at most 64 groups, consecutive, before the verify fields */
	put_meta_base();
	buf_put_bytes(&bw, fields_span(PROTO_TYPED_FIELDS_MAX).raw.ptr,
		      fields_span(PROTO_TYPED_FIELDS_MAX).raw.len);
	ACCEPT(d_info_reply, wbody());
	put_field_group("zz", 2, "v");
	REJECT(d_info_reply, wbody());
	put_meta_base();
	put_field_group("a", 1, "v");
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	put_field_group("b", 1, "v");
	proto_put_u64(&bw, PROTO_TAG_VERIFY_TIME, 1);
	REJECT(d_info_reply, wbody());
	put_meta_base();
	proto_put_u32(&bw, PROTO_TAG_VERIFY_STATUS, 1);
	proto_put_u64(&bw, PROTO_TAG_VERIFY_TIME, 1);
	put_field_group("a", 1, "v");
	REJECT(d_info_reply, wbody());
	/* after the usage fields, not before */
	put_meta_base();
	put_field_group("a", 1, "v");
	proto_put_u64(&bw, PROTO_TAG_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	REJECT(d_info_reply, wbody());
	for (i = 0; i < 2; i++) {
		put_meta_base();
		proto_put_u64(&bw, PROTO_TAG_READS, 1);
		proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
		put_field_group("a", 1, i == 0 ? "v" : NULL);
		ACCEPT(d_info_reply, wbody());
	}
}

static void
test_list_flags(void **state)
{
	struct proto_list m = {.flags = PROTO_LIST_UNVERIFIED}, d;
	uint32_t v;
	size_t len;

	(void)state;
	for (v = 0; v <= 16; v++) {
		wstart();
		proto_put_u32(&bw, PROTO_TAG_FLAGS, v);
		assert_int_equal(d_list(wbody()), v <= PROTO_LIST_FLAGS_ALL ? 0 : -EBADMSG);
	}
	assert_int_equal(PROTO_LIST_FLAGS_ALL, PROTO_LIST_DELETED | PROTO_LIST_ALL_USERS |
						       PROTO_LIST_UNVERIFIED);
	ENCODE(proto_encode_list(w, 4, &m));
	assert_int_equal(len, PROTO_REQ_HDR + PROTO_FIELD_HDR + 4);
	assert_int_equal(proto_decode_list(frame_body(out, len, false, PROTO_MSG_LIST, 4, 0), &d),
			 0);
	assert_int_equal(d.flags, PROTO_LIST_UNVERIFIED);
}

/* ---- mutations of the golden frames ---- */

struct dec {
	const char *name;
	bool reply;
	int (*decode)(struct proto_bytes body);
	const char *required; /* tags whose removal breaks the body */
	const char *dup_ok;   /* tags that may be duplicated */
};

static const struct dec decs[] = {
	{"verify", false, d_verify, "\x11\x66", ""},
	/* VERIFY_STATUS and VERIFY_TIME go together; VERSIONS may repeat,
	 * but a duplicated FIELD repeats its key */
	{"info-reply-typed", true, d_info_reply, "\x10\x11\x12\x13\x14\x16\x18\x19\x66\x67",
	 "\x1d"},
	{"list-reply-verify", true, d_list_reply, "", "\x2c"},
};
#define N_DECS (sizeof(decs) / sizeof(decs[0]))

static uint8_t file[BUF_MAX], mbuf[BUF_MAX];

static struct proto_bytes
golden_body(const struct dec *d)
{
	size_t n = load_hex(d->name, file, sizeof(file));
	struct proto_frame f;

	assert_int_equal(proto_frame_parse(file, n, PROTO_FRAME_MAX_DEFAULT, d->reply, &f), (int)n);
	assert_int_equal(d->decode(f.body), 0);
	return f.body;
}

struct fld {
	size_t off, len;
	uint8_t tag;
};

static size_t
split(struct proto_bytes b, struct fld *f, size_t max)
{
	size_t n = 0, off = 0, len;

	while (off < b.len) {
		assert_true(n < max);
		len = PROTO_FIELD_HDR + buf_load_u32(b.ptr + off + 2);
		f[n++] = (struct fld){off, len, b.ptr[off]};
		off += len;
	}
	assert_int_equal(off, b.len);
	return n;
}

/* B without [OFF, OFF+CUT), with INS there instead. */
static struct proto_bytes
splice(struct proto_bytes b, size_t off, size_t cut, const void *ins, size_t ins_len)
{
	memmove(mbuf, b.ptr, off);
	if (ins_len > 0)
		memmove(mbuf + off, ins, ins_len);
	memmove(mbuf + off + ins_len, b.ptr + off + cut, b.len - off - cut);
	return (struct proto_bytes){mbuf, b.len - cut + ins_len};
}

static void
test_mutations(void **state)
{
	static const uint8_t junk[PROTO_FIELD_HDR] = {0x7f, PROTO_KIND_BYTES, 0, 0, 0, 0};
	struct fld fl[64];
	struct proto_bytes b;
	size_t i, j, k, nf;
	bool boundary, sole, req, dup;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i]);
		nf = split(b, fl, 64);
		/* cut inside a field: malformed */
		for (k = 0; k < b.len; k++) {
			boundary = false;
			for (j = 0; j < nf; j++)
				boundary |= fl[j].off == k;
			if (!boundary)
				REJECT(decs[i].decode, ((struct proto_bytes){b.ptr, k}));
		}
		/* trailing bytes */
		for (k = 1; k <= PROTO_FIELD_HDR; k++)
			REJECT(decs[i].decode, splice(b, b.len, 0, junk, k));
		for (j = 0; j < nf; j++) {
			/* removed: fails for a sole required (or tied) field */
			sole = (j == 0 || fl[j - 1].tag != fl[j].tag) &&
			       (j + 1 == nf || fl[j + 1].tag != fl[j].tag);
			req = strchr(decs[i].required, fl[j].tag) != NULL;
			assert_int_equal(decs[i].decode(splice(b, fl[j].off, fl[j].len, NULL, 0)),
					 sole && req ? -EBADMSG : 0);
			/* duplicated */
			dup = strchr(decs[i].dup_ok, fl[j].tag) != NULL;
			assert_int_equal(decs[i].decode(splice(b, fl[j].off, 0, b.ptr + fl[j].off,
							       fl[j].len)),
					 dup ? 0 : -EBADMSG);
			/* another kind */
			for (k = 0; k <= 6; k++) {
				if (k == b.ptr[fl[j].off + 1])
					continue;
				splice(b, 0, 0, NULL, 0);
				mbuf[fl[j].off + 1] = (uint8_t)k;
				REJECT(decs[i].decode, ((struct proto_bytes){mbuf, b.len}));
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_roundtrip),
		cmocka_unit_test(test_verify_reject),
		cmocka_unit_test(test_info_roundtrip),
		cmocka_unit_test(test_entry_roundtrip),
		cmocka_unit_test(test_verify_fields_reject),
		cmocka_unit_test(test_info_fields_reject),
		cmocka_unit_test(test_list_flags),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
