/* SPDX-License-Identifier: MIT */
/*
 * store-edit: edit a stopped agent's LMDB store behind its back, so the
 * integration tests can check that the agent notices.
 *
 *   store-edit DIR move-blob OWNER NAME VERSION NEWNAME NEWVERSION
 *       copy the sealed value of (OWNER, NAME, VERSION) over the blob key
 *       (OWNER, NEWNAME, NEWVERSION), creating or overwriting it
 *   store-edit DIR flip-meta OWNER NAME OFFSET
 *       xor byte OFFSET of NAME's metadata record with 0x01 (a negative
 *       OFFSET counts from the end: -1 is the last byte of the MAC)
 *   store-edit DIR dump
 *       list every database's keys and value sizes
 *   store-edit DIR audit-flip SEQ [OFFSET]
 *       xor byte OFFSET (default 10, inside the seq/time fields; negative
 *       counts from the end) of audit record SEQ with 0x01, keeping its
 *       length
 *   store-edit DIR audit-del SEQ
 *       delete audit record SEQ
 *   store-edit DIR audit-swap SEQ1 SEQ2
 *       swap the values of audit records SEQ1 and SEQ2
 *   store-edit DIR audit-stat
 *       "entries N bytes B pages_bytes P": the audit database's records,
 *       the sum of their key and value sizes, and its pages (branch, leaf
 *       and overflow) times the page size
 *   store-edit DIR audit-list
 *       one line per audit record, decoded: "SEQ flags=F time=T uid=U
 *       gid=G pid=P count=C status=S op=O comm=COMM target=OWNER:NAME@V"
 *       (target=- when absent; @V only when the version is not 0)
 *
 * Key layout (agent/store.h): meta  u32 owner BE | name
 *                             blob  u32 owner BE | name | 0x00 | u32 version BE
 *                             audit u64 seq BE
 * Audit value (agent/audit-rec.h): u8 format | u8 flags | u64 seq |
 *     u64 time | u32 uid | u32 gid | u32 pid | u32 count | u16 status |
 *     u8 op | u8 comm length | comm | u8 has target |
 *     [u32 owner | u8 name length | name | u32 version] | 32-byte link
 * Exit status: 0 done, 1 the edit failed (missing key...), 2 usage.
 */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#define NAME_MAX_LEN 255u
#define KEY_MAX      (4u + NAME_MAX_LEN + 1u + 4u)

static const char *const db_names[] = {"meta", "blob",  "grant",   "audit",
                                       "sys",  "trash", "grantee", "usage"};

static void
usage(void)
{
	fprintf(stderr, "usage: store-edit DIR move-blob OWNER NAME VERSION NEWNAME NEWVERSION\n"
	                "       store-edit DIR flip-meta OWNER NAME OFFSET\n"
	                "       store-edit DIR dump\n"
	                "       store-edit DIR audit-flip SEQ [OFFSET]\n"
	                "       store-edit DIR audit-del SEQ\n"
	                "       store-edit DIR audit-swap SEQ1 SEQ2\n"
	                "       store-edit DIR audit-stat\n"
	                "       store-edit DIR audit-list\n");
}

static int
parse_u32(const char *s, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int
parse_offset(const char *s, long long *ret)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = (uint64_t)v;
	return 0;
}

static void
store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint16_t
load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The meta key of (OWNER, NAME) into OUT; its length, or 0 if NAME is too long. */
static size_t
meta_key(uint8_t *out, uint32_t owner, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	store_be32(out, owner);
	memcpy(out + 4, name, n);
	return 4 + n;
}

static size_t
blob_key(uint8_t *out, uint32_t owner, const char *name, uint32_t version)
{
	size_t n = meta_key(out, owner, name);

	if (n == 0)
		return 0;
	out[n++] = 0;
	store_be32(out + n, version);
	return n + 4;
}

static int
env_open(const char *dir, MDB_env **ret)
{
	MDB_env *env;
	int rc;

	rc = mdb_env_create(&env);
	if (rc != 0)
		return rc;
	rc = mdb_env_set_maxdbs(env, 32);
	if (rc == 0)
		rc = mdb_env_open(env, dir, 0, 0600);
	if (rc != 0) {
		fprintf(stderr, "store-edit: cannot open the store in %s: %s\n", dir,
		        mdb_strerror(rc));
		mdb_env_close(env);
		return rc;
	}
	*ret = env;
	return 0;
}

static int
dbi_open(MDB_txn *t, const char *name, MDB_dbi *ret)
{
	int rc = mdb_dbi_open(t, name, 0, ret);

	if (rc != 0)
		fprintf(stderr, "store-edit: no database '%s': %s\n", name, mdb_strerror(rc));
	return rc;
}

static int
move_blob(MDB_txn *t, char **argv)
{
	uint8_t from[KEY_MAX], to[KEY_MAX];
	uint32_t owner, ver, newver;
	size_t flen, tlen;
	MDB_val k, v, copy;
	MDB_dbi blob;
	void *buf;
	int rc;

	if (parse_u32(argv[0], &owner) < 0 || parse_u32(argv[2], &ver) < 0 ||
	    parse_u32(argv[4], &newver) < 0) {
		usage();
		return 2;
	}
	flen = blob_key(from, owner, argv[1], ver);
	tlen = blob_key(to, owner, argv[3], newver);
	if (flen == 0 || tlen == 0) {
		fprintf(stderr, "store-edit: bad name\n");
		return 2;
	}
	if (dbi_open(t, "blob", &blob) != 0)
		return 1;
	k.mv_size = flen;
	k.mv_data = from;
	rc = mdb_get(t, blob, &k, &v);
	if (rc != 0) {
		fprintf(stderr, "store-edit: no blob %u:%s@%u: %s\n", owner, argv[1], ver,
		        mdb_strerror(rc));
		return 1;
	}
	/* V points into the map; copy it before a put can move pages. */
	buf = malloc(v.mv_size + 1);
	if (buf == NULL)
		return 1;
	memcpy(buf, v.mv_data, v.mv_size);
	copy.mv_size = v.mv_size;
	copy.mv_data = buf;
	k.mv_size = tlen;
	k.mv_data = to;
	rc = mdb_put(t, blob, &k, &copy, 0);
	free(buf);
	if (rc != 0) {
		fprintf(stderr, "store-edit: cannot write the blob: %s\n", mdb_strerror(rc));
		return 1;
	}
	printf("moved %u:%s@%u (%zu bytes) to %u:%s@%u\n", owner, argv[1], ver, copy.mv_size, owner,
	       argv[3], newver);
	return 0;
}

static int
flip_meta(MDB_txn *t, char **argv)
{
	uint8_t key[KEY_MAX];
	uint32_t owner;
	long long off;
	size_t klen, pos;
	MDB_val k, v, copy;
	MDB_dbi meta;
	uint8_t *buf;
	int rc;

	if (parse_u32(argv[0], &owner) < 0 || parse_offset(argv[2], &off) < 0) {
		usage();
		return 2;
	}
	klen = meta_key(key, owner, argv[1]);
	if (klen == 0) {
		fprintf(stderr, "store-edit: bad name\n");
		return 2;
	}
	if (dbi_open(t, "meta", &meta) != 0)
		return 1;
	k.mv_size = klen;
	k.mv_data = key;
	rc = mdb_get(t, meta, &k, &v);
	if (rc != 0) {
		fprintf(stderr, "store-edit: no metadata for %u:%s: %s\n", owner, argv[1],
		        mdb_strerror(rc));
		return 1;
	}
	if ((off >= 0 && (unsigned long long)off >= v.mv_size) ||
	    (off < 0 && (unsigned long long)-off > v.mv_size)) {
		fprintf(stderr, "store-edit: offset %lld is outside the %zu-byte record\n", off,
		        v.mv_size);
		return 1;
	}
	pos = off >= 0 ? (size_t)off : v.mv_size - (size_t)-off;
	buf = malloc(v.mv_size);
	if (buf == NULL)
		return 1;
	memcpy(buf, v.mv_data, v.mv_size);
	buf[pos] ^= 0x01;
	copy.mv_size = v.mv_size;
	copy.mv_data = buf;
	rc = mdb_put(t, meta, &k, &copy, 0);
	free(buf);
	if (rc != 0) {
		fprintf(stderr, "store-edit: cannot write the record: %s\n", mdb_strerror(rc));
		return 1;
	}
	printf("flipped byte %zu of %zu in %u:%s's metadata\n", pos, copy.mv_size, owner, argv[1]);
	return 0;
}

/* ---- the audit database ---- */

#define AUDIT_LINK 32u

/* A copy of audit record SEQ's value (malloc'd) into *RET, its size in *RET_LEN. */
static int
audit_get(MDB_txn *t, MDB_dbi dbi, uint64_t seq, uint8_t **ret, size_t *ret_len)
{
	uint8_t key[8];
	MDB_val k, v;
	int rc;

	store_be64(key, seq);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	rc = mdb_get(t, dbi, &k, &v);
	if (rc != 0) {
		fprintf(stderr, "store-edit: no audit record %llu: %s\n", (unsigned long long)seq,
		        mdb_strerror(rc));
		return 1;
	}
	*ret = malloc(v.mv_size > 0 ? v.mv_size : 1);
	if (*ret == NULL)
		return 1;
	memcpy(*ret, v.mv_data, v.mv_size);
	*ret_len = v.mv_size;
	return 0;
}

static int
audit_put(MDB_txn *t, MDB_dbi dbi, uint64_t seq, uint8_t *val, size_t len)
{
	uint8_t key[8];
	MDB_val k, v;
	int rc;

	store_be64(key, seq);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	v.mv_size = len;
	v.mv_data = val;
	rc = mdb_put(t, dbi, &k, &v, 0);
	if (rc != 0) {
		fprintf(stderr, "store-edit: cannot write audit record %llu: %s\n",
		        (unsigned long long)seq, mdb_strerror(rc));
		return 1;
	}
	return 0;
}

static int
audit_flip(MDB_txn *t, int argc, char **argv)
{
	long long off = 10;
	uint64_t seq;
	MDB_dbi dbi;
	uint8_t *val;
	size_t len, pos;
	int ret;

	if (parse_u64(argv[0], &seq) < 0 || (argc > 1 && parse_offset(argv[1], &off) < 0)) {
		usage();
		return 2;
	}
	if (dbi_open(t, "audit", &dbi) != 0 || audit_get(t, dbi, seq, &val, &len) != 0)
		return 1;
	if ((off >= 0 && (unsigned long long)off >= len) ||
	    (off < 0 && (unsigned long long)-off > len)) {
		fprintf(stderr, "store-edit: offset %lld is outside the %zu-byte record\n", off, len);
		free(val);
		return 1;
	}
	pos = off >= 0 ? (size_t)off : len - (size_t)-off;
	val[pos] ^= 0x01;
	ret = audit_put(t, dbi, seq, val, len);
	free(val);
	if (ret == 0)
		printf("flipped byte %zu of %zu in audit record %llu\n", pos, len,
		       (unsigned long long)seq);
	return ret;
}

static int
audit_del(MDB_txn *t, char **argv)
{
	uint8_t key[8];
	uint64_t seq;
	MDB_dbi dbi;
	MDB_val k;
	int rc;

	if (parse_u64(argv[0], &seq) < 0) {
		usage();
		return 2;
	}
	if (dbi_open(t, "audit", &dbi) != 0)
		return 1;
	store_be64(key, seq);
	k.mv_size = sizeof(key);
	k.mv_data = key;
	rc = mdb_del(t, dbi, &k, NULL);
	if (rc != 0) {
		fprintf(stderr, "store-edit: cannot delete audit record %llu: %s\n",
		        (unsigned long long)seq, mdb_strerror(rc));
		return 1;
	}
	printf("deleted audit record %llu\n", (unsigned long long)seq);
	return 0;
}

static int
audit_swap(MDB_txn *t, char **argv)
{
	uint64_t s1, s2;
	uint8_t *v1 = NULL, *v2 = NULL;
	size_t l1, l2;
	MDB_dbi dbi;
	int ret = 1;

	if (parse_u64(argv[0], &s1) < 0 || parse_u64(argv[1], &s2) < 0 || s1 == s2) {
		usage();
		return 2;
	}
	if (dbi_open(t, "audit", &dbi) != 0)
		return 1;
	if (audit_get(t, dbi, s1, &v1, &l1) == 0 && audit_get(t, dbi, s2, &v2, &l2) == 0 &&
	    audit_put(t, dbi, s1, v2, l2) == 0 && audit_put(t, dbi, s2, v1, l1) == 0) {
		printf("swapped audit records %llu (%zu bytes) and %llu (%zu bytes)\n",
		       (unsigned long long)s1, l1, (unsigned long long)s2, l2);
		ret = 0;
	}
	free(v1);
	free(v2);
	return ret;
}

static int
audit_stat(MDB_txn *t)
{
	unsigned long long bytes = 0, entries = 0;
	MDB_cursor *cur;
	MDB_stat st;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc;

	if (dbi_open(t, "audit", &dbi) != 0)
		return 1;
	rc = mdb_stat(t, dbi, &st);
	if (rc == 0)
		rc = mdb_cursor_open(t, dbi, &cur);
	if (rc != 0) {
		fprintf(stderr, "store-edit: audit: %s\n", mdb_strerror(rc));
		return 1;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		bytes += k.mv_size + v.mv_size;
		entries++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		fprintf(stderr, "store-edit: walking audit: %s\n", mdb_strerror(rc));
		return 1;
	}
	printf("entries %llu bytes %llu pages_bytes %llu\n", entries, bytes,
	       (unsigned long long)st.ms_psize *
	               (unsigned long long)(st.ms_branch_pages + st.ms_leaf_pages +
	                                    st.ms_overflow_pages));
	return 0;
}

/* One decoded audit record on a line; "SEQ undecodable (N bytes)" when it does not parse. */
static void
audit_print(uint64_t key_seq, const uint8_t *p, size_t n)
{
	size_t o = 0, comm_len, name_len;
	uint32_t owner, version;

	if (n < 38 + 1 + AUDIT_LINK)
		goto bad;
	comm_len = p[37];
	o = 38 + comm_len;
	if (o + 1 + AUDIT_LINK > n)
		goto bad;
	printf("%llu flags=%u fmt=%u seq=%llu time=%llu uid=%u gid=%u pid=%u count=%u status=%u "
	       "op=%u comm=%.*s target=",
	       (unsigned long long)key_seq, p[1], p[0], (unsigned long long)load_be64(p + 2),
	       (unsigned long long)load_be64(p + 10), load_be32(p + 18), load_be32(p + 22),
	       load_be32(p + 26), load_be32(p + 30), load_be16(p + 34), p[36], (int)comm_len,
	       (const char *)p + 38);
	if (p[o] == 0) {
		printf("-");
		o += 1;
	} else {
		if (o + 1 + 4 + 1 > n)
			goto badtail;
		owner = load_be32(p + o + 1);
		name_len = p[o + 5];
		if (o + 6 + name_len + 4 + AUDIT_LINK > n)
			goto badtail;
		version = load_be32(p + o + 6 + name_len);
		printf("%u:%.*s", owner, (int)name_len, (const char *)p + o + 6);
		if (version != 0)
			printf("@%u", version);
		o += 6 + name_len + 4;
	}
	printf(" len=%zu%s\n", n, o + AUDIT_LINK == n ? "" : " (trailing bytes)");
	return;
badtail:
	printf("? len=%zu (bad target)\n", n);
	return;
bad:
	printf("%llu undecodable (%zu bytes)\n", (unsigned long long)key_seq, n);
}

static int
audit_list(MDB_txn *t)
{
	MDB_cursor *cur;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc;

	if (dbi_open(t, "audit", &dbi) != 0)
		return 1;
	rc = mdb_cursor_open(t, dbi, &cur);
	if (rc != 0) {
		fprintf(stderr, "store-edit: audit: %s\n", mdb_strerror(rc));
		return 1;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		audit_print(k.mv_size == 8 ? load_be64(k.mv_data) : 0, v.mv_data, v.mv_size);
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		fprintf(stderr, "store-edit: walking audit: %s\n", mdb_strerror(rc));
		return 1;
	}
	return 0;
}

/* A key as owner:name[@version] when it has the meta/blob shape, else hex. */
static void
print_key(const char *db, const MDB_val *k)
{
	const uint8_t *p = k->mv_data;
	size_t n = k->mv_size, name_len;
	bool blob = strcmp(db, "blob") == 0, printable = true;

	if ((strcmp(db, "meta") == 0 || strcmp(db, "usage") == 0 || blob) &&
	    n > (blob ? 9u : 4u)) {
		name_len = n - 4 - (blob ? 5u : 0u);
		for (size_t i = 0; i < name_len; i++)
			if (p[4 + i] < 0x21 || p[4 + i] > 0x7e)
				printable = false;
		if (printable && (!blob || p[4 + name_len] == 0)) {
			printf("%u:%.*s", load_be32(p), (int)name_len, (const char *)p + 4);
			if (blob)
				printf("@%u", load_be32(p + 5 + name_len));
			return;
		}
	}
	if (strcmp(db, "audit") == 0 && n == 8) {
		printf("#%llu", (unsigned long long)load_be64(p));
		return;
	}
	if (strcmp(db, "sys") == 0) {
		printf("%.*s", (int)n, (const char *)p);
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int
dump(MDB_txn *t)
{
	for (size_t i = 0; i < sizeof(db_names) / sizeof(db_names[0]); i++) {
		MDB_cursor *cur;
		MDB_dbi dbi;
		MDB_val k, v;
		size_t count = 0;
		int rc;

		if (mdb_dbi_open(t, db_names[i], 0, &dbi) != 0) {
			printf("%s: absent\n", db_names[i]);
			continue;
		}
		rc = mdb_cursor_open(t, dbi, &cur);
		if (rc != 0) {
			fprintf(stderr, "store-edit: cursor: %s\n", mdb_strerror(rc));
			return 1;
		}
		printf("%s:\n", db_names[i]);
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			printf("  ");
			print_key(db_names[i], &k);
			printf(" (%zu bytes)\n", v.mv_size);
			count++;
		}
		mdb_cursor_close(cur);
		if (rc != MDB_NOTFOUND) {
			fprintf(stderr, "store-edit: walking %s: %s\n", db_names[i],
			        mdb_strerror(rc));
			return 1;
		}
		printf("  %zu entries\n", count);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *t;
	bool write;
	int rc, ret;

	if (argc < 3) {
		usage();
		return 2;
	}
	if (strcmp(argv[2], "move-blob") == 0 && argc == 8)
		write = true;
	else if (strcmp(argv[2], "flip-meta") == 0 && argc == 6)
		write = true;
	else if (strcmp(argv[2], "dump") == 0 && argc == 3)
		write = false;
	else if (strcmp(argv[2], "audit-flip") == 0 && (argc == 4 || argc == 5))
		write = true;
	else if (strcmp(argv[2], "audit-del") == 0 && argc == 4)
		write = true;
	else if (strcmp(argv[2], "audit-swap") == 0 && argc == 5)
		write = true;
	else if ((strcmp(argv[2], "audit-stat") == 0 || strcmp(argv[2], "audit-list") == 0) &&
	         argc == 3)
		write = false;
	else {
		usage();
		return 2;
	}
	if (env_open(argv[1], &env) != 0)
		return 1;
	rc = mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, &t);
	if (rc != 0) {
		fprintf(stderr, "store-edit: cannot begin a transaction: %s\n", mdb_strerror(rc));
		mdb_env_close(env);
		return 1;
	}
	if (strcmp(argv[2], "move-blob") == 0)
		ret = move_blob(t, argv + 3);
	else if (strcmp(argv[2], "flip-meta") == 0)
		ret = flip_meta(t, argv + 3);
	else if (strcmp(argv[2], "audit-flip") == 0)
		ret = audit_flip(t, argc - 3, argv + 3);
	else if (strcmp(argv[2], "audit-del") == 0)
		ret = audit_del(t, argv + 3);
	else if (strcmp(argv[2], "audit-swap") == 0)
		ret = audit_swap(t, argv + 3);
	else if (strcmp(argv[2], "audit-stat") == 0)
		ret = audit_stat(t);
	else if (strcmp(argv[2], "audit-list") == 0)
		ret = audit_list(t);
	else
		ret = dump(t);
	if (ret == 0 && write) {
		rc = mdb_txn_commit(t);
		if (rc != 0) {
			fprintf(stderr, "store-edit: commit: %s\n", mdb_strerror(rc));
			ret = 1;
		}
	} else {
		mdb_txn_abort(t);
	}
	mdb_env_close(env);
	return ret;
}
