/* SPDX-License-Identifier: MIT */
/* INFO and LIST: secrets' metadata, never values. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

static int
encode_info(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_named(w, PROTO_MSG_INFO, reqid, msg);
}

static int
encode_list(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_list(w, reqid, msg);
}

int
libcred_time_in(uint64_t t, int64_t *ret)
{
	if (t > INT64_MAX)
		return -CRED_E_PROTOCOL;
	*ret = (int64_t)t;
	return 0;
}

int
libcred_read_usage_fill(uint64_t reads, uint64_t period_reads, bool has_last_read,
                        uint64_t last_read, uint32_t reader_uid, uint32_t reader_pid,
                        struct proto_bytes comm, struct cred_read_usage *ret)
{
	*ret = (struct cred_read_usage){.reads = reads, .period_reads = period_reads};
	if (!has_last_read)
		return 0;
	if (comm.len > CRED_COMM_MAX || reader_pid > INT32_MAX ||
	    libcred_time_in(last_read, &ret->last_read) < 0)
		return -CRED_E_PROTOCOL;
	ret->has_last_read = 1;
	ret->reader_uid = (uid_t)reader_uid;
	ret->reader_pid = (pid_t)reader_pid;
	if (comm.len > 0)
		memcpy(ret->reader_comm, comm.ptr, comm.len);
	ret->reader_comm[comm.len] = '\0';
	return 0;
}

/* The quota and usage an INFO reply carries (absent: none). */
static int
quota_usage_copy(const struct proto_meta *m, struct cred_info *info)
{
	if (m->quota > 0) {
		if (m->quota_period > PROTO_PERIOD_MAX || m->quota_period == 0)
			return -CRED_E_PROTOCOL;
		info->quota = m->quota;
		info->quota_period = (int)m->quota_period;
	}
	info->has_usage = m->has_usage;
	if (!m->has_usage)
		return 0;
	return libcred_read_usage_fill(m->reads, m->period_reads, m->has_last_read, m->last_read,
	                               m->reader_uid, m->reader_pid, m->reader_comm, &info->usage);
}

static int
labels_copy(const struct proto_list_span *span, char ***ret)
{
	struct proto_iter it;
	struct proto_bytes b;
	char **v;
	size_t i = 0;

	v = calloc((size_t)span->count + 1, sizeof(*v));
	if (v == NULL)
		return -CRED_E_NOMEM;
	*ret = v;
	proto_iter_init(&it, span);
	while (i < span->count && proto_iter_next(&it, &b) == 1) {
		v[i] = libcred_strdup_span(b);
		if (v[i] == NULL)
			return -CRED_E_NOMEM;
		i++;
	}
	return 0;
}

static int
versions_copy(const struct proto_list_span *span, struct cred_info *info)
{
	struct proto_version_info pv;
	struct proto_iter it;
	struct proto_bytes b;
	size_t i = 0;
	int r;

	if (span->count == 0)
		return 0;
	info->versions = calloc(span->count, sizeof(*info->versions));
	if (info->versions == NULL)
		return -CRED_E_NOMEM;
	proto_iter_init(&it, span);
	while (i < span->count && proto_iter_next(&it, &b) == 1) {
		if (proto_decode_version_info(b, &pv) < 0)
			return -CRED_E_PROTOCOL;
		info->versions[i].version = pv.version;
		info->versions[i].created_by = (uid_t)pv.created_by;
		r = libcred_time_in(pv.created, &info->versions[i].created);
		if (r < 0)
			return r;
		info->n_versions = ++i;
	}
	return 0;
}

static int
grants_copy(const struct proto_list_span *span, struct cred_info *info)
{
	struct proto_grant pg;
	struct proto_iter it;
	struct proto_bytes b;
	struct cred_grant *g;
	size_t i = 0;
	int r;

	if (span->count == 0)
		return 0;
	if (span->count > PROTO_GRANTS_MAX)
		return -CRED_E_PROTOCOL;
	info->grants = calloc(span->count, sizeof(*info->grants));
	if (info->grants == NULL)
		return -CRED_E_NOMEM;
	proto_iter_init(&it, span);
	while (i < span->count && proto_iter_next(&it, &b) == 1) {
		if (proto_decode_grant(b, &pg) < 0 || pg.perm > INT32_MAX)
			return -CRED_E_PROTOCOL;
		g = &info->grants[i];
		/* Counted first: cred_info_free() frees what is set. */
		info->n_grants = ++i;
		g->name = libcred_strdup_span(pg.name);
		if (g->name == NULL)
			return -CRED_E_NOMEM;
		g->prefix = (pg.flags & PROTO_SHARE_PREFIX) != 0;
		g->is_gid = pg.is_gid;
		g->grantee = pg.grantee;
		/* A permission newer than this library is kept as its number. */
		g->perm = (int)pg.perm;
		g->created_by = (uid_t)pg.created_by;
		r = libcred_time_in(pg.created, &g->created);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The verify result (INFO and LIST alike) and, with WITH_FIELDS, the
 * masked field set and the message (INFO only). */
static int
typed_copy(const struct proto_meta *m, bool with_fields, struct cred_info *info)
{
	int r;

	if (m->verify_status > PROTO_VERIFY_MAX)
		return -CRED_E_PROTOCOL;
	info->verify_status = (int)m->verify_status;
	if (m->verify_status != 0 && (r = libcred_time_in(m->verify_time, &info->verify_time)) < 0)
		return r;
	if (!with_fields)
		return 0;
	if (m->verify_status != 0 && m->verify_message.len > 0 &&
	    (info->verify_message = libcred_strdup_span(m->verify_message)) == NULL)
		return -CRED_E_NOMEM;
	if (m->fields.count == 0)
		return 0;
	r = libcred_fields_parse(m->fields.raw, true, &info->fields);
	return r == -CRED_E_INVALID ? -CRED_E_PROTOCOL : r;
}

/* A struct cred_info from decoded metadata (versions and grants if
 * with_versions: INFO's, which LIST entries do not carry). */
static int
info_new(const struct proto_meta *m, bool with_versions, struct cred_info **ret)
{
	struct cred_info *info;
	int r = -CRED_E_NOMEM;

	if (m->state > PROTO_STATE_MAX)
		return -CRED_E_PROTOCOL;
	info = calloc(1, sizeof(*info));
	if (info == NULL)
		return -CRED_E_NOMEM;
	info->name = libcred_strdup_span(m->name);
	info->type = libcred_strdup_span(m->type);
	if (info->name == NULL || info->type == NULL)
		goto fail;
	info->owner = (uid_t)m->owner;
	info->version = m->version;
	info->state = (int)m->state;
	info->max_versions = m->max_versions;
	if ((r = libcred_time_in(m->created, &info->created)) < 0 ||
	    (r = libcred_time_in(m->updated, &info->updated)) < 0 ||
	    (r = libcred_time_in(m->has_expires ? m->expires : 0, &info->expires)) < 0 ||
	    (r = libcred_time_in(m->has_deleted ? m->deleted : 0, &info->deleted)) < 0)
		goto fail;
	r = labels_copy(&m->labels, &info->labels);
	if (r < 0)
		goto fail;
	if (with_versions && ((r = versions_copy(&m->versions, info)) < 0 ||
	                      (r = grants_copy(&m->grants, info)) < 0 ||
	                      (r = quota_usage_copy(m, info)) < 0))
		goto fail;
	if ((r = typed_copy(m, with_versions, info)) < 0)
		goto fail;
	info->shared = m->shared != 0;
	*ret = info;
	return 0;
fail:
	cred_info_free(info);
	return r;
}

int
cred_info(cred_conn *c, const char *ref, struct cred_info **ret)
{
	struct proto_named m = {0};
	struct proto_meta pm;
	struct libcred_reply rep;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	r = libcred_call(c, PROTO_MSG_INFO, encode_info, &m, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_info_reply(rep.frame.body, &pm) < 0) {
		r = -CRED_E_PROTOCOL;
	} else {
		libcred_msg_set(c, pm.message);
		r = info_new(&pm, true, ret);
	}
	libcred_reply_free(&rep);
	return r;
}

void
cred_info_free(struct cred_info *i)
{
	size_t k;

	if (i == NULL)
		return;
	free(i->name);
	free(i->type);
	if (i->labels != NULL)
		for (k = 0; i->labels[k] != NULL; k++)
			free(i->labels[k]);
	free(i->labels);
	free(i->versions);
	for (k = 0; k < i->n_grants; k++)
		free(i->grants[k].name);
	free(i->grants);
	cred_fields_free(i->fields);
	free(i->verify_message);
	free(i);
}

static int
list_add(struct cred_list *l, size_t *cap, struct cred_info *info)
{
	struct cred_info **items;

	/* Metadata only, never a value: growing it with realloc is fine. */
	items = libcred_grow(l->items, l->n, cap, sizeof(*items), 16);
	if (items == NULL)
		return -CRED_E_NOMEM;
	l->items = items;
	l->items[l->n++] = info;
	return 0;
}

/* Adds one page's entries to L and copies its next cursor (len 0: done). */
static int
list_page(const struct proto_list_reply *lr, struct cred_list *l, size_t *cap, uint8_t *cursor,
          size_t *cursor_len, size_t *pages)
{
	struct proto_iter it;
	struct proto_bytes b;
	struct proto_meta pm;
	struct cred_info *info;
	uint32_t i;
	int r;

	proto_iter_init(&it, &lr->entries);
	for (i = 0; i < lr->entries.count && proto_iter_next(&it, &b) == 1; i++) {
		if (proto_decode_meta_entry(b, &pm) < 0)
			return -CRED_E_PROTOCOL;
		r = info_new(&pm, false, &info);
		if (r < 0)
			return r;
		r = list_add(l, cap, info);
		if (r < 0) {
			cred_info_free(info);
			return r;
		}
	}
	return libcred_cursor_next(lr->cursor, cursor, cursor_len, pages);
}

static int
list_request(const char *owner, const char *prefix, unsigned flags, struct proto_list *m)
{
	uid_t uid;
	int r;

	if ((flags & ~(unsigned)(CRED_LIST_DELETED | CRED_LIST_ALL_USERS | CRED_LIST_UNVERIFIED)) !=
	    0)
		return -CRED_E_USAGE;
	if (owner != NULL) {
		r = cred_owner_parse(owner, &uid);
		if (r < 0)
			return r;
		m->has_owner = true;
		m->owner = (uint32_t)uid;
	}
	if (prefix == NULL)
		prefix = "";
	if (!proto_prefix_valid(prefix, strlen(prefix)))
		return -CRED_E_USAGE;
	m->prefix = (struct proto_bytes){.ptr = (const uint8_t *)prefix, .len = strlen(prefix)};
	m->limit = 0;
	m->flags = ((flags & CRED_LIST_DELETED) ? PROTO_LIST_DELETED : 0) |
	           ((flags & CRED_LIST_ALL_USERS) ? PROTO_LIST_ALL_USERS : 0) |
	           ((flags & CRED_LIST_UNVERIFIED) ? PROTO_LIST_UNVERIFIED : 0);
	return 0;
}

/* The filters of a LIST; *ret_buf holds the label fields (caller frees). */
static int
list_filter(const struct cred_list_filter *f, struct proto_list *m, uint8_t **ret_buf)
{
	*ret_buf = NULL;
	if (f == NULL)
		return 0;
	if (f->expiring < 0)
		return -CRED_E_USAGE;
	m->has_expiring = f->expiring > 0;
	m->expiring = (uint64_t)f->expiring;
	return libcred_span_build(f->labels, PROTO_TAG_LABEL, LIBCRED_ITEM_LABEL, &m->labels,
	                          ret_buf);
}

int
cred_list(cred_conn *c, const char *owner, const char *prefix, unsigned flags,
          struct cred_list **ret)
{
	return cred_list_ex(c, owner, prefix, flags, NULL, ret);
}

int
cred_list_ex(cred_conn *c, const char *owner, const char *prefix, unsigned flags,
             const struct cred_list_filter *filter, struct cred_list **ret)
{
	uint8_t cursor[PROTO_CURSOR_MAX];
	size_t cursor_len = 0, cap = 0, pages = 0;
	struct proto_list m = {0};
	struct proto_list_reply lr;
	struct libcred_reply rep;
	struct cred_list *l;
	uint8_t *labels = NULL;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = list_request(owner, prefix, flags, &m);
	if (r < 0)
		return r;
	r = list_filter(filter, &m, &labels);
	if (r < 0)
		return r;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		free(labels);
		return -CRED_E_NOMEM;
	}
	do {
		m.cursor = (struct proto_bytes){.ptr = cursor, .len = cursor_len};
		r = libcred_call(c, PROTO_MSG_LIST, encode_list, &m, 0, &rep);
		if (r < 0)
			goto fail;
		if (proto_decode_list_reply(rep.frame.body, &lr) < 0) {
			r = -CRED_E_PROTOCOL;
		} else {
			libcred_msg_set(c, lr.message);
			r = list_page(&lr, l, &cap, cursor, &cursor_len, &pages);
		}
		libcred_reply_free(&rep);
		if (r < 0)
			goto fail;
	} while (cursor_len > 0);
	free(labels);
	*ret = l;
	return 0;
fail:
	free(labels);
	cred_list_free(l);
	return r;
}

void
cred_list_free(struct cred_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		cred_info_free(l->items[i]);
	free(l->items);
	free(l);
}
