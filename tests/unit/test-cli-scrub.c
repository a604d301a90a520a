/* SPDX-License-Identifier: MIT */
/*
 * client/cli/scrub: a secret's bytes (raw, percent-encoded, with control
 * characters as spaces) replaced by "***" in messages, in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/cli/scrub.h"

/* S scrubbed of the secrets in L, in a block of SIZE bytes. */
static void
check(const struct scrub_list *l, const char *s, size_t size, const char *want)
{
	char buf[256];

	assert_true(size <= sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	strcpy(buf, s);
	scrub_string(l, buf, size);
	assert_string_equal(buf, want);
}

static void
test_forms(void **state)
{
	static const char pw[] = "p@ss w/rd";
	struct scrub_list l = {.n = 0};

	(void)state;
	scrub_add(&l, pw, strlen(pw));
	assert_int_equal(l.n, 2); /* raw and percent-encoded; no control */
	check(&l, "login p@ss w/rd failed", 64, "login *** failed");
	check(&l, "uri x://u:p%40ss%20w%2Frd@h", 64, "uri x://u:***@h");
	check(&l, "p@ss w/rdp@ss w/rd", 64, "******");
	check(&l, "nothing here", 64, "nothing here");
	check(&l, "", 64, "");
	scrub_free(&l);
	assert_int_equal(l.n, 0);
}

static void
test_control(void **state)
{
	static const char pw[] = "two\nlines";
	struct scrub_list l = {.n = 0};

	(void)state;
	scrub_add(&l, pw, strlen(pw));
	check(&l, "a two\nlines b", 64, "a *** b");
	/* As a one-line message shows it. */
	check(&l, "a two lines b", 64, "a *** b");
	scrub_free(&l);
}

static void
test_longest_first(void **state)
{
	struct scrub_list l = {.n = 0};

	(void)state;
	scrub_add(&l, "abc", 3);
	scrub_add(&l, "abcdef", 6);
	/* "abcdef" goes whole, not as "***def". */
	check(&l, "x abcdef y abc", 64, "x *** y ***");
	scrub_free(&l);
}

static void
test_growth_cut(void **state)
{
	struct scrub_list l = {.n = 0};

	(void)state;
	scrub_add(&l, "a", 1);
	/* Each "a" becomes three bytes: what passes the block is cut. */
	check(&l, "aaaa", 8, "******"); /* no room for the last one: cut */
	check(&l, "bab", 6, "b***b");
	scrub_free(&l);
}

static void
test_bytes_head_cut(void **state)
{
	static const char pw[] = "SECRETVALUE";
	struct scrub_list l = {.n = 0};
	uint8_t buf[64];
	size_t n;

	(void)state;
	scrub_add(&l, pw, strlen(pw));
	/* The output's start lost the secret's head: its tail still goes. */
	memcpy(buf, "VALUE\nrest", 10);
	n = scrub_bytes(&l, buf, 10, sizeof(buf), true);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "***\nrest", 8);
	/* The bytes past the new end are zeroed. */
	assert_int_equal(buf[8], 0);
	assert_int_equal(buf[9], 0);
	/* Without a cut, a tail alone is left. */
	memcpy(buf, "VALUE\nrest", 10);
	n = scrub_bytes(&l, buf, 10, sizeof(buf), false);
	assert_int_equal(n, 10);
	/* NUL bytes in the buffer do not stop the search. */
	memcpy(buf, "x\0SECRETVALUE", 13);
	n = scrub_bytes(&l, buf, 13, sizeof(buf), false);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "x\0***", 5);
	scrub_free(&l);
}

static void
test_full(void **state)
{
	static const char v[] = "v@lue"; /* two forms each */
	struct scrub_list l = {.n = 0};
	size_t i;

	(void)state;
	for (i = 0; i < SCRUB_MAX / 2; i++)
		scrub_add(&l, v, strlen(v));
	assert_false(scrub_full(&l));
	scrub_add(&l, v, strlen(v));
	scrub_add(&l, v, strlen(v));
	assert_true(scrub_full(&l));
	scrub_free(&l);
	assert_false(scrub_full(&l));
	scrub_add(&l, "", 0);
	assert_int_equal(l.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_forms),          cmocka_unit_test(test_control),
	        cmocka_unit_test(test_longest_first),  cmocka_unit_test(test_growth_cut),
	        cmocka_unit_test(test_bytes_head_cut), cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
