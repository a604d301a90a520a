/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_CLI_H
#define CREDAGENT_CLI_H

/*
 * The cred command: shared state, the command table and helpers. Every
 * helper returning int returns 0 on success or an exit code (already
 * printed) on failure, so a command can "return" it straight away.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <jansson.h>

#include "cred.h"

/* Input larger than this is refused before asking the agent. */
#define CLI_VALUE_MAX (64u << 20)

struct cli {
	const char *sock; /* -s SOCK, or NULL */
	bool json;
	const char *cmd; /* the command's name, for messages */
	cred_conn *conn; /* after cli_connect(); closed by main */
};

struct cli_command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage; /* the arguments, for help and errors */
};

/* Commands: ARGV[0] is the command's name, options follow it. */
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_put(struct cli *cli, int argc, char **argv);
int cmd_get(struct cli *cli, int argc, char **argv);
int cmd_rm(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);
int cmd_ls(struct cli *cli, int argc, char **argv);
/* cmd-lifecycle.c */
int cmd_rotate(struct cli *cli, int argc, char **argv);
int cmd_rollback(struct cli *cli, int argc, char **argv);
int cmd_undelete(struct cli *cli, int argc, char **argv);
int cmd_purge(struct cli *cli, int argc, char **argv);
int cmd_disable(struct cli *cli, int argc, char **argv);
int cmd_enable(struct cli *cli, int argc, char **argv);
int cmd_label(struct cli *cli, int argc, char **argv);
/* cmd-watch.c */
int cmd_watch(struct cli *cli, int argc, char **argv);
/* cmd-share.c */
int cmd_share(struct cli *cli, int argc, char **argv);
int cmd_unshare(struct cli *cli, int argc, char **argv);
/* cmd-keys.c */
int cmd_lock(struct cli *cli, int argc, char **argv);
int cmd_unlock(struct cli *cli, int argc, char **argv);
int cmd_passwd(struct cli *cli, int argc, char **argv);
int cmd_keyslot(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_rekey(struct cli *cli, int argc, char **argv);
/* cmd-transfer.c */
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
/* cmd-audit.c */
int cmd_audit(struct cli *cli, int argc, char **argv);
/* cmd-usage.c */
int cmd_usage(struct cli *cli, int argc, char **argv);
int cmd_quota(struct cli *cli, int argc, char **argv);
/* cmd-render.c */
int cmd_uri(struct cli *cli, int argc, char **argv);
int cmd_env(struct cli *cli, int argc, char **argv);
int cmd_read(struct cli *cli, int argc, char **argv);
/* cmd-run.c */
int cmd_run(struct cli *cli, int argc, char **argv);
/* cmd-inject.c */
int cmd_inject(struct cli *cli, int argc, char **argv);
/* cmd-importenv.c */
int cmd_import_env(struct cli *cli, int argc, char **argv);
/* cmd-verify.c */
int cmd_verify(struct cli *cli, int argc, char **argv);

/* The table main.c dispatches on; NULL-named entry last. */
extern const struct cli_command cli_commands[];
const struct cli_command *cli_command_find(const char *name);
/* The entry of the command running (the first word of CLI->cmd: "keyslot"
 * for "keyslot rm"), or NULL. */
const struct cli_command *cli_command_current(const struct cli *cli);
/* "Usage: cred COMMAND ARGS" on stdout (help) or stderr. */
void cli_command_usage(const struct cli_command *c, bool to_stderr);

/* ---- errors (output.c) ---- */

/* Prints "cred: CMD: [SUBJECT: ]MESSAGE" (or the JSON error) and returns
 * cred_exit_code(ERR). FMT NULL: cred_strerror(ERR). */
int cli_error(struct cli *cli, int err, const char *subject, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* A library failure: the agent's message when there is one. */
int cli_lib_error(struct cli *cli, int err, const char *subject);
/* A bad command line: exit 2. */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long returned '?' or ':' for ARGV: exit 2. */
int cli_option_error(struct cli *cli, int opt, char **argv);
/* "cred: CMD: [SUBJECT: ]warning: ..." on stderr (also with --json). */
void cli_warn(struct cli *cli, const char *subject, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Connects to the agent; 0 or an exit code with the error printed. */
int cli_connect(struct cli *cli);

/* ---- output helpers (output.c) ---- */

/* Writes all of P, retrying short writes and EINTR: 0 or -errno. */
int cli_write_all(int fd, const void *p, size_t n);
/* "2026-11-21T22:10:00Z" into BUF (at least CLI_TIME_LEN bytes). */
#define CLI_TIME_LEN 32
void cli_time_format(int64_t t, char *buf, size_t size);
/* The user name of UID, or its decimal form, into BUF. */
void cli_user_name(uid_t uid, char *buf, size_t size);
/* The user (IS_GID 0) or group (IS_GID 1) name of ID into BUF: true, or
 * false with BUF untouched when it has none. */
bool cli_grantee_name(int is_gid, uint32_t id, char *buf, size_t size);
/* "uid 1001 (alice)" / "gid 100 (users)", or "uid 1001" without a name,
 * into BUF (CLI_GRANTEE_LEN bytes are enough). */
#define CLI_GRANTEE_LEN 300
void cli_grantee_words(int is_gid, uint32_t id, char *buf, size_t size);
const char *cli_state_name(int state);
/* NAME, or OWNER:NAME (the user name when it resolves) for a secret not
 * the caller's: allocated, or NULL when out of memory. */
char *cli_display_name(uid_t owner, const char *name);
/* "uid=1000 pid=4242 COMM" (COMM "-" when empty) into BUF. */
#define CLI_READER_LEN 64
void cli_reader_words(uid_t uid, pid_t pid, const char *comm, char *buf, size_t size);
/* "3/hour" into BUF, or "-" for no quota (QUOTA 0). */
#define CLI_QUOTA_LEN 32
void cli_quota_format(uint32_t quota, int period, char *buf, size_t size);

/* ---- files (output.c) ---- */

/* Creates FILE anew (O_EXCL, 0600, no symbolic link followed) for the
 * agent to write through: 0 with *ret_fd and *ret_st (its fstat), or an
 * exit code with the error printed ("already exists" when it does). */
int cli_create_new(struct cli *cli, const char *file, int *ret_fd, struct stat *ret_st);
/* Removes PATH if it is still the file ST describes (one this command
 * created and that is now to go). */
void cli_remove_partial(const char *path, const struct stat *st);

/* ---- JSON (json.c) ---- */

/* Makes jansson zero every block it frees (a value may pass through). */
void cli_json_init(void);
/* Prints J on stdout with a newline and releases it: 0 or an exit code. */
int cli_json_print(struct cli *cli, json_t *j);
/* An RFC 3339 string, or null for 0. */
json_t *cli_json_time(int64_t t);
/* {"k": "v", ...} from a NULL-terminated "k=v" list. */
json_t *cli_json_labels(char *const *labels);
/* VALUE as a JSON string, or NULL when it is not valid UTF-8. */
json_t *cli_json_bytes_string(const uint8_t *p, size_t n);
/* Standard base64 of P as a JSON string. */
json_t *cli_json_base64(const uint8_t *p, size_t n);
/* "3/hour", or null for no quota (QUOTA 0). */
json_t *cli_json_quota(uint32_t quota, int period);
/* {"uid", "pid", "comm"} of the last reader, or null if never read. */
json_t *cli_json_reader(const struct cred_read_usage *u);
/* {"reads", "period_reads", "last_read", "last_reader"} (U NULL: every
 * member null). */
json_t *cli_json_usage(const struct cred_read_usage *u);

/* ---- input (input.c) ---- */

/* Parses a u32 in [MIN, UINT32_MAX] for option OPT: 0 or exit 2. */
int cli_parse_u32(struct cli *cli, const char *opt, const char *s, uint32_t min, uint32_t *ret);
/* WHEN: an RFC 3339 time or a duration from now; 0 or exit 2. */
int cli_parse_when(struct cli *cli, const char *opt, const char *s, int64_t *ret);
/* WHEN in the past: an RFC 3339 time or a duration meaning that long
 * ago; 0 or exit 2. */
int cli_parse_ago(struct cli *cli, const char *opt, const char *s, int64_t *ret);
/* N/PERIOD (N >= 1; PERIOD hour, day or month) for option OPT (NULL: an
 * operand): 0 or exit 2. */
int cli_parse_quota(struct cli *cli, const char *opt, const char *s, uint32_t *ret_quota,
                    int *ret_period);
/* [OWNER:]PREFIX (ls, usage): split and checked before connecting.
 * *ret_owner, when set, is allocated (freed by the caller, also after a
 * failure); *ret_prefix points into ARG. 0 or an exit code. */
int cli_parse_target(struct cli *cli, const char *arg, char **ret_owner, const char **ret_prefix);
/* Exactly one argument left after the options (ARGV[optind]): 0 with
 * *ret set, or exit 2 for a missing or an extra one. */
int cli_one_ref(struct cli *cli, int argc, char **argv, const char **ret);
/* A label's KEY=VALUE (OPT, if not NULL, names its option): 0 or exit 2. */
int cli_check_label(struct cli *cli, const char *opt, const char *s);
/* Warns "expiry is in the past" for REF when 0 < EXPIRES <= now, and
 * prints the agent's message (cred_message) as a warning unless it says
 * just that. */
void cli_warn_expiry(struct cli *cli, const char *ref, int64_t expires);
/* Checks REF ("[OWNER:]NAME") before anything is sent: 0 with *ret_owner
 * (the caller's uid when REF names no owner) and *ret_name (inside REF),
 * or exit 2 with a message saying what is wrong. */
int cli_parse_ref(struct cli *cli, const char *ref, uid_t *ret_owner, const char **ret_name);
/* RFC 3339 to unix seconds: 0 or -EINVAL. */
int cli_parse_rfc3339(const char *s, int64_t *ret);
/*
 * The value for put: all of FILE (if not NULL; "-" is stdin), else a
 * no-echo prompt asked twice when stdin is a tty, else all of stdin.
 * *ret holds *ret_len bytes (never grown with realloc; any room after them
 * was never written); the caller releases it with zero_free(*ret, *ret_len).
 * 0 or an exit code.
 */
int cli_read_value(struct cli *cli, const char *file, const char *name, uint8_t **ret,
                   size_t *ret_len);

/* ---- typed secrets (fields.c, resolve.c) ---- */

/* A field key: 1 to CRED_FIELD_KEY_MAX of a-z 0-9 _ (S need not be
 * NUL-terminated). */
bool cli_field_key_valid(const char *s, size_t n);
/* TYPE NULL or "generic". */
bool cli_type_is_generic(const char *type);
/* A --field KEY=VALUE argument for TYPE: a well-formed key that is not a
 * secret field of TYPE (those come from stdin or --json-in). 0 or exit 2. */
int cli_check_field_arg(struct cli *cli, const char *type, const char *arg);

/* What put got for a typed secret. */
struct cli_put_fields {
	const char *ref;
	const char *type;    /* not generic */
	const char *json_in; /* --json-in FILE or "-", or NULL */
	const char *file;    /* --from-file F, or NULL */
	const char *const *fields; /* --field KEY=VALUE, checked */
	size_t n_fields;
};
/*
 * The field set put sends: --json-in's members, then --field's (which
 * win), then the primary field from --from-file or stdin when it is
 * still missing (never read when --json-in took stdin). 0 with *ret
 * (*ret_len bytes, the wire form; release with cred_buf_free()), or an
 * exit code.
 */
int cli_put_fields_build(struct cli *cli, const struct cli_put_fields *a, uint8_t **ret,
                         size_t *ret_len);
/* F (of TYPE) as a JSON object {KEY: string, ...}, TYPE's defaults
 * filled in, masked fields null; a value that is not UTF-8 is null there
 * and its base64 goes into *ret_b64 (an object created on demand; NULL
 * when none). NULL when out of memory. */
json_t *cli_json_fields(const char *type, const struct cred_fields *f, json_t **ret_b64);

/* A reference with an optional field: "[cred://][OWNER:]NAME[#FIELD]". */
struct cli_fref {
	char *ref;   /* [OWNER:]NAME */
	char *field; /* NULL: the primary */
};
/* Splits and checks S: 0 with *ret (free with cli_fref_free()), or exit 2
 * with nothing to free. */
int cli_parse_fref(struct cli *cli, const char *s, struct cli_fref *ret);
void cli_fref_free(struct cli_fref *f);

/* The values one command fetched, one GET per reference. */
struct cli_cache_entry {
	char *ref;
	struct cred_value *v; /* NULL when ERR */
	int err;              /* 0 or the negated cred error of the GET */
	char msg[256];        /* why it failed, never a value */
};
struct cli_cache {
	struct cli_cache_entry *items;
	size_t n, cap;
};
/* Zeroes the values and frees them; C is empty afterwards. */
void cli_cache_free(struct cli_cache *c);
/* REF's value (connected first): 0 with *ret borrowed from C, or the
 * negated error with *ret_msg (valid as long as C) saying why. */
int cli_cache_value(struct cli *cli, struct cli_cache *c, const char *ref,
                    const struct cred_value **ret, const char **ret_msg);
/* Field FIELD (NULL: the primary) of REF's value: 0 with *ret (a copy;
 * cred_value_free() it), or the negated error with MSG (SIZE bytes)
 * saying why ("not found", "no field port", ...). */
int cli_cache_field(struct cli *cli, struct cli_cache *c, const char *ref, const char *field,
                    struct cred_value **ret, char *msg, size_t size);

/* ---- passphrases (passphrase.c) ---- */

/* A passphrase of LEN bytes at BUF (NUL-terminated, in a block of its
 * own); cli_pass_free() zeroes and frees it (and accepts one never
 * filled). */
struct cli_pass {
	char *buf;
	size_t len;
};
/*
 * Reads a passphrase: when stdin is a terminal, at the no-echo prompt
 * TEXT on /dev/tty (readpass.h) and, when AGAIN is not NULL,
 * once more at the prompt AGAIN, the two having to match; otherwise the
 * next line of stdin, its newline dropped (AGAIN unused). Empty or longer
 * than CRED_PASSPHRASE_MAX: exit 2. 0 with *ret filled, or an exit code
 * with nothing to free.
 */
int cli_read_passphrase(struct cli *cli, const char *text, const char *again, struct cli_pass *ret);
void cli_pass_free(struct cli_pass *p);

#endif
