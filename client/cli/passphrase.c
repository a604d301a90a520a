/* SPDX-License-Identifier: MIT */
/* Reading a passphrase: a no-echo prompt on the terminal, or one line of
 * stdin when stdin is not a terminal. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli/cli.h"
#include "common/readpass.h"
#include "common/zero.h"

/* Room for the longest passphrase, one byte more to see it is too long,
 * and a NUL. */
#define PASS_BUF (CRED_PASSPHRASE_MAX + 2u)

void
cli_pass_free(struct cli_pass *p)
{
	if (p->buf != NULL)
		zero_free(p->buf, PASS_BUF);
	p->buf = NULL;
	p->len = 0;
}

/*
 * One line of stdin into BUF (PASS_BUF bytes), its newline dropped, read a
 * byte at a time so that nothing after it is consumed (passwd reads two)
 * and no stdio buffer keeps a copy: 0, -ENODATA at the end of input,
 * -E2BIG past CRED_PASSPHRASE_MAX, or -errno.
 */
static int
read_line(char *buf, size_t *ret_len)
{
	size_t n = 0;
	ssize_t k;
	char ch;

	for (;;) {
		k = read(STDIN_FILENO, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0) {
			if (n == 0)
				return -ENODATA;
			break;
		}
		if (ch == '\n')
			break;
		if (n == CRED_PASSPHRASE_MAX)
			return -E2BIG;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	*ret_len = n;
	return 0;
}

/* A prompt on the terminal into BUF: 0 or an exit code. */
static int
prompt(struct cli *cli, const char *text, char *buf, size_t *ret_len)
{
	if (readpass(text, buf, PASS_BUF) < 0)
		return cli_error(cli, CRED_E_FAILED, NULL, "cannot read from the terminal");
	*ret_len = strlen(buf);
	if (*ret_len > CRED_PASSPHRASE_MAX)
		return cli_error(cli, CRED_E_USAGE, NULL, "passphrase too long (at most %u bytes)",
		                 CRED_PASSPHRASE_MAX);
	return 0;
}

static int
from_stdin(struct cli *cli, char *buf, size_t *ret_len)
{
	int r = read_line(buf, ret_len);

	if (r == -ENODATA)
		return cli_error(cli, CRED_E_USAGE, NULL, "no passphrase on standard input");
	if (r == -E2BIG)
		return cli_error(cli, CRED_E_USAGE, NULL, "passphrase too long (at most %u bytes)",
		                 CRED_PASSPHRASE_MAX);
	if (r < 0)
		return cli_error(cli, CRED_E_FAILED, "stdin", "reading: %s", strerror(-r));
	return 0;
}

int
cli_read_passphrase(struct cli *cli, const char *text, const char *again, struct cli_pass *ret)
{
	char *b = NULL;
	size_t blen = 0;
	bool tty = isatty(STDIN_FILENO) != 0;
	int r;

	*ret = (struct cli_pass){0};
	ret->buf = malloc(PASS_BUF);
	if (ret->buf == NULL)
		return cli_error(cli, CRED_E_NOMEM, NULL, NULL);
	r = tty ? prompt(cli, text, ret->buf, &ret->len) : from_stdin(cli, ret->buf, &ret->len);
	if (r == 0 && ret->len == 0)
		r = cli_error(cli, CRED_E_USAGE, NULL, "empty passphrase");
	/* A new passphrase typed blind is asked twice; a piped one is not. */
	if (r == 0 && tty && again != NULL) {
		b = malloc(PASS_BUF);
		if (b == NULL)
			r = cli_error(cli, CRED_E_NOMEM, NULL, NULL);
		else if ((r = prompt(cli, again, b, &blen)) == 0 &&
		         (blen != ret->len || memcmp(b, ret->buf, blen) != 0))
			r = cli_error(cli, CRED_E_FAILED, NULL, "the passphrases do not match");
	}
	if (b != NULL)
		zero_free(b, PASS_BUF);
	if (r != 0)
		cli_pass_free(ret);
	return r;
}
