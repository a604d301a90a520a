/* SPDX-License-Identifier: MIT */
/*
 * common/buf: the bounds-checked big-endian reader and writer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"

static const uint8_t seq[] = {
	0x01,
	0x02, 0x03,
	0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0xf0, 0xf1,
};

static void
test_reader_values(void **state)
{
	struct buf_reader r;
	const uint8_t *p;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	buf_reader_init(&r, seq, sizeof(seq));
	assert_int_equal(buf_remaining(&r), sizeof(seq));
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(buf_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(buf_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(buf_get_u64(&r, &u64), 0);
	assert_int_equal(u64, 0x08090a0b0c0d0e0f);
	assert_int_equal(buf_get_bytes(&r, 0, &p), 0);
	assert_ptr_equal(p, seq + 15);
	assert_int_equal(buf_get_bytes(&r, 2, &p), 0);
	assert_ptr_equal(p, seq + 15);
	assert_int_equal(buf_remaining(&r), 0);
	assert_int_equal(buf_get_u8(&r, &u8), -EBADMSG);
	/* high bits survive (no sign extension) */
	buf_reader_init(&r, seq + 15, 2);
	assert_int_equal(buf_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0xf0f1);
}

/* A short read fails and changes neither the position nor the output. */
static void
test_reader_short(void **state)
{
	struct buf_reader r;
	const uint8_t *p = NULL;
	uint8_t u8;
	uint16_t u16 = 7;
	uint32_t u32 = 7;
	uint64_t u64 = 7;
	size_t n;

	(void)state;
	for (n = 0; n < 8; n++) {
		buf_reader_init(&r, seq, n);
		if (n < 2) {
			assert_int_equal(buf_get_u16(&r, &u16), -EBADMSG);
			assert_int_equal(u16, 7);
		}
		if (n < 4) {
			assert_int_equal(buf_get_u32(&r, &u32), -EBADMSG);
			assert_int_equal(u32, 7);
		}
		assert_int_equal(buf_get_u64(&r, &u64), -EBADMSG);
		assert_int_equal(u64, 7);
		assert_int_equal(buf_get_bytes(&r, n + 1, &p), -EBADMSG);
		assert_null(p);
		assert_int_equal(r.pos, 0);
	}
	/* lengths near SIZE_MAX must not wrap */
	buf_reader_init(&r, seq, sizeof(seq));
	assert_int_equal(buf_get_u8(&r, &u8), 0);
	assert_int_equal(buf_get_bytes(&r, SIZE_MAX, &p), -EBADMSG);
	assert_int_equal(buf_get_bytes(&r, SIZE_MAX - 1, &p), -EBADMSG);
	assert_int_equal(r.pos, 1);
	/* no data: nothing to read */
	buf_reader_init(&r, NULL, 10);
	assert_int_equal(buf_remaining(&r), 0);
	assert_int_equal(buf_get_bytes(&r, 1, &p), -EBADMSG);
}

static void
test_writer_values(void **state)
{
	uint8_t b[32];
	struct buf_writer w;

	(void)state;
	buf_writer_init(&w, b, sizeof(b));
	buf_put_u8(&w, 0x01);
	buf_put_u16(&w, 0x0203);
	buf_put_u32(&w, 0x04050607);
	buf_put_u64(&w, 0x08090a0b0c0d0e0f);
	buf_put_bytes(&w, "\xf0\xf1", 2);
	buf_put_bytes(&w, NULL, 0);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(w.len, sizeof(seq));
	assert_memory_equal(b, seq, sizeof(seq));
	buf_patch_u32(&w, 3, 0xaabbccdd);
	assert_memory_equal(b + 3, "\xaa\xbb\xcc\xdd", 4);
	/* patches outside what was written do nothing */
	buf_patch_u32(&w, w.len - 3, 0);
	buf_patch_u32(&w, w.len, 0);
	buf_patch_u32(&w, SIZE_MAX, 0);
	assert_memory_equal(b + 14, "\x0f\xf0\xf1", 3);
	assert_int_equal(buf_writer_error(&w), 0);
}

/* Past the capacity the writer stops, remembers, and writes nothing more. */
static void
test_writer_overflow(void **state)
{
	uint8_t b[8];
	struct buf_writer w;

	(void)state;
	memset(b, 0xee, sizeof(b));
	buf_writer_init(&w, b, 6);
	buf_put_u32(&w, 0x01020304);
	buf_put_u32(&w, 0x05060708);
	assert_int_equal(buf_writer_error(&w), -ENOSPC);
	assert_int_equal(w.len, 4);
	buf_put_u8(&w, 9);
	assert_int_equal(w.len, 4);
	assert_null(buf_reserve(&w, 0));
	assert_memory_equal(b, "\x01\x02\x03\x04\xee\xee\xee\xee", 8);

	buf_writer_init(&w, b, 4);
	assert_non_null(buf_reserve(&w, 4));
	assert_null(buf_reserve(&w, 1));
	assert_int_equal(buf_writer_error(&w), -ENOSPC);
	buf_writer_init(&w, b, 4);
	assert_null(buf_reserve(&w, SIZE_MAX));
	assert_int_equal(buf_writer_error(&w), -ENOSPC);
}

static void
test_writer_counting(void **state)
{
	struct buf_writer w;

	(void)state;
	buf_writer_init(&w, NULL, 0);
	buf_put_u64(&w, 1);
	buf_put_bytes(&w, "abc", 3);
	assert_null(buf_reserve(&w, 100));
	buf_patch_u32(&w, 0, 5);
	assert_int_equal(w.len, 111);
	assert_int_equal(buf_writer_error(&w), 0);
}

static void
test_store_load(void **state)
{
	uint8_t b[8];

	(void)state;
	buf_store_u32(b, 0xfedcba98);
	assert_memory_equal(b, "\xfe\xdc\xba\x98", 4);
	assert_int_equal(buf_load_u32(b), 0xfedcba98);
	buf_store_u64(b, 0x0123456789abcdef);
	assert_memory_equal(b, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	assert_int_equal(buf_load_u64(b), 0x0123456789abcdef);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_values),
		cmocka_unit_test(test_reader_short),
		cmocka_unit_test(test_writer_values),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_counting),
		cmocka_unit_test(test_store_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
