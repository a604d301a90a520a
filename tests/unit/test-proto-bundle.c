/* SPDX-License-Identifier: MIT */
/*
 * proto/: the plaintext of export bundle chunks. A secret chunk round
 * trips with and without its optional fields, up to PROTO_VERSIONS_MAX
 * versions and PROTO_LABELS_MAX labels, and is rejected whenever a rule
 * breaks: a field missing, of the wrong kind or out of order; a NAME,
 * TYPE or LABEL the validators refuse; STATE over the cap; QUOTA without
 * QUOTA_PERIOD or the other way round, a quota of 0 or a period out of
 * range; a VERSIONS group that does not decode, versions not ascending
 * or without the current one. The trailer: SECRETS alone.
 * The golden chunks are in test-proto-transfer.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t vbuf[BUF_MAX], lbuf[PROTO_LABELS_MAX * 16], fill[PROTO_NAME_MAX + 2];

static int
d_secret(struct proto_bytes b)
{
	struct proto_bundle_secret m;

	return proto_decode_bundle_secret(b, &m);
}

static int
d_version(struct proto_bytes b)
{
	struct proto_bundle_version m;

	return proto_decode_bundle_version(b, &m);
}

static int
d_trailer(struct proto_bytes b)
{
	uint64_t n;

	return proto_decode_bundle_trailer(b, &n);
}

/* Versions FIRST, FIRST + STEP, ... (N of them) into vbuf. */
static struct proto_list_span
versions(uint32_t first, uint32_t step, uint32_t n)
{
	struct buf_writer w;
	uint32_t i;

	buf_writer_init(&w, vbuf, sizeof(vbuf));
	for (i = 0; i < n; i++) {
		struct proto_bundle_version v = {first + i * step, 1735689600 + i, 1000 + i,
						 {(const uint8_t *)"value", i % 6}};

		proto_put_bundle_version(&w, &v);
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{vbuf, w.len}, n};
}

static struct proto_list_span
labels(uint32_t n, const char *l)
{
	struct buf_writer w;
	uint32_t i;

	buf_writer_init(&w, lbuf, sizeof(lbuf));
	for (i = 0; i < n; i++)
		proto_put_string(&w, PROTO_TAG_LABEL, l, strlen(l));
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{lbuf, w.len}, n};
}

/* A valid secret of one version, 1. */
static struct proto_bundle_secret
base(void)
{
	return (struct proto_bundle_secret){
		.name = B("db/x"),
		.version = 1,
		.type = B("generic"),
		.max_versions = 10,
		.created = 1,
		.updated = 2,
		.versions = versions(1, 1, 1),
	};
}

/* S written with proto_put_bundle_secret(), decoded by the decoder. */
static int
put_decode(const struct proto_bundle_secret *s, struct proto_bundle_secret *ret)
{
	wstart();
	proto_put_bundle_secret(&bw, s);
	return proto_decode_bundle_secret(wbody(), ret);
}

static void
cmp_secret(const struct proto_bundle_secret *a, const struct proto_bundle_secret *b)
{
	assert_bytes(a->name, b->name);
	assert_int_equal(a->version, b->version);
	assert_bytes(a->type, b->type);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->max_versions, b->max_versions);
	assert_int_equal(a->has_expires, b->has_expires);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->updated, b->updated);
	assert_span(&a->labels, &b->labels);
	assert_span(&a->versions, &b->versions);
	assert_int_equal(a->quota, b->quota);
	assert_int_equal(a->quota_period, b->quota_period);
}

static void
test_secret_roundtrip(void **state)
{
	struct proto_bundle_secret s, d;
	struct proto_bundle_version v;
	struct proto_iter it;
	struct proto_bytes g;
	uint32_t st, p, n = 0;

	(void)state;
	s = base();
	assert_int_equal(put_decode(&s, &d), 0);
	cmp_secret(&d, &s);
	for (st = 0; st <= PROTO_STATE_MAX; st++)
		for (p = 0; p <= PROTO_PERIOD_MAX; p++) {
			s = base();
			s.state = st;
			s.has_expires = p == 1;
			s.expires = p == 1 ? UINT64_MAX : 0;
			s.quota = p == 0 ? 0 : (p == 3 ? UINT32_MAX : 1);
			s.quota_period = p;
			s.labels = labels(p * 21, "env=prod");
			s.versions = versions(1, 3, p + 1);
			s.version = 1 + 3 * p;
			assert_int_equal(put_decode(&s, &d), 0);
			cmp_secret(&d, &s);
		}
	/* the most of everything */
	s = base();
	s.name = (struct proto_bytes){fill, PROTO_NAME_MAX};
	s.type = B("abcdefghijklmnopqrstuvwxyz012345");
	s.labels = labels(PROTO_LABELS_MAX, "k=v");
	s.versions = versions(1, 1, PROTO_VERSIONS_MAX);
	s.version = PROTO_VERSIONS_MAX / 2;
	assert_int_equal(put_decode(&s, &d), 0);
	cmp_secret(&d, &s);
	/* every group decodes to what went in */
	proto_iter_init(&it, &d.versions);
	while (proto_iter_next(&it, &g) == 1) {
		assert_int_equal(proto_decode_bundle_version(g, &v), 0);
		assert_int_equal(v.version, n + 1);
		assert_int_equal(v.created, 1735689600 + n);
		assert_int_equal(v.created_by, 1000 + n);
		assert_int_equal(v.value.len, n % 6);
		n++;
	}
	assert_int_equal(n, PROTO_VERSIONS_MAX);
	/* a counting writer agrees */
	{
		struct buf_writer cw;

		buf_writer_init(&cw, NULL, 0);
		proto_put_bundle_secret(&cw, &s);
		wstart();
		proto_put_bundle_secret(&bw, &s);
		assert_int_equal(cw.len, bw.len);
	}
}

static void
test_secret_caps(void **state)
{
	struct proto_bundle_secret s, d;

	(void)state;
	s = base();
	s.versions = versions(1, 1, PROTO_VERSIONS_MAX + 1);
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	s = base();
	s.labels = labels(PROTO_LABELS_MAX + 1, "k=v");
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	s = base();
	s.name = (struct proto_bytes){fill, PROTO_NAME_MAX + 1};
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	s = base();
	s.type = B("abcdefghijklmnopqrstuvwxyz0123456");
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	s = base();
	s.state = PROTO_STATE_MAX + 1;
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
}

/* What the validators refuse, a bundle refuses. */
static void
test_secret_validity(void **state)
{
	static const char *const names[] = {"a//b", "/a", "a/", "..", "a b", "x\x80"};
	static const char *const types[] = {"Password", "api-key", "a b"};
	static const char *const lbls[] = {"novalue", "=v", "k=\x7f", "k k=v"};
	struct proto_bundle_secret s, d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = base();
		s.name = (struct proto_bytes){(const uint8_t *)names[i], strlen(names[i])};
		assert_int_equal(put_decode(&s, &d), -EBADMSG);
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		s = base();
		s.type = (struct proto_bytes){(const uint8_t *)types[i], strlen(types[i])};
		assert_int_equal(put_decode(&s, &d), -EBADMSG);
	}
	for (i = 0; i < sizeof(lbls) / sizeof(lbls[0]); i++) {
		s = base();
		s.labels = labels(1, lbls[i]);
		assert_int_equal(put_decode(&s, &d), -EBADMSG);
	}
	/* TYPE is required in a bundle (no default to fall back on) */
	s = base();
	s.type = (struct proto_bytes){0};
	wstart();
	proto_put_bundle_secret(&bw, &s);
	REJECT(d_secret, wbody());
}

/* QUOTA and QUOTA_PERIOD: both or neither, quota >= 1, period 1..3. */
static void
test_secret_quota(void **state)
{
	static const struct {
		uint32_t q, p;
		int want;
	} cases[] = {
		{0, 0, 0}, {1, 1, 0}, {100, 2, 0}, {UINT32_MAX, 3, 0},
		{1, 0, -EBADMSG}, {0, 1, -EBADMSG}, {1, 4, -EBADMSG}, {1, UINT32_MAX, -EBADMSG},
	};
	struct proto_bundle_secret s, d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = base();
		s.quota = cases[i].q;
		s.quota_period = cases[i].p;
		assert_int_equal(put_decode(&s, &d), cases[i].want);
	}
	/* explicit zeros are not "none" */
	s = base();
	wstart();
	proto_put_bundle_secret(&bw, &s);
	proto_put_u32(&bw, PROTO_TAG_QUOTA, 0);
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 2);
	REJECT(d_secret, wbody());
	wstart();
	proto_put_bundle_secret(&bw, &s);
	proto_put_u32(&bw, PROTO_TAG_QUOTA, 5);
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 0);
	REJECT(d_secret, wbody());
	/* kinds and order */
	wstart();
	proto_put_bundle_secret(&bw, &s);
	proto_put_u64(&bw, PROTO_TAG_QUOTA, 5);
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 1);
	REJECT(d_secret, wbody());
	wstart();
	proto_put_bundle_secret(&bw, &s);
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 1);
	proto_put_u32(&bw, PROTO_TAG_QUOTA, 5);
	REJECT(d_secret, wbody());
}

/* VERSIONS: each group valid, ascending, one of them the current. */
static void
test_secret_versions(void **state)
{
	struct proto_bundle_secret s, d;
	uint8_t two[256];
	size_t off, half;

	(void)state;
	/* none: no current version */
	s = base();
	s.versions = (struct proto_list_span){0};
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	/* the current among them, anywhere */
	s = base();
	s.versions = versions(1, 1, 5);
	for (s.version = 0; s.version <= 6; s.version++)
		assert_int_equal(put_decode(&s, &d), s.version >= 1 && s.version <= 5 ? 0 : -EBADMSG);
	/* descending, or a repeat */
	s = base();
	s.versions = versions(5, UINT32_MAX, 2); /* 5, 4 */
	s.version = 5;
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	s.versions = versions(5, 0, 2); /* 5, 5 */
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	/* version 0 is none */
	s.versions = versions(0, 1, 2); /* 0, 1 */
	s.version = 1;
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	/* a gap is fine (pruned or purged versions) */
	s.versions = versions(2, 7, 3);
	s.version = 16;
	assert_int_equal(put_decode(&s, &d), 0);
	/* the highest need not be current (the agent's business) */
	s.version = 2;
	assert_int_equal(put_decode(&s, &d), 0);
	/* a broken group breaks the chunk: VALUE missing in the second */
	s = base();
	s.versions = versions(1, 1, 1);
	half = s.versions.raw.len;
	memcpy(two, s.versions.raw.ptr, half);
	{
		struct buf_writer w;

		buf_writer_init(&w, two + half, sizeof(two) - half);
		off = proto_group_begin(&w, PROTO_TAG_VERSIONS);
		proto_put_u32(&w, PROTO_TAG_VERSION, 2);
		proto_put_u64(&w, PROTO_TAG_CREATED, 1);
		proto_put_u32(&w, PROTO_TAG_CREATED_BY, 1);
		proto_group_end(&w, off);
		assert_int_equal(buf_writer_error(&w), 0);
		s.versions = (struct proto_list_span){{two, half + w.len}, 2};
	}
	assert_int_equal(put_decode(&s, &d), -EBADMSG);
	/* an INFO reply's VERSIONS group (no VALUE) is no bundle version */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 1);
	REJECT(d_version, wbody());
}

enum { V_VERSION = 1, V_CREATED = 2, V_BY = 4, V_VALUE = 8 };

static struct proto_bytes
version_body(unsigned has, uint32_t ver)
{
	wstart();
	if (has & V_VERSION)
		proto_put_u32(&bw, PROTO_TAG_VERSION, ver);
	if (has & V_CREATED)
		proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	if (has & V_BY)
		proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 0);
	if (has & V_VALUE)
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "\0\xff", 2);
	return wbody();
}

static void
test_version_group(void **state)
{
	struct proto_bundle_version v;
	unsigned has;

	(void)state;
	for (has = 0; has < 16; has++)
		assert_int_equal(d_version(version_body(has, 1)), has == 15 ? 0 : -EBADMSG);
	assert_int_equal(proto_decode_bundle_version(version_body(15, UINT32_MAX), &v), 0);
	assert_int_equal(v.version, UINT32_MAX);
	assert_int_equal(v.created_by, 0);
	assert_bytes(v.value, ((struct proto_bytes){(const uint8_t *)"\0\xff", 2}));
	REJECT(d_version, version_body(15, 0));
	/* VALUE is BYTES; order; extra fields */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 0);
	proto_put_string(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_version, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 0);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_version, wbody());
	version_body(15, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_version, wbody());
}

/* Required fields and order in a secret chunk. base() has nothing
 * optional: NAME, VERSION, TYPE, STATE, MAX_VERSIONS, CREATED, UPDATED
 * are required, and its one VERSIONS group holds the current version. */
static void
test_secret_fields(void **state)
{
	struct proto_bundle_secret s = base();
	struct proto_bytes body;
	uint8_t copy[512];
	size_t off, n, len;

	(void)state;
	wstart();
	proto_put_bundle_secret(&bw, &s);
	body = wbody();
	assert_true(body.len <= sizeof(copy));
	memcpy(copy, body.ptr, body.len);
	n = body.len;
	/* drop each top-level field in turn; swap each with the next */
	for (off = 0; off < n; off += len) {
		size_t next;

		len = PROTO_FIELD_HDR + buf_load_u32(copy + off + 2);
		wstart();
		buf_put_bytes(&bw, copy, off);
		buf_put_bytes(&bw, copy + off + len, n - off - len);
		REJECT(d_secret, wbody());
		if (off + len == n)
			continue;
		next = PROTO_FIELD_HDR + buf_load_u32(copy + off + len + 2);
		wstart();
		buf_put_bytes(&bw, copy, off);
		buf_put_bytes(&bw, copy + off + len, next);
		buf_put_bytes(&bw, copy + off, len);
		buf_put_bytes(&bw, copy + off + len + next, n - off - len - next);
		REJECT(d_secret, wbody());
	}
	/* no OWNER (the importer's), no DELETED, no MESSAGE */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	buf_put_bytes(&bw, copy, n);
	REJECT(d_secret, wbody());
	wstart();
	buf_put_bytes(&bw, copy, n);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_secret, wbody());
	/* an empty chunk, and a truncated one */
	REJECT(d_secret, ((struct proto_bytes){NULL, 0}));
	REJECT(d_secret, ((struct proto_bytes){copy, n - 1}));
}

static void
test_trailer(void **state)
{
	uint64_t n = 0;

	(void)state;
	wstart();
	proto_put_bundle_trailer(&bw, UINT64_MAX);
	assert_int_equal(proto_decode_bundle_trailer(wbody(), &n), 0);
	assert_int_equal(n, UINT64_MAX);
	wstart();
	proto_put_bundle_trailer(&bw, 0);
	assert_int_equal(proto_decode_bundle_trailer(wbody(), &n), 0);
	assert_int_equal(n, 0);
	REJECT(d_trailer, ((struct proto_bytes){NULL, 0}));
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SECRETS, 3);
	REJECT(d_trailer, wbody());
	wstart();
	proto_put_bundle_trailer(&bw, 3);
	proto_put_bundle_trailer(&bw, 3);
	REJECT(d_trailer, wbody());
	wstart();
	proto_put_bundle_trailer(&bw, 3);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_trailer, wbody());
	wstart();
	put_name();
	REJECT(d_trailer, wbody());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_roundtrip),
		cmocka_unit_test(test_secret_caps),
		cmocka_unit_test(test_secret_validity),
		cmocka_unit_test(test_secret_quota),
		cmocka_unit_test(test_secret_versions),
		cmocka_unit_test(test_version_group),
		cmocka_unit_test(test_secret_fields),
		cmocka_unit_test(test_trailer),
	};

	memset(fill, 'n', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
