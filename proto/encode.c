/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/encoders.h"
#include "proto/proto.h"

/*
 * Encoders write fields in ascending tag order and leave out absent
 * optional ones: a false has_* flag, a zero-length string or cursor, a
 * zero u32/u64 where proto.h says zero means "the default" (SHARED 0 among
 * them). Spans (labels, versions, grants, entries) are copied as the raw
 * field bytes they hold. The messages of export, import, audit and usage
 * are in encode-transfer.c and encode-audit.c.
 */

int
proto_encode_hello(struct buf_writer *w, uint32_t reqid, const struct proto_hello *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_HELLO, reqid);

	proto_put_u32(w, PROTO_TAG_PROTO_VERSION, m->version);
	if (m->features != 0)
		proto_put_u64(w, PROTO_TAG_FEATURES, m->features);
	return proto_frame_end(w, start);
}

int
proto_encode_hello_reply(struct buf_writer *w, uint32_t reqid, const struct proto_hello_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_HELLO, reqid, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_PROTO_VERSION, m->version);
	proto_put_u64(w, PROTO_TAG_FEATURES, m->features);
	proto_put_string(w, PROTO_TAG_AGENT_VERSION, m->agent_version.ptr, m->agent_version.len);
	proto_put_u32(w, PROTO_TAG_MODE, m->mode);
	proto_put_u32(w, PROTO_TAG_FRAME_MAX, m->frame_max);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

int
proto_encode_status(struct buf_writer *w, uint32_t reqid)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_STATUS, reqid);

	return proto_frame_end(w, start);
}

int
proto_encode_status_reply(struct buf_writer *w, uint32_t reqid, const struct proto_status_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_STATUS, reqid, PROTO_OK);

	proto_put_string(w, PROTO_TAG_AGENT_VERSION, m->agent_version.ptr, m->agent_version.len);
	proto_put_u32(w, PROTO_TAG_MODE, m->mode);
	proto_put_u32(w, PROTO_TAG_LOCKED, m->locked);
	proto_put_u64(w, PROTO_TAG_UPTIME, m->uptime);
	proto_put_u64(w, PROTO_TAG_SECRETS, m->secrets);
	proto_put_u64(w, PROTO_TAG_STORE_BYTES, m->store_bytes);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

int
proto_encode_put(struct buf_writer *w, uint32_t reqid, const struct proto_put *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_PUT, reqid);

	put_ref(w, &m->ref);
	put_opt_string(w, PROTO_TAG_TYPE, m->type);
	if (m->has_cas)
		proto_put_u32(w, PROTO_TAG_CAS, m->cas);
	if (m->has_max_versions)
		proto_put_u32(w, PROTO_TAG_MAX_VERSIONS, m->max_versions);
	if (m->has_expires)
		proto_put_u64(w, PROTO_TAG_EXPIRES, m->expires);
	put_span(w, &m->labels);
	proto_put_bytes(w, PROTO_TAG_VALUE, m->value.ptr, m->value.len);
	put_quota(w, m->quota, m->quota_period);
	return proto_frame_end(w, start);
}

int
proto_encode_put_reply(struct buf_writer *w, uint32_t reqid, const struct proto_put_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_PUT, reqid, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

int
proto_encode_get(struct buf_writer *w, uint32_t reqid, const struct proto_get *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_GET, reqid);

	put_ref(w, &m->ref);
	if (m->has_version)
		proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	return proto_frame_end(w, start);
}

int
proto_encode_get_reply(struct buf_writer *w, uint32_t reqid, const struct proto_get_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_GET, reqid, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	proto_put_string(w, PROTO_TAG_TYPE, m->type.ptr, m->type.len);
	proto_put_bytes(w, PROTO_TAG_VALUE, m->value.ptr, m->value.len);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

int
proto_encode_named(struct buf_writer *w, uint8_t type, uint32_t reqid, const struct proto_named *m)
{
	size_t start;

	switch (type) {
	case PROTO_MSG_INFO:
	case PROTO_MSG_DELETE:
	case PROTO_MSG_UNDELETE:
	case PROTO_MSG_DISABLE:
	case PROTO_MSG_ENABLE:
	case PROTO_MSG_WATCH:
	case PROTO_MSG_USAGE_RESET:
		break;
	default:
		return -EINVAL;
	}
	start = proto_frame_begin(w, type, reqid);
	put_ref(w, &m->ref);
	return proto_frame_end(w, start);
}

/* What follows SHARED in an INFO reply: MESSAGE, quota and usage, then a
 * typed secret's FIELD groups. A reader's identity belongs to its
 * LAST_READ, so it goes with it. */
static void
put_info_tail(struct buf_writer *w, const struct proto_meta *m)
{
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	put_quota(w, m->quota, m->quota_period);
	if (m->has_usage) {
		proto_put_u64(w, PROTO_TAG_READS, m->reads);
		proto_put_u64(w, PROTO_TAG_PERIOD_READS, m->period_reads);
	}
	if (m->has_last_read) {
		proto_put_u64(w, PROTO_TAG_LAST_READ, m->last_read);
		proto_put_u32(w, PROTO_TAG_READER_UID, m->reader_uid);
		proto_put_u32(w, PROTO_TAG_READER_PID, m->reader_pid);
		put_opt_string(w, PROTO_TAG_READER_COMM, m->reader_comm);
	}
	put_span(w, &m->fields);
}

/* The last fields of both: a verify result (status 0: never verified,
 * nothing written), its message in an INFO reply only. */
static void
put_verify(struct buf_writer *w, const struct proto_meta *m, bool info)
{
	if (m->verify_status == 0)
		return;
	proto_put_u32(w, PROTO_TAG_VERIFY_STATUS, m->verify_status);
	proto_put_u64(w, PROTO_TAG_VERIFY_TIME, m->verify_time);
	if (info)
		put_opt_string(w, PROTO_TAG_VERIFY_MESSAGE, m->verify_message);
}

void
proto_put_meta_fields(struct buf_writer *w, const struct proto_meta *m, bool with_versions)
{
	proto_put_u32(w, PROTO_TAG_OWNER, m->owner);
	proto_put_string(w, PROTO_TAG_NAME, m->name.ptr, m->name.len);
	proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	proto_put_string(w, PROTO_TAG_TYPE, m->type.ptr, m->type.len);
	proto_put_u32(w, PROTO_TAG_STATE, m->state);
	proto_put_u32(w, PROTO_TAG_MAX_VERSIONS, m->max_versions);
	if (m->has_expires)
		proto_put_u64(w, PROTO_TAG_EXPIRES, m->expires);
	proto_put_u64(w, PROTO_TAG_CREATED, m->created);
	proto_put_u64(w, PROTO_TAG_UPDATED, m->updated);
	if (m->has_deleted)
		proto_put_u64(w, PROTO_TAG_DELETED, m->deleted);
	put_span(w, &m->labels);
	if (with_versions) {
		put_span(w, &m->versions);
		put_span(w, &m->grants);
	}
	if (m->shared != 0)
		proto_put_u32(w, PROTO_TAG_SHARED, m->shared);
	if (with_versions)
		put_info_tail(w, m);
	put_verify(w, m, with_versions);
}

void
proto_put_meta_entry(struct buf_writer *w, const struct proto_meta *m)
{
	size_t off = proto_group_begin(w, PROTO_TAG_ENTRY);

	proto_put_meta_fields(w, m, false);
	proto_group_end(w, off);
}

int
proto_encode_info_reply(struct buf_writer *w, uint32_t reqid, const struct proto_meta *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_INFO, reqid, PROTO_OK);

	proto_put_meta_fields(w, m, true);
	return proto_frame_end(w, start);
}

int
proto_encode_list(struct buf_writer *w, uint32_t reqid, const struct proto_list *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_LIST, reqid);

	if (m->has_owner)
		proto_put_u32(w, PROTO_TAG_OWNER, m->owner);
	put_span(w, &m->labels);
	put_opt_string(w, PROTO_TAG_PREFIX, m->prefix);
	put_opt_bytes(w, PROTO_TAG_CURSOR, m->cursor);
	if (m->limit != 0)
		proto_put_u32(w, PROTO_TAG_LIMIT, m->limit);
	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	if (m->has_expiring)
		proto_put_u64(w, PROTO_TAG_EXPIRING, m->expiring);
	return proto_frame_end(w, start);
}

int
proto_encode_list_reply(struct buf_writer *w, uint32_t reqid, const struct proto_list_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_LIST, reqid, PROTO_OK);

	put_span(w, &m->entries);
	put_opt_bytes(w, PROTO_TAG_NEXT_CURSOR, m->cursor);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

/* GEN_LENGTH 0 means VALUE is given, and CHARSET 0 is the default, so
 * both are written only when not 0; VALUE is written by has_value, as an
 * empty value is a value. */
int
proto_encode_rotate(struct buf_writer *w, uint32_t reqid, const struct proto_rotate *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_ROTATE, reqid);

	put_ref(w, &m->ref);
	if (m->has_expires)
		proto_put_u64(w, PROTO_TAG_EXPIRES, m->expires);
	if (m->has_value)
		proto_put_bytes(w, PROTO_TAG_VALUE, m->value.ptr, m->value.len);
	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	if (m->gen_length != 0)
		proto_put_u32(w, PROTO_TAG_GEN_LENGTH, m->gen_length);
	if (m->charset != 0)
		proto_put_u32(w, PROTO_TAG_CHARSET, m->charset);
	return proto_frame_end(w, start);
}

int
proto_encode_rotate_reply(struct buf_writer *w, uint32_t reqid, const struct proto_rotate_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_ROTATE, reqid, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	if (m->has_value)
		proto_put_bytes(w, PROTO_TAG_VALUE, m->value.ptr, m->value.len);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

int
proto_encode_versioned(struct buf_writer *w, uint8_t type, uint32_t reqid,
		       const struct proto_versioned *m)
{
	size_t start;

	if (type != PROTO_MSG_ROLLBACK && type != PROTO_MSG_PURGE)
		return -EINVAL;
	start = proto_frame_begin(w, type, reqid);
	put_ref(w, &m->ref);
	if (m->has_version)
		proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	return proto_frame_end(w, start);
}

int
proto_encode_label(struct buf_writer *w, uint32_t reqid, const struct proto_label *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_LABEL, reqid);

	put_ref(w, &m->ref);
	put_span(w, &m->set);
	put_span(w, &m->remove);
	return proto_frame_end(w, start);
}

/* An event is reply-shaped: PROTO_MSG_EVENT already has the reply bit. */
int
proto_encode_event(struct buf_writer *w, uint32_t reqid, const struct proto_event_msg *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_EVENT, reqid, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	proto_put_u32(w, PROTO_TAG_STATE, m->state);
	proto_put_u32(w, PROTO_TAG_EVENT, m->event);
	return proto_frame_end(w, start);
}

void
proto_put_grant(struct buf_writer *w, const struct proto_grant *g)
{
	size_t off = proto_group_begin(w, PROTO_TAG_GRANT);

	proto_put_string(w, PROTO_TAG_NAME, g->name.ptr, g->name.len);
	proto_put_u64(w, PROTO_TAG_CREATED, g->created);
	proto_put_u32(w, PROTO_TAG_CREATED_BY, g->created_by);
	if (g->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, g->flags);
	proto_put_u32(w, g->is_gid ? PROTO_TAG_GRANTEE_GID : PROTO_TAG_GRANTEE_UID, g->grantee);
	proto_put_u32(w, PROTO_TAG_PERM, g->perm);
	proto_group_end(w, off);
}

/* SHARE always has PERM and UNSHARE never: an UNSHARE's perm is ignored. */
int
proto_encode_share(struct buf_writer *w, uint8_t type, uint32_t reqid, const struct proto_share *m)
{
	size_t start;

	if (type != PROTO_MSG_SHARE && type != PROTO_MSG_UNSHARE)
		return -EINVAL;
	start = proto_frame_begin(w, type, reqid);
	put_ref(w, &m->ref);
	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	proto_put_u32(w, m->is_gid ? PROTO_TAG_GRANTEE_GID : PROTO_TAG_GRANTEE_UID, m->grantee);
	if (type == PROTO_MSG_SHARE)
		proto_put_u32(w, PROTO_TAG_PERM, m->perm);
	return proto_frame_end(w, start);
}

/* Each type writes the fields of its own schema and no other: LOCK,
 * KEYSLOT_LIST and BACKUP nothing; required fields always (PASSWD's two
 * passphrases, KEYSLOT_ADD's kind, KEYSLOT_RM's slot), optional ones by
 * their has_* flag, REKEY's FLAGS when not 0. A passphrase is written as
 * given, never logged. */
int
proto_encode_keys(struct buf_writer *w, uint8_t type, uint32_t reqid,
		  const struct proto_keys_req *m)
{
	size_t start;

	switch (type) {
	case PROTO_MSG_LOCK:
	case PROTO_MSG_UNLOCK:
	case PROTO_MSG_PASSWD:
	case PROTO_MSG_KEYSLOT_LIST:
	case PROTO_MSG_KEYSLOT_ADD:
	case PROTO_MSG_KEYSLOT_RM:
	case PROTO_MSG_BACKUP:
	case PROTO_MSG_REKEY:
		break;
	default:
		return -EINVAL;
	}
	start = proto_frame_begin(w, type, reqid);
	switch (type) {
	case PROTO_MSG_UNLOCK:
	case PROTO_MSG_KEYSLOT_ADD:
		if (m->has_passphrase)
			proto_put_bytes(w, PROTO_TAG_PASSPHRASE, m->passphrase.ptr,
					m->passphrase.len);
		if (type == PROTO_MSG_KEYSLOT_ADD)
			proto_put_u32(w, PROTO_TAG_SLOT_KIND, m->slot_kind);
		break;
	case PROTO_MSG_PASSWD:
		proto_put_bytes(w, PROTO_TAG_PASSPHRASE, m->passphrase.ptr, m->passphrase.len);
		proto_put_bytes(w, PROTO_TAG_NEW_PASSPHRASE, m->new_passphrase.ptr,
				m->new_passphrase.len);
		if (m->has_slot)
			proto_put_u32(w, PROTO_TAG_SLOT, m->slot);
		break;
	case PROTO_MSG_KEYSLOT_RM:
		proto_put_u32(w, PROTO_TAG_SLOT, m->slot);
		break;
	case PROTO_MSG_REKEY:
		if (m->flags != 0)
			proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
		break;
	default:
		break;
	}
	return proto_frame_end(w, start);
}

int
proto_encode_slot_reply(struct buf_writer *w, uint32_t reqid, uint32_t slot)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_KEYSLOT_ADD, reqid, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_SLOT, slot);
	return proto_frame_end(w, start);
}

/* CREATED, SLOT, SLOT_KIND: ascending tags, all required. */
void
proto_put_keyslot(struct buf_writer *w, const struct proto_keyslot *s)
{
	size_t off = proto_group_begin(w, PROTO_TAG_KEYSLOT);

	proto_put_u64(w, PROTO_TAG_CREATED, s->created);
	proto_put_u32(w, PROTO_TAG_SLOT, s->slot);
	proto_put_u32(w, PROTO_TAG_SLOT_KIND, s->kind);
	proto_group_end(w, off);
}

int
proto_encode_simple_reply(struct buf_writer *w, uint8_t type, uint32_t reqid, uint16_t status,
			  const char *message, size_t message_len)
{
	size_t start = proto_reply_begin(w, type, reqid, status);

	if (message != NULL && message_len > 0)
		proto_put_string(w, PROTO_TAG_MESSAGE, message, message_len);
	return proto_frame_end(w, start);
}
