/* SPDX-License-Identifier: MIT */
/*
 * proto/: usage and quotas beyond the golden examples. Round trips and
 * rejections of USAGE, its USAGE groups (a reader only with its
 * LAST_READ) and reply, QUOTA (both or neither of QUOTA and
 * QUOTA_PERIOD; a quota of at least 1; a period of 1 to 3), USAGE_RESET
 * (proto_named), PUT's quota, and the INFO reply's quota and usage fields
 * (READS with PERIOD_READS, a reader with LAST_READ), which LIST entries
 * neither carry nor accept.
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
d_usage(struct proto_bytes b)
{
	struct proto_usage m;

	return proto_decode_usage(b, &m);
}

static int
d_usage_entry(struct proto_bytes b)
{
	struct proto_usage_entry m;

	return proto_decode_usage_entry(b, &m);
}

static int
d_usage_reply(struct proto_bytes b)
{
	struct proto_usage_reply m;

	return proto_decode_usage_reply(b, &m);
}

static int
d_quota(struct proto_bytes b)
{
	struct proto_quota m;

	return proto_decode_quota(b, &m);
}

/* QUOTA and QUOTA_PERIOD as given (< 0: absent). */
static void
put_q(int64_t q, int64_t p)
{
	if (q >= 0)
		proto_put_u32(&bw, PROTO_TAG_QUOTA, (uint32_t)q);
	if (p >= 0)
		proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, (uint32_t)p);
}

/* What a quota pair must be, wherever it appears. */
static const struct {
	int64_t q, p;
	int want;
} quota_cases[] = {
	{-1, -1, 0},	     {1, 1, 0},		 {100, 2, 0},	      {UINT32_MAX, 3, 0},
	{1, -1, -EBADMSG},   {-1, 1, -EBADMSG},	 {0, 2, -EBADMSG},    {5, 0, -EBADMSG},
	{0, 0, -EBADMSG},    {5, 4, -EBADMSG},	 {5, UINT32_MAX, -EBADMSG},
};
#define N_QUOTA_CASES (sizeof(quota_cases) / sizeof(quota_cases[0]))

/* ---- USAGE ---- */

static void
test_usage_request(void **state)
{
	struct proto_usage m, d;
	unsigned bits;
	size_t len;

	(void)state;
	for (bits = 0; bits < 16; bits++) {
		m = (struct proto_usage){
			.has_owner = (bits & 1) != 0,
			.owner = (bits & 1) ? 1000 : 0,
			.prefix = (bits & 2) ? (struct proto_bytes){fill, PROTO_NAME_MAX + 1}
					     : (struct proto_bytes){0},
			.cursor = (bits & 4) ? B("c") : (struct proto_bytes){0},
			.limit = (bits & 8) ? PROTO_LIST_LIMIT_MAX : 0,
		};
		ENCODE(proto_encode_usage(w, 2, &m));
		assert_int_equal(proto_decode_usage(frame_body(out, len, false, PROTO_MSG_USAGE, 2,
								0),
						    &d), 0);
		assert_int_equal(d.has_owner, m.has_owner);
		assert_int_equal(d.owner, m.owner);
		assert_bytes(d.prefix, m.prefix);
		assert_bytes(d.cursor, m.cursor);
		assert_int_equal(d.limit, m.limit);
	}
	wstart();
	proto_put_u32(&bw, PROTO_TAG_LIMIT, PROTO_LIST_LIMIT_MAX + 1);
	REJECT(d_usage, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_PREFIX, fill, PROTO_NAME_MAX + 2);
	REJECT(d_usage, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_CURSOR, fill, PROTO_CURSOR_MAX + 1);
	REJECT(d_usage, wbody());
	wstart();
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	REJECT(d_usage, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_FLAGS, 1);
	REJECT(d_usage, wbody());
	wstart();
	put_name();
	REJECT(d_usage, wbody());
	wstart();
	proto_put_u32(&bw, PROTO_TAG_LIMIT, 1);
	proto_put_string(&bw, PROTO_TAG_PREFIX, "db/", 3);
	REJECT(d_usage, wbody());
}

/* ---- USAGE groups and the reply ---- */

static const struct proto_usage_entry ue_full = {
	.owner = UINT32_MAX,
	.name = B("x"),
	.reads = UINT64_MAX,
	.period_reads = 0,
	.period_start = 1,
	.has_last_read = true,
	.last_read = 0,
	.reader_uid = 0,
	.reader_pid = 0,
	.reader_comm = B("123456789012345"),
	.quota = 1,
	.quota_period = PROTO_PERIOD_MONTH,
};

static void
test_usage_entry(void **state)
{
	struct proto_usage_entry e, d;
	struct proto_bytes g;
	struct buf_writer w;
	size_t i, n;

	(void)state;
	for (i = 0; i < 3; i++) {
		e = ue_full;
		if (i >= 1) {
			e.reader_comm = (struct proto_bytes){0};
			e.quota = e.quota_period = 0;
		}
		if (i == 2) {
			/* a reader without LAST_READ is not written */
			e.has_last_read = false;
			e.last_read = 0;
			e.reader_uid = e.reader_pid = 0;
		}
		buf_writer_init(&w, scratch, sizeof(scratch));
		proto_put_usage_entry(&w, &e);
		assert_int_equal(buf_writer_error(&w), 0);
		assert_int_equal(scratch[0], PROTO_TAG_USAGE);
		n = w.len;
		g = (struct proto_bytes){scratch + PROTO_FIELD_HDR, n - PROTO_FIELD_HDR};
		assert_int_equal(proto_decode_usage_entry(g, &d), 0);
		assert_int_equal(d.owner, e.owner);
		assert_bytes(d.name, e.name);
		assert_int_equal(d.reads, e.reads);
		assert_int_equal(d.period_reads, e.period_reads);
		assert_int_equal(d.period_start, e.period_start);
		assert_int_equal(d.has_last_read, e.has_last_read);
		assert_int_equal(d.last_read, e.last_read);
		assert_int_equal(d.reader_uid, e.reader_uid);
		assert_int_equal(d.reader_pid, e.reader_pid);
		assert_bytes(d.reader_comm, e.reader_comm);
		assert_int_equal(d.quota, e.quota);
		assert_int_equal(d.quota_period, e.quota_period);
		buf_writer_init(&w, out, sizeof(out));
		proto_put_usage_entry(&w, &d);
		assert_int_equal(w.len, n);
		assert_memory_equal(out, scratch, n);
	}
}

enum { U_LAST = 1, U_UID = 2, U_PID = 4, U_COMM = 8 };

/* A USAGE group's content: required fields, quota pair Q/P, then the
 * reader fields of HAS. */
static struct proto_bytes
usage_body(int64_t q, int64_t p, unsigned has)
{
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	put_q(q, p);
	proto_put_u64(&bw, PROTO_TAG_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	if (has & U_LAST)
		proto_put_u64(&bw, PROTO_TAG_LAST_READ, 1);
	if (has & U_UID)
		proto_put_u32(&bw, PROTO_TAG_READER_UID, 1);
	if (has & U_PID)
		proto_put_u32(&bw, PROTO_TAG_READER_PID, 1);
	if (has & U_COMM)
		proto_put_string(&bw, PROTO_TAG_READER_COMM, "sh", 2);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_START, 0);
	return wbody();
}

static void
test_usage_entry_reject(void **state)
{
	static const uint8_t required[] = {PROTO_TAG_OWNER, PROTO_TAG_NAME, PROTO_TAG_READS,
					   PROTO_TAG_PERIOD_READS, PROTO_TAG_PERIOD_START};
	unsigned has;
	size_t i;

	(void)state;
	for (i = 0; i < N_QUOTA_CASES; i++)
		assert_int_equal(d_usage_entry(usage_body(quota_cases[i].q, quota_cases[i].p, 0)),
				 quota_cases[i].want);
	/* LAST_READ with READER_UID and READER_PID, READER_COMM optional;
	 * none of them without LAST_READ */
	for (has = 0; has < 16; has++) {
		bool ok = has == 0 || (has & 7) == 7;

		assert_int_equal(d_usage_entry(usage_body(-1, -1, has)), ok ? 0 : -EBADMSG);
	}
	/* each required field */
	for (i = 0; i < sizeof(required); i++) {
		struct proto_bytes b = usage_body(-1, -1, 0);
		uint8_t copy[256];
		size_t off = 0, len = 0, n = b.len;

		memcpy(copy, b.ptr, n);
		while (off < n && copy[off] != required[i])
			off += PROTO_FIELD_HDR + buf_load_u32(copy + off + 2);
		assert_true(off < n);
		len = PROTO_FIELD_HDR + buf_load_u32(copy + off + 2);
		wstart();
		buf_put_bytes(&bw, copy, off);
		buf_put_bytes(&bw, copy + off + len, n - off - len);
		REJECT(d_usage_entry, wbody());
	}
	/* READER_COMM at most 15 */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_put_u64(&bw, PROTO_TAG_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_LAST_READ, 1);
	proto_put_u32(&bw, PROTO_TAG_READER_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_READER_PID, 1);
	proto_put_string(&bw, PROTO_TAG_READER_COMM, fill, PROTO_COMM_MAX + 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_START, 0);
	REJECT(d_usage_entry, wbody());
	/* PERIOD_START last, by its tag */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_put_u64(&bw, PROTO_TAG_PERIOD_START, 0);
	proto_put_u64(&bw, PROTO_TAG_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	REJECT(d_usage_entry, wbody());
}

static struct proto_list_span
usage_entries(uint32_t n)
{
	struct buf_writer w;
	uint32_t i;

	buf_writer_init(&w, scratch, sizeof(scratch));
	for (i = 0; i < n; i++) {
		struct proto_usage_entry e = {.owner = i, .name = B("db/x"), .reads = i};

		proto_put_usage_entry(&w, &e);
	}
	assert_int_equal(buf_writer_error(&w), 0);
	return (struct proto_list_span){{scratch, w.len}, n};
}

static void
test_usage_reply(void **state)
{
	static const uint32_t ns[] = {0, 1, PROTO_LIST_LIMIT_MAX};
	struct proto_usage_reply m, d;
	struct proto_list_span span;
	size_t i, len, off;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		m = (struct proto_usage_reply){.entries = usage_entries(ns[i]),
					       .cursor = i == 1 ? B("next") : (struct proto_bytes){0},
					       .message = i == 2 ? B("m") : (struct proto_bytes){0}};
		ENCODE(proto_encode_usage_reply(w, 3, &m));
		assert_int_equal(proto_decode_usage_reply(frame_body(out, len, true,
								     0x80 | PROTO_MSG_USAGE, 3, 0),
							  &d), 0);
		assert_span(&d.entries, &m.entries);
		assert_bytes(d.cursor, m.cursor);
		assert_bytes(d.message, m.message);
	}
	span = usage_entries(PROTO_LIST_LIMIT_MAX + 1);
	REJECT(d_usage_reply, span.raw);
	/* cursor and message before the groups; the cursor not empty */
	span = usage_entries(1);
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, "c", 1);
	REJECT(d_usage_reply, wbody());
	wstart();
	proto_put_bytes(&bw, PROTO_TAG_NEXT_CURSOR, "", 0);
	REJECT(d_usage_reply, wbody());
	/* a broken group breaks the reply: a reader without LAST_READ */
	wstart();
	buf_put_bytes(&bw, span.raw.ptr, span.raw.len);
	off = proto_group_begin(&bw, PROTO_TAG_USAGE);
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_put_u64(&bw, PROTO_TAG_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	proto_put_u32(&bw, PROTO_TAG_READER_UID, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_START, 0);
	proto_group_end(&bw, off);
	REJECT(d_usage_reply, wbody());
	/* LIST entries are no usage */
	wstart();
	off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
	proto_put_u32(&bw, PROTO_TAG_OWNER, 1000);
	put_name();
	proto_group_end(&bw, off);
	REJECT(d_usage_reply, wbody());
}

/* ---- QUOTA, USAGE_RESET, PUT ---- */

static void
test_quota(void **state)
{
	struct proto_quota m, d;
	size_t i, len;
	uint32_t p;

	(void)state;
	for (i = 0; i < N_QUOTA_CASES; i++) {
		wstart();
		put_name();
		put_q(quota_cases[i].q, quota_cases[i].p);
		assert_int_equal(d_quota(wbody()), quota_cases[i].want);
	}
	for (p = 0; p <= PROTO_PERIOD_MAX; p++) {
		m = (struct proto_quota){{true, 7, B("db/x")}, p == 0 ? 0 : 10 * p, p};
		ENCODE(proto_encode_quota(w, 4, &m));
		assert_int_equal(proto_decode_quota(frame_body(out, len, false, PROTO_MSG_QUOTA, 4,
								0),
						    &d), 0);
		cmp_ref(&d.ref, &m.ref);
		assert_int_equal(d.quota, m.quota);
		assert_int_equal(d.quota_period, m.quota_period);
	}
	/* NAME required; QUOTA a u32; nothing else */
	wstart();
	put_q(1, 1);
	REJECT(d_quota, wbody());
	wstart();
	put_name();
	proto_put_u64(&bw, PROTO_TAG_QUOTA, 1);
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 1);
	REJECT(d_quota, wbody());
	wstart();
	put_name();
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 1);
	proto_put_u32(&bw, PROTO_TAG_QUOTA, 1);
	REJECT(d_quota, wbody());
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_quota, wbody());
}

static void
test_usage_reset(void **state)
{
	struct proto_named m = {{true, 1000, B("db/x")}}, d;
	size_t len;

	(void)state;
	ENCODE(proto_encode_named(w, PROTO_MSG_USAGE_RESET, 6, &m));
	assert_int_equal(proto_decode_named(frame_body(out, len, false, PROTO_MSG_USAGE_RESET, 6,
							0),
					    &d), 0);
	cmp_ref(&d.ref, &m.ref);
	/* USAGE, QUOTA and the other new requests have their own encoders */
	assert_int_equal(proto_encode_named(&(struct buf_writer){0}, PROTO_MSG_QUOTA, 6, &m),
			 -EINVAL);
	assert_int_equal(proto_encode_named(&(struct buf_writer){0}, PROTO_MSG_USAGE, 6, &m),
			 -EINVAL);
	assert_int_equal(proto_encode_named(&(struct buf_writer){0}, PROTO_MSG_AUDIT_VERIFY, 6, &m),
			 -EINVAL);
}

static void
test_put_quota(void **state)
{
	struct proto_put m, d;
	size_t i, len;
	uint32_t p;

	(void)state;
	for (i = 0; i < N_QUOTA_CASES; i++) {
		wstart();
		put_name();
		proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
		put_q(quota_cases[i].q, quota_cases[i].p);
		assert_int_equal(d_put(wbody()), quota_cases[i].want);
	}
	for (p = 0; p <= PROTO_PERIOD_MAX; p++) {
		m = (struct proto_put){.ref = {.name = B("x")}, .value = B(""),
				       .quota = p == 0 ? 0 : UINT32_MAX, .quota_period = p};
		ENCODE(proto_encode_put(w, 8, &m));
		assert_int_equal(len, PROTO_REQ_HDR + 2 * PROTO_FIELD_HDR + 1 +
					      (p != 0 ? 2 * (PROTO_FIELD_HDR + 4) : 0));
		assert_int_equal(proto_decode_put(frame_body(out, len, false, PROTO_MSG_PUT, 8, 0),
						  &d), 0);
		cmp_put(&d, &m);
		assert_int_equal(d.quota, m.quota);
		assert_int_equal(d.quota_period, m.quota_period);
	}
	/* after VALUE, not before */
	wstart();
	put_name();
	put_q(1, 1);
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	REJECT(d_put, wbody());
	/* ROTATE knows no quota */
	wstart();
	put_name();
	proto_put_bytes(&bw, PROTO_TAG_VALUE, "v", 1);
	put_q(1, 1);
	REJECT(d_rotate, wbody());
}

/* ---- the INFO reply's quota and usage; LIST entries ---- */

static const struct proto_meta meta_small = {
	.owner = 1000,
	.name = B("a"),
	.version = 1,
	.type = B("generic"),
	.max_versions = 10,
	.created = 1,
	.updated = 2,
};

static void
cmp_usage_fields(const struct proto_meta *a, const struct proto_meta *b)
{
	assert_int_equal(a->quota, b->quota);
	assert_int_equal(a->quota_period, b->quota_period);
	assert_int_equal(a->has_usage, b->has_usage);
	assert_int_equal(a->reads, b->reads);
	assert_int_equal(a->period_reads, b->period_reads);
	assert_int_equal(a->has_last_read, b->has_last_read);
	assert_int_equal(a->last_read, b->last_read);
	assert_int_equal(a->reader_uid, b->reader_uid);
	assert_int_equal(a->reader_pid, b->reader_pid);
	assert_bytes(a->reader_comm, b->reader_comm);
}

static void
test_info_usage_roundtrip(void **state)
{
	struct proto_meta m, d;
	unsigned bits;
	size_t len, base;

	(void)state;
	ENCODE(proto_encode_info_reply(w, 5, &meta_small));
	base = len;
	for (bits = 0; bits < 16; bits++) {
		m = meta_small;
		m.message = (bits & 1) ? B("note") : (struct proto_bytes){0};
		if (bits & 2) {
			m.quota = 3;
			m.quota_period = PROTO_PERIOD_MONTH;
		}
		if (bits & 4) {
			m.has_usage = true;
			m.reads = UINT64_MAX;
			m.period_reads = 0;
		}
		if (bits & 8) {
			m.has_last_read = true;
			m.last_read = 5;
			m.reader_uid = 0;
			m.reader_pid = 0;
			m.reader_comm = (bits & 1) ? B("x") : (struct proto_bytes){0};
		}
		ENCODE(proto_encode_info_reply(w, 5, &m));
		assert_int_equal(proto_decode_info_reply(frame_body(out, len, true,
								    0x80 | PROTO_MSG_INFO, 5, 0),
							 &d), 0);
		cmp_meta(&d, &m);
		cmp_usage_fields(&d, &m);
		if (bits == 0)
			assert_int_equal(len, base);
	}
	/* a reader's fields go with LAST_READ only: without it, not written */
	m = meta_small;
	m.reader_uid = 5;
	m.reader_comm = B("x");
	ENCODE(proto_encode_info_reply(w, 5, &m));
	assert_int_equal(len, base);
}

/* The INFO reply's tail after the common fields: the fields of HAS. */
enum { I_MSG = 1, I_Q = 2, I_P = 4, I_READS = 8, I_PREADS = 16, I_LAST = 32, I_UID = 64,
       I_PID = 128, I_COMM = 256 };

static struct proto_bytes
info_body(unsigned has)
{
	wstart();
	proto_put_meta_fields(&bw, &meta_small, false);
	if (has & I_MSG)
		proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	if (has & I_Q)
		proto_put_u32(&bw, PROTO_TAG_QUOTA, 1);
	if (has & I_P)
		proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 1);
	if (has & I_READS)
		proto_put_u64(&bw, PROTO_TAG_READS, 1);
	if (has & I_PREADS)
		proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	if (has & I_LAST)
		proto_put_u64(&bw, PROTO_TAG_LAST_READ, 1);
	if (has & I_UID)
		proto_put_u32(&bw, PROTO_TAG_READER_UID, 1);
	if (has & I_PID)
		proto_put_u32(&bw, PROTO_TAG_READER_PID, 1);
	if (has & I_COMM)
		proto_put_string(&bw, PROTO_TAG_READER_COMM, "sh", 2);
	return wbody();
}

static void
test_info_usage_rules(void **state)
{
	unsigned has;
	size_t i;

	(void)state;
	for (has = 0; has < 512; has++) {
		bool q = ((has & I_Q) != 0) == ((has & I_P) != 0);
		bool u = ((has & I_READS) != 0) == ((has & I_PREADS) != 0);
		bool last = (has & I_LAST) != 0;
		bool r = ((has & I_UID) != 0) == last && ((has & I_PID) != 0) == last &&
			 (last || (has & I_COMM) == 0);

		assert_int_equal(d_info_reply(info_body(has)), q && u && r ? 0 : -EBADMSG);
		/* none of it in a LIST entry */
		assert_int_equal(d_meta_entry(info_body(has)), has == 0 ? 0 : -EBADMSG);
	}
	for (i = 0; i < N_QUOTA_CASES; i++) {
		wstart();
		proto_put_meta_fields(&bw, &meta_small, true);
		put_q(quota_cases[i].q, quota_cases[i].p);
		assert_int_equal(d_info_reply(wbody()), quota_cases[i].want);
	}
	/* READER_COMM at most 15; after MESSAGE, not before */
	wstart();
	proto_put_meta_fields(&bw, &meta_small, false);
	proto_put_u64(&bw, PROTO_TAG_LAST_READ, 1);
	proto_put_u32(&bw, PROTO_TAG_READER_UID, 1);
	proto_put_u32(&bw, PROTO_TAG_READER_PID, 1);
	proto_put_string(&bw, PROTO_TAG_READER_COMM, fill, PROTO_COMM_MAX + 1);
	REJECT(d_info_reply, wbody());
	wstart();
	proto_put_meta_fields(&bw, &meta_small, false);
	proto_put_u32(&bw, PROTO_TAG_QUOTA, 1);
	proto_put_u32(&bw, PROTO_TAG_QUOTA_PERIOD, 1);
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	REJECT(d_info_reply, wbody());
	/* kinds: READS a u64, READER_UID a u32 */
	wstart();
	proto_put_meta_fields(&bw, &meta_small, false);
	proto_put_u32(&bw, PROTO_TAG_READS, 1);
	proto_put_u64(&bw, PROTO_TAG_PERIOD_READS, 1);
	REJECT(d_info_reply, wbody());
}

/* LIST entries are as before: proto_put_meta_entry() leaves the
 * INFO-only fields out, whatever the struct holds. */
static void
test_list_entries_unchanged(void **state)
{
	struct proto_meta m = meta_small, d;
	struct buf_writer w, w0;
	uint8_t plain[256];

	(void)state;
	buf_writer_init(&w0, plain, sizeof(plain));
	proto_put_meta_entry(&w0, &meta_small);
	m.quota = 5;
	m.quota_period = PROTO_PERIOD_HOUR;
	m.has_usage = true;
	m.reads = 3;
	m.has_last_read = true;
	m.reader_comm = B("sh");
	m.message = B("INFO only");
	buf_writer_init(&w, scratch, sizeof(scratch));
	proto_put_meta_entry(&w, &m);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, w0.len);
	assert_memory_equal(scratch, plain, w.len);
	assert_int_equal(proto_decode_meta_entry((struct proto_bytes){scratch + PROTO_FIELD_HDR,
								       w.len - PROTO_FIELD_HDR},
						 &d), 0);
	assert_int_equal(d.quota, 0);
	assert_false(d.has_usage);
	assert_false(d.has_last_read);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_request),
		cmocka_unit_test(test_usage_entry),
		cmocka_unit_test(test_usage_entry_reject),
		cmocka_unit_test(test_usage_reply),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_usage_reset),
		cmocka_unit_test(test_put_quota),
		cmocka_unit_test(test_info_usage_roundtrip),
		cmocka_unit_test(test_info_usage_rules),
		cmocka_unit_test(test_list_entries_unchanged),
	};

	memset(fill, 'n', sizeof(fill));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
