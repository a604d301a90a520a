/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/smem.h"
#include "bundle.h"

#define SS_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

struct bundle_secrets {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
};

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* N bytes, or -EBADMSG at a premature end of file. */
static int
read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EBADMSG;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
derive(struct bundle *b, const uint8_t *pass, size_t len, uint64_t ops, uint64_t mem,
       const uint8_t *salt)
{
	b->sec = smem_alloc(sizeof(*b->sec));
	if (b->sec == NULL)
		return -ENOMEM;
	if (crypto_pwhash(b->sec->key, sizeof(b->sec->key), (const char *)pass, len, salt, ops,
			  (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

int
bundle_write_begin(struct bundle *b, int fd, const uint8_t *pass, size_t len, uint64_t ops,
		   uint64_t mem)
{
	uint8_t hdr[BUNDLE_HEADER_SIZE];
	int r;

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	memcpy(hdr, BUNDLE_MAGIC, 8);
	buf_store_u32(hdr + 8, BUNDLE_FORMAT);
	buf_store_u32(hdr + 12, 0);
	buf_store_u64(hdr + 16, ops);
	buf_store_u64(hdr + 24, mem);
	randombytes_buf(hdr + 32, crypto_pwhash_SALTBYTES);
	memcpy(b->ad, hdr, BUNDLE_AD_SIZE);
	r = derive(b, pass, len, ops, mem, hdr + 32);
	if (r < 0)
		return r;
	crypto_secretstream_xchacha20poly1305_init_push(&b->sec->st, hdr + BUNDLE_AD_SIZE,
							b->sec->key);
	r = write_all(fd, hdr, sizeof(hdr));
	b->bytes = sizeof(hdr);
	return r;
}

int
bundle_write_chunk(struct bundle *b, const uint8_t *plain, size_t len, bool final)
{
	size_t clen = len + SS_ABYTES;
	uint8_t *ct;
	int r;

	if (b->final)
		return -EINVAL;
	if (clen > BUNDLE_CHUNK_MAX)
		return -EFBIG;
	ct = malloc(4 + clen);
	if (ct == NULL)
		return -ENOMEM;
	buf_store_u32(ct, (uint32_t)clen);
	crypto_secretstream_xchacha20poly1305_push(
		&b->sec->st, ct + 4, NULL, plain, len, b->ad, sizeof(b->ad),
		final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
	r = write_all(b->fd, ct, 4 + clen);
	free(ct);
	b->bytes += 4 + clen;
	b->chunks++;
	b->final = final;
	return r;
}

int
bundle_read_begin(struct bundle *b, int fd, const uint8_t *pass, size_t len)
{
	uint8_t hdr[BUNDLE_HEADER_SIZE];
	uint64_t ops, mem;
	int r;

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	r = read_all(fd, hdr, sizeof(hdr));
	if (r < 0)
		return r;
	b->bytes = sizeof(hdr);
	ops = buf_load_u64(hdr + 16);
	mem = buf_load_u64(hdr + 24);
	/* The limits come from the file: never past libsodium's strongest. */
	if (memcmp(hdr, BUNDLE_MAGIC, 8) != 0 || buf_load_u32(hdr + 8) != BUNDLE_FORMAT ||
	    buf_load_u32(hdr + 12) != 0 || ops < crypto_pwhash_OPSLIMIT_MIN ||
	    ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return -EBADMSG;
	memcpy(b->ad, hdr, BUNDLE_AD_SIZE);
	r = derive(b, pass, len, ops, mem, hdr + 32);
	if (r < 0)
		return r;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&b->sec->st, hdr + BUNDLE_AD_SIZE,
							    b->sec->key) != 0)
		return -EBADMSG;
	return 0;
}

int
bundle_read_chunk(struct bundle *b, uint8_t *out, size_t cap, size_t *ret_len)
{
	uint8_t lenbuf[4], *ct, tag;
	unsigned long long plen;
	uint32_t clen;
	int r;

	if (b->final)
		return -EBADMSG;
	r = read_all(b->fd, lenbuf, 4);
	if (r < 0)
		return r;
	clen = buf_load_u32(lenbuf);
	if (clen < SS_ABYTES || clen > BUNDLE_CHUNK_MAX || clen - SS_ABYTES > cap ||
	    b->bytes + 4 + clen > BUNDLE_FILE_MAX)
		return -EBADMSG;
	ct = malloc(clen);
	if (ct == NULL)
		return -ENOMEM;
	r = read_all(b->fd, ct, clen);
	if (r < 0) {
		free(ct);
		return r;
	}
	b->bytes += 4 + clen;
	if (crypto_secretstream_xchacha20poly1305_pull(&b->sec->st, out, &plen, &tag, ct, clen,
						       b->ad, sizeof(b->ad)) != 0) {
		free(ct);
		sodium_memzero(out, clen - SS_ABYTES);
		return -EKEYREJECTED;
	}
	free(ct);
	if (tag != 0 && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		sodium_memzero(out, (size_t)plen);
		return -EBADMSG;
	}
	b->final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	b->chunks++;
	*ret_len = (size_t)plen;
	return 0;
}

int
bundle_read_end(struct bundle *b)
{
	uint8_t extra;
	ssize_t r;

	if (!b->final)
		return -EBADMSG;
	do
		r = read(b->fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? 0 : -EBADMSG;
}

void
bundle_close(struct bundle *b)
{
	smem_free(b->sec);
	b->sec = NULL;
}
