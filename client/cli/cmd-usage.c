/* SPDX-License-Identifier: MIT */
/* cred usage [PREFIX] | --reset REF, cred quota REF N/PERIOD|none: read
 * counters and quotas. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_RESET };

static json_t *
json_usage_list(const struct cred_usage_list *l)
{
	const struct cred_usage *u;
	json_t *a = json_array();
	size_t k;

	for (k = 0; a != NULL && k < l->n; k++) {
		u = &l->items[k];
		if (json_array_append_new(
		            a, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "name",
		                         u->name, "owner", (json_int_t)u->owner, "reads",
		                         (json_int_t)u->usage.reads, "period_reads",
		                         (json_int_t)u->usage.period_reads, "period_start",
		                         cli_json_time(u->period_start), "last_read",
		                         u->usage.has_last_read ? cli_json_time(u->usage.last_read)
		                                                : json_null(),
		                         "last_reader", cli_json_reader(&u->usage), "quota",
		                         cli_json_quota(u->quota, u->quota_period))) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* One table row after the NAME column. */
static void
print_usage_row(const struct cred_usage *u)
{
	char q[CLI_QUOTA_LEN], t[CLI_TIME_LEN] = "never", who[CLI_READER_LEN] = "-";

	cli_quota_format(u->quota, u->quota_period, q, sizeof(q));
	if (u->usage.has_last_read) {
		cli_time_format(u->usage.last_read, t, sizeof(t));
		cli_reader_words(u->usage.reader_uid, u->usage.reader_pid, u->usage.reader_comm,
		                 who, sizeof(who));
	}
	printf("%8llu  %8llu  %-12s  %-20s  %s\n", (unsigned long long)u->usage.reads,
	       (unsigned long long)u->usage.period_reads, q, t, who);
}

/* NAME READS PERIOD QUOTA LAST-READ READER; nothing at all when empty. */
static int
print_usage_list(struct cli *cli, const struct cred_usage_list *l)
{
	char **names;
	size_t k, w = 4, n;
	int r = 0;

	if (l->n == 0)
		return 0;
	names = calloc(l->n, sizeof(*names));
	if (names == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	for (k = 0; k < l->n; k++) {
		names[k] = cli_display_name(l->items[k].owner, l->items[k].name);
		if (names[k] == NULL) {
			r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
			goto out;
		}
		if ((n = strlen(names[k])) > w)
			w = n;
	}
	printf("%-*s  %8s  %8s  %-12s  %-20s  %s\n", (int)w, "NAME", "READS", "PERIOD", "QUOTA",
	       "LAST-READ", "READER");
	for (k = 0; k < l->n; k++) {
		printf("%-*s  ", (int)w, names[k]);
		print_usage_row(&l->items[k]);
	}
out:
	for (k = 0; k < l->n; k++)
		free(names[k]);
	free(names);
	return r;
}

/* usage --reset REF. */
static int
usage_reset(struct cli *cli, const char *ref)
{
	const char *name;
	uid_t owner;
	int r;

	if ((r = cli_parse_ref(cli, ref, &owner, &name)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_usage_reset(cli->conn, ref);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:b}", "name", name, "owner",
		                                     (json_int_t)owner, "reset", 1));
	return 0;
}

int
cmd_usage(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"reset", required_argument, NULL, OPT_RESET},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *prefix = "", *target = NULL, *reset = NULL;
	struct cred_usage_list *l = NULL;
	char *owner = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_RESET) {
			reset = optarg;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("usage"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (optind + (reset != NULL ? 0 : 1) < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		                       argv[optind + (reset != NULL ? 0 : 1)]);
	if (reset != NULL)
		return usage_reset(cli, reset);
	if (optind < argc) {
		target = argv[optind];
		if ((r = cli_parse_target(cli, target, &owner, &prefix)) != 0)
			goto out;
	}
	if ((r = cli_connect(cli)) != 0)
		goto out;
	r = cred_usage(cli->conn, owner, prefix, &l);
	if (r < 0) {
		r = cli_lib_error(cli, r, target);
		goto out;
	}
	r = cli->json ? cli_json_print(cli, json_usage_list(l)) : print_usage_list(cli, l);
out:
	cred_usage_list_free(l);
	free(owner);
	return r;
}

int
cmd_quota(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char q[CLI_QUOTA_LEN];
	const char *ref, *name;
	uint32_t quota = 0;
	int period = 0, c, r;
	uid_t owner;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("quota"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(cli, "missing %s", optind >= argc ? "REF" : "N/PERIOD|none");
	if (argc - optind > 2)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 2]);
	ref = argv[optind];
	if ((r = cli_parse_ref(cli, ref, &owner, &name)) != 0)
		return r;
	if (strcmp(argv[optind + 1], "none") != 0 &&
	    (r = cli_parse_quota(cli, NULL, argv[optind + 1], &quota, &period)) != 0)
		return r;
	if ((r = cli_connect(cli)) != 0)
		return r;
	r = cred_quota_set(cli->conn, ref, quota, period);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:o}", "name", name, "owner",
		                                     (json_int_t)owner, "quota",
		                                     cli_json_quota(quota, period)));
	cli_quota_format(quota, period, q, sizeof(q));
	if (quota > 0)
		fprintf(stderr, "%s: quota %s\n", ref, q);
	else
		fprintf(stderr, "%s: quota removed\n", ref);
	return 0;
}
