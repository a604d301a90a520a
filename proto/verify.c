/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/encoders.h"
#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"

/*
 * VERIFY: the client reports the result of the check it ran on a secret
 * (typed.c has the field sets it checks). The schema caps VERIFY_STATUS
 * and VERIFY_MESSAGE; a status of 0, which proto_meta uses for "never
 * verified", is no result and makes the body malformed. The reply is a
 * simple reply.
 */

enum { VFY_OWNER, VFY_NAME, VFY_VERSION, VFY_STATUS, VFY_MESSAGE };
static const struct proto_spec verify_specs[] = {
	[VFY_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[VFY_NAME] = NAME,
	[VFY_VERSION] = U32(PROTO_TAG_VERSION, 0),
	[VFY_STATUS] = ENUM(PROTO_TAG_VERIFY_STATUS, REQ, PROTO_VERIFY_MAX),
	[VFY_MESSAGE] = STR(PROTO_TAG_VERIFY_MESSAGE, 0, PROTO_VERIFY_MESSAGE_MAX),
};
static const struct proto_schema verify_schema = SCHEMA(verify);

int
proto_decode_verify(struct proto_bytes body, struct proto_verify_req *ret)
{
	struct proto_slot s[ARRAY_SIZE(verify_specs)];

	if (proto_fields_parse(body, &verify_schema, s) < 0)
		return -EBADMSG;
	if (proto_slot_u32(&s[VFY_STATUS]) == 0)
		return -EBADMSG;
	*ret = (struct proto_verify_req){
		.ref = proto_slots_ref(&s[VFY_OWNER], &s[VFY_NAME]),
		.has_version = s[VFY_VERSION].present,
		.version = proto_slot_u32(&s[VFY_VERSION]),
		.status = proto_slot_u32(&s[VFY_STATUS]),
		.message = s[VFY_MESSAGE].val,
	};
	return 0;
}

int
proto_encode_verify(struct buf_writer *w, uint32_t reqid, const struct proto_verify_req *m)
{
	size_t start = proto_frame_begin(w, PROTO_MSG_VERIFY, reqid);

	put_ref(w, &m->ref);
	if (m->has_version)
		proto_put_u32(w, PROTO_TAG_VERSION, m->version);
	proto_put_u32(w, PROTO_TAG_VERIFY_STATUS, m->status);
	put_opt_string(w, PROTO_TAG_VERIFY_MESSAGE, m->message);
	return proto_frame_end(w, start);
}

static const char *const verify_names[] = {
	[PROTO_VERIFY_OK] = "ok",
	[PROTO_VERIFY_FAILED] = "failed",
};
_Static_assert(ARRAY_SIZE(verify_names) == PROTO_VERIFY_MAX + 1, "a name for every result");

const char *
proto_verify_name(uint32_t status)
{
	if (status > PROTO_VERIFY_MAX)
		return NULL;
	return verify_names[status]; /* NULL for 0 */
}
