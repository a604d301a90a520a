/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "record.h"

#define RECORD_FORMAT 2u
#define FIXED_SIZE (1u + SEAL_ID_SIZE + 3u * 4u + 4u * 8u)

int
record_decode(const struct keys *k, const uint8_t *key, size_t key_len, struct proto_bytes val,
	      struct meta_rec *ret)
{
	return record_decode_cached(k, NULL, key, key_len, val, ret);
}

int
record_decode_cached(const struct keys *k, struct seal_cache *cache, const uint8_t *key,
		     size_t key_len, struct proto_bytes val, struct meta_rec *ret)
{
	struct buf_reader r;
	const uint8_t *p;
	uint8_t fmt, tlen, period = 0, mlen = 0;
	uint32_t llen, nv;

	if (val.len < FIXED_SIZE + SEAL_MAC_SIZE)
		return -EBADMSG;
	if (seal_mac_verify_cached(k, cache, "meta", key, key_len, val.ptr,
				   val.len - SEAL_MAC_SIZE, val.ptr + val.len - SEAL_MAC_SIZE) < 0)
		return -EBADMSG;
	buf_reader_init(&r, val.ptr, val.len - SEAL_MAC_SIZE);
	memset(ret, 0, sizeof(*ret));
	if (buf_get_u8(&r, &fmt) < 0 || fmt < 1 || fmt > RECORD_FORMAT ||
	    buf_get_bytes(&r, SEAL_ID_SIZE, &p) < 0)
		return -EBADMSG;
	memcpy(ret->id, p, SEAL_ID_SIZE);
	if (buf_get_u32(&r, &ret->version) < 0 || buf_get_u32(&r, &ret->state) < 0 ||
	    buf_get_u32(&r, &ret->max_versions) < 0 || buf_get_u64(&r, &ret->created) < 0 ||
	    buf_get_u64(&r, &ret->updated) < 0 || buf_get_u64(&r, &ret->deleted) < 0 ||
	    buf_get_u64(&r, &ret->expires) < 0 || buf_get_u8(&r, &tlen) < 0 ||
	    buf_get_bytes(&r, tlen, &ret->type.ptr) < 0 || buf_get_u32(&r, &llen) < 0 ||
	    buf_get_u32(&r, &ret->labels.count) < 0 ||
	    buf_get_bytes(&r, llen, &ret->labels.raw.ptr) < 0 || buf_get_u32(&r, &nv) < 0 ||
	    nv > buf_remaining(&r) / RECORD_VERSION_ENTRY ||
	    buf_get_bytes(&r, (size_t)nv * RECORD_VERSION_ENTRY, &ret->versions) < 0)
		return -EBADMSG;
	if (fmt >= 2 &&
	    (buf_get_u32(&r, &ret->quota) < 0 || buf_get_u8(&r, &period) < 0 ||
	     buf_get_u8(&r, &ret->verify_status) < 0 || buf_get_u64(&r, &ret->verify_time) < 0 ||
	     buf_get_u8(&r, &mlen) < 0 || buf_get_bytes(&r, mlen, &ret->verify_msg.ptr) < 0 ||
	     period > PROTO_PERIOD_MAX || (period == 0) != (ret->quota == 0)))
		return -EBADMSG;
	if (buf_remaining(&r) != 0)
		return -EBADMSG;
	ret->quota_period = period;
	ret->verify_msg.len = mlen;
	ret->type.len = tlen;
	ret->labels.raw.len = llen;
	ret->n_versions = nv;
	return 0;
}

size_t
record_size(const struct meta_rec *m)
{
	return FIXED_SIZE + 1 + m->type.len + 8 + m->labels.raw.len + 4 +
	       (size_t)m->n_versions * RECORD_VERSION_ENTRY + 4 + 1 + 1 + 8 + 1 +
	       m->verify_msg.len + SEAL_MAC_SIZE;
}

void
record_encode(const struct keys *k, const uint8_t *key, size_t key_len, const struct meta_rec *m,
	      uint8_t *out)
{
	struct buf_writer w;
	size_t n = record_size(m) - SEAL_MAC_SIZE;

	buf_writer_init(&w, out, n);
	buf_put_u8(&w, RECORD_FORMAT);
	buf_put_bytes(&w, m->id, SEAL_ID_SIZE);
	buf_put_u32(&w, m->version);
	buf_put_u32(&w, m->state);
	buf_put_u32(&w, m->max_versions);
	buf_put_u64(&w, m->created);
	buf_put_u64(&w, m->updated);
	buf_put_u64(&w, m->deleted);
	buf_put_u64(&w, m->expires);
	buf_put_u8(&w, (uint8_t)m->type.len);
	buf_put_bytes(&w, m->type.ptr, m->type.len);
	buf_put_u32(&w, (uint32_t)m->labels.raw.len);
	buf_put_u32(&w, m->labels.count);
	buf_put_bytes(&w, m->labels.raw.ptr, m->labels.raw.len);
	buf_put_u32(&w, m->n_versions);
	buf_put_bytes(&w, m->versions, (size_t)m->n_versions * RECORD_VERSION_ENTRY);
	buf_put_u32(&w, m->quota);
	buf_put_u8(&w, (uint8_t)m->quota_period);
	buf_put_u8(&w, m->verify_status);
	buf_put_u64(&w, m->verify_time);
	buf_put_u8(&w, (uint8_t)m->verify_msg.len);
	buf_put_bytes(&w, m->verify_msg.ptr, m->verify_msg.len);
	if (m->verify_msg.len > 255)
		abort();
	if (buf_writer_error(&w) != 0 || w.len != n)
		abort();
	seal_mac(k, "meta", key, key_len, out, n, out + n);
}

void
record_version_at(const struct meta_rec *m, uint32_t i, struct proto_version_info *ret)
{
	const uint8_t *p = m->versions + (size_t)i * RECORD_VERSION_ENTRY;

	ret->version = buf_load_u32(p);
	ret->created = buf_load_u64(p + 4);
	ret->created_by = buf_load_u32(p + 12);
}

bool
record_has_version(const struct meta_rec *m, uint32_t version)
{
	for (uint32_t i = 0; i < m->n_versions; i++)
		if (buf_load_u32(m->versions + (size_t)i * RECORD_VERSION_ENTRY) == version)
			return true;
	return false;
}

void
record_to_proto(const struct meta_rec *m, uint32_t owner, struct proto_bytes name,
		struct proto_meta *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->owner = owner;
	ret->name = name;
	ret->version = m->version;
	ret->type = m->type;
	ret->state = m->state;
	ret->max_versions = m->max_versions;
	ret->has_expires = m->expires != 0;
	ret->expires = m->expires;
	ret->created = m->created;
	ret->updated = m->updated;
	ret->has_deleted = m->deleted != 0;
	ret->deleted = m->deleted;
	ret->labels = m->labels;
	ret->quota = m->quota;
	ret->quota_period = m->quota_period;
	ret->verify_status = m->verify_status;
	ret->verify_time = m->verify_status != 0 ? m->verify_time : 0;
}
