/* SPDX-License-Identifier: MIT */
/* cred verify: test a credential (a database login and SELECT 1, or a
 * command with the secret in its environment) and record the result in
 * the agent. No message leaves this file holding a secret's bytes. */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "client/cli/cli.h"
#include "client/cli/scrub.h"
#include "client/cli/verify-check.h"
#include "common/zero.h"

extern char **environ;

#define TIMEOUT_DEFAULT 10u
#define TIMEOUT_MAX     3600u
#define MSG_SIZE        2048u
/* Variables a check's command gets: every field, CRED_VALUE, or a
 * type's own set. */
#define VARS_MAX (CRED_FIELDS_MAX + 8u)

enum { OPT_JSON = 0x100, OPT_WITH, OPT_TIMEOUT };

struct verify_args {
	const char *ref;
	const char *with;
	unsigned timeout; /* seconds */
};

static int
verify_parse(struct cli *cli, int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"with", required_argument, NULL, OPT_WITH},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t secs;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli->json = true; break;
		case OPT_WITH:
			if (*optarg == '\0')
				return cli_usage_error(cli, "--with: empty command");
			a->with = optarg;
			break;
		case OPT_TIMEOUT:
			if (util_parse_duration(optarg, &secs) < 0 || secs < 1 ||
			    secs > TIMEOUT_MAX)
				return cli_usage_error(
				        cli,
				        "--timeout: expected a duration from 1s to %us "
				        "(N, Ns, Nm, Nh), not '%s'",
				        TIMEOUT_MAX, optarg);
			a->timeout = (unsigned)secs;
			break;
		case 'h': cli_command_usage(cli_command_find("verify"), false); return -1;
		default: return cli_option_error(cli, c, argv);
		}
	}
	return cli_one_ref(cli, argc, argv, &a->ref);
}

/* ---- scrubbing ---- */

/* The secret bytes of V: a generic value; of a typed one every field but
 * those its type names as not secret. */
static void
scrub_collect(const struct cred_value *v, const struct cred_fields *f, struct scrub_list *l)
{
	struct cred_type_field tf;
	size_t i;

	if (f == NULL) {
		scrub_add(l, v->data, v->len);
		return;
	}
	for (i = 0; i < f->n; i++) {
		if (cred_type_lookup(v->type, f->items[i].key, &tf) == 1 &&
		    (tf.flags & CRED_FIELD_SECRET) == 0)
			continue;
		if (f->items[i].value != NULL)
			scrub_add(l, f->items[i].value, f->items[i].len);
	}
}

/* ---- the command's environment ---- */

struct env_vars {
	char *items[VARS_MAX]; /* "NAME=VALUE", zero_free'd */
	size_t lens[VARS_MAX];
	size_t n;
};

static void
env_vars_free(struct env_vars *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		zero_free(e->items[i], e->lens[i]);
	e->n = 0;
}

/* NAME=P (LEN bytes): 0, or VERIFY_CANNOT with MSG set. */
static int
env_add(struct env_vars *e, const char *name, const uint8_t *p, size_t len, char *msg)
{
	size_t nl = strlen(name);
	char *s;

	if (len > 0 && memchr(p, '\0', len) != NULL) {
		snprintf(msg, MSG_SIZE, "%s would hold a NUL byte, which no environment carries",
		         name);
		return VERIFY_CANNOT;
	}
	if (e->n >= VARS_MAX || (s = malloc(nl + len + 2)) == NULL) {
		snprintf(msg, MSG_SIZE, "too many variables, or out of memory");
		return VERIFY_CANNOT;
	}
	memcpy(s, name, nl);
	s[nl] = '=';
	if (len > 0)
		memcpy(s + nl + 1, p, len);
	s[nl + 1 + len] = '\0';
	e->items[e->n] = s;
	e->lens[e->n++] = nl + len + 2;
	return 0;
}

/* Types with variables of their own (cred env): those. */
static int
env_rendered(const char *type, const struct cred_fields *f, struct env_vars *e, char *msg)
{
	struct cred_env *ce = NULL;
	size_t i;
	int r;

	if (cred_render_env(type, f, &ce) < 0) {
		snprintf(msg, MSG_SIZE,
		         "cannot put the %s fields in an environment (one is "
		         "missing or holds a NUL byte)",
		         type);
		return VERIFY_CANNOT;
	}
	for (i = 0, r = 0; r == 0 && i < ce->n; i++)
		r = env_add(e, ce->items[i].name, (const uint8_t *)ce->items[i].value,
		            ce->items[i].len, msg);
	cred_env_free(ce);
	return r;
}

/* CRED_VALUE (the primary field, or a generic value) and CRED_FIELD_<KEY>
 * for every field. */
static int
env_generic(const struct cred_value *v, const struct cred_fields *f, struct env_vars *e, char *msg)
{
	const char *primary = cred_type_primary(v->type);
	char name[sizeof("CRED_FIELD_") + CRED_FIELD_KEY_MAX];
	const uint8_t *p;
	size_t i, k, n;
	int r = 0;

	if (f == NULL)
		return env_add(e, "CRED_VALUE", v->data, v->len, msg);
	if (primary != NULL && cred_fields_get(f, primary, v->type, &p, &n) == 1 && p != NULL)
		r = env_add(e, "CRED_VALUE", p, n, msg);
	for (i = 0; r == 0 && i < f->n; i++) {
		n = (size_t)snprintf(name, sizeof(name), "CRED_FIELD_%s", f->items[i].key);
		for (k = sizeof("CRED_FIELD_") - 1; k < n && k < sizeof(name); k++)
			if (name[k] >= 'a' && name[k] <= 'z')
				name[k] = (char)(name[k] - 'a' + 'A');
		if (f->items[i].value != NULL)
			r = env_add(e, name, f->items[i].value, f->items[i].len, msg);
	}
	return r;
}

/* ENVIRON without the names E sets, then E: an array of borrowed
 * pointers (free() it), or NULL. */
static char **
envp_build(const struct env_vars *e)
{
	size_t n = 0, k = 0, i, j, nl;
	char **envp;
	bool ours;

	while (environ != NULL && environ[n] != NULL)
		n++;
	envp = calloc(n + e->n + 1, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		for (ours = false, j = 0; !ours && j < e->n; j++) {
			nl = (size_t)(strchr(e->items[j], '=') - e->items[j]);
			ours = strncmp(environ[i], e->items[j], nl + 1) == 0;
		}
		if (!ours)
			envp[k++] = environ[i];
	}
	for (j = 0; j < e->n; j++)
		envp[k++] = e->items[j];
	return envp;
}

static int
check_command(const struct verify_args *a, const struct cred_value *v, const struct cred_fields *f,
              const struct scrub_list *sl, char *msg)
{
	static const char *const rendered[] = {"api_key", "postgresql", "mysql"};
	struct env_vars e = {.n = 0};
	char **envp = NULL;
	size_t i;
	int r = -1;

	for (i = 0; f != NULL && i < sizeof(rendered) / sizeof(rendered[0]); i++)
		if (strcmp(v->type, rendered[i]) == 0)
			r = env_rendered(v->type, f, &e, msg);
	if (r == -1)
		r = env_generic(v, f, &e, msg);
	if (r == 0 && (envp = envp_build(&e)) == NULL) {
		snprintf(msg, MSG_SIZE, "out of memory");
		r = VERIFY_CANNOT;
	}
	if (r == 0)
		r = verify_command(a->with, envp, a->timeout, sl, msg, MSG_SIZE);
	free(envp);
	env_vars_free(&e);
	return r;
}

/* ---- the result ---- */

static int
report(struct cli *cli, const struct verify_args *a, const char *type, uint32_t version, bool ok,
       const char *msg, int rec)
{
	const char *name;
	uid_t owner;
	int r = 0;

	if (cred_ref_parse(a->ref, &owner, &name) < 0)
		name = a->ref, owner = getuid();
	if (cli->json)
		r = cli_json_print(cli, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:b}", "name",
		                                  name, "owner", (json_int_t)owner, "version",
		                                  (json_int_t)version, "type", type, "status",
		                                  ok ? "ok" : "failed", "message", msg, "recorded",
		                                  rec == 0));
	else if (ok)
		printf("%s: ok: %s\n", a->ref, msg);
	if (r == 0 && !ok)
		r = cli_error(cli, CRED_E_FAILED, a->ref, "failed: %s", msg);
	if (rec < 0) {
		const char *m = cred_message(cli->conn);
		int rr = cli_error(cli, rec, a->ref, "the result was not recorded: %s",
		                   *m != '\0' ? m : cred_strerror(rec));
		if (r == 0)
			r = rr;
	}
	return r;
}

/* Runs the check for V (F: its fields; NULL for a generic secret). */
static int
check(const struct verify_args *a, const struct cred_value *v, const struct cred_fields *f,
      const struct scrub_list *sl, char *msg)
{
	if (a->with != NULL)
		return check_command(a, v, f, sl, msg);
	if (strcmp(v->type, "postgresql") == 0)
		return verify_postgresql(f, a->timeout, msg, MSG_SIZE);
	return verify_mysql(f, a->timeout, msg, MSG_SIZE);
}

/* A type with a check to run: a built-in one, or --with's. */
static bool
checkable(const struct verify_args *a, const char *type)
{
	return a->with != NULL || strcmp(type, "postgresql") == 0 || strcmp(type, "mysql") == 0;
}

static int
no_check(struct cli *cli, const struct verify_args *a, const char *type)
{
	return cli_usage_error(cli, "%s: type %s has no built-in check: give one with --with CMD",
	                       a->ref, type);
}

/* REF's current value, read only once its type (from INFO, which counts
 * no read) has a check: 0 with *ret, or an exit code. */
static int
verify_fetch(struct cli *cli, const struct verify_args *a, struct cred_value **ret)
{
	struct cred_info *info = NULL;
	int r;

	if ((r = cred_info(cli->conn, a->ref, &info)) < 0)
		return cli_lib_error(cli, r, a->ref);
	r = checkable(a, info->type) ? 0 : no_check(cli, a, info->type);
	cred_info_free(info);
	if (r != 0)
		return r;
	if ((r = cred_get(cli->conn, a->ref, 0, ret)) < 0)
		return cli_lib_error(cli, r, a->ref);
	if (!checkable(a, (*ret)->type)) { /* changed in between */
		r = no_check(cli, a, (*ret)->type);
		cred_value_free(*ret);
		*ret = NULL;
	}
	return r;
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	struct verify_args a = {.timeout = TIMEOUT_DEFAULT};
	struct scrub_list sl = {.n = 0};
	struct cred_fields *f = NULL;
	struct cred_value *v = NULL;
	char *msg = NULL, type[64];
	uint32_t version;
	int r, outcome, rec;

	if ((r = verify_parse(cli, argc, argv, &a)) != 0)
		return r < 0 ? 0 : r;
	if ((r = cli_parse_ref(cli, a.ref, NULL, NULL)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	if ((r = verify_fetch(cli, &a, &v)) != 0)
		return r;
	/* The check may take a while: no connection is held meanwhile. */
	cred_close(cli->conn);
	cli->conn = NULL;
	version = v->version;
	snprintf(type, sizeof(type), "%s", v->type);
	if (strcmp(type, "generic") != 0 && cred_fields_decode(v->data, v->len, &f) < 0) {
		r = cli_error(cli, CRED_E_FAILED, a.ref, "the agent sent a malformed field set");
		goto out;
	}
	if ((msg = calloc(1, MSG_SIZE)) == NULL) {
		r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		goto out;
	}
	scrub_collect(v, f, &sl);
	/* A server that hangs up must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	outcome = check(&a, v, f, &sl, msg);
	scrub_string(&sl, msg, MSG_SIZE);
	if (scrub_full(&sl))
		snprintf(msg, MSG_SIZE,
		         "(message withheld: the secret has too many values to "
		         "scrub them all)");
	scrub_free(&sl);
	cred_fields_free(f);
	f = NULL;
	cred_value_free(v);
	v = NULL;
	if (outcome == VERIFY_CANNOT) {
		r = cli_error(cli, CRED_E_FAILED, a.ref, "cannot verify: %s", msg);
		goto out;
	}
	if ((r = cli_connect(cli)) != 0)
		goto out;
	rec = cred_verify_record(cli->conn, a.ref, version, outcome == VERIFY_OK, msg);
	r = report(cli, &a, type, version, outcome == VERIFY_OK, msg, rec);
out:
	scrub_free(&sl);
	if (msg != NULL)
		zero_free(msg, MSG_SIZE);
	cred_fields_free(f);
	cred_value_free(v);
	return r;
}
