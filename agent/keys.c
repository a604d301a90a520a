/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/smem.h"
#include "keys.h"
#include "seal.h"
#include "slot.h"

#define MAC_KDF_ID 1u
#define MAC_KDF_CTX "credmeta"

/* Everything secret, in one locked allocation. */
struct keys_secret {
	uint8_t mk[SEAL_KEY_SIZE];
	uint8_t mac[SEAL_KEY_SIZE];
	uint8_t kek[SEAL_KEY_SIZE];
	uint8_t keyfile[SEAL_KEY_SIZE];
	uint8_t vk[KEYS_VK_MAX][SEAL_KEY_SIZE];
};

struct keys {
	pthread_rwlock_t rw;
	bool locked;
	struct keys_secret *sec;
	uint32_t vk_current;
	uint32_t vk_gen[KEYS_VK_MAX]; /* 0: unused */
	char *keyfile;
	uint8_t *audit; /* the audit key: locked, kept across lock */
	bool audit_loaded;
};

const uint8_t *
keys_vk(const struct keys *k, uint32_t gen)
{
	for (size_t i = 0; i < KEYS_VK_MAX; i++)
		if (gen != 0 && k->vk_gen[i] == gen)
			return k->sec->vk[i];
	return NULL;
}

uint32_t
keys_vk_current(const struct keys *k)
{
	return k->vk_current;
}

const uint8_t *
keys_mac_key(const struct keys *k)
{
	return k->sec->mac;
}

const uint8_t *
keys_audit_key(const struct keys *k)
{
	return k->audit_loaded ? k->audit : NULL;
}

bool
keys_locked(const struct keys *k)
{
	return k->locked;
}

const char *
keys_keyfile_path(const struct keys *k)
{
	return k->keyfile;
}

void
keys_read_begin(struct keys *k)
{
	pthread_rwlock_rdlock(&k->rw);
}

void
keys_read_end(struct keys *k)
{
	pthread_rwlock_unlock(&k->rw);
}

static void
wipe(struct keys *k)
{
	sodium_memzero(k->sec, sizeof(*k->sec));
	memset(k->vk_gen, 0, sizeof(k->vk_gen));
	k->vk_current = 0;
	k->locked = true;
}

void
keys_lock(struct keys *k)
{
	pthread_rwlock_wrlock(&k->rw);
	wipe(k);
	pthread_rwlock_unlock(&k->rw);
}

void
keys_free(struct keys *k)
{
	if (k == NULL)
		return;
	smem_free(k->sec);
	smem_free(k->audit);
	pthread_rwlock_destroy(&k->rw);
	free(k->keyfile);
	free(k);
}

int
keys_copy_mk(const struct keys *k, uint8_t *out)
{
	if (k->locked)
		return -ENOKEY;
	memcpy(out, k->sec->mk, SEAL_KEY_SIZE);
	return 0;
}

static size_t
vk_aad(uint8_t *out, uint32_t gen)
{
	struct buf_writer w;

	buf_writer_init(&w, out, 64);
	buf_put_bytes(&w, "credagent/vk", 12);
	buf_put_u32(&w, gen);
	return w.len;
}

/* Whether PATH is a credential systemd passed ($CREDENTIALS_DIRECTORY):
 * systemd decides who may read those (it may grant the service's user
 * through an ACL, which shows as group bits), and nobody else writes
 * there. */
static bool
is_credential(const char *path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir != NULL ? strlen(dir) : 0;

	return n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Read exactly 32 bytes from PATH; refuse a file others can read (but for
 * a systemd credential). */
static int
keyfile_read(const char *path, uint8_t *out, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		snprintf(errbuf, errlen, "cannot open the keyfile %s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "the keyfile %s is not a regular file", path);
		r = -EINVAL;
	} else if ((st.st_mode & 077) != 0 && !is_credential(path)) {
		snprintf(errbuf, errlen, "the keyfile %s is readable by others (mode %04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		r = -EPERM;
	} else if (st.st_size != (off_t)SEAL_KEY_SIZE ||
		   read(fd, out, SEAL_KEY_SIZE) != (ssize_t)SEAL_KEY_SIZE) {
		snprintf(errbuf, errlen, "the keyfile %s must hold exactly %u bytes", path,
			 SEAL_KEY_SIZE);
		r = -EINVAL;
	}
	close(fd);
	return r;
}

static int
keyfile_create(const char *path, const uint8_t *key, char *errbuf, size_t errlen)
{
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(errbuf, errlen, "cannot create the keyfile %s: %s", path, strerror(errno));
		return r;
	}
	if (write(fd, key, SEAL_KEY_SIZE) != (ssize_t)SEAL_KEY_SIZE || fsync(fd) < 0) {
		r = errno != 0 ? -errno : -EIO;
		snprintf(errbuf, errlen, "cannot write the keyfile %s: %s", path, strerror(-r));
		unlink(path);
	}
	close(fd);
	return r;
}

static int
derive_mac_key(struct keys_secret *sec)
{
	return crypto_kdf_derive_from_key(sec->mac, SEAL_KEY_SIZE, MAC_KDF_ID, MAC_KDF_CTX,
					  sec->mk) == 0
		       ? 0
		       : -EIO;
}

static int load_audit_key(struct keys *k, struct store *s);

/* Write the records of a new store: format, id, SLOT (wrapping a fresh
 * MK under the KEK in sec->kek), VK 1. */
static int
store_init(struct store *s, struct keys *k, struct slot_rec *slot)
{
	uint8_t aad[64], vk[SEAL_WRAPPED_SIZE], id[SEAL_ID_SIZE], fmt[4], cur[4 + SEAL_MAC_SIZE];
	MDB_txn *t;
	int r;

	randombytes_buf(k->sec->mk, SEAL_KEY_SIZE);
	randombytes_buf(k->sec->vk[0], SEAL_KEY_SIZE);
	randombytes_buf(id, sizeof(id));
	k->vk_gen[0] = 1;
	k->vk_current = 1;
	r = derive_mac_key(k->sec);
	if (r < 0)
		return r;
	slot->created = (uint64_t)time(NULL);
	slot_wrap(slot, k->sec->kek, k->sec->mk);
	seal_wrap_key(k->sec->mk, aad, vk_aad(aad, 1), k->sec->vk[0], vk);
	buf_store_u32(fmt, KEYS_FORMAT);
	buf_store_u32(cur, 1);
	seal_mac(k, "sys", "vk-current", 10, cur, 4, cur + 4);

	r = store_txn_begin(s, NULL, &t);
	if (r < 0)
		return r;
	if ((r = store_put(t, s->sys, "format", 6, fmt, 4)) < 0 ||
	    (r = store_put(t, s->sys, "store-id", 8, id, sizeof(id))) < 0 ||
	    (r = slot_put(s, t, slot)) < 0 || (r = store_put(t, s->sys, "vk/1", 4, vk, sizeof(vk))) < 0 ||
	    (r = store_put(t, s->sys, "vk-current", 10, cur, sizeof(cur))) < 0) {
		store_txn_abort(t);
		return r;
	}
	r = store_txn_commit(t);
	if (r < 0)
		return r;
	r = load_audit_key(k, s);
	if (r == 0)
		k->locked = false;
	return r;
}

static int
load_vks(MDB_txn *t, struct store *s, struct keys *k)
{
	struct proto_bytes v;
	uint8_t aad[64];
	char name[24];
	uint32_t gen;
	int r;

	r = store_get(t, s->sys, "vk-current", 10, &v);
	if (r < 0 || v.len != 4 + SEAL_MAC_SIZE)
		return -EBADMSG;
	if (seal_mac_verify(k, "sys", "vk-current", 10, v.ptr, 4, v.ptr + 4) < 0)
		return -EBADMSG;
	gen = buf_load_u32(v.ptr);
	/* Generations are kept contiguous: current and up to 7 before it. */
	for (uint32_t g = gen, i = 0; g >= 1 && i < KEYS_VK_MAX; g--, i++) {
		snprintf(name, sizeof(name), "vk/%u", g);
		if (store_get(t, s->sys, name, strlen(name), &v) < 0)
			break;
		if (v.len != SEAL_WRAPPED_SIZE ||
		    seal_unwrap_key(k->sec->mk, aad, vk_aad(aad, g), v.ptr, k->sec->vk[i]) < 0)
			return -EBADMSG;
		k->vk_gen[i] = g;
	}
	k->vk_current = gen;
	return keys_vk(k, gen) != NULL ? 0 : -EBADMSG;
}

#define AUDIT_KEY_AAD "credagent/audit-key"

/*
 * The audit key, once per agent life: unwrapped from the "audit-key"
 * record, or made and stored (wrapped by MK) by the first unlock of a
 * store that has none. Lock leaves it in place; rekey never changes it.
 */
static int
load_audit_key(struct keys *k, struct store *s)
{
	uint8_t wrapped[SEAL_WRAPPED_SIZE];
	struct proto_bytes v;
	MDB_txn *t;
	int r;

	if (k->audit_loaded)
		return 0;
	r = store_read_begin(s, &t);
	if (r < 0)
		return r;
	r = store_get(t, s->sys, "audit-key", 9, &v);
	if (r == 0) {
		r = v.len == SEAL_WRAPPED_SIZE
			    ? seal_unwrap_key(k->sec->mk, AUDIT_KEY_AAD, strlen(AUDIT_KEY_AAD),
					      v.ptr, k->audit)
			    : -EBADMSG;
		store_read_end(s);
		k->audit_loaded = r == 0;
		return r < 0 ? -EBADMSG : 0;
	}
	store_read_end(s);
	if (r != -ENOENT)
		return r;
	randombytes_buf(k->audit, SEAL_KEY_SIZE);
	seal_wrap_key(k->sec->mk, AUDIT_KEY_AAD, strlen(AUDIT_KEY_AAD), k->audit, wrapped);
	r = store_txn_begin(s, NULL, &t);
	if (r < 0)
		return r;
	r = store_put(t, s->sys, "audit-key", 9, wrapped, sizeof(wrapped));
	if (r < 0) {
		store_txn_abort(t);
		return r;
	}
	r = store_txn_commit(t);
	k->audit_loaded = r == 0;
	return r;
}

/* With sec->mk set: derive, load the VKs and the audit key, and mark
 * unlocked. */
static int
finish_unlock(struct keys *k, struct store *s)
{
	MDB_txn *t;
	int r;

	r = derive_mac_key(k->sec);
	if (r < 0)
		return r;
	r = store_read_begin(s, &t);
	if (r < 0)
		return r;
	r = load_vks(t, s, k);
	store_read_end(s);
	if (r < 0)
		return r;
	r = load_audit_key(k, s);
	if (r < 0)
		return r;
	k->locked = false;
	return 0;
}

int
keys_new_generation(struct keys *k, struct store *s, MDB_txn *t, uint32_t *ret_gen)
{
	uint8_t aad[64], vk[SEAL_WRAPPED_SIZE], cur[4 + SEAL_MAC_SIZE], *key;
	uint32_t gen = k->vk_current + 1;
	char name[24];
	int r;

	key = smem_alloc(SEAL_KEY_SIZE);
	if (key == NULL)
		return -ENOMEM;
	randombytes_buf(key, SEAL_KEY_SIZE);
	seal_wrap_key(k->sec->mk, aad, vk_aad(aad, gen), key, vk);
	smem_free(key);
	buf_store_u32(cur, gen);
	seal_mac(k, "sys", "vk-current", 10, cur, 4, cur + 4);
	snprintf(name, sizeof(name), "vk/%u", gen);
	r = store_put(t, s->sys, name, strlen(name), vk, sizeof(vk));
	if (r == 0)
		r = store_put(t, s->sys, "vk-current", 10, cur, sizeof(cur));
	if (r == 0)
		*ret_gen = gen;
	return r;
}

int
keys_destroy_generation(struct store *s, MDB_txn *t, uint32_t gen)
{
	char name[24];
	int r;

	snprintf(name, sizeof(name), "vk/%u", gen);
	r = store_del(t, s->sys, name, strlen(name));
	return r == -ENOENT ? 0 : r;
}

int
keys_reload(struct keys *k, struct store *s)
{
	MDB_txn *t;
	int r;

	pthread_rwlock_wrlock(&k->rw);
	if (k->locked) {
		pthread_rwlock_unlock(&k->rw);
		return -ENOKEY;
	}
	sodium_memzero(k->sec->vk, sizeof(k->sec->vk));
	memset(k->vk_gen, 0, sizeof(k->vk_gen));
	r = store_read_begin(s, &t);
	if (r == 0) {
		r = load_vks(t, s, k);
		store_read_end(s);
	}
	if (r < 0)
		wipe(k);
	pthread_rwlock_unlock(&k->rw);
	return r;
}

int
keys_install(struct keys *k, struct store *s, const uint8_t *mk)
{
	int r;

	pthread_rwlock_wrlock(&k->rw);
	memcpy(k->sec->mk, mk, SEAL_KEY_SIZE);
	r = finish_unlock(k, s);
	if (r < 0)
		wipe(k);
	pthread_rwlock_unlock(&k->rw);
	return r;
}

/* Try the keyfile (already in sec->keyfile) on every keyfile slot. */
static int
open_with_keyfile(struct keys *k, struct store *s, bool *ret_has_passphrase)
{
	struct slot_rec slots[PROTO_SLOTS_MAX];
	MDB_txn *t;
	int n, r = -EKEYREJECTED;

	*ret_has_passphrase = false;
	if (store_read_begin(s, &t) < 0)
		return -EIO;
	n = slot_load_all(s, t, slots);
	store_read_end(s);
	slot_kek_keyfile(k->sec->keyfile, k->sec->kek);
	for (int i = 0; i < n; i++) {
		if (slots[i].kind == PROTO_SLOT_PASSPHRASE)
			*ret_has_passphrase = true;
		if (r < 0 && slots[i].kind == PROTO_SLOT_KEYFILE &&
		    slot_unwrap(&slots[i], k->sec->kek, k->sec->mk) == 0)
			r = 0;
	}
	sodium_memzero(k->sec->kek, SEAL_KEY_SIZE);
	sodium_memzero(k->sec->keyfile, SEAL_KEY_SIZE);
	return r;
}

int
keys_unlock_keyfile(struct keys *k, struct store *s, char *errbuf, size_t errlen)
{
	bool has_pass;
	int r;

	pthread_rwlock_wrlock(&k->rw);
	r = keyfile_read(k->keyfile, k->sec->keyfile, errbuf, errlen);
	if (r == 0) {
		r = open_with_keyfile(k, s, &has_pass);
		if (r < 0)
			snprintf(errbuf, errlen, "the keyfile %s opens no keyslot of this store",
				 k->keyfile);
	}
	if (r == 0)
		r = finish_unlock(k, s);
	if (r < 0)
		wipe(k);
	pthread_rwlock_unlock(&k->rw);
	return r;
}

static int
store_state(struct store *s, bool *ret_new)
{
	struct proto_bytes v;
	MDB_txn *t;
	int r;

	r = store_read_begin(s, &t);
	if (r < 0)
		return r;
	r = store_get(t, s->sys, "format", 6, &v);
	store_read_end(s);
	*ret_new = r == -ENOENT;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return v.len == 4 && buf_load_u32(v.ptr) == KEYS_FORMAT ? 0 : -EPROTONOSUPPORT;
}

static int
keys_new(const char *keyfile, struct keys **ret, char *errbuf, size_t errlen)
{
	struct keys *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return -ENOMEM;
	k->sec = smem_alloc(sizeof(*k->sec));
	k->audit = smem_alloc(SEAL_KEY_SIZE);
	k->keyfile = strdup(keyfile != NULL ? keyfile : "");
	if (k->sec == NULL || k->audit == NULL || k->keyfile == NULL) {
		smem_free(k->sec);
		smem_free(k->audit);
		free(k->keyfile);
		free(k);
		snprintf(errbuf, errlen, "cannot lock memory for keys (raise RLIMIT_MEMLOCK)");
		return -ENOMEM;
	}
	pthread_rwlock_init(&k->rw, NULL);
	k->locked = true;
	*ret = k;
	return 0;
}

/* An existing store: the keyfile opens it, or it starts locked. */
static int
open_existing(struct store *s, struct keys *k, char *errbuf, size_t errlen)
{
	char why[256] = "";
	bool has_pass = false;
	int r;

	r = keyfile_read(k->keyfile, k->sec->keyfile, why, sizeof(why));
	if (r == 0)
		r = open_with_keyfile(k, s, &has_pass);
	else if (r == -ENOENT)
		(void)open_with_keyfile(k, s, &has_pass); /* only to learn has_pass */
	if (r == 0) {
		r = finish_unlock(k, s);
		if (r < 0)
			snprintf(errbuf, errlen,
				 "the store's key records are damaged or were tampered with");
		return r;
	}
	wipe(k);
	if (has_pass)
		return 0; /* locked until `cred unlock` */
	if (r == -ENOENT)
		snprintf(errbuf, errlen,
			 "the keyfile %s is missing: this store cannot be opened without it",
			 k->keyfile);
	else if (r == -EKEYREJECTED)
		snprintf(errbuf, errlen,
			 "the keyfile does not open this store (no keyslot accepts it)");
	else
		snprintf(errbuf, errlen, "%s", why);
	return r;
}

int
keys_open(struct store *s, const char *keyfile, struct keys **ret, char *errbuf, size_t errlen)
{
	struct slot_rec slot = {.index = 0, .kind = PROTO_SLOT_KEYFILE};
	struct keys *k;
	bool fresh;
	int r;

	r = keys_new(keyfile, &k, errbuf, errlen);
	if (r < 0)
		return r;
	r = store_state(s, &fresh);
	if (r < 0) {
		snprintf(errbuf, errlen, "the store has an unknown format or cannot be read: %s",
			 strerror(-r));
	} else if (!fresh) {
		r = open_existing(s, k, errbuf, errlen);
	} else {
		r = keyfile_read(keyfile, k->sec->keyfile, errbuf, errlen);
		if (r == -ENOENT) {
			randombytes_buf(k->sec->keyfile, SEAL_KEY_SIZE);
			r = keyfile_create(keyfile, k->sec->keyfile, errbuf, errlen);
		}
		if (r == 0) {
			slot_kek_keyfile(k->sec->keyfile, k->sec->kek);
			r = store_init(s, k, &slot);
			if (r < 0)
				snprintf(errbuf, errlen, "cannot initialise the store: %s", strerror(-r));
		}
		sodium_memzero(k->sec->keyfile, SEAL_KEY_SIZE);
		sodium_memzero(k->sec->kek, SEAL_KEY_SIZE);
	}
	if (r < 0) {
		keys_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

int
keys_init_passphrase(struct store *s, const uint8_t *pass, size_t len, uint64_t ops, uint64_t mem,
		     char *errbuf, size_t errlen)
{
	struct slot_rec slot;
	struct keys *k;
	bool fresh;
	int r;

	r = store_state(s, &fresh);
	if (r == 0 && !fresh)
		r = -EEXIST;
	if (r < 0) {
		snprintf(errbuf, errlen, "%s", r == -EEXIST ? "a store already exists there"
							    : "the store cannot be read");
		return r;
	}
	r = keys_new(NULL, &k, errbuf, errlen);
	if (r < 0)
		return r;
	slot_new_passphrase(&slot, 0, ops, mem);
	r = slot_kek_passphrase(&slot, pass, len, k->sec->kek);
	if (r == 0)
		r = store_init(s, k, &slot);
	if (r < 0)
		snprintf(errbuf, errlen, "cannot initialise the store: %s", strerror(-r));
	keys_free(k);
	return r;
}
