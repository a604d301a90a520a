/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_SOCK_H
#define CREDAGENT_AGENT_SOCK_H

/* The listening socket: created by us, or passed by systemd. */

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"

/* The user-mode defaults: $XDG_RUNTIME_DIR/credagent/sock or
 * /tmp/credagent-UID/sock, and $XDG_DATA_HOME/credagent or
 * ~/.local/share/credagent. Malloc'd; NULL on failure. */
char *sock_default_path(bool system_mode);
char *sock_default_state_dir(bool system_mode);

/*
 * Create the socket's directory when it is the default one (0700, refused
 * if another uid owns it), refuse a path where another agent answers,
 * replace a stale socket, bind with MODE and listen. Nonblocking, CLOEXEC.
 * Returns the fd or -errno with ERRBUF filled.
 */
int sock_listen(const char *path, bool create_dir, bool public_dir, unsigned mode, char *errbuf,
		size_t errlen) AGENT_WUR;

/* The socket systemd passed (LISTEN_FDS): fd, 0 if none, -errno with
 * ERRBUF filled if it is not a listening Unix stream socket. */
int sock_activated(char *errbuf, size_t errlen) AGENT_WUR;

/* Create DIR 0700 if missing (and its parents); refuse one owned by
 * another uid or open to others. */
int sock_private_dir(const char *dir, char *errbuf, size_t errlen) AGENT_WUR;
/* The system socket's directory: ours, 0755 (the kernel, not the mode,
 * tells the agent who calls). */
int sock_public_dir(const char *dir, char *errbuf, size_t errlen) AGENT_WUR;

#endif
