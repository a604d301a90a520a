/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"

/*
 * Decoders of the access control messages, SHARE and UNSHARE (the GRANT
 * groups of the INFO reply are decoded in decode.c, with the metadata).
 * As in decode-lifecycle.c, the rules that tie fields together are
 * checked after parsing and make a body malformed: a grant names exactly
 * one grantee, SHARE says which permission, and UNSHARE says none (it
 * removes the grant whatever its permission).
 */

enum { SH_OWNER, SH_NAME, SH_FLAGS, SH_UID, SH_GID, SH_PERM };
static const struct proto_spec share_specs[] = {
	[SH_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[SH_NAME] = NAME,
	[SH_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_SHARE_FLAGS_ALL),
	[SH_UID] = U32(PROTO_TAG_GRANTEE_UID, 0),
	[SH_GID] = U32(PROTO_TAG_GRANTEE_GID, 0),
	[SH_PERM] = ENUM(PROTO_TAG_PERM, 0, PROTO_PERM_MAX),
};

static const struct proto_schema share_schema = SCHEMA(share);

int
proto_decode_share(struct proto_bytes body, uint8_t type, struct proto_share *ret)
{
	struct proto_slot s[ARRAY_SIZE(share_specs)];
	const struct proto_slot *grantee;

	if (type != PROTO_MSG_SHARE && type != PROTO_MSG_UNSHARE)
		return -EINVAL;
	if (proto_fields_parse(body, &share_schema, s) < 0)
		return -EBADMSG;
	if (s[SH_UID].present == s[SH_GID].present)
		return -EBADMSG;
	/* The schema caps PERM; 0 would grant nothing. */
	if (type == PROTO_MSG_SHARE &&
	    (!s[SH_PERM].present || proto_slot_u32(&s[SH_PERM]) == 0))
		return -EBADMSG;
	if (type == PROTO_MSG_UNSHARE && s[SH_PERM].present)
		return -EBADMSG;
	grantee = s[SH_GID].present ? &s[SH_GID] : &s[SH_UID];
	*ret = (struct proto_share){
		.ref = proto_slots_ref(&s[SH_OWNER], &s[SH_NAME]),
		.flags = proto_slot_u32(&s[SH_FLAGS]),
		.is_gid = s[SH_GID].present,
		.grantee = proto_slot_u32(grantee),
		.perm = proto_slot_u32(&s[SH_PERM]),
	};
	return 0;
}
