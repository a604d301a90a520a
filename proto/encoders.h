/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_PROTO_ENCODERS_H
#define CREDAGENT_PROTO_ENCODERS_H

/*
 * Helpers shared by the encoders of encode*.c; internal to proto/. They
 * leave out what proto.h calls absent: an empty optional string or
 * bytes, an empty span.
 */

#include <stdint.h>

#include "common/buf.h"
#include "proto/proto.h"

static inline void
put_opt_string(struct buf_writer *w, uint8_t tag, struct proto_bytes b)
{
	if (b.len > 0)
		proto_put_string(w, tag, b.ptr, b.len);
}

static inline void
put_opt_bytes(struct buf_writer *w, uint8_t tag, struct proto_bytes b)
{
	if (b.len > 0)
		proto_put_bytes(w, tag, b.ptr, b.len);
}

/* Spans are copied as the raw field bytes they hold. */
static inline void
put_span(struct buf_writer *w, const struct proto_list_span *span)
{
	if (span->raw.len > 0)
		buf_put_bytes(w, span->raw.ptr, span->raw.len);
}

static inline void
put_ref(struct buf_writer *w, const struct proto_ref *ref)
{
	if (ref->has_owner)
		proto_put_u32(w, PROTO_TAG_OWNER, ref->owner);
	proto_put_string(w, PROTO_TAG_NAME, ref->name.ptr, ref->name.len);
}

/* QUOTA and QUOTA_PERIOD, each when not 0. */
static inline void
put_quota(struct buf_writer *w, uint32_t quota, uint32_t period)
{
	if (quota != 0)
		proto_put_u32(w, PROTO_TAG_QUOTA, quota);
	if (period != 0)
		proto_put_u32(w, PROTO_TAG_QUOTA_PERIOD, period);
}

#endif
