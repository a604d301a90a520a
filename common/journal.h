/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_COMMON_JOURNAL_H
#define CREDAGENT_COMMON_JOURNAL_H

/*
 * Structured entries for systemd's journal, over its native protocol: one
 * datagram to /run/systemd/journal/socket holding "FIELD=value" lines (a
 * value with a newline in it goes in the binary form: the field name, a
 * newline, its length as 64-bit little-endian, the bytes, a newline). The
 * socket is opened on first use and kept. Best effort, as for syslog.
 */

#include <stddef.h>

#define JOURNAL_SOCKET_PATH "/run/systemd/journal/socket"

/* Send one entry of N fields, each "NAME=value". 0 or -errno. */
int journal_send_fields(const char *const *fields, size_t n);
/* The same to the datagram socket at PATH (tests). */
int journal_send_to(const char *path, const char *const *fields, size_t n);
/* Close the kept socket (tests; after fork). */
void journal_close(void);

#endif
