/* SPDX-License-Identifier: MIT */
/*
 * cred-fetch: print one secret's value, fetched from credagent with
 * libcred. An example of a libcred client built through pkg-config:
 *
 *     cc -o cred-fetch cred-fetch.c $(pkg-config --cflags --libs libcred)
 *     cred-fetch [-s SOCKET] [-v VERSION] REF
 *
 * The value goes to stdout exactly as stored (no newline added); errors go
 * to stderr, and the exit status is cred(1)'s for the same error.
 */

#define _POSIX_C_SOURCE 200809L /* getopt, write */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cred.h>

static void
usage(void)
{
	fprintf(stderr, "usage: cred-fetch [-s SOCKET] [-v VERSION] [OWNER:]NAME\n");
}

/* The whole value to stdout; 0 or -1. */
static int
write_all(const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fail(const char *what, const cred_conn *c, int err)
{
	const char *msg = c != NULL ? cred_message(c) : "";

	fprintf(stderr, "cred-fetch: %s: %s%s%s\n", what, cred_strerror(err),
	        msg[0] != '\0' ? ": " : "", msg);
	return cred_exit_code(err);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	unsigned long version = 0;
	struct cred_value *v = NULL;
	cred_conn *c = NULL;
	char *end;
	int opt, r;

	while ((opt = getopt(argc, argv, "s:v:")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'v':
			errno = 0;
			version = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || version == 0 || version > UINT32_MAX) {
				usage();
				return 2;
			}
			break;
		default: usage(); return 2;
		}
	}
	if (optind != argc - 1) {
		usage();
		return 2;
	}
	r = cred_connect(sock, &c);
	if (r < 0)
		return fail("connect", NULL, r);
	r = cred_get(c, argv[optind], (uint32_t)version, &v);
	if (r < 0) {
		r = fail(argv[optind], c, r);
		cred_close(c);
		return r;
	}
	r = write_all(v->data, v->len) < 0 ? 1 : 0;
	if (r != 0)
		perror("cred-fetch: write");
	cred_value_free(v); /* zeroes the value */
	cred_close(c);
	return r;
}
