/* SPDX-License-Identifier: MIT */
/*
 * proto/: the audit trail beyond the golden examples. Round trips of
 * AUDIT with every optional field absent and present, of RECORD and
 * SUMMARY groups and of whole replies up to PROTO_LIST_LIMIT_MAX groups,
 * of AUDIT_VERIFY and its reply; and what each decoder rejects: caps
 * (LIMIT, OP, STATUS, COMM, SECURITY, HEAD of exactly 32 bytes), missing
 * required fields, wrong kinds, fields out of order, a record of COUNT 0
 * or a VERSION without NAME, a summary of TOTAL 0, records and summaries
 * in one reply, an empty NEXT_CURSOR, and a body in AUDIT_VERIFY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX], scratch[BUF_MAX], fill[PROTO_CURSOR_MAX + 1];

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
d_audit(struct proto_bytes b)
{
	struct proto_audit m;

	return proto_decode_audit(b, &m);
}

static int
d_audit_reply(struct proto_bytes b)
{
	struct proto_audit_reply m;

	return proto_decode_audit_reply(b, &m);
}

static int
d_record(struct proto_bytes b)
{
	struct proto_audit_record m;

	return proto_decode_audit_record(b, &m);
}

static int
d_summary(struct proto_bytes b)
{
	struct proto_audit_summary m;

	return proto_decode_audit_summary(b, &m);
}

static int
d_verify_reply(struct proto_bytes b)
{
	struct proto_audit_verify_reply m;

	return proto_decode_audit_verify_reply(b, &m);
}

/* ---- AUDIT ---- */

static void
test_audit_roundtrip(void **state)
{
	struct proto_audit m, d;
	unsigned bits;
	size_t len;

	(void)state;
	/* each optional field absent or present (at an extreme) */
	for (bits = 0; bits < 1u << 10; bits++) {
		m = (struct proto_audit){
			.has_owner = (bits & 1) != 0,
			.owner = (bits & 1) ? UINT32_MAX : 0,
			.name = (bits & 2) ? B("db/prod/password") : (struct proto_bytes){0},
			.cursor = (bits & 4) ? (struct proto_bytes){fill, PROTO_CURSOR_MAX}
					     : (struct proto_bytes){0},
			.limit = (bits & 8) ? PROTO_LIST_LIMIT_MAX : 0,
			.flags = (bits & 16) ? PROTO_AUDIT_SUMMARY : 0,
			.has_uid = (bits & 32) != 0,
			.uid = 0,
			.op = (bits & 64) ? B("audit-verify") : (struct proto_bytes){0},
			.has_status = (bits & 128) != 0,
			.status = (bits & 128) ? PROTO_STATUS_MAX : 0,
			.has_since = (bits & 256) != 0,
			.since = (bits & 256) ? UINT64_MAX : 0,
			.has_until = (bits & 512) != 0,
			.until = 0,
		};
		ENCODE(proto_encode_audit(w, 12, &m));
		assert_int_equal(proto_decode_audit(frame_body(out, len, false, PROTO_MSG_AUDIT, 12,
								0),
						    &d), 0);
		assert_int_equal(d.has_owner, m.has_owner);
		assert_int_equal(d.owner, m.owner);
		assert_bytes(d.name, m.name);
		assert_bytes(d.cursor, m.cursor);
		assert_int_equal(d.limit, m.limit);
		assert_int_equal(d.flags, m.flags);
		assert_int_equal(d.has_uid, m.has_uid);
		assert_int_equal(d.uid, m.uid);
		assert_bytes(d.op, m.op);
		assert_int_equal(d.has_status, m.has_status);
		assert_int_equal(d.status, m.status);
		assert_int_equal(d.has_since, m.has_since);
		assert_int_equal(d.since, m.since);
		assert_int_equal(d.has_until, m.has_until);
		assert_int_equal(d.until, m.until);
	}
}

static void
test_audit_reject(void **state)
{
	(void)state;
	/* LIMIT at most 1000, FLAGS only SUMMARY, STATUS in the enum */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_LIMIT, PROTO_LIST_LIMIT_MAX + 1);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 2);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_STATUS, PROTO_STATUS_MAX + 1);
	REJECT(d_audit, wbody());
	/* OP a string of at most PROTO_OP_MAX bytes */
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, fill, PROTO_OP_MAX);
	ACCEPT(d_audit, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, fill, PROTO_OP_MAX + 1);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_OP, "get", 3);
	REJECT(d_audit, wbody());
	/* NAME: not empty, at most 255; CURSOR at most 512 */
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, "", 0);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_NAME, fill, PROTO_NAME_MAX + 1);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_CURSOR, fill, PROTO_CURSOR_MAX + 1);
	REJECT(d_audit, wbody());
	/* kinds: times are u64, FILTER_UID a u32 */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SINCE, 1);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_FILTER_UID, 1);
	REJECT(d_audit, wbody());
	/* order: UNTIL before SINCE, OP before FILTER_UID */
	wstart();
	proto_put_u64(&bw, PROTO_TAG_UNTIL, 2);
	proto_put_u64(&bw, PROTO_TAG_SINCE, 1);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_FILTER_UID, 1);
	REJECT(d_audit, wbody());
	/* twice */
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_string(&bw, PROTO_TAG_OP, "put", 3);
	REJECT(d_audit, wbody());
	/* LIST's and USAGE's fields are not AUDIT's */
	wstart();
	proto_put_string(&bw, PROTO_TAG_PREFIX, "db/", 3);
	REJECT(d_audit, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	REJECT(d_audit, wbody());
	/* an empty range is no malformed body: since >= until decodes */
	wstart();
	proto_put_u64(&bw, PROTO_TAG_SINCE, 5);
	proto_put_u64(&bw, PROTO_TAG_UNTIL, 5);
	ACCEPT(d_audit, wbody());
}

/* ---- RECORD and SUMMARY groups ---- */

static const struct proto_audit_record rec_full = {
	.has_owner = true,
	.owner = 0,
	.name = B("a"),
	.has_version = true,
	.version = 0,
	.op = B("suppressed"),
	.status = PROTO_RATE_LIMITED,
	.seq = UINT64_MAX,
	.time = 1,
	.uid = UINT32_MAX,
	.gid = 0,
	.pid = 1,
	.comm = B("123456789012345"),
	.count = UINT32_MAX,
	.security = 1,
};
static const struct proto_audit_record rec_min = {
	.op = B("connect"),
	.status = PROTO_DENIED,
	.count = 1,
};

/* R written into a RECORD group in scratch; the group's content. */
static struct proto_bytes
record_group(const struct proto_audit_record *r, size_t *ret_len)
{
	struct buf_writer w;

	buf_writer_init(&w, scratch, sizeof(scratch));
	proto_put_audit_record(&w, r);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(scratch[0], PROTO_TAG_RECORD);
	assert_int_equal(scratch[1], PROTO_KIND_GROUP);
	*ret_len = w.len;
	return (struct proto_bytes){scratch + PROTO_FIELD_HDR, w.len - PROTO_FIELD_HDR};
}

static void
test_record_roundtrip(void **state)
{
	const struct proto_audit_record *rs[] = {&rec_full, &rec_min};
	struct proto_audit_record d;
	struct proto_bytes g;
	struct buf_writer w;
	size_t i, n;

	(void)state;
	for (i = 0; i < 2; i++) {
		g = record_group(rs[i], &n);
		assert_int_equal(proto_decode_audit_record(g, &d), 0);
		assert_int_equal(d.has_owner, rs[i]->has_owner);
		assert_int_equal(d.owner, rs[i]->owner);
		assert_bytes(d.name, rs[i]->name);
		assert_int_equal(d.has_version, rs[i]->has_version);
		assert_int_equal(d.version, rs[i]->version);
		assert_bytes(d.op, rs[i]->op);
		assert_int_equal(d.status, rs[i]->status);
		assert_int_equal(d.seq, rs[i]->seq);
		assert_int_equal(d.time, rs[i]->time);
		assert_int_equal(d.uid, rs[i]->uid);
		assert_int_equal(d.gid, rs[i]->gid);
		assert_int_equal(d.pid, rs[i]->pid);
		assert_bytes(d.comm, rs[i]->comm);
		assert_int_equal(d.count, rs[i]->count);
		assert_int_equal(d.security, rs[i]->security);
		/* written back: the same group */
		buf_writer_init(&w, out, sizeof(out));
		proto_put_audit_record(&w, &d);
		assert_int_equal(w.len, n);
		assert_memory_equal(out, scratch, n);
	}
}

enum {
	R_OP = 1,
	R_STATUS = 2,
	R_SEQ = 4,
	R_TIME = 8,
	R_UID = 16,
	R_GID = 32,
	R_PID = 64,
	R_COUNT = 128,
};
#define R_ALL 255u

/* The required fields of HAS, with COUNT and STATUS as given. */
static struct proto_bytes
record_body(unsigned has, uint32_t count, uint32_t status)
{
	wstart();
	if (has & R_OP)
		proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	if (has & R_STATUS)
		proto_put_u32(&bw, PROTO_TAG_STATUS, status);
	if (has & R_SEQ)
		proto_put_u64(&bw, PROTO_TAG_SEQ, 1);
	if (has & R_TIME)
		proto_put_u64(&bw, PROTO_TAG_TIME, 1);
	if (has & R_UID)
		proto_put_u32(&bw, PROTO_TAG_UID, 1);
	if (has & R_GID)
		proto_put_u32(&bw, PROTO_TAG_GID, 1);
	if (has & R_PID)
		proto_put_u32(&bw, PROTO_TAG_PID, 1);
	if (has & R_COUNT)
		proto_put_u32(&bw, PROTO_TAG_COUNT, count);
	return wbody();
}

static void
test_record_reject(void **state)
{
	unsigned has;
	uint32_t v;

	(void)state;
	for (has = 0; has <= R_ALL; has++)
		assert_int_equal(d_record(record_body(has, 1, 0)), has == R_ALL ? 0 : -EBADMSG);
	/* a record stands for at least one request */
	REJECT(d_record, record_body(R_ALL, 0, 0));
	for (v = 0; v <= PROTO_STATUS_MAX + 1; v++)
		assert_int_equal(d_record(record_body(R_ALL, 1, v)),
				 v <= PROTO_STATUS_MAX ? 0 : -EBADMSG);
	/* SECURITY 0 or 1 */
	for (v = 0; v <= 2; v++) {
		record_body(R_ALL, 1, 0);
		proto_put_u32(&bw, PROTO_TAG_SECURITY, v);
		assert_int_equal(d_record(wbody()), v <= 1 ? 0 : -EBADMSG);
	}
	/* a VERSION is a secret's: not without NAME */
	{
		uint8_t tail[256];
		struct proto_bytes t = record_body(R_ALL, 1, 0);

		memcpy(tail, t.ptr, t.len);
		wstart();
		proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		buf_put_bytes(&bw, tail, t.len);
		REJECT(d_record, wbody());
		wstart();
		proto_put_string(&bw, PROTO_TAG_NAME, "a", 1);
		proto_put_u32(&bw, PROTO_TAG_VERSION, 1);
		buf_put_bytes(&bw, tail, t.len);
		ACCEPT(d_record, wbody());
		wstart();
		proto_put_u32(&bw, PROTO_TAG_OWNER, 1);
		buf_put_bytes(&bw, tail, t.len);
		ACCEPT(d_record, wbody());
		/* NAME not empty */
		wstart();
		proto_put_string(&bw, PROTO_TAG_NAME, "", 0);
		buf_put_bytes(&bw, tail, t.len);
		REJECT(d_record, wbody());
	}
	/* COMM at most 15 bytes, a string; OP not empty, at most 32 */
	record_body(R_ALL & ~(unsigned)R_COUNT, 1, 0);
	proto_put_string(&bw, PROTO_TAG_COMM, fill, PROTO_COMM_MAX + 1);
	proto_put_u32(&bw, PROTO_TAG_COUNT, 1);
	REJECT(d_record, wbody());
	record_body(R_ALL & ~(unsigned)R_COUNT, 1, 0);
	proto_put_bytes(&bw, PROTO_TAG_COMM, "sh", 2);
	proto_put_u32(&bw, PROTO_TAG_COUNT, 1);
	REJECT(d_record, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "", 0);
	REJECT(d_record, wbody());
	/* order: TIME before SEQ */
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_STATUS, 0);
	proto_put_u64(&bw, PROTO_TAG_TIME, 1);
	proto_put_u64(&bw, PROTO_TAG_SEQ, 1);
	proto_put_u32(&bw, PROTO_TAG_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_GID, 1);
	proto_put_u32(&bw, PROTO_TAG_PID, 1);
	proto_put_u32(&bw, PROTO_TAG_COUNT, 1);
	REJECT(d_record, wbody());
	/* kinds: SEQ a u64, UID a u32 */
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_STATUS, 0);
	proto_put_u32(&bw, PROTO_TAG_SEQ, 1);
	REJECT(d_record, wbody());
}

static void
test_summary(void **state)
{
	struct proto_audit_summary s = {B("get"), PROTO_NOT_FOUND, UINT64_MAX}, d;
	struct buf_writer w;

	(void)state;
	buf_writer_init(&w, scratch, sizeof(scratch));
	proto_put_audit_summary(&w, &s);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(scratch[0], PROTO_TAG_SUMMARY);
	assert_int_equal(proto_decode_audit_summary((struct proto_bytes){scratch + PROTO_FIELD_HDR,
									  w.len - PROTO_FIELD_HDR},
						    &d), 0);
	assert_bytes(d.op, s.op);
	assert_int_equal(d.status, s.status);
	assert_int_equal(d.total, s.total);
	/* all three required; TOTAL a u64, at least 1 */
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_STATUS, 0);
	REJECT(d_summary, wbody());
	proto_put_u64(&bw, PROTO_TAG_TOTAL, 0);
	REJECT(d_summary, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u64(&bw, PROTO_TAG_TOTAL, 1);
	REJECT(d_summary, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_STATUS, 0);
	proto_put_u64(&bw, PROTO_TAG_TOTAL, 1);
	REJECT(d_summary, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_STATUS, 0);
	proto_put_u32(&bw, PROTO_TAG_TOTAL, 1);
	REJECT(d_summary, wbody());
	/* COUNT is a record's, not a summary's */
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_STATUS, 0);
	proto_put_u32(&bw, PROTO_TAG_COUNT, 1);
	REJECT(d_summary, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_OP, "get", 3);
	proto_put_u32(&bw, PROTO_TAG_STATUS, PROTO_STATUS_MAX + 1);
	proto_put_u64(&bw, PROTO_TAG_TOTAL, 1);
	REJECT(d_summary, wbody());
}

/* ---- the AUDIT reply ---- */

static struct proto_list_span
records(uint32_t n)
{
	struct buf_writer w;
	uint32_t i;

	buf_writer_init(&w, scratch, sizeof(scratch));
	for (i = 0; i < n; i++) {
		struct proto_audit_record r = rec_min;

		r.seq = i;
		proto_put_audit_record(&w, &r);
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{scratch, w.len}, n};
}

static struct proto_list_span
summaries(uint32_t n)
{
	struct buf_writer w;
	uint32_t i;

	buf_writer_init(&w, scratch, sizeof(scratch));
	for (i = 0; i < n; i++) {
		struct proto_audit_summary s = {B("get"), i % (PROTO_STATUS_MAX + 1), 1 + i};

		proto_put_audit_summary(&w, &s);
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{scratch, w.len}, n};
}

static void
test_audit_reply(void **state)
{
	static const uint32_t ns[] = {0, 1, 2, PROTO_LIST_LIMIT_MAX};
	struct proto_audit_reply m, d;
	struct proto_list_span span;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		m = (struct proto_audit_reply){.records = records(ns[i]),
					       .cursor = {fill, PROTO_CURSOR_MAX},
					       .message = B("m")};
		ENCODE(proto_encode_audit_reply(w, 5, &m));
		assert_int_equal(proto_decode_audit_reply(frame_body(out, len, true,
								     0x80 | PROTO_MSG_AUDIT, 5, 0),
							  &d), 0);
		assert_span(&d.records, &m.records);
		assert_int_equal(d.summaries.count, 0);
		assert_bytes(d.cursor, m.cursor);
		assert_bytes(d.message, m.message);
		m = (struct proto_audit_reply){.summaries = summaries(ns[i])};
		ENCODE(proto_encode_audit_reply(w, 5, &m));
		assert_int_equal(proto_decode_audit_reply(frame_body(out, len, true,
								     0x80 | PROTO_MSG_AUDIT, 5, 0),
							  &d), 0);
		assert_span(&d.summaries, &m.summaries);
		assert_int_equal(d.records.count, 0);
		assert_int_equal(d.cursor.len, 0);
	}
	/* over the cap */
	span = records(PROTO_LIST_LIMIT_MAX + 1);
	REJECT(d_audit_reply, span.raw);
	span = summaries(PROTO_LIST_LIMIT_MAX + 1);
	REJECT(d_audit_reply, span.raw);
	/* records or summaries, not both */
	span = records(1);
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	span = summaries(1);
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	REJECT(d_audit_reply, wbody());
	/* NEXT_CURSOR and MESSAGE first, by their tags; a cursor not empty */
	span = records(1);
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, "c", 1);
	REJECT(d_audit_reply, wbody());
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_audit_reply, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, "", 0);
	REJECT(d_audit_reply, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, fill, PROTO_CURSOR_MAX + 1);
	REJECT(d_audit_reply, wbody());
	/* one broken record (COUNT 0) breaks the reply */
	{
		struct proto_audit_record r = rec_min;

		r.count = 0;
		wstart();
		proto_put_audit_record(&bw, &rec_min);
		proto_put_audit_record(&bw, &r);
		REJECT(d_audit_reply, wbody());
	}
	/* LIST entries are no records */
	wstart();
	{
		size_t off = proto_group_begin(&bw, PROTO_TAG_ENTRY);

		put_name();
		proto_group_end(&bw, off);
	}
	REJECT(d_audit_reply, wbody());
	ACCEPT(d_audit_reply, ((struct proto_bytes){NULL, 0}));
}

/* ---- AUDIT_VERIFY ---- */

static void
test_verify(void **state)
{
	struct proto_audit_verify_reply m, d;
	static uint8_t head[PROTO_AUDIT_HEAD_SIZE + 1];
	size_t len, i;

	(void)state;
	ENCODE(proto_encode_audit_verify(w, 9));
	assert_int_equal(len, PROTO_REQ_HDR);
	assert_int_equal(proto_decode_audit_verify(frame_body(out, len, false,
							      PROTO_MSG_AUDIT_VERIFY, 9, 0)),
			 0);
	wstart();
	put_name();
	REJECT(proto_decode_audit_verify, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_CHECKED, 1);
	REJECT(proto_decode_audit_verify, wbody());
	for (i = 0; i < 4; i++) {
		m = (struct proto_audit_verify_reply){
			.checked = i,
			.first_seq = UINT64_MAX - i,
			.has_broken = (i & 1) != 0,
			.broken_seq = (i & 1) ? 812 : 0,
			.head = (i & 2) ? (struct proto_bytes){head, PROTO_AUDIT_HEAD_SIZE}
					: (struct proto_bytes){0},
			.message = (i & 1) ? B("broken") : (struct proto_bytes){0},
		};
		ENCODE(proto_encode_audit_verify_reply(w, 9, &m));
		assert_int_equal(proto_decode_audit_verify_reply(
					 frame_body(out, len, true, 0x80 | PROTO_MSG_AUDIT_VERIFY, 9,
						    0),
					 &d),
				 0);
		assert_int_equal(d.checked, m.checked);
		assert_int_equal(d.first_seq, m.first_seq);
		assert_int_equal(d.has_broken, m.has_broken);
		assert_int_equal(d.broken_seq, m.broken_seq);
		assert_bytes(d.head, m.head);
		assert_bytes(d.message, m.message);
	}
	/* HEAD exactly 32 bytes */
	for (i = 0; i <= PROTO_AUDIT_HEAD_SIZE + 1; i++) {
		wstart();
		proto_put_u64(&bw, PROTO_TAG_CHECKED, 1);
		proto_put_u64(&bw, PROTO_TAG_FIRST_SEQ, 1);
		proto_put_bytes(&bw, PROTO_TAG_HEAD, head, i);
		assert_int_equal(d_verify_reply(wbody()),
				 i == PROTO_AUDIT_HEAD_SIZE ? 0 : -EBADMSG);
	}
	/* CHECKED and FIRST_SEQ required, u64s; order */
	wstart();
	proto_put_u64(&bw, PROTO_TAG_CHECKED, 1);
	REJECT(d_verify_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_FIRST_SEQ, 1);
	REJECT(d_verify_reply, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_CHECKED, 1);
	proto_put_u64(&bw, PROTO_TAG_FIRST_SEQ, 1);
	REJECT(d_verify_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_CHECKED, 1);
	proto_put_u64(&bw, PROTO_TAG_FIRST_SEQ, 1);
	proto_put_u64(&bw, PROTO_TAG_BROKEN_SEQ, 1);
	REJECT(d_verify_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_CHECKED, 1);
	proto_put_u64(&bw, PROTO_TAG_FIRST_SEQ, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_verify_reply, wbody());
	wstart();
	proto_put_u64(&bw, PROTO_TAG_CHECKED, 1);
	proto_put_u64(&bw, PROTO_TAG_FIRST_SEQ, 1);
	proto_put_string(&bw, PROTO_TAG_HEAD, fill, PROTO_AUDIT_HEAD_SIZE);
	REJECT(d_verify_reply, wbody());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_roundtrip),
		cmocka_unit_test(test_audit_reject),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_reject),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_audit_reply),
		cmocka_unit_test(test_verify),
	};

	memset(fill, 'c', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
