/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "proto/fields.h"
#include "proto/proto.h"
#include "proto/schema.h"

/*
 * Decoders of export and import: EXPORT and its reply, IMPORT with its
 * inline ENTRY groups, the IMPORT reply, and the plaintext of an export
 * bundle's chunks (a secret with its VERSIONS groups, and the trailer).
 * As in decode-lifecycle.c, the rules that tie fields together are
 * checked after parsing and make a body malformed.
 *
 * Unlike the requests, whose names and labels are the agent's to judge,
 * a bundle secret is judged here in full (NAME, TYPE, LABELs, STATE,
 * quota, every version): a bundle is a file that may have been made
 * anywhere, and whoever reads one should be able to trust what decodes.
 * The names an IMPORT reply lists are checked too, as a client prints
 * them.
 */

#define PASSPHRASE_F(fl) BYTES(PROTO_TAG_PASSPHRASE, (fl) | PROTO_F_NONEMPTY, PROTO_PASSPHRASE_MAX)
#define PREFIX_F STR(PROTO_TAG_PREFIX, 0, PROTO_NAME_MAX + 1)
#define VALUE_F BYTES(PROTO_TAG_VALUE, REQ, UINT32_MAX)

enum { EXP_PREFIX, EXP_FLAGS, EXP_PASSPHRASE };
static const struct proto_spec export_specs[] = {
	[EXP_PREFIX] = PREFIX_F,
	[EXP_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_EXPORT_FLAGS_ALL),
	[EXP_PASSPHRASE] = PASSPHRASE_F(REQ),
};

enum { EXR_SECRETS, EXR_MESSAGE };
static const struct proto_spec export_reply_specs[] = {
	[EXR_SECRETS] = U64(PROTO_TAG_SECRETS, REQ),
	[EXR_MESSAGE] = MESSAGE,
};

enum { IE_NAME, IE_TYPE, IE_EXPIRES, IE_LABEL, IE_VALUE };
static const struct proto_spec import_entry_specs[] = {
	[IE_NAME] = NAME,
	[IE_TYPE] = STR(PROTO_TAG_TYPE, 0, PROTO_TYPE_MAX),
	[IE_EXPIRES] = U64(PROTO_TAG_EXPIRES, 0),
	[IE_LABEL] = LABELS,
	[IE_VALUE] = VALUE_F,
};
static const struct proto_schema import_entry_schema = SCHEMA(import_entry);

enum { IMP_FLAGS, IMP_ENTRY, IMP_PASSPHRASE };
static const struct proto_spec import_specs[] = {
	[IMP_FLAGS] = BITS(PROTO_TAG_FLAGS, 0, PROTO_IMPORT_FLAGS_ALL),
	[IMP_ENTRY] = {.tag = PROTO_TAG_ENTRY, .kind = PROTO_KIND_GROUP, .flags = PROTO_F_REPEAT,
		       .max_count = PROTO_IMPORT_ENTRIES_MAX, .group = &import_entry_schema},
	[IMP_PASSPHRASE] = PASSPHRASE_F(0),
};

enum { IR_MESSAGE, IR_ADDED, IR_SKIPPED, IR_CONFLICTED, IR_CONFLICT };
static const struct proto_spec import_reply_specs[] = {
	[IR_MESSAGE] = MESSAGE,
	[IR_ADDED] = U32(PROTO_TAG_ADDED, REQ),
	[IR_SKIPPED] = U32(PROTO_TAG_SKIPPED, REQ),
	[IR_CONFLICTED] = U32(PROTO_TAG_CONFLICTED, REQ),
	[IR_CONFLICT] = {.tag = PROTO_TAG_CONFLICT, .kind = PROTO_KIND_STRING,
			 .flags = PROTO_F_REPEAT | PROTO_F_NONEMPTY, .max = PROTO_NAME_MAX,
			 .max_count = PROTO_CONFLICTS_MAX},
};

enum { BV_VERSION, BV_CREATED, BV_CREATED_BY, BV_VALUE };
static const struct proto_spec bundle_version_specs[] = {
	[BV_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[BV_CREATED] = U64(PROTO_TAG_CREATED, REQ),
	[BV_CREATED_BY] = U32(PROTO_TAG_CREATED_BY, REQ),
	[BV_VALUE] = VALUE_F,
};
static const struct proto_schema bundle_version_schema = SCHEMA(bundle_version);

enum {
	BS_NAME,
	BS_VERSION,
	BS_TYPE,
	BS_STATE,
	BS_MAX_VERSIONS,
	BS_EXPIRES,
	BS_CREATED,
	BS_UPDATED,
	BS_LABEL,
	BS_VERSIONS,
	BS_QUOTA,
	BS_QUOTA_PERIOD,
};
static const struct proto_spec bundle_secret_specs[] = {
	[BS_NAME] = NAME,
	[BS_VERSION] = U32(PROTO_TAG_VERSION, REQ),
	[BS_TYPE] = STR(PROTO_TAG_TYPE, REQ | PROTO_F_NONEMPTY, PROTO_TYPE_MAX),
	[BS_STATE] = ENUM(PROTO_TAG_STATE, REQ, PROTO_STATE_MAX),
	[BS_MAX_VERSIONS] = U32(PROTO_TAG_MAX_VERSIONS, REQ),
	[BS_EXPIRES] = U64(PROTO_TAG_EXPIRES, 0),
	[BS_CREATED] = U64(PROTO_TAG_CREATED, REQ),
	[BS_UPDATED] = U64(PROTO_TAG_UPDATED, REQ),
	[BS_LABEL] = LABELS,
	[BS_VERSIONS] = {.tag = PROTO_TAG_VERSIONS, .kind = PROTO_KIND_GROUP,
			 .flags = PROTO_F_REPEAT, .max_count = PROTO_VERSIONS_MAX,
			 .group = &bundle_version_schema},
	[BS_QUOTA] = QUOTA_F,
	[BS_QUOTA_PERIOD] = QUOTA_PERIOD_F,
};

static const struct proto_spec bundle_trailer_specs[] = {
	U64(PROTO_TAG_SECRETS, REQ),
};

static const struct proto_schema
	export_schema = SCHEMA(export),
	export_reply_schema = SCHEMA(export_reply),
	import_schema = SCHEMA(import),
	import_reply_schema = SCHEMA(import_reply),
	bundle_secret_schema = SCHEMA(bundle_secret),
	bundle_trailer_schema = SCHEMA(bundle_trailer);

int
proto_decode_export(struct proto_bytes body, struct proto_export *ret)
{
	struct proto_slot s[ARRAY_SIZE(export_specs)];

	if (proto_fields_parse(body, &export_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_export){
		.passphrase = s[EXP_PASSPHRASE].val,
		.prefix = s[EXP_PREFIX].val,
		.flags = proto_slot_u32(&s[EXP_FLAGS]),
	};
	return 0;
}

int
proto_decode_export_reply(struct proto_bytes body, struct proto_export_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(export_reply_specs)];

	if (proto_fields_parse(body, &export_reply_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_export_reply){
		.secrets = proto_slot_u64(&s[EXR_SECRETS]),
		.message = s[EXR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_import(struct proto_bytes body, struct proto_import *ret)
{
	struct proto_slot s[ARRAY_SIZE(import_specs)];

	if (proto_fields_parse(body, &import_schema, s) < 0)
		return -EBADMSG;
	/* A passphrase opens a bundle, and entries come instead of one:
	 * both at once cannot mean anything. */
	if (s[IMP_PASSPHRASE].present && s[IMP_ENTRY].present)
		return -EBADMSG;
	*ret = (struct proto_import){
		.has_passphrase = s[IMP_PASSPHRASE].present,
		.passphrase = s[IMP_PASSPHRASE].val,
		.flags = proto_slot_u32(&s[IMP_FLAGS]),
		.entries = s[IMP_ENTRY].span,
	};
	return 0;
}

int
proto_decode_import_entry(struct proto_bytes group, struct proto_import_entry *ret)
{
	struct proto_slot s[ARRAY_SIZE(import_entry_specs)];

	if (proto_fields_parse(group, &import_entry_schema, s) < 0)
		return -EBADMSG;
	*ret = (struct proto_import_entry){
		.name = s[IE_NAME].val,
		.type = s[IE_TYPE].val,
		.has_expires = s[IE_EXPIRES].present,
		.expires = proto_slot_u64(&s[IE_EXPIRES]),
		.labels = s[IE_LABEL].span,
		.value = s[IE_VALUE].val,
	};
	return 0;
}

int
proto_decode_import_reply(struct proto_bytes body, struct proto_import_reply *ret)
{
	struct proto_slot s[ARRAY_SIZE(import_reply_specs)];
	struct proto_iter it;
	struct proto_bytes b;

	if (proto_fields_parse(body, &import_reply_schema, s) < 0)
		return -EBADMSG;
	/* The names listed are some of the conflicts counted, each a name. */
	if (s[IR_CONFLICT].span.count > proto_slot_u32(&s[IR_CONFLICTED]))
		return -EBADMSG;
	proto_iter_init(&it, &s[IR_CONFLICT].span);
	while (proto_iter_next(&it, &b) == 1)
		if (!proto_name_valid(b.ptr, b.len))
			return -EBADMSG;
	*ret = (struct proto_import_reply){
		.added = proto_slot_u32(&s[IR_ADDED]),
		.skipped = proto_slot_u32(&s[IR_SKIPPED]),
		.conflicted = proto_slot_u32(&s[IR_CONFLICTED]),
		.conflicts = s[IR_CONFLICT].span,
		.message = s[IR_MESSAGE].val,
	};
	return 0;
}

int
proto_decode_bundle_version(struct proto_bytes group, struct proto_bundle_version *ret)
{
	struct proto_slot s[ARRAY_SIZE(bundle_version_specs)];

	if (proto_fields_parse(group, &bundle_version_schema, s) < 0)
		return -EBADMSG;
	/* Versions count from 1. */
	if (proto_slot_u32(&s[BV_VERSION]) == 0)
		return -EBADMSG;
	*ret = (struct proto_bundle_version){
		.version = proto_slot_u32(&s[BV_VERSION]),
		.created = proto_slot_u64(&s[BV_CREATED]),
		.created_by = proto_slot_u32(&s[BV_CREATED_BY]),
		.value = s[BV_VALUE].val,
	};
	return 0;
}

/* Every VERSIONS group decodes, their numbers ascend (so none repeats),
 * and the current version is one of them. */
static int
check_bundle_versions(const struct proto_list_span *span, uint32_t current)
{
	struct proto_bundle_version v;
	struct proto_iter it;
	struct proto_bytes g;
	uint32_t last = 0;
	bool has_current = false;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		if (proto_decode_bundle_version(g, &v) < 0 || v.version <= last)
			return -EBADMSG;
		has_current |= v.version == current;
		last = v.version;
	}
	return has_current ? 0 : -EBADMSG;
}

static int
check_labels(const struct proto_list_span *span)
{
	struct proto_iter it;
	struct proto_bytes b;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1)
		if (!proto_label_valid(b.ptr, b.len))
			return -EBADMSG;
	return 0;
}

int
proto_decode_bundle_secret(struct proto_bytes chunk, struct proto_bundle_secret *ret)
{
	struct proto_slot s[ARRAY_SIZE(bundle_secret_specs)];

	if (proto_fields_parse(chunk, &bundle_secret_schema, s) < 0)
		return -EBADMSG;
	if (!proto_name_valid(s[BS_NAME].val.ptr, s[BS_NAME].val.len) ||
	    !proto_type_valid(s[BS_TYPE].val.ptr, s[BS_TYPE].val.len) ||
	    check_labels(&s[BS_LABEL].span) < 0 ||
	    proto_slots_quota(&s[BS_QUOTA], &s[BS_QUOTA_PERIOD]) < 0 ||
	    check_bundle_versions(&s[BS_VERSIONS].span, proto_slot_u32(&s[BS_VERSION])) < 0)
		return -EBADMSG;
	*ret = (struct proto_bundle_secret){
		.name = s[BS_NAME].val,
		.version = proto_slot_u32(&s[BS_VERSION]),
		.type = s[BS_TYPE].val,
		.state = proto_slot_u32(&s[BS_STATE]),
		.max_versions = proto_slot_u32(&s[BS_MAX_VERSIONS]),
		.has_expires = s[BS_EXPIRES].present,
		.expires = proto_slot_u64(&s[BS_EXPIRES]),
		.created = proto_slot_u64(&s[BS_CREATED]),
		.updated = proto_slot_u64(&s[BS_UPDATED]),
		.labels = s[BS_LABEL].span,
		.versions = s[BS_VERSIONS].span,
		.quota = proto_slot_u32(&s[BS_QUOTA]),
		.quota_period = proto_slot_u32(&s[BS_QUOTA_PERIOD]),
	};
	return 0;
}

int
proto_decode_bundle_trailer(struct proto_bytes chunk, uint64_t *ret_secrets)
{
	struct proto_slot s[ARRAY_SIZE(bundle_trailer_specs)];

	if (proto_fields_parse(chunk, &bundle_trailer_schema, s) < 0)
		return -EBADMSG;
	*ret_secrets = proto_slot_u64(&s[0]);
	return 0;
}
