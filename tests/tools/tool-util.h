/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_TOOL_UTIL_H
#define CREDAGENT_TESTS_TOOL_UTIL_H

/*
 * What the raw-frame test tools (crash-load, get-loop) share: big-endian
 * integers as the wire has them, a monotonic clock in seconds, and a
 * strict decimal option parser. They build frames by hand, without
 * proto/, on purpose, so that a bug in proto/ cannot hide one in the
 * agent.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "common/buf.h"

/* The wire's big-endian integers: common/buf.h's, under the tools' names. */
#define put_be32 buf_store_u32
#define get_be32 buf_load_u32

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* S as a decimal number up to MAX: 0, or -1 if it is not one. */
static inline int
parse_ul(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*ret = v;
	return 0;
}

#endif
