/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>

#include "proto/proto.h"

/*
 * Framing and the low-level field writers. The length prefix is checked
 * against the caller's limit before anything else, so a peer cannot make
 * us buffer more than one frame's worth of bytes.
 */

int
proto_frame_parse(const uint8_t *p, size_t n, uint32_t max, bool reply,
		  struct proto_frame *ret)
{
	struct proto_frame f = {0};
	struct buf_reader r;
	uint32_t len, min;

	min = (reply ? PROTO_REPLY_HDR : PROTO_REQ_HDR) - PROTO_LEN_SIZE;
	if (p == NULL || n < PROTO_LEN_SIZE)
		return 0;
	len = buf_load_u32(p);
	/* The return value counts the prefix too, and must fit an int. */
	if (len > max || len > (uint32_t)INT_MAX - PROTO_LEN_SIZE)
		return -EMSGSIZE;
	if (len < min)
		return -EBADMSG;
	if (n - PROTO_LEN_SIZE < len)
		return 0;

	buf_reader_init(&r, p + PROTO_LEN_SIZE, len);
	if (buf_get_u8(&r, &f.type) < 0 || buf_get_u32(&r, &f.reqid) < 0)
		return -EBADMSG;
	if (reply && buf_get_u16(&r, &f.status) < 0)
		return -EBADMSG;
	f.body.ptr = r.data + r.pos;
	f.body.len = buf_remaining(&r);
	*ret = f;
	return (int)(len + PROTO_LEN_SIZE);
}

size_t
proto_frame_begin(struct buf_writer *w, uint8_t type, uint32_t reqid)
{
	size_t start = w->len;

	buf_put_u32(w, 0); /* patched by proto_frame_end() */
	buf_put_u8(w, type);
	buf_put_u32(w, reqid);
	return start;
}

size_t
proto_reply_begin(struct buf_writer *w, uint8_t type, uint32_t reqid, uint16_t status)
{
	size_t start;

	start = proto_frame_begin(w, (uint8_t)(type | PROTO_REPLY_BIT), reqid);
	buf_put_u16(w, status);
	return start;
}

int
proto_frame_end(struct buf_writer *w, size_t start)
{
	size_t len;
	int r;

	r = buf_writer_error(w);
	if (r < 0)
		return r;
	if (start > w->len || w->len - start < PROTO_REQ_HDR)
		return -EINVAL;
	len = w->len - start - PROTO_LEN_SIZE;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	buf_patch_u32(w, start, (uint32_t)len);
	return 0;
}

/* A length that does not fit the u32 on the wire poisons the writer like
 * any other overflow. */
static void
put_field_header(struct buf_writer *w, uint8_t tag, uint8_t kind, size_t len)
{
	if (len > UINT32_MAX) {
		if (w->err == 0)
			w->err = -ENOSPC;
		return;
	}
	buf_put_u8(w, tag);
	buf_put_u8(w, kind);
	buf_put_u32(w, (uint32_t)len);
}

void
proto_put_u32(struct buf_writer *w, uint8_t tag, uint32_t v)
{
	put_field_header(w, tag, PROTO_KIND_U32, 4);
	buf_put_u32(w, v);
}

void
proto_put_u64(struct buf_writer *w, uint8_t tag, uint64_t v)
{
	put_field_header(w, tag, PROTO_KIND_U64, 8);
	buf_put_u64(w, v);
}

void
proto_put_bytes(struct buf_writer *w, uint8_t tag, const void *p, size_t len)
{
	put_field_header(w, tag, PROTO_KIND_BYTES, len);
	buf_put_bytes(w, p, len);
}

void
proto_put_string(struct buf_writer *w, uint8_t tag, const void *p, size_t len)
{
	put_field_header(w, tag, PROTO_KIND_STRING, len);
	buf_put_bytes(w, p, len);
}

uint8_t *
proto_put_reserve(struct buf_writer *w, uint8_t tag, size_t len)
{
	put_field_header(w, tag, PROTO_KIND_BYTES, len);
	return buf_reserve(w, len);
}

/* Returns the offset of the group's field header. */
size_t
proto_group_begin(struct buf_writer *w, uint8_t tag)
{
	size_t off = w->len;

	put_field_header(w, tag, PROTO_KIND_GROUP, 0);
	return off;
}

void
proto_group_end(struct buf_writer *w, size_t off)
{
	size_t len;

	if (w->err != 0 || off > w->len || w->len - off < PROTO_FIELD_HDR)
		return;
	len = w->len - off - PROTO_FIELD_HDR;
	if (len > UINT32_MAX) {
		w->err = -ENOSPC;
		return;
	}
	buf_patch_u32(w, off + 2, (uint32_t)len);
}

void
proto_iter_init(struct proto_iter *it, const struct proto_list_span *span)
{
	buf_reader_init(&it->r, span->raw.ptr, span->raw.len);
}

int
proto_iter_next(struct proto_iter *it, struct proto_bytes *ret)
{
	const uint8_t *p;
	uint8_t tag, kind;
	uint32_t len;

	if (buf_remaining(&it->r) == 0)
		return 0;
	/* Validated spans never fail here; a hand-made broken one just ends. */
	if (buf_get_u8(&it->r, &tag) < 0 || buf_get_u8(&it->r, &kind) < 0 ||
	    buf_get_u32(&it->r, &len) < 0 || buf_get_bytes(&it->r, len, &p) < 0) {
		it->r.pos = it->r.len;
		return 0;
	}
	ret->ptr = p;
	ret->len = len;
	return 1;
}
