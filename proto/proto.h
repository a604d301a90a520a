/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_PROTO_H
#define CREDAGENT_PROTO_H

/*
 * The credagent wire format, shared by the agent and libcred. Pure
 * functions over memory: nothing here does I/O, allocates or logs.
 * docs/PROTOCOL.md is the prose version of this header.
 *
 * Frame:  u32 length (big-endian; counts every byte after itself)
 *         u8  type
 *         u32 request id
 *         u16 status              (replies and events only)
 *         body: fields
 * Field:  u8 tag, u8 kind, u32 length, then length bytes.
 *
 * Fields appear in ascending tag order; only tags a message declares
 * repeatable may repeat (consecutively). Unknown tags, wrong kinds, bad
 * lengths, missing required fields, NUL bytes in strings and trailing
 * bytes all make a body malformed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PROTO_WUR __attribute__((warn_unused_result))

/* The one protocol version constant; bump it for incompatible changes. */
#define PROTO_VERSION 1u

#define PROTO_LEN_SIZE 4u
#define PROTO_REQ_HDR 9u  /* length + type + request id */
#define PROTO_REPLY_HDR 11u /* ... + status */
#define PROTO_FIELD_HDR 6u /* tag + kind + length */
#define PROTO_FRAME_MAX_DEFAULT (1u << 20)
#define PROTO_FRAME_MIN_MAX 4096u /* smallest frame limit an agent accepts */

#define PROTO_NAME_MAX 255u
#define PROTO_TYPE_MAX 32u
#define PROTO_LABEL_MAX 320u /* "key=value" */
#define PROTO_LABEL_KEY_MAX 63u
#define PROTO_LABELS_MAX 64u
#define PROTO_CURSOR_MAX 512u
#define PROTO_MESSAGE_MAX 1024u
#define PROTO_AGENT_VERSION_MAX 64u
#define PROTO_LIST_LIMIT_MAX 1000u
#define PROTO_VERSIONS_MAX 1000u

/* Message types. Numbers are never reused. A reply has the request's
 * type with PROTO_REPLY_BIT set. */
enum proto_msg {
	PROTO_MSG_HELLO = 0x01,
	PROTO_MSG_STATUS = 0x02,
	PROTO_MSG_PUT = 0x03,
	PROTO_MSG_GET = 0x04,
	PROTO_MSG_INFO = 0x05,
	PROTO_MSG_LIST = 0x06,
	PROTO_MSG_DELETE = 0x07,
	PROTO_MSG_ROTATE = 0x08,
	PROTO_MSG_ROLLBACK = 0x09,
	PROTO_MSG_UNDELETE = 0x0a,
	PROTO_MSG_PURGE = 0x0b,
	PROTO_MSG_DISABLE = 0x0c,
	PROTO_MSG_ENABLE = 0x0d,
	PROTO_MSG_LABEL = 0x0e,
	PROTO_MSG_WATCH = 0x0f,
	PROTO_MSG_SHARE = 0x10,
	PROTO_MSG_UNSHARE = 0x11,
	PROTO_MSG_LOCK = 0x12,
	PROTO_MSG_UNLOCK = 0x13,
	PROTO_MSG_PASSWD = 0x14,
	PROTO_MSG_KEYSLOT_LIST = 0x15,
	PROTO_MSG_KEYSLOT_ADD = 0x16,
	PROTO_MSG_KEYSLOT_RM = 0x17,
	PROTO_MSG_BACKUP = 0x18,
	PROTO_MSG_REKEY = 0x19,
	PROTO_MSG_EXPORT = 0x1a,
	PROTO_MSG_IMPORT = 0x1b,
	PROTO_MSG_AUDIT = 0x1c,
	PROTO_MSG_AUDIT_VERIFY = 0x1d,
	PROTO_MSG_USAGE = 0x1e,
	PROTO_MSG_QUOTA = 0x1f,
	PROTO_MSG_USAGE_RESET = 0x20,
	PROTO_MSG_VERIFY = 0x21,
	/* Sent by the agent, never requested: a reply-shaped frame (status
	 * OK) carrying the request id of the WATCH it belongs to. */
	PROTO_MSG_EVENT = 0xc0,
};
#define PROTO_REPLY_BIT 0x80u

/* Status codes on the wire. Numbers are never reused. */
enum proto_status {
	PROTO_OK = 0,
	PROTO_INTERNAL = 1,     /* the agent failed; message says why */
	PROTO_USAGE = 2,        /* bad name or argument */
	PROTO_NOT_FOUND = 3,
	PROTO_DENIED = 4,
	PROTO_LOCKED = 5,
	/* 6 is the client's UNREACHABLE, never sent */
	PROTO_CONFLICT = 7,
	PROTO_QUOTA_EXCEEDED = 8,
	PROTO_EXPIRED = 9,
	PROTO_DISABLED = 10,
	PROTO_INVALID = 11,
	PROTO_BAD_REQUEST = 12,
	PROTO_UNSUPPORTED = 13,
	PROTO_RATE_LIMITED = 14,
};
#define PROTO_STATUS_MAX 14u

/* Field kinds. */
enum proto_kind {
	PROTO_KIND_U32 = 1,    /* length 4 */
	PROTO_KIND_U64 = 2,    /* length 8 */
	PROTO_KIND_BYTES = 3,  /* any bytes */
	PROTO_KIND_STRING = 4, /* bytes without NUL */
	PROTO_KIND_GROUP = 5,  /* nested fields */
};

/* Field tags, one namespace for all messages. */
enum proto_tag {
	PROTO_TAG_PROTO_VERSION = 1, /* u32 */
	PROTO_TAG_FEATURES = 2,      /* u64 */
	PROTO_TAG_AGENT_VERSION = 3, /* string */
	PROTO_TAG_MODE = 4,          /* u32: enum proto_mode */
	PROTO_TAG_LOCKED = 5,        /* u32: 0 or 1 */
	PROTO_TAG_UPTIME = 6,        /* u64 seconds */
	PROTO_TAG_SECRETS = 7,       /* u64 */
	PROTO_TAG_STORE_BYTES = 8,   /* u64 */
	PROTO_TAG_FRAME_MAX = 9,     /* u32: the agent's frame size limit */
	PROTO_TAG_OWNER = 16,        /* u32 uid */
	PROTO_TAG_NAME = 17,         /* string, proto_name_valid() */
	PROTO_TAG_VERSION = 18,      /* u32 secret version, >= 1 */
	PROTO_TAG_TYPE = 19,         /* string */
	PROTO_TAG_STATE = 20,        /* u32: enum proto_state */
	PROTO_TAG_CAS = 21,          /* u32 */
	PROTO_TAG_MAX_VERSIONS = 22, /* u32 */
	PROTO_TAG_EXPIRES = 23,      /* u64 unix seconds */
	PROTO_TAG_CREATED = 24,      /* u64 unix seconds */
	PROTO_TAG_UPDATED = 25,      /* u64 unix seconds */
	PROTO_TAG_DELETED = 26,      /* u64 unix seconds */
	PROTO_TAG_CREATED_BY = 27,   /* u32 uid */
	PROTO_TAG_LABEL = 28,        /* string "key=value", repeatable */
	PROTO_TAG_VERSIONS = 29,     /* group, repeatable */
	PROTO_TAG_VALUE = 32,        /* bytes */
	PROTO_TAG_PREFIX = 40,       /* string */
	PROTO_TAG_CURSOR = 41,       /* bytes */
	PROTO_TAG_LIMIT = 42,        /* u32 */
	PROTO_TAG_FLAGS = 43,        /* u32 */
	PROTO_TAG_ENTRY = 44,        /* group, repeatable */
	PROTO_TAG_NEXT_CURSOR = 45,  /* bytes */
	PROTO_TAG_GEN_LENGTH = 46,   /* u32: generate a value of this many characters */
	PROTO_TAG_CHARSET = 47,      /* u32: enum proto_charset */
	PROTO_TAG_LABEL_KEY = 48,    /* string: a label key to remove, repeatable */
	PROTO_TAG_EVENT = 49,        /* u32: enum proto_event */
	PROTO_TAG_EXPIRING = 50,     /* u64 unix seconds: expiring at or before */
	PROTO_TAG_GRANTEE_UID = 51,  /* u32 */
	PROTO_TAG_GRANTEE_GID = 52,  /* u32 */
	PROTO_TAG_PERM = 53,         /* u32: enum proto_perm */
	PROTO_TAG_GRANT = 54,        /* group, repeatable */
	PROTO_TAG_SHARED = 55,       /* u32 0 or 1: listed through a grant */
	PROTO_TAG_PASSPHRASE = 56,   /* bytes: a passphrase (zeroed after use) */
	PROTO_TAG_NEW_PASSPHRASE = 57, /* bytes */
	PROTO_TAG_SLOT = 58,         /* u32 keyslot number */
	PROTO_TAG_SLOT_KIND = 59,    /* u32: enum proto_slot_kind */
	PROTO_TAG_KEYSLOT = 60,      /* group, repeatable: SLOT, SLOT_KIND, CREATED */
	PROTO_TAG_MESSAGE = 64,      /* string */
	PROTO_TAG_QUOTA = 65,        /* u32: reads allowed per QUOTA_PERIOD */
	PROTO_TAG_QUOTA_PERIOD = 66, /* u32: enum proto_period */
	PROTO_TAG_ADDED = 67,        /* u32 */
	PROTO_TAG_SKIPPED = 68,      /* u32 */
	PROTO_TAG_CONFLICTED = 69,   /* u32 */
	PROTO_TAG_CONFLICT = 70,     /* string: a conflicting name, repeatable */
	PROTO_TAG_FILTER_UID = 71,   /* u32: audit records of this caller uid */
	PROTO_TAG_OP = 72,           /* string: operation name (proto_op_name) */
	PROTO_TAG_STATUS = 73,       /* u32: enum proto_status */
	PROTO_TAG_SINCE = 74,        /* u64 unix seconds, inclusive */
	PROTO_TAG_UNTIL = 75,        /* u64 unix seconds, exclusive */
	PROTO_TAG_RECORD = 76,       /* group, repeatable: one audit record */
	PROTO_TAG_SEQ = 77,          /* u64 audit sequence number */
	PROTO_TAG_TIME = 78,         /* u64 unix seconds */
	PROTO_TAG_UID = 79,          /* u32 */
	PROTO_TAG_GID = 80,          /* u32 */
	PROTO_TAG_PID = 81,          /* u32 */
	PROTO_TAG_COMM = 82,         /* string, at most 15 bytes */
	PROTO_TAG_COUNT = 83,        /* u32: folded identical records */
	PROTO_TAG_SECURITY = 84,     /* u32 0 or 1: a security event */
	PROTO_TAG_SUMMARY = 85,      /* group, repeatable: OP, STATUS, COUNT (u64 as TOTAL) */
	PROTO_TAG_CHECKED = 86,      /* u64 records checked */
	PROTO_TAG_BROKEN_SEQ = 87,   /* u64: the first record that fails */
	PROTO_TAG_FIRST_SEQ = 88,    /* u64: the first record kept */
	PROTO_TAG_HEAD = 89,         /* bytes (32): the chain head */
	PROTO_TAG_READS = 90,        /* u64 reads in total */
	PROTO_TAG_PERIOD_READS = 91, /* u64 reads in the current period */
	PROTO_TAG_LAST_READ = 92,    /* u64 unix seconds */
	PROTO_TAG_READER_UID = 93,   /* u32 */
	PROTO_TAG_READER_PID = 94,   /* u32 */
	PROTO_TAG_READER_COMM = 95,  /* string */
	PROTO_TAG_USAGE = 96,        /* group, repeatable: one secret's usage */
	PROTO_TAG_TOTAL = 97,        /* u64: a summary count */
	PROTO_TAG_PERIOD_START = 98, /* u64 unix seconds: the current period began */
	PROTO_TAG_FIELD = 99,        /* group, repeatable: FIELD_KEY, FIELD_VALUE? */
	PROTO_TAG_FIELD_KEY = 100,   /* string: a typed secret's field name */
	PROTO_TAG_FIELD_VALUE = 101, /* bytes: its value */
	PROTO_TAG_VERIFY_STATUS = 102, /* u32: enum proto_verify */
	PROTO_TAG_VERIFY_TIME = 103,   /* u64 unix seconds */
	PROTO_TAG_VERIFY_MESSAGE = 104, /* string, at most PROTO_VERIFY_MESSAGE_MAX */
};

enum proto_mode { PROTO_MODE_USER = 0, PROTO_MODE_SYSTEM = 1 };
enum proto_state { PROTO_STATE_ACTIVE = 0, PROTO_STATE_DISABLED = 1, PROTO_STATE_DELETED = 2 };
#define PROTO_STATE_MAX 2u
enum proto_list_flag {
	PROTO_LIST_DELETED = 1u << 0,
	PROTO_LIST_ALL_USERS = 1u << 1,
	PROTO_LIST_UNVERIFIED = 1u << 2, /* only never verified, or last failed */
};
#define PROTO_LIST_FLAGS_ALL 7u
enum proto_verify { PROTO_VERIFY_OK = 1, PROTO_VERIFY_FAILED = 2 };
#define PROTO_VERIFY_MAX 2u
#define PROTO_VERIFY_MESSAGE_MAX 255u
enum proto_get_flag { PROTO_GET_ALLOW_EXPIRED = 1u << 0 };
#define PROTO_GET_FLAGS_ALL 1u
/* PRINT: answer a generated value in the reply. PRIMARY: a given VALUE is
 * the new primary field of a typed secret, the other fields kept (for a
 * generic secret it is the whole value, as without the flag). */
enum proto_rotate_flag { PROTO_ROTATE_PRINT = 1u << 0, PROTO_ROTATE_PRIMARY = 1u << 1 };
#define PROTO_ROTATE_FLAGS_ALL 3u
enum proto_charset {
	PROTO_CHARSET_BASE64URL = 0,
	PROTO_CHARSET_HEX = 1,
	PROTO_CHARSET_ALNUM = 2,
	PROTO_CHARSET_PRINTABLE = 3,
};
#define PROTO_CHARSET_MAX 3u
#define PROTO_GEN_LENGTH_MAX 4096u
/* What a WATCH event reports. Numbers are never reused. */
enum proto_event {
	PROTO_EVENT_PUT = 1,         /* a new version by put */
	PROTO_EVENT_ROTATED = 2,
	PROTO_EVENT_ROLLED_BACK = 3,
	PROTO_EVENT_DISABLED = 4,
	PROTO_EVENT_ENABLED = 5,
	PROTO_EVENT_DELETED = 6,
	PROTO_EVENT_UNDELETED = 7,
	PROTO_EVENT_PURGED = 8,      /* the whole secret: the watch ends */
	PROTO_EVENT_VERSION_PURGED = 9,
	PROTO_EVENT_REVOKED = 10,    /* the watcher lost its grant: the watch ends */
};
#define PROTO_EVENT_MAX 10u
enum proto_perm { PROTO_PERM_READ = 1, PROTO_PERM_WRITE = 2 };
#define PROTO_PERM_MAX 2u
enum proto_share_flag { PROTO_SHARE_PREFIX = 1u << 0 };
#define PROTO_SHARE_FLAGS_ALL 1u
#define PROTO_GRANTS_MAX 256u
enum proto_slot_kind { PROTO_SLOT_KEYFILE = 1, PROTO_SLOT_PASSPHRASE = 2 };
#define PROTO_SLOT_KIND_MAX 2u
#define PROTO_SLOTS_MAX 16u
#define PROTO_PASSPHRASE_MAX 1024u
enum proto_rekey_flag { PROTO_REKEY_RESEAL = 1u << 0 };
#define PROTO_REKEY_FLAGS_ALL 1u
enum proto_export_flag { PROTO_EXPORT_CURRENT_ONLY = 1u << 0 };
#define PROTO_EXPORT_FLAGS_ALL 1u
enum proto_import_flag { PROTO_IMPORT_OVERWRITE = 1u << 0, PROTO_IMPORT_DRY_RUN = 1u << 1 };
#define PROTO_IMPORT_FLAGS_ALL 3u
#define PROTO_IMPORT_ENTRIES_MAX 10000u
#define PROTO_CONFLICTS_MAX 64u /* conflicting names listed in a reply */
enum proto_audit_flag { PROTO_AUDIT_SUMMARY = 1u << 0 };
#define PROTO_AUDIT_FLAGS_ALL 1u
#define PROTO_COMM_MAX 15u
#define PROTO_AUDIT_HEAD_SIZE 32u /* HEAD: the MAC of the last record */
/* Quota periods: calendar hours, days and months in UTC. */
enum proto_period { PROTO_PERIOD_HOUR = 1, PROTO_PERIOD_DAY = 2, PROTO_PERIOD_MONTH = 3 };
#define PROTO_PERIOD_MAX 3u

/* A borrowed span of a frame: valid as long as the frame's bytes are. */
struct proto_bytes {
	const uint8_t *ptr;
	size_t len;
};

/* ---- framing ---- */

struct proto_frame {
	uint8_t type;
	uint32_t reqid;
	uint16_t status; /* replies only; 0 in requests */
	struct proto_bytes body;
};

/*
 * Look for one complete frame at the start of P[0..N). Returns the number
 * of bytes the frame occupies (its length prefix included) and fills *ret
 * (borrowing P); 0 when more bytes are needed; -EMSGSIZE when the declared
 * length exceeds MAX (known from the first 4 bytes, before buffering the
 * rest); -EBADMSG when the declared length is shorter than a header.
 * REPLY selects the reply header (with status).
 */
int proto_frame_parse(const uint8_t *p, size_t n, uint32_t max, bool reply,
		      struct proto_frame *ret) PROTO_WUR;

/*
 * Encoding. proto_frame_begin()/proto_reply_begin() write a header with a
 * placeholder length and return the frame's start offset; fields follow;
 * proto_frame_end() patches the length and returns 0 or the writer's
 * error. Counting writers (data NULL) work throughout. A reply's TYPE
 * may be given with or without PROTO_REPLY_BIT; the header has it set.
 */
size_t proto_frame_begin(struct buf_writer *w, uint8_t type, uint32_t reqid);
size_t proto_reply_begin(struct buf_writer *w, uint8_t type, uint32_t reqid, uint16_t status);
int proto_frame_end(struct buf_writer *w, size_t start) PROTO_WUR;

void proto_put_u32(struct buf_writer *w, uint8_t tag, uint32_t v);
void proto_put_u64(struct buf_writer *w, uint8_t tag, uint64_t v);
void proto_put_bytes(struct buf_writer *w, uint8_t tag, const void *p, size_t len);
void proto_put_string(struct buf_writer *w, uint8_t tag, const void *p, size_t len);
/* A BYTES field of LEN bytes the caller fills through the returned pointer
 * (NULL when counting or on overflow). */
uint8_t *proto_put_reserve(struct buf_writer *w, uint8_t tag, size_t len);
/* Groups: begin returns the offset to hand to end, which patches the length. */
size_t proto_group_begin(struct buf_writer *w, uint8_t tag);
void proto_group_end(struct buf_writer *w, size_t off);

/* ---- names, labels, status ---- */

/* NAME: 1-255 bytes of [A-Za-z0-9_.@+/-], no leading or trailing '/', no
 * empty or ".." segment. */
bool proto_name_valid(const void *p, size_t len);
/* LABEL: "key=value": key 1-63 of [A-Za-z0-9_.-], value printable ASCII
 * (0x20-0x7e), whole label at most PROTO_LABEL_MAX bytes. */
bool proto_label_valid(const void *p, size_t len);
/* PREFIX for LIST: empty, or a valid name optionally followed by '/'. */
bool proto_prefix_valid(const void *p, size_t len);
/* TYPE: 1-32 bytes of [a-z0-9_]. */
bool proto_type_valid(const void *p, size_t len);

/* "NOT_FOUND", ...; "UNKNOWN" for numbers not in the enum. */
const char *proto_status_name(uint16_t status);
/* The enum for a status name as proto_status_name() prints it, in any
 * case ("not_found" too); -EINVAL otherwise ("UNKNOWN" included). */
int proto_status_parse(const char *name) PROTO_WUR;
/* The cred exit code of DESIGN.md section 8 for a status (1 if unknown). */
int proto_status_exit(uint16_t status);

/* "put", "rotated", "rolled_back", "disabled", "enabled", "deleted",
 * "undeleted", "purged", "version_purged", "revoked"; "unknown" otherwise. */
const char *proto_event_name(uint32_t event);
/* "read", "write"; NULL otherwise. */
const char *proto_perm_name(uint32_t perm);
/* "base64url", "hex", "alnum", "printable"; NULL otherwise. */
const char *proto_charset_name(uint32_t charset);
/* The enum for a charset name, or -EINVAL. */
int proto_charset_parse(const char *name) PROTO_WUR;

/* ---- messages ----
 * Every decoder takes a frame's body and returns 0 with *ret filled
 * (borrowing the body) or -EBADMSG, leaving *ret unspecified. Every encoder
 * writes one whole frame and returns 0 or the writer's error. Every reply
 * may carry an optional MESSAGE (a human-readable note; on errors, why).
 */

/* A reference to one secret: owner absent means the caller. */
struct proto_ref {
	bool has_owner;
	uint32_t owner;
	struct proto_bytes name;
};

/* Labels or any repeated field: the raw span of consecutive fields and
 * their count, walked with proto_iter. */
struct proto_list_span {
	struct proto_bytes raw;
	uint32_t count;
};

struct proto_iter {
	struct buf_reader r;
};
/* The secret a request body names, whatever its message type (for the
 * audit trail): the top-level OWNER?, NAME and VERSION? fields, read
 * without validating the rest. 1 with *ret (borrowing BODY) and
 * *ret_version (0: none) set when a valid NAME is there, 0 otherwise. */
int proto_peek_target(struct proto_bytes body, struct proto_ref *ret, uint32_t *ret_version);
void proto_iter_init(struct proto_iter *it, const struct proto_list_span *span);
/* 1 and *ret set (the field's content), 0 at the end. Spans come from a
 * decoder that has validated them, so there is no error case. */
int proto_iter_next(struct proto_iter *it, struct proto_bytes *ret);

/* HELLO: VERSION (u32, required), FEATURES (u64, optional). */
struct proto_hello {
	uint32_t version;
	uint64_t features;
};
/* HELLO reply: VERSION (the version both will speak), FEATURES,
 * AGENT_VERSION, MODE, FRAME_MAX. */
struct proto_hello_reply {
	uint32_t version;
	uint64_t features;
	struct proto_bytes agent_version;
	uint32_t mode;
	uint32_t frame_max;
	struct proto_bytes message;
};

/* STATUS: empty body. */
struct proto_status_reply {
	struct proto_bytes agent_version;
	uint32_t mode;
	uint32_t locked;
	uint64_t uptime;
	uint64_t secrets;
	uint64_t store_bytes;
	struct proto_bytes message;
};

/* PUT: OWNER?, NAME, TYPE?, CAS?, MAX_VERSIONS?, EXPIRES?, LABEL*, VALUE,
 * QUOTA?, QUOTA_PERIOD? (both or neither). */
struct proto_put {
	struct proto_ref ref;
	struct proto_bytes type; /* len 0: absent (generic) */
	bool has_cas;
	uint32_t cas;
	bool has_max_versions;
	uint32_t max_versions;
	bool has_expires;
	uint64_t expires;
	struct proto_list_span labels;
	struct proto_bytes value;
	uint32_t quota, quota_period; /* QUOTA?, QUOTA_PERIOD?: 0 when absent */
};
/* PUT reply: VERSION (the new current version), MESSAGE?. */
struct proto_put_reply {
	uint32_t version;
	struct proto_bytes message;
};

/* GET: OWNER?, NAME, VERSION?, FLAGS? (enum proto_get_flag). */
struct proto_get {
	struct proto_ref ref;
	bool has_version;
	uint32_t version;
	uint32_t flags;
};
/* GET reply: VERSION, TYPE, VALUE, MESSAGE?. */
struct proto_get_reply {
	uint32_t version;
	struct proto_bytes type;
	struct proto_bytes value;
	struct proto_bytes message;
};

/* INFO and DELETE: OWNER?, NAME. */
struct proto_named {
	struct proto_ref ref;
};

/* One secret's metadata: the INFO reply body, and each LIST ENTRY group.
 * OWNER, NAME, VERSION, TYPE, STATE, MAX_VERSIONS, EXPIRES?, CREATED,
 * UPDATED, DELETED?, LABEL*, VERSIONS* (INFO only: each a group of
 * VERSION, CREATED, CREATED_BY), GRANT* (INFO only, to the owner: each a
 * group as struct proto_grant), SHARED? (1: the caller sees it through a
 * grant; omitted when 0). */
struct proto_meta {
	uint32_t owner;
	struct proto_bytes name;
	uint32_t version;
	struct proto_bytes type;
	uint32_t state;
	uint32_t max_versions;
	bool has_expires;
	uint64_t expires;
	uint64_t created;
	uint64_t updated;
	bool has_deleted;
	uint64_t deleted;
	struct proto_list_span labels;
	struct proto_list_span versions;
	struct proto_list_span grants;
	uint32_t shared;
	struct proto_bytes message; /* INFO reply only */
	/* INFO only (after MESSAGE): quota and usage; 0 / absent when none.
	 * QUOTA? and QUOTA_PERIOD? both or neither; READS? and
	 * PERIOD_READS? both or neither (has_usage); LAST_READ?
	 * (has_last_read) exactly with READER_UID and READER_PID, and
	 * READER_COMM? (at most PROTO_COMM_MAX) only with it. A LIST entry
	 * has none of these. */
	uint32_t quota, quota_period;
	bool has_usage;
	uint64_t reads, period_reads;
	bool has_last_read;
	uint64_t last_read;
	uint32_t reader_uid, reader_pid;
	struct proto_bytes reader_comm;
	/* After those (tags 99-104): FIELD* (INFO only, typed secrets: every
	 * field of the current version; secret fields without FIELD_VALUE),
	 * then VERIFY_STATUS?, VERIFY_TIME? (both or neither; LIST entries
	 * too) and VERIFY_MESSAGE? (INFO only, with them). */
	struct proto_list_span fields;
	uint32_t verify_status; /* 0: never verified */
	uint64_t verify_time;
	struct proto_bytes verify_message;
};

struct proto_version_info {
	uint32_t version;
	uint64_t created;
	uint32_t created_by;
};
/* A grant: NAME (the secret, or the folder with PROTO_SHARE_PREFIX),
 * CREATED, CREATED_BY, FLAGS?, GRANTEE_UID? | GRANTEE_GID? (exactly one),
 * PERM. */
struct proto_grant {
	struct proto_bytes name;
	uint64_t created;
	uint32_t created_by;
	uint32_t flags;
	bool is_gid;
	uint32_t grantee;
	uint32_t perm;
};
/* Decode one GRANT group's content; write one GRANT group. */
int proto_decode_grant(struct proto_bytes group, struct proto_grant *ret) PROTO_WUR;
void proto_put_grant(struct buf_writer *w, const struct proto_grant *g);

/* Decode one VERSIONS group's content (from proto_iter_next). */
int proto_decode_version_info(struct proto_bytes group, struct proto_version_info *ret) PROTO_WUR;
/* Decode one LIST ENTRY group's content (from proto_iter_next). */
int proto_decode_meta_entry(struct proto_bytes group, struct proto_meta *ret) PROTO_WUR;

/* LIST: OWNER?, LABEL* (filters: every one must match), PREFIX?, CURSOR?,
 * LIMIT?, FLAGS?, EXPIRING? (only secrets with an expiry at or before). */
struct proto_list {
	bool has_owner;
	uint32_t owner;
	struct proto_list_span labels;
	struct proto_bytes prefix;
	struct proto_bytes cursor; /* len 0: from the start */
	uint32_t limit;            /* 0: the agent's default */
	uint32_t flags;
	bool has_expiring;
	uint64_t expiring;
};
/* LIST reply: ENTRY* (groups as proto_meta without VERSIONS),
 * NEXT_CURSOR? (absent: no more pages), MESSAGE?. */
struct proto_list_reply {
	struct proto_list_span entries;
	struct proto_bytes cursor;
	struct proto_bytes message;
};

/* Any reply whose status is not OK, and the DELETE reply: MESSAGE?. */
struct proto_simple_reply {
	struct proto_bytes message;
};

/* ROTATE: OWNER?, NAME, EXPIRES?, VALUE?, FLAGS?, GEN_LENGTH?, CHARSET?.
 * Exactly one of VALUE and GEN_LENGTH (1..PROTO_GEN_LENGTH_MAX); CHARSET
 * only with GEN_LENGTH (default base64url). */
struct proto_rotate {
	struct proto_ref ref;
	bool has_expires;
	uint64_t expires;
	bool has_value;
	struct proto_bytes value;
	uint32_t flags;
	uint32_t gen_length; /* 0: VALUE given */
	uint32_t charset;
};
/* ROTATE reply: VERSION, VALUE? (the generated value, with
 * PROTO_ROTATE_PRINT only), MESSAGE?. */
struct proto_rotate_reply {
	uint32_t version;
	bool has_value;
	struct proto_bytes value;
	struct proto_bytes message;
};

/* ROLLBACK: OWNER?, NAME, VERSION (the version whose value becomes a new
 * current version). Reply: as PUT's (the new VERSION). PURGE: OWNER?,
 * NAME, VERSION? (absent: the whole secret). Both use proto_versioned. */
struct proto_versioned {
	struct proto_ref ref;
	bool has_version;
	uint32_t version;
};

/* LABEL: OWNER?, NAME, LABEL* (set or replace), LABEL_KEY* (remove); at
 * least one of them. */
struct proto_label {
	struct proto_ref ref;
	struct proto_list_span set;
	struct proto_list_span remove;
};

/* EVENT (agent to client, reqid of the WATCH): EVENT, VERSION (the
 * current version after the change; 0 when purged), STATE. */
struct proto_event_msg {
	uint32_t event;
	uint32_t version;
	uint32_t state;
};

/* SHARE: OWNER?, NAME, FLAGS? (PROTO_SHARE_PREFIX: NAME is a folder and
 * the grant covers the names under NAME/), GRANTEE_UID? | GRANTEE_GID?
 * (exactly one), PERM. UNSHARE: the same without PERM. Replies are simple. */
struct proto_share {
	struct proto_ref ref;
	uint32_t flags;
	bool is_gid;
	uint32_t grantee;
	uint32_t perm; /* 0 in UNSHARE */
};

int proto_decode_hello(struct proto_bytes body, struct proto_hello *ret) PROTO_WUR;
int proto_decode_hello_reply(struct proto_bytes body, struct proto_hello_reply *ret) PROTO_WUR;
int proto_decode_status(struct proto_bytes body) PROTO_WUR;
int proto_decode_status_reply(struct proto_bytes body, struct proto_status_reply *ret) PROTO_WUR;
int proto_decode_put(struct proto_bytes body, struct proto_put *ret) PROTO_WUR;
int proto_decode_put_reply(struct proto_bytes body, struct proto_put_reply *ret) PROTO_WUR;
int proto_decode_get(struct proto_bytes body, struct proto_get *ret) PROTO_WUR;
int proto_decode_get_reply(struct proto_bytes body, struct proto_get_reply *ret) PROTO_WUR;
int proto_decode_named(struct proto_bytes body, struct proto_named *ret) PROTO_WUR;
int proto_decode_info_reply(struct proto_bytes body, struct proto_meta *ret) PROTO_WUR;
int proto_decode_list(struct proto_bytes body, struct proto_list *ret) PROTO_WUR;
int proto_decode_list_reply(struct proto_bytes body, struct proto_list_reply *ret) PROTO_WUR;
int proto_decode_simple_reply(struct proto_bytes body, struct proto_simple_reply *ret) PROTO_WUR;

/* UNDELETE, DISABLE, ENABLE and WATCH bodies are proto_named; their
 * replies are simple replies (WATCH's at once, then EVENT frames). */
int proto_decode_rotate(struct proto_bytes body, struct proto_rotate *ret) PROTO_WUR;
int proto_decode_rotate_reply(struct proto_bytes body, struct proto_rotate_reply *ret) PROTO_WUR;
/* ROLLBACK requires VERSION; PURGE does not. TYPE says which (any other
 * TYPE: -EINVAL). */
int proto_decode_versioned(struct proto_bytes body, uint8_t type,
			   struct proto_versioned *ret) PROTO_WUR;
int proto_decode_label(struct proto_bytes body, struct proto_label *ret) PROTO_WUR;
int proto_decode_event(struct proto_bytes body, struct proto_event_msg *ret) PROTO_WUR;
/*
 * Keys. LOCK, KEYSLOT_LIST and BACKUP have empty bodies (BACKUP's target
 * file travels as a descriptor, SCM_RIGHTS, with the frame); the replies
 * of LOCK, UNLOCK, PASSWD, KEYSLOT_RM and BACKUP are simple replies.
 * UNLOCK: PASSPHRASE? (absent: a keyfile-only store re-reads its keyfile).
 * PASSWD: PASSPHRASE (the old), NEW_PASSPHRASE, SLOT? (absent: the slot
 * the old passphrase opens). KEYSLOT_ADD: PASSPHRASE? (the new slot's,
 * with kind PASSPHRASE), SLOT_KIND (KEYFILE: the 32-byte key file travels
 * as a descriptor); reply: SLOT. KEYSLOT_RM: SLOT. KEYSLOT_LIST reply:
 * KEYSLOT* groups (SLOT, SLOT_KIND, CREATED). Passphrases are 1 to
 * PROTO_PASSPHRASE_MAX bytes.
 */
struct proto_keys_req {
	uint32_t flags; /* REKEY: enum proto_rekey_flag */
	bool has_passphrase;
	struct proto_bytes passphrase;
	bool has_new_passphrase;
	struct proto_bytes new_passphrase;
	bool has_slot;
	uint32_t slot;
	uint32_t slot_kind; /* 0: absent */
};
struct proto_keyslot {
	uint32_t slot;
	uint32_t kind;
	uint64_t created;
};
/* REKEY: FLAGS? (PROTO_REKEY_RESEAL); its simple reply comes when the
 * rekey has finished (the old vault-key generation destroyed).
 * TYPE selects the schema: LOCK, UNLOCK, PASSWD, KEYSLOT_LIST,
 * KEYSLOT_ADD, KEYSLOT_RM, BACKUP or REKEY (-EINVAL for others). */
int proto_decode_keys(struct proto_bytes body, uint8_t type, struct proto_keys_req *ret) PROTO_WUR;
int proto_encode_keys(struct buf_writer *w, uint8_t type, uint32_t reqid,
		      const struct proto_keys_req *m) PROTO_WUR;
/* KEYSLOT_ADD reply: SLOT, MESSAGE?. */
int proto_decode_slot_reply(struct proto_bytes body, uint32_t *ret_slot) PROTO_WUR;
int proto_encode_slot_reply(struct buf_writer *w, uint32_t reqid, uint32_t slot) PROTO_WUR;
/* KEYSLOT_LIST reply: KEYSLOT* (at most PROTO_SLOTS_MAX), MESSAGE?. */
int proto_decode_keyslot_list_reply(struct proto_bytes body,
				    struct proto_list_span *ret) PROTO_WUR;
int proto_decode_keyslot(struct proto_bytes group, struct proto_keyslot *ret) PROTO_WUR;
void proto_put_keyslot(struct buf_writer *w, const struct proto_keyslot *s);
/* "keyfile", "passphrase"; NULL otherwise. */
const char *proto_slot_kind_name(uint32_t kind);

/* TYPE is PROTO_MSG_SHARE (PERM required) or PROTO_MSG_UNSHARE (no PERM). */
int proto_decode_share(struct proto_bytes body, uint8_t type, struct proto_share *ret) PROTO_WUR;

/* Encoders: labels, versions and grants spans are copied as raw field
 * bytes, so a span built with proto_put_string(w, PROTO_TAG_LABEL, ...)
 * (or proto_put_grant()) into scratch memory, or one borrowed from a
 * decoded message, both work. */
int proto_encode_hello(struct buf_writer *w, uint32_t reqid, const struct proto_hello *m) PROTO_WUR;
int proto_encode_hello_reply(struct buf_writer *w, uint32_t reqid, const struct proto_hello_reply *m) PROTO_WUR;
int proto_encode_status(struct buf_writer *w, uint32_t reqid) PROTO_WUR;
int proto_encode_status_reply(struct buf_writer *w, uint32_t reqid, const struct proto_status_reply *m) PROTO_WUR;
int proto_encode_put(struct buf_writer *w, uint32_t reqid, const struct proto_put *m) PROTO_WUR;
int proto_encode_put_reply(struct buf_writer *w, uint32_t reqid, const struct proto_put_reply *m) PROTO_WUR;
int proto_encode_get(struct buf_writer *w, uint32_t reqid, const struct proto_get *m) PROTO_WUR;
int proto_encode_get_reply(struct buf_writer *w, uint32_t reqid, const struct proto_get_reply *m) PROTO_WUR;
/* TYPE is PROTO_MSG_INFO, DELETE, UNDELETE, DISABLE, ENABLE, WATCH or
 * USAGE_RESET (-EINVAL otherwise). */
int proto_encode_named(struct buf_writer *w, uint8_t type, uint32_t reqid, const struct proto_named *m) PROTO_WUR;
int proto_encode_info_reply(struct buf_writer *w, uint32_t reqid, const struct proto_meta *m) PROTO_WUR;
int proto_encode_list(struct buf_writer *w, uint32_t reqid, const struct proto_list *m) PROTO_WUR;
/* Entries are added with proto_put_meta_entry() between
 * proto_reply_begin() and proto_frame_end(); this helper encodes a reply
 * whose ENTRY span is already built. */
int proto_encode_list_reply(struct buf_writer *w, uint32_t reqid, const struct proto_list_reply *m) PROTO_WUR;
/* Body fields of one secret's metadata (the INFO reply body, or inside an
 * ENTRY group). With with_versions, the whole INFO reply body: VERSIONS,
 * GRANT, SHARED?, MESSAGE? and then the INFO-only QUOTA and QUOTA_PERIOD
 * (each when not 0), READS and PERIOD_READS (with has_usage), LAST_READ,
 * READER_UID and READER_PID (with has_last_read) and READER_COMM (with
 * has_last_read, when not empty), the fields span, and VERIFY_STATUS,
 * VERIFY_TIME (verify_status not 0) and VERIFY_MESSAGE (then, when not
 * empty). Without it, an ENTRY's fields: the common ones, SHARED?,
 * VERIFY_STATUS and VERIFY_TIME (verify_status not 0), nothing
 * INFO-only. */
void proto_put_meta_fields(struct buf_writer *w, const struct proto_meta *m, bool with_versions);
void proto_put_meta_entry(struct buf_writer *w, const struct proto_meta *m);
int proto_encode_rotate(struct buf_writer *w, uint32_t reqid, const struct proto_rotate *m) PROTO_WUR;
int proto_encode_rotate_reply(struct buf_writer *w, uint32_t reqid,
			      const struct proto_rotate_reply *m) PROTO_WUR;
/* TYPE is PROTO_MSG_ROLLBACK or PROTO_MSG_PURGE (-EINVAL otherwise). */
int proto_encode_versioned(struct buf_writer *w, uint8_t type, uint32_t reqid,
			   const struct proto_versioned *m) PROTO_WUR;
int proto_encode_label(struct buf_writer *w, uint32_t reqid, const struct proto_label *m) PROTO_WUR;
int proto_encode_event(struct buf_writer *w, uint32_t reqid, const struct proto_event_msg *m) PROTO_WUR;
int proto_encode_share(struct buf_writer *w, uint8_t type, uint32_t reqid,
		       const struct proto_share *m) PROTO_WUR;
/* A reply with STATUS (for errors) and an optional MESSAGE (len 0: none). */
int proto_encode_simple_reply(struct buf_writer *w, uint8_t type, uint32_t reqid, uint16_t status,
			      const char *message, size_t message_len) PROTO_WUR;

/* ---- export and import ----
 * EXPORT: PASSPHRASE (seals the bundle), PREFIX? (only names under it;
 * as LIST's), FLAGS? (enum proto_export_flag). The bundle file travels as
 * a descriptor (SCM_RIGHTS) open for writing; the agent writes the bundle
 * (format: docs/PROTOCOL.md, "Export bundles") and replies SECRETS (u64,
 * how many it holds), MESSAGE?.
 *
 * IMPORT: PASSPHRASE? (required with a bundle descriptor), FLAGS? (enum
 * proto_import_flag), ENTRY* (inline entries, instead of a bundle; each a
 * group of NAME, TYPE?, EXPIRES?, LABEL*, VALUE; at most
 * PROTO_IMPORT_ENTRIES_MAX). Exactly one of a descriptor or entries.
 * Reply (status OK, or CONFLICT when nothing was stored because of
 * conflicts): ADDED, SKIPPED, CONFLICTED, CONFLICT* (at most
 * PROTO_CONFLICTS_MAX names), MESSAGE?.
 *
 * On the wire fields go in tag order: EXPORT is PREFIX?, FLAGS?,
 * PASSPHRASE; IMPORT is FLAGS?, ENTRY*, PASSPHRASE? (never with ENTRY:
 * that body is malformed); the IMPORT reply is MESSAGE?, ADDED, SKIPPED,
 * CONFLICTED, CONFLICT*, with no more CONFLICT names than CONFLICTED and
 * each proto_name_valid(). Entry names, types and labels are the agent's
 * to judge, as PUT's.
 */
struct proto_export {
	struct proto_bytes passphrase;
	struct proto_bytes prefix;
	uint32_t flags;
};
struct proto_export_reply {
	uint64_t secrets;
	struct proto_bytes message;
};
struct proto_import {
	bool has_passphrase;
	struct proto_bytes passphrase;
	uint32_t flags;
	struct proto_list_span entries;
};
/* One inline IMPORT entry (also the shape of a bundle's secrets, with
 * VERSIONS; see proto_bundle_secret). */
struct proto_import_entry {
	struct proto_bytes name;
	struct proto_bytes type;
	bool has_expires;
	uint64_t expires;
	struct proto_list_span labels;
	struct proto_bytes value;
};
struct proto_import_reply {
	uint32_t added, skipped, conflicted;
	struct proto_list_span conflicts; /* CONFLICT strings */
	struct proto_bytes message;
};
int proto_decode_export(struct proto_bytes body, struct proto_export *ret) PROTO_WUR;
int proto_encode_export(struct buf_writer *w, uint32_t reqid, const struct proto_export *m) PROTO_WUR;
int proto_decode_export_reply(struct proto_bytes body, struct proto_export_reply *ret) PROTO_WUR;
int proto_encode_export_reply(struct buf_writer *w, uint32_t reqid,
			      const struct proto_export_reply *m) PROTO_WUR;
int proto_decode_import(struct proto_bytes body, struct proto_import *ret) PROTO_WUR;
int proto_encode_import(struct buf_writer *w, uint32_t reqid, const struct proto_import *m) PROTO_WUR;
int proto_decode_import_entry(struct proto_bytes group, struct proto_import_entry *ret) PROTO_WUR;
void proto_put_import_entry(struct buf_writer *w, const struct proto_import_entry *e);
/* The import reply is decoded whatever its status (OK or CONFLICT). */
int proto_decode_import_reply(struct proto_bytes body, struct proto_import_reply *ret) PROTO_WUR;
int proto_encode_import_reply(struct buf_writer *w, uint32_t reqid, uint16_t status,
			      const struct proto_import_reply *m) PROTO_WUR;

/*
 * Bundle plaintext: each secret is one chunk holding these fields (in tag
 * order): NAME, VERSION (current), TYPE, STATE, MAX_VERSIONS, EXPIRES?,
 * CREATED, UPDATED, LABEL*, VERSIONS* (each a group of VERSION, CREATED,
 * CREATED_BY, VALUE), QUOTA?, QUOTA_PERIOD?. The last chunk is the
 * trailer: SECRETS (u64, the number of secret chunks before it).
 * proto_decode_bundle_secret() checks every rule, so what decodes can be
 * stored as it is: NAME proto_name_valid(), TYPE proto_type_valid(),
 * each LABEL proto_label_valid(), STATE <= PROTO_STATE_MAX, QUOTA and
 * QUOTA_PERIOD both or neither (quota >= 1, period 1..PROTO_PERIOD_MAX),
 * and every VERSIONS group valid (proto_decode_bundle_version(): VERSION
 * >= 1), their VERSIONs ascending, one of them the current VERSION.
 * proto_put_bundle_version() writes one whole VERSIONS group; the
 * secret's versions span is such groups.
 */
struct proto_bundle_secret {
	struct proto_bytes name;
	uint32_t version;
	struct proto_bytes type;
	uint32_t state;
	uint32_t max_versions;
	bool has_expires;
	uint64_t expires;
	uint64_t created, updated;
	struct proto_list_span labels;
	struct proto_list_span versions; /* groups: proto_bundle_version */
	uint32_t quota, quota_period;    /* 0: none */
};
struct proto_bundle_version {
	uint32_t version;
	uint64_t created;
	uint32_t created_by;
	struct proto_bytes value;
};
int proto_decode_bundle_secret(struct proto_bytes chunk, struct proto_bundle_secret *ret) PROTO_WUR;
int proto_decode_bundle_version(struct proto_bytes group, struct proto_bundle_version *ret) PROTO_WUR;
/* Write one secret chunk's fields (no frame header). Versions as below. */
void proto_put_bundle_secret(struct buf_writer *w, const struct proto_bundle_secret *s);
void proto_put_bundle_version(struct buf_writer *w, const struct proto_bundle_version *v);
int proto_decode_bundle_trailer(struct proto_bytes chunk, uint64_t *ret_secrets) PROTO_WUR;
void proto_put_bundle_trailer(struct buf_writer *w, uint64_t secrets);

/* ---- audit ----
 * AUDIT: OWNER? and NAME? (records whose target is that secret; OWNER
 * alone: any of that owner's secrets), CURSOR?, LIMIT?, FLAGS? (enum
 * proto_audit_flag), FILTER_UID?, OP?, STATUS?, SINCE?, UNTIL?.
 * Reply: RECORD* (or, with PROTO_AUDIT_SUMMARY, SUMMARY*), NEXT_CURSOR?,
 * MESSAGE?. A RECORD group: OWNER?, NAME?, VERSION? (the target), OP,
 * STATUS, SEQ, TIME, UID, GID, PID, COMM?, COUNT, SECURITY?. A SUMMARY
 * group: OP, STATUS, TOTAL (records' counts summed over the page scanned);
 * the client adds the pages up.
 *
 * AUDIT_VERIFY: empty body. Reply: CHECKED, FIRST_SEQ, BROKEN_SEQ? (the
 * first record edited, removed or out of order: the chain is broken
 * there), HEAD? (the MAC of the last record, as sent to the journal),
 * MESSAGE? (what was found).
 *
 * On the wire fields go in tag order, so replies start with NEXT_CURSOR?
 * and MESSAGE? (an agent that streams groups writes the cursor first):
 * AUDIT reply NEXT_CURSOR?, MESSAGE?, RECORD*, SUMMARY* (at most
 * PROTO_LIST_LIMIT_MAX, never both kinds); AUDIT_VERIFY reply MESSAGE?,
 * CHECKED, BROKEN_SEQ?, FIRST_SEQ, HEAD? (exactly PROTO_AUDIT_HEAD_SIZE
 * bytes). A RECORD has COUNT >= 1, VERSION only with NAME, OP of 1 to
 * PROTO_OP_MAX bytes, STATUS <= PROTO_STATUS_MAX, COMM at most
 * PROTO_COMM_MAX; a SUMMARY has TOTAL >= 1. The reply decoders check
 * every group.
 */
struct proto_audit {
	bool has_owner;
	uint32_t owner;
	struct proto_bytes name;   /* len 0: any */
	struct proto_bytes cursor; /* len 0: from the start */
	uint32_t limit;            /* 0: the agent's default */
	uint32_t flags;
	bool has_uid;
	uint32_t uid;
	struct proto_bytes op;     /* len 0: any */
	bool has_status;
	uint32_t status;
	bool has_since;
	uint64_t since;
	bool has_until;
	uint64_t until;
};
struct proto_audit_record {
	bool has_owner;
	uint32_t owner;
	struct proto_bytes name;
	bool has_version;
	uint32_t version;
	struct proto_bytes op;
	uint32_t status;
	uint64_t seq;
	uint64_t time;
	uint32_t uid, gid, pid;
	struct proto_bytes comm;
	uint32_t count;
	uint32_t security;
};
struct proto_audit_summary {
	struct proto_bytes op;
	uint32_t status;
	uint64_t total;
};
struct proto_audit_reply {
	struct proto_list_span records;   /* RECORD groups */
	struct proto_list_span summaries; /* SUMMARY groups */
	struct proto_bytes cursor;        /* len 0: no more pages */
	struct proto_bytes message;
};
struct proto_audit_verify_reply {
	uint64_t checked;
	uint64_t first_seq;
	bool has_broken;
	uint64_t broken_seq;
	struct proto_bytes head;
	struct proto_bytes message;
};
int proto_decode_audit(struct proto_bytes body, struct proto_audit *ret) PROTO_WUR;
int proto_encode_audit(struct buf_writer *w, uint32_t reqid, const struct proto_audit *m) PROTO_WUR;
int proto_decode_audit_reply(struct proto_bytes body, struct proto_audit_reply *ret) PROTO_WUR;
int proto_decode_audit_record(struct proto_bytes group, struct proto_audit_record *ret) PROTO_WUR;
int proto_decode_audit_summary(struct proto_bytes group, struct proto_audit_summary *ret) PROTO_WUR;
void proto_put_audit_record(struct buf_writer *w, const struct proto_audit_record *r);
void proto_put_audit_summary(struct buf_writer *w, const struct proto_audit_summary *s);
/* Records and summaries are added with the put helpers between
 * proto_reply_begin() and proto_frame_end(); this writes a whole reply
 * whose spans are already built. */
int proto_encode_audit_reply(struct buf_writer *w, uint32_t reqid,
			     const struct proto_audit_reply *m) PROTO_WUR;
int proto_decode_audit_verify(struct proto_bytes body) PROTO_WUR;
int proto_encode_audit_verify(struct buf_writer *w, uint32_t reqid) PROTO_WUR;
int proto_decode_audit_verify_reply(struct proto_bytes body,
				    struct proto_audit_verify_reply *ret) PROTO_WUR;
int proto_encode_audit_verify_reply(struct buf_writer *w, uint32_t reqid,
				    const struct proto_audit_verify_reply *m) PROTO_WUR;

/* ---- usage and quotas ----
 * USAGE: OWNER?, PREFIX?, CURSOR?, LIMIT?. Reply: USAGE* groups (OWNER,
 * NAME, READS, PERIOD_READS, PERIOD_START, LAST_READ?, READER_UID?,
 * READER_PID?, READER_COMM?, QUOTA?, QUOTA_PERIOD?), NEXT_CURSOR?,
 * MESSAGE?. The period is the quota's, or the UTC day without a quota.
 * QUOTA: OWNER?, NAME, QUOTA? and QUOTA_PERIOD? (both or neither; neither:
 * remove the quota). USAGE_RESET: OWNER?, NAME (proto_named). Both reply
 * with simple replies.
 * PUT also takes QUOTA? and QUOTA_PERIOD? (after VALUE, both or neither),
 * and the INFO reply (proto_meta) carries the secret's QUOTA?,
 * QUOTA_PERIOD? and usage fields (READS, PERIOD_READS, LAST_READ?,
 * READER_UID?, READER_PID?, READER_COMM?), after MESSAGE.
 *
 * On the wire: the USAGE reply is NEXT_CURSOR?, MESSAGE?, USAGE* (at most
 * PROTO_LIST_LIMIT_MAX); a USAGE group is OWNER, NAME, QUOTA?,
 * QUOTA_PERIOD?, READS, PERIOD_READS, LAST_READ?, READER_UID?,
 * READER_PID?, READER_COMM?, PERIOD_START, with READER_UID and
 * READER_PID exactly with LAST_READ and READER_COMM only with it.
 * Wherever QUOTA and QUOTA_PERIOD appear: both or neither, the quota
 * >= 1, the period 1..PROTO_PERIOD_MAX.
 */
struct proto_usage {
	bool has_owner;
	uint32_t owner;
	struct proto_bytes prefix;
	struct proto_bytes cursor;
	uint32_t limit;
};
struct proto_usage_entry {
	uint32_t owner;
	struct proto_bytes name;
	uint64_t reads, period_reads, period_start;
	bool has_last_read;
	uint64_t last_read;
	uint32_t reader_uid, reader_pid; /* with has_last_read */
	struct proto_bytes reader_comm;
	uint32_t quota, quota_period; /* 0: none */
};
struct proto_usage_reply {
	struct proto_list_span entries; /* USAGE groups */
	struct proto_bytes cursor;
	struct proto_bytes message;
};
struct proto_quota {
	struct proto_ref ref;
	uint32_t quota, quota_period; /* 0, 0: none */
};
int proto_decode_usage(struct proto_bytes body, struct proto_usage *ret) PROTO_WUR;
int proto_encode_usage(struct buf_writer *w, uint32_t reqid, const struct proto_usage *m) PROTO_WUR;
int proto_decode_usage_reply(struct proto_bytes body, struct proto_usage_reply *ret) PROTO_WUR;
int proto_decode_usage_entry(struct proto_bytes group, struct proto_usage_entry *ret) PROTO_WUR;
void proto_put_usage_entry(struct buf_writer *w, const struct proto_usage_entry *e);
int proto_encode_usage_reply(struct buf_writer *w, uint32_t reqid,
			     const struct proto_usage_reply *m) PROTO_WUR;
int proto_decode_quota(struct proto_bytes body, struct proto_quota *ret) PROTO_WUR;
int proto_encode_quota(struct buf_writer *w, uint32_t reqid, const struct proto_quota *m) PROTO_WUR;

/* The operation name of a request type, as audit records and cred(1)
 * name it: "put", "get", "info", "ls", "rm", "rotate", "rollback",
 * "undelete", "purge", "disable", "enable", "label", "watch", "share",
 * "unshare", "lock", "unlock", "passwd", "keyslot" (KEYSLOT_LIST, ADD
 * and RM), "backup", "rekey", "export", "import", "audit",
 * "audit-verify", "usage", "quota", "usage-reset", "verify", "status",
 * "hello";
 * "connect" for 0 (a refused connection), "suppressed" for
 * PROTO_OP_SUPPRESSED (a summary record of the requests past a uid's
 * audit budget); NULL for other types. At most PROTO_OP_MAX bytes. */
#define PROTO_OP_SUPPRESSED 0xfeu
#define PROTO_OP_MAX 32u
const char *proto_op_name(uint8_t type);
/* The type for an operation name (case-sensitive): the first type that
 * proto_op_name() gives that name ("keyslot": PROTO_MSG_KEYSLOT_LIST;
 * "connect": 0; "suppressed": PROTO_OP_SUPPRESSED), or -EINVAL. */
int proto_op_parse(const char *name) PROTO_WUR;
/* "hour", "day", "month"; NULL otherwise. */
const char *proto_period_name(uint32_t period);
/* The enum for a period name, or -EINVAL. */
int proto_period_parse(const char *name) PROTO_WUR;
/* The start (unix seconds, UTC) of the period holding NOW: its calendar
 * hour, day or month. Any other PERIOD (0: no quota) is taken as a day,
 * the period of usage counts without a quota. */
uint64_t proto_period_start(uint32_t period, uint64_t now);

/* ---- typed secrets ----
 * A secret of type "generic" holds its VALUE as raw bytes. Any other type
 * holds, as VALUE (in PUT, ROTATE, GET replies and IMPORT entries alike),
 * its fields: FIELD groups of FIELD_KEY (1-64 bytes of [a-z0-9_]) and
 * FIELD_VALUE, keys strictly ascending (bytewise), 1 to
 * PROTO_TYPED_FIELDS_MAX of them. The registry below says which fields a
 * type names; fields it does not name are kept as they came.
 *
 * VERIFY: OWNER?, NAME, VERSION? (the version checked; absent: the
 * current), VERIFY_STATUS, VERIFY_MESSAGE?: the client ran the type's
 * check and the agent records the result (time: the agent's clock) in
 * the secret's metadata. Simple reply. The caller needs read access.
 */
#define PROTO_TYPED_FIELDS_MAX 64u
#define PROTO_FIELD_KEY_MAX 64u

enum proto_field_flag {
	PROTO_FIELD_REQUIRED = 1u << 0, /* absent and without a default: INVALID */
	PROTO_FIELD_SECRET = 1u << 1,   /* masked in INFO; the first is the primary */
};
enum proto_field_check {
	PROTO_CHECK_BYTES = 0, /* anything */
	PROTO_CHECK_TEXT = 1,  /* 1 byte or more of UTF-8, no control characters */
	PROTO_CHECK_PORT = 2,  /* decimal 1-65535 */
	PROTO_CHECK_ENUM = 3,  /* one of values[] */
	PROTO_CHECK_BOOL = 4,  /* "true" or "false" */
};
struct proto_type_field {
	const char *name;
	uint8_t flags;             /* enum proto_field_flag */
	uint8_t check;             /* enum proto_field_check */
	const char *def;           /* the default, or NULL */
	const char *const *values; /* PROTO_CHECK_ENUM: NULL-terminated */
};
struct proto_type {
	const char *name;
	const struct proto_type_field *fields;
	uint32_t n_fields;
};

/* The registry: DESIGN.md section 5's types, "generic" first. I from 0;
 * NULL past the last. */
const struct proto_type *proto_type_at(size_t i);
/* The type named NAME (LEN bytes), or NULL for a name not in it. */
const struct proto_type *proto_type_lookup(const void *name, size_t len);
/* A type's field named NAME, or NULL. */
const struct proto_type_field *proto_type_field(const struct proto_type *t, const void *name,
						size_t len);
/* The primary field (the first secret one): what `cred get` prints. */
const struct proto_type_field *proto_type_primary(const struct proto_type *t);

/*
 * Check VALUE as the field set of type T (not generic): 0; -EBADMSG when
 * it is not a well-formed field set (WHY says how); -EINVAL when a field
 * fails T's rules: a required field missing, a port out of range, a value
 * not in an enumeration (WHY names the field, never its value). WHY is
 * always NUL-terminated (WHYLEN > 0). Rules are checked in T's field
 * order and the first broken one is reported; docs/PROTOCOL.md section
 * 13 lists the messages. T generic (or NULL): -EINVAL, "generic secrets
 * have no fields".
 */
int proto_typed_check(const struct proto_type *t, struct proto_bytes value, char *why,
		      size_t whylen) PROTO_WUR;
/* Field KEY of a well-formed field set: 1 with *ret (borrowing VALUE), 0
 * when absent, -EBADMSG when VALUE does not parse. */
int proto_typed_get(struct proto_bytes value, const char *key, size_t keylen,
		    struct proto_bytes *ret) PROTO_WUR;
/* Write one FIELD group (callers write keys in ascending order). */
void proto_put_typed_field(struct buf_writer *w, const void *key, size_t keylen,
			   const void *val, size_t vallen);
/* Write one FIELD group of FIELD_KEY alone: a secret field masked in an
 * INFO reply. */
void proto_put_masked_field(struct buf_writer *w, const void *key, size_t keylen);
/* One FIELD group's content (from proto_iter_next over an INFO reply's
 * fields span, or over (struct proto_list_span){value, 0} for a field
 * set that proto_typed_check() or proto_typed_get() accepted): 0 with
 * *ret_key, *ret_value and *ret_has_value (false: masked, *ret_value
 * empty) set, borrowing GROUP; -EBADMSG when it is not FIELD_KEY (1-64
 * bytes of [a-z0-9_]) then an optional FIELD_VALUE. */
int proto_decode_typed_field(struct proto_bytes group, struct proto_bytes *ret_key,
			     struct proto_bytes *ret_value, bool *ret_has_value) PROTO_WUR;

/* VERIFY. */
struct proto_verify_req {
	struct proto_ref ref;
	bool has_version;
	uint32_t version;
	uint32_t status; /* enum proto_verify */
	struct proto_bytes message;
};
int proto_decode_verify(struct proto_bytes body, struct proto_verify_req *ret) PROTO_WUR;
int proto_encode_verify(struct buf_writer *w, uint32_t reqid,
			const struct proto_verify_req *m) PROTO_WUR;
/* "ok", "failed"; NULL otherwise. */
const char *proto_verify_name(uint32_t status);

#endif
