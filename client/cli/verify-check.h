/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_CLI_VERIFY_CHECK_H
#define CREDAGENT_CLI_VERIFY_CHECK_H

/*
 * The checks of cred verify: a database login and SELECT 1, or a command.
 * libpq and libmariadb are loaded with dlopen() only when a check runs
 * (linked into cred they would slow every invocation, DESIGN.md section
 * 9) and never unloaded. Every check writes what happened into MSG (SIZE
 * bytes, NUL-terminated), which may hold secret bytes a server or a
 * command echoed: the caller scrubs it before it goes anywhere.
 */

#include <stddef.h>

#include "cred.h"
#include "client/cli/scrub.h"

/* What a check found. */
enum verify_outcome {
	VERIFY_CANNOT = -1, /* the check could not run (no library, a value no
	                       library or environment can take): no verdict */
	VERIFY_FAILED = 0,  /* the login or the command failed */
	VERIFY_OK = 1,
};

/* Logs in with the postgresql field set F and runs SELECT 1, allowing
 * TIMEOUT seconds to connect. HOST may be a socket directory. */
int verify_postgresql(const struct cred_fields *f, unsigned timeout, char *msg, size_t size);
/* The same with the mysql field set F; a HOST starting with '/' is the
 * server's socket. */
int verify_mysql(const struct cred_fields *f, unsigned timeout, char *msg, size_t size);
/* Runs "sh -c CMD" with the environment ENVP (stdin /dev/null, its output
 * kept, scrubbed of SECRETS, for the message), killing its process group
 * after TIMEOUT seconds: VERIFY_OK when it exits 0. */
int verify_command(const char *cmd, char *const *envp, unsigned timeout,
                   const struct scrub_list *secrets, char *msg, size_t size);

#endif
