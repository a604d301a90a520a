/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_BUF_H
#define CREDAGENT_COMMON_BUF_H

/*
 * Bounds-checked big-endian reader and writer over memory the caller owns.
 * Neither allocates: the reader borrows its input, the writer fills a
 * fixed-capacity region (or, with data == NULL, only counts, so an encoder
 * can be run once to size a buffer and again to fill it).
 */

#include <stddef.h>
#include <stdint.h>

#define BUF_WUR __attribute__((warn_unused_result))

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

/* The reader borrows DATA; it must outlive the reader. */
void buf_reader_init(struct buf_reader *r, const void *data, size_t len);

/* Bytes not yet consumed. */
size_t buf_remaining(const struct buf_reader *r);

/*
 * Getters: 0 on success with *ret set and the position advanced; -EBADMSG
 * when fewer bytes remain than asked for, leaving *ret and the position
 * untouched.
 */
int buf_get_u8(struct buf_reader *r, uint8_t *ret) BUF_WUR;
int buf_get_u16(struct buf_reader *r, uint16_t *ret) BUF_WUR;
int buf_get_u32(struct buf_reader *r, uint32_t *ret) BUF_WUR;
int buf_get_u64(struct buf_reader *r, uint64_t *ret) BUF_WUR;

/*
 * Borrow LEN bytes: *ret points into the reader's input and lives as long
 * as that input does.
 */
int buf_get_bytes(struct buf_reader *r, size_t len, const uint8_t **ret) BUF_WUR;

struct buf_writer {
	uint8_t *data; /* NULL: count only */
	size_t cap;
	size_t len;
	int err; /* sticky: 0 or -ENOSPC */
};

/* DATA may be NULL to only count the bytes an encoder would write. */
void buf_writer_init(struct buf_writer *w, void *data, size_t cap);

/*
 * Putters never fail loudly: past the capacity they set the sticky error
 * and write nothing more. Check buf_writer_error() once at the end.
 */
void buf_put_u8(struct buf_writer *w, uint8_t v);
void buf_put_u16(struct buf_writer *w, uint16_t v);
void buf_put_u32(struct buf_writer *w, uint32_t v);
void buf_put_u64(struct buf_writer *w, uint64_t v);
void buf_put_bytes(struct buf_writer *w, const void *p, size_t n);

/*
 * Reserve N bytes for the caller to fill. Returns a pointer into the
 * writer's region, or NULL in counting mode or on overflow (the latter
 * also sets the sticky error).
 */
uint8_t *buf_reserve(struct buf_writer *w, size_t n);

/* Overwrite a big-endian u32 at offset OFF already written. */
void buf_patch_u32(struct buf_writer *w, size_t off, uint32_t v);

int buf_writer_error(const struct buf_writer *w) BUF_WUR;

/* Plain helpers for fixed positions. */
void buf_store_u32(uint8_t *p, uint32_t v);
uint32_t buf_load_u32(const uint8_t *p);
void buf_store_u64(uint8_t *p, uint64_t v);
uint64_t buf_load_u64(const uint8_t *p);

#endif
