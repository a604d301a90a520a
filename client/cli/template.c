/* SPDX-License-Identifier: MIT */
/* cred inject's template syntax: where the references are. No I/O and no
 * allocation here: cmd-inject.c resolves what template_scan() finds. */

#include <stdbool.h>
#include <string.h>

#include "client/cli/template.h"

#define URI_PREFIX "cred://"

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* A character of a reference after "cred://": a name's or an owner's. */
static bool
ref_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '@' || c == '+' || c == '/' || c == '-' || c == ':';
}

static bool
field_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* {{ cred "SPEC" }} at P (N bytes left): its length with SPEC's bounds
 * in *ret_s / *ret_len, or 0 when P does not start one. */
static size_t
match_braces(const uint8_t *p, size_t n, size_t *ret_s, size_t *ret_len)
{
	size_t i = 2, s;

	if (n < 2 || p[0] != '{' || p[1] != '{')
		return 0;
	while (i < n && is_ws(p[i]))
		i++;
	if (n - i < 4 || memcmp(p + i, "cred", 4) != 0)
		return 0;
	for (i += 4; i < n && is_ws(p[i]); i++)
		;
	if (i >= n || p[i] != '"')
		return 0;
	s = ++i;
	while (i < n && p[i] != '"' && p[i] != '\n')
		i++;
	if (i >= n || p[i] != '"' || i == s)
		return 0;
	*ret_s = s;
	*ret_len = i - s;
	for (i++; i < n && is_ws(p[i]); i++)
		;
	if (n - i < 2 || p[i] != '}' || p[i + 1] != '}')
		return 0;
	return i + 2;
}

/* cred://REF[#FIELD] at P: its length (SPEC is all of it), or 0. */
static size_t
match_uri(const uint8_t *p, size_t n)
{
	size_t k = strlen(URI_PREFIX), i, f;

	if (n <= k || memcmp(p, URI_PREFIX, k) != 0)
		return 0;
	for (i = k; i < n && ref_char(p[i]); i++)
		;
	if (i == k)
		return 0;
	if (i < n && p[i] == '#') {
		for (f = i + 1; f < n && field_char(p[f]); f++)
			;
		if (f > i + 1)
			i = f;
	}
	return i;
}

int
template_scan(const uint8_t *in, size_t n, template_ref_fn fn, void *ctx)
{
	size_t i = 0, k, s = 0, len = 0;
	int r = 0;

	while (r == 0 && i < n) {
		if ((k = match_braces(in + i, n - i, &s, &len)) > 0) {
			r = fn(ctx, in + i + s, len, i, i + k);
			i += k;
		} else if ((k = match_uri(in + i, n - i)) > 0) {
			r = fn(ctx, in + i, k, i, i + k);
			i += k;
		} else {
			i++;
		}
	}
	return r;
}
