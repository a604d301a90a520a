/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "audit-rec.h"
#include "store.h"

#define ANCHOR_SIZE (8u + AUDIT_LINK_SIZE + AUDIT_LINK_SIZE)

void
audit_entry_init(struct audit_entry *e, const struct peer *peer, uint8_t op,
		 const struct audit_target *target, uint16_t status)
{
	memset(e, 0, sizeof(*e));
	e->uid = (uint32_t)peer->uid;
	e->gid = (uint32_t)peer->gid;
	e->pid = (uint32_t)peer->pid;
	memcpy(e->comm, peer->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
	e->count = 1;
	e->status = status;
	e->op = op;
	if (target != NULL)
		e->target = *target;
	/* A denial, a refusal, a flood, or a probe of another owner's names. */
	e->security = status == PROTO_DENIED || status == PROTO_RATE_LIMITED ||
		      op == AUDIT_OP_CONNECT || op == AUDIT_OP_SUPPRESSED ||
		      (status == PROTO_NOT_FOUND && e->target.present &&
		       e->target.owner != e->uid);
}

void
audit_link(const uint8_t *prev, const uint8_t *key, const uint8_t *body, size_t len,
	   uint8_t *out)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, key != NULL ? crypto_generichash_KEYBYTES : 0,
				AUDIT_LINK_SIZE);
	crypto_generichash_update(&st, prev, AUDIT_LINK_SIZE);
	crypto_generichash_update(&st, body, len);
	crypto_generichash_final(&st, out, AUDIT_LINK_SIZE);
}

static size_t
encode(const struct audit_entry *e, uint64_t seq, uint8_t flags, uint8_t *out)
{
	size_t clen = strnlen(e->comm, sizeof(e->comm));
	struct buf_writer w;

	buf_writer_init(&w, out, AUDIT_REC_MAX);
	buf_put_u8(&w, AUDIT_FORMAT);
	buf_put_u8(&w, flags);
	buf_put_u64(&w, seq);
	buf_put_u64(&w, e->time);
	buf_put_u32(&w, e->uid);
	buf_put_u32(&w, e->gid);
	buf_put_u32(&w, e->pid);
	buf_put_u32(&w, e->count);
	buf_put_u16(&w, e->status);
	buf_put_u8(&w, e->op);
	buf_put_u8(&w, (uint8_t)clen);
	buf_put_bytes(&w, e->comm, clen);
	buf_put_u8(&w, e->target.present ? 1 : 0);
	if (e->target.present) {
		buf_put_u32(&w, e->target.owner);
		buf_put_u8(&w, e->target.name_len);
		buf_put_bytes(&w, e->target.name, e->target.name_len);
		buf_put_u32(&w, e->target.version);
	}
	return w.len;
}

int
audit_append(struct store *s, MDB_txn *t, struct audit_chain *ch, const uint8_t *key,
	     const struct audit_entry *e)
{
	uint8_t val[AUDIT_REC_MAX], k[8];
	uint8_t flags = (uint8_t)((key != NULL ? AUDIT_F_KEYED : 0) |
				  (e->security ? AUDIT_F_SECURITY : 0));
	uint64_t seq = ch->seq + 1;
	size_t n = encode(e, seq, flags, val);
	int r;

	audit_link(ch->link, key, val, n, val + n);
	buf_store_u64(k, seq);
	r = store_put(t, s->audit, k, sizeof(k), val, n + AUDIT_LINK_SIZE);
	if (r < 0)
		return r;
	ch->seq = seq;
	memcpy(ch->link, val + n, AUDIT_LINK_SIZE);
	return 0;
}

int
audit_decode(const void *val, size_t len, struct audit_stored *ret)
{
	struct buf_reader r;
	const uint8_t *p;
	uint8_t fmt, clen, has;

	memset(ret, 0, sizeof(*ret));
	if (len < AUDIT_LINK_SIZE)
		return -EBADMSG;
	buf_reader_init(&r, val, len - AUDIT_LINK_SIZE);
	if (buf_get_u8(&r, &fmt) < 0 || fmt != AUDIT_FORMAT || buf_get_u8(&r, &ret->flags) < 0 ||
	    buf_get_u64(&r, &ret->seq) < 0 || buf_get_u64(&r, &ret->e.time) < 0 ||
	    buf_get_u32(&r, &ret->e.uid) < 0 || buf_get_u32(&r, &ret->e.gid) < 0 ||
	    buf_get_u32(&r, &ret->e.pid) < 0 || buf_get_u32(&r, &ret->e.count) < 0 ||
	    buf_get_u16(&r, &ret->e.status) < 0 || buf_get_u8(&r, &ret->e.op) < 0 ||
	    buf_get_u8(&r, &clen) < 0 || clen >= PEER_COMM_MAX || buf_get_bytes(&r, clen, &p) < 0 ||
	    buf_get_u8(&r, &has) < 0 || has > 1)
		return -EBADMSG;
	memcpy(ret->e.comm, p, clen);
	ret->e.target.present = has == 1;
	if (has &&
	    (buf_get_u32(&r, &ret->e.target.owner) < 0 ||
	     buf_get_u8(&r, &ret->e.target.name_len) < 0 ||
	     buf_get_bytes(&r, ret->e.target.name_len, &p) < 0 ||
	     buf_get_u32(&r, &ret->e.target.version) < 0))
		return -EBADMSG;
	if (has)
		memcpy(ret->e.target.name, p, ret->e.target.name_len);
	if (buf_remaining(&r) != 0)
		return -EBADMSG;
	ret->e.security = (ret->flags & AUDIT_F_SECURITY) != 0;
	ret->body = val;
	ret->body_len = len - AUDIT_LINK_SIZE;
	ret->link = (const uint8_t *)val + len - AUDIT_LINK_SIZE;
	return 0;
}

static void
anchor_mac(const uint8_t *key, const uint8_t *v, uint8_t *out)
{
	crypto_generichash(out, AUDIT_LINK_SIZE, v, 8 + AUDIT_LINK_SIZE, key,
			   crypto_generichash_KEYBYTES);
}

int
audit_anchor_load(struct store *s, MDB_txn *t, const uint8_t *key, uint64_t *ret_first,
		  uint8_t *ret_link)
{
	uint8_t mac[AUDIT_LINK_SIZE];
	struct proto_bytes v;
	int r = store_get(t, s->sys, "audit-anchor", 12, &v);

	if (r == -ENOENT) {
		*ret_first = 1;
		memset(ret_link, 0, AUDIT_LINK_SIZE);
		return 0;
	}
	if (r < 0)
		return r;
	if (key == NULL)
		return -ENOKEY;
	if (v.len != ANCHOR_SIZE)
		return -EBADMSG;
	anchor_mac(key, v.ptr, mac);
	if (sodium_memcmp(mac, v.ptr + 8 + AUDIT_LINK_SIZE, AUDIT_LINK_SIZE) != 0)
		return -EBADMSG;
	*ret_first = buf_load_u64(v.ptr);
	memcpy(ret_link, v.ptr + 8, AUDIT_LINK_SIZE);
	return 0;
}

int
audit_anchor_save(struct store *s, MDB_txn *t, const uint8_t *key, uint64_t first,
		  const uint8_t *link)
{
	uint8_t v[ANCHOR_SIZE];

	buf_store_u64(v, first);
	memcpy(v + 8, link, AUDIT_LINK_SIZE);
	anchor_mac(key, v, v + 8 + AUDIT_LINK_SIZE);
	return store_put(t, s->sys, "audit-anchor", 12, v, sizeof(v));
}

int
audit_chain_load(struct store *s, MDB_txn *t, struct audit_chain *ret)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = mdb_cursor_open(t, s->audit, &cur);
	if (rc != 0)
		return store_errno(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8) {
		/* Go on after the last record even if it is damaged (verify
		 * names it): never overwrite one. */
		ret->seq = buf_load_u64(k.mv_data);
		if (v.mv_size >= AUDIT_LINK_SIZE)
			memcpy(ret->link,
			       (const uint8_t *)v.mv_data + v.mv_size - AUDIT_LINK_SIZE,
			       AUDIT_LINK_SIZE);
	} else if (rc == 0) {
		rc = MDB_CORRUPTED; /* a key that is no sequence number */
	} else if (rc == MDB_NOTFOUND) {
		struct proto_bytes a;

		/* Everything was dropped: go on from the anchor. */
		rc = 0;
		if (store_get(t, s->sys, "audit-anchor", 12, &a) == 0 && a.len >= 8 + AUDIT_LINK_SIZE) {
			ret->seq = buf_load_u64(a.ptr) - 1;
			memcpy(ret->link, a.ptr + 8, AUDIT_LINK_SIZE);
		}
	}
	mdb_cursor_close(cur);
	return rc == 0 ? 0 : store_errno(rc);
}
