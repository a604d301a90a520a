/* SPDX-License-Identifier: MIT */
/* cred run: resolve every reference first, then execute a command with
 * the values in its environment (never in its arguments). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"
#include "common/zero.h"

enum { OPT_JSON = 0x100, OPT_ENV, OPT_ENV_FILE, OPT_TYPE_ENV, OPT_FALLBACK };

/* Every reference run was given, in order: --type-env, --env-file and
 * --env (later ones win for the same variable). */
struct binding {
	char *var;          /* NULL for --type-env */
	struct cli_fref fr; /* the reference (and field) */
	char *given;        /* as written, for messages */
};

struct run_args {
	struct binding *b;
	size_t n, cap;
	bool fallback;
	char **cmd; /* argv of the command */
};

/* The variables for the child: "VAR=value" strings, each in a block of
 * its own, zeroed on release. */
struct envset {
	char **items;
	size_t n, cap;
};

static void
envset_free(struct envset *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		zero_free(e->items[i], strlen(e->items[i]) + 1);
	free(e->items);
	*e = (struct envset){0};
}

/* Sets VAR (N bytes) to VAL (LEN bytes) in E, replacing an earlier one. */
static int
envset_put(struct envset *e, const char *var, size_t n, const uint8_t *val, size_t len)
{
	char **items, *s;
	size_t i;

	s = malloc(n + 1 + len + 1);
	if (s == NULL)
		return -CRED_E_NOMEM;
	memcpy(s, var, n);
	s[n] = '=';
	if (len > 0)
		memcpy(s + n + 1, val, len);
	s[n + 1 + len] = '\0';
	for (i = 0; i < e->n; i++) {
		if (strncmp(e->items[i], s, n + 1) == 0) {
			zero_free(e->items[i], strlen(e->items[i]) + 1);
			e->items[i] = s;
			return 0;
		}
	}
	if (e->n == e->cap) {
		/* Pointers only: the strings stay in their own blocks. */
		items = reallocarray(e->items, e->cap == 0 ? 16 : e->cap * 2, sizeof(*items));
		if (items == NULL) {
			zero_free(s, n + len + 2);
			return -CRED_E_NOMEM;
		}
		e->items = items;
		e->cap = e->cap == 0 ? 16 : e->cap * 2;
	}
	e->items[e->n++] = s;
	return 0;
}

static bool
var_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static void
args_free(struct run_args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->b[i].var);
		free(a->b[i].given);
		cli_fref_free(&a->b[i].fr);
	}
	free(a->b);
}

/* Adds VAR=REF (VAR NULL: --type-env REF). WHERE names the origin in
 * messages. */
static int
add_binding(struct cli *cli, struct run_args *a, const char *var, size_t var_len, const char *ref,
            const char *where)
{
	struct binding *b;
	int r;

	if (var != NULL && !var_valid(var, var_len))
		return cli_error(cli, CRED_E_USAGE, where,
		                 "invalid variable name '%.*s' (A-Z a-z 0-9 _, not starting with a "
		                 "digit)",
		                 (int)var_len, var);
	if (a->n == a->cap) {
		b = reallocarray(a->b, a->cap == 0 ? 8 : a->cap * 2, sizeof(*b));
		if (b == NULL)
			return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		a->b = b;
		a->cap = a->cap == 0 ? 8 : a->cap * 2;
	}
	b = &a->b[a->n];
	*b = (struct binding){0};
	r = cli_parse_fref(cli, ref, &b->fr);
	if (r != 0)
		return r;
	b->given = strdup(ref);
	b->var = var != NULL ? strndup(var, var_len) : NULL;
	a->n++;
	if (b->given == NULL || (var != NULL && b->var == NULL))
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	return 0;
}

/* --env VAR=REF[#FIELD] */
static int
add_env_arg(struct cli *cli, struct run_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq[1] == '\0')
		return cli_error(cli, CRED_E_USAGE, NULL, "--env: expected VAR=REF[#FIELD], not '%s'",
		                 arg);
	return add_binding(cli, a, arg, (size_t)(eq - arg), eq + 1, "--env");
}

/* One line of an env file (its newline gone): blank, a comment, or
 * VAR=REF / VAR=cred://REF#FIELD, spaces around allowed. */
static int
env_file_line(struct cli *cli, struct run_args *a, char *line, const char *where)
{
	char *s = line, *end, *eq, *c;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	/* A comment after the reference starts with " #". */
	for (c = s; (c = strchr(c, '#')) != NULL; c++) {
		if (c > s && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	eq = strchr(s, '=');
	if (eq == NULL || eq[1] == '\0')
		return cli_error(cli, CRED_E_USAGE, where, "expected VAR=REF or VAR=cred://REF#FIELD");
	end = eq;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (eq++; *eq == ' ' || *eq == '\t'; eq++)
		;
	return add_binding(cli, a, s, (size_t)(end - s), eq, where);
}

static int
add_env_file(struct cli *cli, struct run_args *a, const char *file)
{
	char where[512], *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t k;
	FILE *f;
	int r = 0;

	/* References only, never values: stdio is fine here. */
	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
	if (f == NULL)
		return cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
	while (r == 0 && (k = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (k > 0 && line[k - 1] == '\n')
			line[k - 1] = '\0';
		snprintf(where, sizeof(where), "%s:%zu", file, lineno);
		r = env_file_line(cli, a, line, where);
	}
	if (r == 0 && ferror(f))
		r = cli_error(cli, CRED_E_FAILED, file, "reading: %s", strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	return r;
}

static int
run_parse(struct cli *cli, int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"env", required_argument, NULL, OPT_ENV},
	        {"env-file", required_argument, NULL, OPT_ENV_FILE},
	        {"type-env", required_argument, NULL, OPT_TYPE_ENV},
	        {"fallback", no_argument, NULL, OPT_FALLBACK},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r = 0;

	/* '+': the command's own options are not ours. */
	while (r == 0 && (c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli->json = true; break;
		case OPT_ENV: r = add_env_arg(cli, a, optarg); break;
		case OPT_ENV_FILE: r = add_env_file(cli, a, optarg); break;
		case OPT_TYPE_ENV: r = add_binding(cli, a, NULL, 0, optarg, "--type-env"); break;
		case OPT_FALLBACK: a->fallback = true; break;
		case 'h': cli_command_usage(cli_command_find("run"), false); return -1;
		default: return cli_option_error(cli, c, argv);
		}
	}
	if (r != 0)
		return r;
	if (optind >= argc)
		return cli_usage_error(cli, "missing the command to run (after --)");
	a->cmd = &argv[optind];
	return 0;
}

/* --type-env REF: the variables `cred env REF` prints. */
static int
resolve_type_env(struct cli *cli, struct cli_cache *cache, const struct binding *b,
                 struct envset *env)
{
	const struct cred_value *v;
	struct cred_fields *f = NULL;
	struct cred_env *e = NULL;
	const char *msg;
	size_t i;
	int r;

	r = cli_cache_value(cli, cache, b->fr.ref, &v, &msg);
	if (r < 0)
		return cli_error(cli, r, b->given, "%s", msg);
	if (cli_type_is_generic(v->type))
		return cli_error(cli, CRED_E_USAGE, b->given,
		                 "type %s has no environment; use --env VAR=REF", v->type);
	r = cred_fields_decode(v->data, v->len, &f);
	if (r == 0)
		r = cred_render_env(v->type, f, &e);
	cred_fields_free(f);
	if (r == -CRED_E_USAGE)
		return cli_error(cli, r, b->given,
		                 "type %s has no environment; use --env VAR=REF", v->type);
	if (r < 0)
		return cli_error(cli, r, b->given, "cannot make its environment (%s)",
		                 cred_strerror(r));
	for (i = 0; r == 0 && i < e->n; i++)
		r = envset_put(env, e->items[i].name, strlen(e->items[i].name),
		               (const uint8_t *)e->items[i].value, e->items[i].len);
	cred_env_free(e);
	return r < 0 ? cli_error(cli, r, NULL, NULL) : 0;
}

/* --env / --env-file: one variable, from the secret or, with --fallback
 * and a secret that does not exist, from the caller's environment. */
static int
resolve_var(struct cli *cli, struct cli_cache *cache, const struct binding *b, bool fallback,
            struct envset *env)
{
	struct cred_value *v = NULL;
	const char *old;
	char msg[300];
	int r;

	r = cli_cache_field(cli, cache, b->fr.ref, b->fr.field, &v, msg, sizeof(msg));
	if (r == -CRED_E_NOT_FOUND && fallback && (old = getenv(b->var)) != NULL &&
	    strncmp(msg, "no field ", 9) != 0) {
		fflush(stdout);
		fprintf(stderr, "cred: run: %s: %s not found, using $%s from the environment\n",
		        b->var, b->given, b->var);
		return envset_put(env, b->var, strlen(b->var), (const uint8_t *)old, strlen(old)) < 0
		               ? cli_error(cli, CRED_E_NOMEM, NULL, NULL)
		               : 0;
	}
	if (r < 0)
		return cli_error(cli, r, b->given, "%s", msg);
	if (v->len > 0 && memchr(v->data, '\0', v->len) != NULL)
		r = cli_error(cli, CRED_E_FAILED, b->given,
		              "the value holds a NUL byte, which no environment can carry");
	else if (envset_put(env, b->var, strlen(b->var), v->data, v->len) < 0)
		r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	cred_value_free(v);
	return r;
}

/* The child's environment: ours without the variables ENV sets, then
 * ENV's. The array borrows every string. */
static char **
child_environ(const struct envset *env)
{
	extern char **environ;
	size_t n = 0, i, k, o = 0;
	const char *eq;
	char **out;
	bool dup;

	while (environ[n] != NULL)
		n++;
	out = calloc(n + env->n + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		eq = strchr(environ[i], '=');
		dup = false;
		for (k = 0; eq != NULL && k < env->n && !dup; k++)
			dup = strncmp(env->items[k], environ[i], (size_t)(eq - environ[i]) + 1) == 0;
		if (!dup)
			out[o++] = environ[i];
	}
	for (k = 0; k < env->n; k++)
		out[o++] = env->items[k];
	return out;
}

static int
resolve_all(struct cli *cli, const struct run_args *a, struct envset *env)
{
	struct cli_cache cache = {0};
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < a->n; i++) {
		if (a->b[i].var == NULL)
			r = resolve_type_env(cli, &cache, &a->b[i], env);
		else
			r = resolve_var(cli, &cache, &a->b[i], a->fallback, env);
	}
	cli_cache_free(&cache);
	return r;
}

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	struct run_args a = {0};
	struct envset env = {0};
	char **envp;
	int r, err;

	r = run_parse(cli, argc, argv, &a);
	if (r == 0 && a.n > 0)
		r = cli_connect(cli);
	if (r == 0)
		r = resolve_all(cli, &a, &env);
	if (r != 0)
		goto out;
	/* Nothing of the agent's is needed any more. */
	cred_close(cli->conn);
	cli->conn = NULL;
	envp = child_environ(&env);
	if (envp == NULL) {
		r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		goto out;
	}
	fflush(NULL);
	execvpe(a.cmd[0], a.cmd, envp);
	err = errno;
	free(envp);
	/* As a shell says it: 127 not found, 126 found but not runnable. */
	cli_error(cli, CRED_E_FAILED, a.cmd[0], "%s", strerror(err));
	r = err == ENOENT ? 127 : 126;
out:
	envset_free(&env);
	args_free(&a);
	return r < 0 ? 0 : r;
}
