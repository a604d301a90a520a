/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for typed field sets: the bytes checked as the VALUE
 * of every type of the registry (proto_typed_check), and read with
 * proto_typed_get for a few keys. Every type agrees on whether the bytes
 * are a well-formed field set, and so does proto_typed_get; WHY is a
 * bounded line of printable ASCII that names a field or says what is
 * malformed; a set a type accepts has its required fields; a well-formed
 * set, walked group by group and written back with
 * proto_put_typed_field, gives the same bytes, and every field it holds
 * is what proto_typed_get returns for its key.
 */
#include <errno.h>
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

#define OUT_MAX ((size_t)1 << 20)
static uint8_t out[OUT_MAX + 64];

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* WHY: terminated within its buffer, printable ASCII, and the kind of
 * message R calls for. */
static void
check_why(const char *why, size_t cap, int r)
{
	size_t n = strnlen(why, cap), i;

	CHECK(n < cap);
	for (i = 0; i < n; i++)
		CHECK(why[i] >= 0x20 && why[i] <= 0x7e);
	if (r == 0)
		CHECK(n == 0);
	else if (r == -EINVAL)
		CHECK(starts(why, "missing required field \"") || starts(why, "field \"") ||
		      strcmp(why, "generic secrets have no fields") == 0);
	else
		CHECK(r == -EBADMSG && n > 0);
}

/* A well-formed set: walked, every group decodes with a value, keys
 * ascend, proto_typed_get finds each, and writing it back gives it. */
static void
walk(struct proto_bytes set)
{
	struct proto_list_span span = {set, 0};
	struct proto_bytes g, k, v, got, prev = {NULL, 0};
	struct proto_iter it;
	struct buf_writer w;
	uint32_t n = 0;
	bool has;
	size_t m;

	buf_writer_init(&w, out, sizeof(out));
	proto_iter_init(&it, &span);
	while (proto_iter_next(&it, &g) == 1) {
		CHECK(proto_decode_typed_field(g, &k, &v, &has) == 0 && has);
		CHECK(k.len >= 1 && k.len <= PROTO_FIELD_KEY_MAX);
		if (n > 0) {
			m = prev.len < k.len ? prev.len : k.len;
			CHECK(memcmp(prev.ptr, k.ptr, m) < 0 ||
			      (memcmp(prev.ptr, k.ptr, m) == 0 && prev.len < k.len));
		}
		CHECK(proto_typed_get(set, (const char *)k.ptr, k.len, &got) == 1);
		CHECK(got.ptr == v.ptr && got.len == v.len);
		proto_put_typed_field(&w, k.ptr, k.len, v.ptr, v.len);
		prev = k;
		n++;
	}
	CHECK(n >= 1 && n <= PROTO_TYPED_FIELDS_MAX);
	CHECK(buf_writer_error(&w) == 0 && w.len == set.len && memcmp(out, set.ptr, w.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"host", "port", "password", "value", "key",
					   "provider", "a", "zz"};
	const struct proto_type *t;
	const struct proto_type_field *f;
	struct proto_bytes set = {data, size}, v;
	char why[96], tiny[4];
	int r, get, wellformed = -1;
	uint32_t j;
	size_t i;

	if (size > OUT_MAX)
		return 0;
	get = proto_typed_get(set, "password", 8, &v);
	CHECK(get == 1 || get == 0 || get == -EBADMSG);
	if (get == 1)
		CHECK(v.len <= size && (v.len == 0 || (v.ptr >= data && v.ptr + v.len <= data + size)));
	for (i = 0; (t = proto_type_at(i)) != NULL; i++) {
		memset(why, 'X', sizeof(why));
		r = proto_typed_check(t, set, why, sizeof(why));
		check_why(why, sizeof(why), r);
		if (i == 0) {
			/* generic: never a field set */
			CHECK(r == -EINVAL);
			continue;
		}
		CHECK(r == 0 || r == -EINVAL || r == -EBADMSG);
		/* one answer to "well formed?" for every type, and get's */
		if (wellformed < 0)
			wellformed = r != -EBADMSG;
		CHECK(wellformed == (r != -EBADMSG));
		CHECK((get == -EBADMSG) == (r == -EBADMSG));
		/* a short WHY says the same, cut */
		CHECK(proto_typed_check(t, set, tiny, sizeof(tiny)) == r);
		CHECK(strlen(tiny) < sizeof(tiny) && strncmp(tiny, why, strlen(tiny)) == 0);
		if (r != 0)
			continue;
		for (j = 0; j < t->n_fields; j++) {
			f = &t->fields[j];
			if ((f->flags & PROTO_FIELD_REQUIRED) != 0)
				CHECK(proto_typed_get(set, f->name, strlen(f->name), &v) == 1);
		}
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		r = proto_typed_get(set, keys[i], strlen(keys[i]), &v);
		CHECK(get == -EBADMSG ? r == -EBADMSG : (r == 0 || r == 1));
		if (r == 1)
			CHECK(v.len == 0 || (v.ptr >= data && v.ptr + v.len <= data + size));
	}
	if (get != -EBADMSG)
		walk(set);
	return 0;
}
