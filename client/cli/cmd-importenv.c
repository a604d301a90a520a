/* SPDX-License-Identifier: MIT */
/* cred import-env: move a .env file's values into the agent, typed where
 * they are recognised, all in one IMPORT request (all or nothing). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/proto.h"
#include "client/cli/cli.h"
#include "client/cli/dburi.h"
#include "client/cli/dotenv.h"
#include "common/zero.h"

/* A .env file larger than this is refused: it would not fit a request. */
#define ENV_FILE_MAX (16u << 20)

enum { OPT_JSON = 0x100, OPT_PREFIX, OPT_DRY_RUN, OPT_OVERWRITE };

struct ienv_args {
	const char *file;
	const char *prefix; /* "" when not given */
	unsigned flags;     /* enum cred_import_flag */
};

/* What one variable becomes. */
struct ienv_item {
	const struct dotenv_entry *e;
	char *name;
	const char *type;
	uint8_t *fields; /* a typed secret's field set (cred_buf_free), or NULL */
	size_t fields_len;
};

static int
ienv_parse(struct cli *cli, int argc, char **argv, struct ienv_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"prefix", required_argument, NULL, OPT_PREFIX},
	        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli->json = true; break;
		case OPT_PREFIX: a->prefix = optarg; break;
		case OPT_DRY_RUN: a->flags |= CRED_IMPORT_DRY_RUN; break;
		case OPT_OVERWRITE: a->flags |= CRED_IMPORT_OVERWRITE; break;
		case 'h': cli_command_usage(cli_command_find("import-env"), false); return -1;
		default: return cli_option_error(cli, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli, "missing FILE");
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	a->file = argv[optind];
	return 0;
}

/* ---- reading the file ---- */

/* All of FD into *ret (*ret_len bytes; zero_free(*ret, *ret_cap)). Grown
 * by copying and wiping, never realloc: the file holds secrets. */
static int
read_all(int fd, uint8_t **ret, size_t *ret_len, size_t *ret_cap)
{
	size_t cap = 4096, len = 0, ncap;
	struct stat st;
	uint8_t *buf, *nb;
	ssize_t k;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size < ENV_FILE_MAX)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			ncap = cap * 2;
			if (cap > ENV_FILE_MAX || (nb = malloc(ncap)) == NULL) {
				zero_free(buf, cap);
				return cap > ENV_FILE_MAX ? -EFBIG : -ENOMEM;
			}
			memcpy(nb, buf, len);
			zero_free(buf, cap);
			buf = nb;
			cap = ncap;
		}
		k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			zero_free(buf, cap);
			return -e;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	*ret = buf;
	*ret_len = len;
	*ret_cap = cap;
	return 0;
}

/* FILE parsed into *env: 0 or an exit code (a bad line: exit 2). */
static int
load_env(struct cli *cli, const char *file, struct dotenv *env)
{
	const char *why = "";
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	unsigned line = 0;
	int fd, r;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
	r = read_all(fd, &buf, &len, &cap);
	close(fd);
	if (r < 0)
		return cli_error(cli, CRED_E_FAILED, file, "%s",
		                 r == -EFBIG ? "too large for a .env file" : strerror(-r));
	r = dotenv_parse(buf, len, env, &line, &why);
	zero_free(buf, cap);
	if (r == -ENOMEM)
		return cli_error(cli, CRED_E_NOMEM, file, NULL);
	if (r < 0)
		return cli_error(cli, CRED_E_USAGE, file, "line %u: %s", line, why);
	return 0;
}

/* ---- what each variable becomes ---- */

/* One field for fields_build(): absent when P is NULL. */
struct field_src {
	const char *key;
	const void *p;
	size_t len;
};

/* The wire form of the N fields SRC into IT: 0 or a negated cred error. */
static int
fields_build(struct ienv_item *it, const struct field_src *src, size_t n)
{
	struct cred_fields *f = NULL;
	size_t i;
	int r;

	r = cred_fields_new(&f);
	for (i = 0; r == 0 && i < n; i++)
		if (src[i].p != NULL)
			r = cred_fields_set(f, src[i].key, src[i].p, src[i].len);
	if (r == 0)
		r = cred_fields_encode(f, &it->fields, &it->fields_len);
	cred_fields_free(f);
	return r;
}

static int
as_api_key(struct ienv_item *it, const char *provider)
{
	const struct field_src src[] = {
	        {"key", it->e->value, it->e->len},
	        {"provider", provider, strlen(provider)},
	};

	it->type = "api_key";
	return fields_build(it, src, 2);
}

/* 1 when the value is a database URI the fields hold (IT filled), 0 when
 * it stays generic, or a negated cred error. */
static int
as_database(struct ienv_item *it)
{
	struct dburi u;
	int r;

	r = dburi_parse(it->e->value, it->e->len, &u);
	if (r <= 0)
		return r == 0 ? 0 : -CRED_E_NOMEM;
	{
		const struct field_src src[] = {
		        {"database", u.database.p, u.database.len},
		        {"host", u.host.p, u.host.len},
		        {"password", u.password.p, u.password.len},
		        {"port", u.port.p, u.port.len},
		        {u.option_key, u.option.p, u.option.len},
		        {"username", u.username.p, u.username.len},
		};

		it->type = u.type;
		r = fields_build(it, src, sizeof(src) / sizeof(src[0]));
	}
	dburi_free(&u);
	return r < 0 ? r : 1;
}

/* E's secret name and type (and field set): 0 or an exit code. */
static int
classify(struct cli *cli, const struct ienv_args *a, const struct dotenv_entry *e,
         struct ienv_item *it)
{
	const char *provider = dotenv_provider(e->key);
	int r;

	it->e = e;
	if (asprintf(&it->name, "%s%s", a->prefix, e->key) < 0) {
		it->name = NULL;
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	}
	if (!proto_name_valid(it->name, strlen(it->name)))
		return cli_error(cli, CRED_E_USAGE, a->file,
		                 "line %u: %s: '%s' is not a valid secret name (1-255 of "
		                 "A-Z a-z 0-9 _ . @ + / -, no empty or '..' segment)",
		                 e->line, e->key, it->name);
	it->type = "generic";
	if (provider != NULL)
		r = as_api_key(it, provider);
	else
		r = as_database(it);
	if (r < 0)
		return cli_error(cli, r, a->file, "line %u: %s: %s", e->line, e->key,
		                 cred_strerror(r));
	return 0;
}

static void
items_free(struct ienv_item *items, size_t n)
{
	size_t i;

	for (i = 0; items != NULL && i < n; i++) {
		free(items[i].name);
		cred_buf_free(items[i].fields, items[i].fields_len);
	}
	free(items);
}

/* ---- the report ---- */

/* "cred run --env VAR=NAME[#uri] ... -- CMD": names and variable names need no
 * shell quoting ([A-Za-z0-9_.@+/-]). NULL when out of memory. */
static char *
run_line(const struct ienv_item *items, size_t n)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	if (f == NULL)
		return NULL;
	fputs("cred run", f);
	for (i = 0; i < n; i++) {
		/* A database URL comes back whole: the URI the fields render. */
		bool uri = strcmp(items[i].type, "postgresql") == 0 ||
		           strcmp(items[i].type, "mysql") == 0;

		fprintf(f, " --env %s=%s%s", items[i].e->key, items[i].name, uri ? "#uri" : "");
	}
	fputs(" -- CMD", f);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static json_t *
report_json(const struct ienv_args *a, const struct cred_import_result *res,
            const struct ienv_item *items, size_t n, const char *run)
{
	json_t *entries = json_array(), *conflicts = json_array();
	size_t i;

	for (i = 0; entries != NULL && i < n; i++)
		json_array_append_new(entries,
		                      json_pack("{s:s, s:s, s:s, s:i}", "var", items[i].e->key,
		                                "name", items[i].name, "type", items[i].type,
		                                "line", (int)items[i].e->line));
	for (i = 0; conflicts != NULL && res != NULL && i < res->n_conflicts; i++)
		json_array_append_new(conflicts, json_string(res->conflicts[i]));
	return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:s, s:b}", "file", a->file, "added",
	                 (json_int_t)(res != NULL ? res->added : 0), "skipped",
	                 (json_int_t)(res != NULL ? res->skipped : 0), "conflicted",
	                 (json_int_t)(res != NULL ? res->conflicted : 0), "conflicts", conflicts,
	                 "entries", entries, "run", run, "dry_run",
	                 (a->flags & CRED_IMPORT_DRY_RUN) != 0);
}

static int
report(struct cli *cli, const struct ienv_args *a, const struct cred_import_result *res,
       const struct ienv_item *items, size_t n)
{
	bool dry = (a->flags & CRED_IMPORT_DRY_RUN) != 0;
	char *run = run_line(items, n);
	size_t i;
	int r = 0;

	if (run == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	if (cli->json) {
		r = cli_json_print(cli, report_json(a, res, items, n, run));
	} else {
		printf("%s %zu secret%s from %s (%u added, %u skipped",
		       dry ? "would store" : "stored", n, n == 1 ? "" : "s", a->file,
		       res != NULL ? res->added : 0, res != NULL ? res->skipped : 0);
		/* With --overwrite the names that held other values got new
		 * versions: the agent counts them as conflicted. */
		if (res != NULL && res->conflicted > 0)
			printf(", %u overwritten", res->conflicted);
		printf(")\n");
		for (i = 0; i < n; i++)
			printf("%s -> %s (%s)\n", items[i].e->key, items[i].name, items[i].type);
		printf("%s\n", run);
	}
	free(run);
	if (r == 0 && dry)
		fprintf(stderr, "dry run: nothing was stored\n");
	return r;
}

/* A CONFLICT: nothing was stored. The counts and names, then exit 7. */
static int
conflict(struct cli *cli, const struct ienv_args *a, int err, const struct cred_import_result *res,
         const struct ienv_item *items, size_t n)
{
	char *run;
	size_t i;

	if (cli->json) {
		run = run_line(items, n);
		if (run == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		(void)cli_json_print(cli, report_json(a, res, items, n, run));
		free(run);
	} else {
		fflush(stdout);
		for (i = 0; i < res->n_conflicts; i++)
			fprintf(stderr, "conflict: %s\n", res->conflicts[i]);
		if (res->conflicted > res->n_conflicts)
			fprintf(stderr, "conflict: ... and %llu more\n",
			        (unsigned long long)(res->conflicted - res->n_conflicts));
	}
	if (*cred_message(cli->conn) != '\0')
		return cli_lib_error(cli, err, a->file);
	return cli_error(cli, err, a->file,
	                 "nothing stored: %u name%s already exist%s with other values (use "
	                 "--overwrite)",
	                 res->conflicted, res->conflicted == 1 ? "" : "s",
	                 res->conflicted == 1 ? "s" : "");
}

/* Sends every item in one IMPORT and reports. */
static int
store_all(struct cli *cli, const struct ienv_args *a, const struct ienv_item *items, size_t n)
{
	struct cred_import_item *ci;
	struct cred_import_result *res = NULL;
	size_t i;
	int r;

	if (n == 0)
		return report(cli, a, NULL, items, 0);
	ci = calloc(n, sizeof(*ci));
	if (ci == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	for (i = 0; i < n; i++) {
		ci[i].name = items[i].name;
		ci[i].type = items[i].type;
		ci[i].value = items[i].fields != NULL ? items[i].fields : items[i].e->value;
		ci[i].len = items[i].fields != NULL ? items[i].fields_len : items[i].e->len;
	}
	r = cred_import_entries(cli->conn, ci, n, a->flags, &res);
	free(ci);
	if (r == -CRED_E_CONFLICT && res != NULL)
		r = conflict(cli, a, r, res, items, n);
	else if (r < 0)
		r = cli_lib_error(cli, r, a->file);
	else if ((r = report(cli, a, res, items, n)) == 0 && *cred_message(cli->conn) != '\0' &&
	         (a->flags & CRED_IMPORT_DRY_RUN) == 0 &&
	         !(res != NULL && res->conflicted > 0 &&
	           strstr(cred_message(cli->conn), "overwritten")))
		cli_warn(cli, NULL, "%s", cred_message(cli->conn));
	cred_import_result_free(res);
	return r;
}

int
cmd_import_env(struct cli *cli, int argc, char **argv)
{
	struct ienv_args a = {.prefix = ""};
	struct dotenv env = {0};
	struct ienv_item *items = NULL;
	size_t i, n = 0;
	int r;

	if ((r = ienv_parse(cli, argc, argv, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = load_env(cli, a.file, &env)) != 0)
		goto out;
	items = calloc(env.n > 0 ? env.n : 1, sizeof(*items));
	if (items == NULL) {
		r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		goto out;
	}
	n = env.n;
	for (i = 0; i < n; i++)
		if ((r = classify(cli, &a, &env.items[i], &items[i])) != 0)
			goto out;
	if ((r = cli_connect(cli)) == 0)
		r = store_all(cli, &a, items, n);
out:
	items_free(items, n);
	dotenv_free(&env);
	return r;
}
