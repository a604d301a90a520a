/* SPDX-License-Identifier: MIT */
/* ROTATE, ROLLBACK, UNDELETE, PURGE, DISABLE, ENABLE and LABEL. */

#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

/* A request that is only a reference; TYPE says which. */
struct named_req {
	uint8_t type;
	struct proto_named m;
};

static int
encode_named(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	const struct named_req *q = msg;

	return proto_encode_named(w, q->type, reqid, &q->m);
}

/* ROLLBACK or PURGE. */
struct versioned_req {
	uint8_t type;
	struct proto_versioned m;
};

static int
encode_versioned(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	const struct versioned_req *q = msg;

	return proto_encode_versioned(w, q->type, reqid, &q->m);
}

static int
encode_rotate(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_rotate(w, reqid, msg);
}

static int
encode_label(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_label(w, reqid, msg);
}

static int
named_call(cred_conn *c, uint8_t type, const char *ref)
{
	struct named_req q = {.type = type};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &q.m.ref);
	if (r < 0)
		return r;
	return libcred_simple_call(c, type, encode_named, &q);
}

int
cred_undelete(cred_conn *c, const char *ref)
{
	return named_call(c, PROTO_MSG_UNDELETE, ref);
}

int
cred_disable(cred_conn *c, const char *ref)
{
	return named_call(c, PROTO_MSG_DISABLE, ref);
}

int
cred_enable(cred_conn *c, const char *ref)
{
	return named_call(c, PROTO_MSG_ENABLE, ref);
}

const char *
cred_charset_name(int charset)
{
	return charset < 0 ? NULL : proto_charset_name((uint32_t)charset);
}

int
cred_charset_parse(const char *name)
{
	int r;

	if (name == NULL)
		return -CRED_E_USAGE;
	r = proto_charset_parse(name);
	return r < 0 ? -CRED_E_USAGE : r;
}

static int
rotate_fill(const char *ref, const void *value, size_t len, const struct cred_rotate_opts *o,
            bool print, struct proto_rotate *m)
{
	int r;

	r = libcred_ref_parse(ref, &m->ref);
	if (r < 0)
		return r;
	if (o != NULL && o->generate > 0) {
		/* A generated value: nothing of the caller's may come along. */
		if (value != NULL || len > 0 || o->generate > CRED_GENERATE_MAX ||
		    o->generate > PROTO_GEN_LENGTH_MAX || cred_charset_name(o->charset) == NULL)
			return -CRED_E_USAGE;
		m->gen_length = o->generate;
		m->charset = (uint32_t)o->charset;
		m->flags = print ? PROTO_ROTATE_PRINT : 0;
	} else {
		if ((value == NULL && len > 0) || (o != NULL && o->charset != 0))
			return -CRED_E_USAGE;
		m->has_value = true;
		m->value = (struct proto_bytes){.ptr = value, .len = len};
	}
	if (o != NULL && o->expires < 0)
		return -CRED_E_USAGE;
	m->has_expires = o != NULL && o->expires > 0;
	m->expires = o != NULL && o->expires > 0 ? (uint64_t)o->expires : 0;
	return 0;
}

static int
rotate_call(cred_conn *c, const char *ref, const void *value, size_t len,
            const struct cred_rotate_opts *opts, bool primary, uint32_t *ret_version,
            struct cred_value **ret_generated)
{
	bool print = ret_generated != NULL && opts != NULL && opts->generate > 0;
	struct proto_rotate m = {0};
	struct proto_rotate_reply rr;
	struct libcred_reply rep;
	int r;

	if (ret_generated != NULL)
		*ret_generated = NULL;
	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	if (primary && opts != NULL && opts->generate > 0)
		return -CRED_E_USAGE;
	r = rotate_fill(ref, value, len, opts, print, &m);
	if (r < 0)
		return r;
	if (primary)
		m.flags |= PROTO_ROTATE_PRIMARY;
	r = libcred_call(c, PROTO_MSG_ROTATE, encode_rotate, &m, m.has_value ? len : 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_rotate_reply(rep.frame.body, &rr) < 0 || rr.has_value != print ||
	    (print && rr.value.len != opts->generate)) {
		r = -CRED_E_PROTOCOL;
		goto out;
	}
	libcred_msg_set(c, rr.message);
	if (print) {
		r = libcred_value_new(rr.value, (struct proto_bytes){.ptr = NULL, .len = 0},
		                      rr.version, ret_generated);
		if (r < 0)
			goto out;
	}
	if (ret_version != NULL)
		*ret_version = rr.version;
out:
	/* The frame may hold a value, sent or generated: zeroed here. */
	libcred_reply_free(&rep);
	return r;
}

int
cred_rotate(cred_conn *c, const char *ref, const void *value, size_t len,
            const struct cred_rotate_opts *opts, uint32_t *ret_version,
            struct cred_value **ret_generated)
{
	return rotate_call(c, ref, value, len, opts, false, ret_version, ret_generated);
}

int
cred_rotate_primary(cred_conn *c, const char *ref, const void *value, size_t len,
                    const struct cred_rotate_opts *opts, uint32_t *ret_version)
{
	return rotate_call(c, ref, value, len, opts, true, ret_version, NULL);
}

int
cred_rollback(cred_conn *c, const char *ref, uint32_t to, uint32_t *ret_version)
{
	struct versioned_req q = {.type = PROTO_MSG_ROLLBACK};
	struct proto_put_reply pr;
	struct libcred_reply rep;
	int r;

	if (c == NULL || to == 0)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &q.m.ref);
	if (r < 0)
		return r;
	q.m.has_version = true;
	q.m.version = to;
	r = libcred_call(c, PROTO_MSG_ROLLBACK, encode_versioned, &q, 0, &rep);
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
cred_purge(cred_conn *c, const char *ref, uint32_t version)
{
	struct versioned_req q = {.type = PROTO_MSG_PURGE};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &q.m.ref);
	if (r < 0)
		return r;
	q.m.has_version = version > 0;
	q.m.version = version;
	return libcred_simple_call(c, PROTO_MSG_PURGE, encode_versioned, &q);
}

int
cred_label(cred_conn *c, const char *ref, const char *const *set, const char *const *remove)
{
	struct proto_label m = {0};
	uint8_t *sbuf = NULL, *rbuf = NULL;
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	r = libcred_span_build(set, PROTO_TAG_LABEL, LIBCRED_ITEM_LABEL, &m.set, &sbuf);
	if (r == 0)
		r = libcred_span_build(remove, PROTO_TAG_LABEL_KEY, LIBCRED_ITEM_LABEL_KEY,
		                       &m.remove, &rbuf);
	if (r == 0 && m.set.count == 0 && m.remove.count == 0)
		r = -CRED_E_USAGE;
	if (r == 0)
		r = libcred_simple_call(c, PROTO_MSG_LABEL, encode_label, &m);
	free(sbuf);
	free(rbuf);
	return r;
}
