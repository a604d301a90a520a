/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_READPASS_H
#define CREDAGENT_COMMON_READPASS_H

/*
 * A no-echo prompt on the controlling terminal (/dev/tty), never on
 * stdin: what readpassphrase(3) does with RPP_REQUIRE_TTY.
 */

#include <stddef.h>

/*
 * Writes PROMPT to the terminal with echo off and reads one line (ended by
 * a newline, a carriage return or the end of input) into BUF: at most
 * SIZE - 1 bytes of it, the rest of the line read and dropped, then a NUL.
 * The terminal's settings and the handlers of the signals that could stop
 * or kill us meanwhile (SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGQUIT,
 * SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU) are restored before it returns; a
 * signal caught meanwhile is then sent again, and after a stop (SIGTSTP,
 * SIGTTIN, SIGTTOU) the prompt starts over once we are continued.
 * Returns 0 (an empty line or input at its end gives ""), -EINVAL when
 * SIZE is 0, -ENOTTY without a terminal, or the read's -errno (-EINTR for
 * a signal that did not end the process). BUF may hold part of a line
 * on failure: the caller wipes it either way.
 */
int readpass(const char *prompt, char *buf, size_t size) __attribute__((warn_unused_result));

#endif
