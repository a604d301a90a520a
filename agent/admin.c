/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/readpass.h"
#include "common/smem.h"
#include "admin.h"
#include "keys.h"
#include "sock.h"
#include "store.h"

int
admin_kdf_level(const char *name, uint64_t *ret_ops, uint64_t *ret_mem)
{
	static const struct {
		const char *name;
		uint64_t ops, mem;
	} levels[] = {
		{"min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN},
		{"interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE},
		{"moderate", crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE},
		{"sensitive", crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE},
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*ret_ops = levels[i].ops;
			*ret_mem = levels[i].mem;
			return 0;
		}
	}
	return -EINVAL;
}

/* A new passphrase from the tty (twice) or one line of stdin. */
static int
read_new_passphrase(char *buf, char *again, size_t size, size_t *ret_len)
{
	size_t n;

	if (isatty(STDIN_FILENO)) {
		int r = readpass("New passphrase: ", buf, size);

		if (r == 0)
			r = readpass("Again: ", again, size);
		if (r < 0)
			return r;
		if (strcmp(buf, again) != 0) {
			fprintf(stderr, "credagentd: the passphrases differ\n");
			return -EINVAL;
		}
	} else {
		/* Byte by byte into locked memory: no stdio buffer keeps a copy. */
		bool got = false;

		n = 0;
		while (n + 1 < size && read(STDIN_FILENO, buf + n, 1) == 1) {
			got = true;
			if (buf[n] == '\n')
				break;
			n++;
		}
		buf[n] = '\0';
		if (!got) {
			fprintf(stderr, "credagentd: no passphrase on stdin\n");
			return -EINVAL;
		}
	}
	n = strcspn(buf, "\n");
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "credagentd: an empty passphrase protects nothing\n");
		return -EINVAL;
	}
	*ret_len = n;
	return 0;
}

int
admin_init_passphrase(const struct agent_config *cfg)
{
	char err[256] = "", *buf = smem_alloc(2 * (PROTO_PASSPHRASE_MAX + 2));
	struct store *s = NULL;
	size_t len = 0;
	int r;

	if (buf == NULL) {
		fprintf(stderr, "credagentd: cannot lock memory for the passphrase\n");
		return 1;
	}
	r = read_new_passphrase(buf, buf + PROTO_PASSPHRASE_MAX + 2, PROTO_PASSPHRASE_MAX + 1,
				&len);
	if (r == 0 && (r = sock_private_dir(cfg->state_dir, err, sizeof(err))) == 0 &&
	    (r = store_open(cfg->state_dir, cfg->map_size, &s)) == 0)
		r = keys_init_passphrase(s, (const uint8_t *)buf, len, cfg->kdf_ops, cfg->kdf_mem,
					 err, sizeof(err));
	smem_free(buf);
	store_close(s);
	if (r < 0) {
		if (err[0] != '\0')
			fprintf(stderr, "credagentd: %s: %s\n", cfg->state_dir, err);
		return 1;
	}
	fprintf(stderr,
		"credagentd: a store in %s opens with that passphrase only; the agent starts "
		"locked: run cred unlock\n",
		cfg->state_dir);
	return 0;
}

static int
copy_file(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			off += w;
		}
	}
	return n < 0 ? -errno : fsync(out) < 0 ? -errno : 0;
}

/*
 * Whether FD holds an LMDB environment whose newest meta page fits the
 * file. Checked before LMDB maps it: a truncated or foreign file would
 * fault inside the library instead of failing.
 */
static bool
looks_like_lmdb(int fd)
{
	/* MDB_meta on x86-64, after the 16-byte page header: magic, version,
	 * address, mapsize, then two 48-byte MDB_db (the first's md_pad is the
	 * page size), last page, txnid. */
	enum { MAGIC = 16, VERSION = 20, PSIZE = 40, LAST_PG = 136, TXNID = 144, END = 152 };
	uint8_t m[END];
	uint64_t best_txn = 0, need = 0;
	uint32_t psize = 0;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 2 * 4096)
		return false;
	for (int i = 0; i < 2; i++) {
		uint32_t magic, ver, ps;
		uint64_t last, txn;
		off_t at = i == 0 ? 0 : (off_t)psize;

		if (i == 1 && (psize < 512 || psize > 65536 || (off_t)psize * 2 > st.st_size))
			return false;
		if (pread(fd, m, sizeof(m), at) != (ssize_t)sizeof(m))
			return false;
		memcpy(&magic, m + MAGIC, 4);
		memcpy(&ver, m + VERSION, 4);
		memcpy(&ps, m + PSIZE, 4);
		memcpy(&last, m + LAST_PG, 8);
		memcpy(&txn, m + TXNID, 8);
		if (magic != 0xBEEFC0DEu || ver != 1)
			return false;
		if (i == 0)
			psize = ps;
		if (ps != psize || last > (uint64_t)st.st_size / psize)
			return false;
		if (txn >= best_txn) {
			best_txn = txn;
			need = (last + 1) * psize;
		}
	}
	return need <= (uint64_t)st.st_size;
}

/* Whether DIR's data.mdb is a credagent store. */
static bool
is_store(const struct agent_config *cfg)
{
	struct proto_bytes v;
	struct store *s;
	MDB_txn *t;
	bool ok = false;

	if (store_open(cfg->state_dir, cfg->map_size, &s) < 0)
		return false;
	if (store_read_begin(s, &t) == 0) {
		ok = store_get(t, s->sys, "format", 6, &v) == 0;
		store_read_end(s);
	}
	store_close(s);
	return ok;
}

int
admin_restore(const struct agent_config *cfg, const char *file)
{
	char err[256] = "", data[PATH_MAX], tmp[PATH_MAX];
	int in, out, r;

	snprintf(data, sizeof(data), "%s/data.mdb", cfg->state_dir);
	snprintf(tmp, sizeof(tmp), "%s/data.mdb.restore", cfg->state_dir);
	if (sock_private_dir(cfg->state_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "credagentd: %s\n", err);
		return 1;
	}
	if (access(data, F_OK) == 0) {
		fprintf(stderr, "credagentd: %s already holds a store; restore into an empty directory\n",
			cfg->state_dir);
		return 1;
	}
	in = open(file, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "credagentd: cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (!looks_like_lmdb(in)) {
		close(in);
		fprintf(stderr, "credagentd: %s is not a credagent backup (not an LMDB store)\n",
			file);
		return 1;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	r = out < 0 ? -errno : copy_file(in, out);
	close(in);
	if (out >= 0)
		close(out);
	if (r == 0 && rename(tmp, data) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		fprintf(stderr, "credagentd: cannot restore into %s: %s\n", cfg->state_dir, strerror(-r));
		return 1;
	}
	if (!is_store(cfg)) {
		char lock[PATH_MAX];

		snprintf(lock, sizeof(lock), "%s/lock.mdb", cfg->state_dir);
		unlink(data);
		unlink(lock);
		fprintf(stderr, "credagentd: %s is not a credagent backup\n", file);
		return 1;
	}
	fprintf(stderr,
		"credagentd: restored %s into %s; it opens with its own keyslots (the keyfile is "
		"not in a backup: put it in place, or use --keyfile)\n",
		file, cfg->state_dir);
	return 0;
}
