/* SPDX-License-Identifier: MIT */
/*
 * client/cli/template: where cred inject finds references in a template,
 * {{ cred "SPEC" }} and cred://REF[#FIELD], and what it leaves alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/cli/template.h"

#define REFS_MAX 16

/* What the scan reported, each reference as "START-END:SPEC". */
struct seen {
	char refs[REFS_MAX][128];
	size_t n;
	size_t stop_at; /* stop (returning 42) at this many references; 0: never */
};

static int
record(void *ctx, const uint8_t *spec, size_t len, size_t start, size_t end)
{
	struct seen *s = ctx;

	assert_true(s->n < REFS_MAX);
	assert_true(len > 0 && len < 100);
	snprintf(s->refs[s->n], sizeof(s->refs[0]), "%zu-%zu:%.*s", start, end, (int)len,
	         (const char *)spec);
	s->n++;
	return s->stop_at != 0 && s->n == s->stop_at ? 42 : 0;
}

/* Scans TEXT: 0 expected; the references must be exactly the NULL-ended
 * list that follows. */
static void
expect_refs(const char *text, ...)
{
	struct seen s = {0};
	const char *want;
	va_list ap;
	size_t i = 0;

	assert_int_equal(template_scan((const uint8_t *)text, strlen(text), record, &s), 0);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= s.n)
			fail_msg("%s: reference %zu (%s) not found", text, i, want);
		assert_string_equal(s.refs[i], want);
		i++;
	}
	va_end(ap);
	if (i != s.n)
		fail_msg("%s: %zu references, expected %zu (first extra: %s)", text, s.n, i,
		         s.refs[i]);
}

static void
test_braces(void **state)
{
	(void)state;
	expect_refs("{{ cred \"app/token\" }}", "0-22:app/token", NULL);
	expect_refs("{{cred \"db/main#host\"}}", "0-23:db/main#host", NULL);
	expect_refs("x{{ \t cred \t \"a\" \t }}y", "1-21:a", NULL);
	expect_refs("{{ cred \"1000:app/t\" }}", "0-23:1000:app/t", NULL);
	/* a SPEC is anything but '"' and LF: its checks are cli_parse_fref's */
	expect_refs("{{ cred \"a b{}\" }}", "0-18:a b{}", NULL);
	expect_refs("{{ cred \"a\" }}{{ cred \"b\" }}", "0-14:a", "14-28:b", NULL);
}

static void
test_braces_not(void **state)
{
	(void)state;
	expect_refs("{{ .Values.image }} and {{ not cred }} stay", NULL);
	expect_refs("{{ cred \"\" }}", NULL);     /* empty SPEC */
	expect_refs("{{ cred \"a\nb\" }}", NULL); /* LF inside */
	expect_refs("{{ cred \"a\" }", NULL);     /* one closing brace */
	expect_refs("{{ cred \"a\" x }}", NULL);  /* text before the braces */
	expect_refs("{{ cred 'a' }}", NULL);      /* single quotes */
	expect_refs("{{ credx \"a\" }}", NULL);   /* credx is not cred */
	expect_refs("{{ Cred \"a\" }}", NULL);    /* case matters */
	expect_refs("{ { cred \"a\" }}", NULL);
	expect_refs("{{\ncred \"a\" }}", NULL); /* only spaces and tabs */
	expect_refs("{{ cred \"a", NULL);       /* cut short */
	expect_refs("{{", NULL);
	expect_refs("{", NULL);
	expect_refs("", NULL);
}

/* cred followed directly by the quote is still a reference. */
static void
test_braces_tight(void **state)
{
	(void)state;
	expect_refs("{{cred\"a\"}}", "0-11:a", NULL);
	/* a failed {{ is passed over one byte at a time: the next {{ counts */
	expect_refs("{{{{ cred \"a\" }}", "2-16:a", NULL);
}

static void
test_uri(void **state)
{
	(void)state;
	expect_refs("cred://app/token", "0-16:cred://app/token", NULL);
	expect_refs("x=cred://db/main#password;", "2-25:cred://db/main#password", NULL);
	/* a '#' without a field is left out */
	expect_refs("cred://a#", "0-8:cred://a", NULL);
	expect_refs("cred://a#Upper", "0-8:cred://a", NULL);
	expect_refs("cred://1000:a.b@c+d-e_f/g", "0-25:cred://1000:a.b@c+d-e_f/g", NULL);
	expect_refs("postgresql://cred://db#username@cred://db#host:5433/app",
	            "13-31:cred://db#username", "32-46:cred://db#host", NULL);
	expect_refs("\"cred://a\" 'cred://b'", "1-9:cred://a", "12-20:cred://b", NULL);
	/* a URI ends at the first byte that cannot be part of it */
	expect_refs("cred://a b", "0-8:cred://a", NULL);
	expect_refs("cred://a#b#c", "0-10:cred://a#b", NULL);
}

static void
test_uri_not(void **state)
{
	(void)state;
	expect_refs("cred://", NULL);
	expect_refs("cred:// a", NULL);
	expect_refs("cred://#f", NULL);
	expect_refs("CRED://a", NULL);
	expect_refs("cred:/a", NULL);
}

/* Inside braces a URI is the SPEC (one reference), not a second one. */
static void
test_nesting(void **state)
{
	(void)state;
	expect_refs("{{ cred \"cred://a#b\" }}", "0-23:cred://a#b", NULL);
	/* braces that do not close leave the URI inside them found */
	expect_refs("{{ cred \"cred://a\" }", "9-17:cred://a", NULL);
}

/* NUL bytes are bytes like any other. */
static void
test_nul(void **state)
{
	static const uint8_t text[] = "\0cred://a\0{{ cred \"b\" }}\0";
	struct seen s = {0};

	(void)state;
	assert_int_equal(template_scan(text, sizeof(text) - 1, record, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.refs[0], "1-9:cred://a");
	assert_string_equal(s.refs[1], "10-24:b");
}

/* The callback's non-zero result stops the scan and is returned. */
static void
test_stop(void **state)
{
	static const char text[] = "cred://a cred://b cred://c";
	struct seen s = {.stop_at = 2};

	(void)state;
	assert_int_equal(template_scan((const uint8_t *)text, strlen(text), record, &s), 42);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.refs[1], "9-17:cred://b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_braces),       cmocka_unit_test(test_braces_not),
	        cmocka_unit_test(test_braces_tight), cmocka_unit_test(test_uri),
	        cmocka_unit_test(test_uri_not),      cmocka_unit_test(test_nesting),
	        cmocka_unit_test(test_nul),          cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
