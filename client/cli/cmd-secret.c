/* SPDX-License-Identifier: MIT */
/* cred put, get, rm: the commands that store, read and delete values. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "proto/proto.h"
#include "client/cli/cli.h"

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
};

struct put_args {
	const char *ref;
	const char *file;
	const char **labels; /* NULL-terminated, pointing into argv */
	size_t n_labels;
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
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		r = put_option(cli, c, a, argv);
		if (r != 0)
			return r;
	}
	return cli_one_ref(cli, argc, argv, &a->ref);
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
	if (a.labels == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	a.o.labels = a.labels;
	r = put_parse(cli, argc, argv, &a);
	if (r == 0)
		r = cli_parse_ref(cli, a.ref, &owner, &name);
	if (r == 0)
		r = cli_connect(cli);
	if (r == 0)
		r = cli_read_value(cli, a.file, a.ref, &value, &len);
	if (r != 0)
		goto out;
	r = cred_put(cli->conn, a.ref, value, len, &a.o, &version);
	freezero(value, len);
	value = NULL;
	if (r < 0)
		r = cli_lib_error(cli, r, a.ref);
	else
		r = put_report(cli, &a, owner, name, version);
out:
	free(a.labels);
	return r < 0 ? 0 : r;
}

static int
print_value(struct cli *cli, const struct cred_value *v, uid_t owner, const char *name)
{
	json_t *val;
	int r;

	if (!cli->json) {
		r = cli_write_all(STDOUT_FILENO, v->data, v->len);
		if (r < 0)
			return cli_error(cli, CRED_E_FAILED, NULL, "writing the value failed");
		return 0;
	}
	val = cli_json_bytes_string(v->data, v->len);
	if (val != NULL)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:I, s:s, s:o}", "name", name,
		                                     "owner", (json_int_t)owner, "version",
		                                     (json_int_t)v->version, "type", v->type,
		                                     "value", val));
	return cli_json_print(cli, json_pack("{s:s, s:I, s:I, s:s, s:n, s:o}", "name", name,
	                                     "owner", (json_int_t)owner, "version",
	                                     (json_int_t)v->version, "type", v->type, "value",
	                                     "value_base64", cli_json_base64(v->data, v->len)));
}

int
cmd_get(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"version", required_argument, NULL, OPT_VERSION},
	        {"allow-expired", no_argument, NULL, OPT_ALLOW_EXPIRED},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cred_value *v = NULL;
	uint32_t version = 0;
	unsigned flags = 0;
	const char *ref, *name, *m;
	uid_t owner;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_ALLOW_EXPIRED) {
			flags |= CRED_GET_ALLOW_EXPIRED;
		} else if (c == OPT_VERSION) {
			if ((r = cli_parse_u32(cli, "--version", optarg, 1, &version)) != 0)
				return r;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("get"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if ((r = cli_one_ref(cli, argc, argv, &ref)) != 0 ||
	    (r = cli_parse_ref(cli, ref, &owner, &name)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_get_ex(cli->conn, ref, version, flags, &v);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	/* With --allow-expired the agent's note on an expired secret says
	 * when it expired. */
	m = cred_message(cli->conn);
	if (*m != '\0')
		cli_warn(cli, ref, "%s%s", m,
		         (flags & CRED_GET_ALLOW_EXPIRED) ? "; read anyway" : "");
	r = print_value(cli, v, owner, name);
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
