/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_LIBCRED_FAKE_EXT_H
#define CREDAGENT_TESTS_LIBCRED_FAKE_EXT_H

/*
 * The fake agent's EXPORT, IMPORT, AUDIT, AUDIT_VERIFY, USAGE, QUOTA and
 * USAGE_RESET (see libcred-fake.h, which includes this after struct fake
 * and its helpers, and dispatches to fake_answer_ext()). Their scripts:
 *
 * EXPORT writes FAKE_BUNDLE to its descriptor and answers SECRETS 3 (2
 * with the prefix "app/"); LOCKED with keys_locked.
 * IMPORT of a bundle reads it from the descriptor; the passphrase "wrong"
 * is DENIED; with OVERWRITE it answers OK, added 3, skipped 1; without,
 * CONFLICT: added 2, skipped 1, conflicted 5, naming app/a and app/b.
 * IMPORT of entries answers OK, added one per entry, unless one is named
 * app/exists (without OVERWRITE: CONFLICT, conflicted 1, naming it).
 * import_busy: CONFLICT with only a message.
 * AUDIT: records 1 to 5, two a page (fewer when LIMIT says so); record 2
 * a refused connect (no target, DENIED, security), record 3 folds 17. With
 * SUMMARY two pages: get OK 10, get DENIED 2; then get OK 5, put OK 1.
 * AUDIT_VERIFY: 7 records from seq 1, head bytes 0 to 31; audit_broken:
 * broken at 4.
 * USAGE: app/a and app/b on a first page, app/c on a second.
 * QUOTA and USAGE_RESET: app/missing NOT_FOUND; QUOTA of app/theirs
 * DENIED.
 */

#define FAKE_BUNDLE   "credagent bundle: sealed\n"
#define FAKE_RECORDS  5u
#define FAKE_HEAD_LEN 32u

static void
fake_copy_str(char *dst, size_t size, struct proto_bytes b)
{
	size_t n = b.len < size ? b.len : size - 1;

	if (n > 0)
		memcpy(dst, b.ptr, n);
	dst[n] = '\0';
}

static int
fake_status(struct buf_writer *w, const struct proto_frame *fr, uint16_t status, const char *msg)
{
	return proto_encode_simple_reply(w, fr->type, fr->reqid, status, msg,
	                                 msg != NULL ? strlen(msg) : 0);
}

static int
fake_export(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_export_reply er = {.secrets = 3};
	struct proto_export m;
	ssize_t k;

	if (proto_decode_export(fr->body, &m) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	f->xfer_has_pass = true;
	fake_copy_pass(f->xfer_pass, m.passphrase, true);
	fake_copy_str(f->xfer_prefix, sizeof(f->xfer_prefix), m.prefix);
	f->xfer_flags = m.flags;
	if (!f->has_frame_fd)
		return fake_status(w, fr, PROTO_BAD_REQUEST, "no descriptor");
	f->fd_type = fr->type;
	if (f->keys_locked)
		return fake_status(w, fr, PROTO_LOCKED, NULL);
	k = write(f->frame_fd, FAKE_BUNDLE, sizeof(FAKE_BUNDLE) - 1);
	FAKE_CHECK(f, k == (ssize_t)sizeof(FAKE_BUNDLE) - 1);
	if (span_eq(m.prefix, "app/"))
		er.secrets = 2;
	return proto_encode_export_reply(w, fr->reqid, &er);
}

/* An IMPORT reply of STATUS naming N of NAMES as conflicts. */
static int
fake_import_reply(struct buf_writer *w, const struct proto_frame *fr, uint16_t status,
                  struct proto_import_reply *ir, const char *const *names, size_t n)
{
	uint8_t buf[512];
	struct buf_writer nw;
	size_t i;

	buf_writer_init(&nw, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		proto_put_string(&nw, PROTO_TAG_CONFLICT, names[i], strlen(names[i]));
	ir->conflicts = (struct proto_list_span){{buf, nw.len}, (uint32_t)n};
	return proto_encode_import_reply(w, fr->reqid, status, ir);
}

/* The inline entries of M, kept for the test to check. */
static int
fake_import_inline(struct fake *f, const struct proto_frame *fr, struct buf_writer *w,
                   const struct proto_import *m)
{
	static const char *const exists[] = {"app/exists"};
	struct proto_import_reply ir = {0};
	struct proto_import_entry e;
	struct proto_iter it;
	struct proto_bytes b;
	bool conflict = false;
	uint32_t i = 0;

	proto_iter_init(&it, &m->entries);
	while (proto_iter_next(&it, &b) == 1) {
		if (proto_decode_import_entry(b, &e) < 0)
			return fake_status(w, fr, PROTO_BAD_REQUEST, "bad entry");
		if (i < 4)
			fake_copy_str(f->import_names[i], sizeof(f->import_names[i]), e.name);
		if (i == 0) {
			fake_copy_str(f->import_type, sizeof(f->import_type), e.type);
			f->import_labels = e.labels.count;
			f->import_expires = e.has_expires ? e.expires : 0;
		}
		f->import_value_len = e.value.len < sizeof(f->import_value)
		                              ? e.value.len
		                              : sizeof(f->import_value);
		memcpy(f->import_value, e.value.ptr, f->import_value_len);
		conflict = conflict || span_eq(e.name, "app/exists");
		i++;
	}
	if (conflict && !(m->flags & PROTO_IMPORT_OVERWRITE)) {
		ir = (struct proto_import_reply){.added = i - 1, .conflicted = 1};
		return fake_import_reply(w, fr, PROTO_CONFLICT, &ir, exists, 1);
	}
	ir.added = i;
	return fake_import_reply(w, fr, PROTO_OK, &ir, NULL, 0);
}

static int
fake_import(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	static const char *const names[] = {"app/a", "app/b"};
	struct proto_import_reply ir = {.added = 2, .skipped = 1, .conflicted = 5};
	struct proto_import m;
	ssize_t k;

	if (proto_decode_import(fr->body, &m) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	f->xfer_has_pass = m.has_passphrase;
	fake_copy_pass(f->xfer_pass, m.passphrase, m.has_passphrase);
	f->xfer_flags = m.flags;
	f->import_entries = m.entries.count;
	if (f->import_busy)
		return fake_status(w, fr, PROTO_CONFLICT, "an import is already running");
	if (!f->has_frame_fd)
		return fake_import_inline(f, fr, w, &m);
	FAKE_CHECK(f, m.entries.count == 0 && m.has_passphrase);
	f->fd_type = fr->type;
	k = read(f->frame_fd, f->bundle, sizeof(f->bundle));
	f->bundle_len = k > 0 ? (size_t)k : 0;
	if (span_eq(m.passphrase, "wrong"))
		return fake_status(w, fr, PROTO_DENIED, "wrong passphrase");
	if (m.flags & PROTO_IMPORT_OVERWRITE) {
		ir = (struct proto_import_reply){.added = 3, .skipped = 1};
		return fake_import_reply(w, fr, PROTO_OK, &ir, NULL, 0);
	}
	return fake_import_reply(w, fr, PROTO_CONFLICT, &ir, names, 2);
}

/* Audit record SEQ of the script. */
static void
fake_record(uint64_t seq, struct proto_audit_record *r)
{
	*r = (struct proto_audit_record){
	        .has_owner = true,
	        .owner = 1000,
	        .name = S("app/token"),
	        .has_version = true,
	        .version = (uint32_t)seq,
	        .op = S("get"),
	        .status = PROTO_OK,
	        .seq = seq,
	        .time = 1700000000 + seq,
	        .uid = 1000,
	        .gid = 100,
	        .pid = 4242,
	        .comm = S("cred"),
	        .count = seq == 3 ? 17 : 1,
	};
	if (seq == 2) {
		r->has_owner = r->has_version = false;
		r->name = r->comm = (struct proto_bytes){0};
		r->op = S("connect");
		r->status = PROTO_DENIED;
		r->uid = 1001;
		r->security = 1;
	}
}

/* One page of records or summaries; the cursor is the next page's first
 * record (or page) as one digit. */
static int
fake_audit_page(const struct proto_audit *m, const struct proto_frame *fr, struct buf_writer *w)
{
	const struct proto_audit_summary sums[] = {
	        {S("get"), PROTO_OK, 10},
	        {S("get"), PROTO_DENIED, 2},
	        {S("get"), PROTO_OK, 5},
	        {S("put"), PROTO_OK, 1},
	};
	uint64_t first = m->cursor.len == 1 ? (uint64_t)(m->cursor.ptr[0] - '0') : 1, seq, n = 2;
	struct proto_audit_record r;
	char next;
	size_t start;

	if (m->limit > 0 && m->limit < n)
		n = m->limit;
	start = proto_reply_begin(w, PROTO_MSG_AUDIT, fr->reqid, PROTO_OK);
	if (m->flags & PROTO_AUDIT_SUMMARY) {
		if (first == 1)
			proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, "2", 1);
		proto_put_audit_summary(w, &sums[first == 1 ? 0 : 2]);
		proto_put_audit_summary(w, &sums[first == 1 ? 1 : 3]);
		return proto_frame_end(w, start);
	}
	next = (char)('0' + first + n);
	if (first + n <= FAKE_RECORDS)
		proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, &next, 1);
	for (seq = first; seq < first + n && seq <= FAKE_RECORDS; seq++) {
		fake_record(seq, &r);
		proto_put_audit_record(w, &r);
	}
	return proto_frame_end(w, start);
}

static int
fake_audit(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_audit m;
	size_t start;

	if (proto_decode_audit(fr->body, &m) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	f->audit = m;
	fake_copy_str(f->audit_name, sizeof(f->audit_name), m.name);
	fake_copy_str(f->audit_op, sizeof(f->audit_op), m.op);
	f->audit.name = f->audit.op = f->audit.cursor = (struct proto_bytes){0};
	f->audit_pages++;
	if (f->audit_loop) {
		start = proto_reply_begin(w, PROTO_MSG_AUDIT, fr->reqid, PROTO_OK);
		proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, "zz", 2);
		return proto_frame_end(w, start);
	}
	return fake_audit_page(&m, fr, w);
}

static int
fake_audit_verify(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_audit_verify_reply vr = {.checked = 7, .first_seq = 1};
	uint8_t head[FAKE_HEAD_LEN];
	size_t i;

	if (proto_decode_audit_verify(fr->body) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	for (i = 0; i < sizeof(head); i++)
		head[i] = (uint8_t)i;
	vr.head = (struct proto_bytes){head, sizeof(head)};
	if (f->audit_broken) {
		vr.checked = 3;
		vr.has_broken = true;
		vr.broken_seq = 4;
		vr.message = S("record 4: MAC mismatch");
	}
	return proto_encode_audit_verify_reply(w, fr->reqid, &vr);
}

static int
fake_usage(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	const struct proto_usage_entry e[] = {
	        {.owner = 1000,
	         .name = S("app/a"),
	         .reads = 10,
	         .period_reads = 3,
	         .period_start = 1700000000,
	         .has_last_read = true,
	         .last_read = 1700000100,
	         .reader_uid = 1001,
	         .reader_pid = 77,
	         .reader_comm = S("curl"),
	         .quota = 5,
	         .quota_period = PROTO_PERIOD_HOUR},
	        {.owner = 1000, .name = S("app/b"), .period_start = 1699920000},
	        {.owner = 1000,
	         .name = S("app/c"),
	         .reads = 1,
	         .period_reads = 1,
	         .period_start = 1698796800,
	         .has_last_read = true,
	         .last_read = 1700000200,
	         .reader_uid = 1000,
	         .reader_pid = 88,
	         .quota = 100,
	         .quota_period = PROTO_PERIOD_MONTH},
	};
	struct proto_usage m;
	size_t start;

	if (proto_decode_usage(fr->body, &m) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	f->usage = m;
	fake_copy_str(f->usage_prefix, sizeof(f->usage_prefix), m.prefix);
	f->usage.prefix = f->usage.cursor = (struct proto_bytes){0};
	f->usage_pages++;
	start = proto_reply_begin(w, PROTO_MSG_USAGE, fr->reqid, PROTO_OK);
	if (m.cursor.len == 0) {
		proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, "u2", 2);
		proto_put_usage_entry(w, &e[0]);
		proto_put_usage_entry(w, &e[1]);
	} else {
		FAKE_CHECK(f, span_eq(m.cursor, "u2"));
		proto_put_usage_entry(w, &e[2]);
	}
	return proto_frame_end(w, start);
}

static int
fake_quota(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_quota m;

	if (proto_decode_quota(fr->body, &m) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	f->quota = m;
	fake_copy_str(f->quota_name, sizeof(f->quota_name), m.ref.name);
	f->quota.ref.name = (struct proto_bytes){0};
	fake_saw_ref(f, m.ref.has_owner, m.ref.owner);
	if (span_eq(m.ref.name, "app/missing"))
		return fake_status(w, fr, PROTO_NOT_FOUND, NULL);
	if (span_eq(m.ref.name, "app/theirs"))
		return fake_status(w, fr, PROTO_DENIED, "only the owner may set a quota");
	return fake_status(w, fr, PROTO_OK, NULL);
}

static int
fake_usage_reset(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_named m;

	if (proto_decode_named(fr->body, &m) < 0)
		return fake_status(w, fr, PROTO_BAD_REQUEST, NULL);
	fake_copy_str(f->reset_name, sizeof(f->reset_name), m.ref.name);
	fake_saw_ref(f, m.ref.has_owner, m.ref.owner);
	if (span_eq(m.ref.name, "app/missing"))
		return fake_status(w, fr, PROTO_NOT_FOUND, NULL);
	return fake_status(w, fr, PROTO_OK, NULL);
}

static int
fake_answer_ext(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	/* Only EXPORT and IMPORT take a descriptor. */
	FAKE_CHECK(f, !f->has_frame_fd || fr->type == PROTO_MSG_EXPORT ||
	                      fr->type == PROTO_MSG_IMPORT);
	switch (fr->type) {
	case PROTO_MSG_EXPORT: return fake_export(f, fr, w);
	case PROTO_MSG_IMPORT: return fake_import(f, fr, w);
	case PROTO_MSG_AUDIT: return fake_audit(f, fr, w);
	case PROTO_MSG_AUDIT_VERIFY: return fake_audit_verify(f, fr, w);
	case PROTO_MSG_USAGE: return fake_usage(f, fr, w);
	case PROTO_MSG_QUOTA: return fake_quota(f, fr, w);
	default: return fake_usage_reset(f, fr, w);
	}
}

#endif
