/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_LOOP_H
#define CREDAGENT_AGENT_LOOP_H

/*
 * The event loop: one epoll set over the listening socket, the clients,
 * a signalfd (SIGTERM, SIGINT: stop; SIGHUP ignored), a one-second timerfd
 * (deadlines; faster when the watchdog's period asks for it), the audit
 * flush timer and the writer's and worker's eventfds. Signals are handled only here.
 */

#include <signal.h>

#include "agent.h"

/* Block the loop's signals (before any thread starts, so that threads
 * inherit the mask); *ret, if not NULL, gets the set. */
void loop_block_signals(sigset_t *ret);
/* Set up signalfd, timerfd and epoll: 0 or -errno. */
int loop_init(struct agent *a) AGENT_WUR;
/* Serve until a stop signal: 0 or -errno. */
int loop_run(struct agent *a) AGENT_WUR;
void loop_fini(struct agent *a);
/* Tell the service manager (NOTIFY_SOCKET) the agent's state in a
 * STATUS= line; nothing without one. The timer also pings its watchdog
 * (WATCHDOG_USEC) and resends the state every minute or when the lock
 * changes. */
void loop_notify_status(struct agent *a);
/* Stop (or resume) accepting connections: out of descriptors, the
 * listening socket would wake the loop for nothing. The timer resumes. */
void loop_listen_pause(struct agent *a, bool pause);

#endif
