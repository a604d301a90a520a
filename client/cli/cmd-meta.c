/* SPDX-License-Identifier: MIT */
/* cred info, ls: metadata, never values. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_DELETED, OPT_ALL_USERS };

static json_t *
json_versions(const struct cred_info *i)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; a != NULL && k < i->n_versions; k++) {
		if (json_array_append_new(
		            a, json_pack("{s:I, s:o, s:I}", "version",
		                         (json_int_t)i->versions[k].version, "created",
		                         cli_json_time(i->versions[k].created), "created_by",
		                         (json_int_t)i->versions[k].created_by)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* DESIGN.md section 9's info shape; keys the protocol does not carry yet
 * (usage, quota, verify, grants) are present and null or empty. */
static json_t *
json_info(const struct cred_info *i)
{
	return json_pack("{s:s, s:I, s:s, s:I, s:o, s:s, s:o, s:o, s:o, s:o,"
	                 " s:{s:n, s:n, s:n, s:n}, s:n, s:{s:n, s:n, s:n}, s:[],"
	                 " s:I, s:o}",
	                 "name", i->name, "owner", (json_int_t)i->owner, "type", i->type, "version",
	                 (json_int_t)i->version, "versions", json_versions(i), "state",
	                 cli_state_name(i->state), "labels", cli_json_labels(i->labels), "created",
	                 cli_json_time(i->created), "updated", cli_json_time(i->updated), "expires",
	                 cli_json_time(i->expires), "usage", "reads", "period_reads", "last_read",
	                 "last_reader", "quota", "verify", "status", "time", "message", "grants",
	                 "max_versions", (json_int_t)i->max_versions, "deleted",
	                 cli_json_time(i->deleted));
}

static void
print_time_line(const char *label, int64_t t, const char *none)
{
	char buf[CLI_TIME_LEN];

	if (t == 0) {
		printf("%-13s %s\n", label, none);
		return;
	}
	cli_time_format(t, buf, sizeof(buf));
	printf("%-13s %s\n", label, buf);
}

static void
print_info(const struct cred_info *i)
{
	char user[256], t[CLI_TIME_LEN];
	size_t k;

	cli_user_name(i->owner, user, sizeof(user));
	printf("%-13s %s\n%-13s %s (%u)\n%-13s %s\n%-13s %u\n%-13s %s\n", "name:", i->name,
	       "owner:", user, (unsigned)i->owner, "type:", i->type, "version:", i->version,
	       "state:", cli_state_name(i->state));
	print_time_line("created:", i->created, "-");
	print_time_line("updated:", i->updated, "-");
	print_time_line("expires:", i->expires, "never");
	if (i->deleted != 0)
		print_time_line("deleted:", i->deleted, "-");
	printf("%-13s %u\n", "max versions:", i->max_versions);
	printf("%-13s", "labels:");
	for (k = 0; i->labels != NULL && i->labels[k] != NULL; k++)
		printf(" %s", i->labels[k]);
	printf("%s\n", k == 0 ? " none" : "");
	for (k = 0; k < i->n_versions; k++) {
		cli_time_format(i->versions[k].created, t, sizeof(t));
		cli_user_name(i->versions[k].created_by, user, sizeof(user));
		printf("%-13s %u  %s  by %s\n", k == 0 ? "versions:" : "", i->versions[k].version,
		       t, user);
	}
}

int
cmd_info(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cred_info *info = NULL;
	const char *ref;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("info"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli, "missing REF");
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	ref = argv[optind];
	if ((r = cli_parse_ref(cli, ref, NULL, NULL)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_info(cli->conn, ref, &info);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (cli->json)
		r = cli_json_print(cli, json_info(info));
	else
		print_info(info);
	cred_info_free(info);
	return r;
}

static json_t *
json_list(const struct cred_list *l)
{
	const struct cred_info *i;
	json_t *a = json_array();
	size_t k;

	for (k = 0; a != NULL && k < l->n; k++) {
		i = l->items[k];
		if (json_array_append_new(
		            a, json_pack("{s:s, s:I, s:s, s:I, s:s, s:o, s:o, s:o, s:b}", "name",
		                         i->name, "owner", (json_int_t)i->owner, "type", i->type,
		                         "version", (json_int_t)i->version, "state",
		                         cli_state_name(i->state), "labels",
		                         cli_json_labels(i->labels), "updated",
		                         cli_json_time(i->updated), "expires",
		                         cli_json_time(i->expires), "shared", 0)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* NAME, or OWNER:NAME for another user's secret (with --all-users). */
static char *
display_name(const struct cred_info *i)
{
	char user[256], *s;

	if (i->owner == getuid())
		return strdup(i->name);
	cli_user_name(i->owner, user, sizeof(user));
	if (asprintf(&s, "%s:%s", user, i->name) < 0)
		return NULL;
	return s;
}

/* A table with a header; nothing at all when no secret matches. */
static int
print_list(struct cli *cli, const struct cred_list *l)
{
	char **names, t[CLI_TIME_LEN];
	size_t k, w = 4, tw = 4, n;
	int r = 0;

	if (l->n == 0)
		return 0;
	names = calloc(l->n, sizeof(*names));
	if (names == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	for (k = 0; k < l->n; k++) {
		names[k] = display_name(l->items[k]);
		if (names[k] == NULL) {
			r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
			goto out;
		}
		if ((n = strlen(names[k])) > w)
			w = n;
		if ((n = strlen(l->items[k]->type)) > tw)
			tw = n;
	}
	printf("%-*s  %-*s  %7s  %-8s  %s\n", (int)w, "NAME", (int)tw, "TYPE", "VERSION", "STATE",
	       "UPDATED");
	for (k = 0; k < l->n; k++) {
		cli_time_format(l->items[k]->updated, t, sizeof(t));
		printf("%-*s  %-*s  %7u  %-8s  %s\n", (int)w, names[k], (int)tw, l->items[k]->type,
		       l->items[k]->version, cli_state_name(l->items[k]->state), t);
	}
out:
	for (k = 0; k < l->n; k++)
		free(names[k]);
	free(names);
	return r;
}

/* [OWNER:]PREFIX: split and check before connecting. *ret_owner, when
 * set, is allocated (freed by the caller); *ret_prefix points into ARG. */
static int
ls_target(struct cli *cli, const char *arg, char **ret_owner, const char **ret_prefix)
{
	const char *colon = strchr(arg, ':');

	*ret_owner = NULL;
	*ret_prefix = arg;
	if (colon != NULL) {
		*ret_owner = strndup(arg, (size_t)(colon - arg));
		if (*ret_owner == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		*ret_prefix = colon + 1;
		if (cred_owner_parse(*ret_owner, NULL) < 0)
			return cli_error(cli, CRED_E_USAGE, NULL, "no such user '%s'", *ret_owner);
	}
	if (cred_prefix_valid(*ret_prefix) < 0)
		return cli_error(cli, CRED_E_USAGE, NULL,
		                 "invalid prefix '%s': a name, optionally ending in '/'",
		                 *ret_prefix);
	return 0;
}

int
cmd_ls(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"deleted", no_argument, NULL, OPT_DELETED},
	        {"all-users", no_argument, NULL, OPT_ALL_USERS},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *prefix = "", *target = NULL;
	char *owner = NULL;
	struct cred_list *l = NULL;
	unsigned flags = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_DELETED) {
			flags |= CRED_LIST_DELETED;
		} else if (c == OPT_ALL_USERS) {
			flags |= CRED_LIST_ALL_USERS;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("ls"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc) {
		target = argv[optind];
		if ((r = ls_target(cli, target, &owner, &prefix)) != 0)
			goto out;
	}
	if ((r = cli_connect(cli)) != 0)
		goto out;
	r = cred_list(cli->conn, owner, prefix, flags, &l);
	if (r < 0) {
		r = cli_lib_error(cli, r, target);
		goto out;
	}
	if (cli->json)
		r = cli_json_print(cli, json_list(l));
	else
		r = print_list(cli, l);
out:
	cred_list_free(l);
	free(owner);
	return r;
}
