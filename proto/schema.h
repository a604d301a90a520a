/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_PROTO_SCHEMA_H
#define CREDAGENT_PROTO_SCHEMA_H

/*
 * Shorthands for writing the schemas of decode*.c, and the conversion of
 * parsed slots to a proto_ref; internal to proto/.
 */

#include <errno.h>
#include <stdint.h>

#include "proto/fields.h"
#include "proto/proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SCHEMA(name) {name##_specs, ARRAY_SIZE(name##_specs)}

#define REQ PROTO_F_REQUIRED
#define U32(t, fl) {.tag = (t), .kind = PROTO_KIND_U32, .flags = (fl), .max = UINT32_MAX}
#define ENUM(t, fl, m) {.tag = (t), .kind = PROTO_KIND_U32, .flags = (fl), .max = (m)}
#define BITS(t, fl, m) {.tag = (t), .kind = PROTO_KIND_U32, .flags = (fl) | PROTO_F_BITS, .max = (m)}
#define U64(t, fl) {.tag = (t), .kind = PROTO_KIND_U64, .flags = (fl)}
#define STR(t, fl, m) {.tag = (t), .kind = PROTO_KIND_STRING, .flags = (fl), .max = (m)}
#define BYTES(t, fl, m) {.tag = (t), .kind = PROTO_KIND_BYTES, .flags = (fl), .max = (m)}
#define NAME STR(PROTO_TAG_NAME, REQ | PROTO_F_NONEMPTY, PROTO_NAME_MAX)
#define MESSAGE STR(PROTO_TAG_MESSAGE, 0, PROTO_MESSAGE_MAX)
#define LABELS                                                                          \
	{.tag = PROTO_TAG_LABEL, .kind = PROTO_KIND_STRING, .flags = PROTO_F_REPEAT,    \
	 .max = PROTO_LABEL_MAX, .max_count = PROTO_LABELS_MAX}

#define QUOTA_F U32(PROTO_TAG_QUOTA, 0)
#define QUOTA_PERIOD_F ENUM(PROTO_TAG_QUOTA_PERIOD, 0, PROTO_PERIOD_MAX)

/* QUOTA? and QUOTA_PERIOD? slots: both or neither; a quota allows at
 * least one read, and a period is 1..PROTO_PERIOD_MAX (the schema caps
 * it, 0 is none). 0 or -EBADMSG. */
static inline int
proto_slots_quota(const struct proto_slot *quota, const struct proto_slot *period)
{
	if (quota->present != period->present)
		return -EBADMSG;
	if (quota->present && (proto_slot_u32(quota) == 0 || proto_slot_u32(period) == 0))
		return -EBADMSG;
	return 0;
}

/* OWNER? and NAME slots as a reference (borrowing the body). */
static inline struct proto_ref
proto_slots_ref(const struct proto_slot *owner, const struct proto_slot *name)
{
	struct proto_ref ref = {0};

	ref.has_owner = owner->present;
	ref.owner = proto_slot_u32(owner);
	ref.name = name->val;
	return ref;
}

#endif
