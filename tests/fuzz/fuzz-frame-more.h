/* SPDX-License-Identifier: MIT */
/*
 * Part of fuzz-frame.c (included once, after its helpers): the
 * re-encoders of export, import, audit, usage, quota and verify
 * messages, and the bundle chunk codecs. Groups are written back one by
 * one and must decode to what they came from (explicit zeros and empty
 * optional strings, which encoders leave out, may change the bytes but
 * not the meaning).
 */

static uint8_t grp[OUT_MAX + 64], chunk1[OUT_MAX + 64], chunk2[OUT_MAX + 64];

static bool
same_bytes(struct proto_bytes a, struct proto_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* The content of the one group W holds from START. */
static struct proto_bytes
group_content(const struct buf_writer *w, size_t start, uint8_t tag)
{
	const uint8_t *g = w->data + start;

	CHECK(buf_writer_error(w) == 0 && w->len - start >= PROTO_FIELD_HDR);
	CHECK(g[0] == tag && g[1] == PROTO_KIND_GROUP);
	CHECK(buf_load_u32(g + 2) == w->len - start - PROTO_FIELD_HDR);
	return (struct proto_bytes){g + PROTO_FIELD_HDR, w->len - start - PROTO_FIELD_HDR};
}

static void
check_name(struct proto_bytes n)
{
	CHECK(n.len >= 1 && n.len <= PROTO_NAME_MAX && memchr(n.ptr, 0, n.len) == NULL);
}

static void
walk_import_entries(const struct proto_list_span *span)
{
	struct proto_import_entry e, e2;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_import_entry(g, &e) == 0);
		check_name(e.name);
		CHECK(e.type.len <= PROTO_TYPE_MAX);
		CHECK(e.has_expires || e.expires == 0);
		walk_labels(&e.labels);
		buf_writer_init(&w, grp, sizeof(grp));
		proto_put_import_entry(&w, &e);
		CHECK(proto_decode_import_entry(group_content(&w, 0, PROTO_TAG_ENTRY), &e2) == 0);
		CHECK(same_bytes(e.name, e2.name) && same_bytes(e.type, e2.type));
		CHECK(e.has_expires == e2.has_expires && e.expires == e2.expires);
		CHECK(same_bytes(e.labels.raw, e2.labels.raw) && e.labels.count == e2.labels.count);
		CHECK(same_bytes(e.value, e2.value));
		n++;
	}
	CHECK(n == span->count && n <= PROTO_IMPORT_ENTRIES_MAX);
}

static int
re_export(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_export m;

	if (proto_decode_export(b, &m) < 0)
		return -1;
	CHECK(m.passphrase.len >= 1 && m.passphrase.len <= PROTO_PASSPHRASE_MAX);
	CHECK(m.prefix.len <= PROTO_NAME_MAX + 1);
	CHECK((m.flags & ~PROTO_EXPORT_FLAGS_ALL) == 0);
	CHECK(proto_encode_export(w, 26, &m) == 0);
	return 0;
}

static int
re_export_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_export_reply m;

	if (proto_decode_export_reply(b, &m) < 0)
		return -1;
	CHECK(proto_encode_export_reply(w, 26, &m) == 0);
	return 0;
}

static int
re_import(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_import m;

	if (proto_decode_import(b, &m) < 0)
		return -1;
	CHECK(!(m.has_passphrase && m.entries.count > 0));
	CHECK(!m.has_passphrase ||
	      (m.passphrase.len >= 1 && m.passphrase.len <= PROTO_PASSPHRASE_MAX));
	CHECK((m.flags & ~PROTO_IMPORT_FLAGS_ALL) == 0);
	walk_import_entries(&m.entries);
	CHECK(proto_encode_import(w, 27, &m) == 0);
	return 0;
}

static int
re_import_reply_status(struct proto_bytes b, struct buf_writer *w, uint16_t status)
{
	struct proto_import_reply m;
	struct proto_iter it;
	struct proto_bytes n;
	uint32_t count = 0;

	if (proto_decode_import_reply(b, &m) < 0)
		return -1;
	CHECK(m.conflicts.count <= m.conflicted && m.conflicts.count <= PROTO_CONFLICTS_MAX);
	proto_iter_init(&it, &m.conflicts);
	while (proto_iter_next(&it, &n) == 1) {
		CHECK(proto_name_valid(n.ptr, n.len));
		count++;
	}
	CHECK(count == m.conflicts.count);
	CHECK(proto_encode_import_reply(w, 27, status, &m) == 0);
	return 0;
}

static int
re_import_reply(struct proto_bytes b, struct buf_writer *w)
{
	return re_import_reply_status(b, w, PROTO_OK);
}

static int
re_import_reply_conflict(struct proto_bytes b, struct buf_writer *w)
{
	return re_import_reply_status(b, w, PROTO_CONFLICT);
}

static int
re_audit(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_audit m;

	if (proto_decode_audit(b, &m) < 0)
		return -1;
	CHECK(m.name.len <= PROTO_NAME_MAX && m.op.len <= PROTO_OP_MAX);
	CHECK(m.limit <= PROTO_LIST_LIMIT_MAX && (m.flags & ~PROTO_AUDIT_FLAGS_ALL) == 0);
	CHECK(m.status <= PROTO_STATUS_MAX && (m.has_status || m.status == 0));
	CHECK(m.has_owner || m.owner == 0);
	CHECK(m.has_uid || m.uid == 0);
	CHECK((m.has_since || m.since == 0) && (m.has_until || m.until == 0));
	CHECK(proto_encode_audit(w, 28, &m) == 0);
	return 0;
}

static bool
same_record(const struct proto_audit_record *a, const struct proto_audit_record *b)
{
	return a->has_owner == b->has_owner && a->owner == b->owner &&
	       same_bytes(a->name, b->name) && a->has_version == b->has_version &&
	       a->version == b->version && same_bytes(a->op, b->op) && a->status == b->status &&
	       a->seq == b->seq && a->time == b->time && a->uid == b->uid && a->gid == b->gid &&
	       a->pid == b->pid && same_bytes(a->comm, b->comm) && a->count == b->count &&
	       a->security == b->security;
}

static void
walk_records(const struct proto_list_span *span)
{
	struct proto_audit_record r, r2;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_audit_record(g, &r) == 0);
		CHECK(r.count >= 1 && r.security <= 1 && r.status <= PROTO_STATUS_MAX);
		CHECK(r.op.len >= 1 && r.op.len <= PROTO_OP_MAX && r.comm.len <= PROTO_COMM_MAX);
		CHECK(!r.has_version || r.name.len > 0);
		buf_writer_init(&w, grp, sizeof(grp));
		proto_put_audit_record(&w, &r);
		CHECK(proto_decode_audit_record(group_content(&w, 0, PROTO_TAG_RECORD), &r2) == 0);
		CHECK(same_record(&r, &r2));
		n++;
	}
	CHECK(n == span->count && n <= PROTO_LIST_LIMIT_MAX);
}

/* Summary groups have only required fields: written back, the same. */
static void
walk_summaries(const struct proto_list_span *span)
{
	struct proto_audit_summary s;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_audit_summary(g, &s) == 0);
		CHECK(s.total >= 1 && s.op.len >= 1 && s.status <= PROTO_STATUS_MAX);
		buf_writer_init(&w, grp, sizeof(grp));
		proto_put_audit_summary(&w, &s);
		CHECK(same_bytes(group_content(&w, 0, PROTO_TAG_SUMMARY), g));
		n++;
	}
	CHECK(n == span->count && n <= PROTO_LIST_LIMIT_MAX);
}

static int
re_audit_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_audit_reply m;

	if (proto_decode_audit_reply(b, &m) < 0)
		return -1;
	CHECK(m.records.count == 0 || m.summaries.count == 0);
	walk_records(&m.records);
	walk_summaries(&m.summaries);
	CHECK(proto_encode_audit_reply(w, 28, &m) == 0);
	return 0;
}

static int
re_audit_verify(struct proto_bytes b, struct buf_writer *w)
{
	if (proto_decode_audit_verify(b) < 0)
		return -1;
	CHECK(b.len == 0);
	CHECK(proto_encode_audit_verify(w, 29) == 0);
	return 0;
}

static int
re_audit_verify_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_audit_verify_reply m;

	if (proto_decode_audit_verify_reply(b, &m) < 0)
		return -1;
	CHECK(m.head.len == 0 || m.head.len == PROTO_AUDIT_HEAD_SIZE);
	CHECK(m.has_broken || m.broken_seq == 0);
	CHECK(proto_encode_audit_verify_reply(w, 29, &m) == 0);
	return 0;
}

static int
re_usage(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_usage m;

	if (proto_decode_usage(b, &m) < 0)
		return -1;
	CHECK(m.limit <= PROTO_LIST_LIMIT_MAX && m.prefix.len <= PROTO_NAME_MAX + 1);
	CHECK(proto_encode_usage(w, 30, &m) == 0);
	return 0;
}

static void
walk_usage(const struct proto_list_span *span)
{
	struct proto_usage_entry e, e2;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_usage_entry(g, &e) == 0);
		check_name(e.name);
		check_quota(e.quota, e.quota_period);
		CHECK(e.has_last_read || (e.last_read == 0 && e.reader_uid == 0 &&
					  e.reader_pid == 0 && e.reader_comm.len == 0));
		CHECK(e.reader_comm.len <= PROTO_COMM_MAX);
		buf_writer_init(&w, grp, sizeof(grp));
		proto_put_usage_entry(&w, &e);
		CHECK(proto_decode_usage_entry(group_content(&w, 0, PROTO_TAG_USAGE), &e2) == 0);
		CHECK(e.owner == e2.owner && same_bytes(e.name, e2.name) && e.reads == e2.reads &&
		      e.period_reads == e2.period_reads && e.period_start == e2.period_start &&
		      e.has_last_read == e2.has_last_read && e.last_read == e2.last_read &&
		      e.reader_uid == e2.reader_uid && e.reader_pid == e2.reader_pid &&
		      same_bytes(e.reader_comm, e2.reader_comm) && e.quota == e2.quota &&
		      e.quota_period == e2.quota_period);
		n++;
	}
	CHECK(n == span->count && n <= PROTO_LIST_LIMIT_MAX);
}

static int
re_usage_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_usage_reply m;

	if (proto_decode_usage_reply(b, &m) < 0)
		return -1;
	walk_usage(&m.entries);
	CHECK(proto_encode_usage_reply(w, 30, &m) == 0);
	return 0;
}

static int
re_quota(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_quota m;

	if (proto_decode_quota(b, &m) < 0)
		return -1;
	check_name(m.ref.name);
	check_quota(m.quota, m.quota_period);
	CHECK(proto_encode_quota(w, 31, &m) == 0);
	return 0;
}

static int
re_usage_reset(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_USAGE_RESET);
}

/* VERIFY: a result of 1 or 2, a message within its cap. */
static int
re_verify(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_verify_req m;

	if (proto_decode_verify(b, &m) < 0)
		return -1;
	check_name(m.ref.name);
	CHECK(m.status >= 1 && m.status <= PROTO_VERIFY_MAX && proto_verify_name(m.status) != NULL);
	CHECK(m.message.len <= PROTO_VERIFY_MESSAGE_MAX);
	CHECK(m.has_version || m.version == 0);
	CHECK(m.ref.has_owner || m.ref.owner == 0);
	CHECK(proto_encode_verify(w, 33, &m) == 0);
	return 0;
}

/* The bytes as a bundle chunk's plaintext: what decodes is valid
 * throughout, and decode, write, decode, write gives the same bytes. */
static void
bundle_chunks(struct proto_bytes b)
{
	struct proto_bundle_secret s, s2;
	struct proto_bundle_version v;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w1, w2;
	uint32_t last = 0, n = 0;
	bool current = false;
	uint64_t secrets;

	if (proto_decode_bundle_trailer(b, &secrets) == 0) {
		buf_writer_init(&w1, chunk1, sizeof(chunk1));
		proto_put_bundle_trailer(&w1, secrets);
		CHECK(buf_writer_error(&w1) == 0 && same_bytes(b, (struct proto_bytes){chunk1, w1.len}));
	}
	if (proto_decode_bundle_secret(b, &s) < 0)
		return;
	CHECK(proto_name_valid(s.name.ptr, s.name.len) && proto_type_valid(s.type.ptr, s.type.len));
	CHECK(s.state <= PROTO_STATE_MAX);
	check_quota(s.quota, s.quota_period);
	walk_labels(&s.labels);
	proto_iter_init(&it, &s.versions);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_bundle_version(g, &v) == 0);
		CHECK(v.version > last);
		current |= v.version == s.version;
		last = v.version;
		n++;
	}
	CHECK(current && n == s.versions.count && n <= PROTO_VERSIONS_MAX);
	buf_writer_init(&w1, chunk1, sizeof(chunk1));
	proto_put_bundle_secret(&w1, &s);
	CHECK(buf_writer_error(&w1) == 0 && w1.len <= b.len);
	CHECK(proto_decode_bundle_secret((struct proto_bytes){chunk1, w1.len}, &s2) == 0);
	buf_writer_init(&w2, chunk2, sizeof(chunk2));
	proto_put_bundle_secret(&w2, &s2);
	CHECK(w1.len == w2.len && memcmp(chunk1, chunk2, w1.len) == 0);
}
