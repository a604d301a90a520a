/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/typed.h"

/*
 * Field sets: the VALUE of a typed secret, FIELD groups of FIELD_KEY and
 * FIELD_VALUE with strictly ascending keys. One walker reads them for
 * proto_typed_check(), proto_typed_get() and the INFO reply's FIELD
 * groups (whose FIELD_VALUE may be left out: a masked secret field).
 * The walker reads the bytes itself rather than through a schema so
 * that WHY can say what is wrong; it quotes keys (once they are known to
 * be [a-z0-9_]) and never a value.
 */

/* WHY: a bounded, always NUL-terminated message. */
struct why {
	char *p;
	size_t cap, len;
};

static void
why_init(struct why *w, char *p, size_t cap)
{
	*w = (struct why){.p = cap > 0 ? p : NULL, .cap = p != NULL ? cap : 0};
	if (w->cap > 0)
		w->p[0] = '\0';
}

static void
why_addn(struct why *w, const void *s, size_t n)
{
	size_t room;

	if (w->cap == 0)
		return;
	room = w->cap - 1 - w->len;
	if (n > room)
		n = room;
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void
why_add(struct why *w, const char *s)
{
	why_addn(w, s, strlen(s));
}

/* `field "KEY": ` */
static void
why_field(struct why *w, const void *key, size_t keylen)
{
	why_add(w, "field \"");
	why_addn(w, key, keylen);
	why_add(w, "\": ");
}

static bool
key_valid(struct proto_bytes k)
{
	size_t i;

	if (k.len == 0 || k.len > PROTO_FIELD_KEY_MAX)
		return false;
	for (i = 0; i < k.len; i++)
		if (!((k.ptr[i] >= 'a' && k.ptr[i] <= 'z') || (k.ptr[i] >= '0' && k.ptr[i] <= '9') ||
		      k.ptr[i] == '_'))
			return false;
	return true;
}

/* Bytewise, a proper prefix first. */
static int
key_cmp(struct proto_bytes a, struct proto_bytes b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;

	if (c != 0)
		return c;
	return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

/* One field header and its content. */
static int
get_field(struct buf_reader *r, uint8_t *ret_tag, uint8_t *ret_kind, struct proto_bytes *ret)
{
	const uint8_t *p;
	uint32_t len;

	if (buf_get_u8(r, ret_tag) < 0 || buf_get_u8(r, ret_kind) < 0 ||
	    buf_get_u32(r, &len) < 0 || buf_get_bytes(r, len, &p) < 0)
		return -EBADMSG;
	*ret = (struct proto_bytes){p, len};
	return 0;
}

struct walk {
	struct buf_reader r;
	bool masked_ok; /* FIELD_VALUE may be left out */
	uint32_t count;
	struct proto_bytes prev; /* the last key */
	struct why *why;
};

static void
walk_init(struct walk *w, struct proto_bytes raw, bool masked_ok, struct why *why)
{
	*w = (struct walk){.masked_ok = masked_ok, .why = why};
	buf_reader_init(&w->r, raw.ptr, raw.len);
}

/* A FIELD group's content: FIELD_KEY, then FIELD_VALUE (perhaps left out
 * when masked_ok), then nothing. */
static int
walk_group(struct walk *w, struct proto_bytes g, struct proto_bytes *ret_key,
	   struct proto_bytes *ret_val, bool *ret_has_val)
{
	struct buf_reader r;
	uint8_t tag, kind;

	buf_reader_init(&r, g.ptr, g.len);
	if (get_field(&r, &tag, &kind, ret_key) < 0 || tag != PROTO_TAG_FIELD_KEY ||
	    kind != PROTO_KIND_STRING) {
		why_add(w->why, "a FIELD group without a FIELD_KEY");
		return -EBADMSG;
	}
	if (!key_valid(*ret_key)) {
		why_add(w->why, "a field key that is not 1-64 bytes of [a-z0-9_]");
		return -EBADMSG;
	}
	*ret_has_val = buf_remaining(&r) > 0;
	*ret_val = (struct proto_bytes){NULL, 0};
	if (!*ret_has_val && !w->masked_ok) {
		why_field(w->why, ret_key->ptr, ret_key->len);
		why_add(w->why, "no FIELD_VALUE");
		return -EBADMSG;
	}
	if (*ret_has_val && (get_field(&r, &tag, &kind, ret_val) < 0 ||
			     tag != PROTO_TAG_FIELD_VALUE || kind != PROTO_KIND_BYTES ||
			     buf_remaining(&r) > 0)) {
		why_field(w->why, ret_key->ptr, ret_key->len);
		why_add(w->why, "not FIELD_KEY then FIELD_VALUE");
		return -EBADMSG;
	}
	return 0;
}

/* The next field: 1 with its key and value (has_val false: masked), 0 at
 * the end, -EBADMSG with WHY set. */
static int
walk_next(struct walk *w, struct proto_bytes *ret_key, struct proto_bytes *ret_val,
	  bool *ret_has_val)
{
	struct proto_bytes g;
	uint8_t tag, kind;
	int c;

	if (buf_remaining(&w->r) == 0)
		return 0;
	if (get_field(&w->r, &tag, &kind, &g) < 0) {
		why_add(w->why, "a field runs past the end of the field set");
		return -EBADMSG;
	}
	if (tag != PROTO_TAG_FIELD || kind != PROTO_KIND_GROUP) {
		why_add(w->why, "not a FIELD group");
		return -EBADMSG;
	}
	if (++w->count > PROTO_TYPED_FIELDS_MAX) {
		why_add(w->why, "more than 64 fields");
		return -EBADMSG;
	}
	if (walk_group(w, g, ret_key, ret_val, ret_has_val) < 0)
		return -EBADMSG;
	c = w->count > 1 ? key_cmp(w->prev, *ret_key) : -1;
	if (c == 0) {
		why_add(w->why, "duplicate field \"");
		why_addn(w->why, ret_key->ptr, ret_key->len);
		why_add(w->why, "\"");
		return -EBADMSG;
	}
	if (c > 0) {
		why_field(w->why, ret_key->ptr, ret_key->len);
		why_add(w->why, "keys not in ascending order");
		return -EBADMSG;
	}
	w->prev = *ret_key;
	return 1;
}

/* The whole field set: 0 with, when KEY is not NULL, *ret_found and *ret
 * set for it; or -EBADMSG. */
static int
walk_all(struct proto_bytes raw, bool masked_ok, struct why *why, const void *key,
	 size_t keylen, bool *ret_found, struct proto_bytes *ret)
{
	struct proto_bytes k, v;
	struct walk w;
	bool has_val;
	int r;

	walk_init(&w, raw, masked_ok, why);
	while ((r = walk_next(&w, &k, &v, &has_val)) == 1) {
		if (key != NULL && k.len == keylen && memcmp(k.ptr, key, keylen) == 0) {
			*ret_found = true;
			*ret = v;
		}
	}
	if (r < 0)
		return -EBADMSG;
	if (!masked_ok && w.count == 0) {
		why_add(why, "no fields");
		return -EBADMSG;
	}
	return 0;
}

int
proto_typed_span_check(struct proto_bytes raw)
{
	struct why why;

	why_init(&why, NULL, 0);
	return walk_all(raw, true, &why, NULL, 0, NULL, NULL);
}

int
proto_typed_get(struct proto_bytes value, const char *key, size_t keylen,
		struct proto_bytes *ret)
{
	struct proto_bytes v = {NULL, 0};
	bool found = false;
	struct why why;

	why_init(&why, NULL, 0);
	if (walk_all(value, false, &why, key, key != NULL ? keylen : 0, &found, &v) < 0)
		return -EBADMSG;
	if (!found)
		return 0;
	*ret = v;
	return 1;
}

int
proto_decode_typed_field(struct proto_bytes group, struct proto_bytes *ret_key,
			 struct proto_bytes *ret_value, bool *ret_has_value)
{
	struct proto_bytes k, v;
	struct walk w;
	struct why why;
	bool has_val;

	why_init(&why, NULL, 0);
	walk_init(&w, (struct proto_bytes){NULL, 0}, true, &why);
	if (walk_group(&w, group, &k, &v, &has_val) < 0)
		return -EBADMSG;
	*ret_key = k;
	*ret_value = v;
	*ret_has_value = has_val;
	return 0;
}

void
proto_put_typed_field(struct buf_writer *w, const void *key, size_t keylen, const void *val,
		      size_t vallen)
{
	size_t off = proto_group_begin(w, PROTO_TAG_FIELD);

	proto_put_string(w, PROTO_TAG_FIELD_KEY, key, keylen);
	proto_put_bytes(w, PROTO_TAG_FIELD_VALUE, val, vallen);
	proto_group_end(w, off);
}

void
proto_put_masked_field(struct buf_writer *w, const void *key, size_t keylen)
{
	size_t off = proto_group_begin(w, PROTO_TAG_FIELD);

	proto_put_string(w, PROTO_TAG_FIELD_KEY, key, keylen);
	proto_group_end(w, off);
}

/* ---- the type's rules ---- */

/* The length of the UTF-8 sequence at P[0..N) (1-4), 0 if it is not one:
 * no overlong forms, surrogates or code points past U+10FFFF. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len, i;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static bool
text_ok(struct proto_bytes v)
{
	size_t i = 0, k;

	while (i < v.len) {
		if (v.ptr[i] < 0x20 || v.ptr[i] == 0x7f)
			return false;
		k = utf8_seq(v.ptr + i, v.len - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Decimal 1-65535: digits only, no sign, space or leading zero. */
static bool
port_ok(struct proto_bytes v)
{
	uint32_t n = 0;
	size_t i;

	if (v.len == 0 || v.len > 5 || v.ptr[0] == '0')
		return false;
	for (i = 0; i < v.len; i++) {
		if (v.ptr[i] < '0' || v.ptr[i] > '9')
			return false;
		n = n * 10u + (uint32_t)(v.ptr[i] - '0');
	}
	return n >= 1 && n <= 65535;
}

static bool
one_of(struct proto_bytes v, const char *const *values)
{
	for (; values != NULL && *values != NULL; values++)
		if (strlen(*values) == v.len && memcmp(*values, v.ptr, v.len) == 0)
			return true;
	return false;
}

static const char *const bool_values[] = {"true", "false", NULL};

static void
why_one_of(struct why *why, const char *const *values)
{
	why_add(why, "not one of ");
	for (; values != NULL && *values != NULL; values++) {
		why_add(why, *values);
		if (values[1] != NULL)
			why_add(why, ", ");
	}
}

/* V against F's check: 0, or -EINVAL with WHY naming the field. */
static int
check_field(const struct proto_type_field *f, struct proto_bytes v, struct why *why)
{
	switch (f->check) {
	case PROTO_CHECK_TEXT:
		if (v.len == 0) {
			why_field(why, f->name, strlen(f->name));
			why_add(why, "empty");
			return -EINVAL;
		}
		if (!text_ok(v)) {
			why_field(why, f->name, strlen(f->name));
			why_add(why, "not UTF-8 text without control characters");
			return -EINVAL;
		}
		return 0;
	case PROTO_CHECK_PORT:
		if (!port_ok(v)) {
			why_field(why, f->name, strlen(f->name));
			why_add(why, "not a port number (1-65535)");
			return -EINVAL;
		}
		return 0;
	case PROTO_CHECK_ENUM:
	case PROTO_CHECK_BOOL:
		if (!one_of(v, f->check == PROTO_CHECK_BOOL ? bool_values : f->values)) {
			why_field(why, f->name, strlen(f->name));
			why_one_of(why, f->check == PROTO_CHECK_BOOL ? bool_values : f->values);
			return -EINVAL;
		}
		return 0;
	case PROTO_CHECK_BYTES:
	default:
		return 0;
	}
}

int
proto_typed_check(const struct proto_type *t, struct proto_bytes value, char *whybuf,
		  size_t whylen)
{
	const struct proto_type_field *f;
	struct proto_bytes v;
	struct why why;
	bool found;
	uint32_t i;

	why_init(&why, whybuf, whylen);
	if (t == NULL) {
		why_add(&why, "no type");
		return -EINVAL;
	}
	if (strcmp(t->name, "generic") == 0) {
		why_add(&why, "generic secrets have no fields");
		return -EINVAL;
	}
	if (walk_all(value, false, &why, NULL, 0, NULL, NULL) < 0)
		return -EBADMSG;
	for (i = 0; i < t->n_fields; i++) {
		f = &t->fields[i];
		found = false;
		/* Well formed, as just checked: only the lookup can differ. */
		if (walk_all(value, false, &why, f->name, strlen(f->name), &found, &v) < 0)
			return -EBADMSG;
		if (!found) {
			if ((f->flags & PROTO_FIELD_REQUIRED) == 0)
				continue;
			why_add(&why, "missing required field \"");
			why_add(&why, f->name);
			why_add(&why, "\"");
			return -EINVAL;
		}
		if (check_field(f, v, &why) < 0)
			return -EINVAL;
	}
	return 0;
}
