/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_RATELIMIT_H
#define CREDAGENT_AGENT_RATELIMIT_H

/*
 * Per-uid token buckets: RATE requests a second, up to BURST at once. A
 * fixed table (no allocation per request); when it is full the bucket idle
 * longest is reused, which can only forgive, never punish, a uid.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"

int ratelimit_new(uint32_t rate, uint32_t burst, struct ratelimit **ret) AGENT_WUR;
void ratelimit_free(struct ratelimit *r);

/* Take one token for UID at NOW_MS; false when the uid is over its rate.
 * *ret_first_denial tells whether this is the first refusal in this
 * second (to log once, not per request). */
bool ratelimit_take(struct ratelimit *r, uid_t uid, uint64_t now_ms, bool *ret_first_denial);

#endif
