/* SPDX-License-Identifier: MIT */
/* Reading a secret value for put: a file, stdin, or a no-echo prompt. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli/cli.h"
#include "common/readpass.h"
#include "common/zero.h"

/* Longest line the tty prompt takes; longer values come from stdin. */
#define PROMPT_MAX 4096u
#define READ_START 4096u

/* Grows by allocating anew, copying and wiping the old block: realloc
 * could leave a copy of the value behind in freed memory. */
static int
grow(uint8_t **buf, size_t len, size_t *cap)
{
	size_t ncap = *cap * 2;
	uint8_t *nb;

	if (ncap > CLI_VALUE_MAX + 1u)
		ncap = CLI_VALUE_MAX + 1u;
	nb = malloc(ncap);
	if (nb == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(nb, *buf, len);
	zero_free(*buf, *cap);
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* All of FD: 0, -EFBIG past CLI_VALUE_MAX, or -errno. */
static int
read_fd(int fd, uint8_t **ret, size_t *ret_len)
{
	size_t cap = READ_START, len = 0;
	struct stat st;
	uint8_t *buf;
	ssize_t k;
	int r = 0;

	/* A regular file's size, plus one byte to see the end, saves copies. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size < CLI_VALUE_MAX)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > CLI_VALUE_MAX) {
				r = -EFBIG;
				break;
			}
			if ((r = grow(&buf, len, &cap)) < 0)
				break;
		}
		k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	if (r < 0) {
		zero_free(buf, cap);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int
prompt_value(struct cli *cli, const char *name, uint8_t **ret, size_t *ret_len)
{
	char prompt[512];
	char *a, *b = NULL;
	size_t n;
	int r;

	a = malloc(PROMPT_MAX + 1);
	b = malloc(PROMPT_MAX + 1);
	if (a == NULL || b == NULL) {
		r = cli_error(cli, CRED_E_NOMEM, name, NULL);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Value for %s: ", name);
	if (readpass(prompt, a, PROMPT_MAX + 1) < 0) {
		r = cli_error(cli, CRED_E_FAILED, name, "cannot read from the terminal");
		goto out;
	}
	n = strlen(a);
	if (n == PROMPT_MAX) {
		r = cli_error(cli, CRED_E_USAGE, name,
		              "value too long for the prompt; pipe it on stdin or use --from-file");
		goto out;
	}
	if (n == 0) {
		r = cli_error(cli, CRED_E_USAGE, name, "empty value");
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Value for %s (again): ", name);
	if (readpass(prompt, b, PROMPT_MAX + 1) < 0) {
		r = cli_error(cli, CRED_E_FAILED, name, "cannot read from the terminal");
		goto out;
	}
	if (strcmp(a, b) != 0) {
		r = cli_error(cli, CRED_E_FAILED, name, "the values do not match");
		goto out;
	}
	*ret = (uint8_t *)a;
	*ret_len = n;
	a = NULL;
	r = 0;
out:
	if (a != NULL)
		zero_free(a, PROMPT_MAX + 1);
	if (b != NULL)
		zero_free(b, PROMPT_MAX + 1);
	return r;
}

int
cli_read_value(struct cli *cli, const char *file, const char *name, uint8_t **ret, size_t *ret_len)
{
	int fd = STDIN_FILENO, r;

	if (file == NULL && isatty(STDIN_FILENO))
		return prompt_value(cli, name, ret, ret_len);
	if (file != NULL && strcmp(file, "-") != 0) {
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return cli_error(cli, CRED_E_FAILED, file, "%s", strerror(errno));
	}
	r = read_fd(fd, ret, ret_len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r == -EFBIG)
		return cli_error(cli, CRED_E_USAGE, name, "value too large (more than %u bytes)",
		                 CLI_VALUE_MAX);
	if (r < 0)
		return cli_error(cli, r == -ENOMEM ? CRED_E_NOMEM : CRED_E_FAILED,
		                 file != NULL ? file : "stdin", "reading: %s", strerror(-r));
	return 0;
}
