/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for proto/: frames parsed as requests and as replies
 * (pipelined, one after another), every decoder run over the bytes as a
 * body, every iterator walked, the rules that tie fields together checked
 * on what decodes, and each decoded message re-encoded and decoded again,
 * the two encodings byte-identical. EVENT frames (type 0xc0, parsed as
 * replies) have their own decoder. List entries and GRANT groups are
 * written back one by one and must come out as they went in, but for an
 * explicit 0 that encoders leave out (SHARED, a grant's FLAGS); KEYSLOT
 * groups exactly. The key requests are decoded with each type's schema,
 * and its rules (passphrase lengths, SLOT and SLOT_KIND ranges,
 * KEYSLOT_ADD's passphrase with kind PASSPHRASE only) checked.
 * Export, import, audit, usage and quota messages likewise, with their
 * groups (ENTRY, RECORD, SUMMARY, USAGE) decoded and written back one by
 * one, and the rules that tie their fields together checked; an IMPORT
 * reply is decoded with status CONFLICT too. The bytes are also decoded
 * as bundle chunk plaintext (a secret, the trailer), re-encoded and
 * decoded again. VERIFY is decoded and re-encoded like the others, and
 * the INFO reply's FIELD groups and the verify fields of INFO replies
 * and list entries are checked against their rules.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                   \
	do {                       \
		if (!(x))          \
			abort();   \
	} while (0)

#define OUT_MAX ((size_t)1 << 20)
static uint8_t out1[OUT_MAX + 64], out2[OUT_MAX + 64], ents[OUT_MAX + 64];
static uint8_t grant_out[2 * PROTO_NAME_MAX];

/* Decode BODY and, if it decodes, encode it as a whole frame into W. */
typedef int (*reenc_fn)(struct proto_bytes body, struct buf_writer *w);

static void
walk_labels(const struct proto_list_span *span)
{
	struct proto_iter it;
	struct proto_bytes b;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1) {
		CHECK(b.len <= PROTO_LABEL_MAX);
		CHECK(b.len == 0 || memchr(b.ptr, 0, b.len) == NULL);
		n++;
	}
	CHECK(n == span->count && n <= PROTO_LABELS_MAX);
}

static void
walk_keys(const struct proto_list_span *span)
{
	struct proto_iter it;
	struct proto_bytes b;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &b) == 1) {
		CHECK(b.len <= PROTO_LABEL_KEY_MAX);
		CHECK(b.len == 0 || memchr(b.ptr, 0, b.len) == NULL);
		n++;
	}
	CHECK(n == span->count && n <= PROTO_LABELS_MAX);
}

static void
walk_versions(const struct proto_list_span *span)
{
	struct proto_version_info vi;
	struct proto_iter it;
	struct proto_bytes g;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_version_info(g, &vi) == 0);
		n++;
	}
	CHECK(n == span->count && n <= PROTO_VERSIONS_MAX);
}

/* OLD (a group's content) written back as NEW (a whole group of TAG):
 * the same bytes, or the same but for the u32 field at offset ZERO_AT
 * when OLD had it explicitly 0 (ZERO_AT == SIZE_MAX: no such field). */
static void
same_group(struct proto_bytes old, const uint8_t *new, size_t new_len, uint8_t tag,
	   uint8_t zero_tag, size_t zero_at)
{
	static const size_t u32_field = PROTO_FIELD_HDR + 4;
	const uint8_t *f;

	CHECK(new_len >= PROTO_FIELD_HDR && new[0] == tag && new[1] == PROTO_KIND_GROUP);
	CHECK(buf_load_u32(new + 2) == new_len - PROTO_FIELD_HDR);
	new += PROTO_FIELD_HDR;
	new_len -= PROTO_FIELD_HDR;
	if (old.len == new_len) {
		CHECK(new_len == 0 || memcmp(old.ptr, new, new_len) == 0);
		return;
	}
	CHECK(zero_at != SIZE_MAX && old.len == new_len + u32_field && zero_at <= new_len);
	f = old.ptr + zero_at;
	CHECK(f[0] == zero_tag && f[1] == PROTO_KIND_U32 && buf_load_u32(f + 2) == 4);
	CHECK(buf_load_u32(f + PROTO_FIELD_HDR) == 0);
	CHECK(memcmp(old.ptr, new, zero_at) == 0);
	CHECK(memcmp(f + u32_field, new + zero_at, new_len - zero_at) == 0);
}

/* Every GRANT decodes to one grantee and a permission, and writing it back
 * gives the same group. */
static void
walk_grants(const struct proto_list_span *span)
{
	struct proto_grant gr;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w;
	uint32_t n = 0;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_grant(g, &gr) == 0);
		CHECK(gr.name.len >= 1 && gr.name.len <= PROTO_NAME_MAX);
		CHECK(gr.perm >= 1 && gr.perm <= PROTO_PERM_MAX && proto_perm_name(gr.perm) != NULL);
		CHECK((gr.flags & ~PROTO_SHARE_FLAGS_ALL) == 0);
		buf_writer_init(&w, grant_out, sizeof(grant_out));
		proto_put_grant(&w, &gr);
		CHECK(buf_writer_error(&w) == 0);
		/* FLAGS follows NAME, CREATED (u64) and CREATED_BY (u32) */
		same_group(g, grant_out, w.len, PROTO_TAG_GRANT, PROTO_TAG_FLAGS,
			   gr.flags == 0 ? 3 * PROTO_FIELD_HDR + gr.name.len + 8 + 4 : SIZE_MAX);
		n++;
	}
	CHECK(n == span->count && n <= PROTO_GRANTS_MAX);
}

/* A decoded verify result: none (all zero), or a status with a time; a
 * message only with a status, within its cap. */
static void
check_verify(uint32_t status, uint64_t time, struct proto_bytes message)
{
	CHECK(status <= PROTO_VERIFY_MAX);
	CHECK(status != 0 || (time == 0 && message.len == 0));
	CHECK(status == 0 || proto_verify_name(status) != NULL);
	CHECK(message.len <= PROTO_VERIFY_MESSAGE_MAX);
	CHECK(message.len == 0 || memchr(message.ptr, 0, message.len) == NULL);
}

/* An INFO reply's FIELD groups: each decodes, keys strictly ascending. */
static void
walk_fields(const struct proto_list_span *span)
{
	struct proto_bytes g, k, v, prev = {NULL, 0};
	struct proto_iter it;
	uint32_t n = 0;
	size_t i;
	bool has;

	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_typed_field(g, &k, &v, &has) == 0);
		CHECK(k.len >= 1 && k.len <= PROTO_FIELD_KEY_MAX);
		CHECK(has || v.len == 0);
		for (i = 0; i < k.len; i++)
			CHECK((k.ptr[i] >= 'a' && k.ptr[i] <= 'z') ||
			      (k.ptr[i] >= '0' && k.ptr[i] <= '9') || k.ptr[i] == '_');
		if (n > 0) {
			i = prev.len < k.len ? prev.len : k.len;
			CHECK(memcmp(prev.ptr, k.ptr, i) < 0 ||
			      (memcmp(prev.ptr, k.ptr, i) == 0 && prev.len < k.len));
		}
		prev = k;
		n++;
	}
	CHECK(n == span->count && n <= PROTO_TYPED_FIELDS_MAX);
}

/* Every entry decodes, and writing it back gives the same group bytes. */
static void
walk_entries(const struct proto_list_span *span)
{
	struct proto_meta m;
	struct proto_iter it;
	struct proto_bytes g;
	struct buf_writer w;
	uint32_t n = 0;
	size_t start, verify_len;

	buf_writer_init(&w, ents, sizeof(ents));
	proto_iter_init(&it, span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_meta_entry(g, &m) == 0);
		CHECK(m.versions.count == 0 && m.grants.count == 0 && m.message.len == 0);
		CHECK(m.fields.count == 0 && m.verify_message.len == 0);
		CHECK(m.name.len >= 1 && m.name.len <= PROTO_NAME_MAX);
		CHECK(m.state <= PROTO_STATE_MAX && m.shared <= 1);
		check_verify(m.verify_status, m.verify_time, m.verify_message);
		walk_labels(&m.labels);
		start = w.len;
		proto_put_meta_entry(&w, &m);
		CHECK(buf_writer_error(&w) == 0);
		/* SHARED is an entry's last field but for VERIFY_STATUS and
		 * VERIFY_TIME */
		verify_len = m.verify_status != 0 ? 2 * PROTO_FIELD_HDR + 4 + 8 : 0;
		same_group(g, ents + start, w.len - start, PROTO_TAG_ENTRY, PROTO_TAG_SHARED,
			   m.shared == 0 && g.len >= PROTO_FIELD_HDR + 4 + verify_len
				   ? g.len - (PROTO_FIELD_HDR + 4) - verify_len
				   : SIZE_MAX);
		n++;
	}
	CHECK(n == span->count && n <= PROTO_LIST_LIMIT_MAX);
	CHECK(w.len <= span->raw.len);
}

/* A decoded quota: none, or a quota of at least one read per period. */
static void
check_quota(uint32_t quota, uint32_t period)
{
	CHECK((quota == 0) == (period == 0));
	CHECK(period <= PROTO_PERIOD_MAX);
	CHECK(period == 0 || proto_period_name(period) != NULL);
}

static int
re_hello(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_hello m;

	if (proto_decode_hello(b, &m) < 0)
		return -1;
	CHECK(proto_encode_hello(w, 1, &m) == 0);
	return 0;
}

static int
re_hello_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_hello_reply m;

	if (proto_decode_hello_reply(b, &m) < 0)
		return -1;
	CHECK(m.mode <= PROTO_MODE_SYSTEM && m.agent_version.len <= PROTO_AGENT_VERSION_MAX);
	CHECK(proto_encode_hello_reply(w, 1, &m) == 0);
	return 0;
}

static int
re_status(struct proto_bytes b, struct buf_writer *w)
{
	if (proto_decode_status(b) < 0)
		return -1;
	CHECK(b.len == 0);
	CHECK(proto_encode_status(w, 2) == 0);
	return 0;
}

static int
re_status_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_status_reply m;

	if (proto_decode_status_reply(b, &m) < 0)
		return -1;
	CHECK(m.mode <= 1 && m.locked <= 1);
	CHECK(proto_encode_status_reply(w, 2, &m) == 0);
	return 0;
}

static int
re_put(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_put m;

	if (proto_decode_put(b, &m) < 0)
		return -1;
	CHECK(m.ref.name.len >= 1 && m.ref.name.len <= PROTO_NAME_MAX);
	CHECK(m.type.len <= PROTO_TYPE_MAX);
	check_quota(m.quota, m.quota_period);
	walk_labels(&m.labels);
	CHECK(proto_encode_put(w, 3, &m) == 0);
	return 0;
}

static int
re_put_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_put_reply m;

	if (proto_decode_put_reply(b, &m) < 0)
		return -1;
	CHECK(proto_encode_put_reply(w, 3, &m) == 0);
	return 0;
}

static int
re_get(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_get m;

	if (proto_decode_get(b, &m) < 0)
		return -1;
	CHECK((m.flags & ~PROTO_GET_FLAGS_ALL) == 0);
	CHECK(proto_encode_get(w, 4, &m) == 0);
	return 0;
}

static int
re_get_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_get_reply m;

	if (proto_decode_get_reply(b, &m) < 0)
		return -1;
	CHECK(proto_encode_get_reply(w, 4, &m) == 0);
	return 0;
}

/* INFO, DELETE, UNDELETE, DISABLE, ENABLE and WATCH share one body. */
static int
re_named(struct proto_bytes b, struct buf_writer *w, uint8_t type)
{
	struct proto_named m;

	if (proto_decode_named(b, &m) < 0)
		return -1;
	CHECK(m.ref.name.len >= 1 && m.ref.name.len <= PROTO_NAME_MAX);
	CHECK(proto_encode_named(w, type, type, &m) == 0);
	return 0;
}

static int
re_info(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_INFO);
}

static int
re_delete(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_DELETE);
}

static int
re_undelete(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_UNDELETE);
}

static int
re_disable(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_DISABLE);
}

static int
re_enable(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_ENABLE);
}

static int
re_watch(struct proto_bytes b, struct buf_writer *w)
{
	return re_named(b, w, PROTO_MSG_WATCH);
}

static int
re_info_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_meta m;

	if (proto_decode_info_reply(b, &m) < 0)
		return -1;
	CHECK(m.shared <= 1);
	check_quota(m.quota, m.quota_period);
	CHECK(m.has_usage || (m.reads == 0 && m.period_reads == 0));
	CHECK(m.has_last_read || (m.last_read == 0 && m.reader_uid == 0 && m.reader_pid == 0 &&
				  m.reader_comm.len == 0));
	CHECK(m.reader_comm.len <= PROTO_COMM_MAX);
	check_verify(m.verify_status, m.verify_time, m.verify_message);
	walk_labels(&m.labels);
	walk_versions(&m.versions);
	walk_grants(&m.grants);
	walk_fields(&m.fields);
	CHECK(proto_encode_info_reply(w, 5, &m) == 0);
	return 0;
}

static int
re_list(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_list m;

	if (proto_decode_list(b, &m) < 0)
		return -1;
	CHECK(m.limit <= PROTO_LIST_LIMIT_MAX && (m.flags & ~PROTO_LIST_FLAGS_ALL) == 0);
	walk_labels(&m.labels);
	CHECK(proto_encode_list(w, 6, &m) == 0);
	return 0;
}

static int
re_list_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_list_reply m;

	if (proto_decode_list_reply(b, &m) < 0)
		return -1;
	walk_entries(&m.entries);
	CHECK(proto_encode_list_reply(w, 6, &m) == 0);
	return 0;
}

static int
re_simple(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_simple_reply m;

	if (proto_decode_simple_reply(b, &m) < 0)
		return -1;
	CHECK(m.message.len <= PROTO_MESSAGE_MAX);
	CHECK(proto_encode_simple_reply(w, PROTO_MSG_DELETE, 7, PROTO_NOT_FOUND,
					(const char *)m.message.ptr, m.message.len) == 0);
	return 0;
}

/* The rules that tie ROTATE's fields together hold after decoding. */
static int
re_rotate(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_rotate m;

	if (proto_decode_rotate(b, &m) < 0)
		return -1;
	CHECK(m.ref.name.len >= 1 && m.ref.name.len <= PROTO_NAME_MAX);
	CHECK(m.has_value == (m.gen_length == 0));
	CHECK(m.gen_length <= PROTO_GEN_LENGTH_MAX && m.charset <= PROTO_CHARSET_MAX);
	CHECK(m.charset == 0 || m.gen_length != 0);
	CHECK(m.has_value || m.value.len == 0);
	CHECK((m.flags & ~PROTO_ROTATE_FLAGS_ALL) == 0);
	CHECK(proto_charset_name(m.charset) != NULL);
	CHECK(proto_encode_rotate(w, 8, &m) == 0);
	return 0;
}

static int
re_rotate_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_rotate_reply m;

	if (proto_decode_rotate_reply(b, &m) < 0)
		return -1;
	CHECK(!m.has_value || (m.value.len >= 1 && m.value.len <= PROTO_GEN_LENGTH_MAX));
	CHECK(proto_encode_rotate_reply(w, 8, &m) == 0);
	return 0;
}

static int
re_versioned(struct proto_bytes b, struct buf_writer *w, uint8_t type)
{
	struct proto_versioned m;

	if (proto_decode_versioned(b, type, &m) < 0)
		return -1;
	CHECK(m.has_version || type == PROTO_MSG_PURGE);
	CHECK(m.has_version || m.version == 0);
	CHECK(proto_encode_versioned(w, type, type, &m) == 0);
	return 0;
}

static int
re_rollback(struct proto_bytes b, struct buf_writer *w)
{
	return re_versioned(b, w, PROTO_MSG_ROLLBACK);
}

static int
re_purge(struct proto_bytes b, struct buf_writer *w)
{
	return re_versioned(b, w, PROTO_MSG_PURGE);
}

static int
re_label(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_label m;

	if (proto_decode_label(b, &m) < 0)
		return -1;
	CHECK(m.set.count + m.remove.count >= 1);
	walk_labels(&m.set);
	walk_keys(&m.remove);
	CHECK(proto_encode_label(w, 14, &m) == 0);
	return 0;
}

static int
re_event(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_event_msg m;

	if (proto_decode_event(b, &m) < 0)
		return -1;
	CHECK(m.event >= 1 && m.event <= PROTO_EVENT_MAX && m.state <= PROTO_STATE_MAX);
	CHECK(strcmp(proto_event_name(m.event), "unknown") != 0);
	CHECK(proto_encode_event(w, 18, &m) == 0);
	return 0;
}

/* One grantee, a permission in SHARE and none in UNSHARE. */
static int
re_share_type(struct proto_bytes b, struct buf_writer *w, uint8_t type)
{
	struct proto_share m;

	if (proto_decode_share(b, type, &m) < 0)
		return -1;
	CHECK(m.ref.name.len >= 1 && m.ref.name.len <= PROTO_NAME_MAX);
	CHECK((m.flags & ~PROTO_SHARE_FLAGS_ALL) == 0);
	if (type == PROTO_MSG_SHARE)
		CHECK(m.perm >= 1 && m.perm <= PROTO_PERM_MAX && proto_perm_name(m.perm) != NULL);
	else
		CHECK(m.perm == 0);
	CHECK(proto_encode_share(w, type, type, &m) == 0);
	return 0;
}

static int
re_share(struct proto_bytes b, struct buf_writer *w)
{
	return re_share_type(b, w, PROTO_MSG_SHARE);
}

static int
re_unshare(struct proto_bytes b, struct buf_writer *w)
{
	return re_share_type(b, w, PROTO_MSG_UNSHARE);
}

/* The key management requests: each type's own fields and rules. */
static int
re_keys(struct proto_bytes b, struct buf_writer *w, uint8_t type)
{
	struct proto_keys_req m;

	if (proto_decode_keys(b, type, &m) < 0)
		return -1;
	CHECK(!m.has_passphrase ||
	      (m.passphrase.len >= 1 && m.passphrase.len <= PROTO_PASSPHRASE_MAX));
	CHECK(m.has_passphrase || m.passphrase.len == 0);
	CHECK(!m.has_new_passphrase ||
	      (m.new_passphrase.len >= 1 && m.new_passphrase.len <= PROTO_PASSPHRASE_MAX));
	CHECK(m.has_new_passphrase || m.new_passphrase.len == 0);
	CHECK(m.slot < PROTO_SLOTS_MAX && (m.has_slot || m.slot == 0));
	CHECK(m.slot_kind <= PROTO_SLOT_KIND_MAX);
	CHECK((m.flags & ~PROTO_REKEY_FLAGS_ALL) == 0 && (type == PROTO_MSG_REKEY || m.flags == 0));
	switch (type) {
	case PROTO_MSG_LOCK:
	case PROTO_MSG_KEYSLOT_LIST:
	case PROTO_MSG_BACKUP:
		CHECK(b.len == 0 && !m.has_passphrase && !m.has_slot && m.slot_kind == 0);
		break;
	case PROTO_MSG_UNLOCK:
		CHECK(!m.has_new_passphrase && !m.has_slot && m.slot_kind == 0);
		break;
	case PROTO_MSG_PASSWD:
		CHECK(m.has_passphrase && m.has_new_passphrase && m.slot_kind == 0);
		break;
	case PROTO_MSG_KEYSLOT_ADD:
		CHECK(proto_slot_kind_name(m.slot_kind) != NULL);
		CHECK(m.has_passphrase == (m.slot_kind == PROTO_SLOT_PASSPHRASE));
		CHECK(!m.has_new_passphrase && !m.has_slot);
		break;
	case PROTO_MSG_KEYSLOT_RM:
		CHECK(m.has_slot && !m.has_passphrase && !m.has_new_passphrase && m.slot_kind == 0);
		break;
	case PROTO_MSG_REKEY:
		CHECK(!m.has_passphrase && !m.has_new_passphrase && !m.has_slot && m.slot_kind == 0);
		CHECK(b.len == 0 || b.len == PROTO_FIELD_HDR + 4);
		break;
	default:
		CHECK(0);
	}
	CHECK(proto_encode_keys(w, type, type, &m) == 0);
	return 0;
}

static int
re_lock(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_LOCK);
}

static int
re_unlock(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_UNLOCK);
}

static int
re_passwd(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_PASSWD);
}

static int
re_keyslot_list(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_KEYSLOT_LIST);
}

static int
re_keyslot_add(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_KEYSLOT_ADD);
}

static int
re_keyslot_rm(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_KEYSLOT_RM);
}

static int
re_backup(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_BACKUP);
}

static int
re_rekey(struct proto_bytes b, struct buf_writer *w)
{
	return re_keys(b, w, PROTO_MSG_REKEY);
}

/* The KEYSLOT_ADD reply (its MESSAGE is not kept, so not re-encoded). */
static int
re_slot_reply(struct proto_bytes b, struct buf_writer *w)
{
	uint32_t slot;

	if (proto_decode_slot_reply(b, &slot) < 0)
		return -1;
	CHECK(slot < PROTO_SLOTS_MAX);
	CHECK(proto_encode_slot_reply(w, 22, slot) == 0);
	return 0;
}

/* The KEYSLOT_LIST reply: every group decodes and is written back the
 * same, the groups as an agent streams them (MESSAGE not kept). */
static int
re_keyslot_list_reply(struct proto_bytes b, struct buf_writer *w)
{
	struct proto_list_span span;
	struct proto_keyslot k;
	struct proto_iter it;
	struct proto_bytes g;
	uint32_t n = 0;
	size_t start, at;

	if (proto_decode_keyslot_list_reply(b, &span) < 0)
		return -1;
	CHECK(span.count <= PROTO_SLOTS_MAX);
	start = proto_reply_begin(w, PROTO_MSG_KEYSLOT_LIST, 21, PROTO_OK);
	proto_iter_init(&it, &span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_keyslot(g, &k) == 0);
		CHECK(k.slot < PROTO_SLOTS_MAX && proto_slot_kind_name(k.kind) != NULL);
		at = w->len;
		proto_put_keyslot(w, &k);
		CHECK(buf_writer_error(w) == 0);
		same_group(g, w->data + at, w->len - at, PROTO_TAG_KEYSLOT, 0, SIZE_MAX);
		n++;
	}
	CHECK(n == span.count);
	CHECK(w->len - start - PROTO_REPLY_HDR == span.raw.len);
	CHECK(proto_frame_end(w, start) == 0);
	return 0;
}

#include "fuzz-frame-more.h"

/* Indexed by message type; [0] and unknown types have none. */
static const reenc_fn requests[] = {
	[PROTO_MSG_HELLO] = re_hello,	    [PROTO_MSG_STATUS] = re_status,
	[PROTO_MSG_PUT] = re_put,	    [PROTO_MSG_GET] = re_get,
	[PROTO_MSG_INFO] = re_info,	    [PROTO_MSG_LIST] = re_list,
	[PROTO_MSG_DELETE] = re_delete,	    [PROTO_MSG_ROTATE] = re_rotate,
	[PROTO_MSG_ROLLBACK] = re_rollback, [PROTO_MSG_UNDELETE] = re_undelete,
	[PROTO_MSG_PURGE] = re_purge,	    [PROTO_MSG_DISABLE] = re_disable,
	[PROTO_MSG_ENABLE] = re_enable,	    [PROTO_MSG_LABEL] = re_label,
	[PROTO_MSG_WATCH] = re_watch,	    [PROTO_MSG_SHARE] = re_share,
	[PROTO_MSG_UNSHARE] = re_unshare,   [PROTO_MSG_LOCK] = re_lock,
	[PROTO_MSG_UNLOCK] = re_unlock,	    [PROTO_MSG_PASSWD] = re_passwd,
	[PROTO_MSG_KEYSLOT_LIST] = re_keyslot_list,
	[PROTO_MSG_KEYSLOT_ADD] = re_keyslot_add,
	[PROTO_MSG_KEYSLOT_RM] = re_keyslot_rm,
	[PROTO_MSG_BACKUP] = re_backup,
	[PROTO_MSG_REKEY] = re_rekey,
	[PROTO_MSG_EXPORT] = re_export,
	[PROTO_MSG_IMPORT] = re_import,
	[PROTO_MSG_AUDIT] = re_audit,
	[PROTO_MSG_AUDIT_VERIFY] = re_audit_verify,
	[PROTO_MSG_USAGE] = re_usage,
	[PROTO_MSG_QUOTA] = re_quota,
	[PROTO_MSG_USAGE_RESET] = re_usage_reset,
	[PROTO_MSG_VERIFY] = re_verify,
};
/* ROLLBACK's reply is PUT's; the other lifecycle replies, SHARE's and
 * UNSHARE's, those of the key requests but KEYSLOT_ADD and KEYSLOT_LIST
 * (REKEY's included), QUOTA's, USAGE_RESET's and VERIFY's are simple. */
static const reenc_fn replies[] = {
	[PROTO_MSG_HELLO] = re_hello_reply,   [PROTO_MSG_STATUS] = re_status_reply,
	[PROTO_MSG_PUT] = re_put_reply,	      [PROTO_MSG_GET] = re_get_reply,
	[PROTO_MSG_INFO] = re_info_reply,     [PROTO_MSG_LIST] = re_list_reply,
	[PROTO_MSG_DELETE] = re_simple,	      [PROTO_MSG_ROTATE] = re_rotate_reply,
	[PROTO_MSG_ROLLBACK] = re_put_reply,  [PROTO_MSG_UNDELETE] = re_simple,
	[PROTO_MSG_PURGE] = re_simple,	      [PROTO_MSG_DISABLE] = re_simple,
	[PROTO_MSG_ENABLE] = re_simple,	      [PROTO_MSG_LABEL] = re_simple,
	[PROTO_MSG_WATCH] = re_simple,	      [PROTO_MSG_SHARE] = re_simple,
	[PROTO_MSG_UNSHARE] = re_simple,      [PROTO_MSG_LOCK] = re_simple,
	[PROTO_MSG_UNLOCK] = re_simple,	      [PROTO_MSG_PASSWD] = re_simple,
	[PROTO_MSG_KEYSLOT_LIST] = re_keyslot_list_reply,
	[PROTO_MSG_KEYSLOT_ADD] = re_slot_reply,
	[PROTO_MSG_KEYSLOT_RM] = re_simple,
	[PROTO_MSG_BACKUP] = re_simple,
	[PROTO_MSG_REKEY] = re_simple,
	[PROTO_MSG_EXPORT] = re_export_reply,
	[PROTO_MSG_IMPORT] = re_import_reply,
	[PROTO_MSG_AUDIT] = re_audit_reply,
	[PROTO_MSG_AUDIT_VERIFY] = re_audit_verify_reply,
	[PROTO_MSG_USAGE] = re_usage_reply,
	[PROTO_MSG_QUOTA] = re_simple,
	[PROTO_MSG_USAGE_RESET] = re_simple,
	[PROTO_MSG_VERIFY] = re_simple,
};
_Static_assert(sizeof(requests) == sizeof(replies), "one table size");
#define N_TYPES (sizeof(requests) / sizeof(requests[0]))

/* decode, encode, parse, decode, encode: both encodings equal. */
static void
roundtrip(reenc_fn fn, struct proto_bytes body, bool reply)
{
	struct buf_writer w1, w2;
	struct proto_frame f;

	buf_writer_init(&w1, out1, sizeof(out1));
	if (fn(body, &w1) < 0)
		return;
	CHECK(w1.len <= body.len + PROTO_REPLY_HDR);
	CHECK(proto_frame_parse(out1, w1.len, (uint32_t)sizeof(out1), reply, &f) == (int)w1.len);
	CHECK(((f.type & PROTO_REPLY_BIT) != 0) == reply);
	buf_writer_init(&w2, out2, sizeof(out2));
	CHECK(fn(f.body, &w2) == 0);
	CHECK(w1.len == w2.len && memcmp(out1, out2, w1.len) == 0);
}

static void
frames(const uint8_t *data, size_t size, bool reply)
{
	struct proto_frame f;
	reenc_fn fn;
	int r;

	while ((r = proto_frame_parse(data, size, PROTO_FRAME_MAX_DEFAULT, reply, &f)) > 0) {
		CHECK((size_t)r <= size && (size_t)r >= (reply ? PROTO_REPLY_HDR : PROTO_REQ_HDR));
		CHECK(f.body.ptr >= data && f.body.ptr + f.body.len == data + r);
		fn = NULL;
		if (!reply && f.type < N_TYPES)
			fn = requests[f.type];
		else if (reply && f.type == PROTO_MSG_EVENT)
			fn = f.status == PROTO_OK ? re_event : NULL;
		else if (reply && f.type == (PROTO_MSG_IMPORT | PROTO_REPLY_BIT) &&
			 f.status == PROTO_CONFLICT)
			fn = re_import_reply_conflict;
		else if (reply && (f.type & PROTO_REPLY_BIT) != 0 && (f.type & 0x7f) < N_TYPES)
			fn = f.status == PROTO_OK ? replies[f.type & 0x7f] : re_simple;
		if (fn != NULL)
			roundtrip(fn, f.body, reply);
		data += r;
		size -= (size_t)r;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_bytes body = {data, size};
	size_t i;

	if (size > OUT_MAX)
		return 0;
	frames(data, size, false);
	frames(data, size, true);
	/* the bytes as a body, for every decoder */
	for (i = 1; i < N_TYPES; i++) {
		roundtrip(requests[i], body, false);
		roundtrip(replies[i], body, true);
	}
	roundtrip(re_simple, body, true);
	roundtrip(re_event, body, true);
	roundtrip(re_import_reply_conflict, body, true);
	bundle_chunks(body);
	return 0;
}
