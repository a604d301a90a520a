/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_WATCH_H
#define CREDAGENT_AGENT_WATCH_H

/*
 * Watches: a connection's standing requests to hear about changes to one
 * secret. A WATCH is answered at once; each later change is an EVENT frame
 * carrying the WATCH's request id. No thread per watcher: events are
 * queued on the watcher's connection by the loop when a write commits.
 */

#include <stdint.h>

#include "proto/proto.h"
#include "agent.h"
#include "conn.h"

/* Tell every watcher of OWNER:NAME (loop thread). A PURGED event ends
 * the watches it reaches. */
void watch_notify(struct agent *a, uint32_t owner, struct proto_bytes name, uint32_t event,
		  uint32_t version, uint32_t state);
/* After an UNSHARE by OWNER: end (with a REVOKED event) the watches on
 * OWNER's secrets whose holders no longer see them. */
void watch_revalidate(struct agent *a, uint32_t owner);
/* Drop C's watches (its connection is closing). */
void watch_drop_conn(struct agent *a, struct conn *c);

#endif
