/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/smem.h"
#include "exec.h"
#include "keys.h"
#include "record.h"
#include "rekey.h"
#include "seal.h"
#include "store.h"
#include "writer.h"

#define REKEY_FIXED 18u

struct rekey_state {
	uint32_t old_gen, new_gen, flags, changed;
	uint8_t cursor[STORE_BLOB_KEY_MAX];
	size_t cursor_len;
};

static int
state_load(struct agent *a, MDB_txn *t, struct rekey_state *ret)
{
	struct proto_bytes v;
	size_t clen;
	int r = store_get(t, a->store->sys, "rekey", 5, &v);

	if (r < 0)
		return r;
	if (v.len < REKEY_FIXED + SEAL_MAC_SIZE ||
	    seal_mac_verify(a->keys, "sys", "rekey", 5, v.ptr, v.len - SEAL_MAC_SIZE,
			    v.ptr + v.len - SEAL_MAC_SIZE) < 0)
		return -EBADMSG;
	clen = (size_t)v.ptr[16] << 8 | v.ptr[17];
	if (clen > STORE_BLOB_KEY_MAX || REKEY_FIXED + clen + SEAL_MAC_SIZE != v.len)
		return -EBADMSG;
	ret->old_gen = buf_load_u32(v.ptr);
	ret->new_gen = buf_load_u32(v.ptr + 4);
	ret->flags = buf_load_u32(v.ptr + 8);
	ret->changed = buf_load_u32(v.ptr + 12);
	ret->cursor_len = clen;
	memcpy(ret->cursor, v.ptr + REKEY_FIXED, clen);
	return 0;
}

static int
state_save(struct agent *a, MDB_txn *t, const struct rekey_state *s)
{
	uint8_t v[REKEY_FIXED + STORE_BLOB_KEY_MAX + SEAL_MAC_SIZE];
	size_t n = REKEY_FIXED + s->cursor_len;

	buf_store_u32(v, s->old_gen);
	buf_store_u32(v + 4, s->new_gen);
	buf_store_u32(v + 8, s->flags);
	buf_store_u32(v + 12, s->changed);
	v[16] = (uint8_t)(s->cursor_len >> 8);
	v[17] = (uint8_t)s->cursor_len;
	memcpy(v + REKEY_FIXED, s->cursor, s->cursor_len);
	seal_mac(a->keys, "sys", "rekey", 5, v, n, v + n);
	return store_put(t, a->store->sys, "rekey", 5, v, n + SEAL_MAC_SIZE);
}

int
rekey_exec_start(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct rekey_state s = {.old_gen = keys_vk_current(a->keys), .flags = j->rekey_flags};
	struct rekey_state old;
	int r = state_load(a, t, &old);

	/* The loop answers CONFLICT while one runs: a record here is a rekey
	 * that stopped (on an error, or a lock) and is now taken up again. */
	if (r == 0) {
		log_notice("rekey resumed on request: generation %u still wraps some values",
			   old.old_gen);
		return 0;
	}
	r = keys_new_generation(a->keys, a->store, t, &s.new_gen);
	if (r == 0)
		r = state_save(a, t, &s);
	if (r < 0)
		return exec_store_error(j, r);
	log_notice("rekey started: vault key generation %u replaces %u%s", s.new_gen, s.old_gen,
		   (s.flags & PROTO_REKEY_RESEAL) ? ", values re-encrypted" : "");
	return 0;
}

/* Rewrap (or reseal) the blob under KEY if it is still on the old
 * generation: 1 if changed, 0 if not, -1 with the job failed. */
static int
redo_blob(struct agent *a, MDB_txn *t, const struct rekey_state *s, const uint8_t *key,
	  size_t klen, struct wjob *j)
{
	struct proto_bytes v, mv, name = {key + 4, klen - 9};
	uint32_t owner = buf_load_u32(key), ver = buf_load_u32(key + klen - 4), gen;
	uint8_t mkey[STORE_META_KEY_MAX], *copy, *out, *plain = NULL;
	size_t mlen = store_meta_key(mkey, owner, name.ptr, name.len), plen = 0;
	struct meta_rec m;
	int r;

	if (store_get(t, a->store->blob, key, klen, &v) < 0 ||
	    seal_blob_generation(v.ptr, v.len, &gen) < 0 || gen != s->old_gen)
		return 0;
	if (store_get(t, a->store->meta, mkey, mlen, &mv) < 0 ||
	    record_decode(a->keys, mkey, mlen, mv, &m) < 0) {
		log_err("rekey: a sealed value without valid metadata (uid %u); left as it is",
			(unsigned)owner);
		return 0;
	}
	struct seal_aad aad = {owner, m.id, name.ptr, name.len, ver, m.type.ptr, m.type.len};
	/* The stored bytes may move once this transaction rewrites them. */
	copy = malloc(v.len);
	if (copy == NULL)
		return exec_fail(j, PROTO_INTERNAL, "out of memory");
	memcpy(copy, v.ptr, v.len);
	r = store_reserve(t, a->store->blob, key, klen, v.len, &out);
	if (r == 0 && (s->flags & PROTO_REKEY_RESEAL)) {
		r = seal_blob_plain_len(copy, v.len, &plen);
		plain = r == 0 ? smem_alloc(plen > 0 ? plen : 1) : NULL;
		r = plain == NULL ? -ENOMEM
				  : seal_open_blob(a->keys, writer_dek(a->writer), &aad, copy, v.len,
						   plain);
		if (r == 0)
			r = seal_blob(a->keys, writer_dek(a->writer), &aad, plain, plen, out);
		smem_free(plain);
	} else if (r == 0) {
		r = seal_rewrap_blob(a->keys, writer_dek(a->writer), &aad, copy, v.len, out);
	}
	free(copy);
	if (r < 0) {
		log_err("rekey: uid %u: a sealed value does not open (%s)", (unsigned)owner,
			strerror(-r));
		return exec_fail(j, PROTO_INTERNAL, "a sealed value does not open; rekey stopped");
	}
	return 1;
}

/* Copy up to N blob keys after CURSOR; *ret_end when the db ends. */
static int
next_keys(struct agent *a, MDB_txn *t, const struct rekey_state *s, uint8_t (*keys)[STORE_BLOB_KEY_MAX],
	  size_t *lens, uint32_t n, uint32_t *ret_n, bool *ret_end)
{
	MDB_val k = {s->cursor_len, (void *)(uintptr_t)s->cursor}, v;
	MDB_cursor *cur;
	uint32_t got = 0;
	int rc;

	if (mdb_cursor_open(t, a->store->blob, &cur) != 0)
		return -EIO;
	rc = mdb_cursor_get(cur, &k, &v, s->cursor_len > 0 ? MDB_SET_RANGE : MDB_FIRST);
	if (rc == 0 && s->cursor_len > 0 && k.mv_size == s->cursor_len &&
	    memcmp(k.mv_data, s->cursor, s->cursor_len) == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	for (; rc == 0 && got < n; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 10 || k.mv_size > STORE_BLOB_KEY_MAX)
			continue;
		memcpy(keys[got], k.mv_data, k.mv_size);
		lens[got++] = k.mv_size;
	}
	mdb_cursor_close(cur);
	*ret_n = got;
	*ret_end = rc != 0;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : -EIO;
}

int
rekey_exec_batch(struct agent *a, MDB_txn *t, struct wjob *j)
{
	uint32_t n = a->cfg.rekey_batch, got = 0;
	uint8_t (*keys)[STORE_BLOB_KEY_MAX];
	struct rekey_state s;
	size_t *lens;
	bool end = false;
	int r;

	if (a->cfg.rekey_pause_ms > 0)
		usleep((useconds_t)a->cfg.rekey_pause_ms * 1000);
	r = state_load(a, t, &s);
	if (r == -ENOENT) {
		j->rekey_done = true;
		return 0;
	}
	if (r < 0)
		return exec_fail(j, PROTO_INTERNAL, "the rekey record is damaged");
	keys = calloc(n, sizeof(*keys));
	lens = calloc(n, sizeof(*lens));
	r = keys == NULL || lens == NULL ? -ENOMEM : next_keys(a, t, &s, keys, lens, n, &got, &end);
	for (uint32_t i = 0; r == 0 && i < got; i++) {
		int c = redo_blob(a, t, &s, keys[i], lens[i], j);

		if (c < 0)
			r = -1;
		s.changed += c > 0 ? 1 : 0;
		memcpy(s.cursor, keys[i], lens[i]);
		s.cursor_len = lens[i];
	}
	free(keys);
	free(lens);
	if (r == -1)
		return -1;
	if (r < 0)
		return exec_store_error(j, r);
	if (end && s.changed == 0) {
		/* A whole pass found nothing on the old generation: destroy it. */
		r = keys_destroy_generation(a->store, t, s.old_gen);
		if (r == 0)
			r = store_del(t, a->store->sys, "rekey", 5);
		j->rekey_done = true;
		j->version = s.old_gen;
	} else {
		if (end) { /* another pass, for values written meanwhile */
			s.cursor_len = 0;
			s.changed = 0;
		}
		r = state_save(a, t, &s);
	}
	return r < 0 ? exec_store_error(j, r) : 0;
}

static void
queue_batch(struct agent *a)
{
	struct wjob *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;
	j->type = OPS_JOB_REKEY;
	j->peer.uid = a->uid;
	j->status = PROTO_OK;
	a->rekey_running = true;
	writer_submit(a->writer, j);
}

static void
answer(struct agent *a, uint16_t status, const char *msg)
{
	struct conn *c = a->rekey_conn;

	if (c == NULL)
		return;
	a->rekey_conn = NULL;
	if (!c->dead &&
	    conn_reply_status(a, c, PROTO_MSG_REKEY, a->rekey_reqid, status, msg) < 0)
		log_warn("rekey: reply dropped, the arena is full");
	conn_resume(a, c);
}

void
rekey_started(struct agent *a, struct wjob *j)
{
	a->rekey_conn = j->conn;
	a->rekey_reqid = j->reqid;
	if (keys_reload(a->keys, a->store) < 0) {
		answer(a, PROTO_INTERNAL, "the new vault key does not load");
		return;
	}
	queue_batch(a);
}

void
rekey_batch_done(struct agent *a, struct wjob *j)
{
	a->rekey_running = false;
	if (j->status != PROTO_OK) {
		log_err("rekey paused: %s", j->message);
		answer(a, j->status, j->message);
		return;
	}
	if (!j->rekey_done) {
		queue_batch(a);
		return;
	}
	if (keys_reload(a->keys, a->store) < 0)
		log_err("rekey: the vault keys do not reload");
	log_notice("rekey finished: vault key generation %u destroyed", j->version);
	answer(a, PROTO_OK, NULL);
}

void
rekey_kick(struct agent *a)
{
	struct rekey_state s;
	MDB_txn *t;
	int r;

	if (a->rekey_running || keys_locked(a->keys) || store_read_begin(a->store, &t) < 0)
		return;
	r = state_load(a, t, &s);
	store_read_end(a->store);
	if (r < 0)
		return;
	log_notice("rekey resumed: generation %u still wraps some values", s.old_gen);
	queue_batch(a);
}
