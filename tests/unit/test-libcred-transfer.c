/* SPDX-License-Identifier: MIT */
/*
 * libcred's export and import against the in-process fake agent of
 * libcred-fake.h: EXPORT and IMPORT frames carry the passphrase, prefix
 * and flags asked for, and the bundle's descriptor really reaches the
 * agent as SCM_RIGHTS data; IMPORT replies are decoded for OK and for
 * CONFLICT (counts and names kept, the error returned); inline entries
 * arrive as ENTRY groups; bad arguments fail before anything is sent;
 * passphrases and values leave no copy in the blocks libcred frees.
 */

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/libcred-int.h"
#include "cred.h"
#include "proto/proto.h"
#include "tests/unit/libcred-fake.h"
#include "tests/unit/libcred-fixture.h"

/* A memfd holding LEN bytes of P, its offset back at 0. */
static int
memfd_with(const void *p, size_t len)
{
	int fd = memfd_create("libcred-transfer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/*
 * Best effort: a block of SIZE bytes that this thread freed is what
 * malloc hands out next for that size, so the next few such blocks must
 * hold no copy of NEEDLE (libcred zeroes what held a secret before it
 * frees it).
 */
static void
assert_freed_clean(size_t size, const void *needle, size_t nlen)
{
	void *p[8];
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		p[i] = malloc(size);
		assert_non_null(p[i]);
		assert_null(memmem(p[i], size, needle, nlen));
	}
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		free(p[i]);
}

static void
test_numbers(void **state)
{
	(void)state;
	assert_int_equal(CRED_EXPORT_CURRENT_ONLY, PROTO_EXPORT_CURRENT_ONLY);
	assert_int_equal(CRED_IMPORT_OVERWRITE, PROTO_IMPORT_OVERWRITE);
	assert_int_equal(CRED_IMPORT_DRY_RUN, PROTO_IMPORT_DRY_RUN);
	assert_int_equal(CRED_IMPORT_ENTRIES_MAX, PROTO_IMPORT_ENTRIES_MAX);
	assert_int_equal(CRED_IMPORT_CONFLICTS_MAX, PROTO_CONFLICTS_MAX);
	/* DESIGN.md section 8: an import conflict exits 7. */
	assert_int_equal(cred_exit_code(-CRED_E_CONFLICT), 7);
	cred_import_result_free(NULL);
}

/* ---- export ---- */

static void
test_export(void **state)
{
	struct fixture *fx = *state;
	char got[64] = {0};
	uint64_t n = 0;
	int fd;

	fd = memfd_with(NULL, 0);
	assert_int_equal(cred_export(fx->c, fd, "bundle pass", 11, NULL, 0, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_EXPORT);
	assert_string_equal(fx->fake.xfer_pass, "bundle pass");
	assert_string_equal(fx->fake.xfer_prefix, "");
	assert_int_equal(fx->fake.xfer_flags, 0);
	/* The descriptor arrived, and the bundle is in our file. */
	assert_int_equal(fx->fake.fds_received, 1);
	assert_int_equal(fx->fake.fd_type, PROTO_MSG_EXPORT);
	assert_int_equal(pread(fd, got, sizeof(got) - 1, 0), (ssize_t)strlen(FAKE_BUNDLE));
	assert_string_equal(got, FAKE_BUNDLE);
	/* Still the caller's. */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);

	fd = memfd_with(NULL, 0);
	assert_int_equal(cred_export(fx->c, fd, "p", 1, "app/", CRED_EXPORT_CURRENT_ONLY, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(fx->fake.xfer_prefix, "app/");
	assert_int_equal(fx->fake.xfer_flags, PROTO_EXPORT_CURRENT_ONLY);
	/* RET_SECRETS may be NULL; an empty prefix is all. */
	assert_int_equal(cred_export(fx->c, fd, "p", 1, "", 0, NULL), 0);
	assert_string_equal(fx->fake.xfer_prefix, "");
	assert_int_equal(fx->fake.fds_received, 3);

	fx->fake.keys_locked = true;
	assert_int_equal(cred_export(fx->c, fd, "p", 1, NULL, 0, &n), -CRED_E_LOCKED);
	close(fd);
}

static void
test_export_checks(void **state)
{
	struct fixture *fx = *state;
	char *big = malloc(CRED_PASSPHRASE_MAX + 1);
	int before = fx->fake.requests;
	int fd, rd;

	assert_non_null(big);
	memset(big, 'x', CRED_PASSPHRASE_MAX + 1);
	fd = memfd_with(NULL, 0);
	rd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(rd >= 0);
	assert_int_equal(cred_export(NULL, fd, "p", 1, NULL, 0, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_export(fx->c, fd, "p", 1, NULL, 2, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_export(fx->c, fd, "p", 1, "app//", 0, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_export(fx->c, fd, "", 0, NULL, 0, NULL), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "empty passphrase");
	assert_int_equal(cred_export(fx->c, fd, NULL, 0, NULL, 0, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_export(fx->c, fd, big, CRED_PASSPHRASE_MAX + 1, NULL, 0, NULL),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_export(fx->c, -1, "p", 1, NULL, 0, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_export(fx->c, rd, "p", 1, NULL, 0, NULL), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "the file descriptor is not open for writing");
	assert_int_equal(fx->fake.requests, before);
	assert_int_equal(fx->fake.fds_received, 0);
	/* The longest passphrase goes whole. */
	assert_int_equal(cred_export(fx->c, fd, big, CRED_PASSPHRASE_MAX, NULL, 0, NULL), 0);
	assert_int_equal(strlen(fx->fake.xfer_pass), CRED_PASSPHRASE_MAX);
	close(rd);
	close(fd);
	free(big);
}

/* ---- import of a bundle ---- */

static void
test_import_conflict(void **state)
{
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;
	int fd;

	fd = memfd_with(FAKE_BUNDLE, strlen(FAKE_BUNDLE));
	assert_int_equal(cred_import(fx->c, fd, "bundle pass", 11, 0, &res), -CRED_E_CONFLICT);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_IMPORT);
	assert_true(fx->fake.xfer_has_pass);
	assert_string_equal(fx->fake.xfer_pass, "bundle pass");
	assert_int_equal(fx->fake.xfer_flags, 0);
	assert_int_equal(fx->fake.fds_received, 1);
	assert_int_equal(fx->fake.fd_type, PROTO_MSG_IMPORT);
	assert_int_equal(fx->fake.bundle_len, strlen(FAKE_BUNDLE));
	assert_memory_equal(fx->fake.bundle, FAKE_BUNDLE, strlen(FAKE_BUNDLE));
	assert_int_equal(fx->fake.import_entries, 0);
	/* A CONFLICT still hands back the counts and the names. */
	assert_non_null(res);
	assert_int_equal(res->added, 2);
	assert_int_equal(res->skipped, 1);
	assert_int_equal(res->conflicted, 5);
	assert_int_equal(res->n_conflicts, 2);
	assert_string_equal(res->conflicts[0], "app/a");
	assert_string_equal(res->conflicts[1], "app/b");
	assert_null(res->conflicts[2]);
	cred_import_result_free(res);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

static void
test_import_ok(void **state)
{
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;
	int fd;

	fd = memfd_with(FAKE_BUNDLE, strlen(FAKE_BUNDLE));
	assert_int_equal(
	        cred_import(fx->c, fd, "pw", 2, CRED_IMPORT_OVERWRITE | CRED_IMPORT_DRY_RUN, &res),
	        0);
	assert_int_equal(fx->fake.xfer_flags, PROTO_IMPORT_OVERWRITE | PROTO_IMPORT_DRY_RUN);
	assert_non_null(res);
	assert_int_equal(res->added, 3);
	assert_int_equal(res->skipped, 1);
	assert_int_equal(res->conflicted, 0);
	assert_int_equal(res->n_conflicts, 0);
	assert_non_null(res->conflicts);
	assert_null(res->conflicts[0]);
	cred_import_result_free(res);
	close(fd);
}

static void
test_import_failures(void **state)
{
	static struct cred_import_result sentinel;
	struct fixture *fx = *state;
	struct cred_import_result *res;
	int fd;

	fd = memfd_with(FAKE_BUNDLE, strlen(FAKE_BUNDLE));
	/* A wrong passphrase: the agent's error and message, no result. */
	res = &sentinel; /* set to NULL by the call */
	assert_int_equal(cred_import(fx->c, fd, "wrong", 5, 0, &res), -CRED_E_DENIED);
	assert_null(res);
	assert_string_equal(cred_message(fx->c), "wrong passphrase");

	/* A CONFLICT that carries only a message: the error, no result. */
	fx->fake.import_busy = true;
	assert_int_equal(cred_import(fx->c, fd, "pw", 2, 0, &res), -CRED_E_CONFLICT);
	assert_null(res);
	assert_string_equal(cred_message(fx->c), "an import is already running");
	fx->fake.import_busy = false;

	/* The connection goes on. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(cred_import(fx->c, fd, "pw", 2, CRED_IMPORT_OVERWRITE, &res), 0);
	cred_import_result_free(res);
	close(fd);
}

static void
test_import_checks(void **state)
{
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;
	int before = fx->fake.requests;
	int fd, wr;

	fd = memfd_with(FAKE_BUNDLE, strlen(FAKE_BUNDLE));
	wr = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(wr >= 0);
	assert_int_equal(cred_import(NULL, fd, "p", 1, 0, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import(fx->c, fd, "p", 1, 0, NULL), -CRED_E_USAGE);
	assert_int_equal(cred_import(fx->c, fd, "p", 1, 4, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import(fx->c, fd, NULL, 0, 0, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import(fx->c, -1, "p", 1, 0, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import(fx->c, wr, "p", 1, 0, &res), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "the file descriptor is not open for reading");
	assert_null(res);
	assert_int_equal(fx->fake.requests, before);
	assert_int_equal(fx->fake.fds_received, 0);
	close(wr);
	close(fd);
}

/* ---- inline entries ---- */

static void
test_import_entries(void **state)
{
	static const char *const labels[] = {"env=prod", "source=dotenv", NULL};
	const struct cred_import_item items[] = {
	        {.name = "app/one",
	         .type = "password",
	         .value = "v1\0x",
	         .len = 4,
	         .labels = labels,
	         .expires = 1800000000},
	        {.name = "app/two", .value = "second", .len = 6},
	        {.name = "app/empty", .value = NULL, .len = 0},
	};
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;

	assert_int_equal(cred_import_entries(fx->c, items, 3, CRED_IMPORT_DRY_RUN, &res), 0);
	assert_int_equal(fx->fake.last_type, PROTO_MSG_IMPORT);
	assert_int_equal(fx->fake.fds_received, 0);
	assert_false(fx->fake.xfer_has_pass);
	assert_int_equal(fx->fake.xfer_flags, PROTO_IMPORT_DRY_RUN);
	assert_int_equal(fx->fake.import_entries, 3);
	assert_string_equal(fx->fake.import_names[0], "app/one");
	assert_string_equal(fx->fake.import_names[1], "app/two");
	assert_string_equal(fx->fake.import_names[2], "app/empty");
	assert_string_equal(fx->fake.import_type, "password");
	assert_int_equal(fx->fake.import_labels, 2);
	assert_int_equal(fx->fake.import_expires, 1800000000);
	assert_int_equal(fx->fake.import_value_len, 0);
	assert_non_null(res);
	assert_int_equal(res->added, 3);
	cred_import_result_free(res);

	/* Values go byte for byte; TYPE NULL is no TYPE field. */
	assert_int_equal(cred_import_entries(fx->c, items, 1, 0, &res), 0);
	assert_int_equal(fx->fake.import_value_len, 4);
	assert_memory_equal(fx->fake.import_value, "v1\0x", 4);
	cred_import_result_free(res);
	assert_int_equal(cred_import_entries(fx->c, &items[1], 1, 0, &res), 0);
	assert_string_equal(fx->fake.import_type, "");
	assert_int_equal(fx->fake.import_labels, 0);
	assert_int_equal(fx->fake.import_expires, 0);
	assert_memory_equal(fx->fake.import_value, "second", 6);
	cred_import_result_free(res);
}

static void
test_import_entries_conflict(void **state)
{
	const struct cred_import_item items[] = {
	        {.name = "app/new", .value = "a", .len = 1},
	        {.name = "app/exists", .value = "b", .len = 1},
	};
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;

	assert_int_equal(cred_import_entries(fx->c, items, 2, 0, &res), -CRED_E_CONFLICT);
	assert_non_null(res);
	assert_int_equal(res->added, 1);
	assert_int_equal(res->conflicted, 1);
	assert_int_equal(res->n_conflicts, 1);
	assert_string_equal(res->conflicts[0], "app/exists");
	cred_import_result_free(res);

	assert_int_equal(cred_import_entries(fx->c, items, 2, CRED_IMPORT_OVERWRITE, &res), 0);
	assert_int_equal(res->added, 2);
	assert_int_equal(res->conflicted, 0);
	cred_import_result_free(res);
}

static void
test_import_entries_checks(void **state)
{
	struct cred_import_item item = {.name = "app/x", .value = "v", .len = 1};
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;
	int before = fx->fake.requests;
	uint8_t *big;

	assert_int_equal(cred_import_entries(fx->c, &item, 0, 0, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import_entries(fx->c, NULL, 1, 0, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import_entries(fx->c, &item, CRED_IMPORT_ENTRIES_MAX + 1, 0, &res),
	                 -CRED_E_USAGE);
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 8, &res), -CRED_E_USAGE);
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, NULL), -CRED_E_USAGE);
	item.name = "app//x";
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);
	item.name = NULL;
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);
	item.name = "app/x";
	item.type = "Not A Type";
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);
	assert_string_equal(cred_message(fx->c), "app/x: invalid type");
	item.type = NULL;
	item.labels = (const char *const[]){"no-equals", NULL};
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);
	item.labels = NULL;
	item.expires = -1;
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);
	item.expires = 0;
	item.value = NULL;
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);

	/* More than one frame holds: refused whole, saying so. */
	big = calloc(1, FAKE_FRAME_MAX);
	assert_non_null(big);
	item.value = big;
	item.len = FAKE_FRAME_MAX;
	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), -CRED_E_USAGE);
	assert_non_null(strstr(cred_message(fx->c), "import fewer at a time"));
	free(big);
	assert_null(res);
	assert_int_equal(fx->fake.requests, before);
}

/* ---- secrets leave no copy behind ---- */

static void
test_no_copies(void **state)
{
	static const char pass[] = "zebra-horse-battery-staple-0123456789-passphrase";
	static const char value[] = "VALUE-ONLY-IN-THE-IMPORT-FRAME-9f8e7d6c5b4a";
	const struct cred_import_item item = {
	        .name = "app/x", .value = value, .len = sizeof(value) - 1};
	struct proto_export em = {.passphrase = S(pass), .prefix = S("")};
	struct fixture *fx = *state;
	struct cred_import_result *res = NULL;
	struct proto_import im = {0};
	struct proto_import_entry e = {.name = S("app/x"), .value = S(value)};
	struct buf_writer w;
	uint8_t ebuf[256];
	size_t export_len, entries_len, import_len;
	int fd;

	/* The sizes of the blocks that held them: the frames, the entries. */
	buf_writer_init(&w, NULL, 0);
	assert_int_equal(proto_encode_export(&w, 1, &em), 0);
	export_len = w.len;
	buf_writer_init(&w, ebuf, sizeof(ebuf));
	proto_put_import_entry(&w, &e);
	assert_int_equal(buf_writer_error(&w), 0);
	entries_len = w.len;
	im.entries = (struct proto_list_span){{ebuf, entries_len}, 1};
	buf_writer_init(&w, NULL, 0);
	assert_int_equal(proto_encode_import(&w, 1, &im), 0);
	import_len = w.len;

	fd = memfd_with(NULL, 0);
	assert_int_equal(cred_export(fx->c, fd, pass, sizeof(pass) - 1, NULL, 0, NULL), 0);
	assert_string_equal(fx->fake.xfer_pass, pass);
	assert_freed_clean(export_len, pass, sizeof(pass) - 1);
	close(fd);

	assert_int_equal(cred_import_entries(fx->c, &item, 1, 0, &res), 0);
	assert_memory_equal(fx->fake.import_value, value, sizeof(value) - 1);
	cred_import_result_free(res);
	assert_freed_clean(entries_len, value, sizeof(value) - 1);
	assert_freed_clean(import_len, value, sizeof(value) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_numbers),
	        cmocka_unit_test_setup_teardown(test_export, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_export_checks, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_conflict, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_ok, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_failures, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_checks, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_entries, fixture_up, fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_entries_conflict, fixture_up,
	                                        fixture_down),
	        cmocka_unit_test_setup_teardown(test_import_entries_checks, fixture_up,
	                                        fixture_down),
	        cmocka_unit_test_setup_teardown(test_no_copies, fixture_up, fixture_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
