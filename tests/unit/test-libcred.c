/* SPDX-License-Identifier: MIT */
/*
 * libcred: reference parsing, error mapping, discovery, and the library
 * end to end against an in-process fake agent on a socketpair (a thread
 * answering with the proto encoders).
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"
#include "tests/unit/libcred-fake.h"
#include "tests/unit/libcred-fixture.h"

/* ---- references ---- */

static void
test_ref_names(void **state)
{
	static const char *const good[] = {"a", "prod/db", "A-z_0.9@x+y/z", "a..b", "x/.y"};
	static const char *const bad[] = {"",    "/a",   "a/",       "a//b", "a/../b", "..",
	                                  "a b", "a\tb", "\xc3\xa9", ":a",   "a:",     "a:b:c"};
	char longname[300];
	const char *name;
	uid_t owner;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(cred_ref_valid(good[i]), 0);
		assert_int_equal(cred_ref_parse(good[i], &owner, &name), 0);
		assert_int_equal(owner, getuid());
		assert_ptr_equal(name, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cred_ref_valid(bad[i]), -CRED_E_USAGE);
	assert_int_equal(cred_ref_valid(NULL), -CRED_E_USAGE);
	memset(longname, 'a', sizeof(longname));
	longname[255] = '\0';
	assert_int_equal(cred_ref_valid(longname), 0);
	longname[255] = 'a';
	longname[256] = '\0';
	assert_int_equal(cred_ref_valid(longname), -CRED_E_USAGE);
}

static void
test_ref_owners(void **state)
{
	const char *name;
	uid_t owner = 42;

	(void)state;
	assert_int_equal(cred_ref_parse("1000:prod/db", &owner, &name), 0);
	assert_int_equal(owner, 1000);
	assert_string_equal(name, "prod/db");
	assert_int_equal(cred_ref_parse("0:x", &owner, NULL), 0);
	assert_int_equal(owner, 0);
	assert_int_equal(cred_ref_parse("root:x", &owner, &name), 0);
	assert_int_equal(owner, 0);
	assert_string_equal(name, "x");
	assert_int_equal(cred_ref_parse("4294967294:x", &owner, NULL), 0);
	assert_int_equal(owner, 4294967294u);
	/* (uid_t)-1 is no uid; overflow is no uid either. */
	assert_int_equal(cred_ref_valid("4294967295:x"), -CRED_E_USAGE);
	assert_int_equal(cred_ref_valid("99999999999:x"), -CRED_E_USAGE);
	assert_int_equal(cred_ref_valid("no-such-user-credagent:x"), -CRED_E_USAGE);
	assert_int_equal(cred_ref_valid("root:bad//name"), -CRED_E_USAGE);
	assert_int_equal(cred_owner_parse("root", &owner), 0);
	assert_int_equal(owner, 0);
	assert_int_equal(cred_owner_parse("1234:", &owner), 0);
	assert_int_equal(owner, 1234);
	assert_int_equal(cred_owner_parse("", &owner), -CRED_E_USAGE);
	assert_int_equal(cred_owner_parse(":", &owner), -CRED_E_USAGE);
	assert_int_equal(cred_prefix_valid(""), 0);
	assert_int_equal(cred_prefix_valid("prod/"), 0);
	assert_int_equal(cred_prefix_valid("prod"), 0);
	assert_int_equal(cred_prefix_valid("prod//"), -CRED_E_USAGE);
	assert_int_equal(cred_prefix_valid("/"), -CRED_E_USAGE);
}

/* ---- errors ---- */

static void
test_errors(void **state)
{
	int e;

	(void)state;
	for (e = 0; e <= CRED_E_UNSUPPORTED; e++) {
		assert_int_equal(cred_exit_code(e), e);
		assert_int_equal(cred_exit_code(-e), e);
	}
	assert_int_equal(cred_exit_code(-CRED_E_RATE_LIMITED), 8);
	assert_int_equal(cred_exit_code(-CRED_E_PROTOCOL), 1);
	assert_int_equal(cred_exit_code(-CRED_E_NOMEM), 1);
	assert_int_equal(cred_exit_code(-999), 1);
	assert_int_equal(cred_exit_code(-2147483647 - 1), 1);
	for (e = 0; e <= CRED_E_NOMEM + 1; e++) {
		assert_non_null(cred_strerror(-e));
		assert_true(strlen(cred_strerror(-e)) > 0);
		assert_non_null(cred_error_name(e));
	}
	assert_string_equal(cred_strerror(-CRED_E_NOT_FOUND), "not found");
	assert_string_equal(cred_error_name(-CRED_E_NOT_FOUND), "NOT_FOUND");
	assert_string_equal(cred_error_name(CRED_E_QUOTA), "QUOTA_EXCEEDED");
	assert_string_equal(cred_error_name(-CRED_E_UNREACHABLE), "UNREACHABLE");
	assert_string_equal(cred_error_name(12345), "FAILED");

	assert_int_equal(libcred_status_error(PROTO_OK), 0);
	assert_int_equal(libcred_status_error(PROTO_INTERNAL), -CRED_E_FAILED);
	assert_int_equal(libcred_status_error(PROTO_NOT_FOUND), -CRED_E_NOT_FOUND);
	assert_int_equal(libcred_status_error(PROTO_DENIED), -CRED_E_DENIED);
	assert_int_equal(libcred_status_error(PROTO_LOCKED), -CRED_E_LOCKED);
	assert_int_equal(libcred_status_error(PROTO_CONFLICT), -CRED_E_CONFLICT);
	assert_int_equal(libcred_status_error(PROTO_QUOTA_EXCEEDED), -CRED_E_QUOTA);
	assert_int_equal(libcred_status_error(PROTO_RATE_LIMITED), -CRED_E_RATE_LIMITED);
	assert_int_equal(libcred_status_error(PROTO_UNSUPPORTED), -CRED_E_UNSUPPORTED);
	assert_int_equal(libcred_status_error(6), -CRED_E_PROTOCOL);
	assert_int_equal(libcred_status_error(999), -CRED_E_FAILED);
}

/* ---- discovery ---- */

static void
test_discovery(void **state)
{
	char buf[256], tmpl[] = "/tmp/test-libcred-XXXXXX", exp[300];
	cred_conn *c = NULL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	unsetenv("CRED_SOCK");
	setenv("XDG_RUNTIME_DIR", tmpl, 1);
	snprintf(exp, sizeof(exp), "%s/credagent/sock", tmpl);
	assert_int_equal(cred_socket_find(NULL, buf, sizeof(buf)), 0);
	/* With no system socket on the build host this is the user socket. */
	if (access(LIBCRED_SYSTEM_SOCK, F_OK) != 0)
		assert_string_equal(buf, exp);
	assert_int_equal(cred_socket_find("/x/y", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/y");
	assert_int_equal(cred_socket_find("/x/y", buf, 3), -CRED_E_USAGE);
	setenv("CRED_SOCK", "/from/env", 1);
	assert_int_equal(cred_socket_find(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/from/env");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("CRED_SOCK");
	snprintf(exp, sizeof(exp), "/tmp/credagent-%u/sock", (unsigned)getuid());
	assert_int_equal(cred_socket_find(NULL, buf, sizeof(buf)), 0);
	if (access(LIBCRED_SYSTEM_SOCK, F_OK) != 0)
		assert_string_equal(buf, exp);

	/* Nothing there, or a file that is not a socket: UNREACHABLE. */
	snprintf(exp, sizeof(exp), "%s/sock", tmpl);
	assert_int_equal(cred_connect(exp, &c), -CRED_E_UNREACHABLE);
	fd = open(exp, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cred_connect(exp, &c), -CRED_E_UNREACHABLE);
	assert_null(c);
	unlink(exp);
	rmdir(tmpl);
}

/* ---- end to end ---- */

static void
test_e2e_get(void **state)
{
	struct fixture *fx = *state;
	struct cred_value *v = NULL;

	assert_string_equal(cred_socket_path(fx->c), "fake");
	assert_int_equal(cred_get(fx->c, "app/token", 0, &v), 0);
	assert_int_equal(v->len, sizeof(SECRET) - 1);
	assert_memory_equal(v->data, SECRET, v->len);
	assert_int_equal(v->data[v->len], 0);
	assert_int_equal(v->version, 2);
	assert_string_equal(v->type, "generic");
	assert_string_equal(cred_message(fx->c), "");
	cred_value_free(v);
	v = NULL;

	assert_int_equal(cred_get(fx->c, "app/token", 1, &v), 0);
	assert_int_equal(v->version, 1);
	cred_value_free(v);
	v = NULL;

	assert_int_equal(cred_get(fx->c, "app/missing", 0, &v), -CRED_E_NOT_FOUND);
	assert_null(v);
	assert_string_equal(cred_message(fx->c), "no such secret");
	assert_int_equal(cred_get(fx->c, "root:app/token", 0, &v), -CRED_E_NOT_FOUND);
	/* A bad name never reaches the agent. */
	assert_int_equal(cred_get(fx->c, "app//token", 0, &v), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 4);
	cred_value_free(NULL);
}

/* The largest value a PUT like the test's can carry in FAKE_FRAME_MAX. */
static size_t
put_room(const struct cred_put_opts *o)
{
	struct proto_put m = {0};
	uint8_t lab[128];
	struct buf_writer w;
	size_t i;

	buf_writer_init(&w, lab, sizeof(lab));
	for (i = 0; o->labels[i] != NULL; i++)
		proto_put_string(&w, PROTO_TAG_LABEL, o->labels[i], strlen(o->labels[i]));
	m.ref = (struct proto_ref){.has_owner = true, .owner = 0, .name = S("app/new")};
	m.type = S("password");
	m.has_cas = true;
	m.has_max_versions = true;
	m.max_versions = 5;
	m.has_expires = true;
	m.expires = 1800000000;
	m.labels = (struct proto_list_span){{lab, w.len}, 2};
	buf_writer_init(&w, NULL, 0);
	assert_int_equal(proto_encode_put(&w, 1, &m), 0);
	return FAKE_FRAME_MAX - (w.len - PROTO_LEN_SIZE);
}

static void
test_e2e_put(void **state)
{
	static const char *const labels[] = {"env=prod", "team=core", NULL};
	struct cred_put_opts o = {.type = "password",
	                          .labels = labels,
	                          .expires = 1800000000,
	                          .max_versions = 5,
	                          .has_cas = 1,
	                          .cas = 0};
	struct fixture *fx = *state;
	size_t room = put_room(&o);
	char expect[128];
	uint8_t *big;
	uint32_t version = 0;

	big = calloc(1, room + 1);
	assert_non_null(big);
	assert_int_equal(cred_put(fx->c, "root:app/new", big, room + 1, &o, &version),
	                 -CRED_E_USAGE);
	snprintf(expect, sizeof(expect),
	         "value too large (%zu bytes; the agent accepts at most %zu)", room + 1, room);
	assert_string_equal(cred_message(fx->c), expect);
	assert_int_equal(fx->fake.requests, 0);
	/* Exactly at the limit is fine. */
	assert_int_equal(cred_put(fx->c, "root:app/new", big, room, &o, &version), 0);
	assert_int_equal(fx->fake.requests, 1);
	free(big);

	assert_int_equal(cred_put(fx->c, "root:app/new", "v\0al\n", 5, &o, &version), 0);
	assert_int_equal(version, 3);
	assert_string_equal(cred_message(fx->c), "a warning");
	assert_int_equal(fx->fake.put_len, 5);
	assert_memory_equal(fx->fake.put_value, "v\0al\n", 5);
	assert_int_equal(fx->fake.put_labels, 2);
	assert_true(fx->fake.put_cas);

	/* Checked before sending: bad type, bad label, bad name. */
	o.type = "Bad Type";
	assert_int_equal(cred_put(fx->c, "root:app/new", "x", 1, &o, NULL), -CRED_E_USAGE);
	o.type = NULL;
	o.labels = (const char *const[]){"no-equals", NULL};
	assert_int_equal(cred_put(fx->c, "root:app/new", "x", 1, &o, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_put(fx->c, "app/", "x", 1, NULL, NULL), -CRED_E_USAGE);
	assert_int_equal(fx->fake.requests, 2);
}

static void
test_e2e_meta(void **state)
{
	struct fixture *fx = *state;
	struct cred_status *s = NULL;
	struct cred_info *i = NULL;
	struct cred_list *l = NULL;

	assert_int_equal(cred_info(fx->c, "app/token", &i), 0);
	assert_string_equal(i->name, "app/token");
	assert_int_equal(i->owner, 1000);
	assert_string_equal(i->type, "generic");
	assert_int_equal(i->version, 2);
	assert_int_equal(i->state, CRED_STATE_ACTIVE);
	assert_int_equal(i->max_versions, 10);
	assert_int_equal(i->created, 1700000000);
	assert_int_equal(i->updated, 1700000100);
	assert_int_equal(i->expires, 1800000000);
	assert_int_equal(i->deleted, 0);
	assert_string_equal(i->labels[0], "env=prod");
	assert_string_equal(i->labels[1], "team=core");
	assert_null(i->labels[2]);
	assert_int_equal(i->n_versions, 2);
	assert_int_equal(i->versions[0].version, 2);
	assert_int_equal(i->versions[1].created, 1700000001);
	assert_int_equal(i->versions[1].created_by, 1001);
	cred_info_free(i);

	assert_int_equal(cred_list(fx->c, NULL, "app/", CRED_LIST_DELETED, &l), 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->items[0]->name, "app/a");
	assert_string_equal(l->items[2]->name, "app/c");
	assert_int_equal(l->items[2]->state, CRED_STATE_DELETED);
	assert_int_equal(l->items[2]->deleted, 1700000200);
	assert_null(l->items[0]->versions);
	assert_null(l->items[0]->labels[0]);
	cred_list_free(l);
	assert_int_equal(cred_list(fx->c, NULL, "app//", 0, &l), -CRED_E_USAGE);
	assert_int_equal(cred_list(fx->c, NULL, NULL, 99, &l), -CRED_E_USAGE);

	assert_int_equal(cred_delete(fx->c, "app/token"), 0);
	assert_int_equal(cred_status_get(fx->c, &s), 0);
	assert_string_equal(s->version, "fake 1");
	assert_true(s->system_mode);
	assert_true(s->locked);
	assert_int_equal(s->uptime, 42);
	assert_int_equal(s->secrets, 7);
	assert_int_equal(s->store_bytes, 4096);
	cred_status_free(s);
}

static void
test_e2e_bad_reply(void **state)
{
	struct fixture *fx = *state;
	struct cred_status *s = NULL;

	fx->fake.bad_id = true;
	assert_int_equal(cred_status_get(fx->c, &s), -CRED_E_PROTOCOL);
	assert_null(s);
	/* The stream is out of step now: nothing more goes through it. */
	assert_int_equal(cred_status_get(fx->c, &s), -CRED_E_FAILED);
	assert_int_equal(fx->fake.requests, 1);
}

/* ---- a socket served by another uid gets nothing ---- */

/* In a child running as nobody: listen at PATH, accept one connection and
 * write to REPORT how many bytes arrived before the client hung up. */
static void
planted_server(const char *path, int ready, int report)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t buf[256];
	size_t total = 0;
	ssize_t k;
	int ls, fd;

	if (setgid(65534) < 0 || setuid(65534) < 0)
		_exit(1);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		_exit(1);
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)k;
	if (write(report, &total, sizeof(total)) != (ssize_t)sizeof(total))
		_exit(1);
	_exit(0);
}

static void
test_planted_socket(void **state)
{
	char dir[] = "/tmp/test-libcred-XXXXXX", path[64], c;
	int ready[2], report[2], st;
	cred_conn *conn = NULL;
	size_t total = 99;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip(); /* needs root to serve a socket as another uid */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/sock", dir);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		planted_server(path, ready[1], report[1]);
	close(ready[1]);
	close(report[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(cred_connect(path, &conn), -CRED_E_DENIED);
	assert_null(conn);
	assert_int_equal(read(report[0], &total, sizeof(total)), (ssize_t)sizeof(total));
	assert_int_equal(total, 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ready[0]);
	close(report[0]);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ref_names),
	        cmocka_unit_test(test_ref_owners),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_discovery),
	        cmocka_unit_test_setup_teardown(test_e2e_get, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_e2e_put, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_e2e_meta, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_e2e_bad_reply, fixture_up, fixture_down_unchecked),
	        cmocka_unit_test(test_planted_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
