/* SPDX-License-Identifier: MIT */
/*
 * proto/: export and import beyond the golden examples. Round trips of
 * EXPORT, IMPORT (a bundle's passphrase, or inline entries up to
 * PROTO_IMPORT_ENTRIES_MAX), their replies (the IMPORT reply with OK and
 * with CONFLICT), and of the bundle chunks; and what each decoder
 * rejects: wrong kinds, missing required fields, fields out of order,
 * counts over their caps, a passphrase with entries, conflict names that
 * are no names or more than counted. The bundle chunks are in
 * test-proto-bundle.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX], scratch[BUF_MAX], fill[PROTO_NAME_MAX + PROTO_PASSPHRASE_MAX + 2];

static struct buf_writer
writer(void)
{
	struct buf_writer w;

	buf_writer_init(&w, out, sizeof(out));
	return w;
}

#define ENCODE(call)                                       \
	do {                                               \
		struct buf_writer w_ = writer(), *w = &w_; \
		assert_int_equal((call), 0);               \
		len = w_.len;                              \
	} while (0)

static int
d_export(struct proto_bytes b)
{
	struct proto_export m;

	return proto_decode_export(b, &m);
}

static int
d_export_reply(struct proto_bytes b)
{
	struct proto_export_reply m;

	return proto_decode_export_reply(b, &m);
}

static int
d_import(struct proto_bytes b)
{
	struct proto_import m;

	return proto_decode_import(b, &m);
}

static int
d_import_entry(struct proto_bytes b)
{
	struct proto_import_entry m;

	return proto_decode_import_entry(b, &m);
}

static int
d_import_reply(struct proto_bytes b)
{
	struct proto_import_reply m;

	return proto_decode_import_reply(b, &m);
}

/* ---- EXPORT ---- */

static size_t
pfx_len(struct proto_bytes p)
{
	return p.len > 0 ? PROTO_FIELD_HDR + p.len : 0;
}

static void
test_export_roundtrip(void **state)
{
	static const uint8_t odd[] = {0, 0xff, '\n', 0x80};
	const struct proto_bytes passes[] = {B("p"), {odd, sizeof(odd)},
					       {fill, PROTO_PASSPHRASE_MAX}};
	const struct proto_bytes prefixes[] = {{NULL, 0}, B("db/"), B("db"),
					       {fill, PROTO_NAME_MAX + 1}};
	struct proto_export m, d;
	size_t i, j, len;
	uint32_t f;

	(void)state;
	for (i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
		for (j = 0; j < sizeof(prefixes) / sizeof(prefixes[0]); j++)
			for (f = 0; f <= PROTO_EXPORT_FLAGS_ALL; f++) {
				m = (struct proto_export){passes[i], prefixes[j], f};
				ENCODE(proto_encode_export(w, 7, &m));
				assert_int_equal(len, PROTO_REQ_HDR + PROTO_FIELD_HDR +
							      passes[i].len + pfx_len(prefixes[j]) +
							      (f != 0 ? PROTO_FIELD_HDR + 4 : 0));
				assert_int_equal(proto_decode_export(frame_body(out, len, false,
										PROTO_MSG_EXPORT, 7, 0),
								     &d), 0);
				assert_bytes(d.passphrase, m.passphrase);
				assert_bytes(d.prefix, m.prefix);
				assert_int_equal(d.flags, m.flags);
			}
}

static void
test_export_reject(void **state)
{
	(void)state;
	/* PASSPHRASE: required, 1..MAX, BYTES */
	wstart();
	REJECT(d_export, wbody());
	proto_put_string(&bw, PROTO_TAG_PREFIX, "db/", 3);
	REJECT(d_export, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "", 0);
	REJECT(d_export, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, fill, PROTO_PASSPHRASE_MAX + 1);
	REJECT(d_export, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_export, wbody());
	/* PREFIX at most 256, a STRING; FLAGS only CURRENT_ONLY */
	wstart();
	proto_put_string(&bw, PROTO_TAG_PREFIX, fill, PROTO_NAME_MAX + 2);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_export, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PREFIX, "db/", 3);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_export, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 2);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_export, wbody());
	/* tag order: PREFIX, FLAGS, PASSPHRASE */
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	proto_put_string(&bw, PROTO_TAG_PREFIX, "db/", 3);
	REJECT(d_export, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_export, wbody());
	/* no NAME, no entries */
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_export, wbody());
	/* the reply: SECRETS required, a u64 */
	wstart();
	REJECT(d_export_reply, wbody());
	proto_put_u32(&bw, PROTO_TAG_SECRETS, 3);
	REJECT(d_export_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_SECRETS, UINT64_MAX);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	ACCEPT(d_export_reply, wbody());
}

static void
test_export_reply_roundtrip(void **state)
{
	static const uint64_t ns[] = {0, 1, UINT64_MAX};
	struct proto_export_reply m, d;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		m = (struct proto_export_reply){ns[i], i == 1 ? B("3 skipped") : (struct proto_bytes){0}};
		ENCODE(proto_encode_export_reply(w, 9, &m));
		assert_int_equal(proto_decode_export_reply(
					 frame_body(out, len, true, 0x80 | PROTO_MSG_EXPORT, 9, 0), &d),
				 0);
		assert_int_equal(d.secrets, ns[i]);
		assert_bytes(d.message, m.message);
	}
}

/* ---- IMPORT ---- */

/* N entries named e0, e1, ... into scratch. */
static struct proto_list_span
entries(uint32_t n)
{
	struct buf_writer w;
	char nm[16];
	uint32_t i;

	buf_writer_init(&w, scratch, sizeof(scratch));
	for (i = 0; i < n; i++) {
		struct proto_import_entry e = {.value = {(const uint8_t *)"v", i % 2}};

		e.name = (struct proto_bytes){(const uint8_t *)nm,
					      (size_t)snprintf(nm, sizeof(nm), "e%u", i)};
		proto_put_import_entry(&w, &e);
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{scratch, w.len}, n};
}

static void
test_import_roundtrip(void **state)
{
	static const uint32_t ns[] = {0, 1, 2, 100, PROTO_IMPORT_ENTRIES_MAX};
	struct proto_import m, d;
	size_t i, len;
	uint32_t f;

	(void)state;
	for (f = 0; f <= PROTO_IMPORT_FLAGS_ALL; f++) {
		m = (struct proto_import){.has_passphrase = true, .passphrase = B("pw"), .flags = f};
		ENCODE(proto_encode_import(w, 3, &m));
		assert_int_equal(proto_decode_import(frame_body(out, len, false, PROTO_MSG_IMPORT, 3, 0),
						     &d), 0);
		assert_true(d.has_passphrase);
		assert_bytes(d.passphrase, m.passphrase);
		assert_int_equal(d.flags, f);
		assert_int_equal(d.entries.count, 0);
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			m = (struct proto_import){.flags = f, .entries = entries(ns[i])};
			ENCODE(proto_encode_import(w, 4, &m));
			assert_int_equal(proto_decode_import(frame_body(out, len, false,
									PROTO_MSG_IMPORT, 4, 0),
							     &d), 0);
			assert_false(d.has_passphrase);
			assert_int_equal(d.flags, f);
			assert_span(&d.entries, &m.entries);
		}
	}
	/* an empty IMPORT decodes (the agent says whether it means anything) */
	ACCEPT(d_import, ((struct proto_bytes){NULL, 0}));
}

static void
test_import_reject(void **state)
{
	struct proto_list_span span;

	(void)state;
	/* one entry over the cap */
	span = entries(PROTO_IMPORT_ENTRIES_MAX + 1);
	REJECT(d_import, span.raw);
	/* a passphrase opens a bundle: not with entries */
	span = entries(1);
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	ACCEPT(d_import, wbody());
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_import, wbody());
	/* flags: DRY_RUN and OVERWRITE only */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 4);
	REJECT(d_import, wbody());
	/* order: FLAGS, ENTRY*, PASSPHRASE */
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_import, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_import, wbody());
	/* passphrase: not empty, not over the cap, BYTES */
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "", 0);
	REJECT(d_import, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, fill, PROTO_PASSPHRASE_MAX + 1);
	REJECT(d_import, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_import, wbody());
	/* an ENTRY is a group */
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_ENTRY, "", 0);
	REJECT(d_import, wbody());
	/* entries are consecutive */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	ACCEPT(d_import, wbody());
}

enum { E_NAME = 1, E_TYPE = 2, E_EXPIRES = 4, E_LABEL = 8, E_VALUE = 16 };
#define E_ALL 31u

/* One IMPORT with one ENTRY of HAS; the group's content in *GROUP. */
static struct proto_bytes
import_with(unsigned has, struct proto_bytes *group)
{
	size_t off;

	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	if (has & E_NAME)
		proto_put_string(&bw, PROTO_TAG_NAME, "app/X", 5);
	if (has & E_TYPE)
		proto_put_string(&bw, PROTO_TAG_TYPE, "api_key", 7);
	if (has & E_EXPIRES)
		proto_put_u64(&bw, PROTO_TAG_EXPIRES, 1);
	if (has & E_LABEL)
		proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	if (has & E_VALUE)
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "\0v", 2);
	proto_group_end(&bw, off);
	*group = (struct proto_bytes){bbuf + PROTO_FIELD_HDR, bw.len - PROTO_FIELD_HDR};
	return wbody();
}

static void
test_import_entry(void **state)
{
	struct proto_import_entry e, d;
	struct proto_bytes body, g;
	unsigned has;
	uint32_t i;
	size_t off;

	(void)state;
	/* NAME and VALUE required; the others optional */
	for (has = 0; has <= E_ALL; has++) {
		int want = (has & (E_NAME | E_VALUE)) == (E_NAME | E_VALUE) ? 0 : -EBADMSG;

		body = import_with(has, &g);
		assert_int_equal(d_import(body), want);
		assert_int_equal(d_import_entry(g), want);
	}
	body = import_with(E_ALL, &g);
	assert_int_equal(proto_decode_import_entry(g, &e), 0);
	assert_bytes(e.name, B("app/X"));
	assert_bytes(e.type, B("api_key"));
	assert_true(e.has_expires);
	assert_int_equal(e.expires, 1);
	assert_int_equal(e.labels.count, 1);
	assert_bytes(e.value, ((struct proto_bytes){(const uint8_t *)"\0v", 2}));
	/* written back, the same group */
	wstart();
	proto_put_import_entry(&bw, &e);
	assert_int_equal(bw.len, g.len + PROTO_FIELD_HDR);
	assert_memory_equal(bbuf + PROTO_FIELD_HDR, g.ptr, g.len);
	assert_int_equal(proto_decode_import_entry((struct proto_bytes){bbuf + PROTO_FIELD_HDR,
									 g.len},
						   &d), 0);
	/* an empty value is a value */
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "a", 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
	assert_int_equal(proto_decode_import_entry(wbody(), &d), 0);
	assert_int_equal(d.value.len, 0);
	assert_false(d.has_expires);
	/* caps: NAME 1..255, TYPE 32, 64 labels */
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "", 0);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_import_entry, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, fill, PROTO_NAME_MAX + 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_import_entry, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, fill, PROTO_NAME_MAX);
	proto_put_string(&bw, PROTO_TAG_TYPE, fill, PROTO_TYPE_MAX + 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_import_entry, wbody());
	for (i = PROTO_LABELS_MAX; i <= PROTO_LABELS_MAX + 1; i++) {
		uint32_t k;

		wstart();
		put_name();
		for (k = 0; k < i; k++)
			proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
		assert_int_equal(d_import_entry(wbody()), i <= PROTO_LABELS_MAX ? 0 : -EBADMSG);
	}
	/* a VALUE is BYTES; fields of other messages are unknown here */
	wstart();
	put_name();
	proto_put_string(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_import_entry, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_import_entry, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_import_entry, wbody());
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	proto_put_u32(&bw, PROTO_TAG_QUOTA, 1);
	REJECT(d_import_entry, wbody());
	/* VALUE before LABEL */
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	REJECT(d_import_entry, wbody());
	/* one bad entry breaks the IMPORT */
	wstart();
	e = (struct proto_import_entry){.name = B("a"), .value = B("v")};
	proto_put_import_entry(&bw, &e);
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	put_name();
	proto_group_end(&bw, off);
	REJECT(d_import, wbody());
}

/* ---- the IMPORT reply ---- */

static struct proto_list_span
conflicts(uint32_t n, const char *nm)
{
	struct buf_writer w;
	uint32_t i;

	buf_writer_init(&w, scratch, sizeof(scratch));
	for (i = 0; i < n; i++)
		proto_put_string(&w, PROTO_TAG_CONFLICT, nm, strlen(nm));
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{scratch, w.len}, n};
}

static void
test_import_reply_roundtrip(void **state)
{
	static const uint16_t statuses[] = {PROTO_OK, PROTO_CONFLICT};
	struct proto_import_reply m, d;
	size_t i, len;
	uint32_t n;

	(void)state;
	for (i = 0; i < 2; i++)
		for (n = 0; n <= PROTO_CONFLICTS_MAX; n += 16) {
			m = (struct proto_import_reply){
				.added = 5,
				.skipped = UINT32_MAX,
				.conflicted = n + (uint32_t)i * 1000,
				.conflicts = conflicts(n, "db/x"),
				.message = i == 0 ? (struct proto_bytes){0} : B("nothing imported"),
			};
			ENCODE(proto_encode_import_reply(w, 11, statuses[i], &m));
			assert_int_equal(proto_decode_import_reply(
						 frame_body(out, len, true, 0x80 | PROTO_MSG_IMPORT, 11,
							    statuses[i]),
						 &d),
					 0);
			assert_int_equal(d.added, m.added);
			assert_int_equal(d.skipped, m.skipped);
			assert_int_equal(d.conflicted, m.conflicted);
			assert_span(&d.conflicts, &m.conflicts);
			assert_bytes(d.message, m.message);
		}
}

static void
put_counts(uint32_t conflicted)
{
	proto_put_u32(&bw, PROTO_TAG_ADDED, 0);
	proto_put_u32(&bw, PROTO_TAG_SKIPPED, 0);
	proto_put_u32(&bw, PROTO_TAG_CONFLICTED, conflicted);
}

static void
test_import_reply_reject(void **state)
{
	static const char *const bad[] = {"a//b", "..", "/a", "a/", "a b", "caf\xc3\xa9"};
	struct proto_list_span span;
	size_t i;

	(void)state;
	/* the counts are required, each a u32 */
	wstart();
	REJECT(d_import_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_ADDED, 0);
	proto_put_u32(&bw, PROTO_TAG_SKIPPED, 0);
	REJECT(d_import_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_ADDED, 0);
	proto_put_u32(&bw, PROTO_TAG_CONFLICTED, 0);
	REJECT(d_import_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SKIPPED, 0);
	proto_put_u32(&bw, PROTO_TAG_CONFLICTED, 0);
	REJECT(d_import_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_ADDED, 0);
	proto_put_u32(&bw, PROTO_TAG_SKIPPED, 0);
	proto_put_u32(&bw, PROTO_TAG_CONFLICTED, 0);
	REJECT(d_import_reply, wbody());
	/* MESSAGE comes first (tag 64) */
	wstart();
	put_counts(0);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_import_reply, wbody());
	/* at most PROTO_CONFLICTS_MAX names, and no more than counted */
	for (i = PROTO_CONFLICTS_MAX - 1; i <= PROTO_CONFLICTS_MAX + 1; i++) {
		span = conflicts((uint32_t)i, "db/x");
		wstart();
		put_counts(1000);
		buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
		assert_int_equal(d_import_reply(wbody()), i <= PROTO_CONFLICTS_MAX ? 0 : -EBADMSG);
	}
	span = conflicts(3, "db/x");
	wstart();
	put_counts(2);
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	REJECT(d_import_reply, wbody());
	wstart();
	put_counts(3);
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	ACCEPT(d_import_reply, wbody());
	/* each a valid name */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		span = conflicts(1, bad[i]);
		wstart();
		put_counts(1);
		buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
		REJECT(d_import_reply, wbody());
	}
	wstart();
	put_counts(1);
	proto_put_string(&bw, PROTO_TAG_CONFLICT, "", 0);
	REJECT(d_import_reply, wbody());
	wstart();
	put_counts(1);
	proto_put_string(&bw, PROTO_TAG_CONFLICT, fill, PROTO_NAME_MAX);
	ACCEPT(d_import_reply, wbody());
	wstart();
	put_counts(1);
	proto_put_string(&bw, PROTO_TAG_CONFLICT, fill, PROTO_NAME_MAX + 1);
	REJECT(d_import_reply, wbody());
	wstart();
	put_counts(1);
	proto_put_bytes(&bw, PROTO_TAG_CONFLICT, "a", 1);
	REJECT(d_import_reply, wbody());
	/* the names come after the counts */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_ADDED, 0);
	proto_put_u32(&bw, PROTO_TAG_SKIPPED, 0);
	proto_put_string(&bw, PROTO_TAG_CONFLICT, "a", 1);
	proto_put_u32(&bw, PROTO_TAG_CONFLICTED, 1);
	REJECT(d_import_reply, wbody());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_roundtrip),
		cmocka_unit_test(test_export_reject),
		cmocka_unit_test(test_export_reply_roundtrip),
		cmocka_unit_test(test_import_roundtrip),
		cmocka_unit_test(test_import_reject),
		cmocka_unit_test(test_import_entry),
		cmocka_unit_test(test_import_reply_roundtrip),
		cmocka_unit_test(test_import_reply_reject),
	};

	memset(fill, 'n', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
