/* SPDX-License-Identifier: MIT */
/* USAGE (paged), QUOTA and USAGE_RESET: read counters and quotas. */

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "client/lib/libcred-int.h"

/* The public numbers are the wire's. */
_Static_assert((int)CRED_PERIOD_HOUR == (int)PROTO_PERIOD_HOUR, "period");
_Static_assert((int)CRED_PERIOD_DAY == (int)PROTO_PERIOD_DAY, "period");
_Static_assert((int)CRED_PERIOD_MONTH == (int)PROTO_PERIOD_MONTH, "period");

/* "4294967295/month" and a NUL. */
#define QUOTA_TEXT_MAX 32u

static int
encode_usage(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_usage(w, reqid, msg);
}

static int
encode_quota(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_quota(w, reqid, msg);
}

static int
encode_reset(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_named(w, PROTO_MSG_USAGE_RESET, reqid, msg);
}

const char *
cred_period_name(int period)
{
	return period <= 0 ? NULL : proto_period_name((uint32_t)period);
}

int
cred_period_parse(const char *name)
{
	int r;

	if (name == NULL)
		return -CRED_E_USAGE;
	r = proto_period_parse(name);
	return r < 0 ? -CRED_E_USAGE : r;
}

int
cred_quota_parse(const char *s, uint32_t *ret_quota, int *ret_period)
{
	char num[QUOTA_TEXT_MAX];
	const char *slash;
	uint64_t v;
	int period;

	if (s == NULL || (slash = strchr(s, '/')) == NULL || (size_t)(slash - s) >= sizeof(num))
		return -CRED_E_USAGE;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (util_parse_u64(num, UINT32_MAX, &v) < 0 || v == 0)
		return -CRED_E_USAGE;
	period = cred_period_parse(slash + 1);
	if (period < 0)
		return period;
	if (ret_quota != NULL)
		*ret_quota = (uint32_t)v;
	if (ret_period != NULL)
		*ret_period = period;
	return 0;
}

/* One USAGE group into *ret (freed by the caller on failure too). */
static int
usage_copy(struct proto_bytes group, struct cred_usage *ret)
{
	struct proto_usage_entry e;
	int r;

	if (proto_decode_usage_entry(group, &e) < 0 ||
	    (e.quota > 0 && (e.quota_period == 0 || e.quota_period > PROTO_PERIOD_MAX)) ||
	    libcred_time_in(e.period_start, &ret->period_start) < 0)
		return -CRED_E_PROTOCOL;
	ret->name = libcred_strdup_span(e.name);
	if (ret->name == NULL)
		return -CRED_E_NOMEM;
	ret->owner = (uid_t)e.owner;
	ret->quota = e.quota;
	ret->quota_period = e.quota > 0 ? (int)e.quota_period : 0;
	r = libcred_read_usage_fill(e.reads, e.period_reads, e.has_last_read, e.last_read,
	                            e.reader_uid, e.reader_pid, e.reader_comm, &ret->usage);
	return r;
}

static int
usage_add(const struct proto_list_span *span, struct cred_usage_list *l, size_t *cap)
{
	struct cred_usage *items;
	struct proto_iter it;
	struct proto_bytes b;
	int r;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1) {
		/* Counters and names only: growing them is fine. */
		items = libcred_grow(l->items, l->n, cap, sizeof(*items), 16);
		if (items == NULL)
			return -CRED_E_NOMEM;
		l->items = items;
		memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
		/* Counted first: cred_usage_list_free() frees what is set. */
		r = usage_copy(b, &l->items[l->n++]);
		if (r < 0)
			return r;
	}
	return 0;
}

void
cred_usage_list_free(struct cred_usage_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	free(l);
}

static int
usage_request(const char *owner, const char *prefix, struct proto_usage *m)
{
	uid_t uid;
	int r;

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
	return 0;
}

int
cred_usage(cred_conn *c, const char *owner, const char *prefix, struct cred_usage_list **ret)
{
	uint8_t cursor[PROTO_CURSOR_MAX];
	size_t cursor_len = 0, pages = 0, cap = 0;
	struct proto_usage m = {0};
	struct proto_usage_reply ur;
	struct libcred_reply rep;
	struct cred_usage_list *l;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = usage_request(owner, prefix, &m);
	if (r < 0)
		return r;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -CRED_E_NOMEM;
	do {
		m.cursor = (struct proto_bytes){.ptr = cursor, .len = cursor_len};
		r = libcred_call(c, PROTO_MSG_USAGE, encode_usage, &m, 0, &rep);
		if (r < 0)
			goto fail;
		if (proto_decode_usage_reply(rep.frame.body, &ur) < 0) {
			r = -CRED_E_PROTOCOL;
		} else {
			libcred_msg_set(c, ur.message);
			r = usage_add(&ur.entries, l, &cap);
			if (r == 0)
				r = libcred_cursor_next(ur.cursor, cursor, &cursor_len, &pages);
		}
		libcred_reply_free(&rep);
		if (r < 0)
			goto fail;
	} while (cursor_len > 0);
	*ret = l;
	return 0;
fail:
	cred_usage_list_free(l);
	return r;
}

int
cred_quota_set(cred_conn *c, const char *ref, uint32_t quota, int period)
{
	struct proto_quota m = {0};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	/* Both or neither: QUOTA 0 removes the quota. */
	if (quota > 0 ? cred_period_name(period) == NULL : period != 0) {
		libcred_msg_printf(c, "a quota needs a period (hour, day or month)");
		return -CRED_E_USAGE;
	}
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	m.quota = quota;
	m.quota_period = quota > 0 ? (uint32_t)period : 0;
	return libcred_simple_call(c, PROTO_MSG_QUOTA, encode_quota, &m);
}

int
cred_usage_reset(cred_conn *c, const char *ref)
{
	struct proto_named m = {0};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_ref_parse(ref, &m.ref);
	if (r < 0)
		return r;
	return libcred_simple_call(c, PROTO_MSG_USAGE_RESET, encode_reset, &m);
}
