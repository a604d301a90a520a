/* SPDX-License-Identifier: MIT */
/* LOCK, UNLOCK, PASSWD, KEYSLOT_LIST, KEYSLOT_ADD, KEYSLOT_RM, BACKUP and
 * REKEY: the agent's keys. Passphrases travel only in the request frame, which
 * libcred_call() sizes exactly and zeroes after sending. */

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/libcred-int.h"

/* The public numbers are the wire's. */
_Static_assert(CRED_PASSPHRASE_MAX == PROTO_PASSPHRASE_MAX, "passphrase limit");
_Static_assert(CRED_KEYSLOTS_MAX == PROTO_SLOTS_MAX, "keyslot numbers");
_Static_assert((int)CRED_KEYSLOT_KEYFILE == (int)PROTO_SLOT_KEYFILE, "keyslot kind");
_Static_assert((int)CRED_KEYSLOT_PASSPHRASE == (int)PROTO_SLOT_PASSPHRASE, "keyslot kind");
_Static_assert((unsigned)CRED_REKEY_RESEAL == (unsigned)PROTO_REKEY_RESEAL, "rekey flag");

/* One keys request; TYPE says which. */
struct keys_req {
	uint8_t type;
	struct proto_keys_req m;
};

static int
encode_keys(struct buf_writer *w, uint32_t reqid, const void *msg)
{
	const struct keys_req *q = msg;

	return proto_encode_keys(w, q->type, reqid, &q->m);
}

const char *
cred_keyslot_kind_name(int kind)
{
	return kind < 0 ? NULL : proto_slot_kind_name((uint32_t)kind);
}

int
libcred_pass_fill(cred_conn *c, const char *p, size_t len, bool *has, struct proto_bytes *ret)
{
	if (p == NULL || len == 0) {
		libcred_msg_printf(c, "empty passphrase");
		return -CRED_E_USAGE;
	}
	if (len > CRED_PASSPHRASE_MAX) {
		libcred_msg_printf(c, "passphrase too long (%zu bytes; at most %u)", len,
		                   CRED_PASSPHRASE_MAX);
		return -CRED_E_USAGE;
	}
	*has = true;
	*ret = (struct proto_bytes){.ptr = (const uint8_t *)p, .len = len};
	return 0;
}

int
libcred_fd_check(cred_conn *c, int fd, bool write)
{
	int fl, acc;

	if (fd < 0 || (fl = fcntl(fd, F_GETFL)) < 0 || (fl & O_PATH) != 0) {
		libcred_msg_printf(c, "bad file descriptor");
		return -CRED_E_USAGE;
	}
	acc = fl & O_ACCMODE;
	if (write ? acc == O_RDONLY : acc == O_WRONLY) {
		libcred_msg_printf(c, "the file descriptor is not open for %s",
		                   write ? "writing" : "reading");
		return -CRED_E_USAGE;
	}
	return 0;
}

/* A request answered by a simple reply, with PASS_FD (-1: none). */
static int
keys_call(cred_conn *c, const struct keys_req *q, int pass_fd)
{
	struct proto_simple_reply sr;
	struct libcred_reply rep;
	int r;

	r = libcred_call_fd(c, q->type, encode_keys, q, 0, pass_fd, &rep);
	if (r < 0)
		return r;
	if (proto_decode_simple_reply(rep.frame.body, &sr) < 0)
		r = -CRED_E_PROTOCOL;
	else
		libcred_msg_set(c, sr.message);
	libcred_reply_free(&rep);
	return r;
}

/* KEYSLOT_ADD, answered with the new slot's number. */
static int
slot_call(cred_conn *c, const struct keys_req *q, int pass_fd, uint32_t *ret_slot)
{
	struct libcred_reply rep;
	uint32_t slot;
	int r;

	r = libcred_call_fd(c, q->type, encode_keys, q, 0, pass_fd, &rep);
	if (r < 0)
		return r;
	if (proto_decode_slot_reply(rep.frame.body, &slot) < 0)
		r = -CRED_E_PROTOCOL;
	else if (ret_slot != NULL)
		*ret_slot = slot;
	libcred_reply_free(&rep);
	return r;
}

int
cred_lock(cred_conn *c)
{
	struct keys_req q = {.type = PROTO_MSG_LOCK};

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	return keys_call(c, &q, -1);
}

int
cred_unlock(cred_conn *c, const char *passphrase, size_t len)
{
	struct keys_req q = {.type = PROTO_MSG_UNLOCK};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	/* No passphrase: a store with a keyfile slot re-reads its keyfile. */
	if (passphrase != NULL || len != 0) {
		r = libcred_pass_fill(c, passphrase, len, &q.m.has_passphrase, &q.m.passphrase);
		if (r < 0)
			return r;
	}
	return keys_call(c, &q, -1);
}

int
cred_passwd(cred_conn *c, const char *old_pass, size_t old_len, const char *new_pass,
            size_t new_len, int slot)
{
	struct keys_req q = {.type = PROTO_MSG_PASSWD};
	int r;

	if (c == NULL || slot < -1)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_pass_fill(c, old_pass, old_len, &q.m.has_passphrase, &q.m.passphrase);
	if (r == 0)
		r = libcred_pass_fill(c, new_pass, new_len, &q.m.has_new_passphrase,
		                      &q.m.new_passphrase);
	if (r < 0)
		return r;
	q.m.has_slot = slot >= 0;
	q.m.slot = slot >= 0 ? (uint32_t)slot : 0;
	return keys_call(c, &q, -1);
}

/* One KEYSLOT group's content into *RET: 0 or -CRED_E_PROTOCOL. */
static int
keyslot_copy(struct proto_bytes group, struct cred_keyslot *ret)
{
	struct proto_keyslot ks;

	if (proto_decode_keyslot(group, &ks) < 0 || ks.kind > INT_MAX || ks.created > INT64_MAX)
		return -CRED_E_PROTOCOL;
	ret->slot = ks.slot;
	ret->kind = (int)ks.kind;
	ret->created = (int64_t)ks.created;
	return 0;
}

int
cred_keyslot_list(cred_conn *c, struct cred_keyslot_list **ret)
{
	struct keys_req q = {.type = PROTO_MSG_KEYSLOT_LIST};
	struct cred_keyslot_list *l = NULL;
	struct proto_list_span span;
	struct libcred_reply rep;
	struct proto_iter it;
	struct proto_bytes b;
	int r;

	if (c == NULL || ret == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_call(c, q.type, encode_keys, &q, 0, &rep);
	if (r < 0)
		return r;
	if (proto_decode_keyslot_list_reply(rep.frame.body, &span) < 0 ||
	    span.count > PROTO_SLOTS_MAX) {
		r = -CRED_E_PROTOCOL;
		goto out;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL ||
	    (l->items = calloc(span.count > 0 ? span.count : 1, sizeof(*l->items))) == NULL) {
		r = -CRED_E_NOMEM;
		goto out;
	}
	proto_iter_init(&it, &span);
	while (l->n < span.count && proto_iter_next(&it, &b) == 1) {
		r = keyslot_copy(b, &l->items[l->n]);
		if (r < 0)
			goto out;
		l->n++;
	}
	if (l->n != span.count) {
		r = -CRED_E_PROTOCOL;
		goto out;
	}
	*ret = l;
	l = NULL;
	r = 0;
out:
	cred_keyslot_list_free(l);
	libcred_reply_free(&rep);
	return r;
}

void
cred_keyslot_list_free(struct cred_keyslot_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	free(l);
}

int
cred_keyslot_add_passphrase(cred_conn *c, const char *pass, size_t len, uint32_t *ret_slot)
{
	struct keys_req q = {.type = PROTO_MSG_KEYSLOT_ADD};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_pass_fill(c, pass, len, &q.m.has_passphrase, &q.m.passphrase);
	if (r < 0)
		return r;
	q.m.slot_kind = PROTO_SLOT_PASSPHRASE;
	return slot_call(c, &q, -1, ret_slot);
}

int
cred_keyslot_add_keyfile(cred_conn *c, int fd, uint32_t *ret_slot)
{
	struct keys_req q = {.type = PROTO_MSG_KEYSLOT_ADD};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_fd_check(c, fd, false);
	if (r < 0)
		return r;
	q.m.slot_kind = PROTO_SLOT_KEYFILE;
	return slot_call(c, &q, fd, ret_slot);
}

int
cred_keyslot_rm(cred_conn *c, uint32_t slot)
{
	struct keys_req q = {.type = PROTO_MSG_KEYSLOT_RM};

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	q.m.has_slot = true;
	q.m.slot = slot;
	return keys_call(c, &q, -1);
}

int
cred_backup(cred_conn *c, int fd)
{
	struct keys_req q = {.type = PROTO_MSG_BACKUP};
	int r;

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	r = libcred_fd_check(c, fd, true);
	if (r < 0)
		return r;
	return keys_call(c, &q, fd);
}

int
cred_rekey(cred_conn *c, unsigned flags)
{
	struct keys_req q = {.type = PROTO_MSG_REKEY};

	if (c == NULL)
		return -CRED_E_USAGE;
	libcred_msg_clear(c);
	if ((flags & ~(unsigned)CRED_REKEY_RESEAL) != 0) {
		libcred_msg_printf(c, "unknown rekey flags 0x%x", flags);
		return -CRED_E_USAGE;
	}
	q.m.flags = flags;
	return keys_call(c, &q, -1);
}
