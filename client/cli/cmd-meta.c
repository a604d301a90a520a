/* SPDX-License-Identifier: MIT */
/* cred info, ls: metadata, never values. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/proto.h"
#include "client/cli/cli.h"

enum { OPT_JSON = 0x100, OPT_DELETED, OPT_ALL_USERS, OPT_LABEL, OPT_EXPIRING, OPT_UNVERIFIED };

/* {"status", "time"} and, with WITH_MESSAGE, "message": every member
 * null for a secret never verified. */
static json_t *
json_verify(const struct cred_info *i, bool with_message)
{
	const char *st = cred_verify_status_name(i->verify_status);
	json_t *j, *m = NULL;

	j = json_pack("{s:o, s:o}", "status", st != NULL ? json_string(st) : json_null(), "time",
	              st != NULL ? cli_json_time(i->verify_time) : json_null());
	/* The message is the client's text: null if it is not UTF-8. */
	if (with_message && i->verify_message != NULL)
		m = json_string(i->verify_message);
	if (j != NULL && with_message &&
	    json_object_set_new(j, "message", m != NULL ? m : json_null()) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* "fields": a typed secret's fields (secret ones null, defaults filled
 * in), or null for a generic one. */
static json_t *
json_info_fields(const struct cred_info *i)
{
	json_t *o, *b64;

	if (i->fields == NULL)
		return json_null();
	o = cli_json_fields(i->type, i->fields, &b64);
	/* Non-secret fields are text; bytes that are not would need base64,
	 * which info does not carry. */
	json_decref(b64);
	return o;
}

static json_t *
json_versions(const struct cred_info *i)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; a != NULL && k < i->n_versions; k++) {
		if (json_array_append_new(
		            a, json_pack("{s:I, s:o, s:I}", "version",
		                         (json_int_t)i->versions[k].version, "created",
		                         cli_json_time(i->versions[k].created), "created_by",
		                         (json_int_t)i->versions[k].created_by)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
json_grants(const struct cred_info *i)
{
	const struct cred_grant *g;
	json_t *a = json_array();
	char gname[256];
	const char *perm;
	size_t k;

	for (k = 0; a != NULL && k < i->n_grants; k++) {
		g = &i->grants[k];
		perm = cred_perm_name(g->perm);
		if (json_array_append_new(
		            a,
		            json_pack("{s:o, s:o, s:o, s:o, s:s, s:b, s:o, s:I}", "uid",
		                      g->is_gid ? json_null() : json_integer(g->grantee), "gid",
		                      g->is_gid ? json_integer(g->grantee) : json_null(), "grantee",
		                      cli_grantee_name(g->is_gid, g->grantee, gname, sizeof(gname))
		                              ? json_string(gname)
		                              : json_null(),
		                      "perm",
		                      perm != NULL ? json_string(perm) : json_integer(g->perm),
		                      "name", g->name, "prefix", g->prefix, "created",
		                      cli_json_time(g->created), "created_by",
		                      (json_int_t)g->created_by)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* DESIGN.md section 9's info shape; usage's members are null when the
 * agent sent no counters, verify's when it was never verified. */
static json_t *
json_info(const struct cred_info *i)
{
	return json_pack("{s:s, s:I, s:s, s:I, s:o, s:s, s:o, s:o, s:o, s:o,"
	                 " s:o, s:o, s:o, s:o,"
	                 " s:I, s:o, s:b, s:o}",
	                 "name", i->name, "owner", (json_int_t)i->owner, "type", i->type, "version",
	                 (json_int_t)i->version, "versions", json_versions(i), "state",
	                 cli_state_name(i->state), "labels", cli_json_labels(i->labels), "created",
	                 cli_json_time(i->created), "updated", cli_json_time(i->updated), "expires",
	                 cli_json_time(i->expires), "usage",
	                 cli_json_usage(i->has_usage ? &i->usage : NULL), "quota",
	                 cli_json_quota(i->quota, i->quota_period), "verify", json_verify(i, true),
	                 "grants", json_grants(i), "max_versions", (json_int_t)i->max_versions,
	                 "deleted", cli_json_time(i->deleted), "shared", i->shared, "fields",
	                 json_info_fields(i));
}

static void
print_time_line(const char *label, int64_t t, const char *none)
{
	char buf[CLI_TIME_LEN];

	if (t == 0) {
		printf("%-13s %s\n", label, none);
		return;
	}
	cli_time_format(t, buf, sizeof(buf));
	printf("%-13s %s\n", label, buf);
}

/* "grants:" lines (the owner's INFO has them), and "access:" for a
 * secret seen through a grant. */
static void
print_grants(const struct cred_info *i)
{
	char words[CLI_GRANTEE_LEN];
	const struct cred_grant *g;
	const char *perm;
	size_t k;

	if (i->shared)
		printf("%-13s %s\n", "access:", "through a grant");
	/* Only the owner is told the grants; none, no line. */
	for (k = 0; k < i->n_grants; k++) {
		g = &i->grants[k];
		cli_grantee_words(g->is_gid, g->grantee, words, sizeof(words));
		perm = cred_perm_name(g->perm);
		printf("%-13s %s ", k == 0 ? "grants:" : "", words);
		if (perm != NULL)
			printf("%s", perm);
		else
			printf("perm %d", g->perm);
		if (g->prefix)
			printf(" prefix %s/", g->name);
		putchar('\n');
	}
}

/* "quota:", "reads:" and "last read:" lines (the counters when the
 * agent sent them). */
static void
print_usage(const struct cred_info *i)
{
	char q[CLI_QUOTA_LEN], t[CLI_TIME_LEN], who[CLI_READER_LEN];

	cli_quota_format(i->quota, i->quota_period, q, sizeof(q));
	printf("%-13s %s\n", "quota:", i->quota > 0 ? q : "none");
	if (!i->has_usage)
		return;
	printf("%-13s %llu (%llu this period)\n", "reads:", (unsigned long long)i->usage.reads,
	       (unsigned long long)i->usage.period_reads);
	if (!i->usage.has_last_read) {
		printf("%-13s %s\n", "last read:", "never");
		return;
	}
	cli_time_format(i->usage.last_read, t, sizeof(t));
	cli_reader_words(i->usage.reader_uid, i->usage.reader_pid, i->usage.reader_comm, who,
	                 sizeof(who));
	printf("%-13s %s by %s\n", "last read:", t, who);
}

/* "fields:" lines of a typed secret: KEY=VALUE, secret ones masked,
 * defaults marked. */
static void
print_fields(const struct cred_info *i)
{
	struct cred_type_field tf;
	const struct cred_field *fl;
	const uint8_t *p;
	size_t k, n, line = 0;

	if (i->fields == NULL)
		return;
	for (k = 0; k < i->fields->n; k++, line++) {
		fl = &i->fields->items[k];
		printf("%-13s %s=", line == 0 ? "fields:" : "", fl->key);
		if (fl->value == NULL)
			printf("********\n");
		else
			/* Non-secret fields are text; print at most a line of it. */
			printf("%.*s\n", (int)strcspn((const char *)fl->value, "\n"), fl->value);
	}
	for (k = 0; cred_type_field_at(i->type, k, &tf) == 1; k++) {
		if (tf.def == NULL || cred_fields_get(i->fields, tf.name, NULL, &p, &n) == 1)
			continue;
		printf("%-13s %s=%s (default)\n", line++ == 0 ? "fields:" : "", tf.name, tf.def);
	}
}

/* "verified: ok 2026-11-22T10:00:00Z (message)", or "never". */
static void
print_verified(const struct cred_info *i)
{
	const char *st = cred_verify_status_name(i->verify_status);
	char t[CLI_TIME_LEN];

	if (st == NULL) {
		printf("%-13s %s\n", "verified:", "never");
		return;
	}
	cli_time_format(i->verify_time, t, sizeof(t));
	printf("%-13s %s %s", "verified:", st, t);
	if (i->verify_message != NULL)
		printf(" (%s)", i->verify_message);
	putchar('\n');
}

static void
print_info(const struct cred_info *i)
{
	char user[256], t[CLI_TIME_LEN];
	size_t k;

	cli_user_name(i->owner, user, sizeof(user));
	printf("%-13s %s\n%-13s %s (%u)\n%-13s %s\n%-13s %u\n%-13s %s\n", "name:", i->name,
	       "owner:", user, (unsigned)i->owner, "type:", i->type, "version:", i->version,
	       "state:", cli_state_name(i->state));
	print_time_line("created:", i->created, "-");
	print_time_line("updated:", i->updated, "-");
	if (i->expires != 0 && i->expires <= (int64_t)time(NULL)) {
		cli_time_format(i->expires, t, sizeof(t));
		printf("%-13s %s (expired)\n", "expires:", t);
	} else {
		print_time_line("expires:", i->expires, "never");
	}
	if (i->deleted != 0)
		print_time_line("deleted:", i->deleted, "-");
	printf("%-13s %u\n", "max versions:", i->max_versions);
	printf("%-13s", "labels:");
	for (k = 0; i->labels != NULL && i->labels[k] != NULL; k++)
		printf(" %s", i->labels[k]);
	printf("%s\n", k == 0 ? " none" : "");
	print_fields(i);
	print_verified(i);
	print_usage(i);
	for (k = 0; k < i->n_versions; k++) {
		cli_time_format(i->versions[k].created, t, sizeof(t));
		cli_user_name(i->versions[k].created_by, user, sizeof(user));
		printf("%-13s %u  %s  by %s\n", k == 0 ? "versions:" : "", i->versions[k].version,
		       t, user);
	}
	print_grants(i);
}

int
cmd_info(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cred_info *info = NULL;
	const char *ref;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			cli->json = true;
		} else if (c == 'h') {
			cli_command_usage(cli_command_find("info"), false);
			return 0;
		} else {
			return cli_option_error(cli, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli, "missing REF");
	if (optind + 1 < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
	ref = argv[optind];
	if ((r = cli_parse_ref(cli, ref, NULL, NULL)) != 0 || (r = cli_connect(cli)) != 0)
		return r;
	r = cred_info(cli->conn, ref, &info);
	if (r < 0)
		return cli_lib_error(cli, r, ref);
	if (cli->json)
		r = cli_json_print(cli, json_info(info));
	else
		print_info(info);
	cred_info_free(info);
	return r;
}

static json_t *
json_list(const struct cred_list *l)
{
	const struct cred_info *i;
	json_t *a = json_array();
	size_t k;

	for (k = 0; a != NULL && k < l->n; k++) {
		i = l->items[k];
		if (json_array_append_new(
		            a, json_pack("{s:s, s:I, s:s, s:I, s:s, s:o, s:o, s:o, s:b, s:o, s:o}",
		                         "name", i->name, "owner", (json_int_t)i->owner, "type",
		                         i->type, "version", (json_int_t)i->version, "state",
		                         cli_state_name(i->state), "labels",
		                         cli_json_labels(i->labels), "updated",
		                         cli_json_time(i->updated), "expires",
		                         cli_json_time(i->expires), "shared", i->shared, "deleted",
		                         cli_json_time(i->deleted), "verify",
		                         json_verify(i, false))) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Extra columns of the ls table. */
enum { COL_EXPIRES = 1, COL_DELETED = 2, COL_ACCESS = 4, COL_VERIFIED = 8 };

/* The VERIFIED column: "ok", "failed" or "never". */
static const char *
verified_word(const struct cred_info *i)
{
	const char *st = cred_verify_status_name(i->verify_status);

	return st != NULL ? st : "never";
}

/* The ACCESS column: how the caller sees the secret. */
static const char *
access_word(const struct cred_info *i)
{
	if (i->shared)
		return "shared"; /* through a grant */
	if (i->owner == getuid())
		return "owner";
	return "admin"; /* metadata only, with --all-users */
}

/* The time columns of one ls line, the last one unpadded. */
static void
print_times(unsigned cols, const char *updated, const char *expires, const char *deleted)
{
	const char *v[3];
	size_t n = 0, i;

	v[n++] = updated;
	if (cols & COL_EXPIRES)
		v[n++] = expires;
	if (cols & COL_DELETED)
		v[n++] = deleted;
	for (i = 0; i + 1 < n; i++)
		printf("%-20s  ", v[i]);
	printf("%s\n", v[n - 1]);
}

/* A table with a header; nothing at all when no secret matches. COLS adds
 * an EXPIRES column (with --expiring) and a DELETED one (with --deleted);
 * an ACCESS column comes when any secret listed is not the caller's own. */
static int
print_list(struct cli *cli, const struct cred_list *l, unsigned cols)
{
	char **names, t[CLI_TIME_LEN], e[CLI_TIME_LEN], d[CLI_TIME_LEN];
	size_t k, w = 4, tw = 4, n;
	int r = 0;

	if (l->n == 0)
		return 0;
	names = calloc(l->n, sizeof(*names));
	if (names == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	for (k = 0; k < l->n; k++) {
		names[k] = cli_display_name(l->items[k]->owner, l->items[k]->name);
		if (names[k] == NULL) {
			r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
			goto out;
		}
		if ((n = strlen(names[k])) > w)
			w = n;
		if ((n = strlen(l->items[k]->type)) > tw)
			tw = n;
		if (l->items[k]->shared || l->items[k]->owner != getuid())
			cols |= COL_ACCESS;
	}
	printf("%-*s  %-*s  %7s  %-8s  ", (int)w, "NAME", (int)tw, "TYPE", "VERSION", "STATE");
	if (cols & COL_ACCESS)
		printf("%-6s  ", "ACCESS");
	if (cols & COL_VERIFIED)
		printf("%-8s  ", "VERIFIED");
	print_times(cols, "UPDATED", "EXPIRES", "DELETED");
	for (k = 0; k < l->n; k++) {
		printf("%-*s  %-*s  %7u  %-8s  ", (int)w, names[k], (int)tw, l->items[k]->type,
		       l->items[k]->version, cli_state_name(l->items[k]->state));
		if (cols & COL_ACCESS)
			printf("%-6s  ", access_word(l->items[k]));
		if (cols & COL_VERIFIED)
			printf("%-8s  ", verified_word(l->items[k]));
		cli_time_format(l->items[k]->updated, t, sizeof(t));
		if (l->items[k]->expires != 0)
			cli_time_format(l->items[k]->expires, e, sizeof(e));
		if (l->items[k]->deleted != 0)
			cli_time_format(l->items[k]->deleted, d, sizeof(d));
		print_times(cols, t, l->items[k]->expires != 0 ? e : "never",
		            l->items[k]->deleted != 0 ? d : "-");
	}
out:
	for (k = 0; k < l->n; k++)
		free(names[k]);
	free(names);
	return r;
}

struct ls_args {
	unsigned flags;
	unsigned cols;
	const char **labels; /* NULL-terminated, pointing into argv */
	size_t n_labels;
	struct cred_list_filter filter;
};

static int
ls_option(struct cli *cli, int c, struct ls_args *a, char **argv)
{
	switch (c) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_DELETED:
		a->flags |= CRED_LIST_DELETED;
		a->cols |= COL_DELETED;
		return 0;
	case OPT_ALL_USERS: a->flags |= CRED_LIST_ALL_USERS; return 0;
	case OPT_UNVERIFIED:
		a->flags |= CRED_LIST_UNVERIFIED;
		a->cols |= COL_VERIFIED;
		return 0;
	case OPT_LABEL:
		a->labels[a->n_labels++] = optarg;
		return cli_check_label(cli, "--label", optarg);
	case OPT_EXPIRING:
		a->cols |= COL_EXPIRES;
		return cli_parse_when(cli, "--expiring", optarg, &a->filter.expiring);
	case 'h': cli_command_usage(cli_command_find("ls"), false); return -1;
	default: return cli_option_error(cli, c, argv);
	}
}

int
cmd_ls(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, OPT_JSON},
	        {"deleted", no_argument, NULL, OPT_DELETED},
	        {"all-users", no_argument, NULL, OPT_ALL_USERS},
	        {"unverified", no_argument, NULL, OPT_UNVERIFIED},
	        {"label", required_argument, NULL, OPT_LABEL},
	        {"expiring", required_argument, NULL, OPT_EXPIRING},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *prefix = "", *target = NULL;
	struct ls_args a = {0};
	char *owner = NULL;
	struct cred_list *l = NULL;
	int c, r = 0;

	a.labels = calloc((size_t)argc + 1, sizeof(*a.labels));
	if (a.labels == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	a.filter.labels = a.labels;
	while (r == 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		r = ls_option(cli, c, &a, argv);
	if (r != 0)
		goto out;
	if (a.n_labels > PROTO_LABELS_MAX) {
		r = cli_error(cli, CRED_E_USAGE, NULL, "--label: at most %u labels",
		              PROTO_LABELS_MAX);
		goto out;
	}
	if (optind + 1 < argc) {
		r = cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (optind < argc) {
		target = argv[optind];
		if ((r = cli_parse_target(cli, target, &owner, &prefix)) != 0)
			goto out;
	}
	if ((r = cli_connect(cli)) != 0)
		goto out;
	r = cred_list_ex(cli->conn, owner, prefix, a.flags, &a.filter, &l);
	if (r < 0) {
		r = cli_lib_error(cli, r, target);
		goto out;
	}
	if (cli->json)
		r = cli_json_print(cli, json_list(l));
	else
		r = print_list(cli, l, a.cols);
out:
	cred_list_free(l);
	free(owner);
	free(a.labels);
	return r < 0 ? 0 : r;
}
