/* SPDX-License-Identifier: MIT */
/* AUDIT (records and summaries, paged) and AUDIT_VERIFY. */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

_Static_assert(CRED_COMM_MAX == PROTO_COMM_MAX, "command name length");
_Static_assert(CRED_MESSAGE_MAX == PROTO_MESSAGE_MAX, "message length");

static int
encode_audit(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_audit(w, reqid, msg);
}

static int
encode_audit_verify(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	(void)msg;
	return proto_encode_audit_verify(w, reqid);
}

/* Q's target: "[OWNER:]NAME", or "OWNER:" alone for any of OWNER's. */
static int
audit_target(cred_conn *c, const char *ref, struct proto_audit *m)
{
	struct proto_ref pr;
	size_t len = strlen(ref);
	uid_t uid;
	int r;

	if (len > 1 && ref[len - 1] == ':' && strchr(ref, ':') == ref + len - 1) {
		r = cred_owner_parse(ref, &uid);
		if (r < 0)
			return r;
		m->has_owner = true;
		m->owner = (uint32_t)uid;
		return 0;
	}
	r = libcred_ref_parse(ref, &pr);
	if (r < 0) {
		if (r == -CRED_E_USAGE)
			libcred_msg_printf(c, "invalid reference");
		return r;
	}
	m->has_owner = pr.has_owner;
	m->owner = pr.owner;
	m->name = pr.name;
	return 0;
}

/* The AUDIT request for Q (NULL: every record); M borrows Q's strings. */
static int
audit_request(cred_conn *c, const struct cred_audit_query *q, bool summary, struct proto_audit *m)
{
	int r;

	m->flags = summary ? PROTO_AUDIT_SUMMARY : 0;
	if (q == NULL)
		return 0;
	if (q->ref != NULL && (r = audit_target(c, q->ref, m)) < 0)
		return r;
	m->has_uid = q->has_uid != 0;
	m->uid = q->has_uid ? (uint32_t)q->uid : 0;
	if (q->op != NULL) {
		if (proto_op_parse(q->op) < 0) {
			libcred_msg_printf(c, "unknown operation");
			return -CRED_E_USAGE;
		}
		m->op = (struct proto_bytes){(const uint8_t *)q->op, strlen(q->op)};
	}
	if ((q->has_status && (q->status < 0 || (unsigned)q->status > PROTO_STATUS_MAX)) ||
	    q->since < 0 || q->until < 0) {
		libcred_msg_printf(c, "invalid %s",
		                   q->since < 0 || q->until < 0 ? "time" : "status");
		return -CRED_E_USAGE;
	}
	m->has_status = q->has_status != 0;
	m->status = q->has_status ? (uint32_t)q->status : 0;
	m->has_since = q->since > 0;
	m->since = (uint64_t)q->since;
	m->has_until = q->until > 0;
	m->until = (uint64_t)q->until;
	return 0;
}

/* One RECORD group into *ret (freed by the caller on failure too). */
static int
record_copy(struct proto_bytes group, struct cred_audit_record *ret)
{
	struct proto_audit_record pr;

	if (proto_decode_audit_record(group, &pr) < 0 || pr.comm.len > CRED_COMM_MAX ||
	    pr.pid > INT32_MAX || pr.status > INT_MAX || pr.op.len == 0 ||
	    libcred_time_in(pr.time, &ret->time) < 0)
		return -CRED_E_PROTOCOL;
	ret->op = libcred_strdup_span(pr.op);
	if (ret->op == NULL)
		return -CRED_E_NOMEM;
	if (pr.name.len > 0) {
		ret->name = libcred_strdup_span(pr.name);
		if (ret->name == NULL)
			return -CRED_E_NOMEM;
		ret->has_target = 1;
		ret->owner = (uid_t)pr.owner;
		ret->version = pr.has_version ? pr.version : 0;
	}
	ret->seq = pr.seq;
	ret->uid = (uid_t)pr.uid;
	ret->gid = (gid_t)pr.gid;
	ret->pid = (pid_t)pr.pid;
	if (pr.comm.len > 0)
		memcpy(ret->comm, pr.comm.ptr, pr.comm.len);
	ret->comm[pr.comm.len] = '\0';
	ret->status = (int)pr.status;
	/* A record stands for itself at least. */
	ret->count = pr.count > 0 ? pr.count : 1;
	ret->security = pr.security != 0;
	return 0;
}

/* Adds a page's records to L, up to LIMIT (0: no limit) in all. */
static int
records_add(const struct proto_list_span *span, struct cred_audit_list *l, size_t *cap,
            size_t limit)
{
	struct cred_audit_record *items;
	struct proto_iter it;
	struct proto_bytes b;
	int r;

	proto_iter_init(&it, span);
	while ((limit == 0 || l->n < limit) && proto_iter_next(&it, &b) == 1) {
		/* Records never hold a value: growing them is fine. */
		items = libcred_grow(l->items, l->n, cap, sizeof(*items), 64);
		if (items == NULL)
			return -CRED_E_NOMEM;
		l->items = items;
		memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
		/* Counted first: cred_audit_list_free() frees what is set. */
		r = record_copy(b, &l->items[l->n++]);
		if (r < 0)
			return r;
	}
	return 0;
}

void
cred_audit_list_free(struct cred_audit_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->items[i].op);
		free(l->items[i].name);
	}
	free(l->items);
	free(l);
}

/* Adds a page's SUMMARY groups to L, merging equal (op, status) pairs. */
static int
summaries_add(const struct proto_list_span *span, struct cred_audit_summary_list *l, size_t *cap)
{
	struct cred_audit_summary *items;
	struct proto_audit_summary ps;
	struct proto_iter it;
	struct proto_bytes b;
	size_t i;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1) {
		if (proto_decode_audit_summary(b, &ps) < 0 || ps.status > INT_MAX || ps.op.len == 0)
			return -CRED_E_PROTOCOL;
		for (i = 0; i < l->n; i++)
			if (l->items[i].status == (int)ps.status &&
			    strlen(l->items[i].op) == ps.op.len &&
			    memcmp(l->items[i].op, ps.op.ptr, ps.op.len) == 0)
				break;
		if (i < l->n) {
			if (ps.total > UINT64_MAX - l->items[i].count)
				return -CRED_E_PROTOCOL;
			l->items[i].count += ps.total;
			continue;
		}
		items = libcred_grow(l->items, l->n, cap, sizeof(*items), 16);
		if (items == NULL)
			return -CRED_E_NOMEM;
		l->items = items;
		l->items[l->n].op = libcred_strdup_span(ps.op);
		if (l->items[l->n].op == NULL)
			return -CRED_E_NOMEM;
		l->items[l->n].status = (int)ps.status;
		l->items[l->n].count = ps.total;
		l->n++;
	}
	return 0;
}

void
cred_audit_summary_list_free(struct cred_audit_summary_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->items[i].op);
	free(l->items);
	free(l);
}

/* Where a paged AUDIT collects: records up to a limit, or summaries. */
struct audit_sink {
	struct cred_audit_list *records;
	struct cred_audit_summary_list *summaries;
	size_t cap, limit;
};

static bool
sink_full(const struct audit_sink *s)
{
	return s->records != NULL && s->limit > 0 && s->records->n >= s->limit;
}

/* One page's content into S; a reply of the other kind is malformed. */
static int
audit_page(const struct proto_audit_reply *ar, struct audit_sink *s)
{
	if (s->records != NULL) {
		if (ar->summaries.count > 0)
			return -CRED_E_PROTOCOL;
		return records_add(&ar->records, s->records, &s->cap, s->limit);
	}
	if (ar->records.count > 0)
		return -CRED_E_PROTOCOL;
	return summaries_add(&ar->summaries, s->summaries, &s->cap);
}

/* Sends M page by page into S until the last page or S is full. */
static int
audit_pages(cred_conn *c, struct proto_audit *m, struct audit_sink *s)
{
	uint8_t cursor[PROTO_CURSOR_MAX];
	size_t cursor_len = 0, pages = 0, left;
	struct proto_audit_reply ar;
	struct libcred_reply rep;
	int r;

	do {
		m->cursor = (struct proto_bytes){.ptr = cursor, .len = cursor_len};
		/* Ask for no more than is left to take; summaries: the agent's
		 * page size. */
		left = s->records != NULL && s->limit > 0 ? s->limit - s->records->n : 0;
		m->limit = left > PROTO_LIST_LIMIT_MAX ? PROTO_LIST_LIMIT_MAX : (uint32_t)left;
		r = libcred_call(c, PROTO_MSG_AUDIT, encode_audit, m, 0, &rep);
		if (r < 0)
			return r;
		if (proto_decode_audit_reply(rep.frame.body, &ar) < 0) {
			r = -CRED_E_PROTOCOL;
		} else {
			libcred_msg_set(c, ar.message);
			r = audit_page(&ar, s);
			if (r == 0)
				r = libcred_cursor_next(ar.cursor, cursor, &cursor_len, &pages);
		}
		libcred_reply_free(&rep);
		if (r < 0)
			return r;
	} while (cursor_len > 0 && !sink_full(s));
	return 0;
}

int
cred_audit(cred_conn *c, const struct cred_audit_query *q, struct cred_audit_list **ret)
{
	struct proto_audit m = {0};
	struct audit_sink s = {0};
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = audit_request(c, q, false, &m);
	if (r < 0)
		return r;
	s.records = calloc(1, sizeof(*s.records));
	if (s.records == NULL)
		return -CRED_E_NOMEM;
	s.limit = q != NULL ? q->limit : 0;
	r = audit_pages(c, &m, &s);
	if (r < 0) {
		cred_audit_list_free(s.records);
		return r;
	}
	*ret = s.records;
	return 0;
}

int
cred_audit_summary(cred_conn *c, const struct cred_audit_query *q,
                   struct cred_audit_summary_list **ret)
{
	struct proto_audit m = {0};
	struct audit_sink s = {0};
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = audit_request(c, q, true, &m);
	if (r < 0)
		return r;
	s.summaries = calloc(1, sizeof(*s.summaries));
	if (s.summaries == NULL)
		return -CRED_E_NOMEM;
	r = audit_pages(c, &m, &s);
	if (r < 0) {
		cred_audit_summary_list_free(s.summaries);
		return r;
	}
	*ret = s.summaries;
	return 0;
}

int
cred_audit_verify(cred_conn *c, struct cred_audit_verify_result *ret)
{
	struct proto_audit_verify_reply vr;
	struct cred_audit_verify_result res = {0};
	struct libcred_reply rep;
	size_t n;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_call(c, PROTO_MSG_AUDIT_VERIFY, encode_audit_verify, NULL, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_audit_verify_reply(rep.frame.body, &vr) < 0 ||
	    (vr.head.len != 0 && vr.head.len != CRED_AUDIT_HEAD_LEN)) {
		r = -CRED_E_PROTOCOL;
		goto out;
	}
	libcred_msg_set(c, vr.message);
	res.checked = vr.checked;
	res.first_seq = vr.first_seq;
	res.broken = vr.has_broken;
	res.broken_seq = vr.has_broken ? vr.broken_seq : 0;
	res.has_head = vr.head.len > 0;
	if (res.has_head)
		memcpy(res.head, vr.head.ptr, CRED_AUDIT_HEAD_LEN);
	n = vr.message.len < CRED_MESSAGE_MAX ? vr.message.len : CRED_MESSAGE_MAX;
	if (n > 0)
		memcpy(res.message, vr.message.ptr, n);
	res.message[n] = '\0';
	*ret = res;
out:
	libcred_reply_free(&rep);
	return r;
}
