/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"

/*
 * Decoders of the audit trail and of usage and quotas: AUDIT and its
 * reply with RECORD or SUMMARY groups, AUDIT_VERIFY and its reply, USAGE
 * and its reply with USAGE groups, and QUOTA (USAGE_RESET is
 * proto_named). As in decode-lifecycle.c, the rules that tie fields
 * together are checked after parsing and make a body malformed; a reply
 * is malformed when any of its groups is.
 *
 * Replies list NEXT_CURSOR and MESSAGE (tags 45 and 64) before their
 * groups (tags 76, 85 and 96): fields go in ascending tag order.
 */

#define NAME_OPT STR(PROTO_TAG_NAME, PROTO_F_NONEMPTY, PROTO_NAME_MAX)
#define CURSOR_F BYTES(PROTO_TAG_CURSOR, 0, PROTO_CURSOR_MAX)
#define LIMIT_F ENUM(PROTO_TAG_LIMIT, 0, PROTO_LIST_LIMIT_MAX)
/* An empty NEXT_CURSOR would read as "no more pages" (see decode.c). */
#define NEXT_CURSOR_F BYTES(PROTO_TAG_NEXT_CURSOR, PROTO_F_NONEMPTY, PROTO_CURSOR_MAX)
#define OP_F(fl) STR(PROTO_TAG_OP, fl, PROTO_OP_MAX)
#define STATUS_F(fl) ENUM(PROTO_TAG_STATUS, fl, PROTO_STATUS_MAX)
#define GROUPS(t, n, sc)                                                                  \
	{.tag = (t), .kind = PROTO_KIND_GROUP, .flags = PROTO_F_REPEAT, .max_count = (n), \
	 .group = (sc)}

enum {
	AU_OWNER,
	AU_NAME,
	AU_CURSOR,
	AU_LIMIT,
	AU_FLAGS,
	AU_FILTER_UID,
	AU_OP,
	AU_STATUS,
	AU_SINCE,
	AU_UNTIL,
};
static const struct proto_spec audit_specs[] = {
	[AU_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[AU_NAME] = NAME_OPT,
	[AU_CURSOR] = CURSOR_F,
	[AU_LIMIT] = LIMIT_F,
	[AU_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_AUDIT_FLAGS_ALL),
	[AU_FILTER_UID] = U32(PROTO_TAG_FILTER_UID, 0),
	[AU_OP] = OP_F(0),
	[AU_STATUS] = STATUS_F(0),
	[AU_SINCE] = U64(PROTO_TAG_SINCE, 0),
	[AU_UNTIL] = U64(PROTO_TAG_UNTIL, 0),
};

enum {
	REC_OWNER,
	REC_NAME,
	REC_VERSION,
	REC_OP,
	REC_STATUS,
	REC_SEQ,
	REC_TIME,
	REC_UID,
	REC_GID,
	REC_PID,
	REC_COMM,
	REC_COUNT,
	REC_SECURITY,
};
static const struct proto_spec record_specs[] = {
	[REC_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[REC_NAME] = NAME_OPT,
	[REC_VERSION] = U32(PROTO_TAG_VERSION, 0),
	[REC_OP] = OP_F(REQ | PROTO_F_NONEMPTY),
	[REC_STATUS] = STATUS_F(REQ),
	[REC_SEQ] = U64(PROTO_TAG_SEQ, REQ),
	[REC_TIME] = U64(PROTO_TAG_TIME, REQ),
	[REC_UID] = U32(PROTO_TAG_UID, REQ),
	[REC_GID] = U32(PROTO_TAG_GID, REQ),
	[REC_PID] = U32(PROTO_TAG_PID, REQ),
	[REC_COMM] = STR(PROTO_TAG_COMM, 0, PROTO_COMM_MAX),
	[REC_COUNT] = U32(PROTO_TAG_COUNT, REQ),
	[REC_SECURITY] = ENUM(PROTO_TAG_SECURITY, 0, 1),
};
static const struct proto_schema record_schema = SCHEMA(record);

enum { SUM_OP, SUM_STATUS, SUM_TOTAL };
static const struct proto_spec summary_specs[] = {
	[SUM_OP] = OP_F(REQ | PROTO_F_NONEMPTY),
	[SUM_STATUS] = STATUS_F(REQ),
	[SUM_TOTAL] = U64(PROTO_TAG_TOTAL, REQ),
};
static const struct proto_schema summary_schema = SCHEMA(summary);

enum { AR_NEXT_CURSOR, AR_MESSAGE, AR_RECORD, AR_SUMMARY };
static const struct proto_spec audit_reply_specs[] = {
	[AR_NEXT_CURSOR] = NEXT_CURSOR_F,
	[AR_MESSAGE] = MESSAGE,
	[AR_RECORD] = GROUPS(PROTO_TAG_RECORD, PROTO_LIST_LIMIT_MAX, &record_schema),
	[AR_SUMMARY] = GROUPS(PROTO_TAG_SUMMARY, PROTO_LIST_LIMIT_MAX, &summary_schema),
};

enum { AV_MESSAGE, AV_CHECKED, AV_BROKEN_SEQ, AV_FIRST_SEQ, AV_HEAD };
static const struct proto_spec verify_reply_specs[] = {
	[AV_MESSAGE] = MESSAGE,
	[AV_CHECKED] = U64(PROTO_TAG_CHECKED, REQ),
	[AV_BROKEN_SEQ] = U64(PROTO_TAG_BROKEN_SEQ, 0),
	[AV_FIRST_SEQ] = U64(PROTO_TAG_FIRST_SEQ, REQ),
	[AV_HEAD] = BYTES(PROTO_TAG_HEAD, PROTO_F_NONEMPTY, PROTO_AUDIT_HEAD_SIZE),
};

enum { US_OWNER, US_PREFIX, US_CURSOR, US_LIMIT };
static const struct proto_spec usage_specs[] = {
	[US_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[US_PREFIX] = STR(PROTO_TAG_PREFIX, 0, PROTO_NAME_MAX + 1),
	[US_CURSOR] = CURSOR_F,
	[US_LIMIT] = LIMIT_F,
};

enum {
	UE_OWNER,
	UE_NAME,
	UE_QUOTA,
	UE_QUOTA_PERIOD,
	UE_READS,
	UE_PERIOD_READS,
	UE_LAST_READ,
	UE_READER_UID,
	UE_READER_PID,
	UE_READER_COMM,
	UE_PERIOD_START,
};
static const struct proto_spec usage_entry_specs[] = {
	[UE_OWNER] = U32(PROTO_TAG_OWNER, REQ),
	[UE_NAME] = NAME,
	[UE_QUOTA] = QUOTA_F,
	[UE_QUOTA_PERIOD] = QUOTA_PERIOD_F,
	[UE_READS] = U64(PROTO_TAG_READS, REQ),
	[UE_PERIOD_READS] = U64(PROTO_TAG_PERIOD_READS, REQ),
	[UE_LAST_READ] = U64(PROTO_TAG_LAST_READ, 0),
	[UE_READER_UID] = U32(PROTO_TAG_READER_UID, 0),
	[UE_READER_PID] = U32(PROTO_TAG_READER_PID, 0),
	[UE_READER_COMM] = STR(PROTO_TAG_READER_COMM, 0, PROTO_COMM_MAX),
	[UE_PERIOD_START] = U64(PROTO_TAG_PERIOD_START, REQ),
};
static const struct proto_schema usage_entry_schema = SCHEMA(usage_entry);

enum { UR_NEXT_CURSOR, UR_MESSAGE, UR_USAGE };
static const struct proto_spec usage_reply_specs[] = {
	[UR_NEXT_CURSOR] = NEXT_CURSOR_F,
	[UR_MESSAGE] = MESSAGE,
	[UR_USAGE] = GROUPS(PROTO_TAG_USAGE, PROTO_LIST_LIMIT_MAX, &usage_entry_schema),
};

enum { QU_OWNER, QU_NAME, QU_QUOTA, QU_QUOTA_PERIOD };
static const struct proto_spec quota_specs[] = {
	[QU_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[QU_NAME] = NAME,
	[QU_QUOTA] = QUOTA_F,
	[QU_QUOTA_PERIOD] = QUOTA_PERIOD_F,
};

static const struct proto_schema
	audit_schema = SCHEMA(audit),
	audit_reply_schema = SCHEMA(audit_reply),
	verify_reply_schema = SCHEMA(verify_reply),
	usage_schema = SCHEMA(usage),
	usage_reply_schema = SCHEMA(usage_reply),
	quota_schema = SCHEMA(quota),
	empty_schema = {NULL, 0};

int
proto_decode_audit(struct proto_bytes body, struct proto_audit *ret)
{
	struct proto_slot s[ARRAY_SIZE(audit_specs)];

	if (proto_fields_parse(body, &audit_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_audit){
		.has_owner = s[AU_OWNER].present,
		.owner = proto_slot_u32(&s[AU_OWNER]),
		.name = s[AU_NAME].val,
		.cursor = s[AU_CURSOR].val,
		.limit = proto_slot_u32(&s[AU_LIMIT]),
		.flags = proto_slot_u32(&s[AU_FLAGS]),
		.has_uid = s[AU_FILTER_UID].present,
		.uid = proto_slot_u32(&s[AU_FILTER_UID]),
		.op = s[AU_OP].val,
		.has_status = s[AU_STATUS].present,
		.status = proto_slot_u32(&s[AU_STATUS]),
		.has_since = s[AU_SINCE].present,
		.since = proto_slot_u64(&s[AU_SINCE]),
		.has_until = s[AU_UNTIL].present,
		.until = proto_slot_u64(&s[AU_UNTIL]),
	};
	return 0;
}

int
proto_decode_audit_record(struct proto_bytes group, struct proto_audit_record *ret)
{
	struct proto_slot s[ARRAY_SIZE(record_specs)];

	if (proto_fields_parse(group, &record_schema, s) < 0)
		return -EBADMSG;
	/* A record stands for at least one request; a version is a
	 * secret's, so it needs the secret's name. */
	if (proto_slot_u32(&s[REC_COUNT]) == 0 || (s[REC_VERSION].present && !s[REC_NAME].present))
		return -EBADMSG;
	*ret = (struct proto_audit_record){
		.has_owner = s[REC_OWNER].present,
		.owner = proto_slot_u32(&s[REC_OWNER]),
		.name = s[REC_NAME].val,
		.has_version = s[REC_VERSION].present,
		.version = proto_slot_u32(&s[REC_VERSION]),
		.op = s[REC_OP].val,
		.status = proto_slot_u32(&s[REC_STATUS]),
		.seq = proto_slot_u64(&s[REC_SEQ]),
		.time = proto_slot_u64(&s[REC_TIME]),
		.uid = proto_slot_u32(&s[REC_UID]),
		.gid = proto_slot_u32(&s[REC_GID]),
		.pid = proto_slot_u32(&s[REC_PID]),
		.comm = s[REC_COMM].val,
		.count = proto_slot_u32(&s[REC_COUNT]),
		.security = proto_slot_u32(&s[REC_SECURITY]),
	};
	return 0;
}

int
proto_decode_audit_summary(struct proto_bytes group, struct proto_audit_summary *ret)
{
	struct proto_slot s[ARRAY_SIZE(summary_specs)];

	if (proto_fields_parse(group, &summary_schema, s) < 0)
		return -EBADMSG;
	/* A summary line sums counts of at least one record. */
	if (proto_slot_u64(&s[SUM_TOTAL]) == 0)
		return -EBADMSG;
	*ret = (struct proto_audit_summary){
		.op = s[SUM_OP].val,
		.status = proto_slot_u32(&s[SUM_STATUS]),
		.total = proto_slot_u64(&s[SUM_TOTAL]),
	};
	return 0;
}

int
proto_decode_audit_reply(struct proto_bytes body, struct proto_audit_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(audit_reply_specs)];
	struct proto_audit_record r;
	struct proto_audit_summary m;
	struct proto_iter it;
	struct proto_bytes g;

	if (proto_fields_parse(body, &audit_reply_schema, s) < 0)
		return -EBADMSG;
	/* A page is records, or (PROTO_AUDIT_SUMMARY) their summary. */
	if (s[AR_RECORD].present && s[AR_SUMMARY].present)
		return -EBADMSG;
	proto_iter_init(&it, &s[AR_RECORD].span);
	while (proto_iter_next(&it, &g) == 1)
		if (proto_decode_audit_record(g, &r) < 0)
			return -EBADMSG;
	proto_iter_init(&it, &s[AR_SUMMARY].span);
	while (proto_iter_next(&it, &g) == 1)
		if (proto_decode_audit_summary(g, &m) < 0)
			return -EBADMSG;
	*ret = (struct proto_audit_reply){
		.records = s[AR_RECORD].span,
		.summaries = s[AR_SUMMARY].span,
		.cursor = s[AR_NEXT_CURSOR].val,
		.message = s[AR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_audit_verify(struct proto_bytes body)
{
	return proto_fields_parse(body, &empty_schema, NULL) < 0 ? -EBADMSG : 0;
}

int
proto_decode_audit_verify_reply(struct proto_bytes body, struct proto_audit_verify_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(verify_reply_specs)];

	if (proto_fields_parse(body, &verify_reply_schema, s) < 0)
		return -EBADMSG;
	/* The schema caps HEAD; a MAC is exactly that long. */
	if (s[AV_HEAD].present && s[AV_HEAD].val.len != PROTO_AUDIT_HEAD_SIZE)
		return -EBADMSG;
	*ret = (struct proto_audit_verify_reply){
		.checked = proto_slot_u64(&s[AV_CHECKED]),
		.first_seq = proto_slot_u64(&s[AV_FIRST_SEQ]),
		.has_broken = s[AV_BROKEN_SEQ].present,
		.broken_seq = proto_slot_u64(&s[AV_BROKEN_SEQ]),
		.head = s[AV_HEAD].val,
		.message = s[AV_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_usage(struct proto_bytes body, struct proto_usage *ret)
{
	struct proto_slot s[ARRAY_SIZE(usage_specs)];

	if (proto_fields_parse(body, &usage_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_usage){
		.has_owner = s[US_OWNER].present,
		.owner = proto_slot_u32(&s[US_OWNER]),
		.prefix = s[US_PREFIX].val,
		.cursor = s[US_CURSOR].val,
		.limit = proto_slot_u32(&s[US_LIMIT]),
	};
	return 0;
}

int
proto_decode_usage_entry(struct proto_bytes group, struct proto_usage_entry *ret)
{
	struct proto_slot s[ARRAY_SIZE(usage_entry_specs)];
	bool last;

	if (proto_fields_parse(group, &usage_entry_schema, s) < 0)
		return -EBADMSG;
	/* A last read comes with its reader's uid and pid (and perhaps its
	 * command name); a reader never comes without one. */
	last = s[UE_LAST_READ].present;
	if (proto_slots_quota(&s[UE_QUOTA], &s[UE_QUOTA_PERIOD]) < 0 ||
	    s[UE_READER_UID].present != last || s[UE_READER_PID].present != last ||
	    (s[UE_READER_COMM].present && !last))
		return -EBADMSG;
	*ret = (struct proto_usage_entry){
		.owner = proto_slot_u32(&s[UE_OWNER]),
		.name = s[UE_NAME].val,
		.reads = proto_slot_u64(&s[UE_READS]),
		.period_reads = proto_slot_u64(&s[UE_PERIOD_READS]),
		.period_start = proto_slot_u64(&s[UE_PERIOD_START]),
		.has_last_read = last,
		.last_read = proto_slot_u64(&s[UE_LAST_READ]),
		.reader_uid = proto_slot_u32(&s[UE_READER_UID]),
		.reader_pid = proto_slot_u32(&s[UE_READER_PID]),
		.reader_comm = s[UE_READER_COMM].val,
		.quota = proto_slot_u32(&s[UE_QUOTA]),
		.quota_period = proto_slot_u32(&s[UE_QUOTA_PERIOD]),
	};
	return 0;
}

int
proto_decode_usage_reply(struct proto_bytes body, struct proto_usage_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(usage_reply_specs)];
	struct proto_usage_entry e;
	struct proto_iter it;
	struct proto_bytes g;

	if (proto_fields_parse(body, &usage_reply_schema, s) < 0)
		return -EBADMSG;
	proto_iter_init(&it, &s[UR_USAGE].span);
	while (proto_iter_next(&it, &g) == 1)
		if (proto_decode_usage_entry(g, &e) < 0)
			return -EBADMSG;
	*ret = (struct proto_usage_reply){
		.entries = s[UR_USAGE].span,
		.cursor = s[UR_NEXT_CURSOR].val,
		.message = s[UR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_quota(struct proto_bytes body, struct proto_quota *ret)
{
	struct proto_slot s[ARRAY_SIZE(quota_specs)];

	if (proto_fields_parse(body, &quota_schema, s) < 0)
		return -EBADMSG;
	if (proto_slots_quota(&s[QU_QUOTA], &s[QU_QUOTA_PERIOD]) < 0)
		return -EBADMSG;
	*ret = (struct proto_quota){
		.ref = proto_slots_ref(&s[QU_OWNER], &s[QU_NAME]),
		.quota = proto_slot_u32(&s[QU_QUOTA]),
		.quota_period = proto_slot_u32(&s[QU_QUOTA_PERIOD]),
	};
	return 0;
}
