/* SPDX-License-Identifier: MIT */
/*
 * client/cli/dotenv and dburi: the .env parser of cred import-env,
 * provider API key names, and database URIs percent-decoded into fields.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/cli/dburi.h"
#include "client/cli/dotenv.h"

/* Parses TEXT, which must succeed. */
static void
parse_ok(const char *text, struct dotenv *d)
{
	const char *why = NULL;
	unsigned line = 0;
	int r;

	r = dotenv_parse((const uint8_t *)text, strlen(text), d, &line, &why);
	if (r != 0)
		fail_msg("line %u: %s", line, why != NULL ? why : "?");
}

/* The entry for KEY, which must be there. */
static const struct dotenv_entry *
entry(const struct dotenv *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->items[i].key, key) == 0)
			return &d->items[i];
	fail_msg("no entry %s", key);
	return NULL;
}

static void
check(const struct dotenv *d, const char *key, const char *value)
{
	const struct dotenv_entry *e = entry(d, key);

	assert_int_equal(e->len, strlen(value));
	assert_memory_equal(e->value, value, e->len);
	assert_int_equal(e->value[e->len], '\0');
}

static void
test_basic(void **state)
{
	static const char text[] =
	        "# a comment\n"
	        "\n"
	        "PLAIN=value\n"
	        "  SPACED = padded value   \n"
	        "export EXPORTED=yes\n"
	        "export\tTABBED=1\n"
	        "EMPTY=\n"
	        "EMPTY_COMMENT= # nothing\n"
	        "HASH=a#b\n"
	        "COMMENTED=abc # trailing comment\n"
	        "_UNDER9=x\n"
	        "CRLF=dos\r\n"
	        "exportNOT=plain\n"
	        "LAST=no newline";
	struct dotenv d;

	(void)state;
	parse_ok(text, &d);
	assert_int_equal(d.n, 12);
	check(&d, "PLAIN", "value");
	check(&d, "SPACED", "padded value");
	check(&d, "EXPORTED", "yes");
	check(&d, "TABBED", "1");
	check(&d, "EMPTY", "");
	check(&d, "EMPTY_COMMENT", "");
	check(&d, "HASH", "a#b");
	check(&d, "COMMENTED", "abc");
	check(&d, "_UNDER9", "x");
	check(&d, "CRLF", "dos");
	check(&d, "exportNOT", "plain");
	check(&d, "LAST", "no newline");
	assert_int_equal(entry(&d, "PLAIN")->line, 3);
	assert_int_equal(entry(&d, "LAST")->line, 14);
	/* File order. */
	assert_string_equal(d.items[0].key, "PLAIN");
	assert_string_equal(d.items[11].key, "LAST");
	dotenv_free(&d);
}

static void
test_quotes(void **state)
{
	static const char text[] =
	        "SINGLE='lit $HOME \\n \"x\" # not a comment'\n"
	        "DOUBLE=\"a\\nb\\tc\\\\d\\\"e\\$f\\qg\"\n"
	        "DQ_COMMENT=\"with # hash\" # and a comment\n"
	        "SQ_SPACES='  kept  '   \n"
	        "MULTI=\"line1\nline2\"\n"
	        "MULTI_SQ='-----BEGIN KEY-----\nabc\n-----END KEY-----'\n"
	        "AFTER=1\n"
	        "EMPTY_DQ=\"\"\n"
	        "EMPTY_SQ=''\n"
	        "INNER=it's\n";
	struct dotenv d;

	(void)state;
	parse_ok(text, &d);
	check(&d, "SINGLE", "lit $HOME \\n \"x\" # not a comment");
	check(&d, "DOUBLE", "a\nb\tc\\d\"e$f\\qg");
	check(&d, "DQ_COMMENT", "with # hash");
	check(&d, "SQ_SPACES", "  kept  ");
	check(&d, "MULTI", "line1\nline2");
	check(&d, "MULTI_SQ", "-----BEGIN KEY-----\nabc\n-----END KEY-----");
	check(&d, "AFTER", "1");
	check(&d, "EMPTY_DQ", "");
	check(&d, "EMPTY_SQ", "");
	check(&d, "INNER", "it's");
	/* Line numbers go on after a value spanning lines. */
	assert_int_equal(entry(&d, "MULTI_SQ")->line, 7);
	assert_int_equal(entry(&d, "AFTER")->line, 10);
	dotenv_free(&d);
}

static void
test_duplicates(void **state)
{
	struct dotenv d;

	(void)state;
	parse_ok("A=1\nB=2\nA=3\n", &d);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.items[0].key, "A");
	check(&d, "A", "3");
	assert_int_equal(entry(&d, "A")->line, 1);
	dotenv_free(&d);
}

static void
test_empty_file(void **state)
{
	struct dotenv d;

	(void)state;
	parse_ok("", &d);
	assert_int_equal(d.n, 0);
	dotenv_free(&d);
	parse_ok("# only\n\n   \n", &d);
	assert_int_equal(d.n, 0);
	dotenv_free(&d);
}

/* TEXT (LEN bytes) must fail at LINE with a reason containing WHY. */
static void
parse_bad(const char *text, size_t len, unsigned want_line, const char *want_why)
{
	const char *why = NULL;
	struct dotenv d;
	unsigned line = 0;

	assert_int_equal(dotenv_parse((const uint8_t *)text, len, &d, &line, &why), -EINVAL);
	assert_int_equal(line, want_line);
	assert_non_null(why);
	if (strstr(why, want_why) == NULL)
		fail_msg("'%s' does not say '%s'", why, want_why);
	dotenv_free(&d);
}

/* A string literal's bytes, an embedded NUL included. */
#define BAD(text, line, why) parse_bad(text, sizeof(text) - 1, line, why)

static void
test_errors(void **state)
{
	(void)state;
	BAD("A=1\nnot an assignment\n", 2, "expected '='");
	BAD("A=1\n=value\n", 2, "expected NAME=VALUE");
	BAD("1ABC=x\n", 1, "expected NAME=VALUE");
	BAD("A-B=x\n", 1, "expected '='");
	BAD("export A\n", 1, "expected '='");
	BAD("A=1\nB='open\n\nC=2\n", 2, "unterminated single");
	BAD("B=\"open\\\"\n", 1, "unterminated double");
	BAD("B='x' y\n", 1, "after the closing quote");
	BAD("B=\"x\"y\n", 1, "after the closing quote");
	BAD("A=1\nB=x\0y\n", 2, "NUL");
}

static void
test_provider(void **state)
{
	(void)state;
	assert_string_equal(dotenv_provider("OPENAI_API_KEY"), "openai");
	assert_string_equal(dotenv_provider("GEMINI_API_KEY"), "gemini");
	assert_string_equal(dotenv_provider("GOOGLE_API_KEY"), "gemini");
	assert_string_equal(dotenv_provider("ANTHROPIC_API_KEY"), "anthropic");
	assert_string_equal(dotenv_provider("OPENROUTER_API_KEY"), "openrouter");
	assert_string_equal(dotenv_provider("GROQ_API_KEY"), "groq");
	assert_null(dotenv_provider("openai_api_key"));
	assert_null(dotenv_provider("MY_OPENAI_API_KEY"));
	assert_null(dotenv_provider("API_KEY"));
}

static void
part_is(const struct dburi_part *p, const char *want)
{
	if (want == NULL) {
		assert_null(p->p);
		return;
	}
	assert_non_null(p->p);
	assert_int_equal(p->len, strlen(want));
	assert_memory_equal(p->p, want, p->len);
}

static int
uri(const char *s, struct dburi *u)
{
	return dburi_parse((const uint8_t *)s, strlen(s), u);
}

static void
test_uri_postgresql(void **state)
{
	struct dburi u;

	(void)state;
	assert_int_equal(uri("postgres://app%40x:p%40ss%3A%2F%3F%23%25%20w@db.example.com:6432/"
	                     "my%20db?sslmode=require",
	                     &u),
	                 1);
	assert_string_equal(u.type, "postgresql");
	part_is(&u.username, "app@x");
	part_is(&u.password, "p@ss:/?#% w");
	part_is(&u.host, "db.example.com");
	part_is(&u.port, "6432");
	part_is(&u.database, "my db");
	assert_string_equal(u.option_key, "sslmode");
	part_is(&u.option, "require");
	dburi_free(&u);

	/* No port, no query; the scheme in any case; '@' in the password
	 * unencoded (the last '@' ends the user part). */
	assert_int_equal(uri("POSTGRESQL://u:a@b@localhost/d", &u), 1);
	part_is(&u.password, "a@b");
	part_is(&u.port, NULL);
	part_is(&u.option, NULL);
	dburi_free(&u);

	/* IPv6, a socket directory encoded, or given as ?host=. */
	assert_int_equal(uri("postgresql://u:p@[::1]:5433/d", &u), 1);
	part_is(&u.host, "::1");
	part_is(&u.port, "5433");
	dburi_free(&u);
	assert_int_equal(uri("postgresql://u:p@%2Fvar%2Frun%2Fpostgresql/d", &u), 1);
	part_is(&u.host, "/var/run/postgresql");
	dburi_free(&u);
	assert_int_equal(uri("postgresql://u:p@/d?host=%2Ftmp%2Fpg", &u), 1);
	part_is(&u.host, "/tmp/pg");
	dburi_free(&u);
	/* An empty password is a password. */
	assert_int_equal(uri("postgresql://u:@h/d", &u), 1);
	part_is(&u.password, "");
	dburi_free(&u);
}

static void
test_uri_mysql(void **state)
{
	struct dburi u;

	(void)state;
	assert_int_equal(uri("mysql://root:s%2Bcret@127.0.0.1:3307/shop?ssl=true", &u), 1);
	assert_string_equal(u.type, "mysql");
	part_is(&u.username, "root");
	part_is(&u.password, "s+cret");
	part_is(&u.host, "127.0.0.1");
	part_is(&u.port, "3307");
	part_is(&u.database, "shop");
	assert_string_equal(u.option_key, "ssl");
	part_is(&u.option, "true");
	dburi_free(&u);
}

/* Values that stay generic: not a database URI, or one the fields cannot
 * hold whole. */
static void
test_uri_generic(void **state)
{
	static const char *const bad[] = {
	        "https://u:p@h/d",
	        "postgres://",
	        "postgresql://h/d",                     /* no user */
	        "postgresql://u@h/d",                   /* no password */
	        "postgresql://u:p@h",                   /* no database */
	        "postgresql://u:p@h/",                  /* empty database */
	        "postgresql://u:p@h?x=1",               /* no path */
	        "postgresql://u:p@h:0/d",               /* bad port */
	        "postgresql://u:p@h:65536/d",
	        "postgresql://u:p@h:/d",
	        "postgresql://u:p@h:54x/d",
	        "postgresql://u:p@h/d?sslmode=sometimes",
	        "postgresql://u:p@h/d?application_name=x",
	        "postgresql://u:p@h/d?sslmode=require&sslmode=disable",
	        "postgresql://u:p@h/d#frag",
	        "postgresql://u:p@h1,h2/d",              /* several hosts */
	        "postgresql://u:p@h/a/b",
	        "postgresql://u:p%zz@h/d",               /* bad escape */
	        "postgresql://u:p%2@h/d",
	        "postgresql://u%0A:p@h/d",               /* control character */
	        "postgresql://u:p@/d",                   /* no host */
	        "postgresql://u:p@h/d?host=%2Ftmp",      /* host twice */
	        "postgresql://:p@h/d",                   /* empty user */
	        "postgresql://u%C3:p@h/d",               /* bad UTF-8 */
	        "postgresql://u:p@[abc]/d",
	        "mysql://u:p@h/d?ssl=1",
	        "mysql://u:p@h/d?sslmode=require",
	        "mysql://u:p@/d?host=%2Ftmp",
	};
	struct dburi u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (uri(bad[i], &u) != 0)
			fail_msg("%s: taken as a database URI", bad[i]);
		assert_null(u.password.p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_basic),          cmocka_unit_test(test_quotes),
	        cmocka_unit_test(test_duplicates),     cmocka_unit_test(test_empty_file),
	        cmocka_unit_test(test_errors),         cmocka_unit_test(test_provider),
	        cmocka_unit_test(test_uri_postgresql), cmocka_unit_test(test_uri_mysql),
	        cmocka_unit_test(test_uri_generic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
