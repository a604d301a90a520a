/* SPDX-License-Identifier: MIT */
/* STATUS, PUT, GET and DELETE. */

#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

static int
encode_status(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	(void)msg;
	return proto_encode_status(w, reqid);
}

static int
encode_put(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_put(w, reqid, msg);
}

static int
encode_get(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_get(w, reqid, msg);
}

static int
encode_delete(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_named(w, PROTO_MSG_DELETE, reqid, msg);
}

int
cred_status_get(cred_conn *c, struct cred_status **ret)
{
	struct proto_status_reply sr;
	struct libcred_reply rep;
	struct cred_status *s = NULL;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_call(c, PROTO_MSG_STATUS, encode_status, NULL, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_status_reply(rep.frame.body, &sr) < 0) {
		r = -CRED_E_PROTOCOL;
		goto out;
	}
	libcred_msg_set(c, sr.message);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->version = libcred_strdup_span(sr.agent_version)) == NULL) {
		r = -CRED_E_NOMEM;
		goto out;
	}
	s->system_mode = sr.mode == PROTO_MODE_SYSTEM;
	s->locked = sr.locked != 0;
	s->uptime = sr.uptime;
	s->secrets = sr.secrets;
	s->store_bytes = sr.store_bytes;
	*ret = s;
	s = NULL;
	r = 0;
out:
	cred_status_free(s);
	libcred_reply_free(&rep);
	return r;
}

void
cred_status_free(struct cred_status *s)
{
	if (s == NULL)
		return;
	free(s->version);
	free(s);
}

static bool
item_valid(const char *s, enum libcred_item kind)
{
	char key[PROTO_LABEL_KEY_MAX + 2];
	size_t n = strlen(s);

	if (kind == LIBCRED_ITEM_LABEL)
		return proto_label_valid(s, n);
	/* A key is valid when "KEY=" is a valid label. */
	if (n == 0 || n > PROTO_LABEL_KEY_MAX || strchr(s, '=') != NULL)
		return false;
	memcpy(key, s, n);
	key[n] = '=';
	return proto_label_valid(key, n + 1);
}

int
libcred_span_build(const char *const *items, uint8_t tag, enum libcred_item kind,
                   struct proto_list_span *span, uint8_t **ret_buf)
{
	struct buf_writer w;
	size_t i, n = 0;
	uint8_t *buf;

	*ret_buf = NULL;
	span->raw = (struct proto_bytes){0};
	span->count = 0;
	if (items == NULL || items[0] == NULL)
		return 0;
	buf_writer_init(&w, NULL, 0);
	for (i = 0; items[i] != NULL; i++) {
		if (i >= PROTO_LABELS_MAX || !item_valid(items[i], kind))
			return -CRED_E_USAGE;
		proto_put_string(&w, tag, items[i], strlen(items[i]));
	}
	n = w.len;
	buf = malloc(n);
	if (buf == NULL)
		return -CRED_E_NOMEM;
	buf_writer_init(&w, buf, n);
	for (i = 0; items[i] != NULL; i++)
		proto_put_string(&w, tag, items[i], strlen(items[i]));
	if (buf_writer_error(&w) < 0) {
		free(buf);
		return -CRED_E_FAILED;
	}
	span->raw = (struct proto_bytes){.ptr = buf, .len = n};
	span->count = (uint32_t)i;
	*ret_buf = buf;
	return 0;
}

static int
put_fill(const char *ref, const struct cred_put_opts *o, struct proto_put *m)
{
	int r;

	r = libcred_ref_parse(ref, &m->ref);
	if (r < 0)
		return r;
	if (o == NULL)
		return 0;
	if (o->type != NULL) {
		if (!proto_type_valid(o->type, strlen(o->type)))
			return -CRED_E_USAGE;
		m->type = (struct proto_bytes){.ptr = (const uint8_t *)o->type,
		                               .len = strlen(o->type)};
	}
	if (o->expires < 0)
		return -CRED_E_USAGE;
	m->has_expires = o->expires > 0;
	m->expires = (uint64_t)o->expires;
	m->has_max_versions = o->max_versions > 0;
	m->max_versions = o->max_versions;
	m->has_cas = o->has_cas != 0;
	m->cas = o->cas;
	/* Both or neither: a period without a quota is a mistake. */
	if (o->quota > 0 ? cred_period_name(o->quota_period) == NULL : o->quota_period != 0)
		return -CRED_E_USAGE;
	m->quota = o->quota;
	m->quota_period = o->quota > 0 ? (uint32_t)o->quota_period : 0;
	return 0;
}

int
cred_put(cred_conn *c, const char *ref, const void *value, size_t len,
         const struct cred_put_opts *opts, uint32_t *ret_version)
{
	struct proto_put m = {0};
	struct proto_put_reply pr;
	struct libcred_reply rep;
	uint8_t *labels = NULL;
	int r;

	if (c == NULL || (value == NULL && len > 0))
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = put_fill(ref, opts, &m);
	if (r < 0)
		return r;
	r = libcred_span_build(opts != NULL ? opts->labels : NULL, PROTO_TAG_LABEL,
	                       LIBCRED_ITEM_LABEL, &m.labels, &labels);
	if (r < 0)
		return r;
	m.value = (struct proto_bytes){.ptr = value, .len = len};
	r = libcred_call(c, PROTO_MSG_PUT, encode_put, &m, len, &rep);
	free(labels);
	if (r < 0)
		return r;
	if (proto_decode_put_reply(rep.frame.body, &pr) < 0) {
		r = -CRED_E_PROTOCOL;
	} else {
		libcred_msg_set(c, pr.message);
		if (ret_version != NULL)
			*ret_version = pr.version;
	}
	libcred_reply_free(&rep);
	return r;
}

int
libcred_value_new(struct proto_bytes value, struct proto_bytes type, uint32_t version,
                  struct cred_value **ret)
{
	struct cred_value *v;

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -CRED_E_NOMEM;
	/* Exactly sized and never grown; cred_value_free() zeroes it. */
	v->data = malloc(value.len + 1);
	v->type = libcred_strdup_span(type);
	if (v->data == NULL || v->type == NULL) {
		cred_value_free(v);
		return -CRED_E_NOMEM;
	}
	v->len = value.len;
	if (v->len > 0)
		memcpy(v->data, value.ptr, v->len);
	v->data[v->len] = '\0';
	v->version = version;
	*ret = v;
	return 0;
}

int
cred_get_ex(cred_conn *c, const char *ref, uint32_t version, unsigned flags,
            struct cred_value **ret)
{
	struct proto_get m = {0};
	struct proto_get_reply gr;
	struct libcred_reply rep;
	int r;

	if (c == NULL || ret == NULL || (flags & ~(unsigned)CRED_GET_ALLOW_EXPIRED) != 0)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	m.has_version = version > 0;
	m.version = version;
	m.flags = (flags & CRED_GET_ALLOW_EXPIRED) ? PROTO_GET_ALLOW_EXPIRED : 0;
	r = libcred_call(c, PROTO_MSG_GET, encode_get, &m, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_get_reply(rep.frame.body, &gr) < 0) {
		r = -CRED_E_PROTOCOL;
	} else {
		libcred_msg_set(c, gr.message);
		r = libcred_value_new(gr.value, gr.type, gr.version, ret);
	}
	/* The frame held the value: libcred_reply_free() zeroes it. */
	libcred_reply_free(&rep);
	return r;
}

int
cred_get(cred_conn *c, const char *ref, uint32_t version, struct cred_value **ret)
{
	return cred_get_ex(c, ref, version, 0, ret);
}

void
cred_value_free(struct cred_value *v)
{
	if (v == NULL)
		return;
	if (v->data != NULL)
		zero_free(v->data, v->len + 1);
	free(v->type);
	explicit_bzero(v, sizeof(*v));
	free(v);
}

int
cred_delete(cred_conn *c, const char *ref)
{
	struct proto_named m = {0};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	return libcred_simple_call(c, PROTO_MSG_DELETE, encode_delete, &m);
}
