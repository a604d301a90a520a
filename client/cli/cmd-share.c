/* SPDX-License-Identifier: MIT */
/* cred share, unshare: grants of a secret or a folder to a uid or gid. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_UID, OPT_GID, OPT_PERM, OPT_PREFIX };

struct share_args {
	const char *ref;    /* as given */
	const char *target; /* REF, without a trailing '/' with --prefix */
	char *copy;         /* what target points at when it is not REF */
	const char *who;    /* the argument of --uid or --gid */
	const char *who_opt;
	int is_gid;
	int perm; /* 0: no --perm */
	bool prefix;
	struct cred_grantee grantee;
	uid_t owner;
	const char *name; /* inside target */
};

static int
share_option(struct cli *cli, int c, struct share_args *a, char **argv)
{
	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_UID:
	case OPT_GID:
		if (a->who != NULL)
			return cli_usage_error(cli, "give one of --uid and --gid, once");
		a->who = optarg;
		a->is_gid = c == OPT_GID;
		a->who_opt = c == OPT_GID ? "--gid" : "--uid";
		return 0;
	case OPT_PERM:
		a->perm = cred_perm_parse(optarg);
		if (a->perm < 0)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--perm: expected read or write, not '%s'", optarg);
		return 0;
	case OPT_PREFIX: a->prefix = true; return 0;
	case 'h': cli_command_usage(cli_command_find(cli->cmd), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

/* --uid U or --gid G to a grantee: 0 or exit 2 (1 when the user or group
 * database cannot be read). */
static int
share_grantee(struct cli *cli, struct share_args *a)
{
	int r;

	r = cred_grantee_parse(a->who, a->is_gid, &a->grantee);
	if (r == 0)
		return 0;
	if (r != -CRED_E_USAGE)
		return cli_error(cli, r, NULL, "%s: looking up '%s': %s", a->who_opt, a->who,
		                 cred_strerror(r));
	if (*a->who != '\0' && a->who[strspn(a->who, "0123456789")] == '\0')
		return cli_error(cli, r, NULL, "%s: invalid %s '%s'", a->who_opt,
		                 a->is_gid ? "gid" : "uid", a->who);
	return cli_error(cli, r, NULL, "%s: no such %s '%s'", a->who_opt,
	                 a->is_gid ? "group" : "user", a->who);
}

/* Options, REF, the grantee; SHARE says whether --perm is taken. */
static int
share_parse(struct cli *cli, int argc, char **argv, bool share, struct share_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"uid", required_argument, NULL, OPT_UID},
	        {"gid", required_argument, NULL, OPT_GID},
	        {"perm", required_argument, NULL, OPT_PERM},
	        {"prefix", no_argument, NULL, OPT_PREFIX},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	size_t len;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_PERM && !share)
			return cli_usage_error(cli, "unknown option --perm");
		r = share_option(cli, c, a, argv);
		if (r != 0)
			return r;
	}
	if ((r = cli_one_ref(cli, argc, argv, &a->ref)) != 0)
		return r;
	if (a->who == NULL)
		return cli_usage_error(cli, "missing --uid U or --gid G");
	if (share && a->perm == 0)
		return cli_usage_error(cli, "missing --perm read|write");
	a->target = a->ref;
	len = strlen(a->ref);
	/* "share prod/ --prefix" is "share prod --prefix". */
	if (a->prefix && len > 1 && a->ref[len - 1] == '/') {
		a->copy = strndup(a->ref, len - 1);
		if (a->copy == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		a->target = a->copy;
	}
	if ((r = cli_parse_ref(cli, a->target, &a->owner, &a->name)) != 0)
		return r;
	return share_grantee(cli, a);
}

static json_t *
json_share(const struct share_args *a, bool share)
{
	char gname[256];
	json_t *j;

	j = json_pack("{s:s, s:I, s:b, s:o, s:o, s:o}", "name", a->name, "owner",
	              (json_int_t)a->owner, "prefix", a->prefix, "uid",
	              a->grantee.is_gid ? json_null() : json_integer(a->grantee.id), "gid",
	              a->grantee.is_gid ? json_integer(a->grantee.id) : json_null(), "grantee",
	              cli_grantee_name(a->grantee.is_gid, a->grantee.id, gname, sizeof(gname))
	                      ? json_string(gname)
	                      : json_null());
	if (j != NULL && share &&
	    json_object_set_new(j, "perm", json_string(cred_perm_name(a->perm))) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
share_run(struct cli *cli, int argc, char **argv, bool share)
{
	struct share_args a = {0};
	char words[CLI_GRANTEE_LEN];
	unsigned flags;
	int r;

	r = share_parse(cli, argc, argv, share, &a);
	if (r == 0)
		r = cli_connect(cli);
	if (r != 0)
		goto out;
	flags = a.prefix ? CRED_SHARE_PREFIX : 0;
	if (share)
		r = cred_share(cli->conn, a.target, &a.grantee, a.perm, flags);
	else
		r = cred_unshare(cli->conn, a.target, &a.grantee, flags);
	if (r < 0) {
		r = cli_lib_error(cli, r, a.ref);
		goto out;
	}
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, a.ref, "%s", cred_message(cli->conn));
	if (cli->json) {
		r = cli_json_print(cli, json_share(&a, share));
		goto out;
	}
	cli_grantee_words(a.grantee.is_gid, a.grantee.id, words, sizeof(words));
	if (a.prefix)
		fprintf(stderr, "names under %s/: ", a.target);
	else
		fprintf(stderr, "%s: ", a.target);
	if (share)
		fprintf(stderr, "granted %s to %s\n", cred_perm_name(a.perm), words);
	else
		fprintf(stderr, "grant of %s revoked\n", words);
out:
	free(a.copy);
	return r < 0 ? 0 : r;
}

int
cmd_share(struct cli *cli, int argc, char **argv)
{
	return share_run(cli, argc, argv, true);
}

int
cmd_unshare(struct cli *cli, int argc, char **argv)
{
	return share_run(cli, argc, argv, false);
}
