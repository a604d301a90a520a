/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_ARENA_H
#define CREDAGENT_AGENT_ARENA_H

/*
 * The locked arena: one region of memory reserved at start, kept out of
 * core dumps and locked as it comes into use, carved into granules for
 * frames that may carry plaintext (connection input and output buffers).
 * When it is full, or the kernel will not lock more of it, arena_alloc()
 * fails and the caller waits for memory to come back (backpressure)
 * instead of allocating elsewhere. Single-threaded: only the event loop
 * uses it.
 */

#include <stdbool.h>
#include <stddef.h>

#define ARENA_WUR __attribute__((warn_unused_result))
#define ARENA_GRANULE 256u

struct arena;

/* SIZE is rounded down to whole granules. 0 or -errno. */
int arena_new(size_t size, struct arena **ret) ARENA_WUR;
void arena_free_all(struct arena *a);

/* A block of at least N bytes (N > 0), zeroed; NULL when no run of
 * granules that long is free. *ret_cap gets the usable size. */
void *arena_alloc(struct arena *a, size_t n, size_t *ret_cap) ARENA_WUR;
/* Release a block of capacity CAP from arena_alloc(), zeroing its first
 * USED bytes: the caller promises it wrote nothing past them (checked in
 * the sanitizer build). Accepts NULL. */
void arena_release(struct arena *a, void *p, size_t cap, size_t used);

size_t arena_size(const struct arena *a);
size_t arena_used(const struct arena *a);
/* Bytes of the arena locked so far (segments reached by an allocation). */
size_t arena_locked(const struct arena *a);
/* True once since the last call if memory was released: waiters retry. */
bool arena_take_released(struct arena *a);

#endif
