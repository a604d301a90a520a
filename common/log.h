/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_LOG_H
#define CREDAGENT_COMMON_LOG_H

/*
 * Agent logging: one line per message on stderr with the <N> priority
 * prefix journald understands (a timestamp is added when stderr is not the
 * journal), or straight to the journal once stderr is gone (a daemonized
 * agent). Never pass a secret value or a whole frame.
 */

#include <stdbool.h>

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_JOURNAL_STREAM, LOG_TARGET_JOURNAL, LOG_TARGET_NONE };

/* Decide the target from JOURNAL_STREAM (stderr connected to journald). */
void log_init(const char *ident);
/* Switch target (e.g. LOG_TARGET_JOURNAL after daemonizing). */
void log_set_target(enum log_target t);
void log_set_debug(bool on);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
