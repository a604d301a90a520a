/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the name, label, prefix and type validators on
 * arbitrary bytes, with invariants that tie them together.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, eq;

	check_name(data, size);
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
