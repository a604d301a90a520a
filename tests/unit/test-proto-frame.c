/* SPDX-License-Identifier: MIT */
/*
 * proto/: framing (limits, pipelined frames, header fields) and the
 * low-level writers and iterator that encoders and agents build on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX];

static void
test_frame_limits(void **state)
{
	uint8_t p[PROTO_REPLY_HDR + 1] = {0};
	struct proto_frame f = {0};
	uint32_t len;

	(void)state;
	/* over the limit: known from the length alone */
	buf_store_u32(p, 4097);
	assert_int_equal(proto_frame_parse(p, 4, 4096, false, &f), -EMSGSIZE);
	assert_int_equal(proto_frame_parse(p, 4, 4096, true, &f), -EMSGSIZE);
	buf_store_u32(p, 4096);
	assert_int_equal(proto_frame_parse(p, 4, 4096, false, &f), 0);
	buf_store_u32(p, UINT32_MAX);
	assert_int_equal(proto_frame_parse(p, 4, UINT32_MAX, false, &f), -EMSGSIZE);
	assert_int_equal(proto_frame_parse(p, 3, 4096, false, &f), 0);
	/* shorter than a header */
	for (len = 0; len < PROTO_REPLY_HDR - PROTO_LEN_SIZE; len++) {
		buf_store_u32(p, len);
		if (len < PROTO_REQ_HDR - PROTO_LEN_SIZE)
			assert_int_equal(proto_frame_parse(p, 4, 4096, false, &f), -EBADMSG);
		assert_int_equal(proto_frame_parse(p, 4, 4096, true, &f), -EBADMSG);
	}
	buf_store_u32(p, PROTO_REQ_HDR - PROTO_LEN_SIZE);
	assert_int_equal(proto_frame_parse(p, PROTO_REQ_HDR, 4096, false, &f), PROTO_REQ_HDR);
	assert_int_equal(f.body.len, 0);
}

/* Pipelined frames: one parse per frame, in order, then "need more". */
static void
test_frame_stream(void **state)
{
	static uint8_t buf[1024];
	struct proto_frame f;
	size_t n1, n2, off = 0;
	int r;

	(void)state;
	n1 = load_hex("get", buf, sizeof(buf));
	n2 = load_hex("put", buf + n1, sizeof(buf) - n1);
	r = proto_frame_parse(buf, n1 + n2 - 1, PROTO_FRAME_MAX_DEFAULT, false, &f);
	assert_int_equal(r, (int)n1);
	assert_int_equal(f.type, PROTO_MSG_GET);
	assert_int_equal(f.reqid, 4);
	assert_int_equal(f.status, 0);
	assert_ptr_equal(f.body.ptr, buf + PROTO_REQ_HDR);
	assert_int_equal(f.body.len, n1 - PROTO_REQ_HDR);
	off += (size_t)r;
	assert_int_equal(proto_frame_parse(buf + off, n2 - 1, PROTO_FRAME_MAX_DEFAULT, false, &f), 0);
	r = proto_frame_parse(buf + off, n2, PROTO_FRAME_MAX_DEFAULT, false, &f);
	assert_int_equal(r, (int)n2);
	assert_int_equal(f.type, PROTO_MSG_PUT);
	assert_int_equal(f.reqid, 3);
	assert_int_equal(proto_frame_parse(NULL, 0, PROTO_FRAME_MAX_DEFAULT, false, &f), 0);

	/* the same bytes read as a reply: status is the two bytes after
	 * the request id */
	r = proto_frame_parse(buf, n1, PROTO_FRAME_MAX_DEFAULT, true, &f);
	assert_int_equal(r, (int)n1);
	assert_int_equal(f.status, buf[PROTO_REQ_HDR] << 8 | buf[PROTO_REQ_HDR + 1]);
	assert_int_equal(f.body.len, n1 - PROTO_REPLY_HDR);
}

static void
test_frame_header(void **state)
{
	struct buf_writer w;
	struct proto_frame f;
	size_t start;

	(void)state;
	buf_writer_init(&w, out, sizeof(out));
	start = proto_reply_begin(&w, PROTO_MSG_INFO | PROTO_REPLY_BIT, 0xdeadbeef, 0xfffe);
	assert_int_equal(start, 0);
	assert_int_equal(proto_frame_end(&w, start), 0);
	assert_int_equal(w.len, PROTO_REPLY_HDR);
	assert_int_equal(proto_frame_parse(out, w.len, 4096, true, &f), PROTO_REPLY_HDR);
	assert_int_equal(f.type, 0x85);
	assert_int_equal(f.reqid, 0xdeadbeef);
	assert_int_equal(f.status, 0xfffe);
	/* a second frame after the first starts at its own offset */
	start = proto_reply_begin(&w, PROTO_MSG_INFO, 1, 0);
	assert_int_equal(start, PROTO_REPLY_HDR);
	assert_int_equal(proto_frame_end(&w, start), 0);
	assert_memory_equal(out + PROTO_REPLY_HDR, "\0\0\0\7\x85\0\0\0\1\0\0", PROTO_REPLY_HDR);
}

static void
test_frame_end_errors(void **state)
{
	struct buf_writer w;
	size_t start;

	(void)state;
	buf_writer_init(&w, out, 5);
	start = proto_frame_begin(&w, PROTO_MSG_STATUS, 1);
	assert_int_equal(proto_frame_end(&w, start), -ENOSPC);
	buf_writer_init(&w, out, sizeof(out));
	start = proto_frame_begin(&w, PROTO_MSG_STATUS, 1);
	assert_int_equal(proto_frame_end(&w, start + 1), -EINVAL);
	assert_int_equal(proto_frame_end(&w, 1000), -EINVAL);
	buf_writer_init(&w, NULL, 0);
	start = proto_frame_begin(&w, PROTO_MSG_STATUS, 1);
	proto_put_string(&w, PROTO_TAG_MESSAGE, "abc", 3);
	assert_int_equal(proto_frame_end(&w, start), 0);
	assert_int_equal(w.len, PROTO_REQ_HDR + PROTO_FIELD_HDR + 3);
}

static void
test_field_writers(void **state)
{
	static const uint8_t want[] = {
		0x12, 1, 0, 0, 0, 4, 0x01, 0x02, 0x03, 0x04,
		0x18, 2, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8,
		0x20, 3, 0, 0, 0, 2, 0, 0xff,
		0x40, 4, 0, 0, 0, 1, 'm',
		0x1d, 5, 0, 0, 0, 16,
		0x12, 1, 0, 0, 0, 4, 0, 0, 0, 9,
		0x2c, 5, 0, 0, 0, 0,
	};
	struct buf_writer w;
	size_t g, g2;

	(void)state;
	buf_writer_init(&w, out, sizeof(out));
	proto_put_u32(&w, PROTO_TAG_VERSION, 0x01020304);
	proto_put_u64(&w, PROTO_TAG_CREATED, 0x0102030405060708);
	proto_put_bytes(&w, PROTO_TAG_VALUE, "\0\xff", 2);
	proto_put_string(&w, PROTO_TAG_MESSAGE, "m", 1);
	g = proto_group_begin(&w, PROTO_TAG_VERSIONS);
	proto_put_u32(&w, PROTO_TAG_VERSION, 9);
	g2 = proto_group_begin(&w, PROTO_TAG_ENTRY);
	proto_group_end(&w, g2);
	proto_group_end(&w, g);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	/* an offset that is not a group header leaves the writer alone */
	proto_group_end(&w, w.len + 1);
	proto_group_end(&w, w.len - 1);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_memory_equal(out, want, sizeof(want));
}

/* The agent fills a GET reply's VALUE in place. */
static void
test_reserve(void **state)
{
	struct proto_get_reply d;
	struct buf_writer w;
	size_t start;
	uint8_t *p;

	(void)state;
	buf_writer_init(&w, out, sizeof(out));
	start = proto_reply_begin(&w, PROTO_MSG_GET, 4, PROTO_OK);
	proto_put_u32(&w, PROTO_TAG_VERSION, 1);
	proto_put_string(&w, PROTO_TAG_TYPE, "", 0);
	p = proto_put_reserve(&w, PROTO_TAG_VALUE, 7);
	assert_non_null(p);
	memcpy(p, "hunter2", 7);
	assert_int_equal(proto_frame_end(&w, start), 0);
	assert_int_equal(proto_decode_get_reply(frame_body(out, w.len, true, 0x84, 4, 0), &d), 0);
	assert_bytes(d.value, B("hunter2"));

	buf_writer_init(&w, NULL, 0);
	assert_null(proto_put_reserve(&w, PROTO_TAG_VALUE, 7));
	assert_int_equal(w.len, PROTO_FIELD_HDR + 7);
	assert_int_equal(buf_writer_error(&w), 0);
	buf_writer_init(&w, out, PROTO_FIELD_HDR + 6);
	assert_null(proto_put_reserve(&w, PROTO_TAG_VALUE, 7));
	assert_int_equal(buf_writer_error(&w), -ENOSPC);
}

static void
test_iter(void **state)
{
	static const uint8_t two[] = {
		0x1c, 4, 0, 0, 0, 1, 'a',
		0x1c, 4, 0, 0, 0, 0,
	};
	static const uint8_t broken[] = {0x1c, 4, 0, 0, 0, 9, 'a'};
	struct proto_list_span sp = {{two, sizeof(two)}, 2};
	struct proto_iter it;
	struct proto_bytes b;

	(void)state;
	proto_iter_init(&it, &sp);
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_bytes(b, B("a"));
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_int_equal(b.len, 0);
	assert_int_equal(proto_iter_next(&it, &b), 0);
	assert_int_equal(proto_iter_next(&it, &b), 0);

	sp = (struct proto_list_span){{NULL, 0}, 0};
	proto_iter_init(&it, &sp);
	assert_int_equal(proto_iter_next(&it, &b), 0);
	/* hand-made broken spans just end */
	sp = (struct proto_list_span){{broken, sizeof(broken)}, 1};
	proto_iter_init(&it, &sp);
	assert_int_equal(proto_iter_next(&it, &b), 0);
	sp = (struct proto_list_span){{two, 3}, 1};
	proto_iter_init(&it, &sp);
	assert_int_equal(proto_iter_next(&it, &b), 0);
	assert_int_equal(proto_iter_next(&it, &b), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_limits),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_frame_end_errors),
		cmocka_unit_test(test_field_writers),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_iter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
