/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/smem.h"
#include "arena.h"

struct arena {
	uint8_t *base;
	size_t n_granules;
	size_t used;  /* granules */
	size_t hint;  /* next-fit start */
	bool released;
	uint64_t *map; /* bit set: granule in use */
};

int
arena_new(size_t size, struct arena **ret)
{
	struct arena *a;
	size_t words;

	if (size < ARENA_GRANULE)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->n_granules = size / ARENA_GRANULE;
	words = (a->n_granules + 63) / 64;
	a->map = calloc(words, sizeof(uint64_t));
	a->base = smem_alloc(a->n_granules * ARENA_GRANULE);
	if (a->map == NULL || a->base == NULL) {
		int err = errno != 0 ? -errno : -ENOMEM;

		arena_free_all(a);
		return err;
	}
	/* Bits past the end are permanently "in use". */
	for (size_t g = a->n_granules; g < words * 64; g++)
		a->map[g / 64] |= UINT64_C(1) << (g % 64);
	*ret = a;
	return 0;
}

void
arena_free_all(struct arena *a)
{
	if (a == NULL)
		return;
	smem_free(a->base);
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

/* First run of N free granules at or after START, or SIZE_MAX. */
static size_t
find_run(const struct arena *a, size_t start, size_t end, size_t n)
{
	size_t run = 0, g = start;

	while (g < end) {
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

void *
arena_alloc(struct arena *a, size_t n, size_t *ret_cap)
{
	size_t k = (n + ARENA_GRANULE - 1) / ARENA_GRANULE, at;

	if (n == 0 || k > a->n_granules - a->used)
		return NULL;
	at = find_run(a, a->hint, a->n_granules, k);
	if (at == SIZE_MAX)
		at = find_run(a, 0, a->n_granules, k);
	if (at == SIZE_MAX)
		return NULL;
	mark(a, at, k, true);
	a->used += k;
	a->hint = at + k < a->n_granules ? at + k : 0;
	*ret_cap = k * ARENA_GRANULE;
	return a->base + at * ARENA_GRANULE;
}

void
arena_release(struct arena *a, void *p, size_t cap)
{
	size_t at, k;

	if (p == NULL)
		return;
	at = (size_t)((uint8_t *)p - a->base) / ARENA_GRANULE;
	k = cap / ARENA_GRANULE;
	if (at + k > a->n_granules || cap % ARENA_GRANULE != 0)
		abort(); /* broken invariant: not one of ours */
	sodium_memzero(p, cap);
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

bool
arena_take_released(struct arena *a)
{
	bool r = a->released;

	a->released = false;
	return r;
}
