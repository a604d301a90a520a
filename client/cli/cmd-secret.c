/* SPDX-License-Identifier: MIT */
/* cred put, get, rm: the commands that store, read and delete values. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/proto.h"
#include "client/cli/cli.h"
#include "common/zero.h"

enum {
	OPT_JSON = 0x100,
	OPT_TYPE,
	OPT_LABEL,
	OPT_EXPIRES,
	OPT_MAX_VERSIONS,
	OPT_CAS,
	OPT_FROM_FILE,
	OPT_VERSION,
	OPT_ALLOW_EXPIRED,
	OPT_QUOTA,
	OPT_FIELD,
	OPT_JSON_IN,
	OPT_FALLBACK_ENV,
};

struct put_args {
	const char *ref;
	const char *file;
	const char **labels; /* NULL-terminated, pointing into argv */
	size_t n_labels;
	const char **fields; /* --field KEY=VALUE, pointing into argv */
	size_t n_fields;
	const char *json_in;
	struct cred_put_opts o;
};

static int
put_option(struct cli *cli, int c, struct put_args *a, char **argv)
{
	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_TYPE:
		if (!proto_type_valid(optarg, strlen(optarg)))
			return cli_error(cli, CRED_E_USAGE, NULL, "--type: invalid type '%s'",
			                 optarg);
		a->o.type = optarg;
		return 0;
	case OPT_LABEL:
		if (!proto_label_valid(optarg, strlen(optarg)))
			return cli_check_label(cli, "--label", optarg);
		if (a->n_labels >= PROTO_LABELS_MAX)
			return cli_error(cli, CRED_E_USAGE, NULL, "--label: at most %u labels",
			                 PROTO_LABELS_MAX);
		a->labels[a->n_labels++] = optarg;
		return 0;
	case OPT_EXPIRES: return cli_parse_when(cli, "--expires", optarg, &a->o.expires);
	case OPT_MAX_VERSIONS:
		return cli_parse_u32(cli, "--max-versions", optarg, 1, &a->o.max_versions);
	case OPT_CAS: a->o.has_cas = 1; return cli_parse_u32(cli, "--cas", optarg, 0, &a->o.cas);
	case OPT_FROM_FILE: a->file = optarg; return 0;
	case OPT_FIELD: a->fields[a->n_fields++] = optarg; return 0;
	case OPT_JSON_IN: a->json_in = optarg; return 0;
	case OPT_QUOTA:
		return cli_parse_quota(cli, "--quota", optarg, &a->o.quota, &a->o.quota_period);
	case 'h': cli_command_usage(cli_command_find("put"), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

static int
put_parse(struct cli *cli, int argc, char **argv, struct put_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"type", required_argument, NULL, OPT_TYPE},
	        {"label", required_argument, NULL, OPT_LABEL},
	        {"expires", required_argument, NULL, OPT_EXPIRES},
	        {"max-versions", required_argument, NULL, OPT_MAX_VERSIONS},
	        {"cas", required_argument, NULL, OPT_CAS},
	        {"from-file", required_argument, NULL, OPT_FROM_FILE},
	        {"quota", required_argument, NULL, OPT_QUOTA},
	        {"field", required_argument, NULL, OPT_FIELD},
	        {"json-in", required_argument, NULL, OPT_JSON_IN},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	size_t i;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		r = put_option(cli, c, a, argv);
		if (r != 0)
			return r;
	}
	if (cli_type_is_generic(a->o.type) && (a->n_fields > 0 || a->json_in != NULL))
		return cli_usage_error(cli, "--field and --json-in need --type (a typed secret)");
	if (a->json_in != NULL && a->file != NULL && strcmp(a->json_in, "-") != 0 &&
	    strcmp(a->json_in, a->file) == 0)
		return cli_usage_error(cli, "--json-in and --from-file name the same file");
	for (i = 0; i < a->n_fields; i++)
		if ((r = cli_check_field_arg(cli, a->o.type, a->fields[i])) != 0)
			return r;
	return cli_one_ref(cli, argc, argv, &a->ref);
}

/* The value put sends: stdin's (or the file's) bytes for a generic
 * secret, the field set for a typed one. */
static int
put_value(struct cli *cli, const struct put_args *a, uint8_t **ret, size_t *ret_len)
{
	struct cli_put_fields pf = {
	        .ref = a->ref,
	        .type = a->o.type,
	        .json_in = a->json_in,
	        .file = a->file,
	        .fields = a->fields,
	        .n_fields = a->n_fields,
	};

	if (cli_type_is_generic(a->o.type))
		return cli_read_value(cli, a->file, a->ref, ret, ret_len);
	return cli_put_fields_build(cli, &pf, ret, ret_len);
}

static int
put_report(struct cli *cli, const struct put_args *a, uid_t owner, const char *name,
           uint32_t version)
{
	cli_warn_expiry(cli, a->ref, a->o.expires);
	if (cli->json)
		return cli_json_print(cli,
		                      json_pack("{s:s, s:I, s:I}", "name", name, "owner",
		                                (json_int_t)owner, "version", (json_int_t)version));
	/* The agent sends no note for a put on an existing name: a version
	 * after the first says it. */
	if (version > 1)
		fprintf(stderr, "%s: added version %u\n", a->ref, version);
	else
		fprintf(stderr, "%s: version %u\n", a->ref, version);
	return 0;
}

int
cmd_put(struct cli *cli, int argc, char **argv)
{
	struct put_args a = {0};
	const char *name;
	uint8_t *value = NULL;
	size_t len = 0;
	uint32_t version = 0;
	uid_t owner;
	int r;

	a.labels = calloc((size_t)argc + 1, sizeof(*a.labels));
	a.fields = calloc((size_t)argc + 1, sizeof(*a.fields));
	if (a.labels == NULL || a.fields == NULL) {
		r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		goto out;
	}
	a.o.labels = a.labels;
	r = put_parse(cli, argc, argv, &a);
	if (r == 0)
		r = cli_parse_ref(cli, a.ref, &owner, &name);
	if (r == 0)
		r = cli_connect(cli);
	if (r == 0)
		r = put_value(cli, &a, &value, &len);
	if (r != 0)
		goto out;
	r = cred_put(cli->conn, a.ref, value, len, &a.o, &version);
	zero_free(value, len);
	value = NULL;
	if (r < 0)
		r = cli_lib_error(cli, r, a.ref);
	else
		r = put_report(cli, &a, owner, name, version);
out:
	free(a.labels);
	free(a.fields);
	return r < 0 ? 0 : r;
}

/* The bytes at P (N) to stdout, exactly. */
static int
write_value(struct cli *cli, const uint8_t *p, size_t n)
{
	fflush(stdout);
	if (cli_write_all(STDOUT_FILENO, p, n) < 0)
		return cli_error(cli, CRED_E_FAILED, NULL, "writing the value failed");
	return 0;
}

/* {"name", "owner", "version", "type"} and then "value" (or "value" null
 * and "value_base64" for bytes that are not UTF-8). */
static json_t *
json_value(const char *name, uid_t owner, const struct cred_value *v, const uint8_t *p,
           size_t n)
{
	json_t *j, *val;

	j = json_pack("{s:s, s:I, s:I, s:s}", "name", name, "owner", (json_int_t)owner,
	              "version", (json_int_t)v->version, "type", v->type);
	if (j == NULL)
		return NULL;
	val = cli_json_bytes_string(p, n);
	if ((val != NULL && json_object_set_new(j, "value", val) < 0) ||
	    (val == NULL && (json_object_set_new(j, "value", json_null()) < 0 ||
	                     json_object_set_new(j, "value_base64", cli_json_base64(p, n)) < 0))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A typed secret's --json: every field, defaults filled in. */
static int
print_fields_json(struct cli *cli, const struct cred_value *v, uid_t owner, const char *name,
                  const char *ref)
{
	struct cred_fields *f = NULL;
	json_t *j, *fj, *b64;
	int r;

	r = cred_fields_decode(v->data, v->len, &f);
	if (r < 0)
		return cli_error(cli, r, ref, "a secret of type %s without a well-formed field set",
		                 v->type);
	fj = cli_json_fields(v->type, f, &b64);
	cred_fields_free(f);
	j = json_pack("{s:s, s:I, s:I, s:s, s:o}", "name", name, "owner", (json_int_t)owner,
	              "version", (json_int_t)v->version, "type", v->type, "fields", fj);
	if (j != NULL && b64 != NULL && json_object_set_new(j, "fields_base64", b64) < 0) {
		json_decref(j);
		j = NULL;
	} else if (j == NULL) {
		json_decref(b64);
	}
	return cli_json_print(cli, j);
}

static int
print_value(struct cli *cli, const struct cred_value *v, uid_t owner, const char *name,
            const char *ref, const char *field)
{
	struct cred_value *fv = NULL;
	const uint8_t *p;
	size_t n;
	json_t *j;
	int r;

	if (cli->json && field == NULL && !cli_type_is_generic(v->type))
		return print_fields_json(cli, v, owner, name, ref);
	if (v->type != NULL && strcmp(v->type, "generic") == 0 &&
	    (field == NULL || strcmp(field, "value") == 0)) {
		/* What cred_value_field() would copy: the whole value. */
		p = v->data;
		n = v->len;
	} else {
		r = cred_value_field(v, field, &fv);
		if (r == -CRED_E_NOT_FOUND)
			return cli_error(cli, r, ref, "no field %s",
			                 field != NULL ? field : cred_type_primary(v->type));
		if (r < 0)
			return cli_error(cli, r, ref, "%s",
			                 r == -CRED_E_INVALID ? "not a well-formed field set"
			                                      : cred_strerror(r));
		p = fv->data;
		n = fv->len;
	}
	if (!cli->json) {
		r = write_value(cli, p, n);
	} else {
		j = json_value(name, owner, v, p, n);
		if (j != NULL && field != NULL &&
		    json_object_set_new(j, "field", json_string(field)) < 0) {
			json_decref(j);
			j = NULL;
		}
		r = cli_json_print(cli, j);
	}
	cred_value_free(fv);
	return r;
}

/* --fallback-env VAR for a secret that does not exist. */
static int
print_fallback(struct cli *cli, const char *ref, uid_t owner, const char *name, const char *var,
               const char *val)
{
	json_t *j, *v;

	cli_warn(cli, ref, "not found, using $%s from the environment", var);
	if (!cli->json)
		return write_value(cli, (const uint8_t *)val, strlen(val));
	v = cli_json_bytes_string((const uint8_t *)val, strlen(val));
	j = json_pack("{s:s, s:I, s:n, s:n, s:o, s:s}", "name", name, "owner", (json_int_t)owner,
	              "version", "type", "value", v != NULL ? v : json_null(), "fallback", var);
	return cli_json_print(cli, j);
}

struct get_args {
	uint32_t version;
	unsigned flags;
	const char *field;
	const char *fallback; /* --fallback-env VAR */
};

static int
get_option(struct cli *cli, int c, struct get_args *a, char **argv)
{
	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_ALLOW_EXPIRED: a->flags |= CRED_GET_ALLOW_EXPIRED; return 0;
	case OPT_VERSION: return cli_parse_u32(cli, "--version", optarg, 1, &a->version);
	case OPT_FIELD:
		if (!cli_field_key_valid(optarg, strlen(optarg)))
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--field: invalid field name '%s' (1-%u of a-z 0-9 _)",
			                 optarg, CRED_FIELD_KEY_MAX);
		a->field = optarg;
		return 0;
	case OPT_FALLBACK_ENV:
		if (*optarg == '\0' || strchr(optarg, '=') != NULL)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--fallback-env: invalid variable name '%s'", optarg);
		a->fallback = optarg;
		return 0;
	case 'h': cli_command_usage(cli_command_find("get"), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

int
cmd_get(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"version", required_argument, NULL, OPT_VERSION},
	        {"allow-expired", no_argument, NULL, OPT_ALLOW_EXPIRED},
	        {"field", required_argument, NULL, OPT_FIELD},
	        {"fallback-env", required_argument, NULL, OPT_FALLBACK_ENV},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct get_args a = {0};
	struct cred_value *v = NULL;
	const char *ref, *name, *m, *env;
	uid_t owner;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		if ((r = get_option(cli, c, &a, argv)) != 0)
			return r < 0 ? 0 : r;
	if ((r = cli_one_ref(cli, argc, argv, &ref)) != 0 ||
	    (r = cli_parse_ref(cli, ref, &owner, &name)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_get_ex(cli->conn, ref, a.version, a.flags, &v);
	if (r == -CRED_E_NOT_FOUND && a.fallback != NULL && a.version == 0 &&
	    (env = getenv(a.fallback)) != NULL)
		return print_fallback(cli, ref, owner, name, a.fallback, env);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	/* With --allow-expired the agent's note on an expired secret says
	 * when it expired. */
	m = cred_message(cli->conn);
	if (*m != '\0')
		cli_warn(cli, ref, "%s%s", m,
		         (a.flags & CRED_GET_ALLOW_EXPIRED) ? "; read anyway" : "");
	r = print_value(cli, v, owner, name, ref, a.field);
	cred_value_free(v);
	return r;
}

int
cmd_rm(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *ref, *name;
	uid_t owner;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("rm"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if ((r = cli_one_ref(cli, argc, argv, &ref)) != 0 ||
	    (r = cli_parse_ref(cli, ref, &owner, &name)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_delete(cli->conn, ref);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:s}", "name", name, "owner",
		                                     (json_int_t)owner, "state", "deleted"));
	fprintf(stderr, "%s: deleted\n", ref);
	return 0;
}
