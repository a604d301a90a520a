/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_TESTS_LIBCRED_FAKE_H
#define CREDAGENT_TESTS_LIBCRED_FAKE_H

/*
 * A fake agent for tests/unit/test-libcred*.c: a thread serving one end of
 * a socketpair with the proto encoders, from a small fixed script of
 * secrets. It cannot use cmocka's asserts (they longjmp in the wrong
 * thread), so it counts failed checks in struct fake's errors, which the
 * test asserts on after joining the thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proto/proto.h"

#define S(s)           ((struct proto_bytes){(const uint8_t *)(s), sizeof(s) - 1})
#define FAKE_FRAME_MAX 4096u
#define SECRET         "s3cr\0et\n"

static bool
span_eq(struct proto_bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.ptr, s, b.len) == 0;
}

struct fake {
	int fd;
	int errors;   /* checks that failed in the thread */
	int requests; /* frames received after HELLO */
	uint32_t last_id;
	bool bad_id; /* answer the next request with a wrong id */
	uint8_t put_value[64];
	size_t put_len;
	uint32_t put_labels;
	bool put_cas;
	/* Lifecycle requests, as the fake saw them. */
	struct proto_rotate rotate; /* spans not valid after the call */
	uint8_t rotate_value[64];
	uint32_t rollback_to;
	bool purge_all;
	uint32_t purge_version;
	uint8_t last_type; /* of the last request */
	uint32_t label_set, label_remove;
	uint32_t list_labels;
	bool list_has_expiring;
	uint64_t list_expiring;
	uint32_t get_flags;
	/* Watching: the id of the last accepted WATCH, and EVENT frames to
	 * send around the reply to the next request (then reset). */
	uint32_t watch_id;
	int events_before;
	int events_after;
	uint32_t event_kind; /* enum proto_event to send; 0: ROTATED */
	bool event_bad_id;   /* tag them with an id no WATCH had */
	uint32_t events_sent;
	/* Access control: the last SHARE or UNSHARE (its name copied), and
	 * the owner of the last INFO, GET, LIST and named request. */
	uint8_t share_type;
	struct proto_share share; /* share.ref.name not valid after the call */
	char share_name[PROTO_NAME_MAX + 1];
	bool ref_has_owner;
	uint32_t ref_owner;
	uint32_t list_flags;
	/* Keys: the last keys request (its passphrases copied, NUL-ended),
	 * and the descriptors that came with frames as SCM_RIGHTS: the one
	 * of the frame being answered (has_frame_fd), how many came in all
	 * and with which request type the last one did. */
	struct proto_keys_req keys; /* spans not valid after the call */
	char keys_pass[PROTO_PASSPHRASE_MAX + 1];
	char keys_new_pass[PROTO_PASSPHRASE_MAX + 1];
	bool keys_locked; /* answer LOCKED but to LOCK and UNLOCK */
	uint32_t rekey_flags; /* of the last REKEY */
	bool rekey_busy;      /* answer REKEY with CONFLICT */
	bool has_frame_fd;
	int frame_fd;
	int fds_received;
	uint8_t fd_type;
	uint8_t keyfile[64]; /* what KEYSLOT_ADD's descriptor gave to read */
	size_t keyfile_len;
	/* PUT's quota fields, as sent. */
	uint32_t put_quota, put_quota_period;
	/* Export and import (libcred-fake-ext.h): the last request's
	 * passphrase (copied, NUL-ended), prefix and flags, what IMPORT's
	 * descriptor gave to read, and the inline entries seen. */
	bool xfer_has_pass;
	char xfer_pass[PROTO_PASSPHRASE_MAX + 1];
	char xfer_prefix[PROTO_NAME_MAX + 2];
	uint32_t xfer_flags;
	uint8_t bundle[64];
	size_t bundle_len;
	uint32_t import_entries;
	char import_names[4][PROTO_NAME_MAX + 1]; /* of the first four */
	char import_type[PROTO_TYPE_MAX + 1];     /* of the first */
	uint32_t import_labels;                   /* of the first */
	uint64_t import_expires;                  /* of the first; 0: none */
	uint8_t import_value[64];                 /* of the last */
	size_t import_value_len;
	bool import_busy; /* answer IMPORT with a CONFLICT of a message only */
	/* Audit and usage: the last AUDIT, USAGE, QUOTA and USAGE_RESET as
	 * seen (spans not valid after the call; the name and op copied),
	 * and how many AUDIT and USAGE pages were asked for. */
	struct proto_audit audit;
	char audit_name[PROTO_NAME_MAX + 1];
	char audit_op[PROTO_OP_MAX + 1];
	int audit_pages;
	bool audit_loop;   /* answer every AUDIT page with the same cursor */
	bool audit_broken; /* AUDIT_VERIFY finds the chain broken */
	struct proto_usage usage;
	char usage_prefix[PROTO_NAME_MAX + 2];
	int usage_pages;
	struct proto_quota quota;
	char quota_name[PROTO_NAME_MAX + 1];
	char reset_name[PROTO_NAME_MAX + 1];
	/* Typed secrets (libcred-fake-typed.h): the last typed PUT's type
	 * and value, and the last VERIFY as seen (name and message copied). */
	char typed_put_type[PROTO_TYPE_MAX + 1];
	uint8_t typed_put_value[1024];
	size_t typed_put_len;
	char verify_name[PROTO_NAME_MAX + 1];
	char verify_message[PROTO_VERIFY_MESSAGE_MAX + 1];
	uint32_t verify_status;
	bool verify_has_version;
	uint32_t verify_version;
};

/* Keeps the owner of a request's reference for the test to check. */
static void
fake_saw_ref(struct fake *f, bool has_owner, uint32_t owner)
{
	f->ref_has_owner = has_owner;
	f->ref_owner = owner;
}

#define FAKE_CHECK(f, cond)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fake agent: check failed at line %d: %s\n", __LINE__,     \
			        #cond);                                                            \
			(f)->errors++;                                                             \
		}                                                                                  \
	} while (0)

/* Keeps the descriptors of one received chunk's SCM_RIGHTS data: the
 * first of a frame as its descriptor; any more is an error (one per
 * frame), closed. */
static void
fake_take_fds(struct fake *f, struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	FAKE_CHECK(f, (mh->msg_flags & MSG_CTRUNC) == 0);
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			f->fds_received++;
			if (f->has_frame_fd) {
				fprintf(stderr, "fake agent: a second descriptor in a frame\n");
				f->errors++;
				close(fd);
				continue;
			}
			f->has_frame_fd = true;
			f->frame_fd = fd;
		}
	}
}

/* N bytes, with recvmsg(2) so that descriptors sent along arrive. */
static bool
read_n(struct fake *f, uint8_t *p, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	ssize_t k;

	while (n > 0) {
		iov = (struct iovec){.iov_base = p, .iov_len = n};
		mh = (struct msghdr){0};
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		k = recvmsg(f->fd, &mh, MSG_CMSG_CLOEXEC);
		if (k <= 0)
			return false;
		fake_take_fds(f, &mh);
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Writes N bytes (none: no write at all, so a client that has hung up
 * after its last reply does not make us write to a closed socket). */
static bool
send_n(int fd, const uint8_t *p, size_t n)
{
	return n == 0 || send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n;
}

static void
fake_meta(struct proto_meta *m, const char *name, struct proto_list_span labels)
{
	*m = (struct proto_meta){
	        .owner = 1000,
	        .name = {(const uint8_t *)name, strlen(name)},
	        .version = 2,
	        .type = S("generic"),
	        .state = PROTO_STATE_ACTIVE,
	        .max_versions = 10,
	        .has_expires = true,
	        .expires = 1800000000,
	        .created = 1700000000,
	        .updated = 1700000100,
	        .labels = labels,
	};
}

/* LIST "shared/": one page, the caller's own secret (SHARED absent),
 * uid 1001's seen through a grant and uid 1002's seen as an admin. */
static int
fake_list_shared(struct buf_writer *w, uint32_t id)
{
	struct proto_meta pm;
	size_t start;

	start = proto_reply_begin(w, PROTO_MSG_LIST, id, PROTO_OK);
	fake_meta(&pm, "shared/mine", (struct proto_list_span){0});
	proto_put_meta_entry(w, &pm);
	fake_meta(&pm, "shared/theirs", (struct proto_list_span){0});
	pm.owner = 1001;
	pm.shared = 1;
	proto_put_meta_entry(w, &pm);
	fake_meta(&pm, "shared/admin-view", (struct proto_list_span){0});
	pm.owner = 1002;
	proto_put_meta_entry(w, &pm);
	return proto_frame_end(w, start);
}

static int
fake_list(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	static const char *const page1[] = {"app/a", "app/b"};
	struct proto_list m;
	struct proto_meta pm;
	size_t start, i;

	if (proto_decode_list(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_LIST, id, PROTO_BAD_REQUEST, NULL, 0);
	fake_saw_ref(f, m.has_owner, m.owner);
	f->list_flags = m.flags;
	if (span_eq(m.prefix, "shared/"))
		return fake_list_shared(w, id);
	if (!span_eq(m.prefix, "app/"))
		return proto_encode_simple_reply(w, PROTO_MSG_LIST, id, PROTO_BAD_REQUEST, NULL, 0);
	f->list_labels = m.labels.count;
	f->list_has_expiring = m.has_expiring;
	f->list_expiring = m.expiring;
	start = proto_reply_begin(w, PROTO_MSG_LIST, id, PROTO_OK);
	if (m.cursor.len == 0) {
		for (i = 0; i < 2; i++) {
			fake_meta(&pm, page1[i], (struct proto_list_span){0});
			proto_put_meta_entry(w, &pm);
		}
		proto_put_bytes(w, PROTO_TAG_NEXT_CURSOR, "p2", 2);
	} else {
		fake_meta(&pm, "app/c", (struct proto_list_span){0});
		pm.state = PROTO_STATE_DELETED;
		pm.has_deleted = true;
		pm.deleted = 1700000200;
		proto_put_meta_entry(w, &pm);
	}
	return proto_frame_end(w, start);
}

/* INFO of app/granted, to its owner: three GRANT groups. Of
 * app/via-grant (uid 1001's): SHARED, no grants. */
static int
fake_info_grants(struct buf_writer *w, uint32_t id, const struct proto_named *m)
{
	const struct proto_grant grants[] = {
	        {.name = S("app/granted"), .created = 1700000300, .created_by = 1000,
	         .grantee = 1001, .perm = PROTO_PERM_READ},
	        {.name = S("app"), .created = 1700000400, .created_by = 1000,
	         .flags = PROTO_SHARE_PREFIX, .is_gid = true, .grantee = 100,
	         .perm = PROTO_PERM_WRITE},
	        {.name = S("app/granted"), .created = 1700000500, .created_by = 0,
	         .is_gid = true, .grantee = 0, .perm = PROTO_PERM_WRITE},
	};
	uint8_t gbuf[512];
	struct buf_writer gw;
	struct proto_meta pm;
	size_t i;

	if (span_eq(m->ref.name, "app/via-grant")) {
		fake_meta(&pm, "app/via-grant", (struct proto_list_span){0});
		pm.owner = 1001;
		pm.shared = 1;
		return proto_encode_info_reply(w, id, &pm);
	}
	buf_writer_init(&gw, gbuf, sizeof(gbuf));
	for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++)
		proto_put_grant(&gw, &grants[i]);
	fake_meta(&pm, "app/granted", (struct proto_list_span){0});
	pm.grants = (struct proto_list_span){{gbuf, gw.len}, 3};
	return proto_encode_info_reply(w, id, &pm);
}

/* INFO of app/used: a quota of 3 an hour, read 12 times (2 this hour),
 * last by uid 1001's curl, pid 4242. */
static int
fake_info_used(struct buf_writer *w, uint32_t id)
{
	struct proto_meta pm;

	fake_meta(&pm, "app/used", (struct proto_list_span){0});
	pm.quota = 3;
	pm.quota_period = PROTO_PERIOD_HOUR;
	pm.has_usage = true;
	pm.reads = 12;
	pm.period_reads = 2;
	pm.has_last_read = true;
	pm.last_read = 1700000500;
	pm.reader_uid = 1001;
	pm.reader_pid = 4242;
	pm.reader_comm = S("curl");
	return proto_encode_info_reply(w, id, &pm);
}

static int
fake_info(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	uint8_t lab[128], ver[128];
	struct buf_writer lw, vw;
	struct proto_named m;
	struct proto_meta pm;
	size_t g;
	uint32_t v;

	if (proto_decode_named(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_INFO, id, PROTO_BAD_REQUEST, NULL, 0);
	fake_saw_ref(f, m.ref.has_owner, m.ref.owner);
	if (span_eq(m.ref.name, "app/granted") || span_eq(m.ref.name, "app/via-grant"))
		return fake_info_grants(w, id, &m);
	if (span_eq(m.ref.name, "app/used"))
		return fake_info_used(w, id);
	buf_writer_init(&lw, lab, sizeof(lab));
	proto_put_string(&lw, PROTO_TAG_LABEL, "env=prod", 8);
	proto_put_string(&lw, PROTO_TAG_LABEL, "team=core", 9);
	buf_writer_init(&vw, ver, sizeof(ver));
	for (v = 2; v >= 1; v--) {
		g = proto_group_begin(&vw, PROTO_TAG_VERSIONS);
		proto_put_u32(&vw, PROTO_TAG_VERSION, v);
		proto_put_u64(&vw, PROTO_TAG_CREATED, 1700000000 + v);
		proto_put_u32(&vw, PROTO_TAG_CREATED_BY, 1000 + v);
		proto_group_end(&vw, g);
	}
	fake_meta(&pm, "app/token", (struct proto_list_span){{lab, lw.len}, 2});
	pm.versions = (struct proto_list_span){{ver, vw.len}, 2};
	return proto_encode_info_reply(w, id, &pm);
}

static int
fake_put(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	struct proto_put_reply pr = {.version = 3, .message = S("a warning")};
	struct proto_put m;

	if (proto_decode_put(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_PUT, id, PROTO_BAD_REQUEST, NULL, 0);
	FAKE_CHECK(f, span_eq(m.ref.name, "app/new"));
	FAKE_CHECK(f, m.ref.has_owner && m.ref.owner == 0);
	FAKE_CHECK(f, span_eq(m.type, "password"));
	FAKE_CHECK(f, m.has_expires && m.expires == 1800000000);
	FAKE_CHECK(f, m.has_max_versions && m.max_versions == 5);
	f->put_cas = m.has_cas && m.cas == 0;
	f->put_quota = m.quota;
	f->put_quota_period = m.quota_period;
	f->put_labels = m.labels.count;
	f->put_len = m.value.len < sizeof(f->put_value) ? m.value.len : sizeof(f->put_value);
	memcpy(f->put_value, m.value.ptr, f->put_len);
	return proto_encode_put_reply(w, id, &pr);
}

static int
fake_get(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	static const char msg[] = "no such secret";
	struct proto_get_reply gr = {.version = 2, .type = S("generic"), .value = S(SECRET)};
	struct proto_get m;

	if (proto_decode_get(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_GET, id, PROTO_BAD_REQUEST, NULL, 0);
	fake_saw_ref(f, m.ref.has_owner, m.ref.owner);
	f->get_flags = m.flags;
	/* app/expired expired at 1700000000: read only with ALLOW_EXPIRED. */
	if (span_eq(m.ref.name, "app/expired") && !(m.flags & PROTO_GET_ALLOW_EXPIRED))
		return proto_encode_simple_reply(w, PROTO_MSG_GET, id, PROTO_EXPIRED, "expired", 7);
	if (span_eq(m.ref.name, "app/expired")) {
		gr.message = S("expired at 2023-11-14T22:13:20Z");
		return proto_encode_get_reply(w, id, &gr);
	}
	if (!span_eq(m.ref.name, "app/token") || m.ref.has_owner)
		return proto_encode_simple_reply(w, PROTO_MSG_GET, id, PROTO_NOT_FOUND, msg,
		                                 sizeof(msg) - 1);
	gr.version = m.has_version ? m.version : 2;
	return proto_encode_get_reply(w, id, &gr);
}

/* ROTATE: version 4; a generated value is "0123456789abcdef..." cut to
 * the length asked. app/missing is NOT_FOUND. */
static int
fake_rotate(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	static const char gen[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct proto_rotate_reply rr = {.version = 4};
	struct proto_rotate m;

	if (proto_decode_rotate(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_ROTATE, id, PROTO_BAD_REQUEST, NULL,
		                                 0);
	if (span_eq(m.ref.name, "app/missing"))
		return proto_encode_simple_reply(w, PROTO_MSG_ROTATE, id, PROTO_NOT_FOUND, NULL, 0);
	f->rotate = m;
	f->rotate.value = (struct proto_bytes){0};
	if (m.has_value) {
		f->rotate.value.len = m.value.len < sizeof(f->rotate_value)
		                              ? m.value.len
		                              : sizeof(f->rotate_value);
		memcpy(f->rotate_value, m.value.ptr, f->rotate.value.len);
	}
	if (m.flags & PROTO_ROTATE_PRINT) {
		FAKE_CHECK(f, m.gen_length > 0 && m.gen_length < sizeof(gen));
		rr.has_value = true;
		rr.value = (struct proto_bytes){(const uint8_t *)gen, m.gen_length};
	}
	return proto_encode_rotate_reply(w, id, &rr);
}

static int
fake_versioned(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_versioned m;
	size_t start;

	if (proto_decode_versioned(fr->body, fr->type, &m) < 0)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_BAD_REQUEST, NULL,
		                                 0);
	if (fr->type == PROTO_MSG_ROLLBACK) {
		f->rollback_to = m.version;
		if (m.version > 2)
			return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_NOT_FOUND,
			                                 "no version 9", 12);
		/* A PUT reply's body under the ROLLBACK reply type. */
		start = proto_reply_begin(w, PROTO_MSG_ROLLBACK, fr->reqid, PROTO_OK);
		proto_put_u32(w, PROTO_TAG_VERSION, 5);
		return proto_frame_end(w, start);
	}
	f->purge_all = !m.has_version;
	f->purge_version = m.version;
	return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_OK, NULL, 0);
}

static int
fake_label(struct fake *f, struct buf_writer *w, uint32_t id, struct proto_bytes body)
{
	struct proto_label m;
	struct proto_iter it;
	struct proto_bytes b;

	if (proto_decode_label(body, &m) < 0)
		return proto_encode_simple_reply(w, PROTO_MSG_LABEL, id, PROTO_BAD_REQUEST, NULL, 0);
	f->label_set = m.set.count;
	f->label_remove = m.remove.count;
	proto_iter_init(&it, &m.remove);
	if (m.remove.count > 0)
		FAKE_CHECK(f, proto_iter_next(&it, &b) == 1 && span_eq(b, "old"));
	return proto_encode_simple_reply(w, PROTO_MSG_LABEL, id, PROTO_OK, NULL, 0);
}

/* UNDELETE, DISABLE, ENABLE and WATCH: app/missing is NOT_FOUND. */
static int
fake_named(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_named m;

	if (proto_decode_named(fr->body, &m) < 0)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_BAD_REQUEST, NULL,
		                                 0);
	fake_saw_ref(f, m.ref.has_owner, m.ref.owner);
	if (span_eq(m.ref.name, "app/missing"))
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_NOT_FOUND, NULL, 0);
	if (fr->type == PROTO_MSG_WATCH)
		f->watch_id = fr->reqid;
	return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_OK, NULL, 0);
}

/* SHARE and UNSHARE: app/missing is NOT_FOUND (not visible), app/theirs
 * DENIED (visible, not the caller's), app/busy RATE_LIMITED. */
static int
fake_share(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	static const char denied[] = "only the owner may share";
	struct proto_share m;

	if (proto_decode_share(fr->body, fr->type, &m) < 0)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_BAD_REQUEST, NULL,
		                                 0);
	f->share_type = fr->type;
	f->share = m;
	memcpy(f->share_name, m.ref.name.ptr, m.ref.name.len);
	f->share_name[m.ref.name.len] = '\0';
	f->share.ref.name = (struct proto_bytes){0};
	fake_saw_ref(f, m.ref.has_owner, m.ref.owner);
	if (span_eq(m.ref.name, "app/missing"))
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_NOT_FOUND, NULL, 0);
	if (span_eq(m.ref.name, "app/theirs"))
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_DENIED, denied,
		                                 sizeof(denied) - 1);
	if (span_eq(m.ref.name, "app/busy"))
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_RATE_LIMITED, NULL,
		                                 0);
	return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_OK, NULL, 0);
}

/* KEYSLOT_LIST: slot 0 a keyfile, slot 3 a passphrase. */
static int
fake_keyslot_list(struct buf_writer *w, uint32_t id)
{
	const struct proto_keyslot slots[] = {
	        {.slot = 0, .kind = PROTO_SLOT_KEYFILE, .created = 1700000000},
	        {.slot = 3, .kind = PROTO_SLOT_PASSPHRASE, .created = 1700000600},
	};
	size_t start, i;

	start = proto_reply_begin(w, PROTO_MSG_KEYSLOT_LIST, id, PROTO_OK);
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		proto_put_keyslot(w, &slots[i]);
	return proto_frame_end(w, start);
}

/* What BACKUP writes to the descriptor it gets. */
#define FAKE_BACKUP "credagent backup: sealed pages\n"

/* A descriptor's request: BACKUP writes FAKE_BACKUP to it, KEYSLOT_ADD
 * of a keyfile reads it. No descriptor: BAD_REQUEST. */
static int
fake_keys_fd(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	ssize_t k;

	if (!f->has_frame_fd)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_BAD_REQUEST,
		                                 "no descriptor", 13);
	f->fd_type = fr->type;
	if (fr->type == PROTO_MSG_BACKUP) {
		k = write(f->frame_fd, FAKE_BACKUP, sizeof(FAKE_BACKUP) - 1);
		FAKE_CHECK(f, k == (ssize_t)sizeof(FAKE_BACKUP) - 1);
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_OK, NULL, 0);
	}
	k = read(f->frame_fd, f->keyfile, sizeof(f->keyfile));
	f->keyfile_len = k > 0 ? (size_t)k : 0;
	if (f->keyfile_len != 32)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_USAGE,
		                                 "a keyfile holds 32 bytes", 24);
	return proto_encode_slot_reply(w, fr->reqid, 4);
}

static void
fake_copy_pass(char *dst, struct proto_bytes b, bool has)
{
	size_t n = has && b.len <= PROTO_PASSPHRASE_MAX ? b.len : 0;

	if (n > 0)
		memcpy(dst, b.ptr, n);
	dst[n] = '\0';
}

/*
 * LOCK, UNLOCK, PASSWD, KEYSLOT_LIST, KEYSLOT_ADD, KEYSLOT_RM, BACKUP.
 * The passphrase "wrong" is DENIED (UNLOCK's message "wrong passphrase",
 * PASSWD's none); with keys_locked set, every one but LOCK and UNLOCK is
 * LOCKED; KEYSLOT_RM of slot 0 is CONFLICT (the last), of 9 NOT_FOUND;
 * PASSWD of slot 9 NOT_FOUND. A descriptor may come with BACKUP and
 * KEYSLOT_ADD only.
 */
static int
fake_keys(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	static const char wrong[] = "wrong passphrase";
	static const char last[] = "the last keyslot cannot be removed";
	static const char busy[] = "a rekey is already running";
	struct proto_keys_req m;

	FAKE_CHECK(f, !f->has_frame_fd || fr->type == PROTO_MSG_BACKUP ||
	                      fr->type == PROTO_MSG_KEYSLOT_ADD);
	if (proto_decode_keys(fr->body, fr->type, &m) < 0)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_BAD_REQUEST, NULL,
		                                 0);
	f->keys = m;
	fake_copy_pass(f->keys_pass, m.passphrase, m.has_passphrase);
	fake_copy_pass(f->keys_new_pass, m.new_passphrase, m.has_new_passphrase);
	f->keys.passphrase = f->keys.new_passphrase = (struct proto_bytes){0};
	if (f->keys_locked && fr->type != PROTO_MSG_LOCK && fr->type != PROTO_MSG_UNLOCK)
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_LOCKED, NULL, 0);
	if (m.has_passphrase && span_eq(m.passphrase, "wrong"))
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_DENIED,
		                                 fr->type == PROTO_MSG_UNLOCK ? wrong : NULL,
		                                 fr->type == PROTO_MSG_UNLOCK ? sizeof(wrong) - 1
		                                                              : 0);
	switch (fr->type) {
	case PROTO_MSG_LOCK: f->keys_locked = true; break;
	case PROTO_MSG_UNLOCK: f->keys_locked = false; break;
	case PROTO_MSG_PASSWD:
		if (m.has_slot && m.slot == 9)
			return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_NOT_FOUND,
			                                 NULL, 0);
		break;
	case PROTO_MSG_KEYSLOT_LIST: return fake_keyslot_list(w, fr->reqid);
	case PROTO_MSG_KEYSLOT_ADD:
		if (m.slot_kind == PROTO_SLOT_KEYFILE)
			return fake_keys_fd(f, fr, w);
		FAKE_CHECK(f, !f->has_frame_fd);
		return proto_encode_slot_reply(w, fr->reqid, 5);
	case PROTO_MSG_KEYSLOT_RM:
		if (m.slot == 0)
			return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_CONFLICT,
			                                 last, sizeof(last) - 1);
		if (m.slot == 9)
			return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_NOT_FOUND,
			                                 NULL, 0);
		break;
	case PROTO_MSG_BACKUP: return fake_keys_fd(f, fr, w);
	case PROTO_MSG_REKEY:
		f->rekey_flags = m.flags;
		if (f->rekey_busy)
			return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_CONFLICT,
			                                 busy, sizeof(busy) - 1);
		break;
	default: break;
	}
	return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_OK, NULL, 0);
}

/* N EVENT frames of the last WATCH into W: versions 10, 11, ... */
static int
fake_events(struct fake *f, struct buf_writer *w, int n)
{
	struct proto_event_msg em = {.event = f->event_kind != 0 ? f->event_kind
	                                                         : PROTO_EVENT_ROTATED,
	                             .state = PROTO_STATE_ACTIVE};
	uint32_t id = f->event_bad_id ? f->watch_id + 1000 : f->watch_id;

	for (; n > 0; n--) {
		em.version = 10 + f->events_sent++;
		if (em.event == PROTO_EVENT_PURGED || em.event == PROTO_EVENT_REVOKED)
			em.version = 0;
		if (proto_encode_event(w, id, &em) < 0)
			return -1;
	}
	return 0;
}

#include "tests/unit/libcred-fake-ext.h"
#include "tests/unit/libcred-fake-typed.h"

static int
fake_answer(struct fake *f, const struct proto_frame *fr, struct buf_writer *w)
{
	struct proto_hello_reply hr = {.version = PROTO_VERSION,
	                               .agent_version = S("fake 1"),
	                               .frame_max = FAKE_FRAME_MAX};
	struct proto_status_reply sr = {.agent_version = S("fake 1"),
	                                .mode = PROTO_MODE_SYSTEM,
	                                .locked = 1,
	                                .uptime = 42,
	                                .secrets = 7,
	                                .store_bytes = 4096};
	struct proto_hello h;

	if (fake_typed_wants(fr))
		return fake_typed(f, fr, w);
	switch (fr->type) {
	case PROTO_MSG_HELLO:
		FAKE_CHECK(f, proto_decode_hello(fr->body, &h) == 0 && h.version == PROTO_VERSION);
		return proto_encode_hello_reply(w, fr->reqid, &hr);
	case PROTO_MSG_STATUS: return proto_encode_status_reply(w, fr->reqid, &sr);
	case PROTO_MSG_GET: return fake_get(f, w, fr->reqid, fr->body);
	case PROTO_MSG_PUT: return fake_put(f, w, fr->reqid, fr->body);
	case PROTO_MSG_INFO: return fake_info(f, w, fr->reqid, fr->body);
	case PROTO_MSG_LIST: return fake_list(f, w, fr->reqid, fr->body);
	case PROTO_MSG_ROTATE: return fake_rotate(f, w, fr->reqid, fr->body);
	case PROTO_MSG_ROLLBACK:
	case PROTO_MSG_PURGE: return fake_versioned(f, fr, w);
	case PROTO_MSG_LABEL: return fake_label(f, w, fr->reqid, fr->body);
	case PROTO_MSG_UNDELETE:
	case PROTO_MSG_DISABLE:
	case PROTO_MSG_ENABLE:
	case PROTO_MSG_WATCH: return fake_named(f, fr, w);
	case PROTO_MSG_SHARE:
	case PROTO_MSG_UNSHARE: return fake_share(f, fr, w);
	case PROTO_MSG_DELETE:
		return proto_encode_simple_reply(w, PROTO_MSG_DELETE, fr->reqid, PROTO_OK, NULL, 0);
	case PROTO_MSG_LOCK:
	case PROTO_MSG_UNLOCK:
	case PROTO_MSG_PASSWD:
	case PROTO_MSG_KEYSLOT_LIST:
	case PROTO_MSG_KEYSLOT_ADD:
	case PROTO_MSG_KEYSLOT_RM:
	case PROTO_MSG_BACKUP:
	case PROTO_MSG_REKEY: return fake_keys(f, fr, w);
	case PROTO_MSG_EXPORT:
	case PROTO_MSG_IMPORT:
	case PROTO_MSG_AUDIT:
	case PROTO_MSG_AUDIT_VERIFY:
	case PROTO_MSG_USAGE:
	case PROTO_MSG_QUOTA:
	case PROTO_MSG_USAGE_RESET: return fake_answer_ext(f, fr, w);
	default:
		return proto_encode_simple_reply(w, fr->type, fr->reqid, PROTO_UNSUPPORTED, NULL,
		                                 0);
	}
}

static void *
fake_agent(void *arg)
{
	static uint8_t in[1u << 16], out[1u << 16], before[1u << 16], after[1u << 16];
	struct fake *f = arg;
	struct proto_frame fr;
	struct buf_writer w, bw, aw;
	uint32_t len;
	bool fd_first;

	for (;;) {
		f->has_frame_fd = false;
		if (!read_n(f, in, 4))
			break; /* the client closed */
		/* A descriptor rides on the first chunk of its frame. */
		fd_first = f->has_frame_fd;
		len = buf_load_u32(in);
		if (len > FAKE_FRAME_MAX || !read_n(f, in + 4, len)) {
			f->errors++;
			break;
		}
		FAKE_CHECK(f, fd_first == f->has_frame_fd);
		if (proto_frame_parse(in, len + 4, FAKE_FRAME_MAX, false, &fr) != (int)len + 4) {
			f->errors++;
			break;
		}
		/* Request ids must increase. */
		FAKE_CHECK(f, fr.reqid > f->last_id);
		f->last_id = fr.reqid;
		if (fr.type != PROTO_MSG_HELLO)
			f->requests++;
		f->last_type = fr.type;
		buf_writer_init(&w, out, sizeof(out));
		if (fake_answer(f, &fr, &w) < 0) {
			f->errors++;
			break;
		}
		if (f->bad_id)
			buf_store_u32(out + 5, fr.reqid + 100);
		/* Events of a watch may come before or after any reply. */
		buf_writer_init(&bw, before, sizeof(before));
		buf_writer_init(&aw, after, sizeof(after));
		if (fake_events(f, &bw, f->events_before) < 0 ||
		    fake_events(f, &aw, f->events_after) < 0) {
			f->errors++;
			break;
		}
		f->events_before = f->events_after = 0;
		/* The descriptor of this frame has served. */
		if (f->has_frame_fd)
			close(f->frame_fd);
		f->has_frame_fd = false;
		if (!send_n(f->fd, before, bw.len) || !send_n(f->fd, out, w.len) ||
		    !send_n(f->fd, after, aw.len))
			break;
	}
	if (f->has_frame_fd)
		close(f->frame_fd);
	close(f->fd);
	return NULL;
}

#endif
