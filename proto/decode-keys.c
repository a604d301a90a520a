/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"

/*
 * Decoders of the key management messages of issue 5: LOCK, UNLOCK,
 * PASSWD, KEYSLOT_LIST, KEYSLOT_ADD, KEYSLOT_RM, BACKUP and REKEY (one struct,
 * a schema chosen by type), the KEYSLOT_ADD reply and the KEYSLOT_LIST
 * reply with its KEYSLOT groups. As in decode-lifecycle.c, the rules that
 * tie fields together (KEYSLOT_ADD has a PASSPHRASE exactly when its kind
 * is PASSPHRASE; a kind is never 0) are checked after parsing and make a
 * body malformed. A passphrase is BYTES: any byte may appear in it, but
 * it is never empty.
 */

#define PASSPHRASE_F(t, fl) BYTES(t, (fl) | PROTO_F_NONEMPTY, PROTO_PASSPHRASE_MAX)
#define SLOT_F(fl) ENUM(PROTO_TAG_SLOT, fl, PROTO_SLOTS_MAX - 1)
#define SLOT_KIND_F(fl) ENUM(PROTO_TAG_SLOT_KIND, fl, PROTO_SLOT_KIND_MAX)

static const struct proto_spec unlock_specs[] = {
	PASSPHRASE_F(PROTO_TAG_PASSPHRASE, 0),
};
static const struct proto_spec passwd_specs[] = {
	PASSPHRASE_F(PROTO_TAG_PASSPHRASE, REQ),
	PASSPHRASE_F(PROTO_TAG_NEW_PASSPHRASE, REQ),
	SLOT_F(0),
};
static const struct proto_spec keyslot_add_specs[] = {
	PASSPHRASE_F(PROTO_TAG_PASSPHRASE, 0),
	SLOT_KIND_F(REQ),
};
static const struct proto_spec keyslot_rm_specs[] = {
	SLOT_F(REQ),
};
static const struct proto_spec rekey_specs[] = {
	BITS(PROTO_TAG_FLAGS, 0, PROTO_REKEY_FLAGS_ALL),
};
/* The most entries of the request schemas above. */
#define KEYS_SLOTS 3u

enum { SLR_SLOT, SLR_MESSAGE };
static const struct proto_spec slot_reply_specs[] = {
	[SLR_SLOT] = SLOT_F(REQ),
	[SLR_MESSAGE] = MESSAGE,
};

enum { KS_CREATED, KS_SLOT, KS_KIND };
static const struct proto_spec keyslot_specs[] = {
	[KS_CREATED] = U64(PROTO_TAG_CREATED, REQ),
	[KS_SLOT] = SLOT_F(REQ),
	[KS_KIND] = SLOT_KIND_F(REQ),
};
static const struct proto_schema keyslot_schema = SCHEMA(keyslot);

enum { KLR_KEYSLOT, KLR_MESSAGE };
static const struct proto_spec keyslot_list_reply_specs[] = {
	[KLR_KEYSLOT] = {.tag = PROTO_TAG_KEYSLOT, .kind = PROTO_KIND_GROUP,
			 .flags = PROTO_F_REPEAT, .max_count = PROTO_SLOTS_MAX,
			 .group = &keyslot_schema},
	[KLR_MESSAGE] = MESSAGE,
};

static const struct proto_schema
	unlock_schema = SCHEMA(unlock),
	passwd_schema = SCHEMA(passwd),
	keyslot_add_schema = SCHEMA(keyslot_add),
	keyslot_rm_schema = SCHEMA(keyslot_rm),
	rekey_schema = SCHEMA(rekey),
	slot_reply_schema = SCHEMA(slot_reply),
	keyslot_list_reply_schema = SCHEMA(keyslot_list_reply),
	empty_schema = {NULL, 0};

_Static_assert(ARRAY_SIZE(unlock_specs) <= KEYS_SLOTS && ARRAY_SIZE(passwd_specs) <= KEYS_SLOTS &&
		       ARRAY_SIZE(keyslot_add_specs) <= KEYS_SLOTS &&
		       ARRAY_SIZE(keyslot_rm_specs) <= KEYS_SLOTS &&
		       ARRAY_SIZE(rekey_specs) <= KEYS_SLOTS,
	       "KEYS_SLOTS holds every request schema");
_Static_assert(PROTO_SLOT_KIND_MAX == PROTO_SLOT_PASSPHRASE, "slot kinds are 1..MAX");

static const struct proto_schema *
keys_schema(uint8_t type)
{
	switch (type) {
	case PROTO_MSG_LOCK:
	case PROTO_MSG_KEYSLOT_LIST:
	case PROTO_MSG_BACKUP:
		return &empty_schema;
	case PROTO_MSG_UNLOCK:
		return &unlock_schema;
	case PROTO_MSG_PASSWD:
		return &passwd_schema;
	case PROTO_MSG_KEYSLOT_ADD:
		return &keyslot_add_schema;
	case PROTO_MSG_KEYSLOT_RM:
		return &keyslot_rm_schema;
	case PROTO_MSG_REKEY:
		return &rekey_schema;
	default:
		return NULL;
	}
}

int
proto_decode_keys(struct proto_bytes body, uint8_t type, struct proto_keys_req *ret)
{
	const struct proto_schema *sc = keys_schema(type);
	struct proto_slot s[KEYS_SLOTS];
	struct proto_keys_req m = {0};
	size_t i;

	if (sc == NULL)
		return -EINVAL;
	if (proto_fields_parse(body, sc, s) < 0)
		return -EBADMSG;
	/* Each schema holds a tag at most once: the tag says which member. */
	for (i = 0; i < sc->n; i++) {
		if (!s[i].present)
			continue;
		switch (sc->specs[i].tag) {
		case PROTO_TAG_PASSPHRASE:
			m.has_passphrase = true;
			m.passphrase = s[i].val;
			break;
		case PROTO_TAG_NEW_PASSPHRASE:
			m.has_new_passphrase = true;
			m.new_passphrase = s[i].val;
			break;
		case PROTO_TAG_SLOT:
			m.has_slot = true;
			m.slot = proto_slot_u32(&s[i]);
			break;
		case PROTO_TAG_SLOT_KIND:
			m.slot_kind = proto_slot_u32(&s[i]);
			break;
		case PROTO_TAG_FLAGS:
			m.flags = proto_slot_u32(&s[i]);
			break;
		default:
			return -EBADMSG;
		}
	}
	/* The schema caps SLOT_KIND; 0 is no kind. A passphrase slot is
	 * made from the passphrase given, a keyfile slot from the descriptor
	 * that comes with the frame, never from both. */
	if (type == PROTO_MSG_KEYSLOT_ADD &&
	    (m.slot_kind == 0 || m.has_passphrase != (m.slot_kind == PROTO_SLOT_PASSPHRASE)))
		return -EBADMSG;
	*ret = m;
	return 0;
}

int
proto_decode_slot_reply(struct proto_bytes body, uint32_t *ret_slot)
{
	struct proto_slot s[ARRAY_SIZE(slot_reply_specs)];

	if (proto_fields_parse(body, &slot_reply_schema, s) < 0)
		return -EBADMSG;
	*ret_slot = proto_slot_u32(&s[SLR_SLOT]);
	return 0;
}

int
proto_decode_keyslot(struct proto_bytes group, struct proto_keyslot *ret)
{
	struct proto_slot s[ARRAY_SIZE(keyslot_specs)];

	if (proto_fields_parse(group, &keyslot_schema, s) < 0)
		return -EBADMSG;
	/* The schema caps SLOT_KIND; 0 is no kind. */
	if (proto_slot_u32(&s[KS_KIND]) == 0)
		return -EBADMSG;
	*ret = (struct proto_keyslot){
		.slot = proto_slot_u32(&s[KS_SLOT]),
		.kind = proto_slot_u32(&s[KS_KIND]),
		.created = proto_slot_u64(&s[KS_CREATED]),
	};
	return 0;
}

int
proto_decode_keyslot_list_reply(struct proto_bytes body, struct proto_list_span *ret)
{
	struct proto_slot s[ARRAY_SIZE(keyslot_list_reply_specs)];
	struct proto_keyslot k;
	struct proto_iter it;
	struct proto_bytes group;

	if (proto_fields_parse(body, &keyslot_list_reply_schema, s) < 0)
		return -EBADMSG;
	/* The schema has checked each KEYSLOT's fields; its rule is here. */
	proto_iter_init(&it, &s[KLR_KEYSLOT].span);
	while (proto_iter_next(&it, &group) == 1)
		if (proto_decode_keyslot(group, &k) < 0)
			return -EBADMSG;
	*ret = s[KLR_KEYSLOT].span;
	return 0;
}
