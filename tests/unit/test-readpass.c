/* SPDX-License-Identifier: MIT */
/*
 * common/readpass.c on a pseudo-terminal: a child in a new session
 * takes the pty as its controlling terminal and prompts; the test types
 * at the master side and checks what the terminal showed and what the
 * child read and restored.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/readpass.h"

/* What the child reports through a pipe. */
struct result {
	int r;
	int echo_before, echo_after; /* ECHO in c_lflag */
	char buf[64];
};

/* In a new session, with the pty slave SLAVE (NULL: no terminal at all)
 * as controlling terminal: readpass() into SIZE bytes, reported on OUT. */
static void
child(const char *slave, size_t size, int out)
{
	struct result res;
	struct termios t;
	int fd = -1;

	memset(&res, 0, sizeof(res));
	if (setsid() < 0)
		_exit(10);
	if (slave != NULL) {
		fd = open(slave, O_RDWR); /* becomes the controlling terminal */
		if (fd < 0 || tcgetattr(fd, &t) < 0)
			_exit(11);
		res.echo_before = (t.c_lflag & ECHO) != 0;
	}
	res.r = readpass("Pass: ", res.buf, size);
	if (fd >= 0 && tcgetattr(fd, &t) == 0)
		res.echo_after = (t.c_lflag & ECHO) != 0;
	if (write(out, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(12);
	_exit(0);
}

/* Reads the master until NEEDLE has been seen (or 5 s pass) into OUT
 * (appending; *LEN bytes so far). */
static bool
wait_for(int master, const char *needle, char *out, size_t cap, size_t *len)
{
	struct pollfd pfd = {.fd = master, .events = POLLIN};
	ssize_t k;

	while (memmem(out, *len, needle, strlen(needle)) == NULL) {
		if (poll(&pfd, 1, 5000) != 1 || *len == cap)
			return false;
		k = read(master, out + *len, cap - *len);
		if (k <= 0)
			return false;
		*len += (size_t)k;
	}
	return true;
}

/*
 * Runs the child on a fresh pty (or without one: TYPED NULL), types TYPED
 * once the prompt shows, and returns what it reported; *SHOWN gets what
 * the terminal displayed.
 */
static struct result
run(const char *typed, size_t size, char *shown, size_t shown_cap)
{
	struct result res;
	size_t len = 0;
	int master = -1, p[2], status;
	char *slave = NULL;
	pid_t pid;

	memset(shown, 0, shown_cap);
	assert_int_equal(pipe(p), 0);
	if (typed != NULL) {
		master = posix_openpt(O_RDWR | O_NOCTTY);
		assert_true(master >= 0);
		assert_int_equal(grantpt(master), 0);
		assert_int_equal(unlockpt(master), 0);
		slave = ptsname(master);
		assert_non_null(slave);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(slave, size, p[1]);
	}
	close(p[1]);
	if (master >= 0) {
		assert_true(wait_for(master, "Pass: ", shown, shown_cap - 1, &len));
		assert_int_equal(write(master, typed, strlen(typed)), (ssize_t)strlen(typed));
	}
	assert_int_equal(read(p[0], &res, sizeof(res)), (ssize_t)sizeof(res));
	/* The newline readpass writes for the one not echoed. */
	if (master >= 0) {
		assert_true(wait_for(master, "\n", shown, shown_cap - 1, &len));
		close(master);
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return res;
}

static void
test_no_echo(void **state)
{
	struct result res;
	char shown[256];

	(void)state;
	res = run("hunter2\n", 32, shown, sizeof(shown));
	assert_int_equal(res.r, 0);
	assert_string_equal(res.buf, "hunter2");
	assert_null(strstr(shown, "hunter2"));
	assert_int_equal(res.echo_before, 1);
	assert_int_equal(res.echo_after, 1);
}

/* SIZE - 1 bytes kept, the rest of the line dropped. */
static void
test_truncated(void **state)
{
	struct result res;
	char shown[256];

	(void)state;
	res = run("0123456789abcdef\n", 8, shown, sizeof(shown));
	assert_int_equal(res.r, 0);
	assert_string_equal(res.buf, "0123456");
	assert_int_equal(res.echo_after, 1);
}

/* The end of input (^D on an empty line) gives an empty line. */
static void
test_eof(void **state)
{
	struct result res;
	char shown[256];

	(void)state;
	res = run("\004", 8, shown, sizeof(shown));
	assert_int_equal(res.r, 0);
	assert_string_equal(res.buf, "");
	assert_int_equal(res.echo_after, 1);
}

/* Without a controlling terminal: -ENOTTY, stdin never read. */
static void
test_no_tty(void **state)
{
	struct result res;
	char shown[8];

	(void)state;
	res = run(NULL, 8, shown, sizeof(shown));
	assert_int_equal(res.r, -ENOTTY);
	assert_int_equal(readpass("x", res.buf, 0), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_echo),
	        cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_eof),
	        cmocka_unit_test(test_no_tty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
