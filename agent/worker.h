/* SPDX-License-Identifier: MIT */
#ifndef CREDAGENT_AGENT_WORKER_H
#define CREDAGENT_AGENT_WORKER_H

/*
 * The worker thread: slow work that must not hold up the event loop or the
 * writer (Argon2id, backups). A job's run() executes on the worker; its
 * done() then runs on the loop, which watches worker_fd().
 */

#include "agent.h"

struct sjob;
typedef void (*sjob_fn)(struct agent *a, struct sjob *j);

struct sjob {
	struct sjob *next;
	sjob_fn run;  /* worker thread */
	sjob_fn done; /* loop thread; frees the job */
	void *arg;
};

struct worker;

int worker_start(struct agent *a, struct worker **ret) AGENT_WUR;
/* Finish queued jobs, stop, run their done(), free; accepts NULL. */
void worker_free(struct agent *a, struct worker *w);
int worker_fd(const struct worker *w);
void worker_submit(struct worker *w, struct sjob *j);
/* Run done() of every finished job (loop thread). */
void worker_reap(struct agent *a, struct worker *w);

#endif
