/* SPDX-License-Identifier: MIT */
/*
 * libcred's audit, usage and quota calls against the in-process fake
 * agent of libcred-fake.h: AUDIT, AUDIT_VERIFY, USAGE, QUOTA and
 * USAGE_RESET frames carry the filters and fields asked for; multi-page
 * AUDIT and USAGE replies are followed with the cursor (up to a limit,
 * never round a cursor loop) and decoded; summaries are added up across
 * pages; INFO's quota and usage and PUT's quota go through; bad arguments
 * fail before anything is sent.
 */

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

/* ---- names and parsing ---- */

static void
test_periods(void **state)
{
	static const char *const bad[] = {"0/hour",
	                                  "3/week",
	                                  "3",
	                                  "/hour",
	                                  "3/",
	                                  "-1/hour",
	                                  "+3/hour",
	                                  " 3/hour",
	                                  "3/hour/",
	                                  "3//hour",
	                                  "",
	                                  "none",
	                                  "3/Hour",
	                                  "4294967296/hour",
	                                  "123456789012345678901234567890123/day"};
	uint32_t q = 0;
	size_t i;
	int p = 0;

	(void)state;
	assert_int_equal(CRED_PERIOD_HOUR, PROTO_PERIOD_HOUR);
	assert_int_equal(CRED_PERIOD_DAY, PROTO_PERIOD_DAY);
	assert_int_equal(CRED_PERIOD_MONTH, PROTO_PERIOD_MONTH);
	assert_int_equal(CRED_COMM_MAX, PROTO_COMM_MAX);
	assert_string_equal(cred_period_name(CRED_PERIOD_HOUR), "hour");
	assert_string_equal(cred_period_name(CRED_PERIOD_DAY), "day");
	assert_string_equal(cred_period_name(CRED_PERIOD_MONTH), "month");
	assert_null(cred_period_name(0));
	assert_null(cred_period_name(4));
	assert_null(cred_period_name(-1));
	assert_int_equal(cred_period_parse("month"), CRED_PERIOD_MONTH);
	assert_int_equal(cred_period_parse("week"), -CRED_E_USAGE);
	assert_int_equal(cred_period_parse(NULL), -CRED_E_USAGE);

	assert_int_equal(cred_quota_parse("3/hour", &q, &p), 0);
	assert_int_equal(q, 3);
	assert_int_equal(p, CRED_PERIOD_HOUR);
	assert_int_equal(cred_quota_parse("1000/day", &q, &p), 0);
	assert_int_equal(q, 1000);
	assert_int_equal(p, CRED_PERIOD_DAY);
	assert_int_equal(cred_quota_parse("4294967295/month", &q, &p), 0);
	assert_int_equal(q, UINT32_MAX);
	assert_int_equal(cred_quota_parse("1/day", NULL, NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = 77;
		assert_int_equal(cred_quota_parse(bad[i], &q, &p), -CRED_E_USAGE);
		assert_int_equal(q, 77);
	}
	assert_int_equal(cred_quota_parse(NULL, &q, &p), -CRED_E_USAGE);
	cred_audit_list_free(NULL);
	cred_audit_summary_list_free(NULL);
	cred_usage_list_free(NULL);
}

/* ---- audit records ---- */

static void
test_audit_all(void **state)
{
	struct fixture *fx = *state;
	struct cred_audit_list *l = NULL;
	const struct cred_audit_record *r;
	size_t i;

	assert_int_equal(cred_audit(fx->c, NULL, &l), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_AUDIT);
	/* Three pages: 1-2, 3-4, 5. */
	assert_int_equal(fx->fake.audit_pages, 3);
	assert_int_equal(fx->fake.audit.limit, 0);
	assert_int_equal(fx->fake.audit.flags, 0);
	assert_false(fx->fake.audit.has_owner);
	assert_string_equal(fx->fake.audit_name, "");
	assert_non_null(l);
	assert_int_equal(l->n, 5);
	for (i = 0; i < l->n; i++)
		assert_int_equal(l->items[i].seq, i + 1);

	r = &l->items[0];
	assert_int_equal(r->time, 1700000001);
	assert_int_equal(r->uid, 1000);
	assert_int_equal(r->gid, 100);
	assert_int_equal(r->pid, 4242);
	assert_string_equal(r->comm, "cred");
	assert_string_equal(r->op, "get");
	assert_int_equal(r->has_target, 1);
	assert_int_equal(r->owner, 1000);
	assert_string_equal(r->name, "app/token");
	assert_int_equal(r->version, 1);
	assert_int_equal(r->status, CRED_OK);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->security, 0);

	/* A refused connection: no target, no command name, a security
	 * event. */
	r = &l->items[1];
	assert_string_equal(r->op, "connect");
	assert_int_equal(r->has_target, 0);
	assert_null(r->name);
	assert_int_equal(r->version, 0);
	assert_int_equal(r->status, CRED_E_DENIED);
	assert_string_equal(r->comm, "");
	assert_int_equal(r->uid, 1001);
	assert_int_equal(r->security, 1);

	/* Folded identical records. */
	assert_int_equal(l->items[2].count, 17);
	assert_int_equal(l->items[4].version, 5);
	cred_audit_list_free(l);
}

static void
test_audit_limit(void **state)
{
	struct cred_audit_query q = {.limit = 3};
	struct fixture *fx = *state;
	struct cred_audit_list *l = NULL;

	/* Two pages: the second asks for the one record left. */
	assert_int_equal(cred_audit(fx->c, &q, &l), 0);
	assert_int_equal(l->n, 3);
	assert_int_equal(l->items[2].seq, 3);
	assert_int_equal(fx->fake.audit_pages, 2);
	assert_int_equal(fx->fake.audit.limit, 1);
	cred_audit_list_free(l);

	q.limit = 1;
	assert_int_equal(cred_audit(fx->c, &q, &l), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(fx->fake.audit_pages, 3);
	assert_int_equal(fx->fake.audit.limit, 1);
	cred_audit_list_free(l);

	/* More than there are: all of them. */
	q.limit = 100;
	assert_int_equal(cred_audit(fx->c, &q, &l), 0);
	assert_int_equal(l->n, 5);
	assert_int_equal(fx->fake.audit.limit, 100 - 4);
	cred_audit_list_free(l);
}

static void
test_audit_filters(void **state)
{
	struct cred_audit_query q = {.ref = "root:app/token",
	                             .has_uid = 1,
	                             .uid = 1001,
	                             .op = "get",
	                             .has_status = 1,
	                             .status = CRED_E_DENIED,
	                             .since = 1700000000,
	                             .until = 1700000100};
	struct fixture *fx = *state;
	struct cred_audit_list *l = NULL;

	assert_int_equal(cred_audit(fx->c, &q, &l), 0);
	cred_audit_list_free(l);
	assert_true(fx->fake.audit.has_owner);
	assert_int_equal(fx->fake.audit.owner, 0);
	assert_string_equal(fx->fake.audit_name, "app/token");
	assert_true(fx->fake.audit.has_uid);
	assert_int_equal(fx->fake.audit.uid, 1001);
	assert_string_equal(fx->fake.audit_op, "get");
	assert_true(fx->fake.audit.has_status);
	assert_int_equal(fx->fake.audit.status, PROTO_DENIED);
	assert_true(fx->fake.audit.has_since);
	assert_int_equal(fx->fake.audit.since, 1700000000);
	assert_true(fx->fake.audit.has_until);
	assert_int_equal(fx->fake.audit.until, 1700000100);

	/* "OWNER:" alone: any of OWNER's secrets. A bare NAME: the
	 * caller's. Status OK is a filter too. */
	q = (struct cred_audit_query){.ref = "root:", .has_status = 1, .status = CRED_OK};
	assert_int_equal(cred_audit(fx->c, &q, &l), 0);
	cred_audit_list_free(l);
	assert_true(fx->fake.audit.has_owner);
	assert_int_equal(fx->fake.audit.owner, 0);
	assert_string_equal(fx->fake.audit_name, "");
	assert_true(fx->fake.audit.has_status);
	assert_int_equal(fx->fake.audit.status, PROTO_OK);
	assert_false(fx->fake.audit.has_uid);
	assert_false(fx->fake.audit.has_since);
	q = (struct cred_audit_query){.ref = "app/x", .op = "connect"};
	assert_int_equal(cred_audit(fx->c, &q, &l), 0);
	cred_audit_list_free(l);
	assert_false(fx->fake.audit.has_owner);
	assert_string_equal(fx->fake.audit_name, "app/x");
	assert_string_equal(fx->fake.audit_op, "connect");
	assert_false(fx->fake.audit.has_status);
}

static void
test_audit_checks(void **state)
{
	struct fixture *fx = *state;
	struct cred_audit_list *l = NULL;
	struct cred_audit_summary_list *sl = NULL;
	struct cred_audit_query q = {0};
	int before = fx->fake.requests;

	q.op = "frobnicate";
	assert_int_equal(cred_audit(fx->c, &q, &l), -CRED_E_USAGE);
	assert_int_equal(cred_audit_summary(fx->c, &q, &sl), -CRED_E_USAGE);
	q = (struct cred_audit_query){.ref = "app//x"};
	assert_int_equal(cred_audit(fx->c, &q, &l), -CRED_E_USAGE);
	q = (struct cred_audit_query){.ref = "no-such-user-here:"};
	assert_int_equal(cred_audit(fx->c, &q, &l), -CRED_E_USAGE);
	q = (struct cred_audit_query){.since = -1};
	assert_int_equal(cred_audit(fx->c, &q, &l), -CRED_E_USAGE);
	q = (struct cred_audit_query){.has_status = 1, .status = -1};
	assert_int_equal(cred_audit(fx->c, &q, &l), -CRED_E_USAGE);
	q.status = 99;
	assert_int_equal(cred_audit(fx->c, &q, &l), -CRED_E_USAGE);
	assert_int_equal(cred_audit(fx->c, NULL, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_audit(NULL, NULL, &l), -CRED_E_USAGE);
	assert_null(l);
	assert_null(sl);
	assert_int_equal(fx->fake.requests, before);
}

/* An agent whose cursor never moves is stopped, and the connection goes
 * on. */
static void
test_audit_cursor_loop(void **state)
{
	struct fixture *fx = *state;
	struct cred_audit_verify_result v;
	struct cred_audit_list *l = NULL;

	fx->fake.audit_loop = true;
	assert_int_equal(cred_audit(fx->c, NULL, &l), -CRED_E_PROTOCOL);
	assert_null(l);
	assert_int_equal(fx->fake.audit_pages, 2);
	assert_int_equal(cred_audit_verify(fx->c, &v), 0);
}

static void
test_audit_summary(void **state)
{
	struct cred_audit_query q = {.op = "get"};
	struct fixture *fx = *state;
	struct cred_audit_summary_list *l = NULL;
	uint64_t get_ok = 0, get_denied = 0, put_ok = 0;
	size_t i;

	assert_int_equal(cred_audit_summary(fx->c, &q, &l), 0);
	assert_int_equal(fx->fake.audit.flags, PROTO_AUDIT_SUMMARY);
	assert_string_equal(fx->fake.audit_op, "get");
	assert_int_equal(fx->fake.audit.limit, 0);
	assert_int_equal(fx->fake.audit_pages, 2);
	/* Pages added up: one entry per (op, status). */
	assert_int_equal(l->n, 3);
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].op, "get") == 0 && l->items[i].status == CRED_OK)
			get_ok = l->items[i].count;
		else if (strcmp(l->items[i].op, "get") == 0 && l->items[i].status == CRED_E_DENIED)
			get_denied = l->items[i].count;
		else if (strcmp(l->items[i].op, "put") == 0 && l->items[i].status == CRED_OK)
			put_ok = l->items[i].count;
	}
	assert_int_equal(get_ok, 15);
	assert_int_equal(get_denied, 2);
	assert_int_equal(put_ok, 1);
	cred_audit_summary_list_free(l);
	assert_int_equal(cred_audit_summary(fx->c, NULL, &l), 0);
	cred_audit_summary_list_free(l);
}

static void
test_audit_verify(void **state)
{
	struct fixture *fx = *state;
	struct cred_audit_verify_result v;
	size_t i;

	memset(&v, 0xff, sizeof(v));
	assert_int_equal(cred_audit_verify(fx->c, &v), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_AUDIT_VERIFY);
	assert_int_equal(v.checked, 7);
	assert_int_equal(v.first_seq, 1);
	assert_int_equal(v.broken, 0);
	assert_int_equal(v.broken_seq, 0);
	assert_int_equal(v.has_head, 1);
	for (i = 0; i < CRED_AUDIT_HEAD_LEN; i++)
		assert_int_equal(v.head[i], i);
	assert_string_equal(v.message, "");

	/* Broken: still 0, the result says where. */
	fx->fake.audit_broken = true;
	assert_int_equal(cred_audit_verify(fx->c, &v), 0);
	assert_int_equal(v.broken, 1);
	assert_int_equal(v.broken_seq, 4);
	assert_int_equal(v.checked, 3);
	assert_string_equal(v.message, "record 4: MAC mismatch");
	assert_string_equal(cred_message(fx->c), "record 4: MAC mismatch");
	assert_int_equal(cred_audit_verify(fx->c, NULL), -CRED_E_USAGE);
}

/* ---- usage and quotas ---- */

static void
test_usage(void **state)
{
	struct fixture *fx = *state;
	struct cred_usage_list *l = NULL;
	const struct cred_usage *u;
	int before;

	assert_int_equal(cred_usage(fx->c, NULL, NULL, &l), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_USAGE);
	assert_int_equal(fx->fake.usage_pages, 2);
	assert_false(fx->fake.usage.has_owner);
	assert_string_equal(fx->fake.usage_prefix, "");
	assert_int_equal(l->n, 3);

	u = &l->items[0];
	assert_string_equal(u->name, "app/a");
	assert_int_equal(u->owner, 1000);
	assert_int_equal(u->usage.reads, 10);
	assert_int_equal(u->usage.period_reads, 3);
	assert_int_equal(u->period_start, 1700000000);
	assert_int_equal(u->usage.has_last_read, 1);
	assert_int_equal(u->usage.last_read, 1700000100);
	assert_int_equal(u->usage.reader_uid, 1001);
	assert_int_equal(u->usage.reader_pid, 77);
	assert_string_equal(u->usage.reader_comm, "curl");
	assert_int_equal(u->quota, 5);
	assert_int_equal(u->quota_period, CRED_PERIOD_HOUR);

	u = &l->items[1];
	assert_string_equal(u->name, "app/b");
	assert_int_equal(u->usage.reads, 0);
	assert_int_equal(u->usage.has_last_read, 0);
	assert_int_equal(u->usage.last_read, 0);
	assert_string_equal(u->usage.reader_comm, "");
	assert_int_equal(u->quota, 0);
	assert_int_equal(u->quota_period, 0);

	u = &l->items[2];
	assert_string_equal(u->name, "app/c");
	assert_int_equal(u->usage.reader_pid, 88);
	assert_string_equal(u->usage.reader_comm, "");
	assert_int_equal(u->quota, 100);
	assert_int_equal(u->quota_period, CRED_PERIOD_MONTH);
	cred_usage_list_free(l);

	assert_int_equal(cred_usage(fx->c, "root", "app/", &l), 0);
	assert_true(fx->fake.usage.has_owner);
	assert_int_equal(fx->fake.usage.owner, 0);
	assert_string_equal(fx->fake.usage_prefix, "app/");
	cred_usage_list_free(l);
	l = NULL;

	before = fx->fake.requests;
	assert_int_equal(cred_usage(fx->c, NULL, "app//", &l), -CRED_E_USAGE);
	assert_int_equal(cred_usage(fx->c, "no-such-user-here", NULL, &l), -CRED_E_USAGE);
	assert_int_equal(cred_usage(fx->c, NULL, NULL, NULL), -CRED_E_USAGE);
	assert_null(l);
	assert_int_equal(fx->fake.requests, before);
}

static void
test_quota(void **state)
{
	struct fixture *fx = *state;
	int before;

	assert_int_equal(cred_quota_set(fx->c, "app/token", 3, CRED_PERIOD_HOUR), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_QUOTA);
	assert_string_equal(fx->fake.quota_name, "app/token");
	assert_false(fx->fake.quota.ref.has_owner);
	assert_int_equal(fx->fake.quota.quota, 3);
	assert_int_equal(fx->fake.quota.quota_period, PROTO_PERIOD_HOUR);
	/* QUOTA 0: removed (no quota fields). */
	assert_int_equal(cred_quota_set(fx->c, "root:app/token", 0, 0), 0);
	assert_true(fx->fake.quota.ref.has_owner);
	assert_int_equal(fx->fake.quota.quota, 0);
	assert_int_equal(fx->fake.quota.quota_period, 0);

	assert_int_equal(cred_quota_set(fx->c, "app/missing", 1, CRED_PERIOD_DAY),
	                 -CRED_E_NOT_FOUND);
	assert_int_equal(cred_quota_set(fx->c, "app/theirs", 1, CRED_PERIOD_DAY), -CRED_E_DENIED);
	assert_string_equal(cred_message(fx->c), "only the owner may set a quota");

	before = fx->fake.requests;
	assert_int_equal(cred_quota_set(fx->c, "app/token", 3, 0), -CRED_E_USAGE);
	assert_int_equal(cred_quota_set(fx->c, "app/token", 3, 4), -CRED_E_USAGE);
	assert_int_equal(cred_quota_set(fx->c, "app/token", 0, CRED_PERIOD_DAY), -CRED_E_USAGE);
	assert_int_equal(cred_quota_set(fx->c, "app//token", 3, CRED_PERIOD_DAY), -CRED_E_USAGE);
	assert_int_equal(cred_quota_set(NULL, "app/token", 3, CRED_PERIOD_DAY), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, before);
}

static void
test_usage_reset(void **state)
{
	struct fixture *fx = *state;
	int before;

	assert_int_equal(cred_usage_reset(fx->c, "root:app/token"), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_USAGE_RESET);
	assert_string_equal(fx->fake.reset_name, "app/token");
	assert_true(fx->fake.ref_has_owner);
	assert_int_equal(fx->fake.ref_owner, 0);
	assert_int_equal(cred_usage_reset(fx->c, "app/missing"), -CRED_E_NOT_FOUND);
	before = fx->fake.requests;
	assert_int_equal(cred_usage_reset(fx->c, "app/"), -CRED_E_USAGE);
	assert_int_equal(cred_usage_reset(NULL, "app/x"), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, before);
}

static void
test_info_usage(void **state)
{
	struct fixture *fx = *state;
	struct cred_info *i = NULL;

	assert_int_equal(cred_info(fx->c, "app/used", &i), 0);
	assert_int_equal(i->quota, 3);
	assert_int_equal(i->quota_period, CRED_PERIOD_HOUR);
	assert_int_equal(i->has_usage, 1);
	assert_int_equal(i->usage.reads, 12);
	assert_int_equal(i->usage.period_reads, 2);
	assert_int_equal(i->usage.has_last_read, 1);
	assert_int_equal(i->usage.last_read, 1700000500);
	assert_int_equal(i->usage.reader_uid, 1001);
	assert_int_equal(i->usage.reader_pid, 4242);
	assert_string_equal(i->usage.reader_comm, "curl");
	cred_info_free(i);

	/* No quota, no counters: zero. */
	assert_int_equal(cred_info(fx->c, "app/token", &i), 0);
	assert_int_equal(i->quota, 0);
	assert_int_equal(i->quota_period, 0);
	assert_int_equal(i->has_usage, 0);
	assert_int_equal(i->usage.has_last_read, 0);
	cred_info_free(i);
}

static void
test_put_quota(void **state)
{
	struct cred_put_opts o = {.type = "password",
	                          .expires = 1800000000,
	                          .max_versions = 5,
	                          .quota = 5,
	                          .quota_period = CRED_PERIOD_DAY};
	struct fixture *fx = *state;
	int before;

	assert_int_equal(cred_put(fx->c, "root:app/new", "v", 1, &o, NULL), 0);
	assert_int_equal(fx->fake.put_quota, 5);
	assert_int_equal(fx->fake.put_quota_period, PROTO_PERIOD_DAY);
	o.quota = 0;
	o.quota_period = 0;
	assert_int_equal(cred_put(fx->c, "root:app/new", "v", 1, &o, NULL), 0);
	assert_int_equal(fx->fake.put_quota, 0);
	assert_int_equal(fx->fake.put_quota_period, 0);

	/* Both or neither. */
	before = fx->fake.requests;
	o.quota_period = CRED_PERIOD_HOUR;
	assert_int_equal(cred_put(fx->c, "root:app/new", "v", 1, &o, NULL), -CRED_E_USAGE);
	o.quota = 3;
	o.quota_period = 0;
	assert_int_equal(cred_put(fx->c, "root:app/new", "v", 1, &o, NULL), -CRED_E_USAGE);
	o.quota_period = 9;
	assert_int_equal(cred_put(fx->c, "root:app/new", "v", 1, &o, NULL), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_periods),
	        cmocka_unit_test_setup_teardown(test_audit_all, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_audit_limit, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_audit_filters, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_audit_checks, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_audit_cursor_loop, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_audit_summary, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_audit_verify, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_usage, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_quota, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_usage_reset, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_info_usage, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_put_quota, fixture_up, fixture_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
