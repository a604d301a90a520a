/* SPDX-License-Identifier: MIT */
/*
 * proto/: the golden frames of the secret lifecycle messages (ROTATE,
 * ROLLBACK, UNDELETE, PURGE, DISABLE, ENABLE, LABEL, WATCH and its EVENT
 * frames, GET's and LIST's new fields) in both directions, as test-proto.c
 * does for the first seven messages, and docs/PROTOCOL.md quoting each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

static const uint8_t label_set[] = {
	PROTO_TAG_LABEL, PROTO_KIND_STRING, 0, 0, 0, 14,
	'o', 'w', 'n', 'e', 'r', '=', 'p', 'l', 'a', 't', 'f', 'o', 'r', 'm',
};
static const uint8_t label_remove[] = {
	PROTO_TAG_LABEL_KEY, PROTO_KIND_STRING, 0, 0, 0, 4, 't', 'e', 'a', 'm',
};
static const uint8_t label_filter[] = {
	PROTO_TAG_LABEL, PROTO_KIND_STRING, 0, 0, 0, 8, 'e', 'n', 'v', '=', 'p', 'r', 'o', 'd',
};

#define PASSWORD B("db/prod/password")

static const struct proto_rotate ex_rotate = {
	.ref = {.name = PASSWORD},
	.has_expires = true,
	.expires = 1798761600,
	.has_value = true,
	.value = B("hunter3"),
};
static const struct proto_rotate ex_rotate_generate = {
	.ref = {.name = B("api/github/token")},
	.flags = PROTO_ROTATE_PRINT,
	.gen_length = 32,
	.charset = PROTO_CHARSET_ALNUM,
};
static const struct proto_rotate_reply ex_rotate_reply = {
	.version = 4,
	.has_value = true,
	.value = B("Zq8mWt3RkV1xLp7nHc4sJd9fGb2yTe6u"),
};
static const struct proto_versioned ex_rollback = {
	.ref = {.name = PASSWORD},
	.has_version = true,
	.version = 1,
};
static const struct proto_put_reply ex_rollback_reply = {.version = 4};
static const struct proto_versioned ex_purge = {.ref = {.name = B("db/test/password")}};
static const struct proto_versioned ex_purge_version = {
	.ref = {.name = PASSWORD},
	.has_version = true,
	.version = 2,
};
static const struct proto_named ex_undelete = {.ref = {.name = B("db/prod/user")}};
static const struct proto_named ex_password = {.ref = {.name = PASSWORD}};
static const struct proto_label ex_label = {
	.ref = {.name = PASSWORD},
	.set = {{label_set, sizeof(label_set)}, 1},
	.remove = {{label_remove, sizeof(label_remove)}, 1},
};
static const struct proto_event_msg ex_event = {
	.event = PROTO_EVENT_ROTATED,
	.version = 5,
	.state = PROTO_STATE_ACTIVE,
};
static const struct proto_get ex_get_allow_expired = {
	.ref = {.name = PASSWORD},
	.flags = PROTO_GET_ALLOW_EXPIRED,
};
static const struct proto_list ex_list_filter = {
	.labels = {{label_filter, sizeof(label_filter)}, 1},
	.has_expiring = true,
	.expiring = 1767225600,
};

/* ---- encoders ---- */

static int
enc_rotate(struct buf_writer *w)
{
	return proto_encode_rotate(w, 9, &ex_rotate);
}

static int
enc_rotate_generate(struct buf_writer *w)
{
	return proto_encode_rotate(w, 10, &ex_rotate_generate);
}

static int
enc_rotate_reply(struct buf_writer *w)
{
	return proto_encode_rotate_reply(w, 10, &ex_rotate_reply);
}

static int
enc_rollback(struct buf_writer *w)
{
	return proto_encode_versioned(w, PROTO_MSG_ROLLBACK, 11, &ex_rollback);
}

/* ROLLBACK's reply has PUT's body under ROLLBACK's type. */
static int
enc_rollback_reply(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_ROLLBACK, 11, PROTO_OK);

	proto_put_u32(w, PROTO_TAG_VERSION, ex_rollback_reply.version);
	return proto_frame_end(w, start);
}

static int
enc_purge(struct buf_writer *w)
{
	return proto_encode_versioned(w, PROTO_MSG_PURGE, 12, &ex_purge);
}

static int
enc_purge_version(struct buf_writer *w)
{
	return proto_encode_versioned(w, PROTO_MSG_PURGE, 13, &ex_purge_version);
}

static int
enc_undelete(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_UNDELETE, 14, &ex_undelete);
}

static int
enc_disable(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_DISABLE, 15, &ex_password);
}

static int
enc_enable(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_ENABLE, 16, &ex_password);
}

static int
enc_label(struct buf_writer *w)
{
	return proto_encode_label(w, 17, &ex_label);
}

static int
enc_watch(struct buf_writer *w)
{
	return proto_encode_named(w, PROTO_MSG_WATCH, 18, &ex_password);
}

static int
enc_watch_reply(struct buf_writer *w)
{
	return proto_encode_simple_reply(w, PROTO_MSG_WATCH, 18, PROTO_OK, NULL, 0);
}

static int
enc_event(struct buf_writer *w)
{
	return proto_encode_event(w, 18, &ex_event);
}

static int
enc_too_many_watches(struct buf_writer *w)
{
	return proto_encode_simple_reply(w, PROTO_MSG_WATCH, 19, PROTO_DENIED, "too many watches",
					 16);
}

static int
enc_get_allow_expired(struct buf_writer *w)
{
	return proto_encode_get(w, 20, &ex_get_allow_expired);
}

static int
enc_list_filter(struct buf_writer *w)
{
	return proto_encode_list(w, 21, &ex_list_filter);
}

/* ---- decoders ---- */

static void
chk_rotate(struct proto_bytes body)
{
	struct proto_rotate m;

	assert_int_equal(proto_decode_rotate(body, &m), 0);
	cmp_rotate(&m, &ex_rotate);
}

static void
chk_rotate_generate(struct proto_bytes body)
{
	struct proto_rotate m;

	assert_int_equal(proto_decode_rotate(body, &m), 0);
	cmp_rotate(&m, &ex_rotate_generate);
	assert_string_equal(proto_charset_name(m.charset), "alnum");
}

static void
chk_rotate_reply(struct proto_bytes body)
{
	struct proto_rotate_reply m;
	size_t i;

	assert_int_equal(proto_decode_rotate_reply(body, &m), 0);
	cmp_rotate_reply(&m, &ex_rotate_reply);
	/* the example is a real member of its charset */
	for (i = 0; i < m.value.len; i++)
		assert_true((m.value.ptr[i] >= '0' && m.value.ptr[i] <= '9') ||
			    (m.value.ptr[i] >= 'A' && m.value.ptr[i] <= 'Z') ||
			    (m.value.ptr[i] >= 'a' && m.value.ptr[i] <= 'z'));
	assert_int_equal(m.value.len, ex_rotate_generate.gen_length);
}

static void
chk_rollback(struct proto_bytes body)
{
	struct proto_versioned m;

	assert_int_equal(proto_decode_versioned(body, PROTO_MSG_ROLLBACK, &m), 0);
	cmp_versioned(&m, &ex_rollback);
}

static void
chk_rollback_reply(struct proto_bytes body)
{
	struct proto_put_reply m;

	assert_int_equal(proto_decode_put_reply(body, &m), 0);
	assert_int_equal(m.version, ex_rollback_reply.version);
	assert_int_equal(m.message.len, 0);
}

static void
chk_purge(struct proto_bytes body)
{
	struct proto_versioned m;

	assert_int_equal(proto_decode_versioned(body, PROTO_MSG_PURGE, &m), 0);
	cmp_versioned(&m, &ex_purge);
	/* without VERSION, the same body is no ROLLBACK */
	assert_int_equal(proto_decode_versioned(body, PROTO_MSG_ROLLBACK, &m), -EBADMSG);
}

static void
chk_purge_version(struct proto_bytes body)
{
	struct proto_versioned m;

	assert_int_equal(proto_decode_versioned(body, PROTO_MSG_PURGE, &m), 0);
	cmp_versioned(&m, &ex_purge_version);
}

static void
chk_undelete(struct proto_bytes body)
{
	struct proto_named m;

	assert_int_equal(proto_decode_named(body, &m), 0);
	cmp_ref(&m.ref, &ex_undelete.ref);
}

static void
chk_password(struct proto_bytes body)
{
	struct proto_named m;

	assert_int_equal(proto_decode_named(body, &m), 0);
	cmp_ref(&m.ref, &ex_password.ref);
}

static void
chk_label(struct proto_bytes body)
{
	struct proto_label m;
	struct proto_iter it;
	struct proto_bytes b;

	assert_int_equal(proto_decode_label(body, &m), 0);
	cmp_label(&m, &ex_label);
	proto_iter_init(&it, &m.set);
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_bytes(b, B("owner=platform"));
	assert_true(proto_label_valid(b.ptr, b.len));
	assert_int_equal(proto_iter_next(&it, &b), 0);
	proto_iter_init(&it, &m.remove);
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_bytes(b, B("team"));
	assert_int_equal(proto_iter_next(&it, &b), 0);
}

static void
chk_empty_reply(struct proto_bytes body)
{
	struct proto_simple_reply m;

	assert_int_equal(proto_decode_simple_reply(body, &m), 0);
	assert_int_equal(m.message.len, 0);
}

static void
chk_event(struct proto_bytes body)
{
	struct proto_event_msg m;

	assert_int_equal(proto_decode_event(body, &m), 0);
	cmp_event(&m, &ex_event);
	assert_string_equal(proto_event_name(m.event), "rotated");
}

static void
chk_too_many_watches(struct proto_bytes body)
{
	struct proto_simple_reply m;

	assert_int_equal(proto_decode_simple_reply(body, &m), 0);
	assert_bytes(m.message, B("too many watches"));
}

static void
chk_get_allow_expired(struct proto_bytes body)
{
	struct proto_get m;

	assert_int_equal(proto_decode_get(body, &m), 0);
	cmp_get(&m, &ex_get_allow_expired);
}

static void
chk_list_filter(struct proto_bytes body)
{
	struct proto_list m;
	struct proto_iter it;
	struct proto_bytes b;

	assert_int_equal(proto_decode_list(body, &m), 0);
	cmp_list(&m, &ex_list_filter);
	proto_iter_init(&it, &m.labels);
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_bytes(b, B("env=prod"));
	assert_int_equal(proto_iter_next(&it, &b), 0);
}

/* The EVENT type already has the reply bit, so GOLDEN_REP keeps it. */
static const struct golden goldens[] = {
	GOLDEN_REQ("rotate", PROTO_MSG_ROTATE, 9, enc_rotate, chk_rotate),
	GOLDEN_REQ("rotate-generate", PROTO_MSG_ROTATE, 10, enc_rotate_generate,
		   chk_rotate_generate),
	GOLDEN_REP("rotate-reply", PROTO_MSG_ROTATE, 10, PROTO_OK, enc_rotate_reply,
		   chk_rotate_reply),
	GOLDEN_REQ("rollback", PROTO_MSG_ROLLBACK, 11, enc_rollback, chk_rollback),
	GOLDEN_REP("rollback-reply", PROTO_MSG_ROLLBACK, 11, PROTO_OK, enc_rollback_reply,
		   chk_rollback_reply),
	GOLDEN_REQ("purge", PROTO_MSG_PURGE, 12, enc_purge, chk_purge),
	GOLDEN_REQ("purge-version", PROTO_MSG_PURGE, 13, enc_purge_version, chk_purge_version),
	GOLDEN_REQ("undelete", PROTO_MSG_UNDELETE, 14, enc_undelete, chk_undelete),
	GOLDEN_REQ("disable", PROTO_MSG_DISABLE, 15, enc_disable, chk_password),
	GOLDEN_REQ("enable", PROTO_MSG_ENABLE, 16, enc_enable, chk_password),
	GOLDEN_REQ("label", PROTO_MSG_LABEL, 17, enc_label, chk_label),
	GOLDEN_REQ("watch", PROTO_MSG_WATCH, 18, enc_watch, chk_password),
	GOLDEN_REP("watch-reply", PROTO_MSG_WATCH, 18, PROTO_OK, enc_watch_reply, chk_empty_reply),
	GOLDEN_REP("event", PROTO_MSG_EVENT, 18, PROTO_OK, enc_event, chk_event),
	GOLDEN_REP("error-too-many-watches", PROTO_MSG_WATCH, 19, PROTO_DENIED,
		   enc_too_many_watches, chk_too_many_watches),
	GOLDEN_REQ("get-allow-expired", PROTO_MSG_GET, 20, enc_get_allow_expired,
		   chk_get_allow_expired),
	GOLDEN_REQ("list-filter", PROTO_MSG_LIST, 21, enc_list_filter, chk_list_filter),
};
#define N_GOLDEN (sizeof(goldens) / sizeof(goldens[0]))

static void
test_docs_quote_vectors(void **state)
{
	(void)state;
	check_docs_quote(goldens, N_GOLDEN);
}

int
main(void)
{
	return run_goldens("test-proto-lifecycle", goldens, N_GOLDEN, test_docs_quote_vectors,
			   NULL);
}
