/* SPDX-License-Identifier: MIT */
/* What export and import stand on: passphrase-sealed bundles
 * (agent/bundle.h) in temporary files, and the metadata record that
 * carries a secret's quota and verify fields (agent/record.h), version 2
 * and version 1, on a real store with real keys. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "agent/bundle.h"
#include "agent/keys.h"
#include "agent/record.h"
#include "agent/seal.h"
#include "agent/store.h"
#include "common/buf.h"
#include "common/smem.h"

#define OPS      crypto_pwhash_OPSLIMIT_MIN
#define MEM      crypto_pwhash_MEMLIMIT_MIN
#define N_CHUNKS 4u

/* Where chunks are read into. */
static uint8_t rbuf[1u << 16];

static const uint8_t pass[] = "correct horse battery staple";
#define PASS_LEN (sizeof(pass) - 1)

struct fixture {
	char dir[64];
	char keyfile[96];
	int fd; /* the bundle file, unlinked */
	uint8_t big[3000];
	struct store *store;
	struct keys *keys;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[96];

	assert_non_null(fx);
	assert_int_equal(smem_init(), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/credagent-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(path, sizeof(path), "%s/bundle", fx->dir);
	fx->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fx->fd >= 0);
	randombytes_buf(fx->big, sizeof(fx->big));
	*state = fx;
	return 0;
}

static int
setup_keys(void **state)
{
	struct fixture *fx;
	char err[256] = "";

	setup(state);
	fx = *state;
	snprintf(fx->keyfile, sizeof(fx->keyfile), "%s/credagent.key", fx->dir);
	assert_int_equal(store_open(fx->dir, 1u << 24, &fx->store), 0);
	assert_int_equal(keys_open(fx->store, fx->keyfile, &fx->keys, err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	keys_free(fx->keys);
	store_close(fx->store);
	close(fx->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* ---- bundles ---- */

/* Chunk I's plaintext (I < N_CHUNKS - 1; the last is the FINAL one). */
static struct proto_bytes
chunk_plain(const struct fixture *fx, uint32_t i)
{
	static const uint8_t first[] = "first secret";
	static const uint8_t final[] = "trailer: 3 secrets";

	switch (i) {
	case 0: return (struct proto_bytes){first, sizeof(first) - 1};
	case 1: return (struct proto_bytes){first, 0}; /* empty */
	case 2: return (struct proto_bytes){fx->big, sizeof(fx->big)};
	default: return (struct proto_bytes){final, sizeof(final) - 1};
	}
}

static uint64_t
file_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_size;
}

/* Write the test bundle to the fixture's file: its size. */
static uint64_t
write_bundle(struct fixture *fx)
{
	struct bundle b;

	assert_int_equal(ftruncate(fx->fd, 0), 0);
	assert_int_equal(lseek(fx->fd, 0, SEEK_SET), 0);
	assert_int_equal(bundle_write_begin(&b, fx->fd, pass, PASS_LEN, OPS, MEM), 0);
	assert_int_equal(b.bytes, BUNDLE_HEADER_SIZE);
	for (uint32_t i = 0; i < N_CHUNKS; i++) {
		struct proto_bytes p = chunk_plain(fx, i);

		assert_int_equal(bundle_write_chunk(&b, p.ptr, p.len, i == N_CHUNKS - 1), 0);
	}
	assert_int_equal(b.chunks, N_CHUNKS);
	assert_true(b.final);
	/* Nothing is written after the FINAL chunk. */
	assert_true(bundle_write_chunk(&b, fx->big, 10, false) < 0);
	assert_true(bundle_write_chunk(&b, fx->big, 10, true) < 0);
	assert_int_equal(b.chunks, N_CHUNKS);
	assert_int_equal(b.bytes, file_size(fx->fd));
	bundle_close(&b);
	assert_null(b.sec);
	assert_int_equal(lseek(fx->fd, 0, SEEK_SET), 0);
	return b.bytes;
}

/* The file's bytes (malloc'd) and its size. */
static uint8_t *
file_bytes(int fd, size_t *ret_len)
{
	size_t n = (size_t)file_size(fd);
	uint8_t *p = malloc(n + 1);

	assert_non_null(p);
	assert_int_equal(pread(fd, p, n, 0), (ssize_t)n);
	*ret_len = n;
	return p;
}

static void
set_file(int fd, const uint8_t *p, size_t n)
{
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, p, n, 0), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
}

/* Offset of chunk I's length prefix in the test bundle. */
static size_t
chunk_offset(const struct fixture *fx, uint32_t i)
{
	size_t off = BUNDLE_HEADER_SIZE;

	for (uint32_t k = 0; k < i; k++)
		off += 4 + chunk_plain(fx, k).len + crypto_secretstream_xchacha20poly1305_ABYTES;
	return off;
}

/*
 * Read the fixture's file as a bundle with PASSPHRASE: 0 when it reads
 * back whole and equal; otherwise the first error, with *RET_AT the
 * chunk it came at (-1: the header, N_CHUNKS: the end).
 */
static int
read_bundle(struct fixture *fx, const uint8_t *passphrase, size_t len, int *ret_at)
{
	struct bundle b;
	int r;

	assert_int_equal(lseek(fx->fd, 0, SEEK_SET), 0);
	*ret_at = -1;
	r = bundle_read_begin(&b, fx->fd, passphrase, len);
	for (uint32_t i = 0; r == 0 && i < N_CHUNKS; i++) {
		struct proto_bytes want = chunk_plain(fx, i);
		size_t n = 0;

		*ret_at = (int)i;
		r = bundle_read_chunk(&b, rbuf, sizeof(rbuf), &n);
		if (r < 0)
			break;
		assert_int_equal(n, want.len);
		assert_memory_equal(rbuf, want.ptr, n);
		assert_int_equal(b.final, i == N_CHUNKS - 1);
		assert_int_equal(b.chunks, i + 1);
	}
	if (r == 0) {
		*ret_at = N_CHUNKS;
		r = bundle_read_end(&b);
	}
	bundle_close(&b);
	return r;
}

static void
test_bundle_roundtrip(void **state)
{
	struct fixture *fx = *state;
	uint64_t size = write_bundle(fx);
	uint8_t *file, *other;
	struct bundle b;
	size_t n;
	int at;

	file = file_bytes(fx->fd, &n);
	assert_int_equal(n, size);
	assert_int_equal(n, chunk_offset(fx, N_CHUNKS));
	/* The header: magic, format, reserved, the limits, a salt. */
	assert_memory_equal(file, BUNDLE_MAGIC, 8);
	assert_int_equal(buf_load_u32(file + 8), BUNDLE_FORMAT);
	assert_int_equal(buf_load_u32(file + 12), 0);
	assert_int_equal(buf_load_u64(file + 16), OPS);
	assert_int_equal(buf_load_u64(file + 24), MEM);
	/* No plaintext in the file. */
	assert_null(memmem(file, n, "first secret", 12));
	assert_null(memmem(file, n, fx->big, 64));
	free(file);

	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), 0);
	/* After the FINAL chunk, no more chunks are read. */
	assert_int_equal(lseek(fx->fd, 0, SEEK_SET), 0);
	assert_int_equal(bundle_read_begin(&b, fx->fd, pass, PASS_LEN), 0);
	for (uint32_t i = 0; i < N_CHUNKS; i++) {
		assert_int_equal(bundle_read_chunk(&b, rbuf, sizeof(rbuf), &n), 0);
	}
	assert_int_equal(b.bytes, size);
	assert_int_equal(bundle_read_chunk(&b, rbuf, sizeof(rbuf), &n), -EBADMSG);
	assert_int_equal(bundle_read_end(&b), 0);
	bundle_close(&b);
	bundle_close(&b); /* twice is harmless */

	/* Two bundles of the same data differ (salt, stream header). */
	file = file_bytes(fx->fd, &n);
	write_bundle(fx);
	other = file_bytes(fx->fd, &size);
	assert_int_equal(n, size);
	assert_memory_not_equal(file + 32, other + 32, crypto_pwhash_SALTBYTES);
	assert_memory_not_equal(file + BUNDLE_AD_SIZE, other + BUNDLE_AD_SIZE, 24);
	free(file);
	free(other);
}

static void
test_bundle_close_unused(void **state)
{
	struct bundle b;

	(void)state;
	memset(&b, 0, sizeof(b));
	bundle_close(&b);
	assert_null(b.sec);
}

static void
test_bundle_wrong_passphrase(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t wrong[] = "correct horse battery stapler";
	int at;

	write_bundle(fx);
	assert_int_equal(read_bundle(fx, wrong, sizeof(wrong) - 1, &at), -EKEYREJECTED);
	assert_int_equal(at, 0);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN - 1, &at), -EKEYREJECTED);
	assert_int_equal(at, 0);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), 0);
}

/* Every truncation is found, as damage (never as a wrong passphrase). */
static void
test_bundle_truncated(void **state)
{
	struct fixture *fx = *state;
	size_t n;
	uint8_t *file;
	int at;

	write_bundle(fx);
	file = file_bytes(fx->fd, &n);
	for (size_t len = 0; len < n; len++) {
		set_file(fx->fd, file, len);
		assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
		if (len < BUNDLE_HEADER_SIZE)
			assert_int_equal(at, -1);
		else
			assert_true(at >= 0 && at < (int)N_CHUNKS);
	}
	/* Cut exactly before the FINAL chunk: the missing end is found. */
	set_file(fx->fd, file, chunk_offset(fx, N_CHUNKS - 1));
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
	assert_int_equal(at, (int)N_CHUNKS - 1);
	set_file(fx->fd, file, n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), 0);
	free(file);
}

static void
test_bundle_flipped_byte(void **state)
{
	struct fixture *fx = *state;
	size_t n, off;
	uint8_t *file;
	int at;

	write_bundle(fx);
	file = file_bytes(fx->fd, &n);
	/* Any byte of a later chunk's ciphertext: the earlier ones still read,
	 * that one is refused. */
	for (uint32_t i = 1; i < N_CHUNKS; i++) {
		size_t start = chunk_offset(fx, i) + 4, end = chunk_offset(fx, i + 1);

		for (off = start; off < end; off += (end - start) / 7 + 1) {
			file[off] ^= 0x20;
			set_file(fx->fd, file, n);
			assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EKEYREJECTED);
			assert_int_equal(at, (int)i);
			file[off] ^= 0x20;
		}
	}
	/* Any byte of the header: refused at the header or the first chunk
	 * (0x01 keeps the Argon2id limits small enough to run). */
	for (off = 0; off < BUNDLE_HEADER_SIZE; off++) {
		int r;

		file[off] ^= 0x01;
		set_file(fx->fd, file, n);
		r = read_bundle(fx, pass, PASS_LEN, &at);
		assert_true(r == -EBADMSG || r == -EKEYREJECTED);
		assert_true(at <= 0);
		file[off] ^= 0x01;
	}
	set_file(fx->fd, file, n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), 0);
	free(file);
}

/* Chunks swapped or dropped: the stream notices. */
static void
test_bundle_reordered(void **state)
{
	struct fixture *fx = *state;
	size_t n, a, b, c;
	uint8_t *file, *edit;
	int at;

	write_bundle(fx);
	file = file_bytes(fx->fd, &n);
	edit = malloc(n);
	assert_non_null(edit);
	/* Drop chunk 1 (the empty one): chunk 2 comes where 1 should. */
	a = chunk_offset(fx, 1);
	b = chunk_offset(fx, 2);
	memcpy(edit, file, a);
	memcpy(edit + a, file + b, n - b);
	set_file(fx->fd, edit, n - (b - a));
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EKEYREJECTED);
	assert_int_equal(at, 1);
	/* Chunk 2 before chunk 1. */
	c = chunk_offset(fx, 3);
	memcpy(edit, file, a);
	memcpy(edit + a, file + b, c - b);
	memcpy(edit + a + (c - b), file + a, b - a);
	memcpy(edit + c, file + c, n - c);
	set_file(fx->fd, edit, n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EKEYREJECTED);
	assert_int_equal(at, 1);
	free(edit);
	free(file);
}

static void
test_bundle_bad_header(void **state)
{
	struct fixture *fx = *state;
	struct {
		size_t off;
		int width; /* 4 or 8 */
		uint64_t value;
	} bad[] = {
	        {8, 4, 0},           {8, 4, BUNDLE_FORMAT + 1},
	        {12, 4, 1},          {16, 8, crypto_pwhash_OPSLIMIT_SENSITIVE + 1},
	        {16, 8, UINT64_MAX}, {24, 8, (uint64_t)crypto_pwhash_MEMLIMIT_SENSITIVE + 1},
	        {24, 8, UINT64_MAX},
	};
	size_t n;
	uint8_t *file;
	struct bundle b;
	int at;

	write_bundle(fx);
	file = file_bytes(fx->fd, &n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t save[8];

		memcpy(save, file + bad[i].off, 8);
		if (bad[i].width == 4)
			buf_store_u32(file + bad[i].off, (uint32_t)bad[i].value);
		else
			buf_store_u64(file + bad[i].off, bad[i].value);
		set_file(fx->fd, file, n);
		assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
		assert_int_equal(at, -1);
		memcpy(file + bad[i].off, save, 8);
	}
	/* Limits below libsodium's minimum. */
	if (crypto_pwhash_OPSLIMIT_MIN > 0) {
		buf_store_u64(file + 16, crypto_pwhash_OPSLIMIT_MIN - 1);
		set_file(fx->fd, file, n);
		assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
		buf_store_u64(file + 16, OPS);
	}
	buf_store_u64(file + 24, crypto_pwhash_MEMLIMIT_MIN - 1);
	set_file(fx->fd, file, n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
	buf_store_u64(file + 24, MEM);
	/* Another magic. */
	memcpy(file, "CREDBNDM", 8);
	set_file(fx->fd, file, n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
	assert_int_equal(at, -1);
	memcpy(file, BUNDLE_MAGIC, 8);
	/* Restored, it reads. */
	set_file(fx->fd, file, n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), 0);
	/* A refused header leaves nothing to free but is safe to close. */
	set_file(fx->fd, file, 10);
	assert_int_equal(bundle_read_begin(&b, fx->fd, pass, PASS_LEN), -EBADMSG);
	bundle_close(&b);
	free(file);
}

/* A chunk length past the cap, or too small to hold a tag, is refused
 * before anything is read or allocated for it. */
static void
test_bundle_bad_chunk_length(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t lens[] = {0, crypto_secretstream_xchacha20poly1305_ABYTES - 1,
	                                BUNDLE_CHUNK_MAX + 1, UINT32_MAX};
	size_t n;
	uint8_t *file;
	struct bundle b;

	write_bundle(fx);
	file = file_bytes(fx->fd, &n);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = 0;

		buf_store_u32(file + BUNDLE_HEADER_SIZE, lens[i]);
		set_file(fx->fd, file, n);
		assert_int_equal(bundle_read_begin(&b, fx->fd, pass, PASS_LEN), 0);
		assert_int_equal(bundle_read_chunk(&b, rbuf, sizeof(rbuf), &len), -EBADMSG);
		assert_int_equal(b.chunks, 0);
		bundle_close(&b);
	}
	free(file);
}

static void
test_bundle_data_after_final(void **state)
{
	struct fixture *fx = *state;
	uint8_t *file;
	struct bundle b;
	size_t n, len;
	int at;

	write_bundle(fx);
	file = file_bytes(fx->fd, &n);
	/* One stray byte after the FINAL chunk. */
	file[n] = 0;
	set_file(fx->fd, file, n + 1);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
	assert_int_equal(at, (int)N_CHUNKS);
	/* A whole second bundle after it. */
	assert_int_equal(pwrite(fx->fd, file, n, (off_t)n), (ssize_t)n);
	assert_int_equal(read_bundle(fx, pass, PASS_LEN, &at), -EBADMSG);
	assert_int_equal(at, (int)N_CHUNKS);
	/* The end is only checked after the FINAL chunk. */
	set_file(fx->fd, file, n);
	assert_int_equal(bundle_read_begin(&b, fx->fd, pass, PASS_LEN), 0);
	assert_int_equal(bundle_read_end(&b), -EBADMSG);
	assert_int_equal(bundle_read_chunk(&b, rbuf, sizeof(rbuf), &len), 0);
	assert_int_equal(bundle_read_end(&b), -EBADMSG);
	bundle_close(&b);
	free(file);
}

/* ---- metadata records ---- */

static const uint8_t meta_key[] = {0, 0, 3, 232, 'd', 'b', '/', 'p', 'a', 's', 's'};
static const uint8_t label[] = {28, 4, 0, 0, 0, 5, 'e', 'n', 'v', '=', 'x'};

static struct meta_rec
test_meta(uint8_t *versions)
{
	struct meta_rec m;

	memset(&m, 0, sizeof(m));
	memset(versions, 0, 2 * RECORD_VERSION_ENTRY);
	buf_store_u32(versions, 1);
	buf_store_u64(versions + 4, 100);
	buf_store_u32(versions + 12, 1000);
	buf_store_u32(versions + RECORD_VERSION_ENTRY, 2);
	buf_store_u64(versions + RECORD_VERSION_ENTRY + 4, 150);
	buf_store_u32(versions + RECORD_VERSION_ENTRY + 12, 1001);
	memset(m.id, 7, sizeof(m.id));
	m.version = 2;
	m.state = PROTO_STATE_ACTIVE;
	m.max_versions = 10;
	m.created = 100;
	m.updated = 200;
	m.deleted = 0;
	m.expires = 5000;
	m.type = (struct proto_bytes){(const uint8_t *)"password", 8};
	m.labels = (struct proto_list_span){{label, sizeof(label)}, 1};
	m.n_versions = 2;
	m.versions = versions;
	return m;
}

static int
decode(struct fixture *fx, const uint8_t *buf, size_t n, struct meta_rec *ret)
{
	return record_decode(fx->keys, meta_key, sizeof(meta_key), (struct proto_bytes){buf, n},
	                     ret);
}

static uint8_t *
encode(struct fixture *fx, const struct meta_rec *m, size_t *ret_len)
{
	size_t n = record_size(m);
	uint8_t *buf = malloc(n);

	assert_non_null(buf);
	record_encode(fx->keys, meta_key, sizeof(meta_key), m, buf);
	*ret_len = n;
	return buf;
}

static void
assert_common_fields(const struct meta_rec *x, const struct meta_rec *y)
{
	assert_memory_equal(x->id, y->id, SEAL_ID_SIZE);
	assert_int_equal(x->version, y->version);
	assert_int_equal(x->state, y->state);
	assert_int_equal(x->max_versions, y->max_versions);
	assert_int_equal(x->created, y->created);
	assert_int_equal(x->updated, y->updated);
	assert_int_equal(x->deleted, y->deleted);
	assert_int_equal(x->expires, y->expires);
	assert_int_equal(x->type.len, y->type.len);
	assert_memory_equal(x->type.ptr, y->type.ptr, x->type.len);
	assert_int_equal(x->labels.count, y->labels.count);
	assert_int_equal(x->labels.raw.len, y->labels.raw.len);
	assert_memory_equal(x->labels.raw.ptr, y->labels.raw.ptr, x->labels.raw.len);
	assert_int_equal(x->n_versions, y->n_versions);
	assert_memory_equal(x->versions, y->versions, x->n_versions * RECORD_VERSION_ENTRY);
}

static void
test_record_v2_quota_verify(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t msg[] = "HTTP 200 from https://api.example/v1/me";
	uint8_t versions[2 * RECORD_VERSION_ENTRY], *buf;
	struct meta_rec m = test_meta(versions), back;
	struct proto_version_info vi;
	size_t n;

	m.quota = 500;
	m.quota_period = PROTO_PERIOD_DAY;
	m.verify_status = 2;
	m.verify_time = 1700000123;
	m.verify_msg = (struct proto_bytes){msg, sizeof(msg) - 1};
	buf = encode(fx, &m, &n);
	assert_int_equal(buf[0], 2); /* the record version */
	assert_int_equal(decode(fx, buf, n, &back), 0);
	assert_common_fields(&back, &m);
	assert_int_equal(back.quota, 500);
	assert_int_equal(back.quota_period, PROTO_PERIOD_DAY);
	assert_int_equal(back.verify_status, 2);
	assert_int_equal(back.verify_time, 1700000123);
	assert_int_equal(back.verify_msg.len, sizeof(msg) - 1);
	assert_memory_equal(back.verify_msg.ptr, msg, sizeof(msg) - 1);
	record_version_at(&back, 1, &vi);
	assert_int_equal(vi.version, 2);
	assert_int_equal(vi.created, 150);
	assert_int_equal(vi.created_by, 1001);
	/* Every edited byte is refused. */
	for (size_t b = 0; b < n; b++) {
		buf[b] ^= 0x04;
		assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
		buf[b] ^= 0x04;
	}
	free(buf);

	/* Each period, and the largest quota; none and an empty message. */
	for (uint32_t p = PROTO_PERIOD_HOUR; p <= PROTO_PERIOD_MAX; p++) {
		m.quota = UINT32_MAX;
		m.quota_period = p;
		m.verify_msg = (struct proto_bytes){NULL, 0};
		buf = encode(fx, &m, &n);
		assert_int_equal(decode(fx, buf, n, &back), 0);
		assert_int_equal(back.quota, UINT32_MAX);
		assert_int_equal(back.quota_period, p);
		assert_int_equal(back.verify_msg.len, 0);
		free(buf);
	}
	m.quota = 0;
	m.quota_period = 0;
	m.verify_status = 0;
	m.verify_time = 0;
	buf = encode(fx, &m, &n);
	assert_int_equal(decode(fx, buf, n, &back), 0);
	assert_int_equal(back.quota, 0);
	assert_int_equal(back.quota_period, 0);
	assert_int_equal(back.verify_status, 0);
	free(buf);
}

/* A quota needs a period and a period a quota; periods stop at the
 * largest one defined. */
static void
test_record_quota_without_period(void **state)
{
	struct fixture *fx = *state;
	uint8_t versions[2 * RECORD_VERSION_ENTRY], *buf;
	struct meta_rec m = test_meta(versions), back;
	struct {
		uint32_t quota, period;
	} bad[] = {{5, 0},
	           {UINT32_MAX, 0},
	           {0, PROTO_PERIOD_HOUR},
	           {0, PROTO_PERIOD_MONTH},
	           {5, PROTO_PERIOD_MAX + 1},
	           {5, 255}};
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.quota = bad[i].quota;
		m.quota_period = bad[i].period;
		buf = encode(fx, &m, &n); /* the MAC is right: only the fields are wrong */
		assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
		free(buf);
	}
}

/*
 * A record as version 1 wrote it: the version 2 layout without the quota
 * and verify fields, format byte FMT, then the MAC. EXTRA bytes (zeros)
 * go after the version entries.
 */
static uint8_t *
encode_v1(struct fixture *fx, const struct meta_rec *m, uint8_t fmt, size_t extra, size_t *ret_len)
{
	size_t n = 1 + SEAL_ID_SIZE + 3 * 4 + 4 * 8 + 1 + m->type.len + 8 + m->labels.raw.len + 4 +
	           m->n_versions * RECORD_VERSION_ENTRY + extra;
	uint8_t *buf = calloc(1, n + SEAL_MAC_SIZE);
	struct buf_writer w;

	assert_non_null(buf);
	buf_writer_init(&w, buf, n);
	buf_put_u8(&w, fmt);
	buf_put_bytes(&w, m->id, SEAL_ID_SIZE);
	buf_put_u32(&w, m->version);
	buf_put_u32(&w, m->state);
	buf_put_u32(&w, m->max_versions);
	buf_put_u64(&w, m->created);
	buf_put_u64(&w, m->updated);
	buf_put_u64(&w, m->deleted);
	buf_put_u64(&w, m->expires);
	buf_put_u8(&w, (uint8_t)m->type.len);
	buf_put_bytes(&w, m->type.ptr, m->type.len);
	buf_put_u32(&w, (uint32_t)m->labels.raw.len);
	buf_put_u32(&w, m->labels.count);
	buf_put_bytes(&w, m->labels.raw.ptr, m->labels.raw.len);
	buf_put_u32(&w, m->n_versions);
	buf_put_bytes(&w, m->versions, m->n_versions * RECORD_VERSION_ENTRY);
	for (size_t i = 0; i < extra; i++)
		buf_put_u8(&w, 0);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, n);
	seal_mac(fx->keys, "meta", meta_key, sizeof(meta_key), buf, n, buf + n);
	*ret_len = n + SEAL_MAC_SIZE;
	return buf;
}

static void
test_record_v1_still_decodes(void **state)
{
	struct fixture *fx = *state;
	uint8_t versions[2 * RECORD_VERSION_ENTRY], *buf;
	struct meta_rec m = test_meta(versions), back;
	size_t n;

	buf = encode_v1(fx, &m, 1, 0, &n);
	memset(&back, 0xAA, sizeof(back));
	assert_int_equal(decode(fx, buf, n, &back), 0);
	assert_common_fields(&back, &m);
	assert_true(record_has_version(&back, 1));
	assert_true(record_has_version(&back, 2));
	assert_false(record_has_version(&back, 3));
	/* No quota and never verified. */
	assert_int_equal(back.quota, 0);
	assert_int_equal(back.quota_period, 0);
	assert_int_equal(back.verify_status, 0);
	assert_int_equal(back.verify_time, 0);
	assert_int_equal(back.verify_msg.len, 0);
	/* Its MAC still guards it. */
	for (size_t b = 0; b < n; b++) {
		buf[b] ^= 0x01;
		assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
		buf[b] ^= 0x01;
	}
	/* Under another key it is refused. */
	assert_int_equal(record_decode(fx->keys, meta_key, sizeof(meta_key) - 1,
	                               (struct proto_bytes){buf, n}, &back),
	                 -EBADMSG);
	free(buf);

	/* Re-encoding a version 1 record gives version 2 with no quota. */
	buf = encode_v1(fx, &m, 1, 0, &n);
	assert_int_equal(decode(fx, buf, n, &back), 0);
	{
		size_t n2;
		uint8_t *buf2 = encode(fx, &back, &n2);
		struct meta_rec again;

		assert_int_equal(buf2[0], 2);
		assert_int_equal(n2, n + 4 + 1 + 1 + 8 + 1);
		assert_int_equal(decode(fx, buf2, n2, &again), 0);
		assert_common_fields(&again, &m);
		assert_int_equal(again.quota, 0);
		free(buf2);
	}
	free(buf);
}

static void
test_record_format_mismatch(void **state)
{
	struct fixture *fx = *state;
	uint8_t versions[2 * RECORD_VERSION_ENTRY], *buf;
	struct meta_rec m = test_meta(versions), back;
	size_t n;

	/* Version 1 with trailing bytes (the size of version 2's fields). */
	buf = encode_v1(fx, &m, 1, 4 + 1 + 1 + 8 + 1, &n);
	assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
	free(buf);
	/* Version 2 without its fields. */
	buf = encode_v1(fx, &m, 2, 0, &n);
	assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
	free(buf);
	/* Unknown versions, with a valid MAC. */
	buf = encode_v1(fx, &m, 0, 0, &n);
	assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
	free(buf);
	buf = encode_v1(fx, &m, 3, 4 + 1 + 1 + 8 + 1, &n);
	assert_int_equal(decode(fx, buf, n, &back), -EBADMSG);
	free(buf);
	/* Too short to hold anything. */
	buf = encode_v1(fx, &m, 1, 0, &n);
	for (size_t len = 0; len < n; len++)
		assert_int_equal(decode(fx, buf, len, &back), -EBADMSG);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_bundle_roundtrip, setup, teardown),
	        cmocka_unit_test(test_bundle_close_unused),
	        cmocka_unit_test_setup_teardown(test_bundle_wrong_passphrase, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bundle_truncated, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bundle_flipped_byte, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bundle_reordered, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bundle_bad_header, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bundle_bad_chunk_length, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bundle_data_after_final, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_record_v2_quota_verify, setup_keys, teardown),
	        cmocka_unit_test_setup_teardown(test_record_quota_without_period, setup_keys,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_record_v1_still_decodes, setup_keys, teardown),
	        cmocka_unit_test_setup_teardown(test_record_format_mismatch, setup_keys, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
