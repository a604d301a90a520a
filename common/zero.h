/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_ZERO_H
#define CREDAGENT_COMMON_ZERO_H

/*
 * Freeing memory that held a secret, for libcred and cred alike.
 * Header-only so that the parsers the unit tests and fuzz targets take on
 * their own (dotenv.c, dburi.c, scrub.c) need nothing more to link.
 */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Zeroes LEN bytes at P and frees it; accepts NULL. */
static inline void
zero_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

#endif
