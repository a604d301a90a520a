/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "smem.h"

int
smem_init(void)
{
	struct rlimit rl = {0, 0};

	if (sodium_init() < 0)
		return -EIO;
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

void *
smem_alloc(size_t n)
{
	void *p = sodium_malloc(n);

	if (p == NULL)
		return NULL;
	/* sodium_malloc locks the pages but does not report a failure: lock
	 * again (idempotent) and refuse memory that could be swapped out. */
	if (mlock(p, n) < 0) {
		sodium_free(p);
		errno = ENOMEM;
		return NULL;
	}
	sodium_memzero(p, n);
	return p;
}

void *
smem_alloc_bulk(size_t n, bool *ret_locked)
{
	void *p = sodium_malloc(n);

	if (p == NULL)
		return NULL;
	*ret_locked = mlock(p, n) == 0;
	sodium_memzero(p, n);
	return p;
}

void
smem_free(void *p)
{
	/* sodium_free zeroes the whole allocation before unmapping it. */
	if (p != NULL)
		sodium_free(p);
}
