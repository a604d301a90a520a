/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_SDNOTIFY_H
#define CREDAGENT_AGENT_SDNOTIFY_H

/*
 * The service manager's side channels, as systemd documents them
 * (sd_notify(3), sd_listen_fds(3), sd_watchdog_enabled(3)), done here with
 * a few system calls instead of linking libsystemd and its libraries.
 */

#include <stdbool.h>
#include <stdint.h>

#define SDN_LISTEN_FDS_START 3

/* Send STATE ("READY=1", "STATUS=...") to $NOTIFY_SOCKET: 1 if sent, 0 if
 * there is no such socket, -errno. */
int sdn_notify(const char *state);
int sdn_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* $WATCHDOG_USEC if the watchdog is meant for this process, else 0. */
uint64_t sdn_watchdog_usec(void);
/* How many sockets the service manager passed (from fd 3 on), marked
 * close-on-exec, with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES removed
 * from the environment; 0 when none was passed to this process. */
int sdn_listen_fds(void);
/* True if FD is a listening AF_UNIX SOCK_STREAM socket. */
bool sdn_is_listening_unix_stream(int fd);

#endif
