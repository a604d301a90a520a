/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "proto/fields.h"

static const struct proto_spec *
spec_find(const struct proto_schema *s, size_t from, uint8_t tag, size_t *ret_i)
{
	size_t i;

	/* Tags ascend, so a tag below the current one was already passed. */
	for (i = from; i < s->n; i++) {
		if (s->specs[i].tag == tag) {
			*ret_i = i;
			return &s->specs[i];
		}
		if (s->specs[i].tag > tag)
			break;
	}
	return NULL;
}

static int
check_group(const struct proto_spec *sp, const uint8_t *p, uint32_t len)
{
	struct proto_slot slots[PROTO_SCHEMA_MAX];
	struct proto_bytes content = {p, len};

	if (sp->group == NULL)
		return -EBADMSG;
	return proto_fields_parse(content, sp->group, slots);
}

static int
check_u32(const struct proto_spec *sp, const uint8_t *p, uint32_t len)
{
	uint32_t v;

	if (len != 4)
		return -EBADMSG;
	v = buf_load_u32(p);
	if ((sp->flags & PROTO_F_BITS) != 0)
		return (v & ~sp->max) != 0 ? -EBADMSG : 0;
	return v > sp->max ? -EBADMSG : 0;
}

static int
check_content(const struct proto_spec *sp, uint8_t kind, const uint8_t *p, uint32_t len)
{
	if (kind != sp->kind)
		return -EBADMSG;
	switch (sp->kind) {
	case PROTO_KIND_U32:
		return check_u32(sp, p, len);
	case PROTO_KIND_U64:
		return len != 8 ? -EBADMSG : 0;
	case PROTO_KIND_STRING:
		if (len > 0 && memchr(p, 0, len) != NULL)
			return -EBADMSG;
		break;
	case PROTO_KIND_BYTES:
		break;
	case PROTO_KIND_GROUP:
		return check_group(sp, p, len);
	default:
		return -EBADMSG;
	}
	if (len > sp->max)
		return -EBADMSG;
	if ((sp->flags & PROTO_F_NONEMPTY) != 0 && len == 0)
		return -EBADMSG;
	return 0;
}

/* Record one occurrence. Repeats are consecutive, so the span grows by
 * exactly the field just read. */
static int
slot_add(struct proto_slot *slot, const struct proto_spec *sp, const uint8_t *field,
	 size_t field_len, const uint8_t *p, uint32_t len)
{
	if (!slot->present) {
		slot->present = true;
		slot->val.ptr = p;
		slot->val.len = len;
		slot->span.raw.ptr = field;
		slot->span.raw.len = field_len;
		slot->span.count = 1;
		return 0;
	}
	if ((sp->flags & PROTO_F_REPEAT) == 0 || slot->span.count >= sp->max_count)
		return -EBADMSG;
	slot->span.raw.len += field_len;
	slot->span.count++;
	return 0;
}

static int
check_required(const struct proto_schema *s, const struct proto_slot *slots)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((s->specs[i].flags & PROTO_F_REQUIRED) != 0 && !slots[i].present)
			return -EBADMSG;
	return 0;
}

int
proto_fields_parse(struct proto_bytes body, const struct proto_schema *s,
		   struct proto_slot *slots)
{
	const struct proto_spec *sp = NULL;
	struct buf_reader r;
	size_t i, cur = 0, start;
	const uint8_t *p;
	uint8_t tag, kind;
	uint32_t len;

	if (s->n > PROTO_SCHEMA_MAX)
		return -EBADMSG;
	for (i = 0; i < s->n; i++)
		slots[i] = (struct proto_slot){0};

	buf_reader_init(&r, body.ptr, body.len);
	while (buf_remaining(&r) > 0) {
		start = r.pos;
		if (buf_get_u8(&r, &tag) < 0 || buf_get_u8(&r, &kind) < 0 ||
		    buf_get_u32(&r, &len) < 0 || buf_get_bytes(&r, len, &p) < 0)
			return -EBADMSG;
		/* A new tag must be above the last one; an equal tag is a
		 * repeat, which slot_add() allows only for repeatable ones. */
		if (sp == NULL || tag != sp->tag) {
			if (sp != NULL && tag < sp->tag)
				return -EBADMSG;
			sp = spec_find(s, cur, tag, &cur);
			if (sp == NULL)
				return -EBADMSG;
		}
		if (check_content(sp, kind, p, len) < 0)
			return -EBADMSG;
		if (slot_add(&slots[cur], sp, r.data + start, r.pos - start, p, len) < 0)
			return -EBADMSG;
	}
	return check_required(s, slots);
}

uint32_t
proto_slot_u32(const struct proto_slot *s)
{
	return s->present && s->val.len == 4 ? buf_load_u32(s->val.ptr) : 0;
}

uint64_t
proto_slot_u64(const struct proto_slot *s)
{
	return s->present && s->val.len == 8 ? buf_load_u64(s->val.ptr) : 0;
}
