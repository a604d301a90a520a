/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_CLI_DOTENV_H
#define CREDAGENT_CLI_DOTENV_H

/*
 * .env files for cred import-env: a parser that does no I/O, and the
 * recognition of provider API key names (database URIs: dburi.h).
 * Every block that holds a value is zeroed when freed.
 */

#include <stddef.h>
#include <stdint.h>

/* The most variables one file may set (one IMPORT request's worth). */
#define DOTENV_ENTRIES_MAX 10000u

/* One variable: the last value the file gives it. */
struct dotenv_entry {
	char *key;      /* the variable's name, NUL-terminated */
	uint8_t *value; /* LEN bytes followed by a NUL not counted */
	size_t len;
	unsigned line; /* the line (from 1) where it is first set */
};

/* A parsed file. Free with dotenv_free(). */
struct dotenv {
	size_t n, cap;
	struct dotenv_entry *items; /* in the order first set */
};

/*
 * Parses BUF (LEN bytes), the text of a .env file:
 *   - KEY=VALUE lines, KEY [A-Za-z_][A-Za-z0-9_]*, blanks around '='
 *     allowed, an optional "export " before KEY;
 *   - blank lines and lines whose first non-blank is '#' are skipped;
 *   - 'single quotes': literal, up to the next ' (may span lines);
 *   - "double quotes": \n \t \\ \" \$ are escapes (any other backslash
 *     is kept with the character after it), up to the next unescaped "
 *     (may span lines);
 *   - after a closing quote only blanks and a '#' comment may follow;
 *   - unquoted values end at the line's end or at a '#' preceded by a
 *     blank, and are trimmed of blanks (and of a CR before the LF).
 * A variable set twice keeps its first place and its last value.
 * 0 with *ret filled (free it with dotenv_free(), also after a failure);
 * -EINVAL with *ret_line (the line, from 1) and *ret_why (a static
 * string) set; -ENOMEM; -E2BIG past DOTENV_ENTRIES_MAX variables.
 */
int dotenv_parse(const uint8_t *buf, size_t len, struct dotenv *ret, unsigned *ret_line,
                 const char **ret_why) __attribute__((warn_unused_result));
/* Zeroes every value and frees D's contents (not D); accepts an empty D. */
void dotenv_free(struct dotenv *d);

/* The api_key provider for a variable named NAME: "gemini", "openai",
 * "anthropic", "openrouter" or "groq" for <PROVIDER>_API_KEY (upper
 * case), "gemini" for GOOGLE_API_KEY; NULL otherwise. */
const char *dotenv_provider(const char *name);

#endif
