/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"
#include "proto/typed.h"

/*
 * One schema per message body, in the field order of proto.h. Decoders
 * check structure and caps only; whether a name or label is acceptable is
 * the agent's call (proto_name_valid() and friends, answered with USAGE).
 * The lifecycle messages of issue 3 are in decode-lifecycle.c, SHARE and
 * UNSHARE in decode-share.c, the key management messages of issue 5 in
 * decode-keys.c, export, import and bundle chunks in decode-transfer.c,
 * audit, usage and quotas in decode-audit.c.
 */

enum { HELLO_VERSION, HELLO_FEATURES };
static const struct proto_spec hello_specs[] = {
	[HELLO_VERSION] = U32(PROTO_TAG_PROTO_VERSION, REQ),
	[HELLO_FEATURES] = U64(PROTO_TAG_FEATURES, 0),
};

enum { HR_VERSION, HR_FEATURES, HR_AGENT_VERSION, HR_MODE, HR_FRAME_MAX, HR_MESSAGE };
static const struct proto_spec hello_reply_specs[] = {
	[HR_VERSION] = U32(PROTO_TAG_PROTO_VERSION, REQ),
	[HR_FEATURES] = U64(PROTO_TAG_FEATURES, REQ),
	[HR_AGENT_VERSION] = STR(PROTO_TAG_AGENT_VERSION, REQ, PROTO_AGENT_VERSION_MAX),
	[HR_MODE] = ENUM(PROTO_TAG_MODE, REQ, PROTO_MODE_SYSTEM),
	[HR_FRAME_MAX] = U32(PROTO_TAG_FRAME_MAX, REQ),
	[HR_MESSAGE] = MESSAGE,
};

enum { SR_AGENT_VERSION, SR_MODE, SR_LOCKED, SR_UPTIME, SR_SECRETS, SR_STORE_BYTES, SR_MESSAGE };
static const struct proto_spec status_reply_specs[] = {
	[SR_AGENT_VERSION] = STR(PROTO_TAG_AGENT_VERSION, REQ, PROTO_AGENT_VERSION_MAX),
	[SR_MODE] = ENUM(PROTO_TAG_MODE, REQ, PROTO_MODE_SYSTEM),
	[SR_LOCKED] = ENUM(PROTO_TAG_LOCKED, REQ, 1),
	[SR_UPTIME] = U64(PROTO_TAG_UPTIME, REQ),
	[SR_SECRETS] = U64(PROTO_TAG_SECRETS, REQ),
	[SR_STORE_BYTES] = U64(PROTO_TAG_STORE_BYTES, REQ),
	[SR_MESSAGE] = MESSAGE,
};

enum {
	PUT_OWNER,
	PUT_NAME,
	PUT_TYPE,
	PUT_CAS,
	PUT_MAX_VERSIONS,
	PUT_EXPIRES,
	PUT_LABEL,
	PUT_VALUE,
	PUT_QUOTA,
	PUT_QUOTA_PERIOD,
};
static const struct proto_spec put_specs[] = {
	[PUT_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[PUT_NAME] = NAME,
	[PUT_TYPE] = STR(PROTO_TAG_TYPE, 0, PROTO_TYPE_MAX),
	[PUT_CAS] = U32(PROTO_TAG_CAS, 0),
	[PUT_MAX_VERSIONS] = U32(PROTO_TAG_MAX_VERSIONS, 0),
	[PUT_EXPIRES] = U64(PROTO_TAG_EXPIRES, 0),
	[PUT_LABEL] = LABELS,
	[PUT_VALUE] = BYTES(PROTO_TAG_VALUE, REQ, UINT32_MAX),
	[PUT_QUOTA] = QUOTA_F,
	[PUT_QUOTA_PERIOD] = QUOTA_PERIOD_F,
};

enum { PR_VERSION, PR_MESSAGE };
static const struct proto_spec put_reply_specs[] = {
	[PR_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[PR_MESSAGE] = MESSAGE,
};

enum { GET_OWNER, GET_NAME, GET_VERSION, GET_FLAGS };
static const struct proto_spec get_specs[] = {
	[GET_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[GET_NAME] = NAME,
	[GET_VERSION] = U32(PROTO_TAG_VERSION, 0),
	[GET_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_GET_FLAGS_ALL),
};

enum { GR_VERSION, GR_TYPE, GR_VALUE, GR_MESSAGE };
static const struct proto_spec get_reply_specs[] = {
	[GR_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[GR_TYPE] = STR(PROTO_TAG_TYPE, REQ, PROTO_TYPE_MAX),
	[GR_VALUE] = BYTES(PROTO_TAG_VALUE, REQ, UINT32_MAX),
	[GR_MESSAGE] = MESSAGE,
};

enum { NAMED_OWNER, NAMED_NAME };
static const struct proto_spec named_specs[] = {
	[NAMED_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[NAMED_NAME] = NAME,
};

enum { VI_VERSION, VI_CREATED, VI_CREATED_BY };
static const struct proto_spec version_info_specs[] = {
	[VI_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[VI_CREATED] = U64(PROTO_TAG_CREATED, REQ),
	[VI_CREATED_BY] = U32(PROTO_TAG_CREATED_BY, REQ),
};
static const struct proto_schema version_info_schema = SCHEMA(version_info);

/* A GRANT group: the cross-field rules (one grantee, PERM not 0) are
 * checked by proto_decode_grant(), which proto_decode_info_reply() runs
 * on every group. */
enum { GRANT_NAME, GRANT_CREATED, GRANT_CREATED_BY, GRANT_FLAGS, GRANT_UID, GRANT_GID, GRANT_PERM };
static const struct proto_spec grant_specs[] = {
	[GRANT_NAME] = NAME,
	[GRANT_CREATED] = U64(PROTO_TAG_CREATED, REQ),
	[GRANT_CREATED_BY] = U32(PROTO_TAG_CREATED_BY, REQ),
	[GRANT_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_SHARE_FLAGS_ALL),
	[GRANT_UID] = U32(PROTO_TAG_GRANTEE_UID, 0),
	[GRANT_GID] = U32(PROTO_TAG_GRANTEE_GID, 0),
	[GRANT_PERM] = ENUM(PROTO_TAG_PERM, REQ, PROTO_PERM_MAX),
};
static const struct proto_schema grant_schema = SCHEMA(grant);

/* A FIELD group of the INFO reply: a typed secret's field, its value left
 * out when the field is secret. Keys are checked (charset, order) by
 * proto_typed_span_check(). */
enum { FLD_KEY, FLD_VALUE };
static const struct proto_spec field_specs[] = {
	[FLD_KEY] = STR(PROTO_TAG_FIELD_KEY, REQ | PROTO_F_NONEMPTY, PROTO_FIELD_KEY_MAX),
	[FLD_VALUE] = BYTES(PROTO_TAG_FIELD_VALUE, 0, UINT32_MAX),
};
static const struct proto_schema field_schema = SCHEMA(field);

/* The INFO reply and a LIST entry share their first META_COMMON_N fields;
 * then the INFO reply has VERSIONS*, GRANT*, SHARED?, MESSAGE?, the
 * quota and usage fields, FIELD* and the verify fields, and an entry
 * only SHARED?, VERIFY_STATUS? and VERIFY_TIME?. */
enum {
	META_OWNER,
	META_NAME,
	META_VERSION,
	META_TYPE,
	META_STATE,
	META_MAX_VERSIONS,
	META_EXPIRES,
	META_CREATED,
	META_UPDATED,
	META_DELETED,
	META_LABEL,
	META_COMMON_N,
	META_VERSIONS = META_COMMON_N,
	META_GRANT,
	META_SHARED,
	META_MESSAGE,
	META_QUOTA,
	META_QUOTA_PERIOD,
	META_READS,
	META_PERIOD_READS,
	META_LAST_READ,
	META_READER_UID,
	META_READER_PID,
	META_READER_COMM,
	META_FIELD,
	META_VERIFY_STATUS,
	META_VERIFY_TIME,
	META_VERIFY_MESSAGE,
};
enum { ENTRY_SHARED = META_COMMON_N, ENTRY_VERIFY_STATUS, ENTRY_VERIFY_TIME };
#define META_COMMON_SPECS                                                       \
	[META_OWNER] = U32(PROTO_TAG_OWNER, REQ),                               \
	[META_NAME] = NAME,                                                     \
	[META_VERSION] = U32(PROTO_TAG_VERSION, REQ),                           \
	[META_TYPE] = STR(PROTO_TAG_TYPE, REQ, PROTO_TYPE_MAX),                 \
	[META_STATE] = ENUM(PROTO_TAG_STATE, REQ, PROTO_STATE_MAX),             \
	[META_MAX_VERSIONS] = U32(PROTO_TAG_MAX_VERSIONS, REQ),                 \
	[META_EXPIRES] = U64(PROTO_TAG_EXPIRES, 0),                             \
	[META_CREATED] = U64(PROTO_TAG_CREATED, REQ),                           \
	[META_UPDATED] = U64(PROTO_TAG_UPDATED, REQ),                           \
	[META_DELETED] = U64(PROTO_TAG_DELETED, 0),                             \
	[META_LABEL] = LABELS
#define SHARED ENUM(PROTO_TAG_SHARED, 0, 1)
#define VERIFY_STATUS_F ENUM(PROTO_TAG_VERIFY_STATUS, 0, PROTO_VERIFY_MAX)
#define VERIFY_TIME_F U64(PROTO_TAG_VERIFY_TIME, 0)
static const struct proto_spec meta_specs[] = {
	META_COMMON_SPECS,
	[META_VERSIONS] = {.tag = PROTO_TAG_VERSIONS, .kind = PROTO_KIND_GROUP,
			   .flags = PROTO_F_REPEAT, .max_count = PROTO_VERSIONS_MAX,
			   .group = &version_info_schema},
	[META_GRANT] = {.tag = PROTO_TAG_GRANT, .kind = PROTO_KIND_GROUP,
			.flags = PROTO_F_REPEAT, .max_count = PROTO_GRANTS_MAX,
			.group = &grant_schema},
	[META_SHARED] = SHARED,
	[META_MESSAGE] = MESSAGE,
	[META_QUOTA] = QUOTA_F,
	[META_QUOTA_PERIOD] = QUOTA_PERIOD_F,
	[META_READS] = U64(PROTO_TAG_READS, 0),
	[META_PERIOD_READS] = U64(PROTO_TAG_PERIOD_READS, 0),
	[META_LAST_READ] = U64(PROTO_TAG_LAST_READ, 0),
	[META_READER_UID] = U32(PROTO_TAG_READER_UID, 0),
	[META_READER_PID] = U32(PROTO_TAG_READER_PID, 0),
	[META_READER_COMM] = STR(PROTO_TAG_READER_COMM, 0, PROTO_COMM_MAX),
	[META_FIELD] = {.tag = PROTO_TAG_FIELD, .kind = PROTO_KIND_GROUP, .flags = PROTO_F_REPEAT,
			.max_count = PROTO_TYPED_FIELDS_MAX, .group = &field_schema},
	[META_VERIFY_STATUS] = VERIFY_STATUS_F,
	[META_VERIFY_TIME] = VERIFY_TIME_F,
	[META_VERIFY_MESSAGE] = STR(PROTO_TAG_VERIFY_MESSAGE, 0, PROTO_VERIFY_MESSAGE_MAX),
};
static const struct proto_spec entry_specs[] = {
	META_COMMON_SPECS,
	[ENTRY_SHARED] = SHARED,
	[ENTRY_VERIFY_STATUS] = VERIFY_STATUS_F,
	[ENTRY_VERIFY_TIME] = VERIFY_TIME_F,
};
static const struct proto_schema meta_entry_schema = SCHEMA(entry);

enum {
	LIST_OWNER,
	LIST_LABEL,
	LIST_PREFIX,
	LIST_CURSOR,
	LIST_LIMIT,
	LIST_FLAGS,
	LIST_EXPIRING,
};
static const struct proto_spec list_specs[] = {
	[LIST_OWNER] = U32(PROTO_TAG_OWNER, 0),
	[LIST_LABEL] = LABELS,
	[LIST_PREFIX] = STR(PROTO_TAG_PREFIX, 0, PROTO_NAME_MAX + 1),
	[LIST_CURSOR] = BYTES(PROTO_TAG_CURSOR, 0, PROTO_CURSOR_MAX),
	[LIST_LIMIT] = ENUM(PROTO_TAG_LIMIT, 0, PROTO_LIST_LIMIT_MAX),
	[LIST_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_LIST_FLAGS_ALL),
	[LIST_EXPIRING] = U64(PROTO_TAG_EXPIRING, 0),
};

/* An empty NEXT_CURSOR would read as "no more pages" once decoded, so a
 * present one must hold at least a byte. */
enum { LR_ENTRY, LR_NEXT_CURSOR, LR_MESSAGE };
static const struct proto_spec list_reply_specs[] = {
	[LR_ENTRY] = {.tag = PROTO_TAG_ENTRY, .kind = PROTO_KIND_GROUP, .flags = PROTO_F_REPEAT,
		      .max_count = PROTO_LIST_LIMIT_MAX, .group = &meta_entry_schema},
	[LR_NEXT_CURSOR] = BYTES(PROTO_TAG_NEXT_CURSOR, PROTO_F_NONEMPTY, PROTO_CURSOR_MAX),
	[LR_MESSAGE] = MESSAGE,
};

static const struct proto_spec simple_reply_specs[] = {
	MESSAGE,
};

static const struct proto_schema
	hello_schema = SCHEMA(hello),
	hello_reply_schema = SCHEMA(hello_reply),
	status_reply_schema = SCHEMA(status_reply),
	put_schema = SCHEMA(put),
	put_reply_schema = SCHEMA(put_reply),
	get_schema = SCHEMA(get),
	get_reply_schema = SCHEMA(get_reply),
	named_schema = SCHEMA(named),
	meta_schema = SCHEMA(meta),
	list_schema = SCHEMA(list),
	list_reply_schema = SCHEMA(list_reply),
	simple_reply_schema = SCHEMA(simple_reply),
	empty_schema = {NULL, 0};

_Static_assert(ARRAY_SIZE(meta_specs) <= PROTO_SCHEMA_MAX, "meta schema too large");
_Static_assert(ARRAY_SIZE(entry_specs) == META_COMMON_N + 3,
	       "entry: the common fields, SHARED, VERIFY_STATUS, VERIFY_TIME");

int
proto_decode_hello(struct proto_bytes body, struct proto_hello *ret)
{
	struct proto_slot s[ARRAY_SIZE(hello_specs)];

	if (proto_fields_parse(body, &hello_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_hello){
		.version = proto_slot_u32(&s[HELLO_VERSION]),
		.features = proto_slot_u64(&s[HELLO_FEATURES]),
	};
	return 0;
}

int
proto_decode_hello_reply(struct proto_bytes body, struct proto_hello_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(hello_reply_specs)];

	if (proto_fields_parse(body, &hello_reply_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_hello_reply){
		.version = proto_slot_u32(&s[HR_VERSION]),
		.features = proto_slot_u64(&s[HR_FEATURES]),
		.agent_version = s[HR_AGENT_VERSION].val,
		.mode = proto_slot_u32(&s[HR_MODE]),
		.frame_max = proto_slot_u32(&s[HR_FRAME_MAX]),
		.message = s[HR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_status(struct proto_bytes body)
{
	return proto_fields_parse(body, &empty_schema, NULL) < 0 ? -EBADMSG : 0;
}

int
proto_decode_status_reply(struct proto_bytes body, struct proto_status_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(status_reply_specs)];

	if (proto_fields_parse(body, &status_reply_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_status_reply){
		.agent_version = s[SR_AGENT_VERSION].val,
		.mode = proto_slot_u32(&s[SR_MODE]),
		.locked = proto_slot_u32(&s[SR_LOCKED]),
		.uptime = proto_slot_u64(&s[SR_UPTIME]),
		.secrets = proto_slot_u64(&s[SR_SECRETS]),
		.store_bytes = proto_slot_u64(&s[SR_STORE_BYTES]),
		.message = s[SR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_put(struct proto_bytes body, struct proto_put *ret)
{
	struct proto_slot s[ARRAY_SIZE(put_specs)];

	if (proto_fields_parse(body, &put_schema, s) < 0)
		return -EBADMSG;
	if (proto_slots_quota(&s[PUT_QUOTA], &s[PUT_QUOTA_PERIOD]) < 0)
		return -EBADMSG;
	*ret = (struct proto_put){
		.ref = proto_slots_ref(&s[PUT_OWNER], &s[PUT_NAME]),
		.type = s[PUT_TYPE].val,
		.has_cas = s[PUT_CAS].present,
		.cas = proto_slot_u32(&s[PUT_CAS]),
		.has_max_versions = s[PUT_MAX_VERSIONS].present,
		.max_versions = proto_slot_u32(&s[PUT_MAX_VERSIONS]),
		.has_expires = s[PUT_EXPIRES].present,
		.expires = proto_slot_u64(&s[PUT_EXPIRES]),
		.labels = s[PUT_LABEL].span,
		.value = s[PUT_VALUE].val,
		.quota = proto_slot_u32(&s[PUT_QUOTA]),
		.quota_period = proto_slot_u32(&s[PUT_QUOTA_PERIOD]),
	};
	return 0;
}

int
proto_decode_put_reply(struct proto_bytes body, struct proto_put_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(put_reply_specs)];

	if (proto_fields_parse(body, &put_reply_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_put_reply){
		.version = proto_slot_u32(&s[PR_VERSION]),
		.message = s[PR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_get(struct proto_bytes body, struct proto_get *ret)
{
	struct proto_slot s[ARRAY_SIZE(get_specs)];

	if (proto_fields_parse(body, &get_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_get){
		.ref = proto_slots_ref(&s[GET_OWNER], &s[GET_NAME]),
		.has_version = s[GET_VERSION].present,
		.version = proto_slot_u32(&s[GET_VERSION]),
		.flags = proto_slot_u32(&s[GET_FLAGS]),
	};
	return 0;
}

int
proto_decode_get_reply(struct proto_bytes body, struct proto_get_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(get_reply_specs)];

	if (proto_fields_parse(body, &get_reply_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_get_reply){
		.version = proto_slot_u32(&s[GR_VERSION]),
		.type = s[GR_TYPE].val,
		.value = s[GR_VALUE].val,
		.message = s[GR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_named(struct proto_bytes body, struct proto_named *ret)
{
	struct proto_slot s[ARRAY_SIZE(named_specs)];

	if (proto_fields_parse(body, &named_schema, s) < 0)
		return -EBADMSG;
	ret->ref = proto_slots_ref(&s[NAMED_OWNER], &s[NAMED_NAME]);
	return 0;
}

/* Slots of the meta schema, or of the entry schema (FULL false), to the
 * struct. */
static void
meta_from(const struct proto_slot *s, bool full, struct proto_meta *ret)
{
	*ret = (struct proto_meta){
		.owner = proto_slot_u32(&s[META_OWNER]),
		.name = s[META_NAME].val,
		.version = proto_slot_u32(&s[META_VERSION]),
		.type = s[META_TYPE].val,
		.state = proto_slot_u32(&s[META_STATE]),
		.max_versions = proto_slot_u32(&s[META_MAX_VERSIONS]),
		.has_expires = s[META_EXPIRES].present,
		.expires = proto_slot_u64(&s[META_EXPIRES]),
		.created = proto_slot_u64(&s[META_CREATED]),
		.updated = proto_slot_u64(&s[META_UPDATED]),
		.has_deleted = s[META_DELETED].present,
		.deleted = proto_slot_u64(&s[META_DELETED]),
		.labels = s[META_LABEL].span,
	};
	if (full) {
		ret->versions = s[META_VERSIONS].span;
		ret->grants = s[META_GRANT].span;
		ret->shared = proto_slot_u32(&s[META_SHARED]);
		ret->message = s[META_MESSAGE].val;
		ret->quota = proto_slot_u32(&s[META_QUOTA]);
		ret->quota_period = proto_slot_u32(&s[META_QUOTA_PERIOD]);
		ret->has_usage = s[META_READS].present;
		ret->reads = proto_slot_u64(&s[META_READS]);
		ret->period_reads = proto_slot_u64(&s[META_PERIOD_READS]);
		ret->has_last_read = s[META_LAST_READ].present;
		ret->last_read = proto_slot_u64(&s[META_LAST_READ]);
		ret->reader_uid = proto_slot_u32(&s[META_READER_UID]);
		ret->reader_pid = proto_slot_u32(&s[META_READER_PID]);
		ret->reader_comm = s[META_READER_COMM].val;
		ret->fields = s[META_FIELD].span;
		ret->verify_status = proto_slot_u32(&s[META_VERIFY_STATUS]);
		ret->verify_time = proto_slot_u64(&s[META_VERIFY_TIME]);
		ret->verify_message = s[META_VERIFY_MESSAGE].val;
	} else {
		ret->shared = proto_slot_u32(&s[ENTRY_SHARED]);
		ret->verify_status = proto_slot_u32(&s[ENTRY_VERIFY_STATUS]);
		ret->verify_time = proto_slot_u64(&s[ENTRY_VERIFY_TIME]);
	}
}

/* VERIFY_STATUS and VERIFY_TIME both or neither, the status not 0 (the
 * schema caps it; 0 is "never verified", said by leaving both out), and
 * MESSAGE (INFO only; NULL for an entry) only with them. */
static int
check_verify(const struct proto_slot *status, const struct proto_slot *time,
	     const struct proto_slot *message)
{
	if (status->present != time->present)
		return -EBADMSG;
	if (status->present && proto_slot_u32(status) == 0)
		return -EBADMSG;
	if (message != NULL && message->present && !status->present)
		return -EBADMSG;
	return 0;
}

/* The INFO-only fields' rules: QUOTA with QUOTA_PERIOD, READS with
 * PERIOD_READS, a LAST_READ with its reader's uid and pid (and perhaps
 * its command name), a reader never without one; the verify fields; and
 * FIELD groups with valid keys in ascending order. */
static int
check_info_tail(const struct proto_slot *s)
{
	bool last = s[META_LAST_READ].present;

	if (proto_slots_quota(&s[META_QUOTA], &s[META_QUOTA_PERIOD]) < 0)
		return -EBADMSG;
	if (s[META_READS].present != s[META_PERIOD_READS].present)
		return -EBADMSG;
	if (s[META_READER_UID].present != last || s[META_READER_PID].present != last ||
	    (s[META_READER_COMM].present && !last))
		return -EBADMSG;
	if (check_verify(&s[META_VERIFY_STATUS], &s[META_VERIFY_TIME], &s[META_VERIFY_MESSAGE]) < 0)
		return -EBADMSG;
	/* The schema has checked each FIELD group; keys and their order here. */
	return proto_typed_span_check(s[META_FIELD].span.raw) < 0 ? -EBADMSG : 0;
}

int
proto_decode_info_reply(struct proto_bytes body, struct proto_meta *ret)
{
	struct proto_slot s[ARRAY_SIZE(meta_specs)];
	struct proto_grant g;
	struct proto_iter it;
	struct proto_bytes group;

	if (proto_fields_parse(body, &meta_schema, s) < 0 || check_info_tail(s) < 0)
		return -EBADMSG;
	/* The schema has checked each GRANT's fields; its rules are here. */
	proto_iter_init(&it, &s[META_GRANT].span);
	while (proto_iter_next(&it, &group) == 1)
		if (proto_decode_grant(group, &g) < 0)
			return -EBADMSG;
	meta_from(s, true, ret);
	return 0;
}

int
proto_decode_meta_entry(struct proto_bytes group, struct proto_meta *ret)
{
	struct proto_slot s[ARRAY_SIZE(entry_specs)];

	if (proto_fields_parse(group, &meta_entry_schema, s) < 0 ||
	    check_verify(&s[ENTRY_VERIFY_STATUS], &s[ENTRY_VERIFY_TIME], NULL) < 0)
		return -EBADMSG;
	meta_from(s, false, ret);
	return 0;
}

int
proto_decode_version_info(struct proto_bytes group, struct proto_version_info *ret)
{
	struct proto_slot s[ARRAY_SIZE(version_info_specs)];

	if (proto_fields_parse(group, &version_info_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_version_info){
		.version = proto_slot_u32(&s[VI_VERSION]),
		.created = proto_slot_u64(&s[VI_CREATED]),
		.created_by = proto_slot_u32(&s[VI_CREATED_BY]),
	};
	return 0;
}

int
proto_decode_grant(struct proto_bytes group, struct proto_grant *ret)
{
	struct proto_slot s[ARRAY_SIZE(grant_specs)];

	if (proto_fields_parse(group, &grant_schema, s) < 0)
		return -EBADMSG;
	/* A grant is to one uid or one gid, and grants something: the schema
	 * caps PERM, 0 is no permission. */
	if (s[GRANT_UID].present == s[GRANT_GID].present)
		return -EBADMSG;
	if (proto_slot_u32(&s[GRANT_PERM]) == 0)
		return -EBADMSG;
	*ret = (struct proto_grant){
		.name = s[GRANT_NAME].val,
		.created = proto_slot_u64(&s[GRANT_CREATED]),
		.created_by = proto_slot_u32(&s[GRANT_CREATED_BY]),
		.flags = proto_slot_u32(&s[GRANT_FLAGS]),
		.is_gid = s[GRANT_GID].present,
		.grantee = proto_slot_u32(s[GRANT_GID].present ? &s[GRANT_GID] : &s[GRANT_UID]),
		.perm = proto_slot_u32(&s[GRANT_PERM]),
	};
	return 0;
}

int
proto_decode_list(struct proto_bytes body, struct proto_list *ret)
{
	struct proto_slot s[ARRAY_SIZE(list_specs)];

	if (proto_fields_parse(body, &list_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_list){
		.has_owner = s[LIST_OWNER].present,
		.owner = proto_slot_u32(&s[LIST_OWNER]),
		.labels = s[LIST_LABEL].span,
		.prefix = s[LIST_PREFIX].val,
		.cursor = s[LIST_CURSOR].val,
		.limit = proto_slot_u32(&s[LIST_LIMIT]),
		.flags = proto_slot_u32(&s[LIST_FLAGS]),
		.has_expiring = s[LIST_EXPIRING].present,
		.expiring = proto_slot_u64(&s[LIST_EXPIRING]),
	};
	return 0;
}

int
proto_decode_list_reply(struct proto_bytes body, struct proto_list_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(list_reply_specs)];
	struct proto_meta m;
	struct proto_iter it;
	struct proto_bytes g;

	if (proto_fields_parse(body, &list_reply_schema, s) < 0)
		return -EBADMSG;
	/* The schema checks each entry's fields; the rules across fields
	 * (VERIFY_STATUS and VERIFY_TIME together) are the entry decoder's. */
	proto_iter_init(&it, &s[LR_ENTRY].span);
	while (proto_iter_next(&it, &g) == 1)
		if (proto_decode_meta_entry(g, &m) < 0)
			return -EBADMSG;
	*ret = (struct proto_list_reply){
		.entries = s[LR_ENTRY].span,
		.cursor = s[LR_NEXT_CURSOR].val,
		.message = s[LR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_simple_reply(struct proto_bytes body, struct proto_simple_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(simple_reply_specs)];

	if (proto_fields_parse(body, &simple_reply_schema, s) < 0)
		return -EBADMSG;
	ret->message = s[0].val;
	return 0;
}
