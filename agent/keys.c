/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/smem.h"
#include "keys.h"
#include "seal.h"

#define KEYS_SLOTS_MAX 16u
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
	struct keys_secret *sec;
	uint32_t vk_current;
	uint32_t vk_gen[KEYS_VK_MAX]; /* 0: unused */
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

void
keys_free(struct keys *k)
{
	if (k == NULL)
		return;
	smem_free(k->sec);
	free(k);
}

static size_t
slot_aad(uint8_t *out, uint32_t n, uint8_t kind)
{
	struct buf_writer w;

	buf_writer_init(&w, out, 64);
	buf_put_bytes(&w, "credagent/slot", 14);
	buf_put_u32(&w, n);
	buf_put_u8(&w, kind);
	return w.len;
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

/* The key-encryption key of a keyfile slot: BLAKE2b keyed by the file. */
static void
keyfile_kek(struct keys_secret *sec)
{
	static const char label[] = "credagent keyfile slot v1";

	crypto_generichash(sec->kek, SEAL_KEY_SIZE, (const uint8_t *)label, sizeof(label) - 1,
			   sec->keyfile, SEAL_KEY_SIZE);
}

/* Read exactly 32 bytes from PATH; refuse a file others can read. */
static int
keyfile_read(const char *path, uint8_t *out, char *errbuf, size_t errlen)
{
	struct stat st;
	ssize_t n;
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
	} else if ((st.st_mode & 077) != 0) {
		snprintf(errbuf, errlen, "the keyfile %s is readable by others (mode %04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		r = -EPERM;
	} else if ((n = read(fd, out, SEAL_KEY_SIZE)) != (ssize_t)SEAL_KEY_SIZE ||
		   st.st_size != (off_t)SEAL_KEY_SIZE) {
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

/* Write the records of a new store: format, id, slot 0, VK 1. */
static int
store_init(struct store *s, struct keys *k)
{
	uint8_t aad[64], slot[1 + SEAL_WRAPPED_SIZE], vk[SEAL_WRAPPED_SIZE], id[SEAL_ID_SIZE];
	uint8_t fmt[4], cur[4 + SEAL_MAC_SIZE];
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
	slot[0] = KEYS_SLOT_KEYFILE;
	seal_wrap_key(k->sec->kek, aad, slot_aad(aad, 0, KEYS_SLOT_KEYFILE), k->sec->mk, slot + 1);
	seal_wrap_key(k->sec->mk, aad, vk_aad(aad, 1), k->sec->vk[0], vk);
	buf_store_u32(fmt, KEYS_FORMAT);
	buf_store_u32(cur, 1);
	seal_mac(k, "sys", "vk-current", 10, cur, 4, cur + 4);

	r = store_txn_begin(s, NULL, &t);
	if (r < 0)
		return r;
	if ((r = store_put(t, s->sys, "format", 6, fmt, 4)) < 0 ||
	    (r = store_put(t, s->sys, "store-id", 8, id, sizeof(id))) < 0 ||
	    (r = store_put(t, s->sys, "slot/0", 6, slot, sizeof(slot))) < 0 ||
	    (r = store_put(t, s->sys, "vk/1", 4, vk, sizeof(vk))) < 0 ||
	    (r = store_put(t, s->sys, "vk-current", 10, cur, sizeof(cur))) < 0) {
		store_txn_abort(t);
		return r;
	}
	return store_txn_commit(t);
}

/* Try every keyfile slot with the loaded keyfile's KEK. */
static int
unlock_mk(MDB_txn *t, struct store *s, struct keys *k)
{
	uint8_t aad[64];
	char name[16];

	for (uint32_t n = 0; n < KEYS_SLOTS_MAX; n++) {
		struct proto_bytes v;

		snprintf(name, sizeof(name), "slot/%u", n);
		if (store_get(t, s->sys, name, strlen(name), &v) < 0)
			continue;
		if (v.len != 1 + SEAL_WRAPPED_SIZE || v.ptr[0] != KEYS_SLOT_KEYFILE)
			continue;
		if (seal_unwrap_key(k->sec->kek, aad, slot_aad(aad, n, KEYS_SLOT_KEYFILE),
				    v.ptr + 1, k->sec->mk) == 0)
			return 0;
	}
	return -EKEYREJECTED;
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

static int
keys_load(struct store *s, struct keys *k, char *errbuf, size_t errlen)
{
	MDB_txn *t;
	int r;

	r = store_read_begin(s, &t);
	if (r < 0)
		return r;
	r = unlock_mk(t, s, k);
	if (r < 0) {
		snprintf(errbuf, errlen, "the keyfile does not open this store (no keyslot accepts it)");
		goto out;
	}
	r = derive_mac_key(k->sec);
	if (r == 0)
		r = load_vks(t, s, k);
	if (r < 0)
		snprintf(errbuf, errlen, "the store's key records are damaged or were tampered with");
out:
	store_read_end(s);
	return r;
}

static int
store_is_new(struct store *s, bool *ret)
{
	struct proto_bytes v;
	MDB_txn *t;
	int r;

	r = store_read_begin(s, &t);
	if (r < 0)
		return r;
	r = store_get(t, s->sys, "format", 6, &v);
	store_read_end(s);
	if (r == -ENOENT) {
		*ret = true;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = false;
	return v.len == 4 && buf_load_u32(v.ptr) == KEYS_FORMAT ? 0 : -EPROTONOSUPPORT;
}

int
keys_open(struct store *s, const char *keyfile, struct keys **ret, char *errbuf, size_t errlen)
{
	struct keys *k;
	bool fresh;
	int r;

	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	k->sec = smem_alloc(sizeof(*k->sec));
	if (k->sec == NULL) {
		free(k);
		snprintf(errbuf, errlen, "cannot lock memory for keys (raise RLIMIT_MEMLOCK)");
		return -ENOMEM;
	}
	r = store_is_new(s, &fresh);
	if (r < 0) {
		snprintf(errbuf, errlen, "the store has an unknown format or cannot be read: %s",
			 strerror(-r));
		goto fail;
	}
	r = keyfile_read(keyfile, k->sec->keyfile, errbuf, errlen);
	if (r == -ENOENT && fresh) {
		randombytes_buf(k->sec->keyfile, SEAL_KEY_SIZE);
		r = keyfile_create(keyfile, k->sec->keyfile, errbuf, errlen);
	} else if (r == -ENOENT) {
		snprintf(errbuf, errlen,
			 "the keyfile %s is missing: this store cannot be opened without it", keyfile);
	}
	if (r < 0)
		goto fail;
	keyfile_kek(k->sec);
	r = fresh ? store_init(s, k) : keys_load(s, k, errbuf, errlen);
	if (r < 0 && fresh)
		snprintf(errbuf, errlen, "cannot initialise the store: %s", strerror(-r));
	if (r < 0)
		goto fail;
	sodium_memzero(k->sec->keyfile, SEAL_KEY_SIZE);
	sodium_memzero(k->sec->kek, SEAL_KEY_SIZE);
	*ret = k;
	return 0;
fail:
	keys_free(k);
	return r;
}
