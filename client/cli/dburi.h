/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_CLI_DBURI_H
#define CREDAGENT_CLI_DBURI_H

/*
 * Database URIs (postgres://, postgresql://, mysql://) taken apart into a
 * postgresql or mysql secret's fields, for cred import-env. No I/O;
 * every part is zeroed when freed (the password is one).
 */

#include <stddef.h>
#include <stdint.h>

/* A decoded URI component: LEN bytes at P (NUL after them; P NULL: absent). */
struct dburi_part {
	uint8_t *p;
	size_t len;
};
/* A database URI's fields, percent-decoded. Free with dburi_free(). */
struct dburi {
	const char *type; /* "postgresql" or "mysql" */
	struct dburi_part host, port, database, username, password;
	const char *option_key; /* "sslmode" (postgresql) or "ssl" (mysql) */
	struct dburi_part option;
};
/*
 * Recognises V (LEN bytes) as a postgres:// / postgresql:// or mysql://
 * URI that the type's fields can hold whole:
 * SCHEME://USER:PASSWORD@HOST[:PORT]/DATABASE[?QUERY], every component
 * percent-decoded, HOST an IPv6 literal in brackets or (postgresql) a
 * socket directory given as %2F... or, with an empty HOST, as ?host=/dir;
 * QUERY only sslmode=M (postgresql: disable allow prefer require
 * verify-ca verify-full) or ssl=true|false (mysql). 1 with *ret filled;
 * 0 when V is no such URI, or one the fields cannot hold (no password,
 * a bad port, another query parameter, a fragment, several hosts, bad
 * percent-encoding, a control character or invalid UTF-8 in a name):
 * such a value is better kept whole as a generic secret. -ENOMEM.
 */
int dburi_parse(const uint8_t *v, size_t len, struct dburi *ret)
        __attribute__((warn_unused_result));
/* Zeroes and frees U's parts (not U); accepts a zeroed U. */
void dburi_free(struct dburi *u);

#endif
