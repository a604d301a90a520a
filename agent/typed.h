/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_TYPED_H
#define CREDAGENT_AGENT_TYPED_H

/*
 * The agent's side of typed secrets (proto.h, "typed secrets"): checking a
 * value against its type, replacing the primary field (rotate
 * --generate), and the masked FIELD groups of an INFO reply.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define TYPED_WUR __attribute__((warn_unused_result))

/* Whether TYPE (len 0: absent) is generic. */
bool typed_is_generic(struct proto_bytes type);

/* PROTO_OK, or PROTO_INVALID with WHY set: TYPE is not in the registry,
 * or VALUE is not a valid field set of it. Generic values always pass. */
uint16_t typed_check(struct proto_bytes type, struct proto_bytes value, char *why,
		     size_t whylen) TYPED_WUR;

/*
 * The field set VALUE of TYPE with its primary field set to NV (NVLEN
 * bytes), into locked memory (*ret, *ret_len; smem_free it). 0, -ENOENT
 * when the type has no primary field, -EBADMSG, -ENOMEM.
 */
int typed_replace_primary(struct proto_bytes type, struct proto_bytes value, const uint8_t *nv,
			  size_t nvlen, uint8_t **ret, size_t *ret_len) TYPED_WUR;

/* FIELD groups for INFO into malloc'd memory (*ret; free its raw.ptr):
 * every field of VALUE, secret ones (by TYPE's registry) without their
 * value. 0 or -ENOMEM / -EBADMSG. */
int typed_info_fields(struct proto_bytes type, struct proto_bytes value,
		      struct proto_list_span *ret) TYPED_WUR;

#endif
