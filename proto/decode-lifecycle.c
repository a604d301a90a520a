/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"

/*
 * Decoders of the secret lifecycle messages (ROTATE, ROLLBACK, PURGE,
 * LABEL, EVENT; UNDELETE, DISABLE, ENABLE and WATCH are proto_named). The
 * schemas check structure and caps as in decode.c; the few rules that
 * tie fields together are checked after parsing and also make a body
 * malformed, so a decoded message always means one thing.
 */

enum { ROT_OWNER, ROT_NAME, ROT_EXPIRES, ROT_VALUE, ROT_FLAGS, ROT_GEN_LENGTH, ROT_CHARSET };
static const struct proto_spec rotate_specs[] = {
	[ROT_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[ROT_NAME] = NAME,
	[ROT_EXPIRES] = U64(PROTO_TAG_EXPIRES, 0),
	[ROT_VALUE] = BYTES(PROTO_TAG_VALUE, 0, UINT32_MAX),
	[ROT_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_ROTATE_FLAGS_ALL),
	[ROT_GEN_LENGTH] = ENUM(PROTO_TAG_GEN_LENGTH, 0, PROTO_GEN_LENGTH_MAX),
	[ROT_CHARSET] = ENUM(PROTO_TAG_CHARSET, 0, PROTO_CHARSET_MAX),
};

/* VALUE here is only ever a generated value: 1 to GEN_LENGTH_MAX bytes. */
enum { RR_VERSION, RR_VALUE, RR_MESSAGE };
static const struct proto_spec rotate_reply_specs[] = {
	[RR_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[RR_VALUE] = BYTES(PROTO_TAG_VALUE, PROTO_F_NONEMPTY, PROTO_GEN_LENGTH_MAX),
	[RR_MESSAGE] = MESSAGE,
};

enum { VER_OWNER, VER_NAME, VER_VERSION };
static const struct proto_spec versioned_specs[] = {
	[VER_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[VER_NAME] = NAME,
	[VER_VERSION] = U32(PROTO_TAG_VERSION, 0),
};

enum { LBL_OWNER, LBL_NAME, LBL_LABEL, LBL_LABEL_KEY };
static const struct proto_spec label_specs[] = {
	[LBL_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[LBL_NAME] = NAME,
	[LBL_LABEL] = LABELS,
	[LBL_LABEL_KEY] = {.tag = PROTO_TAG_LABEL_KEY, .kind = PROTO_KIND_STRING,
			   .flags = PROTO_F_REPEAT, .max = PROTO_LABEL_KEY_MAX,
			   .max_count = PROTO_LABELS_MAX},
};

enum { EV_VERSION, EV_STATE, EV_EVENT };
static const struct proto_spec event_specs[] = {
	[EV_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[EV_STATE] = ENUM(PROTO_TAG_STATE, REQ, PROTO_STATE_MAX),
	[EV_EVENT] = ENUM(PROTO_TAG_EVENT, REQ, PROTO_EVENT_MAX),
};

static const struct proto_schema
	rotate_schema = SCHEMA(rotate),
	rotate_reply_schema = SCHEMA(rotate_reply),
	versioned_schema = SCHEMA(versioned),
	label_schema = SCHEMA(label),
	event_schema = SCHEMA(event);

int
proto_decode_rotate(struct proto_bytes body, struct proto_rotate *ret)
{
	struct proto_slot s[ARRAY_SIZE(rotate_specs)];
	bool has_value, has_gen;

	if (proto_fields_parse(body, &rotate_schema, s) < 0)
		return -EBADMSG;
	/* A value from the caller or one to generate, never both or neither;
	 * a charset says how to generate, so it needs a length. The schema
	 * caps GEN_LENGTH; 0 would generate nothing. */
	has_value = s[ROT_VALUE].present;
	has_gen = s[ROT_GEN_LENGTH].present;
	if (has_value == has_gen)
		return -EBADMSG;
	if (has_gen && proto_slot_u32(&s[ROT_GEN_LENGTH]) == 0)
		return -EBADMSG;
	if (s[ROT_CHARSET].present && !has_gen)
		return -EBADMSG;
	*ret = (struct proto_rotate){
		.ref = proto_slots_ref(&s[ROT_OWNER], &s[ROT_NAME]),
		.has_expires = s[ROT_EXPIRES].present,
		.expires = proto_slot_u64(&s[ROT_EXPIRES]),
		.has_value = has_value,
		.value = s[ROT_VALUE].val,
		.flags = proto_slot_u32(&s[ROT_FLAGS]),
		.gen_length = proto_slot_u32(&s[ROT_GEN_LENGTH]),
		.charset = proto_slot_u32(&s[ROT_CHARSET]),
	};
	return 0;
}

int
proto_decode_rotate_reply(struct proto_bytes body, struct proto_rotate_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(rotate_reply_specs)];

	if (proto_fields_parse(body, &rotate_reply_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_rotate_reply){
		.version = proto_slot_u32(&s[RR_VERSION]),
		.has_value = s[RR_VALUE].present,
		.value = s[RR_VALUE].val,
		.message = s[RR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_versioned(struct proto_bytes body, uint8_t type, struct proto_versioned *ret)
{
	struct proto_slot s[ARRAY_SIZE(versioned_specs)];

	if (type != PROTO_MSG_ROLLBACK && type != PROTO_MSG_PURGE)
		return -EINVAL;
	if (proto_fields_parse(body, &versioned_schema, s) < 0)
		return -EBADMSG;
	/* ROLLBACK names the version to bring back; PURGE without one
	 * purges the whole secret. */
	if (type == PROTO_MSG_ROLLBACK && !s[VER_VERSION].present)
		return -EBADMSG;
	*ret = (struct proto_versioned){
		.ref = proto_slots_ref(&s[VER_OWNER], &s[VER_NAME]),
		.has_version = s[VER_VERSION].present,
		.version = proto_slot_u32(&s[VER_VERSION]),
	};
	return 0;
}

int
proto_decode_label(struct proto_bytes body, struct proto_label *ret)
{
	struct proto_slot s[ARRAY_SIZE(label_specs)];

	if (proto_fields_parse(body, &label_schema, s) < 0)
		return -EBADMSG;
	/* A LABEL that changes nothing is a mistake, not a no-op. */
	if (!s[LBL_LABEL].present && !s[LBL_LABEL_KEY].present)
		return -EBADMSG;
	*ret = (struct proto_label){
		.ref = proto_slots_ref(&s[LBL_OWNER], &s[LBL_NAME]),
		.set = s[LBL_LABEL].span,
		.remove = s[LBL_LABEL_KEY].span,
	};
	return 0;
}

int
proto_decode_event(struct proto_bytes body, struct proto_event_msg *ret)
{
	struct proto_slot s[ARRAY_SIZE(event_specs)];

	if (proto_fields_parse(body, &event_schema, s) < 0)
		return -EBADMSG;
	/* The schema caps EVENT; 0 is no event. */
	if (proto_slot_u32(&s[EV_EVENT]) == 0)
		return -EBADMSG;
	*ret = (struct proto_event_msg){
		.event = proto_slot_u32(&s[EV_EVENT]),
		.version = proto_slot_u32(&s[EV_VERSION]),
		.state = proto_slot_u32(&s[EV_STATE]),
	};
	return 0;
}
