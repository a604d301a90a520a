/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/smem.h"
#include "audit.h"
#include "keys.h"
#include "seal.h"
#include "store.h"
#include "writer.h"

struct writer {
	struct agent *agent;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wjob *queue, *queue_tail;
	struct wjob *done, *done_tail;
	bool stop;
	int efd;
	uint8_t *dek;
};

static void
fail_all(struct wjob *batch, const char *why)
{
	for (struct wjob *j = batch; j != NULL; j = j->next) {
		if (j->status != PROTO_OK)
			continue;
		j->status = PROTO_INTERNAL;
		snprintf(j->message, sizeof(j->message), "%s", why);
	}
}

static bool
reset_for_retry(struct wjob *batch)
{
	bool nospace = false;

	for (struct wjob *j = batch; j != NULL; j = j->next)
		nospace |= j->nospace;
	if (!nospace)
		return false;
	for (struct wjob *j = batch; j != NULL; j = j->next) {
		j->status = PROTO_OK;
		j->message[0] = '\0';
		j->event = 0;
		j->nospace = false;
	}
	return true;
}

/* Run every job of BATCH in one synced transaction. Returns 1 when the
 * map filled up and the batch was rolled back to be run again. */
static int
run_once(struct writer *w, struct wjob *batch, bool may_grow)
{
	struct store *s = w->agent->store;
	MDB_txn *t, *child;
	int r;

	bool broken = false;

	r = store_txn_begin(s, NULL, &t);
	if (r < 0) {
		log_err("cannot begin a write transaction: %s", strerror(-r));
		fail_all(batch, "the store cannot be written");
		return 0;
	}
	audit_batch_begin(w->agent);
	for (struct wjob *j = batch; j != NULL; j = j->next) {
		j->audited = false;
		r = store_txn_begin(s, t, &child);
		if (r < 0) {
			j->status = PROTO_INTERNAL;
			snprintf(j->message, sizeof(j->message), "the store cannot be written");
			continue;
		}
		if (ops_write_exec(w->agent, child, j) < 0) {
			store_txn_abort(child);
		} else if ((r = store_txn_commit(child)) < 0) {
			j->status = PROTO_INTERNAL;
			j->nospace = r == -ENOSPC;
			snprintf(j->message, sizeof(j->message), "%s",
				 r == -ENOSPC ? "the store is full" : "the store cannot be written");
		} else if ((r = audit_job_committed(w->agent, t, j)) < 0) {
			/* The change and its record go together, or neither: a
			 * full map is grown and the batch run again; otherwise
			 * the whole batch is rolled back. */
			if (r == -ENOSPC && may_grow)
				j->nospace = true;
			else
				broken = true;
		}
	}
	if (broken) {
		store_txn_abort(t);
		audit_batch_end(w->agent, false);
		log_err("audit records cannot be written: the batch is rolled back");
		fail_all(batch, "the audit trail cannot be written");
		return 0;
	}
	if (may_grow && reset_for_retry(batch)) {
		store_txn_abort(t);
		audit_batch_end(w->agent, false);
		r = store_grow(s);
		if (r == 0)
			return 1;
		log_err("the store is full and its map cannot grow: %s", strerror(-r));
		fail_all(batch, "the store is full");
		return 0;
	}
	r = store_txn_commit(t);
	audit_batch_end(w->agent, r == 0);
	if (r < 0) {
		log_err("write transaction failed to commit: %s", strerror(-r));
		fail_all(batch, r == -ENOSPC ? "the store is full" : "the store cannot be written");
	}
	return 0;
}

static void
run_batch(struct writer *w, struct wjob *batch)
{
	/* The keys stay as they are for the whole batch (lock waits). */
	keys_read_begin(w->agent->keys);
	/* A full map grows (doubling) and the batch runs again. */
	for (int tries = 0; tries < 4; tries++)
		if (run_once(w, batch, tries < 3) == 0)
			break;
	keys_read_end(w->agent->keys);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t one = 1;

	for (;;) {
		struct wjob *batch, *last;
		unsigned n = 1;

		pthread_mutex_lock(&w->mu);
		while (w->queue == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->queue == NULL) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		batch = last = w->queue;
		while (last->next != NULL && n < WRITER_BATCH_MAX) {
			last = last->next;
			n++;
		}
		w->queue = last->next;
		if (w->queue == NULL)
			w->queue_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&w->mu);

		run_batch(w, batch);

		pthread_mutex_lock(&w->mu);
		if (w->done_tail != NULL)
			w->done_tail->next = batch;
		else
			w->done = batch;
		w->done_tail = last;
		pthread_mutex_unlock(&w->mu);
		if (write(w->efd, &one, sizeof(one)) < 0)
			log_err("writer: cannot signal the loop: %s", strerror(errno));
	}
	return NULL;
}

int
writer_start(struct agent *a, struct writer **ret)
{
	struct writer *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->agent = a;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->dek = smem_alloc(SEAL_KEY_SIZE);
	if (w->efd < 0 || w->dek == NULL) {
		r = -errno;
		goto fail;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	r = -pthread_create(&w->thread, NULL, writer_main, w);
	if (r < 0)
		goto fail;
	*ret = w;
	return 0;
fail:
	if (w->efd >= 0)
		close(w->efd);
	smem_free(w->dek);
	free(w);
	return r < 0 ? r : -ENOMEM;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL || w->stop)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	writer_stop(w);
	if (w->done != NULL)
		abort(); /* the caller answers finished jobs first */
	close(w->efd);
	smem_free(w->dek);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

int
writer_fd(const struct writer *w)
{
	return w->efd;
}

uint8_t *
writer_dek(struct writer *w)
{
	return w->dek;
}

void
writer_submit(struct writer *w, struct wjob *j)
{
	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->queue_tail != NULL)
		w->queue_tail->next = j;
	else
		w->queue = j;
	w->queue_tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

struct wjob *
writer_take_done(struct writer *w)
{
	struct wjob *j;
	uint64_t n;

	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("writer eventfd: %s", strerror(errno));
	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = w->done_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	return j;
}
