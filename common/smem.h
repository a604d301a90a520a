/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_SMEM_H
#define CREDAGENT_COMMON_SMEM_H

/*
 * Secure memory for keys and plaintext: libsodium's guarded allocations
 * (guard pages, excluded from core dumps) whose mlock we check ourselves,
 * since libsodium ignores its failure. Call smem_init() first, once.
 */

#include <stdbool.h>
#include <stddef.h>

#define SMEM_WUR __attribute__((warn_unused_result))

/* sodium_init(), RLIMIT_CORE 0 and PR_SET_DUMPABLE 0: before any key
 * exists. 0 or -errno. */
int smem_init(void) SMEM_WUR;

/* N bytes of zeroed, locked, guarded memory; NULL with errno set (ENOMEM
 * when the lock failed: raise RLIMIT_MEMLOCK). Free with smem_free(). */
void *smem_alloc(size_t n) SMEM_WUR;
/* As smem_alloc, for bulk plaintext (export and import bundles) that may
 * not fit under RLIMIT_MEMLOCK: when the lock fails the memory is kept,
 * still guarded, excluded from core dumps and zeroed on free, and
 * *ret_locked says it may be swapped. */
void *smem_alloc_bulk(size_t n, bool *ret_locked) SMEM_WUR;
/* Zero and free; accepts NULL. */
void smem_free(void *p);

#endif
