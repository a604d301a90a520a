/* SPDX-License-Identifier: MIT */
#include "proto/encoders.h"
#include "proto/proto.h"

/*
 * Encoders of export and import, and the writers of an export bundle's
 * chunk plaintext, by the rules of encode.c: ascending tag order, absent
 * optional fields left out. The requests' fields go in tag order, which
 * is not the order proto.h lists them in: EXPORT is PREFIX?, FLAGS?,
 * PASSPHRASE; IMPORT is FLAGS?, ENTRY*, PASSPHRASE?; the IMPORT reply
 * starts with MESSAGE?. A passphrase is written as given, never logged.
 */

int
proto_encode_export(struct buf_writer *w, uint32_t reqid, const struct proto_export *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_EXPORT, reqid);

	put_opt_string(w, PROTO_TAG_PREFIX, m->prefix);
	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	proto_put_bytes(w, PROTO_TAG_PASSPHRASE, m->passphrase.ptr, m->passphrase.len);
	return proto_frame_end(w, start);
}

int
proto_encode_export_reply(struct buf_writer *w, uint32_t reqid, const struct proto_export_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_EXPORT, reqid, PROTO_OK);

	proto_put_u64(w, PROTO_TAG_SECRETS, m->secrets);
	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

int
proto_encode_import(struct buf_writer *w, uint32_t reqid, const struct proto_import *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_IMPORT, reqid);

	if (m->flags != 0)
		proto_put_u32(w, PROTO_TAG_FLAGS, m->flags);
	put_span(w, &m->entries);
	if (m->has_passphrase)
		proto_put_bytes(w, PROTO_TAG_PASSPHRASE, m->passphrase.ptr, m->passphrase.len);
	return proto_frame_end(w, start);
}

/* One ENTRY group: NAME, TYPE?, EXPIRES?, LABEL*, VALUE. */
void
proto_put_import_entry(struct buf_writer *w, const struct proto_import_entry *e)
{
	size_t off = proto_group_begin(w, PROTO_TAG_ENTRY);

	proto_put_string(w, PROTO_TAG_NAME, e->name.ptr, e->name.len);
	put_opt_string(w, PROTO_TAG_TYPE, e->type);
	if (e->has_expires)
		proto_put_u64(w, PROTO_TAG_EXPIRES, e->expires);
	put_span(w, &e->labels);
	proto_put_bytes(w, PROTO_TAG_VALUE, e->value.ptr, e->value.len);
	proto_group_end(w, off);
}

int
proto_encode_import_reply(struct buf_writer *w, uint32_t reqid, uint16_t status,
			  const struct proto_import_reply *m)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_IMPORT, reqid, status);

	put_opt_string(w, PROTO_TAG_MESSAGE, m->message);
	proto_put_u32(w, PROTO_TAG_ADDED, m->added);
	proto_put_u32(w, PROTO_TAG_SKIPPED, m->skipped);
	proto_put_u32(w, PROTO_TAG_CONFLICTED, m->conflicted);
	put_span(w, &m->conflicts);
	return proto_frame_end(w, start);
}

void
proto_put_bundle_secret(struct buf_writer *w, const struct proto_bundle_secret *s)
{
	proto_put_string(w, PROTO_TAG_NAME, s->name.ptr, s->name.len);
	proto_put_u32(w, PROTO_TAG_VERSION, s->version);
	proto_put_string(w, PROTO_TAG_TYPE, s->type.ptr, s->type.len);
	proto_put_u32(w, PROTO_TAG_STATE, s->state);
	proto_put_u32(w, PROTO_TAG_MAX_VERSIONS, s->max_versions);
	if (s->has_expires)
		proto_put_u64(w, PROTO_TAG_EXPIRES, s->expires);
	proto_put_u64(w, PROTO_TAG_CREATED, s->created);
	proto_put_u64(w, PROTO_TAG_UPDATED, s->updated);
	put_span(w, &s->labels);
	put_span(w, &s->versions);
	put_quota(w, s->quota, s->quota_period);
}

/* One VERSIONS group: VERSION, CREATED, CREATED_BY, VALUE. */
void
proto_put_bundle_version(struct buf_writer *w, const struct proto_bundle_version *v)
{
	size_t off = proto_group_begin(w, PROTO_TAG_VERSIONS);

	proto_put_u32(w, PROTO_TAG_VERSION, v->version);
	proto_put_u64(w, PROTO_TAG_CREATED, v->created);
	proto_put_u32(w, PROTO_TAG_CREATED_BY, v->created_by);
	proto_put_bytes(w, PROTO_TAG_VALUE, v->value.ptr, v->value.len);
	proto_group_end(w, off);
}

void
proto_put_bundle_trailer(struct buf_writer *w, uint64_t secrets)
{
	proto_put_u64(w, PROTO_TAG_SECRETS, secrets);
}
