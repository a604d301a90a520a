/* SPDX-License-Identifier: MIT */
/* The agent's key hierarchy, sealing and record codec, on a real store in a
 * temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "agent/keys.h"
#include "agent/record.h"
#include "agent/seal.h"
#include "agent/store.h"
#include "common/smem.h"

struct fixture {
	char dir[64];
	char keyfile[96];
	struct store *store;
	struct keys *keys;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256] = "";

	assert_non_null(fx);
	assert_int_equal(smem_init(), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/credagent-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->keyfile, sizeof(fx->keyfile), "%s/credagent.key", fx->dir);
	assert_int_equal(store_open(fx->dir, 1u << 24, &fx->store), 0);
	assert_int_equal(keys_open(fx->store, fx->keyfile, &fx->keys, err, sizeof(err)), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	keys_free(fx->keys);
	store_close(fx->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void
test_keyfile_created_private(void **state)
{
	struct fixture *fx = *state;
	struct stat st;

	assert_int_equal(stat(fx->keyfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(keys_vk_current(fx->keys), 1);
	assert_non_null(keys_vk(fx->keys, 1));
	assert_null(keys_vk(fx->keys, 2));
}

static void
test_reopen_same_keys(void **state)
{
	struct fixture *fx = *state;
	uint8_t id[SEAL_ID_SIZE] = {1, 2, 3};
	const uint8_t name[] = "a/b", type[] = "generic", plain[] = "secret\0value";
	struct seal_aad aad = {1000, id, name, 3, 1, type, 7};
	uint8_t blob[sizeof(plain) + SEAL_BLOB_OVERHEAD], out[sizeof(plain)];
	uint8_t *dek = smem_alloc(SEAL_KEY_SIZE);
	struct keys *k2;
	char err[256] = "";

	assert_non_null(dek);
	assert_int_equal(seal_blob(fx->keys, dek, &aad, plain, sizeof(plain), blob), 0);
	/* A second open with the same keyfile reads the same hierarchy. */
	assert_int_equal(keys_open(fx->store, fx->keyfile, &k2, err, sizeof(err)), 0);
	assert_int_equal(seal_open_blob(k2, dek, &aad, blob, sizeof(blob), out), 0);
	assert_memory_equal(out, plain, sizeof(plain));
	keys_free(k2);
	smem_free(dek);
}

static void
test_wrong_keyfile_refused(void **state)
{
	struct fixture *fx = *state;
	char other[128], err[256] = "";
	uint8_t key[32];
	struct keys *k2 = NULL;
	int fd;

	snprintf(other, sizeof(other), "%s/other.key", fx->dir);
	randombytes_buf(key, sizeof(key));
	fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, key, sizeof(key)), 32);
	close(fd);
	assert_int_equal(keys_open(fx->store, other, &k2, err, sizeof(err)), -EKEYREJECTED);
	assert_null(k2);
	assert_non_null(strstr(err, "keyfile"));
	/* A keyfile others may read is refused before it is used. */
	assert_int_equal(chmod(other, 0644), 0);
	assert_true(keys_open(fx->store, other, &k2, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "readable by others"));
}

static void
test_missing_keyfile_refused(void **state)
{
	struct fixture *fx = *state;
	char missing[128], err[256] = "";
	struct keys *k2 = NULL;
	struct stat st;

	snprintf(missing, sizeof(missing), "%s/missing.key", fx->dir);
	assert_int_equal(keys_open(fx->store, missing, &k2, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing"));
	/* An existing store never gets a fresh keyfile. */
	assert_int_equal(stat(missing, &st), -1);
}

/* Changing any bound field makes the blob fail to open. */
static void
test_aad_binding(void **state)
{
	struct fixture *fx = *state;
	uint8_t id[SEAL_ID_SIZE] = {9}, id2[SEAL_ID_SIZE] = {8};
	const uint8_t plain[] = "top secret", name[] = "db/pass", other[] = "db/pasz";
	const uint8_t type[] = "generic", type2[] = "password";
	struct seal_aad good = {1000, id, name, 7, 3, type, 7};
	struct seal_aad bad[] = {
		{1001, id, name, 7, 3, type, 7}, {1000, id2, name, 7, 3, type, 7},
		{1000, id, other, 7, 3, type, 7}, {1000, id, name, 7, 4, type, 7},
		{1000, id, name, 7, 3, type2, 8},
	};
	uint8_t blob[sizeof(plain) + SEAL_BLOB_OVERHEAD], out[sizeof(plain)];
	uint8_t *dek = smem_alloc(SEAL_KEY_SIZE);
	size_t plen;

	assert_non_null(dek);
	assert_int_equal(seal_blob(fx->keys, dek, &good, plain, sizeof(plain), blob), 0);
	assert_int_equal(seal_blob_plain_len(blob, sizeof(blob), &plen), 0);
	assert_int_equal(plen, sizeof(plain));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0xAA, sizeof(out));
		assert_int_equal(seal_open_blob(fx->keys, dek, &bad[i], blob, sizeof(blob), out),
				 -EBADMSG);
		for (size_t b = 0; b < sizeof(out); b++)
			assert_int_equal(out[b], 0); /* no partial plaintext left */
	}
	/* Any flipped byte fails too. */
	for (size_t b = 0; b < sizeof(blob); b++) {
		blob[b] ^= 1;
		assert_true(seal_open_blob(fx->keys, dek, &good, blob, sizeof(blob), out) < 0);
		blob[b] ^= 1;
	}
	assert_int_equal(seal_open_blob(fx->keys, dek, &good, blob, sizeof(blob), out), 0);
	assert_memory_equal(out, plain, sizeof(plain));
	assert_int_equal(seal_blob_plain_len(blob, SEAL_BLOB_OVERHEAD - 1, &plen), -EBADMSG);
	smem_free(dek);
}

static void
test_record_roundtrip_and_mac(void **state)
{
	struct fixture *fx = *state;
	uint8_t key[] = {0, 0, 3, 232, 'a', '/', 'b'};
	uint8_t versions[2 * RECORD_VERSION_ENTRY] = {0, 0, 0, 1};
	const uint8_t label[] = {28, 4, 0, 0, 0, 5, 'e', 'n', 'v', '=', 'x'};
	struct meta_rec m = {.version = 2, .state = 0, .max_versions = 10, .created = 100,
			     .updated = 200, .expires = 0,
			     .type = {(const uint8_t *)"generic", 7},
			     .labels = {{label, sizeof(label)}, 1},
			     .n_versions = 2, .versions = versions};
	struct meta_rec back;
	uint8_t *buf;
	size_t n = record_size(&m);

	versions[RECORD_VERSION_ENTRY + 3] = 2;
	memset(m.id, 7, sizeof(m.id));
	buf = malloc(n);
	assert_non_null(buf);
	record_encode(fx->keys, key, sizeof(key), &m, buf);
	assert_int_equal(record_decode(fx->keys, key, sizeof(key), (struct proto_bytes){buf, n},
				       &back),
			 0);
	assert_int_equal(back.version, 2);
	assert_int_equal(back.n_versions, 2);
	assert_true(record_has_version(&back, 1));
	assert_false(record_has_version(&back, 3));
	assert_int_equal(back.labels.count, 1);
	assert_memory_equal(back.id, m.id, sizeof(m.id));
	/* Every edited byte, or the same record under another key, is refused. */
	for (size_t b = 0; b < n; b++) {
		buf[b] ^= 0x10;
		assert_int_equal(record_decode(fx->keys, key, sizeof(key),
					       (struct proto_bytes){buf, n}, &back),
				 -EBADMSG);
		buf[b] ^= 0x10;
	}
	key[6] = 'c';
	assert_int_equal(record_decode(fx->keys, key, sizeof(key), (struct proto_bytes){buf, n},
				       &back),
			 -EBADMSG);
	assert_int_equal(record_decode(fx->keys, key, sizeof(key), (struct proto_bytes){buf, 10},
				       &back),
			 -EBADMSG);
	free(buf);
}

/* The event loop's cache answers only for the very bytes it verified: a
 * warm entry never lets a changed AAD, blob or record through. */
static void
test_cache_exact_memo(void **state)
{
	struct fixture *fx = *state;
	uint8_t id[SEAL_ID_SIZE] = {9};
	const uint8_t plain[] = "cached secret", name[] = "db/pass", other[] = "db/pasz";
	struct seal_aad good = {1000, id, name, 7, 3, (const uint8_t *)"generic", 7};
	struct seal_aad bad = {1000, id, other, 7, 3, (const uint8_t *)"generic", 7};
	uint8_t blob[sizeof(plain) + SEAL_BLOB_OVERHEAD], out[sizeof(plain)];
	uint8_t key[] = {0, 0, 3, 232, 'a', '/', 'b'}, versions[RECORD_VERSION_ENTRY] = {0, 0, 0, 1};
	struct meta_rec m = {.version = 1, .max_versions = 10, .created = 1, .updated = 2,
			     .type = {(const uint8_t *)"generic", 7}, .n_versions = 1,
			     .versions = versions};
	struct seal_cache *c = seal_cache_new();
	uint8_t *dek = smem_alloc(SEAL_KEY_SIZE), *rec;
	struct seal_cache_stats st, before;
	struct meta_rec back;
	size_t n = record_size(&m);

	assert_non_null(c);
	assert_non_null(dek);
	assert_int_equal(seal_blob(fx->keys, dek, &good, plain, sizeof(plain), blob), 0);
	for (int i = 0; i < 3; i++) {
		memset(out, 0, sizeof(out));
		assert_int_equal(seal_open_blob_cached(fx->keys, c, dek, &good, blob, sizeof(blob),
						       out),
				 0);
		assert_memory_equal(out, plain, sizeof(plain));
	}
	seal_cache_stats(c, &st);
	assert_int_equal(st.dek_misses, 1);
	assert_int_equal(st.dek_hits, 2);
	/* Warm, yet another name's AAD or any flipped byte still fails. */
	assert_int_equal(seal_open_blob_cached(fx->keys, c, dek, &bad, blob, sizeof(blob), out),
			 -EBADMSG);
	for (size_t b = 0; b < sizeof(blob); b++) {
		blob[b] ^= 1;
		assert_true(seal_open_blob_cached(fx->keys, c, dek, &good, blob, sizeof(blob), out) <
			    0);
		blob[b] ^= 1;
	}
	for (size_t b = 0; b < SEAL_KEY_SIZE; b++)
		assert_int_equal(dek[b], 0); /* the scratch DEK is wiped after use */

	rec = malloc(n);
	assert_non_null(rec);
	memset(m.id, 7, sizeof(m.id));
	record_encode(fx->keys, key, sizeof(key), &m, rec);
	for (int i = 0; i < 3; i++)
		assert_int_equal(record_decode_cached(fx->keys, c, key, sizeof(key),
						      (struct proto_bytes){rec, n}, &back),
				 0);
	seal_cache_stats(c, &st);
	assert_int_equal(st.mac_misses, 1);
	assert_int_equal(st.mac_hits, 2);
	for (size_t b = 0; b < n; b++) {
		rec[b] ^= 0x10;
		assert_int_equal(record_decode_cached(fx->keys, c, key, sizeof(key),
						      (struct proto_bytes){rec, n}, &back),
				 -EBADMSG);
		rec[b] ^= 0x10;
	}
	key[6] = 'c';
	assert_int_equal(record_decode_cached(fx->keys, c, key, sizeof(key),
					      (struct proto_bytes){rec, n}, &back),
			 -EBADMSG);
	key[6] = 'b';
	/* Cleared (as on lock): the next open verifies again. */
	seal_cache_stats(c, &before);
	seal_cache_clear(c);
	assert_int_equal(seal_open_blob_cached(fx->keys, c, dek, &good, blob, sizeof(blob), out), 0);
	assert_int_equal(record_decode_cached(fx->keys, c, key, sizeof(key),
					      (struct proto_bytes){rec, n}, &back),
			 0);
	seal_cache_stats(c, &st);
	assert_int_equal(st.dek_misses, before.dek_misses + 1);
	assert_int_equal(st.mac_misses, before.mac_misses + 1);
	assert_int_equal(st.dek_hits, before.dek_hits);
	assert_int_equal(st.mac_hits, before.mac_hits);
	free(rec);
	smem_free(dek);
	seal_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keyfile_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_same_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_keyfile_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_keyfile_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aad_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_roundtrip_and_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_exact_memo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
