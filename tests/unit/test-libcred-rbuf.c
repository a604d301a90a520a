/* SPDX-License-Identifier: MIT */
/*
 * libcred's receive buffer and request encoding (client/lib/io.c), against
 * a scripted peer on the other end of a socketpair: replies are written
 * before the request they answer, so most tests run in one thread, the
 * client's socket non-blocking (a read the buffer should have spared
 * fails with EAGAIN instead of hanging).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"

#define SECRET1 "first-S3CRET-value"
#define SECRET2 "second-S3CRET-value"
#define BIG     20000u

struct peer {
	int fd; /* the agent's end */
	cred_conn *c;
	uint8_t frame[1u << 16];
};

static void
put_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(fd, p, n);
		assert_true(k > 0);
		p += k;
		n -= (size_t)k;
	}
}

static size_t
enc_hello(uint8_t *p, size_t cap, uint32_t frame_max)
{
	struct proto_hello_reply hr = {.version = PROTO_VERSION,
	                               .agent_version = {(const uint8_t *)"t", 1},
	                               .mode = PROTO_MODE_USER,
	                               .frame_max = frame_max};
	struct buf_writer w;

	buf_writer_init(&w, p, cap);
	assert_int_equal(proto_encode_hello_reply(&w, 1, &hr), 0);
	return w.len;
}

static size_t
enc_get(uint8_t *p, size_t cap, uint32_t reqid, const void *value, size_t len)
{
	struct proto_get_reply gr = {
	        .version = 1, .type = {(const uint8_t *)"generic", 7}, .value = {value, len}};
	struct buf_writer w;

	buf_writer_init(&w, p, cap);
	assert_int_equal(proto_encode_get_reply(&w, reqid, &gr), 0);
	return w.len;
}

/* The next request on the agent's end: its id, and its type in *TYPE;
 * its body (valid until the next call) in *BODY. */
static uint32_t
take_request(struct peer *pr, uint8_t *type, struct proto_bytes *body)
{
	struct proto_frame f;
	size_t got = 0, need = PROTO_LEN_SIZE;
	ssize_t k;

	while (got < need) {
		k = read(pr->fd, pr->frame + got, need - got);
		assert_true(k > 0);
		got += (size_t)k;
		if (got == PROTO_LEN_SIZE)
			need += buf_load_u32(pr->frame);
		assert_true(need <= sizeof(pr->frame));
	}
	assert_int_equal(proto_frame_parse(pr->frame, got, sizeof(pr->frame), false, &f), (int)got);
	*type = f.type;
	if (body != NULL)
		*body = f.body;
	return f.reqid;
}

static bool
holds(const cred_conn *c, const char *s)
{
	return memmem(c->rbuf, sizeof(c->rbuf), s, strlen(s)) != NULL;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

/* A connection whose HELLO announced FRAME_MAX. */
static struct peer *
peer_up(uint32_t frame_max)
{
	struct peer *pr = calloc(1, sizeof(*pr));
	uint8_t hello[256], type;
	int sv[2];

	assert_non_null(pr);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pr->fd = sv[1];
	put_all(pr->fd, hello, enc_hello(hello, sizeof(hello), frame_max));
	assert_int_equal(libcred_connect_fd(sv[0], "t", &pr->c), 0);
	assert_int_equal(take_request(pr, &type, NULL), 1);
	assert_int_equal(type, PROTO_MSG_HELLO);
	/* HELLO's bytes were wiped as they were taken. */
	assert_int_equal(pr->c->rlen, 0);
	assert_true(all_zero(pr->c->rbuf, sizeof(pr->c->rbuf)));
	return pr;
}

static void
peer_down(struct peer *pr)
{
	cred_close(pr->c);
	if (pr->fd >= 0)
		close(pr->fd);
	free(pr);
}

static void
get_expect(struct peer *pr, uint32_t reqid, const void *value, size_t len)
{
	struct cred_value *v = NULL;
	uint8_t type;

	assert_int_equal(cred_get(pr->c, "app/x", 0, &v), 0);
	assert_int_equal(take_request(pr, &type, NULL), reqid);
	assert_int_equal(type, PROTO_MSG_GET);
	assert_int_equal(v->len, len);
	assert_memory_equal(v->data, value, len);
	cred_value_free(v);
}

static void
test_one_read(void **state)
{
	struct peer *pr = peer_up(1u << 20);
	size_t n;

	(void)state;
	n = enc_get(pr->frame, sizeof(pr->frame), 2, SECRET1, strlen(SECRET1));
	put_all(pr->fd, pr->frame, n);
	set_nonblock(cred_fd(pr->c));
	get_expect(pr, 2, SECRET1, strlen(SECRET1));
	assert_int_equal(pr->c->rlen, 0);
	assert_true(all_zero(pr->c->rbuf, sizeof(pr->c->rbuf)));
	peer_down(pr);
}

/* Two replies in one read: the second is taken from the buffer (the
 * socket is empty and non-blocking), each wiped once taken. */
static void
test_two_frames(void **state)
{
	struct peer *pr = peer_up(1u << 20);
	uint8_t two[512];
	size_t n1, n2;

	(void)state;
	n1 = enc_get(two, sizeof(two), 2, SECRET1, strlen(SECRET1));
	n2 = enc_get(two + n1, sizeof(two) - n1, 3, SECRET2, strlen(SECRET2));
	put_all(pr->fd, two, n1 + n2);
	set_nonblock(cred_fd(pr->c));
	get_expect(pr, 2, SECRET1, strlen(SECRET1));
	assert_int_equal(pr->c->rlen, n2);
	assert_false(holds(pr->c, SECRET1));
	assert_true(holds(pr->c, SECRET2));
	get_expect(pr, 3, SECRET2, strlen(SECRET2));
	assert_int_equal(pr->c->rlen, 0);
	assert_true(all_zero(pr->c->rbuf, sizeof(pr->c->rbuf)));
	peer_down(pr);
}

/* A frame larger than the buffer is completed straight from the socket,
 * no byte past it read: the reply after it stays in the socket. */
static void
test_large_frame(void **state)
{
	struct peer *pr = peer_up(1u << 20);
	static uint8_t big[BIG];
	size_t i, n1, n2;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	n1 = enc_get(pr->frame, sizeof(pr->frame), 2, big, sizeof(big));
	assert_true(n1 > LIBCRED_RBUF_SIZE);
	n2 = enc_get(pr->frame + n1, sizeof(pr->frame) - n1, 3, SECRET2, strlen(SECRET2));
	put_all(pr->fd, pr->frame, n1 + n2);
	set_nonblock(cred_fd(pr->c));
	get_expect(pr, 2, big, sizeof(big));
	assert_int_equal(pr->c->rlen, 0);
	assert_true(all_zero(pr->c->rbuf, sizeof(pr->c->rbuf)));
	get_expect(pr, 3, SECRET2, strlen(SECRET2));
	peer_down(pr);
}

struct later {
	int fd;
	const uint8_t *p;
	size_t n;
};

static void *
write_later(void *arg)
{
	struct later *l = arg;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 30 * 1000000L};
	ssize_t k;

	nanosleep(&ts, NULL);
	while (l->n > 0 && (k = write(l->fd, l->p, l->n)) > 0) {
		l->p += k;
		l->n -= (size_t)k;
	}
	return NULL;
}

/* A reply cut at CUT: the client waits for the rest. */
static void
split_at(size_t cut)
{
	struct peer *pr = peer_up(1u << 20);
	struct later l;
	pthread_t t;
	size_t n;

	n = enc_get(pr->frame, sizeof(pr->frame), 2, SECRET1, strlen(SECRET1));
	put_all(pr->fd, pr->frame, cut);
	l = (struct later){.fd = pr->fd, .p = pr->frame + cut, .n = n - cut};
	assert_int_equal(pthread_create(&t, NULL, write_later, &l), 0);
	get_expect(pr, 2, SECRET1, strlen(SECRET1));
	pthread_join(t, NULL);
	assert_int_equal(pr->c->rlen, 0);
	assert_true(all_zero(pr->c->rbuf, sizeof(pr->c->rbuf)));
	peer_down(pr);
}

static void
test_split(void **state)
{
	(void)state;
	split_at(2);  /* inside the length */
	split_at(4);  /* after it */
	split_at(15); /* inside the body */
}

/* What the agent sends (RAW, N bytes, then it closes when CLOSE): the
 * GET fails with ERR and MSG, and the connection stays broken. */
static void
expect_failure(const uint8_t *raw, size_t n, bool close_it, int err, const char *msg)
{
	struct peer *pr = peer_up(1u << 20);
	struct cred_value *v = NULL;

	if (n > 0)
		put_all(pr->fd, raw, n);
	if (close_it) {
		shutdown(pr->fd, SHUT_WR);
	}
	assert_int_equal(cred_get(pr->c, "app/x", 0, &v), err);
	assert_null(v);
	assert_string_equal(cred_message(pr->c), msg);
	assert_int_equal(cred_get(pr->c, "app/x", 0, &v), -CRED_E_FAILED);
	assert_string_equal(cred_message(pr->c), "connection lost");
	peer_down(pr);
}

static void
test_errors(void **state)
{
	uint8_t raw[64] = {0};
	size_t n;

	(void)state;
	expect_failure(NULL, 0, true, -CRED_E_FAILED, "the agent closed the connection");
	buf_store_u32(raw, 40);
	expect_failure(raw, 2, true, -CRED_E_PROTOCOL, "truncated reply");
	expect_failure(raw, 14, true, -CRED_E_PROTOCOL, "truncated reply");
	buf_store_u32(raw, PROTO_REPLY_HDR - PROTO_LEN_SIZE - 1);
	expect_failure(raw, 4, false, -CRED_E_PROTOCOL, "reply frame of impossible size");
	buf_store_u32(raw, LIBCRED_REPLY_MAX + 1);
	expect_failure(raw, 4, false, -CRED_E_PROTOCOL, "reply frame of impossible size");
	/* A reply, and then one to no request: the next call sees it. */
	n = enc_get(raw, sizeof(raw), 2, SECRET1, strlen(SECRET1));
	{
		struct peer *pr = peer_up(1u << 20);
		struct cred_value *v = NULL;
		uint8_t two[128];

		memcpy(two, raw, n);
		memcpy(two + n, raw, n);
		put_all(pr->fd, two, 2 * n);
		get_expect(pr, 2, SECRET1, strlen(SECRET1));
		assert_int_equal(cred_get(pr->c, "app/x", 0, &v), -CRED_E_PROTOCOL);
		assert_string_equal(cred_message(pr->c), "reply does not match the request");
		peer_down(pr);
	}
}

/* With a watch, frames are read exactly: an EVENT after a reply stays in
 * the socket, where poll() sees it. */
static void
test_watch_exact(void **state)
{
	struct peer *pr = peer_up(1u << 20);
	struct proto_event_msg em = {.event = PROTO_EVENT_ROTATED, .version = 5};
	struct buf_writer w;
	struct cred_event e;
	struct pollfd pfd;
	uint8_t type;

	(void)state;
	buf_writer_init(&w, pr->frame, sizeof(pr->frame));
	assert_int_equal(proto_encode_simple_reply(&w, PROTO_MSG_WATCH, 2, PROTO_OK, NULL, 0), 0);
	assert_int_equal(proto_encode_event(&w, 2, &em), 0);
	put_all(pr->fd, pr->frame, w.len);
	assert_int_equal(cred_watch(pr->c, "app/x"), 0);
	assert_int_equal(take_request(pr, &type, NULL), 2);
	assert_int_equal(pr->c->rlen, 0);
	assert_int_equal(cred_events_pending(pr->c), 0);
	pfd = (struct pollfd){.fd = cred_fd(pr->c), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(cred_watch_next(pr->c, 0, &e), 1);
	assert_int_equal(e.event, CRED_EVENT_ROTATED);
	assert_int_equal(e.version, 5);
	assert_string_equal(e.name, "app/x");
	assert_int_equal(cred_watch_next(pr->c, 0, &e), 0);
	peer_down(pr);
}

/* PUT of LEN bytes: the agent sees exactly them. */
static void
put_expect(struct peer *pr, uint32_t reqid, size_t len)
{
	struct proto_put_reply rp = {.version = 1};
	static uint8_t value[3000];
	struct proto_bytes body;
	struct proto_put m;
	struct buf_writer w;
	uint8_t type;
	size_t i;

	assert_true(len <= sizeof(value));
	for (i = 0; i < len; i++)
		value[i] = (uint8_t)(i + reqid);
	buf_writer_init(&w, pr->frame, sizeof(pr->frame));
	assert_int_equal(proto_encode_put_reply(&w, reqid, &rp), 0);
	put_all(pr->fd, pr->frame, w.len);
	if (cred_put(pr->c, "app/x", value, len, NULL, NULL) != 0)
		fail_msg("put %zu: %s", len, cred_message(pr->c));
	assert_int_equal(take_request(pr, &type, &body), reqid);
	assert_int_equal(type, PROTO_MSG_PUT);
	assert_int_equal(proto_decode_put(body, &m), 0);
	assert_int_equal(m.value.len, len);
	assert_memory_equal(m.value.ptr, value, len);
}

/* Small requests are encoded on the stack, larger ones allocated; the
 * agent's limit is checked either way. */
static void
test_request_sizes(void **state)
{
	struct peer *pr = peer_up(PROTO_FRAME_MIN_MAX);
	static uint8_t huge[PROTO_FRAME_MIN_MAX + 1];
	uint8_t b;

	(void)state;
	put_expect(pr, 2, 0);
	put_expect(pr, 3, 100);
	put_expect(pr, 4, 3000);
	assert_int_equal(cred_put(pr->c, "app/x", huge, sizeof(huge), NULL, NULL), -CRED_E_USAGE);
	assert_non_null(strstr(cred_message(pr->c), "value too large (4097 bytes"));
	/* Nothing was sent, and the connection still serves. */
	set_nonblock(pr->fd);
	assert_int_equal(read(pr->fd, &b, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fcntl(pr->fd, F_SETFL, 0), 0);
	/* (The refused request used up id 5.) */
	put_expect(pr, 6, 10);
	peer_down(pr);
}

/* libcred_grow: room for one more, FIRST at first, then doubling; the
 * same block while there is room. */
static void
test_grow(void **state)
{
	size_t cap = 0, n;
	int *items = NULL, *p;

	(void)state;
	for (n = 0; n < 100; n++) {
		p = libcred_grow(items, n, &cap, sizeof(*items), 16);
		assert_non_null(p);
		assert_true(cap > n);
		assert_true(cap == 16 || cap == 32 || cap == 64 || cap == 128);
		items = p;
		items[n] = (int)n;
	}
	assert_int_equal(cap, 128);
	for (n = 0; n < 100; n++)
		assert_int_equal(items[n], (int)n);
	assert_ptr_equal(libcred_grow(items, 100, &cap, sizeof(*items), 16), items);
	free(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_one_read),      cmocka_unit_test(test_two_frames),
	        cmocka_unit_test(test_large_frame),   cmocka_unit_test(test_split),
	        cmocka_unit_test(test_errors),        cmocka_unit_test(test_watch_exact),
	        cmocka_unit_test(test_request_sizes), cmocka_unit_test(test_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
