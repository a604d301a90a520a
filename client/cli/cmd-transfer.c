/* SPDX-License-Identifier: MIT */
/* cred export, import: passphrase-sealed bundles of the caller's secrets.
 * The agent never opens a path a client names: we open the file and pass
 * the descriptor. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_PREFIX, OPT_CURRENT_ONLY, OPT_OVERWRITE, OPT_DRY_RUN };

struct transfer_args {
	const char *file;
	const char *prefix; /* export only */
	unsigned flags;     /* enum cred_export_flag or cred_import_flag */
};

/* A failed call: the agent's message; else our words for a locked agent
 * and (import) a bundle that does not open; else the generic words. */
static int
transfer_error(struct cli *cli, int err, const char *file)
{
	if (*cred_message(cli->conn) != '\0')
		return cli_lib_error(cli, err, file);
	if (err == -CRED_E_LOCKED)
		return cli_error(cli, err, NULL, "the agent is locked (see cred unlock)");
	if (err == -CRED_E_DENIED && strcmp(cli->cmd, "import") == 0)
		return cli_error(cli, err, file, "wrong passphrase, or not a bundle");
	return cli_lib_error(cli, err, file);
}

static int
transfer_option(struct cli *cli, int c, struct transfer_args *a, char **argv)
{
	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_PREFIX:
		if (cred_prefix_valid(optarg) < 0)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--prefix: invalid prefix '%s': a name, optionally ending "
			                 "in '/'",
			                 optarg);
		a->prefix = optarg;
		return 0;
	case OPT_CURRENT_ONLY: a->flags |= CRED_EXPORT_CURRENT_ONLY; return 0;
	case OPT_OVERWRITE: a->flags |= CRED_IMPORT_OVERWRITE; return 0;
	case OPT_DRY_RUN: a->flags |= CRED_IMPORT_DRY_RUN; return 0;
	case 'h': cli_command_usage(cli_command_current(cli), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

/* The options of export (EXPORT) or import, then FILE. -1 after --help. */
static int
transfer_parse(struct cli *cli, int argc, char **argv, bool export, struct transfer_args *a)
{
	static const struct option export_opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"prefix", required_argument, NULL, OPT_PREFIX},
	        {"current-only", no_argument, NULL, OPT_CURRENT_ONLY},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static const struct option import_opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
	        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", export ? export_opts : import_opts, NULL)) !=
	       -1) {
		r = transfer_option(cli, c, a, argv);
		if (r != 0)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error(cli, "missing FILE");
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	a->file = argv[optind];
	return 0;
}

/* ---- export ---- */

/* Has the agent write the bundle to FILE, created anew here and removed
 * again when the export fails. */
static int
export_write(struct cli *cli, const struct transfer_args *a, const struct cli_pass *p,
             uint64_t *ret_secrets)
{
	struct stat st;
	int fd, r;

	if ((r = cli_create_new(cli, a->file, &fd, &st)) != 0)
		return r;
	r = cred_export(cli->conn, fd, p->buf, p->len, a->prefix, a->flags, ret_secrets);
	if (r < 0)
		r = transfer_error(cli, r, a->file);
	else if (fsync(fd) < 0)
		r = cli_error(cli, CRED_E_FAILED, a->file, "%s", strerror(errno));
	if (close(fd) < 0 && r == 0)
		r = cli_error(cli, CRED_E_FAILED, a->file, "%s", strerror(errno));
	if (r != 0)
		cli_remove_partial(a->file, &st); /* ours, and not a bundle */
	return r;
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	struct transfer_args a = {0};
	struct cli_pass p = {0};
	uint64_t secrets = 0;
	struct stat st;
	int r;

	if ((r = transfer_parse(cli, argc, argv, true, &a)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	/* Said before the passphrase is asked for; the file is created (and
	 * this checked again) only once there is one, so an interrupted
	 * prompt leaves nothing behind. */
	if (lstat(a.file, &st) == 0)
		return cli_error(cli, CRED_E_FAILED, a.file,
		                 "already exists; not overwriting it (remove it or name another "
		                 "file)");
	r = cli_read_passphrase(cli, "Bundle passphrase: ", "Bundle passphrase (again): ", &p);
	if (r != 0)
		return r;
	r = export_write(cli, &a, &p, &secrets);
	cli_pass_free(&p);
	if (r != 0)
		return r;
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, NULL, "%s", cred_message(cli->conn));
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:I, s:s}", "secrets", (json_int_t)secrets,
		                                     "file", a.file));
	printf("exported %llu secret%s to %s\n", (unsigned long long)secrets,
	       secrets == 1 ? "" : "s", a.file);
	return 0;
}

/* ---- import ---- */

static json_t *
json_import(const struct cred_import_result *res, bool dry_run)
{
	json_t *names = json_array();
	size_t i;

	for (i = 0; names != NULL && i < res->n_conflicts; i++) {
		if (json_array_append_new(names, json_string(res->conflicts[i])) < 0) {
			json_decref(names);
			return NULL;
		}
	}
	return json_pack("{s:I, s:I, s:I, s:o, s:b}", "added", (json_int_t)res->added, "skipped",
	                 (json_int_t)res->skipped, "conflicted", (json_int_t)res->conflicted,
	                 "conflicts", names, "dry_run", dry_run);
}

/* The counts and conflicting names, on stdout or (a failed import) on
 * stderr; JSON always on stdout. */
static int
import_report(struct cli *cli, const struct cred_import_result *res, bool dry_run, bool failed)
{
	FILE *f = failed ? stderr : stdout;
	size_t i;

	if (cli->json)
		return cli_json_print(cli, json_import(res, dry_run));
	fflush(stdout);
	fprintf(f, "added %u, skipped %u, conflicted %u\n", res->added, res->skipped,
	        res->conflicted);
	for (i = 0; i < res->n_conflicts; i++)
		fprintf(f, "conflict: %s\n", res->conflicts[i]);
	if (res->conflicted > res->n_conflicts)
		fprintf(f, "conflict: ... and %llu more\n",
		        (unsigned long long)(res->conflicted - res->n_conflicts));
	if (dry_run && !failed)
		fprintf(stderr, "dry run: nothing was stored\n");
	return 0;
}

/* A CONFLICT with its counts: the report, then the error (exit 7). */
static int
import_conflict(struct cli *cli, int err, const struct cred_import_result *res, bool dry_run)
{
	int r;

	r = import_report(cli, res, dry_run, true);
	if (r != 0)
		return r;
	if (*cred_message(cli->conn) != '\0')
		return cli_lib_error(cli, err, NULL);
	return cli_error(cli, err, NULL,
	                 "nothing imported: %u name%s already exist%s with other values (use "
	                 "--overwrite)",
	                 res->conflicted, res->conflicted == 1 ? "" : "s",
	                 res->conflicted == 1 ? "s" : "");
}

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	struct cred_import_result *res = NULL;
	struct transfer_args a = {0};
	struct cli_pass p = {0};
	bool dry_run;
	int fd, r;

	if ((r = transfer_parse(cli, argc, argv, false, &a)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	dry_run = (a.flags & CRED_IMPORT_DRY_RUN) != 0;
	fd = open(a.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return cli_error(cli, CRED_E_FAILED, a.file, "%s",
		                 errno == ELOOP ? "is a symbolic link; name the file itself"
		                                : strerror(errno));
	r = cli_read_passphrase(cli, "Bundle passphrase: ", NULL, &p);
	if (r == 0) {
		r = cred_import(cli->conn, fd, p.buf, p.len, a.flags, &res);
		cli_pass_free(&p);
		if (r == -CRED_E_CONFLICT && res != NULL)
			r = import_conflict(cli, r, res, dry_run);
		else if (r < 0)
			r = transfer_error(cli, r, a.file);
		else if ((r = import_report(cli, res, dry_run, false)) == 0 &&
		         *cred_message(cli->conn) != '\0')
			cli_warn(cli, NULL, "%s", cred_message(cli->conn));
	}
	close(fd);
	cred_import_result_free(res);
	return r;
}
