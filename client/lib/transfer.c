/* SPDX-License-Identifier: MIT */
/* EXPORT and IMPORT: passphrase-sealed bundles written and read by the
 * agent through a descriptor the caller opened, and inline import
 * entries. Passphrases and values travel only in request frames, which
 * libcred_call() sizes exactly and zeroes after sending. */

#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

/* The public numbers are the wire's. */
_Static_assert((unsigned)CRED_EXPORT_CURRENT_ONLY == (unsigned)PROTO_EXPORT_CURRENT_ONLY,
               "export flag");
_Static_assert((unsigned)CRED_IMPORT_OVERWRITE == (unsigned)PROTO_IMPORT_OVERWRITE, "import flag");
_Static_assert((unsigned)CRED_IMPORT_DRY_RUN == (unsigned)PROTO_IMPORT_DRY_RUN, "import flag");
_Static_assert(CRED_IMPORT_ENTRIES_MAX == PROTO_IMPORT_ENTRIES_MAX, "import entries");
_Static_assert(CRED_IMPORT_CONFLICTS_MAX == PROTO_CONFLICTS_MAX, "conflicts listed");

static int
encode_export(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_export(w, reqid, msg);
}

static int
encode_import(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	return proto_encode_import(w, reqid, msg);
}

int
cred_export(cred_conn *c, int fd, const char *passphrase, size_t len, const char *prefix,
            unsigned flags, uint64_t *ret_secrets)
{
	struct proto_export m = {0};
	struct proto_export_reply er;
	struct libcred_reply rep;
	bool has_pass;
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	if ((flags & ~(unsigned)CRED_EXPORT_CURRENT_ONLY) != 0) {
		libcred_msg_printf(c, "unknown export flags 0x%x", flags);
		return -CRED_E_USAGE;
	}
	if (prefix == NULL)
		prefix = "";
	if (!proto_prefix_valid(prefix, strlen(prefix))) {
		libcred_msg_printf(c, "invalid prefix");
		return -CRED_E_USAGE;
	}
	if ((r = libcred_pass_fill(c, passphrase, len, &has_pass, &m.passphrase)) < 0 ||
	    (r = libcred_fd_check(c, fd, true)) < 0)
		return r;
	m.prefix = (struct proto_bytes){.ptr = (const uint8_t *)prefix, .len = strlen(prefix)};
	m.flags = (flags & CRED_EXPORT_CURRENT_ONLY) ? PROTO_EXPORT_CURRENT_ONLY : 0;
	r = libcred_call_fd(c, PROTO_MSG_EXPORT, encode_export, &m, 0, fd, &rep);
	if (r < 0)
		return r;
	if (proto_decode_export_reply(rep.frame.body, &er) < 0) {
		r = -CRED_E_PROTOCOL;
	} else {
		libcred_msg_set(c, er.message);
		if (ret_secrets != NULL)
			*ret_secrets = er.secrets;
	}
	libcred_reply_free(&rep);
	return r;
}

void
cred_import_result_free(struct cred_import_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_conflicts; i++)
		free(r->conflicts[i]);
	free(r->conflicts);
	free(r);
}

/* The counts and names of a decoded IMPORT reply into *ret. */
static int
import_result_new(const struct proto_import_reply *ir, struct cred_import_result **ret)
{
	struct cred_import_result *res;
	struct proto_iter it;
	struct proto_bytes b;

	if (ir->conflicts.count > PROTO_CONFLICTS_MAX || ir->conflicts.count > ir->conflicted)
		return -CRED_E_PROTOCOL;
	res = calloc(1, sizeof(*res));
	if (res == NULL)
		return -CRED_E_NOMEM;
	res->added = ir->added;
	res->skipped = ir->skipped;
	res->conflicted = ir->conflicted;
	res->conflicts = calloc((size_t)ir->conflicts.count + 1, sizeof(*res->conflicts));
	if (res->conflicts == NULL)
		goto nomem;
	proto_iter_init(&it, &ir->conflicts);
	while (res->n_conflicts < ir->conflicts.count && proto_iter_next(&it, &b) == 1) {
		res->conflicts[res->n_conflicts] = libcred_strdup_span(b);
		if (res->conflicts[res->n_conflicts] == NULL)
			goto nomem;
		res->n_conflicts++;
	}
	*ret = res;
	return 0;
nomem:
	cred_import_result_free(res);
	return -CRED_E_NOMEM;
}

/*
 * Sends IMPORT M (with PASS_FD, -1: none) and fills *ret from the reply,
 * for OK and CONFLICT alike. A CONFLICT reply without counts (only a
 * MESSAGE) leaves *ret NULL.
 */
static int
import_call(cred_conn *c, const struct proto_import *m, size_t value_len, int pass_fd,
            struct cred_import_result **ret)
{
	struct proto_import_reply ir;
	struct proto_simple_reply sr;
	struct libcred_reply rep;
	int r, d;

	r = libcred_call_keep(c, PROTO_MSG_IMPORT, encode_import, m, value_len, pass_fd,
	                      PROTO_CONFLICT, &rep);
	if (r < 0 && r != -CRED_E_CONFLICT)
		return r;
	if (proto_decode_import_reply(rep.frame.body, &ir) == 0) {
		libcred_msg_set(c, ir.message);
		d = import_result_new(&ir, ret);
		if (d < 0)
			r = d;
	} else if (r < 0 && proto_decode_simple_reply(rep.frame.body, &sr) == 0) {
		libcred_msg_set(c, sr.message);
	} else {
		r = -CRED_E_PROTOCOL;
	}
	libcred_reply_free(&rep);
	return r;
}

static int
import_flags(cred_conn *c, unsigned flags, uint32_t *ret)
{
	if ((flags & ~(unsigned)(CRED_IMPORT_OVERWRITE | CRED_IMPORT_DRY_RUN)) != 0) {
		libcred_msg_printf(c, "unknown import flags 0x%x", flags);
		return -CRED_E_USAGE;
	}
	*ret = ((flags & CRED_IMPORT_OVERWRITE) ? PROTO_IMPORT_OVERWRITE : 0) |
	       ((flags & CRED_IMPORT_DRY_RUN) ? PROTO_IMPORT_DRY_RUN : 0);
	return 0;
}

int
cred_import(cred_conn *c, int fd, const char *passphrase, size_t len, unsigned flags,
            struct cred_import_result **ret)
{
	struct proto_import m = {0};
	int r;

	if (ret != NULL)
		*ret = NULL;
	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	if ((r = import_flags(c, flags, &m.flags)) < 0 ||
	    (r = libcred_pass_fill(c, passphrase, len, &m.has_passphrase, &m.passphrase)) < 0 ||
	    (r = libcred_fd_check(c, fd, false)) < 0)
		return r;
	return import_call(c, &m, 0, fd, ret);
}

/* Checks ITEM number I: 0, or -CRED_E_USAGE with the message set. */
static int
item_check(cred_conn *c, const struct cred_import_item *item, size_t i)
{
	if (item->name == NULL || !proto_name_valid(item->name, strlen(item->name))) {
		libcred_msg_printf(c, "entry %zu: invalid name", i + 1);
		return -CRED_E_USAGE;
	}
	if (item->type != NULL && !proto_type_valid(item->type, strlen(item->type))) {
		libcred_msg_printf(c, "%s: invalid type", item->name);
		return -CRED_E_USAGE;
	}
	if ((item->value == NULL && item->len > 0) || item->expires < 0) {
		libcred_msg_printf(c, "%s: invalid %s", item->name,
		                   item->expires < 0 ? "expiry" : "value");
		return -CRED_E_USAGE;
	}
	return 0;
}

/* The ENTRY groups of ITEMS into W (counting or filling); the label
 * fields are built per item. 0, or an error with the message set. */
static int
entries_put(cred_conn *c, struct buf_writer *w, const struct cred_import_item *items, size_t n)
{
	struct proto_import_entry e;
	uint8_t *labels;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = item_check(c, &items[i], i);
		if (r < 0)
			return r;
		e = (struct proto_import_entry){
		        .name = {(const uint8_t *)items[i].name, strlen(items[i].name)},
		        .has_expires = items[i].expires > 0,
		        .expires = (uint64_t)items[i].expires,
		        .value = {items[i].value, items[i].len},
		};
		if (items[i].type != NULL)
			e.type = (struct proto_bytes){(const uint8_t *)items[i].type,
			                              strlen(items[i].type)};
		r = libcred_span_build(items[i].labels, PROTO_TAG_LABEL, LIBCRED_ITEM_LABEL,
		                       &e.labels, &labels);
		if (r < 0) {
			if (r == -CRED_E_USAGE)
				libcred_msg_printf(c, "%s: invalid labels", items[i].name);
			return r;
		}
		proto_put_import_entry(w, &e);
		free(labels);
	}
	return buf_writer_error(w) < 0 ? -CRED_E_USAGE : 0;
}

/*
 * The ENTRY groups of ITEMS in an exactly sized buffer *ret_buf (*ret_len
 * bytes, released with freezero: it holds values), and the values' total
 * size in *ret_values.
 */
static int
entries_build(cred_conn *c, const struct cred_import_item *items, size_t n, uint8_t **ret_buf,
              size_t *ret_len, size_t *ret_values)
{
	struct buf_writer w;
	uint8_t *buf;
	size_t i, total = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (items[i].len > SIZE_MAX - total) {
			libcred_msg_printf(c, "values too large");
			return -CRED_E_USAGE;
		}
		total += items[i].len;
	}
	buf_writer_init(&w, NULL, 0);
	r = entries_put(c, &w, items, n);
	if (r < 0)
		return r;
	buf = malloc(w.len > 0 ? w.len : 1);
	if (buf == NULL)
		return -CRED_E_NOMEM;
	*ret_len = w.len;
	buf_writer_init(&w, buf, *ret_len);
	r = entries_put(c, &w, items, n);
	if (r == 0 && w.len != *ret_len)
		r = -CRED_E_FAILED;
	if (r < 0) {
		zero_free(buf, *ret_len);
		return r;
	}
	*ret_buf = buf;
	*ret_values = total;
	return 0;
}

/* The whole IMPORT frame M must fit the agent's limit: 0, or
 * -CRED_E_USAGE with a message that says so. */
static int
import_fits(cred_conn *c, const struct proto_import *m, size_t n)
{
	struct buf_writer w;

	buf_writer_init(&w, NULL, 0);
	if (proto_encode_import(&w, 0, m) < 0 || buf_writer_error(&w) < 0) {
		libcred_msg_printf(c, "invalid entries");
		return -CRED_E_USAGE;
	}
	if (w.len - PROTO_LEN_SIZE > c->frame_max) {
		libcred_msg_printf(c,
		                   "%zu entries take %zu bytes; the agent takes at most %u in "
		                   "one request: import fewer at a time",
		                   n, w.len - PROTO_LEN_SIZE, c->frame_max);
		return -CRED_E_USAGE;
	}
	return 0;
}

int
cred_import_entries(cred_conn *c, const struct cred_import_item *items, size_t n, unsigned flags,
                    struct cred_import_result **ret)
{
	struct proto_import m = {0};
	uint8_t *buf = NULL;
	size_t len = 0, values = 0;
	int r;

	if (ret != NULL)
		*ret = NULL;
	if (c == NULL || ret == NULL || (items == NULL && n > 0))
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	if (n == 0 || n > CRED_IMPORT_ENTRIES_MAX) {
		libcred_msg_printf(c, "%s entries (at most %u at a time)",
		                   n == 0 ? "no" : "too many", CRED_IMPORT_ENTRIES_MAX);
		return -CRED_E_USAGE;
	}
	if ((r = import_flags(c, flags, &m.flags)) < 0 ||
	    (r = entries_build(c, items, n, &buf, &len, &values)) < 0)
		return r;
	m.entries = (struct proto_list_span){.raw = {buf, len}, .count = (uint32_t)n};
	r = import_fits(c, &m, n);
	if (r == 0)
		r = import_call(c, &m, values, -1, ret);
	zero_free(buf, len);
	return r;
}
