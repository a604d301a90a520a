/* SPDX-License-Identifier: MIT */
/*
 * proto/: systematic mutations of every golden frame, one per decoder:
 * truncation at every offset, trailing bytes, unknown tags, duplicated and
 * swapped fields, wrong kinds, removed fields. Targeted rejections are in
 * test-proto-caps.c, test-proto-lifecycle-caps.c, test-proto-share-caps.c
 * and test-proto-keys-caps.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t file[BUF_MAX], mbuf[BUF_MAX];

struct dec {
	const char *name; /* its golden vector */
	bool reply;
	int (*decode)(struct proto_bytes body);
	const char *required; /* tags, as a string of bytes */
};

static const struct dec decs[] = {
	{"hello", false, d_hello, "\x01"},
	{"hello-reply", true, d_hello_reply, "\x01\x02\x03\x04\x09"},
	{"status", false, d_status, ""},
	{"status-reply", true, d_status_reply, "\x03\x04\x05\x06\x07\x08"},
	{"put", false, d_put, "\x11\x20"},
	{"put-reply", true, d_put_reply, "\x12"},
	{"get", false, d_get, "\x11"},
	{"get-reply", true, d_get_reply, "\x12\x13\x20"},
	{"info", false, d_named, "\x11"},
	{"info-reply", true, d_info_reply, "\x10\x11\x12\x13\x14\x16\x18\x19"},
	{"list", false, d_list, ""},
	{"list-reply", true, d_list_reply, ""},
	{"delete", false, d_named, "\x11"},
	{"delete-reply", true, d_simple, ""},
	{"error-not-found", true, d_simple, ""},
	/* the lifecycle messages: "required" also names fields whose removal
	 * breaks a rule (VALUE or GEN_LENGTH in ROTATE) */
	{"rotate", false, d_rotate, "\x11\x20"},
	{"rotate-generate", false, d_rotate, "\x11\x2e"},
	{"rotate-reply", true, d_rotate_reply, "\x12"},
	{"rollback", false, d_rollback, "\x11\x12"},
	{"rollback-reply", true, d_put_reply, "\x12"},
	{"purge", false, d_purge, "\x11"},
	{"purge-version", false, d_purge, "\x11"},
	{"undelete", false, d_named, "\x11"},
	{"disable", false, d_named, "\x11"},
	{"enable", false, d_named, "\x11"},
	{"label", false, d_label, "\x11"},
	{"watch", false, d_named, "\x11"},
	{"watch-reply", true, d_simple, ""},
	{"event", true, d_event, "\x12\x14\x31"},
	{"error-too-many-watches", true, d_simple, ""},
	{"get-allow-expired", false, d_get, "\x11"},
	{"list-filter", false, d_list, ""},
	/* access control: removing the only grantee breaks the one-grantee
	 * rule, so GRANTEE_UID or GRANTEE_GID counts as required */
	{"share", false, d_share, "\x11\x33\x35"},
	{"share-prefix", false, d_share, "\x11\x34\x35"},
	{"unshare", false, d_unshare, "\x11\x33"},
	{"info-reply-grants", true, d_info_reply, "\x10\x11\x12\x13\x14\x16\x18\x19"},
	{"list-reply-shared", true, d_list_reply, ""},
	/* key management: removing KEYSLOT_ADD's PASSPHRASE breaks the
	 * passphrase rule of kind PASSPHRASE, so it counts as required */
	{"lock", false, d_lock, ""},
	{"unlock", false, d_unlock, ""},
	{"unlock-keyfile", false, d_unlock, ""},
	{"passwd", false, d_passwd, "\x38\x39"},
	{"keyslot-list", false, d_keyslot_list, ""},
	{"keyslot-list-reply", true, d_keyslot_list_reply, ""},
	{"keyslot-add", false, d_keyslot_add, "\x38\x3b"},
	{"keyslot-add-reply", true, d_slot_reply, "\x3a"},
	{"keyslot-add-keyfile", false, d_keyslot_add, "\x3b"},
	{"keyslot-rm", false, d_keyslot_rm, "\x3a"},
	{"backup", false, d_backup, ""},
	{"rekey", false, d_rekey, ""},
	{"rekey-reseal", false, d_rekey, ""},
	{"error-locked", true, d_simple, ""},
	{"error-wrong-passphrase", true, d_simple, ""},
};
#define N_DECS (sizeof(decs) / sizeof(decs[0]))

/* ---- helpers ---- */

struct fld {
	size_t off, len; /* the whole field, header included */
	uint8_t tag;
};

/* The top-level fields of a valid body. */
static size_t
split(struct proto_bytes b, struct fld *f, size_t max)
{
	size_t n = 0, off = 0, len;

	while (off < b.len) {
		assert_true(n < max && b.len - off >= PROTO_FIELD_HDR);
		len = PROTO_FIELD_HDR + buf_load_u32(b.ptr + off + 2);
		f[n++] = (struct fld){off, len, b.ptr[off]};
		off += len;
	}
	assert_int_equal(off, b.len);
	return n;
}

/* B with CUT bytes at OFF replaced by INS. */
static struct proto_bytes
splice(struct proto_bytes b, size_t off, size_t cut, const void *ins, size_t ins_len)
{
	assert_true(b.len - cut + ins_len <= sizeof(mbuf));
	memmove(mbuf, b.ptr, off);
	if (ins_len > 0)
		memmove(mbuf + off, ins, ins_len);
	memmove(mbuf + off + ins_len, b.ptr + off + cut, b.len - off - cut);
	return (struct proto_bytes){mbuf, b.len - cut + ins_len};
}

static struct proto_bytes
golden_body(const struct dec *d, size_t *ret_n)
{
	size_t n = load_hex(d->name, file, sizeof(file));
	struct proto_frame f;

	assert_int_equal(proto_frame_parse(file, n, PROTO_FRAME_MAX_DEFAULT, d->reply, &f), (int)n);
	assert_int_equal(d->decode(f.body), 0);
	if (ret_n != NULL)
		*ret_n = n;
	return f.body;
}

/* ---- systematic mutations of every golden frame ---- */

static void
test_truncated(void **state)
{
	struct proto_frame f;
	struct fld fl[64];
	size_t i, k, n, nf, j;
	struct proto_bytes b;
	bool boundary;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i], &n);
		/* a frame cut anywhere is "need more", never a frame */
		for (k = 0; k < n; k++)
			assert_int_equal(proto_frame_parse(file, k, PROTO_FRAME_MAX_DEFAULT,
							   decs[i].reply, &f), 0);
		/* a body cut inside a field is malformed; cut between
		 * fields it is whatever the remaining fields make it */
		nf = split(b, fl, 64);
		for (k = 0; k < b.len; k++) {
			boundary = false;
			for (j = 0; j < nf; j++)
				boundary |= fl[j].off == k;
			if (!boundary)
				REJECT(decs[i].decode, ((struct proto_bytes){b.ptr, k}));
			else
				(void)decs[i].decode((struct proto_bytes){b.ptr, k});
		}
	}
}

static void
test_trailing(void **state)
{
	static const uint8_t junk[PROTO_FIELD_HDR] = {0x7f, PROTO_KIND_BYTES, 0, 0, 0, 0};
	struct proto_bytes b;
	size_t i, k;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i], NULL);
		/* a partial field header, then a whole field of unknown tag */
		for (k = 1; k <= PROTO_FIELD_HDR; k++)
			REJECT(decs[i].decode, splice(b, b.len, 0, junk, k));
		REJECT(decs[i].decode, splice(b, b.len, 0, "\0", 1));
		REJECT(decs[i].decode, splice(b, b.len, 0, "\xff\xff\xff\xff\xff\xff", 6));
	}
}

static void
test_unknown_tag(void **state)
{
	static const uint8_t tags[] = {0, 10, 15, 30, 31, 33, 46, 51, 56, 61, 62, 63, 65,
				       0x7f, 0x80, 0xc0, 0xff};
	uint8_t fld[PROTO_FIELD_HDR] = {0, PROTO_KIND_BYTES, 0, 0, 0, 0};
	struct proto_bytes b;
	size_t i, t;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i], NULL);
		for (t = 0; t < sizeof(tags); t++) {
			fld[0] = tags[t];
			REJECT(decs[i].decode, splice(b, b.len, 0, fld, sizeof(fld)));
			REJECT(decs[i].decode, splice(b, 0, 0, fld, sizeof(fld)));
		}
	}
}

/* Duplicating a field, or swapping two neighbours, breaks the order unless
 * the tag may repeat. */
static void
test_duplicate_and_swap(void **state)
{
	static uint8_t tmp[BUF_MAX];
	struct fld fl[64];
	struct proto_bytes b, m;
	size_t i, j, nf;
	bool repeatable;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i], NULL);
		nf = split(b, fl, 64);
		for (j = 0; j < nf; j++) {
			repeatable = fl[j].tag == PROTO_TAG_LABEL || fl[j].tag == PROTO_TAG_VERSIONS ||
				     fl[j].tag == PROTO_TAG_ENTRY || fl[j].tag == PROTO_TAG_LABEL_KEY ||
				     fl[j].tag == PROTO_TAG_GRANT || fl[j].tag == PROTO_TAG_KEYSLOT;
			m = splice(b, fl[j].off, 0, b.ptr + fl[j].off, fl[j].len);
			assert_int_equal(decs[i].decode(m), repeatable ? 0 : -EBADMSG);
			if (j + 1 == nf || fl[j].tag == fl[j + 1].tag)
				continue;
			/* [j+1][j] in place of [j][j+1] */
			memcpy(tmp, b.ptr + fl[j + 1].off, fl[j + 1].len);
			memcpy(tmp + fl[j + 1].len, b.ptr + fl[j].off, fl[j].len);
			REJECT(decs[i].decode, splice(b, fl[j].off, fl[j].len + fl[j + 1].len, tmp,
						      fl[j].len + fl[j + 1].len));
		}
	}
}

static void
test_wrong_kind(void **state)
{
	struct fld fl[64];
	struct proto_bytes b, m;
	size_t i, j, nf;
	uint8_t k;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i], NULL);
		nf = split(b, fl, 64);
		for (j = 0; j < nf; j++) {
			for (k = 0; k <= 6; k++) {
				if (k == b.ptr[fl[j].off + 1])
					continue;
				m = splice(b, 0, 0, NULL, 0);
				mbuf[fl[j].off + 1] = k;
				REJECT(decs[i].decode, m);
			}
		}
	}
}

static bool
is_required(const struct dec *d, uint8_t tag)
{
	return tag != 0 && strchr(d->required, tag) != NULL;
}

/* Removing a field fails exactly when it was the only one of a required
 * tag. */
static void
test_removed_field(void **state)
{
	struct fld fl[64];
	struct proto_bytes b;
	size_t i, j, nf;
	bool sole;

	(void)state;
	for (i = 0; i < N_DECS; i++) {
		b = golden_body(&decs[i], NULL);
		nf = split(b, fl, 64);
		for (j = 0; j < nf; j++) {
			sole = (j == 0 || fl[j - 1].tag != fl[j].tag) &&
			       (j + 1 == nf || fl[j + 1].tag != fl[j].tag);
			assert_int_equal(decs[i].decode(splice(b, fl[j].off, fl[j].len, NULL, 0)),
					 sole && is_required(&decs[i], fl[j].tag) ? -EBADMSG : 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_unknown_tag),
		cmocka_unit_test(test_duplicate_and_swap),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_removed_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
