/* SPDX-License-Identifier: MIT */
/*
 * proto/: round trips of access control beyond the golden examples:
 * SHARE and UNSHARE with every grantee kind, flag and permission, fields
 * at their extremes, GRANT groups up to PROTO_GRANTS_MAX in an INFO
 * reply, SHARED in INFO replies and LIST entries (its range and place
 * too; 0 left out), and the replies an agent sends to SHARE and UNSHARE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-test.h"

static uint8_t out[BUF_MAX];

static struct buf_writer
writer(void)
{
	struct buf_writer w;

	buf_writer_init(&w, out, sizeof(out));
	return w;
}

#define ENCODE(call)                                       \
	do {                                               \
		struct buf_writer w_ = writer(), *w = &w_; \
		assert_int_equal((call), 0);               \
		len = w_.len;                              \
	} while (0)

static const struct proto_meta meta_small = {
	.owner = 1000,
	.name = B("a"),
	.version = 1,
	.type = B("generic"),
	.max_versions = 10,
	.created = 1,
	.updated = 2,
};


static void
put_meta_required(void)
{
	proto_put_meta_fields(&bw, &meta_small, false);
}

/* The body of meta_small's INFO reply, and so of its ENTRY group. */
static size_t
meta_small_len(void)
{
	struct buf_writer w;

	buf_writer_init(&w, NULL, 0);
	proto_put_meta_fields(&w, &meta_small, true);
	return w.len;
}

static void
rt_share(uint8_t type, const struct proto_share *m)
{
	struct proto_share d, want = *m;
	size_t len;

	ENCODE(proto_encode_share(w, type, 30, m));
	assert_int_equal(proto_decode_share(frame_body(out, len, false, type, 30, 0), type, &d), 0);
	if (type == PROTO_MSG_UNSHARE)
		want.perm = 0;
	cmp_share(&d, &want);
}

static void
test_rt_share(void **state)
{
	static uint8_t name[PROTO_NAME_MAX];
	struct proto_share m = {0};
	uint32_t perm, flags;
	int gid;

	(void)state;
	memset(name, 'n', sizeof(name));
	for (gid = 0; gid <= 1; gid++) {
		for (flags = 0; flags <= PROTO_SHARE_FLAGS_ALL; flags++) {
			for (perm = 1; perm <= PROTO_PERM_MAX; perm++) {
				m = (struct proto_share){
					.ref = {.name = B("db/prod")},
					.flags = flags,
					.is_gid = gid == 1,
					.grantee = 1500,
					.perm = perm,
				};
				rt_share(PROTO_MSG_SHARE, &m);
				rt_share(PROTO_MSG_UNSHARE, &m);
				m.ref = (struct proto_ref){.has_owner = true, .owner = UINT32_MAX,
							   .name = {name, sizeof(name)}};
				m.grantee = gid == 1 ? 0 : UINT32_MAX;
				rt_share(PROTO_MSG_SHARE, &m);
				rt_share(PROTO_MSG_UNSHARE, &m);
			}
		}
	}
}

/* The least SHARE and UNSHARE are exactly their required fields. */
static void
test_share_sizes(void **state)
{
	struct proto_share m = {.ref = {.name = B("k")}, .grantee = 1, .perm = PROTO_PERM_READ};
	const size_t name = PROTO_FIELD_HDR + 1, u32 = PROTO_FIELD_HDR + 4;
	size_t len;

	(void)state;
	ENCODE(proto_encode_share(w, PROTO_MSG_SHARE, 1, &m));
	assert_int_equal(len, PROTO_REQ_HDR + name + 2 * u32);
	ENCODE(proto_encode_share(w, PROTO_MSG_UNSHARE, 1, &m));
	assert_int_equal(len, PROTO_REQ_HDR + name + u32);
	m.flags = PROTO_SHARE_PREFIX;
	m.ref.has_owner = true;
	ENCODE(proto_encode_share(w, PROTO_MSG_SHARE, 1, &m));
	assert_int_equal(len, PROTO_REQ_HDR + name + 4 * u32);
	/* a counting writer agrees */
	{
		struct buf_writer cw;

		buf_writer_init(&cw, NULL, 0);
		assert_int_equal(proto_encode_share(&cw, PROTO_MSG_SHARE, 1, &m), 0);
		assert_int_equal(cw.len, len);
	}
}

static void
rt_grant(const struct proto_grant *g)
{
	struct proto_list_span span;
	struct proto_grant d;
	struct proto_iter it;
	struct proto_bytes b;
	struct buf_writer w = writer();

	proto_put_grant(&w, g);
	assert_int_equal(buf_writer_error(&w), 0);
	assert_int_equal(out[0], PROTO_TAG_GRANT);
	assert_int_equal(out[1], PROTO_KIND_GROUP);
	span = (struct proto_list_span){{out, w.len}, 1};
	proto_iter_init(&it, &span);
	assert_int_equal(proto_iter_next(&it, &b), 1);
	assert_int_equal(proto_decode_grant(b, &d), 0);
	cmp_grant(&d, g);
	assert_int_equal(proto_iter_next(&it, &b), 0);
}

static void
test_rt_grant(void **state)
{
	static uint8_t name[PROTO_NAME_MAX];
	struct proto_grant g;
	uint32_t perm;

	(void)state;
	memset(name, 'g', sizeof(name));
	for (perm = 1; perm <= PROTO_PERM_MAX; perm++) {
		g = (struct proto_grant){.name = B("x"), .perm = perm};
		rt_grant(&g);
		g = (struct proto_grant){
			.name = {name, sizeof(name)},
			.created = UINT64_MAX,
			.created_by = UINT32_MAX,
			.flags = PROTO_SHARE_PREFIX,
			.is_gid = true,
			.grantee = UINT32_MAX,
			.perm = perm,
		};
		rt_grant(&g);
	}
}

/* An INFO reply with as many GRANT groups as allowed, and SHARED. */
static void
test_rt_info_grants(void **state)
{
	static uint8_t grants[PROTO_GRANTS_MAX * 96];
	struct proto_meta m = meta_small, d;
	struct proto_grant g = {.name = B("team/x"), .created = 5, .created_by = 1000};
	struct proto_iter it;
	struct proto_bytes b;
	struct buf_writer gw;
	size_t len;
	uint32_t i;

	(void)state;
	buf_writer_init(&gw, grants, sizeof(grants));
	for (i = 0; i < PROTO_GRANTS_MAX; i++) {
		g.is_gid = i % 2 == 1;
		g.flags = i % 3 == 0 ? PROTO_SHARE_PREFIX : 0;
		g.grantee = 2000 + i;
		g.perm = i % 2 + 1;
		proto_put_grant(&gw, &g);
	}
	assert_int_equal(buf_writer_error(&gw), 0);
	m.grants = (struct proto_list_span){{grants, gw.len}, PROTO_GRANTS_MAX};
	m.message = B("shared with 256 grantees");
	ENCODE(proto_encode_info_reply(w, 5, &m));
	assert_int_equal(proto_decode_info_reply(frame_body(out, len, true, 0x85, 5, 0), &d), 0);
	cmp_meta(&d, &m);
	proto_iter_init(&it, &d.grants);
	for (i = 0; proto_iter_next(&it, &b) == 1; i++) {
		assert_int_equal(proto_decode_grant(b, &g), 0);
		assert_int_equal(g.grantee, 2000 + i);
		assert_int_equal(g.is_gid, i % 2 == 1);
	}
	assert_int_equal(i, PROTO_GRANTS_MAX);

	/* no grants, SHARED: a grantee's view */
	m = meta_small;
	m.shared = 1;
	ENCODE(proto_encode_info_reply(w, 5, &m));
	assert_int_equal(len, PROTO_REPLY_HDR + meta_small_len() + PROTO_FIELD_HDR + 4);
	assert_int_equal(proto_decode_info_reply(frame_body(out, len, true, 0x85, 5, 0), &d), 0);
	cmp_meta(&d, &m);
	/* an ENTRY never carries GRANT: proto_put_meta_entry leaves them out */
	{
		struct buf_writer ew = writer();
		struct proto_list_span sp;

		m.grants = (struct proto_list_span){{grants, gw.len}, PROTO_GRANTS_MAX};
		proto_put_meta_entry(&ew, &m);
		assert_int_equal(buf_writer_error(&ew), 0);
		sp = (struct proto_list_span){{out, ew.len}, 1};
		proto_iter_init(&it, &sp);
		assert_int_equal(proto_iter_next(&it, &b), 1);
		assert_int_equal(proto_decode_meta_entry(b, &d), 0);
		assert_int_equal(d.grants.count, 0);
		assert_int_equal(d.grants.raw.len, 0);
		assert_int_equal(d.shared, 1);
	}
}

/* SHARED 0 is the default: sent, it decodes as left out, and encoders
 * leave it out. */
static void
test_shared_zero(void **state)
{
	static uint8_t in[256];
	struct proto_meta explicit_, omitted;
	struct buf_writer sw;
	size_t len, base;

	(void)state;
	ENCODE(proto_encode_info_reply(w, 5, &meta_small));
	base = len;
	buf_writer_init(&sw, in, sizeof(in));
	proto_put_meta_fields(&sw, &meta_small, true);
	proto_put_u32(&sw, PROTO_TAG_SHARED, 0);
	assert_int_equal(buf_writer_error(&sw), 0);
	assert_int_equal(proto_decode_info_reply((struct proto_bytes){in, sw.len}, &explicit_), 0);
	assert_int_equal(proto_decode_meta_entry((struct proto_bytes){in, sw.len}, &omitted), 0);
	assert_int_equal(omitted.shared, 0);
	ENCODE(proto_encode_info_reply(w, 5, &explicit_));
	assert_int_equal(len, base);
	assert_int_equal(proto_decode_info_reply(frame_body(out, len, true, 0x85, 5, 0), &omitted),
			 0);
	cmp_meta(&omitted, &explicit_);
	assert_int_equal(omitted.shared, 0);
}

/* SHARED: a u32 0 or 1, in INFO replies and LIST entries, after GRANT. */
static void
test_shared(void **state)
{
	struct proto_meta m;
	uint32_t v;
	size_t off;

	(void)state;
	for (v = 0; v <= 3; v++) {
		int want = v <= 1 ? 0 : -EBADMSG;

		wstart();
		put_meta_required();
		proto_put_u32(&bw, PROTO_TAG_SHARED, v);
		assert_int_equal(d_info_reply(wbody()), want);
		assert_int_equal(d_meta_entry(wbody()), want);
		wstart();
		off = proto_group_begin(&bw, PROTO_TAG_ENTRY);
		put_meta_required();
		proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
		proto_put_u32(&bw, PROTO_TAG_SHARED, v);
		proto_group_end(&bw, off);
		assert_int_equal(d_list_reply(wbody()), want);
	}
	wstart();
	put_meta_required();
	proto_put_u32(&bw, PROTO_TAG_SHARED, UINT32_MAX);
	REJECT(d_info_reply, wbody());
	REJECT(d_meta_entry, wbody());
	wstart();
	put_meta_required();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	assert_int_equal(proto_decode_meta_entry(wbody(), &m), 0);
	assert_int_equal(m.shared, 1);
	assert_int_equal(proto_decode_info_reply(wbody(), &m), 0);
	assert_int_equal(m.shared, 1);
	/* a u64, twice, or before LABEL are malformed */
	wstart();
	put_meta_required();
	proto_put_u64(&bw, PROTO_TAG_SHARED, 1);
	REJECT(d_meta_entry, wbody());
	REJECT(d_info_reply, wbody());
	wstart();
	put_meta_required();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	REJECT(d_meta_entry, wbody());
	REJECT(d_info_reply, wbody());
	wstart();
	put_meta_required();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	proto_put_string(&bw, PROTO_TAG_LABEL, "k=v", 3);
	REJECT(d_meta_entry, wbody());
	REJECT(d_info_reply, wbody());
	/* MESSAGE still comes last in the INFO reply, and never in an entry */
	wstart();
	put_meta_required();
	proto_put_string(&bw, PROTO_TAG_MESSAGE, "m", 1);
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	REJECT(d_info_reply, wbody());
	/* SHARED belongs to a reply's entries, not the LIST reply itself */
	wstart();
	proto_put_u32(&bw, PROTO_TAG_SHARED, 1);
	REJECT(d_list_reply, wbody());
}

/* How an agent answers a LIST: its own secrets and shared ones mixed. */
static void
test_rt_list_shared(void **state)
{
	struct proto_meta m = meta_small, e;
	struct buf_writer lw = writer();
	struct proto_list_reply d, r;
	struct proto_iter it;
	struct proto_bytes g;
	size_t start, len;
	uint32_t i;

	(void)state;
	start = proto_reply_begin(&lw, PROTO_MSG_LIST, 6, PROTO_OK);
	for (i = 0; i < PROTO_LIST_LIMIT_MAX; i++) {
		m.shared = i % 2;
		m.owner = i % 2 == 1 ? 1000 : 1001;
		proto_put_meta_entry(&lw, &m);
	}
	proto_put_bytes(&lw, PROTO_TAG_NEXT_CURSOR, "c", 1);
	assert_int_equal(proto_frame_end(&lw, start), 0);
	assert_int_equal(proto_decode_list_reply(frame_body(out, lw.len, true, 0x86, 6, 0), &d), 0);
	assert_int_equal(d.entries.count, PROTO_LIST_LIMIT_MAX);
	proto_iter_init(&it, &d.entries);
	for (i = 0; proto_iter_next(&it, &g) == 1; i++) {
		assert_int_equal(proto_decode_meta_entry(g, &e), 0);
		assert_int_equal(e.shared, i % 2);
		assert_int_equal(e.owner, i % 2 == 1 ? 1000 : 1001);
		/* SHARED 0 is left out: the two kinds of entry differ by one u32 */
		assert_int_equal(g.len, meta_small_len() + (i % 2) * (PROTO_FIELD_HDR + 4));
	}
	assert_int_equal(i, PROTO_LIST_LIMIT_MAX);
	/* the entries as a span, through proto_encode_list_reply */
	r = (struct proto_list_reply){.entries = d.entries, .message = B("shared")};
	{
		static uint8_t copy[BUF_MAX];

		memcpy(copy, d.entries.raw.ptr, d.entries.raw.len);
		r.entries.raw.ptr = copy;
		ENCODE(proto_encode_list_reply(w, 7, &r));
	}
	assert_int_equal(proto_decode_list_reply(frame_body(out, len, true, 0x86, 7, 0), &d), 0);
	cmp_list_reply(&d, &r);
}

/* SHARE and UNSHARE are answered with simple replies. */
static void
test_rt_replies(void **state)
{
	static const struct {
		uint16_t status;
		const char *message;
	} t[] = {
		{PROTO_OK, NULL},
		{PROTO_OK, "grant already held"},
		{PROTO_NOT_FOUND, "no such secret"},
		{PROTO_DENIED, "only the owner may share"},
		{PROTO_USAGE, "bad grantee"},
		{PROTO_RATE_LIMITED, "slow down"},
	};
	static const uint8_t types[] = {PROTO_MSG_SHARE, PROTO_MSG_UNSHARE};
	struct proto_simple_reply r;
	size_t i, j, len, n;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		for (j = 0; j < sizeof(t) / sizeof(t[0]); j++) {
			n = t[j].message != NULL ? strlen(t[j].message) : 0;
			ENCODE(proto_encode_simple_reply(w, types[i], 40, t[j].status, t[j].message,
							 n));
			assert_int_equal(proto_decode_simple_reply(
						 frame_body(out, len, true,
							    (uint8_t)(types[i] | PROTO_REPLY_BIT), 40,
							    t[j].status),
						 &r), 0);
			assert_int_equal(r.message.len, n);
			if (n > 0)
				assert_memory_equal(r.message.ptr, t[j].message, n);
		}
	}
	assert_string_equal(proto_status_name(PROTO_RATE_LIMITED), "RATE_LIMITED");
	assert_int_equal(proto_status_exit(PROTO_RATE_LIMITED), 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_share),
		cmocka_unit_test(test_share_sizes),
		cmocka_unit_test(test_rt_grant),
		cmocka_unit_test(test_rt_info_grants),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_shared_zero),
		cmocka_unit_test(test_rt_list_shared),
		cmocka_unit_test(test_rt_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
