/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_LIBCRED_INT_H
#define CREDAGENT_LIBCRED_INT_H

/*
 * Internals of libcred, shared by its .c files and the unit tests. Hidden
 * from the shared library: the declarations below have hidden visibility
 * and the version script (libcred.map) exports only cred_*. Internal
 * functions are named libcred_* so that no glob in the map can catch them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/zero.h"
#include "proto/proto.h"
#include "cred.h"

#pragma GCC visibility push(hidden)

#define LIBCRED_WUR __attribute__((warn_unused_result))

/* Replies longer than this are refused before anything is allocated,
 * unless the agent announced a larger frame limit (clamped to
 * LIBCRED_FRAME_CLAMP). */
#define LIBCRED_REPLY_MAX   (16u << 20)
#define LIBCRED_FRAME_CLAMP (1u << 30)

/* Receive buffer of a connection: one read() takes a whole small reply
 * (and whatever follows it) in the common case. Larger frames are
 * completed by reading straight into the reply's own buffer. */
#define LIBCRED_RBUF_SIZE 4096u

/* The system socket tried when no user socket exists. */
#define LIBCRED_SYSTEM_SOCK "/run/credagent/sock"

/* One accepted WATCH: its request id tags its EVENT frames. */
struct libcred_watch {
	uint32_t reqid;
	uid_t owner;
	char name[PROTO_NAME_MAX + 1];
};

/* EVENT frames that arrived while the caller waited for something else:
 * a ring of LIBCRED_EVENT_QUEUE entries, allocated with the first watch. */
#define LIBCRED_EVENT_QUEUE CRED_EVENT_QUEUE_MAX

struct cred_conn {
	int fd;
	bool broken;        /* I/O or framing failed: the stream is unusable */
	uint32_t next_id;   /* request ids increase per connection */
	uint32_t frame_max; /* the agent's limit, from HELLO */
	uint32_t mode;      /* enum proto_mode, from HELLO */
	char *path;
	struct libcred_watch *watches;
	size_t n_watches, cap_watches;
	struct cred_event *events; /* the ring, or NULL before any watch */
	size_t ev_head, ev_len;
	bool ev_overflow; /* events were dropped: report CRED_EVENT_OVERFLOW */
	char msg[PROTO_MESSAGE_MAX + 1];
	/* Received bytes not yet taken: rbuf[rpos .. rpos + rlen). Bytes are
	 * zeroed as they are taken, and the whole buffer on cred_close(). */
	size_t rpos, rlen;
	uint8_t rbuf[LIBCRED_RBUF_SIZE];
};

/* A whole reply frame: FRAME borrows BUF (LEN bytes, exactly allocated).
 * Released with libcred_reply_free(), which zeroes BUF. */
struct libcred_reply {
	uint8_t *buf;
	size_t len;
	struct proto_frame frame;
};
void libcred_reply_free(struct libcred_reply *r);

/* Writes one request frame for REQID into W (counting or filling). */
typedef int (*libcred_encode_fn)(struct buf_writer *w, uint32_t reqid, const void *msg);

/*
 * One round trip: encodes MSG with ENC into an exactly sized buffer
 * (zeroed after sending), sends it, reads the reply and checks its id and
 * type. VALUE_LEN is the size of a secret value in the request (0: none),
 * used only for the too-large message. Returns 0 with *ret filled when the
 * status is OK (the caller decodes the body and frees *ret); otherwise the
 * negated cred error, with the reply's MESSAGE kept in c->msg and nothing
 * to free.
 */
int libcred_call(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg,
                 size_t value_len, struct libcred_reply *ret) LIBCRED_WUR;

/*
 * libcred_call() with a descriptor: PASS_FD (-1: none) travels as
 * SCM_RIGHTS ancillary data attached to the first chunk of the request
 * frame, one descriptor per frame. A descriptor that is not open fails
 * with -CRED_E_USAGE before anything is sent. The caller keeps PASS_FD.
 */
int libcred_call_fd(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg,
                    size_t value_len, int pass_fd, struct libcred_reply *ret) LIBCRED_WUR;

/*
 * libcred_call_fd() for requests whose failure replies may carry a body
 * of their own: a reply of status KEEP (not PROTO_OK) is handed back
 * whole too. Returns 0 (OK) or libcred_status_error(KEEP) with *ret
 * filled (the caller decodes the body and frees *ret); any other failure
 * as libcred_call_fd(), with nothing to free.
 */
int libcred_call_keep(cred_conn *c, uint8_t type, libcred_encode_fn enc, const void *msg,
                      size_t value_len, int pass_fd, uint16_t keep,
                      struct libcred_reply *ret) LIBCRED_WUR;

/* Pages of a paged reply (LIST, AUDIT, USAGE): a reply that never ends
 * is the agent's bug; stop before memory runs out. */
#define LIBCRED_PAGES_MAX 100000u
/*
 * Takes a page's NEXT_CURSOR into CURSOR (PROTO_CURSOR_MAX bytes; its
 * current length *CURSOR_LEN, which becomes NEXT's: 0 when no more pages)
 * and counts *PAGES: 0, or -CRED_E_PROTOCOL for an oversized cursor, the
 * same cursor twice (it would loop forever) or too many pages.
 */
int libcred_cursor_next(struct proto_bytes next, uint8_t *cursor, size_t *cursor_len,
                        size_t *pages) LIBCRED_WUR;

/* P (LEN bytes) into a passphrase field: 0, or -CRED_E_USAGE with the
 * message set (nothing sent) when it is missing, empty or too long. */
int libcred_pass_fill(cred_conn *c, const char *p, size_t len, bool *has,
                      struct proto_bytes *ret) LIBCRED_WUR;
/* FD must be open for writing (WRITE) or reading: 0, or -CRED_E_USAGE
 * with the message set. */
int libcred_fd_check(cred_conn *c, int fd, bool write) LIBCRED_WUR;

/* Unix seconds from the wire: 0, or -CRED_E_PROTOCOL past INT64_MAX. */
int libcred_time_in(uint64_t t, int64_t *ret) LIBCRED_WUR;
/* A read-usage record from the wire's fields (COMM at most CRED_COMM_MAX
 * bytes, else -CRED_E_PROTOCOL). */
int libcred_read_usage_fill(uint64_t reads, uint64_t period_reads, bool has_last_read,
                            uint64_t last_read, uint32_t reader_uid, uint32_t reader_pid,
                            struct proto_bytes comm, struct cred_read_usage *ret) LIBCRED_WUR;

/*
 * Reads one frame that is not an EVENT: EVENT frames before it are queued
 * (see libcred_event_take). Returns 0 with *ret filled (the caller checks
 * its id and type and frees it), or a negated error with C broken.
 */
int libcred_read_reply(cred_conn *c, struct libcred_reply *ret) LIBCRED_WUR;
/* Queues the EVENT frame F of C: 0, or -CRED_E_PROTOCOL (C broken) for a
 * malformed event or one of no watch. A full queue drops it and sets
 * ev_overflow. */
int libcred_event_push(cred_conn *c, const struct proto_frame *f) LIBCRED_WUR;
/* Frees the watch table and the event queue (from cred_close). */
void libcred_watch_free(cred_conn *c);
/* Marks C unusable with message WHY and returns ERR. */
int libcred_broken(cred_conn *c, int err, const char *why);
/*
 * Reads one whole frame (any type) into an exactly sized buffer, taking
 * first what the connection's receive buffer holds. Without a watch on C
 * one read() fills that buffer as far as the socket has bytes, so bytes
 * after the frame stay buffered for the next call; with a watch it reads
 * exactly the frame, so that an EVENT after a reply stays in the socket
 * and wakes a poll() on cred_fd(). 0 with *ret filled, or a negated
 * error with C broken.
 */
int libcred_read_frame(cred_conn *c, struct libcred_reply *ret) LIBCRED_WUR;

/* libcred_call() for requests answered by a simple reply (status and an
 * optional MESSAGE): 0 with the message kept, or the negated error. */
int libcred_simple_call(cred_conn *c, uint8_t type, libcred_encode_fn enc,
                        const void *msg) LIBCRED_WUR;

/* What libcred_span_build() checks each item as. */
enum libcred_item { LIBCRED_ITEM_LABEL, LIBCRED_ITEM_LABEL_KEY };
/*
 * The repeated string fields TAG, one per item of the NULL-terminated
 * ITEMS (NULL or empty: none), encoded into an exactly sized buffer
 * *ret_buf (NULL when none; the caller frees it) that SPAN borrows. Every
 * item is checked as KIND says, and at most PROTO_LABELS_MAX are taken:
 * 0 or -CRED_E_USAGE / -CRED_E_NOMEM.
 */
int libcred_span_build(const char *const *items, uint8_t tag, enum libcred_item kind,
                       struct proto_list_span *span, uint8_t **ret_buf) LIBCRED_WUR;

/* A cred_value holding a copy of VALUE (exactly sized, NUL after it). */
int libcred_value_new(struct proto_bytes value, struct proto_bytes type, uint32_t version,
                      struct cred_value **ret) LIBCRED_WUR;

/* Clears the connection's message; every public call starts with it. */
void libcred_msg_clear(cred_conn *c);
/* Sets the message from a reply's MESSAGE span (truncated if needed). */
void libcred_msg_set(cred_conn *c, struct proto_bytes m);
/* Sets the message from a format, for errors found in the library. */
void libcred_msg_printf(cred_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Wraps FD, an already connected stream socket, into a connection: checks
 * the peer's SO_PEERCRED uid (the caller's or root, else -CRED_E_DENIED)
 * and does HELLO. FD is owned by the connection from then on, closed on
 * failure too. PATH is what cred_socket_path() will report (may be NULL).
 * Used by cred_connect() and by the unit tests with a socketpair.
 */
int libcred_connect_fd(int fd, const char *path, cred_conn **ret) LIBCRED_WUR;

/* Maps a wire status to a negated cred error (0 for OK). */
int libcred_status_error(uint16_t status);

/* Parses "[OWNER:]NAME" into *ret, borrowing NAME from REF: 0 or
 * -CRED_E_USAGE (-CRED_E_FAILED / -CRED_E_NOMEM if the user database
 * lookup fails). */
int libcred_ref_parse(const char *ref, struct proto_ref *ret) LIBCRED_WUR;
/* OWNER (LEN bytes, not NUL-terminated): a decimal uid or a user name. */
int libcred_owner_parse(const char *s, size_t len, uid_t *ret) LIBCRED_WUR;
/* The same for a uid (GROUP false) or a gid (GROUP true: a decimal gid or
 * a group name, looked up with getgrnam_r): 0, -CRED_E_USAGE for a bad
 * or unknown one, -CRED_E_FAILED / -CRED_E_NOMEM if the lookup fails. */
int libcred_id_parse(const char *s, size_t len, bool group, uint32_t *ret) LIBCRED_WUR;

/* A NUL-terminated copy of a span, or NULL on allocation failure. */
char *libcred_strdup_span(struct proto_bytes b);
/*
 * ITEMS (N of them in use, room for *CAP, each SIZE bytes) with room for
 * at least one more: ITEMS itself, or a larger copy (FIRST items at first,
 * then doubling; *CAP updated), or NULL when out of memory (ITEMS is then
 * left as it was). realloc: for lists that hold no value.
 */
void *libcred_grow(void *items, size_t n, size_t *cap, size_t size, size_t first);

/* A field key: 1 to CRED_FIELD_KEY_MAX of a-z 0-9 _ (S need not be
 * NUL-terminated). */
bool libcred_field_key_valid(const char *s, size_t n);
/*
 * A field set from the wire (a typed VALUE, or INFO's FIELD groups with
 * ALLOW_MASKED: a group without FIELD_VALUE is a masked field): 0 with
 * *ret, -CRED_E_INVALID when malformed (empty, keys not strictly
 * ascending, unknown tags, more than CRED_FIELDS_MAX), -CRED_E_NOMEM.
 */
int libcred_fields_parse(struct proto_bytes value, bool allow_masked,
                         struct cred_fields **ret) LIBCRED_WUR;

#pragma GCC visibility pop

#endif
