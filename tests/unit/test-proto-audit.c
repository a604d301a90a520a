/* SPDX-License-Identifier: MIT */
/*
 * proto/: the golden frames of the audit trail (AUDIT, its reply with
 * RECORD groups and with SUMMARY groups, AUDIT_VERIFY and its reply),
 * usage and quotas (USAGE and its reply, QUOTA, USAGE_RESET) and of PUT
 * and the INFO reply with their quota and usage fields, in both
 * directions, as test-proto.c does for the first seven messages, and
 * docs/PROTOCOL.md quoting each. Round trips and rejections are in
 * test-proto-audit-rt.c and test-proto-usage-rt.c, the names of
 * operations, periods and statuses in test-proto-ops.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

#define PASSWORD B("db/prod/password")
#define T_2025 1735689600u
#define T_FEB 1738368000u
#define T_READ 1738400000u

static const struct proto_audit ex_audit = {
	.name = PASSWORD,
	.limit = 2,
	.has_uid = true,
	.uid = 1001,
	.has_since = true,
	.since = T_2025,
};
static const uint8_t ex_cursor[] = {0, 0, 0, 0, 0, 0, 0, 44};
static const struct proto_audit_record ex_records[] = {
	{
		.has_owner = true,
		.owner = 1000,
		.name = PASSWORD,
		.has_version = true,
		.version = 2,
		.op = B("get"),
		.status = PROTO_OK,
		.seq = 41,
		.time = T_READ,
		.uid = 1001,
		.gid = 1001,
		.pid = 4242,
		.comm = B("deploy"),
		.count = 3,
	},
	{
		.has_owner = true,
		.owner = 1000,
		.name = PASSWORD,
		.op = B("put"),
		.status = PROTO_DENIED,
		.seq = 43,
		.time = T_READ + 60,
		.uid = 1001,
		.gid = 1001,
		.pid = 4250,
		.comm = B("bash"),
		.count = 1,
		.security = 1,
	},
};
#define N_RECORDS (sizeof(ex_records) / sizeof(ex_records[0]))
static const struct proto_audit_summary ex_summaries[] = {
	{B("get"), PROTO_OK, 120},
	{B("get"), PROTO_NOT_FOUND, 2},
	{B("put"), PROTO_DENIED, 1},
};
#define N_SUMMARIES (sizeof(ex_summaries) / sizeof(ex_summaries[0]))
static uint8_t ex_head[PROTO_AUDIT_HEAD_SIZE];
static const struct proto_audit_verify_reply ex_verify_reply = {
	.checked = 1500,
	.first_seq = 1,
	.has_broken = true,
	.broken_seq = 812,
	.head = {ex_head, sizeof(ex_head)},
	.message = B("record 812 does not match its MAC"),
};
static const struct proto_usage ex_usage = {.prefix = B("db/"), .limit = 100};
static const struct proto_usage_entry ex_usage_entries[] = {
	{
		.owner = 1000,
		.name = PASSWORD,
		.reads = 42,
		.period_reads = 7,
		.period_start = T_FEB,
		.has_last_read = true,
		.last_read = T_READ,
		.reader_uid = 1000,
		.reader_pid = 4242,
		.reader_comm = B("deploy"),
		.quota = 100,
		.quota_period = PROTO_PERIOD_DAY,
	},
	{.owner = 1000, .name = B("db/prod/user"), .period_start = T_FEB},
};
#define N_USAGE (sizeof(ex_usage_entries) / sizeof(ex_usage_entries[0]))
static const struct proto_quota ex_quota = {
	.ref = {.name = PASSWORD},
	.quota = 100,
	.quota_period = PROTO_PERIOD_DAY,
};
static const struct proto_named ex_usage_reset = {
	.ref = {.has_owner = true, .owner = 1000, .name = PASSWORD},
};
static const struct proto_put ex_put_quota = {
	.ref = {.name = B("api/github/token")},
	.type = B("api_key"),
	.value = B("ghp_0123456789abcdef"),
	.quota = 1000,
	.quota_period = PROTO_PERIOD_HOUR,
};
static struct proto_meta ex_meta_usage = {
	.owner = 1000,
	.name = PASSWORD,
	.version = 1,
	.type = B("password"),
	.state = PROTO_STATE_ACTIVE,
	.max_versions = 5,
	.created = T_2025,
	.updated = T_2025,
	.quota = 100,
	.quota_period = PROTO_PERIOD_DAY,
	.has_usage = true,
	.reads = 42,
	.period_reads = 7,
	.has_last_read = true,
	.last_read = T_READ,
	.reader_uid = 1000,
	.reader_pid = 4242,
	.reader_comm = B("deploy"),
};

static uint8_t versions_buf[64];

/* The head: bytes as in tests/data/audit-verify-reply.hex (the SHA-256
 * of "credagent audit head", any 32 bytes would do). */
static const char head_hex[] = "cdc47d90dd7de15f4f841257d7db443c8791e7b81205b5a3bf121350fb1a28f0";

static int
setup_examples(void **state)
{
	struct buf_writer w;
	size_t off, i;

	(void)state;
	for (i = 0; i < sizeof(ex_head); i++)
		ex_head[i] = (uint8_t)(hexval(head_hex[2 * i]) << 4 | hexval(head_hex[2 * i + 1]));
	buf_writer_init(&w, versions_buf, sizeof(versions_buf));
	off = proto_group_begin(&w, PROTO_TAG_VERSIONS);
	proto_put_u32(&w, PROTO_TAG_VERSION, 1);
	proto_put_u64(&w, PROTO_TAG_CREATED, T_2025);
	proto_put_u32(&w, PROTO_TAG_CREATED_BY, 1000);
	proto_group_end(&w, off);
	assert_int_equal(buf_writer_error(&w), 0);
	ex_meta_usage.versions = (struct proto_list_span){{versions_buf, w.len}, 1};
	return 0;
}

/* ---- comparisons ---- */

static void
cmp_audit(const struct proto_audit *a, const struct proto_audit *b)
{
	assert_int_equal(a->has_owner, b->has_owner);
	assert_int_equal(a->owner, b->owner);
	assert_bytes(a->name, b->name);
	assert_bytes(a->cursor, b->cursor);
	assert_int_equal(a->limit, b->limit);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->has_uid, b->has_uid);
	assert_int_equal(a->uid, b->uid);
	assert_bytes(a->op, b->op);
	assert_int_equal(a->has_status, b->has_status);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->has_since, b->has_since);
	assert_int_equal(a->since, b->since);
	assert_int_equal(a->has_until, b->has_until);
	assert_int_equal(a->until, b->until);
}

static void
cmp_record(const struct proto_audit_record *a, const struct proto_audit_record *b)
{
	assert_int_equal(a->has_owner, b->has_owner);
	assert_int_equal(a->owner, b->owner);
	assert_bytes(a->name, b->name);
	assert_int_equal(a->has_version, b->has_version);
	assert_int_equal(a->version, b->version);
	assert_bytes(a->op, b->op);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->time, b->time);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_int_equal(a->pid, b->pid);
	assert_bytes(a->comm, b->comm);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->security, b->security);
}

static void
cmp_usage_entry(const struct proto_usage_entry *a, const struct proto_usage_entry *b)
{
	assert_int_equal(a->owner, b->owner);
	assert_bytes(a->name, b->name);
	assert_int_equal(a->reads, b->reads);
	assert_int_equal(a->period_reads, b->period_reads);
	assert_int_equal(a->period_start, b->period_start);
	assert_int_equal(a->has_last_read, b->has_last_read);
	assert_int_equal(a->last_read, b->last_read);
	assert_int_equal(a->reader_uid, b->reader_uid);
	assert_int_equal(a->reader_pid, b->reader_pid);
	assert_bytes(a->reader_comm, b->reader_comm);
	assert_int_equal(a->quota, b->quota);
	assert_int_equal(a->quota_period, b->quota_period);
}

/* cmp_meta of proto-test.h and the INFO-only quota and usage fields. */
static void
cmp_meta_usage(const struct proto_meta *a, const struct proto_meta *b)
{
	cmp_meta(a, b);
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

/* ---- encoders ---- */

static int
enc_audit(struct buf_writer *w)
{
	return proto_encode_audit(w, 43, &ex_audit);
}

/* As an agent writes it: the cursor, then groups, between begin and end. */
static int
enc_audit_reply(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_AUDIT, 43, PROTO_OK), i;

	proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, ex_cursor, sizeof(ex_cursor));
	for (i = 0; i < N_RECORDS; i++)
		proto_put_audit_record(w, &ex_records[i]);
	return proto_frame_end(w, start);
}

static int
enc_audit_summary_reply(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_AUDIT, 44, PROTO_OK), i;

	for (i = 0; i < N_SUMMARIES; i++)
		proto_put_audit_summary(w, &ex_summaries[i]);
	return proto_frame_end(w, start);
}

static int
enc_audit_verify(struct buf_writer *w)
{
	return proto_encode_audit_verify(w, 45);
}

static int
enc_audit_verify_reply(struct buf_writer *w)
{
	return proto_encode_audit_verify_reply(w, 45, &ex_verify_reply);
}

static int
enc_usage(struct buf_writer *w)
{
	return proto_encode_usage(w, 46, &ex_usage);
}

static int
enc_usage_reply(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_USAGE, 46, PROTO_OK), i;

	for (i = 0; i < N_USAGE; i++)
		proto_put_usage_entry(w, &ex_usage_entries[i]);
	return proto_frame_end(w, start);
}

static int
enc_quota(struct buf_writer *w)
{
	return proto_encode_quota(w, 47, &ex_quota);
}

static int
enc_usage_reset(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_USAGE_RESET, 48, &ex_usage_reset);
}

static int
enc_put_quota(struct buf_writer *w)
{
	return proto_encode_put(w, 49, &ex_put_quota);
}

static int
enc_info_reply_usage(struct buf_writer *w)
{
	return proto_encode_info_reply(w, 50, &ex_meta_usage);
}

/* ---- decoders ---- */

static void
chk_audit(struct proto_bytes body)
{
	struct proto_audit m;

	assert_int_equal(proto_decode_audit(body, &m), 0);
	cmp_audit(&m, &ex_audit);
	/* LIST's fields are not AUDIT's */
	REJECT(d_list, body);
}

static void
chk_audit_reply(struct proto_bytes body)
{
	struct proto_audit_reply m;
	struct proto_audit_record r;
	struct proto_iter it;
	struct proto_bytes g;
	size_t i = 0;

	assert_int_equal(proto_decode_audit_reply(body, &m), 0);
	assert_bytes(m.cursor, ((struct proto_bytes){ex_cursor, sizeof(ex_cursor)}));
	assert_int_equal(m.message.len, 0);
	assert_int_equal(m.summaries.count, 0);
	assert_int_equal(m.records.count, N_RECORDS);
	proto_iter_init(&it, &m.records);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_RECORDS);
		assert_int_equal(proto_decode_audit_record(g, &r), 0);
		cmp_record(&r, &ex_records[i]);
		i++;
	}
	assert_int_equal(i, N_RECORDS);
	REJECT(d_list_reply, body);
	REJECT(d_simple, body);
}

static void
chk_audit_summary_reply(struct proto_bytes body)
{
	struct proto_audit_reply m;
	struct proto_audit_summary s;
	struct proto_iter it;
	struct proto_bytes g;
	size_t i = 0;

	assert_int_equal(proto_decode_audit_reply(body, &m), 0);
	assert_int_equal(m.cursor.len, 0);
	assert_int_equal(m.records.count, 0);
	assert_int_equal(m.summaries.count, N_SUMMARIES);
	assert_int_equal(m.summaries.raw.len, body.len);
	proto_iter_init(&it, &m.summaries);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_SUMMARIES);
		assert_int_equal(proto_decode_audit_summary(g, &s), 0);
		assert_bytes(s.op, ex_summaries[i].op);
		assert_int_equal(s.status, ex_summaries[i].status);
		assert_int_equal(s.total, ex_summaries[i].total);
		i++;
	}
	assert_int_equal(i, N_SUMMARIES);
}

static void
chk_audit_verify(struct proto_bytes body)
{
	assert_int_equal(body.len, 0);
	assert_int_equal(proto_decode_audit_verify(body), 0);
}

static void
chk_audit_verify_reply(struct proto_bytes body)
{
	struct proto_audit_verify_reply m;

	assert_int_equal(proto_decode_audit_verify_reply(body, &m), 0);
	assert_int_equal(m.checked, ex_verify_reply.checked);
	assert_int_equal(m.first_seq, ex_verify_reply.first_seq);
	assert_true(m.has_broken);
	assert_int_equal(m.broken_seq, ex_verify_reply.broken_seq);
	assert_bytes(m.head, ex_verify_reply.head);
	assert_bytes(m.message, ex_verify_reply.message);
	REJECT(d_simple, body);
}

static void
chk_usage(struct proto_bytes body)
{
	struct proto_usage m;

	assert_int_equal(proto_decode_usage(body, &m), 0);
	assert_false(m.has_owner);
	assert_bytes(m.prefix, ex_usage.prefix);
	assert_int_equal(m.cursor.len, 0);
	assert_int_equal(m.limit, ex_usage.limit);
	/* the same body is a LIST's */
	ACCEPT(d_list, body);
}

static void
chk_usage_reply(struct proto_bytes body)
{
	struct proto_usage_reply m;
	struct proto_usage_entry e;
	struct proto_iter it;
	struct proto_bytes g;
	size_t i = 0;

	assert_int_equal(proto_decode_usage_reply(body, &m), 0);
	assert_int_equal(m.cursor.len, 0);
	assert_int_equal(m.message.len, 0);
	assert_int_equal(m.entries.raw.len, body.len);
	proto_iter_init(&it, &m.entries);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_USAGE);
		assert_int_equal(proto_decode_usage_entry(g, &e), 0);
		cmp_usage_entry(&e, &ex_usage_entries[i]);
		i++;
	}
	assert_int_equal(i, N_USAGE);
	/* without a quota, the period is the UTC day */
	assert_int_equal(proto_period_start(0, T_READ), T_FEB);
	assert_int_equal(proto_period_start(PROTO_PERIOD_DAY, T_READ), T_FEB);
}

static void
chk_quota(struct proto_bytes body)
{
	struct proto_quota m;

	assert_int_equal(proto_decode_quota(body, &m), 0);
	cmp_ref(&m.ref, &ex_quota.ref);
	assert_int_equal(m.quota, 100);
	assert_int_equal(m.quota_period, PROTO_PERIOD_DAY);
	assert_string_equal(proto_period_name(m.quota_period), "day");
	REJECT(d_named, body);
}

static void
chk_usage_reset(struct proto_bytes body)
{
	struct proto_named m;
	struct proto_quota q;

	assert_int_equal(proto_decode_named(body, &m), 0);
	cmp_ref(&m.ref, &ex_usage_reset.ref);
	/* a QUOTA with neither field (remove the quota) has this body too */
	assert_int_equal(proto_decode_quota(body, &q), 0);
	assert_int_equal(q.quota, 0);
	assert_string_equal(proto_op_name(PROTO_MSG_USAGE_RESET), "usage-reset");
}

static void
chk_put_quota(struct proto_bytes body)
{
	struct proto_put m;

	assert_int_equal(proto_decode_put(body, &m), 0);
	cmp_put(&m, &ex_put_quota);
	assert_int_equal(m.quota, ex_put_quota.quota);
	assert_int_equal(m.quota_period, ex_put_quota.quota_period);
}

static void
chk_info_reply_usage(struct proto_bytes body)
{
	struct proto_meta m;

	assert_int_equal(proto_decode_info_reply(body, &m), 0);
	cmp_meta_usage(&m, &ex_meta_usage);
	/* the INFO-only fields are not an ENTRY's */
	REJECT(d_meta_entry, body);
}

#define A_REP(n, t, id, e, c) GOLDEN_REP(n, t, id, PROTO_OK, e, c)

static const struct golden goldens[] = {
	GOLDEN_REQ("audit", PROTO_MSG_AUDIT, 43, enc_audit, chk_audit),
	A_REP("audit-reply", PROTO_MSG_AUDIT, 43, enc_audit_reply, chk_audit_reply),
	A_REP("audit-summary-reply", PROTO_MSG_AUDIT, 44, enc_audit_summary_reply,
	      chk_audit_summary_reply),
	GOLDEN_REQ("audit-verify", PROTO_MSG_AUDIT_VERIFY, 45, enc_audit_verify, chk_audit_verify),
	A_REP("audit-verify-reply", PROTO_MSG_AUDIT_VERIFY, 45, enc_audit_verify_reply,
	      chk_audit_verify_reply),
	GOLDEN_REQ("usage", PROTO_MSG_USAGE, 46, enc_usage, chk_usage),
	A_REP("usage-reply", PROTO_MSG_USAGE, 46, enc_usage_reply, chk_usage_reply),
	GOLDEN_REQ("quota", PROTO_MSG_QUOTA, 47, enc_quota, chk_quota),
	GOLDEN_REQ("usage-reset", PROTO_MSG_USAGE_RESET, 48, enc_usage_reset, chk_usage_reset),
	GOLDEN_REQ("put-quota", PROTO_MSG_PUT, 49, enc_put_quota, chk_put_quota),
	A_REP("info-reply-usage", PROTO_MSG_INFO, 50, enc_info_reply_usage, chk_info_reply_usage),
};
#define N_GOLDEN (sizeof(goldens) / sizeof(goldens[0]))

static void
test_docs_quote_vectors(void **state)
{
	(void)state;
	check_docs_quote(goldens, N_GOLDEN);
}

int
main(void)
{
	return run_goldens("test-proto-audit", goldens, N_GOLDEN, test_docs_quote_vectors,
			   setup_examples);
}
