/* SPDX-License-Identifier: MIT */
/* cred rotate, rollback, undelete, purge, disable, enable, label: a
 * secret's versions and lifecycle. */

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
	OPT_GENERATE,
	OPT_CHARSET,
	OPT_PRINT,
	OPT_EXPIRES,
	OPT_FROM_FILE,
	OPT_TO,
	OPT_VERSION,
	OPT_RM,
};

/* {"name", "owner", "version"}, and "value" when VALUE is not NULL. */
static json_t *
json_version(const char *name, uid_t owner, uint32_t version, const struct cred_value *value)
{
	json_t *j;

	j = json_pack("{s:s, s:I, s:I}", "name", name, "owner", (json_int_t)owner, "version",
	              (json_int_t)version);
	if (j != NULL && value != NULL &&
	    json_object_set_new(j, "value", cli_json_bytes_string(value->data, value->len)) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- rotate ---- */

struct rotate_args {
	const char *ref;
	const char *file;
	const char *charset; /* as given, for messages */
	bool print;
	struct cred_rotate_opts o;
};

static int
rotate_option(struct cli *cli, int c, struct rotate_args *a, char **argv)
{
	int cs, r;

	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_GENERATE:
		if ((r = cli_parse_u32(cli, "--generate", optarg, 1, &a->o.generate)) != 0)
			return r;
		if (a->o.generate > CRED_GENERATE_MAX)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--generate: at most %u characters, not %u",
			                 CRED_GENERATE_MAX, a->o.generate);
		return 0;
	case OPT_CHARSET:
		cs = cred_charset_parse(optarg);
		if (cs < 0)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--charset: expected base64url, hex, alnum or printable, "
			                 "not '%s'",
			                 optarg);
		a->o.charset = cs;
		a->charset = optarg;
		return 0;
	case OPT_PRINT: a->print = true; return 0;
	case OPT_EXPIRES: return cli_parse_when(cli, "--expires", optarg, &a->o.expires);
	case OPT_FROM_FILE: a->file = optarg; return 0;
	case 'h': cli_command_usage(cli_command_find("rotate"), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

static int
rotate_parse(struct cli *cli, int argc, char **argv, struct rotate_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"generate", required_argument, NULL, OPT_GENERATE},
	        {"charset", required_argument, NULL, OPT_CHARSET},
	        {"print", no_argument, NULL, OPT_PRINT},
	        {"expires", required_argument, NULL, OPT_EXPIRES},
	        {"from-file", required_argument, NULL, OPT_FROM_FILE},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		r = rotate_option(cli, c, a, argv);
		if (r != 0)
			return r;
	}
	if (a->o.generate == 0 && a->charset != NULL)
		return cli_usage_error(cli, "--charset needs --generate");
	if (a->o.generate == 0 && a->print)
		return cli_usage_error(cli, "--print needs --generate");
	if (a->o.generate > 0 && a->file != NULL)
		return cli_usage_error(cli, "--generate and --from-file exclude each other");
	return cli_one_ref(cli, argc, argv, &a->ref);
}

static int
rotate_report(struct cli *cli, const struct rotate_args *a, uid_t owner, const char *name,
              uint32_t version, const struct cred_value *gen)
{
	int r;

	cli_warn_expiry(cli, a->ref, a->o.expires);
	if (cli->json)
		return cli_json_print(cli, json_version(name, owner, version, gen));
	fprintf(stderr, "%s: version %u\n", a->ref, version);
	if (gen == NULL)
		return 0;
	/* Straight to the descriptor: no stdio buffer keeps a copy. */
	fflush(stdout);
	r = cli_write_all(STDOUT_FILENO, gen->data, gen->len);
	if (r == 0)
		r = cli_write_all(STDOUT_FILENO, "\n", 1);
	if (r < 0)
		return cli_error(cli, CRED_E_FAILED, NULL, "writing the value failed");
	return 0;
}

/*
 * ROTATE with the value read, V (N bytes), in one request: a whole field
 * set (as cred get prints a typed secret's value) replaces the value; any
 * other bytes go with the PRIMARY flag, so that a typed secret takes them
 * as its primary field and keeps its other fields, and a generic secret
 * as its value.
 */
static int
rotate_send(struct cli *cli, const struct rotate_args *a, const uint8_t *v, size_t n,
            uint32_t *ret_version)
{
	struct cred_fields *f = NULL;
	int r;

	if (cred_fields_decode(v, n, &f) == 0) {
		cred_fields_free(f);
		r = cred_rotate(cli->conn, a->ref, v, n, &a->o, ret_version, NULL);
	} else {
		r = cred_rotate_primary(cli->conn, a->ref, v, n, &a->o, ret_version);
	}
	return r < 0 ? cli_lib_error(cli, r, a->ref) : 0;
}

int
cmd_rotate(struct cli *cli, int argc, char **argv)
{
	struct rotate_args a = {0};
	struct cred_value *gen = NULL;
	const char *name;
	uint8_t *value = NULL;
	size_t len = 0;
	uint32_t version = 0;
	uid_t owner;
	int r;

	r = rotate_parse(cli, argc, argv, &a);
	if (r == 0)
		r = cli_parse_ref(cli, a.ref, &owner, &name);
	if (r == 0)
		r = cli_connect(cli);
	if (r == 0 && a.o.generate == 0)
		r = cli_read_value(cli, a.file, a.ref, &value, &len);
	if (r != 0)
		return r < 0 ? 0 : r;
	if (a.o.generate == 0) {
		r = rotate_send(cli, &a, value, len, &version);
		zero_free(value, len);
		if (r != 0)
			return r;
	} else if ((r = cred_rotate(cli->conn, a.ref, NULL, 0, &a.o, &version,
	                            a.print ? &gen : NULL)) < 0) {
		/* The agent generates the value (a typed secret's primary). */
		return cli_lib_error(cli, r, a.ref);
	}
	r = rotate_report(cli, &a, owner, name, version, gen);
	cred_value_free(gen);
	return r;
}

/* ---- rollback ---- */

int
cmd_rollback(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"to", required_argument, NULL, OPT_TO},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *ref, *name;
	uint32_t to = 0, version = 0;
	uid_t owner;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_TO) {
			if ((r = cli_parse_u32(cli, "--to", optarg, 1, &to)) != 0)
				return r;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("rollback"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if ((r = cli_one_ref(cli, argc, argv, &ref)) != 0)
		return r;
	if (to == 0)
		return cli_usage_error(cli, "missing --to N");
	if ((r = cli_parse_ref(cli, ref, &owner, &name)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_rollback(cli->conn, ref, to, &version);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, ref, "%s", cred_message(cli->conn));
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:I, s:I}", "name", name, "owner",
		                                     (json_int_t)owner, "version",
		                                     (json_int_t)version, "from", (json_int_t)to));
	fprintf(stderr, "%s: version %u (the value of version %u)\n", ref, version, to);
	return 0;
}

/* ---- undelete, disable, enable, purge: a reference and nothing else ---- */

/* Parses [--json] REF [--version N] (VERSION NULL: no --version), checks
 * REF and connects. */
static int
ref_command(struct cli *cli, int argc, char **argv, const char **ret_ref, uid_t *ret_owner,
            const char **ret_name, uint32_t *version)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"version", required_argument, NULL, OPT_VERSION},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_VERSION && version != NULL) {
			if ((r = cli_parse_u32(cli, "--version", optarg, 1, version)) != 0)
				return r;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find(cli->cmd), false);
			return -1;
		} else if (c == OPT_VERSION) {
			return cli_usage_error(cli, "unknown option --version");
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if ((r = cli_one_ref(cli, argc, argv, ret_ref)) != 0 ||
	    (r = cli_parse_ref(cli, *ret_ref, ret_owner, ret_name)) != 0)
		return r;
	return cli_connect(cli);
}

/* undelete, disable or enable with FN; STATE is the secret's state after
 * it, SAID what the person reads ("REF: SAID"). */
static int
state_command(struct cli *cli, int argc, char **argv, int (*fn)(cred_conn *, const char *),
              int state, const char *said)
{
	const char *ref, *name;
	uid_t owner;
	int r;

	r = ref_command(cli, argc, argv, &ref, &owner, &name, NULL);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = fn(cli->conn, ref);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, ref, "%s", cred_message(cli->conn));
	if (cli->json)
		return cli_json_print(cli, json_pack("{s:s, s:I, s:s}", "name", name, "owner",
		                                     (json_int_t)owner, "state",
		                                     cli_state_name(state)));
	fprintf(stderr, "%s: %s\n", ref, said);
	return 0;
}

int
cmd_undelete(struct cli *cli, int argc, char **argv)
{
	return state_command(cli, argc, argv, cred_undelete, CRED_STATE_ACTIVE, "restored");
}

int
cmd_disable(struct cli *cli, int argc, char **argv)
{
	return state_command(cli, argc, argv, cred_disable, CRED_STATE_DISABLED, "disabled");
}

int
cmd_enable(struct cli *cli, int argc, char **argv)
{
	return state_command(cli, argc, argv, cred_enable, CRED_STATE_ACTIVE, "enabled");
}

int
cmd_purge(struct cli *cli, int argc, char **argv)
{
	const char *ref, *name;
	uint32_t version = 0;
	uid_t owner;
	json_t *j;
	int r;

	r = ref_command(cli, argc, argv, &ref, &owner, &name, &version);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = cred_purge(cli->conn, ref, version);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, ref, "%s", cred_message(cli->conn));
	if (cli->json) {
		j = json_pack("{s:s, s:I, s:o}", "name", name, "owner", (json_int_t)owner,
		              "version", version > 0 ? json_integer(version) : json_null());
		return cli_json_print(cli, j);
	}
	if (version > 0)
		fprintf(stderr, "%s: version %u purged\n", ref, version);
	else
		fprintf(stderr, "%s: purged\n", ref);
	return 0;
}

/* ---- label ---- */

/* A label key for --rm: 1-63 of A-Z a-z 0-9 _ . - */
static bool
label_key_valid(const char *k)
{
	char buf[PROTO_LABEL_KEY_MAX + 2];
	size_t n = strlen(k);

	if (n == 0 || n > PROTO_LABEL_KEY_MAX || strchr(k, '=') != NULL)
		return false;
	memcpy(buf, k, n);
	buf[n] = '=';
	return proto_label_valid(buf, n + 1);
}

static json_t *
json_label(const char *name, uid_t owner, char *const *set, char *const *rm)
{
	json_t *j, *a;
	size_t i;

	a = json_array();
	for (i = 0; a != NULL && rm[i] != NULL; i++) {
		if (json_array_append_new(a, json_string(rm[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	if (a == NULL)
		return NULL;
	j = json_pack("{s:s, s:I, s:o, s:o}", "name", name, "owner", (json_int_t)owner, "set",
	              cli_json_labels(set), "removed", a);
	return j;
}

struct label_args {
	const char *ref;
	char **set; /* NULL-terminated, pointing into argv */
	char **rm;
	size_t n_set, n_rm;
};

static int
label_parse(struct cli *cli, int argc, char **argv, struct label_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"rm", required_argument, NULL, OPT_RM},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r, i;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == OPT_RM) {
			if (!label_key_valid(optarg))
				return cli_error(cli, CRED_E_USAGE, NULL,
				                 "--rm: expected a label key (1-%u of A-Z a-z 0-9 "
				                 "_ . -), not '%s'",
				                 PROTO_LABEL_KEY_MAX, optarg);
			a->rm[a->n_rm++] = optarg;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("label"), false);
			return -1;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli, "missing REF");
	a->ref = argv[optind];
	for (i = optind + 1; i < argc; i++) {
		if ((r = cli_check_label(cli, NULL, argv[i])) != 0)
			return r;
		a->set[a->n_set++] = argv[i];
	}
	if (a->n_set == 0 && a->n_rm == 0)
		return cli_usage_error(cli, "nothing to do: give KEY=VALUE or --rm KEY");
	if (a->n_set > PROTO_LABELS_MAX || a->n_rm > PROTO_LABELS_MAX)
		return cli_error(cli, CRED_E_USAGE, NULL, "at most %u labels at a time",
		                 PROTO_LABELS_MAX);
	return 0;
}

int
cmd_label(struct cli *cli, int argc, char **argv)
{
	struct label_args a = {0};
	const char *name;
	uid_t owner;
	int r;

	a.set = calloc((size_t)argc + 1, sizeof(*a.set));
	a.rm = calloc((size_t)argc + 1, sizeof(*a.rm));
	if (a.set == NULL || a.rm == NULL) {
		r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		goto out;
	}
	r = label_parse(cli, argc, argv, &a);
	if (r == 0)
		r = cli_parse_ref(cli, a.ref, &owner, &name);
	if (r == 0)
		r = cli_connect(cli);
	if (r != 0)
		goto out;
	r = cred_label(cli->conn, a.ref, (const char *const *)a.set, (const char *const *)a.rm);
	if (r < 0) {
		r = cli_lib_error(cli, r, a.ref);
		goto out;
	}
	if (*cred_message(cli->conn) != '\0')
		cli_warn(cli, a.ref, "%s", cred_message(cli->conn));
	if (cli->json)
		r = cli_json_print(cli, json_label(name, owner, a.set, a.rm));
	else
		fprintf(stderr, "%s: labels updated\n", a.ref);
out:
	free(a.set);
	free(a.rm);
	return r < 0 ? 0 : r;
}
