/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"

/*
 * The region is reserved at start (with a guard page on each side, out of
 * core dumps) but locked one segment at a time, when an allocation first
 * reaches it: an idle agent holds only what it has used, and a segment once
 * locked stays locked until the end. Allocation is first-fit from the
 * bottom, so a light load keeps to the first segments.
 */

#define SEGMENT (64u * 1024u)
#define GRANULES_PER_SEGMENT (SEGMENT / ARENA_GRANULE)

struct arena {
	uint8_t *map_base; /* the whole mapping, guards included */
	size_t map_len;
	uint8_t *base;
	size_t n_granules;
	size_t used;  /* granules */
	size_t n_segments;
	bool released;
	uint64_t *map;    /* bit set: granule in use */
	uint8_t *locked;  /* per segment: 1 once locked */
};

static size_t
page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096u;
}

int
arena_new(size_t size, struct arena **ret)
{
	size_t words, pg = page_size(), len;
	struct arena *a;

	if (size < ARENA_GRANULE)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->n_granules = size / ARENA_GRANULE;
	a->n_segments = (a->n_granules + GRANULES_PER_SEGMENT - 1) / GRANULES_PER_SEGMENT;
	len = (a->n_granules * ARENA_GRANULE + pg - 1) / pg * pg;
	words = (a->n_granules + 63) / 64;
	a->map = calloc(words, sizeof(uint64_t));
	a->locked = calloc(a->n_segments, 1);
	if (a->map == NULL || a->locked == NULL) {
		arena_free_all(a);
		return -ENOMEM;
	}
	a->map_len = len + 2 * pg;
	a->map_base = mmap(NULL, a->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->map_base == MAP_FAILED) {
		a->map_base = NULL;
		arena_free_all(a);
		return -ENOMEM;
	}
	a->base = a->map_base + pg;
	if (mprotect(a->base, len, PROT_READ | PROT_WRITE) < 0 ||
	    madvise(a->base, len, MADV_DONTDUMP) < 0 ||
	    madvise(a->base, len, MADV_WIPEONFORK) < 0) {
		int err = -errno;

		arena_free_all(a);
		return err;
	}
	/* Bits past the end are permanently "in use". */
	for (size_t g = a->n_granules; g < words * 64; g++)
		a->map[g / 64] |= UINT64_C(1) << (g % 64);
	*ret = a;
	return 0;
}

static size_t
segment_len(const struct arena *a, size_t s)
{
	size_t end = (s + 1) * SEGMENT, total = a->n_granules * ARENA_GRANULE;

	return (end < total ? end : total) - s * SEGMENT;
}

void
arena_free_all(struct arena *a)
{
	if (a == NULL)
		return;
	if (a->map_base != NULL) {
		for (size_t s = 0; s < a->n_segments; s++) {
			if (!a->locked[s])
				continue; /* never used: never written */
			sodium_memzero(a->base + s * SEGMENT, segment_len(a, s));
			munlock(a->base + s * SEGMENT, segment_len(a, s));
		}
		munmap(a->map_base, a->map_len);
	}
	free(a->locked);
	free(a->map);
	free(a);
}

static bool
granule_used(const struct arena *a, size_t g)
{
	return (a->map[g / 64] >> (g % 64)) & 1u;
}

static void
mark(struct arena *a, size_t first, size_t n, bool used)
{
	for (size_t g = first; g < first + n; g++) {
		if (used)
			a->map[g / 64] |= UINT64_C(1) << (g % 64);
		else
			a->map[g / 64] &= ~(UINT64_C(1) << (g % 64));
	}
}

/* First run of N free granules, or SIZE_MAX. */
static size_t
find_run(const struct arena *a, size_t n)
{
	size_t run = 0, g = 0;

	while (g < a->n_granules) {
		if (run == 0 && g % 64 == 0 && a->map[g / 64] == UINT64_MAX) {
			g += 64;
			continue;
		}
		if (granule_used(a, g)) {
			run = 0;
		} else if (++run == n) {
			return g + 1 - n;
		}
		g++;
	}
	return SIZE_MAX;
}

/* Lock the segments granules [AT, AT+K) lie in; false if the kernel refuses. */
static bool
lock_segments(struct arena *a, size_t at, size_t k)
{
	size_t first = at / GRANULES_PER_SEGMENT, last = (at + k - 1) / GRANULES_PER_SEGMENT;

	for (size_t s = first; s <= last; s++) {
		if (a->locked[s])
			continue;
		if (mlock(a->base + s * SEGMENT, segment_len(a, s)) < 0)
			return false;
		a->locked[s] = 1;
	}
	return true;
}

void *
arena_alloc(struct arena *a, size_t n, size_t *ret_cap)
{
	size_t k = (n + ARENA_GRANULE - 1) / ARENA_GRANULE, at;

	if (n == 0 || k > a->n_granules - a->used)
		return NULL;
	at = find_run(a, k);
	if (at == SIZE_MAX || !lock_segments(a, at, k))
		return NULL;
	mark(a, at, k, true);
	a->used += k;
	*ret_cap = k * ARENA_GRANULE;
	/* Free granules are all zero: released ones are zeroed, fresh pages are. */
	return a->base + at * ARENA_GRANULE;
}

void
arena_release(struct arena *a, void *p, size_t cap, size_t used)
{
	size_t at, k;

	if (p == NULL)
		return;
	at = (size_t)((uint8_t *)p - a->base) / ARENA_GRANULE;
	k = cap / ARENA_GRANULE;
	if (at + k > a->n_granules || cap % ARENA_GRANULE != 0 || used > cap)
		abort(); /* broken invariant: not one of ours */
	sodium_memzero(p, used);
#ifdef ARENA_CHECK
	/* The caller's promise: nothing past USED was ever written. */
	for (size_t i = used; i < cap; i++)
		if (((const uint8_t *)p)[i] != 0)
			abort();
#endif
	mark(a, at, k, false);
	a->used -= k;
	a->released = true;
}

size_t
arena_size(const struct arena *a)
{
	return a->n_granules * ARENA_GRANULE;
}

size_t
arena_used(const struct arena *a)
{
	return a->used * ARENA_GRANULE;
}

size_t
arena_locked(const struct arena *a)
{
	size_t n = 0;

	for (size_t s = 0; s < a->n_segments; s++)
		if (a->locked[s])
			n += segment_len(a, s);
	return n;
}

bool
arena_take_released(struct arena *a)
{
	bool r = a->released;

	a->released = false;
	return r;
}
