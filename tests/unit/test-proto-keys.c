/* SPDX-License-Identifier: MIT */
/*
 * proto/: the golden frames of key management (LOCK, UNLOCK, PASSWD,
 * KEYSLOT_LIST, KEYSLOT_ADD, KEYSLOT_RM, BACKUP, REKEY, the KEYSLOT_ADD and
 * KEYSLOT_LIST replies, and two error replies of a locked agent) in both
 * directions, as test-proto.c does for the first seven messages, and
 * docs/PROTOCOL.md quoting each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

/* ---- the examples of tests/data ---- */

#define OLD_PASSPHRASE B("correct horse battery staple")

static const struct proto_keys_req ex_empty = {0};
static const struct proto_keys_req ex_unlock = {
	.has_passphrase = true,
	.passphrase = OLD_PASSPHRASE,
};
static const struct proto_keys_req ex_passwd = {
	.has_passphrase = true,
	.passphrase = OLD_PASSPHRASE,
	.has_new_passphrase = true,
	.new_passphrase = B("Tr0ub4dor&3"),
	.has_slot = true,
	.slot = 1,
};
static const struct proto_keys_req ex_keyslot_add = {
	.has_passphrase = true,
	.passphrase = B("open sesame"),
	.slot_kind = PROTO_SLOT_PASSPHRASE,
};
static const struct proto_keys_req ex_keyslot_add_keyfile = {
	.slot_kind = PROTO_SLOT_KEYFILE,
};
static const struct proto_keys_req ex_keyslot_rm = {
	.has_slot = true,
	.slot = 0,
};
static const struct proto_keys_req ex_rekey_reseal = {
	.flags = PROTO_REKEY_RESEAL,
};
static const struct proto_keyslot ex_keyslots[] = {
	{.slot = 0, .kind = PROTO_SLOT_KEYFILE, .created = 1735689600},
	{.slot = 1, .kind = PROTO_SLOT_PASSPHRASE, .created = 1738368000},
};
#define N_KEYSLOTS (sizeof(ex_keyslots) / sizeof(ex_keyslots[0]))

/* Every type of the keys codec, to check a body against the others. */
static const uint8_t key_types[] = {
	PROTO_MSG_LOCK,	       PROTO_MSG_UNLOCK,     PROTO_MSG_PASSWD, PROTO_MSG_KEYSLOT_LIST,
	PROTO_MSG_KEYSLOT_ADD, PROTO_MSG_KEYSLOT_RM, PROTO_MSG_BACKUP,	  PROTO_MSG_REKEY,
};

/* BODY decodes as TYPE to WANT; as each other type, it decodes only if
 * the type's schema takes it too (ALSO: a mask of 1 << (type - LOCK)). */
static void
chk_keys(struct proto_bytes body, uint8_t type, const struct proto_keys_req *want, unsigned also)
{
	struct proto_keys_req m;
	size_t i;
	uint8_t t;

	assert_int_equal(proto_decode_keys(body, type, &m), 0);
	cmp_keys(&m, want);
	for (i = 0; i < sizeof(key_types); i++) {
		t = key_types[i];
		if (t == type)
			continue;
		assert_int_equal(proto_decode_keys(body, t, &m),
				 (also & (1u << (t - PROTO_MSG_LOCK))) != 0 ? 0 : -EBADMSG);
	}
}

#define EMPTY_TYPES                                                                    \
	(1u << (PROTO_MSG_LOCK - PROTO_MSG_LOCK) | 1u << (PROTO_MSG_UNLOCK - PROTO_MSG_LOCK) | \
	 1u << (PROTO_MSG_KEYSLOT_LIST - PROTO_MSG_LOCK) |                                   \
	 1u << (PROTO_MSG_BACKUP - PROTO_MSG_LOCK) | 1u << (PROTO_MSG_REKEY - PROTO_MSG_LOCK))

/* ---- encoders ---- */

static int
enc_lock(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_LOCK, 27, &ex_empty);
}

static int
enc_unlock(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_UNLOCK, 28, &ex_unlock);
}

static int
enc_unlock_keyfile(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_UNLOCK, 29, &ex_empty);
}

static int
enc_passwd(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_PASSWD, 30, &ex_passwd);
}

static int
enc_keyslot_list(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_KEYSLOT_LIST, 31, &ex_empty);
}

/* As an agent writes it: groups between begin and end. */
static int
enc_keyslot_list_reply(struct buf_writer *w)
{
	size_t start = proto_reply_begin(w, PROTO_MSG_KEYSLOT_LIST, 31, PROTO_OK), i;

	for (i = 0; i < N_KEYSLOTS; i++)
		proto_put_keyslot(w, &ex_keyslots[i]);
	return proto_frame_end(w, start);
}

static int
enc_keyslot_add(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_KEYSLOT_ADD, 32, &ex_keyslot_add);
}

static int
enc_keyslot_add_reply(struct buf_writer *w)
{
	return proto_encode_slot_reply(w, 32, 2);
}

static int
enc_keyslot_add_keyfile(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_KEYSLOT_ADD, 33, &ex_keyslot_add_keyfile);
}

static int
enc_keyslot_rm(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_KEYSLOT_RM, 34, &ex_keyslot_rm);
}

static int
enc_backup(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_BACKUP, 35, &ex_empty);
}

static int
enc_rekey(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_REKEY, 37, &ex_empty);
}

static int
enc_rekey_reseal(struct buf_writer *w)
{
	return proto_encode_keys(w, PROTO_MSG_REKEY, 38, &ex_rekey_reseal);
}

static int
enc_error_locked(struct buf_writer *w)
{
	static const char msg[] = "agent is locked";

	return proto_encode_simple_reply(w, PROTO_MSG_GET, 36, PROTO_LOCKED, msg, sizeof(msg) - 1);
}

static int
enc_error_wrong_passphrase(struct buf_writer *w)
{
	static const char msg[] = "wrong passphrase";

	return proto_encode_simple_reply(w, PROTO_MSG_UNLOCK, 28, PROTO_DENIED, msg,
					 sizeof(msg) - 1);
}

/* ---- decoders ---- */

static void
chk_lock(struct proto_bytes body)
{
	assert_int_equal(body.len, 0);
	chk_keys(body, PROTO_MSG_LOCK, &ex_empty, EMPTY_TYPES);
}

static void
chk_unlock(struct proto_bytes body)
{
	chk_keys(body, PROTO_MSG_UNLOCK, &ex_unlock, 0);
}

static void
chk_unlock_keyfile(struct proto_bytes body)
{
	assert_int_equal(body.len, 0);
	chk_keys(body, PROTO_MSG_UNLOCK, &ex_empty, EMPTY_TYPES);
}

static void
chk_passwd(struct proto_bytes body)
{
	chk_keys(body, PROTO_MSG_PASSWD, &ex_passwd, 0);
}

static void
chk_keyslot_list(struct proto_bytes body)
{
	chk_keys(body, PROTO_MSG_KEYSLOT_LIST, &ex_empty, EMPTY_TYPES);
}

static void
chk_keyslot_list_reply(struct proto_bytes body)
{
	struct proto_list_span span;
	struct proto_keyslot k;
	struct proto_iter it;
	struct proto_bytes g;
	size_t i = 0;

	assert_int_equal(proto_decode_keyslot_list_reply(body, &span), 0);
	assert_int_equal(span.count, N_KEYSLOTS);
	assert_int_equal(span.raw.len, body.len);
	proto_iter_init(&it, &span);
	while (proto_iter_next(&it, &g) == 1) {
		assert_true(i < N_KEYSLOTS);
		assert_int_equal(proto_decode_keyslot(g, &k), 0);
		cmp_keyslot(&k, &ex_keyslots[i]);
		i++;
	}
	assert_int_equal(i, N_KEYSLOTS);
	assert_string_equal(proto_slot_kind_name(ex_keyslots[0].kind), "keyfile");
	assert_string_equal(proto_slot_kind_name(ex_keyslots[1].kind), "passphrase");
	/* no other reply body takes it */
	REJECT(d_slot_reply, body);
	REJECT(d_simple, body);
}

static void
chk_keyslot_add(struct proto_bytes body)
{
	chk_keys(body, PROTO_MSG_KEYSLOT_ADD, &ex_keyslot_add, 0);
}

static void
chk_keyslot_add_reply(struct proto_bytes body)
{
	uint32_t slot = UINT32_MAX;

	assert_int_equal(proto_decode_slot_reply(body, &slot), 0);
	assert_int_equal(slot, 2);
	REJECT(d_keyslot_list_reply, body);
	REJECT(d_simple, body);
}

static void
chk_keyslot_add_keyfile(struct proto_bytes body)
{
	chk_keys(body, PROTO_MSG_KEYSLOT_ADD, &ex_keyslot_add_keyfile, 0);
}

static void
chk_keyslot_rm(struct proto_bytes body)
{
	/* PASSWD needs its passphrases: SLOT alone is KEYSLOT_RM's */
	chk_keys(body, PROTO_MSG_KEYSLOT_RM, &ex_keyslot_rm, 0);
}

static void
chk_backup(struct proto_bytes body)
{
	assert_int_equal(body.len, 0);
	chk_keys(body, PROTO_MSG_BACKUP, &ex_empty, EMPTY_TYPES);
}

static void
chk_rekey(struct proto_bytes body)
{
	assert_int_equal(body.len, 0);
	chk_keys(body, PROTO_MSG_REKEY, &ex_empty, EMPTY_TYPES);
}

static void
chk_rekey_reseal(struct proto_bytes body)
{
	/* FLAGS is REKEY's alone among the keys messages */
	chk_keys(body, PROTO_MSG_REKEY, &ex_rekey_reseal, 0);
}

static void
chk_message(struct proto_bytes body, struct proto_bytes want)
{
	struct proto_simple_reply m;

	assert_int_equal(proto_decode_simple_reply(body, &m), 0);
	assert_bytes(m.message, want);
	/* a KEYSLOT_LIST reply may be no more than its MESSAGE too */
	ACCEPT(d_keyslot_list_reply, body);
	REJECT(d_slot_reply, body);
}

static void
chk_error_locked(struct proto_bytes body)
{
	chk_message(body, B("agent is locked"));
	assert_string_equal(proto_status_name(PROTO_LOCKED), "LOCKED");
	assert_int_equal(proto_status_exit(PROTO_LOCKED), 5);
}

static void
chk_error_wrong_passphrase(struct proto_bytes body)
{
	chk_message(body, B("wrong passphrase"));
	assert_int_equal(proto_status_exit(PROTO_DENIED), 4);
}

#define KEYS_REP(n, t, id, e, c) GOLDEN_REP(n, t, id, PROTO_OK, e, c)

static const struct golden goldens[] = {
	GOLDEN_REQ("lock", PROTO_MSG_LOCK, 27, enc_lock, chk_lock),
	GOLDEN_REQ("unlock", PROTO_MSG_UNLOCK, 28, enc_unlock, chk_unlock),
	GOLDEN_REQ("unlock-keyfile", PROTO_MSG_UNLOCK, 29, enc_unlock_keyfile, chk_unlock_keyfile),
	GOLDEN_REQ("passwd", PROTO_MSG_PASSWD, 30, enc_passwd, chk_passwd),
	GOLDEN_REQ("keyslot-list", PROTO_MSG_KEYSLOT_LIST, 31, enc_keyslot_list, chk_keyslot_list),
	KEYS_REP("keyslot-list-reply", PROTO_MSG_KEYSLOT_LIST, 31, enc_keyslot_list_reply,
		 chk_keyslot_list_reply),
	GOLDEN_REQ("keyslot-add", PROTO_MSG_KEYSLOT_ADD, 32, enc_keyslot_add, chk_keyslot_add),
	KEYS_REP("keyslot-add-reply", PROTO_MSG_KEYSLOT_ADD, 32, enc_keyslot_add_reply,
		 chk_keyslot_add_reply),
	GOLDEN_REQ("keyslot-add-keyfile", PROTO_MSG_KEYSLOT_ADD, 33, enc_keyslot_add_keyfile,
		   chk_keyslot_add_keyfile),
	GOLDEN_REQ("keyslot-rm", PROTO_MSG_KEYSLOT_RM, 34, enc_keyslot_rm, chk_keyslot_rm),
	GOLDEN_REQ("backup", PROTO_MSG_BACKUP, 35, enc_backup, chk_backup),
	GOLDEN_REQ("rekey", PROTO_MSG_REKEY, 37, enc_rekey, chk_rekey),
	GOLDEN_REQ("rekey-reseal", PROTO_MSG_REKEY, 38, enc_rekey_reseal, chk_rekey_reseal),
	GOLDEN_REP("error-locked", PROTO_MSG_GET, 36, PROTO_LOCKED, enc_error_locked,
		   chk_error_locked),
	GOLDEN_REP("error-wrong-passphrase", PROTO_MSG_UNLOCK, 28, PROTO_DENIED,
		   enc_error_wrong_passphrase, chk_error_wrong_passphrase),
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
	return run_goldens("test-proto-keys", goldens, N_GOLDEN, test_docs_quote_vectors, NULL);
}
