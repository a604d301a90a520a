/* SPDX-License-Identifier: MIT */
/*
 * proto/: systematic mutations of the golden frames of export, import,
 * audit, usage and quotas (and of PUT and the INFO reply with a quota),
 * as test-proto-reject.c does for the earlier ones: truncation at every
 * offset, trailing bytes, unknown tags, duplicated and swapped fields,
 * wrong kinds, removed fields.
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
	/* tags whose removal breaks the body: required fields, and those a
	 * rule ties to another (QUOTA with QUOTA_PERIOD...) */
	const char *required;
	/* repeatable tags that may be duplicated (a CONFLICT may not: the
	 * names listed would outnumber CONFLICTED) */
	const char *dup_ok;
};

static int
d_export(struct proto_bytes b)
{
	struct proto_export m;

	return proto_decode_export(b, &m);
}

static int
d_export_reply(struct proto_bytes b)
{
	struct proto_export_reply m;

	return proto_decode_export_reply(b, &m);
}

static int
d_import(struct proto_bytes b)
{
	struct proto_import m;

	return proto_decode_import(b, &m);
}

static int
d_import_reply(struct proto_bytes b)
{
	struct proto_import_reply m;

	return proto_decode_import_reply(b, &m);
}

static int
d_audit(struct proto_bytes b)
{
	struct proto_audit m;

	return proto_decode_audit(b, &m);
}

static int
d_audit_reply(struct proto_bytes b)
{
	struct proto_audit_reply m;

	return proto_decode_audit_reply(b, &m);
}

static int
d_audit_verify(struct proto_bytes b)
{
	return proto_decode_audit_verify(b);
}

static int
d_audit_verify_reply(struct proto_bytes b)
{
	struct proto_audit_verify_reply m;

	return proto_decode_audit_verify_reply(b, &m);
}

static int
d_usage(struct proto_bytes b)
{
	struct proto_usage m;

	return proto_decode_usage(b, &m);
}

static int
d_usage_reply(struct proto_bytes b)
{
	struct proto_usage_reply m;

	return proto_decode_usage_reply(b, &m);
}

static int
d_quota(struct proto_bytes b)
{
	struct proto_quota m;

	return proto_decode_quota(b, &m);
}

static const struct dec decs[] = {
	{"export", false, d_export, "\x38", ""},
	{"export-reply", true, d_export_reply, "\x07", ""},
	{"import", false, d_import, "", ""},
	{"import-entries", false, d_import, "", "\x2c"},
	{"import-reply-conflict", true, d_import_reply, "\x43\x44\x45", ""},
	{"audit", false, d_audit, "", ""},
	{"audit-reply", true, d_audit_reply, "", "\x4c"},
	{"audit-summary-reply", true, d_audit_reply, "", "\x55"},
	{"audit-verify", false, d_audit_verify, "", ""},
	{"audit-verify-reply", true, d_audit_verify_reply, "\x56\x58", ""},
	{"usage", false, d_usage, "", ""},
	{"usage-reply", true, d_usage_reply, "", "\x60"},
	{"quota", false, d_quota, "\x11\x41\x42", ""},
	{"usage-reset", false, d_named, "\x11", ""},
	{"put-quota", false, d_put, "\x11\x20\x41\x42", ""},
	{"info-reply-usage", true, d_info_reply,
	 "\x10\x11\x12\x13\x14\x16\x18\x19\x41\x42\x5a\x5b\x5c\x5d\x5e", "\x1d"},
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
	static const uint8_t tags[] = {0, 10, 15, 30, 31, 33, 61, 62, 63, 99, 0x7f, 0x80, 0xc0,
				       0xff};
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
			repeatable = fl[j].tag != 0 && strchr(decs[i].dup_ok, fl[j].tag) != NULL;
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
