/* SPDX-License-Identifier: MIT */
/* The loop's side of each mutation: validate, queue, answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "arena.h"
#include "audit.h"
#include "record.h"
#include "rekey.h"
#include "transfer.h"
#include "typed.h"
#include "usage.h"
#include "watch.h"
#include "writer.h"
#include "ops.h"

static struct wjob *
job_new(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->conn = c;
	j->type = f->type;
	j->reqid = f->reqid;
	j->peer = c->peer;
	j->status = PROTO_OK;
	(void)a;
	return j;
}

static void
job_free(struct agent *a, struct wjob *j)
{
	arena_release(a->arena, j->gen, j->gen_cap, j->gen_len);
	free(j->swept);
	import_set_free(j->imp);
	audit_batch_free(j->abatch);
	free(j);
}

/* The largest value whose GET reply (version, type, a note such as
 * "expired at ...") still fits the agent's frame limit. */
static size_t
value_max(const struct agent *a)
{
	size_t over = PROTO_REPLY_HDR - PROTO_LEN_SIZE + 3 * PROTO_FIELD_HDR + 4 + PROTO_TYPE_MAX +
		      PROTO_FIELD_HDR + 64;

	return a->cfg.frame_max > over ? a->cfg.frame_max - over : 0;
}

/*
 * Check REF and queue J. The reply's space (EXTRA bytes beyond the usual)
 * is reserved now, so the answer never waits for memory.
 */
static enum ops_result
queue_job(struct agent *a, struct conn *c, const struct proto_frame *f, struct wjob *j,
	  const struct proto_ref *ref, size_t extra)
{
	struct buf_writer w;

	if (!proto_name_valid(ref->name.ptr, ref->name.len)) {
		job_free(a, j);
		return ops_fail(a, c, f, PROTO_USAGE, "invalid name");
	}
	if (ops_owner(a, &c->peer, ref, &j->owner) != PROTO_OK) {
		job_free(a, j);
		return ops_fail(a, c, f, PROTO_NOT_FOUND, "not found");
	}
	if (conn_reply_begin(a, c, OPS_WRITE_REPLY_MAX + extra, &w) < 0) {
		job_free(a, j);
		return OPS_NOMEM;
	}
	j->name = ref->name;
	c->write_pending = true;
	writer_submit(a->writer, j);
	return OPS_PENDING;
}

static enum ops_result
bad(struct agent *a, struct conn *c, const struct proto_frame *f, struct wjob *j,
    uint16_t status, const char *why)
{
	job_free(a, j);
	return ops_fail(a, c, f, status, "%s", why);
}

static bool
labels_valid(const struct proto_list_span *labels)
{
	struct proto_iter it;
	struct proto_bytes l;

	proto_iter_init(&it, labels);
	while (proto_iter_next(&it, &l) == 1)
		if (!proto_label_valid(l.ptr, l.len))
			return false;
	return true;
}

enum ops_result
ops_put(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);
	struct proto_put *m;
	char why[160];

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	m = &j->req.put;
	if (proto_decode_put(f->body, m) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed PUT");
	if (m->value.len > value_max(a)) {
		snprintf(why, sizeof(why), "the value is too large: this agent keeps at most %zu bytes",
			 value_max(a));
		return bad(a, c, f, j, PROTO_USAGE, why);
	}
	if (typed_check(m->type, m->value, why, sizeof(why)) != PROTO_OK)
		return bad(a, c, f, j, PROTO_INVALID, why);
	if (!labels_valid(&m->labels))
		return bad(a, c, f, j, PROTO_USAGE,
			   "invalid label (key=value, key of [A-Za-z0-9_.-])");
	if (m->has_max_versions &&
	    (m->max_versions == 0 || m->max_versions > RECORD_MAX_VERSIONS_LIMIT))
		return bad(a, c, f, j, PROTO_USAGE, "max versions must be 1 to 100");
	return queue_job(a, c, f, j, &m->ref, 0);
}

/* DELETE, UNDELETE, DISABLE, ENABLE. */
enum ops_result
ops_delete(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_named(f->body, &j->req.named) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed request");
	return queue_job(a, c, f, j, &j->req.named.ref, 0);
}

/* ROLLBACK and PURGE. */
enum ops_result
ops_versioned(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_versioned(f->body, f->type, &j->req.versioned) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed request");
	if (j->req.versioned.has_version && j->req.versioned.version == 0)
		return bad(a, c, f, j, PROTO_USAGE, "versions start at 1");
	return queue_job(a, c, f, j, &j->req.versioned.ref, 0);
}

static bool
label_key_valid(struct proto_bytes k)
{
	if (k.len == 0 || k.len > PROTO_LABEL_KEY_MAX)
		return false;
	for (size_t i = 0; i < k.len; i++) {
		uint8_t ch = k.ptr[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

enum ops_result
ops_label(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);
	struct proto_iter it;
	struct proto_bytes k;

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_label(f->body, &j->req.label) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed LABEL");
	if (!labels_valid(&j->req.label.set))
		return bad(a, c, f, j, PROTO_USAGE,
			   "invalid label (key=value, key of [A-Za-z0-9_.-])");
	proto_iter_init(&it, &j->req.label.remove);
	while (proto_iter_next(&it, &k) == 1) {
		/* A key is a label without "=value". */
		if (!label_key_valid(k))
			return bad(a, c, f, j, PROTO_USAGE, "invalid label key");
	}
	return queue_job(a, c, f, j, &j->req.label.ref, 0);
}

enum ops_result
ops_verify(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_verify(f->body, &j->req.verify) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed VERIFY");
	return queue_job(a, c, f, j, &j->req.verify.ref, 0);
}

enum ops_result
ops_quota(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_quota(f->body, &j->req.quota) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed QUOTA");
	return queue_job(a, c, f, j, &j->req.quota.ref, 0);
}

enum ops_result
ops_share(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j;

	if (!a->cfg.system_mode)
		return ops_fail(a, c, f, PROTO_UNSUPPORTED,
				"sharing needs the system agent (credagentd --system): this one "
				"serves one user");
	j = job_new(a, c, f);
	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (proto_decode_share(f->body, f->type, &j->req.share) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed request");
	return queue_job(a, c, f, j, &j->req.share.ref, 0);
}

/* A value of N characters drawn uniformly from CHARSET, in the arena. */
static int
generate(struct agent *a, struct wjob *j, uint32_t n, uint32_t charset)
{
	static const char *const sets[] = {
		[PROTO_CHARSET_BASE64URL] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		[PROTO_CHARSET_HEX] = "0123456789abcdef",
		[PROTO_CHARSET_ALNUM] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		[PROTO_CHARSET_PRINTABLE] = "!\"#$%&'()*+,-./0123456789:;<=>?@"
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
					    "abcdefghijklmnopqrstuvwxyz{|}~",
	};
	const char *set = sets[charset];
	uint32_t size = (uint32_t)strlen(set);

	j->gen = arena_alloc(a->arena, n, &j->gen_cap);
	if (j->gen == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		j->gen[i] = (uint8_t)set[randombytes_uniform(size)];
	j->gen_len = n;
	return 0;
}

enum ops_result
ops_rotate(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct wjob *j = job_new(a, c, f);
	struct proto_rotate *m;
	size_t extra = 0;

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	m = &j->req.rotate;
	if (proto_decode_rotate(f->body, m) < 0)
		return bad(a, c, f, j, PROTO_BAD_REQUEST, "malformed ROTATE");
	if (m->has_value && m->value.len > value_max(a))
		return bad(a, c, f, j, PROTO_USAGE, "the value is too large for this agent");
	if (!m->has_value) {
		if (generate(a, j, m->gen_length, m->charset) < 0) {
			job_free(a, j);
			return OPS_NOMEM;
		}
		if (m->flags & PROTO_ROTATE_PRINT)
			extra = PROTO_FIELD_HDR + j->gen_len;
	}
	return queue_job(a, c, f, j, &m->ref, extra);
}

void
ops_queue_sweep(struct agent *a)
{
	struct wjob *j;

	if (a->sweep_queued)
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->type = OPS_JOB_SWEEP;
	j->peer.uid = a->uid;
	j->status = PROTO_OK;
	a->sweep_queued = true;
	writer_submit(a->writer, j);
}

static int
encode_reply(struct buf_writer *w, const struct wjob *j)
{
	struct proto_bytes msg = {(const uint8_t *)j->message, strlen(j->message)};

	if (j->type == PROTO_MSG_IMPORT)
		return transfer_encode_reply(w, j); /* counts whatever the status */
	if (j->status != PROTO_OK)
		return proto_encode_simple_reply(w, (uint8_t)(j->type | PROTO_REPLY_BIT), j->reqid,
						 j->status, j->message, msg.len);
	switch (j->type) {
	case PROTO_MSG_PUT: {
		struct proto_put_reply rep = {j->version, msg};

		return proto_encode_put_reply(w, j->reqid, &rep);
	}
	case PROTO_MSG_ROLLBACK: {
		/* A PUT reply's body under ROLLBACK's type. */
		size_t start = proto_reply_begin(w, PROTO_MSG_ROLLBACK, j->reqid, PROTO_OK);

		proto_put_u32(w, PROTO_TAG_VERSION, j->version);
		if (msg.len > 0)
			proto_put_string(w, PROTO_TAG_MESSAGE, msg.ptr, msg.len);
		return proto_frame_end(w, start);
	}
	case PROTO_MSG_KEYSLOT_ADD:
		return proto_encode_slot_reply(w, j->reqid, j->version);
	case PROTO_MSG_ROTATE: {
		struct proto_rotate_reply rep = {j->version, false, {NULL, 0}, msg};

		if (j->gen != NULL && (j->req.rotate.flags & PROTO_ROTATE_PRINT)) {
			rep.has_value = true;
			rep.value = (struct proto_bytes){j->gen, j->gen_len};
		}
		return proto_encode_rotate_reply(w, j->reqid, &rep);
	}
	default:
		return proto_encode_simple_reply(w, (uint8_t)(j->type | PROTO_REPLY_BIT), j->reqid,
						 PROTO_OK, j->message, msg.len);
	}
}

static void
sweep_done(struct agent *a, struct wjob *j)
{
	a->sweep_queued = false;
	if (j->status != PROTO_OK) {
		log_err("retention sweep failed: %s", j->message);
		return;
	}
	for (uint32_t i = 0; i < j->n_swept; i++) {
		struct proto_bytes name = {j->swept[i].name, j->swept[i].name_len};

		watch_notify(a, j->swept[i].owner, name, PROTO_EVENT_PURGED, 0,
			     PROTO_STATE_DELETED);
		usage_forget(a, j->swept[i].owner, name);
	}
	if (j->sweep_more)
		ops_queue_sweep(a);
}

void
ops_write_reply(struct agent *a, struct wjob *j)
{
	struct conn *c = j->conn;
	struct buf_writer w;

	if (c == NULL) {
		if (j->type == OPS_JOB_REKEY)
			rekey_batch_done(a, j);
		else if (j->type == OPS_JOB_AUDIT)
			audit_flush_done(a, j);
		else
			sweep_done(a, j);
		job_free(a, j);
		return;
	}
	/* What made no change is recorded through the loop's queue. */
	if (j->status != PROTO_OK || !j->audited)
		audit_job_note(a, j);
	if (j->status == PROTO_OK && j->type == PROTO_MSG_PURGE && !j->req.versioned.has_version)
		usage_forget(a, j->owner, j->name);
	if (j->type == PROTO_MSG_REKEY && j->status == PROTO_OK) {
		/* The connection waits for the last batch (rekey.c answers). */
		rekey_started(a, j);
		job_free(a, j);
		return;
	}
	if (!c->dead) {
		size_t extra = j->gen != NULL && (j->req.rotate.flags & PROTO_ROTATE_PRINT)
				       ? PROTO_FIELD_HDR + j->gen_len
				       : 0;

		if (j->type == PROTO_MSG_IMPORT)
			extra = TRANSFER_IMPORT_REPLY_MAX - OPS_WRITE_REPLY_MAX;

		/* Space was reserved when the job was queued. */
		if (conn_reply_begin(a, c, OPS_WRITE_REPLY_MAX + extra, &w) < 0 ||
		    encode_reply(&w, j) < 0)
			abort();
		conn_reply_commit(c, &w);
	}
	/* After the reply, which used the space reserved for it. */
	if (j->status == PROTO_OK && j->event != 0)
		watch_notify(a, j->owner, j->name, j->event, j->version, j->state);
	if (j->status == PROTO_OK && j->type == PROTO_MSG_UNSHARE)
		watch_revalidate(a, j->owner);
	job_free(a, j);
	conn_resume(a, c);
}
