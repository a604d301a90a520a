/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_PROTO_TYPED_H
#define CREDAGENT_PROTO_TYPED_H

/*
 * The field-set walker of typed.c, for the other files of proto/ (the
 * INFO reply decoder); internal to proto/.
 */

#include "proto/proto.h"

/*
 * RAW as the FIELD groups of an INFO reply: each FIELD_KEY then an
 * optional FIELD_VALUE, keys 1-PROTO_FIELD_KEY_MAX bytes of [a-z0-9_]
 * and strictly ascending, at most PROTO_TYPED_FIELDS_MAX groups (none is
 * fine). 0 or -EBADMSG.
 */
int proto_typed_span_check(struct proto_bytes raw) PROTO_WUR;

#endif
