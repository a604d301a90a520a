/* SPDX-License-Identifier: MIT */
/* cred uri, env, read: a typed secret rendered as a connection URI, as
 * shell export lines, or one field as it is. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"

enum { OPT_JSON = 0x100 };

/* Parses [--json] ARG and connects: 0 with *ret_arg, -1 after --help,
 * or an exit code. */
static int
one_arg(struct cli *cli, int argc, char **argv, const char **ret_arg)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find(cli->cmd), false);
			return -1;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	return cli_one_ref(cli, argc, argv, ret_arg);
}

/* The name of the first required field F lacks (defaults count), or NULL. */
static const char *
missing_field(const char *type, const struct cred_fields *f)
{
	struct cred_type_field tf;
	const uint8_t *p;
	size_t i, n;

	for (i = 0; cred_type_field_at(type, i, &tf) == 1; i++)
		if ((tf.flags & CRED_FIELD_REQUIRED) && cred_fields_get(f, tf.name, type, &p, &n) != 1)
			return tf.name;
	return NULL;
}

/* The failure of a renderer: R from cred_render_uri()/cred_render_env(). */
static int
render_error(struct cli *cli, int r, const char *ref, const char *type,
             const struct cred_fields *f, const char *what)
{
	const char *miss;

	if (r == -CRED_E_USAGE && strcmp(what, "URI") == 0)
		return cli_error(cli, r, NULL, "type %s has no URI", type);
	if (r == -CRED_E_USAGE)
		return cli_error(cli, r, NULL,
		                 "type %s has no environment; use cred run --env VAR=REF", type);
	if (r == -CRED_E_INVALID && f != NULL && (miss = missing_field(type, f)) != NULL)
		return cli_error(cli, r, ref, "missing required field \"%s\"", miss);
	if (r == -CRED_E_INVALID)
		return cli_error(cli, r, ref, "the fields do not make %s",
		                 strcmp(what, "URI") == 0 ? "a URI" : "an environment");
	return cli_error(cli, r, ref, NULL);
}

/* REF's current value and, for a typed secret, its fields (*ret_f NULL
 * for generic). 0 or an exit code with nothing to free. */
static int
fetch_fields(struct cli *cli, const char *ref, struct cred_value **ret_v,
             struct cred_fields **ret_f)
{
	int r;

	*ret_f = NULL;
	r = cred_get(cli->conn, ref, 0, ret_v);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (cli_type_is_generic((*ret_v)->type))
		return 0;
	r = cred_fields_decode((*ret_v)->data, (*ret_v)->len, ret_f);
	if (r < 0) {
		cred_value_free(*ret_v);
		*ret_v = NULL;
		return cli_error(cli, r, ref, "not a well-formed field set");
	}
	return 0;
}

/* ---- uri ---- */

int
cmd_uri(struct cli *cli, int argc, char **argv)
{
	struct cred_fields *f = NULL;
	struct cred_value *v = NULL;
	const char *ref, *name;
	char *uri = NULL;
	uid_t owner;
	int r;

	r = one_arg(cli, argc, argv, &ref);
	if (r == 0)
		r = cli_parse_ref(cli, ref, &owner, &name);
	if (r == 0)
		r = cli_connect(cli);
	if (r == 0)
		r = fetch_fields(cli, ref, &v, &f);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = f != NULL ? cred_render_uri(v->type, f, &uri) : -CRED_E_USAGE;
	if (r < 0) {
		r = render_error(cli, r, ref, v->type, f, "URI");
	} else if (cli->json) {
		r = cli_json_print(cli, json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name,
		                                  "owner", (json_int_t)owner, "version",
		                                  (json_int_t)v->version, "type", v->type, "uri",
		                                  uri));
	} else {
		fflush(stdout);
		if (cli_write_all(STDOUT_FILENO, uri, strlen(uri)) < 0 ||
		    cli_write_all(STDOUT_FILENO, "\n", 1) < 0)
			r = cli_error(cli, CRED_E_FAILED, NULL, "writing the URI failed");
	}
	cred_str_free(uri);
	cred_fields_free(f);
	cred_value_free(v);
	return r;
}

/* ---- env ---- */

static json_t *
json_env(const struct cred_env *e)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; o != NULL && i < e->n; i++) {
		/* JSON strings are UTF-8: other bytes are null (use env or run). */
		v = cli_json_bytes_string((const uint8_t *)e->items[i].value, e->items[i].len);
		if (json_object_set_new(o, e->items[i].name, v != NULL ? v : json_null()) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int
print_env(struct cli *cli, const struct cred_env *e)
{
	char *lines = NULL;
	int r;

	if (cli->json)
		return cli_json_print(cli, json_env(e));
	r = cred_env_export(e, &lines);
	if (r < 0)
		return cli_error(cli, r, NULL, NULL);
	fflush(stdout);
	if (cli_write_all(STDOUT_FILENO, lines, strlen(lines)) < 0)
		r = cli_error(cli, CRED_E_FAILED, NULL, "writing the variables failed");
	cred_str_free(lines);
	return r;
}

int
cmd_env(struct cli *cli, int argc, char **argv)
{
	struct cred_fields *f = NULL;
	struct cred_value *v = NULL;
	struct cred_env *e = NULL;
	const char *ref;
	int r;

	r = one_arg(cli, argc, argv, &ref);
	if (r == 0)
		r = cli_parse_ref(cli, ref, NULL, NULL);
	if (r == 0)
		r = cli_connect(cli);
	if (r == 0)
		r = fetch_fields(cli, ref, &v, &f);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = f != NULL ? cred_render_env(v->type, f, &e) : -CRED_E_USAGE;
	if (r < 0)
		r = render_error(cli, r, ref, v->type, f, "env");
	else
		r = print_env(cli, e);
	cred_env_free(e);
	cred_fields_free(f);
	cred_value_free(v);
	return r;
}

/* ---- read ---- */

int
cmd_read(struct cli *cli, int argc, char **argv)
{
	struct cli_cache cache = {0};
	struct cli_fref fr = {0};
	struct cred_value *v = NULL;
	char msg[300];
	const char *arg, *name;
	json_t *j, *val;
	uid_t owner;
	int r;

	r = one_arg(cli, argc, argv, &arg);
	if (r == 0)
		r = cli_parse_fref(cli, arg, &fr);
	if (r != 0)
		return r < 0 ? 0 : r;
	if ((r = cli_parse_ref(cli, fr.ref, &owner, &name)) != 0 || (r = cli_connect(cli)) != 0)
		goto out;
	r = cli_cache_field(cli, &cache, fr.ref, fr.field, &v, msg, sizeof(msg));
	if (r < 0) {
		r = cli_error(cli, r, arg, "%s", msg);
		goto out;
	}
	if (!cli->json) {
		fflush(stdout);
		if (cli_write_all(STDOUT_FILENO, v->data, v->len) < 0)
			r = cli_error(cli, CRED_E_FAILED, NULL, "writing the value failed");
		goto out;
	}
	val = cli_json_bytes_string(v->data, v->len);
	j = json_pack("{s:s, s:I, s:I, s:s, s:o, s:o}", "name", name, "owner", (json_int_t)owner,
	              "version", (json_int_t)v->version, "type", v->type, "field",
	              fr.field != NULL ? json_string(fr.field) : json_null(), "value",
	              val != NULL ? val : json_null());
	if (j != NULL && val == NULL &&
	    json_object_set_new(j, "value_base64", cli_json_base64(v->data, v->len)) < 0) {
		json_decref(j);
		j = NULL;
	}
	r = cli_json_print(cli, j);
out:
	cred_value_free(v);
	cli_cache_free(&cache);
	cli_fref_free(&fr);
	return r;
}
