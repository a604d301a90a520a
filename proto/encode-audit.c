/* SPDX-License-Identifier: MIT */
#include "proto/encoders.h"
#include "proto/proto.h"

/*
 * Encoders of the audit trail, usage and quotas, by the rules of
 * encode.c: ascending tag order, absent optional fields left out. Replies
 * write NEXT_CURSOR? and MESSAGE? before their groups (their tags are
 * lower), so an agent that streams groups with the put helpers between
 * proto_reply_begin() and proto_frame_end() writes the cursor first.
 * A reader's uid, pid and command name go with its LAST_READ only.
 */

int
proto_encode_audit(struct buf_writer *w, uint32_t reqid, const struct proto_audit *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_AUDIT, reqid);

	if (m->has_owner)
		proto_put_u32(w, PROTO_TAG_OWNER, m->owner);
	put_opt_string(w, PROTO_TAG_NAME, m->name);
	put_opt_bytes(w, PROTO_TAG_CURSOR, m->cursor);
	if (m->limit != 0)
		proto_put_u32(w, PROTO_TAG_LIMIT, m->limit);
	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	if (m->has_uid)
		proto_put_u32(w, PROTO_TAG_FILTER_UID, m->uid);
	put_opt_string(w, PROTO_TAG_OP, m->op);
	if (m->has_status)
		proto_put_u32(w, PROTO_TAG_STATUS, m->status);
	if (m->has_since)
		proto_put_u64(w, PROTO_TAG_SINCE, m->since);
	if (m->has_until)
		proto_put_u64(w, PROTO_TAG_UNTIL, m->until);
	return proto_frame_end(w, start);
}

/* One RECORD group; SECURITY only when 1. */
void
proto_put_audit_record(struct buf_writer *w, const struct proto_audit_record *r)
{
	size_t off = proto_group_begin(w, PROTO_TAG_RECORD);

	if (r->has_owner)
		proto_put_u32(w, PROTO_TAG_OWNER, r->owner);
	put_opt_string(w, PROTO_TAG_NAME, r->name);
	if (r->has_version)
		proto_put_u32(w, PROTO_TAG_VERSION, r->version);
	proto_put_string(w, PROTO_TAG_OP, r->op.ptr, r->op.len);
	proto_put_u32(w, PROTO_TAG_STATUS, r->status);
	proto_put_u64(w, PROTO_TAG_SEQ, r->seq);
	proto_put_u64(w, PROTO_TAG_TIME, r->time);
	proto_put_u32(w, PROTO_TAG_UID, r->uid);
	proto_put_u32(w, PROTO_TAG_GID, r->gid);
	proto_put_u32(w, PROTO_TAG_PID, r->pid);
	put_opt_string(w, PROTO_TAG_COMM, r->comm);
	proto_put_u32(w, PROTO_TAG_COUNT, r->count);
	if (r->security != 0)
		proto_put_u32(w, PROTO_TAG_SECURITY, r->security);
	proto_group_end(w, off);
}

void
proto_put_audit_summary(struct buf_writer *w, const struct proto_audit_summary *s)
{
	size_t off = proto_group_begin(w, PROTO_TAG_SUMMARY);

	proto_put_string(w, PROTO_TAG_OP, s->op.ptr, s->op.len);
	proto_put_u32(w, PROTO_TAG_STATUS, s->status);
	proto_put_u64(w, PROTO_TAG_TOTAL, s->total);
	proto_group_end(w, off);
}

int
proto_encode_audit_reply(struct buf_writer *w, uint32_t reqid, const struct proto_audit_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_AUDIT, reqid, PROTO_OK);

	put_opt_bytes(w, PROTO_TAG_NEXT_CURSOR, m->cursor);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	put_span(w, &m->records);
	put_span(w, &m->summaries);
	return proto_frame_end(w, start);
}

int
proto_encode_audit_verify(struct buf_writer *w, uint32_t reqid)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_AUDIT_VERIFY, reqid);

	return proto_frame_end(w, start);
}

int
proto_encode_audit_verify_reply(struct buf_writer *w, uint32_t reqid,
				const struct proto_audit_verify_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_AUDIT_VERIFY, reqid, PROTO_OK);

	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	proto_put_u64(w, PROTO_TAG_CHECKED, m->checked);
	if (m->has_broken)
		proto_put_u64(w, PROTO_TAG_BROKEN_SEQ, m->broken_seq);
	proto_put_u64(w, PROTO_TAG_FIRST_SEQ, m->first_seq);
	put_opt_bytes(w, PROTO_TAG_HEAD, m->head);
	return proto_frame_end(w, start);
}

int
proto_encode_usage(struct buf_writer *w, uint32_t reqid, const struct proto_usage *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_USAGE, reqid);

	if (m->has_owner)
		proto_put_u32(w, PROTO_TAG_OWNER, m->owner);
	put_opt_string(w, PROTO_TAG_PREFIX, m->prefix);
	put_opt_bytes(w, PROTO_TAG_CURSOR, m->cursor);
	if (m->limit != 0)
		proto_put_u32(w, PROTO_TAG_LIMIT, m->limit);
	return proto_frame_end(w, start);
}

/* One USAGE group: OWNER, NAME, QUOTA?, QUOTA_PERIOD?, READS,
 * PERIOD_READS, LAST_READ?, READER_UID?, READER_PID?, READER_COMM?,
 * PERIOD_START. */
void
proto_put_usage_entry(struct buf_writer *w, const struct proto_usage_entry *e)
{
	size_t off = proto_group_begin(w, PROTO_TAG_USAGE);

	proto_put_u32(w, PROTO_TAG_OWNER, e->owner);
	proto_put_string(w, PROTO_TAG_NAME, e->name.ptr, e->name.len);
	put_quota(w, e->quota, e->quota_period);
	proto_put_u64(w, PROTO_TAG_READS, e->reads);
	proto_put_u64(w, PROTO_TAG_PERIOD_READS, e->period_reads);
	if (e->has_last_read) {
		proto_put_u64(w, PROTO_TAG_LAST_READ, e->last_read);
		proto_put_u32(w, PROTO_TAG_READER_UID, e->reader_uid);
		proto_put_u32(w, PROTO_TAG_READER_PID, e->reader_pid);
		put_opt_string(w, PROTO_TAG_READER_COMM, e->reader_comm);
	}
	proto_put_u64(w, PROTO_TAG_PERIOD_START, e->period_start);
	proto_group_end(w, off);
}

int
proto_encode_usage_reply(struct buf_writer *w, uint32_t reqid, const struct proto_usage_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_USAGE, reqid, PROTO_OK);

	put_opt_bytes(w, PROTO_TAG_NEXT_CURSOR, m->cursor);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	put_span(w, &m->entries);
	return proto_frame_end(w, start);
}

int
proto_encode_quota(struct buf_writer *w, uint32_t reqid, const struct proto_quota *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_QUOTA, reqid);

	put_ref(w, &m->ref);
	put_quota(w, m->quota, m->quota_period);
	return proto_frame_end(w, start);
}
