/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/smem.h"
#include "typed.h"

#define GENERIC "generic"

bool
typed_is_generic(struct proto_bytes type)
{
	return type.len == 0 ||
	       (type.len == strlen(GENERIC) && memcmp(type.ptr, GENERIC, type.len) == 0);
}

uint16_t
typed_check(struct proto_bytes type, struct proto_bytes value, char *why, size_t whylen)
{
	const struct proto_type *t;

	if (typed_is_generic(type))
		return PROTO_OK;
	t = proto_type_lookup(type.ptr, type.len);
	if (t == NULL) {
		snprintf(why, whylen, "unknown type \"%.*s\"", (int)type.len,
			 (const char *)type.ptr);
		return PROTO_INVALID;
	}
	if (proto_typed_check(t, value, why, whylen) < 0)
		return PROTO_INVALID;
	return PROTO_OK;
}

/* One FIELD group's key and value (the set was checked). */
static void
field_parts(struct proto_bytes group, struct proto_bytes *key, struct proto_bytes *val)
{
	struct proto_list_span span = {group, 2};
	struct proto_iter it;

	*val = (struct proto_bytes){NULL, 0};
	proto_iter_init(&it, &span);
	if (proto_iter_next(&it, key) != 1)
		*key = (struct proto_bytes){NULL, 0};
	else if (proto_iter_next(&it, val) != 1)
		*val = (struct proto_bytes){NULL, 0};
}

int
typed_replace_primary(struct proto_bytes type, struct proto_bytes value, const uint8_t *nv,
		      size_t nvlen, uint8_t **ret, size_t *ret_len)
{
	const struct proto_type *t = proto_type_lookup(type.ptr, type.len);
	const struct proto_type_field *pf = t != NULL ? proto_type_primary(t) : NULL;
	struct proto_list_span span = {value, PROTO_TYPED_FIELDS_MAX};
	size_t plen, cap = value.len + nvlen + 2 * PROTO_FIELD_HDR + PROTO_FIELD_KEY_MAX + 16;
	struct proto_bytes g, key, val;
	struct proto_iter it;
	struct buf_writer w;
	bool done = false;
	uint8_t *out;

	if (pf == NULL)
		return -ENOENT;
	plen = strlen(pf->name);
	out = smem_alloc(cap);
	if (out == NULL)
		return -ENOMEM;
	buf_writer_init(&w, out, cap);
	proto_iter_init(&it, &span);
	/* Keys ascend: the primary goes in its place, replaced or added. */
	while (proto_iter_next(&it, &g) == 1) {
		int c;

		field_parts(g, &key, &val);
		c = memcmp(key.ptr, pf->name, key.len < plen ? key.len : plen);
		if (c == 0)
			c = key.len < plen ? -1 : key.len > plen ? 1 : 0;
		if (!done && c >= 0) {
			proto_put_typed_field(&w, pf->name, plen, nv, nvlen);
			done = true;
		}
		if (c != 0)
			proto_put_typed_field(&w, key.ptr, key.len, val.ptr, val.len);
	}
	if (!done)
		proto_put_typed_field(&w, pf->name, plen, nv, nvlen);
	if (buf_writer_error(&w) != 0) {
		smem_free(out);
		return -EBADMSG;
	}
	*ret = out;
	*ret_len = w.len;
	return 0;
}

int
typed_info_fields(struct proto_bytes type, struct proto_bytes value, struct proto_list_span *ret)
{
	const struct proto_type *t = proto_type_lookup(type.ptr, type.len);
	struct proto_list_span span = {value, PROTO_TYPED_FIELDS_MAX};
	struct proto_bytes g, key, val;
	struct proto_iter it;
	struct buf_writer w;
	uint32_t n = 0;
	uint8_t *out;

	if (t == NULL)
		return -EBADMSG;
	out = malloc(value.len + 1);
	if (out == NULL)
		return -ENOMEM;
	buf_writer_init(&w, out, value.len);
	proto_iter_init(&it, &span);
	while (proto_iter_next(&it, &g) == 1) {
		const struct proto_type_field *f;
		size_t grp;

		field_parts(g, &key, &val);
		f = proto_type_field(t, key.ptr, key.len);
		grp = proto_group_begin(&w, PROTO_TAG_FIELD);
		proto_put_string(&w, PROTO_TAG_FIELD_KEY, key.ptr, key.len);
		/* Unnamed fields are kept as they came, and shown. */
		if (f == NULL || !(f->flags & PROTO_FIELD_SECRET))
			proto_put_bytes(&w, PROTO_TAG_FIELD_VALUE, val.ptr, val.len);
		proto_group_end(&w, grp);
		n++;
	}
	if (buf_writer_error(&w) != 0) {
		free(out);
		return -EBADMSG;
	}
	*ret = (struct proto_list_span){{out, w.len}, n};
	return 0;
}
