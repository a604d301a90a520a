/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_CLI_TEMPLATE_H
#define CREDAGENT_CLI_TEMPLATE_H

/*
 * The references in a cred inject template, found without I/O: the unit
 * tests and the fuzzer feed it bytes, cmd-inject.c resolves what it
 * finds. Nothing here allocates.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * Called for each reference, in order: bytes [START, END) of the template
 * are the reference, SPEC (LEN > 0 bytes, inside [START, END), not
 * NUL-terminated, borrowed for the call only) what it names:
 *   {{ cred "SPEC" }}   blanks (space, tab) allowed after "{{", around
 *                       "cred" and before "}}"; SPEC holds no '"' and no
 *                       LF;
 *   cred://REF[#FIELD]  REF one or more of [A-Za-z0-9_.@+/:-], FIELD one
 *                       or more of [a-z0-9_] (a '#' without one is not
 *                       part of the reference); SPEC is all of it,
 *                       "cred://" included.
 * References do not overlap: scanning goes on at END. 0 goes on; any
 * other value stops the scan, and template_scan() returns it.
 */
typedef int (*template_ref_fn)(void *ctx, const uint8_t *spec, size_t len, size_t start,
                               size_t end);

/* Calls FN(CTX, ...) for each reference in IN (N bytes, any bytes, NUL
 * included): 0 when all were seen, or the first non-zero FN returned. */
int template_scan(const uint8_t *in, size_t n, template_ref_fn fn, void *ctx)
        __attribute__((warn_unused_result));

#endif
