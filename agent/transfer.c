/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/smem.h"
#include "audit.h"
#include "bundle.h"
#include "exec.h"
#include "keys.h"
#include "record.h"
#include "seal.h"
#include "store.h"
#include "transfer.h"
#include "typed.h"
#include "worker.h"
#include "writer.h"

#define IMPORT_SECRETS_MAX 1000000u

static const uint8_t type_generic[] = "generic";

/* A transfer job on the worker thread. */
struct xjob {
	struct sjob sj;
	struct conn *conn;
	uint8_t type;
	uint32_t reqid;
	struct peer peer;
	uint32_t owner;
	int fd;
	uint8_t *pass; /* locked, PROTO_PASSPHRASE_MAX bytes */
	size_t pass_len;
	uint8_t prefix[PROTO_NAME_MAX + 1];
	size_t prefix_len;
	uint32_t flags;
	uint8_t *dek; /* locked DEK scratch for this thread */
	uint16_t status;
	char message[192];
	uint64_t secrets;
	struct import_set *set;
};

static void
xjob_free(struct xjob *x)
{
	if (x == NULL)
		return;
	smem_free(x->pass);
	smem_free(x->dek);
	if (x->fd >= 0)
		close(x->fd);
	import_set_free(x->set);
	free(x);
}

static int
xfail(struct xjob *x, uint16_t status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
xfail(struct xjob *x, uint16_t status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->message, sizeof(x->message), fmt, ap);
	va_end(ap);
	x->status = status;
	return -1;
}

void
import_set_free(struct import_set *s)
{
	if (s == NULL)
		return;
	smem_free(s->region);
	free(s->items);
	free(s);
}

/* ---- export (worker thread) ---- */

static bool
in_range(const struct xjob *x, const MDB_val *k)
{
	const uint8_t *p = k->mv_data;

	return k->mv_size > 4 && buf_load_u32(p) == x->owner && k->mv_size - 4 >= x->prefix_len &&
	       (x->prefix_len == 0 || memcmp(p + 4, x->prefix, x->prefix_len) == 0);
}

/* The versions a chunk carries: all kept ones, or the current only. */
static uint32_t
chunk_versions(const struct xjob *x, const struct meta_rec *m, uint32_t i, uint32_t *ret)
{
	struct proto_version_info v;

	if (x->flags & PROTO_EXPORT_CURRENT_ONLY) {
		*ret = m->version;
		return i == 0 ? 1 : 0;
	}
	if (i >= m->n_versions)
		return 0;
	record_version_at(m, i, &v);
	*ret = v.version;
	return 1;
}

/* Build the bundle chunk of one secret into locked memory. */
static int
build_chunk(struct agent *a, struct xjob *x, MDB_txn *t, struct proto_bytes name,
	    const struct meta_rec *m, uint8_t **ret, size_t *ret_len)
{
	struct proto_bundle_secret s = {0};
	struct buf_writer wv, wc;
	uint8_t bkey[STORE_BLOB_KEY_MAX], *vbuf, *chunk;
	size_t total = 0, csize;
	uint32_t ver, count = 0;
	struct proto_bytes blob;
	bool locked;

	for (uint32_t i = 0; chunk_versions(x, m, i, &ver); i++) {
		size_t plen;

		if (store_get(t, a->store->blob, bkey,
			      store_blob_key(bkey, x->owner, name.ptr, name.len, ver), &blob) < 0 ||
		    seal_blob_plain_len(blob.ptr, blob.len, &plen) < 0)
			return xfail(x, PROTO_INTERNAL, "%.*s: the value of version %u is missing",
				     (int)name.len, (const char *)name.ptr, ver);
		total += plen + 64;
	}
	vbuf = smem_alloc_bulk(total + 1, &locked);
	if (vbuf == NULL)
		return xfail(x, PROTO_INTERNAL, "cannot lock memory for the export");
	buf_writer_init(&wv, vbuf, total);
	for (uint32_t i = 0; chunk_versions(x, m, i, &ver); i++) {
		struct seal_aad aad = {x->owner, m->id, name.ptr, name.len, ver, m->type.ptr,
				       m->type.len};
		struct proto_bundle_version bv = {ver, m->created, 0, {NULL, 0}};
		uint8_t *plain;
		size_t plen;

		for (uint32_t k = 0; k < m->n_versions; k++) {
			struct proto_version_info vi;

			record_version_at(m, k, &vi);
			if (vi.version == ver) {
				bv.created = vi.created;
				bv.created_by = vi.created_by;
			}
		}
		if (store_get(t, a->store->blob, bkey,
			      store_blob_key(bkey, x->owner, name.ptr, name.len, ver), &blob) < 0 ||
		    seal_blob_plain_len(blob.ptr, blob.len, &plen) < 0 ||
		    (plain = smem_alloc_bulk(plen > 0 ? plen : 1, &locked)) == NULL) {
			smem_free(vbuf);
			return xfail(x, PROTO_INTERNAL, "cannot read %.*s for the export",
				     (int)name.len, (const char *)name.ptr);
		}
		if (seal_open_blob(a->keys, x->dek, &aad, blob.ptr, blob.len, plain) < 0) {
			smem_free(plain);
			smem_free(vbuf);
			log_err("export: uid %u: %.*s version %u fails authentication",
				(unsigned)x->owner, (int)name.len, (const char *)name.ptr, ver);
			return xfail(x, PROTO_INTERNAL,
				     "%.*s: the stored value of version %u fails authentication",
				     (int)name.len, (const char *)name.ptr, ver);
		}
		bv.value = (struct proto_bytes){plain, plen};
		proto_put_bundle_version(&wv, &bv);
		smem_free(plain);
		count++;
	}
	s.name = name;
	s.version = m->version;
	s.type = m->type;
	s.state = m->state;
	s.max_versions = m->max_versions;
	s.has_expires = m->expires != 0;
	s.expires = m->expires;
	s.created = m->created;
	s.updated = m->updated;
	s.labels = m->labels;
	s.versions = (struct proto_list_span){{vbuf, wv.len}, count};
	s.quota = m->quota;
	s.quota_period = m->quota_period;
	csize = wv.len + name.len + m->type.len + m->labels.raw.len + 512;
	chunk = smem_alloc_bulk(csize, &locked);
	if (chunk == NULL) {
		smem_free(vbuf);
		return xfail(x, PROTO_INTERNAL, "cannot lock memory for the export");
	}
	buf_writer_init(&wc, chunk, csize);
	proto_put_bundle_secret(&wc, &s);
	smem_free(vbuf);
	if (buf_writer_error(&wv) != 0 || buf_writer_error(&wc) != 0) {
		smem_free(chunk);
		return xfail(x, PROTO_INTERNAL, "export: a chunk outgrew its buffer");
	}
	*ret = chunk;
	*ret_len = wc.len;
	return 0;
}

/*
 * The next secret after LAST (LAST_LEN 0: the first) into a chunk. Keys
 * and the store are held only while one secret is read, so a lock or a
 * growing map waits for one secret, not the whole export. 1 with a chunk,
 * 0 at the end, -1 on failure.
 */
static int
next_chunk(struct agent *a, struct xjob *x, uint8_t *last, size_t *last_len, uint8_t **ret,
	   size_t *ret_len)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	MDB_txn *t;
	int r = 0, rc;

	keys_read_begin(a->keys);
	if (keys_locked(a->keys)) {
		keys_read_end(a->keys);
		return xfail(x, PROTO_LOCKED, "the agent was locked during the export");
	}
	if (store_reader_begin(a->store, &t) < 0) {
		keys_read_end(a->keys);
		return xfail(x, PROTO_INTERNAL, "the store cannot be read");
	}
	if (mdb_cursor_open(t, a->store->meta, &cur) != 0) {
		r = xfail(x, PROTO_INTERNAL, "the store cannot be read");
		goto out;
	}
	k.mv_data = last;
	k.mv_size = *last_len;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (;;) {
		struct meta_rec m;
		struct proto_bytes name;

		/* LAST was exported already, unless this is the first call. */
		if (rc == 0 && x->secrets > 0 && k.mv_size == *last_len &&
		    memcmp(k.mv_data, last, *last_len) == 0) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			continue;
		}
		if (rc != 0 || !in_range(x, &k))
			break; /* the end: r stays 0 */
		memcpy(last, k.mv_data, k.mv_size);
		*last_len = k.mv_size;
		name = (struct proto_bytes){(const uint8_t *)k.mv_data + 4, k.mv_size - 4};
		if (record_decode(a->keys, k.mv_data, k.mv_size,
				  (struct proto_bytes){v.mv_data, v.mv_size}, &m) < 0) {
			log_err("export: uid %u: metadata of %.*s fails its integrity check",
				(unsigned)x->owner, (int)name.len, (const char *)name.ptr);
			r = xfail(x, PROTO_INTERNAL,
				  "%.*s: its metadata record fails the integrity check",
				  (int)name.len, (const char *)name.ptr);
			break;
		}
		if (m.state == PROTO_STATE_DELETED) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			continue;
		}
		r = build_chunk(a, x, t, name, &m, ret, ret_len) < 0 ? -1 : 1;
		break;
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	store_reader_end(a->store, t);
	keys_read_end(a->keys);
	return r;
}

static void
export_run(struct agent *a, struct sjob *sj)
{
	struct xjob *x = (struct xjob *)sj;
	uint8_t last[STORE_META_KEY_MAX], trailer[32], *chunk = NULL;
	size_t last_len, len = 0;
	struct buf_writer w;
	struct bundle b;
	int r;

	r = bundle_write_begin(&b, x->fd, x->pass, x->pass_len, a->cfg.kdf_ops, a->cfg.kdf_mem);
	sodium_memzero(x->pass, PROTO_PASSPHRASE_MAX);
	if (r < 0) {
		bundle_close(&b);
		xfail(x, PROTO_INTERNAL, "cannot write the bundle: %s", strerror(-r));
		return;
	}
	/* From the first key of the range. */
	last_len = store_meta_key(last, x->owner, x->prefix, x->prefix_len);
	while ((r = next_chunk(a, x, last, &last_len, &chunk, &len)) == 1) {
		r = bundle_write_chunk(&b, chunk, len, false);
		smem_free(chunk);
		if (r < 0) {
			xfail(x, PROTO_INTERNAL, "cannot write the bundle: %s", strerror(-r));
			break;
		}
		x->secrets++;
	}
	if (x->status == PROTO_OK) {
		buf_writer_init(&w, trailer, sizeof(trailer));
		proto_put_bundle_trailer(&w, x->secrets);
		r = bundle_write_chunk(&b, trailer, w.len, true);
		if (r == 0 && fsync(x->fd) < 0 && errno != EINVAL)
			r = -errno;
		if (r < 0)
			xfail(x, PROTO_INTERNAL, "cannot write the bundle: %s", strerror(-r));
	}
	bundle_close(&b);
	if (x->status == PROTO_OK)
		log_info("export of %llu secrets (%llu bytes) for uid %u",
			 (unsigned long long)x->secrets, (unsigned long long)b.bytes,
			 (unsigned)x->owner);
}

/* ---- import (worker thread) ---- */

/* Memory for the whole bundle's plaintext, which is smaller than the
 * file: one allocation, however many secrets. */
static int
set_alloc_region(struct xjob *x)
{
	struct stat st;
	bool locked;

	if (fstat(x->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return xfail(x, PROTO_USAGE, "a bundle must be a regular file");
	if ((uint64_t)st.st_size > BUNDLE_FILE_MAX || st.st_size < (off_t)BUNDLE_HEADER_SIZE)
		return xfail(x, PROTO_INVALID, "not a bundle made by cred export (its size is wrong)");
	x->set->region_cap = (size_t)st.st_size;
	x->set->region = smem_alloc_bulk(x->set->region_cap, &locked);
	if (x->set->region == NULL)
		return xfail(x, PROTO_INTERNAL, "out of memory for a bundle of %zu bytes",
			     x->set->region_cap);
	if (!locked)
		log_warn("import: a %zu-byte bundle does not fit in locked memory; its plaintext "
			 "is held in ordinary memory (wiped after use)",
			 x->set->region_cap);
	return 0;
}

static struct import_secret *
set_add_item(struct import_set *s)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap == 0 ? 64 : s->cap * 2;
		struct import_secret *n = realloc(s->items, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		s->items = n;
		s->cap = cap;
	}
	memset(&s->items[s->n], 0, sizeof(s->items[0]));
	return &s->items[s->n++];
}

/* One decoded bundle secret into the set: its versions ascend and
 * include the current one. */
static int
add_bundle_secret(struct xjob *x, struct proto_bytes chunk)
{
	struct proto_bundle_secret s;
	struct proto_bundle_version v;
	struct import_secret *it;
	struct proto_iter iter;
	struct proto_bytes g;
	uint32_t prev = 0;
	bool found = false;

	if (proto_decode_bundle_secret(chunk, &s) < 0)
		return xfail(x, PROTO_INVALID, "the bundle is damaged (secret %u does not decode)",
			     x->set->n + 1);
	it = set_add_item(x->set);
	if (it == NULL)
		return xfail(x, PROTO_INTERNAL, "out of memory");
	proto_iter_init(&iter, &s.versions);
	while (proto_iter_next(&iter, &g) == 1) {
		if (proto_decode_bundle_version(g, &v) < 0 || v.version <= prev)
			return xfail(x, PROTO_INVALID, "the bundle is damaged (versions of %.*s)",
				     (int)s.name.len, (const char *)s.name.ptr);
		prev = v.version;
		if (v.version == s.version) {
			it->value = v.value;
			found = true;
		}
	}
	if (!found || s.state == PROTO_STATE_DELETED)
		return xfail(x, PROTO_INVALID, "the bundle is damaged (%.*s has no current value)",
			     (int)s.name.len, (const char *)s.name.ptr);
	it->name = s.name;
	it->type = s.type;
	it->labels = s.labels;
	it->state = s.state;
	it->max_versions = s.max_versions;
	it->quota = s.quota;
	it->quota_period = s.quota_period;
	it->has_expires = s.has_expires;
	it->expires = s.expires;
	it->created = s.created;
	it->updated = s.updated;
	it->versions = s.versions;
	return 0;
}

static void
import_run(struct agent *a, struct sjob *sj)
{
	struct xjob *x = (struct xjob *)sj;
	struct bundle b;
	uint64_t declared;
	int r;

	(void)a;
	if (set_alloc_region(x) < 0) {
		sodium_memzero(x->pass, PROTO_PASSPHRASE_MAX);
		return;
	}
	r = bundle_read_begin(&b, x->fd, x->pass, x->pass_len);
	sodium_memzero(x->pass, PROTO_PASSPHRASE_MAX);
	if (r == -EBADMSG)
		xfail(x, PROTO_INVALID, "not a bundle made by cred export (or its header is damaged)");
	else if (r < 0)
		xfail(x, PROTO_INTERNAL, "cannot read the bundle: %s", strerror(-r));
	while (x->status == PROTO_OK) {
		struct import_set *s = x->set;
		uint8_t *chunk = s->region + s->region_len;
		size_t len;

		r = bundle_read_chunk(&b, chunk, s->region_cap - s->region_len, &len);
		if (r == -EKEYREJECTED && b.chunks == 0) {
			xfail(x, PROTO_DENIED, "wrong passphrase for this bundle (or it is damaged)");
			break;
		}
		if (r == -EKEYREJECTED || r == -EBADMSG) {
			xfail(x, PROTO_INVALID, "the bundle is damaged or truncated");
			break;
		}
		if (r < 0) {
			xfail(x, PROTO_INTERNAL, "cannot read the bundle: %s", strerror(-r));
			break;
		}
		s->region_len += len;
		if (b.final) {
			if (proto_decode_bundle_trailer((struct proto_bytes){chunk, len},
							&declared) < 0 ||
			    declared != x->set->n || bundle_read_end(&b) < 0)
				xfail(x, PROTO_INVALID, "the bundle is damaged or truncated");
			break;
		}
		if (x->set->n >= IMPORT_SECRETS_MAX) {
			xfail(x, PROTO_INVALID, "the bundle holds more than %u secrets",
			      IMPORT_SECRETS_MAX);
			break;
		}
		add_bundle_secret(x, (struct proto_bytes){chunk, len});
	}
	bundle_close(&b);
}

/* ---- loop side ---- */

static struct xjob *
xjob_new(struct conn *c, const struct proto_frame *f)
{
	struct xjob *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->pass = smem_alloc(PROTO_PASSPHRASE_MAX);
	x->dek = smem_alloc(SEAL_KEY_SIZE);
	if (x->pass == NULL || x->dek == NULL) {
		x->fd = -1;
		xjob_free(x);
		return NULL;
	}
	x->conn = c;
	x->type = f->type;
	x->reqid = f->reqid;
	x->peer = c->peer;
	x->owner = (uint32_t)c->peer.uid;
	x->fd = -1;
	x->status = PROTO_OK;
	return x;
}

static void
export_done(struct agent *a, struct sjob *sj)
{
	struct xjob *x = (struct xjob *)sj;
	struct conn *c = x->conn;
	struct buf_writer w;
	int r = 0;

	audit_note(a, &x->peer, x->type, NULL, x->status);
	if (!c->dead && x->status == PROTO_OK) {
		struct proto_export_reply rep = {x->secrets, {NULL, 0}};

		r = conn_reply_begin(a, c, PROTO_REPLY_HDR + 64, &w);
		if (r == 0 && (r = proto_encode_export_reply(&w, x->reqid, &rep)) == 0)
			conn_reply_commit(c, &w);
	} else if (!c->dead) {
		r = conn_reply_status(a, c, x->type, x->reqid, x->status, x->message);
	}
	if (r < 0)
		log_warn("connection %llu: export reply dropped, the arena is full",
			 (unsigned long long)c->id);
	xjob_free(x);
	conn_resume(a, c);
}

static void
submit_import(struct agent *a, struct conn *c, uint32_t reqid, const struct peer *peer,
	      struct import_set *set)
{
	struct wjob *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		import_set_free(set);
		audit_note(a, peer, PROTO_MSG_IMPORT, NULL, PROTO_INTERNAL);
		if (conn_reply_status(a, c, PROTO_MSG_IMPORT, reqid, PROTO_INTERNAL,
				      "out of memory") < 0)
			log_warn("connection %llu: import reply dropped", (unsigned long long)c->id);
		conn_resume(a, c);
		return;
	}
	j->conn = c;
	j->type = PROTO_MSG_IMPORT;
	j->reqid = reqid;
	j->peer = *peer;
	j->owner = (uint32_t)peer->uid;
	j->status = PROTO_OK;
	j->imp = set;
	writer_submit(a->writer, j);
}

static void
import_done(struct agent *a, struct sjob *sj)
{
	struct xjob *x = (struct xjob *)sj;
	struct conn *c = x->conn;

	if (x->status != PROTO_OK || c->dead) {
		audit_note(a, &x->peer, x->type, NULL,
			   x->status != PROTO_OK ? x->status : PROTO_INTERNAL);
		if (!c->dead &&
		    conn_reply_status(a, c, x->type, x->reqid, x->status, x->message) < 0)
			log_warn("connection %llu: import reply dropped", (unsigned long long)c->id);
		if (x->status == PROTO_DENIED)
			log_warn("import by uid %u pid %d: %s", (unsigned)x->peer.uid,
				 (int)x->peer.pid, x->message);
		xjob_free(x);
		conn_resume(a, c);
		return;
	}
	submit_import(a, c, x->reqid, &x->peer, x->set);
	x->set = NULL;
	xjob_free(x);
}

/* Hand X (its passphrase PASS copied to locked memory) to the worker; the
 * connection waits for DONE. */
static enum ops_result
xjob_start(struct agent *a, struct conn *c, struct xjob *x, struct proto_bytes pass,
	   sjob_fn run, sjob_fn done)
{
	memcpy(x->pass, pass.ptr, pass.len);
	x->pass_len = pass.len;
	x->sj.run = run;
	x->sj.done = done;
	c->write_pending = true;
	worker_submit(a->worker, &x->sj);
	return OPS_PENDING;
}

enum ops_result
ops_export(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_export m;
	struct xjob *x;

	if (proto_decode_export(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed EXPORT");
	if (m.passphrase.len == 0 || m.passphrase.len > PROTO_PASSPHRASE_MAX)
		return ops_fail(a, c, f, PROTO_USAGE, "a bundle passphrase is 1 to %u bytes",
				PROTO_PASSPHRASE_MAX);
	if (!proto_prefix_valid(m.prefix.ptr, m.prefix.len))
		return ops_fail(a, c, f, PROTO_USAGE, "invalid prefix");
	x = xjob_new(c, f);
	if (x == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	x->fd = conn_take_fd(c);
	if (x->fd < 0) {
		xjob_free(x);
		return ops_fail(a, c, f, PROTO_BAD_REQUEST,
				"an export needs the bundle file's descriptor (SCM_RIGHTS)");
	}
	if (m.prefix.len > 0)
		memcpy(x->prefix, m.prefix.ptr, m.prefix.len);
	x->prefix_len = m.prefix.len;
	x->flags = m.flags;
	return xjob_start(a, c, x, m.passphrase, export_run, export_done);
}

/* Inline entries, borrowed from the request frame (which stays put while
 * the connection waits). */
static int
set_from_entries(struct import_set *s, const struct proto_list_span *entries)
{
	struct proto_iter it;
	struct proto_bytes g;

	proto_iter_init(&it, entries);
	while (proto_iter_next(&it, &g) == 1) {
		struct proto_import_entry e;
		struct import_secret *x;

		if (proto_decode_import_entry(g, &e) < 0)
			return -EBADMSG;
		x = set_add_item(s);
		if (x == NULL)
			return -ENOMEM;
		x->name = e.name;
		x->type = e.type;
		x->labels = e.labels;
		x->has_expires = e.has_expires;
		x->expires = e.expires;
		x->value = e.value;
		x->state = PROTO_STATE_ACTIVE;
	}
	return 0;
}

enum ops_result
ops_import(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_import m;
	struct buf_writer w;
	struct import_set *set;
	struct xjob *x;
	int r;

	if (proto_decode_import(f->body, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed IMPORT");
	if ((m.entries.count > 0) == (c->held_fd >= 0))
		return ops_fail(a, c, f, PROTO_BAD_REQUEST,
				"an import takes either a bundle's descriptor or entries");
	if ((c->held_fd >= 0) &&
	    (!m.has_passphrase || m.passphrase.len == 0 || m.passphrase.len > PROTO_PASSPHRASE_MAX))
		return ops_fail(a, c, f, PROTO_USAGE, "a bundle needs its passphrase");
	/* The reply's space now, before the descriptor is taken. */
	if (conn_reply_begin(a, c, TRANSFER_IMPORT_REPLY_MAX, &w) < 0)
		return OPS_NOMEM;
	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	set->flags = m.flags;
	if (m.entries.count > 0) {
		r = set_from_entries(set, &m.entries);
		if (r < 0) {
			import_set_free(set);
			return ops_fail(a, c, f, r == -ENOMEM ? PROTO_INTERNAL : PROTO_BAD_REQUEST,
					"%s", r == -ENOMEM ? "out of memory" : "malformed entry");
		}
		c->write_pending = true;
		submit_import(a, c, f->reqid, &c->peer, set);
		return OPS_PENDING;
	}
	x = xjob_new(c, f);
	if (x == NULL) {
		import_set_free(set);
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	}
	x->set = set;
	x->fd = conn_take_fd(c);
	return xjob_start(a, c, x, m.passphrase, import_run, import_done);
}

/* ---- writer side ---- */

static void
note_conflict(struct import_set *s, struct proto_bytes name)
{
	s->conflicted++;
	if (s->n_conflicts < PROTO_CONFLICTS_MAX) {
		memcpy(s->conflicts[s->n_conflicts], name.ptr, name.len);
		s->conflicts[s->n_conflicts][name.len] = '\0';
		s->n_conflicts++;
	}
}

static void
put_version_entry(uint8_t *e, uint32_t version, uint64_t created, uint32_t by)
{
	buf_store_u32(e, version);
	buf_store_u64(e + 4, created);
	buf_store_u32(e + 12, by);
}

/* A new secret from IT: every version it carries (the newest
 * max_versions of them), with its metadata. */
static int
create_secret(struct agent *a, MDB_txn *t, struct wjob *j, const struct import_secret *it)
{
	uint64_t now = agent_now();
	struct meta_rec m = {0};
	struct proto_bundle_version v;
	struct proto_iter iter;
	struct proto_bytes g;
	uint8_t *versions;
	uint32_t n = it->versions.count > 0 ? it->versions.count : 1, skip = 0, i = 0;
	int r = 0;

	randombytes_buf(m.id, sizeof(m.id));
	m.type = it->type.len > 0 ? it->type : (struct proto_bytes){type_generic, 7};
	m.state = it->state == PROTO_STATE_DISABLED ? PROTO_STATE_DISABLED : PROTO_STATE_ACTIVE;
	m.max_versions = it->max_versions >= 1 && it->max_versions <= RECORD_MAX_VERSIONS_LIMIT
				 ? it->max_versions
				 : RECORD_MAX_VERSIONS_DEFAULT;
	m.created = it->created != 0 ? it->created : now;
	m.updated = it->updated != 0 ? it->updated : now;
	m.expires = it->has_expires ? it->expires : 0;
	m.labels = it->labels;
	m.quota = it->quota;
	m.quota_period = it->quota_period;
	if (n > m.max_versions)
		skip = n - m.max_versions;
	versions = malloc((size_t)n * RECORD_VERSION_ENTRY);
	if (versions == NULL)
		return exec_fail(j, PROTO_INTERNAL, "out of memory");
	m.versions = versions;
	if (it->versions.count == 0) {
		m.version = 1;
		put_version_entry(versions, 1, now, (uint32_t)j->peer.uid);
		m.n_versions = 1;
		r = exec_seal_version(a, t, j->owner, it->name, &m, it->value.ptr, it->value.len, j);
	}
	proto_iter_init(&iter, &it->versions);
	while (r == 0 && proto_iter_next(&iter, &g) == 1) {
		if (proto_decode_bundle_version(g, &v) < 0) {
			r = exec_fail(j, PROTO_INVALID, "the bundle is damaged");
			break;
		}
		if (i++ < skip)
			continue;
		m.version = v.version;
		r = exec_seal_version(a, t, j->owner, it->name, &m, v.value.ptr, v.value.len, j);
		put_version_entry(versions + (size_t)m.n_versions * RECORD_VERSION_ENTRY,
				  v.version, v.created != 0 ? v.created : now,
				  (uint32_t)j->peer.uid);
		m.n_versions++;
	}
	if (r == 0) {
		/* The last version in a bundle is its newest; the current is
		 * the one the bundle names (after a rollback, also the last). */
		if (it->versions.count > 0) {
			struct proto_version_info last;

			record_version_at(&m, m.n_versions - 1, &last);
			m.version = last.version;
		}
		r = exec_save(a, t, j->owner, it->name, &m, j);
	}
	free(versions);
	return r;
}

/* Replace an existing secret's value (a new version) and metadata. */
static int
overwrite_secret(struct agent *a, MDB_txn *t, struct wjob *j, const struct import_secret *it,
		 struct meta_rec *m)
{
	int r = 0;

	if (m->state == PROTO_STATE_DELETED) {
		r = exec_trash(a, t, j->owner, it->name, m->deleted, false, j);
		m->state = PROTO_STATE_ACTIVE;
		m->deleted = 0;
	}
	if (it->labels.count > 0)
		m->labels = it->labels;
	m->expires = it->has_expires ? it->expires : 0;
	if (it->quota != 0) {
		m->quota = it->quota;
		m->quota_period = it->quota_period;
	}
	if (r == 0)
		r = exec_new_version(a, t, j->owner, it->name, m, it->value.ptr, it->value.len, j);
	return r;
}

/* 1 when the secret M holds exactly IT's type and current value. */
static int
same_secret(struct agent *a, MDB_txn *t, struct wjob *j, const struct import_secret *it,
	    const struct meta_rec *m, struct proto_bytes type)
{
	uint8_t *plain = NULL;
	size_t len = 0;
	int same;

	if (m->state == PROTO_STATE_DELETED || m->type.len != type.len ||
	    memcmp(m->type.ptr, type.ptr, type.len) != 0)
		return 0;
	if (exec_open_version(a, t, j->owner, it->name, m, m->version, &plain, &len, j) < 0)
		return -1;
	same = len == it->value.len && (len == 0 || sodium_memcmp(plain, it->value.ptr, len) == 0);
	smem_free(plain);
	return same;
}

int
ops_exec_import(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct import_set *s = j->imp;
	bool overwrite = (s->flags & PROTO_IMPORT_OVERWRITE) != 0;
	int r = 0;

	s->added = s->skipped = s->conflicted = s->n_conflicts = 0;
	for (uint32_t i = 0; i < s->n && r == 0; i++) {
		const struct import_secret *it = &s->items[i];
		struct proto_bytes type = it->type.len > 0 ? it->type
							   : (struct proto_bytes){type_generic, 7};
		struct meta_rec m;
		uint8_t *copy = NULL;
		char why[160];
		int same;

		if (typed_check(it->type, it->value, why, sizeof(why)) != PROTO_OK) {
			r = exec_fail(j, PROTO_INVALID, "nothing imported: %.*s: %s",
				      (int)it->name.len, (const char *)it->name.ptr, why);
			break;
		}

		r = exec_load(a, t, j->owner, it->name, &m, &copy, j);
		if (r == -ENOENT) {
			r = create_secret(a, t, j, it);
			s->added++;
			continue;
		}
		if (r < 0)
			break;
		same = same_secret(a, t, j, it, &m, type);
		if (same < 0) {
			r = -1;
		} else if (same) {
			s->skipped++;
		} else {
			note_conflict(s, it->name);
			if (m.type.len != type.len || memcmp(m.type.ptr, type.ptr, type.len) != 0)
				r = exec_fail(j, PROTO_CONFLICT,
					      "nothing imported: %.*s exists with type %.*s, not %.*s",
					      (int)it->name.len, (const char *)it->name.ptr,
					      (int)m.type.len, (const char *)m.type.ptr,
					      (int)type.len, (const char *)type.ptr);
			else if (overwrite)
				r = overwrite_secret(a, t, j, it, &m);
		}
		free(copy);
	}
	if (r < 0)
		return r;
	if (s->conflicted > 0 && !overwrite)
		return exec_fail(j, PROTO_CONFLICT,
				 "nothing imported: %u name%s already exist%s with other values "
				 "(use --overwrite)",
				 s->conflicted, s->conflicted == 1 ? "" : "s",
				 s->conflicted == 1 ? "s" : "");
	if (s->flags & PROTO_IMPORT_DRY_RUN) {
		snprintf(j->message, sizeof(j->message), "dry run: nothing was stored");
		return -1; /* rolled back; the status stays OK */
	}
	if (overwrite && s->conflicted > 0)
		snprintf(j->message, sizeof(j->message), "%u overwritten", s->conflicted);
	log_info("import for uid %u: %u added, %u skipped, %u conflicted", (unsigned)j->owner,
		 s->added, s->skipped, s->conflicted);
	return 0;
}

int
transfer_encode_reply(struct buf_writer *w, const struct wjob *j)
{
	const struct import_set *s = j->imp;
	struct proto_import_reply rep = {0};
	size_t n = 0;
	uint8_t names[PROTO_CONFLICTS_MAX * (PROTO_FIELD_HDR + PROTO_NAME_MAX)];
	struct buf_writer nw;

	buf_writer_init(&nw, names, sizeof(names));
	for (uint32_t i = 0; s != NULL && i < s->n_conflicts; i++) {
		proto_put_string(&nw, PROTO_TAG_CONFLICT, s->conflicts[i], strlen(s->conflicts[i]));
		n++;
	}
	if (s != NULL) {
		rep.added = s->added;
		rep.skipped = s->skipped;
		rep.conflicted = s->conflicted;
	}
	rep.conflicts = (struct proto_list_span){{names, nw.len}, (uint32_t)n};
	rep.message = (struct proto_bytes){(const uint8_t *)j->message, strlen(j->message)};
	return proto_encode_import_reply(w, j->reqid, j->status, &rep);
}
