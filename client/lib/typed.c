/* SPDX-License-Identifier: MIT */
/* Typed secrets: the type registry, field sets and picking one field. */

#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

/* ---- the registry (proto/'s table) ---- */

static const struct proto_type *
type_find(const char *type)
{
	if (type == NULL)
		return NULL;
	return proto_type_lookup(type, strlen(type));
}

const char *
cred_type_at(size_t i)
{
	const struct proto_type *t = proto_type_at(i);

	return t != NULL ? t->name : NULL;
}

int
cred_type_known(const char *type)
{
	return type_find(type) != NULL;
}

static void
field_out(const struct proto_type_field *pf, struct cred_type_field *ret)
{
	if (ret == NULL)
		return;
	*ret = (struct cred_type_field){
	        .name = pf->name,
	        .flags = ((pf->flags & PROTO_FIELD_REQUIRED) ? CRED_FIELD_REQUIRED : 0u) |
	                 ((pf->flags & PROTO_FIELD_SECRET) ? CRED_FIELD_SECRET : 0u),
	        .check = (int)pf->check,
	        .def = pf->def,
	        .values = pf->check == PROTO_CHECK_ENUM ? pf->values : NULL,
	};
}

int
cred_type_field_at(const char *type, size_t i, struct cred_type_field *ret)
{
	const struct proto_type *t = type_find(type);

	if (t == NULL || i >= t->n_fields)
		return 0;
	field_out(&t->fields[i], ret);
	return 1;
}

int
cred_type_lookup(const char *type, const char *field, struct cred_type_field *ret)
{
	const struct proto_type *t = type_find(type);
	const struct proto_type_field *pf;

	if (t == NULL || field == NULL)
		return 0;
	pf = proto_type_field(t, field, strlen(field));
	if (pf == NULL)
		return 0;
	field_out(pf, ret);
	return 1;
}

const char *
cred_type_primary(const char *type)
{
	const struct proto_type *t = type_find(type);
	const struct proto_type_field *pf;

	if (t == NULL)
		return NULL;
	pf = proto_type_primary(t);
	if (pf != NULL)
		return pf->name;
	return strcmp(type, "generic") == 0 ? "value" : NULL;
}

/* ---- field sets ---- */

bool
libcred_field_key_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CRED_FIELD_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

void
cred_buf_free(void *p, size_t len)
{
	if (p != NULL)
		zero_free(p, len);
}

void
cred_str_free(char *s)
{
	if (s != NULL)
		zero_free(s, strlen(s) + 1);
}

static void
field_clear(struct cred_field *fl)
{
	free(fl->key);
	if (fl->value != NULL)
		zero_free(fl->value, fl->len + 1);
	*fl = (struct cred_field){0};
}

void
cred_fields_free(struct cred_fields *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		field_clear(&f->items[i]);
	free(f->items);
	free(f);
}

int
cred_fields_new(struct cred_fields **ret)
{
	if (ret == NULL)
		return -CRED_E_USAGE;
	*ret = calloc(1, sizeof(**ret));
	return *ret != NULL ? 0 : -CRED_E_NOMEM;
}

/* Where KEY (N bytes) is in F, or where it would go: *ret_found says. */
static size_t
field_pos(const struct cred_fields *f, const char *key, size_t n, bool *ret_found)
{
	size_t lo = 0, hi = f->n, mid, kl;
	int c;

	*ret_found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		kl = strlen(f->items[mid].key);
		c = memcmp(f->items[mid].key, key, kl < n ? kl : n);
		if (c == 0)
			c = kl < n ? -1 : kl > n ? 1 : 0;
		if (c == 0) {
			*ret_found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A copy of VALUE in a block of its own with a NUL after it; P NULL and
 * LEN 0 give an empty value. */
static uint8_t *
value_dup(const void *p, size_t len)
{
	uint8_t *v = malloc(len + 1);

	if (v == NULL)
		return NULL;
	if (len > 0)
		memcpy(v, p, len);
	v[len] = '\0';
	return v;
}

/* Inserts an empty slot for KEY (N bytes) at POS. */
static int
field_insert(struct cred_fields *f, size_t pos, const char *key, size_t n)
{
	struct cred_field *items;
	char *k;

	if (f->n >= CRED_FIELDS_MAX)
		return -CRED_E_USAGE;
	k = strndup(key, n);
	if (k == NULL)
		return -CRED_E_NOMEM;
	/* Keys, pointers and lengths only: no value moves with realloc. */
	items = reallocarray(f->items, f->n + 1, sizeof(*items));
	if (items == NULL) {
		free(k);
		return -CRED_E_NOMEM;
	}
	f->items = items;
	memmove(&items[pos + 1], &items[pos], (f->n - pos) * sizeof(*items));
	items[pos] = (struct cred_field){.key = k};
	f->n++;
	return 0;
}

/* Sets KEY (N bytes) to VALUE, or masks it when MASKED. */
static int
field_set(struct cred_fields *f, const char *key, size_t n, const void *value, size_t len,
          bool masked)
{
	struct cred_field *fl;
	uint8_t *v = NULL;
	size_t pos;
	bool found;
	int r;

	if (!libcred_field_key_valid(key, n) || (value == NULL && len > 0))
		return -CRED_E_USAGE;
	if (!masked && (v = value_dup(value, len)) == NULL)
		return -CRED_E_NOMEM;
	pos = field_pos(f, key, n, &found);
	if (!found && (r = field_insert(f, pos, key, n)) < 0) {
		if (v != NULL)
			zero_free(v, len + 1);
		return r;
	}
	fl = &f->items[pos];
	if (fl->value != NULL)
		zero_free(fl->value, fl->len + 1);
	fl->value = v;
	fl->len = masked ? 0 : len;
	return 0;
}

int
cred_fields_set(struct cred_fields *f, const char *key, const void *value, size_t len)
{
	if (f == NULL || key == NULL)
		return -CRED_E_USAGE;
	return field_set(f, key, strlen(key), value, len, false);
}

int
cred_fields_unset(struct cred_fields *f, const char *key)
{
	size_t pos;
	bool found;

	if (f == NULL || key == NULL)
		return 0;
	pos = field_pos(f, key, strlen(key), &found);
	if (!found)
		return 0;
	field_clear(&f->items[pos]);
	memmove(&f->items[pos], &f->items[pos + 1], (f->n - pos - 1) * sizeof(f->items[0]));
	f->n--;
	return 1;
}

int
cred_fields_get(const struct cred_fields *f, const char *key, const char *type,
                const uint8_t **ret, size_t *ret_len)
{
	struct cred_type_field tf;
	size_t pos;
	bool found;

	if (f == NULL || key == NULL || ret == NULL || ret_len == NULL)
		return -CRED_E_USAGE;
	pos = field_pos(f, key, strlen(key), &found);
	if (found) {
		*ret = f->items[pos].value;
		*ret_len = f->items[pos].len;
		return 1;
	}
	if (type != NULL && cred_type_lookup(type, key, &tf) == 1 && tf.def != NULL) {
		*ret = (const uint8_t *)tf.def;
		*ret_len = strlen(tf.def);
		return 1;
	}
	return 0;
}

/* One field header: TAG, KIND and the content borrowed into *ret. */
static bool
get_field(struct buf_reader *r, uint8_t tag, uint8_t kind, struct proto_bytes *ret)
{
	uint8_t t, k;
	uint32_t n;
	const uint8_t *p;

	if (buf_get_u8(r, &t) < 0 || buf_get_u8(r, &k) < 0 || buf_get_u32(r, &n) < 0 ||
	    t != tag || k != kind || n > buf_remaining(r) || buf_get_bytes(r, n, &p) < 0)
		return false;
	*ret = (struct proto_bytes){.ptr = p, .len = n};
	return true;
}

/* One FIELD group's content into F (no FIELD_VALUE: masked, only when
 * ALLOW_MASKED). Keys must ascend after *PREV. */
static int
group_parse(struct proto_bytes g, bool allow_masked, struct proto_bytes *prev,
            struct cred_fields *f)
{
	struct proto_bytes key, val;
	bool has_val;
	size_t n;
	int c;

	if (proto_decode_typed_field(g, &key, &val, &has_val) < 0 ||
	    !libcred_field_key_valid((const char *)key.ptr, key.len) ||
	    (!has_val && !allow_masked))
		return -CRED_E_INVALID;
	/* Strictly ascending bytewise: no repeats, one canonical form. */
	if (prev->ptr != NULL) {
		n = prev->len < key.len ? prev->len : key.len;
		c = memcmp(prev->ptr, key.ptr, n);
		if (c > 0 || (c == 0 && prev->len >= key.len))
			return -CRED_E_INVALID;
	}
	*prev = key;
	return field_set(f, (const char *)key.ptr, key.len, val.ptr, val.len, !has_val);
}

int
libcred_fields_parse(struct proto_bytes value, bool allow_masked, struct cred_fields **ret)
{
	struct proto_bytes g, prev = {0};
	struct cred_fields *f;
	struct buf_reader r;
	int rc = 0;

	if (value.len == 0)
		return -CRED_E_INVALID;
	if (cred_fields_new(&f) < 0)
		return -CRED_E_NOMEM;
	buf_reader_init(&r, value.ptr, value.len);
	while (rc == 0 && buf_remaining(&r) > 0) {
		if (f->n >= CRED_FIELDS_MAX || !get_field(&r, PROTO_TAG_FIELD, PROTO_KIND_GROUP, &g))
			rc = -CRED_E_INVALID;
		else
			rc = group_parse(g, allow_masked, &prev, f);
	}
	if (rc < 0) {
		cred_fields_free(f);
		/* A key the parser took as malformed is the input's fault. */
		return rc == -CRED_E_USAGE ? -CRED_E_INVALID : rc;
	}
	*ret = f;
	return 0;
}

int
cred_fields_decode(const void *value, size_t len, struct cred_fields **ret)
{
	if (ret == NULL || (value == NULL && len > 0))
		return -CRED_E_USAGE;
	return libcred_fields_parse((struct proto_bytes){.ptr = value, .len = len}, false, ret);
}

static int
fields_write(const struct cred_fields *f, struct buf_writer *w)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		proto_put_typed_field(w, f->items[i].key, strlen(f->items[i].key),
		                      f->items[i].value, f->items[i].len);
	return buf_writer_error(w) < 0 ? -CRED_E_FAILED : 0;
}

/* F is sendable: 1 to CRED_FIELDS_MAX well-formed keys in strictly
 * ascending order (so no repeats), no masked value. */
static bool
fields_sendable(const struct cred_fields *f)
{
	const char *k, *prev = NULL;
	size_t i;

	if (f->n == 0 || f->n > CRED_FIELDS_MAX || f->items == NULL)
		return false;
	for (i = 0; i < f->n; i++) {
		k = f->items[i].key;
		if (k == NULL || f->items[i].value == NULL || !libcred_field_key_valid(k, strlen(k)))
			return false;
		if (prev != NULL && strcmp(prev, k) >= 0)
			return false;
		prev = k;
	}
	return true;
}

int
cred_fields_encode(const struct cred_fields *f, uint8_t **ret, size_t *ret_len)
{
	struct buf_writer w;
	uint8_t *buf;
	size_t n;

	if (f == NULL || ret == NULL || ret_len == NULL || !fields_sendable(f))
		return -CRED_E_USAGE;
	/* Counted first: the block holding the values is never grown. */
	buf_writer_init(&w, NULL, 0);
	if (fields_write(f, &w) < 0)
		return -CRED_E_FAILED;
	n = w.len;
	buf = malloc(n);
	if (buf == NULL)
		return -CRED_E_NOMEM;
	buf_writer_init(&w, buf, n);
	if (fields_write(f, &w) < 0 || w.len != n) {
		zero_free(buf, n);
		return -CRED_E_FAILED;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

/* ---- one field of a value ---- */

static int
value_field(const struct cred_value *v, const char *field, struct cred_value **ret,
            const char **ret_missing)
{
	struct proto_bytes val = {.ptr = v->data, .len = v->len};
	struct proto_bytes type = {.ptr = (const uint8_t *)v->type, .len = strlen(v->type)};
	struct cred_fields *f = NULL;
	const uint8_t *p;
	size_t n;
	int r;

	*ret_missing = field;
	if (strcmp(v->type, "generic") == 0) {
		if (field != NULL && strcmp(field, "value") != 0)
			return -CRED_E_NOT_FOUND;
		return libcred_value_new(val, type, v->version, ret);
	}
	if (field == NULL && (field = cred_type_primary(v->type)) == NULL)
		return -CRED_E_INVALID;
	*ret_missing = field;
	r = libcred_fields_parse(val, false, &f);
	if (r < 0)
		return r;
	r = cred_fields_get(f, field, v->type, &p, &n);
	if (r == 1) {
		r = libcred_value_new((struct proto_bytes){.ptr = p, .len = n}, type, v->version,
		                      ret);
	} else if (r == 0 && strcmp(field, "uri") == 0) {
		/* "uri", when no field has that name: the connection URI of
		 * the types that have one (cred run --env DATABASE_URL=REF#uri). */
		char *uri = NULL;

		r = cred_render_uri(v->type, f, &uri);
		if (r == 0) {
			r = libcred_value_new((struct proto_bytes){.ptr = (const uint8_t *)uri,
			                                           .len = strlen(uri)},
			                      type, v->version, ret);
			cred_str_free(uri);
		} else if (r == -CRED_E_USAGE) {
			r = -CRED_E_NOT_FOUND; /* a type without a URI */
		}
	} else if (r == 0) {
		r = -CRED_E_NOT_FOUND;
	}
	cred_fields_free(f);
	return r;
}

int
cred_value_field(const struct cred_value *v, const char *field, struct cred_value **ret)
{
	const char *missing;

	if (v == NULL || v->type == NULL || ret == NULL || (v->data == NULL && v->len > 0))
		return -CRED_E_USAGE;
	return value_field(v, field, ret, &missing);
}

int
cred_get_field(cred_conn *c, const char *ref, uint32_t version, const char *field,
               struct cred_value **ret)
{
	struct cred_value *v = NULL;
	const char *missing = NULL;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	r = cred_get(c, ref, version, &v);
	if (r < 0)
		return r;
	r = value_field(v, field, ret, &missing);
	if (r == -CRED_E_NOT_FOUND)
		libcred_msg_printf(c, "no field %s", missing != NULL ? missing : "value");
	else if (r == -CRED_E_INVALID)
		libcred_msg_printf(c, "the value of type %s is not a well-formed field set",
		                   v->type);
	cred_value_free(v);
	return r;
}

const char *
cred_verify_status_name(int status)
{
	switch (status) {
	case CRED_VERIFY_OK: return "ok";
	case CRED_VERIFY_FAILED: return "failed";
	default: return NULL;
	}
}
