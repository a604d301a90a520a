/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_TOOL_UTIL_H
#define CREDAGENT_TESTS_TOOL_UTIL_H

/*
 * What the raw-frame test tools (crash-load, get-loop) share: big-endian
 * integers as the wire has them, a monotonic clock in seconds, and a
 * strict decimal option parser. They build frames by hand on purpose, so
 * that a bug in proto/ cannot hide one in the agent.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

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
