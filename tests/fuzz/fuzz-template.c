/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the template scanner of cred inject
 * (template_scan) on arbitrary bytes.
 *
 * Invariants: references come in order, inside the input, without
 * overlapping, each a non-empty SPEC inside its span; a span starting
 * with '{' is {{ [blanks] cred [blanks] "SPEC" [blanks] }} with no '"'
 * or LF in SPEC, any other is cred://REF[#FIELD] and is SPEC itself.
 * Nothing is missed: the bytes between two references (and before the
 * first, after the last), scanned on their own, hold none; a reference's
 * span scanned on its own is that one reference again. A non-zero result
 * of the callback stops the scan at once and is what it returns.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                   \
	do {                       \
		if (!(x))          \
			abort();   \
	} while (0)

#define PREFIX     "cred://"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

struct ref {
	size_t spec, len, start, end; /* SPEC as an offset into the input */
};

struct refs {
	const uint8_t *in;
	size_t n;
	struct ref *items;
	size_t count, cap;
	size_t stop_at; /* return 7 at this many references; 0: never */
};

static int
collect(void *ctx, const uint8_t *spec, size_t len, size_t start, size_t end)
{
	struct refs *r = ctx;

	CHECK(r->count < r->cap);
	CHECK(spec >= r->in && spec <= r->in + r->n);
	r->items[r->count++] = (struct ref){
	        .spec = (size_t)(spec - r->in), .len = len, .start = start, .end = end};
	return r->stop_at != 0 && r->count == r->stop_at ? 7 : 0;
}

/* P (N bytes) scanned alone: its references, in a new array. */
static int
scan(const uint8_t *p, size_t n, size_t stop_at, struct refs *ret)
{
	/* the shortest reference, cred://a, is 8 bytes */
	*ret = (struct refs){.in = p, .n = n, .cap = n / 8 + 1, .stop_at = stop_at};
	ret->items = calloc(ret->cap, sizeof(*ret->items));
	if (ret->items == NULL)
		return -1;
	return template_scan(p, n, collect, ret);
}

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

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

/* {{ [blanks] cred [blanks] "SPEC" [blanks] }} exactly. */
static void
check_braces(const uint8_t *in, const struct ref *r)
{
	size_t i = r->start + 2;

	CHECK(r->end - r->start >= 11);
	CHECK(in[r->start + 1] == '{' && in[r->end - 2] == '}' && in[r->end - 1] == '}');
	while (i < r->end && is_ws(in[i]))
		i++;
	CHECK(r->end - i >= 4 && memcmp(in + i, "cred", 4) == 0);
	for (i += 4; i < r->end && is_ws(in[i]); i++)
		;
	CHECK(i < r->end && in[i] == '"' && r->spec == i + 1);
	CHECK(memchr(in + r->spec, '"', r->len) == NULL);
	CHECK(memchr(in + r->spec, '\n', r->len) == NULL);
	for (i = r->spec + r->len + 1; i < r->end - 2; i++)
		CHECK(is_ws(in[i]));
	CHECK(in[r->spec + r->len] == '"');
}

/* cred://REF[#FIELD] exactly, SPEC all of it. */
static void
check_uri(const uint8_t *in, const struct ref *r)
{
	size_t i = r->start + PREFIX_LEN;

	CHECK(r->spec == r->start && r->len == r->end - r->start && r->len > PREFIX_LEN);
	CHECK(memcmp(in + r->start, PREFIX, PREFIX_LEN) == 0);
	while (i < r->end && ref_char(in[i]))
		i++;
	CHECK(i > r->start + PREFIX_LEN);
	if (i < r->end) {
		CHECK(in[i] == '#' && i + 1 < r->end);
		for (i++; i < r->end; i++)
			CHECK(field_char(in[i]));
	}
}

/* P (N bytes), a stretch between references, holds none on its own. */
static void
check_none(const uint8_t *p, size_t n)
{
	struct refs r;

	if (scan(p, n, 0, &r) == 0)
		CHECK(r.count == 0);
	free(r.items);
}

/* R's span on its own is R again. */
static void
check_alone(const uint8_t *in, const struct ref *ref)
{
	struct refs r;

	if (scan(in + ref->start, ref->end - ref->start, 0, &r) == 0) {
		CHECK(r.count == 1);
		CHECK(r.items[0].start == 0 && r.items[0].end == ref->end - ref->start);
		CHECK(r.items[0].spec == ref->spec - ref->start && r.items[0].len == ref->len);
	}
	free(r.items);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct refs all, part;
	size_t i, at = 0;

	if (scan(data, size, 0, &all) != 0) {
		free(all.items);
		return 0;
	}
	for (i = 0; i < all.count; i++) {
		const struct ref *r = &all.items[i];

		CHECK(r->start >= at && r->start < r->end && r->end <= size);
		CHECK(r->len > 0 && r->spec >= r->start && r->spec + r->len <= r->end);
		if (data[r->start] == '{')
			check_braces(data, r);
		else
			check_uri(data, r);
		check_none(data + at, r->start - at);
		check_alone(data, r);
		at = r->end;
	}
	check_none(data + at, size - at);
	/* stopping at the last reference (or at the first, when only one) */
	if (all.count > 0) {
		size_t k = all.count > 1 ? all.count - 1 : 1;
		int r = scan(data, size, k, &part);

		if (part.items != NULL) {
			CHECK(r == 7 && part.count == k);
			CHECK(memcmp(part.items, all.items, k * sizeof(*part.items)) == 0);
		}
		free(part.items);
	}
	free(all.items);
	return 0;
}
