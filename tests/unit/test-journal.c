/* SPDX-License-Identifier: MIT */
/* The journal's native protocol: one datagram of FIELD=value lines, and
 * the binary form for a value with a newline in it. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/journal.h"

static int
listener(char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/credagent-journal-XXXXXX";
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, size, "%s/socket", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
unlisten(int fd, char *path)
{
	close(fd);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

/* Send the N fields to a listener of our own; the datagram it got must be
 * the WANT_LEN bytes at WANT. */
static void
check_datagram(const char *const *f, size_t n, const void *want, size_t want_len)
{
	char path[128];
	uint8_t got[256];
	ssize_t k;
	int fd;

	fd = listener(path, sizeof(path));
	assert_int_equal(journal_send_to(path, f, n), 0);
	k = recv(fd, got, sizeof(got), 0);
	assert_int_equal(k, want_len);
	assert_memory_equal(got, want, want_len);
	unlisten(fd, path);
	journal_close();
}

static void
test_plain_fields(void **state)
{
	const char *f[] = {"MESSAGE=credagentd audit: uid 0", "PRIORITY=6", "CRED_OP=get"};
	const char want[] = "MESSAGE=credagentd audit: uid 0\nPRIORITY=6\nCRED_OP=get\n";

	(void)state;
	check_datagram(f, 3, want, sizeof(want) - 1);
}

static void
test_binary_field(void **state)
{
	const char *f[] = {"MESSAGE=two\nlines", "PRIORITY=4"};
	const uint8_t want[] = {'M', 'E', 'S', 'S', 'A', 'G', 'E', '\n', 9, 0, 0, 0, 0, 0, 0, 0,
				't', 'w', 'o', '\n', 'l', 'i', 'n', 'e', 's', '\n', 'P', 'R',
				'I', 'O', 'R', 'I', 'T', 'Y', '=', '4', '\n'};

	(void)state;
	check_datagram(f, 2, want, sizeof(want));
}

static void
test_refusals(void **state)
{
	const char *bad[] = {"NOEQUALS"}, *empty[] = {"=value"};
	const char *many[17];

	(void)state;
	for (size_t i = 0; i < 17; i++)
		many[i] = "A=b";
	assert_int_equal(journal_send_to("/nonexistent/socket", bad, 1), -EINVAL);
	assert_int_equal(journal_send_to("/nonexistent/socket", empty, 1), -EINVAL);
	assert_int_equal(journal_send_to("/nonexistent/socket", many, 17), -E2BIG);
	assert_true(journal_send_to("/nonexistent/socket", many, 1) < 0);
	journal_close();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields),
		cmocka_unit_test(test_binary_field),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
