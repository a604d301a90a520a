/* SPDX-License-Identifier: MIT */
/*
 * proto/: targeted rejections of access control: SHARE's and UNSHARE's
 * one grantee and PERM rules, FLAGS bits, order, the GRANT group (its own
 * rules too, inside an INFO reply), the count of GRANT groups and where
 * they and the new tags may appear, and the types the share codec
 * accepts. SHARED's range is checked in test-proto-share-rt.c, with its
 * round trips; the systematic mutations of the golden frames are in
 * test-proto-reject.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t fill[PROTO_NAME_MAX + 1];

#define NONE (-1)

/* A SHARE/UNSHARE body: NAME, then each part only when asked (< 0: absent). */
static struct proto_bytes
share_body(int64_t flags, int64_t uid, int64_t gid, int64_t perm)
{
	wstart();
	put_name();
	if (flags >= 0)
		proto_put_u32(&bw, PROTO_TAG_FLAGS, (uint32_t)flags);
	if (uid >= 0)
		proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, (uint32_t)uid);
	if (gid >= 0)
		proto_put_u32(&bw, PROTO_TAG_GRANTEE_GID, (uint32_t)gid);
	if (perm >= 0)
		proto_put_u32(&bw, PROTO_TAG_PERM, (uint32_t)perm);
	return wbody();
}

/* Exactly one of GRANTEE_UID and GRANTEE_GID, in SHARE and UNSHARE. */
static void
test_share_grantee(void **state)
{
	struct proto_share m;

	(void)state;
	ACCEPT(d_share, share_body(NONE, 1001, NONE, 1));
	ACCEPT(d_share, share_body(NONE, NONE, 1500, 1));
	REJECT(d_share, share_body(NONE, 1001, 1500, 1));
	REJECT(d_share, share_body(NONE, NONE, NONE, 1));
	REJECT(d_share, share_body(1, NONE, NONE, 2));
	ACCEPT(d_unshare, share_body(NONE, 1001, NONE, NONE));
	ACCEPT(d_unshare, share_body(NONE, NONE, 1500, NONE));
	REJECT(d_unshare, share_body(NONE, 1001, 1500, NONE));
	REJECT(d_unshare, share_body(NONE, NONE, NONE, NONE));
	REJECT(d_unshare, share_body(1, NONE, NONE, NONE));
	/* 0 and UINT32_MAX are ids like any other here: the agent judges them */
	assert_int_equal(proto_decode_share(share_body(NONE, 0, NONE, 1), PROTO_MSG_SHARE, &m), 0);
	assert_false(m.is_gid);
	assert_int_equal(m.grantee, 0);
	assert_int_equal(proto_decode_share(share_body(NONE, NONE, UINT32_MAX, 2), PROTO_MSG_SHARE,
					    &m), 0);
	assert_true(m.is_gid);
	assert_int_equal(m.grantee, UINT32_MAX);
	assert_int_equal(proto_decode_share(share_body(1, NONE, 0, NONE), PROTO_MSG_UNSHARE, &m), 0);
	assert_true(m.is_gid);
	assert_int_equal(m.grantee, 0);
	assert_int_equal(m.perm, 0);
	assert_int_equal(m.flags, PROTO_SHARE_PREFIX);
	assert_false(m.ref.has_owner);
}

/* PERM 1..PROTO_PERM_MAX in SHARE; no PERM at all in UNSHARE. */
static void
test_share_perm(void **state)
{
	static const struct {
		uint32_t v;
		int want;
	} t[] = {
		{0, -EBADMSG},
		{PROTO_PERM_READ, 0},
		{PROTO_PERM_WRITE, 0},
		{PROTO_PERM_MAX + 1, -EBADMSG},
		{1u << 31, -EBADMSG},
		{UINT32_MAX, -EBADMSG},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(d_share(share_body(NONE, 7, NONE, t[i].v)), t[i].want);
		assert_int_equal(d_share(share_body(1, NONE, 7, t[i].v)), t[i].want);
		REJECT(d_unshare, share_body(NONE, 7, NONE, t[i].v));
		REJECT(d_unshare, share_body(1, NONE, 7, t[i].v));
	}
	REJECT(d_share, share_body(NONE, 7, NONE, NONE));
	REJECT(d_share, share_body(1, NONE, 7, NONE));
	/* a u32 of the wrong length */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 7);
	buf_put_u8(&bw, PROTO_TAG_PERM);
	buf_put_u8(&bw, PROTO_KIND_U32);
	buf_put_u32(&bw, 1);
	buf_put_u8(&bw, 1);
	REJECT(d_share, wbody());
}

static void
test_share_flags(void **state)
{
	struct proto_share m;
	uint32_t b;

	(void)state;
	for (b = 0; b < 32; b++) {
		uint32_t f = 1u << b;
		int want = (f & ~PROTO_SHARE_FLAGS_ALL) == 0 ? 0 : -EBADMSG;

		assert_int_equal(d_share(share_body(f, 1, NONE, 1)), want);
		assert_int_equal(d_unshare(share_body(f, NONE, 1, NONE)), want);
	}
	REJECT(d_share, share_body(UINT32_MAX, 1, NONE, 1));
	/* FLAGS 0 is as good as none */
	assert_int_equal(proto_decode_share(share_body(0, 1, NONE, 1), PROTO_MSG_SHARE, &m), 0);
	assert_int_equal(m.flags, 0);
}

/* OWNER NAME FLAGS GRANTEE_UID GRANTEE_GID PERM, in that order. */
static void
test_share_order(void **state)
{
	(void)state;
	/* FLAGS after the grantee */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	REJECT(d_share, wbody());
	/* PERM before the grantee */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_GID, 1);
	REJECT(d_share, wbody());
	/* a repeated grantee */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 2);
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	REJECT(d_share, wbody());
	/* OWNER after NAME */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	REJECT(d_unshare, wbody());
	/* every field, in order */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_GID, 1);
	proto_put_u32(&bw, PROTO_TAG_PERM, 2);
	ACCEPT(d_share, wbody());
	/* NAME required, 1 to 255 bytes; OWNER a u32 */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	REJECT(d_share, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "", 0);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	REJECT(d_unshare, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, fill, PROTO_NAME_MAX);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	ACCEPT(d_unshare, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, fill, PROTO_NAME_MAX + 1);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	REJECT(d_unshare, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	REJECT(d_unshare, wbody());
	wstart();
	put_name();
	proto_put_u64(&bw, PROTO_TAG_GRANTEE_GID, 1);
	REJECT(d_unshare, wbody());
}

/* Other types are a caller's bug, in both directions. */
static void
test_share_types(void **state)
{
	struct proto_share m = {.ref = {.name = B("x")}, .grantee = 1, .perm = 1};
	struct buf_writer w;
	uint8_t out[64];
	unsigned t;

	(void)state;
	for (t = 0; t <= 0xff; t++) {
		buf_writer_init(&w, out, sizeof(out));
		if (t == PROTO_MSG_SHARE || t == PROTO_MSG_UNSHARE) {
			assert_int_equal(proto_encode_share(&w, (uint8_t)t, 1, &m), 0);
			assert_int_equal(out[PROTO_LEN_SIZE], t);
			continue;
		}
		assert_int_equal(proto_encode_share(&w, (uint8_t)t, 1, &m), -EINVAL);
		assert_int_equal(w.len, 0);
		assert_int_equal(proto_decode_share(share_body(NONE, 1, NONE, 1), (uint8_t)t, &m),
				 -EINVAL);
	}
	/* an UNSHARE never carries the PERM it was given */
	buf_writer_init(&w, bbuf, sizeof(bbuf));
	assert_int_equal(proto_encode_share(&w, PROTO_MSG_UNSHARE, 1, &m), 0);
	assert_int_equal(proto_decode_share(frame_body(bbuf, w.len, false, PROTO_MSG_UNSHARE, 1, 0),
					    PROTO_MSG_UNSHARE, &m), 0);
	assert_int_equal(m.perm, 0);
}

/* ---- GRANT groups ---- */

static void
put_meta_required(void)
{
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1);
	proto_put_string(&bw, PROTO_TAG_NAME, "n", 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_string(&bw, PROTO_TAG_TYPE, "", 0);
	proto_put_u32(&bw, PROTO_TAG_STATE, 0);
	proto_put_u32(&bw, PROTO_TAG_MAX_VERSIONS, 0);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u64(&bw, PROTO_TAG_UPDATED, 1);
}

/* Which fields a hand-built GRANT group has (bits of 1 << field). */
enum { G_NAME = 1, G_CREATED = 2, G_BY = 4, G_FLAGS = 8, G_UID = 16, G_GID = 32, G_PERM = 64 };
#define G_VALID (G_NAME | G_CREATED | G_BY | G_UID | G_PERM)

static void
put_grant_fields(unsigned has, uint32_t flags, uint32_t perm)
{
	if (has & G_NAME)
		proto_put_string(&bw, PROTO_TAG_NAME, "db", 2);
	if (has & G_CREATED)
		proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	if (has & G_BY)
		proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 1000);
	if (has & G_FLAGS)
		proto_put_u32(&bw, PROTO_TAG_FLAGS, flags);
	if (has & G_UID)
		proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1001);
	if (has & G_GID)
		proto_put_u32(&bw, PROTO_TAG_GRANTEE_GID, 1500);
	if (has & G_PERM)
		proto_put_u32(&bw, PROTO_TAG_PERM, perm);
}

/* An INFO reply with one GRANT group of HAS; the group alone in *GROUP. */
static struct proto_bytes
info_with_grant(unsigned has, uint32_t flags, uint32_t perm, struct proto_bytes *group)
{
	size_t off;

	wstart();
	put_meta_required();
	off = proto_group_begin(&bw, PROTO_TAG_GRANT);
	put_grant_fields(has, flags, perm);
	proto_group_end(&bw, off);
	*group = (struct proto_bytes){bbuf + off + PROTO_FIELD_HDR, bw.len - off - PROTO_FIELD_HDR};
	return wbody();
}

/* Each rule of a GRANT group, alone and inside an INFO reply. */
static void
test_grant_rules(void **state)
{
	static const unsigned required[] = {G_NAME, G_CREATED, G_BY, G_PERM};
	struct proto_bytes body, group;
	struct proto_grant g;
	uint32_t v;
	size_t i;

	(void)state;
	body = info_with_grant(G_VALID, 0, 1, &group);
	ACCEPT(d_info_reply, body);
	assert_int_equal(proto_decode_grant(group, &g), 0);
	assert_false(g.is_gid);
	assert_int_equal(g.grantee, 1001);
	assert_int_equal(g.created_by, 1000);
	body = info_with_grant((G_VALID & ~G_UID) | G_GID | G_FLAGS, 1, 2, &group);
	ACCEPT(d_info_reply, body);
	assert_int_equal(proto_decode_grant(group, &g), 0);
	assert_true(g.is_gid);
	assert_int_equal(g.grantee, 1500);
	assert_int_equal(g.flags, PROTO_SHARE_PREFIX);
	assert_int_equal(g.perm, PROTO_PERM_WRITE);
	/* required fields */
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		body = info_with_grant(G_VALID & ~required[i], 0, 1, &group);
		REJECT(d_info_reply, body);
		REJECT(d_grant, group);
	}
	/* exactly one grantee: the schema alone would take both or none */
	body = info_with_grant(G_VALID | G_GID, 0, 1, &group);
	REJECT(d_info_reply, body);
	REJECT(d_grant, group);
	body = info_with_grant(G_VALID & ~G_UID, 0, 1, &group);
	REJECT(d_info_reply, body);
	REJECT(d_grant, group);
	/* PERM 1..PERM_MAX; FLAGS only the PREFIX bit */
	for (v = 0; v <= PROTO_PERM_MAX + 2; v++) {
		int want = v >= 1 && v <= PROTO_PERM_MAX ? 0 : -EBADMSG;

		body = info_with_grant(G_VALID, 0, v, &group);
		assert_int_equal(d_info_reply(body), want);
		assert_int_equal(d_grant(group), want);
	}
	for (v = 0; v < 32; v++) {
		int want = ((1u << v) & ~PROTO_SHARE_FLAGS_ALL) == 0 ? 0 : -EBADMSG;

		body = info_with_grant(G_VALID | G_FLAGS, 1u << v, 1, &group);
		assert_int_equal(d_info_reply(body), want);
		assert_int_equal(d_grant(group), want);
	}
	/* an empty group; a field of the outer schema inside one */
	body = info_with_grant(0, 0, 0, &group);
	REJECT(d_info_reply, body);
	REJECT(d_grant, group);
	wstart();
	put_grant_fields(G_VALID, 0, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_grant, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1);
	put_grant_fields(G_VALID, 0, 1);
	REJECT(d_grant, wbody());
	/* order inside the group: PERM last */
	wstart();
	put_grant_fields(G_NAME | G_CREATED | G_BY, 0, 0);
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	REJECT(d_grant, wbody());
}

static void
put_versions_group(void)
{
	size_t off = proto_group_begin(&bw, PROTO_TAG_VERSIONS);

	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_CREATED_BY, 0);
	proto_group_end(&bw, off);
}

static void
put_grant_group(void)
{
	size_t off = proto_group_begin(&bw, PROTO_TAG_GRANT);

	put_grant_fields(G_VALID, 0, 1);
	proto_group_end(&bw, off);
}

/* At most PROTO_GRANTS_MAX GRANT groups, consecutive, in INFO replies
 * only, between VERSIONS and SHARED. */
static void
test_grant_placement(void **state)
{
	uint32_t i, n;
	size_t off;

	(void)state;
	for (n = PROTO_GRANTS_MAX - 1; n <= PROTO_GRANTS_MAX + 1; n++) {
		wstart();
		put_meta_required();
		for (i = 0; i < n; i++)
			put_grant_group();
		assert_int_equal(d_info_reply(wbody()), n <= PROTO_GRANTS_MAX ? 0 : -EBADMSG);
	}
	/* after VERSIONS, before SHARED and MESSAGE */
	wstart();
	put_meta_required();
	put_versions_group();
	put_grant_group();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	ACCEPT(d_info_reply, wbody());
	wstart();
	put_meta_required();
	put_grant_group();
	put_versions_group();
	REJECT(d_info_reply, wbody());
	wstart();
	put_meta_required();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	put_grant_group();
	REJECT(d_info_reply, wbody());
	/* GRANT groups broken by another field between them */
	wstart();
	put_meta_required();
	put_grant_group();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 0);
	put_grant_group();
	REJECT(d_info_reply, wbody());
	/* a GRANT is a group */
	wstart();
	put_meta_required();
	proto_put_bytes(&bw, PROTO_TAG_GRANT, "", 0);
	REJECT(d_info_reply, wbody());
	/* never in a LIST entry, nor in a LIST reply's body */
	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	put_meta_required();
	put_grant_group();
	proto_group_end(&bw, off);
	REJECT(d_list_reply, wbody());
	wstart();
	put_meta_required();
	put_grant_group();
	REJECT(d_meta_entry, wbody());
	wstart();
	put_grant_group();
	REJECT(d_list_reply, wbody());
}

/* The new tags are unknown to every other message. */
static void
test_foreign_tags(void **state)
{
	static const uint8_t tags[] = {PROTO_TAG_GRANTEE_UID, PROTO_TAG_GRANTEE_GID, PROTO_TAG_PERM,
				       PROTO_TAG_SHARED};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tags); i++) {
		/* each body is valid without the tag */
		wstart();
		put_name();
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_named, wbody());
		REJECT(d_get, wbody());
		REJECT(d_purge, wbody());
		wstart();
		put_name();
		proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_rollback, wbody());
		wstart();
		put_name();
		proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_label, wbody());
		wstart();
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_list, wbody());
		REJECT(d_simple, wbody());
		REJECT(d_status, wbody());
		wstart();
		proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_put_reply, wbody());
		wstart();
		put_name();
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_put, wbody());
		REJECT(d_rotate, wbody());
	}
	/* GRANT groups only in the INFO reply */
	wstart();
	put_name();
	put_grant_group();
	REJECT(d_named, wbody());
	/* SHARE has no VERSION, VALUE, LABEL or SHARED */
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	REJECT(d_share, wbody());
	wstart();
	put_name();
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	REJECT(d_unshare, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_GRANTEE_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_PERM, 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_share, wbody());
	share_body(NONE, 1, NONE, 1);
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	REJECT(d_share, wbody());
	share_body(NONE, 1, NONE, NONE);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_unshare, wbody());
	REJECT(d_share, (struct proto_bytes){NULL, 0});
	REJECT(d_unshare, (struct proto_bytes){NULL, 0});
	REJECT(d_grant, (struct proto_bytes){NULL, 0});
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_grantee),
		cmocka_unit_test(test_share_perm),
		cmocka_unit_test(test_share_flags),
		cmocka_unit_test(test_share_order),
		cmocka_unit_test(test_share_types),
		cmocka_unit_test(test_grant_rules),
		cmocka_unit_test(test_grant_placement),
		cmocka_unit_test(test_foreign_tags),
	};

	memset(fill, 'a', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
