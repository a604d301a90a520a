/* SPDX-License-Identifier: MIT */
/* The locked arena: carving, zeroing on release, refusal when full,
 * locking as it comes into use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/arena.h"
#include "common/smem.h"

static void
test_alloc_release(void **state)
{
	struct arena *a;
	uint8_t *p, *q;
	size_t cap, cap2;

	(void)state;
	assert_int_equal(smem_init(), 0);
	assert_int_equal(arena_new(64 * ARENA_GRANULE, &a), 0);
	assert_int_equal(arena_size(a), 64 * ARENA_GRANULE);
	p = arena_alloc(a, 1, &cap);
	assert_non_null(p);
	assert_int_equal(cap, ARENA_GRANULE);
	q = arena_alloc(a, ARENA_GRANULE + 1, &cap2);
	assert_non_null(q);
	assert_int_equal(cap2, 2 * ARENA_GRANULE);
	assert_int_equal(arena_used(a), 3 * ARENA_GRANULE);
	memset(p, 0x5A, cap);
	arena_release(a, p, cap, cap);
	assert_true(arena_take_released(a));
	assert_false(arena_take_released(a));
	/* Released memory is zeroed before anyone gets it again. */
	p = arena_alloc(a, cap, &cap);
	assert_non_null(p);
	for (size_t i = 0; i < cap; i++)
		assert_int_equal(p[i], 0);
	/* Only the bytes written need zeroing. */
	memset(p, 0x77, 10);
	arena_release(a, p, cap, 10);
	p = arena_alloc(a, cap, &cap);
	assert_non_null(p);
	for (size_t i = 0; i < cap; i++)
		assert_int_equal(p[i], 0);
	arena_release(a, p, cap, 0);
	arena_release(a, q, cap2, 0);
	assert_int_equal(arena_used(a), 0);
	arena_release(a, NULL, 0, 0);
	arena_free_all(a);
}

static void
test_full_then_freed(void **state)
{
	struct arena *a;
	void *blocks[64];
	size_t cap;

	(void)state;
	assert_int_equal(arena_new(64 * ARENA_GRANULE, &a), 0);
	for (int i = 0; i < 64; i++) {
		blocks[i] = arena_alloc(a, ARENA_GRANULE, &cap);
		assert_non_null(blocks[i]);
	}
	assert_null(arena_alloc(a, 1, &cap));
	assert_null(arena_alloc(a, 0, &cap));
	/* Free two separate granules: a 2-granule request still cannot fit. */
	arena_release(a, blocks[10], ARENA_GRANULE, 0);
	arena_release(a, blocks[20], ARENA_GRANULE, 0);
	assert_null(arena_alloc(a, 2 * ARENA_GRANULE, &cap));
	arena_release(a, blocks[11], ARENA_GRANULE, 0);
	blocks[10] = arena_alloc(a, 2 * ARENA_GRANULE, &cap);
	assert_non_null(blocks[10]);
	assert_int_equal(cap, 2 * ARENA_GRANULE);
	assert_null(arena_alloc(a, 65 * ARENA_GRANULE, &cap));
	arena_free_all(a);
}

/* An arena of 1 MiB locks nothing until used, then 64 KiB segments, from
 * the bottom; blocks across a segment boundary lock both. */
static void
test_lazy_lock(void **state)
{
	struct arena *a;
	uint8_t *p, *q, *r;
	size_t cap, cap2, cap3, seg = 64 * 1024;

	(void)state;
	assert_int_equal(arena_new(1024 * 1024, &a), 0);
	assert_int_equal(arena_locked(a), 0);
	p = arena_alloc(a, 4096, &cap);
	assert_non_null(p);
	assert_int_equal(arena_locked(a), seg);
	/* A block that straddles the first boundary locks the second segment. */
	q = arena_alloc(a, seg - 2048, &cap2);
	assert_non_null(q);
	assert_ptr_equal(q, p + cap);
	assert_int_equal(arena_locked(a), 2 * seg);
	arena_release(a, q, cap2, 0);
	arena_release(a, p, cap, 0);
	/* First fit: the next block starts at the bottom again. */
	r = arena_alloc(a, 100, &cap3);
	assert_ptr_equal(r, p);
	memset(r, 1, cap3);
	arena_release(a, r, cap3, cap3);
	assert_int_equal(arena_locked(a), 2 * seg);
	assert_int_equal(arena_used(a), 0);
	arena_free_all(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_release),
		cmocka_unit_test(test_full_then_freed),
		cmocka_unit_test(test_lazy_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
