/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_ADMIN_H
#define CREDAGENT_AGENT_ADMIN_H

/* credagentd's one-shot commands: they do their job and exit. */

#include <stdint.h>

#include "agent.h"

/* "min", "interactive", "moderate" or "sensitive": Argon2id limits. */
int admin_kdf_level(const char *name, uint64_t *ret_ops, uint64_t *ret_mem) AGENT_WUR;

/* --init-passphrase: a new store in the state directory whose only slot is
 * a passphrase (from the tty, asked twice, or one line of stdin). Exit
 * status. */
int admin_init_passphrase(const struct agent_config *cfg);

/* --restore FILE: install a backup into an empty state directory. Exit
 * status. */
int admin_restore(const struct agent_config *cfg, const char *file);

#endif
