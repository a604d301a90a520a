/* SPDX-License-Identifier: MIT */
/*
 * proto/: targeted rejections of key management: each request type's
 * schema (empty bodies, PASSPHRASE and NEW_PASSPHRASE lengths, SLOT and
 * SLOT_KIND ranges, required fields, order), KEYSLOT_ADD's passphrase
 * rule, REKEY's FLAGS, the KEYSLOT group and the count and place of
 * KEYSLOT groups, the types the keys codec accepts, and the new tags in
 * every other message.
 * The KEYSLOT_ADD reply's rejections are with its round trips, in
 * test-proto-keys-rt.c; the systematic mutations of the golden frames
 * are in test-proto-reject.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t fill[PROTO_PASSPHRASE_MAX + 1];

#define NONE (-1)

static void
put_pass(uint8_t tag, int64_t len)
{
	if (len >= 0)
		proto_put_bytes(&bw, tag, fill, (size_t)len);
}

static void
put_u32_opt(uint8_t tag, int64_t v)
{
	if (v >= 0)
		proto_put_u32(&bw, tag, (uint32_t)v);
}

/* A body of the keys fields, in order, each only when asked (< 0: absent;
 * a passphrase's number is its length). */
static struct proto_bytes
keys_body(int64_t pass, int64_t new_pass, int64_t slot, int64_t kind)
{
	wstart();
	put_pass(PROTO_TAG_PASSPHRASE, pass);
	put_pass(PROTO_TAG_NEW_PASSPHRASE, new_pass);
	put_u32_opt(PROTO_TAG_SLOT, slot);
	put_u32_opt(PROTO_TAG_SLOT_KIND, kind);
	return wbody();
}

static const uint8_t empty_types[] = {PROTO_MSG_LOCK, PROTO_MSG_KEYSLOT_LIST, PROTO_MSG_BACKUP};

/* LOCK, KEYSLOT_LIST and BACKUP take nothing but an empty body. */
static void
test_empty_bodies(void **state)
{
	static const uint8_t tags[] = {PROTO_TAG_PASSPHRASE, PROTO_TAG_NEW_PASSPHRASE,
				       PROTO_TAG_SLOT,	     PROTO_TAG_SLOT_KIND,
				       PROTO_TAG_NAME,	     PROTO_TAG_MESSAGE};
	size_t i, t;

	(void)state;
	for (i = 0; i < sizeof(empty_types); i++) {
		assert_int_equal(d_keys((struct proto_bytes){NULL, 0}, empty_types[i]), 0);
		for (t = 0; t < sizeof(tags); t++) {
			wstart();
			proto_put_bytes(&bw, tags[t], "x", 1);
			REJECT(d_keys, wbody(), empty_types[i]);
			wstart();
			proto_put_u32(&bw, tags[t], 1);
			REJECT(d_keys, wbody(), empty_types[i]);
		}
		REJECT(d_keys, keys_body(1, NONE, NONE, NONE), empty_types[i]);
		REJECT(d_keys, keys_body(NONE, NONE, NONE, PROTO_SLOT_KEYFILE), empty_types[i]);
		/* a partial field header */
		REJECT(d_keys, ((struct proto_bytes){(const uint8_t *)"\x38", 1}), empty_types[i]);
	}
}

/* Passphrases: BYTES of 1 to PROTO_PASSPHRASE_MAX, wherever they appear. */
static void
test_passphrase_length(void **state)
{
	static const int64_t lens[] = {0, 1, 2, 255, PROTO_PASSPHRASE_MAX - 1, PROTO_PASSPHRASE_MAX,
				       PROTO_PASSPHRASE_MAX + 1};
	struct proto_keys_req m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int want = lens[i] >= 1 && lens[i] <= PROTO_PASSPHRASE_MAX ? 0 : -EBADMSG;

		assert_int_equal(d_unlock(keys_body(lens[i], NONE, NONE, NONE)), want);
		assert_int_equal(d_passwd(keys_body(lens[i], 8, NONE, NONE)), want);
		assert_int_equal(d_passwd(keys_body(8, lens[i], NONE, NONE)), want);
		assert_int_equal(d_passwd(keys_body(lens[i], lens[i], 3, NONE)), want);
		assert_int_equal(d_keyslot_add(keys_body(lens[i], NONE, NONE,
							 PROTO_SLOT_PASSPHRASE)), want);
	}
	assert_int_equal(proto_decode_keys(keys_body(PROTO_PASSPHRASE_MAX, NONE, NONE, NONE),
					   PROTO_MSG_UNLOCK, &m), 0);
	assert_true(m.has_passphrase);
	assert_int_equal(m.passphrase.len, PROTO_PASSPHRASE_MAX);
	assert_ptr_equal(m.passphrase.ptr, bbuf + PROTO_FIELD_HDR);
}

/* Any byte may be in a passphrase: NUL, 0xff, newlines; and it must be
 * BYTES, not STRING or a number. */
static void
test_passphrase_bytes(void **state)
{
	static const uint8_t odd[] = {0, 0xff, '\n', 0x80, 0, ' '};
	struct proto_keys_req m;

	(void)state;
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, odd, sizeof(odd));
	assert_int_equal(proto_decode_keys(wbody(), PROTO_MSG_UNLOCK, &m), 0);
	assert_bytes(m.passphrase, ((struct proto_bytes){odd, sizeof(odd)}));
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "\0", 1);
	proto_put_bytes(&bw, PROTO_TAG_NEW_PASSPHRASE, odd, sizeof(odd));
	assert_int_equal(proto_decode_keys(wbody(), PROTO_MSG_PASSWD, &m), 0);
	assert_int_equal(m.passphrase.len, 1);
	assert_bytes(m.new_passphrase, ((struct proto_bytes){odd, sizeof(odd)}));
	/* wrong kinds */
	wstart();
	proto_put_string(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_unlock, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_PASSPHRASE, 1);
	REJECT(d_unlock, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	proto_put_string(&bw, PROTO_TAG_NEW_PASSPHRASE, "new", 3);
	REJECT(d_passwd, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	proto_put_u64(&bw, PROTO_TAG_SLOT_KIND, PROTO_SLOT_PASSPHRASE);
	REJECT(d_keyslot_add, wbody());
	/* a length past the body */
	wstart();
	buf_put_u8(&bw, PROTO_TAG_PASSPHRASE);
	buf_put_u8(&bw, PROTO_KIND_BYTES);
	buf_put_u32(&bw, 3);
	buf_put_bytes(&bw, "pw", 2);
	REJECT(d_unlock, wbody());
}

/* SLOT: 0 to PROTO_SLOTS_MAX - 1, in PASSWD and KEYSLOT_RM. */
static void
test_slot_range(void **state)
{
	static const int64_t v[] = {0, 1, PROTO_SLOTS_MAX - 1, PROTO_SLOTS_MAX, PROTO_SLOTS_MAX + 1,
				    1u << 31, UINT32_MAX};
	struct proto_keys_req m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int want = v[i] < PROTO_SLOTS_MAX ? 0 : -EBADMSG;

		assert_int_equal(d_keyslot_rm(keys_body(NONE, NONE, v[i], NONE)), want);
		assert_int_equal(d_passwd(keys_body(4, 4, v[i], NONE)), want);
	}
	assert_int_equal(proto_decode_keys(keys_body(NONE, NONE, PROTO_SLOTS_MAX - 1, NONE),
					   PROTO_MSG_KEYSLOT_RM, &m), 0);
	assert_true(m.has_slot);
	assert_int_equal(m.slot, PROTO_SLOTS_MAX - 1);
	/* slot 0 is a slot: has_slot tells it from none */
	assert_int_equal(proto_decode_keys(keys_body(4, 4, 0, NONE), PROTO_MSG_PASSWD, &m), 0);
	assert_true(m.has_slot);
	assert_int_equal(m.slot, 0);
	assert_int_equal(proto_decode_keys(keys_body(4, 4, NONE, NONE), PROTO_MSG_PASSWD, &m), 0);
	assert_false(m.has_slot);
	/* KEYSLOT_RM needs its SLOT; a u64 or a short u32 is no SLOT */
	REJECT(d_keyslot_rm, keys_body(NONE, NONE, NONE, NONE));
	wstart();
	proto_put_u64(&bw, PROTO_TAG_SLOT, 1);
	REJECT(d_keyslot_rm, wbody());
	wstart();
	buf_put_u8(&bw, PROTO_TAG_SLOT);
	buf_put_u8(&bw, PROTO_KIND_U32);
	buf_put_u32(&bw, 2);
	buf_put_bytes(&bw, "\0\1", 2);
	REJECT(d_keyslot_rm, wbody());
	/* twice */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT, 1);
	proto_put_u32(&bw, PROTO_TAG_SLOT, 2);
	REJECT(d_keyslot_rm, wbody());
	/* KEYSLOT_RM has nothing else; UNLOCK and KEYSLOT_ADD no SLOT */
	REJECT(d_keyslot_rm, keys_body(4, NONE, 1, NONE));
	REJECT(d_keyslot_rm, keys_body(NONE, NONE, 1, PROTO_SLOT_KEYFILE));
	REJECT(d_unlock, keys_body(4, NONE, 1, NONE));
	REJECT(d_keyslot_add, keys_body(4, NONE, 1, PROTO_SLOT_PASSPHRASE));
	REJECT(d_keyslot_add, keys_body(NONE, NONE, 1, PROTO_SLOT_KEYFILE));
}

/* KEYSLOT_ADD: SLOT_KIND 1..MAX, PASSPHRASE exactly with kind PASSPHRASE. */
static void
test_keyslot_add_rule(void **state)
{
	struct proto_keys_req m;
	uint32_t k;

	(void)state;
	for (k = 0; k <= PROTO_SLOT_KIND_MAX + 2; k++) {
		int with = k == PROTO_SLOT_PASSPHRASE ? 0 : -EBADMSG;
		int without = k == PROTO_SLOT_KEYFILE ? 0 : -EBADMSG;

		assert_int_equal(d_keyslot_add(keys_body(6, NONE, NONE, k)), with);
		assert_int_equal(d_keyslot_add(keys_body(NONE, NONE, NONE, k)), without);
	}
	REJECT(d_keyslot_add, keys_body(6, NONE, NONE, UINT32_MAX));
	REJECT(d_keyslot_add, keys_body(NONE, NONE, NONE, 1u << 31));
	/* SLOT_KIND is required, and only once */
	REJECT(d_keyslot_add, keys_body(6, NONE, NONE, NONE));
	REJECT(d_keyslot_add, keys_body(NONE, NONE, NONE, NONE));
	keys_body(NONE, NONE, NONE, PROTO_SLOT_KEYFILE);
	proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, PROTO_SLOT_KEYFILE);
	REJECT(d_keyslot_add, wbody());
	/* no NEW_PASSPHRASE; PASSPHRASE before SLOT_KIND */
	REJECT(d_keyslot_add, keys_body(6, 6, NONE, PROTO_SLOT_PASSPHRASE));
	REJECT(d_keyslot_add, keys_body(NONE, 6, NONE, PROTO_SLOT_KEYFILE));
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, PROTO_SLOT_PASSPHRASE);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_keyslot_add, wbody());
	/* the decoded kinds */
	assert_int_equal(proto_decode_keys(keys_body(NONE, NONE, NONE, PROTO_SLOT_KEYFILE),
					   PROTO_MSG_KEYSLOT_ADD, &m), 0);
	assert_int_equal(m.slot_kind, PROTO_SLOT_KEYFILE);
	assert_false(m.has_passphrase);
	assert_int_equal(m.passphrase.len, 0);
	assert_string_equal(proto_slot_kind_name(m.slot_kind), "keyfile");
	assert_int_equal(proto_decode_keys(keys_body(2, NONE, NONE, PROTO_SLOT_PASSPHRASE),
					   PROTO_MSG_KEYSLOT_ADD, &m), 0);
	assert_int_equal(m.slot_kind, PROTO_SLOT_PASSPHRASE);
	assert_true(m.has_passphrase);
	assert_int_equal(m.passphrase.len, 2);
	assert_false(m.has_slot);
	assert_false(m.has_new_passphrase);
	/* SLOT_KIND belongs to KEYSLOT_ADD alone */
	REJECT(d_unlock, keys_body(6, NONE, NONE, PROTO_SLOT_PASSPHRASE));
	REJECT(d_passwd, keys_body(6, 6, NONE, PROTO_SLOT_PASSPHRASE));
	REJECT(d_keyslot_rm, keys_body(NONE, NONE, 0, PROTO_SLOT_KEYFILE));
}

/* PASSWD: PASSPHRASE, NEW_PASSPHRASE, SLOT?, in that order. */
static void
test_passwd_fields(void **state)
{
	(void)state;
	ACCEPT(d_passwd, keys_body(1, 1, NONE, NONE));
	REJECT(d_passwd, keys_body(NONE, 1, NONE, NONE));
	REJECT(d_passwd, keys_body(1, NONE, NONE, NONE));
	REJECT(d_passwd, keys_body(NONE, NONE, 1, NONE));
	REJECT(d_passwd, keys_body(NONE, NONE, NONE, NONE));
	/* NEW_PASSPHRASE before PASSPHRASE; SLOT first */
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_NEW_PASSPHRASE, "new", 3);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "old", 3);
	REJECT(d_passwd, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT, 1);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "old", 3);
	proto_put_bytes(&bw, PROTO_TAG_NEW_PASSPHRASE, "new", 3);
	REJECT(d_passwd, wbody());
	/* a passphrase twice */
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "old", 3);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "old", 3);
	proto_put_bytes(&bw, PROTO_TAG_NEW_PASSPHRASE, "new", 3);
	REJECT(d_passwd, wbody());
	keys_body(3, 3, NONE, NONE);
	proto_put_bytes(&bw, PROTO_TAG_NEW_PASSPHRASE, "new", 3);
	REJECT(d_passwd, wbody());
	/* the same passphrase twice is the agent's call, not the codec's */
	ACCEPT(d_passwd, keys_body(3, 3, 0, NONE));
	/* UNLOCK takes no NEW_PASSPHRASE */
	REJECT(d_unlock, keys_body(3, 3, NONE, NONE));
	REJECT(d_unlock, keys_body(NONE, 3, NONE, NONE));
	/* MESSAGE is for replies */
	keys_body(3, 3, 1, NONE);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_passwd, wbody());
	keys_body(3, NONE, NONE, NONE);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_unlock, wbody());
}

/* REKEY: FLAGS? and nothing else; RESEAL its only bit; 0 is no flags. */
static void
test_rekey_flags(void **state)
{
	static const uint32_t bad[] = {2, 3, 1u << 31, UINT32_MAX};
	struct proto_keys_req m;
	size_t i;

	(void)state;
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, PROTO_REKEY_RESEAL);
	assert_int_equal(proto_decode_keys(wbody(), PROTO_MSG_REKEY, &m), 0);
	assert_int_equal(m.flags, PROTO_REKEY_RESEAL);
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 0);
	assert_int_equal(proto_decode_keys(wbody(), PROTO_MSG_REKEY, &m), 0);
	assert_int_equal(m.flags, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wstart();
		proto_put_u32(&bw, PROTO_TAG_FLAGS, bad[i]);
		REJECT(d_rekey, wbody());
	}
	/* twice, or not a U32 */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_rekey, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_rekey, wbody());
	/* no other field, before or after FLAGS */
	REJECT(d_rekey, keys_body(3, NONE, NONE, NONE));
	REJECT(d_rekey, keys_body(NONE, NONE, 0, NONE));
	REJECT(d_rekey, keys_body(NONE, NONE, NONE, PROTO_SLOT_KEYFILE));
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_rekey, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_rekey, wbody());
	wstart();
	proto_put_u32(&bw, 99, 1);
	REJECT(d_rekey, wbody());
	/* and FLAGS is no other keys message's */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_lock, wbody());
	REJECT(d_backup, wbody());
	REJECT(d_keyslot_list, wbody());
	REJECT(d_unlock, wbody());
}

/* Other types are a caller's bug, in both directions. */
static void
test_keys_types(void **state)
{
	struct proto_keys_req m = {.has_passphrase = true, .passphrase = B("pw"), .slot_kind = 2};
	struct buf_writer w;
	uint8_t out[64];
	unsigned t;

	(void)state;
	for (t = 0; t <= 0xff; t++) {
		buf_writer_init(&w, out, sizeof(out));
		if (t >= PROTO_MSG_LOCK && t <= PROTO_MSG_REKEY) {
			assert_int_equal(proto_encode_keys(&w, (uint8_t)t, 1, &m), 0);
			assert_int_equal(out[PROTO_LEN_SIZE], t);
			continue;
		}
		assert_int_equal(proto_encode_keys(&w, (uint8_t)t, 1, &m), -EINVAL);
		assert_int_equal(w.len, 0);
		assert_int_equal(proto_decode_keys((struct proto_bytes){NULL, 0}, (uint8_t)t, &m),
				 -EINVAL);
		assert_int_equal(proto_decode_keys(keys_body(2, NONE, NONE, 2), (uint8_t)t, &m),
				 -EINVAL);
	}
	/* replies' types are not requests' */
	assert_int_equal(d_keys((struct proto_bytes){NULL, 0},
				(uint8_t)(PROTO_MSG_LOCK | PROTO_REPLY_BIT)), -EINVAL);
}

/* ---- KEYSLOT groups ---- */

enum { K_CREATED = 1, K_SLOT = 2, K_KIND = 4 };
#define K_ALL (K_CREATED | K_SLOT | K_KIND)

static void
put_keyslot_fields(unsigned has, uint32_t slot, uint32_t kind)
{
	if (has & K_CREATED)
		proto_put_u64(&bw, PROTO_TAG_CREATED, 1735689600);
	if (has & K_SLOT)
		proto_put_u32(&bw, PROTO_TAG_SLOT, slot);
	if (has & K_KIND)
		proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, kind);
}

/* A KEYSLOT_LIST reply with one KEYSLOT group of HAS; the group alone in
 * *GROUP. */
static struct proto_bytes
list_with_keyslot(unsigned has, uint32_t slot, uint32_t kind, struct proto_bytes *group)
{
	size_t off;

	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_KEYSLOT);
	put_keyslot_fields(has, slot, kind);
	proto_group_end(&bw, off);
	*group = (struct proto_bytes){bbuf + PROTO_FIELD_HDR, bw.len - PROTO_FIELD_HDR};
	return wbody();
}

static void
test_keyslot_rules(void **state)
{
	static const unsigned required[] = {K_CREATED, K_SLOT, K_KIND};
	struct proto_bytes body, group;
	struct proto_keyslot k;
	uint32_t v;
	size_t i;

	(void)state;
	body = list_with_keyslot(K_ALL, 3, PROTO_SLOT_PASSPHRASE, &group);
	ACCEPT(d_keyslot_list_reply, body);
	assert_int_equal(proto_decode_keyslot(group, &k), 0);
	assert_int_equal(k.slot, 3);
	assert_int_equal(k.kind, PROTO_SLOT_PASSPHRASE);
	assert_int_equal(k.created, 1735689600);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		body = list_with_keyslot(K_ALL & ~required[i], 1, 1, &group);
		REJECT(d_keyslot_list_reply, body);
		REJECT(d_keyslot, group);
	}
	/* SLOT below PROTO_SLOTS_MAX, SLOT_KIND 1..MAX */
	for (v = 0; v <= PROTO_SLOTS_MAX; v++) {
		body = list_with_keyslot(K_ALL, v, 1, &group);
		assert_int_equal(d_keyslot_list_reply(body), v < PROTO_SLOTS_MAX ? 0 : -EBADMSG);
		assert_int_equal(d_keyslot(group), v < PROTO_SLOTS_MAX ? 0 : -EBADMSG);
	}
	for (v = 0; v <= PROTO_SLOT_KIND_MAX + 1; v++) {
		int want = v >= 1 && v <= PROTO_SLOT_KIND_MAX ? 0 : -EBADMSG;

		body = list_with_keyslot(K_ALL, 0, v, &group);
		assert_int_equal(d_keyslot_list_reply(body), want);
		assert_int_equal(d_keyslot(group), want);
	}
	body = list_with_keyslot(K_ALL, UINT32_MAX, 1, &group);
	REJECT(d_keyslot_list_reply, body);
	body = list_with_keyslot(K_ALL, 0, UINT32_MAX, &group);
	REJECT(d_keyslot, group);
	/* an empty group; order inside the group; foreign fields in it */
	body = list_with_keyslot(0, 0, 0, &group);
	REJECT(d_keyslot_list_reply, body);
	REJECT(d_keyslot, group);
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT, 0);
	proto_put_u64(&bw, PROTO_TAG_CREATED, 1);
	proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, 1);
	REJECT(d_keyslot, wbody());
	wstart();
	put_keyslot_fields(K_ALL, 0, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_keyslot, wbody());
	wstart();
	put_keyslot_fields(K_CREATED | K_SLOT, 0, 1);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, 2);
	REJECT(d_keyslot, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_CREATED, 1);
	put_keyslot_fields(K_SLOT | K_KIND, 0, 1);
	REJECT(d_keyslot, wbody());
	REJECT(d_keyslot, (struct proto_bytes){NULL, 0});
}

static void
put_keyslot_group(uint32_t slot)
{
	size_t off = proto_group_begin(&bw, PROTO_TAG_KEYSLOT);

	put_keyslot_fields(K_ALL, slot, PROTO_SLOT_KEYFILE);
	proto_group_end(&bw, off);
}

/* At most PROTO_SLOTS_MAX KEYSLOT groups, consecutive, before MESSAGE;
 * one broken group breaks the reply. */
static void
test_keyslot_placement(void **state)
{
	struct proto_list_span span;
	uint32_t i, n;
	size_t off;

	(void)state;
	for (n = 0; n <= PROTO_SLOTS_MAX + 1; n++) {
		wstart();
		for (i = 0; i < n; i++)
			put_keyslot_group(i % PROTO_SLOTS_MAX);
		assert_int_equal(proto_decode_keyslot_list_reply(wbody(), &span),
				 n <= PROTO_SLOTS_MAX ? 0 : -EBADMSG);
		if (n <= PROTO_SLOTS_MAX)
			assert_int_equal(span.count, n);
	}
	wstart();
	put_keyslot_group(0);
	put_keyslot_group(1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "two slots", 9);
	assert_int_equal(proto_decode_keyslot_list_reply(wbody(), &span), 0);
	assert_int_equal(span.count, 2);
	assert_int_equal(span.raw.len, bw.len - PROTO_FIELD_HDR - 9);
	wstart();
	put_keyslot_group(0);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	put_keyslot_group(1);
	REJECT(d_keyslot_list_reply, wbody());
	/* the second group broken (kind 0): the first one does not save it */
	wstart();
	put_keyslot_group(0);
	off = proto_group_begin(&bw, PROTO_TAG_KEYSLOT);
	put_keyslot_fields(K_ALL, 1, 0);
	proto_group_end(&bw, off);
	REJECT(d_keyslot_list_reply, wbody());
	/* a KEYSLOT is a group, not bytes; a bare SLOT is no entry */
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_KEYSLOT, "", 0);
	REJECT(d_keyslot_list_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT, 0);
	REJECT(d_keyslot_list_reply, wbody());
	/* other lists' groups are not KEYSLOT groups */
	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	put_keyslot_fields(K_ALL, 0, 1);
	proto_group_end(&bw, off);
	REJECT(d_keyslot_list_reply, wbody());
	/* an empty reply, and one with only a MESSAGE, list no slot */
	assert_int_equal(proto_decode_keyslot_list_reply((struct proto_bytes){NULL, 0}, &span), 0);
	assert_int_equal(span.count, 0);
	assert_int_equal(span.raw.len, 0);
}

/* The new tags are unknown to every other message, and KEYSLOT groups
 * appear in the KEYSLOT_LIST reply only. */
static void
test_foreign_tags(void **state)
{
	static const uint8_t tags[] = {PROTO_TAG_PASSPHRASE, PROTO_TAG_NEW_PASSPHRASE,
				       PROTO_TAG_SLOT, PROTO_TAG_SLOT_KIND};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tags); i++) {
		wstart();
		proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_named, wbody());
		REJECT(d_get, wbody());
		REJECT(d_purge, wbody());
		REJECT(d_unshare, wbody());
		wstart();
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_list, wbody());
		REJECT(d_simple, wbody());
		REJECT(d_status, wbody());
		REJECT(d_list_reply, wbody());
		wstart();
		proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_put_reply, wbody());
		wstart();
		proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_put, wbody());
		REJECT(d_rotate, wbody());
		wstart();
		proto_put_u32(&bw, PROTO_TAG_PROTO_VERSION, 1);
		proto_put_u32(&bw, tags[i], 1);
		REJECT(d_hello, wbody());
	}
	wstart();
	put_keyslot_group(0);
	REJECT(d_simple, wbody());
	REJECT(d_list_reply, wbody());
	REJECT(d_slot_reply, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	put_keyslot_group(0);
	REJECT(d_named, wbody());
	/* the keys messages know no NAME, OWNER or VALUE */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	proto_put_u32(&bw, PROTO_TAG_SLOT, 0);
	REJECT(d_keyslot_rm, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "x", 1);
	proto_put_bytes(&bw, PROTO_TAG_PASSPHRASE, "pw", 2);
	REJECT(d_unlock, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "key", 3);
	proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, PROTO_SLOT_KEYFILE);
	REJECT(d_keyslot_add, wbody());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_bodies),
		cmocka_unit_test(test_passphrase_length),
		cmocka_unit_test(test_passphrase_bytes),
		cmocka_unit_test(test_slot_range),
		cmocka_unit_test(test_keyslot_add_rule),
		cmocka_unit_test(test_passwd_fields),
		cmocka_unit_test(test_rekey_flags),
		cmocka_unit_test(test_keys_types),
		cmocka_unit_test(test_keyslot_rules),
		cmocka_unit_test(test_keyslot_placement),
		cmocka_unit_test(test_foreign_tags),
	};

	memset(fill, 'p', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
