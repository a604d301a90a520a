/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "audit.h"
#include "keys.h"
#include "usage.h"

#define BUCKETS 4096u
#define CACHE_MAX 65536u
#define USAGE_FORMAT 2u
#define MAC_SIZE 32u
#define VAL_MAX (1u + 8u + USAGE_PERIODS * 16u + 8u + 2u * 4u + 1u + PEER_COMM_MAX + MAC_SIZE)

struct usage_ent {
	struct usage_ent *next;       /* bucket chain */
	struct usage_ent *next_dirty; /* dirty list */
	bool dirty;
	uint32_t key_len;
	uint8_t key[STORE_META_KEY_MAX];
	struct usage_rec rec;
};

struct usage {
	struct usage_ent *bucket[BUCKETS];
	struct usage_ent *dirty;
	uint32_t n, n_dirty;
};

int
usage_start(struct agent *a)
{
	a->usage = calloc(1, sizeof(*a->usage));
	return a->usage == NULL ? -ENOMEM : 0;
}

void
usage_free(struct usage *u)
{
	if (u == NULL)
		return;
	for (uint32_t i = 0; i < BUCKETS; i++)
		for (struct usage_ent *e = u->bucket[i], *n; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
	free(u);
}

static uint32_t
hash(const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h % BUCKETS;
}

static void
mac(const uint8_t *akey, const uint8_t *key, size_t klen, const uint8_t *v, size_t n,
    uint8_t *out)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, akey, crypto_generichash_KEYBYTES, MAC_SIZE);
	crypto_generichash_update(&st, (const uint8_t *)"usage", 5);
	crypto_generichash_update(&st, key, klen);
	crypto_generichash_update(&st, v, n);
	crypto_generichash_final(&st, out, MAC_SIZE);
}

static size_t
encode(const struct usage_rec *r, uint8_t *out)
{
	size_t clen = strnlen(r->reader_comm, PEER_COMM_MAX - 1);
	struct buf_writer w;

	buf_writer_init(&w, out, VAL_MAX);
	buf_put_u8(&w, USAGE_FORMAT);
	buf_put_u64(&w, r->reads);
	for (uint32_t i = 0; i < USAGE_PERIODS; i++) {
		buf_put_u64(&w, r->count[i]);
		buf_put_u64(&w, r->start[i]);
	}
	buf_put_u64(&w, r->last_read);
	buf_put_u32(&w, r->reader_uid);
	buf_put_u32(&w, r->reader_pid);
	buf_put_u8(&w, (uint8_t)clen);
	buf_put_bytes(&w, r->reader_comm, clen);
	return w.len;
}

static int
decode(const uint8_t *akey, const uint8_t *key, size_t klen, struct proto_bytes v,
       struct usage_rec *ret)
{
	uint8_t want[MAC_SIZE], fmt, clen;
	struct buf_reader r;
	const uint8_t *p;

	memset(ret, 0, sizeof(*ret));
	if (akey == NULL || v.len < MAC_SIZE)
		return -EBADMSG;
	mac(akey, key, klen, v.ptr, v.len - MAC_SIZE, want);
	if (sodium_memcmp(want, v.ptr + v.len - MAC_SIZE, MAC_SIZE) != 0)
		return -EBADMSG;
	buf_reader_init(&r, v.ptr, v.len - MAC_SIZE);
	if (buf_get_u8(&r, &fmt) < 0 || fmt != USAGE_FORMAT || buf_get_u64(&r, &ret->reads) < 0)
		return -EBADMSG;
	for (uint32_t i = 0; i < USAGE_PERIODS; i++)
		if (buf_get_u64(&r, &ret->count[i]) < 0 || buf_get_u64(&r, &ret->start[i]) < 0)
			return -EBADMSG;
	if (buf_get_u64(&r, &ret->last_read) < 0 || buf_get_u32(&r, &ret->reader_uid) < 0 ||
	    buf_get_u32(&r, &ret->reader_pid) < 0 || buf_get_u8(&r, &clen) < 0 ||
	    clen >= PEER_COMM_MAX || buf_get_bytes(&r, clen, &p) < 0 || buf_remaining(&r) != 0)
		return -EBADMSG;
	memcpy(ret->reader_comm, p, clen);
	return 0;
}

/* Drop the cache's clean entries once it holds too many. */
static void
evict(struct usage *u)
{
	for (uint32_t i = 0; i < BUCKETS; i++) {
		struct usage_ent **pp = &u->bucket[i];

		while (*pp != NULL) {
			struct usage_ent *e = *pp;

			if (e->dirty) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			u->n--;
		}
	}
}

static struct usage_ent *
find(struct usage *u, const uint8_t *key, size_t klen, uint32_t *ret_h)
{
	uint32_t h = hash(key, klen);

	*ret_h = h;
	for (struct usage_ent *e = u->bucket[h]; e != NULL; e = e->next)
		if (e->key_len == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

int
usage_get(struct agent *a, MDB_txn *t, uint32_t owner, struct proto_bytes name,
	  struct usage_ent **ret)
{
	struct usage *u = a->usage;
	uint8_t key[STORE_META_KEY_MAX];
	size_t klen = store_meta_key(key, owner, name.ptr, name.len);
	struct proto_bytes v;
	struct usage_ent *e;
	uint32_t h;
	int r;

	e = find(u, key, klen, &h);
	if (e != NULL) {
		*ret = e;
		return 0;
	}
	if (u->n >= CACHE_MAX)
		evict(u);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	memcpy(e->key, key, klen);
	e->key_len = (uint32_t)klen;
	r = store_get(t, a->store->usage, key, klen, &v);
	if (r == 0 && decode(keys_audit_key(a->keys), key, klen, v, &e->rec) < 0) {
		log_err("uid %u: the usage record of %.*s fails its integrity check (edited?)",
			(unsigned)owner, (int)name.len, (const char *)name.ptr);
		free(e);
		return -EBADMSG;
	}
	if (r < 0 && r != -ENOENT) {
		free(e);
		return r;
	}
	e->next = u->bucket[h];
	u->bucket[h] = e;
	u->n++;
	*ret = e;
	return 0;
}

struct usage_rec *
usage_rec_at(struct usage_ent *e, uint32_t period, uint64_t now)
{
	uint32_t view = (period >= 1 && period <= USAGE_PERIODS ? period : PROTO_PERIOD_DAY) - 1;

	for (uint32_t i = 0; i < USAGE_PERIODS; i++) {
		uint64_t start = proto_period_start(i + 1, now);

		if (e->rec.start[i] != start) {
			e->rec.start[i] = start;
			e->rec.count[i] = 0;
		}
	}
	e->rec.period_reads = e->rec.count[view];
	e->rec.period_start = e->rec.start[view];
	return &e->rec;
}

static void
mark(struct agent *a, struct usage_ent *e)
{
	if (!e->dirty) {
		e->dirty = true;
		e->next_dirty = a->usage->dirty;
		a->usage->dirty = e;
		a->usage->n_dirty++;
	}
	audit_kick(a);
}

void
usage_count_read(struct agent *a, struct usage_ent *e, const struct peer *p, uint64_t now)
{
	usage_rec_at(e, 0, now);
	e->rec.reads++;
	for (uint32_t i = 0; i < USAGE_PERIODS; i++)
		e->rec.count[i]++;
	e->rec.last_read = now;
	e->rec.reader_uid = (uint32_t)p->uid;
	e->rec.reader_pid = (uint32_t)p->pid;
	memcpy(e->rec.reader_comm, p->comm, PEER_COMM_MAX);
	e->rec.reader_comm[PEER_COMM_MAX - 1] = '\0';
	mark(a, e);
}

void
usage_reset(struct agent *a, struct usage_ent *e)
{
	/* A reset starts every period's count again. */
	for (uint32_t i = 0; i < USAGE_PERIODS; i++)
		e->rec.count[i] = 0;
	e->rec.period_reads = 0;
	mark(a, e);
}

void
usage_forget(struct agent *a, uint32_t owner, struct proto_bytes name)
{
	struct usage *u = a->usage;
	uint8_t key[STORE_META_KEY_MAX];
	size_t klen = store_meta_key(key, owner, name.ptr, name.len);
	struct usage_ent *e, **pp;
	uint32_t h;

	e = find(u, key, klen, &h);
	if (e == NULL)
		return;
	if (e->dirty) {
		/* Unlink from the dirty list. */
		for (pp = &u->dirty; *pp != NULL; pp = &(*pp)->next_dirty)
			if (*pp == e) {
				*pp = e->next_dirty;
				u->n_dirty--;
				break;
			}
	}
	for (pp = &u->bucket[h]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	u->n--;
	free(e);
}

bool
usage_dirty(const struct agent *a)
{
	return a->usage != NULL && a->usage->n_dirty > 0;
}

uint32_t
usage_take_dirty(struct agent *a, struct usage_snap **ret)
{
	struct usage *u = a->usage;
	struct usage_snap *s;
	uint32_t n = 0;

	*ret = NULL;
	if (u == NULL || u->n_dirty == 0)
		return 0;
	s = calloc(u->n_dirty, sizeof(*s));
	if (s == NULL)
		return 0; /* they stay dirty for the next flush */
	for (struct usage_ent *e = u->dirty; e != NULL; e = e->next_dirty) {
		memcpy(s[n].key, e->key, e->key_len);
		s[n].key_len = e->key_len;
		s[n].rec = e->rec;
		e->dirty = false;
		n++;
	}
	u->dirty = NULL;
	u->n_dirty = 0;
	*ret = s;
	return n;
}

void
usage_flush_failed(struct agent *a, struct usage_snap *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h;
		struct usage_ent *e = find(a->usage, s[i].key, s[i].key_len, &h);

		if (e != NULL && !e->dirty) {
			e->dirty = true;
			e->next_dirty = a->usage->dirty;
			a->usage->dirty = e;
			a->usage->n_dirty++;
		}
	}
}

void
usage_snaps_free(struct usage_snap *s, uint32_t n)
{
	(void)n;
	free(s);
}

int
usage_exec_flush(struct agent *a, MDB_txn *t, const struct usage_snap *s, uint32_t n)
{
	const uint8_t *akey = keys_audit_key(a->keys);
	uint8_t v[VAL_MAX];

	if (akey == NULL)
		return 0; /* no reads happen before the first unlock */
	for (uint32_t i = 0; i < n; i++) {
		struct proto_bytes m;
		size_t len;
		int r = store_get(t, a->store->meta, s[i].key, s[i].key_len, &m);

		if (r == -ENOENT)
			continue; /* purged meanwhile */
		if (r < 0)
			return r;
		len = encode(&s[i].rec, v);
		mac(akey, s[i].key, s[i].key_len, v, len, v + len);
		r = store_put(t, a->store->usage, s[i].key, s[i].key_len, v, len + MAC_SIZE);
		if (r < 0)
			return r;
	}
	return 0;
}

int
usage_del(struct agent *a, MDB_txn *t, const uint8_t *key, size_t key_len)
{
	int r = store_del(t, a->store->usage, key, key_len);

	return r == -ENOENT ? 0 : r;
}
