/* SPDX-License-Identifier: MIT */
/* cred audit [filters] [--summary], cred audit verify: the audit trail. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "client/cli/cli.h"

enum {
	OPT_JSON = 0x100,
	OPT_NAME,
	OPT_UID,
	OPT_OP,
	OPT_STATUS,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_LIMIT,
	OPT_SUMMARY,
};

/* "OWNER:NAME@VERSION" (or without @VERSION) and a NUL. */
#define TARGET_LEN (256u + 1u + 255u + 12u)

struct audit_args {
	struct cred_audit_query q;
	bool summary;
};

/* A record's status as the agent names it ("OK", "DENIED", ...). */
static const char *
status_word(int status)
{
	return proto_status_name((uint16_t)(status > UINT16_MAX ? UINT16_MAX : status));
}

/* --name REF, or OWNER: alone for any of OWNER's secrets. */
static int
check_name(struct cli *cli, const char *ref)
{
	size_t len = strlen(ref);

	if (len > 1 && ref[len - 1] == ':' && strchr(ref, ':') == ref + len - 1) {
		if (cred_owner_parse(ref, NULL) < 0)
			return cli_error(cli, CRED_E_USAGE, NULL, "--name: no such user '%.*s'",
			                 (int)(len - 1), ref);
		return 0;
	}
	return cli_parse_ref(cli, ref, NULL, NULL);
}

static int
audit_option(struct cli *cli, int c, struct audit_args *a, char **argv)
{
	uint32_t n;
	int v, r;

	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_NAME: a->q.ref = optarg; return check_name(cli, optarg);
	case OPT_UID:
		if (cred_owner_parse(optarg, &a->q.uid) < 0 || strchr(optarg, ':') != NULL)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--uid: expected a uid or a user name, not '%s'", optarg);
		a->q.has_uid = 1;
		return 0;
	case OPT_OP:
		if (proto_op_parse(optarg) < 0)
			return cli_error(
			        cli, CRED_E_USAGE, NULL,
			        "--op: unknown operation '%s' (a command's name: get, put, "
			        "ls, rm, ...; or connect)",
			        optarg);
		a->q.op = optarg;
		return 0;
	case OPT_STATUS:
		v = proto_status_parse(optarg);
		if (v < 0)
			return cli_error(cli, CRED_E_USAGE, NULL,
			                 "--status: unknown status '%s' (OK, NOT_FOUND, DENIED, "
			                 "LOCKED, ...)",
			                 optarg);
		a->q.has_status = 1;
		a->q.status = v;
		return 0;
	case OPT_SINCE: return cli_parse_ago(cli, "--since", optarg, &a->q.since);
	case OPT_UNTIL: return cli_parse_ago(cli, "--until", optarg, &a->q.until);
	case OPT_LIMIT:
		if ((r = cli_parse_u32(cli, "--limit", optarg, 1, &n)) != 0)
			return r;
		a->q.limit = n;
		return 0;
	case OPT_SUMMARY: a->summary = true; return 0;
	case 'h': cli_command_usage(cli_command_find("audit"), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

static int
audit_parse(struct cli *cli, int argc, char **argv, struct audit_args *a)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"name", required_argument, NULL, OPT_NAME},
	        {"uid", required_argument, NULL, OPT_UID},
	        {"op", required_argument, NULL, OPT_OP},
	        {"status", required_argument, NULL, OPT_STATUS},
	        {"since", required_argument, NULL, OPT_SINCE},
	        {"until", required_argument, NULL, OPT_UNTIL},
	        {"limit", required_argument, NULL, OPT_LIMIT},
	        {"summary", no_argument, NULL, OPT_SUMMARY},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		r = audit_option(cli, c, a, argv);
		if (r != 0)
			return r;
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (a->q.since > 0 && a->q.until > 0 && a->q.until <= a->q.since)
		return cli_error(cli, CRED_E_USAGE, NULL, "--until must be later than --since");
	if (a->summary && a->q.limit > 0)
		return cli_usage_error(cli, "--limit does not go with --summary");
	return 0;
}

/* "OWNER:NAME@VERSION" into BUF, the owner's user name when it has one. */
static void
target_words(const struct cred_audit_record *r, char *buf, size_t size)
{
	char user[256];

	cli_user_name(r->owner, user, sizeof(user));
	if (r->version > 0)
		snprintf(buf, size, "%s:%s@%u", user, r->name, r->version);
	else
		snprintf(buf, size, "%s:%s", user, r->name);
}

static json_t *
json_record(const struct cred_audit_record *r)
{
	char target[TARGET_LEN];

	/* JSON names the owner by uid: stable whatever the user database says. */
	if (r->has_target && r->version > 0)
		snprintf(target, sizeof(target), "%u:%s@%u", (unsigned)r->owner, r->name,
			 r->version);
	else if (r->has_target)
		snprintf(target, sizeof(target), "%u:%s", (unsigned)r->owner, r->name);
	return json_pack(
	        "{s:I, s:o, s:I, s:I, s:I, s:s, s:s, s:o, s:s, s:b, s:I, s:o, s:o, s:o}", "seq",
	        (json_int_t)r->seq, "time", cli_json_time(r->time), "uid", (json_int_t)r->uid,
	        "gid", (json_int_t)r->gid, "pid", (json_int_t)r->pid, "comm", r->comm, "op", r->op,
	        "target", r->has_target ? json_string(target) : json_null(), "status",
	        status_word(r->status), "security", r->security != 0, "count", (json_int_t)r->count,
	        "owner", r->has_target ? json_integer(r->owner) : json_null(), "name",
	        r->has_target ? json_string(r->name) : json_null(), "version",
	        r->version > 0 ? json_integer(r->version) : json_null());
}

static int
print_records(struct cli *cli, const struct cred_audit_list *l)
{
	char t[CLI_TIME_LEN], who[CLI_READER_LEN], target[TARGET_LEN];
	const struct cred_audit_record *r;
	json_t *a;
	size_t i;

	if (cli->json) {
		a = json_array();
		for (i = 0; a != NULL && i < l->n; i++) {
			if (json_array_append_new(a, json_record(&l->items[i])) < 0) {
				json_decref(a);
				a = NULL;
			}
		}
		return cli_json_print(cli, a);
	}
	for (i = 0; i < l->n; i++) {
		r = &l->items[i];
		cli_time_format(r->time, t, sizeof(t));
		cli_reader_words(r->uid, r->pid, r->comm, who, sizeof(who));
		if (r->has_target)
			target_words(r, target, sizeof(target));
		printf("%llu %s %s %s %s %s", (unsigned long long)r->seq, t, who, r->op,
		       r->has_target ? target : "-", status_word(r->status));
		if (r->count > 1)
			printf(" x%u", r->count);
		printf("%s\n", r->security ? " SECURITY" : "");
	}
	return 0;
}

static int
summary_cmp(const void *x, const void *y)
{
	const struct cred_audit_summary *a = x, *b = y;
	int c = strcmp(a->op, b->op);

	if (c != 0)
		return c;
	return (a->status > b->status) - (a->status < b->status);
}

static int
print_summary(struct cli *cli, struct cred_audit_summary_list *l)
{
	const struct cred_audit_summary *s;
	json_t *a;
	size_t i;

	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), summary_cmp);
	if (!cli->json) {
		for (i = 0; i < l->n; i++)
			printf("%s %s %llu\n", l->items[i].op, status_word(l->items[i].status),
			       (unsigned long long)l->items[i].count);
		return 0;
	}
	a = json_array();
	for (i = 0; a != NULL && i < l->n; i++) {
		s = &l->items[i];
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "op", s->op, "status",
		                                       status_word(s->status), "count",
		                                       (json_int_t)s->count)) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return cli_json_print(cli, a);
}

/* ---- audit verify ---- */

static int
audit_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cred_audit_verify_result v;
	char head[2 * CRED_AUDIT_HEAD_LEN + 1] = "-";
	const char *why;
	size_t i;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("audit"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if ((r = cli_connect(cli)) != 0)
		return r;
	r = cred_audit_verify(cli->conn, &v);
	if (r < 0)
		return cli_lib_error(cli, r, NULL);
	for (i = 0; v.has_head && i < CRED_AUDIT_HEAD_LEN; i++)
		snprintf(head + 2 * i, 3, "%02x", v.head[i]);
	why = v.message[0] != '\0' ? v.message : "the chain does not verify";
	if (cli->json) {
		r = cli_json_print(
		        cli,
		        json_pack("{s:b, s:I, s:I, s:o, s:o, s:o}", "ok", !v.broken, "checked",
		                  (json_int_t)v.checked, "first_seq", (json_int_t)v.first_seq,
		                  "broken_seq",
		                  v.broken ? json_integer((json_int_t)v.broken_seq) : json_null(),
		                  "head", v.has_head ? json_string(head) : json_null(), "message",
		                  v.message[0] != '\0' ? json_string(v.message) : json_null()));
		if (r != 0 || !v.broken)
			return r;
	} else if (!v.broken) {
		printf("audit trail intact: %llu records from seq %llu; head %s\n",
		       (unsigned long long)v.checked, (unsigned long long)v.first_seq, head);
		return 0;
	}
	return cli_error(cli, CRED_E_FAILED, NULL, "broken at record %llu: %s",
	                 (unsigned long long)v.broken_seq, why);
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	struct cred_audit_summary_list *sl = NULL;
	struct cred_audit_list *l = NULL;
	struct audit_args a = {0};
	int i, r;

	/* "audit verify", or "audit --json verify": the subcommand. */
	for (i = 1; i < argc && strcmp(argv[i], "--json") == 0; i++)
		cli->json = true;
	if (i < argc && strcmp(argv[i], "verify") == 0) {
		cli->cmd = "audit verify";
		return audit_verify(cli, argc - i, argv + i);
	}
	if ((r = audit_parse(cli, argc, argv, &a)) != 0 || (r = cli_connect(cli)) != 0)
		return r < 0 ? 0 : r;
	if (a.summary) {
		r = cred_audit_summary(cli->conn, &a.q, &sl);
		if (r < 0)
			return cli_lib_error(cli, r, a.q.ref);
		r = print_summary(cli, sl);
		cred_audit_summary_list_free(sl);
		return r;
	}
	r = cred_audit(cli->conn, &a.q, &l);
	if (r < 0)
		return cli_lib_error(cli, r, a.q.ref);
	r = print_records(cli, l);
	cred_audit_list_free(l);
	return r;
}
