/* SPDX-License-Identifier: MIT */
/*
 * proto/: round trips of key management beyond the golden examples:
 * every request type with its fields absent, present and at their
 * extremes (passphrases of every byte value and of the largest length,
 * every slot number and kind), what each type's encoder leaves out, exact
 * frame sizes, KEYSLOT groups and a KEYSLOT_LIST reply of PROTO_SLOTS_MAX
 * of them, the KEYSLOT_ADD reply for every slot (and what it refuses),
 * the simple replies of the other key requests, and decoded passphrases
 * borrowing the frame (so the agent can wipe them by wiping its buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX];

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

static const uint8_t key_types[] = {
	PROTO_MSG_LOCK,	       PROTO_MSG_UNLOCK,     PROTO_MSG_PASSWD, PROTO_MSG_KEYSLOT_LIST,
	PROTO_MSG_KEYSLOT_ADD, PROTO_MSG_KEYSLOT_RM, PROTO_MSG_BACKUP,	  PROTO_MSG_REKEY,
};

/* What M reads as once TYPE's encoder has written only its own fields. */
static struct proto_keys_req
projected(uint8_t type, const struct proto_keys_req *m)
{
	struct proto_keys_req p = {0};

	switch (type) {
	case PROTO_MSG_UNLOCK:
		p.has_passphrase = m->has_passphrase;
		p.passphrase = m->has_passphrase ? m->passphrase : (struct proto_bytes){0};
		break;
	case PROTO_MSG_PASSWD:
		p.has_passphrase = true;
		p.passphrase = m->passphrase;
		p.has_new_passphrase = true;
		p.new_passphrase = m->new_passphrase;
		p.has_slot = m->has_slot;
		p.slot = m->has_slot ? m->slot : 0;
		break;
	case PROTO_MSG_KEYSLOT_ADD:
		p.has_passphrase = m->has_passphrase;
		p.passphrase = m->has_passphrase ? m->passphrase : (struct proto_bytes){0};
		p.slot_kind = m->slot_kind;
		break;
	case PROTO_MSG_KEYSLOT_RM:
		p.has_slot = true;
		p.slot = m->slot;
		break;
	case PROTO_MSG_REKEY:
		p.flags = m->flags;
		break;
	default:
		break;
	}
	return p;
}

/* Encode M as TYPE, decode it back: the projection of M, borrowing the
 * frame. Returns the frame's length. */
static size_t
rt_keys(uint8_t type, uint32_t reqid, const struct proto_keys_req *m)
{
	struct proto_keys_req d, want = projected(type, m);
	struct proto_bytes body;
	struct buf_writer cw;
	size_t len;

	ENCODE(proto_encode_keys(w, type, reqid, m));
	body = frame_body(out, len, false, type, reqid, 0);
	assert_int_equal(proto_decode_keys(body, type, &d), 0);
	cmp_keys(&d, &want);
	if (d.passphrase.len > 0)
		assert_true(d.passphrase.ptr >= body.ptr &&
			    d.passphrase.ptr + d.passphrase.len <= body.ptr + body.len);
	if (d.new_passphrase.len > 0)
		assert_true(d.new_passphrase.ptr >= body.ptr &&
			    d.new_passphrase.ptr + d.new_passphrase.len <= body.ptr + body.len);
	/* a counting writer agrees */
	buf_writer_init(&cw, NULL, 0);
	assert_int_equal(proto_encode_keys(&cw, type, reqid, m), 0);
	assert_int_equal(cw.len, len);
	return len;
}

/* Every type with a struct that holds everything: each writes its own. */
static void
test_rt_projection(void **state)
{
	const struct proto_keys_req full = {
		.has_passphrase = true,
		.passphrase = B("old"),
		.has_new_passphrase = true,
		.new_passphrase = B("new"),
		.has_slot = true,
		.slot = 5,
		.slot_kind = PROTO_SLOT_PASSPHRASE,
		.flags = PROTO_REKEY_RESEAL,
	};
	const size_t u32 = PROTO_FIELD_HDR + 4, pw = PROTO_FIELD_HDR + 3;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key_types); i++)
		(void)rt_keys(key_types[i], (uint32_t)i, &full);
	assert_int_equal(rt_keys(PROTO_MSG_LOCK, 1, &full), PROTO_REQ_HDR);
	assert_int_equal(rt_keys(PROTO_MSG_KEYSLOT_LIST, 1, &full), PROTO_REQ_HDR);
	assert_int_equal(rt_keys(PROTO_MSG_BACKUP, 1, &full), PROTO_REQ_HDR);
	assert_int_equal(rt_keys(PROTO_MSG_UNLOCK, 1, &full), PROTO_REQ_HDR + pw);
	assert_int_equal(rt_keys(PROTO_MSG_PASSWD, 1, &full), PROTO_REQ_HDR + 2 * pw + u32);
	assert_int_equal(rt_keys(PROTO_MSG_KEYSLOT_ADD, 1, &full), PROTO_REQ_HDR + pw + u32);
	assert_int_equal(rt_keys(PROTO_MSG_KEYSLOT_RM, 1, &full), PROTO_REQ_HDR + u32);
	assert_int_equal(rt_keys(PROTO_MSG_REKEY, 1, &full), PROTO_REQ_HDR + u32);
	/* REKEY's FLAGS is left out when 0 */
	assert_int_equal(rt_keys(PROTO_MSG_REKEY, 1, &(struct proto_keys_req){0}), PROTO_REQ_HDR);
}

/* Passphrases of every byte value, of 1 byte and of the largest length. */
static void
test_rt_passphrases(void **state)
{
	static uint8_t big[PROTO_PASSPHRASE_MAX], all[256];
	struct proto_keys_req m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	m = (struct proto_keys_req){.has_passphrase = true, .passphrase = {big, sizeof(big)}};
	assert_int_equal(rt_keys(PROTO_MSG_UNLOCK, UINT32_MAX, &m),
			 PROTO_REQ_HDR + PROTO_FIELD_HDR + PROTO_PASSPHRASE_MAX);
	m.passphrase = (struct proto_bytes){all, sizeof(all)};
	(void)rt_keys(PROTO_MSG_UNLOCK, 0, &m);
	m.slot_kind = PROTO_SLOT_PASSPHRASE;
	(void)rt_keys(PROTO_MSG_KEYSLOT_ADD, 0, &m);
	for (i = 0; i < sizeof(all); i++) {
		m = (struct proto_keys_req){
			.has_passphrase = true,
			.passphrase = {all + i, 1},
			.new_passphrase = {big, sizeof(big) - i},
			.slot_kind = PROTO_SLOT_PASSPHRASE,
		};
		(void)rt_keys(PROTO_MSG_UNLOCK, 1, &m);
		(void)rt_keys(PROTO_MSG_PASSWD, 1, &m);
		(void)rt_keys(PROTO_MSG_KEYSLOT_ADD, 1, &m);
	}
	/* UNLOCK without one: the keyfile way */
	m = (struct proto_keys_req){0};
	assert_int_equal(rt_keys(PROTO_MSG_UNLOCK, 1, &m), PROTO_REQ_HDR);
}

/* Every slot number, in PASSWD (with and without) and KEYSLOT_RM; every
 * kind in KEYSLOT_ADD. */
static void
test_rt_slots(void **state)
{
	struct proto_keys_req m = {.passphrase = B("a"), .new_passphrase = B("b")};
	uint32_t s;

	(void)state;
	for (s = 0; s < PROTO_SLOTS_MAX; s++) {
		m.slot = s;
		m.has_slot = true;
		(void)rt_keys(PROTO_MSG_PASSWD, s, &m);
		(void)rt_keys(PROTO_MSG_KEYSLOT_RM, s, &m);
		m.has_slot = false;
		(void)rt_keys(PROTO_MSG_PASSWD, s, &m);
		/* KEYSLOT_RM writes SLOT whatever has_slot says */
		(void)rt_keys(PROTO_MSG_KEYSLOT_RM, s, &m);
	}
	m = (struct proto_keys_req){.slot_kind = PROTO_SLOT_KEYFILE};
	(void)rt_keys(PROTO_MSG_KEYSLOT_ADD, 1, &m);
	m = (struct proto_keys_req){.has_passphrase = true, .passphrase = B("p"),
				    .slot_kind = PROTO_SLOT_PASSPHRASE};
	(void)rt_keys(PROTO_MSG_KEYSLOT_ADD, 1, &m);
	assert_string_equal(proto_slot_kind_name(PROTO_SLOT_KEYFILE), "keyfile");
	assert_string_equal(proto_slot_kind_name(PROTO_SLOT_PASSPHRASE), "passphrase");
}

/* Encoders do not judge: what the decoder refuses still encodes, and
 * every buffer too small fails whole. */
static void
test_encode_unchecked(void **state)
{
	struct proto_keys_req m = {.slot_kind = PROTO_SLOT_PASSPHRASE}, d;
	struct buf_writer sw;
	uint8_t small[32];
	size_t len, cap;

	(void)state;
	ENCODE(proto_encode_keys(w, PROTO_MSG_KEYSLOT_ADD, 1, &m));
	assert_int_equal(proto_decode_keys(frame_body(out, len, false, PROTO_MSG_KEYSLOT_ADD, 1, 0),
					   PROTO_MSG_KEYSLOT_ADD, &d), -EBADMSG);
	m = (struct proto_keys_req){.slot = PROTO_SLOTS_MAX};
	ENCODE(proto_encode_keys(w, PROTO_MSG_KEYSLOT_RM, 1, &m));
	assert_int_equal(proto_decode_keys(frame_body(out, len, false, PROTO_MSG_KEYSLOT_RM, 1, 0),
					   PROTO_MSG_KEYSLOT_RM, &d), -EBADMSG);
	/* PASSWD's passphrases are written even empty, and then refused */
	m = (struct proto_keys_req){0};
	ENCODE(proto_encode_keys(w, PROTO_MSG_PASSWD, 1, &m));
	assert_int_equal(len, PROTO_REQ_HDR + 2 * PROTO_FIELD_HDR);
	assert_int_equal(proto_decode_keys(frame_body(out, len, false, PROTO_MSG_PASSWD, 1, 0),
					   PROTO_MSG_PASSWD, &d), -EBADMSG);
	m = (struct proto_keys_req){.passphrase = B("old"), .new_passphrase = B("new"),
				    .has_slot = true, .slot = 3};
	ENCODE(proto_encode_keys(w, PROTO_MSG_PASSWD, 1, &m));
	for (cap = 0; cap < len; cap++) {
		buf_writer_init(&sw, small, cap < sizeof(small) ? cap : sizeof(small));
		assert_int_equal(proto_encode_keys(&sw, PROTO_MSG_PASSWD, 1, &m), -ENOSPC);
	}
}

static void
rt_keyslot(const struct proto_keyslot *k)
{
	struct proto_list_span span;
	struct proto_keyslot d;
	struct proto_iter it;
	struct proto_bytes b;
	struct buf_writer w = writer();

	proto_put_keyslot(&w, k);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, 4 * PROTO_FIELD_HDR + 8 + 4 + 4);
	assert_int_equal(out[0], PROTO_TAG_KEYSLOT);
	assert_int_equal(out[1], PROTO_KIND_GROUP);
	span = (struct proto_list_span){{out, w.len}, 1};
	proto_iter_init(&it, &span);
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_int_equal(proto_decode_keyslot(b, &d), 0);
	cmp_keyslot(&d, k);
	assert_int_equal(proto_iter_next(&it, &b), 0);
	assert_int_equal(proto_decode_keyslot_list_reply((struct proto_bytes){out, w.len}, &span),
			 0);
	assert_int_equal(span.count, 1);
}

static void
test_rt_keyslot(void **state)
{
	struct proto_keyslot k;
	uint32_t s, kind;

	(void)state;
	for (s = 0; s < PROTO_SLOTS_MAX; s++) {
		for (kind = 1; kind <= PROTO_SLOT_KIND_MAX; kind++) {
			k = (struct proto_keyslot){.slot = s, .kind = kind, .created = s};
			rt_keyslot(&k);
			k.created = UINT64_MAX - s;
			rt_keyslot(&k);
		}
	}
}

/* A KEYSLOT_LIST reply as an agent writes it: every slot, and a MESSAGE. */
static void
test_rt_keyslot_list_reply(void **state)
{
	struct buf_writer lw = writer();
	struct proto_list_span span;
	struct proto_keyslot k;
	struct proto_iter it;
	struct proto_bytes g, body;
	size_t start;
	uint32_t i;

	(void)state;
	start = proto_reply_begin(&lw, PROTO_MSG_KEYSLOT_LIST, 9, PROTO_OK);
	for (i = 0; i < PROTO_SLOTS_MAX; i++) {
		k = (struct proto_keyslot){.slot = PROTO_SLOTS_MAX - 1 - i,
					   .kind = i % 2 + 1,
					   .created = 1735689600u + i};
		proto_put_keyslot(&lw, &k);
	}
	proto_put_string(&lw, PROTO_TAG_MESSAGE, "all slots", 9);
	assert_int_equal(proto_frame_end(&lw, start), 0);
	body = frame_body(out, lw.len, true, PROTO_MSG_KEYSLOT_LIST | PROTO_REPLY_BIT, 9, PROTO_OK);
	assert_int_equal(proto_decode_keyslot_list_reply(body, &span), 0);
	assert_int_equal(span.count, PROTO_SLOTS_MAX);
	assert_ptr_equal(span.raw.ptr, body.ptr);
	proto_iter_init(&it, &span);
	for (i = 0; proto_iter_next(&it, &g) == 1; i++) {
		assert_int_equal(proto_decode_keyslot(g, &k), 0);
		assert_int_equal(k.slot, PROTO_SLOTS_MAX - 1 - i);
		assert_int_equal(k.kind, i % 2 + 1);
		assert_int_equal(k.created, 1735689600u + i);
		assert_non_null(proto_slot_kind_name(k.kind));
	}
	assert_int_equal(i, PROTO_SLOTS_MAX);
	/* no slots at all: an empty body */
	lw = writer();
	start = proto_reply_begin(&lw, PROTO_MSG_KEYSLOT_LIST, 10, PROTO_OK);
	assert_int_equal(proto_frame_end(&lw, start), 0);
	assert_int_equal(lw.len, PROTO_REPLY_HDR);
	body = frame_body(out, lw.len, true, PROTO_MSG_KEYSLOT_LIST | PROTO_REPLY_BIT, 10,
			  PROTO_OK);
	assert_int_equal(proto_decode_keyslot_list_reply(body, &span), 0);
	assert_int_equal(span.count, 0);
}

/* The KEYSLOT_ADD reply for every slot; a MESSAGE after SLOT is read. */
static void
test_rt_slot_reply(void **state)
{
	struct buf_writer sw;
	struct proto_bytes body;
	uint32_t s, d;
	size_t len, start;

	(void)state;
	for (s = 0; s < PROTO_SLOTS_MAX; s++) {
		ENCODE(proto_encode_slot_reply(w, s, s));
		assert_int_equal(len, PROTO_REPLY_HDR + PROTO_FIELD_HDR + 4);
		body = frame_body(out, len, true, PROTO_MSG_KEYSLOT_ADD | PROTO_REPLY_BIT, s,
				  PROTO_OK);
		d = UINT32_MAX;
		assert_int_equal(proto_decode_slot_reply(body, &d), 0);
		assert_int_equal(d, s);
	}
	sw = writer();
	start = proto_reply_begin(&sw, PROTO_MSG_KEYSLOT_ADD, 3, PROTO_OK);
	proto_put_u32(&sw, PROTO_TAG_SLOT, 7);
	proto_put_string(&sw, PROTO_TAG_MESSAGE, "keyfile slot added", 18);
	assert_int_equal(proto_frame_end(&sw, start), 0);
	body = frame_body(out, sw.len, true, PROTO_MSG_KEYSLOT_ADD | PROTO_REPLY_BIT, 3, PROTO_OK);
	assert_int_equal(proto_decode_slot_reply(body, &d), 0);
	assert_int_equal(d, 7);
	/* encoders do not judge: a slot out of range encodes, and is refused */
	ENCODE(proto_encode_slot_reply(w, 1, PROTO_SLOTS_MAX));
	REJECT(d_slot_reply, frame_body(out, len, true, PROTO_MSG_KEYSLOT_ADD | PROTO_REPLY_BIT, 1,
					PROTO_OK));
}

/* The KEYSLOT_ADD reply: SLOT below PROTO_SLOTS_MAX, then MESSAGE?. */
static void
test_slot_reply_caps(void **state)
{
	uint32_t slot, v;

	(void)state;
	for (v = 0; v <= PROTO_SLOTS_MAX + 1; v++) {
		wstart();
		proto_put_u32(&bw, PROTO_TAG_SLOT, v);
		assert_int_equal(proto_decode_slot_reply(wbody(), &slot),
				 v < PROTO_SLOTS_MAX ? 0 : -EBADMSG);
		if (v < PROTO_SLOTS_MAX)
			assert_int_equal(slot, v);
		proto_put_string(&bw, PROTO_TAG_MESSAGE, "added", 5);
		assert_int_equal(d_slot_reply(wbody()), v < PROTO_SLOTS_MAX ? 0 : -EBADMSG);
	}
	/* SLOT required; MESSAGE after it; nothing else */
	REJECT(d_slot_reply, (struct proto_bytes){NULL, 0});
	wstart();
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "added", 5);
	REJECT(d_slot_reply, wbody());
	proto_put_u32(&bw, PROTO_TAG_SLOT, 1);
	REJECT(d_slot_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT, 1);
	proto_put_u32(&bw, PROTO_TAG_SLOT_KIND, 1);
	REJECT(d_slot_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SLOT, 1);
	proto_put_u32(&bw, PROTO_TAG_SLOT, 2);
	REJECT(d_slot_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_SLOT, 1);
	REJECT(d_slot_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	REJECT(d_slot_reply, wbody());
}

/* LOCK, UNLOCK, PASSWD, KEYSLOT_RM and BACKUP are answered with simple
 * replies; an error to KEYSLOT_ADD or KEYSLOT_LIST is one too. */
static void
test_rt_replies(void **state)
{
	static const struct {
		uint16_t status;
		const char *message;
	} t[] = {
		{PROTO_OK, NULL},
		{PROTO_OK, "already locked"},
		{PROTO_LOCKED, "agent is locked"},
		{PROTO_DENIED, "wrong passphrase"},
		{PROTO_CONFLICT, "the last keyslot"},
		{PROTO_BAD_REQUEST, "no descriptor"},
		{PROTO_NOT_FOUND, "no such keyslot"},
		{PROTO_INTERNAL, "backup failed"},
	};
	struct proto_simple_reply r;
	size_t i, j, len, n;
	uint8_t type;

	(void)state;
	for (i = 0; i < sizeof(key_types); i++) {
		type = key_types[i];
		for (j = 0; j < sizeof(t) / sizeof(t[0]); j++) {
			n = t[j].message != NULL ? strlen(t[j].message) : 0;
			ENCODE(proto_encode_simple_reply(w, type, 40, t[j].status, t[j].message, n));
			assert_int_equal(proto_decode_simple_reply(
						 frame_body(out, len, true,
							    (uint8_t)(type | PROTO_REPLY_BIT), 40,
							    t[j].status),
						 &r), 0);
			assert_int_equal(r.message.len, n);
			if (n > 0)
				assert_memory_equal(r.message.ptr, t[j].message, n);
		}
	}
	assert_string_equal(proto_status_name(PROTO_LOCKED), "LOCKED");
	assert_string_equal(proto_status_name(PROTO_CONFLICT), "CONFLICT");
	assert_int_equal(proto_status_exit(PROTO_CONFLICT), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_projection),
		cmocka_unit_test(test_rt_passphrases),
		cmocka_unit_test(test_rt_slots),
		cmocka_unit_test(test_encode_unchecked),
		cmocka_unit_test(test_rt_keyslot),
		cmocka_unit_test(test_rt_keyslot_list_reply),
		cmocka_unit_test(test_rt_slot_reply),
		cmocka_unit_test(test_slot_reply_caps),
		cmocka_unit_test(test_rt_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
