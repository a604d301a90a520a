/* SPDX-License-Identifier: MIT */
/*
 * Lock, unlock, passwd, keyslots and backup. Argon2id and backups run on
 * the worker thread, the slot records they produce are written by the
 * writer thread, and the connection waits meanwhile while every other one
 * is served.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"
#include "audit.h"
#include "exec.h"
#include "common/smem.h"
#include "keys.h"
#include "seal.h"
#include "rekey.h"
#include "slot.h"
#include "store.h"
#include "worker.h"
#include "writer.h"
#include "ops.h"

/* The secrets a keys job carries, in one locked allocation. */
struct kjob_secret {
	uint8_t pass[PROTO_PASSPHRASE_MAX];
	uint8_t new_pass[PROTO_PASSPHRASE_MAX];
	uint8_t mk[SEAL_KEY_SIZE];
	uint8_t kek[SEAL_KEY_SIZE];
	uint8_t keyfile[SEAL_KEY_SIZE];
};

struct kjob {
	struct sjob sj;
	struct conn *conn;
	uint8_t type;
	uint32_t reqid;
	struct peer peer;
	struct kjob_secret *sec;
	size_t pass_len, new_pass_len;
	struct slot_rec slots[PROTO_SLOTS_MAX];
	int n_slots;
	bool has_slot;
	uint32_t slot;
	struct slot_rec out; /* the slot record to write */
	int fd;
	bool found;
	uint16_t status;
	char message[160];
};

static bool
keys_allowed(const struct agent *a, const struct peer *p)
{
	/* A keyslot or a backup is the whole store: root's alone. */
	return !a->cfg.system_mode || p->uid == 0;
}

static void
kjob_free(struct kjob *k)
{
	if (k == NULL)
		return;
	smem_free(k->sec);
	if (k->fd >= 0)
		close(k->fd);
	sodium_memzero(k->slots, sizeof(k->slots));
	free(k);
}

static struct kjob *
kjob_new(struct conn *c, const struct proto_frame *f)
{
	struct kjob *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->sec = smem_alloc(sizeof(*k->sec));
	if (k->sec == NULL) {
		free(k);
		return NULL;
	}
	k->conn = c;
	k->type = f->type;
	k->reqid = f->reqid;
	k->peer = c->peer;
	k->fd = -1;
	k->status = PROTO_OK;
	return k;
}

/* Answer K's request and let its connection go on. */
static void
kjob_reply(struct agent *a, struct kjob *k)
{
	struct conn *c = k->conn;

	audit_note(a, &k->peer, k->type, NULL, k->status);
	if (!c->dead) {
		int r = k->type == PROTO_MSG_KEYSLOT_ADD && k->status == PROTO_OK
				? 0
				: conn_reply_status(a, c, k->type, k->reqid, k->status,
						    k->message[0] != '\0' ? k->message : NULL);
		struct buf_writer w;

		if (k->type == PROTO_MSG_KEYSLOT_ADD && k->status == PROTO_OK) {
			r = conn_reply_begin(a, c, 64, &w);
			if (r == 0 && proto_encode_slot_reply(&w, k->reqid, k->out.index) == 0)
				conn_reply_commit(c, &w);
		}
		if (r < 0)
			log_warn("connection %llu: reply dropped, the arena is full",
				 (unsigned long long)c->id);
	}
	kjob_free(k);
	conn_resume(a, c);
}

static int
load_slots(struct agent *a, struct kjob *k)
{
	MDB_txn *t;

	if (store_read_begin(a->store, &t) < 0)
		return -EIO;
	k->n_slots = slot_load_all(a->store, t, k->slots);
	store_read_end(a->store);
	return k->n_slots < 0 ? k->n_slots : 0;
}

/* Worker: find the passphrase slot PASS opens; MK into sec->mk. */
static void
find_slot(struct kjob *k)
{
	k->found = false;
	for (int i = 0; i < k->n_slots && !k->found; i++) {
		const struct slot_rec *s = &k->slots[i];

		if (s->kind != PROTO_SLOT_PASSPHRASE || (k->has_slot && s->index != k->slot))
			continue;
		if (slot_kek_passphrase(s, k->sec->pass, k->pass_len, k->sec->kek) == 0 &&
		    slot_unwrap(s, k->sec->kek, k->sec->mk) == 0) {
			k->found = true;
			k->out = *s;
		}
	}
	sodium_memzero(k->sec->kek, SEAL_KEY_SIZE);
	if (!k->found) {
		/* Slow down guessing; the worker, not the loop, waits. */
		sleep(1);
		k->status = PROTO_DENIED;
		snprintf(k->message, sizeof(k->message), "wrong passphrase");
	}
}

static void
unlock_run(struct agent *a, struct sjob *sj)
{
	(void)a;
	find_slot((struct kjob *)sj);
}

static void
unlock_done(struct agent *a, struct sjob *sj)
{
	struct kjob *k = (struct kjob *)sj;

	if (k->found && keys_install(a->keys, a->store, k->sec->mk) < 0) {
		k->status = PROTO_INTERNAL;
		snprintf(k->message, sizeof(k->message),
			 "the store's key records are damaged or were tampered with");
	}
	if (k->status == PROTO_OK) {
		log_notice("unlocked by uid %u pid %d", (unsigned)k->peer.uid, (int)k->peer.pid);
		rekey_kick(a);
	}
	else
		log_warn("failed unlock by uid %u pid %d: %s", (unsigned)k->peer.uid,
			 (int)k->peer.pid, k->message);
	kjob_reply(a, k);
}

/* Worker: a new passphrase slot OUT (index set) wrapping sec->mk. */
static void
wrap_new_passphrase(struct agent *a, struct kjob *k, const uint8_t *pass, size_t len)
{
	uint32_t index = k->out.index;

	slot_new_passphrase(&k->out, index, a->cfg.kdf_ops, a->cfg.kdf_mem);
	k->out.created = agent_now();
	if (slot_kek_passphrase(&k->out, pass, len, k->sec->kek) < 0) {
		k->status = PROTO_INTERNAL;
		snprintf(k->message, sizeof(k->message), "Argon2id failed (out of memory?)");
		return;
	}
	slot_wrap(&k->out, k->sec->kek, k->sec->mk);
	sodium_memzero(k->sec->kek, SEAL_KEY_SIZE);
}

static void
passwd_run(struct agent *a, struct sjob *sj)
{
	struct kjob *k = (struct kjob *)sj;

	find_slot(k);
	if (k->found)
		wrap_new_passphrase(a, k, k->sec->new_pass, k->new_pass_len);
}

/* Loop: hand the slot record to the writer; it answers. */
static void
slot_write_done(struct agent *a, struct sjob *sj)
{
	struct kjob *k = (struct kjob *)sj;
	struct wjob *j;

	if (k->status != PROTO_OK || (j = calloc(1, sizeof(*j))) == NULL) {
		if (k->status == PROTO_OK)
			k->status = PROTO_INTERNAL;
		kjob_reply(a, k);
		return;
	}
	j->conn = k->conn;
	j->type = k->type;
	j->reqid = k->reqid;
	j->peer = k->peer;
	j->status = PROTO_OK;
	j->slot = k->out;
	kjob_free(k);
	writer_submit(a->writer, j);
}

static void
add_run(struct agent *a, struct sjob *sj)
{
	struct kjob *k = (struct kjob *)sj;
	struct stat st;

	if (k->fd < 0) {
		wrap_new_passphrase(a, k, k->sec->pass, k->pass_len);
		return;
	}
	if (fstat(k->fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
		/* The agent would refuse it at start (--keyfile): refuse it now. */
		k->status = PROTO_USAGE;
		snprintf(k->message, sizeof(k->message),
			 "the keyfile is readable by others (mode %04o); chmod 600 it",
			 (unsigned)(st.st_mode & 07777));
		return;
	}
	if (fstat(k->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != SEAL_KEY_SIZE ||
	    pread(k->fd, k->sec->keyfile, SEAL_KEY_SIZE, 0) != (ssize_t)SEAL_KEY_SIZE) {
		k->status = PROTO_USAGE;
		snprintf(k->message, sizeof(k->message),
			 "a keyfile must be a regular file of exactly %u bytes", SEAL_KEY_SIZE);
		return;
	}
	k->out.kind = PROTO_SLOT_KEYFILE;
	k->out.created = agent_now();
	slot_kek_keyfile(k->sec->keyfile, k->sec->kek);
	slot_wrap(&k->out, k->sec->kek, k->sec->mk);
	sodium_memzero(k->sec->kek, SEAL_KEY_SIZE);
}

static void
backup_run(struct agent *a, struct sjob *sj)
{
	struct kjob *k = (struct kjob *)sj;
	struct stat st;
	int r = store_backup(a->store, k->fd);

	if (r < 0) {
		k->status = PROTO_INTERNAL;
		snprintf(k->message, sizeof(k->message), "backup failed: %s", strerror(-r));
	} else if (fstat(k->fd, &st) == 0) {
		log_info("backup of %lld bytes written for uid %u", (long long)st.st_size,
			 (unsigned)k->peer.uid);
	}
}

static void
plain_done(struct agent *a, struct sjob *sj)
{
	kjob_reply(a, (struct kjob *)sj);
}

static enum ops_result
start(struct agent *a, struct conn *c, struct kjob *k, sjob_fn run, sjob_fn done)
{
	k->sj.run = run;
	k->sj.done = done;
	c->write_pending = true;
	worker_submit(a->worker, &k->sj);
	return OPS_PENDING;
}

static enum ops_result
refuse(struct agent *a, struct conn *c, const struct proto_frame *f, struct kjob *k,
       uint16_t status, const char *why)
{
	kjob_free(k);
	return ops_fail(a, c, f, status, "%s", why);
}

/* The next free slot number, chosen before the wrap (its AAD binds it). */
static int
pick_index(struct agent *a, struct kjob *k)
{
	MDB_txn *t;
	int r;

	if (store_read_begin(a->store, &t) < 0)
		return -EIO;
	r = slot_free_index(a->store, t);
	store_read_end(a->store);
	if (r >= 0)
		k->out.index = (uint32_t)r;
	return r;
}

enum ops_result
ops_keys(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct proto_keys_req m;
	struct kjob *k;

	if (proto_decode_keys(f->body, f->type, &m) < 0)
		return ops_fail(a, c, f, PROTO_BAD_REQUEST, "malformed request");
	if (!keys_allowed(a, &c->peer))
		return ops_fail(a, c, f, PROTO_DENIED, "only root manages the system agent's keys");
	switch (f->type) {
	case PROTO_MSG_LOCK:
		keys_lock(a->keys);
		seal_cache_clear(a->seal_cache);
		log_notice("locked by uid %u pid %d", (unsigned)c->peer.uid, (int)c->peer.pid);
		return ops_fail(a, c, f, PROTO_OK, "%s", "");
	case PROTO_MSG_KEYSLOT_LIST:
		return ops_keyslot_list(a, c, f);
	case PROTO_MSG_KEYSLOT_RM:
		return ops_keys_job(a, c, f, m.slot, 0);
	case PROTO_MSG_REKEY:
		if (a->rekey_conn != NULL || a->rekey_running)
			return ops_fail(a, c, f, PROTO_CONFLICT, "a rekey is already running");
		return ops_keys_job(a, c, f, 0, m.flags);
	default:
		break;
	}
	if (f->type == PROTO_MSG_PASSWD || f->type == PROTO_MSG_KEYSLOT_ADD) {
		struct buf_writer w;

		/* The writer answers these: their reply's space now. */
		if (conn_reply_begin(a, c, OPS_WRITE_REPLY_MAX, &w) < 0)
			return OPS_NOMEM;
	}
	k = kjob_new(c, f);
	if (k == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	k->pass_len = m.passphrase.len;
	if (m.has_passphrase)
		memcpy(k->sec->pass, m.passphrase.ptr, m.passphrase.len);
	k->new_pass_len = m.new_passphrase.len;
	if (m.has_new_passphrase)
		memcpy(k->sec->new_pass, m.new_passphrase.ptr, m.new_passphrase.len);
	k->has_slot = m.has_slot;
	k->slot = m.slot;
	switch (f->type) {
	case PROTO_MSG_UNLOCK:
		if (!keys_locked(a->keys))
			return refuse(a, c, f, k, PROTO_OK, "already unlocked");
		if (!m.has_passphrase) {
			char err[256] = "";
			int r = keys_unlock_keyfile(a->keys, a->store, err, sizeof(err));

			if (r == 0) {
				log_notice("unlocked with the keyfile by uid %u", (unsigned)c->peer.uid);
				rekey_kick(a);
			}
			return refuse(a, c, f, k, r == 0 ? PROTO_OK : PROTO_DENIED, err);
		}
		if (load_slots(a, k) < 0)
			return refuse(a, c, f, k, PROTO_INTERNAL, "the store cannot be read");
		return start(a, c, k, unlock_run, unlock_done);
	case PROTO_MSG_PASSWD:
		if (load_slots(a, k) < 0)
			return refuse(a, c, f, k, PROTO_INTERNAL, "the store cannot be read");
		return start(a, c, k, passwd_run, slot_write_done);
	case PROTO_MSG_KEYSLOT_ADD:
		if (keys_copy_mk(a->keys, k->sec->mk) < 0)
			return refuse(a, c, f, k, PROTO_LOCKED, "the agent is locked");
		if (m.slot_kind == PROTO_SLOT_KEYFILE) {
			k->fd = conn_take_fd(c);
			if (k->fd < 0)
				return refuse(a, c, f, k, PROTO_BAD_REQUEST,
					      "a keyfile slot needs the file's descriptor (SCM_RIGHTS)");
		}
		if (pick_index(a, k) < 0)
			return refuse(a, c, f, k, PROTO_CONFLICT, "every keyslot is in use");
		return start(a, c, k, add_run, slot_write_done);
	case PROTO_MSG_BACKUP:
		k->fd = conn_take_fd(c);
		if (k->fd < 0)
			return refuse(a, c, f, k, PROTO_BAD_REQUEST,
				      "a backup needs the target file's descriptor (SCM_RIGHTS)");
		return start(a, c, k, backup_run, plain_done);
	default:
		return refuse(a, c, f, k, PROTO_UNSUPPORTED, "unknown request");
	}
}

enum ops_result
ops_keyslot_list(struct agent *a, struct conn *c, const struct proto_frame *f)
{
	struct slot_rec slots[PROTO_SLOTS_MAX];
	struct buf_writer w;
	size_t start;
	MDB_txn *t;
	int n;

	if (store_read_begin(a->store, &t) < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	n = slot_load_all(a->store, t, slots);
	store_read_end(a->store);
	if (n < 0)
		return ops_fail(a, c, f, PROTO_INTERNAL, "the store cannot be read");
	if (conn_reply_begin(a, c, PROTO_REPLY_HDR + (size_t)n * 64, &w) < 0)
		return OPS_NOMEM;
	start = proto_reply_begin(&w, f->type, f->reqid, PROTO_OK);
	for (int i = 0; i < n; i++) {
		struct proto_keyslot ks = {slots[i].index, slots[i].kind, slots[i].created};

		proto_put_keyslot(&w, &ks);
	}
	if (proto_frame_end(&w, start) < 0)
		abort();
	conn_reply_commit(c, &w);
	return OPS_DONE;
}

/* KEYSLOT_RM and REKEY: straight to the writer. */
enum ops_result
ops_keys_job(struct agent *a, struct conn *c, const struct proto_frame *f, uint32_t slot,
	     uint32_t flags)
{
	struct wjob *j = calloc(1, sizeof(*j));
	struct buf_writer w;

	if (j == NULL)
		return ops_fail(a, c, f, PROTO_INTERNAL, "out of memory");
	if (conn_reply_begin(a, c, OPS_WRITE_REPLY_MAX, &w) < 0) {
		free(j);
		return OPS_NOMEM;
	}
	j->conn = c;
	j->type = f->type;
	j->reqid = f->reqid;
	j->peer = c->peer;
	j->status = PROTO_OK;
	j->slot.index = slot;
	j->rekey_flags = flags;
	c->write_pending = true;
	writer_submit(a->writer, j);
	return OPS_PENDING;
}

/* Writer thread: record a keyslot change. */
int
ops_exec_slot(struct agent *a, MDB_txn *t, struct wjob *j)
{
	struct slot_rec slots[PROTO_SLOTS_MAX];
	int n = slot_load_all(a->store, t, slots), at = -1, r;

	if (n < 0)
		return exec_store_error(j, n);
	for (int i = 0; i < n; i++)
		if (slots[i].index == j->slot.index)
			at = i;
	switch (j->type) {
	case PROTO_MSG_KEYSLOT_ADD:
		if (at >= 0)
			return exec_fail(j, PROTO_CONFLICT, "keyslot %u was taken meanwhile; retry",
					 j->slot.index);
		r = slot_put(a->store, t, &j->slot);
		break;
	case PROTO_MSG_PASSWD:
		if (at < 0 || slots[at].kind != PROTO_SLOT_PASSPHRASE)
			return exec_fail(j, PROTO_CONFLICT, "keyslot %u changed meanwhile; retry",
					 j->slot.index);
		r = slot_put(a->store, t, &j->slot);
		break;
	default: /* KEYSLOT_RM */
		if (at < 0)
			return exec_fail(j, PROTO_NOT_FOUND, "no keyslot %u", j->slot.index);
		if (n == 1)
			return exec_fail(j, PROTO_CONFLICT,
					 "keyslot %u is the last one: add another first",
					 j->slot.index);
		r = slot_del(a->store, t, j->slot.index);
		break;
	}
	if (r < 0)
		return exec_store_error(j, r);
	j->version = j->slot.index;
	sodium_memzero(&j->slot, sizeof(j->slot));
	return 0;
}
