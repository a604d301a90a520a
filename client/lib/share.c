/* SPDX-License-Identifier: MIT */
/* SHARE and UNSHARE: grants of one secret or a folder to a uid or gid. */

#include <string.h>

#include "client/lib/libcred-int.h"

/* "OWNER:" (a user name of at most 255 bytes), NAME and one '/'. */
#define SHARE_REF_MAX (255u + 1u + PROTO_NAME_MAX + 1u)

/* SHARE or UNSHARE. */
struct share_req {
	uint8_t type;
	struct proto_share m;
};

static int
encode_share(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	const struct share_req *q = msg;

	return proto_encode_share(w, q->type, reqid, &q->m);
}

const char *
cred_perm_name(int perm)
{
	return perm < 0 ? NULL : proto_perm_name((uint32_t)perm);
}

int
cred_perm_parse(const char *name)
{
	if (name == NULL)
		return -CRED_E_USAGE;
	if (strcmp(name, "read") == 0)
		return CRED_PERM_READ;
	if (strcmp(name, "write") == 0)
		return CRED_PERM_WRITE;
	return -CRED_E_USAGE;
}

int
cred_grantee_parse(const char *s, int is_gid, struct cred_grantee *ret)
{
	uint32_t id;
	int r;

	if (s == NULL || ret == NULL || (is_gid != 0 && is_gid != 1))
		return -CRED_E_USAGE;
	r = libcred_id_parse(s, strlen(s), is_gid != 0, &id);
	if (r < 0)
		return r;
	ret->is_gid = is_gid;
	ret->id = id;
	return 0;
}

/*
 * The request for REF, WHO and FLAGS. With CRED_SHARE_PREFIX one trailing
 * '/' of REF is dropped: REF is copied into BUF (SHARE_REF_MAX + 1 bytes),
 * which the request then borrows its name from.
 */
static int
share_fill(const char *ref, const struct cred_grantee *who, unsigned flags, char *buf,
           struct proto_share *m)
{
	size_t len;
	int r;

	if (ref == NULL || who == NULL || (flags & ~(unsigned)CRED_SHARE_PREFIX) != 0 ||
	    (who->is_gid != 0 && who->is_gid != 1) || who->id == UINT32_MAX)
		return -CRED_E_USAGE;
	len = strlen(ref);
	if ((flags & CRED_SHARE_PREFIX) && len > 1 && ref[len - 1] == '/') {
		if (len > SHARE_REF_MAX)
			return -CRED_E_USAGE;
		memcpy(buf, ref, len - 1);
		buf[len - 1] = '\0';
		ref = buf;
	}
	r = libcred_ref_parse(ref, &m->ref);
	if (r < 0)
		return r;
	m->flags = (flags & CRED_SHARE_PREFIX) ? PROTO_SHARE_PREFIX : 0;
	m->is_gid = who->is_gid != 0;
	m->grantee = who->id;
	return 0;
}

int
cred_share(cred_conn *c, const char *ref, const struct cred_grantee *who, int perm, unsigned flags)
{
	struct share_req q = {.type = PROTO_MSG_SHARE};
	char buf[SHARE_REF_MAX + 1];
	int r;

	if (c == NULL || cred_perm_name(perm) == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = share_fill(ref, who, flags, buf, &q.m);
	if (r < 0)
		return r;
	q.m.perm = (uint32_t)perm;
	return libcred_simple_call(c, PROTO_MSG_SHARE, encode_share, &q);
}

int
cred_unshare(cred_conn *c, const char *ref, const struct cred_grantee *who, unsigned flags)
{
	struct share_req q = {.type = PROTO_MSG_UNSHARE};
	char buf[SHARE_REF_MAX + 1];
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = share_fill(ref, who, flags, buf, &q.m);
	if (r < 0)
		return r;
	return libcred_simple_call(c, PROTO_MSG_UNSHARE, encode_share, &q);
}
