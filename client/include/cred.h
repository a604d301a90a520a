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
};
int cred_info(cred_conn *c, const char *ref, struct cred_info **ret);
void cred_info_free(struct cred_info *i);

/* A list of secrets' metadata (versions left NULL). */
struct cred_list {
	size_t n;
	struct cred_info **items;
};
enum cred_list_flag { CRED_LIST_DELETED = 1, CRED_LIST_ALL_USERS = 2 };
/* Every secret whose name starts with PREFIX (NULL or "": all), fetched page
 * by page. OWNER, if not NULL, names whose secrets to list ("[OWNER:]" form
 * as in references, without the name). */
int cred_list(cred_conn *c, const char *owner, const char *prefix, unsigned flags,
	      struct cred_list **ret);
void cred_list_free(struct cred_list *l);

/* Soft-delete. */
int cred_delete(cred_conn *c, const char *ref);

#ifdef __cplusplus
}
#endif
#endif
