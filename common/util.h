/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_UTIL_H
#define CREDAGENT_COMMON_UTIL_H

/* Small parsers shared by the agent and the client. No allocation. */

#include <stdint.h>

#define UTIL_WUR __attribute__((warn_unused_result))

/* Decimal without sign, spaces or leading '+', at most MAX: 0 or -EINVAL. */
int util_parse_u64(const char *s, uint64_t max, uint64_t *ret) UTIL_WUR;

/*
 * A duration: N (seconds) or N followed by s, m, h, d or w. 0 with
 * *ret_seconds set, or -EINVAL (also on overflow).
 */
int util_parse_duration(const char *s, uint64_t *ret_seconds) UTIL_WUR;

/* A size: N, or N followed by K, M or G (powers of 1024). */
int util_parse_size(const char *s, uint64_t *ret_bytes) UTIL_WUR;

#endif
