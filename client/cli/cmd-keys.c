/* SPDX-License-Identifier: MIT */
/* cred lock, unlock, passwd, keyslot, backup, rekey: the agent's keys. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_KEYFILE, OPT_SLOT, OPT_RESEAL };

/* A failed keys call: the agent's message; else, for the error WHEN,
 * the words SAID (WHEN 0: none); else the generic words. */
static int
keys_error(struct cli *cli, int err, const char *subject, int when, const char *said)
{
	if (*cred_message(cli->conn) != '\0')
		return cli_lib_error(cli, err, subject);
	if (when != 0 && err == -when)
		return cli_error(cli, err, subject, "%s", said);
	if (err == -CRED_E_LOCKED)
		return cli_error(cli, err, subject, "the agent is locked (see cred unlock)");
	return cli_lib_error(cli, err, subject);
}

/* The agent's message on success, as a warning. */
static void
keys_note(struct cli *cli)
{
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, NULL, "%s", cred_message(cli->conn));
}

/*
 * Options of the keys commands: --json always, --keyfile when KEYFILE is
 * not NULL, --slot N when SLOT is not NULL (*SLOT stays -1 without it),
 * --reseal when RESEAL is not NULL. Leaves optind at the first operand;
 * -1 after --help.
 */
static int
keys_options(struct cli *cli, int argc, char **argv, bool *keyfile, int *slot, bool *reseal)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"keyfile", no_argument, NULL, OPT_KEYFILE},
	        {"slot", required_argument, NULL, OPT_SLOT},
	        {"reseal", no_argument, NULL, OPT_RESEAL},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_KEYFILE && keyfile != NULL) {
			*keyfile = true;
		} else if (c == OPT_RESEAL && reseal != NULL) {
			*reseal = true;
		} else if (c == OPT_SLOT && slot != NULL) {
			if (util_parse_u64(optarg, INT_MAX, &v) < 0)
				return cli_error(cli, CRED_E_USAGE, NULL,
				                 "--slot: expected a keyslot number (0 to %d), not "
				                 "'%s'",
				                 INT_MAX, optarg);
			*slot = (int)v;
		} else if (c == 'h') {
			cli_command_usage(cli_command_current(cli), false);
			return -1;
		} else if (c == OPT_KEYFILE || c == OPT_SLOT || c == OPT_RESEAL) {
			return cli_usage_error(cli, "unknown option %s",
			                       c == OPT_SLOT     ? "--slot"
			                       : c == OPT_RESEAL ? "--reseal"
			                                         : "--keyfile");
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	return 0;
}

/* No operand may follow the options. */
static int
no_operands(struct cli *cli, int argc, char **argv)
{
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* One operand, named WHAT in the message when it is missing. */
static int
one_operand(struct cli *cli, int argc, char **argv, const char *what, const char **ret)
{
	if (optind >= argc)
		return cli_usage_error(cli, "missing %s", what);
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	*ret = argv[optind];
	return 0;
}

/* {"locked": LOCKED} or "agent locked" / "agent unlocked" on stderr. */
static int
locked_report(struct cli *cli, bool locked)
{
	keys_note(cli);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:b}", "locked", locked));
	fprintf(stderr, "agent %s\n", locked ? "locked" : "unlocked");
	return 0;
}

/* ---- lock, unlock ---- */

int
cmd_lock(struct cli *cli, int argc, char **argv)
{
	int r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, NULL)) != 0 ||
	    (r = no_operands(cli, argc, argv)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	r = cred_lock(cli->conn);
	if (r < 0)
		return keys_error(cli, r, NULL, 0, NULL);
	return locked_report(cli, true);
}

int
cmd_unlock(struct cli *cli, int argc, char **argv)
{
	struct cli_pass p = {0};
	bool keyfile = false;
	int r;

	if ((r = keys_options(cli, argc, argv, &keyfile, NULL, NULL)) != 0 ||
	    (r = no_operands(cli, argc, argv)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	/* --keyfile: no passphrase; the agent re-reads its keyfile. */
	if (!keyfile && (r = cli_read_passphrase(cli, "Passphrase: ", NULL, &p)) != 0)
		return r;
	r = cred_unlock(cli->conn, p.buf, p.len);
	cli_pass_free(&p);
	if (r < 0)
		return keys_error(cli, r, NULL, CRED_E_DENIED, "wrong passphrase");
	return locked_report(cli, false);
}

/* ---- passwd ---- */

int
cmd_passwd(struct cli *cli, int argc, char **argv)
{
	struct cli_pass old = {0}, new_pass = {0};
	int slot = -1, r;

	if ((r = keys_options(cli, argc, argv, NULL, &slot, NULL)) != 0 ||
	    (r = no_operands(cli, argc, argv)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	/* From stdin: the old on the first line, the new on the second. */
	r = cli_read_passphrase(cli, "Old passphrase: ", NULL, &old);
	if (r == 0)
		r = cli_read_passphrase(cli,
		                        "New passphrase: ", "New passphrase (again): ", &new_pass);
	if (r == 0) {
		r = cred_passwd(cli->conn, old.buf, old.len, new_pass.buf, new_pass.len, slot);
		r = r < 0 ? keys_error(cli, r, NULL, CRED_E_DENIED, "wrong passphrase") : 0;
	}
	cli_pass_free(&old);
	cli_pass_free(&new_pass);
	if (r != 0)
		return r;
	keys_note(cli);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:o}", "slot",
		                                     slot >= 0 ? json_integer(slot) : json_null()));
	if (slot >= 0)
		fprintf(stderr, "passphrase of keyslot %d changed\n", slot);
	else
		fprintf(stderr, "passphrase changed\n");
	return 0;
}

/* ---- keyslot ls, add-passphrase, add-keyfile, rm ---- */

static const char *
kind_word(int kind)
{
	const char *k = cred_keyslot_kind_name(kind);

	return k != NULL ? k : "unknown";
}

static json_t *
json_keyslots(const struct cred_keyslot_list *l)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++) {
		o = json_pack("{s:I, s:s, s:o}", "slot", (json_int_t)l->items[i].slot, "kind",
		              kind_word(l->items[i].kind), "created",
		              cli_json_time(l->items[i].created));
		if (o == NULL || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int
keyslot_ls(struct cli *cli, int argc, char **argv)
{
	struct cred_keyslot_list *l = NULL;
	char t[CLI_TIME_LEN];
	size_t i;
	int r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, NULL)) != 0 ||
	    (r = no_operands(cli, argc, argv)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	r = cred_keyslot_list(cli->conn, &l);
	if (r < 0)
		return keys_error(cli, r, NULL, 0, NULL);
	if (cli->json) {
		r = cli_json_print(cli, json_keyslots(l));
	} else if (l->n > 0) {
		printf("%4s  %-10s  %s\n", "SLOT", "KIND", "CREATED");
		for (i = 0; i < l->n; i++) {
			cli_time_format(l->items[i].created, t, sizeof(t));
			printf("%4u  %-10s  %s\n", l->items[i].slot, kind_word(l->items[i].kind),
			       t);
		}
	}
	cred_keyslot_list_free(l);
	return r;
}

/* "keyslot N added (KIND)" or {"slot", "kind"}. */
static int
added_report(struct cli *cli, uint32_t slot, int kind)
{
	keys_note(cli);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:I, s:s}", "slot", (json_int_t)slot, "kind",
		                                     kind_word(kind)));
	fprintf(stderr, "keyslot %u added (%s)\n", slot, kind_word(kind));
	return 0;
}

static int
keyslot_add_passphrase(struct cli *cli, int argc, char **argv)
{
	struct cli_pass p = {0};
	uint32_t slot = 0;
	int r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, NULL)) != 0 ||
	    (r = no_operands(cli, argc, argv)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	r = cli_read_passphrase(cli, "New passphrase: ", "New passphrase (again): ", &p);
	if (r != 0)
		return r;
	r = cred_keyslot_add_passphrase(cli->conn, p.buf, p.len, &slot);
	cli_pass_free(&p);
	if (r < 0)
		return keys_error(cli, r, NULL, 0, NULL);
	return added_report(cli, slot, CRED_KEYSLOT_PASSPHRASE);
}

static int
keyslot_add_keyfile(struct cli *cli, int argc, char **argv)
{
	const char *file;
	uint32_t slot = 0;
	int fd, r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, NULL)) != 0 ||
	    (r = one_operand(cli, argc, argv, "FILE", &file)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	/* The agent never opens a path a client names: we pass the file. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return cli_error(cli, CRED_E_FAILED, file, "%s",
		                 errno == ELOOP ? "is a symbolic link; name the file itself"
		                                : strerror(errno));
	r = cred_keyslot_add_keyfile(cli->conn, fd, &slot);
	close(fd);
	if (r < 0)
		return keys_error(cli, r, file, 0, NULL);
	return added_report(cli, slot, CRED_KEYSLOT_KEYFILE);
}

static int
keyslot_rm(struct cli *cli, int argc, char **argv)
{
	const char *arg;
	char subject[32];
	uint32_t slot;
	int r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, NULL)) != 0 ||
	    (r = one_operand(cli, argc, argv, "N", &arg)) != 0 ||
	    (r = cli_parse_u32(cli, "N", arg, 0, &slot)) != 0)
		return r < 0 ? 0 : r;
	snprintf(subject, sizeof(subject), "keyslot %u", slot);
	/* Slots are numbered 0 to 15: a larger number names no slot. */
	if (slot >= CRED_KEYSLOTS_MAX)
		return cli_error(cli, -CRED_E_NOT_FOUND, subject, "no such keyslot (they are 0 to 15)");
	if ((r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	r = cred_keyslot_rm(cli->conn, slot);
	/* The agent's message names the slot; ours say which. */
	if (r < 0 && *cred_message(cli->conn) != '\0')
		return cli_lib_error(cli, r, NULL);
	if (r == -CRED_E_NOT_FOUND)
		return cli_error(cli, r, subject, "no such keyslot");
	if (r < 0)
		return keys_error(cli, r, subject, CRED_E_CONFLICT,
		                  "the last keyslot cannot be removed");
	keys_note(cli);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:I}", "slot", (json_int_t)slot));
	fprintf(stderr, "keyslot %u removed\n", slot);
	return 0;
}

int
cmd_keyslot(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name, *cmd;
		int (*run)(struct cli *, int, char **);
	} subs[] = {
	        {"ls", "keyslot ls", keyslot_ls},
	        {"add-passphrase", "keyslot add-passphrase", keyslot_add_passphrase},
	        {"add-keyfile", "keyslot add-keyfile", keyslot_add_keyfile},
	        {"rm", "keyslot rm", keyslot_rm},
	};
	size_t i;

	if (argc < 2)
		return cli_usage_error(cli, "missing subcommand (ls, add-passphrase, add-keyfile "
		                            "or rm)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_command_usage(cli_command_find("keyslot"), false);
		return 0;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			/* Messages say "cred: keyslot rm: ..."; the subcommand's
			 * name is its argv[0] for getopt. */
			cli->cmd = subs[i].cmd;
			return subs[i].run(cli, argc - 1, argv + 1);
		}
	}
	return cli_usage_error(cli,
	                       "unknown subcommand '%s' (ls, add-passphrase, add-keyfile or "
	                       "rm)",
	                       argv[1]);
}

/* ---- backup ---- */

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	struct stat st;
	const char *file;
	int fd, r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, NULL)) != 0 ||
	    (r = one_operand(cli, argc, argv, "FILE", &file)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	if ((r = cli_create_new(cli, file, &fd, &st)) != 0)
		return r;
	r = cred_backup(cli->conn, fd);
	if (r < 0) {
		r = keys_error(cli, r, file, 0, NULL);
	} else if (fsync(fd) < 0 || fstat(fd, &st) < 0) {
		r = cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
	}
	if (close(fd) < 0 && r == 0)
		r = cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
	if (r != 0) {
		cli_remove_partial(file, &st);
		return r;
	}
	keys_note(cli);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I}", "file", file, "bytes",
		                                     (json_int_t)st.st_size));
	fprintf(stderr, "backup written to %s (%lld bytes)\n", file, (long long)st.st_size);
	return 0;
}

/* ---- rekey ---- */

int
cmd_rekey(struct cli *cli, int argc, char **argv)
{
	bool reseal = false;
	int r;

	if ((r = keys_options(cli, argc, argv, NULL, NULL, &reseal)) != 0 ||
	    (r = no_operands(cli, argc, argv)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	r = cred_rekey(cli->conn, reseal ? CRED_REKEY_RESEAL : 0);
	if (r < 0)
		return keys_error(cli, r, NULL, CRED_E_CONFLICT, "a rekey is already running");
	keys_note(cli);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:b}", "reseal", reseal));
	fprintf(stderr, "rekey done%s\n", reseal ? " (values re-encrypted)" : "");
	return 0;
}
