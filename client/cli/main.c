/* SPDX-License-Identifier: MIT */
/* cred: global options and dispatch. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/cli.h"

const struct cli_command cli_commands[] = {
        {"status", cmd_status, ""},
        {"put", cmd_put,
         "REF [--type T] [--field K=V]... [--json-in FILE|-] [--label K=V]... "
         "[--expires WHEN] [--max-versions N] [--quota N/PERIOD] [--cas N] [--from-file F]"},
        {"get", cmd_get,
         "REF [--version N] [--field K] [--allow-expired] [--fallback-env VAR]"},
        {"info", cmd_info, "REF"},
        {"ls", cmd_ls,
         "[[OWNER:]PREFIX] [--label K=V]... [--expiring WHEN] [--deleted] [--unverified] "
         "[--all-users]"},
        {"rotate", cmd_rotate,
         "REF [--generate N [--charset C] [--print]] [--expires WHEN] [--from-file F]"},
        {"rollback", cmd_rollback, "REF --to N"},
        {"rm", cmd_rm, "REF"},
        {"undelete", cmd_undelete, "REF"},
        {"purge", cmd_purge, "REF [--version N]"},
        {"disable", cmd_disable, "REF"},
        {"enable", cmd_enable, "REF"},
        {"label", cmd_label, "REF [K=V]... [--rm K]..."},
        {"watch", cmd_watch, "REF [--timeout DURATION]"},
        {"share", cmd_share, "REF --uid U|--gid G --perm read|write [--prefix]"},
        {"unshare", cmd_unshare, "REF --uid U|--gid G [--prefix]"},
        {"lock", cmd_lock, ""},
        {"unlock", cmd_unlock, "[--keyfile]"},
        {"passwd", cmd_passwd, "[--slot N]"},
        {"keyslot", cmd_keyslot, "ls | add-passphrase | add-keyfile FILE | rm N"},
        {"backup", cmd_backup, "FILE"},
        {"rekey", cmd_rekey, "[--reseal]"},
        {"export", cmd_export, "FILE [--prefix P] [--current-only]"},
        {"import", cmd_import, "FILE [--overwrite] [--dry-run]"},
        {"audit", cmd_audit,
         "[--name REF] [--uid U] [--op OP] [--status S] [--since WHEN] [--until WHEN] "
         "[--limit N] [--summary] | verify"},
        {"usage", cmd_usage, "[[OWNER:]PREFIX] | --reset REF"},
        {"quota", cmd_quota, "REF N/PERIOD|none"},
        {"uri", cmd_uri, "REF"},
        {"env", cmd_env, "REF"},
        {"read", cmd_read, "cred://[OWNER:]NAME[#FIELD]"},
        {"run", cmd_run,
         "[--env VAR=REF[#FIELD]]... [--env-file F]... [--type-env REF]... [--fallback] "
         "-- CMD [ARGS]"},
        {"inject", cmd_inject, "[-i IN] [-o OUT]"},
        {"import-env", cmd_import_env, "FILE [--prefix P] [--dry-run] [--overwrite]"},
        {"verify", cmd_verify, "REF [--with CMD] [--timeout DURATION]"},
        {NULL, NULL, NULL},
};

const struct cli_command *
cli_command_find(const char *name)
{
	const struct cli_command *c;

	for (c = cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
cli_command_usage(const struct cli_command *c, bool to_stderr)
{
	fprintf(to_stderr ? stderr : stdout, "Usage: cred [-s SOCK] [--json] %s%s%s\n", c->name,
	        *c->usage != '\0' ? " " : "", c->usage);
}

static void
usage(FILE *f)
{
	const struct cli_command *c;

	fprintf(f, "Usage: cred [-s SOCK] [--json] COMMAND [ARGS]\n"
	           "       cred --help | --version\n\n"
	           "Commands:\n");
	for (c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %s%s%s\n", c->name, *c->usage != '\0' ? " " : "", c->usage);
	fprintf(f, "\nREF is [OWNER:]NAME. The value for put and rotate comes from stdin,\n"
	           "--from-file or a no-echo prompt, never from the command line; so do\n"
	           "passphrases (a prompt, or one line each from stdin). See cred(1).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct cli cli = {.cmd = NULL};
	const struct cli_command *cmd;
	int c, ret;

	cli_json_init();
	opterr = 0;
	/* '+': global options end at the command's name. */
	while ((c = getopt_long(argc, argv, "+:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': cli.sock = optarg; break;
		case 'j': cli.json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("cred %s\n", CREDAGENT_VERSION); return 0;
		default: return cli_option_error(&cli, c, argv);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = cli_command_find(argv[optind]);
	if (cmd == NULL)
		return cli_usage_error(&cli, "unknown command '%s' (see cred --help)",
		                       argv[optind]);
	cli.cmd = cmd->name;
	argc -= optind;
	argv += optind;
	optind = 0; /* the command parses its own options afresh */
	ret = cmd->run(&cli, argc, argv);
	cred_close(cli.conn);
	if (fflush(stdout) != 0 && ret == 0)
		ret = cli_error(&cli, CRED_E_FAILED, NULL, "writing output failed");
	return ret;
}
