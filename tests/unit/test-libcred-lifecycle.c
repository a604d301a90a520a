/* SPDX-License-Identifier: MIT */
/*
 * libcred's lifecycle calls (rotate, rollback, undelete, purge, disable,
 * enable, label, get and list with their new options) and watching, end
 * to end against the in-process fake agent of libcred-fake.h: EVENT
 * frames arriving before an unrelated reply are queued and handed out by
 * cred_watch_next(), which otherwise waits on the socket with a timeout.
 */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"
#include "tests/unit/libcred-fake.h"
#include "tests/unit/libcred-fixture.h"

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- names ---- */

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(cred_charset_name(CRED_CHARSET_BASE64URL), "base64url");
	assert_string_equal(cred_charset_name(CRED_CHARSET_HEX), "hex");
	assert_string_equal(cred_charset_name(CRED_CHARSET_ALNUM), "alnum");
	assert_string_equal(cred_charset_name(CRED_CHARSET_PRINTABLE), "printable");
	assert_null(cred_charset_name(4));
	assert_null(cred_charset_name(-1));
	assert_int_equal(cred_charset_parse("hex"), CRED_CHARSET_HEX);
	assert_int_equal(cred_charset_parse("printable"), CRED_CHARSET_PRINTABLE);
	assert_int_equal(cred_charset_parse("HEX"), -CRED_E_USAGE);
	assert_int_equal(cred_charset_parse(""), -CRED_E_USAGE);
	assert_int_equal(cred_charset_parse(NULL), -CRED_E_USAGE);

	assert_string_equal(cred_event_name(CRED_EVENT_PUT), "put");
	assert_string_equal(cred_event_name(CRED_EVENT_ROTATED), "rotated");
	assert_string_equal(cred_event_name(CRED_EVENT_ROLLED_BACK), "rolled_back");
	assert_string_equal(cred_event_name(CRED_EVENT_PURGED), "purged");
	assert_string_equal(cred_event_name(CRED_EVENT_VERSION_PURGED), "version_purged");
	assert_string_equal(cred_event_name(CRED_EVENT_OVERFLOW), "overflow");
	assert_string_equal(cred_event_name(0), "unknown");
	assert_string_equal(cred_event_name(-3), "unknown");

	/* The public numbers are the wire's. */
	assert_int_equal(CRED_CHARSET_PRINTABLE, PROTO_CHARSET_PRINTABLE);
	assert_int_equal(CRED_EVENT_VERSION_PURGED, PROTO_EVENT_VERSION_PURGED);
	assert_int_equal(CRED_GENERATE_MAX, PROTO_GEN_LENGTH_MAX);
	assert_int_equal(CRED_NAME_MAX, PROTO_NAME_MAX);
	assert_int_equal(CRED_GET_ALLOW_EXPIRED, PROTO_GET_ALLOW_EXPIRED);
}

/* ---- rotate ---- */

static void
test_rotate(void **state)
{
	struct cred_rotate_opts o = {.expires = 1800000000};
	struct fixture *fx = *state;
	struct cred_value *gen = NULL;
	uint32_t version = 0;

	/* A value of the caller's. */
	assert_int_equal(cred_rotate(fx->c, "app/token", "n\0ew", 4, &o, &version, &gen), 0);
	assert_int_equal(version, 4);
	assert_null(gen);
	assert_true(fx->fake.rotate.has_value);
	assert_int_equal(fx->fake.rotate.value.len, 4);
	assert_memory_equal(fx->fake.rotate_value, "n\0ew", 4);
	assert_int_equal(fx->fake.rotate.gen_length, 0);
	assert_true(fx->fake.rotate.has_expires);
	assert_int_equal(fx->fake.rotate.expires, 1800000000);

	/* Generated and returned. */
	o = (struct cred_rotate_opts){.generate = 32, .charset = CRED_CHARSET_HEX};
	version = 0;
	assert_int_equal(cred_rotate(fx->c, "app/token", NULL, 0, &o, &version, &gen), 0);
	assert_int_equal(version, 4);
	assert_non_null(gen);
	assert_int_equal(gen->len, 32);
	assert_memory_equal(gen->data, "0123456789abcdef0123456789abcdef", 32);
	assert_int_equal(gen->data[32], 0);
	assert_int_equal(gen->version, 4);
	assert_string_equal(gen->type, "");
	cred_value_free(gen);
	gen = NULL;
	assert_false(fx->fake.rotate.has_value);
	assert_int_equal(fx->fake.rotate.gen_length, 32);
	assert_int_equal(fx->fake.rotate.charset, PROTO_CHARSET_HEX);
	assert_int_equal(fx->fake.rotate.flags, PROTO_ROTATE_PRINT);
	assert_false(fx->fake.rotate.has_expires);

	/* Generated and kept in the agent: no PRINT flag. */
	assert_int_equal(cred_rotate(fx->c, "app/token", NULL, 0, &o, NULL, NULL), 0);
	assert_int_equal(fx->fake.rotate.flags, 0);
	assert_int_equal(fx->fake.requests, 3);

	/* A primary field alone: the value with the PRIMARY flag. */
	version = 0;
	assert_int_equal(cred_rotate_primary(fx->c, "app/token", "pw", 2, NULL, &version), 0);
	assert_int_equal(version, 4);
	assert_true(fx->fake.rotate.has_value);
	assert_memory_equal(fx->fake.rotate_value, "pw", 2);
	assert_int_equal(fx->fake.rotate.flags, PROTO_ROTATE_PRIMARY);
	assert_int_equal(fx->fake.requests, 4);
	/* ... never with a generated one. */
	assert_int_equal(cred_rotate_primary(fx->c, "app/token", NULL, 0, &o, NULL), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 4);

	/* Refused before sending. */
	o.generate = CRED_GENERATE_MAX + 1;
	assert_int_equal(cred_rotate(fx->c, "app/token", NULL, 0, &o, NULL, &gen), -CRED_E_USAGE);
	o.generate = 8;
	assert_int_equal(cred_rotate(fx->c, "app/token", "x", 1, &o, NULL, &gen), -CRED_E_USAGE);
	o.charset = 9;
	assert_int_equal(cred_rotate(fx->c, "app/token", NULL, 0, &o, NULL, &gen), -CRED_E_USAGE);
	o = (struct cred_rotate_opts){.charset = CRED_CHARSET_HEX};
	assert_int_equal(cred_rotate(fx->c, "app/token", "x", 1, &o, NULL, &gen), -CRED_E_USAGE);
	o = (struct cred_rotate_opts){.expires = -1};
	assert_int_equal(cred_rotate(fx->c, "app/token", "x", 1, &o, NULL, &gen), -CRED_E_USAGE);
	assert_int_equal(cred_rotate(fx->c, "app//token", "x", 1, NULL, NULL, &gen),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_rotate(fx->c, "app/token", NULL, 3, NULL, NULL, &gen),
	                 -CRED_E_USAGE);
	assert_null(gen);
	assert_int_equal(fx->fake.requests, 4);

	/* The agent's refusal. */
	assert_int_equal(cred_rotate(fx->c, "app/missing", "x", 1, NULL, &version, &gen),
	                 -CRED_E_NOT_FOUND);
	assert_null(gen);
}

/* ---- rollback, purge, undelete, disable, enable, label ---- */

static void
test_lifecycle(void **state)
{
	static const char *const set[] = {"env=prod", "team=", NULL};
	static const char *const rm[] = {"old", NULL};
	struct fixture *fx = *state;
	uint32_t version = 0;

	assert_int_equal(cred_rollback(fx->c, "app/token", 2, &version), 0);
	assert_int_equal(version, 5);
	assert_int_equal(fx->fake.rollback_to, 2);
	assert_int_equal(cred_rollback(fx->c, "app/token", 9, &version), -CRED_E_NOT_FOUND);
	assert_string_equal(cred_message(fx->c), "no version 9");
	assert_int_equal(cred_rollback(fx->c, "app/token", 0, &version), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 2);

	assert_int_equal(cred_purge(fx->c, "app/token", 0), 0);
	assert_true(fx->fake.purge_all);
	assert_int_equal(cred_purge(fx->c, "app/token", 3), 0);
	assert_false(fx->fake.purge_all);
	assert_int_equal(fx->fake.purge_version, 3);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_PURGE);

	assert_int_equal(cred_undelete(fx->c, "app/token"), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_UNDELETE);
	assert_int_equal(cred_disable(fx->c, "app/token"), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_DISABLE);
	assert_int_equal(cred_enable(fx->c, "1000:app/token"), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_ENABLE);
	assert_int_equal(cred_undelete(fx->c, "app/missing"), -CRED_E_NOT_FOUND);
	assert_int_equal(cred_disable(fx->c, "app/"), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 8);

	assert_int_equal(cred_label(fx->c, "app/token", set, rm), 0);
	assert_int_equal(fx->fake.label_set, 2);
	assert_int_equal(fx->fake.label_remove, 1);
	assert_int_equal(cred_label(fx->c, "app/token", NULL, rm), 0);
	assert_int_equal(fx->fake.label_set, 0);
	assert_int_equal(fx->fake.label_remove, 1);
	assert_int_equal(cred_label(fx->c, "app/token", set, NULL), 0);
	assert_int_equal(fx->fake.label_remove, 0);
	assert_int_equal(fx->fake.requests, 11);
	/* Nothing to do, a bad label, a bad key: refused before sending. */
	assert_int_equal(cred_label(fx->c, "app/token", NULL, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_label(fx->c, "app/token", (const char *const[]){NULL}, NULL),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_label(fx->c, "app/token", (const char *const[]){"x", NULL}, NULL),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_label(fx->c, "app/token", NULL, (const char *const[]){"a=b", NULL}),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_label(fx->c, "app/token", NULL, (const char *const[]){"", NULL}),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_label(fx->c, "app/token", NULL, (const char *const[]){"a b", NULL}),
	                 -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 11);
}

/* ---- get and list with the new options ---- */

static void
test_get_list_ex(void **state)
{
	static const char *const labels[] = {"env=prod", "team=core", NULL};
	struct cred_list_filter filter = {.labels = labels, .expiring = 1800000000};
	struct fixture *fx = *state;
	struct cred_value *v = NULL;
	struct cred_list *l = NULL;

	assert_int_equal(cred_get(fx->c, "app/expired", 0, &v), -CRED_E_EXPIRED);
	assert_null(v);
	assert_int_equal(fx->fake.get_flags, 0);
	assert_int_equal(cred_get_ex(fx->c, "app/expired", 0, CRED_GET_ALLOW_EXPIRED, &v), 0);
	assert_int_equal(fx->fake.get_flags, PROTO_GET_ALLOW_EXPIRED);
	assert_string_equal(cred_message(fx->c), "expired at 2023-11-14T22:13:20Z");
	assert_memory_equal(v->data, SECRET, v->len);
	cred_value_free(v);
	v = NULL;
	assert_int_equal(cred_get_ex(fx->c, "app/token", 0, 2, &v), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 2);

	assert_int_equal(cred_list_ex(fx->c, NULL, "app/", 0, &filter, &l), 0);
	assert_int_equal(l->n, 3);
	assert_int_equal(fx->fake.list_labels, 2);
	assert_true(fx->fake.list_has_expiring);
	assert_int_equal(fx->fake.list_expiring, 1800000000);
	cred_list_free(l);
	l = NULL;
	assert_int_equal(cred_list_ex(fx->c, NULL, "app/", 0, NULL, &l), 0);
	assert_int_equal(fx->fake.list_labels, 0);
	assert_false(fx->fake.list_has_expiring);
	cred_list_free(l);
	l = NULL;
	filter.labels = (const char *const[]){"nokey", NULL};
	assert_int_equal(cred_list_ex(fx->c, NULL, "app/", 0, &filter, &l), -CRED_E_USAGE);
	filter = (struct cred_list_filter){.expiring = -5};
	assert_int_equal(cred_list_ex(fx->c, NULL, "app/", 0, &filter, &l), -CRED_E_USAGE);
	assert_null(l);
}

/* ---- watching ---- */

static void
test_watch_queued(void **state)
{
	struct fixture *fx = *state;
	struct cred_value *v = NULL;
	struct cred_event e;
	int64_t t0;

	assert_int_equal(cred_watch_next(fx->c, 0, &e), -CRED_E_USAGE);
	assert_int_equal(cred_watch(fx->c, "app/token"), 0);
	assert_int_equal(fx->fake.watch_id, 1 + 1);
	assert_int_equal(cred_events_pending(fx->c), 0);

	/* Two events come before the reply to an unrelated GET. */
	fx->fake.events_before = 2;
	assert_int_equal(cred_get(fx->c, "app/token", 0, &v), 0);
	assert_int_equal(v->len, sizeof(SECRET) - 1);
	assert_memory_equal(v->data, SECRET, v->len);
	cred_value_free(v);
	assert_int_equal(cred_events_pending(fx->c), 2);

	/* Handed out oldest first without touching the socket. */
	memset(&e, 0xff, sizeof(e));
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.event, CRED_EVENT_ROTATED);
	assert_int_equal(e.version, 10);
	assert_int_equal(e.state, CRED_STATE_ACTIVE);
	assert_int_equal(e.owner, getuid());
	assert_string_equal(e.name, "app/token");
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.version, 11);
	assert_int_equal(cred_events_pending(fx->c), 0);

	/* Nothing more: a timeout, 0, after about the time asked. */
	t0 = ms_now();
	assert_int_equal(cred_watch_next(fx->c, 100, &e), 0);
	assert_true(ms_now() - t0 >= 90);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 0);

	/* An event after a reply stays in the socket until asked for. */
	fx->fake.events_after = 1;
	assert_int_equal(cred_delete(fx->c, "app/token"), 0);
	assert_int_equal(cred_events_pending(fx->c), 0);
	assert_int_equal(cred_watch_next(fx->c, 5000, &e), 1);
	assert_int_equal(e.version, 12);
	assert_string_equal(cred_message(fx->c), "");
	assert_true(cred_fd(fx->c) >= 0);
	assert_int_equal(cred_fd(NULL), -1);
}

static void
test_watch_two(void **state)
{
	struct fixture *fx = *state;
	struct cred_event e;

	/* A second watch, owner named: events carry its reference. */
	assert_int_equal(cred_watch(fx->c, "app/token"), 0);
	assert_int_equal(cred_watch(fx->c, "0:app/other"), 0);
	/* The fake tags events with the last WATCH's id. */
	fx->fake.events_before = 1;
	fx->fake.event_kind = PROTO_EVENT_DISABLED;
	assert_int_equal(cred_enable(fx->c, "app/token"), 0);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.event, CRED_EVENT_DISABLED);
	assert_int_equal(e.owner, 0);
	assert_string_equal(e.name, "app/other");

	/* PURGED ends that watch; the first one still waits. */
	fx->fake.events_before = 1;
	fx->fake.event_kind = PROTO_EVENT_PURGED;
	assert_int_equal(cred_enable(fx->c, "app/token"), 0);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.event, CRED_EVENT_PURGED);
	assert_int_equal(e.version, 0);
	assert_string_equal(e.name, "app/other");
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 0);

	/* A refused watch leaves nothing behind. */
	assert_int_equal(cred_watch(fx->c, "app/missing"), -CRED_E_NOT_FOUND);
	assert_int_equal(cred_watch(fx->c, "app//x"), -CRED_E_USAGE);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 0);
}

static void
test_watch_overflow(void **state)
{
	struct fixture *fx = *state;
	struct cred_status *s = NULL;
	struct cred_event e;
	unsigned i;

	assert_int_equal(cred_watch(fx->c, "app/token"), 0);
	fx->fake.events_before = CRED_EVENT_QUEUE_MAX + 6;
	assert_int_equal(cred_status_get(fx->c, &s), 0);
	cred_status_free(s);
	assert_int_equal(cred_events_pending(fx->c), CRED_EVENT_QUEUE_MAX + 1);
	/* The oldest are kept, then the loss is reported, once. */
	for (i = 0; i < CRED_EVENT_QUEUE_MAX; i++) {
		assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
		assert_int_equal(e.event, CRED_EVENT_ROTATED);
		assert_int_equal(e.version, 10 + i);
	}
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.event, CRED_EVENT_OVERFLOW);
	assert_string_equal(e.name, "");
	assert_int_equal(e.version, 0);
	assert_int_equal(cred_events_pending(fx->c), 0);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 0);
	/* The queue works again. */
	fx->fake.events_before = 1;
	assert_int_equal(cred_status_get(fx->c, &s), 0);
	cred_status_free(s);
	assert_int_equal(cred_watch_next(fx->c, 0, &e), 1);
	assert_int_equal(e.version, 10 + CRED_EVENT_QUEUE_MAX + 6);
}

static void
test_watch_bad_event(void **state)
{
	struct fixture *fx = *state;
	struct cred_status *s = NULL;
	struct cred_event e;

	assert_int_equal(cred_watch(fx->c, "app/token"), 0);
	/* An event no watch asked for: the stream cannot be trusted. */
	fx->fake.events_before = 1;
	fx->fake.event_bad_id = true;
	assert_int_equal(cred_status_get(fx->c, &s), -CRED_E_PROTOCOL);
	assert_null(s);
	assert_string_equal(cred_message(fx->c), "event for no watch");
	assert_int_equal(cred_watch_next(fx->c, 0, &e), -CRED_E_FAILED);
	assert_int_equal(cred_status_get(fx->c, &s), -CRED_E_FAILED);
}

static void
test_watch_event_without_watch(void **state)
{
	struct fixture *fx = *state;
	struct cred_status *s = NULL;

	/* The fake sends events tagged 0 (no WATCH yet): never accepted. */
	fx->fake.events_before = 1;
	assert_int_equal(cred_status_get(fx->c, &s), -CRED_E_PROTOCOL);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_names),
	        cmocka_unit_test_setup_teardown(test_rotate, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_lifecycle, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_get_list_ex, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_watch_queued, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_watch_two, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_watch_overflow, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_watch_bad_event, fixture_up,
	                                        fixture_down_unchecked),
	        cmocka_unit_test_setup_teardown(test_watch_event_without_watch, fixture_up,
	                                        fixture_down_unchecked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
