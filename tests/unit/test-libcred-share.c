/* SPDX-License-Identifier: MIT */
/*
 * libcred's access control calls against the in-process fake agent of
 * libcred-fake.h: SHARE and UNSHARE frames carry the grantee (uid or gid),
 * the permission and the prefix flag as asked; INFO's GRANT groups and
 * SHARED decode into struct cred_info, LIST entries' SHARED too; every
 * request names the owner a reference gives; grantees parse from names
 * and numbers.
 */

#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"
#include "tests/unit/libcred-fake.h"
#include "tests/unit/libcred-fixture.h"

/* ---- names and numbers ---- */

static void
test_perm_names(void **state)
{
	(void)state;
	assert_string_equal(cred_perm_name(CRED_PERM_READ), "read");
	assert_string_equal(cred_perm_name(CRED_PERM_WRITE), "write");
	assert_null(cred_perm_name(0));
	assert_null(cred_perm_name(3));
	assert_null(cred_perm_name(-1));
	assert_int_equal(cred_perm_parse("read"), CRED_PERM_READ);
	assert_int_equal(cred_perm_parse("write"), CRED_PERM_WRITE);
	assert_int_equal(cred_perm_parse("READ"), -CRED_E_USAGE);
	assert_int_equal(cred_perm_parse("owner"), -CRED_E_USAGE);
	assert_int_equal(cred_perm_parse(""), -CRED_E_USAGE);
	assert_int_equal(cred_perm_parse(NULL), -CRED_E_USAGE);

	/* The public numbers are the wire's. */
	assert_int_equal(CRED_PERM_READ, PROTO_PERM_READ);
	assert_int_equal(CRED_PERM_WRITE, PROTO_PERM_WRITE);
	assert_int_equal(CRED_SHARE_PREFIX, PROTO_SHARE_PREFIX);
	/* A rate limit is exit 8, like a quota (DESIGN.md section 8). */
	assert_int_equal(cred_exit_code(-CRED_E_RATE_LIMITED), 8);
	assert_string_equal(cred_error_name(-CRED_E_RATE_LIMITED), "RATE_LIMITED");
}

static void
test_grantee_parse(void **state)
{
	struct cred_grantee g = {.is_gid = 7, .id = 7};
	struct group *gr;

	(void)state;
	/* Users: names and decimal uids. */
	assert_int_equal(cred_grantee_parse("root", 0, &g), 0);
	assert_int_equal(g.is_gid, 0);
	assert_int_equal(g.id, 0);
	assert_int_equal(cred_grantee_parse("1001", 0, &g), 0);
	assert_int_equal(g.is_gid, 0);
	assert_int_equal(g.id, 1001);
	assert_int_equal(cred_grantee_parse("4294967294", 0, &g), 0);
	assert_int_equal(g.id, 4294967294u);

	/* Groups: names and decimal gids. */
	gr = getgrgid(0);
	assert_non_null(gr);
	assert_int_equal(cred_grantee_parse(gr->gr_name, 1, &g), 0);
	assert_int_equal(g.is_gid, 1);
	assert_int_equal(g.id, 0);
	assert_int_equal(cred_grantee_parse("100", 1, &g), 0);
	assert_int_equal(g.is_gid, 1);
	assert_int_equal(g.id, 100);

	/* Unknown names, (id_t)-1, overflow, junk: USAGE, *ret untouched. */
	g = (struct cred_grantee){.is_gid = 0, .id = 42};
	assert_int_equal(cred_grantee_parse("no-such-user-credagent", 0, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("no-such-group-credagent", 1, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("4294967295", 0, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("4294967295", 1, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("99999999999", 0, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("", 0, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("-1", 0, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("root", 2, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse(NULL, 0, &g), -CRED_E_USAGE);
	assert_int_equal(cred_grantee_parse("root", 0, NULL), -CRED_E_USAGE);
	assert_int_equal(g.is_gid, 0);
	assert_int_equal(g.id, 42);
}

/* ---- share and unshare ---- */

static void
test_share_frames(void **state)
{
	const struct cred_grantee alice = {.is_gid = 0, .id = 1001};
	const struct cred_grantee users = {.is_gid = 1, .id = 100};
	struct fixture *fx = *state;
	const struct proto_share *s = &fx->fake.share;

	/* One secret, to a uid, read. */
	assert_int_equal(cred_share(fx->c, "app/token", &alice, CRED_PERM_READ, 0), 0);
	assert_int_equal(fx->fake.share_type, PROTO_MSG_SHARE);
	assert_string_equal(fx->fake.share_name, "app/token");
	assert_false(s->ref.has_owner);
	assert_false(s->is_gid);
	assert_int_equal(s->grantee, 1001);
	assert_int_equal(s->perm, PROTO_PERM_READ);
	assert_int_equal(s->flags, 0);
	assert_string_equal(cred_message(fx->c), "");

	/* A folder, to a gid, write; a trailing '/' is the same folder. */
	assert_int_equal(cred_share(fx->c, "app", &users, CRED_PERM_WRITE, CRED_SHARE_PREFIX), 0);
	assert_string_equal(fx->fake.share_name, "app");
	assert_true(s->is_gid);
	assert_int_equal(s->grantee, 100);
	assert_int_equal(s->perm, PROTO_PERM_WRITE);
	assert_int_equal(s->flags, PROTO_SHARE_PREFIX);
	assert_int_equal(cred_share(fx->c, "app/db/", &users, CRED_PERM_READ, CRED_SHARE_PREFIX),
	                 0);
	assert_string_equal(fx->fake.share_name, "app/db");
	assert_int_equal(s->flags, PROTO_SHARE_PREFIX);

	/* An owner named in the reference goes along (root may share
	 * another's secret only if the agent says so; libcred just asks). */
	assert_int_equal(cred_share(fx->c, "1000:app/token", &alice, CRED_PERM_READ, 0), 0);
	assert_true(s->ref.has_owner);
	assert_int_equal(s->ref.owner, 1000);
	assert_int_equal(cred_share(fx->c, "root:app/", &users, CRED_PERM_READ, CRED_SHARE_PREFIX),
	                 0);
	assert_true(s->ref.has_owner);
	assert_int_equal(s->ref.owner, 0);
	assert_string_equal(fx->fake.share_name, "app");

	/* Unshare: the same fields, no permission. */
	assert_int_equal(cred_unshare(fx->c, "app/token", &alice, 0), 0);
	assert_int_equal(fx->fake.share_type, PROTO_MSG_UNSHARE);
	assert_string_equal(fx->fake.share_name, "app/token");
	assert_false(s->is_gid);
	assert_int_equal(s->grantee, 1001);
	assert_int_equal(s->perm, 0);
	assert_int_equal(s->flags, 0);
	assert_int_equal(cred_unshare(fx->c, "1000:app/", &users, CRED_SHARE_PREFIX), 0);
	assert_string_equal(fx->fake.share_name, "app");
	assert_true(s->is_gid);
	assert_int_equal(s->grantee, 100);
	assert_int_equal(s->flags, PROTO_SHARE_PREFIX);
	assert_int_equal(s->ref.owner, 1000);
	assert_int_equal(fx->fake.requests, 7);
}

static void
test_share_refused(void **state)
{
	const struct cred_grantee alice = {.is_gid = 0, .id = 1001};
	struct fixture *fx = *state;
	char longref[600];

	/* Refused before anything is sent. */
	assert_int_equal(cred_share(fx->c, "app/token", &alice, 0, 0), -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app/token", &alice, 3, 0), -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app/token", &alice, -1, 0), -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app/token", &alice, CRED_PERM_READ, 2), -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app/token", NULL, CRED_PERM_READ, 0), -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app/token", &(struct cred_grantee){0, UINT32_MAX},
	                            CRED_PERM_READ, 0),
	                 -CRED_E_USAGE);
	assert_int_equal(
	        cred_share(fx->c, "app/token", &(struct cred_grantee){2, 5}, CRED_PERM_READ, 0),
	        -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app//x", &alice, CRED_PERM_READ, 0), -CRED_E_USAGE);
	/* A trailing '/' only names a folder with CRED_SHARE_PREFIX. */
	assert_int_equal(cred_share(fx->c, "app/", &alice, CRED_PERM_READ, 0), -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "/", &alice, CRED_PERM_READ, CRED_SHARE_PREFIX),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "app//", &alice, CRED_PERM_READ, CRED_SHARE_PREFIX),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_share(fx->c, "no-such-user-credagent:app", &alice, CRED_PERM_READ, 0),
	                 -CRED_E_USAGE);
	memset(longref, 'a', sizeof(longref));
	longref[sizeof(longref) - 2] = '/';
	longref[sizeof(longref) - 1] = '\0';
	assert_int_equal(cred_share(fx->c, longref, &alice, CRED_PERM_READ, CRED_SHARE_PREFIX),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_share(NULL, "app/token", &alice, CRED_PERM_READ, 0), -CRED_E_USAGE);
	assert_int_equal(cred_unshare(fx->c, "app/token", &alice, 4), -CRED_E_USAGE);
	assert_int_equal(cred_unshare(fx->c, "app/token", NULL, 0), -CRED_E_USAGE);
	assert_int_equal(cred_unshare(NULL, "app/token", &alice, 0), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 0);

	/* The agent's refusals and their exit codes. */
	assert_int_equal(cred_share(fx->c, "app/missing", &alice, CRED_PERM_READ, 0),
	                 -CRED_E_NOT_FOUND);
	assert_int_equal(cred_exit_code(-CRED_E_NOT_FOUND), 3);
	assert_int_equal(cred_share(fx->c, "1001:app/theirs", &alice, CRED_PERM_WRITE, 0),
	                 -CRED_E_DENIED);
	assert_string_equal(cred_message(fx->c), "only the owner may share");
	assert_int_equal(cred_exit_code(-CRED_E_DENIED), 4);
	assert_int_equal(cred_unshare(fx->c, "app/busy", &alice, 0), -CRED_E_RATE_LIMITED);
	assert_string_equal(cred_message(fx->c), "");
	/* The connection goes on. */
	assert_int_equal(cred_unshare(fx->c, "app/token", &alice, 0), 0);
}

/* ---- grants in INFO, SHARED in INFO and LIST ---- */

static void
test_info_grants(void **state)
{
	struct fixture *fx = *state;
	struct cred_info *i = NULL;
	const struct cred_grant *g;

	assert_int_equal(cred_info(fx->c, "app/granted", &i), 0);
	assert_false(fx->fake.ref_has_owner);
	assert_string_equal(i->name, "app/granted");
	assert_int_equal(i->shared, 0);
	assert_int_equal(i->n_grants, 3);
	assert_non_null(i->grants);
	g = &i->grants[0];
	assert_string_equal(g->name, "app/granted");
	assert_int_equal(g->prefix, 0);
	assert_int_equal(g->is_gid, 0);
	assert_int_equal(g->grantee, 1001);
	assert_int_equal(g->perm, CRED_PERM_READ);
	assert_int_equal(g->created, 1700000300);
	assert_int_equal(g->created_by, 1000);
	g = &i->grants[1];
	assert_string_equal(g->name, "app");
	assert_int_equal(g->prefix, 1);
	assert_int_equal(g->is_gid, 1);
	assert_int_equal(g->grantee, 100);
	assert_int_equal(g->perm, CRED_PERM_WRITE);
	assert_int_equal(g->created, 1700000400);
	g = &i->grants[2];
	assert_int_equal(g->is_gid, 1);
	assert_int_equal(g->grantee, 0);
	assert_int_equal(g->created_by, 0);
	/* The rest of the metadata is as before. */
	assert_int_equal(i->version, 2);
	assert_int_equal(i->n_versions, 0);
	assert_null(i->versions);
	assert_non_null(i->labels);
	assert_null(i->labels[0]);
	cred_info_free(i);
	i = NULL;

	/* Seen through a grant: SHARED, the owner's uid, no grants. */
	assert_int_equal(cred_info(fx->c, "1001:app/via-grant", &i), 0);
	assert_true(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.ref_owner, 1001);
	assert_int_equal(i->shared, 1);
	assert_int_equal(i->owner, 1001);
	assert_int_equal(i->n_grants, 0);
	assert_null(i->grants);
	cred_info_free(i);
	i = NULL;

	/* A secret with neither. */
	assert_int_equal(cred_info(fx->c, "app/token", &i), 0);
	assert_int_equal(i->shared, 0);
	assert_int_equal(i->n_grants, 0);
	assert_null(i->grants);
	assert_int_equal(i->n_versions, 2);
	cred_info_free(i);
}

static void
test_list_shared(void **state)
{
	struct fixture *fx = *state;
	struct cred_list *l = NULL;
	size_t k;

	assert_int_equal(cred_list(fx->c, NULL, "shared/", 0, &l), 0);
	assert_false(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.list_flags, 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->items[0]->name, "shared/mine");
	assert_int_equal(l->items[0]->shared, 0);
	assert_int_equal(l->items[0]->owner, 1000);
	assert_string_equal(l->items[1]->name, "shared/theirs");
	assert_int_equal(l->items[1]->shared, 1);
	assert_int_equal(l->items[1]->owner, 1001);
	assert_string_equal(l->items[2]->name, "shared/admin-view");
	assert_int_equal(l->items[2]->shared, 0);
	assert_int_equal(l->items[2]->owner, 1002);
	for (k = 0; k < l->n; k++) {
		/* LIST entries carry no grants, nor versions. */
		assert_int_equal(l->items[k]->n_grants, 0);
		assert_null(l->items[k]->grants);
		assert_null(l->items[k]->versions);
	}
	cred_list_free(l);
	l = NULL;

	/* Another owner's folder, and every user's (admins). */
	assert_int_equal(cred_list(fx->c, "1001", "shared/", 0, &l), 0);
	assert_true(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.ref_owner, 1001);
	cred_list_free(l);
	l = NULL;
	assert_int_equal(cred_list(fx->c, "root:", "shared/", CRED_LIST_ALL_USERS, &l), 0);
	assert_true(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.ref_owner, 0);
	assert_int_equal(fx->fake.list_flags, PROTO_LIST_ALL_USERS);
	cred_list_free(l);
	l = NULL;
	assert_int_equal(
	        cred_list(fx->c, NULL, "shared/", CRED_LIST_ALL_USERS | CRED_LIST_DELETED, &l), 0);
	assert_false(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.list_flags, PROTO_LIST_ALL_USERS | PROTO_LIST_DELETED);
	cred_list_free(l);
}

/* ---- OWNER:NAME goes on the wire in every kind of request ---- */

static void
test_owner_sent(void **state)
{
	struct fixture *fx = *state;
	struct cred_value *v = NULL;

	/* The fake has app/token only without an owner: NOT_FOUND, as an
	 * agent answers a secret the caller may not see. */
	assert_int_equal(cred_get(fx->c, "1001:app/token", 0, &v), -CRED_E_NOT_FOUND);
	assert_null(v);
	assert_true(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.ref_owner, 1001);
	assert_int_equal(cred_get(fx->c, "app/token", 0, &v), 0);
	assert_false(fx->fake.ref_has_owner);
	cred_value_free(v);

	assert_int_equal(cred_watch(fx->c, "root:app/token"), 0);
	assert_true(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.ref_owner, 0);
	assert_int_equal(cred_disable(fx->c, "1002:app/token"), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_DISABLE);
	assert_int_equal(fx->fake.ref_owner, 1002);
	assert_int_equal(cred_enable(fx->c, "1003:app/token"), 0);
	assert_int_equal(fx->fake.ref_owner, 1003);
	assert_int_equal(cred_undelete(fx->c, "1004:app/token"), 0);
	assert_int_equal(fx->fake.ref_owner, 1004);
	assert_int_equal(cred_enable(fx->c, "app/token"), 0);
	assert_false(fx->fake.ref_has_owner);
}

/* ---- a watch through a grant ends when the grant goes ---- */

static void
test_watch_revoked(void **state)
{
	struct fixture *fx = *state;
	struct cred_event e;

	assert_string_equal(cred_event_name(CRED_EVENT_REVOKED), "revoked");
	assert_int_equal(CRED_EVENT_REVOKED, PROTO_EVENT_REVOKED);

	assert_int_equal(cred_watch(fx->c, "app/token"), 0);
	assert_int_equal(cred_watch(fx->c, "1001:app/token"), 0);
	/* The fake tags events with the last WATCH's id: 1001's. */
	fx->fake.events_before = 1;
	fx->fake.event_kind = PROTO_EVENT_REVOKED;
	assert_int_equal(cred_enable(fx->c, "app/token"), 0);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.event, CRED_EVENT_REVOKED);
	assert_int_equal(e.version, 0);
	assert_int_equal(e.owner, 1001);
	assert_string_equal(e.name, "app/token");
	/* That watch is gone: another event for it breaks the stream, while
	 * the first watch is still there (cred_watch_next waits, 0). */
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 0);
	fx->fake.events_before = 1;
	fx->fake.event_kind = PROTO_EVENT_ROTATED;
	assert_int_equal(cred_enable(fx->c, "app/token"), -CRED_E_PROTOCOL);
	assert_string_equal(cred_message(fx->c), "event for no watch");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_perm_names),
	        cmocka_unit_test(test_grantee_parse),
	        cmocka_unit_test_setup_teardown(test_share_frames, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_share_refused, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_info_grants, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_list_shared, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_owner_sent, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_watch_revoked, fixture_up,
	                                        fixture_down_unchecked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
