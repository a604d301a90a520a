/* SPDX-License-Identifier: MIT */
#ifndef CRED_H
#define CRED_H

/*
 * libcred: the client library of credagent. See libcred(3).
 *
 * Every int function returns 0 (or a positive count) on success and a
 * negated enum cred_error on failure. The library never logs and never
 * prints; cred_strerror() and cred_message() say what went wrong.
 * A cred_conn is not thread-safe: use one per thread.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Errors, numbered as the cred command's exit codes where one exists. */
enum cred_error {
	CRED_OK = 0,
	CRED_E_FAILED = 1,       /* anything else (I/O error, agent failure) */
	CRED_E_USAGE = 2,        /* bad argument or bad name */
	CRED_E_NOT_FOUND = 3,
	CRED_E_DENIED = 4,       /* includes a socket served by the wrong uid */
	CRED_E_LOCKED = 5,
	CRED_E_UNREACHABLE = 6,  /* no agent at the socket */
	CRED_E_CONFLICT = 7,
	CRED_E_QUOTA = 8,
	CRED_E_EXPIRED = 9,
	CRED_E_DISABLED = 10,
	CRED_E_INVALID = 11,
	CRED_E_BAD_REQUEST = 12,
	CRED_E_UNSUPPORTED = 13,
	CRED_E_RATE_LIMITED = 14,
	CRED_E_PROTOCOL = 15,    /* the agent sent something malformed */
	CRED_E_NOMEM = 16,
};

/* A static string for an error (positive or negated). */
const char *cred_strerror(int err);
/* The cred(1) exit code for an error (positive or negated). */
int cred_exit_code(int err);
/* A static upper-case name for an error, as cred(1) prints it in JSON:
 * "NOT_FOUND", "QUOTA_EXCEEDED", ...; "FAILED" for unknown numbers. */
const char *cred_error_name(int err);

typedef struct cred_conn cred_conn;

/*
 * Connect to an agent. PATH, if not NULL, names the socket; otherwise
 * $CRED_SOCK, then the user socket ($XDG_RUNTIME_DIR/credagent/sock, or
 * /tmp/credagent-UID/sock), then, only when no user socket exists, the
 * system socket /run/credagent/sock. Before sending anything the server's
 * SO_PEERCRED uid must be the caller's own (or root, for the system
 * socket); otherwise -CRED_E_DENIED. Does the HELLO exchange.
 * On success *ret is a connection the caller closes with cred_close().
 */
int cred_connect(const char *path, cred_conn **ret);
/*
 * The socket path cred_connect(PATH) would try, for messages such as "no
 * agent at PATH": PATH itself, $CRED_SOCK, the user socket, or the system
 * socket when no user socket exists but the system one does. Copies it
 * NUL-terminated into BUF (SIZE bytes); 0, or -CRED_E_USAGE when it does
 * not fit.
 */
int cred_socket_find(const char *path, char *buf, size_t size);
/* Closes and frees; accepts NULL. */
void cred_close(cred_conn *c);
/* The socket path in use; valid until cred_close(). */
const char *cred_socket_path(const cred_conn *c);
/*
 * The agent's message on the last reply (why it failed, or a warning on
 * success), or "" if none; valid until the next call on C. Never holds a
 * secret value.
 */
const char *cred_message(const cred_conn *c);

/* Agent status. Free with cred_status_free(). */
struct cred_status {
	char *version;
	int system_mode; /* 0: user mode, 1: system mode */
	int locked;
	uint64_t uptime;
	uint64_t secrets;
	uint64_t store_bytes;
};
int cred_status_get(cred_conn *c, struct cred_status **ret);
void cred_status_free(struct cred_status *s);

/*
 * References are "[OWNER:]NAME": OWNER a user name or uid, defaulting to
 * the caller. cred_ref_valid() returns 0 or -CRED_E_USAGE.
 */
int cred_ref_valid(const char *ref);
/*
 * Splits REF: *ret_owner gets OWNER's uid (getuid() when REF names no
 * owner), *ret_name (if not NULL) points at NAME inside REF. A decimal
 * OWNER is a uid; anything else is looked up as a user name. 0, or
 * -CRED_E_USAGE for a bad reference or an unknown user (-CRED_E_FAILED or
 * -CRED_E_NOMEM when the user database cannot be read).
 */
int cred_ref_parse(const char *ref, uid_t *ret_owner, const char **ret_name);
/* OWNER (a user name or decimal uid, one trailing ':' allowed) to a uid:
 * 0 or errors as cred_ref_parse(). */
int cred_owner_parse(const char *owner, uid_t *ret_uid);
/* A LIST prefix: "" or a valid name, optionally followed by '/'.
 * 0 or -CRED_E_USAGE. */
int cred_prefix_valid(const char *prefix);

/* Options for cred_put(); zero-initialise and set what you need. */
struct cred_put_opts {
	const char *type;        /* NULL: "generic" */
	const char *const *labels; /* NULL-terminated "key=value" list, or NULL */
	int64_t expires;         /* unix seconds; 0: none */
	uint32_t max_versions;   /* 0: agent default */
	int has_cas;
	uint32_t cas;            /* with has_cas: CONFLICT unless current == cas */
	/* Appended: a read quota (see "Usage and quotas"). QUOTA 0: none
	 * (a put never removes an existing quota; cred_quota_set() does);
	 * otherwise at most QUOTA reads per QUOTA_PERIOD (enum cred_period). */
	uint32_t quota;
	int quota_period;
};

/* Store VALUE (LEN bytes) as a new version. *ret_version, if not NULL,
 * gets the new version number. The request frame holding VALUE is sized
 * exactly and zeroed after sending; the caller zeroes VALUE. A value that
 * cannot fit the agent's frame limit fails with -CRED_E_USAGE before
 * anything is sent, cred_message() saying how large it may be. */
int cred_put(cred_conn *c, const char *ref, const void *value, size_t len,
	     const struct cred_put_opts *opts, uint32_t *ret_version);

/* A secret value: LEN bytes at DATA (followed by a NUL not counted in
 * LEN). Free with cred_value_free(), which zeroes it. */
struct cred_value {
	uint8_t *data;
	size_t len;
	uint32_t version;
	char *type;
};
/* VERSION 0: the current version. */
int cred_get(cred_conn *c, const char *ref, uint32_t version, struct cred_value **ret);
void cred_value_free(struct cred_value *v);

enum cred_state { CRED_STATE_ACTIVE = 0, CRED_STATE_DISABLED = 1, CRED_STATE_DELETED = 2 };

struct cred_version_info {
	uint32_t version;
	int64_t created;
	uid_t created_by;
};

/* A permission another user or group holds on a secret or a folder (see
 * "Sharing" below). */
struct cred_grant {
	char *name;         /* the secret's NAME, or the folder's with prefix */
	int prefix;         /* 1: the grant covers every name under NAME/ */
	int is_gid;         /* 1: grantee is a gid; 0: a uid */
	uint32_t grantee;
	int perm;           /* enum cred_perm */
	int64_t created;    /* unix seconds */
	uid_t created_by;
};

/* The longest command name the kernel keeps for a process (comm). */
#define CRED_COMM_MAX 15

/* A secret's read counters (see "Usage and quotas"). */
struct cred_read_usage {
	uint64_t reads;        /* in total */
	uint64_t period_reads; /* in the current period (the quota's, else the
	                          UTC day) */
	int has_last_read;     /* 0: never read; the members below are 0 */
	int64_t last_read;     /* unix seconds */
	uid_t reader_uid;      /* who read it last */
	pid_t reader_pid;
	char reader_comm[CRED_COMM_MAX + 1]; /* its command name, may be "" */
};

struct cred_fields; /* "Typed secrets" below */

/* Metadata of one secret, never its value. Free with cred_info_free(). */
struct cred_info {
	char *name;
	uid_t owner;
	char *type;
	uint32_t version;
	int state; /* enum cred_state */
	uint32_t max_versions;
	int64_t created;
	int64_t updated;
	int64_t expires; /* 0: none */
	int64_t deleted; /* 0: not deleted */
	char **labels;   /* NULL-terminated "key=value" list */
	size_t n_versions;
	struct cred_version_info *versions; /* cred_info() only; else NULL */
	/* Appended (the library allocates this struct); see "Sharing". */
	int shared;       /* 1: the caller sees it through a grant, not as owner */
	size_t n_grants;
	struct cred_grant *grants; /* cred_info() to the owner only; else NULL */
	/* Appended; cred_info() only (zero in lists): see "Usage and
	 * quotas". */
	uint32_t quota;   /* reads allowed per quota_period; 0: no quota */
	int quota_period; /* enum cred_period; 0 without a quota */
	int has_usage;    /* 1: the agent sent the usage counters below */
	struct cred_read_usage usage;
	/* Appended; see "Typed secrets". FIELDS (cred_info() of a typed
	 * secret only; NULL for generic ones and in lists): the current
	 * version's fields as stored, defaults not filled in, each secret
	 * field masked (its key present, its value NULL). The last VERIFY
	 * result (cred_info() and lists alike): VERIFY_STATUS an enum
	 * cred_verify_status (CRED_VERIFY_NEVER: the members below are 0 and
	 * NULL); VERIFY_MESSAGE (cred_info() only) NULL when none. */
	struct cred_fields *fields;
	int verify_status;
	int64_t verify_time; /* unix seconds, the agent's clock */
	char *verify_message;
};
int cred_info(cred_conn *c, const char *ref, struct cred_info **ret);
void cred_info_free(struct cred_info *i);

/* A list of secrets' metadata (versions left NULL). */
struct cred_list {
	size_t n;
	struct cred_info **items;
};
enum cred_list_flag {
	CRED_LIST_DELETED = 1,
	CRED_LIST_ALL_USERS = 2,
	/* Only secrets never verified or whose last verify failed. */
	CRED_LIST_UNVERIFIED = 4,
};
/* Every secret whose name starts with PREFIX (NULL or "": all), fetched page
 * by page. OWNER, if not NULL, names whose secrets to list ("[OWNER:]" form
 * as in references, without the name). */
int cred_list(cred_conn *c, const char *owner, const char *prefix, unsigned flags,
	      struct cred_list **ret);
void cred_list_free(struct cred_list *l);

/* Soft-delete: the secret leaves get and ls (see CRED_LIST_DELETED) and
 * cred_undelete() restores it until the agent's retention time ends. */
int cred_delete(cred_conn *c, const char *ref);

/* ---- versions and lifecycle (libcred(3), "Versions and lifecycle") ---- */

/* Longest NAME, without the NUL. */
#define CRED_NAME_MAX 255

/* Flags for cred_get_ex(). */
enum cred_get_flag {
	/* Read a secret past its expiry instead of failing with
	 * CRED_E_EXPIRED; the agent then says so in cred_message(). */
	CRED_GET_ALLOW_EXPIRED = 1,
};
/* cred_get() with FLAGS (a bitwise OR of enum cred_get_flag). */
int cred_get_ex(cred_conn *c, const char *ref, uint32_t version, unsigned flags,
                struct cred_value **ret);

/* Character sets for generated values, numbered as on the wire. */
enum cred_charset {
	CRED_CHARSET_BASE64URL = 0, /* A-Z a-z 0-9 - _ (the default) */
	CRED_CHARSET_HEX = 1,       /* 0-9 a-f */
	CRED_CHARSET_ALNUM = 2,     /* A-Z a-z 0-9 */
	CRED_CHARSET_PRINTABLE = 3, /* printable ASCII but space (! to ~) */
};
/* The longest value the agent generates, in characters. */
#define CRED_GENERATE_MAX 4096u
/* "base64url", "hex", "alnum", "printable"; NULL for other numbers. */
const char *cred_charset_name(int charset);
/* The enum cred_charset for a name, or -CRED_E_USAGE. */
int cred_charset_parse(const char *name);

/* Options for cred_rotate(); zero-initialise and set what you need. */
struct cred_rotate_opts {
	uint32_t generate; /* 0: the VALUE given; 1..CRED_GENERATE_MAX: the agent
	                      generates that many characters (VALUE NULL, LEN 0) */
	int charset;       /* enum cred_charset, with generate only */
	int64_t expires;   /* unix seconds; 0: none */
};

/*
 * Add a version to an existing secret: VALUE (LEN bytes, as cred_put()
 * sends it), or a value the agent generates when opts->generate is set.
 * *ret_version, if not NULL, gets the new version number. RET_GENERATED,
 * if not NULL with opts->generate set, asks the agent for the generated
 * value and gets it (free with cred_value_free(), which zeroes it; its
 * type is ""); otherwise the value never leaves the agent and
 * *ret_generated, if not NULL, is set to NULL.
 */
int cred_rotate(cred_conn *c, const char *ref, const void *value, size_t len,
                const struct cred_rotate_opts *opts, uint32_t *ret_version,
                struct cred_value **ret_generated);
/*
 * cred_rotate() of a typed secret's primary field alone: VALUE (LEN
 * bytes) replaces that field and the agent keeps the others (for a
 * generic secret VALUE is the whole new value). OPTS, if not NULL, gives
 * only expires; generate must be 0.
 */
int cred_rotate_primary(cred_conn *c, const char *ref, const void *value, size_t len,
                        const struct cred_rotate_opts *opts, uint32_t *ret_version);
/* Make the value of version TO (>= 1) current again, as a new version
 * whose number *ret_version (if not NULL) gets. */
int cred_rollback(cred_conn *c, const char *ref, uint32_t to, uint32_t *ret_version);
/* Restore a soft-deleted secret. */
int cred_undelete(cred_conn *c, const char *ref);
/* Destroy now: every version when VERSION is 0, else that version only.
 * Works on deleted secrets too; nothing can bring a purged value back. */
int cred_purge(cred_conn *c, const char *ref, uint32_t version);
/* A disabled secret answers CRED_E_DISABLED on get; its metadata stays
 * readable. cred_enable() undoes it. */
int cred_disable(cred_conn *c, const char *ref);
int cred_enable(cred_conn *c, const char *ref);
/* Set (add or replace) the "key=value" labels of SET and remove the label
 * keys of REMOVE; both NULL-terminated, either may be NULL but not both
 * empty (-CRED_E_USAGE). Keys not present are not an error. */
int cred_label(cred_conn *c, const char *ref, const char *const *set,
               const char *const *remove);

/* Filters for cred_list_ex(); zero-initialise. */
struct cred_list_filter {
	const char *const *labels; /* NULL-terminated "key=value": every one must
	                              match; NULL: no label filter */
	int64_t expiring;          /* > 0: only secrets with an expiry at or
	                              before this unix time; 0: no filter */
};
/* cred_list() with FILTER (may be NULL). */
int cred_list_ex(cred_conn *c, const char *owner, const char *prefix, unsigned flags,
                 const struct cred_list_filter *filter, struct cred_list **ret);

/* ---- watching (libcred(3), "Watching") ---- */

/* What a watch event reports, numbered as on the wire (never reused). */
enum cred_event_type {
	CRED_EVENT_PUT = 1,            /* a new version by put */
	CRED_EVENT_ROTATED = 2,
	CRED_EVENT_ROLLED_BACK = 3,
	CRED_EVENT_DISABLED = 4,
	CRED_EVENT_ENABLED = 5,
	CRED_EVENT_DELETED = 6,
	CRED_EVENT_UNDELETED = 7,
	CRED_EVENT_PURGED = 8,         /* the whole secret: this watch ends */
	CRED_EVENT_VERSION_PURGED = 9, /* one version */
	CRED_EVENT_REVOKED = 10,       /* the caller's grant on it was revoked:
	                                  this watch ends (version 0) */
	/* Not from the agent: more events arrived than the connection queues
	 * (CRED_EVENT_QUEUE_MAX) while the caller did other requests, and the
	 * newest were dropped; re-read whatever is watched. It comes after
	 * the events kept; NAME is "" and the other members are 0. */
	CRED_EVENT_OVERFLOW = 0x100,
};
/* Events a connection keeps while its caller is busy with other calls. */
#define CRED_EVENT_QUEUE_MAX 64u

/* One change to a watched secret. No value, nothing to free. */
struct cred_event {
	int event;        /* enum cred_event_type */
	uint32_t version; /* the current version after the change; 0 if purged */
	int state;        /* enum cred_state after the change */
	uid_t owner;      /* whose secret: the watch's reference */
	char name[CRED_NAME_MAX + 1];
};
/* "put", "rotated", "rolled_back", "disabled", "enabled", "deleted",
 * "undeleted", "purged", "version_purged", "revoked", "overflow";
 * "unknown" else. */
const char *cred_event_name(int event);

/*
 * Watch REF for changes: sends WATCH and waits for the agent to accept it
 * (NOT_FOUND if there is no such secret). A connection may hold several
 * watches and still serve every other request; the agent caps watches per
 * user. A watch lasts until the connection closes, the secret is purged,
 * or (watching another user's secret) the grant that allowed it goes.
 */
int cred_watch(cred_conn *c, const char *ref);
/*
 * The next event of any watch on C: 1 with *ret filled, 0 when TIMEOUT_MS
 * (-1: no limit) passed without one, or a negated error (-CRED_E_USAGE
 * when C has no watch and no queued event left). Events that arrived
 * during other calls are returned first, oldest first.
 */
int cred_watch_next(cred_conn *c, int timeout_ms, struct cred_event *ret);
/* The descriptor to poll(2) for POLLIN before calling cred_watch_next()
 * in an event loop (with timeout 0); -1 without a connection. */
int cred_fd(const cred_conn *c);
/* The number of events queued on C: cred_watch_next() returns them without
 * reading the socket, so check this before polling cred_fd(). */
size_t cred_events_pending(const cred_conn *c);

/* ---- sharing (libcred(3), "Sharing") ---- */

/* Permissions, numbered as on the wire. READ: get (any kept version),
 * info, watch. WRITE: READ's, and put, rotate, rollback, delete,
 * undelete, disable, enable, label. Only the owner shares, unshares,
 * purges and sets max_versions. */
enum cred_perm { CRED_PERM_READ = 1, CRED_PERM_WRITE = 2 };
/* "read", "write"; NULL for other numbers. */
const char *cred_perm_name(int perm);
/* The enum cred_perm for "read" or "write", or -CRED_E_USAGE. */
int cred_perm_parse(const char *name);

/* Flags for cred_share() and cred_unshare(). */
enum cred_share_flag {
	/* REF names a folder P (a trailing '/' allowed): the grant covers
	 * every name under P/ (P/x, P/x/y, never Pother nor P itself). */
	CRED_SHARE_PREFIX = 1,
};

/* Who a grant is for: a uid, or a gid (every member of the group). */
struct cred_grantee {
	int is_gid;   /* 0: ID is a uid; 1: a gid */
	uint32_t id;  /* never (uint32_t)-1 */
};
/*
 * Fills *RET from S, a user name or decimal uid (IS_GID 0), or a group
 * name or decimal gid (IS_GID 1), names looked up with getpwnam_r(3) /
 * getgrnam_r(3). 0, or -CRED_E_USAGE for a malformed id or an unknown
 * name (-CRED_E_FAILED or -CRED_E_NOMEM when the database cannot be read).
 */
int cred_grantee_parse(const char *s, int is_gid, struct cred_grantee *ret);
/*
 * Give WHO the permission PERM (enum cred_perm) on REF, one of the
 * caller's own secrets (or, with CRED_SHARE_PREFIX in FLAGS, the folder
 * REF). Sharing again replaces the permission. Owner only: an agent
 * answers CRED_E_DENIED to anyone else who can see the secret.
 */
int cred_share(cred_conn *c, const char *ref, const struct cred_grantee *who, int perm,
               unsigned flags);
/* Revoke WHO's grant on REF (the same FLAGS as when shared); the agent
 * also ends WHO's watches that the grant allowed. CRED_E_NOT_FOUND when
 * there is no such grant. */
int cred_unshare(cred_conn *c, const char *ref, const struct cred_grantee *who,
                 unsigned flags);

/* ---- keys (libcred(3), "Keys") ---- */

/*
 * The agent's master key is stored only wrapped, in numbered keyslots: a
 * keyfile slot (a 32-byte random file) or a passphrase slot (Argon2id).
 * While the agent is locked every call that needs a key fails with
 * CRED_E_LOCKED. The calls that take a passphrase make the agent run
 * Argon2id, which may take a second or more: they wait for the reply
 * with no time limit. A passphrase is 1 to CRED_PASSPHRASE_MAX bytes;
 * it travels in a request frame sized exactly and zeroed after sending,
 * and zeroing the caller's copy is the caller's job. A wrong passphrase
 * fails with CRED_E_DENIED.
 */
#define CRED_PASSPHRASE_MAX 1024u
/* Keyslots are numbered 0 to CRED_KEYSLOTS_MAX - 1. */
#define CRED_KEYSLOTS_MAX 16u

/* Keyslot kinds, numbered as on the wire. */
enum cred_keyslot_kind { CRED_KEYSLOT_KEYFILE = 1, CRED_KEYSLOT_PASSPHRASE = 2 };
/* "keyfile", "passphrase"; NULL for other numbers. */
const char *cred_keyslot_kind_name(int kind);

/* Wipe the keys from the agent's memory: it is locked until unlocked. */
int cred_lock(cred_conn *c);
/* Unlock with PASSPHRASE (LEN bytes), or, with PASSPHRASE NULL and LEN 0,
 * let a store with a keyfile slot re-read its keyfile. */
int cred_unlock(cred_conn *c, const char *passphrase, size_t len);
/*
 * Change a passphrase: OLD_PASS must open a passphrase slot, which then
 * holds NEW_PASS instead. SLOT names the slot to change (CRED_E_DENIED
 * when OLD_PASS does not open it), or is -1 for the slot OLD_PASS opens.
 */
int cred_passwd(cred_conn *c, const char *old_pass, size_t old_len, const char *new_pass,
                size_t new_len, int slot);

/* One keyslot; never key material. */
struct cred_keyslot {
	uint32_t slot;
	int kind;        /* enum cred_keyslot_kind (or a newer agent's number) */
	int64_t created; /* unix seconds */
};
/* The keyslots, by slot number. Free with cred_keyslot_list_free(). */
struct cred_keyslot_list {
	size_t n;
	struct cred_keyslot *items;
};
int cred_keyslot_list(cred_conn *c, struct cred_keyslot_list **ret);
void cred_keyslot_list_free(struct cred_keyslot_list *l);
/* Add a passphrase slot for PASS (LEN bytes); *ret_slot, if not NULL, gets
 * its number. The agent must be unlocked. */
int cred_keyslot_add_passphrase(cred_conn *c, const char *pass, size_t len, uint32_t *ret_slot);
/* Add a keyfile slot whose key is the 32 bytes the agent reads from FD
 * (open for reading; sent over the socket as SCM_RIGHTS, and still the
 * caller's to close). *ret_slot, if not NULL, gets its number. */
int cred_keyslot_add_keyfile(cred_conn *c, int fd, uint32_t *ret_slot);
/* Remove keyslot SLOT; the last one left cannot go (CRED_E_CONFLICT). */
int cred_keyslot_rm(cred_conn *c, uint32_t slot);
/*
 * Have the agent write a backup of its store (sealed, as on disk; not the
 * keyfile) to FD, a descriptor open for writing (a new, empty file is
 * best) sent as SCM_RIGHTS and still the caller's to close. Returns when
 * the agent has finished writing it.
 */
int cred_backup(cred_conn *c, int fd);

/* Flags for cred_rekey(). */
enum cred_rekey_flag {
	/* Also re-encrypt every value under a new data key. */
	CRED_REKEY_RESEAL = 1,
};
/*
 * Rekey the store: the agent makes a new vault-key generation, rewraps
 * every data key under it (or, with CRED_REKEY_RESEAL in FLAGS, also
 * re-encrypts every value under a new data key), then destroys the old
 * generation; other clients are served meanwhile. Returns when the agent
 * has finished, which on a large store may take minutes: the call waits
 * with no time limit. CRED_E_LOCKED while locked, CRED_E_CONFLICT if a
 * rekey is already running, CRED_E_DENIED if not root in system mode.
 */
int cred_rekey(cred_conn *c, unsigned flags);

/* ---- export and import (libcred(3), "Export and import") ---- */

/* Flags for cred_export(). */
enum cred_export_flag {
	/* Only each secret's current version, not the older kept ones. */
	CRED_EXPORT_CURRENT_ONLY = 1,
};
/*
 * Have the agent write a bundle of the caller's secrets (every kept
 * version, labels, expiry and quota of each; deleted secrets are left
 * out) to FD, a descriptor open for writing (a new, empty file is best)
 * sent as SCM_RIGHTS and still the caller's to close. The bundle is
 * sealed with PASSPHRASE (LEN bytes, 1 to CRED_PASSPHRASE_MAX; it
 * travels as the key calls' passphrases do, and zeroing the caller's copy
 * is the caller's job): it opens on any agent, with the passphrase only.
 * PREFIX (NULL or "": all) takes only the names under it, as
 * cred_list()'s. FLAGS: enum cred_export_flag. *ret_secrets, if not
 * NULL, gets how many secrets the bundle holds. Returns when the agent
 * has finished writing; CRED_E_LOCKED while locked.
 */
int cred_export(cred_conn *c, int fd, const char *passphrase, size_t len, const char *prefix,
                unsigned flags, uint64_t *ret_secrets);

/* Flags for cred_import() and cred_import_entries(). */
enum cred_import_flag {
	/* Replace the value of an existing name (as a new version) instead
	 * of counting it as a conflict. */
	CRED_IMPORT_OVERWRITE = 1,
	/* Check and count only: nothing is stored. */
	CRED_IMPORT_DRY_RUN = 2,
};
/* The most entries one cred_import_entries() call takes, and the most
 * conflicting names an agent lists. */
#define CRED_IMPORT_ENTRIES_MAX 10000u
#define CRED_IMPORT_CONFLICTS_MAX 64u

/* What an import did (or, with CRED_IMPORT_DRY_RUN, would do). Free with
 * cred_import_result_free(). */
struct cred_import_result {
	uint32_t added;      /* new names (or new versions, with OVERWRITE) */
	uint32_t skipped;    /* names that already hold the same value */
	uint32_t conflicted; /* names that exist with another value */
	size_t n_conflicts;  /* conflicting names listed: at most
	                        CRED_IMPORT_CONFLICTS_MAX, maybe fewer than
	                        conflicted */
	char **conflicts;    /* those names, NULL-terminated */
};
/*
 * Import a bundle written by cred_export() from FD (open for reading,
 * sent as SCM_RIGHTS, still the caller's to close), opened with
 * PASSPHRASE (LEN bytes). All or nothing: a name that exists with
 * another value is a conflict, and any conflict (without
 * CRED_IMPORT_OVERWRITE) stores nothing and fails with CRED_E_CONFLICT.
 * Names already holding the same value are skipped. FLAGS: enum
 * cred_import_flag. *ret gets the counts on success and with
 * CRED_E_CONFLICT too (NULL on other errors, or if the agent's CONFLICT
 * reply carried no counts). A wrong passphrase or a damaged bundle fails
 * with the agent's error and message.
 */
int cred_import(cred_conn *c, int fd, const char *passphrase, size_t len, unsigned flags,
                struct cred_import_result **ret);

/* One secret for cred_import_entries(). */
struct cred_import_item {
	const char *name;          /* NAME (the caller's own namespace) */
	const char *type;          /* NULL: "generic" */
	const void *value;         /* LEN bytes */
	size_t len;
	const char *const *labels; /* NULL-terminated "key=value", or NULL */
	int64_t expires;           /* unix seconds; 0: none */
};
/*
 * cred_import() of N (1 to CRED_IMPORT_ENTRIES_MAX) values given inline
 * instead of a bundle, with the same all-or-nothing rules, FLAGS and
 * results. All items travel in one request frame (sized exactly and
 * zeroed after sending, as are libcred's copies of the values; the
 * caller zeroes its own): more than the agent's frame limit fails with
 * CRED_E_USAGE before anything is sent.
 */
int cred_import_entries(cred_conn *c, const struct cred_import_item *items, size_t n,
                        unsigned flags, struct cred_import_result **ret);
void cred_import_result_free(struct cred_import_result *r);

/* ---- audit (libcred(3), "Audit") ---- */

/* Which records cred_audit() and cred_audit_summary() return; zero-
 * initialise and set what you need. */
struct cred_audit_query {
	const char *ref;   /* "[OWNER:]NAME": records whose target is that
	                      secret; "OWNER:" alone: any of OWNER's secrets;
	                      NULL: any record */
	int has_uid;
	uid_t uid;         /* with has_uid: records of calls by this uid */
	const char *op;    /* an operation name ("get", "put", "connect", ...),
	                      as cred_audit_record's; NULL: any */
	int has_status;
	int status;        /* with has_status: records of this status */
	int64_t since;     /* > 0: records at or after this unix time */
	int64_t until;     /* > 0: records before this unix time */
	size_t limit;      /* cred_audit(): at most this many records; 0: all */
};

/* One audit record; never a secret value. */
struct cred_audit_record {
	uint64_t seq;     /* its sequence number in the trail */
	int64_t time;     /* unix seconds */
	uid_t uid;        /* the caller, as the kernel told the agent */
	gid_t gid;
	pid_t pid;
	char comm[CRED_COMM_MAX + 1]; /* the caller's command name, may be "" */
	char *op;         /* the operation: "get", "put", ..., "connect" */
	int has_target;   /* 1: owner and name (and version, if not 0) are set */
	uid_t owner;
	char *name;       /* NULL without a target */
	uint32_t version; /* 0: none */
	int status;       /* the agent's answer, numbered as enum cred_error
	                     (CRED_OK, CRED_E_DENIED, ...) */
	uint32_t count;   /* identical records folded into this one (>= 1) */
	int security;     /* 1: a security event (a denied attempt, ...) */
};
struct cred_audit_list {
	size_t n;
	struct cred_audit_record *items;
};
/*
 * The audit records Q selects (Q NULL: all) that the caller may see (in
 * system mode: its own calls and operations on its secrets; admins and a
 * user-mode agent's owner: all), in sequence order, fetched page by page.
 * Free with cred_audit_list_free().
 */
int cred_audit(cred_conn *c, const struct cred_audit_query *q, struct cred_audit_list **ret);
void cred_audit_list_free(struct cred_audit_list *l);

/* How many records of one operation ended with one status. */
struct cred_audit_summary {
	char *op;
	int status;     /* numbered as enum cred_error */
	uint64_t count; /* records, folded counts included */
};
struct cred_audit_summary_list {
	size_t n;
	struct cred_audit_summary *items;
};
/* Counts of the records Q selects (its limit unused) by operation and
 * status, added up over every page. Free with
 * cred_audit_summary_list_free(). */
int cred_audit_summary(cred_conn *c, const struct cred_audit_query *q,
                       struct cred_audit_summary_list **ret);
void cred_audit_summary_list_free(struct cred_audit_summary_list *l);

#define CRED_AUDIT_HEAD_LEN 32u
#define CRED_MESSAGE_MAX    1024u
/* What cred_audit_verify() found. */
struct cred_audit_verify_result {
	uint64_t checked;   /* records checked */
	uint64_t first_seq; /* the first record kept */
	int broken;         /* 1: the chain breaks at broken_seq */
	uint64_t broken_seq;
	int has_head;       /* 1: head holds the chain head */
	uint8_t head[CRED_AUDIT_HEAD_LEN]; /* the MAC of the last record */
	char message[CRED_MESSAGE_MAX + 1]; /* what the agent found, or "" */
};
/*
 * Have the agent check the audit trail's MAC chain. Returns 0 with *ret
 * filled whether the chain is intact or broken (ret->broken says which);
 * an error only when the check could not run.
 */
int cred_audit_verify(cred_conn *c, struct cred_audit_verify_result *ret);

/* ---- usage and quotas (libcred(3), "Usage and quotas") ---- */

/* Quota periods, numbered as on the wire: calendar hours, days and months
 * in UTC. */
enum cred_period { CRED_PERIOD_HOUR = 1, CRED_PERIOD_DAY = 2, CRED_PERIOD_MONTH = 3 };
/* "hour", "day", "month"; NULL for other numbers. */
const char *cred_period_name(int period);
/* The enum cred_period for a name, or -CRED_E_USAGE. */
int cred_period_parse(const char *name);
/* "N/PERIOD" (N 1 to UINT32_MAX, PERIOD hour, day or month) into *ret_quota
 * and *ret_period: 0 or -CRED_E_USAGE. */
int cred_quota_parse(const char *s, uint32_t *ret_quota, int *ret_period);

/* One secret's usage. */
struct cred_usage {
	char *name;
	uid_t owner;
	struct cred_read_usage usage;
	int64_t period_start; /* unix seconds: the current period began */
	uint32_t quota;       /* 0: none */
	int quota_period;     /* enum cred_period; 0 without a quota */
};
struct cred_usage_list {
	size_t n;
	struct cred_usage *items;
};
/*
 * Usage of the secrets whose names start with PREFIX (NULL or "": all),
 * of OWNER (a user name or uid as in references, without the name; NULL:
 * the caller), fetched page by page. Free with cred_usage_list_free().
 */
int cred_usage(cred_conn *c, const char *owner, const char *prefix, struct cred_usage_list **ret);
void cred_usage_list_free(struct cred_usage_list *l);
/* Set REF's quota to QUOTA reads per PERIOD (enum cred_period), or with
 * QUOTA 0 (and PERIOD 0) remove it. Owner only. Reads past a quota fail
 * with CRED_E_QUOTA until the next period begins. */
int cred_quota_set(cred_conn *c, const char *ref, uint32_t quota, int period);
/* Zero REF's usage counters. Its owner, or an admin. */
int cred_usage_reset(cred_conn *c, const char *ref);

/* ---- typed secrets (libcred(3), "Typed secrets") ---- */

/*
 * A secret of type "generic" holds raw bytes. Every other type holds a
 * field set: 1 to CRED_FIELDS_MAX fields, each a key (1 to
 * CRED_FIELD_KEY_MAX of a-z 0-9 _) and a value (bytes), keys unique. The
 * type registry (the same table the agent checks against) says which
 * fields a type names, which are required and secret, their defaults
 * and its primary field (the first secret one: what cred_get_field()
 * returns without a field name); fields a type does not name are kept
 * as they came. The registry's strings are static.
 */
#define CRED_FIELDS_MAX    64u
#define CRED_FIELD_KEY_MAX 64u

/* A type's field's flags. */
enum cred_field_flag {
	CRED_FIELD_REQUIRED = 1, /* absent (and without a default): invalid */
	CRED_FIELD_SECRET = 2,   /* masked in cred_info(); the first is the primary */
};
/* What the agent checks a field's value against. */
enum cred_field_check {
	CRED_CHECK_BYTES = 0, /* anything */
	CRED_CHECK_TEXT = 1,  /* non-empty UTF-8 without control characters */
	CRED_CHECK_PORT = 2,  /* decimal 1-65535 */
	CRED_CHECK_ENUM = 3,  /* one of VALUES */
	CRED_CHECK_BOOL = 4,  /* "true" or "false" */
};
/* One field a type names. */
struct cred_type_field {
	const char *name;
	unsigned flags;            /* enum cred_field_flag */
	int check;                 /* enum cred_field_check */
	const char *def;           /* the default, or NULL */
	const char *const *values; /* CRED_CHECK_ENUM: NULL-terminated; else NULL */
};
/* The I-th type's name (from 0, "generic" first), or NULL past the last. */
const char *cred_type_at(size_t i);
/* 1 when TYPE is a type of the registry, else 0. */
int cred_type_known(const char *type);
/* TYPE's I-th field (from 0) into *ret: 1, or 0 past the last or for an
 * unknown TYPE. */
int cred_type_field_at(const char *type, size_t i, struct cred_type_field *ret);
/* TYPE's field named FIELD into *ret (RET may be NULL): 1, or 0 when
 * TYPE does not name it (or is unknown). */
int cred_type_lookup(const char *type, const char *field, struct cred_type_field *ret);
/* The name of TYPE's primary field ("value" for generic), or NULL for an
 * unknown type. */
const char *cred_type_primary(const char *type);

/* A field set. Every block holding a value is zeroed when freed. */
struct cred_field {
	char *key;      /* NUL-terminated */
	uint8_t *value; /* LEN bytes followed by a NUL not counted; NULL:
	                   masked (cred_info() of a secret field) */
	size_t len;
};
struct cred_fields {
	size_t n;
	struct cred_field *items; /* sorted by key (bytewise ascending) */
};
/* An empty set (to fill with cred_fields_set()). */
int cred_fields_new(struct cred_fields **ret);
/* Sets KEY to a copy of VALUE (LEN bytes), replacing any value it had and
 * keeping the keys sorted: 0, -CRED_E_USAGE for a malformed key, or
 * -CRED_E_NOMEM. The caller zeroes its copy of VALUE. */
int cred_fields_set(struct cred_fields *f, const char *key, const void *value, size_t len);
/* Removes KEY (its value zeroed): 1, or 0 when absent. */
int cred_fields_unset(struct cred_fields *f, const char *key);
/* Zeroes every value and frees F; accepts NULL. */
void cred_fields_free(struct cred_fields *f);
/*
 * Parses VALUE (LEN bytes: a typed secret's value as cred_get() returns
 * it) into a new set: 0, -CRED_E_INVALID when it is not a well-formed
 * field set, or -CRED_E_NOMEM.
 */
int cred_fields_decode(const void *value, size_t len, struct cred_fields **ret);
/*
 * The wire form of F (what cred_put() and cred_rotate() take as a typed
 * secret's value), keys in ascending order, into *ret (*ret_len bytes,
 * exactly allocated; release it with cred_buf_free()). 0, -CRED_E_USAGE
 * for an empty or oversized set, a bad or repeated key or a masked value,
 * or -CRED_E_NOMEM.
 */
int cred_fields_encode(const struct cred_fields *f, uint8_t **ret, size_t *ret_len);
/* Zeroes LEN bytes at P and frees it; accepts NULL. */
void cred_buf_free(void *p, size_t len);
/* Zeroes the string S and frees it; accepts NULL. */
void cred_str_free(char *s);
/*
 * Field KEY of F: 1 with *ret / *ret_len borrowing its value (valid until
 * F changes or is freed; a masked field gives *ret NULL). When F lacks
 * KEY and TYPE (may be NULL) has a default for it, 1 with the default (a
 * static string). 0 when absent, F and KEY not NULL; -CRED_E_USAGE
 * otherwise.
 */
int cred_fields_get(const struct cred_fields *f, const char *key, const char *type,
                    const uint8_t **ret, size_t *ret_len);

/*
 * A copy of one field of V, a value cred_get() returned: for a generic
 * secret its bytes (FIELD NULL or "value"); otherwise FIELD of its field
 * set, or its type's primary field when FIELD is NULL, a default counting
 * as present. FIELD "uri", when the set has no field of that name, is the
 * connection URI of the types that have one (cred_render_uri()). The copy
 * is a new cred_value (same version and type; free with cred_value_free()). 0; -CRED_E_NOT_FOUND when there is no such
 * field; -CRED_E_INVALID when V does not hold a well-formed field set or
 * its type is unknown and FIELD NULL; -CRED_E_NOMEM.
 */
int cred_value_field(const struct cred_value *v, const char *field, struct cred_value **ret);
/*
 * cred_get() then cred_value_field(): field FIELD (NULL: the primary) of
 * REF's version VERSION (0: the current). A missing field fails with
 * -CRED_E_NOT_FOUND and cred_message() "no field FIELD".
 */
int cred_get_field(cred_conn *c, const char *ref, uint32_t version, const char *field,
                   struct cred_value **ret);

/*
 * The connection URI of a field set F of type TYPE into *ret (allocated,
 * NUL-terminated; release it with cred_str_free(): it holds the
 * password):
 *   postgresql  postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=M]
 *   mysql       mysql://USER:PASSWORD@HOST:PORT/DATABASE[?ssl=true|false]
 *   snowflake   snowflake://USER:PASSWORD@ACCOUNT/DATABASE[/SCHEMA]?warehouse=W[&role=R]
 *   sqlite      sqlite:///PATH ("/" kept: /var/x.db gives sqlite:////var/x.db)
 * Every component is percent-encoded (all but A-Z a-z 0-9 - . _ ~ become
 * %XX), a host holding ':' (an IPv6 literal) goes in brackets, and
 * defaults fill absent fields. 0; -CRED_E_USAGE for a type without a
 * URI; -CRED_E_INVALID when F lacks a field the URI needs (or holds a
 * masked one); -CRED_E_NOMEM.
 */
int cred_render_uri(const char *type, const struct cred_fields *f, char **ret);

/* Environment variables: NAME=VALUE pairs. Values are zeroed when freed. */
struct cred_env_var {
	char *name;
	char *value; /* NUL-terminated, LEN bytes, no NUL inside */
	size_t len;
};
struct cred_env {
	size_t n;
	struct cred_env_var *items;
};
/*
 * The variables of a field set F of type TYPE, in this order:
 *   postgresql  PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD [PGSSLMODE]
 *   mysql       MYSQL_HOST MYSQL_TCP_PORT MYSQL_DATABASE MYSQL_USER MYSQL_PWD
 *   api_key     <PROVIDER>_API_KEY (the provider upper-cased; "other": API_KEY)
 * 0 with *ret (free with cred_env_free()); -CRED_E_USAGE for another
 * type; -CRED_E_INVALID when a needed field is missing or masked, or a
 * value holds a NUL byte (no environment can carry it); -CRED_E_NOMEM.
 */
int cred_render_env(const char *type, const struct cred_fields *f, struct cred_env **ret);
void cred_env_free(struct cred_env *e);
/*
 * E as shell lines "export NAME='VALUE'\n", single-quoted (a ' inside
 * written '\''), into *ret (allocated; release with cred_str_free()).
 * 0 or -CRED_E_NOMEM.
 */
int cred_env_export(const struct cred_env *e, char **ret);

/* The last VERIFY result of a secret (numbered as on the wire). */
enum cred_verify_status {
	CRED_VERIFY_NEVER = 0, /* never verified */
	CRED_VERIFY_OK = 1,
	CRED_VERIFY_FAILED = 2,
};
/* "ok", "failed"; NULL for other numbers (CRED_VERIFY_NEVER included). */
const char *cred_verify_status_name(int status);

/* ---- verification (libcred(3), "Typed secrets") ---- */

/* The longest message cred_verify_record() sends, in bytes. */
#define CRED_VERIFY_MESSAGE_MAX 255u
/*
 * Record the result of checking REF's credential (the caller ran the
 * check: a login, a command): OK non-zero for ok, 0 for failed, with
 * MESSAGE (may be NULL; cut to CRED_VERIFY_MESSAGE_MAX bytes at a UTF-8
 * character boundary) saying what happened. It must hold no secret: the
 * agent stores it in the metadata, shown by cred_info() to whoever may
 * see the secret. VERSION is the version checked (0: the current). The
 * agent stamps the time with its own clock.
 */
int cred_verify_record(cred_conn *c, const char *ref, uint32_t version, int ok,
                       const char *message);

#ifdef __cplusplus
}
#endif
#endif
