/* SPDX-License-Identifier: MIT */
/*
 * proto/: round trips of the lifecycle messages beyond the golden
 * examples: optional fields absent and present, fields and counts at their
 * caps, every enum value, and a WATCH whose EVENT frames arrive between
 * other replies on one connection.
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

static void
rt_rotate(const struct proto_rotate *m)
{
	struct proto_rotate d;
	size_t len;

	ENCODE(proto_encode_rotate(w, 8, m));
	assert_int_equal(proto_decode_rotate(frame_body(out, len, false, PROTO_MSG_ROTATE, 8, 0),
					     &d), 0);
	cmp_rotate(&d, m);
}

static void
test_rt_rotate(void **state)
{
	static uint8_t name[PROTO_NAME_MAX], value[40000];
	struct proto_rotate m = {.ref = {.name = B("x")}, .has_value = true};
	uint32_t c;

	(void)state;
	rt_rotate(&m); /* the least: a name and an empty value */
	memset(name, 'n', sizeof(name));
	memset(value, 0, sizeof(value));
	m.ref = (struct proto_ref){.has_owner = true, .owner = UINT32_MAX,
				   .name = {name, sizeof(name)}};
	m.has_expires = true;
	m.expires = UINT64_MAX;
	m.value = (struct proto_bytes){value, sizeof(value)};
	m.flags = PROTO_ROTATE_PRINT;
	rt_rotate(&m);
	m.has_expires = true;
	m.expires = 0; /* an expiry may be given as 0 */
	rt_rotate(&m);

	/* generated: every charset, the shortest and the longest */
	m = (struct proto_rotate){.ref = {.name = B("api/key")}};
	for (c = 0; c <= PROTO_CHARSET_MAX; c++) {
		m.charset = c;
		m.gen_length = 1;
		rt_rotate(&m);
		m.gen_length = PROTO_GEN_LENGTH_MAX;
		m.flags = PROTO_ROTATE_PRINT;
		rt_rotate(&m);
	}
}

/* CHARSET 0 is the default: sent explicitly it decodes the same as left
 * out, and the encoder leaves it out. */
static void
test_rotate_default_charset(void **state)
{
	static uint8_t in[64];
	struct proto_rotate explicit_, omitted;
	struct buf_writer sw;
	size_t len;

	(void)state;
	buf_writer_init(&sw, in, sizeof(in));
	proto_put_string(&sw, PROTO_TAG_NAME, "k", 1);
	proto_put_u32(&sw, PROTO_TAG_GEN_LENGTH, 20);
	proto_put_u32(&sw, PROTO_TAG_CHARSET, PROTO_CHARSET_BASE64URL);
	assert_int_equal(buf_writer_error(&sw), 0);
	assert_int_equal(proto_decode_rotate((struct proto_bytes){in, sw.len}, &explicit_), 0);
	ENCODE(proto_encode_rotate(w, 1, &explicit_));
	assert_int_equal(len, PROTO_REQ_HDR + (PROTO_FIELD_HDR + 1) + (PROTO_FIELD_HDR + 4));
	assert_int_equal(proto_decode_rotate(frame_body(out, len, false, PROTO_MSG_ROTATE, 1, 0),
					     &omitted), 0);
	cmp_rotate(&omitted, &explicit_);
	assert_int_equal(omitted.charset, PROTO_CHARSET_BASE64URL);
}

static void
test_rt_rotate_reply(void **state)
{
	static uint8_t gen[PROTO_GEN_LENGTH_MAX];
	struct proto_rotate_reply r = {.version = 1}, d;
	size_t len;

	(void)state;
	ENCODE(proto_encode_rotate_reply(w, 2, &r));
	assert_int_equal(len, PROTO_REPLY_HDR + PROTO_FIELD_HDR + 4);
	assert_int_equal(proto_decode_rotate_reply(frame_body(out, len, true, 0x88, 2, 0), &d), 0);
	cmp_rotate_reply(&d, &r);

	memset(gen, '~', sizeof(gen));
	r.version = UINT32_MAX;
	r.has_value = true;
	r.value = (struct proto_bytes){gen, sizeof(gen)};
	r.message = B("generated 4096 characters (printable)");
	ENCODE(proto_encode_rotate_reply(w, 2, &r));
	assert_int_equal(proto_decode_rotate_reply(frame_body(out, len, true, 0x88, 2, 0), &d), 0);
	cmp_rotate_reply(&d, &r);
	r.value.len = 1;
	ENCODE(proto_encode_rotate_reply(w, 2, &r));
	assert_int_equal(proto_decode_rotate_reply(frame_body(out, len, true, 0x88, 2, 0), &d), 0);
	cmp_rotate_reply(&d, &r);
}

static void
test_rt_versioned(void **state)
{
	struct proto_versioned m = {.ref = {.has_owner = true, .owner = 0, .name = B("a/b")},
				    .has_version = true,
				    .version = UINT32_MAX}, d;
	size_t len;

	(void)state;
	ENCODE(proto_encode_versioned(w, PROTO_MSG_ROLLBACK, 9, &m));
	assert_int_equal(proto_decode_versioned(frame_body(out, len, false, PROTO_MSG_ROLLBACK, 9, 0),
						PROTO_MSG_ROLLBACK, &d), 0);
	cmp_versioned(&d, &m);
	ENCODE(proto_encode_versioned(w, PROTO_MSG_PURGE, 11, &m));
	assert_int_equal(proto_decode_versioned(frame_body(out, len, false, PROTO_MSG_PURGE, 11, 0),
						PROTO_MSG_PURGE, &d), 0);
	cmp_versioned(&d, &m);
	m.has_version = false;
	m.version = 0;
	m.ref.has_owner = false;
	ENCODE(proto_encode_versioned(w, PROTO_MSG_PURGE, 11, &m));
	assert_int_equal(proto_decode_versioned(frame_body(out, len, false, PROTO_MSG_PURGE, 11, 0),
						PROTO_MSG_PURGE, &d), 0);
	cmp_versioned(&d, &m);
	/* ROLLBACK's reply is PUT's body */
	{
		struct proto_put_reply pr;
		struct buf_writer w = writer();
		size_t start = proto_reply_begin(&w, PROTO_MSG_ROLLBACK, 9, PROTO_OK);

		proto_put_u32(&w, PROTO_TAG_VERSION, 6);
		assert_int_equal(proto_frame_end(&w, start), 0);
		assert_int_equal(proto_decode_put_reply(frame_body(out, w.len, true, 0x89, 9, 0),
							&pr), 0);
		assert_int_equal(pr.version, 6);
	}
}

/* UNDELETE, DISABLE, ENABLE and WATCH share INFO's body. */
static void
test_rt_named(void **state)
{
	static const uint8_t types[] = {PROTO_MSG_UNDELETE, PROTO_MSG_DISABLE, PROTO_MSG_ENABLE,
					PROTO_MSG_WATCH};
	struct proto_named m = {.ref = {.has_owner = true, .owner = 1000, .name = B("n/m")}}, d;
	struct proto_simple_reply r;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		m.ref.has_owner = i % 2 == 0;
		m.ref.owner = m.ref.has_owner ? 1000 : 0;
		ENCODE(proto_encode_named(w, types[i], (uint32_t)i, &m));
		assert_int_equal(proto_decode_named(frame_body(out, len, false, types[i],
							       (uint32_t)i, 0), &d), 0);
		cmp_ref(&d.ref, &m.ref);
		ENCODE(proto_encode_simple_reply(w, types[i], (uint32_t)i, PROTO_OK, "ok", 2));
		assert_int_equal(proto_decode_simple_reply(
					 frame_body(out, len, true, (uint8_t)(types[i] | 0x80),
						    (uint32_t)i, PROTO_OK), &r), 0);
		assert_bytes(r.message, B("ok"));
	}
}

static void
rt_label(const struct proto_label *m)
{
	struct proto_label d;
	size_t len;

	ENCODE(proto_encode_label(w, 14, m));
	assert_int_equal(proto_decode_label(frame_body(out, len, false, PROTO_MSG_LABEL, 14, 0),
					    &d), 0);
	cmp_label(&d, m);
}

static void
test_rt_label(void **state)
{
	static uint8_t sets[PROTO_LABELS_MAX * (PROTO_FIELD_HDR + PROTO_LABEL_MAX)];
	static uint8_t keys[PROTO_LABELS_MAX * (PROTO_FIELD_HDR + PROTO_LABEL_KEY_MAX)];
	uint8_t label[PROTO_LABEL_MAX], key[PROTO_LABEL_KEY_MAX];
	struct proto_label m = {.ref = {.name = B("x")}};
	struct buf_writer w;
	uint32_t i;

	(void)state;
	memset(label, 'v', sizeof(label));
	memset(key, 'k', sizeof(key));
	label[PROTO_LABEL_KEY_MAX] = '=';
	buf_writer_init(&w, sets, sizeof(sets));
	for (i = 0; i < PROTO_LABELS_MAX; i++)
		proto_put_string(&w, PROTO_TAG_LABEL, label, sizeof(label));
	assert_int_equal(buf_writer_error(&w), 0);
	m.set = (struct proto_list_span){{sets, w.len}, PROTO_LABELS_MAX};
	rt_label(&m); /* set only */
	buf_writer_init(&w, keys, sizeof(keys));
	for (i = 0; i < PROTO_LABELS_MAX; i++)
		proto_put_string(&w, PROTO_TAG_LABEL_KEY, key, sizeof(key));
	assert_int_equal(buf_writer_error(&w), 0);
	m.remove = (struct proto_list_span){{keys, w.len}, PROTO_LABELS_MAX};
	rt_label(&m); /* both, at their caps */
	m.set = (struct proto_list_span){0};
	m.ref.has_owner = true;
	rt_label(&m); /* remove only */
}

static void
test_rt_event(void **state)
{
	struct proto_event_msg m, d;
	struct proto_frame f;
	uint32_t ev, st;
	size_t len;

	(void)state;
	for (ev = 1; ev <= PROTO_EVENT_MAX; ev++) {
		for (st = 0; st <= PROTO_STATE_MAX; st++) {
			m = (struct proto_event_msg){.event = ev, .version = ev * 7, .state = st};
			ENCODE(proto_encode_event(w, 0xfffffff0u + ev, &m));
			assert_int_equal(len, PROTO_REPLY_HDR + 3 * (PROTO_FIELD_HDR + 4));
			assert_int_equal(proto_decode_event(frame_body(out, len, true, PROTO_MSG_EVENT,
								       0xfffffff0u + ev, PROTO_OK),
							    &d), 0);
			cmp_event(&d, &m);
		}
	}
	/* after PURGED there is no current version */
	m = (struct proto_event_msg){.event = PROTO_EVENT_PURGED, .version = 0,
				     .state = PROTO_STATE_DELETED};
	ENCODE(proto_encode_event(w, 3, &m));
	assert_int_equal(proto_decode_event(frame_body(out, len, true, 0xc0, 3, 0), &d), 0);
	cmp_event(&d, &m);
	/* a reply-shaped frame: read as a request its header is misaligned */
	assert_int_equal(proto_frame_parse(out, len, PROTO_FRAME_MAX_DEFAULT, false, &f), (int)len);
	assert_int_equal(f.type, PROTO_MSG_EVENT);
	assert_int_equal(proto_decode_event(f.body, &d), -EBADMSG);
}

static void
test_rt_get_list(void **state)
{
	static uint8_t labels[PROTO_LABELS_MAX * (PROTO_FIELD_HDR + PROTO_LABEL_MAX)];
	uint8_t label[PROTO_LABEL_MAX];
	struct proto_get g = {.ref = {.name = B("a")}, .has_version = true, .version = 2,
			      .flags = PROTO_GET_FLAGS_ALL}, dg;
	struct proto_list l = {.has_owner = true, .owner = 7, .prefix = B("a/"),
			       .cursor = B("c"), .limit = 1, .flags = PROTO_LIST_DELETED,
			       .has_expiring = true, .expiring = UINT64_MAX}, dl;
	struct buf_writer lw;
	size_t len;
	uint32_t i;

	(void)state;
	ENCODE(proto_encode_get(w, 4, &g));
	assert_int_equal(proto_decode_get(frame_body(out, len, false, PROTO_MSG_GET, 4, 0), &dg), 0);
	cmp_get(&dg, &g);
	g.has_version = false;
	g.version = 0;
	ENCODE(proto_encode_get(w, 4, &g));
	assert_int_equal(proto_decode_get(frame_body(out, len, false, PROTO_MSG_GET, 4, 0), &dg), 0);
	cmp_get(&dg, &g);

	memset(label, '.', sizeof(label));
	label[1] = '=';
	buf_writer_init(&lw, labels, sizeof(labels));
	for (i = 0; i < PROTO_LABELS_MAX; i++)
		proto_put_string(&lw, PROTO_TAG_LABEL, label, sizeof(label));
	assert_int_equal(buf_writer_error(&lw), 0);
	l.labels = (struct proto_list_span){{labels, lw.len}, PROTO_LABELS_MAX};
	ENCODE(proto_encode_list(w, 6, &l));
	assert_int_equal(proto_decode_list(frame_body(out, len, false, PROTO_MSG_LIST, 6, 0), &dl), 0);
	cmp_list(&dl, &l);
	/* EXPIRING 0 is a filter too (already expired by 1970) */
	l = (struct proto_list){.has_expiring = true};
	ENCODE(proto_encode_list(w, 6, &l));
	assert_int_equal(len, PROTO_REQ_HDR + PROTO_FIELD_HDR + 8);
	assert_int_equal(proto_decode_list(frame_body(out, len, false, PROTO_MSG_LIST, 6, 0), &dl), 0);
	cmp_list(&dl, &l);
}

/*
 * One connection: WATCH 18 answered OK, then its events arrive between
 * the replies to later requests. A client tells them apart by type and
 * request id.
 */
static void
test_watch_stream(void **state)
{
	struct proto_event_msg ev1 = {PROTO_EVENT_ROTATED, 3, PROTO_STATE_ACTIVE};
	struct proto_event_msg ev2 = {PROTO_EVENT_PURGED, 0, PROTO_STATE_DELETED}, d;
	struct proto_get_reply gr = {.version = 3, .type = B("generic"), .value = B("v")};
	struct proto_put_reply pr;
	struct proto_frame f;
	struct buf_writer w = writer();
	size_t off = 0, n;
	int r;

	(void)state;
	assert_int_equal(proto_encode_simple_reply(&w, PROTO_MSG_WATCH, 18, PROTO_OK, NULL, 0), 0);
	assert_int_equal(proto_encode_event(&w, 18, &ev1), 0);
	assert_int_equal(proto_encode_get_reply(&w, 19, &gr), 0);
	assert_int_equal(proto_encode_event(&w, 18, &ev2), 0);
	{
		size_t start = proto_reply_begin(&w, PROTO_MSG_ROLLBACK, 20, PROTO_OK);

		proto_put_u32(&w, PROTO_TAG_VERSION, 4);
		assert_int_equal(proto_frame_end(&w, start), 0);
	}
	n = w.len;

	r = proto_frame_parse(out + off, n - off, PROTO_FRAME_MAX_DEFAULT, true, &f);
	assert_true(r > 0);
	assert_int_equal(f.type, PROTO_MSG_WATCH | PROTO_REPLY_BIT);
	assert_int_equal(f.reqid, 18);
	off += (size_t)r;
	r = proto_frame_parse(out + off, n - off, PROTO_FRAME_MAX_DEFAULT, true, &f);
	assert_true(r > 0);
	assert_int_equal(f.type, PROTO_MSG_EVENT);
	assert_int_equal(f.reqid, 18);
	assert_int_equal(f.status, PROTO_OK);
	assert_int_equal(proto_decode_event(f.body, &d), 0);
	cmp_event(&d, &ev1);
	off += (size_t)r;
	r = proto_frame_parse(out + off, n - off, PROTO_FRAME_MAX_DEFAULT, true, &f);
	assert_true(r > 0);
	assert_int_equal(f.type, PROTO_MSG_GET | PROTO_REPLY_BIT);
	assert_int_equal(f.reqid, 19);
	off += (size_t)r;
	r = proto_frame_parse(out + off, n - off, PROTO_FRAME_MAX_DEFAULT, true, &f);
	assert_true(r > 0);
	assert_int_equal(f.type, PROTO_MSG_EVENT);
	assert_int_equal(proto_decode_event(f.body, &d), 0);
	assert_string_equal(proto_event_name(d.event), "purged");
	off += (size_t)r;
	r = proto_frame_parse(out + off, n - off, PROTO_FRAME_MAX_DEFAULT, true, &f);
	assert_true(r > 0);
	assert_int_equal(f.type, PROTO_MSG_ROLLBACK | PROTO_REPLY_BIT);
	assert_int_equal(proto_decode_put_reply(f.body, &pr), 0);
	assert_int_equal(pr.version, 4);
	off += (size_t)r;
	assert_int_equal(off, n);
	assert_int_equal(proto_frame_parse(out + off, 0, PROTO_FRAME_MAX_DEFAULT, true, &f), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_rotate),
		cmocka_unit_test(test_rotate_default_charset),
		cmocka_unit_test(test_rt_rotate_reply),
		cmocka_unit_test(test_rt_versioned),
		cmocka_unit_test(test_rt_named),
		cmocka_unit_test(test_rt_label),
		cmocka_unit_test(test_rt_event),
		cmocka_unit_test(test_rt_get_list),
		cmocka_unit_test(test_watch_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
