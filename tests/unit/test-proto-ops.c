/* SPDX-License-Identifier: MIT */
/*
 * proto/: the names of operations (proto_op_name, proto_op_parse), of
 * quota periods and of statuses (proto_status_parse), and the start of a
 * quota period (proto_period_start): calendar hours, days and months in
 * UTC, across month ends, leap days, century years and the far future,
 * checked against the C library's calendar.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "proto/proto.h"

static const struct {
	uint8_t type;
	const char *name;
} ops[] = {
	{0, "connect"},
	{PROTO_MSG_HELLO, "hello"},
	{PROTO_MSG_STATUS, "status"},
	{PROTO_MSG_PUT, "put"},
	{PROTO_MSG_GET, "get"},
	{PROTO_MSG_INFO, "info"},
	{PROTO_MSG_LIST, "ls"},
	{PROTO_MSG_DELETE, "rm"},
	{PROTO_MSG_ROTATE, "rotate"},
	{PROTO_MSG_ROLLBACK, "rollback"},
	{PROTO_MSG_UNDELETE, "undelete"},
	{PROTO_MSG_PURGE, "purge"},
	{PROTO_MSG_DISABLE, "disable"},
	{PROTO_MSG_ENABLE, "enable"},
	{PROTO_MSG_LABEL, "label"},
	{PROTO_MSG_WATCH, "watch"},
	{PROTO_MSG_SHARE, "share"},
	{PROTO_MSG_UNSHARE, "unshare"},
	{PROTO_MSG_LOCK, "lock"},
	{PROTO_MSG_UNLOCK, "unlock"},
	{PROTO_MSG_PASSWD, "passwd"},
	{PROTO_MSG_KEYSLOT_LIST, "keyslot"},
	{PROTO_MSG_KEYSLOT_ADD, "keyslot"},
	{PROTO_MSG_KEYSLOT_RM, "keyslot"},
	{PROTO_MSG_BACKUP, "backup"},
	{PROTO_MSG_REKEY, "rekey"},
	{PROTO_MSG_EXPORT, "export"},
	{PROTO_MSG_IMPORT, "import"},
	{PROTO_MSG_AUDIT, "audit"},
	{PROTO_MSG_AUDIT_VERIFY, "audit-verify"},
	{PROTO_MSG_USAGE, "usage"},
	{PROTO_MSG_QUOTA, "quota"},
	{PROTO_MSG_USAGE_RESET, "usage-reset"},
	{PROTO_MSG_VERIFY, "verify"},
	{PROTO_OP_SUPPRESSED, "suppressed"},
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static void
test_op_name(void **state)
{
	const char *want;
	unsigned t;
	size_t i;

	(void)state;
	for (t = 0; t <= 0xff; t++) {
		want = NULL;
		for (i = 0; i < N_OPS; i++)
			if (ops[i].type == t)
				want = ops[i].name;
		if (want == NULL) {
			assert_null(proto_op_name((uint8_t)t));
			continue;
		}
		assert_non_null(proto_op_name((uint8_t)t));
		assert_string_equal(proto_op_name((uint8_t)t), want);
		assert_true(strlen(want) >= 1 && strlen(want) <= PROTO_OP_MAX);
	}
	/* replies, EVENT and the types after VERIFY have none */
	assert_null(proto_op_name(PROTO_MSG_EVENT));
	assert_null(proto_op_name(PROTO_MSG_GET | PROTO_REPLY_BIT));
	assert_null(proto_op_name(PROTO_MSG_VERIFY + 1));
	assert_null(proto_op_name(0xff));
}

static void
test_op_parse(void **state)
{
	static const char *const bad[] = {"",	     "PUT",	 "Get",	    "list",
					  "delete",  "get ",	 " get",    "keyslot-list",
					  "verified", "unknown",	 "audit verify", "usage_reset"};
	unsigned t;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < N_OPS; i++) {
		r = proto_op_parse(ops[i].name);
		assert_true(r >= 0 && r <= 0xff);
		/* the first type of that name */
		assert_true((unsigned)r <= ops[i].type);
		assert_string_equal(proto_op_name((uint8_t)r), ops[i].name);
	}
	assert_int_equal(proto_op_parse("keyslot"), PROTO_MSG_KEYSLOT_LIST);
	assert_int_equal(proto_op_parse("connect"), 0);
	assert_int_equal(proto_op_parse("suppressed"), PROTO_OP_SUPPRESSED);
	assert_int_equal(proto_op_parse("ls"), PROTO_MSG_LIST);
	assert_int_equal(proto_op_parse("rm"), PROTO_MSG_DELETE);
	assert_int_equal(proto_op_parse("audit-verify"), PROTO_MSG_AUDIT_VERIFY);
	assert_int_equal(proto_op_parse("usage-reset"), PROTO_MSG_USAGE_RESET);
	assert_int_equal(proto_op_parse("verify"), PROTO_MSG_VERIFY);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(proto_op_parse(bad[i]), -EINVAL);
	assert_int_equal(proto_op_parse(NULL), -EINVAL);
	/* every name parses back to a type of that name */
	for (t = 0; t <= 0xff; t++)
		if (proto_op_name((uint8_t)t) != NULL)
			assert_string_equal(proto_op_name((uint8_t)proto_op_parse(
						    proto_op_name((uint8_t)t))),
					    proto_op_name((uint8_t)t));
}

static void
test_status_parse(void **state)
{
	static const struct {
		const char *name;
		int want;
	} cases[] = {
		{"OK", PROTO_OK},
		{"ok", PROTO_OK},
		{"Ok", PROTO_OK},
		{"NOT_FOUND", PROTO_NOT_FOUND},
		{"not_found", PROTO_NOT_FOUND},
		{"Not_Found", PROTO_NOT_FOUND},
		{"conflict", PROTO_CONFLICT},
		{"RATE_LIMITED", PROTO_RATE_LIMITED},
		{"quota_exceeded", PROTO_QUOTA_EXCEEDED},
		{"bad_request", PROTO_BAD_REQUEST},
		{"UNKNOWN", -EINVAL},
		{"unknown", -EINVAL},
		{"UNREACHABLE", -EINVAL},
		{"", -EINVAL},
		{"NOT FOUND", -EINVAL},
		{"not-found", -EINVAL},
		{"OK ", -EINVAL},
		{"O", -EINVAL},
		{"OKAY", -EINVAL},
		{"3", -EINVAL},
		{"den\xc3\xad", -EINVAL},
	};
	uint16_t s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(proto_status_parse(cases[i].name), cases[i].want);
	assert_int_equal(proto_status_parse(NULL), -EINVAL);
	/* every status the agent sends parses back from its name */
	for (s = 0; s <= PROTO_STATUS_MAX + 1; s++) {
		const char *n = proto_status_name(s);

		if (strcmp(n, "UNKNOWN") == 0)
			assert_int_equal(proto_status_parse(n), -EINVAL);
		else
			assert_int_equal(proto_status_parse(n), s);
	}
	assert_int_equal(proto_status_parse(proto_status_name(6)), -EINVAL);
}

static void
test_period_names(void **state)
{
	static const char *const bad[] = {"", "Hour", "DAY", "week", "year", "hours", "d", "day "};
	uint32_t p;
	size_t i;

	(void)state;
	assert_string_equal(proto_period_name(PROTO_PERIOD_HOUR), "hour");
	assert_string_equal(proto_period_name(PROTO_PERIOD_DAY), "day");
	assert_string_equal(proto_period_name(PROTO_PERIOD_MONTH), "month");
	assert_null(proto_period_name(0));
	assert_null(proto_period_name(PROTO_PERIOD_MAX + 1));
	assert_null(proto_period_name(UINT32_MAX));
	for (p = 1; p <= PROTO_PERIOD_MAX; p++)
		assert_int_equal(proto_period_parse(proto_period_name(p)), (int)p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(proto_period_parse(bad[i]), -EINVAL);
	assert_int_equal(proto_period_parse(NULL), -EINVAL);
}

#define H 3600u
#define D 86400u

/* Unix seconds of Y-M-D hh:mm:ss UTC, by the C library. */
static uint64_t
utc(int y, int mo, int d, int hh, int mm, int ss)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = hh, .tm_min = mm, .tm_sec = ss};
	time_t t = timegm(&tm);

	assert_true(t >= 0);
	return (uint64_t)t;
}

static void
test_period_start_cases(void **state)
{
	static const struct {
		int y, mo, d, hh, mm, ss; /* now */
		int sy, smo;              /* the month it starts in */
	} months[] = {
		{1970, 1, 1, 0, 0, 0, 1970, 1},
		{1970, 1, 31, 23, 59, 59, 1970, 1},
		{1970, 2, 1, 0, 0, 0, 1970, 2},
		{2000, 2, 29, 12, 0, 0, 2000, 2},   /* a leap century */
		{2000, 3, 1, 0, 0, 0, 2000, 3},
		{2024, 2, 29, 23, 59, 59, 2024, 2}, /* a leap day */
		{2024, 3, 1, 0, 0, 0, 2024, 3},
		{2024, 12, 31, 23, 59, 59, 2024, 12},
		{2025, 1, 1, 0, 0, 0, 2025, 1},
		{2025, 2, 28, 23, 59, 59, 2025, 2},
		{2025, 3, 1, 0, 0, 1, 2025, 3},
		{2038, 1, 19, 3, 14, 8, 2038, 1},   /* past 32-bit time_t */
		{2100, 2, 28, 23, 59, 59, 2100, 2}, /* no leap day in 2100 */
		{2100, 3, 1, 0, 0, 0, 2100, 3},
		{2400, 2, 29, 6, 0, 0, 2400, 2},
		{9999, 12, 31, 23, 59, 59, 9999, 12},
	};
	uint64_t now;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
		now = utc(months[i].y, months[i].mo, months[i].d, months[i].hh, months[i].mm,
			  months[i].ss);
		assert_int_equal(proto_period_start(PROTO_PERIOD_MONTH, now),
				 utc(months[i].sy, months[i].smo, 1, 0, 0, 0));
		assert_int_equal(proto_period_start(PROTO_PERIOD_DAY, now),
				 utc(months[i].y, months[i].mo, months[i].d, 0, 0, 0));
		assert_int_equal(proto_period_start(PROTO_PERIOD_HOUR, now),
				 utc(months[i].y, months[i].mo, months[i].d, months[i].hh, 0, 0));
	}
	/* the examples of tests/data: 2025-02-01T08:53:20Z */
	assert_int_equal(proto_period_start(PROTO_PERIOD_HOUR, 1738400000), 1738396800);
	assert_int_equal(proto_period_start(PROTO_PERIOD_DAY, 1738400000), 1738368000);
	assert_int_equal(proto_period_start(PROTO_PERIOD_MONTH, 1738400000), 1738368000);
	/* boundaries are inclusive */
	assert_int_equal(proto_period_start(PROTO_PERIOD_HOUR, 0), 0);
	assert_int_equal(proto_period_start(PROTO_PERIOD_HOUR, H - 1), 0);
	assert_int_equal(proto_period_start(PROTO_PERIOD_HOUR, H), H);
	assert_int_equal(proto_period_start(PROTO_PERIOD_DAY, D - 1), 0);
	assert_int_equal(proto_period_start(PROTO_PERIOD_DAY, D), D);
	assert_int_equal(proto_period_start(PROTO_PERIOD_MONTH, 31 * D - 1), 0);
	assert_int_equal(proto_period_start(PROTO_PERIOD_MONTH, 31 * D), 31 * D);
	/* no quota (0), or any other number: the UTC day */
	now = utc(2025, 7, 4, 13, 0, 0);
	assert_int_equal(proto_period_start(0, now), utc(2025, 7, 4, 0, 0, 0));
	assert_int_equal(proto_period_start(PROTO_PERIOD_MAX + 1, now), utc(2025, 7, 4, 0, 0, 0));
	assert_int_equal(proto_period_start(UINT32_MAX, now), utc(2025, 7, 4, 0, 0, 0));
}

/* Far beyond any calendar the C library keeps: no overflow, and the
 * start of a month is the start of a day at most 30 days back, whose
 * day before starts another month. */
static void
test_period_start_extremes(void **state)
{
	static const uint64_t nows[] = {UINT64_MAX, UINT64_MAX - D, UINT64_MAX / 2,
					(uint64_t)1 << 40, (uint64_t)1 << 56};
	uint64_t s, prev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		s = proto_period_start(PROTO_PERIOD_MONTH, nows[i]);
		assert_true(s <= nows[i] && nows[i] - s < 31 * (uint64_t)D);
		assert_int_equal(s % D, 0);
		assert_int_equal(proto_period_start(PROTO_PERIOD_MONTH, s), s);
		prev = proto_period_start(PROTO_PERIOD_MONTH, s - 1);
		assert_true(prev < s && s - prev >= 28 * (uint64_t)D && s - prev <= 31 * (uint64_t)D);
		assert_int_equal(proto_period_start(PROTO_PERIOD_HOUR, nows[i]),
				 nows[i] - nows[i] % H);
		assert_int_equal(proto_period_start(PROTO_PERIOD_DAY, nows[i]), nows[i] - nows[i] % D);
	}
}

/* Every day from 1970 to 9999 (a varying time of day each): the month
 * starts where the C library says. */
static void
test_period_start_calendar(void **state)
{
	uint64_t day, now, want;
	struct tm tm;
	time_t t;

	(void)state;
	for (day = 0; day < 2932897; day++) {
		now = day * D + (day * 7919) % D;
		t = (time_t)now;
		assert_non_null(gmtime_r(&t, &tm));
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		want = (uint64_t)timegm(&tm);
		if (proto_period_start(PROTO_PERIOD_MONTH, now) != want)
			fail_msg("day %llu: %llu, want %llu", (unsigned long long)day,
				 (unsigned long long)proto_period_start(PROTO_PERIOD_MONTH, now),
				 (unsigned long long)want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_name),
		cmocka_unit_test(test_op_parse),
		cmocka_unit_test(test_status_parse),
		cmocka_unit_test(test_period_names),
		cmocka_unit_test(test_period_start_cases),
		cmocka_unit_test(test_period_start_extremes),
		cmocka_unit_test(test_period_start_calendar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
