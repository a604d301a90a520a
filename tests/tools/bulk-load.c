/* SPDX-License-Identifier: MIT */
/*
 * bulk-load: make a new store holding COUNT secrets without an agent, for
 * make bench's 1,000,000-secret figures (a million PUT round trips, each a
 * synced commit, would take far too long).
 *
 *   bulk-load [-l LEN] [-b BATCH] [-m MAP_MIB] DIR COUNT PREFIX
 *
 * Creates DIR (0700) if needed and in it a new store with a keyfile slot
 * (DIR/credagent.key, as a first start of credagentd -d DIR makes), then
 * writes COUNT secrets of the calling uid named PREFIX followed by a
 * 7-digit index (PREFIX0000000, PREFIX0000001, ...), each one version of a
 * random LEN-byte value (default 32), type generic, 10 versions kept. It
 * uses the agent's own code: store_open() and keys_open() make the store
 * and its keys, record_encode() the metadata records and seal_blob() the
 * sealed values, so credagentd -d DIR serves them as if they had been put.
 * No audit records or usage counters are written.
 *
 * Speed: BATCH secrets (default 100000) per transaction, committed without
 * a sync (one sync at the end), records appended in key order (the names
 * sort as they are made, so the B-trees fill their pages). The map is
 * MAP_MIB MiB (default: enough for COUNT); the agent opening the store
 * later keeps at least that. Prints "loaded N secrets in S s (R/s), store
 * B bytes". Exit status: 0 done, 1 failed (DIR already holding secrets
 * that sort after PREFIX's included), 2 usage.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/smem.h"
#include "agent/keys.h"
#include "agent/record.h"
#include "agent/seal.h"
#include "agent/store.h"

#define COUNT_MAX 9999999ul /* 7 digits */
#define LEN_MAX   (64ul << 10)

static const uint8_t type_generic[] = "generic";

struct loader {
	struct store *s;
	struct keys *k;
	uint8_t *dek;   /* locked scratch for seal_blob() */
	uint8_t *plain; /* locked, LEN bytes */
	size_t len;
	uint32_t owner;
	uint64_t now;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append one value of DB under KEY, reserved for the caller to fill. */
static int
append(MDB_txn *t, MDB_dbi db, const uint8_t *key, size_t klen, size_t vlen, uint8_t **ret)
{
	MDB_val k = {klen, (void *)(uintptr_t)key}, v = {vlen, NULL};
	int rc = mdb_put(t, db, &k, &v, MDB_APPEND | MDB_RESERVE);

	if (rc == MDB_KEYEXIST) {
		fprintf(stderr, "bulk-load: the store holds names that sort after the new ones\n");
		return -EEXIST;
	}
	if (rc != 0)
		return store_errno(rc);
	*ret = v.mv_data;
	return 0;
}

/* One secret, NAME, version 1: its sealed value, then its record. */
static int
load_one(struct loader *l, MDB_txn *t, const uint8_t *name, size_t name_len)
{
	uint8_t key[STORE_BLOB_KEY_MAX], ver[RECORD_VERSION_ENTRY], *out;
	struct meta_rec m = {.version = 1,
	                     .state = PROTO_STATE_ACTIVE,
	                     .max_versions = RECORD_MAX_VERSIONS_DEFAULT,
	                     .created = l->now,
	                     .updated = l->now,
	                     .type = {type_generic, 7},
	                     .n_versions = 1,
	                     .versions = ver};
	struct seal_aad aad = {l->owner, m.id, name, name_len, 1, m.type.ptr, m.type.len};
	size_t klen;
	int r;

	randombytes_buf(m.id, sizeof(m.id));
	randombytes_buf(l->plain, l->len);
	buf_store_u32(ver, 1);
	buf_store_u64(ver + 4, l->now);
	buf_store_u32(ver + 12, l->owner);
	klen = store_blob_key(key, l->owner, name, name_len, 1);
	r = append(t, l->s->blob, key, klen, seal_blob_size(l->len), &out);
	if (r < 0)
		return r;
	r = seal_blob(l->k, l->dek, &aad, l->plain, l->len, out);
	if (r < 0)
		return r;
	klen = store_meta_key(key, l->owner, name, name_len);
	r = append(t, l->s->meta, key, klen, record_size(&m), &out);
	if (r < 0)
		return r;
	record_encode(l->k, key, klen, &m, out);
	return 0;
}

static int
load(struct loader *l, const char *prefix, unsigned long count, unsigned long batch)
{
	uint8_t name[PROTO_NAME_MAX + 1];
	unsigned long i = 0, end;
	MDB_txn *t;
	int n, r = 0;

	while (r == 0 && i < count) {
		r = store_txn_begin(l->s, NULL, &t);
		if (r < 0)
			break;
		end = i + batch < count ? i + batch : count;
		for (; r == 0 && i < end; i++) {
			n = snprintf((char *)name, sizeof(name), "%s%07lu", prefix, i);
			r = n > 0 && (size_t)n < sizeof(name) ? load_one(l, t, name, (size_t)n)
			                                      : -ENAMETOOLONG;
		}
		if (r == 0)
			r = store_txn_commit(t);
		else
			store_txn_abort(t);
	}
	if (r == 0)
		r = store_errno(mdb_env_sync(l->s->env, 1));
	return r;
}

static int
parse_ul(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' && *ret >= min && *ret <= max
	               ? 0
	               : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bulk-load [-l LEN] [-b BATCH] [-m MAP_MIB] DIR COUNT PREFIX\n");
}

int
main(int argc, char **argv)
{
	struct loader l = {.len = 32};
	unsigned long count, batch = 100000, len = 32, map_mib = 0;
	uint64_t secrets = 0, bytes = 0;
	char keyfile[4096], err[512] = "";
	double t0;
	int c, r;

	while ((c = getopt(argc, argv, "l:b:m:")) != -1) {
		if ((c == 'l' && parse_ul(optarg, 1, LEN_MAX, &len) == 0) ||
		    (c == 'b' && parse_ul(optarg, 1, 10000000, &batch) == 0) ||
		    (c == 'm' && parse_ul(optarg, 1, 1ul << 20, &map_mib) == 0))
			continue;
		usage();
		return 2;
	}
	if (argc - optind != 3 || parse_ul(argv[optind + 1], 0, COUNT_MAX, &count) < 0 ||
	    strlen(argv[optind + 2]) + 7 > PROTO_NAME_MAX) {
		usage();
		return 2;
	}
	if (map_mib == 0) /* about 0.4 KiB a secret once appended, and room */
		map_mib = 64 + (count * (len + 600) >> 20);
	l.len = len;
	l.owner = (uint32_t)getuid();
	l.now = (uint64_t)time(NULL);
	if (smem_init() < 0) {
		fprintf(stderr, "bulk-load: cannot initialise libsodium\n");
		return 1;
	}
	log_init("bulk-load");
	if (mkdir(argv[optind], 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "bulk-load: cannot create %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	snprintf(keyfile, sizeof(keyfile), "%s/credagent.key", argv[optind]);
	l.dek = smem_alloc(SEAL_KEY_SIZE);
	l.plain = smem_alloc(len);
	if (l.dek == NULL || l.plain == NULL) {
		fprintf(stderr, "bulk-load: cannot lock memory\n");
		return 1;
	}
	t0 = now_s();
	r = store_open(argv[optind], (size_t)map_mib << 20, &l.s);
	if (r < 0) {
		fprintf(stderr, "bulk-load: cannot open the store in %s: %s\n", argv[optind],
		        strerror(-r));
		return 1;
	}
	r = keys_open(l.s, keyfile, &l.k, err, sizeof(err));
	if (r == 0 && keys_locked(l.k))
		r = -ENOKEY;
	if (r == 0)
		r = store_errno(mdb_env_set_flags(l.s->env, MDB_NOSYNC, 1));
	if (r == 0)
		r = load(&l, argv[optind + 2], count, batch);
	if (r == 0)
		r = store_stats(l.s, &secrets, &bytes);
	t0 = now_s() - t0;
	if (r < 0)
		fprintf(stderr, "bulk-load: %s\n", err[0] != '\0' ? err : strerror(-r));
	else
		printf("loaded %lu secrets in %.1f s (%.0f/s), store %llu bytes\n", count, t0,
		       t0 > 0 ? (double)count / t0 : 0.0, (unsigned long long)bytes);
	keys_free(l.k);
	store_close(l.s);
	smem_free(l.dek);
	smem_free(l.plain);
	return r < 0 ? 1 : 0;
}
