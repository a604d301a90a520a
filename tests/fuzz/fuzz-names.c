/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the name, label, prefix and type validators on
 * arbitrary bytes, with invariants that tie them together; and for the
 * parsers of operation, period and status names, whose results name the
 * bytes back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                   \
	do {                       \
		if (!(x))          \
			abort();   \
	} while (0)

static bool
has(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

static void
check_name(const uint8_t *p, size_t n)
{
	static uint8_t slash[PROTO_NAME_MAX + 1];
	size_t i;

	if (!proto_name_valid(p, n))
		return;
	CHECK(n >= 1 && n <= PROTO_NAME_MAX);
	CHECK(p[0] != '/' && p[n - 1] != '/' && !has(p, n, "//"));
	CHECK(!(n == 2 && p[0] == '.' && p[1] == '.'));
	CHECK(!(n >= 3 && memcmp(p, "../", 3) == 0));
	CHECK(!(n >= 3 && memcmp(p + n - 3, "/..", 3) == 0));
	CHECK(!has(p, n, "/../"));
	for (i = 0; i < n; i++)
		CHECK(p[i] > 0x20 && p[i] < 0x7f);
	/* every name is a prefix, with or without a trailing slash */
	CHECK(proto_prefix_valid(p, n));
	memcpy(slash, p, n);
	slash[n] = '/';
	CHECK(proto_prefix_valid(slash, n + 1));
}

/* The bytes as a C string: a parsed name gives the same name back. */
static void
check_parsers(const uint8_t *p, size_t n)
{
	char s[64];
	int r;

	if (n >= sizeof(s) || memchr(p, 0, n) != NULL)
		return;
	memcpy(s, p, n);
	s[n] = '\0';
	r = proto_op_parse(s);
	if (r >= 0) {
		CHECK(r <= 0xff && proto_op_name((uint8_t)r) != NULL);
		CHECK(strcmp(proto_op_name((uint8_t)r), s) == 0);
	}
	r = proto_period_parse(s);
	if (r >= 0)
		CHECK(proto_period_name((uint32_t)r) != NULL &&
		      strcmp(proto_period_name((uint32_t)r), s) == 0);
	r = proto_status_parse(s);
	if (r >= 0)
		CHECK(r <= (int)PROTO_STATUS_MAX &&
		      strcasecmp(proto_status_name((uint16_t)r), s) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, eq;

	check_name(data, size);
	check_parsers(data, size);
	if (proto_type_valid(data, size)) {
		CHECK(size >= 1 && size <= PROTO_TYPE_MAX);
		CHECK(proto_name_valid(data, size));
	}
	if (proto_label_valid(data, size)) {
		CHECK(size >= 2 && size <= PROTO_LABEL_MAX);
		for (eq = 0; data[eq] != '='; eq++)
			;
		CHECK(eq >= 1 && eq <= PROTO_LABEL_KEY_MAX);
		for (i = 0; i < size; i++)
			CHECK(data[i] >= 0x20 && data[i] < 0x7f);
	}
	if (proto_prefix_valid(data, size)) {
		CHECK(size <= PROTO_NAME_MAX + 1);
		if (size > 0)
			CHECK(proto_name_valid(data, size - (data[size - 1] == '/')));
	} else {
		CHECK(size > 0);
	}
	return 0;
}
