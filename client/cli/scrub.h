/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_CLI_SCRUB_H
#define CREDAGENT_CLI_SCRUB_H

/*
 * Keeping secrets out of messages: a list of byte strings (a secret's
 * values) and the replacement of every occurrence of them by "***" in a
 * server's error or a command's output, before anything is printed or
 * sent to the agent. No allocation when scrubbing, no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Up to 64 secret values, three forms each, and the lines of multi-line
 * ones. */
#define SCRUB_MAX 512u
/* Lines shorter than this are not scrubbed on their own (too common). */
#define SCRUB_LINE_MIN 8u

struct scrub_list {
	struct {
		const uint8_t *p;
		size_t len;
		uint8_t *owned; /* a variant made here (zeroed when freed), or NULL */
	} items[SCRUB_MAX];
	size_t n;
	bool overflow; /* a form was left out */
};

/*
 * Adds P (LEN bytes; borrowed: it must outlive L's use; nothing for LEN
 * 0) and the forms a message may show it in: percent-encoded (as in a
 * URI: all but A-Z a-z 0-9 - . _ ~ as %XX), and with control characters
 * as spaces (as one-line messages show them). Past SCRUB_MAX forms, or
 * out of memory for a variant, what does not fit is left out: the caller
 * checks scrub_full().
 */
void scrub_add(struct scrub_list *l, const void *p, size_t len);
/* Adds each line (SCRUB_LINE_MIN bytes or more) of a multi-line P on its
 * own, so that a command printing one line of a PEM key shows none of
 * it; scrub_add() does it too. */
void scrub_add_lines(struct scrub_list *l, const void *p, size_t len);
/* True when a form was left out: a message may then not be shown. */
bool scrub_full(const struct scrub_list *l);
/* Zeroes and frees the variants; L is empty afterwards. */
void scrub_free(struct scrub_list *l);

/*
 * Replaces in BUF (LEN bytes, room for CAP) every occurrence of every
 * form in L, the longest first, with "***"; with HEAD_CUT (bytes before
 * BUF were dropped), also the longest tail of a form that BUF starts
 * with. Text pushed past CAP is cut, and every byte between the new
 * length and the largest one reached is zeroed. Returns the new length.
 */
size_t scrub_bytes(const struct scrub_list *l, uint8_t *buf, size_t len, size_t cap, bool head_cut);
/* The same for the NUL-terminated string S in a block of SIZE bytes. */
void scrub_string(const struct scrub_list *l, char *s, size_t size);

#endif
