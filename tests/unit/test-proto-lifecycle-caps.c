/* SPDX-License-Identifier: MIT */
/*
 * proto/: targeted rejections of the lifecycle messages: the rules that
 * tie fields together (ROTATE's VALUE or GEN_LENGTH, CHARSET only when
 * generating, ROLLBACK's VERSION, LABEL's at least one change), caps and
 * counts at and one past their limits, enum and flag ranges, order, and
 * the types the encoders accept. The systematic mutations of the golden
 * frames are in test-proto-reject.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t fill[2 * PROTO_GEN_LENGTH_MAX];

/* A ROTATE body: NAME, then each part only when asked for (< 0: absent). */
static struct proto_bytes
rotate_body(int64_t value_len, int64_t flags, int64_t gen, int64_t charset)
{
	wstart();
	put_name();
	if (value_len >= 0)
		proto_put_bytes(&bw, PROTO_TAG_VALUE, fill, (size_t)value_len);
	if (flags >= 0)
		proto_put_u32(&bw, PROTO_TAG_FLAGS, (uint32_t)flags);
	if (gen >= 0)
		proto_put_u32(&bw, PROTO_TAG_GEN_LENGTH, (uint32_t)gen);
	if (charset >= 0)
		proto_put_u32(&bw, PROTO_TAG_CHARSET, (uint32_t)charset);
	return wbody();
}

#define NONE (-1)

/* Exactly one of VALUE and GEN_LENGTH. */
static void
test_rotate_value_or_generate(void **state)
{
	struct proto_rotate m;

	(void)state;
	ACCEPT(d_rotate, rotate_body(7, NONE, NONE, NONE));
	ACCEPT(d_rotate, rotate_body(NONE, NONE, 16, NONE));
	REJECT(d_rotate, rotate_body(7, NONE, 16, NONE));
	REJECT(d_rotate, rotate_body(0, NONE, 16, NONE));
	REJECT(d_rotate, rotate_body(NONE, NONE, NONE, NONE));
	REJECT(d_rotate, rotate_body(NONE, PROTO_ROTATE_PRINT, NONE, NONE));
	/* an empty VALUE is a value (it replaces the secret with nothing) */
	assert_int_equal(proto_decode_rotate(rotate_body(0, NONE, NONE, NONE), &m), 0);
	assert_true(m.has_value);
	assert_int_equal(m.value.len, 0);
	assert_int_equal(m.gen_length, 0);
	/* VALUE is bytes: NULs are fine */
	memset(fill, 0, 64);
	ACCEPT(d_rotate, rotate_body(64, NONE, NONE, NONE));
	memset(fill, 'a', sizeof(fill));
}

static void
test_rotate_gen_length(void **state)
{
	static const struct {
		uint32_t v;
		int want;
	} t[] = {
		{0, -EBADMSG},
		{1, 0},
		{2, 0},
		{PROTO_GEN_LENGTH_MAX - 1, 0},
		{PROTO_GEN_LENGTH_MAX, 0},
		{PROTO_GEN_LENGTH_MAX + 1, -EBADMSG},
		{1u << 31, -EBADMSG},
		{UINT32_MAX, -EBADMSG},
	};
	struct proto_rotate m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(d_rotate(rotate_body(NONE, NONE, t[i].v, NONE)), t[i].want);
		assert_int_equal(d_rotate(rotate_body(NONE, NONE, t[i].v, 1)), t[i].want);
	}
	assert_int_equal(proto_decode_rotate(rotate_body(NONE, NONE, 4096, NONE), &m), 0);
	assert_false(m.has_value);
	assert_int_equal(m.gen_length, PROTO_GEN_LENGTH_MAX);
	assert_int_equal(m.charset, PROTO_CHARSET_BASE64URL);
	/* a u32 of the wrong length */
	wstart();
	put_name();
	buf_put_u8(&bw, PROTO_TAG_GEN_LENGTH);
	buf_put_u8(&bw, PROTO_KIND_U32);
	buf_put_u32(&bw, 2);
	buf_put_u16(&bw, 16);
	REJECT(d_rotate, wbody());
}

/* CHARSET in range, and only together with GEN_LENGTH. */
static void
test_rotate_charset(void **state)
{
	struct proto_rotate m;
	uint32_t c;

	(void)state;
	for (c = 0; c <= PROTO_CHARSET_MAX + 2; c++) {
		assert_int_equal(d_rotate(rotate_body(NONE, NONE, 8, c)),
				 c <= PROTO_CHARSET_MAX ? 0 : -EBADMSG);
		REJECT(d_rotate, rotate_body(NONE, NONE, NONE, c));
		REJECT(d_rotate, rotate_body(5, NONE, NONE, c));
		REJECT(d_rotate, rotate_body(0, PROTO_ROTATE_PRINT, NONE, c));
	}
	REJECT(d_rotate, rotate_body(NONE, NONE, 8, UINT32_MAX));
	assert_int_equal(proto_decode_rotate(rotate_body(NONE, 1, 8, 3), &m), 0);
	assert_int_equal(m.charset, PROTO_CHARSET_PRINTABLE);
	assert_int_equal(m.flags, PROTO_ROTATE_PRINT);
}

static void
test_flags(void **state)
{
	uint32_t b;

	(void)state;
	for (b = 0; b < 32; b++) {
		uint32_t f = 1u << b;
		int want = (f & ~PROTO_ROTATE_FLAGS_ALL) == 0 ? 0 : -EBADMSG;

		assert_int_equal(d_rotate(rotate_body(NONE, f, 8, NONE)), want);
		/* PRINT with a given VALUE is harmless: nothing to print */
		assert_int_equal(d_rotate(rotate_body(3, f, NONE, NONE)), want);

		wstart();
		put_name();
		proto_put_u32(&bw, PROTO_TAG_FLAGS, f);
		assert_int_equal(d_get(wbody()),
				 (f & ~PROTO_GET_FLAGS_ALL) == 0 ? 0 : -EBADMSG);
		/* FLAGS follows VERSION in GET */
		wstart();
		put_name();
		proto_put_u32(&bw, PROTO_TAG_VERSION, 2);
		proto_put_u32(&bw, PROTO_TAG_FLAGS, f);
		assert_int_equal(d_get(wbody()),
				 (f & ~PROTO_GET_FLAGS_ALL) == 0 ? 0 : -EBADMSG);
	}
	ACCEPT(d_rotate, rotate_body(NONE, 0, 8, NONE));
	REJECT(d_rotate, rotate_body(NONE, UINT32_MAX, 8, NONE));
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 0);
	ACCEPT(d_get, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 2);
	REJECT(d_get, wbody());
}

/* A generated value is 1 to GEN_LENGTH_MAX bytes. */
static void
test_rotate_reply_value(void **state)
{
	static const size_t lens[] = {0, 1, 2, PROTO_GEN_LENGTH_MAX - 1, PROTO_GEN_LENGTH_MAX,
				      PROTO_GEN_LENGTH_MAX + 1};
	struct proto_rotate_reply m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		wstart();
		proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		proto_put_bytes(&bw, PROTO_TAG_VALUE, fill, n);
		assert_int_equal(d_rotate_reply(wbody()),
				 n >= 1 && n <= PROTO_GEN_LENGTH_MAX ? 0 : -EBADMSG);
		proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
		assert_int_equal(d_rotate_reply(wbody()),
				 n >= 1 && n <= PROTO_GEN_LENGTH_MAX ? 0 : -EBADMSG);
	}
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	assert_int_equal(proto_decode_rotate_reply(wbody(), &m), 0);
	assert_false(m.has_value);
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, fill, PROTO_MESSAGE_MAX);
	ACCEPT(d_rotate_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, fill, PROTO_MESSAGE_MAX + 1);
	REJECT(d_rotate_reply, wbody());
	/* the request's fields have no place in the reply */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_GEN_LENGTH, 1);
	REJECT(d_rotate_reply, wbody());
	REJECT(d_rotate_reply, (struct proto_bytes){NULL, 0});
}

/* ROLLBACK needs VERSION, PURGE does not; other types are a caller's bug. */
static void
test_versioned(void **state)
{
	struct proto_versioned m;
	struct buf_writer w;
	unsigned t;

	(void)state;
	wstart();
	put_name();
	REJECT(d_rollback, wbody());
	ACCEPT(d_purge, wbody());
	assert_int_equal(proto_decode_versioned(wbody(), PROTO_MSG_PURGE, &m), 0);
	assert_false(m.has_version);
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 0);
	ACCEPT(d_rollback, wbody()); /* version 0 never exists: NOT_FOUND, not malformed */
	ACCEPT(d_purge, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 0);
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	REJECT(d_rollback, wbody());
	REJECT(d_purge, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 0);
	REJECT(d_rollback, wbody());
	REJECT(d_purge, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	assert_int_equal(proto_decode_versioned(wbody(), PROTO_MSG_ROLLBACK, &m), 0);
	for (t = 0; t <= 0xff; t++) {
		if (t == PROTO_MSG_ROLLBACK || t == PROTO_MSG_PURGE)
			continue;
		assert_int_equal(proto_decode_versioned(wbody(), (uint8_t)t, &m), -EINVAL);
		buf_writer_init(&w, fill, sizeof(fill));
		assert_int_equal(proto_encode_versioned(&w, (uint8_t)t, 1, &m), -EINVAL);
		assert_int_equal(w.len, 0);
	}
}

static void
test_named_types(void **state)
{
	static const uint8_t ok[] = {
		PROTO_MSG_INFO,	   PROTO_MSG_DELETE, PROTO_MSG_UNDELETE,
		PROTO_MSG_DISABLE, PROTO_MSG_ENABLE, PROTO_MSG_WATCH,
		PROTO_MSG_USAGE_RESET,
	};
	struct proto_named m = {.ref = {.name = B("x")}};
	struct buf_writer w;
	unsigned t;
	bool named;
	size_t i;

	(void)state;
	for (t = 0; t <= 0xff; t++) {
		named = false;
		for (i = 0; i < sizeof(ok); i++)
			named |= ok[i] == t;
		buf_writer_init(&w, bbuf, sizeof(bbuf));
		assert_int_equal(proto_encode_named(&w, (uint8_t)t, 1, &m), named ? 0 : -EINVAL);
		if (!named)
			assert_int_equal(w.len, 0);
		else
			assert_int_equal(bbuf[PROTO_LEN_SIZE], t);
	}
}

static void
put_keys(uint32_t n, size_t len)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		proto_put_string(&bw, PROTO_TAG_LABEL_KEY, fill, len);
}

static void
put_labels(uint32_t n, size_t len)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		proto_put_string(&bw, PROTO_TAG_LABEL, fill, len);
}

static void
test_label(void **state)
{
	uint32_t n;

	(void)state;
	wstart();
	put_name();
	REJECT(d_label, wbody()); /* changes nothing */
	wstart();
	put_name();
	put_labels(1, 3);
	ACCEPT(d_label, wbody());
	wstart();
	put_name();
	put_keys(1, 1);
	ACCEPT(d_label, wbody());
	/* caps: a key at most LABEL_KEY_MAX, a label at most LABEL_MAX */
	wstart();
	put_name();
	put_keys(1, PROTO_LABEL_KEY_MAX);
	ACCEPT(d_label, wbody());
	wstart();
	put_name();
	put_keys(1, PROTO_LABEL_KEY_MAX + 1);
	REJECT(d_label, wbody());
	wstart();
	put_name();
	put_labels(1, PROTO_LABEL_MAX);
	ACCEPT(d_label, wbody());
	wstart();
	put_name();
	put_labels(1, PROTO_LABEL_MAX + 1);
	REJECT(d_label, wbody());
	/* counts: each tag at most LABELS_MAX, both at once too */
	for (n = PROTO_LABELS_MAX; n <= PROTO_LABELS_MAX + 1; n++) {
		wstart();
		put_name();
		put_keys(n, 4);
		assert_int_equal(d_label(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);
		wstart();
		put_name();
		put_labels(n, 4);
		assert_int_equal(d_label(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);
		wstart();
		put_name();
		put_labels(PROTO_LABELS_MAX, 4);
		put_keys(n, 4);
		assert_int_equal(d_label(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);
	}
	/* order: LABEL before LABEL_KEY, repeats consecutive */
	wstart();
	put_name();
	put_keys(1, 4);
	put_labels(1, 4);
	REJECT(d_label, wbody());
	wstart();
	put_name();
	put_keys(1, 4);
	put_labels(1, 4);
	put_keys(1, 4);
	REJECT(d_label, wbody());
	/* strings: no NUL; an empty key is the agent's to refuse (USAGE) */
	wstart();
	put_name();
	proto_put_string(&bw, PROTO_TAG_LABEL_KEY, "te\0m", 4);
	REJECT(d_label, wbody());
	wstart();
	put_name();
	put_keys(1, 0);
	ACCEPT(d_label, wbody());
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_LABEL_KEY, "team", 4);
	REJECT(d_label, wbody());
	/* no VALUE, and NAME is required */
	wstart();
	put_labels(1, 4);
	REJECT(d_label, wbody());
	wstart();
	put_name();
	put_labels(1, 4);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_label, wbody());
}

static struct proto_bytes
event_body(uint32_t version, uint32_t st, uint32_t ev)
{
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, version);
	proto_put_u32(&bw, PROTO_TAG_STATE, st);
	proto_put_u32(&bw, PROTO_TAG_EVENT, ev);
	return wbody();
}

static void
test_event(void **state)
{
	uint32_t ev, st;

	(void)state;
	for (ev = 0; ev <= PROTO_EVENT_MAX + 2; ev++)
		for (st = 0; st <= PROTO_STATE_MAX + 1; st++)
			assert_int_equal(d_event(event_body(7, st, ev)),
					 ev >= 1 && ev <= PROTO_EVENT_MAX && st <= PROTO_STATE_MAX
						 ? 0
						 : -EBADMSG);
	ACCEPT(d_event, event_body(0, PROTO_STATE_DELETED, PROTO_EVENT_PURGED));
	ACCEPT(d_event, event_body(UINT32_MAX, 0, 1));
	REJECT(d_event, event_body(1, 0, UINT32_MAX));
	REJECT(d_event, event_body(1, UINT32_MAX, 1));
	/* no MESSAGE, no NAME: an event is known by its request id */
	event_body(1, 0, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_event, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_STATE, 0);
	proto_put_u32(&bw, PROTO_TAG_EVENT, 1);
	REJECT(d_event, wbody());
	REJECT(d_event, (struct proto_bytes){NULL, 0});
}

static void
test_list_filters(void **state)
{
	struct proto_list m;
	uint32_t n;

	(void)state;
	for (n = PROTO_LABELS_MAX; n <= PROTO_LABELS_MAX + 1; n++) {
		wstart();
		put_labels(n, 3);
		proto_put_u64(&bw, PROTO_TAG_EXPIRING, 1);
		assert_int_equal(d_list(wbody()), n <= PROTO_LABELS_MAX ? 0 : -EBADMSG);
	}
	wstart();
	put_labels(1, PROTO_LABEL_MAX);
	ACCEPT(d_list, wbody());
	wstart();
	put_labels(1, PROTO_LABEL_MAX + 1);
	REJECT(d_list, wbody());
	/* every field, in order */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 0);
	put_labels(2, 3);
	proto_put_string(&bw, PROTO_TAG_PREFIX, "db/", 3);
	proto_put_bytes(&bw, PROTO_TAG_CURSOR, "c", 1);
	proto_put_u32(&bw, PROTO_TAG_LIMIT, 5);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, PROTO_LIST_FLAGS_ALL);
	proto_put_u64(&bw, PROTO_TAG_EXPIRING, 0);
	assert_int_equal(proto_decode_list(wbody(), &m), 0);
	assert_int_equal(m.labels.count, 2);
	assert_true(m.has_expiring);
	assert_int_equal(m.expiring, 0);
	/* LABEL goes before PREFIX, EXPIRING last */
	wstart();
	proto_put_string(&bw, PROTO_TAG_PREFIX, "db/", 3);
	put_labels(1, 3);
	REJECT(d_list, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_EXPIRING, 0);
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 0);
	REJECT(d_list, wbody());
	/* EXPIRING is a u64 */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_EXPIRING, 0);
	REJECT(d_list, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=\0", 3);
	REJECT(d_list, wbody());
	/* a LIST takes no LABEL_KEY */
	wstart();
	put_keys(1, 3);
	REJECT(d_list, wbody());
}

/* Tags of the lifecycle messages are unknown to the others. */
static void
test_foreign_tags(void **state)
{
	(void)state;
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_GEN_LENGTH, 8);
	REJECT(d_named, wbody());
	REJECT(d_get, wbody());
	REJECT(d_purge, wbody());
	wstart();
	put_name();
	put_keys(1, 3);
	REJECT(d_named, wbody());
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "", 0);
	proto_put_u32(&bw, PROTO_TAG_GEN_LENGTH, 8);
	REJECT(d_put, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
	proto_put_u32(&bw, PROTO_TAG_EVENT, 1);
	REJECT(d_put_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_EVENT, 1);
	REJECT(d_simple, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_named, wbody());
	REJECT(d_purge, wbody());
	/* ROTATE has no TYPE, LABEL or CAS */
	wstart();
	put_name();
	proto_put_string(&bw, PROTO_TAG_TYPE, "t", 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_rotate, wbody());
	wstart();
	put_name();
	put_labels(1, 3);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_rotate, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_CAS, 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_rotate, wbody());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotate_value_or_generate),
		cmocka_unit_test(test_rotate_gen_length),
		cmocka_unit_test(test_rotate_charset),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_rotate_reply_value),
		cmocka_unit_test(test_versioned),
		cmocka_unit_test(test_named_types),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_list_filters),
		cmocka_unit_test(test_foreign_tags),
	};

	memset(fill, 'a', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
