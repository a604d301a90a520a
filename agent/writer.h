/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_WRITER_H
#define CREDAGENT_AGENT_WRITER_H

/*
 * The writer thread: group commit. Jobs queued by the loop are run, each
 * in its own nested transaction, inside one write transaction that is
 * committed (synced) before any of them is answered. Finished jobs are
 * handed back through an eventfd.
 */

#include <stdint.h>

#include "agent.h"
#include "ops.h"

#define WRITER_BATCH_MAX 256u

int writer_start(struct agent *a, struct writer **ret) AGENT_WUR;
/* Finish queued jobs, then stop the thread; accepts NULL. Jobs it
 * finished are still to be taken with writer_take_done(). */
void writer_stop(struct writer *w);
/* Stop if needed and free; every finished job must have been taken. */
void writer_free(struct writer *w);
/* The eventfd that becomes readable when jobs are done. */
int writer_fd(const struct writer *w);
void writer_submit(struct writer *w, struct wjob *j);
/* The finished jobs, oldest first (the caller frees each). */
struct wjob *writer_take_done(struct writer *w);
/* The writer thread's locked DEK scratch. */
uint8_t *writer_dek(struct writer *w);

#endif
