/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_BUNDLE_H
#define CREDAGENT_AGENT_BUNDLE_H

/*
 * Export bundles on a descriptor (docs/PROTOCOL.md, "Export bundles"):
 * a 72-byte header (magic, format, Argon2id limits and salt, the
 * secretstream header) then length-prefixed crypto_secretstream chunks,
 * the last one tagged FINAL. The stream key is derived from a passphrase
 * with Argon2id and lives in locked memory. Runs on the worker thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define BUNDLE_WUR __attribute__((warn_unused_result))
#define BUNDLE_MAGIC "CREDBNDL"
#define BUNDLE_FORMAT 1u
#define BUNDLE_AD_SIZE 48u
#define BUNDLE_HEADER_SIZE (BUNDLE_AD_SIZE + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define BUNDLE_CHUNK_MAX (64u << 20)
#define BUNDLE_FILE_MAX (1ull << 30)

struct bundle_secrets; /* locked: the stream state and its key */

struct bundle {
	int fd; /* borrowed */
	uint8_t ad[BUNDLE_AD_SIZE];
	uint64_t bytes;  /* written or read so far */
	uint64_t chunks; /* chunks written or read */
	bool final;      /* the FINAL chunk was written or read */
	struct bundle_secrets *sec;
};

/*
 * Start a bundle on FD: derive the key from PASS with Argon2id (OPS,
 * MEM) and write the header. 0, -ENOMEM (no locked memory, or Argon2id
 * could not get its memory), or -errno of the write.
 */
int bundle_write_begin(struct bundle *b, int fd, const uint8_t *pass, size_t len, uint64_t ops,
		       uint64_t mem) BUNDLE_WUR;
/* Encrypt and write one chunk (FINAL: the last). 0 or -errno. */
int bundle_write_chunk(struct bundle *b, const uint8_t *plain, size_t len, bool final) BUNDLE_WUR;

/*
 * Read and check the header on FD, derive the key from PASS. 0;
 * -EBADMSG when it is not a bundle (bad magic, format or limits);
 * -ENOMEM; -errno of the read.
 */
int bundle_read_begin(struct bundle *b, int fd, const uint8_t *pass, size_t len) BUNDLE_WUR;
/*
 * Read and decrypt the next chunk into OUT (CAP bytes; *ret_len bytes
 * used). 0; -EKEYREJECTED when it does not authenticate (a wrong
 * passphrase, if it is the first chunk); -EBADMSG when it is truncated,
 * larger than CAP or BUNDLE_CHUNK_MAX, or follows the FINAL chunk;
 * -ENOMEM; -errno of the read. On failure OUT is zeroed.
 */
int bundle_read_chunk(struct bundle *b, uint8_t *out, size_t cap, size_t *ret_len) BUNDLE_WUR;
/* After the FINAL chunk: 0 at the end of the file, -EBADMSG otherwise. */
int bundle_read_end(struct bundle *b) BUNDLE_WUR;

/* Wipe and free the key and state; accepts a never-begun bundle. */
void bundle_close(struct bundle *b);

#endif
