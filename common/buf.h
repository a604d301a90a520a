/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_BUF_H
#define CREDAGENT_COMMON_BUF_H

/*
 * Bounds-checked big-endian reader and writer over memory the caller owns.
 * Neither allocates: the reader borrows its input, the writer fills a
 * fixed-capacity region (or, with data == NULL, only counts, so an encoder
 * can be run once to size a buffer and again to fill it).
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BUF_WUR __attribute__((warn_unused_result))

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

/* The reader borrows DATA; it must outlive the reader. */
static inline void buf_reader_init(struct buf_reader *r, const void *data, size_t len);

/* Bytes not yet consumed. */
static inline size_t buf_remaining(const struct buf_reader *r);

/*
 * Getters: 0 on success with *ret set and the position advanced; -EBADMSG
 * when fewer bytes remain than asked for, leaving *ret and the position
 * untouched.
 */
static inline int buf_get_u8(struct buf_reader *r, uint8_t *ret) BUF_WUR;
static inline int buf_get_u16(struct buf_reader *r, uint16_t *ret) BUF_WUR;
static inline int buf_get_u32(struct buf_reader *r, uint32_t *ret) BUF_WUR;
static inline int buf_get_u64(struct buf_reader *r, uint64_t *ret) BUF_WUR;

/*
 * Borrow LEN bytes: *ret points into the reader's input and lives as long
 * as that input does.
 */
static inline int buf_get_bytes(struct buf_reader *r, size_t len, const uint8_t **ret) BUF_WUR;

struct buf_writer {
	uint8_t *data; /* NULL: count only */
	size_t cap;
	size_t len;
	int err; /* sticky: 0 or -ENOSPC */
};

/* DATA may be NULL to only count the bytes an encoder would write. */
static inline void buf_writer_init(struct buf_writer *w, void *data, size_t cap);

/*
 * Putters never fail loudly: past the capacity they set the sticky error
 * and write nothing more. Check buf_writer_error() once at the end.
 */
static inline void buf_put_u8(struct buf_writer *w, uint8_t v);
static inline void buf_put_u16(struct buf_writer *w, uint16_t v);
static inline void buf_put_u32(struct buf_writer *w, uint32_t v);
static inline void buf_put_u64(struct buf_writer *w, uint64_t v);
static inline void buf_put_bytes(struct buf_writer *w, const void *p, size_t n);

/*
 * Reserve N bytes for the caller to fill. Returns a pointer into the
 * writer's region, or NULL in counting mode or on overflow (the latter
 * also sets the sticky error).
 */
static inline uint8_t *buf_reserve(struct buf_writer *w, size_t n);

/* Overwrite a big-endian u32 at offset OFF already written. */
static inline void buf_patch_u32(struct buf_writer *w, size_t off, uint32_t v);

static inline int buf_writer_error(const struct buf_writer *w) BUF_WUR;

/* Plain helpers for fixed positions. */
static inline void buf_store_u32(uint8_t *p, uint32_t v);
static inline uint32_t buf_load_u32(const uint8_t *p);
static inline void buf_store_u64(uint8_t *p, uint64_t v);
static inline uint64_t buf_load_u64(const uint8_t *p);

/* ---- definitions: inline, they sit on every request's path ---- */

static inline void
buf_reader_init(struct buf_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = data != NULL ? len : 0;
	r->pos = 0;
}

static inline size_t
buf_remaining(const struct buf_reader *r)
{
	return r->len - r->pos;
}

static inline void
buf_store_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
buf_load_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	       (uint32_t)p[3];
}

static inline void
buf_store_u64(uint8_t *p, uint64_t v)
{
	buf_store_u32(p, (uint32_t)(v >> 32));
	buf_store_u32(p + 4, (uint32_t)v);
}

static inline uint64_t
buf_load_u64(const uint8_t *p)
{
	return (uint64_t)buf_load_u32(p) << 32 | buf_load_u32(p + 4);
}

static inline int
buf_get_bytes(struct buf_reader *r, size_t len, const uint8_t **ret)
{
	if (len > buf_remaining(r))
		return -EBADMSG;
	*ret = r->data + r->pos;
	r->pos += len;
	return 0;
}

static inline int
buf_get_u8(struct buf_reader *r, uint8_t *ret)
{
	const uint8_t *p;

	if (buf_get_bytes(r, 1, &p) < 0)
		return -EBADMSG;
	*ret = p[0];
	return 0;
}

static inline int
buf_get_u16(struct buf_reader *r, uint16_t *ret)
{
	const uint8_t *p;

	if (buf_get_bytes(r, 2, &p) < 0)
		return -EBADMSG;
	*ret = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

static inline int
buf_get_u32(struct buf_reader *r, uint32_t *ret)
{
	const uint8_t *p;

	if (buf_get_bytes(r, 4, &p) < 0)
		return -EBADMSG;
	*ret = buf_load_u32(p);
	return 0;
}

static inline int
buf_get_u64(struct buf_reader *r, uint64_t *ret)
{
	const uint8_t *p;

	if (buf_get_bytes(r, 8, &p) < 0)
		return -EBADMSG;
	*ret = buf_load_u64(p);
	return 0;
}

static inline void
buf_writer_init(struct buf_writer *w, void *data, size_t cap)
{
	w->data = data;
	w->cap = data != NULL ? cap : SIZE_MAX;
	w->len = 0;
	w->err = 0;
}

static inline uint8_t *
buf_reserve(struct buf_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err != 0)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->data != NULL ? w->data + w->len : NULL;
	w->len += n;
	return p;
}

static inline void
buf_put_bytes(struct buf_writer *w, const void *src, size_t n)
{
	uint8_t *p = buf_reserve(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

static inline void
buf_put_u8(struct buf_writer *w, uint8_t v)
{
	buf_put_bytes(w, &v, 1);
}

static inline void
buf_put_u16(struct buf_writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	buf_put_bytes(w, b, sizeof(b));
}

static inline void
buf_put_u32(struct buf_writer *w, uint32_t v)
{
	uint8_t b[4];

	buf_store_u32(b, v);
	buf_put_bytes(w, b, sizeof(b));
}

static inline void
buf_put_u64(struct buf_writer *w, uint64_t v)
{
	uint8_t b[8];

	buf_store_u64(b, v);
	buf_put_bytes(w, b, sizeof(b));
}

static inline void
buf_patch_u32(struct buf_writer *w, size_t off, uint32_t v)
{
	if (w->data == NULL || w->err != 0 || off > w->len || w->len - off < 4)
		return;
	buf_store_u32(w->data + off, v);
}

static inline int
buf_writer_error(const struct buf_writer *w)
{
	return w->err;
}

#endif
